/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_CHECK_H
#define CAV_IP4_CHECK_H

/*
 * The pure decisions of the IPv4 nodes: no graph, no worker, no clock, so
 * unit tests call them on hand-built packets. The nodes map each verdict to
 * one of their edges.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

/* ---- addresses (host order) ---- */

/*
 * Not a unicast host address: "this network" 0/8, loopback 127/8,
 * multicast 224/4, reserved 240/4 (which holds 255.255.255.255). A packet
 * from one is a martian (RFC 1812 §5.3.7, §4.2.2.11); no ICMP error is ever
 * sent to one (RFC 1812 §4.3.2.7). Directed broadcasts of our subnets need
 * the route table: route_is_broadcast().
 */
static inline bool
ip4_addr_is_special(uint32_t a)
{
	uint8_t first = (uint8_t)(a >> 24);
	return first == 0 || first == 127 || first >= 224;
}

static inline bool
ip4_addr_is_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

/* ---- ip4_input: RFC 1812 §5.2.2 ---- */

enum ip4_input_verdict {
	IP4_INPUT_OK,
	IP4_INPUT_TRUNCATED,	/* < 20 bytes, or shorter than its own header */
	IP4_INPUT_BAD_VERSION,	/* version != 4 */
	IP4_INPUT_BAD_IHL,	/* IHL < 5 */
	IP4_INPUT_BAD_CHECKSUM, /* header checksum (or the PMD said BAD) */
	IP4_INPUT_BAD_LENGTH,	/* total length < IHL*4 or > what arrived */
	IP4_INPUT_MARTIAN_SRC,	/* source is not a unicast host */
	IP4_INPUT_MARTIAN_DST,	/* destination 0/8, 127/8 or 240/4 (not broadcast) */
	IP4_INPUT_MULTICAST,	/* destination 224/4: no group is joined */
};

/*
 * Validate the IPv4 header at the start of m's data, in the order of RFC
 * 1812 §5.2.2 (the checksum comes after the header-length checks because it
 * needs a sane IHL). Options are skipped, not parsed. The header must be in
 * the first segment (a PMD splits a frame only past its first ~2 KiB).
 * IP4_INPUT_OK guarantees: header valid and contiguous, total length within
 * the packet (the caller trims the link-layer padding beyond it).
 */
enum ip4_input_verdict ip4_input_check(const struct rte_mbuf *m);

/* RFC 1071 sum of an option-less header: five 32-bit words added into 64
 * bits and folded (one's complement addition is associative; the byte
 * order of the words does not change the folded result's bytes). A
 * quarter of the instructions of the generic rte_raw_cksum loop. A right
 * header, checksum field included, sums to 0xffff. */
static inline uint16_t
ip4_hdr20_sum(const void *h)
{
	uint32_t w[5];
	memcpy(w, h, sizeof(w));
	uint64_t s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Does an option-less header sum right (ip4_hdr20_sum() == 0xffff)? The
 * same five words, without the folds: 2^16 = 1 (mod 0xffff), so the folded
 * sum is congruent to the 64-bit total modulo 0xffff, and it is 0 only when
 * every word is. It is therefore 0xffff exactly when the total is a
 * non-zero multiple of 0xffff: one multiply (the compiler's division by a
 * constant) instead of four folds. */
static inline bool
ip4_hdr20_ok(const void *h)
{
	uint32_t w[5];
	memcpy(w, h, sizeof(w));
	const uint64_t s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	return s != 0 && s % 0xffff == 0;
}

/* The first octet of a unicast host address: not 0, 127 or 224..255
 * (ip4_addr_is_special on the octet alone). */
static inline bool
ip4_first_octet_is_host(uint8_t o)
{
	return (uint8_t)(o - 1) < 223 && o != 127;
}

/*
 * ip4_input_check() with the common case inline: an option-less header
 * (version/IHL byte 0x45) in the first segment, a checksum the PMD
 * verified or that sums right, a total length between the header's and
 * what arrived, unicast host addresses at both ends. That is every clause
 * of §5.2.2 and §5.3.7 passed; anything else (options, a bad field, the
 * limited broadcast) goes to ip4_input_check(), which finds the reason.
 */
static inline enum ip4_input_verdict
ip4_input_check_fast(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (likely(rte_pktmbuf_data_len(m) >= sizeof(*h) && h->version_ihl == 0x45)) {
		const uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		const uint32_t tot = rte_be_to_cpu_16(h->total_length);
		const uint8_t *src = (const uint8_t *)&h->src_addr;
		const uint8_t *dst = (const uint8_t *)&h->dst_addr;
		if (likely((ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD ||
			    (ck != RTE_MBUF_F_RX_IP_CKSUM_BAD && ip4_hdr20_ok(h))) &&
			   tot >= sizeof(*h) && tot <= rte_pktmbuf_pkt_len(m) &&
			   ip4_first_octet_is_host(src[0]) && ip4_first_octet_is_host(dst[0])))
			return IP4_INPUT_OK;
	}
	return ip4_input_check(m);
}

/* ---- checksums ---- */

/*
 * RFC 1624 eqn. 3: the checksum after a 16-bit word of the summed data
 * changed from `old` to `new`: HC' = ~(~HC + ~m + m'). Every value as it is
 * stored in the packet (the sum is byte-order independent). Unlike eqn. 2 it
 * never yields 0xffff where a full recompute gives 0x0000.
 */
static inline uint16_t
ip4_cksum_adjust16(uint16_t cksum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~cksum + (uint32_t)(uint16_t)~old + new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Decrement the TTL (caller checked it is > 1) and patch the checksum
 * incrementally instead of summing the header again. The TTL is the high
 * byte of its header word: the sum falls by 0x0100, so the checksum (its
 * complement) rises by 0x0100, with the end-around carry; a result of
 * 0xffff cannot come out (it wraps to 0x0000, as a full recompute gives).
 * RFC 1141's update, Linux's ip_decrease_ttl(); both byte orders work,
 * as one's complement sums do. */
static inline void
ip4_ttl_decrement(struct rte_ipv4_hdr *h)
{
	uint32_t ck = h->hdr_checksum;
	ck += RTE_BE16(0x0100);
	h->hdr_checksum = (uint16_t)(ck + (ck >= 0xffff));
	h->time_to_live--;
}

/*
 * The one's complement sum (folded, not complemented) of `len` bytes at
 * `off` of a packet of any number of segments. Returns 0, or -1 if the
 * range is past the packet's end.
 *
 * Not DPDK's rte_raw_cksum_mbuf: in 22.11 it truncates a segment's partial
 * sum to 16 bits before byte-swapping it after an odd-length segment, so
 * the result is wrong whenever a segment that starts at an odd offset sums
 * past 0xffff (reported on dev@dpdk.org; test_ip4_cksum's
 * test_chained_sum_matches_flat_sum fails within a few rounds with it).
 */
int ip4_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *sum);

/* Fold a 32-bit one's complement sum to 16 bits (not complemented). */
static inline uint16_t
ip4_cksum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The transport pseudo header (RFC 768, RFC 9293 §3.1) summed, not
 * complemented: addresses as in the IPv4 header, `l4_len` host order. */
static inline uint32_t
ip4_phdr_sum(uint32_t src_be, uint32_t dst_be, uint8_t proto, uint32_t l4_len)
{
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed)) ph = {src_be, dst_be, 0, proto, rte_cpu_to_be_16((uint16_t)l4_len)};
	return rte_raw_cksum(&ph, sizeof(ph));
}

