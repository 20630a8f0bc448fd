/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request bodies: JSON parsed under limits and checked against a field table, so that every
 * handler sees only known fields of the right type and range. The parsing policy around
 * jansson lives here; handlers build replies with jansson directly.
 *
 * Refusals carry a stable machine-readable code (CP_JSON_E_*) and a short message that never
 * quotes the input (it may hold a password).
 */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CP_JSON_E_TOO_LARGE "body_too_large"     /* HTTP 413 */
#define CP_JSON_E_TOO_DEEP "json_too_deep"       /* HTTP 400 */
#define CP_JSON_E_DUPLICATE "json_duplicate_key" /* HTTP 400 */
#define CP_JSON_E_INVALID "json_invalid"         /* HTTP 400: not JSON, not an object, NUL */
#define CP_JSON_E_UNKNOWN "unknown_field"        /* HTTP 400 */
#define CP_JSON_E_MISSING "missing_field"        /* HTTP 400 */
#define CP_JSON_E_TYPE "bad_field"               /* HTTP 400: wrong type or out of range */

struct cp_json_limits {
	size_t max_bytes;        /* whole body */
	unsigned int max_depth;  /* nesting of objects and arrays; the top object is depth 1 */
};

struct cp_json_err {
	const char *code;        /* CP_JSON_E_* */
	char message[128];
};

/*
 * Parses a body that must be one JSON object: size and depth are checked before jansson
 * sees the text (depth with a scan that skips strings), duplicate keys are refused, as are
 * NUL bytes in strings and trailing data. An empty body (len 0) gives an empty object.
 * Returns a new reference or NULL with *err filled.
 */
json_t *cp_json_parse(const char *buf, size_t len, const struct cp_json_limits *lim,
		      struct cp_json_err *err);

enum cp_jtype {
	CP_JT_STRING,    /* min..max: length in bytes; printable UTF-8 only when .name_like */
	CP_JT_INT,       /* min..max: value */
	CP_JT_BOOL,
};

struct cp_jfield {
	const char *name;
	enum cp_jtype type;
	bool required;
	bool name_like;  /* strings: only [A-Za-z0-9._@-] (user names, conference names) */
	int64_t min;
	int64_t max;
};

/*
 * Checks obj against a table of n fields: each known field has the right type and range,
 * required ones are present, and no other key exists. 0 or -EINVAL with *err filled.
 */
int cp_json_check(const json_t *obj, const struct cp_jfield *fields, size_t n,
		  struct cp_json_err *err);

/* Accessors for checked objects: the value, or def when the field is absent. */
const char *cp_json_str(const json_t *obj, const char *name, const char *def);
int64_t cp_json_int(const json_t *obj, const char *name, int64_t def);
bool cp_json_bool(const json_t *obj, const char *name, bool def);

/* Dumps compactly into a new malloc'd string (NULL on failure); frees nothing. */
char *cp_json_dump(const json_t *v);

#endif /* CP_JSON_H */
