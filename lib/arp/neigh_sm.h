/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NEIGH_SM_H
#define CAV_NEIGH_SM_H

/*
 * The neighbour state machine, pure: each event takes the entry and `now`
 * (ns) and returns what the caller must do. Linux's NUD states, simplified:
 * DELAY is folded into PROBE (a used STALE entry is probed at the next timer
 * tick instead of after delay_first_probe_time).
 */

#include <stdbool.h>
#include <stdint.h>

enum neigh_state {
	NEIGH_NONE = 0,
	NEIGH_INCOMPLETE, /* request sent, no answer yet; packets held */
	NEIGH_REACHABLE,  /* confirmed within reachable_time */
	NEIGH_STALE,      /* usable, unconfirmed; re-probed when used */
	NEIGH_PROBE,      /* stale and used: unicast probes sent */
	NEIGH_FAILED,     /* no answer after the retries; held packets dropped */
	NEIGH_PERMANENT,  /* static entry */
};

struct neigh_params {
	uint64_t reachable_ns;  /* REACHABLE lasts this long after a confirmation */
	uint64_t retrans_ns;    /* between two requests / probes */
	unsigned int max_probes; /* requests before FAILED (Linux mcast_solicit 3) */
	uint64_t stale_gc_ns;   /* unused STALE entries are removed after this */
	uint64_t failed_ns;     /* FAILED entries linger this long (new packets dropped) */
};

void neigh_params_default(struct neigh_params *p);

struct neigh_sm {
	uint8_t state; /* enum neigh_state */
	uint8_t probes;
	uint64_t confirmed; /* when last confirmed */
	uint64_t timer;     /* when neigh_sm_timer must next run; 0 = never */
};

enum neigh_action {
	NEIGH_ACT_NONE = 0,
	NEIGH_ACT_SEND_BROADCAST = 1 << 0, /* ARP request to ff:ff:ff:ff:ff:ff */
	NEIGH_ACT_SEND_UNICAST = 1 << 1,   /* ARP request to the known MAC */
	NEIGH_ACT_FLUSH_HOLD = 1 << 2,     /* send the held packets */
	NEIGH_ACT_DROP_HOLD = 1 << 3,      /* resolution failed: drop them */
	NEIGH_ACT_DELETE = 1 << 4,         /* remove the entry */
	NEIGH_ACT_PUBLISH = 1 << 5,        /* state or MAC changed: republish */
};

/* A packet needs this neighbour (entry new, or in any state). */
unsigned int neigh_sm_resolve(const struct neigh_params *p, struct neigh_sm *s, uint64_t now);
/* An ARP reply (or a request from it to us) confirmed the neighbour. */
unsigned int neigh_sm_confirm(const struct neigh_params *p, struct neigh_sm *s, uint64_t now);
/* The neighbour was heard from without confirmation of reachability (its
 * request to us, or a gratuitous ARP): STALE unless confirmed recently. */
unsigned int neigh_sm_heard(const struct neigh_params *p, struct neigh_sm *s, bool mac_changed,
			    uint64_t now);
/* The timer is due (now >= s->timer); `used` says a worker used the entry
 * since the last tick. */
unsigned int neigh_sm_timer(const struct neigh_params *p, struct neigh_sm *s, bool used,
			    uint64_t now);

const char *neigh_state_name(enum neigh_state s);

#endif
