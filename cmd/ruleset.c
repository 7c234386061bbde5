// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rule sets, written line for line as iptables-save and ebtables-save
 * print them (so a namespace read back compares equal), and the run over
 * every namespace.  Each rule's purpose is documented in slotnet-rules(8).
 */
#include "ruleset.h"
#include "netns.h"
#include "parse.h"
#include "pool.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* ---- options ---- */

bool rules_opts_given(const struct rules_opts *o)
{
	return o->backend.set || o->uplink.set || o->masquerade.set || o->vm_addr.set ||
	       o->vm_mac.set || o->metadata.set || o->metadata_access.set ||
	       o->underlay_access.set;
}

static int parse_vm_addr(const char *s, uint32_t *net_be, uint8_t *plen)
{
	const char *why;

	*plen = 32;
	if (strchr(s, '/') ? parse_cidr(s, net_be, plen, &why) < 0 : parse_ipv4(s, net_be, &why) < 0)
		return sn_err(EXIT_USAGE, "--vm-addr '%s': %s", s, why);
	if (*plen < 8 || check_unicast(*net_be, &why) < 0)
		return sn_err(EXIT_USAGE, "--vm-addr '%s': %s", s,
			      *plen < 8 ? "wider than a /8: not a VM's own addresses" : why);
	return 0;
}

static int check_uplink(const char *dev, const struct slotnet_config *cfg)
{
	const char *why;

	if (check_ifname(dev, &why) < 0)
		return sn_err(EXIT_USAGE, "--uplink '%s': %s", dev, why);
	if (!strncmp(dev, cfg->prefix, strlen(cfg->prefix)))
		return sn_err(EXIT_USAGE, "--uplink '%s': matches the slots' links (%s+)", dev,
			      cfg->prefix);
	if (!if_nametoindex(dev))
		return sn_err(EXIT_USAGE, "--uplink '%s': no such device in this namespace", dev);
	return 0;
}

static void set_flag(struct slotnet_config *cfg, uint8_t flag, bool on)
{
	cfg->rules = on ? cfg->rules | flag : cfg->rules & ~flag;
}

int rules_opts_merge(const struct rules_opts *o, struct slotnet_config *cfg)
{
	char x[CIDR_STRLEN], y[CIDR_STRLEN];
	uint32_t ul = cfg->inside_be & cidr_mask(cfg->inside_plen);
	int ret;

	if (o->uplink.set && strcmp(o->uplink.v, "none") && (ret = check_uplink(o->uplink.v, cfg)))
		return ret;
	if (o->vm_addr.set && (ret = parse_vm_addr(o->vm_addr.v, &cfg->vm_be, &cfg->vm_plen)))
		return ret;
	if (o->uplink.set)
		snprintf(cfg->uplink, sizeof(cfg->uplink), "%s",
			 strcmp(o->uplink.v, "none") ? o->uplink.v : "");
	if (o->backend.set)
		cfg->backend = o->backend.v;
	if (o->vm_mac.set)
		memcpy(cfg->vm_mac, o->vm_mac.mac, 6);
	if (o->metadata.set) {
		cfg->metadata_be = o->metadata.net_be;
		cfg->metadata_plen = o->metadata.plen;
	}
	if (o->masquerade.set)
		set_flag(cfg, SLOTNET_RULES_MASQUERADE, o->masquerade.v == 0);
	if (o->metadata_access.set)
		set_flag(cfg, SLOTNET_RULES_ALLOW_METADATA, o->metadata_access.v == 1);
	if (o->underlay_access.set)
		set_flag(cfg, SLOTNET_RULES_ALLOW_UNDERLAY, o->underlay_access.v == 1);
	if ((cfg->rules & SLOTNET_RULES_MASQUERADE) && !cfg->uplink[0])
		return sn_err(EXIT_USAGE, "--masquerade on: needs --uplink DEV");
	if (cidr_contains(ul, cfg->inside_plen, cfg->vm_be) ||
	    cidr_contains(cfg->vm_be, cfg->vm_plen, ul))
		return sn_err(EXIT_USAGE, "--vm-addr %s: overlaps the slots' own underlay %s",
			      format_cidr(cfg->vm_be, cfg->vm_plen, x), format_cidr(ul, cfg->inside_plen, y));
	return 0;
}

