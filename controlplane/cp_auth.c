/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may call: login with password and TOTP (or a recovery code), bearer tokens, and
 * enrolment of the second factor.
 *
 * Lockouts count in Redis (scripts in cp_store.c), per user and per source, so they hold
 * across every sluice-cp of the cluster; they are checked before the password is, so a
 * locked account gives nothing away. Sources are counted under a keyed hash of the address
 * (the keyring is shared by the cluster's nodes), never the address itself. A login for an
 * unknown user spends the time of a password verification too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_api.h"
#include "cp_json.h"
#include "cp_log.h"
#include "cp_password.h"
#include "cp_server.h"
#include "cp_store.h"
#include "cp_totp.h"
#include "cp_work.h"

#define TOKEN_BYTES 32
#define RECOVERY_LEN 10          /* characters of base32: 50 bits */

static void login_failed(struct cp_call *c, const char *outcome);

/* ---- tokens ---- */

int
cp_auth_new_token(struct cp_call *c, char out[CP_LOOKUP_HASH_LEN])
{
	uint8_t raw[TOKEN_BYTES];

	if (cp_random(raw, sizeof(raw)) != 0)
		return -EIO;
	cp_b64url_encode(raw, sizeof(raw), c->token, sizeof(c->token));
	cp_lookup_hash(&c->s->ring, "token", raw, sizeof(raw), out);
	cp_wipe(raw, sizeof(raw));
	return 0;
}

/* The keyed hash of a presented token; -EINVAL when it cannot be one of ours. */
static int
token_hash(struct cp_server *s, const char *text, char out[CP_LOOKUP_HASH_LEN])
{
	uint8_t raw[TOKEN_BYTES + 4];
	int n = cp_b64url_decode(text, raw, sizeof(raw));

	if (n != TOKEN_BYTES) {
		cp_wipe(raw, sizeof(raw));
		return -EINVAL;
	}
	cp_lookup_hash(&s->ring, "token", raw, TOKEN_BYTES, out);
	cp_wipe(raw, sizeof(raw));
	return 0;
}

static void
on_auth(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	const char *st = cp_store_status(reply);

	(void)r;
	if (st == NULL) {
		cp_call_unavailable(c);
		return;
	}
	if (strcmp(st, "ok") != 0) {
		cp_call_error(c, 401, "unauthenticated", "unknown, expired or revoked token");
		return;
	}
	snprintf(c->sub, sizeof(c->sub), "%s", cp_store_str(reply, 1));
	snprintf(c->role, sizeof(c->role), "%s", cp_store_str(reply, 2));
	c->role_bit = cp_role_parse(c->role);
	c->guest_conf = (uint32_t)cp_store_int(reply, 3);
	if ((c->role_bit & c->roles) == 0) {
		cp_call_error(c, 403, "forbidden", "this role may not do that");
		return;
	}
	/* A guest acts within its conference only; the first path parameter names it. */
	if (c->role_bit == CP_ROLE_GUEST && c->arg[0][0] != '\0' &&
	    strtoul(c->arg[0], NULL, 10) != c->guest_conf) {
		cp_call_error(c, 403, "wrong_conference", "the token is for another conference");
		return;
	}
	c->handler(c);
}

void
cp_auth_bearer(struct cp_call *c)
{
	const char *h = cp_req_header(c->req, "Authorization");
	const char *argv[1];

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
	    token_hash(c->s, h + 7, c->tokhash) != 0) {
		cp_call_error(c, 401, "unauthenticated", "a bearer token is required");
		return;
	}
	argv[0] = c->tokhash;
	if (cp_store_call(c->s, CP_S_AUTH, on_auth, c, 1, argv) != 0)
		cp_call_unavailable(c);
}

/* ---- enrolment ---- */

static void
recovery_hash(struct cp_server *s, const char *name, const char *code,
	      char out[CP_LOOKUP_HASH_LEN])
{
	char norm[64 + 1 + 32];
	size_t n = (size_t)snprintf(norm, sizeof(norm), "%s:", name);

	/* Case and dashes do not matter to a person typing the code. */
	for (const char *p = code; *p != '\0' && n + 1 < sizeof(norm); p++)
		if (*p != '-' && *p != ' ')
			norm[n++] = (char)toupper((unsigned char)*p);
	norm[n] = '\0';
	cp_lookup_hash(&s->ring, "recovery", norm, n, out);
	cp_wipe(norm, sizeof(norm));
}

