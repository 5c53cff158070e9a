/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP scenario runner, in packetdrill's spirit, for the pure core
 * (lib/tcp) on a fake clock. One line per event:
 *
 *   [+]TIME  < FLAGS SEQ:END(LEN) [ack N] [win N] [<OPTS>] [sport P] [ce]
 *   [+]TIME  > FLAGS SEQ:END(LEN) [ack N] [win N] [<OPTS>] [dport P] [ect]
 *   [+]TIME  CALL [ARGS] [= RESULT]
 *
 * TIME is seconds: "+0.100" after the previous line, "1.5" from the
 * start. Before each line the clock advances to its time in 1 ms steps,
 * running the stack's timer wheel at each step.
 *
 * "<" injects a segment from the peer (198.18.0.2:P, P = 40000 unless
 * sport) to us (198.18.0.1:8080). SEQ is relative to the peer's ISN
 * (`set remote_isn`), ack to our ISN, as packetdrill prints them. The
 * segment is written with tcp_write_hdr and parsed with tcp_parse, so
 * the wire code runs too. Payload bytes follow a pattern of their stream
 * offset; `read` checks them (out-of-order placement is verified).
 *
 * ">" expects the next segment the stack sent: FLAGS exactly ("S", "S.",
 * ".", "P.", "F.", "R", "R." ... "." is ACK), SEQ and LEN relative to our
 * ISN, ack (if given) relative to the peer's ISN, win (if given), and the
 * options exactly (none when no <...>). It must have been sent within
 * `tolerance_ms` (default 4) of TIME. Payload bytes are checked against
 * what `write` queued.
 *
 * Any segment sent and not expected by the next ">" line fails the
 * script at the first line that runs after it was sent; so does a ">"
 * with no segment by TIME + tolerance, and any mismatch. The error names
 * the line.
 *
 * OPTS (packetdrill's spelling, comma-separated): mss N, wscale N,
 * sackOK, nop, TS val V ecr E, sack L:R [L:R ...]. Our TS clock as
 * scripts see it is the fake clock in ms with the connection's offset
 * removed: script time 0 is 1000 (time 0.250 is 1250). In ">" lines TS
 * val is on that clock ("*": any) and ecr is the peer's TSval as
 * written; in "<" lines val is the peer's raw TSval and ecr is on our
 * clock (0 stays a literal 0; "ecr echo" echoes the last TSval we sent
 * to that port). A SYN-ACK sent without a connection (a SYN cookie) sets
 * the port's ISN for relative numbers. SACK edges are relative to the ISN of
 * the side whose data they cover: ours in "<" lines, the peer's in ">".
 *
 * Calls (on the current connection unless said otherwise):
 *   set NAME VALUE   before anything else: syn_retries synack_retries
 *                    retries2 quickacks init_cwnd rto_min_ms rto_initial_ms
 *                    msl2_ms fin_wait2_ms delack_min_ms delack_max_ms
 *                    ooo_max rcvbuf sndbuf mss remote_isn tolerance_ms
 *                    timestamps window_scaling sack (0|1) challenge_ack_limit
 *                    keepalive_time_s keepalive_intvl_s keepalive_probes
 *                    ecn (0|1|2) syncookies (0|1|2) cc reno|cubic
 *   listen [BACKLOG [SYNQ_MAX]]   a listener on port 8080
 *   connect [P]      active open to port P (40000)
 *   accept [= none]  take the oldest completed passive connection
 *   conn P           make the connection with peer port P current
 *   write N [= R]    queue N bytes (R: accepted, default N), tcp_output
 *   read N [= R]     consume N readable bytes (R: got, default N), checked
 *   shutdown_wr [= -ERRNO]  close [= ...]  abort  nodelay on|off
 *   keepalive on|off  keepidle S  keepintvl S  keepcnt N  user_timeout MS
 *   congestion NAME [= -ENOENT]       (socket options, [= RESULT] checked)
 *   icmp_frag_needed SEQ MTU [= R]    tcp_pmtu_update, SEQ relative to our ISN (R: 1)
 *   expect state NAME | error ERRNO|0 | readable N | eof | acceptq N |
 *          synq N | cwnd N | ssthresh N | rto_ms N | backoff N |
 *          snd_wnd N | mss N | ooo N | stat NAME N | rcv_wnd N
 *   tick             nothing (just lets the time pass)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "tcp_priv.h" /* pipe (RFC 6675 SetPipe) for `expect pipe` */

#define MAX_CONNS 32
#define MAX_QUEUE 256
#define BUF_MAX (1u << 20)
#define T0 1000000ull	  /* the script's time 0 on the fake clock (µs) */
#define LADDR 0xc6120001u /* 198.18.0.1 */
#define RADDR 0xc6120002u /* 198.18.0.2 */
#define LPORT 8080
#define RPORT 40000

struct conn {
	bool used;
	bool accepted;	 /* taken by `accept` (or active) */
	bool in_acceptq; /* TCP_EV_ACCEPT seen, not yet accepted */
	uint64_t accept_order;
	bool closed_ev;
	bool eof;
	int err_ev;
	struct tcp_pcb pcb;
	uint8_t *rbuf, *sbuf;
	uint32_t readable; /* bytes rcv_ready reported, not read */
	uint32_t rd;	   /* ring index of the next unread byte */
	uint64_t rd_off;   /* stream offset of it */
	uint64_t wr_off;   /* stream offset of the next byte `write` queues */
};

struct sent {
	struct tcp_out out;
	uint64_t when;
	uint32_t iss;  /* the connection's ISS when sent (relative numbers) */
	uint32_t ts_off; /* the connection's TSval offset when sent */
	char bad[160]; /* payload mismatch found at emit time */
};

struct runner {
	struct tcp_stack st;
	struct tcp_ops ops;
	struct tcp_conf conf;
	uint64_t now;
	uint64_t script_t; /* µs since T0 of the previous line */
	struct tcp_listen lst;
	bool listening;
	struct conn conns[MAX_CONNS];
	struct conn *cur;
	uint64_t accept_seq;
	struct sent q[MAX_QUEUE];
	unsigned qh, qn;
	uint32_t remote_isn;
	/* Per peer port: the ISS and TS offset of a stateless (SYN-cookie)
	 * SYN-ACK, and the last TSval sent (for "ecr echo"). */
	struct {
		uint16_t port;
		uint32_t iss, ts_off, tsval;
	} ports[MAX_CONNS];
	bool tw_reused;
	uint32_t tw_isn_want; /* old SND.NXT + 65537 at the last TIME-WAIT reuse */
	uint32_t rcvbuf, sndbuf;
	uint16_t mss;
	uint64_t tol;
	bool started; /* stack initialised */
	bool verbose;
	const char *name;
	int line;
	char *err;
	size_t errlen;
	bool failed;
};

static uint8_t
in_pat(uint64_t off)
{
	return (uint8_t)(off * 31 + 7);
}

static uint8_t
out_pat(uint64_t off)
{
	return (uint8_t)(off * 13 + 5);
}

static void
fail(struct runner *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = true;
	int n = snprintf(r->err, r->errlen, "%s:%d: ", r->name, r->line);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static struct conn *
conn_of_pcb(struct runner *r, struct tcp_pcb *pcb)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (r->conns[i].used && &r->conns[i].pcb == pcb)
			return &r->conns[i];
	return NULL;
}

static struct conn *
conn_by_port(struct runner *r, uint16_t port, bool live_only)
{
	struct conn *best = NULL;
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &r->conns[i];
		if (!c->used || c->pcb.tuple.rport != port)
			continue;
		if (c->pcb.state != TCPS_CLOSED)
			return c;
		if (!live_only)
			best = c;
	}
	return best;
}

