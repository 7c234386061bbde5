// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prewarm: create every slot at boot.  The order keeps the RTNL lock's
 * queue short: per chunk of slots, the namespaces first, then each slot's
 * devices in one netlink batch sent from inside the slot (the veth made
 * with its peer already in the root namespace), then one root batch for
 * the chunk's root-side links, routes and neighbours.  A slot counts as made
 * only when its READY flag is pinned, so a crash leaves nothing that a
 * re-run would mistake for finished work.
 */
#include "config.h"
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

#define CHUNK 64

struct prewarm_args {
	struct opt_u32 slots;
	struct opt_str prefix;
	struct opt_enum tunnel;
	struct opt_ipv4 remote;
	struct opt_cidr outside;
	struct opt_u32 jobs;
	struct opt_enum attach;
	struct opt_flag rules;
	struct rules_opts ro;
};

#define A struct prewarm_args
static const struct opt_def prewarm_opts[] = {
	OPT("slots", 'n', OPT_U32, A, slots, "N",
	    "slots 0..N-1 (default: the pinned count)", .min = 1, .max = SLOTNET_MAX_SLOTS),
	OPT("prefix", 'p', OPT_STR, A, prefix, "P", "name slots P0, P1, ... (default " CONFIG_DEFAULT_PREFIX ")"),
	OPT("tunnel", 't', OPT_ENUM, A, tunnel, "vxlan|geneve", "tunnel type (default " CONFIG_DEFAULT_TUNNEL ")",
	    .choices = config_tunnel_names),
	OPT("remote", 'r', OPT_IPV4, A, remote, "ADDR",
	    "tunnels' default remote (default " CONFIG_DEFAULT_REMOTE ", a placeholder)"),
	OPT("outside", 'o', OPT_CIDR, A, outside, "CIDR",
	    "slot i's outside address is the i-th host of CIDR (default " CONFIG_DEFAULT_OUTSIDE ")"),
	OPT("jobs", 'J', OPT_U32, A, jobs, "N",
	    "workers making slots at once (default: online CPUs, at most 4)", .min = 1, .max = 16),
	OPT("attach", 'a', OPT_ENUM, A, attach, "tc|tcx",
	    "how the programs sit on the root veths: tc, clsact on shared filter blocks, "
	    "or tcx, pinned links (~40 ms per slot) (default " CONFIG_DEFAULT_ATTACH ")", .choices = config_attach_names),
	OPT("rules", 'R', OPT_FLAG, A, rules, NULL,
	    "install the firewall rules too, and keep them on later runs (see slotnet-rules(8))"),
	RULES_OPT_DEFS(A, ro),
	{ 0 },
};
#undef A

static const struct cmd_spec prewarm_spec = {
	.name = "prewarm",
	.summary = "Create (or complete) slots 0..N-1 and pin their state; safe to re-run.",
	.opts = prewarm_opts,
};

struct prewarm {
	struct slotnet_config cfg;
	struct sn_maps maps;
	struct sn_progs progs;
	int root_ns;
	struct nl_socket *root_nl;
	bool rules;             /* the rule sets go in with the slots */
	struct fw_tools tools;
	struct fw_set want[FW_FAMILIES]; /* a slot's rule sets */
	bool have_ipv6;
	bool prewarmed;         /* slots were pinned before this run */
	bool progs_replaced;    /* new programs pinned: switch every attach to them */
	char conflict[192];     /* a link the survey found in the way */
	int conflict_code;
	unsigned repaired;      /* bound slots made again, their bindings kept */
	int *root_ifindex;      /* per slot: its root-side veth, 0 when absent */
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

/* ---- configuration: defaults, the pinned one, and the difference ---- */

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* Given options must agree with the pinned configuration; others inherit it. */
static int merge_pinned(const struct prewarm_args *a, struct slotnet_config *cfg)
{
	char diff[512] = "", x[IPV4_STRLEN], y[IPV4_STRLEN];

	if (a->slots.set && a->slots.v < cfg->nslots)
		append(diff, sizeof(diff), ", --slots %u (pinned %u; teardown to shrink)",
		       a->slots.v, cfg->nslots);
	if (a->prefix.set && strcmp(a->prefix.v, cfg->prefix))
		append(diff, sizeof(diff), ", --prefix '%s' (pinned '%s')", a->prefix.v, cfg->prefix);
	if (a->tunnel.set && (unsigned)a->tunnel.v + 1 != cfg->tunnel)
		append(diff, sizeof(diff), ", --tunnel %s (pinned %s)",
		       config_tunnel_names[a->tunnel.v], config_tunnel_name(cfg->tunnel));
	if (a->remote.set && a->remote.be != cfg->remote_be)
		append(diff, sizeof(diff), ", --remote %s (pinned %s)", format_ipv4(a->remote.be, x),
		       format_ipv4(cfg->remote_be, y));
	if (a->outside.set &&
	    (a->outside.net_be != cfg->outside_be || a->outside.plen != cfg->outside_plen))
		append(diff, sizeof(diff), ", --outside %s/%u (pinned %s/%u)",
		       format_ipv4(a->outside.net_be, x), a->outside.plen,
		       format_ipv4(cfg->outside_be, y), cfg->outside_plen);
	if (a->attach.set && (unsigned)a->attach.v + 1 != cfg->attach)
		append(diff, sizeof(diff), ", --attach %s (pinned %s)",
		       config_attach_names[a->attach.v], config_attach_name(cfg->attach));
	if (diff[0])
		return sn_err(EXIT_USAGE, "differs from the configuration pinned in %s: %s",
			      g.pin_dir, diff + 2);
	if (a->slots.set)
		cfg->nslots = a->slots.v;
	return 0;
}

/* Asks about tcx programs on lo, which every namespace has: kernels before 6.6 say EINVAL. */
static bool tcx_supported(void)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);

	return bpf_prog_query_opts(1, BPF_TCX_INGRESS, &q) == 0;
}

