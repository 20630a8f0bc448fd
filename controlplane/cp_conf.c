/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-cp's configuration: one libconfig file read through a table with one row per
 * option (path, type, offset in struct cp_config, bounds, default, required, validator),
 * then checked across options. Every problem is reported as "FILE:LINE: message" (or
 * "FILE: message" where no line applies), sorted by line, and reading goes on after an
 * error so that one run lists them all.
 *
 * The result is built in a private struct and copied to the caller's only when the whole
 * file is valid: a reload with a broken file leaves the running configuration alone.
 *
 * libconfig ownership: the tree and every string in it die with config_destroy(), so
 * values are copied as they are read, and config_destroy() runs on every path once
 * config_init() has.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp_conf.h"
#include "dp_cfgfile.h"
#include "dp_proto.h"

#define CONF_SOCK_MAX 107             /* sun_path holds 108 bytes with the NUL */
#define CONF_HOST_MAX 253             /* a DNS name */
#define CONF_MAX_DEPTH 8              /* the file needs 2: a group and its suites */
#define CONF_MAX_MSGS 32              /* errors kept for the report; more are counted */
#define CONF_PATH_LEN 128             /* "section.name" of a setting, names cut short */
#define CONF_DEFAULT_SUITE "AES_CM_128_HMAC_SHA1_80"

#define FSIZE(f) sizeof(((struct cp_config *)NULL)->f)

enum conf_kind {
	K_UINT,                       /* integer in min..max, into uint16_t or uint32_t */
	K_BOOL,                       /* true/false into bool */
	K_STR,                        /* string of min..max bytes into char[size] */
	K_SUITES,                     /* list of suite names into suites[] and n_suites */
};

struct conf_row {
	const char *path;             /* "section.name" */
	enum conf_kind kind;
	size_t offset;                /* of the field in struct cp_config */
	size_t size;                  /* of the field */
	uint32_t min, max;            /* K_UINT: value; K_STR: length in bytes */
	uint32_t def;                 /* K_UINT, K_BOOL */
	const char *def_str;          /* K_STR */
	const char *unit;             /* K_UINT: said in messages */
	bool required;
	/* K_STR: syntax of a non-empty value; fills `why` with what is allowed */
	bool (*str_ok)(const char *s, char *why, size_t whylen);
};

/* Row ids: cross checks name the rows they read. */
enum conf_row_id {
	R_RELAY_ID,
	R_RELAY_ADDRESS,
	R_RELAY_ADDRESS6,
	R_MEDIA_PORT,
	R_SUITES,
	R_DP_SOCKET,
	R_API_ADDRESS,
	R_API_PORT,
	R_TLS_CERT,
	R_TLS_KEY,
	R_MAX_BODY,
	R_MAX_HEADERS,
	R_MAX_HEADER_BYTES,
	R_MAX_JSON_DEPTH,
	R_MAX_CONNECTIONS,
	R_TIMEOUT,
	R_METRICS_ENABLED,
	R_METRICS_ADDRESS,
	R_METRICS_PORT,
	R_REDIS_HOST,
	R_REDIS_PORT,
	R_REDIS_SOCKET,
	R_REDIS_USER,
	R_REDIS_PASSWORD_FILE,
	R_REDIS_TLS,
	R_REDIS_CA,
	R_REDIS_SERVERNAME,
	R_REDIS_PREFIX,
	R_KEY_FILE,
	R_TOTP_ISSUER,
	R_LOGIN_MAX_FAILURES,
	R_SOURCE_MAX_FAILURES,
	R_LOCKOUT,
	R_AUDIT_LOG,
	R_TTL_SESSION,
	R_TTL_GUEST_MAX,
	R_TTL_CONFERENCE,
	R_TTL_USER,
	R_TTL_HEARTBEAT,
	R_LEGS_PER_CONFERENCE,
	R_SSRCS_PER_LEG,
	R_GUEST_TOKEN_USES,
	R_LOG_LEVEL,
	R_COUNT,
};

static bool check_relay_id(const char *s, char *why, size_t whylen);
static bool check_ipv4(const char *s, char *why, size_t whylen);
static bool check_ipv6(const char *s, char *why, size_t whylen);
static bool check_listen(const char *s, char *why, size_t whylen);
static bool check_host(const char *s, char *why, size_t whylen);
static bool check_path(const char *s, char *why, size_t whylen);
static bool check_user(const char *s, char *why, size_t whylen);
static bool check_prefix(const char *s, char *why, size_t whylen);
static bool check_issuer(const char *s, char *why, size_t whylen);
static bool check_log_level(const char *s, char *why, size_t whylen);

