/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `sluicectl dp ...`: operates sluice-dp through its control socket (dp_proto.h).
 * One connection per invocation, one request at a time; each reply must carry the
 * request's type and seq. Every wait is bounded by --timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_sdes.h"
#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Requests are small: a leg add with 16 SSRCs and two 46-byte keys is under 400 bytes. */
#define REQ_MAX 1024
/* A runaway cursor must not keep us listing for ever. */
#define LIST_MAX_PAGES 1000000

/* Internal results of the transport, besides 0 and an exit code already reported. */
#define CONN_RETRY (-1)               /* a reused connection was closed: reconnect once */
#define CONN_STOP (-2)                /* SIGINT or SIGTERM during --watch */

static volatile sig_atomic_t stop_requested;

struct dp_conn {
	struct ctl_ctx *ctx;
	int fd;
	bool used;                    /* a reply came on this connection */
	uint32_t seq;
	uint8_t *rx;                  /* DP_MSG_MAX bytes */
	size_t rx_len;
	size_t rx_done;               /* bytes of the last reply, dropped on the next call */
};

/* ---- transport ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
conn_init(struct dp_conn *c, struct ctl_ctx *ctx)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->fd = -1;
	c->seq = (uint32_t)getpid() << 8;
	c->rx = ctl_xcalloc(1, DP_MSG_MAX);
}

static void
conn_close(struct dp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void
conn_free(struct dp_conn *c)
{
	conn_close(c);
	free(c->rx);
	c->rx = NULL;
}

static int
conn_open(struct dp_conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = c->ctx->socket_path;
	struct timeval tv = {
		.tv_sec = c->ctx->timeout_ms / 1000,
		.tv_usec = (c->ctx->timeout_ms % 1000) * 1000,
	};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ctl_fail(c->ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
				"socket path is too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
				"cannot create a socket: %s", strerror(errno));
	/* bounds a connect that waits for a full listen backlog */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		if (e == EAGAIN || e == EINPROGRESS || e == ETIMEDOUT)
			return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_TIMEOUT,
					"timed out connecting to %s", path);
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
				"cannot connect to %s: %s%s", path, strerror(e),
				e == ENOENT || e == ECONNREFUSED ? " (is sluice-dp running?)" : "");
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		e = errno;
		close(fd);
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
				"cannot set up the socket: %s", strerror(e));
	}
	c->fd = fd;
	c->used = false;
	c->rx_len = 0;
	c->rx_done = 0;
	return 0;
}

static int
conn_wait(struct dp_conn *c, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events };
		int64_t left = deadline - now_ms();
		int n;

		if (stop_requested)
			return CONN_STOP;
		if (left <= 0)
			return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_TIMEOUT,
					"no answer from the dataplane within %d ms",
					c->ctx->timeout_ms);
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT, "poll: %s",
					strerror(errno));
	}
}

/* The dataplane closes the socket on a peer it does not allow, without a reply. */
static int
closed_fail(const struct dp_conn *c)
{
	return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
			"the dataplane closed the connection without a reply "
			"(is this user allowed on its socket?)");
}

static int
conn_send(struct dp_conn *c, const uint8_t *buf, size_t len, int64_t deadline)
{
	size_t off = 0;
	int rc;

	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			rc = conn_wait(c, POLLOUT, deadline);
			if (rc != 0)
				return rc;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET) {
			if (c->used && off == 0)
				return CONN_RETRY;
			return closed_fail(c);
		}
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
				"cannot send to the dataplane: %s", strerror(errno));
	}
	return 0;
}

static const char *
parse_error_text(int rc)
{
	switch (rc) {
	case -EPROTONOSUPPORT:
		return "it speaks another protocol version";
	case -EMSGSIZE:
		return "it announced a message larger than the protocol allows";
	default:
		return "it is not a message of the protocol";
	}
}

static int
conn_recv(struct dp_conn *c, uint16_t type, uint32_t seq, int64_t deadline, struct dp_msg *msg)
{
	int rc;

	for (;;) {
		int n = dp_msg_parse(c->rx, c->rx_len, msg);
		ssize_t r;

		if (n > 0) {
			c->rx_done = (size_t)n;
			c->used = true;
			if (msg->type != (type | DP_MSG_REPLY) || msg->seq != seq)
				return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
						"the reply does not match the request "
						"(type %#x seq %" PRIu32 ", expected %#x seq %" PRIu32 ")",
						msg->type, msg->seq, type | DP_MSG_REPLY, seq);
			return 0;
		}
		if (n != -EAGAIN)
			return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
					"bad reply from the dataplane: %s", parse_error_text(n));
		rc = conn_wait(c, POLLIN, deadline);
		if (rc != 0)
			return rc;
		r = recv(c->fd, c->rx + c->rx_len, DP_MSG_MAX - c->rx_len, 0);
		if (r > 0) {
			c->rx_len += (size_t)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (r == 0 || errno == ECONNRESET) {
			if (c->used && c->rx_len == 0)
				return CONN_RETRY;
			return closed_fail(c);
		}
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
				"cannot read from the dataplane: %s", strerror(errno));
	}
}

/*
 * Sends one request (built with c->seq) and reads its reply into *reply, which stays
 * valid until the next call. A reused connection that the dataplane closed in between
 * is opened again once.
 */
static int
conn_call(struct dp_conn *c, const uint8_t *req, int len, struct dp_msg *reply)
{
	struct dp_msg hdr;
	int rc;

	if (len < 0 || dp_msg_parse(req, (size_t)len, &hdr) != len)
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
				"cannot encode the request (%s)", strerror(len < 0 ? -len : EINVAL));
	for (int attempt = 0;; attempt++) {
		int64_t deadline;

		if (c->fd < 0) {
			rc = conn_open(c);
			if (rc != 0)
				return rc;
		}
		/* the previous reply is consumed */
		memmove(c->rx, c->rx + c->rx_done, c->rx_len - c->rx_done);
		c->rx_len -= c->rx_done;
		c->rx_done = 0;
		deadline = now_ms() + c->ctx->timeout_ms;
		rc = conn_send(c, req, (size_t)len, deadline);
		if (rc == 0)
			rc = conn_recv(c, hdr.type, hdr.seq, deadline, reply);
		if (rc != CONN_RETRY)
			return rc;
		conn_close(c);
		if (attempt > 0)
			return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
					"the dataplane closed the connection");
	}
}

