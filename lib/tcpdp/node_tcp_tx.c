/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_tx: source node, once per graph walk (so once per worker loop):
 *   1. the main lcore's commands for this worker (connect, shutdown,
 *      close, options, client gone), a bounded number per walk;
 *   2. the core's timer wheel, with the walk's clock (w->now_ns, read
 *      from the TSC once per loop, in µs);
 *   3. every stream socket this worker owns: new bytes or a shutdown the
 *      client published (→ tcp_output), bytes it consumed (→ tcp_recvd:
 *      a window update when due);
 * then the segments the core emitted go to ip4_output.
 *
 * The timers run here rather than in worker.c's loop because an emitted
 * segment needs a node to leave from; it is the same once-per-iteration.
 */
#include "counter.h"
#include "graph.h"
#include "tcpdp_priv.h"

#define CMDS_PER_WALK 64

enum {
	TCP_TX_NEXT_OUTPUT,
	TCP_TX_NB_EDGES,
};

static uint16_t
tcp_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	struct tcpdp_worker *tw = tcpdp_w(w);
	struct sess_worker *sw = w->sess;
	if (unlikely(tw == NULL || sw == NULL || w->sh->sess == NULL))
		return 0;
	tcpdp_begin(tw);
	unsigned int work = 0;

	struct sess_cmd cmd;
	for (unsigned int i = 0; i < CMDS_PER_WALK && sess_cmd_next(w, &cmd); i++) {
		tcpdp_cmd_run(tw, &cmd);
		work++;
	}

	work += tcp_stack_timers(&tw->st, tw->now_us);

	/* Acquire: pairs with the release stores of own[] (main lcore and
	 * this worker's passive opens). */
	uint32_t hw = __atomic_load_n(&sw->n_own, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < hw; i++) {
		struct sess_sock *s = __atomic_load_n(&sw->own[i], __ATOMIC_ACQUIRE);
		if (s == NULL || s->proto != SESS_P_TCP)
			continue;
		const struct tcpdp_sockmap *sm = &tw->sockmap[s->id % SESS_MAX_SOCKS];
		if (sm->conn == 0 || sm->gen != __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) ||
		    !sess_client_ok(s->client))
			continue;
		struct tcpdp_conn *c = &tw->t->conns[sm->conn - 1];
		if (c->sock_id != s->id)
			continue;
		work += tcpdp_service(tw, c, s);
	}

	uint16_t sent = tw->n_stage;
	tcpdp_end(tw, graph, node, TCP_TX_NEXT_OUTPUT);
	w->rx_in_loop += work + sent;
	return sent;
}

static struct rte_node_register tcp_tx_node = {
	.name = "tcp_tx",
	.flags = RTE_NODE_SOURCE_F,
	.process = tcp_tx_process,
	.nb_edges = TCP_TX_NB_EDGES,
	.next_nodes =
		{
			[TCP_TX_NEXT_OUTPUT] = "ip4_output",
		},
};
RTE_NODE_REGISTER(tcp_tx_node);
