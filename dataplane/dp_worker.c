/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: receive, authenticate, decrypt, fan out, re-encrypt, transmit.
 *
 * Threading model
 * ---------------
 * Every leg has one owner worker (chosen by the control thread when the leg is added), and
 * only the owner touches the leg's SRTP state (libsrtp2 and OpenSSL contexts are not
 * thread-safe) and its runtime record (destination, counters). Every worker polls its own
 * RX queues, its hand-off ring and its inject ring, and owns TX queue `index` on every port,
 * so no queue, context or counter is ever shared between two writers and nothing locks.
 *
 *  1. RX: a worker parses each packet of a burst, looks its leg up (5-tuple, then (media
 *     port, SSRC)) in the lock-free session table, and either processes it (it owns the leg)
 *     or hands the encrypted packet to the owner's ring (MP/SC).
 *  2. The owner replay-checks, authenticates and decrypts a burst of its packets, latches the
 *     leg's address from the authenticated packet, and fans the plaintext out: the
 *     conference's member list is grouped by owner, so the plaintext mbuf goes once (by
 *     reference count, read-only) to each other worker that owns receiving legs, and the
 *     owner encrypts the copies for its own receiving legs itself. A packet with a single
 *     receiver that nobody else holds is encrypted in place instead of copied.
 *  3. A worker receiving a plaintext hand-off encrypts a copy for each of its receiving legs
 *     of that conference (re-reading the member list) and transmits it.
 *  So one conference spreads over every worker, and a packet crosses at most two rings.
 *
 * Packets queued in a ring carry the sending leg's slot and generation, and the
 * conference's; a worker drops (leg_gone) a packet whose leg or conference was removed
 * while it waited. Workers report an RCU quiescent state once per loop; the control thread
 * frees what it unpublished only after every worker has done so. ARP, ND and ICMP go to the
 * control thread's slow-path ring; its replies come back through a worker's inject ring.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dp_host.h"
#include "dp_log.h"
#include "dp_pkt.h"
#include "dp_port.h"
#include "dp_runtime.h"
#include "dp_srtcp.h"
#include "dp_srtp.h"
#include "dp_state.h"
#include "dp_table.h"
#include "dp_worker.h"

#define PROTECT_BATCH 64
#define IDLE_LOOPS_BEFORE_SLEEP 64
#define INJECT_RING_SIZE 1024
#define HOST_RING_SIZE 4096
#define RESOLVE_RETRY_MS 250
#define NEIGH_RECHECK_S 10

static inline void
drop(struct dp_worker *w, struct rte_mbuf *m, unsigned int reason)
{
	w->stats.drops[reason]++;
	rte_pktmbuf_free(m);
}

static inline uint8_t *
pkt_l7(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, dp_meta(m)->off);
}

/* ---- transmit ---- */

/* Hands the collected packets to the NIC; what it does not take is dropped and counted. */
static void
tx_send(struct dp_worker *w, uint16_t port)
{
	struct dp_port *p = &w->dp->ports[port];
	struct dp_txbuf *b = &w->tx[port];
	uint16_t sent;

	if (b->n == 0)
		return;
	if (unlikely(p->tx_shared))
		rte_spinlock_lock(&p->tx_lock[b->queue]);
	sent = rte_eth_tx_burst(p->port_id, b->queue, b->pkts, b->n);
	if (unlikely(p->tx_shared))
		rte_spinlock_unlock(&p->tx_lock[b->queue]);
	for (uint16_t i = sent; i < b->n; i++) {
		w->stats.tx_packets--;
		w->stats.tx_bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		w->stats.drops[DP_DROP_TX_FULL]++;
		rte_pktmbuf_free(b->pkts[i]);
	}
	b->n = 0;
}

static inline void
tx(struct dp_worker *w, struct rte_mbuf *m, uint16_t port)
{
	struct dp_txbuf *b = &w->tx[port];

	w->stats.tx_packets++;
	w->stats.tx_bytes += rte_pktmbuf_pkt_len(m);
	b->pkts[b->n++] = m;
	if (b->n == w->dp->burst)
		tx_send(w, port);
}

static void
tx_flush(struct dp_worker *w)
{
	for (uint16_t p = 0; p < w->dp->n_ports; p++)
		tx_send(w, p);
}

/* ---- destinations ---- */

static bool
report_event(struct dp_worker *w, struct dp_event *ev)
{
	return rte_ring_mp_enqueue_elem(w->dp->events, ev, sizeof(*ev)) == 0;
}

/*
 * Makes sure the leg has somewhere to send to: its latched address, else its signalled one,
 * with a resolved next hop. Returns false (and counts why) when it has none yet.
 */
