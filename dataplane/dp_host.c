/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP, neighbour discovery and echo for the relay's own addresses (see dp_host.h).
 * Control thread only, except dp_neigh_lookup.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "dp_be.h"
#include "dp_host.h"
#include "dp_log.h"
#include "dp_pkt.h"
#include "dp_runtime.h"
#include "dp_worker.h"

#define NEIGH_RESOLVED (1ull << 63)
#define NEIGH_MAC_MASK ((1ull << 48) - 1)
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_LEN 32                       /* NS/NA with one link-layer option */

struct neigh_key {
	uint8_t ip[16];
	uint16_t port;
	uint16_t pad;
};

struct dp_host {
	struct dp_dataplane *dp;
	struct rte_hash *neigh;
	unsigned int n_resolved;
	struct {
		uint64_t tokens;                /* echo replies we may still send */
		uint64_t last_tsc;
	} icmp[DP_MAX_PORTS];
};

static void
key_make(struct neigh_key *k, uint16_t port, const uint8_t ip[16])
{
	memset(k, 0, sizeof(*k));
	memcpy(k->ip, ip, 16);
	k->port = port;
}

static uint64_t
mac_pack(const uint8_t mac[6])
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 6; i++)
		v = (v << 8) | mac[i];
	return v;
}

static void
neigh_set(struct dp_host *h, uint16_t port, const uint8_t ip[16], const uint8_t mac[6])
{
	struct neigh_key k;
	void *old;
	uint64_t v = NEIGH_RESOLVED | mac_pack(mac);

	key_make(&k, port, ip);
	if (rte_hash_lookup_data(h->neigh, &k, &old) >= 0) {
		if ((uint64_t)(uintptr_t)old == v)
			return;
		if (!((uint64_t)(uintptr_t)old & NEIGH_RESOLVED))
			h->n_resolved++;
	} else {
		h->n_resolved++;
	}
	/* An existing key's data is replaced atomically: readers see the old or the new MAC. */
	if (rte_hash_add_key_data(h->neigh, &k, (void *)(uintptr_t)v) < 0) {
		h->n_resolved--;
		DP_LOG(WARNING, "neighbour table full");
	}
}

int
dp_neigh_lookup(const struct dp_host *h, uint16_t port, const uint8_t ip[16], uint8_t mac[6])
{
	struct neigh_key k;
	void *data;
	uint64_t v;

	key_make(&k, port, ip);
	if (rte_hash_lookup_data(h->neigh, &k, &data) < 0)
		return -1;
	v = (uint64_t)(uintptr_t)data;
	if (!(v & NEIGH_RESOLVED))
		return -1;
	for (int i = 5; i >= 0; i--, v >>= 8)
		mac[i] = (uint8_t)v;
	return 0;
}

unsigned int
dp_host_neigh_count(const struct dp_host *h)
{
	return h->n_resolved;
}

struct dp_host *
dp_host_create(struct dp_dataplane *dp)
{
	struct dp_host *h = rte_zmalloc("sl_host", sizeof(*h), RTE_CACHE_LINE_SIZE);
	struct rte_hash_parameters p = {
		.name = "sl_neigh",
		.entries = RTE_MAX(dp->cfg->max_neigh, 16u),
		.key_len = sizeof(struct neigh_key),
		.hash_func = rte_jhash,
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_hash_rcu_config rc = { .v = dp->tables->rcu, .mode = RTE_HASH_QSBR_MODE_DQ };

	if (h == NULL)
		return NULL;
	h->dp = dp;
	h->neigh = rte_hash_create(&p);
	if (h->neigh == NULL || rte_hash_rcu_qsbr_add(h->neigh, &rc) != 0) {
		DP_LOG(ERR, "neighbour table: %s", rte_strerror(rte_errno));
		dp_host_free(h);
		return NULL;
	}
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		const struct dp_cfg_port *c = dp->ports[i].cfg;

		for (unsigned int n = 0; n < c->n_neigh; n++)
			neigh_set(h, (uint16_t)i, c->neigh[n].ip, c->neigh[n].mac);
		h->icmp[i].tokens = dp->cfg->icmp_rate;
		h->icmp[i].last_tsc = rte_rdtsc();
	}
	return h;
}

void
dp_host_free(struct dp_host *h)
{
	if (h == NULL)
		return;
	rte_hash_free(h->neigh);
	rte_free(h);
}

static void
count_drop(struct dp_host *h, unsigned int reason)
{
	h->dp->ctl_stats.drops[reason]++;
}

