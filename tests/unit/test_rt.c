// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of cmd/rt.c's request batches against a fake kernel (an
 * nl_transport): requests of mixed sizes across many full batches must each
 * reach the kernel once, in order, and each answer must be read once and
 * blamed on the request it answers.  No root, no kernel.  Output is TAP for
 * tests/run.sh.
 */
#include "nl.h"
#include "rt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ipv6.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "tap.h"

/* ---- the fake kernel ---- */

#define PORTID 4242
#define MAX_IDS 4096
#define MAX_REQS (2 * MAX_IDS)
#define MAX_SENDS 256
#define ANSWER_SPACE (4 << 20)

struct fake_kernel {
	int err_of[MAX_IDS];         /* the errno request id gets, 0: success */
	int nreqs;                   /* every request received, in order */
	int req_id[MAX_REQS];
	uint32_t req_seq[MAX_REQS];
	int nsends;
	int send_first[MAX_SENDS];   /* index of a send's first request */
	size_t send_len[MAX_SENDS];
	char *answers;               /* what the kernel queued for the socket */
	size_t queued, read;
	char breach[256];            /* the first thing a kernel would not take, or "" */
};

static void breach(struct fake_kernel *k, const char *fmt, ...)
{
	va_list ap;

	if (k->breach[0])
		return;
	va_start(ap, fmt);
	vsnprintf(k->breach, sizeof(k->breach), fmt, ap);
	va_end(ap);
}

