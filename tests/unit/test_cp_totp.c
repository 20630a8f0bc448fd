/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of HOTP/TOTP (RFC 4226 Appendix D, RFC 6238 Appendix B), code verification with its
 * drift and replay rules, base32 (RFC 4648 §10) and otpauth:// URIs; oathtool, when
 * installed, cross-checks the codes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"

#include "cp_crypto.h"
#include "cp_totp.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t seed20[] = "12345678901234567890";
static const uint8_t seed32[] = "12345678901234567890123456789012";
static const uint8_t seed64[] =
	"1234567890123456789012345678901234567890123456789012345678901234";

/* The six-digit text of the SHA-1 code of step under key. */
static void
code_at(const uint8_t *key, uint64_t step, char out[7])
{
	uint32_t v = 0;

	CU_ASSERT_EQUAL_FATAL(cp_hotp(CP_TOTP_SHA1, key, CP_TOTP_SECRET_LEN, step, 6, &v), 0);
	snprintf(out, 7, "%06" PRIu32, v);
}

/* ---- HOTP / TOTP vectors ---- */

static void
test_hotp_matches_rfc4226_appendix_d(void)
{
	static const uint32_t want[] = {
		755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
	};

	for (uint64_t c = 0; c < ARRAY_LEN(want); c++) {
		uint32_t code = 0;

		CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, seed20, 20, c, 6, &code), 0);
		CU_ASSERT_EQUAL(code, want[c]);
	}
}

static void
test_totp_matches_rfc6238_appendix_b(void)
{
	static const struct {
		uint64_t t;
		enum cp_totp_alg alg;
		uint32_t code;
	} v[] = {
		{ 59, CP_TOTP_SHA1, 94287082 },
		{ 59, CP_TOTP_SHA256, 46119246 },
		{ 59, CP_TOTP_SHA512, 90693936 },
		{ 1111111109, CP_TOTP_SHA1, 7081804 },
		{ 1111111109, CP_TOTP_SHA256, 68084774 },
		{ 1111111109, CP_TOTP_SHA512, 25091201 },
		{ 1111111111, CP_TOTP_SHA1, 14050471 },
		{ 1111111111, CP_TOTP_SHA256, 67062674 },
		{ 1111111111, CP_TOTP_SHA512, 99943326 },
		{ 1234567890, CP_TOTP_SHA1, 89005924 },
		{ 1234567890, CP_TOTP_SHA256, 91819424 },
		{ 1234567890, CP_TOTP_SHA512, 93441116 },
		{ 2000000000, CP_TOTP_SHA1, 69279037 },
		{ 2000000000, CP_TOTP_SHA256, 90698825 },
		{ 2000000000, CP_TOTP_SHA512, 38618901 },
		{ 20000000000ULL, CP_TOTP_SHA1, 65353130 },
		{ 20000000000ULL, CP_TOTP_SHA256, 77737706 },
		{ 20000000000ULL, CP_TOTP_SHA512, 47863826 },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		const uint8_t *key = v[i].alg == CP_TOTP_SHA1 ? seed20 :
				     v[i].alg == CP_TOTP_SHA256 ? seed32 : seed64;
		size_t key_len = v[i].alg == CP_TOTP_SHA1 ? 20 :
				 v[i].alg == CP_TOTP_SHA256 ? 32 : 64;
		uint32_t code = 0;

		CU_ASSERT_EQUAL(cp_hotp(v[i].alg, key, key_len, cp_totp_step(v[i].t), 8, &code), 0);
		CU_ASSERT_EQUAL(code, v[i].code);
	}
}

static void
test_totp_step_is_30_seconds_and_64_bit(void)
{
	CU_ASSERT_EQUAL(cp_totp_step(0), 0);
	CU_ASSERT_EQUAL(cp_totp_step(29), 0);
	CU_ASSERT_EQUAL(cp_totp_step(30), 1);
	CU_ASSERT_EQUAL(cp_totp_step(59), 1);
	CU_ASSERT_EQUAL(cp_totp_step(20000000000ULL), 666666666);
	CU_ASSERT_EQUAL(cp_totp_step(UINT64_MAX), UINT64_MAX / 30);
}

