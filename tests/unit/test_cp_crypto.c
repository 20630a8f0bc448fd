/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the control plane's cryptography: encodings (RFC 4648 §10), hashes and MACs
 * (FIPS 180-2, RFC 2202, RFC 4231), constant-time comparison, the keyring file and its
 * parser, sealing with AES-256-GCM, key rotation and lookup hashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ut.h"

#include "cp_crypto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define K1_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2_HEX "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"

static char tmpdir[64];

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cp_crypto.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to tmpdir/name with exactly mode; returns the path in a static buffer. */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	close(fd);
	return path;
}

static void
parse_ok(const char *text, struct cp_keyring *ring)
{
	char err[128] = "";

	CU_ASSERT_EQUAL_FATAL(cp_keyring_parse(text, strlen(text), ring, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---- encodings ---- */

static const struct {
	const char *raw, *b16, *b64, *b64url;
} rfc4648[] = {
	{ "", "", "", "" },
	{ "f", "66", "Zg==", "Zg" },
	{ "fo", "666f", "Zm8=", "Zm8" },
	{ "foo", "666f6f", "Zm9v", "Zm9v" },
	{ "foob", "666f6f62", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "666f6f6261", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "666f6f626172", "Zm9vYmFy", "Zm9vYmFy" },
	{ "\xfb\xff\xbf", "fbffbf", "+/+/", "-_-_" },
	{ "\x00\x10\x83\x10\x51\x87", "001083105187", "ABCDEFGH", "ABCDEFGH" },
};

static void
test_hex_matches_rfc4648_vectors(void)
{
	for (size_t i = 0; i < ARRAY_LEN(rfc4648); i++) {
		size_t n = strlen(rfc4648[i].b16) / 2;
		uint8_t out[16];
		char txt[32];

		CU_ASSERT_EQUAL(cp_hex_encode(rfc4648[i].raw, n, txt, sizeof(txt)), (int)(2 * n));
		CU_ASSERT_STRING_EQUAL(txt, rfc4648[i].b16);
		CU_ASSERT_EQUAL(cp_hex_decode(rfc4648[i].b16, out, sizeof(out)), (int)n);
		CU_ASSERT(memcmp(out, rfc4648[i].raw, n) == 0);
	}
	{
		uint8_t out[4];

		/* either case decodes */
		CU_ASSERT_EQUAL(cp_hex_decode("DeadBEEF", out, sizeof(out)), 4);
		CU_ASSERT(memcmp(out, "\xde\xad\xbe\xef", 4) == 0);
	}
}

static void
test_hex_refuses_bad_input_and_small_buffers(void)
{
	static const char *const bad[] = { "6", "6g", "zz", " 66", "66 ", "0x66", "666", "g0" };
	uint8_t out[8];
	char txt[8];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_hex_decode(bad[i], out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_hex_decode(NULL, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_hex_decode("666f6f", out, 2), -ENOSPC);
	CU_ASSERT_EQUAL(cp_hex_decode("666f6f", out, 3), 3);
	CU_ASSERT_EQUAL(cp_hex_encode("foo", 3, txt, 6), -ENOSPC);
	CU_ASSERT_EQUAL(cp_hex_encode("foo", 3, txt, 7), 6);
}

static void
test_base64_matches_rfc4648_vectors(void)
{
	for (size_t i = 0; i < ARRAY_LEN(rfc4648); i++) {
		size_t n = strlen(rfc4648[i].b16) / 2;
		uint8_t out[16];
		char txt[32];

		CU_ASSERT_EQUAL(cp_b64_encode(rfc4648[i].raw, n, txt, sizeof(txt)),
				(int)strlen(rfc4648[i].b64));
		CU_ASSERT_STRING_EQUAL(txt, rfc4648[i].b64);
		CU_ASSERT_EQUAL(cp_b64_decode(rfc4648[i].b64, out, sizeof(out)), (int)n);
		CU_ASSERT(memcmp(out, rfc4648[i].raw, n) == 0);

		CU_ASSERT_EQUAL(cp_b64url_encode(rfc4648[i].raw, n, txt, sizeof(txt)),
				(int)strlen(rfc4648[i].b64url));
		CU_ASSERT_STRING_EQUAL(txt, rfc4648[i].b64url);
		memset(out, 0, sizeof(out));
		CU_ASSERT_EQUAL(cp_b64url_decode(rfc4648[i].b64url, out, sizeof(out)), (int)n);
		CU_ASSERT(memcmp(out, rfc4648[i].raw, n) == 0);
	}
}

static void
test_base64_round_trips_every_length(void)
{
	uint8_t raw[40], back[40];
	char txt[64];

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 97 + 3);
	for (size_t n = 0; n <= sizeof(raw); n++) {
		CU_ASSERT_EQUAL(cp_b64_encode(raw, n, txt, sizeof(txt)), (int)((n + 2) / 3 * 4));
		CU_ASSERT_EQUAL(cp_b64_decode(txt, back, sizeof(back)), (int)n);
		CU_ASSERT(memcmp(raw, back, n) == 0);
		CU_ASSERT_EQUAL(cp_b64url_encode(raw, n, txt, sizeof(txt)), (int)((n * 4 + 2) / 3));
		CU_ASSERT_EQUAL(cp_b64url_decode(txt, back, sizeof(back)), (int)n);
		CU_ASSERT(memcmp(raw, back, n) == 0);
	}
}

static void
test_base64_decode_is_strict(void)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", " Zm9v",
		"=Zm9", "Zg==Zg==", "Zm-v", "Zm_v", "Zm9vY", "Zm9v=", "Z=g=", "Zm8*",
	};
	uint8_t out[16];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_b64_decode(bad[i], out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_b64_decode(NULL, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_b64_decode("Zm9vYmFy", out, 5), -ENOSPC);
	CU_ASSERT_EQUAL(cp_b64_decode("Zm9vYg==", out, 4), 4);
}

static void
test_base64url_decode_is_strict(void)
{
	static const char *const bad[] = {
		"Zg==", "Zm8=", "Z", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v\n", "Zm 9", "Zm9vY",
		"=", "Zg=",
	};
	uint8_t out[16];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(cp_b64url_decode(bad[i], out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_b64url_decode("Zm9vYmE", out, 4), -ENOSPC);
	CU_ASSERT_EQUAL(cp_b64url_decode("Zm9vYmE", out, 5), 5);
}

static void
test_base64_encode_reports_small_buffers(void)
{
	char txt[16];

	CU_ASSERT_EQUAL(cp_b64_encode("foob", 4, txt, 8), -ENOSPC);
	CU_ASSERT_EQUAL(cp_b64_encode("foob", 4, txt, 9), 8);
	CU_ASSERT_EQUAL(cp_b64url_encode("foob", 4, txt, 6), -ENOSPC);
	CU_ASSERT_EQUAL(cp_b64url_encode("foob", 4, txt, 7), 6);
}

/* ---- compare, hash, MAC, random ---- */

static void
test_equal_compares_every_byte(void)
{
	uint8_t a[32], b[32];

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)i;
	CU_ASSERT_TRUE(cp_equal(a, b, sizeof(a)));
	CU_ASSERT_TRUE(cp_equal(a, b, 0));
	b[31] ^= 0x80;
	CU_ASSERT_FALSE(cp_equal(a, b, sizeof(a)));
	CU_ASSERT_TRUE(cp_equal(a, b, 31));
	b[31] ^= 0x80;
	b[0] ^= 1;
	CU_ASSERT_FALSE(cp_equal(a, b, sizeof(a)));
}

static void
test_str_equal_needs_same_length_and_bytes(void)
{
	CU_ASSERT_TRUE(cp_str_equal("abc", "abc"));
	CU_ASSERT_TRUE(cp_str_equal("", ""));
	CU_ASSERT_FALSE(cp_str_equal("abc", "abd"));
	CU_ASSERT_FALSE(cp_str_equal("abc", "ab"));
	CU_ASSERT_FALSE(cp_str_equal("ab", "abc"));
	CU_ASSERT_FALSE(cp_str_equal("", "a"));
	CU_ASSERT_FALSE(cp_str_equal("a", ""));
	CU_ASSERT_FALSE(cp_str_equal("Abc", "abc"));
}

static void
assert_hex(const uint8_t *mac, size_t n, const char *want)
{
	char txt[130];

	CU_ASSERT_EQUAL(cp_hex_encode(mac, n, txt, sizeof(txt)), (int)(2 * n));
	CU_ASSERT_STRING_EQUAL(txt, want);
}

static void
test_sha256_and_hmac_match_known_answers(void)
{
	static const char jefe_data[] = "what do ya want for nothing?";
	uint8_t mac[64];

	cp_sha256("abc", 3, mac);
	assert_hex(mac, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cp_sha256(NULL, 0, mac);
	assert_hex(mac, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cp_hmac_sha256("Jefe", 4, jefe_data, strlen(jefe_data), mac);
	assert_hex(mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CU_ASSERT_EQUAL(cp_hmac(1, "Jefe", 4, jefe_data, strlen(jefe_data), mac), 20);
	assert_hex(mac, 20, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	CU_ASSERT_EQUAL(cp_hmac(256, "Jefe", 4, jefe_data, strlen(jefe_data), mac), 32);
	assert_hex(mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CU_ASSERT_EQUAL(cp_hmac(512, "Jefe", 4, jefe_data, strlen(jefe_data), mac), 64);
	assert_hex(mac, 64,
		   "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		   "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	CU_ASSERT_EQUAL(cp_hmac(384, "Jefe", 4, jefe_data, strlen(jefe_data), mac), -EINVAL);
	/* an empty key and empty data are valid HMAC inputs */
	CU_ASSERT_EQUAL(cp_hmac(256, NULL, 0, NULL, 0, mac), 32);
	assert_hex(mac, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void
test_random_fills_and_ids_are_never_zero(void)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	CU_ASSERT_EQUAL(cp_random(a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(cp_random(b, sizeof(b)), 0);
	CU_ASSERT_FALSE(all_zero(a, sizeof(a)));
	CU_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	CU_ASSERT_EQUAL(cp_random(NULL, 0), 0);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_NOT_EQUAL(cp_random_id(), 0);
}

static void
test_wipe_zeroes_memory(void)
{
	uint8_t k[32];

	memset(k, 0x5a, sizeof(k));
	cp_wipe(k, sizeof(k));
	CU_ASSERT_TRUE(all_zero(k, sizeof(k)));
	cp_wipe(NULL, 0);
}

/* ---- keyring ---- */

static void
test_keyring_parses_keys_comments_and_blank_lines(void)
{
	static const char text[] =
		"# sluice keys\n"
		"\n"
		"   \t\n"
		"7 " K2_HEX "\n"
		"  # old key\n"
		"\t1\t" K1_HEX "  \r\n"
		"255 " K1_HEX;
	struct cp_keyring ring;
	uint8_t k1[32], k2[32];

	parse_ok(text, &ring);
	CU_ASSERT_EQUAL(ring.n, 3);
	CU_ASSERT_EQUAL(ring.id[0], 7);
	CU_ASSERT_EQUAL(ring.id[1], 1);
	CU_ASSERT_EQUAL(ring.id[2], 255);
	CU_ASSERT_EQUAL(cp_hex_decode(K1_HEX, k1, sizeof(k1)), 32);
	CU_ASSERT_EQUAL(cp_hex_decode(K2_HEX, k2, sizeof(k2)), 32);
	CU_ASSERT(memcmp(ring.key[0], k2, 32) == 0);
	CU_ASSERT(memcmp(ring.key[1], k1, 32) == 0);
	CU_ASSERT(memcmp(ring.key[2], k1, 32) == 0);
	cp_keyring_wipe(&ring);
	CU_ASSERT_EQUAL(ring.n, 0);
	CU_ASSERT_TRUE(all_zero(ring.key, sizeof(ring.key)));
}

static void
test_keyring_errors_name_the_line_and_wipe_the_ring(void)
{
	static const struct {
		const char *text, *err;
	} v[] = {
		{ "1 " K1_HEX "\n2 " K1_HEX "g\n", "line 2: key must be 64 hex digits (32 bytes)" },
		{ "1 " K1_HEX "\n2 zz" K1_HEX "\n",
		  "line 2: key must be 64 hex digits (32 bytes)" },
		{ "1 " K1_HEX "\n#\n3 0x" "0102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f\n", "line 3: key is not hex" },
		{ "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n",
		  "line 1: key must be 64 hex digits (32 bytes)" },
		{ "1 " K1_HEX "\n1 " K2_HEX "\n", "line 2: duplicate key id 1" },
		{ "0 " K1_HEX "\n", "line 1: key id out of range 1..255" },
		{ "256 " K1_HEX "\n", "line 1: key id out of range 1..255" },
		{ "1000 " K1_HEX "\n", "line 1: key id out of range 1..255" },
		{ "01 " K1_HEX "\n", "line 1: key id has a leading zero" },
		{ "x " K1_HEX "\n", "line 1: expected \"ID HEX\" (ID a number 1..255)" },
		{ "1" K1_HEX "\n", "line 1: expected \"ID HEX\" (ID a number 1..255)" },
		{ "-1 " K1_HEX "\n", "line 1: expected \"ID HEX\" (ID a number 1..255)" },
		{ "1 " K1_HEX " extra\n", "line 1: unexpected text after the key" },
		{ "1\n", "line 1: key must be 64 hex digits (32 bytes)" },
		{ "", "no key in the keyring" },
		{ "# nothing\n\n", "no key in the keyring" },
	};
	struct cp_keyring ring;
	char err[128];

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		memset(&ring, 0x77, sizeof(ring));
		CU_ASSERT_EQUAL(cp_keyring_parse(v[i].text, strlen(v[i].text), &ring, err,
						 sizeof(err)), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, v[i].err);
		CU_ASSERT_EQUAL(ring.n, 0);
		CU_ASSERT_TRUE(all_zero(ring.key, sizeof(ring.key)));
	}
}

static void
test_keyring_refuses_nul_bytes_and_a_17th_key(void)
{
	static const char nul[] = "1 " K1_HEX "\n2 \0" K1_HEX "\n";
	struct cp_keyring ring;
	char text[17 * 80], err[128];
	size_t len = 0;

	CU_ASSERT_EQUAL(cp_keyring_parse(nul, sizeof(nul) - 1, &ring, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "line 2: NUL byte in the line");
	CU_ASSERT_EQUAL(ring.n, 0);

	for (int id = 1; id <= CP_KEYRING_MAX; id++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%d %s\n", id, K1_HEX);
	parse_ok(text, &ring);
	CU_ASSERT_EQUAL(ring.n, CP_KEYRING_MAX);
	snprintf(text + len, sizeof(text) - len, "%d %s\n", CP_KEYRING_MAX + 1, K1_HEX);
	CU_ASSERT_EQUAL(cp_keyring_parse(text, strlen(text), &ring, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "line 17: more than 16 keys");
	CU_ASSERT_EQUAL(ring.n, 0);
}

static void
test_keyring_errors_never_quote_key_bytes(void)
{
	static const char text[] = "1 " K1_HEX "\n2 " K2_HEX " trailing\n";
	struct cp_keyring ring;
	char err[256];

	CU_ASSERT_EQUAL(cp_keyring_parse(text, strlen(text), &ring, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "A0A1") == NULL && strstr(err, "0001") == NULL);
	CU_ASSERT(strstr(err, "line 2") != NULL);
}

static void
test_keyring_load_reads_a_private_file(void)
{
	struct cp_keyring ring;
	char err[256] = "";
	const char *path = write_file("ok.keys", "2 " K2_HEX "\n1 " K1_HEX "\n", 0600);

	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ring.n, 2);
	CU_ASSERT_EQUAL(ring.id[0], 2);
	CU_ASSERT_EQUAL(ring.key[1][31], 0x1f);
	path = write_file("ro.keys", "1 " K1_HEX "\n", 0400);
	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ring.n, 1);
	cp_keyring_wipe(&ring);
}

static void
test_keyring_load_refuses_open_permissions(void)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0610, 0601, 0660, 0666 };
	struct cp_keyring ring;
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
		const char *path = write_file("open.keys", "1 " K1_HEX "\n", modes[i]);

		memset(&ring, 0x77, sizeof(ring));
		CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), -EPERM);
		CU_ASSERT(strstr(err, "chmod 600") != NULL);
		CU_ASSERT(strstr(err, K1_HEX) == NULL);
		CU_ASSERT_EQUAL(ring.n, 0);
		CU_ASSERT_TRUE(all_zero(ring.key, sizeof(ring.key)));
	}
}

static void
test_keyring_load_refuses_missing_files_and_directories(void)
{
	struct cp_keyring ring;
	char err[256], path[128];

	snprintf(path, sizeof(path), "%s/missing.keys", tmpdir);
	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), -ENOENT);
	CU_ASSERT(strstr(err, "cannot open") != NULL);
	snprintf(path, sizeof(path), "%s/dir.keys", tmpdir);
	CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "not a regular file") != NULL);
	rmdir(path);
}

static void
test_keyring_load_reports_the_file_and_line(void)
{
	struct cp_keyring ring;
	char err[256], want[256];
	const char *path = write_file("bad.keys", "# c\n1 " K1_HEX "\n1 " K2_HEX "\n", 0600);

	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: line 3: duplicate key id 1", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(ring.n, 0);
}

static void
test_keyring_generate_makes_a_loadable_private_file(void)
{
	struct cp_keyring ring;
	char path[128], err[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/gen.keys", tmpdir);
	unlink(path);
	CU_ASSERT_EQUAL(cp_keyring_generate(path), 0);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ring.n, 1);
	CU_ASSERT_EQUAL(ring.id[0], 1);
	CU_ASSERT_FALSE(all_zero(ring.key[0], CP_KEY_LEN));
	cp_keyring_wipe(&ring);
	/* never overwrites a key file */
	CU_ASSERT_EQUAL(cp_keyring_generate(path), -EEXIST);
	CU_ASSERT_EQUAL(cp_keyring_load(path, &ring, err, sizeof(err)), 0);
	cp_keyring_wipe(&ring);
}

/* ---- sealing ---- */

static void
ring_of(struct cp_keyring *ring, const char *text)
{
	parse_ok(text, ring);
}

static void
test_seal_then_open_round_trips(void)
{
	static const char secret[] = "JBSWY3DPEHPK3PXP-totp-secret";
	uint8_t sealed[64], again[64], out[64];
	struct cp_keyring ring;
	size_t n = sizeof(secret) - 1;
	int s;

	ring_of(&ring, "3 " K1_HEX "\n");
	s = cp_seal(&ring, "totp:alice", secret, n, sealed, sizeof(sealed));
	CU_ASSERT_EQUAL_FATAL(s, (int)(n + CP_SEAL_OVERHEAD));
	CU_ASSERT_EQUAL(sealed[0], 3);
	CU_ASSERT(memmem(sealed, (size_t)s, secret, n) == NULL);
	CU_ASSERT_EQUAL(cp_open(&ring, "totp:alice", sealed, (size_t)s, out, sizeof(out)), (int)n);
	CU_ASSERT(memcmp(out, secret, n) == 0);
	/* a fresh nonce each time */
	CU_ASSERT_EQUAL(cp_seal(&ring, "totp:alice", secret, n, again, sizeof(again)), s);
	CU_ASSERT(memcmp(sealed + 1, again + 1, CP_SEAL_NONCE_LEN) != 0);
	/* an empty value seals too, and still binds its AAD */
	s = cp_seal(&ring, "x", NULL, 0, sealed, sizeof(sealed));
	CU_ASSERT_EQUAL(s, CP_SEAL_OVERHEAD);
	CU_ASSERT_EQUAL(cp_open(&ring, "x", sealed, (size_t)s, NULL, 0), 0);
	CU_ASSERT_EQUAL(cp_open(&ring, "y", sealed, (size_t)s, NULL, 0), -EACCES);
	cp_keyring_wipe(&ring);
}

static void
test_open_refuses_wrong_aad_tampering_and_truncation(void)
{
	static const char secret[] = "sixteen byte key";
	uint8_t sealed[64], out[64];
	struct cp_keyring ring;
	size_t n = sizeof(secret) - 1;
	int s;

	ring_of(&ring, "1 " K1_HEX "\n2 " K2_HEX "\n");
	s = cp_seal(&ring, "leg:42:in", secret, n, sealed, sizeof(sealed));
	CU_ASSERT_EQUAL_FATAL(s, (int)(n + CP_SEAL_OVERHEAD));
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:out", sealed, (size_t)s, out, sizeof(out)), -EACCES);
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:i", sealed, (size_t)s, out, sizeof(out)), -EACCES);
	CU_ASSERT_EQUAL(cp_open(&ring, "", sealed, (size_t)s, out, sizeof(out)), -EACCES);
	/* every byte after the key id is covered: nonce, ciphertext, tag */
	for (int i = 1; i < s; i++) {
		sealed[i] ^= 0x01;
		memset(out, 0xee, sizeof(out));
		CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, (size_t)s, out, sizeof(out)),
				-EACCES);
		CU_ASSERT_TRUE(all_zero(out, n));  /* no unauthenticated plaintext escapes */
		sealed[i] ^= 0x01;
	}
	/* the id names the other key of the ring: it is authenticated too */
	sealed[0] = 2;
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, (size_t)s, out, sizeof(out)), -EACCES);
	sealed[0] = 9;
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, (size_t)s, out, sizeof(out)), -ENOKEY);
	sealed[0] = 1;
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, (size_t)s - 1, out, sizeof(out)),
			-EACCES);
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, CP_SEAL_OVERHEAD - 1, out,
				sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, 0, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, (size_t)s, out, n - 1), -ENOSPC);
	CU_ASSERT_EQUAL(cp_open(&ring, "leg:42:in", sealed, (size_t)s, out, n), (int)n);
	CU_ASSERT_EQUAL(cp_open(&ring, NULL, sealed, (size_t)s, out, n), -EINVAL);
	cp_keyring_wipe(&ring);
}