static struct runner *
runner_of(struct tcp_stack *st)
{
	return st->user;
}

/* ---- callbacks ---- */

static unsigned
port_slot(struct runner *r, uint16_t port)
{
	unsigned free_i = 0;
	for (unsigned i = 0; i < MAX_CONNS; i++) {
		if (r->ports[i].port == port)
			return i;
		if (r->ports[i].port == 0 && free_i == 0)
			free_i = i + 1;
	}
	unsigned i = free_i != 0 ? free_i - 1 : 0;
	memset(&r->ports[i], 0, sizeof(r->ports[i]));
	r->ports[i].port = port;
	return i;
}

static const char *
flags_str(uint8_t f, char *b)
{
	char *p = b;
	if (f & TCP_SYN)
		*p++ = 'S';
	if (f & TCP_FIN)
		*p++ = 'F';
	if (f & TCP_RST)
		*p++ = 'R';
	if (f & TCP_PSH)
		*p++ = 'P';
	if (f & TCP_ACK)
		*p++ = '.';
	if (f & TCP_ECE)
		*p++ = 'E';
	if (f & TCP_CWR)
		*p++ = 'W';
	*p = '\0';
	return b;
}

static void
cb_emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	struct runner *r = runner_of(st);
	if (r->qn == MAX_QUEUE) {
		fail(r, "more than %d segments queued", MAX_QUEUE);
		return;
	}
	struct sent *s = &r->q[(r->qh + r->qn++) % MAX_QUEUE];
	memset(s, 0, sizeof(*s));
	s->out = *out;
	s->when = r->now;
	struct conn *c = pcb != NULL ? conn_of_pcb(r, pcb) : NULL;
	s->iss = pcb != NULL ? pcb->iss : 0;
	s->ts_off = pcb != NULL ? pcb->ts_off : 0;
	unsigned pi = port_slot(r, out->tuple.rport);
	if (pcb == NULL && (out->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
		/* A SYN cookie: relative numbers from it, as for a pcb. */
		r->ports[pi].iss = out->seq;
		r->ports[pi].ts_off = tcp_ts_offset(st->secret, &out->tuple);
		s->iss = out->seq;
		s->ts_off = r->ports[pi].ts_off;
	}
	if (out->opts & TCP_OPT_F_TS)
		r->ports[pi].tsval = out->tsval;
	/* Payload: the bytes `write` queued for these stream offsets. */
	if (out->len > 0 && c != NULL) {
		uint64_t stream = (uint32_t)(out->seq - pcb->iss - 1);
		for (uint32_t i = 0; i < out->len; i++) {
			uint32_t idx = (pcb->snd.head + out->data_off + i) & (pcb->snd.size - 1);
			if (c->sbuf[idx] != out_pat(stream + i)) {
				snprintf(s->bad, sizeof(s->bad),
					 "payload byte %u of segment seq %u is wrong", i,
					 out->seq - pcb->iss);
				break;
			}
		}
	}
	if (r->verbose) {
		char fb[8];
		fprintf(stderr, "  %.3f > %s %u:%u(%u) ack %u win %u\n",
			(double)(r->now - T0) / 1e6, flags_str(out->flags, fb), out->seq - s->iss,
			out->seq - s->iss + out->len, out->len, out->ack - r->remote_isn, out->wnd);
	}
}