static bool
leg_dest(struct dp_worker *w, uint32_t slot, struct dp_leg *leg, const struct dp_leg_cfg *cfg)
{
	struct dp_leg_rt *rt = &leg->rt;
	struct dp_dataplane *dp = w->dp;
	uint64_t now;
	uint8_t nexthop[16];
	uint16_t egress;

	if (unlikely(cfg->remote_gen != rt->applied_remote_gen)) {
		rt->applied_remote_gen = cfg->remote_gen;
		if (cfg->has_remote) {
			rt->dest = cfg->remote;
			rt->has_dest = true;
			rt->latched = false;
			rt->mac_valid = false;
			rt->resolve_tsc = 0;
		}
	}
	if (unlikely(!rt->has_dest)) {
		w->stats.drops[DP_DROP_NO_REMOTE]++;
		return false;
	}
	if (likely(rt->latched))
		return true;
	now = rte_rdtsc();
	if (rt->mac_valid && now < rt->resolve_tsc)
		return true;
	if (dp_port_route(dp, rt->dest.ip, &egress, nexthop) != 0) {
		w->stats.drops[DP_DROP_NO_ROUTE]++;
		return false;
	}
	if (dp_neigh_lookup(dp->host, egress, nexthop, rt->dst_mac) == 0) {
		rt->egress = egress;
		rt->mac_valid = true;
		rt->resolve_tsc = now + dp->tsc_hz * NEIGH_RECHECK_S;
		return true;
	}
	if (now >= rt->resolve_tsc) {
		struct dp_event ev = { .type = DP_EV_RESOLVE, .port = egress, .leg_slot = slot };

		memcpy(ev.ep.ip, nexthop, sizeof(ev.ep.ip));
		report_event(w, &ev);
		rt->resolve_tsc = now + dp->tsc_hz * RESOLVE_RETRY_MS / 1000;
	}
	if (rt->mac_valid)
		return true;    /* keep the old next hop while we ask again */
	w->stats.drops[DP_DROP_NO_NEIGH]++;
	return false;
}

/* An mbuf for a packet to a leg: l7 bytes appended, headroom left for the headers. */
static inline struct rte_mbuf *
out_alloc(struct dp_worker *w, uint32_t l7_len, uint8_t **l7)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

	if (unlikely(m == NULL)) {
		w->stats.drops[DP_DROP_NO_MBUF]++;
		return NULL;
	}
	*l7 = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)l7_len);
	if (unlikely(*l7 == NULL)) {
		rte_pktmbuf_free(m);
		w->stats.drops[DP_DROP_TOO_BIG]++;
		return NULL;
	}
	return m;
}

/* A UDP checksum as it goes on the wire: 0 means "none", so a computed 0 is sent as 0xffff. */
static inline rte_be16_t
udp_cksum_wire(uint16_t c)
{
	return rte_cpu_to_be_16(c == 0 ? 0xffff : c);
}

/*
 * Puts Ethernet, IP and UDP headers in front of the SRTP/SRTCP bytes of m (from our media
 * port to the leg's destination), fills checksums and transmits. Consumes m.
 */
static void
out_send(struct dp_worker *w, struct rte_mbuf *m, struct dp_leg *leg, const struct dp_leg_cfg *cfg)
{
	const struct dp_leg_rt *rt = &leg->rt;
	const struct dp_port *port = &w->dp->ports[rt->egress];
	bool v4 = dp_ip_is_v4mapped(rt->dest.ip);
	uint16_t l7_len = rte_pktmbuf_data_len(m);
	uint16_t l3_len = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint16_t hdrs = sizeof(struct rte_ether_hdr) + l3_len + sizeof(struct rte_udp_hdr);
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;

	if (unlikely(v4 ? !port->addrs.has_v4 : !port->addrs.has_v6)) {
		drop(w, m, DP_DROP_NO_ROUTE);
		return;
	}
	if (unlikely(l3_len + sizeof(struct rte_udp_hdr) + l7_len > port->mtu)) {
		drop(w, m, DP_DROP_TOO_BIG);
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, hdrs);
	if (unlikely(eth == NULL)) {
		drop(w, m, DP_DROP_TOO_BIG);
		return;
	}
	memcpy(&eth->dst_addr, rt->dst_mac, RTE_ETHER_ADDR_LEN);
	memcpy(&eth->src_addr, port->addrs.mac, RTE_ETHER_ADDR_LEN);
	m->l2_len = sizeof(*eth);
	m->l3_len = l3_len;
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16(l3_len + sizeof(*udp) + l7_len);
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, port->addrs.v4, 4);
		memcpy(&ip->dst_addr, rt->dest.ip + 12, 4);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(cfg->media_port);
		udp->dst_port = rte_cpu_to_be_16(rt->dest.port);
		udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + l7_len);
		udp->dgram_cksum = 0;
		if (port->tx_udp_cksum && port->tx_ipv4_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				       RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			udp->dgram_cksum = udp_cksum_wire(dp_csum_ipv4_l4(port->addrs.v4,
						rt->dest.ip + 12, IPPROTO_UDP, udp, sizeof(*udp) + l7_len));
		}
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
		bool ll = rt->dest.ip[0] == 0xfe && (rt->dest.ip[1] & 0xc0) == 0x80;

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(sizeof(*udp) + l7_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, ll ? port->addrs.v6_ll : port->addrs.v6, 16);
		memcpy(ip->dst_addr, rt->dest.ip, 16);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(cfg->media_port);
		udp->dst_port = rte_cpu_to_be_16(rt->dest.port);
		udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + l7_len);
		udp->dgram_cksum = 0;
		if (port->tx_udp_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
		} else {
			udp->dgram_cksum = udp_cksum_wire(dp_csum_ipv6(ip->src_addr, ip->dst_addr,
						IPPROTO_UDP, udp, sizeof(*udp) + l7_len));
		}
	}
	tx(w, m, rt->egress);
}

/* ---- latching ---- */

/*
 * The leg's address is learned only here, from a packet that just passed authentication:
 * an unauthenticated packet can never redirect a leg's media. Once RTP has latched, RTCP
 * does not move the leg: a client without RTCP mux sends it from its RTP port + 1, where
 * it does not receive media. RTCP latches a leg that has sent no RTP (a receiver).
 */
