/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_input: the INPUT hook: a datagram for this host, after the route lookup (ip4_route) or
 * from ip4_output (to our own address). The filter chain INPUT runs, then
 * conntrack confirms a new entry (Linux's ipv4_confirm at LOCAL_IN).
 * The work is nf_hook.c's; this file is the node and its edges.
 */
#include "nf_node.h"

static uint16_t
nf_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	return nf_hook_process(graph, node, objs, nb_objs, NF_HOOK_INPUT);
}

static struct rte_node_register nf_input_node = {
	.name = "nf_input",
	.process = nf_input_process,
	.nb_edges = NF_EDGE_NB_COMMON,
	.next_nodes =
		{
			[NF_EDGE_NEXT] = "ip4_local",
			[NF_EDGE_HANDOFF] = "ct_handoff",
			[NF_EDGE_ICMP_ERROR] = "icmp_error",
			[NF_EDGE_TCP_RESET] = "nf_reject_tcp",
			[NF_EDGE_DROP_RULE] = "drop_nf_input_rule",
			[NF_EDGE_DROP_POLICY] = "drop_nf_input_policy",
			[NF_EDGE_DROP_CT_FULL] = "drop_ct_table_full",
			[NF_EDGE_DROP_CT_CLASH] = "drop_ct_clash",
			[NF_EDGE_DROP_CT_STALE] = "drop_ct_stale",
			[NF_EDGE_DROP_NAT_NO_PORT] = "drop_nat_no_port",
			[NF_EDGE_DROP_TRUNCATED] = "drop_nf_truncated",
		},
};
RTE_NODE_REGISTER(nf_input_node);

GRAPH_DROP_NODE(nf_input_rule);
GRAPH_DROP_NODE(nf_input_policy);