#define FIELD(f) .offset = offsetof(struct cp_config, f), .size = FSIZE(f)
#define ROW_U(p, f, lo, hi, d, u) \
	.path = (p), .kind = K_UINT, FIELD(f), .min = (lo), .max = (hi), .def = (d), .unit = (u)
#define ROW_B(p, f, d) .path = (p), .kind = K_BOOL, FIELD(f), .def = (d)
#define ROW_S(p, f, lo, hi, d, ok) \
	.path = (p), .kind = K_STR, FIELD(f), .min = (lo), .max = (hi), .def_str = (d), \
	.str_ok = (ok)
/* a file path: absolute, at most PATH_MAX - 1 bytes */
#define ROW_PATH(p, f, lo) ROW_S(p, f, lo, PATH_MAX - 1, "", check_path)

/* Optional strings have min 0: "" is the same as leaving them out. */
static const struct conf_row conf_rows[R_COUNT] = {
	[R_RELAY_ID] = { ROW_S("relay.id", relay_id, 1, FSIZE(relay_id) - 1, "", check_relay_id),
			 .required = true },
	[R_RELAY_ADDRESS] = { ROW_S("relay.address", relay_address, 1, INET_ADDRSTRLEN - 1, "",
				    check_ipv4), .required = true },
	[R_RELAY_ADDRESS6] = { ROW_S("relay.address6", relay_address6, 0, INET6_ADDRSTRLEN - 1,
				     "", check_ipv6) },
	[R_MEDIA_PORT] = { ROW_U("relay.media_port", media_port, 1024, 65535, 0, NULL),
			   .required = true },
	[R_SUITES] = { .path = "relay.suites", .kind = K_SUITES, FIELD(suites) },
	[R_DP_SOCKET] = { ROW_S("relay.dp_socket", dp_socket, 2, CONF_SOCK_MAX,
				"/run/sluice/dp.sock", check_path) },

	[R_API_ADDRESS] = { ROW_S("api.address", api_address, 1, INET6_ADDRSTRLEN - 1,
				  "127.0.0.1", check_listen) },
	[R_API_PORT] = { ROW_U("api.port", api_port, 1, 65535, 8443, NULL) },
	[R_TLS_CERT] = { ROW_PATH("api.tls_cert", tls_cert, 2), .required = true },
	[R_TLS_KEY] = { ROW_PATH("api.tls_key", tls_key, 2), .required = true },
	[R_MAX_BODY] = { ROW_U("api.max_body", max_body, 256, 1048576, 16384, "bytes") },
	[R_MAX_HEADERS] = { ROW_U("api.max_headers", max_headers, 8, 256, 32, "headers") },
	[R_MAX_HEADER_BYTES] = { ROW_U("api.max_header_bytes", max_header_bytes, 1024, 65536,
				       8192, "bytes") },
	[R_MAX_JSON_DEPTH] = { ROW_U("api.max_json_depth", max_json_depth, 2, 64, 8,
				     "levels") },
	[R_MAX_CONNECTIONS] = { ROW_U("api.max_connections", max_connections, 1, 65536, 1024,
				      "connections") },
	[R_TIMEOUT] = { ROW_U("api.timeout", timeout_s, 1, 600, 30, "seconds") },

	[R_METRICS_ENABLED] = { ROW_B("metrics.enabled", metrics_enabled, true) },
	[R_METRICS_ADDRESS] = { ROW_S("metrics.address", metrics_address, 1,
				      INET6_ADDRSTRLEN - 1, "127.0.0.1", check_listen) },
	[R_METRICS_PORT] = { ROW_U("metrics.port", metrics_port, 1, 65535, 9464, NULL) },

	[R_REDIS_HOST] = { ROW_S("redis.host", redis_host, 1, CONF_HOST_MAX, "127.0.0.1",
				 check_host) },
	[R_REDIS_PORT] = { ROW_U("redis.port", redis_port, 1, 65535, 6379, NULL) },
	[R_REDIS_SOCKET] = { ROW_S("redis.socket", redis_socket, 0, CONF_SOCK_MAX, "",
				   check_path) },
	[R_REDIS_USER] = { ROW_S("redis.user", redis_user, 0, FSIZE(redis_user) - 1, "",
				 check_user) },
	[R_REDIS_PASSWORD_FILE] = { ROW_PATH("redis.password_file", redis_password_file, 0) },
	[R_REDIS_TLS] = { ROW_B("redis.tls", redis_tls, false) },
	[R_REDIS_CA] = { ROW_PATH("redis.tls_ca", redis_ca, 0) },
	[R_REDIS_SERVERNAME] = { ROW_S("redis.tls_servername", redis_servername, 0,
				       CONF_HOST_MAX, "", check_host) },
	[R_REDIS_PREFIX] = { ROW_S("redis.prefix", redis_prefix, 1, FSIZE(redis_prefix) - 1,
				   "sl:", check_prefix) },

	[R_KEY_FILE] = { ROW_PATH("security.key_file", key_file, 2), .required = true },
	[R_TOTP_ISSUER] = { ROW_S("security.totp_issuer", totp_issuer, 1,
				  FSIZE(totp_issuer) - 1, "Sluice", check_issuer) },
	[R_LOGIN_MAX_FAILURES] = { ROW_U("security.login_max_failures", login_max_failures, 1,
					 1000, 5, "failures") },
	[R_SOURCE_MAX_FAILURES] = { ROW_U("security.source_max_failures", source_max_failures,
					  1, 100000, 20, "failures") },
	[R_LOCKOUT] = { ROW_U("security.lockout", lockout_s, 1, 604800, 900, "seconds") },
	[R_AUDIT_LOG] = { ROW_PATH("security.audit_log", audit_log, 0) },

	[R_TTL_SESSION] = { ROW_U("ttl.session", ttl_session, 60, 604800, 28800, "seconds") },
	[R_TTL_GUEST_MAX] = { ROW_U("ttl.guest_token_max", ttl_guest_max, 60, 2592000, 86400,
				    "seconds") },
	[R_TTL_CONFERENCE] = { ROW_U("ttl.conference", ttl_conference, 60, 2592000, 86400,
				     "seconds") },
	[R_TTL_USER] = { ROW_U("ttl.user", ttl_user, 3600, 315360000, 31536000, "seconds") },
	[R_TTL_HEARTBEAT] = { ROW_U("ttl.heartbeat", ttl_heartbeat, 1, 3600, 30, "seconds") },

	[R_LEGS_PER_CONFERENCE] = { ROW_U("limits.legs_per_conference", max_legs_per_conference,
					  1, 100000, 1000, "legs") },
	[R_SSRCS_PER_LEG] = { ROW_U("limits.ssrcs_per_leg", max_ssrcs_per_leg, 1,
				    DP_LEG_MAX_SSRCS, 4, "SSRCs") },
	[R_GUEST_TOKEN_USES] = { ROW_U("limits.guest_token_uses", max_guest_uses, 1, 100000,
				       100, "uses") },

	[R_LOG_LEVEL] = { ROW_S("log.level", log_level, 1, FSIZE(log_level) - 1, "info",
				check_log_level) },
};

