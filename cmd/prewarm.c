// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prewarm: create every slot at boot.  The order keeps the RTNL lock's
 * queue short: per chunk of slots, the namespaces first, then each slot's
 * devices in one netlink batch sent from inside the slot (the veth made
 * with its peer already in the root namespace), then one root batch for
 * the chunk's root-side links, routes and neighbours.  A slot counts as made
 * only when its READY flag is pinned, so a crash leaves nothing that a
 * re-run would mistake for finished work.
 */
#include "config.h"
#include "metrics.h"
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

#define A struct prewarm_args
static const struct opt_def prewarm_opts[] = {
	OPT("slots", 'n', OPT_U32, A, slots, "N",
	    "slots 0..N-1 (default: the pinned count)", .min = 1, .max = SLOTNET_MAX_SLOTS),
	OPT("max-slots", 'M', OPT_U32, A, max_slots, "N",
	    "size the slot-indexed maps for N slots, a power of two (default: --slots rounded up, "
	    "at least " CONFIG_STR(SLOTNET_MIN_MAX_SLOTS) "); more later is an upgrade",
	    .min = SLOTNET_MIN_MAX_SLOTS, .max = SLOTNET_MAX_SLOTS),
	OPT("prefix", 'p', OPT_STR, A, prefix, "P", "name slots P0, P1, ... (default " CONFIG_DEFAULT_PREFIX ")"),
	OPT("tunnel", 't', OPT_ENUM, A, tunnel, "vxlan|geneve", "tunnel type (default " CONFIG_DEFAULT_TUNNEL ")",
	    .choices = config_tunnel_names),
	OPT("remote", 'r', OPT_IPV4, A, remote, "ADDR",
	    "tunnels' default remote (default " CONFIG_DEFAULT_REMOTE ", a placeholder)"),
	OPT("outside", 'o', OPT_CIDR, A, outside, "CIDR",
	    "slot i's outside address is the i-th host of CIDR (default " CONFIG_DEFAULT_OUTSIDE ")"),
	OPT("underlay-mtu", 'm', OPT_U32, A, underlay_mtu, "N",
	    "the underlay's MTU: eth0 and the root veths get N, the guest N-"
	    CONFIG_STR(CONFIG_TUNNEL_OVERHEAD) " (default " CONFIG_STR(CONFIG_DEFAULT_UNDERLAY_MTU) ")",
	    .min = CONFIG_UNDERLAY_MTU_MIN, .max = CONFIG_UNDERLAY_MTU_MAX),
	OPT("jobs", 'J', OPT_U32, A, jobs, "N",
	    "workers making slots at once (default: online CPUs, at most 4)", .min = 1, .max = 16),
	OPT("attach", 'a', OPT_ENUM, A, attach, "tc|tcx",
	    "how the programs sit on the root veths: tc, clsact on shared filter blocks, "
	    "or tcx, pinned links (~40 ms per slot) (default " CONFIG_DEFAULT_ATTACH ")", .choices = config_attach_names),
	OPT("rules", 'R', OPT_FLAG, A, rules, NULL,
	    "install the firewall rules too, and keep them on later runs (see slotnet-rules(8))"),
	RULES_OPT_DEFS(A, ro),
	{ 0 },
};
#undef A

static const struct cmd_spec prewarm_spec = {
	.name = "prewarm",
	.summary = "Create (or complete) slots 0..N-1 and pin their state; safe to re-run.",
	.opts = prewarm_opts,
};

int slot_failed(unsigned i, const char *step, int err, const char *extack)
{
	return sn_err(EXIT_FAILED, "slot %u: %s: %s%s%s", i, step, strerror(err),
		      extack && *extack ? ": " : "", extack ? extack : "");
}

int commit_root(struct rt_batch *b)
{
	const struct rt_error *e;

	if (rt_batch_commit(b) == 0)
		return 0;
	e = rt_batch_error(b);
	if (e->tag < 0)
		return sn_err(EXIT_FAILED, "%s: %s", e->what, strerror(e->err));
	return slot_failed(e->tag, e->what, e->err, e->extack);
}

