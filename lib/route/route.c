/* SPDX-License-Identifier: BSD-3-Clause */
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

static uint32_t
mask_of(uint8_t len)
{
	return len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
}

/* ---- worker side ---- */

static const struct route_addrs *
addrs_get(const struct route_table *rt)
{
	/* Pairs with the release store in addrs_publish(). */
	return __atomic_load_n(&rt->addrs, __ATOMIC_ACQUIRE);
}

uint32_t
route_port_addr(const struct route_table *rt, uint16_t port)
{
	const struct route_addrs *a = addrs_get(rt);
	for (unsigned int i = 0; i < a->n; i++)
		if (a->a[i].port == port)
			return a->a[i].addr;
	return 0;
}

uint32_t
route_port_addr_for(const struct route_table *rt, uint16_t port, uint32_t peer)
{
	const struct route_addrs *a = addrs_get(rt);
	for (unsigned int i = 0; i < a->n; i++) {
		uint32_t m = mask_of(a->a[i].len);
		if (a->a[i].port == port && (a->a[i].addr & m) == (peer & m))
			return a->a[i].addr;
	}
	return route_port_addr(rt, port);
}

bool
route_addrs_is_broadcast(const struct route_addrs *a, uint32_t dst)
{
	if (dst == UINT32_MAX)
		return true;
	for (unsigned int i = 0; i < a->n; i++) {
		uint32_t m = mask_of(a->a[i].len);
		if (a->a[i].len < 31 && dst == ((a->a[i].addr & m) | ~m))
			return true;
	}
	return false;
}

bool
route_is_local_addr(const struct route_table *rt, int port, uint32_t addr)
{
	const struct route_addrs *a = addrs_get(rt);
	for (unsigned int i = 0; i < a->n; i++)
		if (a->a[i].addr == addr && (port < 0 || a->a[i].port == port))
			return true;
	return false;
}

/* ---- control side ---- */

struct route_table *
route_table_create(unsigned int n_ports, struct rte_rcu_qsbr *rcu, int socket, char *err,
		   size_t errlen)
{
	struct route_table *rt = rte_zmalloc_socket("routes", sizeof(*rt), RTE_CACHE_LINE_SIZE,
						    socket);
	struct route_addrs *a = rte_zmalloc_socket("addrs", sizeof(*a), RTE_CACHE_LINE_SIZE,
						   socket);
	if (rt == NULL || a == NULL) {
		snprintf(err, errlen, "cannot allocate the route table");
		goto fail;
	}
	struct rte_lpm_config cfg = {
		.max_rules = ROUTE_MAX_RULES,
		.number_tbl8s = 1024,
	};
	rt->lpm = rte_lpm_create("cav_fib", socket, &cfg);
	if (rt->lpm == NULL) {
		snprintf(err, errlen, "rte_lpm_create: %s", rte_strerror(rte_errno));
		goto fail;
	}
	rt->rcu = rcu;
	if (rcu != NULL) {
		/* Deleted tbl8 groups are reclaimed only after every reader
		 * has passed a quiescent state. */
		struct rte_lpm_rcu_config rc = {.v = rcu, .mode = RTE_LPM_QSBR_MODE_SYNC};
		if (rte_lpm_rcu_qsbr_add(rt->lpm, &rc) != 0) {
			snprintf(err, errlen, "rte_lpm_rcu_qsbr_add: %s", rte_strerror(rte_errno));
			goto fail;
		}
	}
	a->bcast_host = UINT32_MAX; /* no subnet: only 255.255.255.255 */
	rt->addrs = a;
	rt->n_ports = n_ports;
	return rt;
fail:
	if (rt != NULL && rt->lpm != NULL)
		rte_lpm_free(rt->lpm);
	rte_free(rt);
	rte_free(a);
	return NULL;
}

void
route_table_free(struct route_table *rt)
{
	if (rt == NULL)
		return;
	rte_lpm_free(rt->lpm);
	rte_free(rt->addrs);
	rte_free(rt);
}

static void
synchronize(const struct route_table *rt)
{
	if (rt->rcu != NULL)
		rte_rcu_qsbr_synchronize(rt->rcu, RTE_QSBR_THRID_INVALID);
}

static uint32_t
nh_alloc(struct route_table *rt)
{
	for (uint32_t i = 1; i < ROUTE_MAX_NH; i++)
		if (rt->nh[i].type == NH_NONE)
			return i;
	return 0;
}

/* Free a next-hop slot once no reader can still hold it. */
static void
nh_release(struct route_table *rt, uint32_t idx)
{
	synchronize(rt);
	memset(&rt->nh[idx], 0, sizeof(rt->nh[idx]));
}

/* Which next hop does the exact prefix use? 0 if not routed. */
static uint32_t
nh_of_prefix(const struct route_table *rt, uint32_t prefix, uint8_t len)
{
	if (len == 0)
		return rt->default_nh;
	uint32_t idx;
	if (rte_lpm_is_rule_present(rt->lpm, prefix, len, &idx) == 1)
		return idx;
	return 0;
}