/* Token bucket: icmp_rate replies per second per port, bursts up to one second's worth. */
static bool
icmp_allowed(struct dp_host *h, uint16_t port)
{
	uint64_t rate = h->dp->cfg->icmp_rate;
	uint64_t now = rte_rdtsc();
	uint64_t add = (now - h->icmp[port].last_tsc) * rate / h->dp->tsc_hz;

	if (add > 0) {
		h->icmp[port].tokens = RTE_MIN(h->icmp[port].tokens + add, rate);
		h->icmp[port].last_tsc = now;
	}
	if (h->icmp[port].tokens == 0) {
		count_drop(h, DP_DROP_ICMP_RATELIMIT);
		return false;
	}
	h->icmp[port].tokens--;
	return true;
}

static struct rte_mbuf *
frame_alloc(struct dp_host *h, uint16_t len, uint8_t **p)
{
	struct rte_mempool *pool = h->dp->pools[rte_socket_id()];
	struct rte_mbuf *m;

	if (pool == NULL)
		pool = h->dp->pools[0];
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL) {
		count_drop(h, DP_DROP_NO_MBUF);
		return NULL;
	}
	*p = (uint8_t *)rte_pktmbuf_append(m, len);
	memset(*p, 0, len);
	return m;
}

static void
send_frame(struct dp_host *h, struct rte_mbuf *m, uint16_t port)
{
	if (dp_worker_inject(h->dp, m, port) != 0)
		count_drop(h, DP_DROP_SLOW_FULL);
}

static void
eth_fill(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	dp_store_be16(f + 12, type);
}

/* ---- ARP ---- */

static void
arp_send(struct dp_host *h, uint16_t port, uint16_t op, const uint8_t dst_mac[6],
	 const uint8_t tha[6], const uint8_t tpa[4])
{
	const struct dp_port_addrs *pa = &h->dp->ports[port].addrs;
	struct rte_mbuf *m;
	uint8_t *f, *a;

	m = frame_alloc(h, DP_ETH_HLEN + 28, &f);
	if (m == NULL)
		return;
	eth_fill(f, dst_mac, pa->mac, DP_ETHERTYPE_ARP);
	a = f + DP_ETH_HLEN;
	dp_store_be16(a, 1);            /* Ethernet */
	dp_store_be16(a + 2, DP_ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	dp_store_be16(a + 6, op);
	memcpy(a + 8, pa->mac, 6);
	memcpy(a + 14, pa->v4, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	send_frame(h, m, port);
}

static void
arp_input(struct dp_host *h, struct rte_mbuf *m, uint16_t port)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_arp_info ai;
	uint8_t ip[16];

	if (dp_arp_parse(f, rte_pktmbuf_data_len(m), &ai) != 0) {
		count_drop(h, DP_DROP_ARP_BAD);
		return;
	}
	/* The packet is for us (dp_pkt_parse checked): learn the sender, answer a request. */
	dp_ip_map_v4(ip, ai.spa);
	neigh_set(h, port, ip, ai.sha);
	if (ai.op == 1)
		arp_send(h, port, 2, ai.sha, ai.sha, ai.spa);
}

/* ---- ICMP / ICMPv6 ---- */

static bool
icmp_is_error4(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The reply goes back where the request came from, from our MAC. */
static void
eth_reply(struct rte_mbuf *m, const uint8_t our_mac[6])
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	memcpy(eth->src_addr.addr_bytes, our_mac, RTE_ETHER_ADDR_LEN);
}

static void
echo4_reply(struct dp_host *h, struct rte_mbuf *m, uint16_t port, const struct dp_pkt_info *pi)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = f + pi->l3_off, *icmp = f + pi->l4_off;

	if (pi->l4_len < 8 || icmp[0] != ICMP_ECHO_REQUEST ||
	    dp_csum_fold(dp_csum_add(0, icmp, pi->l4_len)) != 0) {
		/* Destination unreachable, time exceeded and the like are about packets we sent
		 * (a participant gone): counted apart from what is malformed. */
		count_drop(h, pi->l4_len >= 8 && icmp_is_error4(icmp[0]) ? DP_DROP_ICMP_ERROR :
			   DP_DROP_ICMP_BAD);
		rte_pktmbuf_free(m);
		return;
	}
	if (!icmp_allowed(h, port)) {
		rte_pktmbuf_free(m);
		return;
	}
	eth_reply(m, h->dp->ports[port].addrs.mac);
	memcpy(ip + 16, ip + 12, 4);    /* destination: the requester */
	memcpy(ip + 12, h->dp->ports[port].addrs.v4, 4);
	ip[8] = 64;
	ip[10] = ip[11] = 0;
	dp_store_be16(ip + 10, dp_csum_fold(dp_csum_add(0, ip, (size_t)(ip[0] & 0xf) * 4)));
	icmp[0] = ICMP_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	dp_store_be16(icmp + 2, dp_csum_fold(dp_csum_add(0, icmp, pi->l4_len)));
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - (pi->l4_off + pi->l4_len)));
	send_frame(h, m, port);
}

