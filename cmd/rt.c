// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rtnetlink requests in acknowledged batches; see rt.h. */
#include "rt.h"
#include "nl.h"
#include "slotnet_abi.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ipv6.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* One send stays well under the socket's default send buffer. */
#define RT_BATCH_LIMIT (48 * 1024)
/*
 * The longest request we build (ours are a few hundred bytes).  One is built
 * where the batch ends, before the batch knows whether it fits, so the
 * buffer holds one more past the limit.
 */
#define RT_MSG_MAX NL_SOCKET_BUFFER_SIZE
#define RT_BUF_SIZE (RT_BATCH_LIMIT + RT_MSG_MAX)
#define RT_BATCH_MSGS 1024
#define RT_RECV_SIZE (64 * 1024)
#define RT_MAX_TOLERATED 4
/*
 * The kernel answers a whole batch before we read a byte: every answer
 * (link replies are ~1 KiB) must fit the receive buffer at once.
 */
#define RT_RCVBUF (4 * 1024 * 1024)

struct rt_label {
	const char *what;
	int tag;
};

struct rt_batch {
	struct nl_socket *nl;
	struct nl_batch *batch;
	char *buf;
	char *rbuf;
	uint32_t first_seq;     /* sequence number of the first queued request */
	uint32_t next_seq;
	struct rt_label labels[RT_BATCH_MSGS];
	struct nlmsghdr *msg;    /* the message being built */
	struct rt_label pending; /* its label */
	bool msg_too_long;       /* an attribute did not fit in RT_MSG_MAX: it is not sent */
	int tolerated[RT_MAX_TOLERATED];
	int ntolerated;
	rt_reply_cb cb;
	void *cb_data;
	bool failed;
	struct rt_error error;
};

/* Per thread: prewarm's workers each have sockets of their own. */
static _Thread_local uint32_t seq_counter = 1;

