/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_config: defaults, the example file, every class of error with the line it is reported
 * on, range boundaries of the table rows, lcores syntax, addresses and prefixes, cross
 * checks.
 *
 * The example file is conf/sluice-dp.conf: argv[1] when given, else
 * $SLUICE_SOURCE_ROOT/conf/sluice-dp.conf, else found relative to the working directory.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_config.h"
#include "ut.h"

#define NAME "t.conf"

static struct dp_config cfg;
static char err[8192];
static const char *example_path;

static int
parse(const char *text)
{
	return dp_config_parse(&cfg, text, NAME, err, sizeof(err));
}

static unsigned int
n_lines(const char *s)
{
	unsigned int n = 0;

	if (*s == '\0')
		return 0;
	for (n = 1; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Whether err has a line starting with `prefix`. */
static int
has_line(const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = err; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, prefix, n) == 0 && (nl == NULL || (size_t)(nl - l) >= n))
			return 1;
		l = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

#define ASSERT_LINE(prefix) do { \
	if (!has_line(prefix)) \
		fprintf(stderr, "\nexpected a line starting %s\nerr:\n%s\n", prefix, err); \
	CU_ASSERT_TRUE(has_line(prefix)); \
} while (0)

#define ASSERT_OK(text) do { \
	int rc_ = parse(text); \
	if (rc_ != 0) \
		fprintf(stderr, "\nunexpected errors:\n%s\n", err); \
	CU_ASSERT_EQUAL(rc_, 0); \
	CU_ASSERT_STRING_EQUAL(err, ""); \
} while (0)

/* Only the given error: exactly one line, starting with prefix. */
#define ASSERT_ONLY(text, prefix) do { \
	CU_ASSERT_EQUAL(parse(text), -1); \
	ASSERT_LINE(prefix); \
	if (n_lines(err) != 1) \
		fprintf(stderr, "\nexpected one error line:\n%s\n", err); \
	CU_ASSERT_EQUAL(n_lines(err), 1); \
} while (0)

/*
 * A valid file with one-line slots: eal_extra lands on line 3, port_extra on line 7,
 * tail on line 10.
 */
static const char *
doc(const char *eal_extra, const char *port_extra, const char *tail)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "eal = {\n"                                               /* 1 */
		 "  vdevs = ( \"net_af_packet0,iface=sl-dp0\" );\n"        /* 2 */
		 "  %s\n"                                                  /* 3 */
		 "};\n"                                                    /* 4 */
		 "ports = ( {\n"                                           /* 5 */
		 "  name = \"lan0\"; device = \"net_af_packet0\"; ipv4 = \"198.18.0.1/24\"; "
		 "ipv6 = \"2001:db8:5c::1/64\";\n"                         /* 6 */
		 "  %s\n"                                                  /* 7 */
		 "} );\n"                                                  /* 8 */
		 "media = { udp_ports = [ 40000, 40001 ]; };\n"            /* 9 */
		 "%s\n",                                                   /* 10 */
		 eal_extra, port_extra, tail);
	return buf;
}

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* printf into one of a few rotating buffers, so results can be nested */
static const char *
fmt(const char *f, ...)
{
	static char bufs[4][4096];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return buf;
}

/* A valid file but for its one port, whose settings after name and device (from line 2) are
 * port. */
static const char *
port_doc(const char *port)
{
	return fmt("ports = ( { name = \"a\"; device = \"net_af_packet0\";\n"
		   "  %s } );\n"
		   "media = { udp_ports = [ 40000 ]; };\n"
		   "eal = { vdevs = ( \"net_af_packet0\" ); };\n", port);
}

/* ---- defaults and valid files ---- */

static void
test_defaults_are_documented_values(void)
{
	dp_config_defaults(&cfg);

	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-1");
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	CU_ASSERT_EQUAL(cfg.memory_mb, 512);
	CU_ASSERT_EQUAL(cfg.hugepages, DP_HUGE_AUTO);
	CU_ASSERT_STRING_EQUAL(cfg.file_prefix, "sluice");
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "info");
	CU_ASSERT_EQUAL(cfg.n_pci, 0);
	CU_ASSERT_EQUAL(cfg.n_vdevs, 0);
	CU_ASSERT_EQUAL(cfg.n_ports, 0);
	CU_ASSERT_EQUAL(cfg.n_media_ports, 0);
	CU_ASSERT_EQUAL(cfg.burst, 32);
	CU_ASSERT_EQUAL(cfg.idle_backoff_us, 0);
	CU_ASSERT_EQUAL(cfg.tx_drain_us, 100);
	CU_ASSERT_EQUAL(cfg.ring_size, 4096);
	CU_ASSERT_EQUAL(cfg.mbufs, 16383);
	CU_ASSERT_EQUAL(cfg.mbuf_cache, 256);
	CU_ASSERT_EQUAL(cfg.max_legs, 16384);
	CU_ASSERT_EQUAL(cfg.max_conferences, 4096);
	CU_ASSERT_EQUAL(cfg.max_ssrcs, 65536);
	CU_ASSERT_EQUAL(cfg.max_flows, 32768);
	CU_ASSERT_EQUAL(cfg.max_neigh, 1024);
	CU_ASSERT_STRING_EQUAL(cfg.socket_path, "/run/sluice/dp.sock");
	CU_ASSERT_EQUAL(cfg.n_uids, 0);
	CU_ASSERT_EQUAL(cfg.icmp_rate, 100);
	CU_ASSERT_EQUAL(cfg.n_lcores, 2);
	CU_ASSERT_EQUAL(cfg.lcore_ids[0], 0);
	CU_ASSERT_EQUAL(cfg.lcore_ids[1], 1);
	CU_ASSERT_EQUAL(dp_config_n_workers(&cfg), 1);
}

static void
test_minimal_file_gets_defaults_and_port_values(void)
{
	static const uint8_t v4[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1
	};
	static const uint8_t v6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x5c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	const struct dp_cfg_port *p = &cfg.ports[0];

	ASSERT_OK("ports = ( { name = \"lan0\"; device = \"net_af_packet0\";\n"
		  "  ipv4 = \"198.18.0.1/24\"; ipv6 = \"2001:db8:5c::1/64\"; } );\n"
		  "media = { udp_ports = [ 40000 ]; };\n"
		  "eal = { vdevs = ( \"net_af_packet0,iface=sl-dp0\" ); };\n");

	CU_ASSERT_STRING_EQUAL(cfg.path, NAME);
	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-1");
	CU_ASSERT_EQUAL(cfg.memory_mb, 512);
	CU_ASSERT_EQUAL(cfg.idle_backoff_us, 0);
	CU_ASSERT_EQUAL(cfg.mbufs, 16383);
	CU_ASSERT_STRING_EQUAL(cfg.socket_path, "/run/sluice/dp.sock");
	CU_ASSERT_EQUAL(cfg.n_vdevs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.vdevs[0], "net_af_packet0,iface=sl-dp0");
	CU_ASSERT_EQUAL(cfg.n_ports, 1);
	CU_ASSERT_STRING_EQUAL(p->name, "lan0");
	CU_ASSERT_STRING_EQUAL(p->device, "net_af_packet0");
	CU_ASSERT_FALSE(p->mac_set);
	CU_ASSERT_TRUE(p->ipv4.set);
	CU_ASSERT_EQUAL(memcmp(p->ipv4.ip, v4, 16), 0);
	CU_ASSERT_EQUAL(p->ipv4.prefix_len, 24);
	CU_ASSERT_TRUE(p->ipv6.set);
	CU_ASSERT_EQUAL(memcmp(p->ipv6.ip, v6, 16), 0);
	CU_ASSERT_EQUAL(p->ipv6.prefix_len, 64);
	CU_ASSERT_FALSE(p->gw4_set);
	CU_ASSERT_FALSE(p->gw6_set);
	CU_ASSERT_EQUAL(p->rx_queues, 1);
	CU_ASSERT_EQUAL(p->rx_desc, 1024);
	CU_ASSERT_EQUAL(p->tx_desc, 1024);
	CU_ASSERT_EQUAL(p->mtu, 1500);
	CU_ASSERT_EQUAL(p->n_neigh, 0);
	CU_ASSERT_EQUAL(cfg.n_media_ports, 1);
	CU_ASSERT_EQUAL(cfg.media_ports[0], 40000);
	CU_ASSERT_EQUAL(cfg.n_lcores, 2);
	CU_ASSERT_EQUAL(dp_config_n_workers(&cfg), 1);
}

