/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread (the main lcore): the control socket, the session table's single
 * writer, the host stack's slow path, and the workers' events.
 *
 * The socket is a Unix stream socket; a peer is accepted only when SO_PEERCRED says root or
 * one of control.allow_uids. For root alone it is mode 0600 in a 0750 directory; with other
 * allowed uids, which must be able to connect, mode 0666 in a 0755 directory, and
 * SO_PEERCRED alone decides. Messages that carry keys are wiped from the receive buffer as
 * soon as they are handled.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include <openssl/crypto.h>

#include "dp_ctrl.h"
#include "dp_host.h"
#include "dp_log.h"
#include "dp_port.h"
#include "dp_proto.h"
#include "dp_runtime.h"
#include "dp_state.h"
#include "dp_stats.h"
#include "dp_table.h"

#define MAX_CLIENTS 16
#define POLL_MS 1
#define OUT_CAP (64 * 1024)             /* replies gathered into one write */
#define READS_PER_WAKE 8                /* reads of one client between two polls, at most */
#define LIST_PAGE 128
#define SECURITY_LOG_S 10
#define WRITE_TIMEOUT_MS 2000

struct client {
	int fd;
	size_t len;
	uint8_t *buf;                   /* DP_MSG_MAX */
};

struct ctrl {
	struct dp_dataplane *dp;
	int listen_fd;
	struct client clients[MAX_CLIENTS];
	uint8_t *reply;                 /* DP_MSG_MAX: the reply being built */
	uint8_t *out;                   /* OUT_CAP: replies not yet written, to one client */
	size_t out_len;
	uint64_t last_security_tsc;
	uint64_t last_state_tsc;
	uint64_t refused_tsc;           /* last refused peer logged */
	unsigned int refused_quiet;     /* refused since, not logged */
	uint64_t security_seen[DP_DROP_MAX];
};

static const char *sluice_version = "0.1.0";

/* ---- socket ---- */

/* The gid of control.group (a name or a number); 0 when none is set, -1 when unknown. */
static int
socket_gid(const struct dp_config *cfg, gid_t *gid)
{
	const struct group *g;
	char *end;
	unsigned long v;

	if (cfg->socket_group[0] == '\0')
		return 0;
	g = getgrnam(cfg->socket_group);
	if (g != NULL) {
		*gid = g->gr_gid;
		return 1;
	}
	v = strtoul(cfg->socket_group, &end, 10);
	if (*end != '\0' || v >= (gid_t)-1)
		return -1;
	*gid = (gid_t)v;
	return 1;
}

static int
ctrl_listen(const struct dp_config *cfg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	mode_t old_umask;
	gid_t gid = 0;
	int grouped, fd, rc;
	char *slash;

	grouped = socket_gid(cfg, &gid);
	if (grouped < 0) {
		DP_LOG(ERR, "control.group %s: no such group", cfg->socket_group);
		return -1;
	}
	if (strlen(cfg->socket_path) >= sizeof(sa.sun_path)) {
		DP_LOG(ERR, "control socket path too long: %s", cfg->socket_path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg->socket_path);
	snprintf(dir, sizeof(dir), "%s", cfg->socket_path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		/* A directory we create is 0750, in the socket's group; an existing one is left
		 * as its owner made it. */
		old_umask = umask(0);
		rc = mkdir(dir, 0750);
		umask(old_umask);
		if (rc == 0 && grouped > 0)
			rc = lchown(dir, (uid_t)-1, gid);
		if (rc != 0 && errno != EEXIST) {
			DP_LOG(ERR, "control socket directory %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* A socket file left by a dead relay is removed; a live relay's is not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		DP_LOG(ERR, "control socket %s is in use by another sluice-dp", sa.sun_path);
		close(fd);
		return -1;
	}
	unlink(sa.sun_path);
	/* Root only (0600), or 0660 in control.group. The mode is set at creation and the
	 * group with lchown, so nothing follows a link planted in the directory. */
	old_umask = umask(grouped > 0 ? 0117 : 0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc == 0 && grouped > 0)
		rc = lchown(sa.sun_path, (uid_t)-1, gid);
	if (rc != 0 || listen(fd, 8) != 0) {
		DP_LOG(ERR, "control socket %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (grouped > 0)
		DP_LOG(INFO, "control socket %s, mode 0660, group %s", sa.sun_path, cfg->socket_group);
	else
		DP_LOG(INFO, "control socket %s, mode 0600 (root only)", sa.sun_path);
	return fd;
}

static bool
peer_allowed(const struct dp_config *cfg, int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	*uid = cred.uid;
	if (cred.uid == 0)
		return true;
	for (unsigned int i = 0; i < cfg->n_uids; i++)
		if (cfg->uids[i] == cred.uid)
			return true;
	return false;
}

static void
client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	dp_proto_wipe(c->buf, c->len);
	c->len = 0;
}

static void
ctrl_accept(struct ctrl *ctl)
{
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	uid_t uid = 0;

	if (fd < 0)
		return;
	if (!peer_allowed(ctl->dp->cfg, fd, &uid)) {
		uint64_t now = rte_rdtsc();

		/* At most one line a second, so that refused peers cannot flood the log. */
		if (now - ctl->refused_tsc >= ctl->dp->tsc_hz) {
			DP_LOG(WARNING, "control socket: refused a peer with uid %u (and %u more "
			       "refusals since the last report)", (unsigned int)uid, ctl->refused_quiet);
			ctl->refused_tsc = now;
			ctl->refused_quiet = 0;
		} else {
			ctl->refused_quiet++;
		}
		close(fd);
		return;
	}
	for (unsigned int i = 0; i < MAX_CLIENTS; i++) {
		if (ctl->clients[i].fd < 0) {
			ctl->clients[i].fd = fd;
			ctl->clients[i].len = 0;
			return;
		}
	}
	DP_LOG(WARNING, "control socket: more than %u clients, refusing one", MAX_CLIENTS);
	close(fd);
}

/* Writes all of buf, waiting at most WRITE_TIMEOUT_MS for a slow reader. */
static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, WRITE_TIMEOUT_MS) == 1)
				continue;
		}
		return -1;
	}
	return 0;
}

