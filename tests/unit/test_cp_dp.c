/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of sluice-cp's dataplane client against a fake dataplane: a Unix socket in a fresh
 * directory, served on the client's own event loop with the dp_proto codec. Each wait runs
 * the loop until a counter is reached, bounded by a deadline so that a test fails instead of
 * hanging.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ut.h"

#include "cp_dp.h"
#include "cp_log.h"

#define WAIT_LIMIT_S 10
#define N_PIPELINED 100
#define BIG_GROUPS 400

/* ---- the fake dataplane ---- */

enum fake_mode {
	FAKE_ANSWER,
	FAKE_WRONG_SEQ,       /* the next reply carries seq + 1, then FAKE_ANSWER again */
	FAKE_SILENT,          /* reads, never answers */
};

struct fake {
	int listen_fd;
	struct event *listen_ev;
	struct bufferevent *conn;
	enum fake_mode mode;
	bool big_stats;
	uint8_t *out;                      /* DP_MSG_MAX */
	int accepts;
	int requests;
	struct dp_leg_spec spec;           /* the last leg add, as decoded */
	int decode_rc;
	uint32_t add_ids[N_PIPELINED + 8]; /* leg ids of the adds, in the order received */
	int n_adds;
	uint32_t del_id;
	uint32_t conf_id;
};

static struct event_base *base;
static char tmpdir[64];
static char sock_path[96];
static struct fake fake;

static bool
find_u32(const struct dp_msg *m, uint16_t type, uint32_t *v)
{
	struct dp_attr_iter it;
	struct dp_attr a;

	dp_attr_iter_init(&it, m->body, m->len);
	while (dp_attr_next(&it, &a) > 0)
		if (a.type == type)
			return dp_attr_u32(&a, v) == 0;
	return false;
}

static void
fake_leg_info(uint32_t id, struct dp_leg_info *info)
{
	memset(info, 0, sizeof(*info));
	info->spec.has = DP_LEG_HAS_CONF | DP_LEG_HAS_SUITE | DP_LEG_HAS_MEDIA_PORT |
			 DP_LEG_HAS_SSRCS | DP_LEG_HAS_FLAGS;
	info->spec.leg_id = id;
	info->spec.conf_id = 7;
	info->spec.suite = DP_SUITE_AES_CM_128_HMAC_SHA1_80;
	info->spec.media_port = 40000;
	info->spec.n_ssrcs = 1;
	info->spec.ssrcs[0] = 0x1000 + id;
	info->spec.flags = DP_LEG_F_ALL;
	info->owner_lcore = 2;
	info->counters.rx_packets = 100 * id;
}

static void
fake_group(struct dp_stats_group *g, const char *name, uint32_t index, uint32_t n, uint64_t base_v)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->index = index;
	g->link_up = true;
	g->n = n;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(g->c[i].name, sizeof(g->c[i].name), "counter_%02u", i);
		g->c[i].value = base_v + i;
	}
}

/* Appends the data of a successful reply. */
static uint32_t
fake_data(const struct dp_msg *req, struct dp_msg_builder *b)
{
	struct dp_stats_group *g;
	struct dp_leg_info info;
	struct dp_health h;
	uint32_t v = 0;

	switch (req->type) {
	case DP_MSG_LEG_LIST:
		if (!find_u32(req, DP_ATTR_CURSOR, &v)) {
			fake_leg_info(1, &info);
			dp_proto_put_leg_info(b, &info);
			fake_leg_info(2, &info);
			dp_proto_put_leg_info(b, &info);
			dp_mb_put_u32(b, DP_ATTR_CURSOR, 2);
		} else if (v == 2) {
			fake_leg_info(3, &info);
			dp_proto_put_leg_info(b, &info);
		} else if (v == 5) {
			/* a cursor that does not move on */
			fake_leg_info(6, &info);
			dp_proto_put_leg_info(b, &info);
			dp_mb_put_u32(b, DP_ATTR_CURSOR, 5);
		}
		break;
	case DP_MSG_HEALTH:
		memset(&h, 0, sizeof(h));
		snprintf(h.version, sizeof(h.version), "0.1.0-test");
		snprintf(h.srtp_backend, sizeof(h.srtp_backend), "libsrtp2");
		h.uptime_s = 3600;
		h.workers = 4;
		h.legs = 12;
		h.conferences = 3;
		h.ports_up = 1;
		h.ports = 2;
		dp_proto_put_health(b, &h);
		break;
	case DP_MSG_STATS:
		g = malloc(sizeof(*g));
		CU_ASSERT_FATAL(g != NULL);
		if (fake.big_stats) {
			for (uint32_t i = 0; i < BIG_GROUPS; i++) {
				char name[16];

				snprintf(name, sizeof(name), "lcore %u", i);
				fake_group(g, name, i, DP_STATS_MAX_COUNTERS, 1000 * i);
				dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_LCORE, g);
			}
		} else {
			fake_group(g, "eth0", 0, 2, 10);
			dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_PORT, g);
			fake_group(g, "worker 0", 3, 3, 20);
			dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_LCORE, g);
			fake_group(g, "drops", 0, 1, 30);
			dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_DROP, g);
		}
		free(g);
		break;
	case DP_MSG_CONF_DEL:
		dp_mb_put_u32(b, DP_ATTR_COUNT, 3);
		break;
	default:
		break;
	}
	return DP_OK;
}

