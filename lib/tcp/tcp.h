/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cavalry's TCP protocol core: pure C (no DPDK, no mbufs, no clock reads,
 * no allocation on the segment path). docs/tcp-design.md, "The seam
 * between core and glue" and "The core (lib/tcp)", is the contract.
 *
 * Every entry point takes `now` in microseconds (uint64_t, never going
 * backwards for one stack). Segments are plain structs; payload bytes are
 * reached only through the glue's callbacks (struct tcp_ops). The core
 * emits segments by calling ops->emit; it never builds packets itself
 * beyond the TCP header (tcp_write_hdr).
 *
 * Byte order: every field of every struct in this header is in HOST byte
 * order (addresses, ports, sequence numbers). tcp_parse / tcp_write_hdr
 * convert at the wire.
 *
 * Thread safety: none. A struct tcp_stack and every pcb/listener it drives
 * belong to one worker; only that worker calls into the core for them.
 *
 * Urgent data is not supported: the URG flag and pointer are ignored on
 * input (the byte stays in the stream, as Linux with SO_OOBINLINE) and
 * never sent.
 *
 * Changes (after 05:45 UTC 2026-11-23 the header changes only additively):
 *   (until 06:00 only comments were reworded, no signature or field changed)
 *   issue 6 (RFC 7323): tcp_conf.window_scaling/timestamps/sack/ecn;
 *     TCP_MAX_WSCALE; tcp_pcb.ts_off/ts_last_ack/last_seg_rcv;
 *     tcp_stats.paws_rejects; tcp_pcb_info.options/snd_wscale/rcv_wscale;
 *     TCP_INFO_OPT_*; tcp_ts_now(); tcp_wscale_for().
 *   issue 6 (RFC 5961): tcp_conf.challenge_ack_limit; tcp_stack.chack_*;
 *     tcp_pcb.last_oow_ack; tcp_stats.challenge_acks/challenge_acks_skipped/
 *     syn_challenges/rst_challenges/old_ack_drops.
 *   issue 6 (keepalive): tcp_conf.keepalive_time/intvl/probes; tcp_pcb.t_keep,
 *     ka_*, user_timeout, una_ts; TCP_PF_KEEPALIVE; tcp_stats.keepalive_probes,
 *     keepalive_timeouts, user_timeouts; tcp_set_keepalive(), tcp_set_keepidle(),
 *     tcp_set_keepintvl(), tcp_set_keepcnt(), tcp_set_user_timeout().
 *   issue 6 (congestion control): struct tcp_cc_ops, tcp_cc_reno, tcp_cc_cubic,
 *     tcp_pcb.cc/cc_priv; tcp_conf.cc; tcp_set_congestion(), tcp_cc_find();
 *     tcp_pcb_info.cc_name; tcp_stats.hystart_exits.
 *   issue 6 (SACK): TCP_SB_MAX; tcp_pcb.sb/sb_n/high_rxt/lt_bytes/sack_recent/
 *     sack_recent_n/dsack/dsack_pending; TCP_PF_SACK_RECOVERY; tcp_stats.
 *     sack_recoveries/dsack_sent/dsack_rcvd/limited_transmits/sack_retrans.
 *   issue 6 (ECN): tcp_seg.ce; tcp_out.ect; tcp_pcb.ecn/ecn_recover; TCP_ECN_*;
 *     tcp_stats.ecn_ce_rcvd/ecn_cwnd_reductions.
 *   issue 6 (SYN cookies): tcp_conf.syncookies; tcp_listen.last_overflow;
 *     tcp_stats.syncookies_sent/recv/failed; tcp_syncookie_make/check();
 *     tcp_listen_input may return TCP_IN_OK with *newp == NULL (cookie
 *     SYN-ACK sent) and may create a pcb from an ACK.
 *   issue 6 (PMTUD): tcp_pcb.pmtu; TCP_MIN_PMTU; tcp_stats.pmtu_updates/
 *     pmtu_rejected; tcp_pmtu_update().
 *   R5 (TIME_WAIT reuse on connect): tcp_pcb.tw_iss; TCP_TW_REUSE_DELAY_US;
 *     tcp_tw_reusable(), tcp_tw_reuse_into().
 *   R5 (loss recovery): TCP_RXT_LOG 6 -> 16; tcp_pcb.rack_*, t_reo, tlp_n, undo_*;
 *     tcp_stats.rack_recoveries/rack_reo_timeouts/rack_lost_rxt/undo_eifel/
 *     undo_dsack.
 *   issue 6 (ss -ti, G6a): tcp_pcb_info.lost/timer/timer_count/timer_at/
 *     keepalive/user_timeout; TCP_INFO_TIMER_*.
 *   S3 (file split, no change): struct tcp_conf, struct tcp_stats, struct
 *     tcp_pcb_info and TCP_INFO_* moved to tcp_conf.h, which tcp.h includes.
 */
#ifndef CAV_TCP_H
#define CAV_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_timer.h"

/* ---------------------------------------------------------------------- */
/* Sequence arithmetic (RFC 9293 §3.4, modulo 2^32)                        */
/* ---------------------------------------------------------------------- */

static inline bool
tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool
tcp_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool
tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool
tcp_seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
static inline uint32_t
tcp_seq_max(uint32_t a, uint32_t b)
{
	return tcp_seq_gt(a, b) ? a : b;
}
static inline uint32_t
tcp_seq_min(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? a : b;
}

/* ---------------------------------------------------------------------- */
/* States: Linux's numbering, which is what the shm `tcp_state` word and   */
/* `ss` show. The TCPS_ prefix avoids <netinet/tcp.h>'s TCP_ESTABLISHED.   */
/* ---------------------------------------------------------------------- */

