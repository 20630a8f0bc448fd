/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dp's configuration: one libconfig file, read into struct dp_config and validated
 * as a whole. Scalar settings are rows of one table (section, name, kind, offset, bounds,
 * default, validator); lists have small parsers of their own; cross checks run last.
 *
 * Every problem is reported as "FILE:LINE: what is wrong: what is allowed", and parsing
 * goes on after an error so that one run lists them all.
 *
 * libconfig ownership: the tree and every string in it die with config_destroy(), so
 * values are copied into struct dp_config as they are read, and config_destroy() runs on
 * every path once config_init() has.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_cfgfile.h"
#include "dp_config.h"

#define CFG_SOCK_MAX 107              /* sun_path holds 108 bytes with the NUL */
#define CFG_MAX_CPUS 1024             /* CPU_SETSIZE: what EAL accepts after '@' */
#define CFG_MAX_MSGS 64               /* errors kept for the report; more are counted */
#define CFG_MAX_DEPTH 32              /* the file needs 4: ports ( { neighbours ( { */
#define CFG_PATH_LEN 64               /* "ports[7].neighbours[63].mac" and the like */

#define FSIZE(type, field) sizeof(((type *)NULL)->field)

_Static_assert(sizeof(enum dp_cfg_huge) == sizeof(int), "hugepages is stored as an int");

enum cfg_sec {
	SEC_EAL,
	SEC_MEDIA,
	SEC_WORKERS,
	SEC_MEMORY,
	SEC_TABLES,
	SEC_CONTROL,
	SEC_STATE,
	SEC_PORT,                     /* one element of the ports list */
	SEC_COUNT,
};

static const char *const cfg_sec_names[SEC_COUNT] = {
	[SEC_EAL] = "eal",
	[SEC_MEDIA] = "media",
	[SEC_WORKERS] = "workers",
	[SEC_MEMORY] = "memory",
	[SEC_TABLES] = "tables",
	[SEC_CONTROL] = "control",
	[SEC_STATE] = "state",
	[SEC_PORT] = "a port",
};

enum cfg_kind {
	CFG_UINT,                     /* integer in min..max, stored in a uint16_t or uint32_t */
	CFG_STR,                      /* string of min..max bytes, copied into char[size] */
	CFG_ENUM,                     /* one of `words`, stored as its index in an enum */
	CFG_MAC,                      /* "02:00:5c:00:00:01" into uint8_t[6], sets a bool */
	CFG_PREFIX4,                  /* "198.18.0.1/24" into struct dp_cfg_prefix */
	CFG_PREFIX6,                  /* "2001:db8::1/64" into struct dp_cfg_prefix */
	CFG_IP4,                      /* "198.18.0.254" IPv4-mapped into uint8_t[16], sets a bool */
	CFG_IP6,                      /* "2001:db8::fe" into uint8_t[16], sets a bool */
};

struct cfg_row {
	enum cfg_sec sec;
	const char *name;
	enum cfg_kind kind;
	size_t offset;                /* of the field in struct dp_config or struct dp_cfg_port */
	size_t size;                  /* of the field */
	size_t set_offset;            /* CFG_MAC, CFG_IP4, CFG_IP6: the bool saying it was given */
	uint32_t min, max;            /* CFG_UINT: value; CFG_STR: length in bytes */
	uint32_t def;                 /* CFG_UINT, CFG_ENUM */
	const char *def_str;          /* CFG_STR */
	const char *const *words;     /* CFG_ENUM, and CFG_STR limited to a set of words */
	const char *unit;             /* CFG_UINT: said in messages */
	bool required;
	/* CFG_UINT: extra condition, described by `what` ("a power of two") */
	bool (*int_ok)(uint64_t v);
	const char *what;
	/* CFG_STR: syntax; fills `why` with what is wrong and what is allowed */
	bool (*str_ok)(const char *s, char *why, size_t whylen);
};

/* Row ids: cross checks name the rows they read. */
enum cfg_row_id {
	R_LCORES,
	R_MAIN_LCORE,
	R_MEMORY_MB,
	R_HUGEPAGES,
	R_FILE_PREFIX,
	R_LOG_LEVEL,
	R_BURST,
	R_IDLE_BACKOFF,
	R_TX_DRAIN,
	R_RING_SIZE,
	R_MBUFS,
	R_MBUF_CACHE,
	R_LEGS,
	R_CONFERENCES,
	R_SSRCS,
	R_FLOWS,
	R_NEIGHBOURS,
	R_SOCKET,
	R_GROUP,
	R_ICMP_RATE,
	R_STATE_FILE,
	R_ORPHAN_TTL,
	/* struct dp_cfg_port */
	R_P_NAME,
	R_P_DEVICE,
	R_P_MAC,
	R_P_IPV4,
	R_P_GW4,
	R_P_IPV6,
	R_P_GW6,
	R_P_RX_QUEUES,
	R_P_RX_DESC,
	R_P_TX_DESC,
	R_P_MTU,
	R_COUNT,
};

#define R_FIRST_PORT R_P_NAME

static bool check_lcores(const char *s, char *why, size_t whylen);
static bool check_name(const char *s, char *why, size_t whylen);
static bool check_device(const char *s, char *why, size_t whylen);
static bool check_socket(const char *s, char *why, size_t whylen);
static bool check_state_file(const char *s, char *why, size_t whylen);

static bool
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static const char *const huge_words[] = { "auto", "on", "off", NULL };
static const char *const log_words[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL
};

/* Where a row's value goes: field f of struct dp_config, or of struct dp_cfg_port. */
#define CFG_FIELD(f) .offset = offsetof(struct dp_config, f), .size = FSIZE(struct dp_config, f)
#define PORT_FIELD(f) \
	.offset = offsetof(struct dp_cfg_port, f), .size = FSIZE(struct dp_cfg_port, f)
#define ROW_U(s, n, f, lo, hi, d, u) \
	.sec = (s), .name = (n), .kind = CFG_UINT, CFG_FIELD(f), \
	.min = (lo), .max = (hi), .def = (d), .unit = (u)
#define PORT_U(n, f, lo, hi, d, u) \
	.sec = SEC_PORT, .name = (n), .kind = CFG_UINT, PORT_FIELD(f), \
	.min = (lo), .max = (hi), .def = (d), .unit = (u)

