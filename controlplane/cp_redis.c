/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis client on libevent. hiredis formats commands and its reader parses RESP2, with
 * our own object functions so that replies are struct cp_rreply from the start and no
 * hiredis type leaves this file.
 *
 * One connection at a time. Commands are written as soon as they are queued (pipelining);
 * Redis answers in order, so a FIFO of pending callbacks pairs replies with commands. This
 * excludes SUBSCRIBE and MONITOR, whose replies are not one per command.
 *
 * States: WAIT (the retry timer runs) -> CONNECTING (TCP connect, TLS handshake) -> AUTH
 * (only with a password) -> UP. Only UP accepts commands from outside. Any failure (error,
 * EOF, protocol error, refused AUTH, a command or a connect older than timeout_ms) drops the
 * connection: the bufferevent and reader are freed first, every pending callback runs with
 * NULL, on_state(false) follows when the client had been up, and a retry is scheduled
 * after an exponential back-off with jitter. Bufferevents defer their callbacks, so nothing
 * runs re-entrantly from inside cp_redis_cmdv().
 *
 * A host name is resolved with getaddrinfo() at each attempt; that may block the loop
 * briefly, which is acceptable for a configured Redis address (normally a literal or a name
 * from /etc/hosts). When a name has several addresses, a failed attempt moves to the next.
 *
 * Scripts: the SHA-1 that SCRIPT LOAD returns is kept in the script object (it depends on
 * the text only). An EVALSHA answered with NOSCRIPT (Redis restarted or flushed) loads the
 * script and is sent once more, after the commands queued meanwhile. A script must outlive
 * the evals queued with it.
 *
 * Writes may raise SIGPIPE when Redis has gone: the process ignores SIGPIPE.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cp_crypto.h"
#include "cp_log.h"
#include "cp_redis.h"
#include "cp_tls.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define TIMEOUT_MS 3000
#define SHA_HEX_LEN 40
/* A reply array larger than this is treated as a protocol error (a bound on memory). */
#define RREPLY_MAX_ELEMS (1 << 24)

struct rpend {
	TAILQ_ENTRY(rpend) link;
	cp_redis_cb cb;
	void *arg;
	uint64_t deadline_ms;
};
TAILQ_HEAD(rpend_list, rpend);

enum rstate {
	RS_WAIT,
	RS_CONNECTING,
	RS_AUTH,
	RS_UP,
	RS_CLOSING,
};

struct cp_redis {
	struct event_base *base;
	struct bufferevent *bev;
	redisReader *reader;
	struct event *retry_ev;
	struct event *timer_ev;        /* connect deadline, then the oldest command's */
	struct rpend_list pending;
	enum rstate state;
	uint64_t gen;                  /* bumped on each drop: stops a reply loop in time */
	unsigned int failures;         /* attempts failed in a row, for the back-off */
	unsigned int addr_next;
	bool tried;
	uint64_t reconnects;

	char *name;                    /* "host:port" or "unix:path", for the log */
	char *host;
	char *port;
	char *unix_path;
	char *user;
	char *password;
	size_t password_len;
	SSL_CTX *tls;
	char *servername;
	unsigned int backoff_min_ms;
	unsigned int backoff_max_ms;
	unsigned int timeout_ms;
	void (*on_state)(struct cp_redis *r, bool up, void *arg);
	void *arg;
};

struct cp_redis_script {
	const char *text;
	size_t len;
	bool have_sha;
	char sha[SHA_HEX_LEN + 1];
};

/* An eval in flight: EVALSHA sha nkeys args..., argument copies in the same block. */
struct reval {
	struct cp_redis_script *s;
	cp_redis_cb cb;
	void *arg;
	bool retried;
	int argc;                      /* with the 3 leading EVALSHA, sha, nkeys */
	const char **argv;
	size_t *lens;
	char nkeys[16];
};

static void conn_fail(struct cp_redis *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
ms_to_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
}

/* ---- replies: hiredis reader object functions ---- */

static void
rr_free(void *obj)
{
	struct cp_rreply *rep = obj;

	if (rep == NULL)
		return;
	if (rep->type == CP_R_ARRAY)
		for (size_t i = 0; i < rep->n; i++)
			rr_free(rep->elem[i]);
	free(rep);
}

