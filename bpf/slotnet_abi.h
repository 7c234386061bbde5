/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The map ABI: every pinned map's key and value layout, included by the BPF
 * programs and by user space alike so the two can never disagree.
 *
 * Any change to a layout below must bump SLOTNET_ABI_VERSION: the version is
 * stored in the pinned configuration, and a binary refuses pins of another
 * version instead of misreading them.
 *
 * Byte order: fields named *_be are network order, everything else is host
 * order.
 */
#ifndef SLOTNET_ABI_H
#define SLOTNET_ABI_H

#include <linux/types.h>

#define SLOTNET_ABI_VERSION 6

/*
 * The slot-indexed maps hold max_slots entries (the configuration's field),
 * chosen at the first prewarm: a power of two from SLOTNET_MIN_MAX_SLOTS to
 * SLOTNET_MAX_SLOTS.  Growing past it makes new maps (an upgrade).  The BPF
 * definitions carry the minimum; user space sets the pinned size before load.
 */
#define SLOTNET_MIN_MAX_SLOTS 1024
#define SLOTNET_MAX_SLOTS 65536

/* Slot i's placeholder VNI is SLOTNET_DUMMY_VNI_BASE + i (VNIs are 24 bits). */
#define SLOTNET_DUMMY_VNI_BASE 16000000u
#define SLOTNET_VNI_MAX 0xffffffu

#define SLOTNET_PREFIX_MAX 16 /* IFNAMSIZ, including the terminating NUL */

/* Tunnel UDP destination ports the data path recognises, whatever the configured tunnel. */
#define SLOTNET_VXLAN_PORT 4789
#define SLOTNET_GENEVE_PORT 6081

enum slotnet_tunnel {
	SLOTNET_TUNNEL_VXLAN = 1,
	SLOTNET_TUNNEL_GENEVE = 2,
};

/* How the programs sit on the root-side veths. */
enum slotnet_attach {
	SLOTNET_ATTACH_TCX = 1, /* tcx links, pinned under links/ in the pin directory */
	SLOTNET_ATTACH_TC = 2,  /* clsact qdiscs sharing one ingress and one egress filter block */
};

/*
 * Every slot below nslots is READY: set when a prewarm run completes, cleared
 * when one starts, so bind can skip the per-slot check in the common case.
 */
#define SLOTNET_CONFIG_ALL_READY (1u << 0)

/* Firewall rules (slotnet rules): what the pinned rule sets say. */
#define SLOTNET_RULES_ON (1u << 0)             /* installed: prewarm keeps them in place */
#define SLOTNET_RULES_MASQUERADE (1u << 1)     /* masquerade the outside range on the uplink */
#define SLOTNET_RULES_ALLOW_METADATA (1u << 2) /* the VM may reach the metadata range */
#define SLOTNET_RULES_ALLOW_UNDERLAY (1u << 3) /* the VM may reach the slot's underlay */

enum slotnet_fw_backend {
	SLOTNET_FW_AUTO = 0,  /* nft when its tools are installed, else legacy */
	SLOTNET_FW_NFT = 1,
	SLOTNET_FW_LEGACY = 2,
};

/*
 * Every map slotnet pins, one entry each: the BPF definitions (maps.h), the
 * state code's specs and fds (cmd/state.c) and the ids recorded in the
 * configuration all follow this list, in its order; adding a map is adding
 * its line.  X(NAME, name, type, key type, value type, max entries, map
 * flags, what it holds).  The layouts are below; why each map has its type:
 *   config: an array with one element, key 0: later commands need only the
 *           pin directory;
 *   slots: per-slot facts fixed at prewarm (root veth, outside address,
 *          dummy VNI), written only by prewarm;
 *   ifslots: root-side veth ifindex -> slot, how a program shared by every
 *            veth finds its slot;
 *   bindings: a hash so an update swaps the whole element (a packet in
 *             flight sees the old binding or the new one, never half of
 *             each); no preallocation, so replaced elements are freed after RCU;
 *   counters: a plain array the data path adds to atomically (a slot's few
 *             flows rarely meet on one cache line from two CPUs, and a
 *             per-CPU array costs its size once per possible CPU: 650 KB
 *             against 125 MB for 4,096 slots on 192 CPUs); mmapable, so an
 *             upgrade adds the old counts to the live ones atomically.
 * Slot-indexed maps have SLOTNET_MIN_MAX_SLOTS in the list: see above.
 */
#define SLOTNET_MAPS_LIST(X)                                                                  \
	X(CONFIG, config, BPF_MAP_TYPE_ARRAY, __u32, struct slotnet_config, 1, 0,               \
	  "the configuration")                                                                  \
	X(SLOTS, slots, BPF_MAP_TYPE_ARRAY, __u32, struct slotnet_slot, SLOTNET_MIN_MAX_SLOTS,  \
	  0, "the slots' registry")                                                             \
	X(IFSLOTS, ifslots, BPF_MAP_TYPE_HASH, __u32, __u32, SLOTNET_MIN_MAX_SLOTS, 0,          \
	  "the veths' slot numbers")                                                            \
	X(BINDINGS, bindings, BPF_MAP_TYPE_HASH, __u32, struct slotnet_binding,                 \
	  SLOTNET_MIN_MAX_SLOTS, BPF_F_NO_PREALLOC, "the tenants' bindings")                    \
	X(COUNTERS, counters, BPF_MAP_TYPE_ARRAY, __u32, struct slotnet_counters,               \
	  SLOTNET_MIN_MAX_SLOTS, BPF_F_MMAPABLE, "the counters")