static void
test_open_refuses_another_key_with_the_same_id(void)
{
	struct cp_keyring a, b;
	uint8_t sealed[64], out[64];
	int s;

	ring_of(&a, "1 " K1_HEX "\n");
	ring_of(&b, "1 " K2_HEX "\n");
	s = cp_seal(&a, "totp:bob", "secret", 6, sealed, sizeof(sealed));
	CU_ASSERT_EQUAL_FATAL(s, 6 + CP_SEAL_OVERHEAD);
	CU_ASSERT_EQUAL(cp_open(&b, "totp:bob", sealed, (size_t)s, out, sizeof(out)), -EACCES);
	CU_ASSERT_EQUAL(cp_open(&a, "totp:bob", sealed, (size_t)s, out, sizeof(out)), 6);
	cp_keyring_wipe(&a);
	cp_keyring_wipe(&b);
}

static void
test_seal_refuses_small_buffers_and_empty_rings(void)
{
	struct cp_keyring ring;
	uint8_t sealed[64];

	ring_of(&ring, "1 " K1_HEX "\n");
	CU_ASSERT_EQUAL(cp_seal(&ring, "a", "secret", 6, sealed, 6 + CP_SEAL_OVERHEAD - 1),
			-ENOSPC);
	CU_ASSERT_EQUAL(cp_seal(&ring, NULL, "secret", 6, sealed, sizeof(sealed)), -EINVAL);
	cp_keyring_wipe(&ring);
	CU_ASSERT_EQUAL(cp_seal(&ring, "a", "secret", 6, sealed, sizeof(sealed)), -ENOKEY);
}