static void
test_every_setting_is_read_into_its_field(void)
{
	static const uint8_t gw4[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 254
	};
	static const uint8_t gw6[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5c, 0x00, 0x00, 0xab };
	const struct dp_cfg_port *p = &cfg.ports[0];

	ASSERT_OK("eal = { lcores = \"0-3\"; main_lcore = 2; memory_mb = 1024; hugepages = \"on\";\n"
		  "  file_prefix = \"relay-2\"; log_level = \"debug\";\n"
		  "  pci = ( \"0000:03:00.0\", \"0000:04:00.1,rxq_pkt_len=1\" ); vdevs = ( ); };\n"
		  "ports = ( { name = \"wan0\"; device = \"0000:03:00.0\"; mac = \"02:00:5C:00:00:AB\";\n"
		  "  ipv4 = \"198.18.0.1/24\"; ipv4_gateway = \"198.18.0.254\";\n"
		  "  ipv6 = \"2001:db8:5c::1/64\"; ipv6_gateway = \"fe80::1\";\n"
		  "  rx_queues = 4; rx_desc = 2048; tx_desc = 512; mtu = 9000;\n"
		  "  neighbours = ( { ip = \"198.18.0.9\"; mac = \"02:00:00:00:00:09\"; },\n"
		  "                 { ip = \"2001:db8:5c::9\"; mac = \"02:00:00:00:00:0a\"; } ); } );\n"
		  "media = { udp_ports = [ 40000, 40001, 50000 ]; };\n"
		  "workers = { burst = 64; idle_backoff_us = 5; tx_drain_us = 50; ring_size = 1024; };\n"
		  "memory = { mbufs = 65535; mbuf_cache = 512; };\n"
		  "tables = { legs = 100; conferences = 10; ssrcs = 200; flows = 300; "
		  "neighbours = 8; };\n"
		  "control = { socket = \"/tmp/dp.sock\"; group = \"sluice\"; allow_uids = [ 1000, 0 ]; "
		  "icmp_rate = 0; };\n");

	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-3");
	CU_ASSERT_STRING_EQUAL(cfg.socket_group, "sluice");
	CU_ASSERT_EQUAL(cfg.main_lcore, 2);
	CU_ASSERT_EQUAL(cfg.memory_mb, 1024);
	CU_ASSERT_EQUAL(cfg.hugepages, DP_HUGE_ON);
	CU_ASSERT_STRING_EQUAL(cfg.file_prefix, "relay-2");
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "debug");
	CU_ASSERT_EQUAL(cfg.n_pci, 2);
	CU_ASSERT_STRING_EQUAL(cfg.pci[0], "0000:03:00.0");
	CU_ASSERT_STRING_EQUAL(cfg.pci[1], "0000:04:00.1,rxq_pkt_len=1");
	CU_ASSERT_EQUAL(cfg.n_vdevs, 0);
	CU_ASSERT_STRING_EQUAL(p->name, "wan0");
	CU_ASSERT_STRING_EQUAL(p->device, "0000:03:00.0");
	CU_ASSERT_TRUE(p->mac_set);
	CU_ASSERT_EQUAL(memcmp(p->mac, mac, 6), 0);
	CU_ASSERT_TRUE(p->gw4_set);
	CU_ASSERT_EQUAL(memcmp(p->gw4, gw4, 16), 0);
	CU_ASSERT_TRUE(p->gw6_set);
	CU_ASSERT_EQUAL(memcmp(p->gw6, gw6, 16), 0);
	CU_ASSERT_EQUAL(p->rx_queues, 4);
	CU_ASSERT_EQUAL(p->rx_desc, 2048);
	CU_ASSERT_EQUAL(p->tx_desc, 512);
	CU_ASSERT_EQUAL(p->mtu, 9000);
	CU_ASSERT_EQUAL(p->n_neigh, 2);
	CU_ASSERT_EQUAL(p->neigh[0].ip[15], 9);
	CU_ASSERT_EQUAL(p->neigh[0].ip[10], 0xff);
	CU_ASSERT_EQUAL(p->neigh[0].mac[5], 0x09);
	CU_ASSERT_EQUAL(p->neigh[1].ip[0], 0x20);
	CU_ASSERT_EQUAL(p->neigh[1].ip[15], 9);
	CU_ASSERT_EQUAL(p->neigh[1].mac[5], 0x0a);
	CU_ASSERT_EQUAL(cfg.n_media_ports, 3);
	CU_ASSERT_EQUAL(cfg.media_ports[2], 50000);
	CU_ASSERT_EQUAL(cfg.burst, 64);
	CU_ASSERT_EQUAL(cfg.idle_backoff_us, 5);
	CU_ASSERT_EQUAL(cfg.tx_drain_us, 50);
	CU_ASSERT_EQUAL(cfg.ring_size, 1024);
	CU_ASSERT_EQUAL(cfg.mbufs, 65535);
	CU_ASSERT_EQUAL(cfg.mbuf_cache, 512);
	CU_ASSERT_EQUAL(cfg.max_legs, 100);
	CU_ASSERT_EQUAL(cfg.max_conferences, 10);
	CU_ASSERT_EQUAL(cfg.max_ssrcs, 200);
	CU_ASSERT_EQUAL(cfg.max_flows, 300);
	CU_ASSERT_EQUAL(cfg.max_neigh, 8);
	CU_ASSERT_STRING_EQUAL(cfg.socket_path, "/tmp/dp.sock");
	CU_ASSERT_EQUAL(cfg.n_uids, 2);
	CU_ASSERT_EQUAL(cfg.uids[0], 1000);
	CU_ASSERT_EQUAL(cfg.uids[1], 0);
	CU_ASSERT_EQUAL(cfg.icmp_rate, 0);
	CU_ASSERT_EQUAL(cfg.n_lcores, 4);
	CU_ASSERT_EQUAL(dp_config_n_workers(&cfg), 3);
}

static void
test_example_file_loads_with_demo_values(void)
{
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(example_path);
	rc = dp_config_load(&cfg, example_path, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, example_path);
	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-1");
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	CU_ASSERT_EQUAL(dp_config_n_workers(&cfg), 1);
	CU_ASSERT_EQUAL(cfg.hugepages, DP_HUGE_AUTO);
	CU_ASSERT_EQUAL(cfg.n_pci, 0);
	CU_ASSERT_EQUAL(cfg.n_vdevs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.vdevs[0], "net_af_packet0,iface=sl-dp0,qpairs=1");
	CU_ASSERT_EQUAL(cfg.n_ports, 1);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].name, "lan0");
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].device, "net_af_packet0");
	CU_ASSERT_EQUAL(cfg.ports[0].ipv4.prefix_len, 24);
	CU_ASSERT_EQUAL(cfg.ports[0].ipv4.ip[12], 198);
	CU_ASSERT_EQUAL(cfg.ports[0].ipv6.prefix_len, 64);
	CU_ASSERT_EQUAL(cfg.n_media_ports, 4);
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(cfg.media_ports[i], 40000 + i);
	CU_ASSERT_EQUAL(cfg.idle_backoff_us, 100);
	CU_ASSERT_STRING_EQUAL(cfg.socket_path, "/run/sluice/dp.sock");
	CU_ASSERT_EQUAL(cfg.n_uids, 0);
}

/* ---- loading files ---- */

static void
test_load_reports_a_missing_file(void)
{
	CU_ASSERT_EQUAL(dp_config_load(&cfg, "/nonexistent/sluice-dp.conf", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/sluice-dp.conf: cannot open: "
			       "No such file or directory");
}

static void
test_load_refuses_a_nul_byte_and_a_directory(void)
{
	char path[] = "/tmp/test_dp_config.XXXXXX";
	char msg[128];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "media = {\0};\n", 13), 13);
	close(fd);
	CU_ASSERT_EQUAL(dp_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s: contains a NUL byte", path);
	CU_ASSERT_STRING_EQUAL(err, msg);
	unlink(path);

	CU_ASSERT_EQUAL(dp_config_load(&cfg, "/tmp", err, sizeof(err)), -1);
	ASSERT_LINE("/tmp: not a regular file");
}

static void
test_load_reports_errors_with_the_path(void)
{
	char path[] = "/tmp/test_dp_config.XXXXXX";
	char msg[256];
	int fd = mkstemp(path);
	static const char text[] = "eal = {\n  memory_mb = 1;\n};\n";

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	CU_ASSERT_EQUAL(dp_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s:2: eal.memory_mb = 1: must be an integer in 64..1048576 "
		 "(MiB)", path);
	ASSERT_LINE(msg);
	CU_ASSERT_STRING_EQUAL(cfg.path, path);
	unlink(path);
}

/* ---- syntax, unknown settings, types ---- */

static void
test_syntax_error_names_the_line(void)
{
	ASSERT_ONLY("eal = {\n  lcores = \"0-1\";\n  main_lcore = = 0;\n};\n",
		    NAME ":3: syntax error");
}

