/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This relay's duties towards the cluster and its dataplane: a heartbeat in Redis, and
 * reconciliation, which makes the dataplane hold exactly the legs that Redis assigns to this
 * relay: it installs every leg Redis has (at start, after the dataplane restarted, after
 * Redis came back) and removes the legs Redis no longer has (ended, left or expired; also
 * checked periodically so that TTL expiry reaches the dataplane).
 */
#ifndef CP_RELAY_H
#define CP_RELAY_H

struct cp_server;

/* Starts the heartbeat and periodic reconciliation timers. 0 or -ENOMEM. */
int cp_relay_start(struct cp_server *s);
void cp_relay_stop(struct cp_server *s);
/* Reconciles now (or once more after the one running). Needs Redis and the dataplane up. */
void cp_relay_reconcile(struct cp_server *s);
/* Writes the heartbeat now. */
void cp_relay_heartbeat(struct cp_server *s);

#endif /* CP_RELAY_H */