static void
fake_answer(struct bufferevent *bev, const struct dp_msg *req)
{
	struct dp_msg_builder b;
	struct dp_msg r = *req;
	const char *why = NULL;
	uint32_t status = DP_OK, v = 0;
	int len;

	fake.requests++;
	if (fake.mode == FAKE_SILENT)
		return;
	switch (req->type) {
	case DP_MSG_LEG_ADD:
		fake.decode_rc = dp_proto_decode_leg(req, &fake.spec, &why);
		if (fake.decode_rc != 0)
			status = DP_ERR_INVALID;
		else if (fake.spec.leg_id == 99) {
			status = DP_ERR_EXISTS;
			why = "leg 99 exists";
		}
		if (fake.decode_rc == 0 && fake.n_adds < N_PIPELINED + 8)
			fake.add_ids[fake.n_adds++] = fake.spec.leg_id;
		break;
	case DP_MSG_LEG_DEL:
		(void)find_u32(req, DP_ATTR_LEG_ID, &v);
		fake.del_id = v;
		if (v == 404) {
			status = DP_ERR_NOT_FOUND;
			why = "no such leg";
		}
		break;
	case DP_MSG_CONF_DEL:
		(void)find_u32(req, DP_ATTR_CONF_ID, &fake.conf_id);
		break;
	default:
		break;
	}
	if (fake.mode == FAKE_WRONG_SEQ) {
		r.seq++;
		fake.mode = FAKE_ANSWER;
	}
	dp_proto_reply_begin(&b, fake.out, DP_MSG_MAX, &r, status, why);
	if (status == DP_OK)
		fake_data(req, &b);
	len = dp_mb_finish(&b);
	CU_ASSERT_FATAL(len > 0);
	bufferevent_write(bev, fake.out, (size_t)len);
}

static void
fake_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	for (;;) {
		uint8_t hdr[DP_MSG_HDR_LEN];
		struct dp_msg m;
		size_t total;
		const uint8_t *p;

		if (evbuffer_get_length(in) < DP_MSG_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		total = DP_MSG_HDR_LEN + ((size_t)hdr[8] << 24 | (size_t)hdr[9] << 16 |
					  (size_t)hdr[10] << 8 | hdr[11]);
		if (evbuffer_get_length(in) < total)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)total);
		CU_ASSERT_FATAL(dp_msg_parse(p, total, &m) == (int)total);
		fake_answer(bev, &m);
		evbuffer_drain(in, total);
	}
}

static void
fake_conn_close(void)
{
	if (fake.conn != NULL)
		bufferevent_free(fake.conn);
	fake.conn = NULL;
}

static void
fake_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	(void)arg;
	fake_conn_close();
}

static void
fake_accept(evutil_socket_t fd, short what, void *arg)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)what;
	(void)arg;
	if (c < 0)
		return;
	fake_conn_close();
	fake.accepts++;
	fake.conn = bufferevent_socket_new(base, c, BEV_OPT_CLOSE_ON_FREE);
	CU_ASSERT_FATAL(fake.conn != NULL);
	bufferevent_setcb(fake.conn, fake_read, NULL, fake_event, NULL);
	bufferevent_enable(fake.conn, EV_READ | EV_WRITE);
}

