/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-crypto: the raw OpenSSL bound for an SRTP relay, per suite and payload size.
 *
 * A relay that terminates SRTP does, per received packet, one verify + decrypt with the
 * sender's keys and, per forwarded copy, one encrypt + tag with the receiver's keys. This
 * program does exactly that crypto and nothing else (no packet I/O, no lookups, no headers
 * beyond RTP), on one pinned core, so that the relay's rate can be quoted as a fraction of
 * it. It shares no code with the dataplane: it is a second, plain implementation.
 *
 *   1->1: verify+decrypt a packet, then encrypt+tag it again in place.
 *   1->N: verify+decrypt a packet, then encrypt+tag N copies, each with its own key, into
 *         N separate buffers; rates are given per input and per forwarded packet.
 *
 * Per context everything keyed is set up once; per packet only the IV changes. OpenSSL
 * offers several ways to do each part, with very different fixed costs per packet, so the
 * bound times them first and uses the fastest at the given size (a bound that took a slow
 * path would flatter the relay):
 *   AES-CTR   EVP AES-CTR re-initialised with each packet's IV, or the keystream made by
 *             EVP AES-ECB over the packet's counter blocks (no per-packet initialisation)
 *   AES-GCM   EVP AES-GCM (IV, tag through EVP), or CRYPTO_gcm128 (GHASH) with the
 *             EVP AES-ECB keystream as its counter-mode function
 *   HMAC-SHA1 SHA-1 states after the key blocks, copied per packet; EVP_MD_CTX copies;
 *             EVP_MAC_CTX_dup; EVP_MAC_init without a key; HMAC_CTX re-init
 * Every path is checked against EVP or HMAC() before anything is timed.
 *
 * Output: one JSON document on stdout. Exit 0, 1 on usage errors, 2 when a self-test fails.
 */
/* The precomputed HMAC states need OpenSSL's low-level SHA-1 API (deprecated, kept in 3.x). */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/modes.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define BC_RTP_HDR 12
#define BC_TAG_MAX 16
#define BC_AUTH_KEY 20               /* HMAC-SHA1 session key */
#define BC_HMAC_BLOCK 64
#define BC_SALT 14                   /* AES-CM session salt; GCM uses 12 bytes */
#define BC_SIZE_MAX 9000
/* A packet buffer, a multiple of the cache line (and of aligned_alloc's alignment). */
#define BC_BUF ((BC_RTP_HDR + BC_SIZE_MAX + BC_TAG_MAX + 63) / 64 * 64)
#define BC_KS_BLOCKS 128             /* keystream made per EVP AES-ECB call */
#define BC_MAX_LEGS 64
#define BC_MAX_FANOUT 64
#define BC_MAX_LIST 16
#define BC_TEMPLATES 16              /* packets per leg, with consecutive SEQ */
#define BC_CHUNK 64                  /* iterations between clock reads */
#define BC_CALIBRATE_S 0.2           /* per path */

#define BC_EXIT_USAGE 1
#define BC_EXIT_FAIL 2

struct bc_suite {
	const char *name;
	uint8_t key_len;
	uint8_t tag_len;
	bool gcm;
};

static const struct bc_suite bc_suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", 16, 10, false },
	{ "AES_CM_128_HMAC_SHA1_32", 16, 4, false },
	{ "AEAD_AES_128_GCM", 16, 16, true },
	{ "AEAD_AES_256_GCM", 32, 16, true },
};

#define BC_N_SUITES (sizeof(bc_suites) / sizeof(bc_suites[0]))

/* The ways OpenSSL 3 offers to run AES-CTR / AES-GCM with a key fixed in advance. */
enum bc_aes {
	BC_AES_EVP = 0,              /* EVP AES-CTR / AES-GCM, IV set per packet */
	BC_AES_ECB_KEYSTREAM,        /* EVP AES-ECB over counter blocks (+ CRYPTO_gcm128) */
	BC_AES_N
};

static const char *const bc_aes_names[BC_AES_N] = {
	[BC_AES_EVP] = "evp_iv_per_packet",
	[BC_AES_ECB_KEYSTREAM] = "evp_ecb_keystream",
};

/* The ways OpenSSL 3 offers to compute HMAC-SHA1 with a key fixed in advance. */
enum bc_hmac {
	BC_HMAC_SHA1_STATE = 0,      /* SHA_CTX after key^ipad / key^opad, copied per packet */
	BC_HMAC_EVP_MD_COPY,         /* EVP_MD_CTX after the key blocks, EVP_MD_CTX_copy_ex */
	BC_HMAC_EVP_MAC_DUP,         /* keyed EVP_MAC_CTX, EVP_MAC_CTX_dup per packet */
	BC_HMAC_EVP_MAC_REINIT,      /* keyed EVP_MAC_CTX, EVP_MAC_init(NULL key) per packet */
	BC_HMAC_LEGACY_CTX,          /* HMAC_CTX, HMAC_Init_ex(NULL key) per packet */
	BC_HMAC_N
};

static const char *const bc_hmac_names[BC_HMAC_N] = {
	[BC_HMAC_SHA1_STATE] = "sha1_precomputed_state",
	[BC_HMAC_EVP_MD_COPY] = "evp_md_ctx_copy",
	[BC_HMAC_EVP_MAC_DUP] = "evp_mac_ctx_dup",
	[BC_HMAC_EVP_MAC_REINIT] = "evp_mac_init_reuse",
	[BC_HMAC_LEGACY_CTX] = "hmac_ctx_reinit",
};

struct bc_path {
	enum bc_aes aes;
	enum bc_hmac hmac;           /* AES-CM suites only */
};

