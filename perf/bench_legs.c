/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-legs: how fast a running sluice-dp installs and removes legs through its
 * control socket.
 *
 * Installs N legs (conferences of C legs, AES_CM_128_HMAC_SHA1_80 with random keys, one
 * distinct SSRC each, on one media port) with W requests in flight on one connection, then
 * removes them with one conference delete per conference, W in flight too. Replies must come
 * back in request order; any status but OK is an error. The relay's leg count (health) is
 * read before, between and after, and must move by exactly N. With --dp-pid, the CPU time
 * of the relay's control thread (its main thread) per leg is given too: a figure that a
 * busy machine disturbs less than the rates.
 *
 * Output: one JSON document on stdout. Exit 0; 1 when any request failed or the counts do
 * not match; 2 on usage errors or when the socket fails.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dp_proto.h"

#define BL_REQ_MAX 512               /* a leg add with one SSRC is about 140 bytes */
#define BL_IN_CAP (256u * 1024)
#define BL_TIMEOUT_MS 10000          /* no progress for this long: the relay is stuck */
#define BL_ERRORS_SHOWN 5
#define BL_RANDOM_POOL 4096          /* key bytes fetched per getrandom() call */

#define BL_EXIT_ERRORS 1
#define BL_EXIT_USAGE 2

struct bl_opts {
	const char *socket;
	uint32_t legs;
	uint32_t conf_size;
	uint32_t window;
	uint16_t media_port;
	uint32_t first_leg;
	uint32_t first_conf;
	uint32_t first_ssrc;
	long dp_pid;                 /* 0: unknown */
};

struct bl_conn {
	int fd;
	uint32_t seq;
	uint8_t *out;                /* window * BL_REQ_MAX */
	size_t out_len;
	size_t out_off;              /* sent so far */
	uint8_t *in;                 /* BL_IN_CAP */
	size_t in_len;
};

/* One phase: request i of n is encoded by `encode`; bl_reply() checks the replies in order. */
struct bl_phase {
	const char *name;
	uint32_t n;
	int (*encode)(const struct bl_opts *o, uint32_t i, uint8_t *buf, size_t cap, uint32_t seq);
	uint64_t count;              /* sum of the replies' DP_ATTR_COUNT */
	uint64_t errors;
	double seconds;
	double cpu_s;                /* the relay's control thread; < 0: unknown */
};

static double
bl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds on a CPU of thread `pid` of process `pid` (its main thread), or -1. */
static double
bl_thread_cpu(long pid)
{
	char path[64];
	unsigned long long ns;
	FILE *f;
	int n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/schedstat", pid, pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fscanf(f, "%llu", &ns);
	fclose(f);
	return n == 1 ? (double)ns * 1e-9 : -1;
}

static int
bl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "bench-legs: socket path too long\n");
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "bench-legs: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- requests ---- */

/* Random bytes for keys, fetched in bulk: one system call per leg would slow the client. */
static uint8_t bl_pool[BL_RANDOM_POOL];
static size_t bl_pool_left;

/* 0, or -EIO when the kernel gives no randomness. The bytes taken are wiped in the pool. */
static int
bl_random(uint8_t *out, size_t len)
{
	if (len > sizeof(bl_pool))
		return -EIO;
	if (bl_pool_left < len) {
		if (getrandom(bl_pool, sizeof(bl_pool), 0) != (ssize_t)sizeof(bl_pool)) {
			fprintf(stderr, "bench-legs: getrandom: %s\n", strerror(errno));
			return -EIO;
		}
		bl_pool_left = sizeof(bl_pool);
	}
	bl_pool_left -= len;
	memcpy(out, bl_pool + bl_pool_left, len);
	dp_proto_wipe(bl_pool + bl_pool_left, len);
	return 0;
}

