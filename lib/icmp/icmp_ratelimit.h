/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ICMP_RATELIMIT_H
#define CAV_ICMP_RATELIMIT_H

/*
 * ICMP error rate limit (RFC 1812 §4.3.2.8), Linux's two token buckets:
 *  - per destination: one error per second with a burst of 6
 *    (net.ipv4.icmp_ratelimit = 1000 ms; inet_peer_xrlim_allow's
 *    XRLIM_BURST_FACTOR 6). Destinations live in a fixed set-associative
 *    table (256 sets × 4 ways); a new destination takes its set's least
 *    recently used way and starts with a full burst, as a new inet_peer
 *    does. Evicting one only hands it a fresh burst, which the second
 *    bucket bounds:
 *  - for the whole worker: 1000 errors per second, burst 50
 *    (net.ipv4.icmp_msgs_per_sec / icmp_msgs_burst), against floods with
 *    a different (spoofed) source each time.
 * Buckets count time: a token is one interval's worth of TSC cycles.
 *
 * Which errors are limited is Linux's default icmp_ratemask (0x1818):
 * destination unreachable, source quench, time exceeded, parameter
 * problem; never "fragmentation needed" (PMTU discovery must not be
 * starved, RFC 1191), and echo replies are not errors.
 *
 * Pure: the caller passes `now` (TSC). One table per worker, no locking.
 */

#include <stdbool.h>
#include <stdint.h>

#define ICMP_RL_SET_BITS 8
#define ICMP_RL_SETS (1u << ICMP_RL_SET_BITS)
#define ICMP_RL_WAYS 4
#define ICMP_RL_BURST 6
#define ICMP_RL_PER_S 1
#define ICMP_RL_GLOBAL_PER_S 1000
#define ICMP_RL_GLOBAL_BURST 50

struct icmp_rl_entry {
	uint32_t dst; /* host order */
	uint32_t used;
	uint64_t tokens; /* cycles of credit, up to ICMP_RL_BURST intervals */
	uint64_t last;	 /* TSC of the last refill: also the LRU order */
};

struct icmp_ratelimit {
	uint64_t interval;	  /* cycles per error, per destination */
	uint64_t global_interval; /* cycles per error, whole worker */
	uint64_t global_tokens;
	uint64_t global_last;
	struct icmp_rl_entry sets[ICMP_RL_SETS][ICMP_RL_WAYS];
};

/* The set of a destination. Fibonacci hashing: the addresses of one subnet
 * spread over the sets. */
static inline unsigned int
icmp_rl_set(uint32_t dst)
{
	return (uint32_t)(dst * UINT32_C(2654435769)) >> (32 - ICMP_RL_SET_BITS);
}

/* Reset `rl` for a clock of `hz` cycles per second; every bucket full. */
void icmp_ratelimit_init(struct icmp_ratelimit *rl, uint64_t hz, uint64_t now);

/* Allocated on `socket` and initialised; NULL on failure (rte_errno). */
struct icmp_ratelimit *icmp_ratelimit_create(uint64_t hz, int socket);
void icmp_ratelimit_free(struct icmp_ratelimit *rl);

/* May an error go to `dst` at `now`? Takes a token from both buckets only
 * when both have one. */
bool icmp_ratelimit_allow(struct icmp_ratelimit *rl, uint32_t dst, uint64_t now);

/* Is an error of this type/code subject to the limit? */
static inline bool
icmp_ratelimit_applies(uint8_t type, uint8_t code)
{
	if (type == 3 && code == 4) /* fragmentation needed: never limited */
		return false;
	return type < 32 && ((UINT32_C(0x1818) >> type) & 1);
}

#endif
