/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client of sluice-dp's control socket on the libevent loop (protocol: dp_proto.h).
 *
 * Requests go out as they come and wait in a FIFO; the dataplane answers in order, so a
 * reply belongs to the oldest pending request and must carry its type and seq, or the
 * stream is not trusted any more and the connection is dropped. One timer watches the
 * oldest request's deadline. A dropped connection fails every pending request (status -1)
 * and is opened again after a back-off that doubles up to backoff_max_ms, with jitter so
 * that the relays of a site do not all come back in step.
 *
 * User callbacks may call any function of this file, cp_dp_free included: a free asked for
 * from a callback is carried out when the callback has returned (d->busy, d->dying).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cp_crypto.h"
#include "cp_dp.h"
#include "cp_log.h"

/* A leg add with 16 SSRCs and two 46-byte keys is under 400 bytes. */
#define REQ_MAX 1024
/* What one reply may make us allocate: the dataplane sends 128 legs a page and one group
 * per port and lcore; a reply beyond these is not from a dataplane we know. */
#define LIST_MAX_LEGS 4096
#define STATS_MAX_GROUPS 1024

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define TIMEOUT_MS 3000

struct dp_req {
	struct dp_req *next;
	uint32_t seq;
	uint16_t type;
	uint32_t cursor;              /* DP_MSG_LEG_LIST: the cursor asked for */
	int64_t deadline_ms;          /* monotonic */
	union {
		cp_dp_status_cb status;
		cp_dp_list_cb list;
		cp_dp_health_cb health;
		cp_dp_stats_cb stats;
	} cb;
	void *arg;
};

struct cp_dp {
	struct event_base *base;
	struct sockaddr_un sa;
	unsigned int backoff_min_ms;
	unsigned int backoff_max_ms;
	unsigned int timeout_ms;
	void (*on_state)(struct cp_dp *d, bool up, void *arg);
	void *arg;

	int connect_fd;               /* a connect in progress, or -1 */
	struct event *connect_ev;     /* its completion, or NULL */
	struct event *retry_ev;       /* the next connect attempt */
	struct event *timeout_ev;     /* the oldest pending request's deadline */
	struct bufferevent *bev;      /* the connection; NULL when down */
	bool up;
	unsigned int backoff_ms;      /* the next back-off, before jitter */
	unsigned int failures;        /* connect attempts failed in a row */
	uint32_t rng;                 /* jitter only: no secret depends on it */
	uint32_t seq;
	struct dp_req *head;
	struct dp_req *tail;
	unsigned int busy;            /* user callbacks running */
	bool dying;                   /* cp_dp_free was called */
};

static void conn_drop(struct cp_dp *d, const char *why);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
ms_to_tv(int64_t ms)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 0 };

	if (ms > 0) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	}
	return tv;
}

static uint32_t
rng_next(struct cp_dp *d)
{
	uint32_t x = d->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	d->rng = x;
	return x;
}

/* ---- user callbacks ---- */

static void
notify_state(struct cp_dp *d, bool up)
{
	if (d->on_state == NULL)
		return;
	d->busy++;
	d->on_state(d, up, d->arg);
	d->busy--;
}

/* A request that gets no reply: status -1. */
static void
req_fail(struct cp_dp *d, struct dp_req *r, const char *why)
{
	d->busy++;
	switch (r->type) {
	case DP_MSG_LEG_LIST:
		if (r->cb.list != NULL)
			r->cb.list(d, -1, NULL, 0, 0, r->arg);
		break;
	case DP_MSG_HEALTH:
		if (r->cb.health != NULL)
			r->cb.health(d, -1, NULL, r->arg);
		break;
	case DP_MSG_STATS:
		if (r->cb.stats != NULL)
			r->cb.stats(d, -1, NULL, 0, r->arg);
		break;
	default:
		if (r->cb.status != NULL)
			r->cb.status(d, -1, why, r->arg);
		break;
	}
	d->busy--;
}

static void
req_fail_all(struct cp_dp *d, struct dp_req *list, const char *why)
{
	while (list != NULL) {
		struct dp_req *next = list->next;

		req_fail(d, list, why);
		free(list);
		list = next;
	}
}

/* ---- connection ---- */

