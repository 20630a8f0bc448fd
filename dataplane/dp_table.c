/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table (see dp_table.h for the concurrency rules).
 *
 * Control thread: every function here except the inline readers in the header.
 * A change goes in this order: reserve room in the retire ring and build the new immutable
 * objects (so that running out of memory changes nothing), publish them (release store or
 * hash insert), unpublish what they replace, retire that, and stamp the change's retired
 * objects with one RCU token at its end (retire_commit): a token taken after the last
 * reference went, so that its grace period covers every path to them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_common.h>
#include <rte_debug.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "dp_config.h"
#include "dp_log.h"
#include "dp_srtcp.h"
#include "dp_state.h"
#include "dp_table.h"

#define SLOT_NONE UINT32_MAX
#define RETIRED_MIN 256              /* initial ring entries; it doubles as needed */

/* What a retired object is, and what freeing it means. */
enum retire_kind {
	RETIRE_MEMBERS,              /* a replaced member list */
	RETIRE_CFG,                  /* a replaced configuration; its crypto lives on */
	RETIRE_CFG_CRYPTO,           /* a replaced configuration and its crypto */
	RETIRE_LEG,                  /* a removed leg: configuration, crypto, then the slot */
	RETIRE_CONF,                 /* a released conference: member list, then the slot */
};

struct dp_retired {
	uint64_t token;              /* rte_rcu_qsbr_start() after it was unpublished */
	void *obj;
	uint32_t slot;
	uint8_t kind;                /* enum retire_kind */
};

static unsigned int tables_instance; /* hash names must be unique in the process */

/*
 * Leg configurations, their crypto and member lists come from the C heap (on the control
 * thread's NUMA node, where rte_malloc would put them too). One or two are made and freed
 * per change, in many sizes, and rte_malloc's first-fit search of its free lists slows
 * down with every fragment they leave: it was the largest cost of a leg install.
 */
static void *
obj_zalloc(size_t size)
{
	size_t sz = RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE);
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);

	if (p != NULL)
		memset(p, 0, sz);
	return p;
}

static void
obj_free(void *p)
{
	free(p);
}

static struct rte_hash *
hash_create(const char *what, uint32_t entries, uint32_t key_len, bool lock_free, int socket)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = RTE_MAX(entries, 16u),
		.key_len = key_len,
		.hash_func = rte_jhash,
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = socket,
		/* Extendable buckets: an insert succeeds whenever fewer than `entries` keys are
		 * stored, instead of failing early on a cuckoo path that cannot be freed. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			      (lock_free ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};

	snprintf(name, sizeof(name), "sl_%s_%u", what, tables_instance);
	return rte_hash_create(&p);
}

static int
hash_attach_rcu(struct rte_hash *h, struct rte_rcu_qsbr *v)
{
	struct rte_hash_rcu_config rc = {
		.v = v,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	return rte_hash_rcu_qsbr_add(h, &rc);
}

struct dp_tables *
dp_tables_create(const struct dp_config *cfg, unsigned int n_workers, int socket,
		 struct dp_state *state)
{
	struct dp_tables *t;
	char err[256];
	size_t sz;

	if (n_workers == 0 || n_workers > DP_MAX_WORKERS)
		return NULL;
	t = rte_zmalloc_socket("sl_tables", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return NULL;
	tables_instance++;
	t->cfg = cfg;
	t->n_workers = n_workers;
	t->max_legs = cfg->max_legs;
	t->max_confs = cfg->max_conferences;
	t->state = state;
	if (state == NULL) {
		t->state = dp_state_open(NULL, cfg->max_legs + DP_TABLES_STATE_SPARE, 0, err,
					 sizeof(err));
		if (t->state == NULL) {
			DP_LOG(ERR, "session table: %s", err);
			rte_free(t);
			return NULL;
		}
		t->own_state = true;
	}

	sz = rte_rcu_qsbr_get_memsize(n_workers);
	t->rcu = rte_zmalloc_socket("sl_rcu", sz, RTE_CACHE_LINE_SIZE, socket);
	if (t->rcu == NULL || rte_rcu_qsbr_init(t->rcu, n_workers) != 0)
		goto fail;

	/* Two entries per SSRC: its media-port scope and its conference scope. */
	t->ssrc = hash_create("ssrc", cfg->max_ssrcs * 2, sizeof(struct dp_ssrc_key), true, socket);
	t->flow = hash_create("flow", cfg->max_flows, sizeof(struct dp_flow_key), true, socket);
	t->leg_ids = hash_create("legid", cfg->max_legs, sizeof(uint32_t), false, socket);
	t->conf_ids = hash_create("confid", cfg->max_conferences, sizeof(uint32_t), false, socket);
	if (t->ssrc == NULL || t->flow == NULL || t->leg_ids == NULL || t->conf_ids == NULL)
		goto fail;
	if (hash_attach_rcu(t->ssrc, t->rcu) != 0 || hash_attach_rcu(t->flow, t->rcu) != 0)
		goto fail;

	t->legs = rte_zmalloc_socket("sl_legs", sizeof(struct dp_leg) * t->max_legs,
				     RTE_CACHE_LINE_SIZE, socket);
	t->confs = rte_zmalloc_socket("sl_confs", sizeof(struct dp_conf) * t->max_confs,
				      RTE_CACHE_LINE_SIZE, socket);
	t->worker_legs = rte_zmalloc_socket("sl_wlegs", sizeof(uint32_t) * n_workers, 0, socket);
	if (t->legs == NULL || t->confs == NULL || t->worker_legs == NULL)
		goto fail;
	for (uint32_t i = 0; i < t->max_legs; i++)
		t->legs[i].next_free = i + 1 < t->max_legs ? i + 1 : SLOT_NONE;
	for (uint32_t i = 0; i < t->max_confs; i++)
		t->confs[i].next_free = i + 1 < t->max_confs ? i + 1 : SLOT_NONE;
	t->retired = malloc(sizeof(struct dp_retired) * RETIRED_MIN);
	if (t->retired == NULL)
		goto fail;
	t->retired_cap = RETIRED_MIN;
	t->free_leg = 0;
	t->free_conf = 0;
	return t;
