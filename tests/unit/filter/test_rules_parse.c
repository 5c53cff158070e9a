/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule language's parser (lib/filter rules_parse.c): every error path,
 * each with its FILE:LINE; what loads prints back (rules_fmt.c) to text
 * that loads to the same rule set; the commands of `cavctl rule add|del`.
 * Pure: no EAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"

static const char *const ports[] = {"dpin", "dpout"};

struct bad {
	const char *text;  /* the whole file */
	const char *error; /* "r:LINE: reason" (the start of it) */
};

/* Every error a file can have, one per case. */
static const struct bad bad_files[] = {
	/* structure */
	{"-A INPUT -j ACCEPT\n", "r:1: '-A' outside a table (start one with *filter or *nat)"},
	{"*mangle\nCOMMIT\n", "r:1: no table named 'mangle' (filter or nat)"},
	{"*filter extra\nCOMMIT\n", "r:1: a table line is '*filter' or '*nat'"},
	{"*filter\n*nat\nCOMMIT\n", "r:2: table nat started before table filter had its COMMIT"},
	{"*filter\nCOMMIT\n*filter\nCOMMIT\n", "r:3: table filter given twice"},
	{"*filter\n-A INPUT -j DROP\n", "r:1: table filter has no COMMIT"},
	{"*filter\nCOMMIT now\n", "r:2: COMMIT takes nothing after it"},
	{"*filter\nhello\nCOMMIT\n", "r:2: 'hello' is not a rule"},
	{"*filter\n[1:2]\nCOMMIT\n", "r:2: counters without a rule"},
	{"*filter\n-A INPUT --comment \"open\nCOMMIT\n", "r:2: unterminated quote"},
	/* chains */
	{"*filter\n:INPUT\nCOMMIT\n", "r:2: a chain line is ':CHAIN POLICY' or ':CHAIN -'"},
	{"*filter\n:INPUT ACCEPT\n:INPUT DROP\nCOMMIT\n", "r:3: chain INPUT declared twice"},
	{"*filter\n:INPUT REJECT\nCOMMIT\n", "r:2: 'REJECT' is not a policy (ACCEPT or DROP)"},
	{"*filter\n:INPUT -\nCOMMIT\n", "r:2: '-' is not a policy (ACCEPT or DROP)"},
	{"*nat\n:PREROUTING DROP\nCOMMIT\n", "r:2: the policy of a nat chain is ACCEPT"},
	{"*filter\n:mine ACCEPT\nCOMMIT\n", "r:2: mine is not a built-in chain of table filter"},
	{"*filter\n:mine -\n:mine -\nCOMMIT\n", "r:3: chain mine declared twice"},
	{"*filter\n:-bad -\nCOMMIT\n", "r:2: '-bad' is not a chain name"},
	{"*filter\n:way_too_long_a_name_for_a_chain_xx -\nCOMMIT\n", "r:2: 'way_too_long"},
	{"*filter\n:DROP -\nCOMMIT\n", "r:2: 'DROP' is a target, not a chain name"},
	{"*nat\n:FORWARD -\nCOMMIT\n", "r:2: FORWARD is a built-in chain, not in table nat"},
	{"*filter\n-A nosuch -j DROP\nCOMMIT\n", "r:2: no chain named 'nosuch' in table filter"},
	{"*filter\n-A INPUT -j nosuch\nCOMMIT\n", "r:2: no target or chain named 'nosuch'"},
	{"*filter\n-A INPUT -j FORWARD\nCOMMIT\n", "r:2: cannot jump to the built-in chain FORWARD"},
	{"*filter\n:a -\n:b -\n-A INPUT -j a\n-A a -j b\n-A b -j a\nCOMMIT\n",
	 "r:6: jump loop: a -> b -> a"},
	{"*filter\n:a -\n-A a -j a\nCOMMIT\n", "r:3: jump loop: a -> a"},
	{"*filter\n:c1 -\n:c2 -\n:c3 -\n:c4 -\n:c5 -\n:c6 -\n:c7 -\n:c8 -\n:c9 -\n"
	 "-A INPUT -j c1\n-A c1 -j c2\n-A c2 -j c3\n-A c3 -j c4\n-A c4 -j c5\n-A c5 -j c6\n"
	 "-A c6 -j c7\n-A c7 -j c8\n-A c8 -j c9\n-A c9 -j ACCEPT\nCOMMIT\n",
	 "r:19: chains nested deeper than 8"},
	/* commands */
	{"*filter\n-Z INPUT\nCOMMIT\n", "r:2: unknown command '-Z'"},
	{"*filter\n-A\nCOMMIT\n", "r:2: -A needs a chain"},
	{"*filter\n-A INPUT 3 -j DROP\nCOMMIT\n", "r:2: -A takes no rule number"},
	{"*filter\n-I INPUT 5 -j DROP\nCOMMIT\n", "r:2: cannot insert at 5: chain INPUT has 0 rules"},
	{"*filter\n-D INPUT 1\nCOMMIT\n", "r:2: chain INPUT has no rule 1 (it has 0)"},
	{"*filter\n-A INPUT -j DROP\n-D INPUT 1 x\nCOMMIT\n", "r:3: -D CHAIN N takes nothing after N"},
	{"*filter\n-D INPUT -p tcp -j DROP\nCOMMIT\n", "r:2: no such rule in chain INPUT"},
	{"*filter\n-R INPUT -j DROP\nCOMMIT\n", "r:2: -R needs a rule number"},
	{"*filter\n-P INPUT\nCOMMIT\n", "r:2: usage: -P CHAIN POLICY"},
	{"*filter\n:u -\n-P u DROP\nCOMMIT\n", "r:3: the user chain u has no policy"},
	{"*filter\n-N\nCOMMIT\n", "r:2: usage: -N CHAIN"},
	{"*filter\n-X INPUT\nCOMMIT\n", "r:2: cannot delete the built-in chain INPUT"},
	{"*filter\n:u -\n-A u -j DROP\n-X u\nCOMMIT\n", "r:4: chain u is not empty"},
	{"*filter\n:u -\n-A INPUT -j u\n-X u\nCOMMIT\n", "r:4: chain u is the target of a rule in INPUT"},
	{"*filter\n-X\nCOMMIT\n", "r:2: -X needs a chain"},
	{"*filter\n-F a b\nCOMMIT\n", "r:2: usage: -F [CHAIN]"},
	/* matches */
	{"*filter\n-A INPUT --foo 1 -j DROP\nCOMMIT\n", "r:2: unknown option '--foo'"},
	{"*filter\n-A INPUT ! -s 198.18.0.1 -j DROP\nCOMMIT\n", "r:2: negation ('!') is not supported"},
	{"*filter\n-A INPUT -p tcp -p udp -j DROP\nCOMMIT\n", "r:2: option -p given twice"},
	{"*filter\n-A INPUT -p\nCOMMIT\n", "r:2: option -p needs a value"},
	{"*filter\n-A INPUT -p tcp --tcp-flags SYN\nCOMMIT\n", "r:2: option --tcp-flags needs two values"},
	{"*filter\n-A INPUT -p sctpx -j DROP\nCOMMIT\n", "r:2: unknown protocol 'sctpx'"},
	{"*filter\n-A INPUT -p 256 -j DROP\nCOMMIT\n", "r:2: unknown protocol '256'"},
	{"*filter\n-A INPUT -s 198.18.0.1/33 -j DROP\nCOMMIT\n", "r:2: '198.18.0.1/33' is not an IPv4"},
	{"*filter\n-A INPUT -d 300.1.1.1 -j DROP\nCOMMIT\n", "r:2: '300.1.1.1' is not an IPv4"},
	{"*filter\n-A INPUT -i eth9 -j DROP\nCOMMIT\n", "r:2: no port named 'eth9'"},
	{"*filter\n-A INPUT -p tcp --dport 70000 -j DROP\nCOMMIT\n", "r:2: '70000' is not a port"},
	{"*filter\n-A INPUT -p tcp --sport 9:2 -j DROP\nCOMMIT\n", "r:2: '9:2' is not a port"},
	{"*filter\n-A INPUT -p tcp --sport : -j DROP\nCOMMIT\n", "r:2: ':' is not a port"},
	{"*filter\n-A INPUT --dport 80 -j DROP\nCOMMIT\n", "r:2: --sport/--dport need -p tcp or -p udp"},
	{"*filter\n-A INPUT -p icmp --icmp-type bogus -j DROP\nCOMMIT\n", "r:2: unknown ICMP type 'bogus'"},
	{"*filter\n-A INPUT -p icmp --icmp-type 3/300 -j DROP\nCOMMIT\n", "r:2: unknown ICMP type '3/300'"},
	{"*filter\n-A INPUT -p tcp --icmp-type 8 -j DROP\nCOMMIT\n", "r:2: --icmp-type needs -p icmp"},
	{"*filter\n-A INPUT -p tcp --tcp-flags SYN,BOGUS SYN -j DROP\nCOMMIT\n",
	 "r:2: --tcp-flags: 'SYN,BOGUS SYN' is not MASK COMP"},
	{"*filter\n-A INPUT -p tcp --tcp-flags SYN SYN,ACK -j DROP\nCOMMIT\n",
	 "r:2: --tcp-flags: 'SYN,ACK' has flags outside the mask 'SYN'"},
	{"*filter\n-A INPUT -p udp --syn -j DROP\nCOMMIT\n", "r:2: --tcp-flags and --syn need -p tcp"},
	{"*filter\n-A INPUT -p tcp --syn --tcp-flags SYN SYN -j DROP\nCOMMIT\n",
	 "r:2: option --tcp-flags given twice"},
	{"*filter\n-A INPUT -p tcp --tcp-flags SYN SYN --syn -j DROP\nCOMMIT\n",
	 "r:2: option --syn given with --tcp-flags"},
	{"*filter\n-A INPUT -m conntrack --ctstate NEWISH -j DROP\nCOMMIT\n",
	 "r:2: 'NEWISH' is not a list of NEW, ESTABLISHED"},
	{"*filter\n-A INPUT -m dscp --dscp 64 -j DROP\nCOMMIT\n", "r:2: '64' is not a DSCP value"},
	{"*filter\n-A INPUT -m dscp --dscp-class AF51 -j DROP\nCOMMIT\n", "r:2: 'AF51' is not a DSCP"},
	{"*filter\n-A INPUT -m nosuchmodule -j DROP\nCOMMIT\n", "r:2: unknown match module 'nosuchmodule'"},
	{"*filter\n-A INPUT -m\nCOMMIT\n", "r:2: -m needs a module name"},
	{"*filter\n-A INPUT -m comment --comment "
	 "\"0123456789012345678901234567890123456789012345678901234567890123456789\" -j DROP\nCOMMIT\n",
	 "r:2: --comment: longer than 63 characters"},
	/* targets and where they go */
	{"*filter\n-A INPUT -j REJECT --reject-with icmp-bogus\nCOMMIT\n", "r:2: unknown --reject-with 'icmp-bogus'"},
	{"*filter\n-A INPUT -j REJECT --reject-with tcp-reset\nCOMMIT\n", "r:2: --reject-with tcp-reset needs -p tcp"},
	{"*filter\n-A INPUT -j DROP --reject-with icmp-port-unreachable\nCOMMIT\n",
	 "r:2: --reject-with is an option of -j REJECT"},
	{"*filter\n-A INPUT -j LOG --log-prefix \"0123456789012345678901234567890\"\nCOMMIT\n",
	 "r:2: --log-prefix: longer than 29 characters"},
	{"*filter\n-A INPUT -j LOG --log-level loud\nCOMMIT\n", "r:2: unknown --log-level 'loud'"},
	{"*filter\n-A INPUT -j ACCEPT --log-prefix x\nCOMMIT\n", "r:2: --log-prefix is an option of -j LOG"},
	{"*filter\n-A INPUT -i dpout -j DROP\n-A OUTPUT -i dpin -j DROP\nCOMMIT\n",
	 "r:3: -i cannot be used in OUTPUT (no input port there)"},
	{"*filter\n-A INPUT -o dpout -j DROP\nCOMMIT\n", "r:2: -o cannot be used in INPUT (not routed yet)"},
	{"*filter\n:u -\n-A u -o dpout -j DROP\n-A INPUT -j u\nCOMMIT\n",
	 "r:3: chain u (called from INPUT): -o cannot be used in INPUT"},
	{"*filter\n-A FORWARD -j SNAT --to-source 198.18.0.1\nCOMMIT\n",
	 "r:2: -j SNAT is only valid in nat POSTROUTING"},
	{"*nat\n-A PREROUTING -j DROP\nCOMMIT\n", "r:2: -j DROP belongs in table filter"},
	{"*nat\n-A POSTROUTING -j DNAT --to-destination 198.18.0.1\nCOMMIT\n",
	 "r:2: -j DNAT is only valid in nat PREROUTING"},
	{"*nat\n-A PREROUTING -j MASQUERADE\nCOMMIT\n", "r:2: -j MASQUERADE is only valid in nat POSTROUTING"},
	{"*nat\n-A OUTPUT -j ACCEPT\nCOMMIT\n", "r:2: nat OUTPUT takes no rules (not supported)"},
	{"*nat\n-A POSTROUTING -j SNAT\nCOMMIT\n", "r:2: -j SNAT needs --to-source"},
	{"*nat\n-A PREROUTING -j DNAT\nCOMMIT\n", "r:2: -j DNAT needs --to-destination"},
	{"*nat\n-A POSTROUTING -j SNAT --to-source 198.18.0.9-198.18.0.1\nCOMMIT\n",
	 "r:2: '198.18.0.9-198.18.0.1' is not ADDR[-ADDR][:PORT[-PORT]]"},
	{"*nat\n-A POSTROUTING -j SNAT --to-source 198.18.0.1:9-2\nCOMMIT\n", "r:2: '198.18.0.1:9-2' is not"},
	{"*nat\n-A POSTROUTING -j SNAT --to-source 198.18.0.1:80\nCOMMIT\n",
	 "r:2: a port in a NAT target needs -p tcp or -p udp"},
	{"*nat\n-A POSTROUTING -p tcp -j MASQUERADE --to-ports 0\nCOMMIT\n", "r:2: '0' is not PORT[-PORT]"},
	{"*filter\n-A FORWARD -j TCPMSS --set-mss 1400\nCOMMIT\n", "r:2: -j TCPMSS needs -p tcp"},
	{"*filter\n-A FORWARD -p tcp -j TCPMSS\nCOMMIT\n", "r:2: -j TCPMSS needs --set-mss or --clamp-mss-to-pmtu"},
	{"*filter\n-A FORWARD -p tcp -j TCPMSS --set-mss 100\nCOMMIT\n", "r:2: --set-mss: '100' is not an MSS"},
	{"*filter\n-A FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu --set-mss 1400\nCOMMIT\n",
	 "r:2: --set-mss given with --clamp-mss-to-pmtu"},
	{"*filter\n-A INPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu\nCOMMIT\n",
	 "r:2: --clamp-mss-to-pmtu needs a route"},
};

