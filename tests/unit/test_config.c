// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of cmd/config.c: the defaults, config_check accepting a
 * configuration prewarm could have written and refusing each field damaged
 * in turn with its exact message (the wording tests/bats/damaged_pins.bats
 * expects after "damaged pin: "), config_check_vni at the edges of the
 * placeholder range and of 24 bits, and config_check_remote.  Output is TAP
 * for tests/run.sh.
 */
#include "config.h"
#include "parse.h"
#include "ruleset.h"
#include "slotnet.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

/* ---- link-time stubs for what cmd/main.c defines ---- */

struct globals g;

int sn_err(int code, const char *fmt, ...)
{
	(void)fmt;
	return code;
}

void sn_info(const char *fmt, ...)
{
	(void)fmt;
}

void sn_debug(const char *fmt, ...)
{
	(void)fmt;
}


static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

/* What prewarm pins: the defaults, a slot count and the maps' ids. */
static void prewarmed(struct slotnet_config *cfg)
{
	config_defaults(cfg, "/sys/fs/bpf/slotnet");
	cfg->nslots = 8;
	cfg->max_slots = 1024;
	for (int i = 0; i < SLOTNET_MAPS; i++)
		cfg->map_ids[i] = 100 + i;
}

static void test_defaults(void)
{
	struct slotnet_config a, b;
	char why[256] = "";
	int ret;

	config_defaults(&a, "/sys/fs/bpf/slotnet");
	check(a.abi_version == SLOTNET_ABI_VERSION && a.nslots == 0 &&
		      a.tunnel == SLOTNET_TUNNEL_GENEVE && a.attach == SLOTNET_ATTACH_TC &&
		      a.dummy_vni_base == SLOTNET_DUMMY_VNI_BASE && a.remote_be == ip("192.0.2.1") &&
		      a.outside_be == ip("100.64.0.0") && a.outside_plen == 16 &&
		      a.inside_be == ip("169.254.1.2") && a.inside_plen == 30 &&
		      a.gateway_be == ip("169.254.1.1") && !strcmp(a.prefix, "sn") && !a.flags &&
		      !a.rules && a.vm_be == ip("172.16.0.2") && a.vm_plen == 32 &&
		      a.metadata_be == ip("169.254.169.254") && a.metadata_plen == 32 &&
		      a.underlay_mtu == 1500 && a.guest_mtu == 1450,
	      "config_defaults: the documented defaults", "tunnel %u attach %u prefix '%s'",
	      a.tunnel, a.attach, a.prefix);
	config_defaults(&b, "/tmp/other");
	check((a.link_group & 0x80000000u) && (b.link_group & 0x80000000u) &&
		      a.link_group != b.link_group,
	      "link group: the top bit set, different for another pin directory", "0x%x 0x%x",
	      a.link_group, b.link_group);
	ret = config_check(&a, why, sizeof(why));
	check(ret == -1 && !strcmp(why, "field max_slots is 0 (the maps hold 1024..65536 slots)"),
	      "the defaults alone are not a prewarmed configuration: no maps' size", "ret %d why '%s'",
	      ret, why);
	prewarmed(&a);
	why[0] = '\0';
	ret = config_check(&a, why, sizeof(why));
	check(ret == 0 && !why[0], "the defaults with slots and map ids pass config_check",
	      "ret %d why '%s'", ret, why);
	check(!strcmp(config_tunnel_name(1), "vxlan") && !strcmp(config_tunnel_name(2), "geneve") &&
		      !strcmp(config_tunnel_name(0), "?") && !strcmp(config_tunnel_name(3), "?") &&
		      !strcmp(config_attach_name(1), "tcx") && !strcmp(config_attach_name(2), "tc") &&
		      !strcmp(config_attach_name(0), "?") &&
		      !strcmp(config_attach_name(0xffffffffu), "?"),
	      "enum names, '?' for values slotnet never writes", "%s", "");
}

/* ---- each field damaged in turn ---- */

