/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state file that keeps legs' SRTP counters across restarts (dataplane/dp_state.c):
 * claim, restore by fingerprint, survival of kill -9, orphan expiry, refusals of files it
 * must not trust, and the replay sets.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_proto.h"
#include "dp_state.h"
#include "ut.h"

#define SLOTS 8
#define TTL 60

static char dir[64];
static char path[128];
static char err[512];

static const uint8_t key_a[30] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
static const uint8_t key_b[30] = { 9, 9, 9 };

static int
suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sluice-state-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/dp-state", dir);
	return 0;
}

static int
suite_cleanup(void)
{
	unlink(path);
	return rmdir(dir);
}

static struct dp_state *
open_fresh(void)
{
	unlink(path);
	return dp_state_open(path, SLOTS, TTL, err, sizeof(err));
}

static void
fp_of(const struct dp_state *st, uint32_t leg, const uint8_t *in, const uint8_t *out,
      uint8_t fp[DP_STATE_FP_LEN])
{
	CU_ASSERT_EQUAL_FATAL(dp_state_fingerprint(st, leg, DP_SUITE_AES_CM_128_HMAC_SHA1_80, in,
						   30, out, 30, fp), 0);
}

/* Claims leg 7 (keys a/b); asserts whether the slot came back from before. */
static struct dp_leg_state *
claim_leg7(struct dp_state *st, int expect_restored)
{
	uint8_t fp[DP_STATE_FP_LEN];
	struct dp_leg_state *ls;
	int restored = -1;

	fp_of(st, 7, key_a, key_b, fp);
	ls = dp_state_claim(st, 7, fp, &restored);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ls);
	CU_ASSERT_EQUAL(restored, expect_restored);
	return ls;
}

/* Claims leg 7 and gives it counters: ROC 3 on one SSRC, SRTCP index 1000. */
static struct dp_leg_state *
claim_with_counters(struct dp_state *st)
{
	struct dp_leg_state *ls = claim_leg7(st, 0);
	struct dp_srtp_replay *r;

	CU_ASSERT_EQUAL(ls->rtcp_out_index, 0);
	CU_ASSERT_EQUAL(ls->rtp.n, 0);
	r = dp_replay_get(&ls->rtp, 0x1234, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r->top = (3ull << 16) | 17;
	r->window[0] = 0xff;
	r->started = true;
	ls->rtcp_out_index = 1000;
	return ls;
}

/* Claims leg 7 back: its counters as claim_with_counters left them, the index skipped. */
static void
check_restored(struct dp_state *st)
{
	struct dp_leg_state *ls = claim_leg7(st, 1);
	struct dp_srtp_replay *r;

	CU_ASSERT_EQUAL(ls->rtcp_out_index, 1000 + DP_STATE_INDEX_SKIP);
	r = dp_replay_find(&ls->rtp, 0x1234);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->top, (3ull << 16) | 17);
	CU_ASSERT_EQUAL(r->window[0], 0xff);
	CU_ASSERT_TRUE(r->started);
}

/* A state file that leg 7 left with its counters, opened again. */
static struct dp_state *
reopen_with_saved_leg(void)
{
	struct dp_state *st = open_fresh();

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	claim_with_counters(st);
	dp_state_close(st);
	st = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	return st;
}

static void
test_counters_survive_a_clean_close(void)
{
	struct dp_state_info info;
	struct dp_state *st = reopen_with_saved_leg();

	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 1);
	CU_ASSERT_EQUAL(info.claimed, 0);
	CU_ASSERT_EQUAL(info.persistent, 1);
	check_restored(st);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 0);
	CU_ASSERT_EQUAL(info.claimed, 1);
	CU_ASSERT_EQUAL(info.restored, 1);
	dp_state_close(st);
}