static void
test_rotation_opens_old_values_and_seals_with_the_new_key(void)
{
	struct cp_keyring old_ring, new_ring;
	uint8_t old_sealed[64], new_sealed[64], out[64];
	int s_old, s_new;

	ring_of(&old_ring, "1 " K1_HEX "\n");
	s_old = cp_seal(&old_ring, "totp:carol", "value", 5, old_sealed, sizeof(old_sealed));
	CU_ASSERT_EQUAL_FATAL(s_old, 5 + CP_SEAL_OVERHEAD);
	/* when a new key is put first */
	ring_of(&new_ring, "2 " K2_HEX "\n1 " K1_HEX "\n");
	/* then old values still open and new ones are sealed under the new key */
	CU_ASSERT_EQUAL(cp_open(&new_ring, "totp:carol", old_sealed, (size_t)s_old, out,
				sizeof(out)), 5);
	CU_ASSERT(memcmp(out, "value", 5) == 0);
	s_new = cp_seal(&new_ring, "totp:carol", "value", 5, new_sealed, sizeof(new_sealed));
	CU_ASSERT_EQUAL_FATAL(s_new, 5 + CP_SEAL_OVERHEAD);
	CU_ASSERT_EQUAL(new_sealed[0], 2);
	CU_ASSERT_EQUAL(cp_open(&old_ring, "totp:carol", new_sealed, (size_t)s_new, out,
				sizeof(out)), -ENOKEY);
	cp_keyring_wipe(&old_ring);
	cp_keyring_wipe(&new_ring);
}

