/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_acl classifier (nf_compile.c) against the linear matcher
 * (nf_match_key, a direct reading of each rule): random rules, random
 * packets, the first match from the start of the chain and from every
 * point where a walk resumes. The seed is printed; CAV_TEST_SEED=N
 * repeats a run.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_byteorder.h>

#include "../eal_fixture.h"
#include "nf_rules.h"

static const char *const ports[] = {"a", "b", "c"};
static uint64_t rng;

static uint32_t
rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * UINT64_C(2685821657736338717)) >> 32);
}

/* Addresses from a small space, so that rules and packets meet. */
static uint32_t
rnd_addr(void)
{
	return 0xc6120000u | (rnd() % 4) << 8 | (rnd() % 8);
}

/* lean: what a large rule set looks like (addresses and a port or a
 * small range, seldom anything else). The full mix of wide ranges over
 * every field is fine at 1,000 rules; at 10,000 its trie needs gigabytes
 * to build. */
static bool lean;

static void
rnd_match(struct nf_match *m)
{
	memset(m, 0, sizeof(*m));
	m->sport_hi = m->dport_hi = UINT16_MAX;
	m->icmp_type = -1;
	m->icmp_code_hi = 255;
	m->dscp_hi = 63;
	m->in_port = m->out_port = -1;
	static const uint8_t protos[] = {0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47};
	m->proto = protos[rnd() % 5];
	/* Mostly specific, so that first matches spread over the chain. */
	if (rnd() % 4) {
		m->src_len = (uint8_t)(rnd() % 8 == 0 ? rnd() % 33 : 27 + rnd() % 6);
		m->src = m->src_len ? rnd_addr() & (~UINT32_C(0) << (32 - m->src_len)) : 0;
	}
	if (rnd() % 4) {
		m->dst_len = (uint8_t)(rnd() % 8 == 0 ? rnd() % 33 : 27 + rnd() % 6);
		m->dst = m->dst_len ? rnd_addr() & (~UINT32_C(0) << (32 - m->dst_len)) : 0;
	}
	if ((m->proto == IPPROTO_TCP || m->proto == IPPROTO_UDP) && rnd() % 2) {
		m->dport_lo = (uint16_t)(rnd() % 100);
		m->dport_hi = (uint16_t)(m->dport_lo + rnd() % 50);
		m->l4 = 1;
	}
	if (lean) {
		if (rnd() % 8 == 0)
			m->ct_states = (uint8_t)(1u << (rnd() % 5));
		if (rnd() % 8 == 0)
			m->in_port = (int8_t)(rnd() % 3);
		return;
	}
	if ((m->proto == IPPROTO_TCP || m->proto == IPPROTO_UDP) && rnd() % 4 == 0) {
		m->sport_lo = (uint16_t)(rnd() % 100);
		m->sport_hi = (uint16_t)(m->sport_lo + rnd() % 100);
		m->l4 = 1;
	}
	if (m->proto == IPPROTO_ICMP && rnd() % 2) {
		m->icmp_type = (int16_t)(rnd() % 4 == 0 ? 3 : 8);
		if (rnd() % 2)
			m->icmp_code_lo = m->icmp_code_hi = (uint8_t)(rnd() % 4);
		m->l4 = 1;
	}
	if (m->proto == IPPROTO_TCP && rnd() % 3 == 0) {
		m->tcp_mask = (uint8_t)rnd();
		m->tcp_cmp = (uint8_t)(rnd() & m->tcp_mask);
		m->l4 = 1;
	}
	if (rnd() % 3 == 0)
		m->ct_states = (uint8_t)(1 + rnd() % CT_ST_MASK);
	if (rnd() % 5 == 0)
		m->dscp_lo = m->dscp_hi = (uint8_t)(rnd() % 4);
	if (rnd() % 3 == 0)
		m->in_port = (int8_t)(rnd() % 3);
	if (rnd() % 3 == 0)
		m->out_port = (int8_t)(rnd() % 3);
}

static void
rnd_key(struct nf_key *k)
{
	memset(k, 0, sizeof(*k));
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47};
	k->proto = protos[rnd() % 4];
	k->src = rte_cpu_to_be_32(rnd_addr());
	k->dst = rte_cpu_to_be_32(rnd_addr());
	if (rnd() % 10 == 0) {
		k->misc = NF_KEY_LATER_FRAGMENT;
	} else if (k->proto == IPPROTO_ICMP) {
		k->sport = rte_cpu_to_be_16(rnd() % 2 ? 8 : 3);
		k->dport = rte_cpu_to_be_16((uint16_t)(rnd() % 4));
	} else if (k->proto != 47) {
		k->sport = rte_cpu_to_be_16((uint16_t)(rnd() % 200));
		k->dport = rte_cpu_to_be_16((uint16_t)(rnd() % 200));
		if (k->proto == IPPROTO_TCP)
			k->tcp_flags = (uint8_t)rnd();
	}
	k->in_port = (uint8_t)(rnd() % 4);
	k->out_port = (uint8_t)(rnd() % 4);
	k->ct = (uint8_t)(1u << (rnd() % 5));
	k->dscp = (uint8_t)(rnd() % 4);
}

static int
brute(const struct nf_chain *c, uint32_t from, const struct nf_key *k)
{
	for (uint32_t i = from; i < c->n; i++)
		if (nf_match_key(&c->r[i].m, k))
			return (int)i;
	return -1;
}

