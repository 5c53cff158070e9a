/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_REASM_H
#define CAV_IP4_REASM_H

/*
 * IPv4 reassembly (RFC 791 §3.2, RFC 815), our own: one table per worker,
 * no locks, time injected (`now` in TSC ticks). Bounds in ip4.h.
 *
 * Policy (Linux's since 4.x, RFC 5722's rule for IPv6 applied to IPv4):
 *  - a fragment is keyed by (src, dst, id, protocol) (RFC 791 §3.2);
 *  - an exact duplicate (same offset and length as a held fragment) is
 *    dropped alone: the datagram stays (a retransmitted fragment);
 *  - any other overlap discards the whole datagram: overlapping fragments
 *    are how filters get evaded (RFC 1858 §4), never merged;
 *  - so is a fragment past the end the last fragment announced, a second
 *    last fragment with another end, a datagram that would end past 65,535
 *    bytes, or one that needs more than IP4_REASM_MAX_FRAGS fragments;
 *  - a datagram is abandoned IP4_REASM_TIMEOUT_S after its first fragment
 *    came (not refreshed by later ones, like Linux);
 *  - when the table is full, or the buffers the held fragments pin would
 *    pass IP4_REASM_MAX_BYTES, the oldest datagram is evicted.
 *
 * The result is a chain: the first fragment's mbuf (its IPv4 header, its
 * pkt_meta) then the other fragments' payload, headers stripped, in offset
 * order. Total length and flags are rewritten (MF and offset cleared, DF
 * kept) and the header checksum recomputed.
 *
 * Every mbuf the reassembler gives up goes to the caller's sink with the
 * reason (the node maps each to a drop node); nothing is freed silently.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

struct ip4_reasm_tbl;

enum ip4_reasm_drop {
	IP4_REASM_DROP_BAD_FRAGMENT,   /* empty or unaligned, overlap, past the end */
	IP4_REASM_DROP_DUPLICATE,      /* exact duplicate: this fragment only */
	IP4_REASM_DROP_TOO_BIG,	       /* would end past 65,535 bytes */
	IP4_REASM_DROP_TOO_MANY_FRAGS, /* more than IP4_REASM_MAX_FRAGS */
	IP4_REASM_DROP_EVICTED,	       /* oldest, evicted for room or memory */
	IP4_REASM_DROP_TIMEOUT,	       /* IP4_REASM_TIMEOUT_S passed */
	IP4_REASM_DROP_NB,
};

/* Where discarded mbufs go: called once per fragment (each a whole mbuf
 * chain, its data anywhere); the callee owns it. */
struct ip4_reasm_sink {
	void (*drop)(void *ctx, struct rte_mbuf *m, enum ip4_reasm_drop why);
	void *ctx;
};

enum ip4_reasm_verdict {
	IP4_REASM_COMPLETE, /* *m is now the whole datagram */
	IP4_REASM_HELD,	    /* the table holds the fragment */
	IP4_REASM_DROPPED,  /* the fragment went to the sink */
};

/* The table of ip4.h's bounds on `socket`; `tsc_hz` converts the timeout
 * to `now`'s unit. NULL on failure (rte_errno = ENOMEM). */
struct ip4_reasm_tbl *ip4_reasm_table_create(uint64_t tsc_hz, int socket);

/* Free the table and every fragment it still holds (rte_pktmbuf_free:
 * the graph may be gone). NULL is a no-op. */
void ip4_reasm_table_free(struct ip4_reasm_tbl *t);

/*
 * Add the fragment *m (data at its IPv4 header, validated by
 * ip4_input_check, pkt_len trimmed to the total length) at time `now`,
 * after abandoning the datagrams that expired. Datagrams it discards on the
 * way (expired, evicted, invalidated by *m) go to `sink`.
 */
enum ip4_reasm_verdict ip4_reasm(struct ip4_reasm_tbl *t, struct rte_mbuf **m, uint64_t now,
				 const struct ip4_reasm_sink *sink);

/* Abandon the datagrams older than the timeout at `now`: O(1) when none
 * is (the oldest is checked first). */
void ip4_reasm_expire(struct ip4_reasm_tbl *t, uint64_t now, const struct ip4_reasm_sink *sink);

/* Datagrams in flight, and the buffer bytes their fragments pin (the sum
 * of buf_len over each held segment, like Linux's truesize). */
unsigned int ip4_reasm_in_flight(const struct ip4_reasm_tbl *t);
uint32_t ip4_reasm_pinned(const struct ip4_reasm_tbl *t);

/* Is the datagram at m's data a fragment (MF set or offset non-zero)? */
static inline bool
ip4_is_fragment(const struct rte_ipv4_hdr *h)
{
	return (h->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

#endif
