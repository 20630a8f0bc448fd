/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-cp: the control plane of one relay. One libevent loop runs the HTTPS API, the
 * metrics listener, the Redis client, the dataplane client and the timers; signals only
 * reach the loop (SIGHUP reloads, SIGINT/SIGTERM stop).
 *
 * Exit status: 0 clean stop (or configuration valid), 1 bad configuration or arguments,
 * 2 a start-up failure (listener, TLS, keyring, memory).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

#include "cp_api.h"
#include "cp_conf.h"
#include "cp_crypto.h"
#include "cp_dp.h"
#include "cp_http.h"
#include "cp_log.h"
#include "cp_metrics.h"
#include "cp_password.h"
#include "cp_redis.h"
#include "cp_relay.h"
#include "cp_server.h"
#include "cp_store.h"
#include "cp_tls.h"
#include "cp_work.h"

#define EXIT_CONFIG 1
#define EXIT_START 2

/* Password hashing off the loop: one thread a core of this size of machine, and a bound
 * on logins waiting, beyond which they get 503. */
#define WORK_THREADS 2
#define WORK_QUEUE 64

static const char *version = "0.1.0";

struct daemon {
	struct cp_server s;
	const char *conf_path;
	SSL_CTX *api_tls;
	SSL_CTX *redis_tls;
	char redis_password[256];
	struct event *sig_int, *sig_term, *sig_hup;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-cp -c FILE [--check-config]\n"
		"       sluice-cp -c FILE --add-admin NAME  (password: one line on stdin)\n"
		"       sluice-cp --gen-key FILE\n"
		"       sluice-cp --version\n"
		"  -c, --config FILE   the node's configuration (example: conf/sluice-cp.conf)\n"
		"  --check-config      validate the configuration, keyring and TLS files, then exit\n"
		"  --add-admin NAME    create the first admin in Redis; prints its TOTP enrolment and\n"
		"                      recovery codes as JSON (shown once)\n"
		"  --gen-key FILE      write a new keyring file (mode 0600) for security.key_file\n"
		"exit status: 0 ok, 1 configuration or usage error, 2 start-up failure\n");
}

/* The first line of a secret file that only its owner may read. */
static int
read_secret_file(const char *path, char *out, size_t cap, char *err, size_t err_len)
{
	struct stat st;
	FILE *f;
	size_t n;

	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, err_len, "%.200s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, err_len, "%.200s: readable by group or others (chmod 600)", path);
		fclose(f);
		return -EPERM;
	}
	if (fgets(out, (int)cap, f) == NULL)
		out[0] = '\0';
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return 0;
}

/* Loads what the configuration points to: keyring and TLS contexts. */
static int
load_files(const struct cp_config *cfg, struct cp_keyring *ring, SSL_CTX **api_tls,
	   SSL_CTX **redis_tls, char *pw, size_t pw_len, char *err, size_t err_len)
{
	*api_tls = NULL;
	*redis_tls = NULL;
	pw[0] = '\0';
	if (cp_keyring_load(cfg->key_file, ring, err, err_len) != 0)
		return -1;
	*api_tls = cp_tls_server_ctx(cfg->tls_cert, cfg->tls_key, err, err_len);
	if (*api_tls == NULL)
		goto fail;
	if (cfg->redis_tls) {
		*redis_tls = cp_tls_client_ctx(cfg->redis_ca[0] != '\0' ? cfg->redis_ca : NULL,
					       err, err_len);
		if (*redis_tls == NULL)
			goto fail;
	}
	if (cfg->redis_password_file[0] != '\0' &&
	    read_secret_file(cfg->redis_password_file, pw, pw_len, err, err_len) != 0)
		goto fail;
	return 0;
fail:
	cp_keyring_wipe(ring);
	SSL_CTX_free(*api_tls);
	SSL_CTX_free(*redis_tls);
	*api_tls = NULL;
	*redis_tls = NULL;
	return -1;
}

static void
on_redis_state(struct cp_redis *r, bool up, void *arg)
{
	struct cp_server *s = arg;

	(void)r;
	if (up) {
		CP_LOG(INFO, "Redis connected");
		cp_relay_heartbeat(s);
		cp_relay_reconcile(s);
	} else {
		s->c.redis_down_events++;
		CP_LOG(WARNING, "Redis connection lost; state changes answer 503 until it is back");
	}
}

static void
on_dp_state(struct cp_dp *d, bool up, void *arg)
{
	struct cp_server *s = arg;

	(void)d;
	if (up) {
		CP_LOG(INFO, "dataplane connected");
		cp_relay_reconcile(s);
	} else {
		s->c.dp_down_events++;
		CP_LOG(WARNING, "dataplane connection lost");
	}
}

