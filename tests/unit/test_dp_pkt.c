/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Boundary tests for the packet parsers. Every parser call goes through a heap block of
 * exactly the length passed, so that a sanitizer build reports any read past it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_pkt.h"
#include "ut.h"

#define FRAME_MAX 512

static const uint8_t our_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast6_mac[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t snm6_mac[6] = { 0x33, 0x33, 0xff, 0xab, 0xcd, 0xef };
static const uint8_t our_v4[4] = { 192, 0, 2, 1 };
static const uint8_t peer_v4[4] = { 198, 51, 100, 7 };
/* 2001:db8::ab:cdef */
static const uint8_t our_v6[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef
};
/* fe80::11:22ff:fe33:4455, the EUI-64 link-local of our_mac */
static const uint8_t our_v6_ll[16] = {
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55
};
/* 2001:db8::99 */
static const uint8_t peer_v6[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99
};
static const uint8_t all_nodes[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
};
/* ff02::1:ffab:cdef and ff02::1:ff33:4455: solicited-node of our global and link-local */
static const uint8_t snm_global[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0xab, 0xcd, 0xef
};
static const uint8_t snm_ll[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x33, 0x44, 0x55
};

static uint8_t frame[FRAME_MAX];

/* ---- helpers ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An independent, byte-at-a-time RFC 1071 checksum to build test frames with. */
static uint16_t
ref_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * A copy of src in a heap block of exactly len bytes (len 0: one past a 1-byte block). It
 * lives until the next call, which frees it.
 */
static uint8_t *
exact(const uint8_t *src, uint32_t len)
{
	static uint8_t *block;

	free(block);
	block = malloc(len == 0 ? 1 : len);
	CU_ASSERT_FATAL(block != NULL);
	if (len == 0)
		return block + 1;
	memcpy(block, src, len);
	return block;
}

static void
port_init(struct dp_port_addrs *pa, bool v4, bool v6)
{
	memset(pa, 0, sizeof(*pa));
	memcpy(pa->mac, our_mac, 6);
	pa->has_v4 = v4;
	memcpy(pa->v4, our_v4, 4);
	pa->has_v6 = v6;
	memcpy(pa->v6, our_v6, 16);
	dp_port_addrs_link_local(pa);
}

static int
parse_on(const uint8_t *f, uint32_t len, const struct dp_port_addrs *pa, struct dp_pkt_info *pi)
{
	return dp_pkt_parse(exact(f, len), len, pa, pi);
}

/* Parses on a port with both families. */
static int
parse(const uint8_t *f, uint32_t len, struct dp_pkt_info *pi)
{
	struct dp_port_addrs pa;

	port_init(&pa, true, true);
	return parse_on(f, len, &pa, pi);
}

static int
parse_rc(const uint8_t *f, uint32_t len)
{
	struct dp_pkt_info pi;

	return parse(f, len, &pi);
}

static void
put_eth(uint8_t *f, const uint8_t dst[6], uint16_t ethertype)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, ethertype);
}

static void
v4_fix_csum(uint8_t *f)
{
	uint8_t *ip = f + DP_ETH_HLEN;

	put16(ip + 10, 0);
	put16(ip + 10, ref_csum(ip, (size_t)(ip[0] & 0x0f) * 4));
}

/* Ethernet + 20-byte IPv4 header from peer to us + l4; returns the frame length. */
static uint32_t
build_v4(uint8_t *f, uint8_t proto, const uint8_t *l4, uint16_t l4_len)
{
	uint8_t *ip = f + DP_ETH_HLEN;

	put_eth(f, our_mac, DP_ETHERTYPE_IPV4);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);          /* DF: allowed */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, peer_v4, 4);
	memcpy(ip + 16, our_v4, 4);
	memcpy(ip + 20, l4, l4_len);
	v4_fix_csum(f);
	return DP_ETH_HLEN + 20 + l4_len;
}

/* Ethernet + IPv6 from peer to dst + l4; returns the frame length. */
static uint32_t
build_v6(uint8_t *f, const uint8_t dmac[6], const uint8_t dst[16], uint8_t nh,
	 const uint8_t *l4, uint16_t l4_len)
{
	uint8_t *ip = f + DP_ETH_HLEN;

	put_eth(f, dmac, DP_ETHERTYPE_IPV6);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, l4_len);
	ip[6] = nh;
	ip[7] = 255;
	memcpy(ip + 8, peer_v6, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + 40, l4, l4_len);
	return DP_ETH_HLEN + 40 + l4_len;
}

static uint16_t
build_udp(uint8_t *u, const uint8_t *payload, uint16_t plen)
{
	put16(u, 5004);
	put16(u + 2, 40000);
	put16(u + 4, (uint16_t)(8 + plen));
	put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	return (uint16_t)(8 + plen);
}

static const uint8_t rtp12[12] = {
	0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0x10, 0x11, 0x22, 0x33, 0x44
};

static uint32_t
build_v4_udp(uint8_t *f)
{
	uint8_t udp[64];

	return build_v4(f, DP_IPPROTO_UDP, udp, build_udp(udp, rtp12, sizeof(rtp12)));
}

static uint32_t
build_v6_udp(uint8_t *f, const uint8_t dst[16])
{
	uint8_t udp[64];

	return build_v6(f, our_mac, dst, DP_IPPROTO_UDP, udp,
			build_udp(udp, rtp12, sizeof(rtp12)));
}

static uint32_t
build_arp(uint8_t *f, const uint8_t dmac[6], uint16_t op, const uint8_t tha[6],
	  const uint8_t tpa[4])
{
	uint8_t *a = f + DP_ETH_HLEN;

	put_eth(f, dmac, DP_ETHERTYPE_ARP);
	put16(a, 1);
	put16(a + 2, DP_ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_v4, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	return DP_ETH_HLEN + 28;
}

/* An ICMPv6 neighbour solicitation for target (24 bytes, checksum not verified here). */
static uint32_t
build_ns(uint8_t *f, const uint8_t dmac[6], const uint8_t dst[16], const uint8_t target[16])
{
	uint8_t ns[24] = { 135, 0 };

	memcpy(ns + 8, target, 16);
	return build_v6(f, dmac, dst, DP_IPPROTO_ICMPV6, ns, sizeof(ns));
}

static void
expect_mapped(const uint8_t ip[16], const uint8_t v4[4])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	CU_ASSERT_EQUAL(memcmp(ip, prefix, 12), 0);
	CU_ASSERT_EQUAL(memcmp(ip + 12, v4, 4), 0);
}

/* ---- Ethernet ---- */

static void
test_l2_shorter_than_header_is_l2_short(void)
{
	build_v4_udp(frame);
	for (uint32_t len = 0; len < DP_ETH_HLEN; len++)
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_SHORT);
}

static void
test_l2_foreign_unicast_mac_is_not_ours(void)
{
	uint32_t len = build_v4_udp(frame);

	memcpy(frame, other_mac, 6);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	len = build_v6_udp(frame, our_v6);
	memcpy(frame, other_mac, 6);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	len = build_arp(frame, other_mac, 1, bcast_mac, our_v4);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	/* Not for us decides before the ethertype. */
	put16(frame + 12, 0x8100);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
}

static void
test_l2_broadcast_only_for_arp(void)
{
	uint32_t len = build_v4_udp(frame);

	memcpy(frame, bcast_mac, 6);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	len = build_v6(frame, bcast_mac, all_nodes, DP_IPPROTO_ICMPV6, rtp12, 8);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	len = build_arp(frame, bcast_mac, 1, bcast_mac, our_v4);
	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_ARP);
	put16(frame + 12, 0x88cc);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
}

static void
test_l2_ipv6_multicast_mac_only_for_ipv6(void)
{
	uint32_t len = build_v6(frame, mcast6_mac, all_nodes, DP_IPPROTO_ICMPV6, rtp12, 8);

	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_ICMP6);
	len = build_v4_udp(frame);
	memcpy(frame, mcast6_mac, 6);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	len = build_arp(frame, mcast6_mac, 1, bcast_mac, our_v4);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
	/* 01:00:5e IPv4 multicast is not accepted for IPv6. */
	len = build_v6(frame, mcast6_mac, all_nodes, DP_IPPROTO_ICMPV6, rtp12, 8);
	frame[0] = 0x01;
	frame[1] = 0x00;
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_NOT_OURS);
}

static void
test_l2_vlan_and_other_ethertypes_to_us_are_ethertype(void)
{
	static const uint16_t types[] = { 0x8100, 0x88a8, 0x88cc, 0x8035, 0x0000, 0xffff };
	uint32_t len = build_v4_udp(frame);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		put16(frame + 12, types[i]);
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_L2_ETHERTYPE);
	}
	CU_ASSERT_EQUAL(parse_rc(frame, DP_ETH_HLEN), -DP_DROP_L2_ETHERTYPE);
}

/* ---- ARP ---- */

static void
test_arp_request_for_our_ipv4_is_arp(void)
{
	struct dp_pkt_info pi;
	uint32_t len = build_arp(frame, bcast_mac, 1, bcast_mac, our_v4);

	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_ARP);
	CU_ASSERT_EQUAL(pi.ethertype, DP_ETHERTYPE_ARP);
	CU_ASSERT_EQUAL(pi.l3_off, 14);
	/* Unicast to our MAC too (a cache refresh). */
	memcpy(frame, our_mac, 6);
	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_ARP);
}

static void
test_arp_request_for_other_ipv4_is_not_ours(void)
{
	static const uint8_t other_v4[4] = { 192, 0, 2, 2 };
	uint32_t len = build_arp(frame, bcast_mac, 1, bcast_mac, other_v4);

	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_ARP_NOT_OURS);
	/* A request naming our MAC but another IP is still not ours. */
	len = build_arp(frame, bcast_mac, 1, our_mac, other_v4);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_ARP_NOT_OURS);
}

