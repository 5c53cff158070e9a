/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SOCK_STREAM_PRIV_H
#define CAV_SOCK_STREAM_PRIV_H

/* Helpers the stream files share (stream.c: state, connections;
 * stream_io.c: send and receive). */

#include <stdbool.h>
#include <stdint.h>

#include "sock_priv.h"

/* Event bits that mean "the connection is over" (tcp_done(): both
 * directions shut). */
#define EV_DEAD (CAV_SOCK_EV_RESET | CAV_SOCK_EV_CLOSED)

static inline uint8_t
conn_of(const struct csock *s)
{
	return __atomic_load_n(&s->conn, __ATOMIC_RELAXED);
}

static inline void
set_conn(struct csock *s, uint8_t c)
{
	__atomic_store_n(&s->conn, c, __ATOMIC_RELAXED);
}

static inline bool
flag(const bool *b)
{
	return __atomic_load_n(b, __ATOMIC_RELAXED);
}

static inline void
set_flag(bool *b, bool v)
{
	__atomic_store_n(b, v, __ATOMIC_RELAXED);
}

/* Linux's sk_shutdown: our own shutdown() plus what the connection did. */
static inline bool
rcv_shut(const struct csock *s, uint32_t ev)
{
	return flag(&s->shut_rd) || (ev & (CAV_SOCK_EV_RDHUP | EV_DEAD));
}

static inline bool
snd_shut(const struct csock *s, uint32_t ev)
{
	return flag(&s->shut_wr) || (ev & (CAV_SOCK_EV_WRHUP | EV_DEAD));
}

static inline uint32_t
sndbuf_limit(const struct csock *s)
{
	return (uint32_t)s->sndbuf < s->tx.size ? (uint32_t)s->sndbuf : s->tx.size;
}

/* Linux's sk_stream_is_writeable(): free space >= half of what is queued
 * (sk_stream_wspace() >= sk_stream_min_wspace()). Queued here is what the
 * peer has not acknowledged yet. */
static inline bool
writeable(const struct csock *s)
{
	int64_t used = cav_dg_used(&s->tx);
	if (used < 0)
		return false;
	uint32_t limit = sndbuf_limit(s);
	int64_t wspace = (int64_t)limit - used;
	return wspace > 0 && wspace >= used / 2;
}

/* Readable bytes (the producer index checked: -1 if impossible). */
static inline int64_t
rx_avail(const struct csock *s)
{
	return cav_bs_avail(&s->rx);
}

#endif
