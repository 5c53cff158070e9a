/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_DAEMON_H
#define CAV_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "arp.h"
#include "config.h"
#include "ctl.h"
#include "dp.h"
#include "eal_args.h"
#include "port.h"

struct ctl_server;

/* Everything the daemon owns. Built in main() on the main lcore. */
struct daemon {
	struct cav_config cfg;
	struct eal_args eal;
	struct port ports[CAV_MAX_PORTS];
	unsigned int n_ports;
	struct dp_shared *sh; /* what the workers see */
	struct rte_rcu_qsbr *rcu;
	struct arp_ctl arp;
	struct ctl_server *ctl;
	uint64_t start_tsc;
	/* Trace: where each worker's records and the packet ids started
	 * when the current trace was armed. */
	uint32_t trace_start[CAV_MAX_WORKERS];
	uint32_t trace_first_id;
};

#define CAVALRY_VERSION "0.1.0"

/* Control commands (ctl_cmds.c, ctl_l3.c). */
extern const struct ctl_cmd daemon_cmds[];
extern const unsigned int daemon_n_cmds;

/* rte_telemetry endpoints (telemetry.c). */
int daemon_telemetry_register(struct daemon *d);

/* Port totals: driver counters (rte_eth_stats) plus the workers' counters. */
struct port_totals {
	uint64_t rx_packets, rx_bytes, rx_missed, rx_errors, rx_nombuf;
	uint64_t tx_packets, tx_bytes, tx_errors;
	uint64_t tx_dropped; /* the TX ring was full and the packet was dropped */
};
void daemon_port_totals(const struct daemon *d, unsigned int port_idx, struct port_totals *t);

/* The fields of struct port_totals by name, for every output that lists
 * them (cavctl JSON, telemetry): one table, so they cannot drift apart. */
struct port_total_field {
	const char *name;
	size_t off;
};
extern const struct port_total_field port_total_fields[];
extern const unsigned int port_total_n_fields;

static inline uint64_t
port_total_get(const struct port_totals *t, unsigned int field)
{
	return *(const uint64_t *)((const char *)t + port_total_fields[field].off);
}

/* Find a port by name; -1 if none. */
int daemon_port_by_name(const struct daemon *d, const char *name);

/* Worker lcore entry point (worker.c). */
int worker_main(void *arg);
struct dp_worker *worker_create(struct daemon *d, unsigned int id, unsigned int lcore);
void worker_destroy(struct dp_worker *w);

/* Control plane (control.c): packets punted by workers, timers. */
void control_drain(struct daemon *d);
void control_timer(struct daemon *d);
int control_xmit(void *ctx, struct rte_mbuf *m);

/* ctl handler tables of the L3 commands (ctl_l3.c). */
int cmd_addr(void *ctx, int argc, char **argv, struct ctl_reply *r);
int cmd_route(void *ctx, int argc, char **argv, struct ctl_reply *r);
int cmd_neigh(void *ctx, int argc, char **argv, struct ctl_reply *r);
int cmd_graph(void *ctx, int argc, char **argv, struct ctl_reply *r);
int cmd_trace(void *ctx, int argc, char **argv, struct ctl_reply *r);
/* TX qdiscs (ctl_qdisc.c). */
int cmd_qdisc(void *ctx, int argc, char **argv, struct ctl_reply *r);

/* Sockets of libcavsock clients (ctl_ss.c). */
int cmd_ss(void *ctx, int argc, char **argv, struct ctl_reply *r);
/* The TCP counters (a "tcp" object in JSON), for `cavctl stats` too. */
void ss_tcp_stats(const struct daemon *d, struct ctl_reply *r);

/* The counters of struct tcp_stats by name (ctl_ss.c), for every output
 * that lists them (`cavctl stats`, `ss -s`, telemetry /cavalry/tcp). */
struct tcp_stats;
struct tcp_stat_field {
	const char *name;
	size_t off;
};
extern const struct tcp_stat_field tcp_stat_fields[];
extern const unsigned int tcp_stat_n_fields;
static inline uint64_t
tcp_stat_get(const struct tcp_stats *st, unsigned int field)
{
	return *(const uint64_t *)((const char *)st + tcp_stat_fields[field].off);
}

/* Netfilter rules and conntrack (ctl_filter.c). */
int cmd_rule(void *ctx, int argc, char **argv, struct ctl_reply *r);
int cmd_conntrack(void *ctx, int argc, char **argv, struct ctl_reply *r);

#endif
