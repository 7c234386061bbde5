// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bind: a slot becomes a tenant's network by one write to the bindings map.
 * No device is touched; the data path reads the binding on the next packet.
 * The write replaces the whole hash element, so a packet in flight sees
 * the old binding or the new one, never a VNI of one and a remote of the other.
 */
#include "config.h"
#include "lock.h"
#include "opts.h"
#include "out.h"
#include "parse.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

struct bind_args {
	struct opt_u32 vni;
	struct opt_ipv4 remote;
	struct opt_flag force;
	struct opt_flag any;
};

#define A struct bind_args
static const struct opt_def bind_opts[] = {
	OPT("vni", 'i', OPT_U32, A, vni, "VNI", "the tenant's VNI (required)", .min = 0,
	    .max = SLOTNET_VNI_MAX),
	OPT("remote", 'r', OPT_IPV4, A, remote, "ADDR",
	    "the tenant's tunnel endpoint (default: prewarm's --remote)"),
	OPT("force", 'f', OPT_FLAG, A, force, NULL, "replace the slot's binding to another tenant"),
	OPT("any", 'a', OPT_FLAG, A, any, NULL, "claim a free slot and print its number"),
	{ 0 },
};
#undef A

static const struct cmd_spec bind_spec = {
	.name = "bind",
	.args = "SLOT | --any",
	.summary = "Bind a prewarmed slot to a tenant's VNI (and remote): one map write.",
	.opts = bind_opts,
	.max_args = 1,
};

/* Attempts at a slot another binder takes or frees between our two looks. */
#define RACE_RETRIES 8

static int check_args(const struct bind_args *a, int nargs)
{
	char x[IPV4_STRLEN];
	const char *why;

	if (!nargs && !a->any.set)
		return sn_err(EXIT_USAGE, "give a SLOT or --any");
	if (nargs && a->any.set)
		return sn_err(EXIT_USAGE, "a SLOT and --any exclude each other (--any picks the slot)");
	if (a->any.set && a->force.set)
		return sn_err(EXIT_USAGE, "--any and --force exclude each other (--any takes free slots only)");
	if (!a->vni.set)
		return sn_err(EXIT_USAGE, "--vni VNI is required");
	if (config_check_vni(a->vni.v, &why) < 0)
		return sn_err(EXIT_USAGE, "--vni %u: %s", a->vni.v, why);
	if (a->remote.set && check_unicast(a->remote.be, &why) < 0)
		return sn_err(EXIT_USAGE, "--remote '%s': %s", format_ipv4(a->remote.be, x), why);
	return 0;
}

/* A remote must not lead back into the worker: another slot, the slot itself, this host. */
static int check_remote(const struct bind_args *a, const struct slotnet_config *cfg)
{
	char x[IPV4_STRLEN];
	const char *why;

	if (a->remote.set && config_check_remote(cfg, a->remote.be, &why) < 0)
		return sn_err(EXIT_USAGE, "--remote '%s': %s", format_ipv4(a->remote.be, x), why);
	return 0;
}

static bool same_binding(const struct slotnet_binding *x, const struct slotnet_binding *y)
{
	return x->vni == y->vni && x->flags == y->flags &&
	       (!(x->flags & SLOTNET_BIND_REMOTE) || x->remote_be == y->remote_be);
}

static int conflict(unsigned slot, const struct slotnet_binding *old)
{
	char x[IPV4_STRLEN];

	if (old->flags & SLOTNET_BIND_SCRUBBING)
		return sn_err(EXIT_CONFLICT, "slot %u: being scrubbed by unbind (retry; if an unbind "
			      "was interrupted, run 'slotnet unbind %u' again)", slot, slot);
	if (old->flags & SLOTNET_BIND_REMOTE)
		return sn_err(EXIT_CONFLICT, "slot %u: already bound to VNI %u remote %s (use --force)",
			      slot, old->vni, format_ipv4(old->remote_be, x));
	return sn_err(EXIT_CONFLICT, "slot %u: already bound to VNI %u (use --force)", slot, old->vni);
}

