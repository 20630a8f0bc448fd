/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsers for the worker hot path. Every field is read with byte shifts from a
 * (pointer, length) pair after the length that covers it has been checked; nothing here
 * allocates, locks or calls the kernel.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dp_be.h"
#include "dp_pkt.h"

#define DP_IPV4_HLEN 20
#define DP_IPV6_HLEN 40
#define DP_UDP_HLEN 8
#define DP_ARP_LEN 28
#define DP_IPV4_MF 0x2000
#define DP_IPV4_OFFMASK 0x1fff

#define DP_RTCP_PT_SR 200
#define DP_RTCP_PT_RR 201
#define DP_RTCP_PT_SDES 202
#define DP_RTCP_PT_BYE 203
#define DP_RTCP_PT_RTPFB 205
#define DP_RTCP_PT_PSFB 206
#define DP_RTCP_REPORT_LEN 24
#define DP_PSFB_FMT_FIR 4
#define DP_PSFB_FMT_AFB 15

static const uint8_t dp_mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t dp_ip6_all_nodes[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
};
/* ff02::1:ff00:0/104; the last 3 bytes come from the unicast address. */
static const uint8_t dp_ip6_snm_prefix[13] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff
};

void
dp_port_addrs_link_local(struct dp_port_addrs *pa)
{
	uint8_t *ll = pa->v6_ll;

	memset(ll, 0, sizeof(pa->v6_ll));
	ll[0] = 0xfe;
	ll[1] = 0x80;
	ll[8] = pa->mac[0] ^ 0x02;    /* invert the universal/local bit */
	ll[9] = pa->mac[1];
	ll[10] = pa->mac[2];
	ll[11] = 0xff;
	ll[12] = 0xfe;
	ll[13] = pa->mac[3];
	ll[14] = pa->mac[4];
	ll[15] = pa->mac[5];
}

bool
dp_ip_is_v4mapped(const uint8_t ip[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(ip, prefix, sizeof(prefix)) == 0;
}

void
dp_ip_map_v4(uint8_t ip[16], const uint8_t v4[4])
{
	memset(ip, 0, 10);
	ip[10] = 0xff;
	ip[11] = 0xff;
	memcpy(ip + 12, v4, 4);
}

/* ---- checksums ---- */

uint32_t
dp_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t a = 0, b = 0;
	uint16_t w = 0;

	/*
	 * The one's complement sum does not depend on byte order (RFC 1071 2(B)): add 32-bit
	 * words as memory holds them (two accumulators, which compilers vectorise; 2^16 == 1
	 * modulo 0xffff, so they fold to the 16-bit sum), then swap the folded sum once. This
	 * runs over every forwarded packet on ports without checksum offload.
	 */
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t x, y;

		memcpy(&x, p, 4);
		memcpy(&y, p + 4, 4);
		a += x;
		b += y;
	}
	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		a += w;
	}
	if (len == 1) {
		w = 0;
		memcpy(&w, p, 1);       /* odd byte: padded with a zero byte after it */
		a += w;
	}
	a += b;
	a = (a & 0xffffffff) + (a >> 32);
	a = (a & 0xffffffff) + (a >> 32);
	a = (a & 0xffff) + (a >> 16);
	a = (a & 0xffff) + (a >> 16);
	w = (uint16_t)a;
	a = (uint64_t)sum + dp_load_be16((const uint8_t *)&w);
	return (uint32_t)((a & 0xffffffff) + (a >> 32));
}

uint16_t
dp_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum of l4 under a pseudo-header: source, destination (alen bytes each), tail. */
static inline uint16_t
dp_csum_pseudo(const uint8_t *src, const uint8_t *dst, uint32_t alen, const uint8_t *tail,
	       uint32_t tail_len, const void *l4, uint32_t l4_len)
{
	uint32_t sum;

	sum = dp_csum_add(0, src, alen);
	sum = dp_csum_add(sum, dst, alen);
	sum = dp_csum_add(sum, tail, tail_len);
	return dp_csum_fold(dp_csum_add(sum, l4, l4_len));
}