enum tcp_state {
	TCPS_NONE = 0, /* never used by a live pcb; datagram sockets publish 0 */
	TCPS_ESTABLISHED = 1,
	TCPS_SYN_SENT = 2,
	TCPS_SYN_RCVD = 3, /* Linux TCP_SYN_RECV */
	TCPS_FIN_WAIT_1 = 4,
	TCPS_FIN_WAIT_2 = 5,
	TCPS_TIME_WAIT = 6,
	TCPS_CLOSED = 7, /* Linux TCP_CLOSE */
	TCPS_CLOSE_WAIT = 8,
	TCPS_LAST_ACK = 9,
	TCPS_LISTEN = 10,
	TCPS_CLOSING = 11,
	TCPS__COUNT = 12,
};

/* Flags (the low byte of the header's 13th-14th octets). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* Options present (struct tcp_seg.opts, struct tcp_out.opts). */
#define TCP_OPT_F_MSS 0x01
#define TCP_OPT_F_WSCALE 0x02
#define TCP_OPT_F_SACK_OK 0x04
#define TCP_OPT_F_SACK 0x08
#define TCP_OPT_F_TS 0x10

#define TCP_HDR_MIN 20u
#define TCP_HDR_MAX 60u
#define TCP_DEFAULT_MSS 536u /* RFC 9293 §3.7.1 / RFC 1122 4.2.2.6: no MSS option */
#define TCP_MIN_MSS 88u	     /* Linux TCP_MIN_SND_MSS: a peer's MSS is clamped up to it */
#define TCP_MAX_SACK 4u
#define TCP_OOO_MAX 32u	      /* out-of-order intervals tracked per pcb */
#define TCP_SB_MAX 16u	      /* SACK scoreboard intervals per pcb (sender) */
#define TCP_RXT_LOG 16u	      /* retransmissions remembered for loss detection (R5: was 6) */
#define TCP_MIN_PMTU 552u     /* Linux min_pmtu: a smaller ICMP MTU is raised to it */
#define TCP_MAX_WINDOW 65535u /* the 16-bit window field */
#define TCP_MAX_WSCALE 14u    /* RFC 7323 §2.3: larger shifts are used as 14 */

/* ---------------------------------------------------------------------- */
/* Drop reasons: one counter each (struct tcp_stats.drops[])               */
/* ---------------------------------------------------------------------- */

enum tcp_drop {
	TCP_DROP_NONE = 0,
	TCP_DROP_HDR_SHORT,	/* tcp_parse: fewer than 20 bytes / data offset past the segment */
	TCP_DROP_HDR_DOFF,	/* tcp_parse: data offset < 5 */
	TCP_DROP_OPT_BAD,	/* tcp_parse: option length 0/1 or running past the header */
	TCP_DROP_BAD_FLAGS,	/* SYN+FIN, SYN+RST, no ACK in a synchronized state ... */
	TCP_DROP_NOT_SYN,	/* a listener got something other than a SYN (and no RST was due) */
	TCP_DROP_SYNQ_FULL,	/* listener: SYN queue at its bound */
	TCP_DROP_ACCEPTQ_FULL,	/* listener: accept queue full (SYN or completing ACK dropped) */
	TCP_DROP_NO_PCB,	/* pcb_alloc callback returned NULL */
	TCP_DROP_OUT_OF_WINDOW, /* RFC 9293 step 1: not acceptable (an ACK was sent if not RST) */
	TCP_DROP_RST_OUT_OF_WINDOW, /* RST with seq outside the window: ignored */
	TCP_DROP_BAD_ACK,	    /* ACK of something not yet sent (ACK sent back) */
	TCP_DROP_OLD_ACK,	    /* SYN-SENT: ACK outside ISS..SND.NXT (RST sent) */
	TCP_DROP_OOO_FULL,	    /* more than TCP_OOO_MAX out-of-order holes */
	TCP_DROP_RCV_NO_BUF,	    /* payload beyond the receive space / no buffer attached yet */
	TCP_DROP_DATA_AFTER_CLOSE,  /* data after the app closed: RST (Linux TCPAbortOnData) */
	TCP_DROP_STATE,		    /* segment not valid in this state (e.g. CLOSED pcb) */
	TCP_DROP_TW,		    /* TIME_WAIT: segment dropped (ACK may have been resent) */
	TCP_DROP__COUNT,
};

/* ---------------------------------------------------------------------- */
/* Segments                                                                */
/* ---------------------------------------------------------------------- */

/* A connection's 4-tuple, host byte order; "local" is this host. */
struct tcp_tuple {
	uint32_t laddr;
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
};

struct tcp_sack_block {
	uint32_t left;
	uint32_t right;
};

/*
 * A parsed incoming segment (tcp_parse fills everything but the payload
 * handle, which the glue sets). Options are all parsed now; issue 5
 * negotiates only MSS, the rest is kept for issue 6 (window scale,
 * SACK, timestamps).
 */
struct tcp_seg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;	 /* TCP_FIN ... TCP_CWR */
	uint8_t hdr_len; /* 20..60 */
	uint16_t wnd;	 /* as on the wire (unscaled) */
	uint16_t urp;	 /* ignored (urgent data not supported) */
	uint8_t opts;	 /* TCP_OPT_F_* present */
	uint8_t wscale;	 /* TCP_OPT_F_WSCALE */
	uint16_t mss;	 /* TCP_OPT_F_MSS */
	uint8_t sack_n;	 /* TCP_OPT_F_SACK: blocks in sack[] */
	struct tcp_sack_block sack[TCP_MAX_SACK];
	uint32_t tsval; /* TCP_OPT_F_TS */
	uint32_t tsecr;
	uint32_t len; /* payload bytes */
	/* Payload: opaque to the core; only ops->copy_in reads it. */
	const void *payload;
	uint32_t payload_off;
	/*
	 * Set by tcp_input when it returns TCP_IN_TW_REUSE: the ISN the new
	 * connection must use (Linux: old SND.NXT + 65535 + 2). The glue
	 * passes the segment on to tcp_listen_input, which uses it.
	 */
	bool has_isn;
	uint32_t isn;
	/* Issue 6, RFC 3168: the glue sets it when the IP header carried CE
	 * (ECN field 11). */
	bool ce;
};