fail:
	DP_LOG(ERR, "session table: cannot allocate (%s)", rte_strerror(rte_errno));
	dp_tables_free(t);
	return NULL;
}

/* What freeing a leg's crypto does with its counters in the state file. */
enum state_fate {
	STATE_KEEP,                  /* shutdown: for the next start */
	STATE_RELEASE,               /* the leg or its keys are gone: wiped */
	STATE_UNCLAIM,               /* an install that failed: as it was before */
};

static void
crypto_free(struct dp_tables *t, struct dp_leg_crypto *c, enum state_fate fate)
{
	if (c == NULL)
		return;
	dp_srtp_ctx_free(c->rtp_in);
	dp_srtp_ctx_free(c->rtp_out);
	dp_srtcp_leg_free(c->rtcp);
	if (fate == STATE_RELEASE)
		dp_state_release(t->state, c->state);
	else if (fate == STATE_UNCLAIM)
		dp_state_unclaim(t->state, c->state);
	obj_free(c);
}

static void
cfg_free(struct dp_tables *t, struct dp_leg_cfg *cfg, bool with_crypto, enum state_fate fate)
{
	if (cfg == NULL)
		return;
	if (with_crypto)
		crypto_free(t, cfg->crypto, fate);
	/* Zeroed: a reader that (wrongly) still held it would see leg id 0, never valid. */
	memset(cfg, 0, sizeof(*cfg));
	obj_free(cfg);
}

static void retired_free(struct dp_tables *t, const struct dp_retired *r);

void
dp_tables_free(struct dp_tables *t)
{
	if (t == NULL)
		return;
	/* The workers are gone: nothing retired needs its grace period any more. */
	for (uint32_t i = t->retired_head; i != t->retired_tail; i++)
		retired_free(t, &t->retired[i & (t->retired_cap - 1)]);
	free(t->retired);
	if (t->legs != NULL)
		for (uint32_t i = 0; i < t->max_legs; i++)
			cfg_free(t, t->legs[i].cfg, true, STATE_KEEP);
	if (t->confs != NULL)
		for (uint32_t i = 0; i < t->max_confs; i++)
			obj_free(t->confs[i].members);
	rte_hash_free(t->ssrc);
	rte_hash_free(t->flow);
	rte_hash_free(t->leg_ids);
	rte_hash_free(t->conf_ids);
	rte_free(t->legs);
	rte_free(t->confs);
	rte_free(t->worker_legs);
	rte_free(t->rcu);
	if (t->own_state)
		dp_state_close(t->state);
	rte_free(t);
}

/* ---- deferred reclamation ---- */

/* Makes room for n more retired objects, so that a change can retire without failing. */
static int
retire_reserve(struct dp_tables *t, uint32_t n)
{
	uint32_t used = t->retired_tail - t->retired_head;
	uint32_t cap = t->retired_cap;
	struct dp_retired *r;

	if (cap - used >= n)
		return 0;
	while (cap - used < n) {
		if (cap > UINT32_MAX / 4)
			return -ENOMEM;
		cap *= 2;
	}
	r = malloc(sizeof(*r) * cap);
	if (r == NULL)
		return -ENOMEM;
	/* Keep the order, from index 0: the oldest token first. */
	for (uint32_t i = 0; i < used; i++)
		r[i] = t->retired[(t->retired_head + i) & (t->retired_cap - 1)];
	free(t->retired);
	t->retired = r;
	t->retired_stamped -= t->retired_head;
	t->retired_tail = used;
	t->retired_head = 0;
	t->retired_cap = cap;
	return 0;
}

/* Queues obj (already unpublished) for freeing; retire_reserve() made the room. */
static void
retire(struct dp_tables *t, enum retire_kind kind, void *obj, uint32_t slot)
{
	struct dp_retired *r;

	RTE_ASSERT(t->retired_tail - t->retired_head < t->retired_cap);
	if (obj == NULL && kind != RETIRE_LEG && kind != RETIRE_CONF)
		return;
	r = &t->retired[t->retired_tail++ & (t->retired_cap - 1)];
	*r = (struct dp_retired){ .obj = obj, .slot = slot, .kind = (uint8_t)kind };
	if (kind == RETIRE_LEG)
		t->pending_legs++;
	else if (kind == RETIRE_CONF)
		t->pending_confs++;
}

