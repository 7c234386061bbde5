// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The slotnet data path: two TC programs shared by every slot's root-side
 * veth.  from_slot (veth ingress) sees what a slot sends, to_slot (veth
 * egress) what it receives.  Both find the slot by ifindex and rewrite by
 * map lookups only: no per-flow state, no loop over slots.
 *
 * Leaving a slot: the source must be the slot's inside address (anti-spoof)
 * and becomes its outside address; a VXLAN/Geneve packet must carry the
 * slot's dummy VNI, which becomes the bound VNI (and the bound remote the
 * outer destination); no packet leaves for the outside range, which only
 * slots live in.  Entering: the outside destination becomes the inside
 * address; a tunnel packet must carry the bound VNI (from the bound remote,
 * when there is one) and gets the dummy VNI back.  A tunnel packet of an
 * unbound slot, or with another VNI, is dropped either way, so a dummy VNI
 * never reaches the wire and a slot never receives another tenant's traffic.
 */
#include <linux/pkt_cls.h>
#include "maps.h"
#include "packet.h"
#include "csum.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The packet leaves (or enters) the slot with these outer fields. */
struct rewrite {
	__be32 saddr;
	__be32 daddr;
	__be32 vni_word;
};

/* The slot's binding, or NULL while it is free or unbind is scrubbing it. */
static __always_inline const struct slotnet_binding *tenant_of(__u32 slot)
{
	const struct slotnet_binding *b = bpf_map_lookup_elem(&bindings, &slot);

	return b && !(b->flags & SLOTNET_BIND_SCRUBBING) ? b : NULL;
}

/* A fragment after the first: no transport header, so no tunnel header to check. */
static __always_inline bool is_later_fragment(const struct packet *p)
{
	return !p->l4_off;
}

static __always_inline __u32 vni_of(__be32 word)
{
	return bpf_ntohl(word) >> 8;
}

/* WORD with its VNI replaced and its reserved low byte kept. */
static __always_inline __be32 vni_word_with(__be32 word, __u32 vni)
{
	return bpf_htonl(vni << 8 | (bpf_ntohl(word) & 0xff));
}

/* The source and tunnel checks of a leaving packet, and the outer fields it leaves with. */
static __always_inline int leaving_rewrite(const struct slotnet_config *cfg,
					   const struct slotnet_slot *s, __u32 slot,
					   const struct packet *p, struct rewrite *r)
{
	const struct slotnet_binding *b;

	if (p->saddr != cfg->inside_be)
		return SLOTNET_DROP_SPOOF;
	r->saddr = s->outside_be;
	r->daddr = p->daddr;
	r->vni_word = p->vni_word;
	if (is_later_fragment(p)) {
		/* Maybe the rest of a tunnel packet: it must follow its first fragment. */
		b = tenant_of(slot);
		if (b && (b->flags & SLOTNET_BIND_REMOTE) && p->daddr == cfg->remote_be)
			r->daddr = b->remote_be;
		return PARSED_IPV4;
	}
	if (!p->vni_off)
		return PARSED_IPV4;
	b = tenant_of(slot);
	if (!b)
		return SLOTNET_DROP_UNBOUND;
	if (vni_of(p->vni_word) != s->dummy_vni)
		return SLOTNET_DROP_VNI;
	r->vni_word = vni_word_with(p->vni_word, b->vni);
	if (b->flags & SLOTNET_BIND_REMOTE)
		r->daddr = b->remote_be;
	return PARSED_IPV4;
}

/*
 * Whether ADDR is in the outside range.  The shift is done in 64 bits so a
 * prefix length of 0 needs no branch of its own.
 */
static __always_inline bool in_outside_range(const struct slotnet_config *cfg, __be32 addr)
{
	__u64 differing = bpf_ntohl(addr ^ cfg->outside_be);

	return !(differing >> (32 - (__u64)cfg->outside_plen));
}

/*
 * The outside range holds only slots, and the root routes each outside
 * address straight into its slot: a packet leaving for one would reach
 * another tenant (or come back) through the root, firewall rules or not.
 * Checked on the destination the packet would leave with, a bound remote
 * included.
 */
static __always_inline int check_leaving(const struct slotnet_config *cfg,
					 const struct slotnet_slot *s, __u32 slot,
					 const struct packet *p, struct rewrite *r)
{
	int verdict = leaving_rewrite(cfg, s, slot, p, r);

	if (verdict == PARSED_IPV4 && in_outside_range(cfg, r->daddr))
		return SLOTNET_DROP_HAIRPIN;
	return verdict;
}

