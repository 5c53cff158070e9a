/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ETH_H
#define CAV_ETH_H

/*
 * Ethernet input: own unicast, broadcast (and subscribed multicast) frames
 * are accepted; the EtherType picks the next stage from a table that upper
 * layers fill by registration, so this layer never includes them. On the way
 * up, eth_input strips the Ethernet header (the next stage sees its own
 * header at the start of the data).
 */

#include <stdint.h>

/*
 * Register `node_name` as the stage for `ethertype` (host byte order). Call
 * from an RTE_INIT constructor; edges are added at graph setup.
 */
void eth_input_register(uint16_t ethertype, const char *node_name);

#endif