static void
test_misplaced_string_is_a_syntax_error_on_its_line(void)
{
	/* libconfig 1.5 leaks a string it fails on: these never reach it as such */
	ASSERT_ONLY("eal = {\n  lcores = \"0-1\" \"\";\n  memory_mb = 1 \"x\";\n};\n",
		    NAME ":3: syntax error");
	ASSERT_ONLY("eal = {\n  memory_mb = 512, \"x\";\n};\n", NAME ":2: syntax error");
	ASSERT_ONLY("por_af_packet0\"; ip= \"lan5\";\n", NAME ":1: syntax error");
	ASSERT_ONLY("eal = {\n  vdevs = ( \"a\" \"b\", \"c\" );\n  }\n \"d\"\n", NAME ":4: syntax error");
	/* an earlier error is still the one reported, with its own line */
	ASSERT_ONLY("eal = {\n  = 1;\n  memory_mb = 1 \"x\";\n};\n", NAME ":2: syntax error");
	/* strings where the grammar takes them are fine */
	ASSERT_OK(doc("log_level = \"in\" \"fo\";", "", "control = { socket : \"/s\"; };"));
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "info");
}

static void
test_nesting_is_limited(void)
{
	char text[256];
	size_t o = 0;

	o += (size_t)snprintf(text + o, sizeof(text) - o, "a = ");
	for (int i = 0; i < 33; i++)
		text[o++] = '(';
	text[o] = '\0';
	ASSERT_ONLY(text, NAME ":1: nested deeper than 32 levels");
	text[o - 1] = '\0';
	CU_ASSERT_EQUAL(parse(text), -1);
	ASSERT_LINE(NAME ":1: syntax error");
}

static void
test_duplicate_setting_is_a_syntax_error(void)
{
	ASSERT_ONLY(doc("memory_mb = 512; memory_mb = 1024;", "", ""),
		    NAME ":3: duplicate setting name");
}

static void
test_unknown_settings_name_the_allowed_ones(void)
{
	ASSERT_ONLY(doc("lcore = \"0-1\";", "", ""),
		    NAME ":3: eal.lcore: unknown setting; eal allows lcores, main_lcore, memory_mb, "
		    "hugepages, file_prefix, log_level, pci, vdevs");
	ASSERT_ONLY(doc("", "rx_desk = 1024;", ""),
		    NAME ":7: ports[0].rx_desk: unknown setting; a port allows name, device, mac, "
		    "ipv4, ipv4_gateway, ipv6, ipv6_gateway, rx_queues, rx_desc, tx_desc, mtu, "
		    "neighbours");
	ASSERT_ONLY(doc("", "", "workers = { bursts = 32; };"),
		    NAME ":10: workers.bursts: unknown setting; workers allows burst, "
		    "idle_backoff_us, tx_drain_us, ring_size");
	ASSERT_ONLY(doc("", "", "control = { sock = \"/x\"; };"),
		    NAME ":10: control.sock: unknown setting; control allows socket, group, "
		    "icmp_rate, allow_uids");
	ASSERT_ONLY(doc("", "", "logging = { level = 1; };"),
		    NAME ":10: logging: unknown section; allowed: eal, ports, media, workers, "
		    "memory, tables, control");
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"198.18.0.9\"; mac = \"02:00:00:00:00:09\"; "
			"iface = 1; } );", ""),
		    NAME ":7: ports[0].neighbours[0].iface: unknown setting; a neighbour allows "
		    "ip, mac");
}

static void
test_wrong_types_are_errors(void)
{
	ASSERT_ONLY(doc("memory_mb = \"512\";", "", ""),
		    NAME ":3: eal.memory_mb: must be an integer in 64..1048576 (MiB), not a string");
	ASSERT_ONLY(doc("lcores = 1;", "", ""),
		    NAME ":3: eal.lcores: must be a string");
	ASSERT_ONLY(doc("", "mtu = 1500.0;", ""),
		    NAME ":7: ports[0].mtu: must be an integer in 576..9000 (bytes), not a float");
	ASSERT_ONLY(doc("hugepages = true;", "", ""),
		    NAME ":3: eal.hugepages: must be a string (one of auto, on, off), not a boolean");
	ASSERT_ONLY(doc("", "", "workers = 5;"),
		    NAME ":10: workers: must be a group { ... }, not an integer");
	ASSERT_ONLY(doc("", "", "control = { allow_uids = 5; };"),
		    NAME ":10: control.allow_uids: must be a list of uids, not an integer");
	ASSERT_ONLY(doc("", "", "control = { allow_uids = [ \"root\" ]; };"),
		    NAME ":10: control.allow_uids[0]: must be an integer in 0..4294967294 (uid), "
		    "not a string");
	ASSERT_ONLY(doc("pci = ( 3 );", "", ""),
		    NAME ":3: eal.pci[0]: must be a string");
	ASSERT_ONLY(doc("", "neighbours = ( \"198.18.0.9\" );", ""),
		    NAME ":7: ports[0].neighbours[0]: must be a group");
}

/* ---- range boundaries of table rows ---- */

struct bound_case {
	const char *where;            /* "eal", "port" or "tail" */
	const char *text;             /* one line with @ for the value */
	const char *path;             /* in messages */
	long long min, max;
	const char *spec;             /* what the message says is allowed */
};

static const struct bound_case bound_cases[] = {
	{ "eal", "memory_mb = @;", "eal.memory_mb", 64, 1048576, "an integer in 64..1048576" },
	{ "tail", "workers = { burst = @; };", "workers.burst", 1, 256, "an integer in 1..256" },
	{ "tail", "workers = { idle_backoff_us = @; };", "workers.idle_backoff_us", 0, 100000,
	  "an integer in 0..100000" },
	{ "tail", "workers = { tx_drain_us = @; };", "workers.tx_drain_us", 1, 10000,
	  "an integer in 1..10000" },
	{ "tail", "tables = { legs = @; };", "tables.legs", 8, 4194304,
	  "an integer in 8..4194304" },
	{ "tail", "tables = { flows = @; };", "tables.flows", 8, 4194304,
	  "an integer in 8..4194304" },
	{ "tail", "control = { icmp_rate = @; };", "control.icmp_rate", 0, 100000,
	  "an integer in 0..100000" },
	{ "tail", "memory = { mbuf_cache = @; mbufs = 16777215; };", "memory.mbuf_cache", 0, 512,
	  "an integer in 0..512" },
	{ "port", "mtu = @;", "ports[0].mtu", 576, 9000, "an integer in 576..9000" },
	{ "port", "rx_queues = @; rx_desc = 64;", "ports[0].rx_queues", 1, 64,
	  "an integer in 1..64" },
	{ "tail", "media = { udp_ports = [ @ ]; };", "media.udp_ports[0]", 1024, 65535,
	  "an integer in 1024..65535" },
};

static void
test_range_boundaries_of_table_rows(void)
{
	for (size_t i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
		const struct bound_case *c = &bound_cases[i];
		long long vals[4] = { c->min - 1, c->min, c->max, c->max + 1 };
		int line = strcmp(c->where, "eal") == 0 ? 3 : strcmp(c->where, "port") == 0 ? 7 : 10;

		for (int v = 0; v < 4; v++) {
			char num[32], want[256];
			const char *line_text;
			const char *text;
			int rc;

			snprintf(num, sizeof(num), "%lld", vals[v]);
			line_text = fmt("%.*s%s%s", (int)strcspn(c->text, "@"), c->text, num,
					strchr(c->text, '@') + 1);
			if (line == 3)
				text = doc(line_text, "", "");
			else if (line == 7)
				text = doc("", line_text, "");
			else if (strncmp(c->text, "media", 5) == 0)
				/* replaces the media section of doc() */
				text = fmt("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
					   "ports = ( { name = \"a\"; device = \"net_af_packet0\";\n"
					   "  ipv4 = \"198.18.0.1/24\"; } );\n\n\n\n\n\n\n%s\n",
					   line_text);
			else
				text = doc("", "", line_text);
			rc = parse(text);
			if (v == 1 || v == 2) {
				if (rc != 0)
					fprintf(stderr, "\n%s = %s: %s\n", c->path, num, err);
				CU_ASSERT_EQUAL(rc, 0);
				continue;
			}
			CU_ASSERT_EQUAL(rc, -1);
			snprintf(want, sizeof(want), NAME ":%d: %s = %s: must be %s", line, c->path,
				 num, c->spec);
			ASSERT_LINE(want);
			CU_ASSERT_EQUAL(n_lines(err), 1);
		}
	}
}

