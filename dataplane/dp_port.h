/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: mempools, ethdev setup from the configuration, and connected-route lookup. */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stdint.h>

struct dp_dataplane;

/* Main thread, after EAL init and before the workers are created: mempools, then each
 * configured port configured with its RX queues and one TX queue per worker, started.
 * 0, or -1 with the reason logged. */
int dp_ports_init(struct dp_dataplane *dp, unsigned int n_workers);
void dp_ports_close(struct dp_dataplane *dp);

/*
 * Which port reaches ip (IPv4-mapped or IPv6), and the next hop: ip itself when a port's
 * prefix holds it (or it is IPv6 link-local), else the gateway of the first port that has
 * one for the family. 0, or -1 when nothing reaches it.
 */
int dp_port_route(const struct dp_dataplane *dp, const uint8_t ip[16], uint16_t *port,
		  uint8_t nexthop[16]);

#endif /* DP_PORT_H */