static void
test_hotp_refuses_bad_arguments(void)
{
	uint32_t code = 0;

	CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, seed20, 20, 0, 5, &code), -EINVAL);
	CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, seed20, 20, 0, 9, &code), -EINVAL);
	CU_ASSERT_EQUAL(cp_hotp((enum cp_totp_alg)384, seed20, 20, 0, 6, &code), -EINVAL);
	CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, NULL, 20, 0, 6, &code), -EINVAL);
	CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, seed20, 0, 0, 6, &code), -EINVAL);
	CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, seed20, 20, 0, 6, NULL), -EINVAL);
	/* 7 digits is the 8-digit value mod 10^7 */
	CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, seed20, 20, 1, 7, &code), 0);
	CU_ASSERT_EQUAL(code, 4287082);
}

/* ---- verification ---- */

#define NOW 1111111111ULL  /* step 37037037 */

static void
test_verify_accepts_the_current_step(void)
{
	uint64_t s = cp_totp_step(NOW), got = 0;
	char code[7];

	code_at(seed20, s, code);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, NOW, 0, &got), 0);
	CU_ASSERT_EQUAL(got, s);
	/* fresh after the previous step was used */
	got = 0;
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, NOW, s - 1, &got), 0);
	CU_ASSERT_EQUAL(got, s);
}

static void
test_verify_accepts_one_step_back(void)
{
	uint64_t s = cp_totp_step(NOW), got = 0;
	char code[7];

	code_at(seed20, s - 1, code);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, NOW, 0, &got), 0);
	CU_ASSERT_EQUAL(got, s - 1);
}

static void
test_verify_refuses_two_steps_back_and_the_future(void)
{
	uint64_t s = cp_totp_step(NOW), got = 12345;
	char now[7], back1[7], back2[7], next[7];

	code_at(seed20, s, now);
	code_at(seed20, s - 1, back1);
	code_at(seed20, s - 2, back2);
	code_at(seed20, s + 1, next);
	/* given codes distinct from the two acceptable ones */
	CU_ASSERT_FATAL(strcmp(back2, now) != 0 && strcmp(back2, back1) != 0);
	CU_ASSERT_FATAL(strcmp(next, now) != 0 && strcmp(next, back1) != 0);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, back2, NOW, 0, &got), -EACCES);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, next, NOW, 0, &got), -EACCES);
	CU_ASSERT_EQUAL(got, 12345);
}

static void
test_verify_refuses_a_wrong_code(void)
{
	uint64_t s = cp_totp_step(NOW), got = 0;
	char code[7], back1[7];

	code_at(seed20, s, code);
	code_at(seed20, s - 1, back1);
	code[5] = code[5] == '9' ? '0' : (char)(code[5] + 1);
	CU_ASSERT_FATAL(strcmp(code, back1) != 0);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, NOW, 0, &got), -EACCES);
}

static void
test_verify_refuses_reuse_with_ealready(void)
{
	uint64_t s = cp_totp_step(NOW), got = 0;
	char now[7], back1[7];

	code_at(seed20, s, now);
	code_at(seed20, s - 1, back1);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, now, NOW, s, &got), -EALREADY);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, back1, NOW, s - 1, &got), -EALREADY);
	/* an older code after a newer one was used */
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, back1, NOW, s, &got), -EALREADY);
	/* a step beyond now (clock moved back) blocks everything before it */
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, now, NOW, s + 5, &got), -EALREADY);
}