/* One direction of one leg's SRTP session keys, keyed for every path. */
struct bc_ctx {
	const struct bc_suite *suite;
	EVP_CIPHER_CTX *cipher;      /* keyed AES-CTR or AES-GCM */
	EVP_CIPHER_CTX *ecb;         /* keyed AES-ECB: the keystream */
	GCM128_CONTEXT *gcm;         /* GHASH key, over ecb */
	uint8_t salt[BC_SALT];
	uint8_t auth_key[BC_AUTH_KEY];
	SHA_CTX inner, outer;        /* BC_HMAC_SHA1_STATE */
	EVP_MD_CTX *md_inner, *md_outer, *md_work; /* BC_HMAC_EVP_MD_COPY */
	EVP_MAC_CTX *mac;            /* BC_HMAC_EVP_MAC_* */
	HMAC_CTX *hctx;              /* BC_HMAC_LEGACY_CTX */
};

struct bc_opts {
	int core;
	double seconds;
	unsigned int legs;
	unsigned int n_suites, n_sizes, n_fanouts;
	const struct bc_suite *suites[BC_MAX_LIST];
	unsigned int sizes[BC_MAX_LIST];
	unsigned int fanouts[BC_MAX_LIST];
	int force_aes;               /* -1: the fastest */
	int force_hmac;
};

struct bc_rate {
	uint64_t iters;
	double wall_s;
	double cpu_s;
};

static EVP_MAC *bc_hmac_alg;

/* ---- helpers ---- */

static double
bc_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void
bc_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
bc_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
bc_die(const char *what)
{
	fprintf(stderr, "sluice-bench-crypto: %s failed\n", what);
	exit(BC_EXIT_FAIL);
}

/* ---- AES keystream from EVP AES-ECB ---- */

/*
 * out = in XOR AES(K, ctr), AES(K, ctr + 1), ... over n bytes, where the counter is the
 * last 32 bits of iv, big-endian, wrapping (GCM's inc32; AES-CM's IV has 16 zero low bits
 * and a packet has far fewer than 2^16 blocks, so it never carries further). Counter
 * blocks are written with word stores, long before AES reads them (a block assembled and
 * reloaded at once stalls on store forwarding). 0 or -1.
 * The dataplane has its own such function; this one stays apart on purpose, so that the
 * bound never shares code with what it is the bound of.
 */
static int
bc_keystream_xor(EVP_CIPHER_CTX *ecb, const uint8_t iv[16], uint8_t *out, const uint8_t *in,
		 size_t n)
{
	uint8_t ks[BC_KS_BLOCKS * 16];
	uint32_t ctr = bc_rd32(iv + 12);

	while (n > 0) {
		size_t len = n < sizeof(ks) ? n : sizeof(ks);
		size_t blocks = (len + 15) / 16;
		size_t i = 0;
		int outl;

		for (size_t b = 0; b < blocks; b++) {
			uint32_t be = htobe32(ctr++);

			memcpy(ks + 16 * b, iv, 12);
			memcpy(ks + 16 * b + 12, &be, 4);
		}
		if (EVP_EncryptUpdate(ecb, ks, &outl, ks, (int)(blocks * 16)) != 1)
			return -1;
		/* In place, the compiler need not prove that in and out do not overlap. */
		if (out == in) {
			for (; i + 8 <= len; i += 8) {
				uint64_t x, k;

				memcpy(&x, out + i, 8);
				memcpy(&k, ks + i, 8);
				x ^= k;
				memcpy(out + i, &x, 8);
			}
		} else {
			for (; i + 8 <= len; i += 8) {
				uint64_t x, k;

				memcpy(&x, in + i, 8);
				memcpy(&k, ks + i, 8);
				x ^= k;
				memcpy(out + i, &x, 8);
			}
		}
		for (; i < len; i++)
			out[i] = in[i] ^ ks[i];
		out += len;
		in += len;
		n -= len;
	}
	return 0;
}

/* CRYPTO_gcm128's block function: one AES block through the ECB context in key. */
static void
bc_gcm_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
	int outl;

	EVP_EncryptUpdate((EVP_CIPHER_CTX *)(uintptr_t)key, out, &outl, in, 16);
}

/* CRYPTO_gcm128's counter-mode function: whole blocks of keystream from the ECB context. */
static void
bc_gcm_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
	     const unsigned char ivec[16])
{
	bc_keystream_xor((EVP_CIPHER_CTX *)(uintptr_t)key, ivec, out, in, blocks * 16);
}

/* ---- contexts ---- */

/* An HMAC key block (RFC 2104): the key zero-padded to the block size, XOR pad. */
static void
bc_pad_block(uint8_t block[BC_HMAC_BLOCK], const uint8_t *key, uint8_t pad)
{
	memset(block, pad, BC_HMAC_BLOCK);
	for (unsigned int i = 0; i < BC_AUTH_KEY; i++)
		block[i] ^= key[i];
}