static void
fake_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fake.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(fake.listen_fd >= 0);
	CU_ASSERT_FATAL(bind(fake.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(fake.listen_fd, 16) == 0);
	fake.listen_ev = event_new(base, fake.listen_fd, EV_READ | EV_PERSIST, fake_accept, NULL);
	CU_ASSERT_FATAL(fake.listen_ev != NULL);
	event_add(fake.listen_ev, NULL);
}

/* The dataplane stops: its connection and its socket go away. */
static void
fake_stop(void)
{
	fake_conn_close();
	if (fake.listen_ev != NULL) {
		event_free(fake.listen_ev);
		close(fake.listen_fd);
		unlink(sock_path);
	}
	fake.listen_ev = NULL;
	fake.listen_fd = -1;
}

/* ---- the client under test ---- */

static struct cp_dp *dp;
static int ups, downs;

static bool expired;

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	expired = true;
}

/* Runs the loop until *counter reaches target; false when the deadline came first. */
static bool
wait_for(const int *counter, int target)
{
	struct timeval tv = { .tv_sec = WAIT_LIMIT_S, .tv_usec = 0 };
	struct event *deadline = evtimer_new(base, on_deadline, NULL);

	expired = false;
	evtimer_add(deadline, &tv);
	while (*counter < target && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(deadline);
	return *counter >= target;
}

/* Runs the loop for ms milliseconds: time for retries to happen (nothing is timed). */
static void
run_for(int ms)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = ms * 1000 };
	struct event *t = evtimer_new(base, on_deadline, NULL);

	expired = false;
	evtimer_add(t, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

static void
on_state(struct cp_dp *d, bool up, void *arg)
{
	(void)arg;
	CU_ASSERT_PTR_EQUAL(d, dp);
	CU_ASSERT_EQUAL(cp_dp_up(d), up);
	if (up)
		ups++;
	else
		downs++;
}

static void
start(unsigned int timeout_ms)
{
	struct cp_dp_opts opts = {
		.socket_path = sock_path,
		.backoff_min_ms = 10,
		.backoff_max_ms = 40,
		.timeout_ms = timeout_ms,
		.on_state = on_state,
	};

	memset(&fake, 0, sizeof(fake));
	fake.listen_fd = -1;
	fake.out = malloc(DP_MSG_MAX);
	CU_ASSERT_FATAL(fake.out != NULL);
	base = event_base_new();
	CU_ASSERT_FATAL(base != NULL);
	ups = 0;
	downs = 0;
	fake_listen();
	dp = cp_dp_new(base, &opts);
	CU_ASSERT_FATAL(dp != NULL);
	CU_ASSERT_FATAL(wait_for(&ups, 1));
}

static void
stop(void)
{
	cp_dp_free(dp);
	dp = NULL;
	fake_stop();
	event_base_free(base);
	base = NULL;
	free(fake.out);
}

/* What the callbacks saw. */
struct result {
	int calls;
	int status;
	char text[256];
	unsigned int n;
	uint32_t more;
	struct dp_leg_info legs[4];
	struct dp_health health;
	struct dp_stats_group groups[3];
	struct dp_stats_group last;       /* the last group of a stats reply */
};

static int n_done;

static void
status_cb(struct cp_dp *d, int status, const char *text, void *arg)
{
	struct result *r = arg;

	(void)d;
	r->calls++;
	r->status = status;
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	snprintf(r->text, sizeof(r->text), "%s", text);
	n_done++;
}

static void
list_cb(struct cp_dp *d, int status, const struct dp_leg_info *legs, unsigned int n,
	uint32_t more, void *arg)
{
	struct result *r = arg;

	(void)d;
	r->calls++;
	r->status = status;
	r->n = n;
	r->more = more;
	for (unsigned int i = 0; i < n && i < 4; i++)
		r->legs[i] = legs[i];
	n_done++;
}

static void
health_cb(struct cp_dp *d, int status, const struct dp_health *h, void *arg)
{
	struct result *r = arg;

	(void)d;
	r->calls++;
	r->status = status;
	if (h != NULL)
		r->health = *h;
	CU_ASSERT_EQUAL(h != NULL, status == DP_OK);
	n_done++;
}

static void
stats_cb(struct cp_dp *d, int status, const struct dp_stats_group *groups, unsigned int n,
	 void *arg)
{
	struct result *r = arg;

	(void)d;
	r->calls++;
	r->status = status;
	r->n = n;
	for (unsigned int i = 0; i < n && i < 3; i++)
		r->groups[i] = groups[i];
	if (n > 0)
		r->last = groups[n - 1];
	n_done++;
}

static struct result *
result_new(void)
{
	struct result *r = calloc(1, sizeof(*r));

	CU_ASSERT_FATAL(r != NULL);
	r->status = 12345;
	return r;
}

static void
full_spec(struct dp_leg_spec *s, uint32_t id)
{
	memset(s, 0, sizeof(*s));
	s->has = DP_LEG_HAS_ALL_REQUIRED | DP_LEG_HAS_REMOTE | DP_LEG_HAS_FLAGS;
	s->leg_id = id;
	s->conf_id = 77;
	s->flags = DP_LEG_F_SEND;
	s->suite = DP_SUITE_AEAD_AES_256_GCM;
	s->key_in_len = 44;
	s->key_out_len = 44;
	for (unsigned int i = 0; i < 44; i++) {
		s->key_in[i] = (uint8_t)(0xa0 + i);
		s->key_out[i] = (uint8_t)(0x10 + 3 * i);
	}
	s->n_ssrcs = 3;
	s->ssrcs[0] = 0x11111111;
	s->ssrcs[1] = 0x22222222;
	s->ssrcs[2] = 0xdeadbeef;
	s->media_port = 40002;
	CU_ASSERT_FATAL(dp_endpoint_parse("[2001:db8::5]:5004", &s->remote) == 0);
}

/* ---- tests ---- */

static int
suite_init(void)
{
	cp_log_set_level(CP_LOG_ERROR);   /* connection warnings are expected here */
	/* as in sluice-cp: libevent writes with writev, a closed peer must not kill us */
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cp_dp.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/dp.sock", tmpdir);
	return 0;
}

static int
suite_cleanup(void)
{
	unlink(sock_path);
	return rmdir(tmpdir);
}

static void
test_new_refuses_a_bad_path(void)
{
	struct event_base *b = event_base_new();
	char long_path[200];
	struct cp_dp_opts opts = { .socket_path = NULL };

	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_PTR_NULL(cp_dp_new(b, &opts));
	opts.socket_path = "";
	CU_ASSERT_PTR_NULL(cp_dp_new(b, &opts));
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	opts.socket_path = long_path;
	CU_ASSERT_PTR_NULL(cp_dp_new(b, &opts));
	CU_ASSERT_PTR_NULL(cp_dp_new(NULL, &opts));
	event_base_free(b);
}

static void
test_requests_before_connect_are_refused(void)
{
	struct cp_dp_opts opts = { .socket_path = sock_path };
	struct dp_leg_spec spec;
	struct result *r = result_new();

	base = event_base_new();
	CU_ASSERT_FATAL(base != NULL);
	/* given a client whose first connect has not run yet */
	dp = cp_dp_new(base, &opts);
	CU_ASSERT_FATAL(dp != NULL);
	CU_ASSERT_FALSE(cp_dp_up(dp));
	/* then every request is refused and no callback runs */
	full_spec(&spec, 1);
	CU_ASSERT_EQUAL(cp_dp_leg_add(dp, &spec, status_cb, r), -ENOTCONN);
	CU_ASSERT_EQUAL(cp_dp_leg_del(dp, 1, status_cb, r), -ENOTCONN);
	CU_ASSERT_EQUAL(cp_dp_conf_del(dp, 1, status_cb, r), -ENOTCONN);
	CU_ASSERT_EQUAL(cp_dp_leg_list(dp, 0, list_cb, r), -ENOTCONN);
	CU_ASSERT_EQUAL(cp_dp_health(dp, health_cb, r), -ENOTCONN);
	CU_ASSERT_EQUAL(cp_dp_stats(dp, stats_cb, r), -ENOTCONN);
	CU_ASSERT_EQUAL(r->calls, 0);
	cp_dp_free(dp);
	dp = NULL;
	event_base_free(base);
	base = NULL;
	free(r);
}

static void
test_leg_add_sends_the_spec_keys_included(void)
{
	struct result *r = result_new();
	struct dp_leg_spec spec;

	start(3000);
	full_spec(&spec, 42);
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_add(dp, &spec, status_cb, r), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	CU_ASSERT_EQUAL(r->calls, 1);
	CU_ASSERT_EQUAL(r->status, DP_OK);
	CU_ASSERT_STRING_EQUAL(r->text, "");
	/* the dataplane decoded exactly what was sent */
	CU_ASSERT_EQUAL_FATAL(fake.decode_rc, 0);
	CU_ASSERT_EQUAL(fake.spec.has, spec.has);
	CU_ASSERT_EQUAL(fake.spec.leg_id, 42);
	CU_ASSERT_EQUAL(fake.spec.conf_id, spec.conf_id);
	CU_ASSERT_EQUAL(fake.spec.flags, DP_LEG_F_SEND);
	CU_ASSERT_EQUAL(fake.spec.suite, DP_SUITE_AEAD_AES_256_GCM);
	CU_ASSERT_EQUAL(fake.spec.media_port, 40002);
	CU_ASSERT_EQUAL(fake.spec.key_in_len, 44);
	CU_ASSERT_EQUAL(fake.spec.key_out_len, 44);
	CU_ASSERT_EQUAL(memcmp(fake.spec.key_in, spec.key_in, 44), 0);
	CU_ASSERT_EQUAL(memcmp(fake.spec.key_out, spec.key_out, 44), 0);
	CU_ASSERT_EQUAL(fake.spec.n_ssrcs, 3);
	CU_ASSERT_EQUAL(memcmp(fake.spec.ssrcs, spec.ssrcs, 3 * sizeof(uint32_t)), 0);
	CU_ASSERT_EQUAL(memcmp(&fake.spec.remote, &spec.remote, sizeof(spec.remote)), 0);
	stop();
	free(r);
}

static void
test_refusal_carries_status_and_text(void)
{
	struct result *a = result_new(), *b = result_new();
	struct dp_leg_spec spec;

	start(3000);
	full_spec(&spec, 99);
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_add(dp, &spec, status_cb, a), 0);
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 404, status_cb, b), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	CU_ASSERT_EQUAL(a->status, DP_ERR_EXISTS);
	CU_ASSERT_STRING_EQUAL(a->text, "leg 99 exists");
	CU_ASSERT_EQUAL(b->status, DP_ERR_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(b->text, "no such leg");
	/* the connection stays up after a refusal */
	CU_ASSERT_TRUE(cp_dp_up(dp));
	CU_ASSERT_EQUAL(downs, 0);
	stop();
	free(a);
	free(b);
}

