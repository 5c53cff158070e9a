/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT (lib/nat): the port allocator (preference, ranges, exhaustion, the
 * veto), mappings (endpoint-independent, paired pools, exhaustion, reuse
 * after the hold time), and packet rewriting: every checksum updated
 * incrementally must equal a full recomputation (IPv4, TCP, UDP with and
 * without a checksum, ICMP echo, an ICMP error and the datagram it quotes,
 * MSS clamping at both alignments). Time is a fake clock.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "../eal_fixture.h"
#include "ct_pkt.h"
#include "dp.h"
#include "nat.h"

#define HZ 1000
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct rte_mempool *pool;

/* ---- the allocator ---- */

static void
test_ports_prefer_the_given_port(void **state)
{
	(void)state;
	struct nat_ports *b = calloc(1, sizeof(*b));
	assert_int_equal(nat_ports_alloc(b, 1024, 65535, 40000, 7, NULL, NULL), 40000);
	/* Taken: another one, in range. */
	int p = nat_ports_alloc(b, 1024, 65535, 40000, 7, NULL, NULL);
	assert_true(p >= 1024 && p != 40000);
	/* Out of range: ignored. */
	p = nat_ports_alloc(b, 2000, 2010, 80, 0, NULL, NULL);
	assert_true(p >= 2000 && p <= 2010);
	assert_int_equal(b->used, 3);
	free(b);
}

static void
test_ports_exhaustion_and_reuse(void **state)
{
	(void)state;
	struct nat_ports *b = calloc(1, sizeof(*b));
	/* A range of 130 ports, across word boundaries. */
	for (int i = 0; i < 130; i++) {
		int p = nat_ports_alloc(b, 60, 189, 0, (uint32_t)i * 7919, NULL, NULL);
		assert_true(p >= 60 && p <= 189);
	}
	assert_int_equal(nat_ports_alloc(b, 60, 189, 100, 3, NULL, NULL), -1);
	nat_ports_free(b, 123);
	assert_int_equal(nat_ports_alloc(b, 60, 189, 0, 99, NULL, NULL), 123);
	assert_int_equal(nat_ports_alloc(b, 60, 189, 0, 99, NULL, NULL), -1);
	/* The whole space, and its edges. */
	assert_int_equal(nat_ports_alloc(b, 0, 0, 0, 0, NULL, NULL), 0);
	assert_int_equal(nat_ports_alloc(b, 65535, 65535, 0, 0, NULL, NULL), 65535);
	assert_int_equal(nat_ports_alloc(b, 0, 0, 0, 0, NULL, NULL), -1);
	free(b);
}

static bool
veto_even(void *ctx, uint16_t port)
{
	(void)ctx;
	return port % 2 == 0;
}

static void
test_ports_veto(void **state)
{
	(void)state;
	struct nat_ports *b = calloc(1, sizeof(*b));
	int p = nat_ports_alloc(b, 1000, 1009, 1000, 0, veto_even, NULL);
	assert_int_equal(p % 2, 1);
	for (int i = 0; i < 4; i++)
		assert_true(nat_ports_alloc(b, 1000, 1009, 0, 0, veto_even, NULL) % 2 == 1);
	assert_int_equal(nat_ports_alloc(b, 1000, 1009, 0, 0, veto_even, NULL), -1);
	free(b);
}

/* ---- mappings ---- */

static struct nat_table *
table(uint32_t n)
{
	char err[128];
	struct nat_table *t = nat_table_create(n, HZ, SOCKET_ID_ANY, err, sizeof(err));
	assert_non_null(t);
	return t;
}

