/* SPDX-License-Identifier: BSD-3-Clause */
#include "graph_env.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_icmp.h>
#include <rte_malloc.h>

#include "graph.h"
#include "icmp.h"
#include "icmp_ratelimit.h"
#include "ip4.h"
#include "ip4_check.h"
#include "route.h"

struct graph_env ge;

/* ---- test nodes ---- */

static struct {
	rte_edge_t edge;
	struct rte_mbuf *m;
} pending[GE_MAX_PKTS];
static unsigned int n_pending;

static uint16_t
inject_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	unsigned int n = n_pending;
	for (unsigned int i = 0; i < n; i++)
		graph_next(graph, node, pending[i].edge, pending[i].m);
	n_pending = 0;
	return (uint16_t)n;
}

static struct rte_node_register inject_node = {
	.name = "test_inject",
	.flags = RTE_NODE_SOURCE_F,
	.process = inject_process,
	.nb_edges = INJECT_NB_EDGES,
	.next_nodes =
		{
			[TO_IP4_INPUT] = "ip4_input",
			[TO_IP4_OUTPUT] = "ip4_output",
			[TO_ETH_INPUT] = "eth_input", /* or it would be isolated */
		},
};
RTE_NODE_REGISTER(inject_node);

static uint16_t
capture(struct rte_mbuf **to, unsigned int *n, void **objs, uint16_t nb_objs)
{
	for (uint16_t i = 0; i < nb_objs; i++) {
		assert_true(*n < GE_MAX_PKTS);
		to[(*n)++] = objs[i];
	}
	return nb_objs;
}

static uint16_t
neigh_stub_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)graph;
	(void)node;
	return capture(ge.out, &ge.n_out, objs, nb_objs);
}

static struct rte_node_register neigh_stub_node = {
	.name = "neigh_output",
	.process = neigh_stub_process,
};
RTE_NODE_REGISTER(neigh_stub_node);

static uint16_t
udp_stub_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)graph;
	(void)node;
	return capture(ge.udp_in, &ge.n_udp, objs, nb_objs);
}

static struct rte_node_register udp_stub_node = {
	.name = "test_udp",
	.process = udp_stub_process,
};
RTE_NODE_REGISTER(udp_stub_node);

RTE_INIT(test_udp_register)
{
	ip4_local_register(IPPROTO_UDP, "test_udp");
}

/* ---- the worker ---- */

int
ge_group_setup(void **state)
{
	if (test_env_setup(state) < 0)
		return -1;
	char err[128];
	ge.sh = calloc(1, sizeof(*ge.sh));
	ge.w = rte_zmalloc("w", sizeof(*ge.w), RTE_CACHE_LINE_SIZE);
	ge.sh->routes = route_table_create(2, NULL, SOCKET_ID_ANY, err, sizeof(err));
	if (ge.sh->routes == NULL || ge.w == NULL)
		return -1;
	if (route_addr_add(ge.sh->routes, 0, US0, 24) != 0 ||
	    route_addr_add(ge.sh->routes, 1, US1, 24) != 0 ||
	    route_add(ge.sh->routes, IP4(10, 0, 0, 0), 8, GW) != 0)
		return -1;
	ge.sh->n_ports = 2;
	ge.sh->ports[0].mtu = 1500;
	ge.sh->ports[1].mtu = 1280;
	ge.sh->pool = test_pool();
	ge.sh->indirect_pool = test_indirect_pool();
	ge.sh->tsc_hz = HZ;
	ge.sh->n_workers = 1;
	ge.sh->workers[0] = ge.w;
	ge.w->sh = ge.sh;
	if (graph_run_setup_hooks() < 0 || graph_worker_create(ge.w, SOCKET_ID_ANY) < 0)
		return -1;
	return ip4_worker_init(ge.w, SOCKET_ID_ANY) == 0 && icmp_worker_init(ge.w, SOCKET_ID_ANY) == 0
		       ? 0
		       : -1;
}

int
ge_group_teardown(void **state)
{
	ip4_worker_fini(ge.w);
	icmp_worker_fini(ge.w);
	rte_graph_destroy(rte_graph_from_name(ge.w->graph_name));
	route_table_free(ge.sh->routes);
	rte_free(ge.w);
	free(ge.sh);
	return test_env_teardown(state);
}

int
ge_setup(void **state)
{
	(void)state;
	ge.w->now += 100 * HZ; /* each test in its own time: past every timeout */
	icmp_ratelimit_init(ge.w->icmp_rl, HZ, ge.w->now);
	ge.n_out = ge.n_udp = 0;
	return 0;
}

int
ge_teardown(void **state)
{
	for (unsigned int i = 0; i < ge.n_out; i++)
		rte_pktmbuf_free(ge.out[i]);
	for (unsigned int i = 0; i < ge.n_udp; i++)
		rte_pktmbuf_free(ge.udp_in[i]);
	ge.n_out = ge.n_udp = 0;
	return test_pools_empty(state);
}

void
ge_inject(rte_edge_t edge, struct rte_mbuf *m)
{
	pending[n_pending].edge = edge;
	pending[n_pending++].m = m;
}

void
ge_run(void)
{
	rte_graph_walk(ge.w->graph);
}

uint64_t
ge_count(const char *node)
{
	return graph_node_packets(ge.sh, node);
}

struct rte_mbuf *
ge_rx(const struct pkt_spec *s)
{
	struct rte_mbuf *m = pkt_build(s, 0);
	pkt_meta(m)->in_port = 0;
	return m;
}

struct rte_mbuf *
ge_echo_request(uint32_t src, uint32_t dst, uint32_t data_len, uint16_t frag)
{
	uint32_t len = 8 + data_len;
	uint8_t *icmp = calloc(1, len);
	icmp[0] = RTE_IP_ICMP_ECHO_REQUEST;
	for (uint32_t i = 8; i < len; i++)
		icmp[i] = (uint8_t)i;
	uint16_t ck = (uint16_t)~rte_raw_cksum(icmp, len);
	memcpy(icmp + 2, &ck, 2);
	struct pkt_spec s = {.src = src, .dst = dst, .proto = IPPROTO_ICMP, .id = 7,
			     .frag = frag, .payload = icmp, .payload_len = len};
	struct rte_mbuf *m = ge_rx(&s);
	free(icmp);
	return m;
}

const uint8_t *
ge_assert_icmp(struct rte_mbuf *m, uint32_t src, uint32_t dst, uint8_t type, uint8_t code)
{
	static uint8_t flat[UINT16_MAX];
	pkt_copy(m, flat);
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)flat;
	uint32_t hl = rte_ipv4_hdr_len(h), len = rte_pktmbuf_pkt_len(m);
	assert_true(ip4_hdr_cksum_valid(h));
	assert_int_equal(rte_be_to_cpu_16(h->total_length), len);
	assert_int_equal(h->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(rte_be_to_cpu_32(h->src_addr), src);
	assert_int_equal(rte_be_to_cpu_32(h->dst_addr), dst);
	const uint8_t *ic = flat + hl;
	assert_int_equal(ic[0], type);
	assert_int_equal(ic[1], code);
	assert_int_equal(rte_raw_cksum(ic, len - hl), 0xffff);
	assert_true(pkt_meta(m)->flags & PKT_META_F_LOCAL_OUT);
	return ic;
}
