/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_conf: the example file, defaults, every class of error with the line it is reported on
 * (through files written to a temporary directory), bounds at their edges, value syntax,
 * suites, checks across options, and that a failed load leaves the struct alone.
 *
 * The example file is conf/sluice-cp.conf: argv[1] when given, else
 * $SLUICE_SOURCE_ROOT/conf/sluice-cp.conf, else found relative to the working directory.
 */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ut.h"

#include "cp_conf.h"
#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DOC_MAX 16384

static const char *example_path;
static char tmp_path[PATH_MAX];
static struct cp_config cfg;
static struct cp_config sentinel;
static char err[8192];

/* ---- helpers ---- */

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* printf into one of a few rotating buffers, so that results can be nested */
static const char *
fmt(const char *f, ...)
{
	static char bufs[4][DOC_MAX];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, DOC_MAX, f, ap);
	va_end(ap);
	return buf;
}

/* Writes len bytes to a new temporary file, named in tmp_path. */
static int
write_tmp(const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "%s/test_cp_conf.XXXXXX",
		 dir != NULL && dir[0] == '/' ? dir : "/tmp");
	fd = mkstemp(tmp_path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Loads text through a temporary file into cfg, which starts as the sentinel pattern. */
static int
load(const char *text)
{
	int rc;

	memset(&cfg, 0x5a, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	CU_ASSERT_FATAL(write_tmp(text, strlen(text)) == 0);
	rc = cp_config_load(tmp_path, &cfg, err, sizeof(err));
	unlink(tmp_path);
	return rc;
}

static unsigned int
n_lines(const char *s)
{
	unsigned int n;

	if (*s == '\0')
		return 0;
	for (n = 1; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

#define ASSERT_OK(text) do { \
	int rc_ = load(text); \
	if (rc_ != 0) \
		fprintf(stderr, "\nunexpected errors:\n%s\n", err); \
	CU_ASSERT_EQUAL(rc_, 0); \
	CU_ASSERT_STRING_EQUAL(err, ""); \
} while (0)

/*
 * Exactly one error, on `line` of the file (0: none), containing `words`; the struct is
 * left as it was. A function, so that each argument is evaluated once.
 */
static void
check_err(const char *text, int line, const char *words_in, int at)
{
	char pfx[PATH_MAX + 32], words[1024];
	bool ok;

	snprintf(words, sizeof(words), "%s", words_in);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	if (line > 0)
		snprintf(pfx, sizeof(pfx), "%s:%d: ", tmp_path, line);
	else
		snprintf(pfx, sizeof(pfx), "%s: ", tmp_path);
	ok = strncmp(err, pfx, strlen(pfx)) == 0 && strstr(err, words) != NULL &&
	     n_lines(err) == 1;
	if (!ok)
		fprintf(stderr, "\nline %d: expected one error \"%s...%s\", got:\n%s\n", at, pfx,
			words, err);
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);
}

#define ASSERT_ERR(text, line, words) check_err((text), (line), (words), __LINE__)

/*
 * A valid file built from the required options, with some options set: pairs of a path
 * ("api.port") and a value as written in the file (NULL: leave the option out), ending
 * in NULL. relay settings land on line 2, api on line 5, security on line 8, and every
 * other section on line 10.
 */
static const char *
doc(const char *path, ...)
{
	static const char *const secs[] = { "relay", "api", "security" };
	static const struct {
		const char *path, *value;
	} base[] = {
		{ "relay.id", "\"r1\"" },
		{ "relay.address", "\"198.18.0.1\"" },
		{ "relay.media_port", "40000" },
		{ "api.tls_cert", "\"/etc/sluice/tls.crt\"" },
		{ "api.tls_key", "\"/etc/sluice/tls.key\"" },
		{ "security.key_file", "\"/etc/sluice/sluice-cp.key\"" },
	};
	const char *set_path[40], *set_value[40];
	char body[3][8192] = { "", "", "" };
	char tail[8192] = "";
	unsigned int n = 0;
	va_list ap;

	va_start(ap, path);
	for (const char *p = path; p != NULL && n < 40; p = va_arg(ap, const char *)) {
		set_path[n] = p;
		set_value[n++] = va_arg(ap, const char *);
	}
	va_end(ap);

	for (size_t b = 0; b < ARRAY_LEN(base); b++) {
		const char *value = base[b].value;
		size_t s;

		for (unsigned int i = 0; i < n; i++)
			if (strcmp(set_path[i], base[b].path) == 0)
				value = set_value[i];
		for (s = 0; s < ARRAY_LEN(secs); s++)
			if (strncmp(base[b].path, secs[s], strlen(secs[s])) == 0)
				break;
		if (value != NULL)
			snprintf(body[s] + strlen(body[s]), sizeof(body[s]) - strlen(body[s]),
				 " %s = %s;", strchr(base[b].path, '.') + 1, value);
	}
	for (unsigned int i = 0; i < n; i++) {
		const char *dot = strchr(set_path[i], '.');
		size_t seclen = (size_t)(dot - set_path[i]);
		bool in_base = false;
		size_t s;

		for (size_t b = 0; b < ARRAY_LEN(base); b++)
			in_base = in_base || strcmp(set_path[i], base[b].path) == 0;
		if (in_base || set_value[i] == NULL)
			continue;
		for (s = 0; s < ARRAY_LEN(secs); s++)
			if (strlen(secs[s]) == seclen && strncmp(set_path[i], secs[s], seclen) == 0)
				break;
		if (s < ARRAY_LEN(secs)) {
			snprintf(body[s] + strlen(body[s]), sizeof(body[s]) - strlen(body[s]),
				 " %s = %s;", dot + 1, set_value[i]);
			continue;
		}
		/* another section: one group per section, all on line 10 */
		if (i > 0) {
			bool done = false;

			for (unsigned int j = 0; j < i; j++)
				done = done || (strncmp(set_path[j], set_path[i], seclen + 1) == 0);
			if (done)
				continue;
		}
		snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "%.*s = {",
			 (int)seclen, set_path[i]);
		for (unsigned int j = i; j < n; j++)
			if (strncmp(set_path[j], set_path[i], seclen + 1) == 0 && set_value[j] != NULL)
				snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail),
					 " %s = %s;", set_path[j] + seclen + 1, set_value[j]);
		snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), " }; ");
	}
	return fmt("relay = {\n%s\n};\napi = {\n%s\n};\nsecurity = {\n%s\n};\n%s\n",
		   body[0], body[1], body[2], tail);
}

/* The line doc() puts an option on. */
static int
line_of(const char *path)
{
	if (strncmp(path, "relay.", 6) == 0)
		return 2;
	if (strncmp(path, "api.", 4) == 0)
		return 5;
	if (strncmp(path, "security.", 9) == 0)
		return 8;
	return 10;
}

/* Same as the struct a minimal file gives: the defaults and the required options. */
static void
minimal_expected(struct cp_config *c)
{
	cp_config_defaults(c);
	snprintf(c->relay_id, sizeof(c->relay_id), "r1");
	snprintf(c->relay_address, sizeof(c->relay_address), "198.18.0.1");
	c->media_port = 40000;
	snprintf(c->tls_cert, sizeof(c->tls_cert), "/etc/sluice/tls.crt");
	snprintf(c->tls_key, sizeof(c->tls_key), "/etc/sluice/tls.key");
	snprintf(c->key_file, sizeof(c->key_file), "/etc/sluice/sluice-cp.key");
}

