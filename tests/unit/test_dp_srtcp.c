/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A leg's SRTCP (dataplane/dp_srtcp.c): one outbound index for the whole leg, counted in its
 * state slot; replay state per sender SSRC, taken only once a packet authenticates.
 */
#include <stdint.h>
#include <string.h>

#include "dp_be.h"
#include "dp_drop.h"
#include "dp_proto.h"
#include "dp_srtcp.h"
#include "dp_srtp.h"
#include "dp_state.h"
#include "ut.h"

#define SUITE DP_SUITE_AES_CM_128_HMAC_SHA1_80
#define TAG 10

static uint8_t key_leg[30], key_relay[30];

/* A receiver report of ssrc in buf (8 bytes); returns its length. */
static uint32_t
rr(uint8_t *buf, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = 201;
	dp_store_be16(buf + 2, 1);
	dp_store_be32(buf + 4, ssrc);
	return 8;
}

/* The SRTCP index of an AES-CM packet of len bytes. */
static uint32_t
index_of(const uint8_t *pkt, uint32_t len)
{
	return dp_load_be32(pkt + len - TAG - 4) & DP_SRTCP_INDEX_MAX;
}

/* A leg's SRTCP on a fresh slot of a state in memory. */
static struct dp_srtcp *
leg_make(struct dp_state **st, struct dp_leg_state **ls)
{
	uint8_t fp[DP_STATE_FP_LEN] = { 1 };
	struct dp_srtcp *s;
	char err[128];
	int restored;

	*st = dp_state_open(NULL, 4, 60, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(*st);
	*ls = dp_state_claim(*st, 1, fp, &restored);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*ls);
	s = dp_srtcp_leg_create(SUITE, key_leg, 30, key_relay, 30, *ls);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static void
test_outbound_index_is_one_counter_for_the_leg(void)
{
	struct dp_state *st;
	struct dp_leg_state *ls;
	struct dp_srtcp *s = leg_make(&st, &ls);
	uint8_t pkt[64];
	uint32_t len;

	/* given packets of three senders for the leg: indexes 1, 2, 3 whatever the SSRC */
	for (uint32_t i = 0; i < 3; i++) {
		len = rr(pkt, 0x100 + i % 2);
		CU_ASSERT_EQUAL_FATAL(dp_srtcp_leg_protect(s, pkt, &len, sizeof(pkt)), 0);
		CU_ASSERT_EQUAL(len, 8 + 4 + TAG);
		CU_ASSERT_EQUAL(index_of(pkt, len), i + 1);
	}
	CU_ASSERT_EQUAL(ls->rtcp_out_index, 3);
	/* when the counter stands at the last index, nothing more is sent */
	ls->rtcp_out_index = DP_SRTCP_INDEX_MAX - 1;
	len = rr(pkt, 0x100);
	CU_ASSERT_EQUAL(dp_srtcp_leg_protect(s, pkt, &len, sizeof(pkt)), 0);
	CU_ASSERT_EQUAL(index_of(pkt, len), DP_SRTCP_INDEX_MAX);
	len = rr(pkt, 0x100);
	CU_ASSERT_EQUAL(dp_srtcp_leg_protect(s, pkt, &len, sizeof(pkt)), DP_DROP_SRTCP_ERROR);
	CU_ASSERT_EQUAL(ls->rtcp_out_index, DP_SRTCP_INDEX_MAX);
	dp_srtcp_leg_free(s);
	dp_state_close(st);
}

static void
test_inbound_replay_state_only_for_authenticated_senders(void)
{
	struct dp_srtp_ctx *sender;
	struct dp_state *st;
	struct dp_leg_state *ls;
	struct dp_srtcp *s = leg_make(&st, &ls);
	uint8_t pkt[64], copy[64];
	uint32_t len, copy_len, signalled = 0x200;

	sender = dp_srtcp_ctx_create(SUITE, key_leg, 30, DP_SRTP_OUTBOUND);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sender);

	/* a forged packet of a new SSRC takes no replay entry */
	len = rr(pkt, 0x300);
	CU_ASSERT_EQUAL_FATAL(dp_srtcp_protect(sender, 5, pkt, &len, sizeof(pkt)), 0);
	pkt[len - 1] ^= 1;
	CU_ASSERT_EQUAL(dp_srtcp_leg_unprotect(s, &signalled, 1, pkt, &len), DP_DROP_SRTCP_AUTH);
	CU_ASSERT_EQUAL(ls->rtcp.n, 0);
	/* the genuine one does, once; its replay is refused */
	len = rr(pkt, 0x300);
	CU_ASSERT_EQUAL_FATAL(dp_srtcp_protect(sender, 5, pkt, &len, sizeof(pkt)), 0);
	memcpy(copy, pkt, len);
	copy_len = len;
	CU_ASSERT_EQUAL(dp_srtcp_leg_unprotect(s, &signalled, 1, pkt, &len), 0);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_EQUAL(ls->rtcp.n, 1);
	CU_ASSERT_EQUAL(ls->rtcp.ssrc[0], 0x300);
	CU_ASSERT_EQUAL(ls->rtcp.r[0].top, 5);
	CU_ASSERT_EQUAL(dp_srtcp_leg_unprotect(s, &signalled, 1, copy, &copy_len),
			DP_DROP_SRTCP_REPLAY);
	/* too short for a sender SSRC */
	len = 7;
	CU_ASSERT_EQUAL(dp_srtcp_leg_unprotect(s, &signalled, 1, pkt, &len), DP_DROP_SRTCP_SHORT);
	dp_srtp_ctx_free(sender);
	dp_srtcp_leg_free(s);
	dp_state_close(st);
}

static void
test_create_refuses_bad_suites_and_keys(void)
{
	struct dp_leg_state ls;

	memset(&ls, 0, sizeof(ls));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(DP_SUITE_NONE, key_leg, 30, key_relay, 30, &ls));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(DP_SUITE_MAX, key_leg, 30, key_relay, 30, &ls));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(SUITE, key_leg, 29, key_relay, 30, &ls));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(SUITE, key_leg, 30, key_relay, 31, &ls));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(SUITE, NULL, 30, key_relay, 30, &ls));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(SUITE, key_leg, 30, key_relay, 30, NULL));
	CU_ASSERT_PTR_NULL(dp_srtcp_leg_create(DP_SUITE_AEAD_AES_256_GCM, key_leg, 30, key_relay,
					       30, &ls));
}

static const struct ut_test tests[] = {
	{ "outbound index is one counter for the leg", test_outbound_index_is_one_counter_for_the_leg },
	{ "inbound replay state only for authenticated senders",
	  test_inbound_replay_state_only_for_authenticated_senders },
	{ "create refuses bad suites and keys", test_create_refuses_bad_suites_and_keys },
	{ NULL, NULL },
};

int
main(void)
{
	static const struct ut_suite suites[] = {
		{ "dp_srtcp", NULL, NULL, tests },
		{ NULL, NULL, NULL, NULL },
	};

	for (unsigned int i = 0; i < sizeof(key_leg); i++) {
		key_leg[i] = (uint8_t)(i * 7 + 1);
		key_relay[i] = (uint8_t)(i * 11 + 3);
	}
	return ut_run(suites);
}
