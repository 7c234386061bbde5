// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prewarm's configuration: the options applied to the defaults or to the
 * pinned configuration, what differs from it (a conflict), and the checks
 * of the result.
 */
#include "config.h"
#include "prewarm_priv.h"
#include "lock.h"
#include "netns.h"
#include "nl.h"
#include "opts.h"
#include "parse.h"
#include "pool.h"
#include "rt.h"
#include "ruleset.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"
#include "out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* Given options must agree with the pinned configuration; others inherit it. */
static int merge_pinned(const struct prewarm_args *a, struct slotnet_config *cfg)
{
	char diff[512] = "", x[IPV4_STRLEN], y[IPV4_STRLEN];

	if (a->slots.set && a->slots.v < cfg->nslots)
		append(diff, sizeof(diff), ", --slots %u (pinned %u; teardown to shrink)",
		       a->slots.v, cfg->nslots);
	if (a->max_slots.set && a->max_slots.v < cfg->max_slots)
		append(diff, sizeof(diff), ", --max-slots %u (pinned %u; teardown to shrink)",
		       a->max_slots.v, cfg->max_slots);
	if (a->prefix.set && strcmp(a->prefix.v, cfg->prefix))
		append(diff, sizeof(diff), ", --prefix '%s' (pinned '%s')", a->prefix.v, cfg->prefix);
	if (a->tunnel.set && (unsigned)a->tunnel.v + 1 != cfg->tunnel)
		append(diff, sizeof(diff), ", --tunnel %s (pinned %s)",
		       config_tunnel_names[a->tunnel.v], config_tunnel_name(cfg->tunnel));
	if (a->remote.set && a->remote.be != cfg->remote_be)
		append(diff, sizeof(diff), ", --remote %s (pinned %s)", format_ipv4(a->remote.be, x),
		       format_ipv4(cfg->remote_be, y));
	if (a->outside.set &&
	    (a->outside.net_be != cfg->outside_be || a->outside.plen != cfg->outside_plen))
		append(diff, sizeof(diff), ", --outside %s/%u (pinned %s/%u)",
		       format_ipv4(a->outside.net_be, x), a->outside.plen,
		       format_ipv4(cfg->outside_be, y), cfg->outside_plen);
	if (a->attach.set && (unsigned)a->attach.v + 1 != cfg->attach)
		append(diff, sizeof(diff), ", --attach %s (pinned %s)",
		       config_attach_names[a->attach.v], config_attach_name(cfg->attach));
	if (a->underlay_mtu.set && a->underlay_mtu.v != cfg->underlay_mtu)
		append(diff, sizeof(diff), ", --underlay-mtu %u (pinned %u)", a->underlay_mtu.v,
		       cfg->underlay_mtu);
	if (diff[0])
		return sn_err(EXIT_USAGE, "differs from the configuration pinned in %s: %s",
			      g.pin_dir, diff + 2);
	if (a->slots.set)
		cfg->nslots = a->slots.v;
	return 0;
}

/*
 * The slot-indexed maps' size: --max-slots, else what the pins have, grown
 * (rounded up) when --slots needs more, or sized afresh when the maps are
 * made again for another map ABI (older ones were far too large).
 */
static int choose_max_slots(const struct prewarm_args *a, struct slotnet_config *cfg,
			    bool remade)
{
	const char *why;

	if (a->max_slots.set && config_check_max_slots(a->max_slots.v, &why) < 0)
		return sn_err(EXIT_USAGE, "--max-slots %u: %s", a->max_slots.v, why);
	if (a->max_slots.set)
		cfg->max_slots = a->max_slots.v;
	else if (remade || cfg->max_slots < cfg->nslots)
		cfg->max_slots = config_default_max_slots(cfg->nslots);
	if (cfg->nslots > cfg->max_slots)
		return sn_err(EXIT_USAGE, "--slots %u: more than --max-slots %u", cfg->nslots,
			      cfg->max_slots);
	return 0;
}

/* Asks about tcx programs on lo, which every namespace has: kernels before 6.6 say EINVAL. */
static bool tcx_supported(void)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);

	return bpf_prog_query_opts(1, BPF_TCX_INGRESS, &q) == 0;
}