static void
test_arp_reply_to_our_mac_is_arp(void)
{
	static const uint8_t any_v4[4] = { 10, 0, 0, 1 };
	uint32_t len = build_arp(frame, our_mac, 2, our_mac, any_v4);

	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_ARP);
}

static void
test_arp_reply_to_other_mac_is_not_ours(void)
{
	uint32_t len = build_arp(frame, bcast_mac, 2, other_mac, our_v4);

	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_ARP_NOT_OURS);
}

static void
test_arp_on_port_without_ipv4_is_not_ours(void)
{
	struct dp_port_addrs pa;
	struct dp_pkt_info pi;
	uint32_t len;

	port_init(&pa, false, true);
	len = build_arp(frame, bcast_mac, 1, bcast_mac, our_v4);
	CU_ASSERT_EQUAL(parse_on(frame, len, &pa, &pi), -DP_DROP_ARP_NOT_OURS);
	len = build_arp(frame, our_mac, 2, our_mac, our_v4);
	CU_ASSERT_EQUAL(parse_on(frame, len, &pa, &pi), -DP_DROP_ARP_NOT_OURS);
}

static void
test_arp_every_truncation(void)
{
	uint32_t full = build_arp(frame, bcast_mac, 1, bcast_mac, our_v4);

	CU_ASSERT_EQUAL(full, 42);
	for (uint32_t len = 0; len <= full; len++) {
		int want = len < 14 ? -DP_DROP_L2_SHORT : len < full ? -DP_DROP_ARP_BAD : DP_PKT_ARP;

		CU_ASSERT_EQUAL(parse_rc(frame, len), want);
	}
	/* Ethernet padding after the 28 ARP bytes is ignored. */
	memset(frame + full, 0, 18);
	CU_ASSERT_EQUAL(parse_rc(frame, 60), DP_PKT_ARP);
}

static void
test_arp_bad_fields_are_arp_bad(void)
{
	/* offset in the ARP header, 16-bit value */
	static const struct {
		unsigned int off;
		uint16_t v;
		bool wide;
	} bad[] = {
		{ 0, 6, true },          /* htype IEEE 802 */
		{ 2, 0x86dd, true },     /* ptype */
		{ 4, 8, false },         /* hlen */
		{ 5, 16, false },        /* plen */
		{ 6, 0, true },          /* op */
		{ 6, 3, true },          /* op RARP */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t len = build_arp(frame, bcast_mac, 1, bcast_mac, our_v4);

		if (bad[i].wide)
			put16(frame + 14 + bad[i].off, bad[i].v);
		else
			frame[14 + bad[i].off] = (uint8_t)bad[i].v;
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_ARP_BAD);
	}
}

static void
test_arp_parse_fills_fields(void)
{
	struct dp_arp_info ai;
	uint32_t len = build_arp(frame, bcast_mac, 2, our_mac, our_v4);

	memset(&ai, 0xaa, sizeof(ai));
	CU_ASSERT_EQUAL(dp_arp_parse(exact(frame, len), len, &ai), 0);
	CU_ASSERT_EQUAL(ai.op, 2);
	CU_ASSERT_EQUAL(memcmp(ai.sha, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(ai.spa, peer_v4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(ai.tha, our_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(ai.tpa, our_v4, 4), 0);
	for (uint32_t l = 0; l < len; l++)
		CU_ASSERT_EQUAL(dp_arp_parse(exact(frame, l), l, &ai), -DP_DROP_ARP_BAD);
}

/* ---- IPv4 ---- */

static void
test_ipv4_udp_fills_every_field(void)
{
	struct dp_pkt_info pi;
	uint32_t len = build_v4_udp(frame);

	memset(&pi, 0xaa, sizeof(pi));
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.family, 4);
	CU_ASSERT_EQUAL(pi.l4proto, DP_IPPROTO_UDP);
	CU_ASSERT_EQUAL(pi.ethertype, DP_ETHERTYPE_IPV4);
	CU_ASSERT_EQUAL(pi.l3_off, 14);
	CU_ASSERT_EQUAL(pi.l4_off, 34);
	CU_ASSERT_EQUAL(pi.l4_len, 20);
	CU_ASSERT_EQUAL(pi.payload_off, 42);
	CU_ASSERT_EQUAL(pi.payload_len, 12);
	expect_mapped(pi.src_ip, peer_v4);
	expect_mapped(pi.dst_ip, our_v4);
	CU_ASSERT_EQUAL(pi.src_port, 5004);
	CU_ASSERT_EQUAL(pi.dst_port, 40000);
	CU_ASSERT_FALSE(pi.dst_multicast);
}

static void
test_ipv4_udp_every_truncation(void)
{
	uint32_t full = build_v4_udp(frame);

	for (uint32_t len = 0; len <= full; len++) {
		int want = len < 14 ? -DP_DROP_L2_SHORT : len < full ? -DP_DROP_IP_BAD_HDR : DP_PKT_UDP;

		CU_ASSERT_EQUAL(parse_rc(frame, len), want);
	}
}

/* Total length and frame cut together (checksum fixed): the UDP checks take over. */
static void
test_ipv4_udp_every_consistent_truncation(void)
{
	uint32_t full = build_v4_udp(frame);

	for (uint32_t tot = 0; tot <= full - 14; tot++) {
		int want = tot < 20 ? -DP_DROP_IP_BAD_HDR :
			   tot < full - 14 ? -DP_DROP_UDP_BAD_LEN : DP_PKT_UDP;

		build_v4_udp(frame);
		put16(frame + 16, (uint16_t)tot);
		v4_fix_csum(frame);
		CU_ASSERT_EQUAL(parse_rc(frame, 14 + tot), want);
	}
}

static void
test_ipv4_bad_version_is_bad_header(void)
{
	static const uint8_t b0[] = { 0x05, 0x35, 0x55, 0x65, 0xf5 };

	for (size_t i = 0; i < sizeof(b0); i++) {
		uint32_t len = build_v4_udp(frame);

		frame[14] = b0[i];
		v4_fix_csum(frame);
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
	}
}

static void
test_ipv4_ihl_below_5_is_bad_header(void)
{
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		uint32_t len = build_v4_udp(frame);

		frame[14] = (uint8_t)(0x40 | ihl);
		put16(frame + 24, 0);
		put16(frame + 24, ref_csum(frame + 14, 20));
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
	}
}

static void
test_ipv4_options_move_l4(void)
{
	struct dp_pkt_info pi;
	uint8_t udp[64];
	uint16_t ulen = build_udp(udp, rtp12, sizeof(rtp12));
	uint8_t *ip = frame + 14;
	uint32_t len;

	build_v4(frame, DP_IPPROTO_UDP, udp, ulen);
	ip[0] = 0x46;
	put16(ip + 2, (uint16_t)(24 + ulen));
	memset(ip + 20, 0x01, 4);               /* four NOP options */
	memcpy(ip + 24, udp, ulen);
	v4_fix_csum(frame);
	len = 14 + 24 + ulen;
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.l4_off, 38);
	CU_ASSERT_EQUAL(pi.payload_off, 46);
	CU_ASSERT_EQUAL(pi.payload_len, 12);
}

static void
test_ipv4_header_longer_than_total_is_bad_header(void)
{
	uint32_t len = build_v4_udp(frame);

	/* IHL 15 = 60 bytes, total length 40, frame holds 60. */
	memset(frame + len, 0, 40);
	frame[14] = 0x4f;
	put16(frame + 16, 40);
	v4_fix_csum(frame);
	CU_ASSERT_EQUAL(parse_rc(frame, 14 + 60), -DP_DROP_IP_BAD_HDR);
}

static void
test_ipv4_total_length_beyond_frame_is_bad_header(void)
{
	uint32_t len = build_v4_udp(frame);

	put16(frame + 16, (uint16_t)(len - 14 + 1));
	v4_fix_csum(frame);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
	put16(frame + 16, 0xffff);
	v4_fix_csum(frame);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
}

static void
test_ipv4_bad_checksum_is_bad_csum(void)
{
	uint32_t len = build_v4_udp(frame);

	frame[14 + 11] ^= 0x01;
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_CSUM);
	build_v4_udp(frame);
	frame[14 + 8] = 63;                     /* TTL changed, checksum not */
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_CSUM);
}

static void
test_ipv4_fragments_are_dropped(void)
{
	static const uint16_t frag[] = { 0x2000, 0x6000, 0x0001, 0x1fff, 0x2001, 0x4001 };
	uint32_t len;

	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		len = build_v4_udp(frame);
		put16(frame + 20, frag[i]);
		v4_fix_csum(frame);
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_FRAGMENT);
	}
	/* DF alone and no flags are fine. */
	len = build_v4_udp(frame);
	put16(frame + 20, 0);
	v4_fix_csum(frame);
	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_UDP);
}

static void
test_ipv4_other_destinations_are_not_ours(void)
{
	static const uint8_t dsts[][4] = {
		{ 192, 0, 2, 2 }, { 255, 255, 255, 255 }, { 192, 0, 2, 255 }, { 224, 0, 0, 1 },
		{ 0, 0, 0, 0 },
	};
	struct dp_port_addrs pa;
	struct dp_pkt_info pi;
	uint32_t len;

	for (size_t i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		len = build_v4_udp(frame);
		memcpy(frame + 30, dsts[i], 4);
		v4_fix_csum(frame);
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_NOT_OURS);
	}
	port_init(&pa, false, true);
	len = build_v4_udp(frame);
	CU_ASSERT_EQUAL(parse_on(frame, len, &pa, &pi), -DP_DROP_IP_NOT_OURS);
}

