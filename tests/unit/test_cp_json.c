/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_json: limits at their boundaries (size, depth with brackets hidden in strings),
 * duplicate keys, invalid and non-object bodies, NUL and trailing data; the field table
 * check (unknown, missing, types, ranges, name_like); accessors and dump.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ut.h"

#include "cp_json.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct cp_json_limits lim = { .max_bytes = 256, .max_depth = 3 };
static struct cp_json_err err;

/* Parses a C string under lim. */
static json_t *
parse(const char *s)
{
	memset(&err, 0, sizeof(err));
	return cp_json_parse(s, strlen(s), &lim, &err);
}

#define ASSERT_PARSES(s) do { \
	json_t *v_ = parse(s); \
	if (v_ == NULL) \
		fprintf(stderr, "\nrefused %s: %s %s\n", s, err.code, err.message); \
	CU_ASSERT_PTR_NOT_NULL(v_); \
	CU_ASSERT_TRUE(json_is_object(v_)); \
	json_decref(v_); \
} while (0)

#define ASSERT_REFUSED(s, c) do { \
	json_t *v_ = parse(s); \
	CU_ASSERT_PTR_NULL(v_); \
	json_decref(v_); \
	CU_ASSERT_PTR_NOT_NULL_FATAL(err.code); \
	CU_ASSERT_STRING_EQUAL(err.code, c); \
	CU_ASSERT_TRUE(err.message[0] != '\0'); \
} while (0)

/* {"a":"xxx..."} of exactly n bytes (n >= 8) */
static char *
body_of_size(size_t n)
{
	char *b = malloc(n + 1);

	if (b == NULL)
		return NULL;
	memcpy(b, "{\"a\":\"", 6);
	memset(b + 6, 'x', n - 8);
	memcpy(b + n - 2, "\"}", 2);
	b[n] = '\0';
	return b;
}

/* ---- limits ---- */

static void
test_body_of_exactly_max_bytes_is_accepted(void)
{
	char *b = body_of_size(lim.max_bytes);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(strlen(b), 256);
	ASSERT_PARSES(b);
	free(b);
}