static const struct cfg_row cfg_rows[R_COUNT] = {
	[R_LCORES] = {
		.sec = SEC_EAL, .name = "lcores", .kind = CFG_STR, CFG_FIELD(lcores),
		.min = 1, .max = DP_CFG_STR_LEN - 1, .def_str = "0-1", .str_ok = check_lcores,
	},
	[R_MAIN_LCORE] = { ROW_U(SEC_EAL, "main_lcore", main_lcore, 0, DP_CFG_MAX_LCORES - 1, 0,
				 NULL) },
	[R_MEMORY_MB] = { ROW_U(SEC_EAL, "memory_mb", memory_mb, 64, 1048576, 512, "MiB") },
	[R_HUGEPAGES] = {
		.sec = SEC_EAL, .name = "hugepages", .kind = CFG_ENUM, CFG_FIELD(hugepages),
		.def = DP_HUGE_AUTO, .words = huge_words,
	},
	[R_FILE_PREFIX] = {
		.sec = SEC_EAL, .name = "file_prefix", .kind = CFG_STR, CFG_FIELD(file_prefix),
		.min = 1, .max = DP_CFG_NAME_LEN - 1, .def_str = "sluice", .str_ok = check_name,
	},
	[R_LOG_LEVEL] = {
		.sec = SEC_EAL, .name = "log_level", .kind = CFG_STR, CFG_FIELD(log_level),
		.min = 1, .max = DP_CFG_NAME_LEN - 1, .def_str = "info", .words = log_words,
	},
	[R_BURST] = { ROW_U(SEC_WORKERS, "burst", burst, 1, 256, 32, "packets") },
	[R_IDLE_BACKOFF] = { ROW_U(SEC_WORKERS, "idle_backoff_us", idle_backoff_us, 0, 100000, 0,
				   "microseconds") },
	[R_TX_DRAIN] = { ROW_U(SEC_WORKERS, "tx_drain_us", tx_drain_us, 1, 10000, 100,
			       "microseconds") },
	[R_RING_SIZE] = { ROW_U(SEC_WORKERS, "ring_size", ring_size, 64, 1048576, 4096, "entries"),
			  .int_ok = is_pow2, .what = "a power of two" },
	[R_MBUFS] = { ROW_U(SEC_MEMORY, "mbufs", mbufs, 1023, 16777215, 16383, "buffers") },
	[R_MBUF_CACHE] = { ROW_U(SEC_MEMORY, "mbuf_cache", mbuf_cache, 0, 512, 256,
				 "buffers per lcore") },
	[R_LEGS] = { ROW_U(SEC_TABLES, "legs", max_legs, 8, 4194304, 16384, "entries") },
	[R_CONFERENCES] = { ROW_U(SEC_TABLES, "conferences", max_conferences, 8, 4194304, 4096,
				  "entries") },
	[R_SSRCS] = { ROW_U(SEC_TABLES, "ssrcs", max_ssrcs, 8, 4194304, 65536, "entries") },
	[R_FLOWS] = { ROW_U(SEC_TABLES, "flows", max_flows, 8, 4194304, 32768, "entries") },
	[R_NEIGHBOURS] = { ROW_U(SEC_TABLES, "neighbours", max_neigh, 8, 4194304, 1024,
				 "entries") },
	[R_SOCKET] = {
		.sec = SEC_CONTROL, .name = "socket", .kind = CFG_STR, CFG_FIELD(socket_path),
		.min = 2, .max = CFG_SOCK_MAX, .def_str = "/run/sluice/dp.sock",
		.str_ok = check_socket,
	},
	[R_GROUP] = {
		.sec = SEC_CONTROL, .name = "group", .kind = CFG_STR, CFG_FIELD(socket_group),
		.min = 1, .max = DP_CFG_NAME_LEN - 1, .def_str = "", .str_ok = check_name,
	},
	[R_ICMP_RATE] = { ROW_U(SEC_CONTROL, "icmp_rate", icmp_rate, 0, 100000, 100,
				"replies per second per port") },
	[R_STATE_FILE] = {
		.sec = SEC_STATE, .name = "file", .kind = CFG_STR, CFG_FIELD(state_file),
		.min = 0, .max = CFG_SOCK_MAX, .def_str = DP_CFG_STATE_FILE,
		.str_ok = check_state_file,
	},
	[R_ORPHAN_TTL] = { ROW_U(SEC_STATE, "orphan_ttl", orphan_ttl, 10, 604800, 3600,
				 "seconds") },

	[R_P_NAME] = {
		.sec = SEC_PORT, .name = "name", .kind = CFG_STR, PORT_FIELD(name),
		.min = 1, .max = DP_CFG_NAME_LEN - 1, .str_ok = check_name, .required = true,
	},
	[R_P_DEVICE] = {
		.sec = SEC_PORT, .name = "device", .kind = CFG_STR, PORT_FIELD(device),
		.min = 1, .max = 63, .str_ok = check_device, .required = true,
	},
	[R_P_MAC] = {
		.sec = SEC_PORT, .name = "mac", .kind = CFG_MAC, PORT_FIELD(mac),
		.set_offset = offsetof(struct dp_cfg_port, mac_set),
	},
	[R_P_IPV4] = { .sec = SEC_PORT, .name = "ipv4", .kind = CFG_PREFIX4, PORT_FIELD(ipv4) },
	[R_P_GW4] = {
		.sec = SEC_PORT, .name = "ipv4_gateway", .kind = CFG_IP4, PORT_FIELD(gw4),
		.set_offset = offsetof(struct dp_cfg_port, gw4_set),
	},
	[R_P_IPV6] = { .sec = SEC_PORT, .name = "ipv6", .kind = CFG_PREFIX6, PORT_FIELD(ipv6) },
	[R_P_GW6] = {
		.sec = SEC_PORT, .name = "ipv6_gateway", .kind = CFG_IP6, PORT_FIELD(gw6),
		.set_offset = offsetof(struct dp_cfg_port, gw6_set),
	},
	[R_P_RX_QUEUES] = { PORT_U("rx_queues", rx_queues, 1, 64, 1, "queues") },
	[R_P_RX_DESC] = { PORT_U("rx_desc", rx_desc, 64, 16384, 1024, "descriptors"),
			  .int_ok = is_pow2, .what = "a power of two" },
	[R_P_TX_DESC] = { PORT_U("tx_desc", tx_desc, 64, 16384, 1024, "descriptors"),
			  .int_ok = is_pow2, .what = "a power of two" },
	[R_P_MTU] = { PORT_U("mtu", mtu, 576, 9000, 1500, "bytes") },
};

/* Where each setting was found, per port; 0: not given (or libconfig did not say). */
struct cfg_port_lines {
	int index;                    /* in the file's ports list */
	int group;
	int row[R_COUNT];
	bool bad[R_COUNT];
	int neigh[DP_CFG_MAX_NEIGH];
	int neigh_index[DP_CFG_MAX_NEIGH];    /* in the file's neighbours list */
};

struct cfg_ctx {
	struct dp_config *cfg;
	struct dp_cfgfile_errs errs;

	int sec_line[SEC_COUNT];      /* where each section starts; 0: absent */
	int line[R_COUNT];            /* top-level rows: where each was set; 0: default */
	bool bad[R_COUNT];            /* failed validation: cross checks skip it */
	bool ports_seen, media_seen;
	bool pci_bad, vdevs_bad;      /* some entry was refused: membership is not checked */
	struct cfg_port_lines port[DP_CFG_MAX_PORTS];
};

/* What a list parser works on: the section's struct and where its lines go. */
struct cfg_scope {
	enum cfg_sec sec;
	void *base;                   /* struct dp_config, or struct dp_cfg_port for SEC_PORT */
	char prefix[CFG_PATH_LEN];    /* "eal", "ports[0]" */
	int *line;
	bool *bad;
	unsigned int port;            /* SEC_PORT: index in cfg->ports */
};

struct cfg_list {
	enum cfg_sec sec;
	const char *name;
	void (*parse)(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s);
};

static void parse_pci(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s);
static void parse_vdevs(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s);
static void parse_udp_ports(struct cfg_ctx *ctx, const struct cfg_scope *sc,
			    struct dp_cfgfile_node *s);
static void parse_uids(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s);
static void parse_neighbours(struct cfg_ctx *ctx, const struct cfg_scope *sc,
			     struct dp_cfgfile_node *s);

static const struct cfg_list cfg_lists[] = {
	{ SEC_EAL, "pci", parse_pci },
	{ SEC_EAL, "vdevs", parse_vdevs },
	{ SEC_MEDIA, "udp_ports", parse_udp_ports },
	{ SEC_CONTROL, "allow_uids", parse_uids },
	{ SEC_PORT, "neighbours", parse_neighbours },
};

#define N_LISTS (sizeof(cfg_lists) / sizeof(cfg_lists[0]))

/* ---- messages ---- */

/* "a, b, c": the words of a set (NULL-terminated), for messages. */
static const char *
cfg_words(const char *const *words, char *buf, size_t len)
{
	return dp_cfgfile_words(words, SIZE_MAX, buf, len);
}

/* The names a section accepts, for "unknown setting" messages. */
static const char *
cfg_allowed(enum cfg_sec sec, char *buf, size_t len)
{
	const char *names[R_COUNT + N_LISTS + 1];
	size_t n = 0;

	for (size_t i = 0; i < R_COUNT; i++)
		if (cfg_rows[i].sec == sec)
			names[n++] = cfg_rows[i].name;
	for (size_t i = 0; i < N_LISTS; i++)
		if (cfg_lists[i].sec == sec)
			names[n++] = cfg_lists[i].name;
	names[n] = NULL;
	return cfg_words(names, buf, len);
}

