/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP connection tracking: the state table and the window checks.
 *
 * The states and the table follow Linux (nf_conntrack_proto_tcp.c), which
 * follows the connection as a bystander would: it sees both directions
 * but not the endpoints' minds, so it tracks what the segments on the
 * wire prove. ORIG is the direction of the first segment (the client),
 * REPLY the other.
 */
#include <string.h>

#include <rte_common.h>
#include <rte_tcp.h>

#include "ct.h"

#define sNO CT_TCP_NONE
#define sSS CT_TCP_SYN_SENT
#define sSR CT_TCP_SYN_RECV
#define sES CT_TCP_ESTABLISHED
#define sFW CT_TCP_FIN_WAIT
#define sCW CT_TCP_CLOSE_WAIT
#define sLA CT_TCP_LAST_ACK
#define sTW CT_TCP_TIME_WAIT
#define sCL CT_TCP_CLOSE
#define sS2 CT_TCP_SYN_SENT2
#define sIG CT_TCP_IGNORE
#define sIV CT_TCP_INVALID

#define O CT_DIR_ORIG
#define R CT_DIR_REPLY
#define SYN CT_TCP_C_SYN
#define SYNACK CT_TCP_C_SYNACK
#define FIN CT_TCP_C_FIN
#define ACK CT_TCP_C_ACK
#define RST CT_TCP_C_RST
#define NONE CT_TCP_C_NONE

/*
 * ct_tcp_table[state][direction][flag class]: the state after a segment.
 * One row per state, both directions, every flag class; a comment on each
 * transition. sIV: not valid here (the packet is INVALID, the entry does
 * not change); sIG: let it through, change nothing (a late or answering
 * segment that proves nothing).
 */