static void
test_body_one_byte_over_max_is_too_large(void)
{
	char *b = body_of_size(lim.max_bytes + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	ASSERT_REFUSED(b, CP_JSON_E_TOO_LARGE);
	free(b);
}

static void
test_size_is_checked_before_syntax(void)
{
	char junk[300];

	memset(junk, '{', sizeof(junk));
	memset(&err, 0, sizeof(err));
	CU_ASSERT_PTR_NULL(cp_json_parse(junk, sizeof(junk), &lim, &err));
	CU_ASSERT_STRING_EQUAL(err.code, CP_JSON_E_TOO_LARGE);
}

static void
test_depth_at_max_is_accepted(void)
{
	ASSERT_PARSES("{\"a\":{\"b\":[1]}}");
	ASSERT_PARSES("{\"a\":[{}],\"b\":[[]]}");
}

static void
test_depth_one_over_max_is_too_deep(void)
{
	ASSERT_REFUSED("{\"a\":{\"b\":[[1]]}}", CP_JSON_E_TOO_DEEP);
	ASSERT_REFUSED("{\"a\":[{\"b\":{}}]}", CP_JSON_E_TOO_DEEP);
}

static void
test_depth_is_checked_before_syntax(void)
{
	/* not JSON at all, but too deep first */
	ASSERT_REFUSED("[[[[", CP_JSON_E_TOO_DEEP);
	ASSERT_REFUSED("}}}{{{{", CP_JSON_E_TOO_DEEP);
}

static void
test_brackets_inside_strings_do_not_count(void)
{
	ASSERT_PARSES("{\"a\":\"[[[[{{{{\",\"[{[{\":1}");
	ASSERT_PARSES("{\"a\":{\"b\":[\"]]]]}}}}[[[[{{{{\"]}}");
}

static void
test_escaped_quotes_do_not_end_strings(void)
{
	/* a scan that ended the string at \" would count four brackets */
	ASSERT_PARSES("{\"a\":\"\\\"[[[[\\\"\"}");
	ASSERT_PARSES("{\"a\\\"{{{{\":true}");
}

static void
test_escaped_backslash_ends_before_the_quote(void)
{
	/* "\\" is a complete string: the brackets after it count */
	ASSERT_PARSES("{\"a\":\"\\\\\",\"b\":{\"c\":[]}}");
	ASSERT_REFUSED("{\"a\":\"\\\\\",\"b\":{\"c\":[[]]}}", CP_JSON_E_TOO_DEEP);
}

/* ---- syntax ---- */

static void
test_duplicate_keys_are_refused(void)
{
	ASSERT_REFUSED("{\"a\":1,\"a\":1}", CP_JSON_E_DUPLICATE);
	ASSERT_REFUSED("{\"a\":1,\"b\":2,\"a\":\"x\"}", CP_JSON_E_DUPLICATE);
}

static void
test_nested_duplicate_keys_are_refused(void)
{
	ASSERT_REFUSED("{\"o\":{\"x\":1,\"x\":2}}", CP_JSON_E_DUPLICATE);
	ASSERT_REFUSED("{\"l\":[{\"x\":1},{\"y\":1,\"y\":1}]}", CP_JSON_E_DUPLICATE);
	/* the same key in different objects is fine */
	ASSERT_PARSES("{\"x\":1,\"o\":{\"x\":1},\"l\":[{\"x\":1},{\"x\":1}]}");
}

static void
test_invalid_json_is_refused(void)
{
	static const char *const bad[] = {
		"{", "}", "{\"a\"}", "{\"a\":}", "{'a':1}", "{a:1}", "{\"a\":1,}",
		"{\"a\":01}", "{\"a\":tru}", "{\"a\":\"\\q\"}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\xc3\"}", "{\"a\":\"x\ny\"}", "{\"a\":99999999999999999999}",
		" ", "\xef\xbb\xbf{}",
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ASSERT_REFUSED(bad[i], CP_JSON_E_INVALID);
}

static void
test_top_level_must_be_an_object(void)
{
	static const char *const bad[] = {
		"[]", "[{}]", "1", "-1.5", "\"{}\"", "null", "true", "false",
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ASSERT_REFUSED(bad[i], CP_JSON_E_INVALID);
}

static void
test_nul_in_strings_is_refused(void)
{
	static const char raw[] = "{\"a\":\"x\0y\"}";

	ASSERT_REFUSED("{\"a\":\"x\\u0000y\"}", CP_JSON_E_INVALID);
	ASSERT_REFUSED("{\"a\\u0000\":1}", CP_JSON_E_INVALID);
	memset(&err, 0, sizeof(err));
	CU_ASSERT_PTR_NULL(cp_json_parse(raw, sizeof(raw) - 1, &lim, &err));
	CU_ASSERT_STRING_EQUAL(err.code, CP_JSON_E_INVALID);
}

static void
test_trailing_data_is_refused(void)
{
	ASSERT_REFUSED("{} x", CP_JSON_E_INVALID);
	ASSERT_REFUSED("{}{}", CP_JSON_E_INVALID);
	ASSERT_REFUSED("{\"a\":1}]", CP_JSON_E_INVALID);
	ASSERT_REFUSED("{}\n0", CP_JSON_E_INVALID);
	/* whitespace is not data */
	ASSERT_PARSES(" {} \r\n\t");
}

static void
test_length_is_honoured_not_the_nul(void)
{
	json_t *v;

	/* the buffer goes on past len: only len bytes are the body */
	memset(&err, 0, sizeof(err));
	v = cp_json_parse("{\"a\":1} trailing", 7, &lim, &err);

	CU_ASSERT_PTR_NOT_NULL(v);
	CU_ASSERT_EQUAL(cp_json_int(v, "a", 0), 1);
	json_decref(v);
}

static void
test_empty_body_is_an_empty_object(void)
{
	json_t *v;

	memset(&err, 0, sizeof(err));
	v = cp_json_parse("", 0, &lim, &err);
	CU_ASSERT_TRUE(json_is_object(v));
	CU_ASSERT_EQUAL(json_object_size(v), 0);
	json_decref(v);
	v = cp_json_parse(NULL, 0, &lim, &err);
	CU_ASSERT_TRUE(json_is_object(v));
	CU_ASSERT_EQUAL(json_object_size(v), 0);
	json_decref(v);
}

static void
test_missing_buffer_or_limits_is_invalid(void)
{
	memset(&err, 0, sizeof(err));
	CU_ASSERT_PTR_NULL(cp_json_parse(NULL, 2, &lim, &err));
	CU_ASSERT_STRING_EQUAL(err.code, CP_JSON_E_INVALID);
	memset(&err, 0, sizeof(err));
	CU_ASSERT_PTR_NULL(cp_json_parse("{}", 2, NULL, &err));
	CU_ASSERT_STRING_EQUAL(err.code, CP_JSON_E_INVALID);
	/* no err to fill: still refused, no crash */
	CU_ASSERT_PTR_NULL(cp_json_parse("[", 1, &lim, NULL));
}

static void
test_parse_errors_do_not_quote_the_body(void)
{
	ASSERT_REFUSED("{\"password\":\"hunter2hunter2\" x}", CP_JSON_E_INVALID);
	CU_ASSERT_PTR_NULL(strstr(err.message, "hunter2"));
	ASSERT_REFUSED("{\"password\":hunter2hunter2}", CP_JSON_E_INVALID);
	CU_ASSERT_PTR_NULL(strstr(err.message, "hunter2"));
	ASSERT_REFUSED("{\"hunter2\":1,\"hunter2\":2}", CP_JSON_E_DUPLICATE);
	CU_ASSERT_PTR_NULL(strstr(err.message, "hunter2"));
}

/* ---- field table ---- */

static const struct cp_jfield fields[] = {
	{ .name = "name", .type = CP_JT_STRING, .required = true, .name_like = true,
	  .min = 1, .max = 64 },
	{ .name = "password", .type = CP_JT_STRING, .min = 12, .max = 256 },
	{ .name = "max_legs", .type = CP_JT_INT, .min = 2, .max = 1000 },
	{ .name = "send", .type = CP_JT_BOOL },
};

/* Parses s (which must parse) and checks it against fields. */
static int
check(const char *s)
{
	json_t *v = parse(s);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	memset(&err, 0, sizeof(err));
	rc = cp_json_check(v, fields, ARRAY_LEN(fields), &err);
	json_decref(v);
	return rc;
}

#define ASSERT_CHECK_OK(s) do { \
	int rc_ = check(s); \
	if (rc_ != 0) \
		fprintf(stderr, "\nrefused %s: %s %s\n", s, err.code, err.message); \
	CU_ASSERT_EQUAL(rc_, 0); \
} while (0)

#define ASSERT_CHECK_FAILS(s, c, msg) do { \
	CU_ASSERT_EQUAL(check(s), -EINVAL); \
	CU_ASSERT_PTR_NOT_NULL_FATAL(err.code); \
	CU_ASSERT_STRING_EQUAL(err.code, c); \
	if (strcmp(err.message, msg) != 0) \
		fprintf(stderr, "\n%s: message \"%s\", expected \"%s\"\n", s, err.message, msg); \
	CU_ASSERT_STRING_EQUAL(err.message, msg); \
} while (0)

static void
test_check_accepts_known_fields_of_right_types(void)
{
	ASSERT_CHECK_OK("{\"name\":\"alice\"}");
	ASSERT_CHECK_OK("{\"name\":\"Alice.B_c@d-1\",\"password\":\"correct horse!\","
			"\"max_legs\":10,\"send\":false}");
}

static void
test_check_refuses_unknown_fields_by_name(void)
{
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"role\":\"admin\"}", CP_JSON_E_UNKNOWN,
			   "role: unknown field");
	ASSERT_CHECK_FAILS("{\"Name\":\"a\"}", CP_JSON_E_UNKNOWN, "Name: unknown field");
}

