/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pinned state: pin directory, maps, configuration and its ABI check. */
#ifndef SLOTNET_STATE_H
#define SLOTNET_STATE_H

#include <limits.h>
#include <stdbool.h>
#include "slotnet_abi.h"

/* The pinned maps' fds, one per entry of SLOTNET_MAPS_LIST, named after it. */
struct sn_maps {
#define SN_MAP_FD(NAME, name, type, k, v, max, flags, what) int name;
	SLOTNET_MAPS_LIST(SN_MAP_FD)
#undef SN_MAP_FD
};

#define SN_MAP_CLOSED(NAME, name, type, k, v, max, flags, what) .name = -1,
#define SN_MAPS_CLOSED { SLOTNET_MAPS_LIST(SN_MAP_CLOSED) }

/* Where an upgrade makes the new maps and programs before they replace the pins. */
#define UPGRADE_DIR "next"

/* The data-path programs, pinned next to the maps as from_slot and to_slot. */
struct sn_progs {
	int from_slot;
	int to_slot;
};

#define SN_PROGS_CLOSED { -1, -1 }

/* Exit code when the caller lacks the privileges slotnet needs (messages printed). */
int need_privileges(void);
/*
 * Refuses an empty or relative DIR and one with '.' or '..' components;
 * points *DIR at its one spelling (no repeated or trailing '/'); an exit code.
 */
int pin_dir_normalize(const char **dir);
/*
 * Checks that DIR is absolute and on a BPF filesystem, mounting bpffs at
 * /sys/fs/bpf first when DIR is below it and nothing is mounted there.
 */
int pin_dir_check(const char *dir);
/* state_read_config's answer when nothing was prewarmed in the directory yet. */
#define STATE_FRESH (-1)
/*
 * The pinned configuration of any map ABI this slotnet reads, in the current
 * layout, every field checked (a damaged one is refused with a message
 * naming the field); *abi is the pins' map ABI, with SLOTNET_ABI_MOVING when
 * an upgrade has begun moving them: 0, STATE_FRESH (silent), or an exit code.
 */
int state_read_config(const char *dir, struct slotnet_config *cfg, __u32 *abi);
void state_close(struct sn_maps *m);
/* The maps state_get opens besides the configuration: SN_SLOTS, SN_BINDINGS, ... */
#define SN_MAP_NEED(NAME, name, type, k, v, max, flags, what) SN_##NAME = 1u << SLOTNET_MAP_##NAME,
enum { SLOTNET_MAPS_LIST(SN_MAP_NEED) };
#undef SN_MAP_NEED

/* That g.pin_dir holds prewarmed state (its configuration pin), opening nothing; an exit code. */
int state_require(void);
/*
 * The state of g.pin_dir: the configuration and the maps in NEED, opened on
 * first use and kept for the rest of the process, so a batch of commands
 * opens each once, and checked to be the maps the pinned programs use; an
 * exit code.
 */
int state_get(unsigned need, const struct sn_maps **m, const struct slotnet_config **cfg);
/*
 * Pins again, from the maps the pinned programs use, every map pin that is
 * missing (removed by hand): nothing is lost; an exit code.
 */
int state_repin(const char *dir);
/* Why state_create pinned new programs (bits); 0: the pinned ones are this slotnet's. */
enum prog_change {
	PROGS_PINNED = 1 << 0,     /* none were pinned, or one of the reasons below */
	PROGS_OTHER_MAPS = 1 << 1, /* the pinned ones used other maps than the pins */
	PROGS_NEW_CODE = 1 << 2,   /* the pinned ones are another build's (their tags differ) */
};

struct slotnet_bpf;
/*
 * The BPF object loaded with its slot-indexed maps of MAX_SLOTS entries,
 * pinned in (or reused from) ROOT, or not pinned when ROOT is NULL; NULL
 * with a message.
 */
struct slotnet_bpf *state_load(const char *root, unsigned max_slots);
/*
 * Creates the maps (or reuses compatible pins) and pins them, and the
 * programs unless pinned ones of the same code exist that use exactly the
 * pinned maps (all slots then share one copy); *progs_replaced says new
 * programs were pinned, and why: they must be switched in.  The maps' ids
 * (which the pinned programs now use) go in map_ids, for the configuration.
 * PREWARMED: slots exist, so every map must be pinned already (a missing one
 * is reported, never made again empty); an exit code.
 */
int state_create(const char *dir, bool prewarmed, unsigned max_slots, struct sn_maps *m,
		 struct sn_progs *p, enum prog_change *progs_replaced, __u32 map_ids[SLOTNET_MAPS]);
/* A program's tag (a hash of its instructions as loaded) in hex. */
#define PROG_TAG_LEN (2 * 8 + 1)
int prog_tag(int fd, char hex[PROG_TAG_LEN]);
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
/*
 * Forgets a slot's devices before they are made again: its entry (so not
 * READY) and its ifslots key.  A tenant's binding and counters stay.
 */
int slot_unregister(const struct sn_maps *m, unsigned slot);
int slot_zero_counters(const struct sn_maps *m, unsigned slot);

/* A slot number given on the command line, within the pinned count; an exit code. */
int parse_slot(const char *arg, const struct slotnet_config *cfg, unsigned *slot);

/* "sn17": the name of slot i's namespace and of its root-side veth. */
#define SLOT_NAME_LEN 32
void slot_name(char buf[SLOT_NAME_LEN], const struct slotnet_config *cfg, unsigned i);

/* The slot a root link name "<prefix><n>" belongs to, or -1. */
long slot_of_name(const struct slotnet_config *cfg, const char *name);

#endif
