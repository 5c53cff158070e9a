/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_reject_tcp: REJECT --reject-with tcp-reset. The offending segment
 * (data at its IPv4 header) gets a RST back, as a TCP endpoint with no
 * connection would send it (RFC 9293 §3.10.7.1, Linux's nf_send_reset):
 * from the address and port it was sent to; if it carried an ACK, the RST
 * takes its sequence number from that ACK, otherwise it acknowledges the
 * segment (RST|ACK, seq 0). The RST goes out like a local packet (to
 * ip4_output, through OUTPUT); the segment ends in drop_nf_reject_tcp_sent.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "graph.h"
#include "ip4_check.h"

enum {
	NF_REJECT_TCP_NEXT_OUTPUT,
	NF_REJECT_TCP_DROP_SENT,
	NF_REJECT_TCP_DROP_NOMEM,
	NF_REJECT_TCP_DROP_UNREADABLE,
	NF_REJECT_TCP_NB_EDGES,
};

/* The RST for segment m, or NULL with *why (the drop edge). */
static struct rte_mbuf *
build_rst(struct rte_mempool *mp, const struct rte_mbuf *m, rte_edge_t *why)
{
	struct rte_ipv4_hdr ib;
	struct rte_tcp_hdr tb;
	*why = NF_REJECT_TCP_DROP_UNREADABLE;
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_read(m, 0, sizeof(ib), &ib);
	if (ih == NULL)
		return NULL;
	uint32_t hl = rte_ipv4_hdr_len(ih), tot = rte_be_to_cpu_16(ih->total_length);
	const struct rte_tcp_hdr *th = rte_pktmbuf_read(m, hl, sizeof(tb), &tb);
	if (th == NULL)
		return NULL;
	uint32_t thl = (uint32_t)(th->data_off >> 4) * 4;
	if (thl < sizeof(tb) || hl + thl > tot)
		return NULL;

	*why = NF_REJECT_TCP_DROP_NOMEM;
	struct rte_mbuf *r = rte_pktmbuf_alloc(mp);
	if (r == NULL)
		return NULL;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(r, sizeof(struct rte_ipv4_hdr) + sizeof(tb));
	if (d == NULL) {
		rte_pktmbuf_free(r);
		return NULL;
	}
	struct rte_ipv4_hdr *oh = (struct rte_ipv4_hdr *)d;
	struct rte_tcp_hdr *ot = (struct rte_tcp_hdr *)(d + sizeof(*oh));
	memset(d, 0, sizeof(*oh) + sizeof(tb));
	oh->version_ihl = RTE_IPV4_VHL_DEF;
	oh->total_length = rte_cpu_to_be_16(sizeof(*oh) + sizeof(tb));
	oh->packet_id = (rte_be16_t)rte_rand();
	oh->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	oh->time_to_live = 64;
	oh->next_proto_id = IPPROTO_TCP;
	oh->src_addr = ih->dst_addr;
	oh->dst_addr = ih->src_addr;
	ot->src_port = th->dst_port;
	ot->dst_port = th->src_port;
	ot->data_off = (sizeof(tb) / 4) << 4;
	if (th->tcp_flags & RTE_TCP_ACK_FLAG) {
		ot->sent_seq = th->recv_ack;
		ot->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		uint32_t len = tot - hl - thl;
		len += (th->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0;
		len += (th->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0;
		ot->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + len);
		ot->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	ip4_set_cksum(oh);
	ot->cksum = rte_ipv4_udptcp_cksum(oh, ot);
	return r;
}

static uint16_t
nf_reject_tcp_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		      uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		const struct pkt_meta *om = pkt_meta(m);
		rte_edge_t why;
		struct rte_mbuf *r = build_rst(w->sh->pool, m, &why);
		if (r == NULL) {
			graph_next(graph, node, why, m);
			continue;
		}
		struct pkt_meta *rm = pkt_meta(r);
		memset(rm, 0, sizeof(*rm));
		rm->flags = PKT_META_F_LOCAL_OUT;
		rm->in_port = om->in_port;
		rm->trace_id = om->trace_id;
		graph_next(graph, node, NF_REJECT_TCP_NEXT_OUTPUT, r);
		graph_next(graph, node, NF_REJECT_TCP_DROP_SENT, m);
	}
	return nb_objs;
}

static struct rte_node_register nf_reject_tcp_node = {
	.name = "nf_reject_tcp",
	.process = nf_reject_tcp_process,
	.nb_edges = NF_REJECT_TCP_NB_EDGES,
	.next_nodes =
		{
			[NF_REJECT_TCP_NEXT_OUTPUT] = "ip4_output",
			[NF_REJECT_TCP_DROP_SENT] = "drop_nf_reject_tcp_sent",
			[NF_REJECT_TCP_DROP_NOMEM] = "drop_nf_reject_tcp_nomem",
			[NF_REJECT_TCP_DROP_UNREADABLE] = "drop_nf_reject_tcp_unreadable",
		},
};
RTE_NODE_REGISTER(nf_reject_tcp_node);
GRAPH_DROP_NODE(nf_reject_tcp_sent);
GRAPH_DROP_NODE(nf_reject_tcp_nomem);
GRAPH_DROP_NODE(nf_reject_tcp_unreadable);
