/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP and SRTCP on OpenSSL (RFC 3711, RFC 7714); the contract is dp_srtp.h.
 *
 * Per context, everything keyed is set up once at create, so that a packet costs no
 * allocation, no key schedule and no cipher initialisation:
 *  - an EVP AES-ECB context holding the expanded session key. Both suites' counter modes
 *    are built on its keystream (AES of the packet's counter blocks, XORed in). EVP's own
 *    AES-CTR and AES-GCM need a new IV per packet, and in OpenSSL 3 setting one looks
 *    parameters up by name: that costs more than encrypting a 160-byte payload, and about
 *    a fifth of a 1200-byte one. AES-ECB has no IV: one call per 2 KiB of keystream.
 *  - GCM suites: CRYPTO_gcm128's GHASH under H = AES(K, 0), running that keystream as
 *    its counter mode (fp_gcm_block, fp_gcm_ctr32).
 *  - HMAC suites: the SHA-1 states after the HMAC key blocks (key ^ ipad, key ^ opad); a
 *    packet's HMAC starts from a copy of them. (OpenSSL 3.0's EVP_MAC_init() without a
 *    key is correct but duplicates the digest context, two allocations per packet.)
 * perf/bench_crypto.c times these against the EVP alternatives (perf/README.md).
 * SRTCP contexts are the same structure keyed with the SRTCP labels; their packets go
 * through the same keystream, GHASH and HMAC code, one at a time.
 */
/* The precomputed HMAC states need the low-level SHA-1 API, deprecated but kept in 3.x. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <openssl/sha.h>

#include "dp_be.h"
#include "dp_drop.h"
#include "dp_proto.h"
#include "dp_srtp.h"

#ifdef OPENSSL_NO_DEPRECATED_3_0
#error "dp_srtp.c needs OpenSSL's low-level SHA-1 functions (SHA1_Init, SHA1_Update, SHA1_Final)"
#endif

/* Benchmark builds replay a pcap in a loop, so they skip the replay rejection only. */
#ifdef DP_PERF_REPLAY_OFF
#define FP_REPLAY_CHECK 0
#else
#define FP_REPLAY_CHECK 1
#endif

#define FP_RTP_HDR_MIN 12
#define FP_RTCP_HDR 8               /* SRTCP leaves the first 8 bytes in clear (RFC 3711 3.4) */
#define FP_SRTCP_E_INDEX 4          /* E flag and SRTCP index */
#define FP_SRTCP_E 0x80000000u
#define FP_SALT_MAX 14              /* AES-CM session salt; GCM uses the first 12 bytes */
#define FP_AUTH_KEY_LEN 20          /* HMAC-SHA1 session key, RFC 3711 4.3.2 */
#define FP_KEY_MAX 32
#define FP_GCM_IV_LEN 12
#define FP_HMAC_BLOCK 64
#define FP_AES_BLOCK 16
#define FP_KS_BLOCKS 128            /* keystream made per AES-ECB call (2 KiB, on the stack) */

/* KDF labels, RFC 3711 4.3.2: a base (SRTP 0, SRTCP 3) plus the key's offset. */
#define FP_LABELS_SRTP 0x00
#define FP_LABELS_SRTCP 0x03
#define FP_LABEL_ENC 0x00
#define FP_LABEL_AUTH 0x01
#define FP_LABEL_SALT 0x02

struct fp_suite {
	uint8_t key_len;              /* master and session key */
	uint8_t salt_len;             /* master and session salt */
	uint8_t tag_len;              /* SRTP */
	uint8_t srtcp_tag_len;        /* SRTCP: 80 bits for both AES-CM suites (RFC 4568 6.2.1) */
	bool gcm;
};

/* Indexed by enum dp_suite; key_len 0 marks a suite we do not have. */
static const struct fp_suite fp_suites[DP_SUITE_MAX] = {
	[DP_SUITE_AES_CM_128_HMAC_SHA1_80] = { 16, 14, 10, 10, false },
	[DP_SUITE_AES_CM_128_HMAC_SHA1_32] = { 16, 14, 4, 10, false },
	[DP_SUITE_AEAD_AES_128_GCM] = { 16, 12, 16, 16, true },
	[DP_SUITE_AEAD_AES_256_GCM] = { 32, 12, 16, 16, true },
};