static void
test_leg_del_and_conf_del_name_their_id(void)
{
	struct result *a = result_new(), *b = result_new();

	start(3000);
	n_done = 0;
	CU_ASSERT_EQUAL(cp_dp_leg_del(dp, 0, status_cb, a), -EINVAL);
	CU_ASSERT_EQUAL(cp_dp_conf_del(dp, 0, status_cb, a), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 4242, status_cb, a), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	CU_ASSERT_EQUAL(a->status, DP_OK);
	CU_ASSERT_EQUAL(fake.del_id, 4242);
	CU_ASSERT_EQUAL_FATAL(cp_dp_conf_del(dp, 77, status_cb, b), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	CU_ASSERT_EQUAL(b->status, DP_OK);
	CU_ASSERT_EQUAL(fake.conf_id, 77);
	CU_ASSERT_EQUAL(a->calls, 1);
	CU_ASSERT_EQUAL(b->calls, 1);
	stop();
	free(a);
	free(b);
}

static void
test_leg_list_pages_with_a_cursor(void)
{
	struct result *p1 = result_new(), *p2 = result_new();

	start(3000);
	n_done = 0;
	/* when the first page is asked for */
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_list(dp, 0, list_cb, p1), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	/* then it holds legs 1 and 2 and a cursor */
	CU_ASSERT_EQUAL(p1->status, DP_OK);
	CU_ASSERT_EQUAL_FATAL(p1->n, 2);
	CU_ASSERT_EQUAL(p1->more, 2);
	CU_ASSERT_EQUAL(p1->legs[0].spec.leg_id, 1);
	CU_ASSERT_EQUAL(p1->legs[1].spec.leg_id, 2);
	CU_ASSERT_EQUAL(p1->legs[1].spec.conf_id, 7);
	CU_ASSERT_EQUAL(p1->legs[1].spec.media_port, 40000);
	CU_ASSERT_EQUAL(p1->legs[1].spec.ssrcs[0], 0x1002);
	CU_ASSERT_EQUAL(p1->legs[1].owner_lcore, 2);
	CU_ASSERT_EQUAL(p1->legs[1].counters.rx_packets, 200);
	CU_ASSERT_EQUAL(p1->legs[1].spec.key_in_len, 0);
	/* and the page after the cursor is the last */
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_list(dp, p1->more, list_cb, p2), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	CU_ASSERT_EQUAL(p2->status, DP_OK);
	CU_ASSERT_EQUAL_FATAL(p2->n, 1);
	CU_ASSERT_EQUAL(p2->more, 0);
	CU_ASSERT_EQUAL(p2->legs[0].spec.leg_id, 3);
	stop();
	free(p1);
	free(p2);
}

static void
test_malformed_page_fails_alone(void)
{
	struct result *a = result_new(), *b = result_new();

	start(3000);
	n_done = 0;
	/* when a page's cursor does not advance */
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_list(dp, 5, list_cb, a), 0);
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_list(dp, 2, list_cb, b), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	/* then that request fails, and the connection and the next request are fine */
	CU_ASSERT_EQUAL(a->status, -1);
	CU_ASSERT_EQUAL(a->n, 0);
	CU_ASSERT_EQUAL(b->status, DP_OK);
	CU_ASSERT_EQUAL(b->n, 1);
	CU_ASSERT_EQUAL(downs, 0);
	CU_ASSERT_TRUE(cp_dp_up(dp));
	stop();
	free(a);
	free(b);
}