static void
test_powers_of_two_are_enforced_at_the_bounds(void)
{
	ASSERT_ONLY(doc("", "rx_desc = 1000;", ""),
		    NAME ":7: ports[0].rx_desc = 1000: must be a power of two in 64..16384");
	ASSERT_ONLY(doc("", "rx_desc = 32;", ""),
		    NAME ":7: ports[0].rx_desc = 32: must be a power of two in 64..16384");
	ASSERT_OK(doc("", "rx_desc = 64; tx_desc = 64;", ""));
	ASSERT_OK(doc("", "rx_desc = 16384; tx_desc = 4096;", "memory = { mbufs = 65535; };"));
	ASSERT_ONLY(doc("", "tx_desc = 32768;", ""),
		    NAME ":7: ports[0].tx_desc = 32768: must be a power of two in 64..16384");
	ASSERT_ONLY(doc("", "", "workers = { ring_size = 32; };"),
		    NAME ":10: workers.ring_size = 32: must be a power of two in 64..1048576");
	ASSERT_OK(doc("", "", "workers = { ring_size = 64; };"));
	ASSERT_OK(doc("", "", "workers = { ring_size = 1048576; };"));
	ASSERT_ONLY(doc("", "", "workers = { ring_size = 2097152; };"),
		    NAME ":10: workers.ring_size = 2097152: must be a power of two in 64..1048576");
	ASSERT_ONLY(doc("", "", "workers = { ring_size = 4095; };"),
		    NAME ":10: workers.ring_size = 4095: must be a power of two");
}

static void
test_mbufs_boundaries_with_small_rings(void)
{
	/* 1 x (1 x 64 + 1 x 64) + 2 x 0 + 1 x 1 x 8 = 136 mbufs needed: below the minimum */
	static const char small[] = "rx_desc = 64; tx_desc = 64;";

	ASSERT_ONLY(doc("", small, "memory = { mbufs = 1022; mbuf_cache = 0; } "
			"workers = { burst = 1; };"),
		    NAME ":10: memory.mbufs = 1022: must be an integer in 1023..16777215");
	ASSERT_OK(doc("", small, "memory = { mbufs = 1023; mbuf_cache = 0; } "
		      "workers = { burst = 1; };"));
	ASSERT_OK(doc("", small, "memory = { mbufs = 16777215; mbuf_cache = 0; }"));
	ASSERT_ONLY(doc("", small, "memory = { mbufs = 16777216; }"),
		    NAME ":10: memory.mbufs = 16777216: must be an integer in 1023..16777215");
}

static void
test_out_of_32_bits_integers_are_refused_not_wrapped(void)
{
	/* libconfig 1.5 would read 4294968320 as 1024, a valid ring size */
	ASSERT_ONLY(doc("", "", "workers = { ring_size = 4294968320; };"),
		    NAME ":10: 4294968320: integer out of 32-bit range");
	ASSERT_ONLY(doc("", "", "workers = { ring_size = 0x100000400; };"),
		    NAME ":10: 0x100000400: integer out of 32-bit range");
	ASSERT_ONLY(doc("", "", "control = { group = \"g\"; allow_uids = [ 3000000000 ]; };"),
		    NAME ":10: 3000000000: integer out of 32-bit range");
	/* with the L suffix libconfig reads 64 bits, and the range check applies */
	ASSERT_OK(doc("", "", "control = { group = \"g\"; allow_uids = [ 4294967294L ]; };"));
	CU_ASSERT_EQUAL(cfg.uids[0], 4294967294u);
	ASSERT_ONLY(doc("", "", "control = { group = \"g\"; allow_uids = [ 4294967295L ]; };"),
		    NAME ":10: control.allow_uids[0] = 4294967295: must be an integer in "
		    "0..4294967294");
	ASSERT_ONLY(doc("", "", "workers = { ring_size = 4294968320L; };"),
		    NAME ":10: workers.ring_size = 4294968320: must be a power of two");
	ASSERT_ONLY(doc("", "", "workers = { burst = -1; };"),
		    NAME ":10: workers.burst = -1: must be an integer in 1..256");
	/* numbers inside strings and comments are not integers */
	ASSERT_OK(doc("", "", "# 99999999999\ncontrol = { socket = \"/run/99999999999\"; };"));
}

static void
test_include_is_refused_before_any_file_is_opened(void)
{
	ASSERT_ONLY(doc("", "", "@include \"/etc/passwd\""),
		    NAME ":10: @ directives (@include) are not supported");
	ASSERT_OK(doc("", "", "# @include \"/etc/passwd\""));
}

/* ---- strings ---- */

static void
test_string_settings_are_checked(void)
{
	ASSERT_ONLY(doc("hugepages = \"yes\";", "", ""),
		    NAME ":3: eal.hugepages = \"yes\": must be one of auto, on, off");
	ASSERT_OK(doc("hugepages = \"off\";", "", ""));
	CU_ASSERT_EQUAL(cfg.hugepages, DP_HUGE_OFF);
	ASSERT_ONLY(doc("log_level = \"verbose\";", "", ""),
		    NAME ":3: eal.log_level = \"verbose\": must be one of emerg, alert, crit, err, "
		    "warning, notice, info, debug");
	ASSERT_ONLY(doc("file_prefix = \"a b\";", "", ""),
		    NAME ":3: eal.file_prefix = \"a b\": must be 1..31 of A-Z a-z 0-9 _ -");
	ASSERT_ONLY(doc("file_prefix = \"\";", "", ""),
		    NAME ":3: eal.file_prefix = \"\": must be 1..31 bytes long");
	ASSERT_ONLY(doc("file_prefix = \"0123456789012345678901234567890x\";", "", ""),
		    NAME ":3: eal.file_prefix = \"0123456789012345678901234567890x\": must be "
		    "1..31 bytes long");
	ASSERT_OK(doc("file_prefix = \"0123456789012345678901234567890\";", "", ""));
	ASSERT_ONLY(doc("", "", "control = { socket = \"run/dp.sock\"; };"),
		    NAME ":10: control.socket = \"run/dp.sock\": must be an absolute file path");
	/* 107 bytes fit sun_path with its NUL; 108 do not */
	{
		char path[128], line[192];

		memset(path, 'a', sizeof(path));
		path[0] = '/';
		path[107] = '\0';
		snprintf(line, sizeof(line), "control = { socket = \"%s\"; };", path);
		ASSERT_OK(doc("", "", line));
		CU_ASSERT_EQUAL(strlen(cfg.socket_path), 107);
		path[107] = 'a';
		path[108] = '\0';
		snprintf(line, sizeof(line), "control = { socket = \"%s\"; };", path);
		CU_ASSERT_EQUAL(parse(doc("", "", line)), -1);
		ASSERT_LINE(NAME ":10: control.socket = \"/aaaa");
		CU_ASSERT_EQUAL(n_lines(err), 1);
	}
	/* the state file: absolute, or "" for counters in memory only; its ttl in range */
	ASSERT_OK(doc("", "", ""));
	CU_ASSERT_STRING_EQUAL(cfg.state_file, DP_CFG_STATE_FILE);
	CU_ASSERT_EQUAL(cfg.orphan_ttl, 3600);
	ASSERT_OK(doc("", "", "state = { file = \"\"; orphan_ttl = 10; };"));
	CU_ASSERT_STRING_EQUAL(cfg.state_file, "");
	CU_ASSERT_EQUAL(cfg.orphan_ttl, 10);
	ASSERT_ONLY(doc("", "", "state = { file = \"dp-state\"; };"),
		    NAME ":10: state.file = \"dp-state\": must be an absolute file path");
	ASSERT_ONLY(doc("", "", "state = { file = \"/var/lib/sluice/\"; };"),
		    NAME ":10: state.file = \"/var/lib/sluice/\": must be an absolute file path");
	ASSERT_ONLY(doc("", "", "state = { orphan_ttl = 9; };"),
		    NAME ":10: state.orphan_ttl = 9: must be");
	/* control characters never reach a terminal raw */
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		    "ports = ( { device = \"net_af_packet0\"; ipv4 = \"198.18.0.1/24\";\n"
		    "  name = \"a\\nb\\x1b[2J\"; } );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":3: ports[0].name = \"a\\x0ab\\x1b[2J\": must be 1..31 of");
}

/* ---- lcores ---- */

