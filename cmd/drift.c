// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drift: what the kernel holds against what prewarm made from the pinned
 * configuration.  Every fact is read in bulk (one dump per namespace and
 * object kind), never a request per device, so that 4,000 slots are
 * looked at in seconds.
 */
#include "drift.h"
#include "config.h"
#include "netns.h"
#include "nl.h"
#include "parse.h"
#include "pool.h"
#include "rt.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/neighbour.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int drift_init(struct drift *d, const struct slotnet_config *cfg, const struct sn_maps *maps,
	       unsigned first, unsigned last)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->maps = maps;
	d->first = first;
	d->last = last;
	d->have_ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	d->attach = true;
	d->eth0_peer = calloc(cfg->nslots, sizeof(*d->eth0_peer));
	d->differs = calloc(cfg->nslots, sizeof(*d->differs));
	pthread_mutex_init(&d->lock, NULL);
	if (!d->eth0_peer || !d->differs)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	return 0;
}

void drift_free(struct drift *d)
{
	free(d->eth0_peer);
	free(d->differs);
	free(d->items);
	pthread_mutex_destroy(&d->lock);
}

void drift_note(struct drift *d, int slot, const char *object, const char *expected,
		const char *found_fmt, ...)
{
	struct drift_item *it;
	va_list ap;

	pthread_mutex_lock(&d->lock);
	if (d->nitems == d->cap) {
		unsigned cap = d->cap ? 2 * d->cap : 64;
		struct drift_item *items = realloc(d->items, cap * sizeof(*items));

		if (!items) {
			pthread_mutex_unlock(&d->lock);
			return;
		}
		d->items = items;
		d->cap = cap;
	}
	it = &d->items[d->nitems++];
	it->slot = slot;
	it->seq = d->nitems;
	snprintf(it->object, sizeof(it->object), "%s", object);
	snprintf(it->expected, sizeof(it->expected), "%s", expected);
	va_start(ap, found_fmt);
	vsnprintf(it->found, sizeof(it->found), found_fmt, ap);
	va_end(ap);
	if (slot >= 0 && !d->differs[slot]) {
		d->differs[slot] = true;
		d->slots_differ++;
	}
	pthread_mutex_unlock(&d->lock);
}

