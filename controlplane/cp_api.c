/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's routes and handlers (controlplane/API.md). A request is routed by a table
 * (method, path pattern, roles, body fields), its body checked against the fields, its
 * bearer resolved, and then its handler runs; each handler is one Redis script, and for
 * legs one dataplane request, so state changes are atomic in Redis and the dataplane follows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_api.h"
#include "cp_dp.h"
#include "cp_json.h"
#include "cp_log.h"
#include "cp_password.h"
#include "cp_redis.h"
#include "cp_server.h"
#include "cp_store.h"

#define MAX_ATTEMPTS 3
#define INT_MAX_FIELD 2147483647

struct route {
	enum cp_method method;
	const char *pattern;          /* segments after /v1/; "*" is a parameter */
	unsigned int roles;           /* 0: no token */
	cp_handler handler;
	const struct cp_jfield *fields;
	size_t n_fields;
};

/* ---- calls ---- */

static void
call_free(struct cp_call *c)
{
	json_decref(c->body);
	json_decref(c->reply);
	dp_proto_wipe(&c->spec, sizeof(c->spec));
	cp_wipe(c->token, sizeof(c->token));
	free(c);
}

void
cp_call_reply(struct cp_call *c, int status, json_t *doc)
{
	cp_req_reply_json(c->req, status, doc);
	call_free(c);
}

void
cp_call_error(struct cp_call *c, int status, const char *code, const char *message)
{
	cp_req_reply_error(c->req, status, code, message);
	call_free(c);
}

void
cp_call_unavailable(struct cp_call *c)
{
	cp_call_error(c, 503, "unavailable", "Redis or the dataplane cannot be reached");
}

unsigned int
cp_role_parse(const char *name)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} roles[] = {
		{ "admin", CP_ROLE_ADMIN },
		{ "organizer", CP_ROLE_ORGANIZER },
		{ "participant", CP_ROLE_PARTICIPANT },
		{ "guest", CP_ROLE_GUEST },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(name, roles[i].name) == 0)
			return roles[i].bit;
	return 0;
}

/* Decimal 1..UINT32_MAX, digits only. */
static int
parse_id(const char *s, uint32_t *id)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '@' || ch == '-'))
			return false;
	}
	return true;
}

/* The script's refusal as an HTTP error; true when st was a known refusal. */
static bool
refusal(struct cp_call *c, const char *st)
{
	static const struct {
		const char *st;
		int status;
		const char *message;
	} map[] = {
		{ "not_found", 404, "no such user, conference or leg" },
		{ "forbidden", 403, "this role may not do that" },
		{ "exists", 409, "it exists already" },
		{ "conference_full", 409, "the conference is full" },
		{ "token_used_up", 410, "the token has no uses left" },
	};

	if (st == NULL) {
		cp_call_unavailable(c);
		return true;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(st, map[i].st) == 0) {
			cp_call_error(c, map[i].status, map[i].st, map[i].message);
			return true;
		}
	}
	if (strcmp(st, "ok") != 0) {
		CP_LOG(ERROR, "unexpected script reply '%.32s'", st);
		cp_call_error(c, 500, "internal", "unexpected store reply");
		return true;
	}
	return false;
}

static void
run_script(struct cp_call *c, enum cp_script_id id, cp_redis_cb cb, int argc,
	   const char *const *argv)
{
	if (cp_store_call(c->s, id, cb, c, argc, argv) != 0)
		cp_call_unavailable(c);
}

/* ---- health ---- */

static void
h_health(struct cp_call *c)
{
	cp_call_reply(c, 200, json_pack("{s:s}", "status", "ok"));
}

static void
h_ready(struct cp_call *c)
{
	bool redis = cp_redis_up(c->s->redis), dp = cp_dp_up(c->s->dp);

	cp_call_reply(c, redis && dp ? 200 : 503,
		      json_pack("{s:b,s:b,s:b}", "ready", redis && dp, "redis", redis,
				"dataplane", dp));
}

/* ---- users ---- */

static void
on_user_written(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	json_t *doc;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	doc = c->reply;
	c->reply = NULL;
	cp_audit(c->arg[0][0] != '\0' ? "user_totp_reset" : "user_add", c->sub,
		 cp_req_client(c->req), "ok", "user", json_string_value(json_object_get(doc, "name")),
		 NULL);
	cp_call_reply(c, c->arg[0][0] != '\0' ? 200 : 201, doc);
}

