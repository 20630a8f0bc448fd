/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis schema's scripts (see cp_store.h and conf/redis-schema.md). Keys, with P the
 * prefix (default "sl:"):
 *   P u:NAME          hash  role, pw (Argon2id), totp (sealed, base64), step (last TOTP step)
 *   P u:NAME:rc       set   keyed hashes of unused recovery codes
 *   P f:u:NAME        int   failed logins for the user within the lockout window
 *   P f:s:PSEUDONYM   int   failed logins from a client address within the window
 *   P t:HASH          hash  bearer token: sub, kind (user|guest), conf, uses (guests)
 *   P c:ID            hash  conference: name, owner, relay, max_legs, created
 *   P c:ID:legs       set   leg ids of the conference
 *   P l:ID            hash  leg: conf, relay, owner, suite, ssrcs, port, flags, kin, kout
 *                           (kin/kout sealed, base64)
 *   P r:RELAY         hash  heartbeat: address, port, started
 *   P r:RELAY:legs    set   leg ids installed on that relay
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp_server.h"
#include "cp_store.h"

#define MAX_ARGS 32

static const char *const script_text[CP_S_MAX] = {
[CP_S_AUTH] =
	"local p = ARGV[1]\n"
	"local t = redis.call('HMGET', p..'t:'..ARGV[2], 'sub', 'kind', 'conf', 'uses')\n"
	"if not t[1] then return {'none'} end\n"
	"if t[2] == 'user' then\n"
	"  local role = redis.call('HGET', p..'u:'..t[1], 'role')\n"
	"  if not role then return {'none'} end\n"
	"  return {'ok', t[1], role, '0', '0'}\n"
	"end\n"
	"return {'ok', t[1], 'guest', t[3] or '0', t[4] or '0'}\n",
[CP_S_LOGIN_PRE] =
	"local p = ARGV[1]\n"
	"local ku, ks = p..'f:u:'..ARGV[2], p..'f:s:'..ARGV[3]\n"
	"if tonumber(redis.call('GET', ku) or '0') >= tonumber(ARGV[4]) then\n"
	"  return {'locked', redis.call('PTTL', ku)} end\n"
	"if tonumber(redis.call('GET', ks) or '0') >= tonumber(ARGV[5]) then\n"
	"  return {'locked', redis.call('PTTL', ks)} end\n"
	"local u = redis.call('HMGET', p..'u:'..ARGV[2], 'pw', 'totp', 'step', 'role')\n"
	"if not u[1] then return {'nouser'} end\n"
	"return {'ok', u[1], u[2], u[3] or '0', u[4]}\n",
[CP_S_LOGIN_FAIL] =
	"local p = ARGV[1]\n"
	"local ku, ks = p..'f:u:'..ARGV[2], p..'f:s:'..ARGV[3]\n"
	"local a = redis.call('INCR', ku)\n"
	"if redis.call('TTL', ku) < 0 then redis.call('EXPIRE', ku, ARGV[4]) end\n"
	"local b = redis.call('INCR', ks)\n"
	"if redis.call('TTL', ks) < 0 then redis.call('EXPIRE', ks, ARGV[4]) end\n"
	"return {'ok', a, b}\n",
[CP_S_LOGIN_OK] =
	"local p = ARGV[1]\n"
	"local ku = p..'u:'..ARGV[2]\n"
	"if redis.call('EXISTS', ku) == 0 then return {'bad'} end\n"
	"if ARGV[3] ~= '' then\n"
	"  if tonumber(ARGV[3]) <= tonumber(redis.call('HGET', ku, 'step') or '0') then\n"
	"    return {'reused'} end\n"
	"  redis.call('HSET', ku, 'step', ARGV[3])\n"
	"elseif redis.call('SREM', ku..':rc', ARGV[4]) == 0 then\n"
	"  return {'bad'}\n"
	"end\n"
	"redis.call('DEL', p..'f:u:'..ARGV[2])\n"
	"local kt = p..'t:'..ARGV[5]\n"
	"redis.call('HSET', kt, 'sub', ARGV[2], 'kind', 'user')\n"
	"redis.call('EXPIRE', kt, ARGV[6])\n"
	"redis.call('EXPIRE', ku, ARGV[7])\n"
	"redis.call('EXPIRE', ku..':rc', ARGV[7])\n"
	"return {'ok', redis.call('SCARD', ku..':rc')}\n",
[CP_S_LOGOUT] =
	"redis.call('DEL', ARGV[1]..'t:'..ARGV[2])\n"
	"return {'ok'}\n",
[CP_S_USER_ADD] =
	"local p = ARGV[1]\n"
	"local ku = p..'u:'..ARGV[2]\n"
	"if redis.call('EXISTS', ku) == 1 then return {'exists'} end\n"
	"redis.call('HSET', ku, 'role', ARGV[3], 'pw', ARGV[4], 'totp', ARGV[5], 'step', '0')\n"
	"redis.call('EXPIRE', ku, ARGV[6])\n"
	"redis.call('DEL', ku..':rc')\n"
	"for i = 7, #ARGV do redis.call('SADD', ku..':rc', ARGV[i]) end\n"
	"redis.call('EXPIRE', ku..':rc', ARGV[6])\n"
	"return {'ok'}\n",
[CP_S_USER_TOTP] =
	"local p = ARGV[1]\n"
	"local ku = p..'u:'..ARGV[2]\n"
	"if redis.call('EXISTS', ku) == 0 then return {'not_found'} end\n"
	"redis.call('HSET', ku, 'totp', ARGV[3], 'step', '0')\n"
	"redis.call('EXPIRE', ku, ARGV[4])\n"
	"redis.call('DEL', ku..':rc')\n"
	"for i = 5, #ARGV do redis.call('SADD', ku..':rc', ARGV[i]) end\n"
	"redis.call('EXPIRE', ku..':rc', ARGV[4])\n"
	"return {'ok'}\n",
[CP_S_USER_DEL] =
	"local ku = ARGV[1]..'u:'..ARGV[2]\n"
	"if redis.call('DEL', ku) == 0 then return {'not_found'} end\n"
	"redis.call('DEL', ku..':rc', ARGV[1]..'f:u:'..ARGV[2])\n"
	"return {'ok'}\n",
[CP_S_USER_ROLE] =
	"local ku = ARGV[1]..'u:'..ARGV[2]\n"
	"if redis.call('EXISTS', ku) == 0 then return {'not_found'} end\n"
	"redis.call('HSET', ku, 'role', ARGV[3])\n"
	"return {'ok'}\n",
[CP_S_USER_LIST] =
	"local p, out, cur = ARGV[1], {'ok'}, '0'\n"
	"repeat\n"
	"  local r = redis.call('SCAN', cur, 'MATCH', p..'u:*', 'COUNT', 1000)\n"
	"  cur = r[1]\n"
	"  for _, k in ipairs(r[2]) do\n"
	"    local name = string.sub(k, #p + 3)\n"
	"    if not string.find(name, ':', 1, true) then\n"
	"      table.insert(out, name)\n"
	"      table.insert(out, redis.call('HGET', k, 'role') or '')\n"
	"    end\n"
	"  end\n"
	"until cur == '0'\n"
	"return out\n",
[CP_S_CONF_ADD] =
	"local kc = ARGV[1]..'c:'..ARGV[2]\n"
	"if redis.call('EXISTS', kc) == 1 then return {'exists'} end\n"
	"redis.call('HSET', kc, 'name', ARGV[3], 'owner', ARGV[4], 'relay', ARGV[5],\n"
	"           'max_legs', ARGV[6], 'created', ARGV[8])\n"
	"redis.call('EXPIRE', kc, ARGV[7])\n"
	"return {'ok'}\n",
[CP_S_CONF_GET] =
	"local kc = ARGV[1]..'c:'..ARGV[2]\n"
	"local c = redis.call('HMGET', kc, 'name', 'owner', 'relay', 'max_legs', 'created')\n"
	"if not c[2] then return {'not_found'} end\n"
	"return {'ok', c[1], c[2], c[3], c[4], c[5], redis.call('SCARD', kc..':legs'),\n"
	"        redis.call('PTTL', kc)}\n",
[CP_S_CONF_LIST] =
	"local p, out, cur = ARGV[1], {'ok'}, '0'\n"
	"repeat\n"
	"  local r = redis.call('SCAN', cur, 'MATCH', p..'c:*', 'COUNT', 1000)\n"
	"  cur = r[1]\n"
	"  for _, k in ipairs(r[2]) do\n"
	"    local id = string.sub(k, #p + 3)\n"
	"    if not string.find(id, ':', 1, true) then\n"
	"      local c = redis.call('HMGET', k, 'name', 'owner', 'relay', 'max_legs')\n"
	"      if c[2] and (ARGV[2] == '' or c[2] == ARGV[2]) then\n"
	"        for _, v in ipairs({id, c[1], c[2], c[3], c[4]}) do table.insert(out, v) end\n"
	"        table.insert(out, redis.call('SCARD', k..':legs'))\n"
	"        table.insert(out, redis.call('PTTL', k))\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"until cur == '0'\n"
	"return out\n",
[CP_S_CONF_END] =
	"local p = ARGV[1]\n"
	"local kc = p..'c:'..ARGV[2]\n"
	"local owner = redis.call('HGET', kc, 'owner')\n"
	"if not owner then return {'not_found'} end\n"
	"if ARGV[4] ~= 'admin' and owner ~= ARGV[3] then return {'forbidden'} end\n"
	"local legs = redis.call('SMEMBERS', kc..':legs')\n"
	"for _, id in ipairs(legs) do\n"
	"  local relay = redis.call('HGET', p..'l:'..id, 'relay')\n"
	"  if relay then redis.call('SREM', p..'r:'..relay..':legs', id) end\n"
	"  redis.call('DEL', p..'l:'..id)\n"
	"end\n"
	"redis.call('DEL', kc, kc..':legs')\n"
	"return {'ok', #legs}\n",
[CP_S_GUEST_ADD] =
	"local p = ARGV[1]\n"
	"local kc = p..'c:'..ARGV[2]\n"
	"local owner = redis.call('HGET', kc, 'owner')\n"
	"if not owner then return {'not_found'} end\n"
	"if ARGV[4] ~= 'admin' and owner ~= ARGV[3] then return {'forbidden'} end\n"
	"local ttl = math.min(tonumber(ARGV[8]), math.floor(redis.call('PTTL', kc) / 1000))\n"
	"if ttl <= 0 then return {'not_found'} end\n"
	"local kt = p..'t:'..ARGV[5]\n"
	"redis.call('HSET', kt, 'sub', ARGV[6], 'kind', 'guest', 'conf', ARGV[2], 'uses', ARGV[7])\n"
	"redis.call('EXPIRE', kt, ttl)\n"
	"return {'ok', ttl}\n",
[CP_S_JOIN] =
	"local p = ARGV[1]\n"
	"local kc = p..'c:'..ARGV[2]\n"
	"local ml = redis.call('HGET', kc, 'max_legs')\n"
	"local ttl = redis.call('PTTL', kc)\n"
	"if not ml or ttl <= 0 then return {'not_found'} end\n"
	"local kls = kc..':legs'\n"
	"if redis.call('SCARD', kls) >= tonumber(ml) then return {'conference_full'} end\n"
	"local kl = p..'l:'..ARGV[3]\n"
	"if redis.call('EXISTS', kl) == 1 then return {'exists'} end\n"
	"if ARGV[12] ~= '' then\n"
	"  local kt = p..'t:'..ARGV[12]\n"
	"  if tonumber(redis.call('HGET', kt, 'uses') or '0') <= 0 then\n"
	"    return {'token_used_up'} end\n"
	"  redis.call('HINCRBY', kt, 'uses', -1)\n"
	"end\n"
	"redis.call('HSET', kl, 'conf', ARGV[2], 'relay', ARGV[4], 'owner', ARGV[5],\n"
	"           'suite', ARGV[6], 'ssrcs', ARGV[7], 'port', ARGV[8], 'flags', ARGV[9],\n"
	"           'kin', ARGV[10], 'kout', ARGV[11])\n"
	"redis.call('PEXPIRE', kl, ttl)\n"
	"redis.call('SADD', kls, ARGV[3])\n"
	"redis.call('PEXPIRE', kls, ttl)\n"
	"local kr = p..'r:'..ARGV[4]..':legs'\n"
	"redis.call('SADD', kr, ARGV[3])\n"
	"if redis.call('PTTL', kr) < ttl then redis.call('PEXPIRE', kr, ttl) end\n"
	"return {'ok', ttl}\n",
[CP_S_LEAVE] =
	"local p = ARGV[1]\n"
	"local kl = p..'l:'..ARGV[2]\n"
	"local l = redis.call('HMGET', kl, 'conf', 'owner', 'relay')\n"
	"if not l[1] or l[1] ~= ARGV[3] then return {'not_found'} end\n"
	"if ARGV[5] ~= 'admin' and l[2] ~= ARGV[4] and\n"
	"   redis.call('HGET', p..'c:'..l[1], 'owner') ~= ARGV[4] then\n"
	"  return {'forbidden'} end\n"
	"redis.call('DEL', kl)\n"
	"redis.call('SREM', p..'c:'..l[1]..':legs', ARGV[2])\n"
	"redis.call('SREM', p..'r:'..l[3]..':legs', ARGV[2])\n"
	"if ARGV[6] ~= '' and redis.call('EXISTS', p..'t:'..ARGV[6]) == 1 then\n"
	"  redis.call('HINCRBY', p..'t:'..ARGV[6], 'uses', 1) end\n"
	"return {'ok', l[3]}\n",
[CP_S_LEG_LIST] =
	"local p, out = ARGV[1], {'ok'}\n"
	"local owner = redis.call('HGET', p..'c:'..ARGV[2], 'owner')\n"
	"if not owner then return {'not_found'} end\n"
	"if ARGV[4] ~= 'admin' and owner ~= ARGV[3] then return {'forbidden'} end\n"
	"for _, id in ipairs(redis.call('SMEMBERS', p..'c:'..ARGV[2]..':legs')) do\n"
	"  local l = redis.call('HMGET', p..'l:'..id, 'owner', 'suite', 'ssrcs', 'relay')\n"
	"  if l[1] then\n"
	"    for _, v in ipairs({id, l[1], l[2], l[3], l[4]}) do table.insert(out, v) end\n"
	"  end\n"
	"end\n"
	"return out\n",
[CP_S_RELAY_LEGS] =
	"local p, out = ARGV[1], {'ok'}\n"
	"local kr = p..'r:'..ARGV[2]..':legs'\n"
	"for _, id in ipairs(redis.call('SMEMBERS', kr)) do\n"
	"  local l = redis.call('HMGET', p..'l:'..id, 'conf', 'suite', 'ssrcs', 'port', 'flags',\n"
	"                       'kin', 'kout')\n"
	"  if l[1] and l[7] then\n"
	"    table.insert(out, id)\n"
	"    for i = 1, 7 do table.insert(out, l[i]) end\n"
	"  else\n"
	"    redis.call('SREM', kr, id)\n"
	"  end\n"
	"end\n"
	"return out\n",
[CP_S_HEARTBEAT] =
	"local k = ARGV[1]..'r:'..ARGV[2]\n"
	"redis.call('HSET', k, 'address', ARGV[3], 'port', ARGV[4], 'started', ARGV[5])\n"
	"redis.call('EXPIRE', k, ARGV[6])\n"
	"return {'ok'}\n",
};