static void
cb_copy_in(void *dst, const struct tcp_seg *seg, uint32_t off, uint32_t len)
{
	/* The payload handle is the stream offset of the segment's first
	 * payload byte, boxed. */
	const uint64_t *base = seg->payload;
	uint8_t *d = dst;
	for (uint32_t i = 0; i < len; i++)
		d[i] = in_pat(*base + (off + i));
}

static void
cb_rcv_ready(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	struct conn *c = conn_of_pcb(runner_of(st), pcb);
	if (c != NULL)
		c->readable += n;
}

static void
cb_snd_acked(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	(void)st;
	(void)pcb;
	(void)n;
}

static void
attach_buffers(struct runner *r, struct conn *c)
{
	c->pcb.rcv.data = c->rbuf;
	c->pcb.rcv.size = r->rcvbuf;
	c->pcb.rcv.tail = 0;
	c->pcb.snd.data = c->sbuf;
	c->pcb.snd.size = r->sndbuf;
	c->pcb.snd.head = 0;
	c->pcb.snd.len = 0;
	c->rd = 0;
}

static void
cb_event(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_event ev, int arg)
{
	struct runner *r = runner_of(st);
	struct conn *c = conn_of_pcb(r, pcb);
	if (c == NULL)
		return;
	switch (ev) {
	case TCP_EV_ACCEPT:
		c->in_acceptq = true;
		c->accept_order = r->accept_seq++;
		attach_buffers(r, c);
		break;
	case TCP_EV_PEER_FIN:
		c->eof = true;
		break;
	case TCP_EV_ERROR:
		c->err_ev = arg;
		break;
	case TCP_EV_CLOSED:
		c->closed_ev = true;
		if (c->in_acceptq && r->lst.acceptq_len > 0) {
			/* Reset before accept(): Linux leaves it in the queue to
			 * be accepted and fail; we drop it from the count. */
			r->lst.acceptq_len--;
			c->in_acceptq = false;
		}
		break;
	default:
		break;
	}
}

static struct conn *
conn_new(struct runner *r, uint16_t rport)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &r->conns[i];
		if (c->used)
			continue;
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->rbuf = calloc(1, r->rcvbuf);
		c->sbuf = calloc(1, r->sndbuf);
		struct tcp_tuple t = {LADDR, RADDR, LPORT, rport};
		tcp_pcb_init(&c->pcb, &t, r->mss);
		return c;
	}
	return NULL;
}

static struct tcp_pcb *
cb_pcb_alloc(struct tcp_stack *st, struct tcp_listen *lst, const struct tcp_tuple *t)
{
	(void)lst;
	struct conn *c = conn_new(runner_of(st), t->rport);
	return c != NULL ? &c->pcb : NULL;
}

/* ---- clock ---- */

static void
advance_to(struct runner *r, uint64_t target)
{
	while (r->now < target && !r->failed) {
		/* Nothing armed: no timer can fire, jump (long idle periods,
		 * e.g. PAWS's 24 days, would otherwise take seconds). */
		if (r->started && r->st.wheel.count == 0) {
			r->now = target;
			tcp_stack_timers(&r->st, r->now);
			break;
		}
		uint64_t step = r->now + 1000 - r->now % 1000;
		r->now = step < target ? step : target;
		tcp_stack_timers(&r->st, r->now);
	}
}

static void
start(struct runner *r)
{
	if (r->started)
		return;
	static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	tcp_stack_init(&r->st, &r->ops, &r->conf, secret, r->now);
	r->st.user = r;
	r->started = true;
}

/* ---- parsing ---- */

static char *
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

static bool
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