static void
test_check_does_not_echo_odd_or_long_keys(void)
{
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"my secret\":1}", CP_JSON_E_UNKNOWN,
			   "unknown field (name not shown)");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"abcdefghijklmnopqrstuvwxyz0123456\":1}",
			   CP_JSON_E_UNKNOWN, "unknown field (name not shown)");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"\":1}", CP_JSON_E_UNKNOWN,
			   "unknown field (name not shown)");
}

static void
test_check_refuses_missing_required_field(void)
{
	ASSERT_CHECK_FAILS("{}", CP_JSON_E_MISSING, "name: required");
	ASSERT_CHECK_FAILS("{\"send\":true}", CP_JSON_E_MISSING, "name: required");
}

static void
test_check_refuses_wrong_types(void)
{
	ASSERT_CHECK_FAILS("{\"name\":5}", CP_JSON_E_TYPE, "name: must be a string of 1..64 bytes");
	ASSERT_CHECK_FAILS("{\"name\":null}", CP_JSON_E_TYPE,
			   "name: must be a string of 1..64 bytes");
	ASSERT_CHECK_FAILS("{\"name\":[\"a\"]}", CP_JSON_E_TYPE,
			   "name: must be a string of 1..64 bytes");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":\"5\"}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":{}}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"send\":1}", CP_JSON_E_TYPE,
			   "send: must be true or false");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"send\":\"true\"}", CP_JSON_E_TYPE,
			   "send: must be true or false");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"send\":null}", CP_JSON_E_TYPE,
			   "send: must be true or false");
}

