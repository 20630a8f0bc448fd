/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP(S) listeners on libevent's evhttp, the one file that uses it. TLS through a
 * bufferevent_openssl for every connection when a context is given (the API); plain HTTP
 * without (metrics on loopback). Before a handler runs, requests over the limits on
 * headers and body are answered here with JSON errors (431, 413).
 *
 * A handler may reply at once or later (after Redis and the dataplane answered): the request
 * stays valid until one of the cp_req_reply_* calls, which frees it. Request bodies are wiped
 * after the reply (they may hold passwords); reply bodies are wiped once sent (they may hold
 * tokens or keys).
 */
#ifndef CP_HTTP_H
#define CP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/ssl.h>

struct event_base;
struct cp_http;
struct cp_req;

enum cp_method {
	CP_M_GET,
	CP_M_POST,
	CP_M_PUT,
	CP_M_DELETE,
	CP_M_OTHER,
};

typedef void (*cp_http_handler)(struct cp_req *req, void *arg);

struct cp_http_opts {
	const char *address;
	uint16_t port;
	SSL_CTX *tls;                /* NULL: plain HTTP */
	uint32_t max_body;           /* bytes; larger bodies get 413 */
	uint32_t max_headers;        /* count; more get 431 */
	uint32_t max_header_bytes;
	uint32_t timeout_s;
	uint32_t max_connections;    /* TLS listeners: open connections; at the limit the listener
					stops accepting (new ones wait in the backlog) until one
					closes. 0: no limit */
};

/* Binds and listens. NULL with a reason in err. */
struct cp_http *cp_http_new(struct event_base *base, const struct cp_http_opts *opts,
			    cp_http_handler handler, void *arg, char *err, size_t err_len);
void cp_http_free(struct cp_http *h);
/* Replaces the TLS context for new connections (a reload); the caller frees the old one. */
void cp_http_set_tls(struct cp_http *h, SSL_CTX *tls);
/* Replies sent with a status of class 2, 4 or 5 (2xx, 4xx, 5xx). */
uint64_t cp_http_replies(const struct cp_http *h, int cls);
/* TLS connections open now, and the times the listener paused at max_connections. */
uint32_t cp_http_connections(const struct cp_http *h);
uint64_t cp_http_pauses(const struct cp_http *h);

enum cp_method cp_req_method(const struct cp_req *r);
/* The path, without the query ("/v1/users/alice"); percent-escapes are not decoded. */
const char *cp_req_path(const struct cp_req *r);
const char *cp_req_header(const struct cp_req *r, const char *name);
/* The client's address as text ("198.18.0.10", "2001:db8::10"). */
const char *cp_req_client(const struct cp_req *r);
/* The body, NUL-terminated (a NUL inside is seen by the JSON parser); *len its length. */
const char *cp_req_body(struct cp_req *r, size_t *len);
void cp_req_add_header(struct cp_req *r, const char *name, const char *value);

/* Sends doc (a reference is stolen; NULL for no body) with status and frees the request. */
void cp_req_reply_json(struct cp_req *r, int status, json_t *doc);
/* {"error": {"code": code, "message": message}} */
void cp_req_reply_error(struct cp_req *r, int status, const char *code, const char *message);
void cp_req_reply_text(struct cp_req *r, int status, const char *content_type, const char *text,
		       size_t len);

#endif /* CP_HTTP_H */