static void grow_rcvbuf(struct nl_socket *nl)
{
	int size = RT_RCVBUF;

	/* FORCE passes rmem_max, which root may; the plain call is the fallback. */
	if (setsockopt(nl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(nl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

struct rt_batch *rt_batch_new(struct nl_socket *nl, rt_reply_cb cb, void *data)
{
	struct rt_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->buf = malloc(RT_BUF_SIZE);
	b->rbuf = malloc(RT_RECV_SIZE);
	if (b->buf)
		b->batch = nl_batch_start(b->buf, RT_BATCH_LIMIT);
	if (!b->batch || !b->rbuf) {
		rt_batch_free(b);
		return NULL;
	}
	b->nl = nl;
	grow_rcvbuf(nl);
	b->cb = cb;
	b->cb_data = data;
	b->first_seq = b->next_seq = seq_counter;
	return b;
}

void rt_batch_free(struct rt_batch *b)
{
	if (!b)
		return;
	if (b->batch)
		nl_batch_stop(b->batch);
	free(b->buf);
	free(b->rbuf);
	free(b);
}

const struct rt_error *rt_batch_error(const struct rt_batch *b)
{
	return &b->error;
}

void rt_batch_tolerate(struct rt_batch *b, int err)
{
	if (b->ntolerated < RT_MAX_TOLERATED)
		b->tolerated[b->ntolerated++] = err;
}

static bool is_tolerated(const struct rt_batch *b, int err)
{
	for (int i = 0; i < b->ntolerated; i++)
		if (b->tolerated[i] == err)
			return true;
	return false;
}

static void keep_error(struct rt_batch *b, const struct rt_label *l, int err, const char *extack)
{
	if (b->failed || is_tolerated(b, err))
		return;
	b->failed = true;
	b->error.err = err;
	b->error.what = l->what;
	b->error.tag = l->tag;
	snprintf(b->error.extack, sizeof(b->error.extack), "%s", extack);
}

/* The kernel's answer to request seq was an error. */
static void record_error(struct rt_batch *b, uint32_t seq, int err)
{
	keep_error(b, &b->labels[(seq - b->first_seq) % RT_BATCH_MSGS], err, nl_socket_extack(b->nl));
}

/* Reads until every queued request has been answered with an ack or an error. */
static int collect_answers(struct rt_batch *b, int expected)
{
	uint32_t portid = nl_socket_get_portid(b->nl);

	while (expected > 0) {
		ssize_t n = nl_socket_recvfrom(b->nl, b->rbuf, RT_RECV_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->rbuf;
		int len = (int)n;

		if (n < 0)
			return -1;
		for (; nl_nlmsg_ok(nlh, len); nlh = nl_nlmsg_next(nlh, &len)) {
			uint32_t err_seq = 0;

			if (nlh->nlmsg_type != NLMSG_ERROR) {
				if (b->cb && nl_cb_run(b->nl, nlh, nlh->nlmsg_len, 0, portid,
						       b->cb, b->cb_data, NULL) == NL_CB_ERROR)
					return -1;
				continue;
			}
			expected--;
			if (nl_cb_run(b->nl, nlh, nlh->nlmsg_len, 0, portid, NULL, NULL,
				      &err_seq) == NL_CB_ERROR)
				record_error(b, err_seq, errno);
		}
	}
	return 0;
}

static int flush(struct rt_batch *b)
{
	int queued = (int)(b->next_seq - b->first_seq);
	size_t size = nl_batch_size(b->batch);

	if (queued == 0)
		return b->failed ? -1 : 0;
	if (nl_socket_sendto(b->nl, nl_batch_head(b->batch), size) < 0 ||
	    collect_answers(b, queued) < 0) {
		if (!b->failed) {
			b->failed = true;
			b->error = (struct rt_error){ .err = errno, .what = "netlink", .tag = -1 };
		}
	}
	b->first_seq = b->next_seq;
	/* A message that did not fit moves to the front and is sent next time. */
	nl_batch_reset(b->batch);
	return b->failed ? -1 : 0;
}

int rt_batch_commit(struct rt_batch *b)
{
	flush(b);
	seq_counter = b->next_seq;
	if (b->failed) {
		errno = b->error.err;
		b->failed = false;
		return -1;
	}
	return 0;
}

/*
 * Starts a request where the batch ends.  Its fixed headers always fit: a
 * message starts at most RT_BATCH_LIMIT into the buffer, which is RT_MSG_MAX
 * longer; its attributes are bounded by RT_MSG_MAX (put_* below).
 */
static struct nlmsghdr *msg_begin(struct rt_batch *b, uint16_t type, uint16_t flags,
				  const char *what, int tag)
{
	struct nlmsghdr *nlh = nl_nlmsg_put_header(nl_batch_current(b->batch));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = b->next_seq;
	b->msg = nlh;
	b->msg_too_long = false;
	b->pending = (struct rt_label){ what, tag };
	return nlh;
}

/*
 * Queues the message just built, sending the batch first when it is full.
 * A failure is kept for rt_batch_commit, which is where callers look.
 */
static void msg_end(struct rt_batch *b)
{
	if (b->msg_too_long) {
		/* Never queued: the next request is built over it. */
		keep_error(b, &b->pending, EMSGSIZE, "");
		return;
	}
	/* One that does not fit opens the next batch: flush's reset moves it there and counts it. */
	if (!nl_batch_next(b->batch))
		flush(b);
	b->labels[b->next_seq - b->first_seq] = b->pending;
	b->next_seq++;
	if (b->next_seq - b->first_seq == RT_BATCH_MSGS)
		flush(b);
}

/* Attributes of the message being built; one that does not fit spoils it (msg_end). */
static void put(struct rt_batch *b, uint16_t type, size_t len, const void *data)
{
	b->msg_too_long |= !nl_attr_put_check(b->msg, RT_MSG_MAX, type, len, data);
}

static void put_u8(struct rt_batch *b, uint16_t type, uint8_t data)
{
	b->msg_too_long |= !nl_attr_put_u8_check(b->msg, RT_MSG_MAX, type, data);
}

static void put_u16(struct rt_batch *b, uint16_t type, uint16_t data)
{
	b->msg_too_long |= !nl_attr_put_u16_check(b->msg, RT_MSG_MAX, type, data);
}

static void put_u32(struct rt_batch *b, uint16_t type, uint32_t data)
{
	b->msg_too_long |= !nl_attr_put_u32_check(b->msg, RT_MSG_MAX, type, data);
}

static void put_strz(struct rt_batch *b, uint16_t type, const char *data)
{
	b->msg_too_long |= !nl_attr_put_strz_check(b->msg, RT_MSG_MAX, type, data);
}

/* NULL when it does not fit, which nest_end accepts. */
static struct nlattr *nest_start(struct rt_batch *b, uint16_t type)
{
	struct nlattr *nest = nl_attr_nest_start_check(b->msg, RT_MSG_MAX, type);

	b->msg_too_long |= !nest;
	return nest;
}

static void nest_end(struct rt_batch *b, struct nlattr *nest)
{
	if (nest)
		nl_attr_nest_end(b->msg, nest);
}

/* Bounded too: a veth's peer has its own, after the attributes of the link. */
static void put_ifinfo(struct rt_batch *b, int ifindex)
{
	struct ifinfomsg *ifi;

	if (b->msg->nlmsg_len + NLMSG_ALIGN(sizeof(*ifi)) > RT_MSG_MAX) {
		b->msg_too_long = true;
		return;
	}
	ifi = nl_nlmsg_put_extra_header(b->msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
}

/* The attributes every link we create carries. */
static void put_link_attrs(struct rt_batch *b, const struct rt_link *l)
{
	put_strz(b, IFLA_IFNAME, l->name);
	if (l->mac)
		put(b, IFLA_ADDRESS, 6, l->mac);
	if (l->master)
		put_u32(b, IFLA_MASTER, l->master);
	if (l->netns_fd >= 0)
		put_u32(b, IFLA_NET_NS_FD, l->netns_fd);
	if (l->group)
		put_u32(b, IFLA_GROUP, l->group);
	if (l->mtu)
		put_u32(b, IFLA_MTU, l->mtu);
}

static void newlink_begin(struct rt_batch *b, const struct rt_link *dev, const char *what, int tag)
{
	msg_begin(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, what, tag);
	put_ifinfo(b, dev->ifindex);
	put_link_attrs(b, dev);
}

/* Opens IFLA_LINKINFO { KIND, DATA { ... } }; the caller adds DATA's attributes. */
static struct nlattr *linkinfo_begin(struct rt_batch *b, const char *kind, struct nlattr **data)
{
	struct nlattr *linkinfo = nest_start(b, IFLA_LINKINFO);

	put_strz(b, IFLA_INFO_KIND, kind);
	*data = nest_start(b, IFLA_INFO_DATA);
	return linkinfo;
}

static void linkinfo_end(struct rt_batch *b, struct nlattr *linkinfo, struct nlattr *data)
{
	nest_end(b, data);
	nest_end(b, linkinfo);
}

void rt_add_veth(struct rt_batch *b, const struct rt_link *dev, const struct rt_link *peer,
		const char *what, int tag)
{
	struct nlattr *data, *linkinfo, *peer_info;

	newlink_begin(b, dev, what, tag);
	linkinfo = linkinfo_begin(b, "veth", &data);
	peer_info = nest_start(b, VETH_INFO_PEER);
	put_ifinfo(b, peer->ifindex);
	put_link_attrs(b, peer);
	nest_end(b, peer_info);
	linkinfo_end(b, linkinfo, data);
	msg_end(b);
}

void rt_add_bridge(struct rt_batch *b, const struct rt_link *dev, const char *what, int tag)
{
	struct nlattr *data, *linkinfo;

	newlink_begin(b, dev, what, tag);
	linkinfo = linkinfo_begin(b, "bridge", &data);
	/* With snooping on, a bridge sends IGMP/MLD queries as it comes up. */
	put_u8(b, IFLA_BR_MCAST_SNOOPING, 0);
	linkinfo_end(b, linkinfo, data);
	msg_end(b);
}

void rt_add_vxlan(struct rt_batch *b, const struct rt_link *dev, uint32_t vni,
		 uint32_t local_be, uint32_t remote_be, const char *what, int tag)
{
	struct nlattr *data, *linkinfo;

	newlink_begin(b, dev, what, tag);
	linkinfo = linkinfo_begin(b, "vxlan", &data);
	put_u32(b, IFLA_VXLAN_ID, vni);
	put_u32(b, IFLA_VXLAN_LOCAL, local_be);
	put_u32(b, IFLA_VXLAN_GROUP, remote_be);
	put_u16(b, IFLA_VXLAN_PORT, htons(SLOTNET_VXLAN_PORT));
	/* Its one peer is fixed; learned entries would only be a tenant's leftovers. */
	put_u8(b, IFLA_VXLAN_LEARNING, 0);
	/*
	 * No outer UDP checksum (RFC 7348 recommends zero over IPv4): with one,
	 * a packet whose inner checksum is offloaded leaves as CHECKSUM_PARTIAL
	 * with a full outer checksum (local checksum offload), which no
	 * incremental update in the data path can tell from a pseudo-header seed.
	 */
	put_u8(b, IFLA_VXLAN_UDP_CSUM, 0);
	put_u8(b, IFLA_VXLAN_DF, VXLAN_DF_SET);
	linkinfo_end(b, linkinfo, data);
	msg_end(b);
}

void rt_add_geneve(struct rt_batch *b, const struct rt_link *dev, uint32_t vni,
		  uint32_t remote_be, const char *what, int tag)
{
	struct nlattr *data, *linkinfo;

	newlink_begin(b, dev, what, tag);
	linkinfo = linkinfo_begin(b, "geneve", &data);
	put_u32(b, IFLA_GENEVE_ID, vni);
	put_u32(b, IFLA_GENEVE_REMOTE, remote_be);
	put_u8(b, IFLA_GENEVE_UDP_CSUM, 0); /* as for VXLAN */
	put_u16(b, IFLA_GENEVE_PORT, htons(SLOTNET_GENEVE_PORT));
	put_u8(b, IFLA_GENEVE_DF, GENEVE_DF_SET);
	linkinfo_end(b, linkinfo, data);
	msg_end(b);
}

static struct ifinfomsg *setlink_begin(struct rt_batch *b, int ifindex, const char *name,
				       const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWLINK, 0, what, tag);

	put_ifinfo(b, ifindex);
	if (!ifindex)
		put_strz(b, IFLA_IFNAME, name);
	return nl_nlmsg_get_payload(nlh);
}

void rt_link_up(struct rt_batch *b, int ifindex, const char *what, int tag)
{
	struct ifinfomsg *ifi = setlink_begin(b, ifindex, NULL, what, tag);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	msg_end(b);
}

void rt_link_enslave(struct rt_batch *b, const struct rt_link *dev, const char *what, int tag)
{
	struct ifinfomsg *ifi = setlink_begin(b, dev->ifindex, dev->name, what, tag);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	/* The kernel sets the MTU before the master, so the bridge sees the port's new one. */
	if (dev->mtu)
		put_u32(b, IFLA_MTU, dev->mtu);
	put_u32(b, IFLA_MASTER, dev->master);
	msg_end(b);
}

void rt_link_up_no_ipv6_addr(struct rt_batch *b, int ifindex, const char *what, int tag)
{
	struct ifinfomsg *ifi = setlink_begin(b, ifindex, NULL, what, tag);
	struct nlattr *af_spec, *inet6;

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	af_spec = nest_start(b, IFLA_AF_SPEC);
	inet6 = nest_start(b, AF_INET6);
	put_u8(b, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	nest_end(b, inet6);
	nest_end(b, af_spec);
	msg_end(b);
}

void rt_del_link(struct rt_batch *b, const char *name, const char *what, int tag)
{
	msg_begin(b, RTM_DELLINK, 0, what, tag);
	put_ifinfo(b, 0);
	put_strz(b, IFLA_IFNAME, name);
	msg_end(b);
}

void rt_del_group(struct rt_batch *b, uint32_t group, const char *what, int tag)
{
	msg_begin(b, RTM_DELLINK, 0, what, tag);
	put_ifinfo(b, 0);
	put_u32(b, IFLA_GROUP, group);
	msg_end(b);
}

void rt_get_link(struct rt_batch *b, const char *name, const char *what, int tag)
{
	msg_begin(b, RTM_GETLINK, 0, what, tag);
	put_ifinfo(b, 0);
	put_strz(b, IFLA_IFNAME, name);
	/* Statistics are most of an answer and nobody reads them here. */
	put_u32(b, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	msg_end(b);
}

void rt_add_addr(struct rt_batch *b, int ifindex, uint32_t addr_be, uint8_t plen,
		const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, what, tag);
	struct ifaddrmsg *ifa = nl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = ifindex;
	put_u32(b, IFA_LOCAL, addr_be);
	put_u32(b, IFA_ADDRESS, addr_be);
	msg_end(b);
}

void rt_add_route(struct rt_batch *b, uint32_t dst_be, uint8_t plen, uint32_t gw_be, int oif,
		 const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, what, tag);
	struct rtmsg *rtm = nl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = gw_be ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (plen)
		put_u32(b, RTA_DST, dst_be);
	if (gw_be)
		put_u32(b, RTA_GATEWAY, gw_be);
	put_u32(b, RTA_OIF, oif);
	msg_end(b);
}

void rt_add_neigh(struct rt_batch *b, int ifindex, uint32_t addr_be, const uint8_t *mac,
		 const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, what, tag);
	struct ndmsg *ndm = nl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	put_u32(b, NDA_DST, addr_be);
	put(b, NDA_LLADDR, 6, mac);
	msg_end(b);
}

void rt_del_neigh(struct rt_batch *b, int ifindex, uint32_t addr_be, const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_DELNEIGH, 0, what, tag);
	struct ndmsg *ndm = nl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	put_u32(b, NDA_DST, addr_be);
	msg_end(b);
}

void rt_flush_bridge_fdb(struct rt_batch *b, int ifindex, const char *what, int tag)
{
	struct nlattr *data, *linkinfo;

	setlink_begin(b, ifindex, NULL, what, tag);
	linkinfo = linkinfo_begin(b, "bridge", &data);
	/* Dynamic entries only: what the bridge learned, not what was configured. */
	put(b, IFLA_BR_FDB_FLUSH, 0, NULL);
	linkinfo_end(b, linkinfo, data);
	msg_end(b);
}

static struct tcmsg *put_tcmsg(struct nlmsghdr *nlh, int ifindex, uint32_t parent, uint32_t handle)
{
	struct tcmsg *tcm = nl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	return tcm;
}

void rt_add_clsact(struct rt_batch *b, int ifindex, uint32_t ingress_block,
		  uint32_t egress_block, const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, what, tag);

	put_tcmsg(nlh, ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0));
	put_strz(b, TCA_KIND, "clsact");
	put_u32(b, TCA_INGRESS_BLOCK, ingress_block);
	put_u32(b, TCA_EGRESS_BLOCK, egress_block);
	msg_end(b);
}

void rt_set_block_filter(struct rt_batch *b, uint32_t block, int prog_fd, const char *prog_name,
			const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, what, tag);
	struct tcmsg *tcm = put_tcmsg(nlh, TCM_IFINDEX_MAGIC_BLOCK, 0, 1);
	struct nlattr *opts;

	tcm->tcm_block_index = block;
	tcm->tcm_info = TC_H_MAKE(1 << 16, htons(ETH_P_ALL));
	put_strz(b, TCA_KIND, "bpf");
	opts = nest_start(b, TCA_OPTIONS);
	put_u32(b, TCA_BPF_FD, prog_fd);
	put_strz(b, TCA_BPF_NAME, prog_name);
	put_u32(b, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	nest_end(b, opts);
	msg_end(b);
}

int rt_geneve_supported(struct nl_socket *nl)
{
	struct rt_batch *b = rt_batch_new(nl, NULL, NULL);
	struct rt_link probe = { .name = "sn-probe", .netns_fd = -1 };
	int ret;

	if (!b)
		return -1;
	/* An out-of-range VNI fails validation, so nothing is ever created. */
	rt_add_geneve(b, &probe, 1u << 24, 0, "probe", -1);
	ret = rt_batch_commit(b);
	rt_batch_free(b);
	if (ret == 0)
		return -1; /* a kernel that accepted it: refuse to guess */
	return errno == EOPNOTSUPP ? 0 : 1;
}

/* Sends the request NLH (its sequence number set here) and runs cb over the answers. */
static int request(struct nl_socket *nl, struct nlmsghdr *nlh, rt_reply_cb cb, void *data)
{
	/*
	 * One buffer per thread, not per request: check and prewarm's survey
	 * make four requests in each of thousands of namespaces on two threads,
	 * and a fresh 64 KB each time was an mmap and a munmap, whose TLB
	 * shootdowns across the threads' CPUs took a third of check's time.
	 */
	static _Thread_local char rbuf[RT_RECV_SIZE];
	uint32_t seq = seq_counter++, portid = nl_socket_get_portid(nl);
	int ret = NL_CB_OK;

	nlh->nlmsg_seq = seq;
	if (nl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		ret = NL_CB_ERROR;
	while (ret == NL_CB_OK) {
		ssize_t n = nl_socket_recvfrom(nl, rbuf, RT_RECV_SIZE);

		ret = n < 0 ? NL_CB_ERROR : nl_cb_run(nl, rbuf, n, seq, portid, cb, data, NULL);
	}
	return ret == NL_CB_ERROR ? -1 : 0;
}

/* Sends a dump request with the family header HDR and runs cb over the answers. */
static int dump(struct nl_socket *nl, uint16_t type, const void *hdr, size_t hdr_len,
		bool skip_stats, rt_reply_cb cb, void *data)
{
	char buf[NL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(nl_nlmsg_put_extra_header(nlh, hdr_len), hdr, hdr_len);
	if (skip_stats)
		nl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return request(nl, nlh, cb, data);
}

int rt_dump_links(struct nl_socket *nl, rt_reply_cb cb, void *data)
{
	const struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };

	return dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), true, cb, data);
}