static void
test_check_refuses_bool_for_int(void)
{
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":true}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":false}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
}

static void
test_check_refuses_real_for_int(void)
{
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":5.0}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":1e2}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":5.5}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
}

static void
test_check_int_range_edges(void)
{
	ASSERT_CHECK_OK("{\"name\":\"a\",\"max_legs\":2}");
	ASSERT_CHECK_OK("{\"name\":\"a\",\"max_legs\":1000}");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":1}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":1001}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":-2}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":9223372036854775807}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"max_legs\":-9223372036854775808}", CP_JSON_E_TYPE,
			   "max_legs: must be an integer in 2..1000");
}

static void
test_check_string_length_edges_in_bytes(void)
{
	char body[512];

	ASSERT_CHECK_OK("{\"name\":\"a\",\"password\":\"123456789012\"}");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"password\":\"12345678901\"}", CP_JSON_E_TYPE,
			   "password: must be a string of 12..256 bytes");
	/* six two-byte characters are twelve bytes */
	ASSERT_CHECK_OK("{\"name\":\"a\",\"password\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			"\xc3\xa9\"}");
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"password\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
			   CP_JSON_E_TYPE, "password: must be a string of 12..256 bytes");
	ASSERT_CHECK_FAILS("{\"name\":\"\"}", CP_JSON_E_TYPE,
			   "name: must be a string of 1..64 bytes");
	snprintf(body, sizeof(body), "{\"name\":\"%.64s\"}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ASSERT_CHECK_OK(body);
	snprintf(body, sizeof(body), "{\"name\":\"%.65s\"}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ASSERT_CHECK_FAILS(body, CP_JSON_E_TYPE, "name: must be a string of 1..64 bytes");
}

static void
test_check_long_string_at_max(void)
{
	static const struct cp_json_limits big = { .max_bytes = 1024, .max_depth = 2 };
	char body[600];
	json_t *v;

	for (size_t len = 256; len <= 257; len++) {
		int n = snprintf(body, sizeof(body), "{\"name\":\"a\",\"password\":\"%0*d\"}",
				 (int)len, 0);

		memset(&err, 0, sizeof(err));
		v = cp_json_parse(body, (size_t)n, &big, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(cp_json_check(v, fields, ARRAY_LEN(fields), &err),
				len == 256 ? 0 : -EINVAL);
		json_decref(v);
	}
}

static void
test_check_name_like_refuses_other_characters(void)
{
	static const char *const bad[] = {
		"a b", "a/b", "a:b", "a\\\\b", "a\\\"b", "<x>", "a\\tb", "a,b", "a+b", "a%b",
		"\xc3\xa9", "caf\\u00e9", "\\u0430dmin", "a\\u200bb", "\xe2\x80\x8b",
	};
	char body[128];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"%s\"}", bad[i]);
		ASSERT_CHECK_FAILS(body, CP_JSON_E_TYPE,
				   "name: must be 1..64 of A-Z a-z 0-9 . _ @ -");
	}
	/* name_like is only where the table says: the password takes anything */
	ASSERT_CHECK_OK("{\"name\":\"a\",\"password\":\"a b/c:d\\\\e \\u00e9!\"}");
}