struct dp_srtp_ctx {
	EVP_CIPHER_CTX *ecb;          /* AES-ECB under the session key: the keystream */
	GCM128_CONTEXT *ghash;        /* GCM suites: GHASH key and state, AES through ecb */
	bool ks_failed;               /* set when a CRYPTO_gcm128 callback could not run AES */
	uint64_t packets;             /* packets that used the key (DP_SRTP_KEY_LIMIT) */
	uint64_t salt_hi;             /* session salt as big-endian words, ready to XOR into */
	uint64_t salt_lo;             /* the IV: see fp_ctx_key */
	uint8_t tag_len;
	bool gcm;
	uint8_t suite;
	uint8_t dir;                  /* enum dp_srtp_dir */
	SHA_CTX hmac_inner;           /* SHA-1 after (auth key ^ ipad), HMAC suites only */
	SHA_CTX hmac_outer;           /* SHA-1 after (auth key ^ opad) */
};

/*
 * AES-ECB, fetched from the provider once: EVP_EncryptInit_ex() with EVP_aes_128_ecb() and
 * the like fetches the cipher again on every call (OpenSSL 3), which costs more than the key
 * schedule and made up much of a context's creation. Kept for the life of the process.
 */
static EVP_CIPHER *fp_ecb_ciphers[2];
static pthread_once_t fp_fetch_once = PTHREAD_ONCE_INIT;

static void
fp_fetch(void)
{
	fp_ecb_ciphers[0] = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	fp_ecb_ciphers[1] = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
}

/* AES-ECB for a key of key_len bytes (16 or 32), or NULL when OpenSSL has none. */
static const EVP_CIPHER *
fp_ecb_cipher(uint8_t key_len)
{
	if (pthread_once(&fp_fetch_once, fp_fetch) != 0)
		return NULL;
	return fp_ecb_ciphers[key_len == 32];
}

/* Keys an AES-ECB context (no padding: only whole blocks go through). 0 or -1. */
static int
fp_ecb_key(EVP_CIPHER_CTX *ecb, const uint8_t *key, uint8_t key_len)
{
	const EVP_CIPHER *c = fp_ecb_cipher(key_len);

	if (c == NULL || EVP_EncryptInit_ex(ecb, c, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ecb, 0) != 1)
		return -1;
	return 0;
}

/* PRF blocks of one derivation, at most: a 32-byte key, a 20-byte HMAC key, a salt. */
#define FP_KDF_BLOCKS_MAX 5

/*
 * The AES-CM PRF of RFC 3711 4.3.1 with key derivation rate 0: the keystream of AES-CTR
 * under the master key from IV = (master salt XOR label << 48) << 16, that is AES-ECB of
 * the blocks IV, IV + 1, ... (no output here needs more than two, so the counter is the last
 * byte). All labels' blocks go through one key schedule in one call. A 12-byte GCM master
 * salt is zero-padded to 14 bytes first, as libsrtp2 does. Derives the session keys of
 * labels (FP_LABELS_SRTP or FP_LABELS_SRTCP) from master = key || salt (auth_key only for
 * HMAC suites). 0 or -1.
 */
static int
fp_derive(const struct fp_suite *s, const uint8_t *master, uint8_t labels, uint8_t *enc_key,
	    uint8_t *auth_key, uint8_t *salt)
{
	uint8_t in[FP_KDF_BLOCKS_MAX][FP_AES_BLOCK], out[FP_KDF_BLOCKS_MAX][FP_AES_BLOCK];
	const unsigned int n_enc = s->key_len / FP_AES_BLOCK;
	const unsigned int n_auth = s->gcm ? 0 : 2;
	const unsigned int n = n_enc + n_auth + 1;
	EVP_CIPHER_CTX *kctx;
	int outl = 0, rc = -1;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t label = (uint8_t)(labels + (i < n_enc ? FP_LABEL_ENC :
						    i < n_enc + n_auth ? FP_LABEL_AUTH : FP_LABEL_SALT));
		unsigned int ctr = i < n_enc ? i : i < n_enc + n_auth ? i - n_enc : 0;

		memset(in[i], 0, FP_AES_BLOCK);
		memcpy(in[i], master + s->key_len, s->salt_len);
		in[i][7] ^= label;
		in[i][15] = (uint8_t)ctr;
	}
	kctx = EVP_CIPHER_CTX_new();
	if (kctx == NULL)
		goto out;
	if (fp_ecb_key(kctx, master, s->key_len) != 0 ||
	    EVP_EncryptUpdate(kctx, out[0], &outl, in[0], (int)(n * FP_AES_BLOCK)) != 1 ||
	    outl != (int)(n * FP_AES_BLOCK))
		goto out;
	memcpy(enc_key, out[0], s->key_len);
	if (!s->gcm)
		memcpy(auth_key, out[n_enc], FP_AUTH_KEY_LEN);
	memcpy(salt, out[n - 1], s->salt_len);
	rc = 0;