static void
test_mapping_is_endpoint_independent(void **state)
{
	(void)state;
	struct nat_table *t = table(64);
	struct nat_range r = {.addr_lo = IP(198, 18, 20, 1), .addr_hi = IP(198, 18, 20, 1)};
	uint32_t ea, ea2;
	uint16_t ep, ep2;
	uint32_t h1 = nat_map_get(t, IPPROTO_UDP, IP(10, 0, 0, 2), 5000, &r, 0, NULL, NULL, &ea, &ep);
	assert_int_not_equal(h1, 0);
	assert_int_equal(ea, IP(198, 18, 20, 1));
	assert_int_equal(ep, 5000); /* preserved */
	/* The same internal endpoint, another connection: the same mapping. */
	uint32_t h2 = nat_map_get(t, IPPROTO_UDP, IP(10, 0, 0, 2), 5000, &r, 0, NULL, NULL, &ea2, &ep2);
	assert_int_equal(h1, h2);
	assert_int_equal(ep2, 5000);
	assert_int_equal(t->map[h1 - 1].refcnt, 2);
	/* Another host with the same port: another external port. */
	uint32_t h3 = nat_map_get(t, IPPROTO_UDP, IP(10, 0, 0, 3), 5000, &r, 0, NULL, NULL, &ea2, &ep2);
	assert_int_not_equal(h3, h1);
	assert_int_not_equal(ep2, 5000);
	assert_true(ep2 >= 1024);
	/* TCP has its own ports: 5000 is free there. */
	uint32_t h4 = nat_map_get(t, IPPROTO_TCP, IP(10, 0, 0, 3), 5000, &r, 0, NULL, NULL, &ea2, &ep2);
	assert_int_equal(ep2, 5000);
	nat_map_put(t, h1, 0);
	nat_map_put(t, h1, 0);
	nat_map_put(t, h3, 0);
	nat_map_put(t, h4, 0);
	assert_int_equal(t->st.maps_reused, 1);
	nat_table_free(t);
}

static void
test_pool_is_paired(void **state)
{
	(void)state;
	struct nat_table *t = table(64);
	struct nat_range r = {.addr_lo = IP(198, 18, 20, 10), .addr_hi = IP(198, 18, 20, 13)};
	uint32_t first = 0;
	for (uint16_t p = 1000; p < 1020; p++) {
		uint32_t ea;
		uint16_t ep;
		assert_int_not_equal(
			nat_map_get(t, IPPROTO_TCP, IP(10, 0, 0, 7), p, &r, 0, NULL, NULL, &ea, &ep), 0);
		assert_true(ea >= r.addr_lo && ea <= r.addr_hi);
		if (first == 0)
			first = ea;
		assert_int_equal(ea, first); /* one internal address, one external */
	}
	nat_table_free(t);
}

/* A range of 4 ports: 4 mappings, then none; a released TCP port is free
 * at once, a released UDP port only after the hold time (RFC 4787
 * REQ-5). */
static void
test_exhaustion_and_reuse_after_timeout(void **state)
{
	(void)state;
	struct nat_table *t = table(64);
	struct nat_range r = {.addr_lo = IP(198, 18, 20, 1), .addr_hi = IP(198, 18, 20, 1),
			      .port_lo = 2000, .port_hi = 2003};
	uint32_t h[4], ea;
	uint16_t ep, port[4];
	for (int proto = 0; proto < 2; proto++) {
		uint8_t pr = proto ? IPPROTO_UDP : IPPROTO_TCP;
		uint64_t now = 1000 * HZ;
		for (uint16_t i = 0; i < 4; i++)
			assert_int_not_equal(h[i] = nat_map_get(t, pr, IP(10, 0, 0, 1), 3000 + i, &r, now,
								NULL, NULL, &ea, &port[i]),
					     0);
		uint64_t ex = t->st.exhausted;
		assert_int_equal(nat_map_get(t, pr, IP(10, 0, 0, 1), 4000, &r, now, NULL, NULL, &ea, &ep),
				 0);
		assert_int_equal(t->st.exhausted, ex + 1);
		nat_map_put(t, h[2], now);
		if (pr == IPPROTO_UDP) {
			/* Held: still taken just before the hold time ends. */
			now += (uint64_t)NAT_HOLD_UDP_S * HZ - 1;
			assert_int_equal(nat_map_get(t, pr, IP(10, 0, 0, 1), 4000, &r, now, NULL, NULL,
						     &ea, &ep),
					 0);
			/* The same endpoint gets its held mapping back. */
			uint32_t again = nat_map_get(t, pr, IP(10, 0, 0, 1), 3002, &r, now, NULL, NULL,
						     &ea, &ep);
			assert_int_equal(again, h[2]);
			assert_int_equal(ep, port[2]);
			nat_map_put(t, again, now);
			now += (uint64_t)NAT_HOLD_UDP_S * HZ;
		}
		uint32_t n = nat_map_get(t, pr, IP(10, 0, 0, 1), 4000, &r, now, NULL, NULL, &ea, &ep);
		assert_int_not_equal(n, 0);
		assert_int_equal(ep, port[2]); /* the freed port */
		nat_map_put(t, n, now);
		for (int i = 0; i < 4; i++)
			if (i != 2)
				nat_map_put(t, h[i], now);
		nat_expire(t, now + (uint64_t)NAT_HOLD_UDP_S * HZ + 1);
		assert_int_equal(t->in_use, 0);
	}
	nat_table_free(t);
}

