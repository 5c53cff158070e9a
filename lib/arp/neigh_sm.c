/* SPDX-License-Identifier: BSD-3-Clause */
#include "neigh_sm.h"

#define NSEC_PER_S UINT64_C(1000000000)

void
neigh_params_default(struct neigh_params *p)
{
	p->reachable_ns = 30 * NSEC_PER_S; /* Linux base_reachable_time_ms */
	p->retrans_ns = NSEC_PER_S;        /* Linux retrans_time_ms */
	p->max_probes = 3;               /* Linux mcast_solicit / ucast_solicit */
	p->stale_gc_ns = 60 * NSEC_PER_S;  /* Linux gc_stale_time */
	p->failed_ns = 3 * NSEC_PER_S;
}

const char *
neigh_state_name(enum neigh_state s)
{
	static const char *const names[] = {
		[NEIGH_NONE] = "NONE",           [NEIGH_INCOMPLETE] = "INCOMPLETE",
		[NEIGH_REACHABLE] = "REACHABLE", [NEIGH_STALE] = "STALE",
		[NEIGH_PROBE] = "PROBE",         [NEIGH_FAILED] = "FAILED",
		[NEIGH_PERMANENT] = "PERMANENT",
	};
	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

unsigned int
neigh_sm_resolve(const struct neigh_params *p, struct neigh_sm *s, uint64_t now)
{
	switch (s->state) {
	case NEIGH_NONE:
		/* First packet: ask, hold the packet. */
		s->state = NEIGH_INCOMPLETE;
		s->probes = 1;
		s->timer = now + p->retrans_ns;
		return NEIGH_ACT_SEND_BROADCAST | NEIGH_ACT_PUBLISH;
	case NEIGH_FAILED:
		/* Recently failed: drop without asking again until it expires
		 * (Linux keeps FAILED entries and drops new packets). */
		return NEIGH_ACT_DROP_HOLD;
	case NEIGH_INCOMPLETE:
		return NEIGH_ACT_NONE; /* already asking: the caller holds it */
	default:
		/* Usable: the packet can go now. */
		return NEIGH_ACT_FLUSH_HOLD;
	}
}

unsigned int
neigh_sm_confirm(const struct neigh_params *p, struct neigh_sm *s, uint64_t now)
{
	if (s->state == NEIGH_PERMANENT)
		return NEIGH_ACT_NONE;
	s->state = NEIGH_REACHABLE;
	s->probes = 0;
	s->confirmed = now;
	s->timer = now + p->reachable_ns;
	return NEIGH_ACT_PUBLISH | NEIGH_ACT_FLUSH_HOLD;
}

unsigned int
neigh_sm_heard(const struct neigh_params *p, struct neigh_sm *s, bool mac_changed, uint64_t now)
{
	switch (s->state) {
	case NEIGH_PERMANENT:
		return NEIGH_ACT_NONE;
	case NEIGH_REACHABLE:
		if (!mac_changed)
			return NEIGH_ACT_NONE;
		/* a new MAC is unconfirmed */
		__attribute__((fallthrough));
	default:
		/* Linux neigh_update(..., NUD_STALE): the sender's address is
		 * known, not confirmed reachable. Held packets can go. */
		s->state = NEIGH_STALE;
		s->probes = 0;
		s->confirmed = now;
		s->timer = now + p->stale_gc_ns;
		return NEIGH_ACT_PUBLISH | NEIGH_ACT_FLUSH_HOLD;
	}
}

unsigned int
neigh_sm_timer(const struct neigh_params *p, struct neigh_sm *s, bool used, uint64_t now)
{
	switch (s->state) {
	case NEIGH_INCOMPLETE:
		if (s->probes < p->max_probes) {
			s->probes++;
			s->timer = now + p->retrans_ns;
			return NEIGH_ACT_SEND_BROADCAST;
		}
		s->state = NEIGH_FAILED;
		s->timer = now + p->failed_ns;
		return NEIGH_ACT_DROP_HOLD | NEIGH_ACT_PUBLISH;
	case NEIGH_REACHABLE:
		/* reachable_time passed without confirmation */
		s->state = NEIGH_STALE;
		s->timer = now + (used ? 0 : p->stale_gc_ns);
		return NEIGH_ACT_PUBLISH;
	case NEIGH_STALE:
		if (used) {
			/* Used while stale: verify with unicast probes. */
			s->state = NEIGH_PROBE;
			s->probes = 1;
			s->timer = now + p->retrans_ns;
			return NEIGH_ACT_SEND_UNICAST | NEIGH_ACT_PUBLISH;
		}
		return NEIGH_ACT_DELETE;
	case NEIGH_PROBE:
		if (s->probes < p->max_probes) {
			s->probes++;
			s->timer = now + p->retrans_ns;
			return NEIGH_ACT_SEND_UNICAST;
		}
		s->state = NEIGH_FAILED;
		s->timer = now + p->failed_ns;
		return NEIGH_ACT_PUBLISH;
	case NEIGH_FAILED:
		return NEIGH_ACT_DELETE;
	default:
		s->timer = 0;
		return NEIGH_ACT_NONE;
	}
}