/*
 * A segment the core wants sent. The glue builds the packet: IP header
 * from the tuple, TCP header with tcp_write_hdr, payload = `len` bytes of
 * the pcb's send buffer starting at ring index sndbuf.head + data_off
 * (wrap at sndbuf.size), checksum.
 */
struct tcp_out {
	struct tcp_tuple tuple;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint8_t opts; /* TCP_OPT_F_* to write */
	uint16_t wnd; /* already scaled down */
	uint16_t mss;
	uint8_t wscale;
	uint8_t sack_n;
	struct tcp_sack_block sack[TCP_MAX_SACK];
	uint32_t tsval;
	uint32_t tsecr;
	uint32_t data_off; /* payload: offset from SND.UNA's byte in the send buffer */
	uint32_t len;	   /* payload bytes (0: none) */
	bool rtx;	   /* a retransmission (for counters/trace) */
	/* Issue 6, RFC 3168 §6.1.5: mark the IP header ECT(0) (ECN field
	 * 10). Set only on new data of an ECN connection: never on SYNs,
	 * pure ACKs, retransmissions, probes. */
	bool ect;
};

/* ---------------------------------------------------------------------- */
/* Buffers seen by the core                                                */
/* ---------------------------------------------------------------------- */

/*
 * Send buffer: the client's TX ring. `head` is the free-running ring index
 * of SND.UNA's first data byte; `len` bytes queued by the app from head;
 * `fin`: the app shut down writing after those bytes. The glue refreshes
 * `len` and `fin` (from the client's published index) before tcp_output;
 * the core advances head and decreases len when data is acknowledged (and
 * then calls ops->snd_acked), and never touches `data`.
 */
struct tcp_sndbuf {
	uint8_t *data;
	uint32_t size; /* 2^n */
	uint32_t head;
	uint32_t len;
	bool fin;
};

/*
 * Receive buffer: the client's RX ring. `tail` is the free-running ring
 * index of RCV.NXT's byte (the producer index not yet published), `space`
 * the free bytes from tail the app has left. The core writes accepted
 * payload at tail + (seq - RCV.NXT) through ops->copy_in, advances tail
 * and decreases space on in-order data, and reports the bytes with
 * ops->rcv_ready. The glue raises `space` when the app consumes
 * (tcp_recvd does it and sends a window update if due). data == NULL:
 * no buffer attached yet (a SYN_RCVD pcb before TCP_EV_ACCEPT); payload
 * is then not accepted.
 */
struct tcp_rcvbuf {
	uint8_t *data;
	uint32_t size; /* 2^n */
	uint32_t tail;
	uint32_t space;
};

/* ---------------------------------------------------------------------- */
/* Events, callbacks                                                       */
/* ---------------------------------------------------------------------- */

enum tcp_event {
	TCP_EV_STATE,	   /* arg: the previous state (pcb->state is the new one) */
	TCP_EV_CONNECTED,  /* active open completed (SYN_SENT -> ESTABLISHED or SYN_RCVD ->
			      ESTABLISHED of an active/simultaneous open) */
	TCP_EV_ACCEPT,	   /* passive open completed: pcb->listener's accept queue grew by one;
			      the glue attaches buffers (rcvbuf/sndbuf) now, in the callback */
	TCP_EV_PEER_FIN,   /* the peer's FIN was received in order: EOF after the readable bytes */
	TCP_EV_ERROR,	   /* arg: errno (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE);
			      also stored in pcb->so_error. A TCP_EV_CLOSED follows. */
	TCP_EV_CLOSED,	   /* the pcb reached CLOSED and left the timer wheel; once the core
			      call that raised it returns, the core will not touch it again (the
			      glue unhashes it now, frees it after that call, once the app closed) */
	TCP_EV_WRITE_DONE, /* our FIN was acknowledged (all sent data acknowledged) */
	TCP_EV__COUNT,
};

struct tcp_stack;
struct tcp_pcb;
struct tcp_listen;

struct tcp_ops {
	/* Send one segment. pcb is NULL for an RST that belongs to no pcb
	 * (listener or closed port). */
	void (*emit)(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out);
	/* Copy `len` bytes of a segment's payload (seg->payload, starting at
	 * seg->payload_off + off) to dst. */
	void (*copy_in)(void *dst, const struct tcp_seg *seg, uint32_t off, uint32_t len);
	/* `n` more in-order bytes are readable (rcvbuf.tail moved by n): publish + wake. */
	void (*rcv_ready)(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n);
	/* `n` bytes of the send buffer were acknowledged (sndbuf.head moved by n):
	 * release them to the app + wake writers. */
	void (*snd_acked)(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n);
	/* Something happened (enum tcp_event); arg as documented there. */
	void (*event)(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_event ev, int arg);
	/* A SYN for listener `lst` needs a pcb (SYN_RCVD). Return a pcb the
	 * core then initialises with tcp_pcb_init (only pcb->user survives),
	 * or NULL (counted as TCP_DROP_NO_PCB). The glue hashes it under `t`
	 * and sets pcb->user; the core sets pcb->listener = lst. */
	struct tcp_pcb *(*pcb_alloc)(struct tcp_stack *st, struct tcp_listen *lst,
				     const struct tcp_tuple *t);
};

/* ---------------------------------------------------------------------- */
/* Configuration, counters, stack                                          */
/* ---------------------------------------------------------------------- */

#include "tcp_conf.h" /* struct tcp_conf, struct tcp_stats, struct tcp_pcb_info */

