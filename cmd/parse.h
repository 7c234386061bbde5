/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Parsing and validation of user-supplied values.  Every function returns 0,
 * or -1 with *why set to a static phrase saying what is wrong, which callers
 * put after the offending value in their message.
 */
#ifndef SLOTNET_PARSE_H
#define SLOTNET_PARSE_H

#include <stdbool.h>
#include <stdint.h>

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out, const char **why);
int parse_ipv4(const char *s, uint32_t *addr_be, const char **why);
/* Why a CIDR whose address is not the network of its prefix length is refused. */
#define CIDR_HOST_BITS "host bits set after the prefix length"
int parse_cidr(const char *s, uint32_t *net_be, uint8_t *plen, const char **why);
/* "02:00:00:00:00:01": a unicast Ethernet address, not all zeros. */
int parse_mac(const char *s, uint8_t mac[6], const char **why);
/* An interface name the kernel accepts. */
int check_ifname(const char *name, const char **why);
/* A unicast address a tunnel can send to. */
int check_unicast(uint32_t addr_be, const char **why);
/* Every address of NET/PLEN is unicast (none loopback, multicast, 0.0.0.0/8 or broadcast). */
int check_unicast_range(uint32_t net_be, uint8_t plen, const char **why);
/* Slot names are PREFIX + number: they must make valid interface and netns names. */
int check_prefix(const char *prefix, uint32_t nslots, const char **why);

/* How many host addresses a prefix length has (network/broadcast excluded below /31). */
uint64_t cidr_host_count(uint8_t plen);
/* The i-th (from 0) host address of a range. */
uint32_t cidr_host(uint32_t net_be, uint8_t plen, uint32_t i);
/* The netmask of a prefix length, in network order. */
uint32_t cidr_mask(uint8_t plen);
/* No host bits set after the prefix length (and the length at most 32). */
bool cidr_is_network(uint32_t net_be, uint8_t plen);
int cidr_contains(uint32_t net_be, uint8_t plen, uint32_t addr_be);

#define IPV4_STRLEN 16
const char *format_ipv4(uint32_t addr_be, char buf[IPV4_STRLEN]);
#define CIDR_STRLEN (IPV4_STRLEN + 3)
/* "ADDR/LEN" */
const char *format_cidr(uint32_t addr_be, uint8_t plen, char buf[CIDR_STRLEN]);
#define MAC_STRLEN 18
/* Lower-case "xx:xx:xx:xx:xx:xx", as ip(8) prints one. */
const char *format_mac(const uint8_t mac[6], char buf[MAC_STRLEN]);

#endif
