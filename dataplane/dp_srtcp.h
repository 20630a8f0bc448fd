/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A leg's SRTCP (RFC 3711 3.4, RFC 7714 9) on dp_srtp's SRTCP transform.
 *
 * Inbound: the leg's key, replay state per sender SSRC. Outbound: the relay's key for the
 * leg and one SRTCP index for the whole leg, counted by the relay: every packet it sends the
 * leg gets the next one, whatever SSRC it carries, so no (SSRC, index) pair repeats under
 * the key however the compound packets it forwards were cut. Both counters live in the leg's
 * struct dp_leg_state (dp_state.h), so that they survive a restart of the process.
 *
 * The two contexts are made on first use, on the leg's owner lcore, so that a leg install
 * pays for neither: until then the master keys wait here, and are wiped once the context
 * holds them (or when the leg goes). Used only by the owner lcore; the control thread
 * creates and frees the struct before the owner sees it and after it no longer can.
 * Return convention: 0 or enum dp_drop.
 */
#ifndef DP_SRTCP_H
#define DP_SRTCP_H

#include <stddef.h>
#include <stdint.h>

#include "dp_srtp.h"

struct dp_leg_state;
struct dp_srtcp;

/* NULL when the suite is unknown, a key is missing or its length does not match the suite. */
struct dp_srtcp *dp_srtcp_leg_create(uint8_t suite, const uint8_t *key_in, size_t in_len,
				     const uint8_t *key_out, size_t out_len,
				     struct dp_leg_state *state);
void dp_srtcp_leg_free(struct dp_srtcp *s);

/*
 * In place; *len becomes the RTCP length. keep[] are the leg's signalled SSRCs, whose replay
 * state is never given up for another SSRC's. 0 or SRTCP_SHORT, SRTCP_AUTH, SRTCP_REPLAY,
 * SRTCP_ERROR (no context: out of memory; no replay state left for the SSRC).
 */
int dp_srtcp_leg_unprotect(struct dp_srtcp *s, const uint32_t *keep, unsigned int n_keep,
			   uint8_t *pkt, uint32_t *len);

/* In place under the leg's next SRTCP index; cap is the writable room from pkt, at least
 * *len + DP_SRTCP_TRAILER_MAX. 0 or SRTCP_ERROR (also once the index space is spent). */
int dp_srtcp_leg_protect(struct dp_srtcp *s, uint8_t *pkt, uint32_t *len, uint32_t cap);

#endif /* DP_SRTCP_H */