out:
	OPENSSL_cleanse(in, sizeof(in));
	OPENSSL_cleanse(out, sizeof(out));
	EVP_CIPHER_CTX_free(kctx);
	return rc;
}

/* SHA-1 state after one HMAC key block (RFC 2104): key zero-padded to 64 bytes ^ pad. */
static void
fp_hmac_state(SHA_CTX *c, const uint8_t *key, uint8_t pad)
{
	uint8_t block[FP_HMAC_BLOCK];

	memset(block, pad, sizeof(block));
	for (unsigned int i = 0; i < FP_AUTH_KEY_LEN; i++)
		block[i] ^= key[i];
	SHA1_Init(c);
	SHA1_Update(c, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
}

/* out = in XOR ks in whole 8-byte words, as far as they go; returns the bytes done. */
static inline size_t
fp_xor_words(uint8_t *out, const uint8_t *in, const uint8_t *ks, size_t len)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t x, k;

		memcpy(&x, in + i, 8);
		memcpy(&k, ks + i, 8);
		x ^= k;
		memcpy(out + i, &x, 8);
	}
	return i;
}

/*
 * out = in XOR the AES keystream from the counter block iv, over n bytes. The counter is
 * the last 32 bits of the block, wrapping (GCM's inc32), or for AES-CM the last 64 bits
 * (EVP's 128-bit counter would carry further only after 2^64 blocks). 0 or -1.
 * Each counter block is written with whole-word stores and read by AES much later: a
 * block assembled and reloaded at once would stall on store forwarding. The keystream
 * left on the stack is no secret: it is what XORs ciphertext to plaintext.
 */
static int
fp_keystream_xor(EVP_CIPHER_CTX *ecb, const uint8_t iv[FP_AES_BLOCK], bool inc32, uint8_t *out,
		 const uint8_t *in, size_t n)
{
	uint8_t ks[FP_KS_BLOCKS * FP_AES_BLOCK];
	uint32_t ctr32 = dp_load_be32(iv + 12);
	uint64_t ctr64 = dp_load_be64(iv + 8);

	while (n > 0) {
		size_t len = n < sizeof(ks) ? n : sizeof(ks);
		size_t blocks = (len + FP_AES_BLOCK - 1) / FP_AES_BLOCK;
		size_t i;
		int outl;

		if (inc32) {
			for (size_t b = 0; b < blocks; b++) {
				uint32_t be = htobe32(ctr32++);

				memcpy(ks + FP_AES_BLOCK * b, iv, 12);
				memcpy(ks + FP_AES_BLOCK * b + 12, &be, 4);
			}
		} else {
			for (size_t b = 0; b < blocks; b++) {
				uint64_t be = htobe64(ctr64++);

				memcpy(ks + FP_AES_BLOCK * b, iv, 8);
				memcpy(ks + FP_AES_BLOCK * b + 8, &be, 8);
			}
		}
		if (EVP_EncryptUpdate(ecb, ks, &outl, ks, (int)(blocks * FP_AES_BLOCK)) != 1 ||
		    outl != (int)(blocks * FP_AES_BLOCK))
			return -1;
		/* In place, the compiler need not prove that in and out do not overlap. */
		if (out == in)
			i = fp_xor_words(out, out, ks, len);
		else
			i = fp_xor_words(out, in, ks, len);
		for (; i < len; i++)
			out[i] = in[i] ^ ks[i];
		out += len;
		in += len;
		n -= len;
	}
	return 0;
}

/* CRYPTO_gcm128's block function: one AES block; key is our context. */
static void
fp_gcm_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
	struct dp_srtp_ctx *ctx = (struct dp_srtp_ctx *)(uintptr_t)key;
	int outl;

	if (EVP_EncryptUpdate(ctx->ecb, out, &outl, in, FP_AES_BLOCK) != 1 ||
	    outl != FP_AES_BLOCK)
		ctx->ks_failed = true;
}

