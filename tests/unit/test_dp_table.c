/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: writer operations and their checks, deferred reclamation (nothing
 * retired is freed or reused before every reader has been quiescent), and lock-free readers
 * on other lcores while the control thread adds, removes and re-adds legs.
 * Runs EAL without hugepages; exits 77 (skip) when EAL cannot start here.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dp_config.h"
#include "dp_state.h"
#include "dp_table.h"
#include "ut.h"

#define CHURN_ROUNDS 600
#define READER_SSRCS 64
#define BIG_LEGS 2048
#define BIG_CONF_LEGS 1000

static struct dp_config tcfg;
static struct dp_tables *t;

static void
spec_make(struct dp_leg_spec *s, uint32_t leg, uint32_t conf, uint16_t port, uint32_t ssrc)
{
	memset(s, 0, sizeof(*s));
	s->has = DP_LEG_HAS_ALL_REQUIRED;
	s->leg_id = leg;
	s->conf_id = conf;
	s->suite = DP_SUITE_AES_CM_128_HMAC_SHA1_80;
	s->media_port = port;
	s->key_in_len = s->key_out_len = 30;
	for (unsigned int i = 0; i < 30; i++) {
		s->key_in[i] = (uint8_t)(leg + i);
		s->key_out[i] = (uint8_t)(leg * 3 + i);
	}
	s->n_ssrcs = 1;
	s->ssrcs[0] = ssrc;
}

static int
setup(void)
{
	dp_config_defaults(&tcfg);
	tcfg.n_media_ports = 2;
	tcfg.media_ports[0] = 40000;
	tcfg.media_ports[1] = 40001;
	tcfg.max_legs = 64;
	tcfg.max_conferences = 16;
	tcfg.max_ssrcs = 256;
	tcfg.max_flows = 64;
	t = dp_tables_create(&tcfg, 2, SOCKET_ID_ANY, NULL);
	return t == NULL;
}

/* Tables for one large conference: BIG_CONF_LEGS legs and room to spare. */
static int
setup_big(void)
{
	dp_config_defaults(&tcfg);
	tcfg.n_media_ports = 1;
	tcfg.media_ports[0] = 40000;
	tcfg.max_legs = BIG_LEGS;
	tcfg.max_conferences = 16;
	tcfg.max_ssrcs = BIG_LEGS * 2;
	tcfg.max_flows = 64;
	t = dp_tables_create(&tcfg, 2, SOCKET_ID_ANY, NULL);
	return t == NULL;
}

static int
teardown(void)
{
	dp_tables_free(t);
	t = NULL;
	return 0;
}

static int64_t
slot_of(uint32_t scope, uint32_t ssrc)
{
	return dp_tables_ssrc_lookup(t, scope, ssrc);
}

/* Objects retired and not yet freed. */
static uint32_t
retired_count(void)
{
	return t->retired_tail - t->retired_head;
}

/* Whether slot is on the free list of legs. */
static bool
leg_slot_free(uint32_t slot)
{
	for (uint32_t s = t->free_leg, n = 0; s != UINT32_MAX && n <= t->max_legs;
	     s = t->legs[s].next_free, n++)
		if (s == slot)
			return true;
	return false;
}

static uint32_t
free_legs(void)
{
	uint32_t n = 0;

	for (uint32_t s = t->free_leg; s != UINT32_MAX && n <= t->max_legs; s = t->legs[s].next_free)
		n++;
	return n;
}

static bool
conf_slot_free(uint32_t slot)
{
	for (uint32_t s = t->free_conf, n = 0; s != UINT32_MAX && n <= t->max_confs;
	     s = t->confs[s].next_free, n++)
		if (s == slot)
			return true;
	return false;
}

/*
 * A reader that holds on: reader 0 online on this thread and never quiescent, so that no
 * grace period ends until quiet_reader_done(). Nothing here may wait for one meanwhile.
 */
static void
quiet_reader_start(void)
{
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_thread_register(t->rcu, 0), 0);
	rte_rcu_qsbr_thread_online(t->rcu, 0);
}

static void
quiet_reader_quiescent(void)
{
	rte_rcu_qsbr_quiescent(t->rcu, 0);
}

static void
quiet_reader_done(void)
{
	rte_rcu_qsbr_thread_offline(t->rcu, 0);
	rte_rcu_qsbr_thread_unregister(t->rcu, 0);
}

/* Every live leg of conference slot cs is in its member list once, grouped by owner. */
static void
check_members(uint32_t cs)
{
	const struct dp_conf_members *m = t->confs[cs].members;
	uint32_t seen = 0, in_groups = 0;
	uint8_t *mark;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->n, t->confs[cs].n_legs);
	mark = calloc(t->max_legs, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mark);
	for (uint32_t g = 0; g < m->n_groups; g++) {
		in_groups += m->groups[g].count;
		for (uint32_t i = 0; i < m->groups[g].count; i++) {
			uint32_t s = m->legs[m->groups[g].first + i];

			CU_ASSERT_EQUAL(t->legs[s].owner, m->groups[g].owner);
			CU_ASSERT_PTR_NOT_NULL(t->legs[s].cfg);
			CU_ASSERT_EQUAL(mark[s], 0);
			mark[s] = 1;
		}
	}
	CU_ASSERT_EQUAL(in_groups, m->n);
	for (uint32_t s = 0; s < t->max_legs; s++) {
		if (t->legs[s].cfg != NULL && t->legs[s].cfg->conf_slot == cs) {
			seen++;
			CU_ASSERT_EQUAL(mark[s], 1);
		}
	}
	CU_ASSERT_EQUAL(seen, m->n);
	free(mark);
}

