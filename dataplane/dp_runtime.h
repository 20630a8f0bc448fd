/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running dataplane: what main builds from the configuration and hands to the control
 * thread and the workers. Fields are grouped by the thread that writes them; everything
 * here is set up before the workers start and read-only afterwards unless marked.
 */
#ifndef DP_RUNTIME_H
#define DP_RUNTIME_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "dp_config.h"
#include "dp_pkt.h"
#include "dp_stats.h"
#include "dp_table.h"

#define DP_MAX_PORTS DP_CFG_MAX_PORTS
#define DP_MAX_RXQ_PER_WORKER 64
#define DP_MAX_BURST 256

struct dp_tables;
struct dp_state;
struct dp_host;

struct dp_port {
	const struct dp_cfg_port *cfg;
	uint16_t port_id;              /* ethdev port id */
	uint16_t n_rxq;
	uint16_t n_txq;                /* one per worker, fewer when the device has fewer */
	bool tx_shared;                /* workers share TX queues: transmit under tx_lock */
	uint16_t mtu;
	int socket;
	bool tx_ipv4_cksum;            /* offloads the device has */
	bool tx_udp_cksum;
	struct dp_port_addrs addrs;
	uint8_t v4_prefix_len;         /* 0..32 when addrs.has_v4 */
	uint8_t v6_prefix_len;
	rte_spinlock_t tx_lock[DP_MAX_WORKERS];
};

/* Packets a worker collected for one port's TX queue. */
struct dp_txbuf {
	uint16_t n;
	uint16_t queue;
	struct rte_mbuf *pkts[DP_MAX_BURST];
};

struct dp_rxq {
	uint16_t port;                 /* index in dp->ports */
	uint16_t queue;
};

/* One per worker lcore, written only by that lcore (rings are the exception: see dp_worker.c). */
struct __rte_cache_aligned dp_worker {
	/* read-only after start */
	struct dp_dataplane *dp;
	uint16_t index;                /* 0..n_workers-1: the owner id of legs */
	uint16_t lcore_id;
	uint16_t n_rxq;
	struct dp_rxq rxq[DP_MAX_RXQ_PER_WORKER];
	struct rte_ring *in_ring;      /* packets handed to this worker by the others (MP/SC) */
	struct rte_ring *inject_ring;  /* packets the control thread sends through us (SP/SC) */
	struct rte_mempool *pool;
	struct dp_txbuf tx[DP_MAX_PORTS];

	/* read-write: this lcore's counters */
	struct dp_lcore_stats stats;
	uint64_t rxq_packets[DP_MAX_RXQ_PER_WORKER];
	uint32_t n_legs;               /* legs owned (written by the control thread only) */
};

/* An event a worker reports to the control thread (ring of fixed-size elements). */
enum dp_event_type {
	DP_EV_LATCH = 1,               /* a leg's remote address learned from an authenticated packet */
	DP_EV_RESOLVE,                 /* a next hop needs ARP/ND resolution */
};

struct dp_event {
	uint16_t type;
	uint16_t port;                 /* port index */
	uint32_t leg_slot;
	uint32_t leg_gen;
	struct dp_endpoint ep;         /* LATCH: remote; RESOLVE: next hop (port unused) */
};
static_assert(sizeof(struct dp_event) % 4 == 0, "ring elements are multiples of 4 bytes");

/* What travels with a packet in its mbuf's private area. */
enum dp_meta_kind {
	DP_K_SRTP = 1,                 /* received SRTP, for its leg's owner */
	DP_K_SRTCP,
	DP_K_RTP_PLAIN,                /* decrypted RTP, for the owners of receiving legs */
	DP_K_RTCP_PLAIN,
	DP_K_TX,                       /* a frame the control thread sends */
};

struct dp_meta {
	uint8_t kind;
	uint8_t pad;
	uint16_t in_port;              /* port index it arrived on */
	uint16_t lport;                /* media port (UDP destination) */
	uint16_t off;                  /* start of RTP/RTCP in the mbuf data */
	uint16_t len;                  /* RTP/RTCP length */
	uint16_t hdr_len;              /* RTP header length */
	uint16_t seq;
	uint16_t tx_port;              /* DP_K_TX: port index to send on */
	uint32_t ssrc;                 /* RTP SSRC or RTCP sender SSRC */
	uint32_t leg_slot;             /* the sending leg */
	uint32_t leg_gen;
	uint32_t conf_slot;
	uint32_t conf_gen;
	uint64_t index;                /* SRTP packet index once authenticated */
	struct dp_endpoint src;
	uint8_t src_mac[6];
};

static inline struct dp_meta *
dp_meta(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

struct dp_dataplane {
	const struct dp_config *cfg;
	unsigned int n_ports;
	struct dp_port ports[DP_MAX_PORTS];
	unsigned int n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	struct dp_tables *tables;
	struct dp_state *state;        /* legs' crypto counters (dp_state.h) */
	struct dp_host *host;
	struct rte_ring *events;       /* workers -> control: struct dp_event (MP/SC) */
	struct rte_ring *slow;         /* workers -> control: ARP, ICMP, ND packets (MP/SC) */
	uint64_t media_bitmap[65536 / 64];
	uint64_t tsc_hz;
	uint64_t start_tsc;
	uint16_t burst;

	/* written by the control thread */
	struct dp_lcore_stats ctl_stats;
	volatile bool quit;            /* set by the signal handler, read by every thread */
};

static inline bool
dp_is_media_port(const struct dp_dataplane *dp, uint16_t port)
{
	return (dp->media_bitmap[port >> 6] >> (port & 63)) & 1;
}

#endif /* DP_RUNTIME_H */
