/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP and SRTCP: published vectors (RFC 3711 B.2/B.3, RFC 7714 16.1.1/16.2.1, libsrtp2's
 * reference packets), bit-for-bit agreement with libsrtp2 for every suite, replay and ROC
 * handling, length checks and the key limit; for SRTCP also the E flag, the caller's index
 * and the trailer room.
 *
 * dp_srtp.c is included so that the tests reach its statics (session keying from published
 * session keys, the KDF, the packet counter); the library's copy is then not linked.
 */
/* Must precede every OpenSSL header, as in dp_srtp.c. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "ut.h"
#include "dp_srtp.c"

#define T_BUF 2048
#define T_SUITES 4

static const uint8_t t_suites[T_SUITES] = {
	DP_SUITE_AES_CM_128_HMAC_SHA1_80,
	DP_SUITE_AES_CM_128_HMAC_SHA1_32,
	DP_SUITE_AEAD_AES_128_GCM,
	DP_SUITE_AEAD_AES_256_GCM,
};

/* What a replayed packet gets: benchmark builds accept it (DP_PERF_REPLAY_OFF). */
static const uint16_t t_replay = FP_REPLAY_CHECK ? DP_DROP_SRTP_REPLAY : DP_DROP_NONE;

/* A packet buffer that libsrtp2 may treat as 32-bit words. */
struct t_buf {
	uint32_t w[T_BUF / 4];
};

static uint64_t t_rng_state;

/* splitmix64: fixed seed, so that a failure reproduces. */
static uint64_t
t_rand(void)
{
	uint64_t z = (t_rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
t_below(uint32_t n)
{
	return (uint32_t)(t_rand() % n);
}

/* order[0..n) = first .. first + n - 1, shuffled (Fisher-Yates). */
static void
t_shuffled_range(uint64_t *order, uint64_t first, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		order[i] = first + i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = t_below(i + 1);
		uint64_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

static void
t_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)t_rand();
}

static size_t
t_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *c = hex; *c != '\0'; c++) {
		int v;

		if (*c >= '0' && *c <= '9')
			v = *c - '0';
		else if (*c >= 'a' && *c <= 'f')
			v = *c - 'a' + 10;
		else if (*c >= 'A' && *c <= 'F')
			v = *c - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

static size_t
t_master_len(uint8_t suite)
{
	return (size_t)fp_suites[suite].key_len + fp_suites[suite].salt_len;
}

/*
 * Writes an RTP packet: cc CSRCs, an extension of ext_words words when ext_words >= 0,
 * payload_len random bytes. Returns the length; *hdr_len gets the header length.
 */
static uint32_t
t_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned int cc, int ext_words,
      uint32_t payload_len, uint16_t *hdr_len)
{
	uint32_t h = 12;

	p[0] = (uint8_t)(0x80 | (ext_words >= 0 ? 0x10 : 0) | cc);
	p[1] = (uint8_t)(t_below(2) << 7 | 96);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	t_fill(p + 4, 4);
	dp_store_be32(p + 8, ssrc);
	t_fill(p + h, 4 * cc);
	h += 4 * cc;
	if (ext_words >= 0) {
		p[h] = 0xbe;
		p[h + 1] = 0xde;
		p[h + 2] = 0;
		p[h + 3] = (uint8_t)ext_words;
		t_fill(p + h + 4, 4 * (size_t)ext_words);
		h += 4 + 4 * (uint32_t)ext_words;
	}
	t_fill(p + h, payload_len);
	*hdr_len = (uint16_t)h;
	return h + payload_len;
}

/* A random RTP packet: payload 0..1400, CC 0..15, an extension half of the time. */
static uint32_t
t_rtp_random(uint8_t *p, uint16_t seq, uint32_t ssrc, uint16_t *hdr_len)
{
	int ext = t_below(2) ? (int)t_below(11) : -1;

	return t_rtp(p, seq, ssrc, t_below(16), ext, t_below(1401), hdr_len);
}

/* A context keyed with session keys directly (published vectors give session keys). */
static struct dp_srtp_ctx *
t_session_ctx(uint8_t suite, enum dp_srtp_dir dir, const uint8_t *enc, const uint8_t *auth,
	      const uint8_t *salt)
{
	struct dp_srtp_ctx *ctx = fp_ctx_alloc(suite, dir);

	if (ctx != NULL && fp_ctx_key(ctx, enc, auth, salt) != 0) {
		dp_srtp_ctx_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static uint16_t
t_protect(struct dp_srtp_ctx *ctx, uint8_t *in, uint8_t *out, uint32_t *len,
	  uint16_t hdr_len, uint64_t index)
{
	struct dp_srtp_pkt p = {
		.buf = in, .out = out, .len = *len, .hdr_len = hdr_len, .index = index, .ctx = ctx,
	};
	unsigned int ok = dp_srtp_protect_burst(&p, 1);

	CU_ASSERT_EQUAL(ok, p.status == 0 ? 1u : 0u);
	*len = p.len;
	return p.status;
}

static uint16_t
t_unprotect(struct dp_srtp_ctx *ctx, struct dp_srtp_replay *r, uint8_t *buf, uint32_t *len,
	    uint16_t hdr_len, uint64_t *index)
{
	struct dp_srtp_pkt p = {
		.buf = buf, .len = *len, .hdr_len = hdr_len, .ctx = ctx, .replay = r,
	};
	unsigned int ok = dp_srtp_unprotect_burst(&p, 1);

	CU_ASSERT_EQUAL(ok, p.status == 0 ? 1u : 0u);
	*len = p.len;
	if (index != NULL)
		*index = p.index;
	return p.status;
}

/*
 * A libsrtp2 session for suite with libsrtp2's own policies (SRTCP tag 80 bits for _32);
 * rtcp_serv is what its SRTCP provides (sec_serv_auth: unencrypted, E flag 0).
 */
static srtp_t
t_lib_session_serv(uint8_t suite, const uint8_t *master, srtp_ssrc_type_t type,
		   srtp_sec_serv_t rtcp_serv)
{
	uint8_t key[46];
	srtp_policy_t policy;
	srtp_t s = NULL;

	memset(&policy, 0, sizeof(policy));
	switch (suite) {
	case DP_SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
		break;
	case DP_SUITE_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
		break;
	case DP_SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
		break;
	}
	policy.rtcp.sec_serv = rtcp_serv;
	memcpy(key, master, t_master_len(suite));
	policy.ssrc.type = type;
	policy.key = key;
	policy.window_size = 128;
	if (srtp_create(&s, &policy) != srtp_err_status_ok)
		return NULL;
	return s;
}

static srtp_t
t_lib_session(uint8_t suite, const uint8_t *master, srtp_ssrc_type_t type)
{
	return t_lib_session_serv(suite, master, type, sec_serv_conf_and_auth);
}

/* ---- published vectors ---- */

static void
test_kdf_derives_rfc3711_b3_session_keys(void)
{
	uint8_t master[30], enc[32], auth[20], salt[14], want[20];

	/* given the master key and salt of RFC 3711 B.3 */
	CU_ASSERT_EQUAL_FATAL(t_unhex("E1F97A0D3E018BE0D64FA32C06DE4139"
				      "0EC675AD498AFEEBB6960B3AABE6", master, sizeof(master)), 30);
	/* when the session keys are derived */
	CU_ASSERT_EQUAL_FATAL(fp_derive(&fp_suites[DP_SUITE_AES_CM_128_HMAC_SHA1_80], master,
					  FP_LABELS_SRTP, enc, auth, salt), 0);
	/* then they are the RFC's */
	t_unhex("C61E7A93744F39EE10734AFE3FF7A087", want, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(enc, want, 16), 0);
	t_unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(auth, want, 20), 0);
	t_unhex("30CBBC08863D8C85D49DB34A9AE1", want, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(salt, want, 14), 0);
}

static void
test_aes_cm_keystream_is_rfc3711_b2(void)
{
	static const struct {
		uint32_t block;
		const char *hex;
	} want[] = {
		{ 0x0000, "E03EAD0935C95E80E166B16DD92B4EB4" },
		{ 0x0001, "D23513162B02D0F72A43A2FE4A5F97AB" },
		{ 0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0" },
		{ 0xfeff, "EC8CDF7398607CB0F2D21675EA9EA1E4" },
		{ 0xff00, "362B7C3C6773516318A077D7FC5073AE" },
		{ 0xff01, "6A2CC3787889374FBEB4C81B17BA6C44" },
	};
	const uint32_t payload = 0xff02 * 16;
	uint8_t key[16], salt[14], auth[20] = { 0 }, block[16];
	struct dp_srtp_ctx *ctx;
	uint8_t *pkt;
	uint32_t len = 12 + payload;

	/* given RFC 3711 B.2's session key and salt, SSRC 0 and index 0 */
	t_unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	t_unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof(salt));
	ctx = t_session_ctx(DP_SUITE_AES_CM_128_HMAC_SHA1_80, DP_SRTP_OUTBOUND, key, auth, salt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pkt = calloc(1, len + DP_SRTP_MAX_TAG);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkt);
	pkt[0] = 0x80;
	/* when a zero payload is encrypted */
	CU_ASSERT_EQUAL(t_protect(ctx, pkt, pkt, &len, 12, 0), 0);
	/* then the ciphertext is the RFC's keystream */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		t_unhex(want[i].hex, block, sizeof(block));
		CU_ASSERT_EQUAL(memcmp(pkt + 12 + 16 * (size_t)want[i].block, block, 16), 0);
	}
	free(pkt);
	dp_srtp_ctx_free(ctx);
}

static const char t_7714_plain[] =
	"8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
	"69736120 696e2070 61727465 73207472 6573";

