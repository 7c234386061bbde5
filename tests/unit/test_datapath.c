// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Packet fixtures for the data path: each row is {input, program, binding,
 * expected verdict, expected output, counter}, run through BPF_PROG_TEST_RUN
 * on the real object (the skeleton slotnet embeds, its maps unpinned).
 *
 * Expected outputs are not derived from the programs' code: the builder
 * below assembles a packet from its field values and computes every
 * checksum from scratch, and the expected output is the same packet built
 * with the rewritten field values.  So a fixture passes only if the
 * programs' incremental updates equal a full recomputation, byte for byte.
 *
 * BPF_PROG_TEST_RUN gives an skb with CHECKSUM_NONE, or CHECKSUM_COMPLETE
 * with BPF_F_TEST_SKB_CHECKSUM_COMPLETE (the kernel then checks after the
 * run that skb->csum still matches the data, failing the run otherwise).
 * CHECKSUM_PARTIAL cannot be made here; tests/bats/datapath.bats covers it
 * with real VXLAN devices, which send PARTIAL (and GSO) packets.
 *
 * Runs as root in its own network namespace (tests/run.sh: unshare --net),
 * where the loopback device, ifindex 1, stands for a slot's root veth.
 * Output is TAP.
 */
#include "slotnet.skel.h"
#include "slotnet_abi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define SLOT 3u
#define LO_IFINDEX 1u
#define INSIDE 0xa9fe0102u   /* 169.254.1.2 */
#define REMOTE 0xc0000201u   /* 192.0.2.1, the configured remote */
#define OUTSIDE 0x64400004u  /* 100.64.0.4, slot 3's outside address */
#define PEER 0xcb007109u     /* 203.0.113.9, a bound remote */
#define OTHER 0x0a000001u    /* 10.0.0.1 */
#define DUMMY_VNI (SLOTNET_DUMMY_VNI_BASE + SLOT)
#define VNI 4242u

#define ETH_LEN 14
#define MAX_PKT 600

enum tunnel { TUN_NONE, TUN_VXLAN, TUN_GENEVE };
enum binding { UNBOUND, BOUND, BOUND_REMOTE };
enum dir { FROM, TO };

/* A packet by its field values; zero fields take the defaults in build(). */
struct spec {
	uint16_t ethertype;      /* default IPv4 */
	uint8_t version;         /* default 4 */
	uint8_t ihl;             /* default 5; options are NOPs */
	uint16_t frag;           /* flags and fragment offset, host order */
	uint8_t proto;           /* default UDP */
	uint32_t src, dst;
	uint16_t dport;
	enum tunnel tun;
	uint8_t tun_byte0;       /* overrides VXLAN flags / Geneve version+optlen when set */
	uint8_t geneve_opt_words;
	uint32_t vni;
	uint8_t reserved;        /* the tunnel header's last byte, kept by a rewrite */
	bool udp_no_checksum;
	int tot_len_extra;       /* added to the IPv4 total length */
	unsigned truncate;       /* keep only this many bytes, when non-zero */
	unsigned payload;        /* bytes after the headers */
};

struct pkt {
	uint8_t b[MAX_PKT];
	unsigned len;
};