struct seg_spec {
	uint8_t flags;
	uint32_t seq, len;
	bool has_ack, has_win, has_opts;
	uint32_t ack, win;
	uint8_t opts;
	uint16_t mss;
	uint8_t wscale;
	uint16_t port;
	bool has_port;
	bool ts_any;  /* TS val * */
	bool ts_echo; /* "<": TS ecr echo (the last TSval we sent to that port) */
	bool ce;     /* "<": the IP header carried CE */
	bool ect;    /* ">": the glue must mark the IP header ECT(0) */
	uint32_t tsval, tsecr;
	uint8_t sack_n;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

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

static bool
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

static void
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
	uint32_t room = (tcp_hdr_len(o) - TCP_HDR_MIN - ((o->opts & TCP_OPT_F_TS) ? 12 : 0) - 4) / 8;
	uint32_t n = o->sack_n < room ? o->sack_n : room;
	char got[128] = "", want[128] = "";
	size_t gl = 0, wl = 0;
	for (uint32_t i = 0; i < n && gl < sizeof(got) - 24; i++)
		gl += (size_t)snprintf(got + gl, sizeof(got) - gl, " %u:%u",
				       o->sack[i].left - r->remote_isn, o->sack[i].right - r->remote_isn);
	for (uint32_t i = 0; i < sp->sack_n && wl < sizeof(want) - 24; i++)
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, " %u:%u", sp->sack[i].left,
				       sp->sack[i].right);
	if (strcmp(got, want) != 0) {
		fail(r, "sack%s, expected sack%s", got, want);
		return false;
	}
	return true;
}

static void
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
	else if ((o->opts & TCP_OPT_F_TS) && !sp->ts_any &&
		 o->tsval - s->ts_off != sp->tsval)
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

/* ---- calls ---- */

static struct conn *
need_cur(struct runner *r)
{
	if (r->cur == NULL)
		fail(r, "no current connection");
	return r->cur;
}

static bool
parse_result(char **rest, int64_t *v)
{
	char *t = next_tok(rest);
	if (t == NULL || strcmp(t, "=") != 0)
		return false;
	t = next_tok(rest);
	if (t == NULL)
		return false;
	if (t[0] == '-' && t[1] == 'E') {
		static const struct {
			const char *n;
			int e;
		} en[] = {{"ENOTCONN", ENOTCONN},
			  {"EINVAL", EINVAL},
			  {"EISCONN", EISCONN},
			  {"EALREADY", EALREADY},
			  {"ENOENT", ENOENT}};
		for (size_t i = 0; i < sizeof(en) / sizeof(en[0]); i++)
			if (strcmp(t + 1, en[i].n) == 0) {
				*v = -en[i].e;
				return true;
			}
		return false;
	}
	*v = strtoll(t, NULL, 0);
	return true;
}

static int
errno_of(const char *s)
{
	static const struct {
		const char *n;
		int e;
	} en[] = {{"0", 0},
		  {"ECONNREFUSED", ECONNREFUSED},
		  {"ECONNRESET", ECONNRESET},
		  {"ETIMEDOUT", ETIMEDOUT},
		  {"EPIPE", EPIPE}};
	for (size_t i = 0; i < sizeof(en) / sizeof(en[0]); i++)
		if (strcmp(s, en[i].n) == 0)
			return en[i].e;
	return -1;
}

static bool
set_param(struct runner *r, const char *name, uint32_t v)
{
	struct tcp_conf *c = &r->conf;
	if (r->started && strcmp(name, "tolerance_ms") != 0) {
		fail(r, "set after the stack started");
		return false;
	}
	if (!strcmp(name, "syn_retries"))
		c->syn_retries = v;
	else if (!strcmp(name, "synack_retries"))
		c->synack_retries = v;
	else if (!strcmp(name, "retries2"))
		c->retries2 = v;
	else if (!strcmp(name, "quickacks"))
		c->quickacks = v;
	else if (!strcmp(name, "init_cwnd"))
		c->init_cwnd = v;
	else if (!strcmp(name, "ooo_max"))
		c->ooo_max = v;
	else if (!strcmp(name, "rto_min_ms"))
		c->rto_min = v * 1000ull;
	else if (!strcmp(name, "rto_initial_ms"))
		c->rto_initial = v * 1000ull;
	else if (!strcmp(name, "msl2_ms"))
		c->msl2 = v * 1000ull;
	else if (!strcmp(name, "fin_wait2_ms"))
		c->fin_wait2 = v * 1000ull;
	else if (!strcmp(name, "delack_min_ms"))
		c->delack_min = v * 1000ull;
	else if (!strcmp(name, "delack_max_ms"))
		c->delack_max = v * 1000ull;
	else if (!strcmp(name, "remote_isn"))
		r->remote_isn = v;
	else if (!strcmp(name, "mss"))
		r->mss = (uint16_t)v;
	else if (!strcmp(name, "tolerance_ms"))
		r->tol = v * 1000ull;
	else if (!strcmp(name, "timestamps"))
		c->timestamps = v != 0;
	else if (!strcmp(name, "window_scaling"))
		c->window_scaling = v != 0;
	else if (!strcmp(name, "sack"))
		c->sack = v != 0;
	else if (!strcmp(name, "ecn"))
		c->ecn = (uint8_t)v;
	else if (!strcmp(name, "syncookies"))
		c->syncookies = (uint8_t)v;
	else if (!strcmp(name, "challenge_ack_limit"))
		c->challenge_ack_limit = v;
	else if (!strcmp(name, "keepalive_time_s"))
		c->keepalive_time = v * 1000000ull;
	else if (!strcmp(name, "keepalive_intvl_s"))
		c->keepalive_intvl = v * 1000000ull;
	else if (!strcmp(name, "keepalive_probes"))
		c->keepalive_probes = v;
	else if (!strcmp(name, "rcvbuf") || !strcmp(name, "sndbuf")) {
		if (v == 0 || (v & (v - 1)) != 0 || v > BUF_MAX) {
			fail(r, "%s must be a power of 2 up to %u", name, BUF_MAX);
			return false;
		}
		if (name[0] == 'r')
			r->rcvbuf = v;
		else
			r->sndbuf = v;
	} else {
		fail(r, "unknown parameter '%s'", name);
		return false;
	}
	return true;
}

