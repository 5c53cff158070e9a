/* SPDX-License-Identifier: BSD-3-Clause */
#include "icmp_build.h"

#include <netinet/ip_icmp.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "ip4_check.h"

/* Linux's icmp_pointers[].error: the types that are errors. Unknown types
 * (past NR_ICMP_TYPES, 18) count as errors too: safer to stay silent. */
static bool
type_is_error(uint8_t type)
{
	switch (type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return true;
	default:
		return type > NR_ICMP_TYPES;
	}
}

enum icmp_error_verdict
icmp_error_check(const struct rte_mbuf *orig, bool dst_bcast, bool src_bcast)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(orig, const struct rte_ipv4_hdr *);

	if (h->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK))
		return ICMP_ERROR_NOT_FIRST_FRAGMENT;
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);
	if (dst_bcast || ip4_addr_is_multicast(dst) || dst == UINT32_MAX)
		return ICMP_ERROR_TO_BROADCAST;
	uint32_t src = rte_be_to_cpu_32(h->src_addr);
	if (src_bcast || ip4_addr_is_special(src))
		return ICMP_ERROR_FROM_NON_HOST;
	if (h->next_proto_id == IPPROTO_ICMP) {
		uint8_t type;
		const uint8_t *t = rte_pktmbuf_read(orig, rte_ipv4_hdr_len(h), 1, &type);
		if (t == NULL || type_is_error(*t))
			return ICMP_ERROR_ABOUT_ICMP_ERROR;
	}
	return ICMP_ERROR_SEND;
}

/* One's complement checksum of a message, ready to store. */
static uint16_t
cksum_of(const void *p, size_t len)
{
	return (uint16_t)~rte_raw_cksum(p, len);
}

struct rte_mbuf *
icmp_error_build(struct rte_mempool *mp, const struct rte_mbuf *orig, uint8_t type, uint8_t code,
		 uint16_t mtu, uint32_t src, uint16_t ip_id)
{
	const struct rte_ipv4_hdr *oh = rte_pktmbuf_mtod(orig, const struct rte_ipv4_hdr *);
	const uint32_t hdrs = sizeof(struct rte_ipv4_hdr) + ICMP_HDR_LEN;
	uint32_t quote = RTE_MIN(rte_pktmbuf_pkt_len(orig), ICMP_ERROR_MAX_LEN - hdrs);

	/* rte_pktmbuf_alloc leaves RTE_PKTMBUF_HEADROOM for the Ethernet
	 * header that neigh_output prepends. */
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hdrs + quote));
	if (p == NULL) { /* data room under 576 bytes: a misconfigured pool */
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)p;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ih + 1);
	uint8_t *q = (uint8_t *)(ic + 1);

	/* The offending datagram from its IPv4 header on (RFC 792: header
	 * + 64 bits at least; RFC 1812 §4.3.2.3: as much as fits). */
	const void *data = rte_pktmbuf_read(orig, 0, quote, q);
	if (data != q)
		memcpy(q, data, quote);

	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_ident = 0; /* the "unused" word, high half */
	ic->icmp_seq_nb = (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) ?
				  rte_cpu_to_be_16(mtu) : 0;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = cksum_of(ic, ICMP_HDR_LEN + quote);

	/* RFC 1812 §4.3.2.5: precedence 6 (internetwork control), the TOS
	 * bits of the offender (Linux: RT_TOS(tos) | IPTOS_PREC_INTERNETCONTROL). */
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->type_of_service = (uint8_t)(0xc0 | (oh->type_of_service & 0x1e));
	ih->total_length = rte_cpu_to_be_16((uint16_t)(hdrs + quote));
	ih->packet_id = rte_cpu_to_be_16(ip_id);
	ih->fragment_offset = 0;
	ih->time_to_live = ICMP_TTL;
	ih->next_proto_id = IPPROTO_ICMP;
	ih->src_addr = rte_cpu_to_be_32(src);
	ih->dst_addr = oh->src_addr;
	ip4_set_cksum(ih);
	return m;
}

bool
icmp_cksum_ok(const struct rte_mbuf *m)
{
	uint16_t sum;
	/* Summed with its checksum field, a right message gives 0xffff
	 * (RFC 1071). */
	return ip4_raw_cksum_mbuf(m, 0, rte_pktmbuf_pkt_len(m), &sum) == 0 && sum == 0xffff;
}

/* Write `len` bytes at `off` of a chain (rte_pktmbuf_read's inverse). */
static void
mbuf_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *p = src;
	for (struct rte_mbuf *s = m; s != NULL && len > 0; s = s->next) {
		if (off >= s->data_len) {
			off -= s->data_len;
			continue;
		}
		uint32_t n = RTE_MIN(len, (uint32_t)s->data_len - off);
		memcpy(rte_pktmbuf_mtod_offset(s, uint8_t *, off), p, n);
		p += n;
		len -= n;
		off = 0;
	}
}

int
icmp_echo_reply(struct rte_mbuf *m)
{
	uint32_t icmp_len = rte_pktmbuf_pkt_len(m);
	if (icmp_len < ICMP_HDR_LEN || m->l3_len < sizeof(struct rte_ipv4_hdr) ||
	    rte_pktmbuf_headroom(m) < m->l3_len)
		return -1;
	/* The request's header, read before the new one overwrites it. */
	const struct rte_ipv4_hdr *rq = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								 -(int)m->l3_len);
	rte_be32_t rq_src = rq->src_addr, rq_dst = rq->dst_addr;
	rte_be16_t rq_id = rq->packet_id;
	uint8_t rq_tos = rq->type_of_service;

	/* Type, code and checksum: the first 4 bytes, wherever they are (a
	 * datagram reassembled from fragments made by rte_ip_frag starts
	 * with a segment that held only the IPv4 header). */
	uint8_t head[4] = {RTE_IP_ICMP_ECHO_REPLY, 0, 0, 0};
	mbuf_write(m, 0, head, sizeof(head));
	uint16_t sum;
	if (ip4_raw_cksum_mbuf(m, 0, icmp_len, &sum) != 0)
		return -1; /* cannot happen: the length is the packet's */
	sum = (uint16_t)~sum;
	mbuf_write(m, offsetof(struct rte_icmp_hdr, icmp_cksum), &sum, sizeof(sum));

	/* A plain 20-byte header in the last 20 bytes of the old one. */
	struct rte_ipv4_hdr *ih =
		(struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_ipv4_hdr));
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->type_of_service = rq_tos; /* RFC 1812 §4.3.2.5: same precedence */
	ih->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ih) + icmp_len));
	ih->packet_id = rq_id;
	ih->fragment_offset = 0;
	ih->time_to_live = ICMP_TTL;
	ih->next_proto_id = IPPROTO_ICMP;
	ih->src_addr = rq_dst;
	ih->dst_addr = rq_src;
	ip4_set_cksum(ih);
	m->l3_len = sizeof(*ih);
	return 0;
}