static int by_slot_then_seq(const void *a, const void *b)
{
	const struct drift_item *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void drift_sort(struct drift *d)
{
	if (d->nitems)
		qsort(d->items, d->nitems, sizeof(*d->items), by_slot_then_seq);
}

/* ---- inside a slot ---- */

/* What prewarm makes of each device in a slot. */
struct want_link {
	const char *name;
	const char *kind;
	int ifindex;            /* 0: any (tap0, made by ioctl) */
	int master;
	uint32_t mtu;
	const uint8_t *mac;     /* NULL: any */
	bool tunnel;
};

#define SLOT_LINKS 4

struct inside {
	struct drift *d;
	unsigned slot;
	struct want_link want[SLOT_LINKS];
	struct rt_link_info have[SLOT_LINKS];
	bool seen[SLOT_LINKS];
	struct rt_addr_info addr;
	unsigned naddrs;
	struct rt_route_info route;
	unsigned nroutes;
	struct rt_neigh_info neigh;
	bool neigh_seen;
};

static int inside_link(const struct nlmsghdr *nlh, void *data)
{
	struct inside *in = data;
	struct rt_link_info l;

	if (rt_link_parse(nlh, &l) < 0 || !l.name)
		return NL_CB_OK;
	for (int k = 0; k < SLOT_LINKS; k++)
		if (!strcmp(l.name, in->want[k].name)) {
			in->have[k] = l;
			in->have[k].name = in->want[k].name; /* the message goes away */
			in->seen[k] = true;
		}
	return NL_CB_OK;
}

static int inside_addr(const struct nlmsghdr *nlh, void *data)
{
	struct inside *in = data;
	struct rt_addr_info a;

	if (rt_addr_parse(nlh, &a) == 0 && a.ifindex == SLOT_IFINDEX_VETH) {
		/* The expected one wins over others, so that a second address is the one reported. */
		if (!in->naddrs || a.local_be != in->d->cfg->inside_be)
			in->addr = a;
		in->naddrs++;
	}
	return NL_CB_OK;
}

static int inside_route(const struct nlmsghdr *nlh, void *data)
{
	struct inside *in = data;
	struct rt_route_info r;

	if (rt_route_parse(nlh, &r) == 0 && r.table == RT_TABLE_MAIN && r.dst_len == 0) {
		in->route = r;
		in->nroutes++;
	}
	return NL_CB_OK;
}

static int inside_neigh(const struct nlmsghdr *nlh, void *data)
{
	struct inside *in = data;
	struct rt_neigh_info n;

	if (rt_neigh_parse(nlh, &n) == 0 && n.dst_be == in->d->cfg->gateway_be &&
	    n.ifindex == SLOT_IFINDEX_VETH) {
		in->neigh = n;
		in->neigh_seen = true;
	}
	return NL_CB_OK;
}

static void want_slot_links(const struct drift *d, struct want_link want[SLOT_LINKS])
{
	static const uint8_t veth_mac[6] = SLOT_VETH_MAC;
	const struct slotnet_config *c = d->cfg;

	want[0] = (struct want_link){ SLOT_VETH, "veth", SLOT_IFINDEX_VETH, 0, c->underlay_mtu,
				      veth_mac, false };
	want[1] = (struct want_link){ SLOT_BRIDGE, "bridge", SLOT_IFINDEX_BRIDGE, 0, c->guest_mtu,
				      NULL, false };
	want[2] = (struct want_link){ SLOT_TUN, config_tunnel_name(c->tunnel), SLOT_IFINDEX_TUN,
				      SLOT_IFINDEX_BRIDGE, c->guest_mtu, NULL, true };
	want[3] = (struct want_link){ SLOT_TAP, "tun", 0, SLOT_IFINDEX_BRIDGE, c->guest_mtu, NULL,
				      false };
}

static void object(char *buf, size_t len, const char *dev, const char *what)
{
	snprintf(buf, len, "%s %s", dev, what);
}

/* The tunnel's own facts: its VNI (the slot's dummy one), remote and learning. */
static void compare_tunnel(struct drift *d, unsigned i, const struct rt_link_info *l)
{
	char o[48], want[64], a[IPV4_STRLEN];

	snprintf(want, sizeof(want), "%u", d->cfg->dummy_vni_base + i);
	object(o, sizeof(o), SLOT_TUN, "vni");
	if (l->vni != d->cfg->dummy_vni_base + i)
		drift_note(d, (int)i, o, want, "%u", l->vni);
	format_ipv4(d->cfg->remote_be, want);
	object(o, sizeof(o), SLOT_TUN, "remote");
	if (l->remote_be != d->cfg->remote_be)
		drift_note(d, (int)i, o, want, "%s", format_ipv4(l->remote_be, a));
	object(o, sizeof(o), SLOT_TUN, "learning");
	if (d->cfg->tunnel == SLOTNET_TUNNEL_VXLAN && l->learning != 0)
		drift_note(d, (int)i, o, "off", "%s", l->learning < 0 ? "unknown" : "on");
}

static void compare_link(struct drift *d, unsigned i, const struct want_link *w,
			 const struct rt_link_info *l)
{
	char o[48], want[64], mac[MAC_STRLEN];

	object(o, sizeof(o), w->name, "kind");
	if (strcmp(l->kind, w->kind)) {
		drift_note(d, (int)i, o, w->kind, "%s", l->kind[0] ? l->kind : "none");
		return; /* another kind of device: nothing else of it to compare */
	}
	object(o, sizeof(o), w->name, "ifindex");
	snprintf(want, sizeof(want), "%d", w->ifindex);
	if (w->ifindex && l->ifindex != w->ifindex)
		drift_note(d, (int)i, o, want, "%d", l->ifindex);
	object(o, sizeof(o), w->name, "master");
	if (l->master != w->master)
		drift_note(d, (int)i, o, w->master ? SLOT_BRIDGE : "none", "%s",
			   l->master ? "another device" : "none");
	object(o, sizeof(o), w->name, "state");
	if (!(l->flags & IFF_UP))
		drift_note(d, (int)i, o, "up", "down");
	object(o, sizeof(o), w->name, "mtu");
	snprintf(want, sizeof(want), "%u", w->mtu);
	if (l->mtu != w->mtu)
		drift_note(d, (int)i, o, want, "%u", l->mtu);
	object(o, sizeof(o), w->name, "address");
	if (w->mac && (!l->has_mac || memcmp(l->mac, w->mac, 6)))
		drift_note(d, (int)i, o, format_mac(w->mac, mac), "%s",
			   l->has_mac ? format_mac(l->mac, mac) : "none");
	if (w->tunnel)
		compare_tunnel(d, i, l);
}

static void compare_inside(struct drift *d, const struct inside *in)
{
	static const uint8_t gw_mac[6] = SLOT_GATEWAY_MAC;
	const struct slotnet_config *c = d->cfg;
	unsigned i = in->slot;
	char want[64], a[CIDR_STRLEN], b[IPV4_STRLEN], mac[MAC_STRLEN];

	for (int k = 0; k < SLOT_LINKS; k++) {
		char o[48];

		object(o, sizeof(o), in->want[k].name, "device");
		if (!in->seen[k])
			drift_note(d, (int)i, o, in->want[k].kind, "missing");
		else
			compare_link(d, i, &in->want[k], &in->have[k]);
	}
	if (in->seen[0])
		d->eth0_peer[i] = in->have[0].link;
	format_cidr(c->inside_be, c->inside_plen, want);
	if (!in->naddrs)
		drift_note(d, (int)i, SLOT_VETH " ipv4 address", want, "none");
	else if (in->naddrs > 1 || in->addr.local_be != c->inside_be ||
		 in->addr.plen != c->inside_plen)
		drift_note(d, (int)i, SLOT_VETH " ipv4 address", want, "%s%s",
			   format_cidr(in->addr.local_be, in->addr.plen, a),
			   in->naddrs > 1 ? " and others" : "");
	snprintf(want, sizeof(want), "via %s dev " SLOT_VETH, format_ipv4(c->gateway_be, b));
	if (!in->nroutes)
		drift_note(d, (int)i, "default route", want, "missing");
	else if (in->nroutes > 1 || in->route.gw_be != c->gateway_be ||
		 in->route.oif != SLOT_IFINDEX_VETH || in->route.type != RTN_UNICAST)
		drift_note(d, (int)i, "default route", want, "%s%s%s",
			   in->route.gw_be ? "via " : "no gateway",
			   in->route.gw_be ? format_ipv4(in->route.gw_be, b) : "",
			   in->route.oif != SLOT_IFINDEX_VETH ? " on another device" : "");
	snprintf(want, sizeof(want), "%s permanent", format_mac(gw_mac, mac));
	if (!in->neigh_seen)
		drift_note(d, (int)i, "gateway neighbour", want, "missing");
	else if (!(in->neigh.state & NUD_PERMANENT) || !in->neigh.has_lladdr ||
		 memcmp(in->neigh.lladdr, gw_mac, 6))
		drift_note(d, (int)i, "gateway neighbour", want, "%s%s",
			   in->neigh.has_lladdr ? format_mac(in->neigh.lladdr, mac) : "no address",
			   in->neigh.state & NUD_PERMANENT ? " permanent" : " not permanent");
}

int drift_open_slot(struct drift *d, unsigned i)
{
	char name[SLOT_NAME_LEN], path[PATH_MAX];
	struct statfs st;
	int fd;

	slot_name(name, d->cfg, i);
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	fd = netns_open(name);
	if (fd < 0) {
		drift_note(d, (int)i, "namespace", "mounted at " NETNS_RUN_DIR, "%s",
			   errno == ENOENT ? "missing" : strerror(errno));
		return -1;
	}
	/* A file left where the mount was opens, but it is no namespace. */
	if (fstatfs(fd, &st) < 0 || st.f_type != NSFS_MAGIC) {
		drift_note(d, (int)i, "namespace", "mounted at " NETNS_RUN_DIR, "not a namespace");
		close(fd);
		return -1;
	}
	return fd;
}

int drift_slot_inside(struct drift *d, unsigned i, struct nl_socket *nl)
{
	struct inside in = { .d = d, .slot = i };

	want_slot_links(d, in.want);
	if (rt_dump_links(nl, inside_link, &in) < 0 || rt_dump_addrs(nl, inside_addr, &in) < 0 ||
	    rt_dump_routes(nl, inside_route, &in) < 0)
		return -1;
	/* The gateway's entry alone: a neighbour dump walks every namespace's. */
	if (rt_get_neigh(nl, SLOT_IFINDEX_VETH, d->cfg->gateway_be, inside_neigh, &in) < 0 &&
	    errno != ENOENT && errno != ENODEV)
		return -1;
	compare_inside(d, &in);
	return 0;
}

struct slots_worker {
	struct drift *d;
	bool progress;
	unsigned *done;
};

/* Slots FIRST.. of the run (from the drift's first slot), each in its own namespace. */
static int slots_chunk(void *arg, unsigned first, unsigned n)
{
	struct slots_worker *w = arg;
	struct drift *d = w->d;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = d->first + first + k;
		struct nl_socket *nl;
		int fd = drift_open_slot(d, i);

		if (fd < 0)
			continue;
		if (setns(fd, CLONE_NEWNET) < 0) {
			close(fd);
			return sn_err(EXIT_FAILED, "slot %u: entering its namespace: %s", i,
				      strerror(errno));
		}
		close(fd);
		nl = nl_socket_open(NETLINK_ROUTE);
		if (!nl || drift_slot_inside(d, i, nl) < 0) {
			int err = errno;

			nl_socket_close(nl);
			return sn_err(EXIT_FAILED, "slot %u: reading its namespace: %s", i,
				      strerror(err));
		}
		nl_socket_close(nl);
	}
	pthread_mutex_lock(&d->lock);
	*w->done += n;
	if (w->progress)
		sn_progress(*w->done, d->last - d->first + 1);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

#define DRIFT_MAX_JOBS 64

int drift_slots(struct drift *d, unsigned jobs, bool progress)
{
	struct slots_worker workers[DRIFT_MAX_JOBS];
	unsigned done = 0;
	struct pool pool = {
		.total = d->last - d->first + 1, .chunk = 32, .work = slots_chunk,
	};
	int ret;

	if (jobs > DRIFT_MAX_JOBS)
		jobs = DRIFT_MAX_JOBS;
	for (unsigned w = 0; w < jobs; w++)
		workers[w] = (struct slots_worker){ .d = d, .progress = progress, .done = &done };
	/* Threads: each enters the slots' namespaces, which the caller's thread never does. */
	ret = pool_run(&pool, workers, sizeof(workers[0]), jobs);
	if (ret < 0)
		return sn_err(EXIT_FAILED, "starting a worker: %s", strerror(pool.start_err));
	return ret;
}

/* ---- the root namespace ---- */

struct root_slot {
	int ifindex;            /* its veth's; 0 when missing */
	unsigned nroutes, nneighs, nqdiscs;
	struct rt_link_info veth;
	struct rt_route_info route;
	struct rt_neigh_info neigh;
	struct rt_qdisc_info qdisc;
};

struct root {
	struct drift *d;
	struct root_slot *s;    /* per slot */
	uint32_t first_be;      /* slot 0's outside address, host order */
	struct rt_filter_info filter[2];
	unsigned nfilters[2];
	int block_dump;         /* the block being dumped: 0 ingress, 1 egress */
};

/* The slot whose outside address ADDR is, or -1. */
static long slot_of_outside(const struct root *r, uint32_t addr_be)
{
	uint32_t n = ntohl(addr_be) - r->first_be;

	return n < r->d->cfg->nslots ? (long)n : -1;
}

/* The slot whose root veth has IFINDEX, or -1 (a linear search is too slow: by the map). */
static long slot_of_ifindex(const struct root *r, int ifindex)
{
	__u32 key = (__u32)ifindex, slot;

	if (bpf_map_lookup_elem(r->d->maps->ifslots, &key, &slot) == 0 &&
	    slot < r->d->cfg->nslots && r->s[slot].ifindex == ifindex)
		return slot;
	for (unsigned i = r->d->first; i <= r->d->last; i++)
		if (r->s[i].ifindex == ifindex)
			return i;
	return -1;
}

static int root_link(const struct nlmsghdr *nlh, void *data)
{
	struct root *r = data;
	struct rt_link_info l;
	long i;

	if (rt_link_parse(nlh, &l) < 0 || !l.name)
		return NL_CB_OK;
	i = slot_of_name(r->d->cfg, l.name);
	if (i < (long)r->d->first || i > (long)r->d->last)
		return NL_CB_OK;
	r->s[i].ifindex = l.ifindex;
	r->s[i].veth = l;
	r->s[i].veth.name = NULL;
	return NL_CB_OK;
}

static int root_route(const struct nlmsghdr *nlh, void *data)
{
	struct root *r = data;
	struct rt_route_info rt;
	long i;

	if (rt_route_parse(nlh, &rt) < 0 || rt.table != RT_TABLE_MAIN || rt.dst_len != 32)
		return NL_CB_OK;
	i = slot_of_outside(r, rt.dst_be);
	if (i >= (long)r->d->first && i <= (long)r->d->last) {
		r->s[i].route = rt;
		r->s[i].nroutes++;
	}
	return NL_CB_OK;
}

static int root_neigh(const struct nlmsghdr *nlh, void *data)
{
	struct root *r = data;
	struct rt_neigh_info n;
	long i;

	if (rt_neigh_parse(nlh, &n) < 0)
		return NL_CB_OK;
	i = slot_of_outside(r, n.dst_be);
	if (i >= (long)r->d->first && i <= (long)r->d->last && n.ifindex == r->s[i].ifindex) {
		r->s[i].neigh = n;
		r->s[i].nneighs++;
	}
	return NL_CB_OK;
}

static int root_qdisc(const struct nlmsghdr *nlh, void *data)
{
	struct root *r = data;
	struct rt_qdisc_info q;
	long i;

	if (rt_qdisc_parse(nlh, &q) < 0 || q.parent != TC_H_CLSACT)
		return NL_CB_OK;
	i = slot_of_ifindex(r, q.ifindex);
	if (i >= 0) {
		r->s[i].qdisc = q;
		r->s[i].nqdiscs++;
	}
	return NL_CB_OK;
}

static int root_filter(const struct nlmsghdr *nlh, void *data)
{
	struct root *r = data;
	struct rt_filter_info f;

	/* A dump also lists each priority's classifier itself, with handle 0. */
	if (rt_filter_parse(nlh, &f) < 0 || !f.handle)
		return NL_CB_OK;
	r->filter[r->block_dump] = f;
	r->nfilters[r->block_dump]++;
	return NL_CB_OK;
}

static void compare_root_veth(struct drift *d, unsigned i, const struct root_slot *s)
{
	static const uint8_t veth_mac[6] = SLOT_VETH_MAC;
	const struct slotnet_config *c = d->cfg;
	char want[64], b[IPV4_STRLEN], mac[MAC_STRLEN];

	if (!s->ifindex) {
		drift_note(d, (int)i, "root veth", "veth in group of the pins", "missing");
		return;
	}
	if (strcmp(s->veth.kind, "veth"))
		drift_note(d, (int)i, "root veth kind", "veth", "%s", s->veth.kind);
	snprintf(want, sizeof(want), "%u", c->link_group);
	if (s->veth.group != c->link_group)
		drift_note(d, (int)i, "root veth group", want, "%u", s->veth.group);
	if (!(s->veth.flags & IFF_UP))
		drift_note(d, (int)i, "root veth state", "up", "down");
	snprintf(want, sizeof(want), "%u", c->underlay_mtu);
	if (s->veth.mtu != c->underlay_mtu)
		drift_note(d, (int)i, "root veth mtu", want, "%u", s->veth.mtu);
	if (d->have_ipv6 && s->veth.ipv6_disabled != 1)
		drift_note(d, (int)i, "root veth ipv6", "disabled", "enabled");
	if (d->eth0_peer[i] && d->eth0_peer[i] != s->ifindex)
		drift_note(d, (int)i, "root veth peer", "the slot's eth0", "another device");
	format_ipv4(cidr_host(c->outside_be, c->outside_plen, i), b);
	snprintf(want, sizeof(want), "%s/32 dev veth", b);
	if (!s->nroutes)
		drift_note(d, (int)i, "outside route", want, "missing");
	else if (s->nroutes > 1 || s->route.oif != s->ifindex || s->route.gw_be ||
		 s->route.type != RTN_UNICAST)
		drift_note(d, (int)i, "outside route", want, "%s",
			   s->route.oif != s->ifindex ? "on another device" : "via a gateway");
	snprintf(want, sizeof(want), "%s permanent", format_mac(veth_mac, mac));
	if (!s->nneighs)
		drift_note(d, (int)i, "outside neighbour", want, "missing");
	else if (!(s->neigh.state & NUD_PERMANENT) || !s->neigh.has_lladdr ||
		 memcmp(s->neigh.lladdr, veth_mac, 6))
		drift_note(d, (int)i, "outside neighbour", want, "%s%s",
			   s->neigh.has_lladdr ? format_mac(s->neigh.lladdr, mac) : "no address",
			   s->neigh.state & NUD_PERMANENT ? " permanent" : " not permanent");
}

static void compare_qdisc(struct drift *d, unsigned i, const struct root_slot *s)
{
	char want[64];

	if (!s->ifindex)
		return;
	snprintf(want, sizeof(want), "clsact, blocks %u and %u", config_tc_block(d->cfg, false),
		 config_tc_block(d->cfg, true));
	if (!s->nqdiscs)
		drift_note(d, (int)i, "clsact qdisc", want, "missing");
	else if (s->qdisc.ingress_block != config_tc_block(d->cfg, false) ||
		 s->qdisc.egress_block != config_tc_block(d->cfg, true))
		drift_note(d, (int)i, "clsact qdisc", want, "blocks %u and %u",
			   s->qdisc.ingress_block, s->qdisc.egress_block);
}

/* The id of the pinned program NAME (from_slot, to_slot), or 0. */
static __u32 pinned_prog_id(const char *name)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", g.pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_prog_get_info_by_fd(fd, &info, &len) < 0)
		info.id = 0;
	close(fd);
	return info.id;
}

