// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "migrate.h"

#include <string.h>

/*
 * ABI 5 (slotnet 0.1.0): the configuration without max_slots, every
 * slot-indexed map of 16,384 entries, counters per CPU.  Its other layouts
 * (slots, ifslots, bindings, one counters value) are today's.
 */
#define V5_CONFIG_SIZE offsetof(struct slotnet_config, max_slots)
_Static_assert(V5_CONFIG_SIZE == 116, "ABI 5's configuration");

static void config_v5(const void *value, struct slotnet_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg, value, V5_CONFIG_SIZE);
	cfg->max_slots = 16384;
}

static void config_current(const void *value, struct slotnet_config *cfg)
{
	memcpy(cfg, value, sizeof(*cfg));
}

static const struct abi_layout layouts[] = {
	{ 5, V5_CONFIG_SIZE, 16384, true, config_v5 },
	{ SLOTNET_ABI_VERSION, sizeof(struct slotnet_config), 0, false, config_current },
};

const struct abi_layout *migrate_layout(unsigned abi)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].abi == abi)
			return &layouts[i];
	return NULL;
}

static void add_dir(struct slotnet_dir_counters *to, const struct slotnet_dir_counters *add)
{
	to->packets += add->packets;
	to->bytes += add->bytes;
	for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
		to->drops[r] += add->drops[r];
}

void migrate_add_counters(struct slotnet_counters *to, const struct slotnet_counters *add)
{
	add_dir(&to->tx, &add->tx);
	add_dir(&to->rx, &add->rx);
}

void migrate_sum_counters(const struct slotnet_counters *percpu, int ncpus,
			  struct slotnet_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpus; c++)
		migrate_add_counters(sum, &percpu[c]);
}
