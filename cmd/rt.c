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
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* One send stays well under the socket's default send buffer. */
#define RT_BATCH_LIMIT (48 * 1024)
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
	struct rt_label pending; /* label of the message being built */
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
	b->buf = malloc(RT_BATCH_LIMIT + 2 * NL_SOCKET_BUFFER_SIZE);
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

static void record_error(struct rt_batch *b, uint32_t seq, int err)
{
	const struct rt_label *l = &b->labels[(seq - b->first_seq) % RT_BATCH_MSGS];

	if (b->failed || is_tolerated(b, err))
		return;
	b->failed = true;
	b->error.err = err;
	b->error.what = l->what;
	b->error.tag = l->tag;
	snprintf(b->error.extack, sizeof(b->error.extack), "%s", nl_socket_extack(b->nl));
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

static struct nlmsghdr *msg_begin(struct rt_batch *b, uint16_t type, uint16_t flags,
				  const char *what, int tag)
{
	struct nlmsghdr *nlh = nl_nlmsg_put_header(nl_batch_current(b->batch));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = b->next_seq;
	b->pending = (struct rt_label){ what, tag };
	return nlh;
}

/*
 * Queues the message just built, sending the batch first when it is full.
 * A failure is kept for rt_batch_commit, which is where callers look.
 */
static void msg_end(struct rt_batch *b)
{
	if (!nl_batch_next(b->batch)) {
		flush(b);
		nl_batch_next(b->batch);
	}
	b->labels[b->next_seq - b->first_seq] = b->pending;
	b->next_seq++;
	if (b->next_seq - b->first_seq == RT_BATCH_MSGS)
		flush(b);
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int ifindex)
{
	struct ifinfomsg *ifi = nl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

/* The attributes every link we create carries. */
static void put_link_attrs(struct nlmsghdr *nlh, const struct rt_link *l)
{
	nl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	if (l->mac)
		nl_attr_put(nlh, IFLA_ADDRESS, 6, l->mac);
	if (l->master)
		nl_attr_put_u32(nlh, IFLA_MASTER, l->master);
	if (l->netns_fd >= 0)
		nl_attr_put_u32(nlh, IFLA_NET_NS_FD, l->netns_fd);
	if (l->group)
		nl_attr_put_u32(nlh, IFLA_GROUP, l->group);
}

static struct nlmsghdr *newlink_begin(struct rt_batch *b, const struct rt_link *dev,
				      const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, what, tag);

	put_ifinfo(nlh, dev->ifindex);
	put_link_attrs(nlh, dev);
	return nlh;
}

/* Opens IFLA_LINKINFO { KIND, DATA { ... } }; the caller adds DATA's attributes. */
static struct nlattr *linkinfo_begin(struct nlmsghdr *nlh, const char *kind, struct nlattr **data)
{
	struct nlattr *linkinfo = nl_attr_nest_start(nlh, IFLA_LINKINFO);

	nl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	*data = nl_attr_nest_start(nlh, IFLA_INFO_DATA);
	return linkinfo;
}

static void linkinfo_end(struct nlmsghdr *nlh, struct nlattr *linkinfo, struct nlattr *data)
{
	nl_attr_nest_end(nlh, data);
	nl_attr_nest_end(nlh, linkinfo);
}

void rt_add_veth(struct rt_batch *b, const struct rt_link *dev, const struct rt_link *peer,
		const char *what, int tag)
{
	struct nlmsghdr *nlh = newlink_begin(b, dev, what, tag);
	struct nlattr *data, *linkinfo = linkinfo_begin(nlh, "veth", &data);
	struct nlattr *peer_info = nl_attr_nest_start(nlh, VETH_INFO_PEER);

	put_ifinfo(nlh, peer->ifindex);
	put_link_attrs(nlh, peer);
	nl_attr_nest_end(nlh, peer_info);
	linkinfo_end(nlh, linkinfo, data);
	msg_end(b);
}

void rt_add_bridge(struct rt_batch *b, const struct rt_link *dev, const char *what, int tag)
{
	struct nlmsghdr *nlh = newlink_begin(b, dev, what, tag);
	struct nlattr *data, *linkinfo = linkinfo_begin(nlh, "bridge", &data);

	/* With snooping on, a bridge sends IGMP/MLD queries as it comes up. */
	nl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
	linkinfo_end(nlh, linkinfo, data);
	msg_end(b);
}

void rt_add_vxlan(struct rt_batch *b, const struct rt_link *dev, uint32_t vni,
		 uint32_t local_be, uint32_t remote_be, const char *what, int tag)
{
	struct nlmsghdr *nlh = newlink_begin(b, dev, what, tag);
	struct nlattr *data, *linkinfo = linkinfo_begin(nlh, "vxlan", &data);

	nl_attr_put_u32(nlh, IFLA_VXLAN_ID, vni);
	nl_attr_put_u32(nlh, IFLA_VXLAN_LOCAL, local_be);
	nl_attr_put_u32(nlh, IFLA_VXLAN_GROUP, remote_be);
	nl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(SLOTNET_VXLAN_PORT));
	/* Its one peer is fixed; learned entries would only be a tenant's leftovers. */
	nl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
	/*
	 * No outer UDP checksum (RFC 7348 recommends zero over IPv4): with one,
	 * a packet whose inner checksum is offloaded leaves as CHECKSUM_PARTIAL
	 * with a full outer checksum (local checksum offload), which no
	 * incremental update in the data path can tell from a pseudo-header seed.
	 */
	nl_attr_put_u8(nlh, IFLA_VXLAN_UDP_CSUM, 0);
	linkinfo_end(nlh, linkinfo, data);
	msg_end(b);
}

