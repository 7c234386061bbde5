// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of parsing and validation: each case is {input, expected
 * result, expected value or reason}.  Output is TAP for tests/run.sh.
 */
#include "parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int planned, failed;

static void check(int ok, const char *fmt, const char *arg, const char *detail)
{
	char desc[256];

	/* fmt holds one %s for arg, and every caller's fmt is a literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(desc, sizeof(desc), fmt, arg);
#pragma GCC diagnostic pop
	planned++;
	printf("%sok %d - %s\n", ok ? "" : "not ", planned, desc);
	if (!ok) {
		failed++;
		printf("#   %s\n", detail);
	}
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static const struct {
	const char *in;
	uint32_t min, max;
	int ret;
	uint32_t value;
	const char *why;
} u32_cases[] = {
	{ "0", 0, 10, 0, 0, NULL },
	{ "10", 0, 10, 0, 10, NULL },
	{ "11", 0, 10, -1, 0, "out of range" },
	{ "0", 1, 16384, -1, 0, "out of range" },
	{ "16777215", 0, 16777215, 0, 16777215, NULL },
	{ "16777216", 0, 16777215, -1, 0, "out of range" },
	{ "4294967295", 0, 4294967295u, 0, 4294967295u, NULL },
	{ "4294967296", 0, 4294967295u, -1, 0, "out of range" },
	{ "99999999999999999999999", 0, 4294967295u, -1, 0, "out of range" },
	{ "", 0, 10, -1, 0, "not a decimal number" },
	{ "-1", 0, 10, -1, 0, "not a decimal number" },
	{ "+1", 0, 10, -1, 0, "not a decimal number" },
	{ " 1", 0, 10, -1, 0, "not a decimal number" },
	{ "1x", 0, 10, -1, 0, "not a decimal number" },
	{ "0x10", 0, 100, -1, 0, "not a decimal number" },
};

static void test_u32(void)
{
	for (size_t i = 0; i < sizeof(u32_cases) / sizeof(u32_cases[0]); i++) {
		const char *why = NULL;
		uint32_t v = 0;
		int ret = parse_u32(u32_cases[i].in, u32_cases[i].min, u32_cases[i].max, &v, &why);
		char detail[128];

		snprintf(detail, sizeof(detail), "got ret %d value %u why '%s'", ret, v,
			 why ? why : "");
		check(ret == u32_cases[i].ret &&
			      (ret ? !strcmp(why, u32_cases[i].why) : v == u32_cases[i].value),
		      "parse_u32 '%s'", u32_cases[i].in, detail);
	}
}

static const struct {
	const char *in;
	int ret;
	const char *net;
	uint8_t plen;
	const char *why;
} cidr_cases[] = {
	{ "10.0.0.0/24", 0, "10.0.0.0", 24, NULL },
	{ "100.64.0.0/16", 0, "100.64.0.0", 16, NULL },
	{ "0.0.0.0/0", 0, "0.0.0.0", 0, NULL },
	{ "192.0.2.7/32", 0, "192.0.2.7", 32, NULL },
	{ "10.0.0.1/24", -1, NULL, 0, "host bits set after the prefix length" },
	{ "10.0.0.0/33", -1, NULL, 0, "prefix length must be 0..32" },
	{ "10.0.0.0/", -1, NULL, 0, "prefix length must be 0..32" },
	{ "10.0.0.0/-1", -1, NULL, 0, "prefix length must be 0..32" },
	{ "10.0.0.0", -1, NULL, 0, "not a CIDR (ADDRESS/LENGTH)" },
	{ "foo", -1, NULL, 0, "not a CIDR (ADDRESS/LENGTH)" },
	{ "10.0.0/8", -1, NULL, 0, "not an IPv4 address" },
	{ "256.0.0.0/8", -1, NULL, 0, "not an IPv4 address" },
	{ "1234567890123456789/8", -1, NULL, 0, "not a CIDR (ADDRESS/LENGTH)" },
};

static void test_cidr(void)
{
	for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
		const char *why = NULL;
		uint32_t net = 0;
		uint8_t plen = 0;
		int ret = parse_cidr(cidr_cases[i].in, &net, &plen, &why);
		char detail[128], a[IPV4_STRLEN];

		snprintf(detail, sizeof(detail), "got ret %d %s/%u why '%s'", ret,
			 format_ipv4(net, a), plen, why ? why : "");
		check(ret == cidr_cases[i].ret &&
			      (ret ? !strcmp(why, cidr_cases[i].why)
				   : net == ip(cidr_cases[i].net) && plen == cidr_cases[i].plen),
		      "parse_cidr '%s'", cidr_cases[i].in, detail);
	}
}

static const struct {
	const char *in;
	int parse_ret;   /* parse_ipv4 */
	int unicast_ret; /* check_unicast, when it parsed */
	const char *why;
} addr_cases[] = {
	{ "192.0.2.1", 0, 0, NULL },
	{ "10.1.2.3", 0, 0, NULL },
	{ "1.2.3", -1, 0, "not an IPv4 address" },
	{ "1.2.3.4.5", -1, 0, "not an IPv4 address" },
	{ "010.1.2.3", -1, 0, "not an IPv4 address" },
	{ "::1", -1, 0, "not an IPv4 address" },
	{ "0.0.0.0", 0, -1, "not a unicast address" },
	{ "255.255.255.255", 0, -1, "not a unicast address" },
	{ "127.0.0.1", 0, -1, "a loopback address" },
	{ "224.0.0.1", 0, -1, "a multicast or reserved address" },
	{ "0.1.2.3", 0, -1, "in 0.0.0.0/8 (this network, never a destination)" },
	{ "1.0.0.0", 0, 0, NULL },
	{ "240.0.0.1", 0, -1, "a multicast or reserved address" },
};