/* Settings that only a restart changes; a reload keeps their running values. */
static void
keep_restart_only(const struct cp_config *old, struct cp_config *neu)
{
	if (strcmp(old->api_address, neu->api_address) != 0 || old->api_port != neu->api_port ||
	    strcmp(old->redis_host, neu->redis_host) != 0 || old->redis_port != neu->redis_port ||
	    strcmp(old->redis_socket, neu->redis_socket) != 0 ||
	    strcmp(old->dp_socket, neu->dp_socket) != 0 ||
	    strcmp(old->relay_id, neu->relay_id) != 0 ||
	    old->metrics_enabled != neu->metrics_enabled ||
	    old->metrics_port != neu->metrics_port)
		CP_LOG(WARNING, "reload: listeners, Redis, dataplane socket and relay id change "
		       "only with a restart; keeping the running ones");
	memcpy(neu->api_address, old->api_address, sizeof(neu->api_address));
	neu->api_port = old->api_port;
	memcpy(neu->redis_host, old->redis_host, sizeof(neu->redis_host));
	neu->redis_port = old->redis_port;
	memcpy(neu->redis_socket, old->redis_socket, sizeof(neu->redis_socket));
	memcpy(neu->dp_socket, old->dp_socket, sizeof(neu->dp_socket));
	memcpy(neu->relay_id, old->relay_id, sizeof(neu->relay_id));
	memcpy(neu->redis_prefix, old->redis_prefix, sizeof(neu->redis_prefix));
	neu->metrics_enabled = old->metrics_enabled;
	memcpy(neu->metrics_address, old->metrics_address, sizeof(neu->metrics_address));
	neu->metrics_port = old->metrics_port;
}

static void
reload(struct daemon *d)
{
	struct cp_config *cfg = malloc(sizeof(*cfg));
	struct cp_keyring ring;
	SSL_CTX *api_tls, *redis_tls;
	char err[512], pw[256];

	if (cfg == NULL)
		return;
	if (cp_config_load(d->conf_path, cfg, err, sizeof(err)) != 0 ||
	    load_files(cfg, &ring, &api_tls, &redis_tls, pw, sizeof(pw), err, sizeof(err)) != 0) {
		CP_LOG(ERROR, "reload refused, the running configuration stays: %s", err);
		free(cfg);
		return;
	}
	keep_restart_only(&d->s.cfg, cfg);
	d->s.cfg = *cfg;
	cp_keyring_wipe(&d->s.ring);
	d->s.ring = ring;
	cp_wipe(&ring, sizeof(ring));
	cp_http_set_tls(d->s.api, api_tls);
	SSL_CTX_free(d->api_tls);
	d->api_tls = api_tls;
	/* The Redis connection keeps its TLS context until it reconnects with a restart. */
	SSL_CTX_free(redis_tls);
	cp_wipe(pw, sizeof(pw));
	cp_log_set_level((enum cp_log_level)cp_log_level_parse(cfg->log_level));
	cp_audit_close();
	if (cp_audit_open(cfg->audit_log) != 0)
		CP_LOG(ERROR, "cannot reopen the audit log");
	free(cfg);
	CP_LOG(INFO, "configuration reloaded");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	CP_LOG(INFO, "stopping");
	event_base_loopbreak(d->s.base);
}

static int
start(struct daemon *d, char *err, size_t err_len)
{
	struct cp_server *s = &d->s;
	const struct cp_config *cfg = &s->cfg;
	struct cp_redis_opts ro = {
		.host = cfg->redis_host,
		.port = cfg->redis_port,
		.unix_path = cfg->redis_socket,
		.user = cfg->redis_user,
		.password = d->redis_password,
		.tls = d->redis_tls,
		.tls_servername = cfg->redis_servername[0] != '\0' ? cfg->redis_servername :
								     cfg->redis_host,
		.on_state = on_redis_state,
		.arg = s,
	};
	struct cp_dp_opts dpo = {
		.socket_path = cfg->dp_socket,
		.on_state = on_dp_state,
		.arg = s,
	};
	struct cp_http_opts api = {
		.address = cfg->api_address,
		.port = cfg->api_port,
		.tls = d->api_tls,
		.max_body = cfg->max_body,
		.max_headers = cfg->max_headers,
		.max_header_bytes = cfg->max_header_bytes,
		.timeout_s = cfg->timeout_s,
		.max_connections = cfg->max_connections,
	};
	struct cp_http_opts met = {
		.address = cfg->metrics_address,
		.port = cfg->metrics_port,
		.max_body = 1024,
		.max_headers = 64,
		.max_header_bytes = 8192,
		.timeout_s = 10,
	};
	int rc;

	s->base = event_base_new();
	if (s->base == NULL || cp_store_init() != 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	d->sig_int = evsignal_new(s->base, SIGINT, on_signal, d);
	d->sig_term = evsignal_new(s->base, SIGTERM, on_signal, d);
	d->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, d);
	if (d->sig_int == NULL || d->sig_term == NULL || d->sig_hup == NULL ||
	    event_add(d->sig_int, NULL) != 0 || event_add(d->sig_term, NULL) != 0 ||
	    event_add(d->sig_hup, NULL) != 0) {
		snprintf(err, err_len, "cannot install signal handlers");
		return -1;
	}
	rc = cp_work_start(s->base, WORK_THREADS, WORK_QUEUE);
	if (rc != 0) {
		snprintf(err, err_len, "cannot start worker threads: %s", strerror(-rc));
		return -1;
	}
	s->api = cp_http_new(s->base, &api, cp_api_handle, s, err, err_len);
	if (s->api == NULL)
		return -1;
	if (cfg->metrics_enabled) {
		s->metrics = cp_http_new(s->base, &met, cp_metrics_handle, s, err, err_len);
		if (s->metrics == NULL)
			return -1;
	}
	s->redis = cp_redis_new(s->base, &ro);
	s->dp = cp_dp_new(s->base, &dpo);
	if (s->redis == NULL || s->dp == NULL || cp_relay_start(s) != 0) {
		snprintf(err, err_len, "cannot start the Redis or dataplane clients");
		return -1;
	}
	cp_wipe(d->redis_password, sizeof(d->redis_password));
	return 0;
}