static void
test_lcores_valid_syntax(void)
{
	ASSERT_OK(doc("lcores = \"0-1\";", "", ""));
	CU_ASSERT_EQUAL(cfg.n_lcores, 2);

	ASSERT_OK(doc("lcores = \"0,2-3\";", "", ""));
	CU_ASSERT_EQUAL(cfg.n_lcores, 3);
	CU_ASSERT_EQUAL(cfg.lcore_ids[0], 0);
	CU_ASSERT_EQUAL(cfg.lcore_ids[1], 2);
	CU_ASSERT_EQUAL(cfg.lcore_ids[2], 3);
	CU_ASSERT_EQUAL(dp_config_n_workers(&cfg), 2);

	ASSERT_OK(doc("lcores = \"(0-1)@0\";", "", ""));
	CU_ASSERT_EQUAL(cfg.n_lcores, 2);
	CU_ASSERT_EQUAL(cfg.lcore_ids[1], 1);

	ASSERT_OK(doc("lcores = \"0,1@(0-1)\";", "", ""));
	CU_ASSERT_EQUAL(cfg.n_lcores, 2);

	ASSERT_OK(doc("lcores = \"3,(5,7-8)@(0,2),1@3-4\"; main_lcore = 3;", "", ""));
	CU_ASSERT_EQUAL(cfg.n_lcores, 5);
	CU_ASSERT_EQUAL(cfg.lcore_ids[0], 1);
	CU_ASSERT_EQUAL(cfg.lcore_ids[4], 8);
	CU_ASSERT_EQUAL(dp_config_n_workers(&cfg), 4);

	ASSERT_OK(doc("lcores = \"0-127\"; main_lcore = 127;", "",
		      "memory = { mbufs = 262143; };"));
	CU_ASSERT_EQUAL(cfg.n_lcores, 128);
	CU_ASSERT_EQUAL(cfg.lcore_ids[127], 127);

	/* "1@(0-1)" is good syntax; alone it lacks a worker and the main lcore */
	CU_ASSERT_EQUAL(parse(doc("lcores = \"1@(0-1)\"; main_lcore = 1;", "", "")), -1);
	ASSERT_LINE(NAME ":3: eal.lcores = \"1@(0-1)\": needs at least 2 lcores");
	CU_ASSERT_EQUAL(n_lines(err), 1);
}

static void
test_lcores_bad_syntax(void)
{
	ASSERT_ONLY(doc("lcores = \"1-0\";", "", ""),
		    NAME ":3: eal.lcores = \"1-0\": range 1-0 is reversed");
	ASSERT_ONLY(doc("lcores = \"a\";", "", ""),
		    NAME ":3: eal.lcores = \"a\": unexpected 'a' at offset 0");
	ASSERT_ONLY(doc("lcores = \"\";", "", ""),
		    NAME ":3: eal.lcores = \"\": must be 1..255 bytes long");
	ASSERT_ONLY(doc("lcores = \"0,,1\";", "", ""),
		    NAME ":3: eal.lcores = \"0,,1\": unexpected ',' at offset 2");
	ASSERT_ONLY(doc("lcores = \"200\";", "", ""),
		    NAME ":3: eal.lcores = \"200\": lcore 200 is out of range: lcore ids are 0..127");
	ASSERT_ONLY(doc("lcores = \"0-128\";", "", ""),
		    NAME ":3: eal.lcores = \"0-128\": lcore 128 is out of range");
	ASSERT_ONLY(doc("lcores = \"0-1,1\";", "", ""),
		    NAME ":3: eal.lcores = \"0-1,1\": lcore 1 is listed twice");
	ASSERT_ONLY(doc("lcores = \"0,1-\";", "", ""),
		    NAME ":3: eal.lcores = \"0,1-\": ends early");
	ASSERT_ONLY(doc("lcores = \"0,1@\";", "", ""),
		    NAME ":3: eal.lcores = \"0,1@\": ends early");
	ASSERT_ONLY(doc("lcores = \"0,()\";", "", ""),
		    NAME ":3: eal.lcores = \"0,()\": unexpected ')' at offset 3");
	ASSERT_ONLY(doc("lcores = \"0,(1\";", "", ""),
		    NAME ":3: eal.lcores = \"0,(1\": ends early");
	ASSERT_ONLY(doc("lcores = \"0, 1\";", "", ""),
		    NAME ":3: eal.lcores = \"0, 1\": unexpected ' ' at offset 2");
	ASSERT_ONLY(doc("lcores = \"0,1-2@3\";", "", ""),
		    NAME ":3: eal.lcores = \"0,1-2@3\": \"N-M@C\" is not accepted");
	ASSERT_ONLY(doc("lcores = \"0,1@1024\";", "", ""),
		    NAME ":3: eal.lcores = \"0,1@1024\": cpu 1024 is out of range: cpu ids are "
		    "0..1023");
	ASSERT_ONLY(doc("lcores = \"0,99999999999\";", "", ""),
		    NAME ":3: eal.lcores = \"0,99999999999\": lcore 100000000 is out of range");
}

static void
test_lcores_cross_checks(void)
{
	ASSERT_ONLY(doc("lcores = \"0\";", "", ""),
		    NAME ":3: eal.lcores = \"0\": needs at least 2 lcores: the main lcore and one "
		    "worker");
	ASSERT_ONLY(doc("main_lcore = 2;", "", ""),
		    NAME ":3: eal.main_lcore = 2: not in eal.lcores \"0-1\"");
	ASSERT_ONLY(doc("main_lcore = 128;", "", ""),
		    NAME ":3: eal.main_lcore = 128: must be an integer in 0..127");
	/* main_lcore defaulted to 0: reported on the lcores line */
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" );\n"
		    "  lcores = \"1-2\"; };\n"
		    "ports = ( { name = \"a\"; device = \"net_af_packet0\"; ipv4 = \"10.0.0.1/8\"; } );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":2: eal.main_lcore = 0: not in eal.lcores \"1-2\"");
}

/* ---- addresses ---- */

/* Each of bad[] as the port's key: the one error, on line 2, says what it must be. */
static void
prefixes_refused(const char *key, const char *const *bad, const char *must_be)
{
	for (int i = 0; bad[i] != NULL; i++) {
		char want[256];

		CU_ASSERT_EQUAL(parse(port_doc(fmt("%s = \"%s\";", key, bad[i]))), -1);
		snprintf(want, sizeof(want), NAME ":2: ports[0].%s = \"%s\": must be %s", key,
			 bad[i], must_be);
		ASSERT_LINE(want);
		CU_ASSERT_EQUAL(n_lines(err), 1);
	}
}

static void
test_ipv4_prefixes(void)
{
	static const char *const bad[] = {
		"198.18.0.1/33", "198.18.0.1/0", "198.18.0.1/", "198.18.0.1", "198.18.0.1/2x",
		"198.18.0.1/-1", "198.18.0.1/024", "198.18.0.256/24", "198.18.0/24",
		"2001:db8::1/64", "/24", "198.18.0.1/24 ", NULL
	};

	prefixes_refused("ipv4", bad, "an IPv4 address with prefix length 1..32");
	ASSERT_OK(port_doc("ipv4 = \"10.1.2.3/32\";"));
	CU_ASSERT_EQUAL(cfg.ports[0].ipv4.prefix_len, 32);
	ASSERT_ONLY(port_doc("ipv4 = \"198.18.0.0/24\";"),
		    NAME ":2: ports[0].ipv4 = \"198.18.0.0/24\": is the network or broadcast "
		    "address of its prefix");
	ASSERT_ONLY(port_doc("ipv4 = \"224.0.0.1/24\";"),
		    NAME ":2: ports[0].ipv4 = \"224.0.0.1/24\": must be a unicast host address");
}

static void
test_ipv6_prefixes(void)
{
	static const char *const bad[] = {
		"2001:db8::1/129", "2001:db8::1/0", "2001:db8::1", "2001:db8::g/64",
		"2001:db8::1/64/64", "198.18.0.1/24", "::ffff:198.18.0.1/120",
		"2001:db8::1%eth0/64", NULL
	};

	prefixes_refused("ipv6", bad, "an IPv6 address with prefix length 1..128");
	ASSERT_OK(port_doc("ipv6 = \"2001:db8::1/128\";"));
	CU_ASSERT_EQUAL(cfg.ports[0].ipv6.prefix_len, 128);
	CU_ASSERT_FALSE(cfg.ports[0].ipv4.set);
	ASSERT_ONLY(port_doc("ipv6 = \"ff02::1/64\";"),
		    NAME ":2: ports[0].ipv6 = \"ff02::1/64\": must be a unicast host address");
}

static void
test_gateways_must_be_inside_the_prefix(void)
{
	ASSERT_OK(doc("", "ipv4_gateway = \"198.18.0.254\"; ipv6_gateway = \"2001:db8:5c::fe\";",
		      ""));
	ASSERT_OK(doc("", "ipv6_gateway = \"fe80::1\";", ""));
	ASSERT_ONLY(doc("", "ipv4_gateway = \"198.18.1.1\";", ""),
		    NAME ":7: ports[0].ipv4_gateway = \"198.18.1.1\": must be another host inside "
		    "198.18.0.0/24");
	ASSERT_ONLY(doc("", "ipv4_gateway = \"198.18.0.255\";", ""),
		    NAME ":7: ports[0].ipv4_gateway = \"198.18.0.255\": must be another host");
	ASSERT_ONLY(doc("", "ipv4_gateway = \"198.18.0.1\";", ""),
		    NAME ":7: ports[0].ipv4_gateway = \"198.18.0.1\": must be another host");
	ASSERT_ONLY(doc("", "ipv6_gateway = \"2001:db8:5d::1\";", ""),
		    NAME ":7: ports[0].ipv6_gateway = \"2001:db8:5d::1\": must be another host "
		    "inside 2001:db8:5c::/64 or link-local (fe80::/10)");
	ASSERT_ONLY(doc("", "ipv4_gateway = \"2001:db8:5c::fe\";", ""),
		    NAME ":7: ports[0].ipv4_gateway = \"2001:db8:5c::fe\": must be an IPv4 address");
	ASSERT_ONLY(port_doc("ipv6 = \"2001:db8::1/64\";\n  ipv4_gateway = \"10.0.0.1\";"),
		    NAME ":3: ports[0].ipv4_gateway: needs ipv4 on the port");
}

