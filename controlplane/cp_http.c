/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP(S) listeners on evhttp (see cp_http.h).
 *
 * libevent owns a request until evhttp_send_reply; when the client goes away first, the
 * request is detached from its connection and our later reply only frees it, so an
 * asynchronous handler may always reply.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "cp_crypto.h"
#include "cp_http.h"
#include "cp_log.h"

/* Requests above these multiples of the limits never reach memory as a whole: evhttp
 * refuses them itself (a plain 413 or 400); between a limit and its multiple, the reply is
 * the API's JSON error. */
#define HARD_BODY_FACTOR 4
#define HARD_HEADER_FACTOR 2

struct cp_http {
	struct evhttp *http;
	struct evconnlistener *listener;
	SSL_CTX *tls;
	struct cp_http_opts opts;
	cp_http_handler handler;
	void *arg;
	uint64_t replies[6];
	uint32_t conns;               /* TLS connections open */
	uint64_t pauses;
	bool paused;                  /* listener disabled at max_connections */
	bool closing;                 /* evhttp_free under way: the listener is gone */
};

struct cp_req {
	struct cp_http *h;
	struct evhttp_request *er;
	char *body;
	size_t body_len;
	char client[64];
};

/* ---- TLS, and the connection count ---- */

/*
 * evhttp has no connection limit and no hook when a connection closes; but each TLS
 * connection's SSL is freed with it, and SSL ex_data has a free callback. The count goes up
 * when evhttp asks for a connection's bufferevent and down when its SSL is freed; at
 * max_connections the listener stops accepting, so the kernel's backlog holds new clients
 * until a connection closes.
 */
static int conn_index = -1;
static pthread_once_t conn_index_once = PTHREAD_ONCE_INIT;

static void
conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct cp_http *h = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (h == NULL)
		return;
	h->conns--;
	if (h->paused && !h->closing && h->conns < h->opts.max_connections) {
		evconnlistener_enable(h->listener);
		h->paused = false;
	}
}

static void
conn_index_make(void)
{
	conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_gone);
}

static void
conn_opened(struct cp_http *h, SSL *ssl)
{
	if (SSL_set_ex_data(ssl, conn_index, h) != 1)
		return;               /* not counted: it cannot be uncounted either */
	h->conns++;
	if (h->opts.max_connections > 0 && h->conns >= h->opts.max_connections && !h->paused &&
	    h->listener != NULL) {
		evconnlistener_disable(h->listener);
		h->paused = true;
		h->pauses++;
		CP_LOG(WARNING, "%u connections open (api.max_connections): new ones wait",
		       h->conns);
	}
}

static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	struct cp_http *h = arg;
	struct bufferevent *bev;
	SSL *ssl = SSL_new(h->tls);

	/* Returning NULL would make evhttp fall back to plain HTTP: never do that. */
	if (ssl == NULL) {
		CP_LOG(ERROR, "out of memory for a TLS connection");
		abort();
	}
	conn_opened(h, ssl);
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		CP_LOG(ERROR, "out of memory for a TLS connection");
		abort();
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* ---- requests ---- */

static void
req_free(struct cp_req *r)
{
	if (r->body != NULL) {
		cp_wipe(r->body, r->body_len);
		free(r->body);
	}
	free(r);
}

static void
wipe_cleanup(const void *data, size_t len, void *arg)
{
	(void)arg;
	cp_wipe((void *)(uintptr_t)data, len);
	free((void *)(uintptr_t)data);
}

static void
send_reply(struct cp_req *r, int status, const char *content_type, char *body, size_t len)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(r->er);
	int cls = status / 100;

	if (cls >= 0 && cls < 6)
		r->h->replies[cls]++;
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
	if (r->h->tls != NULL)
		evhttp_add_header(hdr, "Strict-Transport-Security", "max-age=31536000");
	if (body != NULL) {
		evhttp_add_header(hdr, "Content-Type", content_type);
		/* By reference, so that the bytes are wiped once sent, not left in a free chain. */
		if (evbuffer_add_reference(evhttp_request_get_output_buffer(r->er), body, len,
					   wipe_cleanup, NULL) != 0)
			wipe_cleanup(body, len, NULL);
	}
	evhttp_send_reply(r->er, status, NULL, NULL);
	req_free(r);
}

void
cp_req_reply_json(struct cp_req *r, int status, json_t *doc)
{
	char *text = NULL;

	if (doc != NULL) {
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		if (text == NULL) {
			cp_req_reply_error(r, 500, "internal", "out of memory");
			return;
		}
	}
	send_reply(r, status, "application/json", text, text != NULL ? strlen(text) : 0);
}

void
cp_req_reply_error(struct cp_req *r, int status, const char *code, const char *message)
{
	json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);

	if (doc == NULL) {
		send_reply(r, 500, NULL, NULL, 0);
		return;
	}
	cp_req_reply_json(r, status, doc);
}

void
cp_req_reply_text(struct cp_req *r, int status, const char *content_type, const char *text,
		  size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL) {
		send_reply(r, 500, NULL, NULL, 0);
		return;
	}
	memcpy(copy, text, len);
	send_reply(r, status, content_type, copy, len);
}

enum cp_method
cp_req_method(const struct cp_req *r)
{
	switch (evhttp_request_get_command(r->er)) {
	case EVHTTP_REQ_GET:
		return CP_M_GET;
	case EVHTTP_REQ_POST:
		return CP_M_POST;
	case EVHTTP_REQ_PUT:
		return CP_M_PUT;
	case EVHTTP_REQ_DELETE:
		return CP_M_DELETE;
	default:
		return CP_M_OTHER;
	}
}

