// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "config.h"
#include "parse.h"
#include "slot.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *const config_tunnel_names[] = { "vxlan", "geneve", NULL };
const char *const config_attach_names[] = { "tcx", "tc", NULL };
const char *const config_backend_names[] = { "auto", "nft", "legacy", NULL };
const char *const config_onoff_names[] = { "on", "off", NULL };
const char *const config_access_names[] = { "block", "allow", NULL };
const char *const config_drop_names[SLOTNET_DROP_REASONS] = {
	"malformed", "not_ipv4", "spoof", "dest", "unbound", "vni", "remote", "hairpin",
};

static const char *enum_name(const char *const *names, size_t n, uint32_t v)
{
	return v >= 1 && v <= n ? names[v - 1] : "?";
}

const char *config_tunnel_name(uint32_t tunnel)
{
	return enum_name(config_tunnel_names, 2, tunnel);
}

const char *config_attach_name(uint32_t attach)
{
	return enum_name(config_attach_names, 2, attach);
}

/*
 * A netdev group of the pin directory's own (FNV-1a of its path), so that
 * teardown deletes every root veth in one request; the top bit set, so it
 * is never 0, the default group.
 */
static uint32_t link_group_of(const char *pin_dir)
{
	uint32_t h = 2166136261u;

	for (const char *c = pin_dir; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return h | 0x80000000u;
}

/* The index of NAME in a NULL-terminated table (a default, so it is there). */
static uint32_t index_of(const char *const *names, const char *name)
{
	uint32_t i = 0;

	while (strcmp(names[i], name))
		i++;
	return i;
}

void config_defaults(struct slotnet_config *cfg, const char *pin_dir)
{
	const char *unused;

	memset(cfg, 0, sizeof(*cfg));
	cfg->abi_version = SLOTNET_ABI_VERSION;
	cfg->tunnel = index_of(config_tunnel_names, CONFIG_DEFAULT_TUNNEL) + 1;
	cfg->dummy_vni_base = SLOTNET_DUMMY_VNI_BASE;
	parse_ipv4(CONFIG_DEFAULT_REMOTE, &cfg->remote_be, &unused);
	parse_cidr(CONFIG_DEFAULT_OUTSIDE, &cfg->outside_be, &cfg->outside_plen, &unused);
	inet_pton(AF_INET, SLOT_INSIDE_ADDR, &cfg->inside_be);
	cfg->inside_plen = SLOT_INSIDE_PLEN;
	inet_pton(AF_INET, SLOT_GATEWAY_ADDR, &cfg->gateway_be);
	cfg->link_group = link_group_of(pin_dir);
	/*
	 * tc by default, even where tcx exists: every tcx attach waits for an
	 * RCU grace period with RTNL held (~20 ms here, 40 per slot), while a
	 * qdisc on the shared blocks costs well under a millisecond.
	 */
	cfg->attach = index_of(config_attach_names, CONFIG_DEFAULT_ATTACH) + 1;
	strcpy(cfg->prefix, CONFIG_DEFAULT_PREFIX);
	parse_ipv4(CONFIG_DEFAULT_VM_ADDR, &cfg->vm_be, &unused);
	cfg->vm_plen = 32;
	parse_mac(CONFIG_DEFAULT_VM_MAC, cfg->vm_mac, &unused);
	parse_cidr(CONFIG_DEFAULT_METADATA, &cfg->metadata_be, &cfg->metadata_plen, &unused);
	cfg->backend = index_of(config_backend_names, CONFIG_DEFAULT_BACKEND);
	cfg->underlay_mtu = CONFIG_DEFAULT_UNDERLAY_MTU;
	cfg->guest_mtu = config_guest_mtu(cfg->underlay_mtu);
}

static int bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static bool has_nul(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* The slot anatomy is fixed (slot.h): the pinned copy must be exactly it. */
static int check_anatomy(const struct slotnet_config *cfg, char *why, size_t len)
{
	uint32_t inside, gateway;
	char x[IPV4_STRLEN];

	inet_pton(AF_INET, SLOT_INSIDE_ADDR, &inside);
	inet_pton(AF_INET, SLOT_GATEWAY_ADDR, &gateway);
	if (cfg->inside_be != inside)
		return bad(why, len, "field inside is %s (slots' underlay is " SLOT_INSIDE_ADDR ")",
			   format_ipv4(cfg->inside_be, x));
	if (cfg->inside_plen != SLOT_INSIDE_PLEN)
		return bad(why, len, "field inside_plen is %u (slots' underlay is /%u)",
			   cfg->inside_plen, SLOT_INSIDE_PLEN);
	if (cfg->gateway_be != gateway)
		return bad(why, len, "field gateway is %s (slots' gateway is " SLOT_GATEWAY_ADDR ")",
			   format_ipv4(cfg->gateway_be, x));
	return 0;
}

static int check_outside(const struct slotnet_config *cfg, char *why, size_t len)
{
	char x[IPV4_STRLEN];
	const char *reason;

	if (cfg->outside_plen > 32)
		return bad(why, len, "field outside_plen is %u (at most 32)", cfg->outside_plen);
	if (!cidr_is_network(cfg->outside_be, cfg->outside_plen))
		reason = CIDR_HOST_BITS;
	else if (check_unicast_range(cfg->outside_be, cfg->outside_plen, &reason) == 0)
		reason = NULL;
	if (reason)
		return bad(why, len, "field outside is %s/%u (%s)", format_ipv4(cfg->outside_be, x),
			   cfg->outside_plen, reason);
	if (cfg->nslots > cidr_host_count(cfg->outside_plen))
		return bad(why, len, "field nslots is %u (outside /%u has only %llu addresses)",
			   cfg->nslots, cfg->outside_plen,
			   (unsigned long long)cidr_host_count(cfg->outside_plen));
	return 0;
}

unsigned config_default_max_slots(unsigned nslots)
{
	unsigned n = SLOTNET_MIN_MAX_SLOTS;

	while (n < nslots && n < SLOTNET_MAX_SLOTS)
		n <<= 1;
	return n;
}

int config_check_max_slots(unsigned n, const char **why)
{
	if (n < SLOTNET_MIN_MAX_SLOTS || n > SLOTNET_MAX_SLOTS)
		*why = "the maps hold " CONFIG_STR(SLOTNET_MIN_MAX_SLOTS) ".." CONFIG_STR(SLOTNET_MAX_SLOTS)
		       " slots";
	else if (n & (n - 1))
		*why = "not a power of two";
	else
		return 0;
	return -1;
}

static int check_slots(const struct slotnet_config *cfg, char *why, size_t len)
{
	char x[IPV4_STRLEN];
	const char *reason;

	if (config_check_max_slots(cfg->max_slots, &reason) < 0)
		return bad(why, len, "field max_slots is %u (%s)", cfg->max_slots, reason);
	if (cfg->nslots < 1 || cfg->nslots > cfg->max_slots)
		return bad(why, len, "field nslots is %u (1..max_slots %u)", cfg->nslots,
			   cfg->max_slots);
	if (cfg->tunnel != SLOTNET_TUNNEL_VXLAN && cfg->tunnel != SLOTNET_TUNNEL_GENEVE)
		return bad(why, len, "field tunnel is %u (1 vxlan or 2 geneve)", cfg->tunnel);
	if (cfg->attach != SLOTNET_ATTACH_TCX && cfg->attach != SLOTNET_ATTACH_TC)
		return bad(why, len, "field attach is %u (1 tcx or 2 tc)", cfg->attach);
	if (cfg->dummy_vni_base != SLOTNET_DUMMY_VNI_BASE)
		return bad(why, len, "field dummy_vni_base is %u (always %u)", cfg->dummy_vni_base,
			   SLOTNET_DUMMY_VNI_BASE);
	if (cfg->flags & ~SLOTNET_CONFIG_ALL_READY)
		return bad(why, len, "field flags is 0x%x (unknown bits)", cfg->flags);
	if (!(cfg->link_group & 0x80000000u))
		return bad(why, len, "field link_group is %u (slotnet's groups have the top bit set)",
			   cfg->link_group);
	if (!has_nul(cfg->prefix, sizeof(cfg->prefix)))
		return bad(why, len, "field prefix is not NUL-terminated");
	if (check_prefix(cfg->prefix, cfg->nslots, &reason) < 0)
		return bad(why, len, "field prefix is '%.*s' (%s)", (int)sizeof(cfg->prefix),
			   cfg->prefix, reason);
	if (check_unicast(cfg->remote_be, &reason) < 0)
		return bad(why, len, "field remote is %s (%s)", format_ipv4(cfg->remote_be, x),
			   reason);
	return 0;
}

static int check_rules(const struct slotnet_config *cfg, char *why, size_t len)
{
	const uint8_t known = SLOTNET_RULES_ON | SLOTNET_RULES_MASQUERADE |
			      SLOTNET_RULES_ALLOW_METADATA | SLOTNET_RULES_ALLOW_UNDERLAY;
	char x[IPV4_STRLEN];
	const char *reason;

	if (cfg->rules & ~known)
		return bad(why, len, "field rules is 0x%x (unknown bits)", cfg->rules);
	if (cfg->backend > SLOTNET_FW_LEGACY)
		return bad(why, len, "field backend is %u (0 auto, 1 nft or 2 legacy)", cfg->backend);
	if (cfg->vm_plen < 8 || cfg->vm_plen > 32)
		reason = "/8../32";
	else if (!cidr_is_network(cfg->vm_be, cfg->vm_plen))
		reason = CIDR_HOST_BITS;
	else if (check_unicast_range(cfg->vm_be, cfg->vm_plen, &reason) == 0)
		reason = NULL;
	if (reason)
		return bad(why, len, "field vm is %s/%u (%s)", format_ipv4(cfg->vm_be, x),
			   cfg->vm_plen, reason);
	if (cfg->metadata_plen > 32 || !cidr_is_network(cfg->metadata_be, cfg->metadata_plen))
		return bad(why, len, "field metadata is %s/%u (not a network)",
			   format_ipv4(cfg->metadata_be, x), cfg->metadata_plen);
	if ((cfg->vm_mac[0] & 1) || !memcmp(cfg->vm_mac, "\0\0\0\0\0\0", 6))
		return bad(why, len, "field vm_mac is not a unicast MAC address");
	if (!has_nul(cfg->uplink, sizeof(cfg->uplink)))
		return bad(why, len, "field uplink is not NUL-terminated");
	if (cfg->uplink[0] && check_ifname(cfg->uplink, &reason) < 0)
		return bad(why, len, "field uplink is '%s' (%s)", cfg->uplink, reason);
	if ((cfg->rules & SLOTNET_RULES_MASQUERADE) && !cfg->uplink[0])
		return bad(why, len, "field rules has masquerade without an uplink");
	return 0;
}

static int check_mtu(const struct slotnet_config *cfg, char *why, size_t len)
{
	/* The field is 16 bits wide: CONFIG_UNDERLAY_MTU_MAX is its own limit. */
	if (cfg->underlay_mtu < CONFIG_UNDERLAY_MTU_MIN)
		return bad(why, len, "field underlay_mtu is %u (%u..%u)", cfg->underlay_mtu,
			   CONFIG_UNDERLAY_MTU_MIN, CONFIG_UNDERLAY_MTU_MAX);
	if (cfg->guest_mtu != config_guest_mtu(cfg->underlay_mtu))
		return bad(why, len, "field guest_mtu is %u (underlay_mtu %u less %u of tunnel "
			   "headers is %u)", cfg->guest_mtu, cfg->underlay_mtu,
			   CONFIG_TUNNEL_OVERHEAD, config_guest_mtu(cfg->underlay_mtu));
	return 0;
}

static int check_map_ids(const struct slotnet_config *cfg, char *why, size_t len)
{
	for (int i = 0; i < SLOTNET_MAPS; i++)
		if (!cfg->map_ids[i])
			return bad(why, len, "field map_ids[%d] is 0 (no map has id 0)", i);
	return 0;
}

int config_check(const struct slotnet_config *cfg, char *why, size_t len)
{
	if (check_slots(cfg, why, len) < 0 || check_outside(cfg, why, len) < 0 ||
	    check_anatomy(cfg, why, len) < 0 || check_rules(cfg, why, len) < 0 ||
	    check_mtu(cfg, why, len) < 0 || check_map_ids(cfg, why, len) < 0)
		return -1;
	return 0;
}

int config_check_vni(uint32_t vni, const char **why)
{
	if (vni > SLOTNET_VNI_MAX) {
		*why = "out of range (VNIs are 24 bits: 0..16777215)";
		return -1;
	}
	if (vni >= SLOTNET_DUMMY_VNI_BASE && vni <= CONFIG_DUMMY_VNI_LAST) {
		*why = "in the slots' placeholder (dummy) VNI range " CONFIG_DUMMY_VNI_RANGE;
		return -1;
	}
	return 0;
}

static bool own_address(uint32_t addr_be)
{
	struct ifaddrs *all, *a;
	bool found = false;

	if (getifaddrs(&all) < 0)
		return false;
	for (a = all; a && !found; a = a->ifa_next)
		found = a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
			((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr == addr_be;
	freeifaddrs(all);
	return found;
}

int config_check_remote(const struct slotnet_config *cfg, uint32_t addr_be, const char **why)
{
	if (check_unicast(addr_be, why) < 0)
		return -1;
	if (cidr_contains(cfg->outside_be, cfg->outside_plen, addr_be)) {
		*why = "inside the outside range (another slot's address); a remote is reached "
		       "through the underlay";
		return -1;
	}
	if (cidr_contains(cfg->inside_be & cidr_mask(cfg->inside_plen), cfg->inside_plen,
			  addr_be)) {
		*why = "inside the slots' own underlay " SLOT_INSIDE_ADDR "/30 (the slot itself or "
		       "its gateway)";
		return -1;
	}
	if (own_address(addr_be)) {
		*why = "an address of this host's own (the worker itself)";
		return -1;
	}
	return 0;
}