static uint64_t
stat_of(struct runner *r, const char *name, bool *ok)
{
	const struct tcp_stats *s = &r->st.stats;
	*ok = true;
	if (!strcmp(name, "active_opens"))
		return s->active_opens;
	if (!strcmp(name, "passive_opens"))
		return s->passive_opens;
	if (!strcmp(name, "attempt_fails"))
		return s->attempt_fails;
	if (!strcmp(name, "estab_resets"))
		return s->estab_resets;
	if (!strcmp(name, "out_rsts"))
		return s->out_rsts;
	if (!strcmp(name, "in_rsts"))
		return s->in_rsts;
	if (!strcmp(name, "retrans_segs"))
		return s->retrans_segs;
	if (!strcmp(name, "timeouts"))
		return s->timeouts;
	if (!strcmp(name, "fast_retrans"))
		return s->fast_retrans;
	if (!strcmp(name, "persist_probes"))
		return s->persist_probes;
	if (!strcmp(name, "delayed_acks"))
		return s->delayed_acks;
	if (!strcmp(name, "listen_overflows"))
		return s->listen_overflows;
	if (!strcmp(name, "bad_transitions"))
		return s->bad_transitions;
	if (!strcmp(name, "paws_rejects"))
		return s->paws_rejects;
	if (!strcmp(name, "challenge_acks"))
		return s->challenge_acks;
	if (!strcmp(name, "challenge_acks_skipped"))
		return s->challenge_acks_skipped;
	if (!strcmp(name, "syn_challenges"))
		return s->syn_challenges;
	if (!strcmp(name, "rst_challenges"))
		return s->rst_challenges;
	if (!strcmp(name, "old_ack_drops"))
		return s->old_ack_drops;
	if (!strcmp(name, "keepalive_probes"))
		return s->keepalive_probes;
	if (!strcmp(name, "keepalive_timeouts"))
		return s->keepalive_timeouts;
	if (!strcmp(name, "user_timeouts"))
		return s->user_timeouts;
	if (!strcmp(name, "hystart_exits"))
		return s->hystart_exits;
	if (!strcmp(name, "sack_recoveries"))
		return s->sack_recoveries;
	if (!strcmp(name, "sack_retrans"))
		return s->sack_retrans;
	if (!strcmp(name, "dsack_sent"))
		return s->dsack_sent;
	if (!strcmp(name, "dsack_rcvd"))
		return s->dsack_rcvd;
	if (!strcmp(name, "lost_retrans"))
		return s->lost_retrans;
	if (!strcmp(name, "tlp_probes"))
		return s->tlp_probes;
	if (!strcmp(name, "limited_transmits"))
		return s->limited_transmits;
	if (!strcmp(name, "syncookies_sent"))
		return s->syncookies_sent;
	if (!strcmp(name, "syncookies_recv"))
		return s->syncookies_recv;
	if (!strcmp(name, "syncookies_failed"))
		return s->syncookies_failed;
	if (!strcmp(name, "pmtu_updates"))
		return s->pmtu_updates;
	if (!strcmp(name, "pmtu_rejected"))
		return s->pmtu_rejected;
	if (!strcmp(name, "ecn_ce_rcvd"))
		return s->ecn_ce_rcvd;
	if (!strcmp(name, "ecn_cwnd_reductions"))
		return s->ecn_cwnd_reductions;
	for (int d = 0; d < TCP_DROP__COUNT; d++)
		if (!strncmp(name, "drop_", 5) && !strcmp(name + 5, tcp_drop_name(d)))
			return s->drops[d];
	*ok = false;
	return 0;
}