static void
test_add_and_lookup(void)
{
	struct dp_leg_spec s;
	struct dp_leg_info info;
	const char *err;
	int64_t slot;

	spec_make(&s, 1, 100, 40000, 0x1111);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	slot = slot_of(40000, 0x1111);
	CU_ASSERT_FATAL(slot >= 0);
	CU_ASSERT_EQUAL(slot_of(DP_SCOPE_CONF | t->legs[slot].cfg->conf_slot, 0x1111), slot);
	CU_ASSERT_EQUAL(slot_of(40001, 0x1111), -1);
	CU_ASSERT_EQUAL(dp_tables_leg_info(t, 1, &info), DP_OK);
	CU_ASSERT_EQUAL(info.spec.conf_id, 100);
	CU_ASSERT_EQUAL(info.spec.ssrcs[0], 0x1111);
	CU_ASSERT_EQUAL(info.spec.key_in_len, 0);
	CU_ASSERT_EQUAL(info.spec.flags, DP_LEG_F_ALL);
	CU_ASSERT_EQUAL(t->n_legs, 1);
	CU_ASSERT_EQUAL(t->n_confs, 1);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 1), DP_OK);
	CU_ASSERT_EQUAL(slot_of(40000, 0x1111), -1);
	CU_ASSERT_EQUAL(t->n_confs, 0);
}

static void
test_refusals(void)
{
	struct dp_leg_spec s;
	const char *err;

	spec_make(&s, 1, 100, 40000, 0x1111);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	/* same id */
	spec_make(&s, 1, 101, 40001, 0x2222);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_EXISTS);
	/* same SSRC on the same media port, other conference */
	spec_make(&s, 2, 101, 40000, 0x1111);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_SSRC_IN_USE);
	CU_ASSERT_PTR_NOT_NULL(err);
	/* same SSRC in the same conference, other port */
	spec_make(&s, 2, 100, 40001, 0x1111);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_SSRC_IN_USE);
	/* same SSRC, other conference and other port: fine */
	spec_make(&s, 2, 101, 40001, 0x1111);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	/* not a media port */
	spec_make(&s, 3, 100, 5060, 0x3333);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_BAD_PORT);
	/* a refused add left nothing behind */
	CU_ASSERT_EQUAL(t->n_legs, 2);
	CU_ASSERT_EQUAL(t->n_confs, 2);
	CU_ASSERT_EQUAL(slot_of(40000, 0x3333), -1);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 3), DP_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 1), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 2), DP_OK);
	CU_ASSERT_EQUAL(t->n_legs, 0);
	CU_ASSERT_EQUAL(t->n_confs, 0);
}

static void
test_full(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint32_t n;

	for (uint32_t i = 0; i < tcfg.max_legs; i++) {
		int rc;

		spec_make(&s, 1000 + i, 7, 40000, 0x10000 + i);
		rc = dp_tables_leg_add(t, &s, &err);
		if (rc != DP_OK)
			printf("\n  leg %u: %s\n", i, err);
		CU_ASSERT_EQUAL_FATAL(rc, DP_OK);
	}
	spec_make(&s, 5000, 7, 40000, 0x20000);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_FULL);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 7, &n), DP_OK);
	CU_ASSERT_EQUAL(n, tcfg.max_legs);
	CU_ASSERT_EQUAL(t->n_legs, 0);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 7, &n), DP_ERR_NOT_FOUND);
	/* every slot is usable again */
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 5000), DP_OK);
}

static void
test_members_grouped_by_owner(void)
{
	struct dp_leg_spec s;
	const struct dp_conf_members *m;
	const char *err;
	uint32_t n;

	for (uint32_t i = 0; i < 5; i++) {
		spec_make(&s, 10 + i, 9, 40000, 0x500 + i);
		CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	}
	m = t->confs[slot_of(40000, 0x500) >= 0 ? t->legs[slot_of(40000, 0x500)].cfg->conf_slot : 0].members;
	CU_ASSERT_EQUAL(m->n, 5);
	CU_ASSERT_EQUAL(m->n_groups, 2);        /* two workers, placed least-loaded first */
	CU_ASSERT_EQUAL(m->groups[0].count + m->groups[1].count, 5);
	for (uint32_t g = 0; g < m->n_groups; g++)
		for (uint32_t i = 0; i < m->groups[g].count; i++)
			CU_ASSERT_EQUAL(t->legs[m->legs[m->groups[g].first + i]].owner, m->groups[g].owner);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 9, &n), DP_OK);
	CU_ASSERT_EQUAL(n, 5);
}

