/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis key schema of sluice-cp and the Lua scripts that change it. Every state change
 * of the API is one script, so that it is atomic across every sluice-cp sharing the Redis
 * and costs one round trip. Each script gets the key prefix as ARGV[1] and derives its keys
 * from it (a single Redis or a Sentinel set-up, not Redis Cluster). The schema is documented
 * in conf/redis-schema.md; every key has a TTL.
 *
 * Replies: an array whose first element is a status string, "ok" or a refusal code (see
 * each script in cp_store.c), then the data.
 */
#ifndef CP_STORE_H
#define CP_STORE_H

#include "cp_redis.h"

struct cp_server;

enum cp_script_id {
	CP_S_AUTH,          /* tokhash -> ok sub role conf uses | none */
	CP_S_LOGIN_PRE,     /* user src max_u max_s -> ok pw totp step role | nouser | locked ms */
	CP_S_LOGIN_FAIL,    /* user src lockout_s -> [n_user, n_src] */
	CP_S_LOGIN_OK,      /* user step rc tokhash ttl_session ttl_user -> ok | reused | bad */
	CP_S_LOGOUT,        /* tokhash -> ok */
	CP_S_USER_ADD,      /* name role pw totp ttl_user rc... -> ok | exists */
	CP_S_USER_TOTP,     /* name totp ttl_user rc... -> ok | not_found */
	CP_S_USER_DEL,      /* name -> ok | not_found */
	CP_S_USER_ROLE,     /* name role -> ok | not_found */
	CP_S_USER_LIST,     /* -> name role ... */
	CP_S_CONF_ADD,      /* id name owner relay max_legs ttl now -> ok | exists */
	CP_S_CONF_GET,      /* id -> ok name owner relay max_legs created n_legs pttl | not_found */
	CP_S_CONF_LIST,     /* owner|"" -> id name owner relay max_legs n_legs pttl ... */
	CP_S_CONF_END,      /* id sub role -> ok n | not_found | forbidden */
	CP_S_GUEST_ADD,     /* conf sub role tokhash guest_sub uses ttl -> ok ttl | ... */
	CP_S_JOIN,          /* conf leg relay owner suite ssrcs port flags kin kout tokhash -> ok pttl */
	CP_S_LEAVE,         /* leg conf sub role refund_tokhash -> ok relay | not_found | forbidden */
	CP_S_LEG_LIST,      /* conf sub role -> ok leg owner suite ssrcs relay ... | not_found */
	CP_S_RELAY_LEGS,    /* relay -> leg conf suite ssrcs port flags kin kout ... (prunes) */
	CP_S_HEARTBEAT,     /* relay address port started ttl -> ok */
	CP_S_MAX
};

int cp_store_init(void);
void cp_store_fini(void);

/*
 * Runs a script with argc string arguments (the prefix is added as ARGV[1]).
 * 0 or -ENOTCONN (Redis down: cb not called) or -ENOMEM.
 */
int cp_store_call(struct cp_server *s, enum cp_script_id id, cp_redis_cb cb, void *arg,
		  int argc, const char *const *argv);

/* The status string of a script reply ("ok", a refusal code), or NULL when malformed. */
const char *cp_store_status(const struct cp_rreply *reply);
/* Element i of an array reply as a string ("" when absent or not a string). */
const char *cp_store_str(const struct cp_rreply *reply, size_t i);
long long cp_store_int(const struct cp_rreply *reply, size_t i);

#endif /* CP_STORE_H */