static uint32_t sum16(const uint8_t *p, unsigned len, uint32_t sum)
{
	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, unsigned len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* The tunnel header at P; its length. */
static unsigned put_tunnel(const struct spec *s, uint8_t *p)
{
	unsigned opt = s->geneve_opt_words * 4;

	memset(p, 0, 8 + opt);
	if (s->tun == TUN_VXLAN) {
		p[0] = s->tun_byte0 ? s->tun_byte0 : 0x08;
	} else {
		p[0] = s->tun_byte0 ? s->tun_byte0 : s->geneve_opt_words;
		put16(p + 2, 0x6558); /* Transparent Ethernet Bridging */
		for (unsigned i = 0; i < opt; i++)
			p[8 + i] = 0xa0 + i;
	}
	put32(p + 4, s->vni << 8 | s->reserved);
	return 8 + opt;
}

static void build(const struct spec *s, struct pkt *out)
{
	uint8_t *p = out->b, *ip = p + ETH_LEN, *l4;
	unsigned ihl = s->ihl ? s->ihl : 5, hdr, l4len = 0;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;

	memset(out, 0, sizeof(*out));
	memcpy(p, "\x02\x73\x6e\x00\x00\x01\x02\x73\x6e\x00\x00\x02", 12);
	put16(p + 12, s->ethertype ? s->ethertype : 0x0800);
	ip[0] = (s->version ? s->version : 4) << 4 | (ihl & 0xf);
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	hdr = ihl >= 5 ? ihl * 4 : 20;
	for (unsigned i = 20; i < hdr; i++)
		ip[i] = 1; /* NOP options */
	l4 = ip + hdr;
	if (s->frag & 0x1fff) { /* a later fragment: payload only */
		l4len = s->payload;
		memset(l4, 0x5a, l4len);
	} else if (proto == IPPROTO_UDP) {
		put16(l4, 40000);
		put16(l4 + 2, s->dport ? s->dport : 53);
		l4len = 8 + (s->tun ? put_tunnel(s, l4 + 8) : 0);
		memset(l4 + l4len, 0x5a, s->payload);
		l4len += s->payload;
		put16(l4 + 4, l4len);
		if (!s->udp_no_checksum) {
			uint16_t c = fold(sum16(l4, l4len, pseudo_sum(s->src, s->dst, proto, l4len)));

			put16(l4 + 6, c ? c : 0xffff);
		}
	} else if (proto == IPPROTO_TCP) {
		put16(l4, 40000);
		put16(l4 + 2, 80);
		l4[12] = 5 << 4;
		l4[13] = 0x02; /* SYN */
		l4len = 20 + s->payload;
		memset(l4 + 20, 0x5a, s->payload);
		put16(l4 + 16, fold(sum16(l4, l4len, pseudo_sum(s->src, s->dst, proto, l4len))));
	} else { /* ICMP echo request */
		l4[0] = 8;
		l4len = 8 + s->payload;
		memset(l4 + 8, 0x5a, s->payload);
		put16(l4 + 2, fold(sum16(l4, l4len, 0)));
	}
	put16(ip + 2, hdr + l4len + s->tot_len_extra);
	put16(ip + 10, fold(sum16(ip, hdr, 0)));
	out->len = ETH_LEN + hdr + l4len;
	if (s->ethertype == 0x86dd) { /* IPv6: a bare header, no next header */
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[6] = 59;
		ip[7] = 64;
		out->len = ETH_LEN + 40;
	}
	if (s->ethertype == 0x0806) { /* ARP: a request, whatever the fields said */
		memset(ip, 0, 28);
		memcpy(ip, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
		out->len = ETH_LEN + 28;
	}
	if (s->truncate && s->truncate < out->len)
		out->len = s->truncate;
}

/* ---- the object under test ---- */

static struct slotnet_bpf *skel;

static int load(void)
{
	struct bpf_map *map;

	libbpf_set_print(NULL);
	skel = slotnet_bpf__open();
	if (!skel)
		return -1;
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	return slotnet_bpf__load(skel);
}

static int setup_maps(void)
{
	struct slotnet_config cfg = {
		.abi_version = SLOTNET_ABI_VERSION, .nslots = 4000, .tunnel = SLOTNET_TUNNEL_VXLAN,
		.dummy_vni_base = SLOTNET_DUMMY_VNI_BASE, .remote_be = htonl(REMOTE),
		.inside_be = htonl(INSIDE),
	};
	struct slotnet_slot slot = {
		.ifindex = LO_IFINDEX, .outside_be = htonl(OUTSIDE), .dummy_vni = DUMMY_VNI,
		.flags = SLOTNET_SLOT_READY,
	};
	__u32 zero = 0, key = SLOT, ifindex = LO_IFINDEX;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, BPF_ANY) ||
	       bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &key, &slot, BPF_ANY) ||
	       bpf_map_update_elem(bpf_map__fd(skel->maps.ifslots), &ifindex, &key, BPF_ANY);
}

