/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay as a host on its links: ARP and IPv6 neighbour discovery (answering for our
 * addresses, resolving next hops), ICMP/ICMPv6 echo (rate-limited), and the neighbour table.
 *
 * Everything but dp_neigh_lookup runs on the control thread, the neighbour table's single
 * writer; workers read it lock-free (rte_hash LF + RCU, like the session table).
 */
#ifndef DP_HOST_H
#define DP_HOST_H

#include <stdint.h>

#include <rte_mbuf.h>

struct dp_dataplane;
struct dp_host;

/* Creates the neighbour table with the configured static entries. NULL on failure. */
struct dp_host *dp_host_create(struct dp_dataplane *dp);
void dp_host_free(struct dp_host *h);

/* A frame a worker passed up (ARP, ICMP, ICMPv6; meta in_port set). Consumes m. */
void dp_host_input(struct dp_host *h, struct rte_mbuf *m);

/* Asks for the MAC of ip on port (ARP request or neighbour solicitation), at most once a second. */
void dp_host_resolve(struct dp_host *h, uint16_t port, const uint8_t ip[16]);

/* Worker side: 0 with mac filled when ip on port is resolved, else -1. */
int dp_neigh_lookup(const struct dp_host *h, uint16_t port, const uint8_t ip[16], uint8_t mac[6]);

/* Number of resolved neighbours. */
unsigned int dp_host_neigh_count(const struct dp_host *h);

#endif /* DP_HOST_H */