static void
bev_close(struct cp_dp *d)
{
	if (d->bev == NULL)
		return;
	/* Frees the unsent requests now, so that their key buffers are wiped now. */
	evbuffer_drain(bufferevent_get_output(d->bev),
		       evbuffer_get_length(bufferevent_get_output(d->bev)));
	bufferevent_free(d->bev);
	d->bev = NULL;
}

static void
connect_abort(struct cp_dp *d)
{
	if (d->connect_ev != NULL) {
		event_free(d->connect_ev);
		d->connect_ev = NULL;
	}
	if (d->connect_fd >= 0) {
		close(d->connect_fd);
		d->connect_fd = -1;
	}
}

/* "Equal jitter": half the back-off, plus a random part of the other half. */
static void
retry_later(struct cp_dp *d)
{
	unsigned int half = d->backoff_ms / 2;
	struct timeval tv = ms_to_tv(half + rng_next(d) % (d->backoff_ms - half + 1));

	d->backoff_ms = d->backoff_ms > d->backoff_max_ms / 2 ? d->backoff_max_ms :
			d->backoff_ms * 2;
	evtimer_add(d->retry_ev, &tv);
}

static void
connect_failed(struct cp_dp *d, int err)
{
	connect_abort(d);
	/* once per outage at WARNING: a dataplane that is down must not flood the log */
	if (d->failures++ == 0)
		CP_LOG(WARNING, "dataplane: cannot connect to %s: %s", d->sa.sun_path,
		       strerror(err));
	else
		CP_LOG(DEBUG, "dataplane: cannot connect to %s: %s", d->sa.sun_path,
		       strerror(err));
	retry_later(d);
}

static void
timer_arm(struct cp_dp *d)
{
	struct timeval tv;

	if (d->head == NULL) {
		evtimer_del(d->timeout_ev);
		return;
	}
	tv = ms_to_tv(d->head->deadline_ms - now_ms());
	evtimer_add(d->timeout_ev, &tv);
}

static void
dp_destroy(struct cp_dp *d)
{
	struct dp_req *list = d->head;

	d->dying = true;
	d->up = false;
	d->head = NULL;
	d->tail = NULL;
	connect_abort(d);
	bev_close(d);
	event_free(d->retry_ev);
	event_free(d->timeout_ev);
	/* callers may hold memory for their requests: they hear of each one */
	req_fail_all(d, list, "the dataplane client is closing");
	free(d);
}

/* The end of every entry from the event loop: a free asked for by a callback. */
static void
entry_done(struct cp_dp *d)
{
	if (d->dying && d->busy == 0)
		dp_destroy(d);
}

static void
conn_drop(struct cp_dp *d, const char *why)
{
	struct dp_req *list = d->head;
	bool was_up = d->up;

	d->head = NULL;
	d->tail = NULL;
	d->up = false;
	evtimer_del(d->timeout_ev);
	bev_close(d);
	if (!d->dying) {
		CP_LOG(WARNING, "dataplane: connection lost: %s", why);
		retry_later(d);
	}
	/* the owner hears of the loss before the failures it explains */
	if (was_up)
		notify_state(d, false);
	req_fail_all(d, list, why);
}

/* ---- replies ---- */

static int
reply_find(const struct dp_msg *msg, uint16_t type, struct dp_attr *a)
{
	struct dp_attr_iter it;
	struct dp_attr cur;
	int found = 0, rc;

	dp_attr_iter_init(&it, msg->body, msg->len);
	while ((rc = dp_attr_next(&it, &cur)) > 0) {
		if (cur.type != type)
			continue;
		if (found++ == 0)
			*a = cur;
	}
	return rc < 0 ? rc : found;
}