static void
icmp6_csum(uint8_t *ip6, uint8_t *icmp, uint32_t len)
{
	icmp[2] = icmp[3] = 0;
	dp_store_be16(icmp + 2, dp_csum_ipv6(ip6 + 8, ip6 + 24, DP_IPPROTO_ICMPV6, icmp, len));
}

static void
echo6_reply(struct dp_host *h, struct rte_mbuf *m, uint16_t port, const struct dp_pkt_info *pi)
{
	const struct dp_port_addrs *pa = &h->dp->ports[port].addrs;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = f + pi->l3_off, *icmp = f + pi->l4_off;
	bool ll_dst = ip[24] == 0xfe && (ip[25] & 0xc0) == 0x80;

	if (!icmp_allowed(h, port)) {
		rte_pktmbuf_free(m);
		return;
	}
	eth_reply(m, pa->mac);
	memcpy(ip + 24, ip + 8, 16);    /* destination: the requester */
	/* Answer from the address asked, or for a multicast ping from our unicast one. */
	if (pi->dst_multicast)
		memcpy(ip + 8, ll_dst ? pa->v6_ll : pa->v6, 16);
	else
		memcpy(ip + 8, pi->dst_ip, 16);
	ip[7] = 64;
	icmp[0] = ICMP6_ECHO_REPLY;
	icmp6_csum(ip, icmp, pi->l4_len);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - (pi->l4_off + pi->l4_len)));
	send_frame(h, m, port);
}

static bool
is_our_v6(const struct dp_port_addrs *pa, const uint8_t *ip)
{
	return (pa->has_v6 && memcmp(ip, pa->v6, 16) == 0) || memcmp(ip, pa->v6_ll, 16) == 0;
}

static const uint8_t *
nd_option(const uint8_t *icmp, uint32_t len, uint8_t type)
{
	uint32_t off = 24;

	while (off + 8 <= len) {
		uint32_t olen = (uint32_t)icmp[off + 1] * 8;

		if (olen == 0 || off + olen > len)
			return NULL;
		if (icmp[off] == type && olen >= 8)
			return icmp + off + 2;
		off += olen;
	}
	return NULL;
}

/* Builds a neighbour solicitation or advertisement for target. */
static void
nd_send(struct dp_host *h, uint16_t port, uint8_t type, const uint8_t dst_mac[6],
	const uint8_t dst_ip[16], const uint8_t src_ip[16], const uint8_t target[16], bool solicited)
{
	const struct dp_port_addrs *pa = &h->dp->ports[port].addrs;
	struct rte_mbuf *m;
	uint8_t *f, *ip, *icmp;

	m = frame_alloc(h, DP_ETH_HLEN + 40 + ND_LEN, &f);
	if (m == NULL)
		return;
	eth_fill(f, dst_mac, pa->mac, DP_ETHERTYPE_IPV6);
	ip = f + DP_ETH_HLEN;
	ip[0] = 0x60;
	dp_store_be16(ip + 4, ND_LEN);
	ip[6] = DP_IPPROTO_ICMPV6;
	ip[7] = 255;                    /* RFC 4861: hop limit 255 proves on-link */
	memcpy(ip + 8, src_ip, 16);
	memcpy(ip + 24, dst_ip, 16);
	icmp = ip + 40;
	icmp[0] = type;
	if (type == ICMP6_NA)
		icmp[4] = solicited ? 0x60 : 0x20;      /* S and O flags, or O alone */
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == ICMP6_NA ? ND_OPT_TLLA : ND_OPT_SLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, pa->mac, 6);
	icmp6_csum(ip, icmp, ND_LEN);
	send_frame(h, m, port);
}