static void
stop(struct daemon *d)
{
	struct cp_server *s = &d->s;

	cp_relay_stop(s);
	cp_work_stop();
	cp_http_free(s->api);
	cp_http_free(s->metrics);
	cp_dp_free(s->dp);
	cp_redis_free(s->redis);
	cp_store_fini();
	if (d->sig_int != NULL)
		event_free(d->sig_int);
	if (d->sig_term != NULL)
		event_free(d->sig_term);
	if (d->sig_hup != NULL)
		event_free(d->sig_hup);
	if (s->base != NULL)
		event_base_free(s->base);
	SSL_CTX_free(d->api_tls);
	SSL_CTX_free(d->redis_tls);
	cp_keyring_wipe(&s->ring);
	cp_wipe(d->redis_password, sizeof(d->redis_password));
	cp_audit_close();
}

/* ---- the first admin, written to Redis directly ---- */

#define BOOTSTRAP_TIMEOUT_S 10

struct bootstrap {
	struct daemon *d;
	const char *name;
	char pw_hash[CP_PASSWORD_HASH_MAX];
	json_t *doc;
	int rc;
};

static void
on_admin_added(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct bootstrap *b = arg;
	const char *st = cp_store_status(reply);

	(void)r;
	if (st != NULL && strcmp(st, "ok") == 0) {
		char *text = json_dumps(b->doc, JSON_INDENT(2));

		if (text != NULL) {
			printf("%s\n", text);
			cp_wipe(text, strlen(text));
			free(text);
		}
		cp_audit("user_add", "sluice-cp --add-admin", NULL, "ok", "user", b->name, NULL);
		b->rc = 0;
	} else {
		fprintf(stderr, "sluice-cp: cannot add %s: %s\n", b->name,
			st == NULL ? "Redis did not answer" : st);
		b->rc = EXIT_CONFIG;
	}
	event_base_loopbreak(b->d->s.base);
}

static void
on_bootstrap_redis(struct cp_redis *r, bool up, void *arg)
{
	struct bootstrap *b = arg;
	struct cp_server *s = &b->d->s;
	char rc[CP_RECOVERY_CODES][CP_LOOKUP_HASH_LEN];
	char ttl[16];
	char *totp = NULL;
	const char *argv[5 + CP_RECOVERY_CODES];
	int argc = 0;

	(void)r;
	if (!up)
		return;
	if (cp_auth_enrol(s, b->name, &totp, rc, b->doc) != 0) {
		fprintf(stderr, "sluice-cp: cannot enrol the second factor\n");
		event_base_loopbreak(s->base);
		return;
	}
	snprintf(ttl, sizeof(ttl), "%u", s->cfg.ttl_user);
	argv[argc++] = b->name;
	argv[argc++] = "admin";
	argv[argc++] = b->pw_hash;
	argv[argc++] = totp;
	argv[argc++] = ttl;
	for (unsigned int i = 0; i < CP_RECOVERY_CODES; i++)
		argv[argc++] = rc[i];
	if (cp_store_call(s, CP_S_USER_ADD, on_admin_added, b, argc, argv) != 0)
		event_base_loopbreak(s->base);
	free(totp);
}

static void
on_bootstrap_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bootstrap *b = arg;

	(void)fd;
	(void)what;
	fprintf(stderr, "sluice-cp: Redis not reachable within %d s\n", BOOTSTRAP_TIMEOUT_S);
	event_base_loopbreak(b->d->s.base);
}