#define C struct slotnet_config *c
static void nslots_0(C) { c->nslots = 0; }
static void nslots_max(C)
{
	c->nslots = 65536;
	c->max_slots = 65536;
	c->outside_plen = 8;
	c->outside_be = ip("10.0.0.0");
}
static void max_slots_odd(C) { c->max_slots = 3072; }
static void max_slots_small(C) { c->max_slots = 512; }
static void max_slots_huge(C) { c->max_slots = 131072; }
static void nslots_past_max(C) { c->nslots = 1025; }
static void nslots_20000(C) { c->nslots = 20000; }
static void nslots_huge(C) { c->nslots = 4294967295u; }
static void nslots_past_outside(C) { c->nslots = 255; c->outside_plen = 24; }
static void nslots_fill_outside(C) { c->nslots = 254; c->outside_plen = 24; }
static void tunnel_0(C) { c->tunnel = 0; }
static void tunnel_7(C) { c->tunnel = 7; }
static void tunnel_vxlan(C) { c->tunnel = SLOTNET_TUNNEL_VXLAN; }
static void attach_0(C) { c->attach = 0; }
static void attach_200(C) { c->attach = 200; }
static void attach_tcx(C) { c->attach = SLOTNET_ATTACH_TCX; }
static void dummy_base(C) { c->dummy_vni_base = 16000001; }
static void flags_ready(C) { c->flags = SLOTNET_CONFIG_ALL_READY; }
static void flags_80(C) { c->flags = 0x80; }
static void group_5(C) { c->link_group = 5; }
static void prefix_no_nul(C) { memset(c->prefix, 'a', sizeof(c->prefix)); }
static void prefix_dots(C) { strcpy(c->prefix, "../x/"); }
static void prefix_digit(C) { strcpy(c->prefix, "sn1"); }
static void prefix_empty(C) { c->prefix[0] = '\0'; }
static void prefix_fits(C) { strcpy(c->prefix, "abcdefghijkl"); c->nslots = 1000; }
static void prefix_long(C) { strcpy(c->prefix, "abcdefghijklm"); c->nslots = 1000; }
static void remote_lo(C) { c->remote_be = ip("127.0.0.1"); }
static void remote_zero(C) { c->remote_be = 0; }
static void outside_plen_40(C) { c->outside_plen = 40; }
static void outside_mcast(C) { c->outside_be = ip("224.0.0.0"); c->outside_plen = 24; }
static void inside_other(C) { c->inside_be = ip("169.254.1.6"); }
static void inside_plen_0(C) { c->inside_plen = 0; }
static void gateway_0(C) { c->gateway_be = 0; }
static void rules_40(C) { c->rules = 0x40; }
static void rules_all(C) { c->rules = 0x0f; strcpy(c->uplink, "eth0"); }
static void backend_9(C) { c->backend = 9; }
static void backend_legacy(C) { c->backend = SLOTNET_FW_LEGACY; }
static void vm_plen_7(C) { c->vm_plen = 7; c->vm_be = 0; }
static void vm_plen_33(C) { c->vm_plen = 33; }
static void vm_loopback(C) { c->vm_be = ip("127.0.0.1"); }
static void vm_net(C) { c->vm_be = ip("172.16.0.0"); c->vm_plen = 24; }
static void meta_plen_33(C) { c->metadata_plen = 33; }
static void meta_host_bits(C) { c->metadata_plen = 16; }
static void outside_host_bits(C) { c->outside_be = ip("100.64.0.1"); }
static void vm_host_bits(C) { c->vm_be = ip("172.16.0.2"); c->vm_plen = 24; }
static void mac_multicast(C) { c->vm_mac[0] = 0x01; }
static void mac_zero(C) { memset(c->vm_mac, 0, 6); }
static void uplink_no_nul(C) { memset(c->uplink, 'a', sizeof(c->uplink)); }
static void uplink_slash(C) { strcpy(c->uplink, "a/b"); }
static void masq_no_uplink(C) { c->rules = SLOTNET_RULES_ON | SLOTNET_RULES_MASQUERADE; }
static void mtu_low(C) { c->underlay_mtu = 1329; c->guest_mtu = 1279; }
static void mtu_least(C) { c->underlay_mtu = 1330; c->guest_mtu = 1280; }
static void mtu_jumbo(C) { c->underlay_mtu = 9001; c->guest_mtu = 8951; }
static void mtu_max(C) { c->underlay_mtu = 65535; c->guest_mtu = 65485; }
static void mtu_zero(C) { c->underlay_mtu = 0; c->guest_mtu = 0; }
static void guest_mtu_full(C) { c->guest_mtu = 1500; }
static void map_id_0(C) { c->map_ids[2] = 0; }
static void map_id_last_0(C) { c->map_ids[SLOTNET_MAPS - 1] = 0; }
#undef C

