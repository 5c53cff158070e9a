/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet mempools of lib/io (pool.c) without hugepages, as every test
 * and benchmark runs: the mbufs are packed (not one per 4 KiB page at one
 * offset, which put every mbuf in the same L1 sets), the packet data
 * starts on a cache line (PKT_META_PRIV_SIZE), and the pool otherwise
 * behaves as rte_pktmbuf_pool_create's. Every test ends with the pool
 * back to zero mbufs in use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp.h"
#include "eal_fixture.h"
#include "pool.h"

#define N_MBUFS 1023
#define BURST 64
#define ROOM (RTE_PKTMBUF_HEADROOM + 2048)

static struct rte_mempool *pool;

static int
setup(void **state)
{
	(void)state;
	pool = io_pktmbuf_pool_create("test_pool", N_MBUFS, 0, PKT_META_PRIV_SIZE, ROOM,
				      SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	rte_mempool_free(pool);
	pool = NULL;
	return 0;
}

/* 64 mbufs taken as a burst would be spread over L1's 64 sets (the set is
 * bits 6-11 of the address): one per page at one offset put all of them
 * in one set. Packed back to back (39 lines apart, a number prime to 64)
 * they cover every set. */
static void
test_mbufs_spread_over_l1_sets(void **state)
{
	(void)state;
	assert_false(rte_eal_has_hugepages());
	assert_true(pool->flags & RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	struct rte_mbuf *m[BURST];
	assert_int_equal(rte_pktmbuf_alloc_bulk(pool, m, BURST), 0);
	uint64_t sets = 0;
	for (unsigned int i = 0; i < BURST; i++)
		sets |= UINT64_C(1) << (((uintptr_t)m[i] >> 6) & 63);
	rte_pktmbuf_free_bulk(m, BURST);
	assert_true(__builtin_popcountll(sets) >= BURST / 2);
}

/* The data after the private area and the headroom starts on a cache
 * line: a 60-byte frame's headers are one line, not two. */
static void
test_data_starts_on_a_cache_line(void **state)
{
	(void)state;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_priv_size(pool), PKT_META_PRIV_SIZE);
	assert_true(PKT_META_PRIV_SIZE >= sizeof(struct pkt_meta));
	assert_int_equal((uintptr_t)rte_pktmbuf_mtod(m, void *) % RTE_CACHE_LINE_SIZE, 0);
	assert_ptr_equal(pkt_meta(m), rte_mbuf_to_priv(m));
	assert_int_equal(rte_pktmbuf_data_room_size(pool), ROOM);
	assert_int_equal(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);
	rte_pktmbuf_free(m);
}

/* Every mbuf of the pool can be taken, written end to end and given back. */
static void
test_every_mbuf_usable(void **state)
{
	(void)state;
	static struct rte_mbuf *m[N_MBUFS];
	assert_int_equal(rte_pktmbuf_alloc_bulk(pool, m, N_MBUFS), 0);
	assert_null(rte_pktmbuf_alloc(pool));
	for (unsigned int i = 0; i < N_MBUFS; i++) {
		char *p = rte_pktmbuf_append(m[i], 2048);
		assert_non_null(p);
		memset(p, (int)i, 2048);
		*pkt_meta(m[i]) = (struct pkt_meta){.in_port = (uint16_t)i};
	}
	for (unsigned int i = 0; i < N_MBUFS; i++) {
		assert_int_equal(pkt_meta(m[i])->in_port, (uint16_t)i);
		assert_int_equal(*rte_pktmbuf_mtod_offset(m[i], uint8_t *, 2047), (uint8_t)i);
	}
	rte_pktmbuf_free_bulk(m, N_MBUFS);
}

/* As rte_pktmbuf_pool_create: a private size that breaks the mbuf
 * alignment is refused with EINVAL. */
static void
test_bad_priv_size_einval(void **state)
{
	(void)state;
	assert_null(io_pktmbuf_pool_create("test_bad", 63, 0, 3, ROOM, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
}

int
main(void)
{
	if (test_eal_init("pool") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mbufs_spread_over_l1_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_starts_on_a_cache_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_mbuf_usable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_priv_size_einval, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_eal_cleanup();
	return rc;
}