/* One per worker. */
struct tcp_stack {
	const struct tcp_ops *ops;
	struct tcp_conf conf;
	uint8_t secret[16]; /* RFC 6528 key; random, set at init */
	struct tcp_stats stats;
	struct tcp_wheel wheel;
	/* RFC 5961 §7 stack-wide challenge-ACK budget (issue 6). */
	uint64_t chack_sec;   /* the second (now / 1 s) the budget is for */
	uint32_t chack_left;  /* challenge ACKs left in it */
	void *user;
};

/* ---------------------------------------------------------------------- */
/* Listener                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Listener state. Queue rules (as Linux 6.x): a SYN is dropped when
 * synq_len >= synq_max (tcp_max_syn_backlog; no syncookies) or when the
 * accept queue is full; the ACK that completes a handshake is dropped
 * (the pcb stays SYN_RCVD, the SYN-ACK will be retransmitted) while the
 * accept queue is full. "Full" is Linux's sk_acceptq_is_full:
 * acceptq_len > backlog (so backlog 0 still accepts one connection).
 * The core increments synq_len when it creates a SYN_RCVD pcb and
 * decrements it when that pcb leaves SYN_RCVD; it increments acceptq_len
 * when it raises TCP_EV_ACCEPT; the glue decrements acceptq_len when the
 * app takes the connection (or it is dropped before being accepted).
 */
struct tcp_listen {
	struct tcp_tuple local; /* laddr (0 = any), lport; raddr/rport unused */
	uint32_t backlog;
	uint32_t synq_max;
	uint32_t synq_len;
	uint32_t acceptq_len;
	uint16_t adv_mss;   /* MSS to advertise if the glue does not set pcb->adv_mss */
	uint32_t rcv_space; /* receive window offered in the SYN-ACK (the new socket's buffer) */
	bool nodelay;	    /* inherited by accepted pcbs */
	uint64_t last_overflow; /* µs of the last SYN answered by a cookie (0: never) */
	void *user;
};

/* ---------------------------------------------------------------------- */
/* The connection (RFC 9293 §3.3.1 TCB and the rest)                       */
/* ---------------------------------------------------------------------- */

struct tcp_ooo {
	uint32_t start; /* sequence numbers, [start, end) held in rcvbuf ahead of tail */
	uint32_t end;
};

/* pcb->flags */
#define TCP_PF_NODELAY 0x0001	  /* TCP_NODELAY */
#define TCP_PF_APP_CLOSED 0x0002  /* tcp_close called: orphan; data received -> RST */
#define TCP_PF_FIN_SENT 0x0004	  /* our FIN has a sequence number (snd_fin_seq valid) */
#define TCP_PF_FIN_RCVD 0x0008	  /* the peer's FIN was received in order */
#define TCP_PF_ACK_NOW 0x0010	  /* send an ACK at the next tcp_output */
#define TCP_PF_IN_RECOVERY 0x0020 /* NewReno fast recovery */
#define TCP_PF_RTT_TIMING 0x0040  /* rtt_seq is being timed */
#define TCP_PF_SND_SHUT 0x0080	  /* shutdown write requested (FIN queued after sndbuf) */
#define TCP_PF_ACTIVE 0x0100	  /* this end sent the first SYN */
#define TCP_PF_PERSIST 0x0200	  /* persist (zero-window probe) timer armed */
#define TCP_PF_RTX_SYN 0x0400	  /* SYN/SYN-ACK retransmission mode */
#define TCP_PF_FIN_OOO 0x0800	  /* a FIN arrived beyond a hole (rcv_fin_seq) */
#define TCP_PF_PASSIVE 0x1000	  /* born from a listener (SYN_RCVD -> CLOSED on RST) */
#define TCP_PF_KEEPALIVE 0x2000	  /* SO_KEEPALIVE */
#define TCP_PF_SACK_RECOVERY 0x4000 /* the recovery in progress is RFC 6675's */
#define TCP_PF_SACK_LOSS 0x8000	    /* ... entered by an RTO: every hole below loss_end is lost */

/* pcb->ecn */
#define TCP_ECN_OK 0x01	      /* negotiated on the handshake */
#define TCP_ECN_ECHO 0x02     /* receiver: CE seen, set ECE until the peer's CWR */
#define TCP_ECN_SEND_CWR 0x04 /* sender: reduced for ECE, CWR on the next new data */

struct tcp_pcb {
	/* --- hot: input --- */
	uint8_t state;	/* enum tcp_state */
	uint16_t flags; /* TCP_PF_* */
	struct tcp_tuple tuple;

	/* Send sequence variables (RFC 9293 §3.3.1) */
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max; /* highest sequence sent (snd_nxt falls back on RTO) */
	uint32_t snd_wnd; /* peer's window, bytes (scaled once issue 6 negotiates it) */
	uint32_t snd_wl1;
	uint32_t snd_wl2;
	uint32_t max_sndwnd; /* largest window the peer offered (SWS, RFC 9293 §3.8.6.2.1) */
	uint8_t snd_wscale;  /* 0 until issue 6 */

	/* Receive sequence variables */
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_wnd; /* last window advertised */
	uint32_t rcv_adv; /* right edge advertised: rcv_nxt + rcv_wnd at last send */
	uint8_t rcv_wscale;

	/* MSS: what we advertise (from the route MTU, set by the glue before
	 * connect / by the listener) and the effective sending MSS. */
	uint16_t adv_mss;
	uint16_t mss;

	/* Options negotiated on the handshake (TCP_OPT_F_WSCALE / SACK_OK /
	 * TS: both sides sent them), RFC 7323 TS.Recent and when it was
	 * taken (µs), SACK scoreboard size (not implemented yet). */
	uint8_t opt_ok;
	uint32_t ts_recent;
	uint64_t ts_recent_age;
	uint32_t sacked_out;
	uint32_t ts_off;      /* TSval = now in ms + ts_off (Linux secure_tcp_ts_off) */
	uint32_t ts_last_ack; /* RFC 7323 §4.3 Last.ACK.sent */
	uint64_t last_seg_rcv; /* last acceptable segment (keepalive idle) */
	uint64_t last_oow_ack; /* last challenge ACK sent (per-pcb rate limit) */