void rt_add_geneve(struct rt_batch *b, const struct rt_link *dev, uint32_t vni,
		  uint32_t remote_be, const char *what, int tag)
{
	struct nlmsghdr *nlh = newlink_begin(b, dev, what, tag);
	struct nlattr *data, *linkinfo = linkinfo_begin(nlh, "geneve", &data);

	nl_attr_put_u32(nlh, IFLA_GENEVE_ID, vni);
	nl_attr_put_u32(nlh, IFLA_GENEVE_REMOTE, remote_be);
	nl_attr_put_u8(nlh, IFLA_GENEVE_UDP_CSUM, 0); /* as for VXLAN */
	nl_attr_put_u16(nlh, IFLA_GENEVE_PORT, htons(SLOTNET_GENEVE_PORT));
	linkinfo_end(nlh, linkinfo, data);
	msg_end(b);
}

static struct nlmsghdr *setlink_begin(struct rt_batch *b, int ifindex, const char *name,
				      const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_NEWLINK, 0, what, tag);

	put_ifinfo(nlh, ifindex);
	if (!ifindex)
		nl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

void rt_link_up(struct rt_batch *b, int ifindex, const char *name, int master,
	       const char *what, int tag)
{
	struct nlmsghdr *nlh = setlink_begin(b, ifindex, name, what, tag);
	struct ifinfomsg *ifi = nl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (master)
		nl_attr_put_u32(nlh, IFLA_MASTER, master);
	msg_end(b);
}

void rt_link_up_no_ipv6_addr(struct rt_batch *b, int ifindex, const char *what, int tag)
{
	struct nlmsghdr *nlh = setlink_begin(b, ifindex, NULL, what, tag);
	struct ifinfomsg *ifi = nl_nlmsg_get_payload(nlh);
	struct nlattr *af_spec, *inet6;

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	af_spec = nl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = nl_attr_nest_start(nlh, AF_INET6);
	nl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	nl_attr_nest_end(nlh, inet6);
	nl_attr_nest_end(nlh, af_spec);
	msg_end(b);
}

void rt_del_link(struct rt_batch *b, const char *name, const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_DELLINK, 0, what, tag);

	put_ifinfo(nlh, 0);
	nl_attr_put_strz(nlh, IFLA_IFNAME, name);
	msg_end(b);
}

void rt_del_group(struct rt_batch *b, uint32_t group, const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_DELLINK, 0, what, tag);

	put_ifinfo(nlh, 0);
	nl_attr_put_u32(nlh, IFLA_GROUP, group);
	msg_end(b);
}