/*
 * The root set: slots are every link named PREFIX+ and the outside range
 * is one prefix, so the size stays the same for 1 slot or 16,384.
 */
static void root_ipv4(const struct slotnet_config *c, struct fw_set *s)
{
	char out[CIDR_STRLEN], slots[SLOTNET_PREFIX_MAX + 1];
	const char *up = c->uplink;

	format_cidr(c->outside_be, c->outside_plen, out);
	snprintf(slots, sizeof(slots), "%s+", c->prefix);
	fw_add(s, "filter", ":SLOTNET-FORWARD - [0:0]");
	fw_add(s, "filter", ":SLOTNET-INPUT - [0:0]");
	fw_add(s, "filter", "-A FORWARD -j SLOTNET-FORWARD");
	fw_add(s, "filter", "-A INPUT -j SLOTNET-INPUT");
	fw_add(s, "filter", "-A SLOTNET-FORWARD -i %s -o %s -j DROP", slots, slots);
	fw_add(s, "filter", "-A SLOTNET-FORWARD ! -s %s -i %s -j DROP", out, slots);
	if (*up) {
		fw_add(s, "filter", "-A SLOTNET-FORWARD -s %s -i %s -o %s -j ACCEPT", out, slots, up);
		fw_add(s, "filter", "-A SLOTNET-FORWARD -i %s -j DROP", slots);
		fw_add(s, "filter", "-A SLOTNET-FORWARD -d %s -i %s -o %s -j ACCEPT", out, up, slots);
		fw_add(s, "filter", "-A SLOTNET-FORWARD -o %s -j DROP", slots);
	} else {
		fw_add(s, "filter", "-A SLOTNET-FORWARD -i %s -j ACCEPT", slots);
		fw_add(s, "filter", "-A SLOTNET-FORWARD ! -d %s -o %s -j DROP", out, slots);
		fw_add(s, "filter", "-A SLOTNET-FORWARD -o %s -j ACCEPT", slots);
	}
	fw_add(s, "filter", "-A SLOTNET-INPUT -i %s -j DROP", slots);
	if (c->rules & SLOTNET_RULES_MASQUERADE) {
		fw_add(s, "nat", ":SLOTNET-POSTROUTING - [0:0]");
		fw_add(s, "nat", "-A POSTROUTING -j SLOTNET-POSTROUTING");
		fw_add(s, "nat", "-A SLOTNET-POSTROUTING -s %s -o %s -j MASQUERADE", out, up);
	} else {
		/* Stateless NAT needs no conntrack entry: keep slot traffic out of the table. */
		fw_add(s, "raw", ":SLOTNET-PREROUTING - [0:0]");
		fw_add(s, "raw", "-A PREROUTING -j SLOTNET-PREROUTING");
		fw_add(s, "raw", "-A SLOTNET-PREROUTING -i %s -j CT --notrack", slots);
		fw_add(s, "raw", "-A SLOTNET-PREROUTING -d %s -j CT --notrack", out);
	}
}

void ruleset_root(const struct slotnet_config *cfg, enum fw_family family, struct fw_set *out)
{
	memset(out, 0, sizeof(*out));
	if (family == FW_IPV4)
		root_ipv4(cfg, out);
}

static unsigned tunnel_port(const struct slotnet_config *c)
{
	return c->tunnel == SLOTNET_TUNNEL_VXLAN ? SLOTNET_VXLAN_PORT : SLOTNET_GENEVE_PORT;
}