/* Enrols a second factor for name and runs the script that stores the user. */
static void
user_store(struct cp_call *c, const char *name, const char *role, const char *pw_hash)
{
	char rc[CP_RECOVERY_CODES][CP_LOOKUP_HASH_LEN];
	char ttl[16];
	char *totp = NULL;
	const char *argv[5 + CP_RECOVERY_CODES];
	int argc = 0;

	c->reply = json_pack("{s:s,s:s}", "name", name, "role", role);
	if (c->reply == NULL || cp_auth_enrol(c->s, name, &totp, rc, c->reply) != 0) {
		cp_call_error(c, 500, "internal", "cannot enrol the second factor");
		return;
	}
	snprintf(ttl, sizeof(ttl), "%u", c->s->cfg.ttl_user);
	argv[argc++] = name;
	if (pw_hash != NULL) {
		argv[argc++] = role;
		argv[argc++] = pw_hash;
	}
	argv[argc++] = totp;
	argv[argc++] = ttl;
	for (unsigned int i = 0; i < CP_RECOVERY_CODES; i++)
		argv[argc++] = rc[i];
	run_script(c, pw_hash != NULL ? CP_S_USER_ADD : CP_S_USER_TOTP, on_user_written, argc,
		   argv);
	free(totp);
}

static void
user_hashed(struct cp_call *c, int rc, const char *hash)
{
	if (rc != 0)
		cp_call_error(c, 500, "internal", "cannot hash the password");
	else
		user_store(c, cp_json_str(c->body, "name", ""), cp_json_str(c->body, "role", ""),
			   hash);
}

static void
h_user_add(struct cp_call *c)
{
	const char *role = cp_json_str(c->body, "role", "");
	const char *pw = cp_json_str(c->body, "password", "");
	unsigned int bit = cp_role_parse(role);

	if (bit == 0 || bit == CP_ROLE_GUEST) {
		cp_call_error(c, 400, "bad_field", "role: admin, organizer or participant");
		return;
	}
	if (cp_password_check_policy(pw) != 0) {
		cp_call_error(c, 400, "bad_field", "password: 12 to 256 printable bytes");
		return;
	}
	if (cp_auth_password(c, pw, NULL, user_hashed) != 0)
		cp_call_error(c, 503, "unavailable", "too busy; try again");
}

static void
h_user_totp(struct cp_call *c)
{
	user_store(c, c->arg[0], "", NULL);
}

static void
on_user_list(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	json_t *users;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	users = json_array();
	for (size_t i = 1; i + 1 < reply->n; i += 2)
		json_array_append_new(users, json_pack("{s:s,s:s}", "name", cp_store_str(reply, i),
						       "role", cp_store_str(reply, i + 1)));
	cp_call_reply(c, 200, json_pack("{s:o}", "users", users));
}

static void
h_user_list(struct cp_call *c)
{
	run_script(c, CP_S_USER_LIST, on_user_list, 0, NULL);
}

static void
on_user_changed(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	const char *role = cp_json_str(c->body, "role", NULL);

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	cp_audit(role != NULL ? "user_role" : "user_del", c->sub, cp_req_client(c->req), "ok",
		 "user", c->arg[0], role != NULL ? "role" : NULL, role, NULL);
	if (role == NULL)
		cp_call_reply(c, 204, NULL);
	else
		cp_call_reply(c, 200, json_pack("{s:s,s:s}", "name", c->arg[0], "role", role));
}

static void
h_user_del(struct cp_call *c)
{
	const char *argv[1] = { c->arg[0] };

	run_script(c, CP_S_USER_DEL, on_user_changed, 1, argv);
}

static void
h_user_role(struct cp_call *c)
{
	const char *role = cp_json_str(c->body, "role", "");
	unsigned int bit = cp_role_parse(role);
	const char *argv[2] = { c->arg[0], role };

	if (bit == 0 || bit == CP_ROLE_GUEST) {
		cp_call_error(c, 400, "bad_field", "role: admin, organizer or participant");
		return;
	}
	run_script(c, CP_S_USER_ROLE, on_user_changed, 2, argv);
}

/* ---- conferences ---- */

