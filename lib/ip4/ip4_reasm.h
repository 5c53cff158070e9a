/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_REASM_H
#define CAV_IP4_REASM_H

/*
 * IPv4 reassembly (RFC 791 §3.2, RFC 815) over DPDK's rte_ip_frag, with
 * time injected. What rte_ip_frag does, read from its source (22.11):
 *  - fragments are keyed by (src, dst, id, protocol); a datagram holds at
 *    most RTE_LIBRTE_IP_FRAG_MAX_FRAG (8) fragments: a ninth, a second
 *    first or a second last fragment discards the whole datagram;
 *  - once the byte count reaches the total length it chains the pieces by
 *    offset; a hole, an overlap or a duplicate makes the count disagree
 *    with the offsets and the datagram is discarded (never merged);
 *  - it never frees: discarded mbufs go to a death row the caller frees;
 *  - it needs m->l2_len and m->l3_len (data at L2); ours is at L3, so
 *    l2_len = 0;
 *  - the result is a chain: first fragment's mbuf (its IPv4 header, total
 *    length and flags rewritten, checksum ZEROED) then the others' payload.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

enum ip4_reasm_verdict {
	IP4_REASM_COMPLETE,	/* *m is now the whole datagram, checksum set */
	IP4_REASM_HELD,		/* the table or the death row owns the fragment */
	IP4_REASM_TOO_BIG,	/* would end past 65,535 bytes: caller drops *m */
	IP4_REASM_BAD_FRAGMENT, /* no payload, or not last and not a multiple
				 * of 8 bytes (RFC 791 §3.2): caller drops *m */
};

/* One call may put up to this many mbufs on the death row (a stale entry's
 * fragments and the new one): drain it before it has less room. */
#define IP4_REASM_DR_ROOM (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1)

static inline bool
ip4_reasm_dr_full(const struct rte_ip_frag_death_row *dr)
{
	return RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - dr->cnt < IP4_REASM_DR_ROOM;
}

/* The table of ip4.h's bounds; `tsc_hz` converts its timeout to `now`'s
 * unit. NULL on failure (rte_errno). */
struct rte_ip_frag_tbl *ip4_reasm_table_create(uint64_t tsc_hz, int socket);

/*
 * Add the fragment *m (data at its IPv4 header, validated by
 * ip4_input_check) at time `now`. The death row must have
 * IP4_REASM_DR_ROOM free slots.
 */
enum ip4_reasm_verdict ip4_reasm(struct rte_ip_frag_tbl *tbl, struct rte_ip_frag_death_row *dr,
				 struct rte_mbuf **m, uint64_t now);

/* Is the datagram at m's data a fragment (MF set or offset non-zero)? */
static inline bool
ip4_is_fragment(const struct rte_ipv4_hdr *h)
{
	return (h->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

#endif