/*
 * Protecting the RTP packet plain (ROC 0, SEQ seq) with out gives the SRTP packet want, and
 * in unprotects that back to plain. Frees both contexts.
 */
static void
t_known_answer(struct dp_srtp_ctx *out, struct dp_srtp_ctx *in, const uint8_t *plain,
	       size_t plain_len, const uint8_t *want, size_t want_len, uint16_t seq)
{
	struct dp_srtp_replay r = { 0 };
	uint8_t buf[96];
	uint32_t len = (uint32_t)plain_len;
	uint64_t index;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_FATAL(plain_len <= sizeof(buf) && want_len <= sizeof(buf));
	memcpy(buf, plain, plain_len);
	CU_ASSERT_EQUAL(t_protect(out, buf, buf, &len, 12, seq), 0);
	CU_ASSERT_EQUAL(len, want_len);
	CU_ASSERT_EQUAL(memcmp(buf, want, want_len), 0);
	CU_ASSERT_EQUAL(t_unprotect(in, &r, buf, &len, 12, &index), 0);
	CU_ASSERT_EQUAL(len, plain_len);
	CU_ASSERT_EQUAL(index, seq);
	CU_ASSERT_EQUAL(memcmp(buf, plain, plain_len), 0);
	dp_srtp_ctx_free(out);
	dp_srtp_ctx_free(in);
}

static void
t_rfc7714(uint8_t suite, const char *key_hex, const char *srtp_hex)
{
	uint8_t key[32], salt[12], plain[64], want[96];
	size_t plain_len, want_len;

	/* given the session key and salt of RFC 7714 section 16 */
	t_unhex(key_hex, key, sizeof(key));
	t_unhex("517569642070726f2071756f", salt, sizeof(salt));
	plain_len = t_unhex(t_7714_plain, plain, sizeof(plain));
	want_len = t_unhex(srtp_hex, want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(want_len, plain_len + 16);
	/* when the RTP packet is protected (ROC 0, SEQ 0xf17b), then it is the RFC's SRTP
	 * packet, and unprotecting it gives the RTP packet back */
	t_known_answer(t_session_ctx(suite, DP_SRTP_OUTBOUND, key, NULL, salt),
		       t_session_ctx(suite, DP_SRTP_INBOUND, key, NULL, salt), plain, plain_len,
		       want, want_len, 0xf17b);
}

static void
test_gcm128_matches_rfc7714_16_1_1(void)
{
	t_rfc7714(DP_SUITE_AEAD_AES_128_GCM, "000102030405060708090a0b0c0d0e0f",
		  "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
		  "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439"
		  "0cce");
}

static void
test_gcm256_matches_rfc7714_16_2_1(void)
{
	t_rfc7714(DP_SUITE_AEAD_AES_256_GCM,
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		  "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238"
		  "9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7"
		  "6c13");
}

/* libsrtp2's reference packets (its test/srtp_driver.c): master key in, KDF included. */
static void
t_reference(uint8_t suite, const char *master_hex, const char *srtp_hex)
{
	static const char plain_hex[] =
		"800f1234decafbadcafebabeabababababababababababababababab";
	uint8_t master[46], plain[32], want[64];
	size_t master_len, plain_len, want_len;

	master_len = t_unhex(master_hex, master, sizeof(master));
	plain_len = t_unhex(plain_hex, plain, sizeof(plain));
	want_len = t_unhex(srtp_hex, want, sizeof(want));
	t_known_answer(dp_srtp_ctx_create(suite, master, master_len, DP_SRTP_OUTBOUND),
		       dp_srtp_ctx_create(suite, master, master_len, DP_SRTP_INBOUND), plain,
		       plain_len, want, want_len, 0x1234);
}

static void
test_aes_cm_80_matches_libsrtp_reference_packet(void)
{
	t_reference(DP_SUITE_AES_CM_128_HMAC_SHA1_80,
		    "e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6",
		    "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402"
		    "b78d6acc99ea179b8dbb");
}

static void
test_gcm128_matches_libsrtp_reference_packet(void)
{
	/* The 12-byte master salt enters the KDF zero-padded to 14 bytes. */
	t_reference(DP_SUITE_AEAD_AES_128_GCM,
		    "000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab",
		    "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06e"
		    "d2976826f796b201df3131a127e8a392");
}

/* ---- bit for bit against libsrtp2 ---- */

static void
t_interop_suite(uint8_t suite)
{
	uint8_t master[46];
	struct t_buf orig, lib, ours, inplace, tmp;
	struct dp_srtp_ctx *out, *in;
	srtp_t lib_out, lib_in;
	unsigned int packets = 0;

	t_fill(master, sizeof(master));
	out = dp_srtp_ctx_create(suite, master, t_master_len(suite), DP_SRTP_OUTBOUND);
	in = dp_srtp_ctx_create(suite, master, t_master_len(suite), DP_SRTP_INBOUND);
	lib_out = t_lib_session(suite, master, ssrc_any_outbound);
	lib_in = t_lib_session(suite, master, ssrc_any_inbound);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lib_out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lib_in);

	/* Three streams; the first starts just below the SEQ wrap so that its ROC becomes 1. */
	for (unsigned int stream = 0; stream < 3; stream++) {
		struct dp_srtp_replay r = { 0 };
		uint32_t ssrc = (uint32_t)t_rand();
		uint16_t seq = stream == 0 ? 65535 - 150 : (uint16_t)t_rand();
		uint32_t roc = 0;

		for (unsigned int i = 0; i < 300; i++) {
			uint16_t hdr_len;
			uint32_t len, lib_len, our_len, in_len;
			uint64_t index = (uint64_t)roc << 16 | seq, got;
			int l;

			len = t_rtp_random((uint8_t *)orig.w, seq, ssrc, &hdr_len);
			/* libsrtp2 protects in place */
			memcpy(lib.w, orig.w, len);
			l = (int)len;
			CU_ASSERT_EQUAL_FATAL(srtp_protect(lib_out, lib.w, &l), srtp_err_status_ok);
			lib_len = (uint32_t)l;
			/* ours into a separate buffer, and in place */
			our_len = len;
			CU_ASSERT_EQUAL_FATAL(t_protect(out, (uint8_t *)orig.w, (uint8_t *)ours.w,
							&our_len, hdr_len, index), 0);
			memcpy(inplace.w, orig.w, len);
			in_len = len;
			CU_ASSERT_EQUAL_FATAL(t_protect(out, (uint8_t *)inplace.w,
							(uint8_t *)inplace.w, &in_len, hdr_len,
							index), 0);
			CU_ASSERT_EQUAL_FATAL(lib_len, len + dp_srtp_tag_len(out));
			CU_ASSERT_EQUAL_FATAL(our_len, lib_len);
			CU_ASSERT_EQUAL_FATAL(in_len, lib_len);
			CU_ASSERT_EQUAL_FATAL(memcmp(ours.w, lib.w, lib_len), 0);
			CU_ASSERT_EQUAL_FATAL(memcmp(inplace.w, lib.w, lib_len), 0);
			/* ours unprotects libsrtp2's packet */
			memcpy(tmp.w, lib.w, lib_len);
			len = lib_len;
			CU_ASSERT_EQUAL_FATAL(t_unprotect(in, &r, (uint8_t *)tmp.w, &len, hdr_len,
							  &got), 0);
			CU_ASSERT_EQUAL_FATAL(got, index);
			CU_ASSERT_EQUAL_FATAL(len, lib_len - dp_srtp_tag_len(in));
			CU_ASSERT_EQUAL_FATAL(memcmp(tmp.w, orig.w, len), 0);
			/* libsrtp2 unprotects ours */
			l = (int)our_len;
			CU_ASSERT_EQUAL_FATAL(srtp_unprotect(lib_in, ours.w, &l),
					      srtp_err_status_ok);
			CU_ASSERT_EQUAL_FATAL((uint32_t)l, len);
			CU_ASSERT_EQUAL_FATAL(memcmp(ours.w, orig.w, len), 0);
			packets++;
			/* mostly consecutive, sometimes a gap (loss) */
			uint16_t step = t_below(8) == 0 ? (uint16_t)(2 + t_below(40)) : 1;

			if ((uint32_t)seq + step > 65535)
				roc++;
			seq = (uint16_t)(seq + step);
		}
		if (stream == 0)
			CU_ASSERT_EQUAL(r.top >> 16, 1);
	}
	/* protect counted twice per packet (separate and in place), unprotect once */
	CU_ASSERT_EQUAL(dp_srtp_packets(out), 2 * (uint64_t)packets);
	CU_ASSERT_EQUAL(dp_srtp_packets(in), packets);
	srtp_dealloc(lib_out);
	srtp_dealloc(lib_in);
	dp_srtp_ctx_free(out);
	dp_srtp_ctx_free(in);
}

static void
test_aes_cm_80_matches_libsrtp_bit_for_bit(void)
{
	t_interop_suite(DP_SUITE_AES_CM_128_HMAC_SHA1_80);
}

static void
test_aes_cm_32_matches_libsrtp_bit_for_bit(void)
{
	t_interop_suite(DP_SUITE_AES_CM_128_HMAC_SHA1_32);
}

static void
test_gcm128_matches_libsrtp_bit_for_bit(void)
{
	t_interop_suite(DP_SUITE_AEAD_AES_128_GCM);
}

static void
test_gcm256_matches_libsrtp_bit_for_bit(void)
{
	t_interop_suite(DP_SUITE_AEAD_AES_256_GCM);
}

/* ---- replay, forgery, lengths, key limit ---- */

/* A sender and a receiver with the same random key, and a packet factory at any index. */
struct t_pair {
	uint8_t suite;
	struct dp_srtp_ctx *out;
	struct dp_srtp_ctx *in;
	struct dp_srtp_replay r;
	uint32_t ssrc;
};