/* ---- syntax of values ---- */

static bool
check_name(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DP_CFG_NAME_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
		snprintf(why, whylen, "must be 1..%d of A-Z a-z 0-9 _ -", DP_CFG_NAME_LEN - 1);
		return false;
	}
	return true;
}

#define NUM_CAP 100000000u            /* parse_num saturates here */

/* Parses decimal digits at *p (saturating at NUM_CAP); -1 when there are none. */
static int
parse_num(const char **p, unsigned int *v)
{
	const char *s = *p;
	unsigned int x = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		x = x * 10 + (unsigned int)(*s - '0');
		if (x > NUM_CAP)
			x = NUM_CAP;
	}
	*p = s;
	*v = x;
	return 0;
}

/*
 * One element of a set: "N" or "N-M". Lcore ids go into `seen` (duplicates refused); CPU
 * ids are only range-checked. Returns 0; -1 on a syntax error (the caller says where);
 * -2 on a bad value, with `why` filled.
 */
static int
parse_set_elem(const char **p, bool cpus, bool seen[DP_CFG_MAX_LCORES],
	       char *why, size_t whylen)
{
	unsigned int limit = cpus ? CFG_MAX_CPUS : DP_CFG_MAX_LCORES;
	const char *what = cpus ? "cpu" : "lcore";
	unsigned int lo, hi;

	if (parse_num(p, &lo) < 0)
		return -1;
	hi = lo;
	if (**p == '-') {
		(*p)++;
		if (parse_num(p, &hi) < 0)
			return -1;
		if (hi < lo) {
			snprintf(why, whylen, "range %u-%u is reversed", lo, hi);
			return -2;
		}
	}
	if (hi >= limit) {
		snprintf(why, whylen, "%s %u is out of range: %s ids are 0..%u", what, hi, what,
			 limit - 1);
		return -2;
	}
	if (cpus)
		return 0;
	for (unsigned int i = lo; i <= hi; i++) {
		if (seen[i]) {
			snprintf(why, whylen, "lcore %u is listed twice", i);
			return -2;
		}
		seen[i] = true;
	}
	return 0;
}

/* "N", "N-M" or a group "(N,M-K)", of lcores or of cpus after '@'; returns as above. */
static int
parse_set(const char **p, bool cpus, bool seen[DP_CFG_MAX_LCORES], char *why, size_t whylen)
{
	int rc;

	if (**p != '(')
		return parse_set_elem(p, cpus, seen, why, whylen);
	(*p)++;
	for (;;) {
		rc = parse_set_elem(p, cpus, seen, why, whylen);
		if (rc < 0)
			return rc;
		if (**p == ')') {
			(*p)++;
			return 0;
		}
		if (**p != ',')
			return -1;
		(*p)++;
	}
}

/*
 * EAL --lcores, the subset we accept: items separated by commas, each one of "N", "N-M",
 * "(set)" or "N" followed by "@N", "@N-M" or "@(set)", "(set)@...", where a set is
 * "N" and "N-M" separated by commas. Lcore ids are below DP_CFG_MAX_LCORES, listed once.
 * Fills ids in ascending order. Returns 0, or -1 with `why` filled.
 */
static int
lcores_parse(const char *s, uint16_t ids[DP_CFG_MAX_LCORES], unsigned int *n,
	     char *why, size_t whylen)
{
	static const char syntax[] = "expected items N, N-M, (N,M-K), N@C or (N-M)@(C-D) "
				     "separated by commas";
	bool seen[DP_CFG_MAX_LCORES] = { false };
	const char *p = s;
	int rc;

	*n = 0;
	if (*p == '\0') {
		snprintf(why, whylen, "is empty; %s", syntax);
		return -1;
	}
	for (;;) {
		const char *item = p;

		rc = parse_set(&p, false, seen, why, whylen);
		if (rc == 0 && *p == '@') {
			/* EAL refuses "N-M@C": the range form maps each lcore to its own cpu */
			if (*item != '(' && strchr(item, '-') != NULL &&
			    strchr(item, '-') < p) {
				snprintf(why, whylen, "\"N-M@C\" is not accepted; write (N-M)@C");
				return -1;
			}
			p++;
			rc = parse_set(&p, true, seen, why, whylen);
		}
		if (rc == -2)
			return -1;
		if (rc < 0 || (*p != ',' && *p != '\0')) {
			if (*p == '\0')
				snprintf(why, whylen, "ends early; %s", syntax);
			else
				snprintf(why, whylen, "unexpected '%c' at offset %zu; %s",
					 (*p >= 0x20 && *p < 0x7f) ? *p : '?', (size_t)(p - s),
					 syntax);
			return -1;
		}
		if (*p == '\0')
			break;
		p++;
	}
	for (unsigned int i = 0; i < DP_CFG_MAX_LCORES; i++)
		if (seen[i])
			ids[(*n)++] = (uint16_t)i;
	return 0;
}

static bool
check_lcores(const char *s, char *why, size_t whylen)
{
	uint16_t ids[DP_CFG_MAX_LCORES];
	unsigned int n;

	return lcores_parse(s, ids, &n, why, whylen) == 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A PCI address "DDDD:BB:DD.F" at the start of s, written lowercase into canon (as ethdev
 * names it); *rest points after it. Returns 0, or -1 when s does not start with one.
 */
static int
pci_parse(const char *s, char canon[13], const char **rest)
{
	static const char shape[] = "hhhh:hh:hh.h";
	unsigned int dev, fn;

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'h' ? hexval(s[i]) < 0 : s[i] != shape[i])
			return -1;
	}
	dev = (unsigned int)(hexval(s[8]) * 16 + hexval(s[9]));
	fn = (unsigned int)hexval(s[11]);
	if (dev > 0x1f || fn > 7)
		return -1;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		canon[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
	canon[12] = '\0';
	*rest = s + 12;
	return 0;
}

static bool
is_vdev_name(const char *s, size_t n)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(ok, s[i]) == NULL)
			return false;
	return true;
}

static bool
check_device(const char *s, char *why, size_t whylen)
{
	char canon[13];
	const char *rest;

	if (pci_parse(s, canon, &rest) == 0 && *rest == '\0')
		return true;
	if (is_vdev_name(s, strlen(s)))
		return true;
	snprintf(why, whylen, "must be a PCI address DDDD:BB:DD.F listed in eal.pci, or the "
		 "name of a vdev in eal.vdevs (A-Z a-z 0-9 _, up to 63)");
	return false;
}

/* Printable ASCII, space allowed or not. */
static bool
is_printable(const char *s, bool space)
{
	for (; *s != '\0'; s++)
		if (*s < (space ? 0x20 : 0x21) || *s > 0x7e)
			return false;
	return true;
}

static bool
check_socket(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (s[0] != '/' || n < 2 || n > CFG_SOCK_MAX || s[n - 1] == '/' ||
	    !is_printable(s, true)) {
		snprintf(why, whylen, "must be an absolute file path of at most %d bytes "
			 "(printable ASCII, not ending in /)", CFG_SOCK_MAX);
		return false;
	}
	return true;
}

static bool
check_state_file(const char *s, char *why, size_t whylen)
{
	return s[0] == '\0' || check_socket(s, why, whylen);
}

static int
mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *b = s + i * 3;
		int hi = hexval(b[0]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(b[1]);
		if (lo < 0)
			return -1;
		if (b[2] != (i == 5 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)(hi * 16 + lo);
	}
	return 0;
}

static void
ip_map4(uint8_t ip[16], const uint8_t v4[4])
{
	memset(ip, 0, 10);
	ip[10] = 0xff;
	ip[11] = 0xff;
	memcpy(ip + 12, v4, 4);
}

