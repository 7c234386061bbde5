// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rules: print, install or check the firewall rule sets: a constant one in
 * the root namespace and the same one in every slot.  The rule options live
 * in the pinned configuration, so --check and later prewarm runs need none.
 */
#include "lock.h"
#include "opts.h"
#include "out.h"
#include "parse.h"
#include "ruleset.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rules_args {
	struct opt_flag print, apply, check, root, slot;
	struct opt_enum tool;
	struct opt_u32 jobs;
	struct rules_opts ro;
};

static const char *const tool_names[] = { "iptables", "ebtables", NULL };

#define A struct rules_args
static const struct opt_def rules_opts[] = {
	OPT("print", 0, OPT_FLAG, A, print, NULL, "print the rule sets in restore format"),
	OPT("apply", 0, OPT_FLAG, A, apply, NULL,
	    "install them in the root namespace and every slot (store the options given)"),
	OPT("check", 0, OPT_FLAG, A, check, NULL,
	    "exit 0 when every namespace holds exactly them, 1 with the differences"),
	OPT("root", 0, OPT_FLAG, A, root, NULL, "only the root namespace's set"),
	OPT("slot", 0, OPT_FLAG, A, slot, NULL, "only the slots' set"),
	OPT("tool", 0, OPT_ENUM, A, tool, "iptables|ebtables",
	    "--print: only the input of this restore tool", .choices = tool_names),
	OPT("jobs", 'J', OPT_U32, A, jobs, "N", "namespaces at once (default: online CPUs)",
	    .min = 1, .max = 64),
	RULES_OPT_DEFS(A, ro),
	{ 0 },
};
#undef A

static const struct cmd_spec rules_spec = {
	.name = "rules",
	.summary = "Print, install (--apply) or verify (--check) the root and slot firewall rules.",
	.opts = rules_opts,
};

static unsigned scope(const struct rules_args *a)
{
	if (a->root.set == a->slot.set)
		return RULES_ROOT | RULES_SLOTS;
	return a->root.set ? RULES_ROOT : RULES_SLOTS;
}

/* Restore input, one array of lines per set under -j. */
static void print_set(const struct slotnet_config *cfg, bool root, enum fw_family fam)
{
	static char text[16384];
	struct fw_set set;
	char last[SLOT_NAME_LEN];

	if (root)
		ruleset_root(cfg, fam, &set);
	else
		ruleset_slot(cfg, fam, &set);
	if (!set.n)
		return;
	slot_name(last, cfg, cfg->nslots - 1);
	out_obj_open(NULL);
	out_str("scope", NULL, root ? "root" : "slots");
	if (root)
		out_str("tool", "# slotnet: the root namespace, %s-restore --noflush\n",
			tool_names[fam]);
	else
		out_text("# slotnet: every slot (%s0..%s), ", cfg->prefix, last);
	if (!root)
		out_str("tool", "%s-restore --noflush\n", tool_names[fam]);
	fw_render(&set, fam, text, sizeof(text));
	out_arr_open("lines");
	for (char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		bool more = l[n] == '\n';

		l[n] = '\0';
		out_str(NULL, "%s\n", l);
		l += n + more;
	}
	out_arr_close();
	out_obj_close();
}

static int print_sets(const struct rules_args *a, const struct slotnet_config *cfg)
{
	unsigned which = scope(a);

	out_obj_open(NULL);
	out_arr_open("sets");
	for (int fam = 0; fam < FW_FAMILIES; fam++) {
		if (a->tool.set && a->tool.v != fam)
			continue;
		if (which & RULES_ROOT)
			print_set(cfg, true, fam);
		if (which & RULES_SLOTS)
			print_set(cfg, false, fam);
	}
	out_arr_close();
	out_obj_close();
	out_end();
	return EXIT_DONE;
}

static void out_backends(const struct fw_tools *t)
{
	out_obj_open("backend");
	out_str("iptables", " (iptables %s", t->backend[FW_IPV4]);
	out_str("ebtables", ", ebtables %s)", t->backend[FW_BRIDGE]);
	out_obj_close();
}

static void out_lines(const char *key, const char *label, const struct fw_lines *l)
{
	out_arr_open(key);
	for (unsigned i = 0; i < l->n; i++)
		out_str(NULL, label, l->v[i]);
	out_arr_close();
}