static void
test_ipv4_ethernet_padding_is_ignored(void)
{
	struct dp_pkt_info pi;
	uint8_t udp[16];
	uint32_t len = build_v4(frame, DP_IPPROTO_UDP, udp, build_udp(udp, rtp12, 2));

	CU_ASSERT_EQUAL(len, 44);
	memset(frame + len, 0xee, 60 - len);
	CU_ASSERT_EQUAL(parse(frame, 60, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.l4_len, 10);
	CU_ASSERT_EQUAL(pi.payload_len, 2);
	CU_ASSERT_EQUAL(pi.payload_off, 42);
}

static void
test_ipv4_udp_length_field_bounds(void)
{
	struct dp_pkt_info pi;
	uint32_t len;

	for (uint16_t ulen = 0; ulen < 8; ulen++) {
		len = build_v4_udp(frame);
		put16(frame + 38, ulen);
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_UDP_BAD_LEN);
	}
	/* One more than the IP payload, even with Ethernet padding after it. */
	len = build_v4_udp(frame);
	put16(frame + 38, 21);
	memset(frame + len, 0, 8);
	CU_ASSERT_EQUAL(parse_rc(frame, len + 8), -DP_DROP_UDP_BAD_LEN);
	/* Exactly the IP payload. */
	put16(frame + 38, 20);
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.payload_len, 12);
	/* Shorter than the IP payload: the UDP length wins. */
	put16(frame + 38, 8);
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.l4_len, 8);
	CU_ASSERT_EQUAL(pi.payload_len, 0);
}

static void
test_ipv4_icmp_is_icmp4(void)
{
	static const uint8_t echo[12] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
	struct dp_pkt_info pi;
	uint32_t len = build_v4(frame, DP_IPPROTO_ICMP, echo, sizeof(echo));

	memset(frame + len, 0, 60 - len);       /* padding does not count */
	CU_ASSERT_EQUAL(parse(frame, 60, &pi), DP_PKT_ICMP4);
	CU_ASSERT_EQUAL(pi.family, 4);
	CU_ASSERT_EQUAL(pi.l4proto, DP_IPPROTO_ICMP);
	CU_ASSERT_EQUAL(pi.l4_off, 34);
	CU_ASSERT_EQUAL(pi.l4_len, 12);
	expect_mapped(pi.src_ip, peer_v4);
	expect_mapped(pi.dst_ip, our_v4);
}

static void
test_ipv4_icmp_shorter_than_8_is_icmp_bad(void)
{
	static const uint8_t echo[8] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 };

	for (uint16_t n = 0; n <= 8; n++) {
		uint32_t len = build_v4(frame, DP_IPPROTO_ICMP, echo, n);

		CU_ASSERT_EQUAL(parse_rc(frame, len), n < 8 ? -DP_DROP_ICMP_BAD : DP_PKT_ICMP4);
	}
}

static void
test_ipv4_other_protocols_are_ip_proto(void)
{
	static const uint8_t protos[] = { 0, 2, 6, 41, 47, 50, 132, 255 };

	for (size_t i = 0; i < sizeof(protos); i++) {
		uint32_t len = build_v4(frame, protos[i], rtp12, sizeof(rtp12));

		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_PROTO);
	}
}

/* ---- IPv6 ---- */

static void
test_ipv6_udp_fills_every_field(void)
{
	struct dp_pkt_info pi;
	uint32_t len = build_v6_udp(frame, our_v6);

	memset(&pi, 0xaa, sizeof(pi));
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.family, 6);
	CU_ASSERT_EQUAL(pi.l4proto, DP_IPPROTO_UDP);
	CU_ASSERT_EQUAL(pi.ethertype, DP_ETHERTYPE_IPV6);
	CU_ASSERT_EQUAL(pi.l3_off, 14);
	CU_ASSERT_EQUAL(pi.l4_off, 54);
	CU_ASSERT_EQUAL(pi.l4_len, 20);
	CU_ASSERT_EQUAL(pi.payload_off, 62);
	CU_ASSERT_EQUAL(pi.payload_len, 12);
	CU_ASSERT_EQUAL(memcmp(pi.src_ip, peer_v6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(pi.dst_ip, our_v6, 16), 0);
	CU_ASSERT_EQUAL(pi.src_port, 5004);
	CU_ASSERT_EQUAL(pi.dst_port, 40000);
	CU_ASSERT_FALSE(pi.dst_multicast);
}

static void
test_ipv6_udp_every_truncation(void)
{
	uint32_t full = build_v6_udp(frame, our_v6);

	for (uint32_t len = 0; len <= full; len++) {
		int want = len < 14 ? -DP_DROP_L2_SHORT : len < full ? -DP_DROP_IP_BAD_HDR : DP_PKT_UDP;

		CU_ASSERT_EQUAL(parse_rc(frame, len), want);
	}
}

static void
test_ipv6_udp_every_consistent_truncation(void)
{
	uint32_t full = build_v6_udp(frame, our_v6);

	for (uint32_t plen = 0; plen <= full - 54; plen++) {
		build_v6_udp(frame, our_v6);
		put16(frame + 18, (uint16_t)plen);
		CU_ASSERT_EQUAL(parse_rc(frame, 54 + plen),
				plen < full - 54 ? -DP_DROP_UDP_BAD_LEN : DP_PKT_UDP);
	}
}

static void
test_ipv6_bad_version_is_bad_header(void)
{
	static const uint8_t b0[] = { 0x00, 0x40, 0x45, 0x70, 0xe0 };
	uint32_t len;

	for (size_t i = 0; i < sizeof(b0); i++) {
		len = build_v6_udp(frame, our_v6);

		frame[14] = b0[i];
		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
	}
	/* Traffic class and flow label do not matter. */
	len = build_v6_udp(frame, our_v6);
	frame[14] = 0x6f;
	memset(frame + 15, 0xff, 3);
	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_UDP);
}

static void
test_ipv6_payload_length_beyond_frame_is_bad_header(void)
{
	uint32_t len = build_v6_udp(frame, our_v6);

	put16(frame + 18, (uint16_t)(len - 54 + 1));
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
	put16(frame + 18, 0xffff);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_BAD_HDR);
}

static void
test_ipv6_ethernet_padding_is_ignored(void)
{
	struct dp_pkt_info pi;
	uint8_t udp[16];
	uint32_t len = build_v6(frame, our_mac, our_v6, DP_IPPROTO_UDP, udp,
				build_udp(udp, rtp12, 2));

	memset(frame + len, 0xee, 80 - len);
	CU_ASSERT_EQUAL(parse(frame, 80, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(pi.l4_len, 10);
	CU_ASSERT_EQUAL(pi.payload_len, 2);
}

static void
test_ipv6_link_local_destination_is_ours(void)
{
	struct dp_pkt_info pi;
	uint32_t len = build_v6_udp(frame, our_v6_ll);

	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_UDP);
	CU_ASSERT_EQUAL(memcmp(pi.dst_ip, our_v6_ll, 16), 0);
	CU_ASSERT_FALSE(pi.dst_multicast);
}

static void
test_ipv6_multicast_mac_with_our_unicast_is_accepted(void)
{
	uint32_t len = build_v6_udp(frame, our_v6);

	memcpy(frame, snm6_mac, 6);
	CU_ASSERT_EQUAL(parse_rc(frame, len), DP_PKT_UDP);
}

static void
test_ipv6_other_destinations_are_not_ours(void)
{
	static const uint8_t other_ll[16] = {
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x56
	};
	static const uint8_t ff02_2[16] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
	};
	static const uint8_t ff05_1[16] = {
		0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
	};
	struct dp_port_addrs pa;
	struct dp_pkt_info pi;
	uint32_t len;

	CU_ASSERT_EQUAL(parse_rc(frame, build_v6_udp(frame, peer_v6)), -DP_DROP_IP_NOT_OURS);
	CU_ASSERT_EQUAL(parse_rc(frame, build_v6_udp(frame, other_ll)), -DP_DROP_IP_NOT_OURS);
	len = build_v6(frame, mcast6_mac, ff02_2, DP_IPPROTO_ICMPV6, rtp12, 8);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_NOT_OURS);
	len = build_v6(frame, mcast6_mac, ff05_1, DP_IPPROTO_ICMPV6, rtp12, 8);
	CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_NOT_OURS);
	/* No IPv6 on the port: nothing is ours, not even the link-local. */
	port_init(&pa, true, false);
	len = build_v6_udp(frame, our_v6);
	CU_ASSERT_EQUAL(parse_on(frame, len, &pa, &pi), -DP_DROP_IP_NOT_OURS);
	len = build_v6_udp(frame, our_v6_ll);
	CU_ASSERT_EQUAL(parse_on(frame, len, &pa, &pi), -DP_DROP_IP_NOT_OURS);
	len = build_ns(frame, snm6_mac, snm_global, our_v6);
	CU_ASSERT_EQUAL(parse_on(frame, len, &pa, &pi), -DP_DROP_IP_NOT_OURS);
}

static void
test_ipv6_extension_headers_are_dropped(void)
{
	static const uint8_t ext[] = { 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 };

	for (size_t i = 0; i < sizeof(ext); i++) {
		uint32_t len = build_v6(frame, our_mac, our_v6, ext[i], rtp12, sizeof(rtp12));

		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP6_EXT_HDR);
	}
}

static void
test_ipv6_other_next_headers_are_ip_proto(void)
{
	static const uint8_t nh[] = { 6, 41, 59, 132, 255, 1 };

	for (size_t i = 0; i < sizeof(nh); i++) {
		uint32_t len = build_v6(frame, our_mac, our_v6, nh[i], rtp12, sizeof(rtp12));

		CU_ASSERT_EQUAL(parse_rc(frame, len), -DP_DROP_IP_PROTO);
	}
}

static void
test_ipv6_icmp6_to_all_nodes_is_multicast(void)
{
	struct dp_pkt_info pi;
	uint32_t len = build_v6(frame, mcast6_mac, all_nodes, DP_IPPROTO_ICMPV6, rtp12, 8);

	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_ICMP6);
	CU_ASSERT_TRUE(pi.dst_multicast);
	CU_ASSERT_EQUAL(pi.family, 6);
	CU_ASSERT_EQUAL(pi.l4proto, DP_IPPROTO_ICMPV6);
	CU_ASSERT_EQUAL(pi.l4_off, 54);
	CU_ASSERT_EQUAL(pi.l4_len, 8);
	CU_ASSERT_EQUAL(memcmp(pi.dst_ip, all_nodes, 16), 0);
}