/* The root namespace forwards between the slots and the underlay. */
static int enable_forwarding(void)
{
	const char *path = "/proc/sys/net/ipv4/ip_forward";
	char now = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
	/* Each write walks every device of the namespace: only when needed. */
	if (read(fd, &now, 1) != 1 || (now != '1' && pwrite(fd, "1\n", 2, 0) != 2))
		ret = sn_err(EXIT_FAILED, "turning on IPv4 forwarding (%s): %s", path, strerror(errno));
	close(fd);
	return ret;
}

static int mark_ready(struct prewarm *p, const unsigned *slots, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned i = slots[k];
		struct slotnet_slot s = {
			.ifindex = p->root_ifindex[i],
			.outside_be = cidr_host(p->cfg.outside_be, p->cfg.outside_plen, i),
			.dummy_vni = p->cfg.dummy_vni_base + i,
			.flags = SLOTNET_SLOT_READY,
		};

		if (slot_write(&p->maps, i, &s) < 0)
			return slot_failed(i, "recording the slot", errno, NULL);
	}
	return 0;
}

/* A chunk's time, shared evenly by its slots, each counted in its own tenth of the run. */
static void account(struct prewarm *p, unsigned done, unsigned n, const double t[PHASES + 1])
{
	pthread_mutex_lock(&p->lock);
	p->made += n;
	sn_progress(p->made, p->ntodo);
	for (unsigned k = 0; k < n; k++) {
		unsigned tenth = (done + k) * 10 / p->ntodo;

		for (int ph = 0; ph < PHASES; ph++)
			p->phase_ms[tenth][ph] += (t[ph + 1] - t[ph]) / n;
		p->tenth_slots[tenth]++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* The slot's rule sets, before it counts as made: no slot is ever bound without them. */
static int add_rules(struct prewarm *p, const unsigned *slots, unsigned n, const int *fds)
{
	char err[256];
	struct fw_diff diff;

	for (unsigned k = 0; k < n && p->rules; k++)
		for (int fam = 0; fam < FW_FAMILIES; fam++)
			if (fw_sync(&p->tools, fam, fds[k], &p->want[fam], FW_APPLY, true, &diff, err,
				    sizeof(err)) < 0)
				return sn_err(EXIT_FAILED, "slot %u: installing its rules: %s",
					      slots[k], err);
	return 0;
}

static int make_chunk(struct lane *l, const unsigned *slots, unsigned n, unsigned done)
{
	struct prewarm *p = l->p;
	int fds[CHUNK];
	double t[PHASES + 1];
	int ret;

	for (unsigned k = 0; k < n; k++)
		fds[k] = -1;
	t[0] = sn_now_ms();
	ret = make_namespaces(l, slots, n, fds);
	t[1] = sn_now_ms();
	if (!ret)
		ret = make_devices(p, slots, n, fds);
	t[2] = sn_now_ms();
	if (!ret)
		ret = add_rules(p, slots, n, fds);
	t[3] = sn_now_ms();
	if (setns(p->root_ns, CLONE_NEWNET) < 0 && !ret)
		ret = sn_err(EXIT_FAILED, "returning to the root namespace: %s", strerror(errno));
	for (unsigned k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	if (!ret)
		ret = attach_chunk(p, slots, n);
	if (!ret)
		ret = wire_root(l, slots, n);
	if (!ret)
		ret = mark_ready(p, slots, n);
	t[4] = sn_now_ms();
	account(p, done, n, t);
	return ret;
}

static void show_timings(const struct prewarm *p)
{
	if (!g.verbose)
		return;
	for (int t = 0; t < 10; t++) {
		double n = p->tenth_slots[t];

		if (!n)
			continue;
		sn_debug("tenth %d: %4.0f slots, ms/slot: netns %.3f devices %.3f rules %.3f "
			 "root %.3f", t + 1, n, p->phase_ms[t][PHASE_NETNS] / n,
			 p->phase_ms[t][PHASE_DEVICES] / n, p->phase_ms[t][PHASE_RULES] / n,
			 p->phase_ms[t][PHASE_ROOT] / n);
	}
}

static int lane_work(void *worker, unsigned first, unsigned n)
{
	struct lane *l = worker;

	return make_chunk(l, l->p->todo + first, n, first);
}

static int make_slots(struct prewarm *p)
{
	struct lane lanes[16] = { 0 };
	struct pool pool = { .total = p->ntodo, .chunk = CHUNK, .work = lane_work };
	int ret = 0;

	for (unsigned w = 0; w < p->jobs; w++) {
		lanes[w].p = p;
		procfs_init(&lanes[w].proc);
		if (!ret && !(lanes[w].nl = nl_socket_open(NETLINK_ROUTE)))
			ret = sn_err(EXIT_FAILED, "starting worker %u: %s", w, strerror(errno));
	}
	if (!ret && (ret = pool_run(&pool, lanes, sizeof(lanes[0]), p->jobs)) < 0)
		ret = sn_err(EXIT_FAILED, "starting a worker: %s", strerror(pool.start_err));
	for (unsigned w = 0; w < p->jobs; w++) {
		nl_socket_close(lanes[w].nl);
		procfs_close(&lanes[w].proc);
	}
	show_timings(p);
	return ret;
}


static int check_tunnel_support(struct prewarm *p)
{
	int ok;

	if (p->cfg.tunnel != SLOTNET_TUNNEL_GENEVE)
		return 0;
	ok = rt_geneve_supported(p->root_nl);
	if (ok < 0)
		return sn_err(EXIT_FAILED, "probing for Geneve: %s", strerror(errno));
	if (!ok)
		return sn_err(EXIT_FAILED, "--tunnel geneve: this kernel has no Geneve "
			      "(CONFIG_GENEVE unset and no geneve module); use --tunnel vxlan");
	return 0;
}

/* With --rules, or rules already installed: the tools must be there before any slot is made. */
int load_rules(struct prewarm *p, const struct prewarm_args *a)
{
	int ret;

	if (rules_opts_given(&a->ro) && !a->rules.set)
		return sn_err(EXIT_USAGE, "rule options (--uplink, --vm-addr, ...) go with --rules");
	if ((ret = rules_opts_merge(&a->ro, &p->cfg)))
		return ret;
	if (a->rules.set)
		p->cfg.rules |= SLOTNET_RULES_ON;
	p->rules = p->cfg.rules & SLOTNET_RULES_ON;
	if (!p->rules)
		return 0;
	for (int fam = 0; fam < FW_FAMILIES; fam++)
		ruleset_slot(&p->cfg, fam, &p->want[fam]);
	return fw_tools_find(p->cfg.backend, &p->tools);
}

/* The root set, and any slot made earlier whose rules drifted or never went in. */
static int refresh_rules(struct prewarm *p)
{
	struct rules_outcome o;
	bool *made_now;
	int ret;

	if (!p->rules)
		return 0;
	made_now = calloc(p->cfg.nslots, sizeof(*made_now));
	if (!made_now)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	for (unsigned k = 0; k < p->ntodo; k++)
		made_now[p->todo[k]] = true;
	ret = rules_change(&p->cfg, &p->tools, FW_APPLY, RULES_ROOT | RULES_SLOTS, made_now, p->jobs,
			   &o);
	sn_debug("rules: %u namespaces checked, %u changed in %.0f ms", o.namespaces, o.changed,
		 o.ms);
	rules_outcome_free(&o);
	free(made_now);
	return ret;
}

static unsigned default_jobs(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
}

static int setup(struct prewarm *p)
{
	p->root_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	p->root_nl = nl_socket_open(NETLINK_ROUTE);
	if (p->root_ns < 0 || !p->root_nl)
		return sn_err(EXIT_FAILED, "opening the root namespace: %s", strerror(errno));
	p->have_ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	pthread_mutex_init(&p->lock, NULL);
	p->root_ifindex = calloc(p->cfg.nslots, sizeof(*p->root_ifindex));
	p->root_link = calloc(p->cfg.nslots, sizeof(*p->root_link));
	p->todo = calloc(p->cfg.nslots, sizeof(*p->todo));
	if (!p->root_ifindex || !p->root_link || !p->todo)
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	return 0;
}

static void cleanup(struct prewarm *p)
{
	nl_socket_close(p->root_nl);
	if (p->root_ns >= 0)
		close(p->root_ns);
	state_close(&p->maps);
	progs_close(&p->progs);
	free(p->root_ifindex);
	free(p->root_link);
	free(p->todo);
}

static void report(const struct prewarm *p, double ms)
{
	out_obj_open(NULL);
	out_u64("slots", "%lu slots ready", p->cfg.nslots);
	out_u64("created", " (%lu created", p->ntodo - p->repaired);
	out_u64("repaired", ", %lu repaired)", p->repaired);
	out_str("pin_dir", " in %s", g.pin_dir);
	out_u64("ms", " in %lu ms", (uint64_t)ms);
	out_bool("upgraded", p->upgraded ? "; maps upgraded" : NULL, p->upgraded);
	out_bool("programs_replaced", (p->progs_replaced & PROGS_NEW_CODE) ? "; programs replaced"
				      : NULL, p->progs_replaced & PROGS_NEW_CODE);
	out_text("\n");
	out_obj_close();
	out_end();
}

int do_prewarm(int argc, char **argv)
{
	struct prewarm_args a = { 0 };
	struct prewarm p = { .root_ns = -1, .maps = SN_MAPS_CLOSED, .progs = SN_PROGS_CLOSED };
	double start = sn_now_ms();
	char **args;
	int nargs, ret;

	ret = opts_parse(&prewarm_spec, argc, argv, &a, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	p.jobs = a.jobs.set ? a.jobs.v : default_jobs();
	if ((ret = need_privileges()) || (ret = pin_dir_check(g.pin_dir)) ||
	    (ret = lock_pin_dir()) || (ret = load_config(&p, &a)) || (ret = setup(&p)) ||
	    (ret = check_tunnel_support(&p)) || (ret = survey_links(&p)))
		goto out;
	if ((ret = netns_prepare_dir()) < 0) {
		ret = sn_err(EXIT_FAILED, "preparing %s: %s", NETNS_RUN_DIR, strerror(errno));
		goto out;
	}
	sn_debug("the root's links surveyed at %.0f ms", sn_now_ms() - start);
	if ((upgrade_needed(&p) && (ret = upgrade_maps(&p))) ||
	    (ret = state_create(g.pin_dir, p.prewarmed, p.cfg.max_slots, &p.maps, &p.progs,
				 &p.progs_replaced, p.cfg.map_ids)) ||
	    (ret = state_write_config(&p.maps, &p.cfg)) || (ret = enable_forwarding()))
		goto out;
	sn_debug("maps and programs in place at %.0f ms", sn_now_ms() - start);
	if ((ret = find_todo(&p)) || (ret = clear_leftovers(&p)) || (ret = make_slots(&p)) ||
	    (ret = prune_maps(&p)))
		goto out;
	sn_debug("slots made at %.0f ms", sn_now_ms() - start);
	if ((ret = refresh_tc_attach(&p)) || (ret = refresh_tcx_links(&p)) ||
	    (ret = refresh_rules(&p)))
		goto out;
	sn_debug("attach and rules refreshed at %.0f ms", sn_now_ms() - start);
	p.cfg.flags |= SLOTNET_CONFIG_ALL_READY;
	if ((ret = state_write_config(&p.maps, &p.cfg)))
		goto out;
	report(&p, sn_now_ms() - start);
	record_run("prewarm", sn_now_ms() - start, p.cfg.nslots, p.ntodo);
out:
	cleanup(&p);
	return ret;
}
