/* SPDX-License-Identifier: BSD-3-Clause */
#include "ip4_reasm.h"

#include <rte_byteorder.h>

#include "ip4.h"
#include "ip4_check.h"

struct rte_ip_frag_tbl *
ip4_reasm_table_create(uint64_t tsc_hz, int socket)
{
	return rte_ip_frag_table_create(IP4_REASM_BUCKETS, IP4_REASM_BUCKET_ENTRIES,
					IP4_REASM_MAX_DATAGRAMS, tsc_hz * IP4_REASM_TIMEOUT_S,
					socket);
}

enum ip4_reasm_verdict
ip4_reasm(struct rte_ip_frag_tbl *tbl, struct rte_ip_frag_death_row *dr, struct rte_mbuf **m,
	  uint64_t now)
{
	struct rte_mbuf *frag = *m;
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(frag, struct rte_ipv4_hdr *);
	uint32_t hl = rte_ipv4_hdr_len(h);
	uint32_t len = rte_be_to_cpu_16(h->total_length) - hl;
	uint16_t fo = rte_be_to_cpu_16(h->fragment_offset);
	uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;

	/* Checked here, not left to rte_ip_frag: some releases store an empty
	 * fragment and let a datagram grow past 16 bits of total length
	 * (which it then writes truncated). The 65,535 bytes include the
	 * header of the first fragment, so this bound (with this fragment's
	 * header) is exact when every header is the same size. */
	if (len == 0 || ((fo & RTE_IPV4_HDR_MF_FLAG) && (len & 7) != 0))
		return IP4_REASM_BAD_FRAGMENT;
	if (off + len + hl > UINT16_MAX)
		return IP4_REASM_TOO_BIG;

	frag->l2_len = 0;
	frag->l3_len = hl;
	struct rte_mbuf *whole = rte_ipv4_frag_reassemble_packet(tbl, dr, frag, now, h);
	if (whole == NULL)
		return IP4_REASM_HELD;

	/* rte_ip_frag zeroed the checksum of the rewritten header; upper
	 * layers (and an ICMP error quoting it) expect a valid one. */
	ip4_set_cksum(rte_pktmbuf_mtod(whole, struct rte_ipv4_hdr *));
	*m = whole;
	return IP4_REASM_COMPLETE;
}
