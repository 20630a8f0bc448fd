/* SPDX-License-Identifier: BSD-3-Clause */
/* A leg's SRTCP (see dp_srtcp.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dp_drop.h"
#include "dp_proto.h"
#include "dp_srtcp.h"
#include "dp_state.h"

#define SRTCP_MASTER_MAX 46           /* 32-byte key + 14-byte salt */

struct dp_srtcp {
	struct dp_srtp_ctx *in;       /* the leg's key; NULL until used */
	struct dp_srtp_ctx *out;      /* the relay's key for the leg; ditto */
	struct dp_leg_state *state;   /* replay per sender SSRC, the outbound index */
	uint8_t suite;
	uint8_t master_len;
	uint8_t key_in[SRTCP_MASTER_MAX];   /* master key || salt until `in` is made, then 0 */
	uint8_t key_out[SRTCP_MASTER_MAX];  /* the same for `out` */
};

struct dp_srtcp *
dp_srtcp_leg_create(uint8_t suite, const uint8_t *key_in, size_t in_len, const uint8_t *key_out,
		    size_t out_len, struct dp_leg_state *state)
{
	size_t master_len;
	struct dp_srtcp *s;

	if (suite >= DP_SUITE_MAX || key_in == NULL || key_out == NULL || state == NULL)
		return NULL;
	master_len = dp_suite_key_len(suite) + dp_suite_salt_len(suite);
	if (dp_suite_key_len(suite) == 0 || in_len != master_len || out_len != master_len ||
	    master_len > SRTCP_MASTER_MAX)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->suite = suite;
	s->master_len = (uint8_t)master_len;
	s->state = state;
	memcpy(s->key_in, key_in, master_len);
	memcpy(s->key_out, key_out, master_len);
	return s;
}

void
dp_srtcp_leg_free(struct dp_srtcp *s)
{
	if (s == NULL)
		return;
	dp_srtp_ctx_free(s->in);
	dp_srtp_ctx_free(s->out);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/*
 * The context of one direction, made on its first use. NULL when it cannot be made (out of
 * memory): that packet is dropped, and the next one tries again.
 */
static struct dp_srtp_ctx *
srtcp_ctx(struct dp_srtcp *s, enum dp_srtp_dir dir)
{
	struct dp_srtp_ctx **ctx = dir == DP_SRTP_OUTBOUND ? &s->out : &s->in;
	uint8_t *key = dir == DP_SRTP_OUTBOUND ? s->key_out : s->key_in;

	if (*ctx == NULL) {
		*ctx = dp_srtcp_ctx_create(s->suite, key, s->master_len, dir);
		if (*ctx != NULL)
			OPENSSL_cleanse(key, SRTCP_MASTER_MAX);
	}
	return *ctx;
}

int
dp_srtcp_leg_unprotect(struct dp_srtcp *s, const uint32_t *keep, unsigned int n_keep,
		       uint8_t *pkt, uint32_t *len)
{
	struct dp_srtp_replay fresh = { 0 };
	struct dp_srtp_replay *r;
	struct dp_srtp_ctx *ctx;
	int64_t ssrc;
	int rc;

	ssrc = dp_srtcp_ssrc(pkt, *len);
	if (ssrc < 0)
		return DP_DROP_SRTCP_SHORT;
	ctx = srtcp_ctx(s, DP_SRTP_INBOUND);
	if (ctx == NULL)
		return DP_DROP_SRTCP_ERROR;
	r = dp_replay_find(&s->state->rtcp, (uint32_t)ssrc);
	if (r != NULL)
		return dp_srtcp_unprotect(ctx, r, pkt, len);
	/* A new SSRC takes an entry only once a packet of it authenticates: forgeries cannot
	 * push out the state of SSRCs that did. */
	rc = dp_srtcp_unprotect(ctx, &fresh, pkt, len);
	if (rc != DP_DROP_NONE)
		return rc;
	r = dp_replay_get(&s->state->rtcp, (uint32_t)ssrc, keep, n_keep);
	if (r == NULL)
		return DP_DROP_SRTCP_ERROR;
	*r = fresh;
	return DP_DROP_NONE;
}

int
dp_srtcp_leg_protect(struct dp_srtcp *s, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
	struct dp_srtp_ctx *ctx = srtcp_ctx(s, DP_SRTP_OUTBOUND);
	uint32_t index = s->state->rtcp_out_index;

	if (ctx == NULL || index >= DP_SRTCP_INDEX_MAX)
		return DP_DROP_SRTCP_ERROR;
	/* Counted before use: an index is never sent twice, even if the process dies here. */
	s->state->rtcp_out_index = ++index;
	return dp_srtcp_protect(ctx, index, pkt, len, cap);
}
