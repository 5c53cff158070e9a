/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_prerouting: the PREROUTING hook: after ip4_input (and ip4_defrag), before the route lookup.
 * Conntrack looks the datagram up (or creates its entry), DNAT rewrites
 * the destination of a new connection (nat table) and of every later
 * packet, then the filter chain PREROUTING runs.
 * The work is nf_hook.c's; this file is the node and its edges.
 */
#include "nf_node.h"

static uint16_t
nf_prerouting_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	return nf_hook_process(graph, node, objs, nb_objs, NF_HOOK_PREROUTING);
}

static struct rte_node_register nf_prerouting_node = {
	.name = "nf_prerouting",
	.process = nf_prerouting_process,
	.nb_edges = NF_EDGE_NB_COMMON,
	.next_nodes =
		{
			[NF_EDGE_NEXT] = "ip4_route",
			[NF_EDGE_HANDOFF] = "ct_handoff",
			[NF_EDGE_ICMP_ERROR] = "icmp_error",
			[NF_EDGE_TCP_RESET] = "nf_reject_tcp",
			[NF_EDGE_DROP_RULE] = "drop_nf_prerouting_rule",
			[NF_EDGE_DROP_POLICY] = "drop_nf_prerouting_policy",
			[NF_EDGE_DROP_CT_FULL] = "drop_ct_table_full",
			[NF_EDGE_DROP_CT_CLASH] = "drop_ct_clash",
			[NF_EDGE_DROP_CT_STALE] = "drop_ct_stale",
			[NF_EDGE_DROP_NAT_NO_PORT] = "drop_nat_no_port",
			[NF_EDGE_DROP_TRUNCATED] = "drop_nf_truncated",
		},
};
RTE_NODE_REGISTER(nf_prerouting_node);

GRAPH_DROP_NODE(nf_prerouting_rule);
GRAPH_DROP_NODE(nf_prerouting_policy);