static void
bc_sha1_pad_state(SHA_CTX *c, const uint8_t *key, uint8_t pad)
{
	uint8_t block[BC_HMAC_BLOCK];

	bc_pad_block(block, key, pad);
	SHA1_Init(c);
	SHA1_Update(c, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
}

static void
bc_md_pad_state(EVP_MD_CTX *c, const uint8_t *key, uint8_t pad)
{
	uint8_t block[BC_HMAC_BLOCK];

	bc_pad_block(block, key, pad);
	if (EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(c, block, sizeof(block)) != 1)
		bc_die("EVP_DigestInit_ex");
	OPENSSL_cleanse(block, sizeof(block));
}

/*
 * A context for suite with random session keys (the KDF runs once per leg, not per
 * packet), or with those of same_keys. enc: the direction of the EVP cipher context.
 */
static void
bc_ctx_init(struct bc_ctx *c, const struct bc_suite *s, bool enc, const struct bc_ctx *same_keys)
{
	static char digest[] = "SHA1";
	uint8_t key[32];
	const EVP_CIPHER *cipher, *ecb;
	OSSL_PARAM params[2];

	memset(c, 0, sizeof(*c));
	c->suite = s;
	if (same_keys != NULL) {
		/* The AES key comes with the copied cipher contexts below. */
		memcpy(c->salt, same_keys->salt, sizeof(c->salt));
		memcpy(c->auth_key, same_keys->auth_key, sizeof(c->auth_key));
	} else if (RAND_bytes(key, s->key_len) != 1 ||
		   RAND_bytes(c->salt, sizeof(c->salt)) != 1 ||
		   RAND_bytes(c->auth_key, sizeof(c->auth_key)) != 1) {
		bc_die("RAND_bytes");
	}
	if (s->gcm)
		cipher = s->key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	else
		cipher = EVP_aes_128_ctr();
	ecb = s->key_len == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
	c->cipher = EVP_CIPHER_CTX_new();
	c->ecb = EVP_CIPHER_CTX_new();
	if (c->cipher == NULL || c->ecb == NULL)
		bc_die("EVP_CIPHER_CTX_new");
	if (same_keys != NULL) {
		/* The other direction of the same keys (a sender and the relay's inbound side). */
		if (EVP_CIPHER_CTX_copy(c->cipher, same_keys->cipher) != 1 ||
		    EVP_CipherInit_ex(c->cipher, NULL, NULL, NULL, NULL, enc) != 1 ||
		    EVP_CIPHER_CTX_copy(c->ecb, same_keys->ecb) != 1)
			bc_die("EVP_CIPHER_CTX_copy");
	} else if (EVP_CipherInit_ex(c->cipher, cipher, NULL, NULL, NULL, enc) != 1 ||
		   (s->gcm && EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_SET_IVLEN, 12,
						  NULL) != 1) ||
		   EVP_CipherInit_ex(c->cipher, NULL, NULL, key, NULL, enc) != 1 ||
		   EVP_EncryptInit_ex(c->ecb, ecb, NULL, key, NULL) != 1 ||
		   EVP_CIPHER_CTX_set_padding(c->ecb, 0) != 1) {
		bc_die("EVP_CipherInit_ex");
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (s->gcm) {
		c->gcm = CRYPTO_gcm128_new(c->ecb, bc_gcm_block);
		if (c->gcm == NULL)
			bc_die("CRYPTO_gcm128_new");
		return;
	}
	bc_sha1_pad_state(&c->inner, c->auth_key, 0x36);
	bc_sha1_pad_state(&c->outer, c->auth_key, 0x5c);
	c->md_inner = EVP_MD_CTX_new();
	c->md_outer = EVP_MD_CTX_new();
	c->md_work = EVP_MD_CTX_new();
	if (c->md_inner == NULL || c->md_outer == NULL || c->md_work == NULL)
		bc_die("EVP_MD_CTX_new");
	bc_md_pad_state(c->md_inner, c->auth_key, 0x36);
	bc_md_pad_state(c->md_outer, c->auth_key, 0x5c);
	c->mac = EVP_MAC_CTX_new(bc_hmac_alg);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (c->mac == NULL || EVP_MAC_init(c->mac, c->auth_key, BC_AUTH_KEY, params) != 1)
		bc_die("EVP_MAC_init");
	c->hctx = HMAC_CTX_new();
	if (c->hctx == NULL ||
	    HMAC_Init_ex(c->hctx, c->auth_key, BC_AUTH_KEY, EVP_sha1(), NULL) != 1)
		bc_die("HMAC_Init_ex");
}

static void
bc_ctx_free(struct bc_ctx *c)
{
	EVP_CIPHER_CTX_free(c->cipher);
	EVP_CIPHER_CTX_free(c->ecb);
	CRYPTO_gcm128_release(c->gcm);
	EVP_MD_CTX_free(c->md_inner);
	EVP_MD_CTX_free(c->md_outer);
	EVP_MD_CTX_free(c->md_work);
	EVP_MAC_CTX_free(c->mac);
	HMAC_CTX_free(c->hctx);
	OPENSSL_cleanse(c, sizeof(*c));
}

/* ---- the per-packet crypto ---- */

/* HMAC-SHA1(auth key, msg || ROC) through the chosen path; 0 or -1. */
static inline int
bc_hmac(struct bc_ctx *c, enum bc_hmac path, const uint8_t *msg, size_t len, uint32_t roc,
	uint8_t mac[SHA_DIGEST_LENGTH])
{
	uint8_t r[4];
	size_t outl;
	unsigned int mdl;

	bc_wr32(r, roc);
	switch (path) {
	case BC_HMAC_SHA1_STATE: {
		SHA_CTX s = c->inner;

		SHA1_Update(&s, msg, len);
		SHA1_Update(&s, r, sizeof(r));
		SHA1_Final(mac, &s);
		s = c->outer;
		SHA1_Update(&s, mac, SHA_DIGEST_LENGTH);
		SHA1_Final(mac, &s);
		return 0;
	}
	case BC_HMAC_EVP_MD_COPY:
		if (EVP_MD_CTX_copy_ex(c->md_work, c->md_inner) != 1 ||
		    EVP_DigestUpdate(c->md_work, msg, len) != 1 ||
		    EVP_DigestUpdate(c->md_work, r, sizeof(r)) != 1 ||
		    EVP_DigestFinal_ex(c->md_work, mac, &mdl) != 1 ||
		    EVP_MD_CTX_copy_ex(c->md_work, c->md_outer) != 1 ||
		    EVP_DigestUpdate(c->md_work, mac, SHA_DIGEST_LENGTH) != 1 ||
		    EVP_DigestFinal_ex(c->md_work, mac, &mdl) != 1)
			return -1;
		return 0;
	case BC_HMAC_EVP_MAC_DUP: {
		EVP_MAC_CTX *d = EVP_MAC_CTX_dup(c->mac);
		int ok = d != NULL && EVP_MAC_update(d, msg, len) == 1 &&
			 EVP_MAC_update(d, r, sizeof(r)) == 1 &&
			 EVP_MAC_final(d, mac, &outl, SHA_DIGEST_LENGTH) == 1;

		EVP_MAC_CTX_free(d);
		return ok ? 0 : -1;
	}
	case BC_HMAC_EVP_MAC_REINIT:
		if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(c->mac, msg, len) != 1 ||
		    EVP_MAC_update(c->mac, r, sizeof(r)) != 1 ||
		    EVP_MAC_final(c->mac, mac, &outl, SHA_DIGEST_LENGTH) != 1)
			return -1;
		return 0;
	case BC_HMAC_LEGACY_CTX:
		if (HMAC_Init_ex(c->hctx, NULL, 0, NULL, NULL) != 1 ||
		    HMAC_Update(c->hctx, msg, len) != 1 ||
		    HMAC_Update(c->hctx, r, sizeof(r)) != 1 ||
		    HMAC_Final(c->hctx, mac, &mdl) != 1)
			return -1;
		return 0;
	default:
		return -1;
	}
}

