// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Packet fixtures for the data path: each row is {name, program, binding,
 * input, expected verdict, expected output, counter}, run through
 * BPF_PROG_TEST_RUN on the object slotnet embeds (its maps unpinned).
 *
 * Expected outputs are never derived from the programs: the builder below
 * assembles a packet from its field values and computes every checksum from
 * scratch, and the expected output is the same builder fed the rewritten
 * values.  A fixture passes only if the programs' incremental updates equal a
 * full recomputation byte for byte; each output's checksums are then also
 * verified on their own.
 *
 * Checksum modes.  BPF_PROG_TEST_RUN hands the program an skb in
 * CHECKSUM_NONE: the checksums in the packet are the full ones.  With
 * BPF_F_TEST_SKB_CHECKSUM_COMPLETE (Linux 6.11 on) the kernel sets skb->csum
 * to the sum of the packet from the network header on, runs the program,
 * sums the output again from the network header, and fails the run with
 * EBADMSG when the two folded sums differ, whatever the verdict: a rewrite
 * that changes bytes without telling skb->csum shows up as EBADMSG.
 * CHECKSUM_PARTIAL cannot be made here (the skb is built from a flat buffer
 * with no csum_start/csum_offset to give); tests/bats/datapath.bats covers it
 * through real VXLAN devices, which send PARTIAL (and GSO) packets.
 *
 * Frames the kernel refuses.  Below ETH_HLEN (14) bytes BPF_PROG_TEST_RUN
 * fails with EINVAL before any program runs.  Since upstream commit
 * 12bec2bd4b76 (also in 6.18.y stable) it equally refuses an IPv4 frame with
 * less than 20 bytes after the Ethernet header (an IPv6 one with less than
 * 40); older kernels run the program, which must then drop the frame as
 * malformed.  Both behaviours are probed at start-up and the fixtures expect
 * what this kernel does.
 *
 * Runs as root in a network namespace of its own (tests/run.sh: unshare
 * --net), where the loopback device, ifindex 1, plays the slot's root veth.
 * Output is TAP.
 */
#include "config.h"
#include "slotnet.skel.h"
#include "slotnet_abi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define SLOT 3u
#define MAX_SLOTS 4096
#define LO_IFINDEX 1u
#define INSIDE 0xa9fe0102u   /* 169.254.1.2, every slot's inside address */
#define REMOTE 0xc0000201u   /* 192.0.2.1, the configured remote */
#define OUTSIDE_NET 0x64400000u /* 100.64.0.0/16, the outside range */
#define OUTSIDE_PLEN 16
#define OUTSIDE_LAST 0x6440ffffu /* 100.64.255.255, the range's last address */
#define OUTSIDE 0x64400004u  /* 100.64.0.4, slot 3's outside address */
#define NEIGHBOUR 0x64400005u /* 100.64.0.5, slot 4's */
#define PEER 0xcb007109u     /* 203.0.113.9, a bound remote */
#define OTHER 0x0a000001u    /* 10.0.0.1, anyone else */
#define DUMMY_VNI (SLOTNET_DUMMY_VNI_BASE + SLOT)
#define VNI 4242u            /* the tenant's */

#define ETH_LEN 14
#define MAX_PKT 1024
#define IP_OFFSET_MASK 0x1fff
#define TCP_CHECK_END 18     /* a TCP header up to and including its checksum */

/* ---- packets from field values ---- */

enum tunnel { TUN_NONE, TUN_VXLAN, TUN_GENEVE };

/* Geneve options: each one a 4-byte header and words[i] * 4 bytes of data. */
struct geneve_opts {
	uint8_t n;
	uint8_t words[2]; /* at most 31 each (a 5-bit field) */
};

/* tun_byte0 is set only through this, so that 0x00 can be given too. */
#define BYTE0(v) (0x100 | (v))

