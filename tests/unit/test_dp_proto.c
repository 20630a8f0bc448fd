/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the control socket codec: framing, builder, attribute iteration, typed
 * messages and endpoints. Truncated inputs live in buffers of their exact size so that
 * AddressSanitizer sees any read past them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"

#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BIG (64 * 1024)

static uint8_t big[BIG];

/* ---- helpers ---- */

/* A heap block of exactly len bytes (one byte for zero, that nothing may read). */
static uint8_t *
exact_alloc(size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);

	CU_ASSERT_FATAL(p != NULL);
	return p;
}

static uint8_t *
exact_copy(const uint8_t *buf, size_t len)
{
	uint8_t *p = exact_alloc(len);

	if (len > 0)
		memcpy(p, buf, len);
	return p;
}

static void
fill_key(uint8_t *k, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)(seed + i * 7);
}

/* The decoder's explanation, compared without crashing when there is none. */
static void
assert_why(const char *why, const char *want)
{
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_STRING_EQUAL(why != NULL ? why : "(null)", want);
}

/* A complete, valid leg add spec. */
static void
leg_spec_full(struct dp_leg_spec *s, uint8_t suite, unsigned int n_ssrcs, bool v6)
{
	size_t mlen = dp_suite_key_len(suite) + dp_suite_salt_len(suite);

	memset(s, 0, sizeof(*s));
	s->has = DP_LEG_HAS_ALL_REQUIRED | DP_LEG_HAS_REMOTE | DP_LEG_HAS_FLAGS;
	s->leg_id = 0xfffffffeu;
	s->conf_id = 77;
	s->flags = DP_LEG_F_SEND;
	s->suite = suite;
	s->media_port = 4000;
	s->key_in_len = (uint8_t)mlen;
	s->key_out_len = (uint8_t)mlen;
	fill_key(s->key_in, mlen, 1);
	fill_key(s->key_out, mlen, 100);
	s->n_ssrcs = (uint8_t)n_ssrcs;
	for (unsigned int i = 0; i < n_ssrcs; i++)
		s->ssrcs[i] = 0x10000000u * (i % 16) + i + (i == 0 ? 0 : 0xabcdu);
	CU_ASSERT_FATAL(dp_endpoint_parse(v6 ? "[2001:db8::1]:40000" : "198.18.0.1:4000",
					  &s->remote) == 0);
}

static int
encode_and_parse(const struct dp_leg_spec *s, uint16_t type, struct dp_msg *msg)
{
	int n = dp_proto_encode_leg(big, sizeof(big), type, 9, s);

	CU_ASSERT_FATAL(n > 0);
	return dp_msg_parse(big, (size_t)n, msg);
}

static int
decode_leg_text(const struct dp_leg_spec *s, uint16_t type, const char **why)
{
	struct dp_leg_spec out;
	struct dp_msg msg;

	*why = NULL;
	CU_ASSERT_FATAL(encode_and_parse(s, type, &msg) > 0);
	return dp_proto_decode_leg(&msg, &out, why);
}

static void
assert_specs_equal(const struct dp_leg_spec *a, const struct dp_leg_spec *b)
{
	CU_ASSERT_EQUAL(a->has, b->has);
	CU_ASSERT_EQUAL(a->leg_id, b->leg_id);
	CU_ASSERT_EQUAL(a->conf_id, b->conf_id);
	CU_ASSERT_EQUAL(a->flags, b->flags);
	CU_ASSERT_EQUAL(a->suite, b->suite);
	CU_ASSERT_EQUAL(a->media_port, b->media_port);
	CU_ASSERT_EQUAL(a->key_in_len, b->key_in_len);
	CU_ASSERT_EQUAL(a->key_out_len, b->key_out_len);
	CU_ASSERT(memcmp(a->key_in, b->key_in, a->key_in_len) == 0);
	CU_ASSERT(memcmp(a->key_out, b->key_out, a->key_out_len) == 0);
	CU_ASSERT_EQUAL(a->n_ssrcs, b->n_ssrcs);
	CU_ASSERT(memcmp(a->ssrcs, b->ssrcs, sizeof(a->ssrcs[0]) * a->n_ssrcs) == 0);
	if ((a->has & DP_LEG_HAS_REMOTE) != 0)
		CU_ASSERT(memcmp(&a->remote, &b->remote, sizeof(a->remote)) == 0);
}

/* Starts a leg message by hand: the header, then an open NEST_LEG. */
static void
leg_begin(struct dp_msg_builder *b, uint16_t type, uint32_t leg_id)
{
	dp_mb_init(b, big, sizeof(big), type, 1);
	dp_mb_nest_begin(b, DP_ATTR_NEST_LEG);
	if (leg_id != 0)
		dp_mb_put_u32(b, DP_ATTR_LEG_ID, leg_id);
}

/* Puts every required field of an AES_CM_128_HMAC_SHA1_80 leg add except the one in skip. */
static void
leg_put_required(struct dp_msg_builder *b, uint32_t skip)
{
	uint8_t key[30];

	fill_key(key, sizeof(key), 3);
	if (skip != DP_LEG_HAS_CONF)
		dp_mb_put_u32(b, DP_ATTR_CONF_ID, 5);
	if (skip != DP_LEG_HAS_SUITE)
		dp_mb_put_u8(b, DP_ATTR_SUITE, DP_SUITE_AES_CM_128_HMAC_SHA1_80);
	if (skip != DP_LEG_HAS_MEDIA_PORT)
		dp_mb_put_u16(b, DP_ATTR_MEDIA_PORT, 4000);
	if (skip != DP_LEG_HAS_KEY_IN)
		dp_mb_put(b, DP_ATTR_KEY_IN, key, sizeof(key));
	if (skip != DP_LEG_HAS_KEY_OUT)
		dp_mb_put(b, DP_ATTR_KEY_OUT, key, sizeof(key));
	if (skip != DP_LEG_HAS_SSRCS)
		dp_mb_put_u32(b, DP_ATTR_SSRC, 1234);
}

/* Ends the hand-built leg message and decodes it. */
static int
leg_finish_decode(struct dp_msg_builder *b, struct dp_leg_spec *out, const char **why)
{
	struct dp_msg msg;
	int n;

	dp_mb_nest_end(b);
	n = dp_mb_finish(b);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(dp_msg_parse(big, (size_t)n, &msg) == n);
	*why = NULL;
	return dp_proto_decode_leg(&msg, out, why);
}

static void
leg_info_sample(struct dp_leg_info *info, bool v6, bool latched)
{
	memset(info, 0, sizeof(*info));
	leg_spec_full(&info->spec, DP_SUITE_AEAD_AES_256_GCM, 3, v6);
	info->spec.has &= ~(uint32_t)(DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT);
	info->spec.flags = DP_LEG_F_ALL;
	info->owner_lcore = 3;
	info->latched = latched;
	if (latched)
		CU_ASSERT_FATAL(dp_endpoint_parse(v6 ? "[2001:db8::99]:5004" : "198.18.7.7:5004",
						  &info->latched_ep) == 0);
	info->counters.rx_packets = 1;
	info->counters.rx_bytes = 2;
	info->counters.tx_packets = 3;
	info->counters.tx_bytes = 4;
	info->counters.rtcp_rx = 5;
	info->counters.rtcp_tx = 6;
	info->counters.auth_fail = 7;
	info->counters.replay = 8;
	info->counters.relatch = UINT64_MAX;
}

static void
stats_group_sample(struct dp_stats_group *g, const char *name, uint32_t n)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->index = 2;
	g->link_up = true;
	g->n = n;                     /* may exceed the array, to test the limit */
	for (uint32_t i = 0; i < n && i < DP_STATS_MAX_COUNTERS; i++) {
		snprintf(g->c[i].name, sizeof(g->c[i].name), "counter_%u_with_a_long_name", i);
		g->c[i].value = (uint64_t)i * 0x100000001ull;
	}
}

static void
health_sample(struct dp_health *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->version, sizeof(h->version), "0.1.0");
	snprintf(h->srtp_backend, sizeof(h->srtp_backend), "libsrtp2 2.5.0 (OpenSSL)");
	h->uptime_s = 86400ull * 400;
	h->workers = 2;
	h->legs = 10000;
	h->conferences = 12;
	h->ports_up = 1;
	h->ports = 2;
}

/* Finds the first attribute of type in a body; 1 found, 0 not, <0 error. */
static int
find_attr(const uint8_t *body, size_t len, uint16_t type, struct dp_attr *out)
{
	struct dp_attr_iter it;
	int rc;

	dp_attr_iter_init(&it, body, len);
	while ((rc = dp_attr_next(&it, out)) > 0)
		if (out->type == type)
			return 1;
	return rc;
}

/* Finishes b (building in big), parses it and finds its one attribute of type in *a. */
static size_t
finish_find(struct dp_msg_builder *b, uint16_t type, struct dp_attr *a)
{
	struct dp_msg msg;
	int n = dp_mb_finish(b);

	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(dp_msg_parse(big, (size_t)n, &msg) == n);
	CU_ASSERT_FATAL(find_attr(msg.body, msg.len, type, a) == 1);
	return (size_t)n;
}

