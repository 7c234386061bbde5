/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every map slotnet pins, one place.  Layouts: slotnet_abi.h. */
#ifndef SLOTNET_MAPS_H
#define SLOTNET_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "slotnet_abi.h"

/* The prewarm configuration, so later commands need only the pin directory. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slotnet_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

/* Per-slot facts fixed at prewarm: root veth, outside address, dummy VNI. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTNET_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct slotnet_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} slots SEC(".maps");

/* Root-side veth ifindex -> slot: how a program shared by every veth finds its slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLOTNET_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifslots SEC(".maps");

/* A tenant's binding; no preallocation so replaced elements are freed after RCU. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLOTNET_MAX_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct slotnet_binding);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bindings SEC(".maps");

/* Per-CPU so the data path never shares a cache line between cores. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTNET_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct slotnet_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counters SEC(".maps");

#endif