static int set_binding(enum binding b)
{
	int fd = bpf_map__fd(skel->maps.bindings);
	struct slotnet_binding v = { .vni = VNI };
	__u32 key = SLOT;

	if (b == UNBOUND)
		return bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT ? -1 : 0;
	if (b == BOUND_REMOTE) {
		v.remote_be = htonl(PEER);
		v.flags = SLOTNET_BIND_REMOTE;
	}
	return bpf_map_update_elem(fd, &key, &v, BPF_ANY);
}

static int read_counters(struct slotnet_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct slotnet_counters per[ncpus > 0 ? ncpus : 1];
	__u32 key = SLOT;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &key, per) < 0)
		return -1;
	for (int c = 0; c < ncpus; c++) {
		sum->tx.packets += per[c].tx.packets;
		sum->rx.packets += per[c].rx.packets;
		for (int r = 0; r < SLOTNET_DROP_REASONS; r++) {
			sum->tx.drops[r] += per[c].tx.drops[r];
			sum->rx.drops[r] += per[c].rx.drops[r];
		}
	}
	return 0;
}

/* ---- fixtures ---- */

#define PASS -1 /* the expected "reason" of a packet that passes */

struct fixture {
	const char *name;
	enum dir dir;
	enum binding binding;
	struct spec in;
	int reason;            /* PASS, or the enum slotnet_drop it is counted under */
	struct spec out;       /* for PASS: the expected packet (ignored when same_out) */
	bool same_out;         /* PASS with the packet untouched (ARP) */
	bool complete;         /* run with CHECKSUM_COMPLETE */
	bool kernel_refuses;   /* BPF_PROG_TEST_RUN itself rejects the frame (EINVAL) */
};

#define UDP_TUN(t, s, d, v, ...) { .tun = t, .dport = (t) == TUN_VXLAN ? 4789 : 6081, \
				    .src = s, .dst = d, .vni = v, .payload = 60, __VA_ARGS__ }
#define VX(s, d, v, ...) UDP_TUN(TUN_VXLAN, s, d, v, __VA_ARGS__)
#define GNV(s, d, v, ...) UDP_TUN(TUN_GENEVE, s, d, v, __VA_ARGS__)
#define TCP(s, d, ...) { .proto = IPPROTO_TCP, .src = s, .dst = d, .payload = 33, __VA_ARGS__ }

