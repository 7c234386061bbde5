// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of cmd/pool.c: every item runs exactly once, in chunks of the
 * given size, whatever the number of workers; a failing work call stops
 * the pool and its value is returned; each worker gets its own state.
 */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "tap.h"

#define MAX_ITEMS 1000

struct tally {
	unsigned runs[MAX_ITEMS];
	unsigned bad_chunks;      /* chunks larger than asked, or not starting on a boundary */
	unsigned fail_at;         /* the item whose chunk fails, or MAX_ITEMS */
	unsigned chunk;
	pthread_mutex_t lock;
};

struct worker {
	struct tally *t;
	unsigned calls;
	unsigned id;
};

static int count(void *arg, unsigned first, unsigned n)
{
	struct worker *w = arg;
	struct tally *t = w->t;
	bool fails = t->fail_at >= first && t->fail_at < first + n;

	pthread_mutex_lock(&t->lock);
	w->calls++;
	t->bad_chunks += n > t->chunk || first % t->chunk;
	for (unsigned i = first; i < first + n; i++)
		t->runs[i]++;
	pthread_mutex_unlock(&t->lock);
	return fails ? 7 : 0;
}

/* Runs TOTAL items in chunks of CHUNK on NWORKERS; the pool's return in *ret. */
static void run(struct tally *t, struct worker *ws, unsigned total, unsigned chunk,
		unsigned nworkers, unsigned fail_at, int *ret)
{
	struct pool p = { .total = total, .chunk = chunk, .work = count };

	memset(t->runs, 0, sizeof(t->runs));
	t->bad_chunks = 0;
	t->fail_at = fail_at;
	t->chunk = chunk;
	for (unsigned i = 0; i < nworkers; i++)
		ws[i] = (struct worker){ .t = t, .id = i };
	*ret = pool_run(&p, ws, sizeof(ws[0]), nworkers);
}

static void test_every_item_once(struct tally *t)
{
	static const unsigned totals[] = { 0, 1, 63, 64, 65, 1000 };
	static const unsigned chunks[] = { 1, 3, 64 };
	struct worker ws[8];

	for (size_t a = 0; a < sizeof(totals) / sizeof(totals[0]); a++)
		for (size_t b = 0; b < sizeof(chunks) / sizeof(chunks[0]); b++)
			for (unsigned n = 1; n <= 8; n *= 2) {
				unsigned total = totals[a], wrong = 0, calls = 0;
				char desc[128];
				int ret;

				run(t, ws, total, chunks[b], n, MAX_ITEMS, &ret);
				for (unsigned i = 0; i < MAX_ITEMS; i++)
					wrong += t->runs[i] != (i < total);
				for (unsigned i = 0; i < n; i++)
					calls += ws[i].calls;
				snprintf(desc, sizeof(desc), "%u items, chunks of %u, %u workers: each once",
					 total, chunks[b], n);
				check(ret == 0 && !wrong && !t->bad_chunks &&
				      calls == (total + chunks[b] - 1) / chunks[b], desc,
				      "ret %d, %u items run other than once, %u bad chunks, %u calls",
				      ret, wrong, t->bad_chunks, calls);
			}
}

static void test_failure_stops(struct tally *t)
{
	struct worker ws[4];
	unsigned ran = 0, twice = 0;
	int ret;

	run(t, ws, MAX_ITEMS, 1, 4, 10, &ret);
	for (unsigned i = 0; i < MAX_ITEMS; i++) {
		ran += t->runs[i] > 0;
		twice += t->runs[i] > 1;
	}
	check(ret == 7, "a failing work call's value is the pool's", "ret %d", ret);
	check(t->runs[10] == 1 && !twice && ran < 10 + 1 + 4, "a failure stops the others after their chunk",
	      "item 10 ran %u times, %u items ran, %u twice", t->runs[10], ran, twice);

	run(t, ws, MAX_ITEMS, 1, 1, 0, &ret);
	check(ret == 7 && t->runs[0] == 1 && t->runs[1] == 0, "one worker stops at its first failure",
	      "ret %d, item 0 ran %u, item 1 ran %u", ret, t->runs[0], t->runs[1]);
}

static void test_no_workers(struct tally *t)
{
	struct worker ws[1];
	int ret;

	run(t, ws, 5, 1, 0, MAX_ITEMS, &ret);
	check(ret == 0 && t->runs[0] == 0, "no workers: nothing runs", "ret %d, item 0 ran %u", ret,
	      t->runs[0]);
}

static void test_own_state(struct tally *t)
{
	struct worker ws[3];
	bool mixed = false;
	int ret;

	run(t, ws, 300, 1, 3, MAX_ITEMS, &ret);
	for (unsigned i = 0; i < 3; i++)
		mixed |= ws[i].id != i || ws[i].t != t;
	check(ret == 0 && !mixed && ws[0].calls + ws[1].calls + ws[2].calls == 300,
	      "each worker is called with its own state", "ret %d, calls %u %u %u", ret,
	      ws[0].calls, ws[1].calls, ws[2].calls);
}

int main(void)
{
	static struct tally t = { .lock = PTHREAD_MUTEX_INITIALIZER };

	test_every_item_once(&t);
	test_failure_stops(&t);
	test_no_workers(&t);
	test_own_state(&t);
	return tap_done();
}
