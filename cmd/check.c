// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check: is every slot still what prewarm made?  The kernel's state
 * against the pins (drift.c), and the rule sets as rules --check sees
 * them; every difference named, exit 1 when there is one.
 */
#include "drift.h"
#include "fw.h"
#include "metrics.h"
#include "opts.h"
#include "out.h"
#include "ruleset.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include "nl.h"

struct check_args {
	struct opt_u32 jobs;
};

static const struct opt_def check_opts[] = {
	OPT("jobs", 0, OPT_U32, struct check_args, jobs, "N",
	    "namespaces looked at in parallel (default: the CPUs, at most 4)", .min = 1, .max = 64),
	{ 0 },
};

static const struct cmd_spec check_spec = {
	.name = "check",
	.args = "[SLOT]",
	.summary = "Compare the kernel's state with what prewarm made: every slot's namespace,\n"
		   "devices, address, route and neighbour, the root side, the attach, the maps\n"
		   "and the rule sets.  Exit 1 naming every difference.",
	.opts = check_opts,
	.max_args = 1,
};

static unsigned default_jobs(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
}

/* The rule sets, when prewarm --rules or rules --apply put them in: rules --check's findings. */
static int check_rules(struct drift *d)
{
	const struct slotnet_config *c = d->cfg;
	struct rules_outcome o;
	struct fw_tools tools;
	bool *skip;
	int ret;

	if (!(c->rules & SLOTNET_RULES_ON))
		return 0;
	if ((ret = fw_tools_find(c->backend, &tools)))
		return ret;
	skip = calloc(c->nslots, sizeof(*skip));
	if (!skip)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	for (unsigned i = 0; i < c->nslots; i++)
		skip[i] = i < d->first || i > d->last;
	ret = rules_run(c, &tools, FW_CHECK, RULES_ROOT | RULES_SLOTS, skip, rules_default_jobs(),
			&o);
	free(skip);
	for (unsigned k = 0; !ret && k < o.nfindings; k++) {
		const struct rules_finding *f = &o.findings[k];
		long slot = slot_of_name(c, f->ns);
		char obj[48];

		snprintf(obj, sizeof(obj), "%s rules", f->family == FW_IPV4 ? "iptables" : "ebtables");
		if (f->failed)
			drift_note(d, (int)slot, obj, "readable", "%s", f->err);
		else
			drift_note(d, (int)slot, obj, "as rules --print", "%u missing, %u unexpected%s%s",
				   f->diff->missing.n, f->diff->unexpected.n,
				   f->diff->missing.n ? ", first missing: " : "",
				   f->diff->missing.n ? f->diff->missing.v[0] : "");
	}
	rules_outcome_free(&o);
	return ret;
}

static void report(const struct drift *d, double ms)
{
	out_obj_open(NULL);
	out_arr_open("differences");
	for (unsigned k = 0; k < d->nitems; k++) {
		const struct drift_item *it = &d->items[k];

		out_obj_open(NULL);
		if (it->slot >= 0)
			out_u64("slot", "slot %lu: ", (uint64_t)it->slot);
		else
			out_null("slot", "%s: ", "root");
		out_str("object", "%s: ", it->object);
		out_str("expected", "expected %s, ", it->expected);
		out_str("found", "found %s\n", it->found);
		out_obj_close();
	}
	out_arr_close();
	out_u64("slots", "%lu slots checked", d->last - d->first + 1);
	out_u64("differ", ": %lu differences", d->nitems);
	out_u64("slots_differ", " in %lu slots", d->slots_differ);
	out_u64("ms", " (%lu ms)\n", (uint64_t)ms);
	out_obj_close();
	out_end();
}

int do_check(int argc, char **argv)
{
	struct check_args a = { 0 };
	const struct slotnet_config *cfg;
	const struct sn_maps *m;
	double start = sn_now_ms();
	struct nl_socket *root_nl;
	struct drift d;
	unsigned slot = 0;
	char **args;
	int nargs, ret;

	ret = opts_parse(&check_spec, argc, argv, &a, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	if ((ret = need_privileges()) || (ret = state_get(SN_SLOTS | SN_IFSLOTS | SN_BINDINGS, &m,
							    &cfg)))
		return ret;
	if (nargs && (ret = parse_slot(args[0], cfg, &slot)))
		return ret;
	if ((ret = drift_init(&d, cfg, m, slot, nargs ? slot : cfg->nslots - 1)))
		goto out;
	root_nl = nl_socket_open(NETLINK_ROUTE);
	if (!root_nl) {
		ret = sn_err(EXIT_FAILED, "netlink socket: %s", strerror(errno));
		goto out;
	}
	if (!(ret = drift_slots(&d, a.jobs.set ? a.jobs.v : default_jobs(), true)) &&
	    !(ret = drift_root(&d, root_nl)) && !(ret = check_rules(&d))) {
		drift_sort(&d);
		report(&d, sn_now_ms() - start);
		/* The worker's record, for the metrics: a check of one slot is not one of the worker. */
		if (!nargs)
			record_run("check", sn_now_ms() - start, d.nitems, d.slots_differ);
		ret = d.nitems ? EXIT_FAILED : EXIT_DONE;
	}
	nl_socket_close(root_nl);
out:
	drift_free(&d);
	return ret;
}
