/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the files of prewarm (prewarm*.c) share: its state and their functions. */
#ifndef SLOTNET_PREWARM_PRIV_H
#define SLOTNET_PREWARM_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "fw.h"
#include "netns.h"
#include "opts.h"
#include "ruleset.h"
#include "rt.h"
#include "state.h"

struct nl_socket;
struct rt_batch;

#define CHUNK 64

struct prewarm_args {
	struct opt_u32 slots;
	struct opt_u32 max_slots;
	struct opt_str prefix;
	struct opt_enum tunnel;
	struct opt_ipv4 remote;
	struct opt_cidr outside;
	struct opt_u32 underlay_mtu;
	struct opt_u32 jobs;
	struct opt_enum attach;
	struct opt_flag rules;
	struct rules_opts ro;
};

struct prewarm {
	struct slotnet_config cfg;
	struct slotnet_config pinned; /* as the pins have it (in the current layout) */
	__u32 pinned_abi;       /* theirs, with SLOTNET_ABI_MOVING if an upgrade has begun */
	struct sn_maps maps;
	struct sn_progs progs;
	int root_ns;
	struct nl_socket *root_nl;
	bool rules;             /* the rule sets go in with the slots */
	struct fw_tools tools;
	struct fw_set want[FW_FAMILIES]; /* a slot's rule sets */
	bool have_ipv6;
	bool prewarmed;         /* slots were pinned before this run */
	enum prog_change progs_replaced; /* new programs pinned: switch every attach to them */
	bool upgraded;          /* the state moved to new maps (another ABI, or larger) */
	char conflict[192];     /* a link the survey found in the way */
	int conflict_code;
	unsigned repaired;      /* bound slots made again, their bindings kept */
	int *root_ifindex;      /* per slot: its root-side veth, 0 when absent */
	struct rt_link_info *root_link; /* per slot: what survey_links saw of it (name left out) */
	unsigned *todo;         /* slots to (re)create */
	unsigned ntodo;
	unsigned jobs;
	unsigned made;
	pthread_mutex_t lock;   /* timings and progress */
	double phase_ms[10][4]; /* per tenth of the run: namespaces, devices, rules, root */
	unsigned tenth_slots[10];
};

/*
 * A worker: chunks of slots taken in turn, with a root socket and a proc
 * instance of its own.  Nearly every request takes RTNL, so a second worker
 * only overlaps what does not (namespace creation, mounts, user space).
 */
struct lane {
	struct prewarm *p;
	struct nl_socket *nl;
	struct procfs proc;
};

enum { PHASE_NETNS, PHASE_DEVICES, PHASE_RULES, PHASE_ROOT, PHASES };

/* prewarm_config.c: configuration */
int load_config(struct prewarm *p, const struct prewarm_args *a);

/* prewarm_survey.c: survey and repair */
int survey_links(struct prewarm *p);
int find_todo(struct prewarm *p);
int prune_maps(struct prewarm *p);
int clear_leftovers(struct prewarm *p);

/* prewarm_slot.c: one slot */
int make_namespaces(struct lane *l, const unsigned *slots, unsigned n, int *fds);
int make_devices(struct prewarm *p, const unsigned *slots, unsigned n, const int *fds);
int wire_root(struct lane *l, const unsigned *slots, unsigned n);

/* upgrade.c: new maps, the state moved into them */
bool upgrade_needed(const struct prewarm *p);
int upgrade_maps(struct prewarm *p);

/* prewarm_attach.c: attach */
int attach_chunk(struct prewarm *p, const unsigned *slots, unsigned n);
void queue_tc_attach(struct prewarm *p, struct rt_batch *b, unsigned i, int ifindex,
		     bool first);
int refresh_tc_attach(struct prewarm *p);
int refresh_tcx_links(struct prewarm *p);
/* Both shared filters switched to PROGS (--attach tc); an exit code. */
int switch_tc_filters(struct prewarm *p, const struct sn_progs *progs);
/* Every tcx link of slots 0..NSLOTS-1 switched to TO (a missing one skipped if MISSING_OK). */
int switch_tcx_links(struct prewarm *p, const struct sn_progs *to, unsigned nslots,
		     bool missing_ok);

/* prewarm.c: the driver */
int slot_failed(unsigned i, const char *step, int err, const char *extack);
int commit_root(struct rt_batch *b);
int load_rules(struct prewarm *p, const struct prewarm_args *a);

#endif