static void
test_update(void)
{
	struct dp_leg_spec s, u;
	struct dp_leg_info info;
	const char *err;
	int64_t slot;
	uint32_t gen, remote_gen;

	spec_make(&s, 20, 30, 40000, 0xa1);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	slot = slot_of(40000, 0xa1);
	gen = t->legs[slot].gen;
	remote_gen = t->legs[slot].cfg->remote_gen;

	/* new SSRC list: the old key goes, the new ones come */
	memset(&u, 0, sizeof(u));
	u.leg_id = 20;
	u.has = DP_LEG_HAS_SSRCS;
	u.n_ssrcs = 2;
	u.ssrcs[0] = 0xa2;
	u.ssrcs[1] = 0xa3;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_OK);
	CU_ASSERT_EQUAL(slot_of(40000, 0xa1), -1);
	CU_ASSERT_EQUAL(slot_of(40000, 0xa2), slot);
	CU_ASSERT_EQUAL(slot_of(40000, 0xa3), slot);
	CU_ASSERT_EQUAL(t->legs[slot].gen, gen);        /* same leg, not a new one */

	/* move to another conference and media port */
	memset(&u, 0, sizeof(u));
	u.leg_id = 20;
	u.has = DP_LEG_HAS_CONF | DP_LEG_HAS_MEDIA_PORT;
	u.conf_id = 31;
	u.media_port = 40001;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_OK);
	CU_ASSERT_EQUAL(slot_of(40000, 0xa2), -1);
	CU_ASSERT_EQUAL(slot_of(40001, 0xa2), slot);
	CU_ASSERT_EQUAL(dp_tables_leg_info(t, 20, &info), DP_OK);
	CU_ASSERT_EQUAL(info.spec.conf_id, 31);
	CU_ASSERT_EQUAL(t->n_confs, 1);                 /* conference 30 left empty, released */

	/* signalled remote */
	memset(&u, 0, sizeof(u));
	u.leg_id = 20;
	u.has = DP_LEG_HAS_REMOTE;
	CU_ASSERT_EQUAL(dp_endpoint_parse("198.18.0.50:5000", &u.remote), 0);
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_OK);
	CU_ASSERT_EQUAL(t->legs[slot].cfg->remote_gen, remote_gen + 1);
	CU_ASSERT(t->legs[slot].cfg->has_remote);

	/* keys change only in pairs; a suite change needs keys */
	memset(&u, 0, sizeof(u));
	u.leg_id = 20;
	u.has = DP_LEG_HAS_KEY_IN;
	u.key_in_len = 30;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_ERR_INVALID);
	u.has = DP_LEG_HAS_SUITE;
	u.suite = DP_SUITE_AEAD_AES_128_GCM;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_ERR_INVALID);
	spec_make(&u, 20, 0, 0, 0);
	u.has = DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT;
	u.key_in_len = u.key_out_len = 28;      /* a GCM key for an AES-CM leg */
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_ERR_BAD_KEY);
	u.key_in_len = u.key_out_len = 30;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_OK);

	/* an update that collides keeps the old state */
	spec_make(&s, 21, 31, 40001, 0xb1);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	memset(&u, 0, sizeof(u));
	u.leg_id = 20;
	u.has = DP_LEG_HAS_SSRCS;
	u.n_ssrcs = 1;
	u.ssrcs[0] = 0xb1;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_ERR_SSRC_IN_USE);
	CU_ASSERT_EQUAL(slot_of(40001, 0xa2), slot);
	CU_ASSERT_NOT_EQUAL(slot_of(40001, 0xb1), slot);
	u.leg_id = 99;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_ERR_NOT_FOUND);

	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 20), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 21), DP_OK);
	/* the slot's generation moved on: queued packets for the old leg are recognised */
	CU_ASSERT_NOT_EQUAL(t->legs[slot].gen, gen);
}

static void
test_latch_flow(void)
{
	struct dp_leg_spec s;
	struct dp_leg_info info;
	struct dp_endpoint a, b;
	struct dp_flow_key k;
	const char *err;
	void *data;
	int64_t slot;

	spec_make(&s, 40, 50, 40000, 0xc1);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	slot = slot_of(40000, 0xc1);
	dp_endpoint_parse("198.18.0.11:5004", &a);
	dp_endpoint_parse("[2001:db8:5c::11]:5004", &b);

	dp_tables_latch(t, (uint32_t)slot, t->legs[slot].gen, &a);
	memset(&k, 0, sizeof(k));
	memcpy(k.ip, a.ip, 16);
	k.rport = a.port;
	k.lport = 40000;
	CU_ASSERT(rte_hash_lookup_data(t->flow, &k, &data) >= 0);
	CU_ASSERT_EQUAL((int64_t)(uintptr_t)data, slot);
	CU_ASSERT_EQUAL(dp_tables_leg_info(t, 40, &info), DP_OK);
	CU_ASSERT(info.latched);

	/* re-latch (NAT rebinding): the old 5-tuple no longer leads to the leg */
	dp_tables_latch(t, (uint32_t)slot, t->legs[slot].gen, &b);
	CU_ASSERT(rte_hash_lookup_data(t->flow, &k, &data) < 0);
	/* a latch from a generation that is gone changes nothing */
	dp_tables_latch(t, (uint32_t)slot, t->legs[slot].gen + 1, &a);
	CU_ASSERT(rte_hash_lookup_data(t->flow, &k, &data) < 0);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 40), DP_OK);
	memcpy(k.ip, b.ip, 16);
	CU_ASSERT(rte_hash_lookup_data(t->flow, &k, &data) < 0);
}

static void
test_list_pages(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint32_t ids[8], n;

	for (uint32_t i = 0; i < 20; i++) {
		spec_make(&s, 300 - i * 10, i % 2 ? 61 : 60, 40000, 0xd00 + i);
		CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	}
	CU_ASSERT_EQUAL(dp_tables_leg_ids(t, 0, 0, ids, 8), 8);
	CU_ASSERT_EQUAL(ids[0], 110);
	CU_ASSERT_EQUAL(ids[7], 180);
	CU_ASSERT_EQUAL(dp_tables_leg_ids(t, 0, 180, ids, 8), 8);
	CU_ASSERT_EQUAL(ids[0], 190);
	CU_ASSERT_EQUAL(dp_tables_leg_ids(t, 0, 260, ids, 8), 4);
	CU_ASSERT_EQUAL(dp_tables_leg_ids(t, 60, 0, ids, 8), 8);
	for (unsigned int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL((300 - ids[i]) / 10 % 2, 0);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 60, &n), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 61, &n), DP_OK);
	CU_ASSERT_EQUAL(t->n_legs, 0);
}