/* A packet by its field values; zero fields take the defaults in build(). */
struct spec {
	uint16_t ethertype;      /* default IPv4; ARP and IPv6 get bodies of their own */
	bool vlan;               /* an 802.1Q tag in front of the IPv4 packet */
	uint8_t version;         /* default 4 */
	uint8_t ihl;             /* default 5; options are NOPs */
	uint16_t ip_id;
	uint16_t frag;           /* flags and fragment offset, host order */
	uint8_t proto;           /* default UDP */
	uint32_t src, dst;
	uint16_t sport, dport;   /* default 40000 and 53 (UDP) or 80 (TCP) */
	enum tunnel tun;
	uint16_t tun_byte0;      /* BYTE0(v): VXLAN flags / Geneve version and option length */
	struct geneve_opts gopts;
	uint32_t vni;
	uint8_t reserved;        /* the tunnel header's last byte, which a rewrite keeps */
	bool udp_no_checksum;
	bool icmp_error;         /* port unreachable quoting a packet the slot received */
	uint16_t payload_word;   /* the payload's first two bytes, the rest is 0x5a */
	unsigned payload;        /* bytes after the headers */
	int tot_len_extra;       /* added to the IPv4 total length */
	unsigned ip_end;         /* the IPv4 packet ends here (total length says so); the
				    frame keeps the bytes after it as padding */
	unsigned frame_end;      /* the frame ends here */
	unsigned pad;            /* zero bytes after the IPv4 packet (Ethernet padding) */
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
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, unsigned len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

static unsigned put_payload(const struct spec *s, uint8_t *p)
{
	memset(p, 0x5a, s->payload);
	if (s->payload >= 2)
		put16(p, s->payload_word);
	return s->payload;
}

static unsigned put_vxlan(const struct spec *s, uint8_t *v)
{
	v[0] = s->tun_byte0 ? s->tun_byte0 & 0xff : 0x08; /* I: the VNI is valid */
	put32(v + 4, s->vni << 8 | s->reserved);
	return 8;
}

static unsigned put_geneve(const struct spec *s, uint8_t *g)
{
	unsigned len = 8;

	put16(g + 2, 0x6558); /* protocol: Transparent Ethernet Bridging */
	put32(g + 4, s->vni << 8 | s->reserved);
	for (unsigned i = 0; i < s->gopts.n; i++) {
		uint8_t *o = g + len;
		unsigned data = s->gopts.words[i] * 4;

		put16(o, 0x0100 + i);     /* option class */
		o[2] = 0x01 + i;          /* type; the top bit clear: not critical */
		o[3] = s->gopts.words[i]; /* 3 reserved bits, then the data length in words */
		memset(o + 4, 0xa0 + i, data);
		len += 4 + data;
	}
	/* Version 0, then the option length in words. */
	g[0] = s->tun_byte0 ? s->tun_byte0 & 0xff : (len - 8) / 4;
	return len;
}

static unsigned put_udp(const struct spec *s, uint8_t *u)
{
	unsigned len = 8;

	put16(u, s->sport ? s->sport : 40000);
	put16(u + 2, s->dport ? s->dport : 53);
	if (s->tun == TUN_VXLAN)
		len += put_vxlan(s, u + len);
	else if (s->tun == TUN_GENEVE)
		len += put_geneve(s, u + len);
	len += put_payload(s, u + len);
	put16(u + 4, len);
	return len;
}

static unsigned put_tcp(const struct spec *s, uint8_t *t)
{
	put16(t, s->sport ? s->sport : 40000);
	put16(t + 2, s->dport ? s->dport : 80);
	put32(t + 4, 1000);   /* sequence number */
	t[12] = 5 << 4;       /* data offset: no options */
	t[13] = 0x18;         /* PSH, ACK */
	put16(t + 14, 64240); /* window */
	return 20 + put_payload(s, t + 20);
}

/* The start of a UDP packet OTHER -> INSIDE, as an ICMP error from the slot quotes it. */
static unsigned put_quoted_udp(uint8_t *q)
{
	q[0] = 0x45;
	put16(q + 2, 28 + 100);
	q[8] = 64;
	q[9] = IPPROTO_UDP;
	put32(q + 12, OTHER);
	put32(q + 16, INSIDE);
	put16(q + 10, fold(sum16(q, 20, 0)));
	put16(q + 20, 53);
	put16(q + 22, 40000);
	put16(q + 24, 8 + 100);
	put16(q + 26, 0x1234); /* its checksum: the quote is cut before the data */
	return 28;
}

static unsigned put_icmp(const struct spec *s, uint8_t *m)
{
	if (s->icmp_error) {
		m[0] = 3; /* destination unreachable */
		m[1] = 3; /* port unreachable */
		return 8 + put_quoted_udp(m + 8);
	}
	m[0] = 8; /* echo request */
	put16(m + 4, 0x1234);
	put16(m + 6, 1);
	return 8 + put_payload(s, m + 8);
}

/* The IPv4 header without total length and checksum; its length. */
static unsigned put_ipv4_header(const struct spec *s, uint8_t *ip)
{
	unsigned ihl = s->ihl ? s->ihl : 5, len = ihl >= 5 ? ihl * 4 : 20;

	ip[0] = (s->version ? s->version : 4) << 4 | (ihl & 0xf);
	put16(ip + 4, s->ip_id);
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto ? s->proto : IPPROTO_UDP;
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	memset(ip + 20, 1, len - 20); /* NOP options */
	return len;
}

static unsigned put_l4(const struct spec *s, uint8_t *l4, uint8_t proto)
{
	if (s->frag & IP_OFFSET_MASK) /* a later fragment: payload, no L4 header */
		return put_payload(s, l4);
	switch (proto) {
	case IPPROTO_UDP:
		return put_udp(s, l4);
	case IPPROTO_TCP:
		return put_tcp(s, l4);
	case IPPROTO_ICMP:
		return put_icmp(s, l4);
	default:
		return put_payload(s, l4);
	}
}

/* Every checksum of the IPv4 packet, over the bytes its total length holds. */
static void put_checksums(const struct spec *s, uint8_t *ip, unsigned hdr, unsigned ip_len)
{
	unsigned l4len = ip_len > hdr ? ip_len - hdr : 0;
	uint8_t *l4 = ip + hdr, proto = ip[9];
	uint32_t pseudo = pseudo_sum(s->src, s->dst, proto, l4len);

	put16(ip + 10, fold(sum16(ip, hdr, 0)));
	if (s->frag & IP_OFFSET_MASK)
		return;
	if (proto == IPPROTO_UDP && l4len >= 8 && !s->udp_no_checksum) {
		uint16_t c = fold(sum16(l4, l4len, pseudo));

		put16(l4 + 6, c ? c : 0xffff); /* 0 would mean "no checksum" */
	} else if (proto == IPPROTO_TCP && l4len >= TCP_CHECK_END) {
		put16(l4 + 16, fold(sum16(l4, l4len, pseudo)));
	} else if (proto == IPPROTO_ICMP && l4len >= 4) {
		put16(l4 + 2, fold(sum16(l4, l4len, 0)));
	}
}

static unsigned put_ipv4(const struct spec *s, uint8_t *ip)
{
	unsigned hdr = put_ipv4_header(s, ip), len = hdr + put_l4(s, ip + hdr, ip[9]);
	unsigned ip_len = s->ip_end ? s->ip_end - ETH_LEN : len;

	put16(ip + 2, ip_len + s->tot_len_extra);
	put_checksums(s, ip, hdr, ip_len);
	return len + s->pad;
}

/* An ARP request from the slot for its gateway. */
static unsigned put_arp(uint8_t *a)
{
	memcpy(a, "\x00\x01\x08\x00\x06\x04\x00\x01\x02\x73\x6e\x00\x00\x02", 14);
	put32(a + 14, INSIDE);
	put32(a + 24, INSIDE + 1);
	return 28;
}

/* A bare IPv6 header: no next header. */
static unsigned put_ipv6(uint8_t *ip6)
{
	ip6[0] = 0x60;
	ip6[6] = 59;
	ip6[7] = 64;
	ip6[8] = 0xfe;
	ip6[9] = 0x80;
	ip6[23] = 1;
	ip6[24] = 0xfe;
	ip6[25] = 0x80;
	ip6[39] = 2;
	return 40;
}

static void add_vlan_tag(struct pkt *p)
{
	memmove(p->b + ETH_LEN + 4, p->b + ETH_LEN, p->len - ETH_LEN);
	put16(p->b + 12, ETH_P_8021Q);
	put16(p->b + 14, 100); /* VLAN ID */
	put16(p->b + 16, ETH_P_IP);
	p->len += 4;
}

static void build(const struct spec *s, struct pkt *out)
{
	uint16_t type = s->ethertype ? s->ethertype : ETH_P_IP;
	uint8_t *l3 = out->b + ETH_LEN;

	memset(out, 0, sizeof(*out));
	memcpy(out->b, "\x02\x73\x6e\x00\x00\x01\x02\x73\x6e\x00\x00\x02", 12);
	put16(out->b + 12, type);
	if (type == ETH_P_ARP)
		out->len = ETH_LEN + put_arp(l3);
	else if (type == ETH_P_IPV6)
		out->len = ETH_LEN + put_ipv6(l3);
	else
		out->len = ETH_LEN + put_ipv4(s, l3);
	if (s->frame_end)
		out->len = s->frame_end;
	if (s->vlan)
		add_vlan_tag(out);
}

/* ---- the object under test ---- */

static struct slotnet_bpf *skel;
static int empty_prog = -1;        /* r0 = TC_ACT_OK: probes what BPF_PROG_TEST_RUN itself does */
static bool complete_supported;    /* BPF_F_TEST_SKB_CHECKSUM_COMPLETE */
static bool short_l3_refused;      /* EINVAL for an IPv4 frame shorter than an IPv4 header */

/* libbpf's warnings (a verifier log above all) as TAP diagnostics, line by line. */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char text[16384];

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(text, sizeof(text), fmt, ap);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		printf("# libbpf: %s\n", line);
	return 0;
}

static int load(void)
{
	struct bpf_map *map;

	libbpf_set_print(print_libbpf);
	skel = slotnet_bpf__open();
	if (!skel)
		return -1;
	bpf_object__for_each_map(map, skel->obj) {
		bpf_map__set_pin_path(map, NULL);
		/* Sized like a prewarm of 4,000 slots (slot-indexed maps list the minimum). */
		if (bpf_map__max_entries(map) == SLOTNET_MIN_MAX_SLOTS)
			bpf_map__set_max_entries(map, MAX_SLOTS);
	}
	return slotnet_bpf__load(skel);
}