typedef struct dp_srtp_ctx *(*t_ctx_create_fn)(uint8_t, const uint8_t *, size_t,
					      enum dp_srtp_dir);

/* A sender's and a receiver's context on one master key (create: SRTP or SRTCP). */
static void
t_ctx_pair(t_ctx_create_fn create, uint8_t suite, const uint8_t *master,
	   struct dp_srtp_ctx **out, struct dp_srtp_ctx **in)
{
	*out = create(suite, master, t_master_len(suite), DP_SRTP_OUTBOUND);
	*in = create(suite, master, t_master_len(suite), DP_SRTP_INBOUND);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*in);
}

static void
t_ctx_pair_free(struct dp_srtp_ctx *out, struct dp_srtp_ctx *in)
{
	dp_srtp_ctx_free(out);
	dp_srtp_ctx_free(in);
}

static void
t_pair_init(struct t_pair *tp, uint8_t suite)
{
	uint8_t master[46];

	memset(tp, 0, sizeof(*tp));
	t_fill(master, sizeof(master));
	tp->suite = suite;
	tp->ssrc = (uint32_t)t_rand();
	t_ctx_pair(dp_srtp_ctx_create, suite, master, &tp->out, &tp->in);
}

static void
t_pair_free(struct t_pair *tp)
{
	t_ctx_pair_free(tp->out, tp->in);
}

/* An SRTP packet at index (12-byte header, 100-byte payload) into buf; returns its length. */
static uint32_t
t_pair_packet(struct t_pair *tp, uint8_t *buf, uint64_t index)
{
	uint16_t hdr_len;
	uint32_t len = t_rtp(buf, (uint16_t)index, tp->ssrc, 0, -1, 100, &hdr_len);

	CU_ASSERT_EQUAL(t_protect(tp->out, buf, buf, &len, hdr_len, index), 0);
	return len;
}

/* Sends the packet at index to the receiver; returns the status. */
static uint16_t
t_pair_send(struct t_pair *tp, uint64_t index)
{
	uint8_t buf[256];
	uint32_t len = t_pair_packet(tp, buf, index);
	uint64_t got = UINT64_MAX;
	uint16_t st = t_unprotect(tp->in, &tp->r, buf, &len, 12, &got);

	if (st == 0)
		CU_ASSERT_EQUAL(got, index);
	return st;
}

static void
test_replay_of_an_exact_packet_is_rejected_without_state_change(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		struct t_pair tp;
		struct dp_srtp_replay before;
		uint8_t pkt[256], copy[256];
		uint32_t len, l;

		t_pair_init(&tp, t_suites[s]);
		len = t_pair_packet(&tp, pkt, 1000);
		memcpy(copy, pkt, len);
		l = len;
		CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &l, 12, NULL), 0);
		before = tp.r;
		l = len;
		CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, copy, &l, 12, NULL), t_replay);
		CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), FP_REPLAY_CHECK ? 1 : 2);
		t_pair_free(&tp);
	}
}

static void
test_window_edge_top_minus_127_accepted_once_top_minus_128_rejected(void)
{
	struct t_pair tp;
	struct dp_srtp_replay before;

	t_pair_init(&tp, DP_SUITE_AES_CM_128_HMAC_SHA1_80);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 5000), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 5000 - 127), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 5000 - 127), t_replay);
	before = tp.r;
	CU_ASSERT_EQUAL(t_pair_send(&tp, 5000 - 128), t_replay);
	CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
	CU_ASSERT_EQUAL(tp.r.top, 5000);
	t_pair_free(&tp);
}

static void
test_reordering_within_window_accepted_once_each(void)
{
	uint64_t order[128];
	struct t_pair tp;

	t_pair_init(&tp, DP_SUITE_AEAD_AES_128_GCM);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 20000), 0);
	/* the 127 indices below the top, shuffled, then the top's successors interleaved */
	t_shuffled_range(order, 20000 - 127, 127);
	for (unsigned int i = 0; i < 127; i++)
		CU_ASSERT_EQUAL(t_pair_send(&tp, order[i]), 0);
	for (unsigned int i = 0; i < 127; i++)
		CU_ASSERT_EQUAL(t_pair_send(&tp, order[i]), t_replay);
	CU_ASSERT_EQUAL(tp.r.top, 20000);
	CU_ASSERT_EQUAL(tp.r.window[0], UINT64_MAX);
	CU_ASSERT_EQUAL(tp.r.window[1], UINT64_MAX);
	/* a move of the top by 3 keeps the history: 20000-124 .. 20000 still seen */
	CU_ASSERT_EQUAL(t_pair_send(&tp, 20003), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 20001), 0);
	for (uint64_t i = 20000 - 124; i <= 20000; i++)
		CU_ASSERT_EQUAL(t_pair_send(&tp, i), t_replay);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 20000 - 125), t_replay);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 20002), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 20001), t_replay);
	t_pair_free(&tp);
}

static void
test_reordering_across_seq_wrap_finds_the_right_roc(void)
{
	struct t_pair tp;

	t_pair_init(&tp, DP_SUITE_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 65530), 0);
	/* SEQ 2 after 65530: ROC 1 */
	CU_ASSERT_EQUAL(t_pair_send(&tp, 1u << 16 | 2), 0);
	CU_ASSERT_EQUAL(tp.r.top, 1u << 16 | 2);
	/* late packets from before the wrap: ROC 0 */
	CU_ASSERT_EQUAL(t_pair_send(&tp, 65533), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 65535), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 1u << 16 | 0), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 65533), t_replay);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 1u << 16 | 1), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 65534), 0);
	CU_ASSERT_EQUAL(tp.r.top, 1u << 16 | 2);
	t_pair_free(&tp);
}

static void
test_reordering_across_roc_increment_with_loss(void)
{
	struct t_pair tp;
	uint64_t roc4 = 4ull << 16;

	t_pair_init(&tp, DP_SUITE_AEAD_AES_256_GCM);
	/* ROC 3 reached in steps below 2^15 */
	for (uint64_t i = 0; i < (3ull << 16 | 65500); i += 30000)
		CU_ASSERT_EQUAL(t_pair_send(&tp, i), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 3ull << 16 | 65500), 0);
	/* a loss of 100 packets across the wrap: ROC 4 */
	CU_ASSERT_EQUAL(t_pair_send(&tp, roc4 | 64), 0);
	CU_ASSERT_EQUAL(tp.r.top, roc4 | 64);
	/* stragglers of ROC 3 still within the window */
	CU_ASSERT_EQUAL(t_pair_send(&tp, 3ull << 16 | 65501), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 3ull << 16 | 65535), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, roc4 | 0), 0);
	/* ROC 3's 65500 is top - 100: seen */
	CU_ASSERT_EQUAL(t_pair_send(&tp, 3ull << 16 | 65500), t_replay);
	/* ROC 3's 65472 is top - 128: too old */
	CU_ASSERT_EQUAL(t_pair_send(&tp, 3ull << 16 | 65472), t_replay);
	CU_ASSERT_EQUAL(tp.r.top, roc4 | 64);
	t_pair_free(&tp);
}

static void
test_replay_window_matches_a_model(void)
{
	enum { RANGE = 8192 };
	static bool seen[RANGE];
	struct dp_srtp_replay r = { 0 };
	uint64_t top = 0;

	/* given a window driven by random accepted indices (jumps forward, stragglers) */
	memset(seen, 0, sizeof(seen));
	for (unsigned int step = 0; step < 3000; step++) {
		uint64_t i;

		if (!r.started)
			i = 300;
		else if (t_below(3) == 0)
			i = top + 1 + t_below(t_below(4) == 0 ? 200 : 70);
		else
			i = top - t_below(160);
		if (i >= RANGE)
			break;
		/* then rejection is exactly "seen, or 128 or more below the top" */
		CU_ASSERT_EQUAL_FATAL(fp_replay_rejects(&r, i),
				      r.started && (seen[i] || i + 128 <= top));
		if (fp_replay_rejects(&r, i))
			continue;
		fp_replay_update(&r, i);
		seen[i] = true;
		if (i > top)
			top = i;
		CU_ASSERT_EQUAL_FATAL(r.top, top);
		for (uint64_t k = top >= 300 ? top - 300 : 0; k <= top + 2; k++)
			CU_ASSERT_EQUAL_FATAL(fp_replay_rejects(&r, k), seen[k] || k + 128 <= top);
	}
	CU_ASSERT(top > 4000);

	/* and a full window moved by every distance keeps exactly what it should */
	for (uint64_t d = 1; d <= 200; d++) {
		memset(&r, 0, sizeof(r));
		for (uint64_t i = 1000 - 127; i <= 1000; i++)
			fp_replay_update(&r, i);
		fp_replay_update(&r, 1000 + d);
		for (uint64_t k = 1000 - 200; k <= 1000 + d; k++)
			CU_ASSERT_EQUAL_FATAL(fp_replay_rejects(&r, k),
					      k <= 1000 || k == 1000 + d ||
					      k + 128 <= 1000 + d);
	}
}