uint16_t
dp_csum_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
	     const void *l4, uint32_t l4_len)
{
	/* Upper-layer length (32 bits), three zero bytes, next header. */
	const uint8_t tail[8] = {
		(uint8_t)(l4_len >> 24), (uint8_t)(l4_len >> 16), (uint8_t)(l4_len >> 8),
		(uint8_t)l4_len, 0, 0, 0, proto,
	};

	return dp_csum_pseudo(src, dst, 16, tail, sizeof(tail), l4, l4_len);
}

uint16_t
dp_csum_ipv4_l4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		const void *l4, uint32_t l4_len)
{
	/* Zero, protocol, 16-bit length: an IPv4 datagram cannot carry more. */
	const uint8_t tail[4] = { 0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len };

	return dp_csum_pseudo(src, dst, 4, tail, sizeof(tail), l4, l4_len);
}

/* ---- layer 2 to 4 ---- */

int
dp_arp_parse(const uint8_t *frame, uint32_t len, struct dp_arp_info *ai)
{
	const uint8_t *a;
	uint16_t op;

	if (len < DP_ETH_HLEN + DP_ARP_LEN)
		return -DP_DROP_ARP_BAD;
	a = frame + DP_ETH_HLEN;
	op = dp_load_be16(a + 6);
	if (dp_load_be16(a) != 1 || dp_load_be16(a + 2) != DP_ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4 ||
	    (op != 1 && op != 2))
		return -DP_DROP_ARP_BAD;
	ai->op = op;
	memcpy(ai->sha, a + 8, 6);
	memcpy(ai->spa, a + 14, 4);
	memcpy(ai->tha, a + 18, 6);
	memcpy(ai->tpa, a + 24, 4);
	return 0;
}

static int
dp_pkt_arp(const uint8_t *frame, uint32_t len, const struct dp_port_addrs *pa,
	   struct dp_pkt_info *pi)
{
	struct dp_arp_info ai;
	int rc;

	rc = dp_arp_parse(frame, len, &ai);
	if (rc < 0)
		return rc;
	if (!pa->has_v4)
		return -DP_DROP_ARP_NOT_OURS;
	if (ai.op == 1 ? memcmp(ai.tpa, pa->v4, 4) != 0 : memcmp(ai.tha, pa->mac, 6) != 0)
		return -DP_DROP_ARP_NOT_OURS;
	pi->family = 4;
	return DP_PKT_ARP;
}

/* The UDP header at l4 with `rem` bytes left by the IP header (all of them in the frame). */
static int
dp_pkt_udp(const uint8_t *frame, uint16_t l4_off, uint32_t rem, struct dp_pkt_info *pi)
{
	const uint8_t *u = frame + l4_off;
	uint16_t ulen;

	if (rem < DP_UDP_HLEN)
		return -DP_DROP_UDP_BAD_LEN;
	ulen = dp_load_be16(u + 4);
	if (ulen < DP_UDP_HLEN || ulen > rem)
		return -DP_DROP_UDP_BAD_LEN;
	pi->l4_off = l4_off;
	pi->l4_len = ulen;
	pi->payload_off = (uint16_t)(l4_off + DP_UDP_HLEN);
	pi->payload_len = (uint16_t)(ulen - DP_UDP_HLEN);
	pi->src_port = dp_load_be16(u);
	pi->dst_port = dp_load_be16(u + 2);
	return DP_PKT_UDP;
}

static int
dp_pkt_ipv4(const uint8_t *frame, uint32_t len, const struct dp_port_addrs *pa,
	    struct dp_pkt_info *pi)
{
	const uint8_t *ip = frame + DP_ETH_HLEN;
	uint32_t avail = len - DP_ETH_HLEN;
	uint32_t hlen, tot, rem;
	uint16_t l4_off;

	if (avail < DP_IPV4_HLEN || (ip[0] >> 4) != 4)
		return -DP_DROP_IP_BAD_HDR;
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	tot = dp_load_be16(ip + 2);
	if (hlen < DP_IPV4_HLEN || hlen > tot || tot > avail)
		return -DP_DROP_IP_BAD_HDR;
	if (dp_csum_fold(dp_csum_add(0, ip, hlen)) != 0)
		return -DP_DROP_IP_BAD_CSUM;
	if ((dp_load_be16(ip + 6) & (DP_IPV4_MF | DP_IPV4_OFFMASK)) != 0)
		return -DP_DROP_IP_FRAGMENT;
	if (!pa->has_v4 || memcmp(ip + 16, pa->v4, 4) != 0)
		return -DP_DROP_IP_NOT_OURS;

