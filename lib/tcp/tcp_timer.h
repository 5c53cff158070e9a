/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hashed timer wheel (Varghese & Lauck, scheme 6), one per worker, pure:
 * 1 ms ticks, TCP_WHEEL_SLOTS slots; a deadline further than one turn away
 * waits out `rounds` turns in its slot. Add and remove are O(1) (intrusive
 * doubly linked list); expiry walks one slot per tick elapsed (bounded:
 * after a long pause at most one full turn is walked, every node checked).
 *
 * A node is in the wheel at most once (tcp_wheel_add on a linked node
 * moves it). Deadlines are rounded UP to the next tick: a timer never
 * fires early, at most 1 ms late plus the caller's polling delay.
 */
#ifndef CAV_TCP_TIMER_H
#define CAV_TCP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_WHEEL_SLOTS 1024u /* power of 2: ~1 s per turn */
#define TCP_WHEEL_TICK_US 1000u

struct tcp_tnode {
	struct tcp_tnode *next;
	struct tcp_tnode *prev; /* NULL: not linked */
	uint64_t expires;	/* µs, the deadline asked for */
	uint64_t tick;		/* the tick it fires at */
};

struct tcp_wheel {
	uint64_t cur_tick;			/* every tick < cur_tick has been expired */
	uint32_t count;				/* nodes linked */
	struct tcp_tnode slot[TCP_WHEEL_SLOTS]; /* list heads (sentinels) */
};

void tcp_wheel_init(struct tcp_wheel *w, uint64_t now);

/* Link n to fire at `expires` (µs; in the past = at the next expiry). */
void tcp_wheel_add(struct tcp_wheel *w, struct tcp_tnode *n, uint64_t expires);

/* Unlink n if linked. */
void tcp_wheel_del(struct tcp_wheel *w, struct tcp_tnode *n);

static inline bool
tcp_tnode_linked(const struct tcp_tnode *n)
{
	return n->prev != NULL;
}

/* Unlink every node whose tick has come (tick <= now's tick) and call
 * cb(n, arg) for it (n is unlinked before the call; cb may re-add it: a
 * deadline already due then fires at the next tick, not in this pass). Returns nodes fired. */
unsigned tcp_wheel_expire(struct tcp_wheel *w, uint64_t now,
			  void (*cb)(struct tcp_tnode *n, void *arg), void *arg);

#endif /* CAV_TCP_TIMER_H */
