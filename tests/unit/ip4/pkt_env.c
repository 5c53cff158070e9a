/* SPDX-License-Identifier: BSD-3-Clause */
#include "pkt_env.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_mempool.h>

#include "../eal_fixture.h"
#include "dp.h"
#include "ip4_check.h"

static struct rte_mempool *pool, *indirect;

int
test_env_setup(void **state)
{
	(void)state;
	if (test_eal_init("ip4") < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_pool", TEST_POOL_SIZE, 0, PKT_META_PRIV_SIZE,
				       TEST_DATA_ROOM, SOCKET_ID_ANY);
	/* Indirect mbufs carry no data: no room, no private area needed. */
	indirect = rte_pktmbuf_pool_create("test_indirect", TEST_POOL_SIZE, 0, 0, 0,
					   SOCKET_ID_ANY);
	if (pool != NULL && indirect != NULL)
		return 0;
	/* cmocka skips the group teardown when the setup fails. */
	test_env_teardown(state);
	return -1;
}

int
test_env_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_mempool_free(indirect);
	/* rte_eal_cleanup, then the runtime directory it leaves behind. */
	test_eal_cleanup();
	return 0;
}

int
test_pools_empty(void **state)
{
	(void)state;
	unsigned int a = rte_mempool_in_use_count(pool);
	unsigned int b = rte_mempool_in_use_count(indirect);
	if (a != 0 || b != 0) {
		print_error("leak: %u mbufs and %u indirect mbufs still in use\n", a, b);
		return -1;
	}
	return 0;
}

struct rte_mempool *
test_pool(void)
{
	return pool;
}

struct rte_mempool *
test_indirect_pool(void)
{
	return indirect;
}

static void
fill(struct rte_mbuf *m, uint32_t off, const uint8_t *src, uint32_t len)
{
	/* Write into the (already sized) chain at `off`. */
	for (struct rte_mbuf *s = m; s != NULL && len > 0; s = s->next) {
		if (off >= s->data_len) {
			off -= s->data_len;
			continue;
		}
		uint32_t n = RTE_MIN(len, (uint32_t)s->data_len - off);
		memcpy(rte_pktmbuf_mtod_offset(s, uint8_t *, off), src, n);
		src += n;
		len -= n;
		off = 0;
	}
}

struct rte_mbuf *
pkt_build(const struct pkt_spec *s, uint32_t seg)
{
	uint32_t hl = 20 + 4u * s->opt_words;
	uint32_t tot = hl + s->payload_len;
	uint8_t *buf = malloc(tot);
	assert_non_null(buf);

	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)buf;
	memset(buf, RTE_IPV4_HDR_OPT_NOP, hl);
	h->version_ihl = (uint8_t)(0x40 | (hl / 4));
	h->type_of_service = s->tos;
	h->total_length = rte_cpu_to_be_16((uint16_t)tot);
	h->packet_id = rte_cpu_to_be_16(s->id);
	h->fragment_offset = rte_cpu_to_be_16(s->frag);
	h->time_to_live = s->ttl != 0 ? s->ttl : 64;
	h->next_proto_id = s->proto != 0 ? s->proto : IPPROTO_UDP;
	h->src_addr = rte_cpu_to_be_32(s->src);
	h->dst_addr = rte_cpu_to_be_32(s->dst);
	ip4_set_cksum(h);
	for (uint32_t i = 0; i < s->payload_len; i++)
		buf[hl + i] = s->payload != NULL ? ((const uint8_t *)s->payload)[i]
						 : (uint8_t)(s->payload_off + i);

	uint32_t per = seg != 0 ? seg : tot;
	struct rte_mbuf *head = NULL;
	for (uint32_t done = 0; done < tot || head == NULL; done += per) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		assert_non_null(m);
		memset(pkt_meta(m), 0, sizeof(struct pkt_meta));
		assert_non_null(rte_pktmbuf_append(m, (uint16_t)RTE_MIN(per, tot - done)));
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	fill(head, 0, buf, tot);
	free(buf);
	return head;
}

void
pkt_copy(const struct rte_mbuf *m, void *out)
{
	const void *p = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), out);
	assert_non_null(p);
	if (p != out)
		memcpy(out, p, rte_pktmbuf_pkt_len(m));
}

void
pkt_assert_pattern(const struct rte_mbuf *m, uint32_t off, uint32_t first, uint32_t len)
{
	uint8_t *buf = malloc(rte_pktmbuf_pkt_len(m));
	assert_non_null(buf);
	pkt_copy(m, buf);
	for (uint32_t i = 0; i < len; i++)
		if (buf[off + i] != (uint8_t)(first + i)) {
			uint8_t got = buf[off + i];
			free(buf);
			fail_msg("byte %u is %u, not %u", off + i, got, (uint8_t)(first + i));
		}
	free(buf);
}

void
test_drop_count(void *ctx, struct rte_mbuf *m, enum ip4_reasm_drop why)
{
	struct test_drops *d = ctx;
	assert_true((unsigned int)why < IP4_REASM_DROP_NB);
	d->n[why]++;
	d->total++;
	rte_pktmbuf_free(m);
}

struct rte_ipv4_hdr *
pkt_ip4(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
}

bool
ip4_hdr_cksum_valid(const struct rte_ipv4_hdr *h)
{
	return rte_raw_cksum(h, rte_ipv4_hdr_len(h)) == 0xffff;
}