static void
test_verify_refuses_malformed_codes(void)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12a456", "abcdef", " 123456", "123456 ", "123 456",
		"12345\n", "+12345", "-12345", "\357\274\22123456",  /* a full-width 1 */
	};
	uint64_t got = 0;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_totp_verify(seed20, bad[i], NOW, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, NULL, NOW, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(cp_totp_verify(NULL, "123456", NOW, 0, &got), -EINVAL);
}

static void
test_verify_at_step_zero_and_beyond_2038(void)
{
	uint64_t got = 99;
	char code[7];

	code_at(seed20, 0, code);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, 29, 0, &got), -EALREADY);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, 30, 0, &got), -EALREADY);
	code_at(seed20, 1, code);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, 30, 0, &got), 0);
	CU_ASSERT_EQUAL(got, 1);
	code_at(seed20, cp_totp_step(20000000000ULL), code);
	CU_ASSERT_EQUAL(cp_totp_verify(seed20, code, 20000000000ULL, 666666665, &got), 0);
	CU_ASSERT_EQUAL(got, 666666666);
}

/* ---- base32 ---- */

static void
test_base32_matches_rfc4648_vectors(void)
{
	static const struct {
		const char *raw, *enc, *padded;
	} v[] = {
		{ "", "", "" },
		{ "f", "MY", "MY======" },
		{ "fo", "MZXQ", "MZXQ====" },
		{ "foo", "MZXW6", "MZXW6===" },
		{ "foob", "MZXW6YQ", "MZXW6YQ=" },
		{ "fooba", "MZXW6YTB", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI", "MZXW6YTBOI======" },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		size_t n = strlen(v[i].raw);
		uint8_t out[16];
		char txt[32];

		CU_ASSERT_EQUAL(cp_base32_encode((const uint8_t *)v[i].raw, n, txt, sizeof(txt)),
				(int)strlen(v[i].enc));
		CU_ASSERT_STRING_EQUAL(txt, v[i].enc);
		CU_ASSERT_EQUAL(cp_base32_decode(v[i].enc, out, sizeof(out)), (int)n);
		CU_ASSERT(memcmp(out, v[i].raw, n) == 0);
		memset(out, 0, sizeof(out));
		CU_ASSERT_EQUAL(cp_base32_decode(v[i].padded, out, sizeof(out)), (int)n);
		CU_ASSERT(memcmp(out, v[i].raw, n) == 0);
	}
}

static void
test_base32_decode_is_case_insensitive(void)
{
	uint8_t out[8];

	CU_ASSERT_EQUAL(cp_base32_decode("mzxw6ytboi", out, sizeof(out)), 6);
	CU_ASSERT(memcmp(out, "foobar", 6) == 0);
	CU_ASSERT_EQUAL(cp_base32_decode("mZxW6yQ=", out, sizeof(out)), 4);
	CU_ASSERT(memcmp(out, "foob", 4) == 0);
}

static void
test_base32_round_trips_every_length(void)
{
	uint8_t raw[41], back[41];
	char txt[80];

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(raw); n++) {
		int t = cp_base32_encode(raw, n, txt, sizeof(txt));

		CU_ASSERT_EQUAL(t, (int)((n * 8 + 4) / 5));
		CU_ASSERT_EQUAL(cp_base32_decode(txt, back, sizeof(back)), (int)n);
		CU_ASSERT(memcmp(raw, back, n) == 0);
	}
}

static void
test_base32_refuses_bad_input(void)
{
	static const char *const bad[] = {
		"M", "MZX", "MZXW6Y", "MY=", "MY=====", "MY=======", "MZXW6YQ==", "MZ",
		"MZ======", "MZXW1===", "MZXW 6", "MZXW6=YQ", "MZXW6\n", "MZXW6YTB========",
		"=", "========", "MZXW0", "MZXW8", "MZ-W6",
	};
	uint8_t out[16];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_base32_decode(bad[i], out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_base32_decode(NULL, out, sizeof(out)), -EINVAL);
}

