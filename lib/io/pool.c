/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet mempools. rte_pktmbuf_pool_create() asks for IOVA-contiguous
 * objects, so no object crosses a page (rte_mempool_op_populate_helper).
 * With 4 KiB pages (--no-huge) that leaves one 2.5 KiB mbuf per page, every
 * one at the same offset in its page; L1's set index is that offset, so
 * every mbuf's header lines, private area and packet data fall in the same
 * few sets (48 KiB, 12 ways: 12 mbufs' worth), and a stage walking 64
 * packets missed L1 on every line it touched (the forward benchmark: 22 D1
 * read misses per packet, 3.7 packed; docs/architecture.md, "Measured
 * choices").
 *
 * Without hugepages nothing may rely on a buffer being physically
 * contiguous across pages anyway: the EAL runs IOVA as VA (no physical
 * addresses), and the ports used so (tap, pcap, null, memif, ring) copy or
 * use virtual addresses. So the pool is not asked for contiguity and packs
 * the objects, as it does within a hugepage. With hugepages nothing
 * changes.
 */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

#include "pool.h"

struct rte_mempool *
io_pktmbuf_pool_create(const char *name, unsigned int n, unsigned int cache_size,
		       uint16_t priv_size, uint16_t data_room_size, int socket_id)
{
	if (RTE_ALIGN(priv_size, RTE_MBUF_PRIV_ALIGN) != priv_size) {
		rte_errno = EINVAL;
		return NULL;
	}
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = data_room_size,
		.mbuf_priv_size = priv_size,
	};
	const unsigned int flags = rte_eal_has_hugepages() ? 0 : RTE_MEMPOOL_F_NO_IOVA_CONTIG;
	struct rte_mempool *mp = rte_mempool_create_empty(
		name, n, (unsigned int)sizeof(struct rte_mbuf) + priv_size + data_room_size,
		cache_size, sizeof(priv), socket_id, flags);
	if (mp == NULL)
		return NULL;
	int rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		rc = rte_mempool_populate_default(mp);
	}
	if (rc < 0) {
		rte_mempool_free(mp);
		rte_errno = -rc;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}
