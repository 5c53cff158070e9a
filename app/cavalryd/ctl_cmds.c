/* SPDX-License-Identifier: BSD-3-Clause */
/* Control commands: status, link, stats. Text for people, JSON with -j. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "counter.h"
#include "ctl.h"
#include "daemon.h"
#include "parse.h"
#include "route.h"
#include "graph.h"

void
daemon_port_totals(const struct daemon *d, unsigned int idx, struct port_totals *t)
{
	memset(t, 0, sizeof(*t));
	const struct port *p = &d->ports[idx];
	struct rte_eth_stats es;
	if (rte_eth_stats_get(p->port_id, &es) == 0) {
		t->rx_packets = es.ipackets;
		t->rx_bytes = es.ibytes;
		t->rx_missed = es.imissed;
		t->rx_errors = es.ierrors;
		t->rx_nombuf = es.rx_nombuf;
		t->tx_packets = es.opackets;
		t->tx_bytes = es.obytes;
		t->tx_errors = es.oerrors;
	}
	for (unsigned int w = 0; w < d->sh->n_workers; w++)
		t->tx_dropped += counter_read(&d->sh->workers[w]->port_stats[idx].tx_dropped);
}

#define FIELD(n) {#n, offsetof(struct port_totals, n)}
const struct port_total_field port_total_fields[] = {
	FIELD(rx_packets), FIELD(rx_bytes),   FIELD(rx_missed),  FIELD(rx_errors), FIELD(rx_nombuf),
	FIELD(tx_packets), FIELD(tx_bytes),   FIELD(tx_errors),  FIELD(tx_dropped),
};
#undef FIELD
const unsigned int port_total_n_fields = sizeof(port_total_fields) / sizeof(port_total_fields[0]);

int
daemon_port_by_name(const struct daemon *d, const char *name)
{
	for (unsigned int i = 0; i < d->n_ports; i++)
		if (strcmp(d->ports[i].conf->name, name) == 0)
			return (int)i;
	return -1;
}

static void
link_of(const struct port *p, struct rte_eth_link *link)
{
	memset(link, 0, sizeof(*link));
	rte_eth_link_get_nowait(p->port_id, link);
}

static void
port_json(const struct daemon *d, unsigned int i, struct jw *jw, bool with_stats)
{
	const struct port *p = &d->ports[i];
	struct rte_eth_link link;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], ip[16], cidr[24];
	link_of(p, &link);
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	jw_obj_begin(jw, NULL);
	jw_str(jw, "name", p->conf->name);
	jw_str(jw, "device", p->devargs);
	jw_str(jw, "driver", p->driver);
	jw_u64(jw, "ethdev", p->port_id);
	jw_str(jw, "mac", mac);
	jw_u64(jw, "mtu", p->mtu);
	jw_str(jw, "link", link.link_status ? "up" : "down");
	jw_u64(jw, "speed_mbps", link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed);
	jw_u64(jw, "queues", p->n_queues);
	jw_arr_begin(jw, "addresses");
	const struct route_addrs *ra = d->sh->routes->addrs;
	for (unsigned int a = 0; a < ra->n; a++) {
		if (ra->a[a].port != i)
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%u", fmt_ip4(ra->a[a].addr, ip), ra->a[a].len);
		jw_str(jw, NULL, cidr);
	}
	jw_arr_end(jw);
	if (with_stats) {
		struct port_totals t;
		daemon_port_totals(d, i, &t);
		for (unsigned int f = 0; f < port_total_n_fields; f++)
			jw_u64(jw, port_total_fields[f].name, port_total_get(&t, f));
	}
	jw_obj_end(jw);
}

static void
port_text(const struct daemon *d, unsigned int i, struct cbuf *b, bool with_stats)
{
	const struct port *p = &d->ports[i];
	struct rte_eth_link link;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], ip[16];
	link_of(p, &link);
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	cbuf_printf(b, "%u: %s: <%s> mtu %u queues %u driver %s\n", i, p->conf->name,
		    link.link_status ? "UP" : "DOWN", p->mtu, p->n_queues, p->driver);
	cbuf_printf(b, "    link/ether %s device %s\n", mac, p->devargs);
	const struct route_addrs *ra = d->sh->routes->addrs;
	for (unsigned int a = 0; a < ra->n; a++)
		if (ra->a[a].port == i)
			cbuf_printf(b, "    inet %s/%u\n", fmt_ip4(ra->a[a].addr, ip), ra->a[a].len);
	if (with_stats) {
		struct port_totals t;
		daemon_port_totals(d, i, &t);
		cbuf_printf(b, "    RX: %-12s %-12s %-8s %-8s %-8s\n", "bytes", "packets", "errors",
			    "missed", "nombuf");
		cbuf_printf(b, "        %-12lu %-12lu %-8lu %-8lu %-8lu\n", t.rx_bytes, t.rx_packets,
			    t.rx_errors, t.rx_missed, t.rx_nombuf);
		cbuf_printf(b, "    TX: %-12s %-12s %-8s %-8s\n", "bytes", "packets", "errors",
			    "dropped");
		cbuf_printf(b, "        %-12lu %-12lu %-8lu %-8lu\n", t.tx_bytes, t.tx_packets,
			    t.tx_errors, t.tx_dropped);
	}
}

static int
cmd_status(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	(void)argv;
	const struct daemon *d = ctx;
	if (argc != 0)
		return ctl_error(r, EINVAL, "usage: status");
	uint64_t uptime = (rte_get_tsc_cycles() - d->start_tsc) / rte_get_tsc_hz();
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, NULL);
		jw_str(jw, "version", CAVALRY_VERSION);
		jw_u64(jw, "pid", (uint64_t)getpid());
		jw_u64(jw, "uptime_s", uptime);
		jw_str(jw, "config", d->cfg.path);
		jw_str(jw, "file_prefix", d->eal.file_prefix);
		jw_obj_begin(jw, "main_lcore");
		jw_u64(jw, "lcore", 0);
		jw_u64(jw, "cpu", d->eal.main_cpu);
		jw_obj_end(jw);
		jw_arr_begin(jw, "workers");
		for (unsigned int w = 0; w < d->sh->n_workers; w++) {
			const struct dp_worker *wk = d->sh->workers[w];
			jw_obj_begin(jw, NULL);
			jw_u64(jw, "id", wk->id);
			jw_u64(jw, "lcore", wk->id + 1);
			jw_u64(jw, "cpu", d->eal.worker_cpu[w]);
			jw_u64(jw, "loops", counter_read(&wk->loops));
			jw_u64(jw, "busy_loops", counter_read(&wk->busy_loops));
			jw_u64(jw, "idle_sleeps", counter_read(&wk->idle_sleeps));
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_arr_begin(jw, "ports");
		for (unsigned int i = 0; i < d->n_ports; i++)
			port_json(d, i, jw, true);
		jw_arr_end(jw);
		jw_obj_end(jw);
		cbuf_put(&r->body, "\n", 1);
		return 0;
	}
	struct cbuf *b = &r->body;
	cbuf_printf(b, "cavalryd %s pid %d, up %lu s, config %s, file prefix %s\n",
		    CAVALRY_VERSION, (int)getpid(), uptime, d->cfg.path, d->eal.file_prefix);
	cbuf_printf(b, "lcores: main 0 (cpu %u)", d->eal.main_cpu);
	for (unsigned int w = 0; w < d->sh->n_workers; w++)
		cbuf_printf(b, ", worker %u lcore %u (cpu %u)", w, w + 1, d->eal.worker_cpu[w]);
	cbuf_printf(b, "\nports:\n");
	for (unsigned int i = 0; i < d->n_ports; i++)
		port_text(d, i, b, true);
	return 0;
}

static int
cmd_link(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	const struct daemon *d = ctx;
	/* link [show] [PORT] */
	if (argc > 0 && strcmp(argv[0], "show") == 0) {
		argc--;
		argv++;
	}
	if (argc > 1)
		return ctl_error(r, EINVAL, "usage: link [show] [PORT]");
	int only = -1;
	if (argc == 1) {
		for (unsigned int i = 0; i < d->n_ports; i++)
			if (strcmp(d->ports[i].conf->name, argv[0]) == 0)
				only = (int)i;
		if (only < 0)
			return ctl_error(r, ENODEV, "no port named '%s'", argv[0]);
	}
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	for (unsigned int i = 0; i < d->n_ports; i++) {
		if (only >= 0 && (unsigned int)only != i)
			continue;
		if (r->json)
			port_json(d, i, &r->jw, false);
		else
			port_text(d, i, &r->body, false);
	}
	if (r->json) {
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	}
	return 0;
}