static int
install(struct route_table *rt, const struct nexthop *nh)
{
	if (nh_of_prefix(rt, nh->prefix, nh->len) != 0)
		return EEXIST;
	uint32_t idx = nh_alloc(rt);
	if (idx == 0)
		return ENOSPC;
	rt->nh[idx] = *nh;
	/* The slot is complete before the LPM (or default) publishes it:
	 * rte_lpm_add and the release store order the writes. */
	if (nh->len == 0) {
		__atomic_store_n(&rt->default_nh, idx, __ATOMIC_RELEASE);
		return 0;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	int rc = rte_lpm_add(rt->lpm, nh->prefix, nh->len, idx);
	if (rc != 0) {
		memset(&rt->nh[idx], 0, sizeof(rt->nh[idx]));
		return rc == -ENOSPC ? ENOSPC : EINVAL;
	}
	return 0;
}

static int
uninstall(struct route_table *rt, uint32_t prefix, uint8_t len)
{
	uint32_t idx = nh_of_prefix(rt, prefix, len);
	if (idx == 0)
		return ESRCH;
	if (len == 0)
		__atomic_store_n(&rt->default_nh, 0, __ATOMIC_RELEASE);
	else if (rte_lpm_delete(rt->lpm, prefix, len) != 0)
		return EINVAL;
	nh_release(rt, idx);
	return 0;
}

/* Publish a new address snapshot; free the old one after a grace period. */
static int
addrs_publish(struct route_table *rt, const struct route_addrs *next)
{
	struct route_addrs *n = rte_malloc("addrs", sizeof(*n), RTE_CACHE_LINE_SIZE);
	if (n == NULL)
		return ENOMEM;
	*n = *next;
	n->bcast_host = UINT32_MAX;
	for (unsigned int i = 0; i < n->n; i++)
		if (n->a[i].len < 31)
			n->bcast_host &= ~mask_of(n->a[i].len);
	struct route_addrs *old = rt->addrs;
	__atomic_store_n(&rt->addrs, n, __ATOMIC_RELEASE);
	synchronize(rt);
	rte_free(old);
	return 0;
}

int
route_addr_add(struct route_table *rt, uint16_t port, uint32_t addr, uint8_t len)
{
	if (len == 0 || len > 32 || port >= rt->n_ports)
		return EINVAL;
	const struct route_addrs *cur = rt->addrs;
	for (unsigned int i = 0; i < cur->n; i++)
		if (cur->a[i].addr == addr)
			return EEXIST;
	if (cur->n == ROUTE_MAX_ADDRS)
		return ENOSPC;

	struct nexthop local = {.type = NH_LOCAL, .len = 32, .port = port, .prefix = addr};
	int rc = install(rt, &local);
	if (rc != 0)
		return rc;
	/* The connected route may exist already (a second address in the
	 * same subnet): keep the first. A /32 address has no subnet. */
	uint32_t net = addr & mask_of(len);
	if (len < 32) {
		struct nexthop conn = {.type = NH_CONNECTED, .len = len, .port = port, .prefix = net};
		rc = install(rt, &conn);
		if (rc != 0 && rc != EEXIST) {
			uninstall(rt, addr, 32);
			return rc;
		}
	}
	struct route_addrs next = *cur;
	next.a[next.n++] = (struct route_addr){.addr = addr, .len = len, .port = port};
	rc = addrs_publish(rt, &next);
	if (rc != 0)
		uninstall(rt, addr, 32);
	return rc;
}

int
route_addr_del(struct route_table *rt, uint16_t port, uint32_t addr, uint8_t len)
{
	const struct route_addrs *cur = rt->addrs;
	unsigned int i;
	for (i = 0; i < cur->n; i++)
		if (cur->a[i].addr == addr && cur->a[i].port == port && cur->a[i].len == len)
			break;
	if (i == cur->n)
		return ESRCH;
	struct route_addrs next = *cur;
	next.a[i] = next.a[--next.n];
	int rc = addrs_publish(rt, &next);
	if (rc != 0)
		return rc;
	uninstall(rt, addr, 32);
	/* Drop the connected route unless another address keeps the subnet. */
	uint32_t net = addr & mask_of(len);
	bool kept = false;
	for (unsigned int k = 0; k < next.n; k++)
		if (next.a[k].port == port && next.a[k].len == len &&
		    (next.a[k].addr & mask_of(len)) == net)
			kept = true;
	uint32_t idx = nh_of_prefix(rt, net, len);
	if (!kept && len < 32 && idx != 0 && rt->nh[idx].type == NH_CONNECTED)
		uninstall(rt, net, len);
	return 0;
}

int
route_add(struct route_table *rt, uint32_t prefix, uint8_t len, uint32_t gw)
{
	if (len > 32 || (prefix & ~mask_of(len)) != 0)
		return EINVAL;
	/* The gateway must be directly reachable (Linux: "Nexthop has
	 * invalid gateway", ENETUNREACH). */
	uint32_t gidx;
	if (rte_lpm_lookup(rt->lpm, gw, &gidx) != 0 || rt->nh[gidx].type != NH_CONNECTED)
		return ENETUNREACH;
	struct nexthop nh = {
		.type = NH_GATEWAY, .len = len, .port = rt->nh[gidx].port, .gw = gw, .prefix = prefix};
	return install(rt, &nh);
}

int
route_del(struct route_table *rt, uint32_t prefix, uint8_t len)
{
	uint32_t idx = nh_of_prefix(rt, prefix, len);
	if (idx == 0)
		return ESRCH;
	if (rt->nh[idx].type != NH_GATEWAY)
		return EPERM;
	return uninstall(rt, prefix, len);
}

void
route_foreach(const struct route_table *rt, int (*fn)(const struct nexthop *nh, void *arg),
	      void *arg)
{
	if (rt->default_nh != 0 && fn(&rt->nh[rt->default_nh], arg) != 0)
		return;
	for (uint32_t i = 1; i < ROUTE_MAX_NH; i++)
		if (rt->nh[i].type != NH_NONE && !(rt->nh[i].len == 0) && fn(&rt->nh[i], arg) != 0)
			return;
}