/*
 * Is the transport checksum of the `l4_len` bytes at m's data (the
 * transport header first, any number of segments; `ih` the IPv4 header for
 * the pseudo header) right? The PMD's verdict where it gave one on a
 * single-segment packet, software otherwise.
 */
bool ip4_l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih, uint8_t proto,
		     uint32_t l4_len);

/* Copy `len` bytes at offset `off` of m (any number of segments) to dst;
 * the caller checked that they are there. */
void ip4_mbuf_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len);

/* Set the header checksum of a complete header. */
static inline void
ip4_set_cksum(struct rte_ipv4_hdr *h)
{
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

/* ---- MTU (shared by ip4_forward and ip4_output) ---- */

enum ip4_mtu_verdict {
	IP4_MTU_FITS,
	IP4_MTU_FRAGMENT, /* too big, DF clear: fragment (RFC 791 §2.3) */
	IP4_MTU_TOO_BIG,  /* too big, DF set: ICMP frag needed (RFC 1191) or drop */
};

/* `len` is the datagram length (the data starts at the IPv4 header). */
static inline enum ip4_mtu_verdict
ip4_mtu_check(const struct rte_ipv4_hdr *h, uint32_t len, uint16_t mtu)
{
	if (likely(len <= mtu))
		return IP4_MTU_FITS;
	if (h->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))
		return IP4_MTU_TOO_BIG;
	return IP4_MTU_FRAGMENT;
}

/* ---- ip4_forward: RFC 1812 §5.3.1, then the MTU ---- */

enum ip4_forward_verdict {
	IP4_FORWARD_OK,		/* decrement the TTL, send */
	IP4_FORWARD_FRAGMENT,	/* decrement the TTL, fragment */
	IP4_FORWARD_TTL_EXPIRED, /* ICMP time exceeded in transit */
	IP4_FORWARD_TOO_BIG,	/* ICMP fragmentation needed, with the MTU */
};

/*
 * A router forwards only a datagram whose TTL stays above zero once it has
 * decremented it (RFC 1812 §5.3.1: TTL <= 1 expires here). The MTU is
 * checked on the header as it arrived, so that an error quotes it unchanged.
 */
static inline enum ip4_forward_verdict
ip4_forward_check(const struct rte_ipv4_hdr *h, uint32_t len, uint16_t mtu)
{
	if (unlikely(h->time_to_live <= 1))
		return IP4_FORWARD_TTL_EXPIRED;
	switch (ip4_mtu_check(h, len, mtu)) {
	case IP4_MTU_FITS:
		return IP4_FORWARD_OK;
	case IP4_MTU_FRAGMENT:
		return IP4_FORWARD_FRAGMENT;
	case IP4_MTU_TOO_BIG:
	default:
		return IP4_FORWARD_TOO_BIG;
	}
}

#endif