static void
test_counters_survive_kill_9(void)
{
	struct dp_state *st;
	pid_t pid;
	int ws;

	unlink(path);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		/* The child claims, counts and dies without closing or syncing anything. */
		st = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
		if (st == NULL)
			_exit(2);
		claim_with_counters(st);
		raise(SIGKILL);
		_exit(3);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &ws, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	st = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	check_restored(st);
	dp_state_close(st);
}

static void
test_other_keys_or_leg_get_a_fresh_slot(void)
{
	uint8_t fp[DP_STATE_FP_LEN];
	struct dp_state_info info;
	struct dp_leg_state *ls;
	struct dp_state *st = reopen_with_saved_leg();
	int restored = -1;


	fp_of(st, 7, key_b, key_a, fp);             /* same leg, keys swapped */
	ls = dp_state_claim(st, 7, fp, &restored);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ls);
	CU_ASSERT_EQUAL(restored, 0);
	CU_ASSERT_EQUAL(ls->rtcp_out_index, 0);
	fp_of(st, 8, key_a, key_b, fp);             /* same keys, another leg */
	ls = dp_state_claim(st, 8, fp, &restored);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ls);
	CU_ASSERT_EQUAL(restored, 0);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 1);
	CU_ASSERT_EQUAL(info.claimed, 2);
	dp_state_close(st);
}

static void
test_fingerprint_depends_on_every_input(void)
{
	uint8_t a[DP_STATE_FP_LEN], b[DP_STATE_FP_LEN];
	struct dp_state *st = open_fresh();
	struct dp_state *other;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	fp_of(st, 7, key_a, key_b, a);
	fp_of(st, 7, key_a, key_b, b);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	fp_of(st, 6, key_a, key_b, b);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	fp_of(st, 7, key_b, key_b, b);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	fp_of(st, 7, key_a, key_a, b);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(dp_state_fingerprint(st, 7, DP_SUITE_AES_CM_128_HMAC_SHA1_32, key_a, 30,
					     key_b, 30, b), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	/* Another file has another salt: the same leg does not match across relays. */
	other = dp_state_open(NULL, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	fp_of(other, 7, key_a, key_b, b);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	dp_state_close(other);
	dp_state_close(st);
}

static void
test_release_wipes_the_slot(void)
{
	struct dp_state_info info;
	struct dp_leg_state *ls;
	struct dp_state *st = open_fresh();
	static const uint8_t zero[sizeof(struct dp_leg_state)];

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	ls = claim_with_counters(st);
	dp_state_release(st, ls);
	CU_ASSERT_EQUAL(memcmp(ls, zero, sizeof(zero)), 0);
	dp_state_close(st);
	st = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 0);
	dp_state_close(st);
}

static void
test_orphans_are_wiped_after_their_ttl(void)
{
	struct dp_state_info info;
	struct dp_state *st = reopen_with_saved_leg();

	CU_ASSERT_EQUAL(dp_state_tick(st, 100), 0);
	CU_ASSERT_EQUAL(dp_state_tick(st, 100 + TTL - 1), 0);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 1);
	CU_ASSERT_EQUAL(dp_state_tick(st, 100 + TTL), 1);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 0);
	claim_leg7(st, 0);
	dp_state_close(st);
}

static void
test_unclaim_makes_an_orphan_again(void)
{
	struct dp_state_info info;
	struct dp_leg_state *ls;
	struct dp_state *st = reopen_with_saved_leg();

	ls = claim_leg7(st, 1);
	dp_state_unclaim(st, ls);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 1);
	CU_ASSERT_EQUAL(info.claimed, 0);
	/* Claimed again: the counters are there, the index skipped once more. */
	ls = claim_leg7(st, 1);
	CU_ASSERT_EQUAL(ls->rtcp_out_index, 1000 + 2 * DP_STATE_INDEX_SKIP);
	dp_state_close(st);
}