const char *
cp_req_path(const struct cp_req *r)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(r->er);
	const char *p = u != NULL ? evhttp_uri_get_path(u) : NULL;

	return p != NULL ? p : "";
}

const char *
cp_req_header(const struct cp_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->er), name);
}

const char *
cp_req_client(const struct cp_req *r)
{
	return r->client;
}

const char *
cp_req_body(struct cp_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body != NULL ? r->body : "";
}

void
cp_req_add_header(struct cp_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->er), name, value);
}

/* Moves the body into our buffer and wipes libevent's chains in place. */
static int
take_body(struct cp_req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->er);
	size_t len = evbuffer_get_length(in);
	struct evbuffer_iovec v[16];
	size_t off = 0;
	int n;

	r->body = malloc(len + 1);
	if (r->body == NULL)
		return -ENOMEM;
	n = evbuffer_peek(in, -1, NULL, v, 16);
	if (n > 16) {
		/* Many small chains: make it one, then wipe that. */
		evbuffer_pullup(in, -1);
		n = evbuffer_peek(in, -1, NULL, v, 16);
	}
	for (int i = 0; i < n && i < 16; i++) {
		memcpy(r->body + off, v[i].iov_base, v[i].iov_len);
		cp_wipe(v[i].iov_base, v[i].iov_len);
		off += v[i].iov_len;
	}
	evbuffer_drain(in, len);
	r->body[off] = '\0';
	r->body_len = off;
	return 0;
}

/* The count of request headers and their size as sent ("Name: value\r\n"). */
static unsigned int
header_count(struct evhttp_request *er, size_t *bytes)
{
	struct evkeyvalq *q = evhttp_request_get_input_headers(er);
	struct evkeyval *kv;
	unsigned int n = 0;

	*bytes = 0;
	TAILQ_FOREACH(kv, q, next) {
		n++;
		*bytes += strlen(kv->key) + strlen(kv->value) + 4;
	}
	return n;
}

static void
on_request(struct evhttp_request *er, void *arg)
{
	struct cp_http *h = arg;
	struct evhttp_connection *con = evhttp_request_get_connection(er);
	struct cp_req *r = calloc(1, sizeof(*r));
	char *peer = NULL;
	uint16_t port = 0;
	size_t hdr_bytes;

	if (r == NULL) {
		evhttp_send_error(er, 500, NULL);
		return;
	}
	r->h = h;
	r->er = er;
	if (con != NULL)
		evhttp_connection_get_peer(con, &peer, &port);
	snprintf(r->client, sizeof(r->client), "%s", peer != NULL ? peer : "");
	if (header_count(er, &hdr_bytes) > h->opts.max_headers ||
	    hdr_bytes > h->opts.max_header_bytes) {
		cp_req_reply_error(r, 431, "too_many_headers", "too many or too large headers");
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(er)) > h->opts.max_body) {
		cp_req_reply_error(r, 413, "body_too_large", "request body too large");
		return;
	}
	if (take_body(r) != 0) {
		cp_req_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	h->handler(r, h->arg);
}

/* ---- listener ---- */

struct cp_http *
cp_http_new(struct event_base *base, const struct cp_http_opts *opts, cp_http_handler handler,
	    void *arg, char *err, size_t err_len)
{
	struct cp_http *h = calloc(1, sizeof(*h));
	struct evhttp_bound_socket *bound;
	int one = 1;

	if (h == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	h->opts = *opts;
	h->tls = opts->tls;
	h->handler = handler;
	h->arg = arg;
	h->http = evhttp_new(base);
	if (h->http == NULL) {
		snprintf(err, err_len, "cannot create the HTTP server");
		goto fail;
	}
	if (h->tls != NULL) {
		if (pthread_once(&conn_index_once, conn_index_make) != 0 || conn_index < 0) {
			snprintf(err, err_len, "cannot register TLS connection data");
			goto fail;
		}
		evhttp_set_bevcb(h->http, tls_bev, h);
	}
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)opts->max_header_bytes * HARD_HEADER_FACTOR);
	evhttp_set_max_body_size(h->http, (ev_ssize_t)opts->max_body * HARD_BODY_FACTOR + 1024);
	evhttp_set_timeout(h->http, (int)opts->timeout_s);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(h->http, on_request, h);
	bound = evhttp_bind_socket_with_handle(h->http, opts->address, opts->port);
	if (bound == NULL) {
		snprintf(err, err_len, "cannot listen on %s port %u: %s", opts->address,
			 opts->port, strerror(errno));
		goto fail;
	}
	h->listener = evhttp_bound_socket_get_listener(bound);
	/* A reply leaves as headers and body in two records: with Nagle the second waits for
	 * the client's delayed ACK (40 ms a request). Accepted sockets inherit this. */
	if (setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one,
		       sizeof(one)) != 0)
		CP_LOG(WARNING, "cannot set TCP_NODELAY on the listener: %s", strerror(errno));
	return h;
fail:
	cp_http_free(h);
	return NULL;
}

void
cp_http_free(struct cp_http *h)
{
	if (h == NULL)
		return;
	h->closing = true;            /* the connections' SSLs are freed after the listener */
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
}

void
cp_http_set_tls(struct cp_http *h, SSL_CTX *tls)
{
	h->tls = tls;
}

uint32_t
cp_http_connections(const struct cp_http *h)
{
	return h->conns;
}

uint64_t
cp_http_pauses(const struct cp_http *h)
{
	return h->pauses;
}

uint64_t
cp_http_replies(const struct cp_http *h, int cls)
{
	return cls >= 0 && cls < 6 ? h->replies[cls] : 0;
}