int rt_dump_neighs(struct nl_socket *nl, rt_reply_cb cb, void *data)
{
	const struct ndmsg ndm = { .ndm_family = AF_INET };

	return dump(nl, RTM_GETNEIGH, &ndm, sizeof(ndm), false, cb, data);
}

int rt_get_neigh(struct nl_socket *nl, int ifindex, uint32_t addr_be, rt_reply_cb cb, void *data)
{
	char buf[NL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ndm = nl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	nl_attr_put(nlh, NDA_DST, sizeof(addr_be), &addr_be);
	return request(nl, nlh, cb, data);
}

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_neigh_info *info = data;
	uint16_t len = nl_attr_get_payload_len(attr);

	if (nl_attr_get_type(attr) == NDA_DST && len == 4) {
		info->dst_be = nl_attr_get_u32(attr);
	} else if (nl_attr_get_type(attr) == NDA_LLADDR && len == 6) {
		memcpy(info->lladdr, nl_attr_get_payload(attr), 6);
		info->has_lladdr = true;
	}
	return NL_CB_OK;
}

int rt_neigh_parse(const struct nlmsghdr *nlh, struct rt_neigh_info *info)
{
	const struct ndmsg *ndm = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ndm)) ||
	    ndm->ndm_family != AF_INET)
		return -1;
	nl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, info);
	info->ifindex = ndm->ndm_ifindex;
	info->state = ndm->ndm_state;
	return 0;
}