static const char *const conf_sections[] = {
	"relay", "api", "metrics", "redis", "security", "ttl", "limits", "log",
};

#define N_SECTIONS (sizeof(conf_sections) / sizeof(conf_sections[0]))

static const char *const log_words[] = { "error", "warning", "info", "debug" };

struct conf_ctx {
	struct cp_config cfg;         /* built here; copied out only when valid */
	struct dp_cfgfile_errs errs;
	int sec_line[N_SECTIONS];     /* where each section starts; 0: absent */
	int line[R_COUNT];            /* where each option was set; 0: default */
	bool bad[R_COUNT];            /* refused: cross checks skip it */
};

/* The option name after the section: "port" of "api.port". */
static const char *
row_name(const struct conf_row *row)
{
	return strchr(row->path, '.') + 1;
}

static bool
row_in_section(const struct conf_row *row, const char *sec)
{
	size_t n = strlen(sec);

	return strncmp(row->path, sec, n) == 0 && row->path[n] == '.';
}

/* "address, port, tls_cert, ...": what a section accepts, for messages. */
static const char *
section_allows(const char *sec, char *buf, size_t len)
{
	const char *names[R_COUNT];
	size_t n = 0;

	for (size_t r = 0; r < R_COUNT; r++)
		if (row_in_section(&conf_rows[r], sec))
			names[n++] = row_name(&conf_rows[r]);
	return dp_cfgfile_words(names, n, buf, len);
}

