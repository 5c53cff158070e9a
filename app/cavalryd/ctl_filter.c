/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control commands of the netfilter hooks (lib/filter, lib/ct, lib/nat):
 * rule show|load|add|del|flush, conntrack show|flush|stats. All run on
 * the main lcore, the one writer of the published rule set; a new rule set
 * is compiled beside the running one and replaced under RCU (nf_replace),
 * so a bad file or command leaves the running set untouched.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "counter.h"
#include "ct.h"
#include "daemon.h"
#include "nat.h"
#include "nf.h"
#include "nf_rules.h"
#include "parse.h"
#include "rules.h"

static struct nf_shared *
nf_of(struct daemon *d, struct ctl_reply *r)
{
	if (d->sh->nf == NULL)
		ctl_error(r, ENOTSUP, "the netfilter hooks are not set up");
	return d->sh->nf;
}

/* The running rule set's source (a copy to edit), or an empty one. */
static struct nf_rules *
current_copy(const struct nf_shared *nf)
{
	if (nf->rs != NULL)
		return nf_rules_dup(nf->rs->src);
	return nf_rules_new(nf->ports, nf->n_ports);
}

/* ---- rule show ---- */

static struct nf_counter
show_counter(void *ctx, int table, int chain, int rule)
{
	const struct nf_ruleset *rs = ctx;
	const struct nf_rt_chain *rc = &rs->rt[rs->table_rt[table] + (uint32_t)chain];
	return nf_ruleset_counter(rs, rc->cnt + (rule < 0 ? rc->src->n : (uint32_t)rule));
}