static void copy_kind(char kind[16], const struct nlattr *attr)
{
	snprintf(kind, 16, "%.*s", (int)strnlen(nl_attr_get_payload(attr),
						 nl_attr_get_payload_len(attr)),
		 (const char *)nl_attr_get_payload(attr));
}

static int vxlan_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_link_info *info = data;
	uint16_t len = nl_attr_get_payload_len(attr);

	switch (nl_attr_get_type(attr)) {
	case IFLA_VXLAN_ID:
		if (len == 4)
			info->vni = nl_attr_get_u32(attr);
		break;
	case IFLA_VXLAN_GROUP:
		if (len == 4)
			info->remote_be = nl_attr_get_u32(attr);
		break;
	case IFLA_VXLAN_LEARNING:
		if (len == 1)
			info->learning = *(const uint8_t *)nl_attr_get_payload(attr);
		break;
	}
	return NL_CB_OK;
}

static int geneve_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_link_info *info = data;
	uint16_t len = nl_attr_get_payload_len(attr);

	if (nl_attr_get_type(attr) == IFLA_GENEVE_ID && len == 4)
		info->vni = nl_attr_get_u32(attr);
	else if (nl_attr_get_type(attr) == IFLA_GENEVE_REMOTE && len == 4)
		info->remote_be = nl_attr_get_u32(attr);
	return NL_CB_OK;
}