static void
leg_latch(struct dp_worker *w, uint32_t slot, struct dp_leg *leg, const struct dp_leg_cfg *cfg,
	  const struct dp_meta *meta, bool rtp)
{
	struct dp_leg_rt *rt = &leg->rt;

	if (!rtp && rt->latched && rt->latched_rtp)
		return;
	if (likely(rt->latched && rt->egress == meta->in_port &&
		   rt->dest.port == meta->src.port &&
		   memcmp(rt->dest.ip, meta->src.ip, 16) == 0 &&
		   memcmp(rt->dst_mac, meta->src_mac, 6) == 0)) {
		if (unlikely(!rt->latch_reported))
			goto report;
		return;
	}
	if (rt->latched)
		rt->counters.relatch++;
	rt->dest = meta->src;
	rt->has_dest = true;
	rt->latched = true;
	rt->latched_rtp = rtp;
	rt->egress = meta->in_port;
	memcpy(rt->dst_mac, meta->src_mac, 6);
	rt->mac_valid = true;
	/* A signalled address given before this latch must not override it later. */
	rt->applied_remote_gen = cfg->remote_gen;
	w->stats.latch++;
report:
	{
		struct dp_event ev = {
			.type = DP_EV_LATCH, .port = meta->in_port,
			.leg_slot = slot, .leg_gen = meta->leg_gen, .ep = meta->src,
		};

		rt->latch_reported = report_event(w, &ev);
	}
}

/* ---- fan-out ---- */

/*
 * Copies to encrypt, collected across packets so that the SRTP layer gets bursts. The
 * plaintext they read is released only after the burst is done (n_release).
 */
struct protect_batch {
	unsigned int n;
	unsigned int n_release;
	struct dp_srtp_pkt op[PROTECT_BATCH];
	struct rte_mbuf *m[PROTECT_BATCH];
	struct dp_leg *leg[PROTECT_BATCH];
	const struct dp_leg_cfg *cfg[PROTECT_BATCH];
	struct rte_mbuf *release[PROTECT_BATCH];
};

static void
protect_flush(struct dp_worker *w, struct protect_batch *b)
{
	if (b->n > 0)
		dp_srtp_protect_burst(b->op, b->n);
	for (unsigned int i = 0; i < b->n; i++) {
		struct dp_leg_counters *c = &b->leg[i]->rt.counters;

		if (unlikely(b->op[i].status != 0)) {
			drop(w, b->m[i], b->op[i].status);
			continue;
		}
		c->tx_packets++;
		c->tx_bytes += b->op[i].len;
		w->stats.srtp_out++;
		out_send(w, b->m[i], b->leg[i], b->cfg[i]);
	}
	b->n = 0;
	if (b->n_release > 0)
		rte_pktmbuf_free_bulk(b->release, b->n_release);
	b->n_release = 0;
}

/* Drops our reference to a plaintext packet once the copies read from it are encrypted. */
static void
batch_release(struct dp_worker *w, struct protect_batch *b, struct rte_mbuf *m)
{
	if (b->n_release == PROTECT_BATCH)
		protect_flush(w, b);
	b->release[b->n_release++] = m;
}

/* Queues the encryption of a copy of the plaintext RTP packet src for one receiving leg. */
static void
protect_copy(struct dp_worker *w, struct rte_mbuf *src, struct dp_leg *leg,
	     const struct dp_leg_cfg *cfg, struct protect_batch *b)
{
	const struct dp_meta *meta = dp_meta(src);
	struct rte_mbuf *m;
	uint8_t *l7;

	m = out_alloc(w, meta->len + dp_srtp_tag_len(cfg->crypto->rtp_out), &l7);
	if (m == NULL)
		return;
	b->op[b->n] = (struct dp_srtp_pkt){
		.buf = pkt_l7(src), .out = l7, .len = meta->len, .hdr_len = meta->hdr_len,
		.seq = meta->seq, .ssrc = meta->ssrc, .index = meta->index,
		.ctx = cfg->crypto->rtp_out,
	};
	b->m[b->n] = m;
	b->leg[b->n] = leg;
	b->cfg[b->n] = cfg;
	if (++b->n == PROTECT_BATCH)
		protect_flush(w, b);
}

/*
 * Queues the encryption of src itself, in place, for its only receiver: no copy, no second
 * mbuf. Only when nobody else holds src (no other lcore reads the plaintext) and it has
 * room for the tag. Returns false when src must be copied instead.
 */