static void
do_expect(struct runner *r, char **rest)
{
	char *what = next_tok(rest);
	char *arg = next_tok(rest);
	if (what == NULL || arg == NULL) {
		fail(r, "expect WHAT VALUE");
		return;
	}
	uint32_t v = 0;
	if (!strcmp(what, "stat")) {
		char *val = next_tok(rest);
		bool ok;
		uint64_t got = stat_of(r, arg, &ok);
		if (!ok || !parse_u32(val, &v))
			fail(r, "bad stat '%s'", arg);
		else if (got != v)
			fail(r, "stat %s is %" PRIu64 ", expected %u", arg, got, v);
		return;
	}
	if (!strcmp(what, "acceptq") || !strcmp(what, "synq")) {
		uint32_t got = what[0] == 'a' ? r->lst.acceptq_len : r->lst.synq_len;
		if (!parse_u32(arg, &v) || got != v)
			fail(r, "%s is %u, expected %s", what, got, arg);
		return;
	}
	struct conn *c = need_cur(r);
	if (c == NULL)
		return;
	struct tcp_pcb *p = &c->pcb;
	if (!strcmp(what, "state")) {
		int s = tcp_state_from_name(arg);
		if (s < 0)
			fail(r, "unknown state '%s'", arg);
		else if (p->state != s)
			fail(r, "state %s, expected %s", tcp_state_name(p->state),
			     tcp_state_name((unsigned)s));
		return;
	}
	if (!strcmp(what, "error")) {
		int e = errno_of(arg);
		if (e < 0)
			fail(r, "unknown errno '%s'", arg);
		else if (p->so_error != e)
			fail(r, "so_error %d, expected %s (%d)", p->so_error, arg, e);
		return;
	}
	if (!strcmp(what, "cc")) {
		struct tcp_pcb_info in;
		tcp_get_info(p, &in);
		if (strcmp(in.cc_name, arg) != 0)
			fail(r, "congestion control %s, expected %s", in.cc_name, arg);
		return;
	}
	if (!strcmp(what, "eof")) {
		bool want = strcmp(arg, "0") != 0;
		if (c->eof != want)
			fail(r, "eof %d, expected %d", c->eof, want);
		return;
	}
	if (!parse_u32(arg, &v)) {
		fail(r, "bad value '%s'", arg);
		return;
	}
	uint64_t got;
	if (!strcmp(what, "readable"))
		got = c->readable;
	else if (!strcmp(what, "cwnd"))
		got = p->cwnd;
	else if (!strcmp(what, "ssthresh"))
		got = p->ssthresh;
	else if (!strcmp(what, "rto_ms"))
		got = p->rto / 1000;
	else if (!strcmp(what, "backoff"))
		got = p->backoff;
	else if (!strcmp(what, "snd_wnd"))
		got = p->snd_wnd;
	else if (!strcmp(what, "rcv_wnd"))
		got = p->rcv_wnd;
	else if (!strcmp(what, "mss"))
		got = p->mss;
	else if (!strcmp(what, "ooo"))
		got = p->ooo_n;
	else if (!strcmp(what, "unacked"))
		got = p->snd_max - p->snd_una;
	else if (!strcmp(what, "snd_wscale") || !strcmp(what, "rcv_wscale") ||
		 !strcmp(what, "info_options")) {
		struct tcp_pcb_info in;
		tcp_get_info(p, &in);
		got = what[0] == 's' ? in.snd_wscale : what[0] == 'r' ? in.rcv_wscale : in.options;
	} else if (!strcmp(what, "ts_recent"))
		got = p->ts_recent;
	else if (!strcmp(what, "srtt_ms"))
		got = p->srtt / 1000;
	else if (!strcmp(what, "sacked"))
		got = p->sacked_out;
	else if (!strcmp(what, "pipe"))
		got = tcp_sack_pipe(p);
	else if (!strcmp(what, "iss_from_time_wait"))
		got = r->tw_reused && p->iss == r->tw_isn_want;
	else {
		fail(r, "unknown expectation '%s'", what);
		return;
	}
	if (got != v)
		fail(r, "%s is %" PRIu64 ", expected %u", what, got, v);
}