static int
suite_init(void)
{
	memset(&sentinel, 0x5a, sizeof(sentinel));
	return 0;
}

/* ---- the example and defaults ---- */

static void
test_example_file_loads_with_its_values(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(example_path);
	memset(&cfg, 0x5a, sizeof(cfg));
	if (cp_config_load(example_path, &cfg, err, sizeof(err)) != 0)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL_FATAL(cp_config_load(example_path, &cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");

	CU_ASSERT_STRING_EQUAL(cfg.relay_id, "r1");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address, "198.18.0.1");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address6, "2001:db8:5c::1");
	CU_ASSERT_EQUAL(cfg.media_port, 40000);
	CU_ASSERT_EQUAL(cfg.n_suites, 3);
	CU_ASSERT_EQUAL(cfg.suites[0], DP_SUITE_AES_CM_128_HMAC_SHA1_80);
	CU_ASSERT_EQUAL(cfg.suites[1], DP_SUITE_AEAD_AES_128_GCM);
	CU_ASSERT_EQUAL(cfg.suites[2], DP_SUITE_AEAD_AES_256_GCM);
	CU_ASSERT_STRING_EQUAL(cfg.dp_socket, "/run/sluice/dp.sock");
	CU_ASSERT_STRING_EQUAL(cfg.api_address, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.api_port, 8443);
	CU_ASSERT_STRING_EQUAL(cfg.tls_cert, "/etc/sluice/tls.crt");
	CU_ASSERT_STRING_EQUAL(cfg.tls_key, "/etc/sluice/tls.key");
	CU_ASSERT_EQUAL(cfg.max_body, 16384);
	CU_ASSERT_EQUAL(cfg.max_headers, 32);
	CU_ASSERT_EQUAL(cfg.max_header_bytes, 8192);
	CU_ASSERT_EQUAL(cfg.max_json_depth, 8);
	CU_ASSERT_EQUAL(cfg.max_connections, 1024);
	CU_ASSERT_EQUAL(cfg.timeout_s, 30);
	CU_ASSERT_EQUAL(cfg.metrics_enabled, true);
	CU_ASSERT_STRING_EQUAL(cfg.metrics_address, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.metrics_port, 9464);
	CU_ASSERT_STRING_EQUAL(cfg.redis_host, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.redis_port, 6379);
	CU_ASSERT_STRING_EQUAL(cfg.redis_socket, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_user, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_password_file, "");
	CU_ASSERT_EQUAL(cfg.redis_tls, false);
	CU_ASSERT_STRING_EQUAL(cfg.redis_ca, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_servername, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_prefix, "sl:");
	CU_ASSERT_STRING_EQUAL(cfg.key_file, "/etc/sluice/sluice-cp.key");
	CU_ASSERT_STRING_EQUAL(cfg.totp_issuer, "Sluice");
	CU_ASSERT_EQUAL(cfg.login_max_failures, 5);
	CU_ASSERT_EQUAL(cfg.source_max_failures, 20);
	CU_ASSERT_EQUAL(cfg.lockout_s, 900);
	CU_ASSERT_STRING_EQUAL(cfg.audit_log, "");
	CU_ASSERT_EQUAL(cfg.ttl_session, 28800);
	CU_ASSERT_EQUAL(cfg.ttl_guest_max, 86400);
	CU_ASSERT_EQUAL(cfg.ttl_conference, 86400);
	CU_ASSERT_EQUAL(cfg.ttl_user, 31536000);
	CU_ASSERT_EQUAL(cfg.ttl_heartbeat, 30);
	CU_ASSERT_EQUAL(cfg.max_legs_per_conference, 1000);
	CU_ASSERT_EQUAL(cfg.max_ssrcs_per_leg, 4);
	CU_ASSERT_EQUAL(cfg.max_guest_uses, 100);
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "info");
}

static void
test_example_file_sets_every_option(void)
{
	/* every option of the table appears in the example, uncommented */
	static const char *const opts[] = {
		"id", "address", "address6", "media_port", "suites", "dp_socket", "port",
		"tls_cert", "tls_key", "max_body", "max_headers", "max_header_bytes",
		"max_json_depth", "max_connections", "timeout", "enabled", "host", "socket",
		"user", "password_file", "tls", "tls_ca", "tls_servername", "prefix", "key_file",
		"totp_issuer", "login_max_failures", "source_max_failures", "lockout",
		"audit_log", "session", "guest_token_max", "conference", "heartbeat",
		"legs_per_conference", "ssrcs_per_leg", "guest_token_uses", "level",
	};
	static char text[65536];
	FILE *f = fopen(example_path, "r");
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		const char *needle = fmt("\n\t%s = ", opts[i]);

		if (strstr(text, needle) == NULL)
			fprintf(stderr, "\nnot set in the example: %s\n", opts[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, needle));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n\tuser = 31536000;"));
}

static void
test_defaults_are_documented_values(void)
{
	memset(&cfg, 0x5a, sizeof(cfg));
	cp_config_defaults(&cfg);

	CU_ASSERT_STRING_EQUAL(cfg.relay_id, "");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address, "");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address6, "");
	CU_ASSERT_EQUAL(cfg.media_port, 0);
	CU_ASSERT_EQUAL(cfg.n_suites, 1);
	CU_ASSERT_EQUAL(cfg.suites[0], DP_SUITE_AES_CM_128_HMAC_SHA1_80);
	CU_ASSERT_EQUAL(cfg.suites[1], 0);
	CU_ASSERT_STRING_EQUAL(cfg.dp_socket, "/run/sluice/dp.sock");
	CU_ASSERT_STRING_EQUAL(cfg.api_address, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.api_port, 8443);
	CU_ASSERT_STRING_EQUAL(cfg.tls_cert, "");
	CU_ASSERT_STRING_EQUAL(cfg.tls_key, "");
	CU_ASSERT_EQUAL(cfg.max_body, 16384);
	CU_ASSERT_EQUAL(cfg.max_headers, 32);
	CU_ASSERT_EQUAL(cfg.max_header_bytes, 8192);
	CU_ASSERT_EQUAL(cfg.max_json_depth, 8);
	CU_ASSERT_EQUAL(cfg.max_connections, 1024);
	CU_ASSERT_EQUAL(cfg.timeout_s, 30);
	CU_ASSERT_EQUAL(cfg.metrics_enabled, true);
	CU_ASSERT_STRING_EQUAL(cfg.metrics_address, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.metrics_port, 9464);
	CU_ASSERT_STRING_EQUAL(cfg.redis_host, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.redis_port, 6379);
	CU_ASSERT_STRING_EQUAL(cfg.redis_socket, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_user, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_password_file, "");
	CU_ASSERT_EQUAL(cfg.redis_tls, false);
	CU_ASSERT_STRING_EQUAL(cfg.redis_ca, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_servername, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_prefix, "sl:");
	CU_ASSERT_STRING_EQUAL(cfg.key_file, "");
	CU_ASSERT_STRING_EQUAL(cfg.totp_issuer, "Sluice");
	CU_ASSERT_EQUAL(cfg.login_max_failures, 5);
	CU_ASSERT_EQUAL(cfg.source_max_failures, 20);
	CU_ASSERT_EQUAL(cfg.lockout_s, 900);
	CU_ASSERT_STRING_EQUAL(cfg.audit_log, "");
	CU_ASSERT_EQUAL(cfg.ttl_session, 28800);
	CU_ASSERT_EQUAL(cfg.ttl_guest_max, 86400);
	CU_ASSERT_EQUAL(cfg.ttl_conference, 86400);
	CU_ASSERT_EQUAL(cfg.ttl_user, 31536000);
	CU_ASSERT_EQUAL(cfg.ttl_heartbeat, 30);
	CU_ASSERT_EQUAL(cfg.max_legs_per_conference, 1000);
	CU_ASSERT_EQUAL(cfg.max_ssrcs_per_leg, 4);
	CU_ASSERT_EQUAL(cfg.max_guest_uses, 100);
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "info");
}

