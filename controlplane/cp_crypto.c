/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's cryptography on OpenSSL 3.0's libcrypto. Encoders and decoders use
 * branch-free character mapping, since what they carry is mostly key material; every buffer
 * that held a key is wiped before it goes out of scope.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "cp_crypto.h"

#define KEYRING_FILE_MAX (64 * 1024)  /* 16 keys and their comments fit many times over */
#define KEY_HEX_LEN (2 * CP_KEY_LEN)
/* HKDF-Expand info prefix for lookup subkeys; the purpose follows it. */
#define LOOKUP_LABEL "sluice-cp lookup:"

/* ---- constant-time helpers (operands below 2^31) ---- */

/* All ones when a < b, else 0. */
static unsigned int
ct_lt(unsigned int a, unsigned int b)
{
	return 0u - ((a - b) >> 31);
}

static unsigned int
ct_eq(unsigned int a, unsigned int b)
{
	return 0u - (((a ^ b) - 1u) >> 31);
}

/* All ones when lo <= c <= hi. */
static unsigned int
ct_in(unsigned int c, unsigned int lo, unsigned int hi)
{
	return ~ct_lt(c, lo) & ~ct_lt(hi, c);
}

/* ---- random, wipe, compare ---- */

int
cp_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint32_t
cp_random_id(void)
{
	uint32_t v = 0;

	while (v == 0) {
		/* An id from a failed DRBG would be guessable: there is nothing safe to return. */
		if (cp_random(&v, sizeof(v)) != 0)
			abort();
	}
	return v;
}

void
cp_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

bool
cp_equal(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return true;
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool
cp_str_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	volatile unsigned int diff = la != lb;

	/* Walk a's length; b is read at index 0 (its NUL at worst) past its end. */
	for (size_t i = 0; i < la; i++) {
		size_t j = i < lb ? i : 0;

		diff |= (unsigned char)a[i] ^ (unsigned char)b[j];
	}
	return diff == 0;
}

/* ---- hashes and MACs ---- */

void
cp_sha256(const void *data, size_t len, uint8_t out[CP_SHA256_LEN])
{
	static const uint8_t empty;

	/* Fails only when libcrypto cannot allocate: a wrong digest must never be used. */
	if (EVP_Digest(len > 0 ? data : &empty, len, out, NULL, EVP_sha256(), NULL) != 1)
		abort();
}

struct mac_part {
	const void *p;
	size_t len;
};

/* HMAC over the concatenation of parts; returns the MAC length or -EINVAL / -EIO. */
static int
hmac_parts(int md, const void *key, size_t key_len, const struct mac_part *parts,
	   size_t nparts, uint8_t *out)
{
	static char sha1[] = "SHA1", sha256[] = "SHA256", sha512[] = "SHA512";
	static const uint8_t empty;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac = NULL;
	size_t out_len = 0;
	char *name;
	int rc = -EIO;

	switch (md) {
	case 1:
		name = sha1;
		break;
	case 256:
		name = sha256;
		break;
	case 512:
		name = sha512;
		break;
	default:
		return -EINVAL;
	}
	if (key == NULL && key_len > 0)
		return -EINVAL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	/* A NULL key means "keep the previous key" to EVP_MAC_init: pass a real empty one. */
	if (EVP_MAC_init(ctx, key_len > 0 ? key : &empty, key_len, params) != 1)
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len == 0)
			continue;
		if (parts[i].p == NULL) {
			rc = -EINVAL;
			goto out;
		}
		if (EVP_MAC_update(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	}
	if (EVP_MAC_final(ctx, out, &out_len, 64) != 1)
		goto out;
	rc = (int)out_len;
out:
	EVP_MAC_CTX_free(ctx);  /* cleanses the keyed state */
	EVP_MAC_free(mac);
	return rc;
}

void
cp_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
	       uint8_t out[CP_SHA256_LEN])
{
	struct mac_part part = { data, len };
	uint8_t mac[64];

	/* As cp_sha256: a failure here is an allocation failure, and a wrong MAC is worse. */
	if (hmac_parts(256, key, key_len, &part, 1, mac) != CP_SHA256_LEN)
		abort();
	memcpy(out, mac, CP_SHA256_LEN);
	cp_wipe(mac, sizeof(mac));
}

int
cp_hmac(int md, const void *key, size_t key_len, const void *data, size_t len, uint8_t *out)
{
	struct mac_part part = { data, len };

	if (out == NULL)
		return -EINVAL;
	return hmac_parts(md, key, key_len, &part, 1, out);
}