static void
test_held_mapping_goes_early_when_no_slot_is_left(void **state)
{
	(void)state;
	struct nat_table *t = table(8);
	struct nat_range r = {.addr_lo = IP(198, 18, 20, 1), .addr_hi = IP(198, 18, 20, 1)};
	uint32_t ea, first = 0;
	uint16_t ep;
	for (uint16_t i = 0; i < 8; i++) {
		uint32_t h = nat_map_get(t, IPPROTO_UDP, IP(10, 0, 0, 1), 5000 + i, &r, 0, NULL, NULL,
					 &ea, &ep);
		assert_int_not_equal(h, 0);
		if (i == 0)
			first = h;
	}
	assert_int_equal(nat_map_get(t, IPPROTO_UDP, IP(10, 0, 0, 1), 6000, &r, 0, NULL, NULL, &ea,
				     &ep),
			 0);
	nat_map_put(t, first, 0); /* held */
	assert_int_not_equal(
		nat_map_get(t, IPPROTO_UDP, IP(10, 0, 0, 1), 6000, &r, 0, NULL, NULL, &ea, &ep), 0);
	assert_int_equal(t->st.held_evicted, 1);
	nat_table_free(t);
}

/* ---- rewriting ---- */

/* A datagram: IPv4 (+ options if ihl > 5) then `l4` bytes. */
static struct rte_mbuf *
datagram(uint8_t proto, uint32_t src, uint32_t dst, const void *l4, uint16_t l4len, uint8_t ihl)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint16_t hl = (uint16_t)(ihl * 4);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + l4len));
	assert_non_null(d);
	memset(d, 1, hl); /* options: NOPs */
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)d;
	h->version_ihl = (uint8_t)(0x40 | ihl);
	h->type_of_service = 0;
	h->total_length = rte_cpu_to_be_16((uint16_t)(hl + l4len));
	h->packet_id = rte_cpu_to_be_16(0x1234);
	h->fragment_offset = 0;
	h->time_to_live = 64;
	h->next_proto_id = proto;
	h->src_addr = rte_cpu_to_be_32(src);
	h->dst_addr = rte_cpu_to_be_32(dst);
	h->hdr_checksum = 0;
	h->hdr_checksum = (uint16_t)~rte_raw_cksum(h, hl);
	memcpy(d + hl, l4, l4len);
	memset(pkt_meta(m), 0, sizeof(struct pkt_meta));
	return m;
}

