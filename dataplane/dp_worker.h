/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores: the poll loop that forwards SRTP (the threading model is in dp_worker.c). */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include <rte_mbuf.h>

struct dp_dataplane;

/* Main thread, before launch: workers, their rings and TX buffers, RX queues spread
 * round-robin over the workers. 0 or -1 (logged). */
int dp_workers_create(struct dp_dataplane *dp);
void dp_workers_free(struct dp_dataplane *dp);

/* lcore entry point; arg is the struct dp_worker. Returns when dp->quit is set. */
int dp_worker_main(void *arg);

/* Control thread: sends a complete frame out of port (index) through a worker's TX queue.
 * Consumes m. 0, or -ENOBUFS when the worker's inject ring is full (m freed). */
int dp_worker_inject(struct dp_dataplane *dp, struct rte_mbuf *m, uint16_t port);

#endif /* DP_WORKER_H */
