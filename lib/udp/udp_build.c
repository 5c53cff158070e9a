/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "ip4_check.h"
#include "udp.h"

bool
udp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih, uint16_t ulen)
{
	struct rte_udp_hdr buf;
	const struct rte_udp_hdr *uh = rte_pktmbuf_read(m, 0, sizeof(buf), &buf);
	if (uh->dgram_cksum == 0)
		return true; /* RFC 768: the sender computed none */
	return ip4_l4_cksum_ok(m, ih, IPPROTO_UDP, ulen);
}

void
udp_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len)
{
	ip4_mbuf_copy_out(m, off, dst, len);
}

struct rte_mbuf *
udp_build(struct rte_mempool *mp, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	  const uint8_t *data, uint32_t len, uint16_t ip_id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	const uint32_t hl = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)hl);
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(p + sizeof(*ih));

	/* Payload: every segment but the last holds an even number of bytes,
	 * so each starts at an even offset of the UDP message and the
	 * per-segment sums simply add up (RFC 1071). Summed right after the
	 * copy, while the bytes are in cache. */
	uint32_t sum = 0, off = 0;
	struct rte_mbuf *seg = m;
	while (off < len) {
		uint32_t room = rte_pktmbuf_tailroom(seg) & ~1u;
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);
			if (n == NULL) {
				rte_pktmbuf_free(m);
				return NULL;
			}
			seg->next = n;
			seg = n;
			m->nb_segs++;
			continue;
		}
		uint32_t k = len - off < room ? len - off : room;
		uint8_t *d = rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len);
		seg->data_len = (uint16_t)(seg->data_len + k);
		m->pkt_len += k;
		rte_memcpy(d, data + off, k);
		sum += rte_raw_cksum(d, k);
		off += k;
	}
	uint16_t ulen = (uint16_t)(sizeof(*uh) + len);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16(ulen);
	uh->dgram_cksum = 0;
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->type_of_service = 0;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(hl + len));
	ih->packet_id = rte_cpu_to_be_16(ip_id);
	ih->fragment_offset = 0; /* DF clear: large datagrams get fragmented */
	ih->time_to_live = UDP_TTL;
	ih->next_proto_id = IPPROTO_UDP;
	ih->src_addr = rte_cpu_to_be_32(src);
	ih->dst_addr = rte_cpu_to_be_32(dst);
	ip4_set_cksum(ih);
	sum += ip4_phdr_sum(ih->src_addr, ih->dst_addr, IPPROTO_UDP, ulen) +
	       rte_raw_cksum(uh, sizeof(*uh));
	uint16_t ck = (uint16_t)~ip4_cksum_fold(sum);
	/* RFC 768: a computed 0 is sent as all ones (0 means "none"). */
	uh->dgram_cksum = ck == 0 ? 0xffff : ck;
	return m;
}