/*
 * Rows name only what they need (every other field is zero on purpose) and
 * may override the defaults the packet macros set.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct fixture fixtures[] = {
	/* leaving a slot */
	{ "from: VXLAN, dummy VNI -> bound VNI, inside -> outside", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, REMOTE, VNI) },
	{ "from: VXLAN with a bound remote: outer destination rewritten too", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI) },
	{ "from: VXLAN keeps the header's reserved byte", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .reserved = 0x5c), PASS,
	  VX(OUTSIDE, REMOTE, VNI, .reserved = 0x5c) },
	{ "from: Geneve without options", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI), PASS, GNV(OUTSIDE, REMOTE, VNI) },
	{ "from: Geneve with 8 bytes of options", FROM, BOUND_REMOTE,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .geneve_opt_words = 2), PASS,
	  GNV(OUTSIDE, PEER, VNI, .geneve_opt_words = 2) },
	{ "from: Geneve with the longest options (252 bytes)", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .geneve_opt_words = 63), PASS,
	  GNV(OUTSIDE, REMOTE, VNI, .geneve_opt_words = 63) },
	{ "from: zero UDP checksum stays zero", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .udp_no_checksum = true), PASS,
	  VX(OUTSIDE, PEER, VNI, .udp_no_checksum = true) },
	{ "from: CHECKSUM_COMPLETE, UDP checksum", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI), .complete = true },
	{ "from: CHECKSUM_COMPLETE, zero UDP checksum", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .udp_no_checksum = true), PASS,
	  GNV(OUTSIDE, REMOTE, VNI, .udp_no_checksum = true), .complete = true },
	{ "from: CHECKSUM_COMPLETE, TCP", FROM, UNBOUND,
	  TCP(INSIDE, OTHER), PASS, TCP(OUTSIDE, OTHER), .complete = true },
	{ "from: tunnel packet of an unbound slot dropped", FROM, UNBOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI), SLOTNET_DROP_UNBOUND },
	{ "from: VXLAN with another VNI dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, VNI), SLOTNET_DROP_VNI },
	{ "from: Geneve with another VNI dropped", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI + 1), SLOTNET_DROP_VNI },
	{ "from: spoofed source dropped", FROM, BOUND,
	  VX(OTHER, REMOTE, DUMMY_VNI), SLOTNET_DROP_SPOOF },
	{ "from: spoofed source of plain TCP dropped", FROM, UNBOUND,
	  TCP(OUTSIDE, OTHER), SLOTNET_DROP_SPOOF },
	{ "from: VXLAN without the I flag dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .tun_byte0 = 0x80), SLOTNET_DROP_MALFORMED },
	{ "from: Geneve version 1 dropped", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .tun_byte0 = 0x40), SLOTNET_DROP_MALFORMED },
	{ "from: Geneve options longer than the packet dropped", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .tun_byte0 = 0x3f, .payload = 10),
	  SLOTNET_DROP_MALFORMED },
	{ "from: plain TCP: source NAT only", FROM, UNBOUND,
	  TCP(INSIDE, OTHER), PASS, TCP(OUTSIDE, OTHER) },
	{ "from: TCP with IP options", FROM, UNBOUND,
	  TCP(INSIDE, OTHER, .ihl = 7), PASS, TCP(OUTSIDE, OTHER, .ihl = 7) },
	{ "from: VXLAN with IP options", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ihl = 6), PASS, VX(OUTSIDE, REMOTE, VNI, .ihl = 6) },
	{ "from: ICMP: source NAT, ICMP checksum untouched", FROM, UNBOUND,
	  { .proto = IPPROTO_ICMP, .src = INSIDE, .dst = OTHER, .payload = 20 }, PASS,
	  { .proto = IPPROTO_ICMP, .src = OUTSIDE, .dst = OTHER, .payload = 20 } },
	{ "from: plain UDP to another port: source NAT only", FROM, UNBOUND,
	  { .src = INSIDE, .dst = OTHER, .payload = 30 }, PASS,
	  { .src = OUTSIDE, .dst = OTHER, .payload = 30 } },
	{ "from: first fragment of a VXLAN packet rewritten whole", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .frag = 0x2000), PASS,
	  VX(OUTSIDE, REMOTE, VNI, .frag = 0x2000) },
	{ "from: later fragment: source address only", FROM, UNBOUND,
	  { .src = INSIDE, .dst = REMOTE, .frag = 0x0010, .payload = 40 }, PASS,
	  { .src = OUTSIDE, .dst = REMOTE, .frag = 0x0010, .payload = 40 } },
	{ "from: ARP passes untouched", FROM, UNBOUND,
	  { .ethertype = 0x0806 }, PASS, .same_out = true },
	{ "from: IPv6 dropped", FROM, BOUND,
	  { .ethertype = 0x86dd, .src = INSIDE, .dst = OTHER }, SLOTNET_DROP_NOT_IPV4 },
	{ "from: VLAN-tagged frame dropped", FROM, BOUND,
	  { .ethertype = 0x8100, .src = INSIDE, .dst = OTHER }, SLOTNET_DROP_NOT_IPV4 },
	{ "from: IP version 6 in an IPv4 frame dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .version = 6), SLOTNET_DROP_MALFORMED },
	{ "from: IHL below 5 dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ihl = 4), SLOTNET_DROP_MALFORMED },
	{ "from: total length beyond the frame dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .tot_len_extra = 1), SLOTNET_DROP_MALFORMED },
	{ "from: total length shorter than the header dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .tot_len_extra = -150), SLOTNET_DROP_MALFORMED },
	/* Truncated at every header boundary, and inside each header. */
	/*
	 * An IPv4 frame shorter than an IPv4 header never reaches a program
	 * through BPF_PROG_TEST_RUN; the programs' own bounds checks (the
	 * verifier insists on them) drop such frames as malformed.
	 */
	{ "from: Ethernet header only (refused by BPF_PROG_TEST_RUN)", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .truncate = 14), .kernel_refuses = true },
	{ "from: cut inside the IPv4 header (refused by BPF_PROG_TEST_RUN)", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .truncate = 25), .kernel_refuses = true },
	{ "from: cut inside the IPv4 options", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ihl = 8, .truncate = 40), SLOTNET_DROP_MALFORMED },
	{ "from: IPv4 header only, protocol UDP", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .truncate = 34), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the UDP header", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .truncate = 38), SLOTNET_DROP_MALFORMED },
	{ "from: UDP header only, VXLAN port", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .truncate = 42), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the VXLAN header", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .truncate = 47), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the Geneve header", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .truncate = 45), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the Geneve options", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .geneve_opt_words = 4, .payload = 0, .truncate = 58),
	  SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the TCP header before its checksum", FROM, UNBOUND,
	  TCP(INSIDE, OTHER, .truncate = 50), SLOTNET_DROP_MALFORMED },

	/* entering a slot */
	{ "to: VXLAN, bound VNI -> dummy VNI, outside -> inside", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI) },
	{ "to: VXLAN from the bound remote: source becomes the configured remote", TO,
	  BOUND_REMOTE, VX(PEER, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI) },
	{ "to: Geneve with options", TO, BOUND_REMOTE,
	  GNV(PEER, OUTSIDE, VNI, .geneve_opt_words = 3), PASS,
	  GNV(REMOTE, INSIDE, DUMMY_VNI, .geneve_opt_words = 3) },
	{ "to: zero UDP checksum stays zero", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, .udp_no_checksum = true), PASS,
	  GNV(REMOTE, INSIDE, DUMMY_VNI, .udp_no_checksum = true) },
	{ "to: CHECKSUM_COMPLETE", TO, BOUND_REMOTE,
	  VX(PEER, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI), .complete = true },
	{ "to: CHECKSUM_COMPLETE, zero UDP checksum", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI, .udp_no_checksum = true), PASS,
	  VX(REMOTE, INSIDE, DUMMY_VNI, .udp_no_checksum = true), .complete = true },
	{ "to: tunnel packet for an unbound slot dropped", TO, UNBOUND,
	  VX(REMOTE, OUTSIDE, VNI), SLOTNET_DROP_UNBOUND },
	{ "to: another tenant's VNI dropped", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI + 1), SLOTNET_DROP_VNI },
	{ "to: the dummy VNI from outside dropped", TO, BOUND,
	  VX(REMOTE, OUTSIDE, DUMMY_VNI), SLOTNET_DROP_VNI },
	{ "to: not from the bound remote dropped", TO, BOUND_REMOTE,
	  VX(REMOTE, OUTSIDE, VNI), SLOTNET_DROP_REMOTE },
	{ "to: another destination than the slot's outside address dropped", TO, BOUND,
	  VX(REMOTE, OUTSIDE + 1, VNI), SLOTNET_DROP_DEST },
	{ "to: plain TCP: destination NAT only", TO, UNBOUND,
	  TCP(OTHER, OUTSIDE), PASS, TCP(OTHER, INSIDE) },
	{ "to: ICMP: destination NAT only", TO, UNBOUND,
	  { .proto = IPPROTO_ICMP, .src = OTHER, .dst = OUTSIDE, .payload = 20 }, PASS,
	  { .proto = IPPROTO_ICMP, .src = OTHER, .dst = INSIDE, .payload = 20 } },
	{ "to: later fragment: destination address only", TO, UNBOUND,
	  { .src = REMOTE, .dst = OUTSIDE, .frag = 0x00b9, .payload = 40 }, PASS,
	  { .src = REMOTE, .dst = INSIDE, .frag = 0x00b9, .payload = 40 } },
	{ "to: ARP passes untouched", TO, UNBOUND,
	  { .ethertype = 0x0806 }, PASS, .same_out = true },
	{ "to: IPv6 dropped", TO, BOUND,
	  { .ethertype = 0x86dd, .src = REMOTE, .dst = OUTSIDE }, SLOTNET_DROP_NOT_IPV4 },
	{ "to: UDP header only, Geneve port", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, .truncate = 42), SLOTNET_DROP_MALFORMED },
	{ "to: cut inside the VXLAN header", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI, .truncate = 48), SLOTNET_DROP_MALFORMED },
};
#pragma GCC diagnostic pop

