/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_config_parse_string over arbitrary text. Beyond "no crash, no leak": whatever it
 * accepts must hold the invariants sluice-cp relies on, a refusal must say why and leave the
 * caller's struct untouched.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cp_conf.h"
#include "dp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void
check_accepted(const struct cp_config *c)
{
	if (!TERMINATED(c->relay_id) || !TERMINATED(c->relay_address) ||
	    !TERMINATED(c->relay_address6) || !TERMINATED(c->dp_socket) ||
	    !TERMINATED(c->api_address) || !TERMINATED(c->tls_cert) || !TERMINATED(c->tls_key) ||
	    !TERMINATED(c->metrics_address) || !TERMINATED(c->redis_host) ||
	    !TERMINATED(c->redis_socket) || !TERMINATED(c->redis_user) ||
	    !TERMINATED(c->redis_password_file) || !TERMINATED(c->redis_ca) ||
	    !TERMINATED(c->redis_servername) || !TERMINATED(c->redis_prefix) ||
	    !TERMINATED(c->key_file) || !TERMINATED(c->totp_issuer) ||
	    !TERMINATED(c->audit_log) || !TERMINATED(c->log_level))
		abort();
	if (c->relay_id[0] == '\0' || c->relay_address[0] == '\0' || c->media_port < 1024 ||
	    c->tls_cert[0] != '/' || c->tls_key[0] != '/' || c->key_file[0] != '/' ||
	    c->dp_socket[0] != '/' || strlen(c->dp_socket) > 107 ||
	    strlen(c->redis_socket) > 107 || c->redis_prefix[0] == '\0')
		abort();
	if (strspn(c->relay_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789._-") != strlen(c->relay_id))
		abort();
	if (c->n_suites < 1 || c->n_suites > CP_CONF_MAX_SUITES)
		abort();
	for (unsigned int i = 0; i < c->n_suites; i++) {
		if (c->suites[i] == DP_SUITE_NONE || c->suites[i] >= DP_SUITE_MAX)
			abort();
		for (unsigned int j = 0; j < i; j++)
			if (c->suites[i] == c->suites[j])
				abort();
	}
	if (c->api_port == 0 || c->metrics_port == 0 || c->redis_port == 0 ||
	    c->max_body < 256 || c->max_body > 1048576 || c->max_json_depth < 2 ||
	    c->max_json_depth > 64 || c->max_headers < 8 || c->max_connections < 1 ||
	    c->timeout_s < 1 || c->max_ssrcs_per_leg < 1 || c->max_ssrcs_per_leg > DP_LEG_MAX_SSRCS ||
	    c->ttl_guest_max > c->ttl_conference || c->login_max_failures < 1 ||
	    c->lockout_s < 1 || c->ttl_session < 60 || c->ttl_heartbeat < 1)
		abort();
	if (c->redis_tls && (c->redis_socket[0] != '\0' || c->redis_servername[0] == '\0'))
		abort();
	if (!c->redis_tls && (c->redis_ca[0] != '\0' || c->redis_servername[0] != '\0'))
		abort();
	if (strcmp(c->log_level, "error") != 0 && strcmp(c->log_level, "warning") != 0 &&
	    strcmp(c->log_level, "info") != 0 && strcmp(c->log_level, "debug") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_config cfg, before;
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

	memset(&cfg, 0xa5, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	rc = cp_config_parse_string(text, "fuzz.conf", &cfg, err, sizeof(err));
	if (rc == 0) {
		if (err[0] != '\0')
			abort();
		check_accepted(&cfg);
	} else if (rc != -EINVAL || strncmp(err, "fuzz.conf", 9) != 0 ||
		   memchr(err, '\0', sizeof(err)) == NULL ||
		   memcmp(&cfg, &before, sizeof(cfg)) != 0) {
		abort();
	}
	free(text);
	return 0;
}