/* IFLA_LINKINFO: the kind first, then its data (the kernel puts them in that order). */
static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_link_info *info = data;

	if (nl_attr_get_type(attr) == IFLA_INFO_KIND)
		copy_kind(info->kind, attr);
	else if (nl_attr_get_type(attr) == IFLA_INFO_DATA && !strcmp(info->kind, "vxlan"))
		nl_attr_parse_nested(attr, vxlan_attr_cb, info);
	else if (nl_attr_get_type(attr) == IFLA_INFO_DATA && !strcmp(info->kind, "geneve"))
		nl_attr_parse_nested(attr, geneve_attr_cb, info);
	return NL_CB_OK;
}

static int inet6_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_link_info *info = data;

	/* An array of __s32 indexed by DEVCONF_*. */
	if (nl_attr_get_type(attr) == IFLA_INET6_CONF &&
	    nl_attr_get_payload_len(attr) >= (DEVCONF_DISABLE_IPV6 + 1) * sizeof(int32_t)) {
		int32_t v;

		memcpy(&v, (const char *)nl_attr_get_payload(attr) +
			   DEVCONF_DISABLE_IPV6 * sizeof(int32_t), sizeof(v));
		info->ipv6_disabled = v != 0;
	}
	return NL_CB_OK;
}

static int af_spec_attr_cb(const struct nlattr *attr, void *data)
{
	if (nl_attr_get_type(attr) == AF_INET6)
		nl_attr_parse_nested(attr, inet6_attr_cb, data);
	return NL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_link_info *info = data;
	uint16_t len = nl_attr_get_payload_len(attr);

	switch (nl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (len > 0)
			info->name = nl_attr_get_str(attr);
		break;
	case IFLA_GROUP:
		if (len == 4)
			info->group = nl_attr_get_u32(attr);
		break;
	case IFLA_LINK:
		if (len == 4)
			info->link = (int)nl_attr_get_u32(attr);
		break;
	case IFLA_MTU:
		if (len == 4)
			info->mtu = nl_attr_get_u32(attr);
		break;
	case IFLA_MASTER:
		if (len == 4)
			info->master = (int)nl_attr_get_u32(attr);
		break;
	case IFLA_ADDRESS:
		if (len == 6) {
			memcpy(info->mac, nl_attr_get_payload(attr), 6);
			info->has_mac = true;
		}
		break;
	case IFLA_LINKINFO:
		nl_attr_parse_nested(attr, linkinfo_attr_cb, info);
		break;
	case IFLA_AF_SPEC:
		nl_attr_parse_nested(attr, af_spec_attr_cb, info);
		break;
	}
	return NL_CB_OK;
}