static json_t *
conf_doc(struct cp_call *c, uint32_t id, const struct cp_rreply *r, size_t i, long long legs,
	 long long pttl)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I}", "id", (json_int_t)id,
			 "name", cp_store_str(r, i), "owner", cp_store_str(r, i + 1),
			 "relay", cp_store_str(r, i + 2),
			 "max_legs", (json_int_t)cp_store_int(r, i + 3), "legs", (json_int_t)legs,
			 "expires", (json_int_t)(time(NULL) + (pttl > 0 ? pttl / 1000 : 0)));
	(void)c;
}

static void conf_add_try(struct cp_call *c);

static void
on_conf_added(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	const char *st = cp_store_status(reply);
	uint32_t ttl = (uint32_t)cp_json_int(c->body, "ttl", c->s->cfg.ttl_conference);

	(void)r;
	if (st != NULL && strcmp(st, "exists") == 0 && c->attempts < MAX_ATTEMPTS) {
		conf_add_try(c);
		return;
	}
	if (refusal(c, st))
		return;
	c->s->c.conferences_created++;
	cp_audit("conference_add", c->sub, cp_req_client(c->req), "ok", NULL);
	cp_call_reply(c, 201, json_pack("{s:I,s:s,s:s,s:s,s:I,s:I}", "id", (json_int_t)c->conf_id,
		"name", cp_json_str(c->body, "name", ""), "owner", c->sub,
		"relay", c->s->cfg.relay_id,
		"max_legs", (json_int_t)cp_json_int(c->body, "max_legs",
						    c->s->cfg.max_legs_per_conference),
		"expires", (json_int_t)(time(NULL) + ttl)));
}

static void
conf_add_try(struct cp_call *c)
{
	char id[16], max_legs[16], ttl[16], now[24];
	const char *argv[7];

	c->attempts++;
	c->conf_id = cp_random_id();
	snprintf(id, sizeof(id), "%" PRIu32, c->conf_id);
	snprintf(max_legs, sizeof(max_legs), "%" PRId64,
		 cp_json_int(c->body, "max_legs", c->s->cfg.max_legs_per_conference));
	snprintf(ttl, sizeof(ttl), "%" PRId64,
		 cp_json_int(c->body, "ttl", c->s->cfg.ttl_conference));
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	argv[0] = id;
	argv[1] = cp_json_str(c->body, "name", "");
	argv[2] = c->sub;
	argv[3] = c->s->cfg.relay_id;
	argv[4] = max_legs;
	argv[5] = ttl;
	argv[6] = now;
	run_script(c, CP_S_CONF_ADD, on_conf_added, 7, argv);
}

static void
h_conf_add(struct cp_call *c)
{
	if (cp_json_int(c->body, "max_legs", 1) > c->s->cfg.max_legs_per_conference) {
		cp_call_error(c, 400, "bad_field", "max_legs: above limits.legs_per_conference");
		return;
	}
	if (cp_json_int(c->body, "ttl", 60) > c->s->cfg.ttl_conference) {
		cp_call_error(c, 400, "bad_field", "ttl: above ttl.conference");
		return;
	}
	conf_add_try(c);
}

static void
on_conf_list(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	json_t *list;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	list = json_array();
	for (size_t i = 1; i + 6 < reply->n; i += 7)
		json_array_append_new(list, conf_doc(c, (uint32_t)cp_store_int(reply, i), reply,
						     i + 1, cp_store_int(reply, i + 5),
						     cp_store_int(reply, i + 6)));
	cp_call_reply(c, 200, json_pack("{s:o}", "conferences", list));
}

static void
h_conf_list(struct cp_call *c)
{
	const char *argv[1] = { c->role_bit == CP_ROLE_ADMIN ? "" : c->sub };

	run_script(c, CP_S_CONF_LIST, on_conf_list, 1, argv);
}

static void
on_conf_get(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	/* An organizer sees its own conferences only; others learn nothing of the rest. */
	if (c->role_bit == CP_ROLE_ORGANIZER && strcmp(cp_store_str(reply, 2), c->sub) != 0) {
		cp_call_error(c, 404, "not_found", "no such conference");
		return;
	}
	cp_call_reply(c, 200, conf_doc(c, c->conf_id, reply, 1, cp_store_int(reply, 6),
				       cp_store_int(reply, 7)));
}

static void
h_conf_get(struct cp_call *c)
{
	const char *argv[1] = { c->arg[0] };

	run_script(c, CP_S_CONF_GET, on_conf_get, 1, argv);
}

