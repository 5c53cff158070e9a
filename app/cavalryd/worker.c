/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker lcore loop: walk this worker's graph, report an RCU quiescent
 * state, and back off when idle if configured to. */
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "counter.h"
#include "daemon.h"
#include "graph.h"
#include "icmp.h"
#include "ip4.h"
#include "log.h"
#include "nf.h"
#include "session.h"
#include "tcpdp.h"
#include "txq.h"

/* Consecutive empty loops before an idle worker sleeps (idle_sleep_us > 0). */
#define IDLE_LOOPS_BEFORE_SLEEP 256

struct dp_worker *
worker_create(struct daemon *d, unsigned int id, unsigned int lcore)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct dp_worker *w =
		rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL)
		return NULL;
	w->id = id;
	w->queue = (uint16_t)id;
	w->sh = d->sh;
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "cav_inject%u", id);
	w->inject_ring = rte_ring_create(name, 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->inject_ring == NULL || ip4_worker_init(w, socket) != 0 ||
	    nf_worker_init(w, socket) != 0 ||
	    icmp_worker_init(w, socket) != 0 || sess_worker_init(w, socket) != 0 ||
	    tcpdp_worker_init(w, socket) != 0 ||
	    dp_qdisc_worker_init(w, socket) != 0 ||
	    graph_worker_create(w, socket) != 0) {
		worker_destroy(w);
		return NULL;
	}
	return w;
}

void
worker_destroy(struct dp_worker *w)
{
	if (w == NULL)
		return;
	if (w->graph != NULL)
		rte_graph_destroy(w->graph->id);
	if (w->inject_ring != NULL) {
		struct rte_mbuf *m = NULL;
		while (rte_ring_dequeue(w->inject_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->inject_ring);
	}
	dp_qdisc_worker_fini(w); /* frees what the qdiscs still hold */
	ip4_worker_fini(w);
	nf_worker_fini(w);
	icmp_worker_fini(w);
	sess_worker_fini(w);
	tcpdp_worker_fini(w);
	rte_free(w);
}

int
worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_shared *sh = w->sh;
	struct rte_rcu_qsbr *rcu = sh->rcu;
	const uint32_t idle_us = sh->idle_sleep_us;
	unsigned int idle = 0;

	rte_rcu_qsbr_thread_register(rcu, w->id);
	rte_rcu_qsbr_thread_online(rcu, w->id);
	CAV_LOG(INFO, "worker %u running on lcore %u, queue %u", w->id, rte_lcore_id(), w->queue);

	/* Pairs with the release store of `quit` in main(). */
	while (!__atomic_load_n(&sh->quit, __ATOMIC_ACQUIRE)) {
		w->now = rte_rdtsc();
		w->now_ns = dp_tsc_to_ns(w->now, sh->tsc_hz);
		w->rx_in_loop = 0;
		w->walk_traced = 0;
		/* A qdisc published by `cavctl qdisc set` is taken here, between walks. */
		dp_qdisc_sync(w, w->now_ns);
		/* The rule set for this walk; conntrack expiry (lib/filter). */
		nf_worker_tick(w);
		rte_graph_walk(w->graph);
		/* Backlogs (NIC ring was full, or the shaper) go on without new packets. */
		uint32_t sent = dp_qdisc_service(w, w->now_ns);
		rte_rcu_qsbr_quiescent(rcu, w->id);
		counter_add(&w->loops, 1);
		if (w->rx_in_loop != 0 || sent != 0) {
			counter_add(&w->busy_loops, 1);
			idle = 0;
		} else if (idle_us != 0 && ++idle >= IDLE_LOOPS_BEFORE_SLEEP) {
			/* Nothing for a while: give the CPU back (shared-CPU test
			 * and demo setups), offline so that RCU writers do not
			 * wait for us. idle_sleep_us = 0 never sleeps. */
			counter_add(&w->idle_sleeps, 1);
			rte_rcu_qsbr_thread_offline(rcu, w->id);
			usleep(idle_us);
			rte_rcu_qsbr_thread_online(rcu, w->id);
		}
	}
	rte_rcu_qsbr_thread_offline(rcu, w->id);
	rte_rcu_qsbr_thread_unregister(rcu, w->id);
	CAV_LOG(INFO, "worker %u stopped", w->id);
	return 0;
}