#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures++;
}

static void show_diff(const struct pkt *got, const struct pkt *want)
{
	for (unsigned i = 0; i < got->len && i < want->len; i++)
		if (got->b[i] != want->b[i]) {
			fail("first difference at byte %u: got 0x%02x, want 0x%02x", i, got->b[i],
			     want->b[i]);
			return;
		}
	fail("length %u, want %u", got->len, want->len);
}

/* Checksums of an output that passed verify on their own, not just by comparison. */
static void check_checksums(const struct pkt *p)
{
	const uint8_t *ip = p->b + ETH_LEN, *l4;
	unsigned hdr, len, proto;
	uint32_t src, dst;

	if (p->len < ETH_LEN + 20 || p->b[12] != 0x08 || p->b[13] != 0x00)
		return;
	hdr = (ip[0] & 0xf) * 4;
	if (fold(sum16(ip, hdr, 0)) != 0)
		fail("IPv4 header checksum does not verify");
	if ((ip[6] & 0x1f) || ip[7]) /* a later fragment carries no L4 header */
		return;
	len = ((unsigned)ip[2] << 8 | ip[3]) - hdr;
	proto = ip[9];
	l4 = ip + hdr;
	src = (uint32_t)ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15];
	dst = (uint32_t)ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19];
	if (proto == IPPROTO_UDP && !l4[6] && !l4[7])
		return;
	if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) &&
	    fold(sum16(l4, len, pseudo_sum(src, dst, proto, len))) != 0)
		fail("%s checksum does not verify", proto == IPPROTO_UDP ? "UDP" : "TCP");
	if (proto == IPPROTO_ICMP && fold(sum16(l4, len, 0)) != 0)
		fail("ICMP checksum does not verify");
}

