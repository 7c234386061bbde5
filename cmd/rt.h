/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rtnetlink requests slotnet makes, queued in batches: many requests go to
 * the kernel in one send and every one of them is acknowledged.  The first
 * failure is kept with the label of the request that caused it.
 */
#ifndef SLOTNET_RT_H
#define SLOTNET_RT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>

struct nl_socket;
struct rt_batch;

/* Called with every reply that is not an acknowledgement (RTM_GETLINK answers). */
typedef int (*rt_reply_cb)(const struct nlmsghdr *nlh, void *data);

struct rt_error {
	int err;            /* errno */
	const char *what;   /* label of the failed request */
	int tag;            /* caller's number of the failed request (a slot) */
	char extack[256];   /* the kernel's explanation, or "" */
};

struct rt_batch *rt_batch_new(struct nl_socket *nl, rt_reply_cb cb, void *data);
void rt_batch_free(struct rt_batch *b);
/*
 * Requests are queued by the rt_add_* and rt_link_* calls (a full batch is
 * sent on the way); commit sends the rest and waits for every answer: 0, or
 * -1 with errno and the first failure in *rt_batch_error().
 */
int rt_batch_commit(struct rt_batch *b);
const struct rt_error *rt_batch_error(const struct rt_batch *b);
/* This errno, expected by the caller (ENODEV when deleting), is not a failure. */
void rt_batch_tolerate(struct rt_batch *b, int err);

struct rt_link {
	const char *name;
	int ifindex;          /* 0: the kernel chooses */
	const uint8_t *mac;   /* NULL: random */
	int master;           /* 0: none */
	int netns_fd;         /* -1: the socket's namespace */
	uint32_t group;       /* netdev group, 0: the default */
	uint32_t mtu;         /* 0: the kind's default */
};

void rt_add_veth(struct rt_batch *b, const struct rt_link *dev, const struct rt_link *peer,
		const char *what, int tag);
void rt_add_bridge(struct rt_batch *b, const struct rt_link *dev, const char *what, int tag);
/*
 * The tunnels set DF on every outer packet, so a full-size one is never
 * fragmented on the way (RFC 7348 4.3): the MTUs inside a slot leave room
 * for the encapsulation instead.
 */
void rt_add_vxlan(struct rt_batch *b, const struct rt_link *dev, uint32_t vni,
		 uint32_t local_be, uint32_t remote_be, const char *what, int tag);
void rt_add_geneve(struct rt_batch *b, const struct rt_link *dev, uint32_t vni,
		  uint32_t remote_be, const char *what, int tag);
/* Brings a link up. */
void rt_link_up(struct rt_batch *b, int ifindex, const char *what, int tag);
/* Brings an existing link (dev's ifindex, or its name) up in dev's master, at dev's MTU. */
void rt_link_enslave(struct rt_batch *b, const struct rt_link *dev, const char *what, int tag);
/*
 * Brings a link up with IPv6 address generation off, so it stays silent
 * even if IPv6 is turned back on for it later.
 */
void rt_link_up_no_ipv6_addr(struct rt_batch *b, int ifindex, const char *what, int tag);
void rt_del_link(struct rt_batch *b, const char *name, const char *what, int tag);
/* Deletes every link of a netdev group in one request (one RCU wait, not one per link). */
void rt_del_group(struct rt_batch *b, uint32_t group, const char *what, int tag);
void rt_get_link(struct rt_batch *b, const char *name, const char *what, int tag);
void rt_add_addr(struct rt_batch *b, int ifindex, uint32_t addr_be, uint8_t plen,
		const char *what, int tag);
void rt_add_route(struct rt_batch *b, uint32_t dst_be, uint8_t plen, uint32_t gw_be, int oif,
		 const char *what, int tag);
void rt_add_neigh(struct rt_batch *b, int ifindex, uint32_t addr_be, const uint8_t *mac,
		 const char *what, int tag);

void rt_del_neigh(struct rt_batch *b, int ifindex, uint32_t addr_be, const char *what, int tag);
/* Forgets what a bridge learned (its dynamic FDB entries). */
void rt_flush_bridge_fdb(struct rt_batch *b, int ifindex, const char *what, int tag);
/* A clsact qdisc whose ingress and egress filters are those of two shared blocks. */
void rt_add_clsact(struct rt_batch *b, int ifindex, uint32_t ingress_block,
		  uint32_t egress_block, const char *what, int tag);