/* ---- syntax of values ---- */

static bool
only_chars(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

static bool
check_relay_id(const char *s, char *why, size_t whylen)
{
	if (!only_chars(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")) {
		snprintf(why, whylen, "must be 1..%zu of A-Z a-z 0-9 . _ -", FSIZE(relay_id) - 1);
		return false;
	}
	return true;
}

static bool
check_ipv4(const char *s, char *why, size_t whylen)
{
	uint8_t a[4];

	if (inet_pton(AF_INET, s, a) != 1) {
		snprintf(why, whylen, "must be an IPv4 address such as \"198.18.0.1\"");
		return false;
	}
	/* participants must be able to send to it: no 0/8, loopback, multicast, broadcast */
	if (a[0] == 0 || a[0] == 127 || a[0] >= 224) {
		snprintf(why, whylen, "must be a unicast address participants can reach (not "
			 "0.0.0.0/8, loopback, multicast or broadcast)");
		return false;
	}
	return true;
}

static bool
check_ipv6(const char *s, char *why, size_t whylen)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[15];
	uint8_t a[16];

	if (inet_pton(AF_INET6, s, a) != 1) {
		snprintf(why, whylen, "must be an IPv6 address such as \"2001:db8:5c::1\"");
		return false;
	}
	if (a[0] == 0xff || (memcmp(a, zero, 15) == 0 && a[15] <= 1) ||
	    memcmp(a, mapped, sizeof(mapped)) == 0 || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
		snprintf(why, whylen, "must be a global unicast address participants can reach "
			 "(not ::, loopback, multicast, link-local or IPv4-mapped)");
		return false;
	}
	return true;
}

static bool
check_listen(const char *s, char *why, size_t whylen)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) != 1 && inet_pton(AF_INET6, s, a) != 1) {
		snprintf(why, whylen, "must be an IPv4 or IPv6 address to listen on, such as "
			 "\"127.0.0.1\" or \"::1\"");
		return false;
	}
	return true;
}

/* A DNS name (labels of A-Z a-z 0-9 -, 1..63 each, not starting or ending in -). */
static bool
is_dns_name(const char *s)
{
	size_t label = 0;

	if (*s == '\0' || strlen(s) > CONF_HOST_MAX)
		return false;
	for (const char *p = s; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)))
			return false;
		label++;
	}
}

static bool
check_host(const char *s, char *why, size_t whylen)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1 || is_dns_name(s))
		return true;
	snprintf(why, whylen, "must be a host name (labels of A-Z a-z 0-9 -) or an IP address");
	return false;
}

static bool
check_path(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (s[0] != '/' || s[n - 1] == '/') {
		snprintf(why, whylen, "must be an absolute file path (starting with /, not "
			 "ending in /)");
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(why, whylen, "must not contain control characters");
			return false;
		}
	}
	return true;
}

static bool
check_user(const char *s, char *why, size_t whylen)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e) {
			snprintf(why, whylen, "must be printable ASCII without spaces");
			return false;
		}
	}
	return true;
}