int rt_link_parse(const struct nlmsghdr *nlh, struct rt_link_info *info)
{
	const struct ifinfomsg *ifi = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	info->learning = -1;
	info->ipv6_disabled = -1;
	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	nl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, info);
	info->ifindex = ifi->ifi_index;
	info->flags = ifi->ifi_flags;
	return 0;
}

int rt_dump_addrs(struct nl_socket *nl, rt_reply_cb cb, void *data)
{
	const struct ifaddrmsg ifa = { .ifa_family = AF_INET };

	return dump(nl, RTM_GETADDR, &ifa, sizeof(ifa), false, cb, data);
}

int rt_dump_routes(struct nl_socket *nl, rt_reply_cb cb, void *data)
{
	const struct rtmsg rtm = { .rtm_family = AF_INET };

	return dump(nl, RTM_GETROUTE, &rtm, sizeof(rtm), false, cb, data);
}

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_addr_info *info = data;

	if (nl_attr_get_payload_len(attr) != 4)
		return NL_CB_OK;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer's on point-to-point links. */
	if (nl_attr_get_type(attr) == IFA_LOCAL)
		info->local_be = nl_attr_get_u32(attr);
	else if (nl_attr_get_type(attr) == IFA_ADDRESS && !info->local_be)
		info->local_be = nl_attr_get_u32(attr);
	return NL_CB_OK;
}

