/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the commands of sluicectl share: the invocation context, the command table entry,
 * exit codes, error reporting (human text on stderr; in --json mode also a JSON error
 * document on stdout), option and operand parsing, and aligned tables.
 *
 * Each group of commands (dp: the dataplane's socket; api: sluice-cp's HTTPS API) exports a
 * table of struct ctl_cmd terminated by { NULL }; sluicectl.c lists the tables.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes of sluicectl, documented in its --help. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_USAGE = 1,           /* usage or input error: bad argument, bad key */
	CTL_EXIT_CONN = 2,            /* cannot connect, TLS failure, timeout, protocol error */
	CTL_EXIT_API_REFUSED = 3,     /* the API refused the request (HTTP 4xx) */
	CTL_EXIT_UNAVAILABLE = 4,     /* the API is unavailable (HTTP 503 or another 5xx) */
	CTL_EXIT_REFUSED = 10,        /* + enum dp_status: the dataplane refused */
};

/* Machine codes of errors that do not come from the dataplane. */
#define CTL_CODE_USAGE "usage"
#define CTL_CODE_INPUT "input"
#define CTL_CODE_CONNECT "connect"
#define CTL_CODE_TIMEOUT "timeout"
#define CTL_CODE_PROTOCOL "protocol"
#define CTL_CODE_TLS "tls"

struct ctl_cmd;

struct ctl_ctx {
	const char *socket_path;      /* the dataplane's control socket */
	const char *api_url;          /* sluice-cp's API: --api, $SLUICE_API or the default */
	const char *cacert;           /* --cacert or $SLUICE_CACERT; NULL: the system's CAs */
	const char *token_file;       /* --token-file; NULL: $SLUICE_TOKEN, $SLUICE_TOKEN_FILE */
	bool json;
	int timeout_ms;
	const struct ctl_cmd *cmd;    /* the command running, for messages */
};

struct ctl_cmd {
	const char *words;            /* "dp leg add" */
	const char *synopsis;         /* arguments after the words */
	const char *summary;          /* one line */
	const char *help;             /* option lines for `COMMAND --help`, or NULL */
	/* argv[0] is the last command word; returns an exit code */
	int (*run)(struct ctl_ctx *ctx, int argc, char **argv);
	const void *spec;             /* what a run shared by several commands needs, or NULL */
};

extern const struct ctl_cmd ctl_dp_cmds[];
extern const struct ctl_cmd ctl_api_cmds[];

/*
 * Reports an error and returns exit_code: "sluicectl: WORDS: message" on stderr and, with
 * --json, {"error":{"code":code,"message":message}} on stdout.
 */
int ctl_fail(const struct ctl_ctx *ctx, int exit_code, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- arguments, shared by the command groups ---- */

/* Reports a usage error, "MESSAGE (see: sluicectl WORDS --help)"; returns CTL_EXIT_USAGE. */
int ctl_usage_fail(const struct ctl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Reports a reply that does not say what it should ("malformed reply: what"). */
int ctl_protocol_fail(const struct ctl_ctx *ctx, const char *what);

/* Starts getopt_long over a command's argv (argv[0] is its last word), silently. */
void ctl_getopt_reset(void);
/* Reports what getopt_long returned o ('?' or ':') for; returns CTL_EXIT_USAGE. */
int ctl_getopt_fail(const struct ctl_ctx *ctx, int o, char **argv);
/* For a command without options: any option is refused; optind ends at the operands. */
int ctl_no_options(const struct ctl_ctx *ctx, int argc, char **argv);
/*
 * The operands after the options: exactly n, named by names (for messages). The value of an
 * extra operand is shown unless quiet (it may be a password typed in the wrong place).
 */
int ctl_operands(const struct ctl_ctx *ctx, int argc, char **argv, int n,
		 const char *const *names, bool quiet);

/* Decimal (or 0x-hex when hex) without sign or blanks, in min..max; 0 or -1. */
int ctl_parse_u32(const char *s, bool hex, uint32_t min, uint32_t max, uint32_t *out);
/* An id 1..4294967295 named what in the message; 0 or CTL_EXIT_USAGE (reported). */
int ctl_parse_id(const struct ctl_ctx *ctx, const char *what, const char *s, uint32_t *out);
/* The SRTP suites' names, "A, B, ...", for messages. */
const char *ctl_suite_list(void);

/* Prints one JSON document on stdout (indented, or on one line) and frees it. */
void ctl_json_print(json_t *doc, bool one_line);
/* A JSON integer of a counter (clamped to the largest JSON integer jansson holds). */
json_t *ctl_json_u64(uint64_t v);

/* Replaces what a terminal could misread (control bytes, non-ASCII) in a peer's string. */
void ctl_sanitize(char *s);

/* Dies on memory exhaustion: nothing sensible is left to do for a CLI. */
void *ctl_xcalloc(size_t n, size_t size);
void *ctl_xrealloc(void *p, size_t n, size_t size);

/* ---- aligned tables ---- */

struct ctl_table;

struct ctl_table *ctl_table_new(unsigned int ncols);
/* Sets a header cell (row 0); right-aligned columns hold numbers. */
void ctl_table_head(struct ctl_table *t, unsigned int col, const char *name, bool right);
/* Starts a new row; cells not set stay empty. */
void ctl_table_row(struct ctl_table *t);
void ctl_table_set(struct ctl_table *t, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ctl_table_print(const struct ctl_table *t, FILE *f);
void ctl_table_free(struct ctl_table *t);

#endif /* CTL_H */