static bool
ip_is4(const uint8_t ip[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(ip, mapped, sizeof(mapped)) == 0;
}

/* An address "a.b.c.d" or an IPv6 one into 16 bytes (IPv4-mapped). -1: not an address. */
static int
ip_parse(const char *s, bool v6, uint8_t ip[16])
{
	uint8_t v4[4];

	if (strlen(s) >= INET6_ADDRSTRLEN)
		return -1;
	if (!v6) {
		if (inet_pton(AF_INET, s, v4) != 1)
			return -1;
		ip_map4(ip, v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip) != 1 || ip_is4(ip))
		return -1;
	return 0;
}

static int
prefix_parse(const char *s, bool v6, struct dp_cfg_prefix *pfx)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	const char *p;
	unsigned int len;
	size_t n;

	if (slash == NULL)
		return -1;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	p = slash + 1;
	if (parse_num(&p, &len) < 0 || *p != '\0' || p - slash > 4 ||
	    (slash[1] == '0' && slash[2] != '\0'))
		return -1;
	if (len < 1 || len > (v6 ? 128u : 32u))
		return -1;
	if (ip_parse(addr, v6, pfx->ip) < 0)
		return -1;
	pfx->prefix_len = (uint8_t)len;
	pfx->set = true;
	return 0;
}

/* Whether ip lies in the prefix (both IPv4-mapped, or both IPv6). */
static bool
prefix_has(const struct dp_cfg_prefix *pfx, const uint8_t ip[16])
{
	unsigned int bits = pfx->prefix_len + (ip_is4(pfx->ip) ? 96u : 0u);
	unsigned int full = bits / 8, rest = bits % 8;

	if (ip_is4(pfx->ip) != ip_is4(ip))
		return false;
	if (memcmp(pfx->ip, ip, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((pfx->ip[full] ^ ip[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* The all-zeros or all-ones host part of an IPv4 prefix up to /30. */
static bool
v4_is_net_or_bcast(const struct dp_cfg_prefix *pfx, const uint8_t ip[16])
{
	uint32_t a, mask;

	if (pfx->prefix_len > 30)
		return false;
	a = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
	mask = ~(uint32_t)0 >> pfx->prefix_len;
	return (a & mask) == 0 || (a & mask) == mask;
}

/* Unusable as a unicast host: 0/8, 127/8, 224/3 (multicast, reserved, broadcast). */
static bool
v4_is_special(const uint8_t ip[16])
{
	return ip[12] == 0 || ip[12] == 127 || ip[12] >= 224;
}

/* Unusable as a unicast host: ::, ::1, ff00::/8. */
static bool
v6_is_special(const uint8_t ip[16])
{
	static const uint8_t zero[15];

	return ip[0] == 0xff || (memcmp(ip, zero, 15) == 0 && ip[15] <= 1);
}

static bool
v6_is_link_local(const uint8_t ip[16])
{
	return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

static const char *
ip_str(const uint8_t ip[16], char *buf, size_t len)
{
	if (ip_is4(ip))
		inet_ntop(AF_INET, ip + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, ip, buf, (socklen_t)len);
	return buf;
}

/* "198.18.0.0/24": the network of a prefix, for messages. */
static const char *
prefix_str(const struct dp_cfg_prefix *pfx, char *buf, size_t len)
{
	unsigned int bits = pfx->prefix_len + (ip_is4(pfx->ip) ? 96u : 0u);
	char addr[INET6_ADDRSTRLEN];
	uint8_t net[16];

	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? bits - i * 8 : 0;

		net[i] = pfx->ip[i] & (uint8_t)(0xff00u >> keep);
	}
	snprintf(buf, len, "%s/%u", ip_str(net, addr, sizeof(addr)), pfx->prefix_len);
	return buf;
}

/* ---- scalar settings ---- */
/* ---- scalar settings ---- */

/* An integer setting or list element checked against row's bounds; -1 when it is bad. */
static int
cfg_get_uint(struct cfg_ctx *ctx, const struct cfg_row *row, const struct dp_cfgfile_node *s,
	     const char *path, uint32_t *out)
{
	const struct dp_cfgfile_uint u = {
		.min = row->min, .max = row->max, .what = row->what, .unit = row->unit,
		.ok = row->int_ok,
	};

	return dp_cfgfile_get_uint(&ctx->errs, s, path, &u, out);
}

static const char *
cfg_row_expect(const struct cfg_row *row, char *buf, size_t len)
{
	char words[128];

	switch (row->kind) {
	case CFG_ENUM:
		snprintf(buf, len, "one of %s", cfg_words(row->words, words, sizeof(words)));
		break;
	case CFG_MAC:
		snprintf(buf, len, "a unicast MAC address such as \"02:00:5c:00:00:01\"");
		break;
	case CFG_PREFIX4:
		snprintf(buf, len, "an IPv4 address with prefix length 1..32, such as "
			 "\"198.18.0.1/24\"");
		break;
	case CFG_PREFIX6:
		snprintf(buf, len, "an IPv6 address with prefix length 1..128, such as "
			 "\"2001:db8:5c::1/64\"");
		break;
	case CFG_IP4:
		snprintf(buf, len, "an IPv4 address such as \"198.18.0.254\"");
		break;
	case CFG_IP6:
		snprintf(buf, len, "an IPv6 address such as \"2001:db8:5c::fe\"");
		break;
	default:
		if (row->words != NULL)
			snprintf(buf, len, "one of %s", cfg_words(row->words, words,
								 sizeof(words)));
		else
			snprintf(buf, len, "%u..%u bytes", row->min, row->max);
		break;
	}
	return buf;
}

static int
word_index(const char *const *words, const char *s)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], s) == 0)
			return i;
	return -1;
}

/* Reads one scalar setting described by row into base. Returns 0, or -1 (reported). */
static int
cfg_read_row(struct cfg_ctx *ctx, const struct cfg_row *row, struct dp_cfgfile_node *s, void *base,
	     const char *path)
{
	char *field = (char *)base + row->offset;
	char expect[160], why[256], q[80];
	const char *str;
	uint32_t v;
	size_t n;
	int i;

	if (row->kind == CFG_UINT) {
		if (cfg_get_uint(ctx, row, s, path, &v) < 0)
			return -1;
		dp_cfgfile_store_uint(field, row->size, v);
		return 0;
	}
	cfg_row_expect(row, expect, sizeof(expect));
	str = dp_cfgfile_get_str(&ctx->errs, s, path, expect);
	if (str == NULL)
		return -1;
	n = strlen(str);
	switch (row->kind) {
	case CFG_STR:
		if (row->words != NULL && word_index(row->words, str) < 0) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: must be %s", path,
				dp_cfgfile_quote(str, q, sizeof(q)), expect);
			return -1;
		}
		why[0] = '\0';
		if (n < row->min || n > row->max || n >= row->size) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: must be %u..%u bytes long", path,
				dp_cfgfile_quote(str, q, sizeof(q)), row->min, row->max);
			return -1;
		}
		if (row->str_ok != NULL && !row->str_ok(str, why, sizeof(why))) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: %s", path,
				dp_cfgfile_quote(str, q, sizeof(q)), why);
			return -1;
		}
		memcpy(field, str, n + 1);
		return 0;
	case CFG_ENUM:
		i = word_index(row->words, str);
		if (i < 0)
			break;
		*(int *)field = i;
		return 0;
	case CFG_MAC:
		if (mac_parse(str, (uint8_t *)field) < 0)
			break;
		if ((field[0] & 1) != 0 || memcmp(field, "\0\0\0\0\0\0", 6) == 0) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: must be a unicast address, not "
				"multicast or all zeros", path, dp_cfgfile_quote(str, q, sizeof(q)));
			return -1;
		}
		*(bool *)((char *)base + row->set_offset) = true;
		return 0;
	case CFG_PREFIX4:
	case CFG_PREFIX6: {
		struct dp_cfg_prefix pfx = { 0 };
		bool v6 = row->kind == CFG_PREFIX6;

		if (prefix_parse(str, v6, &pfx) < 0)
			break;
		if (v6 ? v6_is_special(pfx.ip) : v4_is_special(pfx.ip)) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: must be a unicast host address "
				"(not unspecified, loopback, multicast or broadcast)", path,
				dp_cfgfile_quote(str, q, sizeof(q)));
			return -1;
		}
		if (!v6 && v4_is_net_or_bcast(&pfx, pfx.ip)) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: is the network or broadcast address "
				"of its prefix; give the port's own address", path,
				dp_cfgfile_quote(str, q, sizeof(q)));
			return -1;
		}
		memcpy(field, &pfx, sizeof(pfx));
		return 0;
	}
	case CFG_IP4:
	case CFG_IP6:
		if (ip_parse(str, row->kind == CFG_IP6, (uint8_t *)field) < 0)
			break;
		*(bool *)((char *)base + row->set_offset) = true;
		return 0;
	case CFG_UINT:
		break;
	}
	dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: must be %s", path, dp_cfgfile_quote(str, q, sizeof(q)),
		expect);
	return -1;
}

