/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The configuration, one place: its defaults, the names of its enums, and
 * the checks every field of a pinned one must pass before any command acts
 * on it (a damaged pin must never steer a deletion or index past a map).
 */
#ifndef SLOTNET_CONFIG_H
#define SLOTNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "slotnet_abi.h"

/*
 * Every default of a new configuration, once: config_defaults parses these,
 * and the options' help strings quote them.
 */
#define CONFIG_DEFAULT_PREFIX "sn"
#define CONFIG_DEFAULT_TUNNEL "geneve"
#define CONFIG_DEFAULT_ATTACH "tc"
#define CONFIG_DEFAULT_REMOTE "192.0.2.1"
#define CONFIG_DEFAULT_OUTSIDE "100.64.0.0/16"
/* Firecracker's documented guest address and MAC. */
#define CONFIG_DEFAULT_VM_ADDR "172.16.0.2"
#define CONFIG_DEFAULT_VM_MAC "06:00:ac:10:00:02"
#define CONFIG_DEFAULT_METADATA "169.254.169.254/32"
#define CONFIG_DEFAULT_BACKEND "auto"
#define CONFIG_DEFAULT_UNDERLAY_MTU 1500

/* A numeric default as text, for the options' help. */
#define CONFIG_STR(x) CONFIG_STR_(x)
#define CONFIG_STR_(x) #x

/*
 * What a tunnel adds to a guest's frame: outer IPv4 20 + UDP 8 + VXLAN or
 * Geneve 8 (slotnet sends no Geneve options) + the inner Ethernet header 14.
 */
#define CONFIG_TUNNEL_OVERHEAD 50
/*
 * The underlay MTUs slotnet accepts: the guest keeps at least IPv6's 1280
 * (RFC 8200), and 65535 is the largest MTU a veth or a tap takes.
 */
#define CONFIG_GUEST_MTU_MIN 1280
#define CONFIG_UNDERLAY_MTU_MIN (CONFIG_GUEST_MTU_MIN + CONFIG_TUNNEL_OVERHEAD)
#define CONFIG_UNDERLAY_MTU_MAX 65535

/* Option choices: index + 1 is the enum value (NULL-terminated). */
extern const char *const config_tunnel_names[];
extern const char *const config_attach_names[];
/* Index = the value: enum slotnet_fw_backend; off/on and block/allow for rules bits. */
extern const char *const config_backend_names[];
extern const char *const config_onoff_names[];
extern const char *const config_access_names[];
/* enum slotnet_drop's names, as dump prints them. */
extern const char *const config_drop_names[SLOTNET_DROP_REASONS];

/* A pinned enum's name, or "?" for a value no slotnet writes. */
const char *config_tunnel_name(uint32_t tunnel);
const char *config_attach_name(uint32_t attach);

/* The MTU a guest gets over an underlay of MTU UNDERLAY, so its frames are never fragmented. */
static inline uint16_t config_guest_mtu(uint32_t underlay)
{
	return underlay - CONFIG_TUNNEL_OVERHEAD;
}

/* A new configuration for pin directory PIN_DIR: every default (nslots 0: not prewarmed). */
/* The shared filter blocks of --attach tc, numbered after the link group. */
static inline uint32_t config_tc_block(const struct slotnet_config *cfg, bool egress)
{
	return (cfg->link_group & ~1u) | egress;
}

void config_defaults(struct slotnet_config *cfg, const char *pin_dir);

/*
 * 0 when every field of a pinned configuration holds a value slotnet could
 * have written; else -1 with "field NAME is VALUE (reason)" in why.
 */
int config_check(const struct slotnet_config *cfg, char *why, size_t len);

/* --max-slots' default for N slots: N rounded up to a power of two, within the maps' bounds. */
unsigned config_default_max_slots(unsigned nslots);
/* A size of the slot-indexed maps: a power of two within the bounds; -1 with why. */
int config_check_max_slots(unsigned n, const char **why);

/* Slots' placeholder VNIs, for every slot a pin directory can ever have. */
#define CONFIG_DUMMY_VNI_LAST (SLOTNET_DUMMY_VNI_BASE + SLOTNET_MAX_SLOTS - 1)
#define CONFIG_DUMMY_VNI_RANGE "16000000..16065535" /* for messages */
_Static_assert(SLOTNET_DUMMY_VNI_BASE == 16000000 && CONFIG_DUMMY_VNI_LAST == 16065535,
	       "CONFIG_DUMMY_VNI_RANGE");

/* A tenant's VNI: any 24-bit value but a slot's placeholder; -1 with why. */
int config_check_vni(uint32_t vni, const char **why);

/*
 * A tunnel remote: a unicast address reached through the underlay, so not
 * an outside address (another slot), not the slots' own underlay and not
 * one of this namespace's own addresses; -1 with why.
 */
int config_check_remote(const struct slotnet_config *cfg, uint32_t addr_be, const char **why);

#endif
