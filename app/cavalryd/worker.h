/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_WORKER_H
#define CAV_WORKER_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "config.h"

#define WORKER_BURST 32

struct daemon;

/* Counters one worker keeps for one port. Single writer: the worker. */
struct worker_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_dropped; /* by the pipeline, all reasons */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_dropped;
};

struct worker_port {
	uint16_t port_id;
	uint16_t queue;
	struct worker_port_stats stats;
};

/* One per worker lcore, allocated on its NUMA node and cache aligned: the hot
 * state of a worker never shares a line with another's. */
struct worker {
	unsigned int id;
	unsigned int lcore;
	unsigned int cpu;
	const struct daemon *d;
	unsigned int n_ports;
	uint64_t loops;
	uint64_t busy_loops; /* loops that received at least one packet */
	uint64_t idle_sleeps;
	struct worker_port ports[CAV_MAX_PORTS];
} __rte_cache_aligned;

struct worker *worker_create(const struct daemon *d, unsigned int id, unsigned int lcore,
			     unsigned int cpu);
void worker_destroy(struct worker *w);
/* lcore entry point (rte_eal_remote_launch). */
int worker_main(void *arg);

/*
 * The pipeline entry: the worker hands every received burst here. Until the
 * L2/L3 stages exist, it counts and drops (reason "no pipeline").
 */
void pipeline_input(struct worker *w, unsigned int port_idx, struct rte_mbuf **pkts, uint16_t n);

#endif