static int setup_maps(void)
{
	struct slotnet_config cfg = {
		.abi_version = SLOTNET_ABI_VERSION, .max_slots = MAX_SLOTS, .nslots = 4000, .tunnel = SLOTNET_TUNNEL_VXLAN,
		.dummy_vni_base = SLOTNET_DUMMY_VNI_BASE, .remote_be = htonl(REMOTE),
		.outside_be = htonl(OUTSIDE_NET), .outside_plen = OUTSIDE_PLEN,
		.inside_be = htonl(INSIDE),
	};
	struct slotnet_slot slot = {
		.ifindex = LO_IFINDEX, .outside_be = htonl(OUTSIDE), .dummy_vni = DUMMY_VNI,
		.flags = SLOTNET_SLOT_READY,
	};
	__u32 zero = 0, key = SLOT;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, BPF_ANY) ||
	       bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &key, &slot, BPF_ANY) ? -1 : 0;
}

static int probe_kernel(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint8_t frame[64] = { [12] = 0x08, [14] = 0x45 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .repeat = 1);

	empty_prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "empty", "GPL", insns, 2, NULL);
	if (empty_prog < 0)
		return -1;
	opts.data_size_in = ETH_LEN + 19;
	short_l3_refused = bpf_prog_test_run_opts(empty_prog, &opts) < 0 && errno == EINVAL;
	opts.data_size_in = sizeof(frame);
	opts.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
	complete_supported = bpf_prog_test_run_opts(empty_prog, &opts) == 0;
	return 0;
}

/* BOUND_NEIGHBOUR: bound with another slot's outside address as its remote. */
enum binding { UNBOUND, BOUND, BOUND_REMOTE, BOUND_NEIGHBOUR, SCRUBBING };

static int set_binding(enum binding b)
{
	int fd = bpf_map__fd(skel->maps.bindings);
	struct slotnet_binding v = { .vni = VNI };
	__u32 key = SLOT;

	if (b == UNBOUND)
		return bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT ? -1 : 0;
	if (b == BOUND_REMOTE || b == BOUND_NEIGHBOUR) {
		v.remote_be = htonl(b == BOUND_REMOTE ? PEER : NEIGHBOUR);
		v.flags = SLOTNET_BIND_REMOTE;
	}
	if (b == SCRUBBING) /* unbind's placeholder while it scrubs the slot */
		v = (struct slotnet_binding){ .flags = SLOTNET_BIND_SCRUBBING };
	return bpf_map_update_elem(fd, &key, &v, BPF_ANY);
}

/* The loopback device is the slot's veth, or (unknown) no slot's at all. */
static int set_device(bool unknown)
{
	int fd = bpf_map__fd(skel->maps.ifslots);
	__u32 ifindex = LO_IFINDEX, slot = SLOT;

	if (unknown)
		return bpf_map_delete_elem(fd, &ifindex) < 0 && errno != ENOENT ? -1 : 0;
	return bpf_map_update_elem(fd, &ifindex, &slot, BPF_ANY);
}

static int reset_counters(void)
{
	const struct slotnet_counters zero = { 0 };
	__u32 key = SLOT;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.counters), &key, &zero, BPF_ANY);
}

static int read_counters(struct slotnet_counters *c)
{
	__u32 key = SLOT;

	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &key, c);
}

/* ---- fixtures ---- */

enum dir { FROM, TO };

#define PASS -1
#define DROP_UNCOUNTED -2 /* dropped with nothing counted: the device is no slot's */

/* Which checksum the fixture forces to sum to zero, and in which packet. */
enum steer {
	STEER_NONE,
	STEER_UDP_OUT, /* the output's UDP checksum computes to 0, so is sent as 0xffff */
	STEER_UDP_IN,  /* the input arrives with 0xffff for the same reason */
	STEER_IP_OUT,  /* the output's IPv4 header checksum is 0x0000 */
};

enum refusal {
	RUNS,
	REFUSED_RUNT,     /* under ETH_HLEN: never run, on any kernel */
	REFUSED_SHORT_L3, /* refused where short_l3_refused, else must drop as `verdict` */
};

struct fixture {
	const char *name;
	enum dir dir;
	enum binding binding;
	struct spec in;
	int verdict;           /* PASS, DROP_UNCOUNTED or the enum slotnet_drop counted */
	struct spec out;       /* for PASS: the expected output */
	bool untouched;        /* PASS with the frame unchanged (ARP) */
	bool complete;         /* run with CHECKSUM_COMPLETE */
	enum steer steer;
	enum refusal refusal;
	bool unknown_device;   /* the frame comes from a device that is no slot's veth */
};

#define VX(s, d, v, ...) { .tun = TUN_VXLAN, .dport = SLOTNET_VXLAN_PORT, .src = s, .dst = d, \
			   .vni = v, .payload = 60, __VA_ARGS__ }
#define GNV(s, d, v, ...) { .tun = TUN_GENEVE, .dport = SLOTNET_GENEVE_PORT, .src = s, \
			    .dst = d, .vni = v, .payload = 60, __VA_ARGS__ }
#define TCP(s, d, ...) { .proto = IPPROTO_TCP, .src = s, .dst = d, .payload = 33, __VA_ARGS__ }
#define UDP(s, d, ...) { .src = s, .dst = d, .payload = 30, __VA_ARGS__ }
#define ICMP(s, d, ...) { .proto = IPPROTO_ICMP, .src = s, .dst = d, .payload = 20, __VA_ARGS__ }
/* The packet really ends after N bytes: frame and IPv4 total length both say so. */
#define CUT(n) .ip_end = (n), .frame_end = (n)

/* Header ends in a plain frame: Ethernet, IPv4 (IHL 5), UDP, tunnel header. */
#define END_ETH 14
#define END_IP 34
#define END_UDP 42
#define END_TUN 50

