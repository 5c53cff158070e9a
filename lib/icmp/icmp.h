/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ICMP_H
#define CAV_ICMP_H

#include <stdint.h>

/*
 * ICMP (RFC 792, RFC 1122 §3.2.2, RFC 1812 §4.3): the graph nodes
 *
 *   icmp_input (registered with ip4_local for IPPROTO_ICMP; data at the
 *     ICMP header): echo request → echo reply → ip4_output; the rest is
 *     counted and dropped for now.
 *   icmp_error: any stage that refuses a datagram sends it here with the
 *     data at its IPv4 header and pkt_meta icmp_type, icmp_code (and
 *     icmp_mtu for "fragmentation needed"); an error is built about it (or
 *     not: the RFC 1812 §4.3.2.7 rules and the rate limit) → ip4_output.
 *     A transport node that got the data at its own header gives the IPv4
 *     header back first: rte_pktmbuf_prepend(m, m->l3_len).
 */

struct dp_worker;

/*
 * Register `node_name` for the destination-unreachable errors (type 3)
 * that quote a datagram of IP protocol `proto` (its transport finds the
 * socket from the quoted headers: RFC 1122 §4.1.3.3 for UDP). Call from an
 * RTE_INIT constructor; icmp_input's setup hook adds the edges. The node
 * receives the message with the data at the ICMP header, checksum checked.
 */
void icmp_error_register(uint8_t proto, const char *node_name);

/*
 * Allocate the worker's ICMP error rate limiter (w->icmp_rl) on `socket`
 * (main lcore, before the worker starts; needs w->sh->tsc_hz). Returns 0 or
 * -1 (rte_errno). Without it icmp_error sends nothing that the limit
 * applies to (drop_icmp_error_ratelimited): fail closed.
 */
int icmp_worker_init(struct dp_worker *w, int socket);
void icmp_worker_fini(struct dp_worker *w);

#endif
