/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule language, one rule's options (iptables' words) and the checks
 * of where a rule may be (its hook, its table), jumps and loops. The file
 * format and the commands are rules_parse.c's.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "parse.h"
#include "rules_priv.h"

/* ---- tokens ---- */

/* Split a line into words in place; double quotes group (\" and \\
 * inside). Returns the count, or -1 with a reason. */
int
nf_tokenize(char *s, char **argv, int max, char *err, size_t errlen)
{
	int n = 0;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			FAIL("too many words (more than %d)", max);
		char *out = s;
		argv[n++] = s;
		bool quoted = false;
		while (*s != '\0' && (quoted || !isspace((unsigned char)*s))) {
			if (*s == '"') {
				quoted = !quoted;
				s++;
				continue;
			}
			if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			*out++ = *s++;
		}
		if (quoted)
			FAIL("unterminated quote");
		bool end = *s == '\0';
		*out = '\0';
		if (end)
			return n;
		s++;
	}
}

/* ---- values ---- */

bool
nf_valid_chain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= NF_NAME_MAX || s[0] == '-' || s[0] == '!')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static int
parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	/* P, P:Q, :Q, P: (iptables) */
	char buf[32];
	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	char *colon = strchr(buf, ':');
	uint64_t a = 0, b = UINT16_MAX;
	if (colon == NULL) {
		if (parse_u64(buf, 0, UINT16_MAX, &a) < 0)
			return -1;
		b = a;
	} else {
		*colon = '\0';
		if (buf[0] != '\0' && parse_u64(buf, 0, UINT16_MAX, &a) < 0)
			return -1;
		if (colon[1] != '\0' && parse_u64(colon + 1, 0, UINT16_MAX, &b) < 0)
			return -1;
		if (buf[0] == '\0' && colon[1] == '\0')
			return -1;
	}
	if (a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static const struct {
	const char *name;
	int type, code; /* code -1: any */
} icmp_names[] = {
	{"any", -1, -1},
	{"echo-reply", 0, -1},
	{"pong", 0, -1},
	{"destination-unreachable", 3, -1},
	{"network-unreachable", 3, 0},
	{"host-unreachable", 3, 1},
	{"protocol-unreachable", 3, 2},
	{"port-unreachable", 3, 3},
	{"fragmentation-needed", 3, 4},
	{"source-route-failed", 3, 5},
	{"network-prohibited", 3, 9},
	{"host-prohibited", 3, 10},
	{"communication-prohibited", 3, 13},
	{"source-quench", 4, -1},
	{"redirect", 5, -1},
	{"echo-request", 8, -1},
	{"ping", 8, -1},
	{"time-exceeded", 11, -1},
	{"ttl-zero-during-transit", 11, 0},
	{"ttl-zero-during-reassembly", 11, 1},
	{"parameter-problem", 12, -1},
	{"timestamp-request", 13, -1},
	{"timestamp-reply", 14, -1},
};

static int
parse_icmp_type(const char *s, struct nf_match *m)
{
	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
		if (strcmp(s, icmp_names[i].name) == 0) {
			m->icmp_type = (int16_t)icmp_names[i].type;
			m->icmp_code_lo = icmp_names[i].code < 0 ? 0 : (uint8_t)icmp_names[i].code;
			m->icmp_code_hi = icmp_names[i].code < 0 ? 255 : (uint8_t)icmp_names[i].code;
			return 0;
		}
	/* TYPE or TYPE/CODE, numbers */
	char buf[16];
	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	uint64_t t, c;
	if (slash != NULL)
		*slash = '\0';
	if (parse_u64(buf, 0, 255, &t) < 0)
		return -1;
	m->icmp_type = (int16_t)t;
	m->icmp_code_lo = 0;
	m->icmp_code_hi = 255;
	if (slash != NULL) {
		if (parse_u64(slash + 1, 0, 255, &c) < 0)
			return -1;
		m->icmp_code_lo = m->icmp_code_hi = (uint8_t)c;
	}
	return 0;
}

/* A name for a bit (or a set of bits) in a comma-separated list. */
struct flag_name {
	const char *name;
	uint8_t bit;
};

static const struct flag_name tcp_flag_names[] = {
	{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08}, {"ACK", 0x10},
	{"URG", 0x20}, {"ECE", 0x40}, {"CWR", 0x80}, {"ALL", 0xff}, {"NONE", 0x00},
};

static const struct flag_name ct_names[] = {
	{"NEW", CT_ST_NEW},	      {"ESTABLISHED", CT_ST_ESTABLISHED},
	{"RELATED", CT_ST_RELATED},   {"INVALID", CT_ST_INVALID},
	{"UNTRACKED", CT_ST_UNTRACKED},
};

/* "A,B,C" (case-insensitive) to the OR of their bits; -1 on an unknown name. */
static int
parse_flag_list(const char *s, const struct flag_name *names, size_t n_names, uint8_t *out)
{
	char buf[96];
	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	uint8_t v = 0;
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < n_names; i++)
			if (strcasecmp(w, names[i].name) == 0)
				break;
		if (i == n_names)
			return -1;
		v |= names[i].bit;
	}
	*out = v;
	return 0;
}