static void
cfg_row_default(const struct cfg_row *row, void *base)
{
	char *field = (char *)base + row->offset;

	switch (row->kind) {
	case CFG_UINT:
		dp_cfgfile_store_uint(field, row->size, row->def);
		break;
	case CFG_ENUM:
		*(int *)field = (int)row->def;
		break;
	case CFG_STR:
		snprintf(field, row->size, "%s", row->def_str != NULL ? row->def_str : "");
		break;
	default:
		/* addresses: absent until given (zeroed by the caller) */
		break;
	}
}

/*
 * Reads the members of a group: rows of the section and its lists; anything else is an
 * unknown setting.
 */
static void
cfg_parse_group(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *group)
{
	int n = dp_cfgfile_length(group);

	for (int i = 0; i < n; i++) {
		struct dp_cfgfile_node *s = dp_cfgfile_elem(group, i);
		const char *name = dp_cfgfile_name(s);
		char path[CFG_PATH_LEN + 64], allowed[512];
		bool found = false;

		if (s == NULL || name == NULL)
			continue;
		snprintf(path, sizeof(path), "%s.%s", sc->prefix, name);
		for (size_t r = 0; r < R_COUNT && !found; r++) {
			if (cfg_rows[r].sec != sc->sec || strcmp(cfg_rows[r].name, name) != 0)
				continue;
			found = true;
			sc->line[r] = dp_cfgfile_line(s);
			if (cfg_read_row(ctx, &cfg_rows[r], s, sc->base, path) < 0)
				sc->bad[r] = true;
		}
		for (size_t l = 0; l < N_LISTS && !found; l++) {
			if (cfg_lists[l].sec != sc->sec || strcmp(cfg_lists[l].name, name) != 0)
				continue;
			found = true;
			cfg_lists[l].parse(ctx, sc, s);
		}
		if (!found)
			dp_cfgfile_unknown(&ctx->errs, s, path, cfg_sec_names[sc->sec],
					   cfg_allowed(sc->sec, allowed, sizeof(allowed)));
	}
}

/* ---- lists ---- */

/* An array or list of at most max elements (at least min); -1 (reported) otherwise. */
static int
cfg_list_check(struct cfg_ctx *ctx, const struct dp_cfgfile_node *s, const char *path,
	       unsigned int min, unsigned int max, const char *what)
{
	int type = dp_cfgfile_type(s);
	int n;

	if (type != DP_CFGFILE_ARRAY && type != DP_CFGFILE_LIST) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: must be a list of %s, not %s", path, what,
			dp_cfgfile_type_name(type));
		return -1;
	}
	n = dp_cfgfile_length(s);
	if (n < (int)min || n > (int)max) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: has %d entries, allowed %u..%u (%s)", path, n, min,
			max, what);
		return -1;
	}
	return n;
}

/*
 * Hands each element of a list to elem, with its index and its path "name[i]", once the
 * list has passed cfg_list_check. False when the list or one of its elements was refused
 * (elem returns -1, reported, for an element it refuses).
 */
static bool
cfg_list_each(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s,
	      const char *name, unsigned int min, unsigned int max, const char *what,
	      int (*elem)(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *e,
			  int i, const char *path))
{
	int n = cfg_list_check(ctx, s, name, min, max, what);
	bool ok = n >= 0;

	for (int i = 0; i < n; i++) {
		char path[CFG_PATH_LEN + 32];

		snprintf(path, sizeof(path), "%s[%d]", name, i);
		if (elem(ctx, sc, dp_cfgfile_elem(s, i), i, path) < 0)
			ok = false;
	}
	return ok;
}

static const char pci_what[] = "PCI addresses \"DDDD:BB:DD.F\", optionally followed by "
			       "\",devargs\"";

static int
pci_elem(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *e, int i,
	 const char *path)
{
	struct dp_config *cfg = sc->base;
	char canon[13], q[80];
	const char *str, *rest;
	bool dup = false;

	(void)i;
	str = dp_cfgfile_get_str(&ctx->errs, e, path, pci_what);
	if (str == NULL)
		return -1;
	if (pci_parse(str, canon, &rest) < 0 || (*rest != '\0' && *rest != ',') ||
	    strlen(str) >= DP_CFG_STR_LEN || !is_printable(str, false)) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s = %s: must be a PCI address \"DDDD:BB:DD.F\" "
			"(device 00..1f, function 0..7), optionally followed by "
			"\",devargs\", under %d bytes, no spaces", path,
			dp_cfgfile_quote(str, q, sizeof(q)), DP_CFG_STR_LEN);
		return -1;
	}
	for (unsigned int j = 0; j < cfg->n_pci && !dup; j++)
		dup = strncmp(cfg->pci[j], canon, 12) == 0;
	if (dup) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s = %s: device listed twice", path,
			dp_cfgfile_quote(str, q, sizeof(q)));
		return -1;
	}
	snprintf(cfg->pci[cfg->n_pci++], DP_CFG_STR_LEN, "%s%s", canon, rest);
	return 0;
}

static void
parse_pci(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s)
{
	if (!cfg_list_each(ctx, sc, s, "eal.pci", 0, DP_CFG_MAX_DEVARGS, pci_what, pci_elem))
		ctx->pci_bad = true;
}

/* The ethdev name of a vdev: the text before the first comma. */
static size_t
vdev_name_len(const char *vdev)
{
	return strcspn(vdev, ",");
}

static const char vdevs_what[] = "virtual devices \"name,key=value,...\"";

static int
vdev_elem(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *e, int i,
	  const char *path)
{
	struct dp_config *cfg = sc->base;
	const char *str;
	char q[80];
	size_t len;
	bool dup = false;

	(void)i;
	str = dp_cfgfile_get_str(&ctx->errs, e, path, vdevs_what);
	if (str == NULL)
		return -1;
	len = vdev_name_len(str);
	if (!is_vdev_name(str, len) || strlen(str) >= DP_CFG_STR_LEN ||
	    !is_printable(str, false)) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s = %s: must be \"name\" or \"name,args\" with "
			"a name of 1..63 of A-Z a-z 0-9 _ (such as net_af_packet0), under "
			"%d bytes, no spaces", path, dp_cfgfile_quote(str, q, sizeof(q)),
			DP_CFG_STR_LEN);
		return -1;
	}
	for (unsigned int j = 0; j < cfg->n_vdevs && !dup; j++)
		dup = vdev_name_len(cfg->vdevs[j]) == len &&
		      memcmp(cfg->vdevs[j], str, len) == 0;
	if (dup) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s = %s: vdev name %.*s is used twice", path,
			dp_cfgfile_quote(str, q, sizeof(q)), (int)len, str);
		return -1;
	}
	memcpy(cfg->vdevs[cfg->n_vdevs++], str, strlen(str) + 1);
	return 0;
}