/*
 * Rows name only what they need (every other field is zero on purpose) and
 * may override what the packet macros set.  The configured tunnel is VXLAN
 * throughout: the Geneve rows show that the port picks the parser.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct fixture fixtures[] = {
	/* leaving a slot: rewrites */
	{ "from: VXLAN: dummy VNI -> bound VNI, inside -> outside", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, REMOTE, VNI) },
	{ "from: VXLAN with a bound remote: outer destination rewritten too", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI) },
	{ "from: VXLAN keeps the header's reserved byte", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .reserved = 0x5c), PASS,
	  VX(OUTSIDE, REMOTE, VNI, .reserved = 0x5c) },
	{ "from: Geneve without options", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI), PASS, GNV(OUTSIDE, REMOTE, VNI) },
	{ "from: Geneve with one 8-byte option, bound remote", FROM, BOUND_REMOTE,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .gopts = { 1, { 1 } }), PASS,
	  GNV(OUTSIDE, PEER, VNI, .gopts = { 1, { 1 } }) },
	{ "from: Geneve with two options (20 bytes), reserved byte kept", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .gopts = { 2, { 1, 2 } }, .reserved = 0xa5), PASS,
	  GNV(OUTSIDE, REMOTE, VNI, .gopts = { 2, { 1, 2 } }, .reserved = 0xa5) },
	{ "from: Geneve with the longest options (252 bytes)", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .gopts = { 2, { 31, 30 } }), PASS,
	  GNV(OUTSIDE, REMOTE, VNI, .gopts = { 2, { 31, 30 } }) },
	{ "from: zero UDP checksum stays zero", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .udp_no_checksum = true), PASS,
	  VX(OUTSIDE, PEER, VNI, .udp_no_checksum = true) },
	{ "from: a UDP checksum that comes out 0 is sent as 0xffff", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI), .steer = STEER_UDP_OUT },
	{ "from: a UDP checksum of 0xffff is updated like any other", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI), .steer = STEER_UDP_IN },
	{ "from: an IPv4 header checksum that comes out 0x0000 stays 0x0000", FROM, UNBOUND,
	  TCP(INSIDE, OTHER), PASS, TCP(OUTSIDE, OTHER), .steer = STEER_IP_OUT },
	{ "from: CHECKSUM_COMPLETE, VXLAN with a bound remote", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI), .complete = true },
	{ "from: CHECKSUM_COMPLETE, Geneve with options and IP options", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .ihl = 7, .gopts = { 2, { 1, 2 } }), PASS,
	  GNV(OUTSIDE, REMOTE, VNI, .ihl = 7, .gopts = { 2, { 1, 2 } }), .complete = true },
	{ "from: CHECKSUM_COMPLETE, zero UDP checksum", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .udp_no_checksum = true), PASS,
	  GNV(OUTSIDE, REMOTE, VNI, .udp_no_checksum = true), .complete = true },
	{ "from: CHECKSUM_COMPLETE, a UDP checksum that comes out 0", FROM, BOUND_REMOTE,
	  VX(INSIDE, REMOTE, DUMMY_VNI), PASS, VX(OUTSIDE, PEER, VNI), .complete = true,
	  .steer = STEER_UDP_OUT },
	{ "from: CHECKSUM_COMPLETE, TCP", FROM, UNBOUND,
	  TCP(INSIDE, OTHER), PASS, TCP(OUTSIDE, OTHER), .complete = true },
	{ "from: CHECKSUM_COMPLETE, later fragment", FROM, UNBOUND,
	  UDP(INSIDE, REMOTE, .frag = 0x0010), PASS, UDP(OUTSIDE, REMOTE, .frag = 0x0010),
	  .complete = true },
	{ "from: plain TCP: source NAT only", FROM, UNBOUND,
	  TCP(INSIDE, OTHER), PASS, TCP(OUTSIDE, OTHER) },
	{ "from: plain TCP of a slot bound with a remote: destination untouched", FROM,
	  BOUND_REMOTE, TCP(INSIDE, OTHER), PASS, TCP(OUTSIDE, OTHER) },
	{ "from: TCP with IP options (IHL 7)", FROM, UNBOUND,
	  TCP(INSIDE, OTHER, .ihl = 7), PASS, TCP(OUTSIDE, OTHER, .ihl = 7) },
	{ "from: VXLAN with IP options (IHL 6)", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ihl = 6), PASS, VX(OUTSIDE, REMOTE, VNI, .ihl = 6) },
	{ "from: TCP cut right after its checksum: source NAT", FROM, UNBOUND,
	  TCP(INSIDE, OTHER, .payload = 0, CUT(END_IP + TCP_CHECK_END)), PASS,
	  TCP(OUTSIDE, OTHER, .payload = 0, CUT(END_IP + TCP_CHECK_END)) },
	{ "from: ICMP echo: source NAT, ICMP checksum untouched", FROM, UNBOUND,
	  ICMP(INSIDE, OTHER), PASS, ICMP(OUTSIDE, OTHER) },
	{ "from: ICMP error: the quoted header is not rewritten", FROM, BOUND,
	  ICMP(INSIDE, OTHER, .icmp_error = true), PASS, ICMP(OUTSIDE, OTHER, .icmp_error = true) },
	{ "from: GRE (another protocol): source NAT only", FROM, UNBOUND,
	  { .proto = 47, .src = INSIDE, .dst = OTHER, .payload = 24 }, PASS,
	  { .proto = 47, .src = OUTSIDE, .dst = OTHER, .payload = 24 } },
	{ "from: plain UDP to another port: source NAT only", FROM, UNBOUND,
	  UDP(INSIDE, OTHER), PASS, UDP(OUTSIDE, OTHER) },
	{ "from: UDP from port 4789 to port 53 is no tunnel packet", FROM, UNBOUND,
	  VX(INSIDE, OTHER, DUMMY_VNI, .sport = SLOTNET_VXLAN_PORT, .dport = 53), PASS,
	  VX(OUTSIDE, OTHER, DUMMY_VNI, .sport = SLOTNET_VXLAN_PORT, .dport = 53) },
	{ "from: first fragment of a VXLAN packet rewritten whole", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .frag = 0x2000), PASS,
	  VX(OUTSIDE, REMOTE, VNI, .frag = 0x2000) },
	{ "from: later fragment: source address only", FROM, UNBOUND,
	  UDP(INSIDE, REMOTE, .frag = 0x0010), PASS, UDP(OUTSIDE, REMOTE, .frag = 0x0010) },
	{ "from: later fragment to the configured remote follows the bound remote", FROM,
	  BOUND_REMOTE, UDP(INSIDE, REMOTE, .frag = 0x0010), PASS,
	  UDP(OUTSIDE, PEER, .frag = 0x0010) },
	{ "from: later fragment to anyone else keeps its destination", FROM, BOUND_REMOTE,
	  UDP(INSIDE, OTHER, .frag = 0x0010), PASS, UDP(OUTSIDE, OTHER, .frag = 0x0010) },
	{ "from: later fragment shorter than a UDP header: source address only", FROM, BOUND,
	  UDP(INSIDE, REMOTE, .frag = 0x2020, .payload = 3), PASS,
	  UDP(OUTSIDE, REMOTE, .frag = 0x2020, .payload = 3) },
	{ "from: VXLAN with Ethernet padding: rewritten, padding kept", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .pad = 6), PASS, VX(OUTSIDE, REMOTE, VNI, .pad = 6) },
	{ "from: ARP passes untouched", FROM, UNBOUND,
	  { .ethertype = ETH_P_ARP }, PASS, .untouched = true },
	{ "from: ARP cut after the Ethernet header passes untouched", FROM, UNBOUND,
	  { .ethertype = ETH_P_ARP, .frame_end = END_ETH }, PASS, .untouched = true },

	/* leaving a slot: drops */
	{ "from: tunnel packet of an unbound slot dropped", FROM, UNBOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI), SLOTNET_DROP_UNBOUND },
	{ "from: tunnel packet of a slot being scrubbed by unbind dropped as unbound", FROM,
	  SCRUBBING, VX(INSIDE, REMOTE, DUMMY_VNI), SLOTNET_DROP_UNBOUND },
	{ "from: VXLAN with another VNI dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI + 1), SLOTNET_DROP_VNI },
	{ "from: VXLAN already carrying the tenant's VNI dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, VNI), SLOTNET_DROP_VNI },
	{ "from: Geneve with another VNI dropped", FROM, BOUND_REMOTE,
	  GNV(INSIDE, REMOTE, DUMMY_VNI - 1), SLOTNET_DROP_VNI },
	{ "from: spoofed source dropped", FROM, BOUND,
	  VX(OTHER, REMOTE, DUMMY_VNI), SLOTNET_DROP_SPOOF },
	{ "from: spoofed source of plain TCP dropped", FROM, UNBOUND,
	  TCP(OUTSIDE, OTHER), SLOTNET_DROP_SPOOF },
	{ "from: later fragment with a spoofed source dropped", FROM, UNBOUND,
	  UDP(OTHER, REMOTE, .frag = 0x0010), SLOTNET_DROP_SPOOF },
	{ "from: VXLAN without the I flag dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .tun_byte0 = BYTE0(0x00)), SLOTNET_DROP_MALFORMED },
	{ "from: Geneve version 1 dropped", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .tun_byte0 = BYTE0(0x40)), SLOTNET_DROP_MALFORMED },
	{ "from: Geneve options longer than the packet dropped", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .tun_byte0 = BYTE0(0x3f), .payload = 10),
	  SLOTNET_DROP_MALFORMED },
	{ "from: IPv6 dropped", FROM, BOUND,
	  { .ethertype = ETH_P_IPV6 }, SLOTNET_DROP_NOT_IPV4 },
	{ "from: VLAN-tagged IPv4 dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .vlan = true), SLOTNET_DROP_NOT_IPV4 },
	{ "from: another EtherType cut after the Ethernet header dropped", FROM, BOUND,
	  { .ethertype = 0x88b5, .frame_end = END_ETH }, SLOTNET_DROP_NOT_IPV4 },
	{ "from: IP version 6 in an IPv4 frame dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .version = 6), SLOTNET_DROP_MALFORMED },
	{ "from: IHL 4 dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ihl = 4), SLOTNET_DROP_MALFORMED },
	{ "from: total length beyond the frame dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .tot_len_extra = 1), SLOTNET_DROP_MALFORMED },
	{ "from: total length shorter than the IPv4 header dropped", FROM, BOUND,
	  TCP(INSIDE, OTHER, .ihl = 6, .ip_end = END_IP), SLOTNET_DROP_MALFORMED },
	{ "from: UDP header only in the Ethernet padding dropped", FROM, UNBOUND,
	  UDP(INSIDE, OTHER, .ip_end = END_IP), SLOTNET_DROP_MALFORMED },
	{ "from: VXLAN header only in the Ethernet padding dropped", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ip_end = END_UDP), SLOTNET_DROP_MALFORMED },
	/* Drop reasons in order: malformed before spoof before unbound before VNI. */
	{ "from: spoofed VXLAN without the I flag counted as malformed", FROM, BOUND,
	  VX(OTHER, REMOTE, DUMMY_VNI, .tun_byte0 = BYTE0(0x00)), SLOTNET_DROP_MALFORMED },
	{ "from: spoofed tunnel packet of an unbound slot counted as spoof", FROM, UNBOUND,
	  VX(OTHER, REMOTE, DUMMY_VNI), SLOTNET_DROP_SPOOF },
	{ "from: unbound slot, wrong VNI counted as unbound", FROM, UNBOUND,
	  VX(INSIDE, REMOTE, VNI), SLOTNET_DROP_UNBOUND },
	{ "from: a device that is no slot's veth: dropped, nothing counted", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI), DROP_UNCOUNTED, .unknown_device = true },

	/* leaving a slot for the outside range: another slot, through the root */
	{ "from: VXLAN of a slot bound to another slot's outside address dropped", FROM,
	  BOUND_NEIGHBOUR, VX(INSIDE, REMOTE, DUMMY_VNI), SLOTNET_DROP_HAIRPIN },
	{ "from: Geneve of a slot bound to another slot's outside address dropped", FROM,
	  BOUND_NEIGHBOUR, GNV(INSIDE, REMOTE, DUMMY_VNI), SLOTNET_DROP_HAIRPIN },
	{ "from: later fragment following a bound remote in the outside range dropped", FROM,
	  BOUND_NEIGHBOUR, UDP(INSIDE, REMOTE, .frag = 0x0010), SLOTNET_DROP_HAIRPIN },
	{ "from: VXLAN sent straight to another slot's outside address dropped", FROM, BOUND,
	  VX(INSIDE, NEIGHBOUR, DUMMY_VNI), SLOTNET_DROP_HAIRPIN },
	{ "from: plain TCP to another slot's outside address dropped", FROM, UNBOUND,
	  TCP(INSIDE, NEIGHBOUR), SLOTNET_DROP_HAIRPIN },
	{ "from: ICMP echo to the slot's own outside address dropped", FROM, UNBOUND,
	  ICMP(INSIDE, OUTSIDE), SLOTNET_DROP_HAIRPIN },
	{ "from: later fragment to another slot's outside address dropped", FROM, UNBOUND,
	  UDP(INSIDE, NEIGHBOUR, .frag = 0x0010), SLOTNET_DROP_HAIRPIN },
	{ "from: to the outside range's first address (100.64.0.0) dropped", FROM, UNBOUND,
	  TCP(INSIDE, OUTSIDE_NET), SLOTNET_DROP_HAIRPIN },
	{ "from: to the outside range's last address (100.64.255.255) dropped", FROM, UNBOUND,
	  UDP(INSIDE, OUTSIDE_LAST), SLOTNET_DROP_HAIRPIN },
	{ "from: VXLAN to the outside range's last address dropped", FROM, BOUND,
	  VX(INSIDE, OUTSIDE_LAST, DUMMY_VNI), SLOTNET_DROP_HAIRPIN },
	{ "from: to the address just below the outside range (100.63.255.255) passes", FROM,
	  UNBOUND, TCP(INSIDE, OUTSIDE_NET - 1), PASS, TCP(OUTSIDE, OUTSIDE_NET - 1) },
	{ "from: to the address just above the outside range (100.65.0.0) passes", FROM,
	  UNBOUND, UDP(INSIDE, OUTSIDE_LAST + 1), PASS, UDP(OUTSIDE, OUTSIDE_LAST + 1) },
	{ "from: VXLAN bound to the address just above the outside range passes", FROM,
	  BOUND, VX(INSIDE, OUTSIDE_LAST + 1, DUMMY_VNI), PASS,
	  VX(OUTSIDE, OUTSIDE_LAST + 1, VNI) },
	/* Checked last, on the destination the packet would leave with. */
	{ "from: truncated UDP to another slot counted as malformed", FROM, UNBOUND,
	  UDP(INSIDE, NEIGHBOUR, CUT(END_IP + 4)), SLOTNET_DROP_MALFORMED },
	{ "from: spoofed source to another slot counted as spoof", FROM, UNBOUND,
	  TCP(OTHER, NEIGHBOUR), SLOTNET_DROP_SPOOF },
	{ "from: tunnel packet of an unbound slot to another slot counted as unbound", FROM,
	  UNBOUND, VX(INSIDE, NEIGHBOUR, DUMMY_VNI), SLOTNET_DROP_UNBOUND },
	{ "from: wrong VNI with a bound remote in the outside range counted as vni", FROM,
	  BOUND_NEIGHBOUR, VX(INSIDE, REMOTE, DUMMY_VNI + 1), SLOTNET_DROP_VNI },

	/* leaving a slot: truncated at every header boundary and inside each header */
	{ "from: 13 bytes (under ETH_HLEN) never reach the program", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .frame_end = END_ETH - 1), .refusal = REFUSED_RUNT },
	{ "from: IPv4 EtherType, Ethernet header only", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, CUT(END_ETH)), SLOTNET_DROP_MALFORMED,
	  .refusal = REFUSED_SHORT_L3 },
	{ "from: cut inside the IPv4 header", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, CUT(END_ETH + 11)), SLOTNET_DROP_MALFORMED,
	  .refusal = REFUSED_SHORT_L3 },
	{ "from: cut inside the IPv4 options", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, .ihl = 8, CUT(END_IP + 6)), SLOTNET_DROP_MALFORMED },
	{ "from: IPv4 header only, protocol UDP", FROM, UNBOUND,
	  UDP(INSIDE, OTHER, CUT(END_IP)), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the UDP header", FROM, UNBOUND,
	  UDP(INSIDE, OTHER, CUT(END_IP + 4)), SLOTNET_DROP_MALFORMED },
	{ "from: UDP header only, VXLAN port", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, CUT(END_UDP)), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the VXLAN header", FROM, BOUND,
	  VX(INSIDE, REMOTE, DUMMY_VNI, CUT(END_UDP + 5)), SLOTNET_DROP_MALFORMED },
	{ "from: cut inside the Geneve header", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, CUT(END_UDP + 3)), SLOTNET_DROP_MALFORMED },
	{ "from: Geneve options cut short", FROM, BOUND,
	  GNV(INSIDE, REMOTE, DUMMY_VNI, .gopts = { 2, { 1, 2 } }, CUT(END_TUN + 12)),
	  SLOTNET_DROP_MALFORMED },
	{ "from: IPv4 header only, protocol TCP", FROM, UNBOUND,
	  TCP(INSIDE, OTHER, CUT(END_IP)), SLOTNET_DROP_MALFORMED },
	{ "from: TCP cut one byte before the end of its checksum", FROM, UNBOUND,
	  TCP(INSIDE, OTHER, CUT(END_IP + TCP_CHECK_END - 1)), SLOTNET_DROP_MALFORMED },

	/* entering a slot: rewrites */
	{ "to: VXLAN: bound VNI -> dummy VNI, outside -> inside", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI) },
	{ "to: VXLAN from the bound remote: source becomes the configured remote", TO,
	  BOUND_REMOTE, VX(PEER, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI) },
	{ "to: VXLAN keeps the header's reserved byte", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI, .reserved = 0x01), PASS,
	  VX(REMOTE, INSIDE, DUMMY_VNI, .reserved = 0x01) },
	{ "to: Geneve without options", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI), PASS, GNV(REMOTE, INSIDE, DUMMY_VNI) },
	{ "to: Geneve with two options, bound remote", TO, BOUND_REMOTE,
	  GNV(PEER, OUTSIDE, VNI, .gopts = { 2, { 2, 1 } }), PASS,
	  GNV(REMOTE, INSIDE, DUMMY_VNI, .gopts = { 2, { 2, 1 } }) },
	{ "to: zero UDP checksum stays zero", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, .udp_no_checksum = true), PASS,
	  GNV(REMOTE, INSIDE, DUMMY_VNI, .udp_no_checksum = true) },
	{ "to: a UDP checksum that comes out 0 is sent as 0xffff", TO, BOUND_REMOTE,
	  VX(PEER, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI), .steer = STEER_UDP_OUT },
	{ "to: CHECKSUM_COMPLETE, VXLAN from the bound remote", TO, BOUND_REMOTE,
	  VX(PEER, OUTSIDE, VNI), PASS, VX(REMOTE, INSIDE, DUMMY_VNI), .complete = true },
	{ "to: CHECKSUM_COMPLETE, zero UDP checksum", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI, .udp_no_checksum = true), PASS,
	  VX(REMOTE, INSIDE, DUMMY_VNI, .udp_no_checksum = true), .complete = true },
	{ "to: CHECKSUM_COMPLETE, TCP with IP options", TO, UNBOUND,
	  TCP(OTHER, OUTSIDE, .ihl = 6), PASS, TCP(OTHER, INSIDE, .ihl = 6), .complete = true },
	{ "to: plain TCP: destination NAT only", TO, UNBOUND,
	  TCP(OTHER, OUTSIDE), PASS, TCP(OTHER, INSIDE) },
	{ "to: plain TCP from anyone to a slot bound with a remote", TO, BOUND_REMOTE,
	  TCP(OTHER, OUTSIDE), PASS, TCP(OTHER, INSIDE) },
	{ "to: TCP with IP options (IHL 7)", TO, UNBOUND,
	  TCP(OTHER, OUTSIDE, .ihl = 7), PASS, TCP(OTHER, INSIDE, .ihl = 7) },
	{ "to: VXLAN with IP options (IHL 7), bound remote", TO, BOUND_REMOTE,
	  VX(PEER, OUTSIDE, VNI, .ihl = 7), PASS, VX(REMOTE, INSIDE, DUMMY_VNI, .ihl = 7) },
	{ "to: ICMP echo: destination NAT only", TO, UNBOUND,
	  ICMP(OTHER, OUTSIDE), PASS, ICMP(OTHER, INSIDE) },
	{ "to: first fragment of a Geneve packet rewritten whole", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, .frag = 0x2000), PASS,
	  GNV(REMOTE, INSIDE, DUMMY_VNI, .frag = 0x2000) },
	{ "to: later fragment: destination address only", TO, BOUND_REMOTE,
	  UDP(OTHER, OUTSIDE, .frag = 0x00b9), PASS, UDP(OTHER, INSIDE, .frag = 0x00b9) },
	{ "to: later fragment from the bound remote: source becomes the configured remote", TO,
	  BOUND_REMOTE, UDP(PEER, OUTSIDE, .frag = 0x00b9), PASS,
	  UDP(REMOTE, INSIDE, .frag = 0x00b9) },
	{ "to: ARP passes untouched", TO, UNBOUND,
	  { .ethertype = ETH_P_ARP }, PASS, .untouched = true },

	/* entering a slot: drops */
	{ "to: tunnel packet for an unbound slot dropped", TO, UNBOUND,
	  VX(REMOTE, OUTSIDE, VNI), SLOTNET_DROP_UNBOUND },
	{ "to: tunnel packet for a slot being scrubbed by unbind dropped as unbound", TO,
	  SCRUBBING, VX(REMOTE, OUTSIDE, VNI), SLOTNET_DROP_UNBOUND },
	{ "to: the scrubbing placeholder's VNI 0 is no binding", TO, SCRUBBING,
	  VX(REMOTE, OUTSIDE, 0), SLOTNET_DROP_UNBOUND },
	{ "to: another tenant's VNI dropped", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI + 1), SLOTNET_DROP_VNI },
	{ "to: the dummy VNI from outside dropped", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, DUMMY_VNI), SLOTNET_DROP_VNI },
	{ "to: not from the bound remote dropped", TO, BOUND_REMOTE,
	  VX(REMOTE, OUTSIDE, VNI), SLOTNET_DROP_REMOTE },
	{ "to: another destination than the slot's outside address dropped", TO, BOUND,
	  VX(REMOTE, OUTSIDE + 1, VNI), SLOTNET_DROP_DEST },
	{ "to: plain TCP to the inside address dropped", TO, UNBOUND,
	  TCP(OTHER, INSIDE), SLOTNET_DROP_DEST },
	{ "to: later fragment to another destination dropped", TO, UNBOUND,
	  UDP(OTHER, OTHER, .frag = 0x0010), SLOTNET_DROP_DEST },
	{ "to: IPv6 dropped", TO, BOUND,
	  { .ethertype = ETH_P_IPV6 }, SLOTNET_DROP_NOT_IPV4 },
	{ "to: VXLAN without the I flag dropped", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI, .tun_byte0 = BYTE0(0x80)), SLOTNET_DROP_MALFORMED },
	{ "to: Geneve version 1 dropped", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, .tun_byte0 = BYTE0(0x40)), SLOTNET_DROP_MALFORMED },
	{ "to: UDP header only, Geneve port", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, CUT(END_UDP)), SLOTNET_DROP_MALFORMED },
	{ "to: cut inside the VXLAN header", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI, CUT(END_TUN - 2)), SLOTNET_DROP_MALFORMED },
	{ "to: Geneve options cut short", TO, BOUND,
	  GNV(REMOTE, OUTSIDE, VNI, .gopts = { 1, { 3 } }, CUT(END_TUN + 8)),
	  SLOTNET_DROP_MALFORMED },
	{ "to: total length beyond the frame dropped", TO, BOUND,
	  TCP(OTHER, OUTSIDE, .tot_len_extra = 7), SLOTNET_DROP_MALFORMED },
	/* Drop reasons in order: dest before unbound, remote before VNI. */
	{ "to: another destination, unbound slot: counted as dest", TO, UNBOUND,
	  VX(REMOTE, OTHER, VNI), SLOTNET_DROP_DEST },
	{ "to: wrong remote and wrong VNI: counted as remote", TO, BOUND_REMOTE,
	  VX(OTHER, OUTSIDE, VNI + 1), SLOTNET_DROP_REMOTE },
	{ "to: a device that is no slot's veth: dropped, nothing counted", TO, BOUND,
	  VX(REMOTE, OUTSIDE, VNI), DROP_UNCOUNTED, .unknown_device = true },
};
#pragma GCC diagnostic pop

