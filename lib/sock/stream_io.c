/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock stream sockets: send and receive (tcp_sendmsg_locked() and
 * tcp_recvmsg_locked() as the client side of the byte rings).
 *
 * No system call and no daemon round trip unless a call has to wait.
 * send() copies into the TX ring and publishes tx.prod; the daemon's
 * consumer index there is SND.UNA, so room comes back as the peer
 * acknowledges. recv() copies out of the RX ring and publishes rx.cons,
 * which opens the receive window.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>

#include "cavalry/sock.h"
#include "stream_priv.h"

/* ---- send ---- */

/* EPIPE raises SIGPIPE for the calling thread unless MSG_NOSIGNAL, as
 * Linux's sk_stream_error() does (send_sig to current). */
static ssize_t
epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return cs_fail(EPIPE);
}

struct send_wait {
	struct csock *s;
	uint32_t want; /* bytes still to write */
};

/* A blocked writer wakes when the buffer is writeable again (or has room
 * for all that is left), or the connection changed. */
static bool
send_ready(void *arg)
{
	struct send_wait *w = arg;
	struct csock *s = w->s;
	uint32_t ev = cs_events(s);
	if (__atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0 || snd_shut(s, ev))
		return true;
	uint32_t st = cs_stream_state(s, ev);
	if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT)
		return st != TCP_SYN_SENT && st != TCP_SYN_RECV;
	int64_t room = cav_bs_room(&s->tx, sndbuf_limit(s));
	return room < 0 || writeable(s) || room >= w->want;
}

/*
 * tcp_sendmsg_locked(): wait for the handshake (sk_stream_wait_connect),
 * then copy what fits, blocking for room unless non-blocking. An error
 * after some bytes were queued returns the count; the error shows on the
 * next call.
 */
ssize_t
cs_stream_send(struct csock *s, const void *buf, size_t len, int flags)
{
	if (flags & MSG_OOB)
		return cs_fail(EOPNOTSUPP); /* urgent data is not supported */
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR))
		return cs_fail(EOPNOTSUPP);
	if (flag(&s->listening))
		return epipe(flags);
	if (cs_gone())
		return epipe(flags);
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	const uint8_t *p = buf;
	size_t copied = 0;
	ssize_t ret;
	pthread_mutex_lock(&s->txl);
	for (;;) {
		uint32_t ev = cs_events(s);
		uint32_t st = cs_stream_state(s, ev);
		if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT && !snd_shut(s, ev) &&
		    __atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) == 0) {
			/* sk_stream_wait_connect(): only a handshake in progress
			 * is worth waiting for. */
			if (st != TCP_SYN_SENT && st != TCP_SYN_RECV) {
				ret = epipe(flags);
				break;
			}
			if (nonblock) {
				ret = cs_fail(EAGAIN);
				break;
			}
			struct send_wait w = {.s = s, .want = 1};
			if (cs_wait(send_ready, &w, 0, NULL, 0) < 0) {
				ret = epipe(flags);
				break;
			}
			continue;
		}
		if (__atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0 || snd_shut(s, ev)) {
			if (copied > 0) {
				ret = (ssize_t)copied;
				break;
			}
			/* sk_stream_error(): a pending error is the answer (taken,
			 * no signal); otherwise EPIPE. */
			int e = cs_take_error(s);
			ret = e != 0 ? cs_fail(e) : epipe(flags);
			break;
		}
		if (copied == len) {
			ret = (ssize_t)copied;
			break;
		}
		int64_t room = cav_bs_room(&s->tx, sndbuf_limit(s));
		if (room < 0) {
			ret = copied > 0 ? (ssize_t)copied : cs_fail(EIO);
			break;
		}
		if (room > 0) {
			size_t n = len - copied < (uint64_t)room ? len - copied : (size_t)room;
			/* Publishes tx.prod (release): the daemon's owner worker
			 * sees the bytes with it. */
			cav_bs_write(&s->tx, p + copied, (uint32_t)n);
			copied += n;
			continue;
		}
		__atomic_add_fetch(&s->nospace, 1, __ATOMIC_RELAXED);
		if (nonblock) {
			ret = copied > 0 ? (ssize_t)copied : cs_fail(EAGAIN);
			break;
		}
		uint64_t left = len - copied;
		struct send_wait w = {.s = s,
				      .want = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left};
		if (cs_wait(send_ready, &w, 0, NULL, 0) < 0) {
			ret = copied > 0 ? (ssize_t)copied : epipe(flags);
			break;
		}
	}
	pthread_mutex_unlock(&s->txl);
	return ret;
}

