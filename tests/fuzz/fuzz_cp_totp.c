/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the control plane's text decoders and the keyring parser: base32, hex, base64 and
 * base64url (a decoded value must re-encode to its canonical text, raw bytes must round
 * trip), TOTP verification of the input as a typed code, and keyring text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cp_crypto.h"
#include "cp_totp.h"

#define INPUT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t totp_key[CP_TOTP_SECRET_LEN] = "12345678901234567890";

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Text decoders: what decodes must re-encode to the input in canonical form. */
static void
fuzz_decoders(const char *s, size_t len, uint8_t *out, char *txt)
{
	size_t unpadded = len;
	int n, t;

	n = cp_base32_decode(s, out, INPUT_MAX);
	if (n >= 0) {
		while (unpadded > 0 && s[unpadded - 1] == '=')
			unpadded--;
		t = cp_base32_encode(out, (size_t)n, txt, 2 * INPUT_MAX);
		if (t != (int)unpadded)
			__builtin_trap();
		for (size_t i = 0; i < unpadded; i++)
			if (txt[i] != upper(s[i]))
				__builtin_trap();
	} else if (n != -EINVAL) {
		__builtin_trap();
	}

	n = cp_hex_decode(s, out, INPUT_MAX);
	if (n >= 0) {
		if ((size_t)n * 2 != len ||
		    cp_hex_encode(out, (size_t)n, txt, 2 * INPUT_MAX) != (int)len)
			__builtin_trap();
		for (size_t i = 0; i < len; i++)
			if (txt[i] != lower(s[i]))
				__builtin_trap();
	} else if (n != -EINVAL) {
		__builtin_trap();
	}

	n = cp_b64_decode(s, out, INPUT_MAX);
	if (n >= 0) {
		if (cp_b64_encode(out, (size_t)n, txt, 2 * INPUT_MAX) != (int)len ||
		    memcmp(txt, s, len) != 0)
			__builtin_trap();
	} else if (n != -EINVAL) {
		__builtin_trap();
	}

	n = cp_b64url_decode(s, out, INPUT_MAX);
	if (n >= 0) {
		if (cp_b64url_encode(out, (size_t)n, txt, 2 * INPUT_MAX) != (int)len ||
		    memcmp(txt, s, len) != 0)
			__builtin_trap();
	} else if (n != -EINVAL) {
		__builtin_trap();
	}
}

/* Encoders over raw bytes: every value must come back unchanged. */
static void
fuzz_round_trips(const uint8_t *data, size_t size, uint8_t *out, char *txt)
{
	size_t cap = 2 * INPUT_MAX + 1;

	if (cp_base32_encode(data, size, txt, cap) < 0 ||
	    cp_base32_decode(txt, out, INPUT_MAX) != (int)size || memcmp(out, data, size) != 0)
		__builtin_trap();
	if (cp_hex_encode(data, size, txt, cap) < 0 ||
	    cp_hex_decode(txt, out, INPUT_MAX) != (int)size || memcmp(out, data, size) != 0)
		__builtin_trap();
	if (cp_b64_encode(data, size, txt, cap) < 0 ||
	    cp_b64_decode(txt, out, INPUT_MAX) != (int)size || memcmp(out, data, size) != 0)
		__builtin_trap();
	if (cp_b64url_encode(data, size, txt, cap) < 0 ||
	    cp_b64url_decode(txt, out, INPUT_MAX) != (int)size || memcmp(out, data, size) != 0)
		__builtin_trap();
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
fuzz_verify(const char *s, const uint8_t *data, size_t size)
{
	uint64_t now = 1111111111, last = 0, step = 0, cur;
	int rc;

	/* Times and last steps from the input's first bytes reach the 64-bit edges. */
	if (size >= 16) {
		now = le64(data);
		last = le64(data + 8);
	}
	cur = cp_totp_step(now);
	rc = cp_totp_verify(totp_key, s, now, last, &step);
	switch (rc) {
	case 0:
		if (strlen(s) != CP_TOTP_DIGITS || step <= last || step > cur ||
		    cur - step > CP_TOTP_DRIFT)
			__builtin_trap();
		break;
	case -EINVAL:
		if (strlen(s) == CP_TOTP_DIGITS && strspn(s, "0123456789") == CP_TOTP_DIGITS)
			__builtin_trap();
		break;
	case -EACCES:
	case -EALREADY:
		break;
	default:
		__builtin_trap();
	}
}

static void
fuzz_keyring(const uint8_t *data, size_t size)
{
	struct cp_keyring ring;
	char err[160];
	int rc;

	rc = cp_keyring_parse((const char *)data, size, &ring, err, sizeof(err));
	if (rc == 0) {
		if (ring.n == 0 || ring.n > CP_KEYRING_MAX)
			__builtin_trap();
		for (unsigned int i = 0; i < ring.n; i++) {
			if (ring.id[i] == 0)
				__builtin_trap();
			for (unsigned int j = 0; j < i; j++)
				if (ring.id[i] == ring.id[j])
					__builtin_trap();
		}
	} else if (rc != -EINVAL || ring.n != 0 || strnlen(err, sizeof(err)) == 0) {
		__builtin_trap();
	}
	cp_keyring_wipe(&ring);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out;
	char *s, *txt;

	if (size > INPUT_MAX)
		return 0;
	/* Exact-size copies so that ASan sees any read past the input's NUL. */
	s = malloc(size + 1);
	out = malloc(INPUT_MAX);
	txt = malloc(2 * INPUT_MAX + 1);
	if (s == NULL || out == NULL || txt == NULL)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';

	fuzz_keyring(data, size);
	fuzz_verify(s, data, size);
	fuzz_round_trips(data, size, out, txt);
	/* The decoders stop at the first NUL; compare against that text. */
	fuzz_decoders(s, strlen(s), out, txt);
out:
	free(txt);
	free(out);
	free(s);
	return 0;
}