static void show_findings(const struct rules_outcome *o)
{
	out_arr_open("findings");
	for (unsigned i = 0; i < o->nfindings; i++) {
		const struct rules_finding *f = &o->findings[i];

		out_obj_open(NULL);
		out_str("namespace", "%s", f->ns);
		out_str("tool", " %s:", tool_names[f->family]);
		if (f->failed) {
			out_str("error", " %s\n", f->err);
		} else {
			out_text("\n");
			out_lines("missing", "  missing:    %s\n", &f->diff->missing);
			out_lines("unexpected", "  unexpected: %s\n", &f->diff->unexpected);
		}
		out_obj_close();
	}
	out_arr_close();
}

/* The last facts of a document, and its end: how many namespaces, how many differed. */
static void show_summary(const struct rules_outcome *o, const struct fw_tools *tools,
			 const char *count_fmt, const char *changed_key, const char *changed_fmt)
{
	out_u64("namespaces", count_fmt, o->namespaces);
	out_u64(changed_key, changed_fmt, o->changed);
	out_backends(tools);
	out_u64("ms", " in %lu ms\n", (uint64_t)o->ms);
	out_obj_close();
	out_end();
}

static int check_sets(const struct rules_args *a, const struct slotnet_config *cfg,
		      const struct fw_tools *tools)
{
	struct rules_outcome o;
	unsigned jobs = a->jobs.set ? a->jobs.v : rules_default_jobs();
	int ret = rules_run(cfg, tools, FW_CHECK, scope(a), NULL, jobs, &o);

	out_obj_open(NULL);
	show_findings(&o);
	show_summary(&o, tools, "%lu namespaces checked", "differ", ", %lu differ");
	if (!ret && o.changed)
		ret = EXIT_FAILED;
	rules_outcome_free(&o);
	return ret;
}

/* Failures are printed as messages; the summary still says how far it got. */
static int apply_sets(const struct rules_args *a, const struct slotnet_config *cfg,
		      const struct fw_tools *tools)
{
	struct rules_outcome o;
	unsigned jobs = a->jobs.set ? a->jobs.v : rules_default_jobs();
	int ret = rules_change(cfg, tools, FW_APPLY, scope(a), NULL, jobs, &o);

	if (!ret) {
		out_obj_open(NULL);
		show_summary(&o, tools, "rules in place in %lu namespaces", "changed",
			     " (%lu changed)");
	}
	rules_outcome_free(&o);
	return ret;
}

/* A change of backend takes the rules out of the old one first: both would filter. */
static int leave_old_backend(const struct slotnet_config *pinned, const struct fw_tools *tools)
{
	struct rules_outcome o;
	struct fw_tools old;
	int ret;

	if (!(pinned->rules & SLOTNET_RULES_ON) || fw_tools_find(pinned->backend, &old) ||
	    !strcmp(old.save[FW_IPV4], tools->save[FW_IPV4]))
		return 0;
	ret = rules_change(pinned, &old, FW_REMOVE, RULES_ROOT | RULES_SLOTS, NULL,
			   rules_default_jobs(), &o);
	rules_outcome_free(&o);
	return ret;
}

int do_rules(int argc, char **argv)
{
	struct rules_args a = { 0 };
	const struct slotnet_config *pinned;
	const struct sn_maps *m;
	struct slotnet_config cfg;
	struct fw_tools tools;
	char **args;
	int nargs, ret;

	ret = opts_parse(&rules_spec, argc, argv, &a, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	if (a.print.set + a.apply.set + a.check.set != 1)
		return sn_err(EXIT_USAGE, "give exactly one of --print, --apply and --check");
	if (a.tool.set && !a.print.set)
		return sn_err(EXIT_USAGE, "--tool goes with --print");
	if (a.check.set && rules_opts_given(&a.ro))
		return sn_err(EXIT_USAGE, "--check compares with the pinned rule options; "
			      "give options to --apply (or --print to preview)");
	if ((ret = need_privileges()))
		return ret;
	/* Before the configuration is read: a prewarm's last write must not revert ours. */
	if (a.apply.set && (ret = lock_pin_dir()))
		return ret;
	if ((ret = state_get(0, &m, &pinned)))
		return ret;
	cfg = *pinned;
	if ((ret = rules_opts_merge(&a.ro, &cfg)))
		return ret;
	if (a.print.set)
		return print_sets(&a, &cfg);
	if ((ret = fw_tools_find(cfg.backend, &tools)))
		return ret;
	if (a.check.set)
		return check_sets(&a, &cfg, &tools);
	if ((ret = leave_old_backend(pinned, &tools)))
		return ret;
	cfg.rules |= SLOTNET_RULES_ON;
	if (memcmp(&cfg, pinned, sizeof(cfg)) && (ret = state_write_config(m, &cfg)))
		return ret;
	return apply_sets(&a, &cfg, &tools);
}