/* ---- requests ---- */

static int
find_u32(const struct dp_msg *msg, uint16_t type, uint32_t *v)
{
	struct dp_attr_iter it;
	struct dp_attr a;
	int rc, found = 0;

	dp_attr_iter_init(&it, msg->body, msg->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (a.type != type)
			continue;
		if (found || dp_attr_u32(&a, v) != 0)
			return -EPROTO;
		found = 1;
	}
	return rc < 0 ? rc : (found ? 0 : -ENOENT);
}

static void
fill_health(const struct ctrl *ctl, struct dp_health *h)
{
	const struct dp_dataplane *dp = ctl->dp;

	memset(h, 0, sizeof(*h));
	snprintf(h->version, sizeof(h->version), "%s", sluice_version);
	snprintf(h->srtp_backend, sizeof(h->srtp_backend), "%s", OpenSSL_version(OPENSSL_VERSION));
	h->uptime_s = (rte_rdtsc() - dp->start_tsc) / dp->tsc_hz;
	h->workers = dp->n_workers;
	h->legs = dp->tables->n_legs;
	h->conferences = dp->tables->n_confs;
	h->ports = dp->n_ports;
	for (unsigned int i = 0; i < dp->n_ports; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(dp->ports[i].port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			h->ports_up++;
	}
}

static void
reply_stats(struct ctrl *ctl, struct dp_msg_builder *b)
{
	struct dp_stats_group *g = malloc(sizeof(*g));

	if (g == NULL) {
		b->err = -ENOMEM;
		return;
	}
	for (unsigned int p = 0; p < ctl->dp->n_ports; p++) {
		dp_stats_port(ctl->dp, p, g);
		dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_PORT, g);
	}
	for (unsigned int w = 0; w < ctl->dp->n_workers; w++) {
		dp_stats_lcore(ctl->dp, w, g);
		dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_LCORE, g);
	}
	dp_stats_control(ctl->dp, g);
	dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_LCORE, g);
	dp_stats_drops(ctl->dp, g);
	dp_proto_put_stats_group(b, DP_ATTR_NEST_STATS_DROP, g);
	free(g);
}

/*
 * A leg's info as the protocol has it: the table knows its owner's worker index, the
 * protocol (like the lcores of the statistics) its lcore id.
 */
static int
leg_info(const struct ctrl *ctl, uint32_t id, struct dp_leg_info *info)
{
	int status = dp_tables_leg_info(ctl->dp->tables, id, info);

	if (status == DP_OK && info->owner_lcore < ctl->dp->n_workers)
		info->owner_lcore = ctl->dp->workers[info->owner_lcore]->lcore_id;
	return status;
}