static int
parse_tcp_flags(const char *s, uint8_t *out)
{
	return parse_flag_list(s, tcp_flag_names,
			       sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0]), out);
}

static int
parse_ct_states(const char *s, uint8_t *out)
{
	uint8_t v;
	if (*s == '\0' ||
	    parse_flag_list(s, ct_names, sizeof(ct_names) / sizeof(ct_names[0]), &v) < 0 || v == 0)
		return -1;
	*out = v;
	return 0;
}

static int
parse_dscp_class(const char *s, uint8_t *out)
{
	/* RFC 4594 names: CS0..CS7, AF11..AF43, EF */
	if (strcasecmp(s, "EF") == 0) {
		*out = 46;
		return 0;
	}
	if ((s[0] == 'C' || s[0] == 'c') && (s[1] == 'S' || s[1] == 's') && s[2] >= '0' &&
	    s[2] <= '7' && s[3] == '\0') {
		*out = (uint8_t)((s[2] - '0') * 8);
		return 0;
	}
	if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'F' || s[1] == 'f') && s[2] >= '1' &&
	    s[2] <= '4' && s[3] >= '1' && s[3] <= '3' && s[4] == '\0') {
		*out = (uint8_t)((s[2] - '0') * 8 + (s[3] - '0') * 2);
		return 0;
	}
	return -1;
}

/* A[-B][:P[-Q]] (SNAT, DNAT); ports_ok: a port part is allowed. */
static int
parse_nat_spec(const char *s, struct nf_nat_spec *n, bool *has_ports)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	char *colon = strchr(buf, ':');
	*has_ports = false;
	if (colon != NULL) {
		*colon = '\0';
		char *dash = strchr(colon + 1, '-');
		uint64_t a, b;
		if (dash != NULL)
			*dash = '\0';
		if (parse_u64(colon + 1, 1, UINT16_MAX, &a) < 0)
			return -1;
		b = a;
		if (dash != NULL && parse_u64(dash + 1, 1, UINT16_MAX, &b) < 0)
			return -1;
		if (a > b)
			return -1;
		n->port_lo = (uint16_t)a;
		n->port_hi = (uint16_t)b;
		*has_ports = true;
	}
	char *dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (parse_ip4(buf, &n->addr_lo) < 0)
		return -1;
	n->addr_hi = n->addr_lo;
	if (dash != NULL && parse_ip4(dash + 1, &n->addr_hi) < 0)
		return -1;
	if (n->addr_lo > n->addr_hi || n->addr_lo == 0)
		return -1;
	return 0;
}

static const struct {
	const char *name;
	uint8_t code; /* ICMP destination unreachable code (RFC 792, RFC 1812) */
} reject_names[] = {
	{"icmp-net-unreachable", 0},   {"icmp-host-unreachable", 1},
	{"icmp-proto-unreachable", 2}, {"icmp-port-unreachable", 3},
	{"icmp-net-prohibited", 9},    {"icmp-host-prohibited", 10},
	{"icmp-admin-prohibited", 13},
};

