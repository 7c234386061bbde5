// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unbind: the binding is first replaced by a "scrubbing" placeholder (from
 * the next packet on, the slot's tunnel traffic is dropped, and no binder
 * can take the slot), then the slot is scrubbed so the next tenant inherits
 * nothing: counters, learned neighbours, conntrack entries, bridge FDB; only
 * then is the slot free.  The scrub runs even when the slot was already
 * free, so an unbind killed halfway finishes when run again.
 */
#include "lock.h"
#include "netns.h"
#include "nl.h"
#include "opts.h"
#include "out.h"
#include "rt.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <bpf/bpf.h>

static const struct cmd_spec unbind_spec = {
	.name = "unbind",
	.args = "SLOT",
	.summary = "Release a slot and scrub it (binding, counters, neighbours, conntrack, FDB).",
	.max_args = 1,
};

/* Neighbour entries learned in the slot; the permanent gateway entry stays. */
struct learned {
	struct rt_batch *b;
	unsigned slot;
};

static int forget_learned_neigh(const struct nlmsghdr *nlh, void *data)
{
	struct learned *l = data;
	struct rt_neigh_info n;

	if (rt_neigh_parse(nlh, &n) == 0 && !(n.state & (NUD_PERMANENT | NUD_NOARP)) && n.dst_be)
		rt_del_neigh(l->b, n.ifindex, n.dst_be, "deleting a learned neighbour", l->slot);
	return NL_CB_OK;
}

/* Runs inside the slot's namespace. */
static int scrub_links(unsigned slot)
{
	struct nl_socket *nl = nl_socket_open(NETLINK_ROUTE), *dump_nl = nl_socket_open(NETLINK_ROUTE);
	struct learned l = { .slot = slot };
	int ret = 0;

	l.b = nl ? rt_batch_new(nl, NULL, NULL) : NULL;
	if (!l.b || !dump_nl) {
		ret = sn_err(EXIT_FAILED, "slot %u: netlink socket: %s", slot, strerror(errno));
		goto out;
	}
	/* Gone meanwhile (expired, or a concurrent scrub) is as good as deleted. */
	rt_batch_tolerate(l.b, ENOENT);
	if (rt_dump_neighs(dump_nl, forget_learned_neigh, &l) < 0) {
		ret = sn_err(EXIT_FAILED, "slot %u: listing neighbours: %s", slot, strerror(errno));
		goto out;
	}
	rt_flush_bridge_fdb(l.b, SLOT_IFINDEX_BRIDGE, "flushing the bridge's learned entries", slot);
	if (rt_batch_commit(l.b) < 0) {
		const struct rt_error *e = rt_batch_error(l.b);

		ret = sn_err(EXIT_FAILED, "slot %u: %s: %s", slot, e->what, strerror(e->err));
	}
out:
	rt_batch_free(l.b);
	nl_socket_close(nl);
	nl_socket_close(dump_nl);
	return ret;
}

/* Deletes every IPv4 conntrack entry of the current namespace (ctnetlink's flush). */
static int flush_conntrack(unsigned slot)
{
	char buf[NL_SOCKET_BUFFER_SIZE];
	struct nl_socket *nl = nl_socket_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh = nl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	int ret = 0;
	ssize_t n;

	if (!nl) /* a kernel without nfnetlink keeps no conntrack entries we could flush */
		return errno == EPROTONOSUPPORT ? 0 : sn_err(EXIT_FAILED, "slot %u: %s", slot,
							       strerror(errno));
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	nfg = nl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	if (nl_socket_sendto(nl, buf, nlh->nlmsg_len) < 0 ||
	    (n = nl_socket_recvfrom(nl, buf, sizeof(buf))) < 0 ||
	    nl_cb_run(nl, buf, n, 1, nl_socket_get_portid(nl), NULL, NULL, NULL) == NL_CB_ERROR) {
		/* EOPNOTSUPP: no conntrack in this kernel, so nothing to flush. */
		if (errno != EOPNOTSUPP)
			ret = sn_err(EXIT_FAILED, "slot %u: flushing conntrack: %s", slot, strerror(errno));
	}
	nl_socket_close(nl);
	return ret;
}