/* Message number i of a catalogue that covers every request and reply type; its length. */
#define CATALOGUE_LEN 15
static int
catalogue(unsigned int i, uint8_t *buf, size_t cap)
{
	struct dp_msg req = { .seq = 42 };
	struct dp_msg_builder b;
	struct dp_leg_spec spec;
	struct dp_leg_info info;
	struct dp_stats_group g;
	struct dp_health h;

	switch (i) {
	case 0:
		return dp_proto_encode_simple(buf, cap, DP_MSG_HEALTH, 1, 0, 0);
	case 1:
		leg_spec_full(&spec, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 16, true);
		return dp_proto_encode_leg(buf, cap, DP_MSG_LEG_ADD, 2, &spec);
	case 2:
		leg_spec_full(&spec, DP_SUITE_AEAD_AES_128_GCM, 1, false);
		spec.has = DP_LEG_HAS_REMOTE;
		return dp_proto_encode_leg(buf, cap, DP_MSG_LEG_UPDATE, 3, &spec);
	case 3:
		return dp_proto_encode_simple(buf, cap, DP_MSG_LEG_DEL, 4, DP_ATTR_LEG_ID, 9);
	case 4:
		return dp_proto_encode_simple(buf, cap, DP_MSG_CONF_DEL, 5, DP_ATTR_CONF_ID, 9);
	case 5:
		dp_mb_init(&b, buf, cap, DP_MSG_LEG_LIST, 6);
		dp_mb_put_u32(&b, DP_ATTR_CONF_ID, 3);
		dp_mb_put_u32(&b, DP_ATTR_CURSOR, 100);
		return dp_mb_finish(&b);
	case 6:
		return dp_proto_encode_simple(buf, cap, DP_MSG_LEG_GET, 7, DP_ATTR_LEG_ID, 9);
	case 7:
		return dp_proto_encode_simple(buf, cap, DP_MSG_STATS, 8, 0, 0);
	case 8:
		req.type = DP_MSG_HEALTH;
		health_sample(&h);
		dp_proto_reply_begin(&b, buf, cap, &req, DP_OK, NULL);
		dp_proto_put_health(&b, &h);
		return dp_mb_finish(&b);
	case 9:
		req.type = DP_MSG_LEG_ADD;
		dp_proto_reply_begin(&b, buf, cap, &req, DP_ERR_SSRC_IN_USE,
				     "SSRC 1234 is sent by leg 7");
		return dp_mb_finish(&b);
	case 10:
		req.type = DP_MSG_CONF_DEL;
		dp_proto_reply_begin(&b, buf, cap, &req, DP_OK, NULL);
		dp_mb_put_u32(&b, DP_ATTR_COUNT, 12);
		return dp_mb_finish(&b);
	case 11:
		req.type = DP_MSG_LEG_LIST;
		dp_proto_reply_begin(&b, buf, cap, &req, DP_OK, NULL);
		leg_info_sample(&info, false, true);
		dp_proto_put_leg_info(&b, &info);
		leg_info_sample(&info, true, false);
		dp_proto_put_leg_info(&b, &info);
		dp_mb_put_u32(&b, DP_ATTR_CURSOR, 0xfffffffeu);
		return dp_mb_finish(&b);
	case 12:
		req.type = DP_MSG_LEG_GET;
		dp_proto_reply_begin(&b, buf, cap, &req, DP_OK, NULL);
		leg_info_sample(&info, true, true);
		dp_proto_put_leg_info(&b, &info);
		return dp_mb_finish(&b);
	case 13:
		req.type = DP_MSG_STATS;
		dp_proto_reply_begin(&b, buf, cap, &req, DP_OK, NULL);
		stats_group_sample(&g, "lan0", 8);
		dp_proto_put_stats_group(&b, DP_ATTR_NEST_STATS_PORT, &g);
		stats_group_sample(&g, "lcore 1", 5);
		dp_proto_put_stats_group(&b, DP_ATTR_NEST_STATS_LCORE, &g);
		stats_group_sample(&g, "drops", 64);
		dp_proto_put_stats_group(&b, DP_ATTR_NEST_STATS_DROP, &g);
		return dp_mb_finish(&b);
	case 14:
		req.type = DP_MSG_LEG_DEL;
		dp_proto_reply_begin(&b, buf, cap, &req, DP_ERR_NOT_FOUND, "no such leg");
		return dp_mb_finish(&b);
	default:
		return -1;
	}
}

/*
 * Walks an attribute area to the end, and with nests every nest in it (types >= 64).
 * Returns the number of attributes met at the top level, or the first error.
 */
static int
walk(const uint8_t *buf, size_t len, bool nests)
{
	struct dp_attr_iter it;
	struct dp_attr a;
	int rc, n = 0;

	dp_attr_iter_init(&it, buf, len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (nests && a.type >= 64) {
			int sub = walk(a.val, a.len, true);

			if (sub < 0)
				return sub;
		}
		n++;
	}
	return rc < 0 ? rc : n;
}

/* ---- framing ---- */

static void
test_parse_whole_message_fills_fields(void)
{
	struct dp_msg msg;
	int n = dp_proto_encode_simple(big, sizeof(big), DP_MSG_LEG_GET, 0xdeadbeef,
				       DP_ATTR_LEG_ID, 7);

	CU_ASSERT_EQUAL(n, DP_MSG_HDR_LEN + 8);
	CU_ASSERT_EQUAL(dp_msg_parse(big, (size_t)n, &msg), n);
	CU_ASSERT_EQUAL(msg.type, DP_MSG_LEG_GET);
	CU_ASSERT_EQUAL(msg.seq, 0xdeadbeef);
	CU_ASSERT_EQUAL(msg.len, 8);
	CU_ASSERT_PTR_EQUAL(msg.body, big + DP_MSG_HDR_LEN);
	/* the wire layout of the header comment, byte for byte */
	static const uint8_t want[] = {
		'S', 'L', 'D', 'P', 0, 1, 0, 7, 0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef,
		0, DP_ATTR_LEG_ID, 0, 4, 0, 0, 0, 7,
	};
	CU_ASSERT(memcmp(big, want, sizeof(want)) == 0);
}

static void
test_parse_every_truncation_is_eagain(void)
{
	static uint8_t full[BIG];

	for (unsigned int i = 0; i < CATALOGUE_LEN; i++) {
		struct dp_msg msg;
		int n = catalogue(i, full, sizeof(full));

		CU_ASSERT_FATAL(n >= DP_MSG_HDR_LEN);
		for (int t = 0; t < n; t++) {
			uint8_t *p = exact_copy(full, (size_t)t);

			CU_ASSERT_EQUAL(dp_msg_parse(p, (size_t)t, &msg), -EAGAIN);
			free(p);
		}
		uint8_t *p = exact_copy(full, (size_t)n);

		CU_ASSERT_EQUAL(dp_msg_parse(p, (size_t)n, &msg), n);
		CU_ASSERT_EQUAL(walk(msg.body, msg.len, true) > 0, i != 0 && i != 7);
		free(p);
	}
}

static void
test_parse_two_messages_returns_first_length(void)
{
	struct dp_msg msg;
	int n1 = dp_proto_encode_simple(big, sizeof(big), DP_MSG_HEALTH, 1, 0, 0);
	int n2 = dp_proto_encode_simple(big + n1, sizeof(big) - (size_t)n1, DP_MSG_LEG_DEL, 2,
					DP_ATTR_LEG_ID, 3);

	CU_ASSERT_EQUAL(dp_msg_parse(big, (size_t)(n1 + n2), &msg), n1);
	CU_ASSERT_EQUAL(msg.type, DP_MSG_HEALTH);
	CU_ASSERT_EQUAL(dp_msg_parse(big + n1, (size_t)n2, &msg), n2);
	CU_ASSERT_EQUAL(msg.seq, 2);
}

static void
test_parse_bad_magic_is_eproto(void)
{
	struct dp_msg msg;
	int n = dp_proto_encode_simple(big, sizeof(big), DP_MSG_HEALTH, 1, 0, 0);

	for (int byte = 0; byte < 4; byte++) {
		uint8_t *p = exact_copy(big, (size_t)n);

		p[byte] ^= 0x20;
		CU_ASSERT_EQUAL(dp_msg_parse(p, (size_t)n, &msg), -EPROTO);
		free(p);
	}
}

static void
test_parse_wrong_version_is_eprotonosupport(void)
{
	static const uint16_t versions[] = { 0, 2, 0x0100, 0xffff };
	struct dp_msg msg;
	int n = dp_proto_encode_simple(big, sizeof(big), DP_MSG_HEALTH, 1, 0, 0);

	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		big[4] = (uint8_t)(versions[i] >> 8);
		big[5] = (uint8_t)versions[i];
		CU_ASSERT_EQUAL(dp_msg_parse(big, (size_t)n, &msg), -EPROTONOSUPPORT);
	}
}

static void
set_len(uint8_t *hdr, uint32_t len)
{
	hdr[8] = (uint8_t)(len >> 24);
	hdr[9] = (uint8_t)(len >> 16);
	hdr[10] = (uint8_t)(len >> 8);
	hdr[11] = (uint8_t)len;
}

static void
test_parse_oversize_is_emsgsize_from_header_alone(void)
{
	struct dp_msg msg;
	uint8_t *p;

	CU_ASSERT_EQUAL_FATAL(dp_proto_encode_simple(big, sizeof(big), DP_MSG_STATS, 1, 0, 0),
			      DP_MSG_HDR_LEN);
	p = exact_copy(big, DP_MSG_HDR_LEN);
	set_len(p, DP_MSG_MAX - DP_MSG_HDR_LEN + 1);
	CU_ASSERT_EQUAL(dp_msg_parse(p, DP_MSG_HDR_LEN, &msg), -EMSGSIZE);
	set_len(p, UINT32_MAX);
	CU_ASSERT_EQUAL(dp_msg_parse(p, DP_MSG_HDR_LEN, &msg), -EMSGSIZE);
	/* exactly DP_MSG_MAX is allowed: wait for the body */
	set_len(p, DP_MSG_MAX - DP_MSG_HDR_LEN);
	CU_ASSERT_EQUAL(dp_msg_parse(p, DP_MSG_HDR_LEN, &msg), -EAGAIN);
	free(p);
}

/* ---- builder ---- */

static void
test_builder_pads_with_zeros_and_counts_value_only(void)
{
	struct dp_msg_builder b;
	uint8_t *p = exact_alloc(64);

	memset(p, 0xa5, 64);
	dp_mb_init(&b, p, 64, DP_MSG_HEALTH, 1);
	dp_mb_put(&b, 100, "a", 1);
	dp_mb_put(&b, 101, "bcd", 3);
	dp_mb_put(&b, 102, "efghi", 5);
	dp_mb_put(&b, 103, NULL, 0);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), 16 + 8 + 8 + 12 + 4);
	static const uint8_t want[] = {
		0, 100, 0, 1, 'a', 0, 0, 0,
		0, 101, 0, 3, 'b', 'c', 'd', 0,
		0, 102, 0, 5, 'e', 'f', 'g', 'h', 'i', 0, 0, 0,
		0, 103, 0, 0,
	};
	CU_ASSERT(memcmp(p + 16, want, sizeof(want)) == 0);
	CU_ASSERT_EQUAL(p[11], sizeof(want));
	CU_ASSERT_EQUAL(p[16 + sizeof(want)], 0xa5);
	free(p);
}