static bool
protect_in_place(struct dp_worker *w, struct rte_mbuf *src, struct dp_leg *leg,
		 const struct dp_leg_cfg *cfg, struct protect_batch *b)
{
	const struct dp_meta *meta = dp_meta(src);
	uint16_t tag = (uint16_t)dp_srtp_tag_len(cfg->crypto->rtp_out);
	uint8_t *l7;

	if (rte_mbuf_refcnt_read(src) != 1 || !RTE_MBUF_DIRECT(src) ||
	    rte_pktmbuf_tailroom(src) + rte_pktmbuf_data_len(src) < meta->off + meta->len + tag)
		return false;
	/* An lcore that dropped its reference has finished reading the plaintext. */
	rte_atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* Keep just the RTP bytes (and room for the tag); out_send puts new headers in front. */
	l7 = (uint8_t *)rte_pktmbuf_adj(src, meta->off);
	rte_pktmbuf_trim(src, (uint16_t)(rte_pktmbuf_data_len(src) - meta->len));
	rte_pktmbuf_append(src, tag);
	src->ol_flags &= RTE_MBUF_F_EXTERNAL;    /* drop the receive flags, as a reset would */
	src->packet_type = 0;
	b->op[b->n] = (struct dp_srtp_pkt){
		.buf = l7, .out = l7, .len = meta->len, .hdr_len = meta->hdr_len,
		.seq = meta->seq, .ssrc = meta->ssrc, .index = meta->index,
		.ctx = cfg->crypto->rtp_out,
	};
	b->m[b->n] = src;
	b->leg[b->n] = leg;
	b->cfg[b->n] = cfg;
	if (++b->n == PROTECT_BATCH)
		protect_flush(w, b);
	return true;
}

/*
 * Encrypts the plaintext RTP packet src for each receiving leg in legs[]: a copy each, or,
 * when there is exactly one, src itself in place. Returns true when src was consumed that
 * way; otherwise the caller still holds its reference (batch_release).
 */
static bool
deliver_rtp(struct dp_worker *w, struct rte_mbuf *src, const uint32_t *legs, uint32_t n,
	    struct protect_batch *b)
{
	const struct dp_meta *meta = dp_meta(src);
	struct dp_tables *t = w->dp->tables;
	struct dp_leg *first = NULL;
	const struct dp_leg_cfg *first_cfg = NULL;
	bool copying = false;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t slot = legs[i];
		struct dp_leg *leg = dp_tables_leg(t, slot);
		const struct dp_leg_cfg *cfg;

		if (slot == meta->leg_slot)
			continue;
		cfg = dp_leg_cfg_load(leg);
		if (cfg == NULL || !(cfg->flags & DP_LEG_F_RECV))
			continue;
		if (!leg_dest(w, slot, leg, cfg))
			continue;
		/* The first receiver waits: if it stays the only one, src is its copy. */
		if (!copying && first == NULL) {
			first = leg;
			first_cfg = cfg;
			continue;
		}
		if (first != NULL) {
			protect_copy(w, src, first, first_cfg, b);
			first = NULL;
		}
		copying = true;
		protect_copy(w, src, leg, cfg, b);
	}
	if (first == NULL)
		return false;
	if (protect_in_place(w, src, first, first_cfg, b))
		return true;
	protect_copy(w, src, first, first_cfg, b);
	return false;
}

/*
 * Encrypts, for each leg in legs[], the part of the plaintext RTCP compound `src` that is for
 * it (dp_rtcp_filter: reports to receivers, feedback to the publisher it is about).
 */
static void
deliver_rtcp(struct dp_worker *w, struct rte_mbuf *src, const uint32_t *legs, uint32_t n)
{
	const struct dp_meta *meta = dp_meta(src);
	struct dp_tables *t = w->dp->tables;
	const uint8_t *plain = pkt_l7(src);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t slot = legs[i];
		struct dp_leg *leg = dp_tables_leg(t, slot);
		const struct dp_leg_cfg *cfg;
		struct rte_mbuf *m;
		uint8_t *l7;
		uint32_t len, plain_len;
		int rc;

		if (slot == meta->leg_slot)
			continue;
		cfg = dp_leg_cfg_load(leg);
		if (cfg == NULL)
			continue;
		m = out_alloc(w, meta->len, &l7);
		if (m == NULL)
			continue;
		rc = dp_rtcp_filter(plain, meta->len, cfg->ssrcs, cfg->n_ssrcs,
				    (cfg->flags & DP_LEG_F_RECV) != 0, l7);
		if (rc <= 0 || !leg_dest(w, slot, leg, cfg)) {
			rte_pktmbuf_free(m);    /* nothing for this leg, or nowhere to send it */
			continue;
		}
		plain_len = len = (uint32_t)rc;
		rte_pktmbuf_trim(m, (uint16_t)(meta->len - plain_len));
		rc = dp_srtcp_leg_protect(cfg->crypto->rtcp, l7, &len,
					  len + rte_pktmbuf_tailroom(m));
		if (unlikely(rc != 0)) {
			drop(w, m, (unsigned int)rc);
			continue;
		}
		/* The trailer (index, tag) was written in place after the RTCP bytes. */
		if (unlikely(rte_pktmbuf_append(m, (uint16_t)(len - plain_len)) == NULL)) {
			drop(w, m, DP_DROP_TOO_BIG);
			continue;
		}
		leg->rt.counters.rtcp_tx++;
		w->stats.srtcp_out++;
		out_send(w, m, leg, cfg);
	}
}

/* The member group of this worker in a conference, or NULL. */
static const struct dp_conf_group *
my_group(const struct dp_worker *w, const struct dp_conf_members *members)
{
	for (uint32_t g = 0; g < members->n_groups; g++)
		if (members->groups[g].owner == w->index)
			return &members->groups[g];
	return NULL;
}

static bool
group_is_only(const struct dp_conf_members *members, const struct dp_conf_group *g, uint32_t slot)
{
	return g->count == 1 && members->legs[g->first] == slot;
}

