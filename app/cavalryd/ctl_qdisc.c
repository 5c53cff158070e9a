/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `cavctl qdisc`: show the TX qdiscs (the text reads like `tc -s qdisc
 * show`, JSON like `tc -s -j qdisc show`) and replace them at run time.
 * Runs on the main lcore, the only writer of the published qdiscs
 * (txq.h: dp_qdisc_publish); workers take the new one between two walks.
 *
 * A port's qdisc is printed as a small tc tree: the shaper, if any, is
 * the root `shaper 1:` with the scheduler under it as `10:`; bands are a
 * `prio` with one fq_codel per band under it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "daemon.h"
#include "qdisc.h"
#include "txq.h"

#define QDISC_USAGE                                                                                \
	"usage: qdisc show [-s] [dev PORT]\n"                                                      \
	"       qdisc set dev PORT fq_codel [limit N] [flows N] [quantum N] [target TIME]\n"       \
	"                 [interval TIME] [ecn|noecn] [memory_limit BYTES] [drop_batch N]\n"       \
	"       qdisc set dev PORT bands N [map 'DSCPS:BAND ... default:BAND']\n"                  \
	"       qdisc set dev PORT fifo [limit N]\n"                                               \
	"       qdisc set dev PORT shaper rate RATE burst BYTES | shaper off"

/* tc's sprint_rate: decimal units. */
static void
fmt_rate(char *buf, size_t len, uint64_t bps)
{
	static const struct {
		const char *name;
		double div;
	} u[] = {{"Tbit", 1e12}, {"Gbit", 1e9}, {"Mbit", 1e6}, {"Kbit", 1e3}};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if ((double)bps >= u[i].div) {
			snprintf(buf, len, "%.4g%s", (double)bps / u[i].div, u[i].name);
			return;
		}
	snprintf(buf, len, "%" PRIu64 "bit", bps);
}

/* The band map in prio_map_parse()'s grammar: one item per band but the
 * default (the band most code points go to). */
static void
fmt_map(char *buf, size_t len, const struct prio_map *m)
{
	unsigned int count[PRIO_BANDS_MAX] = {0}, def = 0;
	size_t o = 0;
	for (unsigned int d = 0; d < PRIO_DSCP_COUNT; d++)
		count[m->band[d]]++;
	for (unsigned int b = 1; b < m->bands; b++)
		if (count[b] > count[def])
			def = b;
	for (unsigned int b = 0; b < m->bands && o < len; b++) {
		bool first = true;
		if (b == def)
			continue;
		for (unsigned int d = 0; d < PRIO_DSCP_COUNT && o < len; d++) {
			if (m->band[d] != b)
				continue;
			o += (size_t)snprintf(buf + o, len - o, "%s%u", first ? "" : ",", d);
			first = false;
		}
		if (!first && o < len)
			o += (size_t)snprintf(buf + o, len - o, ":%u ", b);
	}
	if (o < len)
		snprintf(buf + o, len - o, "default:%u", def);
}

/* One node of the printed tree. */
struct qnode {
	const char *kind; /* shaper, fq_codel, prio, pfifo */
	char handle[8], parent[8];
	bool root;
	/* Stats: the root's (qdisc_stats) or a band's (fq_codel_stats). */
	uint64_t bytes, packets, drops, overlimits, requeues, backlog, qlen;
	const struct fq_codel_stats *fq; /* fq_codel xstats, or NULL */
};

static void
qnode_from_root(struct qnode *n, const struct qdisc_stats *st)
{
	n->bytes = st->sent_bytes;
	n->packets = st->sent_packets;
	n->drops = st->dropped;
	n->overlimits = st->overlimits;
	n->requeues = st->requeues;
	n->backlog = st->backlog_bytes;
	n->qlen = st->backlog_packets;
}

static void
qnode_from_band(struct qnode *n, const struct fq_codel_stats *fs)
{
	n->bytes = fs->sent_bytes;
	n->packets = fs->sent_packets;
	n->drops = fs->dropped;
	n->overlimits = 0;
	n->requeues = 0;
	n->backlog = fs->backlog_bytes;
	n->qlen = fs->backlog_packets;
	n->fq = fs;
}

static void
options_text(struct cbuf *b, const struct qnode *n, const struct qdisc_conf *c)
{
	char t1[32], t2[32], t3[32], map[512];
	if (strcmp(n->kind, "shaper") == 0) {
		fmt_rate(t1, sizeof(t1), c->shaper.rate_bps);
		sched_format_size(t2, sizeof(t2), c->shaper.burst_bytes);
		cbuf_printf(b, " rate %s burst %s", t1, t2);
	} else if (strcmp(n->kind, "pfifo") == 0) {
		cbuf_printf(b, " limit %up", c->fifo.limit);
	} else if (strcmp(n->kind, "prio") == 0) {
		fmt_map(map, sizeof(map), &c->bands);
		cbuf_printf(b, " bands %u map %s", c->bands.bands, map);
	} else {
		const struct fq_codel_params *p = &c->fq_codel;
		sched_format_time(t1, sizeof(t1), p->target_ns);
		sched_format_time(t2, sizeof(t2), p->interval_ns);
		sched_format_size(t3, sizeof(t3), p->memory_limit);
		cbuf_printf(b,
			    " limit %up flows %u quantum %u target %s interval %s memory_limit %s "
			    "%sdrop_batch %u",
			    p->limit, p->flows, p->quantum, t1, t2, t3, p->ecn ? "ecn " : "",
			    p->drop_batch);
	}
}