static int
rule_show(struct nf_shared *nf, struct ctl_reply *r)
{
	const struct nf_ruleset *rs = nf->rs;
	struct nf_rules *empty = NULL;
	if (rs == NULL) {
		empty = nf_rules_new(nf->ports, nf->n_ports);
		if (empty == NULL)
			return ctl_error(r, ENOMEM, "out of memory");
	}
	if (!r->json) {
		const struct nf_rules *src = rs != NULL ? rs->src : empty;
		size_t n = nf_rules_format(src, NULL, 0, NULL, NULL) * 2 + 1024;
		char *buf = malloc(n);
		if (buf == NULL) {
			nf_rules_free(empty);
			return ctl_error(r, ENOMEM, "out of memory");
		}
		nf_rules_format(src, buf, n, rs != NULL ? show_counter : NULL, (void *)rs);
		cbuf_printf(&r->body, "# rule set %lu, conntrack %s\n",
			    (unsigned long)(rs != NULL ? rs->gen : 0),
			    rs != NULL && rs->ct ? "on" : "off");
		cbuf_put(&r->body, buf, strlen(buf));
		free(buf);
		nf_rules_free(empty);
		return 0;
	}
	struct jw *jw = &r->jw;
	const struct nf_rules *src = rs != NULL ? rs->src : empty;
	jw_obj_begin(jw, NULL);
	jw_u64(jw, "generation", rs != NULL ? rs->gen : 0);
	jw_bool(jw, "conntrack", rs != NULL && rs->ct);
	jw_arr_begin(jw, "tables");
	for (int t = 0; t < NF_TABLE_NB; t++) {
		jw_obj_begin(jw, NULL);
		jw_str(jw, "table", nf_table_names[t]);
		jw_arr_begin(jw, "chains");
		for (uint32_t c = 0; c < src->t[t].n_chains; c++) {
			const struct nf_chain *ch = &src->t[t].c[c];
			jw_obj_begin(jw, NULL);
			jw_str(jw, "chain", ch->name);
			if (ch->hook >= 0) {
				jw_str(jw, "policy", nf_target_name(ch->policy));
				struct nf_counter k = rs != NULL ? show_counter((void *)rs, t, (int)c, -1)
								 : (struct nf_counter){0};
				jw_u64(jw, "policy_packets", k.packets);
				jw_u64(jw, "policy_bytes", k.bytes);
			}
			jw_arr_begin(jw, "rules");
			for (uint32_t i = 0; i < ch->n; i++) {
				char text[1024];
				nf_rule_format(src, t, &ch->r[i], text, sizeof(text));
				struct nf_counter k = rs != NULL
							      ? show_counter((void *)rs, t, (int)c, (int)i)
							      : (struct nf_counter){0};
				jw_obj_begin(jw, NULL);
				jw_u64(jw, "num", i + 1);
				jw_u64(jw, "packets", k.packets);
				jw_u64(jw, "bytes", k.bytes);
				jw_str(jw, "rule", text);
				jw_obj_end(jw);
			}
			jw_arr_end(jw);
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_obj_end(jw);
	}
	jw_arr_end(jw);
	jw_obj_end(jw);
	cbuf_put(&r->body, "\n", 1);
	nf_rules_free(empty);
	return 0;
}

/* ---- rule load|add|del|flush ---- */

static int
replaced(struct nf_shared *nf, struct ctl_reply *r, const char *what)
{
	if (!r->json) {
		cbuf_printf(&r->body, "%s: rule set %lu, %u rules, conntrack %s\n", what,
			    (unsigned long)nf->rs->gen, nf->rs->src->n_rules,
			    nf->rs->ct ? "on" : "off");
		return 0;
	}
	jw_obj_begin(&r->jw, NULL);
	jw_u64(&r->jw, "generation", nf->rs->gen);
	jw_u64(&r->jw, "rules", nf->rs->src->n_rules);
	jw_bool(&r->jw, "conntrack", nf->rs->ct);
	jw_obj_end(&r->jw);
	cbuf_put(&r->body, "\n", 1);
	return 0;
}

/* "rule add CHAIN SPEC" means -A; "rule del CHAIN N|SPEC" means -D. */
static int
rule_edit(struct nf_shared *nf, int argc, char **argv, const char *deflt, struct ctl_reply *r)
{
	char *args[CTL_MAX_ARGS + 2];
	int n = 0, i = 0;
	if (argc >= 2 && (strcmp(argv[0], "-t") == 0 || strcmp(argv[0], "--table") == 0)) {
		args[n++] = argv[0];
		args[n++] = argv[1];
		i = 2;
	}
	if (i < argc && argv[i][0] != '-')
		args[n++] = (char *)(uintptr_t)deflt;
	for (; i < argc && n < CTL_MAX_ARGS + 1; i++)
		args[n++] = argv[i];
	bool add = strcmp(deflt, "-A") == 0;
	/* add takes -A -I -R -P -N; del takes -D -X -F. */
	int cmd = (n >= 2 && strcmp(args[0], "-t") == 0) ? 2 : 0;
	if (cmd < n) {
		const char *c = args[cmd];
		bool is_add = strcmp(c, "-A") == 0 || strcmp(c, "-I") == 0 || strcmp(c, "-R") == 0 ||
			      strcmp(c, "-P") == 0 || strcmp(c, "-N") == 0;
		bool is_del = strcmp(c, "-D") == 0 || strcmp(c, "-X") == 0 || strcmp(c, "-F") == 0;
		if ((add && !is_add) || (!add && !is_del))
			return ctl_error(r, EINVAL, "rule %s: '%s' is not one of %s", add ? "add" : "del",
					 c, add ? "-A, -I, -R, -P, -N" : "-D, -X, -F");
	}
	struct nf_rules *src = current_copy(nf);
	if (src == NULL)
		return ctl_error(r, ENOMEM, "out of memory");
	char err[512];
	if (nf_rules_cmd(src, n, args, err, sizeof(err)) < 0) {
		nf_rules_free(src);
		return ctl_error(r, EINVAL, "%s", err);
	}
	if (nf_replace(nf, src, true, err, sizeof(err)) < 0)
		return ctl_error(r, EINVAL, "%s", err);
	return replaced(nf, r, add ? "added" : "deleted");
}

int
cmd_rule(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	struct nf_shared *nf = nf_of(d, r);
	if (nf == NULL)
		return -1;
	if (argc == 0 || strcmp(argv[0], "show") == 0 || strcmp(argv[0], "list") == 0)
		return rule_show(nf, r);
	char err[1024];
	if (strcmp(argv[0], "load") == 0) {
		if (argc != 2)
			return ctl_error(r, EINVAL, "usage: rule load FILE");
		struct nf_rules *src = nf_rules_load(argv[1], nf->ports, nf->n_ports, err,
						     sizeof(err));
		if (src == NULL)
			return ctl_error(r, EINVAL, "%s", err);
		if (nf_replace(nf, src, false, err, sizeof(err)) < 0)
			return ctl_error(r, EINVAL, "%s: %s", argv[1], err);
		return replaced(nf, r, "loaded");
	}
	if (strcmp(argv[0], "flush") == 0) {
		if (argc != 1)
			return ctl_error(r, EINVAL, "usage: rule flush");
		struct nf_rules *src = nf_rules_new(nf->ports, nf->n_ports);
		if (src == NULL)
			return ctl_error(r, ENOMEM, "out of memory");
		if (nf_replace(nf, src, false, err, sizeof(err)) < 0)
			return ctl_error(r, EINVAL, "%s", err);
		return replaced(nf, r, "flushed");
	}
	if (strcmp(argv[0], "add") == 0 && argc >= 2)
		return rule_edit(nf, argc - 1, argv + 1, "-A", r);
	if (strcmp(argv[0], "del") == 0 && argc >= 2)
		return rule_edit(nf, argc - 1, argv + 1, "-D", r);
	return ctl_error(r, EINVAL,
			 "usage: rule show | load FILE | add [-t TABLE] -A|-I|-R|-P|-N ... | "
			 "del [-t TABLE] -D|-X|-F ... | flush");
}

/* ---- conntrack ---- */

static void
tuple_text(struct cbuf *b, const struct ct_tuple *t)
{
	char s[16], d[16];
	cbuf_printf(b, "src=%s dst=%s", fmt_ip4(rte_be_to_cpu_32(t->src), s),
		    fmt_ip4(rte_be_to_cpu_32(t->dst), d));
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP)
		cbuf_printf(b, " sport=%u dport=%u", rte_be_to_cpu_16(t->sport),
			    rte_be_to_cpu_16(t->dport));
	else if (t->proto == IPPROTO_ICMP)
		cbuf_printf(b, " id=%u", rte_be_to_cpu_16(t->sport));
}