static void
nd_input(struct dp_host *h, uint16_t port, const uint8_t *f, const struct dp_pkt_info *pi)
{
	const struct dp_port_addrs *pa = &h->dp->ports[port].addrs;
	const uint8_t *ip = f + pi->l3_off, *icmp = f + pi->l4_off;
	static const uint8_t unspecified[16];
	const uint8_t *target = icmp + 8, *lla;

	if (ip[7] != 255 || icmp[1] != 0 || pi->l4_len < 24 ||
	    dp_csum_ipv6(ip + 8, ip + 24, DP_IPPROTO_ICMPV6, icmp, pi->l4_len) != 0) {
		count_drop(h, DP_DROP_ICMP_BAD);
		return;
	}
	if (icmp[0] == ICMP6_NS) {
		if (!is_our_v6(pa, target) || memcmp(ip + 8, unspecified, 16) == 0) {
			count_drop(h, DP_DROP_ICMP_BAD);        /* not ours, or duplicate detection */
			return;
		}
		lla = nd_option(icmp, pi->l4_len, ND_OPT_SLLA);
		neigh_set(h, port, ip + 8, lla != NULL ? lla : f + 6);
		nd_send(h, port, ICMP6_NA, lla != NULL ? lla : f + 6, ip + 8, target, target, true);
		return;
	}
	/* Advertisement: learn the target's link-layer address. */
	lla = nd_option(icmp, pi->l4_len, ND_OPT_TLLA);
	neigh_set(h, port, target, lla != NULL ? lla : f + 6);
}

static void
icmp6_input(struct dp_host *h, struct rte_mbuf *m, uint16_t port, const struct dp_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *icmp = f + pi->l4_off;

	switch (icmp[0]) {
	case ICMP6_NS:
	case ICMP6_NA:
		nd_input(h, port, f, pi);
		break;
	case ICMP6_ECHO_REQUEST:
		if (pi->l4_len >= 8 &&
		    dp_csum_ipv6(f + pi->l3_off + 8, f + pi->l3_off + 24, DP_IPPROTO_ICMPV6, icmp,
				 pi->l4_len) == 0) {
			echo6_reply(h, m, port, pi);
			return;
		}
		count_drop(h, DP_DROP_ICMP_BAD);
		break;
	default:
		/* Types below 128 are errors (RFC 4443); router advertisements and the rest are
		 * not ours to handle. */
		count_drop(h, icmp[0] < 128 ? DP_DROP_ICMP_ERROR : DP_DROP_ICMP_BAD);
		break;
	}
	rte_pktmbuf_free(m);
}

void
dp_host_input(struct dp_host *h, struct rte_mbuf *m)
{
	uint16_t port = dp_meta(m)->in_port;
	struct dp_pkt_info pi;
	int rc;

	rc = dp_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			  &h->dp->ports[port].addrs, &pi);
	switch (rc) {
	case DP_PKT_ARP:
		arp_input(h, m, port);
		break;
	case DP_PKT_ICMP4:
		echo4_reply(h, m, port, &pi);
		return;
	case DP_PKT_ICMP6:
		icmp6_input(h, m, port, &pi);
		return;
	default:
		count_drop(h, rc < 0 ? (unsigned int)-rc : DP_DROP_IP_PROTO);
		break;
	}
	rte_pktmbuf_free(m);
}

void
dp_host_resolve(struct dp_host *h, uint16_t port, const uint8_t ip[16])
{
	const struct dp_port_addrs *pa = &h->dp->ports[port].addrs;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	uint64_t now = rte_rdtsc(), last;
	struct neigh_key k;
	void *data;

	key_make(&k, port, ip);
	if (rte_hash_lookup_data(h->neigh, &k, &data) >= 0) {
		last = (uint64_t)(uintptr_t)data;
		if ((last & NEIGH_RESOLVED) || now - (last << 1) < h->dp->tsc_hz)
			return;
	}
	/* Pending entry: not resolved, the time of this request (halved to stay below bit 63). */
	rte_hash_add_key_data(h->neigh, &k, (void *)(uintptr_t)(now >> 1));
	if (dp_ip_is_v4mapped(ip)) {
		if (pa->has_v4)
			arp_send(h, port, 1, bcast, zero, ip + 12);
	} else {
		uint8_t mac[6] = { 0x33, 0x33, 0xff, ip[13], ip[14], ip[15] };
		uint8_t sn[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff, ip[13], ip[14], ip[15] };
		bool ll = ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;

		nd_send(h, port, ICMP6_NS, mac, sn, ll || !pa->has_v6 ? pa->v6_ll : pa->v6, ip, false);
	}
}
