/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_H
#define CAV_IP4_H

/*
 * IPv4: the graph nodes, and what other modules need from them. The
 * netfilter hooks (nf_*, lib/filter) sit where Linux has them:
 *
 *   eth_input → ip4_input ─┬→ [ip4_defrag, conntrack on] → nf_prerouting → ip4_route
 *   ip4_route ─┬→ nf_input → ip4_local → <registered transport> | icmp_error
 *              ├→ ip4_forward → nf_forward → nf_postrouting → ip4_mtu
 *              └→ icmp_error (no route)
 *   <local sender> → ip4_output → nf_output ─┬→ nf_postrouting → ip4_mtu
 *                                           └→ nf_input (to ourselves)
 *   ip4_mtu → neigh_output | ip4_fragment → neigh_output | icmp_error
 *
 * A hook with nothing to do in this walk (dp_worker.nf_busy) is skipped
 * with the stage it would hand to: PREROUTING idle, ip4_input makes the
 * route decision (→ ip4_forward | nf_input | icmp_error); FORWARD and
 * POSTROUTING idle, ip4_forward → neigh_output | ip4_fragment (ip4_stage.h).
 *
 * Data position: every IPv4 node but the transports sees the data at the
 * IPv4 header. A transport node registered with
 * ip4_local_register() receives the datagram (reassembled if it came in
 * fragments: then a chain of mbufs, read headers with rte_pktmbuf_read) with
 * the data at ITS header; the IPv4 header is just before it and m->l3_len is
 * its length, so rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
 * -(int)m->l3_len) reads it and rte_pktmbuf_prepend(m, m->l3_len) gives it
 * back (icmp_error wants the data at the IPv4 header).
 *
 * ip4_output takes a complete IPv4 header, checksum included, and pkt_meta
 * flags PKT_META_F_LOCAL_OUT.
 */

#include <stdint.h>

struct dp_worker;

/*
 * Register `node_name` as the transport for IP protocol `proto`
 * (IPPROTO_UDP, ...). Call from an RTE_INIT constructor: ip4_local's setup
 * hook adds the edges before the graphs are created. A protocol registered
 * twice, or a node that does not exist at setup, is fatal (rte_panic / the
 * setup hook fails).
 */
void ip4_local_register(uint8_t proto, const char *node_name);

/*
 * Reassembly (ip4_reasm.h). Each worker owns a table (ip4_worker_init); these
 * bounds are per worker:
 *  - 256 datagrams in flight; when a fragment of a new one finds the table
 *    full, the oldest is evicted (refusing the new one instead would let
 *    256 stray fragments every 30 s stop all reassembly);
 *  - 128 fragments per datagram: 65,535 bytes cut for 576 bytes (the
 *    datagram every host accepts, RFC 791 §3.1) are 119 fragments, for a
 *    1500-byte MTU 45. Every fragment but the last carries a multiple of 8
 *    bytes, at least 8;
 *  - 4 MiB of buffers pinned (Linux's ipfrag_high_thresh), counted as the
 *    buf_len of every held segment, so a fragment of 8 bytes costs a whole
 *    buffer: past it, the oldest datagrams are evicted. With 2 KiB buffers
 *    that is ~1,900 mbufs of the shared pool per worker;
 *  - a datagram is abandoned 30 s after its first fragment (Linux's
 *    ipfrag_time; RFC 1122 §3.3.2 leaves it to the implementation).
 */
#define IP4_REASM_MAX_DATAGRAMS 256
#define IP4_REASM_MAX_FRAGS 128
#define IP4_REASM_MAX_BYTES (4u << 20)
#define IP4_REASM_TIMEOUT_S 30

/*
 * Create the worker's reassembly table on `socket` (main lcore, before the
 * worker starts; needs w->sh->tsc_hz). Returns 0 or -1 (rte_errno set).
 * Without it, ip4_local drops every fragment (drop_ip4_reasm_failed).
 * About 540 KiB of rte_malloc memory.
 */
int ip4_worker_init(struct dp_worker *w, int socket);

/* Free the table and every fragment it still holds (after the worker
 * stopped). */
void ip4_worker_fini(struct dp_worker *w);

#endif