int
cp_auth_enrol(struct cp_server *s, const char *name, char **totp_sealed,
	      char rc_hashes[CP_RECOVERY_CODES][CP_LOOKUP_HASH_LEN], json_t *doc)
{
	uint8_t secret[CP_TOTP_SECRET_LEN];
	uint8_t sealed[CP_TOTP_SECRET_LEN + CP_SEAL_OVERHEAD];
	char aad[80], b32[64], uri[512], b64[128];
	json_t *codes = json_array();
	int n, rc = -EIO;

	*totp_sealed = NULL;
	if (codes == NULL || cp_random(secret, sizeof(secret)) != 0)
		goto out;
	snprintf(aad, sizeof(aad), "totp:%s", name);
	n = cp_seal(&s->ring, aad, secret, sizeof(secret), sealed, sizeof(sealed));
	if (n < 0 || cp_b64_encode(sealed, (size_t)n, b64, sizeof(b64)) < 0)
		goto out;
	if (cp_base32_encode(secret, sizeof(secret), b32, sizeof(b32)) < 0 ||
	    cp_totp_uri(s->cfg.totp_issuer, name, secret, uri, sizeof(uri)) < 0)
		goto out;
	for (unsigned int i = 0; i < CP_RECOVERY_CODES; i++) {
		uint8_t raw[8];
		char text[24], code[RECOVERY_LEN + 2];

		if (cp_random(raw, sizeof(raw)) != 0 ||
		    cp_base32_encode(raw, sizeof(raw), text, sizeof(text)) < 0)
			goto out;
		snprintf(code, sizeof(code), "%.5s-%.5s", text, text + 5);
		recovery_hash(s, name, code, rc_hashes[i]);
		json_array_append_new(codes, json_string(code));
		cp_wipe(raw, sizeof(raw));
		cp_wipe(text, sizeof(text));
		cp_wipe(code, sizeof(code));
	}
	*totp_sealed = strdup(b64);
	if (*totp_sealed == NULL)
		goto out;
	json_object_set_new(doc, "totp_secret", json_string(b32));
	json_object_set_new(doc, "totp_uri", json_string(uri));
	json_object_set(doc, "recovery_codes", codes);
	rc = 0;
out:
	json_decref(codes);
	cp_wipe(secret, sizeof(secret));
	cp_wipe(b32, sizeof(b32));
	cp_wipe(uri, sizeof(uri));
	return rc;
}

/* ---- login ---- */

static void
on_login_ok(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	const char *st = cp_store_status(reply);
	const char *user = cp_json_str(c->body, "user", "");

	(void)r;
	if (st == NULL) {
		cp_call_unavailable(c);
		return;
	}
	if (strcmp(st, "ok") != 0) {
		login_failed(c, strcmp(st, "reused") == 0 ? "totp_reused" : "bad_credentials");
		return;
	}
	c->s->c.logins_ok++;
	cp_audit("login", user, cp_req_client(c->req), "ok", "factor",
		 c->recovery ? "recovery_code" : "totp", NULL);
	cp_call_reply(c, 200, json_pack("{s:s,s:s,s:I}", "token", c->token, "role", c->role,
					"expires", (json_int_t)(time(NULL) + c->s->cfg.ttl_session)));
}

static void
on_login_fail(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	bool reused = c->step == UINT64_MAX;

	(void)r;
	if (cp_store_status(reply) == NULL) {
		cp_call_unavailable(c);
		return;
	}
	cp_call_error(c, 401, reused ? "totp_reused" : "bad_credentials",
		      reused ? "this code was already used" : "wrong user, password or code");
}

