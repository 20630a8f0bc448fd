/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker threads: jobs run off the loop, completions on it, the queue bound holds. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cp_work.h"
#include "ut.h"

#define JOBS 8

struct job {
	pthread_t ran_on;
	int order;
	bool done;
};

static pthread_t loop_thread;
static int finished;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void
run(void *arg)
{
	struct job *j = arg;

	/* Held until the test has filled the queue: jobs cannot finish early. */
	pthread_mutex_lock(&gate);
	pthread_mutex_unlock(&gate);
	j->ran_on = pthread_self();
}

static void
done(void *arg)
{
	struct job *j = arg;

	CU_ASSERT(pthread_equal(pthread_self(), loop_thread));
	CU_ASSERT(!pthread_equal(j->ran_on, loop_thread));
	j->done = true;
	finished++;
}

static void
never(void *arg)
{
	(void)arg;
	CU_FAIL("a refused job ran");
}

static void
test_jobs_run_off_the_loop_and_complete_on_it(void)
{
	struct event_base *base = event_base_new();
	struct job jobs[JOBS];
	struct job extra;

	memset(jobs, 0, sizeof(jobs));
	loop_thread = pthread_self();
	finished = 0;
	CU_ASSERT_FATAL(base != NULL);
	CU_ASSERT_EQUAL_FATAL(cp_work_start(base, 2, JOBS), 0);
	pthread_mutex_lock(&gate);
	for (int i = 0; i < JOBS; i++) {
		jobs[i].order = i;
		CU_ASSERT_EQUAL(cp_work_submit(run, done, &jobs[i]), 0);
	}
	/* the bound: one more is refused and never runs */
	CU_ASSERT_EQUAL(cp_work_submit(never, never, &extra), -EBUSY);
	pthread_mutex_unlock(&gate);
	for (int spins = 0; finished < JOBS && spins < 500; spins++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(2000);
	}
	CU_ASSERT_EQUAL(finished, JOBS);
	for (int i = 0; i < JOBS; i++)
		CU_ASSERT(jobs[i].done);
	/* room again once completions ran */
	CU_ASSERT_EQUAL(cp_work_submit(run, done, &jobs[0]), 0);
	cp_work_stop();   /* finishes what was submitted and runs its completion */
	CU_ASSERT_EQUAL(finished, JOBS + 1);
	CU_ASSERT_EQUAL(cp_work_submit(run, done, &jobs[0]), -EBUSY);
	event_base_free(base);
}

static void
test_bad_thread_counts_are_refused(void)
{
	struct event_base *base = event_base_new();

	CU_ASSERT_EQUAL(cp_work_start(base, 0, 4), -EINVAL);
	CU_ASSERT_EQUAL(cp_work_start(base, 17, 4), -EINVAL);
	event_base_free(base);
}

static const struct ut_test tests[] = {
	{ "jobs run off the loop and complete on it", test_jobs_run_off_the_loop_and_complete_on_it },
	{ "bad thread counts are refused", test_bad_thread_counts_are_refused },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "work", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