const uint8_t ct_tcp_table[CT_TCP_NB_STATES][2][CT_TCP_C_NB] = {
	[sNO] = {
		[O] = {
			[SYN] = sSS,	/* a client opens: the connection starts */
			[SYNACK] = sIV, /* an answer to a SYN we never saw */
			[FIN] = sIV,	/* a close of a connection we never saw */
			[ACK] = sES,	/* mid-stream pickup (tcp_loose): assume established */
			[RST] = sIV,	/* a reset of a connection we never saw */
			[NONE] = sIV,	/* no flags: never valid */
		},
		[R] = {
			/* An entry in sNO has seen nothing yet, so nothing can
			 * be a reply to it: unreachable, invalid throughout. */
			[SYN] = sIV, [SYNACK] = sIV, [FIN] = sIV,
			[ACK] = sIV, [RST] = sIV, [NONE] = sIV,
		},
	},
	[sSS] = {
		[O] = {
			[SYN] = sSS,	/* the client retransmits its SYN */
			[SYNACK] = sIV, /* the client cannot answer its own SYN */
			[FIN] = sIV,	/* no FIN before the server answered */
			[ACK] = sIV,	/* no ACK before a SYN/ACK came */
			[RST] = sCL,	/* the client gives up: closed */
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sS2,	/* the other side opens too: simultaneous open */
			[SYNACK] = sSR, /* the server accepts: half-way there */
			[FIN] = sIV,	/* a FIN before the handshake */
			[ACK] = sIG,	/* may be an old half-open connection answering: let it be */
			[RST] = sCL,	/* refused (port closed): closed */
			[NONE] = sIV,
		},
	},
	[sSR] = {
		[O] = {
			[SYN] = sIG,	/* a late retransmitted SYN: the server answered already */
			[SYNACK] = sSR, /* simultaneous open: the client's SYN/ACK */
			[FIN] = sFW,	/* the client closes right after the handshake */
			[ACK] = sES,	/* the third segment of the handshake: established */
			[RST] = sCL,	/* the client aborts */
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sIV,	/* a server does not send SYN again here */
			[SYNACK] = sIG, /* the server retransmits its SYN/ACK */
			[FIN] = sFW,	/* the server closes right away */
			[ACK] = sSR,	/* the server answers a late SYN: still waiting */
			[RST] = sCL,	/* the server aborts */
			[NONE] = sIV,
		},
	},
	[sES] = {
		[O] = {
			[SYN] = sIG,	/* a SYN in an open connection: the receiver answers with a RST or a challenge ACK */
			[SYNACK] = sIV, /* the client never sends SYN/ACK */
			[FIN] = sFW,	/* the client closes its side */
			[ACK] = sES,	/* data flows */
			[RST] = sCL,	/* the client resets */
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sIV,	/* the server never sends a SYN here */
			[SYNACK] = sIG, /* a late retransmitted SYN/ACK */
			[FIN] = sFW,	/* the server closes its side */
			[ACK] = sES,	/* data flows */
			[RST] = sCL,	/* the server resets */
			[NONE] = sIV,
		},
	},
	[sFW] = {
		[O] = {
			[SYN] = sIG,	/* stray SYN */
			[SYNACK] = sIV,
			[FIN] = sLA,	/* FIN both ways now: waiting for the last ACK (or a retransmitted FIN) */
			[ACK] = sCW,	/* the FIN is acknowledged: one side closed */
			[RST] = sCL,
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sIV,
			[SYNACK] = sIG, /* may answer a SYN we let through */
			[FIN] = sLA,	/* the other side closes too */
			[ACK] = sCW,	/* the FIN is acknowledged */
			[RST] = sCL,
			[NONE] = sIV,
		},
	},
	[sCW] = {
		[O] = {
			[SYN] = sIG,
			[SYNACK] = sIV,
			[FIN] = sLA,	/* the second side closes */
			[ACK] = sCW,	/* data still flows one way */
			[RST] = sCL,
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sIV,
			[SYNACK] = sIG,
			[FIN] = sLA,	/* the second side closes */
			[ACK] = sCW,	/* data still flows one way */
			[RST] = sCL,
			[NONE] = sIV,
		},
	},
	[sLA] = {
		[O] = {
			[SYN] = sIG,
			[SYNACK] = sIV,
			[FIN] = sLA,	/* a retransmitted FIN: stay */
			[ACK] = sTW,	/* the last ACK: both sides closed */
			[RST] = sCL,
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sIV,
			[SYNACK] = sIG,
			[FIN] = sLA,	/* a retransmitted FIN: stay */
			[ACK] = sTW,	/* the last ACK */
			[RST] = sCL,
			[NONE] = sIV,
		},
	},
	[sTW] = {
		[O] = {
			[SYN] = sSS,	/* the client reopens the connection (RFC 1122 §4.2.2.13): a new one */
			[SYNACK] = sIV,
			[FIN] = sTW,	/* a retransmitted FIN: the last ACK got lost */
			[ACK] = sTW,	/* a retransmitted last ACK */
			[RST] = sCL,
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sSS,	/* reopened by the other side: a new one (roles may swap) */
			[SYNACK] = sIG,
			[FIN] = sTW,	/* a retransmitted FIN */
			[ACK] = sTW,	/* a retransmitted last ACK */
			[RST] = sCL,
			[NONE] = sIV,
		},
	},
	[sCL] = {
		[O] = {
			[SYN] = sSS,	/* a new connection on the same tuple */
			[SYNACK] = sIV,
			[FIN] = sCL,	/* stragglers after the reset */
			[ACK] = sCL,
			[RST] = sCL,
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sIV,	/* only the client reopens a closed one */
			[SYNACK] = sIG,
			[FIN] = sCL,	/* stragglers after the reset */
			[ACK] = sCL,
			[RST] = sCL,
			[NONE] = sIV,
		},
	},
	[sS2] = {
		[O] = {
			[SYN] = sS2,	/* a late retransmitted SYN in a simultaneous open */
			[SYNACK] = sSR, /* the client answers the other side's SYN */
			[FIN] = sIV,
			[ACK] = sIV,	/* no ACK before a SYN/ACK */
			[RST] = sCL,
			[NONE] = sIV,
		},
		[R] = {
			[SYN] = sS2,	/* the other side's SYN again */
			[SYNACK] = sSR, /* the other side answers: half-way there */
			[FIN] = sIV,
			[ACK] = sIG,	/* may be a half-open connection answering */
			[RST] = sCL,
			[NONE] = sIV,
		},
	},
};

static const char *const tcp_state_names[] = {
	[sNO] = "NONE",	       [sSS] = "SYN_SENT",  [sSR] = "SYN_RECV",	  [sES] = "ESTABLISHED",
	[sFW] = "FIN_WAIT",    [sCW] = "CLOSE_WAIT", [sLA] = "LAST_ACK", [sTW] = "TIME_WAIT",
	[sCL] = "CLOSE",       [sS2] = "SYN_SENT2", [sIG] = "IGNORE",	  [sIV] = "INVALID",
};