/* The largest message of the catalogue, built at every capacity below its length. */
static void
test_builder_every_short_capacity_is_enospc_and_stays_inside(void)
{
	static uint8_t ref[BIG], guard[BIG];

	for (unsigned int m = 0; m < CATALOGUE_LEN; m++) {
		int n = catalogue(m, ref, sizeof(ref));

		CU_ASSERT_FATAL(n > 0);
		for (size_t cap = 0; cap <= (size_t)n; cap++) {
			uint8_t *p = exact_alloc(cap);
			int rc = catalogue(m, cap > 0 ? p : NULL, cap);

			CU_ASSERT_EQUAL(rc, cap < (size_t)n ? -ENOSPC : n);
			free(p);
			/* and nothing lands at or past cap in a larger buffer */
			memset(guard, 0xa5, (size_t)n + 64);
			rc = catalogue(m, guard, cap);
			CU_ASSERT_EQUAL(rc, cap < (size_t)n ? -ENOSPC : n);
			for (size_t i = cap; i < (size_t)n + 64; i++)
				if (guard[i] != 0xa5) {
					CU_FAIL("builder wrote past cap");
					break;
				}
		}
		CU_ASSERT(memcmp(guard, ref, (size_t)n) == 0);
	}
}

static void
test_builder_value_over_65535_is_einval(void)
{
	static uint8_t val[65536];
	static uint8_t buf[70000];
	struct dp_msg_builder b;

	dp_mb_init(&b, buf, sizeof(buf), DP_MSG_HEALTH, 1);
	dp_mb_put(&b, 100, val, 65535);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), 16 + 4 + 65536);
	dp_mb_init(&b, buf, sizeof(buf), DP_MSG_HEALTH, 1);
	dp_mb_put(&b, 100, val, 65536);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -EINVAL);
}

static void
test_builder_nests_four_deep_not_five(void)
{
	struct dp_msg_builder b;
	struct dp_attr a;
	int n;

	dp_mb_init(&b, big, sizeof(big), DP_MSG_HEALTH, 1);
	for (int i = 0; i < 4; i++)
		dp_mb_nest_begin(&b, (uint16_t)(64 + i));
	dp_mb_put_u8(&b, 100, 1);
	for (int i = 0; i < 4; i++)
		dp_mb_nest_end(&b);
	n = dp_mb_finish(&b);
	CU_ASSERT_EQUAL(n, 16 + 4 * 4 + 8);
	CU_ASSERT_EQUAL(find_attr(big + 16, (size_t)n - 16, 64, &a), 1);
	CU_ASSERT_EQUAL(a.len, 3 * 4 + 8);

	dp_mb_init(&b, big, sizeof(big), DP_MSG_HEALTH, 1);
	for (int i = 0; i < 5; i++)
		dp_mb_nest_begin(&b, (uint16_t)(64 + i));
	CU_ASSERT_EQUAL(b.err, -EINVAL);
	for (int i = 0; i < 5; i++)
		dp_mb_nest_end(&b);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -EINVAL);
}

static void
test_builder_unbalanced_nest_is_einval(void)
{
	struct dp_msg_builder b;

	dp_mb_init(&b, big, sizeof(big), DP_MSG_HEALTH, 1);
	dp_mb_nest_end(&b);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -EINVAL);
	dp_mb_init(&b, big, sizeof(big), DP_MSG_HEALTH, 1);
	dp_mb_nest_begin(&b, DP_ATTR_NEST_LEG);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -EINVAL);
}

static void
test_builder_first_error_sticks(void)
{
	static uint8_t val[65536];
	struct dp_msg_builder b;

	dp_mb_init(&b, big, 24, DP_MSG_HEALTH, 1);
	dp_mb_put_u64(&b, 100, 1);
	CU_ASSERT_EQUAL(b.err, -ENOSPC);
	dp_mb_put(&b, 100, val, sizeof(val));
	dp_mb_put_u8(&b, 101, 1);
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -ENOSPC);
	CU_ASSERT_EQUAL(b.len, 16);

	dp_mb_init(&b, big, sizeof(big), DP_MSG_HEALTH, 1);
	dp_mb_put(&b, 100, val, sizeof(val));
	dp_mb_put(&b, 100, val, sizeof(big));
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -EINVAL);
}

static void
test_builder_never_exceeds_msg_max(void)
{
	static uint8_t val[65535];
	struct dp_msg_builder b;
	struct dp_msg msg;
	uint8_t *buf = malloc(2 * DP_MSG_MAX);
	int n = 0;

	CU_ASSERT_FATAL(buf != NULL);
	dp_mb_init(&b, buf, 2 * DP_MSG_MAX, DP_MSG_STATS, 1);
	for (int i = 0; i < 15; i++)
		dp_mb_put(&b, 100, val, sizeof(val));
	n = dp_mb_finish(&b);
	CU_ASSERT_EQUAL(n, 16 + 15 * 65540);
	CU_ASSERT_EQUAL(dp_msg_parse(buf, (size_t)n, &msg), n);
	dp_mb_put(&b, 100, val, sizeof(val));
	CU_ASSERT_EQUAL(dp_mb_finish(&b), -ENOSPC);
	free(buf);
}

static void
test_encode_simple_without_attribute_is_header_only(void)
{
	struct dp_msg msg;

	CU_ASSERT_EQUAL(dp_proto_encode_simple(big, sizeof(big), DP_MSG_STATS, 5, 0, 99), 16);
	CU_ASSERT_EQUAL(dp_msg_parse(big, 16, &msg), 16);
	CU_ASSERT_EQUAL(msg.len, 0);
	CU_ASSERT_EQUAL(dp_proto_encode_simple(big, 15, DP_MSG_STATS, 5, 0, 0), -ENOSPC);
}

/* ---- attribute iteration ---- */

/* Offsets where each top-level attribute starts and where its value ends. */
struct layout {
	size_t n;
	size_t start[512];
	size_t value_end[512];
	size_t end;
};

static void
layout_of(const uint8_t *buf, size_t len, struct layout *l)
{
	struct dp_attr_iter it;
	struct dp_attr a;

	memset(l, 0, sizeof(*l));
	dp_attr_iter_init(&it, buf, len);
	while (dp_attr_next(&it, &a) > 0) {
		CU_ASSERT_FATAL(l->n < ARRAY_LEN(l->start));
		l->start[l->n] = (size_t)(a.val - buf) - DP_ATTR_HDR_LEN;
		l->value_end[l->n] = (size_t)(a.val - buf) + a.len;
		l->n++;
	}
	l->end = len;
}

/* What iterating the first t bytes must give: count of attributes, or -EPROTO. */
static int
expected_walk(const struct layout *l, size_t t)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t next = i + 1 < l->n ? l->start[i + 1] : l->end;

		if (t == l->start[i])
			return (int)i;
		if (t > l->start[i] && t < l->value_end[i])
			return -EPROTO;
		if (t >= l->value_end[i] && t <= next && (t < next || i + 1 == l->n))
			return (int)i + 1;
	}
	return (int)l->n;
}

static void
test_iter_truncation_inside_an_attribute_is_eproto(void)
{
	static uint8_t full[BIG];
	struct layout l;

	for (unsigned int m = 0; m < CATALOGUE_LEN; m++) {
		int n = catalogue(m, full, sizeof(full));
		const uint8_t *body = full + DP_MSG_HDR_LEN;
		size_t len = (size_t)n - DP_MSG_HDR_LEN;

		layout_of(body, len, &l);
		for (size_t t = 0; t <= len; t++) {
			uint8_t *p = exact_copy(body, t);
			int want = expected_walk(&l, t);

			CU_ASSERT_EQUAL(walk(p, t, false), want);
			/* inside a nest too: cut a nest's own value */
			free(p);
		}
		/* every nest's value, cut anywhere inside an attribute */
		for (size_t i = 0; i < l.n; i++) {
			struct layout nl;
			const uint8_t *v = body + l.start[i] + DP_ATTR_HDR_LEN;
			size_t vlen = l.value_end[i] - l.start[i] - DP_ATTR_HDR_LEN;

			if (((body[l.start[i]] << 8) | body[l.start[i] + 1]) < 64)
				continue;
			layout_of(v, vlen, &nl);
			for (size_t t = 0; t <= vlen; t++) {
				uint8_t *p = exact_copy(v, t);

				CU_ASSERT_EQUAL(walk(p, t, false), expected_walk(&nl, t));
				free(p);
			}
		}
	}
}

static void
test_iter_missing_padding_only_tolerated_at_end(void)
{
	/* one-byte value without its padding, at the end: accepted */
	static const uint8_t at_end[] = { 0, 100, 0, 1, 0xaa };
	/* the same followed by another attribute: the next header is eaten as padding */
	static const uint8_t in_middle[] = { 0, 100, 0, 1, 0xaa, 0, 101, 0, 0 };
	/* header shorter than four bytes */
	static const uint8_t short_hdr[] = { 0, 100, 0 };
	/* value longer than what is left */
	static const uint8_t overrun[] = { 0, 100, 0, 5, 1, 2, 3, 4 };
	uint8_t *p;

	p = exact_copy(at_end, sizeof(at_end));
	CU_ASSERT_EQUAL(walk(p, sizeof(at_end), false), 1);
	free(p);
	p = exact_copy(in_middle, sizeof(in_middle));
	CU_ASSERT_EQUAL(walk(p, sizeof(in_middle), false), -EPROTO);
	free(p);
	p = exact_copy(short_hdr, sizeof(short_hdr));
	CU_ASSERT_EQUAL(walk(p, sizeof(short_hdr), false), -EPROTO);
	free(p);
	p = exact_copy(overrun, sizeof(overrun));
	CU_ASSERT_EQUAL(walk(p, sizeof(overrun), false), -EPROTO);
	free(p);
	CU_ASSERT_EQUAL(walk(NULL, 0, false), 0);
}

