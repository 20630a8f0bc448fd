/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane client of sluice-cp: the control socket of sluice-dp (protocol in
 * dataplane/dp_proto.h) on the libevent loop. Requests are pipelined and matched to replies
 * by seq. The client reconnects with back-off when the socket closes (sluice-dp restarted);
 * after each connect it calls on_state(up = true), which is when sluice-cp reconciles.
 *
 * Callbacks get the reply's status (enum dp_status) and, for status DP_OK, the decoded data;
 * status -1 means no reply (connection lost, timeout). Key material passed in a spec is
 * wiped from the client's buffers once written.
 *
 * Return convention: 0 or negative errno (-ENOTCONN: not connected, callback not called).
 */
#ifndef CP_DP_H
#define CP_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_proto.h"

struct event_base;
struct cp_dp;

struct cp_dp_opts {
	const char *socket_path;
	unsigned int backoff_min_ms;   /* default 100 */
	unsigned int backoff_max_ms;   /* default 2000 */
	unsigned int timeout_ms;       /* default 3000 */
	void (*on_state)(struct cp_dp *d, bool up, void *arg);
	void *arg;
};

typedef void (*cp_dp_status_cb)(struct cp_dp *d, int status, const char *err_text, void *arg);
/* legs: n entries (one page); more: a cursor to continue after, 0 at the end. */
typedef void (*cp_dp_list_cb)(struct cp_dp *d, int status, const struct dp_leg_info *legs,
			      unsigned int n, uint32_t more, void *arg);
typedef void (*cp_dp_health_cb)(struct cp_dp *d, int status, const struct dp_health *h,
				void *arg);
typedef void (*cp_dp_stats_cb)(struct cp_dp *d, int status, const struct dp_stats_group *groups,
			       unsigned int n, void *arg);

struct cp_dp *cp_dp_new(struct event_base *base, const struct cp_dp_opts *opts);
void cp_dp_free(struct cp_dp *d);
bool cp_dp_up(const struct cp_dp *d);

int cp_dp_leg_add(struct cp_dp *d, const struct dp_leg_spec *spec, cp_dp_status_cb cb, void *arg);
int cp_dp_leg_del(struct cp_dp *d, uint32_t leg_id, cp_dp_status_cb cb, void *arg);
int cp_dp_conf_del(struct cp_dp *d, uint32_t conf_id, cp_dp_status_cb cb, void *arg);
/* One page of legs after cursor (0: from the start). */
int cp_dp_leg_list(struct cp_dp *d, uint32_t cursor, cp_dp_list_cb cb, void *arg);
int cp_dp_health(struct cp_dp *d, cp_dp_health_cb cb, void *arg);
int cp_dp_stats(struct cp_dp *d, cp_dp_stats_cb cb, void *arg);

#endif /* CP_DP_H */
