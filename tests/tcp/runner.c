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
 *
 * Files: this one (callbacks, clock, driver), runner_seg.c ("<" and ">"
 * lines), runner_call.c (calls, `set`, `expect`), runner_priv.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "runner_priv.h"

void
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

struct conn *
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

unsigned
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

const char *
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

void
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

void
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

struct conn *
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

void
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

void
start(struct runner *r)
{
	if (r->started)
		return;
	static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	tcp_stack_init(&r->st, &r->ops, &r->conf, secret, r->now);
	r->st.user = r;
	r->started = true;
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