static int
list_decode(const struct dp_msg *msg, uint32_t asked, struct dp_leg_info **legs,
	    unsigned int *n, uint32_t *more)
{
	struct dp_attr_iter it;
	struct dp_attr a;
	unsigned int count = 0, i = 0;
	bool have_cursor = false;
	uint32_t next = 0;
	int rc;

	dp_attr_iter_init(&it, msg->body, msg->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (a.type == DP_ATTR_CURSOR) {
			if (have_cursor || dp_attr_u32(&a, &next) != 0)
				return -EPROTO;
			have_cursor = true;
		} else if (a.type == DP_ATTR_NEST_LEG_INFO && ++count > LIST_MAX_LEGS) {
			return -EPROTO;
		}
	}
	if (rc < 0)
		return -EPROTO;
	/* a cursor must move the list on, or the caller would ask for the same page for ever */
	if (have_cursor && (next == 0 || count == 0 || next == asked))
		return -EPROTO;
	*legs = calloc(count > 0 ? count : 1, sizeof(**legs));
	if (*legs == NULL)
		return -ENOMEM;
	dp_attr_iter_init(&it, msg->body, msg->len);
	while (dp_attr_next(&it, &a) > 0) {
		if (a.type != DP_ATTR_NEST_LEG_INFO)
			continue;
		if (dp_proto_get_leg_info(&a, &(*legs)[i]) != 0) {
			free(*legs);
			*legs = NULL;
			return -EPROTO;
		}
		i++;
	}
	*n = count;
	*more = next;
	return 0;
}

static int
stats_decode(const struct dp_msg *msg, struct dp_stats_group **groups, unsigned int *n)
{
	struct dp_attr_iter it;
	struct dp_attr a;
	unsigned int count = 0, i = 0;
	int rc;

	dp_attr_iter_init(&it, msg->body, msg->len);
	while ((rc = dp_attr_next(&it, &a)) > 0)
		if ((a.type == DP_ATTR_NEST_STATS_PORT || a.type == DP_ATTR_NEST_STATS_LCORE ||
		     a.type == DP_ATTR_NEST_STATS_DROP) && ++count > STATS_MAX_GROUPS)
			return -EPROTO;
	if (rc < 0)
		return -EPROTO;
	*groups = calloc(count > 0 ? count : 1, sizeof(**groups));
	if (*groups == NULL)
		return -ENOMEM;
	/* in the order of the reply: ports, then lcores, then drops */
	dp_attr_iter_init(&it, msg->body, msg->len);
	while (dp_attr_next(&it, &a) > 0) {
		if (a.type != DP_ATTR_NEST_STATS_PORT && a.type != DP_ATTR_NEST_STATS_LCORE &&
		    a.type != DP_ATTR_NEST_STATS_DROP)
			continue;
		if (dp_proto_get_stats_group(&a, &(*groups)[i]) != 0) {
			free(*groups);
			*groups = NULL;
			return -EPROTO;
		}
		i++;
	}
	*n = count;
	return 0;
}

static void
malformed(const struct dp_req *r)
{
	CP_LOG(WARNING, "dataplane: malformed reply to request type %u", r->type);
}

/* Hands a reply with a valid status to its request's callback. */
static void
reply_deliver(struct cp_dp *d, struct dp_req *r, const struct dp_msg *msg, int status,
	      const char *text)
{
	struct dp_stats_group *groups = NULL;
	struct dp_leg_info *legs = NULL;
	struct dp_health h;
	struct dp_attr a;
	unsigned int n = 0;
	uint32_t more = 0;

	d->busy++;
	switch (r->type) {
	case DP_MSG_LEG_LIST:
		if (status == DP_OK && list_decode(msg, r->cursor, &legs, &n, &more) != 0) {
			malformed(r);
			status = -1;
		}
		if (r->cb.list != NULL)
			r->cb.list(d, status, legs, n, more, r->arg);
		free(legs);
		break;
	case DP_MSG_HEALTH:
		if (status == DP_OK && (reply_find(msg, DP_ATTR_NEST_HEALTH, &a) != 1 ||
					dp_proto_get_health(&a, &h) != 0)) {
			malformed(r);
			status = -1;
		}
		if (r->cb.health != NULL)
			r->cb.health(d, status, status == DP_OK ? &h : NULL, r->arg);
		break;
	case DP_MSG_STATS:
		if (status == DP_OK && stats_decode(msg, &groups, &n) != 0) {
			malformed(r);
			status = -1;
		}
		if (r->cb.stats != NULL)
			r->cb.stats(d, status, groups, n, r->arg);
		free(groups);
		break;
	default:
		if (r->cb.status != NULL)
			r->cb.status(d, status, text, r->arg);
		break;
	}
	d->busy--;
}