static void
test_every_error_names_its_line(void **state)
{
	(void)state;
	char err[512];
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		err[0] = '\0';
		struct nf_rules *r = nf_rules_parse("r", bad_files[i].text, ports, 2, err, sizeof(err));
		if (r != NULL)
			fail_msg("case %zu loaded: %s", i, bad_files[i].text);
		if (strncmp(err, bad_files[i].error, strlen(bad_files[i].error)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, bad_files[i].error);
	}
}

/* The limits: words on a line, chains in a table. */
static void
test_limits(void **state)
{
	(void)state;
	char err[512];
	char *text = malloc(1 << 16);
	int n = sprintf(text, "*filter\n-A INPUT");
	for (int i = 0; i < 100; i++)
		n += sprintf(text + n, " -m tcp");
	sprintf(text + n, "\nCOMMIT\n");
	assert_null(nf_rules_parse("r", text, ports, 2, err, sizeof(err)));
	assert_string_equal(err, "r:2: too many words (more than 96)");
	n = sprintf(text, "*filter\n");
	for (int i = 0; i < NF_MAX_CHAINS; i++)
		n += sprintf(text + n, ":c%d -\n", i);
	sprintf(text + n, "COMMIT\n");
	assert_null(nf_rules_parse("r", text, ports, 2, err, sizeof(err)));
	/* 5 built-in chains and 59 user ones: the 60th is one too many. */
	assert_string_equal(err, "r:61: more than 64 chains in table filter");
	assert_null(nf_rules_parse("r", "*filter\n:u -\n-X u v\nCOMMIT\n", ports, 2, err, sizeof(err)));
	assert_string_equal(err, "r:3: usage: -X CHAIN");
	free(text);
}

