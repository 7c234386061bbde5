// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* dump: the configuration and every slot's binding and counters, from the pins alone. */
#include "config.h"
#include "metrics.h"
#include "opts.h"
#include "out.h"
#include "netns.h"
#include "parse.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct dump_args {
	struct opt_flag prometheus;
	struct opt_flag per_slot;
	struct opt_str textfile;
};

static const struct opt_def dump_opts[] = {
	OPT("prometheus", 0, OPT_FLAG, struct dump_args, prometheus, NULL,
	    "print metrics in the Prometheus text format instead"),
	OPT("per-slot", 0, OPT_FLAG, struct dump_args, per_slot, NULL,
	    "with the metrics, series for every slot too"),
	OPT("textfile", 0, OPT_STR, struct dump_args, textfile, "DIR",
	    "write the metrics to DIR/slotnet.prom atomically (node_exporter's textfile collector)"),
	{ 0 },
};

static const struct cmd_spec dump_spec = {
	.name = "dump",
	.args = "[SLOT]",
	.summary = "Show the configuration and each slot: addresses, binding, state, counters.",
	.opts = dump_opts,
	.max_args = 1,
};

#define TEXTFILE_NAME "slotnet.prom"

/*
 * The textfile collector's convention: a temporary file in DIR, renamed
 * over DIR/slotnet.prom, so the collector never reads half a file.
 */
static int write_textfile(const struct dump_args *a, const struct sn_maps *m,
			  const struct slotnet_config *cfg)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd, ret;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/" TEXTFILE_NAME, a->textfile.v) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/." TEXTFILE_NAME ".XXXXXX", a->textfile.v) >=
		    (int)sizeof(tmp))
		return sn_err(EXIT_USAGE, "--textfile '%s': too long", a->textfile.v);
	fd = mkstemp(tmp);
	if (fd < 0)
		return sn_err(errno == ENOENT || errno == ENOTDIR ? EXIT_USAGE : EXIT_FAILED,
			      "--textfile '%s': %s", a->textfile.v, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return sn_err(EXIT_FAILED, "--textfile '%s': %s", a->textfile.v, strerror(errno));
	}
	ret = metrics_write(f, m, cfg, a->per_slot.set);
	/* The collector runs as another user: readable by all, as node_exporter expects. */
	if (!ret && (fchmod(fd, 0644) < 0 || fflush(f) == EOF || fsync(fd) < 0))
		ret = sn_err(EXIT_FAILED, "writing %s: %s", tmp, strerror(errno));
	if (fclose(f) == EOF && !ret)
		ret = sn_err(EXIT_FAILED, "writing %s: %s", tmp, strerror(errno));
	if (!ret && rename(tmp, path) < 0)
		ret = sn_err(EXIT_FAILED, "renaming %s to %s: %s", tmp, path, strerror(errno));
	if (ret) {
		unlink(tmp);
		return ret;
	}
	/* A timer runs it every 15 s: -q keeps the journal free of it, -j still says where. */
	sn_info("wrote %s", path);
	out_obj_open(NULL);
	out_str("textfile", NULL, path);
	out_obj_close();
	out_end();
	return EXIT_DONE;
}

static void show_config(const struct slotnet_config *cfg)
{
	char a[IPV4_STRLEN], cidr[CIDR_STRLEN];

	out_obj_open("config");
	out_str("pin_dir", "pin dir %s:", g.pin_dir);
	out_u64("slots", " %lu slots", cfg->nslots);
	out_str("prefix", ", prefix %s", cfg->prefix);
	out_str("tunnel", ", tunnel %s", config_tunnel_name(cfg->tunnel));
	out_str("remote", ", remote %s", format_ipv4(cfg->remote_be, a));
	out_str("outside", ", outside %s", format_cidr(cfg->outside_be, cfg->outside_plen, cidr));
	out_str("inside", ", inside %s", format_cidr(cfg->inside_be, cfg->inside_plen, cidr));
	out_str("gateway", " via %s", format_ipv4(cfg->gateway_be, a));
	out_str("attach", ", attach %s", config_attach_name(cfg->attach));
	out_u64("underlay_mtu", ", underlay MTU %lu", cfg->underlay_mtu);
	out_u64("guest_mtu", ", guest MTU %lu\n", cfg->guest_mtu);
	out_u64("abi_version", NULL, cfg->abi_version);
	out_u64("max_slots", NULL, cfg->max_slots);
	out_obj_close();
}

static uint64_t total_drops(const struct slotnet_dir_counters *d)
{
	uint64_t n = 0;

	for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
		n += d->drops[r];
	return n;
}

static int read_counters(int fd, unsigned slot, struct slotnet_counters *c)
{
	__u32 key = slot;

	return bpf_map_lookup_elem(fd, &key, c);
}