static void
on_dp_done(struct cp_dp *d, int status, const char *err_text, void *arg)
{
	struct cp_call *c = arg;

	(void)d;
	(void)err_text;
	if (status != DP_OK && status != DP_ERR_NOT_FOUND)
		c->s->c.dp_errors++;
	cp_call_reply(c, 204, NULL);
}

static void
on_conf_end(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	c->s->c.conferences_ended++;
	cp_audit("conference_end", c->sub, cp_req_client(c->req), "ok", NULL);
	/* Redis no longer has the legs; without the dataplane now, reconciliation removes them. */
	if (cp_dp_conf_del(c->s->dp, c->conf_id, on_dp_done, c) != 0)
		cp_call_reply(c, 204, NULL);
}

static void
h_conf_end(struct cp_call *c)
{
	const char *argv[3] = { c->arg[0], c->sub, c->role };

	run_script(c, CP_S_CONF_END, on_conf_end, 3, argv);
}

static void
on_guest_added(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	cp_audit("guest_token", c->sub, cp_req_client(c->req), "ok", NULL);
	cp_call_reply(c, 201, json_pack("{s:s,s:I,s:I,s:I}", "token", c->token,
		"conference", (json_int_t)c->conf_id,
		"uses", (json_int_t)cp_json_int(c->body, "uses", 1),
		"expires", (json_int_t)(time(NULL) + cp_store_int(reply, 1))));
}

static void
h_guest_add(struct cp_call *c)
{
	char tokhash[CP_LOOKUP_HASH_LEN], guest[32], uses[16], ttl[16];
	const char *argv[7];

	if (cp_json_int(c->body, "uses", 1) > c->s->cfg.max_guest_uses ||
	    cp_json_int(c->body, "ttl", 60) > c->s->cfg.ttl_guest_max) {
		cp_call_error(c, 400, "bad_field", "uses or ttl above the configured limits");
		return;
	}
	if (cp_auth_new_token(c, tokhash) != 0) {
		cp_call_error(c, 500, "internal", "no randomness");
		return;
	}
	snprintf(guest, sizeof(guest), "guest-%.12s", tokhash);
	snprintf(uses, sizeof(uses), "%" PRId64, cp_json_int(c->body, "uses", 1));
	snprintf(ttl, sizeof(ttl), "%" PRId64,
		 cp_json_int(c->body, "ttl", c->s->cfg.ttl_guest_max < 3600 ?
			     c->s->cfg.ttl_guest_max : 3600));
	argv[0] = c->arg[0];
	argv[1] = c->sub;
	argv[2] = c->role;
	argv[3] = tokhash;
	argv[4] = guest;
	argv[5] = uses;
	argv[6] = ttl;
	run_script(c, CP_S_GUEST_ADD, on_guest_added, 7, argv);
}

/* ---- legs ---- */

static void join_try(struct cp_call *c);

static int
inline_key(const uint8_t *key, size_t len, char *out, size_t cap)
{
	static const char prefix[] = "inline:";

	if (cap < sizeof(prefix))
		return -ENOSPC;
	memcpy(out, prefix, sizeof(prefix));
	return cp_b64_encode(key, len, out + sizeof(prefix) - 1, cap - (sizeof(prefix) - 1));
}

static void
join_reply(struct cp_call *c, long long pttl)
{
	char send_key[96], recv_key[96];
	json_t *ssrcs = json_array();
	json_t *doc;

	for (unsigned int i = 0; i < c->spec.n_ssrcs; i++)
		json_array_append_new(ssrcs, json_integer(c->spec.ssrcs[i]));
	inline_key(c->spec.key_in, c->spec.key_in_len, send_key, sizeof(send_key));
	inline_key(c->spec.key_out, c->spec.key_out_len, recv_key, sizeof(recv_key));
	doc = json_pack("{s:I,s:I,s:{s:s,s:s,s:s,s:i},s:s,s:o,s:s,s:s,s:I}",
		"leg", (json_int_t)c->spec.leg_id, "conference", (json_int_t)c->spec.conf_id,
		"relay", "id", c->s->cfg.relay_id, "address", c->s->cfg.relay_address,
		"address6", c->s->cfg.relay_address6, "port", (int)c->s->cfg.media_port,
		"suite", dp_suite_name(c->spec.suite), "ssrcs", ssrcs,
		"send_key", send_key, "recv_key", recv_key,
		"expires", (json_int_t)(time(NULL) + pttl / 1000));
	cp_wipe(send_key, sizeof(send_key));
	cp_wipe(recv_key, sizeof(recv_key));
	c->s->c.joins++;
	cp_call_reply(c, 201, doc);
}