/* ---- hex ---- */

static char
hex_char(unsigned int v)
{
	/* '0' + v, plus the distance from '9' + 1 to 'a' when v > 9 */
	return (char)('0' + v + (~ct_lt(v, 10) & ('a' - '0' - 10)));
}

int
cp_hex_encode(const void *in, size_t len, char *out, size_t cap)
{
	const uint8_t *p = in;

	if (len > (INT_MAX - 1) / 2)
		return -EINVAL;
	if (out == NULL || cap < 2 * len + 1)
		return -ENOSPC;
	if (len > 0 && in == NULL)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_char(p[i] >> 4);
		out[2 * i + 1] = hex_char(p[i] & 0xf);
	}
	out[2 * len] = '\0';
	return (int)(2 * len);
}

/* ---- digits of a power-of-two radix, in constant time ---- */

const struct cp_alphabet cp_alphabet_hex = {
	.bits = 4, .n = 3, .r = { { '0', '9', 0 }, { 'a', 'f', 10 }, { 'A', 'F', 10 } },
};
const struct cp_alphabet cp_alphabet_b64 = {
	.bits = 6, .n = 5,
	.r = { { 'A', 'Z', 0 }, { 'a', 'z', 26 }, { '0', '9', 52 }, { '+', '+', 62 },
	       { '/', '/', 63 } },
};
static const struct cp_alphabet alphabet_b64url = {
	.bits = 6, .n = 5,
	.r = { { 'A', 'Z', 0 }, { 'a', 'z', 26 }, { '0', '9', 52 }, { '-', '-', 62 },
	       { '_', '_', 63 } },
};

int
cp_radix_decode(const struct cp_alphabet *a, const char *in, size_t n, uint8_t *out)
{
	unsigned int acc = 0, bits = 0, bad = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int c = (unsigned char)in[i], v = 0, ok = 0;

		/* Every range is tested for every character: timing says nothing of the text. */
		for (unsigned int j = 0; j < a->n; j++) {
			unsigned int m = ct_in(c, a->r[j].lo, a->r[j].hi);

			v |= m & (c - a->r[j].lo + a->r[j].first);
			ok |= m;
		}
		bad |= ~ok;
		acc = (acc << a->bits | (v & ((1u << a->bits) - 1))) & 0xfff;
		bits += a->bits;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The bits left after the last byte must be zero (one text per value). */
	bad |= acc & ((1u << bits) - 1);
	cp_wipe(&acc, sizeof(acc));
	if (bad != 0) {
		cp_wipe(out, o);
		return -EINVAL;
	}
	return (int)o;
}

int
cp_hex_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n;

	if (in == NULL)
		return -EINVAL;
	n = strlen(in);
	if (n % 2 != 0 || n / 2 > INT_MAX)
		return -EINVAL;
	if (n / 2 > cap || (n > 0 && out == NULL))
		return -ENOSPC;
	return cp_radix_decode(&cp_alphabet_hex, in, n, out);
}

/* ---- base64 (RFC 4648 §4 and §5) ---- */

static char
b64_char(unsigned int v, bool url)
{
	unsigned int c = 0;

	c |= ct_lt(v, 26) & ('A' + v);
	c |= ct_in(v, 26, 51) & ('a' + v - 26);
	c |= ct_in(v, 52, 61) & ('0' + v - 52);
	c |= ct_eq(v, 62) & (url ? '-' : '+');
	c |= ct_eq(v, 63) & (url ? '_' : '/');
	return (char)c;
}

static int
b64_encode(const void *in, size_t len, char *out, size_t cap, bool url)
{
	const uint8_t *p = in;
	size_t need, o = 0;
	unsigned int acc = 0, bits = 0;

	if (len > (size_t)(INT_MAX - 4) / 4 * 3)
		return -EINVAL;
	need = url ? (len * 4 + 2) / 3 : (len + 2) / 3 * 4;
	if (out == NULL || cap < need + 1)
		return -ENOSPC;
	if (len > 0 && in == NULL)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | p[i]) & 0xffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64_char((acc >> bits) & 0x3f, url);
		}
	}
	if (bits > 0)
		out[o++] = b64_char((acc << (6 - bits)) & 0x3f, url);
	while (o < need)
		out[o++] = '=';
	out[o] = '\0';
	cp_wipe(&acc, sizeof(acc));
	return (int)o;
}

int
cp_b64_encode(const void *in, size_t len, char *out, size_t cap)
{
	return b64_encode(in, len, out, cap, false);
}

