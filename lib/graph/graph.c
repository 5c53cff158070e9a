/* SPDX-License-Identifier: BSD-3-Clause */
#include "graph.h"

#include <stdio.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#define MAX_HOOKS 32

static graph_setup_hook_t hooks[MAX_HOOKS];
static unsigned int n_hooks;

void
graph_register_setup_hook(graph_setup_hook_t fn)
{
	if (n_hooks < MAX_HOOKS)
		hooks[n_hooks++] = fn;
	else
		rte_panic("too many graph setup hooks\n");
}

int
graph_run_setup_hooks(void)
{
	for (unsigned int i = 0; i < n_hooks; i++)
		if (hooks[i]() < 0)
			return -1;
	return 0;
}

int
graph_add_edge(const char *from, const char *to)
{
	rte_node_t id = rte_node_from_name(from);
	if (id == RTE_NODE_ID_INVALID || rte_node_from_name(to) == RTE_NODE_ID_INVALID)
		return -1;
	const char *names[1] = {to};
	/* rte_node_edge_update returns how many edges it wrote, not the
	 * index: the new edge is the last one. */
	if (rte_node_edge_update(id, RTE_EDGE_ID_INVALID, names, 1) != 1)
		return -1;
	rte_edge_t n = rte_node_edge_count(id);
	if (n == 0 || n == RTE_EDGE_ID_INVALID)
		return -1;
	return (int)n - 1;
}

uint16_t
graph_drop_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)graph;
	struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++)
		if (unlikely(pkt_meta(objs[i])->trace_id != 0))
			trace_record(w, node, objs[i], TRACE_EDGE_END);
	rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, nb_objs);
	return nb_objs;
}

int
graph_worker_create(struct dp_worker *w, int socket)
{
	static const char *all[] = {"*"};
	struct rte_graph_param prm = {
		.socket_id = socket,
		.nb_node_patterns = 1,
		.node_patterns = all,
	};
	snprintf(w->graph_name, sizeof(w->graph_name), "cav_w%u", w->id);
	rte_graph_t gid = rte_graph_create(w->graph_name, &prm);
	if (gid == RTE_GRAPH_ID_INVALID)
		return -1;
	w->graph = rte_graph_lookup(w->graph_name);
	if (w->graph == NULL)
		return -1;
	for (rte_node_t id = 0; id < rte_node_max_count(); id++) {
		struct rte_node *n = rte_graph_node_get(gid, id);
		if (n != NULL)
			memcpy(n->ctx, &w, sizeof(w));
	}
	return 0;
}

uint64_t
graph_node_packets(const struct dp_shared *sh, const char *node_name)
{
	uint64_t total = 0;
	for (unsigned int i = 0; i < sh->n_workers; i++) {
		const struct dp_worker *w = sh->workers[i];
		if (w == NULL || w->graph == NULL)
			continue;
		struct rte_node *n = rte_graph_node_get_by_name(w->graph_name, node_name);
		if (n != NULL)
			total += __atomic_load_n(&n->total_objs, __ATOMIC_RELAXED);
	}
	return total;
}
