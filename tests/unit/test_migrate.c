// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of cmd/migrate.c: which map ABIs this slotnet reads, and each
 * one's conversion to the current layouts, byte for byte.
 */
#include "migrate.h"

#include <string.h>

#include "tap.h"

/* ABI 5's configuration as slotnet 0.1.0 pinned it: today's layout up to max_slots. */
static void test_v5_config(void)
{
	const struct abi_layout *l = migrate_layout(5);
	unsigned char v5[116];
	struct slotnet_config cfg, want;

	check(l != NULL, "ABI 5 is read", "no layout");
	if (!l)
		return;
	check(l->config_size == sizeof(v5) && l->percpu_counters && l->max_slots == 16384,
	      "ABI 5: a 116-byte configuration, per-CPU counters, maps of 16,384 slots",
	      "size %zu, per-CPU %d, max %u", l->config_size, l->percpu_counters, l->max_slots);
	for (size_t i = 0; i < sizeof(v5); i++)
		v5[i] = (unsigned char)(i * 7 + 1);
	memset(&want, 0, sizeof(want));
	memcpy(&want, v5, sizeof(v5));
	want.max_slots = 16384;
	memset(&cfg, 0xa5, sizeof(cfg));
	l->config(v5, &cfg);
	check(!memcmp(&cfg, &want, sizeof(cfg)),
	      "ABI 5's configuration: every field kept, max_slots the old maps' size",
	      "converted bytes differ");
}

static void test_current(void)
{
	const struct abi_layout *l = migrate_layout(SLOTNET_ABI_VERSION);
	struct slotnet_config in, out;

	check(l && l->config_size == sizeof(in) && !l->percpu_counters && !l->max_slots,
	      "the current ABI: its own layout, plain counters, size in the configuration",
	      "layout %p", (const void *)l);
	if (!l)
		return;
	memset(&in, 0x3c, sizeof(in));
	l->config(&in, &out);
	check(!memcmp(&in, &out, sizeof(in)), "the current configuration is copied as is",
	      "bytes differ");
}

static void test_unknown(void)
{
	check(!migrate_layout(4) && !migrate_layout(0) && !migrate_layout(SLOTNET_ABI_VERSION + 1),
	      "ABIs before 5, 0 and newer ones are not read", "a layout was returned");
}

static void test_counters(void)
{
	struct slotnet_counters per[3], sum;

	memset(per, 0, sizeof(per));
	for (int c = 0; c < 3; c++) {
		per[c].tx.packets = 1u << c;
		per[c].rx.bytes = 1000u * (c + 1);
		per[c].tx.drops[SLOTNET_DROP_REASONS - 1] = 5;
		per[c].rx.drops[0] = (__u64)1 << 40;
	}
	memset(&sum, 0xff, sizeof(sum));
	migrate_sum_counters(per, 3, &sum);
	check(sum.tx.packets == 7 && sum.rx.bytes == 6000 &&
	      sum.tx.drops[SLOTNET_DROP_REASONS - 1] == 15 && sum.rx.drops[0] == (__u64)3 << 40 &&
	      sum.tx.bytes == 0 && sum.rx.packets == 0,
	      "per-CPU counters are summed field by field, 64 bits wide",
	      "tx.packets %llu rx.bytes %llu", (unsigned long long)sum.tx.packets,
	      (unsigned long long)sum.rx.bytes);
	migrate_add_counters(&sum, &per[2]);
	check(sum.tx.packets == 11 && sum.rx.bytes == 9000, "counts add to what is there",
	      "tx.packets %llu", (unsigned long long)sum.tx.packets);
}

int main(void)
{
	test_v5_config();
	test_current();
	test_unknown();
	test_counters();
	return tap_done();
}