static void check_counters(const struct fixture *f, const struct slotnet_counters *before,
			   const struct slotnet_counters *after)
{
	const struct slotnet_dir_counters *b = f->dir == FROM ? &before->tx : &before->rx;
	const struct slotnet_dir_counters *a = f->dir == FROM ? &after->tx : &after->rx;

	if (a->packets - b->packets != (f->reason == PASS))
		fail("packets counted: %llu, want %d", (unsigned long long)(a->packets - b->packets),
		     f->reason == PASS);
	for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
		if (a->drops[r] - b->drops[r] != (r == f->reason))
			fail("drops of reason %d counted: %llu, want %d", r,
			     (unsigned long long)(a->drops[r] - b->drops[r]), r == f->reason);
}

static void run_fixture(unsigned n, const struct fixture *f)
{
	int prog = bpf_program__fd(f->dir == FROM ? skel->progs.from_slot : skel->progs.to_slot);
	struct slotnet_counters before, after;
	struct pkt in, out = { 0 }, want;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int start = failures;

	build(&f->in, &in);
	if (f->reason != PASS || f->same_out)
		want = in;
	else
		build(&f->out, &want);
	opts.data_in = in.b;
	opts.data_size_in = in.len;
	opts.data_out = out.b;
	opts.data_size_out = sizeof(out.b);
	opts.repeat = 1;
	opts.flags = f->complete ? BPF_F_TEST_SKB_CHECKSUM_COMPLETE : 0;
	if (set_binding(f->binding) < 0 || read_counters(&before) < 0) {
		fail("setting up the maps: %s", strerror(errno));
	} else if (f->kernel_refuses) {
		if (bpf_prog_test_run_opts(prog, &opts) == 0 || errno != EINVAL)
			fail("BPF_PROG_TEST_RUN ran it (%s); want EINVAL", strerror(errno));
	} else if (bpf_prog_test_run_opts(prog, &opts) < 0) {
		/* With CHECKSUM_COMPLETE, EBADMSG says skb->csum no longer matched the data. */
		fail("BPF_PROG_TEST_RUN: %s", strerror(errno));
	} else {
		out.len = opts.data_size_out;
		if (opts.retval != (f->reason == PASS ? TC_ACT_OK : TC_ACT_SHOT))
			fail("verdict %d, want %d", opts.retval,
			     f->reason == PASS ? TC_ACT_OK : TC_ACT_SHOT);
		if (out.len != want.len || memcmp(out.b, want.b, want.len))
			show_diff(&out, &want);
		if (f->reason == PASS)
			check_checksums(&out);
		if (read_counters(&after) < 0)
			fail("reading counters: %s", strerror(errno));
		else
			check_counters(f, &before, &after);
	}
	printf("%s %u - %s\n", failures == start ? "ok" : "not ok", n, f->name);
}