/* Links a new object into its parent array; the reader gives the slot. */
static void *
rr_attach(const redisReadTask *task, struct cp_rreply *rep)
{
	struct cp_rreply *parent;

	if (task->parent == NULL)
		return rep;
	parent = task->parent->obj;
	if (parent == NULL || parent->type != CP_R_ARRAY || task->idx < 0 ||
	    (size_t)task->idx >= parent->n || parent->elem[task->idx] != NULL) {
		rr_free(rep);
		return NULL;
	}
	parent->elem[task->idx] = rep;
	return rep;
}

static void *
rr_string(const redisReadTask *task, char *str, size_t len)
{
	struct cp_rreply *rep;
	enum cp_rtype type;

	switch (task->type) {
	case REDIS_REPLY_STRING:
		type = CP_R_STRING;
		break;
	case REDIS_REPLY_STATUS:
		type = CP_R_STATUS;
		break;
	case REDIS_REPLY_ERROR:
		type = CP_R_ERROR;
		break;
	default:
		return NULL;
	}
	if (len > SIZE_MAX - sizeof(*rep) - 1)
		return NULL;
	/* One block: the struct, then the bytes and a NUL. */
	rep = malloc(sizeof(*rep) + len + 1);
	if (rep == NULL)
		return NULL;
	memset(rep, 0, sizeof(*rep));
	rep->type = type;
	rep->str = (char *)(rep + 1);
	memcpy(rep->str, str, len);
	rep->str[len] = '\0';
	rep->len = len;
	return rr_attach(task, rep);
}

static void *
rr_array(const redisReadTask *task, int elements)
{
	struct cp_rreply *rep;

	/* The reader passes any count but -1 (nil) through, negative ones included. */
	if (elements < 0 || elements > RREPLY_MAX_ELEMS)
		return NULL;
	rep = calloc(1, sizeof(*rep) + (size_t)elements * sizeof(rep->elem[0]));
	if (rep == NULL)
		return NULL;
	rep->type = CP_R_ARRAY;
	rep->n = (size_t)elements;
	rep->elem = elements > 0 ? (struct cp_rreply **)(rep + 1) : NULL;
	return rr_attach(task, rep);
}

static void *
rr_integer(const redisReadTask *task, long long value)
{
	struct cp_rreply *rep = calloc(1, sizeof(*rep));

	if (rep == NULL)
		return NULL;
	rep->type = CP_R_INT;
	rep->integer = value;
	return rr_attach(task, rep);
}

static void *
rr_nil(const redisReadTask *task)
{
	struct cp_rreply *rep = calloc(1, sizeof(*rep));

	if (rep == NULL)
		return NULL;
	rep->type = CP_R_NIL;
	return rr_attach(task, rep);
}

static redisReplyObjectFunctions rr_fns = {
	.createString = rr_string,
	.createArray = rr_array,
	.createInteger = rr_integer,
	.createNil = rr_nil,
	.freeObject = rr_free,
};

const struct cp_rreply *
cp_rreply_field(const struct cp_rreply *arr, const char *name)
{
	size_t len;

	if (arr == NULL || name == NULL || arr->type != CP_R_ARRAY)
		return NULL;
	len = strlen(name);
	for (size_t i = 0; i + 1 < arr->n; i += 2) {
		const struct cp_rreply *k = arr->elem[i];

		if (k != NULL && (k->type == CP_R_STRING || k->type == CP_R_STATUS) &&
		    k->len == len && memcmp(k->str, name, len) == 0)
			return arr->elem[i + 1];
	}
	return NULL;
}

/* ---- pending commands ---- */

static void
timer_rearm(struct cp_redis *r)
{
	struct rpend *p = TAILQ_FIRST(&r->pending);
	struct timeval tv;
	uint64_t now;

	if (p == NULL) {
		evtimer_del(r->timer_ev);
		return;
	}
	now = now_ms();
	ms_to_tv(p->deadline_ms > now ? p->deadline_ms - now : 0, &tv);
	evtimer_add(r->timer_ev, &tv);
}

/* Runs every pending callback with NULL; the list is detached first. */
static void
fail_all(struct cp_redis *r)
{
	struct rpend_list failed = TAILQ_HEAD_INITIALIZER(failed);
	struct rpend *p;

	TAILQ_CONCAT(&failed, &r->pending, link);
	while ((p = TAILQ_FIRST(&failed)) != NULL) {
		TAILQ_REMOVE(&failed, p, link);
		if (p->cb != NULL)
			p->cb(r, NULL, p->arg);
		free(p);
	}
}

