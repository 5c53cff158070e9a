/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hooks' control side (main lcore): conntrack and NAT tables, rule
 * sets compiled and replaced under RCU; and the workers' per-loop tick.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "ct.h"
#include "log.h"
#include "nat.h"
#include "nf.h"
#include "nf_rules.h"

int
nf_create(struct dp_shared *sh, unsigned int n_workers, const struct cav_filter_conf *conf,
	  const char *const *ports, unsigned int n_ports, char *err, size_t errlen)
{
	int socket = (int)rte_socket_id();
	struct nf_shared *nf = rte_zmalloc("nf", sizeof(*nf), RTE_CACHE_LINE_SIZE);
	if (nf == NULL) {
		snprintf(err, errlen, "out of memory (netfilter)");
		return -1;
	}
	sh->nf = nf;
	nf->rcu = sh->rcu;
	nf->n_workers = n_workers;
	nf->socket = socket;
	nf->ct_mode = (enum nf_ct_mode)conf->ct_mode;
	nf->n_ports = n_ports > CAV_MAX_PORTS ? CAV_MAX_PORTS : n_ports;
	for (unsigned int i = 0; i < nf->n_ports; i++)
		nf->ports[i] = ports[i];
	nf->ct = ct_table_create(conf->ct_max, n_workers, sh->tsc_hz, sh->rcu, socket, err,
				 errlen);
	if (nf->ct == NULL)
		return -1;
	nf->ct->tcp_loose = conf->tcp_loose;
	nf->nat = nat_table_create(nf->ct->max, sh->tsc_hz, socket, err, errlen);
	if (nf->nat == NULL)
		return -1;
	nf->ct->release = nat_ct_release;
	nf->ct->release_ctx = nf->nat;

	struct nf_rules *src = NULL;
	if (conf->rules[0] != '\0') {
		src = nf_rules_load(conf->rules, nf->ports, nf->n_ports, err, errlen);
		if (src == NULL)
			return -1;
	} else if (nf->ct_mode == NF_CT_ON) {
		src = nf_rules_new(nf->ports, nf->n_ports);
		if (src == NULL) {
			snprintf(err, errlen, "out of memory (netfilter)");
			return -1;
		}
	}
	if (src != NULL && nf_replace(nf, src, false, err, errlen) < 0)
		return -1;
	return 0;
}

void
nf_destroy(struct dp_shared *sh)
{
	struct nf_shared *nf = sh->nf;
	if (nf == NULL)
		return;
	nf_ruleset_free(nf->rs);
	ct_table_free(nf->ct);
	nat_table_free(nf->nat);
	rte_free(nf);
	sh->nf = NULL;
}

/* ---- counters that survive a replacement ---- */

struct id_count {
	uint32_t id;
	struct nf_counter c;
};

static int
id_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct id_count *)a)->id, y = ((const struct id_count *)b)->id;
	return x < y ? -1 : x > y;
}

/* The old set's final counters (it is no longer used) into the new one's
 * carried counters: rules by id, policies by table and chain name. */
static void
carry_counters(struct nf_ruleset *new, const struct nf_ruleset *old)
{
	uint32_t n = old->src->n_rules;
	struct id_count *ids = malloc((n ? n : 1) * sizeof(*ids));
	if (ids == NULL)
		return;
	uint32_t k = 0;
	for (uint32_t i = 0; i < old->n_rt; i++) {
		const struct nf_rt_chain *rc = &old->rt[i];
		for (uint32_t r = 0; r < rc->src->n && k < n; r++) {
			ids[k].id = rc->src->r[r].id;
			ids[k++].c = nf_ruleset_counter(old, rc->cnt + r);
		}
	}
	qsort(ids, k, sizeof(*ids), id_cmp);
	for (uint32_t i = 0; i < new->n_rt; i++) {
		const struct nf_rt_chain *rc = &new->rt[i];
		for (uint32_t r = 0; r < rc->src->n; r++) {
			struct id_count key = {.id = rc->src->r[r].id};
			const struct id_count *f = bsearch(&key, ids, k, sizeof(*ids), id_cmp);
			if (f != NULL)
				new->carried[rc->cnt + r] = f->c;
		}
		if (rc->src->hook < 0)
			continue;
		int oc = nf_chain_find(&old->src->t[rc->table], rc->src->name);
		if (oc >= 0) {
			const struct nf_rt_chain *orc = &old->rt[old->table_rt[rc->table] + (uint32_t)oc];
			new->carried[rc->cnt + rc->src->n] =
				nf_ruleset_counter(old, orc->cnt + orc->src->n);
		}
	}
	free(ids);
}