	pi->family = 4;
	pi->l4proto = ip[9];
	dp_ip_map_v4(pi->src_ip, ip + 12);
	dp_ip_map_v4(pi->dst_ip, ip + 16);
	l4_off = (uint16_t)(DP_ETH_HLEN + hlen);
	rem = tot - hlen;
	switch (ip[9]) {
	case DP_IPPROTO_UDP:
		return dp_pkt_udp(frame, l4_off, rem, pi);
	case DP_IPPROTO_ICMP:
		if (rem < 8)
			return -DP_DROP_ICMP_BAD;
		pi->l4_off = l4_off;
		pi->l4_len = (uint16_t)rem;
		return DP_PKT_ICMP4;
	default:
		return -DP_DROP_IP_PROTO;
	}
}

/* Whether ip is the solicited-node multicast address of unicast address u. */
static inline bool
dp_ip6_is_snm_of(const uint8_t ip[16], const uint8_t u[16])
{
	return memcmp(ip + 13, u + 13, 3) == 0;
}

static bool
dp_ip6_is_ext_hdr(uint8_t nh)
{
	switch (nh) {
	case 0:     /* hop-by-hop options */
	case 43:    /* routing */
	case 44:    /* fragment */
	case 50:    /* ESP */
	case 51:    /* AH */
	case 60:    /* destination options */
	case 135:   /* mobility */
	case 139:   /* HIP */
	case 140:   /* shim6 */
	case 253:   /* experimental */
	case 254:
		return true;
	default:
		return false;
	}
}

static int
dp_pkt_ipv6(const uint8_t *frame, uint32_t len, const struct dp_port_addrs *pa,
	    struct dp_pkt_info *pi)
{
	const uint8_t *ip = frame + DP_ETH_HLEN;
	const uint8_t *dst;
	uint32_t avail = len - DP_ETH_HLEN;
	uint32_t plen;
	uint8_t nh;
	bool mcast;

	if (avail < DP_IPV6_HLEN || (ip[0] >> 4) != 6)
		return -DP_DROP_IP_BAD_HDR;
	dst = ip + 24;
	plen = dp_load_be16(ip + 4);
	if (DP_IPV6_HLEN + plen > avail)
		return -DP_DROP_IP_BAD_HDR;
	if (!pa->has_v6)
		return -DP_DROP_IP_NOT_OURS;
	nh = ip[6];
	if (dst[0] == 0xff) {
		/* Only neighbour discovery and echo reach us by multicast. */
		if (memcmp(dst, dp_ip6_all_nodes, 16) != 0 &&
		    (memcmp(dst, dp_ip6_snm_prefix, sizeof(dp_ip6_snm_prefix)) != 0 ||
		     (!dp_ip6_is_snm_of(dst, pa->v6) && !dp_ip6_is_snm_of(dst, pa->v6_ll))))
			return -DP_DROP_IP_NOT_OURS;
		if (nh != DP_IPPROTO_ICMPV6)
			return -DP_DROP_IP_NOT_OURS;
		mcast = true;
	} else {
		if (memcmp(dst, pa->v6, 16) != 0 && memcmp(dst, pa->v6_ll, 16) != 0)
			return -DP_DROP_IP_NOT_OURS;
		mcast = false;
	}
	if (dp_ip6_is_ext_hdr(nh))
		return -DP_DROP_IP6_EXT_HDR;

	pi->family = 6;
	pi->l4proto = nh;
	pi->dst_multicast = mcast;
	memcpy(pi->src_ip, ip + 8, 16);
	memcpy(pi->dst_ip, dst, 16);
	switch (nh) {
	case DP_IPPROTO_UDP:
		return dp_pkt_udp(frame, DP_ETH_HLEN + DP_IPV6_HLEN, plen, pi);
	case DP_IPPROTO_ICMPV6:
		if (plen < 4)
			return -DP_DROP_ICMP_BAD;
		pi->l4_off = DP_ETH_HLEN + DP_IPV6_HLEN;
		pi->l4_len = (uint16_t)plen;
		return DP_PKT_ICMP6;
	default:
		return -DP_DROP_IP_PROTO;
	}
}