/* The slot set at L3: the VM's side is tap0, bridged; the slot itself speaks only tunnel. */
static void slot_ipv4(const struct slotnet_config *c, struct fw_set *s)
{
	char vm[CIDR_STRLEN], md[CIDR_STRLEN], ul[CIDR_STRLEN], inside[CIDR_STRLEN];

	format_cidr(c->vm_be, c->vm_plen, vm);
	format_cidr(c->metadata_be, c->metadata_plen, md);
	format_cidr(c->inside_be & cidr_mask(c->inside_plen), c->inside_plen, ul);
	format_cidr(c->inside_be, 32, inside);
	fw_add(s, "filter", ":SLOTNET-FORWARD - [0:0]");
	fw_add(s, "filter", ":SLOTNET-INPUT - [0:0]");
	fw_add(s, "filter", "-A FORWARD -j SLOTNET-FORWARD");
	fw_add(s, "filter", "-A INPUT -j SLOTNET-INPUT");
	fw_add(s, "filter", "-A SLOTNET-FORWARD -m physdev ! --physdev-is-bridged -j DROP");
	fw_add(s, "filter", "-A SLOTNET-FORWARD ! -s %s -m physdev --physdev-in %s -j DROP", vm,
	       SLOT_TAP);
	if (!(c->rules & SLOTNET_RULES_ALLOW_METADATA))
		fw_add(s, "filter", "-A SLOTNET-FORWARD -d %s -m physdev --physdev-in %s -j DROP",
		       md, SLOT_TAP);
	if (!(c->rules & SLOTNET_RULES_ALLOW_UNDERLAY))
		fw_add(s, "filter", "-A SLOTNET-FORWARD -d %s -m physdev --physdev-in %s -j DROP",
		       ul, SLOT_TAP);
	fw_add(s, "filter", "-A SLOTNET-INPUT -i lo -j RETURN");
	fw_add(s, "filter", "-A SLOTNET-INPUT -i %s -p udp -m udp --dport %u -j RETURN", SLOT_VETH,
	       tunnel_port(c));
	fw_add(s, "filter", "-A SLOTNET-INPUT -i %s -p icmp -m icmp --icmp-type 3 -j RETURN",
	       SLOT_VETH);
	if (c->rules & SLOTNET_RULES_ALLOW_UNDERLAY)
		fw_add(s, "filter", "-A SLOTNET-INPUT -d %s -i %s -j RETURN", inside, SLOT_BRIDGE);
	fw_add(s, "filter", "-A SLOTNET-INPUT -j DROP");
}

/* The slot set at L2: what tap0 may put on the bridge. */
static void slot_bridge(const struct slotnet_config *c, struct fw_set *s)
{
	char mac[MAC_STRLEN], vm[CIDR_STRLEN];

	format_mac(c->vm_mac, mac);
	/* ebtables-save prints a /32 as the bare address. */
	if (c->vm_plen == 32)
		format_ipv4(c->vm_be, vm);
	else
		format_cidr(c->vm_be, c->vm_plen, vm);
	fw_add(s, "filter", ":SLOTNET-VM RETURN");
	fw_add(s, "filter", "-A INPUT -j SLOTNET-VM");
	fw_add(s, "filter", "-A FORWARD -j SLOTNET-VM");
	fw_add(s, "filter", "-A SLOTNET-VM -s ! %s -i %s -j DROP", mac, SLOT_TAP);
	fw_add(s, "filter", "-A SLOTNET-VM -p ARP -i %s --arp-mac-src ! %s -j DROP", SLOT_TAP, mac);
	fw_add(s, "filter", "-A SLOTNET-VM -p ARP -i %s --arp-ip-src ! %s -j DROP", SLOT_TAP, vm);
	fw_add(s, "filter", "-A SLOTNET-VM -p IPv4 -i %s -j RETURN", SLOT_TAP);
	fw_add(s, "filter", "-A SLOTNET-VM -p ARP -i %s -j RETURN", SLOT_TAP);
	fw_add(s, "filter", "-A SLOTNET-VM -i %s -j DROP", SLOT_TAP);
}