/*
 * Ends a change: its retired objects wait for the grace period that starts now, after the
 * change unpublished every path to them (a slot is still named by its conference's member
 * list until the list is replaced or unpublished, later in the same change).
 */
static void
retire_commit(struct dp_tables *t)
{
	uint64_t token;

	if (t->retired_stamped == t->retired_tail)
		return;
	token = rte_rcu_qsbr_start(t->rcu);
	for (uint32_t i = t->retired_stamped; i != t->retired_tail; i++)
		t->retired[i & (t->retired_cap - 1)].token = token;
	t->retired_stamped = t->retired_tail;
}

static void
retired_free(struct dp_tables *t, const struct dp_retired *r)
{
	switch ((enum retire_kind)r->kind) {
	case RETIRE_MEMBERS:
		obj_free(r->obj);
		break;
	case RETIRE_CFG:
		cfg_free(t, r->obj, false, STATE_KEEP);
		break;
	case RETIRE_CFG_CRYPTO:
		cfg_free(t, r->obj, true, STATE_RELEASE);
		break;
	case RETIRE_LEG:
		cfg_free(t, r->obj, true, STATE_RELEASE);
		t->legs[r->slot].next_free = t->free_leg;
		t->free_leg = r->slot;
		t->pending_legs--;
		break;
	case RETIRE_CONF:
		obj_free(r->obj);
		t->confs[r->slot].next_free = t->free_conf;
		t->free_conf = r->slot;
		t->pending_confs--;
		break;
	}
}

void
dp_tables_reclaim(struct dp_tables *t)
{
	/* Tokens only grow along the ring: stop at the first grace period still running. */
	while (t->retired_head != t->retired_stamped) {
		const struct dp_retired *r = &t->retired[t->retired_head & (t->retired_cap - 1)];

		if (rte_rcu_qsbr_check(t->rcu, r->token, false) != 1)
			break;
		retired_free(t, r);
		t->retired_head++;
	}
}

/*
 * A table is full but slots wait for their grace period: wait for one, the only place a
 * writer waits for the workers. Only stamped objects are freed, so that the change under
 * way cannot lose a slot it still names.
 */
static void
reclaim_wait(struct dp_tables *t)
{
	dp_tables_reclaim(t);
	if (t->retired_head == t->retired_stamped)
		return;
	rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	dp_tables_reclaim(t);
}

static int64_t
id_lookup(struct rte_hash *h, uint32_t id)
{
	void *data;

	if (rte_hash_lookup_data(h, &id, &data) < 0)
		return -1;
	return (int64_t)(uintptr_t)data;
}

/* ---- conferences ---- */

static struct dp_conf_members *
members_alloc(uint32_t n)
{
	return obj_zalloc(sizeof(struct dp_conf_members) + sizeof(uint32_t) * n);
}

/*
 * The conference's members with `add` added and `del` removed (SLOT_NONE for neither),
 * grouped by owner lcore so that a worker finds its own legs in one range.
 */
static struct dp_conf_members *
members_build(const struct dp_tables *t, const struct dp_conf_members *old, uint32_t add,
	      uint32_t del)
{
	uint32_t count[DP_MAX_WORKERS] = { 0 };
	uint32_t pos[DP_MAX_WORKERS];
	uint32_t n_old = old != NULL ? old->n : 0;
	uint32_t n = 0;
	struct dp_conf_members *m;

	m = members_alloc(n_old + 1);
	if (m == NULL)
		return NULL;
	for (uint32_t i = 0; i < n_old; i++)
		if (old->legs[i] != del)
			count[t->legs[old->legs[i]].owner]++, n++;
	if (add != SLOT_NONE)
		count[t->legs[add].owner]++, n++;

	m->n = n;
	for (uint32_t w = 0, first = 0; w < t->n_workers; w++) {
		pos[w] = first;
		if (count[w] == 0)
			continue;
		m->groups[m->n_groups++] = (struct dp_conf_group){
			.owner = (uint16_t)w, .first = first, .count = count[w],
		};
		first += count[w];
	}
	for (uint32_t i = 0; i < n_old; i++) {
		uint32_t s = old->legs[i];

		if (s != del)
			m->legs[pos[t->legs[s].owner]++] = s;
	}
	if (add != SLOT_NONE)
		m->legs[pos[t->legs[add].owner]++] = add;
	return m;
}