	/* SACK (issue 6). Sender: the scoreboard, sorted disjoint SACKed
	 * intervals above SND.UNA; RFC 6675 HighRxt; RFC 3042 bytes sent by
	 * limited transmit. Receiver: the starts of the latest out-of-order
	 * segments (most recent first, RFC 2018 block order) and a pending
	 * D-SACK block (RFC 2883). */
	uint8_t sb_n;
	struct tcp_sack_block sb[TCP_SB_MAX];
	uint32_t high_rxt;
	uint32_t lt_bytes;
	uint8_t sack_recent_n;
	uint32_t sack_recent[TCP_MAX_SACK];
	bool dsack_pending;
	struct tcp_sack_block dsack;
	/* Sender, lost retransmissions (Linux's pre-RACK tcp_mark_lost_retrans):
	 * the latest retransmissions, each with SND.MAX when it left; data
	 * sent after it SACKed while it is still a hole means it was lost
	 * too. loss_end: SND.MAX at the RTO that started TCP_PF_SACK_LOSS. */
	struct {
		uint32_t seq, mark;
	} rxt_log[TCP_RXT_LOG];
	uint8_t rxt_log_n;
	uint32_t loss_end;
	/* RACK (RFC 8985) by send order, without per-segment send times
	 * (R5; docs/tcp-design.md "RACK"): data first sent at sequence s
	 * left before data at s' > s, and a retransmission logged with
	 * mark M (SND.MAX then) before anything first sent at or above M.
	 * rack_key: the right edge of the highest SACKed byte (the latest
	 * send known delivered); holes sent before rack_lost are lost;
	 * rack_pend becomes rack_lost when the reorder window (t_reo)
	 * passes, rack_next waits behind it. */
	uint32_t rack_key;
	uint32_t rack_lost;
	uint32_t rack_pend;
	uint32_t rack_next;
	uint32_t rack_min_rtt; /* µs, smallest RTT sample (reo_wnd = mult * min_rtt / 4) */
	uint8_t rack_reo_mult; /* RFC 8985 §6.2.4 reo_wnd_mult, raised by D-SACKs */
	bool rack_reord;       /* reordering seen (RACK.reord) */
	uint64_t t_reo;	       /* reorder timer (µs, 0 = not armed) */
	uint8_t tlp_n;	       /* tail loss probes since SND.UNA moved (tcp_timers.c) */
	/* The ISS tcp_connect must use (tcp_tw_reuse_into: a TIME_WAIT
	 * tuple taken over), 0 = pick one (RFC 6528). */
	uint32_t tw_iss;
	/* Undo of a spurious reduction (R5; RFC 3522 Eifel with timestamps,
	 * RFC 3708 D-SACK, as Linux's tcp_try_undo_*): cwnd and ssthresh
	 * before the episode's reduction (undo_cwnd 0 = nothing to undo),
	 * our TSval when its first retransmission left, the retransmitted
	 * range and how many of its retransmissions no D-SACK showed
	 * spurious yet. */
	uint32_t undo_cwnd;
	uint32_t undo_ssthresh;
	uint32_t undo_ts;
	uint32_t undo_lo;
	uint32_t undo_hi;
	uint16_t undo_rxt;
	bool undo_rto; /* the episode began with an RTO (not a RACK/SACK loss mark) */
	/* RFC 8985 §7 tail loss probe: t_rtx is the probe timeout (PTO),
	 * not the RTO; a probe went out and SND.UNA has not moved since. */
	bool tlp_armed;
	bool tlp_sent;

	/* ECN (issue 6, RFC 3168): TCP_ECN_* and the sequence number up to
	 * which one window's reduction covers further ECEs. */
	uint8_t ecn;
	uint32_t ecn_recover;

	/* Path MTU learnt from ICMP frag-needed (RFC 1191), 0 = none. */
	uint16_t pmtu;

	/* RTT estimator, RFC 6298 (microseconds) */
	uint64_t srtt; /* 0: no sample yet */
	uint64_t rttvar;
	uint64_t rto;
	uint32_t rtt_seq; /* timed segment's sequence (Karn: only never-retransmitted) */
	uint64_t rtt_ts;  /* when it was sent */
	uint8_t backoff;  /* RTO doublings in a row */
	uint8_t retries;  /* expirations in a row for the current timer */

	/* Congestion control: RFC 5681 + NewReno RFC 6582 (bytes) */
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t recover;     /* NewReno recovery point */
	uint32_t bytes_acked; /* congestion avoidance accumulator (RFC 5681 3.1 byte counting) */
	uint8_t dupacks;

	/* Delayed ACK (Linux-like) */
	uint8_t quickack;      /* segments still to ACK immediately */
	uint8_t delack_segs;   /* full-sized segments received since the last ACK */
	uint64_t ato;	       /* current delayed-ACK timeout */
	uint64_t last_rcv;     /* last data reception (idle detection) */
	uint64_t last_snd;     /* last data transmission (restart after idle) */
	uint64_t last_ack_rcv; /* last segment with an acceptable ACK (zero-window RTO rule) */

	/* Timer deadlines (µs, 0 = not armed); the wheel holds the earliest. */
	uint64_t t_rtx; /* retransmission / SYN / persist */
	uint64_t t_delack;
	uint64_t t_wait; /* TIME_WAIT or orphaned FIN_WAIT_2 */
	uint64_t t_keep; /* keepalive */
	struct tcp_tnode tnode;

	/* Keepalive / TCP_USER_TIMEOUT (issue 6). 0 = the stack's default. */
	uint64_t ka_idle;  /* µs, TCP_KEEPIDLE */
	uint64_t ka_intvl; /* µs, TCP_KEEPINTVL */
	uint8_t ka_cnt;	   /* TCP_KEEPCNT */
	uint8_t ka_probes; /* unanswered keepalive probes (icsk_probes_out) */
	uint32_t user_timeout; /* ms, TCP_USER_TIMEOUT, 0 = off */
	uint64_t una_ts;       /* when SND.UNA last moved / data went out from idle */