void ruleset_slot(const struct slotnet_config *cfg, enum fw_family family, struct fw_set *out)
{
	memset(out, 0, sizeof(*out));
	if (family == FW_IPV4)
		slot_ipv4(cfg, out);
	else
		slot_bridge(cfg, out);
}

/* ---- the run over every namespace ---- */

struct run {
	const struct slotnet_config *cfg;
	const struct fw_tools *tools;
	enum fw_mode mode;
	unsigned which;
	const bool *skip;                     /* per slot, or NULL */
	struct fw_set want[2][FW_FAMILIES];   /* [0] root, [1] slots */
	unsigned total;                       /* root (when asked) + slots */
	pthread_mutex_t lock;
	struct rules_finding **found;         /* per namespace and family, NULL when in order */
	unsigned changed;
	unsigned done;                        /* namespaces looked at, for the progress */
	bool failed;
};

static struct rules_finding *finding_new(const char *ns, enum fw_family family)
{
	struct rules_finding *f = calloc(1, sizeof(*f));

	if (f) {
		snprintf(f->ns, sizeof(f->ns), "%s", ns);
		f->family = family;
	}
	return f;
}

static void ns_label(const struct run *r, unsigned k, char name[SLOT_NAME_LEN])
{
	bool root = r->which & RULES_ROOT;

	if (root && k == 0)
		snprintf(name, SLOT_NAME_LEN, "root");
	else
		slot_name(name, r->cfg, k - root);
}

/* Both families of namespace K: a failure, or each family's difference, is kept. */
static void run_one(struct run *r, unsigned k)
{
	bool root = (r->which & RULES_ROOT) && k == 0;
	struct rules_finding *f[FW_FAMILIES] = { NULL };
	char name[SLOT_NAME_LEN];
	struct fw_diff diff;
	bool differs = false, failed = false;
	int nsfd = -1;

	ns_label(r, k, name);
	if (!root && r->skip && r->skip[k - !!(r->which & RULES_ROOT)])
		goto out; /* nothing found: counted for the progress alone */
	if (!root && (nsfd = netns_open(name)) < 0) {
		if ((f[0] = finding_new(name, FW_IPV4))) {
			f[0]->failed = failed = true;
			snprintf(f[0]->err, sizeof(f[0]->err), "namespace %s: %s (run prewarm)", name,
				 strerror(errno));
		}
		goto out;
	}
	for (int fam = 0; fam < FW_FAMILIES && !failed; fam++) {
		const struct fw_set *want = &r->want[!root][fam];
		char err[256];

		if (fw_sync(r->tools, fam, nsfd, want, r->mode, false, &diff, err, sizeof(err)) < 0) {
			failed = true;
			if ((f[fam] = finding_new(name, fam))) {
				f[fam]->failed = true;
				snprintf(f[fam]->err, sizeof(f[fam]->err), "%s", err);
			}
		} else if (diff.missing.n || diff.unexpected.n) {
			differs = true;
			if (r->mode == FW_CHECK && (f[fam] = finding_new(name, fam)) &&
			    (f[fam]->diff = malloc(sizeof(diff))))
				*f[fam]->diff = diff;
		}
	}
out:
	if (nsfd >= 0)
		close(nsfd);
	pthread_mutex_lock(&r->lock);
	r->changed += differs;
	for (int fam = 0; fam < FW_FAMILIES; fam++)
		r->found[k * FW_FAMILIES + fam] = f[fam];
	r->failed |= failed;
	/* The root alone is quick: only a run over the slots shows its progress. */
	if (r->total > 1)
		sn_progress(++r->done, r->total);
	pthread_mutex_unlock(&r->lock);
}