/* Finds the conference, or takes a free slot for it. Returns the slot or SLOT_NONE. */
static uint32_t
conf_get(struct dp_tables *t, uint32_t conf_id, bool *created)
{
	int64_t s = id_lookup(t->conf_ids, conf_id);
	uint32_t slot;
	struct dp_conf *c;

	*created = false;
	if (s >= 0)
		return (uint32_t)s;
	if (t->free_conf == SLOT_NONE && t->pending_confs > 0)
		reclaim_wait(t);
	slot = t->free_conf;
	if (slot == SLOT_NONE)
		return SLOT_NONE;
	c = &t->confs[slot];
	c->members = members_alloc(0);
	if (c->members == NULL)
		return SLOT_NONE;
	if (rte_hash_add_key_data(t->conf_ids, &conf_id, (void *)(uintptr_t)slot) < 0) {
		obj_free(c->members);
		c->members = NULL;
		return SLOT_NONE;
	}
	t->free_conf = c->next_free;
	c->conf_id = conf_id;
	c->n_legs = 0;
	t->n_confs++;
	*created = true;
	return slot;
}

/*
 * Unpublishes a conference whose legs are all unpublished, and retires its member list and
 * its slot (the slot is free again after the grace period; one entry of retire room).
 */
static void
conf_release(struct dp_tables *t, uint32_t slot)
{
	struct dp_conf *c = &t->confs[slot];
	struct dp_conf_members *old = c->members;

	rte_hash_del_key(t->conf_ids, &c->conf_id);
	__atomic_store_n(&c->members, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&c->gen, c->gen + 1, __ATOMIC_RELEASE);
	c->conf_id = 0;
	c->n_legs = 0;
	t->n_confs--;
	retire(t, RETIRE_CONF, old, slot);
}

/* Replaces a conference's member list; returns the old one, to retire. */
static struct dp_conf_members *
conf_publish(struct dp_conf *c, struct dp_conf_members *m)
{
	struct dp_conf_members *old = c->members;

	__atomic_store_n(&c->members, m, __ATOMIC_RELEASE);
	return old;
}

/* ---- SSRC keys ---- */

/* Whether (scope, ssrc) belongs to a leg other than `self`. */
static bool
ssrc_taken(const struct dp_tables *t, uint32_t scope, uint32_t ssrc, uint32_t self)
{
	int64_t s = dp_tables_ssrc_lookup(t, scope, ssrc);

	return s >= 0 && (uint32_t)s != self;
}

static bool
ssrcs_free(const struct dp_tables *t, uint16_t media_port, uint32_t conf_slot,
	   const uint32_t *ssrcs, unsigned int n, uint32_t self)
{
	for (unsigned int i = 0; i < n; i++)
		if (ssrc_taken(t, media_port, ssrcs[i], self) ||
		    ssrc_taken(t, DP_SCOPE_CONF | conf_slot, ssrcs[i], self))
			return false;
	return true;
}

static int
ssrc_keys_add(struct dp_tables *t, const struct dp_leg_cfg *cfg, uint32_t slot)
{
	for (unsigned int i = 0; i < cfg->n_ssrcs; i++) {
		struct dp_ssrc_key kp = { .scope = cfg->media_port, .ssrc = cfg->ssrcs[i] };
		struct dp_ssrc_key kc = { .scope = DP_SCOPE_CONF | cfg->conf_slot, .ssrc = cfg->ssrcs[i] };

		if (rte_hash_add_key_data(t->ssrc, &kp, (void *)(uintptr_t)slot) < 0 ||
		    rte_hash_add_key_data(t->ssrc, &kc, (void *)(uintptr_t)slot) < 0)
			return -ENOSPC;
	}
	return 0;
}

static bool
cfg_has_key(const struct dp_leg_cfg *cfg, const struct dp_ssrc_key *k)
{
	if (cfg == NULL)
		return false;
	if (k->scope != cfg->media_port && k->scope != (DP_SCOPE_CONF | cfg->conf_slot))
		return false;
	return dp_leg_cfg_has_ssrc(cfg, k->ssrc);
}

/* Removes the keys of `old` that `keep` does not have and that still point to slot. */
static void
ssrc_keys_del(struct dp_tables *t, const struct dp_leg_cfg *old, const struct dp_leg_cfg *keep,
	      uint32_t slot)
{
	for (unsigned int i = 0; i < old->n_ssrcs; i++) {
		struct dp_ssrc_key k[2] = {
			{ .scope = old->media_port, .ssrc = old->ssrcs[i] },
			{ .scope = DP_SCOPE_CONF | old->conf_slot, .ssrc = old->ssrcs[i] },
		};

		for (unsigned int j = 0; j < 2; j++) {
			int64_t s = dp_tables_ssrc_lookup(t, k[j].scope, k[j].ssrc);

			if (s == (int64_t)slot && !cfg_has_key(keep, &k[j]))
				rte_hash_del_key(t->ssrc, &k[j]);
		}
	}
}

static void
flow_del(struct dp_tables *t, struct dp_leg *leg, uint32_t slot)
{
	void *data;

	if (!leg->ctl_flow_valid)
		return;
	if (rte_hash_lookup_data(t->flow, &leg->ctl_flow, &data) >= 0 &&
	    (uint32_t)(uintptr_t)data == slot)
		rte_hash_del_key(t->flow, &leg->ctl_flow);
	leg->ctl_flow_valid = false;
}

/* ---- legs ---- */

/*
 * The leg's contexts, and its counters: those it had before sluice-dp restarted when the
 * same leg comes back with the same keys. *err says what failed.
 */
