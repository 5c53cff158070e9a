/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_UDP_H
#define CAV_UDP_H

/*
 * UDP (RFC 768, RFC 1122 §4.1) for libcavsock sockets: the graph nodes
 *
 *   ip4_local → udp_input ─┬→ udp_deliver → udp_delivered   (owner is this worker)
 *                          ├→ udp_handoff ⇒ [owner's ring] ⇒ udp_handoff_rx → udp_deliver
 *                          └→ icmp_error (port unreachable) | drop_udp_*
 *   session_tx (source: every TX ring this worker owns) → ip4_output
 *   icmp_input (destination unreachable quoting UDP) → udp_err → the socket's SO_ERROR
 *
 * The pure parts (udp_build.c): checksum check and datagram building.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define UDP_HDR_LEN 8
#define UDP_TTL 64

/*
 * Is the UDP checksum of the datagram at m's data (UDP header first, `ulen`
 * bytes, any number of segments; the IPv4 header `ih` gives the pseudo
 * header) right? A zero checksum means "none" (RFC 768) and passes. The
 * PMD's verdict is used for a single-segment packet that it checked.
 */
bool udp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih, uint16_t ulen);

/*
 * A datagram from `mp`: IPv4 (DF clear, so ip4_output may fragment it; TTL
 * 64; id `ip_id`) + UDP header + `len` bytes of `data`, chained over as
 * many mbufs as it takes, both checksums computed in software. Addresses
 * and ports host order. NULL: pool empty (nothing left allocated).
 */
struct rte_mbuf *udp_build(struct rte_mempool *mp, uint32_t src, uint16_t sport, uint32_t dst,
			   uint16_t dport, const uint8_t *data, uint32_t len, uint16_t ip_id);

/* Copy `len` bytes at offset `off` of m (any segments) to dst. */
void udp_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len);

#endif