static bool
rules_need_ct(const struct nf_ruleset *rs)
{
	return rs->ct;
}

int
nf_replace(struct nf_shared *nf, struct nf_rules *src, bool keep_counters, char *err,
	   size_t errlen)
{
	bool forced = nf->ct_mode == NF_CT_ON || nf->ct_sticky;
	struct nf_ruleset *rs = nf_ruleset_build(src, nf->n_workers, forced, nf->socket, err, errlen);
	if (rs == NULL)
		return -1;
	if (nf->ct_mode == NF_CT_OFF && rules_need_ct(rs)) {
		snprintf(err, errlen, "these rules need conntrack (--ctstate or nat), which is off "
				      "([filter] conntrack = off)");
		nf_ruleset_free(rs);
		return -1;
	}
	if (rs->ct && !nf->ct_sticky) {
		/* From now on conntrack stays on: NATed and tracked flows
		 * must survive a rule set that needs no conntrack. */
		nf->ct_sticky = true;
		CAV_LOG(NOTICE, "conntrack on (%u entries)", nf->ct->max);
	}
	rs->gen = ++nf->gen;
	struct nf_ruleset *old = nf->rs;
	/* Pairs with the acquire load in nf_worker_tick(). */
	__atomic_store_n(&nf->rs, rs, __ATOMIC_RELEASE);
	/* Every worker between two walks since the store: none uses old. */
	if (nf->rcu != NULL)
		rte_rcu_qsbr_synchronize(nf->rcu, RTE_QSBR_THRID_INVALID);
	if (old != NULL) {
		if (keep_counters)
			carry_counters(rs, old);
		nf_ruleset_free(old);
	}
	return 0;
}

/* ---- workers ---- */

int
nf_worker_init(struct dp_worker *w, int socket)
{
	struct nf_shared *nf = w->sh->nf;
	if (nf == NULL)
		return 0;
	struct nf_worker *nw = rte_zmalloc_socket("nf_worker", sizeof(*nw), RTE_CACHE_LINE_SIZE,
						  socket);
	if (nw == NULL)
		return -1;
	nw->ct = ct_worker_get(nf->ct, w->id);
	nw->log_tokens = (uint64_t)NF_LOG_BURST * w->sh->tsc_hz;
	w->nf = nw;
	return 0;
}

void
nf_worker_fini(struct dp_worker *w)
{
	rte_free(w->nf);
	w->nf = NULL;
}

_Static_assert(DP_NF_PREROUTING == 1u << NF_HOOK_PREROUTING && DP_NF_INPUT == 1u << NF_HOOK_INPUT &&
		       DP_NF_FORWARD == 1u << NF_HOOK_FORWARD && DP_NF_OUTPUT == 1u << NF_HOOK_OUTPUT &&
		       DP_NF_POSTROUTING == 1u << NF_HOOK_POSTROUTING,
	       "dp.h's DP_NF_* bits follow enum nf_hook");

void
nf_worker_tick(struct dp_worker *w)
{
	struct nf_shared *nf = w->sh->nf;
	if (nf == NULL)
		return;
	/* Pairs with the release store in nf_replace(). */
	const struct nf_ruleset *rs = __atomic_load_n(&nf->rs, __ATOMIC_ACQUIRE);
	w->nf_rs = rs;
	w->nf_defrag = rs != NULL && rs->ct;
	w->nf_busy = rs != NULL ? rs->hooks : 0;
	if (w->nf != NULL && w->nf->ct != NULL)
		ct_worker_gc(w->nf->ct, w->now);
}