static const struct {
	const char *desc;
	void (*damage)(struct slotnet_config *c);
	const char *why;  /* NULL: accepted */
} damaged[] = {
	{ "nslots 0", nslots_0, "field nslots is 0 (1..max_slots 1024)" },
	{ "nslots 65536 in a /8", nslots_max, NULL },
	{ "nslots 20000", nslots_20000, "field nslots is 20000 (1..max_slots 1024)" },
	{ "nslots 2^32-1", nslots_huge, "field nslots is 4294967295 (1..max_slots 1024)" },
	{ "nslots past max_slots", nslots_past_max, "field nslots is 1025 (1..max_slots 1024)" },
	{ "max_slots 3072", max_slots_odd, "field max_slots is 3072 (not a power of two)" },
	{ "max_slots 512", max_slots_small,
	  "field max_slots is 512 (the maps hold 1024..65536 slots)" },
	{ "max_slots 131072", max_slots_huge,
	  "field max_slots is 131072 (the maps hold 1024..65536 slots)" },
	{ "255 slots in a /24", nslots_past_outside,
	  "field nslots is 255 (outside /24 has only 254 addresses)" },
	{ "254 slots in a /24", nslots_fill_outside, NULL },
	{ "tunnel 0", tunnel_0, "field tunnel is 0 (1 vxlan or 2 geneve)" },
	{ "tunnel 7", tunnel_7, "field tunnel is 7 (1 vxlan or 2 geneve)" },
	{ "tunnel vxlan", tunnel_vxlan, NULL },
	{ "attach 0", attach_0, "field attach is 0 (1 tcx or 2 tc)" },
	{ "attach 200", attach_200, "field attach is 200 (1 tcx or 2 tc)" },
	{ "attach tcx", attach_tcx, NULL },
	{ "dummy_vni_base", dummy_base, "field dummy_vni_base is 16000001 (always 16000000)" },
	{ "flags all-ready", flags_ready, NULL },
	{ "flags 0x80", flags_80, "field flags is 0x80 (unknown bits)" },
	{ "link_group 5", group_5, "field link_group is 5 (slotnet's groups have the top bit set)" },
	{ "prefix without NUL", prefix_no_nul, "field prefix is not NUL-terminated" },
	{ "prefix ../x/", prefix_dots, "field prefix is '../x/' (must start with a letter)" },
	{ "prefix sn1", prefix_digit, "field prefix is 'sn1' (must not end in a digit)" },
	{ "prefix empty", prefix_empty, "field prefix is '' (must start with a letter)" },
	{ "a 12-character prefix with slots up to 999", prefix_fits, NULL },
	{ "prefix too long for its slot numbers", prefix_long,
	  "field prefix is 'abcdefghijklm' (too long: prefix and slot number must fit an interface "
	  "name (15 characters))" },
	{ "remote loopback", remote_lo, "field remote is 127.0.0.1 (a loopback address)" },
	{ "remote 0.0.0.0", remote_zero,
	  "field remote is 0.0.0.0 (not a unicast address)" },
	{ "outside_plen 40", outside_plen_40, "field outside_plen is 40 (at most 32)" },
	{ "outside multicast", outside_mcast,
	  "field outside is 224.0.0.0/24 (a multicast or reserved address)" },
	{ "outside with host bits", outside_host_bits,
	  "field outside is 100.64.0.1/16 (" CIDR_HOST_BITS ")" },
	{ "inside moved", inside_other,
	  "field inside is 169.254.1.6 (slots' underlay is 169.254.1.2)" },
	{ "inside_plen 0", inside_plen_0, "field inside_plen is 0 (slots' underlay is /30)" },
	{ "gateway 0.0.0.0", gateway_0, "field gateway is 0.0.0.0 (slots' gateway is 169.254.1.1)" },
	{ "rules 0x40", rules_40, "field rules is 0x40 (unknown bits)" },
	{ "every rules bit, with an uplink", rules_all, NULL },
	{ "backend 9", backend_9, "field backend is 9 (0 auto, 1 nft or 2 legacy)" },
	{ "backend legacy", backend_legacy, NULL },
	{ "vm /7", vm_plen_7, "field vm is 0.0.0.0/7 (/8../32)" },
	{ "vm /33", vm_plen_33, "field vm is 172.16.0.2/33 (/8../32)" },
	{ "vm loopback", vm_loopback, "field vm is 127.0.0.1/32 (a loopback address)" },
	{ "vm a /24 network", vm_net, NULL },
	{ "vm with host bits", vm_host_bits, "field vm is 172.16.0.2/24 (" CIDR_HOST_BITS ")" },
	{ "metadata /33", meta_plen_33, "field metadata is 169.254.169.254/33 (not a network)" },
	{ "metadata with host bits", meta_host_bits,
	  "field metadata is 169.254.169.254/16 (not a network)" },
	{ "vm_mac multicast", mac_multicast, "field vm_mac is not a unicast MAC address" },
	{ "vm_mac zero", mac_zero, "field vm_mac is not a unicast MAC address" },
	{ "uplink without NUL", uplink_no_nul, "field uplink is not NUL-terminated" },
	{ "uplink a/b", uplink_slash,
	  "field uplink is 'a/b' (not an interface name ('/', ':' and spaces are not allowed))" },
	{ "masquerade without uplink", masq_no_uplink,
	  "field rules has masquerade without an uplink" },
	{ "underlay_mtu 1329", mtu_low, "field underlay_mtu is 1329 (1330..65535)" },
	{ "underlay_mtu 1330", mtu_least, NULL },
	{ "underlay_mtu 9001", mtu_jumbo, NULL },
	{ "underlay_mtu 65535", mtu_max, NULL },
	{ "underlay_mtu 0", mtu_zero, "field underlay_mtu is 0 (1330..65535)" },
	{ "guest_mtu = underlay_mtu", guest_mtu_full,
	  "field guest_mtu is 1500 (underlay_mtu 1500 less 50 of tunnel headers is 1450)" },
	{ "map id 0", map_id_0, "field map_ids[2] is 0 (no map has id 0)" },
	{ "last map id 0", map_id_last_0, NULL /* filled in below */ },
};

