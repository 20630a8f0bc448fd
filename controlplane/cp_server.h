/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the parts of sluice-cp share: the loop, the configuration in force, the keyring,
 * the clients of Redis and of the dataplane, and the counters that /metrics exposes.
 * One instance, owned by cp_main.c; everything runs on its one libevent thread.
 */
#ifndef CP_SERVER_H
#define CP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "cp_conf.h"
#include "cp_crypto.h"

struct event_base;
struct event;
struct cp_redis;
struct cp_dp;
struct cp_http;
struct cp_store;

/* Counters of the control plane, named as /metrics shows them (prefix sluice_cp_). */
#define CP_COUNTERS(X)                                                        \
	X(logins_ok, "successful logins")                                     \
	X(logins_failed, "refused logins (credentials)")                      \
	X(logins_locked, "logins refused by a lockout")                       \
	X(joins, "legs joined")                                               \
	X(joins_failed, "joins refused or failed")                            \
	X(leaves, "legs that left")                                           \
	X(conferences_created, "conferences created")                         \
	X(conferences_ended, "conferences ended")                             \
	X(redis_down_events, "times the Redis connection was lost")           \
	X(dp_down_events, "times the dataplane connection was lost")          \
	X(reconciles, "reconciliations with the dataplane")                   \
	X(legs_reinstalled, "legs installed by reconciliation")               \
	X(legs_pruned, "legs removed from the dataplane by reconciliation")   \
	X(dp_errors, "dataplane requests that failed")

struct cp_counters {
#define CP_COUNTER_FIELD(name, help) uint64_t name;
	CP_COUNTERS(CP_COUNTER_FIELD)
#undef CP_COUNTER_FIELD
};

struct cp_server {
	struct event_base *base;
	struct cp_config cfg;
	struct cp_keyring ring;
	struct cp_redis *redis;
	struct cp_dp *dp;
	struct cp_http *api;
	struct cp_http *metrics;
	struct cp_counters c;
	uint64_t started;            /* Unix time */
	bool reconcile_running;
	bool reconcile_again;        /* asked for while one was running */
};

#endif /* CP_SERVER_H */