const char *
ct_tcp_state_name(unsigned int s)
{
	return s < RTE_DIM(tcp_state_names) ? tcp_state_names[s] : "?";
}

enum ct_tcp_class
ct_tcp_classify(uint8_t f)
{
	if (f & RTE_TCP_RST_FLAG)
		return CT_TCP_C_RST;
	if (f & RTE_TCP_SYN_FLAG)
		return (f & RTE_TCP_ACK_FLAG) ? CT_TCP_C_SYNACK : CT_TCP_C_SYN;
	if (f & RTE_TCP_FIN_FLAG)
		return CT_TCP_C_FIN;
	if (f & RTE_TCP_ACK_FLAG)
		return CT_TCP_C_ACK;
	return CT_TCP_C_NONE;
}

bool
ct_tcp_flags_valid(uint8_t f)
{
	/* PSH, ECE and CWR go with anything; the rest must be one of the
	 * combinations a TCP sends (Linux's tcp_valid_flags). */
	f &= (uint8_t)~(RTE_TCP_PSH_FLAG | RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG);
	switch (f) {
	case RTE_TCP_SYN_FLAG:
	case RTE_TCP_SYN_FLAG | RTE_TCP_URG_FLAG:
	case RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG:
	case RTE_TCP_RST_FLAG:
	case RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG:
	case RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG:
	case RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_URG_FLAG:
	case RTE_TCP_ACK_FLAG:
	case RTE_TCP_ACK_FLAG | RTE_TCP_URG_FLAG:
		return true;
	default:
		return false;
	}
}

/* Sequence space arithmetic (RFC 9293 §3.4): modulo 2^32. */
static inline bool
before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool
after(uint32_t a, uint32_t b)
{
	return before(b, a);
}