static void test_damaged(void)
{
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		struct slotnet_config cfg;
		char why[256] = "", want[128], desc[192];
		const char *w = damaged[i].why;
		int ret;

		if (damaged[i].damage == map_id_last_0) {
			snprintf(want, sizeof(want), "field map_ids[%d] is 0 (no map has id 0)",
				 SLOTNET_MAPS - 1);
			w = want;
		}
		prewarmed(&cfg);
		damaged[i].damage(&cfg);
		ret = config_check(&cfg, why, sizeof(why));
		if (w)
			snprintf(desc, sizeof(desc), "%s refused: %s", damaged[i].desc, w);
		else
			snprintf(desc, sizeof(desc), "%s accepted", damaged[i].desc);
		check(w ? ret == -1 && !strcmp(why, w) : ret == 0 && !why[0], desc,
		      "ret %d why '%s'", ret, why);
	}
}

static void test_vni(void)
{
	static const struct {
		uint32_t vni;
		const char *why;
	} vnis[] = {
		{ 0, NULL },
		{ 4242, NULL },
		{ 15999999, NULL },
		{ 16000000, "in the slots' placeholder (dummy) VNI range 16000000..16065535" },
		{ 16065535, "in the slots' placeholder (dummy) VNI range 16000000..16065535" },
		{ 16065536, NULL },
		{ 16777215, NULL },
		{ 16777216, "out of range (VNIs are 24 bits: 0..16777215)" },
		{ 0xffffffffu, "out of range (VNIs are 24 bits: 0..16777215)" },
	};

	check(CONFIG_DUMMY_VNI_LAST == 16065535, "the placeholder range ends at 16065535", "%u",
	      (unsigned)CONFIG_DUMMY_VNI_LAST);
	for (size_t i = 0; i < sizeof(vnis) / sizeof(vnis[0]); i++) {
		const char *why = NULL;
		int ret = config_check_vni(vnis[i].vni, &why);
		char desc[160];

		snprintf(desc, sizeof(desc), "VNI %u %s", vnis[i].vni,
			 vnis[i].why ? "refused" : "accepted");
		check(vnis[i].why ? ret == -1 && why && !strcmp(why, vnis[i].why) : ret == 0, desc,
		      "ret %d why '%s'", ret, why ? why : "(none)");
	}
}