static void
test_minimal_file_is_defaults_plus_required(void)
{
	static struct cp_config want;

	minimal_expected(&want);
	ASSERT_OK(doc(NULL));
	CU_ASSERT_EQUAL(memcmp(&cfg, &want, sizeof(cfg)), 0);
}

static void
test_every_option_is_read_into_its_field(void)
{
	ASSERT_OK(doc("relay.id", "\"relay-2.b_c\"", "relay.address", "\"203.0.113.7\"",
		      "relay.address6", "\"2001:db8::7\"", "relay.media_port", "50000",
		      "relay.suites", "( \"AEAD_AES_256_GCM\", \"AES_CM_128_HMAC_SHA1_32\" )",
		      "relay.dp_socket", "\"/tmp/dp.sock\"",
		      "api.address", "\"::\"", "api.port", "9443",
		      "api.tls_cert", "\"/a/cert.pem\"", "api.tls_key", "\"/a/key.pem\"",
		      "api.max_body", "1000", "api.max_headers", "9", "api.max_header_bytes", "2000",
		      "api.max_json_depth", "3", "api.max_connections", "7", "api.timeout", "5",
		      "security.key_file", "\"/k/ring\"", "security.totp_issuer", "\"Example Org\"",
		      "security.login_max_failures", "3", "security.source_max_failures", "11",
		      "security.lockout", "60", "security.audit_log", "\"/var/log/a.log\"",
		      NULL));
	CU_ASSERT_STRING_EQUAL(cfg.relay_id, "relay-2.b_c");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address, "203.0.113.7");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address6, "2001:db8::7");
	CU_ASSERT_EQUAL(cfg.media_port, 50000);
	CU_ASSERT_EQUAL(cfg.n_suites, 2);
	CU_ASSERT_EQUAL(cfg.suites[0], DP_SUITE_AEAD_AES_256_GCM);
	CU_ASSERT_EQUAL(cfg.suites[1], DP_SUITE_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_STRING_EQUAL(cfg.dp_socket, "/tmp/dp.sock");
	CU_ASSERT_STRING_EQUAL(cfg.api_address, "::");
	CU_ASSERT_EQUAL(cfg.api_port, 9443);
	CU_ASSERT_STRING_EQUAL(cfg.tls_cert, "/a/cert.pem");
	CU_ASSERT_STRING_EQUAL(cfg.tls_key, "/a/key.pem");
	CU_ASSERT_EQUAL(cfg.max_body, 1000);
	CU_ASSERT_EQUAL(cfg.max_headers, 9);
	CU_ASSERT_EQUAL(cfg.max_header_bytes, 2000);
	CU_ASSERT_EQUAL(cfg.max_json_depth, 3);
	CU_ASSERT_EQUAL(cfg.max_connections, 7);
	CU_ASSERT_EQUAL(cfg.timeout_s, 5);
	CU_ASSERT_STRING_EQUAL(cfg.key_file, "/k/ring");
	CU_ASSERT_STRING_EQUAL(cfg.totp_issuer, "Example Org");
	CU_ASSERT_EQUAL(cfg.login_max_failures, 3);
	CU_ASSERT_EQUAL(cfg.source_max_failures, 11);
	CU_ASSERT_EQUAL(cfg.lockout_s, 60);
	CU_ASSERT_STRING_EQUAL(cfg.audit_log, "/var/log/a.log");

	ASSERT_OK(doc("metrics.enabled", "false", "metrics.address", "\"::1\"",
		      "metrics.port", "9100",
		      "redis.host", "\"redis.example.net\"", "redis.port", "6380",
		      "redis.user", "\"sluice-cp\"", "redis.password_file", "\"/etc/r.pass\"",
		      "redis.tls", "true", "redis.tls_ca", "\"/etc/ca.pem\"",
		      "redis.tls_servername", "\"r.example.net\"", "redis.prefix", "\"t1:\"",
		      "ttl.session", "600", "ttl.guest_token_max", "700", "ttl.conference", "800",
		      "ttl.user", "90000", "ttl.heartbeat", "10",
		      "limits.legs_per_conference", "50", "limits.ssrcs_per_leg", "16",
		      "limits.guest_token_uses", "2", "log.level", "\"debug\"", NULL));
	CU_ASSERT_EQUAL(cfg.metrics_enabled, false);
	CU_ASSERT_STRING_EQUAL(cfg.metrics_address, "::1");
	CU_ASSERT_EQUAL(cfg.metrics_port, 9100);
	CU_ASSERT_STRING_EQUAL(cfg.redis_host, "redis.example.net");
	CU_ASSERT_EQUAL(cfg.redis_port, 6380);
	CU_ASSERT_STRING_EQUAL(cfg.redis_user, "sluice-cp");
	CU_ASSERT_STRING_EQUAL(cfg.redis_password_file, "/etc/r.pass");
	CU_ASSERT_EQUAL(cfg.redis_tls, true);
	CU_ASSERT_STRING_EQUAL(cfg.redis_ca, "/etc/ca.pem");
	CU_ASSERT_STRING_EQUAL(cfg.redis_servername, "r.example.net");
	CU_ASSERT_STRING_EQUAL(cfg.redis_prefix, "t1:");
	CU_ASSERT_EQUAL(cfg.ttl_session, 600);
	CU_ASSERT_EQUAL(cfg.ttl_guest_max, 700);
	CU_ASSERT_EQUAL(cfg.ttl_conference, 800);
	CU_ASSERT_EQUAL(cfg.ttl_user, 90000);
	CU_ASSERT_EQUAL(cfg.ttl_heartbeat, 10);
	CU_ASSERT_EQUAL(cfg.max_legs_per_conference, 50);
	CU_ASSERT_EQUAL(cfg.max_ssrcs_per_leg, 16);
	CU_ASSERT_EQUAL(cfg.max_guest_uses, 2);
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "debug");
}