/* The shared filter blocks of --attach tc, numbered after the link group. */
static uint32_t tc_block(const struct slotnet_config *cfg, bool egress)
{
	return (cfg->link_group & ~1u) | egress;
}

static void apply_args(const struct prewarm_args *a, struct slotnet_config *cfg)
{
	if (a->slots.set)
		cfg->nslots = a->slots.v;
	if (a->prefix.set)
		snprintf(cfg->prefix, sizeof(cfg->prefix), "%s", a->prefix.v);
	if (a->tunnel.set)
		cfg->tunnel = a->tunnel.v + 1;
	if (a->remote.set)
		cfg->remote_be = a->remote.be;
	if (a->outside.set) {
		cfg->outside_be = a->outside.net_be;
		cfg->outside_plen = a->outside.plen;
	}
	if (a->attach.set)
		cfg->attach = a->attach.v + 1;
}

static int validate(const struct prewarm_args *a, const struct slotnet_config *cfg)
{
	char x[IPV4_STRLEN];
	const char *why;

	if (a->prefix.set && strlen(a->prefix.v) >= SLOTNET_PREFIX_MAX)
		return sn_err(EXIT_USAGE, "--prefix '%s': too long: prefix and slot number must "
			      "fit an interface name (15 characters)", a->prefix.v);
	if (!cfg->nslots)
		return sn_err(EXIT_USAGE, "--slots N is required (nothing is pinned in %s yet)",
			      g.pin_dir);
	if (check_prefix(cfg->prefix, cfg->nslots, &why) < 0)
		return sn_err(EXIT_USAGE, "--prefix '%s': %s", cfg->prefix, why);
	if (cfg->nslots > cidr_host_count(cfg->outside_plen))
		return sn_err(EXIT_USAGE, "--slots %u: --outside %s/%u has only %llu host addresses",
			      cfg->nslots, format_ipv4(cfg->outside_be, x), cfg->outside_plen,
			      (unsigned long long)cidr_host_count(cfg->outside_plen));
	if (check_unicast_range(cfg->outside_be, cfg->outside_plen, &why) < 0)
		return sn_err(EXIT_USAGE, "--outside %s/%u: %s: slots' outside addresses must be "
			      "unicast", format_ipv4(cfg->outside_be, x), cfg->outside_plen, why);
	if (cidr_contains(cfg->outside_be, cfg->outside_plen, cfg->inside_be & cidr_mask(cfg->inside_plen)) ||
	    cidr_contains(cfg->inside_be & cidr_mask(cfg->inside_plen), cfg->inside_plen, cfg->outside_be))
		return sn_err(EXIT_USAGE, "--outside %s/%u: overlaps the slots' own underlay %s/%u",
			      format_ipv4(cfg->outside_be, x), cfg->outside_plen, SLOT_INSIDE_ADDR,
			      SLOT_INSIDE_PLEN);
	if (config_check_remote(cfg, cfg->remote_be, &why) < 0)
		return sn_err(EXIT_USAGE, "--remote %s: %s", format_ipv4(cfg->remote_be, x), why);
	if (cfg->attach == SLOTNET_ATTACH_TCX && !tcx_supported())
		return sn_err(EXIT_USAGE, "--attach tcx: this kernel has no tcx (Linux 6.6 or later); "
			      "use --attach tc");
	return 0;
}

