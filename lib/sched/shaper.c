/* SPDX-License-Identifier: BSD-3-Clause */
/* Token-bucket shaper; see shaper.h for the units and the overflow bounds. */
#include <errno.h>
#include <stddef.h>

#include "shaper.h"

#define UNITS_PER_BIT INT64_C(1000000000) /* credit unit: bit * ns / s */

int
shaper_init(struct shaper *s, uint64_t rate_bps, uint64_t burst_bytes, uint64_t now)
{
	if (s == NULL || rate_bps < 1 || rate_bps > SHAPER_RATE_MAX || burst_bytes < 1 ||
	    burst_bytes > SHAPER_BURST_MAX)
		return -EINVAL;
	s->rate_bps = rate_bps;
	s->burst = burst_bytes;
	/* <= 2^30 * 8e9 ~ 8.6e18 < INT64_MAX ~ 9.2e18 */
	s->cap = (int64_t)burst_bytes * 8 * UNITS_PER_BIT;
	s->tokens = s->cap;
	s->last_ns = now;
	return 0;
}

/* Credit a packet of len bytes costs; len clamped so the cost fits like cap does. */
static int64_t
shaper_cost(uint32_t len)
{
	uint64_t l = len > SHAPER_BURST_MAX ? SHAPER_BURST_MAX : len;

	return (int64_t)l * 8 * UNITS_PER_BIT;
}

/*
 * Credit at `now`. Overflow-free: the time needed to fill the bucket is
 * computed first, and only an elapsed time shorter than that is
 * multiplied by the rate, so the product stays below cap - tokens, which
 * is at most one cost (< 2^63).
 */
static int64_t
shaper_tokens_at(const struct shaper *s, uint64_t now)
{
	uint64_t dt, fill_ns, room;

	if (now <= s->last_ns)
		return s->tokens;
	dt = now - s->last_ns;
	room = (uint64_t)(s->cap - s->tokens);
	fill_ns = room / s->rate_bps;
	if (dt > fill_ns)
		return s->cap;
	/* dt <= floor(room / rate), so dt * rate <= room. */
	return s->tokens + (int64_t)(dt * s->rate_bps);
}

/*
 * What the bucket must hold for len to go: its cost, or a full bucket for
 * a packet bigger than the burst (see shaper.h).
 */
static int64_t
shaper_need(const struct shaper *s, uint32_t len)
{
	int64_t cost = shaper_cost(len);

	return cost > s->cap ? s->cap : cost;
}

bool
shaper_conform(struct shaper *s, uint32_t len, uint64_t now)
{
	int64_t tokens = shaper_tokens_at(s, now);

	if (now > s->last_ns) {
		s->tokens = tokens;
		s->last_ns = now;
	}
	if (tokens < shaper_need(s, len))
		return false;
	/* tokens <= cap and cost <= cap_max, so this stays above -2^63. */
	s->tokens = tokens - shaper_cost(len);
	return true;
}

uint64_t
shaper_next_ns(const struct shaper *s, uint32_t len, uint64_t now)
{
	uint64_t t = now > s->last_ns ? now : s->last_ns;
	int64_t tokens = shaper_tokens_at(s, t);
	int64_t need = shaper_need(s, len);
	uint64_t missing;

	if (tokens >= need)
		return now;
	missing = (uint64_t)(need - tokens);
	/* Round up: at t + ceil(missing / rate) the credit has arrived. */
	return t + missing / s->rate_bps + (missing % s->rate_bps != 0);
}
