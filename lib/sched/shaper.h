/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token-bucket shaper: a long-term rate in bits/s and a burst in bytes.
 *
 * The bucket holds up to `burst` bytes of credit and starts full; credit
 * accrues at `rate`. A packet conforms when the bucket holds its length.
 * A packet longer than the whole burst (a TSO super-frame behind a small
 * burst) conforms once the bucket is full and leaves it in debt, so it is
 * delayed but never starved, and the long-term rate still holds.
 *
 * Exact integer arithmetic: credit is counted in bit-nanoseconds per
 * second (1 bit == 10^9 units), so rate * elapsed_ns adds exactly, with
 * no rounding drift over any interval. Valid for rate 1 bit/s ..
 * SHAPER_RATE_MAX and burst 1 .. SHAPER_BURST_MAX bytes, neither of
 * which can overflow (burst * 8e9 < 2^63); lengths above SHAPER_BURST_MAX
 * are charged as SHAPER_BURST_MAX.
 *
 * Time is injected (`now` in ns); nothing here reads a clock.
 * Thread safety: none; one shaper per TX queue, driven by its lcore.
 */
#ifndef CAV_SCHED_SHAPER_H
#define CAV_SCHED_SHAPER_H

#include <stdbool.h>
#include <stdint.h>

#define SHAPER_RATE_MAX UINT64_C(1000000000000) /* 1 Tbit/s */
#define SHAPER_BURST_MAX (UINT64_C(1) << 30)	/* 1 GiB */

struct shaper {
	uint64_t rate_bps; /* bits per second */
	uint64_t burst;	   /* bytes */
	int64_t tokens;	   /* credit in bits * 10^9 at last_ns; < 0: debt */
	int64_t cap;	   /* burst in the same unit */
	uint64_t last_ns;  /* time tokens was last brought up to date */
};

/* Start with a full bucket at `now`. 0, or -EINVAL for an out-of-range rate or burst. */
int shaper_init(struct shaper *s, uint64_t rate_bps, uint64_t burst_bytes, uint64_t now);

/*
 * Does a packet of `len` bytes conform at `now`? If so its credit is
 * consumed and true returned; if not, nothing changes. Time going
 * backwards is treated as no time passing.
 */
bool shaper_conform(struct shaper *s, uint32_t len, uint64_t now);

/*
 * Earliest time >= now at which a packet of `len` bytes would conform,
 * assuming nothing else is sent first (== now if it conforms already).
 * Does not change the shaper.
 */
uint64_t shaper_next_ns(const struct shaper *s, uint32_t len, uint64_t now);

#endif /* CAV_SCHED_SHAPER_H */