/* Hands the plaintext m (read-only from now on) to another worker. */
static void
handoff_plain(struct dp_worker *w, struct rte_mbuf *m, uint16_t owner)
{
	rte_mbuf_refcnt_update(m, 1);
	if (unlikely(rte_ring_mp_enqueue(w->dp->workers[owner]->in_ring, m) != 0)) {
		rte_mbuf_refcnt_update(m, -1);
		w->stats.drops[DP_DROP_RING_FULL]++;
		return;
	}
	w->stats.handoff_out++;
}

/*
 * Sends a decrypted packet from the leg in meta->leg_slot to the rest of its conference:
 * to other workers by reference, to this worker's legs directly. Consumes m.
 */
static void
fanout(struct dp_worker *w, struct rte_mbuf *m, const struct dp_leg_cfg *src_cfg,
       const struct dp_rtcp_route *route, struct protect_batch *b)
{
	struct dp_tables *t = w->dp->tables;
	struct dp_meta *meta = dp_meta(m);
	struct dp_conf *conf = &t->confs[src_cfg->conf_slot];
	const struct dp_conf_members *members;
	const struct dp_conf_group *mine = NULL;
	uint64_t owners = 0;

	meta->conf_slot = src_cfg->conf_slot;
	meta->conf_gen = __atomic_load_n(&conf->gen, __ATOMIC_ACQUIRE);
	meta->kind = route == NULL ? DP_K_RTP_PLAIN : DP_K_RTCP_PLAIN;
	members = dp_conf_members_load(conf);
	if (members == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	if (route != NULL && !route->to_all) {
		/* Targeted RTCP: only the owners of the legs it is about. */
		for (unsigned int i = 0; i < route->n_targets; i++) {
			int64_t s = dp_tables_ssrc_lookup(t, DP_SCOPE_CONF | src_cfg->conf_slot,
							  route->targets[i]);

			if (s >= 0 && (uint32_t)s != meta->leg_slot)
				owners |= 1ull << dp_tables_leg(t, (uint32_t)s)->owner;
		}
	} else {
		owners = UINT64_MAX;
	}
	for (uint32_t g = 0; g < members->n_groups; g++) {
		const struct dp_conf_group *grp = &members->groups[g];

		if (grp->owner == w->index) {
			mine = grp;
			continue;
		}
		if (!(owners & (1ull << grp->owner)) || group_is_only(members, grp, meta->leg_slot))
			continue;
		handoff_plain(w, m, grp->owner);
	}
	if (mine != NULL && (owners & (1ull << w->index))) {
		if (route == NULL) {
			if (deliver_rtp(w, m, &members->legs[mine->first], mine->count, b))
				return;
		} else {
			deliver_rtcp(w, m, &members->legs[mine->first], mine->count);
		}
	}
	batch_release(w, b, m);
}

/* ---- owner: authenticate and decrypt ---- */

static void
owner_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_leg *leg,
	    const struct dp_leg_cfg *cfg, struct protect_batch *b)
{
	struct dp_meta *meta = dp_meta(m);
	struct dp_rtcp_route route;
	uint32_t len = meta->len;
	int rc;

	rc = dp_srtcp_leg_unprotect(cfg->crypto->rtcp, cfg->ssrcs, cfg->n_ssrcs, pkt_l7(m), &len);
	if (rc != 0) {
		if (rc == DP_DROP_SRTCP_AUTH)
			leg->rt.counters.auth_fail++;
		else if (rc == DP_DROP_SRTCP_REPLAY)
			leg->rt.counters.replay++;
		drop(w, m, (unsigned int)rc);
		return;
	}
	meta->len = (uint16_t)len;
	w->stats.srtcp_in++;
	leg->rt.counters.rtcp_rx++;
	leg_latch(w, meta->leg_slot, leg, cfg, meta, false);
	rc = dp_rtcp_route(pkt_l7(m), len, &route);
	if (rc < 0) {
		drop(w, m, (unsigned int)-rc);
		return;
	}
	fanout(w, m, cfg, &route, b);
}