/* ---- deferred reclamation ---- */

static void
test_removed_slot_reused_only_after_grace_period(void)
{
	struct dp_leg_spec s;
	const char *err;
	int64_t a, b, c;
	uint32_t gen_a, conf_a;

	/* given a reader that has not been quiescent since leg 1 was removed */
	spec_make(&s, 1, 100, 40000, 0x1111);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	dp_tables_reclaim(t);
	a = slot_of(40000, 0x1111);
	CU_ASSERT_FATAL(a >= 0);
	gen_a = t->legs[a].gen;
	conf_a = t->legs[a].cfg->conf_slot;
	quiet_reader_start();
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 1), DP_OK);
	CU_ASSERT_PTR_NULL(t->legs[a].cfg);
	CU_ASSERT_NOT_EQUAL(t->legs[a].gen, gen_a);
	/* then neither its slot nor its conference's is free, however often we reclaim */
	dp_tables_reclaim(t);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(t->pending_legs, 1);
	CU_ASSERT_EQUAL(t->pending_confs, 1);
	CU_ASSERT_FALSE(leg_slot_free((uint32_t)a));
	CU_ASSERT_FALSE(conf_slot_free(conf_a));
	/* and a new leg in a new conference gets other slots */
	spec_make(&s, 2, 101, 40000, 0x2222);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	b = slot_of(40000, 0x2222);
	CU_ASSERT_NOT_EQUAL(b, a);
	CU_ASSERT_NOT_EQUAL(t->legs[b].cfg->conf_slot, conf_a);
	/* when the reader has been quiescent, reclaim frees them */
	quiet_reader_quiescent();
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(t->pending_legs, 0);
	CU_ASSERT_EQUAL(t->pending_confs, 0);
	CU_ASSERT_EQUAL(retired_count(), 0);
	CU_ASSERT_TRUE(leg_slot_free((uint32_t)a));
	CU_ASSERT_TRUE(conf_slot_free(conf_a));
	/* and the next leg takes the slot, under the new generation */
	spec_make(&s, 3, 102, 40000, 0x3333);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	c = slot_of(40000, 0x3333);
	CU_ASSERT_EQUAL(c, a);
	CU_ASSERT_EQUAL(t->legs[c].gen, gen_a + 1);
	quiet_reader_done();
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 2), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 3), DP_OK);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs);
}

static void
test_replaced_configuration_freed_only_after_grace_period(void)
{
	struct dp_leg_spec s, u;
	const struct dp_leg_cfg *old;
	const struct dp_leg_crypto *old_crypto;
	const char *err;
	int64_t slot;
	uint32_t before;

	spec_make(&s, 5, 105, 40000, 0x5555);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	dp_tables_reclaim(t);
	slot = slot_of(40000, 0x5555);
	old = t->legs[slot].cfg;
	old_crypto = old->crypto;
	quiet_reader_start();
	before = retired_count();
	/* when the keys change while a reader may hold the old configuration */
	spec_make(&u, 5, 0, 0, 0);
	u.has = DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT;
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_update(t, &u, &err), DP_OK);
	dp_tables_reclaim(t);
	/* then the old configuration and its crypto wait, intact */
	CU_ASSERT_NOT_EQUAL(t->legs[slot].cfg, old);
	CU_ASSERT_NOT_EQUAL(t->legs[slot].cfg->crypto, old_crypto);
	CU_ASSERT_EQUAL(retired_count(), before + 1);
	CU_ASSERT_EQUAL(old->leg_id, 5);        /* still readable: not freed, not wiped */
	CU_ASSERT_PTR_EQUAL(old->crypto, old_crypto);
	CU_ASSERT_PTR_NOT_NULL(old_crypto->rtp_in);
	quiet_reader_quiescent();
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(retired_count(), 0);
	quiet_reader_done();
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 5), DP_OK);
}

static void
test_conference_slot_reclaimed_during_add_keeps_leg_free_list(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint32_t n;

	/* given every conference slot in use, one leg each */
	for (uint32_t i = 0; i < t->max_confs; i++) {
		spec_make(&s, 800 + i, 800 + i, 40000, 0x8000 + i);
		CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	}
	dp_tables_reclaim(t);
	/* when one goes (its leg slot and conference slot retired, not reclaimed) and a leg
	 * for a new conference comes: the add reclaims both to find a conference slot */
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 800), DP_OK);
	CU_ASSERT_EQUAL(t->pending_legs, 1);
	CU_ASSERT_EQUAL(t->pending_confs, 1);
	spec_make(&s, 900, 900, 40000, 0x9000);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	CU_ASSERT_EQUAL(t->pending_legs, 0);
	/* then no leg slot was lost on the way */
	CU_ASSERT_EQUAL(free_legs() + t->n_legs, t->max_legs);
	for (uint32_t i = 1; i < t->max_confs; i++)
		CU_ASSERT_EQUAL(dp_tables_conf_del(t, 800 + i, &n), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 900, &n), DP_OK);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs);
}