/* Flips one bit at off in a copy of the packet at top + 1; it must fail and change nothing. */
static void
t_forgery(uint8_t suite, bool in_tag)
{
	struct dp_srtp_replay before;
	struct t_pair tp;
	uint8_t pkt[256], forged[256], saved[256];
	uint32_t len, l;
	uint64_t in_before;

	t_pair_init(&tp, suite);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 700), 0);
	CU_ASSERT_EQUAL(t_pair_send(&tp, 698), 0);
	len = t_pair_packet(&tp, pkt, 701);
	memcpy(forged, pkt, len);
	if (in_tag)
		forged[len - 1 - t_below(dp_srtp_tag_len(tp.in))] ^= (uint8_t)(1u << t_below(8));
	else
		forged[12 + t_below(100)] ^= (uint8_t)(1u << t_below(8));
	memcpy(saved, forged, len);
	before = tp.r;
	in_before = dp_srtp_packets(tp.in);
	l = len;
	CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, forged, &l, 12, NULL), DP_DROP_SRTP_AUTH);
	CU_ASSERT_EQUAL(l, len);
	CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
	CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), in_before);
	/* HMAC suites authenticate before decrypting: the bytes stay as they came */
	if (!fp_suites[suite].gcm)
		CU_ASSERT_EQUAL(memcmp(forged, saved, len), 0);
	/* the genuine packet with that index still passes */
	l = len;
	CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &l, 12, NULL), 0);
	CU_ASSERT_EQUAL(tp.r.top, 701);
	t_pair_free(&tp);
}

static void
test_forged_tag_fails_auth_and_changes_no_state(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++)
		for (unsigned int i = 0; i < 8; i++)
			t_forgery(t_suites[s], true);
}

static void
test_forged_payload_fails_auth_and_changes_no_state(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++)
		for (unsigned int i = 0; i < 8; i++)
			t_forgery(t_suites[s], false);
}

static void
test_forged_header_fails_auth(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		struct dp_srtp_replay before;
		struct t_pair tp;
		uint8_t pkt[256];
		uint32_t len;

		t_pair_init(&tp, t_suites[s]);
		CU_ASSERT_EQUAL(t_pair_send(&tp, 10), 0);
		len = t_pair_packet(&tp, pkt, 11);
		pkt[4] ^= 0x01;       /* timestamp */
		before = tp.r;
		CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &len, 12, NULL), DP_DROP_SRTP_AUTH);
		CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
		t_pair_free(&tp);
	}
}

static void
test_packets_shorter_than_header_and_tag_are_short(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		struct dp_srtp_replay before;
		struct t_pair tp;
		uint8_t pkt[256], copy[256];
		uint32_t tag, len, l;
		uint16_t hdr_len;

		t_pair_init(&tp, t_suites[s]);
		tag = dp_srtp_tag_len(tp.in);
		CU_ASSERT_EQUAL(t_pair_send(&tp, 3), 0);
		before = tp.r;
		/* 12-byte header: every length below 12 + tag */
		len = t_pair_packet(&tp, pkt, 4);
		for (l = 0; l < 12 + tag; l++) {
			uint32_t n = l;

			memcpy(copy, pkt, len);
			CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, copy, &n, 12, NULL),
					DP_DROP_SRTP_SHORT);
			CU_ASSERT_EQUAL(n, l);
			CU_ASSERT_EQUAL(memcmp(copy, pkt, len), 0);
		}
		/* a header that claims 15 CSRCs and an extension: every length below hdr + tag */
		len = t_rtp(pkt, 5, tp.ssrc, 15, 3, 0, &hdr_len);
		CU_ASSERT_EQUAL(t_protect(tp.out, pkt, pkt, &len, hdr_len, 5), 0);
		for (l = 0; l < hdr_len + tag; l++) {
			uint32_t n = l;

			CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &n, hdr_len, NULL),
					DP_DROP_SRTP_SHORT);
		}
		/* a header length below 12 is refused whatever the length */
		for (uint16_t h = 0; h < 12; h++) {
			uint32_t n = len;

			CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &n, h, NULL),
					DP_DROP_SRTP_SHORT);
			n = 40;
			CU_ASSERT_EQUAL(t_protect(tp.out, copy, copy, &n, h, 0), DP_DROP_SRTP_SHORT);
		}
		CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
		/* exactly header + tag is an empty payload, and valid */
		l = len;
		CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &l, hdr_len, NULL), 0);
		CU_ASSERT_EQUAL(l, hdr_len);
		/* protect: a header longer than the packet */
		l = 20;
		CU_ASSERT_EQUAL(t_protect(tp.out, copy, copy, &l, 24, 0), DP_DROP_SRTP_SHORT);
		CU_ASSERT_EQUAL(l, 20);
		t_pair_free(&tp);
	}
}

static void
test_key_limit_refuses_after_2_48_packets(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		struct t_pair tp;
		uint8_t pkt[256], next[256];
		uint32_t len, l;

		t_pair_init(&tp, t_suites[s]);
		tp.out->packets = DP_SRTP_KEY_LIMIT - 1;
		tp.in->packets = DP_SRTP_KEY_LIMIT - 1;
		/* the last packet the key may protect and unprotect */
		len = t_pair_packet(&tp, pkt, 50);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.out), DP_SRTP_KEY_LIMIT);
		l = 20;
		CU_ASSERT_EQUAL(t_protect(tp.out, next, next, &l, 12, 51), DP_DROP_SRTP_KEY_LIMIT);
		CU_ASSERT_EQUAL(l, 20);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.out), DP_SRTP_KEY_LIMIT);
		l = len;
		CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &l, 12, NULL), 0);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), DP_SRTP_KEY_LIMIT);
		/* the next one is refused, before anything else */
		tp.out->packets = 0;
		len = t_pair_packet(&tp, pkt, 51);
		l = len;
		CU_ASSERT_EQUAL(t_unprotect(tp.in, &tp.r, pkt, &l, 12, NULL), DP_DROP_SRTP_KEY_LIMIT);
		CU_ASSERT_EQUAL(tp.r.top, 50);
		t_pair_free(&tp);
	}
}

static void
test_burst_reports_each_packet(void)
{
	struct t_pair tp;
	uint8_t bufs[4][256];
	struct dp_srtp_pkt p[4];

	t_pair_init(&tp, DP_SUITE_AES_CM_128_HMAC_SHA1_80);
	memset(p, 0, sizeof(p));
	for (unsigned int i = 0; i < 4; i++) {
		p[i].buf = bufs[i];
		p[i].len = t_pair_packet(&tp, bufs[i], 100 + i);
		p[i].hdr_len = 12;
		p[i].ctx = tp.in;
		p[i].replay = &tp.r;
	}
	bufs[1][20] ^= 0x80;             /* forged */
	memcpy(bufs[3], bufs[2], p[2].len); /* replay of the previous one */
	p[3].len = p[2].len;
	CU_ASSERT_EQUAL(dp_srtp_unprotect_burst(p, 4), FP_REPLAY_CHECK ? 2u : 3u);
	CU_ASSERT_EQUAL(p[0].status, 0);
	CU_ASSERT_EQUAL(p[1].status, DP_DROP_SRTP_AUTH);
	CU_ASSERT_EQUAL(p[2].status, 0);
	CU_ASSERT_EQUAL(p[3].status, t_replay);
	CU_ASSERT_EQUAL(p[0].index, 100);
	CU_ASSERT_EQUAL(p[2].index, 102);
	CU_ASSERT_EQUAL(p[0].len, 112);
	CU_ASSERT_EQUAL(dp_srtp_unprotect_burst(p, 0), 0);
	t_pair_free(&tp);
}

static void
test_protect_takes_roc_from_index_and_seq_from_header(void)
{
	struct t_pair tp;
	uint8_t a[256], b[256];
	uint32_t la, lb;
	uint16_t hdr_len;

	t_pair_init(&tp, DP_SUITE_AEAD_AES_128_GCM);
	la = t_rtp(a, 0x1234, tp.ssrc, 0, -1, 50, &hdr_len);
	memcpy(b, a, la);
	lb = la;
	CU_ASSERT_EQUAL(t_protect(tp.out, a, a, &la, hdr_len, 7ull << 16 | 0x1234), 0);
	CU_ASSERT_EQUAL(t_protect(tp.out, b, b, &lb, hdr_len, 7ull << 16 | 0x9999), 0);
	CU_ASSERT_EQUAL(la, lb);
	CU_ASSERT_EQUAL(memcmp(a, b, la), 0);
	t_pair_free(&tp);
}

