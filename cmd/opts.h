/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Options as data: each subcommand describes its options in a table, one
 * parser fills the subcommand's struct from it and the help text is printed
 * from the same table, so the two cannot drift apart.
 */
#ifndef SLOTNET_OPTS_H
#define SLOTNET_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Each option's destination records whether it was given. */
struct opt_flag { bool set; };
struct opt_u32 { bool set; uint32_t v; };
struct opt_str { bool set; const char *v; };
struct opt_ipv4 { bool set; uint32_t be; };
struct opt_cidr { bool set; uint32_t net_be; uint8_t plen; };
struct opt_enum { bool set; int v; };  /* index into choices */
struct opt_mac { bool set; uint8_t mac[6]; };

enum opt_type { OPT_FLAG, OPT_U32, OPT_STR, OPT_IPV4, OPT_CIDR, OPT_ENUM, OPT_MAC };

struct opt_def {
	const char *name;        /* long name without "--" */
	char short_name;         /* 0: none */
	enum opt_type type;
	size_t offset;           /* of the struct opt_* in the subcommand's struct */
	const char *metavar;
	const char *help;
	uint32_t min, max;       /* OPT_U32 */
	const char *const *choices; /* OPT_ENUM, NULL-terminated */
};

#define OPT(nm, sh, ty, st, field, meta, hlp, ...)                              \
	{ .name = nm, .short_name = sh, .type = ty, .offset = offsetof(st, field), \
	  .metavar = meta, .help = hlp, __VA_ARGS__ }

struct cmd_spec {
	const char *name;
	const char *args;        /* positional arguments in the synopsis, or NULL */
	const char *summary;
	const struct opt_def *opts; /* ends with an entry whose name is NULL */
	int max_args;            /* positional arguments allowed */
};

/*
 * Parses argv (argv[0] is the subcommand) into out.  Returns -1 after -h
 * (help printed), 0 on success with the positional arguments left in
 * *args / *nargs (moved to argv[1].., in order), or EXIT_USAGE after
 * printing what was wrong, more than max_args positional arguments included.
 */
int opts_parse(const struct cmd_spec *spec, int argc, char **argv, void *out,
	       char ***args, int *nargs);
void opts_help(const struct cmd_spec *spec, FILE *f);

#endif