static void
test_check_messages_do_not_quote_values(void)
{
	ASSERT_CHECK_FAILS("{\"name\":\"a\",\"password\":\"hunter2\"}", CP_JSON_E_TYPE,
			   "password: must be a string of 12..256 bytes");
	CU_ASSERT_PTR_NULL(strstr(err.message, "hunter2"));
	ASSERT_CHECK_FAILS("{\"name\":\"bad name\"}", CP_JSON_E_TYPE,
			   "name: must be 1..64 of A-Z a-z 0-9 . _ @ -");
	CU_ASSERT_PTR_NULL(strstr(err.message, "bad name"));
}

static void
test_check_refuses_non_object(void)
{
	json_t *a = json_array();

	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(cp_json_check(a, fields, ARRAY_LEN(fields), &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, CP_JSON_E_INVALID);
	CU_ASSERT_EQUAL(cp_json_check(NULL, fields, ARRAY_LEN(fields), &err), -EINVAL);
	json_decref(a);
}

static void
test_check_refuses_nul_in_string_built_in_memory(void)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_stringn("a\0b", 3));
	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(cp_json_check(o, fields, ARRAY_LEN(fields), &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, CP_JSON_E_TYPE);
	json_decref(o);
}

/* ---- accessors ---- */

static void
test_accessors_return_values(void)
{
	json_t *v = parse("{\"s\":\"text\",\"i\":-42,\"b\":true,\"f\":false,"
			  "\"big\":9223372036854775807}");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(cp_json_str(v, "s", "def"), "text");
	CU_ASSERT_EQUAL(cp_json_int(v, "i", 7), -42);
	CU_ASSERT_EQUAL(cp_json_int(v, "big", 7), INT64_MAX);
	CU_ASSERT_EQUAL(cp_json_bool(v, "b", false), true);
	CU_ASSERT_EQUAL(cp_json_bool(v, "f", true), false);
	json_decref(v);
}

static void
test_accessors_return_defaults_when_absent_or_other_type(void)
{
	json_t *v = parse("{\"s\":5,\"i\":\"5\",\"r\":5.0,\"b\":1,\"t\":true,\"n\":null}");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(cp_json_str(v, "absent", "def"), "def");
	CU_ASSERT_PTR_NULL(cp_json_str(v, "absent", NULL));
	CU_ASSERT_STRING_EQUAL(cp_json_str(v, "s", "def"), "def");
	CU_ASSERT_STRING_EQUAL(cp_json_str(v, "n", "def"), "def");
	CU_ASSERT_EQUAL(cp_json_int(v, "absent", 7), 7);
	CU_ASSERT_EQUAL(cp_json_int(v, "i", 7), 7);
	CU_ASSERT_EQUAL(cp_json_int(v, "r", 7), 7);
	CU_ASSERT_EQUAL(cp_json_int(v, "t", 7), 7);
	CU_ASSERT_EQUAL(cp_json_bool(v, "absent", true), true);
	CU_ASSERT_EQUAL(cp_json_bool(v, "b", true), true);
	CU_ASSERT_EQUAL(cp_json_bool(v, "n", false), false);
	CU_ASSERT_EQUAL(cp_json_int(NULL, "i", 3), 3);
	CU_ASSERT_STRING_EQUAL(cp_json_str(NULL, "s", "d"), "d");
	CU_ASSERT_EQUAL(cp_json_bool(NULL, "b", true), true);
	json_decref(v);
}