/* What every context maker refuses, and the tag length of each suite it makes. */
static void
t_ctx_create_refusals(t_ctx_create_fn create, const unsigned int tags[T_SUITES])
{
	static const size_t lens[T_SUITES] = { 30, 30, 28, 44 };
	uint8_t master[46] = { 0 };
	struct dp_srtp_ctx *ctx;

	CU_ASSERT_PTR_NULL(create(DP_SUITE_NONE, master, 30, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_MAX, master, 30, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(200, master, 30, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AES_CM_128_HMAC_SHA1_80, master, 29, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AES_CM_128_HMAC_SHA1_32, master, 29, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AES_CM_128_HMAC_SHA1_80, master, 46, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AEAD_AES_128_GCM, master, 30, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AEAD_AES_256_GCM, master, 46, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AES_CM_128_HMAC_SHA1_80, NULL, 30, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AEAD_AES_128_GCM, NULL, 28, DP_SRTP_INBOUND));
	CU_ASSERT_PTR_NULL(create(DP_SUITE_AES_CM_128_HMAC_SHA1_80, master, 30,
				  (enum dp_srtp_dir)2));
	for (unsigned int s = 0; s < T_SUITES; s++) {
		for (int dir = DP_SRTP_INBOUND; dir <= DP_SRTP_OUTBOUND; dir++) {
			ctx = create(t_suites[s], master, lens[s], (enum dp_srtp_dir)dir);
			CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
			CU_ASSERT_EQUAL(dp_srtp_tag_len(ctx), tags[s]);
			CU_ASSERT_EQUAL(dp_srtp_packets(ctx), 0);
			dp_srtp_ctx_free(ctx);
		}
	}
	dp_srtp_ctx_free(NULL);
}

static void
test_ctx_create_refuses_bad_suite_length_and_direction(void)
{
	static const unsigned int tags[T_SUITES] = { 10, 4, 16, 16 };

	t_ctx_create_refusals(dp_srtp_ctx_create, tags);
}

static void
test_memcmp_ct_reports_equality(void)
{
	uint8_t a[10] = { 1, 2, 3 }, b[10] = { 1, 2, 3 };

	CU_ASSERT_EQUAL(dp_srtp_memcmp_ct(a, b, sizeof(a)), 0);
	b[9] = 1;
	CU_ASSERT_NOT_EQUAL(dp_srtp_memcmp_ct(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(dp_srtp_memcmp_ct(a, b, 9), 0);
	CU_ASSERT_EQUAL(dp_srtp_memcmp_ct(a, b, 0), 0);
}

/* ---- index estimation (RFC 3711 appendix A) ---- */

static uint64_t
t_est(uint64_t top, uint16_t seq)
{
	struct dp_srtp_replay r = { .top = top, .started = true };

	return dp_srtp_estimate_index(&r, seq);
}

static void
test_estimate_index_follows_rfc3711_appendix_a(void)
{
	struct dp_srtp_replay fresh = { 0 };

	/* no packet yet: ROC 0 */
	CU_ASSERT_EQUAL(dp_srtp_estimate_index(&fresh, 0), 0);
	CU_ASSERT_EQUAL(dp_srtp_estimate_index(&fresh, 65535), 65535);
	/* ROC 0, s_l low: never ROC - 1 */
	CU_ASSERT_EQUAL(t_est(100, 65000), 65000);
	CU_ASSERT_EQUAL(t_est(0, 65535), 65535);
	/* s_l high, SEQ far below: the next ROC */
	CU_ASSERT_EQUAL(t_est(65000, 10), 1ull << 16 | 10);
	CU_ASSERT_EQUAL(t_est(65000, 65000 - 0x8000), 65000 - 0x8000);
	CU_ASSERT_EQUAL(t_est(65000, 65000 - 0x8001), 1ull << 16 | (65000 - 0x8001));
	/* s_l low with ROC > 0, SEQ far above: the previous ROC */
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 10, 65000), 4ull << 16 | 65000);
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 0x7ffe, 0xffff), 4ull << 16 | 0xffff);
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 0x7fff, 0xffff), 5ull << 16 | 0xffff);
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 10, 10 + 0x8000), 5ull << 16 | (10 + 0x8000));
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 10, 11 + 0x8000), 4ull << 16 | (11 + 0x8000));
	/* s_l exactly 2^15 */
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 0x8000, 0), 5ull << 16);
	CU_ASSERT_EQUAL(t_est(5ull << 16 | 0x8001, 0), 6ull << 16);
	CU_ASSERT_EQUAL(t_est(0x8000, 0xffff), 0xffff);
	/* same SEQ: same index */
	CU_ASSERT_EQUAL(t_est(9ull << 16 | 1234, 1234), 9ull << 16 | 1234);
	/* the 32-bit ROC wraps as libsrtp2's does */
	CU_ASSERT_EQUAL(t_est(0xffffffffull << 16 | 0xfff0, 5), 5);
}

/* ---- SRTCP ---- */

/* What a replayed SRTCP packet gets: benchmark builds accept it (DP_PERF_REPLAY_OFF). */
static const int t_srtcp_replay = FP_REPLAY_CHECK ? DP_DROP_SRTCP_REPLAY : DP_DROP_NONE;

/* SRTCP tags: 80 bits for both AES-CM suites, 16 bytes for GCM. */
static uint32_t
t_srtcp_tag(uint8_t suite)
{
	return fp_suites[suite].gcm ? 16 : 10;
}

/*
 * Offsets in an SRTCP packet with n encrypted bytes: AES-CM has E flag and index, then the
 * tag; GCM has the tag, then E flag and index.
 */
static uint32_t
t_srtcp_index_off(uint8_t suite, uint32_t n)
{
	return fp_suites[suite].gcm ? 8 + n + 16 : 8 + n;
}

static uint32_t
t_srtcp_tag_off(uint8_t suite, uint32_t n)
{
	return fp_suites[suite].gcm ? 8 + n : 8 + n + 4;
}

/* An RTCP sender report with one report block: 52 bytes. */
static uint32_t
t_sr(uint8_t *p, uint32_t ssrc)
{
	p[0] = 0x81;
	p[1] = 200;
	p[2] = 0;
	p[3] = 12;
	dp_store_be32(p + 4, ssrc);
	t_fill(p + 8, 44);
	return 52;
}

/* RTCP from ssrc: an 8-byte first header and body random bytes (SRTCP does not parse them). */
static uint32_t
t_rtcp(uint8_t *p, uint32_t ssrc, uint32_t body)
{
	p[0] = (uint8_t)(0x80 | t_below(32));
	p[1] = (uint8_t)(200 + t_below(5));
	dp_store_be16(p + 2, (uint16_t)(body / 4 + 1));
	dp_store_be32(p + 4, ssrc);
	t_fill(p + 8, body);
	return 8 + body;
}