static struct dp_leg_crypto *
crypto_create(struct dp_tables *t, const struct dp_leg_spec *spec, const char **err,
	      int *status)
{
	struct dp_leg_crypto *c = obj_zalloc(sizeof(*c));
	uint8_t fp[DP_STATE_FP_LEN];
	int restored;

	*err = "out of memory";
	*status = DP_ERR_INTERNAL;
	if (c == NULL)
		return NULL;
	if (dp_state_fingerprint(t->state, spec->leg_id, spec->suite, spec->key_in,
				 spec->key_in_len, spec->key_out, spec->key_out_len, fp) != 0) {
		obj_free(c);
		return NULL;
	}
	c->state = dp_state_claim(t->state, spec->leg_id, fp, &restored);
	if (c->state == NULL) {
		*err = "state file full";
		*status = DP_ERR_FULL;
		obj_free(c);
		return NULL;
	}
	if (restored)
		DP_LOG(INFO, "leg %u: SRTP counters restored", spec->leg_id);
	c->rtp_in = dp_srtp_ctx_create(spec->suite, spec->key_in, spec->key_in_len,
				       DP_SRTP_INBOUND);
	c->rtp_out = dp_srtp_ctx_create(spec->suite, spec->key_out, spec->key_out_len,
					DP_SRTP_OUTBOUND);
	c->rtcp = dp_srtcp_leg_create(spec->suite, spec->key_in, spec->key_in_len,
				      spec->key_out, spec->key_out_len, c->state);
	if (c->rtp_in == NULL || c->rtp_out == NULL || c->rtcp == NULL) {
		*err = "cannot create SRTP contexts";
		crypto_free(t, c, STATE_UNCLAIM);
		return NULL;
	}
	return c;
}

static uint16_t
least_loaded_worker(const struct dp_tables *t)
{
	uint16_t best = 0;

	for (unsigned int w = 1; w < t->n_workers; w++)
		if (t->worker_legs[w] < t->worker_legs[best])
			best = (uint16_t)w;
	return best;
}

static void
cfg_set_ssrcs(struct dp_leg_cfg *cfg, const struct dp_leg_spec *spec)
{
	cfg->n_ssrcs = spec->n_ssrcs;
	memcpy(cfg->ssrcs, spec->ssrcs, sizeof(uint32_t) * spec->n_ssrcs);
}

/*
 * The first free leg slot, or SLOT_NONE when the table is full. It stays on the list: a
 * reclaim before the caller takes it may put others in front.
 */
static uint32_t
leg_slot_peek(struct dp_tables *t)
{
	if (t->free_leg == SLOT_NONE && t->pending_legs > 0)
		reclaim_wait(t);
	return t->free_leg;
}

