/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Netlink in the shape of libmnl: buffer arithmetic for messages and
 * attributes, a socket, and a callback runner.  Errors are -1 with errno;
 * nothing here prints.  The names map one to one onto libmnl's (nl_attr_put
 * = mnl_attr_put, nl_batch_* = mnl_nlmsg_batch_*, ...) so the real library
 * can replace this file without touching its callers.  Extended-ack messages
 * are kept on the socket, which libmnl leaves to the caller.
 */
#ifndef SLOTNET_NL_H
#define SLOTNET_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

#define NL_SOCKET_BUFFER_SIZE 8192
#define NL_CB_ERROR -1
#define NL_CB_STOP 0
#define NL_CB_OK 1

struct nl_socket;

/* Messages */
struct nlmsghdr *nl_nlmsg_put_header(void *buf);
void *nl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size);
void *nl_nlmsg_get_payload(const struct nlmsghdr *nlh);
void *nl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset);
bool nl_nlmsg_ok(const struct nlmsghdr *nlh, int len);
struct nlmsghdr *nl_nlmsg_next(const struct nlmsghdr *nlh, int *len);

/* Attributes */
uint16_t nl_attr_get_type(const struct nlattr *attr);
uint16_t nl_attr_get_payload_len(const struct nlattr *attr);
void *nl_attr_get_payload(const struct nlattr *attr);
uint32_t nl_attr_get_u32(const struct nlattr *attr);
const char *nl_attr_get_str(const struct nlattr *attr);
void nl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data);
void nl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data);
struct nlattr *nl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type);
void nl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start);
/*
 * Bounded puts: buflen is the size of the buffer nlh starts; false (NULL for
 * a nest) and nothing written when the attribute would not fit in it.
 */
bool nl_attr_put_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len,
		       const void *data);
bool nl_attr_put_u8_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t data);
bool nl_attr_put_u16_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t data);
bool nl_attr_put_u32_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t data);
bool nl_attr_put_strz_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *data);
struct nlattr *nl_attr_nest_start_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type);

typedef int (*nl_attr_cb_t)(const struct nlattr *attr, void *data);
int nl_attr_parse(const struct nlmsghdr *nlh, size_t offset, nl_attr_cb_t cb, void *data);
/* The attributes inside the nest attr, as mnl_attr_parse_nested. */
int nl_attr_parse_nested(const struct nlattr *attr, nl_attr_cb_t cb, void *data);

/*
 * Batches: several requests in one send.  Messages are built at
 * nl_batch_current; nl_batch_next counts one in, or returns false when it
 * does not fit under limit: send the batch, then nl_batch_reset moves that
 * message to the front and counts it (so it is not counted again).  The
 * buffer must hold limit plus the longest message.
 */
struct nl_batch;
struct nl_batch *nl_batch_start(void *buf, size_t limit);
bool nl_batch_next(struct nl_batch *b);
void nl_batch_stop(struct nl_batch *b);
void *nl_batch_head(struct nl_batch *b);
void *nl_batch_current(struct nl_batch *b);
size_t nl_batch_size(struct nl_batch *b);
void nl_batch_reset(struct nl_batch *b);

/* Sockets */
struct nl_socket *nl_socket_open(int bus);
/*
 * Where a socket's messages go instead of the kernel, for tests (libmnl has
 * no such hook: nothing but tests may use it).  send and recv are called as
 * nl_socket_sendto and nl_socket_recvfrom are, and answer as they would.
 */
struct nl_transport {
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	ssize_t (*recv)(void *ctx, void *buf, size_t bufsiz);
	void *ctx;
};
/* A socket with no kernel behind it (its fd is -1): everything goes through t. */
struct nl_socket *nl_socket_open_transport(const struct nl_transport *t, uint32_t portid);
int nl_socket_close(struct nl_socket *nl);
int nl_socket_get_fd(const struct nl_socket *nl);
uint32_t nl_socket_get_portid(const struct nl_socket *nl);
ssize_t nl_socket_sendto(const struct nl_socket *nl, const void *buf, size_t len);
ssize_t nl_socket_recvfrom(const struct nl_socket *nl, void *buf, size_t bufsiz);
/* The kernel's extended-ack text for the last error nl_cb_run saw, or "". */
const char *nl_socket_extack(const struct nl_socket *nl);

/*
 * Runs cb over every message in buf.  NLMSG_ERROR with an error sets errno,
 * keeps the extended ack and returns NL_CB_ERROR (the failing sequence number
 * in *err_seq when not NULL); an ACK or NLMSG_DONE returns NL_CB_STOP.
 */
typedef int (*nl_cb_t)(const struct nlmsghdr *nlh, void *data);
int nl_cb_run(struct nl_socket *nl, const void *buf, size_t numbytes, uint32_t seq,
	      uint32_t portid, nl_cb_t cb, void *data, uint32_t *err_seq);

#endif
