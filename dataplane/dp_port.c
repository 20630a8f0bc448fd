/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports. Setup is linear and fails fast with the port's name and the reason: a relay with a
 * half-configured port is worse than one that does not start.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp_log.h"
#include "dp_port.h"
#include "dp_runtime.h"

/* Room after the packet for the longest SRTP/SRTCP trailer a re-encrypted copy adds. */
#define TRAILER_ROOM 64

static struct rte_mempool *
pool_get(struct dp_dataplane *dp, int socket, uint16_t data_room)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (dp->pools[socket] != NULL)
		return dp->pools[socket];
	snprintf(name, sizeof(name), "sl_mbuf_%d", socket);
	dp->pools[socket] = rte_pktmbuf_pool_create(name, dp->cfg->mbufs, dp->cfg->mbuf_cache,
						    RTE_ALIGN(sizeof(struct dp_meta), RTE_MBUF_PRIV_ALIGN),
						    data_room, socket);
	if (dp->pools[socket] == NULL)
		DP_LOG(ERR, "cannot create %u mbufs on socket %d: %s", dp->cfg->mbufs, socket,
		       rte_strerror(rte_errno));
	return dp->pools[socket];
}

static void
addrs_from_cfg(struct dp_port *p, const struct dp_cfg_port *c)
{
	p->addrs.has_v4 = c->ipv4.set;
	if (c->ipv4.set) {
		memcpy(p->addrs.v4, c->ipv4.ip + 12, 4);
		p->v4_prefix_len = c->ipv4.prefix_len;
	}
	p->addrs.has_v6 = c->ipv6.set;
	if (c->ipv6.set) {
		memcpy(p->addrs.v6, c->ipv6.ip, 16);
		p->v6_prefix_len = c->ipv6.prefix_len;
	}
	dp_port_addrs_link_local(&p->addrs);
}

static int
port_setup(struct dp_dataplane *dp, unsigned int idx, unsigned int n_workers, uint16_t data_room)
{
	struct dp_port *p = &dp->ports[idx];
	const struct dp_cfg_port *c = &dp->cfg->ports[idx];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_eth_txconf txconf;
	struct rte_ether_addr mac;
	struct rte_eth_link link;
	struct rte_mempool *pool;
	uint16_t nb_rxd = c->rx_desc, nb_txd = c->tx_desc;
	int rc;

	p->cfg = c;
	if (rte_eth_dev_get_port_by_name(c->device, &p->port_id) != 0) {
		DP_LOG(ERR, "port %s: no device \"%s\" (list it in eal.vdevs or eal.pci)",
		       c->name, c->device);
		return -1;
	}
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		DP_LOG(ERR, "port %s: device info: %s", c->name, rte_strerror(-rc));
		return -1;
	}
	p->n_rxq = c->rx_queues;
	if (p->n_rxq > info.max_rx_queues) {
		DP_LOG(ERR, "port %s: %u rx queues configured, device %s has %u (net_af_packet: "
		       "qpairs=N in the vdev)", c->name, p->n_rxq, c->device, info.max_rx_queues);
		return -1;
	}
	/* AF_PACKET spreads packets over all its sockets: an unpolled one would lose them. */
	if (strcmp(info.driver_name, "net_af_packet") == 0 && p->n_rxq != info.max_rx_queues) {
		DP_LOG(ERR, "port %s: %s has qpairs=%u: set rx_queues = %u", c->name, c->device,
		       info.max_rx_queues, info.max_rx_queues);
		return -1;
	}
	/* One TX queue per worker; a device with fewer is shared under a lock. */
	p->n_txq = (uint16_t)RTE_MIN(n_workers, info.max_tx_queues);
	p->tx_shared = p->n_txq < n_workers;
	for (unsigned int q = 0; q < RTE_DIM(p->tx_lock); q++)
		rte_spinlock_init(&p->tx_lock[q]);
	if (p->tx_shared)
		DP_LOG(WARNING, "port %s: %u workers share %u tx queue(s) under a lock", c->name,
		       n_workers, p->n_txq);
	if (p->n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
						   info.flow_type_rss_offloads;
	}
	p->tx_ipv4_cksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	p->tx_udp_cksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
	if (p->tx_ipv4_cksum)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (p->tx_udp_cksum)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		DP_LOG(ERR, "port %s: configure: %s", c->name, rte_strerror(-rc));
		return -1;
	}
	p->mtu = c->mtu;
	rc = rte_eth_dev_set_mtu(p->port_id, c->mtu);
	if (rc != 0 && rc != -ENOTSUP) {
		DP_LOG(ERR, "port %s: MTU %u: %s", c->name, c->mtu, rte_strerror(-rc));
		return -1;
	}
	p->socket = rte_eth_dev_socket_id(p->port_id);
	if (p->socket < 0)
		p->socket = 0;
	pool = pool_get(dp, p->socket, data_room);
	if (pool == NULL)
		return -1;
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned int)p->socket, NULL, pool);
		if (rc != 0) {
			DP_LOG(ERR, "port %s: rx queue %u: %s", c->name, q, rte_strerror(-rc));
			return -1;
		}
	}
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned int)p->socket, &txconf);
		if (rc != 0) {
			DP_LOG(ERR, "port %s: tx queue %u: %s", c->name, q, rte_strerror(-rc));
			return -1;
		}
	}
	if (c->mac_set) {
		memcpy(mac.addr_bytes, c->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(p->port_id, &mac);
		if (rc != 0) {
			DP_LOG(ERR, "port %s: set MAC: %s", c->name, rte_strerror(-rc));
			return -1;
		}
	}
	rte_eth_macaddr_get(p->port_id, &mac);
	memcpy(p->addrs.mac, mac.addr_bytes, 6);
	addrs_from_cfg(p, c);
	/* Neighbour solicitations arrive on solicited-node multicast addresses. */
	rte_eth_allmulticast_enable(p->port_id);
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		DP_LOG(ERR, "port %s: start: %s", c->name, rte_strerror(-rc));
		return -1;
	}
	rte_eth_link_get_nowait(p->port_id, &link);
	DP_LOG(INFO, "port %s (%s): MAC " RTE_ETHER_ADDR_PRT_FMT ", %u rx / %u tx queues, "
	       "MTU %u, link %s %u Mbps, tx checksum offload %s", c->name, c->device,
	       RTE_ETHER_ADDR_BYTES(&mac), p->n_rxq, p->n_txq, p->mtu,
	       link.link_status ? "up" : "down", link.link_speed,
	       p->tx_udp_cksum ? "yes" : "no");
	return 0;
}