static void
test_typed_readers_reject_wrong_lengths(void)
{
	static const uint8_t v[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				       0x12, 0x34 };
	struct dp_endpoint ep;
	struct dp_attr a = { .type = 100, .val = v };
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	for (uint16_t len = 0; len <= 20; len++) {
		a.len = len;
		CU_ASSERT_EQUAL(dp_attr_u8(&a, &u8), len == 1 ? 0 : -EPROTO);
		CU_ASSERT_EQUAL(dp_attr_u16(&a, &u16), len == 2 ? 0 : -EPROTO);
		CU_ASSERT_EQUAL(dp_attr_u32(&a, &u32), len == 4 ? 0 : -EPROTO);
		CU_ASSERT_EQUAL(dp_attr_u64(&a, &u64), len == 8 ? 0 : -EPROTO);
		CU_ASSERT_EQUAL(dp_attr_endpoint(&a, &ep), len == 18 ? 0 : -EPROTO);
	}
	CU_ASSERT_EQUAL(u8, 1);
	CU_ASSERT_EQUAL(u16, 0x0102);
	CU_ASSERT_EQUAL(u32, 0x01020304u);
	CU_ASSERT_EQUAL(u64, 0x0102030405060708ull);
	CU_ASSERT_EQUAL(ep.port, 0x1234);
	CU_ASSERT_EQUAL(ep.ip[15], 16);
}

static void
test_attr_str_truncates_and_refuses_nul(void)
{
	struct dp_attr a = { .type = DP_ATTR_NAME, .len = 5, .val = (const uint8_t *)"hello" };
	struct dp_attr nul = { .type = DP_ATTR_NAME, .len = 3, .val = (const uint8_t *)"a\0b" };
	char buf[4];

	CU_ASSERT_EQUAL(dp_attr_str(&a, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "hel");
	CU_ASSERT_EQUAL(dp_attr_str(&a, buf, 0), -EINVAL);
	CU_ASSERT_EQUAL(dp_attr_str(&nul, buf, sizeof(buf)), -EPROTO);
	a.len = 0;
	CU_ASSERT_EQUAL(dp_attr_str(&a, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

/* ---- leg spec ---- */

static void
test_leg_add_round_trips_every_suite_v4_v6_1_and_16_ssrcs(void)
{
	for (uint8_t suite = 1; suite < DP_SUITE_MAX; suite++) {
		for (int v6 = 0; v6 <= 1; v6++) {
			for (unsigned int n = 1; n <= 16; n += 15) {
				struct dp_leg_spec in, out;
				struct dp_msg msg;
				const char *why = "unset";

				leg_spec_full(&in, suite, n, v6 != 0);
				CU_ASSERT_FATAL(encode_and_parse(&in, DP_MSG_LEG_ADD, &msg) > 0);
				CU_ASSERT_EQUAL(dp_proto_decode_leg(&msg, &out, &why), 0);
				assert_why(why, "unset");
				assert_specs_equal(&in, &out);
				CU_ASSERT_EQUAL(dp_endpoint_is_v4(&out.remote), v6 == 0);
			}
		}
	}
}

static void
test_leg_add_without_flags_is_sendrecv(void)
{
	struct dp_leg_spec in, out;
	struct dp_msg msg;

	leg_spec_full(&in, DP_SUITE_AES_CM_128_HMAC_SHA1_32, 2, false);
	in.has &= ~(uint32_t)(DP_LEG_HAS_FLAGS | DP_LEG_HAS_REMOTE);
	CU_ASSERT_FATAL(encode_and_parse(&in, DP_MSG_LEG_ADD, &msg) > 0);
	CU_ASSERT_EQUAL(dp_proto_decode_leg(&msg, &out, NULL), 0);
	CU_ASSERT_EQUAL(out.flags, DP_LEG_F_ALL);
	CU_ASSERT_EQUAL(out.has, DP_LEG_HAS_ALL_REQUIRED);
}

static void
test_leg_update_round_trips_only_present_fields(void)
{
	static const uint32_t subsets[] = {
		DP_LEG_HAS_REMOTE,
		DP_LEG_HAS_SSRCS,
		DP_LEG_HAS_FLAGS,
		DP_LEG_HAS_CONF,
		DP_LEG_HAS_MEDIA_PORT,
		DP_LEG_HAS_KEY_IN,
		DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT,
		DP_LEG_HAS_SUITE | DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT,
	};

	for (size_t i = 0; i < ARRAY_LEN(subsets); i++) {
		struct dp_leg_spec in, out;
		struct dp_msg msg;

		leg_spec_full(&in, DP_SUITE_AEAD_AES_128_GCM, 4, true);
		in.has = subsets[i];
		CU_ASSERT_FATAL(encode_and_parse(&in, DP_MSG_LEG_UPDATE, &msg) > 0);
		CU_ASSERT_EQUAL(dp_proto_decode_leg(&msg, &out, NULL), 0);
		CU_ASSERT_EQUAL(out.has, subsets[i]);
		CU_ASSERT_EQUAL(out.leg_id, in.leg_id);
		CU_ASSERT_EQUAL(out.flags, (in.has & DP_LEG_HAS_FLAGS) != 0 ? in.flags : 0);
		CU_ASSERT_EQUAL(out.n_ssrcs, (in.has & DP_LEG_HAS_SSRCS) != 0 ? 4 : 0);
		CU_ASSERT_EQUAL(out.key_in_len, (in.has & DP_LEG_HAS_KEY_IN) != 0 ? 28 : 0);
	}
}

static void
test_leg_add_missing_field_names_it(void)
{
	static const struct {
		uint32_t skip;
		const char *text;
	} cases[] = {
		{ DP_LEG_HAS_CONF, "conf_id missing" },
		{ DP_LEG_HAS_SUITE, "suite missing" },
		{ DP_LEG_HAS_MEDIA_PORT, "media_port missing" },
		{ DP_LEG_HAS_KEY_IN, "key_in missing" },
		{ DP_LEG_HAS_KEY_OUT, "key_out missing" },
		{ DP_LEG_HAS_SSRCS, "ssrc missing" },
	};
	struct dp_msg_builder b;
	struct dp_leg_spec out;
	const char *why;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		leg_begin(&b, DP_MSG_LEG_ADD, 9);
		leg_put_required(&b, cases[i].skip);
		CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EINVAL);
		assert_why(why, cases[i].text);
	}
	/* no leg id */
	leg_begin(&b, DP_MSG_LEG_ADD, 0);
	leg_put_required(&b, 0);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EINVAL);
	assert_why(why, "leg_id missing");
	/* all there */
	leg_begin(&b, DP_MSG_LEG_ADD, 9);
	leg_put_required(&b, 0);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), 0);
	/* no leg nest at all */
	CU_ASSERT_EQUAL(dp_proto_encode_simple(big, sizeof(big), DP_MSG_LEG_ADD, 1,
					       DP_ATTR_LEG_ID, 9), 24);
	{
		struct dp_msg msg;

		CU_ASSERT_EQUAL(dp_msg_parse(big, 24, &msg), 24);
		CU_ASSERT_EQUAL(dp_proto_decode_leg(&msg, &out, &why), -EINVAL);
		assert_why(why, "leg missing");
	}
}

static void
test_leg_zero_ids_and_ports_are_invalid(void)
{
	struct dp_leg_spec s;
	const char *why;

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.leg_id = 0;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
	assert_why(why, "leg_id is zero");

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.conf_id = 0;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
	assert_why(why, "conf_id is zero");

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.media_port = 0;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
	assert_why(why, "media_port is zero");

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, true);
	s.remote.port = 0;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_UPDATE, &why), -EINVAL);
	assert_why(why, "remote port is zero");

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	CU_ASSERT_FATAL(dp_endpoint_parse("0.0.0.0:9", &s.remote) == 0);
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
	assert_why(why, "remote address is unspecified");
	CU_ASSERT_FATAL(dp_endpoint_parse("[::]:9", &s.remote) == 0);
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
	assert_why(why, "remote address is unspecified");
}

static void
test_leg_key_length_must_match_suite(void)
{
	static const uint8_t lens[] = { 1, 16, 27, 28, 29, 30, 31, 44, 45, 46 };

	for (uint8_t suite = 1; suite < DP_SUITE_MAX; suite++) {
		size_t want = dp_suite_key_len(suite) + dp_suite_salt_len(suite);

		for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
			struct dp_leg_spec s;
			const char *why;
			int rc;

			leg_spec_full(&s, suite, 1, false);
			s.key_in_len = lens[i];
			rc = decode_leg_text(&s, DP_MSG_LEG_ADD, &why);
			CU_ASSERT_EQUAL(rc, lens[i] == want ? 0 : -EINVAL);
			if (lens[i] != want)
				assert_why(why, "key_in length does not match suite");

			leg_spec_full(&s, suite, 1, false);
			s.key_out_len = lens[i];
			rc = decode_leg_text(&s, DP_MSG_LEG_ADD, &why);
			CU_ASSERT_EQUAL(rc, lens[i] == want ? 0 : -EINVAL);
			if (lens[i] != want)
				assert_why(why, "key_out length does not match suite");
		}
	}
}

static void
test_leg_update_key_without_suite_must_fit_some_suite(void)
{
	static const struct {
		uint8_t len;
		int rc;
	} cases[] = { { 28, 0 }, { 30, 0 }, { 44, 0 }, { 29, -EINVAL }, { 46, -EINVAL } };

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct dp_leg_spec s;
		const char *why;

		leg_spec_full(&s, DP_SUITE_AEAD_AES_256_GCM, 1, false);
		s.has = DP_LEG_HAS_KEY_IN;
		s.key_in_len = cases[i].len;
		CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_UPDATE, &why), cases[i].rc);
		if (cases[i].rc != 0)
			assert_why(why, "key_in length matches no suite");
	}
}