#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* ---- checks ---- */

/* The running fixture's failures, printed as diagnostics after its result line. */
static int failures;
static char notes[4096];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	size_t used = strlen(notes);
	va_list ap;

	va_start(ap, fmt);
	if (used + 5 < sizeof(notes)) {
		strcpy(notes + used, "#   ");
		vsnprintf(notes + used + 4, sizeof(notes) - used - 5, fmt, ap);
		strcat(notes, "\n");
	}
	va_end(ap);
	failures++;
}

static const char *const ip_fields[20] = {
	[0] = "IPv4 version/IHL", [2] = "IPv4 total length", [3] = "IPv4 total length",
	[10] = "IPv4 checksum", [11] = "IPv4 checksum",
	[12] = "IPv4 source", [13] = "IPv4 source", [14] = "IPv4 source", [15] = "IPv4 source",
	[16] = "IPv4 destination", [17] = "IPv4 destination", [18] = "IPv4 destination",
	[19] = "IPv4 destination",
};

/* Names the field at OFF of an Ethernet + IPv4 frame, for failure messages. */
static void name_offset(const struct pkt *p, unsigned off, char *buf, size_t n)
{
	unsigned hdr = (p->b[ETH_LEN] & 0xf) * 4, l4 = off - ETH_LEN - hdr;

	if (off < ETH_LEN || get16(p->b + 12) != ETH_P_IP)
		snprintf(buf, n, "frame byte %u", off);
	else if (off < ETH_LEN + 20 && ip_fields[off - ETH_LEN])
		snprintf(buf, n, "%s", ip_fields[off - ETH_LEN]);
	else if (off < ETH_LEN + hdr)
		snprintf(buf, n, "IPv4 header byte %u", off - ETH_LEN);
	else if (p->b[ETH_LEN + 9] == IPPROTO_UDP && (l4 == 6 || l4 == 7))
		snprintf(buf, n, "UDP checksum");
	else if (p->b[ETH_LEN + 9] == IPPROTO_UDP && l4 >= 12 && l4 < 16)
		snprintf(buf, n, "tunnel VNI word");
	else if (p->b[ETH_LEN + 9] == IPPROTO_TCP && (l4 == 16 || l4 == 17))
		snprintf(buf, n, "TCP checksum");
	else
		snprintf(buf, n, "L4 byte %u", l4);
}