/* One whole reply; the connection is dropped when it does not answer the oldest request. */
static void
reply_handle(struct cp_dp *d, const struct dp_msg *msg)
{
	struct dp_req *r = d->head;
	uint32_t status;
	char text[256];

	if (r == NULL) {
		conn_drop(d, "a reply to no request");
		return;
	}
	if (msg->seq != r->seq || msg->type != (r->type | DP_MSG_REPLY)) {
		conn_drop(d, "a reply that does not match the oldest request");
		return;
	}
	if (dp_proto_reply_status(msg, &status, text, sizeof(text)) != 0 || status > 0xffff) {
		conn_drop(d, "a reply without a valid status");
		return;
	}
	d->head = r->next;
	if (d->head == NULL)
		d->tail = NULL;
	timer_arm(d);
	/* the dataplane answers: the next outage starts with a short back-off again */
	d->backoff_ms = d->backoff_min_ms;
	reply_deliver(d, r, msg, (int)status, text);
	free(r);
}

static const char *
parse_error_text(int rc)
{
	switch (rc) {
	case -EPROTONOSUPPORT:
		return "the dataplane speaks another protocol version";
	case -EMSGSIZE:
		return "the dataplane announced a message larger than the protocol allows";
	default:
		return "the dataplane sent bytes that are not a message of the protocol";
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct cp_dp *d = arg;

	while (d->bev == bev && !d->dying) {
		size_t have = evbuffer_get_length(in), total;
		uint8_t hdr[DP_MSG_HDR_LEN];
		const uint8_t *p;
		struct dp_msg msg;
		int rc;

		if (have < DP_MSG_HDR_LEN)
			break;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		/* the header alone: judged before its body is waited for */
		rc = dp_msg_parse(hdr, sizeof(hdr), &msg);
		if (rc < 0 && rc != -EAGAIN) {
			conn_drop(d, parse_error_text(rc));
			break;
		}
		total = DP_MSG_HDR_LEN + ((size_t)hdr[8] << 24 | (size_t)hdr[9] << 16 |
					  (size_t)hdr[10] << 8 | hdr[11]);
		/* the read high-water mark is DP_MSG_MAX: a whole message always fits */
		if (have < total)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)total);
		if (p == NULL || dp_msg_parse(p, total, &msg) != (int)total) {
			conn_drop(d, p == NULL ? "out of memory" : "a reply that does not parse");
			break;
		}
		reply_handle(d, &msg);
		if (d->bev != bev)
			break;
		evbuffer_drain(in, total);
	}
	entry_done(d);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct cp_dp *d = arg;

	(void)bev;
	if ((what & BEV_EVENT_EOF) != 0)
		conn_drop(d, "the dataplane closed the connection");
	else if ((what & BEV_EVENT_ERROR) != 0)
		conn_drop(d, strerror(EVUTIL_SOCKET_ERROR()));
	entry_done(d);
}

static void
connected(struct cp_dp *d, int fd)
{
	d->connect_fd = -1;
	d->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (d->bev == NULL) {
		close(fd);
		connect_failed(d, ENOMEM);
		return;
	}
	bufferevent_setcb(d->bev, read_cb, NULL, event_cb, d);
	bufferevent_setwatermark(d->bev, EV_READ, 0, DP_MSG_MAX);
	if (bufferevent_enable(d->bev, EV_READ | EV_WRITE) != 0) {
		bev_close(d);
		connect_failed(d, EIO);
		return;
	}
	d->up = true;
	d->failures = 0;
	CP_LOG(INFO, "dataplane: connected to %s", d->sa.sun_path);
	notify_state(d, true);
}

static void
connect_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cp_dp *d = arg;
	socklen_t len = sizeof(int);
	int err = 0;

	event_free(d->connect_ev);
	d->connect_ev = NULL;
	if ((what & EV_TIMEOUT) != 0)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0)
		connect_failed(d, err);
	else
		connected(d, fd);
	entry_done(d);
}