static void
test_free_with_retired_objects_frees_them(void)
{
	struct dp_leg_spec s, u;
	const char *err;
	uint32_t n;

	/* given removed legs, a removed conference and replaced configurations, all retired */
	quiet_reader_start();
	for (uint32_t i = 0; i < 12; i++) {
		spec_make(&s, 600 + i, 60 + i % 3, 40000 + i % 2, 0x6000 + i);
		CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	}
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 600), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 61, &n), DP_OK);
	CU_ASSERT_EQUAL(n, 4);
	spec_make(&u, 602, 0, 0, 0);
	u.has = DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT | DP_LEG_HAS_CONF;
	u.conf_id = 63;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_OK);
	dp_tables_reclaim(t);
	CU_ASSERT(retired_count() > 10);
	CU_ASSERT_EQUAL(t->pending_legs, 5);
	quiet_reader_done();
	/* when the tables are freed with it all (and live legs) still there: nothing leaks
	 * and nothing is freed twice (the sanitizer build checks it) */
	teardown();
	CU_ASSERT_EQUAL_FATAL(setup(), 0);
	CU_ASSERT_EQUAL(t->n_legs, 0);
	CU_ASSERT_EQUAL(retired_count(), 0);
}

static void
test_refused_add_and_update_keep_free_lists_right(void)
{
	struct dp_leg_spec s, u;
	const char *err;

	spec_make(&s, 7, 70, 40000, 0x7000);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	/* an add refused after it took a new conference gives the conference back */
	spec_make(&s, 8, 71, 40000, 0x7000);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_SSRC_IN_USE);
	/* an update refused after it took a new conference, too */
	memset(&u, 0, sizeof(u));
	u.leg_id = 7;
	u.has = DP_LEG_HAS_CONF | DP_LEG_HAS_MEDIA_PORT | DP_LEG_HAS_SSRCS;
	u.conf_id = 72;
	u.media_port = 40000;
	u.n_ssrcs = 1;
	u.ssrcs[0] = 0x7000;
	spec_make(&s, 9, 73, 40000, 0x7001);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	u.ssrcs[0] = 0x7001;
	CU_ASSERT_EQUAL(dp_tables_leg_update(t, &u, &err), DP_ERR_SSRC_IN_USE);
	CU_ASSERT_EQUAL(t->n_confs, 2);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 7), DP_OK);
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 9), DP_OK);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(t->n_confs, 0);
	CU_ASSERT_EQUAL(t->pending_legs, 0);
	CU_ASSERT_EQUAL(t->pending_confs, 0);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs);
	for (uint32_t i = 0; i < t->max_confs; i++)
		CU_ASSERT_TRUE(conf_slot_free(i));
}

/* ---- one large conference ---- */

static void
test_many_legs_in_one_conference(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint32_t cs, n, free_before = free_legs();

	/* given a reader that is never quiescent: no change may wait for it */
	quiet_reader_start();
	for (uint32_t i = 0; i < BIG_CONF_LEGS; i++) {
		spec_make(&s, 10000 + i, 500, 40000, 0x100000 + i);
		CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	}
	cs = t->legs[slot_of(40000, 0x100000)].cfg->conf_slot;
	CU_ASSERT_EQUAL(t->confs[cs].n_legs, BIG_CONF_LEGS);
	check_members(cs);
	/* removing every other leg one by one keeps the list exact */
	for (uint32_t i = 0; i < BIG_CONF_LEGS; i += 2)
		CU_ASSERT_EQUAL(dp_tables_leg_del(t, 10000 + i), DP_OK);
	CU_ASSERT_EQUAL(t->confs[cs].n_legs, BIG_CONF_LEGS / 2);
	check_members(cs);
	/* when the conference is deleted while the reader still holds on */
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 500, &n), DP_OK);
	/* then all its legs went at once, and their slots wait for the reader */
	CU_ASSERT_EQUAL(n, BIG_CONF_LEGS / 2);
	CU_ASSERT_EQUAL(t->n_legs, 0);
	CU_ASSERT_EQUAL(t->n_confs, 0);
	CU_ASSERT_PTR_NULL(t->confs[cs].members);
	CU_ASSERT_EQUAL(slot_of(40000, 0x100001), -1);
	CU_ASSERT_EQUAL(slot_of(DP_SCOPE_CONF | cs, 0x100001), -1);
	CU_ASSERT_EQUAL(t->pending_legs, BIG_CONF_LEGS);
	CU_ASSERT_EQUAL(free_legs(), free_before - BIG_CONF_LEGS);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(t->pending_legs, BIG_CONF_LEGS);
	quiet_reader_quiescent();
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(t->pending_legs, 0);
	CU_ASSERT_EQUAL(t->pending_confs, 0);
	CU_ASSERT_EQUAL(retired_count(), 0);
	CU_ASSERT_EQUAL(free_legs(), free_before);
	quiet_reader_done();
}

static void
test_add_delete_readd_in_one_conference_keeps_members_exact(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint32_t live[64] = { 0 }, cs = UINT32_MAX, n, rng = 12345;

	/* random adds and deletes of 64 ids in one conference, reclaiming as the control
	 * thread does */
	spec_make(&s, 20000, 600, 40000, 0x200000);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	live[0] = 1;
	cs = t->legs[slot_of(40000, 0x200000)].cfg->conf_slot;
	for (unsigned int round = 0; round < 3000; round++) {
		uint32_t i;

		rng = rng * 1103515245u + 12345u;
		i = (rng >> 16) % 64;
		if (i == 0)
			continue;               /* leg 20000 keeps the conference */
		if (live[i]) {
			CU_ASSERT_EQUAL_FATAL(dp_tables_leg_del(t, 20000 + i), DP_OK);
		} else {
			spec_make(&s, 20000 + i, 600, 40000, 0x200000 + i + 64 * (round % 7));
			CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
		}
		live[i] = !live[i];
		if (round % 5 == 0)
			dp_tables_reclaim(t);
	}
	check_members(cs);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 600, &n), DP_OK);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(t->n_legs, 0);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs);
	CU_ASSERT_EQUAL(retired_count(), 0);
}