/* Processes SRTP/SRTCP packets of legs this worker owns. Consumes them. */
static void
owner_process(struct dp_worker *w, struct rte_mbuf **pkts, unsigned int n, struct protect_batch *b)
{
	struct dp_srtp_pkt ops[DP_MAX_BURST];
	struct rte_mbuf *opm[DP_MAX_BURST];
	struct dp_leg *legs[DP_MAX_BURST];
	const struct dp_leg_cfg *cfgs[DP_MAX_BURST];
	struct dp_tables *t = w->dp->tables;
	unsigned int no = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_meta *meta = dp_meta(m);
		struct dp_leg *leg = dp_tables_leg(t, meta->leg_slot);
		const struct dp_leg_cfg *cfg;
		struct dp_srtp_replay *replay;

		if (unlikely(dp_leg_gen_load(leg) != meta->leg_gen)) {
			drop(w, m, DP_DROP_LEG_GONE);
			continue;
		}
		cfg = dp_leg_cfg_load(leg);
		if (unlikely(cfg == NULL)) {
			drop(w, m, DP_DROP_LEG_GONE);
			continue;
		}
		if (meta->kind == DP_K_SRTCP) {
			owner_srtcp(w, m, leg, cfg, b);
			continue;
		}
		if (unlikely(!dp_leg_cfg_has_ssrc(cfg, meta->ssrc))) {
			drop(w, m, DP_DROP_SSRC_NOT_ALLOWED);
			continue;
		}
		if (unlikely(!(cfg->flags & DP_LEG_F_SEND))) {
			drop(w, m, DP_DROP_LEG_RECVONLY);
			continue;
		}
		replay = dp_replay_get(&cfg->crypto->state->rtp, meta->ssrc, cfg->ssrcs,
				       cfg->n_ssrcs);
		if (unlikely(replay == NULL)) {
			drop(w, m, DP_DROP_SSRC_NOT_ALLOWED);
			continue;
		}
		ops[no] = (struct dp_srtp_pkt){
			.buf = pkt_l7(m), .len = meta->len, .hdr_len = meta->hdr_len,
			.seq = meta->seq, .ssrc = meta->ssrc, .ctx = cfg->crypto->rtp_in,
			.replay = replay,
		};
		opm[no] = m;
		legs[no] = leg;
		cfgs[no] = cfg;
		no++;
	}
	if (no == 0)
		return;
	dp_srtp_unprotect_burst(ops, no);
	for (unsigned int i = 0; i < no; i++) {
		struct rte_mbuf *m = opm[i];
		struct dp_meta *meta = dp_meta(m);
		struct dp_leg_counters *c = &legs[i]->rt.counters;

		if (unlikely(ops[i].status != 0)) {
			if (ops[i].status == DP_DROP_SRTP_AUTH)
				c->auth_fail++;
			else if (ops[i].status == DP_DROP_SRTP_REPLAY)
				c->replay++;
			drop(w, m, ops[i].status);
			continue;
		}
		c->rx_packets++;
		c->rx_bytes += meta->len;       /* as received, like tx_bytes: SRTP bytes */
		meta->len = (uint16_t)ops[i].len;
		meta->index = ops[i].index;
		w->stats.srtp_in++;
		leg_latch(w, meta->leg_slot, legs[i], cfgs[i], meta, true);
		fanout(w, m, cfgs[i], NULL, b);
	}
}

/* ---- receive ---- */

static void
slowpath(struct dp_worker *w, struct rte_mbuf *m, uint16_t port)
{
	dp_meta(m)->in_port = port;
	if (unlikely(rte_ring_mp_enqueue(w->dp->slow, m) != 0)) {
		drop(w, m, DP_DROP_SLOW_FULL);
		return;
	}
	w->stats.slowpath++;
}

/* Classifies one received frame; returns 0 when it is media for a leg (meta filled). */
static int
classify(struct dp_worker *w, struct rte_mbuf *m, uint16_t port)
{
	const struct dp_port *p = &w->dp->ports[port];
	struct dp_meta *meta = dp_meta(m);
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_pkt_info pi;
	const uint8_t *l7;
	int rc;

	if (unlikely(m->nb_segs != 1))
		return -DP_DROP_L2_MULTISEG;
	rc = dp_pkt_parse(data, rte_pktmbuf_data_len(m), &p->addrs, &pi);
	if (unlikely(rc < 0))
		return rc;
	if (unlikely(rc != DP_PKT_UDP)) {
		slowpath(w, m, port);
		return 1;
	}
	if (unlikely(!dp_is_media_port(w->dp, pi.dst_port)))
		return -DP_DROP_UDP_NOT_MEDIA;
	l7 = data + pi.payload_off;
	switch (dp_demux(l7, pi.payload_len)) {
	case DP_DEMUX_RTP: {
		struct dp_rtp_info ri;

		rc = dp_rtp_parse(l7, pi.payload_len, &ri);
		if (unlikely(rc < 0))
			return rc;
		meta->kind = DP_K_SRTP;
		meta->hdr_len = ri.hdr_len;
		meta->seq = ri.seq;
		meta->ssrc = ri.ssrc;
		break;
	}
	case DP_DEMUX_RTCP:
		rc = dp_rtcp_sender_ssrc(l7, pi.payload_len, &meta->ssrc);
		if (unlikely(rc < 0))
			return rc;
		meta->kind = DP_K_SRTCP;
		break;
	case DP_DEMUX_STUN:
		return -DP_DROP_STUN_UNHANDLED;
	case DP_DEMUX_DTLS:
		return -DP_DROP_DTLS_UNHANDLED;
	default:
		return -DP_DROP_DEMUX_UNKNOWN;
	}
	meta->in_port = port;
	meta->lport = pi.dst_port;
	meta->off = pi.payload_off;
	meta->len = pi.payload_len;
	memcpy(meta->src.ip, pi.src_ip, 16);
	meta->src.port = pi.src_port;
	memcpy(meta->src_mac, data + 6, 6);
	return 0;
}