/* An IPv4 address of this namespace's own that is not loopback, or 0. */
static uint32_t own_address(void)
{
	struct ifaddrs *all, *a;
	uint32_t found = 0;

	if (getifaddrs(&all) < 0)
		return 0;
	for (a = all; a && !found; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
		    (ntohl(((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr) >> 24) != 127)
			found = ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(all);
	return found;
}

#define OUTSIDE_WHY "inside the outside range (another slot's address); a remote is reached " \
	"through the underlay"
#define UNDERLAY_WHY "inside the slots' own underlay 169.254.1.2/30 (the slot itself or its gateway)"

static void test_remote(void)
{
	static const struct {
		const char *addr, *why;
	} remotes[] = {
		{ "192.0.2.77", NULL },
		{ "198.51.100.1", NULL },
		{ "100.63.255.255", NULL },
		{ "100.64.0.0", OUTSIDE_WHY },
		{ "100.64.0.1", OUTSIDE_WHY },
		{ "100.64.255.255", OUTSIDE_WHY },
		{ "100.65.0.0", NULL },
		{ "169.254.1.0", UNDERLAY_WHY },
		{ "169.254.1.1", UNDERLAY_WHY },
		{ "169.254.1.2", UNDERLAY_WHY },
		{ "169.254.1.3", UNDERLAY_WHY },
		{ "169.254.1.4", NULL },
		{ "169.254.0.255", NULL },
		{ "0.0.0.0", "not a unicast address" },
		{ "0.1.2.3", "in 0.0.0.0/8 (this network, never a destination)" },
		{ "127.0.0.1", "a loopback address" },
		{ "127.255.255.254", "a loopback address" },
		{ "224.0.0.1", "a multicast or reserved address" },
		{ "255.255.255.255", "not a unicast address" },
	};
	struct slotnet_config cfg;
	const char *why;
	uint32_t own;
	char desc[160], x[INET_ADDRSTRLEN];
	int ret;

	prewarmed(&cfg);
	for (size_t i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++) {
		why = NULL;
		ret = config_check_remote(&cfg, ip(remotes[i].addr), &why);
		snprintf(desc, sizeof(desc), "remote %s %s", remotes[i].addr,
			 remotes[i].why ? "refused" : "accepted");
		check(remotes[i].why ? ret == -1 && why && !strcmp(why, remotes[i].why) : ret == 0,
		      desc, "ret %d why '%s'", ret, why ? why : "(none)");
	}
	own = own_address();
	if (!own) {
		check(1, "remote: an own address refused # SKIP no non-loopback IPv4 address here",
		      "%s", "");
		return;
	}
	inet_ntop(AF_INET, &own, x, sizeof(x));
	why = NULL;
	ret = config_check_remote(&cfg, own, &why);
	snprintf(desc, sizeof(desc), "remote %s (this namespace's own) refused", x);
	check(ret == -1 && why && !strcmp(why, "an address of this host's own (the worker itself)"),
	      desc, "ret %d why '%s'", ret, why ? why : "(none)");
}

int main(void)
{
	test_defaults();
	test_damaged();
	test_vni();
	test_remote();
	return tap_done();
}
