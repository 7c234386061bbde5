/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * slotnet's rule sets: a small, slot-agnostic one for the root namespace
 * and one identical text for every slot, both made from the pinned
 * configuration, and the run that brings every namespace to them.
 */
#ifndef SLOTNET_RULESET_H
#define SLOTNET_RULESET_H

#include "config.h"
#include "fw.h"
#include "opts.h"
#include "slotnet_abi.h"

/* The rule options, shared by rules and prewarm --rules; stored in the pinned configuration. */
struct rules_opts {
	struct opt_enum backend;
	struct opt_str uplink;
	struct opt_enum masquerade;
	struct opt_str vm_addr;
	struct opt_mac vm_mac;
	struct opt_cidr metadata;
	struct opt_enum metadata_access;
	struct opt_enum underlay_access;
};


#define RULES_OPT_DEFS(S, m)                                                               \
	OPT("backend", 0, OPT_ENUM, S, m.backend, "auto|nft|legacy",                      \
	    "iptables backend (default " CONFIG_DEFAULT_BACKEND ": nft when installed)",                         \
	    .choices = config_backend_names),                                               \
	OPT("uplink", 0, OPT_STR, S, m.uplink, "DEV|none",                                \
	    "forward slot traffic only to and from DEV (default none: any non-slot link)"), \
	OPT("masquerade", 0, OPT_ENUM, S, m.masquerade, "on|off",                         \
	    "masquerade the outside range on the uplink (default off)",                    \
	    .choices = config_onoff_names),                                                 \
	OPT("vm-addr", 0, OPT_STR, S, m.vm_addr, "ADDR[/LEN]",                            \
	    "the VM's own address(es), same in every slot (default " CONFIG_DEFAULT_VM_ADDR ")"),          \
	OPT("vm-mac", 0, OPT_MAC, S, m.vm_mac, "MAC",                                     \
	    "the VM's own MAC (default " CONFIG_DEFAULT_VM_MAC ")"),                               \
	OPT("metadata", 0, OPT_CIDR, S, m.metadata, "CIDR",                               \
	    "instance metadata range (default " CONFIG_DEFAULT_METADATA ")"),                       \
	OPT("metadata-access", 0, OPT_ENUM, S, m.metadata_access, "block|allow",          \
	    "whether the VM may reach it (default block)", .choices = config_access_names), \
	OPT("underlay-access", 0, OPT_ENUM, S, m.underlay_access, "block|allow",          \
	    "whether the VM may reach the slot's underlay (default block)",                \
	    .choices = config_access_names)

bool rules_opts_given(const struct rules_opts *o);
/* Validates the options given and writes them into cfg; an exit code. */
int rules_opts_merge(const struct rules_opts *o, struct slotnet_config *cfg);

void ruleset_root(const struct slotnet_config *cfg, enum fw_family family, struct fw_set *out);
void ruleset_slot(const struct slotnet_config *cfg, enum fw_family family, struct fw_set *out);

enum {
	RULES_ROOT = 1u << 0,   /* the namespace slotnet runs in */
	RULES_SLOTS = 1u << 1,  /* every slot's namespace */
};

/* One namespace whose rules differ, or could not be read or written. */
struct rules_finding {
	char ns[32];
	enum fw_family family;
	bool failed;             /* err says why; otherwise diff holds the difference */
	char err[256];
	struct fw_diff *diff;
};

struct rules_outcome {
	unsigned namespaces;     /* looked at */
	unsigned changed;        /* differed (after FW_APPLY/FW_REMOVE: were put right) */
	unsigned nfindings;
	struct rules_finding *findings; /* in namespace order: root first, then slots */
	double ms;
};

/*
 * Runs MODE over the namespaces WHICH names, JOBS at a time; an exit code
 * (EXIT_FAILED when a namespace failed; differences alone are not failures).
 * SKIP, when given, marks slots to leave out (made by this run, rules and all).
 */
int rules_run(const struct slotnet_config *cfg, const struct fw_tools *tools, enum fw_mode mode,
	      unsigned which, const bool *skip, unsigned jobs, struct rules_outcome *out);
void rules_outcome_free(struct rules_outcome *out);

/* rules_run to apply or remove, each failing namespace reported as a message; an exit code. */
int rules_change(const struct slotnet_config *cfg, const struct fw_tools *tools, enum fw_mode mode,
		 unsigned which, const bool *skip, unsigned jobs, struct rules_outcome *out);

/* Threads for rules_run by default: the tools' start-up is CPU work. */
unsigned rules_default_jobs(void);

#endif
