/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TEST_IP4_GRAPH_ENV_H
#define CAV_TEST_IP4_GRAPH_ENV_H

/*
 * The IPv4 and ICMP nodes in a real rte_graph, built by graph_worker_create
 * like a worker's: a source node injects hand-built datagrams, a stub
 * neigh_output and a stub UDP transport capture what comes out, and the drop
 * nodes' packet counters say where the rest went. Time is the worker's
 * `now` on a fake clock of 1000 ticks a second.
 *
 * Routes: 198.18.0.1/24 on port 0 (MTU 1500), 198.18.1.1/24 on port 1 (MTU
 * 1280), 10.0.0.0/8 via 198.18.1.254.
 */

#include <stdint.h>

#include <rte_graph.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "pkt_env.h"

#define HZ 1000
#define US0 IP4(198, 18, 0, 1)
#define US1 IP4(198, 18, 1, 1)
#define PEER IP4(198, 18, 0, 2)
#define GW IP4(198, 18, 1, 254)
#define FAR IP4(10, 1, 2, 3)
#define DF RTE_IPV4_HDR_DF_FLAG

/* Where test_inject can send a packet. */
enum { TO_IP4_INPUT, TO_IP4_OUTPUT, TO_ETH_INPUT, INJECT_NB_EDGES };

#define GE_MAX_PKTS 64

struct graph_env {
	struct dp_shared *sh;
	struct dp_worker *w;
	struct rte_mbuf *out[GE_MAX_PKTS]; /* what reached neigh_output */
	unsigned int n_out;
	struct rte_mbuf *udp_in[GE_MAX_PKTS]; /* what reached the UDP transport */
	unsigned int n_udp;
};
extern struct graph_env ge;

/* cmocka group setup/teardown (EAL, pools, routes, worker, graph) and
 * per-test setup (time moves 100 s on, rate limiter reset) / teardown
 * (captured packets freed, leak check). */
int ge_group_setup(void **state);
int ge_group_teardown(void **state);
int ge_setup(void **state);
int ge_teardown(void **state);

/* Queue a packet for test_inject's next run, down `edge`. */
void ge_inject(rte_edge_t edge, struct rte_mbuf *m);
/* One graph walk: every queued packet goes as far as it goes. */
void ge_run(void);
/* A node's packet counter. */
uint64_t ge_count(const char *node);

/* A datagram from the wire, arrived on port 0. */
struct rte_mbuf *ge_rx(const struct pkt_spec *s);
/* An echo request with `data_len` bytes of data (byte i = i). */
struct rte_mbuf *ge_echo_request(uint32_t src, uint32_t dst, uint32_t data_len, uint16_t frag);
/* Check `m` is a locally generated ICMP message of `type`/`code` from
 * `src` to `dst`, both checksums right; returns its ICMP header in a flat
 * copy of the packet (valid until the next call). */
const uint8_t *ge_assert_icmp(struct rte_mbuf *m, uint32_t src, uint32_t dst, uint8_t type,
			      uint8_t code);

#endif