/* libsrtp2's reference SRTCP packets (its test/srtp_driver.c): index 1, KDF included. */
static void
t_srtcp_reference(uint8_t suite, const char *master_hex, const char *srtcp_hex)
{
	static const char plain_hex[] = "81c8000bcafebabeabababababababababababababababab";
	struct dp_srtp_replay r = { 0 };
	struct dp_srtp_ctx *out, *in;
	uint8_t master[46], plain[24], want[64], buf[64];
	size_t master_len, plain_len, want_len;
	uint32_t len;

	/* given libsrtp2's master key and RTCP packet */
	master_len = t_unhex(master_hex, master, sizeof(master));
	plain_len = t_unhex(plain_hex, plain, sizeof(plain));
	want_len = t_unhex(srtcp_hex, want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(want_len, plain_len + 4 + t_srtcp_tag(suite));
	out = dp_srtcp_ctx_create(suite, master, master_len, DP_SRTP_OUTBOUND);
	in = dp_srtcp_ctx_create(suite, master, master_len, DP_SRTP_INBOUND);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	/* when it is protected under index 1, then it is libsrtp2's SRTCP packet */
	memcpy(buf, plain, plain_len);
	len = (uint32_t)plain_len;
	CU_ASSERT_EQUAL(dp_srtcp_protect(out, 1, buf, &len, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(len, want_len);
	CU_ASSERT_EQUAL(memcmp(buf, want, want_len), 0);
	/* and unprotecting it gives the RTCP packet back */
	CU_ASSERT_EQUAL(dp_srtcp_unprotect(in, &r, buf, &len), 0);
	CU_ASSERT_EQUAL(len, plain_len);
	CU_ASSERT_EQUAL(memcmp(buf, plain, plain_len), 0);
	CU_ASSERT_EQUAL(r.top, 1);
	dp_srtp_ctx_free(out);
	dp_srtp_ctx_free(in);
}

static void
test_srtcp_aes_cm_80_matches_libsrtp_reference_packet(void)
{
	t_srtcp_reference(DP_SUITE_AES_CM_128_HMAC_SHA1_80,
			  "e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6",
			  "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001"
			  "993e08cd54d6c1230798");
}

static void
test_srtcp_gcm128_matches_libsrtp_reference_packet(void)
{
	/* GCM: the tag comes before the E flag and index */
	t_srtcp_reference(DP_SUITE_AEAD_AES_128_GCM,
			  "000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab",
			  "81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025"
			  "c52c6fbea2b3b446ea31123ba88ce61e 80000001");
}

/*
 * Three senders interleaved: libsrtp2 numbers each one's SRTCP packets 1, 2, 3..., and ours
 * are given the same indexes. Both sides protect the same RTCP to the same bytes and each
 * unprotects the other's. Then indexes far ahead, up to DP_SRTCP_INDEX_MAX.
 */
static void
t_srtcp_interop_suite(uint8_t suite)
{
	static const uint32_t far[] = { 0x1234, 0xabcdef, 0x12345678, 0x7fffff80,
					DP_SRTCP_INDEX_MAX };
	struct dp_srtp_replay r[3];
	uint32_t ssrcs[3], next[3] = { 1, 1, 1 };
	uint8_t master[46];
	struct t_buf orig, lib, ours, tmp;
	struct dp_srtp_ctx *out, *in;
	srtp_t lib_out, lib_in;
	uint32_t tag = t_srtcp_tag(suite);
	unsigned int packets = 0;

	memset(r, 0, sizeof(r));
	t_fill(master, sizeof(master));
	out = dp_srtcp_ctx_create(suite, master, t_master_len(suite), DP_SRTP_OUTBOUND);
	in = dp_srtcp_ctx_create(suite, master, t_master_len(suite), DP_SRTP_INBOUND);
	lib_out = t_lib_session(suite, master, ssrc_any_outbound);
	lib_in = t_lib_session(suite, master, ssrc_any_inbound);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lib_out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lib_in);
	CU_ASSERT_EQUAL(dp_srtp_tag_len(out), tag);
	CU_ASSERT_EQUAL(dp_srtp_tag_len(in), tag);
	for (unsigned int k = 0; k < 3; k++)
		ssrcs[k] = (uint32_t)t_rand();

	/* 600 packets: each sender passes index 128 (bit 7 of the index) */
	for (unsigned int i = 0; i < 600; i++) {
		unsigned int k = t_below(3);
		uint32_t body = i == 0 ? 0 : t_below(4) == 0 ? 4 * t_below(4) : t_below(1201);
		uint32_t len, lib_len, our_len, got_len;
		int l;

		/* the first is a bare RTCP header: nothing to encrypt */
		len = t_rtcp((uint8_t *)orig.w, ssrcs[k], body);
		memcpy(lib.w, orig.w, len);
		l = (int)len;
		CU_ASSERT_EQUAL_FATAL(srtp_protect_rtcp(lib_out, lib.w, &l), srtp_err_status_ok);
		lib_len = (uint32_t)l;
		memcpy(ours.w, orig.w, len);
		our_len = len;
		CU_ASSERT_EQUAL_FATAL(dp_srtcp_protect(out, next[k], (uint8_t *)ours.w, &our_len,
						       len + DP_SRTCP_TRAILER_MAX), 0);
		next[k]++;
		CU_ASSERT_EQUAL_FATAL(lib_len, len + 4 + tag);
		CU_ASSERT_EQUAL_FATAL(our_len, lib_len);
		CU_ASSERT_EQUAL_FATAL(memcmp(ours.w, lib.w, lib_len), 0);
		/* ours unprotects libsrtp2's, with the replay state of its sender */
		memcpy(tmp.w, lib.w, lib_len);
		CU_ASSERT_EQUAL_FATAL(dp_srtcp_ssrc((uint8_t *)tmp.w, lib_len), (int64_t)ssrcs[k]);
		got_len = lib_len;
		CU_ASSERT_EQUAL_FATAL(dp_srtcp_unprotect(in, &r[k], (uint8_t *)tmp.w, &got_len), 0);
		CU_ASSERT_EQUAL_FATAL(got_len, len);
		CU_ASSERT_EQUAL_FATAL(memcmp(tmp.w, orig.w, len), 0);
		CU_ASSERT_EQUAL_FATAL(r[k].top, next[k] - 1);
		/* libsrtp2 unprotects ours */
		l = (int)our_len;
		CU_ASSERT_EQUAL_FATAL(srtp_unprotect_rtcp(lib_in, ours.w, &l), srtp_err_status_ok);
		CU_ASSERT_EQUAL_FATAL((uint32_t)l, len);
		CU_ASSERT_EQUAL_FATAL(memcmp(ours.w, orig.w, len), 0);
		packets++;
	}
	for (unsigned int k = 0; k < 3; k++)
		CU_ASSERT(next[k] > 129);

	/* indexes far ahead: libsrtp2 and ours both take them */
	for (size_t j = 0; j < sizeof(far) / sizeof(far[0]); j++) {
		uint32_t len = t_rtcp((uint8_t *)orig.w, ssrcs[0], t_below(200)), our_len = len;
		int l;

		memcpy(ours.w, orig.w, len);
		CU_ASSERT_EQUAL_FATAL(dp_srtcp_protect(out, far[j], (uint8_t *)ours.w, &our_len,
						       len + DP_SRTCP_TRAILER_MAX), 0);
		CU_ASSERT_EQUAL(dp_load_be32((uint8_t *)ours.w + t_srtcp_index_off(suite, len - 8)),
				0x80000000u | far[j]);
		memcpy(tmp.w, ours.w, our_len);
		l = (int)our_len;
		CU_ASSERT_EQUAL_FATAL(srtp_unprotect_rtcp(lib_in, ours.w, &l), srtp_err_status_ok);
		CU_ASSERT_EQUAL_FATAL((uint32_t)l, len);
		CU_ASSERT_EQUAL_FATAL(memcmp(ours.w, orig.w, len), 0);
		CU_ASSERT_EQUAL_FATAL(dp_srtcp_unprotect(in, &r[0], (uint8_t *)tmp.w, &our_len), 0);
		CU_ASSERT_EQUAL_FATAL(our_len, len);
		CU_ASSERT_EQUAL_FATAL(memcmp(tmp.w, orig.w, len), 0);
		CU_ASSERT_EQUAL(r[0].top, far[j]);
		packets++;
	}
	CU_ASSERT_EQUAL(dp_srtp_packets(out), packets);
	CU_ASSERT_EQUAL(dp_srtp_packets(in), packets);
	srtp_dealloc(lib_out);
	srtp_dealloc(lib_in);
	dp_srtp_ctx_free(out);
	dp_srtp_ctx_free(in);
}

static void
test_srtcp_aes_cm_80_matches_libsrtp_bit_for_bit(void)
{
	t_srtcp_interop_suite(DP_SUITE_AES_CM_128_HMAC_SHA1_80);
}

static void
test_srtcp_aes_cm_32_matches_libsrtp_bit_for_bit(void)
{
	t_srtcp_interop_suite(DP_SUITE_AES_CM_128_HMAC_SHA1_32);
}

static void
test_srtcp_gcm128_matches_libsrtp_bit_for_bit(void)
{
	t_srtcp_interop_suite(DP_SUITE_AEAD_AES_128_GCM);
}

static void
test_srtcp_gcm256_matches_libsrtp_bit_for_bit(void)
{
	t_srtcp_interop_suite(DP_SUITE_AEAD_AES_256_GCM);
}

/* An SRTCP sender and receiver of ours with the same random master key. */
struct t_rtcp_pair {
	uint8_t suite;
	uint8_t master[46];
	struct dp_srtp_ctx *out;
	struct dp_srtp_ctx *in;
	struct dp_srtp_replay r;
	uint32_t ssrc;
};

static void
t_rtcp_pair_init(struct t_rtcp_pair *tp, uint8_t suite)
{
	memset(tp, 0, sizeof(*tp));
	t_fill(tp->master, sizeof(tp->master));
	tp->suite = suite;
	tp->ssrc = (uint32_t)t_rand();
	t_ctx_pair(dp_srtcp_ctx_create, suite, tp->master, &tp->out, &tp->in);
}

static void
t_rtcp_pair_free(struct t_rtcp_pair *tp)
{
	t_ctx_pair_free(tp->out, tp->in);
}

/* A 52-byte sender report protected under index into buf (128 bytes); returns its length. */
static uint32_t
t_rtcp_pair_packet(struct t_rtcp_pair *tp, uint8_t *buf, uint32_t index)
{
	uint32_t len = t_sr(buf, tp->ssrc);

	CU_ASSERT_EQUAL(dp_srtcp_protect(tp->out, index, buf, &len, len + DP_SRTCP_TRAILER_MAX), 0);
	CU_ASSERT_EQUAL(len, 52 + 4 + t_srtcp_tag(tp->suite));
	return len;
}

/* Sends the packet at index to the receiver; returns the status. */
static int
t_rtcp_pair_send(struct t_rtcp_pair *tp, uint32_t index)
{
	uint8_t buf[128];
	uint32_t len = t_rtcp_pair_packet(tp, buf, index);
	int st = dp_srtcp_unprotect(tp->in, &tp->r, buf, &len);

	if (st == 0)
		CU_ASSERT_EQUAL(len, 52);
	return st;
}

/* Where a forgery flips a bit of an SRTCP packet. */
enum t_where {
	T_HEADER,
	T_BODY,
	T_INDEX,
	T_TAG,
	T_E_FLAG,
};

/* Flips one bit (where) of the packet at index 11; it must fail AUTH and change nothing. */
static void
t_srtcp_forgery(uint8_t suite, enum t_where where)
{
	struct dp_srtp_replay before;
	struct t_rtcp_pair tp;
	uint8_t pkt[128], forged[128], saved[128];
	uint8_t bit = (uint8_t)(1u << t_below(8));
	uint32_t len, l, n, idx_off;
	uint64_t in_before;

	t_rtcp_pair_init(&tp, suite);
	CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 10), 0);
	CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 8), 0);
	len = t_rtcp_pair_packet(&tp, pkt, 11);
	n = 52 - 8;
	idx_off = t_srtcp_index_off(suite, n);
	CU_ASSERT_EQUAL(dp_load_be32(pkt + idx_off), 0x80000000u | 11);
	memcpy(forged, pkt, len);
	switch (where) {
	case T_HEADER:
		forged[t_below(8)] ^= bit;
		break;
	case T_BODY:
		forged[8 + t_below(n)] ^= bit;
		break;
	case T_INDEX:
		/* bits 2..30: an index that is neither seen (8, 10) nor the genuine 11 */
		dp_store_be32(forged + idx_off, dp_load_be32(forged + idx_off) ^
			      1u << (2 + t_below(29)));
		break;
	case T_TAG:
		forged[t_srtcp_tag_off(suite, n) + t_below(t_srtcp_tag(suite))] ^= bit;
		break;
	case T_E_FLAG:
		forged[idx_off] ^= 0x80;
		break;
	}
	memcpy(saved, forged, len);
	before = tp.r;
	in_before = dp_srtp_packets(tp.in);
	l = len;
	CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, forged, &l), DP_DROP_SRTCP_AUTH);
	CU_ASSERT_EQUAL(l, len);
	CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
	CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), in_before);
	/* HMAC suites authenticate before decrypting: the bytes stay as they came */
	if (!fp_suites[suite].gcm)
		CU_ASSERT_EQUAL(memcmp(forged, saved, len), 0);
	/* the genuine packet still passes */
	l = len;
	CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, pkt, &l), 0);
	CU_ASSERT_EQUAL(l, 52);
	CU_ASSERT_EQUAL(tp.r.top, 11);
	t_rtcp_pair_free(&tp);
}

static void
test_srtcp_flipped_bit_anywhere_fails_auth_and_changes_no_state(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++)
		for (unsigned int w = T_HEADER; w <= T_E_FLAG; w++)
			for (unsigned int i = 0; i < 8; i++)
				t_srtcp_forgery(t_suites[s], (enum t_where)w);
}

