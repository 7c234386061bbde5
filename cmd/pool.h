/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The worker pool prewarm and rules share: items 0..total-1 handed out in
 * chunks, in order, to a few threads, each with a state of its own (a
 * netlink socket, a proc instance), until all are done or one fails.
 */
#ifndef SLOTNET_POOL_H
#define SLOTNET_POOL_H

#include <stdbool.h>
#include <stddef.h>

struct pool {
	unsigned total;      /* items 0..total-1 */
	unsigned chunk;      /* items a worker takes at once, at least 1 */
	/* Items first..first+n-1 with worker's state; nonzero stops the pool. */
	int (*work)(void *worker, unsigned first, unsigned n);
	unsigned next;       /* first item not yet taken */
	bool stop;           /* a work call failed: the others end after their chunk */
	int start_err;       /* pthread_create's error when a worker could not start */
};

/*
 * Runs p->work over every item on nworkers threads, worker i's state at
 * workers + i * worker_size, and waits for them: 0, the first nonzero value
 * a work call returned, or -1 with p->start_err when a thread could not be
 * started (those started finish their chunk and stop).
 */
int pool_run(struct pool *p, void *workers, size_t worker_size, unsigned nworkers);

#endif