static struct cp_redis_script *scripts[CP_S_MAX];

int
cp_store_init(void)
{
	for (unsigned int i = 0; i < CP_S_MAX; i++) {
		scripts[i] = cp_redis_script_new(script_text[i]);
		if (scripts[i] == NULL) {
			cp_store_fini();
			return -ENOMEM;
		}
	}
	return 0;
}

void
cp_store_fini(void)
{
	for (unsigned int i = 0; i < CP_S_MAX; i++) {
		cp_redis_script_free(scripts[i]);
		scripts[i] = NULL;
	}
}

int
cp_store_call(struct cp_server *s, enum cp_script_id id, cp_redis_cb cb, void *arg, int argc,
	      const char *const *argv)
{
	const char *av[MAX_ARGS];
	size_t lens[MAX_ARGS];

	if (argc + 1 > MAX_ARGS || id >= CP_S_MAX)
		return -EINVAL;
	av[0] = s->cfg.redis_prefix;
	lens[0] = strlen(av[0]);
	for (int i = 0; i < argc; i++) {
		av[i + 1] = argv[i];
		lens[i + 1] = strlen(argv[i]);
	}
	return cp_redis_eval(s->redis, scripts[id], cb, arg, 0, argc + 1, av, lens);
}

const char *
cp_store_status(const struct cp_rreply *reply)
{
	if (reply == NULL || reply->type != CP_R_ARRAY || reply->n == 0 ||
	    reply->elem[0]->type != CP_R_STRING)
		return NULL;
	return reply->elem[0]->str;
}

const char *
cp_store_str(const struct cp_rreply *reply, size_t i)
{
	if (reply == NULL || reply->type != CP_R_ARRAY || i >= reply->n ||
	    reply->elem[i]->type != CP_R_STRING)
		return "";
	return reply->elem[i]->str;
}

long long
cp_store_int(const struct cp_rreply *reply, size_t i)
{
	const struct cp_rreply *e;

	if (reply == NULL || reply->type != CP_R_ARRAY || i >= reply->n)
		return 0;
	e = reply->elem[i];
	if (e->type == CP_R_INT)
		return e->integer;
	if (e->type == CP_R_STRING)
		return strtoll(e->str, NULL, 10);
	return 0;
}
