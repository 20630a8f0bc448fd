/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of sluicectl's SDES key handling: strict base64, inline key-params and key
 * sources (argument, @FILE, standard input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ut.h"

#include "ctl_sdes.h"
#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* base64 of bytes 0, 1, 2, ... n-1 for the suites' lengths */
#define B64_28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
#define B64_30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define B64_44 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="
#define B64_29 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw="

static bool
is_counting(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != i)
			return false;
	return true;
}

/* ---- base64 ---- */

static void
test_base64_decodes_rfc4648_vectors(void)
{
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
		{ "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" }, { "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" }, { "+/+/", "\xfb\xff\xbf" },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		uint8_t out[16];
		int n = ctl_base64_decode(v[i].in, strlen(v[i].in), out, sizeof(out));

		CU_ASSERT_EQUAL(n, (int)strlen(v[i].out));
		CU_ASSERT(n > 0 && memcmp(out, v[i].out, (size_t)n) == 0);
	}
}

static void
test_base64_refuses_everything_not_strict(void)
{
	static const char *const bad[] = {
		"", "Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n",
		" Zm9v", "=Zm9", "Zg==Zg==", "Zm-v", "Zm_v", "Zm9v=", "Zm9vY",
	};
	uint8_t out[16];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(ctl_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
	/* a NUL inside the counted length */
	CU_ASSERT_EQUAL(ctl_base64_decode("Zm9\0", 4, out, sizeof(out)), -1);
}

static void
test_base64_respects_cap_and_wipes_on_failure(void)
{
	uint8_t out[6];

	CU_ASSERT_EQUAL(ctl_base64_decode("Zm9vYmFy", 8, out, 6), 6);
	CU_ASSERT_EQUAL(ctl_base64_decode("Zm9vYmFy", 8, out, 5), -1);
	CU_ASSERT_EQUAL(ctl_base64_decode("Zm9vYg==", 8, out, 4), 4);
	CU_ASSERT_EQUAL(ctl_base64_decode("Zm9vYg==", 8, out, 3), -1);
	/* the first group decodes, the second fails: nothing decoded is left (the decoder runs
	 * over every digit, in constant time, and wipes all it wrote) */
	memset(out, 0xee, sizeof(out));
	CU_ASSERT_EQUAL(ctl_base64_decode("Zm9vYm!y", 8, out, sizeof(out)), -1);
	for (size_t i = 0; i < sizeof(out); i++)
		CU_ASSERT_EQUAL(out[i], 0);
}

/* ---- inline key-params ---- */

static void
test_sdes_accepts_each_suite_at_its_length(void)
{
	static const struct {
		uint8_t suite;
		const char *key;
		int len;
	} v[] = {
		{ DP_SUITE_AES_CM_128_HMAC_SHA1_80, "inline:" B64_30, 30 },
		{ DP_SUITE_AES_CM_128_HMAC_SHA1_32, "inline:" B64_30, 30 },
		{ DP_SUITE_AEAD_AES_128_GCM, "inline:" B64_28, 28 },
		{ DP_SUITE_AEAD_AES_256_GCM, "inline:" B64_44, 44 },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		uint8_t master[DP_MASTER_MAX];
		char err[128] = "";

		CU_ASSERT_EQUAL(ctl_sdes_parse(v[i].key, v[i].suite, master, sizeof(master), err,
					       sizeof(err)), v[i].len);
		CU_ASSERT(is_counting(master, (size_t)v[i].len));
		CU_ASSERT_STRING_EQUAL(err, "");
	}
}

static void
test_sdes_wrong_length_names_the_expected_one(void)
{
	static const struct {
		uint8_t suite;
		const char *key;
		const char *err;
	} v[] = {
		{ DP_SUITE_AES_CM_128_HMAC_SHA1_80, "inline:" B64_28,
		  "key+salt is 28 bytes, AES_CM_128_HMAC_SHA1_80 needs 30 (16-byte key, "
		  "14-byte salt)" },
		{ DP_SUITE_AEAD_AES_128_GCM, "inline:" B64_30,
		  "key+salt is 30 bytes, AEAD_AES_128_GCM needs 28 (16-byte key, 12-byte salt)" },
		{ DP_SUITE_AEAD_AES_256_GCM, "inline:" B64_30,
		  "key+salt is 30 bytes, AEAD_AES_256_GCM needs 44 (32-byte key, 12-byte salt)" },
		{ DP_SUITE_AES_CM_128_HMAC_SHA1_32, "inline:" B64_44,
		  "key+salt is 44 bytes, AES_CM_128_HMAC_SHA1_32 needs 30 (16-byte key, "
		  "14-byte salt)" },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		uint8_t master[DP_MASTER_MAX];
		char err[128];

		CU_ASSERT_EQUAL(ctl_sdes_parse(v[i].key, v[i].suite, master, sizeof(master), err,
					       sizeof(err)), -1);
		CU_ASSERT_STRING_EQUAL(err, v[i].err);
	}
}

static void
test_sdes_without_suite_takes_any_suite_length(void)
{
	uint8_t master[DP_MASTER_MAX];
	char err[128];

	CU_ASSERT_EQUAL(ctl_sdes_parse("inline:" B64_28, DP_SUITE_NONE, master, sizeof(master),
				       err, sizeof(err)), 28);
	CU_ASSERT_EQUAL(ctl_sdes_parse("inline:" B64_30, DP_SUITE_NONE, master, sizeof(master),
				       err, sizeof(err)), 30);
	CU_ASSERT_EQUAL(ctl_sdes_parse("inline:" B64_44, DP_SUITE_NONE, master, sizeof(master),
				       err, sizeof(err)), 44);
	CU_ASSERT_EQUAL(ctl_sdes_parse("inline:" B64_29, DP_SUITE_NONE, master, sizeof(master),
				       err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "key+salt is 29 bytes, no suite uses that length");
}

static void
test_sdes_lifetime_accepted_and_ignored(void)
{
	static const char *const ok[] = {
		"inline:" B64_30 "|2^31", "inline:" B64_30 "|2^48", "inline:" B64_30 "|1000",
		"inline:" B64_30 "|0",
	};

	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		uint8_t master[DP_MASTER_MAX];
		char err[128];

		CU_ASSERT_EQUAL(ctl_sdes_parse(ok[i], DP_SUITE_AES_CM_128_HMAC_SHA1_80, master,
					       sizeof(master), err, sizeof(err)), 30);
		CU_ASSERT(is_counting(master, 30));
	}
}

static void
test_sdes_refuses_mki_and_malformed_params(void)
{
	static const struct {
		const char *key;
		const char *err;
	} v[] = {
		{ "inline:" B64_30 "|1:4", "MKI is not supported" },
		{ "inline:" B64_30 "|2^31|1:4", "MKI is not supported" },
		{ "inline:" B64_30 "|2^31|2^31", "after the key only a lifetime (2^N or N) may follow" },
		{ "inline:" B64_30 "|", "after the key only a lifetime (2^N or N) may follow" },
		{ "inline:" B64_30 "|2^", "after the key only a lifetime (2^N or N) may follow" },
		{ "inline:" B64_30 "|2^x", "after the key only a lifetime (2^N or N) may follow" },
		{ "inline:" B64_30 "| 2^31", "after the key only a lifetime (2^N or N) may follow" },
		{ "inline:" B64_30 ";inline:" B64_30, "only one key is supported" },
		{ B64_30, "key must be SDES key-params: inline:BASE64[|LIFETIME]" },
		{ "INLINE:" B64_30, "key must be SDES key-params: inline:BASE64[|LIFETIME]" },
		{ "inline:", "key is not valid base64 (padded, no whitespace)" },
		{ "inline: " B64_30, "key is not valid base64 (padded, no whitespace)" },
		{ "inline:" B64_30 " ", "key is not valid base64 (padded, no whitespace)" },
		{ "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", "key is not valid base64 "
		  "(padded, no whitespace)" },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		uint8_t master[DP_MASTER_MAX];
		char err[128];

		memset(master, 0xaa, sizeof(master));
		CU_ASSERT_EQUAL(ctl_sdes_parse(v[i].key, DP_SUITE_AES_CM_128_HMAC_SHA1_80, master,
					       sizeof(master), err, sizeof(err)), -1);
		CU_ASSERT_STRING_EQUAL(err, v[i].err);
		CU_ASSERT_EQUAL(master[0], 0xaa);
		CU_ASSERT(strstr(err, "AAEC") == NULL);
	}
}

/* ---- key sources ---- */

static const char *
write_file(const char *content, size_t len)
{
	static char path[] = "/tmp/test_ctl_sdes_XXXXXX";
	int fd;

	strcpy(path, "/tmp/test_ctl_sdes_XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, content, len) == (ssize_t)len);
	close(fd);
	return path;
}

static void
test_key_source_takes_argument_as_is(void)
{
	char line[CTL_KEY_LINE_MAX], err[128];
	char long_arg[CTL_KEY_LINE_MAX + 1];

	CU_ASSERT_EQUAL(ctl_key_source("inline:" B64_30, line, sizeof(line), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(line, "inline:" B64_30);
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	CU_ASSERT_EQUAL(ctl_key_source(long_arg, line, sizeof(line), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "key is too long");
}

static void
test_key_source_file_gives_first_line(void)
{
	static const struct {
		const char *content;
		int rc;
		const char *line_or_err;
	} v[] = {
		{ "inline:KEY\nsecond\n", 0, "inline:KEY" },
		{ "inline:KEY\r\nsecond\r\n", 0, "inline:KEY" },
		{ "inline:KEY", 0, "inline:KEY" },
		{ "", -1, "no key in the file's first line" },
		{ "\nsecond\n", -1, "no key in the file's first line" },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char arg[64], line[CTL_KEY_LINE_MAX], err[128];
		const char *path = write_file(v[i].content, strlen(v[i].content));

		snprintf(arg, sizeof(arg), "@%s", path);
		CU_ASSERT_EQUAL(ctl_key_source(arg, line, sizeof(line), err, sizeof(err)), v[i].rc);
		CU_ASSERT_STRING_EQUAL(v[i].rc == 0 ? line : err, v[i].line_or_err);
		unlink(path);
	}
}

static void
test_key_source_file_line_length_limit(void)
{
	char content[CTL_KEY_LINE_MAX + 8], arg[64], line[CTL_KEY_LINE_MAX], err[128];
	const char *path;

	/* exactly cap - 1 characters, then a newline: fits */
	memset(content, 'k', CTL_KEY_LINE_MAX - 1);
	content[CTL_KEY_LINE_MAX - 1] = '\n';
	path = write_file(content, CTL_KEY_LINE_MAX);
	snprintf(arg, sizeof(arg), "@%s", path);
	CU_ASSERT_EQUAL(ctl_key_source(arg, line, sizeof(line), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strlen(line), CTL_KEY_LINE_MAX - 1);
	unlink(path);
	/* one more: too long */
	memset(content, 'k', CTL_KEY_LINE_MAX);
	content[CTL_KEY_LINE_MAX] = '\n';
	path = write_file(content, CTL_KEY_LINE_MAX + 1);
	snprintf(arg, sizeof(arg), "@%s", path);
	CU_ASSERT_EQUAL(ctl_key_source(arg, line, sizeof(line), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "key line is too long");
	unlink(path);
	CU_ASSERT_EQUAL(ctl_key_source("@/nonexistent/key", line, sizeof(line), err,
				       sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "cannot open /nonexistent/key: No such file or directory");
}

static void
test_key_source_stdin_reads_one_line_each(void)
{
	static const char input[] = "inline:FIRST\r\ninline:SECOND\n";
	char line[CTL_KEY_LINE_MAX], err[128];
	int saved = dup(STDIN_FILENO), fds[2];

	CU_ASSERT_FATAL(saved >= 0 && pipe(fds) == 0);
	CU_ASSERT_FATAL(write(fds[1], input, sizeof(input) - 1) == sizeof(input) - 1);
	close(fds[1]);
	CU_ASSERT_FATAL(dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
	close(fds[0]);

	CU_ASSERT_EQUAL(ctl_key_source("-", line, sizeof(line), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(line, "inline:FIRST");
	CU_ASSERT_EQUAL(ctl_key_source("-", line, sizeof(line), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(line, "inline:SECOND");
	CU_ASSERT_EQUAL(ctl_key_source("-", line, sizeof(line), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "no key on standard input");

	CU_ASSERT(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
	close(saved);
}

static const struct ut_test base64_tests[] = {
	{ "RFC 4648 vectors decode", test_base64_decodes_rfc4648_vectors },
	{ "anything not strict base64 is refused", test_base64_refuses_everything_not_strict },
	{ "the output cap holds; a failure leaves nothing",
	  test_base64_respects_cap_and_wipes_on_failure },
	{ NULL, NULL },
};

static const struct ut_test sdes_tests[] = {
	{ "each suite's length is accepted", test_sdes_accepts_each_suite_at_its_length },
	{ "a wrong length names the expected one", test_sdes_wrong_length_names_the_expected_one },
	{ "without a suite, any suite's length", test_sdes_without_suite_takes_any_suite_length },
	{ "a lifetime is accepted and ignored", test_sdes_lifetime_accepted_and_ignored },
	{ "MKI and malformed params are refused, no key in the error",
	  test_sdes_refuses_mki_and_malformed_params },
	{ NULL, NULL },
};

static const struct ut_test source_tests[] = {
	{ "an argument is taken as is", test_key_source_takes_argument_as_is },
	{ "@FILE gives the first line", test_key_source_file_gives_first_line },
	{ "@FILE line length limit", test_key_source_file_line_length_limit },
	{ "- reads one line of stdin each time", test_key_source_stdin_reads_one_line_each },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "base64", NULL, NULL, base64_tests },
	{ "key-params", NULL, NULL, sdes_tests },
	{ "key sources", NULL, NULL, source_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