/* ---- readers under churn ---- */

static volatile int churn_stop;
static uint64_t reader_hits[RTE_MAX_LCORE];
static uint64_t reader_errors[RTE_MAX_LCORE];

/* Leg id of the leg that sends ssrc in the churn test: fixed, so readers can check it. */
static uint32_t
churn_leg_id(uint32_t ssrc)
{
	return 7000 + (ssrc - 0xe000);
}

/*
 * A member list a reader holds: consistent, and every leg in it still of that conference
 * (a slot reused before the list that names it was gone would belong to another). The
 * churn tests never move a leg between conferences. Returns the errors found.
 */
static unsigned int
check_list(const struct dp_conf_members *m, uint32_t cs)
{
	unsigned int errors = 0;
	uint32_t sum = 0;

	if (m->n > t->max_legs || m->n_groups > t->n_workers)
		return 1;
	for (uint32_t g = 0; g < m->n_groups; g++) {
		sum += m->groups[g].count;
		for (uint32_t i = 0; i < m->groups[g].count && m->groups[g].first + i < m->n; i++) {
			uint32_t s = m->legs[m->groups[g].first + i];
			const struct dp_leg_cfg *c = s < t->max_legs ?
				dp_leg_cfg_load(dp_tables_leg(t, s)) : NULL;

			if (s >= t->max_legs || (c != NULL && (c->leg_id == 0 || c->conf_slot != cs)))
				errors++;
		}
	}
	return errors + (sum != m->n);
}

static int
reader(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	unsigned int lcore = rte_lcore_id();

	rte_rcu_qsbr_thread_register(t->rcu, id);
	rte_rcu_qsbr_thread_online(t->rcu, id);
	while (!churn_stop) {
		for (uint32_t ssrc = 0xe000; ssrc < 0xe000 + READER_SSRCS; ssrc++) {
			int64_t slot = dp_tables_ssrc_lookup(t, 40000, ssrc);
			const struct dp_leg *leg;
			const struct dp_leg_cfg *cfg;
			const struct dp_conf_members *m;

			if (slot < 0)
				continue;
			leg = dp_tables_leg(t, (uint32_t)slot);
			(void)dp_leg_gen_load(leg);
			cfg = dp_leg_cfg_load(leg);
			if (cfg == NULL)
				continue;       /* removed between the two loads: allowed */
			/* A configuration is zeroed before it is freed: leg id 0 is a use after free. */
			if (cfg->leg_id == 0 || cfg->conf_slot >= t->max_confs)
				reader_errors[lcore]++;
			else if (cfg->leg_id == churn_leg_id(ssrc) && dp_leg_cfg_has_ssrc(cfg, ssrc))
				reader_hits[lcore]++;
			/* (a slot reused by another leg may be seen once, then the key moves) */
			m = dp_conf_members_load(&t->confs[cfg->conf_slot]);
			if (m != NULL)
				reader_errors[lcore] += check_list(m, cfg->conf_slot);
		}
		rte_rcu_qsbr_quiescent(t->rcu, id);
	}
	rte_rcu_qsbr_thread_offline(t->rcu, id);
	rte_rcu_qsbr_thread_unregister(t->rcu, id);
	return 0;
}

static void
readers_start(void)
{
	unsigned int lcore, n_readers = 0;

	churn_stop = 0;
	memset(reader_hits, 0, sizeof(reader_hits));
	memset(reader_errors, 0, sizeof(reader_errors));
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n_readers == 2)
			break;
		rte_eal_remote_launch(reader, (void *)(uintptr_t)n_readers++, lcore);
	}
	CU_ASSERT_EQUAL_FATAL(n_readers, 2);
}

/* Stops the readers; the errors they found (hits: legs they found as they should be). */
static uint64_t
readers_stop(uint64_t *hits)
{
	unsigned int lcore;
	uint64_t errors = 0;

	churn_stop = 1;
	rte_eal_mp_wait_lcore();
	*hits = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		*hits += reader_hits[lcore];
		errors += reader_errors[lcore];
	}
	return errors;
}

static void
test_readers_during_churn(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint64_t hits, errors;
	int adds_failed = 0;

	readers_start();
	for (unsigned int round = 0; round < CHURN_ROUNDS; round++) {
		uint32_t ssrc = 0xe000 + round % READER_SSRCS;

		spec_make(&s, churn_leg_id(ssrc), 70 + round % 3, 40000, ssrc);
		if (dp_tables_leg_add(t, &s, &err) != DP_OK)
			adds_failed++;
		if (round >= 8) {
			uint32_t old = 0xe000 + (round - 8) % READER_SSRCS;

			dp_tables_leg_del(t, churn_leg_id(old));
		}
		if (round % 4 == 0)
			dp_tables_reclaim(t);   /* as the control thread does once per loop */
	}
	errors = readers_stop(&hits);
	CU_ASSERT_EQUAL(adds_failed, 0);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT(hits > 0);
	CU_ASSERT_EQUAL(t->n_legs, 8);
	/* the readers are gone: everything retired is freed, every slot accounted for */
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(retired_count(), 0);
	CU_ASSERT_EQUAL(t->pending_legs, 0);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs - 8);
	printf("\n  readers found %" PRIu64 " legs while %u legs came and went\n", hits,
	       CHURN_ROUNDS);
	for (uint32_t c = 70; c < 73; c++) {
		uint32_t n;

		dp_tables_conf_del(t, c, &n);
	}
	CU_ASSERT_EQUAL(t->n_legs, 0);
}

