/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The anatomy of a slot, identical in every slot so a VM snapshot restored
 * into any of them finds the same network: names, ifindexes, addresses, MACs.
 */
#ifndef SLOTNET_SLOT_H
#define SLOTNET_SLOT_H

#define SLOT_TAP "tap0"
#define SLOT_TUN "tun0"
#define SLOT_BRIDGE "br0"
#define SLOT_VETH "eth0"

/*
 * Fixed ifindexes, so requests can name devices they just created.  Above
 * the handful of fallback tunnels (tunl0, sit0, ...) some kernels put in
 * every new namespace; tap0, made by ioctl, takes whatever is next.
 */
#define SLOT_IFINDEX_VETH 100
#define SLOT_IFINDEX_BRIDGE 101
#define SLOT_IFINDEX_TUN 102

/* The slot's underlay: eth0 is INSIDE/30, the root side answers as GATEWAY. */
#define SLOT_INSIDE_ADDR "169.254.1.2"
#define SLOT_INSIDE_PLEN 30
#define SLOT_GATEWAY_ADDR "169.254.1.1"

/*
 * Both ends of the veth get fixed, locally administered MACs, so each side
 * holds a permanent neighbour entry for the other and neither ever ARPs.
 */
#define SLOT_VETH_MAC { 0x02, 0x73, 0x6e, 0x00, 0x00, 0x02 }    /* eth0 */
#define SLOT_GATEWAY_MAC { 0x02, 0x73, 0x6e, 0x00, 0x00, 0x01 } /* root-side end */

#endif