	/* Congestion control module (issue 6) and its private state. */
	const struct tcp_cc_ops *cc;
	uint64_t cc_priv[12];

	/* Out-of-order data held in rcvbuf ahead of tail, sorted, disjoint. */
	uint8_t ooo_n;
	struct tcp_ooo ooo[TCP_OOO_MAX];

	struct tcp_sndbuf snd;
	struct tcp_rcvbuf rcv;
	uint32_t snd_fin_seq; /* TCP_PF_FIN_SENT: our FIN's sequence number */
	uint32_t
	    snd_sml; /* end of the last small segment sent (Nagle, Minshall's variant as Linux) */
	uint32_t rcv_fin_seq; /* TCP_PF_FIN_OOO: sequence of a FIN received out of order */

	int so_error;		     /* last error (errno), 0 = none */
	struct tcp_listen *listener; /* SYN_RCVD (passive): the listener; the glue may clear it */

	/* Counters (tcp_info) */
	uint32_t total_retrans;
	uint64_t bytes_sent; /* data bytes sent (first transmissions) */
	uint64_t bytes_retrans;
	uint64_t bytes_acked_total;
	uint64_t bytes_received; /* in-order data bytes delivered */
	uint64_t segs_in;
	uint64_t segs_out;
	uint64_t dupacks_total;
	uint64_t ooo_drops;

	void *user; /* the glue's */
};

/* ---------------------------------------------------------------------- */
/* Congestion control (issue 6): one ops table per algorithm, chosen per   */
/* pcb. Every callback works on the pcb's cwnd/ssthresh (bytes) and may    */
/* keep state in pcb->cc_priv. Loss recovery itself (fast retransmit,      */
/* NewReno's inflation/deflation, RTO go-back-N) stays in the core.        */
/* ---------------------------------------------------------------------- */

enum tcp_cc_event {
	TCP_CA_EV_TX_START, /* first transmission after idle */
	TCP_CA_EV_LOSS,	    /* RTO */
	TCP_CA_EV_RECOVERY_END,
};

struct tcp_cc_ops {
	const char *name; /* TCP_CONGESTION name */
	/* Connection ready to send (cwnd set to IW by the core). */
	void (*init)(struct tcp_pcb *pcb, uint64_t now);
	/* New data acknowledged outside recovery: grow cwnd. acked: bytes,
	 * rtt_us: this ACK's RTT sample (0: none). */
	void (*on_ack)(struct tcp_pcb *pcb, uint32_t acked, uint64_t rtt_us, uint64_t now);
	/* Entering loss recovery (3 dup ACKs, ECE): the new ssthresh. */
	uint32_t (*ssthresh)(struct tcp_pcb *pcb, uint64_t now);
	/* Retransmission timeout (the core then sets cwnd to 1 SMSS). */
	void (*on_rto)(struct tcp_pcb *pcb, uint64_t now);
	void (*cwnd_event)(struct tcp_pcb *pcb, enum tcp_cc_event ev, uint64_t now);
};

extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/* ---------------------------------------------------------------------- */
/* Entry points                                                            */
/* ---------------------------------------------------------------------- */

/* Linux defaults (values in struct tcp_conf's comments). */
void tcp_conf_default(struct tcp_conf *conf);

/* Initialise a stack: ops (kept, must outlive it), conf (copied; NULL =
 * defaults), secret (16 bytes, copied; the glue draws it at random),
 * now: the wheel's start. */
void tcp_stack_init(struct tcp_stack *st, const struct tcp_ops *ops, const struct tcp_conf *conf,
		    const uint8_t secret[16], uint64_t now);

/* Parse a TCP header (`len` bytes available, including the payload).
 * Validates the data offset and every option length; fills seg (payload
 * fields: payload = NULL, payload_off = hdr_len, len = len - hdr_len;
 * the glue sets payload). Returns TCP_DROP_NONE or the reason. */
enum tcp_drop tcp_parse(const void *hdr, uint32_t len, struct tcp_seg *seg);

/* Header length tcp_write_hdr will write for `out` (20..60, multiple of 4). */
uint32_t tcp_hdr_len(const struct tcp_out *out);

/* Write the TCP header with options for `out` into buf (room for
 * tcp_hdr_len bytes); checksum 0 (the glue computes or offloads it).
 * Returns the header length. */
uint32_t tcp_write_hdr(void *buf, const struct tcp_out *out);

/* Reset a pcb to CLOSED with tuple t and advertised MSS adv_mss (0: 536),
 * every variable to its initial value, buffers empty (data NULL). Does
 * not touch pcb->user. */
void tcp_pcb_init(struct tcp_pcb *pcb, const struct tcp_tuple *t, uint16_t adv_mss);

/* Active open (RFC 9293 §3.10.1): CLOSED -> SYN_SENT, SYN sent. The glue
 * set the buffers before (the SYN's window comes from rcv.space).
 * Returns 0, -EISCONN (already connected), -EALREADY (SYN_SENT/SYN_RCVD),
 * -EINVAL (LISTEN or not CLOSED otherwise). */