int
dp_pkt_parse(const uint8_t *frame, uint32_t len, const struct dp_port_addrs *pa,
	     struct dp_pkt_info *pi)
{
	uint16_t et;
	bool ours;

	memset(pi, 0, sizeof(*pi));
	if (len < DP_ETH_HLEN)
		return -DP_DROP_L2_SHORT;
	et = dp_load_be16(frame + 12);
	ours = memcmp(frame, pa->mac, 6) == 0;
	pi->ethertype = et;
	pi->l3_off = DP_ETH_HLEN;
	switch (et) {
	case DP_ETHERTYPE_IPV4:
		if (!ours)
			return -DP_DROP_L2_NOT_OURS;
		return dp_pkt_ipv4(frame, len, pa, pi);
	case DP_ETHERTYPE_IPV6:
		/* 33:33:xx multicast: the IPv6 destination check decides. */
		if (!ours && (frame[0] != 0x33 || frame[1] != 0x33))
			return -DP_DROP_L2_NOT_OURS;
		return dp_pkt_ipv6(frame, len, pa, pi);
	case DP_ETHERTYPE_ARP:
		if (!ours && memcmp(frame, dp_mac_bcast, 6) != 0)
			return -DP_DROP_L2_NOT_OURS;
		return dp_pkt_arp(frame, len, pa, pi);
	default:
		return ours ? -DP_DROP_L2_ETHERTYPE : -DP_DROP_L2_NOT_OURS;
	}
}

/* ---- RFC 7983 demux, RTP, RTCP ---- */

enum dp_demux
dp_demux(const uint8_t *p, uint32_t len)
{
	uint8_t b;

	if (len < 2)
		return DP_DEMUX_UNKNOWN;
	b = p[0];
	if (b <= 3)
		return DP_DEMUX_STUN;
	if (b >= 20 && b <= 63)
		return DP_DEMUX_DTLS;
	if (b >= 128 && b <= 191)
		return (p[1] >= 192 && p[1] <= 223) ? DP_DEMUX_RTCP : DP_DEMUX_RTP;
	return DP_DEMUX_UNKNOWN;
}

int
dp_rtp_parse(const uint8_t *p, uint32_t len, struct dp_rtp_info *ri)
{
	uint32_t hdr;

	if (len < 12 || (p[0] >> 6) != 2)
		return -DP_DROP_RTP_BAD_HDR;
	hdr = 12 + 4 * (uint32_t)(p[0] & 0x0f);
	if (hdr > len)
		return -DP_DROP_RTP_BAD_HDR;
	if (p[0] & 0x10) {
		if (len - hdr < 4)
			return -DP_DROP_RTP_BAD_HDR;
		hdr += 4 + 4 * (uint32_t)dp_load_be16(p + hdr + 2);
		/* hdr_len is 16 bits: a larger header only fits a buffer no frame carries. */
		if (hdr > len || hdr > UINT16_MAX)
			return -DP_DROP_RTP_BAD_HDR;
	}
	ri->hdr_len = (uint16_t)hdr;
	ri->padding = (p[0] & 0x20) != 0;
	ri->marker = (p[1] & 0x80) != 0;
	ri->pt = p[1] & 0x7f;
	ri->seq = dp_load_be16(p + 2);
	ri->ts = dp_load_be32(p + 4);
	ri->ssrc = dp_load_be32(p + 8);
	return 0;
}

int
dp_rtcp_sender_ssrc(const uint8_t *p, uint32_t len, uint32_t *ssrc)
{
	if (len < 8 || (p[0] >> 6) != 2)
		return -DP_DROP_RTCP_BAD_HDR;
	*ssrc = dp_load_be32(p + 4);
	return 0;
}

static void
dp_rtcp_add_target(struct dp_rtcp_route *rt, uint32_t ssrc)
{
	for (unsigned int i = 0; i < rt->n_targets; i++)
		if (rt->targets[i] == ssrc)
			return;
	if (rt->n_targets < DP_RTCP_MAX_TARGETS)
		rt->targets[rt->n_targets++] = ssrc;
}

