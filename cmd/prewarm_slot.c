// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One slot's anatomy: its namespace, the devices made inside it in one
 * netlink batch (eth0 with its root-side peer, br0, tun0, tap0, address,
 * route and gateway neighbour), and the root side's /32 route and
 * permanent neighbour.
 */
#include "config.h"
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
	const uint32_t underlay_mtu = p->cfg.underlay_mtu, guest_mtu = p->cfg.guest_mtu;
	const struct rt_link veth = {
		.name = SLOT_VETH, .ifindex = SLOT_IFINDEX_VETH, .mac = veth_mac, .netns_fd = -1,
		.mtu = underlay_mtu,
	};
	const struct rt_link peer = {
		.name = root_name, .mac = gw_mac, .netns_fd = p->root_ns, .group = p->cfg.link_group,
		.mtu = underlay_mtu,
	};
	const struct rt_link bridge = {
		.name = SLOT_BRIDGE, .ifindex = SLOT_IFINDEX_BRIDGE, .netns_fd = -1, .mtu = guest_mtu,
	};
	const struct rt_link tun = {
		.name = SLOT_TUN, .ifindex = SLOT_IFINDEX_TUN, .master = SLOT_IFINDEX_BRIDGE,
		.netns_fd = -1, .mtu = guest_mtu,
	};
	const struct rt_link tap = {
		.name = SLOT_TAP, .master = SLOT_IFINDEX_BRIDGE, .netns_fd = -1, .mtu = guest_mtu,
	};
	uint32_t vni = p->cfg.dummy_vni_base + i;

	rt_add_veth(b, &veth, &peer, "creating veth " SLOT_VETH, i);
	rt_add_bridge(b, &bridge, "creating bridge " SLOT_BRIDGE, i);
	if (p->cfg.tunnel == SLOTNET_TUNNEL_VXLAN)
		rt_add_vxlan(b, &tun, vni, p->cfg.inside_be, p->cfg.remote_be,
			     "creating vxlan " SLOT_TUN, i);
	else
		rt_add_geneve(b, &tun, vni, p->cfg.remote_be, "creating geneve " SLOT_TUN, i);
	rt_link_enslave(b, &tap, "enslaving " SLOT_TAP, i);
	rt_add_addr(b, SLOT_IFINDEX_VETH, p->cfg.inside_be, p->cfg.inside_plen,
		    "addressing " SLOT_VETH, i);
	rt_link_up(b, SLOT_IFINDEX_VETH, "bringing up " SLOT_VETH, i);
	rt_link_up(b, SLOT_IFINDEX_BRIDGE, "bringing up " SLOT_BRIDGE, i);
	rt_link_up(b, SLOT_IFINDEX_TUN, "bringing up " SLOT_TUN, i);
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

int make_namespaces(struct lane *l, const unsigned *slots, unsigned n, int *fds)
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

int make_devices(struct prewarm *p, const unsigned *slots, unsigned n, const int *fds)
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

/* The root side of a chunk, one batch: veths up, routes and neighbours to them. */
int wire_root(struct lane *l, const unsigned *slots, unsigned n)
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
			rt_link_up(b, ifindex, "bringing up the root veth", i);
		}
		rt_add_route(b, outside, 32, 0, ifindex, "routing the outside address", i);
		rt_add_neigh(b, ifindex, outside, veth_mac, "adding the slot's neighbour", i);
	}
	ret = commit_root(b);
out:
	rt_batch_free(b);
	return ret;
}