struct node_count {
	const char *name;
	uint64_t packets;
};

static int
node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node_count *)a)->name, ((const struct node_count *)b)->name);
}

/* Packets seen by every graph node, summed over workers; drop nodes are the
 * drop counters by reason. */
static unsigned int
node_counts(const struct daemon *d, struct node_count *out, unsigned int max)
{
	unsigned int n = 0;
	for (rte_node_t id = 0; id < rte_node_max_count() && n < max; id++) {
		const char *name = rte_node_id_to_name(id);
		if (name == NULL)
			continue;
		out[n].name = name;
		out[n].packets = graph_node_packets(d->sh, name);
		n++;
	}
	qsort(out, n, sizeof(out[0]), node_cmp);
	return n;
}

static void
arp_stats_json(const struct arp_stats *a, struct jw *jw)
{
	jw_obj_begin(jw, "arp");
	jw_u64(jw, "rx_requests", a->rx_requests);
	jw_u64(jw, "rx_replies", a->rx_replies);
	jw_u64(jw, "rx_unsolicited", a->rx_unsolicited);
	jw_u64(jw, "rx_not_for_us", a->rx_not_for_us);
	jw_u64(jw, "tx_requests", a->tx_requests);
	jw_u64(jw, "tx_replies", a->tx_replies);
	jw_u64(jw, "tx_gratuitous", a->tx_gratuitous);
	jw_u64(jw, "held", a->held);
	jw_u64(jw, "hold_overflow", a->hold_overflow);
	jw_u64(jw, "resolve_failed", a->resolve_failed);
	jw_u64(jw, "unreach_sent", a->unreach_sent);
	jw_u64(jw, "table_full", a->table_full);
	jw_u64(jw, "tx_failed", a->tx_failed);
	jw_obj_end(jw);
}

