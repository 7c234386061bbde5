// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet cost of the data-path programs through BPF_PROG_TEST_RUN,
 * against an empty TC program on the same packet in the same run.
 *
 * With `repeat`, the kernel runs a program again and again on the same,
 * already rewritten buffer.  So the maps are set up to make every rewrite
 * map the packet onto itself: the timed slot's outside address is the
 * inside address, its binding's VNI is its dummy VNI and its bound remote
 * is the configured remote.  Every repetition then takes the whole rewrite
 * path (lookups, checks, writes, checksum helpers) and leaves the packet as
 * it found it, which is checked after each run: same bytes out, verdict pass.
 * Slot 0 and slot 3,999 are timed in alternation, run by run.
 *
 * The maps hold a full worker: 4,000 slots, each with a root veth ifindex
 * and a binding.  Prints one table; run by scripts/bench-datapath.sh.
 */
#include "slotnet.skel.h"
#include "slotnet_abi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define NSLOTS 4000u
#define LO_IFINDEX 1u
#define INSIDE 0xa9fe0102u  /* 169.254.1.2 */
#define REMOTE 0xc0000201u  /* 192.0.2.1 */
#define PEER 0x0a000001u    /* 10.0.0.1, a plain TCP peer */
#define REPEAT 1000000u
#define RUNS 11

static struct slotnet_bpf *skel;

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static uint16_t csum(const uint8_t *p, unsigned len, uint32_t sum)
{
	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet + IPv4 + UDP/VXLAN (vni != 0) or TCP, 128 bytes, checksums right; its length. */
static unsigned make_packet(uint8_t *p, uint32_t src, uint32_t dst, uint32_t vni)
{
	const unsigned len = 128, l4len = len - 34;
	uint8_t *ip = p + 14, *l4 = ip + 20;
	uint32_t pseudo;

	memset(p, 0x5a, len);
	memset(p, 0, 34 + (vni ? 16 : 20));
	put16(p + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, len - 14);
	ip[8] = 64;
	ip[9] = vni ? IPPROTO_UDP : IPPROTO_TCP;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum(ip, 20, 0));
	pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + ip[9] + l4len;
	put16(l4, 40000);
	if (vni) {
		put16(l4 + 2, SLOTNET_VXLAN_PORT);
		put16(l4 + 4, l4len);
		l4[8] = 0x08;
		put32(l4 + 12, vni << 8);
		put16(l4 + 6, csum(l4, l4len, pseudo));
	} else {
		put16(l4 + 2, 80);
		l4[12] = 5 << 4;
		l4[13] = 0x10;
		put16(l4 + 16, csum(l4, l4len, pseudo));
	}
	return len;
}

static int fill_maps(void)
{
	struct slotnet_config cfg = {
		.abi_version = SLOTNET_ABI_VERSION, .nslots = NSLOTS,
		.tunnel = SLOTNET_TUNNEL_VXLAN, .dummy_vni_base = SLOTNET_DUMMY_VNI_BASE,
		.remote_be = htonl(REMOTE), .inside_be = htonl(INSIDE),
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, BPF_ANY))
		return -1;
	for (__u32 i = 0; i < NSLOTS; i++) {
		/* Outside == inside and VNI == dummy: each rewrite maps the packet onto itself. */
		struct slotnet_slot s = {
			.ifindex = 1000 + i, .outside_be = htonl(INSIDE),
			.dummy_vni = SLOTNET_DUMMY_VNI_BASE + i, .flags = SLOTNET_SLOT_READY,
		};
		struct slotnet_binding b = {
			.vni = s.dummy_vni, .remote_be = htonl(REMOTE), .flags = SLOTNET_BIND_REMOTE,
		};
		__u32 ifindex = s.ifindex;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &i, &s, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.ifslots), &ifindex, &i, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.bindings), &i, &b, BPF_ANY))
			return -1;
	}
	return 0;
}

/* The loopback device (what BPF_PROG_TEST_RUN's skb comes from) plays slot SLOT's veth. */
static int time_as_slot(__u32 slot)
{
	__u32 ifindex = LO_IFINDEX;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.ifslots), &ifindex, &slot, BPF_ANY);
}

static int empty_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "empty", "GPL", insns, 2, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ns per packet over REPEAT runs of PROG on PKT; -1 if it did not take the rewrite path. */
static double run_once(int prog, const uint8_t *pkt, unsigned len)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog, &o) < 0 || o.retval != TC_ACT_OK ||
	    o.data_size_out != len || memcmp(out, pkt, len))
		return -1;
	return o.duration;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

