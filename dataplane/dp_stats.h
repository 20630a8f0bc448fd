/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters. Each lcore owns one struct dp_lcore_stats and increments it with plain stores
 * (no atomics: one writer); readers (the control thread, telemetry) sum over lcores and
 * tolerate a value that is a few packets old.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "dp_drop.h"
#include "dp_proto.h"

#define DP_LCORE_COUNTERS(X)                                                            \
	X(rx_packets)       /* received from NIC queues */                               \
	X(rx_bytes)                                                                     \
	X(tx_packets)       /* handed to NIC queues */                                   \
	X(tx_bytes)                                                                     \
	X(srtp_in)          /* RTP packets authenticated and decrypted */                \
	X(srtcp_in)                                                                     \
	X(srtp_out)         /* RTP copies encrypted for a receiving leg */               \
	X(srtcp_out)                                                                    \
	X(handoff_out)      /* packets passed to another lcore */                        \
	X(handoff_in)                                                                   \
	X(slowpath)         /* ARP, ICMP, ND passed to the control thread */             \
	X(host_tx)          /* ARP/ND/ICMP replies sent for the control thread */         \
	X(latch)            /* leg addresses learned */                                  \
	X(loops)                                                                        \
	X(idle_sleeps)

struct __rte_cache_aligned dp_lcore_stats {
#define DP_STATS_FIELD(name) uint64_t name;
	DP_LCORE_COUNTERS(DP_STATS_FIELD)
#undef DP_STATS_FIELD
	uint64_t drops[DP_DROP_MAX];
};

#define DP_DROP(st, reason) ((st)->drops[DP_DROP_##reason]++)

struct dp_dataplane;

/* Snapshots for the control socket. */
void dp_stats_lcore(const struct dp_dataplane *dp, unsigned int worker, struct dp_stats_group *g);
void dp_stats_control(const struct dp_dataplane *dp, struct dp_stats_group *g);
void dp_stats_port(const struct dp_dataplane *dp, unsigned int port, struct dp_stats_group *g);
/* Every drop reason summed over all lcores and the control thread (zero ones included). */
void dp_stats_drops(const struct dp_dataplane *dp, struct dp_stats_group *g);

/* Registers /sluice/stats, /sluice/drops and /sluice/ports with DPDK telemetry. */
int dp_stats_telemetry_init(struct dp_dataplane *dp);

#endif /* DP_STATS_H */