static void test_addresses(void)
{
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const char *why = NULL;
		uint32_t a = 0;
		int ret = parse_ipv4(addr_cases[i].in, &a, &why), ok;
		char detail[128];

		if (ret == 0)
			ret = check_unicast(a, &why) < 0 ? -2 : 0;
		ok = addr_cases[i].parse_ret < 0 ? ret == -1
						  : ret == (addr_cases[i].unicast_ret < 0 ? -2 : 0);
		ok = ok && (!addr_cases[i].why || (why && !strcmp(why, addr_cases[i].why)));
		snprintf(detail, sizeof(detail), "got ret %d why '%s'", ret, why ? why : "");
		check(ok, "address '%s'", addr_cases[i].in, detail);
	}
}

static const struct {
	const char *prefix;
	uint32_t nslots;
	int ret;
	const char *why;
} prefix_cases[] = {
	{ "sn", 4000, 0, NULL },
	{ "slot-", 16384, 0, NULL },
	{ "abcdefghijk", 10000, 0, NULL },      /* 11 + 4 digits = 15 */
	{ "abcdefghijkl", 10000, -1, "too long" }, /* 12 + 4 = 16 */
	{ "abcdefghijklmn", 1, 0, NULL },       /* 14 + 1 */
	{ "abcdefghijklmno", 1, -1, "too long" },
	{ "", 1, -1, "must start with a letter" },
	{ "9x", 1, -1, "must start with a letter" },
	{ "-x", 1, -1, "must start with a letter" },
	{ "sn1", 1, -1, "must not end in a digit" },
	{ "s n", 1, -1, "may hold only" },
	{ "s/n", 1, -1, "may hold only" },
	{ "s.n", 1, -1, "may hold only" },
};

static void test_prefix(void)
{
	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const char *why = NULL;
		int ret = check_prefix(prefix_cases[i].prefix, prefix_cases[i].nslots, &why);
		char detail[160];

		snprintf(detail, sizeof(detail), "got ret %d why '%s'", ret, why ? why : "");
		check(ret == prefix_cases[i].ret &&
			      (!ret || !strncmp(why, prefix_cases[i].why, strlen(prefix_cases[i].why))),
		      "prefix '%s'", prefix_cases[i].prefix, detail);
	}
}

static void test_ranges(void)
{
	char a[IPV4_STRLEN], detail[128];

	check(cidr_host_count(24) == 254, "%s has 254 hosts", "/24", "");
	check(cidr_host_count(31) == 2, "%s has 2 hosts (RFC 3021)", "/31", "");
	check(cidr_host_count(32) == 1, "%s has 1 host", "/32", "");
	check(cidr_host_count(0) == 4294967294ull, "%s has 2^32-2 hosts", "/0", "");
	snprintf(detail, sizeof(detail), "got %s",
		 format_ipv4(cidr_host(ip("100.64.0.0"), 16, 0), a));
	check(cidr_host(ip("100.64.0.0"), 16, 0) == ip("100.64.0.1"), "slot 0 of %s is .1",
	      "100.64.0.0/16", detail);
	snprintf(detail, sizeof(detail), "got %s",
		 format_ipv4(cidr_host(ip("100.64.0.0"), 16, 3999), a));
	check(cidr_host(ip("100.64.0.0"), 16, 3999) == ip("100.64.15.160"),
	      "slot 3999 of %s is 100.64.15.160", "100.64.0.0/16", detail);
	check(cidr_host(ip("10.0.0.0"), 24, 253) == ip("10.0.0.254"),
	      "the last host of %s is .254", "10.0.0.0/24", "");
	check(cidr_host(ip("10.0.0.4"), 31, 1) == ip("10.0.0.5"), "%s hosts start at .4",
	      "10.0.0.4/31", "");
	check(cidr_contains(ip("100.64.0.0"), 16, ip("100.64.255.255")), "%s contains its broadcast",
	      "100.64.0.0/16", "");
	check(!cidr_contains(ip("100.64.0.0"), 16, ip("100.65.0.0")), "%s excludes 100.65.0.0",
	      "100.64.0.0/16", "");
	check(cidr_mask(0) == 0 && cidr_mask(32) == 0xffffffffu && cidr_mask(30) == htonl(~3u),
	      "cidr_mask %s", "/0 /30 /32", "");
	check(cidr_is_network(ip("10.0.0.0"), 8) && !cidr_is_network(ip("10.0.0.1"), 8) &&
		      !cidr_is_network(ip("10.0.0.0"), 33),
	      "cidr_is_network %s", "10.0.0.0/8, 10.0.0.1/8, /33", "");
}