static void
test_ipv6_udp_to_multicast_is_not_ours(void)
{
	uint8_t udp[32];
	uint16_t ulen = build_udp(udp, rtp12, 4);

	CU_ASSERT_EQUAL(parse_rc(frame, build_v6(frame, mcast6_mac, all_nodes, DP_IPPROTO_UDP,
						 udp, ulen)), -DP_DROP_IP_NOT_OURS);
	CU_ASSERT_EQUAL(parse_rc(frame, build_v6(frame, snm6_mac, snm_global, DP_IPPROTO_UDP,
						 udp, ulen)), -DP_DROP_IP_NOT_OURS);
}

static void
test_ipv6_ns_to_our_solicited_node_is_icmp6(void)
{
	struct dp_pkt_info pi;
	uint32_t len = build_ns(frame, snm6_mac, snm_global, our_v6);

	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_ICMP6);
	CU_ASSERT_TRUE(pi.dst_multicast);
	CU_ASSERT_EQUAL(pi.l4_len, 24);
	CU_ASSERT_EQUAL(memcmp(pi.dst_ip, snm_global, 16), 0);
	len = build_ns(frame, mcast6_mac, snm_ll, our_v6_ll);
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_ICMP6);
	CU_ASSERT_TRUE(pi.dst_multicast);
	/* Unicast NS (reachability probe) to our link-local. */
	len = build_ns(frame, our_mac, our_v6_ll, our_v6_ll);
	CU_ASSERT_EQUAL(parse(frame, len, &pi), DP_PKT_ICMP6);
	CU_ASSERT_FALSE(pi.dst_multicast);
}

static void
test_ipv6_ns_to_other_solicited_node_is_not_ours(void)
{
	static const uint8_t snm_other[16] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0xab, 0xcd, 0xee
	};
	static const uint8_t snm_other_hi[16] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0xaa, 0xcd, 0xef
	};
	/* Our low 24 bits, but not the solicited-node prefix. */
	static const uint8_t snm_bad_prefix[16] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0xff, 0xab, 0xcd, 0xef
	};
	static const uint8_t snm_bad_ff[16] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xfe, 0xab, 0xcd, 0xef
	};

	CU_ASSERT_EQUAL(parse_rc(frame, build_ns(frame, snm6_mac, snm_other, peer_v6)),
			-DP_DROP_IP_NOT_OURS);
	CU_ASSERT_EQUAL(parse_rc(frame, build_ns(frame, snm6_mac, snm_other_hi, peer_v6)),
			-DP_DROP_IP_NOT_OURS);
	CU_ASSERT_EQUAL(parse_rc(frame, build_ns(frame, snm6_mac, snm_bad_prefix, our_v6)),
			-DP_DROP_IP_NOT_OURS);
	CU_ASSERT_EQUAL(parse_rc(frame, build_ns(frame, snm6_mac, snm_bad_ff, our_v6)),
			-DP_DROP_IP_NOT_OURS);
}

static void
test_ipv6_icmp6_shorter_than_4_is_icmp_bad(void)
{
	for (uint16_t n = 0; n <= 4; n++) {
		uint32_t len = build_v6(frame, our_mac, our_v6, DP_IPPROTO_ICMPV6, rtp12, n);

		CU_ASSERT_EQUAL(parse_rc(frame, len), n < 4 ? -DP_DROP_ICMP_BAD : DP_PKT_ICMP6);
	}
}

static void
test_ipv6_ns_every_truncation(void)
{
	uint32_t full = build_ns(frame, snm6_mac, snm_global, our_v6);

	for (uint32_t len = 0; len <= full; len++) {
		int want = len < 14 ? -DP_DROP_L2_SHORT : len < full ? -DP_DROP_IP_BAD_HDR :
			   DP_PKT_ICMP6;

		CU_ASSERT_EQUAL(parse_rc(frame, len), want);
	}
}

/* ---- demux ---- */

static enum dp_demux
demux(const uint8_t *p, uint32_t len)
{
	return dp_demux(exact(p, len), len);
}

static void
test_demux_every_first_byte(void)
{
	for (unsigned int b = 0; b < 256; b++) {
		uint8_t p[2] = { (uint8_t)b, 0 };
		enum dp_demux want = DP_DEMUX_UNKNOWN;

		if (b <= 3)
			want = DP_DEMUX_STUN;
		else if (b >= 20 && b <= 63)
			want = DP_DEMUX_DTLS;
		else if (b >= 128 && b <= 191)
			want = DP_DEMUX_RTP;
		CU_ASSERT_EQUAL(demux(p, 2), want);
		/* With an RTCP type in the second byte only 128..191 changes. */
		p[1] = 200;
		if (want == DP_DEMUX_RTP)
			want = DP_DEMUX_RTCP;
		CU_ASSERT_EQUAL(demux(p, 2), want);
	}
}

static void
test_demux_rtp_or_rtcp_by_second_byte(void)
{
	for (unsigned int b = 0; b < 256; b++) {
		uint8_t p[2] = { 0x80, (uint8_t)b };

		CU_ASSERT_EQUAL(demux(p, 2), (b >= 192 && b <= 223) ? DP_DEMUX_RTCP : DP_DEMUX_RTP);
		p[0] = 0xbf;
		CU_ASSERT_EQUAL(demux(p, 2), (b >= 192 && b <= 223) ? DP_DEMUX_RTCP : DP_DEMUX_RTP);
	}
	CU_ASSERT_EQUAL(demux((const uint8_t[]){ 0x80, 191 }, 2), DP_DEMUX_RTP);
	CU_ASSERT_EQUAL(demux((const uint8_t[]){ 0x80, 192 }, 2), DP_DEMUX_RTCP);
	CU_ASSERT_EQUAL(demux((const uint8_t[]){ 0x80, 223 }, 2), DP_DEMUX_RTCP);
	CU_ASSERT_EQUAL(demux((const uint8_t[]){ 0x80, 224 }, 2), DP_DEMUX_RTP);
}

static void
test_demux_shorter_than_2_is_unknown(void)
{
	static const uint8_t firsts[] = { 0x00, 0x03, 0x16, 0x80, 0x90, 0xff };

	CU_ASSERT_EQUAL(demux(firsts, 0), DP_DEMUX_UNKNOWN);
	for (size_t i = 0; i < sizeof(firsts); i++)
		CU_ASSERT_EQUAL(demux(firsts + i, 1), DP_DEMUX_UNKNOWN);
}

/* ---- RTP ---- */

static int
rtp(const uint8_t *p, uint32_t len, struct dp_rtp_info *ri)
{
	return dp_rtp_parse(exact(p, len), len, ri);
}