/* A FORWARD chain of n random rules (one in `every` non-terminal: LOG)
 * against `pkts` random keys. */
static void
compare(uint32_t n, uint32_t every, uint32_t pkts)
{
	struct nf_rules *r = nf_rules_new(ports, 3);
	assert_non_null(r);
	int ci = nf_chain_find(&r->t[NF_TABLE_FILTER], "FORWARD");
	struct nf_chain *c = &r->t[NF_TABLE_FILTER].c[ci];
	c->r = calloc(n, sizeof(*c->r));
	c->n = c->cap = n;
	r->n_rules = n;
	for (uint32_t i = 0; i < n; i++) {
		rnd_match(&c->r[i].m);
		c->r[i].target = every && rnd() % every == 0 ? NF_T_LOG : NF_T_ACCEPT;
		c->r[i].id = i + 1;
	}
	char err[256];
	struct nf_ruleset *rs = nf_ruleset_build(r, 1, false, SOCKET_ID_ANY, err, sizeof(err));
	if (rs == NULL)
		fail_msg("build: %s", err);
	const struct nf_rt_chain *rc = &rs->rt[rs->base[NF_TABLE_FILTER][NF_HOOK_FORWARD]];
	c = (struct nf_chain *)(uintptr_t)rc->src;

	struct nf_key *keys = calloc(pkts, sizeof(*keys));
	const struct nf_key **kp = calloc(pkts, sizeof(*kp));
	uint32_t *res = calloc(pkts, sizeof(*res));
	for (uint32_t i = 0; i < pkts; i++) {
		rnd_key(&keys[i]);
		kp[i] = &keys[i];
	}
	nf_chain_classify(rc, kp, res, pkts);
	unsigned int matched = 0, resumed = 0;
	int deepest = -1;
	for (uint32_t i = 0; i < pkts; i++) {
		int want = brute(c, 0, &keys[i]);
		if ((int)res[i] - 1 != want)
			fail_msg("packet %u: classifier says rule %d, the rules say %d", i,
				 (int)res[i] - 1, want);
		matched += want >= 0;
		if (want > deepest)
			deepest = want;
		/* Resume after every non-terminal rule, as a walk does. */
		for (uint32_t s = 0; s < c->n; s++) {
			if (nf_target_terminal(c->r[s].target) || (rnd() % 4) != 0)
				continue;
			int got = nf_chain_next(rc, s + 1, &keys[i]);
			int exp = brute(c, s + 1, &keys[i]);
			if (got != exp)
				fail_msg("packet %u from rule %u: classifier %d, rules %d", i, s + 1,
					 got, exp);
			resumed++;
		}
	}
	printf("  %u rules (%u contexts): %u of %u packets matched a rule (deepest first match: "
	       "rule %d), %u resumed walks\n",
	       n, rc->n_ctx, matched, pkts, deepest, resumed);
	assert_true(matched > 0);
	free(keys);
	free(kp);
	free(res);
	nf_ruleset_free(rs);
}

static void
test_ten_rules(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++)
		compare(10, 0, 2000);
}

static void
test_thousand_rules_with_log(void **state)
{
	(void)state;
	compare(1000, 50, 5000);
}

static void
test_ten_thousand_rules(void **state)
{
	(void)state;
	lean = true;
	compare(10000, 0, 5000);
	lean = false;
}

/* The masquerade rule: an output port match alone. */
static void
test_out_port_rule(void **state)
{
	(void)state;
	struct nf_rules *r = nf_rules_new(ports, 3);
	char *argv[] = {"-t", "nat", "-A", "POSTROUTING", "-o", "b", "-j", "MASQUERADE"};
	char err[256];
	assert_int_equal(nf_rules_cmd(r, 8, argv, err, sizeof(err)), 0);
	struct nf_ruleset *rs = nf_ruleset_build(r, 1, false, SOCKET_ID_ANY, err, sizeof(err));
	assert_non_null(rs);
	const struct nf_rt_chain *rc = &rs->rt[rs->base[NF_TABLE_NAT][NF_HOOK_POSTROUTING]];
	struct nf_key k = {.proto = IPPROTO_ICMP, .out_port = 2, .ct = CT_ST_NEW};
	assert_int_equal(nf_chain_next(rc, 0, &k), 0);
	k.out_port = 1;
	assert_int_equal(nf_chain_next(rc, 0, &k), -1);
	assert_true(rs->ct);
	nf_ruleset_free(rs);
}

static int
setup(void **state)
{
	(void)state;
	const char *s = getenv("CAV_TEST_SEED");
	rng = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	if (rng == 0)
		rng = 1;
	printf("seed %llu (CAV_TEST_SEED=%llu repeats this run)\n", (unsigned long long)rng,
	       (unsigned long long)rng);
	/* Random rules make big tries: more memory than test_eal_init's. */
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=cavt-unit-classify-%d", (int)getpid());
	char *argv[] = {"test", "--no-huge", "--no-pci", "-m", "1024", prefix, "--log-level=1",
			"-l", "0", NULL};
	return rte_eal_init(9, argv) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_port_rule),
		cmocka_unit_test(test_ten_rules),
		cmocka_unit_test(test_thousand_rules_with_log),
		cmocka_unit_test(test_ten_thousand_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