int
cp_b64_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n, pad = 0;

	if (in == NULL)
		return -EINVAL;
	n = strlen(in);
	if (n % 4 != 0 || n / 4 * 3 > INT_MAX)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	/* Any other '=' is outside the alphabet and fails below. */
	if (n / 4 * 3 - pad > cap || out == NULL)
		return -ENOSPC;
	return cp_radix_decode(&cp_alphabet_b64, in, n - pad, out);
}

int
cp_b64url_encode(const void *in, size_t len, char *out, size_t cap)
{
	return b64_encode(in, len, out, cap, true);
}

int
cp_b64url_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n;

	if (in == NULL)
		return -EINVAL;
	n = strlen(in);
	if (n % 4 == 1 || n / 4 * 3 > INT_MAX)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (n * 6 / 8 > cap || out == NULL)
		return -ENOSPC;
	return cp_radix_decode(&alphabet_b64url, in, n, out);
}

/* ---- keyring ---- */

static int
ring_fail(char *err, size_t err_len, unsigned int line, const char *text, int rc)
{
	if (err != NULL && err_len > 0) {
		if (line > 0)
			snprintf(err, err_len, "line %u: %s", line, text);
		else
			snprintf(err, err_len, "%s", text);
	}
	return rc;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One line without its '\n': blank, a comment or "ID HEX"; blanks around fields, one '\r'. */
static int
parse_key_line(const char *p, size_t n, unsigned int line, struct cp_keyring *ring,
	       char *err, size_t err_len)
{
	size_t i = 0, start, hex_len;
	unsigned int id = 0;
	char msg[64];

	if (n > 0 && p[n - 1] == '\r')
		n--;
	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	start = i;
	while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 4)
		id = id * 10 + (unsigned int)(p[i++] - '0');
	if (i == start || (i < n && !is_blank(p[i])))
		return ring_fail(err, err_len, line, "expected \"ID HEX\" (ID a number 1..255)",
				 -EINVAL);
	if (id == 0 || id > 255)
		return ring_fail(err, err_len, line, "key id out of range 1..255", -EINVAL);
	if (i - start > 1 && p[start] == '0')
		return ring_fail(err, err_len, line, "key id has a leading zero", -EINVAL);
	while (i < n && is_blank(p[i]))
		i++;
	start = i;
	while (i < n && !is_blank(p[i]))
		i++;
	hex_len = i - start;
	while (i < n && is_blank(p[i]))
		i++;
	if (i != n)
		return ring_fail(err, err_len, line, "unexpected text after the key", -EINVAL);
	if (hex_len != KEY_HEX_LEN)
		return ring_fail(err, err_len, line, "key must be 64 hex digits (32 bytes)",
				 -EINVAL);
	for (unsigned int k = 0; k < ring->n; k++) {
		if (ring->id[k] == id) {
			snprintf(msg, sizeof(msg), "duplicate key id %u", id);
			return ring_fail(err, err_len, line, msg, -EINVAL);
		}
	}
	if (ring->n == CP_KEYRING_MAX) {
		snprintf(msg, sizeof(msg), "more than %d keys", CP_KEYRING_MAX);
		return ring_fail(err, err_len, line, msg, -EINVAL);
	}
	if (cp_radix_decode(&cp_alphabet_hex, p + start, KEY_HEX_LEN, ring->key[ring->n]) != CP_KEY_LEN)
		return ring_fail(err, err_len, line, "key is not hex", -EINVAL);
	ring->id[ring->n++] = (uint8_t)id;
	return 0;
}

int
cp_keyring_parse(const char *text, size_t len, struct cp_keyring *ring, char *err,
		 size_t err_len)
{
	unsigned int line = 1;
	size_t pos = 0;
	int rc;

	if (ring == NULL)
		return -EINVAL;
	cp_keyring_wipe(ring);
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (text == NULL && len > 0)
		return ring_fail(err, err_len, 0, "no keyring text", -EINVAL);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		if (memchr(text + pos, '\0', n) != NULL) {
			rc = ring_fail(err, err_len, line, "NUL byte in the line", -EINVAL);
			goto fail;
		}
		rc = parse_key_line(text + pos, n, line, ring, err, err_len);
		if (rc != 0)
			goto fail;
		pos += n + (nl != NULL);
		line++;
	}
	if (ring->n == 0)
		return ring_fail(err, err_len, 0, "no key in the keyring", -EINVAL);
	return 0;
fail:
	cp_keyring_wipe(ring);
	return rc;
}

