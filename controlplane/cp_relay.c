/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reconciliation and heartbeat (see cp_relay.h).
 *
 * A reconciliation reads this relay's legs from Redis in one script (which also drops ids
 * whose leg expired), installs each in the dataplane (one that exists already is fine: ids
 * are never reused and a leg's keys never change), then pages through the dataplane's legs
 * and removes those Redis did not list. Because a join writes Redis before the dataplane, a
 * leg installed while the reconciliation runs could be missing from its snapshot: such a
 * candidate is removed only if Redis still has no key for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cp_dp.h"
#include "cp_log.h"
#include "cp_redis.h"
#include "cp_relay.h"
#include "cp_server.h"
#include "cp_store.h"

#define RECONCILE_PERIOD_S 30
#define LEG_FIELDS 8

struct recon {
	struct cp_server *s;
	uint32_t *ids;               /* legs Redis has, sorted */
	size_t n;
	unsigned int pending;        /* dataplane and Redis requests not answered yet */
	bool listing_done;
	uint64_t installed, pruned, failed;
};

struct prune {
	struct recon *rc;
	uint32_t leg_id;
};

static struct event *heartbeat_ev;
static struct event *reconcile_ev;

static void reconcile_list(struct recon *rc, uint32_t cursor);

static void
reconcile_end(struct recon *rc)
{
	struct cp_server *s = rc->s;

	CP_LOG(INFO, "reconciled: %zu legs in Redis, %" PRIu64 " installed, %" PRIu64
	       " removed, %" PRIu64 " failed", rc->n, rc->installed, rc->pruned, rc->failed);
	s->c.legs_reinstalled += rc->installed;
	s->c.legs_pruned += rc->pruned;
	free(rc->ids);
	free(rc);
	s->reconcile_running = false;
	if (s->reconcile_again) {
		s->reconcile_again = false;
		cp_relay_reconcile(s);
	}
}

static void
maybe_end(struct recon *rc)
{
	if (rc->pending == 0 && rc->listing_done)
		reconcile_end(rc);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
on_pruned(struct cp_dp *d, int status, const char *err_text, void *arg)
{
	struct prune *p = arg;

	(void)d;
	(void)err_text;
	if (status == DP_OK)
		p->rc->pruned++;
	p->rc->pending--;
	maybe_end(p->rc);
	free(p);
}

static void
on_prune_checked(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct prune *p = arg;
	struct recon *rc = p->rc;

	(void)r;
	if (reply != NULL && reply->type == CP_R_INT && reply->integer == 0 &&
	    cp_dp_leg_del(rc->s->dp, p->leg_id, on_pruned, p) == 0)
		return;
	rc->pending--;
	maybe_end(rc);
	free(p);
}

static void
prune_candidate(struct recon *rc, uint32_t leg_id)
{
	struct prune *p = malloc(sizeof(*p));

	if (p == NULL)
		return;
	p->rc = rc;
	p->leg_id = leg_id;
	if (cp_redis_cmdf(rc->s->redis, on_prune_checked, p, "EXISTS %sl:%" PRIu32,
			  rc->s->cfg.redis_prefix, leg_id) != 0) {
		free(p);
		return;
	}
	rc->pending++;
}

static void
on_list(struct cp_dp *d, int status, const struct dp_leg_info *legs, unsigned int n,
	uint32_t more, void *arg)
{
	struct recon *rc = arg;

	(void)d;
	rc->pending--;
	if (status == DP_OK) {
		for (unsigned int i = 0; i < n; i++) {
			uint32_t id = legs[i].spec.leg_id;

			if (bsearch(&id, rc->ids, rc->n, sizeof(id), cmp_u32) == NULL)
				prune_candidate(rc, id);
		}
		if (more != 0) {
			reconcile_list(rc, more);
			return;
		}
	} else {
		rc->failed++;
	}
	rc->listing_done = true;
	maybe_end(rc);
}

static void
reconcile_list(struct recon *rc, uint32_t cursor)
{
	if (cp_dp_leg_list(rc->s->dp, cursor, on_list, rc) != 0) {
		rc->listing_done = true;
		return;
	}
	rc->pending++;
}

static void
on_installed(struct cp_dp *d, int status, const char *err_text, void *arg)
{
	struct recon *rc = arg;

	(void)d;
	if (status == DP_OK) {
		rc->installed++;
	} else if (status != DP_ERR_EXISTS) {
		rc->failed++;
		CP_LOG(WARNING, "reconcile: the dataplane refused a leg: %s",
		       err_text != NULL ? err_text : "no reply");
	}
	if (--rc->pending == 0 && !rc->listing_done) {
		/* Every install answered: now remove what Redis does not have. */
		reconcile_list(rc, 0);
		maybe_end(rc);
	}
}

/* Builds a leg spec from the fields Redis holds (id conf suite ssrcs port flags kin kout). */
static int
leg_from_redis(struct cp_server *s, const struct cp_rreply *reply, size_t i,
	       struct dp_leg_spec *sp)
{
	static const char *const dir[2] = { "in", "out" };
	uint8_t *keys[2] = { sp->key_in, sp->key_out };
	uint8_t *lens[2] = { &sp->key_in_len, &sp->key_out_len };
	char list[DP_LEG_MAX_SSRCS * 11 + 1], *save = NULL;

	memset(sp, 0, sizeof(*sp));
	sp->has = DP_LEG_HAS_ALL_REQUIRED | DP_LEG_HAS_FLAGS;
	sp->leg_id = (uint32_t)cp_store_int(reply, i);
	sp->conf_id = (uint32_t)cp_store_int(reply, i + 1);
	sp->suite = (uint8_t)cp_store_int(reply, i + 2);
	sp->media_port = (uint16_t)cp_store_int(reply, i + 4);
	sp->flags = (uint32_t)cp_store_int(reply, i + 5);
	snprintf(list, sizeof(list), "%s", cp_store_str(reply, i + 3));
	for (char *t = strtok_r(list, ",", &save); t != NULL && sp->n_ssrcs < DP_LEG_MAX_SSRCS;
	     t = strtok_r(NULL, ",", &save))
		sp->ssrcs[sp->n_ssrcs++] = (uint32_t)strtoul(t, NULL, 10);
	for (int k = 0; k < 2; k++) {
		uint8_t sealed[DP_MASTER_MAX + CP_SEAL_OVERHEAD + 8];
		char aad[40];
		int n = cp_b64_decode(cp_store_str(reply, i + 6 + (size_t)k), sealed,
				      sizeof(sealed));

		snprintf(aad, sizeof(aad), "leg:%" PRIu32 ":%s", sp->leg_id, dir[k]);
		if (n < 0)
			return -EINVAL;
		n = cp_open(&s->ring, aad, sealed, (size_t)n, keys[k], DP_MASTER_MAX);
		if (n < 0)
			return n;
		*lens[k] = (uint8_t)n;
	}
	return 0;
}

static void
on_relay_legs(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	struct recon *rc = arg;
	struct cp_server *s = rc->s;
	const char *st = cp_store_status(reply);

	(void)r;
	if (st == NULL || strcmp(st, "ok") != 0) {
		rc->listing_done = true;
		rc->failed++;
		maybe_end(rc);
		return;
	}
	rc->ids = calloc(reply->n / LEG_FIELDS + 1, sizeof(uint32_t));
	if (rc->ids == NULL) {
		rc->listing_done = true;
		maybe_end(rc);
		return;
	}
	for (size_t i = 1; i + LEG_FIELDS - 1 < reply->n; i += LEG_FIELDS) {
		struct dp_leg_spec spec;

		if (leg_from_redis(s, reply, i, &spec) != 0) {
			CP_LOG(ERROR, "reconcile: the keys of leg %s do not open (keyring changed?)",
			       cp_store_str(reply, i));
			rc->failed++;
		} else if (cp_dp_leg_add(s->dp, &spec, on_installed, rc) == 0) {
			rc->pending++;
		}
		rc->ids[rc->n++] = (uint32_t)cp_store_int(reply, i);
		dp_proto_wipe(&spec, sizeof(spec));
	}
	qsort(rc->ids, rc->n, sizeof(uint32_t), cmp_u32);
	if (rc->pending == 0) {
		reconcile_list(rc, 0);
		maybe_end(rc);
	}
}

void
cp_relay_reconcile(struct cp_server *s)
{
	struct recon *rc;
	const char *argv[1] = { s->cfg.relay_id };

	if (!cp_redis_up(s->redis) || !cp_dp_up(s->dp))
		return;
	if (s->reconcile_running) {
		s->reconcile_again = true;
		return;
	}
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL)
		return;
	rc->s = s;
	s->reconcile_running = true;
	s->c.reconciles++;
	if (cp_store_call(s, CP_S_RELAY_LEGS, on_relay_legs, rc, 1, argv) != 0) {
		free(rc);
		s->reconcile_running = false;
	}
}

static void
on_heartbeat(struct cp_redis *r, const struct cp_rreply *reply, void *arg)
{
	(void)r;
	(void)arg;
	if (reply != NULL && cp_store_status(reply) == NULL)
		CP_LOG(WARNING, "heartbeat refused by Redis");
}

void
cp_relay_heartbeat(struct cp_server *s)
{
	char port[8], started[24], ttl[16];
	const char *argv[5] = { s->cfg.relay_id, s->cfg.relay_address, port, started, ttl };

	snprintf(port, sizeof(port), "%u", s->cfg.media_port);
	snprintf(started, sizeof(started), "%" PRIu64, s->started);
	snprintf(ttl, sizeof(ttl), "%u", s->cfg.ttl_heartbeat);
	cp_store_call(s, CP_S_HEARTBEAT, on_heartbeat, NULL, 5, argv);
}

static void
on_heartbeat_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cp_relay_heartbeat(arg);
}

static void
on_reconcile_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cp_relay_reconcile(arg);
}

int
cp_relay_start(struct cp_server *s)
{
	struct timeval hb = { .tv_sec = s->cfg.ttl_heartbeat / 3 > 0 ? s->cfg.ttl_heartbeat / 3 : 1 };
	struct timeval rc = { .tv_sec = RECONCILE_PERIOD_S };

	heartbeat_ev = event_new(s->base, -1, EV_PERSIST, on_heartbeat_timer, s);
	reconcile_ev = event_new(s->base, -1, EV_PERSIST, on_reconcile_timer, s);
	if (heartbeat_ev == NULL || reconcile_ev == NULL) {
		cp_relay_stop(s);
		return -ENOMEM;
	}
	event_add(heartbeat_ev, &hb);
	event_add(reconcile_ev, &rc);
	return 0;
}

void
cp_relay_stop(struct cp_server *s)
{
	(void)s;
	if (heartbeat_ev != NULL)
		event_free(heartbeat_ev);
	if (reconcile_ev != NULL)
		event_free(reconcile_ev);
	heartbeat_ev = NULL;
	reconcile_ev = NULL;
}
