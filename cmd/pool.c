// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct pool_thread {
	struct pool *p;
	void *worker;
	pthread_t thread;
	int ret;
};

/* Takes the next chunk: its first item in *first and its size, 0 when none is left. */
static unsigned take_chunk(struct pool *p, unsigned *first)
{
	unsigned k;

	if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED))
		return 0;
	k = __atomic_fetch_add(&p->next, p->chunk, __ATOMIC_RELAXED);
	if (k >= p->total)
		return 0;
	*first = k;
	return p->total - k < p->chunk ? p->total - k : p->chunk;
}

static void *run_worker(void *arg)
{
	struct pool_thread *t = arg;
	unsigned first, n;

	while ((n = take_chunk(t->p, &first))) {
		t->ret = t->p->work(t->worker, first, n);
		if (t->ret) {
			__atomic_store_n(&t->p->stop, true, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

int pool_run(struct pool *p, void *workers, size_t worker_size, unsigned nworkers)
{
	struct pool_thread *threads = calloc(nworkers ? nworkers : 1, sizeof(*threads));
	unsigned started = 0;
	int ret = 0;

	p->next = 0;
	p->stop = false;
	p->start_err = 0;
	if (!threads) {
		p->start_err = ENOMEM;
		return -1;
	}
	for (; started < nworkers; started++) {
		struct pool_thread *t = &threads[started];
		int err;

		t->p = p;
		t->worker = (char *)workers + started * worker_size;
		/* pthread_create returns its error; it does not set errno. */
		if ((err = pthread_create(&t->thread, NULL, run_worker, t))) {
			p->start_err = err;
			__atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
			ret = -1;
			break;
		}
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(threads[i].thread, NULL);
		if (!ret)
			ret = threads[i].ret;
	}
	free(threads);
	return ret;
}
