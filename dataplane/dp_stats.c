/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter snapshots for the control socket and DPDK telemetry. */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "dp_log.h"
#include "dp_runtime.h"
#include "dp_stats.h"

RTE_LOG_REGISTER(dp_logtype, sluice.dp, INFO);

static const struct dp_dataplane *tel_dp; /* telemetry callbacks take no context */

static void
put(struct dp_stats_group *g, const char *name, uint64_t v)
{
	size_t len = strnlen(name, sizeof(g->c[0].name) - 1);

	if (g->n == DP_STATS_MAX_COUNTERS)
		return;
	memcpy(g->c[g->n].name, name, len);
	g->c[g->n].name[len] = '\0';
	g->c[g->n].value = v;
	g->n++;
}

static void
lcore_counters(const struct dp_lcore_stats *s, struct dp_stats_group *g)
{
#define DP_STATS_PUT(field) put(g, #field, s->field);
	DP_LCORE_COUNTERS(DP_STATS_PUT)
#undef DP_STATS_PUT
}

void
dp_stats_lcore(const struct dp_dataplane *dp, unsigned int worker, struct dp_stats_group *g)
{
	const struct dp_worker *w = dp->workers[worker];
	uint64_t drops = 0;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "worker %u", w->index);
	g->index = w->lcore_id;
	lcore_counters(&w->stats, g);
	for (unsigned int r = 1; r < DP_DROP_MAX; r++)
		drops += w->stats.drops[r];
	put(g, "drops", drops);
	for (unsigned int q = 0; q < w->n_rxq; q++) {
		char name[64];

		snprintf(name, sizeof(name), "rxq_%s_%u", dp->ports[w->rxq[q].port].cfg->name,
			 w->rxq[q].queue);
		put(g, name, w->rxq_packets[q]);
	}
}

void
dp_stats_control(const struct dp_dataplane *dp, struct dp_stats_group *g)
{
	uint64_t drops = 0;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "control");
	g->index = rte_get_main_lcore();
	for (unsigned int r = 1; r < DP_DROP_MAX; r++)
		drops += dp->ctl_stats.drops[r];
	put(g, "drops", drops);
}

void
dp_stats_port(const struct dp_dataplane *dp, unsigned int port, struct dp_stats_group *g)
{
	const struct dp_port *p = &dp->ports[port];
	struct rte_eth_stats st;
	struct rte_eth_link link;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", p->cfg->name);
	g->index = p->port_id;
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0)
		g->link_up = link.link_status == RTE_ETH_LINK_UP;
	if (rte_eth_stats_get(p->port_id, &st) != 0)
		return;
	put(g, "rx_packets", st.ipackets);
	put(g, "rx_bytes", st.ibytes);
	put(g, "rx_missed", st.imissed);
	put(g, "rx_errors", st.ierrors);
	put(g, "rx_nombuf", st.rx_nombuf);
	put(g, "tx_packets", st.opackets);
	put(g, "tx_bytes", st.obytes);
	put(g, "tx_errors", st.oerrors);
	for (unsigned int q = 0; q < p->n_rxq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
		char name[40];

		snprintf(name, sizeof(name), "rxq%u_packets", q);
		put(g, name, st.q_ipackets[q]);
	}
	for (unsigned int q = 0; q < p->n_txq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
		char name[40];

		snprintf(name, sizeof(name), "txq%u_packets", q);
		put(g, name, st.q_opackets[q]);
	}
}

static void
drops_sum(const struct dp_dataplane *dp, uint64_t *sum)
{
	for (unsigned int r = 0; r < DP_DROP_MAX; r++)
		sum[r] = dp->ctl_stats.drops[r];
	for (unsigned int w = 0; w < dp->n_workers; w++)
		for (unsigned int r = 0; r < DP_DROP_MAX; r++)
			sum[r] += dp->workers[w]->stats.drops[r];
}

void
dp_stats_drops(const struct dp_dataplane *dp, struct dp_stats_group *g)
{
	uint64_t sum[DP_DROP_MAX];

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "drops");
	drops_sum(dp, sum);
	for (unsigned int r = 1; r < DP_DROP_MAX; r++)
		put(g, dp_drop_name(r), sum[r]);
}

/* ---- telemetry ---- */

static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_lcore_stats sum;

	memset(&sum, 0, sizeof(sum));
	for (unsigned int w = 0; w < tel_dp->n_workers; w++) {
		const struct dp_lcore_stats *s = &tel_dp->workers[w]->stats;
#define DP_STATS_SUM(field) sum.field += s->field;
		DP_LCORE_COUNTERS(DP_STATS_SUM)
#undef DP_STATS_SUM
	}
	rte_tel_data_start_dict(d);
#define DP_STATS_TEL(field) rte_tel_data_add_dict_u64(d, #field, sum.field);
	DP_LCORE_COUNTERS(DP_STATS_TEL)
#undef DP_STATS_TEL
	return 0;
}

static int
tel_drops(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	uint64_t sum[DP_DROP_MAX];

	drops_sum(tel_dp, sum);
	rte_tel_data_start_dict(d);
	for (unsigned int r = 1; r < DP_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, dp_drop_name(r), sum[r]);
	return 0;
}

int
dp_stats_telemetry_init(struct dp_dataplane *dp)
{
	tel_dp = dp;
	if (rte_telemetry_register_cmd("/sluice/stats", tel_stats,
				       "Worker counters summed over lcores. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/sluice/drops", tel_drops,
				       "Dropped packets by reason. No parameters") != 0)
		return -1;
	return 0;
}