static bool slot_ready(const struct slotnet_config *cfg, unsigned slot)
{
	const struct slotnet_config *unused;
	const struct sn_maps *m;
	struct slotnet_slot s;

	/* After a complete prewarm, the slots map need not even be opened. */
	if (cfg->flags & SLOTNET_CONFIG_ALL_READY)
		return true;
	return state_get(SN_SLOTS, &m, &unused) == 0 && slot_read(m, slot, &s) == 0 &&
	       (s.flags & SLOTNET_SLOT_READY);
}

static int map_failed(unsigned slot, const char *step)
{
	return sn_err(EXIT_FAILED, "slot %u: %s the bindings map: %s", slot, step, strerror(errno));
}

/* --force: the binding is written unless it is already exactly so. */
static int replace_binding(const struct sn_maps *m, unsigned slot,
			   const struct slotnet_binding *b, bool *changed)
{
	struct slotnet_binding old;
	__u32 key = slot;

	if (bpf_map_lookup_elem(m->bindings, &key, &old) == 0) {
		if (old.flags & SLOTNET_BIND_SCRUBBING) /* not even --force takes it mid-scrub */
			return conflict(slot, &old);
		if (same_binding(&old, b))
			return 0;
	}
	if (bpf_map_update_elem(m->bindings, &key, b, BPF_ANY) < 0)
		return map_failed(slot, "writing");
	*changed = true;
	return 0;
}

/* Without --force: the insert itself decides, so two binders cannot both win. */
static int insert_binding(const struct sn_maps *m, unsigned slot,
			  const struct slotnet_binding *b, bool *changed)
{
	struct slotnet_binding old;
	__u32 key = slot;

	for (int tries = 0; tries < RACE_RETRIES; tries++) {
		if (bpf_map_update_elem(m->bindings, &key, b, BPF_NOEXIST) == 0) {
			*changed = true;
			return 0;
		}
		if (errno != EEXIST)
			return map_failed(slot, "writing");
		if (bpf_map_lookup_elem(m->bindings, &key, &old) == 0)
			return same_binding(&old, b) ? 0 : conflict(slot, &old);
		if (errno != ENOENT)
			return map_failed(slot, "reading");
		/* Unbound between the two calls: try again. */
	}
	return sn_err(EXIT_FAILED, "slot %u: bound and unbound by others too often; try again", slot);
}

/* Marks every bound slot, with as few syscalls as the kernel allows. */
static int bound_slots(const struct sn_maps *m, const struct slotnet_config *cfg, bool *bound)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(cfg->nslots, sizeof(*keys)), out = 0, count, total = 0;
	struct slotnet_binding *vals = calloc(cfg->nslots, sizeof(*vals));
	void *in = NULL;
	int ret = 0;

	if (!keys || !vals) {
		errno = ENOMEM;
		ret = -1;
	}
	while (!ret && total < cfg->nslots) {
		count = cfg->nslots - total;
		ret = bpf_map_lookup_batch(m->bindings, in, &out, keys + total, vals + total, &count,
					   &opts);
		total += count;
		in = &out;
		if (ret < 0 && errno == ENOENT) { /* the end of the map */
			ret = 0;
			break;
		}
	}
	for (__u32 k = 0; !ret && k < total; k++)
		if (keys[k] < cfg->nslots)
			bound[keys[k]] = true;
	free(keys);
	free(vals);
	return ret;
}