/* Report blocks start at `off` inside pk; the caller checked that all `rc` fit. */
static void
dp_rtcp_add_reports(struct dp_rtcp_route *rt, const uint8_t *pk, uint32_t off, uint32_t rc)
{
	for (uint32_t i = 0; i < rc; i++)
		dp_rtcp_add_target(rt, dp_load_be32(pk + off + i * DP_RTCP_REPORT_LEN));
}

/* Payload-specific feedback (RFC 4585 6.3, RFC 5104 4.3.1, REMB); clen >= 12 checked. */
static int
dp_rtcp_psfb(struct dp_rtcp_route *rt, const uint8_t *pk, uint32_t clen, uint32_t fmt)
{
	uint32_t media = dp_load_be32(pk + 8);
	uint32_t n;

	if (fmt == DP_PSFB_FMT_FIR) {
		/* FCI: (SSRC, seq, reserved) entries of 8 bytes; the media SSRC field is unused. */
		if ((clen - 12) % 8 != 0)
			return -DP_DROP_RTCP_BAD_HDR;
		for (uint32_t off = 12; off < clen; off += 8)
			dp_rtcp_add_target(rt, dp_load_be32(pk + off));
		return 0;
	}
	if (fmt == DP_PSFB_FMT_AFB && clen >= 16 && memcmp(pk + 12, "REMB", 4) == 0) {
		/* 'REMB', num SSRC (8 bits), BR exp + mantissa (24 bits), SSRCs. */
		if (clen < 20)
			return -DP_DROP_RTCP_BAD_HDR;
		n = pk[16];
		if (20 + 4 * n > clen)
			return -DP_DROP_RTCP_BAD_HDR;
		for (uint32_t i = 0; i < n; i++)
			dp_rtcp_add_target(rt, dp_load_be32(pk + 20 + 4 * i));
		return 0;
	}
	if (media != 0)
		dp_rtcp_add_target(rt, media);
	return 0;
}

/* One packet of a compound: its type, its length with and without padding. */
struct rtcp_pkt {
	const uint8_t *pk;
	uint32_t plen;
	uint32_t clen;
	uint32_t count;
	uint8_t pt;
};

/* The packet at p[off..len); 0 or -DP_DROP_RTCP_BAD_HDR. */
static int
rtcp_next(const uint8_t *p, uint32_t len, uint32_t off, struct rtcp_pkt *k)
{
	const uint8_t *pk = p + off;

	if (len - off < 4 || (pk[0] >> 6) != 2)
		return -DP_DROP_RTCP_BAD_HDR;
	k->pk = pk;
	k->count = pk[0] & 0x1f;
	k->pt = pk[1];
	k->plen = ((uint32_t)dp_load_be16(pk + 2) + 1) * 4;
	if (k->plen > len - off)
		return -DP_DROP_RTCP_BAD_HDR;
	k->clen = k->plen;
	if (pk[0] & 0x20) {
		/* The last byte counts the padding, itself included; the header stays. */
		uint32_t pad = pk[k->plen - 1];

		if (pad == 0 || pad > k->plen - 4)
			return -DP_DROP_RTCP_BAD_HDR;
		k->clen = k->plen - pad;
	}
	/* A compound starts with a report; RFC 5506 lets feedback stand alone. */
	if (off == 0 && k->pt != DP_RTCP_PT_SR && k->pt != DP_RTCP_PT_RR &&
	    k->pt != DP_RTCP_PT_RTPFB && k->pt != DP_RTCP_PT_PSFB)
		return -DP_DROP_RTCP_BAD_HDR;
	return 0;
}

static bool
rtcp_is_feedback(uint8_t pt)
{
	return pt == DP_RTCP_PT_RTPFB || pt == DP_RTCP_PT_PSFB;
}

