// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prewarm's survey and repair: what already exists in the root namespace
 * and the pins, which slots must be made (again), and clearing what a
 * crashed run left half made.
 */
#include "config.h"
#include "drift.h"
#include "prewarm_priv.h"
#include "lock.h"
#include "netns.h"
#include "nl.h"
#include "opts.h"
#include "parse.h"
#include "pool.h"
#include "rt.h"
#include "ruleset.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"
#include "out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* A link of another slotnet (pin directory): its group has slotnet's top bit. */
static bool other_slotnets_link(const struct prewarm *p, const struct rt_link_info *link)
{
	return (link->group & 0x80000000u) && link->group != p->cfg.link_group;
}

/* NAME without its trailing digits starts P, or NAME starts with P: the two prefixes overlap. */
static bool overlaps_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(name), plen = strlen(prefix);

	while (n && name[n - 1] >= '0' && name[n - 1] <= '9')
		n--;
	return !strncmp(name, prefix, plen) || (n && n <= plen && !strncmp(name, prefix, n));
}

static void note_conflict(struct prewarm *p, int code, const char *what, const char *name,
			  uint32_t group)
{
	if (p->conflict[0])
		return;
	p->conflict_code = code;
	snprintf(p->conflict, sizeof(p->conflict), "link %s %s (netdev group %u)%s", name, what,
		 group, code == EXIT_USAGE ? "; choose another --prefix" : ": rename or remove it");
}

/*
 * Only links in this pin directory's netdev group are slotnet's: another
 * link with a slot's name is never taken over, and another slotnet's slots
 * must not match this one's names (nor its root rules' PREFIX+).
 */
static int note_root_link(const struct nlmsghdr *nlh, void *data)
{
	struct prewarm *p = data;
	struct rt_link_info link;
	long slot;

	if (rt_link_parse(nlh, &link) < 0 || !link.name)
		return NL_CB_OK;
	if (other_slotnets_link(p, &link) && overlaps_prefix(link.name, p->cfg.prefix))
		note_conflict(p, EXIT_USAGE, "is another slotnet's, whose slot names overlap this "
			      "prefix", link.name, link.group);
	slot = slot_of_name(&p->cfg, link.name);
	if (slot < 0)
		return NL_CB_OK;
	if (link.group == p->cfg.link_group) {
		p->root_ifindex[slot] = link.ifindex;
		p->root_link[slot] = link;
		p->root_link[slot].name = NULL; /* the message goes away */
	}
	else
		note_conflict(p, EXIT_FAILED, "has a slot's name but is not slotnet's", link.name,
			      link.group);
	return NL_CB_OK;
}

static bool links_pinned(const char *veth)
{
	char path[PATH_MAX];

	for (int egress = 0; egress < 2; egress++) {
		link_pin_path(path, g.pin_dir, veth, egress);
		if (access(path, F_OK) < 0)
			return false;
	}
	return true;
}

static bool slot_complete(struct prewarm *p, unsigned i)
{
	struct slotnet_slot s;
	char name[SLOT_NAME_LEN];

	slot_name(name, &p->cfg, i);
	return slot_read(&p->maps, i, &s) == 0 && (s.flags & SLOTNET_SLOT_READY) &&
	       s.ifindex == (unsigned)p->root_ifindex[i] && p->root_ifindex[i] &&
	       netns_exists(name) && (p->cfg.attach != SLOTNET_ATTACH_TCX || links_pinned(name));
}

/* Every root link: the slots' veths, and anything in their way; before anything changes. */
int survey_links(struct prewarm *p)
{
	memset(p->root_ifindex, 0, p->cfg.nslots * sizeof(int));
	memset(p->root_link, 0, p->cfg.nslots * sizeof(*p->root_link));
	p->conflict[0] = '\0';
	if (rt_dump_links(p->root_nl, note_root_link, p) < 0)
		return sn_err(EXIT_FAILED, "listing links: %s", strerror(errno));
	if (p->conflict[0])
		return sn_err(p->conflict_code, "--prefix '%s': %s", p->cfg.prefix, p->conflict);
	return 0;
}

/*
 * Slots to make: those not whole, and those whole but drifted from what
 * prewarm made (every difference check reports of a slot), so that a run
 * of prewarm repairs what check finds.  The attach is left to
 * refresh_tc_attach and refresh_tcx_links, which put back qdiscs and
 * filters and switch links without disturbing a slot's tenant.
 */
