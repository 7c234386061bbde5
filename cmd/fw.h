/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Firewall rules through the iptables tools: a rule set is the text
 * iptables-save (or ebtables-save) prints for slotnet's own chains, and a
 * namespace is brought to it with one --noflush restore, after one save
 * has shown what differs.  Only chains named SLOTNET-* and the one rule in
 * a built-in chain that jumps to each are ever touched.
 */
#ifndef SLOTNET_FW_H
#define SLOTNET_FW_H

#include <stdbool.h>
#include <stddef.h>

#include "slotnet_abi.h"

#define FW_CHAIN_PREFIX "SLOTNET-"
#define FW_LINE_MAX 192
#define FW_LINES_MAX 48
#define FW_TABLES_MAX 4

/* The two rule languages: IPv4 (iptables) and Ethernet bridging (ebtables). */
enum fw_family { FW_IPV4, FW_BRIDGE, FW_FAMILIES };

struct fw_lines {
	unsigned n;
	char v[FW_LINES_MAX][FW_LINE_MAX];
};

/*
 * One table, as save prints it, reduced to slotnet's part: its chains'
 * declarations, their rules in order, and the hooks ("-A FORWARD -j
 * SLOTNET-FORWARD") from built-in chains.
 */
struct fw_table {
	char name[16];
	struct fw_lines chains, rules, hooks;
};

struct fw_set {
	unsigned n;
	struct fw_table t[FW_TABLES_MAX];
};

/* Adds one line in save form to table TABLE of SET, sorted by what it is. */
void fw_add(struct fw_set *set, const char *table, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The tools of one backend, resolved to paths once. */
struct fw_tools {
	const char *backend[FW_FAMILIES];  /* "nft" or "legacy", for messages */
	char save[FW_FAMILIES][64];
	char restore[FW_FAMILIES][64];
};

/*
 * Finds the tools of BACKEND (enum slotnet_fw_backend; AUTO prefers nft);
 * an exit code, with a message naming what is missing.
 */
int fw_tools_find(int backend, struct fw_tools *tools);

/* What a namespace holds against what it should: lines missing and unexpected. */
struct fw_diff {
	struct fw_lines missing, unexpected;
};

enum fw_mode {
	FW_CHECK,    /* only compare */
	FW_APPLY,    /* compare, then restore what differs */
	FW_REMOVE,   /* take out every SLOTNET chain and hook */
};

/*
 * Brings the namespace NSFD (-1: the calling one) to WANT for FAMILY, or
 * only compares (diff filled either way, describing the state found).
 * Returns 0, or -1 with a message in err (a tool failed or could not run).
 * KNOWN_EMPTY skips the save: for namespaces made moments ago.
 */
int fw_sync(const struct fw_tools *tools, enum fw_family family, int nsfd,
	    const struct fw_set *want, enum fw_mode mode, bool known_empty,
	    struct fw_diff *diff, char *err, size_t errlen);

/* The restore input that installs SET in a namespace where none of it is. */
void fw_render(const struct fw_set *set, enum fw_family family, char *buf, size_t len);

#endif