/* ---- lookup hashes ---- */

static void
test_lookup_hash_matches_its_derivation(void)
{
	struct cp_keyring ring;
	char h[CP_LOOKUP_HASH_LEN];

	/* HMAC(HKDF-Expand(K1, "sluice-cp lookup:token", 32), "secret-token") */
	ring_of(&ring, "1 " K1_HEX "\n");
	cp_lookup_hash(&ring, "token", "secret-token", 12, h);
	CU_ASSERT_STRING_EQUAL(h, "a4b3c8a30b2b2ffd0c67341d250069e2"
				  "5ffb412d6b8a0436aed1da9e879d2f40");
	cp_keyring_wipe(&ring);
}

static void
test_lookup_hash_differs_by_purpose_key_and_data(void)
{
	struct cp_keyring r1, r2, r1b;
	char a[CP_LOOKUP_HASH_LEN], b[CP_LOOKUP_HASH_LEN];

	ring_of(&r1, "1 " K1_HEX "\n");
	ring_of(&r2, "1 " K2_HEX "\n");
	ring_of(&r1b, "6 " K2_HEX "\n5 " K1_HEX "\n");
	cp_lookup_hash(&r1, "token", "abc", 3, a);
	CU_ASSERT_EQUAL(strlen(a), 64);
	cp_lookup_hash(&r1, "token", "abc", 3, b);
	CU_ASSERT_STRING_EQUAL(a, b);
	cp_lookup_hash(&r1, "recovery", "abc", 3, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	cp_lookup_hash(&r1, "token", "abd", 3, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	cp_lookup_hash(&r2, "token", "abc", 3, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	/* only the last (oldest) key counts, whatever its id: a rotation, which puts a new
	 * key first, keeps every token and recovery code */
	cp_lookup_hash(&r1b, "token", "abc", 3, b);
	CU_ASSERT_STRING_EQUAL(a, b);
	/* the purpose does not run into the data */
	cp_lookup_hash(&r1, "tok", "enabc", 5, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	cp_keyring_wipe(&r1);
	cp_keyring_wipe(&r2);
	cp_keyring_wipe(&r1b);
}

static const struct ut_test encoding_tests[] = {
	{ "hex matches RFC 4648 vectors", test_hex_matches_rfc4648_vectors },
	{ "hex refuses bad input and small buffers",
	  test_hex_refuses_bad_input_and_small_buffers },
	{ "base64 matches RFC 4648 vectors", test_base64_matches_rfc4648_vectors },
	{ "base64 round trips every length", test_base64_round_trips_every_length },
	{ "base64 decode is strict", test_base64_decode_is_strict },
	{ "base64url decode is strict", test_base64url_decode_is_strict },
	{ "base64 encode reports small buffers", test_base64_encode_reports_small_buffers },
	{ NULL, NULL },
};

static const struct ut_test primitive_tests[] = {
	{ "equal compares every byte", test_equal_compares_every_byte },
	{ "str_equal needs same length and bytes", test_str_equal_needs_same_length_and_bytes },
	{ "sha256 and hmac match known answers", test_sha256_and_hmac_match_known_answers },
	{ "random fills and ids are never zero", test_random_fills_and_ids_are_never_zero },
	{ "wipe zeroes memory", test_wipe_zeroes_memory },
	{ NULL, NULL },
};

static const struct ut_test keyring_tests[] = {
	{ "parses keys, comments and blank lines",
	  test_keyring_parses_keys_comments_and_blank_lines },
	{ "errors name the line and wipe the ring",
	  test_keyring_errors_name_the_line_and_wipe_the_ring },
	{ "refuses NUL bytes and a 17th key", test_keyring_refuses_nul_bytes_and_a_17th_key },
	{ "errors never quote key bytes", test_keyring_errors_never_quote_key_bytes },
	{ "load reads a private file", test_keyring_load_reads_a_private_file },
	{ "load refuses open permissions", test_keyring_load_refuses_open_permissions },
	{ "load refuses missing files and directories",
	  test_keyring_load_refuses_missing_files_and_directories },
	{ "load reports the file and line", test_keyring_load_reports_the_file_and_line },
	{ "generate makes a loadable private file",
	  test_keyring_generate_makes_a_loadable_private_file },
	{ NULL, NULL },
};

static const struct ut_test seal_tests[] = {
	{ "seal then open round trips", test_seal_then_open_round_trips },
	{ "open refuses wrong AAD, tampering and truncation",
	  test_open_refuses_wrong_aad_tampering_and_truncation },
	{ "open refuses another key with the same id",
	  test_open_refuses_another_key_with_the_same_id },
	{ "seal refuses small buffers and empty rings",
	  test_seal_refuses_small_buffers_and_empty_rings },
	{ "rotation opens old values and seals with the new key",
	  test_rotation_opens_old_values_and_seals_with_the_new_key },
	{ NULL, NULL },
};

static const struct ut_test lookup_tests[] = {
	{ "matches its derivation", test_lookup_hash_matches_its_derivation },
	{ "differs by purpose, key and data", test_lookup_hash_differs_by_purpose_key_and_data },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "encodings", NULL, NULL, encoding_tests },
	{ "primitives", NULL, NULL, primitive_tests },
	{ "keyring", suite_init, suite_cleanup, keyring_tests },
	{ "seal", NULL, NULL, seal_tests },
	{ "lookup hash", NULL, NULL, lookup_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
