/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request bodies under limits, and the field-table check that every handler relies on.
 *
 * jansson sees a body only after its size and nesting depth passed, so a hostile body costs
 * at most max_bytes of scanning. jansson refuses NUL in strings (unless JSON_ALLOW_NUL,
 * never given), anything after the value (unless JSON_DISABLE_EOF_CHECK, never given) and,
 * with JSON_REJECT_DUPLICATES, repeated keys at any depth: one reading of a body for every
 * component that parses it.
 *
 * Messages never carry input: jansson's own error text quotes it ("near '...'"), so only its
 * error code and position are used.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cp_json.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-"
#define SHOWN_KEY_MAX 32              /* longer unknown keys are not echoed */

static void json_fail(struct cp_json_err *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
json_fail(struct cp_json_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/*
 * Deepest nesting of objects and arrays, counting brackets outside strings only; stops
 * counting once past max. Unbalanced text is left for jansson to refuse.
 */
static unsigned int
json_depth(const char *buf, size_t len, unsigned int max)
{
	unsigned int depth = 0, deepest = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (c == '\\')
				i++;          /* the escaped byte, whatever it is */
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
			if (depth > deepest) {
				deepest = depth;
				if (deepest > max)
					return deepest;
			}
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

static const char *
json_what(const json_error_t *je)
{
	switch (json_error_code(je)) {
	case json_error_invalid_utf8:
		return "not valid UTF-8";
	case json_error_premature_end_of_input:
		return "ends early";
	case json_error_end_of_input_expected:
		return "data after the object";
	case json_error_null_character:
		return "NUL character in a string";
	case json_error_null_byte_in_key:
		return "NUL character in a key";
	case json_error_numeric_overflow:
		return "number out of range";
	case json_error_out_of_memory:
		return "out of memory";
	default:
		return "syntax error";
	}
}

json_t *
cp_json_parse(const char *buf, size_t len, const struct cp_json_limits *lim,
	      struct cp_json_err *err)
{
	json_error_t je;
	unsigned int depth;
	json_t *v;

	if (lim == NULL || (buf == NULL && len > 0)) {
		json_fail(err, CP_JSON_E_INVALID, "no body or no limits");
		return NULL;
	}
	if (len > lim->max_bytes) {
		json_fail(err, CP_JSON_E_TOO_LARGE, "body larger than %zu bytes", lim->max_bytes);
		return NULL;
	}
	if (len == 0) {
		v = json_object();
		if (v == NULL)
			json_fail(err, CP_JSON_E_INVALID, "out of memory");
		return v;
	}
	depth = json_depth(buf, len, lim->max_depth);
	if (depth > lim->max_depth) {
		json_fail(err, CP_JSON_E_TOO_DEEP, "nested deeper than %u levels", lim->max_depth);
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		if (json_error_code(&je) == json_error_duplicate_key)
			json_fail(err, CP_JSON_E_DUPLICATE, "duplicate key at byte %d", je.position);
		else if (json_error_code(&je) == json_error_stack_overflow)
			json_fail(err, CP_JSON_E_TOO_DEEP, "nested too deeply");
		else
			json_fail(err, CP_JSON_E_INVALID, "invalid JSON at byte %d: %s", je.position,
				  json_what(&je));
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		json_fail(err, CP_JSON_E_INVALID, "the body must be a JSON object");
		return NULL;
	}
	return v;
}

static const struct cp_jfield *
field_find(const struct cp_jfield *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

/* A key that is safe to echo: short and made of name characters only. */
static bool
key_showable(const char *key)
{
	size_t n = strlen(key);

	return n > 0 && n <= SHOWN_KEY_MAX && strspn(key, NAME_CHARS) == n;
}

static int
field_check(const struct cp_jfield *f, const json_t *v, struct cp_json_err *err)
{
	switch (f->type) {
	case CP_JT_STRING: {
		int64_t min = f->min < 0 ? 0 : f->min;
		const char *s;
		size_t len;

		if (!json_is_string(v)) {
			json_fail(err, CP_JSON_E_TYPE, "%s: must be a string of %lld..%lld bytes",
				  f->name, (long long)min, (long long)f->max);
			return -EINVAL;
		}
		s = json_string_value(v);
		len = json_string_length(v);
		/* a string built in memory may hold a NUL that parsing would have refused */
		if ((int64_t)len < min || (int64_t)len > f->max || memchr(s, '\0', len) != NULL) {
			json_fail(err, CP_JSON_E_TYPE, "%s: must be a string of %lld..%lld bytes",
				  f->name, (long long)min, (long long)f->max);
			return -EINVAL;
		}
		if (f->name_like && strspn(s, NAME_CHARS) != len) {
			json_fail(err, CP_JSON_E_TYPE, "%s: must be %lld..%lld of A-Z a-z 0-9 . _ @ -",
				  f->name, (long long)min, (long long)f->max);
			return -EINVAL;
		}
		return 0;
	}
	case CP_JT_INT:
		/* json_is_integer is false for reals and booleans */
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max) {
			json_fail(err, CP_JSON_E_TYPE, "%s: must be an integer in %lld..%lld",
				  f->name, (long long)f->min, (long long)f->max);
			return -EINVAL;
		}
		return 0;
	case CP_JT_BOOL:
		if (!json_is_boolean(v)) {
			json_fail(err, CP_JSON_E_TYPE, "%s: must be true or false", f->name);
			return -EINVAL;
		}
		return 0;
	}
	json_fail(err, CP_JSON_E_TYPE, "%s: unsupported field type", f->name);
	return -EINVAL;
}

int
cp_json_check(const json_t *obj, const struct cp_jfield *fields, size_t n,
	      struct cp_json_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		json_fail(err, CP_JSON_E_INVALID, "the body must be a JSON object");
		return -EINVAL;
	}
	/* jansson has no const iterator; the object is only read */
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (field_find(fields, n, key) != NULL)
			continue;
		if (key_showable(key))
			json_fail(err, CP_JSON_E_UNKNOWN, "%s: unknown field", key);
		else
			json_fail(err, CP_JSON_E_UNKNOWN, "unknown field (name not shown)");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(obj, fields[i].name);
		if (v == NULL) {
			if (fields[i].required) {
				json_fail(err, CP_JSON_E_MISSING, "%s: required", fields[i].name);
				return -EINVAL;
			}
			continue;
		}
		if (field_check(&fields[i], v, err) < 0)
			return -EINVAL;
	}
	return 0;
}

const char *
cp_json_str(const json_t *obj, const char *name, const char *def)
{
	const json_t *v = json_object_get(obj, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

int64_t
cp_json_int(const json_t *obj, const char *name, int64_t def)
{
	const json_t *v = json_object_get(obj, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool
cp_json_bool(const json_t *obj, const char *name, bool def)
{
	const json_t *v = json_object_get(obj, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

char *
cp_json_dump(const json_t *v)
{
	if (v == NULL)
		return NULL;
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