static void
test_rtp_fills_every_field(void)
{
	static const uint8_t p[16] = {
		0xa0, 0xef, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 1, 2, 3, 4
	};
	struct dp_rtp_info ri;

	memset(&ri, 0xaa, sizeof(ri));
	CU_ASSERT_EQUAL(rtp(p, sizeof(p), &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 12);
	CU_ASSERT_EQUAL(ri.seq, 0xbeef);
	CU_ASSERT_EQUAL(ri.pt, 111);
	CU_ASSERT_TRUE(ri.marker);
	CU_ASSERT_TRUE(ri.padding);
	CU_ASSERT_EQUAL(ri.ts, 0xdeadbeef);
	CU_ASSERT_EQUAL(ri.ssrc, 0x01020304);
	memcpy(frame, p, sizeof(p));
	frame[0] = 0x80;
	frame[1] = 0x00;
	CU_ASSERT_EQUAL(rtp(frame, 12, &ri), 0);
	CU_ASSERT_FALSE(ri.marker);
	CU_ASSERT_FALSE(ri.padding);
	CU_ASSERT_EQUAL(ri.pt, 0);
}

static void
test_rtp_lengths_0_to_12(void)
{
	struct dp_rtp_info ri;

	for (uint32_t len = 0; len <= 12; len++)
		CU_ASSERT_EQUAL(rtp(rtp12, len, &ri), len < 12 ? -DP_DROP_RTP_BAD_HDR : 0);
}

static void
test_rtp_bad_version(void)
{
	static const uint8_t b0[] = { 0x00, 0x40, 0xc0, 0x3f };
	struct dp_rtp_info ri;

	for (size_t i = 0; i < sizeof(b0); i++) {
		memcpy(frame, rtp12, 12);
		frame[0] = b0[i];
		CU_ASSERT_EQUAL(rtp(frame, 12, &ri), -DP_DROP_RTP_BAD_HDR);
	}
}

static void
test_rtp_cc15_needs_72_bytes(void)
{
	struct dp_rtp_info ri;

	memset(frame, 0x5a, 80);
	memcpy(frame, rtp12, 12);
	frame[0] = 0x8f;
	for (uint32_t len = 12; len < 72; len++)
		CU_ASSERT_EQUAL(rtp(frame, len, &ri), -DP_DROP_RTP_BAD_HDR);
	CU_ASSERT_EQUAL(rtp(frame, 72, &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 72);
	CU_ASSERT_EQUAL(rtp(frame, 80, &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 72);
}

static void
test_rtp_extension_beyond_end(void)
{
	struct dp_rtp_info ri;

	/* X, no CSRC, one-byte profile, 2 words of extension: header is 24 bytes. */
	memset(frame, 0, 40);
	memcpy(frame, rtp12, 12);
	frame[0] = 0x90;
	put16(frame + 12, 0xbede);
	put16(frame + 14, 2);
	for (uint32_t len = 0; len < 24; len++)
		CU_ASSERT_EQUAL(rtp(frame, len, &ri), -DP_DROP_RTP_BAD_HDR);
	CU_ASSERT_EQUAL(rtp(frame, 24, &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 24);
	CU_ASSERT_EQUAL(rtp(frame, 40, &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 24);
	put16(frame + 14, 0xffff);
	CU_ASSERT_EQUAL(rtp(frame, 40, &ri), -DP_DROP_RTP_BAD_HDR);
}

static void
test_rtp_extension_after_csrcs_exactly_fitting(void)
{
	struct dp_rtp_info ri;

	/* X, CC 2, two-byte profile 0x1000, 1 word: 12 + 8 + 4 + 4 = 28. */
	memset(frame, 0, 40);
	memcpy(frame, rtp12, 12);
	frame[0] = 0x92;
	put16(frame + 20, 0x1000);
	put16(frame + 22, 1);
	CU_ASSERT_EQUAL(rtp(frame, 27, &ri), -DP_DROP_RTP_BAD_HDR);
	CU_ASSERT_EQUAL(rtp(frame, 28, &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 28);
	/* Extension header itself cut: CSRCs fit, the 4 extension bytes do not. */
	for (uint32_t len = 20; len < 24; len++)
		CU_ASSERT_EQUAL(rtp(frame, len, &ri), -DP_DROP_RTP_BAD_HDR);
	/* Zero-length extension. */
	put16(frame + 22, 0);
	CU_ASSERT_EQUAL(rtp(frame, 24, &ri), 0);
	CU_ASSERT_EQUAL(ri.hdr_len, 24);
}

/* ---- RTCP ---- */

static int
sender(const uint8_t *p, uint32_t len, uint32_t *ssrc)
{
	return dp_rtcp_sender_ssrc(exact(p, len), len, ssrc);
}

static int
route(const uint8_t *p, uint32_t len, struct dp_rtcp_route *rt)
{
	return dp_rtcp_route(exact(p, len), len, rt);
}

static uint32_t
rtcp_hdr(uint8_t *p, uint8_t count, uint8_t pt, uint32_t bytes)
{
	p[0] = (uint8_t)(0x80 | count);
	p[1] = pt;
	put16(p + 2, (uint16_t)(bytes / 4 - 1));
	return bytes;
}

static uint32_t
build_sr(uint8_t *p, uint32_t ssrc, uint8_t rc, const uint32_t *reports)
{
	uint32_t n = 28 + 24 * (uint32_t)rc;

	memset(p, 0, n);
	put32(p + 4, ssrc);
	put32(p + 8, 0xe1234567);               /* NTP, RTP ts, counts: any */
	for (uint8_t i = 0; i < rc; i++)
		put32(p + 28 + 24 * i, reports[i]);
	return rtcp_hdr(p, rc, 200, n);
}

static uint32_t
build_rr(uint8_t *p, uint32_t ssrc, uint8_t rc, const uint32_t *reports)
{
	uint32_t n = 8 + 24 * (uint32_t)rc;

	memset(p, 0, n);
	put32(p + 4, ssrc);
	for (uint8_t i = 0; i < rc; i++) {
		put32(p + 8 + 24 * i, reports[i]);
		put32(p + 8 + 24 * i + 4, 0x01000010); /* loss, highest seq: not SSRCs */
	}
	return rtcp_hdr(p, rc, 201, n);
}

static uint32_t
build_sdes(uint8_t *p, uint32_t ssrc)
{
	memset(p, 0, 16);
	put32(p + 4, ssrc);
	p[8] = 1;                               /* CNAME */
	p[9] = 4;
	memcpy(p + 10, "abcd", 4);
	return rtcp_hdr(p, 1, 202, 16);         /* END and padding to 32 bits */
}

static uint32_t
build_fb(uint8_t *p, uint8_t pt, uint8_t fmt, uint32_t ssrc, uint32_t media, uint32_t fci_len)
{
	memset(p, 0, 12 + fci_len);
	put32(p + 4, ssrc);
	put32(p + 8, media);
	return rtcp_hdr(p, fmt, pt, 12 + fci_len);
}

static uint32_t
build_fir(uint8_t *p, uint32_t ssrc, unsigned int n, const uint32_t *targets)
{
	uint32_t len = build_fb(p, 206, 4, ssrc, 0, 8 * n);

	for (unsigned int i = 0; i < n; i++) {
		put32(p + 12 + 8 * i, targets[i]);
		p[12 + 8 * i + 4] = (uint8_t)i; /* seq nr */
	}
	return len;
}

static uint32_t
build_remb(uint8_t *p, uint32_t ssrc, uint8_t num, unsigned int have, const uint32_t *ssrcs)
{
	uint32_t len = build_fb(p, 206, 15, ssrc, 0, 8 + 4 * have);

	memcpy(p + 12, "REMB", 4);
	p[16] = num;
	p[17] = 0x0b;                           /* exponent and mantissa: any */
	for (unsigned int i = 0; i < have; i++)
		put32(p + 20 + 4 * i, ssrcs[i]);
	return len;
}

static void
test_rtcp_sender_ssrc_bounds(void)
{
	static const uint8_t p[8] = { 0x81, 201, 0, 1, 0xca, 0xfe, 0xba, 0xbe };
	uint8_t q[8];
	uint32_t ssrc = 0;

	for (uint32_t len = 0; len < 8; len++)
		CU_ASSERT_EQUAL(sender(p, len, &ssrc), -DP_DROP_RTCP_BAD_HDR);
	CU_ASSERT_EQUAL(sender(p, 8, &ssrc), 0);
	CU_ASSERT_EQUAL(ssrc, 0xcafebabe);
	memcpy(q, p, 8);
	q[0] = 0x41;
	CU_ASSERT_EQUAL(sender(q, 8, &ssrc), -DP_DROP_RTCP_BAD_HDR);
	q[0] = 0xc1;
	CU_ASSERT_EQUAL(sender(q, 8, &ssrc), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_sr_sdes_pli_routes_to_all_and_pli_target(void)
{
	static const uint32_t reports[1] = { 0xa0a0a0a0 };
	struct dp_rtcp_route rt;
	uint32_t n = 0;

	n += build_sr(frame + n, 0x11111111, 1, reports);
	n += build_sdes(frame + n, 0x11111111);
	n += build_fb(frame + n, 206, 1, 0x11111111, 0xb0b0b0b0, 0);
	CU_ASSERT_EQUAL(n, 52 + 16 + 12);
	memset(&rt, 0xaa, sizeof(rt));
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_TRUE(rt.to_all);
	CU_ASSERT_EQUAL(rt.sender_ssrc, 0x11111111);
	CU_ASSERT_EQUAL(rt.n_targets, 2);
	CU_ASSERT_EQUAL(rt.targets[0], 0xa0a0a0a0);
	CU_ASSERT_EQUAL(rt.targets[1], 0xb0b0b0b0);
}

static void
test_rtcp_compound_every_truncation(void)
{
	static const uint32_t reports[1] = { 0xa0a0a0a0 };
	struct dp_rtcp_route rt;
	uint32_t ends[3];
	uint32_t n = 0;

	n += build_sr(frame + n, 0x11111111, 1, reports);
	ends[0] = n;
	n += build_sdes(frame + n, 0x11111111);
	ends[1] = n;
	n += build_fb(frame + n, 206, 1, 0x11111111, 0xb0b0b0b0, 0);
	ends[2] = n;
	for (uint32_t len = 0; len <= n; len++) {
		bool whole = len == ends[0] || len == ends[1] || len == ends[2];

		CU_ASSERT_EQUAL(route(frame, len, &rt), whole ? 0 : -DP_DROP_RTCP_BAD_HDR);
	}
}

static void
test_rtcp_rr_only_routes_to_report_ssrcs(void)
{
	static const uint32_t reports[2] = { 0x0a0a0a0a, 0x0b0b0b0b };
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 2, reports);

	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_FALSE(rt.to_all);
	CU_ASSERT_EQUAL(rt.sender_ssrc, 0x22222222);
	CU_ASSERT_EQUAL(rt.n_targets, 2);
	CU_ASSERT_EQUAL(rt.targets[0], 0x0a0a0a0a);
	CU_ASSERT_EQUAL(rt.targets[1], 0x0b0b0b0b);
	/* An empty RR (nothing received yet) routes nowhere. */
	n = build_rr(frame, 0x22222222, 0, NULL);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_FALSE(rt.to_all);
	CU_ASSERT_EQUAL(rt.n_targets, 0);
}

static void
test_rtcp_length_field_beyond_buffer_is_bad(void)
{
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 0, NULL);

	put16(frame + 2, 2);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	put16(frame + 2, 0xffff);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	/* In the second packet too. */
	n = build_rr(frame, 0x22222222, 0, NULL);
	n += build_sdes(frame + n, 0x22222222);
	put16(frame + 8 + 2, 4);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_report_count_beyond_length_is_bad(void)
{
	static const uint32_t reports[2] = { 1, 2 };
	struct dp_rtcp_route rt;
	uint32_t n;

	n = build_sr(frame, 0x11111111, 1, reports);
	frame[0] = 0x82;                        /* RC 2, one block */
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	n = build_rr(frame, 0x22222222, 0, NULL);
	frame[0] = 0x81;
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	n = build_rr(frame, 0x22222222, 2, reports);
	frame[0] = 0x9f;                        /* RC 31 */
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	/* An SR shorter than its sender info. */
	n = build_sr(frame, 0x11111111, 0, NULL);
	rtcp_hdr(frame, 0, 200, 24);
	CU_ASSERT_EQUAL(route(frame, 24, &rt), -DP_DROP_RTCP_BAD_HDR);
	/* BYE listing more SSRCs than it holds. */
	n = build_rr(frame, 0x22222222, 0, NULL);
	put32(frame + n + 4, 0x22222222);
	n += rtcp_hdr(frame + n, 2, 203, 8);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_feedback_fci_truncated_is_bad(void)
{
	struct dp_rtcp_route rt;
	uint32_t n;

	/* PLI and NACK whose length leaves no media SSRC. */
	n = build_rr(frame, 0x22222222, 0, NULL);
	n += rtcp_hdr(frame + n, 1, 206, 8);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	n = build_rr(frame, 0x22222222, 0, NULL);
	n += rtcp_hdr(frame + n, 1, 205, 8);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	/* As the first and only packet too. */
	n = rtcp_hdr(frame, 1, 206, 8);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_fir_entries_route_and_partial_entry_is_bad(void)
{
	static const uint32_t targets[2] = { 0xf1f1f1f1, 0xf2f2f2f2 };
	struct dp_rtcp_route rt;
	uint32_t n;

	n = build_rr(frame, 0x22222222, 0, NULL);
	n += build_fir(frame + n, 0x22222222, 2, targets);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.n_targets, 2);
	CU_ASSERT_EQUAL(rt.targets[0], 0xf1f1f1f1);
	CU_ASSERT_EQUAL(rt.targets[1], 0xf2f2f2f2);
	/* One entry and half of the next. */
	n = build_rr(frame, 0x22222222, 0, NULL);
	build_fir(frame + n, 0x22222222, 2, targets);
	n += rtcp_hdr(frame + n, 4, 206, 12 + 12);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_remb_routes_and_num_ssrc_beyond_payload_is_bad(void)
{
	static const uint32_t ssrcs[3] = { 0xe1e1e1e1, 0xe2e2e2e2, 0xe3e3e3e3 };
	struct dp_rtcp_route rt;
	uint32_t n;

	n = build_rr(frame, 0x22222222, 0, NULL);
	n += build_remb(frame + n, 0x22222222, 3, 3, ssrcs);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.n_targets, 3);
	CU_ASSERT_EQUAL(rt.targets[2], 0xe3e3e3e3);
	n = build_rr(frame, 0x22222222, 0, NULL);
	n += build_remb(frame + n, 0x22222222, 3, 2, ssrcs);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	n = build_rr(frame, 0x22222222, 0, NULL);
	n += build_remb(frame + n, 0x22222222, 255, 3, ssrcs);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	/* 'REMB' without the num SSRC / bitrate word. */
	n = build_rr(frame, 0x22222222, 0, NULL);
	build_remb(frame + n, 0x22222222, 0, 0, ssrcs);
	n += rtcp_hdr(frame + n, 15, 206, 16);
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_other_afb_routes_to_media_ssrc(void)
{
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 0, NULL);
	uint32_t fb = build_fb(frame + n, 206, 15, 0x22222222, 0xd0d0d0d0, 8);

	memcpy(frame + n + 12, "ABCD", 4);
	n += fb;
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.n_targets, 1);
	CU_ASSERT_EQUAL(rt.targets[0], 0xd0d0d0d0);
}

static void
test_rtcp_feedback_with_zero_media_ssrc_has_no_target(void)
{
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 0, NULL);

	n += build_fb(frame + n, 206, 1, 0x22222222, 0, 0);
	n += build_fb(frame + n, 205, 1, 0x22222222, 0, 4);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.n_targets, 0);
}

static void
test_rtcp_reduced_size_feedback_alone_is_accepted(void)
{
	struct dp_rtcp_route rt;
	uint32_t n = build_fb(frame, 205, 1, 0x33333333, 0xc0c0c0c0, 4);  /* NACK */

	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_FALSE(rt.to_all);
	CU_ASSERT_EQUAL(rt.sender_ssrc, 0x33333333);
	CU_ASSERT_EQUAL(rt.n_targets, 1);
	CU_ASSERT_EQUAL(rt.targets[0], 0xc0c0c0c0);
	n = build_fb(frame, 206, 1, 0x33333333, 0xc1c1c1c1, 0);            /* PLI */
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.targets[0], 0xc1c1c1c1);
}

static void
test_rtcp_first_packet_must_be_report_or_feedback(void)
{
	static const uint8_t firsts[] = { 202, 203, 204, 207, 210 };
	struct dp_rtcp_route rt;

	for (size_t i = 0; i < sizeof(firsts); i++) {
		uint32_t n = build_sdes(frame, 0x44444444);

		frame[1] = firsts[i];
		frame[0] = 0x80;
		CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	}
}

static void
test_rtcp_duplicate_targets_counted_once(void)
{
	static const uint32_t reports[3] = { 0x0a0a0a0a, 0x0a0a0a0a, 0x0b0b0b0b };
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 3, reports);

	n += build_fb(frame + n, 206, 1, 0x22222222, 0x0b0b0b0b, 0);
	n += build_fb(frame + n, 205, 1, 0x22222222, 0x0a0a0a0a, 4);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.n_targets, 2);
	CU_ASSERT_EQUAL(rt.targets[0], 0x0a0a0a0a);
	CU_ASSERT_EQUAL(rt.targets[1], 0x0b0b0b0b);
}

static void
test_rtcp_more_than_32_targets_keeps_the_first_32(void)
{
	static uint8_t buf[2 * (8 + 24 * 31)];
	uint32_t reports[31];
	struct dp_rtcp_route rt;
	uint32_t n = 0;

	for (uint32_t i = 0; i < 31; i++)
		reports[i] = 0x1000 + i;
	n += build_rr(buf + n, 0x22222222, 31, reports);
	for (uint32_t i = 0; i < 31; i++)
		reports[i] = 0x2000 + i;
	n += build_rr(buf + n, 0x22222222, 31, reports);
	CU_ASSERT_EQUAL(route(buf, n, &rt), 0);
	CU_ASSERT_EQUAL(rt.n_targets, DP_RTCP_MAX_TARGETS);
	CU_ASSERT_EQUAL(rt.targets[0], 0x1000);
	CU_ASSERT_EQUAL(rt.targets[30], 0x1000 + 30);
	CU_ASSERT_EQUAL(rt.targets[31], 0x2000);
}

static void
test_rtcp_bye_routes_to_all(void)
{
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 0, NULL);

	put32(frame + n + 4, 0x22222222);
	n += rtcp_hdr(frame + n, 1, 203, 8);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_TRUE(rt.to_all);
	CU_ASSERT_EQUAL(rt.n_targets, 0);
}

static void
test_rtcp_app_xr_and_unknown_types_are_skipped(void)
{
	static const uint8_t pts[] = { 192, 204, 207, 208, 223 };
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 0, NULL);

	for (size_t i = 0; i < sizeof(pts); i++) {
		memset(frame + n, 0x77, 12);
		n += rtcp_hdr(frame + n, 31, pts[i], 12);
	}
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
	CU_ASSERT_FALSE(rt.to_all);
	CU_ASSERT_EQUAL(rt.n_targets, 0);
	/* A 4-byte packet (length 0) is whole too. */
	n += rtcp_hdr(frame + n, 0, 202, 4);
	CU_ASSERT_EQUAL(route(frame, n, &rt), 0);
}