static int
cmd_stats(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	(void)argv;
	const struct daemon *d = ctx;
	if (argc != 0)
		return ctl_error(r, EINVAL, "usage: stats");
	struct node_count nodes[256];
	unsigned int n_nodes = node_counts(d, nodes, 256);
	const struct arp_stats *a = &d->arp.st;
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, NULL);
		jw_arr_begin(jw, "ports");
		for (unsigned int i = 0; i < d->n_ports; i++)
			port_json(d, i, jw, true);
		jw_arr_end(jw);
		jw_obj_begin(jw, "nodes");
		for (unsigned int i = 0; i < n_nodes; i++)
			jw_u64(jw, nodes[i].name, nodes[i].packets);
		jw_obj_end(jw);
		jw_obj_begin(jw, "drops");
		for (unsigned int i = 0; i < n_nodes; i++)
			if (strncmp(nodes[i].name, "drop_", 5) == 0)
				jw_u64(jw, nodes[i].name + 5, nodes[i].packets);
		jw_obj_end(jw);
		arp_stats_json(a, jw);
		ss_tcp_stats(d, r);
		jw_arr_begin(jw, "workers");
		for (unsigned int w = 0; w < d->sh->n_workers; w++) {
			const struct dp_worker *wk = d->sh->workers[w];
			jw_obj_begin(jw, NULL);
			jw_u64(jw, "id", wk->id);
			jw_u64(jw, "loops", counter_read(&wk->loops));
			jw_u64(jw, "busy_loops", counter_read(&wk->busy_loops));
			jw_u64(jw, "idle_sleeps", counter_read(&wk->idle_sleeps));
			jw_arr_begin(jw, "ports");
			for (unsigned int i = 0; i < d->n_ports; i++) {
				const struct dp_port_stats *s = &wk->port_stats[i];
				jw_obj_begin(jw, NULL);
				jw_str(jw, "port", d->ports[i].conf->name);
				jw_u64(jw, "rx_packets", counter_read(&s->rx_packets));
				jw_u64(jw, "rx_bytes", counter_read(&s->rx_bytes));
				jw_u64(jw, "tx_packets", counter_read(&s->tx_packets));
				jw_u64(jw, "tx_bytes", counter_read(&s->tx_bytes));
				jw_u64(jw, "tx_dropped", counter_read(&s->tx_dropped));
				jw_obj_end(jw);
			}
			jw_arr_end(jw);
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_obj_end(jw);
		cbuf_put(&r->body, "\n", 1);
		return 0;
	}
	struct cbuf *b = &r->body;
	for (unsigned int i = 0; i < d->n_ports; i++)
		port_text(d, i, b, true);
	cbuf_printf(b, "stages (packets):\n");
	for (unsigned int i = 0; i < n_nodes; i++)
		if (strncmp(nodes[i].name, "drop_", 5) != 0)
			cbuf_printf(b, "  %-28s %lu\n", nodes[i].name, nodes[i].packets);
	cbuf_printf(b, "drops by reason:\n");
	for (unsigned int i = 0; i < n_nodes; i++)
		if (strncmp(nodes[i].name, "drop_", 5) == 0 && nodes[i].packets != 0)
			cbuf_printf(b, "  %-28s %lu\n", nodes[i].name + 5, nodes[i].packets);
	cbuf_printf(b,
		    "arp: rx %lu requests %lu replies (%lu unsolicited, %lu not for us); tx %lu "
		    "requests %lu replies %lu gratuitous; held %lu, hold overflow %lu, resolve "
		    "failed %lu, table full %lu\n",
		    a->rx_requests, a->rx_replies, a->rx_unsolicited, a->rx_not_for_us,
		    a->tx_requests, a->tx_replies, a->tx_gratuitous, a->held, a->hold_overflow,
		    a->resolve_failed, a->table_full);
	ss_tcp_stats(d, r);
	cbuf_printf(b, "workers:\n");
	for (unsigned int w = 0; w < d->sh->n_workers; w++) {
		const struct dp_worker *wk = d->sh->workers[w];
		cbuf_printf(b, "  worker %u: loops %lu busy %lu idle_sleeps %lu\n", wk->id,
			    counter_read(&wk->loops), counter_read(&wk->busy_loops),
			    counter_read(&wk->idle_sleeps));
		for (unsigned int i = 0; i < d->n_ports; i++) {
			const struct dp_port_stats *s = &wk->port_stats[i];
			cbuf_printf(b,
				    "    %s q%u: rx %lu pkts %lu bytes; tx %lu pkts %lu bytes, "
				    "dropped %lu\n",
				    d->ports[i].conf->name, wk->queue, counter_read(&s->rx_packets),
				    counter_read(&s->rx_bytes), counter_read(&s->tx_packets),
				    counter_read(&s->tx_bytes), counter_read(&s->tx_dropped));
		}
	}
	return 0;
}

