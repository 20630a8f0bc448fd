/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of password hashing: the policy's boundaries, Argon2id hashes in PHC format with
 * OWASP's parameters, verification and malformed encodings. Each hash costs tens of
 * milliseconds, so the suite makes few.
 */
#include <errno.h>
#include <string.h>

#include "ut.h"

#include "cp_password.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define PREFIX "$argon2id$v=19$m=19456,t=2,p=1$"

static const char pw[] = "correct horse battery";
static char hash[CP_PASSWORD_HASH_MAX];

/* One hash shared by the verification tests. */
static int
suite_init(void)
{
	return cp_password_hash(pw, hash, sizeof(hash)) == 0 ? 0 : -1;
}

/* ---- policy ---- */

static void
fill(char *buf, size_t n)
{
	memset(buf, 'a', n);
	buf[n] = '\0';
}

static void
test_policy_length_boundaries(void)
{
	char buf[CP_PASSWORD_MAX + 2];

	fill(buf, CP_PASSWORD_MIN - 1);
	CU_ASSERT_EQUAL(cp_password_check_policy(buf), -EINVAL);
	fill(buf, CP_PASSWORD_MIN);
	CU_ASSERT_EQUAL(cp_password_check_policy(buf), 0);
	fill(buf, CP_PASSWORD_MAX);
	CU_ASSERT_EQUAL(cp_password_check_policy(buf), 0);
	fill(buf, CP_PASSWORD_MAX + 1);
	CU_ASSERT_EQUAL(cp_password_check_policy(buf), -EINVAL);
	CU_ASSERT_EQUAL(cp_password_check_policy(""), -EINVAL);
	CU_ASSERT_EQUAL(cp_password_check_policy(NULL), -EINVAL);
}

static void
test_policy_refuses_control_bytes_and_accepts_utf8(void)
{
	static const char *const bad[] = {
		"twelve bytes\x01", "\ttwelve bytes", "twelve\nbytes", "twelve bytes\x7f",
		"twelve bytes\r", "\x1btwelve bytes",
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_password_check_policy(bad[i]), -EINVAL);
	/* UTF-8 with a composed and a combining umlaut, 16 bytes */
	CU_ASSERT_EQUAL(cp_password_check_policy("p\xc3\xa4sswo\xcc\x88rd \xc3\xbcnd"), 0);
	CU_ASSERT_EQUAL(cp_password_check_policy("twelve bytes"), 0);
	CU_ASSERT_EQUAL(cp_password_check_policy(" ~!@#$%^&*()_"), 0);
}

static void
test_hash_applies_the_policy_and_checks_the_buffer(void)
{
	char out[CP_PASSWORD_HASH_MAX];

	CU_ASSERT_EQUAL(cp_password_hash("short", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_password_hash("twelve\nbytes", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_password_hash(pw, out, 40), -ENOSPC);
	CU_ASSERT_EQUAL(cp_password_hash(pw, NULL, 0), -ENOSPC);
}

/* ---- hash and verify ---- */

static void
test_hash_is_argon2id_with_owasp_parameters(void)
{
	CU_ASSERT_EQUAL(strncmp(hash, PREFIX, strlen(PREFIX)), 0);
	/* 16-byte salt and 32-byte hash in unpadded base64: 22 and 43 characters */
	CU_ASSERT_EQUAL(strlen(hash), strlen(PREFIX) + 22 + 1 + 43);
	CU_ASSERT_EQUAL(hash[strlen(PREFIX) + 22], '$');
}

static void
test_hash_salts_each_hash(void)
{
	char again[CP_PASSWORD_HASH_MAX];

	CU_ASSERT_EQUAL_FATAL(cp_password_hash(pw, again, sizeof(again)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(again, hash);
	CU_ASSERT_EQUAL(cp_password_verify(again, pw), 0);
}

static void
test_verify_accepts_the_password_and_refuses_others(void)
{
	CU_ASSERT_EQUAL(cp_password_verify(hash, pw), 0);
	CU_ASSERT_EQUAL(cp_password_verify(hash, "correct horse battery "), -EACCES);
	CU_ASSERT_EQUAL(cp_password_verify(hash, ""), -EACCES);
}

static void
test_verify_refuses_a_changed_hash(void)
{
	char bad[CP_PASSWORD_HASH_MAX];
	size_t n = strlen(hash);

	memcpy(bad, hash, n + 1);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(cp_password_verify(bad, pw), -EACCES);
}

static void
test_verify_refuses_corrupted_encodings(void)
{
	static const char *const bad[] = {
		"",
		"$argon2id$",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2d$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		PREFIX "c2FsdHNhbHRzYWx0c2FsdA",
		PREFIX "c2FsdHNhbHRzYWx0c2FsdA$",
		PREFIX "!!!!$iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2id$v=19$m=x,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_password_verify(bad[i], pw), -EINVAL);
	CU_ASSERT_EQUAL(cp_password_verify(NULL, pw), -EINVAL);
	CU_ASSERT_EQUAL(cp_password_verify(hash, NULL), -EINVAL);
}

/* A stored hash that asks for more than the caps is refused before Argon2 runs: the test
 * would take minutes or gigabytes otherwise. */
static void
test_verify_refuses_costs_above_the_caps(void)
{
	static const char *const costly[] = {
		"$argon2id$v=19$m=262145,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2id$v=19$m=19456,t=17,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2id$v=19$m=19456,t=2,p=9$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
		"$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838",
	};

	for (size_t i = 0; i < ARRAY_LEN(costly); i++)
		CU_ASSERT_EQUAL(cp_password_verify(costly[i], pw), -EINVAL);
	/* the hash made at OWASP's parameters stays well inside the caps */
	CU_ASSERT_EQUAL(cp_password_verify(hash, pw), 0);
}

static void
test_dummy_verify_runs_for_any_input(void)
{
	/* nothing to observe but that it returns; its cost is not asserted */
	cp_password_dummy_verify(pw);
	cp_password_dummy_verify(NULL);
	CU_PASS("dummy verification returned");
}

static const struct ut_test policy_tests[] = {
	{ "length boundaries", test_policy_length_boundaries },
	{ "refuses control bytes and accepts UTF-8",
	  test_policy_refuses_control_bytes_and_accepts_utf8 },
	{ "hash applies the policy and checks the buffer",
	  test_hash_applies_the_policy_and_checks_the_buffer },
	{ NULL, NULL },
};

static const struct ut_test hash_tests[] = {
	{ "hash is Argon2id with OWASP parameters", test_hash_is_argon2id_with_owasp_parameters },
	{ "hash salts each hash", test_hash_salts_each_hash },
	{ "verify accepts the password and refuses others",
	  test_verify_accepts_the_password_and_refuses_others },
	{ "verify refuses a changed hash", test_verify_refuses_a_changed_hash },
	{ "verify refuses corrupted encodings", test_verify_refuses_corrupted_encodings },
	{ "verify refuses costs above the caps", test_verify_refuses_costs_above_the_caps },
	{ "dummy verify runs for any input", test_dummy_verify_runs_for_any_input },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "policy", NULL, NULL, policy_tests },
	{ "argon2id", suite_init, NULL, hash_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