static int
add_admin(struct daemon *d, const char *name)
{
	struct cp_server *s = &d->s;
	struct bootstrap b = { .d = d, .name = name, .rc = EXIT_START };
	struct timeval tv = { .tv_sec = BOOTSTRAP_TIMEOUT_S };
	char pw[CP_PASSWORD_MAX + 2];
	struct event *timer;
	struct cp_redis_opts ro = {
		.host = s->cfg.redis_host,
		.port = s->cfg.redis_port,
		.unix_path = s->cfg.redis_socket,
		.user = s->cfg.redis_user,
		.password = d->redis_password,
		.tls = d->redis_tls,
		.tls_servername = s->cfg.redis_servername[0] != '\0' ? s->cfg.redis_servername :
								      s->cfg.redis_host,
		.on_state = on_bootstrap_redis,
		.arg = &b,
	};

	if (name[0] == '\0' || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") !=
	    strlen(name)) {
		fprintf(stderr, "sluice-cp: a user name is 1 to 64 of A-Z a-z 0-9 . _ @ -\n");
		return EXIT_CONFIG;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "sluice-cp: --add-admin reads the password from stdin\n");
		return EXIT_CONFIG;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (cp_password_check_policy(pw) != 0) {
		cp_wipe(pw, sizeof(pw));
		fprintf(stderr, "sluice-cp: the password must be %d to %d printable bytes\n",
			CP_PASSWORD_MIN, CP_PASSWORD_MAX);
		return EXIT_CONFIG;
	}
	if (cp_password_hash(pw, b.pw_hash, sizeof(b.pw_hash)) != 0) {
		cp_wipe(pw, sizeof(pw));
		return EXIT_START;
	}
	cp_wipe(pw, sizeof(pw));
	b.doc = json_pack("{s:s,s:s}", "name", name, "role", "admin");
	s->base = event_base_new();
	if (b.doc == NULL || s->base == NULL || cp_store_init() != 0)
		return EXIT_START;
	s->redis = cp_redis_new(s->base, &ro);
	timer = evtimer_new(s->base, on_bootstrap_timeout, &b);
	if (s->redis == NULL || timer == NULL)
		return EXIT_START;
	evtimer_add(timer, &tv);
	event_base_dispatch(s->base);
	event_free(timer);
	json_decref(b.doc);
	cp_wipe(b.pw_hash, sizeof(b.pw_hash));
	return b.rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "gen-key", required_argument, NULL, 'K' },
		{ "add-admin", required_argument, NULL, 'A' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon d;
	const char *admin = NULL;
	bool check = false;
	char err[512];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'A':
			admin = optarg;
			break;
		case 'K':
			rc = cp_keyring_generate(optarg);
			if (rc != 0) {
				fprintf(stderr, "sluice-cp: %s: %s\n", optarg, strerror(-rc));
				return EXIT_START;
			}
			printf("sluice-cp: wrote a new keyring to %s\n", optarg);
			return 0;
		case 'V':
			printf("sluice-cp %s\n", version);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (d.conf_path == NULL || optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (cp_config_load(d.conf_path, &d.s.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice-cp: %s\n", err);
		return EXIT_CONFIG;
	}
	if (load_files(&d.s.cfg, &d.s.ring, &d.api_tls, &d.redis_tls, d.redis_password,
		       sizeof(d.redis_password), err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice-cp: %s\n", err);
		stop(&d);
		return check ? EXIT_CONFIG : EXIT_START;
	}
	if (admin != NULL) {
		if (cp_audit_open(d.s.cfg.audit_log) != 0) {
			stop(&d);
			return EXIT_START;
		}
		rc = add_admin(&d, admin);
		stop(&d);
		return rc;
	}
	if (check) {
		printf("sluice-cp: configuration %s is valid\n", d.conf_path);
		stop(&d);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	cp_log_set_level((enum cp_log_level)cp_log_level_parse(d.s.cfg.log_level));
	if (cp_audit_open(d.s.cfg.audit_log) != 0) {
		fprintf(stderr, "sluice-cp: cannot open the audit log %s\n", d.s.cfg.audit_log);
		stop(&d);
		return EXIT_START;
	}
	d.s.started = (uint64_t)time(NULL);
	if (start(&d, err, sizeof(err)) != 0) {
		CP_LOG(ERROR, "%s", err);
		stop(&d);
		return EXIT_START;
	}
	CP_LOG(INFO, "sluice-cp %s: relay %s, API on %s port %u", version, d.s.cfg.relay_id,
	       d.s.cfg.api_address, d.s.cfg.api_port);
	event_base_dispatch(d.s.base);
	stop(&d);
	return 0;
}