int find_todo(struct prewarm *p)
{
	double t0 = sn_now_ms(), t1 = t0;
	struct drift d;
	int ret;

	p->ntodo = 0;
	if (p->prewarmed) {
		if (!(ret = drift_init(&d, &p->cfg, &p->maps, 0, p->cfg.nslots - 1))) {
			d.attach = false;
			d.root_links = p->root_link; /* survey_links dumped them: not twice */
			if (!(ret = drift_slots(&d, p->jobs, false))) {
				t1 = sn_now_ms();
				ret = drift_root(&d, p->root_nl);
			}
		}
		sn_debug("survey: the slots' namespaces in %.0f ms, the root in %.0f ms", t1 - t0,
			 sn_now_ms() - t1);
		if (!ret && d.slots_differ)
			sn_debug("%u slots differ from what prewarm made: made again",
				 d.slots_differ);
		drift_sort(&d);
		for (unsigned k = 0; !ret && k < d.nitems; k++)
			sn_debug("slot %d: %s: expected %s, found %s", d.items[k].slot,
				 d.items[k].object, d.items[k].expected, d.items[k].found);
		for (unsigned i = 0; !ret && i < p->cfg.nslots; i++)
			if (d.differs[i] || !slot_complete(p, i))
				p->todo[p->ntodo++] = i;
		drift_free(&d);
		return ret;
	}
	for (unsigned i = 0; i < p->cfg.nslots; i++)
		if (!slot_complete(p, i))
			p->todo[p->ntodo++] = i;
	return 0;
}

/*
 * Entries no slot's veth explains: an ifslots key of a veth that is gone,
 * a binding past the last slot.  The data path would never match them,
 * but check reports them, so prewarm removes them.
 */
int prune_maps(struct prewarm *p)
{
	__u32 prev, key, slot;
	bool started = false;

	/* A deleted key's successor is what the same previous key leads to next. */
	while (bpf_map_get_next_key(p->maps.ifslots, started ? &prev : NULL, &key) == 0) {
		if (bpf_map_lookup_elem(p->maps.ifslots, &key, &slot) == 0 &&
		    (slot >= p->cfg.nslots || (__u32)p->root_ifindex[slot] != key)) {
			if (bpf_map_delete_elem(p->maps.ifslots, &key) < 0 && errno != ENOENT)
				return sn_err(EXIT_FAILED, "removing a stale ifslots entry: %s",
					      strerror(errno));
			continue;
		}
		prev = key;
		started = true;
	}
	started = false;
	while (bpf_map_get_next_key(p->maps.bindings, started ? &prev : NULL, &key) == 0) {
		if (key >= p->cfg.nslots) {
			if (bpf_map_delete_elem(p->maps.bindings, &key) < 0 && errno != ENOENT)
				return sn_err(EXIT_FAILED, "removing a binding past the last slot: %s",
					      strerror(errno));
			continue;
		}
		prev = key;
		started = true;
	}
	return 0;
}

/*
 * A slot to make again: a bound one was broken (its namespace or veth
 * removed by hand) and keeps its tenant's binding and counters through the
 * repair; an unbound one starts with zero counters.
 */
static int forget_devices(struct prewarm *p, unsigned i)
{
	struct slotnet_binding b;
	__u32 key = i;

	if (slot_unregister(&p->maps, i) < 0)
		return -1;
	if (bpf_map_lookup_elem(p->maps.bindings, &key, &b) == 0) {
		p->repaired++;
		sn_info("slot %u: bound (VNI %u), made again; its binding is kept", i, b.vni);
		return 0;
	}
	return errno == ENOENT ? slot_zero_counters(&p->maps, i) : -1;
}

/* Half-made or broken slots are removed whole and made again: simpler than mending. */
int clear_leftovers(struct prewarm *p)
{
	struct rt_batch *b = rt_batch_new(p->root_nl, NULL, NULL);
	char name[SLOT_NAME_LEN];
	int ret = 0;

	if (!b)
		return sn_err(EXIT_FAILED, "%s", strerror(errno));
	/* Before queuing: a full batch is sent while the loop still runs. */
	rt_batch_tolerate(b, ENODEV);
	for (unsigned k = 0; k < p->ntodo; k++) {
		unsigned i = p->todo[k];

		slot_name(name, &p->cfg, i);
		if (forget_devices(p, i) < 0 || link_unpin(g.pin_dir, name) < 0) {
			ret = sn_err(EXIT_FAILED, "slot %u: clearing its state: %s", i, strerror(errno));
			goto out;
		}
		if (p->root_ifindex[i])
			rt_del_link(b, name, "removing a leftover root veth", (int)i);
		if (netns_remove(name) < 0) {
			ret = sn_err(EXIT_FAILED, "slot %u: removing leftover namespace %s: %s", i, name,
				     strerror(errno));
			goto out;
		}
	}
	ret = commit_root(b);
out:
	rt_batch_free(b);
	return ret;
}