static void
test_readers_during_conference_churn(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint64_t hits, errors;
	uint32_t n, removed = 0;
	int failed = 0;

	/* whole conferences come and go while the readers walk their member lists */
	readers_start();
	for (unsigned int round = 0; round < CHURN_ROUNDS / 10; round++) {
		uint32_t conf = 80 + round % 5;

		for (uint32_t i = 0; i < 12; i++) {
			uint32_t ssrc = 0xe000 + (round * 12 + i) % READER_SSRCS;

			spec_make(&s, churn_leg_id(ssrc), conf, 40000, ssrc);
			if (dp_tables_leg_add(t, &s, &err) != DP_OK)
				failed++;
		}
		if (dp_tables_conf_del(t, conf, &n) != DP_OK)
			failed++;
		removed += n;
		if (round % 2 == 0)
			dp_tables_reclaim(t);
	}
	errors = readers_stop(&hits);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(removed, CHURN_ROUNDS / 10 * 12);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_EQUAL(t->n_legs, 0);
	CU_ASSERT_EQUAL(t->n_confs, 0);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(retired_count(), 0);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs);
	printf("\n  readers found %" PRIu64 " legs while %u conferences came and went\n", hits,
	       CHURN_ROUNDS / 10);
}

static void
test_full_table_waits_for_a_retired_slot(void)
{
	struct dp_leg_spec s;
	const char *err;
	uint64_t hits;
	int64_t slot;
	uint32_t n;

	/* given a full table and running readers */
	readers_start();
	for (uint32_t i = 0; i < t->max_legs; i++) {
		spec_make(&s, 9000 + i, 90, 40000, 0xf000 + i);
		CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	}
	slot = slot_of(40000, 0xf000 + 5);
	/* when one leg goes and another comes before anything is reclaimed */
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 9005), DP_OK);
	CU_ASSERT_EQUAL(t->pending_legs, 1);
	CU_ASSERT_EQUAL(t->free_leg, UINT32_MAX);
	spec_make(&s, 9999, 90, 40000, 0xf999);
	/* then the add waits for the readers and takes the freed slot */
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	CU_ASSERT_EQUAL(slot_of(40000, 0xf999), slot);
	CU_ASSERT_EQUAL(t->pending_legs, 0);
	CU_ASSERT_EQUAL(readers_stop(&hits), 0);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 90, &n), DP_OK);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(free_legs(), t->max_legs);
}

/* The leg's counters in its crypto's state slot: ROC 2 on its SSRC, SRTCP index 500. */
static void
counters_set(uint32_t leg_id)
{
	struct dp_leg_info info;
	struct dp_leg_state *ls;
	struct dp_srtp_replay *r;

	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_info(t, leg_id, &info), DP_OK);
	ls = t->legs[slot_of(40000, info.spec.ssrcs[0])].cfg->crypto->state;
	r = dp_replay_get(&ls->rtp, info.spec.ssrcs[0], info.spec.ssrcs, info.spec.n_ssrcs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r->top = 2ull << 16 | 9;
	r->started = true;
	ls->rtcp_out_index = 500;
}

static const struct dp_leg_state *
leg_state(uint32_t ssrc)
{
	return t->legs[slot_of(40000, ssrc)].cfg->crypto->state;
}

/*
 * Tables (in t) on a state of `slots` legs in the file at path (NULL: in memory), with legs 1
 * and 2 in conference 100; leg 2's keys changed if asked.
 */