/* Finds the leg of each media packet; keeps the owned ones, hands the others over. */
static unsigned int
find_legs(struct dp_worker *w, struct rte_mbuf **media, unsigned int n, struct rte_mbuf **mine)
{
	struct dp_tables *t = w->dp->tables;
	struct dp_flow_key keys[RTE_HASH_LOOKUP_BULK_MAX];
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	unsigned int n_mine = 0;

	for (unsigned int base = 0; base < n; base += RTE_HASH_LOOKUP_BULK_MAX) {
		unsigned int k = RTE_MIN(n - base, (unsigned int)RTE_HASH_LOOKUP_BULK_MAX);
		uint64_t hits = 0;

		for (unsigned int j = 0; j < k; j++) {
			const struct dp_meta *meta = dp_meta(media[base + j]);

			memcpy(keys[j].ip, meta->src.ip, 16);
			keys[j].rport = meta->src.port;
			keys[j].lport = meta->lport;
			kp[j] = &keys[j];
		}
		rte_hash_lookup_bulk_data(t->flow, kp, k, &hits, data);
		for (unsigned int j = 0; j < k; j++) {
			struct rte_mbuf *m = media[base + j];
			struct dp_meta *meta = dp_meta(m);
			bool flow_hit = (hits >> j) & 1;
			int64_t slot = -1;
			struct dp_leg *leg;

			if (flow_hit) {
				const struct dp_leg_cfg *cfg;

				slot = (int64_t)(uintptr_t)data[j];
				cfg = dp_leg_cfg_load(dp_tables_leg(t, (uint32_t)slot));
				/* RTCP from a latched leg may carry any sender SSRC (a receiver's
				 * report SSRC); RTP must be one of the leg's SSRCs, else the SSRC
				 * decides (two legs can share one socket). */
				if (cfg == NULL ||
				    (meta->kind == DP_K_SRTP && !dp_leg_cfg_has_ssrc(cfg, meta->ssrc)))
					slot = -1;
			}
			if (slot < 0)
				slot = dp_tables_ssrc_lookup(t, meta->lport, meta->ssrc);
			if (slot < 0) {
				drop(w, m, flow_hit ? DP_DROP_SSRC_NOT_ALLOWED : DP_DROP_UNKNOWN_SSRC);
				continue;
			}
			leg = dp_tables_leg(t, (uint32_t)slot);
			meta->leg_slot = (uint32_t)slot;
			meta->leg_gen = dp_leg_gen_load(leg);
			if (leg->owner == w->index) {
				mine[n_mine++] = m;
			} else if (unlikely(rte_ring_mp_enqueue(w->dp->workers[leg->owner]->in_ring,
							       m) != 0)) {
				drop(w, m, DP_DROP_RING_FULL);
			} else {
				w->stats.handoff_out++;
			}
		}
	}
	return n_mine;
}

static void
worker_rx(struct dp_worker *w, uint16_t port, struct rte_mbuf **pkts, unsigned int n,
	  struct protect_batch *b)
{
	struct rte_mbuf *media[DP_MAX_BURST];
	struct rte_mbuf *mine[DP_MAX_BURST];
	unsigned int n_media = 0, n_mine;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int rc;

		w->stats.rx_packets++;
		w->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rc = classify(w, m, port);
		if (rc == 0)
			media[n_media++] = m;
		else if (rc < 0)
			drop(w, m, (unsigned int)-rc);
	}
	if (n_media == 0)
		return;
	n_mine = find_legs(w, media, n_media, mine);
	owner_process(w, mine, n_mine, b);
}

/* Packets other workers handed to us: SRTP for our legs, or plaintext for our receivers. */
static void
worker_handoff(struct dp_worker *w, struct rte_mbuf **pkts, unsigned int n,
	       struct protect_batch *b)
{
	struct dp_tables *t = w->dp->tables;
	struct rte_mbuf *mine[DP_MAX_BURST];
	unsigned int n_mine = 0;

	w->stats.handoff_in += n;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_meta *meta = dp_meta(m);
		const struct dp_conf *conf;
		const struct dp_conf_members *members;
		const struct dp_conf_group *g;

		if (meta->kind == DP_K_SRTP || meta->kind == DP_K_SRTCP) {
			mine[n_mine++] = m;
			continue;
		}
		conf = &t->confs[meta->conf_slot];
		if (__atomic_load_n(&conf->gen, __ATOMIC_ACQUIRE) != meta->conf_gen ||
		    (members = dp_conf_members_load(conf)) == NULL) {
			drop(w, m, DP_DROP_LEG_GONE);
			continue;
		}
		g = my_group(w, members);
		if (g != NULL) {
			if (meta->kind == DP_K_RTP_PLAIN) {
				if (deliver_rtp(w, m, &members->legs[g->first], g->count, b))
					continue;
			} else {
				deliver_rtcp(w, m, &members->legs[g->first], g->count);
			}
		}
		batch_release(w, b, m);
	}
	owner_process(w, mine, n_mine, b);
}