int
dp_tables_leg_add(struct dp_tables *t, const struct dp_leg_spec *spec, const char **err)
{
	struct dp_conf_members *members;
	struct dp_leg_cfg *cfg = NULL;
	struct dp_leg_crypto *crypto = NULL;
	struct dp_leg *leg;
	bool conf_created = false;
	uint32_t slot, cslot = SLOT_NONE;
	int status;

	*err = NULL;
	if ((spec->has & DP_LEG_HAS_ALL_REQUIRED) != DP_LEG_HAS_ALL_REQUIRED) {
		*err = "leg spec incomplete";
		return DP_ERR_INVALID;
	}
	if (id_lookup(t->leg_ids, spec->leg_id) >= 0) {
		*err = "leg id in use";
		return DP_ERR_EXISTS;
	}
	if (dp_config_media_index(t->cfg, spec->media_port) < 0) {
		*err = "not a media port of this relay";
		return DP_ERR_BAD_PORT;
	}
	/* Room to retire the old member list, or on failure the leg and a new conference. */
	if (retire_reserve(t, 3) != 0) {
		*err = "out of memory";
		return DP_ERR_INTERNAL;
	}
	if (leg_slot_peek(t) == SLOT_NONE) {
		*err = "leg table full";
		return DP_ERR_FULL;
	}
	cslot = conf_get(t, spec->conf_id, &conf_created);
	if (cslot == SLOT_NONE) {
		*err = "conference table full";
		return DP_ERR_FULL;
	}
	if (!ssrcs_free(t, spec->media_port, cslot, spec->ssrcs, spec->n_ssrcs, SLOT_NONE)) {
		*err = "SSRC already used on this media port or in this conference";
		status = DP_ERR_SSRC_IN_USE;
		goto fail;
	}
	cfg = obj_zalloc(sizeof(*cfg));
	status = DP_ERR_INTERNAL;
	*err = "out of memory";
	crypto = cfg != NULL ? crypto_create(t, spec, err, &status) : NULL;
	if (crypto == NULL)
		goto fail;
	/* Taken only now: conf_get() may have reclaimed slots onto the free list. */
	slot = t->free_leg;
	leg = &t->legs[slot];
	*cfg = (struct dp_leg_cfg){
		.leg_id = spec->leg_id,
		.conf_id = spec->conf_id,
		.conf_slot = cslot,
		.flags = (spec->has & DP_LEG_HAS_FLAGS) ? spec->flags : DP_LEG_F_ALL,
		.media_port = spec->media_port,
		.suite = spec->suite,
		.has_remote = (spec->has & DP_LEG_HAS_REMOTE) != 0,
		.remote = spec->remote,
		.remote_gen = 1,
		.crypto = crypto,
	};
	cfg_set_ssrcs(cfg, spec);

	/* The slot is free and past its grace period: no worker reads it, set it up plainly. */
	leg->owner = least_loaded_worker(t);
	leg->ctl_latched = false;
	leg->ctl_flow_valid = false;
	memset(&leg->rt, 0, sizeof(leg->rt));

	members = members_build(t, t->confs[cslot].members, slot, SLOT_NONE);
	if (members == NULL ||
	    rte_hash_add_key_data(t->leg_ids, &spec->leg_id, (void *)(uintptr_t)slot) < 0) {
		obj_free(members);
		*err = "out of memory";
		status = DP_ERR_INTERNAL;
		goto fail;
	}
	t->free_leg = leg->next_free;
	__atomic_store_n(&leg->cfg, cfg, __ATOMIC_RELEASE);
	if (ssrc_keys_add(t, cfg, slot) != 0) {
		/* Undo: nothing can have been forwarded yet for a leg with no members entry, but
		 * a worker may have found the leg by a key: the slot waits a grace period. */
		ssrc_keys_del(t, cfg, NULL, slot);
		__atomic_store_n(&leg->cfg, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&leg->gen, leg->gen + 1, __ATOMIC_RELEASE);
		rte_hash_del_key(t->leg_ids, &spec->leg_id);
		retire(t, RETIRE_LEG, cfg, slot);
		cfg = NULL;
		crypto = NULL;
		obj_free(members);
		*err = "SSRC table full";
		status = DP_ERR_FULL;
		goto fail;
	}
	retire(t, RETIRE_MEMBERS, conf_publish(&t->confs[cslot], members), 0);
	t->confs[cslot].n_legs++;
	t->worker_legs[leg->owner]++;
	t->n_legs++;
	retire_commit(t);
	return DP_OK;
fail:
	cfg_free(t, cfg, false, STATE_KEEP);
	crypto_free(t, crypto, STATE_UNCLAIM);
	if (conf_created)
		conf_release(t, cslot);
	retire_commit(t);
	return status;
}

/*
 * Unpublishes the leg in slot (keys, flow, id, configuration) and retires it with its
 * slot. Its conference's member list still names it: the caller replaces or unpublishes
 * that list in the same change. One entry of retire room.
 */
static void
leg_unpublish(struct dp_tables *t, uint32_t slot)
{
	struct dp_leg *leg = &t->legs[slot];
	struct dp_leg_cfg *cfg = leg->cfg;

	ssrc_keys_del(t, cfg, NULL, slot);
	flow_del(t, leg, slot);
	rte_hash_del_key(t->leg_ids, &cfg->leg_id);
	__atomic_store_n(&leg->cfg, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&leg->gen, leg->gen + 1, __ATOMIC_RELEASE);
	leg->ctl_latched = false;
	t->confs[cfg->conf_slot].n_legs--;
	t->worker_legs[leg->owner]--;
	t->n_legs--;
	retire(t, RETIRE_LEG, cfg, slot);
}

int
dp_tables_leg_del(struct dp_tables *t, uint32_t leg_id)
{
	int64_t s = id_lookup(t->leg_ids, leg_id);
	struct dp_conf_members *members = NULL;
	uint32_t slot, cslot;
	struct dp_conf *c;

	if (s < 0)
		return DP_ERR_NOT_FOUND;
	slot = (uint32_t)s;
	cslot = t->legs[slot].cfg->conf_slot;
	c = &t->confs[cslot];
	/* Everything that can fail comes first: then the leg goes as a whole or not at all. */
	if (retire_reserve(t, 2) != 0)
		return DP_ERR_INTERNAL;
	if (c->n_legs > 1) {
		members = members_build(t, c->members, SLOT_NONE, slot);
		if (members == NULL)
			return DP_ERR_INTERNAL;
	}
	leg_unpublish(t, slot);
	if (members != NULL)
		retire(t, RETIRE_MEMBERS, conf_publish(c, members), 0);
	else
		conf_release(t, cslot);         /* its last leg */
	retire_commit(t);
	return DP_OK;
}

int
dp_tables_conf_del(struct dp_tables *t, uint32_t conf_id, uint32_t *n_removed)
{
	int64_t cslot = id_lookup(t->conf_ids, conf_id);
	const struct dp_conf_members *m;

	*n_removed = 0;
	if (cslot < 0)
		return DP_ERR_NOT_FOUND;
	m = t->confs[cslot].members;
	if (retire_reserve(t, m->n + 1) != 0)
		return DP_ERR_INTERNAL;
	/* One pass: the member list stays as it is until the conference goes with it. */
	for (uint32_t i = 0; i < m->n; i++)
		leg_unpublish(t, m->legs[i]);
	*n_removed = m->n;
	conf_release(t, (uint32_t)cslot);
	retire_commit(t);
	return DP_OK;
}

