/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dp: the dataplane process.
 *
 *   sluice-dp [-c FILE]           run with FILE (default /etc/sluice/sluice-dp.conf)
 *   sluice-dp --check-config FILE validate FILE and explain every error; exit 0 or 1
 *
 * Start-up is linear and fails fast (configuration, EAL, ports, workers, tables, host
 * stack); then the main lcore runs the control thread until SIGINT or SIGTERM, and shutdown
 * undoes everything in reverse order.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <openssl/crypto.h>

#include "dp_config.h"
#include "dp_ctrl.h"
#include "dp_host.h"
#include "dp_log.h"
#include "dp_port.h"
#include "dp_runtime.h"
#include "dp_state.h"
#include "dp_stats.h"
#include "dp_table.h"
#include "dp_worker.h"

#define DEFAULT_CONFIG "/etc/sluice/sluice-dp.conf"
#define EXIT_CONFIG 1
#define EXIT_STARTUP 2
#define MAX_EAL_ARGS (16 + 2 * DP_CFG_MAX_DEVARGS * 2)

static struct dp_dataplane *running;

static void
on_signal(int sig)
{
	(void)sig;
	if (running != NULL)
		running->quit = true;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-dp [-c FILE]\n"
		"       sluice-dp [-c FILE] --check-config [FILE]\n"
		"\n"
		"  -c, --config FILE       configuration (default " DEFAULT_CONFIG ")\n"
		"      --check-config [FILE]\n"
		"                          validate FILE (or the -c file), explain each error with its\n"
		"                          line; exit 0 if valid\n"
		"  -V, --version           print the version\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0 clean shutdown or valid configuration; 1 invalid configuration;\n"
		"2 start-up failed (EAL, ports, memory; the log says why).\n");
}

static int
config_load(struct dp_config *cfg, const char *path)
{
	char err[4096];

	if (dp_config_load(cfg, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s", err);
		if (err[0] != '\0' && err[strlen(err) - 1] != '\n')
			fputc('\n', stderr);
		return -1;
	}
	return 0;
}

/* Whether enough free hugepages exist for memory_mb. */
static bool
hugepages_available(uint32_t memory_mb)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long free_pages = 0, page_kb = 0;
	char line[128];

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "HugePages_Free: %lu", &free_pages);
		sscanf(line, "Hugepagesize: %lu kB", &page_kb);
	}
	fclose(f);
	return free_pages * page_kb >= (unsigned long)memory_mb * 1024;
}

struct eal_args {
	int argc;
	char *argv[MAX_EAL_ARGS];
	char buf[MAX_EAL_ARGS][DP_CFG_STR_LEN + 16];
};

/* Adds "opt" followed by s (opt may be empty). */
static void
eal_add(struct eal_args *a, const char *opt, const char *s)
{
	if (a->argc >= MAX_EAL_ARGS - 1)
		return;
	snprintf(a->buf[a->argc], sizeof(a->buf[a->argc]), "%s%s", opt, s);
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
}

/* EAL arguments from the configuration: no command-line EAL options to get wrong. */
static void
eal_args_build(const struct dp_config *cfg, struct eal_args *a, bool *huge)
{
	char num[32];

	a->argc = 0;
	eal_add(a, "", "sluice-dp");
	eal_add(a, "--lcores=", cfg->lcores);
	snprintf(num, sizeof(num), "%u", cfg->main_lcore);
	eal_add(a, "--main-lcore=", num);
	snprintf(num, sizeof(num), "%u", cfg->memory_mb);
	eal_add(a, "-m", num);
	eal_add(a, "--file-prefix=", cfg->file_prefix);
	eal_add(a, "--log-level=sluice.dp:", cfg->log_level);
	*huge = cfg->hugepages == DP_HUGE_ON ||
		(cfg->hugepages == DP_HUGE_AUTO && hugepages_available(cfg->memory_mb));
	if (*huge) {
		eal_add(a, "", "--in-memory");
	} else {
		eal_add(a, "", "--no-huge");
		eal_add(a, "", "--no-shconf");
	}
	/* Never probe a PCI device that the configuration does not name. */
	if (cfg->n_pci == 0)
		eal_add(a, "", "--no-pci");
	for (unsigned int i = 0; i < cfg->n_pci; i++)
		eal_add(a, "--allow=", cfg->pci[i]);
	for (unsigned int i = 0; i < cfg->n_vdevs; i++)
		eal_add(a, "--vdev=", cfg->vdevs[i]);
	a->argv[a->argc] = NULL;
}