/* ---- survey: what already exists ---- */

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
	if (link.group == p->cfg.link_group)
		p->root_ifindex[slot] = link.ifindex;
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
static int survey_links(struct prewarm *p)
{
	memset(p->root_ifindex, 0, p->cfg.nslots * sizeof(int));
	p->conflict[0] = '\0';
	if (rt_dump_links(p->root_nl, note_root_link, p) < 0)
		return sn_err(EXIT_FAILED, "listing links: %s", strerror(errno));
	if (p->conflict[0])
		return sn_err(p->conflict_code, "--prefix '%s': %s", p->cfg.prefix, p->conflict);
	return 0;
}

static void find_todo(struct prewarm *p)
{
	p->ntodo = 0;
	for (unsigned i = 0; i < p->cfg.nslots; i++)
		if (!slot_complete(p, i))
			p->todo[p->ntodo++] = i;
}

static int slot_failed(unsigned i, const char *step, int err, const char *extack)
{
	return sn_err(EXIT_FAILED, "slot %u: %s: %s%s%s", i, step, strerror(err),
		      extack && *extack ? ": " : "", extack ? extack : "");
}

static int commit_root(struct rt_batch *b)
{
	const struct rt_error *e;

	if (rt_batch_commit(b) == 0)
		return 0;
	e = rt_batch_error(b);
	if (e->tag < 0)
		return sn_err(EXIT_FAILED, "%s: %s", e->what, strerror(e->err));
	return slot_failed(e->tag, e->what, e->err, e->extack);
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
static int clear_leftovers(struct prewarm *p)
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

/* ---- making one chunk of slots ---- */

static int make_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static void queue_slot_devices(struct prewarm *p, struct rt_batch *b, unsigned i,
			       const char *root_name)
{
	static const uint8_t veth_mac[6] = SLOT_VETH_MAC, gw_mac[6] = SLOT_GATEWAY_MAC;
	const struct rt_link veth = {
		.name = SLOT_VETH, .ifindex = SLOT_IFINDEX_VETH, .mac = veth_mac, .netns_fd = -1,
	};
	const struct rt_link peer = {
		.name = root_name, .mac = gw_mac, .netns_fd = p->root_ns, .group = p->cfg.link_group,
	};
	const struct rt_link bridge = {
		.name = SLOT_BRIDGE, .ifindex = SLOT_IFINDEX_BRIDGE, .netns_fd = -1,
	};
	const struct rt_link tun = {
		.name = SLOT_TUN, .ifindex = SLOT_IFINDEX_TUN, .master = SLOT_IFINDEX_BRIDGE,
		.netns_fd = -1,
	};
	uint32_t vni = p->cfg.dummy_vni_base + i;

	rt_add_veth(b, &veth, &peer, "creating veth " SLOT_VETH, i);
	rt_add_bridge(b, &bridge, "creating bridge " SLOT_BRIDGE, i);
	if (p->cfg.tunnel == SLOTNET_TUNNEL_VXLAN)
		rt_add_vxlan(b, &tun, vni, p->cfg.inside_be, p->cfg.remote_be,
			     "creating vxlan " SLOT_TUN, i);
	else
		rt_add_geneve(b, &tun, vni, p->cfg.remote_be, "creating geneve " SLOT_TUN, i);
	rt_link_up(b, 0, SLOT_TAP, SLOT_IFINDEX_BRIDGE, "enslaving " SLOT_TAP, i);
	rt_add_addr(b, SLOT_IFINDEX_VETH, p->cfg.inside_be, p->cfg.inside_plen,
		    "addressing " SLOT_VETH, i);
	rt_link_up(b, SLOT_IFINDEX_VETH, NULL, 0, "bringing up " SLOT_VETH, i);
	rt_link_up(b, SLOT_IFINDEX_BRIDGE, NULL, 0, "bringing up " SLOT_BRIDGE, i);
	rt_link_up(b, SLOT_IFINDEX_TUN, NULL, 0, "bringing up " SLOT_TUN, i);
	rt_add_route(b, 0, 0, p->cfg.gateway_be, SLOT_IFINDEX_VETH, "adding the default route", i);
	rt_add_neigh(b, SLOT_IFINDEX_VETH, p->cfg.gateway_be, gw_mac, "adding the gateway", i);
	/*
	 * eth0 names its root-side peer's ifindex.  Asking the root side
	 * instead costs O(slots): filling a veth's details there looks the
	 * peer's namespace up in an IDR walked linearly, one entry per slot.
	 */
	rt_get_link(b, SLOT_VETH, "looking up the root veth", i);
}

struct peer_ctx {
	int *ifindex;
};

static int note_peer(const struct nlmsghdr *nlh, void *data)
{
	struct peer_ctx *ctx = data;
	struct rt_link_info link;

	if (rt_link_parse(nlh, &link) == 0 && link.ifindex == SLOT_IFINDEX_VETH)
		*ctx->ifindex = link.link;
	return NL_CB_OK;
}

/* Runs in the slot's namespace: everything a slot holds, one netlink batch. */
static int make_slot_devices(struct prewarm *p, unsigned i, const char *root_name)
{
	struct peer_ctx ctx = { .ifindex = &p->root_ifindex[i] };
	struct nl_socket *nl;
	struct rt_batch *b;
	int ret = 0;

	if (make_tap(SLOT_TAP) < 0)
		return slot_failed(i, "creating " SLOT_TAP, errno, NULL);
	nl = nl_socket_open(NETLINK_ROUTE);
	b = nl ? rt_batch_new(nl, note_peer, &ctx) : NULL;
	if (!b) {
		ret = slot_failed(i, "netlink socket", errno, NULL);
		goto out;
	}
	queue_slot_devices(p, b, i, root_name);
	if (rt_batch_commit(b) < 0) {
		const struct rt_error *e = rt_batch_error(b);

		ret = slot_failed(i, e->what, e->err, e->extack);
	} else if (!p->root_ifindex[i]) {
		ret = slot_failed(i, "looking up the root veth", ENODEV, NULL);
	}
out:
	rt_batch_free(b);
	nl_socket_close(nl);
	return ret;
}

static int make_namespaces(struct lane *l, const unsigned *slots, unsigned n, int *fds)
{
	struct prewarm *p = l->p;
	char name[SLOT_NAME_LEN];

	for (unsigned k = 0; k < n; k++) {
		slot_name(name, &p->cfg, slots[k]);
		fds[k] = netns_create(name);
		if (fds[k] < 0)
			return slot_failed(slots[k], "creating namespace", errno, NULL);
		/* No IPv6 in the slot, so no DAD, RS or MLD before a tenant is bound. */
		if (p->have_ipv6 &&
		    procfs_sysctl(&l->proc, "net/ipv6/conf/default/disable_ipv6", "1") < 0)
			return slot_failed(slots[k], "disabling IPv6", errno, NULL);
	}
	return 0;
}

static int make_devices(struct prewarm *p, const unsigned *slots, unsigned n, const int *fds)
{
	char name[SLOT_NAME_LEN];

	for (unsigned k = 0; k < n; k++) {
		int ret;

		slot_name(name, &p->cfg, slots[k]);
		if (setns(fds[k], CLONE_NEWNET) < 0)
			return slot_failed(slots[k], "entering namespace", errno, NULL);
		ret = make_slot_devices(p, slots[k], name);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * IPv6 off on the root veth before it comes up.  Address generation "none"
 * alone is not enough: every IPv6 device that comes up adds its own
 * ff00::/8 route, all on one FIB node, and each addition walks the others
 * (0.1 ms per slot at the first slot, 1.1 ms at the 4,000th).  The veth
 * also gets "none", for when someone turns IPv6 back on.
 */
static int disable_root_ipv6(struct lane *l, unsigned slot, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "net/ipv6/conf/%s/disable_ipv6", name);
	if (procfs_sysctl(&l->proc, path, "1") < 0)
		return slot_failed(slot, "disabling IPv6 on the root veth", errno, NULL);
	return 0;
}

/* One tcx link per direction, pinned: a link lives as long as its pin or its device. */
static int attach_tcx(struct prewarm *p, unsigned i, const char *name)
{
	const int progs[2] = { p->progs.from_slot, p->progs.to_slot };
	const enum bpf_attach_type types[2] = { BPF_TCX_INGRESS, BPF_TCX_EGRESS };
	char path[PATH_MAX];

	for (int egress = 0; egress < 2; egress++) {
		int fd = bpf_link_create(progs[egress], p->root_ifindex[i], types[egress], NULL);

		if (fd < 0)
			return slot_failed(i, egress ? "attaching to_slot" : "attaching from_slot",
					   errno, NULL);
		link_pin_path(path, g.pin_dir, name, egress);
		if (bpf_obj_pin(fd, path) < 0) {
			close(fd);
			return slot_failed(i, "pinning its tcx link", errno, NULL);
		}
		close(fd);
	}
	return 0;
}

/*
 * Before the root veth comes up, so no packet ever passes it unseen: the
 * slot's map entries (the programs find the slot by ifindex), then, with
 * tcx, its links.  With tc, wire_root queues the qdisc.
 */
static int attach_chunk(struct prewarm *p, const unsigned *slots, unsigned n)
{
	char name[SLOT_NAME_LEN];

	for (unsigned k = 0; k < n; k++) {
		unsigned i = slots[k];
		const struct slotnet_slot s = {
			.ifindex = p->root_ifindex[i],
			.outside_be = cidr_host(p->cfg.outside_be, p->cfg.outside_plen, i),
			.dummy_vni = p->cfg.dummy_vni_base + i,
		};
		int ret;

		if (slot_register(&p->maps, i, &s) < 0)
			return slot_failed(i, "registering its veth for the data path", errno, NULL);
		slot_name(name, &p->cfg, i);
		if (p->cfg.attach == SLOTNET_ATTACH_TCX && (ret = attach_tcx(p, i, name)))
			return ret;
	}
	return 0;
}

/* The shared blocks' one filter each: the pinned programs, replacing whatever is there. */
static void queue_block_filters(struct prewarm *p, struct rt_batch *b)
{
	rt_set_block_filter(b, tc_block(&p->cfg, false), p->progs.from_slot, "from_slot",
			    "setting the shared ingress filter", -1);
	rt_set_block_filter(b, tc_block(&p->cfg, true), p->progs.to_slot, "to_slot",
			    "setting the shared egress filter", -1);
}

/* A clsact qdisc on the shared blocks; the first one of a batch also (re)sets their filters. */
static void queue_tc_attach(struct prewarm *p, struct rt_batch *b, unsigned i, int ifindex,
			    bool first)
{
	rt_add_clsact(b, ifindex, tc_block(&p->cfg, false), tc_block(&p->cfg, true),
		      "adding the clsact qdisc", i);
	if (first)
		queue_block_filters(p, b);
}

/* The root side of a chunk, one batch: veths up, routes and neighbours to them. */
static int wire_root(struct lane *l, const unsigned *slots, unsigned n)
{
	static const uint8_t veth_mac[6] = SLOT_VETH_MAC;
	struct prewarm *p = l->p;
	struct rt_batch *b = rt_batch_new(l->nl, NULL, NULL);
	char name[SLOT_NAME_LEN];
	int ret = 0;

	if (!b)
		return sn_err(EXIT_FAILED, "%s", strerror(errno));
	for (unsigned k = 0; k < n; k++) {
		unsigned i = slots[k];
		int ifindex = p->root_ifindex[i];
		uint32_t outside = cidr_host(p->cfg.outside_be, p->cfg.outside_plen, i);

		slot_name(name, &p->cfg, i);
		if (p->cfg.attach == SLOTNET_ATTACH_TC)
			queue_tc_attach(p, b, i, ifindex, k == 0);
		if (p->have_ipv6) {
			if ((ret = disable_root_ipv6(l, i, name)))
				goto out;
			rt_link_up_no_ipv6_addr(b, ifindex, "bringing up the root veth", i);
		} else {
			rt_link_up(b, ifindex, NULL, 0, "bringing up the root veth", i);
		}
		rt_add_route(b, outside, 32, 0, ifindex, "routing the outside address", i);
		rt_add_neigh(b, ifindex, outside, veth_mac, "adding the slot's neighbour", i);
	}
	ret = commit_root(b);
out:
	rt_batch_free(b);
	return ret;
}

/* The root namespace forwards between the slots and the underlay. */
static int enable_forwarding(void)
{
	const char *path = "/proc/sys/net/ipv4/ip_forward";
	char now = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
	/* Each write walks every device of the namespace: only when needed. */
	if (read(fd, &now, 1) != 1 || (now != '1' && pwrite(fd, "1\n", 2, 0) != 2))
		ret = sn_err(EXIT_FAILED, "turning on IPv4 forwarding (%s): %s", path, strerror(errno));
	close(fd);
	return ret;
}

static int mark_ready(struct prewarm *p, const unsigned *slots, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned i = slots[k];
		struct slotnet_slot s = {
			.ifindex = p->root_ifindex[i],
			.outside_be = cidr_host(p->cfg.outside_be, p->cfg.outside_plen, i),
			.dummy_vni = p->cfg.dummy_vni_base + i,
			.flags = SLOTNET_SLOT_READY,
		};

		if (slot_write(&p->maps, i, &s) < 0)
			return slot_failed(i, "recording the slot", errno, NULL);
	}
	return 0;
}

/* A chunk's time, shared evenly by its slots, each counted in its own tenth of the run. */
static void account(struct prewarm *p, unsigned done, unsigned n, const double t[PHASES + 1])
{
	bool progress = isatty(STDERR_FILENO) && !g.quiet;

	pthread_mutex_lock(&p->lock);
	p->made += n;
	if (progress)
		fprintf(stderr, "\rslotnet: prewarm: %u/%u slots", p->made, p->ntodo);
	for (unsigned k = 0; k < n; k++) {
		unsigned tenth = (done + k) * 10 / p->ntodo;

		for (int ph = 0; ph < PHASES; ph++)
			p->phase_ms[tenth][ph] += (t[ph + 1] - t[ph]) / n;
		p->tenth_slots[tenth]++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* The slot's rule sets, before it counts as made: no slot is ever bound without them. */
static int add_rules(struct prewarm *p, const unsigned *slots, unsigned n, const int *fds)
{
	char err[256];
	struct fw_diff diff;

	for (unsigned k = 0; k < n && p->rules; k++)
		for (int fam = 0; fam < FW_FAMILIES; fam++)
			if (fw_sync(&p->tools, fam, fds[k], &p->want[fam], FW_APPLY, true, &diff, err,
				    sizeof(err)) < 0)
				return sn_err(EXIT_FAILED, "slot %u: installing its rules: %s",
					      slots[k], err);
	return 0;
}

static int make_chunk(struct lane *l, const unsigned *slots, unsigned n, unsigned done)
{
	struct prewarm *p = l->p;
	int fds[CHUNK];
	double t[PHASES + 1];
	int ret;

	for (unsigned k = 0; k < n; k++)
		fds[k] = -1;
	t[0] = sn_now_ms();
	ret = make_namespaces(l, slots, n, fds);
	t[1] = sn_now_ms();
	if (!ret)
		ret = make_devices(p, slots, n, fds);
	t[2] = sn_now_ms();
	if (!ret)
		ret = add_rules(p, slots, n, fds);
	t[3] = sn_now_ms();
	if (setns(p->root_ns, CLONE_NEWNET) < 0 && !ret)
		ret = sn_err(EXIT_FAILED, "returning to the root namespace: %s", strerror(errno));
	for (unsigned k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	if (!ret)
		ret = attach_chunk(p, slots, n);
	if (!ret)
		ret = wire_root(l, slots, n);
	if (!ret)
		ret = mark_ready(p, slots, n);
	t[4] = sn_now_ms();
	account(p, done, n, t);
	return ret;
}

static void show_timings(const struct prewarm *p)
{
	if (!g.verbose)
		return;
	for (int t = 0; t < 10; t++) {
		double n = p->tenth_slots[t];

		if (!n)
			continue;
		sn_debug("tenth %d: %4.0f slots, ms/slot: netns %.3f devices %.3f rules %.3f "
			 "root %.3f", t + 1, n, p->phase_ms[t][PHASE_NETNS] / n,
			 p->phase_ms[t][PHASE_DEVICES] / n, p->phase_ms[t][PHASE_RULES] / n,
			 p->phase_ms[t][PHASE_ROOT] / n);
	}
}

static int lane_work(void *worker, unsigned first, unsigned n)
{
	struct lane *l = worker;

	return make_chunk(l, l->p->todo + first, n, first);
}

static int make_slots(struct prewarm *p)
{
	struct lane lanes[16] = { 0 };
	struct pool pool = { .total = p->ntodo, .chunk = CHUNK, .work = lane_work };
	int ret = 0;

	for (unsigned w = 0; w < p->jobs; w++) {
		lanes[w].p = p;
		procfs_init(&lanes[w].proc);
		if (!ret && !(lanes[w].nl = nl_socket_open(NETLINK_ROUTE)))
			ret = sn_err(EXIT_FAILED, "starting worker %u: %s", w, strerror(errno));
	}
	if (!ret && (ret = pool_run(&pool, lanes, sizeof(lanes[0]), p->jobs)) < 0)
		ret = sn_err(EXIT_FAILED, "starting a worker: %s", strerror(pool.start_err));
	for (unsigned w = 0; w < p->jobs; w++) {
		nl_socket_close(lanes[w].nl);
		procfs_close(&lanes[w].proc);
	}
	if (isatty(STDERR_FILENO) && !g.quiet && p->ntodo)
		fputc('\n', stderr);
	show_timings(p);
	return ret;
}

/*
 * With tc, a slot's traffic depends on its veth's clsact qdisc and on the
 * two shared filters: every run puts back whichever is missing (removed by
 * hand, or a run that died between the qdiscs and the filters), since a
 * veth without them would pass traffic untouched.
 */
static int refresh_tc_attach(struct prewarm *p)
{
	struct rt_batch *b;
	int ret;

	if (p->cfg.attach != SLOTNET_ATTACH_TC)
		return 0;
	b = rt_batch_new(p->root_nl, NULL, NULL);
	if (!b)
		return sn_err(EXIT_FAILED, "%s", strerror(errno));
	rt_batch_tolerate(b, EEXIST); /* before queuing: a full batch is sent on the way */
	for (unsigned i = 0; i < p->cfg.nslots; i++)
		rt_add_clsact(b, p->root_ifindex[i], tc_block(&p->cfg, false),
			      tc_block(&p->cfg, true), "adding the clsact qdisc", i);
	queue_block_filters(p, b);
	ret = commit_root(b);
	rt_batch_free(b);
	return ret;
}

static int link_prog_id(int link_fd, __u32 *id)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_link_get_info_by_fd(link_fd, &info, &len) < 0)
		return -1;
	*id = info.prog_id;
	return 0;
}

/* With tcx, every slot's links must hold the pinned programs: switch those that do not. */
static int refresh_tcx_links(struct prewarm *p)
{
	const int progs[2] = { p->progs.from_slot, p->progs.to_slot };
	char name[SLOT_NAME_LEN], path[PATH_MAX];
	__u32 want[2], have = 0;
	unsigned switched = 0;

	if (p->cfg.attach != SLOTNET_ATTACH_TCX)
		return 0;
	for (int egress = 0; egress < 2; egress++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_prog_get_info_by_fd(progs[egress], &info, &len) < 0)
			return sn_err(EXIT_FAILED, "reading the pinned programs: %s", strerror(errno));
		want[egress] = info.id;
	}
	for (unsigned i = 0; i < p->cfg.nslots; i++) {
		slot_name(name, &p->cfg, i);
		for (int egress = 0; egress < 2; egress++) {
			int fd, ret = 0;

			link_pin_path(path, g.pin_dir, name, egress);
			fd = bpf_obj_get(path);
			if (fd < 0)
				return slot_failed(i, "opening its tcx link", errno, NULL);
			if (link_prog_id(fd, &have) < 0 ||
			    (have != want[egress] && bpf_link_update(fd, progs[egress], NULL) < 0))
				ret = slot_failed(i, "switching its tcx link to the pinned program",
						  errno, NULL);
			switched += !ret && have != want[egress];
			close(fd);
			if (ret)
				return ret;
		}
	}
	if (switched)
		sn_info("switched %u tcx links to the pinned programs", switched);
	return 0;
}

/* ---- the command ---- */

static int check_tunnel_support(struct prewarm *p)
{
	int ok;

	if (p->cfg.tunnel != SLOTNET_TUNNEL_GENEVE)
		return 0;
	ok = rt_geneve_supported(p->root_nl);
	if (ok < 0)
		return sn_err(EXIT_FAILED, "probing for Geneve: %s", strerror(errno));
	if (!ok)
		return sn_err(EXIT_FAILED, "--tunnel geneve: this kernel has no Geneve "
			      "(CONFIG_GENEVE unset and no geneve module); use --tunnel vxlan");
	return 0;
}

/* With --rules, or rules already installed: the tools must be there before any slot is made. */
static int load_rules(struct prewarm *p, const struct prewarm_args *a)
{
	int ret;

	if (rules_opts_given(&a->ro) && !a->rules.set)
		return sn_err(EXIT_USAGE, "rule options (--uplink, --vm-addr, ...) go with --rules");
	if ((ret = rules_opts_merge(&a->ro, &p->cfg)))
		return ret;
	if (a->rules.set)
		p->cfg.rules |= SLOTNET_RULES_ON;
	p->rules = p->cfg.rules & SLOTNET_RULES_ON;
	if (!p->rules)
		return 0;
	for (int fam = 0; fam < FW_FAMILIES; fam++)
		ruleset_slot(&p->cfg, fam, &p->want[fam]);
	return fw_tools_find(p->cfg.backend, &p->tools);
}

/* The root set, and any slot made earlier whose rules drifted or never went in. */
static int refresh_rules(struct prewarm *p)
{
	struct rules_outcome o;
	bool *made_now;
	int ret;

	if (!p->rules)
		return 0;
	made_now = calloc(p->cfg.nslots, sizeof(*made_now));
	if (!made_now)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	for (unsigned k = 0; k < p->ntodo; k++)
		made_now[p->todo[k]] = true;
	ret = rules_change(&p->cfg, &p->tools, FW_APPLY, RULES_ROOT | RULES_SLOTS, made_now, p->jobs,
			   &o);
	sn_debug("rules: %u namespaces checked, %u changed in %.0f ms", o.namespaces, o.changed,
		 o.ms);
	rules_outcome_free(&o);
	free(made_now);
	return ret;
}

static int load_config(struct prewarm *p, const struct prewarm_args *a)
{
	int ret;

	/* A map pin removed by hand comes back from the programs before anything reads it. */
	if ((ret = state_repin(g.pin_dir)))
		return ret;
	ret = state_read_config(g.pin_dir, &p->cfg);
	if (ret && ret != STATE_FRESH)
		return ret;
	p->prewarmed = !ret;
	if (!p->prewarmed)
		config_defaults(&p->cfg, g.pin_dir);
	if (p->prewarmed && (ret = merge_pinned(a, &p->cfg)))
		return ret;
	if (!p->prewarmed)
		apply_args(a, &p->cfg);
	p->cfg.flags &= ~SLOTNET_CONFIG_ALL_READY; /* until this run has finished */
	if ((ret = validate(a, &p->cfg)))
		return ret;
	return load_rules(p, a);
}

static unsigned default_jobs(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
}

static int setup(struct prewarm *p)
{
	p->root_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	p->root_nl = nl_socket_open(NETLINK_ROUTE);
	if (p->root_ns < 0 || !p->root_nl)
		return sn_err(EXIT_FAILED, "opening the root namespace: %s", strerror(errno));
	p->have_ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	pthread_mutex_init(&p->lock, NULL);
	p->root_ifindex = calloc(p->cfg.nslots, sizeof(*p->root_ifindex));
	p->todo = calloc(p->cfg.nslots, sizeof(*p->todo));
	if (!p->root_ifindex || !p->todo)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	return 0;
}

static void cleanup(struct prewarm *p)
{
	nl_socket_close(p->root_nl);
	if (p->root_ns >= 0)
		close(p->root_ns);
	state_close(&p->maps);
	progs_close(&p->progs);
	free(p->root_ifindex);
	free(p->todo);
}

static void report(const struct prewarm *p, double ms)
{
	out_obj_open(NULL);
	out_u64("slots", "%lu slots ready", p->cfg.nslots);
	out_u64("created", " (%lu created", p->ntodo - p->repaired);
	out_u64("repaired", ", %lu repaired)", p->repaired);
	out_str("pin_dir", " in %s", g.pin_dir);
	out_u64("ms", " in %lu ms\n", (uint64_t)ms);
	out_obj_close();
	out_end();
}

int do_prewarm(int argc, char **argv)
{
	struct prewarm_args a = { 0 };
	struct prewarm p = { .root_ns = -1, .maps = SN_MAPS_CLOSED, .progs = SN_PROGS_CLOSED };
	double start = sn_now_ms();
	char **args;
	int nargs, ret;

	ret = opts_parse(&prewarm_spec, argc, argv, &a, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	p.jobs = a.jobs.set ? a.jobs.v : default_jobs();
	if ((ret = need_privileges()) || (ret = pin_dir_check(g.pin_dir)) ||
	    (ret = lock_pin_dir()) || (ret = load_config(&p, &a)) || (ret = setup(&p)) ||
	    (ret = check_tunnel_support(&p)) || (ret = survey_links(&p)))
		goto out;
	if ((ret = netns_prepare_dir()) < 0) {
		ret = sn_err(EXIT_FAILED, "preparing %s: %s", NETNS_RUN_DIR, strerror(errno));
		goto out;
	}
	if ((ret = state_create(g.pin_dir, p.prewarmed, &p.maps, &p.progs, &p.progs_replaced,
				 p.cfg.map_ids)) ||
	    (ret = state_write_config(&p.maps, &p.cfg)) || (ret = enable_forwarding()))
		goto out;
	find_todo(&p);
	if ((ret = clear_leftovers(&p)) || (ret = make_slots(&p)) ||
	    (ret = refresh_tc_attach(&p)) || (ret = refresh_tcx_links(&p)) ||
	    (ret = refresh_rules(&p)))
		goto out;
	p.cfg.flags |= SLOTNET_CONFIG_ALL_READY;
	if ((ret = state_write_config(&p.maps, &p.cfg)))
		goto out;
	report(&p, sn_now_ms() - start);
out:
	cleanup(&p);
	return ret;
}