static void
test_socket_path_is_read(void)
{
	ASSERT_OK(doc("redis.socket", "\"/run/redis/redis-server.sock\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.redis_socket, "/run/redis/redis-server.sock");
	CU_ASSERT_STRING_EQUAL(cfg.redis_host, "127.0.0.1");
}

static void
test_empty_optional_strings_mean_unset(void)
{
	ASSERT_OK(doc("relay.address6", "\"\"", "redis.socket", "\"\"", "redis.user", "\"\"",
		      "security.audit_log", "\"\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.relay_address6, "");
	CU_ASSERT_STRING_EQUAL(cfg.redis_socket, "");
	CU_ASSERT_STRING_EQUAL(cfg.audit_log, "");
}

static void
test_parse_string_names_the_text_in_messages(void)
{
	memset(&cfg, 0x5a, sizeof(cfg));
	CU_ASSERT_EQUAL(cp_config_parse_string("log = { level = \"loud\"; };\n", "mem.conf",
					       &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "mem.conf:1: log.level = \"loud\": must be one of error, "
				"warning, info, debug", 70), 0);
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);
	CU_ASSERT_EQUAL(cp_config_parse_string("x = 1;", NULL, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "(config):1: x: unknown section", 30), 0);
	CU_ASSERT_EQUAL(cp_config_parse_string(NULL, "n", &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);
}

/* ---- structure ---- */

static void
test_unknown_section_is_refused_with_its_line(void)
{
	ASSERT_ERR(doc("bogus.a", "1", NULL), 10, "bogus: unknown section; allowed: relay, api, "
		   "metrics, redis, security, ttl, limits, log");
	ASSERT_ERR(fmt("%sport = 8443;\n", doc(NULL)), 11, "port: unknown section");
}

static void
test_unknown_setting_is_refused_with_its_line(void)
{
	ASSERT_ERR(doc("api.bogus", "1", NULL), 5, "api.bogus: unknown setting; api allows "
		   "address, port, tls_cert, tls_key, max_body, max_headers, max_header_bytes, "
		   "max_json_depth, max_connections, timeout");
	ASSERT_ERR(doc("ttl.sessions", "60", NULL), 10, "ttl.sessions: unknown setting");
	ASSERT_ERR(doc("relay.port", "40000", NULL), 2, "relay.port: unknown setting");
}

static void
test_unknown_group_inside_a_section_is_refused(void)
{
	ASSERT_ERR(doc("limits.sub", "{ a = 1; }", NULL), 10, "limits.sub: unknown setting");
	ASSERT_ERR(fmt("%slog = {\n level = \"info\";\n  extra = ( 1 );\n};\n", doc(NULL)), 13,
		   "log.extra: unknown setting; log allows level");
}

static void
test_section_must_be_a_group(void)
{
	ASSERT_ERR(fmt("%slog = \"info\";\n", doc(NULL)), 11, "log: must be a group { ... }, "
		   "not a string");
	ASSERT_ERR(fmt("%sttl = ( 1 );\n", doc(NULL)), 11, "ttl: must be a group { ... }, not a "
		   "list");
}

static void
test_syntax_error_names_its_line(void)
{
	ASSERT_ERR(doc("api.port", "", NULL), 5, "syntax error");
	ASSERT_ERR("relay = {\n id = \"r1\";\n address = ;\n};\n", 3, "syntax error");
	ASSERT_ERR("relay = {\n id = \"r1\";", 2, "syntax error");
}

static void
test_duplicate_setting_is_refused(void)
{
	ASSERT_ERR(doc("api.port", "1; port = 2", NULL), 5, "duplicate setting name");
	ASSERT_ERR(fmt("%sapi = { port = 1; };\n", doc(NULL)), 11, "duplicate setting name");
}

static void
test_misplaced_string_is_a_syntax_error_on_its_line(void)
{
	ASSERT_ERR(fmt("%s\"x\"\n", doc(NULL)), 11, "syntax error");
	ASSERT_ERR(doc("relay.suites", "[ \"AEAD_AES_128_GCM\" \"x\" 1 \"y\" ]", NULL), 2,
		   "syntax error");
	ASSERT_ERR("log = {\n level \"info\";\n};\n", 2, "syntax error");
	/* an earlier error in the text is the one reported */
	ASSERT_ERR("log = {\n = 1;\n level \"info\";\n};\n", 2, "syntax error");
}

static void
test_include_is_refused(void)
{
	ASSERT_ERR(fmt("%s@include \"/etc/passwd\"\n", doc(NULL)), 11, "@ directives");
	/* in strings and comments it is only text */
	ASSERT_OK(doc("security.totp_issuer", "\"a\" # @include \"x\"", NULL));
}

static void
test_integers_beyond_32_bits_are_refused_not_wrapped(void)
{
	/* 4294968320 is 2^32 + 1024: libconfig alone would read 1024 */
	ASSERT_ERR(doc("api.max_body", "4294968320", NULL), 5, "4294968320: integer out of "
		   "32-bit range");
	ASSERT_ERR(doc("api.max_body", "0x100000400", NULL), 5, "0x100000400: integer out of "
		   "32-bit range");
	ASSERT_ERR(doc("api.max_body", "2147483648", NULL), 5, "integer out of 32-bit range");
	/* with L it is meant as 64 bits, and out of bounds */
	ASSERT_ERR(doc("api.max_body", "4294968320L", NULL), 5, "api.max_body = 4294968320: "
		   "must be in 256..1048576 (bytes)");
	ASSERT_OK(doc("api.max_body", "4096L", NULL));
	CU_ASSERT_EQUAL(cfg.max_body, 4096);
	ASSERT_OK(doc("api.max_body", "0x400", NULL));
	CU_ASSERT_EQUAL(cfg.max_body, 1024);
}

static void
test_deep_nesting_is_refused_before_parsing(void)
{
	char deep[256] = "log = ";

	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	strcat(deep, "1");
	ASSERT_ERR(deep, 1, "nested deeper than 8 levels");
}

static void
test_errors_are_listed_in_line_order(void)
{
	CU_ASSERT_EQUAL(load(doc("relay.id", "\"bad id\"", "api.port", "0",
				  "log.level", "\"loud\"", NULL)), -EINVAL);
	CU_ASSERT_EQUAL(n_lines(err), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, fmt("%s:2: relay.id = \"bad id\": must be 1..63 of "
					       "A-Z a-z 0-9 . _ -\n%s:5: api.port = 0: must be in "
					       "1..65535\n%s:10: log.level = \"loud\"", tmp_path,
					       tmp_path, tmp_path)));
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);
}

static void
test_many_errors_are_counted_and_err_stays_bounded(void)
{
	char text[8192], small[48];
	const char *want;

	/* log starts on line 11, x0 is on line 12 */
	snprintf(text, sizeof(text), "%slog = {\n", doc(NULL));
	for (int i = 0; i < 50; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " x%d = 1;\n", i);
	strcat(text, "};\n");
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "\n" ));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, fmt("%s: 18 more errors not shown", tmp_path)));
	want = fmt("%s:12: log.x0: unknown setting; log allows level\n", tmp_path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);

	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(cp_config_parse_string(text, "f", &cfg, small, 20), -EINVAL);
	CU_ASSERT_STRING_EQUAL(small, "f:12: log.x0: unkno");
	CU_ASSERT_EQUAL(small[20], 'x');
	/* no room at all: nothing written, no crash */
	CU_ASSERT_EQUAL(cp_config_parse_string(text, "f", &cfg, NULL, 0), -EINVAL);
}