static int
bl_encode_add(const struct bl_opts *o, uint32_t i, uint8_t *buf, size_t cap, uint32_t seq)
{
	struct dp_leg_spec spec = {
		.has = DP_LEG_HAS_ALL_REQUIRED,
		.leg_id = o->first_leg + i,
		.conf_id = o->first_conf + i / o->conf_size,
		.suite = DP_SUITE_AES_CM_128_HMAC_SHA1_80,
		.media_port = o->media_port,
		.n_ssrcs = 1,
		.ssrcs = { o->first_ssrc + i },
	};
	size_t klen = dp_suite_key_len(spec.suite) + dp_suite_salt_len(spec.suite);
	uint8_t keys[2 * DP_MASTER_MAX];
	int len;

	if (bl_random(keys, 2 * klen) != 0)
		return -EIO;
	memcpy(spec.key_in, keys, klen);
	memcpy(spec.key_out, keys + klen, klen);
	spec.key_in_len = spec.key_out_len = (uint8_t)klen;
	len = dp_proto_encode_leg(buf, cap, DP_MSG_LEG_ADD, seq, &spec);
	dp_proto_wipe(keys, sizeof(keys));
	dp_proto_wipe(&spec, sizeof(spec));
	return len;
}

static int
bl_encode_conf_del(const struct bl_opts *o, uint32_t i, uint8_t *buf, size_t cap, uint32_t seq)
{
	return dp_proto_encode_simple(buf, cap, DP_MSG_CONF_DEL, seq, DP_ATTR_CONF_ID,
				      o->first_conf + i);
}

static int
bl_encode_health(const struct bl_opts *o, uint32_t i, uint8_t *buf, size_t cap, uint32_t seq)
{
	(void)o;
	(void)i;
	return dp_proto_encode_simple(buf, cap, DP_MSG_HEALTH, seq, 0, 0);
}

/* ---- the pipeline ---- */

/* Checks one reply; returns 0, or -EPROTO when the stream cannot be trusted any more. */
static int
bl_reply(struct bl_phase *ph, const struct dp_msg *msg, uint32_t want_seq, uint32_t *legs)
{
	char err[256];
	uint32_t status, v;
	struct dp_attr_iter it;
	struct dp_attr a;

	if (msg->seq != want_seq || !(msg->type & DP_MSG_REPLY)) {
		fprintf(stderr, "bench-legs: %s: reply seq %u, expected %u (out of order)\n",
			ph->name, msg->seq, want_seq);
		return -EPROTO;
	}
	if (dp_proto_reply_status(msg, &status, err, sizeof(err)) != 0)
		return -EPROTO;
	if (status != DP_OK) {
		if (ph->errors++ < BL_ERRORS_SHOWN)
			fprintf(stderr, "bench-legs: %s: request %u: %s (%s)\n", ph->name, want_seq,
				dp_status_name(status), err);
		return 0;
	}
	dp_attr_iter_init(&it, msg->body, msg->len);
	while (dp_attr_next(&it, &a) > 0) {
		if (a.type == DP_ATTR_COUNT && dp_attr_u32(&a, &v) == 0) {
			ph->count += v;
		} else if (a.type == DP_ATTR_NEST_HEALTH && legs != NULL) {
			struct dp_health h;

			if (dp_proto_get_health(&a, &h) == 0)
				*legs = h.legs;
		}
	}
	return 0;
}

/* Writes what is pending without blocking; 0, or -1 when the connection failed. */
static int
bl_flush(struct bl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		return -1;
	}
	/* Everything went: the requests held keys. */
	dp_proto_wipe(c->out, c->out_len);
	c->out_len = c->out_off = 0;
	return 0;
}

/* Reads what is there and checks every complete reply; -1 on failure. */
static int
bl_receive(struct bl_conn *c, struct bl_phase *ph, uint32_t seq0, uint32_t *done,
	   uint32_t *legs)
{
	ssize_t n = read(c->fd, c->in + c->in_len, BL_IN_CAP - c->in_len);
	size_t off = 0;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		fprintf(stderr, "bench-legs: %s: connection closed by the relay\n", ph->name);
		return -1;
	}
	if (n < 0)
		return 0;
	c->in_len += (size_t)n;
	for (;;) {
		struct dp_msg msg;
		int len = dp_msg_parse(c->in + off, c->in_len - off, &msg);

		if (len == -EAGAIN)
			break;
		if (len < 0 || bl_reply(ph, &msg, seq0 + *done, legs) != 0) {
			fprintf(stderr, "bench-legs: %s: bad reply\n", ph->name);
			return -1;
		}
		off += (size_t)len;
		(*done)++;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return 0;
}