static void
login_failed(struct cp_call *c, const char *outcome)
{
	const char *user = cp_json_str(c->body, "user", "");
	char lock_s[16];
	const char *argv[3];

	c->s->c.logins_failed++;
	cp_audit("login_failed", user, cp_req_client(c->req), outcome, NULL);
	c->step = strcmp(outcome, "totp_reused") == 0 ? UINT64_MAX : 0;
	snprintf(lock_s, sizeof(lock_s), "%u", c->s->cfg.lockout_s);
	argv[0] = user;
	argv[1] = c->src;
	argv[2] = lock_s;
	if (cp_store_call(c->s, CP_S_LOGIN_FAIL, on_login_fail, c, 3, argv) != 0)
		cp_call_unavailable(c);
}

/* Checks the second factor; 0, or the outcome of the refusal. */
static const char *
check_totp(struct cp_call *c, const char *user, const char *sealed_b64, uint64_t last_step)
{
	uint8_t sealed[128], secret[CP_TOTP_SECRET_LEN + 16];
	char aad[80];
	int n, rc;

	n = cp_b64_decode(sealed_b64, sealed, sizeof(sealed));
	snprintf(aad, sizeof(aad), "totp:%s", user);
	if (n < 0 || cp_open(&c->s->ring, aad, sealed, (size_t)n, secret, sizeof(secret)) !=
	    CP_TOTP_SECRET_LEN) {
		CP_LOG(ERROR, "the TOTP secret of a user does not open (keyring changed?)");
		cp_wipe(secret, sizeof(secret));
		return "bad_credentials";
	}
	rc = cp_totp_verify(secret, cp_json_str(c->body, "totp", ""), (uint64_t)time(NULL),
			    last_step, &c->step);
	cp_wipe(secret, sizeof(secret));
	if (rc == -EALREADY)
		return "totp_reused";
	return rc == 0 ? NULL : "bad_credentials";
}

/* Argon2id for a call, on a worker thread: on the loop it would stall every other request. */
struct pw_job {
	struct cp_call *c;
	cp_auth_pw_done done;
	bool hash;                             /* hash the password, or verify it */
	char encoded[CP_PASSWORD_HASH_MAX];    /* verify: "" for an unknown user (time spent
						* anyway); hash: the result */
	char password[CP_PASSWORD_MAX + 1];
	int rc;
};

static void
pw_run(void *arg)
{
	struct pw_job *j = arg;

	if (j->hash) {
		j->rc = cp_password_hash(j->password, j->encoded, sizeof(j->encoded));
	} else if (j->encoded[0] == '\0') {
		cp_password_dummy_verify(j->password);
		j->rc = -EACCES;
	} else {
		j->rc = cp_password_verify(j->encoded, j->password);
	}
}

static void
pw_finish(void *arg)
{
	struct pw_job *j = arg;

	j->done(j->c, j->rc, j->encoded);
	cp_wipe(j, sizeof(*j));
	free(j);
}

int
cp_auth_password(struct cp_call *c, const char *password, const char *encoded,
		 cp_auth_pw_done done)
{
	struct pw_job *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL)
		return -ENOMEM;
	j->c = c;
	j->done = done;
	j->hash = encoded == NULL;
	snprintf(j->password, sizeof(j->password), "%s", password);
	if (encoded != NULL)
		snprintf(j->encoded, sizeof(j->encoded), "%s", encoded);
	rc = cp_work_submit(pw_run, pw_finish, j);
	if (rc != 0) {
		cp_wipe(j, sizeof(*j));
		free(j);
	}
	return rc;
}