static void show_drops(const char *key, const char *label, const struct slotnet_dir_counters *d)
{
	const char *sep = label;

	out_obj_open(key);
	for (int r = 0; r < SLOTNET_DROP_REASONS; r++) {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), "%s %s %%lu", sep, config_drop_names[r]);
		out_u64(config_drop_names[r], d->drops[r] ? fmt : NULL, d->drops[r]);
		if (d->drops[r])
			sep = ",";
	}
	out_obj_close();
}

static const char *slot_state(const struct slotnet_slot *s, bool bound, bool scrubbing)
{
	if (!(s->flags & SLOTNET_SLOT_READY))
		return "incomplete";
	if (scrubbing)
		return "scrubbing";
	return bound ? "bound" : "free";
}

/*
 * What a VMM and its jailer need to put a guest in the slot; in text only
 * for `dump SLOT`, as one line under its row.  The MAC and address are the
 * only ones the rule sets let a guest use, so there are none without rules.
 */
static void show_vmm(const struct slotnet_config *cfg, const char *name, bool text)
{
	char path[sizeof(NETNS_RUN_DIR) + SLOT_NAME_LEN], mac[MAC_STRLEN], addr[CIDR_STRLEN];

	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	out_str("netns_path", text ? "       vmm: netns %s" : NULL, path);
	out_str("tap", text ? ", tap %s" : NULL, SLOT_TAP);
	out_u64("guest_mtu", text ? ", MTU %lu" : NULL, cfg->guest_mtu);
	if (cfg->rules & SLOTNET_RULES_ON) {
		out_str("guest_mac", text ? ", MAC %s" : NULL, format_mac(cfg->vm_mac, mac));
		out_str("guest_addr", text ? ", address %s" : NULL,
			format_cidr(cfg->vm_be, cfg->vm_plen, addr));
	} else {
		out_null("guest_mac", text ? ", MAC %s" : NULL, "any (no rules)");
		out_null("guest_addr", text ? ", address %s" : NULL, "any");
	}
	if (text)
		out_text("\n");
}

static void show_header(void)
{
	out_text("%-6s %-15s %-15s %-9s %-9s %-15s %-10s %10s %12s %8s %10s %12s %8s\n", "SLOT",
		 "NETNS", "OUTSIDE", "DUMMY_VNI", "VNI", "REMOTE", "STATE", "TX_PKTS", "TX_BYTES",
		 "TX_DROPS", "RX_PKTS", "RX_BYTES", "RX_DROPS");
}

static int show_slot(const struct sn_maps *m, const struct slotnet_config *cfg, unsigned i,
		     bool one)
{
	struct slotnet_binding bind;
	struct slotnet_counters c;
	struct slotnet_slot s;
	char name[SLOT_NAME_LEN], a[IPV4_STRLEN];
	__u32 key = i;
	bool bound, scrubbing;

	if (slot_read(m, i, &s) < 0 || read_counters(m->counters, i, &c) < 0)
		return sn_err(EXIT_FAILED, "slot %u: reading the maps: %s", i, strerror(errno));
	bound = bpf_map_lookup_elem(m->bindings, &key, &bind) == 0;
	/* An unbind's placeholder: no tenant any more, not free yet. */
	scrubbing = bound && (bind.flags & SLOTNET_BIND_SCRUBBING);
	bound = bound && !scrubbing;
	slot_name(name, cfg, i);
	out_obj_open(NULL);
	out_u64("slot", "%-6lu ", i);
	out_str("netns", "%-15s ", name);
	out_u64("ifindex", NULL, s.ifindex);
	out_str("outside", "%-15s ",
		format_ipv4(cidr_host(cfg->outside_be, cfg->outside_plen, i), a));
	out_u64("dummy_vni", "%-9lu ", cfg->dummy_vni_base + i);
	if (bound)
		out_u64("vni", "%-9lu ", bind.vni);
	else
		out_null("vni", "%-9s ", "-");
	out_str("remote", "%-15s ",
		format_ipv4(bound && (bind.flags & SLOTNET_BIND_REMOTE) ? bind.remote_be
									 : cfg->remote_be, a));
	out_str("state", "%-10s ", slot_state(&s, bound, scrubbing));
	out_u64("tx_packets", "%10lu ", c.tx.packets);
	out_u64("tx_bytes", "%12lu ", c.tx.bytes);
	out_u64("tx_drops", "%8lu ", total_drops(&c.tx));
	out_u64("rx_packets", "%10lu ", c.rx.packets);
	out_u64("rx_bytes", "%12lu ", c.rx.bytes);
	out_u64("rx_drops", "%8lu\n", total_drops(&c.rx));
	if (total_drops(&c.tx) || total_drops(&c.rx))
		out_text("%6s drops:", "");
	out_obj_open("drops");
	show_drops("tx", " leaving", &c.tx);
	show_drops("rx", total_drops(&c.tx) ? ";  entering" : " entering", &c.rx);
	out_obj_close();
	if (total_drops(&c.tx) || total_drops(&c.rx))
		out_text("\n");
	show_vmm(cfg, name, one);
	out_obj_close();
	return 0;
}