/* The legs' crypto counters, from the file of the last run when there is one. 0 or -1. */
static int
state_open(struct dp_dataplane *dp)
{
	const struct dp_config *cfg = dp->cfg;
	struct dp_state_info info;
	char err[512];

	dp->state = dp_state_open(cfg->state_file, cfg->max_legs + DP_TABLES_STATE_SPARE,
				  cfg->orphan_ttl, err, sizeof(err));
	if (dp->state == NULL) {
		DP_LOG(ERR, "state: %s", err);
		return -1;
	}
	dp_state_info(dp->state, &info);
	if (info.dropped > 0)
		DP_LOG(WARNING, "state: %s now holds %u legs; the saved state of %u leg(s) beyond "
		       "that was dropped", cfg->state_file, info.slots, info.dropped);
	if (info.persistent)
		DP_LOG(INFO, "state: %s, %u saved leg state(s)", cfg->state_file, info.orphans);
	else
		DP_LOG(WARNING, "state: no state file; SRTP counters will not survive a restart");
	return 0;
}

static int
dataplane_start(struct dp_dataplane *dp)
{
	const struct dp_config *cfg = dp->cfg;
	unsigned int n_workers = dp_config_n_workers(cfg);

	dp->tsc_hz = rte_get_tsc_hz();
	dp->start_tsc = rte_rdtsc();
	dp->burst = cfg->burst;
	for (unsigned int i = 0; i < cfg->n_media_ports; i++)
		dp->media_bitmap[cfg->media_ports[i] >> 6] |= 1ull << (cfg->media_ports[i] & 63);
	if (rte_lcore_count() != n_workers + 1) {
		DP_LOG(ERR, "EAL runs %u lcores, the configuration has %u", rte_lcore_count(),
		       n_workers + 1);
		return -1;
	}
	if (dp_ports_init(dp, n_workers) != 0)
		return -1;
	if (dp_workers_create(dp) != 0)
		return -1;
	if (state_open(dp) != 0)
		return -1;
	dp->tables = dp_tables_create(cfg, dp->n_workers, (int)rte_socket_id(), dp->state);
	if (dp->tables == NULL)
		return -1;
	dp->host = dp_host_create(dp);
	if (dp->host == NULL)
		return -1;
	if (dp_stats_telemetry_init(dp) != 0)
		DP_LOG(WARNING, "telemetry commands not registered");
	return 0;
}

static void
dataplane_stop(struct dp_dataplane *dp)
{
	dp_ports_close(dp);     /* stops RX before the rings and tables go */
	dp_host_free(dp->host);
	dp_workers_free(dp);
	dp_tables_free(dp->tables);
	dp_state_close(dp->state);
	dp->host = NULL;
	dp->tables = NULL;
	dp->state = NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", optional_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG, *check_path = NULL;
	struct dp_config *cfg;
	struct dp_dataplane *dp;
	struct eal_args *eal;
	bool check_only = false, huge;
	int opt, rc = EXIT_STARTUP;

	while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			/* "--check-config FILE" and "-c FILE --check-config" (as sluice-cp) */
			if (optarg == NULL && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			if (optarg != NULL)
				check_path = optarg;
			check_only = true;
			break;
		case 'V':
			printf("sluice-dp 0.1.0\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (check_path != NULL)
		path = check_path;
	cfg = calloc(1, sizeof(*cfg));
	dp = calloc(1, sizeof(*dp));
	eal = calloc(1, sizeof(*eal));
	if (cfg == NULL || dp == NULL || eal == NULL) {
		fprintf(stderr, "sluice-dp: out of memory\n");
		goto out;
	}
	if (config_load(cfg, path) != 0) {
		rc = EXIT_CONFIG;
		goto out;
	}
	if (check_only) {
		printf("%s: valid (%u port(s), %u worker(s), %u media port(s))\n", path,
		       cfg->n_ports, dp_config_n_workers(cfg), cfg->n_media_ports);
		rc = 0;
		goto out;
	}

	eal_args_build(cfg, eal, &huge);
	if (rte_eal_init(eal->argc, eal->argv) < 0) {
		fprintf(stderr, "sluice-dp: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	/* EAL's default stream also calls syslog() for every line, which costs more than a leg
	 * install where no syslog socket exists; journald collects stderr under systemd. */
	rte_openlog_stream(stderr);
	DP_LOG(NOTICE, "sluice-dp 0.1.0 (%s): %s memory, SRTP and SRTCP on %s", path,
	       huge ? "hugepage" : "no-hugepage", OpenSSL_version(OPENSSL_VERSION));

	dp->cfg = cfg;
	if (dataplane_start(dp) != 0)
		goto stop;
	running = dp;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (unsigned int i = 0; i < dp->n_workers; i++)
		rte_eal_remote_launch(dp_worker_main, dp->workers[i], dp->workers[i]->lcore_id);

	rc = dp_ctrl_run(dp) == 0 ? 0 : EXIT_STARTUP;

	dp->quit = true;
	rte_eal_mp_wait_lcore();
	DP_LOG(NOTICE, "stopped");
stop:
	running = NULL;
	dataplane_stop(dp);
	rte_eal_cleanup();
out:
	free(eal);
	free(dp);
	free(cfg);
	return rc;
}