static void
reply_list(struct ctrl *ctl, const struct dp_msg *req, struct dp_msg_builder *b)
{
	uint32_t conf = 0, cursor = 0, ids[LIST_PAGE];
	struct dp_leg_info info;
	unsigned int n;

	(void)find_u32(req, DP_ATTR_CONF_ID, &conf);
	(void)find_u32(req, DP_ATTR_CURSOR, &cursor);
	n = dp_tables_leg_ids(ctl->dp->tables, conf, cursor, ids, LIST_PAGE);
	for (unsigned int i = 0; i < n; i++)
		if (leg_info(ctl, ids[i], &info) == DP_OK)
			dp_proto_put_leg_info(b, &info);
	if (n == LIST_PAGE)
		dp_mb_put_u32(b, DP_ATTR_CURSOR, ids[n - 1]);
}

/* Asks for a signalled address's next hop now, so that its first packets find it resolved. */
static void
resolve_ahead(struct ctrl *ctl, const struct dp_endpoint *ep)
{
	uint8_t nexthop[16];
	uint16_t port;

	if (dp_port_route(ctl->dp, ep->ip, &port, nexthop) == 0)
		dp_host_resolve(ctl->dp->host, port, nexthop);
}

/* Decoder errors: a key of the wrong length has its own status, the rest is invalid. */
static uint32_t
decode_status(int rc, const char *err_text)
{
	if (rc == -EPROTO)
		return DP_ERR_BAD_MSG;
	if (err_text != NULL && (strstr(err_text, "length does not match suite") != NULL ||
				 strstr(err_text, "length matches no suite") != NULL))
		return DP_ERR_BAD_KEY;
	return DP_ERR_INVALID;
}

/* Handles one request; returns the reply's length or a negative errno. */
static int
handle(struct ctrl *ctl, const struct dp_msg *req)
{
	struct dp_tables *t = ctl->dp->tables;
	struct dp_msg_builder b;
	struct dp_leg_spec spec;
	struct dp_leg_info info;
	struct dp_health health;
	const char *err = NULL;
	uint32_t status = DP_OK, id = 0, n = 0;
	int rc;

	switch (req->type) {
	case DP_MSG_HEALTH:
		dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, req, DP_OK, NULL);
		fill_health(ctl, &health);
		dp_proto_put_health(&b, &health);
		return dp_mb_finish(&b);
	case DP_MSG_LEG_ADD:
	case DP_MSG_LEG_UPDATE:
		rc = dp_proto_decode_leg(req, &spec, &err);
		if (rc != 0)
			status = decode_status(rc, err);
		else if (req->type == DP_MSG_LEG_ADD)
			status = (uint32_t)dp_tables_leg_add(t, &spec, &err);
		else
			status = (uint32_t)dp_tables_leg_update(t, &spec, &err);
		if (status == DP_OK) {
			DP_LOG(INFO, "leg %u %s", spec.leg_id,
			       req->type == DP_MSG_LEG_ADD ? "added" : "updated");
			if (spec.has & DP_LEG_HAS_REMOTE)
				resolve_ahead(ctl, &spec.remote);
		}
		dp_proto_wipe(&spec, sizeof(spec));
		break;
	case DP_MSG_LEG_DEL:
		if (find_u32(req, DP_ATTR_LEG_ID, &id) != 0) {
			status = DP_ERR_INVALID;
			err = "leg id missing";
			break;
		}
		status = (uint32_t)dp_tables_leg_del(t, id);
		if (status == DP_OK)
			DP_LOG(INFO, "leg %u removed", id);
		break;
	case DP_MSG_CONF_DEL:
		if (find_u32(req, DP_ATTR_CONF_ID, &id) != 0) {
			status = DP_ERR_INVALID;
			err = "conference id missing";
			break;
		}
		status = (uint32_t)dp_tables_conf_del(t, id, &n);
		if (status == DP_OK)
			DP_LOG(INFO, "conference %u removed with %u legs", id, n);
		dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, req, status, NULL);
		if (status == DP_OK)
			dp_mb_put_u32(&b, DP_ATTR_COUNT, n);
		return dp_mb_finish(&b);
	case DP_MSG_LEG_GET:
		if (find_u32(req, DP_ATTR_LEG_ID, &id) != 0) {
			status = DP_ERR_INVALID;
			err = "leg id missing";
			break;
		}
		status = (uint32_t)leg_info(ctl, id, &info);
		dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, req, status, NULL);
		if (status == DP_OK)
			dp_proto_put_leg_info(&b, &info);
		return dp_mb_finish(&b);
	case DP_MSG_LEG_LIST:
		dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, req, DP_OK, NULL);
		reply_list(ctl, req, &b);
		return dp_mb_finish(&b);
	case DP_MSG_STATS:
		dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, req, DP_OK, NULL);
		reply_stats(ctl, &b);
		return dp_mb_finish(&b);
	default:
		status = DP_ERR_UNKNOWN_TYPE;
		err = "unknown message type";
		break;
	}
	if (status != DP_OK && err == NULL)
		err = dp_status_name(status);
	dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, req, status, status != DP_OK ? err : NULL);
	return dp_mb_finish(&b);
}