/* After the password: the second factor, then the token, in one script. */
static void
pw_verified(struct cp_call *c, int rc, const char *unused)
{
	const char *user = cp_json_str(c->body, "user", "");
	char step[24], rc_hash[CP_LOOKUP_HASH_LEN], ttl_s[16], ttl_u[16];
	const char *argv[6];
	const char *refusal;

	(void)unused;
	if (rc != 0) {
		login_failed(c, "bad_credentials");
		return;
	}
	step[0] = '\0';
	rc_hash[0] = '\0';
	if (c->recovery) {
		recovery_hash(c->s, user, cp_json_str(c->body, "recovery_code", ""), rc_hash);
	} else {
		refusal = check_totp(c, user, c->totp_sealed, c->last_step);
		cp_wipe(c->totp_sealed, sizeof(c->totp_sealed));
		if (refusal != NULL) {
			login_failed(c, refusal);
			return;
		}
		snprintf(step, sizeof(step), "%llu", (unsigned long long)c->step);
	}
	if (cp_auth_new_token(c, c->tokhash) != 0) {
		cp_call_error(c, 500, "internal", "no randomness");
		return;
	}
	snprintf(ttl_s, sizeof(ttl_s), "%u", c->s->cfg.ttl_session);
	snprintf(ttl_u, sizeof(ttl_u), "%u", c->s->cfg.ttl_user);
	argv[0] = user;
	argv[1] = step;
	argv[2] = rc_hash;
	argv[3] = c->tokhash;
	argv[4] = ttl_s;
	argv[5] = ttl_u;
	if (cp_store_call(c->s, CP_S_LOGIN_OK, on_login_ok, c, 6, argv) != 0)
		cp_call_unavailable(c);
}

static void
on_login_pre(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	const char *st = cp_store_status(reply);
	const char *user = cp_json_str(c->body, "user", "");
	char retry[24];
	(void)r;
	if (st == NULL) {
		cp_call_unavailable(c);
		return;
	}
	if (strcmp(st, "locked") == 0) {
		long long ms = cp_store_int(reply, 1);

		c->s->c.logins_locked++;
		cp_audit("login_locked", user, cp_req_client(c->req), "locked_out", NULL);
		snprintf(retry, sizeof(retry), "%lld", ms > 0 ? (ms + 999) / 1000 : 1);
		cp_req_add_header(c->req, "Retry-After", retry);
		cp_call_error(c, 429, "locked_out", "too many failed logins; try again later");
		return;
	}
	if (strcmp(st, "ok") == 0) {
		snprintf(c->totp_sealed, sizeof(c->totp_sealed), "%s", cp_store_str(reply, 2));
		c->last_step = (uint64_t)cp_store_int(reply, 3);
		snprintf(c->role, sizeof(c->role), "%s", cp_store_str(reply, 4));
	}
	if (cp_auth_password(c, cp_json_str(c->body, "password", ""),
			     strcmp(st, "ok") == 0 ? cp_store_str(reply, 1) : "", pw_verified) != 0)
		cp_call_error(c, 503, "unavailable", "too many logins at once; try again");
}

void
cp_auth_login(struct cp_call *c)
{
	const char *user = cp_json_str(c->body, "user", "");
	bool has_totp = json_object_get(c->body, "totp") != NULL;
	char max_u[16], max_s[16], src_hash[CP_LOOKUP_HASH_LEN];
	const char *client = cp_req_client(c->req);
	const char *argv[4];

	c->recovery = json_object_get(c->body, "recovery_code") != NULL;
	if (has_totp == c->recovery) {
		cp_call_error(c, 400, "missing_field", "give either totp or recovery_code");
		return;
	}
	/* Fail closed: without the lockout state, no login. */
	cp_lookup_hash(&c->s->ring, "source", client, strlen(client), src_hash);
	snprintf(c->src, sizeof(c->src), "%.24s", src_hash);
	snprintf(max_u, sizeof(max_u), "%u", c->s->cfg.login_max_failures);
	snprintf(max_s, sizeof(max_s), "%u", c->s->cfg.source_max_failures);
	argv[0] = user;
	argv[1] = c->src;
	argv[2] = max_u;
	argv[3] = max_s;
	if (cp_store_call(c->s, CP_S_LOGIN_PRE, on_login_pre, c, 4, argv) != 0)
		cp_call_unavailable(c);
}

static void
on_logout(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;

	(void)r;
	if (cp_store_status(reply) == NULL) {
		cp_call_unavailable(c);
		return;
	}
	cp_audit("logout", c->sub, cp_req_client(c->req), "ok", NULL);
	cp_call_reply(c, 204, NULL);
}

void
cp_auth_logout(struct cp_call *c)
{
	const char *argv[1] = { c->tokhash };

	if (cp_store_call(c->s, CP_S_LOGOUT, on_logout, c, 1, argv) != 0)
		cp_call_unavailable(c);
}
