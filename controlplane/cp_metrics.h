/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /metrics in the Prometheus text format, on its own plain-HTTP listener (loopback by
 * default): the control plane's counters, the state of Redis and of the dataplane, and the
 * dataplane's port, worker and drop counters, fetched at each scrape.
 */
#ifndef CP_METRICS_H
#define CP_METRICS_H

struct cp_req;

/* The HTTP handler of the metrics listener (arg: struct cp_server). */
void cp_metrics_handle(struct cp_req *req, void *arg);

#endif /* CP_METRICS_H */