static void
worker_inject(struct dp_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		w->stats.host_tx++;
		tx(w, pkts[i], dp_meta(pkts[i])->tx_port);
	}
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_dataplane *dp = w->dp;
	struct rte_rcu_qsbr *rcu = dp->tables->rcu;
	const uint64_t drain_tsc = dp->tsc_hz * dp->cfg->tx_drain_us / US_PER_S + 1;
	const uint32_t backoff_us = dp->cfg->idle_backoff_us;
	const uint16_t burst = dp->burst;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	struct protect_batch *b;
	uint64_t prev_drain = rte_rdtsc();
	unsigned int idle = 0;

	b = rte_zmalloc_socket("sl_batch", sizeof(*b), RTE_CACHE_LINE_SIZE, rte_socket_id());
	if (b == NULL) {
		DP_LOG(ERR, "worker %u: out of memory", w->index);
		dp->quit = true;
		return -1;
	}
	rte_rcu_qsbr_thread_register(rcu, w->index);
	rte_rcu_qsbr_thread_online(rcu, w->index);
	DP_LOG(INFO, "worker %u on lcore %u: %u rx queue(s)", w->index, w->lcore_id, w->n_rxq);

	while (!dp->quit) {
		unsigned int busy = 0;
		uint64_t now;
		unsigned int n;

		for (unsigned int q = 0; q < w->n_rxq; q++) {
			const struct dp_rxq *rq = &w->rxq[q];

			n = rte_eth_rx_burst(dp->ports[rq->port].port_id, rq->queue, pkts, burst);
			if (n == 0)
				continue;
			busy += n;
			w->rxq_packets[q] += n;
			worker_rx(w, rq->port, pkts, n, b);
			protect_flush(w, b);
		}
		n = rte_ring_sc_dequeue_burst(w->in_ring, (void **)pkts, burst, NULL);
		if (n > 0) {
			busy += n;
			worker_handoff(w, pkts, n, b);
			protect_flush(w, b);
		}
		n = rte_ring_sc_dequeue_burst(w->inject_ring, (void **)pkts, burst, NULL);
		if (n > 0) {
			busy += n;
			worker_inject(w, pkts, n);
		}

		now = rte_rdtsc();
		if (now - prev_drain > drain_tsc) {
			tx_flush(w);
			prev_drain = now;
		}
		/* Nothing of ours is referenced past this point of the loop. */
		rte_rcu_qsbr_quiescent(rcu, w->index);
		w->stats.loops++;

		if (busy != 0 || backoff_us == 0) {
			idle = 0;
			continue;
		}
		if (++idle < IDLE_LOOPS_BEFORE_SLEEP)
			continue;
		/* Idle back-off for shared machines: offline, so grace periods need not wait. */
		tx_flush(w);
		rte_rcu_qsbr_thread_offline(rcu, w->index);
		rte_delay_us_sleep(backoff_us);
		rte_rcu_qsbr_thread_online(rcu, w->index);
		w->stats.idle_sleeps++;
	}
	tx_flush(w);
	rte_rcu_qsbr_thread_offline(rcu, w->index);
	rte_rcu_qsbr_thread_unregister(rcu, w->index);
	rte_free(b);
	return 0;
}

/* ---- setup ---- */

int
dp_worker_inject(struct dp_dataplane *dp, struct rte_mbuf *m, uint16_t port)
{
	dp_meta(m)->kind = DP_K_TX;
	dp_meta(m)->tx_port = port;
	if (rte_ring_sp_enqueue(dp->workers[0]->inject_ring, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

int
dp_workers_create(struct dp_dataplane *dp)
{
	const struct dp_config *cfg = dp->cfg;
	unsigned int next = 0;
	char name[RTE_RING_NAMESIZE];

	dp->n_workers = 0;
	for (unsigned int i = 0; i < cfg->n_lcores; i++) {
		uint16_t lcore = cfg->lcore_ids[i];
		struct dp_worker *w;
		int socket;

		if (lcore == cfg->main_lcore)
			continue;
		if (dp->n_workers == DP_MAX_WORKERS) {
			DP_LOG(ERR, "at most %u workers", DP_MAX_WORKERS);
			return -1;
		}
		socket = (int)rte_lcore_to_socket_id(lcore);
		w = rte_zmalloc_socket("sl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			return -1;
		dp->workers[dp->n_workers] = w;
		w->dp = dp;
		w->index = (uint16_t)dp->n_workers++;
		w->lcore_id = lcore;
		w->pool = dp->pools[socket] != NULL ? dp->pools[socket] : dp->pools[0];
		snprintf(name, sizeof(name), "sl_in_%u", w->index);
		w->in_ring = rte_ring_create(name, cfg->ring_size, socket, RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sl_inj_%u", w->index);
		w->inject_ring = rte_ring_create(name, INJECT_RING_SIZE, socket,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->in_ring == NULL || w->inject_ring == NULL) {
			DP_LOG(ERR, "worker %u: cannot create rings: %s", w->index,
			       rte_strerror(rte_errno));
			return -1;
		}
		for (unsigned int p = 0; p < dp->n_ports; p++)
			w->tx[p].queue = w->index % dp->ports[p].n_txq;
	}
	/* RX queues round-robin over the workers; a worker may also have none. */
	for (unsigned int p = 0; p < dp->n_ports; p++) {
		for (uint16_t q = 0; q < dp->ports[p].n_rxq; q++) {
			struct dp_worker *w = dp->workers[next++ % dp->n_workers];

			if (w->n_rxq == DP_MAX_RXQ_PER_WORKER) {
				DP_LOG(ERR, "too many rx queues for %u workers", dp->n_workers);
				return -1;
			}
			w->rxq[w->n_rxq++] = (struct dp_rxq){ .port = (uint16_t)p, .queue = q };
			DP_LOG(INFO, "port %s rx queue %u -> worker %u (lcore %u)",
			       dp->ports[p].cfg->name, q, w->index, w->lcore_id);
		}
	}
	dp->events = rte_ring_create_elem("sl_events", sizeof(struct dp_event), HOST_RING_SIZE,
					  (int)rte_socket_id(), RING_F_SC_DEQ);
	dp->slow = rte_ring_create("sl_slow", HOST_RING_SIZE, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (dp->events == NULL || dp->slow == NULL) {
		DP_LOG(ERR, "cannot create control rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static void
ring_drain_free(struct rte_ring *r)
{
	void *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void
dp_workers_free(struct dp_dataplane *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = dp->workers[i];

		if (w == NULL)
			continue;
		ring_drain_free(w->in_ring);
		ring_drain_free(w->inject_ring);
		rte_free(w);
		dp->workers[i] = NULL;
	}
	ring_drain_free(dp->slow);
	rte_ring_free(dp->events);
	dp->slow = NULL;
	dp->events = NULL;
}