int
dp_tables_leg_update(struct dp_tables *t, const struct dp_leg_spec *spec, const char **err)
{
	struct dp_conf_members *m_new = NULL, *m_old_new = NULL;
	struct dp_leg_crypto *crypto = NULL;
	struct dp_leg_cfg *old, *cfg;
	struct dp_leg *leg;
	bool conf_created = false;
	int64_t s = id_lookup(t->leg_ids, spec->leg_id);
	uint32_t slot, old_cslot, new_cslot = SLOT_NONE;
	int status;

	*err = NULL;
	if (s < 0) {
		*err = "no such leg";
		return DP_ERR_NOT_FOUND;
	}
	slot = (uint32_t)s;
	leg = &t->legs[slot];
	old = leg->cfg;
	old_cslot = old->conf_slot;

	if ((spec->has & DP_LEG_HAS_SUITE) && spec->suite != old->suite &&
	    (spec->has & (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT)) !=
	    (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT)) {
		*err = "changing the suite needs both keys";
		return DP_ERR_INVALID;
	}
	if ((spec->has & (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT)) != 0 &&
	    (spec->has & (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT)) !=
	    (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT)) {
		*err = "a key change needs both keys";
		return DP_ERR_INVALID;
	}
	/* without a new suite, only we know the suite that the keys must fit */
	if ((spec->has & DP_LEG_HAS_KEY_IN) != 0) {
		uint8_t suite = (spec->has & DP_LEG_HAS_SUITE) ? spec->suite : old->suite;
		size_t want = dp_suite_key_len(suite) + dp_suite_salt_len(suite);

		if (spec->key_in_len != want || spec->key_out_len != want) {
			*err = "key length does not match suite";
			return DP_ERR_BAD_KEY;
		}
	}
	if ((spec->has & DP_LEG_HAS_MEDIA_PORT) &&
	    dp_config_media_index(t->cfg, spec->media_port) < 0) {
		*err = "not a media port of this relay";
		return DP_ERR_BAD_PORT;
	}

	/* Room to retire two member lists, the old configuration and the old conference. */
	cfg = obj_zalloc(sizeof(*cfg));
	if (cfg == NULL || retire_reserve(t, 4) != 0) {
		obj_free(cfg);
		*err = "out of memory";
		return DP_ERR_INTERNAL;
	}
	*cfg = *old;
	if (spec->has & DP_LEG_HAS_CONF && spec->conf_id != old->conf_id) {
		cfg->conf_id = spec->conf_id;
		new_cslot = conf_get(t, spec->conf_id, &conf_created);
		cfg->conf_slot = new_cslot;
		if (new_cslot == SLOT_NONE) {
			*err = "conference table full";
			status = DP_ERR_FULL;
			goto fail;
		}
	}
	if (spec->has & DP_LEG_HAS_MEDIA_PORT)
		cfg->media_port = spec->media_port;
	if (spec->has & DP_LEG_HAS_SSRCS)
		cfg_set_ssrcs(cfg, spec);
	if (spec->has & DP_LEG_HAS_FLAGS)
		cfg->flags = spec->flags;
	if (spec->has & DP_LEG_HAS_REMOTE) {
		cfg->has_remote = true;
		cfg->remote = spec->remote;
		cfg->remote_gen = old->remote_gen + 1;
	}
	if (!ssrcs_free(t, cfg->media_port, cfg->conf_slot, cfg->ssrcs, cfg->n_ssrcs, slot)) {
		*err = "SSRC already used on this media port or in this conference";
		status = DP_ERR_SSRC_IN_USE;
		goto fail;
	}
	if (spec->has & DP_LEG_HAS_KEY_IN) {
		struct dp_leg_spec ks = *spec;

		if (!(spec->has & DP_LEG_HAS_SUITE))
			ks.suite = old->suite;
		cfg->suite = ks.suite;
		crypto = crypto_create(t, &ks, err, &status);
		dp_proto_wipe(&ks, sizeof(ks));
		if (crypto == NULL)
			goto fail;
		cfg->crypto = crypto;
	}
	if (cfg->conf_slot != old_cslot) {
		m_new = members_build(t, t->confs[cfg->conf_slot].members, slot, SLOT_NONE);
		m_old_new = members_build(t, t->confs[old_cslot].members, SLOT_NONE, slot);
		if (m_new == NULL || m_old_new == NULL) {
			*err = "out of memory";
			status = DP_ERR_INTERNAL;
			goto fail;
		}
	}

	/* Publish: new cfg first, so that a key found below always leads to a cfg that has it. */
	__atomic_store_n(&leg->cfg, cfg, __ATOMIC_RELEASE);
	if (ssrc_keys_add(t, cfg, slot) != 0) {
		/* Keep the old configuration: restore it and its keys. */
		__atomic_store_n(&leg->cfg, old, __ATOMIC_RELEASE);
		ssrc_keys_del(t, cfg, old, slot);
		ssrc_keys_add(t, old, slot);
		retire(t, crypto != NULL ? RETIRE_CFG_CRYPTO : RETIRE_CFG, cfg, 0);
		cfg = NULL;
		crypto = NULL;
		*err = "SSRC table full";
		status = DP_ERR_FULL;
		goto fail;
	}
	ssrc_keys_del(t, old, cfg, slot);
	if (cfg->media_port != old->media_port)
		flow_del(t, leg, slot);
	if (m_new != NULL) {
		retire(t, RETIRE_MEMBERS, conf_publish(&t->confs[cfg->conf_slot], m_new), 0);
		retire(t, RETIRE_MEMBERS, conf_publish(&t->confs[old_cslot], m_old_new), 0);
		t->confs[cfg->conf_slot].n_legs++;
		t->confs[old_cslot].n_legs--;
	}
	/* The old configuration keeps its crypto when the new one shares it. */
	retire(t, crypto != NULL ? RETIRE_CFG_CRYPTO : RETIRE_CFG, old, 0);
	if (m_new != NULL && t->confs[old_cslot].n_legs == 0)
		conf_release(t, old_cslot);
	retire_commit(t);
	return DP_OK;
fail:
	obj_free(m_new);
	obj_free(m_old_new);
	crypto_free(t, crypto, STATE_UNCLAIM);
	obj_free(cfg);
	if (conf_created)
		conf_release(t, new_cslot);
	retire_commit(t);
	return status;
}