/* CRYPTO_gcm128's counter mode: whole blocks, the counter in the last 32 bits of ivec. */
static void
fp_gcm_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
	     const unsigned char ivec[16])
{
	struct dp_srtp_ctx *ctx = (struct dp_srtp_ctx *)(uintptr_t)key;

	if (fp_keystream_xor(ctx->ecb, ivec, true, out, in, blocks * FP_AES_BLOCK) != 0)
		ctx->ks_failed = true;
}

/*
 * Keys ctx from session keys (auth_key is ignored for GCM). Separate from the KDF so that
 * the tests can feed the session keys of published vectors. 0 or -1.
 */
static int
fp_ctx_key(struct dp_srtp_ctx *ctx, const uint8_t *enc_key, const uint8_t *auth_key,
	     const uint8_t *salt)
{
	const struct fp_suite *s = &fp_suites[ctx->suite];

	/* Counter modes run AES forwards only: one encrypting context for both directions. */
	if (fp_ecb_key(ctx->ecb, enc_key, s->key_len) != 0)
		return -1;
	if (s->gcm) {
		/* H = AES(K, 0) goes through fp_gcm_block: after the ECB key. */
		ctx->ks_failed = false;
		if (ctx->ghash == NULL)
			ctx->ghash = CRYPTO_gcm128_new(ctx, fp_gcm_block);
		else
			CRYPTO_gcm128_init(ctx->ghash, ctx, fp_gcm_block);
		if (ctx->ghash == NULL || ctx->ks_failed)
			return -1;
	}
	/* AES-CM: bytes 0..7 and 8..13 || 00 00 of the IV; GCM: bytes 0..3 and 4..11 */
	if (s->gcm) {
		ctx->salt_hi = dp_load_be32(salt);
		ctx->salt_lo = dp_load_be64(salt + 4);
	} else {
		ctx->salt_hi = dp_load_be64(salt);
		ctx->salt_lo = (uint64_t)dp_load_be32(salt + 8) << 32 |
			       (uint64_t)dp_load_be16(salt + 12) << 16;
		fp_hmac_state(&ctx->hmac_inner, auth_key, 0x36);
		fp_hmac_state(&ctx->hmac_outer, auth_key, 0x5c);
	}
	return 0;
}

