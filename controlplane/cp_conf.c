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

#include <libconfig.h>

#include "cp_conf.h"
#include "dp_proto.h"

#define CONF_MAX_FILE (1u << 20)      /* larger files are refused before parsing */
#define CONF_SOCK_MAX 107             /* sun_path holds 108 bytes with the NUL */
#define CONF_HOST_MAX 253             /* a DNS name */
#define CONF_MAX_DEPTH 8              /* the file needs 2: a group and its suites */
#define CONF_MSG_LEN 512
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

struct conf_msg {
	int line;                     /* 0: none */
	char text[CONF_MSG_LEN];
};

struct conf_ctx {
	struct cp_config cfg;         /* built here; copied out only when valid */
	const char *name;             /* the file, in messages */
	unsigned int n_errors;
	unsigned int n_msgs;
	struct conf_msg msgs[CONF_MAX_MSGS];
	int sec_line[N_SECTIONS];     /* where each section starts; 0: absent */
	int line[R_COUNT];            /* where each option was set; 0: default */
	bool bad[R_COUNT];            /* refused: cross checks skip it */
};

/* ---- messages ---- */

static void conf_err(struct conf_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
conf_err(struct conf_ctx *ctx, int line, const char *fmt, ...)
{
	struct conf_msg *m;
	va_list ap;

	ctx->n_errors++;
	if (ctx->n_msgs == CONF_MAX_MSGS)
		return;
	m = &ctx->msgs[ctx->n_msgs++];
	m->line = line;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

/* Sort key: messages without a line go last. */
static unsigned int
msg_key(const struct conf_msg *m)
{
	return m->line > 0 ? (unsigned int)m->line : UINT_MAX;
}

/*
 * Writes the messages into err as "NAME:LINE: text" lines in line order (those without a
 * line last, as "NAME: text"), whole lines while they fit; the first is cut short rather
 * than lost; then how many were left out.
 */
static void
conf_flush(const struct conf_ctx *ctx, char *err, size_t err_len)
{
	unsigned int order[CONF_MAX_MSGS];
	unsigned int shown = 0;
	char line[PATH_MAX + CONF_MSG_LEN + 16];   /* the file name may be long */
	size_t used = 0;

	if (err == NULL || err_len == 0)
		return;
	err[0] = '\0';
	/* insertion sort, stable: one line's messages keep the order they were found in */
	for (unsigned int i = 0; i < ctx->n_msgs; i++) {
		unsigned int j = i;

		while (j > 0 && msg_key(&ctx->msgs[order[j - 1]]) > msg_key(&ctx->msgs[i])) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (unsigned int i = 0; i < ctx->n_msgs; i++) {
		const struct conf_msg *m = &ctx->msgs[order[i]];
		int n;

		if (m->line > 0)
			n = snprintf(line, sizeof(line), "%s:%d: %s", ctx->name, m->line, m->text);
		else
			n = snprintf(line, sizeof(line), "%s: %s", ctx->name, m->text);
		if (n < 0)
			break;
		if ((size_t)n >= sizeof(line))
			n = (int)sizeof(line) - 1;
		if (i == 0) {
			snprintf(err, err_len, "%s", line);
			used = strlen(err);
		} else if (used + 1 + (size_t)n < err_len) {
			err[used++] = '\n';
			memcpy(err + used, line, (size_t)n + 1);
			used += (size_t)n;
		} else {
			break;
		}
		shown++;
	}
	if (shown < ctx->n_errors) {
		int n = snprintf(line, sizeof(line), "%s: %u more errors not shown", ctx->name,
				 ctx->n_errors - shown);

		if (n > 0 && used > 0 && used + 1 + (size_t)n < err_len) {
			err[used++] = '\n';
			memcpy(err + used, line, (size_t)n + 1);
		}
	}
}

/* A value from the file in double quotes, safe on one line of a terminal. */
static const char *
conf_quote(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	buf[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		/* room for this byte escaped (4), "..." (3), the quote and the NUL */
		if (o + 9 > len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int
conf_line(const config_setting_t *s)
{
	/* elements of an array carry no line of their own: the array's is close enough */
	for (; s != NULL; s = config_setting_parent(s))
		if (config_setting_source_line(s) > 0)
			return (int)config_setting_source_line(s);
	return 0;
}

static const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

/* Appends "a, b, c" to buf from a list of words. */
static void
words_join(char *buf, size_t len, const char *const *words, size_t n)
{
	size_t o = strlen(buf);

	for (size_t i = 0; i < n && o < len; i++) {
		int k = snprintf(buf + o, len - o, "%s%s", i == 0 ? "" : ", ", words[i]);

		if (k < 0)
			break;
		o += (size_t)k;
	}
}

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
	buf[0] = '\0';
	words_join(buf, len, names, n);
	return buf;
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
	snprintf(why, whylen, "must be one of ");
	words_join(why, whylen, log_words, sizeof(log_words) / sizeof(log_words[0]));
	return false;
}

/* ---- options ---- */

static void
store_uint(void *field, size_t size, uint32_t v)
{
	if (size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else
		*(uint32_t *)field = v;
}

static void
row_default(const struct conf_row *row, struct cp_config *cfg)
{
	char *field = (char *)cfg + row->offset;

	switch (row->kind) {
	case K_UINT:
		store_uint(field, row->size, row->def);
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
read_uint(struct conf_ctx *ctx, const struct conf_row *row, const config_setting_t *s,
	  char *field)
{
	int type = config_setting_type(s);
	long long v;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		conf_err(ctx, conf_line(s), "%s: must be an integer in %u..%u%s%s%s, not %s",
			 row->path, row->min, row->max, row->unit != NULL ? " (" : "",
			 row->unit != NULL ? row->unit : "", row->unit != NULL ? ")" : "",
			 conf_type_name(type));
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < (long long)row->min || v > (long long)row->max) {
		conf_err(ctx, conf_line(s), "%s = %lld: must be in %u..%u%s%s%s", row->path, v,
			 row->min, row->max, row->unit != NULL ? " (" : "",
			 row->unit != NULL ? row->unit : "", row->unit != NULL ? ")" : "");
		return -1;
	}
	store_uint(field, row->size, (uint32_t)v);
	return 0;
}

static int
read_str(struct conf_ctx *ctx, const struct conf_row *row, const config_setting_t *s,
	 char *field)
{
	int type = config_setting_type(s);
	char why[256], q[96];
	const char *str;
	size_t n;

	if (type != CONFIG_TYPE_STRING) {
		conf_err(ctx, conf_line(s), "%s: must be a string, not %s", row->path,
			 conf_type_name(type));
		return -1;
	}
	str = config_setting_get_string(s);
	n = strlen(str);
	if (n < row->min || n > row->max || n >= row->size) {
		conf_err(ctx, conf_line(s), "%s = %s: must be %u..%u bytes long", row->path,
			 conf_quote(str, q, sizeof(q)), row->min, row->max);
		return -1;
	}
	if (n > 0 && row->str_ok != NULL && !row->str_ok(str, why, sizeof(why))) {
		conf_err(ctx, conf_line(s), "%s = %s: %s", row->path, conf_quote(str, q, sizeof(q)),
			 why);
		return -1;
	}
	memcpy(field, str, n + 1);
	return 0;
}

static int
read_suites(struct conf_ctx *ctx, const struct conf_row *row, const config_setting_t *s)
{
	uint8_t suites[CP_CONF_MAX_SUITES] = { 0 };
	int type = config_setting_type(s);
	int n = config_setting_length(s);
	char q[96];
	int rc = 0;

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		conf_err(ctx, conf_line(s), "%s: must be a list of suite names such as [ \"%s\" ], "
			 "not %s", row->path, CONF_DEFAULT_SUITE, conf_type_name(type));
		return -1;
	}
	if (n < 1 || n > CP_CONF_MAX_SUITES) {
		conf_err(ctx, conf_line(s), "%s: has %d entries, allowed 1..%d", row->path, n,
			 CP_CONF_MAX_SUITES);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *name;
		uint8_t suite;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_err(ctx, conf_line(e), "%s[%d]: must be a suite name, not %s", row->path,
				 i, conf_type_name(config_setting_type(e)));
			rc = -1;
			continue;
		}
		name = config_setting_get_string(e);
		suite = dp_suite_from_name(name);
		if (suite == DP_SUITE_NONE) {
			conf_err(ctx, conf_line(e), "%s[%d] = %s: unknown suite; known: "
				 "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
				 "AEAD_AES_128_GCM, AEAD_AES_256_GCM", row->path, i,
				 conf_quote(name, q, sizeof(q)));
			rc = -1;
			continue;
		}
		for (int j = 0; j < i; j++) {
			if (suites[j] == suite) {
				conf_err(ctx, conf_line(e), "%s[%d] = %s: listed twice", row->path, i,
					 conf_quote(name, q, sizeof(q)));
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
read_row(struct conf_ctx *ctx, const struct conf_row *row, const config_setting_t *s)
{
	char *field = (char *)&ctx->cfg + row->offset;
	int type = config_setting_type(s);

	switch (row->kind) {
	case K_UINT:
		return read_uint(ctx, row, s, field);
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL) {
			conf_err(ctx, conf_line(s), "%s: must be true or false, not %s", row->path,
				 conf_type_name(type));
			return -1;
		}
		*(bool *)field = config_setting_get_bool(s) != 0;
		return 0;
	case K_STR:
		return read_str(ctx, row, s, field);
	case K_SUITES:
		return read_suites(ctx, row, s);
	}
	return -1;
}

static void
read_section(struct conf_ctx *ctx, const char *sec, const config_setting_t *group)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned int)i);
		const char *name = s != NULL ? config_setting_name(s) : NULL;
		char path[CONF_PATH_LEN], allowed[512];
		size_t r;

		if (name == NULL)
			continue;
		snprintf(path, sizeof(path), "%s.%.64s", sec, name);
		for (r = 0; r < R_COUNT; r++)
			if (strcmp(conf_rows[r].path, path) == 0)
				break;
		if (r == R_COUNT) {
			conf_err(ctx, conf_line(s), "%s: unknown setting; %s allows %s", path, sec,
				 section_allows(sec, allowed, sizeof(allowed)));
			continue;
		}
		ctx->line[r] = conf_line(s);
		if (read_row(ctx, &conf_rows[r], s) < 0)
			ctx->bad[r] = true;
	}
}

static void
read_tree(struct conf_ctx *ctx, const config_t *lc)
{
	const config_setting_t *root = config_root_setting(lc);
	int n = config_setting_length(root);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned int)i);
		const char *name = s != NULL ? config_setting_name(s) : NULL;
		char allowed[160] = "";
		size_t sec;

		if (name == NULL)
			continue;
		for (sec = 0; sec < N_SECTIONS; sec++)
			if (strcmp(conf_sections[sec], name) == 0)
				break;
		if (sec == N_SECTIONS) {
			words_join(allowed, sizeof(allowed), conf_sections, N_SECTIONS);
			conf_err(ctx, conf_line(s), "%.64s: unknown section; allowed: %s", name,
				 allowed);
			continue;
		}
		ctx->sec_line[sec] = conf_line(s);
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			conf_err(ctx, conf_line(s), "%s: must be a group { ... }, not %s", name,
				 conf_type_name(config_setting_type(s)));
			continue;
		}
		read_section(ctx, conf_sections[sec], s);
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
			conf_err(ctx, row_line(ctx, (enum conf_row_id)r), "%s: missing; required",
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
		conf_err(ctx, row_line(ctx, R_REDIS_TLS), "redis.tls = true: needs redis.host; "
			 "TLS is not used over redis.socket (remove one of them)");
	if (!cfg->redis_tls && !ctx->bad[R_REDIS_TLS]) {
		if (cfg->redis_ca[0] != '\0')
			conf_err(ctx, row_line(ctx, R_REDIS_CA), "redis.tls_ca: set, but redis.tls "
				 "is false");
		if (cfg->redis_servername[0] != '\0')
			conf_err(ctx, row_line(ctx, R_REDIS_SERVERNAME), "redis.tls_servername: set, "
				 "but redis.tls is false");
	}
	if (!ctx->bad[R_TTL_GUEST_MAX] && !ctx->bad[R_TTL_CONFERENCE] &&
	    cfg->ttl_guest_max > cfg->ttl_conference)
		conf_err(ctx, ctx->line[R_TTL_GUEST_MAX] != 0 ? ctx->line[R_TTL_GUEST_MAX] :
			 row_line(ctx, R_TTL_CONFERENCE), "ttl.guest_token_max = %u: must be at "
			 "most ttl.conference = %u (a guest token ends with its conference)",
			 cfg->ttl_guest_max, cfg->ttl_conference);
	if (cfg->metrics_enabled && !ctx->bad[R_METRICS_ENABLED] && !ctx->bad[R_METRICS_PORT] &&
	    !ctx->bad[R_API_PORT] && !ctx->bad[R_METRICS_ADDRESS] && !ctx->bad[R_API_ADDRESS] &&
	    cfg->metrics_port == cfg->api_port &&
	    listen_overlap(cfg->metrics_address, cfg->api_address))
		conf_err(ctx, ctx->line[R_METRICS_PORT] != 0 ? ctx->line[R_METRICS_PORT] :
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

/* ---- pre-scan ---- */

/*
 * What libconfig 1.5 mishandles, found before it parses, by following its tokens
 * (comments, strings, names, numbers):
 * - a plain integer beyond 32 bits wraps silently (4294967297 would read as 1);
 * - @include opens whatever file it names;
 * - its grammar never frees a string token it stops at on a syntax error. A string is
 *   only valid after '=' or ':', first in a list or array, after ',' inside one, or after
 *   another string; the first one elsewhere is where libconfig's input is cut;
 * - deep nesting can exhaust its parser stack.
 */
enum scan_tok {
	T_OTHER,
	T_ASSIGN,                     /* = or : */
	T_COMMA,
	T_OPEN_SEQ,                   /* ( or [ */
	T_STRING,
};

struct scan {
	const char *cut;              /* the first string libconfig would stop at, or NULL */
	int cut_line;
	bool seq[CONF_MAX_DEPTH];     /* per open bracket: a list or array (not a group) */
	unsigned int depth;
	bool too_deep;
};

static bool
is_dec(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned int
hex_val(char c)
{
	return is_dec(c) ? (unsigned int)(c - '0') :
	       (unsigned int)((c | 0x20) - 'a' + 10);
}

/*
 * The number at p (a sign, digits or 0x digits, a fraction or an exponent, an L suffix):
 * returns its end, and reports a plain integer outside the 32 bits libconfig keeps.
 */
static const char *
scan_number(struct conf_ctx *ctx, const char *p, int line)
{
	const char *start = p;
	bool neg = *p == '-', over = false;
	unsigned long long v = 0;
	size_t digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	if (p == start && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2])) {
		for (p += 2; is_hex(*p); p++) {
			v = v * 16 + hex_val(*p);
			over = over || v > 0xffffffffull;
		}
	} else {
		for (; is_dec(*p); p++, digits++) {
			v = v * 10 + (unsigned long long)(*p - '0');
			over = over || v > 0xffffffffull;
		}
		if (*p == '.' || ((*p == 'e' || *p == 'E') && digits > 0)) {
			/* a float: libconfig reads it in full, no range to check */
			if (*p == '.')
				for (p++; is_dec(*p); p++)
					;
			if ((*p == 'e' || *p == 'E') &&
			    (is_dec(p[1]) || ((p[1] == '+' || p[1] == '-') && is_dec(p[2]))))
				for (p += 2; is_dec(*p); p++)
					;
			return p;
		}
		if (digits == 0)
			return p;
	}
	if (*p == 'L')
		return p[1] == 'L' ? p + 2 : p + 1;
	if (over || v > (neg ? 0x80000000ull : 0x7fffffffull))
		conf_err(ctx, line, "%.*s: integer out of 32-bit range (write it with an L "
			 "suffix if it is meant)", (int)(p - start > 24 ? 24 : p - start), start);
	return p;
}

/* Skips a string from its opening quote; returns the position after it. */
static const char *
skip_string(const char *p, int *line)
{
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		*line += *p == '\n';
	}
	return *p == '"' ? p + 1 : p;
}

static bool
string_allowed(const struct scan *sc, enum scan_tok prev)
{
	bool in_seq = sc->depth > 0 && sc->depth <= CONF_MAX_DEPTH && sc->seq[sc->depth - 1];

	return prev == T_ASSIGN || prev == T_OPEN_SEQ || prev == T_STRING ||
	       (prev == T_COMMA && in_seq);
}

static void
conf_prescan(struct conf_ctx *ctx, const char *text, struct scan *sc)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789_-*";
	enum scan_tok prev = T_OTHER;
	const char *p = text;
	int line = 1;

	memset(sc, 0, sizeof(*sc));
	while (*p != '\0') {
		char c = *p;

		if (c == '\n') {
			line++;
			p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p++;
		} else if (c == '#' || (c == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (c == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			if (*p != '\0')
				p += 2;
		} else if (c == '"') {
			if (sc->cut == NULL && !string_allowed(sc, prev)) {
				sc->cut = p;
				sc->cut_line = line;
			}
			p = skip_string(p, &line);
			prev = T_STRING;
		} else if (c == '@') {
			conf_err(ctx, line, "@ directives (@include) are not supported: keep the "
				 "configuration in one file");
			p++;
			prev = T_OTHER;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*') {
			p += strspn(p, name_chars);
			prev = T_OTHER;
		} else if (is_dec(c) || (c == '.' && is_dec(p[1])) ||
			   ((c == '-' || c == '+') && (is_dec(p[1]) || p[1] == '.'))) {
			const char *end = scan_number(ctx, p, line);

			p = end > p ? end : p + 1;
			prev = T_OTHER;
		} else if (c == '{' || c == '(' || c == '[') {
			if (sc->depth == CONF_MAX_DEPTH && !sc->too_deep) {
				conf_err(ctx, line, "nested deeper than %d levels", CONF_MAX_DEPTH);
				sc->too_deep = true;
			}
			if (sc->depth < CONF_MAX_DEPTH)
				sc->seq[sc->depth] = c != '{';
			sc->depth++;
			prev = c == '{' ? T_OTHER : T_OPEN_SEQ;
			p++;
		} else if (c == '}' || c == ')' || c == ']') {
			if (sc->depth > 0)
				sc->depth--;
			prev = T_OTHER;
			p++;
		} else {
			prev = c == '=' || c == ':' ? T_ASSIGN : c == ',' ? T_COMMA : T_OTHER;
			p++;
		}
	}
}

/*
 * Runs libconfig over the text before the first misplaced string: its first error there is
 * the file's first error; if there is none, the string itself is.
 */
static void
conf_error_before(struct conf_ctx *ctx, const char *text, const struct scan *sc)
{
	size_t n = (size_t)(sc->cut - text);
	char *head = malloc(n + 1);
	config_t lc;

	if (head == NULL) {
		conf_err(ctx, sc->cut_line, "syntax error");
		return;
	}
	memcpy(head, text, n);
	head[n] = '\0';
	config_init(&lc);
	if (config_read_string(&lc, head) != CONFIG_TRUE && config_error_text(&lc) != NULL)
		conf_err(ctx, config_error_line(&lc), "%s", config_error_text(&lc));
	else
		conf_err(ctx, sc->cut_line, "syntax error");
	config_destroy(&lc);
	free(head);
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
	struct conf_ctx *ctx;
	struct scan sc;
	config_t lc;
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
	ctx->name = name;
	cp_config_defaults(&ctx->cfg);

	conf_prescan(ctx, text, &sc);
	if (ctx->n_errors == 0 && sc.cut != NULL) {
		conf_error_before(ctx, text, &sc);
	} else if (ctx->n_errors == 0) {
		config_init(&lc);
		if (config_read_string(&lc, text) != CONFIG_TRUE) {
			conf_err(ctx, config_error_line(&lc), "%s", config_error_text(&lc) != NULL ?
				 config_error_text(&lc) : "syntax error");
		} else {
			read_tree(ctx, &lc);
			check_required(ctx);
			check_across(ctx);
		}
		config_destroy(&lc);
	}

	rc = ctx->n_errors > 0 ? -EINVAL : 0;
	if (rc == 0) {
		conf_finish(&ctx->cfg);
		memcpy(cfg, &ctx->cfg, sizeof(*cfg));
	} else {
		conf_flush(ctx, err, err_len);
	}
	free(ctx);
	return rc;
}

int
cp_config_load(const char *path, struct cp_config *cfg, char *err, size_t err_len)
{
	size_t got = 0;
	struct stat st;
	char *text;
	int fd, rc;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (path == NULL || cfg == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "no configuration file given");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CONF_MAX_FILE) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: not a regular file of at most %u bytes", path,
				 CONF_MAX_FILE);
		close(fd);
		return -EINVAL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: out of memory", path);
		close(fd);
		return -EINVAL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	if (got != (size_t)st.st_size || strlen(text) != got) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: %s", path, got != (size_t)st.st_size ?
				 "short read" : "contains a NUL byte");
		free(text);
		return -EINVAL;
	}
	rc = cp_config_parse_string(text, path, cfg, err, err_len);
	free(text);
	return rc;
}