static const char *const prog_names[2] = { "from_slot", "to_slot" };

static int compare_filters(struct root *r, struct nl_socket *nl, const __u32 prog_ids[2])
{
	struct drift *d = r->d;

	for (int egress = 0; egress < 2; egress++) {
		const struct rt_filter_info *f = &r->filter[egress];
		char o[48], want[64];

		r->block_dump = egress;
		if (rt_dump_block_filters(nl, config_tc_block(d->cfg, egress), root_filter, r) < 0)
			return sn_err(EXIT_FAILED, "listing the filters of block %u: %s",
				      config_tc_block(d->cfg, egress), strerror(errno));
		snprintf(o, sizeof(o), "%s filter", egress ? "egress" : "ingress");
		snprintf(want, sizeof(want), "bpf %s (id %u), handle 1 pref 1 da", prog_names[egress],
			 prog_ids[egress]);
		if (!r->nfilters[egress])
			drift_note(d, -1, o, want, "missing");
		else if (r->nfilters[egress] > 1)
			drift_note(d, -1, o, want, "%u filters", r->nfilters[egress]);
		else if (strcmp(f->kind, "bpf") || f->handle != 1 || f->prio != 1 ||
			 !f->direct_action || f->prog_id != prog_ids[egress])
			drift_note(d, -1, o, want, "%s program id %u, handle %u pref %u%s", f->kind,
				   f->prog_id, f->handle, f->prio, f->direct_action ? " da" : "");
	}
	return 0;
}

