/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis client: RESP over a libevent bufferevent (TCP, Unix socket, or TLS through
 * OpenSSL), commands pipelined, replies parsed by hiredis's reader into struct cp_rreply.
 * The one file that includes hiredis.
 *
 * The client connects on its own and reconnects with exponential back-off (min..max, with
 * jitter) whenever the connection drops; after connecting it sends AUTH (when a password is
 * set), then calls on_state(up = true). When the connection drops, every queued command's
 * callback runs with reply NULL, then on_state(up = false).
 *
 * Ownership: a reply is valid only during its callback. Callbacks may queue new commands.
 * Return convention: 0 or negative errno (-ENOTCONN: not connected, callback not called;
 * -EINVAL; -ENOMEM).
 */
#ifndef CP_REDIS_H
#define CP_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct cp_redis;

enum cp_rtype {
	CP_R_NIL,
	CP_R_INT,
	CP_R_STRING,   /* bulk string */
	CP_R_STATUS,   /* +OK */
	CP_R_ERROR,    /* -ERR ... (str holds the text) */
	CP_R_ARRAY,
};

struct cp_rreply {
	enum cp_rtype type;
	long long integer;
	char *str;              /* STRING, STATUS, ERROR: NUL-terminated, len bytes (binary safe) */
	size_t len;
	size_t n;               /* ARRAY */
	struct cp_rreply **elem;
};

/* reply is NULL when the command could not complete (connection lost, timeout). */
typedef void (*cp_redis_cb)(struct cp_redis *r, const struct cp_rreply *reply, void *arg);

struct cp_redis_opts {
	const char *host;             /* TCP, when unix_path is NULL or "" */
	uint16_t port;
	const char *unix_path;
	const char *user;             /* ACL user, NULL or "" for none */
	const char *password;         /* NULL or "" for none; copied, wiped on free */
	SSL_CTX *tls;                 /* non-NULL: TLS (the context verifies the server) */
	const char *tls_servername;   /* SNI and host name to verify */
	unsigned int backoff_min_ms;  /* default 100 */
	unsigned int backoff_max_ms;  /* default 5000 */
	unsigned int timeout_ms;      /* a command unanswered this long drops the connection;
				       * default 3000 */
	void (*on_state)(struct cp_redis *r, bool up, void *arg);
	void *arg;
};

/* Starts connecting at once. NULL on bad options or memory. */
struct cp_redis *cp_redis_new(struct event_base *base, const struct cp_redis_opts *opts);
/* Fails queued commands (callbacks with NULL) and frees the client. */
void cp_redis_free(struct cp_redis *r);
bool cp_redis_up(const struct cp_redis *r);
/* Counters for metrics. */
uint64_t cp_redis_reconnects(const struct cp_redis *r);

/* Queues a command given as argc binary-safe arguments. */
int cp_redis_cmdv(struct cp_redis *r, cp_redis_cb cb, void *arg, int argc, const char **argv,
		  const size_t *lens);
/* Queues a command in hiredis format ("SET %s %b", key, buf, len). */
int cp_redis_cmdf(struct cp_redis *r, cp_redis_cb cb, void *arg, const char *fmt, ...);

/*
 * A Lua script, run with EVALSHA; on NOSCRIPT (Redis restarted, SCRIPT FLUSH) the client
 * sends SCRIPT LOAD then retries once, transparently. The text must outlive the script.
 */
struct cp_redis_script;
struct cp_redis_script *cp_redis_script_new(const char *lua);
void cp_redis_script_free(struct cp_redis_script *s);
/* argv holds nkeys keys then the other arguments. */
int cp_redis_eval(struct cp_redis *r, struct cp_redis_script *s, cp_redis_cb cb, void *arg,
		  int nkeys, int argc, const char **argv, const size_t *lens);

/* Looks up field name in a flat [name, value, ...] array reply (HGETALL); NULL if absent. */
const struct cp_rreply *cp_rreply_field(const struct cp_rreply *arr, const char *name);

#endif /* CP_REDIS_H */
