/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-cp's configuration: one libconfig file (example: conf/sluice-cp.conf), read through a
 * table of option descriptors (path, type, offset, bounds, default) and validated as a whole.
 * The one file of the control plane that calls libconfig. A reload builds a new struct and the
 * caller swaps only on success.
 *
 * Return convention: 0, or -EINVAL with "FILE:LINE: message" (or "FILE: message") in err.
 */
#ifndef CP_CONF_H
#define CP_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_CONF_STR 256
#define CP_CONF_MAX_SUITES 4

struct cp_config {
	/* relay: this node, as participants reach it */
	char relay_id[64];               /* relay.id: [A-Za-z0-9._-]{1,63} */
	char relay_address[64];          /* relay.address: IPv4 given to participants */
	char relay_address6[64];         /* relay.address6: IPv6, optional ("") */
	uint16_t media_port;             /* relay.media_port: a media port of sluice-dp */
	unsigned int n_suites;           /* relay.suites: allowed, first is the default */
	uint8_t suites[CP_CONF_MAX_SUITES];   /* enum dp_suite */
	char dp_socket[PATH_MAX];        /* relay.dp_socket: default /run/sluice/dp.sock */

	/* api: the HTTPS listener */
	char api_address[64];            /* api.address: default "127.0.0.1" */
	uint16_t api_port;               /* api.port: default 8443 */
	char tls_cert[PATH_MAX];         /* api.tls_cert: PEM chain (required) */
	char tls_key[PATH_MAX];          /* api.tls_key: PEM key (required) */
	uint32_t max_body;               /* api.max_body: bytes, default 16384, 256..1048576 */
	uint32_t max_headers;            /* api.max_headers: count, default 32, 8..256 */
	uint32_t max_header_bytes;       /* api.max_header_bytes: default 8192, 1024..65536 */
	uint32_t max_json_depth;         /* api.max_json_depth: default 8, 2..64 */
	uint32_t max_connections;        /* api.max_connections: default 1024, 1..65536 */
	uint32_t timeout_s;              /* api.timeout: idle/read seconds, default 30, 1..600 */

	/* metrics: Prometheus text exposition, plain HTTP */
	bool metrics_enabled;            /* metrics.enabled: default true */
	char metrics_address[64];        /* metrics.address: default "127.0.0.1" */
	uint16_t metrics_port;           /* metrics.port: default 9464 */

	/* redis */
	char redis_host[256];            /* redis.host: default "127.0.0.1" (unless socket) */
	uint16_t redis_port;             /* redis.port: default 6379 */
	char redis_socket[PATH_MAX];     /* redis.socket: Unix socket path; wins over host */
	char redis_user[64];             /* redis.user: ACL user, optional */
	char redis_password_file[PATH_MAX]; /* redis.password_file: optional, first line */
	bool redis_tls;                  /* redis.tls: default false */
	char redis_ca[PATH_MAX];         /* redis.tls_ca: CA file to verify the server (tls) */
	char redis_servername[256];      /* redis.tls_servername: default redis.host */
	char redis_prefix[32];           /* redis.prefix: key prefix, default "sl:" */

	/* security */
	char key_file[PATH_MAX];         /* security.key_file: keyring (required) */
	char totp_issuer[64];            /* security.totp_issuer: default "Sluice" */
	uint32_t login_max_failures;     /* security.login_max_failures: per user, default 5 */
	uint32_t source_max_failures;    /* security.source_max_failures: per address, default 20 */
	uint32_t lockout_s;              /* security.lockout: seconds, default 900 */
	char audit_log[PATH_MAX];        /* security.audit_log: file, or "" for stderr */

	/* ttl: seconds */
	uint32_t ttl_session;            /* ttl.session: bearer tokens after login, default 28800 */
	uint32_t ttl_guest_max;          /* ttl.guest_token_max: longest guest token, default 86400 */
	uint32_t ttl_conference;         /* ttl.conference: longest conference, default 86400 */
	uint32_t ttl_user;               /* ttl.user: idle account lifetime, default 31536000 */
	uint32_t ttl_heartbeat;          /* ttl.heartbeat: relay heartbeat, default 30 */

	/* limits */
	uint32_t max_legs_per_conference;  /* limits.legs_per_conference: default 1000 */
	uint32_t max_ssrcs_per_leg;        /* limits.ssrcs_per_leg: default 4 (<= 16) */
	uint32_t max_guest_uses;           /* limits.guest_token_uses: default 100 */

	char log_level[16];              /* log.level: error|warning|info|debug, default info */
};

/* Fills cfg with every default (strings empty where no default). */
void cp_config_defaults(struct cp_config *cfg);
/* Loads and validates a file; cfg is written only on success. */
int cp_config_load(const char *path, struct cp_config *cfg, char *err, size_t err_len);
/*
 * The same over text already in memory (NUL-terminated); name stands for the file in
 * messages. For tests and the fuzz target.
 */
int cp_config_parse_string(const char *text, const char *name, struct cp_config *cfg,
			   char *err, size_t err_len);

#endif /* CP_CONF_H */
