/* SPDX-License-Identifier: BSD-3-Clause */
#include "ip4_check.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_memcpy.h>

#define IP4_MIN_HDR ((uint32_t)sizeof(struct rte_ipv4_hdr))

static bool
header_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *h, uint32_t hl)
{
	/* Trust the NIC when it looked (RTE_MBUF_F_RX_IP_CKSUM_GOOD/BAD);
	 * UNKNOWN and NONE mean it did not. */
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return false;
	default:
		/* The one's complement sum over a header whose checksum
		 * is right, checksum field included, is 0xffff (RFC 1071). */
		if (likely(hl == sizeof(struct rte_ipv4_hdr)))
			return ip4_hdr20_sum(h) == 0xffff;
		return rte_raw_cksum(h, hl) == 0xffff;
	}
}

enum ip4_input_verdict
ip4_input_check(const struct rte_mbuf *m)
{
	/* §5.2.2 (1): the link layer gave at least a minimal header. */
	if (unlikely(rte_pktmbuf_pkt_len(m) < IP4_MIN_HDR ||
		     rte_pktmbuf_data_len(m) < IP4_MIN_HDR))
		return IP4_INPUT_TRUNCATED;
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);

	/* §5.2.2 (3): version 4. */
	if (unlikely((h->version_ihl >> 4) != IPVERSION))
		return IP4_INPUT_BAD_VERSION;

	/* §5.2.2 (4): the header length covers at least the fixed header. */
	uint32_t hl = rte_ipv4_hdr_len(h);
	if (unlikely(hl < IP4_MIN_HDR))
		return IP4_INPUT_BAD_IHL;

	/* The packet holds the header it announces (options included), in the
	 * first segment so that later stages may edit it in place. */
	if (unlikely(hl > rte_pktmbuf_data_len(m)))
		return IP4_INPUT_TRUNCATED;

	/* §5.2.2 (2): the checksum. */
	if (unlikely(!header_cksum_ok(m, h, hl)))
		return IP4_INPUT_BAD_CHECKSUM;

	/* §5.2.2 (5): the total length covers the header. And it fits in
	 * what the link layer delivered: a shorter frame carries a truncated
	 * datagram; a longer one carries padding (Ethernet's 60-byte
	 * minimum), which the caller trims. */
	uint32_t tot = rte_be_to_cpu_16(h->total_length);
	if (unlikely(tot < hl || tot > rte_pktmbuf_pkt_len(m)))
		return IP4_INPUT_BAD_LENGTH;

	/* §5.3.7 and §4.2.2.11: martian sources are never accepted. */
	uint32_t src = rte_be_to_cpu_32(h->src_addr);
	if (unlikely(ip4_addr_is_special(src)))
		return IP4_INPUT_MARTIAN_SRC;

	/* §5.3.7: nor destinations 0/8, 127/8 and class E; 255.255.255.255
	 * is the limited broadcast, delivered locally. */
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);
	if (unlikely(ip4_addr_is_special(dst))) {
		if (ip4_addr_is_multicast(dst))
			return IP4_INPUT_MULTICAST;
		if (dst != UINT32_MAX)
			return IP4_INPUT_MARTIAN_DST;
	}
	return IP4_INPUT_OK;
}

int
ip4_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *sum)
{
	if ((uint64_t)off + len > rte_pktmbuf_pkt_len(m))
		return -1;
	const struct rte_mbuf *seg = m;
	while (seg != NULL && off >= seg->data_len && len > 0) {
		off -= seg->data_len;
		seg = seg->next;
	}
	/* At most 65,535 segments of partial sums <= 0xffff: no overflow. */
	uint32_t total = 0, done = 0;
	for (; done < len; seg = seg->next, off = 0) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		const void *p = rte_pktmbuf_mtod_offset(seg, const void *, off);
		uint16_t part = __rte_raw_cksum_reduce(__rte_raw_cksum(p, n, 0));
		/* After an odd number of bytes this segment's words straddle
		 * the others': its sum counts with its bytes swapped
		 * (RFC 1071 §2 (B), byte order independence). */
		if (done & 1)
			part = rte_bswap16(part);
		total += part;
		done += n;
	}
	*sum = __rte_raw_cksum_reduce(total);
	return 0;
}

bool
ip4_l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih, uint8_t proto,
		uint32_t l4_len)
{
	if (m->nb_segs == 1) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
		if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			return true;
		if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
			return false;
	}
	uint16_t body;
	if (ip4_raw_cksum_mbuf(m, 0, l4_len, &body) != 0)
		return false;
	return ip4_cksum_fold(ip4_phdr_sum(ih->src_addr, ih->dst_addr, proto, l4_len) + body) ==
	       0xffff;
}

void
ip4_mbuf_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len)
{
	const struct rte_mbuf *seg = m;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (seg != NULL && len > 0) {
		uint32_t n = seg->data_len - off;
		if (n > len)
			n = len;
		rte_memcpy(dst, rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
}