static void
tuple_json(struct jw *jw, const char *key, const struct ct_tuple *t)
{
	char s[16], d[16];
	jw_obj_begin(jw, key);
	jw_str(jw, "src", fmt_ip4(rte_be_to_cpu_32(t->src), s));
	jw_str(jw, "dst", fmt_ip4(rte_be_to_cpu_32(t->dst), d));
	jw_u64(jw, "sport", rte_be_to_cpu_16(t->sport));
	jw_u64(jw, "dport", rte_be_to_cpu_16(t->dport));
	jw_obj_end(jw);
}

/*
 * Entries are read while their owners change them (the owner alone
 * writes; memory stays valid): a line may mix two moments of an entry, as
 * /proc/net/nf_conntrack may.
 */
static int
ct_show(struct nf_shared *nf, int argc, char **argv, struct ctl_reply *r)
{
	const struct ct_table *t = nf->ct;
	uint64_t max = UINT64_MAX;
	if (argc == 2 && strcmp(argv[0], "-n") == 0) {
		if (parse_u64(argv[1], 0, UINT64_MAX, &max) < 0)
			return ctl_error(r, EINVAL, "-n: '%s' is not a count", argv[1]);
	} else if (argc != 0) {
		return ctl_error(r, EINVAL, "usage: conntrack show [-n MAX]");
	}
	uint64_t now = rte_rdtsc();
	uint64_t shown = 0;
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	for (uint32_t i = 0; i < t->max && shown < max; i++) {
		struct ct_entry e = t->e[i];
		if (!(e.status & CT_S_IN_USE))
			continue;
		shown++;
		int64_t left = (int64_t)(e.expires - now) / (int64_t)t->hz;
		uint8_t proto = e.t[CT_DIR_ORIG].proto;
		const char *state = proto == IPPROTO_TCP ? ct_tcp_state_name(e.state) : "";
		if (r->json) {
			struct jw *jw = &r->jw;
			jw_obj_begin(jw, NULL);
			jw_str(jw, "proto", ct_proto_name(proto));
			jw_u64(jw, "protonum", proto);
			jw_i64(jw, "timeout", left < 0 ? 0 : left);
			jw_str(jw, "state", state);
			tuple_json(jw, "orig", &e.t[CT_DIR_ORIG]);
			tuple_json(jw, "reply", &e.t[CT_DIR_REPLY]);
			jw_u64(jw, "packets_orig", e.packets[0]);
			jw_u64(jw, "bytes_orig", e.bytes[0]);
			jw_u64(jw, "packets_reply", e.packets[1]);
			jw_u64(jw, "bytes_reply", e.bytes[1]);
			jw_bool(jw, "seen_reply", e.status & CT_S_SEEN_REPLY);
			jw_bool(jw, "assured", e.status & CT_S_ASSURED);
			jw_bool(jw, "confirmed", e.status & CT_S_CONFIRMED);
			jw_bool(jw, "snat", e.status & CT_S_SNAT);
			jw_bool(jw, "dnat", e.status & CT_S_DNAT);
			jw_u64(jw, "worker", e.owner);
			jw_obj_end(jw);
			continue;
		}
		struct cbuf *b = &r->body;
		cbuf_printf(b, "%-4s %-3u %-7ld %s%s", ct_proto_name(proto), proto,
			    left < 0 ? 0L : (long)left, state, state[0] ? " " : "");
		tuple_text(b, &e.t[CT_DIR_ORIG]);
		cbuf_printf(b, " packets=%lu bytes=%lu ", (unsigned long)e.packets[0],
			    (unsigned long)e.bytes[0]);
		if (!(e.status & CT_S_SEEN_REPLY))
			cbuf_printf(b, "[UNREPLIED] ");
		tuple_text(b, &e.t[CT_DIR_REPLY]);
		cbuf_printf(b, " packets=%lu bytes=%lu", (unsigned long)e.packets[1],
			    (unsigned long)e.bytes[1]);
		if (e.status & CT_S_ASSURED)
			cbuf_printf(b, " [ASSURED]");
		if (!(e.status & CT_S_CONFIRMED))
			cbuf_printf(b, " [UNCONFIRMED]");
		if (e.status & (CT_S_SNAT | CT_S_DNAT))
			cbuf_printf(b, " nat=%s%s%s", e.status & CT_S_SNAT ? "snat" : "",
				    (e.status & CT_S_SNAT) && (e.status & CT_S_DNAT) ? "," : "",
				    e.status & CT_S_DNAT ? "dnat" : "");
		cbuf_printf(b, " worker=%u\n", e.owner);
	}
	if (r->json) {
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	} else {
		cbuf_printf(&r->body, "conntrack: %lu flow entries shown\n", (unsigned long)shown);
	}
	return 0;
}