static void
qnode_text(struct cbuf *b, const struct qnode *n, const char *dev, const struct qdisc_conf *c,
	   bool stats)
{
	cbuf_printf(b, "qdisc %s %s dev %s ", n->kind, n->handle, dev);
	if (n->root)
		cbuf_printf(b, "root refcnt 2");
	else
		cbuf_printf(b, "parent %s", n->parent);
	options_text(b, n, c);
	cbuf_printf(b, "\n");
	if (!stats)
		return;
	char bl[32];
	sched_format_size(bl, sizeof(bl), n->backlog);
	cbuf_printf(b,
		    " Sent %" PRIu64 " bytes %" PRIu64 " pkt (dropped %" PRIu64
		    ", overlimits %" PRIu64 " requeues %" PRIu64 ")\n"
		    " backlog %s %" PRIu64 "p requeues %" PRIu64 "\n",
		    n->bytes, n->packets, n->drops, n->overlimits, n->requeues, bl, n->qlen,
		    n->requeues);
	if (n->fq != NULL)
		cbuf_printf(b,
			    "  maxpacket %u drop_overlimit %" PRIu64 " new_flow_count %" PRIu64
			    " ecn_mark %" PRIu64 " drop_overmemory %" PRIu64 "\n"
			    "  new_flows_len %u old_flows_len %u\n",
			    n->fq->maxpacket, n->fq->drop_overlimit, n->fq->new_flow_count,
			    n->fq->ecn_mark, n->fq->drop_overmemory, n->fq->new_flows_len,
			    n->fq->old_flows_len);
}

static void
qnode_json(struct jw *jw, const struct qnode *n, const char *dev, const struct qdisc_conf *c,
	   bool stats)
{
	jw_obj_begin(jw, NULL);
	jw_str(jw, "kind", n->kind);
	jw_str(jw, "handle", n->handle);
	jw_str(jw, "dev", dev);
	if (n->root)
		jw_bool(jw, "root", true);
	else
		jw_str(jw, "parent", n->parent);
	jw_obj_begin(jw, "options");
	if (strcmp(n->kind, "shaper") == 0) {
		jw_u64(jw, "rate_bps", c->shaper.rate_bps);
		jw_u64(jw, "burst", c->shaper.burst_bytes);
	} else if (strcmp(n->kind, "pfifo") == 0) {
		jw_u64(jw, "limit", c->fifo.limit);
	} else if (strcmp(n->kind, "prio") == 0) {
		char map[512];
		fmt_map(map, sizeof(map), &c->bands);
		jw_u64(jw, "bands", c->bands.bands);
		jw_str(jw, "map", map);
	} else {
		const struct fq_codel_params *p = &c->fq_codel;
		jw_u64(jw, "limit", p->limit);
		jw_u64(jw, "flows", p->flows);
		jw_u64(jw, "quantum", p->quantum);
		jw_u64(jw, "target_us", p->target_ns / 1000);
		jw_u64(jw, "interval_us", p->interval_ns / 1000);
		jw_u64(jw, "memory_limit", p->memory_limit);
		jw_bool(jw, "ecn", p->ecn);
		jw_u64(jw, "drop_batch", p->drop_batch);
	}
	jw_obj_end(jw);
	if (stats) {
		jw_u64(jw, "bytes", n->bytes);
		jw_u64(jw, "packets", n->packets);
		jw_u64(jw, "drops", n->drops);
		jw_u64(jw, "overlimits", n->overlimits);
		jw_u64(jw, "requeues", n->requeues);
		jw_u64(jw, "backlog", n->backlog);
		jw_u64(jw, "qlen", n->qlen);
		if (n->fq != NULL) {
			jw_u64(jw, "maxpacket", n->fq->maxpacket);
			jw_u64(jw, "drop_overlimit", n->fq->drop_overlimit);
			jw_u64(jw, "new_flow_count", n->fq->new_flow_count);
			jw_u64(jw, "ecn_mark", n->fq->ecn_mark);
			jw_u64(jw, "drop_overmemory", n->fq->drop_overmemory);
			jw_u64(jw, "new_flows_len", n->fq->new_flows_len);
			jw_u64(jw, "old_flows_len", n->fq->old_flows_len);
		}
	}
	jw_obj_end(jw);
}