static void
test_rtcp_non_rtcp_type_or_version_is_bad(void)
{
	static const uint8_t pts[] = { 0, 127, 191, 224, 255 };
	struct dp_rtcp_route rt;
	uint32_t n;

	for (size_t i = 0; i < sizeof(pts); i++) {
		n = build_rr(frame, 0x22222222, 0, NULL);
		n += rtcp_hdr(frame + n, 0, pts[i], 8);
		CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	}
	n = build_rr(frame, 0x22222222, 0, NULL);
	n += build_sdes(frame + n, 0x22222222);
	frame[8] = 0x41;
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
	frame[8] = 0x81;
	frame[0] = 0x00;
	CU_ASSERT_EQUAL(route(frame, n, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_trailing_bytes_are_bad(void)
{
	struct dp_rtcp_route rt;
	uint32_t n = build_rr(frame, 0x22222222, 0, NULL);

	memset(frame + n, 0, 8);
	frame[n] = 0x80;
	frame[n + 1] = 202;
	for (uint32_t extra = 1; extra < 4; extra++)
		CU_ASSERT_EQUAL(route(frame, n + extra, &rt), -DP_DROP_RTCP_BAD_HDR);
	CU_ASSERT_EQUAL(route(frame, 0, &rt), -DP_DROP_RTCP_BAD_HDR);
}

static void
test_rtcp_padding(void)
{
	static const uint32_t reports[1] = { 0x0a0a0a0a };
	struct dp_rtcp_route rt;

	/* RR (8 bytes), SDES (16) + 4 bytes of padding whose last byte counts them. */
	CU_ASSERT_EQUAL(build_rr(frame, 0x22222222, 0, NULL), 8);
	CU_ASSERT_EQUAL(build_sdes(frame + 8, 0x22222222), 16);
	memset(frame + 24, 0, 4);
	frame[27] = 4;
	rtcp_hdr(frame + 8, 1, 202, 20);
	frame[8] |= 0x20;
	CU_ASSERT_EQUAL(route(frame, 28, &rt), 0);
	frame[27] = 0;
	CU_ASSERT_EQUAL(route(frame, 28, &rt), -DP_DROP_RTCP_BAD_HDR);
	frame[27] = 17;                         /* would eat into the header */
	CU_ASSERT_EQUAL(route(frame, 28, &rt), -DP_DROP_RTCP_BAD_HDR);
	frame[27] = 16;
	CU_ASSERT_EQUAL(route(frame, 28, &rt), 0);
	/* Padding that leaves no room for the report block it claims. */
	CU_ASSERT_EQUAL(build_rr(frame, 0x22222222, 1, reports), 32);
	frame[0] |= 0x20;
	frame[31] = 4;
	CU_ASSERT_EQUAL(route(frame, 32, &rt), -DP_DROP_RTCP_BAD_HDR);
}

/* ---- checksums and addresses ---- */

static void
test_csum_ipv4_header_known_answer(void)
{
	/* 192.168.0.1 -> 192.168.0.199, UDP, total length 115: checksum 0xb861. */
	uint8_t h[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};

	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, h, sizeof(h))), 0xb861);
	put16(h + 10, 0xb861);
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, h, sizeof(h))), 0);
}