/* The transport checksum of a datagram in one segment, computed. */
static uint16_t
l4_sum(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t hl = rte_ipv4_hdr_len(h);
	uint16_t len = (uint16_t)(rte_be_to_cpu_16(h->total_length) - hl);
	uint8_t *l4 = (uint8_t *)h + hl;
	if (h->next_proto_id == IPPROTO_ICMP)
		return (uint16_t)rte_raw_cksum(l4, len);
	struct {
		uint32_t s, d;
		uint8_t z, p;
		uint16_t l;
	} __attribute__((packed)) ph = {h->src_addr, h->dst_addr, 0, h->next_proto_id,
					 rte_cpu_to_be_16(len)};
	uint32_t sum = rte_raw_cksum(&ph, sizeof(ph)) + rte_raw_cksum(l4, len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
set_l4_cksum(struct rte_mbuf *m, int off)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint8_t *ck = (uint8_t *)h + rte_ipv4_hdr_len(h) + off;
	memset(ck, 0, 2);
	uint16_t v = (uint16_t)~l4_sum(m);
	memcpy(ck, &v, 2);
}

static void
assert_sums(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	assert_int_equal(rte_raw_cksum(h, rte_ipv4_hdr_len(h)), 0xffff);
	assert_int_equal(l4_sum(m), 0xffff);
}

static void
test_rewrite_tcp_and_udp_both_ways(void **state)
{
	(void)state;
	for (int proto = 0; proto < 2; proto++)
		for (uint8_t ihl = 5; ihl <= 6; ihl++)
			for (int manip = 0; manip < 2; manip++) {
				uint8_t l4[40];
				for (unsigned int i = 0; i < sizeof(l4); i++)
					l4[i] = (uint8_t)(i * 37 + 11);
				uint8_t pr = proto ? IPPROTO_UDP : IPPROTO_TCP;
				uint16_t len = proto ? 27 : 40; /* an odd length too */
				if (pr == IPPROTO_UDP) {
					uint16_t ul = rte_cpu_to_be_16(len);
					memcpy(l4 + 4, &ul, 2);
				} else {
					l4[12] = 5 << 4;
				}
				struct rte_mbuf *m = datagram(pr, IP(10, 0, 0, 2), IP(198, 18, 20, 2), l4,
							      len, ihl);
				set_l4_cksum(m, pr == IPPROTO_UDP ? 6 : 16);
				assert_sums(m);
				struct nf_pkt p;
				nf_pkt_parse(m, &p);
				assert_int_equal(nat_rewrite(m, &p, (enum nat_manip)manip,
							     rte_cpu_to_be_32(IP(198, 18, 20, 1)),
							     rte_cpu_to_be_16(61000)),
						 0);
				assert_sums(m);
				nf_pkt_parse(m, &p);
				if (manip == NAT_MANIP_SRC) {
					assert_int_equal(rte_be_to_cpu_32(p.tuple.src), IP(198, 18, 20, 1));
					assert_int_equal(rte_be_to_cpu_16(p.tuple.sport), 61000);
				} else {
					assert_int_equal(rte_be_to_cpu_32(p.tuple.dst), IP(198, 18, 20, 1));
					assert_int_equal(rte_be_to_cpu_16(p.tuple.dport), 61000);
				}
				rte_pktmbuf_free(m);
			}
}

static void
test_udp_without_checksum_stays_without(void **state)
{
	(void)state;
	uint8_t l4[12] = {0x13, 0x88, 0x00, 0x35, 0x00, 12, 0, 0, 'a', 'b', 'c', 'd'};
	struct rte_mbuf *m = datagram(IPPROTO_UDP, IP(10, 0, 0, 2), IP(198, 18, 20, 2), l4, 12, 5);
	struct nf_pkt p;
	nf_pkt_parse(m, &p);
	assert_int_equal(nat_rewrite(m, &p, NAT_MANIP_SRC, rte_cpu_to_be_32(IP(1, 2, 3, 4)),
				     rte_cpu_to_be_16(9)),
			 0);
	struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 20);
	assert_int_equal(u->dgram_cksum, 0);
	rte_pktmbuf_free(m);
}