/* Answers a request we cannot parse, then the connection closes. */
static void
reply_framing_error(struct ctrl *ctl, struct client *c, int rc)
{
	struct dp_msg req = { .type = 0, .seq = 0 };
	struct dp_msg_builder b;
	int len;

	dp_proto_reply_begin(&b, ctl->reply, DP_MSG_MAX, &req,
			     rc == -EPROTONOSUPPORT ? DP_ERR_VERSION : DP_ERR_BAD_MSG,
			     rc == -EMSGSIZE ? "message too large" :
			     rc == -EPROTONOSUPPORT ? "protocol version not supported" :
			     "malformed message");
	len = dp_mb_finish(&b);
	if (len > 0)
		(void)write_all(c->fd, ctl->reply, (size_t)len);
}

/* Writes the gathered replies. 0 or -1 (the client is gone or does not read). */
static int
reply_flush(struct ctrl *ctl, struct client *c)
{
	int rc = 0;

	if (ctl->out_len > 0)
		rc = write_all(c->fd, ctl->out, ctl->out_len);
	ctl->out_len = 0;
	return rc;
}

/* Appends the reply in ctl->reply to the gathered ones. 0 or -1. */
static int
reply_queue(struct ctrl *ctl, struct client *c, size_t len)
{
	if (ctl->out_len + len > OUT_CAP && reply_flush(ctl, c) != 0)
		return -1;
	if (len > OUT_CAP)
		return write_all(c->fd, ctl->reply, len);
	memcpy(ctl->out + ctl->out_len, ctl->reply, len);
	ctl->out_len += len;
	return 0;
}

/*
 * Answers every complete request the client has sent, in order: a client may pipeline
 * requests, and each read may bring many. Their replies go out in one write per read, and
 * while reads fill what was asked, the next read follows without a poll in between.
 */
static void
client_read(struct ctrl *ctl, struct client *c)
{
	for (unsigned int r = 0; r < READS_PER_WAKE; r++) {
		size_t want = DP_MSG_MAX - c->len, off = 0;
		ssize_t n = read(c->fd, c->buf + c->len, want);

		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			client_close(c);
			return;
		}
		c->len += (size_t)n;
		for (;;) {
			struct dp_msg msg;
			int len = dp_msg_parse(c->buf + off, c->len - off, &msg);
			int rlen;

			if (len == -EAGAIN)
				break;
			if (len < 0) {
				if (reply_flush(ctl, c) == 0)
					reply_framing_error(ctl, c, len);
				client_close(c);
				return;
			}
			rlen = handle(ctl, &msg);
			/* The request may have carried keys: gone before anything else happens. */
			dp_proto_wipe(c->buf + off, (size_t)len);
			off += (size_t)len;
			if (rlen < 0 || reply_queue(ctl, c, (size_t)rlen) != 0) {
				ctl->out_len = 0;
				client_close(c);
				return;
			}
		}
		/* A partial request moves to the front; its old bytes are wiped behind it. */
		if (off > 0) {
			memmove(c->buf, c->buf + off, c->len - off);
			dp_proto_wipe(c->buf + c->len - off, off);
			c->len -= off;
		}
		if (reply_flush(ctl, c) != 0) {
			client_close(c);
			return;
		}
		if ((size_t)n < want)
			return;                 /* the socket is most likely empty: back to poll */
	}
}

/* ---- events from the workers ---- */

static void
drain_events(struct ctrl *ctl)
{
	struct dp_event ev[64];
	unsigned int n;

	while ((n = rte_ring_sc_dequeue_burst_elem(ctl->dp->events, ev, sizeof(ev[0]), 64,
						   NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			if (ev[i].type == DP_EV_LATCH)
				dp_tables_latch(ctl->dp->tables, ev[i].leg_slot, ev[i].leg_gen, &ev[i].ep);
			else if (ev[i].type == DP_EV_RESOLVE && ev[i].port < ctl->dp->n_ports)
				dp_host_resolve(ctl->dp->host, ev[i].port, ev[i].ep.ip);
		}
	}
}

static void
drain_slow(struct ctrl *ctl)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	while ((n = rte_ring_sc_dequeue_burst(ctl->dp->slow, (void **)m, 64, NULL)) > 0)
		for (unsigned int i = 0; i < n; i++)
			dp_host_input(ctl->dp->host, m[i]);
}