static void
secret_cleanup(const void *data, size_t len, void *extra)
{
	(void)data;
	cp_wipe(extra, len);
	free(extra);
}

/*
 * Writes a formatted command and queues its callback. A secret command is handed to the
 * output buffer by reference (it owns cmd from then on) so that it is wiped once sent
 * rather than left in a freed buffer.
 */
static int
rq_push(struct cp_redis *r, cp_redis_cb cb, void *arg, char *cmd, size_t len, bool secret)
{
	struct rpend *p;
	int rc;

	if (r->bev == NULL || (r->state != RS_AUTH && r->state != RS_UP)) {
		if (secret) {
			cp_wipe(cmd, len);
			free(cmd);
		}
		return -ENOTCONN;
	}
	p = malloc(sizeof(*p));
	if (p == NULL) {
		if (secret) {
			cp_wipe(cmd, len);
			free(cmd);
		}
		return -ENOMEM;
	}
	if (secret) {
		rc = evbuffer_add_reference(bufferevent_get_output(r->bev), cmd, len,
					    secret_cleanup, cmd);
		if (rc != 0) {
			cp_wipe(cmd, len);
			free(cmd);
		}
	} else {
		rc = bufferevent_write(r->bev, cmd, len);
	}
	if (rc != 0) {
		free(p);
		return -ENOMEM;
	}
	p->cb = cb;
	p->arg = arg;
	p->deadline_ms = now_ms() + r->timeout_ms;
	TAILQ_INSERT_TAIL(&r->pending, p, link);
	if (TAILQ_FIRST(&r->pending) == p)
		timer_rearm(r);
	return 0;
}

static int
rq_argv(struct cp_redis *r, cp_redis_cb cb, void *arg, int argc, const char **argv,
	const size_t *lens)
{
	char *cmd;
	int len, rc;

	len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (len < 0)
		return -ENOMEM;
	rc = rq_push(r, cb, arg, cmd, (size_t)len, false);
	redisFreeCommand(cmd);
	return rc;
}

/* ---- connection ---- */

static void
retry_schedule(struct cp_redis *r)
{
	uint64_t d = r->backoff_min_ms;
	struct timeval tv;

	for (unsigned int i = 0; i < r->failures && d < r->backoff_max_ms; i++)
		d *= 2;
	if (d > r->backoff_max_ms)
		d = r->backoff_max_ms;
	/* Jitter over the upper half keeps the relays of a cluster from reconnecting in step. */
	d = d / 2 + cp_random_id() % (d / 2 + 1);
	if (r->failures < UINT_MAX)
		r->failures++;
	ms_to_tv(d, &tv);
	evtimer_add(r->retry_ev, &tv);
}