static void
parse_vdevs(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s)
{
	if (!cfg_list_each(ctx, sc, s, "eal.vdevs", 0, DP_CFG_MAX_DEVARGS, vdevs_what,
			   vdev_elem))
		ctx->vdevs_bad = true;
}

static int
udp_port_elem(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *e, int i,
	      const char *path)
{
	static const struct cfg_row port_row = {
		.kind = CFG_UINT, .min = 1024, .max = 65535, .unit = "UDP port",
	};
	struct dp_config *cfg = sc->base;
	uint32_t v;

	(void)i;
	if (cfg_get_uint(ctx, &port_row, e, path, &v) < 0)
		return -1;
	if (dp_config_media_index(cfg, (uint16_t)v) >= 0) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s = %u: listed twice; media ports must be "
			"distinct", path, v);
		return -1;
	}
	cfg->media_ports[cfg->n_media_ports++] = (uint16_t)v;
	return 0;
}

static void
parse_udp_ports(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s)
{
	ctx->media_seen = true;
	cfg_list_each(ctx, sc, s, "media.udp_ports", 1, DP_CFG_MAX_MEDIA_PORTS,
		      "UDP ports 1024..65535", udp_port_elem);
}

static int
uid_elem(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *e, int i,
	 const char *path)
{
	/* uid_t is 32 bits and (uid_t)-1 means "no user" */
	static const struct cfg_row uid_row = {
		.kind = CFG_UINT, .min = 0, .max = 4294967294u, .unit = "uid",
	};
	struct dp_config *cfg = sc->base;
	uint32_t v;
	bool dup = false;

	(void)i;
	if (cfg_get_uint(ctx, &uid_row, e, path, &v) < 0)
		return -1;
	for (unsigned int j = 0; j < cfg->n_uids && !dup; j++)
		dup = cfg->uids[j] == v;
	if (dup) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s = %u: listed twice", path, v);
		return -1;
	}
	cfg->uids[cfg->n_uids++] = v;
	return 0;
}

static void
parse_uids(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s)
{
	cfg_list_each(ctx, sc, s, "control.allow_uids", 0, DP_CFG_MAX_UIDS, "uids", uid_elem);
}

static int
neigh_elem(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *e, int i,
	   const char *path)
{
	struct dp_cfg_port *port = sc->base;
	struct dp_cfg_neigh nb = { { 0 }, { 0 } };
	bool have_ip = false, have_mac = false, bad = false;
	int m;

	if (dp_cfgfile_type(e) != DP_CFGFILE_GROUP) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s: must be a group { ip = \"...\"; "
			"mac = \"...\"; }, not %s", path,
			dp_cfgfile_type_name(dp_cfgfile_type(e)));
		return -1;
	}
	m = dp_cfgfile_length(e);
	for (int j = 0; j < m; j++) {
		struct dp_cfgfile_node *f = dp_cfgfile_elem(e, j);
		const char *fname = dp_cfgfile_name(f);
		char fpath[CFG_PATH_LEN + 64], q[80];
		const char *str;

		if (fname == NULL)
			continue;
		snprintf(fpath, sizeof(fpath), "%s.%s", path, fname);
		if (strcmp(fname, "ip") == 0) {
			str = dp_cfgfile_get_str(&ctx->errs, f, fpath, "an IPv4 or IPv6 address");
			if (str == NULL ||
			    ip_parse(str, strchr(str, ':') != NULL, nb.ip) < 0) {
				if (str != NULL)
					dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(f), "%s = %s: must be an "
						"IPv4 or IPv6 address", fpath,
						dp_cfgfile_quote(str, q, sizeof(q)));
				bad = true;
			}
			have_ip = true;
		} else if (strcmp(fname, "mac") == 0) {
			str = dp_cfgfile_get_str(&ctx->errs, f, fpath, "a MAC address");
			if (str == NULL || mac_parse(str, nb.mac) < 0 ||
			    (nb.mac[0] & 1) != 0 ||
			    memcmp(nb.mac, "\0\0\0\0\0\0", 6) == 0) {
				if (str != NULL)
					dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(f), "%s = %s: must be a "
						"unicast MAC address such as "
						"\"02:00:5c:00:00:09\"", fpath,
						dp_cfgfile_quote(str, q, sizeof(q)));
				bad = true;
			}
			have_mac = true;
		} else {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(f), "%s: unknown setting; a neighbour allows "
				"ip, mac", fpath);
			bad = true;
		}
	}
	if (!have_ip || !have_mac) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s: needs both ip and mac", path);
		bad = true;
	}
	if (bad)
		return -1;
	ctx->port[sc->port].neigh[port->n_neigh] = dp_cfgfile_line(e);
	ctx->port[sc->port].neigh_index[port->n_neigh] = i;
	port->neigh[port->n_neigh++] = nb;
	return 0;
}

static void
parse_neighbours(struct cfg_ctx *ctx, const struct cfg_scope *sc, struct dp_cfgfile_node *s)
{
	char lpath[CFG_PATH_LEN + 16];

	snprintf(lpath, sizeof(lpath), "%s.neighbours", sc->prefix);
	cfg_list_each(ctx, sc, s, lpath, 0, DP_CFG_MAX_NEIGH,
		      "groups { ip = \"...\"; mac = \"...\"; }", neigh_elem);
}

/* ---- ports ---- */

/* Checks within one port: required settings, gateways and neighbours against prefixes. */
static void
port_check(struct cfg_ctx *ctx, unsigned int idx)
{
	struct dp_cfg_port *p = &ctx->cfg->ports[idx];
	struct cfg_port_lines *pl = &ctx->port[idx];
	unsigned int pi = (unsigned int)pl->index;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN + 8];

	for (size_t r = R_FIRST_PORT; r < R_COUNT; r++)
		if (cfg_rows[r].required && pl->row[r] == 0 && !pl->bad[r])
			dp_cfgfile_err(&ctx->errs, pl->group, "ports[%u]: %s is required", pi,
				cfg_rows[r].name);
	if (!p->ipv4.set && !p->ipv6.set && !pl->bad[R_P_IPV4] && !pl->bad[R_P_IPV6])
		dp_cfgfile_err(&ctx->errs, pl->group, "ports[%u]: needs ipv4 or ipv6 (or both)", pi);

	if (p->gw4_set) {
		if (!p->ipv4.set) {
			if (!pl->bad[R_P_IPV4])
				dp_cfgfile_err(&ctx->errs, pl->row[R_P_GW4], "ports[%u].ipv4_gateway: needs "
					"ipv4 on the port", pi);
		} else if (!prefix_has(&p->ipv4, p->gw4) || v4_is_special(p->gw4) ||
			   v4_is_net_or_bcast(&p->ipv4, p->gw4) ||
			   memcmp(p->gw4, p->ipv4.ip, 16) == 0) {
			dp_cfgfile_err(&ctx->errs, pl->row[R_P_GW4], "ports[%u].ipv4_gateway = \"%s\": must be "
				"another host inside %s", pi, ip_str(p->gw4, a, sizeof(a)),
				prefix_str(&p->ipv4, b, sizeof(b)));
		}
	}
	if (p->gw6_set) {
		if (!p->ipv6.set) {
			if (!pl->bad[R_P_IPV6])
				dp_cfgfile_err(&ctx->errs, pl->row[R_P_GW6], "ports[%u].ipv6_gateway: needs "
					"ipv6 on the port", pi);
		} else if ((!prefix_has(&p->ipv6, p->gw6) && !v6_is_link_local(p->gw6)) ||
			   v6_is_special(p->gw6) || memcmp(p->gw6, p->ipv6.ip, 16) == 0) {
			dp_cfgfile_err(&ctx->errs, pl->row[R_P_GW6], "ports[%u].ipv6_gateway = \"%s\": must be "
				"another host inside %s or link-local (fe80::/10)", pi,
				ip_str(p->gw6, a, sizeof(a)), prefix_str(&p->ipv6, b, sizeof(b)));
		}
	}

	for (unsigned int i = 0; i < p->n_neigh; i++) {
		const uint8_t *ip = p->neigh[i].ip;
		bool v4 = ip_is4(ip);
		const struct dp_cfg_prefix *pfx = v4 ? &p->ipv4 : &p->ipv6;
		int ni = pl->neigh_index[i];
		bool ok;

		if (v4)
			ok = pfx->set && prefix_has(pfx, ip) && !v4_is_net_or_bcast(pfx, ip);
		else
			ok = !v6_is_special(ip) && (v6_is_link_local(ip) ||
						    (pfx->set && prefix_has(pfx, ip)));
		if ((v4 && pl->bad[R_P_IPV4]) || (!v4 && pl->bad[R_P_IPV6]))
			continue;
		if (!ok) {
			if (pfx->set)
				dp_cfgfile_err(&ctx->errs, pl->neigh[i], "ports[%u].neighbours[%d].ip = \"%s\": "
					"must be a host inside the port's prefix %s%s", pi, ni,
					ip_str(ip, a, sizeof(a)), prefix_str(pfx, b, sizeof(b)),
					v4 ? "" : " or link-local (fe80::/10)");
			else
				dp_cfgfile_err(&ctx->errs, pl->neigh[i], "ports[%u].neighbours[%d].ip = \"%s\": "
					"the port has no %s prefix", pi, ni,
					ip_str(ip, a, sizeof(a)), v4 ? "ipv4" : "ipv6");
			continue;
		}
		if (memcmp(ip, pfx->ip, 16) == 0) {
			dp_cfgfile_err(&ctx->errs, pl->neigh[i], "ports[%u].neighbours[%d].ip = \"%s\": is the "
				"port's own address", pi, ni, ip_str(ip, a, sizeof(a)));
			continue;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (memcmp(p->neigh[j].ip, ip, 16) == 0) {
				dp_cfgfile_err(&ctx->errs, pl->neigh[i], "ports[%u].neighbours[%d].ip = \"%s\": "
					"listed twice (also neighbours[%d])", pi, ni,
					ip_str(ip, a, sizeof(a)), pl->neigh_index[j]);
				break;
			}
		}
	}
}