static void compare_tcx_links(struct drift *d, unsigned i, const struct root_slot *s,
			      const __u32 prog_ids[2])
{
	const enum bpf_attach_type types[2] = { BPF_TCX_INGRESS, BPF_TCX_EGRESS };
	char name[SLOT_NAME_LEN], path[PATH_MAX];

	slot_name(name, d->cfg, i);
	for (int egress = 0; egress < 2; egress++) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		char o[48], want[64];
		int fd;

		snprintf(o, sizeof(o), "tcx %s link", egress ? "egress" : "ingress");
		snprintf(want, sizeof(want), "pinned, %s (id %u) on the veth", prog_names[egress],
			 prog_ids[egress]);
		link_pin_path(path, g.pin_dir, name, egress);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			drift_note(d, (int)i, o, want, "%s", errno == ENOENT ? "missing" : strerror(errno));
			continue;
		}
		if (bpf_link_get_info_by_fd(fd, &info, &len) < 0)
			drift_note(d, (int)i, o, want, "unreadable: %s", strerror(errno));
		else if (info.type != BPF_LINK_TYPE_TCX || info.tcx.attach_type != types[egress])
			drift_note(d, (int)i, o, want, "another kind of link");
		else if (!s->ifindex || (int)info.tcx.ifindex != s->ifindex)
			drift_note(d, (int)i, o, want, "%s", info.tcx.ifindex ? "on another device"
						   : "detached (its device is gone)");
		else if (d->attach && info.prog_id != prog_ids[egress])
			drift_note(d, (int)i, o, want, "program id %u", info.prog_id);
		close(fd);
	}
}

