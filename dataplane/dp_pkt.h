/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing for the dataplane: Ethernet, ARP, IPv4, IPv6, UDP, the RFC 7983 demux,
 * RTP and RTCP headers. Pure C over (pointer, length), no DPDK, so that the unit tests and
 * the fuzz targets drive exactly the code the workers run.
 *
 * Rule: every length is checked before the bytes it covers are read. A parser returns 0
 * (or a class/length >= 0) on success, or the negated enum dp_drop reason of the drop.
 */
#ifndef DP_PKT_H
#define DP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_drop.h"

#define DP_ETH_HLEN 14
#define DP_ETHERTYPE_IPV4 0x0800
#define DP_ETHERTYPE_ARP 0x0806
#define DP_ETHERTYPE_IPV6 0x86dd
#define DP_IPPROTO_ICMP 1
#define DP_IPPROTO_UDP 17
#define DP_IPPROTO_ICMPV6 58

/* The addresses of one port, as the parser needs them. */
struct dp_port_addrs {
	uint8_t mac[6];
	bool has_v4, has_v6;
	uint8_t v4[4];
	uint8_t v6[16];               /* global unicast */
	uint8_t v6_ll[16];            /* link-local (fe80::/64 + EUI-64 of mac) */
};

/* Fills v6_ll from mac (modified EUI-64, RFC 4291 appendix A). */
void dp_port_addrs_link_local(struct dp_port_addrs *pa);

enum dp_pkt_class {
	DP_PKT_UDP = 0,               /* UDP to one of our addresses: see the l4 fields */
	DP_PKT_ARP,                   /* ARP request for our IPv4, or any ARP reply to us */
	DP_PKT_ICMP4,                 /* ICMP to our IPv4 */
	DP_PKT_ICMP6,                 /* ICMPv6 to us (echo, neighbour discovery) */
};

struct dp_pkt_info {
	uint8_t family;               /* 4 or 6 */
	uint8_t l4proto;
	uint16_t ethertype;
	uint16_t l3_off;
	uint16_t l4_off;              /* UDP/ICMP header */
	uint16_t l4_len;              /* UDP: the UDP length field; ICMP: bytes to the end of IP */
	uint16_t payload_off;         /* UDP payload */
	uint16_t payload_len;         /* from the UDP length field, not the frame length */
	uint8_t src_ip[16];           /* IPv4-mapped for IPv4 */
	uint8_t dst_ip[16];
	uint16_t src_port;            /* host order */
	uint16_t dst_port;
	bool dst_multicast;           /* IPv6 multicast destination (ND) */
};

/*
 * Classifies an Ethernet frame received on a port with addresses pa. Accepts frames for our
 * MAC, broadcast (ARP) and IPv6 multicast (33:33:..); IPv4 with a valid header checksum, not
 * fragmented, to our address; IPv6 without extension headers to our global, link-local,
 * all-nodes or solicited-node address; UDP with a consistent length. UDP checksums are not
 * verified (SRTP authenticates what matters, and veth leaves them partial).
 * Returns enum dp_pkt_class (>= 0) or -(enum dp_drop).
 */
int dp_pkt_parse(const uint8_t *frame, uint32_t len, const struct dp_port_addrs *pa,
		 struct dp_pkt_info *pi);

/* RFC 7983 classes of the first payload byte; RTP vs RTCP by RFC 5761 (PT 192..223). */
enum dp_demux {
	DP_DEMUX_UNKNOWN = 0,
	DP_DEMUX_STUN,                /* 0..3 */
	DP_DEMUX_DTLS,                /* 20..63 */
	DP_DEMUX_RTP,                 /* 128..191, second byte not in 192..223 */
	DP_DEMUX_RTCP,                /* 128..191, second byte in 192..223 */
};

/* len may be 0: shorter than 2 bytes -> UNKNOWN (no protocol here fits in one byte). */
enum dp_demux dp_demux(const uint8_t *p, uint32_t len);

struct dp_rtp_info {
	uint16_t hdr_len;             /* 12 + 4*CC + extension (4 + 4*len) */
	uint16_t seq;
	uint8_t pt;
	bool marker;
	bool padding;
	uint32_t ts;
	uint32_t ssrc;
};