static void
parse_ports(struct cfg_ctx *ctx, struct dp_cfgfile_node *s)
{
	struct dp_config *cfg = ctx->cfg;
	int n;

	ctx->ports_seen = true;
	if (dp_cfgfile_type(s) != DP_CFGFILE_LIST) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "ports: must be a list of groups ( { name = ...; }, ... ), "
			"not %s", dp_cfgfile_type_name(dp_cfgfile_type(s)));
		return;
	}
	n = dp_cfgfile_length(s);
	if (n < 1 || n > DP_CFG_MAX_PORTS) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "ports: has %d entries, allowed 1..%d", n,
			DP_CFG_MAX_PORTS);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct dp_cfgfile_node *e = dp_cfgfile_elem(s, i);
		struct dp_cfg_port *p = &cfg->ports[cfg->n_ports];
		struct cfg_port_lines *pl = &ctx->port[cfg->n_ports];
		struct cfg_scope sc = {
			.sec = SEC_PORT, .base = p, .line = pl->row, .bad = pl->bad,
			.port = cfg->n_ports,
		};

		if (dp_cfgfile_type(e) != DP_CFGFILE_GROUP) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "ports[%d]: must be a group { name = ...; "
				"device = ...; ... }, not %s", i,
				dp_cfgfile_type_name(dp_cfgfile_type(e)));
			continue;
		}
		/* ports keep their index in messages even when an earlier one was not a group */
		memset(p, 0, sizeof(*p));
		memset(pl, 0, sizeof(*pl));
		for (size_t r = R_FIRST_PORT; r < R_COUNT; r++)
			cfg_row_default(&cfg_rows[r], p);
		pl->group = dp_cfgfile_line(e);
		pl->index = i;
		snprintf(sc.prefix, sizeof(sc.prefix), "ports[%d]", i);
		cfg_parse_group(ctx, &sc, e);
		cfg->n_ports++;
		port_check(ctx, cfg->n_ports - 1);
	}
}

/* ---- whole-file checks ---- */

static int
row_line(const struct cfg_ctx *ctx, enum cfg_row_id r)
{
	return ctx->line[r] != 0 ? ctx->line[r] : ctx->sec_line[cfg_rows[r].sec];
}

static bool
pci_listed(const struct dp_config *cfg, const char *addr)
{
	for (unsigned int i = 0; i < cfg->n_pci; i++)
		if (strncmp(cfg->pci[i], addr, 12) == 0)
			return true;
	return false;
}

static bool
vdev_listed(const struct dp_config *cfg, const char *name)
{
	size_t n = strlen(name);

	for (unsigned int i = 0; i < cfg->n_vdevs; i++)
		if (vdev_name_len(cfg->vdevs[i]) == n && memcmp(cfg->vdevs[i], name, n) == 0)
			return true;
	return false;
}

static void
check_ports_across(struct cfg_ctx *ctx)
{
	struct dp_config *cfg = ctx->cfg;
	char canon[13];
	const char *rest;

	/* PCI devices as ethdev names them (lowercase), before comparing */
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (pci_parse(cfg->ports[i].device, canon, &rest) == 0 && *rest == '\0')
			memcpy(cfg->ports[i].device, canon, sizeof(canon));

	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		struct dp_cfg_port *p = &cfg->ports[i];
		struct cfg_port_lines *pl = &ctx->port[i];
		int pi = pl->index;

		for (unsigned int j = 0; j < i; j++) {
			if (p->name[0] != '\0' && strcmp(p->name, cfg->ports[j].name) == 0)
				dp_cfgfile_err(&ctx->errs, pl->row[R_P_NAME], "ports[%d].name = \"%s\": already "
					"used by ports[%d]; port names must be unique", pi, p->name,
					ctx->port[j].index);
			if (p->device[0] != '\0' && strcmp(p->device, cfg->ports[j].device) == 0)
				dp_cfgfile_err(&ctx->errs, pl->row[R_P_DEVICE], "ports[%d].device = \"%s\": "
					"already used by ports[%d]; each device serves one port", pi,
					p->device, ctx->port[j].index);
		}
		if (p->device[0] == '\0')
			continue;
		if (pci_parse(p->device, canon, &rest) == 0) {
			if (!ctx->pci_bad && !pci_listed(cfg, p->device))
				dp_cfgfile_err(&ctx->errs, pl->row[R_P_DEVICE], "ports[%d].device = \"%s\": PCI "
					"device not listed in eal.pci", pi, p->device);
		} else if (!ctx->vdevs_bad && !vdev_listed(cfg, p->device)) {
			dp_cfgfile_err(&ctx->errs, pl->row[R_P_DEVICE], "ports[%d].device = \"%s\": no vdev of "
				"that name in eal.vdevs (the name is the text before the first "
				"comma)", pi, p->device);
		}
	}
}

static void
check_lcores_across(struct cfg_ctx *ctx)
{
	struct dp_config *cfg = ctx->cfg;
	char why[256];
	bool main_found = false;

	if (ctx->bad[R_LCORES] ||
	    lcores_parse(cfg->lcores, cfg->lcore_ids, &cfg->n_lcores, why, sizeof(why)) < 0) {
		cfg->n_lcores = 0;
		return;
	}
	if (cfg->n_lcores < 2)
		dp_cfgfile_err(&ctx->errs, row_line(ctx, R_LCORES), "eal.lcores = \"%s\": needs at least 2 "
			"lcores: the main lcore and one worker", cfg->lcores);
	if (ctx->bad[R_MAIN_LCORE])
		return;
	for (unsigned int i = 0; i < cfg->n_lcores; i++)
		main_found = main_found || cfg->lcore_ids[i] == cfg->main_lcore;
	if (!main_found)
		dp_cfgfile_err(&ctx->errs, ctx->line[R_MAIN_LCORE] != 0 ? ctx->line[R_MAIN_LCORE] :
			row_line(ctx, R_LCORES), "eal.main_lcore = %u: not in eal.lcores \"%s\"",
			cfg->main_lcore, cfg->lcores);
}