/* The kernel refuses a frame shorter than an Ethernet header before any program runs. */
static void run_runt(unsigned n)
{
	uint8_t runt[13] = { 0 }, out[64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = runt, .data_size_in = sizeof(runt),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int start = failures;

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.from_slot), &opts) == 0 ||
	    errno != EINVAL)
		fail("a 13-byte frame: %s, want EINVAL", strerror(errno));
	printf("%s %u - frames shorter than Ethernet never reach the program (EINVAL)\n",
	       failures == start ? "ok" : "not ok", n);
}

/* A frame from a device that is no slot's veth is dropped uncounted. */
static void run_unknown_device(unsigned n)
{
	struct spec s = VX(INSIDE, REMOTE, DUMMY_VNI);
	__u32 ifindex = LO_IFINDEX;
	int fd = bpf_map__fd(skel->maps.ifslots), start = failures;
	struct slotnet_counters before, after;
	struct pkt in, out;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_out = out.b, .data_size_out = sizeof(out.b),
		    .repeat = 1);
	__u32 slot = SLOT;

	build(&s, &in);
	opts.data_in = in.b;
	opts.data_size_in = in.len;
	if (read_counters(&before) || bpf_map_delete_elem(fd, &ifindex) ||
	    bpf_prog_test_run_opts(bpf_program__fd(skel->progs.from_slot), &opts) ||
	    read_counters(&after) || bpf_map_update_elem(fd, &ifindex, &slot, BPF_ANY))
		fail("%s", strerror(errno));
	else if (opts.retval != TC_ACT_SHOT || memcmp(&before, &after, sizeof(before)))
		fail("verdict %d (want %d) or counters changed", opts.retval, TC_ACT_SHOT);
	printf("%s %u - a device that is no slot's veth: dropped, nothing counted\n",
	       failures == start ? "ok" : "not ok", n);
}

int main(void)
{
	unsigned n = 0;

	printf("1..%zu\n", NFIXTURES + 2);
	if (load() < 0 || setup_maps() < 0) {
		printf("# loading the BPF object: %s (needs root, in its own netns)\n",
		       strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < NFIXTURES; i++)
		run_fixture(++n, &fixtures[i]);
	run_runt(++n);
	run_unknown_device(++n);
	slotnet_bpf__destroy(skel);
	return failures ? 1 : 0;
}
