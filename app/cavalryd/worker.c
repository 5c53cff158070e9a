/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "counter.h"
#include "daemon.h"
#include "log.h"

/* Consecutive empty polls before an idle worker sleeps (idle_sleep_us > 0). */
#define IDLE_POLLS_BEFORE_SLEEP 256

struct worker *
worker_create(const struct daemon *d, unsigned int id, unsigned int lcore, unsigned int cpu)
{
	struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
					      (int)rte_lcore_to_socket_id(lcore));
	if (w == NULL)
		return NULL;
	w->id = id;
	w->lcore = lcore;
	w->cpu = cpu;
	w->d = d;
	w->n_ports = d->n_ports;
	for (unsigned int i = 0; i < d->n_ports; i++) {
		w->ports[i].port_id = d->ports[i].port_id;
		w->ports[i].queue = (uint16_t)id;
	}
	return w;
}

void
worker_destroy(struct worker *w)
{
	rte_free(w);
}

void
pipeline_input(struct worker *w, unsigned int port_idx, struct rte_mbuf **pkts, uint16_t n)
{
	counter_add(&w->ports[port_idx].stats.rx_dropped, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

int
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct daemon *d = w->d;
	const uint32_t idle_us = d->cfg.idle_sleep_us;
	unsigned int idle = 0;

	CAV_LOG(INFO, "worker %u running on lcore %u (cpu %u), %u port(s)", w->id, w->lcore,
		w->cpu, w->n_ports);

	/* Pairs with the release store of `quit` in main(). */
	while (!__atomic_load_n(&d->quit, __ATOMIC_ACQUIRE)) {
		unsigned int got = 0;
		for (unsigned int i = 0; i < w->n_ports; i++) {
			struct worker_port *wp = &w->ports[i];
			struct rte_mbuf *pkts[WORKER_BURST];
			uint16_t n = rte_eth_rx_burst(wp->port_id, wp->queue, pkts, WORKER_BURST);
			if (n == 0)
				continue;
			uint64_t bytes = 0;
			for (uint16_t k = 0; k < n; k++)
				bytes += rte_pktmbuf_pkt_len(pkts[k]);
			counter_add(&wp->stats.rx_packets, n);
			counter_add(&wp->stats.rx_bytes, bytes);
			got += n;
			pipeline_input(w, i, pkts, n);
		}
		counter_add(&w->loops, 1);
		if (got != 0) {
			counter_add(&w->busy_loops, 1);
			idle = 0;
		} else if (idle_us != 0 && ++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			/* Nothing for a while: give the CPU back (shared-CPU test and
			 * demo setups). idle_sleep_us = 0 never sleeps. */
			counter_add(&w->idle_sleeps, 1);
			usleep(idle_us);
		}
	}
	CAV_LOG(INFO, "worker %u stopped", w->id);
	return 0;
}