/* Ask every worker to kill its entries and wait (at most 2 s) until all
 * did. */
static int
ct_flush(struct daemon *d, struct nf_shared *nf, struct ctl_reply *r)
{
	struct ct_table *t = nf->ct;
	/* Pairs with the acquire load in ct_worker_gc(). */
	uint32_t gen = __atomic_add_fetch(&t->flush_gen, 1, __ATOMIC_RELEASE);
	uint64_t deadline = rte_get_tsc_cycles() + 2 * rte_get_tsc_hz();
	for (unsigned int w = 0; w < d->sh->n_workers; w++)
		while (__atomic_load_n(&t->w[w]->flush_seen, __ATOMIC_ACQUIRE) != gen) {
			if (rte_get_tsc_cycles() > deadline)
				return ctl_error(r, ETIMEDOUT, "worker %u did not flush in 2 s", w);
			usleep(100);
		}
	if (r->json) {
		jw_obj_begin(&r->jw, NULL);
		jw_bool(&r->jw, "flushed", true);
		jw_obj_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	} else {
		cbuf_printf(&r->body, "conntrack: table flushed\n");
	}
	return 0;
}

#define CT_STAT_FIELDS(X)                                                                          \
	X(found) X(created) X(invalid) X(related) X(deleted) X(expired) X(early_drop) X(full)     \
		X(clash) X(handoff) X(reopened)

