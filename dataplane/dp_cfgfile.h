/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file machinery shared by sluice-dp and sluice-cp: the one file that
 * calls libconfig. It pre-scans the text for what libconfig mishandles, parses it, hands
 * the tree to the caller as opaque nodes, and collects errors that are written out as
 * "FILE:LINE: message" lines sorted by line. No DPDK.
 *
 * Return convention: 0, or -1 with the error recorded (or written to err where one is given).
 */
#ifndef DP_CFGFILE_H
#define DP_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_CFGFILE_MAX_FILE (1u << 20)    /* larger files are refused before parsing */
#define DP_CFGFILE_MSG_LEN 512
#define DP_CFGFILE_MAX_MSGS 64            /* the most a report may keep; more are counted */

/* A setting of the parsed file; valid only inside the walk callback. */
struct dp_cfgfile_node;

enum dp_cfgfile_type {
	DP_CFGFILE_NONE = 0,
	DP_CFGFILE_GROUP,
	DP_CFGFILE_INT,               /* 32 or 64 bits */
	DP_CFGFILE_FLOAT,
	DP_CFGFILE_STRING,
	DP_CFGFILE_BOOL,
	DP_CFGFILE_ARRAY,
	DP_CFGFILE_LIST,
};

struct dp_cfgfile_msg {
	int line;                     /* 0: none */
	char text[DP_CFGFILE_MSG_LEN];
};

struct dp_cfgfile_errs {
	const char *name;             /* the file, in messages */
	unsigned int max_msgs;        /* kept for the report, at most DP_CFGFILE_MAX_MSGS */
	unsigned int n_errors;
	unsigned int n_msgs;
	struct dp_cfgfile_msg msgs[DP_CFGFILE_MAX_MSGS];
};

/* What the pre-scan enforces. */
struct dp_cfgfile_syntax {
	unsigned int max_depth;       /* brackets open at once, at most 64 */
	const char *range_note;       /* appended to "integer out of 32-bit range", or NULL */
};

/* Bounds of an integer setting: "an integer in 1..64 (queues)". */
struct dp_cfgfile_uint {
	uint32_t min, max;
	const char *what;             /* NULL: "an integer" */
	const char *unit;             /* NULL: none */
	bool (*ok)(uint64_t v);       /* NULL: any value in bounds */
	bool short_range;             /* out of range: "must be in 1..64 (queues)" */
};

void dp_cfgfile_errs_init(struct dp_cfgfile_errs *e, const char *name, unsigned int max_msgs);
/* Records one error; line 0 when there is none. */
void dp_cfgfile_err(struct dp_cfgfile_errs *e, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Writes the errors into err: sorted by line (those without one last), separated by '\n',
 * whole lines while they fit (the first cut short rather than lost), then a count of the rest.
 */
void dp_cfgfile_flush(const struct dp_cfgfile_errs *e, char *err, size_t errlen);

/*
 * Reads a regular file of at most DP_CFGFILE_MAX_FILE bytes without NUL bytes. Returns the
 * NUL-terminated text (free() it), or NULL with "PATH: why" in err.
 */
char *dp_cfgfile_read(const char *path, char *err, size_t errlen);

/*
 * Pre-scans and parses text, then calls walk with the root group. Returns 0 when walk was
 * called, -1 when a syntax error was recorded instead.
 */
int dp_cfgfile_parse(struct dp_cfgfile_errs *e, const char *text,
		     const struct dp_cfgfile_syntax *syn,
		     void (*walk)(void *arg, struct dp_cfgfile_node *root), void *arg);

/* The tree. */
enum dp_cfgfile_type dp_cfgfile_type(const struct dp_cfgfile_node *s);
const char *dp_cfgfile_type_name(enum dp_cfgfile_type type);   /* "an integer" */
int dp_cfgfile_length(const struct dp_cfgfile_node *s);
struct dp_cfgfile_node *dp_cfgfile_elem(const struct dp_cfgfile_node *s, int i);
const char *dp_cfgfile_name(const struct dp_cfgfile_node *s);  /* NULL: list element */
/* The line of s, else of its nearest parent that has one; 0: none. */
int dp_cfgfile_line(const struct dp_cfgfile_node *s);
long long dp_cfgfile_int(const struct dp_cfgfile_node *s);
const char *dp_cfgfile_string(const struct dp_cfgfile_node *s);
bool dp_cfgfile_bool(const struct dp_cfgfile_node *s);

/* Values and messages. */
/* s in double quotes, escaped to be safe on one line of a terminal, "..." when cut. */
const char *dp_cfgfile_quote(const char *s, char *buf, size_t len);
/* "a, b, c": the first n words, or up to a NULL; stops before a word that does not fit. */
const char *dp_cfgfile_words(const char *const *words, size_t n, char *buf, size_t len);
/* Stores v into a uint16_t or uint32_t field of the given size. */
void dp_cfgfile_store_uint(void *field, size_t size, uint32_t v);
/* "an integer in 1..64 (queues)" */
const char *dp_cfgfile_uint_spec(const struct dp_cfgfile_uint *u, char *buf, size_t len);
/* An integer setting within u; -1 (recorded as "path ...") otherwise. */
int dp_cfgfile_get_uint(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
			const char *path, const struct dp_cfgfile_uint *u, uint32_t *out);
/* A string setting; NULL (recorded) otherwise. expect, when not NULL, says what is wanted. */
const char *dp_cfgfile_get_str(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
			       const char *path, const char *expect);
/* Records "path: unknown setting; sec allows a, b, c". */
void dp_cfgfile_unknown(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
			const char *path, const char *sec, const char *allowed);
/* Checks that a section is a group; -1 (recorded) otherwise. */
int dp_cfgfile_want_group(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
			  const char *name);

#endif /* DP_CFGFILE_H */