static void
test_rewrite_icmp_echo_identifier(void **state)
{
	(void)state;
	uint8_t ic[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', 1, 2, 3, 4};
	struct rte_mbuf *m = datagram(IPPROTO_ICMP, IP(10, 0, 0, 2), IP(198, 18, 20, 2), ic, 16, 5);
	set_l4_cksum(m, 2);
	struct nf_pkt p;
	nf_pkt_parse(m, &p);
	assert_int_equal(rte_be_to_cpu_16(p.tuple.sport), 0x1234);
	assert_int_equal(nat_rewrite(m, &p, NAT_MANIP_SRC, rte_cpu_to_be_32(IP(198, 18, 20, 1)),
				     rte_cpu_to_be_16(0x5678)),
			 0);
	assert_sums(m);
	nf_pkt_parse(m, &p);
	assert_int_equal(rte_be_to_cpu_16(p.tuple.sport), 0x5678);
	rte_pktmbuf_free(m);
}

/* Port unreachable from a server about a datagram our client sent through
 * the NAT: outer destination and quoted source go back to the client. */
static void
test_rewrite_icmp_error_and_quoted_datagram(void **state)
{
	(void)state;
	for (int qproto = 0; qproto < 3; qproto++) {
		/* The quoted datagram, as it left the NAT. */
		uint8_t ql4[20];
		memset(ql4, 0x5a, sizeof(ql4));
		uint8_t pr = qproto == 0 ? IPPROTO_UDP : qproto == 1 ? IPPROTO_TCP : IPPROTO_ICMP;
		uint16_t qlen = pr == IPPROTO_TCP ? 20 : 8;
		if (pr == IPPROTO_ICMP) {
			ql4[0] = 8;
			ql4[1] = 0;
		}
		ql4[0] = pr == IPPROTO_ICMP ? 8 : 0xee; /* sport 0xee5a / echo */
		struct rte_mbuf *q = datagram(pr, IP(198, 18, 20, 1), IP(198, 18, 20, 2), ql4, qlen, 5);
		set_l4_cksum(q, pr == IPPROTO_UDP ? 6 : pr == IPPROTO_TCP ? 16 : 2);
		uint8_t err[8 + 20 + 20] = {3, 3, 0, 0, 0, 0, 0, 0};
		memcpy(err + 8, rte_pktmbuf_mtod(q, void *), 20u + qlen);
		rte_pktmbuf_free(q);
		struct rte_mbuf *m = datagram(IPPROTO_ICMP, IP(198, 18, 20, 2), IP(198, 18, 20, 1), err,
					      (uint16_t)(8 + 20 + qlen), 5);
		set_l4_cksum(m, 2);
		assert_sums(m);
		struct nf_pkt p;
		nf_pkt_parse(m, &p);
		assert_true(p.icmp_err);
		assert_int_equal(nat_rewrite_icmp_error(m, &p, NAT_MANIP_DST,
							rte_cpu_to_be_32(IP(10, 0, 0, 2)),
							rte_cpu_to_be_32(IP(10, 0, 0, 2)),
							rte_cpu_to_be_16(40000)),
				 0);
		assert_sums(m); /* outer IPv4 and ICMP */
		nf_pkt_parse(m, &p);
		assert_int_equal(rte_be_to_cpu_32(p.tuple.dst), IP(10, 0, 0, 2));
		assert_int_equal(rte_be_to_cpu_32(p.inner.src), IP(10, 0, 0, 2));
		assert_int_equal(rte_be_to_cpu_16(p.inner.sport), 40000);
		/* The quoted header's own checksums still hold. */
		uint8_t *ih = rte_pktmbuf_mtod_offset(m, uint8_t *, 28);
		assert_int_equal(rte_raw_cksum(ih, 20), 0xffff);
		if (pr != IPPROTO_ICMP || qlen >= 8) {
			struct rte_mbuf *qq = datagram(pr, IP(10, 0, 0, 2), IP(198, 18, 20, 2),
						       ih + 20, qlen, 5);
			assert_int_equal(l4_sum(qq), 0xffff); /* the quoted transport checksum */
			rte_pktmbuf_free(qq);
		}
		rte_pktmbuf_free(m);
	}
}

static void
test_mss_clamp_at_both_alignments(void **state)
{
	(void)state;
	for (int odd = 0; odd < 2; odd++) {
		uint8_t t[28] = {0};
		t[0] = 0x9c;
		t[1] = 0x40;
		t[3] = 80;
		t[12] = 7 << 4; /* 28 bytes */
		t[13] = RTE_TCP_SYN_FLAG;
		t[14] = 0xfa;
		t[15] = 0xf0;
		uint8_t *o = t + 20;
		if (odd)
			*o++ = 1; /* NOP: the MSS value at an odd offset */
		o[0] = 2;
		o[1] = 4;
		o[2] = 0x05;
		o[3] = 0xb4; /* 1460 */
		struct rte_mbuf *m = datagram(IPPROTO_TCP, IP(10, 0, 0, 2), IP(198, 18, 20, 2), t, 28, 5);
		set_l4_cksum(m, 16);
		struct nf_pkt p;
		nf_pkt_parse(m, &p);
		assert_int_equal(p.mss_off, 20 + 20 + 2 + odd);
		assert_false(nat_clamp_mss(m, &p, 1460)); /* not above: unchanged */
		assert_true(nat_clamp_mss(m, &p, 1400));
		assert_sums(m);
		uint8_t *v = rte_pktmbuf_mtod_offset(m, uint8_t *, p.mss_off);
		assert_int_equal(v[0] << 8 | v[1], 1400);
		rte_pktmbuf_free(m);
	}
}

static int
setup(void **state)
{
	(void)state;
	if (test_eal_init("nat") < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("nat_test", 255, 0, PKT_META_PRIV_SIZE, 2048, SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unsigned int used = rte_mempool_in_use_count(pool);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return used == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_prefer_the_given_port),
		cmocka_unit_test(test_ports_exhaustion_and_reuse),
		cmocka_unit_test(test_ports_veto),
		cmocka_unit_test(test_mapping_is_endpoint_independent),
		cmocka_unit_test(test_pool_is_paired),
		cmocka_unit_test(test_exhaustion_and_reuse_after_timeout),
		cmocka_unit_test(test_held_mapping_goes_early_when_no_slot_is_left),
		cmocka_unit_test(test_rewrite_tcp_and_udp_both_ways),
		cmocka_unit_test(test_udp_without_checksum_stays_without),
		cmocka_unit_test(test_rewrite_icmp_echo_identifier),
		cmocka_unit_test(test_rewrite_icmp_error_and_quoted_datagram),
		cmocka_unit_test(test_mss_clamp_at_both_alignments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
