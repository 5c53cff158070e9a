/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_forward: the FORWARD hook: a datagram routed through this host, after ip4_forward (TTL
 * and DF checks, as in Linux's ip_forward) and before POSTROUTING. The
 * filter chain FORWARD runs (TCPMSS clamping is a FORWARD target).
 * The work is nf_hook.c's; this file is the node and its edges.
 */
#include "nf_node.h"

static uint16_t
nf_forward_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	return nf_hook_process(graph, node, objs, nb_objs, NF_HOOK_FORWARD);
}

static struct rte_node_register nf_forward_node = {
	.name = "nf_forward",
	.process = nf_forward_process,
	.nb_edges = NF_EDGE_NB_COMMON,
	.next_nodes =
		{
			[NF_EDGE_NEXT] = "nf_postrouting",
			[NF_EDGE_HANDOFF] = "ct_handoff",
			[NF_EDGE_ICMP_ERROR] = "icmp_error",
			[NF_EDGE_TCP_RESET] = "nf_reject_tcp",
			[NF_EDGE_DROP_RULE] = "drop_nf_forward_rule",
			[NF_EDGE_DROP_POLICY] = "drop_nf_forward_policy",
			[NF_EDGE_DROP_CT_FULL] = "drop_ct_table_full",
			[NF_EDGE_DROP_CT_CLASH] = "drop_ct_clash",
			[NF_EDGE_DROP_CT_STALE] = "drop_ct_stale",
			[NF_EDGE_DROP_NAT_NO_PORT] = "drop_nat_no_port",
			[NF_EDGE_DROP_TRUNCATED] = "drop_nf_truncated",
		},
};
RTE_NODE_REGISTER(nf_forward_node);

GRAPH_DROP_NODE(nf_forward_rule);
GRAPH_DROP_NODE(nf_forward_policy);
