/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_CT_PKT_H
#define CAV_CT_PKT_H

/*
 * A datagram as the hooks see it: parsed once per hook (nf_pkt_parse) into
 * what conntrack, NAT and the rules need. Then conntrack's decision for it
 * (ct_in), at PREROUTING and OUTPUT.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "ct.h"

struct nf_pkt {
	struct ct_tuple tuple; /* as the packet carries it */
	uint32_t ip_len;       /* total length */
	uint16_t l4_off;       /* IPv4 header length */
	uint8_t dscp;
	uint8_t ttl;
	uint8_t frag;	   /* not the first fragment: no transport header */
	uint8_t l4_ok;	   /* the transport header is there (TCP: with its options) */
	uint8_t tcp_flags;
	uint8_t icmp_type; /* ICMP: type and code */
	uint8_t icmp_code;
	uint8_t icmp_err; /* an ICMP error quoting a datagram we could read */
	uint16_t mss_off; /* TCP SYN: offset of the MSS option's value, 0 = none */
	uint16_t inner_off;    /* ICMP error: the quoted IPv4 header */
	uint16_t inner_l4_off; /* and its transport header */
	uint16_t inner_l4_len; /* bytes of it quoted */
	struct ct_tuple inner; /* the quoted datagram's tuple */
	struct ct_tcp_seg seg; /* TCP */
};

/* ICMP types that are errors (RFC 792, RFC 1122 §3.2.2): they quote the
 * datagram they are about. */
static inline bool
nf_icmp_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * Parse the datagram at m's data (a valid IPv4 header, any number of
 * segments). Never fails: what cannot be read is flagged (l4_ok = 0 for a
 * transport header cut short, frag for a later fragment).
 */
void nf_pkt_parse(const struct rte_mbuf *m, struct nf_pkt *p);

enum ct_verdict {
	CT_V_OK,      /* *idx, *info set (idx CT_IDX_NONE: no entry) */
	CT_V_HANDOFF, /* *idx is another worker's entry: hand the packet over */
	CT_V_FULL,    /* a new connection and no room: drop */
};

/*
 * Conntrack for a packet at PREROUTING or OUTPUT, on worker cw: find its
 * entry (or its connection, for an ICMP error: RELATED), track its state,
 * or create one for a new connection. *info gets the state bit and
 * CT_INFO_REPLY; *created whether this packet made the entry (its NAT is
 * still to be decided, and it is not yet confirmed).
 */
enum ct_verdict ct_in(struct ct_worker *cw, const struct nf_pkt *p, uint64_t now, uint32_t *idx,
		      uint8_t *info, bool *created);

/* The same with p->tuple looked up already (a burst's bulk lookup):
 * found 0 and the entry and direction, or -1. An answer the burst's
 * earlier packets made stale is looked up again. */
enum ct_verdict ct_in_found(struct ct_worker *cw, const struct nf_pkt *p, uint64_t now, int found,
			    uint32_t i, int dir, uint32_t *idx, uint8_t *info, bool *created);

#endif
