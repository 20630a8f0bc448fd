/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTCP through libsrtp2 (see dp_srtcp.h). The only file that includes libsrtp2: its
 * status codes are mapped to enum dp_drop here and go no further.
 *
 * A leg's two libsrtp2 sessions are made on first use, each when the first packet of its
 * direction comes, on the leg's owner lcore: srtp_create() costs more than everything else
 * a leg install does together, and the control thread installs legs one after the other
 * while the owners make them in parallel, once per leg and direction. Until then the
 * master key waits in struct dp_srtcp; libsrtp2 copies it into its own state at
 * srtp_create(), and our copies are wiped right after (or when the leg goes).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <srtp2/cipher.h>

#include "dp_drop.h"
#include "dp_proto.h"
#include "dp_srtcp.h"

/* libsrtp2's AES-128 ICM cipher type; its description names the crypto backend. */
extern const srtp_cipher_type_t srtp_aes_icm_128;

#define SRTCP_MASTER_MAX 46           /* 32-byte key + 14-byte salt */
#define SRTCP_HDR_LEN 8               /* RTCP header and sender SSRC */
#define SRTCP_INDEX_LEN 4             /* E flag and SRTCP index */
#define SRTCP_REPLAY_WINDOW 128

struct dp_srtcp {
	srtp_t in;                    /* the leg's key, ssrc_any_inbound; NULL until used */
	srtp_t out;                   /* the relay's key for the leg, ssrc_any_outbound; ditto */
	uint8_t tag_len;              /* SRTCP tag: 10 (HMAC suites, both) or 16 (GCM) */
	uint8_t suite;
	uint8_t master_len;
	uint8_t key_in[SRTCP_MASTER_MAX];   /* master key || salt until `in` is made, then 0 */
	uint8_t key_out[SRTCP_MASTER_MAX];  /* the same for `out` */
};

int
dp_srtcp_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : -1;
}

void
dp_srtcp_shutdown(void)
{
	srtp_shutdown();
}

const char *
dp_srtcp_backend(void)
{
	return srtp_aes_icm_128.description;
}

const char *
dp_srtcp_version(void)
{
	return srtp_get_version_string();
}

/*
 * Fills the crypto part of a policy for suite and gives the master length (key || salt)
 * and the SRTCP tag length; -1 for a suite we do not have.
 *
 * These sessions never see RTP (dp_srtp.c does it), so for the AES-CM suites their RTP
 * part is the null cipher and null authentication: srtp_create() then derives and keys
 * only the SRTCP half, about a third less work per session. SRTCP is unchanged:
 * its keys come from the master key alone, and libsrtp2 picks the HMAC (not AEAD) path.
 * The GCM suites keep a GCM RTP part, because libsrtp2 chooses AEAD for SRTCP by the RTP
 * cipher and sizes the master key by it.
 */