/*
 * AES-CM IV (RFC 3711 4.1.1) and AES-GCM IV (RFC 7714 8.1) for ROC 0: the salt XOR the
 * SSRC, and 8 bytes further the SEQ; GCM's 12-byte IV has them 2 bytes earlier.
 */
static inline void
bc_iv(const struct bc_ctx *c, uint8_t iv[16], uint32_t ssrc, uint16_t seq)
{
	size_t at;

	if (c->suite->gcm) {
		memcpy(iv, c->salt, 12);
		at = 2;
	} else {
		memcpy(iv, c->salt, BC_SALT);
		iv[14] = 0;
		iv[15] = 0;
		at = 4;
	}
	iv[at] ^= (uint8_t)(ssrc >> 24);
	iv[at + 1] ^= (uint8_t)(ssrc >> 16);
	iv[at + 2] ^= (uint8_t)(ssrc >> 8);
	iv[at + 3] ^= (uint8_t)ssrc;
	iv[at + 8] ^= (uint8_t)(seq >> 8);
	iv[at + 9] ^= (uint8_t)seq;
}

/* AES-CTR over n bytes from in to out (may be equal). 0 or -1. */
static inline int
bc_ctr(struct bc_ctx *c, enum bc_aes path, const uint8_t iv[16], uint8_t *out,
       const uint8_t *in, size_t n)
{
	int outl;

	if (path == BC_AES_ECB_KEYSTREAM)
		return bc_keystream_xor(c->ecb, iv, out, in, n);
	if (EVP_CipherInit_ex(c->cipher, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(c->cipher, out, &outl, in, (int)n) != 1)
		return -1;
	return 0;
}

/*
 * AES-GCM over the payload in -> out (n bytes) with aad; enc: writes the tag to tag, else
 * verifies the tag at tag. 0 or -1.
 */
static inline int
bc_gcm(struct bc_ctx *c, enum bc_aes path, bool enc, const uint8_t iv[12], const uint8_t *aad,
       uint8_t *out, const uint8_t *in, size_t n, uint8_t *tag)
{
	size_t tag_len = c->suite->tag_len;
	int outl;

	if (path == BC_AES_ECB_KEYSTREAM) {
		CRYPTO_gcm128_setiv(c->gcm, iv, 12);
		if (CRYPTO_gcm128_aad(c->gcm, aad, BC_RTP_HDR) != 0)
			return -1;
		if (enc) {
			if (CRYPTO_gcm128_encrypt_ctr32(c->gcm, in, out, n, bc_gcm_ctr32) != 0)
				return -1;
			CRYPTO_gcm128_tag(c->gcm, tag, tag_len);
			return 0;
		}
		if (CRYPTO_gcm128_decrypt_ctr32(c->gcm, in, out, n, bc_gcm_ctr32) != 0)
			return -1;
		return CRYPTO_gcm128_finish(c->gcm, tag, tag_len) == 0 ? 0 : -1;
	}
	if (EVP_CipherInit_ex(c->cipher, NULL, NULL, NULL, iv, -1) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
					 tag) != 1) ||
	    EVP_CipherUpdate(c->cipher, NULL, &outl, aad, BC_RTP_HDR) != 1 ||
	    EVP_CipherUpdate(c->cipher, out, &outl, in, (int)n) != 1 ||
	    EVP_CipherFinal_ex(c->cipher, out + n, &outl) != 1 ||
	    (enc && EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_GET_TAG, (int)tag_len,
					tag) != 1))
		return -1;
	return 0;
}

/*
 * Verifies and decrypts the SRTP packet in (len bytes, tag included) into out (header
 * copied, payload decrypted); out may equal in. Returns the RTP length or -1.
 */
static inline int
bc_unprotect(struct bc_ctx *c, struct bc_path p, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t tag = c->suite->tag_len;
	size_t n = len - BC_RTP_HDR - tag;
	uint8_t iv[16];

	bc_iv(c, iv, bc_rd32(in + 8), (uint16_t)(in[2] << 8 | in[3]));
	if (out != in)
		memcpy(out, in, BC_RTP_HDR);
	if (c->suite->gcm) {
		uint8_t t[BC_TAG_MAX];

		memcpy(t, in + len - tag, tag);
		if (bc_gcm(c, p.aes, false, iv, in, out + BC_RTP_HDR, in + BC_RTP_HDR, n, t) != 0)
			return -1;
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH];

		if (bc_hmac(c, p.hmac, in, len - tag, 0, mac) != 0 ||
		    CRYPTO_memcmp(mac, in + len - tag, tag) != 0)
			return -1;
		if (bc_ctr(c, p.aes, iv, out + BC_RTP_HDR, in + BC_RTP_HDR, n) != 0)
			return -1;
	}
	return (int)(len - tag);
}

