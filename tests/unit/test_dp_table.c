/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: writer operations and their checks, and lock-free readers on other
 * lcores while the control thread adds, removes and re-adds legs (RCU reclaim).
 * Runs EAL without hugepages; exits 77 (skip) when EAL cannot start here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dp_config.h"
#include "dp_srtcp.h"
#include "dp_table.h"
#include "ut.h"

#define CHURN_ROUNDS 600
#define READER_SSRCS 64

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
	t = dp_tables_create(&tcfg, 2, SOCKET_ID_ANY);
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
			if (m != NULL && m->n > t->max_legs)
				reader_errors[lcore]++;
		}
		rte_rcu_qsbr_quiescent(t->rcu, id);
	}
	rte_rcu_qsbr_thread_offline(t->rcu, id);
	rte_rcu_qsbr_thread_unregister(t->rcu, id);
	return 0;
}

static void
test_readers_during_churn(void)
{
	struct dp_leg_spec s;
	const char *err;
	unsigned int lcore, n_readers = 0;
	uint64_t hits = 0, errors = 0;
	int adds_failed = 0;

	churn_stop = 0;
	memset(reader_hits, 0, sizeof(reader_hits));
	memset(reader_errors, 0, sizeof(reader_errors));
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n_readers == 2)
			break;
		rte_eal_remote_launch(reader, (void *)(uintptr_t)n_readers++, lcore);
	}
	CU_ASSERT_EQUAL_FATAL(n_readers, 2);

	for (unsigned int round = 0; round < CHURN_ROUNDS; round++) {
		uint32_t ssrc = 0xe000 + round % READER_SSRCS;

		spec_make(&s, churn_leg_id(ssrc), 70 + round % 3, 40000, ssrc);
		if (dp_tables_leg_add(t, &s, &err) != DP_OK)
			adds_failed++;
		if (round >= 8) {
			uint32_t old = 0xe000 + (round - 8) % READER_SSRCS;

			dp_tables_leg_del(t, churn_leg_id(old));
		}
	}
	churn_stop = 1;
	rte_eal_mp_wait_lcore();
	RTE_LCORE_FOREACH_WORKER(lcore) {
		hits += reader_hits[lcore];
		errors += reader_errors[lcore];
	}
	CU_ASSERT_EQUAL(adds_failed, 0);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT(hits > 0);
	CU_ASSERT_EQUAL(t->n_legs, 8);
	printf("\n  readers found %" PRIu64 " legs while %u legs came and went\n", hits,
	       CHURN_ROUNDS);
}

static const struct ut_test writer_tests[] = {
	{ "add and look up by port and conference scope", test_add_and_lookup },
	{ "refuse duplicate id, SSRC clash, bad port; refused add leaves nothing", test_refusals },
	{ "full table, conference delete frees every slot", test_full },
	{ "members grouped by owner lcore", test_members_grouped_by_owner },
	{ "update SSRCs, conference, remote, keys; collision keeps old state", test_update },
	{ "latch moves the flow entry, stale generation ignored", test_latch_flow },
	{ "leg ids paged in ascending order with conference filter", test_list_pages },
	{ NULL, NULL },
};

static const struct ut_test churn_tests[] = {
	{ "lock-free readers during add/delete/re-add", test_readers_during_churn },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "dp_table", setup, teardown, writer_tests },
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
	if (dp_srtcp_init() != 0)
		return 1;
	rc = ut_run(suites);
	rte_eal_cleanup();
	for (unsigned int i = 0; i < RTE_DIM(args); i++)
		free(copies[i]);
	return rc;
}
