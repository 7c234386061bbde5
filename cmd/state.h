/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pinned state: pin directory, maps, configuration and its ABI check. */
#ifndef SLOTNET_STATE_H
#define SLOTNET_STATE_H

#include <stdbool.h>
#include "slotnet_abi.h"

struct sn_maps {
	int config;
	int slots;
	int bindings;
	int counters;
};

/* Exit code when the caller lacks the privileges slotnet needs (messages printed). */
int need_privileges(void);
/*
 * Checks that DIR is absolute and on a BPF filesystem, mounting bpffs at
 * /sys/fs/bpf first when DIR is below it and nothing is mounted there.
 */
int pin_dir_check(const char *dir);
/* Whether DIR holds a configuration pin. */
bool state_exists(const char *dir);
/* Opens and checks every map pin and reads the configuration; an exit code. */
int state_open(const char *dir, struct sn_maps *m, struct slotnet_config *cfg);
void state_close(struct sn_maps *m);
/* Creates the maps (or reuses compatible pins) and pins them; an exit code. */
int state_create(const char *dir, struct sn_maps *m);
int state_write_config(const struct sn_maps *m, const struct slotnet_config *cfg);
/* Removes the pins slotnet makes, then DIR if that left it empty; an exit code. */
int state_remove(const char *dir);

int slot_read(const struct sn_maps *m, unsigned slot, struct slotnet_slot *s);
int slot_write(const struct sn_maps *m, unsigned slot, const struct slotnet_slot *s);
/* Forgets everything about a slot: entry (so not READY), binding, counters. */
int slot_scrub(const struct sn_maps *m, unsigned slot);

/* "sn17": the name of slot i's namespace and of its root-side veth. */
#define SLOT_NAME_LEN 32
void slot_name(char buf[SLOT_NAME_LEN], const struct slotnet_config *cfg, unsigned i);

/* The slot a root link name "<prefix><n>" belongs to, or -1. */
long slot_of_name(const struct slotnet_config *cfg, const char *name);

#endif
