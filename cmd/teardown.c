// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * teardown: remove what prewarm made for one pin directory, and nothing
 * else.  The root veths, all in the pin directory's netdev group, are deleted
 * explicitly (their peers go with them) so their names are free when teardown
 * returns; the namespaces' remaining devices are dismantled by the kernel in
 * the background.  The pins go last, so an interrupted teardown can always be
 * run again.
 */
#include "lock.h"
#include "metrics.h"
#include "netns.h"
#include "nl.h"
#include "opts.h"
#include "out.h"
#include "rt.h"
#include "ruleset.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <string.h>

static const struct cmd_spec teardown_spec = {
	.name = "teardown",
	.summary = "Remove every slot, root veth, route and pin prewarm made for the pin directory.",
};

/*
 * Only the group makes a link ours: prewarm creates every root veth in it, so
 * a veth renamed since is still ours, and a link merely named like a slot
 * outside it is someone else's.
 */
struct root_survey {
	const struct slotnet_config *cfg;
	unsigned in_group;
};

static int survey_link(const struct nlmsghdr *nlh, void *data)
{
	struct root_survey *s = data;
	struct rt_link_info link;

	if (rt_link_parse(nlh, &link) < 0 || !link.name)
		return NL_CB_OK;
	if (link.group == s->cfg->link_group)
		s->in_group++;
	else if (slot_of_name(s->cfg, link.name) >= 0)
		sn_info("left %s alone: not in slotnet's group", link.name);
	return NL_CB_OK;
}

/*
 * One RTM_DELLINK for the whole group costs one RCU wait instead of one per
 * veth (22 ms each here).  An empty group (nothing left of an earlier
 * teardown) answers ENODEV.
 */
static int remove_root_veths(const struct slotnet_config *cfg)
{
	struct nl_socket *nl = nl_socket_open(NETLINK_ROUTE);
	struct root_survey s = { .cfg = cfg };
	struct rt_batch *b = nl ? rt_batch_new(nl, NULL, NULL) : NULL;
	int ret = 0;

	if (!b || rt_dump_links(nl, survey_link, &s) < 0) {
		ret = sn_err(EXIT_FAILED, "netlink: %s", strerror(errno));
		goto out;
	}
	rt_batch_tolerate(b, ENODEV);
	rt_del_group(b, cfg->link_group, "removing the root veths", -1);
	if (rt_batch_commit(b) < 0) {
		const struct rt_error *e = rt_batch_error(b);

		ret = sn_err(EXIT_FAILED, "%s: %s", e->what, strerror(e->err));
		goto out;
	}
	sn_debug("removed the root veths: %u links of group %#x in one request", s.in_group,
		 cfg->link_group);
out:
	rt_batch_free(b);
	nl_socket_close(nl);
	return ret;
}

static int remove_namespaces(const struct slotnet_config *cfg)
{
	char name[SLOT_NAME_LEN];

	for (unsigned i = 0; i < cfg->nslots; i++) {
		slot_name(name, cfg, i);
		if (netns_remove(name) < 0)
			return sn_err(EXIT_FAILED, "slot %u: removing namespace %s: %s", i, name,
				      strerror(errno));
		if ((i + 1) % 64 == 0 || i + 1 == cfg->nslots)
			sn_progress(i + 1, cfg->nslots);
	}
	return 0;
}

/* The slots' rules go with their namespaces; the root's chains are taken out here. */
static int remove_root_rules(const struct slotnet_config *cfg)
{
	struct rules_outcome o;
	struct fw_tools tools;
	int ret;

	if (!(cfg->rules & SLOTNET_RULES_ON))
		return 0;
	if ((ret = fw_tools_find(cfg->backend, &tools)))
		return ret;
	ret = rules_change(cfg, &tools, FW_REMOVE, RULES_ROOT, NULL, 1, &o);
	rules_outcome_free(&o);
	return ret;
}

/* What was removed; on stderr for people (-q silences it), as JSON on stdout under -j. */
static void report(unsigned nslots, const char *prefix)
{
	if (nslots)
		sn_info("removed %u slots (prefix %s) and the pins in %s", nslots, prefix, g.pin_dir);
	else
		sn_info("nothing to remove in %s", g.pin_dir);
	out_obj_open(NULL);
	out_u64("slots", NULL, nslots);
	if (nslots)
		out_str("prefix", NULL, prefix);
	out_str("pin_dir", NULL, g.pin_dir);
	out_obj_close();
	out_end();
}

int do_teardown(int argc, char **argv)
{
	struct slotnet_config cfg;
	__u32 abi;
	char **args;
	int nargs, ret;

	ret = opts_parse(&teardown_spec, argc, argv, NULL, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	if ((ret = need_privileges()) || (ret = pin_dir_check(g.pin_dir)) || (ret = lock_pin_dir()))
		return ret;
	ret = state_read_config(g.pin_dir, &cfg, &abi); /* any ABI this slotnet reads */
	if (ret == STATE_FRESH) {
		/* Maps may be pinned without a configuration if the first prewarm died early. */
		ret = state_remove(g.pin_dir);
		if (!ret) {
			record_forget();
			report(0, NULL);
		}
		return ret;
	}
	if (ret || (ret = remove_root_rules(&cfg)) || (ret = remove_root_veths(&cfg)) ||
	    (ret = remove_namespaces(&cfg)) || (ret = state_remove(g.pin_dir)))
		return ret;
	record_forget();
	report(cfg.nslots, cfg.prefix);
	return EXIT_DONE;
}