static void
test_health_is_decoded(void)
{
	struct result *r = result_new();

	start(3000);
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_health(dp, health_cb, r), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	CU_ASSERT_EQUAL(r->status, DP_OK);
	CU_ASSERT_STRING_EQUAL(r->health.version, "0.1.0-test");
	CU_ASSERT_STRING_EQUAL(r->health.srtp_backend, "libsrtp2");
	CU_ASSERT_EQUAL(r->health.uptime_s, 3600);
	CU_ASSERT_EQUAL(r->health.workers, 4);
	CU_ASSERT_EQUAL(r->health.legs, 12);
	CU_ASSERT_EQUAL(r->health.conferences, 3);
	CU_ASSERT_EQUAL(r->health.ports_up, 1);
	CU_ASSERT_EQUAL(r->health.ports, 2);
	stop();
	free(r);
}

static void
test_stats_groups_come_in_reply_order(void)
{
	struct result *r = result_new();

	start(3000);
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_stats(dp, stats_cb, r), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	CU_ASSERT_EQUAL(r->status, DP_OK);
	CU_ASSERT_EQUAL_FATAL(r->n, 3);
	CU_ASSERT_STRING_EQUAL(r->groups[0].name, "eth0");
	CU_ASSERT_TRUE(r->groups[0].link_up);
	CU_ASSERT_EQUAL_FATAL(r->groups[0].n, 2);
	CU_ASSERT_STRING_EQUAL(r->groups[0].c[1].name, "counter_01");
	CU_ASSERT_EQUAL(r->groups[0].c[1].value, 11);
	CU_ASSERT_STRING_EQUAL(r->groups[1].name, "worker 0");
	CU_ASSERT_EQUAL(r->groups[1].index, 3);
	CU_ASSERT_EQUAL(r->groups[1].n, 3);
	CU_ASSERT_STRING_EQUAL(r->groups[2].name, "drops");
	CU_ASSERT_EQUAL(r->groups[2].c[0].value, 30);
	stop();
	free(r);
}