/* Adds what one packet says to rt: targets, and whether every receiver wants it. */
static int
rtcp_packet_route(const struct rtcp_pkt *k, struct dp_rtcp_route *rt)
{
	switch (k->pt) {
	case DP_RTCP_PT_SR:
		if (k->clen < 28 + DP_RTCP_REPORT_LEN * k->count)
			return -DP_DROP_RTCP_BAD_HDR;
		rt->to_all = true;
		dp_rtcp_add_reports(rt, k->pk, 28, k->count);
		break;
	case DP_RTCP_PT_RR:
		if (k->clen < 8 + DP_RTCP_REPORT_LEN * k->count)
			return -DP_DROP_RTCP_BAD_HDR;
		dp_rtcp_add_reports(rt, k->pk, 8, k->count);
		break;
	case DP_RTCP_PT_BYE:
		if (k->clen < 4 + 4 * k->count)
			return -DP_DROP_RTCP_BAD_HDR;
		rt->to_all = true;
		break;
	case DP_RTCP_PT_RTPFB:
		if (k->clen < 12)
			return -DP_DROP_RTCP_BAD_HDR;
		if (dp_load_be32(k->pk + 8) != 0)
			dp_rtcp_add_target(rt, dp_load_be32(k->pk + 8));
		break;
	case DP_RTCP_PT_PSFB:
		if (k->clen < 12 || dp_rtcp_psfb(rt, k->pk, k->clen, k->count) < 0)
			return -DP_DROP_RTCP_BAD_HDR;
		break;
	default:
		/* SDES, APP, XR and the other RTCP types are framed but not routed on. */
		if (k->pt < 192 || k->pt > 223)
			return -DP_DROP_RTCP_BAD_HDR;
		break;
	}
	return 0;
}

int
dp_rtcp_route(const uint8_t *p, uint32_t len, struct dp_rtcp_route *rt)
{
	struct rtcp_pkt k;
	uint32_t off = 0;

	memset(rt, 0, sizeof(*rt));
	if (len == 0)
		return -DP_DROP_RTCP_BAD_HDR;
	while (off < len) {
		if (rtcp_next(p, len, off, &k) < 0 || rtcp_packet_route(&k, rt) < 0)
			return -DP_DROP_RTCP_BAD_HDR;
		/* Every first-packet type above holds its SSRC at bytes 4..7 and is >= 8 bytes. */
		if (off == 0)
			rt->sender_ssrc = dp_load_be32(k.pk + 4);
		off += k.plen;
	}
	return 0;
}

static bool
route_targets_any(const struct dp_rtcp_route *rt, const uint32_t *ssrcs, unsigned int n)
{
	for (unsigned int i = 0; i < rt->n_targets; i++)
		for (unsigned int j = 0; j < n; j++)
			if (rt->targets[i] == ssrcs[j])
				return true;
	return false;
}

int
dp_rtcp_filter(const uint8_t *p, uint32_t len, const uint32_t *ssrcs, unsigned int n_ssrcs,
	       bool receiver, uint8_t *out)
{
	struct dp_rtcp_route reports, one;
	struct rtcp_pkt k;
	uint32_t off, n = 0;
	bool with_reports;

	if (len == 0)
		return -DP_DROP_RTCP_BAD_HDR;
	/* First pass: what the report packets are about. */
	memset(&reports, 0, sizeof(reports));
	for (off = 0; off < len; off += k.plen) {
		if (rtcp_next(p, len, off, &k) < 0)
			return -DP_DROP_RTCP_BAD_HDR;
		memset(&one, 0, sizeof(one));
		if (rtcp_packet_route(&k, rtcp_is_feedback(k.pt) ? &one : &reports) < 0)
			return -DP_DROP_RTCP_BAD_HDR;
	}
	with_reports = (receiver && reports.to_all) || route_targets_any(&reports, ssrcs, n_ssrcs);
	/* Second pass: copy what this leg gets, in the original order. */
	for (off = 0; off < len; off += k.plen) {
		bool take;

		(void)rtcp_next(p, len, off, &k);
		if (rtcp_is_feedback(k.pt)) {
			memset(&one, 0, sizeof(one));
			(void)rtcp_packet_route(&k, &one);
			take = route_targets_any(&one, ssrcs, n_ssrcs);
		} else {
			/* A compound starts with SR or RR (or feedback): never with SDES or BYE. */
			take = with_reports && (n > 0 || k.pt == DP_RTCP_PT_SR || k.pt == DP_RTCP_PT_RR);
		}
		if (take) {
			memcpy(out + n, k.pk, k.plen);
			n += k.plen;
		}
	}
	return (int)n;
}