static void
test_full_file_evicts_orphans_then_refuses(void)
{
	uint8_t fp[DP_STATE_FP_LEN];
	struct dp_state_info info;
	struct dp_state *st = reopen_with_saved_leg();
	int restored;

	for (uint32_t leg = 100; leg < 100 + SLOTS; leg++) {
		fp_of(st, leg, key_a, key_b, fp);
		CU_ASSERT_PTR_NOT_NULL(dp_state_claim(st, leg, fp, &restored));
		CU_ASSERT_EQUAL(restored, 0);
	}
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.orphans, 0);           /* the last claim took the orphan's slot */
	CU_ASSERT_EQUAL(info.claimed, SLOTS);
	fp_of(st, 999, key_a, key_b, fp);
	CU_ASSERT_PTR_NULL(dp_state_claim(st, 999, fp, &restored));
	dp_state_close(st);
}

static void
test_second_process_on_the_file_is_refused(void)
{
	struct dp_state *st = open_fresh();
	struct dp_state *again;
	pid_t pid;
	int ws;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	/* flock() is per open file: a second open in this process is refused too. */
	again = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(again);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use by another sluice-dp"));
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(dp_state_open(path, SLOTS, TTL, err, sizeof(err)) == NULL ? 0 : 1);
	CU_ASSERT_EQUAL(waitpid(pid, &ws, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	dp_state_close(st);
}

/* Writes bytes to path as the whole file, mode 0600. */
static void
write_file(const void *buf, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL((size_t)write(fd, buf, len), len);
	fchmod(fd, mode);
	close(fd);
}

static off_t
file_size(void)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void
test_untrusted_files_are_refused_and_kept(void)
{
	static uint8_t junk[8192];
	struct dp_state *st;

	memset(junk, 0xa5, sizeof(junk));
	write_file(junk, sizeof(junk), 0600);
	st = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a sluice-dp state file"));
	CU_ASSERT_EQUAL(file_size(), (off_t)sizeof(junk));

	write_file(junk, 100, 0600);               /* shorter than a header */
	CU_ASSERT_PTR_NULL(dp_state_open(path, SLOTS, TTL, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a sluice-dp state file"));
	CU_ASSERT_EQUAL(file_size(), 100);

	write_file(junk, 100, 0644);               /* readable by others */
	CU_ASSERT_PTR_NULL(dp_state_open(path, SLOTS, TTL, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mode 0600"));

	/* Created but never written (the process died before the header): started afresh. */
	memset(junk, 0, sizeof(junk));
	write_file(junk, sizeof(junk), 0600);
	st = dp_state_open(path, SLOTS, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	dp_state_close(st);

	/* A valid header whose file was cut short. */
	st = open_fresh();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	dp_state_close(st);
	CU_ASSERT_EQUAL(truncate(path, file_size() - 64), 0);
	CU_ASSERT_PTR_NULL(dp_state_open(path, SLOTS, TTL, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
}

static void
test_resize_keeps_what_fits(void)
{
	uint8_t fp[DP_STATE_FP_LEN];
	struct dp_state_info info;
	struct dp_state *st = open_fresh();
	int restored;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	claim_with_counters(st);                   /* slot 0 */
	for (uint32_t leg = 100; leg < 100 + SLOTS - 1; leg++) {
		fp_of(st, leg, key_a, key_b, fp);
		CU_ASSERT_PTR_NOT_NULL(dp_state_claim(st, leg, fp, &restored));
	}
	dp_state_close(st);
	st = dp_state_open(path, 4, TTL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.slots, 4);
	CU_ASSERT_EQUAL(info.orphans, 4);
	CU_ASSERT_EQUAL(info.dropped, SLOTS - 4);
	check_restored(st);
	dp_state_close(st);
}

static void
test_anonymous_state_keeps_nothing(void)
{
	struct dp_state_info info;
	struct dp_state *st = dp_state_open("", SLOTS, TTL, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	claim_with_counters(st);
	dp_state_info(st, &info);
	CU_ASSERT_EQUAL(info.persistent, 0);
	CU_ASSERT_EQUAL(info.claimed, 1);
	CU_ASSERT_EQUAL(dp_state_tick(st, 0), 0);
	dp_state_close(st);
	CU_ASSERT_PTR_NULL(dp_state_open(NULL, 0, TTL, err, sizeof(err)));
}

static void
test_replay_set_keeps_signalled_ssrcs(void)
{
	struct dp_replay_set set;
	uint32_t keep[DP_LEG_MAX_SSRCS];
	struct dp_srtp_replay *r;

	memset(&set, 0, sizeof(set));
	for (uint32_t i = 0; i < DP_LEG_MAX_SSRCS; i++)
		keep[i] = 1000 + i;
	/* Full of signalled SSRCs but one. */
	for (uint32_t i = 0; i < DP_LEG_MAX_SSRCS - 1; i++)
		CU_ASSERT_PTR_NOT_NULL(dp_replay_get(&set, keep[i], keep, DP_LEG_MAX_SSRCS - 1));
	r = dp_replay_get(&set, 77, keep, DP_LEG_MAX_SSRCS - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r->top = 5;
	r->started = true;
	CU_ASSERT_EQUAL(set.n, DP_LEG_MAX_SSRCS);
	CU_ASSERT_PTR_EQUAL(dp_replay_get(&set, 77, keep, DP_LEG_MAX_SSRCS - 1), r);
	CU_ASSERT_PTR_EQUAL(dp_replay_find(&set, 77), r);
	CU_ASSERT_PTR_NULL(dp_replay_find(&set, 78));
	/* Another SSRC takes the unsignalled one's entry, zeroed. */
	CU_ASSERT_PTR_EQUAL(dp_replay_get(&set, 78, keep, DP_LEG_MAX_SSRCS - 1), r);
	CU_ASSERT_FALSE(r->started);
	CU_ASSERT_PTR_NULL(dp_replay_find(&set, 77));
	/* Once every entry is signalled, nothing more fits. */
	CU_ASSERT_PTR_EQUAL(dp_replay_get(&set, keep[DP_LEG_MAX_SSRCS - 1], keep,
					  DP_LEG_MAX_SSRCS), r);
	CU_ASSERT_PTR_NULL(dp_replay_get(&set, 79, keep, DP_LEG_MAX_SSRCS));
}

static const struct ut_test file_tests[] = {
	{ "counters survive a clean close", test_counters_survive_a_clean_close },
	{ "counters survive kill -9", test_counters_survive_kill_9 },
	{ "other keys or another leg get a fresh slot", test_other_keys_or_leg_get_a_fresh_slot },
	{ "fingerprint depends on every input", test_fingerprint_depends_on_every_input },
	{ "release wipes the slot", test_release_wipes_the_slot },
	{ "orphans are wiped after their ttl", test_orphans_are_wiped_after_their_ttl },
	{ "unclaim makes an orphan again", test_unclaim_makes_an_orphan_again },
	{ "a full file evicts orphans, then refuses", test_full_file_evicts_orphans_then_refuses },
	{ "a second process on the file is refused", test_second_process_on_the_file_is_refused },
	{ "untrusted files are refused and kept", test_untrusted_files_are_refused_and_kept },
	{ "resize keeps what fits", test_resize_keeps_what_fits },
	{ "anonymous state keeps nothing", test_anonymous_state_keeps_nothing },
	{ NULL, NULL },
};

static const struct ut_test set_tests[] = {
	{ "replay set keeps signalled SSRCs", test_replay_set_keeps_signalled_ssrcs },
	{ NULL, NULL },
};

int
main(void)
{
	static const struct ut_suite suites[] = {
		{ "state file", suite_init, suite_cleanup, file_tests },
		{ "replay sets", NULL, NULL, set_tests },
		{ NULL, NULL, NULL, NULL },
	};

	return ut_run(suites);
}
