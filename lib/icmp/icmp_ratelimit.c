/* SPDX-License-Identifier: BSD-3-Clause */
#include "icmp_ratelimit.h"

#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

void
icmp_ratelimit_init(struct icmp_ratelimit *rl, uint64_t hz, uint64_t now)
{
	memset(rl, 0, sizeof(*rl));
	rl->interval = RTE_MAX(hz / ICMP_RL_PER_S, UINT64_C(1));
	rl->global_interval = RTE_MAX(hz / ICMP_RL_GLOBAL_PER_S, UINT64_C(1));
	rl->global_tokens = ICMP_RL_GLOBAL_BURST * rl->global_interval;
	rl->global_last = now;
}

struct icmp_ratelimit *
icmp_ratelimit_create(uint64_t hz, int socket)
{
	struct icmp_ratelimit *rl =
		rte_zmalloc_socket("icmp_rl", sizeof(*rl), RTE_CACHE_LINE_SIZE, socket);
	if (rl != NULL)
		icmp_ratelimit_init(rl, hz, 0);
	return rl;
}

void
icmp_ratelimit_free(struct icmp_ratelimit *rl)
{
	rte_free(rl);
}

/* Credit after the time since `last`, capped at the burst. A clock that
 * went backwards (it should not) earns nothing. */
static uint64_t
refill(uint64_t tokens, uint64_t last, uint64_t now, uint64_t cap)
{
	if (now > last)
		tokens += RTE_MIN(now - last, cap); /* min first: no overflow */
	return RTE_MIN(tokens, cap);
}

static struct icmp_rl_entry *
entry_get(struct icmp_ratelimit *rl, uint32_t dst, uint64_t now)
{
	struct icmp_rl_entry *set = rl->sets[icmp_rl_set(dst)];
	struct icmp_rl_entry *victim = &set[0];
	for (unsigned int i = 0; i < ICMP_RL_WAYS; i++) {
		if (set[i].used && set[i].dst == dst)
			return &set[i];
		/* An empty way, else the least recently refilled. */
		if (victim->used && (!set[i].used || set[i].last < victim->last))
			victim = &set[i];
	}
	victim->used = 1;
	victim->dst = dst;
	victim->tokens = ICMP_RL_BURST * rl->interval;
	victim->last = now;
	return victim;
}

bool
icmp_ratelimit_allow(struct icmp_ratelimit *rl, uint32_t dst, uint64_t now)
{
	struct icmp_rl_entry *e = entry_get(rl, dst, now);
	e->tokens = refill(e->tokens, e->last, now, ICMP_RL_BURST * rl->interval);
	e->last = RTE_MAX(e->last, now);
	rl->global_tokens = refill(rl->global_tokens, rl->global_last, now,
				   ICMP_RL_GLOBAL_BURST * rl->global_interval);
	rl->global_last = RTE_MAX(rl->global_last, now);

	if (e->tokens < rl->interval || rl->global_tokens < rl->global_interval)
		return false;
	e->tokens -= rl->interval;
	rl->global_tokens -= rl->global_interval;
	return true;
}