static void
test_dump_is_compact(void)
{
	json_t *v = parse("{ \"a\" : 1 ,\n \"b\" : [ \"x\" , true ], \"c\": {} }");
	json_t *s = json_string("only");
	char *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	out = cp_json_dump(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "{\"a\":1,\"b\":[\"x\",true],\"c\":{}}");
	free(out);
	out = cp_json_dump(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "\"only\"");
	free(out);
	CU_ASSERT_PTR_NULL(cp_json_dump(NULL));
	json_decref(s);
	json_decref(v);
}

static const struct ut_test limit_tests[] = {
	{ "body of exactly max_bytes is accepted", test_body_of_exactly_max_bytes_is_accepted },
	{ "body one byte over max is too large", test_body_one_byte_over_max_is_too_large },
	{ "size is checked before syntax", test_size_is_checked_before_syntax },
	{ "depth at max is accepted", test_depth_at_max_is_accepted },
	{ "depth one over max is too deep", test_depth_one_over_max_is_too_deep },
	{ "depth is checked before syntax", test_depth_is_checked_before_syntax },
	{ "brackets inside strings do not count", test_brackets_inside_strings_do_not_count },
	{ "escaped quotes do not end strings", test_escaped_quotes_do_not_end_strings },
	{ "escaped backslash ends before the quote",
	  test_escaped_backslash_ends_before_the_quote },
	{ NULL, NULL },
};

static const struct ut_test syntax_tests[] = {
	{ "duplicate keys are refused", test_duplicate_keys_are_refused },
	{ "nested duplicate keys are refused", test_nested_duplicate_keys_are_refused },
	{ "invalid JSON is refused", test_invalid_json_is_refused },
	{ "top level must be an object", test_top_level_must_be_an_object },
	{ "NUL in strings is refused", test_nul_in_strings_is_refused },
	{ "trailing data is refused", test_trailing_data_is_refused },
	{ "length is honoured, not the NUL", test_length_is_honoured_not_the_nul },
	{ "empty body is an empty object", test_empty_body_is_an_empty_object },
	{ "missing buffer or limits is invalid", test_missing_buffer_or_limits_is_invalid },
	{ "parse errors do not quote the body", test_parse_errors_do_not_quote_the_body },
	{ NULL, NULL },
};

static const struct ut_test check_tests[] = {
	{ "accepts known fields of right types", test_check_accepts_known_fields_of_right_types },
	{ "refuses unknown fields by name", test_check_refuses_unknown_fields_by_name },
	{ "does not echo odd or long keys", test_check_does_not_echo_odd_or_long_keys },
	{ "refuses missing required field", test_check_refuses_missing_required_field },
	{ "refuses wrong types", test_check_refuses_wrong_types },
	{ "refuses bool for int", test_check_refuses_bool_for_int },
	{ "refuses real for int", test_check_refuses_real_for_int },
	{ "int range edges", test_check_int_range_edges },
	{ "string length edges in bytes", test_check_string_length_edges_in_bytes },
	{ "long string at max", test_check_long_string_at_max },
	{ "name_like refuses other characters", test_check_name_like_refuses_other_characters },
	{ "messages do not quote values", test_check_messages_do_not_quote_values },
	{ "refuses non-object", test_check_refuses_non_object },
	{ "refuses NUL in string built in memory",
	  test_check_refuses_nul_in_string_built_in_memory },
	{ NULL, NULL },
};

static const struct ut_test accessor_tests[] = {
	{ "accessors return values", test_accessors_return_values },
	{ "accessors return defaults when absent or other type",
	  test_accessors_return_defaults_when_absent_or_other_type },
	{ "dump is compact", test_dump_is_compact },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "cp_json limits", NULL, NULL, limit_tests },
	{ "cp_json syntax", NULL, NULL, syntax_tests },
	{ "cp_json check", NULL, NULL, check_tests },
	{ "cp_json accessors", NULL, NULL, accessor_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