static void
test_neighbours(void)
{
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"10.0.0.9\"; mac = \"02:00:00:00:00:09\"; } );",
			""),
		    NAME ":7: ports[0].neighbours[0].ip = \"10.0.0.9\": must be a host inside the "
		    "port's prefix 198.18.0.0/24");
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"2001:db8:5d::9\"; "
			"mac = \"02:00:00:00:00:09\"; } );", ""),
		    NAME ":7: ports[0].neighbours[0].ip = \"2001:db8:5d::9\": must be a host inside "
		    "the port's prefix 2001:db8:5c::/64 or link-local");
	ASSERT_OK(doc("", "neighbours = ( { ip = \"fe80::9\"; mac = \"02:00:00:00:00:09\"; } );",
		      ""));
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"198.18.0.1\"; mac = \"02:00:00:00:00:09\"; } );",
			""),
		    NAME ":7: ports[0].neighbours[0].ip = \"198.18.0.1\": is the port's own address");
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"198.18.0.9\"; mac = \"01:00:00:00:00:09\"; } );",
			""),
		    NAME ":7: ports[0].neighbours[0].mac = \"01:00:00:00:00:09\": must be a unicast "
		    "MAC address");
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"198.18.0.9\"; } );", ""),
		    NAME ":7: ports[0].neighbours[0]: needs both ip and mac");
	ASSERT_ONLY(doc("", "neighbours = ( { ip = \"198.18.0.9\"; mac = \"02:00:00:00:00:09\"; }, "
			"{ ip = \"198.18.0.9\"; mac = \"02:00:00:00:00:0a\"; } );", ""),
		    NAME ":7: ports[0].neighbours[1].ip = \"198.18.0.9\": listed twice (also "
		    "neighbours[0])");
}

static void
test_neighbour_outside_prefix_names_its_own_line(void)
{
	ASSERT_ONLY("ports = ( { name = \"a\"; device = \"net_af_packet0\";\n"
		    "  ipv4 = \"198.18.0.1/24\";\n"
		    "  neighbours = (\n"
		    "    { ip = \"198.18.0.9\"; mac = \"02:00:00:00:00:09\"; },\n"
		    "    { ip = \"198.18.1.9\"; mac = \"02:00:00:00:00:0a\"; }\n"
		    "  );\n"
		    "} );\n"
		    "media = { udp_ports = [ 40000 ]; };\n"
		    "eal = { vdevs = ( \"net_af_packet0\" ); };\n",
		    NAME ":5: ports[0].neighbours[1].ip = \"198.18.1.9\": must be a host inside the "
		    "port's prefix 198.18.0.0/24");
}

static void
test_mac_override(void)
{
	ASSERT_ONLY(doc("", "mac = \"02:00:5c:00:00\";", ""),
		    NAME ":7: ports[0].mac = \"02:00:5c:00:00\": must be a unicast MAC address");
	ASSERT_ONLY(doc("", "mac = \"03:00:5c:00:00:01\";", ""),
		    NAME ":7: ports[0].mac = \"03:00:5c:00:00:01\": must be a unicast address");
	ASSERT_ONLY(doc("", "mac = \"00:00:00:00:00:00\";", ""),
		    NAME ":7: ports[0].mac = \"00:00:00:00:00:00\": must be a unicast address");
}

/* ---- ports, devices, media ---- */

static void
test_ports_are_required_and_not_empty(void)
{
	ASSERT_ONLY("media = { udp_ports = [ 40000 ]; };\n",
		    NAME ": ports: missing; at least one port is required");
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		    "ports = ( );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":2: ports: has 0 entries, allowed 1..8");
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		    "ports = { name = \"a\"; };\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":2: ports: must be a list of groups");
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		    "ports = ( {\n"
		    "  ipv4 = \"198.18.0.1/24\";\n"
		    "  name = \"a\";\n"
		    "} );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":2: ports[0]: device is required");
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		    "ports = ( {\n"
		    "  name = \"a\"; device = \"net_af_packet0\";\n"
		    "} );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":2: ports[0]: needs ipv4 or ipv6");
}

static void
test_port_names_and_devices_are_unique(void)
{
	static const char head[] =
		"eal = { vdevs = ( \"net_af_packet0\", \"net_af_packet1,iface=x\" ); };\n"
		"ports = (\n"
		"  { name = \"a\"; device = \"net_af_packet0\"; ipv4 = \"198.18.0.1/24\"; },\n";

	ASSERT_ONLY(fmt("%s"
			"  { name = \"a\"; device = \"net_af_packet1\"; ipv4 = \"198.18.1.1/24\"; } );\n"
			"media = { udp_ports = [ 40000 ]; };\n", head),
		    NAME ":4: ports[1].name = \"a\": already used by ports[0]");
	ASSERT_ONLY(fmt("%s"
			"  { name = \"b\"; device = \"net_af_packet0\"; ipv4 = \"198.18.1.1/24\"; } );\n"
			"media = { udp_ports = [ 40000 ]; };\n", head),
		    NAME ":4: ports[1].device = \"net_af_packet0\": already used by ports[0]");
	ASSERT_OK(fmt("%s"
		      "  { name = \"b\"; device = \"net_af_packet1\"; ipv4 = \"198.18.1.1/24\"; } );\n"
		      "media = { udp_ports = [ 40000 ]; };\n", head));
	CU_ASSERT_EQUAL(cfg.n_ports, 2);
	/* 2 ports x (1024 + 1 x 1024) + 2 x 256 + 256 = 4864 mbufs */
	CU_ASSERT_EQUAL(cfg.ports[1].rx_desc, 1024);
}

