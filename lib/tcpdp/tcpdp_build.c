/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segments on the wire: the TCP checksum of a received segment, and the
 * IPv4 + TCP packet for a struct tcp_out, its payload copied from the
 * client's TX ring (the send buffer: retransmissions read from it too).
 */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ip4_check.h"
#include "tcpdp_priv.h"

#define TCPDP_TTL 64
#define TCPDP_ECN_ECT0 0x02 /* RFC 3168 §5: ECN field 10 */

bool
tcpdp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih, uint32_t len)
{
	/* RFC 9293 §3.1: the pseudo header with protocol 6. */
	return ip4_l4_cksum_ok(m, ih, IPPROTO_TCP, len);
}

void
tcpdp_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len)
{
	ip4_mbuf_copy_out(m, off, dst, len);
}

/*
 * Append `len` bytes of the ring (free-running index idx, wrapping at
 * ring_size) to the chain, summing as it goes. A piece that starts at an
 * odd offset of the payload has its sum byte-swapped (RFC 1071 §2(B)), so
 * pieces of any length add up.
 */
static int
append_ring(struct rte_mempool *mp, struct rte_mbuf *m, const uint8_t *ring, uint32_t ring_size,
	    uint32_t idx, uint32_t len, uint32_t *sum)
{
	struct rte_mbuf *seg = rte_pktmbuf_lastseg(m);
	uint32_t done = 0;
	while (done < len) {
		uint32_t room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);
			if (n == NULL)
				return -1;
			seg->next = n;
			seg = n;
			m->nb_segs++;
			continue;
		}
		uint32_t off = (idx + done) & (ring_size - 1);
		uint32_t k = len - done;
		if (k > room)
			k = room;
		if (k > ring_size - off)
			k = ring_size - off;
		uint8_t *d = rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len);
		rte_memcpy(d, ring + off, k);
		seg->data_len = (uint16_t)(seg->data_len + k);
		m->pkt_len += k;
		uint16_t s = ip4_cksum_fold(rte_raw_cksum(d, k));
		*sum += (done & 1) ? rte_bswap16(s) : s;
		done += k;
	}
	return 0;
}

struct rte_mbuf *
tcpdp_build(struct rte_mempool *mp, const struct tcp_out *out, const uint8_t *ring,
	    uint32_t ring_size, uint32_t idx, uint16_t ip_id, bool df)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	uint32_t thl = tcp_hdr_len(out);
	uint32_t hl = (uint32_t)sizeof(struct rte_ipv4_hdr) + thl;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)hl);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)p;
	uint8_t *th = p + sizeof(*ih);
	tcp_write_hdr(th, out);
	uint32_t sum = 0;
	if (out->len > 0 && append_ring(mp, m, ring, ring_size, idx, out->len, &sum) != 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	uint32_t tcp_len = thl + out->len;
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	/* RFC 3168 §6.1.5: ECT(0) only where the core asked for it (new data
	 * of an ECN connection); SYNs, pure ACKs, RSTs and retransmissions
	 * stay Not-ECT. DSCP 0 (best effort, as Linux's default IP_TOS). */
	ih->type_of_service = out->ect ? TCPDP_ECN_ECT0 : 0;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ih) + tcp_len));
	ih->packet_id = rte_cpu_to_be_16(ip_id);
	/* DF: TCP sizes its segments to the path (RFC 1191; Linux sets DF
	 * on TCP whenever PMTU discovery is on, the default), unless the
	 * path announced an MTU below the floor (the caller's df). */
	ih->fragment_offset = rte_cpu_to_be_16(df ? RTE_IPV4_HDR_DF_FLAG : 0);
	ih->time_to_live = TCPDP_TTL;
	ih->next_proto_id = IPPROTO_TCP;
	ih->src_addr = rte_cpu_to_be_32(out->tuple.laddr);
	ih->dst_addr = rte_cpu_to_be_32(out->tuple.raddr);
	ip4_set_cksum(ih);
	/* Header length is a multiple of 4: the payload starts at an even
	 * offset, and its sum adds to the header's as it is. */
	sum +=
	    ip4_phdr_sum(ih->src_addr, ih->dst_addr, IPPROTO_TCP, tcp_len) + rte_raw_cksum(th, thl);
	uint16_t ck = (uint16_t)~ip4_cksum_fold(sum);
	memcpy(th + 16, &ck, sizeof(ck)); /* the checksum field, network order as summed */
	return m;
}