/* A non-blocking connect; a Unix socket usually answers at once. */
static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cp_dp *d = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	d->connect_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->connect_fd < 0) {
		connect_failed(d, errno);
		goto out;
	}
	if (connect(d->connect_fd, (const struct sockaddr *)&d->sa, sizeof(d->sa)) == 0) {
		connected(d, d->connect_fd);
		goto out;
	}
	/* EAGAIN on a Unix socket is a full backlog, not a connect in progress */
	if (errno != EINPROGRESS && errno != EINTR) {
		connect_failed(d, errno);
		goto out;
	}
	d->connect_ev = event_new(d->base, d->connect_fd, EV_WRITE, connect_done_cb, d);
	tv = ms_to_tv(d->timeout_ms);
	if (d->connect_ev == NULL || event_add(d->connect_ev, &tv) != 0)
		connect_failed(d, ENOMEM);
out:
	entry_done(d);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cp_dp *d = arg;

	(void)fd;
	(void)what;
	if (d->head != NULL && d->head->deadline_ms <= now_ms())
		conn_drop(d, "no reply within the timeout");
	else
		timer_arm(d);
	entry_done(d);
}

/* ---- requests ---- */

static struct dp_req *
req_new(struct cp_dp *d, uint16_t type, void *arg)
{
	struct dp_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->seq = ++d->seq;
	r->type = type;
	r->arg = arg;
	return r;
}

static void
req_queue(struct cp_dp *d, struct dp_req *r)
{
	r->deadline_ms = now_ms() + d->timeout_ms;
	if (d->tail != NULL) {
		d->tail->next = r;
	} else {
		d->head = r;
		timer_arm(d);
	}
	d->tail = r;
}

/* A request without secrets: the evbuffer's copy is enough. */
static int
req_send(struct cp_dp *d, struct dp_req *r, const uint8_t *buf, int len)
{
	if (len < 0) {
		free(r);
		return len;
	}
	if (bufferevent_write(d->bev, buf, (size_t)len) != 0) {
		free(r);
		return -ENOMEM;
	}
	req_queue(d, r);
	return 0;
}

/* Sends r, a request carrying at most one u32 (attr 0: none). */
static int
simple_request(struct cp_dp *d, struct dp_req *r, uint16_t attr, uint32_t value)
{
	uint8_t buf[64];

	return req_send(d, r, buf, dp_proto_encode_simple(buf, sizeof(buf), r->type, r->seq,
							  attr, value));
}

/* Runs once libevent has written (or dropped) the bytes of a leg request. */
static void
key_buf_cleanup(const void *data, size_t len, void *extra)
{
	(void)data;
	(void)len;
	cp_wipe(extra, REQ_MAX);
	free(extra);
}

bool
cp_dp_up(const struct cp_dp *d)
{
	return d != NULL && d->up && !d->dying;
}

int
cp_dp_leg_add(struct cp_dp *d, const struct dp_leg_spec *spec, cp_dp_status_cb cb, void *arg)
{
	struct dp_req *r;
	uint8_t *buf;
	int len;

	if (spec == NULL)
		return -EINVAL;
	if (!cp_dp_up(d))
		return -ENOTCONN;
	r = req_new(d, DP_MSG_LEG_ADD, arg);
	buf = malloc(REQ_MAX);
	if (r == NULL || buf == NULL) {
		free(r);
		free(buf);
		return -ENOMEM;
	}
	r->cb.status = cb;
	/*
	 * The evbuffer refers to our buffer instead of copying it, so that the keys exist in
	 * one place, wiped by key_buf_cleanup once written or dropped.
	 */
	len = dp_proto_encode_leg(buf, REQ_MAX, DP_MSG_LEG_ADD, r->seq, spec);
	if (len < 0 || evbuffer_add_reference(bufferevent_get_output(d->bev), buf, (size_t)len,
					      key_buf_cleanup, buf) != 0) {
		cp_wipe(buf, REQ_MAX);
		free(buf);
		free(r);
		return len < 0 ? len : -ENOMEM;
	}
	req_queue(d, r);
	return 0;
}

static int
id_request(struct cp_dp *d, uint16_t type, uint16_t attr, uint32_t id, cp_dp_status_cb cb,
	   void *arg)
{
	struct dp_req *r;

	if (!cp_dp_up(d))
		return -ENOTCONN;
	r = req_new(d, type, arg);
	if (r == NULL)
		return -ENOMEM;
	r->cb.status = cb;
	return simple_request(d, r, attr, id);
}