const struct ctl_cmd daemon_cmds[] = {
	{"status", "status                      version, uptime, lcores, ports and counters",
	 cmd_status},
	{"link", "link [show] [PORT]          ports: link state, MAC, MTU, addresses", cmd_link},
	{"stats", "stats                       per-port, per-stage, per-drop-reason and per-worker counters",
	 cmd_stats},
	{"addr", "addr show|add CIDR dev PORT|del CIDR dev PORT", cmd_addr},
	{"route", "route show|add PREFIX/LEN via GW|del PREFIX/LEN   (PREFIX 'default' = 0.0.0.0/0)",
	 cmd_route},
	{"neigh", "neigh show|add IP lladdr MAC dev PORT|del IP dev PORT|flush [dev PORT]",
	 cmd_neigh},
	{"graph", "graph [dot]                 the pipeline stages and their edges (Graphviz with dot)",
	 cmd_graph},
	{"trace", "trace N | trace show        trace the next N packets through every stage",
	 cmd_trace},
	{"qdisc", "qdisc show [-s] [dev PORT] | qdisc set dev PORT fq_codel|bands|fifo|shaper ...   TX qdiscs, as tc",
	 cmd_qdisc},
	{"ss", "ss [-s] [-tuliap]          sockets of libcavsock clients, like ss (-t TCP, -u UDP, -i TCP internals, -s summary)",
	 cmd_ss},
	{"rule", "rule show | load FILE | add [-t nat] -A CHAIN SPEC | del [-t nat] -D CHAIN N|SPEC | flush   netfilter rules, as iptables",
	 cmd_rule},
	{"conntrack", "conntrack show [-n MAX] | flush | stats   tracked connections (and NAT)",
	 cmd_conntrack},
};
const unsigned int daemon_n_cmds = sizeof(daemon_cmds) / sizeof(daemon_cmds[0]);
