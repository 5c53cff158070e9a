/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_output: the OUTPUT hook: a datagram this host generated, after its route lookup in
 * ip4_output. Conntrack looks it up (or creates its entry), then the
 * filter chain OUTPUT runs. To one of our addresses (PKT_META_F_LOCAL_DST)
 * it goes on to INPUT; elsewhere to POSTROUTING.
 * The work is nf_hook.c's; this file is the node and its edges.
 */
#include "nf_node.h"

static uint16_t
nf_output_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	return nf_hook_process(graph, node, objs, nb_objs, NF_HOOK_OUTPUT);
}

static struct rte_node_register nf_output_node = {
	.name = "nf_output",
	.process = nf_output_process,
	.nb_edges = NF_EDGE_NB_COMMON + 1,
	.next_nodes =
		{
			[NF_EDGE_NEXT] = "nf_postrouting",
			[NF_EDGE_HANDOFF] = "ct_handoff",
			[NF_EDGE_ICMP_ERROR] = "icmp_error",
			[NF_EDGE_TCP_RESET] = "nf_reject_tcp",
			[NF_EDGE_DROP_RULE] = "drop_nf_output_rule",
			[NF_EDGE_DROP_POLICY] = "drop_nf_output_policy",
			[NF_EDGE_DROP_CT_FULL] = "drop_ct_table_full",
			[NF_EDGE_DROP_CT_CLASH] = "drop_ct_clash",
			[NF_EDGE_DROP_CT_STALE] = "drop_ct_stale",
			[NF_EDGE_DROP_NAT_NO_PORT] = "drop_nat_no_port",
			[NF_EDGE_DROP_TRUNCATED] = "drop_nf_truncated",
			[NF_EDGE_LOCAL] = "nf_input",
		},
};
RTE_NODE_REGISTER(nf_output_node);

GRAPH_DROP_NODE(nf_output_rule);
GRAPH_DROP_NODE(nf_output_policy);