static void
test_leg_update_suite_needs_both_keys(void)
{
	struct dp_leg_spec s;
	const char *why;

	leg_spec_full(&s, DP_SUITE_AEAD_AES_128_GCM, 1, false);
	s.has = DP_LEG_HAS_SUITE | DP_LEG_HAS_KEY_IN;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_UPDATE, &why), -EINVAL);
	assert_why(why, "suite change needs key_in and key_out");
	s.has = DP_LEG_HAS_SUITE;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_UPDATE, &why), -EINVAL);
	s.has = 0;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_UPDATE, &why), -EINVAL);
	assert_why(why, "nothing to update");
}

static void
test_leg_ssrcs_16_at_most_and_no_duplicate(void)
{
	struct dp_msg_builder b;
	struct dp_leg_spec out;
	const char *why;

	leg_begin(&b, DP_MSG_LEG_ADD, 9);
	leg_put_required(&b, DP_LEG_HAS_SSRCS);
	for (uint32_t i = 0; i < 17; i++)
		dp_mb_put_u32(&b, DP_ATTR_SSRC, i);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EINVAL);
	assert_why(why, "more than 16 SSRCs");

	leg_begin(&b, DP_MSG_LEG_ADD, 9);
	leg_put_required(&b, DP_LEG_HAS_SSRCS);
	for (uint32_t i = 0; i < 16; i++)
		dp_mb_put_u32(&b, DP_ATTR_SSRC, i);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), 0);
	CU_ASSERT_EQUAL(out.n_ssrcs, 16);
	CU_ASSERT_EQUAL(out.ssrcs[15], 15);

	leg_begin(&b, DP_MSG_LEG_ADD, 9);
	leg_put_required(&b, DP_LEG_HAS_SSRCS);
	dp_mb_put_u32(&b, DP_ATTR_SSRC, 0xcafe);
	dp_mb_put_u32(&b, DP_ATTR_SSRC, 1);
	dp_mb_put_u32(&b, DP_ATTR_SSRC, 0xcafe);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EINVAL);
	assert_why(why, "SSRC listed twice");
}

static void
test_leg_duplicate_single_attribute_is_einval(void)
{
	static const uint16_t types[] = {
		DP_ATTR_LEG_ID, DP_ATTR_CONF_ID, DP_ATTR_SUITE, DP_ATTR_MEDIA_PORT,
		DP_ATTR_KEY_IN, DP_ATTR_KEY_OUT, DP_ATTR_REMOTE, DP_ATTR_FLAGS,
	};
	struct dp_endpoint ep;
	struct dp_msg_builder b;
	struct dp_leg_spec out;
	uint8_t key[30];
	const char *why;

	fill_key(key, sizeof(key), 9);
	CU_ASSERT_FATAL(dp_endpoint_parse("198.18.0.9:1000", &ep) == 0);
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		leg_begin(&b, DP_MSG_LEG_ADD, 9);
		leg_put_required(&b, 0);
		/* the same value twice: still refused, the rule is about the attribute */
		switch (types[i]) {
		case DP_ATTR_LEG_ID:
			dp_mb_put_u32(&b, types[i], 9);
			break;
		case DP_ATTR_CONF_ID:
			dp_mb_put_u32(&b, types[i], 5);
			break;
		case DP_ATTR_SUITE:
			dp_mb_put_u8(&b, types[i], DP_SUITE_AES_CM_128_HMAC_SHA1_80);
			break;
		case DP_ATTR_MEDIA_PORT:
			dp_mb_put_u16(&b, types[i], 4000);
			break;
		case DP_ATTR_KEY_IN:
		case DP_ATTR_KEY_OUT:
			dp_mb_put(&b, types[i], key, sizeof(key));
			break;
		case DP_ATTR_REMOTE:
			dp_mb_put_endpoint(&b, types[i], &ep);
			dp_mb_put_endpoint(&b, types[i], &ep);
			break;
		case DP_ATTR_FLAGS:
			dp_mb_put_u32(&b, types[i], DP_LEG_F_ALL);
			dp_mb_put_u32(&b, types[i], DP_LEG_F_ALL);
			break;
		}
		CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EINVAL);
		assert_why(why, "duplicate attribute");
	}
	/* two leg nests */
	leg_begin(&b, DP_MSG_LEG_ADD, 9);
	leg_put_required(&b, 0);
	dp_mb_nest_end(&b);
	dp_mb_nest_begin(&b, DP_ATTR_NEST_LEG);
	dp_mb_put_u32(&b, DP_ATTR_LEG_ID, 10);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EINVAL);
	assert_why(why, "duplicate attribute");
}

static void
test_leg_wrong_attribute_length_is_eproto(void)
{
	static const struct {
		uint16_t type;
		uint16_t len;
		const char *text;
	} cases[] = {
		{ DP_ATTR_LEG_ID, 8, "leg_id has a wrong length" },
		{ DP_ATTR_CONF_ID, 2, "conf_id has a wrong length" },
		{ DP_ATTR_SUITE, 4, "suite has a wrong length" },
		{ DP_ATTR_MEDIA_PORT, 4, "media_port has a wrong length" },
		{ DP_ATTR_KEY_IN, 0, "key_in has a wrong length" },
		{ DP_ATTR_KEY_IN, 47, "key_in has a wrong length" },
		{ DP_ATTR_KEY_OUT, 64, "key_out has a wrong length" },
		{ DP_ATTR_SSRC, 3, "ssrc has a wrong length" },
		{ DP_ATTR_REMOTE, 16, "remote has a wrong length" },
		{ DP_ATTR_FLAGS, 1, "flags has a wrong length" },
	};
	static const uint8_t val[64] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct dp_msg_builder b;
		struct dp_leg_spec out;
		const char *why;

		/* the leg id case brings its own, the others a valid one */
		leg_begin(&b, DP_MSG_LEG_UPDATE, cases[i].type == DP_ATTR_LEG_ID ? 0 : 9);
		dp_mb_put(&b, cases[i].type, val, cases[i].len);
		CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), -EPROTO);
		assert_why(why, cases[i].text);
	}
}

static void
test_leg_unknown_attributes_are_ignored(void)
{
	struct dp_msg_builder b;
	struct dp_leg_spec out;
	const char *why;

	dp_mb_init(&b, big, sizeof(big), DP_MSG_LEG_ADD, 1);
	dp_mb_put_u64(&b, 999, 1);           /* unknown, top level */
	dp_mb_put_u64(&b, 999, 1);
	dp_mb_nest_begin(&b, DP_ATTR_NEST_LEG);
	dp_mb_put_u32(&b, DP_ATTR_LEG_ID, 9);
	dp_mb_put(&b, 60, "xyz", 3);         /* unknown, inside, twice */
	dp_mb_put(&b, 60, "xyz", 3);
	dp_mb_put_u16(&b, DP_ATTR_OWNER, 1); /* known elsewhere, not in a leg spec */
	dp_mb_nest_begin(&b, 90);            /* an unknown nest */
	dp_mb_put_u32(&b, DP_ATTR_LEG_ID, 0);
	dp_mb_nest_end(&b);
	leg_put_required(&b, 0);
	CU_ASSERT_EQUAL(leg_finish_decode(&b, &out, &why), 0);
	CU_ASSERT_EQUAL(out.leg_id, 9);
	CU_ASSERT_EQUAL(out.n_ssrcs, 1);
}

static void
test_leg_unknown_flag_bits_rejected(void)
{
	static const uint32_t bad[] = { 1u << 2, 1u << 31, DP_LEG_F_ALL | 8 };

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct dp_leg_spec s;
		const char *why;

		leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
		s.flags = bad[i];
		CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
		assert_why(why, "unknown flag bits");
	}
}

static void
test_leg_unknown_suite_and_wrong_type_rejected(void)
{
	struct dp_leg_spec s;
	const char *why;

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.suite = DP_SUITE_MAX;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);
	assert_why(why, "unknown suite");
	s.suite = DP_SUITE_NONE;
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD, &why), -EINVAL);

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_DEL, &why), -EINVAL);
	assert_why(why, "not a leg add or update");
	CU_ASSERT_EQUAL(decode_leg_text(&s, DP_MSG_LEG_ADD | DP_MSG_REPLY, &why), -EINVAL);
}

static void
test_leg_decode_failure_leaves_no_key(void)
{
	static const uint8_t zero[sizeof(struct dp_leg_spec)];
	struct dp_leg_spec s, out;
	struct dp_msg msg;
	const char *why;

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.flags = 1u << 7;                /* refused after the keys were read */
	CU_ASSERT_FATAL(encode_and_parse(&s, DP_MSG_LEG_ADD, &msg) > 0);
	memset(&out, 0x5a, sizeof(out));
	CU_ASSERT_EQUAL(dp_proto_decode_leg(&msg, &out, &why), -EINVAL);
	CU_ASSERT(memcmp(&out, zero, sizeof(out)) == 0);
}

static void
test_leg_encode_refuses_out_of_range_spec(void)
{
	struct dp_leg_spec s;

	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.n_ssrcs = 17;
	CU_ASSERT_EQUAL(dp_proto_encode_leg(big, sizeof(big), DP_MSG_LEG_ADD, 1, &s), -EINVAL);
	leg_spec_full(&s, DP_SUITE_AES_CM_128_HMAC_SHA1_80, 1, false);
	s.key_in_len = DP_MASTER_MAX + 1;
	CU_ASSERT_EQUAL(dp_proto_encode_leg(big, sizeof(big), DP_MSG_LEG_ADD, 1, &s), -EINVAL);
}

/* ---- replies ---- */