static void
on_join_rolled_back(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	int status = c->dp_status;

	(void)r;
	(void)reply;
	if ((status == DP_ERR_EXISTS || status == DP_ERR_SSRC_IN_USE) &&
	    c->attempts < MAX_ATTEMPTS) {
		join_try(c);
		return;
	}
	c->s->c.joins_failed++;
	if (status < 0 || status == DP_ERR_FULL)
		cp_call_error(c, 503, "unavailable", "the dataplane cannot take the leg now");
	else
		cp_call_error(c, 500, "internal", "the dataplane refused the leg");
}

static void
on_join_dp(struct cp_dp *d, int status, const char *err_text, void *arg)
{
	struct cp_call *c = arg;
	char leg[16], conf[16];
	const char *argv[5];

	(void)d;
	if (status == DP_OK) {
		join_reply(c, c->pttl);
		return;
	}
	CP_LOG(WARNING, "dataplane refused leg %" PRIu32 ": %s", c->spec.leg_id,
	       err_text != NULL ? err_text : dp_status_name((uint32_t)status));
	c->s->c.dp_errors++;
	/* Take the leg back out of Redis (and give a guest its use back). */
	c->dp_status = status;
	snprintf(leg, sizeof(leg), "%" PRIu32, c->spec.leg_id);
	snprintf(conf, sizeof(conf), "%" PRIu32, c->spec.conf_id);
	argv[0] = leg;
	argv[1] = conf;
	argv[2] = "";
	argv[3] = "admin";
	argv[4] = c->role_bit == CP_ROLE_GUEST ? c->tokhash : "";
	if (cp_store_call(c->s, CP_S_LEAVE, on_join_rolled_back, c, 5, argv) != 0)
		on_join_rolled_back(NULL, NULL, c);
}

static void
on_join_redis(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	const char *st = cp_store_status(reply);

	(void)r;
	if (st != NULL && strcmp(st, "exists") == 0 && c->attempts < MAX_ATTEMPTS) {
		join_try(c);
		return;
	}
	if (st == NULL || strcmp(st, "ok") != 0)
		c->s->c.joins_failed++;
	if (refusal(c, st))
		return;
	c->pttl = cp_store_int(reply, 1);
	if (cp_dp_leg_add(c->s->dp, &c->spec, on_join_dp, c) != 0)
		on_join_dp(c->s->dp, -1, "dataplane not connected", c);
}

/* Seals a leg key for Redis, bound to the leg and direction, as base64. */
static int
seal_key(struct cp_server *s, uint32_t leg, const char *dir, const uint8_t *key, size_t len,
	 char *out, size_t cap)
{
	uint8_t sealed[DP_MASTER_MAX + CP_SEAL_OVERHEAD];
	char aad[40];
	int n;

	snprintf(aad, sizeof(aad), "leg:%" PRIu32 ":%s", leg, dir);
	n = cp_seal(&s->ring, aad, key, len, sealed, sizeof(sealed));
	if (n < 0)
		return n;
	return cp_b64_encode(sealed, (size_t)n, out, cap);
}