/* The sequence space a segment occupies: SYN and FIN count one each. */
static inline uint32_t
seg_end(const struct ct_tcp_seg *s)
{
	return s->seq + s->len + ((s->flags & RTE_TCP_SYN_FLAG) ? 1 : 0) +
	       ((s->flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
}

/* A sender's first segment with SYN (the client's SYN, the server's
 * SYN/ACK, or a SYN reopening): everything it sends is known from it. */
static void
peer_init(struct ct_tcp_peer *p, const struct ct_tcp_seg *s)
{
	uint32_t end = seg_end(s);
	p->end = end;
	p->maxend = end;
	p->maxwin = s->win == 0 ? 1 : s->win; /* a SYN's window is never scaled */
	p->flags = CT_TCP_F_SEEN;
	p->scale = 0;
	if (s->wscale >= 0) {
		p->flags |= CT_TCP_F_WSCALE;
		p->scale = (uint8_t)(s->wscale > 14 ? 14 : s->wscale); /* RFC 7323 §2.3 */
	}
}

bool
ct_tcp_new(struct ct_entry *e, const struct ct_tcp_seg *s, bool loose)
{
	unsigned int st = ct_tcp_table[CT_TCP_NONE][CT_DIR_ORIG][ct_tcp_classify(s->flags)];
	memset(e->tcp, 0, sizeof(e->tcp));
	if (st == CT_TCP_SYN_SENT) {
		peer_init(&e->tcp[CT_DIR_ORIG], s);
	} else if (st == CT_TCP_ESTABLISHED && loose) {
		/* Picked up mid-stream: we do not know the windows, so we do
		 * not check them for this connection (Linux sets BE_LIBERAL
		 * on both sides too). */
		struct ct_tcp_peer *p = &e->tcp[CT_DIR_ORIG];
		p->end = seg_end(s);
		p->maxwin = s->win == 0 ? 1 : s->win;
		p->maxend = p->end + p->maxwin;
		p->flags = CT_TCP_F_SEEN | CT_TCP_F_LIBERAL;
		e->tcp[CT_DIR_REPLY].flags = CT_TCP_F_LIBERAL;
	} else {
		return false;
	}
	e->state = (uint8_t)st;
	return true;
}

/* The largest window an ACK may lag behind by (Linux's MAXACKWINDOW). */
static inline uint32_t
max_ack_window(const struct ct_tcp_peer *sender)
{
	return sender->maxwin > 66000 ? sender->maxwin : 66000;
}

/*
 * Is the segment within what the two sides allowed each other (Rooij's
 * four conditions, as Linux's tcp_in_window)? Updates the window data of
 * both sides when it is.
 */
static bool
in_window(struct ct_entry *e, int dir, const struct ct_tcp_seg *s)
{
	struct ct_tcp_peer *snd = &e->tcp[dir], *rcv = &e->tcp[!dir];
	uint32_t seq = s->seq, end = seg_end(s), ack = s->sack;
	uint32_t win = s->win;
	bool syn = (s->flags & RTE_TCP_SYN_FLAG) != 0;

	if (!(snd->flags & CT_TCP_F_SEEN)) {
		/* This side's first segment: the server's SYN/ACK, or its
		 * first segment at all. */
		if (syn) {
			peer_init(snd, s);
			/* Scaling is on only if both sides offered it (RFC 7323 §1.3). */
			if (!((snd->flags & CT_TCP_F_WSCALE) && (rcv->flags & CT_TCP_F_WSCALE)))
				snd->scale = rcv->scale = 0;
		} else {
			snd->end = end;
			snd->maxwin = win == 0 ? 1 : win;
			snd->maxend = end + snd->maxwin;
			snd->flags |= CT_TCP_F_SEEN;
		}
		/* The other side has not heard from us: it allows anything
		 * up to what we acknowledge. */
		if (rcv->maxend == 0 && (s->flags & RTE_TCP_ACK_FLAG))
			rcv->maxend = ack;
	} else if (syn && after(end, snd->end) &&
		   ((e->state == CT_TCP_SYN_SENT && dir == CT_DIR_ORIG) ||
		    (e->state == CT_TCP_SYN_RECV && dir == CT_DIR_REPLY))) {
		/* A SYN (or SYN/ACK) retransmitted with a new initial sequence
		 * number: start this side over. */
		uint8_t keep = snd->flags & CT_TCP_F_LIBERAL;
		peer_init(snd, s);
		snd->flags |= keep;
	}

	if (!(s->flags & RTE_TCP_ACK_FLAG))
		ack = rcv->end; /* acknowledges nothing: cannot be wrong */
	else if ((s->flags & RTE_TCP_RST_FLAG) && ack == 0)
		ack = rcv->end; /* a RST with ACK set and ack 0 (broken stacks) */
	if (seq == end && !(s->flags & RTE_TCP_RST_FLAG))
		seq = end = snd->end; /* no data: where the sender is */
	if (!syn)
		win <<= snd->scale;

	if ((snd->flags | rcv->flags) & CT_TCP_F_LIBERAL)
		goto update;

	/* I: it starts no further than the receiver allowed. */
	if (!(before(seq, snd->maxend + 1)))
		return false;
	/* II: it ends no earlier than one window before what was sent. */
	if (!(after(end, snd->end - rcv->maxwin - 1)))
		return false;
	/* III: it acknowledges nothing not yet sent. */
	if (!(before(ack, rcv->end + 1)))
		return false;
	/* IV: it acknowledges no less than a window behind. */
	if (!(after(ack, rcv->end - max_ack_window(snd) - 1)))
		return false;
update:
	if (snd->maxwin < win)
		snd->maxwin = win;
	if (after(end, snd->end))
		snd->end = end;
	if (s->flags & RTE_TCP_ACK_FLAG) {
		uint32_t w = win == 0 ? 1 : win;
		if (after(ack + w, rcv->maxend - 1))
			rcv->maxend = ack + w;
	}
	return true;
}

unsigned int
ct_tcp_track(struct ct_entry *e, int dir, const struct ct_tcp_seg *s)
{
	if (!ct_tcp_flags_valid(s->flags))
		return CT_TCP_INVALID;
	unsigned int next = ct_tcp_table[e->state][dir][ct_tcp_classify(s->flags)];
	if (next == CT_TCP_IGNORE || next == CT_TCP_INVALID)
		return next;
	/* A new connection on the tuple of a closed one: the caller starts
	 * a new entry, no window to check against the old one. */
	if (next == CT_TCP_SYN_SENT && e->state >= CT_TCP_TIME_WAIT)
		return next;
	if (!in_window(e, dir, s))
		return CT_TCP_INVALID;
	return next;
}
