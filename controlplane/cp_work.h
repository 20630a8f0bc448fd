/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Work that would stall the loop runs on a few worker threads: Argon2id costs tens of
 * milliseconds a password, and on the loop every login would hold up every join. A job's
 * function runs on a worker and touches only its own argument; its completion runs on the
 * loop afterwards. The queue is bounded, so a flood of logins is refused (503) instead of
 * delaying everything behind it.
 *
 * Return convention: 0 or negative errno.
 */
#ifndef CP_WORK_H
#define CP_WORK_H

struct event_base;

typedef void (*cp_work_fn)(void *arg);     /* on a worker thread */
typedef void (*cp_work_done)(void *arg);   /* on the loop, after fn */

/* Starts the workers. -ENOMEM, or -errno from pthread or eventfd. */
int cp_work_start(struct event_base *base, unsigned int threads, unsigned int max_queued);
/* Lets the workers finish what was submitted, runs the completions, stops the threads. */
void cp_work_stop(void);
/* Queues a job: 0, or -EBUSY when max_queued jobs wait already (fn and done never run). */
int cp_work_submit(cp_work_fn fn, cp_work_done done, void *arg);

#endif /* CP_WORK_H */
