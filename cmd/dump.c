// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* dump: the configuration and every slot's binding and counters, from the pins alone. */
#include "opts.h"
#include "out.h"
#include "parse.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static const struct cmd_spec dump_spec = {
	.name = "dump",
	.args = "[SLOT]",
	.summary = "Show the configuration and each slot: addresses, binding, state, counters.",
	.max_args = 1,
};

static const char *const tunnel_names[] = { "?", "vxlan", "geneve" };

static const char *tunnel_name(unsigned t)
{
	return t < sizeof(tunnel_names) / sizeof(tunnel_names[0]) ? tunnel_names[t] : "?";
}

static void show_config(const struct slotnet_config *cfg)
{
	char a[IPV4_STRLEN], cidr[IPV4_STRLEN + 4];

	out_obj_open("config");
	out_str("pin_dir", "pin dir %s:", g.pin_dir);
	out_u64("slots", " %lu slots", cfg->nslots);
	out_str("prefix", ", prefix %s", cfg->prefix);
	out_str("tunnel", ", tunnel %s", tunnel_name(cfg->tunnel));
	out_str("remote", ", remote %s", format_ipv4(cfg->remote_be, a));
	snprintf(cidr, sizeof(cidr), "%s/%u", format_ipv4(cfg->outside_be, a), cfg->outside_plen);
	out_str("outside", ", outside %s", cidr);
	snprintf(cidr, sizeof(cidr), "%s/%u", format_ipv4(cfg->inside_be, a), cfg->inside_plen);
	out_str("inside", ", inside %s", cidr);
	out_str("gateway", " via %s\n", format_ipv4(cfg->gateway_be, a));
	out_u64("abi_version", NULL, cfg->abi_version);
	out_obj_close();
}

struct counters_buf {
	struct slotnet_counters *percpu;
	int ncpus;
};

static int sum_counters(int fd, unsigned slot, struct counters_buf *cb, struct slotnet_counters *sum)
{
	__u32 key = slot;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fd, &key, cb->percpu) < 0)
		return -1;
	for (int c = 0; c < cb->ncpus; c++) {
		const struct slotnet_counters *v = &cb->percpu[c];

		sum->tx_packets += v->tx_packets;
		sum->tx_bytes += v->tx_bytes;
		sum->tx_drops += v->tx_drops;
		sum->rx_packets += v->rx_packets;
		sum->rx_bytes += v->rx_bytes;
		sum->rx_drops += v->rx_drops;
	}
	return 0;
}

static const char *slot_state(const struct slotnet_slot *s, bool bound)
{
	if (!(s->flags & SLOTNET_SLOT_READY))
		return "incomplete";
	return bound ? "bound" : "free";
}

static void show_header(void)
{
	out_text("%-6s %-15s %-15s %-9s %-9s %-15s %-10s %10s %12s %8s %10s %12s %8s\n", "SLOT",
		 "NETNS", "OUTSIDE", "DUMMY_VNI", "VNI", "REMOTE", "STATE", "TX_PKTS", "TX_BYTES",
		 "TX_DROPS", "RX_PKTS", "RX_BYTES", "RX_DROPS");
}

static int show_slot(const struct sn_maps *m, const struct slotnet_config *cfg, unsigned i,
		     struct counters_buf *cb)
{
	struct slotnet_binding bind;
	struct slotnet_counters c;
	struct slotnet_slot s;
	char name[SLOT_NAME_LEN], a[IPV4_STRLEN];
	__u32 key = i;
	bool bound;

	if (slot_read(m, i, &s) < 0 || sum_counters(m->counters, i, cb, &c) < 0)
		return sn_err(EXIT_FAILED, "slot %u: reading the maps: %s", i, strerror(errno));
	bound = bpf_map_lookup_elem(m->bindings, &key, &bind) == 0;
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
	out_str("state", "%-10s ", slot_state(&s, bound));
	out_u64("tx_packets", "%10lu ", c.tx_packets);
	out_u64("tx_bytes", "%12lu ", c.tx_bytes);
	out_u64("tx_drops", "%8lu ", c.tx_drops);
	out_u64("rx_packets", "%10lu ", c.rx_packets);
	out_u64("rx_bytes", "%12lu ", c.rx_bytes);
	out_u64("rx_drops", "%8lu\n", c.rx_drops);
	out_obj_close();
	return 0;
}

static int show(const struct sn_maps *m, const struct slotnet_config *cfg, long only)
{
	struct counters_buf cb = { .ncpus = libbpf_num_possible_cpus() };
	unsigned first = only >= 0 ? only : 0, last = only >= 0 ? only + 1 : cfg->nslots;
	int ret = 0;

	if (cb.ncpus <= 0)
		return sn_err(EXIT_FAILED, "counting CPUs: %s", strerror(-cb.ncpus));
	cb.percpu = calloc(cb.ncpus, sizeof(*cb.percpu));
	if (!cb.percpu)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	out_obj_open(NULL);
	show_config(cfg);
	show_header();
	out_arr_open("slots");
	for (unsigned i = first; i < last && !ret; i++)
		ret = show_slot(m, cfg, i, &cb);
	out_arr_close();
	out_obj_close();
	out_end();
	free(cb.percpu);
	return ret;
}

int do_dump(int argc, char **argv)
{
	struct slotnet_config cfg;
	struct sn_maps m;
	char **args;
	int nargs, ret;
	long only = -1;

	ret = opts_parse(&dump_spec, argc, argv, NULL, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	if ((ret = need_privileges()) || (ret = state_open(g.pin_dir, &m, &cfg)))
		return ret;
	if (nargs == 1) {
		const char *why;
		uint32_t slot;

		if (parse_u32(args[0], 0, cfg.nslots - 1, &slot, &why) < 0) {
			state_close(&m);
			return sn_err(EXIT_USAGE, "slot '%s': %s (slots are 0..%u)", args[0], why,
				      cfg.nslots - 1);
		}
		only = slot;
	}
	ret = show(&m, &cfg, only);
	state_close(&m);
	return ret;
}
