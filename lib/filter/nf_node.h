/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NF_NODE_H
#define CAV_NF_NODE_H

/*
 * What the five hook nodes (node_nf_*.c) share: their edges, in one order,
 * and the process function. Each hook node has every edge below (its own
 * drop nodes for "a rule said DROP" and "the policy said DROP", the shared
 * ones for conntrack and NAT); nf_output has one more, to nf_input, for
 * datagrams to our own addresses.
 *
 * Cost when the hook has nothing to do (no rules at this hook, conntrack
 * off): one load and one branch per burst, then one branch per packet (the
 * trace) and the whole burst moves to the next node at once
 * (rte_node_next_stream_move).
 */

#include <rte_graph.h>

#include "graph.h"
#include "nf.h"

enum nf_edge {
	NF_EDGE_NEXT,	    /* the stage after the hook */
	NF_EDGE_HANDOFF,    /* conntrack: the entry's owner is another worker */
	NF_EDGE_ICMP_ERROR, /* REJECT with an ICMP error (pkt_meta icmp_type/code) */
	NF_EDGE_TCP_RESET,  /* REJECT with a TCP RST */
	NF_EDGE_DROP_RULE,  /* drop_nf_<hook>_rule: a DROP or REJECT rule matched */
	NF_EDGE_DROP_POLICY, /* drop_nf_<hook>_policy: the chain's policy */
	NF_EDGE_DROP_CT_FULL,	  /* drop_ct_table_full */
	NF_EDGE_DROP_CT_CLASH,	  /* drop_ct_clash: the reply tuple belongs to another entry */
	NF_EDGE_DROP_CT_STALE,	  /* drop_ct_stale: the entry died while the packet was in flight */
	NF_EDGE_DROP_NAT_NO_PORT, /* drop_nat_no_port: the NAT pool is exhausted */
	NF_EDGE_DROP_TRUNCATED,	  /* drop_nf_truncated: a transport header cut short */
	NF_EDGE_NB_COMMON,
	NF_EDGE_LOCAL = NF_EDGE_NB_COMMON, /* nf_output only: to nf_input */
};

/* The hook node's process function (nf_hook.c). */
uint16_t nf_hook_process(struct rte_graph *graph, struct rte_node *node, void **objs,
			 uint16_t nb_objs, enum nf_hook hook);

#endif