static void
call(struct runner *r, const char *cmd, char **rest)
{
	int64_t want;
	if (!strcmp(cmd, "set")) {
		char *n = next_tok(rest);
		uint32_t v;
		if (n != NULL && !strcmp(n, "cc")) { /* the stack's default: reno | cubic */
			char *name = next_tok(rest);
			if (r->started || (r->conf.cc = tcp_cc_find(name)) == NULL)
				fail(r, "set cc reno|cubic, before anything else");
			return;
		}
		if (n == NULL || !parse_u32(next_tok(rest), &v))
			fail(r, "set NAME VALUE");
		else
			set_param(r, n, v);
		return;
	}
	if (!strcmp(cmd, "tick"))
		return;
	if (!strcmp(cmd, "expect")) {
		start(r);
		do_expect(r, rest);
		return;
	}
	start(r);
	if (!strcmp(cmd, "listen")) {
		uint32_t bl = 128, sq = 0;
		char *t = next_tok(rest);
		if (t != NULL)
			parse_u32(t, &bl);
		t = next_tok(rest);
		if (t != NULL)
			parse_u32(t, &sq);
		memset(&r->lst, 0, sizeof(r->lst));
		r->lst.local = (struct tcp_tuple){LADDR, 0, LPORT, 0};
		r->lst.backlog = bl;
		r->lst.synq_max = sq;
		r->lst.adv_mss = r->mss;
		r->lst.rcv_space = r->rcvbuf;
		r->listening = true;
		return;
	}
	if (!strcmp(cmd, "connect")) {
		uint32_t port = RPORT;
		char *t = next_tok(rest);
		if (t != NULL)
			parse_u32(t, &port);
		struct conn *c = conn_new(r, (uint16_t)port);
		attach_buffers(r, c);
		c->pcb.rcv.space = r->rcvbuf;
		c->accepted = true;
		r->cur = c;
		int rc = tcp_connect(&r->st, &c->pcb, r->now);
		if (rc != 0)
			fail(r, "tcp_connect: %d", rc);
		return;
	}
	if (!strcmp(cmd, "accept")) {
		struct conn *best = NULL;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &r->conns[i];
			if (c->used && c->in_acceptq &&
			    (best == NULL || c->accept_order < best->accept_order))
				best = c;
		}
		char *t = next_tok(rest);
		bool none = t != NULL && !strcmp(t, "=") && (t = next_tok(rest)) != NULL &&
			    !strcmp(t, "none");
		if (none) {
			if (best != NULL)
				fail(r, "accept found a connection, expected none");
			return;
		}
		if (best == NULL) {
			fail(r, "accept: no connection ready");
			return;
		}
		best->in_acceptq = false;
		best->accepted = true;
		r->lst.acceptq_len--;
		r->cur = best;
		return;
	}
	if (!strcmp(cmd, "conn")) {
		uint32_t port = 0;
		if (!parse_u32(next_tok(rest), &port) ||
		    (r->cur = conn_by_port(r, (uint16_t)port, false)) == NULL)
			fail(r, "no connection with peer port %u", port);
		return;
	}
	struct conn *c = need_cur(r);
	if (c == NULL)
		return;
	struct tcp_pcb *p = &c->pcb;
	if (!strcmp(cmd, "write")) {
		uint32_t n;
		if (!parse_u32(next_tok(rest), &n)) {
			fail(r, "write N");
			return;
		}
		uint32_t room = p->snd.size - p->snd.len;
		uint32_t k = n < room ? n : room;
		for (uint32_t i = 0; i < k; i++)
			c->sbuf[(p->snd.head + p->snd.len + i) & (p->snd.size - 1)] =
			    out_pat(c->wr_off + i);
		c->wr_off += k;
		p->snd.len += k;
		if (!parse_result(rest, &want))
			want = n;
		if (k != want)
			fail(r, "write returned %u, expected %" PRId64, k, want);
		tcp_output(&r->st, p, r->now);
		return;
	}
	if (!strcmp(cmd, "read")) {
		uint32_t n;
		if (!parse_u32(next_tok(rest), &n)) {
			fail(r, "read N");
			return;
		}
		uint32_t k = n < c->readable ? n : c->readable;
		for (uint32_t i = 0; i < k; i++) {
			uint8_t b = c->rbuf[(c->rd + i) & (p->rcv.size - 1)];
			if (b != in_pat(c->rd_off + i)) {
				fail(r, "read: byte at stream offset %" PRIu64 " is wrong",
				     c->rd_off + i);
				return;
			}
		}
		c->rd += k;
		c->rd_off += k;
		c->readable -= k;
		if (!parse_result(rest, &want))
			want = n;
		if (k != want)
			fail(r, "read returned %u, expected %" PRId64, k, want);
		if (k > 0)
			tcp_recvd(&r->st, p, k, r->now);
		return;
	}
	if (!strcmp(cmd, "shutdown_wr")) {
		int rc = tcp_shutdown_wr(&r->st, p, r->now);
		if (!parse_result(rest, &want))
			want = 0;
		if (rc != want)
			fail(r, "shutdown_wr returned %d, expected %" PRId64, rc, want);
		return;
	}
	if (!strcmp(cmd, "close")) {
		tcp_close(&r->st, p, c->readable, r->now);
		return;
	}
	if (!strcmp(cmd, "abort")) {
		tcp_abort(&r->st, p, r->now);
		return;
	}
	if (!strcmp(cmd, "keepalive") || !strcmp(cmd, "keepidle") || !strcmp(cmd, "keepintvl") ||
	    !strcmp(cmd, "keepcnt") || !strcmp(cmd, "user_timeout") || !strcmp(cmd, "congestion")) {
		char *t = next_tok(rest);
		int rc;
		if (t == NULL) {
			fail(r, "%s VALUE", cmd);
			return;
		}
		int v = atoi(t);
		if (!strcmp(cmd, "keepalive"))
			rc = tcp_set_keepalive(&r->st, p, !strcmp(t, "on"), r->now);
		else if (!strcmp(cmd, "keepidle"))
			rc = tcp_set_keepidle(&r->st, p, v, r->now);
		else if (!strcmp(cmd, "keepintvl"))
			rc = tcp_set_keepintvl(p, v);
		else if (!strcmp(cmd, "keepcnt"))
			rc = tcp_set_keepcnt(p, v);
		else if (!strcmp(cmd, "user_timeout"))
			rc = tcp_set_user_timeout(p, v);
		else
			rc = tcp_set_congestion(&r->st, p, t, r->now);
		if (!parse_result(rest, &want))
			want = 0;
		if (rc != want)
			fail(r, "%s returned %d, expected %" PRId64, cmd, rc, want);
		return;
	}
	if (!strcmp(cmd, "icmp_frag_needed")) {
		uint32_t seq, mtu;
		if (!parse_u32(next_tok(rest), &seq) || !parse_u32(next_tok(rest), &mtu)) {
			fail(r, "icmp_frag_needed SEQ MTU");
			return;
		}
		int rc = tcp_pmtu_update(&r->st, p, p->iss + seq, mtu, r->now);
		if (!parse_result(rest, &want))
			want = 1;
		if (rc != want)
			fail(r, "tcp_pmtu_update returned %d, expected %" PRId64, rc, want);
		return;
	}
	if (!strcmp(cmd, "nodelay")) {
		char *t = next_tok(rest);
		tcp_set_nodelay(&r->st, p, t != NULL && !strcmp(t, "on"), r->now);
		return;
	}
	fail(r, "unknown call '%s'", cmd);
}