/* Namespaces first..first+n-1 after the root's (the root runs first, alone). */
static int run_chunk(void *worker, unsigned first, unsigned n)
{
	struct run *r = *(struct run **)worker;
	unsigned root = !!(r->which & RULES_ROOT);

	for (unsigned k = first; k < first + n; k++)
		run_one(r, root + k);
	return 0;
}

static void gather(struct run *r, struct rules_outcome *out)
{
	unsigned n = r->total * FW_FAMILIES;

	for (unsigned k = 0; k < n; k++)
		out->nfindings += r->found[k] != NULL;
	out->findings = calloc(out->nfindings ? out->nfindings : 1, sizeof(*out->findings));
	out->nfindings = 0;
	for (unsigned k = 0; k < n; k++) {
		if (r->found[k] && out->findings)
			out->findings[out->nfindings++] = *r->found[k];
		else if (r->found[k])
			free(r->found[k]->diff);
		free(r->found[k]);
	}
}

int rules_run(const struct slotnet_config *cfg, const struct fw_tools *tools, enum fw_mode mode,
	      unsigned which, const bool *skip, unsigned jobs, struct rules_outcome *out)
{
	struct run *r = calloc(1, sizeof(*r));
	struct run **workers = calloc(jobs ? jobs : 1, sizeof(*workers));
	double start = sn_now_ms();
	unsigned root = !!(which & RULES_ROOT);
	int start_failed = 0;

	memset(out, 0, sizeof(*out));
	if (!r || !workers) {
		free(r);
		free(workers);
		return sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
	}
	*r = (struct run){ .cfg = cfg, .tools = tools, .mode = mode, .which = which, .skip = skip };
	for (int fam = 0; fam < FW_FAMILIES; fam++) {
		ruleset_root(cfg, fam, &r->want[0][fam]);
		ruleset_slot(cfg, fam, &r->want[1][fam]);
	}
	r->total = root + ((which & RULES_SLOTS) ? cfg->nslots : 0);
	r->found = calloc(r->total ? r->total * FW_FAMILIES : 1, sizeof(*r->found));
	pthread_mutex_init(&r->lock, NULL);
	/* Root first and alone: a failure there (no such table, no tools) shows once. */
	if (r->found && root)
		run_one(r, 0);
	if (r->found && !r->failed) {
		struct pool pool = { .total = r->total - root, .chunk = 1, .work = run_chunk };

		for (unsigned i = 0; i < jobs; i++)
			workers[i] = r;
		if (pool_run(&pool, workers, sizeof(*workers), jobs) < 0)
			start_failed = sn_err(EXIT_FAILED, "starting a worker: %s", strerror(pool.start_err));
	}
	out->namespaces = r->total;
	out->changed = r->changed;
	if (r->found)
		gather(r, out);
	out->ms = sn_now_ms() - start;
	bool failed = r->failed || !r->found || start_failed;

	free(r->found);
	free(r);
	free(workers);
	return failed ? EXIT_FAILED : 0;
}

void rules_outcome_free(struct rules_outcome *out)
{
	for (unsigned i = 0; i < out->nfindings; i++)
		free(out->findings[i].diff);
	free(out->findings);
	memset(out, 0, sizeof(*out));
}

int rules_change(const struct slotnet_config *cfg, const struct fw_tools *tools, enum fw_mode mode,
		 unsigned which, const bool *skip, unsigned jobs, struct rules_outcome *out)
{
	int ret = rules_run(cfg, tools, mode, which, skip, jobs, out);

	for (unsigned i = 0; i < out->nfindings; i++)
		if (out->findings[i].failed)
			sn_err(EXIT_FAILED, "%s: %s %s rules: %s", out->findings[i].ns,
			       mode == FW_REMOVE ? "removing the" : "installing the",
			       tools->backend[out->findings[i].family], out->findings[i].err);
	return ret;
}

unsigned rules_default_jobs(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
}