static bool
check_prefix(const char *s, char *why, size_t whylen)
{
	if (!only_chars(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._-")) {
		snprintf(why, whylen, "must be of A-Z a-z 0-9 : . _ -");
		return false;
	}
	return true;
}

/* Shown by authenticator apps; ':' would split the otpauth label. */
static bool
check_issuer(const char *s, char *why, size_t whylen)
{
	if (!only_chars(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._-") ||
	    s[0] == ' ' || s[strlen(s) - 1] == ' ') {
		snprintf(why, whylen, "must be of A-Z a-z 0-9 space . _ -, not starting or "
			 "ending with a space");
		return false;
	}
	return true;
}

static bool
check_log_level(const char *s, char *why, size_t whylen)
{
	for (size_t i = 0; i < sizeof(log_words) / sizeof(log_words[0]); i++)
		if (strcmp(s, log_words[i]) == 0)
			return true;
	char words[64];

	snprintf(why, whylen, "must be one of %s", dp_cfgfile_words(log_words,
		 sizeof(log_words) / sizeof(log_words[0]), words, sizeof(words)));
	return false;
}

/* ---- options ---- */

static void
row_default(const struct conf_row *row, struct cp_config *cfg)
{
	char *field = (char *)cfg + row->offset;

	switch (row->kind) {
	case K_UINT:
		dp_cfgfile_store_uint(field, row->size, row->def);
		break;
	case K_BOOL:
		*(bool *)field = row->def != 0;
		break;
	case K_STR:
		snprintf(field, row->size, "%s", row->def_str);
		break;
	case K_SUITES:
		memset(cfg->suites, 0, sizeof(cfg->suites));
		cfg->suites[0] = dp_suite_from_name(CONF_DEFAULT_SUITE);
		cfg->n_suites = 1;
		break;
	}
}

static int
read_uint(struct conf_ctx *ctx, const struct conf_row *row, const struct dp_cfgfile_node *s,
	  char *field)
{
	const struct dp_cfgfile_uint u = {
		.min = row->min, .max = row->max, .unit = row->unit, .short_range = true,
	};
	uint32_t v;

	if (dp_cfgfile_get_uint(&ctx->errs, s, row->path, &u, &v) < 0)
		return -1;
	dp_cfgfile_store_uint(field, row->size, v);
	return 0;
}

static int
read_str(struct conf_ctx *ctx, const struct conf_row *row, const struct dp_cfgfile_node *s,
	 char *field)
{
	int type = dp_cfgfile_type(s);
	char why[256], q[96];
	const char *str;
	size_t n;

	if (type != DP_CFGFILE_STRING) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: must be a string, not %s", row->path,
			 dp_cfgfile_type_name(type));
		return -1;
	}
	str = dp_cfgfile_string(s);
	n = strlen(str);
	if (n < row->min || n > row->max || n >= row->size) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: must be %u..%u bytes long", row->path,
			 dp_cfgfile_quote(str, q, sizeof(q)), row->min, row->max);
		return -1;
	}
	if (n > 0 && row->str_ok != NULL && !row->str_ok(str, why, sizeof(why))) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s = %s: %s", row->path, dp_cfgfile_quote(str, q, sizeof(q)),
			 why);
		return -1;
	}
	memcpy(field, str, n + 1);
	return 0;
}

static int
read_suites(struct conf_ctx *ctx, const struct conf_row *row, const struct dp_cfgfile_node *s)
{
	uint8_t suites[CP_CONF_MAX_SUITES] = { 0 };
	int type = dp_cfgfile_type(s);
	int n = dp_cfgfile_length(s);
	char q[96];
	int rc = 0;

	if (type != DP_CFGFILE_ARRAY && type != DP_CFGFILE_LIST) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: must be a list of suite names such as [ \"%s\" ], "
			 "not %s", row->path, CONF_DEFAULT_SUITE, dp_cfgfile_type_name(type));
		return -1;
	}
	if (n < 1 || n > CP_CONF_MAX_SUITES) {
		dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: has %d entries, allowed 1..%d", row->path, n,
			 CP_CONF_MAX_SUITES);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const struct dp_cfgfile_node *e = dp_cfgfile_elem(s, i);
		const char *name;
		uint8_t suite;

		if (dp_cfgfile_type(e) != DP_CFGFILE_STRING) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s[%d]: must be a suite name, not %s", row->path,
				 i, dp_cfgfile_type_name(dp_cfgfile_type(e)));
			rc = -1;
			continue;
		}
		name = dp_cfgfile_string(e);
		suite = dp_suite_from_name(name);
		if (suite == DP_SUITE_NONE) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s[%d] = %s: unknown suite; known: "
				 "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
				 "AEAD_AES_128_GCM, AEAD_AES_256_GCM", row->path, i,
				 dp_cfgfile_quote(name, q, sizeof(q)));
			rc = -1;
			continue;
		}
		for (int j = 0; j < i; j++) {
			if (suites[j] == suite) {
				dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(e), "%s[%d] = %s: listed twice", row->path, i,
					 dp_cfgfile_quote(name, q, sizeof(q)));
				rc = -1;
			}
		}
		suites[i] = suite;
	}
	if (rc < 0)
		return -1;
	memcpy(ctx->cfg.suites, suites, sizeof(suites));
	ctx->cfg.n_suites = (unsigned int)n;
	return 0;
}