/* ---- types ---- */

static void
test_wrong_types_are_refused(void)
{
	ASSERT_ERR(doc("api.port", "\"8443\"", NULL), 5, "api.port: must be an integer in "
		   "1..65535, not a string");
	ASSERT_ERR(doc("ttl.session", "600.0", NULL), 10, "ttl.session: must be an integer in "
		   "60..604800 (seconds), not a float");
	ASSERT_ERR(doc("limits.ssrcs_per_leg", "true", NULL), 10, "limits.ssrcs_per_leg: must "
		   "be an integer in 1..16 (SSRCs), not a boolean");
	ASSERT_ERR(doc("metrics.enabled", "1", NULL), 10, "metrics.enabled: must be true or "
		   "false, not an integer");
	ASSERT_ERR(doc("redis.tls", "\"yes\"", NULL), 10, "redis.tls: must be true or false, "
		   "not a string");
	ASSERT_ERR(doc("relay.id", "42", NULL), 2, "relay.id: must be a string, not an integer");
	ASSERT_ERR(doc("log.level", "[ \"info\" ]", NULL), 10, "log.level: must be a string, "
		   "not an array");
	ASSERT_ERR(doc("api.tls_cert", "{ }", NULL), 5, "api.tls_cert: must be a string, not a "
		   "group");
}

/* ---- bounds ---- */

static const struct {
	const char *path;
	uint32_t min, max;
	size_t offset, size;
	const char *extra_path, *extra_value;   /* keeps a cross check satisfied */
} uint_rows[] = {
#define U(p, lo, hi, f) p, lo, hi, offsetof(struct cp_config, f), \
	sizeof(((struct cp_config *)NULL)->f)
	{ U("relay.media_port", 1024, 65535, media_port), NULL, NULL },
	{ U("api.port", 1, 65535, api_port), NULL, NULL },
	{ U("api.max_body", 256, 1048576, max_body), NULL, NULL },
	{ U("api.max_headers", 8, 256, max_headers), NULL, NULL },
	{ U("api.max_header_bytes", 1024, 65536, max_header_bytes), NULL, NULL },
	{ U("api.max_json_depth", 2, 64, max_json_depth), NULL, NULL },
	{ U("api.max_connections", 1, 65536, max_connections), NULL, NULL },
	{ U("api.timeout", 1, 600, timeout_s), NULL, NULL },
	{ U("metrics.port", 1, 65535, metrics_port), NULL, NULL },
	{ U("redis.port", 1, 65535, redis_port), NULL, NULL },
	{ U("security.login_max_failures", 1, 1000, login_max_failures), NULL, NULL },
	{ U("security.source_max_failures", 1, 100000, source_max_failures), NULL, NULL },
	{ U("security.lockout", 1, 604800, lockout_s), NULL, NULL },
	{ U("ttl.session", 60, 604800, ttl_session), NULL, NULL },
	{ U("ttl.guest_token_max", 60, 2592000, ttl_guest_max), "ttl.conference", "2592000" },
	{ U("ttl.conference", 60, 2592000, ttl_conference), "ttl.guest_token_max", "60" },
	{ U("ttl.user", 3600, 315360000, ttl_user), NULL, NULL },
	{ U("ttl.heartbeat", 1, 3600, ttl_heartbeat), NULL, NULL },
	{ U("limits.legs_per_conference", 1, 100000, max_legs_per_conference), NULL, NULL },
	{ U("limits.ssrcs_per_leg", 1, 16, max_ssrcs_per_leg), NULL, NULL },
	{ U("limits.guest_token_uses", 1, 100000, max_guest_uses), NULL, NULL },
#undef U
};

static uint32_t
field_value(size_t offset, size_t size)
{
	const char *p = (const char *)&cfg + offset;

	if (size == sizeof(uint16_t))
		return *(const uint16_t *)(const void *)p;
	return *(const uint32_t *)(const void *)p;
}

static void
test_integer_bounds_at_their_edges(void)
{
	for (size_t i = 0; i < ARRAY_LEN(uint_rows); i++) {
		const char *path = uint_rows[i].path;
		const char *xp = uint_rows[i].extra_path, *xv = uint_rows[i].extra_value;
		uint32_t lo = uint_rows[i].min, hi = uint_rows[i].max;
		int line = line_of(path);

		ASSERT_OK(doc(path, fmt("%u", lo), xp, xv, NULL));
		CU_ASSERT_EQUAL(field_value(uint_rows[i].offset, uint_rows[i].size), lo);
		ASSERT_OK(doc(path, fmt("%u", hi), xp, xv, NULL));
		CU_ASSERT_EQUAL(field_value(uint_rows[i].offset, uint_rows[i].size), hi);
		ASSERT_ERR(doc(path, fmt("%u", lo - 1), xp, xv, NULL), line,
			   fmt("%s = %u: must be in %u..%u", path, lo - 1, lo, hi));
		ASSERT_ERR(doc(path, fmt("%u", hi + 1), xp, xv, NULL), line,
			   fmt("%s = %u: must be in %u..%u", path, hi + 1, lo, hi));
		ASSERT_ERR(doc(path, "-1", xp, xv, NULL), line,
			   fmt("%s = -1: must be in %u..%u", path, lo, hi));
	}
}