int
dp_ports_init(struct dp_dataplane *dp, unsigned int n_workers)
{
	uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE;

	for (unsigned int i = 0; i < dp->cfg->n_ports; i++) {
		uint32_t need = RTE_PKTMBUF_HEADROOM + dp->cfg->ports[i].mtu + RTE_ETHER_HDR_LEN +
				RTE_ETHER_CRC_LEN + TRAILER_ROOM;

		if (need > data_room)
			data_room = (uint16_t)need;
	}
	dp->n_ports = dp->cfg->n_ports;
	for (unsigned int i = 0; i < dp->n_ports; i++)
		if (port_setup(dp, i, n_workers, data_room) != 0)
			return -1;
	return 0;
}

void
dp_ports_close(struct dp_dataplane *dp)
{
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i].cfg == NULL)
			continue;
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(dp->pools[s]);
		dp->pools[s] = NULL;
	}
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
dp_port_route(const struct dp_dataplane *dp, const uint8_t ip[16], uint16_t *port,
	      uint8_t nexthop[16])
{
	bool v4 = dp_ip_is_v4mapped(ip);
	bool ll = !v4 && ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;

	for (unsigned int i = 0; i < dp->n_ports; i++) {
		const struct dp_port *p = &dp->ports[i];
		bool on_link = v4 ? p->addrs.has_v4 && prefix_match(ip + 12, p->addrs.v4, p->v4_prefix_len)
				  : p->addrs.has_v6 && (ll || prefix_match(ip, p->addrs.v6, p->v6_prefix_len));

		if (on_link) {
			*port = (uint16_t)i;
			memcpy(nexthop, ip, 16);
			return 0;
		}
	}
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		const struct dp_cfg_port *c = dp->ports[i].cfg;

		if (v4 ? c->gw4_set : c->gw6_set) {
			*port = (uint16_t)i;
			memcpy(nexthop, v4 ? c->gw4 : c->gw6, 16);
			return 0;
		}
	}
	return -1;
}