/* Reads one option into ctx->cfg. Returns 0, or -1 (reported). */
static int
read_row(struct conf_ctx *ctx, const struct conf_row *row, const struct dp_cfgfile_node *s)
{
	char *field = (char *)&ctx->cfg + row->offset;
	int type = dp_cfgfile_type(s);

	switch (row->kind) {
	case K_UINT:
		return read_uint(ctx, row, s, field);
	case K_BOOL:
		if (type != DP_CFGFILE_BOOL) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%s: must be true or false, not %s", row->path,
				 dp_cfgfile_type_name(type));
			return -1;
		}
		*(bool *)field = dp_cfgfile_bool(s) != 0;
		return 0;
	case K_STR:
		return read_str(ctx, row, s, field);
	case K_SUITES:
		return read_suites(ctx, row, s);
	}
	return -1;
}

static void
read_section(struct conf_ctx *ctx, const char *sec, const struct dp_cfgfile_node *group)
{
	int n = dp_cfgfile_length(group);

	for (int i = 0; i < n; i++) {
		const struct dp_cfgfile_node *s = dp_cfgfile_elem(group, i);
		const char *name = s != NULL ? dp_cfgfile_name(s) : NULL;
		char path[CONF_PATH_LEN], allowed[512];
		size_t r;

		if (name == NULL)
			continue;
		snprintf(path, sizeof(path), "%s.%.64s", sec, name);
		for (r = 0; r < R_COUNT; r++)
			if (strcmp(conf_rows[r].path, path) == 0)
				break;
		if (r == R_COUNT) {
			dp_cfgfile_unknown(&ctx->errs, s, path, sec,
					   section_allows(sec, allowed, sizeof(allowed)));
			continue;
		}
		ctx->line[r] = dp_cfgfile_line(s);
		if (read_row(ctx, &conf_rows[r], s) < 0)
			ctx->bad[r] = true;
	}
}


/* ---- checks across options ---- */

/* The line an option was set on, else where its section starts (0: neither). */
static int
row_line(const struct conf_ctx *ctx, enum conf_row_id r)
{
	if (ctx->line[r] != 0)
		return ctx->line[r];
	for (size_t sec = 0; sec < N_SECTIONS; sec++)
		if (row_in_section(&conf_rows[r], conf_sections[sec]))
			return ctx->sec_line[sec];
	return 0;
}

static void
check_required(struct conf_ctx *ctx)
{
	for (size_t r = 0; r < R_COUNT; r++)
		if (conf_rows[r].required && ctx->line[r] == 0)
			dp_cfgfile_err(&ctx->errs, row_line(ctx, (enum conf_row_id)r), "%s: missing; required",
				 conf_rows[r].path);
}

/* Wildcard, or the same address: two listeners on one port would clash. */
static bool
listen_overlap(const char *a, const char *b)
{
	static const uint8_t any[16];
	uint8_t x[16] = { 0 }, y[16] = { 0 };
	int fx = inet_pton(AF_INET, a, x) == 1 ? 4 : inet_pton(AF_INET6, a, x) == 1 ? 6 : 0;
	int fy = inet_pton(AF_INET, b, y) == 1 ? 4 : inet_pton(AF_INET6, b, y) == 1 ? 6 : 0;

	if (fx == 0 || fy == 0)
		return false;
	if (memcmp(x, any, 16) == 0 || memcmp(y, any, 16) == 0)
		return true;
	return fx == fy && memcmp(x, y, 16) == 0;
}

static void
check_across(struct conf_ctx *ctx)
{
	struct cp_config *cfg = &ctx->cfg;

	if (cfg->redis_tls && !ctx->bad[R_REDIS_SOCKET] && cfg->redis_socket[0] != '\0')
		dp_cfgfile_err(&ctx->errs, row_line(ctx, R_REDIS_TLS), "redis.tls = true: needs redis.host; "
			 "TLS is not used over redis.socket (remove one of them)");
	if (!cfg->redis_tls && !ctx->bad[R_REDIS_TLS]) {
		if (cfg->redis_ca[0] != '\0')
			dp_cfgfile_err(&ctx->errs, row_line(ctx, R_REDIS_CA), "redis.tls_ca: set, but redis.tls "
				 "is false");
		if (cfg->redis_servername[0] != '\0')
			dp_cfgfile_err(&ctx->errs, row_line(ctx, R_REDIS_SERVERNAME), "redis.tls_servername: set, "
				 "but redis.tls is false");
	}
	if (!ctx->bad[R_TTL_GUEST_MAX] && !ctx->bad[R_TTL_CONFERENCE] &&
	    cfg->ttl_guest_max > cfg->ttl_conference)
		dp_cfgfile_err(&ctx->errs, ctx->line[R_TTL_GUEST_MAX] != 0 ? ctx->line[R_TTL_GUEST_MAX] :
			 row_line(ctx, R_TTL_CONFERENCE), "ttl.guest_token_max = %u: must be at "
			 "most ttl.conference = %u (a guest token ends with its conference)",
			 cfg->ttl_guest_max, cfg->ttl_conference);
	if (cfg->metrics_enabled && !ctx->bad[R_METRICS_ENABLED] && !ctx->bad[R_METRICS_PORT] &&
	    !ctx->bad[R_API_PORT] && !ctx->bad[R_METRICS_ADDRESS] && !ctx->bad[R_API_ADDRESS] &&
	    cfg->metrics_port == cfg->api_port &&
	    listen_overlap(cfg->metrics_address, cfg->api_address))
		dp_cfgfile_err(&ctx->errs, ctx->line[R_METRICS_PORT] != 0 ? ctx->line[R_METRICS_PORT] :
			 row_line(ctx, R_API_PORT), "metrics.port = %u: the API listens there "
			 "too (api.port)", cfg->metrics_port);
}

