/* SPDX-License-Identifier: BSD-3-Clause */
/* Control commands for the L2/L3 state: addresses, routes, neighbours, the
 * stage graph and the packet trace. All run on the main lcore, the single
 * writer of the route and neighbour tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_graph.h>

#include "daemon.h"
#include "graph.h"
#include "neigh.h"
#include "parse.h"
#include "route.h"

static int
port_arg(const struct daemon *d, int argc, char **argv, int i, struct ctl_reply *r, int *port)
{
	if (i + 1 >= argc || strcmp(argv[i], "dev") != 0)
		return ctl_error(r, EINVAL, "expected 'dev PORT'");
	*port = daemon_port_by_name(d, argv[i + 1]);
	if (*port < 0)
		return ctl_error(r, ENODEV, "no port named '%s'", argv[i + 1]);
	return 0;
}

static int
addr_show(struct daemon *d, struct ctl_reply *r)
{
	const struct route_addrs *a = d->sh->routes->addrs;
	char ip[16];
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	for (unsigned int i = 0; i < a->n; i++) {
		const char *port = d->ports[a->a[i].port].conf->name;
		fmt_ip4(a->a[i].addr, ip);
		if (r->json) {
			jw_obj_begin(&r->jw, NULL);
			jw_str(&r->jw, "dev", port);
			jw_str(&r->jw, "local", ip);
			jw_u64(&r->jw, "prefixlen", a->a[i].len);
			jw_obj_end(&r->jw);
		} else {
			cbuf_printf(&r->body, "%s inet %s/%u\n", port, ip, a->a[i].len);
		}
	}
	if (r->json) {
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	}
	return 0;
}

int
cmd_addr(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	if (argc == 0 || strcmp(argv[0], "show") == 0)
		return addr_show(d, r);
	bool add = strcmp(argv[0], "add") == 0;
	if ((!add && strcmp(argv[0], "del") != 0) || argc != 4)
		return ctl_error(r, EINVAL, "usage: addr show|add CIDR dev PORT|del CIDR dev PORT");
	uint32_t addr;
	uint8_t len;
	if (parse_ip4_cidr(argv[1], &addr, &len) < 0 || len == 0)
		return ctl_error(r, EINVAL, "'%s' is not an IPv4 address/prefix-length", argv[1]);
	int port = -1, rc = port_arg(d, argc, argv, 2, r, &port);
	if (rc != 0)
		return rc;
	if (add) {
		rc = route_addr_add(d->sh->routes, (uint16_t)port, addr, len);
		if (rc == 0)
			arp_ctl_gratuitous(&d->arp, (uint16_t)port, addr);
	} else {
		rc = route_addr_del(d->sh->routes, (uint16_t)port, addr, len);
	}
	if (rc == EEXIST)
		return ctl_error(r, rc, "address %s exists already", argv[1]);
	if (rc == ESRCH)
		return ctl_error(r, EADDRNOTAVAIL, "no address %s on %s", argv[1], argv[3]);
	if (rc != 0)
		return ctl_error(r, rc, "%s", strerror(rc));
	return 0;
}

struct route_show_ctx {
	struct daemon *d;
	struct ctl_reply *r;
};

static int
route_show_one(const struct nexthop *nh, void *arg)
{
	struct route_show_ctx *c = arg;
	char pfx[16], gw[16], dst[24];
	const char *port = c->d->ports[nh->port].conf->name;
	if (nh->len == 0)
		snprintf(dst, sizeof(dst), "default");
	else
		snprintf(dst, sizeof(dst), "%s/%u", fmt_ip4(nh->prefix, pfx), nh->len);
	static const char *const types[] = {"none", "local", "connected", "gateway"};
	if (c->r->json) {
		struct jw *jw = &c->r->jw;
		jw_obj_begin(jw, NULL);
		jw_str(jw, "dst", dst);
		jw_str(jw, "type", types[nh->type]);
		jw_str(jw, "dev", port);
		if (nh->type == NH_GATEWAY)
			jw_str(jw, "gateway", fmt_ip4(nh->gw, gw));
		jw_obj_end(jw);
	} else if (nh->type == NH_GATEWAY) {
		cbuf_printf(&c->r->body, "%s via %s dev %s\n", dst, fmt_ip4(nh->gw, gw), port);
	} else {
		cbuf_printf(&c->r->body, "%s dev %s %s\n", dst, port,
			    nh->type == NH_LOCAL ? "scope host (local)" : "scope link");
	}
	return 0;
}

int
cmd_route(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	if (argc == 0 || strcmp(argv[0], "show") == 0) {
		struct route_show_ctx c = {.d = d, .r = r};
		if (r->json)
			jw_arr_begin(&r->jw, NULL);
		route_foreach(d->sh->routes, route_show_one, &c);
		if (r->json) {
			jw_arr_end(&r->jw);
			cbuf_put(&r->body, "\n", 1);
		}
		return 0;
	}
	bool add = strcmp(argv[0], "add") == 0;
	if (!add && strcmp(argv[0], "del") != 0)
		return ctl_error(r, EINVAL, "usage: route show|add PREFIX/LEN via GW|del PREFIX/LEN");
	if ((add && (argc != 4 || strcmp(argv[2], "via") != 0)) || (!add && argc != 2))
		return ctl_error(r, EINVAL, "usage: route show|add PREFIX/LEN via GW|del PREFIX/LEN");
	uint32_t prefix = 0, gw = 0;
	uint8_t len = 0;
	if (strcmp(argv[1], "default") != 0 && parse_ip4_cidr(argv[1], &prefix, &len) < 0)
		return ctl_error(r, EINVAL, "'%s' is not an IPv4 prefix", argv[1]);
	if (add && parse_ip4(argv[3], &gw) < 0)
		return ctl_error(r, EINVAL, "'%s' is not an IPv4 address", argv[3]);
	int rc = add ? route_add(d->sh->routes, prefix, len, gw)
		     : route_del(d->sh->routes, prefix, len);
	switch (rc) {
	case 0:
		return 0;
	case EINVAL:
		return ctl_error(r, rc, "'%s' has host bits set", argv[1]);
	case ENETUNREACH:
		return ctl_error(r, rc, "gateway %s is not on a connected subnet", argv[3]);
	case EEXIST:
		return ctl_error(r, rc, "a route to %s exists already", argv[1]);
	case ESRCH:
		return ctl_error(r, rc, "no route to %s", argv[1]);
	case EPERM:
		return ctl_error(r, rc, "%s is a connected route: delete the address instead",
				 argv[1]);
	default:
		return ctl_error(r, rc, "%s", strerror(rc));
	}
}

struct neigh_show_ctx {
	struct daemon *d;
	struct ctl_reply *r;
};

static int
neigh_show_one(struct neigh_entry *e, void *arg)
{
	struct neigh_show_ctx *c = arg;
	char ip[16], mac[RTE_ETHER_ADDR_FMT_SIZE];
	fmt_ip4(e->ip, ip);
	rte_ether_format_addr(mac, sizeof(mac), &e->mac);
	const char *port = c->d->ports[e->port].conf->name;
	bool has_mac = e->sm.state != NEIGH_INCOMPLETE && e->sm.state != NEIGH_FAILED;
	if (c->r->json) {
		struct jw *jw = &c->r->jw;
		jw_obj_begin(jw, NULL);
		jw_str(jw, "dst", ip);
		jw_str(jw, "dev", port);
		if (has_mac)
			jw_str(jw, "lladdr", mac);
		jw_str(jw, "state", neigh_state_name(e->sm.state));
		jw_u64(jw, "held", e->n_hold);
		jw_obj_end(jw);
	} else {
		cbuf_printf(&c->r->body, "%s dev %s%s%s %s\n", ip, port, has_mac ? " lladdr " : "",
			    has_mac ? mac : "", neigh_state_name(e->sm.state));
	}
	return 0;
}

int
cmd_neigh(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	const char *usage = "usage: neigh show|add IP lladdr MAC dev PORT|del IP dev PORT|flush [dev PORT]";
	if (argc == 0 || strcmp(argv[0], "show") == 0) {
		struct neigh_show_ctx c = {.d = d, .r = r};
		if (r->json)
			jw_arr_begin(&r->jw, NULL);
		neigh_foreach(d->sh->neigh, neigh_show_one, &c);
		if (r->json) {
			jw_arr_end(&r->jw);
			cbuf_put(&r->body, "\n", 1);
		}
		return 0;
	}
	int port = -1, rc;
	uint32_t ip;
	if (strcmp(argv[0], "flush") == 0) {
		if (argc != 1 && argc != 3)
			return ctl_error(r, EINVAL, "%s", usage);
		if (argc == 3 && (rc = port_arg(d, argc, argv, 1, r, &port)) != 0)
			return rc;
		unsigned int n = arp_ctl_flush(&d->arp, port);
		if (!r->json)
			cbuf_printf(&r->body, "flushed %u entries\n", n);
		return 0;
	}
	if (strcmp(argv[0], "add") == 0) {
		struct rte_ether_addr mac;
		if (argc != 6 || strcmp(argv[2], "lladdr") != 0)
			return ctl_error(r, EINVAL, "%s", usage);
		if (parse_ip4(argv[1], &ip) < 0)
			return ctl_error(r, EINVAL, "'%s' is not an IPv4 address", argv[1]);
		if (rte_ether_unformat_addr(argv[3], &mac) < 0)
			return ctl_error(r, EINVAL, "'%s' is not a MAC address", argv[3]);
		if ((rc = port_arg(d, argc, argv, 4, r, &port)) != 0)
			return rc;
		rc = arp_ctl_add_static(&d->arp, (uint16_t)port, ip, &mac);
		return rc == 0 ? 0 : ctl_error(r, rc, "%s", strerror(rc));
	}
	if (strcmp(argv[0], "del") == 0) {
		if (argc != 4)
			return ctl_error(r, EINVAL, "%s", usage);
		if (parse_ip4(argv[1], &ip) < 0)
			return ctl_error(r, EINVAL, "'%s' is not an IPv4 address", argv[1]);
		if ((rc = port_arg(d, argc, argv, 2, r, &port)) != 0)
			return rc;
		rc = arp_ctl_del(&d->arp, (uint16_t)port, ip);
		return rc == 0 ? 0 : ctl_error(r, ESRCH, "no entry for %s on %s", argv[1], argv[3]);
	}
	return ctl_error(r, EINVAL, "%s", usage);
}

int
cmd_graph(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	if (argc == 1 && strcmp(argv[0], "dot") == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (f == NULL)
			return ctl_error(r, ENOMEM, "out of memory");
		int rc = rte_graph_export(d->sh->workers[0]->graph_name, f);
		fclose(f);
		if (rc == 0)
			cbuf_put(&r->body, buf, len);
		free(buf);
		return rc == 0 ? 0 : ctl_error(r, EIO, "rte_graph_export failed");
	}
	if (argc != 0)
		return ctl_error(r, EINVAL, "usage: graph [dot]");
	if (r->json)
		jw_obj_begin(&r->jw, NULL);
	for (rte_node_t id = 0; id < rte_node_max_count(); id++) {
		const char *name = rte_node_id_to_name(id);
		if (name == NULL)
			continue;
		rte_node_t n = rte_node_edge_count(id);
		char **names = calloc(n + 1, sizeof(char *));
		if (names == NULL)
			return ctl_error(r, ENOMEM, "out of memory");
		rte_node_edge_get(id, names);
		if (r->json) {
			jw_arr_begin(&r->jw, name);
			for (rte_node_t k = 0; k < n; k++)
				jw_str(&r->jw, NULL, names[k]);
			jw_arr_end(&r->jw);
		} else if (n > 0) {
			cbuf_printf(&r->body, "%s ->", name);
			for (rte_node_t k = 0; k < n; k++)
				cbuf_printf(&r->body, " %s", names[k]);
			cbuf_printf(&r->body, "\n");
		}
		free(names);
	}
	if (r->json) {
		jw_obj_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	}
	return 0;
}

struct trace_view {
	uint32_t pkt_id;
	unsigned int worker;
	struct trace_rec rec;
};

static int
trace_cmp(const void *a, const void *b)
{
	const struct trace_view *x = a, *y = b;
	if (x->pkt_id != y->pkt_id)
		return x->pkt_id < y->pkt_id ? -1 : 1;
	return x->rec.tsc < y->rec.tsc ? -1 : x->rec.tsc > y->rec.tsc;
}

static const char *
edge_name(rte_node_t node, uint16_t edge, char *buf, size_t len)
{
	if (edge == TRACE_EDGE_END)
		return NULL;
	rte_node_t n = rte_node_edge_count(node);
	char **names = calloc(n + 1, sizeof(char *));
	if (names == NULL)
		return "?";
	rte_node_edge_get(node, names);
	snprintf(buf, len, "%s", edge < n ? names[edge] : "?");
	free(names);
	return buf;
}

static int
trace_show(struct daemon *d, struct ctl_reply *r)
{
	const unsigned int nw = d->sh->n_workers;
	struct trace_view *v = calloc((size_t)nw * TRACE_RECS, sizeof(*v));
	if (v == NULL)
		return ctl_error(r, ENOMEM, "out of memory");
	size_t n = 0;
	for (unsigned int w = 0; w < nw; w++) {
		const struct dp_worker *wk = d->sh->workers[w];
		/* Pairs with the release store in trace_record(). */
		uint32_t head = __atomic_load_n(&wk->trace_head, __ATOMIC_ACQUIRE);
		uint32_t from = d->trace_start[w];
		if (head - from > TRACE_RECS)
			from = head - TRACE_RECS; /* overwritten: keep the newest */
		for (uint32_t i = from; i != head; i++) {
			const struct trace_rec *tr = &wk->trace[i % TRACE_RECS];
			if (tr->pkt_id <= d->trace_first_id)
				continue;
			v[n].pkt_id = tr->pkt_id;
			v[n].worker = w;
			v[n].rec = *tr;
			n++;
		}
	}
	qsort(v, n, sizeof(*v), trace_cmp);
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	uint32_t cur = 0;
	uint64_t t0 = 0;
	for (size_t i = 0; i < n; i++) {
		char ebuf[RTE_NODE_NAMESIZE];
		const char *node = rte_node_id_to_name(v[i].rec.node_id);
		const char *edge = edge_name(v[i].rec.node_id, v[i].rec.edge, ebuf, sizeof(ebuf));
		if (v[i].pkt_id != cur) {
			if (r->json && cur != 0) {
				jw_arr_end(&r->jw);
				jw_obj_end(&r->jw);
			}
			cur = v[i].pkt_id;
			t0 = v[i].rec.tsc;
			if (r->json) {
				jw_obj_begin(&r->jw, NULL);
				jw_u64(&r->jw, "packet", cur - d->trace_first_id);
				jw_u64(&r->jw, "worker", v[i].worker);
				jw_arr_begin(&r->jw, "steps");
			} else {
				cbuf_printf(&r->body, "packet %u (worker %u):\n",
					    cur - d->trace_first_id, v[i].worker);
			}
		}
		double us = (double)(v[i].rec.tsc - t0) * 1e6 / (double)d->sh->tsc_hz;
		if (r->json) {
			jw_obj_begin(&r->jw, NULL);
			jw_str(&r->jw, "node", node);
			jw_str(&r->jw, "next", edge != NULL ? edge : "(end)");
			jw_double(&r->jw, "us", us);
			jw_obj_end(&r->jw);
		} else {
			cbuf_printf(&r->body, "  %8.3f us  %-20s -> %s\n", us, node,
				    edge != NULL ? edge : "(end)");
		}
	}
	if (r->json) {
		if (cur != 0) {
			jw_arr_end(&r->jw);
			jw_obj_end(&r->jw);
		}
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	} else if (n == 0) {
		cbuf_printf(&r->body, "no packet traced yet\n");
	}
	free(v);
	return 0;
}

int
cmd_trace(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	if (argc == 1 && strcmp(argv[0], "show") == 0)
		return trace_show(d, r);
	uint64_t n;
	if (argc != 1 || parse_u64(argv[0], 1, 1000, &n) < 0)
		return ctl_error(r, EINVAL, "usage: trace N (1..1000) | trace show");
	/* Forget the previous trace: only packets numbered after this point
	 * and records after each worker's current head are shown. */
	__atomic_store_n(&d->sh->trace_budget, 0, __ATOMIC_RELAXED);
	d->trace_first_id = __atomic_load_n(&d->sh->trace_next_id, __ATOMIC_RELAXED);
	for (unsigned int w = 0; w < d->sh->n_workers; w++)
		d->trace_start[w] =
			__atomic_load_n(&d->sh->workers[w]->trace_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&d->sh->trace_budget, (int64_t)n, __ATOMIC_RELEASE);
	if (!r->json)
		cbuf_printf(&r->body, "tracing the next %lu packet(s); 'cavctl trace show' prints them\n",
			    (unsigned long)n);
	return 0;
}
