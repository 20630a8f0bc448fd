/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_config_parse over arbitrary text. Beyond "no crash, no leak": whatever it accepts must
 * hold the invariants the rest of sluice-dp relies on, and a refusal must say why.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_accepted(const struct dp_config *cfg)
{
	unsigned int workers = dp_config_n_workers(cfg);
	uint64_t need = 0;

	if (cfg->n_ports < 1 || cfg->n_ports > DP_CFG_MAX_PORTS ||
	    cfg->n_media_ports < 1 || cfg->n_media_ports > DP_CFG_MAX_MEDIA_PORTS ||
	    cfg->n_lcores < 2 || cfg->n_lcores > DP_CFG_MAX_LCORES ||
	    workers != cfg->n_lcores - 1 || cfg->mbuf_cache > 512 ||
	    (uint64_t)cfg->mbuf_cache * 3 > (uint64_t)cfg->mbufs * 2)
		abort();
	for (unsigned int i = 0; i < cfg->n_media_ports; i++)
		if (cfg->media_ports[i] < 1024 ||
		    dp_config_media_index(cfg, cfg->media_ports[i]) != (int)i)
			abort();
	for (unsigned int i = 0; i + 1 < cfg->n_lcores; i++)
		if (cfg->lcore_ids[i] >= cfg->lcore_ids[i + 1])
			abort();
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct dp_cfg_port *p = &cfg->ports[i];

		if (p->name[0] == '\0' || p->device[0] == '\0' || (!p->ipv4.set && !p->ipv6.set) ||
		    p->rx_queues < 1 || p->rx_queues > 64 || (p->rx_desc & (p->rx_desc - 1)) != 0 ||
		    (p->tx_desc & (p->tx_desc - 1)) != 0 || p->mtu < 576 || p->mtu > 9000 ||
		    p->n_neigh > DP_CFG_MAX_NEIGH ||
		    memchr(p->name, '\0', sizeof(p->name)) == NULL ||
		    memchr(p->device, '\0', sizeof(p->device)) == NULL)
			abort();
		need += (uint64_t)p->rx_queues * p->rx_desc + (uint64_t)workers * p->tx_desc;
	}
	need += (uint64_t)cfg->n_lcores * cfg->mbuf_cache + (uint64_t)workers * cfg->burst * 8;
	if (cfg->mbufs < need)
		abort();
	if (memchr(cfg->socket_path, '\0', sizeof(cfg->socket_path)) == NULL ||
	    cfg->socket_path[0] != '/')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_config cfg;
	char err[2048];
	char *text;
	int rc;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = dp_config_parse(&cfg, text, "fuzz.conf", err, sizeof(err));
	if (rc == 0)
		check_accepted(&cfg);
	else if (rc != -1 || strncmp(err, "fuzz.conf", 9) != 0 ||
		 memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	free(text);
	return 0;
}