static const char *const log_levels[] = {"emerg",   "alert",  "crit", "error",
					 "warning", "notice", "info", "debug"};

/* ---- one rule's options ---- */

enum opt {
	O_PROTO, O_SRC, O_DST, O_IN, O_OUT, O_SPORT, O_DPORT, O_ICMP, O_TCPFLAGS,
	O_CTSTATE, O_DSCP, O_COMMENT, O_JUMP, O_REJECT_WITH, O_LOG_PREFIX, O_LOG_LEVEL,
	O_TO_SRC, O_TO_DST, O_TO_PORTS, O_SET_MSS, O_CLAMP, O_NB,
};

static const char *const modules[] = {"tcp", "udp", "icmp", "conntrack", "state", "dscp",
				      "comment"};

/*
 * Parse a rule's options (argv: what follows "-A CHAIN") of table `table`
 * into *out. The chain's hook and the targets' places are checked later
 * (validate), once every chain is known.
 */
int
nf_parse_spec(const struct nf_rules *r, int table, int argc, char **argv, struct nf_rule *out,
	   char *err, size_t errlen)
{
	struct nf_rule rule = {0};
	struct nf_match *m = &rule.m;
	bool seen[O_NB] = {0};
	bool nat_ports = false;
	const char *jump = NULL;

	m->sport_hi = m->dport_hi = UINT16_MAX;
	m->icmp_type = -1;
	m->icmp_code_hi = 255;
	m->dscp_hi = 63;
	m->in_port = m->out_port = -1;

	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		enum opt id;
		if (strcmp(o, "!") == 0 || (i + 1 < argc && strcmp(argv[i + 1], "!") == 0))
			FAIL("negation ('!') is not supported");
		if (strcmp(o, "-m") == 0 || strcmp(o, "--match") == 0) {
			if (++i == argc)
				FAIL("%s needs a module name", o);
			size_t k;
			for (k = 0; k < sizeof(modules) / sizeof(modules[0]); k++)
				if (strcmp(argv[i], modules[k]) == 0)
					break;
			if (k == sizeof(modules) / sizeof(modules[0]))
				FAIL("unknown match module '%s'", argv[i]);
			continue;
		}
		if (strcmp(o, "--syn") == 0) {
			if (seen[O_TCPFLAGS])
				FAIL("option --syn given with --tcp-flags");
			seen[O_TCPFLAGS] = true;
			m->tcp_mask = 0x17; /* SYN,RST,ACK,FIN */
			m->tcp_cmp = 0x02;  /* SYN */
			continue;
		}
		if (strcmp(o, "--clamp-mss-to-pmtu") == 0) {
			if (seen[O_CLAMP] || seen[O_SET_MSS])
				FAIL("option %s given twice", o);
			seen[O_CLAMP] = true;
			continue;
		}
		if (strcmp(o, "-p") == 0 || strcmp(o, "--protocol") == 0)
			id = O_PROTO;
		else if (strcmp(o, "-s") == 0 || strcmp(o, "--source") == 0 ||
			 strcmp(o, "--src") == 0)
			id = O_SRC;
		else if (strcmp(o, "-d") == 0 || strcmp(o, "--destination") == 0 ||
			 strcmp(o, "--dst") == 0)
			id = O_DST;
		else if (strcmp(o, "-i") == 0 || strcmp(o, "--in-interface") == 0)
			id = O_IN;
		else if (strcmp(o, "-o") == 0 || strcmp(o, "--out-interface") == 0)
			id = O_OUT;
		else if (strcmp(o, "--sport") == 0 || strcmp(o, "--source-port") == 0)
			id = O_SPORT;
		else if (strcmp(o, "--dport") == 0 || strcmp(o, "--destination-port") == 0)
			id = O_DPORT;
		else if (strcmp(o, "--icmp-type") == 0)
			id = O_ICMP;
		else if (strcmp(o, "--tcp-flags") == 0)
			id = O_TCPFLAGS;
		else if (strcmp(o, "--ctstate") == 0 || strcmp(o, "--state") == 0)
			id = O_CTSTATE;
		else if (strcmp(o, "--dscp") == 0 || strcmp(o, "--dscp-class") == 0)
			id = O_DSCP;
		else if (strcmp(o, "--comment") == 0)
			id = O_COMMENT;
		else if (strcmp(o, "-j") == 0 || strcmp(o, "--jump") == 0)
			id = O_JUMP;
		else if (strcmp(o, "--reject-with") == 0)
			id = O_REJECT_WITH;
		else if (strcmp(o, "--log-prefix") == 0)
			id = O_LOG_PREFIX;
		else if (strcmp(o, "--log-level") == 0)
			id = O_LOG_LEVEL;
		else if (strcmp(o, "--to-source") == 0 || strcmp(o, "--to") == 0)
			id = O_TO_SRC;
		else if (strcmp(o, "--to-destination") == 0)
			id = O_TO_DST;
		else if (strcmp(o, "--to-ports") == 0)
			id = O_TO_PORTS;
		else if (strcmp(o, "--set-mss") == 0)
			id = O_SET_MSS;
		else
			FAIL("unknown option '%s'", o);
		if (seen[id])
			FAIL("option %s given twice", o);
		seen[id] = true;
		int need = id == O_TCPFLAGS ? 2 : 1;
		if (i + need >= argc)
			FAIL("option %s needs %s", o, need == 2 ? "two values" : "a value");
		const char *v = argv[i + 1];
		i += need;

		switch (id) {
		case O_PROTO: {
			uint64_t n;
			if (strcmp(v, "tcp") == 0)
				m->proto = IPPROTO_TCP;
			else if (strcmp(v, "udp") == 0)
				m->proto = IPPROTO_UDP;
			else if (strcmp(v, "icmp") == 0)
				m->proto = IPPROTO_ICMP;
			else if (strcmp(v, "all") == 0)
				m->proto = 0;
			else if (parse_u64(v, 0, 255, &n) == 0)
				m->proto = (uint8_t)n;
			else
				FAIL("unknown protocol '%s'", v);
			break;
		}
		case O_SRC:
		case O_DST: {
			uint32_t a;
			uint8_t len = 32;
			if (parse_ip4_cidr(v, &a, &len) < 0 && parse_ip4(v, &a) < 0)
				FAIL("'%s' is not an IPv4 address or A.B.C.D/LEN", v);
			uint32_t mask = len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
			if (id == O_SRC) {
				m->src = a & mask;
				m->src_len = len;
			} else {
				m->dst = a & mask;
				m->dst_len = len;
			}
			break;
		}
		case O_IN:
		case O_OUT: {
			int p = -1;
			for (unsigned int k = 0; k < r->n_ports; k++)
				if (strcmp(r->ports[k], v) == 0)
					p = (int)k;
			if (p < 0)
				FAIL("no port named '%s'", v);
			if (id == O_IN)
				m->in_port = (int8_t)p;
			else
				m->out_port = (int8_t)p;
			break;
		}
		case O_SPORT:
		case O_DPORT:
			if (parse_port_range(v, id == O_SPORT ? &m->sport_lo : &m->dport_lo,
					     id == O_SPORT ? &m->sport_hi : &m->dport_hi) < 0)
				FAIL("'%s' is not a port or range such as 1024:65535", v);
			break;
		case O_ICMP:
			if (parse_icmp_type(v, m) < 0)
				FAIL("unknown ICMP type '%s'", v);
			break;
		case O_TCPFLAGS:
			if (parse_tcp_flags(v, &m->tcp_mask) < 0 ||
			    parse_tcp_flags(argv[i], &m->tcp_cmp) < 0)
				FAIL("--tcp-flags: '%s %s' is not MASK COMP such as SYN,ACK SYN", v,
				     argv[i]);
			if (m->tcp_cmp & ~m->tcp_mask)
				FAIL("--tcp-flags: '%s' has flags outside the mask '%s'", argv[i], v);
			break;
		case O_CTSTATE:
			if (parse_ct_states(v, &m->ct_states) < 0)
				FAIL("'%s' is not a list of NEW, ESTABLISHED, RELATED, INVALID, "
				     "UNTRACKED",
				     v);
			break;
		case O_DSCP: {
			uint64_t n;
			uint8_t d;
			if (parse_u64(v, 0, 63, &n) == 0)
				d = (uint8_t)n;
			else if (parse_dscp_class(v, &d) < 0)
				FAIL("'%s' is not a DSCP value 0..63 or class (CS0..CS7, AF11..AF43, "
				     "EF)",
				     v);
			m->dscp_lo = m->dscp_hi = d;
			break;
		}
		case O_COMMENT:
			if (strlen(v) >= NF_COMMENT_MAX)
				FAIL("--comment: longer than %d characters", NF_COMMENT_MAX - 1);
			snprintf(rule.comment, sizeof(rule.comment), "%s", v);
			break;
		case O_JUMP:
			jump = v;
			break;
		case O_REJECT_WITH: {
			size_t k;
			if (strcmp(v, "tcp-reset") == 0) {
				rule.u.reject.tcp_reset = true;
				break;
			}
			for (k = 0; k < sizeof(reject_names) / sizeof(reject_names[0]); k++)
				if (strcmp(v, reject_names[k].name) == 0)
					break;
			if (k == sizeof(reject_names) / sizeof(reject_names[0]))
				FAIL("unknown --reject-with '%s'", v);
			rule.u.reject.code = reject_names[k].code;
			break;
		}
		case O_LOG_PREFIX:
			if (strlen(v) >= NF_LOG_PREFIX_MAX)
				FAIL("--log-prefix: longer than %d characters",
				     NF_LOG_PREFIX_MAX - 1);
			snprintf(rule.u.log.prefix, sizeof(rule.u.log.prefix), "%s", v);
			break;
		case O_LOG_LEVEL: {
			uint64_t n;
			size_t k;
			for (k = 0; k < 8; k++)
				if (strcmp(v, log_levels[k]) == 0)
					break;
			if (k == 8) {
				if (parse_u64(v, 0, 7, &n) < 0)
					FAIL("unknown --log-level '%s'", v);
				k = n;
			}
			rule.u.log.level = (uint8_t)k;
			break;
		}
		case O_TO_SRC:
		case O_TO_DST:
			if (parse_nat_spec(v, &rule.u.nat, &nat_ports) < 0)
				FAIL("'%s' is not ADDR[-ADDR][:PORT[-PORT]]", v);
			break;
		case O_TO_PORTS: {
			/* PORT[-PORT]: the port part of a NAT spec */
			char buf[40];
			struct nf_nat_spec tmp;
			snprintf(buf, sizeof(buf), "1.0.0.1:%.20s", v);
			if (strlen(v) > 11 || parse_nat_spec(buf, &tmp, &nat_ports) < 0)
				FAIL("'%s' is not PORT[-PORT]", v);
			rule.u.nat.port_lo = tmp.port_lo;
			rule.u.nat.port_hi = tmp.port_hi;
			break;
		}
		case O_SET_MSS: {
			uint64_t n;
			if (seen[O_CLAMP])
				FAIL("--set-mss given with --clamp-mss-to-pmtu");
			if (parse_u64(v, 536, 65495, &n) < 0)
				FAIL("--set-mss: '%s' is not an MSS in 536..65495", v);
			rule.u.tcpmss.mss = (uint16_t)n;
			break;
		}
		default:
			break;
		}
	}

	/* Options that need a protocol. */
	if ((seen[O_SPORT] || seen[O_DPORT]) && m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP)
		FAIL("--sport/--dport need -p tcp or -p udp");
	if (seen[O_ICMP] && m->proto != IPPROTO_ICMP)
		FAIL("--icmp-type needs -p icmp");
	if (seen[O_TCPFLAGS] && m->proto != IPPROTO_TCP)
		FAIL("--tcp-flags and --syn need -p tcp");
	m->l4 = seen[O_SPORT] || seen[O_DPORT] || seen[O_ICMP] || seen[O_TCPFLAGS];

	/* The target. */
	rule.target = NF_T_NONE;
	if (jump != NULL) {
		int t;
		for (t = 1; t < NF_T_NB; t++)
			if (t != NF_T_JUMP && strcmp(jump, nf_target_names[t]) == 0)
				break;
		if (t < NF_T_NB) {
			rule.target = (uint8_t)t;
		} else {
			int c = nf_chain_find(&r->t[table], jump);
			if (c < 0)
				FAIL("no target or chain named '%s' in table %s", jump,
				     nf_table_names[table]);
			if (r->t[table].c[c].hook >= 0)
				FAIL("cannot jump to the built-in chain %s", jump);
			rule.target = NF_T_JUMP;
			rule.u.jump = (uint16_t)c;
		}
	}
	/* Target options with their target only. */
	static const struct {
		enum opt o;
		uint8_t t;
		const char *name;
	} owner[] = {
		{O_REJECT_WITH, NF_T_REJECT, "--reject-with"},
		{O_LOG_PREFIX, NF_T_LOG, "--log-prefix"},
		{O_LOG_LEVEL, NF_T_LOG, "--log-level"},
		{O_TO_SRC, NF_T_SNAT, "--to-source"},
		{O_TO_DST, NF_T_DNAT, "--to-destination"},
		{O_TO_PORTS, NF_T_MASQUERADE, "--to-ports"},
		{O_SET_MSS, NF_T_TCPMSS, "--set-mss"},
		{O_CLAMP, NF_T_TCPMSS, "--clamp-mss-to-pmtu"},
	};
	for (size_t k = 0; k < sizeof(owner) / sizeof(owner[0]); k++)
		if (seen[owner[k].o] && rule.target != owner[k].t)
			FAIL("%s is an option of -j %s", owner[k].name, nf_target_names[owner[k].t]);
	switch (rule.target) {
	case NF_T_REJECT:
		if (rule.u.reject.tcp_reset && m->proto != IPPROTO_TCP)
			FAIL("--reject-with tcp-reset needs -p tcp");
		if (!seen[O_REJECT_WITH])
			rule.u.reject.code = 3; /* port unreachable, as iptables */
		rule.u.reject.type = 3;
		break;
	case NF_T_LOG:
		if (!seen[O_LOG_LEVEL])
			rule.u.log.level = 4; /* warning, as iptables */
		break;
	case NF_T_SNAT:
	case NF_T_DNAT:
		if (!seen[rule.target == NF_T_SNAT ? O_TO_SRC : O_TO_DST])
			FAIL("-j %s needs %s", nf_target_names[rule.target],
			     rule.target == NF_T_SNAT ? "--to-source" : "--to-destination");
		/* fall through */
	case NF_T_MASQUERADE:
		if ((nat_ports || seen[O_TO_PORTS]) && m->proto != IPPROTO_TCP &&
		    m->proto != IPPROTO_UDP)
			FAIL("a port in a NAT target needs -p tcp or -p udp");
		break;
	case NF_T_TCPMSS:
		if (m->proto != IPPROTO_TCP)
			FAIL("-j TCPMSS needs -p tcp");
		if (!seen[O_SET_MSS] && !seen[O_CLAMP])
			FAIL("-j TCPMSS needs --set-mss or --clamp-mss-to-pmtu");
		break;
	default:
		break;
	}
	*out = rule;
	return 0;
}