/* ---- driver ---- */

static void
run_line(struct runner *r, char *l)
{
	char *rest = l;
	char *t = next_tok(&rest);
	if (t == NULL || t[0] == '#' || t[0] == '/')
		return;
	/* TIME */
	bool rel = t[0] == '+';
	char *e;
	double sec = strtod(rel ? t + 1 : t, &e);
	if (*e != '\0' || sec < 0) {
		fail(r, "bad time '%s'", t);
		return;
	}
	uint64_t us = (uint64_t)(sec * 1e6 + 0.5);
	uint64_t st = rel ? r->script_t + us : us;
	if (st < r->script_t) {
		fail(r, "time goes backwards");
		return;
	}
	r->script_t = st;
	uint64_t abs_t = T0 + st;
	char *what = next_tok(&rest);
	if (what == NULL) {
		fail(r, "nothing after the time");
		return;
	}
	if (!strcmp(what, ">")) {
		struct seg_spec sp;
		start(r);
		if (parse_seg(r, &rest, &sp))
			expect_out(r, &sp, abs_t);
		return;
	}
	if (!strcmp(what, "set") && !r->started) {
		call(r, what, &rest);
		return;
	}
	start(r);
	advance_to(r, abs_t);
	if (r->failed)
		return;
	if (r->qn > 0) {
		struct sent *s = &r->q[r->qh];
		char fb[8];
		fail(r, "unexpected segment %s %u:%u(%u) ack %u sent at %.3f",
		     flags_str(s->out.flags, fb), s->out.seq - s->iss,
		     s->out.seq - s->iss + s->out.len, s->out.len, s->out.ack - r->remote_isn,
		     (double)(s->when - T0) / 1e6);
		return;
	}
	if (!strcmp(what, "<")) {
		struct seg_spec sp;
		if (parse_seg(r, &rest, &sp))
			inject(r, &sp);
		return;
	}
	call(r, what, &rest);
}

int
tcp_run_text(const char *name, const char *text, bool verbose, char *err, size_t errlen)
{
	struct runner *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	r->ops = (struct tcp_ops){
	    .emit = cb_emit,
	    .copy_in = cb_copy_in,
	    .rcv_ready = cb_rcv_ready,
	    .snd_acked = cb_snd_acked,
	    .event = cb_event,
	    .pcb_alloc = cb_pcb_alloc,
	};
	tcp_conf_default(&r->conf);
	/* Scripts run with SACK on (Linux's default), which the core's
	 * default leaves off for now (tcp_conf_default); `set sack 0`. */
	r->conf.sack = true;
	r->now = T0;
	r->remote_isn = 0;
	r->rcvbuf = 65536;
	r->sndbuf = 65536;
	r->mss = 1460;
	r->tol = 4000;
	r->verbose = verbose;
	r->name = name;
	r->err = err;
	r->errlen = errlen;
	err[0] = '\0';

	char *copy = strdup(text);
	int line = 0;
	/* strtok_r would skip empty lines and lose the numbering. */
	for (char *l = copy; l != NULL && !r->failed;) {
		char *nl = strchr(l, '\n');
		if (nl != NULL)
			*nl = '\0';
		r->line = ++line;
		run_line(r, l);
		l = nl != NULL ? nl + 1 : NULL;
	}
	if (!r->failed && r->qn > 0) {
		struct sent *s = &r->q[r->qh];
		char fb[8];
		r->line = line;
		fail(r, "unexpected segment %s %u:%u(%u) at the end (sent at %.3f)",
		     flags_str(s->out.flags, fb), s->out.seq - s->iss,
		     s->out.seq - s->iss + s->out.len, s->out.len, (double)(s->when - T0) / 1e6);
	}
	if (!r->failed && r->started && r->st.stats.bad_transitions != 0) {
		r->line = line;
		fail(r, "%" PRIu64 " state transitions outside the table",
		     r->st.stats.bad_transitions);
	}
	int rc = r->failed ? -1 : 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (r->conns[i].used) {
			free(r->conns[i].rbuf);
			free(r->conns[i].sbuf);
		}
	}
	free(copy);
	free(r);
	return rc;
}

int
tcp_run_script(const char *path, bool verbose, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t cap = 0, n = 0;
	char buf[4096];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			text = realloc(text, cap);
		}
		memcpy(text + n, buf, k);
		n += k;
	}
	fclose(f);
	if (text == NULL)
		text = calloc(1, 1);
	text[n] = '\0';
	int rc = tcp_run_text(path, text, verbose, err, errlen);
	free(text);
	return rc;
}