/* The pinned programs: their ids and tags (which build of the data path runs). */
static void show_programs(void)
{
	static const char *const names[] = { "from_slot", "to_slot" };
	char path[PATH_MAX], tag[PROG_TAG_LEN];

	out_text("programs:");
	out_arr_open("programs");
	for (int k = 0; k < 2; k++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", g.pin_dir, names[k]);
		fd = bpf_obj_get(path);
		if (fd < 0 || bpf_prog_get_info_by_fd(fd, &info, &len) < 0 || prog_tag(fd, tag) < 0)
			snprintf(tag, sizeof(tag), "?");
		if (fd >= 0)
			close(fd);
		out_obj_open(NULL);
		out_str("name", k ? ", %s" : " %s", names[k]);
		out_str("tag", " tag %s", tag);
		out_u64("id", " (id %lu)", info.id);
		out_obj_close();
	}
	out_arr_close();
	out_text("\n");
}

/* The kernel's own figure for a map's memory (fdinfo's memlock); 0 if it gives none. */
static uint64_t map_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Every pinned map: its size and the kernel memory it takes. */
static void show_maps(const struct sn_maps *m)
{
#define MAP_ROW(NAME, name, type, k, v, max, flags, what) { #name, m->name },
	const struct { const char *name; int fd; } maps[] = { SLOTNET_MAPS_LIST(MAP_ROW) };
#undef MAP_ROW
	uint64_t total = 0;

	out_text("maps:");
	out_arr_open("maps");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		uint64_t mem = map_memlock(maps[i].fd);

		bpf_obj_get_info_by_fd(maps[i].fd, &info, &len);
		total += mem;
		out_obj_open(NULL);
		out_str("name", i ? ", %s" : " %s", maps[i].name);
		out_u64("id", NULL, info.id);
		out_u64("type", NULL, info.type);
		out_u64("key_size", NULL, info.key_size);
		out_u64("value_size", NULL, info.value_size);
		out_u64("max_entries", " %lu", info.max_entries);
		out_u64("flags", NULL, info.map_flags);
		out_u64("memory", " (%lu B)", mem);
		out_obj_close();
	}
	out_arr_close();
	out_u64("maps_memory", "; %lu B of kernel memory", total);
	out_u64("possible_cpus", " with %lu possible CPUs\n", (uint64_t)libbpf_num_possible_cpus());
}

static int show(const struct sn_maps *m, const struct slotnet_config *cfg, long only)
{
	unsigned first = only >= 0 ? only : 0, last = only >= 0 ? only + 1 : cfg->nslots;
	int ret = 0;

	out_obj_open(NULL);
	show_config(cfg);
	if (only < 0) {
		show_programs();
		show_maps(m);
	}
	show_header();
	out_arr_open("slots");
	for (unsigned i = first; i < last && !ret; i++)
		ret = show_slot(m, cfg, i, only >= 0);
	out_arr_close();
	out_obj_close();
	out_end();
	return ret;
}

int do_dump(int argc, char **argv)
{
	struct dump_args a = { 0 };
	const struct slotnet_config *cfg;
	const struct sn_maps *m;
	bool metrics;
	unsigned slot;
	char **args;
	int nargs, ret;

	ret = opts_parse(&dump_spec, argc, argv, &a, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	metrics = a.prometheus.set || a.textfile.set;
	if (a.per_slot.set && !metrics)
		return sn_err(EXIT_USAGE, "--per-slot goes with --prometheus or --textfile");
	if (metrics && nargs)
		return sn_err(EXIT_USAGE, "the metrics cover every slot: drop '%s' (or see --per-slot)",
			      args[0]);
	if (a.prometheus.set && g.json)
		return sn_err(EXIT_USAGE, "--prometheus prints the Prometheus text format, not JSON; "
			      "drop -j");
	if (a.textfile.set && !a.textfile.v[0])
		return sn_err(EXIT_USAGE, "--textfile '': give a directory");
	if ((ret = need_privileges()) || (ret = state_get(SN_SLOTS | SN_IFSLOTS | SN_BINDINGS | SN_COUNTERS, &m, &cfg)))
		return ret;
	if (nargs == 1 && (ret = parse_slot(args[0], cfg, &slot)))
		return ret;
	if (a.textfile.set)
		return write_textfile(&a, m, cfg);
	if (a.prometheus.set) {
		ret = metrics_write(stdout, m, cfg, a.per_slot.set);
		fflush(stdout);
		return ret;
	}
	return show(m, cfg, nargs == 1 ? (long)slot : -1);
}
