/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto state that outlives the process: per leg, the SRTP and SRTCP replay state of each
 * inbound SSRC (with it the rollover counter) and the last outbound SRTCP index.
 *
 * sluice-cp re-installs the same keys after sluice-dp restarts. Without this state the
 * relay would take a stream past 65,536 packets for ROC 0 (authentication fails, media does
 * not resume) and would send SRTCP indexes from 1 again under a key that already used them
 * (keystream reuse in AES-CM, nonce reuse in GCM). So the workers keep these counters in a
 * shared file mapping: every store is in the page cache the moment it is made, and survives
 * the process however it ends (kill -9 included). When a leg comes back with the same id,
 * suite and keys (a salted SHA-256 fingerprint finds it; no key is written), its state is
 * restored; the outbound SRTCP index then skips DP_STATE_INDEX_SKIP ahead, covering what a
 * kernel crash could have lost between write-backs (dp_state_tick starts one every
 * DP_STATE_WRITEBACK_S).
 *
 * Slots: a leg's state is claimed when its crypto is made and released when that crypto is
 * freed after its grace period; a key change claims a new slot. Slots found in use at open
 * are orphans: each waits to be claimed back by its leg, and is wiped at orphan_ttl after
 * open, or earlier when a claim finds no free slot. Without a file (path "" or NULL) the
 * state lives in anonymous memory: the same code, nothing kept.
 *
 * Threads: the control thread opens, claims, releases and ticks; a slot's counters are
 * written by its leg's owner lcore only, between claim and release. Return convention:
 * pointers, NULL on failure (dp_state_open with a message in err); dp_state_fingerprint
 * 0 or -1.
 */
#ifndef DP_STATE_H
#define DP_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "dp_proto.h"
#include "dp_srtp.h"

#define DP_STATE_FP_LEN 16
#define DP_STATE_INDEX_SKIP (1u << 16)
#define DP_STATE_WRITEBACK_S 10            /* seconds between write-backs of the file */

/* Replay state of up to DP_LEG_MAX_SSRCS inbound SSRCs. */
struct dp_replay_set {
	uint32_t n;
	uint32_t ssrc[DP_LEG_MAX_SSRCS];
	struct dp_srtp_replay r[DP_LEG_MAX_SSRCS];
};

/* One leg's slot in the state file. */
struct dp_leg_state {
	/* control thread */
	uint32_t magic;                    /* DP_STATE_SLOT_USED while claimed, else 0 */
	uint32_t leg_id;
	uint8_t fp[DP_STATE_FP_LEN];
	/* owner lcore */
	uint32_t rtcp_out_index;           /* the last SRTCP index sent; 0: none yet */
	struct dp_replay_set rtp;
	struct dp_replay_set rtcp;
} __attribute__((aligned(64)));

struct dp_state;

/*
 * Opens (creating it 0600 if needed) and maps the state file at path for `slots` legs, or
 * anonymous memory when path is NULL or "". The file is locked: a second sluice-dp on it is
 * refused. A file of another layout is refused (the message says so); one of another size
 * is resized (orphans beyond the new size are lost: dp_state_info counts them). orphan_ttl in
 * seconds. NULL with a message in err.
 */
struct dp_state *dp_state_open(const char *path, uint32_t slots, uint32_t orphan_ttl,
			       char *err, size_t errlen);
/* Writes back and unmaps; claimed slots stay in the file for the next start. */
void dp_state_close(struct dp_state *st);

/*
 * The fingerprint a leg's state is found by: SHA-256 over the file's salt, the leg id, the
 * suite and both master keys, cut to DP_STATE_FP_LEN. 0 or -1.
 */
int dp_state_fingerprint(const struct dp_state *st, uint32_t leg_id, uint8_t suite,
			 const uint8_t *key_in, size_t in_len, const uint8_t *key_out,
			 size_t out_len, uint8_t fp[DP_STATE_FP_LEN]);

/*
 * A slot for a leg: its orphan when fp matches one (restored, *restored = 1), otherwise a
 * fresh zeroed slot (*restored = 0). NULL when every slot is claimed.
 */
struct dp_leg_state *dp_state_claim(struct dp_state *st, uint32_t leg_id,
				    const uint8_t fp[DP_STATE_FP_LEN], int *restored);
/* Wipes the slot and frees it; no worker may use it any more. NULL is a no-op. */
void dp_state_release(struct dp_state *st, struct dp_leg_state *ls);

/* Undoes a claim whose leg was not installed: a restored slot is an orphan again, a fresh
 * one is released. NULL is a no-op. */
void dp_state_unclaim(struct dp_state *st, struct dp_leg_state *ls);

/*
 * Once a second or so, now_s from any clock of seconds: wipes the orphans left once
 * orphan_ttl has passed since the first tick, and starts write-back. Returns the number of
 * orphans it wiped.
 */
uint32_t dp_state_tick(struct dp_state *st, uint64_t now_s);

/* For logs and `dp health`: claimed slots, orphans left, slots in all. */
struct dp_state_info {
	uint32_t claimed;
	uint32_t orphans;
	uint32_t restored;                 /* orphans claimed back since open */
	uint32_t dropped;                  /* saved states lost to a smaller size at open */
	uint32_t slots;
	int persistent;                    /* 1: a file, 0: anonymous memory */
};
void dp_state_info(const struct dp_state *st, struct dp_state_info *info);

/*
 * The replay state of ssrc in set, taking a free entry, or when the set is full the entry
 * of an SSRC not in keep[] (the leg no longer has it, or never signalled it). NULL when
 * every entry holds an SSRC of keep[]. Owner lcore.
 */
struct dp_srtp_replay *dp_replay_get(struct dp_replay_set *set, uint32_t ssrc,
				     const uint32_t *keep, unsigned int n_keep);

/* The replay state of ssrc in set, or NULL when it has none. */
struct dp_srtp_replay *dp_replay_find(struct dp_replay_set *set, uint32_t ssrc);

#endif /* DP_STATE_H */
