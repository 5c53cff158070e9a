/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ICMP_H
#define CAV_ICMP_H

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
 * Allocate the worker's ICMP error rate limiter (w->icmp_rl) on `socket`
 * (main lcore, before the worker starts; needs w->sh->tsc_hz). Returns 0 or
 * -1 (rte_errno). Without it icmp_error sends nothing that the limit
 * applies to (drop_icmp_error_ratelimited): fail closed.
 */
int icmp_worker_init(struct dp_worker *w, int socket);
void icmp_worker_fini(struct dp_worker *w);

#endif