static void
join_try(struct cp_call *c)
{
	struct dp_leg_spec *sp = &c->spec;
	char leg[16], ssrcs[DP_LEG_MAX_SSRCS * 11 + 1], suite[8], port[8], flags[8];
	char kin[128], kout[128];
	const char *argv[11];
	size_t off = 0;

	c->attempts++;
	sp->leg_id = cp_random_id();
	for (unsigned int i = 0; i < sp->n_ssrcs; i++) {
		bool again;

		do {
			sp->ssrcs[i] = cp_random_id();
			again = false;
			for (unsigned int j = 0; j < i; j++)
				again |= sp->ssrcs[j] == sp->ssrcs[i];
		} while (again);
		off += (size_t)snprintf(ssrcs + off, sizeof(ssrcs) - off, "%s%" PRIu32,
					i > 0 ? "," : "", sp->ssrcs[i]);
	}
	sp->key_in_len = sp->key_out_len =
		(uint8_t)(dp_suite_key_len(sp->suite) + dp_suite_salt_len(sp->suite));
	if (cp_random(sp->key_in, sp->key_in_len) != 0 ||
	    cp_random(sp->key_out, sp->key_out_len) != 0 ||
	    seal_key(c->s, sp->leg_id, "in", sp->key_in, sp->key_in_len, kin, sizeof(kin)) < 0 ||
	    seal_key(c->s, sp->leg_id, "out", sp->key_out, sp->key_out_len, kout,
		     sizeof(kout)) < 0) {
		cp_call_error(c, 500, "internal", "cannot make keys");
		return;
	}
	snprintf(leg, sizeof(leg), "%" PRIu32, sp->leg_id);
	snprintf(suite, sizeof(suite), "%u", sp->suite);
	snprintf(port, sizeof(port), "%u", sp->media_port);
	snprintf(flags, sizeof(flags), "%" PRIu32, sp->flags);
	argv[0] = c->arg[0];
	argv[1] = leg;
	argv[2] = c->s->cfg.relay_id;
	argv[3] = c->sub;
	argv[4] = suite;
	argv[5] = ssrcs;
	argv[6] = port;
	argv[7] = flags;
	argv[8] = kin;
	argv[9] = kout;
	argv[10] = c->role_bit == CP_ROLE_GUEST ? c->tokhash : "";
	run_script(c, CP_S_JOIN, on_join_redis, 11, argv);
}

static void
h_join(struct cp_call *c)
{
	const struct cp_config *cfg = &c->s->cfg;
	const char *suite_name = cp_json_str(c->body, "suite", NULL);
	int64_t n_ssrcs = cp_json_int(c->body, "ssrcs", 2);
	uint8_t suite = cfg->suites[0];
	bool send = cp_json_bool(c->body, "send", true), recv = cp_json_bool(c->body, "recv", true);

	if (suite_name != NULL) {
		suite = dp_suite_from_name(suite_name);
		bool allowed = false;

		for (unsigned int i = 0; i < cfg->n_suites; i++)
			allowed |= cfg->suites[i] == suite;
		if (suite == DP_SUITE_NONE || !allowed) {
			cp_call_error(c, 400, "bad_field", "suite: not offered by this relay");
			return;
		}
	}
	if (n_ssrcs > cfg->max_ssrcs_per_leg || (!send && !recv)) {
		cp_call_error(c, 400, "bad_field", "ssrcs above the limit, or neither send nor recv");
		return;
	}
	if (!cp_dp_up(c->s->dp)) {
		c->s->c.joins_failed++;
		cp_call_unavailable(c);
		return;
	}
	c->spec = (struct dp_leg_spec){
		.has = DP_LEG_HAS_ALL_REQUIRED | DP_LEG_HAS_FLAGS,
		.conf_id = c->conf_id,
		.suite = suite,
		.media_port = cfg->media_port,
		.n_ssrcs = (uint8_t)n_ssrcs,
		.flags = (send ? DP_LEG_F_SEND : 0) | (recv ? DP_LEG_F_RECV : 0),
	};
	join_try(c);
}

static void
on_leave(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	c->s->c.leaves++;
	if (strcmp(cp_store_str(reply, 1), c->s->cfg.relay_id) != 0 ||
	    cp_dp_leg_del(c->s->dp, c->leg_id, on_dp_done, c) != 0)
		cp_call_reply(c, 204, NULL);
}

static void
h_leave(struct cp_call *c)
{
	const char *argv[5] = { c->arg[1], c->arg[0], c->sub, c->role, "" };

	run_script(c, CP_S_LEAVE, on_leave, 5, argv);
}

static void
on_leg_list(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct cp_call *c = arg;
	json_t *legs;

	(void)r;
	if (refusal(c, cp_store_status(reply)))
		return;
	legs = json_array();
	for (size_t i = 1; i + 4 < reply->n; i += 5) {
		json_t *ssrcs = json_array();
		char list[DP_LEG_MAX_SSRCS * 11 + 1], *save = NULL;

		snprintf(list, sizeof(list), "%s", cp_store_str(reply, i + 3));
		for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
			json_array_append_new(ssrcs, json_integer(strtoll(t, NULL, 10)));
		json_array_append_new(legs, json_pack("{s:I,s:s,s:s,s:o,s:s}",
			"leg", (json_int_t)cp_store_int(reply, i), "owner", cp_store_str(reply, i + 1),
			"suite", dp_suite_name((uint8_t)cp_store_int(reply, i + 2)),
			"ssrcs", ssrcs, "relay", cp_store_str(reply, i + 4)));
	}
	cp_call_reply(c, 200, json_pack("{s:o}", "legs", legs));
}