int
cp_keyring_load(const char *path, struct cp_keyring *ring, char *err, size_t err_len)
{
	char *buf = NULL, msg[256];
	size_t len = 0;
	struct stat st;
	int fd, rc;

	if (ring == NULL)
		return -EINVAL;
	cp_keyring_wipe(ring);
	if (path == NULL)
		return ring_fail(err, err_len, 0, "no key file given", -EINVAL);
	/* O_NONBLOCK: a FIFO must not hang the start; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(msg, sizeof(msg), "cannot open %s: %s", path, strerror(-rc));
		return ring_fail(err, err_len, 0, msg, rc);
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(msg, sizeof(msg), "cannot stat %s: %s", path, strerror(-rc));
		goto fail_msg;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(msg, sizeof(msg), "%s is not a regular file", path);
		goto fail_msg;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = -EPERM;
		snprintf(msg, sizeof(msg),
			 "%s has mode %04o: group and others must have no access (chmod 600)",
			 path, (unsigned int)(st.st_mode & 07777));
		goto fail_msg;
	}
	buf = malloc(KEYRING_FILE_MAX + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		snprintf(msg, sizeof(msg), "cannot read %s: out of memory", path);
		goto fail_msg;
	}
	/* Read one byte past the limit so that "too large" is told apart from "just fits". */
	while (len <= KEYRING_FILE_MAX) {
		ssize_t n = read(fd, buf + len, KEYRING_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(msg, sizeof(msg), "cannot read %s: %s", path, strerror(-rc));
			goto fail_msg;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > KEYRING_FILE_MAX) {
		rc = -EFBIG;
		snprintf(msg, sizeof(msg), "%s is larger than %d bytes", path, KEYRING_FILE_MAX);
		goto fail_msg;
	}
	rc = cp_keyring_parse(buf, len, ring, msg, sizeof(msg));
	if (rc != 0 && err != NULL && err_len > 0)
		snprintf(err, err_len, "%s: %s", path, msg);
	goto out;
fail_msg:
	ring_fail(err, err_len, 0, msg, rc);
out:
	if (buf != NULL) {
		cp_wipe(buf, KEYRING_FILE_MAX + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cp_keyring_generate(const char *path)
{
	static const char head[] =
		"# sluice-cp keyring: \"ID HEX\" per line, the first key seals, all open.\n"
		"# Rotate: put a new key (new id) first; keep old ones until values are resealed.\n";
	char line[8 + KEY_HEX_LEN + 2];
	uint8_t key[CP_KEY_LEN];
	int fd, rc;

	if (path == NULL)
		return -EINVAL;
	rc = cp_random(key, sizeof(key));
	if (rc != 0)
		return rc;
	memcpy(line, "1 ", 2);
	cp_hex_encode(key, sizeof(key), line + 2, sizeof(line) - 2);
	cp_wipe(key, sizeof(key));
	line[2 + KEY_HEX_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, head, sizeof(head) - 1);
	if (rc == 0)
		rc = write_all(fd, line, 2 + KEY_HEX_LEN + 1);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlink(path);  /* we created it (O_EXCL): leave no half-written key behind */
out:
	cp_wipe(line, sizeof(line));
	return rc;
}

void
cp_keyring_wipe(struct cp_keyring *ring)
{
	if (ring != NULL)
		cp_wipe(ring, sizeof(*ring));
}

/* ---- sealing (AES-256-GCM) ---- */

/* The authenticated data is the key id byte followed by the caller's label. */
static int
gcm_aad(EVP_CIPHER_CTX *ctx, uint8_t id, const char *aad, bool enc)
{
	size_t n = strlen(aad);
	int outl;

	if (n > INT_MAX)
		return -EINVAL;
	if (enc) {
		if (EVP_EncryptUpdate(ctx, NULL, &outl, &id, 1) != 1 ||
		    (n > 0 && EVP_EncryptUpdate(ctx, NULL, &outl, (const uint8_t *)aad,
						(int)n) != 1))
			return -EIO;
	} else {
		if (EVP_DecryptUpdate(ctx, NULL, &outl, &id, 1) != 1 ||
		    (n > 0 && EVP_DecryptUpdate(ctx, NULL, &outl, (const uint8_t *)aad,
						(int)n) != 1))
			return -EIO;
	}
	return 0;
}

int
cp_seal(const struct cp_keyring *ring, const char *aad, const void *in, size_t len,
	uint8_t *out, size_t cap)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *nonce, *ct;
	int outl, rc = -EIO;

	if (ring == NULL || ring->n == 0)
		return -ENOKEY;
	if (aad == NULL || (in == NULL && len > 0) || len > INT_MAX - CP_SEAL_OVERHEAD)
		return -EINVAL;
	if (out == NULL || cap < len + CP_SEAL_OVERHEAD)
		return -ENOSPC;
	nonce = out + 1;
	ct = nonce + CP_SEAL_NONCE_LEN;
	out[0] = ring->id[0];
	if (cp_random(nonce, CP_SEAL_NONCE_LEN) != 0)
		return -EIO;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -EIO;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, ring->key[0], nonce) != 1)
		goto out;
	rc = gcm_aad(ctx, out[0], aad, true);
	if (rc != 0)
		goto out;
	rc = -EIO;
	if (len > 0 && EVP_EncryptUpdate(ctx, ct, &outl, in, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, ct + len, &outl) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CP_SEAL_TAG_LEN, ct + len) != 1)
		goto out;
	rc = (int)(len + CP_SEAL_OVERHEAD);
out:
	EVP_CIPHER_CTX_free(ctx);  /* cleanses the key schedule */
	if (rc < 0)
		cp_wipe(out, len + CP_SEAL_OVERHEAD);
	return rc;
}