int rt_addr_parse(const struct nlmsghdr *nlh, struct rt_addr_info *info)
{
	const struct ifaddrmsg *ifa = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET)
		return -1;
	nl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, info);
	info->ifindex = (int)ifa->ifa_index;
	info->plen = ifa->ifa_prefixlen;
	return 0;
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_route_info *info = data;

	if (nl_attr_get_payload_len(attr) != 4)
		return NL_CB_OK;
	switch (nl_attr_get_type(attr)) {
	case RTA_TABLE:
		info->table = nl_attr_get_u32(attr);
		break;
	case RTA_DST:
		info->dst_be = nl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		info->gw_be = nl_attr_get_u32(attr);
		break;
	case RTA_OIF:
		info->oif = (int)nl_attr_get_u32(attr);
		break;
	}
	return NL_CB_OK;
}

int rt_route_parse(const struct nlmsghdr *nlh, struct rt_route_info *info)
{
	const struct rtmsg *rtm = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    rtm->rtm_family != AF_INET)
		return -1;
	info->table = rtm->rtm_table;
	nl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, info);
	info->type = rtm->rtm_type;
	info->dst_len = rtm->rtm_dst_len;
	return 0;
}

int rt_dump_qdiscs(struct nl_socket *nl, rt_reply_cb cb, void *data)
{
	const struct tcmsg tcm = { .tcm_family = AF_UNSPEC };

	return dump(nl, RTM_GETQDISC, &tcm, sizeof(tcm), false, cb, data);
}