/* Frees the connection, fails what was pending, and tells the owner if it had been up. */
static void
conn_drop(struct cp_redis *r)
{
	bool was_up = r->state == RS_UP;

	if (r->state == RS_CONNECTING)
		r->addr_next++;
	if (r->bev != NULL) {
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	if (r->reader != NULL) {
		redisReaderFree(r->reader);
		r->reader = NULL;
	}
	evtimer_del(r->timer_ev);
	r->gen++;
	r->state = RS_WAIT;
	fail_all(r);
	if (was_up && r->on_state != NULL)
		r->on_state(r, false, r->arg);
}

/* Logs why, drops the connection, and schedules the next attempt. */
static void
conn_fail(struct cp_redis *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* The first failure in a row is news; the retries that follow are not. */
	if (r->failures == 0)
		CP_LOG(WARNING, "redis %s: %s", r->name, why);
	else
		CP_LOG(DEBUG, "redis %s: %s", r->name, why);
	conn_drop(r);
	retry_schedule(r);
}

static void
conn_up(struct cp_redis *r)
{
	r->state = RS_UP;
	r->failures = 0;
	CP_LOG(INFO, "redis %s: connected%s", r->name, r->tls != NULL ? " (TLS)" : "");
	if (r->on_state != NULL)
		r->on_state(r, true, r->arg);
}

static void
auth_done(struct cp_redis *r, const struct cp_rreply *rep, void *arg)
{
	(void)arg;
	if (rep == NULL)
		return;         /* the connection is going; its drop has the reason */
	if (rep->type == CP_R_STATUS) {
		conn_up(r);
		return;
	}
	/* Redis's error text names no password; ours neither. */
	conn_fail(r, "AUTH%s%s refused: %.*s", r->user != NULL ? " as " : "",
		  r->user != NULL ? r->user : "", rep->type == CP_R_ERROR ? (int)rep->len : 0,
		  rep->type == CP_R_ERROR ? rep->str : "");
}

static int
auth_send(struct cp_redis *r)
{
	const char *argv[3];
	size_t lens[3];
	char *cmd;
	int argc = 0, len;

	argv[argc] = "AUTH";
	lens[argc++] = 4;
	if (r->user != NULL) {
		argv[argc] = r->user;
		lens[argc++] = strlen(r->user);
	}
	argv[argc] = r->password;
	lens[argc++] = r->password_len;
	len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (len < 0)
		return -ENOMEM;
	return rq_push(r, auth_done, NULL, cmd, (size_t)len, true);
}

static void
conn_ready(struct cp_redis *r)
{
	evutil_socket_t fd = bufferevent_getfd(r->bev);
	int one = 1;
	int rc;

	evtimer_del(r->timer_ev);
	if (r->unix_path == NULL && fd >= 0) {
		/* Pipelined small commands must not wait for Nagle; keepalive finds dead peers. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (r->password == NULL) {
		conn_up(r);
		return;
	}
	r->state = RS_AUTH;
	rc = auth_send(r);
	if (rc < 0)
		conn_fail(r, "AUTH: %s", strerror(-rc));
}

static void
on_event(struct bufferevent *bev, short what, void *ctx)
{
	struct cp_redis *r = ctx;
	int err = EVUTIL_SOCKET_ERROR();
	unsigned long tls_err = 0;
	long verify = X509_V_OK;
	SSL *ssl;

	if (what & BEV_EVENT_CONNECTED) {
		conn_ready(r);
		return;
	}
	if (r->tls != NULL) {
		unsigned long e;

		/* The queue is a stack: the last one popped is the first error. */
		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			tls_err = e;
		ssl = bufferevent_openssl_get_ssl(bev);
		if (ssl != NULL && r->state == RS_CONNECTING)
			verify = SSL_get_verify_result(ssl);
	}
	if (verify != X509_V_OK)
		conn_fail(r, "TLS: server certificate not accepted (X509 verify error %ld)",
			  verify);
	else if (tls_err != 0)
		conn_fail(r, "TLS error 0x%lx", tls_err);
	else if (what & BEV_EVENT_EOF)
		conn_fail(r, "connection closed by the server");
	else
		conn_fail(r, "%s", err != 0 ? evutil_socket_error_to_string(err) :
			  "connection failed");
}

/* Hands one reply to the oldest pending callback. */
static void
dispatch(struct cp_redis *r, struct cp_rreply *rep)
{
	struct rpend *p = TAILQ_FIRST(&r->pending);

	if (p == NULL) {
		rr_free(rep);
		conn_fail(r, "protocol error: a reply to no command");
		return;
	}
	TAILQ_REMOVE(&r->pending, p, link);
	timer_rearm(r);
	if (p->cb != NULL)
		p->cb(r, rep, p->arg);
	free(p);
	rr_free(rep);
}

static void
on_read(struct bufferevent *bev, void *ctx)
{
	struct cp_redis *r = ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint64_t gen = r->gen;
	size_t n;

	while ((n = evbuffer_get_contiguous_space(in)) > 0) {
		const unsigned char *p = evbuffer_pullup(in, (ev_ssize_t)n);

		if (p == NULL || redisReaderFeed(r->reader, (const char *)p, n) != REDIS_OK) {
			conn_fail(r, "out of memory reading a reply");
			return;
		}
		evbuffer_drain(in, n);
	}
	for (;;) {
		void *obj = NULL;

		if (redisReaderGetReply(r->reader, &obj) != REDIS_OK) {
			char why[sizeof(r->reader->errstr)];

			snprintf(why, sizeof(why), "%s", r->reader->errstr);
			conn_fail(r, "protocol error: %s", why);
			return;
		}
		if (obj == NULL)
			return;
		dispatch(r, obj);
		/* A callback (a refused AUTH) may have dropped the connection. */
		if (r->gen != gen)
			return;
	}
}

/* The address of the next attempt. 0 or -1 (logged). */
static int
conn_addr(struct cp_redis *r, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res, *ai;
	unsigned int n = 0, pick;
	int rc;

	memset(ss, 0, sizeof(*ss));
	if (r->unix_path != NULL) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		size_t len = strlen(r->unix_path);

		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, r->unix_path, len + 1);   /* length checked in _new */
		*sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(r->host, r->port, &hints, &res);
	if (rc != 0) {
		conn_fail(r, "cannot resolve: %s", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	pick = r->addr_next % n;
	for (ai = res; pick > 0; ai = ai->ai_next)
		pick--;
	if (ai->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		conn_fail(r, "address too long");
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
conn_start(struct cp_redis *r)
{
	const int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct timeval tv;

	if (r->tried)
		r->reconnects++;
	r->tried = true;
	r->state = RS_CONNECTING;
	if (conn_addr(r, &ss, &sslen) < 0)
		return;
	r->reader = redisReaderCreateWithFunctions(&rr_fns);
	if (r->reader == NULL) {
		conn_fail(r, "out of memory");
		return;
	}
	if (r->tls != NULL) {
		const char *vname = r->servername != NULL ? r->servername : r->host;
		SSL *ssl = SSL_new(r->tls);

		if (ssl == NULL) {
			conn_fail(r, "SSL_new failed");
			return;
		}
		/* Over a Unix socket without a servername, the CA alone is checked. */
		if (vname != NULL && cp_tls_set_host(ssl, vname) < 0) {
			SSL_free(ssl);
			conn_fail(r, "TLS: cannot verify the name %s", vname);
			return;
		}
		/* On failure libevent has freed ssl (BEV_OPT_CLOSE_ON_FREE). */
		r->bev = bufferevent_openssl_socket_new(r->base, -1, ssl,
							BUFFEREVENT_SSL_CONNECTING, opts);
	} else {
		r->bev = bufferevent_socket_new(r->base, -1, opts);
	}
	if (r->bev == NULL) {
		conn_fail(r, "out of memory");
		return;
	}
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	ms_to_tv(r->timeout_ms, &tv);
	evtimer_add(r->timer_ev, &tv);
	if (bufferevent_socket_connect(r->bev, (struct sockaddr *)&ss, (int)sslen) < 0)
		conn_fail(r, "connect: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_start(arg);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cp_redis *r = arg;
	struct rpend *p = TAILQ_FIRST(&r->pending);

	(void)fd;
	(void)what;
	if (r->state == RS_CONNECTING) {
		conn_fail(r, "connect timed out after %u ms", r->timeout_ms);
		return;
	}
	if (p == NULL)
		return;
	if (p->deadline_ms > now_ms()) {
		timer_rearm(r);
		return;
	}
	conn_fail(r, "no reply within %u ms", r->timeout_ms);
}

/* ---- public ---- */

static char *
dup_opt(const char *s, bool *bad)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*bad = true;
	return d;
}

struct cp_redis *
cp_redis_new(struct event_base *base, const struct cp_redis_opts *opts)
{
	struct sockaddr_un un;
	struct cp_redis *r;
	struct timeval now = { 0, 0 };
	bool bad = false;
	int n;

	if (base == NULL || opts == NULL)
		return NULL;
	if (opts->unix_path != NULL && opts->unix_path[0] != '\0') {
		if (strlen(opts->unix_path) >= sizeof(un.sun_path))
			return NULL;
	} else if (opts->host == NULL || opts->host[0] == '\0' || opts->port == 0) {
		return NULL;
	}
	/* An ACL user without a password cannot authenticate. */
	if (opts->user != NULL && opts->user[0] != '\0' &&
	    (opts->password == NULL || opts->password[0] == '\0'))
		return NULL;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->base = base;
	TAILQ_INIT(&r->pending);
	r->state = RS_WAIT;
	r->unix_path = dup_opt(opts->unix_path, &bad);
	if (r->unix_path == NULL) {
		r->host = dup_opt(opts->host, &bad);
		if (asprintf(&r->port, "%u", (unsigned int)opts->port) < 0) {
			r->port = NULL;
			bad = true;
		}
	}
	r->user = dup_opt(opts->user, &bad);
	r->password = dup_opt(opts->password, &bad);
	r->password_len = r->password != NULL ? strlen(r->password) : 0;
	r->servername = dup_opt(opts->tls_servername, &bad);
	if (r->unix_path != NULL)
		n = asprintf(&r->name, "unix:%s", r->unix_path);
	else if (r->host != NULL && strchr(r->host, ':') != NULL)
		n = asprintf(&r->name, "[%s]:%u", r->host, (unsigned int)opts->port);
	else
		n = asprintf(&r->name, "%s:%u", r->host != NULL ? r->host : "",
			     (unsigned int)opts->port);
	if (n < 0) {
		r->name = NULL;
		bad = true;
	}
	if (opts->tls != NULL) {
		SSL_CTX_up_ref(opts->tls);
		r->tls = opts->tls;
	}
	r->backoff_min_ms = opts->backoff_min_ms != 0 ? opts->backoff_min_ms : BACKOFF_MIN_MS;
	r->backoff_max_ms = opts->backoff_max_ms != 0 ? opts->backoff_max_ms : BACKOFF_MAX_MS;
	if (r->backoff_max_ms < r->backoff_min_ms)
		r->backoff_max_ms = r->backoff_min_ms;
	r->timeout_ms = opts->timeout_ms != 0 ? opts->timeout_ms : TIMEOUT_MS;
	r->on_state = opts->on_state;
	r->arg = opts->arg;
	r->retry_ev = evtimer_new(base, on_retry, r);
	r->timer_ev = evtimer_new(base, on_timer, r);
	if (bad || r->retry_ev == NULL || r->timer_ev == NULL)
		goto err_free;
	/* The first attempt runs from the loop, so that no callback runs inside _new. */
	if (evtimer_add(r->retry_ev, &now) != 0)
		goto err_free;
	return r;

err_free:
	cp_redis_free(r);
	return NULL;
}

void
cp_redis_free(struct cp_redis *r)
{
	if (r == NULL)
		return;
	r->state = RS_CLOSING;
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	r->bev = NULL;
	if (r->reader != NULL)
		redisReaderFree(r->reader);
	r->reader = NULL;
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	if (r->timer_ev != NULL)
		event_free(r->timer_ev);
	r->retry_ev = NULL;
	r->timer_ev = NULL;
	fail_all(r);
	if (r->password != NULL) {
		cp_wipe(r->password, r->password_len);
		free(r->password);
	}
	SSL_CTX_free(r->tls);
	free(r->name);
	free(r->host);
	free(r->port);
	free(r->unix_path);
	free(r->user);
	free(r->servername);
	free(r);
}

bool
cp_redis_up(const struct cp_redis *r)
{
	return r != NULL && r->state == RS_UP;
}

uint64_t
cp_redis_reconnects(const struct cp_redis *r)
{
	return r != NULL ? r->reconnects : 0;
}

/* A NULL cb sends the command and ignores the reply. */
int
cp_redis_cmdv(struct cp_redis *r, cp_redis_cb cb, void *arg, int argc, const char **argv,
	      const size_t *lens)
{
	if (r == NULL || argc < 1 || argv == NULL)
		return -EINVAL;
	for (int i = 0; i < argc; i++)
		if (argv[i] == NULL)
			return -EINVAL;
	if (r->state != RS_UP)
		return -ENOTCONN;
	return rq_argv(r, cb, arg, argc, argv, lens);
}

int
cp_redis_cmdf(struct cp_redis *r, cp_redis_cb cb, void *arg, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int len, rc;

	if (r == NULL || fmt == NULL)
		return -EINVAL;
	if (r->state != RS_UP)
		return -ENOTCONN;
	va_start(ap, fmt);
	len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (len == -2)
		return -EINVAL;         /* a bad format string */
	if (len < 0)
		return -ENOMEM;
	rc = rq_push(r, cb, arg, cmd, (size_t)len, false);
	redisFreeCommand(cmd);
	return rc;
}

/* ---- scripts ---- */

struct cp_redis_script *
cp_redis_script_new(const char *lua)
{
	struct cp_redis_script *s;

	if (lua == NULL || lua[0] == '\0')
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->text = lua;
	s->len = strlen(lua);
	return s;
}

void
cp_redis_script_free(struct cp_redis_script *s)
{
	free(s);
}

static void
eval_finish(struct cp_redis *r, struct reval *ev, const struct cp_rreply *rep)
{
	if (ev->cb != NULL)
		ev->cb(r, rep, ev->arg);
	free(ev);
}

static void
eval_done(struct cp_redis *r, const struct cp_rreply *rep, void *arg);

static int
evalsha_send(struct cp_redis *r, struct reval *ev)
{
	ev->argv[1] = ev->s->sha;
	ev->lens[1] = SHA_HEX_LEN;
	return rq_argv(r, eval_done, ev, ev->argc, ev->argv, ev->lens);
}

static void
script_loaded(struct cp_redis *r, const struct cp_rreply *rep, void *arg)
{
	struct reval *ev = arg;

	if (rep == NULL || rep->type != CP_R_STRING || rep->len != SHA_HEX_LEN) {
		/* NULL, or the error of a script that does not compile: the caller's reply. */
		eval_finish(r, ev, rep);
		return;
	}
	memcpy(ev->s->sha, rep->str, SHA_HEX_LEN);
	ev->s->sha[SHA_HEX_LEN] = '\0';
	ev->s->have_sha = true;
	if (evalsha_send(r, ev) < 0)
		eval_finish(r, ev, NULL);
}

static int
script_load_send(struct cp_redis *r, struct reval *ev)
{
	const char *argv[3] = { "SCRIPT", "LOAD", ev->s->text };
	const size_t lens[3] = { 6, 4, ev->s->len };

	return rq_argv(r, script_loaded, ev, 3, argv, lens);
}

static void
eval_done(struct cp_redis *r, const struct cp_rreply *rep, void *arg)
{
	struct reval *ev = arg;

	if (rep != NULL && rep->type == CP_R_ERROR && !ev->retried && rep->len >= 8 &&
	    memcmp(rep->str, "NOSCRIPT", 8) == 0) {
		ev->retried = true;
		if (script_load_send(r, ev) == 0)
			return;
	}
	eval_finish(r, ev, rep);
}

int
cp_redis_eval(struct cp_redis *r, struct cp_redis_script *s, cp_redis_cb cb, void *arg,
	      int nkeys, int argc, const char **argv, const size_t *lens)
{
	struct reval *ev;
	size_t total, bytes = 0, slots;
	char *p;
	int rc;

	if (r == NULL || s == NULL || nkeys < 0 || argc < nkeys || argc > INT_MAX - 3 ||
	    (argc > 0 && argv == NULL))
		return -EINVAL;
	for (int i = 0; i < argc; i++) {
		size_t len;

		if (argv[i] == NULL)
			return -EINVAL;
		len = lens != NULL ? lens[i] : strlen(argv[i]);
		if (len > SIZE_MAX / 2 - bytes)
			return -EINVAL;
		bytes += len;
	}
	if (r->state != RS_UP)
		return -ENOTCONN;

	/* One block: the struct, argv and lens with 3 leading slots, the argument bytes. */
	slots = (size_t)argc + 3;
	total = sizeof(*ev) + slots * (sizeof(ev->argv[0]) + sizeof(ev->lens[0]));
	if (bytes > SIZE_MAX - total)
		return -ENOMEM;
	ev = malloc(total + bytes);
	if (ev == NULL)
		return -ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->s = s;
	ev->cb = cb;
	ev->arg = arg;
	ev->argc = (int)slots;
	ev->argv = (const char **)(ev + 1);
	ev->lens = (size_t *)(ev->argv + slots);
	p = (char *)(ev->lens + slots);
	snprintf(ev->nkeys, sizeof(ev->nkeys), "%d", nkeys);
	ev->argv[0] = "EVALSHA";
	ev->lens[0] = 7;
	ev->argv[1] = s->sha;
	ev->lens[1] = SHA_HEX_LEN;
	ev->argv[2] = ev->nkeys;
	ev->lens[2] = strlen(ev->nkeys);
	for (int i = 0; i < argc; i++) {
		size_t len = lens != NULL ? lens[i] : strlen(argv[i]);

		memcpy(p, argv[i], len);
		ev->argv[i + 3] = p;
		ev->lens[i + 3] = len;
		p += len;
	}
	rc = s->have_sha ? evalsha_send(r, ev) : script_load_send(r, ev);
	if (rc < 0)
		free(ev);
	return rc;
}
