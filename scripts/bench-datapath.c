// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet cost of the data-path programs through BPF_PROG_TEST_RUN,
 * against an empty TC program on the same packet in the same run.
 *
 * With `repeat`, the kernel runs a program again and again on one buffer,
 * already rewritten by the run before.  So the timed slots (0 and 3,999) are
 * set up for a rewrite that maps the packet onto itself: the slot's outside
 * address is the inside address, its binding's VNI is its dummy VNI, and its
 * bound remote is the configured remote (which, like the plain TCP peer,
 * lies beyond the outside range, so the hairpin check is made and passes).
 * Every repetition then takes the whole rewrite path (every lookup and
 * check, the writes, the checksum helpers) and leaves the packet as it
 * found it.  Each timed run is checked afterwards: verdict pass, the same
 * bytes out, and exactly `repeat` packets counted as passed in the slot's
 * own counters.  Before timing, each tunnel packet is shown to reach the
 * binding lookup: with the binding removed it is dropped as unbound.  (Were
 * the programs ever to skip a rewrite that changes nothing, this set-up
 * would time that shortcut instead; they do not.)
 *
 * The maps hold a full worker: 4,000 slots, each with a root veth ifindex, an
 * outside address and a binding.  Runs are interleaved (empty program, then
 * each program on slot 0 and slot 3,999, round after round) so drift in the
 * machine's speed falls on all alike; each figure is the median of RUNS.
 * Prints one table; run by scripts/bench-datapath.sh.  Timings are never
 * asserted by a test: this is a script only.
 */
#include "slotnet.skel.h"
#include "slotnet_abi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define NSLOTS 4000u
#define MAX_SLOTS 4096
#define LO_IFINDEX 1u
#define INSIDE 0xa9fe0102u   /* 169.254.1.2 */
#define OUTSIDE 0x64400000u  /* 100.64.0.0/16: slot i's outside address is this + i + 1 */
#define OUTSIDE_PLEN 16
#define REMOTE 0xc0000201u   /* 192.0.2.1 */
#define PEER 0x0a000001u     /* 10.0.0.1, a plain TCP peer */
#define REPEAT 1000000u
#define RUNS 11
#define PKT_LEN 128

#define TARGET_NS 100.0
#define TARGET_X_EMPTY 5.0
#define TARGET_SLOT_SKEW 0.10

static const uint32_t timed_slots[2] = { 0, NSLOTS - 1 };

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

/* Ethernet + IPv4 + UDP/VXLAN carrying VNI (when non-zero) or TCP, checksums right. */
static void make_packet(uint8_t *p, uint32_t src, uint32_t dst, uint32_t vni)
{
	const unsigned l4len = PKT_LEN - 34;
	uint8_t *ip = p + 14, *l4 = ip + 20;
	uint32_t pseudo;

	memset(p, 0x5a, PKT_LEN);
	memset(p, 0, 34 + (vni ? 16 : 20));
	put16(p + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, PKT_LEN - 14);
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
		l4[8] = 0x08; /* I: the VNI is valid */
		put32(l4 + 12, vni << 8);
		put16(l4 + 6, csum(l4, l4len, pseudo));
	} else {
		put16(l4 + 2, 80);
		l4[12] = 5 << 4;
		l4[13] = 0x10; /* ACK */
		put16(l4 + 16, csum(l4, l4len, pseudo));
	}
}

static bool timed(uint32_t slot)
{
	return slot == timed_slots[0] || slot == timed_slots[1];
}

/* Slot I, its binding and its veth; a timed slot gets the self-mapping rewrite. */
static int fill_slot(uint32_t i)
{
	struct slotnet_slot s = {
		.ifindex = 1000 + i, .outside_be = htonl(timed(i) ? INSIDE : OUTSIDE + i + 1),
		.dummy_vni = SLOTNET_DUMMY_VNI_BASE + i, .flags = SLOTNET_SLOT_READY,
	};
	struct slotnet_binding b = {
		.vni = timed(i) ? s.dummy_vni : 5000 + i, .remote_be = htonl(REMOTE),
		.flags = SLOTNET_BIND_REMOTE,
	};
	__u32 ifindex = s.ifindex;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &i, &s, BPF_ANY) ||
	       bpf_map_update_elem(bpf_map__fd(skel->maps.ifslots), &ifindex, &i, BPF_ANY) ||
	       bpf_map_update_elem(bpf_map__fd(skel->maps.bindings), &i, &b, BPF_ANY) ? -1 : 0;
}

static int fill_maps(void)
{
	struct slotnet_config cfg = {
		.abi_version = SLOTNET_ABI_VERSION, .max_slots = MAX_SLOTS, .nslots = NSLOTS,
		.tunnel = SLOTNET_TUNNEL_VXLAN, .dummy_vni_base = SLOTNET_DUMMY_VNI_BASE,
		.remote_be = htonl(REMOTE), .outside_be = htonl(OUTSIDE), .outside_plen = OUTSIDE_PLEN,
		.inside_be = htonl(INSIDE),
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, BPF_ANY))
		return -1;
	for (uint32_t i = 0; i < NSLOTS; i++)
		if (fill_slot(i))
			return -1;
	return 0;
}