/* conn_call, then the reply's status: a refusal is reported and becomes 10 + status. */
static int
dp_request(struct dp_conn *c, const uint8_t *req, int len, struct dp_msg *reply)
{
	char text[256], code[32];
	uint32_t status;
	int rc;

	rc = conn_call(c, req, len, reply);
	if (rc != 0)
		return rc;
	if (dp_proto_reply_status(reply, &status, text, sizeof(text)) < 0)
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
				"the reply carries no valid status");
	if (status == DP_OK)
		return 0;
	ctl_sanitize(text);
	if (status < DP_STATUS_MAX)
		snprintf(code, sizeof(code), "%s", dp_status_name(status));
	else
		snprintf(code, sizeof(code), "status_%" PRIu32, status);
	if (status > 100)
		return ctl_fail(c->ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
				"the dataplane answered with unknown status %" PRIu32 "%s%s",
				status, text[0] != '\0' ? ": " : "", text);
	return ctl_fail(c->ctx, CTL_EXIT_REFUSED + (int)status, code, "refused (%s)%s%s", code,
			text[0] != '\0' ? ": " : "", text);
}

/* ---- leg add / update ---- */

enum {
	OPT_ID = 256, OPT_CONF, OPT_SUITE, OPT_PORT, OPT_IN_KEY, OPT_OUT_KEY, OPT_SSRC,
	OPT_REMOTE, OPT_SENDONLY, OPT_RECVONLY, OPT_SENDRECV, OPT_WATCH, OPT_COUNT,
};

/* In the order of the OPT_ values: an option's name is leg_options[o - OPT_ID]. */
static const struct option leg_options[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "conf", required_argument, NULL, OPT_CONF },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "in-key", required_argument, NULL, OPT_IN_KEY },
	{ "out-key", required_argument, NULL, OPT_OUT_KEY },
	{ "ssrc", required_argument, NULL, OPT_SSRC },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "sendonly", no_argument, NULL, OPT_SENDONLY },
	{ "recvonly", no_argument, NULL, OPT_RECVONLY },
	{ "sendrecv", no_argument, NULL, OPT_SENDRECV },
	{ NULL, 0, NULL, 0 },
};

/*
 * Resolves and decodes one key into master. A key written on the command line is
 * overwritten in argv once read, so that it leaves the process list as soon as it can.
 */
static int
read_key(const struct ctl_ctx *ctx, const char *opt, char *arg, uint8_t suite,
	 uint8_t *master, uint8_t *master_len)
{
	char line[CTL_KEY_LINE_MAX], err[160];
	int n;

	n = ctl_key_source(arg, line, sizeof(line), err, sizeof(err));
	if (n == 0)
		n = ctl_sdes_parse(line, suite, master, DP_MASTER_MAX, err, sizeof(err));
	dp_proto_wipe(line, sizeof(line));
	if (strcmp(arg, "-") != 0 && arg[0] != '@')
		dp_proto_wipe(arg, strlen(arg));
	if (n < 0)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "%s: %s", opt, err);
	*master_len = (uint8_t)n;
	return 0;
}