static void
test_string_lengths_at_their_edges(void)
{
	static char long_path[PATH_MAX + 8];
	char id[80];

	memset(id, 'a', sizeof(id));
	id[63] = '\0';
	ASSERT_OK(doc("relay.id", fmt("\"%s\"", id), NULL));
	CU_ASSERT_EQUAL(strlen(cfg.relay_id), 63);
	id[63] = 'a';
	id[64] = '\0';
	ASSERT_ERR(doc("relay.id", fmt("\"%s\"", id), NULL), 2, "relay.id = \"aaaa");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "must be 1..63 bytes long"));
	ASSERT_ERR(doc("relay.id", "\"\"", NULL), 2, "relay.id = \"\": must be 1..63 bytes long");

	/* a socket path: 107 bytes fit in sun_path with the NUL */
	memset(long_path, 'd', sizeof(long_path));
	long_path[0] = '/';
	long_path[107] = '\0';
	ASSERT_OK(doc("relay.dp_socket", fmt("\"%s\"", long_path), NULL));
	CU_ASSERT_EQUAL(strlen(cfg.dp_socket), 107);
	long_path[107] = 'd';
	long_path[108] = '\0';
	ASSERT_ERR(doc("relay.dp_socket", fmt("\"%s\"", long_path), NULL), 2,
		   "must be 2..107 bytes long");
	ASSERT_ERR(doc("redis.socket", fmt("\"%s\"", long_path), NULL), 10,
		   "must be 0..107 bytes long");

	/* a file path: PATH_MAX - 1 bytes */
	memset(long_path, 'p', sizeof(long_path));
	long_path[0] = '/';
	long_path[PATH_MAX - 1] = '\0';
	ASSERT_OK(doc("api.tls_cert", fmt("\"%s\"", long_path), NULL));
	CU_ASSERT_EQUAL(strlen(cfg.tls_cert), PATH_MAX - 1);
	long_path[PATH_MAX - 1] = 'p';
	long_path[PATH_MAX] = '\0';
	ASSERT_ERR(doc("api.tls_cert", fmt("\"%s\"", long_path), NULL), 5,
		   fmt("must be 2..%d bytes long", PATH_MAX - 1));

	ASSERT_OK(doc("redis.prefix", "\"abcdefghijklmnopqrstuvwxyz01234\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.redis_prefix, "abcdefghijklmnopqrstuvwxyz01234");
	ASSERT_ERR(doc("redis.prefix", "\"abcdefghijklmnopqrstuvwxyz012345\"", NULL), 10,
		   "must be 1..31 bytes long");
	ASSERT_ERR(doc("redis.prefix", "\"\"", NULL), 10, "must be 1..31 bytes long");
}

/* ---- value syntax ---- */

static void
test_relay_id_charset(void)
{
	static const char *const bad[] = { "r 1", "r/1", "r:1", "r@1", "caf\\xc3\\xa9", "r\\n" };

	ASSERT_OK(doc("relay.id", "\"Relay_1.a-B\"", NULL));
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ASSERT_ERR(doc("relay.id", fmt("\"%s\"", bad[i]), NULL), 2,
			   "must be 1..63 of A-Z a-z 0-9 . _ -");
}

static void
test_relay_address_must_be_a_unicast_ipv4_literal(void)
{
	static const char *const not_v4[] = {
		"198.18.0", "198.18.0.1.2", "198.18.0.256", "::1", "2001:db8::1", "relay.example",
		"198.18.0.1/24", " 198.18.0.1",
	};
	static const char *const special[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.1.1", "255.255.255.255",
	};

	ASSERT_OK(doc("relay.address", "\"203.0.113.7\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.relay_address, "203.0.113.7");
	for (size_t i = 0; i < ARRAY_LEN(not_v4); i++)
		ASSERT_ERR(doc("relay.address", fmt("\"%s\"", not_v4[i]), NULL), 2,
			   "must be an IPv4 address");
	for (size_t i = 0; i < ARRAY_LEN(special); i++)
		ASSERT_ERR(doc("relay.address", fmt("\"%s\"", special[i]), NULL), 2,
			   "must be a unicast address participants can reach");
}

static void
test_relay_address6_must_be_a_global_ipv6_literal(void)
{
	static const char *const not_v6[] = {
		"198.18.0.1", "2001:db8::g", "2001:db8::1%eth0", "[2001:db8::1]", "2001:db8::/64",
	};
	static const char *const special[] = {
		"::", "::1", "fe80::1", "febf::1", "ff02::1", "::ffff:198.18.0.1",
	};

	ASSERT_OK(doc("relay.address6", "\"2001:DB8:5C::1\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.relay_address6, "2001:DB8:5C::1");
	for (size_t i = 0; i < ARRAY_LEN(not_v6); i++)
		ASSERT_ERR(doc("relay.address6", fmt("\"%s\"", not_v6[i]), NULL), 2,
			   "must be an IPv6 address");
	for (size_t i = 0; i < ARRAY_LEN(special); i++)
		ASSERT_ERR(doc("relay.address6", fmt("\"%s\"", special[i]), NULL), 2,
			   "must be a global unicast address");
}

static void
test_listen_addresses_are_ip_literals(void)
{
	ASSERT_OK(doc("api.address", "\"0.0.0.0\"", NULL));
	ASSERT_OK(doc("api.address", "\"::1\"", "metrics.address", "\"198.18.0.1\"", NULL));
	ASSERT_ERR(doc("api.address", "\"localhost\"", NULL), 5,
		   "api.address = \"localhost\": must be an IPv4 or IPv6 address");
	ASSERT_ERR(doc("metrics.address", "\"127.0.0.1:9464\"", NULL), 10,
		   "metrics.address = \"127.0.0.1:9464\": must be an IPv4 or IPv6 address");
}

static void
test_redis_host_is_a_name_or_address(void)
{
	static const char *const good[] = {
		"localhost", "redis.example.net", "r-1.b2", "10.0.0.5", "fd00::5",
	};
	static const char *const bad[] = {
		"-redis", "redis-", "a..b", ".a", "a.", "re dis", "re_dis", "redis:6379",
	};
	char label[80];

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		ASSERT_OK(doc("redis.host", fmt("\"%s\"", good[i]), NULL));
		CU_ASSERT_STRING_EQUAL(cfg.redis_host, good[i]);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ASSERT_ERR(doc("redis.host", fmt("\"%s\"", bad[i]), NULL), 10,
			   "must be a host name (labels of A-Z a-z 0-9 -) or an IP address");
	/* labels of up to 63 bytes */
	memset(label, 'a', sizeof(label));
	label[63] = '\0';
	ASSERT_OK(doc("redis.host", fmt("\"%s.net\"", label), NULL));
	CU_ASSERT_EQUAL(strlen(cfg.redis_host), 67);
	label[63] = 'a';
	label[64] = '\0';
	ASSERT_ERR(doc("redis.host", fmt("\"%s.net\"", label), NULL), 10,
		   "must be a host name");
}

static void
test_paths_must_be_absolute_and_plain(void)
{
	ASSERT_ERR(doc("api.tls_key", "\"tls.key\"", NULL), 5, "api.tls_key = \"tls.key\": "
		   "must be an absolute file path");
	ASSERT_ERR(doc("security.key_file", "\"/etc/sluice/\"", NULL), 8,
		   "must be an absolute file path");
	ASSERT_ERR(doc("redis.password_file", "\"/etc/a\\nb\"", NULL), 10,
		   "redis.password_file = \"/etc/a\\x0ab\": must not contain control characters");
	ASSERT_ERR(doc("relay.dp_socket", "\"dp.sock\"", NULL), 2, "must be an absolute file "
		   "path");
	ASSERT_ERR(doc("redis.socket", "\"redis.sock\"", NULL), 10, "must be an absolute file "
		   "path");
	ASSERT_ERR(doc("redis.tls", "true", "redis.tls_ca", "\"ca.pem\"", NULL), 10,
		   "must be an absolute file path");
	ASSERT_ERR(doc("security.audit_log", "\"audit.log\"", NULL), 8,
		   "must be an absolute file path");
}

static void
test_other_string_syntax(void)
{
	ASSERT_ERR(doc("log.level", "\"INFO\"", NULL), 10, "log.level = \"INFO\": must be one "
		   "of error, warning, info, debug");
	ASSERT_ERR(doc("log.level", "\"verbose\"", NULL), 10, "must be one of");
	ASSERT_OK(doc("log.level", "\"warning\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "warning");
	ASSERT_OK(doc("log.level", "\"error\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "error");

	ASSERT_OK(doc("security.totp_issuer", "\"Sluice Relay 2\"", NULL));
	ASSERT_ERR(doc("security.totp_issuer", "\"Org:Sluice\"", NULL), 8,
		   "must be of A-Z a-z 0-9 space . _ -");
	ASSERT_ERR(doc("security.totp_issuer", "\" Sluice\"", NULL), 8,
		   "not starting or ending with a space");

	ASSERT_ERR(doc("redis.user", "\"sluice cp\"", NULL), 10, "redis.user = \"sluice cp\": "
		   "must be printable ASCII without spaces");
	ASSERT_ERR(doc("redis.prefix", "\"sl/\"", NULL), 10, "must be of A-Z a-z 0-9 : . _ -");
}

static void
test_quoted_values_are_safe_for_a_terminal(void)
{
	char val[1024] = "";

	ASSERT_ERR(doc("relay.id", "\"a\\x1b[2Jb\\\"c\"", NULL), 2,
		   "relay.id = \"a\\x1b[2Jb\\\"c\":");
	/* long values are cut short in messages */
	for (int i = 0; i < 200; i++)
		strcat(val, "\\x01");
	ASSERT_ERR(doc("relay.id", fmt("\"%s\"", val), NULL), 2, "\\x01\\x01...\": must be");
	CU_ASSERT(strlen(err) < strlen(tmp_path) + 160);
}

/* ---- suites ---- */

static void
test_suites_default_and_forms(void)
{
	ASSERT_OK(doc(NULL));
	CU_ASSERT_EQUAL(cfg.n_suites, 1);
	CU_ASSERT_EQUAL(cfg.suites[0], DP_SUITE_AES_CM_128_HMAC_SHA1_80);

	ASSERT_OK(doc("relay.suites", "( \"AEAD_AES_128_GCM\" )", NULL));
	CU_ASSERT_EQUAL(cfg.n_suites, 1);
	CU_ASSERT_EQUAL(cfg.suites[0], DP_SUITE_AEAD_AES_128_GCM);

	ASSERT_OK(doc("relay.suites", "[ \"AEAD_AES_256_GCM\", \"AEAD_AES_128_GCM\", "
		      "\"AES_CM_128_HMAC_SHA1_32\", \"AES_CM_128_HMAC_SHA1_80\" ]", NULL));
	CU_ASSERT_EQUAL(cfg.n_suites, 4);
	CU_ASSERT_EQUAL(cfg.suites[0], DP_SUITE_AEAD_AES_256_GCM);
	CU_ASSERT_EQUAL(cfg.suites[1], DP_SUITE_AEAD_AES_128_GCM);
	CU_ASSERT_EQUAL(cfg.suites[2], DP_SUITE_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_EQUAL(cfg.suites[3], DP_SUITE_AES_CM_128_HMAC_SHA1_80);
}

static void
test_suites_refusals(void)
{
	ASSERT_ERR(doc("relay.suites", "[ \"AES_CM_128_HMAC_SHA1_80\", \"AES_CM_128_HMAC_SHA1_81\" ]",
		       NULL), 2, "relay.suites[1] = \"AES_CM_128_HMAC_SHA1_81\": unknown suite");
	ASSERT_ERR(doc("relay.suites", "[ \"AEAD_AES_128_GCM\", \"AEAD_AES_128_GCM\" ]", NULL), 2,
		   "relay.suites[1] = \"AEAD_AES_128_GCM\": listed twice");
	ASSERT_ERR(doc("relay.suites", "[ ]", NULL), 2, "relay.suites: has 0 entries, allowed "
		   "1..4");
	ASSERT_ERR(doc("relay.suites", "[ \"AEAD_AES_256_GCM\", \"AEAD_AES_128_GCM\", "
		       "\"AES_CM_128_HMAC_SHA1_32\", \"AES_CM_128_HMAC_SHA1_80\", \"X\" ]", NULL), 2,
		   "relay.suites: has 5 entries, allowed 1..4");
	ASSERT_ERR(doc("relay.suites", "\"AEAD_AES_128_GCM\"", NULL), 2, "relay.suites: must be "
		   "a list of suite names");
	ASSERT_ERR(doc("relay.suites", "( 1 )", NULL), 2, "relay.suites[0]: must be a suite "
		   "name, not an integer");
	ASSERT_ERR(doc("relay.suites", "( \"NONE\" )", NULL), 2, "unknown suite");
}

/* ---- required options and checks across options ---- */

static void
test_required_options_are_reported_missing(void)
{
	static const struct {
		const char *path;
		int line;                 /* where its section starts in doc() */
	} req[] = {
		{ "relay.id", 1 }, { "relay.address", 1 }, { "relay.media_port", 1 },
		{ "api.tls_cert", 4 }, { "api.tls_key", 4 }, { "security.key_file", 7 },
	};

	for (size_t i = 0; i < ARRAY_LEN(req); i++)
		ASSERT_ERR(doc(req[i].path, NULL, NULL), req[i].line,
			   fmt("%s: missing; required", req[i].path));
	/* no section at all: no line to name */
	ASSERT_ERR("relay = { id = \"r1\"; address = \"198.18.0.1\"; media_port = 40000; };\n"
		   "api = { tls_cert = \"/c\"; tls_key = \"/k\"; };\n", 0,
		   "security.key_file: missing; required");
	CU_ASSERT_EQUAL(load(""), -EINVAL);
	CU_ASSERT_EQUAL(n_lines(err), 6);
}

static void
test_redis_tls_needs_a_host_not_a_socket(void)
{
	ASSERT_ERR(doc("redis.tls", "true", "redis.socket", "\"/run/redis.sock\"", NULL), 10,
		   "redis.tls = true: needs redis.host");
	ASSERT_ERR(fmt("%sredis = {\n socket = \"/run/redis.sock\";\n tls = true;\n};\n",
		       doc(NULL)), 13, "redis.tls = true: needs redis.host");
}

static void
test_redis_tls_servername_defaults_to_host(void)
{
	ASSERT_OK(doc("redis.tls", "true", "redis.host", "\"redis.example.net\"", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.redis_servername, "redis.example.net");
	ASSERT_OK(doc("redis.tls", "true", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.redis_servername, "127.0.0.1");
	ASSERT_OK(doc("redis.tls", "false", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.redis_servername, "");
}

static void
test_redis_tls_settings_need_tls(void)
{
	ASSERT_ERR(doc("redis.tls_ca", "\"/etc/ca.pem\"", NULL), 10,
		   "redis.tls_ca: set, but redis.tls is false");
	ASSERT_ERR(doc("redis.tls", "false", "redis.tls_servername", "\"r.example.net\"", NULL), 10,
		   "redis.tls_servername: set, but redis.tls is false");
}

static void
test_guest_token_ttl_at_most_conference_ttl(void)
{
	ASSERT_OK(doc("ttl.guest_token_max", "3600", "ttl.conference", "3600", NULL));
	CU_ASSERT_EQUAL(cfg.ttl_guest_max, 3600);
	ASSERT_ERR(doc("ttl.guest_token_max", "3601", "ttl.conference", "3600", NULL), 10,
		   "ttl.guest_token_max = 3601: must be at most ttl.conference = 3600");
	/* the default guest maximum against a short conference */
	ASSERT_ERR(fmt("%sttl = {\n conference = 600;\n};\n", doc(NULL)), 12,
		   "ttl.guest_token_max = 86400: must be at most ttl.conference = 600");
}

static void
test_metrics_may_not_share_the_api_port(void)
{
	ASSERT_ERR(doc("metrics.port", "8443", NULL), 10, "metrics.port = 8443: the API listens "
		   "there too");
	ASSERT_ERR(doc("metrics.port", "8443", "metrics.address", "\"::\"", NULL), 10,
		   "the API listens there too");
	ASSERT_ERR(doc("api.address", "\"0.0.0.0\"", "metrics.port", "8443", NULL), 10,
		   "the API listens there too");
	ASSERT_OK(doc("metrics.port", "8443", "metrics.address", "\"127.0.0.2\"", NULL));
	ASSERT_OK(doc("metrics.port", "8443", "metrics.enabled", "false", NULL));
}

/* ---- files ---- */

static void
test_file_problems_are_refused(void)
{
	static const char nul[] = "log = { level = \"info\"; };\n\0\n";
	char *big;

	memset(&cfg, 0x5a, sizeof(cfg));
	CU_ASSERT_EQUAL(cp_config_load("/nonexistent/sluice-cp.conf", &cfg, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/sluice-cp.conf: cannot open: No such file or "
			       "directory");
	CU_ASSERT_EQUAL(cp_config_load("/tmp", &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/tmp: not a regular file"));
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);

	CU_ASSERT_FATAL(write_tmp(nul, sizeof(nul) - 1) == 0);
	CU_ASSERT_EQUAL(cp_config_load(tmp_path, &cfg, err, sizeof(err)), -EINVAL);
	unlink(tmp_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "contains a NUL byte"));

	big = malloc((1u << 20) + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, '\n', (1u << 20) + 1);
	CU_ASSERT_FATAL(write_tmp(big, (1u << 20) + 1) == 0);
	CU_ASSERT_EQUAL(cp_config_load(tmp_path, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file of at most 1048576 bytes"));
	unlink(tmp_path);
	free(big);
	CU_ASSERT_EQUAL(memcmp(&cfg, &sentinel, sizeof(cfg)), 0);
}

static void
test_comments_and_layout_are_free(void)
{
	ASSERT_OK("# a comment\n"
		  "relay : { id = \"r1\"; address = \"198.18.\" \"0.1\"; // split string\n"
		  "  media_port = 40000 }\n"
		  "/* block\n comment */ api = { tls_cert = \"/c\", tls_key = \"/k\" };\n"
		  "security = { key_file = \"/k2\"; }\n");
	CU_ASSERT_STRING_EQUAL(cfg.relay_address, "198.18.0.1");
	CU_ASSERT_STRING_EQUAL(cfg.tls_key, "/k");
}

static const struct ut_test example_tests[] = {
	{ "example file loads with its values", test_example_file_loads_with_its_values },
	{ "example file sets every option", test_example_file_sets_every_option },
	{ "defaults are documented values", test_defaults_are_documented_values },
	{ "minimal file is defaults plus required", test_minimal_file_is_defaults_plus_required },
	{ "every option is read into its field", test_every_option_is_read_into_its_field },
	{ "socket path is read", test_socket_path_is_read },
	{ "empty optional strings mean unset", test_empty_optional_strings_mean_unset },
	{ "parse_string names the text in messages",
	  test_parse_string_names_the_text_in_messages },
	{ "comments and layout are free", test_comments_and_layout_are_free },
	{ NULL, NULL },
};

static const struct ut_test structure_tests[] = {
	{ "unknown section is refused with its line",
	  test_unknown_section_is_refused_with_its_line },
	{ "unknown setting is refused with its line",
	  test_unknown_setting_is_refused_with_its_line },
	{ "unknown group inside a section is refused",
	  test_unknown_group_inside_a_section_is_refused },
	{ "section must be a group", test_section_must_be_a_group },
	{ "syntax error names its line", test_syntax_error_names_its_line },
	{ "duplicate setting is refused", test_duplicate_setting_is_refused },
	{ "misplaced string is a syntax error on its line",
	  test_misplaced_string_is_a_syntax_error_on_its_line },
	{ "@include is refused", test_include_is_refused },
	{ "integers beyond 32 bits are refused, not wrapped",
	  test_integers_beyond_32_bits_are_refused_not_wrapped },
	{ "deep nesting is refused before parsing", test_deep_nesting_is_refused_before_parsing },
	{ "errors are listed in line order", test_errors_are_listed_in_line_order },
	{ "many errors are counted and err stays bounded",
	  test_many_errors_are_counted_and_err_stays_bounded },
	{ "file problems are refused", test_file_problems_are_refused },
	{ NULL, NULL },
};

static const struct ut_test value_tests[] = {
	{ "wrong types are refused", test_wrong_types_are_refused },
	{ "integer bounds at their edges", test_integer_bounds_at_their_edges },
	{ "string lengths at their edges", test_string_lengths_at_their_edges },
	{ "relay.id charset", test_relay_id_charset },
	{ "relay.address must be a unicast IPv4 literal",
	  test_relay_address_must_be_a_unicast_ipv4_literal },
	{ "relay.address6 must be a global IPv6 literal",
	  test_relay_address6_must_be_a_global_ipv6_literal },
	{ "listen addresses are IP literals", test_listen_addresses_are_ip_literals },
	{ "redis.host is a name or address", test_redis_host_is_a_name_or_address },
	{ "paths must be absolute and plain", test_paths_must_be_absolute_and_plain },
	{ "other string syntax", test_other_string_syntax },
	{ "quoted values are safe for a terminal", test_quoted_values_are_safe_for_a_terminal },
	{ "suites: default and forms", test_suites_default_and_forms },
	{ "suites: refusals", test_suites_refusals },
	{ NULL, NULL },
};

static const struct ut_test across_tests[] = {
	{ "required options are reported missing", test_required_options_are_reported_missing },
	{ "redis.tls needs a host, not a socket", test_redis_tls_needs_a_host_not_a_socket },
	{ "redis.tls_servername defaults to host", test_redis_tls_servername_defaults_to_host },
	{ "redis TLS settings need tls", test_redis_tls_settings_need_tls },
	{ "guest token TTL at most conference TTL", test_guest_token_ttl_at_most_conference_ttl },
	{ "metrics may not share the API port", test_metrics_may_not_share_the_api_port },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "cp_conf example and defaults", suite_init, NULL, example_tests },
	{ "cp_conf structure", suite_init, NULL, structure_tests },
	{ "cp_conf values", suite_init, NULL, value_tests },
	{ "cp_conf across options", suite_init, NULL, across_tests },
	{ NULL, NULL, NULL, NULL },
};

static const char *
find_example(int argc, char **argv)
{
	static char buf[PATH_MAX];
	static const char *const rel[] = {
		"conf/sluice-cp.conf", "../conf/sluice-cp.conf", "../../conf/sluice-cp.conf",
	};
	const char *root = getenv("SLUICE_SOURCE_ROOT");

	if (argc > 1)
		return argv[1];
	if (root != NULL) {
		snprintf(buf, sizeof(buf), "%s/conf/sluice-cp.conf", root);
		return buf;
	}
	for (size_t i = 0; i < ARRAY_LEN(rel); i++)
		if (access(rel[i], R_OK) == 0)
			return rel[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	example_path = find_example(argc, argv);
	return ut_run(suites);
}