/* The loopback device (where BPF_PROG_TEST_RUN's skb comes from) plays SLOT's veth. */
static int time_as_slot(uint32_t slot)
{
	__u32 ifindex = LO_IFINDEX;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.ifslots), &ifindex, &slot, BPF_ANY);
}

static int load_empty_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "empty", "GPL", insns, 2, NULL);
}

/* SLOT's counters, one direction. */
static int read_counters(uint32_t slot, bool leaving, struct slotnet_dir_counters *dir)
{
	struct slotnet_counters c;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &slot, &c) < 0)
		return -1;
	*dir = leaving ? c.tx : c.rx;
	return 0;
}

static uint64_t drops(const struct slotnet_dir_counters *c)
{
	uint64_t n = 0;

	for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
		n += c->drops[r];
	return n;
}

/* One run of REPEAT packets; its ns per packet, or -1 if a packet was not passed unchanged. */
static double run_once(int prog, const uint8_t *pkt, uint32_t repeat)
{
	uint8_t out[PKT_LEN * 2];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = PKT_LEN, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog, &o) < 0 || o.retval != TC_ACT_OK ||
	    o.data_size_out != PKT_LEN || memcmp(out, pkt, PKT_LEN))
		return -1;
	return o.duration;
}

struct packet_kind {
	const char *name;
	bool tunnel;
};

static const struct packet_kind kinds[] = { { "VXLAN", true }, { "TCP", false } };

struct prog_kind {
	const char *name;
	bool leaving;
};

static const struct prog_kind progs[] = { { "from_slot", true }, { "to_slot", false } };

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

/* The packet PROG sees in SLOT's self-mapping set-up: leaving from inside, or entering to it. */
static void packet_for(const struct packet_kind *k, const struct prog_kind *p, uint32_t slot,
		       uint8_t *pkt)
{
	uint32_t peer = k->tunnel ? REMOTE : PEER;
	uint32_t vni = k->tunnel ? SLOTNET_DUMMY_VNI_BASE + slot : 0;

	if (p->leaving)
		make_packet(pkt, INSIDE, peer, vni);
	else
		make_packet(pkt, peer, INSIDE, vni);
}

static int prog_fd(const struct prog_kind *p)
{
	return bpf_program__fd(p->leaving ? skel->progs.from_slot : skel->progs.to_slot);
}

/*
 * One timed run of program P on SLOT, checked: pass, same bytes, REPEAT
 * packets (and their bytes) counted as passed in the slot's own counters, no drop.
 */
static double timed_run(const struct prog_kind *p, const struct packet_kind *k, uint32_t slot)
{
	struct slotnet_dir_counters before, after;
	uint8_t pkt[PKT_LEN];
	double ns;

	packet_for(k, p, slot, pkt);
	if (time_as_slot(slot) || read_counters(slot, p->leaving, &before))
		return -1;
	ns = run_once(prog_fd(p), pkt, REPEAT);
	if (ns < 0 || read_counters(slot, p->leaving, &after) ||
	    after.packets - before.packets != REPEAT ||
	    after.bytes - before.bytes != (uint64_t)REPEAT * PKT_LEN || drops(&after) != drops(&before))
		return -1;
	return ns;
}

