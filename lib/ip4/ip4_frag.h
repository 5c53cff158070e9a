/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_FRAG_H
#define CAV_IP4_FRAG_H

/*
 * IPv4 fragmentation (RFC 791 §3.2) over rte_ipv4_fragment_packet, which
 * builds each fragment as a new direct mbuf holding the IPv4 header (options
 * copied per their "copied" bit, RFC 791 §3.1) and indirect mbufs pointing
 * into the original's data, so payload is never copied. It leaves the
 * checksum zero and does not touch the mbuf private area: ip4_fragment()
 * does both.
 */

#include <stdint.h>

#include <rte_mbuf.h>

/* Room for a 65,535-byte datagram cut for an MTU of 576 (the datagram
 * every IPv4 host accepts, RFC 791 §3.1): 119 fragments of 552 bytes. */
#define IP4_FRAG_MAX_OUT 128

/*
 * Cut `m` (data at its IPv4 header, DF clear, longer than `mtu`) into
 * fragments of at most `mtu` bytes, stored in out[0..n). Each gets m's
 * pkt_meta and a valid header checksum. `m` itself is left to the caller
 * (the fragments hold references to its data; free it after).
 *
 * Returns the number of fragments, or -errno: EINVAL (MTU below 68, the
 * header not in the first segment, more than n_out fragments), ENOTSUP (DF
 * set), ENOMEM (a pool is empty; nothing is left allocated).
 */
int ip4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
		 struct rte_mempool *indirect, struct rte_mbuf **out, uint16_t n_out);

#endif