static void
test_stats_reply_near_the_message_limit_arrives_whole(void)
{
	struct result *r = result_new();

	start(3000);
	fake.big_stats = true;
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_stats(dp, stats_cb, r), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	CU_ASSERT_EQUAL(r->status, DP_OK);
	CU_ASSERT_EQUAL_FATAL(r->n, BIG_GROUPS);
	CU_ASSERT_STRING_EQUAL(r->last.name, "lcore 399");
	CU_ASSERT_EQUAL_FATAL(r->last.n, DP_STATS_MAX_COUNTERS);
	CU_ASSERT_EQUAL(r->last.c[63].value, 1000 * 399 + 63);
	CU_ASSERT_TRUE(cp_dp_up(dp));
	stop();
	free(r);
}

static int order_next;
static int order_bad;

static void
ordered_cb(struct cp_dp *d, int status, const char *text, void *arg)
{
	int i = (int)(intptr_t)arg;

	(void)d;
	(void)text;
	if (i != order_next || status != DP_OK)
		order_bad++;
	order_next++;
	n_done++;
}

static void
test_pipelined_adds_complete_in_order(void)
{
	struct dp_leg_spec spec;

	start(3000);
	n_done = 0;
	order_next = 0;
	order_bad = 0;
	/* when 100 adds are sent without waiting */
	for (int i = 0; i < N_PIPELINED; i++) {
		full_spec(&spec, (uint32_t)(1000 + i));
		CU_ASSERT_EQUAL_FATAL(cp_dp_leg_add(dp, &spec, ordered_cb, (void *)(intptr_t)i), 0);
	}
	/* then every callback runs once, in order, with success */
	CU_ASSERT_FATAL(wait_for(&n_done, N_PIPELINED));
	CU_ASSERT_EQUAL(order_next, N_PIPELINED);
	CU_ASSERT_EQUAL(order_bad, 0);
	CU_ASSERT_EQUAL_FATAL(fake.n_adds, N_PIPELINED);
	for (int i = 0; i < N_PIPELINED; i++)
		CU_ASSERT_EQUAL(fake.add_ids[i], (uint32_t)(1000 + i));
	CU_ASSERT_EQUAL(fake.accepts, 1);
	stop();
}

