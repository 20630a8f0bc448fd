/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HOTP and TOTP on cp_hmac, base32 and otpauth:// URIs. Verification computes and compares
 * every candidate step whatever matches, and base32 maps characters without branches, since
 * both handle the shared secret.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cp_crypto.h"
#include "cp_totp.h"

#define HOTP_DIGITS_MIN 6
#define HOTP_DIGITS_MAX 8
#define MAC_MAX 64

static const uint32_t pow10_tab[HOTP_DIGITS_MAX + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

/* ---- constant-time helpers (operands below 2^31) ---- */

static unsigned int
ct_lt(unsigned int a, unsigned int b)
{
	return 0u - ((a - b) >> 31);
}

/* ---- HOTP / TOTP ---- */

int
cp_hotp(enum cp_totp_alg alg, const uint8_t *key, size_t key_len, uint64_t counter,
	unsigned int digits, uint32_t *code)
{
	uint8_t msg[8], mac[MAC_MAX];
	unsigned int off;
	uint32_t bin;
	int n;

	if (key == NULL || key_len == 0 || code == NULL || digits < HOTP_DIGITS_MIN ||
	    digits > HOTP_DIGITS_MAX)
		return -EINVAL;
	if (alg != CP_TOTP_SHA1 && alg != CP_TOTP_SHA256 && alg != CP_TOTP_SHA512)
		return -EINVAL;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)counter;
		counter >>= 8;
	}
	n = cp_hmac((int)alg, key, key_len, msg, sizeof(msg), mac);
	if (n < 20) {
		cp_wipe(mac, sizeof(mac));
		return n < 0 ? n : -EINVAL;
	}
	/* Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset the last nibble names. */
	off = mac[n - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	*code = bin % pow10_tab[digits];
	cp_wipe(&bin, sizeof(bin));
	cp_wipe(mac, sizeof(mac));
	return 0;
}

uint64_t
cp_totp_step(uint64_t unix_time)
{
	return unix_time / CP_TOTP_STEP_S;
}

/* The code as the six digits a person types, with leading zeros. */
static void
code_text(uint32_t code, char out[CP_TOTP_DIGITS])
{
	for (int i = CP_TOTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + code % 10);
		code /= 10;
	}
}

int
cp_totp_verify(const uint8_t key[CP_TOTP_SECRET_LEN], const char *code, uint64_t now,
	       uint64_t last_step, uint64_t *step)
{
	uint64_t cur = cp_totp_step(now), cand[CP_TOTP_DRIFT + 1];
	unsigned int ncand = 0, fresh = 0, used = 0;
	char want[CP_TOTP_DIGITS];
	uint64_t match = 0;
	int rc = 0;

	if (key == NULL || code == NULL)
		return -EINVAL;
	for (size_t i = 0; i < CP_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return -EINVAL;
	if (code[CP_TOTP_DIGITS] != '\0')
		return -EINVAL;
	/* Newest first: if a code happens to match two steps, the newer fresh one wins. */
	for (unsigned int d = 0; d <= CP_TOTP_DRIFT && d <= cur; d++)
		cand[ncand++] = cur - d;
	for (unsigned int i = 0; i < ncand; i++) {
		uint32_t v = 0;
		unsigned int eq, is_fresh, take;
		int r = cp_hotp(CP_TOTP_SHA1, key, CP_TOTP_SECRET_LEN, cand[i], CP_TOTP_DIGITS,
				&v);

		if (r != 0)
			rc = r;
		code_text(v, want);
		eq = cp_equal(want, code, CP_TOTP_DIGITS) && r == 0;
		is_fresh = cand[i] > last_step;
		/* Select without branching on the secret-dependent match. */
		take = eq & is_fresh & !fresh;
		match |= (0 - (uint64_t)take) & cand[i];
		fresh |= take;
		used |= eq & !is_fresh;
		cp_wipe(&v, sizeof(v));
	}
	cp_wipe(want, sizeof(want));
	if (rc != 0)
		return rc;
	if (fresh) {
		if (step != NULL)
			*step = match;
		return 0;
	}
	return used ? -EALREADY : -EACCES;
}

/* ---- base32 (RFC 4648 §6) ---- */

static char
b32_char(unsigned int v)
{
	/* 'A' + v for 0..25, '2' + (v - 26) for 26..31 */
	return (char)('A' + v - (~ct_lt(v, 26) & ('A' + 26 - '2')));
}

static const struct cp_alphabet alphabet_b32 = {
	.bits = 5, .n = 3, .r = { { 'A', 'Z', 0 }, { 'a', 'z', 0 }, { '2', '7', 26 } },
};

int
cp_base32_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	unsigned int acc = 0, bits = 0;
	size_t need, o = 0;

	if (len > (size_t)(INT_MAX - 8) / 8 * 5)
		return -EINVAL;
	need = (len * 8 + 4) / 5;
	if (out == NULL || cap < need + 1)
		return -ENOSPC;
	if (len > 0 && in == NULL)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_char((acc >> bits) & 0x1f);
		}
	}
	if (bits > 0)
		out[o++] = b32_char((acc << (5 - bits)) & 0x1f);
	out[o] = '\0';
	cp_wipe(&acc, sizeof(acc));
	return (int)o;
}

int
cp_base32_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n, data, pad;

	if (in == NULL)
		return -EINVAL;
	n = strlen(in);
	if (n > INT_MAX)
		return -EINVAL;
	data = n;
	while (data > 0 && in[data - 1] == '=')
		data--;
	pad = n - data;
	/* Padding, when present, completes the last 8-character group exactly. */
	if (pad > 0 && (n % 8 != 0 || pad > 6))
		return -EINVAL;
	/* 1, 3 or 6 characters in the last group cannot end on a byte boundary. */
	switch (data % 8) {
	case 1:
	case 3:
	case 6:
		return -EINVAL;
	default:
		break;
	}
	if (data * 5 / 8 > cap || (data > 0 && out == NULL))
		return -ENOSPC;
	return cp_radix_decode(&alphabet_b32, in, data, out);
}

/* ---- otpauth:// ---- */

struct sbuf {
	char *p;
	size_t cap, len;
	bool full;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->full || n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static void
sb_pct(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			sb_put(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 0xf];
		sb_put(b, e, 3);
	}
}

int
cp_totp_uri(const char *issuer, const char *account, const uint8_t key[CP_TOTP_SECRET_LEN],
	    char *out, size_t cap)
{
	char secret[(CP_TOTP_SECRET_LEN * 8 + 4) / 5 + 1];
	struct sbuf b = { out, cap, 0, false };
	char tail[64];

	if (issuer == NULL || account == NULL || key == NULL || issuer[0] == '\0' ||
	    account[0] == '\0')
		return -EINVAL;
	if (out == NULL || cap == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (cp_base32_encode(key, CP_TOTP_SECRET_LEN, secret, sizeof(secret)) < 0)
		return -EINVAL;
	sb_str(&b, "otpauth://totp/");
	sb_pct(&b, issuer);
	sb_str(&b, ":");
	sb_pct(&b, account);
	sb_str(&b, "?secret=");
	sb_str(&b, secret);
	sb_str(&b, "&issuer=");
	sb_pct(&b, issuer);
	snprintf(tail, sizeof(tail), "&algorithm=SHA1&digits=%d&period=%d", CP_TOTP_DIGITS,
		 CP_TOTP_STEP_S);
	sb_str(&b, tail);
	cp_wipe(secret, sizeof(secret));
	if (b.full || b.len > INT_MAX) {
		cp_wipe(out, cap);
		return -ENOSPC;
	}
	return (int)b.len;
}