/* Values that default to other values, once the file is known to be valid. */
static void
conf_finish(struct cp_config *cfg)
{
	if (cfg->redis_tls && cfg->redis_servername[0] == '\0')
		snprintf(cfg->redis_servername, sizeof(cfg->redis_servername), "%s",
			 cfg->redis_host);
}

/* Walks the parsed file: sections, then the checks across them. */
static void
read_tree(void *arg, struct dp_cfgfile_node *root)
{
	struct conf_ctx *ctx = arg;
	int n = dp_cfgfile_length(root);

	for (int i = 0; i < n; i++) {
		const struct dp_cfgfile_node *s = dp_cfgfile_elem(root, i);
		const char *name = s != NULL ? dp_cfgfile_name(s) : NULL;
		char allowed[160];
		size_t sec;

		if (name == NULL)
			continue;
		for (sec = 0; sec < N_SECTIONS; sec++)
			if (strcmp(conf_sections[sec], name) == 0)
				break;
		if (sec == N_SECTIONS) {
			dp_cfgfile_err(&ctx->errs, dp_cfgfile_line(s), "%.64s: unknown section; "
				       "allowed: %s", name, dp_cfgfile_words(conf_sections, N_SECTIONS,
				       allowed, sizeof(allowed)));
			continue;
		}
		ctx->sec_line[sec] = dp_cfgfile_line(s);
		if (dp_cfgfile_want_group(&ctx->errs, s, name) < 0)
			continue;
		read_section(ctx, conf_sections[sec], s);
	}
	check_required(ctx);
	check_across(ctx);
}

/* ---- entry points ---- */

void
cp_config_defaults(struct cp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t r = 0; r < R_COUNT; r++)
		row_default(&conf_rows[r], cfg);
}

int
cp_config_parse_string(const char *text, const char *name, struct cp_config *cfg, char *err,
		       size_t err_len)
{
	static const struct dp_cfgfile_syntax syn = { .max_depth = CONF_MAX_DEPTH };
	struct conf_ctx *ctx;
	int rc;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (name == NULL)
		name = "(config)";
	if (text == NULL || cfg == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: no configuration given", name);
		return -EINVAL;
	}
	/* holds a whole struct cp_config: too big for a fuzzer's or a reload's stack */
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: out of memory", name);
		return -EINVAL;
	}
	dp_cfgfile_errs_init(&ctx->errs, name, CONF_MAX_MSGS);
	cp_config_defaults(&ctx->cfg);
	dp_cfgfile_parse(&ctx->errs, text, &syn, read_tree, ctx);

	rc = ctx->errs.n_errors > 0 ? -EINVAL : 0;
	if (rc == 0) {
		conf_finish(&ctx->cfg);
		memcpy(cfg, &ctx->cfg, sizeof(*cfg));
	} else {
		dp_cfgfile_flush(&ctx->errs, err, err_len);
	}
	free(ctx);
	return rc;
}

int
cp_config_load(const char *path, struct cp_config *cfg, char *err, size_t err_len)
{
	char *text;
	int rc;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (path == NULL || cfg == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "no configuration file given");
		return -EINVAL;
	}
	text = dp_cfgfile_read(path, err, err_len);
	if (text == NULL)
		return -EINVAL;
	rc = cp_config_parse_string(text, path, cfg, err, err_len);
	free(text);
	return rc;
}