/* ---- receive ---- */

struct recv_wait {
	struct csock *s;
	uint32_t have; /* bytes already seen (MSG_PEEK keeps them queued) */
	uint32_t ev;
};

static bool
recv_ready(void *arg)
{
	struct recv_wait *w = arg;
	struct csock *s = w->s;
	int64_t a = rx_avail(s);
	return a < 0 || (uint64_t)a > w->have || cs_events(s) != w->ev ||
	       __atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0 || flag(&s->shut_rd);
}

/*
 * tcp_recvmsg_locked(): copy what is queued; with nothing (more) to copy,
 * in Linux's order: the peer's FIN (0), a pending error, our shutdown(SHUT_RD)
 * (0), a socket never connected (ENOTCONN), non-blocking (EAGAIN), else
 * wait. MSG_WAITALL waits for `len` bytes unless one of those ends it.
 */
ssize_t
cs_stream_recv(struct csock *s, void *buf, size_t len, int flags, struct sockaddr *from,
	       socklen_t *fromlen)
{
	if (flags & MSG_OOB)
		return cs_fail(EINVAL); /* no urgent data, ever: tcp_recv_urg() */
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_TRUNC | MSG_NOSIGNAL))
		return cs_fail(EOPNOTSUPP);
	if (flag(&s->listening))
		return cs_fail(ENOTCONN);
	/* TCP reports no source address: the length comes back 0. */
	if (from != NULL && fromlen != NULL)
		*fromlen = 0;
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	bool peek = (flags & MSG_PEEK) != 0;
	if (len > INT32_MAX)
		len = INT32_MAX;
	size_t target = (flags & MSG_WAITALL) ? len : 1;
	uint8_t *p = buf;
	size_t copied = 0;
	ssize_t ret;
	pthread_mutex_lock(&s->rxl);
	for (;;) {
		/* Events first, then the ring: the daemon publishes rx.prod
		 * before RDHUP, so "RDHUP and nothing queued" is the end. */
		uint32_t ev = cs_events(s);
		int64_t avail = rx_avail(s);
		if (avail < 0) {
			if (copied > 0)
				break;
			ret = cs_fail(EIO);
			goto out;
		}
		/* With MSG_PEEK the bytes already copied are still queued. */
		uint64_t fresh = peek ? (uint64_t)avail - copied : (uint64_t)avail;
		if (fresh > 0 && copied < len) {
			size_t n = len - copied < fresh ? len - copied : (size_t)fresh;
			uint32_t at = s->rx.local + (peek ? (uint32_t)copied : 0);
			if (!(flags & MSG_TRUNC)) /* MSG_TRUNC: discard, no copy */
				cav_bs_copy_out(&s->rx, at, p + copied, (uint32_t)n);
			if (!peek)
				cav_bs_consume(&s->rx, (uint32_t)n); /* opens the window */
			copied += n;
			if (copied >= target)
				break;
			continue;
		}
		if (copied >= target || len == 0)
			break;
		bool err = __atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0;
		uint32_t st = cs_stream_state(s, ev);
		if (copied > 0) {
			if (nonblock || err || st == TCP_CLOSE || rcv_shut(s, ev))
				break;
		} else {
			if (ev & CAV_SOCK_EV_RDHUP)
				break; /* EOF */
			if (err) {
				int e = cs_take_error(s);
				if (e != 0) {
					ret = cs_fail(e);
					goto out;
				}
				continue;
			}
			if (rcv_shut(s, ev))
				break;
			if (st == TCP_CLOSE) {
				ret = cs_fail(ENOTCONN);
				goto out;
			}
			if (cs_gone()) {
				ret = cs_fail(ECONNRESET);
				goto out;
			}
			if (nonblock) {
				ret = cs_fail(EAGAIN);
				goto out;
			}
		}
		struct recv_wait w = {.s = s, .have = peek ? (uint32_t)copied : 0, .ev = ev};
		if (cs_wait(recv_ready, &w, 0, NULL, 0) < 0) {
			/* Bytes published before the daemon went are still read. */
			int64_t a = rx_avail(s);
			if (a > 0 && (uint64_t)a > (peek ? copied : 0))
				continue;
			if (copied > 0)
				break;
			ret = cs_fail(ECONNRESET);
			goto out;
		}
	}
	ret = (ssize_t)copied;
out:
	pthread_mutex_unlock(&s->rxl);
	return ret;
}
