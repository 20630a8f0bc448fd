/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker threads (see cp_work.h). Jobs wait in a FIFO under a mutex; a finished job moves to
 * a second list and an eventfd wakes the loop, which runs the completions in order of
 * finishing. Nothing else is shared with the workers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "cp_log.h"
#include "cp_work.h"

#define MAX_THREADS 16

struct job {
	struct job *next;
	cp_work_fn fn;
	cp_work_done done;
	void *arg;
};

struct list {
	struct job *head;
	struct job *tail;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct list todo;
	struct list finished;
	unsigned int queued;           /* in todo or running */
	unsigned int max_queued;
	bool stopping;
	unsigned int n_threads;
	pthread_t threads[MAX_THREADS];
	int efd;
	struct event *ev;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .efd = -1 };

static void
push(struct list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *
pop(struct list *l)
{
	struct job *j = l->head;

	if (j != NULL) {
		l->head = j->next;
		if (l->head == NULL)
			l->tail = NULL;
	}
	return j;
}

static void *
worker(void *unused)
{
	uint64_t one = 1;

	(void)unused;
	pthread_mutex_lock(&w.lock);
	for (;;) {
		struct job *j = pop(&w.todo);

		if (j == NULL) {
			if (w.stopping)
				break;
			pthread_cond_wait(&w.cond, &w.lock);
			continue;
		}
		pthread_mutex_unlock(&w.lock);
		j->fn(j->arg);
		pthread_mutex_lock(&w.lock);
		push(&w.finished, j);
		if (write(w.efd, &one, sizeof(one)) != sizeof(one))
			CP_LOG(ERROR, "worker: cannot wake the loop");
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

/* Runs the completions of every finished job, on the loop. */
static void
run_finished(void)
{
	struct list done;
	struct job *j;

	pthread_mutex_lock(&w.lock);
	done = w.finished;
	w.finished.head = w.finished.tail = NULL;
	pthread_mutex_unlock(&w.lock);
	while ((j = pop(&done)) != NULL) {
		pthread_mutex_lock(&w.lock);
		w.queued--;
		pthread_mutex_unlock(&w.lock);
		j->done(j->arg);
		free(j);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	(void)arg;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		CP_LOG(ERROR, "worker: eventfd read failed");
	run_finished();
}

int
cp_work_start(struct event_base *base, unsigned int threads, unsigned int max_queued)
{
	if (threads == 0 || threads > MAX_THREADS)
		return -EINVAL;
	w.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w.efd < 0)
		return -errno;
	w.ev = event_new(base, w.efd, EV_READ | EV_PERSIST, on_wake, NULL);
	if (w.ev == NULL || event_add(w.ev, NULL) != 0) {
		cp_work_stop();
		return -ENOMEM;
	}
	w.max_queued = max_queued;
	w.stopping = false;
	for (unsigned int i = 0; i < threads; i++) {
		int rc = pthread_create(&w.threads[i], NULL, worker, NULL);

		if (rc != 0) {
			cp_work_stop();
			return -rc;
		}
		w.n_threads++;
	}
	return 0;
}

void
cp_work_stop(void)
{
	pthread_mutex_lock(&w.lock);
	w.stopping = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	for (unsigned int i = 0; i < w.n_threads; i++)
		pthread_join(w.threads[i], NULL);
	w.n_threads = 0;
	run_finished();
	if (w.ev != NULL)
		event_free(w.ev);
	w.ev = NULL;
	if (w.efd >= 0)
		close(w.efd);
	w.efd = -1;
}

int
cp_work_submit(cp_work_fn fn, cp_work_done done, void *arg)
{
	struct job *j;

	pthread_mutex_lock(&w.lock);
	if (w.queued >= w.max_queued || w.n_threads == 0 || w.stopping) {
		pthread_mutex_unlock(&w.lock);
		return -EBUSY;
	}
	w.queued++;
	pthread_mutex_unlock(&w.lock);
	j = malloc(sizeof(*j));
	if (j == NULL) {
		pthread_mutex_lock(&w.lock);
		w.queued--;
		pthread_mutex_unlock(&w.lock);
		return -ENOMEM;
	}
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w.lock);
	push(&w.todo, j);
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	return 0;
}