struct bench_case {
	const char *prog, *packet;
	int fd;
	uint32_t src, dst, vni_of_slot; /* vni_of_slot: a tunnel packet with the slot's dummy VNI */
};

static const uint32_t timed_slots[2] = { 0, NSLOTS - 1 };

/*
 * Runs every case RUNS times, slot 0 and slot 3,999 interleaved run by run,
 * so that drift in the machine's speed falls on both alike.
 */
static int measure(const struct bench_case *c, double ns[2])
{
	double v[2][RUNS];
	uint8_t pkt[2][256];
	unsigned len = 0;

	for (int k = 0; k < 2; k++)
		len = make_packet(pkt[k], c->src, c->dst,
				  c->vni_of_slot ? SLOTNET_DUMMY_VNI_BASE + timed_slots[k] : 0);
	for (int r = 0; r < RUNS; r++)
		for (int k = 0; k < 2; k++)
			if (time_as_slot(timed_slots[k]) ||
			    (v[k][r] = run_once(c->fd, pkt[k], len)) < 0) {
				fprintf(stderr, "bench-datapath: %s %s slot %u: not the rewrite path\n",
					c->prog, c->packet, timed_slots[k]);
				return -1;
			}
	ns[0] = median(v[0]);
	ns[1] = median(v[1]);
	return 0;
}

static double measure_empty(int fd)
{
	uint8_t pkt[256];
	unsigned len = make_packet(pkt, INSIDE, REMOTE, SLOTNET_DUMMY_VNI_BASE);
	double v[RUNS];

	for (int r = 0; r < RUNS; r++)
		v[r] = run_once(fd, pkt, len);
	return median(v);
}

int main(void)
{
	struct bpf_map *map;
	double empty_ns, worst = 0, skew = 0;
	int empty = -1;

	libbpf_set_print(NULL);
	skel = slotnet_bpf__open();
	if (!skel)
		return 1;
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (slotnet_bpf__load(skel) || fill_maps() || (empty = empty_prog()) < 0) {
		fprintf(stderr, "bench-datapath: loading: %s (root, own netns)\n", strerror(errno));
		return 1;
	}
	const struct bench_case cases[] = {
		{ "from_slot", "VXLAN", bpf_program__fd(skel->progs.from_slot), INSIDE, REMOTE, 1 },
		{ "to_slot", "VXLAN", bpf_program__fd(skel->progs.to_slot), REMOTE, INSIDE, 1 },
		{ "from_slot", "TCP", bpf_program__fd(skel->progs.from_slot), INSIDE, PEER, 0 },
		{ "to_slot", "TCP", bpf_program__fd(skel->progs.to_slot), PEER, INSIDE, 0 },
	};

	empty_ns = measure_empty(empty);
	printf("%-10s %-6s %12s %12s %9s %12s\n", "program", "packet", "slot 0 ns", "slot 3999 ns",
	       "x empty", "3999 vs 0");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double ns[2], d;

		if (measure(&cases[i], ns) < 0)
			return 1;
		d = ns[1] / ns[0] - 1;
		printf("%-10s %-6s %12.0f %12.0f %8.1fx %+11.1f%%\n", cases[i].prog, cases[i].packet,
		       ns[0], ns[1], (ns[0] > ns[1] ? ns[0] : ns[1]) / empty_ns, d * 100);
		worst = ns[0] > worst ? ns[0] : worst;
		worst = ns[1] > worst ? ns[1] : worst;
		skew = (d < 0 ? -d : d) > skew ? (d < 0 ? -d : d) : skew;
	}
	printf("%-10s %-6s %12.0f\n", "empty", "VXLAN", empty_ns);
	printf("\nmedian of %d runs of %u packets each (BPF_PROG_TEST_RUN duration)\n", RUNS,
	       REPEAT);
	printf("target <= 100 ns/packet: %s (worst %.0f ns)\n", worst <= 100 ? "MET" : "NOT MET",
	       worst);
	printf("target <= 5x the empty program: %s (worst %.1fx)\n",
	       worst <= 5 * empty_ns ? "MET" : "NOT MET", worst / empty_ns);
	printf("target slot 3999 within 10%% of slot 0: %s (largest difference %.1f%%)\n",
	       skew <= 0.10 ? "MET" : "NOT MET", skew * 100);
	slotnet_bpf__destroy(skel);
	return 0;
}