static void
h_leg_list(struct cp_call *c)
{
	const char *argv[3] = { c->arg[0], c->sub, c->role };

	run_script(c, CP_S_LEG_LIST, on_leg_list, 3, argv);
}

/* ---- relay ---- */

static void
on_relay_health(struct cp_dp *d, int status, const struct dp_health *h, void *arg)
{
	struct cp_call *c = arg;
	json_t *doc = json_pack("{s:s,s:b,s:b}", "id", c->s->cfg.relay_id,
				"redis", cp_redis_up(c->s->redis), "dataplane", status == DP_OK);

	(void)d;
	if (status == DP_OK)
		json_object_set_new(doc, "health", json_pack("{s:s,s:s,s:I,s:i,s:i,s:i,s:i,s:i}",
			"version", h->version, "srtp_backend", h->srtp_backend,
			"uptime", (json_int_t)h->uptime_s, "workers", (int)h->workers,
			"legs", (int)h->legs, "conferences", (int)h->conferences,
			"ports_up", (int)h->ports_up, "ports", (int)h->ports));
	cp_call_reply(c, 200, doc);
}

static void
h_relay(struct cp_call *c)
{
	if (cp_dp_health(c->s->dp, on_relay_health, c) != 0)
		on_relay_health(c->s->dp, -1, NULL, c);
}

/* ---- routing ---- */

static const struct cp_jfield login_fields[] = {
	{ "user", CP_JT_STRING, true, true, 1, 64 },
	{ "password", CP_JT_STRING, true, false, 1, 256 },
	{ "totp", CP_JT_STRING, false, false, 1, 16 },
	{ "recovery_code", CP_JT_STRING, false, false, 1, 32 },
};
static const struct cp_jfield user_fields[] = {
	{ "name", CP_JT_STRING, true, true, 1, 64 },
	{ "password", CP_JT_STRING, true, false, 1, 256 },
	{ "role", CP_JT_STRING, true, false, 1, 16 },
};
static const struct cp_jfield role_fields[] = {
	{ "role", CP_JT_STRING, true, false, 1, 16 },
};
static const struct cp_jfield conf_fields[] = {
	{ "name", CP_JT_STRING, false, true, 1, 64 },
	{ "max_legs", CP_JT_INT, false, false, 1, INT_MAX_FIELD },
	{ "ttl", CP_JT_INT, false, false, 60, INT_MAX_FIELD },
};
static const struct cp_jfield guest_fields[] = {
	{ "uses", CP_JT_INT, false, false, 1, INT_MAX_FIELD },
	{ "ttl", CP_JT_INT, false, false, 60, INT_MAX_FIELD },
};
static const struct cp_jfield join_fields[] = {
	{ "ssrcs", CP_JT_INT, false, false, 1, DP_LEG_MAX_SSRCS },
	{ "suite", CP_JT_STRING, false, false, 1, 40 },
	{ "send", CP_JT_BOOL, false, false, 0, 0 },
	{ "recv", CP_JT_BOOL, false, false, 0, 0 },
};

#define FIELDS(f) f, sizeof(f) / sizeof((f)[0])