/* ---- places: which targets and interfaces a hook allows ---- */

int
nf_check_place(const struct nf_rules *r, int table, int hook, const struct nf_rule *rule, char *err,
	    size_t errlen)
{
	const char *h = nf_hook_names[hook];
	if (rule->m.in_port >= 0 && (hook == NF_HOOK_OUTPUT || hook == NF_HOOK_POSTROUTING))
		FAIL("-i cannot be used in %s (no input port there)", h);
	if (rule->m.out_port >= 0 && (hook == NF_HOOK_PREROUTING || hook == NF_HOOK_INPUT))
		FAIL("-o cannot be used in %s (not routed yet)", h);
	switch (rule->target) {
	case NF_T_DROP:
	case NF_T_REJECT:
	case NF_T_TCPMSS:
		if (table != NF_TABLE_FILTER)
			FAIL("-j %s belongs in table filter", nf_target_names[rule->target]);
		if (rule->target == NF_T_TCPMSS && rule->u.tcpmss.mss == 0 &&
		    (hook == NF_HOOK_PREROUTING || hook == NF_HOOK_INPUT))
			FAIL("--clamp-mss-to-pmtu needs a route: FORWARD, OUTPUT or POSTROUTING");
		break;
	case NF_T_SNAT:
	case NF_T_MASQUERADE:
		if (table != NF_TABLE_NAT || hook != NF_HOOK_POSTROUTING)
			FAIL("-j %s is only valid in nat POSTROUTING", nf_target_names[rule->target]);
		break;
	case NF_T_DNAT:
		if (table != NF_TABLE_NAT || hook != NF_HOOK_PREROUTING)
			FAIL("-j DNAT is only valid in nat PREROUTING");
		break;
	default:
		if (table == NF_TABLE_NAT && (hook == NF_HOOK_INPUT || hook == NF_HOOK_OUTPUT))
			FAIL("nat %s takes no rules (not supported)", h);
		break;
	}
	(void)r;
	return 0;
}