static void
test_reply_with_a_wrong_seq_drops_the_connection(void)
{
	struct result *a = result_new(), *b = result_new(), *c = result_new();

	start(3000);
	/* given a dataplane whose next reply carries the wrong seq */
	fake.mode = FAKE_WRONG_SEQ;
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_health(dp, health_cb, a), 0);
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 5, status_cb, b), 0);
	/* then both requests fail and the client reports the loss */
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	CU_ASSERT_EQUAL(a->status, -1);
	CU_ASSERT_EQUAL(b->status, -1);
	CU_ASSERT_EQUAL(a->calls, 1);
	CU_ASSERT_EQUAL(b->calls, 1);
	CU_ASSERT_EQUAL(downs, 1);
	CU_ASSERT_EQUAL(cp_dp_leg_del(dp, 6, status_cb, c), -ENOTCONN);
	/* and it connects again by itself, and works */
	CU_ASSERT_FATAL(wait_for(&ups, 2));
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 6, status_cb, c), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 3));
	CU_ASSERT_EQUAL(c->status, DP_OK);
	CU_ASSERT_EQUAL(fake.accepts, 2);
	stop();
	free(a);
	free(b);
	free(c);
}

static void
test_silent_dataplane_times_out(void)
{
	struct result *a = result_new(), *b = result_new(), *c = result_new();
	struct result *d = result_new();

	start(200);
	/* given a dataplane that never answers */
	fake.mode = FAKE_SILENT;
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 1, status_cb, a), 0);
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_list(dp, 0, list_cb, b), 0);
	CU_ASSERT_EQUAL_FATAL(cp_dp_stats(dp, stats_cb, c), 0);
	/* then every request fails with -1 once the oldest times out */
	CU_ASSERT_FATAL(wait_for(&n_done, 3));
	CU_ASSERT_EQUAL(a->status, -1);
	CU_ASSERT_STRING_NOT_EQUAL(a->text, "");
	CU_ASSERT_EQUAL(b->status, -1);
	CU_ASSERT_EQUAL(b->n, 0);
	CU_ASSERT_EQUAL(c->status, -1);
	CU_ASSERT_EQUAL(c->n, 0);
	CU_ASSERT_EQUAL(a->calls + b->calls + c->calls, 3);
	CU_ASSERT_EQUAL(downs, 1);
	CU_ASSERT_EQUAL(fake.requests, 3);
	/* and the client connects again, and a dataplane that answers is heard */
	CU_ASSERT_FATAL(wait_for(&ups, 2));
	fake.mode = FAKE_ANSWER;
	CU_ASSERT_EQUAL_FATAL(cp_dp_health(dp, health_cb, d), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 4));
	CU_ASSERT_EQUAL(d->status, DP_OK);
	stop();
	free(a);
	free(b);
	free(c);
	free(d);
}