/* Parses the options of leg add (update false) or leg update into spec, keys included. */
static int
leg_parse(const struct ctl_ctx *ctx, int argc, char **argv, bool update, struct dp_leg_spec *spec)
{
	char *in_key = NULL, *out_key = NULL;
	uint32_t given = 0, v;
	int o, rc;

	ctl_getopt_reset();
	while ((o = getopt_long(argc, argv, ":", leg_options, NULL)) != -1) {
		uint32_t bit = o >= OPT_ID && o <= OPT_SENDRECV ? 1u << (o - OPT_ID) : 0;

		/* repeating a single-valued option is a mistake, not an override */
		if (o != OPT_SSRC && bit != 0 && (given & bit) != 0)
			return ctl_usage_fail(ctx, "--%s is given twice", leg_options[o - OPT_ID].name);
		given |= bit;
		switch (o) {
		case OPT_ID:
			if (ctl_parse_id(ctx, "--id", optarg, &spec->leg_id) != 0)
				return CTL_EXIT_USAGE;
			break;
		case OPT_CONF:
			if (ctl_parse_id(ctx, "--conf", optarg, &spec->conf_id) != 0)
				return CTL_EXIT_USAGE;
			spec->has |= DP_LEG_HAS_CONF;
			break;
		case OPT_SUITE:
			spec->suite = dp_suite_from_name(optarg);
			if (spec->suite == DP_SUITE_NONE) {
				return ctl_usage_fail(ctx, "unknown suite \"%s\" (one of %s)", optarg,
						  ctl_suite_list());
			}
			spec->has |= DP_LEG_HAS_SUITE;
			break;
		case OPT_PORT:
			if (update)
				return ctl_usage_fail(ctx, "--port cannot change: delete and add the leg");
			if (ctl_parse_u32(optarg, false, 1, UINT32_MAX, &v) != 0 || v > UINT16_MAX)
				return ctl_usage_fail(ctx, "--port must be a UDP port 1..65535, not \"%s\"",
						  optarg);
			spec->media_port = (uint16_t)v;
			spec->has |= DP_LEG_HAS_MEDIA_PORT;
			break;
		case OPT_IN_KEY:
			in_key = optarg;
			spec->has |= DP_LEG_HAS_KEY_IN;
			break;
		case OPT_OUT_KEY:
			out_key = optarg;
			spec->has |= DP_LEG_HAS_KEY_OUT;
			break;
		case OPT_SSRC:
			if (ctl_parse_u32(optarg, true, 0, UINT32_MAX, &v) != 0)
				return ctl_usage_fail(ctx, "--ssrc must be decimal or 0x-hex, 32 bits, "
						  "not \"%s\"", optarg);
			if (spec->n_ssrcs == DP_LEG_MAX_SSRCS)
				return ctl_usage_fail(ctx, "a leg has at most 16 SSRCs");
			for (unsigned int i = 0; i < spec->n_ssrcs; i++)
				if (spec->ssrcs[i] == v)
					return ctl_usage_fail(ctx, "SSRC %s is given twice", optarg);
			spec->ssrcs[spec->n_ssrcs++] = v;
			spec->has |= DP_LEG_HAS_SSRCS;
			break;
		case OPT_REMOTE:
			if (dp_endpoint_parse(optarg, &spec->remote) != 0)
				return ctl_usage_fail(ctx, "--remote must be IPV4:PORT or [IPV6]:PORT, "
						  "not \"%s\"", optarg);
			spec->has |= DP_LEG_HAS_REMOTE;
			break;
		case OPT_SENDONLY:
		case OPT_RECVONLY:
		case OPT_SENDRECV:
			if ((given & (1u << (OPT_SENDONLY - OPT_ID) | 1u << (OPT_RECVONLY - OPT_ID) |
				      1u << (OPT_SENDRECV - OPT_ID))) != bit)
				return ctl_usage_fail(ctx, "%s: --sendonly, --recvonly and --sendrecv "
						  "exclude each other", argv[optind - 1]);
			spec->flags = o == OPT_SENDONLY ? DP_LEG_F_SEND :
				      o == OPT_RECVONLY ? DP_LEG_F_RECV : DP_LEG_F_ALL;
			spec->has |= DP_LEG_HAS_FLAGS;
			break;
		default:
			return ctl_getopt_fail(ctx, o, argv);
		}
	}
	rc = ctl_operands(ctx, argc, argv, 0, NULL, false);
	if (rc != 0)
		return rc;
	if (spec->leg_id == 0)
		return ctl_usage_fail(ctx, "%s is required", "--id");
	if (!update) {
		static const struct {
			uint32_t has;
			const char *opt;
		} required[] = {
			{ DP_LEG_HAS_CONF, "--conf" },
			{ DP_LEG_HAS_SUITE, "--suite" },
			{ DP_LEG_HAS_MEDIA_PORT, "--port" },
			{ DP_LEG_HAS_KEY_IN, "--in-key" },
			{ DP_LEG_HAS_KEY_OUT, "--out-key" },
			{ DP_LEG_HAS_SSRCS, "--ssrc" },
		};

		for (size_t i = 0; i < ARRAY_LEN(required); i++)
			if ((spec->has & required[i].has) == 0)
				return ctl_usage_fail(ctx, "%s is required", required[i].opt);
	} else {
		if (spec->has == 0)
			return ctl_usage_fail(ctx, "nothing to update");
		if ((spec->has & DP_LEG_HAS_SUITE) != 0 && (in_key == NULL || out_key == NULL))
			return ctl_usage_fail(ctx, "a new --suite needs --in-key and --out-key");
	}
	/* in-key first, then out-key: the order in which "-" reads standard input */
	if (in_key != NULL) {
		rc = read_key(ctx, "--in-key", in_key, spec->suite, spec->key_in,
			      &spec->key_in_len);
		if (rc != 0)
			return rc;
	}
	if (out_key != NULL) {
		rc = read_key(ctx, "--out-key", out_key, spec->suite, spec->key_out,
			      &spec->key_out_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
ok_json(uint32_t id)
{
	ctl_json_print(json_pack("{s:b,s:I}", "ok", 1, "id", (json_int_t)id), false);
	return CTL_EXIT_OK;
}

static int
leg_write(struct ctl_ctx *ctx, int argc, char **argv, bool update)
{
	uint16_t type = update ? DP_MSG_LEG_UPDATE : DP_MSG_LEG_ADD;
	struct dp_leg_spec spec;
	uint8_t req[REQ_MAX];
	struct dp_msg reply;
	struct dp_conn c;
	int rc, len;

	memset(&spec, 0, sizeof(spec));
	rc = leg_parse(ctx, argc, argv, update, &spec);
	if (rc != 0) {
		dp_proto_wipe(&spec, sizeof(spec));
		return rc;
	}
	conn_init(&c, ctx);
	len = dp_proto_encode_leg(req, sizeof(req), type, ++c.seq, &spec);
	dp_proto_wipe(&spec.key_in, sizeof(spec.key_in));
	dp_proto_wipe(&spec.key_out, sizeof(spec.key_out));
	rc = dp_request(&c, req, len, &reply);
	dp_proto_wipe(req, sizeof(req));
	conn_free(&c);
	if (rc != 0)
		return rc;
	if (ctx->json)
		return ok_json(spec.leg_id);
	printf("leg %" PRIu32 " %s\n", spec.leg_id, update ? "updated" : "added");
	return CTL_EXIT_OK;
}

static int
cmd_leg_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	return leg_write(ctx, argc, argv, false);
}

static int
cmd_leg_update(struct ctl_ctx *ctx, int argc, char **argv)
{
	return leg_write(ctx, argc, argv, true);
}

/* ---- requests that name one leg or conference ---- */

static const struct option id_options[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ NULL, 0, NULL, 0 },
};

/* The arguments of a command whose one option, opts[0] (spelt opt), is an id; 0 if absent. */
static int
parse_id_option(const struct ctl_ctx *ctx, int argc, char **argv, const struct option *opts,
		const char *opt, uint32_t *id)
{
	int o;

	*id = 0;
	ctl_getopt_reset();
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (o != opts[0].val)
			return ctl_getopt_fail(ctx, o, argv);
		if (*id != 0)
			return ctl_usage_fail(ctx, "%s is given twice", opt);
		if (ctl_parse_id(ctx, opt, optarg, id) != 0)
			return CTL_EXIT_USAGE;
	}
	return ctl_operands(ctx, argc, argv, 0, NULL, false);
}

/* Sends a simple request and leaves its reply in *reply; c stays open for the caller. */
static int
simple_request(struct dp_conn *c, uint16_t type, uint16_t attr, uint32_t value,
	       struct dp_msg *reply)
{
	uint8_t req[64];
	int len = dp_proto_encode_simple(req, sizeof(req), type, ++c->seq, attr, value);

	return dp_request(c, req, len, reply);
}

/*
 * The request of a command whose one argument is --id N, naming that id in attr. c is
 * set up whatever happens: the caller frees it once done with *reply.
 */
static int
id_request(struct ctl_ctx *ctx, int argc, char **argv, uint16_t type, uint16_t attr,
	   struct dp_conn *c, uint32_t *id, struct dp_msg *reply)
{
	int rc;

	conn_init(c, ctx);
	rc = parse_id_option(ctx, argc, argv, id_options, "--id", id);
	if (rc != 0)
		return rc;
	if (*id == 0)
		return ctl_usage_fail(ctx, "%s is required", "--id");
	return simple_request(c, type, attr, *id, reply);
}