static int
srtcp_policy(srtp_policy_t *p, uint8_t suite, size_t *master_len, uint8_t *tag_len)
{
	memset(p, 0, sizeof(*p));
	switch (suite) {
	case DP_SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_null_cipher_hmac_null(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		*master_len = SRTP_AES_ICM_128_KEY_LEN_WSALT;
		*tag_len = 10;
		break;
	case DP_SUITE_AES_CM_128_HMAC_SHA1_32:
		/* The 32-bit tag is for SRTP only; SRTCP keeps 80 bits (RFC 4568 6.2.1). */
		srtp_crypto_policy_set_null_cipher_hmac_null(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		*master_len = SRTP_AES_ICM_128_KEY_LEN_WSALT;
		*tag_len = 10;
		break;
	case DP_SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		*master_len = SRTP_AES_GCM_128_KEY_LEN_WSALT;
		*tag_len = 16;
		break;
	case DP_SUITE_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		*master_len = SRTP_AES_GCM_256_KEY_LEN_WSALT;
		*tag_len = 16;
		break;
	default:
		return -1;
	}
	p->window_size = SRTCP_REPLAY_WINDOW;
	p->allow_repeat_tx = 0;
	return 0;
}

/* One libsrtp2 session for the whole leg in one direction. NULL when libsrtp2 refuses. */
static srtp_t
srtcp_session(uint8_t suite, const uint8_t *master, size_t len, srtp_ssrc_type_t type)
{
	uint8_t key[SRTCP_MASTER_MAX];
	srtp_policy_t policy;
	size_t master_len;
	uint8_t tag_len;
	srtp_t session = NULL;
	srtp_err_status_t st;

	if (srtcp_policy(&policy, suite, &master_len, &tag_len) != 0 || master == NULL ||
	    len != master_len || len > sizeof(key))
		return NULL;
	memcpy(key, master, len);
	policy.ssrc.type = type;
	policy.key = key;
	st = srtp_create(&session, &policy);
	OPENSSL_cleanse(key, sizeof(key));
	return st == srtp_err_status_ok ? session : NULL;
}

struct dp_srtcp *
dp_srtcp_create(uint8_t suite, const uint8_t *key_in, size_t in_len, const uint8_t *key_out,
		size_t out_len)
{
	srtp_policy_t policy;
	struct dp_srtcp *s;
	size_t master_len;
	uint8_t tag_len;

	if (srtcp_policy(&policy, suite, &master_len, &tag_len) != 0 || key_in == NULL ||
	    key_out == NULL || in_len != master_len || out_len != master_len ||
	    master_len > SRTCP_MASTER_MAX)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->tag_len = tag_len;
	s->suite = suite;
	s->master_len = (uint8_t)master_len;
	memcpy(s->key_in, key_in, master_len);
	memcpy(s->key_out, key_out, master_len);
	return s;
}

/*
 * The session of one direction, made on its first use. NULL when libsrtp2 refuses (out of
 * memory): that packet is dropped, and the next one tries again.
 */
static srtp_t
srtcp_get(struct dp_srtcp *s, bool outbound)
{
	srtp_t *session = outbound ? &s->out : &s->in;
	uint8_t *key = outbound ? s->key_out : s->key_in;

	if (*session == NULL) {
		*session = srtcp_session(s->suite, key, s->master_len,
					 outbound ? ssrc_any_outbound : ssrc_any_inbound);
		if (*session != NULL)
			OPENSSL_cleanse(key, SRTCP_MASTER_MAX);
	}
	return *session;
}

void
dp_srtcp_free(struct dp_srtcp *s)
{
	if (s == NULL)
		return;
	if (s->in != NULL)
		srtp_dealloc(s->in);
	if (s->out != NULL)
		srtp_dealloc(s->out);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static int
srtcp_drop(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return DP_DROP_NONE;
	case srtp_err_status_auth_fail:
		return DP_DROP_SRTCP_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return DP_DROP_SRTCP_REPLAY;
	default:
		return DP_DROP_SRTCP_ERROR;
	}
}

int
dp_srtcp_unprotect(struct dp_srtcp *s, uint8_t *pkt, uint32_t *len)
{
	srtp_t session;
	int l;
	int rc;

	if (s == NULL || pkt == NULL || len == NULL)
		return DP_DROP_SRTCP_ERROR;
	/* Checked here too, so that no short packet reaches libsrtp2's parser. */
	if (*len < SRTCP_HDR_LEN + SRTCP_INDEX_LEN + (uint32_t)s->tag_len || *len > INT_MAX)
		return DP_DROP_SRTCP_SHORT;
	session = srtcp_get(s, false);
	if (session == NULL)
		return DP_DROP_SRTCP_ERROR;
	l = (int)*len;
	rc = srtcp_drop(srtp_unprotect_rtcp(session, pkt, &l));
	if (rc != DP_DROP_NONE)
		return rc;
	if (l < SRTCP_HDR_LEN || (uint32_t)l > *len)
		return DP_DROP_SRTCP_ERROR;
	*len = (uint32_t)l;
	return DP_DROP_NONE;
}

int
dp_srtcp_protect(struct dp_srtcp *s, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
	srtp_t session;
	int l;

	if (s == NULL || pkt == NULL || len == NULL)
		return DP_DROP_SRTCP_ERROR;
	/* libsrtp2 writes the trailer after the packet without knowing the room. */
	if (*len < SRTCP_HDR_LEN || (uint64_t)*len + DP_SRTCP_MAX_TRAILER > cap ||
	    *len > INT_MAX - DP_SRTCP_MAX_TRAILER)
		return DP_DROP_SRTCP_ERROR;
	session = srtcp_get(s, true);
	if (session == NULL)
		return DP_DROP_SRTCP_ERROR;
	l = (int)*len;
	if (srtp_protect_rtcp(session, pkt, &l) != srtp_err_status_ok)
		return DP_DROP_SRTCP_ERROR;
	if ((uint32_t)l < *len || (uint32_t)l > *len + DP_SRTCP_MAX_TRAILER)
		return DP_DROP_SRTCP_ERROR;
	*len = (uint32_t)l;
	return DP_DROP_NONE;
}