/*
 * Encrypts the RTP packet in (len bytes) into out (header copied unless out == in) and
 * appends the tag. Returns the SRTP length or -1.
 */
static inline int
bc_protect(struct bc_ctx *c, struct bc_path p, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t tag = c->suite->tag_len;
	size_t n = len - BC_RTP_HDR;
	uint8_t iv[16];

	bc_iv(c, iv, bc_rd32(in + 8), (uint16_t)(in[2] << 8 | in[3]));
	if (out != in)
		memcpy(out, in, BC_RTP_HDR);
	if (c->suite->gcm) {
		if (bc_gcm(c, p.aes, true, iv, out, out + BC_RTP_HDR, in + BC_RTP_HDR, n,
			   out + len) != 0)
			return -1;
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH];

		if (bc_ctr(c, p.aes, iv, out + BC_RTP_HDR, in + BC_RTP_HDR, n) != 0 ||
		    bc_hmac(c, p.hmac, out, len, 0, mac) != 0)
			return -1;
		memcpy(out + len, mac, tag);
	}
	return (int)(len + tag);
}

/* ---- the workload ---- */

struct bc_run {
	const struct bc_suite *suite;
	unsigned int size, fanout, legs;
	struct bc_path path;
	size_t srtp_len;
	struct bc_ctx *in;           /* legs: the senders' keys, inbound */
	struct bc_ctx *out;          /* legs * fanout: the receivers' keys, outbound */
	uint8_t (*tmpl)[BC_TEMPLATES][BC_BUF]; /* legs x templates: SRTP from each sender */
	uint8_t *work;               /* the decrypted packet */
	uint8_t (*copies)[BC_BUF];   /* fanout > 1: one output buffer per copy */
};

static void
bc_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned int size)
{
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	bc_wr32(p + 4, seq * 3000u);
	bc_wr32(p + 8, ssrc);
	for (unsigned int i = 0; i < size; i++)
		p[BC_RTP_HDR + i] = (uint8_t)(i * 7 + seq);
}

/* The templates are made by the senders with EVP (the reference path), whatever p is. */
static void
bc_run_setup(struct bc_run *r, const struct bc_suite *s, unsigned int size, unsigned int fanout,
	     unsigned int legs, struct bc_path p)
{
	const struct bc_path ref = { BC_AES_EVP, BC_HMAC_SHA1_STATE };
	uint8_t *plain = malloc(BC_BUF);

	memset(r, 0, sizeof(*r));
	r->suite = s;
	r->size = size;
	r->fanout = fanout;
	r->legs = legs;
	r->path = p;
	r->srtp_len = BC_RTP_HDR + size + s->tag_len;
	r->in = calloc(legs, sizeof(*r->in));
	r->out = calloc((size_t)legs * fanout, sizeof(*r->out));
	r->tmpl = aligned_alloc(64, (size_t)legs * sizeof(*r->tmpl));
	r->work = aligned_alloc(64, BC_BUF);
	r->copies = aligned_alloc(64, (size_t)fanout * sizeof(*r->copies));
	if (plain == NULL || r->in == NULL || r->out == NULL || r->tmpl == NULL ||
	    r->work == NULL || r->copies == NULL)
		bc_die("malloc");
	for (unsigned int l = 0; l < legs; l++) {
		struct bc_ctx sender;

		bc_ctx_init(&sender, s, true, NULL);
		bc_ctx_init(&r->in[l], s, false, &sender);
		for (unsigned int t = 0; t < BC_TEMPLATES; t++) {
			bc_rtp(plain, (uint16_t)(t + 1), 0x10000u + l, size);
			if (bc_protect(&sender, ref, plain, BC_RTP_HDR + size,
				       r->tmpl[l][t]) != (int)r->srtp_len)
				bc_die("protect (template)");
		}
		bc_ctx_free(&sender);
		for (unsigned int f = 0; f < fanout; f++)
			bc_ctx_init(&r->out[l * fanout + f], s, true, NULL);
	}
	free(plain);
}

static void
bc_run_free(struct bc_run *r)
{
	for (unsigned int l = 0; l < r->legs; l++)
		bc_ctx_free(&r->in[l]);
	for (unsigned int i = 0; i < r->legs * r->fanout; i++)
		bc_ctx_free(&r->out[i]);
	free(r->in);
	free(r->out);
	free(r->tmpl);
	free(r->work);
	free(r->copies);
}

/* One received packet: decrypt, then encrypt each copy. 0 or -1. */
static inline int
bc_forward(struct bc_run *r, uint64_t i)
{
	unsigned int l = (unsigned int)(i % r->legs);
	unsigned int t = (unsigned int)(i / r->legs % BC_TEMPLATES);
	int len;

	len = bc_unprotect(&r->in[l], r->path, r->tmpl[l][t], r->srtp_len, r->work);
	if (len < 0)
		return -1;
	if (r->fanout == 1)
		return bc_protect(&r->out[l], r->path, r->work, (size_t)len, r->work) < 0 ? -1 : 0;
	for (unsigned int f = 0; f < r->fanout; f++)
		if (bc_protect(&r->out[l * r->fanout + f], r->path, r->work, (size_t)len,
			       r->copies[f]) < 0)
			return -1;
	return 0;
}

