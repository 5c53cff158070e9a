/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rewriting packets for NAT. Every checksum is updated incrementally (RFC
 * 1624 eqn. 3, csum_patch below): a 32-bit address is two 16-bit words;
 * the TCP and UDP checksums cover the addresses through the pseudo-header,
 * the ICMP checksum does not (but covers everything an ICMP error quotes).
 * A UDP checksum of 0 means "none" and stays 0 (RFC 768); one that comes
 * out 0 is sent as 0xffff.
 *
 * The headers written must be in the first segment (they are unless a
 * first fragment was cut absurdly small: RFC 1858's tiny fragments).
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nat.h"

/* Unaligned, as stored (the sum is byte-order independent). */
static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static inline void
wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/*
 * RFC 1624 eqn. 3 for several words at once: HC' = ~(~HC + Σ(~m + m')).
 * A change is summed as its terms (csum_delta16/32), the terms of every
 * word that changed are added up, and the checksum is patched once
 * (csum_patch): one fold instead of one per word. The sum stays below
 * 2^20 for the few words a rewrite changes, so two folds reduce it.
 * The result is the one's complement value that patching word by word
 * gives (one's complement addition is associative).
 */
static inline uint32_t
csum_delta16(uint16_t old, uint16_t new)
{
	return (uint32_t)(uint16_t)~old + new;
}

static inline uint32_t
csum_delta32(uint32_t old, uint32_t new)
{
	return csum_delta16((uint16_t)old, (uint16_t)new) +
	       csum_delta16((uint16_t)(old >> 16), (uint16_t)(new >> 16));
}

static inline uint16_t
csum_patch(uint16_t ck, uint32_t delta)
{
	uint32_t sum = (uint16_t)~ck + delta;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Checksum at ck (stored bytes): a 32-bit value changed old -> new. */
static inline void
adjust32(uint8_t *ck, uint32_t old, uint32_t new)
{
	wr16(ck, csum_patch(rd16(ck), csum_delta32(old, new)));
}

static inline void
adjust16(uint8_t *ck, uint16_t old, uint16_t new)
{
	wr16(ck, csum_patch(rd16(ck), csum_delta16(old, new)));
}

/* A pointer to [off, off + len) if it is in the first segment. */
static inline uint8_t *
hdr_at(struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	return off + len <= m->data_len ? rte_pktmbuf_mtod_offset(m, uint8_t *, off) : NULL;
}

#define IP_CKSUM 10 /* offsets in the IPv4 header */
#define IP_SRC 12
#define IP_DST 16

/* Where the transport checksum of `proto` is, in its header (-1: none). */
static inline int
l4_cksum_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return offsetof(struct rte_tcp_hdr, cksum);
	case IPPROTO_UDP:
		return offsetof(struct rte_udp_hdr, dgram_cksum);
	case IPPROTO_ICMP:
		return offsetof(struct rte_icmp_hdr, icmp_cksum);
	default:
		return -1;
	}
}

/* Where the port (TCP, UDP: source or destination) or the identifier
 * (ICMP query) is, in the transport header (-1: none). */
static inline int
l4_port_off(uint8_t proto, bool src)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return src ? 0 : 2;
	case IPPROTO_ICMP:
		return offsetof(struct rte_icmp_hdr, icmp_ident);
	default:
		return -1;
	}
}

/*
 * Change an address and port in a transport header at `l4` (len bytes of
 * it readable), the address being part of its pseudo-header (TCP, UDP).
 * `src`: the source port (or the ICMP identifier). `outer_ck` (may be
 * NULL) is a checksum that covers these bytes too (an ICMP error's, over
 * the quoted datagram): it follows every word that changes.
 */