/* The tree of one port: at most shaper + prio + 8 bands. */
static unsigned int
port_tree(const struct qdisc_conf *c, const struct qdisc_stats *st, struct qnode *out)
{
	unsigned int n = 0;
	const char *parent = NULL; /* the scheduler's parent class, NULL: it is the root */
	if (c->shaper.rate_bps != 0) {
		out[n] = (struct qnode){.kind = "shaper", .root = true};
		snprintf(out[n].handle, sizeof(out[n].handle), "1:");
		qnode_from_root(&out[n], st);
		n++;
		parent = "1:1";
	}
	struct qnode *s = &out[n++];
	*s = (struct qnode){.root = parent == NULL};
	snprintf(s->handle, sizeof(s->handle), parent == NULL ? "1:" : "10:");
	snprintf(s->parent, sizeof(s->parent), "%s", parent != NULL ? parent : "");
	if (parent == NULL)
		qnode_from_root(s, st);
	switch (c->kind) {
	case QDISC_KIND_FIFO:
		s->kind = "pfifo";
		if (parent != NULL) {
			/* What the FIFO itself passed on and holds. */
			qnode_from_root(s, st);
			s->overlimits = 0;
		}
		break;
	case QDISC_KIND_BANDS:
		s->kind = "prio";
		for (unsigned int b = 0; b < c->bands.bands; b++) {
			struct qnode *k = &out[n++];
			*k = (struct qnode){.kind = "fq_codel"};
			snprintf(k->handle, sizeof(k->handle), "%u:", 11 + b);
			snprintf(k->parent, sizeof(k->parent), "%.3s%u", s->handle, b + 1);
			if (b < st->n_bands)
				qnode_from_band(k, &st->band[b]);
		}
		if (parent != NULL)
			qnode_from_root(s, st);
		break;
	default:
		s->kind = "fq_codel";
		if (st->n_bands == 1) {
			if (parent != NULL)
				qnode_from_band(s, &st->band[0]);
			else
				s->fq = &st->band[0];
		}
		break;
	}
	return n;
}

static int
qdisc_show(struct daemon *d, int argc, char **argv, struct ctl_reply *r)
{
	bool stats = false;
	int only = -1;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-stats") == 0) {
			stats = true;
		} else if (strcmp(argv[i], "dev") == 0 && i + 1 < argc) {
			only = daemon_port_by_name(d, argv[++i]);
			if (only < 0)
				return ctl_error(r, ENODEV, "no port named '%s'", argv[i]);
		} else {
			return ctl_error(r, EINVAL, "%s", QDISC_USAGE);
		}
	}
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	for (unsigned int p = 0; p < d->n_ports; p++) {
		const struct dp_qdisc_pub *pub = d->sh->qdisc[p];
		struct qdisc_stats st;
		struct qnode nodes[2 + PRIO_BANDS_MAX];
		if (pub == NULL || (only >= 0 && (unsigned int)only != p))
			continue;
		dp_qdisc_stats(d->sh, p, &st);
		unsigned int n = port_tree(&pub->conf, &st, nodes);
		for (unsigned int i = 0; i < n; i++) {
			if (r->json)
				qnode_json(&r->jw, &nodes[i], d->ports[p].conf->name, &pub->conf,
					   stats);
			else
				qnode_text(&r->body, &nodes[i], d->ports[p].conf->name,
					   &pub->conf, stats);
		}
	}
	if (r->json) {
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	}
	return 0;
}

/* qdisc set dev PORT KIND ARGS...: the running qdisc changes only if all is valid. */
static int
qdisc_set(struct daemon *d, int argc, char **argv, struct ctl_reply *r)
{
	if (argc < 3 || strcmp(argv[0], "dev") != 0)
		return ctl_error(r, EINVAL, "%s", QDISC_USAGE);
	int port = daemon_port_by_name(d, argv[1]);
	if (port < 0)
		return ctl_error(r, ENODEV, "no port named '%s'", argv[1]);
	const struct dp_qdisc_pub *pub = d->sh->qdisc[port];
	if (pub == NULL)
		return ctl_error(r, ENODEV, "port '%s' has no qdisc", argv[1]);

	char err[256];
	struct qdisc_conf parsed = {0}, next = pub->conf;
	if (qdisc_args_parse(argc - 2, argv + 2, &parsed, err, sizeof(err)) != 0)
		return ctl_error(r, EINVAL, "%s", err);
	qdisc_conf_apply(&next, &parsed);
	int rc = dp_qdisc_publish(d->sh, (unsigned int)port, &next, err, sizeof(err));
	if (rc != 0)
		return ctl_error(r, -rc, "%s", err);
	return 0;
}

int
cmd_qdisc(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	if (argc == 0 || strcmp(argv[0], "show") == 0 || strcmp(argv[0], "-s") == 0)
		return qdisc_show(d, argc > 0 && strcmp(argv[0], "show") == 0 ? argc - 1 : argc,
				  argc > 0 && strcmp(argv[0], "show") == 0 ? argv + 1 : argv, r);
	if (strcmp(argv[0], "set") == 0)
		return qdisc_set(d, argc - 1, argv + 1, r);
	return ctl_error(r, EINVAL, "%s", QDISC_USAGE);
}