/* A context for a known suite and direction, not yet keyed; its tag is SRTP's. */
static struct dp_srtp_ctx *
fp_ctx_alloc(uint8_t suite, enum dp_srtp_dir dir)
{
	const struct fp_suite *s = &fp_suites[suite];
	struct dp_srtp_ctx *ctx;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->tag_len = s->tag_len;
	ctx->gcm = s->gcm;
	ctx->suite = suite;
	ctx->dir = (uint8_t)dir;
	ctx->ecb = EVP_CIPHER_CTX_new();
	if (ctx->ecb == NULL) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

/* A context keyed with the session keys of labels (SRTP or SRTCP). */
static struct dp_srtp_ctx *
fp_ctx_create(uint8_t suite, const uint8_t *master, size_t master_len, enum dp_srtp_dir dir,
	      uint8_t labels)
{
	uint8_t enc_key[FP_KEY_MAX];
	uint8_t auth_key[FP_AUTH_KEY_LEN];
	uint8_t salt[FP_SALT_MAX];
	const struct fp_suite *s;
	struct dp_srtp_ctx *ctx;
	int rc;

	if (suite >= DP_SUITE_MAX || fp_suites[suite].key_len == 0 || master == NULL)
		return NULL;
	if (dir != DP_SRTP_INBOUND && dir != DP_SRTP_OUTBOUND)
		return NULL;
	s = &fp_suites[suite];
	if (master_len != (size_t)s->key_len + s->salt_len)
		return NULL;
	ctx = fp_ctx_alloc(suite, dir);
	if (ctx == NULL)
		return NULL;
	if (labels == FP_LABELS_SRTCP)
		ctx->tag_len = s->srtcp_tag_len;
	rc = fp_derive(s, master, labels, enc_key, auth_key, salt);
	if (rc == 0)
		rc = fp_ctx_key(ctx, enc_key, auth_key, salt);
	OPENSSL_cleanse(enc_key, sizeof(enc_key));
	OPENSSL_cleanse(auth_key, sizeof(auth_key));
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != 0) {
		dp_srtp_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

struct dp_srtp_ctx *
dp_srtp_ctx_create(uint8_t suite, const uint8_t *master, size_t master_len,
		   enum dp_srtp_dir dir)
{
	return fp_ctx_create(suite, master, master_len, dir, FP_LABELS_SRTP);
}

struct dp_srtp_ctx *
dp_srtcp_ctx_create(uint8_t suite, const uint8_t *master, size_t master_len,
		    enum dp_srtp_dir dir)
{
	return fp_ctx_create(suite, master, master_len, dir, FP_LABELS_SRTCP);
}

void
dp_srtp_ctx_free(struct dp_srtp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_CIPHER_CTX_free(ctx->ecb);
	CRYPTO_gcm128_release(ctx->ghash);     /* wipes H and the state */
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

unsigned int
dp_srtp_tag_len(const struct dp_srtp_ctx *ctx)
{
	return ctx->tag_len;
}

uint64_t
dp_srtp_packets(const struct dp_srtp_ctx *ctx)
{
	return ctx->packets;
}

int
dp_srtp_memcmp_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0 ? 0 : 1;
}

/* RFC 3711 3.3.1 and appendix A. */
uint64_t
dp_srtp_estimate_index(const struct dp_srtp_replay *r, uint16_t seq)
{
	uint32_t roc, v;
	uint16_t s_l;

	if (!r->started)
		return seq;
	roc = (uint32_t)(r->top >> 16);
	s_l = (uint16_t)r->top;
	v = roc;
	if (s_l < 0x8000) {
		/* Before the first wrap there is no earlier ROC to go back to. */
		if ((uint32_t)seq > (uint32_t)s_l + 0x8000 && roc > 0)
			v = roc - 1;
	} else {
		if ((uint32_t)seq < (uint32_t)s_l - 0x8000)
			v = roc + 1;  /* wraps at 2^32 like the 32-bit ROC itself */
	}
	return (uint64_t)v << 16 | seq;
}

/* True when index was seen or is older than the window (RFC 3711 3.3.2). */
static inline bool
fp_replay_rejects(const struct dp_srtp_replay *r, uint64_t index)
{
	uint64_t d;

	if (!r->started || index > r->top)
		return false;
	d = r->top - index;
	if (d >= DP_SRTP_REPLAY_WINDOW)
		return true;
	return (r->window[d >> 6] >> (d & 63)) & 1;
}

/* Records an authenticated index. */
static inline void
fp_replay_update(struct dp_srtp_replay *r, uint64_t index)
{
	uint64_t d;

	if (!r->started) {
		r->top = index;
		r->window[0] = 1;
		r->window[1] = 0;
		r->started = true;
		return;
	}
	if (index > r->top) {
		d = index - r->top;
		if (d >= 128) {
			r->window[1] = 0;
			r->window[0] = 0;
		} else if (d >= 64) {
			r->window[1] = r->window[0] << (d - 64);
			r->window[0] = 0;
		} else {
			r->window[1] = r->window[1] << d | r->window[0] >> (64 - d);
			r->window[0] <<= d;
		}
		r->window[0] |= 1;
		r->top = index;
		return;
	}
	d = r->top - index;
	if (d < DP_SRTP_REPLAY_WINDOW)
		r->window[d >> 6] |= 1ull << (d & 63);
}

/*
 * AES-CM IV (RFC 3711 4.1.1): (salt << 16) ^ (SSRC << 64) ^ (index << 16), built in two
 * 64-bit words (byte-wise XORs into a copy of the salt stall store forwarding).
 */
static inline void
fp_cm_iv(const struct dp_srtp_ctx *ctx, uint8_t iv[16], uint32_t ssrc, uint64_t index)
{
	dp_store_be64(iv, ctx->salt_hi ^ ssrc);
	dp_store_be64(iv + 8, ctx->salt_lo ^ (index << 16));
}

/*
 * AES-GCM IV (RFC 7714 8.1): (00 00 || SSRC || ROC || SEQ) ^ salt. An SRTCP index (below
 * 2^31) gives RFC 7714 9.1's (00 00 || SSRC || 00 00 || index) ^ salt.
 */
static inline void
fp_gcm_iv(const struct dp_srtp_ctx *ctx, uint8_t iv[FP_GCM_IV_LEN], uint32_t ssrc,
	  uint64_t index)
{
	dp_store_be32(iv, (uint32_t)ctx->salt_hi ^ (ssrc >> 16));
	dp_store_be64(iv + 4, ctx->salt_lo ^ ((uint64_t)(ssrc & 0xffff) << 48 |
				      (index & 0xffffffffffffull)));
}

/*
 * AES-CM over n bytes of packet (ssrc, index) from in to out (may be equal). 0 or -1.
 * The SRTCP IV (RFC 3711 4.1.1) has the same shape with the SRTCP index.
 */
static inline int
fp_ctr(struct dp_srtp_ctx *ctx, uint32_t ssrc, uint64_t index, uint8_t *out, const uint8_t *in,
       uint32_t n)
{
	uint8_t iv[16];

	fp_cm_iv(ctx, iv, ssrc, index);
	return fp_keystream_xor(ctx->ecb, iv, false, out, in, n);
}

/*
 * The full HMAC-SHA1 of msg || suffix into mac (20 bytes): SRTP appends the ROC (RFC 3711
 * 4.2.1); SRTCP's E flag and index are part of msg, so its suffix is empty.
 */
static inline void
fp_hmac(const struct dp_srtp_ctx *ctx, const uint8_t *msg, uint32_t len, const uint8_t *suffix,
	  uint32_t suffix_len, uint8_t mac[SHA_DIGEST_LENGTH])
{
	SHA_CTX c;

	c = ctx->hmac_inner;
	SHA1_Update(&c, msg, len);
	if (suffix_len > 0)
		SHA1_Update(&c, suffix, suffix_len);
	SHA1_Final(mac, &c);
	c = ctx->hmac_outer;
	SHA1_Update(&c, mac, SHA_DIGEST_LENGTH);
	SHA1_Final(mac, &c);
}

/*
 * AES-GCM over the payload of packet (ssrc, index) with AAD aad || aad2 (SRTP: the header
 * and nothing; SRTCP: the first 8 bytes and the E flag and index). Encrypt: writes the tag
 * to tag. Decrypt: checks the tag at tag (in constant time); the payload is already
 * overwritten when that fails. 0 or -1.
 */
static inline int
fp_gcm(struct dp_srtp_ctx *ctx, uint32_t ssrc, uint64_t index, const uint8_t *aad,
       uint32_t aad_len, const uint8_t *aad2, uint32_t aad2_len, uint8_t *out, const uint8_t *in,
       uint32_t n, uint8_t *tag)
{
	GCM128_CONTEXT *g = ctx->ghash;
	uint8_t iv[FP_GCM_IV_LEN];

	fp_gcm_iv(ctx, iv, ssrc, index);
	ctx->ks_failed = false;
	CRYPTO_gcm128_setiv(g, iv, FP_GCM_IV_LEN);
	if (CRYPTO_gcm128_aad(g, aad, aad_len) != 0)
		return -1;
	/* GHASH carries a partial AAD block from one call to the next. */
	if (aad2_len > 0 && CRYPTO_gcm128_aad(g, aad2, aad2_len) != 0)
		return -1;
	if (ctx->dir == DP_SRTP_OUTBOUND) {
		if (CRYPTO_gcm128_encrypt_ctr32(g, in, out, n, fp_gcm_ctr32) != 0 || ctx->ks_failed)
			return -1;
		CRYPTO_gcm128_tag(g, tag, DP_SRTP_MAX_TAG);
		return 0;
	}
	if (CRYPTO_gcm128_decrypt_ctr32(g, in, out, n, fp_gcm_ctr32) != 0 || ctx->ks_failed)
		return -1;
	return CRYPTO_gcm128_finish(g, tag, DP_SRTP_MAX_TAG) == 0 ? 0 : -1;
}

static uint16_t
fp_unprotect_one(struct dp_srtp_pkt *p)
{
	struct dp_srtp_ctx *ctx = p->ctx;
	struct dp_srtp_replay *r = p->replay;
	uint8_t *buf = p->buf;
	uint32_t tag_len = ctx->tag_len;
	uint32_t hdr_len = p->hdr_len;
	uint32_t len = p->len;
	uint32_t n, ssrc;
	uint64_t index;

	if (hdr_len < FP_RTP_HDR_MIN || len < hdr_len + tag_len)
		return DP_DROP_SRTP_SHORT;
	if (ctx->packets >= DP_SRTP_KEY_LIMIT)
		return DP_DROP_SRTP_KEY_LIMIT;
	ssrc = dp_load_be32(buf + 8);
	index = dp_srtp_estimate_index(r, dp_load_be16(buf + 2));
	if (FP_REPLAY_CHECK && fp_replay_rejects(r, index))
		return DP_DROP_SRTP_REPLAY;
	n = len - hdr_len - tag_len;
	if (ctx->gcm) {
		if (fp_gcm(ctx, ssrc, index, buf, hdr_len, NULL, 0, buf + hdr_len, buf + hdr_len,
			   n, buf + hdr_len + n) != 0)
			return DP_DROP_SRTP_AUTH;
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH], roc[4];

		/* Authenticate before decrypting: a forgery leaves the buffer as it came. */
		dp_store_be32(roc, (uint32_t)(index >> 16));
		fp_hmac(ctx, buf, len - tag_len, roc, sizeof(roc), mac);
		if (CRYPTO_memcmp(mac, buf + len - tag_len, tag_len) != 0)
			return DP_DROP_SRTP_AUTH;
		if (fp_ctr(ctx, ssrc, index, buf + hdr_len, buf + hdr_len, n) != 0)
			return DP_DROP_SRTP_AUTH;
	}
	fp_replay_update(r, index);
	ctx->packets++;
	p->index = index;
	p->len = len - tag_len;
	return DP_DROP_NONE;
}

/* Runs one() over a burst, setting each status; the number that passed. */
static inline unsigned int
fp_burst(struct dp_srtp_pkt *pkts, unsigned int n, uint16_t (*one)(struct dp_srtp_pkt *p))
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i++) {
		pkts[i].status = one(&pkts[i]);
		ok += pkts[i].status == DP_DROP_NONE;
	}
	return ok;
}

