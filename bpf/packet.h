/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing for the data path: one pass over Ethernet, IPv4, UDP/TCP
 * and a VXLAN or Geneve header, recording offsets and the fields the
 * rewrite needs.  Anything that cannot be parsed with certainty is reported
 * as malformed, so a rewrite never lands on the wrong bytes.
 */
#ifndef SLOTNET_PACKET_H
#define SLOTNET_PACKET_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "slotnet_abi.h"

#define IP_OFF ETH_HLEN
#define IP_FRAG_OFFSET_MASK 0x1fff
#define TCP_CHECK_END (offsetof(struct tcphdr, check) + sizeof(__u16))
#define TUNNEL_HLEN 8 /* VXLAN header; Geneve's base header */
#define VXLAN_FLAG_I 0x08
#define GENEVE_VERSION(b) ((b) >> 6)
#define GENEVE_OPT_BYTES(b) (((b) & 0x3f) * 4)

/*
 * Everything the parser reads must be linear for direct access: Ethernet,
 * the longest IPv4 header, then UDP and the 8-byte tunnel header (16 bytes)
 * or TCP up to its checksum (18): 20 covers both.
 */
#define LINEAR_MAX (ETH_HLEN + 60 + 20)

enum parse_result {
	PARSED_IPV4 = -1,
	PARSED_ARP = -2,
	/* otherwise an enum slotnet_drop */
};

struct packet {
	__u32 l4_off;        /* 0 in a later fragment: no L4 header there */
	__u32 l4_check_off;  /* TCP/UDP checksum field; 0 when there is none to fix */
	__u32 vni_off;       /* the tunnel header's VNI word; 0 when not a tunnel packet */
	__be32 saddr;
	__be32 daddr;
	__be32 vni_word;     /* VNI (24 bits) and the reserved byte, as on the wire */
	bool udp;
	bool udp_no_checksum;
};

static __always_inline bool is_tunnel_port(__be16 port)
{
	return port == bpf_htons(SLOTNET_VXLAN_PORT) || port == bpf_htons(SLOTNET_GENEVE_PORT);
}

/* Makes the headers the parser reads linear, so direct access sees them. */
static __always_inline void pull_headers(struct __sk_buff *skb)
{
	__u32 want = skb->len < LINEAR_MAX ? skb->len : LINEAR_MAX;
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + want > end)
		bpf_skb_pull_data(skb, want);
}

/* The tunnel header after a UDP header at L4_OFF; IP_PAYLOAD is what IPv4 carries. */
static __always_inline int parse_tunnel(struct __sk_buff *skb, struct packet *p, __u32 ip_payload,
					__be16 port)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 off = p->l4_off + sizeof(struct udphdr);
	__u8 *tun = data + off;
	__u32 header = TUNNEL_HLEN;

	if ((void *)(tun + TUNNEL_HLEN) > end ||
	    ip_payload < sizeof(struct udphdr) + TUNNEL_HLEN)
		return SLOTNET_DROP_MALFORMED;
	if (port == bpf_htons(SLOTNET_VXLAN_PORT)) {
		if (!(tun[0] & VXLAN_FLAG_I))
			return SLOTNET_DROP_MALFORMED;
	} else {
		if (GENEVE_VERSION(tun[0]) != 0)
			return SLOTNET_DROP_MALFORMED;
		/* Options need not be read, but a header promising more than the packet holds is a lie. */
		header += GENEVE_OPT_BYTES(tun[0]);
		if (ip_payload < sizeof(struct udphdr) + header)
			return SLOTNET_DROP_MALFORMED;
	}
	p->vni_off = off + 4;
	p->vni_word = *(__be32 *)(tun + 4);
	return PARSED_IPV4;
}

static __always_inline int parse_l4(struct __sk_buff *skb, struct packet *p, __u8 proto,
				    __u32 ip_payload)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = data + p->l4_off;

		if ((void *)(udp + 1) > end || ip_payload < sizeof(*udp))
			return SLOTNET_DROP_MALFORMED;
		p->udp = true;
		p->udp_no_checksum = udp->check == 0;
		p->l4_check_off = p->l4_off + offsetof(struct udphdr, check);
		if (is_tunnel_port(udp->dest))
			return parse_tunnel(skb, p, ip_payload, udp->dest);
	} else if (proto == IPPROTO_TCP) {
		if (data + p->l4_off + TCP_CHECK_END > end || ip_payload < TCP_CHECK_END)
			return SLOTNET_DROP_MALFORMED;
		p->l4_check_off = p->l4_off + offsetof(struct tcphdr, check);
	}
	return PARSED_IPV4;
}

/*
 * Parses the frame into P.  Returns PARSED_IPV4, PARSED_ARP or the reason
 * to drop it.
 */
static __always_inline int parse_packet(struct __sk_buff *skb, struct packet *p)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl_bytes, tot_len;

	if ((void *)(eth + 1) > end)
		return SLOTNET_DROP_MALFORMED;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return PARSED_ARP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return SLOTNET_DROP_NOT_IPV4;

	pull_headers(skb);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	ip = data + IP_OFF;
	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return SLOTNET_DROP_MALFORMED;
	ihl_bytes = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	if (data + IP_OFF + ihl_bytes > end || tot_len < ihl_bytes || IP_OFF + tot_len > skb->len)
		return SLOTNET_DROP_MALFORMED;
	p->saddr = ip->saddr;
	p->daddr = ip->daddr;
	if (ip->frag_off & bpf_htons(IP_FRAG_OFFSET_MASK))
		return PARSED_IPV4;
	p->l4_off = IP_OFF + ihl_bytes;
	return parse_l4(skb, p, ip->protocol, tot_len - ihl_bytes);
}

#endif
