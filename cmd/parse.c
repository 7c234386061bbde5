// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out, const char **why)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts signs and leading blanks; a count or a VNI has neither. */
	if (!isdigit((unsigned char)s[0])) {
		*why = "not a decimal number";
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end) {
		*why = "not a decimal number";
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		*why = "out of range";
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int parse_ipv4(const char *s, uint32_t *addr_be, const char **why)
{
	struct in_addr a;

	/* inet_pton, unlike inet_aton, refuses "10.1" and octal forms. */
	if (inet_pton(AF_INET, s, &a) != 1) {
		*why = "not an IPv4 address";
		return -1;
	}
	*addr_be = a.s_addr;
	return 0;
}

uint32_t cidr_mask(uint8_t plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

int parse_mac(const char *s, uint8_t mac[6], const char **why)
{
	unsigned v[6];
	int end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6 || s[end] || end != 17) {
		*why = "not a MAC address (xx:xx:xx:xx:xx:xx)";
		return -1;
	}
	if (v[0] & 1) {
		*why = "a multicast MAC address; a VM sends from a unicast one";
		return -1;
	}
	if (!(v[0] | v[1] | v[2] | v[3] | v[4] | v[5])) {
		*why = "the all-zeros MAC address";
		return -1;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int check_ifname(const char *name, const char **why)
{
	if (!*name || strlen(name) >= 16) {
		*why = "not an interface name (1 to 15 characters)";
		return -1;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..") || strpbrk(name, "/: \t\n")) {
		*why = "not an interface name ('/', ':' and spaces are not allowed)";
		return -1;
	}
	return 0;
}

int parse_cidr(const char *s, uint32_t *net_be, uint8_t *plen, const char **why)
{
	char addr[IPV4_STRLEN];
	const char *slash = strchr(s, '/');
	uint32_t len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr)) {
		*why = "not a CIDR (ADDRESS/LENGTH)";
		return -1;
	}
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (parse_ipv4(addr, net_be, why) < 0)
		return -1;
	if (parse_u32(slash + 1, 0, 32, &len, why) < 0) {
		*why = "prefix length must be 0..32";
		return -1;
	}
	if (*net_be & ~cidr_mask(len)) {
		*why = CIDR_HOST_BITS;
		return -1;
	}
	*plen = (uint8_t)len;
	return 0;
}

int check_unicast(uint32_t addr_be, const char **why)
{
	uint32_t a = ntohl(addr_be);

	if (a == 0 || a == 0xffffffff)
		*why = "not a unicast address";
	else if ((a >> 24) == 0)
		*why = "in 0.0.0.0/8 (this network, never a destination)";
	else if ((a >> 24) == 127)
		*why = "a loopback address";
	else if ((a >> 28) >= 0xe)
		*why = "a multicast or reserved address";
	else
		return 0;
	return -1;
}

static unsigned digits(uint32_t n)
{
	unsigned d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

int check_prefix(const char *prefix, uint32_t nslots, const char **why)
{
	size_t len = strlen(prefix);

	if (len == 0 || !isalpha((unsigned char)prefix[0])) {
		*why = "must start with a letter";
		return -1;
	}
	for (const char *p = prefix; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			*why = "may hold only letters, digits, '-' and '_'";
			return -1;
		}
	}
	/* Else "sn1" slot 0 and "sn" slot 10 would both be named "sn10". */
	if (isdigit((unsigned char)prefix[len - 1])) {
		*why = "must not end in a digit";
		return -1;
	}
	if (len + digits(nslots ? nslots - 1 : 0) > IFNAMSIZ - 1) {
		*why = "too long: prefix and slot number must fit an interface name (15 characters)";
		return -1;
	}
	return 0;
}

uint64_t cidr_host_count(uint8_t plen)
{
	uint64_t size = 1ull << (32 - plen);

	return plen >= 31 ? size : size - 2;
}

uint32_t cidr_host(uint32_t net_be, uint8_t plen, uint32_t i)
{
	return htonl(ntohl(net_be) + (plen >= 31 ? 0 : 1) + i);
}

int check_unicast_range(uint32_t net_be, uint8_t plen, const char **why)
{
	uint32_t last = net_be | ~cidr_mask(plen);

	/*
	 * Ranges are aligned blocks, so any that holds a part of 0.0.0.0/8,
	 * 127.0.0.0/8 or 224.0.0.0/3 starts or ends inside it.
	 */
	if (check_unicast(net_be, why) < 0 || check_unicast(last, why) < 0)
		return -1;
	return 0;
}

bool cidr_is_network(uint32_t net_be, uint8_t plen)
{
	return plen <= 32 && !(net_be & ~cidr_mask(plen));
}

int cidr_contains(uint32_t net_be, uint8_t plen, uint32_t addr_be)
{
	return (addr_be & cidr_mask(plen)) == net_be;
}

const char *format_ipv4(uint32_t addr_be, char buf[IPV4_STRLEN])
{
	struct in_addr a = { .s_addr = addr_be };

	return inet_ntop(AF_INET, &a, buf, IPV4_STRLEN);
}

const char *format_cidr(uint32_t addr_be, uint8_t plen, char buf[CIDR_STRLEN])
{
	char a[IPV4_STRLEN];

	snprintf(buf, CIDR_STRLEN, "%s/%u", format_ipv4(addr_be, a), plen);
	return buf;
}

const char *format_mac(const uint8_t mac[6], char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}
