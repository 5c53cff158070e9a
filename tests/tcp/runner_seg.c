/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP scenario runner's segment lines: tokens, "<" (inject a
 * peer segment through tcp_write_hdr/tcp_parse) and ">" (match the
 * next segment the stack sent). Format: runner.c's top comment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_priv.h"

/* ---- parsing ---- */

char *
next_tok(char **s)
{
	char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	char *b = p;
	if (*p == '<' && p[1] != ' ' && p[1] != '\t' &&
	    p[1] != '\0') { /* an option list is one token */
		while (*p != '\0' && *p != '>')
			p++;
		if (*p == '>')
			p++;
	} else {
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return b;
}

bool
parse_u32(const char *s, uint32_t *v)
{
	char *e;
	if (s == NULL)
		return false;
	unsigned long long x = strtoull(s, &e, 0);
	if (*e != '\0' || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool
parse_flags(const char *s, uint8_t *f)
{
	*f = 0;
	for (; *s; s++) {
		switch (*s) {
		case 'S':
			*f |= TCP_SYN;
			break;
		case 'F':
			*f |= TCP_FIN;
			break;
		case 'R':
			*f |= TCP_RST;
			break;
		case 'P':
			*f |= TCP_PSH;
			break;
		case '.':
			*f |= TCP_ACK;
			break;
		case 'E':
			*f |= TCP_ECE;
			break;
		case 'W':
			*f |= TCP_CWR;
			break;
		default:
			return false;
		}
	}
	return true;
}

static bool
parse_opts(struct runner *r, const char *tok, struct seg_spec *sp)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", tok + 1);
	char *e = strchr(buf, '>');
	if (e == NULL) {
		fail(r, "unterminated option list");
		return false;
	}
	*e = '\0';
	sp->has_opts = true;
	char *save = NULL;
	for (char *o = strtok_r(buf, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		while (*o == ' ')
			o++;
		uint32_t v;
		if (strncmp(o, "mss ", 4) == 0 && parse_u32(o + 4, &v)) {
			sp->opts |= TCP_OPT_F_MSS;
			sp->mss = (uint16_t)v;
		} else if (strncmp(o, "wscale ", 7) == 0 && parse_u32(o + 7, &v)) {
			sp->opts |= TCP_OPT_F_WSCALE;
			sp->wscale = (uint8_t)v;
		} else if (strcmp(o, "sackOK") == 0) {
			sp->opts |= TCP_OPT_F_SACK_OK;
		} else if (strcmp(o, "nop") == 0) {
			continue;
		} else if (strncmp(o, "TS val ", 7) == 0) {
			char vb[16], eb[16];
			if (sscanf(o + 7, "%15s ecr %15s", vb, eb) != 2 ||
			    (strcmp(eb, "echo") != 0 && !parse_u32(eb, &sp->tsecr)) ||
			    (strcmp(vb, "*") != 0 && !parse_u32(vb, &sp->tsval))) {
				fail(r, "bad TS option '%s'", o);
				return false;
			}
			sp->ts_any = strcmp(vb, "*") == 0;
			sp->ts_echo = strcmp(eb, "echo") == 0;
			sp->opts |= TCP_OPT_F_TS;
		} else if (strncmp(o, "sack ", 5) == 0) {
			char *p = o + 5;
			uint32_t a, b;
			int n;
			sp->opts |= TCP_OPT_F_SACK;
			while (sp->sack_n < TCP_MAX_SACK && sscanf(p, "%u:%u%n", &a, &b, &n) == 2) {
				sp->sack[sp->sack_n].left = a;
				sp->sack[sp->sack_n].right = b;
				sp->sack_n++;
				p += n;
				while (*p == ' ')
					p++;
			}
			if (sp->sack_n == 0 || *p != '\0') {
				fail(r, "bad sack option '%s'", o);
				return false;
			}
		} else {
			fail(r, "unknown option '%s'", o);
			return false;
		}
	}
	return true;
}

bool
parse_seg(struct runner *r, char **rest, struct seg_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	char *t = next_tok(rest);
	if (t == NULL || !parse_flags(t, &sp->flags)) {
		fail(r, "bad flags '%s'", t ? t : "");
		return false;
	}
	t = next_tok(rest);
	uint32_t s, e, l;
	if (t == NULL || sscanf(t, "%u:%u(%u)", &s, &e, &l) != 3 || e - s != l) {
		fail(r, "bad SEQ:END(LEN) '%s'", t ? t : "");
		return false;
	}
	sp->seq = s;
	sp->len = l;
	while ((t = next_tok(rest)) != NULL) {
		if (strcmp(t, "ack") == 0) {
			sp->has_ack = parse_u32(next_tok(rest), &sp->ack);
		} else if (strcmp(t, "win") == 0) {
			sp->has_win = parse_u32(next_tok(rest), &sp->win);
		} else if (strcmp(t, "sport") == 0 || strcmp(t, "dport") == 0) {
			uint32_t p = 0;
			sp->has_port = parse_u32(next_tok(rest), &p);
			sp->port = (uint16_t)p;
		} else if (t[0] == '<') {
			if (!parse_opts(r, t, sp))
				return false;
		} else if (strcmp(t, "ce") == 0) {
			sp->ce = true;
		} else if (strcmp(t, "ect") == 0) {
			sp->ect = true;
		} else {
			fail(r, "unexpected '%s'", t);
			return false;
		}
	}
	return true;
}

/* ---- "<" ---- */

void
inject(struct runner *r, const struct seg_spec *sp)
{
	uint16_t port = sp->has_port ? sp->port : RPORT;
	struct conn *c = conn_by_port(r, port, true);
	unsigned pi = port_slot(r, port);
	uint32_t iss = c != NULL ? c->pcb.iss : r->ports[pi].iss;
	/* Build the wire header as the peer would and parse it back. */
	struct tcp_out o = {
	    .tuple = {RADDR, LADDR, port, LPORT},
	    .seq = r->remote_isn + sp->seq,
	    .ack = sp->has_ack ? iss + sp->ack : 0,
	    .flags = sp->flags,
	    .wnd = (uint16_t)(sp->has_win ? sp->win : 65535),
	    .opts = sp->opts,
	    .mss = sp->mss,
	    .wscale = sp->wscale,
	    .tsval = sp->tsval,
	    .tsecr = sp->tsecr != 0 && c != NULL ? sp->tsecr + c->pcb.ts_off : 0,
	    .sack_n = sp->sack_n,
	};
	if (sp->ts_echo)
		o.tsecr = r->ports[pi].tsval;
	for (unsigned i = 0; i < sp->sack_n; i++) {
		o.sack[i].left = iss + sp->sack[i].left;
		o.sack[i].right = iss + sp->sack[i].right;
	}
	uint8_t pkt[TCP_HDR_MAX];
	uint32_t hl = tcp_write_hdr(pkt, &o);
	struct tcp_seg seg;
	enum tcp_drop pr = tcp_parse(pkt, hl + sp->len /* payload is virtual */, &seg);
	if (pr != TCP_DROP_NONE) {
		fail(r, "tcp_parse refused our segment: %s", tcp_drop_name(pr));
		return;
	}
	/* Stream offset of the first payload byte (relative seq 1 is offset 0). */
	uint64_t stream = (uint32_t)(sp->seq + !!(sp->flags & TCP_SYN) - 1);
	seg.payload = &stream;
	seg.ce = sp->ce;
	struct tcp_tuple t = {LADDR, RADDR, LPORT, port};
	if (r->verbose)
		fprintf(stderr, "  %.3f < %u:%u(%u)\n", (double)(r->now - T0) / 1e6, sp->seq,
			sp->seq + sp->len, sp->len);

	if (c != NULL) {
		enum tcp_in_result res = tcp_input(&r->st, &c->pcb, &seg, r->now, NULL);
		if (res != TCP_IN_TW_REUSE)
			return;
		/* The glue frees the TIME-WAIT pcb, the listener takes the SYN. */
		r->tw_reused = true;
		r->tw_isn_want = c->pcb.snd_nxt + 65535 + 2;
		if (!seg.has_isn || seg.isn != r->tw_isn_want)
			fail(r, "TIME-WAIT reuse without the ISN old SND.NXT + 65537");
		c->used = false;
		free(c->rbuf);
		free(c->sbuf);
		if (r->cur == c)
			r->cur = NULL;
	}
	if (r->listening) {
		struct tcp_pcb *np;
		tcp_listen_input(&r->st, &r->lst, &seg, &t, r->now, &np, NULL);
		return;
	}
	struct tcp_out rst;
	if (tcp_closed_input(&r->st, &seg, &t, &rst))
		cb_emit(&r->st, NULL, &rst);
}

/* ---- ">" ---- */

/* SACK blocks we sent acknowledge the peer's data: relative to its ISN.
 * Only the blocks the header has room for are compared (tcp_hdr_len). */
static bool
sack_equal(struct runner *r, const struct tcp_out *o, const struct seg_spec *sp)
{
	uint32_t room =
	    (tcp_hdr_len(o) - TCP_HDR_MIN - ((o->opts & TCP_OPT_F_TS) ? 12 : 0) - 4) / 8;
	uint32_t n = o->sack_n < room ? o->sack_n : room;
	char got[128] = "", want[128] = "";
	size_t gl = 0, wl = 0;
	for (uint32_t i = 0; i < n && gl < sizeof(got) - 24; i++)
		gl += (size_t)snprintf(got + gl, sizeof(got) - gl, " %u:%u",
				       o->sack[i].left - r->remote_isn,
				       o->sack[i].right - r->remote_isn);
	for (uint32_t i = 0; i < sp->sack_n && wl < sizeof(want) - 24; i++)
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, " %u:%u", sp->sack[i].left,
				       sp->sack[i].right);
	if (strcmp(got, want) != 0) {
		fail(r, "sack%s, expected sack%s", got, want);
		return false;
	}
	return true;
}

void
expect_out(struct runner *r, const struct seg_spec *sp, uint64_t t)
{
	advance_to(r, t > r->tol ? t - r->tol : 0);
	while (r->qn == 0 && r->now < t + r->tol && !r->failed)
		advance_to(r, r->now + 1000 - r->now % 1000);
	if (r->failed)
		return;
	if (r->qn == 0) {
		fail(r, "expected a segment by %.3f, none sent", (double)(t - T0) / 1e6);
		return;
	}
	struct sent *s = &r->q[r->qh];
	r->qh = (r->qh + 1) % MAX_QUEUE;
	r->qn--;
	const struct tcp_out *o = &s->out;
	char fe[8], fg[8];
	uint32_t seq = o->seq - s->iss, ack = o->ack - r->remote_isn;
	uint64_t dt = s->when > t ? s->when - t : t - s->when;
	if (dt > r->tol)
		fail(r, "segment sent at %.3f, expected at %.3f", (double)(s->when - T0) / 1e6,
		     (double)(t - T0) / 1e6);
	else if (o->flags != sp->flags)
		fail(r, "flags %s, expected %s (seq %u ack %u)", flags_str(o->flags, fg),
		     flags_str(sp->flags, fe), seq, ack);
	else if (seq != sp->seq || o->len != sp->len)
		fail(r, "segment %u:%u(%u), expected %u:%u(%u)", seq, seq + o->len, o->len, sp->seq,
		     sp->seq + sp->len, sp->len);
	else if (sp->has_ack && ack != sp->ack)
		fail(r, "ack %u, expected %u", ack, sp->ack);
	else if (sp->has_win && o->wnd != sp->win)
		fail(r, "win %u, expected %u", o->wnd, sp->win);
	else if (o->opts != sp->opts || ((o->opts & TCP_OPT_F_MSS) && o->mss != sp->mss))
		fail(r, "options 0x%x mss %u, expected 0x%x mss %u", o->opts, o->mss, sp->opts,
		     sp->mss);
	else if ((o->opts & TCP_OPT_F_WSCALE) && o->wscale != sp->wscale)
		fail(r, "wscale %u, expected %u", o->wscale, sp->wscale);
	else if ((o->opts & TCP_OPT_F_TS) && !sp->ts_any && o->tsval - s->ts_off != sp->tsval)
		fail(r, "TS val %u, expected %u", o->tsval - s->ts_off, sp->tsval);
	else if ((o->opts & TCP_OPT_F_TS) && o->tsecr != sp->tsecr)
		fail(r, "TS ecr %u, expected %u", o->tsecr, sp->tsecr);
	else if ((o->opts & TCP_OPT_F_SACK) && !sack_equal(r, o, sp))
		; /* failed inside */
	else if (o->ect != sp->ect)
		fail(r, "ECT %d, expected %d", o->ect, sp->ect);
	else if (sp->has_port && o->tuple.rport != sp->port)
		fail(r, "to port %u, expected %u", o->tuple.rport, sp->port);
	else if (s->bad[0] != '\0')
		fail(r, "%s", s->bad);
}
