// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Netlink in libmnl's shape; see nl.h. */
#include "nl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct nl_socket {
	int fd;
	struct sockaddr_nl addr;
	struct nl_transport transport;
	char extack[256];
};

/* ---- messages ---- */

struct nlmsghdr *nl_nlmsg_put_header(void *buf)
{
	struct nlmsghdr *nlh = buf;

	memset(nlh, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN;
	return nlh;
}

void *nl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size)
{
	char *p = (char *)nlh + nlh->nlmsg_len;

	nlh->nlmsg_len += NLMSG_ALIGN(size);
	memset(p, 0, NLMSG_ALIGN(size));
	return p;
}

void *nl_nlmsg_get_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + NLMSG_HDRLEN;
}

void *nl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset)
{
	return (char *)nlh + NLMSG_HDRLEN + NLMSG_ALIGN(offset);
}

bool nl_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(struct nlmsghdr) &&
	       nlh->nlmsg_len >= sizeof(struct nlmsghdr) && (int)nlh->nlmsg_len <= len;
}

struct nlmsghdr *nl_nlmsg_next(const struct nlmsghdr *nlh, int *len)
{
	*len -= NLMSG_ALIGN(nlh->nlmsg_len);
	return (struct nlmsghdr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
}

/* ---- attributes ---- */

uint16_t nl_attr_get_type(const struct nlattr *attr)
{
	return attr->nla_type & NLA_TYPE_MASK;
}

uint16_t nl_attr_get_payload_len(const struct nlattr *attr)
{
	return attr->nla_len - NLA_HDRLEN;
}

void *nl_attr_get_payload(const struct nlattr *attr)
{
	return (char *)attr + NLA_HDRLEN;
}

uint32_t nl_attr_get_u32(const struct nlattr *attr)
{
	uint32_t v;

	memcpy(&v, nl_attr_get_payload(attr), sizeof(v));
	return v;
}

const char *nl_attr_get_str(const struct nlattr *attr)
{
	return nl_attr_get_payload(attr);
}

void nl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	struct nlattr *attr = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	size_t padded = NLA_ALIGN(len);

	attr->nla_type = type;
	attr->nla_len = NLA_HDRLEN + len;
	/* A flag attribute has no payload and may come with data NULL, which memcpy must not get. */
	if (len)
		memcpy(nl_attr_get_payload(attr), data, len);
	memset((char *)nl_attr_get_payload(attr) + len, 0, padded - len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN + padded;
}

void nl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data)
{
	nl_attr_put(nlh, type, sizeof(data), &data);
}

/* The _check variants take the size of the buffer nlh starts and refuse to pass its end. */
bool nl_attr_put_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len,
		       const void *data)
{
	/* nla_len is 16 bits: a longer payload could not be described at all. */
	if (len > UINT16_MAX - NLA_HDRLEN ||
	    NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN + NLA_ALIGN(len) > buflen)
		return false;
	nl_attr_put(nlh, type, len, data);
	return true;
}

bool nl_attr_put_u8_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t data)
{
	return nl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool nl_attr_put_u16_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t data)
{
	return nl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool nl_attr_put_u32_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t data)
{
	return nl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool nl_attr_put_strz_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *data)
{
	return nl_attr_put_check(nlh, buflen, type, strlen(data) + 1, data);
}

struct nlattr *nl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *start = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	start->nla_type = NLA_F_NESTED | type;
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN;
	return start;
}

struct nlattr *nl_attr_nest_start_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type)
{
	if (NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN > buflen)
		return NULL;
	return nl_attr_nest_start(nlh, type);
}

void nl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start)
{
	start->nla_len = (char *)nlh + nlh->nlmsg_len - (char *)start;
}

static int parse_attrs(const struct nlattr *attr, int len, nl_attr_cb_t cb, void *data)
{
	while (len >= NLA_HDRLEN && attr->nla_len >= NLA_HDRLEN && attr->nla_len <= len) {
		int ret = cb(attr, data);

		if (ret <= NL_CB_STOP)
			return ret;
		len -= NLA_ALIGN(attr->nla_len);
		attr = (const struct nlattr *)((const char *)attr + NLA_ALIGN(attr->nla_len));
	}
	return NL_CB_OK;
}

int nl_attr_parse(const struct nlmsghdr *nlh, size_t offset, nl_attr_cb_t cb, void *data)
{
	const struct nlattr *first = nl_nlmsg_get_payload_offset(nlh, offset);
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)NLMSG_ALIGN(offset);

	return parse_attrs(first, len, cb, data);
}

int nl_attr_parse_nested(const struct nlattr *attr, nl_attr_cb_t cb, void *data)
{
	return parse_attrs(nl_attr_get_payload(attr), nl_attr_get_payload_len(attr), cb, data);
}

/* ---- batches ---- */

struct nl_batch {
	char *buf;
	size_t limit;
	size_t used;     /* bytes of complete messages */
	bool overflow;   /* the current message did not fit and waits for the next batch */
};

struct nl_batch *nl_batch_start(void *buf, size_t limit)
{
	struct nl_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->buf = buf;
	b->limit = limit;
	return b;
}

bool nl_batch_next(struct nl_batch *b)
{
	struct nlmsghdr *cur = nl_batch_current(b);

	if (b->used + cur->nlmsg_len > b->limit) {
		b->overflow = true;
		return false;
	}
	b->used += NLMSG_ALIGN(cur->nlmsg_len);
	return true;
}