static int
ct_stats(struct daemon *d, struct nf_shared *nf, struct ctl_reply *r)
{
	const struct ct_table *t = nf->ct;
	struct ct_stats sum = {0};
	uint64_t entries = 0;
	for (unsigned int w = 0; w < d->sh->n_workers; w++) {
		const struct ct_worker *cw = t->w[w];
		entries += __atomic_load_n(&cw->in_use, __ATOMIC_RELAXED);
#define ADD(f) sum.f += counter_read(&cw->st.f);
		CT_STAT_FIELDS(ADD)
#undef ADD
	}
	struct nat_table *nat = nf->nat;
	rte_spinlock_lock(&nat->lock);
	struct nat_stats ns = nat->st;
	uint32_t maps = nat->in_use;
	rte_spinlock_unlock(&nat->lock);
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, NULL);
		jw_u64(jw, "entries", entries);
		jw_u64(jw, "max", t->max);
		jw_u64(jw, "per_worker", t->per_worker);
#define J(f) jw_u64(jw, #f, sum.f);
		CT_STAT_FIELDS(J)
#undef J
		jw_arr_begin(jw, "workers");
		for (unsigned int w = 0; w < d->sh->n_workers; w++) {
			const struct ct_worker *cw = t->w[w];
			jw_obj_begin(jw, NULL);
			jw_u64(jw, "worker", w);
			jw_u64(jw, "entries", __atomic_load_n(&cw->in_use, __ATOMIC_RELAXED));
#define JW(f) jw_u64(jw, #f, counter_read(&cw->st.f));
			CT_STAT_FIELDS(JW)
#undef JW
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_obj_begin(jw, "nat");
		jw_u64(jw, "mappings", maps);
		jw_u64(jw, "created", ns.maps_created);
		jw_u64(jw, "reused", ns.maps_reused);
		jw_u64(jw, "freed", ns.maps_freed);
		jw_u64(jw, "preserved", ns.preserved);
		jw_u64(jw, "exhausted", ns.exhausted);
		jw_u64(jw, "held_evicted", ns.held_evicted);
		jw_obj_end(jw);
		jw_obj_end(jw);
		cbuf_put(&r->body, "\n", 1);
		return 0;
	}
	struct cbuf *b = &r->body;
	cbuf_printf(b, "entries %lu of %u (%u per worker)\n", (unsigned long)entries, t->max,
		    t->per_worker);
#define T(f) cbuf_printf(b, "  %-11s %lu\n", #f, (unsigned long)sum.f);
	CT_STAT_FIELDS(T)
#undef T
	cbuf_printf(b,
		    "nat: %u mappings; created %lu, reused %lu, freed %lu, port preserved %lu, "
		    "exhausted %lu\n",
		    maps, (unsigned long)ns.maps_created, (unsigned long)ns.maps_reused,
		    (unsigned long)ns.maps_freed, (unsigned long)ns.preserved,
		    (unsigned long)ns.exhausted);
	return 0;
}

int
cmd_conntrack(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	struct nf_shared *nf = nf_of(d, r);
	if (nf == NULL)
		return -1;
	if (argc == 0 || strcmp(argv[0], "show") == 0 || strcmp(argv[0], "-L") == 0)
		return ct_show(nf, argc ? argc - 1 : 0, argv + 1, r);
	if (strcmp(argv[0], "flush") == 0 && argc == 1)
		return ct_flush(d, nf, r);
	if (strcmp(argv[0], "stats") == 0 && argc == 1)
		return ct_stats(d, nf, r);
	return ctl_error(r, EINVAL, "usage: conntrack show [-n MAX] | flush | stats");
}