static struct dp_state *
relay_start(const char *path, uint32_t slots, bool leg2_new_keys)
{
	struct dp_leg_spec s;
	struct dp_state *st;
	const char *err;
	char msg[256];

	st = dp_state_open(path, slots, 60, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	t = dp_tables_create(&tcfg, 2, SOCKET_ID_ANY, st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	spec_make(&s, 1, 100, 40000, 0x1111);
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	spec_make(&s, 2, 100, 40000, 0x2222);
	if (leg2_new_keys)
		s.key_in[0] ^= 1;
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	return st;
}

static void
test_counters_come_back_with_the_same_leg_and_keys(void)
{
	char path[] = "/tmp/sluice-table-state-XXXXXX";
	struct dp_tables *saved = t;
	struct dp_leg_spec s;
	struct dp_state *st;
	const struct dp_leg_state *ls;
	const struct dp_srtp_replay *r;
	struct dp_state_info info;
	const char *err;
	char msg[256];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	unlink(path);
	/* given a relay that forwarded for legs 1 and 2 and stopped */
	st = relay_start(path, 64, false);
	counters_set(1);
	counters_set(2);
	dp_tables_free(t);
	dp_state_close(st);

	/* when it starts again and gets leg 1 with its keys, leg 2 with new keys */
	st = relay_start(path, 64, true);

	/* then leg 1 goes on from its ROC and beyond its SRTCP index; leg 2 starts afresh */
	ls = leg_state(0x1111);
	r = dp_replay_find(&t->legs[slot_of(40000, 0x1111)].cfg->crypto->state->rtp, 0x1111);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->top, 2ull << 16 | 9);
	CU_ASSERT_EQUAL(ls->rtcp_out_index, 500 + DP_STATE_INDEX_SKIP);
	ls = leg_state(0x2222);
	CU_ASSERT_EQUAL(ls->rtp.n, 0);
	CU_ASSERT_EQUAL(ls->rtcp_out_index, 0);

	/* and a key change gives fresh counters; removal wipes them for good */
	spec_make(&s, 1, 0, 0, 0);
	s.has = DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT;
	s.key_out[3] ^= 1;
	CU_ASSERT_EQUAL_FATAL(dp_tables_leg_update(t, &s, &err), DP_OK);
	ls = leg_state(0x1111);
	CU_ASSERT_EQUAL(ls->rtp.n, 0);
	CU_ASSERT_EQUAL(ls->rtcp_out_index, 0);
	CU_ASSERT_EQUAL(dp_tables_conf_del(t, 100, &(uint32_t){ 0 }), DP_OK);
	rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	dp_tables_reclaim(t);
	dp_tables_free(t);
	dp_state_close(st);
	st = dp_state_open(path, 64, 60, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 1);       /* leg 2's old keys' state, until its ttl */
	dp_state_close(st);
	unlink(path);
	t = saved;
}

static void
test_full_state_file_refuses_the_leg_and_changes_nothing(void)
{
	struct dp_tables *saved = t;
	struct dp_leg_spec s;
	struct dp_state *st;
	const char *err;

	/* given tables whose state holds two legs, both in use */
	st = relay_start(NULL, 2, false);
	/* when a third leg comes, then it is refused and nothing of it stays */
	spec_make(&s, 3, 101, 40000, 0x103);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_ERR_FULL);
	CU_ASSERT_STRING_EQUAL(err, "state file full");
	CU_ASSERT_EQUAL(t->n_legs, 2);
	CU_ASSERT_EQUAL(t->n_confs, 1);
	CU_ASSERT(slot_of(40000, 0x103) < 0);
	/* once a leg goes (after its grace period) the slot serves again */
	CU_ASSERT_EQUAL(dp_tables_leg_del(t, 1), DP_OK);
	rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	dp_tables_reclaim(t);
	CU_ASSERT_EQUAL(dp_tables_leg_add(t, &s, &err), DP_OK);
	dp_tables_free(t);
	dp_state_close(st);
	t = saved;
}

static const struct ut_test writer_tests[] = {
	{ "add and look up by port and conference scope", test_add_and_lookup },
	{ "SRTP counters come back with the same leg and keys, not with others",
	  test_counters_come_back_with_the_same_leg_and_keys },
	{ "full state file refuses the leg and changes nothing",
	  test_full_state_file_refuses_the_leg_and_changes_nothing },
	{ "refuse duplicate id, SSRC clash, bad port; refused add leaves nothing", test_refusals },
	{ "full table, conference delete frees every slot", test_full },
	{ "members grouped by owner lcore", test_members_grouped_by_owner },
	{ "update SSRCs, conference, remote, keys; collision keeps old state", test_update },
	{ "latch moves the flow entry, stale generation ignored", test_latch_flow },
	{ "leg ids paged in ascending order with conference filter", test_list_pages },
	{ "removed leg's and conference's slots reused only after a grace period",
	  test_removed_slot_reused_only_after_grace_period },
	{ "replaced configuration and crypto freed only after a grace period",
	  test_replaced_configuration_freed_only_after_grace_period },
	{ "refused add and update give back what they took",
	  test_refused_add_and_update_keep_free_lists_right },
	{ "conference slot reclaimed during an add keeps the leg free list whole",
	  test_conference_slot_reclaimed_during_add_keeps_leg_free_list },
	{ "tables freed with retired objects pending free them all",
	  test_free_with_retired_objects_frees_them },
	{ NULL, NULL },
};

static const struct ut_test big_tests[] = {
	{ "1000 legs in one conference, deleted at once without waiting for readers",
	  test_many_legs_in_one_conference },
	{ "random add/delete/re-add in one conference keeps its member list exact",
	  test_add_delete_readd_in_one_conference_keeps_members_exact },
	{ NULL, NULL },
};

static const struct ut_test churn_tests[] = {
	{ "lock-free readers during add/delete/re-add", test_readers_during_churn },
	{ "lock-free readers while whole conferences come and go",
	  test_readers_during_conference_churn },
	{ "full table waits one grace period for a retired slot",
	  test_full_table_waits_for_a_retired_slot },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "dp_table", setup, teardown, writer_tests },
	{ "dp_table_big", setup_big, teardown, big_tests },
	{ "dp_table_rcu", setup, teardown, churn_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	static const char *const args[] = {
		"test_dp_table", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
		"--lcores=0@0,1@1,2@1", "--log-level=lib.eal:error",
	};
	char *eal_argv[RTE_DIM(args) + 1], *copies[RTE_DIM(args)];
	int rc;

	/* EAL may reorder argv: free our copies through a second array. */
	for (unsigned int i = 0; i < RTE_DIM(args); i++)
		eal_argv[i] = copies[i] = strdup(args[i]);
	eal_argv[RTE_DIM(args)] = NULL;
	if (rte_eal_init(RTE_DIM(args), eal_argv) < 0) {
		fprintf(stderr, "EAL cannot start here: skipping\n");
		for (unsigned int i = 0; i < RTE_DIM(args); i++)
			free(copies[i]);
		return 77;
	}
	rc = ut_run(suites);
	rte_eal_cleanup();
	for (unsigned int i = 0; i < RTE_DIM(args); i++)
		free(copies[i]);
	return rc;
}