static void
test_base32_reports_small_buffers(void)
{
	uint8_t out[6];
	char txt[11];

	CU_ASSERT_EQUAL(cp_base32_decode("MZXW6YTBOI", out, 5), -ENOSPC);
	CU_ASSERT_EQUAL(cp_base32_decode("MZXW6YTBOI", out, 6), 6);
	CU_ASSERT_EQUAL(cp_base32_encode((const uint8_t *)"foobar", 6, txt, 10), -ENOSPC);
	CU_ASSERT_EQUAL(cp_base32_encode((const uint8_t *)"foobar", 6, txt, 11), 10);
}

/* ---- otpauth:// ---- */

static void
test_uri_has_the_exact_expected_form(void)
{
	static const char want[] =
		"otpauth://totp/Sluice:alice%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		"&issuer=Sluice&algorithm=SHA1&digits=6&period=30";
	char out[256];

	CU_ASSERT_EQUAL(cp_totp_uri("Sluice", "alice@example.org", seed20, out, sizeof(out)),
			(int)strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
}

static void
test_uri_escapes_colons_and_spaces(void)
{
	static const char want[] =
		"otpauth://totp/ACME%20Corp%3AEU:bob%20smith%3A2?secret="
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Corp%3AEU"
		"&algorithm=SHA1&digits=6&period=30";
	/* unreserved characters stay, reserved ones are escaped */
	static const char want2[] =
		"otpauth://totp/a%26b%3Dc%3Fd%2Fe%25:~x_y.z-?secret="
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=a%26b%3Dc%3Fd%2Fe%25"
		"&algorithm=SHA1&digits=6&period=30";
	char out[256];

	CU_ASSERT_EQUAL(cp_totp_uri("ACME Corp:EU", "bob smith:2", seed20, out, sizeof(out)),
			(int)strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(cp_totp_uri("a&b=c?d/e%", "~x_y.z-", seed20, out, sizeof(out)),
			(int)strlen(want2));
	CU_ASSERT_STRING_EQUAL(out, want2);
}

static void
test_uri_refuses_small_buffers_and_empty_names(void)
{
	static const char want[] =
		"otpauth://totp/S:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		"&issuer=S&algorithm=SHA1&digits=6&period=30";
	char out[256];

	memset(out, 'x', sizeof(out));
	CU_ASSERT_EQUAL(cp_totp_uri("S", "a", seed20, out, strlen(want)), -ENOSPC);
	/* a short buffer keeps no part of the secret */
	CU_ASSERT(memchr(out, 'G', strlen(want)) == NULL);
	CU_ASSERT_EQUAL(cp_totp_uri("S", "a", seed20, out, strlen(want) + 1), (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(cp_totp_uri("", "a", seed20, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_totp_uri("S", "", seed20, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_totp_uri(NULL, "a", seed20, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_totp_uri("S", NULL, seed20, out, sizeof(out)), -EINVAL);
}

/* ---- cross-check with oathtool ---- */

static bool
have_oathtool(void)
{
	return system("command -v oathtool >/dev/null 2>&1") == 0;
}

/* Runs oathtool; returns its code or -1. */
static long
oathtool_code(const char *alg, unsigned int digits, const char *secret_b32, uint64_t t)
{
	char cmd[256], line[32];
	long v = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "oathtool --totp=%s -d %u -b --now=@%" PRIu64 " %s 2>/dev/null",
		 alg, digits, t, secret_b32);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL)
		v = strtol(line, NULL, 10);
	if (pclose(f) != 0)
		return -1;
	return v;
}

static void
test_codes_agree_with_oathtool(void)
{
	static const uint64_t times[] = {
		0, 59, 1111111109, 1234567890, 1700000000, 2000000000, 4102444800ULL,
	};
	uint8_t key[CP_TOTP_SECRET_LEN];
	char b32[40], b32_64[128];
	uint8_t key64[64];

	if (!have_oathtool()) {
		CU_PASS("oathtool not installed: cross-check skipped");
		return;
	}
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 29));
	for (size_t i = 0; i < sizeof(key64); i++)
		key64[i] = (uint8_t)(i * 53 + 7);
	CU_ASSERT_FATAL(cp_base32_encode(key, sizeof(key), b32, sizeof(b32)) == 32);
	CU_ASSERT_FATAL(cp_base32_encode(key64, sizeof(key64), b32_64, sizeof(b32_64)) > 0);
	for (size_t i = 0; i < ARRAY_LEN(times); i++) {
		uint64_t t = times[i], got = 0;
		uint32_t mine = 0;
		char code[8];
		long theirs;

		theirs = oathtool_code("sha1", 6, b32, t);
		CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA1, key, sizeof(key), cp_totp_step(t), 6, &mine),
				0);
		CU_ASSERT_EQUAL(theirs, (long)mine);
		snprintf(code, sizeof(code), "%06ld", theirs);
		CU_ASSERT_EQUAL(cp_totp_verify(key, code, t, 0, &got), t < 30 ? -EALREADY : 0);

		theirs = oathtool_code("sha256", 8, b32_64, t);
		CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA256, key64, sizeof(key64), cp_totp_step(t), 8,
					&mine), 0);
		CU_ASSERT_EQUAL(theirs, (long)mine);

		theirs = oathtool_code("sha512", 7, b32_64, t);
		CU_ASSERT_EQUAL(cp_hotp(CP_TOTP_SHA512, key64, sizeof(key64), cp_totp_step(t), 7,
					&mine), 0);
		CU_ASSERT_EQUAL(theirs, (long)mine);
	}
}