/* Runs ph->n requests with at most `window` in flight; -1 when the connection failed. */
static int
bl_run(struct bl_conn *c, const struct bl_opts *o, uint32_t window, struct bl_phase *ph,
       uint32_t *legs)
{
	uint32_t seq0 = c->seq + 1, sent = 0, done = 0;
	double cpu0 = bl_thread_cpu(o->dp_pid), cpu1;
	double t0 = bl_now();

	while (done < ph->n) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int rc;

		/* Refill the window; the bytes already sent make room first. */
		if (c->out_off > 0) {
			size_t left = c->out_len - c->out_off;

			memmove(c->out, c->out + c->out_off, left);
			dp_proto_wipe(c->out + left, c->out_off);
			c->out_len = left;
			c->out_off = 0;
		}
		while (sent < ph->n && sent - done < window) {
			int len = ph->encode(o, sent, c->out + c->out_len,
					     (size_t)window * BL_REQ_MAX - c->out_len, ++c->seq);

			if (len < 0) {
				fprintf(stderr, "bench-legs: %s: cannot encode request %u\n",
					ph->name, sent);
				return -1;
			}
			c->out_len += (size_t)len;
			sent++;
		}
		if (bl_flush(c) != 0) {
			fprintf(stderr, "bench-legs: %s: write: %s\n", ph->name, strerror(errno));
			return -1;
		}
		if (c->out_off < c->out_len)
			p.events |= POLLOUT;
		rc = poll(&p, 1, BL_TIMEOUT_MS);
		if (rc == 0) {
			fprintf(stderr, "bench-legs: %s: no reply for %d ms (%u of %u done)\n",
				ph->name, BL_TIMEOUT_MS, done, ph->n);
			return -1;
		}
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    bl_receive(c, ph, seq0, &done, legs) != 0)
			return -1;
	}
	ph->seconds = bl_now() - t0;
	cpu1 = bl_thread_cpu(o->dp_pid);
	ph->cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
	return 0;
}

/* The relay's leg count, or -1. */
static int64_t
bl_legs(struct bl_conn *c, const struct bl_opts *o)
{
	struct bl_phase ph = { .name = "health", .n = 1, .encode = bl_encode_health };
	uint32_t legs = UINT32_MAX;

	if (bl_run(c, o, 1, &ph, &legs) != 0 || ph.errors != 0 || legs == UINT32_MAX)
		return -1;
	return legs;
}

/* ---- main ---- */

static void
bl_usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-bench-legs --socket PATH [options]\n"
		"  --socket PATH       sluice-dp's control socket\n"
		"  --legs N            legs to install (default 20000)\n"
		"  --conf-size C       legs per conference (default 100)\n"
		"  --window W          requests in flight (default 64)\n"
		"  --media-port P      a media port of the relay (default 40000)\n"
		"  --first-leg ID      first leg id (default 1); ids ID .. ID + N - 1\n"
		"  --first-conf ID     first conference id (default 1)\n"
		"  --first-ssrc S      first SSRC (default 0x10000000); one per leg\n"
		"  --dp-pid PID        the relay's process: report its control thread's CPU time\n");
}