/* SLOTNET_MAP_CONFIG...: the maps' order, that of the ids in the configuration. */
#define SLOTNET_MAP_ENUM(NAME, name, type, k, v, max, flags, what) SLOTNET_MAP_##NAME,
enum slotnet_map {
	SLOTNET_MAPS_LIST(SLOTNET_MAP_ENUM)
	SLOTNET_MAPS
};
#undef SLOTNET_MAP_ENUM

/*
 * Set in abi_version of the old configuration when an upgrade starts moving
 * the state to new maps: from then on no slotnet of any version writes the
 * old maps (each refuses pins of an ABI it does not know), so what was copied
 * stays exact.
 */
#define SLOTNET_ABI_MOVING 0x80000000u

/* "config" map: an array with one element, key 0. */
struct slotnet_config {
	__u32 abi_version;   /* SLOTNET_ABI_VERSION of the binary that made the pins */
	__u32 nslots;        /* slots 0..nslots-1 exist or are being made */
	__u32 tunnel;        /* enum slotnet_tunnel */
	__u32 dummy_vni_base;
	__u32 remote_be;     /* default outer destination of every tunnel */
	__u32 outside_be;    /* network address of the outside range */
	__u32 inside_be;     /* the slot side's underlay address, same in every slot */
	__u32 gateway_be;    /* the root side as seen from a slot */
	__u32 link_group;    /* netdev group of the root-side veths, for one-request teardown */
	__u8 outside_plen;
	__u8 inside_plen;
	__u8 attach;         /* enum slotnet_attach */
	__u8 flags;          /* SLOTNET_CONFIG_* */
	char prefix[SLOTNET_PREFIX_MAX]; /* NUL-terminated */
	/* Rule sets; the VM's addresses are the same in every slot, like the slot's own. */
	__u32 vm_be;         /* the VM's address (network of vm_plen) */
	__u32 metadata_be;   /* the instance metadata range the VM must not reach */
	__u8 vm_plen;
	__u8 metadata_plen;
	__u8 vm_mac[6];      /* the only MAC the VM may send from */
	__u8 rules;          /* SLOTNET_RULES_* */
	__u8 backend;        /* enum slotnet_fw_backend */
	__u8 pad[2];
	char uplink[SLOTNET_PREFIX_MAX]; /* forward only to this device; "" for any but slots */
	__u16 underlay_mtu;  /* eth0's and the root veth's MTU */
	__u16 guest_mtu;     /* tun0's, br0's and tap0's: underlay_mtu less the encapsulation */
	/*
	 * The ids of the maps the pinned programs use, recorded by prewarm
	 * once it has checked them: a command finds a pin replaced by hand
	 * by comparing ids, without asking the programs.
	 */
	__u32 map_ids[SLOTNET_MAPS];
	__u32 max_slots;     /* entries of the slot-indexed maps (since ABI 6) */
};
_Static_assert(sizeof(struct slotnet_config) == 120, "config layout");

#define SLOTNET_SLOT_READY (1u << 0) /* every device, address and route in place */

/* "slots" map: an array indexed by slot number, written only by prewarm. */
struct slotnet_slot {
	__u32 ifindex;     /* the slot's veth in the root namespace */
	__u32 outside_be;  /* the slot's unique outside address */
	__u32 dummy_vni;
	__u32 flags;       /* SLOTNET_SLOT_* */
};
_Static_assert(sizeof(struct slotnet_slot) == 16, "slot layout");

#define SLOTNET_BIND_REMOTE (1u << 0) /* remote_be replaces the configured remote */
/*
 * unbind is scrubbing the slot: unbound to the data path, taken to binders,
 * so no new tenant gets the slot before the old one's state is gone.
 */
#define SLOTNET_BIND_SCRUBBING (1u << 1)

/* "bindings" map: a hash keyed by slot number; present means bound. */
struct slotnet_binding {
	__u32 vni;
	__u32 remote_be;
	__u32 flags;       /* SLOTNET_BIND_* */
	__u32 pad;
};
_Static_assert(sizeof(struct slotnet_binding) == 16, "binding layout");

/* "ifslots" map: a hash from a root-side veth's ifindex to its slot number. */

/*
 * Why the data path dropped a packet.  "Leaving" is the slot's traffic on
 * its way out (ingress of the root-side veth), "entering" the way in.
 */
enum slotnet_drop {
	SLOTNET_DROP_MALFORMED,  /* truncated or inconsistent IPv4/UDP/tunnel header,
				    Geneve version other than 0, VXLAN without the I flag */
	SLOTNET_DROP_NOT_IPV4,   /* neither IPv4 nor ARP */
	SLOTNET_DROP_SPOOF,      /* leaving: source is not the slot's inside address */
	SLOTNET_DROP_DEST,       /* entering: destination is not the slot's outside address */
	SLOTNET_DROP_UNBOUND,    /* tunnel packet while the slot is not bound */
	SLOTNET_DROP_VNI,        /* tunnel packet with a VNI other than the slot's */
	SLOTNET_DROP_REMOTE,     /* entering: tunnel packet not from the bound remote */
	SLOTNET_DROP_HAIRPIN,    /* leaving: destination in the outside range, i.e. a slot */
	SLOTNET_DROP_REASONS
};

/* Packets and bytes passed, and drops by reason, for one direction. */
struct slotnet_dir_counters {
	__u64 packets;
	__u64 bytes;
	__u64 drops[SLOTNET_DROP_REASONS];
};

/*
 * "counters" map: an array indexed by slot number, added to atomically.  tx
 * is traffic leaving the slot, rx traffic entering it.
 */
struct slotnet_counters {
	struct slotnet_dir_counters tx;
	struct slotnet_dir_counters rx;
};
_Static_assert(sizeof(struct slotnet_counters) == 160, "counters layout");

#endif
