/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ARP_H
#define CAV_ARP_H

/*
 * ARP (RFC 826) on the control plane. Workers punt every valid ARP packet
 * and every IPv4 packet whose next hop is not resolved to the main lcore
 * (arp_input and neigh_output nodes); the main lcore owns the neighbour
 * table, answers requests for our addresses, resolves, holds and releases
 * packets, and runs the timers. ARP is rare: keeping all of it on one thread
 * keeps the table single-writer and the fast path free of locks.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_arp.h>

#include "neigh.h"

struct dp_shared;
struct route_table;

struct arp_stats {
	uint64_t rx_requests;
	uint64_t rx_replies;
	uint64_t rx_unsolicited; /* replies with no entry: ignored (Linux arp_accept=0) */
	uint64_t rx_not_for_us;  /* requests for addresses that are not ours */
	uint64_t tx_requests;
	uint64_t tx_replies;
	uint64_t tx_gratuitous;
	uint64_t held;
	uint64_t hold_overflow;    /* oldest held packet dropped for a newer one */
	uint64_t resolve_failed;   /* held packets dropped after the retries */
	uint64_t unreach_sent;     /* of which forwarded: sent back for ICMP host unreachable */
	uint64_t table_full;
	uint64_t tx_failed;        /* could not hand a frame to a worker */
};

struct arp_ctl {
	struct dp_shared *sh;
	struct neigh_table *t;
	/* Hands a packet to a worker (inject ring). Returns 0 or -1 (the
	 * packet is then freed by the callee). */
	int (*xmit)(void *ctx, struct rte_mbuf *m);
	void *xmit_ctx;
	struct arp_stats st;
};

/* Validate an ARP packet (data at the ARP header): Ethernet/IPv4 sizes,
 * request or reply. Pure; used by the arp_input node. */
bool arp_valid(const struct rte_mbuf *m);

/* A punted ARP packet (consumed). */
void arp_ctl_input(struct arp_ctl *c, struct rte_mbuf *m, uint64_t now);
/* A punted IPv4 packet waiting for resolution of pkt_meta nexthop on out_port
 * (consumed: held, sent or dropped). */
void arp_ctl_resolve(struct arp_ctl *c, struct rte_mbuf *m, uint64_t now);
/* Timers: call every ~100 ms. */
void arp_ctl_timer(struct arp_ctl *c, uint64_t now);
/* Announce `addr` on `port` (address added). */
void arp_ctl_gratuitous(struct arp_ctl *c, uint16_t port, uint32_t addr);

/* cavctl neigh: static entries and flushes. Errors are errno values. */
int arp_ctl_add_static(struct arp_ctl *c, uint16_t port, uint32_t ip,
		       const struct rte_ether_addr *mac);
int arp_ctl_del(struct arp_ctl *c, uint16_t port, uint32_t ip);
/* Remove every non-static entry (of one port, or all when port < 0). */
unsigned int arp_ctl_flush(struct arp_ctl *c, int port);

#endif