static void
test_reply_carries_type_seq_status_and_text(void)
{
	struct dp_msg req = { .type = DP_MSG_LEG_ADD, .seq = 0x01020304 };
	struct dp_msg_builder b;
	struct dp_msg msg;
	uint32_t status = 99;
	char err[64];
	int n;

	dp_proto_reply_begin(&b, big, sizeof(big), &req, DP_ERR_SSRC_IN_USE, "SSRC 5 in use");
	n = dp_mb_finish(&b);
	CU_ASSERT_EQUAL_FATAL(dp_msg_parse(big, (size_t)n, &msg), n);
	CU_ASSERT_EQUAL(msg.type, DP_MSG_LEG_ADD | DP_MSG_REPLY);
	CU_ASSERT_EQUAL(msg.seq, 0x01020304);
	CU_ASSERT_EQUAL(dp_proto_reply_status(&msg, &status, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(status, DP_ERR_SSRC_IN_USE);
	CU_ASSERT_STRING_EQUAL(err, "SSRC 5 in use");

	/* success carries no text, even when one is given */
	dp_proto_reply_begin(&b, big, sizeof(big), &req, DP_OK, "ignored");
	n = dp_mb_finish(&b);
	CU_ASSERT_EQUAL(n, 16 + 8);
	CU_ASSERT_EQUAL_FATAL(dp_msg_parse(big, (size_t)n, &msg), n);
	CU_ASSERT_EQUAL(dp_proto_reply_status(&msg, &status, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(status, DP_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(dp_proto_reply_status(&msg, &status, NULL, 0), 0);
}

static void
test_reply_error_text_is_cut_at_255(void)
{
	struct dp_msg req = { .type = DP_MSG_LEG_DEL, .seq = 1 };
	struct dp_msg_builder b;
	struct dp_msg msg;
	char text[400], err[300];
	uint32_t status;
	int n;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	dp_proto_reply_begin(&b, big, sizeof(big), &req, DP_ERR_INTERNAL, text);
	n = dp_mb_finish(&b);
	CU_ASSERT_EQUAL_FATAL(dp_msg_parse(big, (size_t)n, &msg), n);
	CU_ASSERT_EQUAL(dp_proto_reply_status(&msg, &status, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strlen(err), 255);
}

static int
status_of(void (*build)(struct dp_msg_builder *), uint16_t type)
{
	struct dp_msg_builder b;
	struct dp_msg msg;
	uint32_t status;
	char err[16];
	int n;

	dp_mb_init(&b, big, sizeof(big), type, 1);
	build(&b);
	n = dp_mb_finish(&b);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(dp_msg_parse(big, (size_t)n, &msg) == n);
	return dp_proto_reply_status(&msg, &status, err, sizeof(err));
}

static void
build_empty(struct dp_msg_builder *b)
{
	(void)b;
}

static void
build_error_first(struct dp_msg_builder *b)
{
	dp_mb_put_str(b, DP_ATTR_ERROR, "x");
	dp_mb_put_u32(b, DP_ATTR_STATUS, 1);
}

static void
build_two_status(struct dp_msg_builder *b)
{
	dp_mb_put_u32(b, DP_ATTR_STATUS, 0);
	dp_mb_put_u32(b, DP_ATTR_STATUS, 1);
}

static void
build_two_errors(struct dp_msg_builder *b)
{
	dp_mb_put_u32(b, DP_ATTR_STATUS, 1);
	dp_mb_put_str(b, DP_ATTR_ERROR, "a");
	dp_mb_put_str(b, DP_ATTR_ERROR, "b");
}

static void
build_long_error(struct dp_msg_builder *b)
{
	char text[257];

	memset(text, 'e', 256);
	text[256] = '\0';
	dp_mb_put_u32(b, DP_ATTR_STATUS, 1);
	dp_mb_put_str(b, DP_ATTR_ERROR, text);
}

static void
build_short_status(struct dp_msg_builder *b)
{
	dp_mb_put_u16(b, DP_ATTR_STATUS, 1);
}

static void
build_ok(struct dp_msg_builder *b)
{
	dp_mb_put_u32(b, DP_ATTR_STATUS, 0);
	dp_mb_put_u64(b, 999, 0);
}

static void
test_reply_status_rejects_malformed_replies(void)
{
	CU_ASSERT_EQUAL(status_of(build_ok, DP_MSG_STATS | DP_MSG_REPLY), 0);
	CU_ASSERT_EQUAL(status_of(build_ok, DP_MSG_STATS), -EPROTO);
	CU_ASSERT_EQUAL(status_of(build_empty, DP_MSG_STATS | DP_MSG_REPLY), -EPROTO);
	CU_ASSERT_EQUAL(status_of(build_error_first, DP_MSG_STATS | DP_MSG_REPLY), -EPROTO);
	CU_ASSERT_EQUAL(status_of(build_two_status, DP_MSG_STATS | DP_MSG_REPLY), -EPROTO);
	CU_ASSERT_EQUAL(status_of(build_two_errors, DP_MSG_STATS | DP_MSG_REPLY), -EPROTO);
	CU_ASSERT_EQUAL(status_of(build_long_error, DP_MSG_STATS | DP_MSG_REPLY), -EPROTO);
	CU_ASSERT_EQUAL(status_of(build_short_status, DP_MSG_STATS | DP_MSG_REPLY), -EPROTO);
}

/* ---- leg info, health, statistics ---- */

static int
leg_info_round_trip(const struct dp_leg_info *in, struct dp_leg_info *out, size_t *len)
{
	struct dp_msg req = { .type = DP_MSG_LEG_GET, .seq = 3 };
	struct dp_msg_builder b;
	struct dp_attr a;

	dp_proto_reply_begin(&b, big, sizeof(big), &req, DP_OK, NULL);
	dp_proto_put_leg_info(&b, in);
	*len = finish_find(&b, DP_ATTR_NEST_LEG_INFO, &a);
	return dp_proto_get_leg_info(&a, out);
}

static void
test_leg_info_round_trips_without_keys(void)
{
	for (int v6 = 0; v6 <= 1; v6++) {
		for (int latched = 0; latched <= 1; latched++) {
			struct dp_leg_info in, out;
			uint8_t key[DP_MASTER_MAX];
			size_t len;

			leg_info_sample(&in, v6 != 0, latched != 0);
			/* keys left in the spec must still never be encoded */
			in.spec.key_in_len = 44;
			memcpy(key, in.spec.key_in, sizeof(key));
			CU_ASSERT_EQUAL(leg_info_round_trip(&in, &out, &len), 0);
			CU_ASSERT(memmem(big, len, key, 16) == NULL);
			CU_ASSERT(memmem(big, len, in.spec.key_out, 16) == NULL);
			in.spec.key_in_len = 0;
			in.spec.key_out_len = 0;
			memset(in.spec.key_in, 0, sizeof(in.spec.key_in));
			memset(in.spec.key_out, 0, sizeof(in.spec.key_out));
			assert_specs_equal(&in.spec, &out.spec);
			CU_ASSERT_EQUAL(out.spec.key_in_len, 0);
			CU_ASSERT_EQUAL(out.owner_lcore, 3);
			CU_ASSERT_EQUAL(out.latched, latched != 0);
			if (latched)
				CU_ASSERT(memcmp(&out.latched_ep, &in.latched_ep,
						 sizeof(in.latched_ep)) == 0);
			CU_ASSERT(memcmp(&out.counters, &in.counters, sizeof(in.counters)) == 0);
		}
	}
}

static void
test_leg_info_without_remote_has_no_remote(void)
{
	struct dp_leg_info in, out;
	size_t len;

	leg_info_sample(&in, false, false);
	in.spec.has &= ~(uint32_t)DP_LEG_HAS_REMOTE;
	CU_ASSERT_EQUAL(leg_info_round_trip(&in, &out, &len), 0);
	CU_ASSERT_EQUAL(out.spec.has & DP_LEG_HAS_REMOTE, 0);
	CU_ASSERT_EQUAL(out.spec.remote.port, 0);
}

/* A leg info nest by hand: id 5, then what add() puts. */
static int
leg_info_custom(void (*add)(struct dp_msg_builder *), struct dp_leg_info *out)
{
	struct dp_msg_builder b;
	struct dp_attr a;

	dp_mb_init(&b, big, sizeof(big), DP_MSG_LEG_GET | DP_MSG_REPLY, 1);
	dp_mb_put_u32(&b, DP_ATTR_STATUS, 0);
	dp_mb_nest_begin(&b, DP_ATTR_NEST_LEG_INFO);
	dp_mb_put_u32(&b, DP_ATTR_LEG_ID, 5);
	add(&b);
	dp_mb_nest_end(&b);
	finish_find(&b, DP_ATTR_NEST_LEG_INFO, &a);
	return dp_proto_get_leg_info(&a, out);
}

static void
add_nothing(struct dp_msg_builder *b)
{
	(void)b;
}

/* One NEST_COUNTER by hand. */
static void
put_counter(struct dp_msg_builder *b, const char *name, uint64_t value)
{
	dp_mb_nest_begin(b, DP_ATTR_NEST_COUNTER);
	dp_mb_put_str(b, DP_ATTR_NAME, name);
	dp_mb_put_u64(b, DP_ATTR_COUNTER, value);
	dp_mb_nest_end(b);
}

static void
add_counter_twice(struct dp_msg_builder *b)
{
	put_counter(b, "rx_packets", 1);
	put_counter(b, "rx_packets", 1);
}

static void
add_unknown_counter(struct dp_msg_builder *b)
{
	put_counter(b, "from_the_future", 1);
	put_counter(b, "replay", 77);
}

static void
add_counter_without_value(struct dp_msg_builder *b)
{
	dp_mb_nest_begin(b, DP_ATTR_NEST_COUNTER);
	dp_mb_put_str(b, DP_ATTR_NAME, "rx_packets");
	dp_mb_nest_end(b);
}

static void
add_second_leg_id(struct dp_msg_builder *b)
{
	dp_mb_put_u32(b, DP_ATTR_LEG_ID, 6);
}

static void
add_17_ssrcs(struct dp_msg_builder *b)
{
	for (uint32_t i = 0; i < 17; i++)
		dp_mb_put_u32(b, DP_ATTR_SSRC, i);
}

static void
add_bad_owner_len(struct dp_msg_builder *b)
{
	dp_mb_put_u32(b, DP_ATTR_OWNER, 1);
}

static void
add_key(struct dp_msg_builder *b)
{
	dp_mb_put(b, DP_ATTR_KEY_IN, "0123456789012345678901234567890", 30);
}

static void
test_leg_info_rejects_ambiguity_and_ignores_unknowns(void)
{
	struct dp_leg_info out;

	CU_ASSERT_EQUAL(leg_info_custom(add_nothing, &out), 0);
	CU_ASSERT_EQUAL(out.spec.leg_id, 5);
	CU_ASSERT_EQUAL(leg_info_custom(add_counter_twice, &out), -EINVAL);
	CU_ASSERT_EQUAL(leg_info_custom(add_unknown_counter, &out), 0);
	CU_ASSERT_EQUAL(out.counters.replay, 77);
	CU_ASSERT_EQUAL(leg_info_custom(add_counter_without_value, &out), -EINVAL);
	CU_ASSERT_EQUAL(leg_info_custom(add_second_leg_id, &out), -EINVAL);
	CU_ASSERT_EQUAL(leg_info_custom(add_17_ssrcs, &out), -EINVAL);
	CU_ASSERT_EQUAL(leg_info_custom(add_bad_owner_len, &out), -EPROTO);
	CU_ASSERT_EQUAL(leg_info_custom(add_key, &out), 0);
	CU_ASSERT_EQUAL(out.spec.key_in_len, 0);
}

static int
health_round_trip(const struct dp_health *in, struct dp_health *out)
{
	struct dp_msg req = { .type = DP_MSG_HEALTH, .seq = 3 };
	struct dp_msg_builder b;
	struct dp_attr a;

	dp_proto_reply_begin(&b, big, sizeof(big), &req, DP_OK, NULL);
	dp_proto_put_health(&b, in);
	finish_find(&b, DP_ATTR_NEST_HEALTH, &a);
	return dp_proto_get_health(&a, out);
}

static void
test_health_round_trips(void)
{
	struct dp_health in, out;

	health_sample(&in);
	CU_ASSERT_EQUAL(health_round_trip(&in, &out), 0);
	CU_ASSERT(memcmp(&in, &out, sizeof(in)) == 0);
	/* full-length strings */
	memset(in.version, 'v', sizeof(in.version) - 1);
	memset(in.srtp_backend, 'b', sizeof(in.srtp_backend) - 1);
	CU_ASSERT_EQUAL(health_round_trip(&in, &out), 0);
	CU_ASSERT(memcmp(&in, &out, sizeof(in)) == 0);
	/* more ports up than ports */
	in.ports_up = 3;
	CU_ASSERT_EQUAL(health_round_trip(&in, &out), -EINVAL);
}

static void
test_health_needs_version_and_uptime(void)
{
	struct dp_msg_builder b;
	struct dp_attr a;
	struct dp_health h;
	int n;

	dp_mb_init(&b, big, sizeof(big), DP_MSG_HEALTH | DP_MSG_REPLY, 1);
	dp_mb_nest_begin(&b, DP_ATTR_NEST_HEALTH);
	dp_mb_put_str(&b, DP_ATTR_VERSION, "1");
	dp_mb_nest_end(&b);
	n = dp_mb_finish(&b);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(find_attr(big + 16, (size_t)n - 16, DP_ATTR_NEST_HEALTH, &a) == 1);
	CU_ASSERT_EQUAL(dp_proto_get_health(&a, &h), -EINVAL);
	a.type = DP_ATTR_NEST_LEG_INFO;
	CU_ASSERT_EQUAL(dp_proto_get_health(&a, &h), -EINVAL);
}

static int
stats_round_trip(uint16_t type, const struct dp_stats_group *in, struct dp_stats_group *out)
{
	struct dp_msg_builder b;
	struct dp_attr a;
	int n;

	dp_mb_init(&b, big, sizeof(big), DP_MSG_STATS | DP_MSG_REPLY, 1);
	dp_mb_put_u32(&b, DP_ATTR_STATUS, 0);
	dp_proto_put_stats_group(&b, type, in);
	n = dp_mb_finish(&b);
	if (n < 0)
		return n;
	CU_ASSERT_FATAL(find_attr(big + 16, (size_t)n - 16, type, &a) == 1);
	return dp_proto_get_stats_group(&a, out);
}

static void
test_stats_groups_round_trip_64_counters(void)
{
	static const uint16_t types[] = {
		DP_ATTR_NEST_STATS_PORT, DP_ATTR_NEST_STATS_LCORE, DP_ATTR_NEST_STATS_DROP,
	};

	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		struct dp_stats_group in, out;

		stats_group_sample(&in, "a_port_name_of_exactly_39_characters_xx", 64);
		CU_ASSERT_EQUAL(strlen(in.name), 39);
		CU_ASSERT_EQUAL(stats_round_trip(types[i], &in, &out), 0);
		CU_ASSERT_STRING_EQUAL(out.name, in.name);
		CU_ASSERT_EQUAL(out.index, in.index);
		/* link state travels for ports only */
		CU_ASSERT_EQUAL(out.link_up, types[i] == DP_ATTR_NEST_STATS_PORT);
		CU_ASSERT_EQUAL(out.n, 64);
		for (uint32_t c = 0; c < 64; c++) {
			CU_ASSERT_STRING_EQUAL(out.c[c].name, in.c[c].name);
			CU_ASSERT_EQUAL(out.c[c].value, in.c[c].value);
		}
	}
}

static void
test_stats_group_limits(void)
{
	struct dp_stats_group in, out;
	struct dp_msg_builder b;
	struct dp_attr a;
	int n;

	stats_group_sample(&in, "lan0", 65);
	CU_ASSERT_EQUAL(stats_round_trip(DP_ATTR_NEST_STATS_PORT, &in, &out), -EINVAL);
	stats_group_sample(&in, "lan0", 1);
	CU_ASSERT_EQUAL(stats_round_trip(DP_ATTR_NEST_LEG_INFO, &in, &out), -EINVAL);

	/* by hand: 65 counters, a duplicate name, a name too long, link_up 2 */
	for (int variant = 0; variant < 5; variant++) {
		dp_mb_init(&b, big, sizeof(big), DP_MSG_STATS | DP_MSG_REPLY, 1);
		dp_mb_nest_begin(&b, DP_ATTR_NEST_STATS_PORT);
		dp_mb_put_str(&b, DP_ATTR_NAME, variant == 2 ?
			      "a_port_name_of_exactly_40_characters_xxx" : "lan0");
		dp_mb_put_u8(&b, DP_ATTR_LINK_UP, variant == 3 ? 2 : 1);
		for (int c = 0; c < (variant == 0 ? 65 : 2); c++) {
			char name[16];

			snprintf(name, sizeof(name), "c%d", variant == 1 ? 0 : c);
			put_counter(&b, name, 1);
		}
		dp_mb_nest_end(&b);
		n = dp_mb_finish(&b);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_FATAL(find_attr(big + 16, (size_t)n - 16, DP_ATTR_NEST_STATS_PORT,
					  &a) == 1);
		CU_ASSERT_EQUAL(dp_proto_get_stats_group(&a, &out),
				variant == 2 ? -EPROTO : variant == 4 ? 0 : -EINVAL);
	}
	CU_ASSERT_EQUAL(out.n, 2);
	CU_ASSERT_TRUE(out.link_up);
}

/* ---- names ---- */

static void
test_status_names_are_stable(void)
{
	static const char *const want[] = {
		"ok", "bad_message", "version", "unknown_type", "invalid", "exists",
		"not_found", "full", "ssrc_in_use", "bad_key", "bad_port", "internal",
		"permission",
	};

	CU_ASSERT_EQUAL(ARRAY_LEN(want), DP_STATUS_MAX);
	for (uint32_t i = 0; i < ARRAY_LEN(want); i++)
		CU_ASSERT_STRING_EQUAL(dp_status_name(i), want[i]);
	CU_ASSERT_STRING_EQUAL(dp_status_name(DP_STATUS_MAX), "?");
	CU_ASSERT_STRING_EQUAL(dp_status_name(UINT32_MAX), "?");
}

static void
test_suite_names_and_lengths(void)
{
	static const struct {
		const char *name;
		size_t key, salt;
	} want[] = {
		{ NULL, 0, 0 },
		{ "AES_CM_128_HMAC_SHA1_80", 16, 14 },
		{ "AES_CM_128_HMAC_SHA1_32", 16, 14 },
		{ "AEAD_AES_128_GCM", 16, 12 },
		{ "AEAD_AES_256_GCM", 32, 12 },
	};

	CU_ASSERT_EQUAL(ARRAY_LEN(want), DP_SUITE_MAX);
	for (uint8_t s = 1; s < DP_SUITE_MAX; s++) {
		CU_ASSERT_STRING_EQUAL(dp_suite_name(s), want[s].name);
		CU_ASSERT_EQUAL(dp_suite_from_name(want[s].name), s);
		CU_ASSERT_EQUAL(dp_suite_key_len(s), want[s].key);
		CU_ASSERT_EQUAL(dp_suite_salt_len(s), want[s].salt);
		CU_ASSERT(want[s].key + want[s].salt <= DP_MASTER_MAX);
	}
	CU_ASSERT_STRING_EQUAL(dp_suite_name(DP_SUITE_NONE), "?");
	CU_ASSERT_STRING_EQUAL(dp_suite_name(DP_SUITE_MAX), "?");
	CU_ASSERT_EQUAL(dp_suite_key_len(DP_SUITE_MAX), 0);
	CU_ASSERT_EQUAL(dp_suite_salt_len(200), 0);
	CU_ASSERT_EQUAL(dp_suite_from_name("aes_cm_128_hmac_sha1_80"), DP_SUITE_NONE);
	CU_ASSERT_EQUAL(dp_suite_from_name("AES_CM_128_HMAC_SHA1_80 "), DP_SUITE_NONE);
	CU_ASSERT_EQUAL(dp_suite_from_name(""), DP_SUITE_NONE);
	CU_ASSERT_EQUAL(dp_suite_from_name(NULL), DP_SUITE_NONE);
}

/* ---- endpoints ---- */

static void
test_endpoint_formats_and_parses_back(void)
{
	static const char *const good[] = {
		"198.18.0.1:4000",
		"0.0.0.0:1",
		"255.255.255.255:65535",
		"[2001:db8::1]:4000",
		"[::1]:1",
		"[::]:65535",
		"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	};

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		struct dp_endpoint ep;
		char buf[DP_ENDPOINT_STRLEN];

		CU_ASSERT_EQUAL(dp_endpoint_parse(good[i], &ep), 0);
		CU_ASSERT_PTR_EQUAL(dp_endpoint_format(&ep, buf, sizeof(buf)), buf);
		CU_ASSERT_STRING_EQUAL(buf, good[i]);
	}
}

static void
test_endpoint_ipv4_is_stored_mapped(void)
{
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
					  198, 18, 0, 1 };
	struct dp_endpoint ep, ep2;
	char buf[DP_ENDPOINT_STRLEN];

	CU_ASSERT_EQUAL(dp_endpoint_parse("198.18.0.1:4000", &ep), 0);
	CU_ASSERT(memcmp(ep.ip, want, 16) == 0);
	CU_ASSERT_EQUAL(ep.port, 4000);
	CU_ASSERT_TRUE(dp_endpoint_is_v4(&ep));
	/* the mapped form in brackets is the same endpoint */
	CU_ASSERT_EQUAL(dp_endpoint_parse("[::ffff:198.18.0.1]:4000", &ep2), 0);
	CU_ASSERT(memcmp(&ep, &ep2, sizeof(ep)) == 0);
	CU_ASSERT_STRING_EQUAL(dp_endpoint_format(&ep2, buf, sizeof(buf)), "198.18.0.1:4000");
	CU_ASSERT_EQUAL(dp_endpoint_parse("[2001:db8::1]:1", &ep2), 0);
	CU_ASSERT_FALSE(dp_endpoint_is_v4(&ep2));
}

static void
test_endpoint_rejects_everything_else(void)
{
	static const char *const bad[] = {
		"", ":", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:99999",
		"1.2.3.4:123456", "1.2.3.4:80x", "1.2.3.4:80 ", " 1.2.3.4:80", "1.2.3.4: 80",
		"1.2.3.4:+80", "1.2.3.4:-1", "1.2.3.4:0x50", "1.2.3:80", "256.1.1.1:80",
		"01.2.3.4:80", "1.2.3.4:80:80", "host:80", "::1:80", "2001:db8::1:4000",
		"[::1]", "[::1]:", "[::1]x80", "[::1]:0", "[::1]:65536", "[::1]:80]", "[]:80",
		"[1.2.3.4]:80", "[::1%eth0]:80", "[::1:80", "::1]:80", "[[::1]]:80",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0]:80",
		"[0000:0000:0000:0000:0000:0000:0000:00001]:80",
	};
	struct dp_endpoint ep;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&ep, 0x77, sizeof(ep));
		CU_ASSERT_EQUAL(dp_endpoint_parse(bad[i], &ep), -EINVAL);
		if (ep.port != 0x7777)
			fprintf(stderr, "\nendpoint changed on failure: \"%s\"\n", bad[i]);
		CU_ASSERT_EQUAL(ep.port, 0x7777);
	}
	CU_ASSERT_EQUAL(dp_endpoint_parse(NULL, &ep), -EINVAL);
	CU_ASSERT_EQUAL(dp_endpoint_parse("1.2.3.4:80", NULL), -EINVAL);
}

static void
test_endpoint_format_truncates_into_small_buffer(void)
{
	struct dp_endpoint ep;
	char buf[8];

	CU_ASSERT_FATAL(dp_endpoint_parse("198.18.0.1:4000", &ep) == 0);
	memset(buf, 'z', sizeof(buf));
	dp_endpoint_format(&ep, buf, 5);
	CU_ASSERT_STRING_EQUAL(buf, "198.");
	CU_ASSERT_EQUAL(buf[5], 'z');
	CU_ASSERT_PTR_NULL(dp_endpoint_format(&ep, NULL, 0));
}

static void
test_wipe_zeroes(void)
{
	uint8_t k[DP_MASTER_MAX];
	static const uint8_t zero[DP_MASTER_MAX];

	memset(k, 0xff, sizeof(k));
	dp_proto_wipe(k, sizeof(k));
	CU_ASSERT(memcmp(k, zero, sizeof(k)) == 0);
	dp_proto_wipe(NULL, 5);
}

/* ---- registration ---- */

static const struct ut_test framing_tests[] = {
	{ "parse fills type, seq, length and body", test_parse_whole_message_fills_fields },
	{ "every truncation of every message is -EAGAIN", test_parse_every_truncation_is_eagain },
	{ "two messages in a buffer: the first one's length",
	  test_parse_two_messages_returns_first_length },
	{ "bad magic is -EPROTO", test_parse_bad_magic_is_eproto },
	{ "other version is -EPROTONOSUPPORT", test_parse_wrong_version_is_eprotonosupport },
	{ "oversize is -EMSGSIZE from the header alone",
	  test_parse_oversize_is_emsgsize_from_header_alone },
	{ NULL, NULL },
};

static const struct ut_test builder_tests[] = {
	{ "values are padded with zeros, len counts the value",
	  test_builder_pads_with_zeros_and_counts_value_only },
	{ "every short capacity is -ENOSPC and nothing is written past it",
	  test_builder_every_short_capacity_is_enospc_and_stays_inside },
	{ "a value over 65535 bytes is -EINVAL", test_builder_value_over_65535_is_einval },
	{ "nesting four deep works, five is -EINVAL", test_builder_nests_four_deep_not_five },
	{ "unbalanced nests are -EINVAL", test_builder_unbalanced_nest_is_einval },
	{ "the first error sticks", test_builder_first_error_sticks },
	{ "a message never exceeds DP_MSG_MAX", test_builder_never_exceeds_msg_max },
	{ "a simple request without attribute is a bare header",
	  test_encode_simple_without_attribute_is_header_only },
	{ NULL, NULL },
};

static const struct ut_test attr_tests[] = {
	{ "a cut inside an attribute is -EPROTO, at a boundary the walk ends",
	  test_iter_truncation_inside_an_attribute_is_eproto },
	{ "missing padding is tolerated only at the end",
	  test_iter_missing_padding_only_tolerated_at_end },
	{ "typed readers refuse wrong lengths", test_typed_readers_reject_wrong_lengths },
	{ "strings are truncated, a NUL inside is refused",
	  test_attr_str_truncates_and_refuses_nul },
	{ NULL, NULL },
};

static const struct ut_test leg_tests[] = {
	{ "leg add round trips: every suite, IPv4 and IPv6, 1 and 16 SSRCs",
	  test_leg_add_round_trips_every_suite_v4_v6_1_and_16_ssrcs },
	{ "leg add without flags sends and receives", test_leg_add_without_flags_is_sendrecv },
	{ "leg update carries only what is present",
	  test_leg_update_round_trips_only_present_fields },
	{ "leg add without a required field names it", test_leg_add_missing_field_names_it },
	{ "zero ids, zero ports and unspecified remotes are invalid",
	  test_leg_zero_ids_and_ports_are_invalid },
	{ "key length must match the suite, per suite", test_leg_key_length_must_match_suite },
	{ "an update key without suite must fit some suite",
	  test_leg_update_key_without_suite_must_fit_some_suite },
	{ "an update's new suite needs both keys", test_leg_update_suite_needs_both_keys },
	{ "16 SSRCs at most, none twice", test_leg_ssrcs_16_at_most_and_no_duplicate },
	{ "a single-valued attribute twice is -EINVAL",
	  test_leg_duplicate_single_attribute_is_einval },
	{ "a known attribute with a wrong length is -EPROTO",
	  test_leg_wrong_attribute_length_is_eproto },
	{ "unknown attributes are ignored", test_leg_unknown_attributes_are_ignored },
	{ "unknown flag bits are refused", test_leg_unknown_flag_bits_rejected },
	{ "unknown suite and wrong message type are refused",
	  test_leg_unknown_suite_and_wrong_type_rejected },
	{ "a refused leg leaves no key behind", test_leg_decode_failure_leaves_no_key },
	{ "encoding refuses an out-of-range spec", test_leg_encode_refuses_out_of_range_spec },
	{ NULL, NULL },
};

static const struct ut_test reply_tests[] = {
	{ "a reply carries type, seq, status and text",
	  test_reply_carries_type_seq_status_and_text },
	{ "error text is cut at 255 bytes", test_reply_error_text_is_cut_at_255 },
	{ "malformed replies are -EPROTO", test_reply_status_rejects_malformed_replies },
	{ "leg info round trips and never carries keys",
	  test_leg_info_round_trips_without_keys },
	{ "leg info without remote", test_leg_info_without_remote_has_no_remote },
	{ "leg info refuses ambiguity, ignores unknowns",
	  test_leg_info_rejects_ambiguity_and_ignores_unknowns },
	{ "health round trips", test_health_round_trips },
	{ "health needs version and uptime", test_health_needs_version_and_uptime },
	{ "stats groups round trip with 64 counters", test_stats_groups_round_trip_64_counters },
	{ "stats groups: 64 counters, unique names, 39 bytes, link 0/1",
	  test_stats_group_limits },
	{ NULL, NULL },
};

static const struct ut_test name_tests[] = {
	{ "status names are stable", test_status_names_are_stable },
	{ "suite names and key lengths", test_suite_names_and_lengths },
	{ "endpoints format and parse back", test_endpoint_formats_and_parses_back },
	{ "IPv4 is stored IPv4-mapped", test_endpoint_ipv4_is_stored_mapped },
	{ "everything else is refused and leaves the endpoint alone",
	  test_endpoint_rejects_everything_else },
	{ "format truncates into a small buffer", test_endpoint_format_truncates_into_small_buffer },
	{ "wipe zeroes", test_wipe_zeroes },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "framing", NULL, NULL, framing_tests },
	{ "builder", NULL, NULL, builder_tests },
	{ "attributes", NULL, NULL, attr_tests },
	{ "leg", NULL, NULL, leg_tests },
	{ "replies", NULL, NULL, reply_tests },
	{ "names and endpoints", NULL, NULL, name_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
