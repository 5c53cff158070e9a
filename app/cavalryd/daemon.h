/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_DAEMON_H
#define CAV_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "config.h"
#include "ctl.h"
#include "eal_args.h"
#include "port.h"

struct worker;
struct ctl_server;


/* Everything the daemon owns. Built in main(), read-only for the workers
 * after they start, except `quit`. */
struct daemon {
	struct cav_config cfg;
	struct eal_args eal;
	struct port ports[CAV_MAX_PORTS];
	unsigned int n_ports;
	struct worker *workers[CAV_MAX_WORKERS];
	unsigned int n_workers;
	struct rte_mempool *pool;
	struct ctl_server *ctl;
	uint64_t start_tsc;
	uint64_t start_time; /* unix seconds */
	bool quit;           /* set by the main lcore; workers read it (acquire) */
};

#define CAVALRY_VERSION "0.1.0"

/* Control commands (ctl_cmds.c). */
extern const struct ctl_cmd daemon_cmds[];
extern const unsigned int daemon_n_cmds;

/* rte_telemetry endpoints (telemetry.c). */
int daemon_telemetry_register(struct daemon *d);

/* Port totals: driver counters (rte_eth_stats) plus the workers' counters. */
struct port_totals {
	uint64_t rx_packets, rx_bytes, rx_missed, rx_errors, rx_nombuf;
	uint64_t tx_packets, tx_bytes, tx_errors;
	uint64_t rx_dropped; /* dropped by the pipeline */
	uint64_t tx_dropped; /* the TX ring was full and the packet was dropped */
};
void daemon_port_totals(const struct daemon *d, unsigned int port_idx, struct port_totals *t);

#endif