static void
test_csum_rfc1071_example_any_alignment(void)
{
	static const uint8_t ex[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[16];

	/* RFC 1071 section 3: sum 0xddf2, checksum 0x220d. */
	for (size_t off = 0; off < 8; off++) {
		memcpy(buf + off, ex, sizeof(ex));
		CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, buf + off, sizeof(ex))), 0x220d);
	}
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(dp_csum_add(0, ex, 2), ex + 2, 6)), 0x220d);
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(dp_csum_add(0, ex, 6), ex + 6, 2)), 0x220d);
}

static void
test_csum_odd_length(void)
{
	static const uint8_t b[3] = { 0x01, 0x02, 0x03 };
	uint8_t buf[8];

	for (size_t off = 0; off < 4; off++) {
		memcpy(buf + off, b, 3);
		CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, buf + off, 3)), 0xfbfd);
		CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, buf + off, 1)), 0xfeff);
	}
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, b, 0)), 0xffff);
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0x0102, b + 2, 1)), 0xfbfd);
}

static void
test_csum_large_buffer(void)
{
	size_t n = 100001;
	uint8_t *b = malloc(n);

	CU_ASSERT_FATAL(b != NULL);
	memset(b, 0x01, n);
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0, b, n)), 0xeaeb);
	CU_ASSERT_EQUAL(dp_csum_fold(dp_csum_add(0xffffffff, b, n)),
			dp_csum_fold(dp_csum_add(0xffff, b, n)));
	free(b);
}

static void
test_csum_ipv4_udp_known_answer(void)
{
	uint8_t udp[12];

	build_udp(udp, (const uint8_t *)"abcd", 4);
	CU_ASSERT_EQUAL(dp_csum_ipv4_l4(our_v4, peer_v4, DP_IPPROTO_UDP, udp, 12), 0x9f06);
	put16(udp + 6, 0x9f06);
	CU_ASSERT_EQUAL(dp_csum_ipv4_l4(our_v4, peer_v4, DP_IPPROTO_UDP, udp, 12), 0);
}

static void
test_csum_ipv6_icmp6_known_answer(void)
{
	static const uint8_t s[16] = { 0xfe, 0x80, [15] = 1 };
	static const uint8_t d[16] = { 0xfe, 0x80, [15] = 2 };
	uint8_t echo[8] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1 };
	uint8_t buf[12];

	CU_ASSERT_EQUAL(dp_csum_ipv6(s, d, DP_IPPROTO_ICMPV6, echo, 8), 0x7083);
	memcpy(buf + 1, echo, 8);
	CU_ASSERT_EQUAL(dp_csum_ipv6(s, d, DP_IPPROTO_ICMPV6, buf + 1, 8), 0x7083);
	put16(echo + 2, 0x7083);
	CU_ASSERT_EQUAL(dp_csum_ipv6(s, d, DP_IPPROTO_ICMPV6, echo, 8), 0);
}

static void
test_link_local_is_modified_eui64(void)
{
	struct dp_port_addrs pa;
	static const uint8_t want_u[16] = {
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1b, 0x21, 0xff, 0xfe, 0x3c, 0x4d, 0x5e
	};

	port_init(&pa, true, true);
	CU_ASSERT_EQUAL(memcmp(pa.v6_ll, our_v6_ll, 16), 0);
	/* A universal MAC gets the U/L bit set. */
	memset(pa.v6_ll, 0xaa, 16);
	memcpy(pa.mac, (const uint8_t[]){ 0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e }, 6);
	dp_port_addrs_link_local(&pa);
	CU_ASSERT_EQUAL(memcmp(pa.v6_ll, want_u, 16), 0);
}

