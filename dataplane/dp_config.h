/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration of sluice-dp: one libconfig file, read and validated as a whole into
 * struct dp_config (no DPDK needed, so --check-config and the tests run without EAL).
 * conf/sluice-dp.conf documents every option.
 *
 * libconfig is reached only through dp_cfgfile.[ch], which sluice-cp's loader shares; every
 * string is copied out before the parsed tree is destroyed.
 */
#ifndef DP_CONFIG_H
#define DP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_CFG_MAX_PORTS 8
#define DP_CFG_MAX_MEDIA_PORTS 64
#define DP_CFG_MAX_DEVARGS 16
#define DP_CFG_MAX_NEIGH 64
#define DP_CFG_MAX_UIDS 16
#define DP_CFG_NAME_LEN 32
#define DP_CFG_STR_LEN 256
#define DP_CFG_STATE_FILE "/var/lib/sluice/dp-state"
#define DP_CFG_MAX_LCORES 128         /* lcore ids 0..127 */

enum dp_cfg_huge {
	DP_HUGE_AUTO = 0,             /* hugepages when free ones exist, else --no-huge */
	DP_HUGE_ON,                   /* require hugepages */
	DP_HUGE_OFF,                  /* --no-huge */
};

/* An address with prefix; IPv4 stored IPv4-mapped, like struct dp_endpoint. */
struct dp_cfg_prefix {
	bool set;
	uint8_t ip[16];
	uint8_t prefix_len;           /* IPv4: 0..32 (not the mapped length), IPv6: 0..128 */
};

struct dp_cfg_neigh {
	uint8_t ip[16];               /* IPv4-mapped or IPv6 */
	uint8_t mac[6];
};

struct dp_cfg_port {
	char name[DP_CFG_NAME_LEN];   /* "lan0": what counters and logs call it */
	char device[DP_CFG_STR_LEN];  /* ethdev name: "net_af_packet0", "0000:03:00.0" */
	bool mac_set;
	uint8_t mac[6];               /* override the device's MAC */
	struct dp_cfg_prefix ipv4;
	struct dp_cfg_prefix ipv6;
	bool gw4_set, gw6_set;
	uint8_t gw4[16];              /* IPv4-mapped */
	uint8_t gw6[16];
	uint16_t rx_queues;           /* 1..64 */
	uint16_t rx_desc;             /* 64..16384, power of two */
	uint16_t tx_desc;
	uint16_t mtu;                 /* 576..9000 */
	unsigned int n_neigh;
	struct dp_cfg_neigh neigh[DP_CFG_MAX_NEIGH];
};

struct dp_config {
	char path[DP_CFG_STR_LEN];    /* the file this came from */

	/* eal */
	char lcores[DP_CFG_STR_LEN];  /* EAL --lcores */
	uint16_t main_lcore;          /* runs the control thread; every other lcore is a worker */
	uint32_t memory_mb;
	enum dp_cfg_huge hugepages;
	char file_prefix[DP_CFG_NAME_LEN];
	char log_level[DP_CFG_NAME_LEN];
	unsigned int n_pci;
	char pci[DP_CFG_MAX_DEVARGS][DP_CFG_STR_LEN];
	unsigned int n_vdevs;
	char vdevs[DP_CFG_MAX_DEVARGS][DP_CFG_STR_LEN];

	/* ports */
	unsigned int n_ports;
	struct dp_cfg_port ports[DP_CFG_MAX_PORTS];

	/* media */
	unsigned int n_media_ports;
	uint16_t media_ports[DP_CFG_MAX_MEDIA_PORTS];

	/* workers */
	uint16_t burst;               /* 1..256 */
	uint32_t idle_backoff_us;     /* 0: pure busy polling */
	uint32_t tx_drain_us;         /* flush partial TX bursts after this long */
	uint32_t ring_size;           /* hand-off rings between lcores, power of two */

	/* memory */
	uint32_t mbufs;               /* per socket */
	uint32_t mbuf_cache;

	/* tables */
	uint32_t max_legs;
	uint32_t max_conferences;
	uint32_t max_ssrcs;           /* (media port, SSRC) entries */
	uint32_t max_flows;           /* latched 5-tuples */
	uint32_t max_neigh;

	/* control */
	char socket_path[DP_CFG_STR_LEN];
	char socket_group[DP_CFG_NAME_LEN]; /* group that may open the socket; "" = root only */
	unsigned int n_uids;
	uint32_t uids[DP_CFG_MAX_UIDS];   /* peers allowed on the socket, besides root */
	uint32_t icmp_rate;           /* echo replies per second per port, 0 = never answer */

	/* state (dp_state.h) */
	char state_file[DP_CFG_STR_LEN]; /* "": crypto counters in memory only */
	uint32_t orphan_ttl;          /* seconds a saved leg state waits for its leg */

	/* lcore ids parsed out of `lcores` (validated syntax) */
	unsigned int n_lcores;
	uint16_t lcore_ids[DP_CFG_MAX_LCORES];
};

/* Fills cfg with the documented defaults (no ports, no media ports). */
void dp_config_defaults(struct dp_config *cfg);

/*
 * Reads and validates `path`. Returns 0, or -1 with a message in err of the form
 * "FILE:LINE: what is wrong" (LINE of the offending setting when libconfig knows it).
 * Every error found is reported, one per line, up to errlen: sorted by line, separated by
 * '\n' (no trailing newline), as many whole lines as fit, then a count of the rest.
 */
int dp_config_load(struct dp_config *cfg, const char *path, char *err, size_t errlen);

/* The same over a string (tests, fuzzing); `name` stands for the file in messages. */
int dp_config_parse(struct dp_config *cfg, const char *text, const char *name,
		    char *err, size_t errlen);

/* Number of worker lcores: every lcore but the main one. */
unsigned int dp_config_n_workers(const struct dp_config *cfg);

/* Index of a media port in cfg->media_ports, or -1. */
int dp_config_media_index(const struct dp_config *cfg, uint16_t udp_port);

#endif /* DP_CONFIG_H */