/* The reply's attribute of type: 1 with *a set, 0 when it has none, 2 when it has more. */
static int
reply_find(const struct dp_msg *reply, uint16_t type, struct dp_attr *a)
{
	struct dp_attr_iter it;
	struct dp_attr cur;
	int found = 0;

	dp_attr_iter_init(&it, reply->body, reply->len);
	while (found < 2 && dp_attr_next(&it, &cur) > 0) {
		if (cur.type != type)
			continue;
		if (found++ == 0)
			*a = cur;
	}
	return found;
}

static int
cmd_leg_del(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct dp_msg reply;
	struct dp_conn c;
	uint32_t id;
	int rc;

	rc = id_request(ctx, argc, argv, DP_MSG_LEG_DEL, DP_ATTR_LEG_ID, &c, &id, &reply);
	conn_free(&c);
	if (rc != 0)
		return rc;
	if (ctx->json)
		return ok_json(id);
	printf("leg %" PRIu32 " deleted\n", id);
	return CTL_EXIT_OK;
}

static int
cmd_conf_del(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct dp_msg reply;
	struct dp_attr a;
	struct dp_conn c;
	uint32_t id, count = 0;
	bool have_count = false;
	int rc, found;

	rc = id_request(ctx, argc, argv, DP_MSG_CONF_DEL, DP_ATTR_CONF_ID, &c, &id, &reply);
	if (rc == 0) {
		found = reply_find(&reply, DP_ATTR_COUNT, &a);
		have_count = found > 0;
		if (found > 1 || (found == 1 && dp_attr_u32(&a, &count) != 0))
			rc = ctl_protocol_fail(ctx, "count of removed legs");
	}
	conn_free(&c);
	if (rc != 0)
		return rc;
	if (ctx->json) {
		json_t *doc = json_pack("{s:b,s:I}", "ok", 1, "conf", (json_int_t)id);

		json_object_set_new(doc, "legs_removed",
				    have_count ? json_integer(count) : json_null());
		ctl_json_print(doc, false);
		return CTL_EXIT_OK;
	}
	if (have_count)
		printf("conference %" PRIu32 " deleted, %" PRIu32 " leg%s removed\n", id, count,
		       count == 1 ? "" : "s");
	else
		printf("conference %" PRIu32 " deleted\n", id);
	return CTL_EXIT_OK;
}

/* ---- leg show / list ---- */

static const char *const leg_counter_names[] = {
#define LEG_COUNTER_NAME(name) #name,
	DP_LEG_COUNTERS(LEG_COUNTER_NAME)
#undef LEG_COUNTER_NAME
};

static void
leg_counter_values(const struct dp_leg_counters *c, uint64_t *v)
{
	size_t i = 0;

#define LEG_COUNTER_VALUE(name) v[i++] = c->name;
	DP_LEG_COUNTERS(LEG_COUNTER_VALUE)
#undef LEG_COUNTER_VALUE
}

static const char *
direction_name(uint32_t flags)
{
	switch (flags & DP_LEG_F_ALL) {
	case DP_LEG_F_ALL:
		return "sendrecv";
	case DP_LEG_F_SEND:
		return "sendonly";
	case DP_LEG_F_RECV:
		return "recvonly";
	default:
		return "inactive";
	}
}

static json_t *
endpoint_json(bool present, const struct dp_endpoint *ep)
{
	char buf[DP_ENDPOINT_STRLEN];

	return present ? json_string(dp_endpoint_format(ep, buf, sizeof(buf))) : json_null();
}

static json_t *
leg_json(const struct dp_leg_info *info)
{
	const struct dp_leg_spec *s = &info->spec;
	uint64_t values[ARRAY_LEN(leg_counter_names)];
	json_t *o = json_object(), *ssrcs = json_array(), *counters = json_object();

	json_object_set_new(o, "id", json_integer(s->leg_id));
	json_object_set_new(o, "conf", json_integer(s->conf_id));
	json_object_set_new(o, "suite", json_string(dp_suite_name(s->suite)));
	json_object_set_new(o, "media_port", json_integer(s->media_port));
	for (unsigned int i = 0; i < s->n_ssrcs; i++)
		json_array_append_new(ssrcs, json_integer(s->ssrcs[i]));
	json_object_set_new(o, "ssrcs", ssrcs);
	json_object_set_new(o, "direction", json_string(direction_name(s->flags)));
	json_object_set_new(o, "remote",
			    endpoint_json((s->has & DP_LEG_HAS_REMOTE) != 0, &s->remote));
	json_object_set_new(o, "owner_lcore", json_integer(info->owner_lcore));
	json_object_set_new(o, "latched", endpoint_json(info->latched, &info->latched_ep));
	leg_counter_values(&info->counters, values);
	for (size_t i = 0; i < ARRAY_LEN(leg_counter_names); i++)
		json_object_set_new(counters, leg_counter_names[i], ctl_json_u64(values[i]));
	json_object_set_new(o, "counters", counters);
	return o;
}

static char *
ssrc_list(const struct dp_leg_spec *s, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned int i = 0; i < s->n_ssrcs; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%#010" PRIx32, i > 0 ? "," : "",
			 s->ssrcs[i]);
	if (s->n_ssrcs == 0)
		snprintf(buf, len, "-");
	return buf;
}