unsigned int
dp_srtp_unprotect_burst(struct dp_srtp_pkt *pkts, unsigned int n)
{
	return fp_burst(pkts, n, fp_unprotect_one);
}

static uint16_t
fp_protect_one(struct dp_srtp_pkt *p)
{
	struct dp_srtp_ctx *ctx = p->ctx;
	const uint8_t *in = p->buf;
	uint8_t *out = p->out;
	uint32_t tag_len = ctx->tag_len;
	uint32_t hdr_len = p->hdr_len;
	uint32_t len = p->len;
	uint32_t n, ssrc;
	uint64_t index;

	if (hdr_len < FP_RTP_HDR_MIN || len < hdr_len || len > UINT32_MAX - tag_len)
		return DP_DROP_SRTP_SHORT;
	if (ctx->packets >= DP_SRTP_KEY_LIMIT)
		return DP_DROP_SRTP_KEY_LIMIT;
	if (out != in)
		memcpy(out, in, hdr_len);
	/* The ROC comes with the packet; SEQ and SSRC are what the receiver will read. */
	ssrc = dp_load_be32(out + 8);
	index = (p->index >> 16 & 0xffffffffu) << 16 | dp_load_be16(out + 2);
	n = len - hdr_len;
	if (ctx->gcm) {
		if (fp_gcm(ctx, ssrc, index, out, hdr_len, NULL, 0, out + hdr_len, in + hdr_len, n,
			   out + len) != 0)
			return DP_DROP_SRTP_AUTH;
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH], roc[4];

		if (fp_ctr(ctx, ssrc, index, out + hdr_len, in + hdr_len, n) != 0)
			return DP_DROP_SRTP_AUTH;
		dp_store_be32(roc, (uint32_t)(index >> 16));
		fp_hmac(ctx, out, len, roc, sizeof(roc), mac);
		memcpy(out + len, mac, tag_len);
	}
	ctx->packets++;
	p->index = index;
	p->len = len + tag_len;
	return DP_DROP_NONE;
}