void rt_get_link(struct rt_batch *b, const char *name, const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_GETLINK, 0, what, tag);

	put_ifinfo(nlh, 0);
	nl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Statistics are most of an answer and nobody reads them here. */
	nl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
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
	nl_attr_put_u32(nlh, IFA_LOCAL, addr_be);
	nl_attr_put_u32(nlh, IFA_ADDRESS, addr_be);
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
		nl_attr_put_u32(nlh, RTA_DST, dst_be);
	if (gw_be)
		nl_attr_put_u32(nlh, RTA_GATEWAY, gw_be);
	nl_attr_put_u32(nlh, RTA_OIF, oif);
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
	nl_attr_put_u32(nlh, NDA_DST, addr_be);
	nl_attr_put(nlh, NDA_LLADDR, 6, mac);
	msg_end(b);
}

void rt_del_neigh(struct rt_batch *b, int ifindex, uint32_t addr_be, const char *what, int tag)
{
	struct nlmsghdr *nlh = msg_begin(b, RTM_DELNEIGH, 0, what, tag);
	struct ndmsg *ndm = nl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	nl_attr_put_u32(nlh, NDA_DST, addr_be);
	msg_end(b);
}

void rt_flush_bridge_fdb(struct rt_batch *b, int ifindex, const char *what, int tag)
{
	struct nlmsghdr *nlh = setlink_begin(b, ifindex, NULL, what, tag);
	struct nlattr *data, *linkinfo = linkinfo_begin(nlh, "bridge", &data);

	/* Dynamic entries only: what the bridge learned, not what was configured. */
	nl_attr_put(nlh, IFLA_BR_FDB_FLUSH, 0, NULL);
	linkinfo_end(nlh, linkinfo, data);
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
	nl_attr_put_strz(nlh, TCA_KIND, "clsact");
	nl_attr_put_u32(nlh, TCA_INGRESS_BLOCK, ingress_block);
	nl_attr_put_u32(nlh, TCA_EGRESS_BLOCK, egress_block);
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
	nl_attr_put_strz(nlh, TCA_KIND, "bpf");
	opts = nl_attr_nest_start(nlh, TCA_OPTIONS);
	nl_attr_put_u32(nlh, TCA_BPF_FD, prog_fd);
	nl_attr_put_strz(nlh, TCA_BPF_NAME, prog_name);
	nl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	nl_attr_nest_end(nlh, opts);
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

struct dump_ctx {
	rt_reply_cb cb;
	void *data;
};

/* Sends a dump request with the family header HDR and runs cb over the answers. */
static int dump(struct nl_socket *nl, uint16_t type, const void *hdr, size_t hdr_len,
		bool skip_stats, rt_reply_cb cb, void *data)
{
	char buf[NL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_nlmsg_put_header(buf);
	uint32_t seq = seq_counter++, portid = nl_socket_get_portid(nl);
	char *rbuf = malloc(RT_RECV_SIZE);
	int ret = NL_CB_OK;

	if (!rbuf)
		return -1;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	memcpy(nl_nlmsg_put_extra_header(nlh, hdr_len), hdr, hdr_len);
	if (skip_stats)
		nl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_socket_sendto(nl, buf, nlh->nlmsg_len) < 0)
		ret = NL_CB_ERROR;
	while (ret == NL_CB_OK) {
		ssize_t n = nl_socket_recvfrom(nl, rbuf, RT_RECV_SIZE);

		ret = n < 0 ? NL_CB_ERROR : nl_cb_run(nl, rbuf, n, seq, portid, cb, data, NULL);
	}
	free(rbuf);
	return ret == NL_CB_ERROR ? -1 : 0;
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

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	struct rt_neigh_info *info = data;

	if (nl_attr_get_type(attr) == NDA_DST && nl_attr_get_payload_len(attr) == 4)
		info->dst_be = nl_attr_get_u32(attr);
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
	}
	return NL_CB_OK;
}

int rt_link_parse(const struct nlmsghdr *nlh, struct rt_link_info *info)
{
	const struct ifinfomsg *ifi = nl_nlmsg_get_payload(nlh);

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	nl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, info);
	info->ifindex = ifi->ifi_index;
	return 0;
}