static void
bc_measure(struct bc_run *r, double seconds, struct bc_rate *rate)
{
	double w0, c0, w;
	uint64_t i = 0;

	/* Warm up caches, branch predictors and the core's clock. */
	w0 = bc_now(CLOCK_MONOTONIC);
	while (bc_now(CLOCK_MONOTONIC) - w0 < seconds / 10)
		for (unsigned int k = 0; k < BC_CHUNK; k++)
			if (bc_forward(r, i++) != 0)
				bc_die("forward");
	i = 0;
	w0 = bc_now(CLOCK_MONOTONIC);
	c0 = bc_now(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (unsigned int k = 0; k < BC_CHUNK; k++)
			if (bc_forward(r, i++) != 0)
				bc_die("forward");
		w = bc_now(CLOCK_MONOTONIC);
	} while (w - w0 < seconds);
	rate->iters = i;
	rate->wall_s = w - w0;
	rate->cpu_s = bc_now(CLOCK_THREAD_CPUTIME_ID) - c0;
}

/*
 * One part alone over an SRTP-sized packet through one path, in packets per second of
 * this thread's CPU time (so that a busy machine disturbs the choice less): HMAC-SHA1
 * (aes < 0) or the AES encryption (hmac < 0).
 */
static double
bc_part_rate(struct bc_ctx *c, int aes, int hmac, size_t len)
{
	uint8_t *msg = aligned_alloc(64, BC_BUF);
	uint8_t mac[SHA_DIGEST_LENGTH], iv[16] = { 0 };
	uint64_t i = 0;
	double w0, c0;

	if (msg == NULL)
		bc_die("malloc");
	memset(msg, 0x5a, BC_BUF);
	w0 = bc_now(CLOCK_MONOTONIC);
	c0 = bc_now(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (unsigned int k = 0; k < BC_CHUNK; k++, i++) {
			int rc;

			iv[11] = (uint8_t)i;
			if (hmac >= 0)
				rc = bc_hmac(c, (enum bc_hmac)hmac, msg, len, 0, mac);
			else if (c->suite->gcm)
				rc = bc_gcm(c, (enum bc_aes)aes, true, iv, msg, msg + BC_RTP_HDR,
					    msg + BC_RTP_HDR, len - BC_RTP_HDR, msg + len);
			else
				rc = bc_ctr(c, (enum bc_aes)aes, iv, msg + BC_RTP_HDR,
					    msg + BC_RTP_HDR, len - BC_RTP_HDR);
			if (rc != 0)
				bc_die(hmac >= 0 ? bc_hmac_names[hmac] : bc_aes_names[aes]);
		}
	} while (bc_now(CLOCK_MONOTONIC) - w0 < BC_CALIBRATE_S);
	free(msg);
	return (double)i / (bc_now(CLOCK_THREAD_CPUTIME_ID) - c0);
}

/* ---- self-tests: every path must do the real work, correctly ---- */

static int
bc_selftest(void)
{
	static const uint8_t msg[] = "The relay authenticates every packet it forwards.";
	uint8_t expect[EVP_MAX_MD_SIZE], got[SHA_DIGEST_LENGTH], r4[4] = { 0, 0, 0, 7 };
	uint8_t *buf = malloc(2 * BC_BUF), *msg_roc = malloc(sizeof(msg) + 4);
	unsigned int elen = 0;
	int fails = 0;

	if (buf == NULL || msg_roc == NULL)
		bc_die("malloc");
	memcpy(msg_roc, msg, sizeof(msg));
	memcpy(msg_roc + sizeof(msg), r4, 4);
	/* Every HMAC path equals OpenSSL's one-shot HMAC over msg || ROC. */
	for (size_t s = 0; s < BC_N_SUITES; s++) {
		struct bc_ctx c;

		if (bc_suites[s].gcm)
			continue;
		bc_ctx_init(&c, &bc_suites[s], true, NULL);
		if (HMAC(EVP_sha1(), c.auth_key, BC_AUTH_KEY, msg_roc, sizeof(msg) + 4, expect,
			 &elen) == NULL || elen != SHA_DIGEST_LENGTH)
			bc_die("HMAC");
		for (int p = 0; p < BC_HMAC_N; p++) {
			if (bc_hmac(&c, (enum bc_hmac)p, msg, sizeof(msg), 7, got) != 0 ||
			    memcmp(got, expect, SHA_DIGEST_LENGTH) != 0) {
				fprintf(stderr, "self-test: HMAC path %s differs from HMAC()\n",
					bc_hmac_names[p]);
				fails++;
			}
		}
		bc_ctx_free(&c);
	}
	/*
	 * Per suite, AES path and size (partial last blocks, several keystream chunks): the
	 * templates were made by EVP; each path must decrypt them to the original and reject
	 * a flipped bit, and what it encrypts must be what EVP encrypts.
	 */
	for (size_t s = 0; s < BC_N_SUITES; s++) {
		static const unsigned int sizes[] = { 16, 161, 1200, BC_KS_BLOCKS * 16 + 5 };

		for (int a = 0; a < BC_AES_N; a++) {
			for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
				const struct bc_path p = { (enum bc_aes)a, BC_HMAC_SHA1_STATE };
				const struct bc_path ref = { BC_AES_EVP, BC_HMAC_SHA1_STATE };
				unsigned int size = sizes[z];
				struct bc_run r;
				int len;

				bc_run_setup(&r, &bc_suites[s], size, 1, 1, p);
				len = bc_unprotect(&r.in[0], p, r.tmpl[0][3], r.srtp_len, buf);
				bc_rtp(buf + BC_BUF, 4, 0x10000u, size);
				if (len != (int)(BC_RTP_HDR + size) ||
				    memcmp(buf, buf + BC_BUF, (size_t)len) != 0) {
					fprintf(stderr, "self-test: %s %s %u: round trip fails\n",
						bc_suites[s].name, bc_aes_names[a], size);
					fails++;
				}
				if (bc_protect(&r.out[0], p, buf + BC_BUF, (size_t)len, buf) < 0 ||
				    bc_protect(&r.out[0], ref, buf + BC_BUF, (size_t)len,
					       buf + BC_BUF) < 0 ||
				    memcmp(buf, buf + BC_BUF, r.srtp_len) != 0) {
					fprintf(stderr, "self-test: %s %s %u: differs from EVP\n",
						bc_suites[s].name, bc_aes_names[a], size);
					fails++;
				}
				r.tmpl[0][3][BC_RTP_HDR + 5] ^= 1;
				if (bc_unprotect(&r.in[0], p, r.tmpl[0][3], r.srtp_len, buf) >= 0) {
					fprintf(stderr, "self-test: %s %s %u: accepts a forgery\n",
						bc_suites[s].name, bc_aes_names[a], size);
					fails++;
				}
				bc_run_free(&r);
			}
		}
	}
	free(buf);
	free(msg_roc);
	return fails;
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-bench-crypto [--core N] [--suite NAME]... [--size BYTES]...\n"
		"           [--fanout N]... [--legs 8] [--seconds 2] [--aes PATH] [--hmac PATH]\n"
		"\n"
		"The raw OpenSSL bound of an SRTP relay: per suite, RTP payload size (bytes after\n"
		"the 12-byte RTP header, as sluice-peer --size) and fan-out N, the rate of\n"
		"\"verify+decrypt one packet, then encrypt+tag N copies\" on one core, as input\n"
		"packets/s and forwarded packets/s. Prints JSON.\n"
		"\n"
		"  --core N      pin to CPU N (sched_setaffinity); default: not pinned\n"
		"  --suite NAME  AES_CM_128_HMAC_SHA1_80 (default with AEAD_AES_128_GCM),\n"
		"                AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM\n"
		"  --size BYTES  RTP payload, 16..%d; default 160 and 1200\n"
		"  --fanout N    copies per input packet, 1..%d; default 1 and 10\n"
		"  --legs N      sending legs, each with its own keys (and N x fanout receiving\n"
		"                legs), packets taken round-robin; 1..%d, default 8\n"
		"  --seconds S   measured time per cell, default 2 (plus a tenth to warm up)\n"
		"  --aes PATH    force an AES path instead of the fastest: evp_iv_per_packet,\n"
		"                evp_ecb_keystream\n"
		"  --hmac PATH   force an HMAC path instead of the fastest: sha1_precomputed_state,\n"
		"                evp_md_ctx_copy, evp_mac_ctx_dup, evp_mac_init_reuse, hmac_ctx_reinit\n",
		BC_SIZE_MAX, BC_MAX_FANOUT, BC_MAX_LEGS);
}