static const struct route routes[] = {
	{ CP_M_GET, "health", 0, h_health, NULL, 0 },
	{ CP_M_GET, "ready", 0, h_ready, NULL, 0 },
	{ CP_M_POST, "login", 0, cp_auth_login, FIELDS(login_fields) },
	{ CP_M_POST, "logout", CP_ROLE_ANY, cp_auth_logout, NULL, 0 },
	{ CP_M_GET, "users", CP_ROLE_ADMIN, h_user_list, NULL, 0 },
	{ CP_M_POST, "users", CP_ROLE_ADMIN, h_user_add, FIELDS(user_fields) },
	{ CP_M_DELETE, "users/*", CP_ROLE_ADMIN, h_user_del, NULL, 0 },
	{ CP_M_POST, "users/*/totp", CP_ROLE_ADMIN, h_user_totp, NULL, 0 },
	{ CP_M_PUT, "users/*/role", CP_ROLE_ADMIN, h_user_role, FIELDS(role_fields) },
	{ CP_M_GET, "conferences", CP_ROLE_STAFF, h_conf_list, NULL, 0 },
	{ CP_M_POST, "conferences", CP_ROLE_STAFF, h_conf_add, FIELDS(conf_fields) },
	{ CP_M_GET, "conferences/*", CP_ROLE_ANY, h_conf_get, NULL, 0 },
	{ CP_M_DELETE, "conferences/*", CP_ROLE_STAFF, h_conf_end, NULL, 0 },
	{ CP_M_POST, "conferences/*/guest-tokens", CP_ROLE_STAFF, h_guest_add,
	  FIELDS(guest_fields) },
	{ CP_M_GET, "conferences/*/legs", CP_ROLE_STAFF, h_leg_list, NULL, 0 },
	{ CP_M_POST, "conferences/*/legs", CP_ROLE_ANY, h_join, FIELDS(join_fields) },
	{ CP_M_DELETE, "conferences/*/legs/*", CP_ROLE_ANY, h_leave, NULL, 0 },
	{ CP_M_GET, "relay", CP_ROLE_ADMIN, h_relay, NULL, 0 },
};

/* Matches path (after "/v1/") against pattern; fills the parameters. */
static bool
match(const char *pattern, const char *path, char arg[2][72])
{
	unsigned int n_args = 0;

	while (*pattern != '\0' && *path != '\0') {
		size_t pl = strcspn(pattern, "/"), sl = strcspn(path, "/");

		if (pl == 1 && pattern[0] == '*') {
			if (sl == 0 || sl >= 72 || n_args == 2)
				return false;
			memcpy(arg[n_args], path, sl);
			arg[n_args++][sl] = '\0';
		} else if (pl != sl || memcmp(pattern, path, pl) != 0) {
			return false;
		}
		pattern += pl;
		path += sl;
		if ((*pattern == '/') != (*path == '/'))
			return false;
		if (*pattern == '/') {
			pattern++;
			path++;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

/* Checks the path parameters: user names, or conference and leg ids. */
static bool
params_ok(struct cp_call *c, const struct route *rt)
{
	if (strncmp(rt->pattern, "users/*", 7) == 0)
		return name_ok(c->arg[0]);
	if (strncmp(rt->pattern, "conferences/*", 13) == 0) {
		if (parse_id(c->arg[0], &c->conf_id) != 0)
			return false;
		if (c->arg[1][0] != '\0' && parse_id(c->arg[1], &c->leg_id) != 0)
			return false;
	}
	return true;
}

void
cp_api_handle(struct cp_req *req, void *arg)
{
	struct cp_server *s = arg;
	const char *path = cp_req_path(req);
	enum cp_method m = cp_req_method(req);
	const struct route *rt = NULL;
	bool path_known = false;
	struct cp_json_limits lim = { s->cfg.max_body, s->cfg.max_json_depth };
	struct cp_json_err jerr;
	struct cp_call *c;
	const char *body;
	size_t len;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		cp_req_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	c->s = s;
	c->req = req;
	if (strncmp(path, "/v1/", 4) == 0) {
		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			char a[2][72] = { "", "" };

			if (!match(routes[i].pattern, path + 4, a))
				continue;
			path_known = true;
			if (routes[i].method == m) {
				rt = &routes[i];
				memcpy(c->arg, a, sizeof(a));
				break;
			}
		}
	}
	if (rt == NULL) {
		if (path_known)
			cp_call_error(c, 405, "method_not_allowed", "method not allowed here");
		else
			cp_call_error(c, 404, "not_found", "no such resource");
		return;
	}
	if (!params_ok(c, rt)) {
		cp_call_error(c, 400, "bad_request", "malformed name or id in the path");
		return;
	}
	body = cp_req_body(req, &len);
	c->body = cp_json_parse(body, len, &lim, &jerr);
	if (c->body == NULL || cp_json_check(c->body, rt->fields, rt->n_fields, &jerr) != 0) {
		cp_call_error(c, strcmp(jerr.code, CP_JSON_E_TOO_LARGE) == 0 ? 413 : 400,
			      jerr.code, jerr.message);
		return;
	}
	c->roles = rt->roles;
	c->handler = rt->handler;
	if (rt->roles == 0) {
		rt->handler(c);
		return;
	}
	cp_auth_bearer(c);
}