static void
leg_print(const struct dp_leg_info *info)
{
	const struct dp_leg_spec *s = &info->spec;
	uint64_t values[ARRAY_LEN(leg_counter_names)];
	struct ctl_table *t = ctl_table_new(2);
	char buf[DP_LEG_MAX_SSRCS * 12 + 1];

	ctl_table_set(t, 0, "leg");
	ctl_table_set(t, 1, "%" PRIu32, s->leg_id);
	ctl_table_row(t);
	ctl_table_set(t, 0, "conference");
	ctl_table_set(t, 1, "%" PRIu32, s->conf_id);
	ctl_table_row(t);
	ctl_table_set(t, 0, "suite");
	ctl_table_set(t, 1, "%s", dp_suite_name(s->suite));
	ctl_table_row(t);
	ctl_table_set(t, 0, "media port");
	ctl_table_set(t, 1, "%u", s->media_port);
	ctl_table_row(t);
	ctl_table_set(t, 0, "ssrcs");
	ctl_table_set(t, 1, "%s", ssrc_list(s, buf, sizeof(buf)));
	ctl_table_row(t);
	ctl_table_set(t, 0, "direction");
	ctl_table_set(t, 1, "%s", direction_name(s->flags));
	ctl_table_row(t);
	ctl_table_set(t, 0, "remote");
	ctl_table_set(t, 1, "%s", (s->has & DP_LEG_HAS_REMOTE) != 0 ?
		      dp_endpoint_format(&s->remote, buf, sizeof(buf)) : "-");
	ctl_table_row(t);
	ctl_table_set(t, 0, "owner lcore");
	ctl_table_set(t, 1, "%u", info->owner_lcore);
	ctl_table_row(t);
	ctl_table_set(t, 0, "latched");
	ctl_table_set(t, 1, "%s", info->latched ?
		      dp_endpoint_format(&info->latched_ep, buf, sizeof(buf)) : "-");
	leg_counter_values(&info->counters, values);
	for (size_t i = 0; i < ARRAY_LEN(leg_counter_names); i++) {
		ctl_table_row(t);
		ctl_table_set(t, 0, "%s", leg_counter_names[i]);
		ctl_table_set(t, 1, "%" PRIu64, values[i]);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

static int
cmd_leg_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct dp_leg_info info;
	struct dp_msg reply;
	struct dp_attr a;
	struct dp_conn c;
	int rc, found;
	uint32_t id;

	rc = id_request(ctx, argc, argv, DP_MSG_LEG_GET, DP_ATTR_LEG_ID, &c, &id, &reply);
	if (rc == 0) {
		found = reply_find(&reply, DP_ATTR_NEST_LEG_INFO, &a);
		if (found > 1 || (found == 1 && dp_proto_get_leg_info(&a, &info) != 0))
			rc = ctl_protocol_fail(ctx, "leg");
		else if (found == 0 || info.spec.leg_id != id)
			rc = ctl_protocol_fail(ctx, "not the leg asked for");
	}
	conn_free(&c);
	if (rc != 0)
		return rc;
	if (ctx->json)
		ctl_json_print(leg_json(&info), false);
	else
		leg_print(&info);
	return CTL_EXIT_OK;
}

static const struct option list_options[] = {
	{ "conf", required_argument, NULL, OPT_CONF },
	{ NULL, 0, NULL, 0 },
};

static void
leg_list_print(const struct dp_leg_info *legs, size_t n)
{
	static const char *const heads[] = {
		"ID", "CONF", "SUITE", "PORT", "SSRCS", "OWNER", "LATCHED", "RX_PKTS", "TX_PKTS",
	};
	static const bool right[] = { true, true, false, true, false, true, false, true, true };
	struct ctl_table *t = ctl_table_new(ARRAY_LEN(heads));
	char buf[DP_LEG_MAX_SSRCS * 12 + 1];

	for (unsigned int i = 0; i < ARRAY_LEN(heads); i++)
		ctl_table_head(t, i, heads[i], right[i]);
	for (size_t i = 0; i < n; i++) {
		const struct dp_leg_info *l = &legs[i];

		ctl_table_row(t);
		ctl_table_set(t, 0, "%" PRIu32, l->spec.leg_id);
		ctl_table_set(t, 1, "%" PRIu32, l->spec.conf_id);
		ctl_table_set(t, 2, "%s", dp_suite_name(l->spec.suite));
		ctl_table_set(t, 3, "%u", l->spec.media_port);
		ctl_table_set(t, 4, "%s", ssrc_list(&l->spec, buf, sizeof(buf)));
		ctl_table_set(t, 5, "%u", l->owner_lcore);
		ctl_table_set(t, 6, "%s", l->latched ?
			      dp_endpoint_format(&l->latched_ep, buf, sizeof(buf)) : "-");
		ctl_table_set(t, 7, "%" PRIu64, l->counters.rx_packets);
		ctl_table_set(t, 8, "%" PRIu64, l->counters.tx_packets);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

/* One page of a leg list: appends its legs, sets *more and *cursor when it has a next. */
static int
leg_list_page(struct dp_conn *c, uint32_t conf, bool first, uint32_t *cursor, bool *more,
	      struct dp_leg_info **legs, size_t *n, size_t *cap)
{
	struct dp_msg_builder b;
	struct dp_attr_iter it;
	struct dp_msg reply;
	struct dp_attr a;
	uint8_t req[64];
	size_t before = *n;
	bool have_cursor = false;
	uint32_t next = 0;
	int rc;

	dp_mb_init(&b, req, sizeof(req), DP_MSG_LEG_LIST, ++c->seq);
	if (conf != 0)
		dp_mb_put_u32(&b, DP_ATTR_CONF_ID, conf);
	if (!first)
		dp_mb_put_u32(&b, DP_ATTR_CURSOR, *cursor);
	rc = dp_request(c, req, dp_mb_finish(&b), &reply);
	if (rc != 0)
		return rc;
	dp_attr_iter_init(&it, reply.body, reply.len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (a.type == DP_ATTR_CURSOR) {
			if (have_cursor || dp_attr_u32(&a, &next) != 0)
				return ctl_protocol_fail(c->ctx, "cursor");
			have_cursor = true;
		} else if (a.type == DP_ATTR_NEST_LEG_INFO) {
			if (*n == *cap) {
				*cap = *cap > 0 ? *cap * 2 : 64;
				*legs = ctl_xrealloc(*legs, *cap, sizeof(**legs));
			}
			if (dp_proto_get_leg_info(&a, &(*legs)[*n]) != 0)
				return ctl_protocol_fail(c->ctx, "leg");
			if (conf != 0 && (*legs)[*n].spec.conf_id != conf)
				return ctl_protocol_fail(c->ctx, "a leg of another conference");
			(*n)++;
		}
	}
	if (rc < 0)
		return ctl_protocol_fail(c->ctx, "attributes");
	/* a cursor must move the list on, or we would ask for the same page for ever */
	if (have_cursor && (*n == before || (!first && next == *cursor)))
		return ctl_protocol_fail(c->ctx, "the list cursor does not advance");
	*more = have_cursor;
	*cursor = next;
	return 0;
}

static int
cmd_leg_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct dp_leg_info *legs = NULL;
	size_t n = 0, cap = 0;
	uint32_t conf = 0, cursor = 0;
	bool more = true;
	struct dp_conn c;
	int rc;

	rc = parse_id_option(ctx, argc, argv, list_options, "--conf", &conf);
	if (rc != 0)
		return rc;
	conn_init(&c, ctx);
	for (unsigned long page = 0; rc == 0 && more; page++) {
		if (page == LIST_MAX_PAGES) {
			rc = ctl_protocol_fail(ctx, "the leg list does not end");
			break;
		}
		rc = leg_list_page(&c, conf, page == 0, &cursor, &more, &legs, &n, &cap);
	}
	conn_free(&c);
	if (rc == 0) {
		if (ctx->json) {
			json_t *arr = json_array();

			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, leg_json(&legs[i]));
			ctl_json_print(json_pack("{s:o}", "legs", arr), false);
		} else {
			leg_list_print(legs, n);
		}
	}
	free(legs);
	return rc;
}

/* ---- health ---- */

static int
cmd_health(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct dp_msg reply;
	struct dp_health h;
	struct dp_attr a;
	struct dp_conn c;
	int rc, found;

	rc = ctl_no_options(ctx, argc, argv);
	if (rc == 0)
		rc = ctl_operands(ctx, argc, argv, 0, NULL, false);
	if (rc != 0)
		return rc;
	conn_init(&c, ctx);
	rc = simple_request(&c, DP_MSG_HEALTH, 0, 0, &reply);
	if (rc == 0) {
		found = reply_find(&reply, DP_ATTR_NEST_HEALTH, &a);
		if (found > 1 || (found == 1 && dp_proto_get_health(&a, &h) != 0))
			rc = ctl_protocol_fail(ctx, "health");
		else if (found == 0)
			rc = ctl_protocol_fail(ctx, "no health in the reply");
	}
	conn_free(&c);
	if (rc != 0)
		return rc;
	ctl_sanitize(h.version);
	ctl_sanitize(h.srtp_backend);
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, "version", json_string(h.version));
		json_object_set_new(o, "srtp_backend", json_string(h.srtp_backend));
		json_object_set_new(o, "uptime_s", ctl_json_u64(h.uptime_s));
		json_object_set_new(o, "workers", json_integer(h.workers));
		json_object_set_new(o, "legs", json_integer(h.legs));
		json_object_set_new(o, "conferences", json_integer(h.conferences));
		json_object_set_new(o, "ports_up", json_integer(h.ports_up));
		json_object_set_new(o, "ports", json_integer(h.ports));
		ctl_json_print(o, false);
		return CTL_EXIT_OK;
	}
	printf("version       %s\n", h.version);
	printf("srtp backend  %s\n", h.srtp_backend);
	printf("uptime        %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 " (%" PRIu64 " s)\n",
	       h.uptime_s / 86400, h.uptime_s / 3600 % 24, h.uptime_s / 60 % 60, h.uptime_s % 60,
	       h.uptime_s);
	printf("workers       %" PRIu32 "\n", h.workers);
	printf("legs          %" PRIu32 "\n", h.legs);
	printf("conferences   %" PRIu32 "\n", h.conferences);
	printf("ports up      %" PRIu32 " of %" PRIu32 "\n", h.ports_up, h.ports);
	return CTL_EXIT_OK;
}