static int
parse_uint(const char *opt, const char *s, unsigned int min, unsigned int max, unsigned int *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < min || x > max) {
		fprintf(stderr, "sluice-bench-crypto: %s: expected %u..%u, got '%s'\n", opt, min,
			max, s);
		return -1;
	}
	*v = (unsigned int)x;
	return 0;
}

static int
parse_name(const char *opt, const char *s, const char *const *names, int n, int *v)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*v = i;
			return 0;
		}
	}
	fprintf(stderr, "sluice-bench-crypto: %s: unknown path '%s'\n", opt, s);
	return -1;
}

static int
parse_opts(struct bc_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "core", required_argument, NULL, 'c' },
		{ "suite", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "fanout", required_argument, NULL, 'f' },
		{ "legs", required_argument, NULL, 'l' },
		{ "seconds", required_argument, NULL, 't' },
		{ "aes", required_argument, NULL, 'a' },
		{ "hmac", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->core = -1;
	o->seconds = 2.0;
	o->legs = 8;
	o->force_aes = -1;
	o->force_hmac = -1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_uint("--core", optarg, 0, CPU_SETSIZE - 1, &v) != 0)
				return -1;
			o->core = (int)v;
			break;
		case 's': {
			size_t i;

			for (i = 0; i < BC_N_SUITES; i++)
				if (strcmp(optarg, bc_suites[i].name) == 0)
					break;
			if (i == BC_N_SUITES) {
				fprintf(stderr, "sluice-bench-crypto: unknown suite '%s'\n", optarg);
				return -1;
			}
			if (o->n_suites == BC_MAX_LIST)
				return -1;
			o->suites[o->n_suites++] = &bc_suites[i];
			break;
		}
		case 'z':
			if (o->n_sizes == BC_MAX_LIST ||
			    parse_uint("--size", optarg, 16, BC_SIZE_MAX, &o->sizes[o->n_sizes]) != 0)
				return -1;
			o->n_sizes++;
			break;
		case 'f':
			if (o->n_fanouts == BC_MAX_LIST ||
			    parse_uint("--fanout", optarg, 1, BC_MAX_FANOUT,
				       &o->fanouts[o->n_fanouts]) != 0)
				return -1;
			o->n_fanouts++;
			break;
		case 'l':
			if (parse_uint("--legs", optarg, 1, BC_MAX_LEGS, &o->legs) != 0)
				return -1;
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(o->seconds >= 0.05) ||
			    o->seconds > 600) {
				fprintf(stderr, "sluice-bench-crypto: --seconds: 0.05..600\n");
				return -1;
			}
			break;
		case 'a':
			if (parse_name("--aes", optarg, bc_aes_names, BC_AES_N, &o->force_aes) != 0)
				return -1;
			break;
		case 'm':
			if (parse_name("--hmac", optarg, bc_hmac_names, BC_HMAC_N,
				       &o->force_hmac) != 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluice-bench-crypto: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->n_suites == 0) {
		o->suites[o->n_suites++] = &bc_suites[0];
		o->suites[o->n_suites++] = &bc_suites[2];
	}
	if (o->n_sizes == 0) {
		o->sizes[o->n_sizes++] = 160;
		o->sizes[o->n_sizes++] = 1200;
	}
	if (o->n_fanouts == 0) {
		o->fanouts[o->n_fanouts++] = 1;
		o->fanouts[o->n_fanouts++] = 10;
	}
	return 0;
}

