/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NF_H
#define CAV_NF_H

/*
 * Netfilter-like hooks: PREROUTING, INPUT, FORWARD, OUTPUT and POSTROUTING
 * are graph nodes (nf_prerouting, nf_input, nf_forward, nf_output,
 * nf_postrouting) placed where Linux has its hooks (lib/ip4 ip4.h draws
 * the graph). At each one, in Linux's order of priorities: conntrack
 * (PREROUTING, OUTPUT), DNAT (PREROUTING), the filter chain, SNAT /
 * MASQUERADE (POSTROUTING), conntrack confirmation (INPUT, POSTROUTING).
 *
 * The rule set (nf_rules.h) is immutable once published and replaced as a
 * whole (RCU): the main lcore stores the new pointer, waits for a grace
 * period (rte_rcu_qsbr_synchronize on dp_shared.rcu), then frees the old
 * one. Each worker takes the current pointer once per loop iteration
 * (nf_worker_tick), so a packet sees one rule set through every hook of
 * one graph walk.
 *
 * Conntrack (lib/ct) and NAT (lib/nat) live in struct nf_shared too; their
 * tables outlive rule sets, so that replacing the rules never breaks an
 * established flow.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

enum nf_hook {
	NF_HOOK_PREROUTING,
	NF_HOOK_INPUT,
	NF_HOOK_FORWARD,
	NF_HOOK_OUTPUT,
	NF_HOOK_POSTROUTING,
	NF_HOOK_NB,
};

struct ct_table;
struct ct_worker;
struct nat_table;
struct nf_rules;
struct nf_ruleset;

/* pkt_meta nf_flags */
#define NF_PKT_F_CT_NEW 0x01 /* this packet created its conntrack entry */
#define NF_PKT_F_OUTPUT 0x02 /* handed over at OUTPUT: re-enter at nf_output */
#define NF_PKT_F_HOP 0x04    /* handed over once already */

/* The [filter] section of the config (lib/config config.h: struct
 * cav_filter_conf): ct_mode is one of these. */
enum nf_ct_mode {
	NF_CT_AUTO = CAV_CT_AUTO, /* on once a rule set needs it (--ctstate, nat), then stays on */
	NF_CT_ON = CAV_CT_ON,
	NF_CT_OFF = CAV_CT_OFF, /* rule sets that need it are refused */
};

struct nf_shared {
	struct nf_ruleset *rs; /* RCU: the rule set the workers use */
	struct ct_table *ct;
	struct nat_table *nat;
	struct rte_rcu_qsbr *rcu;
	unsigned int n_workers;
	int socket;
	enum nf_ct_mode ct_mode;
	bool ct_sticky; /* a rule set turned conntrack on: it stays on */
	uint64_t gen;
	unsigned int n_ports;
	const char *ports[CAV_MAX_PORTS];
};

/* One worker's part (rte_malloc'd, touched by this worker only). */
struct nf_worker {
	struct ct_worker *ct;
	/* LOG: a token bucket, NF_LOG_RATE a second, NF_LOG_BURST at once. */
	uint64_t log_tokens; /* in 1/hz units: tsc_hz per message */
	uint64_t log_last;
	uint64_t log_suppressed;
};
#define NF_LOG_RATE 10
#define NF_LOG_BURST 20

/* ---- control plane (main lcore) ---- */

/* Create the hooks' state (conntrack, NAT) in sh->nf for n_workers and
 * load conf->rules if set. Ports name the ports for -i/-o. Needs sh->rcu
 * and sh->tsc_hz; before the workers are created. */
int nf_create(struct dp_shared *sh, unsigned int n_workers, const struct cav_filter_conf *conf,
	      const char *const *ports, unsigned int n_ports, char *err, size_t errlen);
void nf_destroy(struct dp_shared *sh);

/*
 * Replace the rule set (taking src): compile it, publish it, wait for a
 * grace period (every worker between two graph walks), free the old one.
 * keep_counters: rules kept (same id) keep their counters, as policies
 * do. Workers never wait. 0, or -1 with a reason (the running set stays).
 */
int nf_replace(struct nf_shared *nf, struct nf_rules *src, bool keep_counters, char *err,
	       size_t errlen);

/* ---- workers ---- */

int nf_worker_init(struct dp_worker *w, int socket);
void nf_worker_fini(struct dp_worker *w);
/* Between graph walks: take the current rule set, expire conntrack
 * entries, act on a flush. */
void nf_worker_tick(struct dp_worker *w);

#endif
