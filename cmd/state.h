/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pinned state: pin directory, maps, configuration and its ABI check. */
#ifndef SLOTNET_STATE_H
#define SLOTNET_STATE_H

#include <limits.h>
#include <stdbool.h>
#include "slotnet_abi.h"

struct sn_maps {
	int config;
	int slots;
	int ifslots;
	int bindings;
	int counters;
};

#define SN_MAPS_CLOSED { -1, -1, -1, -1, -1 }

/* The data-path programs, pinned next to the maps as from_slot and to_slot. */
struct sn_progs {
	int from_slot;
	int to_slot;
};

#define SN_PROGS_CLOSED { -1, -1 }

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
/* The maps state_get opens besides the configuration, in map_specs order. */
enum {
	SN_SLOTS = 1u << 1,
	SN_IFSLOTS = 1u << 2,
	SN_BINDINGS = 1u << 3,
	SN_COUNTERS = 1u << 4,
};

/*
 * The state of g.pin_dir: the configuration and the maps in NEED, opened on
 * first use and kept for the rest of the process, so a batch of commands
 * opens each once; an exit code.
 */
int state_get(unsigned need, const struct sn_maps **m, const struct slotnet_config **cfg);
/*
 * Creates the maps (or reuses compatible pins) and pins them, and the
 * programs unless pinned ones exist (all slots then share one copy); an
 * exit code.
 */
int state_create(const char *dir, struct sn_maps *m, struct sn_progs *p);
void progs_close(struct sn_progs *p);
int state_write_config(const struct sn_maps *m, const struct slotnet_config *cfg);
/* "DIR/links/VETH-ingress" (or -egress): a slot's tcx link (bpffs reserves dots in names). */
void link_pin_path(char buf[PATH_MAX], const char *dir, const char *veth, bool egress);
/* Removes a slot's link pins, if any (the links die with the last reference). */
int link_unpin(const char *dir, const char *veth);
/* Removes the pins slotnet makes, then DIR if that left it empty; an exit code. */
int state_remove(const char *dir);

int slot_read(const struct sn_maps *m, unsigned slot, struct slotnet_slot *s);
int slot_write(const struct sn_maps *m, unsigned slot, const struct slotnet_slot *s);
/* Registers a slot's root veth for the data path: its entry (not READY yet) and ifslots. */
int slot_register(const struct sn_maps *m, unsigned slot, const struct slotnet_slot *s);
/* Forgets everything about a slot: entry (so not READY), ifslots, binding, counters. */
int slot_scrub(const struct sn_maps *m, unsigned slot);
int slot_zero_counters(const struct sn_maps *m, unsigned slot);

/* A slot number given on the command line, within the pinned count; an exit code. */
int parse_slot(const char *arg, const struct slotnet_config *cfg, unsigned *slot);

/* "sn17": the name of slot i's namespace and of its root-side veth. */
#define SLOT_NAME_LEN 32
void slot_name(char buf[SLOT_NAME_LEN], const struct slotnet_config *cfg, unsigned i);

/* The slot a root link name "<prefix><n>" belongs to, or -1. */
long slot_of_name(const struct slotnet_config *cfg, const char *name);

#endif