static void compare_maps(struct drift *d, unsigned i, const struct root_slot *s)
{
	const struct slotnet_config *c = d->cfg;
	struct slotnet_slot e;
	__u32 key, slot;
	char want[64];

	if (slot_read(d->maps, i, &e) < 0) {
		drift_note(d, (int)i, "slots map entry", "readable", "%s", strerror(errno));
		return;
	}
	if (!(e.flags & SLOTNET_SLOT_READY))
		drift_note(d, (int)i, "slots map entry", "ready", "not ready");
	snprintf(want, sizeof(want), "%d", s->ifindex);
	if (s->ifindex && e.ifindex != (__u32)s->ifindex)
		drift_note(d, (int)i, "slots map ifindex", want, "%u", e.ifindex);
	if (e.outside_be != cidr_host(c->outside_be, c->outside_plen, i) ||
	    e.dummy_vni != c->dummy_vni_base + i)
		drift_note(d, (int)i, "slots map entry", "the slot's outside address and VNI",
			   "others");
	if (!s->ifindex)
		return;
	key = (__u32)s->ifindex;
	snprintf(want, sizeof(want), "%u", i);
	if (bpf_map_lookup_elem(d->maps->ifslots, &key, &slot) < 0)
		drift_note(d, (int)i, "ifslots entry", want, "missing");
	else if (slot != i)
		drift_note(d, (int)i, "ifslots entry", want, "%u", slot);
}