unsigned int
dp_srtp_protect_burst(struct dp_srtp_pkt *pkts, unsigned int n)
{
	return fp_burst(pkts, n, fp_protect_one);
}

/* ---- SRTCP (RFC 3711 3.4, RFC 7714 9) ---- */

int64_t
dp_srtcp_ssrc(const uint8_t *pkt, uint32_t len)
{
	if (len < FP_RTCP_HDR)
		return -1;
	return dp_load_be32(pkt + 4);
}

/*
 * Where the E flag and index and the tag of an SRTCP packet with n bytes of encrypted RTCP
 * lie: AES-CM puts the tag last (RFC 3711 3.4), GCM puts the E flag and index after it
 * (RFC 7714 9.2, as libsrtp2 does).
 */
static inline void
fp_srtcp_trailer(const struct dp_srtp_ctx *ctx, uint8_t *pkt, uint32_t n, uint8_t **e_index,
		 uint8_t **tag)
{
	uint8_t *end = pkt + FP_RTCP_HDR + n;

	if (ctx->gcm) {
		*tag = end;
		*e_index = end + ctx->tag_len;
	} else {
		*e_index = end;
		*tag = end + FP_SRTCP_E_INDEX;
	}
}

int
dp_srtcp_unprotect(struct dp_srtp_ctx *ctx, struct dp_srtp_replay *r, uint8_t *pkt,
		   uint32_t *len)
{
	uint32_t tag_len = ctx->tag_len;
	uint32_t l = *len;
	uint32_t n, ssrc, e_index, index;
	uint8_t *trailer, *tag;

	if (l < FP_RTCP_HDR + FP_SRTCP_E_INDEX + tag_len)
		return DP_DROP_SRTCP_SHORT;
	n = l - FP_RTCP_HDR - FP_SRTCP_E_INDEX - tag_len;
	fp_srtcp_trailer(ctx, pkt, n, &trailer, &tag);
	e_index = dp_load_be32(trailer);
	/* Unencrypted SRTCP would carry RTCP in clear through the relay: refused. */
	if ((e_index & FP_SRTCP_E) == 0)
		return DP_DROP_SRTCP_AUTH;
	index = e_index & DP_SRTCP_INDEX_MAX;
	if (FP_REPLAY_CHECK && fp_replay_rejects(r, index))
		return DP_DROP_SRTCP_REPLAY;
	ssrc = dp_load_be32(pkt + 4);
	if (ctx->gcm) {
		if (fp_gcm(ctx, ssrc, index, pkt, FP_RTCP_HDR, trailer, FP_SRTCP_E_INDEX,
			   pkt + FP_RTCP_HDR, pkt + FP_RTCP_HDR, n, tag) != 0)
			return DP_DROP_SRTCP_AUTH;
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH];

		/* The tag covers header, ciphertext, E flag and index; checked before decrypting. */
		fp_hmac(ctx, pkt, l - tag_len, NULL, 0, mac);
		if (CRYPTO_memcmp(mac, tag, tag_len) != 0)
			return DP_DROP_SRTCP_AUTH;
		if (fp_ctr(ctx, ssrc, index, pkt + FP_RTCP_HDR, pkt + FP_RTCP_HDR, n) != 0)
			return DP_DROP_SRTCP_AUTH;
	}
	fp_replay_update(r, index);
	ctx->packets++;
	*len = FP_RTCP_HDR + n;
	return DP_DROP_NONE;
}

