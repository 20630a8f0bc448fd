/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the control socket codec: framing, then every typed decoder on whatever the
 * message holds (nest types are tried with every decoder, not only their own). What a
 * decoder accepts must survive encode + decode unchanged, or the target aborts.
 * The input is also tried as an endpoint string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                            \
	do {                                   \
		if (!(cond))                   \
			__builtin_trap();      \
	} while (0)

static uint8_t out[DP_MSG_MAX];

static void
fuzz_endpoint(const uint8_t *data, size_t size)
{
	char s[80], back[DP_ENDPOINT_STRLEN];
	struct dp_endpoint ep, ep2;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dp_endpoint_parse(s, &ep) != 0)
		return;
	dp_endpoint_format(&ep, back, sizeof(back));
	CHECK(dp_endpoint_parse(back, &ep2) == 0);
	CHECK(memcmp(&ep, &ep2, sizeof(ep)) == 0);
}

static void
fuzz_leg(const struct dp_msg *msg, uint16_t type)
{
	struct dp_leg_spec spec, again;
	struct dp_msg m = *msg, m2;
	const char *why = NULL;
	int n;

	m.type = type;
	if (dp_proto_decode_leg(&m, &spec, &why) != 0) {
		CHECK(why != NULL);
		return;
	}
	n = dp_proto_encode_leg(out, sizeof(out), type, m.seq, &spec);
	CHECK(n > 0);
	CHECK(dp_msg_parse(out, (size_t)n, &m2) == n);
	CHECK(dp_proto_decode_leg(&m2, &again, NULL) == 0);
	CHECK(memcmp(&spec, &again, sizeof(spec)) == 0);
	dp_proto_wipe(&spec, sizeof(spec));
	dp_proto_wipe(&again, sizeof(again));
}

/* Re-encodes one nest with builder fn's output and finds it again. */
static int
reencode(struct dp_msg_builder *b, struct dp_attr *a, uint16_t type)
{
	struct dp_attr_iter it;
	struct dp_msg m;
	int n = dp_mb_finish(b);

	CHECK(n > 0);
	CHECK(dp_msg_parse(out, (size_t)n, &m) == n);
	dp_attr_iter_init(&it, m.body, m.len);
	while (dp_attr_next(&it, a) > 0)
		if (a->type == type)
			return 0;
	return -1;
}

static void
fuzz_leg_info(const struct dp_attr *nest)
{
	const uint32_t full = DP_LEG_HAS_CONF | DP_LEG_HAS_SUITE | DP_LEG_HAS_MEDIA_PORT |
			      DP_LEG_HAS_FLAGS;
	struct dp_attr a = *nest, a2;
	struct dp_leg_info info, again;
	struct dp_msg_builder b;

	a.type = DP_ATTR_NEST_LEG_INFO;
	if (dp_proto_get_leg_info(&a, &info) != 0)
		return;
	CHECK(info.spec.key_in_len == 0 && info.spec.key_out_len == 0);
	/* the encoder always writes these, so only a complete info round-trips exactly */
	if ((info.spec.has & full) != full)
		return;
	dp_mb_init(&b, out, sizeof(out), DP_MSG_LEG_GET | DP_MSG_REPLY, 1);
	dp_proto_put_leg_info(&b, &info);
	CHECK(reencode(&b, &a2, DP_ATTR_NEST_LEG_INFO) == 0);
	CHECK(dp_proto_get_leg_info(&a2, &again) == 0);
	CHECK(memcmp(&info, &again, sizeof(info)) == 0);
}

static void
fuzz_health(const struct dp_attr *nest)
{
	struct dp_attr a = *nest, a2;
	struct dp_health h, again;
	struct dp_msg_builder b;

	a.type = DP_ATTR_NEST_HEALTH;
	if (dp_proto_get_health(&a, &h) != 0)
		return;
	dp_mb_init(&b, out, sizeof(out), DP_MSG_HEALTH | DP_MSG_REPLY, 1);
	dp_proto_put_health(&b, &h);
	CHECK(reencode(&b, &a2, DP_ATTR_NEST_HEALTH) == 0);
	CHECK(dp_proto_get_health(&a2, &again) == 0);
	CHECK(memcmp(&h, &again, sizeof(h)) == 0);
}

static void
fuzz_stats(const struct dp_attr *nest, uint16_t type)
{
	static struct dp_stats_group g, again;
	struct dp_attr a = *nest, a2;
	struct dp_msg_builder b;

	a.type = type;
	if (dp_proto_get_stats_group(&a, &g) != 0)
		return;
	CHECK(g.n <= DP_STATS_MAX_COUNTERS);
	if (type != DP_ATTR_NEST_STATS_PORT)
		g.link_up = false;    /* not encoded for lcores and drops */
	dp_mb_init(&b, out, sizeof(out), DP_MSG_STATS | DP_MSG_REPLY, 1);
	dp_proto_put_stats_group(&b, type, &g);
	CHECK(reencode(&b, &a2, type) == 0);
	CHECK(dp_proto_get_stats_group(&a2, &again) == 0);
	CHECK(memcmp(&g, &again, sizeof(g)) == 0);
}

/* Every attribute, at every depth: the typed readers and every nest decoder. */
static void
fuzz_attrs(const uint8_t *buf, size_t len, unsigned int depth)
{
	struct dp_attr_iter it;
	struct dp_endpoint ep;
	struct dp_attr a;
	char str[64];
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	dp_attr_iter_init(&it, buf, len);
	while (dp_attr_next(&it, &a) > 0) {
		CHECK(a.val >= buf && a.val + a.len <= buf + len);
		(void)dp_attr_u8(&a, &u8);
		(void)dp_attr_u16(&a, &u16);
		(void)dp_attr_u32(&a, &u32);
		(void)dp_attr_u64(&a, &u64);
		(void)dp_attr_endpoint(&a, &ep);
		(void)dp_attr_str(&a, str, sizeof(str));
		fuzz_leg_info(&a);
		fuzz_health(&a);
		fuzz_stats(&a, DP_ATTR_NEST_STATS_PORT);
		fuzz_stats(&a, DP_ATTR_NEST_STATS_LCORE);
		if (depth < 4)
			fuzz_attrs(a.val, a.len, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_msg msg, reply;
	uint32_t status;
	char err[256];
	int n;

	fuzz_endpoint(data, size);
	n = dp_msg_parse(data, size, &msg);
	if (n < 0)
		return 0;
	CHECK((size_t)n <= size && (size_t)n == DP_MSG_HDR_LEN + msg.len);
	fuzz_leg(&msg, DP_MSG_LEG_ADD);
	fuzz_leg(&msg, DP_MSG_LEG_UPDATE);
	reply = msg;
	reply.type |= DP_MSG_REPLY;
	if (dp_proto_reply_status(&reply, &status, err, sizeof(err)) == 0)
		CHECK(strlen(err) <= 255);
	fuzz_attrs(msg.body, msg.len, 0);
	return 0;
}