static void
test_v4mapped_helpers(void)
{
	static const uint8_t want[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	static const uint8_t loop6[16] = { [15] = 1 };
	uint8_t ip[16];

	memset(ip, 0xaa, sizeof(ip));
	dp_ip_map_v4(ip, our_v4);
	CU_ASSERT_EQUAL(memcmp(ip, want, 16), 0);
	CU_ASSERT_TRUE(dp_ip_is_v4mapped(ip));
	CU_ASSERT_FALSE(dp_ip_is_v4mapped(our_v6));
	CU_ASSERT_FALSE(dp_ip_is_v4mapped(loop6));
	ip[9] = 1;
	CU_ASSERT_FALSE(dp_ip_is_v4mapped(ip));
}

/* ---- RTCP: what each receiving leg gets of a compound ---- */

static int
filter(const uint8_t *p, uint32_t len, const uint32_t *ssrcs, unsigned int n, bool receiver,
       uint8_t *out)
{
	return dp_rtcp_filter(exact(p, len), len, ssrcs, n, receiver, out);
}

static void
test_rtcp_filter_reports_to_receivers_feedback_to_publisher(void)
{
	static const uint32_t reports[1] = { 0xa0a0a0a0 };
	static const uint32_t publisher[1] = { 0xb0b0b0b0 };
	static const uint32_t other[2] = { 0xc0c0c0c0, 0xc1c1c1c1 };
	uint8_t out[256];
	uint32_t n = 0, sr, sdes;

	sr = build_sr(frame + n, 0x11111111, 1, reports);
	n += sr;
	sdes = build_sdes(frame + n, 0x11111111);
	n += sdes;
	n += build_fb(frame + n, 206, 1, 0x11111111, 0xb0b0b0b0, 0);       /* PLI for b0 */

	/* The publisher of b0, a receiver: SR, SDES and the PLI, in order. */
	CU_ASSERT_EQUAL(filter(frame, n, publisher, 1, true, out), (int)n);
	CU_ASSERT_EQUAL(memcmp(out, frame, n), 0);
	/* Another receiver: the reports without the PLI. */
	CU_ASSERT_EQUAL(filter(frame, n, other, 2, true, out), (int)(sr + sdes));
	CU_ASSERT_EQUAL(memcmp(out, frame, sr + sdes), 0);
	/* A send-only leg that is not the PLI's target gets nothing. */
	CU_ASSERT_EQUAL(filter(frame, n, other, 2, false, out), 0);
	/* A send-only publisher of b0 gets the PLI alone (reduced size, RFC 5506). */
	CU_ASSERT_EQUAL(filter(frame, n, publisher, 1, false, out), 12);
	CU_ASSERT_EQUAL(memcmp(out, frame + sr + sdes, 12), 0);
	CU_ASSERT_EQUAL(dp_rtcp_route(out, 12, &(struct dp_rtcp_route){ 0 }), 0);
}

static void
test_rtcp_filter_receiver_report_goes_to_reported_sources(void)
{
	static const uint32_t reports[2] = { 0xa0a0a0a0, 0xa1a1a1a1 };
	static const uint32_t a0[1] = { 0xa0a0a0a0 };
	static const uint32_t c0[1] = { 0xc0c0c0c0 };
	uint8_t out[256];
	uint32_t n = 0;

	n += build_rr(frame + n, 0x22222222, 2, reports);
	n += build_sdes(frame + n, 0x22222222);
	/* A source it reports on gets the RR and the SDES, even as a send-only leg. */
	CU_ASSERT_EQUAL(filter(frame, n, a0, 1, false, out), (int)n);
	CU_ASSERT_EQUAL(memcmp(out, frame, n), 0);
	/* A plain receiver has no use for another receiver's report. */
	CU_ASSERT_EQUAL(filter(frame, n, c0, 1, true, out), 0);
}

static void
test_rtcp_filter_nack_fir_and_bye(void)
{
	static const uint32_t fir_targets[2] = { 0xd0d0d0d0, 0xd1d1d1d1 };
	static const uint32_t d1[1] = { 0xd1d1d1d1 };
	static const uint32_t e0[1] = { 0xe0e0e0e0 };
	static const uint32_t f0[1] = { 0xf0f0f0f0 };
	uint8_t out[256];
	uint32_t n = 0, rr, nack, fir;

	rr = build_rr(frame + n, 0x33333333, 0, NULL);
	n += rr;
	nack = build_fb(frame + n, 205, 1, 0x33333333, 0xe0e0e0e0, 4);    /* NACK for e0 */
	n += nack;
	fir = build_fir(frame + n, 0x33333333, 2, fir_targets);
	n += fir;
	/* e0 gets only its NACK; d1 only the FIR that names it; f0 nothing. */
	CU_ASSERT_EQUAL(filter(frame, n, e0, 1, true, out), (int)nack);
	CU_ASSERT_EQUAL(memcmp(out, frame + rr, nack), 0);
	CU_ASSERT_EQUAL(filter(frame, n, d1, 1, true, out), (int)fir);
	CU_ASSERT_EQUAL(memcmp(out, frame + rr + nack, fir), 0);
	CU_ASSERT_EQUAL(filter(frame, n, f0, 1, true, out), 0);

	/* A BYE goes to every receiver with the rest of the reports. */
	n = rr;
	n += rtcp_hdr(frame + n, 1, 203, 8);
	put32(frame + rr + 4, 0x33333333);
	CU_ASSERT_EQUAL(filter(frame, n, f0, 1, true, out), (int)n);
	CU_ASSERT_EQUAL(filter(frame, n, f0, 1, false, out), 0);

	/* Feedback first, then a BYE: a leg that gets the BYE alone would get a compound that
	 * starts with BYE, which no receiver accepts; it gets nothing instead. */
	n = build_fb(frame, 205, 1, 0x33333333, 0xe0e0e0e0, 4);
	nack = n;
	n += rtcp_hdr(frame + n, 1, 203, 8);
	put32(frame + nack + 4, 0x33333333);
	CU_ASSERT_EQUAL(filter(frame, n, f0, 1, true, out), 0);
	CU_ASSERT_EQUAL(filter(frame, n, e0, 1, true, out), (int)n);
}

static void
test_rtcp_filter_rejects_what_route_rejects(void)
{
	static const uint32_t reports[1] = { 0xa0a0a0a0 };
	static const uint32_t a0[1] = { 0xa0a0a0a0 };
	struct dp_rtcp_route rt;
	uint8_t out[256];
	uint32_t n = 0;

	n += build_sr(frame + n, 0x11111111, 1, reports);
	n += build_fb(frame + n, 206, 1, 0x11111111, 0xa0a0a0a0, 0);
	for (uint32_t len = 0; len < n; len++) {
		int want = route(frame, len, &rt) == 0 ? -1 : -DP_DROP_RTCP_BAD_HDR;
		int rc = filter(frame, len, a0, 1, true, out);

		if (want == -DP_DROP_RTCP_BAD_HDR) {
			CU_ASSERT_EQUAL(rc, -DP_DROP_RTCP_BAD_HDR);
		} else {
			CU_ASSERT(rc >= 0 && (uint32_t)rc <= len);
		}
	}
}

static const struct ut_test l2_arp_tests[] = {
	{ "shorter than the Ethernet header is l2_short", test_l2_shorter_than_header_is_l2_short },
	{ "foreign unicast MAC is not ours", test_l2_foreign_unicast_mac_is_not_ours },
	{ "broadcast only for ARP", test_l2_broadcast_only_for_arp },
	{ "33:33 multicast MAC only for IPv6", test_l2_ipv6_multicast_mac_only_for_ipv6 },
	{ "VLAN and other ethertypes to us", test_l2_vlan_and_other_ethertypes_to_us_are_ethertype },
	{ "ARP request for our IPv4", test_arp_request_for_our_ipv4_is_arp },
	{ "ARP request for another IPv4", test_arp_request_for_other_ipv4_is_not_ours },
	{ "ARP reply to our MAC", test_arp_reply_to_our_mac_is_arp },
	{ "ARP reply to another MAC", test_arp_reply_to_other_mac_is_not_ours },
	{ "ARP on a port without IPv4", test_arp_on_port_without_ipv4_is_not_ours },
	{ "ARP every truncation", test_arp_every_truncation },
	{ "ARP bad fields", test_arp_bad_fields_are_arp_bad },
	{ "dp_arp_parse fills every field", test_arp_parse_fills_fields },
	{ NULL, NULL },
};

static const struct ut_test ipv4_tests[] = {
	{ "UDP fills every field", test_ipv4_udp_fills_every_field },
	{ "every truncation of the frame", test_ipv4_udp_every_truncation },
	{ "every total length with the frame", test_ipv4_udp_every_consistent_truncation },
	{ "bad version", test_ipv4_bad_version_is_bad_header },
	{ "IHL below 5", test_ipv4_ihl_below_5_is_bad_header },
	{ "options move the UDP header", test_ipv4_options_move_l4 },
	{ "header longer than the total length", test_ipv4_header_longer_than_total_is_bad_header },
	{ "total length beyond the frame", test_ipv4_total_length_beyond_frame_is_bad_header },
	{ "bad header checksum", test_ipv4_bad_checksum_is_bad_csum },
	{ "fragments", test_ipv4_fragments_are_dropped },
	{ "other destinations", test_ipv4_other_destinations_are_not_ours },
	{ "Ethernet padding ignored", test_ipv4_ethernet_padding_is_ignored },
	{ "UDP length field bounds", test_ipv4_udp_length_field_bounds },
	{ "ICMP to us", test_ipv4_icmp_is_icmp4 },
	{ "ICMP shorter than 8", test_ipv4_icmp_shorter_than_8_is_icmp_bad },
	{ "other protocols", test_ipv4_other_protocols_are_ip_proto },
	{ NULL, NULL },
};

static const struct ut_test ipv6_tests[] = {
	{ "UDP fills every field", test_ipv6_udp_fills_every_field },
	{ "every truncation of the frame", test_ipv6_udp_every_truncation },
	{ "every payload length with the frame", test_ipv6_udp_every_consistent_truncation },
	{ "bad version", test_ipv6_bad_version_is_bad_header },
	{ "payload length beyond the frame", test_ipv6_payload_length_beyond_frame_is_bad_header },
	{ "Ethernet padding ignored", test_ipv6_ethernet_padding_is_ignored },
	{ "link-local destination", test_ipv6_link_local_destination_is_ours },
	{ "multicast MAC, our unicast address", test_ipv6_multicast_mac_with_our_unicast_is_accepted },
	{ "other destinations", test_ipv6_other_destinations_are_not_ours },
	{ "extension headers", test_ipv6_extension_headers_are_dropped },
	{ "other next headers", test_ipv6_other_next_headers_are_ip_proto },
	{ "ICMPv6 to all-nodes", test_ipv6_icmp6_to_all_nodes_is_multicast },
	{ "UDP to multicast", test_ipv6_udp_to_multicast_is_not_ours },
	{ "NS to our solicited-node address", test_ipv6_ns_to_our_solicited_node_is_icmp6 },
	{ "NS to another solicited-node address", test_ipv6_ns_to_other_solicited_node_is_not_ours },
	{ "ICMPv6 shorter than 4", test_ipv6_icmp6_shorter_than_4_is_icmp_bad },
	{ "NS every truncation", test_ipv6_ns_every_truncation },
	{ NULL, NULL },
};

static const struct ut_test demux_rtp_tests[] = {
	{ "demux every first byte", test_demux_every_first_byte },
	{ "demux RTP or RTCP by the second byte", test_demux_rtp_or_rtcp_by_second_byte },
	{ "demux shorter than 2 bytes", test_demux_shorter_than_2_is_unknown },
	{ "RTP fills every field", test_rtp_fills_every_field },
	{ "RTP lengths 0 to 12", test_rtp_lengths_0_to_12 },
	{ "RTP bad version", test_rtp_bad_version },
	{ "RTP CC 15 needs 72 bytes", test_rtp_cc15_needs_72_bytes },
	{ "RTP extension beyond the end", test_rtp_extension_beyond_end },
	{ "RTP extension after CSRCs exactly fitting", test_rtp_extension_after_csrcs_exactly_fitting },
	{ NULL, NULL },
};

static const struct ut_test rtcp_tests[] = {
	{ "filter: reports to receivers, feedback to its publisher only",
	  test_rtcp_filter_reports_to_receivers_feedback_to_publisher },
	{ "filter: a receiver report goes to the sources it reports on",
	  test_rtcp_filter_receiver_report_goes_to_reported_sources },
	{ "filter: NACK and FIR to their targets, BYE to receivers", test_rtcp_filter_nack_fir_and_bye },
	{ "filter: every truncation refused exactly when route refuses it",
	  test_rtcp_filter_rejects_what_route_rejects },
	{ "sender SSRC bounds", test_rtcp_sender_ssrc_bounds },
	{ "SR+SDES+PLI: to all and the PLI target", test_rtcp_sr_sdes_pli_routes_to_all_and_pli_target },
	{ "compound every truncation", test_rtcp_compound_every_truncation },
	{ "RR only: report SSRCs", test_rtcp_rr_only_routes_to_report_ssrcs },
	{ "length field beyond the buffer", test_rtcp_length_field_beyond_buffer_is_bad },
	{ "report count beyond the length", test_rtcp_report_count_beyond_length_is_bad },
	{ "feedback FCI truncated", test_rtcp_feedback_fci_truncated_is_bad },
	{ "FIR entries, partial entry", test_rtcp_fir_entries_route_and_partial_entry_is_bad },
	{ "REMB SSRCs, num SSRC beyond payload", test_rtcp_remb_routes_and_num_ssrc_beyond_payload_is_bad },
	{ "other AFB: media SSRC", test_rtcp_other_afb_routes_to_media_ssrc },
	{ "feedback with media SSRC 0", test_rtcp_feedback_with_zero_media_ssrc_has_no_target },
	{ "reduced-size feedback alone", test_rtcp_reduced_size_feedback_alone_is_accepted },
	{ "first packet must be a report or feedback", test_rtcp_first_packet_must_be_report_or_feedback },
	{ "duplicate targets counted once", test_rtcp_duplicate_targets_counted_once },
	{ "more than 32 targets", test_rtcp_more_than_32_targets_keeps_the_first_32 },
	{ "BYE routes to all", test_rtcp_bye_routes_to_all },
	{ "APP, XR, unknown types skipped", test_rtcp_app_xr_and_unknown_types_are_skipped },
	{ "non-RTCP type or bad version", test_rtcp_non_rtcp_type_or_version_is_bad },
	{ "trailing bytes and empty input", test_rtcp_trailing_bytes_are_bad },
	{ "padding", test_rtcp_padding },
	{ NULL, NULL },
};

static const struct ut_test csum_addr_tests[] = {
	{ "IPv4 header known answer", test_csum_ipv4_header_known_answer },
	{ "RFC 1071 example at any alignment", test_csum_rfc1071_example_any_alignment },
	{ "odd length", test_csum_odd_length },
	{ "large buffer", test_csum_large_buffer },
	{ "IPv4 UDP known answer", test_csum_ipv4_udp_known_answer },
	{ "IPv6 ICMPv6 known answer", test_csum_ipv6_icmp6_known_answer },
	{ "link-local is modified EUI-64", test_link_local_is_modified_eui64 },
	{ "IPv4-mapped helpers", test_v4mapped_helpers },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "dp_pkt_l2_arp", NULL, NULL, l2_arp_tests },
	{ "dp_pkt_ipv4", NULL, NULL, ipv4_tests },
	{ "dp_pkt_ipv6", NULL, NULL, ipv6_tests },
	{ "dp_pkt_demux_rtp", NULL, NULL, demux_rtp_tests },
	{ "dp_pkt_rtcp", NULL, NULL, rtcp_tests },
	{ "dp_pkt_csum_addr", NULL, NULL, csum_addr_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
