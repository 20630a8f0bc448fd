/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drives the packet parsers the way a worker does: classify the frame, then demux the UDP
 * payload and parse its RTP or RTCP header. The raw input also goes straight to the RTP and
 * RTCP parsers. Checks the invariants the workers rely on and traps when one breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                            \
	do {                                                                     \
		if (!(c))                                                        \
			__builtin_trap();                                        \
	} while (0)

/* The seeds in corpus/dp_pkt are built for these addresses. */
static const struct dp_port_addrs *
fuzz_port(void)
{
	static struct dp_port_addrs pa;
	static int done;

	if (!done) {
		static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
		static const uint8_t v4[4] = { 192, 0, 2, 1 };
		static const uint8_t v6[16] = {
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef
		};

		memcpy(pa.mac, mac, sizeof(mac));
		pa.has_v4 = true;
		pa.has_v6 = true;
		memcpy(pa.v4, v4, sizeof(v4));
		memcpy(pa.v6, v6, sizeof(v6));
		dp_port_addrs_link_local(&pa);
		done = 1;
	}
	return &pa;
}

static void
fuzz_rtp(const uint8_t *p, uint32_t len)
{
	struct dp_rtp_info ri;

	if (dp_rtp_parse(p, len, &ri) == 0)
		FUZZ_CHECK(ri.hdr_len >= 12 && ri.hdr_len <= len && ri.hdr_len % 4 == 0);
}

/* Each receiving leg's share of a compound: never more than the compound, same verdict. */
static void
fuzz_rtcp_filter(const uint8_t *p, uint32_t len, bool valid)
{
	static uint8_t out[UINT16_MAX];
	uint32_t ssrcs[2];
	int rc;

	ssrcs[0] = len >= 12 ? (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
			       (uint32_t)p[10] << 8 | p[11] : 0;
	ssrcs[1] = len >= 32 ? (uint32_t)p[28] << 24 | (uint32_t)p[29] << 16 |
			       (uint32_t)p[30] << 8 | p[31] : 0;
	for (int receiver = 0; receiver < 2; receiver++) {
		rc = dp_rtcp_filter(p, len, ssrcs, 2, receiver != 0, out);
		FUZZ_CHECK(valid ? rc >= 0 && (uint32_t)rc <= len : rc == -DP_DROP_RTCP_BAD_HDR);
		if (rc > 0) {
			struct dp_rtcp_route part;

			FUZZ_CHECK(dp_rtcp_route(out, (uint32_t)rc, &part) == 0);
		}
	}
}

static void
fuzz_rtcp(const uint8_t *p, uint32_t len)
{
	struct dp_rtcp_route rt;
	uint32_t ssrc;

	if (dp_rtcp_sender_ssrc(p, len, &ssrc) == 0)
		FUZZ_CHECK(len >= 8);
	if (dp_rtcp_route(p, len, &rt) == 0) {
		FUZZ_CHECK(len >= 8);
		FUZZ_CHECK(rt.n_targets <= DP_RTCP_MAX_TARGETS);
		for (unsigned int i = 0; i < rt.n_targets; i++)
			for (unsigned int j = i + 1; j < rt.n_targets; j++)
				FUZZ_CHECK(rt.targets[i] != rt.targets[j]);
		fuzz_rtcp_filter(p, len, true);
	} else {
		fuzz_rtcp_filter(p, len, false);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dp_port_addrs *pa = fuzz_port();
	uint32_t len = size > UINT16_MAX ? UINT16_MAX : (uint32_t)size;
	struct dp_pkt_info pi;
	struct dp_arp_info ai;
	int cls;

	cls = dp_pkt_parse(data, len, pa, &pi);
	FUZZ_CHECK(cls > -(int)DP_DROP_MAX && cls <= DP_PKT_ICMP6);
	switch (cls) {
	case DP_PKT_UDP: {
		const uint8_t *pl = data + pi.payload_off;

		FUZZ_CHECK(pi.family == 4 || pi.family == 6);
		FUZZ_CHECK(pi.l4_len == pi.payload_len + 8u);
		FUZZ_CHECK((uint32_t)pi.payload_off + pi.payload_len <= len);
		FUZZ_CHECK(pi.family == 6 || dp_ip_is_v4mapped(pi.dst_ip));
		FUZZ_CHECK(!pi.dst_multicast);
		switch (dp_demux(pl, pi.payload_len)) {
		case DP_DEMUX_RTP:
			fuzz_rtp(pl, pi.payload_len);
			break;
		case DP_DEMUX_RTCP:
			fuzz_rtcp(pl, pi.payload_len);
			break;
		default:
			break;
		}
		break;
	}
	case DP_PKT_ICMP4:
	case DP_PKT_ICMP6:
		FUZZ_CHECK((uint32_t)pi.l4_off + pi.l4_len <= len);
		FUZZ_CHECK(pi.l4_len >= (cls == DP_PKT_ICMP4 ? 8 : 4));
		/* What the host stack does next: verify the checksum. */
		if (cls == DP_PKT_ICMP6)
			(void)dp_csum_ipv6(pi.src_ip, pi.dst_ip, DP_IPPROTO_ICMPV6,
					   data + pi.l4_off, pi.l4_len);
		else
			(void)dp_csum_fold(dp_csum_add(0, data + pi.l4_off, pi.l4_len));
		break;
	case DP_PKT_ARP:
		FUZZ_CHECK(dp_arp_parse(data, len, &ai) == 0);
		break;
	default:
		break;
	}

	fuzz_rtp(data, len);
	fuzz_rtcp(data, len);
	(void)dp_demux(data, len);
	return 0;
}
