/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The older map ABIs this slotnet upgrades from: each one's layouts, and its
 * conversion to the current one.  Pure code (no libbpf, no kernel): the
 * upgrade (cmd/upgrade.c) reads the old maps and writes the new through it.
 */
#ifndef SLOTNET_MIGRATE_H
#define SLOTNET_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include "slotnet_abi.h"

/* What differs between the pins of one map ABI and the current layouts. */
struct abi_layout {
	unsigned abi;
	size_t config_size;      /* the configuration map's value size */
	unsigned max_slots;      /* 0: in the configuration; else the maps' fixed size */
	bool percpu_counters;    /* counters per CPU, summed when moved */
	/* The old configuration VALUE in the current layout (max_slots as the pins have it). */
	void (*config)(const void *value, struct slotnet_config *cfg);
};

/* The oldest map ABI this slotnet upgrades from. */
#define MIGRATE_OLDEST_ABI 5

/* ABI's layouts, or NULL when this slotnet cannot read them (too old, or newer). */
const struct abi_layout *migrate_layout(unsigned abi);

/* The sum of NCPUS per-CPU counter values, for a plain counters map. */
void migrate_sum_counters(const struct slotnet_counters *percpu, int ncpus,
			  struct slotnet_counters *sum);

/* What ADD holds added to *TO (the counts of two maps of one slot). */
void migrate_add_counters(struct slotnet_counters *to, const struct slotnet_counters *add);

#endif
