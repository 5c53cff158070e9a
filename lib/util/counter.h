/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_COUNTER_H
#define CAV_COUNTER_H

#include <stdint.h>

/*
 * Statistics counters have one writer (the worker that owns them) and any
 * number of readers (control thread, telemetry). The writer adds with a
 * relaxed load and store: a plain `add` on x86, no lock prefix; readers use
 * counter_read(). Relaxed is enough: a reader needs a value that is not torn,
 * not one ordered with any other memory.
 */
static inline void
counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t
counter_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