/* Everything the slot's namespace learned from its tenant. */
static int scrub_namespace(const struct slotnet_config *cfg, unsigned slot)
{
	char name[SLOT_NAME_LEN], path[sizeof(NETNS_RUN_DIR) + SLOT_NAME_LEN + 1];
	int here, there, ret;

	slot_name(name, cfg, slot);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (there < 0) /* never made, or removed: nothing was learned there */
		return errno == ENOENT ? 0 : sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
	here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (here < 0 || setns(there, CLONE_NEWNET) < 0) {
		ret = sn_err(EXIT_FAILED, "slot %u: entering %s: %s", slot, path, strerror(errno));
		goto out;
	}
	ret = scrub_links(slot);
	if (!ret)
		ret = flush_conntrack(slot);
	/* Stuck in the slot, nothing after this (a batch's next line) may run. */
	if (setns(here, CLONE_NEWNET) < 0)
		exit(sn_err(EXIT_FAILED, "returning to the root namespace: %s", strerror(errno)));
out:
	if (here >= 0)
		close(here);
	close(there);
	return ret;
}

static int unbind_slot(const struct sn_maps *m, const struct slotnet_config *cfg, unsigned slot)
{
	const struct slotnet_binding scrubbing = { .flags = SLOTNET_BIND_SCRUBBING };
	struct slotnet_binding old;
	__u32 key = slot;
	bool was_bound;
	int ret;

	was_bound = bpf_map_lookup_elem(m->bindings, &key, &old) == 0 &&
		    !(old.flags & SLOTNET_BIND_SCRUBBING);
	/* The placeholder stops the traffic and keeps binders off until the slot is clean. */
	if (bpf_map_update_elem(m->bindings, &key, &scrubbing, BPF_ANY) < 0)
		return sn_err(EXIT_FAILED, "slot %u: marking it for scrubbing: %s", slot,
			      strerror(errno));
	if (slot_zero_counters(m, slot) < 0)
		return sn_err(EXIT_FAILED, "slot %u: zeroing counters: %s", slot, strerror(errno));
	if ((ret = scrub_namespace(cfg, slot)))
		return ret;
	if (bpf_map_delete_elem(m->bindings, &key) < 0 && errno != ENOENT)
		return sn_err(EXIT_FAILED, "slot %u: freeing it: %s", slot, strerror(errno));
	out_obj_open(NULL);
	out_u64("slot", NULL, slot);
	out_bool("was_bound", NULL, was_bound);
	out_obj_close();
	out_end();
	return 0;
}

int do_unbind(int argc, char **argv)
{
	const struct slotnet_config *cfg;
	const struct sn_maps *m;
	unsigned slot;
	char **args;
	int nargs, ret;

	ret = opts_parse(&unbind_spec, argc, argv, NULL, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	if (!nargs)
		return sn_err(EXIT_USAGE, "which slot? (slotnet unbind SLOT)");
	/* State first: no lock file is made for a directory that holds none. */
	if ((ret = need_privileges()) || (ret = state_require()) || (ret = lock_binders()))
		return ret;
	if ((ret = state_get(SN_BINDINGS | SN_COUNTERS, &m, &cfg)) ||
	    (ret = parse_slot(args[0], cfg, &slot)))
		goto out;
	/*
	 * Held until the slot is free: a second unbind waits, so its final
	 * delete can never hit a binding made after this one scrubbed.
	 */
	if ((ret = lock_slot(slot)))
		goto out;
	ret = unbind_slot(m, cfg, slot);
	unlock_slot(slot);
out:
	unlock_binders();
	return ret;
}