static int
pin(int core)
{
	cpu_set_t set;

	if (core < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(core, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "sluice-bench-crypto: cannot pin to CPU %d: %s\n", core,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The fastest paths for a suite at a payload size, each part timed alone; prints the
 * timings as elements of the "paths" array. Forced paths are taken as they are.
 */
static struct bc_path
choose_path(const struct bc_opts *o, const struct bc_suite *s, unsigned int size, bool *first)
{
	struct bc_path best = { BC_AES_EVP, BC_HMAC_SHA1_STATE };
	double best_pps = 0;
	struct bc_ctx c;

	if (o->force_aes >= 0 && (o->force_hmac >= 0 || s->gcm)) {
		best.aes = (enum bc_aes)o->force_aes;
		if (o->force_hmac >= 0)
			best.hmac = (enum bc_hmac)o->force_hmac;
		return best;            /* nothing to time */
	}
	bc_ctx_init(&c, s, true, NULL);
	for (int a = 0; a < BC_AES_N; a++) {
		double pps = bc_part_rate(&c, a, -1, BC_RTP_HDR + size);

		printf("%s\n    {\"suite\": \"%s\", \"size\": %u, \"part\": \"%s\", "
		       "\"path\": \"%s\", \"pps_per_cpu_s\": %.0f}", *first ? "" : ",", s->name,
		       size, s->gcm ? "aes_gcm_encrypt" : "aes_ctr", bc_aes_names[a], pps);
		*first = false;
		if (pps > best_pps) {
			best_pps = pps;
			best.aes = (enum bc_aes)a;
		}
	}
	best_pps = 0;
	for (int h = 0; h < BC_HMAC_N && !s->gcm; h++) {
		double pps = bc_part_rate(&c, -1, h, BC_RTP_HDR + size);

		printf(",\n    {\"suite\": \"%s\", \"size\": %u, \"part\": \"hmac_sha1\", "
		       "\"path\": \"%s\", \"pps_per_cpu_s\": %.0f}", s->name, size,
		       bc_hmac_names[h], pps);
		if (pps > best_pps) {
			best_pps = pps;
			best.hmac = (enum bc_hmac)h;
		}
	}
	bc_ctx_free(&c);
	if (o->force_aes >= 0)
		best.aes = (enum bc_aes)o->force_aes;
	if (o->force_hmac >= 0)
		best.hmac = (enum bc_hmac)o->force_hmac;
	return best;
}

int
main(int argc, char **argv)
{
	struct bc_path chosen[BC_MAX_LIST][BC_MAX_LIST];
	struct bc_opts o;
	bool first = true;

	if (parse_opts(&o, argc, argv) != 0) {
		usage(stderr);
		return BC_EXIT_USAGE;
	}
	if (pin(o.core) != 0)
		return BC_EXIT_FAIL;
	bc_hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (bc_hmac_alg == NULL)
		bc_die("EVP_MAC_fetch");
	if (bc_selftest() != 0)
		return BC_EXIT_FAIL;

	printf("{\n  \"tool\": \"sluice-bench-crypto\",\n  \"openssl\": \"%s\",\n",
	       OpenSSL_version(OPENSSL_VERSION));
	if (o.core >= 0)
		printf("  \"core\": %d,\n", o.core);
	else
		printf("  \"core\": null,\n");
	printf("  \"legs\": %u,\n  \"seconds\": %.2f,\n  \"paths\": [", o.legs, o.seconds);
	for (unsigned int s = 0; s < o.n_suites; s++)
		for (unsigned int z = 0; z < o.n_sizes; z++)
			chosen[s][z] = choose_path(&o, o.suites[s], o.sizes[z], &first);
	printf("\n  ],\n  \"results\": [");
	first = true;
	for (unsigned int s = 0; s < o.n_suites; s++) {
		for (unsigned int z = 0; z < o.n_sizes; z++) {
			for (unsigned int f = 0; f < o.n_fanouts; f++) {
				const struct bc_suite *su = o.suites[s];
				struct bc_path p = chosen[s][z];
				struct bc_rate rate;
				struct bc_run r;
				double in_pps, out_pps;

				bc_run_setup(&r, su, o.sizes[z], o.fanouts[f], o.legs, p);
				bc_measure(&r, o.seconds, &rate);
				in_pps = (double)rate.iters / rate.wall_s;
				out_pps = in_pps * o.fanouts[f];
				printf("%s\n    {\"suite\": \"%s\", \"size\": %u, \"srtp_len\": %zu, "
				       "\"fanout\": %u, \"aes\": \"%s\", \"hmac\": \"%s\", "
				       "\"in_pps\": %.0f, \"out_pps\": %.0f, \"ns_per_out\": %.1f, "
				       "\"cpu_share\": %.3f}",
				       first ? "" : ",", su->name, o.sizes[z], r.srtp_len, o.fanouts[f],
				       bc_aes_names[p.aes], su->gcm ? "none" : bc_hmac_names[p.hmac],
				       in_pps, out_pps, 1e9 / out_pps, rate.cpu_s / rate.wall_s);
				fflush(stdout);
				first = false;
				bc_run_free(&r);
			}
		}
	}
	printf("\n  ]\n}\n");
	EVP_MAC_free(bc_hmac_alg);
	return 0;
}