static int claim_free_slot(const struct sn_maps *m, const struct slotnet_config *cfg,
			   const struct slotnet_binding *b, unsigned *slot)
{
	bool *bound = calloc(cfg->nslots, sizeof(*bound));
	int ret = EXIT_CONFLICT;

	if (!bound || bound_slots(m, cfg, bound) < 0) {
		free(bound);
		return sn_err(EXIT_FAILED, "reading the bindings map: %s", strerror(errno));
	}
	for (unsigned i = 0; i < cfg->nslots && ret == EXIT_CONFLICT; i++) {
		__u32 key = i;

		int locked;

		if (bound[i] || !slot_ready(cfg, i))
			continue;
		/* A slot whose lock is held is being bound or unbound: not free. */
		locked = lock_slot_try(i);
		if (locked < 0) {
			ret = sn_err(EXIT_FAILED, "slot %u: locking it: %s", i, strerror(errno));
			break;
		}
		if (!locked)
			continue;
		if (bpf_map_update_elem(m->bindings, &key, b, BPF_NOEXIST) == 0) {
			*slot = i;
			ret = 0;
		} else if (errno != EEXIST) { /* EEXIST: another binder took it first */
			ret = map_failed(i, "writing");
		}
		unlock_slot(i);
	}
	free(bound);
	if (ret == EXIT_CONFLICT)
		sn_err(ret, "no free slot (all %u slots are bound or not ready)", cfg->nslots);
	return ret;
}

static void report(unsigned slot, const struct slotnet_binding *b, bool any, bool changed)
{
	char x[IPV4_STRLEN];

	out_obj_open(NULL);
	out_u64("slot", any ? "%lu\n" : NULL, slot);
	out_u64("vni", NULL, b->vni);
	if (b->flags & SLOTNET_BIND_REMOTE)
		out_str("remote", NULL, format_ipv4(b->remote_be, x));
	else
		out_null("remote", NULL, NULL);
	out_bool("changed", NULL, changed);
	out_obj_close();
	out_end();
}

/* Binds as A says, the binders' lock held: an upgrade never moves the maps meanwhile. */
static int bind_locked(const struct bind_args *a, char **args)
{
	struct slotnet_binding b = { 0 };
	const struct slotnet_config *cfg, *pinned;
	struct slotnet_config cfg_copy;
	const struct sn_maps *m;
	bool changed = false;
	unsigned slot = 0;
	int ret;

	if ((ret = state_get(SN_BINDINGS, &m, &pinned)))
		return ret;
	/* A copy: slot_ready() reads the configuration again, and a prewarm may grow it. */
	cfg_copy = *pinned;
	cfg = &cfg_copy;
	if ((ret = check_remote(a, cfg)))
		return ret;
	b.vni = a->vni.v;
	if (a->remote.set) {
		b.remote_be = a->remote.be;
		b.flags = SLOTNET_BIND_REMOTE;
	}
	if (a->any.set) {
		ret = claim_free_slot(m, cfg, &b, &slot);
		changed = !ret;
	} else if (!(ret = parse_slot(args[0], cfg, &slot))) {
		if (!slot_ready(cfg, slot))
			return sn_err(EXIT_USAGE, "slot %u: not ready (run 'slotnet prewarm' to complete it)",
				      slot);
		/* Excludes an unbind of the slot, whose scrub must not outlive our binding. */
		if ((ret = lock_slot(slot)))
			return ret;
		ret = a->force.set ? replace_binding(m, slot, &b, &changed)
				   : insert_binding(m, slot, &b, &changed);
		unlock_slot(slot);
	}
	if (!ret)
		report(slot, &b, a->any.set, changed);
	return ret;
}

int do_bind(int argc, char **argv)
{
	struct bind_args a = { 0 };
	char **args;
	int nargs, ret;

	ret = opts_parse(&bind_spec, argc, argv, &a, &args, &nargs);
	if (ret)
		return ret < 0 ? EXIT_DONE : ret;
	/* State first: no lock file is made for a directory that holds none. */
	if ((ret = check_args(&a, nargs)) || (ret = need_privileges()) ||
	    (ret = state_require()) || (ret = lock_binders()))
		return ret;
	ret = bind_locked(&a, args);
	unlock_binders();
	return ret;
}