static void check_bytes(const struct pkt *got, const struct pkt *want)
{
	unsigned first = 0, ndiff = 0;
	char field[40];

	if (got->len != want->len)
		fail("output is %u bytes, want %u", got->len, want->len);
	for (unsigned i = 0; i < got->len && i < want->len; i++)
		if (got->b[i] != want->b[i] && !ndiff++)
			first = i;
	if (!ndiff)
		return;
	name_offset(want, first, field, sizeof(field));
	fail("%u bytes differ; first at byte %u (%s): got 0x%02x, want 0x%02x", ndiff, first, field,
	     got->b[first], want->b[first]);
}

/*
 * The output's checksums verify on their own, not just by comparison: the
 * IPv4 header's, and the TCP/UDP one (a UDP 0 only if the input had 0).
 */
static void check_checksums(const struct pkt *out, const struct pkt *in)
{
	const uint8_t *ip = out->b + ETH_LEN, *l4;
	unsigned hdr, len;

	if (out->len < ETH_LEN + 20 || get16(out->b + 12) != ETH_P_IP)
		return;
	hdr = (ip[0] & 0xf) * 4;
	len = get16(ip + 2) - hdr;
	l4 = ip + hdr;
	if (fold(sum16(ip, hdr, 0)) != 0)
		fail("IPv4 header checksum does not verify");
	if (get16(ip + 6) & IP_OFFSET_MASK) /* a later fragment carries no L4 header */
		return;
	if (ip[9] == IPPROTO_UDP && !get16(l4 + 6)) {
		if (get16(in->b + ETH_LEN + hdr + 6))
			fail("UDP checksum became 0 (none)");
		return;
	}
	if ((ip[9] == IPPROTO_UDP || ip[9] == IPPROTO_TCP) &&
	    fold(sum16(l4, len, pseudo_sum(get32(ip + 12), get32(ip + 16), ip[9], len))) != 0)
		fail("%s checksum does not verify", ip[9] == IPPROTO_UDP ? "UDP" : "TCP");
}