/* A tunnel packet must reach the binding lookup: unbound, the same packet is dropped as such. */
static int prove_tunnel_path(const struct prog_kind *p, uint32_t slot)
{
	int fd = bpf_map__fd(skel->maps.bindings);
	struct slotnet_dir_counters before, after;
	struct slotnet_binding b;
	uint8_t pkt[PKT_LEN];
	bool dropped;

	packet_for(&kinds[0], p, slot, pkt);
	if (time_as_slot(slot) || bpf_map_lookup_elem(fd, &slot, &b) ||
	    bpf_map_delete_elem(fd, &slot) || read_counters(slot, p->leaving, &before))
		return -1;
	dropped = run_once(prog_fd(p), pkt, 1) < 0;
	if (read_counters(slot, p->leaving, &after) || bpf_map_update_elem(fd, &slot, &b, BPF_ANY))
		return -1;
	return dropped && after.drops[SLOTNET_DROP_UNBOUND] == before.drops[SLOTNET_DROP_UNBOUND] + 1
		       ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

/* Per packet kind: the empty program, and each program on each timed slot, RUNS each. */
struct samples {
	double empty[NKINDS][RUNS];
	double prog[NKINDS][NPROGS][2][RUNS];
};

static int measure(int empty_fd, struct samples *s)
{
	for (int r = 0; r < RUNS; r++)
		for (unsigned k = 0; k < NKINDS; k++) {
			uint8_t pkt[PKT_LEN];

			packet_for(&kinds[k], &progs[0], 0, pkt);
			if ((s->empty[k][r] = run_once(empty_fd, pkt, REPEAT)) < 0) {
				fprintf(stderr, "bench-datapath: the empty program failed: %s\n",
					strerror(errno));
				return -1;
			}
			for (unsigned p = 0; p < NPROGS; p++)
				for (int t = 0; t < 2; t++)
					if ((s->prog[k][p][t][r] = timed_run(&progs[p], &kinds[k],
									     timed_slots[t])) < 0) {
						fprintf(stderr, "bench-datapath: %s %s slot %u: "
							"not the rewrite path\n", progs[p].name,
							kinds[k].name, timed_slots[t]);
						return -1;
					}
		}
	return 0;
}

struct verdicts {
	double worst_ns, worst_x, worst_skew;
};

/* SKEW (slot 3999 / slot 0) is printed on slot 3999's row only. */
static void print_row(const char *prog, const char *packet, const char *slot, double ns,
		      double x_empty, const char *skew)
{
	printf("%-10s %-6s %5s %10.0f %8.1fx", prog, packet, slot, ns, x_empty);
	printf(*skew ? " %10s\n" : "\n", skew);
}

static void print_kind(unsigned k, struct samples *s, struct verdicts *v)
{
	double empty = median(s->empty[k]);

	print_row("empty", kinds[k].name, "-", empty, 1.0, "");
	for (unsigned p = 0; p < NPROGS; p++) {
		double ns0 = median(s->prog[k][p][0]), ns1 = median(s->prog[k][p][1]);
		double skew = ns1 / ns0 - 1, abs_skew = skew < 0 ? -skew : skew;
		char ratio[16];

		snprintf(ratio, sizeof(ratio), "%.3f", ns1 / ns0);
		print_row(progs[p].name, kinds[k].name, "0", ns0, ns0 / empty, "");
		print_row(progs[p].name, kinds[k].name, "3999", ns1, ns1 / empty, ratio);
		for (int t = 0; t < 2; t++) {
			double ns = t ? ns1 : ns0;

			v->worst_ns = ns > v->worst_ns ? ns : v->worst_ns;
			v->worst_x = ns / empty > v->worst_x ? ns / empty : v->worst_x;
		}
		v->worst_skew = abs_skew > v->worst_skew ? abs_skew : v->worst_skew;
	}
}

static void print_table(struct samples *s)
{
	struct verdicts v = { 0 };

	printf("%-10s %-6s %5s %10s %9s %10s\n", "program", "packet", "slot", "ns/packet",
	       "x empty", "3999 / 0");
	for (unsigned k = 0; k < NKINDS; k++)
		print_kind(k, s, &v);
	printf("\nmedian of %d runs of %u packets each (BPF_PROG_TEST_RUN duration, %u-byte packets)\n",
	       RUNS, REPEAT, PKT_LEN);
	printf("target <= %.0f ns/packet: %s (worst %.0f ns)\n", TARGET_NS,
	       v.worst_ns <= TARGET_NS ? "MET" : "NOT MET", v.worst_ns);
	printf("target <= %.0fx the empty program: %s (worst %.1fx)\n", TARGET_X_EMPTY,
	       v.worst_x <= TARGET_X_EMPTY ? "MET" : "NOT MET", v.worst_x);
	printf("target slot 3999 within %.0f%% of slot 0: %s (largest difference %.1f%%)\n",
	       TARGET_SLOT_SKEW * 100, v.worst_skew <= TARGET_SLOT_SKEW ? "MET" : "NOT MET",
	       v.worst_skew * 100);
}

static int load(void)
{
	struct bpf_map *map;

	libbpf_set_print(NULL);
	skel = slotnet_bpf__open();
	if (!skel)
		return -1;
	bpf_object__for_each_map(map, skel->obj) {
		bpf_map__set_pin_path(map, NULL);
		/* Sized like a prewarm of 4,000 slots (slot-indexed maps list the minimum). */
		if (bpf_map__max_entries(map) == SLOTNET_MIN_MAX_SLOTS)
			bpf_map__set_max_entries(map, MAX_SLOTS);
	}
	return slotnet_bpf__load(skel) || fill_maps() ? -1 : 0;
}

int main(void)
{
	static struct samples s;
	int empty_fd;

	if (load() < 0 || (empty_fd = load_empty_prog()) < 0) {
		fprintf(stderr, "bench-datapath: loading: %s (root, own netns)\n", strerror(errno));
		return 1;
	}
	for (unsigned p = 0; p < NPROGS; p++)
		for (int t = 0; t < 2; t++)
			if (prove_tunnel_path(&progs[p], timed_slots[t]) < 0) {
				fprintf(stderr, "bench-datapath: %s slot %u: the VXLAN packet does "
					"not reach the binding lookup\n", progs[p].name, timed_slots[t]);
				return 1;
			}
	if (measure(empty_fd, &s) < 0)
		return 1;
	print_table(&s);
	slotnet_bpf__destroy(skel);
	return 0;
}