/* ---- stats ---- */

struct stats_sample {
	struct dp_stats_group *ports;
	unsigned int n_ports;
	struct dp_stats_group *lcores;
	unsigned int n_lcores;
	struct dp_stats_group drops;  /* every drop group of the reply, summed by name */
	int64_t t_ms;                 /* monotonic, when the reply came */
	double time;                  /* wall clock, for --json */
};

static void
sample_free(struct stats_sample *s)
{
	free(s->ports);
	free(s->lcores);
	memset(s, 0, sizeof(*s));
}

static void
drops_add(struct dp_stats_group *sum, const struct dp_stats_group *g)
{
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t j;

		for (j = 0; j < sum->n; j++)
			if (strcmp(sum->c[j].name, g->c[i].name) == 0)
				break;
		if (j == sum->n) {
			if (sum->n == DP_STATS_MAX_COUNTERS)
				continue;
			sum->c[sum->n++] = g->c[i];
		} else {
			sum->c[j].value += g->c[i].value;
		}
	}
}

static void
group_sanitize(struct dp_stats_group *g)
{
	ctl_sanitize(g->name);
	for (uint32_t i = 0; i < g->n; i++)
		ctl_sanitize(g->c[i].name);
}

static int
stats_fetch(struct dp_conn *c, struct stats_sample *s)
{
	struct dp_stats_group g;
	struct dp_attr_iter it;
	struct timespec ts;
	struct dp_msg reply;
	struct dp_attr a;
	int rc;

	rc = simple_request(c, DP_MSG_STATS, 0, 0, &reply);
	if (rc != 0)
		return rc;
	memset(s, 0, sizeof(*s));
	s->t_ms = now_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	s->time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	snprintf(s->drops.name, sizeof(s->drops.name), "drops");
	dp_attr_iter_init(&it, reply.body, reply.len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (a.type != DP_ATTR_NEST_STATS_PORT && a.type != DP_ATTR_NEST_STATS_LCORE &&
		    a.type != DP_ATTR_NEST_STATS_DROP)
			continue;
		if (dp_proto_get_stats_group(&a, &g) != 0) {
			sample_free(s);
			return ctl_protocol_fail(c->ctx, "statistics group");
		}
		group_sanitize(&g);
		if (a.type == DP_ATTR_NEST_STATS_PORT) {
			s->ports = ctl_xrealloc(s->ports, s->n_ports + 1, sizeof(*s->ports));
			s->ports[s->n_ports++] = g;
		} else if (a.type == DP_ATTR_NEST_STATS_LCORE) {
			s->lcores = ctl_xrealloc(s->lcores, s->n_lcores + 1, sizeof(*s->lcores));
			s->lcores[s->n_lcores++] = g;
		} else {
			drops_add(&s->drops, &g);
		}
	}
	if (rc < 0) {
		sample_free(s);
		return ctl_protocol_fail(c->ctx, "attributes");
	}
	return 0;
}