static struct nlmsghdr *answer(struct fake_kernel *k, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = nl_nlmsg_put_header(k->answers + k->queued);

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

/* The RTM_NEWLINK reply to an RTM_GETLINK: ifindex = the request's id. */
static void answer_link(struct fake_kernel *k, const struct nlmsghdr *req, int id, const char *name)
{
	struct nlmsghdr *nlh = answer(k, RTM_NEWLINK, req->nlmsg_seq);
	struct ifinfomsg *ifi = nl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_index = id;
	nl_attr_put_strz_check(nlh, ANSWER_SPACE - k->queued, IFLA_IFNAME, name);
	k->queued += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* The ACK, or the error with an extended ack, as with NETLINK_CAP_ACK and NETLINK_EXT_ACK. */
static void answer_ack(struct fake_kernel *k, const struct nlmsghdr *req, int id, int err)
{
	struct nlmsghdr *nlh = answer(k, NLMSG_ERROR, req->nlmsg_seq);
	struct nlmsgerr *e = nl_nlmsg_put_extra_header(nlh, sizeof(*e));
	char why[32];

	e->error = -err;
	e->msg = *req;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	if (err) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		snprintf(why, sizeof(why), "refused %d", id);
		nl_attr_put_strz_check(nlh, ANSWER_SPACE - k->queued, NLMSGERR_ATTR_MSG, why);
	}
	k->queued += NLMSG_ALIGN(nlh->nlmsg_len);
}

struct name_attr {
	const char *name;
	int nattrs;
};

static int find_name(const struct nlattr *attr, void *data)
{
	struct name_attr *n = data;

	n->nattrs++;
	if (nl_attr_get_type(attr) == IFLA_IFNAME)
		n->name = nl_attr_get_str(attr);
	return NL_CB_OK;
}

/* Requests name links "<id>xxx...": the id back, or -1 for a name of another shape. */
static int id_of_name(const char *name)
{
	char *end;
	long id = name ? strtol(name, &end, 10) : -1;

	if (!name || end == name || id < 0 || id >= MAX_IDS)
		return -1;
	end += strspn(end, "x");
	return *end ? -1 : (int)id;
}

/* The request's id (its link name's number, or a qdisc's ifindex); -1 when malformed. */
static int request_id(const struct nlmsghdr *nlh, struct name_attr *n)
{
	const struct tcmsg *tcm = nl_nlmsg_get_payload(nlh);

	if ((nlh->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) != (NLM_F_REQUEST | NLM_F_ACK))
		return -1;
	switch (nlh->nlmsg_type) {
	case RTM_DELLINK:
	case RTM_GETLINK:
		nl_attr_parse(nlh, sizeof(struct ifinfomsg), find_name, n);
		return id_of_name(n->name);
	case RTM_NEWQDISC:
		nl_attr_parse(nlh, sizeof(*tcm), find_name, n);
		return n->nattrs == 3 && tcm->tcm_ifindex < MAX_IDS ? tcm->tcm_ifindex : -1;
	case RTM_NEWTFILTER:
		nl_attr_parse(nlh, sizeof(*tcm), find_name, n);
		return n->nattrs == 2 && (uint32_t)tcm->tcm_ifindex == TCM_IFINDEX_MAGIC_BLOCK &&
		       tcm->tcm_block_index < MAX_IDS ? (int)tcm->tcm_block_index : -1;
	}
	return -1;
}

/* Takes one request as the kernel would: logs it, queues its answers. */
static void take_request(struct fake_kernel *k, const struct nlmsghdr *nlh)
{
	struct name_attr n = { 0 };
	int id = request_id(nlh, &n);

	if (id < 0) {
		breach(k, "request %d (seq %u, type %u) is not one the test made", k->nreqs,
		       nlh->nlmsg_seq, nlh->nlmsg_type);
		return;
	}
	if (k->nreqs == MAX_REQS) {
		breach(k, "more than %d requests", MAX_REQS);
		return;
	}
	k->req_id[k->nreqs] = id;
	k->req_seq[k->nreqs] = nlh->nlmsg_seq;
	k->nreqs++;
	if (nlh->nlmsg_type == RTM_GETLINK && !k->err_of[id])
		answer_link(k, nlh, id, n.name);
	answer_ack(k, nlh, id, k->err_of[id]);
}

static ssize_t fake_send(void *ctx, const void *data, size_t len)
{
	struct fake_kernel *k = ctx;
	const struct nlmsghdr *nlh = data;
	int left = (int)len;

	if (k->nsends == MAX_SENDS) {
		breach(k, "more than %d sends", MAX_SENDS);
		errno = ENOBUFS;
		return -1;
	}
	k->send_first[k->nsends] = k->nreqs;
	k->send_len[k->nsends] = len;
	k->nsends++;
	for (; nl_nlmsg_ok(nlh, left); nlh = nl_nlmsg_next(nlh, &left))
		take_request(k, nlh);
	if (left)
		breach(k, "send %d: %d bytes that are no whole request", k->nsends, left);
	return (ssize_t)len;
}

/* One answer per read: the kernel sends each acknowledgement and reply as a datagram of its own. */
static ssize_t fake_recv(void *ctx, void *buf, size_t bufsiz)
{
	struct fake_kernel *k = ctx;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(k->answers + k->read);
	size_t len;

	if (k->read == k->queued) {
		/* The kernel would block here for good. */
		breach(k, "a read with no answer left to read");
		errno = EAGAIN;
		return -1;
	}
	len = NLMSG_ALIGN(nlh->nlmsg_len);
	if (len > bufsiz) {
		breach(k, "a %zu-byte answer read into %zu bytes", len, bufsiz);
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, nlh, len);
	k->read += len;
	return (ssize_t)len;
}

/* ---- requests of mixed kinds and sizes ---- */

enum kind { DEL_LINK, ADD_CLSACT, GET_LINK, SET_FILTER };

static const char *const what_of[] = {
	[DEL_LINK] = "deleting a link",
	[ADD_CLSACT] = "adding a qdisc",
	[GET_LINK] = "getting a link",
	[SET_FILTER] = "setting a block filter",
};

struct req {
	enum kind kind;
	int id;
	size_t namelen;   /* link name: the id's digits, then 'x' up to this */
};

/* The longest link name rt.c can send in one message (RT_MSG_MAX, 8192 bytes). */
#define NAME_MAX_SENT 8155

static void queue(struct rt_batch *b, const struct req *r)
{
	static char name[NAME_MAX_SENT + 16];
	int digits = snprintf(name, sizeof(name), "%d", r->id);

	if (r->namelen > (size_t)digits) {
		memset(name + digits, 'x', r->namelen - digits);
		name[r->namelen] = '\0';
	}
	switch (r->kind) {
	case DEL_LINK:
		rt_del_link(b, name, what_of[r->kind], r->id);
		break;
	case ADD_CLSACT:
		rt_add_clsact(b, r->id, 1, 2, what_of[r->kind], r->id);
		break;
	case GET_LINK:
		rt_get_link(b, name, what_of[r->kind], r->id);
		break;
	case SET_FILTER:
		rt_set_block_filter(b, r->id, 3, "from_slot", what_of[r->kind], r->id);
		break;
	}
}

/* What the batch made of a run: its commit's result and what its callback saw. */
struct outcome {
	int ret;
	int err;            /* errno after a failed commit */
	struct rt_error error;
	int nreplies;
	int reply_id[MAX_IDS];
};

static int note_reply(const struct nlmsghdr *nlh, void *data)
{
	struct outcome *o = data;
	struct rt_link_info info;

	if (rt_link_parse(nlh, &info) == 0 && o->nreplies < MAX_IDS)
		o->reply_id[o->nreplies++] = info.ifindex;
	return NL_CB_OK;
}

/* Queues every request in one batch and commits it, EEXIST tolerated as prewarm does. */
static void run(struct fake_kernel *k, const struct req *reqs, int n, struct outcome *o)
{
	const struct nl_transport t = { fake_send, fake_recv, k };
	struct nl_socket *nl = nl_socket_open_transport(&t, PORTID);
	struct rt_batch *b = nl ? rt_batch_new(nl, note_reply, o) : NULL;

	memset(o, 0, sizeof(*o));
	o->ret = -2;
	if (!b) {
		breach(k, "no batch: %s", strerror(errno));
		nl_socket_close(nl);
		return;
	}
	rt_batch_tolerate(b, EEXIST);
	for (int i = 0; i < n; i++)
		queue(b, &reqs[i]);
	o->ret = rt_batch_commit(b);
	o->err = o->ret ? errno : 0;
	o->error = *rt_batch_error(b);
	rt_batch_free(b);
	nl_socket_close(nl);
}

static struct fake_kernel *fake_kernel_new(void)
{
	struct fake_kernel *k = calloc(1, sizeof(*k));

	if (k)
		k->answers = malloc(ANSWER_SPACE);
	if (!k || !k->answers) {
		printf("Bail out! no memory\n");
		exit(1);
	}
	return k;
}

static void fake_kernel_free(struct fake_kernel *k)
{
	free(k->answers);
	free(k);
}

/*
 * The three things every run must show: each request sent (but one too
 * long to send) reached the kernel exactly once and in order, with
 * consecutive sequence numbers; every answer was read, and no read waited
 * for one that was never coming; and the GETLINK replies reached the
 * callback, in order.
 */
static void check_delivery(const char *name, const struct fake_kernel *k, const struct req *reqs,
			   int n, const struct outcome *o, int too_long_id)
{
	char desc[160];
	int sent = 0, replies = 0, bad = -1, bad_want = -1;

	for (int i = 0; i < n; i++) {
		if (reqs[i].id == too_long_id)
			continue;
		if (bad < 0 && (sent >= k->nreqs || k->req_id[sent] != reqs[i].id ||
				k->req_seq[sent] != k->req_seq[0] + (uint32_t)sent)) {
			bad = sent;
			bad_want = reqs[i].id;
		}
		sent++;
	}
	if (bad < 0 && sent != k->nreqs)
		bad = sent;
	snprintf(desc, sizeof(desc), "%s: every request reached the kernel once, in order (%d in %d sends)",
		 name, sent, k->nsends);
	check(bad < 0 && !k->breach[0], desc,
	      "request %d: id %d seq %u, expected id %d seq %u; %d received, %d expected; %s", bad,
	      bad >= 0 && bad < k->nreqs ? k->req_id[bad] : -1,
	      bad >= 0 && bad < k->nreqs ? k->req_seq[bad] : 0, bad_want,
	      k->nreqs ? k->req_seq[0] + (uint32_t)bad : 0, k->nreqs, sent, k->breach);

	snprintf(desc, sizeof(desc), "%s: every answer read once, none waited for in vain", name);
	check(k->read == k->queued && !k->breach[0], desc, "%zu of %zu answer bytes read; %s", k->read,
	      k->queued, k->breach);

	bad = -1;
	for (int i = 0; i < n; i++) {
		if (reqs[i].kind != GET_LINK || k->err_of[reqs[i].id])
			continue;
		if (bad < 0 && (replies >= o->nreplies || o->reply_id[replies] != reqs[i].id))
			bad = replies;
		replies++;
	}
	snprintf(desc, sizeof(desc), "%s: the %d link replies reached the callback, in order", name, replies);
	check(bad < 0 && o->nreplies == replies, desc, "reply %d wrong; %d replies", bad, o->nreplies);
}

static void check_failure(const char *name, const struct outcome *o, int err, const struct req *r,
			  const char *extack)
{
	char desc[160];

	snprintf(desc, sizeof(desc), "%s: the commit fails with %s, blamed on %s %d", name, strerror(err),
		 what_of[r->kind], r->id);
	check(o->ret == -1 && o->err == err && o->error.err == err && o->error.tag == r->id &&
		      o->error.what && !strcmp(o->error.what, what_of[r->kind]) &&
		      !strcmp(o->error.extack, extack),
	      desc, "ret %d errno %d; error %d on '%s' %d, extack '%s'", o->ret, o->err, o->error.err,
	      o->error.what ? o->error.what : "(null)", o->error.tag, o->error.extack);
}

/*
 * 1,500 requests, about 600 KiB: deletes with names of 1 to ~3,000 bytes,
 * 64-byte clsact qdiscs, link lookups, short deletes; then 2,100 short
 * deletes (44 bytes each, so the count limit of 1,024 ends a batch before
 * the byte limit does).
 */
static int mixed_workload(struct req *reqs)
{
	int n = 0;

	for (int id = 0; id < 1500; id++) {
		static const enum kind kinds[] = { DEL_LINK, ADD_CLSACT, GET_LINK, DEL_LINK };
		enum kind kind = kinds[id % 4];

		reqs[n++] = (struct req){ kind, id, id % 4 == 0 ? 1 + (id * 97) % 3000 : 0 };
	}
	for (int id = 1500; id < 3600; id++)
		reqs[n++] = (struct req){ DEL_LINK, id, 0 };
	return n;
}

static struct req reqs[MAX_IDS];
static struct outcome outcome;

/*
 * In a run of the mixed workload (where request i has id i), a request
 * that is not a qdisc (those all get EEXIST below) at a batch boundary the
 * byte limit made: the first of the next batch (the one that did not fit),
 * or the last of the batch it cut.
 */
static int at_cut(const struct fake_kernel *k, bool first)
{
	for (int s = 2; s < k->nsends; s++) {
		int id = first ? k->send_first[s] : k->send_first[s] - 1;

		if (k->send_first[s] - k->send_first[s - 1] < 1024 && reqs[id].kind != ADD_CLSACT)
			return id;
	}
	return -1;
}

static void test_mixed(void)
{
	struct fake_kernel *k = fake_kernel_new();
	struct outcome *o = &outcome;
	int n = mixed_workload(reqs), by_count = 0;
	const char *names[3] = { "refused first of a cut batch", "refused last of a cut batch",
				 "refused last request" };
	int refused[3];

	run(k, reqs, n, o);
	check(o->ret == 0, "mixed: the commit succeeds", "ret %d errno %d (%s on %d)", o->ret, o->err,
	      o->error.what ? o->error.what : "-", o->error.tag);
	check(k->nsends >= 10, "mixed: the requests took at least 10 batches", "%d sends", k->nsends);
	check_delivery("mixed", k, reqs, n, o, -1);
	for (int s = 1; s < k->nsends; s++)
		by_count += k->send_first[s] - k->send_first[s - 1] == 1024;
	check(by_count > 0, "mixed: a batch ended at the count limit of 1,024 requests",
	      "no batch of 1,024 requests");
	refused[0] = at_cut(k, true);
	refused[1] = at_cut(k, false);
	refused[2] = n - 1;
	fake_kernel_free(k);

	/* The same requests with one refused, and EEXIST on every qdisc tolerated as in prewarm. */
	for (int i = 0; i < 3; i++) {
		char extack[32];

		if (refused[i] < 0) {
			check(0, names[i], "no batch was cut by the byte limit");
			continue;
		}
		k = fake_kernel_new();
		for (int j = 0; j < n; j++)
			if (reqs[j].kind == ADD_CLSACT)
				k->err_of[reqs[j].id] = EEXIST;
		k->err_of[refused[i]] = ENOENT;
		run(k, reqs, n, o);
		snprintf(extack, sizeof(extack), "refused %d", refused[i]);
		check_failure(names[i], o, ENOENT, &reqs[refused[i]], extack);
		check_delivery(names[i], k, reqs, n, o, -1);
		fake_kernel_free(k);
	}
}

/*
 * What prewarm's re-run does in tc mode: a clsact qdisc per slot (each
 * already there: EEXIST, tolerated), then the two shared blocks' filters,
 * which land in the last batch.  Here the last filter is refused.
 */
static void test_refresh_qdiscs(void)
{
	struct fake_kernel *k = fake_kernel_new();
	struct outcome *o = &outcome;
	int n = 0;

	for (int id = 0; id < 1000; id++) {
		reqs[n++] = (struct req){ ADD_CLSACT, id, 0 };
		k->err_of[id] = EEXIST;
	}
	reqs[n++] = (struct req){ SET_FILTER, 1000, 0 };
	reqs[n++] = (struct req){ SET_FILTER, 1001, 0 };
	k->err_of[1001] = EINVAL;
	run(k, reqs, n, o);
	check(k->nsends == 2, "refresh: 1,000 qdiscs and 2 filters take 2 batches", "%d sends", k->nsends);
	check_failure("refresh", o, EINVAL, &reqs[n - 1], "refused 1001");
	check_delivery("refresh", k, reqs, n, o, -1);
	fake_kernel_free(k);
}

/* Six requests of RT_MSG_MAX (8,192 bytes) fill a batch to exactly its 48 KiB limit. */
static void test_exact_limit(void)
{
	struct fake_kernel *k = fake_kernel_new();
	struct outcome *o = &outcome;
	int n = 0;

	for (int id = 0; id < 6; id++)
		reqs[n++] = (struct req){ DEL_LINK, id, NAME_MAX_SENT };
	reqs[n++] = (struct req){ ADD_CLSACT, 6, 0 };
	run(k, reqs, n, o);
	check(o->ret == 0 && k->nsends == 2 && k->send_len[0] == 48 * 1024 && k->send_first[1] == 6,
	      "exact: a batch filled to exactly 48 KiB is sent whole, the next request goes next",
	      "ret %d, %d sends, first %zu bytes, second from request %d", o->ret, k->nsends, k->send_len[0],
	      k->nsends > 1 ? k->send_first[1] : -1);
	check_delivery("exact", k, reqs, n, o, -1);
	fake_kernel_free(k);
}

/* A request that cannot fit RT_MSG_MAX is not sent and fails under its own label. */
static void test_too_long(void)
{
	struct fake_kernel *k = fake_kernel_new();
	struct outcome *o = &outcome;
	int n = 0;

	for (int id = 0; id < 40; id++)
		reqs[n++] = (struct req){ id % 2 ? ADD_CLSACT : DEL_LINK, id, id % 2 ? 0 : 2000 };
	reqs[20] = (struct req){ DEL_LINK, 20, NAME_MAX_SENT + 1 };
	run(k, reqs, n, o);
	check_failure("too long", o, EMSGSIZE, &reqs[20], "");
	check_delivery("too long", k, reqs, n, o, 20);
	fake_kernel_free(k);
}

/* ---- parsing what check reads: messages as the kernel sends them ---- */

static struct nlmsghdr *msg_start(char *buf, uint16_t type, size_t hdr_len)
{
	struct nlmsghdr *nlh = nl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nl_nlmsg_put_extra_header(nlh, hdr_len);
	return nlh;
}

static void test_parse_vxlan_link(void)
{
	static char buf[2048] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = msg_start(buf, RTM_NEWLINK, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = nl_nlmsg_get_payload(nlh);
	const uint8_t mac[6] = { 2, 0x73, 0x6e, 0, 0, 9 };
	int32_t conf[DEVCONF_DISABLE_IPV6 + 2] = { 0 };
	struct nlattr *li, *data, *af, *in6;
	struct rt_link_info l;

	ifi->ifi_index = 102;
	ifi->ifi_flags = IFF_UP;
	nl_attr_put(nlh, IFLA_IFNAME, 5, "tun0");
	nl_attr_put_u32(nlh, IFLA_MTU, 1450);
	nl_attr_put_u32(nlh, IFLA_MASTER, 101);
	nl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	li = nl_attr_nest_start(nlh, IFLA_LINKINFO);
	nl_attr_put(nlh, IFLA_INFO_KIND, 6, "vxlan");
	data = nl_attr_nest_start(nlh, IFLA_INFO_DATA);
	nl_attr_put_u32(nlh, IFLA_VXLAN_ID, 16000003);
	nl_attr_put_u32(nlh, IFLA_VXLAN_GROUP, htonl(0xc0000201));
	nl_attr_put(nlh, IFLA_VXLAN_LEARNING, 1, "\0");
	nl_attr_nest_end(nlh, data);
	nl_attr_nest_end(nlh, li);
	af = nl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = nl_attr_nest_start(nlh, AF_INET6);
	conf[DEVCONF_DISABLE_IPV6] = 1;
	nl_attr_put(nlh, IFLA_INET6_CONF, sizeof(conf), conf);
	nl_attr_nest_end(nlh, in6);
	nl_attr_nest_end(nlh, af);

	check(rt_link_parse(nlh, &l) == 0 && l.ifindex == 102 && (l.flags & IFF_UP) &&
		      !strcmp(l.name, "tun0") && l.mtu == 1450 && l.master == 101 && l.has_mac &&
		      !memcmp(l.mac, mac, 6) && !strcmp(l.kind, "vxlan") && l.vni == 16000003 &&
		      l.remote_be == htonl(0xc0000201) && l.learning == 0 && l.ipv6_disabled == 1,
	      "a vxlan link: name, flags, MTU, master, MAC, kind, VNI, remote, learning, IPv6 off",
	      "kind '%s' vni %u remote %08x learning %d ipv6 %d mtu %u master %d", l.kind, l.vni,
	      ntohl(l.remote_be), l.learning, l.ipv6_disabled, l.mtu, l.master);

	nlh = msg_start(buf, RTM_NEWLINK, sizeof(struct ifinfomsg));
	nl_attr_put(nlh, IFLA_IFNAME, 4, "br0");
	check(rt_link_parse(nlh, &l) == 0 && l.kind[0] == '\0' && l.learning == -1 &&
		      l.ipv6_disabled == -1 && !l.has_mac && !l.master,
	      "a link without link info or IPv6: kind empty, learning and IPv6 unknown",
	      "kind '%s' learning %d ipv6 %d", l.kind, l.learning, l.ipv6_disabled);
	nlh->nlmsg_type = RTM_NEWADDR;
	check(rt_link_parse(nlh, &l) < 0, "rt_link_parse refuses another message type", "-");
}

static void test_parse_route_addr_neigh(void)
{
	static char buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = msg_start(buf, RTM_NEWROUTE, sizeof(struct rtmsg));
	struct rtmsg *rtm = nl_nlmsg_get_payload(nlh);
	const uint8_t mac[6] = { 2, 0x73, 0x6e, 0, 0, 1 };
	struct rt_route_info r;
	struct rt_addr_info a;
	struct rt_neigh_info n;
	struct ifaddrmsg *ifa;
	struct ndmsg *ndm;

	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_type = RTN_UNICAST;
	nl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	nl_attr_put_u32(nlh, RTA_GATEWAY, htonl(0xa9fe0101));
	nl_attr_put_u32(nlh, RTA_OIF, 100);
	check(rt_route_parse(nlh, &r) == 0 && r.table == RT_TABLE_MAIN && r.dst_len == 0 &&
		      r.gw_be == htonl(0xa9fe0101) && r.oif == 100 && r.type == RTN_UNICAST,
	      "a default route: table, gateway, device, type", "table %u gw %08x oif %d",
	      r.table, ntohl(r.gw_be), r.oif);

	nlh = msg_start(buf, RTM_NEWADDR, sizeof(struct ifaddrmsg));
	ifa = nl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 30;
	ifa->ifa_index = 100;
	nl_attr_put_u32(nlh, IFA_ADDRESS, htonl(0xa9fe0103));
	nl_attr_put_u32(nlh, IFA_LOCAL, htonl(0xa9fe0102));
	check(rt_addr_parse(nlh, &a) == 0 && a.ifindex == 100 && a.plen == 30 &&
		      a.local_be == htonl(0xa9fe0102),
	      "an address: IFA_LOCAL wins over a point-to-point IFA_ADDRESS", "local %08x",
	      ntohl(a.local_be));

	nlh = msg_start(buf, RTM_NEWNEIGH, sizeof(struct ndmsg));
	ndm = nl_nlmsg_get_payload(nlh);
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = 100;
	ndm->ndm_state = NUD_PERMANENT;
	nl_attr_put_u32(nlh, NDA_DST, htonl(0xa9fe0101));
	nl_attr_put(nlh, NDA_LLADDR, 6, mac);
	check(rt_neigh_parse(nlh, &n) == 0 && n.ifindex == 100 && n.state == NUD_PERMANENT &&
		      n.dst_be == htonl(0xa9fe0101) && n.has_lladdr && !memcmp(n.lladdr, mac, 6),
	      "a permanent neighbour with its link-layer address", "state %x", n.state);
}

static void test_parse_qdisc_filter(void)
{
	static char buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = msg_start(buf, RTM_NEWQDISC, sizeof(struct tcmsg));
	struct tcmsg *tcm = nl_nlmsg_get_payload(nlh);
	struct rt_qdisc_info q;
	struct rt_filter_info f;
	struct nlattr *opts;

	tcm->tcm_ifindex = 7;
	tcm->tcm_parent = TC_H_CLSACT;
	nl_attr_put(nlh, TCA_KIND, 7, "clsact");
	nl_attr_put_u32(nlh, TCA_INGRESS_BLOCK, 10);
	nl_attr_put_u32(nlh, TCA_EGRESS_BLOCK, 11);
	check(rt_qdisc_parse(nlh, &q) == 0 && q.ifindex == 7 && q.parent == TC_H_CLSACT &&
		      !strcmp(q.kind, "clsact") && q.ingress_block == 10 && q.egress_block == 11,
	      "a clsact qdisc on two shared blocks", "kind '%s' blocks %u %u", q.kind,
	      q.ingress_block, q.egress_block);

	nlh = msg_start(buf, RTM_NEWTFILTER, sizeof(struct tcmsg));
	tcm = nl_nlmsg_get_payload(nlh);
	tcm->tcm_handle = 1;
	tcm->tcm_info = TC_H_MAKE(1 << 16, htons(ETH_P_ALL));
	nl_attr_put(nlh, TCA_KIND, 4, "bpf");
	opts = nl_attr_nest_start(nlh, TCA_OPTIONS);
	nl_attr_put_u32(nlh, TCA_BPF_ID, 41);
	nl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	nl_attr_nest_end(nlh, opts);
	check(rt_filter_parse(nlh, &f) == 0 && f.handle == 1 && f.prio == 1 &&
		      !strcmp(f.kind, "bpf") && f.prog_id == 41 && f.direct_action,
	      "a bpf filter: handle, priority, program id, direct action", "handle %u prio %u id %u",
	      f.handle, f.prio, f.prog_id);
}

int main(void)
{
	test_parse_vxlan_link();
	test_parse_route_addr_neigh();
	test_parse_qdisc_filter();
	test_refresh_qdiscs();
	test_mixed();
	test_exact_limit();
	test_too_long();
	return tap_done();
}