static const struct ut_test totp_tests[] = {
	{ "hotp matches RFC 4226 Appendix D", test_hotp_matches_rfc4226_appendix_d },
	{ "totp matches RFC 6238 Appendix B", test_totp_matches_rfc6238_appendix_b },
	{ "totp step is 30 seconds and 64-bit", test_totp_step_is_30_seconds_and_64_bit },
	{ "hotp refuses bad arguments", test_hotp_refuses_bad_arguments },
	{ "codes agree with oathtool", test_codes_agree_with_oathtool },
	{ NULL, NULL },
};

static const struct ut_test verify_tests[] = {
	{ "accepts the current step", test_verify_accepts_the_current_step },
	{ "accepts one step back", test_verify_accepts_one_step_back },
	{ "refuses two steps back and the future",
	  test_verify_refuses_two_steps_back_and_the_future },
	{ "refuses a wrong code", test_verify_refuses_a_wrong_code },
	{ "refuses reuse with EALREADY", test_verify_refuses_reuse_with_ealready },
	{ "refuses malformed codes", test_verify_refuses_malformed_codes },
	{ "at step zero and beyond 2038", test_verify_at_step_zero_and_beyond_2038 },
	{ NULL, NULL },
};

static const struct ut_test base32_tests[] = {
	{ "matches RFC 4648 vectors", test_base32_matches_rfc4648_vectors },
	{ "decode is case-insensitive", test_base32_decode_is_case_insensitive },
	{ "round trips every length", test_base32_round_trips_every_length },
	{ "refuses bad input", test_base32_refuses_bad_input },
	{ "reports small buffers", test_base32_reports_small_buffers },
	{ NULL, NULL },
};

static const struct ut_test uri_tests[] = {
	{ "has the exact expected form", test_uri_has_the_exact_expected_form },
	{ "escapes colons and spaces", test_uri_escapes_colons_and_spaces },
	{ "refuses small buffers and empty names",
	  test_uri_refuses_small_buffers_and_empty_names },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "hotp/totp", NULL, NULL, totp_tests },
	{ "verify", NULL, NULL, verify_tests },
	{ "base32", NULL, NULL, base32_tests },
	{ "otpauth uri", NULL, NULL, uri_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
