/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Metrics for Prometheus (dump --prometheus, --textfile) and the records
 * they read of the last prewarm and check: small files beside the pin
 * directory's lock, /run/slotnet/<pin dir, %-escaped>.<kind>.
 */
#ifndef SLOTNET_METRICS_H
#define SLOTNET_METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include "slotnet_abi.h"

struct sn_maps;

/* The last run of KIND ("prewarm", "check"): its duration and figures. */
struct run_record {
	bool present;
	double duration_s;
	double completed_s;     /* the Unix time it finished at */
	unsigned long long value[2]; /* prewarm: slots, made; check: differences, slots_differ */
};

/* Records a run of KIND that took DURATION_MS, with its two figures; best effort. */
void record_run(const char *kind, double duration_ms, unsigned long long a, unsigned long long b);
/* Removes the records of g.pin_dir (teardown). */
void record_forget(void);

/*
 * The Prometheus text exposition format (version 0.0.4) of the state in
 * M and CFG on F: totals over the slots, and per slot if PER_SLOT; an exit
 * code.
 */
int metrics_write(FILE *f, const struct sn_maps *m, const struct slotnet_config *cfg,
		  bool per_slot);

#endif