int
cp_dp_leg_del(struct cp_dp *d, uint32_t leg_id, cp_dp_status_cb cb, void *arg)
{
	if (leg_id == 0)
		return -EINVAL;
	return id_request(d, DP_MSG_LEG_DEL, DP_ATTR_LEG_ID, leg_id, cb, arg);
}

int
cp_dp_conf_del(struct cp_dp *d, uint32_t conf_id, cp_dp_status_cb cb, void *arg)
{
	if (conf_id == 0)
		return -EINVAL;
	return id_request(d, DP_MSG_CONF_DEL, DP_ATTR_CONF_ID, conf_id, cb, arg);
}

int
cp_dp_leg_list(struct cp_dp *d, uint32_t cursor, cp_dp_list_cb cb, void *arg)
{
	struct dp_req *r;

	if (!cp_dp_up(d))
		return -ENOTCONN;
	r = req_new(d, DP_MSG_LEG_LIST, arg);
	if (r == NULL)
		return -ENOMEM;
	r->cb.list = cb;
	r->cursor = cursor;
	return simple_request(d, r, cursor != 0 ? DP_ATTR_CURSOR : 0, cursor);
}

int
cp_dp_health(struct cp_dp *d, cp_dp_health_cb cb, void *arg)
{
	struct dp_req *r;

	if (!cp_dp_up(d))
		return -ENOTCONN;
	r = req_new(d, DP_MSG_HEALTH, arg);
	if (r == NULL)
		return -ENOMEM;
	r->cb.health = cb;
	return simple_request(d, r, 0, 0);
}

int
cp_dp_stats(struct cp_dp *d, cp_dp_stats_cb cb, void *arg)
{
	struct dp_req *r;

	if (!cp_dp_up(d))
		return -ENOTCONN;
	r = req_new(d, DP_MSG_STATS, arg);
	if (r == NULL)
		return -ENOMEM;
	r->cb.stats = cb;
	return simple_request(d, r, 0, 0);
}

/* ---- life cycle ---- */

struct cp_dp *
cp_dp_new(struct event_base *base, const struct cp_dp_opts *opts)
{
	struct timeval now = { .tv_sec = 0, .tv_usec = 0 };
	struct cp_dp *d;
	size_t len;

	if (base == NULL || opts == NULL || opts->socket_path == NULL)
		return NULL;
	len = strlen(opts->socket_path);
	if (len == 0 || len >= sizeof(d->sa.sun_path))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->base = base;
	d->sa.sun_family = AF_UNIX;
	memcpy(d->sa.sun_path, opts->socket_path, len + 1);
	d->backoff_min_ms = opts->backoff_min_ms != 0 ? opts->backoff_min_ms : BACKOFF_MIN_MS;
	d->backoff_max_ms = opts->backoff_max_ms != 0 ? opts->backoff_max_ms : BACKOFF_MAX_MS;
	if (d->backoff_max_ms < d->backoff_min_ms)
		d->backoff_max_ms = d->backoff_min_ms;
	d->timeout_ms = opts->timeout_ms != 0 ? opts->timeout_ms : TIMEOUT_MS;
	d->on_state = opts->on_state;
	d->arg = opts->arg;
	d->backoff_ms = d->backoff_min_ms;
	d->connect_fd = -1;
	gettimeofday(&now, NULL);
	d->rng = (uint32_t)now.tv_usec ^ (uint32_t)now.tv_sec ^ (uint32_t)getpid() << 16;
	if (d->rng == 0)
		d->rng = 1;
	d->retry_ev = evtimer_new(base, retry_cb, d);
	d->timeout_ev = evtimer_new(base, timeout_cb, d);
	if (d->retry_ev == NULL || d->timeout_ev == NULL)
		goto err;
	/* the first connect runs from the loop: on_state is never called from here */
	now.tv_sec = 0;
	now.tv_usec = 0;
	if (evtimer_add(d->retry_ev, &now) != 0)
		goto err;
	return d;
err:
	if (d->retry_ev != NULL)
		event_free(d->retry_ev);
	if (d->timeout_ev != NULL)
		event_free(d->timeout_ev);
	free(d);
	return NULL;
}

void
cp_dp_free(struct cp_dp *d)
{
	if (d == NULL || d->dying)
		return;
	if (d->busy > 0) {
		d->dying = true;
		d->up = false;
		return;
	}
	dp_destroy(d);
}