static void
l4_rewrite(uint8_t proto, uint8_t *l4, uint32_t len, bool src, uint32_t old_addr,
	   uint32_t new_addr, uint16_t new_port, uint8_t *outer_ck)
{
	int co = l4_cksum_off(proto), po = l4_port_off(proto, src);
	uint8_t *ck = co >= 0 && (uint32_t)co + 2 <= len ? l4 + co : NULL;
	uint8_t *port = po >= 0 && (uint32_t)po + 2 <= len ? l4 + po : NULL;
	uint16_t ck_before = ck != NULL ? rd16(ck) : 0;
	uint32_t d_port = port != NULL ? csum_delta16(rd16(port), new_port) : 0;
	uint32_t d_outer = d_port;

	if (ck != NULL && !(proto == IPPROTO_UDP && ck_before == 0)) {
		uint32_t d = d_port;
		if (proto != IPPROTO_ICMP) /* the pseudo-header */
			d += csum_delta32(old_addr, new_addr);
		uint16_t c = csum_patch(ck_before, d);
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff; /* RFC 768: 0 would mean "none" */
		wr16(ck, c);
		d_outer += csum_delta16(ck_before, c);
	}
	if (port != NULL)
		wr16(port, new_port);
	if (outer_ck != NULL)
		wr16(outer_ck, csum_patch(rd16(outer_ck), d_outer));
}

/* Bytes of transport header a rewrite touches. */
static inline uint32_t
l4_need(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return sizeof(struct rte_tcp_hdr);
	case IPPROTO_UDP:
		return sizeof(struct rte_udp_hdr);
	case IPPROTO_ICMP:
		return sizeof(struct rte_icmp_hdr);
	default:
		return 0;
	}
}

int
nat_rewrite(struct rte_mbuf *m, const struct nf_pkt *p, enum nat_manip manip, rte_be32_t addr,
	    rte_be16_t port)
{
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *a = h + (manip == NAT_MANIP_SRC ? IP_SRC : IP_DST);
	uint8_t proto = p->tuple.proto;
	uint32_t old = rd32(a);
	uint32_t d_addr = csum_delta32(old, addr);

	if (likely(!p->frag && (proto == IPPROTO_UDP || proto == IPPROTO_TCP))) {
		/* The common case, l4_rewrite's work in one patch of each
		 * checksum: the address (pseudo-header) and the port. */
		bool udp = proto == IPPROTO_UDP;
		uint8_t *l4 = hdr_at(m, p->l4_off, udp ? sizeof(struct rte_udp_hdr)
							: sizeof(struct rte_tcp_hdr));
		if (l4 == NULL)
			return -1;
		uint8_t *pp = l4 + (manip == NAT_MANIP_SRC ? 0 : 2);
		uint8_t *ck = l4 + (udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
				       : offsetof(struct rte_tcp_hdr, cksum));
		uint16_t c = rd16(ck);
		if (!(udp && c == 0)) {
			c = csum_patch(c, d_addr + csum_delta16(rd16(pp), port));
			wr16(ck, udp && c == 0 ? 0xffff : c); /* RFC 768: 0 would mean "none" */
		}
		wr16(pp, port);
	} else {
		uint32_t need = p->frag ? 0 : l4_need(proto);
		uint8_t *l4 = need ? hdr_at(m, p->l4_off, need) : NULL;
		if (need != 0 && l4 == NULL)
			return -1;
		/* ICMP: only a query has an identifier to change. */
		if (proto == IPPROTO_ICMP && nf_icmp_is_error(p->icmp_type))
			l4 = NULL;
		if (l4 != NULL)
			l4_rewrite(proto, l4, need, manip == NAT_MANIP_SRC, old, addr, port, NULL);
	}
	wr16(h + IP_CKSUM, csum_patch(rd16(h + IP_CKSUM), d_addr));
	memcpy(a, &addr, 4);
	return 0;
}