static void
test_dataplane_restart_is_followed(void)
{
	struct result *a = result_new(), *b = result_new();

	start(3000);
	n_done = 0;
	/* given a dataplane that stops with a request pending */
	fake.mode = FAKE_SILENT;
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 1, status_cb, a), 0);
	CU_ASSERT_FATAL(wait_for(&fake.requests, 1));
	fake_stop();
	/* then the client reports it down and fails the request */
	CU_ASSERT_FATAL(wait_for(&downs, 1));
	CU_ASSERT_FATAL(wait_for(&n_done, 1));
	CU_ASSERT_EQUAL(a->status, -1);
	CU_ASSERT_FALSE(cp_dp_up(dp));
	/* when the dataplane comes back on the same path after a while */
	run_for(100);
	CU_ASSERT_EQUAL(ups, 1);
	fake.mode = FAKE_ANSWER;
	fake_listen();
	/* then the client is up again without being asked */
	CU_ASSERT_FATAL(wait_for(&ups, 2));
	CU_ASSERT_TRUE(cp_dp_up(dp));
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 2, status_cb, b), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	CU_ASSERT_EQUAL(b->status, DP_OK);
	CU_ASSERT_EQUAL(downs, 1);
	stop();
	free(a);
	free(b);
}

static struct result *freed_second;

static void
free_in_cb(struct cp_dp *d, int status, const char *text, void *arg)
{
	status_cb(d, status, text, arg);
	cp_dp_free(d);
	/* the client stays usable until the callback returns, and refuses work */
	CU_ASSERT_FALSE(cp_dp_up(d));
	CU_ASSERT_EQUAL(cp_dp_health(d, health_cb, freed_second), -ENOTCONN);
}

static void
test_free_from_a_callback_fails_the_rest(void)
{
	struct result *a = result_new(), *b = result_new();

	start(3000);
	freed_second = b;
	n_done = 0;
	/* given two requests, the first of whose callbacks frees the client */
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 1, free_in_cb, a), 0);
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_del(dp, 2, status_cb, b), 0);
	CU_ASSERT_FATAL(wait_for(&n_done, 2));
	/* then the second hears of the end, once; on_state is not called */
	CU_ASSERT_EQUAL(a->status, DP_OK);
	CU_ASSERT_EQUAL(b->calls, 1);
	CU_ASSERT_EQUAL(b->status, -1);
	CU_ASSERT_EQUAL(downs, 0);
	dp = NULL;
	stop();
	free(a);
	free(b);
}

static void
test_free_fails_pending_requests(void)
{
	struct result *a = result_new();
	struct dp_leg_spec spec;

	start(3000);
	full_spec(&spec, 8);
	n_done = 0;
	CU_ASSERT_EQUAL_FATAL(cp_dp_leg_add(dp, &spec, status_cb, a), 0);
	cp_dp_free(dp);
	dp = NULL;
	CU_ASSERT_EQUAL(a->calls, 1);
	CU_ASSERT_EQUAL(a->status, -1);
	CU_ASSERT_EQUAL(downs, 0);
	stop();
	free(a);
}

static const struct ut_test dp_tests[] = {
	{ "new refuses a bad path", test_new_refuses_a_bad_path },
	{ "requests before connect are refused", test_requests_before_connect_are_refused },
	{ "leg add sends the spec, keys included", test_leg_add_sends_the_spec_keys_included },
	{ "refusal carries status and text", test_refusal_carries_status_and_text },
	{ "leg del and conf del name their id", test_leg_del_and_conf_del_name_their_id },
	{ "leg list pages with a cursor", test_leg_list_pages_with_a_cursor },
	{ "malformed page fails alone", test_malformed_page_fails_alone },
	{ "health is decoded", test_health_is_decoded },
	{ "stats groups come in reply order", test_stats_groups_come_in_reply_order },
	{ "stats reply near the message limit arrives whole",
	  test_stats_reply_near_the_message_limit_arrives_whole },
	{ "pipelined adds complete in order", test_pipelined_adds_complete_in_order },
	{ "reply with a wrong seq drops the connection",
	  test_reply_with_a_wrong_seq_drops_the_connection },
	{ "silent dataplane times out", test_silent_dataplane_times_out },
	{ "dataplane restart is followed", test_dataplane_restart_is_followed },
	{ "free from a callback fails the rest", test_free_from_a_callback_fails_the_rest },
	{ "free fails pending requests", test_free_fails_pending_requests },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "cp_dp", suite_init, suite_cleanup, dp_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