static void apply_args(const struct prewarm_args *a, struct slotnet_config *cfg)
{
	if (a->slots.set)
		cfg->nslots = a->slots.v;
	if (a->prefix.set)
		snprintf(cfg->prefix, sizeof(cfg->prefix), "%s", a->prefix.v);
	if (a->tunnel.set)
		cfg->tunnel = a->tunnel.v + 1;
	if (a->remote.set)
		cfg->remote_be = a->remote.be;
	if (a->outside.set) {
		cfg->outside_be = a->outside.net_be;
		cfg->outside_plen = a->outside.plen;
	}
	if (a->attach.set)
		cfg->attach = a->attach.v + 1;
	if (a->underlay_mtu.set) {
		cfg->underlay_mtu = a->underlay_mtu.v;
		cfg->guest_mtu = config_guest_mtu(cfg->underlay_mtu);
	}
}

static int validate(const struct prewarm_args *a, const struct slotnet_config *cfg)
{
	char x[IPV4_STRLEN];
	const char *why;

	if (a->prefix.set && strlen(a->prefix.v) >= SLOTNET_PREFIX_MAX)
		return sn_err(EXIT_USAGE, "--prefix '%s': too long: prefix and slot number must "
			      "fit an interface name (15 characters)", a->prefix.v);
	if (!cfg->nslots)
		return sn_err(EXIT_USAGE, "--slots N is required (nothing is pinned in %s yet)",
			      g.pin_dir);
	if (check_prefix(cfg->prefix, cfg->nslots, &why) < 0)
		return sn_err(EXIT_USAGE, "--prefix '%s': %s", cfg->prefix, why);
	if (cfg->nslots > cidr_host_count(cfg->outside_plen))
		return sn_err(EXIT_USAGE, "--slots %u: --outside %s/%u has only %llu host addresses",
			      cfg->nslots, format_ipv4(cfg->outside_be, x), cfg->outside_plen,
			      (unsigned long long)cidr_host_count(cfg->outside_plen));
	if (check_unicast_range(cfg->outside_be, cfg->outside_plen, &why) < 0)
		return sn_err(EXIT_USAGE, "--outside %s/%u: %s: slots' outside addresses must be "
			      "unicast", format_ipv4(cfg->outside_be, x), cfg->outside_plen, why);
	if (cidr_contains(cfg->outside_be, cfg->outside_plen, cfg->inside_be & cidr_mask(cfg->inside_plen)) ||
	    cidr_contains(cfg->inside_be & cidr_mask(cfg->inside_plen), cfg->inside_plen, cfg->outside_be))
		return sn_err(EXIT_USAGE, "--outside %s/%u: overlaps the slots' own underlay %s/%u",
			      format_ipv4(cfg->outside_be, x), cfg->outside_plen, SLOT_INSIDE_ADDR,
			      SLOT_INSIDE_PLEN);
	if (config_check_remote(cfg, cfg->remote_be, &why) < 0)
		return sn_err(EXIT_USAGE, "--remote %s: %s", format_ipv4(cfg->remote_be, x), why);
	if (cfg->attach == SLOTNET_ATTACH_TCX && !tcx_supported())
		return sn_err(EXIT_USAGE, "--attach tcx: this kernel has no tcx (Linux 6.6 or later); "
			      "use --attach tc");
	return 0;
}

int load_config(struct prewarm *p, const struct prewarm_args *a)
{
	int ret;

	/* A map pin removed by hand comes back from the programs before anything reads it. */
	if ((ret = state_repin(g.pin_dir)))
		return ret;
	ret = state_read_config(g.pin_dir, &p->cfg, &p->pinned_abi);
	if (ret && ret != STATE_FRESH)
		return ret;
	p->prewarmed = !ret;
	p->pinned = p->cfg;
	if (!p->prewarmed)
		config_defaults(&p->cfg, g.pin_dir);
	if (p->prewarmed && (ret = merge_pinned(a, &p->cfg)))
		return ret;
	if (!p->prewarmed)
		apply_args(a, &p->cfg);
	p->cfg.flags &= ~SLOTNET_CONFIG_ALL_READY; /* until this run has finished */
	if ((ret = validate(a, &p->cfg)) || (ret = choose_max_slots(a, &p->cfg, p->prewarmed &&
	    (p->pinned_abi & ~SLOTNET_ABI_MOVING) != SLOTNET_ABI_VERSION)))
		return ret;
	return load_rules(p, a);
}