static __always_inline int check_entering(const struct slotnet_config *cfg,
					  const struct slotnet_slot *s, __u32 slot,
					  const struct packet *p, struct rewrite *r)
{
	const struct slotnet_binding *b;

	if (p->daddr != s->outside_be)
		return SLOTNET_DROP_DEST;
	r->saddr = p->saddr;
	r->daddr = cfg->inside_be;
	r->vni_word = p->vni_word;
	if (is_later_fragment(p)) {
		/* The slot reassembles only fragments that agree on their source. */
		b = tenant_of(slot);
		if (b && (b->flags & SLOTNET_BIND_REMOTE) && p->saddr == b->remote_be)
			r->saddr = cfg->remote_be;
		return PARSED_IPV4;
	}
	if (!p->vni_off)
		return PARSED_IPV4;
	b = tenant_of(slot);
	if (!b)
		return SLOTNET_DROP_UNBOUND;
	if ((b->flags & SLOTNET_BIND_REMOTE) && p->saddr != b->remote_be)
		return SLOTNET_DROP_REMOTE;
	if (vni_of(p->vni_word) != b->vni)
		return SLOTNET_DROP_VNI;
	r->vni_word = vni_word_with(p->vni_word, s->dummy_vni);
	/* The slot's tunnel always sees the peer it was made with. */
	if (b->flags & SLOTNET_BIND_REMOTE)
		r->saddr = cfg->remote_be;
	return PARSED_IPV4;
}

/*
 * Writes the new outer fields, then fixes every checksum that covers them.
 * Fails closed: a packet it cannot rewrite is dropped, never passed as is.
 */
static __always_inline int apply(struct __sk_buff *skb, const struct packet *p,
				 const struct rewrite *r)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + IP_OFF;
	__be32 *vni = data + (p->vni_off & 0x7f);
	__u32 diff;

	if ((void *)(ip + 1) > end || (void *)(vni + 1) > end)
		return SLOTNET_DROP_MALFORMED;
	diff = csum_diff32(csum_diff32(0, p->saddr, r->saddr), p->daddr, r->daddr);
	ip->saddr = r->saddr;
	ip->daddr = r->daddr;
	ip->check = csum_ipv4_header(ip->check, diff);
	if (p->vni_off)
		*vni = r->vni_word;
	if (p->l4_check_off)
		csum_apply_pseudo_header(skb, p->l4_check_off, p->udp, diff);
	if (p->vni_off)
		csum_apply_udp_word(skb, p->l4_check_off, p->udp_no_checksum, p->vni_word,
				    r->vni_word);
	return PARSED_IPV4;
}

static __always_inline int translate(struct __sk_buff *skb, const bool leaving)
{
	__u32 key = 0, ifindex = skb->ifindex, len = skb->len, slot;
	const struct slotnet_config *cfg;
	const struct slotnet_slot *s;
	struct slotnet_counters *c;
	struct slotnet_dir_counters *dc;
	struct packet p = {};
	struct rewrite r;
	const __u32 *slotp;
	int verdict;

	slotp = bpf_map_lookup_elem(&ifslots, &ifindex);
	if (!slotp)
		return TC_ACT_SHOT;
	slot = *slotp;
	cfg = bpf_map_lookup_elem(&config, &key);
	s = bpf_map_lookup_elem(&slots, &slot);
	c = bpf_map_lookup_elem(&counters, &slot);
	if (!cfg || !s || !c)
		return TC_ACT_SHOT;
	dc = leaving ? &c->tx : &c->rx;

	verdict = parse_packet(skb, &p);
	if (verdict == PARSED_IPV4) {
		verdict = leaving ? check_leaving(cfg, s, slot, &p, &r)
				  : check_entering(cfg, s, slot, &p, &r);
		if (verdict == PARSED_IPV4)
			verdict = apply(skb, &p, &r);
	}
	if (verdict >= 0) {
		if (verdict < SLOTNET_DROP_REASONS)
			__sync_fetch_and_add(&dc->drops[verdict], 1);
		return TC_ACT_SHOT;
	}
	__sync_fetch_and_add(&dc->packets, 1);
	__sync_fetch_and_add(&dc->bytes, len);
	return TC_ACT_OK;
}

SEC("tc")
int from_slot(struct __sk_buff *skb)
{
	return translate(skb, true);
}

SEC("tc")
int to_slot(struct __sk_buff *skb)
{
	return translate(skb, false);
}
