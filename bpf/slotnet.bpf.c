// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The slotnet BPF object.  Prewarm loads it through its skeleton and pins
 * its maps by name in the pin directory; later commands open the pins.
 */
#include "maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
