/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The configuration, one place: its defaults, the names of its enums, and
 * the checks every field of a pinned one must pass before any command acts
 * on it (a damaged pin must never steer a deletion or index past a map).
 */
#ifndef SLOTNET_CONFIG_H
#define SLOTNET_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "slotnet_abi.h"

/* Option choices: index + 1 is the enum value (NULL-terminated). */
extern const char *const config_tunnel_names[];
extern const char *const config_attach_names[];

/* A pinned enum's name, or "?" for a value no slotnet writes. */
const char *config_tunnel_name(uint32_t tunnel);
const char *config_attach_name(uint32_t attach);

/* A new configuration for pin directory PIN_DIR: every default (nslots 0: not prewarmed). */
void config_defaults(struct slotnet_config *cfg, const char *pin_dir);

/*
 * 0 when every field of a pinned configuration holds a value slotnet could
 * have written; else -1 with "field NAME is VALUE (reason)" in why.
 */
int config_check(const struct slotnet_config *cfg, char *why, size_t len);

/* Slots' placeholder VNIs, for every slot a pin directory can ever have. */
#define CONFIG_DUMMY_VNI_LAST (SLOTNET_DUMMY_VNI_BASE + SLOTNET_MAX_SLOTS - 1)

/* A tenant's VNI: any 24-bit value but a slot's placeholder; -1 with why. */
int config_check_vni(uint32_t vni, const char **why);

/*
 * A tunnel remote: a unicast address reached through the underlay, so not
 * an outside address (another slot), not the slots' own underlay and not
 * one of this namespace's own addresses; -1 with why.
 */
int config_check_remote(const struct slotnet_config *cfg, uint32_t addr_be, const char **why);

#endif