static void check_dir(const char *dir, const struct slotnet_dir_counters *got,
		      const struct slotnet_dir_counters *want)
{
	if (got->packets != want->packets)
		fail("%s packets: got %llu, want %llu", dir, (unsigned long long)got->packets,
		     (unsigned long long)want->packets);
	if (got->bytes != want->bytes)
		fail("%s bytes: got %llu, want %llu", dir, (unsigned long long)got->bytes,
		     (unsigned long long)want->bytes);
	for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
		if (got->drops[r] != want->drops[r])
			fail("%s drops[%s]: got %llu, want %llu", dir, config_drop_names[r],
			     (unsigned long long)got->drops[r], (unsigned long long)want->drops[r]);
}

/* From zero: one packet of FRAME_LEN bytes passed, or one drop of the verdict's reason. */
static void check_counters(const struct fixture *f, int verdict, unsigned frame_len)
{
	struct slotnet_counters got, want = { 0 };
	struct slotnet_dir_counters *dir = f->dir == FROM ? &want.tx : &want.rx;

	if (read_counters(&got) < 0) {
		fail("reading the counters: %s", strerror(errno));
		return;
	}
	if (verdict == PASS) {
		dir->packets = 1;
		dir->bytes = frame_len;
	} else if (verdict >= 0) {
		dir->drops[verdict] = 1;
	}
	check_dir("tx", &got.tx, &want.tx);
	check_dir("rx", &got.rx, &want.rx);
}