/* Walk from chain c (reached from `hook`): every rule in its place, no
 * loop, not too deep. `path` holds the chains on the way; *bad gets the id
 * of the rule at fault. */
static int
validate_chain(const struct nf_rules *r, int table, int hook, int c, int *path, int depth,
	       uint32_t *bad, char *err, size_t errlen)
{
	const struct nf_table *t = &r->t[table];
	if (depth > NF_MAX_DEPTH)
		FAIL("chains nested deeper than %d", NF_MAX_DEPTH);
	path[depth] = c;
	const struct nf_chain *ch = &t->c[c];
	for (uint32_t i = 0; i < ch->n; i++) {
		const struct nf_rule *rule = &ch->r[i];
		char why[200];
		*bad = rule->id;
		if (nf_check_place(r, table, hook, rule, why, sizeof(why)) < 0) {
			if (ch->hook >= 0)
				FAIL("%s", why);
			FAIL("chain %s (called from %s): %s", ch->name, nf_hook_names[hook], why);
		}
		if (rule->target != NF_T_JUMP)
			continue;
		for (int k = 0; k <= depth; k++)
			if (path[k] == rule->u.jump) {
				char msg[256];
				int n = snprintf(msg, sizeof(msg), "jump loop:");
				for (int j = k; j <= depth && n > 0 && (size_t)n < sizeof(msg); j++)
					n += snprintf(msg + n, sizeof(msg) - (size_t)n, " %s ->",
						      t->c[path[j]].name);
				FAIL("%s %s", msg, t->c[rule->u.jump].name);
			}
		if (validate_chain(r, table, hook, rule->u.jump, path, depth + 1, bad, err,
				   errlen) < 0)
			return -1;
	}
	return 0;
}

int
nf_validate(const struct nf_rules *r, uint32_t *bad, char *err, size_t errlen)
{
	int path[NF_MAX_DEPTH + 2];
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < r->t[t].n_chains; c++) {
			int h = r->t[t].c[c].hook;
			if (h >= 0 && validate_chain(r, t, h, (int)c, path, 0, bad, err, errlen) < 0)
				return -1;
		}
	/* A user chain nothing calls can still loop on itself. */
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < r->t[t].n_chains; c++) {
			const struct nf_chain *ch = &r->t[t].c[c];
			if (ch->hook >= 0)
				continue;
			for (uint32_t i = 0; i < ch->n; i++)
				if (ch->r[i].target == NF_T_JUMP && ch->r[i].u.jump == c) {
					*bad = ch->r[i].id;
					FAIL("jump loop: %s -> %s", ch->name, ch->name);
				}
		}
	return 0;
}