int
nat_rewrite_icmp_error(struct rte_mbuf *m, const struct nf_pkt *p, enum nat_manip manip,
		       rte_be32_t outer_addr, rte_be32_t inner_addr, rte_be16_t inner_port)
{
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ic = hdr_at(m, p->l4_off, sizeof(struct rte_icmp_hdr));
	uint8_t *ih = hdr_at(m, p->inner_off, sizeof(struct rte_ipv4_hdr));
	uint32_t qlen = p->inner_l4_len > 20 ? 20 : p->inner_l4_len;
	uint8_t *il4 = hdr_at(m, p->inner_l4_off, qlen);
	if (ic == NULL || ih == NULL || il4 == NULL)
		return -1;
	uint8_t *ick = ic + offsetof(struct rte_icmp_hdr, icmp_cksum);

	/* The quoted datagram went the other way: the opposite field. */
	bool inner_src = manip == NAT_MANIP_DST;
	uint8_t *ia = ih + (inner_src ? IP_SRC : IP_DST);
	uint32_t iold = rd32(ia);
	/* Its transport header: port and checksum, as far as quoted; the
	 * ICMP checksum follows every word. ICMP echo: the identifier. */
	l4_rewrite(p->inner.proto, il4, qlen, inner_src, iold, inner_addr, inner_port, ick);
	/* Its IPv4 header: the address and its checksum, both quoted. */
	uint16_t ihck = rd16(ih + IP_CKSUM);
	adjust32(ih + IP_CKSUM, iold, inner_addr);
	adjust32(ick, iold, inner_addr);
	adjust16(ick, ihck, rd16(ih + IP_CKSUM));
	memcpy(ia, &inner_addr, 4);

	/* The outer header: the address alone. */
	uint8_t *oa = h + (manip == NAT_MANIP_SRC ? IP_SRC : IP_DST);
	adjust32(h + IP_CKSUM, rd32(oa), outer_addr);
	memcpy(oa, &outer_addr, 4);
	return 0;
}

int
nat_apply_translate(struct rte_mbuf *m, const struct nf_pkt *p, const struct ct_entry *e, int dir,
		    enum nat_manip manip, bool related)
{
	/* What the packet must look like: the other direction's tuple,
	 * inverted. */
	struct ct_tuple target = ct_tuple_invert(&e->t[!dir]);
	int rc;
	if (related) {
		/* The quoted datagram should read as invert(target). */
		if (manip == NAT_MANIP_SRC)
			rc = nat_rewrite_icmp_error(m, p, manip, target.src, target.src,
						    target.sport);
		else
			rc = nat_rewrite_icmp_error(m, p, manip, target.dst, target.dst,
						    target.dport);
	} else if (manip == NAT_MANIP_SRC) {
		if (p->tuple.src == target.src && p->tuple.sport == target.sport)
			return 0;
		rc = nat_rewrite(m, p, manip, target.src, target.sport);
	} else {
		if (p->tuple.dst == target.dst && p->tuple.dport == target.dport)
			return 0;
		rc = nat_rewrite(m, p, manip, target.dst, target.dport);
	}
	return rc < 0 ? rc : 1;
}

bool
nat_clamp_mss(struct rte_mbuf *m, const struct nf_pkt *p, uint16_t mss)
{
	if (p->mss_off == 0)
		return false;
	/* The sum is over 16-bit words from the header's start: an option
	 * at an odd offset straddles two of them (an option is 4 bytes and
	 * the header a multiple of 4, so the byte after exists). */
	uint32_t odd = (uint32_t)(p->mss_off - p->l4_off) & 1;
	uint8_t *th = hdr_at(m, p->l4_off, sizeof(struct rte_tcp_hdr));
	uint8_t *w = hdr_at(m, p->mss_off - odd, 4);
	if (th == NULL || w == NULL)
		return false;
	uint8_t *v = w + odd;
	if ((uint16_t)(v[0] << 8 | v[1]) <= mss)
		return false;
	uint8_t *ck = th + offsetof(struct rte_tcp_hdr, cksum);
	uint16_t o1 = rd16(w), o2 = rd16(w + 2);
	v[0] = (uint8_t)(mss >> 8);
	v[1] = (uint8_t)mss;
	adjust16(ck, o1, rd16(w));
	if (odd)
		adjust16(ck, o2, rd16(w + 2));
	return true;
}
