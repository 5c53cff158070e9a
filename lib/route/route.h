/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ROUTE_H
#define CAV_ROUTE_H

/*
 * The IPv4 FIB: rte_lpm for longest-prefix match (depth 1..32) plus a
 * separate default route, next hops in a fixed array, interface addresses.
 *
 * Concurrency: one writer (the main lcore, through the route_* control
 * functions) and lock-free readers (workers, route_lookup and friends). A
 * next-hop slot is immutable while published; a deleted slot is reused only
 * after an RCU grace period (rte_rcu_qsbr_synchronize), and rte_lpm reclaims
 * its tbl8 groups through the same QSBR variable. Address lists are swapped
 * as whole snapshots, the old one freed after a grace period.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_lpm.h>

#define ROUTE_MAX_NH 4096
#define ROUTE_MAX_RULES 8192
#define ROUTE_MAX_ADDRS 64

enum nh_type {
	NH_NONE = 0,
	NH_LOCAL,     /* one of our addresses: deliver locally */
	NH_CONNECTED, /* on-link subnet: the next hop is the destination */
	NH_GATEWAY,   /* via a gateway on a connected subnet */
};

struct nexthop {
	uint8_t type;   /* enum nh_type */
	uint8_t len;    /* prefix length of the route */
	uint16_t port;  /* egress port (for NH_LOCAL: the port owning the address) */
	uint32_t gw;    /* NH_GATEWAY: the gateway, host order */
	uint32_t prefix;
};

struct route_addr {
	uint32_t addr; /* host order */
	uint8_t len;
	uint16_t port;
};

struct route_addrs {
	unsigned int n;
	/* The host bits every broadcast address of this snapshot has set: the
	 * AND of the host masks of its subnets (prefix < 31), all ones when
	 * there is none. An address with one of them clear is no broadcast,
	 * which route_is_broadcast() sees in two instructions for almost
	 * every packet instead of walking the list. */
	uint32_t bcast_host;
	struct route_addr a[ROUTE_MAX_ADDRS];
};

struct route_table {
	struct rte_lpm *lpm;
	struct rte_rcu_qsbr *rcu;
	uint32_t default_nh; /* 0: no default route; else a next-hop index */
	struct route_addrs *addrs; /* RCU snapshot */
	unsigned int n_ports;
	struct nexthop nh[ROUTE_MAX_NH]; /* index 0 unused */
};

/* ---- worker side (lock-free) ---- */

/* The next hop for `dst` (host order), or NULL: no route. */
static inline const struct nexthop *
route_lookup(const struct route_table *rt, uint32_t dst)
{
	uint32_t idx;
	if (rte_lpm_lookup(rt->lpm, dst, &idx) != 0) {
		idx = __atomic_load_n(&rt->default_nh, __ATOMIC_ACQUIRE);
		if (idx == 0)
			return NULL;
	}
	return &rt->nh[idx];
}

/* Our first address on `port` (0 if none): the source of ICMP errors and
 * of ARP requests sent through that port. */
uint32_t route_port_addr(const struct route_table *rt, uint16_t port);

/* Our address on `port` in the same subnet as `peer`, else route_port_addr. */
uint32_t route_port_addr_for(const struct route_table *rt, uint16_t port, uint32_t peer);

/* The list walk behind route_is_broadcast(). */
bool route_addrs_is_broadcast(const struct route_addrs *a, uint32_t dst);

/* The address snapshot; a worker may keep it for the rest of its graph
 * walk (it is freed only after a grace period). */
static inline const struct route_addrs *
route_addrs_get(const struct route_table *rt)
{
	/* Pairs with the release store that publishes a snapshot. */
	return __atomic_load_n(&rt->addrs, __ATOMIC_ACQUIRE);
}

/* Is `dst` a broadcast address of snapshot `a` (route_is_broadcast)? */
static inline bool
route_addrs_broadcast(const struct route_addrs *a, uint32_t dst)
{
	if ((dst & a->bcast_host) != a->bcast_host)
		return false;
	return route_addrs_is_broadcast(a, dst);
}

/* Is `dst` a broadcast address: 255.255.255.255 or the directed broadcast
 * of one of our subnets (any port)? */
static inline bool
route_is_broadcast(const struct route_table *rt, uint32_t dst)
{
	return route_addrs_broadcast(route_addrs_get(rt), dst);
}

/* Is `addr` one of ours on `port`? (ARP replies; any port if port < 0) */
bool route_is_local_addr(const struct route_table *rt, int port, uint32_t addr);

/* ---- control side (main lcore only) ---- */

struct route_table *route_table_create(unsigned int n_ports, struct rte_rcu_qsbr *rcu,
				       int socket, char *err, size_t errlen);
void route_table_free(struct route_table *rt);

/* Add an interface address: a /32 local route and the connected route of
 * its subnet. Errors: EEXIST (address present), ENOSPC, EINVAL. */
int route_addr_add(struct route_table *rt, uint16_t port, uint32_t addr, uint8_t len);
/* ESRCH if absent. */
int route_addr_del(struct route_table *rt, uint16_t port, uint32_t addr, uint8_t len);

/*
 * Add a static route via `gw` (host order). len 0 is the default route. The
 * gateway must be on a connected subnet (ENETUNREACH otherwise); EEXIST if
 * the prefix is routed already (connected or static).
 */
int route_add(struct route_table *rt, uint32_t prefix, uint8_t len, uint32_t gw);
/* ESRCH if absent; EPERM for a connected/local route (use addr del). */
int route_del(struct route_table *rt, uint32_t prefix, uint8_t len);

/* Visit every route (default first); stops when fn returns non-zero. */
void route_foreach(const struct route_table *rt,
		   int (*fn)(const struct nexthop *nh, void *arg), void *arg);

#endif