static const struct {
	const char *range;
	const char *why; /* NULL: every address unicast */
} unicast_range_cases[] = {
	{ "100.64.0.0/16", NULL },
	{ "1.0.0.0/8", NULL },
	{ "128.0.0.0/2", NULL },
	{ "127.0.0.0/8", "a loopback address" },
	{ "96.0.0.0/3", "a loopback address" },
	{ "224.0.0.0/4", "a multicast or reserved address" },
	{ "192.0.0.0/2", "not a unicast address" },
	{ "0.0.0.0/8", "not a unicast address" },
	{ "0.0.1.0/24", "in 0.0.0.0/8 (this network, never a destination)" },
};

static void test_unicast_ranges(void)
{
	for (size_t i = 0; i < sizeof(unicast_range_cases) / sizeof(unicast_range_cases[0]); i++) {
		const char *why = NULL, *want = unicast_range_cases[i].why;
		uint32_t net;
		uint8_t plen;
		char detail[128];
		int ret = parse_cidr(unicast_range_cases[i].range, &net, &plen, &why);

		if (!ret)
			ret = check_unicast_range(net, plen, &why);
		snprintf(detail, sizeof(detail), "got ret %d why '%s'", ret, ret ? why : "");
		check(want ? ret < 0 && !strcmp(why, want) : ret == 0, "unicast range %s",
		      unicast_range_cases[i].range, detail);
	}
}

static const struct {
	const char *in;
	int ret;
	uint8_t mac[6];
	const char *why;
} mac_cases[] = {
	{ "06:00:ac:10:00:02", 0, { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 }, NULL },
	{ "02:AB:cd:EF:01:ff", 0, { 0x02, 0xab, 0xcd, 0xef, 0x01, 0xff }, NULL },
	{ "01:00:5e:00:00:01", -1, { 0 }, "a multicast MAC address; a VM sends from a unicast one" },
	{ "00:00:00:00:00:00", -1, { 0 }, "the all-zeros MAC address" },
	{ "02:00:00:00:00", -1, { 0 }, "not a MAC address (xx:xx:xx:xx:xx:xx)" },
	{ "02:00:00:00:00:001", -1, { 0 }, "not a MAC address (xx:xx:xx:xx:xx:xx)" },
	{ "2:0:0:0:0:1", -1, { 0 }, "not a MAC address (xx:xx:xx:xx:xx:xx)" },
	{ "02-00-00-00-00-01", -1, { 0 }, "not a MAC address (xx:xx:xx:xx:xx:xx)" },
	{ "", -1, { 0 }, "not a MAC address (xx:xx:xx:xx:xx:xx)" },
};

static void test_mac(void)
{
	for (size_t i = 0; i < sizeof(mac_cases) / sizeof(mac_cases[0]); i++) {
		const char *why = NULL;
		uint8_t mac[6] = { 0 };
		int ret = parse_mac(mac_cases[i].in, mac, &why);
		char detail[128];

		snprintf(detail, sizeof(detail), "got ret %d why '%s'", ret, why ? why : "");
		check(ret == mac_cases[i].ret &&
			      (ret ? !strcmp(why, mac_cases[i].why) : !memcmp(mac, mac_cases[i].mac, 6)),
		      "parse_mac '%s'", mac_cases[i].in, detail);
	}
}

static void test_format(void)
{
	static const uint8_t mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0xfe };
	char m[MAC_STRLEN], c[CIDR_STRLEN];

	check(!strcmp(format_mac(mac, m), "06:00:ac:10:00:fe"), "format_mac: %s", "lower-case hex",
	      m);
	check(!strcmp(format_cidr(ip("255.255.255.255"), 32, c), "255.255.255.255/32"),
	      "format_cidr: %s fits CIDR_STRLEN", "the longest", c);
}

int main(void)
{
	test_u32();
	test_cidr();
	test_addresses();
	test_prefix();
	test_ranges();
	test_unicast_ranges();
	test_mac();
	test_format();
	printf("1..%d\n", planned);
	return failed ? 1 : 0;
}
