/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_PORT_H
#define CAV_PORT_H

/*
 * Port bring-up: probe a vdev (or find an allow-listed PCI device), probe and
 * log its offload/RSS capabilities, configure one RX and one TX queue per
 * worker, and start it. What the port offers is recorded in struct port so
 * the data path can use checksum offloads where they exist.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "config.h"

struct port {
	const struct cav_port_conf *conf;
	uint16_t port_id;
	uint16_t n_queues;
	bool probed;  /* we hot-plugged it: detach on close */
	bool started;
	bool rss;
	uint16_t mtu;
	uint64_t rx_offloads; /* enabled RTE_ETH_RX_OFFLOAD_* */
	uint64_t tx_offloads; /* enabled RTE_ETH_TX_OFFLOAD_* */
	struct rte_ether_addr mac;
	char driver[32];
	char devname[64];
	char devargs[CAV_DEVARGS_MAX + 32]; /* what was probed */
};

/*
 * Build the devargs actually probed for a vdev: for net_af_packet, add
 * `qpairs=N` when absent so that each worker gets its own queue pair.
 * Pure; exposed for unit tests. Returns 0 or -1 if it does not fit.
 */
int port_devargs(const char *device, unsigned int n_queues, char *out, size_t outlen);

/*
 * A vdev can live inside a network namespace (`netns` in the config):
 * net_tap creates its interface there and opens its queues there,
 * net_af_packet binds to an interface there. The PMD's sockets and file
 * descriptors are created during probe and queue setup, so the main thread
 * enters the namespace around port_probe() + port_start() and returns.
 * Returns the fd of the original namespace (pass it to port_netns_leave),
 * -2 when the port has no netns, or -1 with a message.
 */
int port_netns_enter(const struct cav_port_conf *conf, char *err, size_t errlen);
void port_netns_leave(int oldns);

/* Probe/find the device. On failure returns -1 with a message naming the port. */
int port_probe(struct port *p, const struct cav_port_conf *conf, unsigned int n_queues,
	       char *err, size_t errlen);

/* Configure queues on `pool` and start. */
int port_start(struct port *p, struct rte_mempool *pool, char *err, size_t errlen);

/* Stop, close and (for hot-plugged vdevs) detach. Safe on a half-set-up port. */
void port_close(struct port *p);

/* Names of the offload bits set in `flags` (RX or TX), comma separated. */
void port_offloads_str(uint64_t flags, bool rx, char *buf, size_t len);

#endif
