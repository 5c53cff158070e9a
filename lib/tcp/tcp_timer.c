/* SPDX-License-Identifier: BSD-3-Clause */
/* Hashed timer wheel: see tcp_timer.h. */
#include <stddef.h>

#include "tcp_timer.h"

static inline uint64_t
tick_of(uint64_t us)
{
	/* Round up: a deadline inside tick k fires when tick k has fully passed. */
	return (us + TCP_WHEEL_TICK_US - 1) / TCP_WHEEL_TICK_US;
}

void
tcp_wheel_init(struct tcp_wheel *w, uint64_t now)
{
	w->cur_tick = now / TCP_WHEEL_TICK_US;
	w->count = 0;
	for (unsigned i = 0; i < TCP_WHEEL_SLOTS; i++) {
		w->slot[i].next = &w->slot[i];
		w->slot[i].prev = &w->slot[i];
	}
}

void
tcp_wheel_del(struct tcp_wheel *w, struct tcp_tnode *n)
{
	if (n->prev == NULL)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
	w->count--;
}

void
tcp_wheel_add(struct tcp_wheel *w, struct tcp_tnode *n, uint64_t expires)
{
	tcp_wheel_del(w, n);
	uint64_t t = tick_of(expires);
	/* A deadline already due goes in the next slot expire will walk. */
	if (t < w->cur_tick)
		t = w->cur_tick;
	n->expires = expires;
	n->tick = t;
	struct tcp_tnode *h = &w->slot[t & (TCP_WHEEL_SLOTS - 1)];
	n->next = h;
	n->prev = h->prev;
	h->prev->next = n;
	h->prev = n;
	w->count++;
}

unsigned
tcp_wheel_expire(struct tcp_wheel *w, uint64_t now, void (*cb)(struct tcp_tnode *n, void *arg),
		 void *arg)
{
	uint64_t end = now / TCP_WHEEL_TICK_US; /* last tick fully covered by now */
	unsigned fired = 0;

	if (end < w->cur_tick)
		return 0;
	/* After a long pause, one full turn visits every slot: no need for more. */
	uint64_t start = w->cur_tick;
	if (end - start >= TCP_WHEEL_SLOTS)
		start = end - TCP_WHEEL_SLOTS + 1;
	for (uint64_t t = start; t <= end; t++) {
		/* A callback re-adding a due deadline lands in the next tick. */
		w->cur_tick = t + 1;
		struct tcp_tnode *h = &w->slot[t & (TCP_WHEEL_SLOTS - 1)];
		/* Detach the due nodes first: a callback may re-add to this slot. */
		struct tcp_tnode due = {.next = &due, .prev = &due};
		for (struct tcp_tnode *n = h->next, *nx; n != h; n = nx) {
			nx = n->next;
			if (n->tick > end)
				continue; /* a later round */
			n->prev->next = n->next;
			n->next->prev = n->prev;
			n->next = &due;
			n->prev = due.prev;
			due.prev->next = n;
			due.prev = n;
		}
		while (due.next != &due) {
			struct tcp_tnode *n = due.next;
			due.next = n->next;
			n->next->prev = &due;
			n->next = n->prev = NULL;
			w->count--;
			fired++;
			cb(n, arg);
		}
	}
	w->cur_tick = end + 1;
	return fired;
}