static void
test_devices_must_be_declared_in_eal(void)
{
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0,iface=x\" ); };\n"
		    "ports = ( { name = \"a\";\n"
		    "  device = \"net_tap0\"; ipv4 = \"198.18.0.1/24\"; } );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":3: ports[0].device = \"net_tap0\": no vdev of that name in eal.vdevs");
	/* the vdev's name is the text before the first comma, not a prefix of it */
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet01\" ); };\n"
		    "ports = ( { name = \"a\";\n"
		    "  device = \"net_af_packet0\"; ipv4 = \"198.18.0.1/24\"; } );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":3: ports[0].device = \"net_af_packet0\": no vdev of that name");
	ASSERT_ONLY("eal = { pci = ( \"0000:03:00.0\" ); };\n"
		    "ports = ( { name = \"a\";\n"
		    "  device = \"0000:04:00.0\"; ipv4 = \"198.18.0.1/24\"; } );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":3: ports[0].device = \"0000:04:00.0\": PCI device not listed in eal.pci");
	/* PCI addresses compare as ethdev names them: lowercase */
	ASSERT_OK("eal = { pci = ( \"0000:0A:00.1\" ); };\n"
		  "ports = ( { name = \"a\";\n"
		  "  device = \"0000:0a:00.1\"; ipv4 = \"198.18.0.1/24\"; } );\n"
		  "media = { udp_ports = [ 40000 ]; };\n");
	CU_ASSERT_STRING_EQUAL(cfg.pci[0], "0000:0a:00.1");
	ASSERT_OK("eal = { pci = ( \"0000:0a:00.1\" ); };\n"
		  "ports = ( { name = \"a\";\n"
		  "  device = \"0000:0A:00.1\"; ipv4 = \"198.18.0.1/24\"; } );\n"
		  "media = { udp_ports = [ 40000 ]; };\n");
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].device, "0000:0a:00.1");
	ASSERT_ONLY(doc("pci = ( \"0000:03:20.0\" );", "", ""),
		    NAME ":3: eal.pci[0] = \"0000:03:20.0\": must be a PCI address");
	ASSERT_ONLY(doc("pci = ( \"0000:03:00.0\", \"0000:03:00.0,x=1\" );", "", ""),
		    NAME ":3: eal.pci[1] = \"0000:03:00.0,x=1\": device listed twice");
	ASSERT_ONLY("eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		    "ports = ( { name = \"a\"; ipv4 = \"198.18.0.1/24\";\n"
		    "  device = \"net af\"; } );\n"
		    "media = { udp_ports = [ 40000 ]; };\n",
		    NAME ":3: ports[0].device = \"net af\": must be a PCI address DDDD:BB:DD.F "
		    "listed in eal.pci, or the name of a vdev in eal.vdevs");
}

static void
test_vdev_syntax(void)
{
	static const char tail[] = "ports = ( { name = \"a\"; device = \"net_null0\";\n"
				   "  ipv4 = \"198.18.0.1/24\"; } );\n"
				   "media = { udp_ports = [ 40000 ]; };\n";

	ASSERT_ONLY(fmt("eal = { vdevs = ( \"net_null0\", \"net_null0,size=64\" ); };\n%s", tail),
		    NAME ":1: eal.vdevs[1] = \"net_null0,size=64\": vdev name net_null0 is used twice");
	ASSERT_ONLY(fmt("eal = { vdevs = ( \"net_null0\", \",x=1\" ); };\n%s", tail),
		    NAME ":1: eal.vdevs[1] = \",x=1\": must be \"name\" or \"name,args\"");
	ASSERT_ONLY(fmt("eal = { vdevs = ( \"net_null0\", \"net_tap0,iface=a b\" ); };\n%s", tail),
		    NAME ":1: eal.vdevs[1] = \"net_tap0,iface=a b\": must be");
	ASSERT_OK(fmt("eal = { vdevs = [ \"net_null0\" ]; };\n%s", tail));
}

static void
test_media_ports(void)
{
	static const char head[] = "eal = { vdevs = ( \"net_af_packet0\" ); };\n"
				   "ports = ( { name = \"a\"; device = \"net_af_packet0\";\n"
				   "  ipv4 = \"198.18.0.1/24\"; } );\n";

	ASSERT_ONLY(fmt("%smedia = { udp_ports = [ 40000, 40001, 40000 ]; };\n", head),
		    NAME ":4: media.udp_ports[2] = 40000: listed twice; media ports must be "
		    "distinct");
	ASSERT_ONLY(fmt("%smedia = { udp_ports = [ ]; };\n", head),
		    NAME ":4: media.udp_ports: has 0 entries, allowed 1..64");
	ASSERT_ONLY(fmt("%smedia = { };\n", head),
		    NAME ":4: media.udp_ports: missing");
	ASSERT_ONLY(head, NAME ": media.udp_ports: missing");
	ASSERT_OK(fmt("%smedia = { udp_ports = [ 40000, 40001, 40002, 40003 ]; };\n", head));
	CU_ASSERT_EQUAL(dp_config_media_index(&cfg, 40000), 0);
	CU_ASSERT_EQUAL(dp_config_media_index(&cfg, 40003), 3);
	CU_ASSERT_EQUAL(dp_config_media_index(&cfg, 40004), -1);
	CU_ASSERT_EQUAL(dp_config_media_index(&cfg, 0), -1);
}

static void
test_sixty_four_media_ports_fit_and_sixty_five_do_not(void)
{
	char list[1024], text[2048];
	size_t o = 0;

	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%d", i == 0 ? "" : ", ",
				      40000 + i);
	snprintf(text, sizeof(text), "eal = { vdevs = ( \"net_af_packet0\" ); };\n"
		 "ports = ( { name = \"a\"; device = \"net_af_packet0\"; ipv4 = \"10.0.0.1/8\"; } );\n"
		 "media = { udp_ports = [ %s ]; };\n", list);
	ASSERT_ONLY(text, NAME ":3: media.udp_ports: has 65 entries, allowed 1..64");
	*strrchr(text, ',') = '\0';
	strcat(text, " ]; };\n");
	ASSERT_OK(text);
	CU_ASSERT_EQUAL(cfg.n_media_ports, 64);
	CU_ASSERT_EQUAL(dp_config_media_index(&cfg, 40063), 63);
}

static void
test_allow_uids(void)
{
	ASSERT_OK(doc("", "", "control = { group = \"sluice\"; allow_uids = [ 0, 1000, 65534 ]; };"));
	CU_ASSERT_EQUAL(cfg.n_uids, 3);
	CU_ASSERT_EQUAL(cfg.uids[2], 65534);
	/* root alone needs no group; anyone else reaches the socket only through one */
	ASSERT_OK(doc("", "", "control = { allow_uids = [ 0 ]; };"));
	CU_ASSERT_STRING_EQUAL(cfg.socket_group, "");
	ASSERT_ONLY(doc("", "", "control = { allow_uids = [ 1000 ]; };"),
		    NAME ":10: control.allow_uids: users other than root cannot open the root-only "
		    "socket (mode 0600); set control.group to a group they belong to (the socket is "
		    "then mode 0660 in that group)");
	ASSERT_ONLY(doc("", "", "control = { group = \"\"; allow_uids = [ 0 ]; };"),
		    NAME ":10: control.group = \"\": must be 1..31 bytes");
	ASSERT_ONLY(doc("", "", "control = { group = \"a b\"; };"),
		    NAME ":10: control.group = \"a b\": must be 1..31 of A-Z a-z 0-9 _ -");
	ASSERT_ONLY(doc("", "", "control = { group = \"g\"; allow_uids = [ 1000, 1000 ]; };"),
		    NAME ":10: control.allow_uids[1] = 1000: listed twice");
	ASSERT_ONLY(doc("", "", "control = { group = \"g\"; allow_uids = [ 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
			"16,17 ]; };"),
		    NAME ":10: control.allow_uids: has 17 entries, allowed 0..16");
	ASSERT_ONLY(doc("", "", "control = { group = \"g\"; allow_uids = [ -1 ]; };"),
		    NAME ":10: control.allow_uids[0] = -1: must be an integer in 0..4294967294");
}

/* ---- memory ---- */

static void
test_mbufs_must_cover_the_rings(void)
{
	/* 1 x (4 x 2048 + 3 x 1024) + 4 x 256 + 3 x 32 x 8 = 13056 */
	ASSERT_ONLY(doc("lcores = \"0-3\";", "rx_queues = 4; rx_desc = 2048;",
			"memory = { mbufs = 13055; };"),
		    NAME ":10: memory.mbufs = 13055: too few for the rings: at least 13056 needed");
	ASSERT_OK(doc("lcores = \"0-3\";", "rx_queues = 4; rx_desc = 2048;",
		      "memory = { mbufs = 13056; };"));
	/* defaulted mbufs: reported without a line of its own when memory is absent */
	ASSERT_ONLY(doc("", "rx_queues = 16;", ""),
		    NAME ": memory.mbufs = 16383: too few for the rings: at least 18176 needed");
}

static void
test_mbuf_cache_at_most_two_thirds_of_mbufs(void)
{
	/* 1023 / 1.5 = 682, above the 512 cap: the cache cap is the limit there */
	ASSERT_ONLY(doc("", "rx_desc = 64; tx_desc = 64;",
			"memory = { mbufs = 1023; mbuf_cache = 513; };"),
		    NAME ":10: memory.mbuf_cache = 513: must be an integer in 0..512");
	ASSERT_OK(doc("", "rx_desc = 64; tx_desc = 64;",
		      "memory = { mbufs = 1023; mbuf_cache = 256; };"));
}

static void
test_lcore_caches_count_towards_the_mbufs_needed(void)
{
	/* 1 x (64 + 64) + 2 x 300 + 1 x 32 x 8 = 984 */
	ASSERT_OK(doc("", "rx_desc = 64; tx_desc = 64;",
		      "memory = { mbufs = 1023; mbuf_cache = 300; };"));
	CU_ASSERT_EQUAL(cfg.mbuf_cache, 300);
	/* 1 x (64 + 64) + 2 x 512 + 256 = 1408 */
	ASSERT_OK(doc("", "rx_desc = 64; tx_desc = 64;",
		      "memory = { mbufs = 1408; mbuf_cache = 512; };"));
	ASSERT_ONLY(doc("", "rx_desc = 64; tx_desc = 64;",
			"memory = { mbufs = 1407; mbuf_cache = 512; };"),
		    NAME ":10: memory.mbufs = 1407: too few for the rings: at least 1408 needed");
}

static void
test_static_neighbours_must_fit_the_table(void)
{
	ASSERT_ONLY(doc("", "neighbours = ( "
			"{ ip = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; }, "
			"{ ip = \"198.18.0.3\"; mac = \"02:00:00:00:00:03\"; }, "
			"{ ip = \"198.18.0.4\"; mac = \"02:00:00:00:00:04\"; }, "
			"{ ip = \"198.18.0.5\"; mac = \"02:00:00:00:00:05\"; }, "
			"{ ip = \"198.18.0.6\"; mac = \"02:00:00:00:00:06\"; }, "
			"{ ip = \"198.18.0.7\"; mac = \"02:00:00:00:00:07\"; }, "
			"{ ip = \"198.18.0.8\"; mac = \"02:00:00:00:00:08\"; }, "
			"{ ip = \"198.18.0.9\"; mac = \"02:00:00:00:00:09\"; }, "
			"{ ip = \"198.18.0.10\"; mac = \"02:00:00:00:00:0a\"; } );",
			"tables = { neighbours = 8; };"),
		    NAME ":10: tables.neighbours = 8: smaller than the 9 static neighbours");
}