/* The block's one filter (handle 1, prio 1): a direct-action BPF program, replaced if present. */
void rt_set_block_filter(struct rt_batch *b, uint32_t block, int prog_fd, const char *prog_name,
			const char *what, int tag);

/* 1 when the kernel can make Geneve links, 0 when not; makes no link. */
int rt_geneve_supported(struct nl_socket *nl);

/* Dumps every link of the socket's namespace; cb gets each RTM_NEWLINK. */
int rt_dump_links(struct nl_socket *nl, rt_reply_cb cb, void *data);
/* Dumps the IPv4 neighbour table; cb gets each RTM_NEWNEIGH. */
int rt_dump_neighs(struct nl_socket *nl, rt_reply_cb cb, void *data);

struct rt_neigh_info {
	int ifindex;
	uint16_t state;      /* NUD_* */
	uint32_t dst_be;
	uint8_t lladdr[6];
	bool has_lladdr;
};

int rt_neigh_parse(const struct nlmsghdr *nlh, struct rt_neigh_info *info);
/*
 * Asks for the one IPv4 neighbour ADDR on IFINDEX; cb gets it.  -1 with
 * ENOENT when there is none.  Unlike a dump, whose walk of the kernel's one
 * neighbour table covers every namespace's entries, a lookup costs the same
 * however many slots there are.
 */
int rt_get_neigh(struct nl_socket *nl, int ifindex, uint32_t addr_be, rt_reply_cb cb, void *data);

struct rt_link_info {
	int ifindex;
	const char *name;   /* NULL when absent */
	uint32_t group;
	int link;           /* IFLA_LINK: a veth's peer, in the peer's namespace; 0 when absent */
	unsigned flags;     /* IFF_* */
	uint32_t mtu;
	int master;         /* 0 when none */
	char kind[16];      /* IFLA_INFO_KIND; "" when none (a tap says "tun") */
	uint8_t mac[6];
	bool has_mac;
	uint32_t vni;       /* vxlan and geneve: the device's VNI */
	uint32_t remote_be; /* vxlan: its group (remote); geneve: its remote */
	int learning;       /* vxlan: IFLA_VXLAN_LEARNING; -1 when absent */
	int ipv6_disabled;  /* IFLA_INET6_CONF's disable_ipv6; -1 when absent */
};

/* Parses an RTM_NEWLINK message. */
int rt_link_parse(const struct nlmsghdr *nlh, struct rt_link_info *info);

/* Dumps of the IPv4 addresses and the IPv4 routes of every table; cb gets each message. */
int rt_dump_addrs(struct nl_socket *nl, rt_reply_cb cb, void *data);
int rt_dump_routes(struct nl_socket *nl, rt_reply_cb cb, void *data);
struct rt_addr_info {
	int ifindex;
	uint8_t plen;
	uint32_t local_be;  /* IFA_LOCAL, else IFA_ADDRESS */
};
int rt_addr_parse(const struct nlmsghdr *nlh, struct rt_addr_info *info);
struct rt_route_info {
	uint32_t table;
	uint8_t type;       /* RTN_* */
	uint8_t dst_len;
	uint32_t dst_be;
	uint32_t gw_be;     /* 0 when none */
	int oif;
};
int rt_route_parse(const struct nlmsghdr *nlh, struct rt_route_info *info);

/* Dumps every qdisc; and the filters of shared block BLOCK. */
int rt_dump_qdiscs(struct nl_socket *nl, rt_reply_cb cb, void *data);
int rt_dump_block_filters(struct nl_socket *nl, uint32_t block, rt_reply_cb cb, void *data);
struct rt_qdisc_info {
	int ifindex;
	uint32_t parent;
	char kind[16];
	uint32_t ingress_block; /* 0 when none */
	uint32_t egress_block;
};
int rt_qdisc_parse(const struct nlmsghdr *nlh, struct rt_qdisc_info *info);
struct rt_filter_info {
	uint32_t handle;
	uint16_t prio;
	char kind[16];
	uint32_t prog_id;      /* bpf: the program's id, 0 when none */
	bool direct_action;
};
int rt_filter_parse(const struct nlmsghdr *nlh, struct rt_filter_info *info);

#endif