int rt_dump_block_filters(struct nl_socket *nl, uint32_t block, rt_reply_cb cb, void *data)
{
	const struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC, .tcm_ifindex = TCM_IFINDEX_MAGIC_BLOCK,
		.tcm_block_index = block,
	};

	return dump(nl, RTM_GETTFILTER, &tcm, sizeof(tcm), false, cb, data);
}

static int qdisc_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_qdisc_info *info = data;
	uint16_t len = nl_attr_get_payload_len(attr);

	if (nl_attr_get_type(attr) == TCA_KIND)
		copy_kind(info->kind, attr);
	else if (nl_attr_get_type(attr) == TCA_INGRESS_BLOCK && len == 4)
		info->ingress_block = nl_attr_get_u32(attr);
	else if (nl_attr_get_type(attr) == TCA_EGRESS_BLOCK && len == 4)
		info->egress_block = nl_attr_get_u32(attr);
	return NL_CB_OK;
}

int rt_qdisc_parse(const struct nlmsghdr *nlh, struct rt_qdisc_info *info)
{
	const struct tcmsg *tcm = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_type != RTM_NEWQDISC || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return -1;
	nl_attr_parse(nlh, sizeof(*tcm), qdisc_attr_cb, info);
	info->ifindex = tcm->tcm_ifindex;
	info->parent = tcm->tcm_parent;
	return 0;
}

static int bpf_opt_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_filter_info *info = data;

	if (nl_attr_get_payload_len(attr) != 4)
		return NL_CB_OK;
	if (nl_attr_get_type(attr) == TCA_BPF_ID)
		info->prog_id = nl_attr_get_u32(attr);
	else if (nl_attr_get_type(attr) == TCA_BPF_FLAGS)
		info->direct_action = nl_attr_get_u32(attr) & TCA_BPF_FLAG_ACT_DIRECT;
	return NL_CB_OK;
}

static int filter_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_filter_info *info = data;

	if (nl_attr_get_type(attr) == TCA_KIND)
		copy_kind(info->kind, attr);
	else if (nl_attr_get_type(attr) == TCA_OPTIONS && !strcmp(info->kind, "bpf"))
		nl_attr_parse_nested(attr, bpf_opt_attr_cb, info);
	return NL_CB_OK;
}

int rt_filter_parse(const struct nlmsghdr *nlh, struct rt_filter_info *info)
{
	const struct tcmsg *tcm = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_type != RTM_NEWTFILTER || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return -1;
	nl_attr_parse(nlh, sizeof(*tcm), filter_attr_cb, info);
	info->handle = tcm->tcm_handle;
	info->prio = (uint16_t)(TC_H_MAJ(tcm->tcm_info) >> 16);
	return 0;
}