static void
test_srtcp_unencrypted_packet_with_a_valid_tag_is_refused(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		uint8_t suite = t_suites[s];
		struct dp_srtp_replay before;
		struct t_rtcp_pair tp;
		struct t_buf plain, pkt, copy;
		srtp_t lib_tx, lib_rx;
		uint32_t len, l;
		int n;

		/* given libsrtp2 sending SRTCP without encryption (E flag 0) under our key */
		t_rtcp_pair_init(&tp, suite);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 1), 0);
		lib_tx = t_lib_session_serv(suite, tp.master, ssrc_any_outbound, sec_serv_auth);
		lib_rx = t_lib_session_serv(suite, tp.master, ssrc_any_inbound, sec_serv_auth);
		CU_ASSERT_PTR_NOT_NULL_FATAL(lib_tx);
		CU_ASSERT_PTR_NOT_NULL_FATAL(lib_rx);
		len = t_sr((uint8_t *)plain.w, tp.ssrc);
		memcpy(pkt.w, plain.w, len);
		n = (int)len;
		CU_ASSERT_EQUAL_FATAL(srtp_protect_rtcp(lib_tx, pkt.w, &n), srtp_err_status_ok);
		CU_ASSERT_EQUAL_FATAL((uint32_t)n, len + 4 + t_srtcp_tag(suite));
		CU_ASSERT_EQUAL(dp_load_be32((uint8_t *)pkt.w + t_srtcp_index_off(suite, len - 8)),
				1);
		CU_ASSERT_EQUAL(memcmp(pkt.w, plain.w, len), 0);
		memcpy(copy.w, pkt.w, (size_t)n);
		/* when ours unprotects it, then it is refused and nothing changes */
		before = tp.r;
		l = (uint32_t)n;
		CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, (uint8_t *)pkt.w, &l),
				DP_DROP_SRTCP_AUTH);
		CU_ASSERT_EQUAL(l, (uint32_t)n);
		CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), 1);
		/* though its tag is valid: libsrtp2's own receiver takes it */
		CU_ASSERT_EQUAL(srtp_unprotect_rtcp(lib_rx, copy.w, &n), srtp_err_status_ok);
		CU_ASSERT_EQUAL((uint32_t)n, len);
		srtp_dealloc(lib_tx);
		srtp_dealloc(lib_rx);
		t_rtcp_pair_free(&tp);
	}
}

static void
test_srtcp_replay_of_an_exact_packet_is_rejected_without_state_change(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		struct t_rtcp_pair tp;
		struct dp_srtp_replay before;
		uint8_t pkt[128], copy[128];
		uint32_t len, l;

		t_rtcp_pair_init(&tp, t_suites[s]);
		len = t_rtcp_pair_packet(&tp, pkt, 1000);
		memcpy(copy, pkt, len);
		l = len;
		CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, pkt, &l), 0);
		before = tp.r;
		l = len;
		CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, copy, &l), t_srtcp_replay);
		CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), FP_REPLAY_CHECK ? 1 : 2);
		if (FP_REPLAY_CHECK)
			CU_ASSERT_EQUAL(l, len);
		t_rtcp_pair_free(&tp);
	}
}

static void
test_srtcp_window_takes_reordering_once_and_refuses_128_below_top(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		struct dp_srtp_replay before;
		struct t_rtcp_pair tp;
		uint64_t order[126];

		t_rtcp_pair_init(&tp, t_suites[s]);
		/* the edge: top - 127 accepted once, top - 128 refused */
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5000), 0);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5000 - 127), 0);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5000 - 127), t_srtcp_replay);
		before = tp.r;
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5000 - 128), t_srtcp_replay);
		if (FP_REPLAY_CHECK)
			CU_ASSERT_EQUAL(memcmp(&before, &tp.r, sizeof(before)), 0);
		CU_ASSERT_EQUAL(tp.r.top, 5000);
		/* the indexes between, shuffled: each accepted once */
		t_shuffled_range(order, 5000 - 126, 126);
		for (unsigned int i = 0; i < 126; i++)
			CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, (uint32_t)order[i]), 0);
		for (unsigned int i = 0; i < 126; i++)
			CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, (uint32_t)order[i]), t_srtcp_replay);
		CU_ASSERT_EQUAL(tp.r.top, 5000);
		CU_ASSERT_EQUAL(tp.r.window[0], UINT64_MAX);
		CU_ASSERT_EQUAL(tp.r.window[1], UINT64_MAX);
		/* the top moves by 3 and keeps its history; the gap fills once */
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5003), 0);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5001), 0);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5000), t_srtcp_replay);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5000 - 124), t_srtcp_replay);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5002), 0);
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 5002), t_srtcp_replay);
		CU_ASSERT_EQUAL(tp.r.top, 5003);
		/* a jump far ahead is taken */
		CU_ASSERT_EQUAL(t_rtcp_pair_send(&tp, 1000000), 0);
		CU_ASSERT_EQUAL(tp.r.top, 1000000);
		t_rtcp_pair_free(&tp);
	}
}

static void
test_srtcp_lengths_at_the_boundaries(void)
{
	for (unsigned int s = 0; s < T_SUITES; s++) {
		uint8_t suite = t_suites[s];
		uint32_t min = 8 + 4 + t_srtcp_tag(suite);
		struct t_rtcp_pair tp;
		uint8_t pkt[64], plain[8];
		uint32_t len, l;

		t_rtcp_pair_init(&tp, suite);
		/* given the shortest SRTCP packet: an 8-byte RTCP header, nothing encrypted */
		len = t_rtcp(plain, tp.ssrc, 0);
		memcpy(pkt, plain, len);
		CU_ASSERT_EQUAL(dp_srtcp_protect(tp.out, 1, pkt, &len, sizeof(pkt)), 0);
		CU_ASSERT_EQUAL_FATAL(len, min);
		/* when it is cut by a byte or more, then it is short; each in a buffer of its size */
		for (uint32_t l0 = 0; l0 < min; l0++) {
			uint8_t *cut = malloc(l0 > 0 ? l0 : 1);

			CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
			memcpy(cut, pkt, l0);
			l = l0;
			CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, cut, &l), DP_DROP_SRTCP_SHORT);
			CU_ASSERT_EQUAL(l, l0);
			CU_ASSERT_EQUAL(memcmp(cut, pkt, l0), 0);
			free(cut);
		}
		CU_ASSERT_EQUAL(tp.r.started, false);
		CU_ASSERT_EQUAL(dp_srtp_packets(tp.in), 0);
		/* and whole, it is accepted with an empty body */
		l = len;
		CU_ASSERT_EQUAL(dp_srtcp_unprotect(tp.in, &tp.r, pkt, &l), 0);
		CU_ASSERT_EQUAL(l, 8);
		CU_ASSERT_EQUAL(memcmp(pkt, plain, 8), 0);
		CU_ASSERT_EQUAL(tp.r.top, 1);
		t_rtcp_pair_free(&tp);
	}
}

static void
test_srtcp_protect_refuses_bad_index_room_and_length(void)
{
	static const uint32_t bad_index[] = { 0, DP_SRTCP_INDEX_MAX + 1, UINT32_MAX };
	struct t_buf buf, saved;
	uint8_t *p = (uint8_t *)buf.w;

	for (unsigned int s = 0; s < T_SUITES; s++) {
		uint8_t suite = t_suites[s];
		uint8_t master[46];
		struct dp_srtp_ctx *out;
		uint32_t len, l;

		t_fill(master, sizeof(master));
		out = dp_srtcp_ctx_create(suite, master, t_master_len(suite), DP_SRTP_OUTBOUND);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		len = t_sr(p, 0x11223344);
		memset(p + len, 0xa5, 64);
		memcpy(saved.w, buf.w, sizeof(buf));
		/* index 0, one past 31 bits, the largest 32-bit value */
		for (size_t i = 0; i < sizeof(bad_index) / sizeof(bad_index[0]); i++) {
			l = len;
			CU_ASSERT_EQUAL(dp_srtcp_protect(out, bad_index[i], p, &l, T_BUF),
					DP_DROP_SRTCP_ERROR);
			CU_ASSERT_EQUAL(l, len);
		}
		/* room one byte short of the longest trailer, whatever this suite needs */
		l = len;
		CU_ASSERT_EQUAL(dp_srtcp_protect(out, 1, p, &l, len + DP_SRTCP_TRAILER_MAX - 1),
				DP_DROP_SRTCP_ERROR);
		CU_ASSERT_EQUAL(l, len);
		l = len;
		CU_ASSERT_EQUAL(dp_srtcp_protect(out, 1, p, &l, len - 1), DP_DROP_SRTCP_ERROR);
		CU_ASSERT_EQUAL(l, len);
		/* a length whose trailer would pass 2^32 */
		l = UINT32_MAX - 10;
		CU_ASSERT_EQUAL(dp_srtcp_protect(out, 1, p, &l, UINT32_MAX), DP_DROP_SRTCP_ERROR);
		CU_ASSERT_EQUAL(l, UINT32_MAX - 10);
		/* shorter than an RTCP header */
		for (uint32_t l0 = 0; l0 < 8; l0++) {
			l = l0;
			CU_ASSERT_EQUAL(dp_srtcp_protect(out, 1, p, &l, T_BUF), DP_DROP_SRTCP_ERROR);
			CU_ASSERT_EQUAL(l, l0);
		}
		CU_ASSERT_EQUAL(memcmp(buf.w, saved.w, sizeof(buf)), 0);
		CU_ASSERT_EQUAL(dp_srtp_packets(out), 0);
		/* exactly the room asked for: accepted, nothing written after the trailer */
		l = len;
		CU_ASSERT_EQUAL(dp_srtcp_protect(out, DP_SRTCP_INDEX_MAX, p, &l,
						 len + DP_SRTCP_TRAILER_MAX), 0);
		CU_ASSERT_EQUAL(l, len + 4 + t_srtcp_tag(suite));
		CU_ASSERT_EQUAL(dp_load_be32(p + t_srtcp_index_off(suite, len - 8)), UINT32_MAX);
		for (uint32_t k = l; k < len + 64; k++)
			CU_ASSERT_EQUAL(p[k], 0xa5);
		CU_ASSERT_EQUAL(dp_srtp_packets(out), 1);
		dp_srtp_ctx_free(out);
	}
}

