/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TEST_IP4_PKT_ENV_H
#define CAV_TEST_IP4_PKT_ENV_H

/*
 * What the IPv4/ICMP tests share: one EAL per process (eal_fixture.h: no
 * hugepages, no PCI, a file prefix of its own, its runtime directory
 * removed at the end), a pool of mbufs with the pkt_meta private
 * area and an indirect pool for fragmentation, packet builders, and the
 * leak check every test's teardown runs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ip4_reasm.h"

/* Room for a 9,000-byte jumbo frame (and an 8,192-byte fragment). Each
 * buffer is TEST_DATA_ROOM bytes: what a held fragment costs against
 * IP4_REASM_MAX_BYTES. */
#define TEST_DATA_ROOM (RTE_PKTMBUF_HEADROOM + 9216)
#define TEST_POOL_SIZE 2047

/* cmocka group setup / teardown: EAL and the pools. */
int test_env_setup(void **state);
int test_env_teardown(void **state);
/* cmocka per-test teardown: fails the test if an mbuf is still in use. */
int test_pools_empty(void **state);

struct rte_mempool *test_pool(void);
struct rte_mempool *test_indirect_pool(void);

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* A datagram to build; zero fields take the defaults noted. */
struct pkt_spec {
	uint32_t src, dst;    /* host order */
	uint8_t proto;        /* default UDP (17) */
	uint8_t ttl;          /* default 64 */
	uint8_t tos;
	uint16_t id;
	uint16_t frag;        /* flags | offset in 8-byte units, host order */
	uint8_t opt_words;    /* IPv4 options (NOPs), in 4-byte words */
	uint32_t payload_len;
	uint32_t payload_off; /* payload byte i is (uint8_t)(payload_off + i) */
	const void *payload;  /* else this */
};

/*
 * The datagram in one mbuf (data at the IPv4 header, checksum set, pkt_meta
 * zeroed), or split into segments of at most `seg` bytes when seg != 0.
 */
struct rte_mbuf *pkt_build(const struct pkt_spec *s, uint32_t seg);

/* Copy the whole packet (any number of segments) into `out`. */
void pkt_copy(const struct rte_mbuf *m, void *out);

/* Bytes [off, off+len) of the packet are the pattern byte i =
 * (uint8_t)(first + i), as pkt_build's payload_off makes them. */
void pkt_assert_pattern(const struct rte_mbuf *m, uint32_t off, uint32_t first, uint32_t len);

/* A reassembly sink (ip4_reasm_sink) that frees each mbuf it gets and
 * counts it by reason in `ctx`, a struct test_drops. */
struct test_drops {
	unsigned int n[IP4_REASM_DROP_NB];
	unsigned int total;
};
void test_drop_count(void *ctx, struct rte_mbuf *m, enum ip4_reasm_drop why);

/* The IPv4 header at the data, and a check of its checksum. */
struct rte_ipv4_hdr *pkt_ip4(struct rte_mbuf *m);
bool ip4_hdr_cksum_valid(const struct rte_ipv4_hdr *h);

#endif
