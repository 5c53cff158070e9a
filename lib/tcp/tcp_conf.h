/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP core's configuration and what it reports: struct tcp_conf
 * (read-only after tcp_stack_init), struct tcp_stats (per-stack
 * counters) and struct tcp_pcb_info (a connection's `ss -ti` snapshot).
 * Part of tcp.h, which includes it after enum tcp_state and enum
 * tcp_drop (the counters are sized by them): include tcp.h, not this.
 * Byte order and units as tcp.h says (host order, microseconds).
 */
#ifndef CAV_TCP_CONF_H
#define CAV_TCP_CONF_H

#ifndef CAV_TCP_H
#error "include tcp.h, not tcp_conf.h"
#endif

#include <stdbool.h>
#include <stdint.h>

/* Read-only after tcp_stack_init. Times in microseconds. */
struct tcp_conf {
	uint32_t syn_retries;	 /* Linux tcp_syn_retries, default 6 */
	uint32_t synack_retries; /* tcp_synack_retries, default 5 */
	uint32_t retries2;	 /* tcp_retries2, default 15 (data; also persist probes) */
	uint64_t rto_initial;	 /* 1 s (RFC 6298 2.1) */
	uint64_t rto_min;	 /* 200 ms (Linux TCP_RTO_MIN) */
	uint64_t rto_max;	 /* 120 s (Linux TCP_RTO_MAX) */
	uint64_t msl2;		 /* TIME_WAIT duration, 60 s (Linux TCP_TIMEWAIT_LEN) */
	uint64_t delack_min;	 /* 40 ms (Linux TCP_DELACK_MIN) */
	uint64_t delack_max;	 /* 200 ms (TCP_DELACK_MAX) */
	uint64_t fin_wait2;	 /* orphaned FIN_WAIT_2 timeout, 60 s (tcp_fin_timeout) */
	uint32_t init_cwnd;	 /* segments, 10 (RFC 6928) */
	uint32_t quickacks; /* quick-ACK segments at start/after idle, 16 (TCP_MAX_QUICKACKS) */
	uint32_t ooo_max;   /* out-of-order intervals per pcb, <= TCP_OOO_MAX */
	/* Issue 6. Options we offer on an active open / accept on a passive
	 * one (Linux tcp_window_scaling, tcp_timestamps, tcp_sack: 1). ecn:
	 * Linux tcp_ecn (0 off, 1 request and accept, 2 accept only: Linux's
	 * default; ours is 0 until the glue passes tcp_seg.ce, see
	 * tcp_conf_default). */
	bool window_scaling;
	bool timestamps;
	bool sack;
	uint8_t ecn;
	/* RFC 5961 §7 challenge ACKs per second per stack (Linux
	 * tcp_challenge_ack_limit 1000; randomised per second as Linux since
	 * CVE-2016-5696). 0 = no stack-wide limit (the per-pcb one remains). */
	uint32_t challenge_ack_limit;
	uint64_t invalid_ratelimit; /* per-pcb gap between challenge ACKs, 500 ms */
	/* Keepalive defaults for pcbs that did not set their own (Linux
	 * tcp_keepalive_time 7200 s, _intvl 75 s, _probes 9). */
	uint64_t keepalive_time;
	uint64_t keepalive_intvl;
	uint32_t keepalive_probes;
	/* Default congestion control for new pcbs (NULL: CUBIC). */
	const struct tcp_cc_ops *cc;
	/* Linux tcp_syncookies: 0 never, 1 when the SYN queue overflows
	 * (default), 2 always. */
	uint8_t syncookies;
};

/* /proc/net/snmp "Tcp:" plus the drops and transitions. Every member is a
 * 64-bit counter (state_cur signed): the glue sums per-worker copies as an
 * array of uint64_t, so keep it that way (checked in tcp_state.c). */
struct tcp_stats {
	uint64_t active_opens;	/* ActiveOpens: CLOSED -> SYN_SENT */
	uint64_t passive_opens; /* PassiveOpens: LISTEN -> SYN_RCVD */
	uint64_t attempt_fails; /* AttemptFails: SYN_SENT/SYN_RCVD -> CLOSED, SYN_RCVD -> LISTEN */
	uint64_t estab_resets;	/* EstabResets: ESTABLISHED/CLOSE_WAIT -> CLOSED */
	uint64_t in_segs;	/* InSegs */
	uint64_t out_segs;	/* OutSegs (excluding retransmissions, as Linux) */
	uint64_t retrans_segs;	/* RetransSegs */
	uint64_t in_errs;	/* InErrs: parse failures */
	uint64_t out_rsts;	/* OutRsts */
	uint64_t in_rsts;	/* RSTs accepted */
	uint64_t timeouts;	/* connections ended by ETIMEDOUT */
	uint64_t rto_fires;	/* retransmission timer expirations */
	uint64_t fast_retrans;	/* fast retransmits (entering recovery) */
	uint64_t persist_probes;
	uint64_t delayed_acks;	   /* ACKs sent by the delayed-ACK timer */
	uint64_t bad_transitions;  /* tcp_set_state calls the table refused (a bug if non-zero) */
	uint64_t listen_overflows; /* ListenOverflows */
	uint64_t listen_drops;	   /* ListenDrops */
	/* Issue 6 (appended before drops[]: every member stays 64-bit). */
	uint64_t paws_rejects;		 /* PAWSEstabRejected: old timestamp, dup-ACKed */
	uint64_t challenge_acks;	 /* TCPChallengeACK: RFC 5961 challenge ACKs sent */
	uint64_t challenge_acks_skipped; /* TCPACKSkippedChallenge: rate-limited */
	uint64_t syn_challenges;	 /* TCPSYNChallenge: SYN in a synchronized state */
	uint64_t rst_challenges;	 /* in-window RST not at RCV.NXT */
	uint64_t old_ack_drops;		 /* RFC 5961 §5: SEG.ACK < SND.UNA - MAX.SND.WND */
	uint64_t keepalive_probes;	 /* TCPKeepAlive */
	uint64_t keepalive_timeouts;	 /* connections ended by keepalive (also in timeouts) */
	uint64_t user_timeouts;		 /* ended by TCP_USER_TIMEOUT (also in timeouts) */
	uint64_t hystart_exits;		 /* CUBIC HyStart left slow start (delay increase) */
	uint64_t sack_recoveries;	 /* TCPSackRecovery: RFC 6675 recoveries entered */
	uint64_t sack_retrans;		 /* segments retransmitted by RFC 6675 NextSeg */
	uint64_t dsack_sent;		 /* TCPDSACKOldSent + TCPDSACKOfoSent */
	uint64_t dsack_rcvd;		 /* TCPDSACKRecv */
	uint64_t lost_retrans;		 /* TCPLostRetransmit: a retransmission lost again */
	uint64_t tlp_probes;		 /* TCPLossProbes: RFC 8985 tail loss probes sent */
	uint64_t limited_transmits;	 /* RFC 3042 segments */
	uint64_t ecn_ce_rcvd;		 /* segments received with CE on an ECN connection */
	uint64_t ecn_cwnd_reductions;	 /* cwnd reduced for ECE (once per window) */
	uint64_t syncookies_sent;	 /* SyncookiesSent */
	uint64_t syncookies_recv;	 /* SyncookiesRecv: valid cookie ACKs */
	uint64_t syncookies_failed;	 /* SyncookiesFailed: invalid cookie ACKs */
	uint64_t pmtu_updates;		 /* frag-needed that lowered a pcb's MSS */
	uint64_t pmtu_rejected;		 /* OutOfWindowIcmps: quoted seq not in flight */
	/* R5 (RFC 8985 RACK, undo). */
	uint64_t rack_recoveries;   /* recoveries RACK's send-order rule started */
	uint64_t rack_reo_timeouts; /* reorder-window expirations */
	uint64_t rack_lost_rxt;	    /* retransmissions RACK found lost again */
	uint64_t undo_eifel;	    /* TCPLossUndo/TCPFullUndo by timestamps (RFC 3522) */
	uint64_t undo_dsack;	    /* TCPDSACKUndo: every retransmission D-SACKed */
	uint64_t drops[TCP_DROP__COUNT];
	uint64_t state_enter[TCPS__COUNT]; /* transitions into each state */
	int64_t state_cur[TCPS__COUNT];	   /* pcbs in each state now (CurrEstab = [1] + [8]) */
};

/* A `cavctl ss -ti` snapshot (Linux struct tcp_info's meaning). */
struct tcp_pcb_info {
	uint8_t state;
	uint8_t backoff;
	uint8_t retransmits; /* current timer's consecutive expirations */
	uint32_t total_retrans;
	uint32_t rto;	 /* µs */
	uint32_t srtt;	 /* µs */
	uint32_t rttvar; /* µs */
	uint32_t snd_mss;
	uint32_t rcv_mss;
	uint32_t snd_cwnd; /* bytes */
	uint32_t snd_ssthresh;
	uint32_t unacked; /* bytes in flight (snd_max - snd_una) */
	uint32_t sacked;  /* issue 6 */
	uint32_t snd_wnd;
	uint32_t rcv_wnd;
	uint32_t dupacks;
	uint64_t bytes_sent;
	uint64_t bytes_retrans;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint64_t segs_in;
	uint64_t segs_out;
	uint64_t dupacks_total;
	/* Issue 6 */
	uint8_t options; /* TCP_INFO_OPT_* (Linux tcpi_options) */
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	char cc_name[16]; /* "cubic", "reno" */
	/* Issue 6 (ss -ti / -o): segments marked lost (Linux tcpi_lost); the
	 * pending timer as inet_diag reports it (TCP_INFO_TIMER_*), its
	 * deadline (µs, the stack's clock, 0: none) and its count (the
	 * timer's expirations in a row, or unanswered keepalive probes);
	 * SO_KEEPALIVE and TCP_USER_TIMEOUT (ms). */
	uint32_t lost;
	uint8_t timer;
	uint8_t timer_count;
	uint64_t timer_at;
	bool keepalive;
	uint32_t user_timeout;
};

/* tcp_pcb_info.timer: Linux's idiag_timer values (`ss -o` names). */
#define TCP_INFO_TIMER_NONE 0
#define TCP_INFO_TIMER_ON 1	   /* retransmission (or tail loss probe) */
#define TCP_INFO_TIMER_KEEPALIVE 2 /* keepalive (or orphaned FIN-WAIT-2) */
#define TCP_INFO_TIMER_TIMEWAIT 3
#define TCP_INFO_TIMER_PROBE0 4 /* zero-window probe ("persist") */

/* tcp_pcb_info.options: Linux's TCPI_OPT_* values. */
#define TCP_INFO_OPT_TIMESTAMPS 0x01
#define TCP_INFO_OPT_SACK 0x02
#define TCP_INFO_OPT_WSCALE 0x04
#define TCP_INFO_OPT_ECN 0x08

#endif /* CAV_TCP_CONF_H */
