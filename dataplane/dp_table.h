/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: legs, conferences and the two lock-free lookup tables the workers read.
 *
 *   ssrc table  (scope, SSRC) -> leg slot. scope = media UDP port: how an inbound packet
 *               finds its leg before the leg has latched; scope = DP_SCOPE_CONF | conf slot:
 *               which leg of a conference publishes an SSRC (RTCP feedback routing).
 *   flow table  (remote IP, remote port, media port) -> leg slot, for latched legs.
 *
 * Both are rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF and the integrated RCU QSBR
 * (RTE_HASH_QSBR_MODE_DQ: the hash recycles its own key slots after a grace period): workers
 * look up without locks; only the control thread writes (single writer). A leg's
 * configuration (struct dp_leg_cfg) and a conference's member list are immutable snapshots
 * published with a release store, so a worker that loaded a pointer may use it until its
 * next quiescent report. A slot's `gen` changes when the leg is removed, so a packet queued
 * for a leg that is gone is recognised and dropped.
 *
 * Deferred reclamation: a writer never waits for the workers. What a change unpublished (a
 * replaced configuration or member list, a removed leg's configuration and crypto, the slot
 * of a removed leg or released conference) is retired into a FIFO stamped with one
 * rte_rcu_qsbr_start() token per change, taken after every reference to it was unpublished,
 * and freed by dp_tables_reclaim() once rte_rcu_qsbr_check() says every worker has passed a
 * quiescent state since. A retired slot stays off its free list until then, so a leg or a
 * conference slot is never reused while a worker may still read it under its old identity;
 * only when a table has no free slot left does a writer wait for one grace period (a slot
 * whose grace period is pending then becomes free). The control thread calls
 * dp_tables_reclaim() once per loop iteration.
 *
 * Return convention: writer functions return enum dp_status (DP_OK = 0).
 */
#ifndef DP_TABLE_H
#define DP_TABLE_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "dp_proto.h"
#include "dp_srtp.h"

struct dp_srtcp;
struct dp_config;
struct dp_leg_state;
struct dp_state;
struct dp_retired;

#define DP_SCOPE_CONF 0x80000000u
#define DP_MAX_WORKERS 64

struct dp_ssrc_key {
	uint32_t scope;
	uint32_t ssrc;
};

struct dp_flow_key {
	uint8_t ip[16];
	uint16_t rport;
	uint16_t lport;
};

/*
 * SRTP state of a leg; replaced as a whole when its keys change. Owner lcore only. The
 * counters (replay state, ROCs, the SRTCP index) are in `state`, in the state file.
 */
struct dp_leg_crypto {
	struct dp_srtp_ctx *rtp_in;        /* the leg's key: what it sends us */
	struct dp_srtp_ctx *rtp_out;       /* the relay's key for the leg */
	struct dp_srtcp *rtcp;
	struct dp_leg_state *state;
};

/* Immutable once published. */
struct dp_leg_cfg {
	uint32_t leg_id;
	uint32_t conf_id;
	uint32_t conf_slot;
	uint32_t flags;                    /* DP_LEG_F_* */
	uint16_t media_port;
	uint8_t suite;
	uint8_t n_ssrcs;
	uint32_t ssrcs[DP_LEG_MAX_SSRCS];
	bool has_remote;                   /* signalled remote (SDP c=/m=) */
	struct dp_endpoint remote;
	uint32_t remote_gen;               /* changes when the signalled remote changes */
	struct dp_leg_crypto *crypto;
};

/* What the owner lcore keeps about a leg: where to send, counters. Owner lcore only. */
struct dp_leg_rt {
	bool has_dest;
	bool latched;                      /* dest learned from an authenticated packet */
	bool mac_valid;
	bool latch_reported;               /* the control thread knows the current latch */
	bool latched_rtp;                  /* latched from RTP (not RTCP alone) */
	uint16_t egress;                   /* port index */
	uint8_t dst_mac[6];
	struct dp_endpoint dest;
	uint32_t applied_remote_gen;
	uint64_t resolve_tsc;              /* next time to ask for or recheck the next hop */
	struct dp_leg_counters counters;
};

struct __rte_cache_aligned dp_leg {
	/* published by the control thread, read by every worker */
	struct dp_leg_cfg *cfg;            /* NULL: free slot */
	uint32_t gen;
	uint16_t owner;                    /* worker index */

	/* control thread only */
	bool ctl_latched;
	struct dp_endpoint ctl_latched_ep;
	bool ctl_flow_valid;
	struct dp_flow_key ctl_flow;
	uint32_t next_free;

	/* owner lcore only */
	alignas(RTE_CACHE_LINE_SIZE) struct dp_leg_rt rt;
};

struct dp_conf_group {
	uint16_t owner;                    /* worker index */
	uint16_t pad;
	uint32_t first;                    /* into legs[] */
	uint32_t count;
};

/* Immutable once published: a conference's legs grouped by owner lcore. */
struct dp_conf_members {
	uint32_t n;
	uint32_t n_groups;
	struct dp_conf_group groups[DP_MAX_WORKERS];
	uint32_t legs[];                   /* leg slots */
};