/* ---- reporting ---- */

static void
test_several_errors_are_all_reported_in_line_order(void)
{
	int rc = parse("eal = {\n"
		       "  lcores = \"0-1\";\n"
		       "  memory_mb = 1;\n"
		       "  hugepages = \"maybe\";\n"
		       "  vdevs = ( \"net_af_packet0\" );\n"
		       "};\n"
		       "ports = (\n"
		       "  { name = \"lan0\"; device = \"net_af_packet0\"; ipv4 = \"198.18.0.1/24\";\n"
		       "    rx_desc = 1000; },\n"
		       "  { name = \"lan0\"; device = \"net_af_packet9\"; ipv6 = \"2001:db8::1/64\"; }\n"
		       ");\n"
		       "media = { udp_ports = [ 40000, 40000 ]; };\n"
		       "workers = { burst = 0; typo = 1; };\n");

	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(err,
		NAME ":3: eal.memory_mb = 1: must be an integer in 64..1048576 (MiB)\n"
		NAME ":4: eal.hugepages = \"maybe\": must be one of auto, on, off\n"
		NAME ":9: ports[0].rx_desc = 1000: must be a power of two in 64..16384 "
		"(descriptors)\n"
		NAME ":10: ports[1].name = \"lan0\": already used by ports[0]; port names must be "
		"unique\n"
		NAME ":10: ports[1].device = \"net_af_packet9\": no vdev of that name in eal.vdevs "
		"(the name is the text before the first comma)\n"
		NAME ":12: media.udp_ports[1] = 40000: listed twice; media ports must be distinct\n"
		NAME ":13: workers.burst = 0: must be an integer in 1..256 (packets)\n"
		NAME ":13: workers.typo: unknown setting; workers allows burst, idle_backoff_us, "
		"tx_drain_us, ring_size");
}

static void
test_small_error_buffer_keeps_whole_lines_and_stays_terminated(void)
{
	static const char text[] = "workers = { burst = 0; ring_size = 3; };\n";
	char small[40];

	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(dp_config_parse(&cfg, text, NAME, small, sizeof(small)), -1);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(strncmp(small, NAME ":1: workers.burst = 0: must be", 30), 0);
	CU_ASSERT_PTR_NULL(strchr(small, '\n'));

	CU_ASSERT_EQUAL(dp_config_parse(&cfg, text, NAME, NULL, 0), -1);
	CU_ASSERT_EQUAL(dp_config_parse(&cfg, text, NAME, small, 1), -1);
	CU_ASSERT_EQUAL(small[0], '\0');
}

static void
test_many_errors_are_counted_past_the_kept_ones(void)
{
	static char text[8192];
	size_t o = 0;

	o += (size_t)snprintf(text + o, sizeof(text) - o, "workers = {\n");
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "  bad%d = 1;\n", i);
	snprintf(text + o, sizeof(text) - o, "};\n");
	CU_ASSERT_EQUAL(parse(text), -1);
	/* 100 unknown settings + missing ports + missing media; 64 kept */
	ASSERT_LINE(NAME ":2: workers.bad0: unknown setting");
	ASSERT_LINE(NAME ": 38 more errors not shown");
	CU_ASSERT_EQUAL(n_lines(err), 65);
}

static const struct ut_test tests_valid[] = {
	{ "defaults are the documented values", test_defaults_are_documented_values },
	{ "minimal file gets defaults and port values",
	  test_minimal_file_gets_defaults_and_port_values },
	{ "every setting is read into its field", test_every_setting_is_read_into_its_field },
	{ "example file loads with the demo values", test_example_file_loads_with_demo_values },
	{ "load reports a missing file", test_load_reports_a_missing_file },
	{ "load refuses a NUL byte and a directory", test_load_refuses_a_nul_byte_and_a_directory },
	{ "load reports errors with the path", test_load_reports_errors_with_the_path },
	{ NULL, NULL },
};

static const struct ut_test tests_syntax[] = {
	{ "syntax error names the line", test_syntax_error_names_the_line },
	{ "misplaced string is a syntax error on its line",
	  test_misplaced_string_is_a_syntax_error_on_its_line },
	{ "nesting is limited", test_nesting_is_limited },
	{ "duplicate setting is a syntax error", test_duplicate_setting_is_a_syntax_error },
	{ "unknown settings name the allowed ones", test_unknown_settings_name_the_allowed_ones },
	{ "wrong types are errors", test_wrong_types_are_errors },
	{ "range boundaries of table rows", test_range_boundaries_of_table_rows },
	{ "powers of two are enforced at the bounds",
	  test_powers_of_two_are_enforced_at_the_bounds },
	{ "mbufs boundaries with small rings", test_mbufs_boundaries_with_small_rings },
	{ "out-of-32-bit integers are refused, not wrapped",
	  test_out_of_32_bits_integers_are_refused_not_wrapped },
	{ "@include is refused before any file is opened",
	  test_include_is_refused_before_any_file_is_opened },
	{ "string settings are checked", test_string_settings_are_checked },
	{ NULL, NULL },
};

static const struct ut_test tests_lcores[] = {
	{ "valid syntax", test_lcores_valid_syntax },
	{ "bad syntax", test_lcores_bad_syntax },
	{ "cross checks", test_lcores_cross_checks },
	{ NULL, NULL },
};

static const struct ut_test tests_addresses[] = {
	{ "ipv4 prefixes", test_ipv4_prefixes },
	{ "ipv6 prefixes", test_ipv6_prefixes },
	{ "gateways must be inside the prefix", test_gateways_must_be_inside_the_prefix },
	{ "neighbours", test_neighbours },
	{ "neighbour outside the prefix names its own line",
	  test_neighbour_outside_prefix_names_its_own_line },
	{ "mac override", test_mac_override },
	{ NULL, NULL },
};

static const struct ut_test tests_cross[] = {
	{ "ports are required and not empty", test_ports_are_required_and_not_empty },
	{ "port names and devices are unique", test_port_names_and_devices_are_unique },
	{ "devices must be declared in eal", test_devices_must_be_declared_in_eal },
	{ "vdev syntax", test_vdev_syntax },
	{ "media ports", test_media_ports },
	{ "64 media ports fit and 65 do not", test_sixty_four_media_ports_fit_and_sixty_five_do_not },
	{ "allow_uids", test_allow_uids },
	{ "mbufs must cover the rings", test_mbufs_must_cover_the_rings },
	{ "mbuf_cache is capped", test_mbuf_cache_at_most_two_thirds_of_mbufs },
	{ "lcore caches count towards the mbufs needed",
	  test_lcore_caches_count_towards_the_mbufs_needed },
	{ "static neighbours must fit the table", test_static_neighbours_must_fit_the_table },
	{ NULL, NULL },
};

static const struct ut_test tests_report[] = {
	{ "several errors are all reported in line order",
	  test_several_errors_are_all_reported_in_line_order },
	{ "small error buffer keeps whole lines and stays terminated",
	  test_small_error_buffer_keeps_whole_lines_and_stays_terminated },
	{ "many errors are counted past the kept ones",
	  test_many_errors_are_counted_past_the_kept_ones },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "dp_config valid", NULL, NULL, tests_valid },
	{ "dp_config syntax and types", NULL, NULL, tests_syntax },
	{ "dp_config lcores", NULL, NULL, tests_lcores },
	{ "dp_config addresses", NULL, NULL, tests_addresses },
	{ "dp_config cross checks", NULL, NULL, tests_cross },
	{ "dp_config reporting", NULL, NULL, tests_report },
	{ NULL, NULL, NULL, NULL },
};

/* The example file: argv[1], $SLUICE_SOURCE_ROOT, or up from the working directory. */
static const char *
find_example(int argc, char **argv)
{
	static const char *const rel[] = {
		"conf/sluice-dp.conf", "../conf/sluice-dp.conf", "../../conf/sluice-dp.conf", NULL
	};
	static char buf[4096];
	const char *root = getenv("SLUICE_SOURCE_ROOT");

	if (argc > 1)
		return argv[1];
	if (root != NULL) {
		snprintf(buf, sizeof(buf), "%s/conf/sluice-dp.conf", root);
		return buf;
	}
	for (int i = 0; rel[i] != NULL; i++)
		if (access(rel[i], R_OK) == 0)
			return rel[i];
	fprintf(stderr, "test_dp_config: conf/sluice-dp.conf not found; pass its path\n");
	return NULL;
}

int
main(int argc, char **argv)
{
	example_path = find_example(argc, argv);
	return ut_run(suites);
}