int
dp_srtcp_protect(struct dp_srtp_ctx *ctx, uint32_t index, uint8_t *pkt, uint32_t *len,
		 uint32_t cap)
{
	uint32_t tag_len = ctx->tag_len;
	uint32_t l = *len;
	uint32_t n, ssrc;
	uint8_t *trailer, *tag;

	/* The full trailer room whatever the suite: a caller short of it fails on every suite. */
	if (l < FP_RTCP_HDR || l > cap || cap - l < DP_SRTCP_TRAILER_MAX || index == 0 ||
	    index > DP_SRTCP_INDEX_MAX)
		return DP_DROP_SRTCP_ERROR;
	n = l - FP_RTCP_HDR;
	ssrc = dp_load_be32(pkt + 4);
	fp_srtcp_trailer(ctx, pkt, n, &trailer, &tag);
	dp_store_be32(trailer, FP_SRTCP_E | index);
	if (ctx->gcm) {
		if (fp_gcm(ctx, ssrc, index, pkt, FP_RTCP_HDR, trailer, FP_SRTCP_E_INDEX,
			   pkt + FP_RTCP_HDR, pkt + FP_RTCP_HDR, n, tag) != 0)
			return DP_DROP_SRTCP_ERROR;
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH];

		if (fp_ctr(ctx, ssrc, index, pkt + FP_RTCP_HDR, pkt + FP_RTCP_HDR, n) != 0)
			return DP_DROP_SRTCP_ERROR;
		fp_hmac(ctx, pkt, l + FP_SRTCP_E_INDEX, NULL, 0, mac);
		memcpy(tag, mac, tag_len);
	}
	ctx->packets++;
	*len = l + FP_SRTCP_E_INDEX + tag_len;
	return DP_DROP_NONE;
}