int
cp_open(const struct cp_keyring *ring, const char *aad, const uint8_t *in, size_t len,
	uint8_t *out, size_t cap)
{
	const uint8_t *nonce, *ct, *tag;
	uint8_t fin[CP_SEAL_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	unsigned int k;
	size_t ct_len;
	int outl, rc = -EIO;

	if (ring == NULL || aad == NULL || in == NULL || len < CP_SEAL_OVERHEAD ||
	    len > INT_MAX)
		return -EINVAL;
	for (k = 0; k < ring->n; k++)
		if (ring->id[k] == in[0])
			break;
	if (k == ring->n)
		return -ENOKEY;
	ct_len = len - CP_SEAL_OVERHEAD;
	if (cap < ct_len || (ct_len > 0 && out == NULL))
		return -ENOSPC;
	nonce = in + 1;
	ct = nonce + CP_SEAL_NONCE_LEN;
	tag = ct + ct_len;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -EIO;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, ring->key[k], nonce) != 1)
		goto out;
	rc = gcm_aad(ctx, in[0], aad, false);
	if (rc != 0)
		goto out;
	rc = -EIO;
	if (ct_len > 0 && EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ct_len) != 1)
		goto out;
	/* The tag is only read by OpenSSL; its ctrl takes a non-const pointer. */
	{
		uint8_t t[CP_SEAL_TAG_LEN];

		memcpy(t, tag, sizeof(t));
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CP_SEAL_TAG_LEN, t) != 1)
			goto out;
	}
	/* GCM's final step writes nothing; fin keeps a NULL out (empty value) off it. */
	rc = EVP_DecryptFinal_ex(ctx, fin, &outl) == 1 ? (int)ct_len : -EACCES;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (rc < 0)
		cp_wipe(out, ct_len);  /* never hand out unauthenticated plaintext */
	return rc;
}

/* ---- lookup hashes ---- */

void
cp_lookup_hash(const struct cp_keyring *ring, const char *purpose, const void *data,
	       size_t len, char out[CP_LOOKUP_HASH_LEN])
{
	static const uint8_t one = 1;
	struct mac_part info[3], part = { data, len };
	uint8_t subkey[64], mac[64];
	int rc;

	/*
	 * No key or a failed MAC has no safe answer: a constant would make every value look
	 * alike to the lookup. A loaded keyring always has a key; OpenSSL fails only on memory.
	 */
	if (ring == NULL || ring->n == 0 || purpose == NULL)
		abort();
	/* HKDF-Expand (RFC 5869) for one block: PRK is the uniform random last key. */
	info[0] = (struct mac_part){ LOOKUP_LABEL, sizeof(LOOKUP_LABEL) - 1 };
	info[1] = (struct mac_part){ purpose, strlen(purpose) };
	info[2] = (struct mac_part){ &one, 1 };
	rc = hmac_parts(256, ring->key[ring->n - 1], CP_KEY_LEN, info, 3, subkey);
	if (rc == CP_SHA256_LEN)
		rc = hmac_parts(256, subkey, CP_SHA256_LEN, &part, 1, mac);
	cp_wipe(subkey, sizeof(subkey));
	if (rc != CP_SHA256_LEN)
		abort();
	cp_hex_encode(mac, CP_SHA256_LEN, out, CP_LOOKUP_HASH_LEN);
	cp_wipe(mac, sizeof(mac));
}