/* Keys of the ifslots and bindings maps that no ready slot explains. */
static void compare_map_keys(struct drift *d, const struct root *r)
{
	__u32 key, next, slot;
	void *prev = NULL;

	while (bpf_map_get_next_key(d->maps->ifslots, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(d->maps->ifslots, &key, &slot) < 0)
			continue;
		if (slot >= d->cfg->nslots)
			drift_note(d, -1, "ifslots entry", "a slot's veth", "ifindex %u -> slot %u",
				   key, slot);
		else if (slot >= d->first && slot <= d->last && r->s[slot].ifindex &&
			 (__u32)r->s[slot].ifindex != key)
			/* Not the slot's: the slot is whole, prewarm removes the key alone. */
			drift_note(d, -1, "ifslots entry", "only the slots' veths",
				   "stale ifindex %u -> slot %u", key, slot);
	}
	prev = NULL;
	while (bpf_map_get_next_key(d->maps->bindings, prev, &next) == 0) {
		struct slotnet_slot e;

		key = next;
		prev = &key;
		if (key >= d->cfg->nslots)
			drift_note(d, -1, "binding", "only on slots", "on slot %u of %u", key,
				   d->cfg->nslots);
		else if (key >= d->first && key <= d->last &&
			 (slot_read(d->maps, key, &e) < 0 || !(e.flags & SLOTNET_SLOT_READY)))
			drift_note(d, (int)key, "binding", "only on a ready slot", "on a slot not ready");
	}
}