static bool
bl_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || x < min || x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "legs", required_argument, NULL, 'n' },
		{ "conf-size", required_argument, NULL, 'c' },
		{ "window", required_argument, NULL, 'w' },
		{ "media-port", required_argument, NULL, 'p' },
		{ "first-leg", required_argument, NULL, 'l' },
		{ "first-conf", required_argument, NULL, 'f' },
		{ "first-ssrc", required_argument, NULL, 'r' },
		{ "dp-pid", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bl_opts o = {
		.legs = 20000, .conf_size = 100, .window = 64, .media_port = 40000,
		.first_leg = 1, .first_conf = 1, .first_ssrc = 0x10000000,
	};
	struct bl_conn c = { .fd = -1 };
	struct bl_phase add = { .name = "install", .encode = bl_encode_add };
	struct bl_phase del = { .name = "remove", .encode = bl_encode_conf_del };
	int64_t legs0, legs1 = -1, legs2 = -1;
	uint32_t port = o.media_port, pid = 0;
	bool ok = true, failed = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.socket = optarg;
			break;
		case 'n':
			ok = ok && bl_parse_u32(optarg, 1, 1u << 24, &o.legs);
			break;
		case 'c':
			ok = ok && bl_parse_u32(optarg, 1, 1u << 20, &o.conf_size);
			break;
		case 'w':
			ok = ok && bl_parse_u32(optarg, 1, 4096, &o.window);
			break;
		case 'p':
			ok = ok && bl_parse_u32(optarg, 1, 65535, &port);
			break;
		case 'l':
			ok = ok && bl_parse_u32(optarg, 1, UINT32_MAX, &o.first_leg);
			break;
		case 'f':
			ok = ok && bl_parse_u32(optarg, 1, UINT32_MAX, &o.first_conf);
			break;
		case 'r':
			ok = ok && bl_parse_u32(optarg, 0, UINT32_MAX, &o.first_ssrc);
			break;
		case 'd':
			ok = ok && bl_parse_u32(optarg, 1, INT32_MAX, &pid);
			break;
		case 'h':
			bl_usage(stdout);
			return 0;
		default:
			ok = false;
			break;
		}
	}
	o.media_port = (uint16_t)port;
	o.dp_pid = pid;
	add.n = o.legs;
	del.n = (o.legs + o.conf_size - 1) / o.conf_size;
	if (!ok || optind != argc || o.socket == NULL ||
	    o.legs - 1 > UINT32_MAX - o.first_leg || del.n - 1 > UINT32_MAX - o.first_conf ||
	    o.legs - 1 > UINT32_MAX - o.first_ssrc) {
		bl_usage(stderr);
		return BL_EXIT_USAGE;
	}

	c.out = calloc(o.window, BL_REQ_MAX);
	c.in = malloc(BL_IN_CAP);
	if (c.out == NULL || c.in == NULL) {
		fprintf(stderr, "bench-legs: out of memory\n");
		return BL_EXIT_USAGE;
	}
	c.fd = bl_connect(o.socket);
	if (c.fd < 0)
		return BL_EXIT_USAGE;

	legs0 = bl_legs(&c, &o);
	if (legs0 < 0 || bl_run(&c, &o, o.window, &add, NULL) != 0 ||
	    (legs1 = bl_legs(&c, &o)) < 0 || bl_run(&c, &o, o.window, &del, NULL) != 0 ||
	    (legs2 = bl_legs(&c, &o)) < 0)
		failed = true;
	close(c.fd);
	dp_proto_wipe(c.out, (size_t)o.window * BL_REQ_MAX);
	dp_proto_wipe(bl_pool, sizeof(bl_pool));
	free(c.out);
	free(c.in);
	if (failed)
		return BL_EXIT_USAGE;
	if (add.errors == 0 && legs1 - legs0 != (int64_t)o.legs) {
		fprintf(stderr, "bench-legs: the relay holds %" PRId64 " legs more, not %u\n",
			legs1 - legs0, o.legs);
		add.errors++;
	}
	if (del.errors == 0 && (legs1 - legs2 != (int64_t)o.legs || del.count != o.legs)) {
		fprintf(stderr, "bench-legs: %" PRIu64 " legs removed (the relay holds %" PRId64
			" fewer), not %u\n", del.count, legs1 - legs2, o.legs);
		del.errors++;
	}

	printf("{\"legs\": %u, \"conf_size\": %u, \"window\": %u, "
	       "\"suite\": \"AES_CM_128_HMAC_SHA1_80\", \"media_port\": %u,\n"
	       " \"install_s\": %.4f, \"installs_per_s\": %.0f,\n"
	       " \"conf_deletes\": %u, \"legs_removed\": %" PRIu64 ", \"remove_s\": %.4f, "
	       "\"removes_per_s\": %.0f,\n"
	       " \"install_cpu_us_per_leg\": %.2f, \"remove_cpu_us_per_leg\": %.2f,\n"
	       " \"install_errors\": %" PRIu64 ", \"remove_errors\": %" PRIu64 ", "
	       "\"errors\": %" PRIu64 "}\n",
	       o.legs, o.conf_size, o.window, o.media_port,
	       add.seconds, add.seconds > 0 ? o.legs / add.seconds : 0.0,
	       del.n, del.count, del.seconds, del.seconds > 0 ? (double)del.count / del.seconds : 0.0,
	       add.cpu_s >= 0 ? add.cpu_s * 1e6 / o.legs : -1.0,
	       del.cpu_s >= 0 && del.count > 0 ? del.cpu_s * 1e6 / (double)del.count : -1.0,
	       add.errors, del.errors, add.errors + del.errors);
	return add.errors + del.errors != 0 ? BL_EXIT_ERRORS : 0;
}
