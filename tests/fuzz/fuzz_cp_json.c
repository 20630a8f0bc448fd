/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_json_parse under limits, then cp_json_check against a small field table. Beyond "no
 * crash, no leak": an accepted body is an object within the limits that survives a dump
 * and reparse unchanged; a checked one has every field of the right type and range; every
 * refusal carries a known code and a printable message.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cp_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cp_json_limits lim = { .max_bytes = 4096, .max_depth = 4 };

static const struct cp_jfield fields[] = {
	{ .name = "name", .type = CP_JT_STRING, .required = true, .name_like = true,
	  .min = 1, .max = 64 },
	{ .name = "password", .type = CP_JT_STRING, .min = 0, .max = 256 },
	{ .name = "max_legs", .type = CP_JT_INT, .min = 2, .max = 1000 },
	{ .name = "ttl", .type = CP_JT_INT, .min = INT64_MIN, .max = INT64_MAX },
	{ .name = "send", .type = CP_JT_BOOL },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static void
check_err(const struct cp_json_err *err)
{
	static const char *const codes[] = {
		CP_JSON_E_TOO_LARGE, CP_JSON_E_TOO_DEEP, CP_JSON_E_DUPLICATE, CP_JSON_E_INVALID,
		CP_JSON_E_UNKNOWN, CP_JSON_E_MISSING, CP_JSON_E_TYPE,
	};
	bool known = false;
	size_t n;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		known = known || (err->code != NULL && strcmp(err->code, codes[i]) == 0);
	n = strnlen(err->message, sizeof(err->message));
	if (!known || n == 0 || n == sizeof(err->message))
		abort();
	for (size_t i = 0; i < n; i++)
		if (err->message[i] < 0x20 || err->message[i] > 0x7e)
			abort();
}

static unsigned int
depth_of(const json_t *v)
{
	unsigned int d = 0, sub;
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, key, e) {
			sub = depth_of(e);
			d = sub > d ? sub : d;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			sub = depth_of(e);
			d = sub > d ? sub : d;
		}
		return d + 1;
	}
	return 0;
}

static void
check_fields(const json_t *obj)
{
	const json_t *v = json_object_get(obj, "name");
	const char *name = cp_json_str(obj, "name", NULL);
	int64_t legs = cp_json_int(obj, "max_legs", 2);

	if (v == NULL || name == NULL || strlen(name) < 1 || strlen(name) > 64 ||
	    strlen(name) != json_string_length(v))
		abort();
	for (const char *p = name; *p != '\0'; p++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-",
			   *p) == NULL)
			abort();
	if (legs < 2 || legs > 1000)
		abort();
	v = json_object_get(obj, "password");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) > 256))
		abort();
	v = json_object_get(obj, "send");
	if (v != NULL && !json_is_boolean(v))
		abort();
	if (json_object_size(obj) > N_FIELDS)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_json_err err;
	json_t *v, *again;
	char *dump;

	memset(&err, 0, sizeof(err));
	v = cp_json_parse((const char *)data, size, &lim, &err);
	if (v == NULL) {
		check_err(&err);
		return 0;
	}
	if (!json_is_object(v) || size > lim.max_bytes || depth_of(v) > lim.max_depth)
		abort();

	dump = cp_json_dump(v);
	if (dump == NULL)
		abort();
	again = json_loads(dump, JSON_REJECT_DUPLICATES, NULL);
	if (again == NULL || !json_equal(v, again))
		abort();
	json_decref(again);
	free(dump);

	memset(&err, 0, sizeof(err));
	if (cp_json_check(v, fields, N_FIELDS, &err) == 0)
		check_fields(v);
	else
		check_err(&err);
	json_decref(v);
	return 0;
}