void nl_batch_stop(struct nl_batch *b)
{
	free(b);
}

void *nl_batch_head(struct nl_batch *b)
{
	return b->buf;
}

void *nl_batch_current(struct nl_batch *b)
{
	return b->buf + b->used;
}

size_t nl_batch_size(struct nl_batch *b)
{
	return b->used;
}

/* Moves a message that did not fit to the front and counts it in, as libmnl does. */
void nl_batch_reset(struct nl_batch *b)
{
	if (b->overflow) {
		struct nlmsghdr *cur = nl_batch_current(b);

		memmove(b->buf, cur, cur->nlmsg_len);
		b->used = NLMSG_ALIGN(cur->nlmsg_len);
		b->overflow = false;
	} else {
		b->used = 0;
	}
}

/* ---- sockets ---- */

static ssize_t kernel_send(void *ctx, const void *buf, size_t len)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const struct nl_socket *nl = ctx;

	return sendto(nl->fd, buf, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
}

static ssize_t kernel_recv(void *ctx, void *buf, size_t bufsiz)
{
	const struct nl_socket *nl = ctx;
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = bufsiz };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t ret;

	do
		ret = recvmsg(nl->fd, &msg, 0);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return ret;
	if (msg.msg_flags & MSG_TRUNC) {
		errno = ENOSPC;
		return -1;
	}
	if (msg.msg_namelen != sizeof(struct sockaddr_nl) || from.nl_pid != 0) {
		errno = EINVAL;
		return -1;
	}
	return ret;
}

struct nl_socket *nl_socket_open(int bus)
{
	struct nl_socket *nl = calloc(1, sizeof(*nl));
	socklen_t alen = sizeof(nl->addr);
	int one = 1;

	if (!nl)
		return NULL;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
	if (nl->fd < 0)
		goto err_free;
	/* Failures here only cost detail in messages, so they are not fatal. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->addr.nl_family = AF_NETLINK;
	if (bind(nl->fd, (struct sockaddr *)&nl->addr, sizeof(nl->addr)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&nl->addr, &alen) < 0)
		goto err_close;
	nl->transport = (struct nl_transport){ kernel_send, kernel_recv, nl };
	return nl;
err_close:
	close(nl->fd);
err_free:
	free(nl);
	return NULL;
}

struct nl_socket *nl_socket_open_transport(const struct nl_transport *t, uint32_t portid)
{
	struct nl_socket *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	nl->fd = -1;
	nl->addr = (struct sockaddr_nl){ .nl_family = AF_NETLINK, .nl_pid = portid };
	nl->transport = *t;
	return nl;
}

int nl_socket_close(struct nl_socket *nl)
{
	int ret;

	if (!nl)
		return 0;
	ret = nl->fd >= 0 ? close(nl->fd) : 0;
	free(nl);
	return ret;
}

int nl_socket_get_fd(const struct nl_socket *nl)
{
	return nl->fd;
}

uint32_t nl_socket_get_portid(const struct nl_socket *nl)
{
	return nl->addr.nl_pid;
}

const char *nl_socket_extack(const struct nl_socket *nl)
{
	return nl->extack;
}

ssize_t nl_socket_sendto(const struct nl_socket *nl, const void *buf, size_t len)
{
	return nl->transport.send(nl->transport.ctx, buf, len);
}

ssize_t nl_socket_recvfrom(const struct nl_socket *nl, void *buf, size_t bufsiz)
{
	return nl->transport.recv(nl->transport.ctx, buf, bufsiz);
}

static int extack_cb(const struct nlattr *attr, void *data)
{
	struct nl_socket *nl = data;

	if (nl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && nl_attr_get_payload_len(attr) > 0) {
		size_t n = nl_attr_get_payload_len(attr);

		if (n >= sizeof(nl->extack))
			n = sizeof(nl->extack) - 1;
		memcpy(nl->extack, nl_attr_get_payload(attr), n);
		nl->extack[n] = '\0';
	}
	return NL_CB_OK;
}

static void read_extack(struct nl_socket *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*e);

	nl->extack[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NLM_F_CAPPED the error echoes the whole failed request. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - sizeof(e->msg);
	nl_attr_parse(nlh, offset, extack_cb, nl);
}

int nl_cb_run(struct nl_socket *nl, const void *buf, size_t numbytes, uint32_t seq,
	      uint32_t portid, nl_cb_t cb, void *data, uint32_t *err_seq)
{
	const struct nlmsghdr *nlh = buf;
	int len = (int)numbytes;
	int ret = NL_CB_OK;

	for (; nl_nlmsg_ok(nlh, len); nlh = nl_nlmsg_next(nlh, &len)) {
		if ((portid && nlh->nlmsg_pid && nlh->nlmsg_pid != portid) ||
		    (seq && nlh->nlmsg_seq && nlh->nlmsg_seq != seq)) {
			errno = EPROTO;
			return NL_CB_ERROR;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = nl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
				errno = EBADMSG;
				return NL_CB_ERROR;
			}
			if (e->error) {
				read_extack(nl, nlh);
				if (err_seq)
					*err_seq = nlh->nlmsg_seq;
				errno = -e->error;
				return NL_CB_ERROR;
			}
			return NL_CB_STOP;
		}
		if (nlh->nlmsg_type == NLMSG_DONE)
			return NL_CB_STOP;
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		if (cb) {
			ret = cb(nlh, data);
			if (ret <= NL_CB_STOP)
				return ret;
		}
	}
	return ret;
}