/* ---- running a fixture ---- */

static uint16_t udp_check_of(const struct pkt *p)
{
	return get16(p->b + ETH_LEN + (p->b[ETH_LEN] & 0xf) * 4 + 6);
}

/* The word that makes S's checksum (UDP or IPv4 header) sum to zero: its checksum without it. */
static uint16_t zero_sum_word(struct spec s, bool ip_header)
{
	struct pkt p;

	s.payload_word = 0;
	s.ip_id = 0;
	build(&s, &p);
	return ip_header ? get16(p.b + ETH_LEN + 10) : udp_check_of(&p);
}

static void steer(enum steer how, struct spec *in, struct spec *out)
{
	switch (how) {
	case STEER_UDP_OUT:
		in->payload_word = out->payload_word = zero_sum_word(*out, false);
		break;
	case STEER_UDP_IN:
		in->payload_word = out->payload_word = zero_sum_word(*in, false);
		break;
	case STEER_IP_OUT:
		in->ip_id = out->ip_id = zero_sum_word(*out, true);
		break;
	case STEER_NONE:
		break;
	}
}

/* A steered fixture tests what it says only if the oracle made the special value. */
static void check_steered(enum steer how, const struct pkt *in, const struct pkt *want)
{
	if ((how == STEER_UDP_OUT && udp_check_of(want) != 0xffff) ||
	    (how == STEER_UDP_IN && udp_check_of(in) != 0xffff) ||
	    (how == STEER_IP_OUT && get16(want->b + ETH_LEN + 10) != 0))
		fail("fixture: steering did not produce the checksum it is about");
}

static void build_fixture(const struct fixture *f, struct pkt *in, struct pkt *want)
{
	struct spec sin = f->in, sout = f->out;

	steer(f->steer, &sin, &sout);
	build(&sin, in);
	if (f->verdict == PASS && !f->untouched)
		build(&sout, want);
	else
		*want = *in; /* a dropped frame comes back unchanged too */
	check_steered(f->steer, in, want);
}

static int prepare_maps(const struct fixture *f)
{
	if (set_binding(f->binding) < 0 || set_device(f->unknown_device) < 0 || reset_counters() < 0) {
		fail("setting up the maps: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool refused_here(const struct fixture *f)
{
	return f->refusal == REFUSED_RUNT || (f->refusal == REFUSED_SHORT_L3 && short_l3_refused);
}

/* The frame is refused with EINVAL before any program runs, and nothing is counted. */
static void check_refused(const struct fixture *f, int prog, struct bpf_test_run_opts *opts)
{
	if (bpf_prog_test_run_opts(prog, opts) == 0)
		fail("BPF_PROG_TEST_RUN ran it (verdict %u); want EINVAL", opts->retval);
	else if (errno != EINVAL)
		fail("BPF_PROG_TEST_RUN: %s; want EINVAL", strerror(errno));
	check_counters(f, DROP_UNCOUNTED, 0);
}

static void check_run(const struct fixture *f, int prog, struct bpf_test_run_opts *opts,
		      const struct pkt *in, const struct pkt *want)
{
	unsigned want_ret = f->verdict == PASS ? TC_ACT_OK : TC_ACT_SHOT;
	struct pkt out;

	memset(out.b, 0xee, sizeof(out.b));
	opts->data_out = out.b;
	opts->data_size_out = sizeof(out.b);
	if (bpf_prog_test_run_opts(prog, opts) < 0) {
		fail("BPF_PROG_TEST_RUN: %s%s", strerror(errno),
		     errno == EBADMSG ? " (skb->csum no longer matches the data)" : "");
		return;
	}
	out.len = opts->data_size_out;
	if (opts->retval != want_ret)
		fail("verdict %u, want %u", opts->retval, want_ret);
	check_bytes(&out, want);
	if (f->verdict == PASS)
		check_checksums(&out, in);
	check_counters(f, f->verdict, in->len);
}

static void run_fixture(unsigned n, const struct fixture *f)
{
	int prog = bpf_program__fd(f->dir == FROM ? skel->progs.from_slot : skel->progs.to_slot);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	struct pkt in, want;

	failures = 0;
	notes[0] = '\0';
	if (f->complete && !complete_supported) {
		printf("ok %u - %s # SKIP no BPF_F_TEST_SKB_CHECKSUM_COMPLETE here\n", n, f->name);
		return;
	}
	build_fixture(f, &in, &want);
	opts.data_in = in.b;
	opts.data_size_in = in.len;
	opts.flags = f->complete ? BPF_F_TEST_SKB_CHECKSUM_COMPLETE : 0;
	if (prepare_maps(f) == 0) {
		if (refused_here(f))
			check_refused(f, prog, &opts);
		else
			check_run(f, prog, &opts, &in, &want);
	}
	printf("%s %u - %s\n%s", failures ? "not ok" : "ok", n, f->name, notes);
}

int main(void)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", NFIXTURES);
	if (load() < 0 || setup_maps() < 0 || probe_kernel() < 0) {
		printf("Bail out! loading the BPF object: %s (needs root, in its own netns)\n",
		       strerror(errno));
		return 1;
	}
	printf("# this kernel: CHECKSUM_COMPLETE test runs %s; IPv4 frames under 34 bytes %s\n",
	       complete_supported ? "supported" : "not supported",
	       short_l3_refused ? "refused (EINVAL)" : "run");
	for (size_t i = 0; i < NFIXTURES; i++) {
		run_fixture(i + 1, &fixtures[i]);
		failed += failures > 0;
	}
	slotnet_bpf__destroy(skel);
	return failed ? 1 : 0;
}
