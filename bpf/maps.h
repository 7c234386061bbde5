/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every map slotnet pins, defined from the list in slotnet_abi.h. */
#ifndef SLOTNET_MAPS_H
#define SLOTNET_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "slotnet_abi.h"

#define SLOTNET_MAP_DEF(NAME, name, type_, k, v, max, flags, what)                             \
	struct {                                                                               \
		__uint(type, type_);                                                           \
		__uint(max_entries, max);                                                      \
		__uint(map_flags, flags);                                                      \
		__type(key, k);                                                                \
		__type(value, v);                                                              \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                           \
	} name SEC(".maps");

SLOTNET_MAPS_LIST(SLOTNET_MAP_DEF)
#undef SLOTNET_MAP_DEF

#endif