static void
test_srtcp_ssrc_needs_the_8_byte_header(void)
{
	uint8_t p[8] = { 0x81, 0xc8, 0x00, 0x0c, 0xfe, 0xdc, 0xba, 0x98 };

	for (uint32_t l = 0; l < 8; l++)
		CU_ASSERT_EQUAL(dp_srtcp_ssrc(p, l), -1);
	/* the largest SSRCs stay positive */
	CU_ASSERT_EQUAL(dp_srtcp_ssrc(p, 8), 0xfedcba98);
	memset(p + 4, 0xff, 4);
	CU_ASSERT_EQUAL(dp_srtcp_ssrc(p, 8), 0xffffffffll);
	memset(p + 4, 0, 4);
	CU_ASSERT_EQUAL(dp_srtcp_ssrc(p, 8), 0);
}

static void
test_srtcp_ctx_create_refuses_bad_suite_length_and_direction(void)
{
	/* both AES-CM suites tag SRTCP with 80 bits */
	static const unsigned int tags[T_SUITES] = { 10, 10, 16, 16 };

	t_ctx_create_refusals(dp_srtcp_ctx_create, tags);
}

static void
test_srtcp_kdf_uses_labels_3_4_5(void)
{
	const struct fp_suite *s = &fp_suites[DP_SUITE_AES_CM_128_HMAC_SHA1_80];
	uint8_t master[30], shifted[30], enc[16], auth[20], salt[14], e[16], a[20], sl[14];

	/* given the SRTCP session keys of a master key and salt */
	t_fill(master, sizeof(master));
	CU_ASSERT_EQUAL_FATAL(fp_derive(s, master, FP_LABELS_SRTCP, enc, auth, salt), 0);
	/* then each is the SRTP key of the same label, reached through the salt's byte 7
	 * (where the KDF XORs the label in): 3 = 0 ^ 3, 4 = 1 ^ 5, 5 = 2 ^ 7 */
	memcpy(shifted, master, sizeof(master));
	shifted[16 + 7] ^= 0x03;
	CU_ASSERT_EQUAL_FATAL(fp_derive(s, shifted, FP_LABELS_SRTP, e, a, sl), 0);
	CU_ASSERT_EQUAL(memcmp(e, enc, sizeof(enc)), 0);
	memcpy(shifted, master, sizeof(master));
	shifted[16 + 7] ^= 0x05;
	CU_ASSERT_EQUAL_FATAL(fp_derive(s, shifted, FP_LABELS_SRTP, e, a, sl), 0);
	CU_ASSERT_EQUAL(memcmp(a, auth, sizeof(auth)), 0);
	memcpy(shifted, master, sizeof(master));
	shifted[16 + 7] ^= 0x07;
	CU_ASSERT_EQUAL_FATAL(fp_derive(s, shifted, FP_LABELS_SRTP, e, a, sl), 0);
	CU_ASSERT_EQUAL(memcmp(sl, salt, sizeof(salt)), 0);
	/* and none is the master's SRTP key */
	CU_ASSERT_EQUAL_FATAL(fp_derive(s, master, FP_LABELS_SRTP, e, a, sl), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(e, enc, sizeof(enc)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, auth, sizeof(auth)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(sl, salt, sizeof(salt)), 0);
}

static int
t_suite_init(void)
{
	t_rng_state = 0x5eed5eed;
	return 0;
}

static const struct ut_test vector_tests[] = {
	{ "kdf_derives_rfc3711_b3_session_keys", test_kdf_derives_rfc3711_b3_session_keys },
	{ "aes_cm_keystream_is_rfc3711_b2", test_aes_cm_keystream_is_rfc3711_b2 },
	{ "gcm128_matches_rfc7714_16_1_1", test_gcm128_matches_rfc7714_16_1_1 },
	{ "gcm256_matches_rfc7714_16_2_1", test_gcm256_matches_rfc7714_16_2_1 },
	{ "aes_cm_80_matches_libsrtp_reference_packet",
	  test_aes_cm_80_matches_libsrtp_reference_packet },
	{ "gcm128_matches_libsrtp_reference_packet", test_gcm128_matches_libsrtp_reference_packet },
	{ NULL, NULL },
};

static const struct ut_test interop_tests[] = {
	{ "aes_cm_80_matches_libsrtp_bit_for_bit", test_aes_cm_80_matches_libsrtp_bit_for_bit },
	{ "aes_cm_32_matches_libsrtp_bit_for_bit", test_aes_cm_32_matches_libsrtp_bit_for_bit },
	{ "gcm128_matches_libsrtp_bit_for_bit", test_gcm128_matches_libsrtp_bit_for_bit },
	{ "gcm256_matches_libsrtp_bit_for_bit", test_gcm256_matches_libsrtp_bit_for_bit },
	{ NULL, NULL },
};

static const struct ut_test replay_tests[] = {
	{ "replay_of_an_exact_packet_is_rejected_without_state_change",
	  test_replay_of_an_exact_packet_is_rejected_without_state_change },
	{ "window_edge_top_minus_127_accepted_once_top_minus_128_rejected",
	  test_window_edge_top_minus_127_accepted_once_top_minus_128_rejected },
	{ "reordering_within_window_accepted_once_each",
	  test_reordering_within_window_accepted_once_each },
	{ "replay_window_matches_a_model", test_replay_window_matches_a_model },
	{ "reordering_across_seq_wrap_finds_the_right_roc",
	  test_reordering_across_seq_wrap_finds_the_right_roc },
	{ "reordering_across_roc_increment_with_loss",
	  test_reordering_across_roc_increment_with_loss },
	{ "forged_tag_fails_auth_and_changes_no_state",
	  test_forged_tag_fails_auth_and_changes_no_state },
	{ "forged_payload_fails_auth_and_changes_no_state",
	  test_forged_payload_fails_auth_and_changes_no_state },
	{ "forged_header_fails_auth", test_forged_header_fails_auth },
	{ "packets_shorter_than_header_and_tag_are_short",
	  test_packets_shorter_than_header_and_tag_are_short },
	{ "key_limit_refuses_after_2_48_packets", test_key_limit_refuses_after_2_48_packets },
	{ "burst_reports_each_packet", test_burst_reports_each_packet },
	{ "protect_takes_roc_from_index_and_seq_from_header",
	  test_protect_takes_roc_from_index_and_seq_from_header },
	{ "ctx_create_refuses_bad_suite_length_and_direction",
	  test_ctx_create_refuses_bad_suite_length_and_direction },
	{ "memcmp_ct_reports_equality", test_memcmp_ct_reports_equality },
	{ "estimate_index_follows_rfc3711_appendix_a",
	  test_estimate_index_follows_rfc3711_appendix_a },
	{ NULL, NULL },
};

static const struct ut_test srtcp_tests[] = {
	{ "srtcp_aes_cm_80_matches_libsrtp_reference_packet",
	  test_srtcp_aes_cm_80_matches_libsrtp_reference_packet },
	{ "srtcp_gcm128_matches_libsrtp_reference_packet",
	  test_srtcp_gcm128_matches_libsrtp_reference_packet },
	{ "srtcp_kdf_uses_labels_3_4_5", test_srtcp_kdf_uses_labels_3_4_5 },
	{ "srtcp_aes_cm_80_matches_libsrtp_bit_for_bit",
	  test_srtcp_aes_cm_80_matches_libsrtp_bit_for_bit },
	{ "srtcp_aes_cm_32_matches_libsrtp_bit_for_bit",
	  test_srtcp_aes_cm_32_matches_libsrtp_bit_for_bit },
	{ "srtcp_gcm128_matches_libsrtp_bit_for_bit", test_srtcp_gcm128_matches_libsrtp_bit_for_bit },
	{ "srtcp_gcm256_matches_libsrtp_bit_for_bit", test_srtcp_gcm256_matches_libsrtp_bit_for_bit },
	{ "srtcp_flipped_bit_anywhere_fails_auth_and_changes_no_state",
	  test_srtcp_flipped_bit_anywhere_fails_auth_and_changes_no_state },
	{ "srtcp_unencrypted_packet_with_a_valid_tag_is_refused",
	  test_srtcp_unencrypted_packet_with_a_valid_tag_is_refused },
	{ "srtcp_replay_of_an_exact_packet_is_rejected_without_state_change",
	  test_srtcp_replay_of_an_exact_packet_is_rejected_without_state_change },
	{ "srtcp_window_takes_reordering_once_and_refuses_128_below_top",
	  test_srtcp_window_takes_reordering_once_and_refuses_128_below_top },
	{ "srtcp_lengths_at_the_boundaries", test_srtcp_lengths_at_the_boundaries },
	{ "srtcp_protect_refuses_bad_index_room_and_length",
	  test_srtcp_protect_refuses_bad_index_room_and_length },
	{ "srtcp_ssrc_needs_the_8_byte_header", test_srtcp_ssrc_needs_the_8_byte_header },
	{ "srtcp_ctx_create_refuses_bad_suite_length_and_direction",
	  test_srtcp_ctx_create_refuses_bad_suite_length_and_direction },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "srtp_vectors", t_suite_init, NULL, vector_tests },
	{ "srtp_libsrtp_interop", t_suite_init, NULL, interop_tests },
	{ "srtp_replay_and_errors", t_suite_init, NULL, replay_tests },
	{ "srtcp", t_suite_init, NULL, srtcp_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	int rc;

	/* libsrtp2 is the oracle only */
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	rc = ut_run(suites);
	srtp_shutdown();
	return rc;
}
