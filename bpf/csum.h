/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Incremental Internet checksums (RFC 1624) for header rewrites.
 *
 * The data path computes one 32-bit one's complement difference per rewrite
 * and lets the kernel's csum helpers apply it: only they know whether the
 * packet is CHECKSUM_PARTIAL (the field holds the pseudo-header sum and the
 * payload is summed later), CHECKSUM_COMPLETE (skb->csum must follow the
 * data) or neither.
 */
#ifndef SLOTNET_CSUM_H
#define SLOTNET_CSUM_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* One's complement addition on 32 bits, end-around carry included. */
static __always_inline __u32 csum_add(__u32 sum, __u32 v)
{
	sum += v;
	return sum + (sum < v);
}

/* The difference that turns a sum over FROM into a sum over TO. */
static __always_inline __u32 csum_diff32(__u32 sum, __u32 from, __u32 to)
{
	return csum_add(csum_add(sum, ~from), to);
}

/*
 * The IPv4 header checksum after a change worth DIFF (RFC 1624).  Written
 * directly: it is never offloaded, and under CHECKSUM_COMPLETE an address
 * and the header checksum change by opposite amounts, leaving skb->csum
 * right.
 */
static __always_inline __u16 csum_ipv4_header(__u16 check, __u32 diff)
{
	__u32 sum = csum_add(diff, ~(__u32)check);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Applies an address difference to the TCP/UDP checksum as a pseudo-header
 * change.  udp marks a UDP checksum, where 0 means "none" and must stay 0.
 */
static __always_inline void csum_apply_pseudo_header(struct __sk_buff *skb, __u32 l4_check_off,
						     bool udp, __u32 diff)
{
	bpf_l4_csum_replace(skb, l4_check_off, 0, diff,
			    BPF_F_PSEUDO_HDR | (udp ? BPF_F_MARK_MANGLED_0 : 0));
}

/*
 * Applies a change of one 32-bit payload word to a UDP checksum.  With no
 * checksum (0) the helper leaves the field alone, so a CHECKSUM_COMPLETE
 * skb->csum must then be told about the changed word directly.
 */
static __always_inline void csum_apply_udp_word(struct __sk_buff *skb, __u32 udp_check_off,
						bool no_checksum, __u32 from, __u32 to)
{
	if (no_checksum) {
		bpf_csum_update(skb, csum_diff32(0, from, to));
		return;
	}
	bpf_l4_csum_replace(skb, udp_check_off, from, to, BPF_F_MARK_MANGLED_0 | sizeof(__u32));
}

#endif