/*
 * Validates an RTP header (version 2, CSRC list and extension within len). `len` is the whole
 * UDP payload including any SRTP tag, which is not validated here.
 * Returns 0 or -DP_DROP_RTP_BAD_HDR.
 */
int dp_rtp_parse(const uint8_t *p, uint32_t len, struct dp_rtp_info *ri);

/* The sender SSRC of an (S)RTCP packet: bytes 4..7; needs len >= 8 and version 2. */
int dp_rtcp_sender_ssrc(const uint8_t *p, uint32_t len, uint32_t *ssrc);

/* Where a plaintext RTCP compound packet must go (RFC 3550, 4585, 5104). */
#define DP_RTCP_MAX_TARGETS 32
struct dp_rtcp_route {
	bool to_all;                  /* holds an SR or a BYE: every subscriber */
	uint8_t n_targets;            /* media SSRCs that reports/feedback are about */
	uint32_t targets[DP_RTCP_MAX_TARGETS]; /* distinct; extra ones beyond the max dropped */
	uint32_t sender_ssrc;         /* of the first packet */
};

/*
 * Walks a decrypted RTCP compound packet: every packet's version 2 and length within the
 * buffer, the first packet SR or RR (RFC 3550 6.1; RFC 5506 reduced-size feedback is also
 * accepted), report counts that fit, feedback with its FCI. Collects the routing.
 * Returns 0 or -DP_DROP_RTCP_BAD_HDR.
 */
int dp_rtcp_route(const uint8_t *p, uint32_t len, struct dp_rtcp_route *rt);

/*
 * The part of a compound RTCP packet that one receiving leg gets (RFC 4585: feedback is
 * about one media source and goes to its sender only). The leg sends `ssrcs`; `receiver`
 * says whether it receives the conference's media. Copied to out:
 *   - the report packets (SR, RR, SDES, BYE, APP, XR, ...) when the compound holds an SR or a
 *     BYE and the leg is a receiver, or when a report block is about one of the leg's SSRCs;
 *   - each feedback packet (RTPFB, PSFB) that is about one of the leg's SSRCs.
 * A compound that ends up starting with feedback is a reduced-size packet (RFC 5506); one
 * that would start with anything but SR, RR or feedback is not sent.
 * out must hold len bytes. Returns the length written, 0 when nothing is for this leg, or
 * -DP_DROP_RTCP_BAD_HDR when the compound is malformed (dp_rtcp_route would refuse it).
 */
int dp_rtcp_filter(const uint8_t *p, uint32_t len, const uint32_t *ssrcs, unsigned int n_ssrcs,
		   bool receiver, uint8_t *out);

/* ---- ARP / ICMP / ND, used by the control thread's host stack ---- */

struct dp_arp_info {
	uint16_t op;                  /* 1 request, 2 reply */
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};

/* Parses the ARP payload at frame + 14. 0 or -DP_DROP_ARP_BAD. */
int dp_arp_parse(const uint8_t *frame, uint32_t len, struct dp_arp_info *ai);

/*
 * Internet checksum (RFC 1071). dp_csum_add adds buf, read as big-endian 16-bit words, to the
 * running sum (host order, unfolded); any alignment, and an odd length is padded with a zero
 * byte, so only the last piece of a chained sum may be odd. dp_csum_fold folds the sum and
 * returns its one's complement in host order: the value for the checksum field (store it
 * with htons), or 0 when the summed bytes hold a valid checksum.
 */
uint32_t dp_csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t dp_csum_fold(uint32_t sum);

/*
 * Checksum of an IPv6 upper-layer packet (RFC 8200 8.1): pseudo header + l4 bytes, folded as
 * dp_csum_fold does. For UDP the caller sends a computed 0 as 0xffff.
 */
uint16_t dp_csum_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		      const void *l4, uint32_t l4_len);
uint16_t dp_csum_ipv4_l4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
			 const void *l4, uint32_t l4_len);

/* IPv4-mapped helpers. */
bool dp_ip_is_v4mapped(const uint8_t ip[16]);
void dp_ip_map_v4(uint8_t ip[16], const uint8_t v4[4]);

#endif /* DP_PKT_H */