/* Users besides root reach a socket only through its group: allow_uids needs one. */
static void
check_control(struct cfg_ctx *ctx)
{
	const struct dp_config *cfg = ctx->cfg;
	bool others = false;

	for (unsigned int i = 0; i < cfg->n_uids; i++)
		others = others || cfg->uids[i] != 0;
	if (others && cfg->socket_group[0] == '\0' && !ctx->bad[R_GROUP])
		dp_cfgfile_err(&ctx->errs, ctx->sec_line[SEC_CONTROL], "control.allow_uids: users other than root "
			"cannot open the root-only socket (mode 0600); set control.group to a group "
			"they belong to (the socket is then mode 0660 in that group)");
}

/*
 * Enough mbufs for every descriptor ring to be full at once, plus the lcore caches and the
 * bursts in flight on each worker; fewer starve RX silently under load.
 */
static void
check_memory(struct cfg_ctx *ctx)
{
	struct dp_config *cfg = ctx->cfg;
	unsigned int workers = dp_config_n_workers(cfg);
	uint64_t need = 0, neigh = 0;
	bool ports_ok = cfg->n_ports > 0;

	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct dp_cfg_port *p = &cfg->ports[i];

		ports_ok = ports_ok && !ctx->port[i].bad[R_P_RX_QUEUES] &&
			   !ctx->port[i].bad[R_P_RX_DESC] && !ctx->port[i].bad[R_P_TX_DESC];
		need += (uint64_t)p->rx_queues * p->rx_desc + (uint64_t)workers * p->tx_desc;
		neigh += p->n_neigh;
	}
	need += (uint64_t)cfg->n_lcores * cfg->mbuf_cache + (uint64_t)workers * cfg->burst * 8;
	if (ports_ok && cfg->n_lcores > 0 && !ctx->bad[R_MBUFS] && !ctx->bad[R_MBUF_CACHE] &&
	    !ctx->bad[R_BURST] && cfg->mbufs < need)
		dp_cfgfile_err(&ctx->errs, row_line(ctx, R_MBUFS), "memory.mbufs = %u: too few for the rings: "
			"at least %llu needed (ports x (rx_queues x rx_desc + workers x tx_desc) "
			"+ lcores x mbuf_cache + workers x burst x 8)", cfg->mbufs,
			(unsigned long long)need);
	if (!ctx->bad[R_MBUFS] && !ctx->bad[R_MBUF_CACHE] &&
	    (uint64_t)cfg->mbuf_cache * 3 > (uint64_t)cfg->mbufs * 2)
		dp_cfgfile_err(&ctx->errs, row_line(ctx, R_MBUF_CACHE), "memory.mbuf_cache = %u: must be at "
			"most mbufs / 1.5 = %u", cfg->mbuf_cache,
			(unsigned int)((uint64_t)cfg->mbufs * 2 / 3));
	if (!ctx->bad[R_NEIGHBOURS] && neigh > cfg->max_neigh)
		dp_cfgfile_err(&ctx->errs, row_line(ctx, R_NEIGHBOURS), "tables.neighbours = %u: smaller than "
			"the %llu static neighbours of the ports", cfg->max_neigh,
			(unsigned long long)neigh);
}

static void
check_required(struct cfg_ctx *ctx)
{
	if (!ctx->ports_seen)
		dp_cfgfile_err(&ctx->errs, 0, "ports: missing; at least one port is required "
			"(ports = ( { name = ...; device = ...; ipv4 = ...; } ))");
	if (!ctx->media_seen)
		dp_cfgfile_err(&ctx->errs, ctx->sec_line[SEC_MEDIA], "media.udp_ports: missing; 1..%d UDP ports "
			"1024..65535 are required (media = { udp_ports = [ 40000 ]; })",
			DP_CFG_MAX_MEDIA_PORTS);
}

/* ---- entry points ---- */

void
dp_config_defaults(struct dp_config *cfg)
{
	char why[8];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t r = 0; r < R_FIRST_PORT; r++)
		cfg_row_default(&cfg_rows[r], cfg);
	if (lcores_parse(cfg->lcores, cfg->lcore_ids, &cfg->n_lcores, why, sizeof(why)) < 0)
		cfg->n_lcores = 0;
}

/* Walks the parsed file: sections, then the checks across them. */
static void
cfg_parse_tree(void *arg, struct dp_cfgfile_node *root)
{
	struct cfg_ctx *ctx = arg;
	int n = dp_cfgfile_length(root);

	for (int i = 0; i < n; i++) {
		struct dp_cfgfile_node *s = dp_cfgfile_elem(root, i);
		const char *name = dp_cfgfile_name(s);
		struct cfg_scope sc = {
			.base = ctx->cfg, .line = ctx->line, .bad = ctx->bad,
		};
		int sec;

		if (name == NULL)
			continue;
		if (strcmp(name, "ports") == 0) {
			parse_ports(ctx, s);
			continue;
		}
		for (sec = 0; sec < SEC_PORT; sec++)
			if (strcmp(cfg_sec_names[sec], name) == 0)
				break;
		if (sec == SEC_PORT) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: unknown section; allowed: eal, ports, media, "
				"workers, memory, tables, control", name);
			continue;
		}
		ctx->sec_line[sec] = dp_cfgfile_line(s);
		if (dp_cfgfile_want_group(&ctx->errs, s, name) < 0) {
			if (sec == SEC_MEDIA)
				ctx->media_seen = true;
			continue;
		}
		sc.sec = (enum cfg_sec)sec;
		snprintf(sc.prefix, sizeof(sc.prefix), "%s", name);
		cfg_parse_group(ctx, &sc, s);
	}
	check_required(ctx);
	check_lcores_across(ctx);
	check_ports_across(ctx);
	check_memory(ctx);
	check_control(ctx);
}

int
dp_config_parse(struct dp_config *cfg, const char *text, const char *name,
		char *err, size_t errlen)
{
	static const struct dp_cfgfile_syntax syn = {
		.max_depth = CFG_MAX_DEPTH, .range_note = "; libconfig would wrap it",
	};
	struct cfg_ctx *ctx;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	dp_config_defaults(cfg);
	if (name == NULL)
		name = "(config)";
	/* too big for the stack of a fuzzer or a control thread */
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	ctx->cfg = cfg;
	dp_cfgfile_errs_init(&ctx->errs, name, CFG_MAX_MSGS);
	if (strlen(name) >= sizeof(cfg->path))
		dp_cfgfile_err(&ctx->errs, 0, "file name longer than %zu bytes",
			       sizeof(cfg->path) - 1);
	else
		memcpy(cfg->path, name, strlen(name) + 1);

	if (ctx->errs.n_errors == 0)
		dp_cfgfile_parse(&ctx->errs, text, &syn, cfg_parse_tree, ctx);
	rc = ctx->errs.n_errors > 0 ? -1 : 0;
	dp_cfgfile_flush(&ctx->errs, err, errlen);
	free(ctx);
	return rc;
}

int
dp_config_load(struct dp_config *cfg, const char *path, char *err, size_t errlen)
{
	char *text;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	dp_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	text = dp_cfgfile_read(path, err, errlen);
	if (text == NULL)
		return -1;
	rc = dp_config_parse(cfg, text, path, err, errlen);
	free(text);
	return rc;
}

unsigned int
dp_config_n_workers(const struct dp_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_lcores; i++)
		if (cfg->lcore_ids[i] == cfg->main_lcore)
			return cfg->n_lcores - 1;
	return cfg->n_lcores;
}

int
dp_config_media_index(const struct dp_config *cfg, uint16_t udp_port)
{
	for (unsigned int i = 0; i < cfg->n_media_ports; i++)
		if (cfg->media_ports[i] == udp_port)
			return (int)i;
	return -1;
}
