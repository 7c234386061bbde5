/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Drift: the kernel's state against what the pins say prewarm made, read
 * with one netlink dump per namespace and object kind.  check reports every
 * difference; prewarm makes again every slot that has one.
 */
#ifndef SLOTNET_DRIFT_H
#define SLOTNET_DRIFT_H

#include <pthread.h>
#include <stdbool.h>
#include "slotnet_abi.h"

struct nl_socket;
struct rt_link_info;
struct sn_maps;

/* One difference: SLOT's (-1: the root namespace's or shared) OBJECT, expected, found. */
struct drift_item {
	int slot;
	unsigned seq;          /* the order it was found in, within its slot */
	char object[48];
	char expected[64];
	char found[96];
};

struct drift {
	const struct slotnet_config *cfg;
	const struct sn_maps *maps;
	unsigned first, last;  /* the slots to look at: first..last */
	bool have_ipv6;        /* the kernel has IPv6: root veths must have it off */
	/*
	 * Compare the attach too: qdiscs, filters and the programs links hold
	 * (prewarm puts those back itself, without making a slot again).
	 */
	bool attach;
	int *eth0_peer;        /* per slot: the root ifindex its eth0 names (0: unknown) */
	/* Per slot, the root veth as a dump of the root's links gave it; NULL: drift_root dumps them. */
	const struct rt_link_info *root_links;
	bool *differs;         /* per slot: a difference was found */
	pthread_mutex_t lock;  /* items, differs: workers note in parallel */
	struct drift_item *items;
	unsigned nitems, cap;
	unsigned slots_differ;
};

/* Looks at slots FIRST..LAST of CFG, whose maps are MAPS; an exit code. */
int drift_init(struct drift *d, const struct slotnet_config *cfg, const struct sn_maps *maps,
	       unsigned first, unsigned last);
void drift_free(struct drift *d);

/* Notes a difference of SLOT (-1: not a slot's); thread-safe. */
void drift_note(struct drift *d, int slot, const char *object, const char *expected,
		const char *found_fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Inside slot I's namespace, which the calling thread is in (NL a socket
 * opened there): its devices, address, default route and gateway
 * neighbour; -1 with errno when a dump failed.
 */
int drift_slot_inside(struct drift *d, unsigned i, struct nl_socket *nl);

/* Slot I's namespace: mounted at /run/netns, or noted missing; its fd, or -1. */
int drift_open_slot(struct drift *d, unsigned i);

/*
 * drift_slot_inside of every slot, JOBS threads entering their namespaces
 * (PROGRESS: on a terminal, sn_progress); an exit code.
 */
int drift_slots(struct drift *d, unsigned jobs, bool progress);

/*
 * The root namespace (ROOT_NL's): every slot's veth, /32 route and
 * neighbour, the attach (clsact qdiscs and shared filters, or tcx links),
 * and the maps against the kernel; after drift_slot_inside of every slot
 * (for eth0_peer); an exit code.
 */
int drift_root(struct drift *d, struct nl_socket *root_nl);

/* The items in order: by slot (the root's first), then as found. */
void drift_sort(struct drift *d);

#endif