static void
test_file_errors(void **state)
{
	(void)state;
	char err[512];
	assert_null(nf_rules_load("/nonexistent/rules", ports, 2, err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/rules:0: cannot open: No such file or directory");
	char path[] = "/tmp/cav-rules-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "*filter\0COMMIT\n", 15), 15);
	close(fd);
	assert_null(nf_rules_load(path, ports, 2, err, sizeof(err)));
	assert_non_null(strstr(err, ":0: a NUL byte: not a text file"));
	unlink(path);
}

/* Everything the language has, printed and loaded again: the same. */
static const char *const full_set =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":logdrop -\n"
	"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	"-A INPUT -i dpin -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT\n"
	"-A INPUT -p icmp --icmp-type echo-request -j ACCEPT\n"
	"-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT\n"
	"-A INPUT -s 198.18.0.0/16 -d 198.18.10.1 -p udp --sport 1024:65535 --dport 53 -j ACCEPT\n"
	"-A INPUT -m conntrack --ctstate INVALID -j logdrop\n"
	"-A INPUT -p tcp --tcp-flags SYN,ACK,FIN,RST RST -j DROP\n"
	"-A INPUT -m dscp --dscp-class EF -m comment --comment \"voice \\\"fast\\\"\" -j ACCEPT\n"
	"-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
	"-A INPUT -j REJECT --reject-with icmp-admin-prohibited\n"
	"-A FORWARD -i dpin -o dpout -j ACCEPT\n"
	"-A FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu\n"
	"-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1360\n"
	"-A FORWARD -p 47 -j ACCEPT\n"
	"-A FORWARD -p udp --sport 7: -j RETURN\n"
	"-A FORWARD -d 198.18.20.0/24\n"
	"-A logdrop -j LOG --log-prefix \"bad: \" --log-level info\n"
	"-A logdrop -j DROP\n"
	"COMMIT\n"
	"*nat\n"
	":PREROUTING ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -i dpout -p tcp --dport 8080 -j DNAT --to-destination 198.18.10.2:80\n"
	"-A PREROUTING -p udp --dport 5000:5010 -j DNAT --to-destination 198.18.10.2-198.18.10.9:6000-6010\n"
	"-A POSTROUTING -s 198.18.10.0/24 -o dpout -j MASQUERADE\n"
	"-A POSTROUTING -p udp -o dpout -j MASQUERADE --to-ports 20000-30000\n"
	"-A POSTROUTING -o dpin -j SNAT --to-source 198.18.10.1\n"
	"-A POSTROUTING -p tcp -j SNAT --to-source 198.18.20.1-198.18.20.9:1024-2047\n"
	"COMMIT\n";

static void
test_print_and_load_again(void **state)
{
	(void)state;
	char err[512];
	struct nf_rules *a = nf_rules_parse("full", full_set, ports, 2, err, sizeof(err));
	if (a == NULL)
		fail_msg("%s", err);
	size_t n = nf_rules_format(a, NULL, 0, NULL, NULL);
	char *t1 = malloc(n + 1), *t2 = malloc(n + 1);
	nf_rules_format(a, t1, n + 1, NULL, NULL);
	struct nf_rules *b = nf_rules_parse("printed", t1, ports, 2, err, sizeof(err));
	if (b == NULL)
		fail_msg("the printed set does not load: %s\n%s", err, t1);
	assert_int_equal(nf_rules_format(b, t2, n + 1, NULL, NULL), n);
	assert_string_equal(t1, t2);
	assert_int_equal(a->n_rules, 24);
	assert_int_equal(b->n_rules, 24);
	/* Rule by rule, the same (ids aside). */
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < a->t[t].n_chains; c++)
			for (uint32_t i = 0; i < a->t[t].c[c].n; i++) {
				struct nf_rule x = a->t[t].c[c].r[i], y = b->t[t].c[c].r[i];
				x.id = y.id = 0;
				assert_memory_equal(&x, &y, sizeof(x));
			}
	free(t1);
	free(t2);
	nf_rules_free(a);
	nf_rules_free(b);
}

static void
test_commands_edit_a_copy(void **state)
{
	(void)state;
	char err[512];
	struct nf_rules *r = nf_rules_new(ports, 2);
	char *add1[] = {"-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"};
	char *add2[] = {"-I", "INPUT", "1", "-p", "udp", "-j", "DROP"};
	char *pol[] = {"-P", "INPUT", "DROP"};
	char *del_spec[] = {"-D", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"};
	char *nat[] = {"-t", "nat", "-A", "POSTROUTING", "-o", "dpout", "-j", "MASQUERADE"};
	char *bad[] = {"-t", "nat", "-A", "POSTROUTING", "-j", "DROP"};
	char *badt[] = {"-t", "raw", "-A", "PREROUTING", "-j", "DROP"};
	assert_int_equal(nf_rules_cmd(r, 8, add1, err, sizeof(err)), 0);
	assert_int_equal(nf_rules_cmd(r, 7, add2, err, sizeof(err)), 0);
	assert_int_equal(nf_rules_cmd(r, 3, pol, err, sizeof(err)), 0);
	int in = nf_chain_find(&r->t[NF_TABLE_FILTER], "INPUT");
	assert_int_equal(r->t[NF_TABLE_FILTER].c[in].n, 2);
	assert_int_equal(r->t[NF_TABLE_FILTER].c[in].r[0].m.proto, 17);
	assert_int_equal(r->t[NF_TABLE_FILTER].c[in].policy, NF_T_DROP);
	uint32_t id1 = r->t[NF_TABLE_FILTER].c[in].r[0].id;
	assert_int_equal(nf_rules_cmd(r, 8, del_spec, err, sizeof(err)), 0);
	assert_int_equal(r->t[NF_TABLE_FILTER].c[in].n, 1);
	assert_int_equal(r->t[NF_TABLE_FILTER].c[in].r[0].id, id1); /* the one kept */
	assert_int_equal(nf_rules_cmd(r, 8, nat, err, sizeof(err)), 0);
	/* A failing command leaves everything as it was. */
	assert_int_equal(nf_rules_cmd(r, 6, bad, err, sizeof(err)), -1);
	assert_string_equal(err, "-j DROP belongs in table filter");
	assert_int_equal(nf_rules_cmd(r, 6, badt, err, sizeof(err)), -1);
	assert_string_equal(err, "no table named 'raw' (filter or nat)");
	assert_int_equal(nf_rules_cmd(r, 0, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "missing command");
	assert_int_equal(r->n_rules, 2);
	nf_rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_error_names_its_line),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_print_and_load_again),
		cmocka_unit_test(test_commands_edit_a_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