int drift_root(struct drift *d, struct nl_socket *nl)
{
	const struct slotnet_config *c = d->cfg;
	struct root r = { .d = d, .first_be = ntohl(cidr_host(c->outside_be, c->outside_plen, 0)) };
	__u32 prog_ids[2] = { pinned_prog_id(prog_names[0]), pinned_prog_id(prog_names[1]) };
	int ret = 0;

	r.s = calloc(c->nslots, sizeof(*r.s));
	if (!r.s)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	for (unsigned i = d->first; d->root_links && i <= d->last; i++) {
		r.s[i].veth = d->root_links[i];
		r.s[i].ifindex = d->root_links[i].ifindex;
	}
	if ((!d->root_links && rt_dump_links(nl, root_link, &r) < 0) ||
	    rt_dump_routes(nl, root_route, &r) < 0 ||
	    rt_dump_neighs(nl, root_neigh, &r) < 0 ||
	    (d->attach && c->attach == SLOTNET_ATTACH_TC && rt_dump_qdiscs(nl, root_qdisc, &r) < 0)) {
		ret = sn_err(EXIT_FAILED, "reading the root namespace: %s", strerror(errno));
		goto out;
	}
	if (d->attach && c->attach == SLOTNET_ATTACH_TC && (ret = compare_filters(&r, nl, prog_ids)))
		goto out;
	for (unsigned i = d->first; i <= d->last; i++) {
		compare_root_veth(d, i, &r.s[i]);
		/* prewarm's own check of the links (slot_complete) and their refresh do this. */
		if (c->attach == SLOTNET_ATTACH_TCX && d->attach)
			compare_tcx_links(d, i, &r.s[i], prog_ids);
		else if (d->attach)
			compare_qdisc(d, i, &r.s[i]);
		compare_maps(d, i, &r.s[i]);
	}
	compare_map_keys(d, &r);
out:
	free(r.s);
	return ret;
}
