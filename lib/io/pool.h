/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IO_POOL_H
#define CAV_IO_POOL_H

#include <stdint.h>

struct rte_mempool;

/*
 * rte_pktmbuf_pool_create() with the same arguments, except for where the
 * mbufs lie when the EAL runs without hugepages: packed back to back
 * instead of one per 4 KiB page (pool.c says why). Main lcore, before the
 * ports start. Returns the pool, or NULL with rte_errno set (as
 * rte_pktmbuf_pool_create: ENOMEM, EEXIST, EINVAL, ...).
 */
struct rte_mempool *io_pktmbuf_pool_create(const char *name, unsigned int n,
					   unsigned int cache_size, uint16_t priv_size,
					   uint16_t data_room_size, int socket_id);

#endif