struct dp_conf {
	struct dp_conf_members *members;   /* published; NULL: free slot */
	uint32_t gen;
	/* control thread only */
	uint32_t conf_id;
	uint32_t n_legs;
	uint32_t next_free;
};

struct dp_tables {
	struct rte_hash *ssrc;
	struct rte_hash *flow;
	struct rte_hash *leg_ids;          /* control thread only: leg id -> slot */
	struct rte_hash *conf_ids;         /* control thread only: conf id -> slot */
	struct rte_rcu_qsbr *rcu;
	struct dp_leg *legs;
	struct dp_conf *confs;
	uint32_t max_legs;
	uint32_t max_confs;
	uint32_t n_legs;
	uint32_t n_confs;
	uint32_t free_leg;                 /* free lists, UINT32_MAX terminated */
	uint32_t free_conf;
	unsigned int n_workers;
	uint32_t *worker_legs;             /* legs per owner, for placement */
	const struct dp_config *cfg;
	struct dp_state *state;            /* where legs' crypto counters live */
	bool own_state;                    /* made by dp_tables_create (anonymous) */
	/* control thread only: the retired objects, a ring of retired_cap (a power of two)
	 * entries; [head, stamped) carry their token, [stamped, tail) wait for the end of the
	 * change that retires them. Indexes run freely and are masked. */
	struct dp_retired *retired;
	uint32_t retired_cap;
	uint32_t retired_head;
	uint32_t retired_stamped;
	uint32_t retired_tail;
	uint32_t pending_legs;             /* leg slots retired, not yet on free_leg */
	uint32_t pending_confs;            /* conference slots retired, not yet on free_conf */
};

/*
 * Control thread: create at start (before workers run), free after they stopped (it frees
 * what is still retired without waiting). Legs keep their crypto counters in `state`
 * (dp_state_open for cfg->max_legs + DP_TABLES_STATE_SPARE slots; the caller closes it after
 * dp_tables_free, which leaves the live legs' counters there for the next start); NULL: in
 * anonymous memory of the tables' own.
 */
#define DP_TABLES_STATE_SPARE 1024         /* key changes and removals in their grace period */
struct dp_tables *dp_tables_create(const struct dp_config *cfg, unsigned int n_workers,
				   int socket, struct dp_state *state);
void dp_tables_free(struct dp_tables *t);
/* Frees what was retired and whose grace period is over; never waits. Cheap when none is. */
void dp_tables_reclaim(struct dp_tables *t);

/* ---- writers: control thread only ---- */

/*
 * *err points to a static explanation when the result is not DP_OK. Each writer is O(legs of
 * the conferences it touches): removing a conference removes all its legs in one pass.
 * DP_ERR_INTERNAL (out of memory) leaves the tables as they were.
 */
int dp_tables_leg_add(struct dp_tables *t, const struct dp_leg_spec *spec, const char **err);
int dp_tables_leg_update(struct dp_tables *t, const struct dp_leg_spec *spec, const char **err);
int dp_tables_leg_del(struct dp_tables *t, uint32_t leg_id);
int dp_tables_conf_del(struct dp_tables *t, uint32_t conf_id, uint32_t *n_removed);
/* Records a latch reported by the owner: moves the leg's flow entry to ep. */
void dp_tables_latch(struct dp_tables *t, uint32_t slot, uint32_t gen, const struct dp_endpoint *ep);

/* ---- queries: control thread only ---- */

int dp_tables_leg_info(const struct dp_tables *t, uint32_t leg_id, struct dp_leg_info *info);
/* Up to max leg ids greater than `after`, ascending, of conference conf_id (0: any). */
unsigned int dp_tables_leg_ids(const struct dp_tables *t, uint32_t conf_id, uint32_t after,
			       uint32_t *ids, unsigned int max);

/* ---- readers: workers ---- */

static inline struct dp_leg *
dp_tables_leg(const struct dp_tables *t, uint32_t slot)
{
	return &t->legs[slot];
}

static inline struct dp_leg_cfg *
dp_leg_cfg_load(const struct dp_leg *leg)
{
	return __atomic_load_n(&leg->cfg, __ATOMIC_ACQUIRE);
}

static inline uint32_t
dp_leg_gen_load(const struct dp_leg *leg)
{
	return __atomic_load_n(&leg->gen, __ATOMIC_ACQUIRE);
}

static inline struct dp_conf_members *
dp_conf_members_load(const struct dp_conf *c)
{
	return __atomic_load_n(&c->members, __ATOMIC_ACQUIRE);
}

/* Slot of the leg for (scope, ssrc), or -1. */
static inline int64_t
dp_tables_ssrc_lookup(const struct dp_tables *t, uint32_t scope, uint32_t ssrc)
{
	struct dp_ssrc_key k = { .scope = scope, .ssrc = ssrc };
	void *data;

	if (rte_hash_lookup_data(t->ssrc, &k, &data) < 0)
		return -1;
	return (int64_t)(uintptr_t)data;
}

/* Whether ssrc is one the leg may send. */
static inline bool
dp_leg_cfg_has_ssrc(const struct dp_leg_cfg *cfg, uint32_t ssrc)
{
	for (unsigned int i = 0; i < cfg->n_ssrcs; i++)
		if (cfg->ssrcs[i] == ssrc)
			return true;
	return false;
}

#endif /* DP_TABLE_H */