/* The group of the same name in prev, or NULL. */
static const struct dp_stats_group *
group_find(const struct dp_stats_group *groups, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

/* Per-second rate of counter i of g since prev (a counter that went back restarted). */
static double
rate_of(const struct dp_stats_group *g, uint32_t i, const struct dp_stats_group *prev, double dt)
{
	uint64_t before = 0;

	if (prev != NULL)
		for (uint32_t j = 0; j < prev->n; j++)
			if (strcmp(prev->c[j].name, g->c[i].name) == 0)
				before = prev->c[j].value;
	if (g->c[i].value < before)
		before = 0;
	return dt > 0 ? (double)(g->c[i].value - before) / dt : 0;
}

static json_t *
group_json(const struct dp_stats_group *g, bool port, const struct dp_stats_group *prev,
	   double dt)
{
	json_t *o = json_object(), *counters = json_object();

	json_object_set_new(o, "name", json_string(g->name));
	json_object_set_new(o, "index", json_integer(g->index));
	if (port)
		json_object_set_new(o, "link_up", json_boolean(g->link_up));
	for (uint32_t i = 0; i < g->n; i++)
		json_object_set_new(counters, g->c[i].name, ctl_json_u64(g->c[i].value));
	json_object_set_new(o, "counters", counters);
	if (dt > 0) {
		json_t *rates = json_object();

		for (uint32_t i = 0; i < g->n; i++)
			json_object_set_new(rates, g->c[i].name, json_real(rate_of(g, i, prev, dt)));
		json_object_set_new(o, "rates", rates);
	}
	return o;
}

static json_t *
stats_json(const struct stats_sample *s, const struct stats_sample *prev, bool watch)
{
	double dt = prev != NULL ? (double)(s->t_ms - prev->t_ms) / 1000.0 : 0;
	json_t *doc = json_object(), *ports = json_array(), *lcores = json_array();
	json_t *drops = json_object();

	if (watch) {
		json_object_set_new(doc, "time", json_real(s->time));
		json_object_set_new(doc, "interval_s", dt > 0 ? json_real(dt) : json_null());
	}
	for (unsigned int i = 0; i < s->n_ports; i++)
		json_array_append_new(ports, group_json(&s->ports[i], true,
				      prev != NULL ? group_find(prev->ports, prev->n_ports,
								s->ports[i].name) : NULL, dt));
	for (unsigned int i = 0; i < s->n_lcores; i++)
		json_array_append_new(lcores, group_json(&s->lcores[i], false,
				      prev != NULL ? group_find(prev->lcores, prev->n_lcores,
								s->lcores[i].name) : NULL, dt));
	for (uint32_t i = 0; i < s->drops.n; i++)
		json_object_set_new(drops, s->drops.c[i].name, ctl_json_u64(s->drops.c[i].value));
	json_object_set_new(doc, "ports", ports);
	json_object_set_new(doc, "lcores", lcores);
	json_object_set_new(doc, "drops", drops);
	if (dt > 0) {
		json_t *rates = json_object();

		for (uint32_t i = 0; i < s->drops.n; i++)
			json_object_set_new(rates, s->drops.c[i].name,
					    json_real(rate_of(&s->drops, i, &prev->drops, dt)));
		json_object_set_new(doc, "drop_rates", rates);
	}
	return doc;
}

/*
 * One table of groups: a row per group, a column per counter name (in the order first
 * met). With dt > 0 the cells are per-second rates since prev_groups.
 */
static void
groups_print(const char *title, const struct dp_stats_group *groups, unsigned int n, bool port,
	     const struct dp_stats_group *prev_groups, unsigned int n_prev, double dt)
{
	const char *names[DP_STATS_MAX_COUNTERS * 4];
	unsigned int n_names = 0, fixed = port ? 3 : 2;
	struct ctl_table *t;

	if (n == 0) {
		printf("%s: none\n", title);
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		for (uint32_t j = 0; j < groups[i].n; j++) {
			unsigned int k;

			for (k = 0; k < n_names; k++)
				if (strcmp(names[k], groups[i].c[j].name) == 0)
					break;
			if (k == n_names && n_names < ARRAY_LEN(names))
				names[n_names++] = groups[i].c[j].name;
		}
	t = ctl_table_new(fixed + n_names);
	ctl_table_head(t, 0, title, false);
	ctl_table_head(t, 1, "INDEX", true);
	if (port)
		ctl_table_head(t, 2, "LINK", false);
	for (unsigned int k = 0; k < n_names; k++)
		ctl_table_head(t, fixed + k, names[k], true);
	for (unsigned int i = 0; i < n; i++) {
		const struct dp_stats_group *g = &groups[i];
		const struct dp_stats_group *prev = group_find(prev_groups, n_prev, g->name);

		ctl_table_row(t);
		ctl_table_set(t, 0, "%s", g->name);
		ctl_table_set(t, 1, "%" PRIu32, g->index);
		if (port)
			ctl_table_set(t, 2, "%s", g->link_up ? "up" : "down");
		for (uint32_t j = 0; j < g->n; j++)
			for (unsigned int k = 0; k < n_names; k++) {
				if (strcmp(names[k], g->c[j].name) != 0)
					continue;
				if (dt > 0)
					ctl_table_set(t, fixed + k, "%.1f", rate_of(g, j, prev, dt));
				else
					ctl_table_set(t, fixed + k, "%" PRIu64, g->c[j].value);
				break;
			}
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

static void
stats_print(const struct stats_sample *s, const struct stats_sample *prev, bool watch)
{
	double dt = prev != NULL ? (double)(s->t_ms - prev->t_ms) / 1000.0 : 0;
	struct ctl_table *t;
	bool any = false;

	if (watch) {
		char when[32];
		time_t now = (time_t)s->time;
		struct tm tm;

		strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
		if (dt > 0)
			printf("%s  per second over the last %.1f s\n\n", when, dt);
		else
			printf("%s  totals\n\n", when);
	}
	groups_print("PORT", s->ports, s->n_ports, true, prev != NULL ? prev->ports : NULL,
		     prev != NULL ? prev->n_ports : 0, dt);
	putchar('\n');
	groups_print("LCORE", s->lcores, s->n_lcores, false, prev != NULL ? prev->lcores : NULL,
		     prev != NULL ? prev->n_lcores : 0, dt);
	putchar('\n');
	t = ctl_table_new(dt > 0 ? 3 : 2);
	ctl_table_head(t, 0, "DROP REASON", false);
	ctl_table_head(t, 1, "PACKETS", true);
	if (dt > 0)
		ctl_table_head(t, 2, "PER_S", true);
	for (uint32_t i = 0; i < s->drops.n; i++) {
		if (s->drops.c[i].value == 0)
			continue;
		any = true;
		ctl_table_row(t);
		ctl_table_set(t, 0, "%s", s->drops.c[i].name);
		ctl_table_set(t, 1, "%" PRIu64, s->drops.c[i].value);
		if (dt > 0)
			ctl_table_set(t, 2, "%.1f", rate_of(&s->drops, i, &prev->drops, dt));
	}
	if (any)
		ctl_table_print(t, stdout);
	else
		printf("no drops\n");
	ctl_table_free(t);
	fflush(stdout);
}

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const struct option stats_options[] = {
	{ "watch", required_argument, NULL, OPT_WATCH },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ NULL, 0, NULL, 0 },
};

/* Sleeps until deadline (monotonic ms); false when a signal asked us to stop. */
static bool
sleep_until(int64_t deadline)
{
	struct timespec ts = { .tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000 };

	while (!stop_requested) {
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (rc == 0)
			return !stop_requested;
		if (rc != EINTR)
			return false;
	}
	return false;
}

static int
cmd_stats(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct stats_sample cur, prev;
	bool watch = false, have_prev = false, tty = isatty(STDOUT_FILENO) == 1;
	double interval = 0;
	uint32_t count = 0;
	int64_t next;
	struct dp_conn c;
	char *end;
	int o, rc;

	ctl_getopt_reset();
	while ((o = getopt_long(argc, argv, ":", stats_options, NULL)) != -1) {
		switch (o) {
		case OPT_WATCH:
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' ||
			    !(interval >= 0.1 && interval <= 86400))
				return ctl_usage_fail(ctx, "--watch takes seconds from 0.1 to 86400, "
						  "not \"%s\"", optarg);
			watch = true;
			break;
		case OPT_COUNT:
			if (ctl_parse_u32(optarg, false, 1, UINT32_MAX, &count) != 0)
				return ctl_usage_fail(ctx, "--count must be 1 or more, not \"%s\"",
						  optarg);
			break;
		default:
			return ctl_getopt_fail(ctx, o, argv);
		}
	}
	rc = ctl_operands(ctx, argc, argv, 0, NULL, false);
	if (rc != 0)
		return rc;
	if (count != 0 && !watch)
		return ctl_usage_fail(ctx, "%s needs --watch", "--count");
	if (watch) {
		struct sigaction sa = { .sa_handler = on_stop };

		/* no SA_RESTART: a signal ends the wait at once */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	conn_init(&c, ctx);
	memset(&prev, 0, sizeof(prev));
	next = now_ms();
	for (uint32_t n = 0; count == 0 || n < count; n++) {
		rc = stats_fetch(&c, &cur);
		if (rc != 0)
			break;
		if (ctx->json) {
			ctl_json_print(stats_json(&cur, have_prev ? &prev : NULL, watch), watch);
		} else {
			if (watch && tty)
				fputs("\033[H\033[2J", stdout);
			else if (n > 0)
				putchar('\n');
			stats_print(&cur, have_prev ? &prev : NULL, watch);
		}
		sample_free(&prev);
		prev = cur;
		have_prev = true;
		if (!watch || (count != 0 && n + 1 == count))
			break;
		next += (int64_t)(interval * 1000);
		if (next < now_ms())
			next = now_ms();  /* a slow dataplane: do not try to catch up */
		if (!sleep_until(next))
			break;
	}
	sample_free(&prev);
	conn_free(&c);
	return rc == CONN_STOP ? CTL_EXIT_OK : rc;
}

/* ---- the table ---- */

#define KEY_HELP \
	"  KEY is SDES key-params (RFC 4568): inline:BASE64(KEY||SALT)[|LIFETIME]\n" \
	"      (a lifetime is ignored; an MKI is refused). To keep keys out of the\n" \
	"      process list, KEY may be @FILE (the first line of FILE) or - (a line of\n" \
	"      standard input: --in-key's first, then --out-key's). A key written on\n" \
	"      the command line is visible to other users until sluicectl clears it.\n"

const struct ctl_cmd ctl_dp_cmds[] = {
	{
		.words = "dp health",
		.synopsis = "",
		.summary = "version, uptime, workers, legs, conferences, ports of sluice-dp",
		.run = cmd_health,
	},
	{
		.words = "dp leg add",
		.synopsis = "--id N --conf N --suite NAME --port UDPPORT --in-key KEY "
			    "--out-key KEY --ssrc N [--ssrc N ...] [--remote IP:PORT] "
			    "[--sendonly|--recvonly]",
		.summary = "install a leg",
		.help =
			"  --id N          leg id, 1..4294967295\n"
			"  --conf N        conference id, 1..4294967295\n"
			"  --suite NAME    AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,\n"
			"                  AEAD_AES_128_GCM or AEAD_AES_256_GCM\n"
			"  --port UDPPORT  the relay's media port the leg uses\n"
			"  --in-key KEY    the key the leg sends with\n"
			"  --out-key KEY   the key the relay sends to the leg with\n"
			"  --ssrc N        an SSRC the leg sends (decimal or 0x-hex), 1 to 16 times\n"
			"  --remote IP:PORT  the leg's address, if known (else learnt from its\n"
			"                  first authenticated packet); IPv6 as [ADDR]:PORT\n"
			"  --sendonly      the leg only sends; --recvonly: it only receives\n"
			KEY_HELP,
		.run = cmd_leg_add,
	},
	{
		.words = "dp leg update",
		.synopsis = "--id N [--conf N] [--suite NAME] [--in-key KEY] [--out-key KEY] "
			    "[--ssrc N ...] [--remote IP:PORT] [--sendonly|--recvonly|--sendrecv]",
		.summary = "change what is given of a leg",
		.help =
			"  Only the options given change. --ssrc replaces the whole list.\n"
			"  A new --suite needs both --in-key and --out-key.\n"
			KEY_HELP,
		.run = cmd_leg_update,
	},
	{
		.words = "dp leg del",
		.synopsis = "--id N",
		.summary = "remove a leg",
		.run = cmd_leg_del,
	},
	{
		.words = "dp leg show",
		.synopsis = "--id N",
		.summary = "a leg's settings (never its keys), address and counters",
		.run = cmd_leg_show,
	},
	{
		.words = "dp leg list",
		.synopsis = "[--conf N]",
		.summary = "every leg (of one conference)",
		.run = cmd_leg_list,
	},
	{
		.words = "dp conf del",
		.synopsis = "--id N",
		.summary = "remove every leg of a conference",
		.run = cmd_conf_del,
	},
	{
		.words = "dp stats",
		.synopsis = "[--watch SECONDS] [--count N]",
		.summary = "counters per port and lcore, and drops by reason",
		.help =
			"  --watch S   print again every S seconds, as rates per second, until\n"
			"              interrupted (--json: one document per line per sample)\n"
			"  --count N   stop after N samples\n",
		.run = cmd_stats,
	},
	{ .words = NULL },
};
