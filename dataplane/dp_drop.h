/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every reason for which the dataplane drops a packet, with the name that counters,
 * `sluicectl dp stats` and telemetry show. One list, so that a reason cannot exist
 * without a counter or a name.
 */
#ifndef DP_DROP_H
#define DP_DROP_H

#define DP_DROP_REASONS(X)                                                              \
	X(NONE, "none")                         /* not dropped: status 0 */              \
	/* layer 2 */                                                                   \
	X(L2_SHORT, "l2_short")                 /* shorter than an Ethernet header */    \
	X(L2_NOT_OURS, "l2_not_ours")           /* destination MAC is not ours */        \
	X(L2_ETHERTYPE, "l2_ethertype")         /* neither IPv4, IPv6 nor ARP */         \
	X(L2_MULTISEG, "l2_multiseg")           /* chained mbuf (jumbo frame) */         \
	X(ARP_BAD, "arp_bad")                   /* malformed ARP */                      \
	X(ARP_NOT_OURS, "arp_not_ours")         /* ARP for an address that is not ours */ \
	/* layer 3 */                                                                   \
	X(IP_BAD_HDR, "ip_bad_header")          /* version, header or total length */    \
	X(IP_BAD_CSUM, "ip_bad_checksum")                                               \
	X(IP_FRAGMENT, "ip_fragment")                                                   \
	X(IP_NOT_OURS, "ip_not_ours")           /* destination is not our address */     \
	X(IP_PROTO, "ip_proto")                 /* not UDP and not ICMP */               \
	X(IP6_EXT_HDR, "ipv6_ext_header")       /* IPv6 extension headers */             \
	X(ICMP_BAD, "icmp_bad")                 /* malformed or unhandled ICMP/ICMPv6 */ \
	X(ICMP_ERROR, "icmp_error")             /* ICMP errors (unreachable...): not acted on */ \
	X(ICMP_RATELIMIT, "icmp_ratelimited")                                           \
	/* layer 4 and demux (RFC 7983) */                                              \
	X(UDP_BAD_LEN, "udp_bad_length")                                                \
	X(UDP_NOT_MEDIA, "udp_not_media_port")  /* UDP to a port that is not a media port */ \
	X(DEMUX_UNKNOWN, "demux_unknown")       /* first byte in no RFC 7983 range */    \
	X(STUN_UNHANDLED, "stun_unhandled")     /* STUN to a leg that has no ICE */      \
	X(DTLS_UNHANDLED, "dtls_unhandled")     /* DTLS to a leg that has no DTLS */     \
	/* RTP / RTCP headers */                                                        \
	X(RTP_BAD_HDR, "rtp_bad_header")        /* too short, CSRC or extension overrun */ \
	X(RTCP_BAD_HDR, "rtcp_bad_header")      /* malformed compound packet */          \
	X(UNKNOWN_SSRC, "unknown_ssrc")         /* no leg sends this SSRC on this port */ \
	X(SSRC_NOT_ALLOWED, "ssrc_not_allowed") /* latched leg sent an SSRC not its own */ \
	X(LEG_RECVONLY, "leg_recvonly")         /* media from a leg that may not send */ \
	/* SRTP / SRTCP */                                                              \
	X(SRTP_SHORT, "srtp_short")             /* shorter than header plus tag */       \
	X(SRTP_AUTH, "srtp_auth_fail")                                                  \
	X(SRTP_REPLAY, "srtp_replay")           /* seen, or older than the window */     \
	X(SRTP_KEY_LIMIT, "srtp_key_limit")     /* key used for 2^48 packets */          \
	X(SRTCP_SHORT, "srtcp_short")           /* shorter than header, index and tag */ \
	X(SRTCP_AUTH, "srtcp_auth_fail")                                                \
	X(SRTCP_REPLAY, "srtcp_replay")                                                 \
	X(SRTCP_ERROR, "srtcp_error")           /* any other SRTCP failure */            \
	/* forwarding */                                                                \
	X(LEG_GONE, "leg_gone")                 /* leg removed while its packet was queued */ \
	X(NO_REMOTE, "no_remote")               /* receiving leg has no address yet */   \
	X(NO_ROUTE, "no_route")                 /* no port reaches the remote address */ \
	X(NO_NEIGH, "no_neighbour")             /* next hop not resolved (ARP/ND) */     \
	X(NO_MBUF, "no_mbuf")                   /* mempool empty */                      \
	X(TOO_BIG, "too_big")                   /* re-encrypted packet would exceed the MTU */ \
	X(RING_FULL, "ring_full")               /* hand-off ring to another lcore full */ \
	X(SLOW_FULL, "slowpath_full")           /* ring to the control thread full */    \
	X(TX_FULL, "tx_full")                   /* NIC transmit queue full */

enum dp_drop {
#define DP_DROP_ENUM(id, name) DP_DROP_##id,
	DP_DROP_REASONS(DP_DROP_ENUM)
#undef DP_DROP_ENUM
	DP_DROP_MAX
};

/* The stable name of a drop reason ("srtp_auth_fail"), or "?" when out of range. */
const char *dp_drop_name(enum dp_drop reason);

#endif /* DP_DROP_H */
