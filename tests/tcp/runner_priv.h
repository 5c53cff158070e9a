/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP scenario runner's private parts, shared by its three files:
 * runner.c (callbacks into the fake stack, clock, driver),
 * runner_seg.c (the "<" / ">" segment lines) and runner_call.c (calls,
 * `set` parameters, `expect`). Not part of runner.h's interface.
 */
#ifndef CAV_TCP_RUNNER_PRIV_H
#define CAV_TCP_RUNNER_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp.h"
#include "tcp_priv.h" /* tcp_ts_offset (SYN cookies), `expect pipe` */

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
	uint32_t iss;	 /* the connection's ISS when sent (relative numbers) */
	uint32_t ts_off; /* the connection's TSval offset when sent */
	char bad[160];	 /* payload mismatch found at emit time */
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
	bool ce;      /* "<": the IP header carried CE */
	bool ect;     /* ">": the glue must mark the IP header ECT(0) */
	uint32_t tsval, tsecr;
	uint8_t sack_n;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

/* Payload patterns by stream offset: what the peer sends ("<") and
 * what `write` queues (checked in ">" and `read`). */
static inline uint8_t
in_pat(uint64_t off)
{
	return (uint8_t)(off * 31 + 7);
}

static inline uint8_t
out_pat(uint64_t off)
{
	return (uint8_t)(off * 13 + 5);
}

/* runner.c */
void fail(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct conn *conn_by_port(struct runner *r, uint16_t port, bool live_only);
unsigned port_slot(struct runner *r, uint16_t port);
const char *flags_str(uint8_t f, char *b);
void cb_emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out);
void attach_buffers(struct runner *r, struct conn *c);
struct conn *conn_new(struct runner *r, uint16_t rport);
void advance_to(struct runner *r, uint64_t target);
void start(struct runner *r);

/* runner_seg.c */
char *next_tok(char **s);
bool parse_u32(const char *s, uint32_t *v);
bool parse_seg(struct runner *r, char **rest, struct seg_spec *sp);
void inject(struct runner *r, const struct seg_spec *sp);
void expect_out(struct runner *r, const struct seg_spec *sp, uint64_t t);

/* runner_call.c */
void call(struct runner *r, const char *cmd, char **rest);

#endif
