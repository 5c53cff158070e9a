/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Printing rules back in the file format (iptables-save), so that `cavctl
 * rule show` can be saved and loaded again.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ct.h"
#include "parse.h"
#include "rules.h"

struct out {
	char *buf;
	size_t len, n;
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->n < o->len ? o->len - o->n : 0;
	int k = vsnprintf(room ? o->buf + o->n : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n += (size_t)k;
}

static void
put_quoted(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++)
		put(o, (*s == '"' || *s == '\\') ? "\\%c" : "%c", *s);
	put(o, "\"");
}

static void
put_ports(struct out *o, const char *opt, uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == UINT16_MAX)
		return;
	if (lo == hi)
		put(o, " %s %u", opt, lo);
	else
		put(o, " %s %u:%u", opt, lo, hi);
}

static void
put_flags(struct out *o, uint8_t f)
{
	static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR"};
	if (f == 0) {
		put(o, "NONE");
		return;
	}
	if (f == 0xff) {
		put(o, "ALL");
		return;
	}
	bool first = true;
	for (int i = 0; i < 8; i++)
		if (f & (1u << i)) {
			put(o, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
}

static void
put_nat(struct out *o, const struct nf_nat_spec *n, bool addr)
{
	char a[16], b[16];
	if (addr) {
		put(o, "%s", fmt_ip4(n->addr_lo, a));
		if (n->addr_hi != n->addr_lo)
			put(o, "-%s", fmt_ip4(n->addr_hi, b));
		if (n->port_lo != 0)
			put(o, ":");
	}
	if (n->port_lo != 0) {
		put(o, "%u", n->port_lo);
		if (n->port_hi != n->port_lo)
			put(o, "-%u", n->port_hi);
	}
}

static const char *const reject_names[] = {
	[0] = "icmp-net-unreachable",  [1] = "icmp-host-unreachable", [2] = "icmp-proto-unreachable",
	[3] = "icmp-port-unreachable", [9] = "icmp-net-prohibited",   [10] = "icmp-host-prohibited",
	[13] = "icmp-admin-prohibited",
};

static void
rule_spec(struct out *o, const struct nf_rules *r, int table, const struct nf_rule *rule)
{
	const struct nf_match *m = &rule->m;
	char a[16];
	if (m->src_len != 0)
		put(o, " -s %s/%u", fmt_ip4(m->src, a), m->src_len);
	if (m->dst_len != 0)
		put(o, " -d %s/%u", fmt_ip4(m->dst, a), m->dst_len);
	if (m->in_port >= 0)
		put(o, " -i %s", r->ports[m->in_port]);
	if (m->out_port >= 0)
		put(o, " -o %s", r->ports[m->out_port]);
	switch (m->proto) {
	case 0:
		break;
	case IPPROTO_TCP:
		put(o, " -p tcp");
		break;
	case IPPROTO_UDP:
		put(o, " -p udp");
		break;
	case IPPROTO_ICMP:
		put(o, " -p icmp");
		break;
	default:
		put(o, " -p %u", m->proto);
		break;
	}
	put_ports(o, "--sport", m->sport_lo, m->sport_hi);
	put_ports(o, "--dport", m->dport_lo, m->dport_hi);
	if (m->icmp_type >= 0) {
		put(o, " --icmp-type %d", m->icmp_type);
		if (m->icmp_code_lo == m->icmp_code_hi)
			put(o, "/%u", m->icmp_code_lo);
	}
	if (m->tcp_mask != 0 || m->tcp_cmp != 0) {
		if (m->tcp_mask == 0x17 && m->tcp_cmp == 0x02) {
			put(o, " --syn");
		} else {
			put(o, " --tcp-flags ");
			put_flags(o, m->tcp_mask);
			put(o, " ");
			put_flags(o, m->tcp_cmp);
		}
	}
	if (m->ct_states != 0) {
		static const char *const st[] = {"NEW", "ESTABLISHED", "RELATED", "INVALID",
						 "UNTRACKED"};
		put(o, " -m conntrack --ctstate ");
		bool first = true;
		for (int i = 0; i < 5; i++)
			if (m->ct_states & (1u << i)) {
				put(o, "%s%s", first ? "" : ",", st[i]);
				first = false;
			}
	}
	if (m->dscp_lo != 0 || m->dscp_hi != 63)
		put(o, " -m dscp --dscp %u", m->dscp_lo);
	if (rule->comment[0] != '\0') {
		put(o, " -m comment --comment ");
		put_quoted(o, rule->comment);
	}
	switch (rule->target) {
	case NF_T_NONE:
		return;
	case NF_T_JUMP:
		put(o, " -j %s", r->t[table].c[rule->u.jump].name);
		return;
	default:
		put(o, " -j %s", nf_target_name(rule->target));
		break;
	}
	switch (rule->target) {
	case NF_T_REJECT:
		if (rule->u.reject.tcp_reset)
			put(o, " --reject-with tcp-reset");
		else if (rule->u.reject.code < sizeof(reject_names) / sizeof(reject_names[0]) &&
			 reject_names[rule->u.reject.code] != NULL)
			put(o, " --reject-with %s", reject_names[rule->u.reject.code]);
		break;
	case NF_T_LOG:
		if (rule->u.log.prefix[0] != '\0') {
			put(o, " --log-prefix ");
			put_quoted(o, rule->u.log.prefix);
		}
		if (rule->u.log.level != 4)
			put(o, " --log-level %u", rule->u.log.level);
		break;
	case NF_T_SNAT:
		put(o, " --to-source ");
		put_nat(o, &rule->u.nat, true);
		break;
	case NF_T_DNAT:
		put(o, " --to-destination ");
		put_nat(o, &rule->u.nat, true);
		break;
	case NF_T_MASQUERADE:
		if (rule->u.nat.port_lo != 0) {
			put(o, " --to-ports ");
			put_nat(o, &rule->u.nat, false);
		}
		break;
	case NF_T_TCPMSS:
		if (rule->u.tcpmss.mss == 0)
			put(o, " --clamp-mss-to-pmtu");
		else
			put(o, " --set-mss %u", rule->u.tcpmss.mss);
		break;
	default:
		break;
	}
}

size_t
nf_rule_format(const struct nf_rules *r, int table, const struct nf_rule *rule, char *buf,
	       size_t len)
{
	struct out o = {.buf = buf, .len = len};
	if (len > 0)
		buf[0] = '\0';
	rule_spec(&o, r, table, rule);
	/* Without the leading blank. */
	if (o.n > 0 && len > 0)
		memmove(buf, buf + 1, strlen(buf));
	return o.n > 0 ? o.n - 1 : 0;
}

size_t
nf_rules_format(const struct nf_rules *r, char *buf, size_t len, nf_counter_fn counter, void *ctx)
{
	struct out o = {.buf = buf, .len = len};
	if (len > 0)
		buf[0] = '\0';
	for (int t = 0; t < NF_TABLE_NB; t++) {
		const struct nf_table *tb = &r->t[t];
		put(&o, "*%s\n", nf_table_names[t]);
		for (uint32_t c = 0; c < tb->n_chains; c++) {
			const struct nf_chain *ch = &tb->c[c];
			if (ch->hook < 0) {
				put(&o, ":%s -\n", ch->name);
				continue;
			}
			put(&o, ":%s %s", ch->name, nf_target_name(ch->policy));
			if (counter != NULL) {
				struct nf_counter k = counter(ctx, t, (int)c, -1);
				put(&o, " [%lu:%lu]", (unsigned long)k.packets,
				    (unsigned long)k.bytes);
			}
			put(&o, "\n");
		}
		for (uint32_t c = 0; c < tb->n_chains; c++) {
			const struct nf_chain *ch = &tb->c[c];
			for (uint32_t i = 0; i < ch->n; i++) {
				if (counter != NULL) {
					struct nf_counter k = counter(ctx, t, (int)c, (int)i);
					put(&o, "[%lu:%lu] ", (unsigned long)k.packets,
					    (unsigned long)k.bytes);
				}
				put(&o, "-A %s", ch->name);
				rule_spec(&o, r, t, &ch->r[i]);
				put(&o, "\n");
			}
		}
		put(&o, "COMMIT\n");
	}
	return o.n;
}