int tcp_connect(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* A pcb in CLOSED becomes LISTEN (only the state word: listeners are
 * driven through struct tcp_listen and tcp_listen_input). 0 or -EINVAL. */
int tcp_listen(struct tcp_stack *st, struct tcp_pcb *pcb);

/* Disposition of tcp_input / tcp_listen_input. */
enum tcp_in_result {
	TCP_IN_OK = 0,	 /* consumed */
	TCP_IN_DROP,	 /* dropped; the reason was counted (out-param) */
	TCP_IN_RST,	 /* dropped and answered with an RST (emitted) */
	TCP_IN_TW_REUSE, /* TIME_WAIT pcb: a new SYN may open a new connection:
			    the core closed the pcb (TCP_EV_CLOSED raised); the glue
			    frees it and passes the same seg (isn set) to the listener */
};

/*
 * A segment for an existing connection (the glue looked the 4-tuple up).
 * RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4 (the synchronized states),
 * step by step. Emits replies through ops->emit, runs tcp_output when
 * data/ACKs are due. *reason (may be NULL) receives the drop reason.
 */
enum tcp_in_result tcp_input(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_seg *seg,
			     uint64_t now, enum tcp_drop *reason);

/*
 * A segment for a listener with no connection (RFC 9293 §3.10.7.2).
 * RST: ignored. ACK: answered with an RST (ops->emit with pcb NULL).
 * SYN: subject to the queue bounds (struct tcp_listen), ops->pcb_alloc
 * gives a pcb; the core runs tcp_pcb_init on it (everything but
 * pcb->user is reset: adv_mss = lst->adv_mss, rcv.space = lst->rcv_space,
 * TCP_NODELAY from lst->nodelay, no buffers), state SYN_RCVD, SYN-ACK
 * sent; *newp = the pcb. Returns TCP_IN_OK when a pcb was created.
 * seg->has_isn (after TCP_IN_TW_REUSE) forces the ISN.
 * SYN cookies (issue 6, conf.syncookies): a SYN beyond the SYN queue gets
 * a stateless SYN-ACK (ops->emit with pcb NULL) and no pcb (TCP_IN_OK
 * with *newp == NULL, syncookies_sent counted); an ACK that
 * carries a valid cookie creates the pcb through pcb_alloc (*newp set,
 * TCP_IN_OK), which completes at once as if it had waited in SYN_RCVD
 * (TCP_EV_ACCEPT raised, data on the ACK taken).
 */
enum tcp_in_result tcp_listen_input(struct tcp_stack *st, struct tcp_listen *lst,
				    struct tcp_seg *seg, const struct tcp_tuple *t, uint64_t now,
				    struct tcp_pcb **newp, enum tcp_drop *reason);

/* A segment to no connection and no listener (RFC 9293 §3.10.7.1): fills
 * *out with the RST to send and returns true, or false (the segment was
 * itself an RST). Counts out_rsts in st if st != NULL. */
bool tcp_closed_input(struct tcp_stack *st, const struct tcp_seg *seg, const struct tcp_tuple *t,
		      struct tcp_out *out);

/* Send what the windows, Nagle and cwnd allow, plus any ACK or window
 * update due. The glue calls it after refreshing snd.len/snd.fin (new
 * bytes or shutdown published by the app). Returns segments emitted. */
int tcp_output(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* The app consumed `n` bytes: rcv.space += n. A window update is sent as
 * Linux's tcp_cleanup_rbuf decides: the advertised window fell to half
 * the buffer or less and the new one (moved only by min(buffer/2, MSS),
 * RFC 9293 §3.8.6.2.2) is at least twice it; this reopens a zero window. */
void tcp_recvd(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n, uint64_t now);

/* Set/clear TCP_NODELAY (setting it pushes what Nagle held, as Linux). */
void tcp_set_nodelay(struct tcp_stack *st, struct tcp_pcb *pcb, bool on, uint64_t now);

/* shutdown(SHUT_WR): FIN after the queued bytes. ESTABLISHED ->
 * FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK, SYN_SENT -> CLOSED (as Linux).
 * Returns 0 or -ENOTCONN. */
int tcp_shutdown_wr(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* close(): unread = bytes received and not read by the app (the glue
 * knows). unread > 0 in a synchronized state -> RST and CLOSED (Linux,
 * RFC 2525 2.17); LISTEN/SYN_SENT -> CLOSED at once; otherwise an
 * orderly FIN (as tcp_shutdown_wr) and the pcb lives on as an orphan
 * (FIN_WAIT_*, TIME_WAIT) until TCP_EV_CLOSED. */
void tcp_close(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t unread, uint64_t now);

/* Abort (SO_LINGER 0 / error): RST if synchronized, then CLOSED. */
void tcp_abort(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* Run whatever of the pcb's deadlines passed (retransmission, persist,
 * delayed ACK, TIME_WAIT) and relink it in the wheel. */
void tcp_timers(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* Expire the stack's wheel up to now: tcp_timers for each pcb due. The
 * worker loop calls it once per iteration. Returns pcbs run. */
unsigned tcp_stack_timers(struct tcp_stack *st, uint64_t now);

/* Earliest armed deadline of the pcb (µs), 0 = none. */
uint64_t tcp_next_deadline(const struct tcp_pcb *pcb);

/* The one function every state change goes through: counters, the
 * listener's SYN-queue length, TCP_EV_STATE, and on CLOSED: timers
 * cancelled, TCP_EV_CLOSED. Changing to the current state is a no-op. */
void tcp_set_state(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_state ns);

/* Whether the table allows old -> new (the transitions of RFC 9293's
 * diagram plus the Linux ones: aborts to CLOSED from anywhere, SYN_RCVD
 * -> LISTEN on RST is represented as SYN_RCVD -> CLOSED for a pcb). */
bool tcp_state_transition_ok(enum tcp_state from, enum tcp_state to);

/* "ESTABLISHED", "SYN-SENT", ... (RFC names; "?" out of range). */
const char *tcp_state_name(unsigned state);

/* State name -> state (accepts RFC "SYN-SENT" and "SYN_SENT"); -1 if unknown. */
int tcp_state_from_name(const char *name);

/* RFC 6528 ISN: M + F(localip, localport, remoteip, remoteport, secret),
 * F = SipHash-2-4 keyed by secret, M = now / 4 µs. */
uint32_t tcp_isn(const uint8_t secret[16], const struct tcp_tuple *t, uint64_t now);

/* SipHash-2-4 (Aumasson & Bernstein), 64-bit output. */
uint64_t tcp_siphash24(const uint8_t key[16], const void *data, size_t len);

/* Snapshot for `ss -ti`. */
void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_pcb_info *info);

/* Drop reason name (for counters): "hdr_short", ... */
const char *tcp_drop_name(enum tcp_drop r);

/* Receive window we would advertise now (bytes, before scaling). */
uint32_t tcp_rcv_window(const struct tcp_pcb *pcb);

/* ---- Issue 6 ---------------------------------------------------------- */

/* RFC 7323 TSval of the pcb at `now` (ms clock + per-connection offset). */
uint32_t tcp_ts_now(const struct tcp_pcb *pcb, uint64_t now);

/* Window-scale shift we offer for a receive buffer of `space` bytes:
 * Linux's ilog2(space) - 15 clamped to [0, 14] (256 KiB -> 3). */
uint8_t tcp_wscale_for(uint32_t space);

/*
 * Socket options (the glue calls them from CAV_OPT_*). Values and errors
 * as Linux's do_tcp_setsockopt / sock_setsockopt:
 *   tcp_set_keepalive: SO_KEEPALIVE; arms (or cancels) the keepalive timer.
 *   tcp_set_keepidle:  TCP_KEEPIDLE, seconds 1..32767 else -EINVAL; re-arms.
 *   tcp_set_keepintvl: TCP_KEEPINTVL, seconds 1..32767 else -EINVAL.
 *   tcp_set_keepcnt:   TCP_KEEPCNT, 1..127 else -EINVAL.
 *   tcp_set_user_timeout: TCP_USER_TIMEOUT, ms >= 0 else -EINVAL (0 = off).
 * All return 0 on success.
 */
int tcp_set_keepalive(struct tcp_stack *st, struct tcp_pcb *pcb, bool on, uint64_t now);
int tcp_set_keepidle(struct tcp_stack *st, struct tcp_pcb *pcb, int secs, uint64_t now);
int tcp_set_keepintvl(struct tcp_pcb *pcb, int secs);
int tcp_set_keepcnt(struct tcp_pcb *pcb, int cnt);
int tcp_set_user_timeout(struct tcp_pcb *pcb, int ms);

/*
 * SYN cookies (Linux's encoding, exposed for tests). make: the ISN of a
 * SYN-ACK for `t` answering a SYN with sequence `sseq`, carrying the MSS
 * table index (0..3: 536, 1300, 1440, 1460), at `now`. check: for the
 * ACK's SEG.ACK - 1 and SEG.SEQ - 1, the MSS index (>= 0) or -1 when the
 * cookie is invalid or older than 2 minutes.
 */
uint32_t tcp_syncookie_make(const uint8_t secret[16], const struct tcp_tuple *t, uint32_t sseq,
			    unsigned mss_idx, uint64_t now);
int tcp_syncookie_check(const uint8_t secret[16], const struct tcp_tuple *t, uint32_t sseq,
			uint32_t cookie, uint64_t now);

/*
 * RFC 1191 path MTU discovery: an ICMP "fragmentation needed" (type 3
 * code 4) quoting this connection's segment. quoted_seq: the sequence
 * number in the quoted TCP header (host order), mtu: the next-hop MTU
 * from the ICMP (0 when the router gave none: ignored, RFC 1191 §5's
 * plateau search is not done). Accepted only when SND.UNA <= quoted_seq
 * < SND.MAX (RFC 5927 §4.1, Linux tcp_v4_err: off-path protection).
 * The MTU is raised to TCP_MIN_PMTU (Linux min_pmtu 552: smaller
 * announcements are treated as an attack or a broken router); the MSS
 * becomes MTU - 40 - options; what is in flight is sent again in the new
 * size at once, without a congestion response (Linux
 * tcp_simple_retransmit). Returns 1 (MSS lowered), 0 (accepted, nothing
 * to lower) or -1 (rejected, counted). The glue calls it only for sockets
 * whose IP_MTU_DISCOVER sets DF (Linux's default for TCP; not with
 * IP_PMTUDISC_DONT / _PROBE).
 */
int tcp_pmtu_update(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t quoted_seq, uint32_t mtu,
		    uint64_t now);

/*
 * TIME_WAIT reuse for an active open (Linux net.ipv4.tcp_tw_reuse,
 * tcp_twsk_unique). tcp_tw_reusable: may a new connection take over the
 * 4-tuple of `tw` at `now`: tw is in TIME_WAIT, timestamps were on (PAWS
 * then rejects the old incarnation's duplicates, RFC 7323 §5.8) and its
 * last timestamp from the peer is at least TCP_TW_REUSE_DELAY_US old
 * (Linux tcp_tw_reuse_delay, 1 s: the peer's TS clock has moved on).
 * tcp_tw_reuse_into: the new pcb (after tcp_pcb_init, before
 * tcp_connect) starts at ISS = tw's SND.NXT + 65535 + 2 (Linux: beyond
 * anything the old connection could have had in flight, so the peer's
 * TIME_WAIT accepts the SYN) and inherits TS.Recent. The caller then
 * closes tw (tcp_set_state CLOSED) before hashing the new pcb.
 */
#define TCP_TW_REUSE_DELAY_US 1000000u
bool tcp_tw_reusable(const struct tcp_pcb *tw, uint64_t now);
void tcp_tw_reuse_into(struct tcp_pcb *pcb, const struct tcp_pcb *tw);

/* Congestion control by name ("reno", "cubic"): NULL if unknown. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/* TCP_CONGESTION: 0 or -ENOENT (unknown name, as Linux). Switching an
 * established connection re-initialises the module's state (as Linux's
 * tcp_reinit_congestion_control), keeping cwnd/ssthresh. */
int tcp_set_congestion(struct tcp_stack *st, struct tcp_pcb *pcb, const char *name, uint64_t now);

#endif /* CAV_TCP_H */