/* Once a second: the state file's orphans and write-back (dp_state_tick). */
static void
state_tick(struct ctrl *ctl)
{
	uint64_t now = rte_rdtsc();
	uint32_t wiped;

	if (now - ctl->last_state_tsc < ctl->dp->tsc_hz)
		return;
	ctl->last_state_tsc = now;
	wiped = dp_state_tick(ctl->dp->state, (now - ctl->dp->start_tsc) / ctl->dp->tsc_hz);
	if (wiped > 0)
		DP_LOG(INFO, "state: %u saved leg state(s) not claimed in %u s, wiped", wiped,
		       ctl->dp->cfg->orphan_ttl);
}

/*
 * RFC 3711 asks that authentication failures and replays be logged; counting them per
 * packet is the workers' job, a periodic summary (no addresses) is ours.
 */
static void
security_log(struct ctrl *ctl)
{
	static const enum dp_drop watched[] = {
		DP_DROP_SRTP_AUTH, DP_DROP_SRTP_REPLAY, DP_DROP_SRTCP_AUTH, DP_DROP_SRTCP_REPLAY,
		DP_DROP_SRTP_KEY_LIMIT,
	};
	uint64_t now = rte_rdtsc();

	if (now - ctl->last_security_tsc < ctl->dp->tsc_hz * SECURITY_LOG_S)
		return;
	ctl->last_security_tsc = now;
	for (unsigned int i = 0; i < RTE_DIM(watched); i++) {
		uint64_t sum = 0;

		for (unsigned int w = 0; w < ctl->dp->n_workers; w++)
			sum += ctl->dp->workers[w]->stats.drops[watched[i]];
		if (sum != ctl->security_seen[watched[i]])
			DP_LOG(WARNING, "security: %" PRIu64 " packets dropped as %s in the last %u s",
			       sum - ctl->security_seen[watched[i]], dp_drop_name(watched[i]),
			       SECURITY_LOG_S);
		ctl->security_seen[watched[i]] = sum;
	}
}

int
dp_ctrl_run(struct dp_dataplane *dp)
{
	struct ctrl ctl = { .dp = dp, .listen_fd = -1 };
	struct pollfd pfd[1 + MAX_CLIENTS];
	int rc = 0;

	bool oom;

	ctl.reply = malloc(DP_MSG_MAX);
	ctl.out = malloc(OUT_CAP);
	oom = ctl.reply == NULL || ctl.out == NULL;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++) {
		ctl.clients[i].fd = -1;
		ctl.clients[i].buf = malloc(DP_MSG_MAX);
		oom = oom || ctl.clients[i].buf == NULL;
	}
	if (oom) {
		DP_LOG(ERR, "control thread: out of memory");
		rc = -1;
		goto out;
	}
	ctl.listen_fd = ctrl_listen(dp->cfg);
	if (ctl.listen_fd < 0) {
		rc = -1;
		goto out;
	}
	ctl.last_security_tsc = rte_rdtsc();
	DP_LOG(NOTICE, "ready: %u worker(s), %u port(s)", dp->n_workers, dp->n_ports);

	while (!dp->quit) {
		unsigned int n = 0;

		pfd[n++] = (struct pollfd){ .fd = ctl.listen_fd, .events = POLLIN };
		for (unsigned int i = 0; i < MAX_CLIENTS; i++)
			if (ctl.clients[i].fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = ctl.clients[i].fd, .events = POLLIN };
		if (poll(pfd, n, POLL_MS) > 0) {
			if (pfd[0].revents & POLLIN)
				ctrl_accept(&ctl);
			for (unsigned int i = 0, k = 1; i < MAX_CLIENTS; i++) {
				struct client *c = &ctl.clients[i];

				if (c->fd < 0 || k >= n || pfd[k].fd != c->fd)
					continue;
				if (pfd[k++].revents & (POLLIN | POLLHUP | POLLERR))
					client_read(&ctl, c);
			}
		}
		drain_events(&ctl);
		drain_slow(&ctl);
		dp_tables_reclaim(dp->tables);
		state_tick(&ctl);
		security_log(&ctl);
	}
out:
	for (unsigned int i = 0; i < MAX_CLIENTS; i++) {
		client_close(&ctl.clients[i]);
		free(ctl.clients[i].buf);
	}
	if (ctl.listen_fd >= 0) {
		close(ctl.listen_fd);
		unlink(dp->cfg->socket_path);
	}
	free(ctl.reply);
	free(ctl.out);
	return rc;
}