void
dp_tables_latch(struct dp_tables *t, uint32_t slot, uint32_t gen, const struct dp_endpoint *ep)
{
	struct dp_leg *leg;
	struct dp_leg_cfg *cfg;
	struct dp_flow_key k;

	if (slot >= t->max_legs)
		return;
	leg = &t->legs[slot];
	cfg = leg->cfg;
	if (cfg == NULL || leg->gen != gen)
		return;                 /* the leg left while the event was queued */
	memset(&k, 0, sizeof(k));
	memcpy(k.ip, ep->ip, sizeof(k.ip));
	k.rport = ep->port;
	k.lport = cfg->media_port;
	leg->ctl_latched = true;
	leg->ctl_latched_ep = *ep;
	if (leg->ctl_flow_valid && memcmp(&k, &leg->ctl_flow, sizeof(k)) == 0)
		return;
	flow_del(t, leg, slot);
	/* Another leg latched to the same 5-tuple loses it: the newest authenticated one wins. */
	if (rte_hash_add_key_data(t->flow, &k, (void *)(uintptr_t)slot) == 0) {
		leg->ctl_flow = k;
		leg->ctl_flow_valid = true;
	}
}

int
dp_tables_leg_info(const struct dp_tables *t, uint32_t leg_id, struct dp_leg_info *info)
{
	int64_t slot = id_lookup(t->leg_ids, leg_id);
	const struct dp_leg *leg;
	const struct dp_leg_cfg *cfg;

	if (slot < 0)
		return DP_ERR_NOT_FOUND;
	leg = &t->legs[slot];
	cfg = leg->cfg;
	memset(info, 0, sizeof(*info));
	info->spec.has = DP_LEG_HAS_CONF | DP_LEG_HAS_SUITE | DP_LEG_HAS_MEDIA_PORT |
			 DP_LEG_HAS_SSRCS | DP_LEG_HAS_FLAGS |
			 (cfg->has_remote ? DP_LEG_HAS_REMOTE : 0);
	info->spec.leg_id = cfg->leg_id;
	info->spec.conf_id = cfg->conf_id;
	info->spec.flags = cfg->flags;
	info->spec.suite = cfg->suite;
	info->spec.media_port = cfg->media_port;
	info->spec.n_ssrcs = cfg->n_ssrcs;
	memcpy(info->spec.ssrcs, cfg->ssrcs, sizeof(uint32_t) * cfg->n_ssrcs);
	info->spec.remote = cfg->remote;
	info->owner_lcore = leg->owner;
	info->latched = leg->ctl_latched;
	info->latched_ep = leg->ctl_latched_ep;
	/* Written by the owner lcore; a 64-bit load is atomic here, a sample may be a bit old. */
	info->counters = leg->rt.counters;
	return DP_OK;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

unsigned int
dp_tables_leg_ids(const struct dp_tables *t, uint32_t conf_id, uint32_t after, uint32_t *ids,
		  unsigned int max)
{
	uint32_t *all;
	unsigned int n = 0;

	if (t->n_legs == 0 || max == 0)
		return 0;
	all = malloc(sizeof(uint32_t) * t->n_legs);
	if (all == NULL)
		return 0;
	for (uint32_t i = 0; i < t->max_legs && n < t->n_legs; i++) {
		const struct dp_leg_cfg *cfg = t->legs[i].cfg;

		if (cfg != NULL && cfg->leg_id > after && (conf_id == 0 || cfg->conf_id == conf_id))
			all[n++] = cfg->leg_id;
	}
	qsort(all, n, sizeof(uint32_t), cmp_u32);
	n = RTE_MIN(n, max);
	memcpy(ids, all, sizeof(uint32_t) * n);
	free(all);
	return n;
}
