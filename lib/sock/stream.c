/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock stream sockets (TCP): state, readiness, listen, accept,
 * connect, shutdown, close (send and receive: stream_io.c). The daemon runs
 * the protocol; this side moves bytes through the slot's rings (byte
 * FIFOs, shm.h) and turns the words the daemon publishes (tcp_state,
 * events, so_error) into the errors and poll bits Linux gives for the same
 * situation. The Linux functions each part mirrors are named beside it
 * (net/ipv4/af_inet.c, net/ipv4/tcp.c, net/core/stream.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "cavalry/sock.h"
#include "stream_priv.h"

/* Linux's somaxconn default: listen() clamps the backlog to it. */
#define CS_SOMAXCONN 4096u

/*
 * The TCP state as this side must act on it. The daemon's words lag our
 * own calls: right after connect() returned from the daemon the worker may
 * not have sent the SYN yet (the word still says CLOSE, or 0: never
 * touched), and after a refused connect() reported its error the word may
 * still say SYN_SENT for a while. So: a socket the application has not
 * connected is CLOSE; the event bits are authoritative for the ends of a
 * connection; the state word for everything between.
 */
uint32_t
cs_stream_state(struct csock *s, uint32_t ev)
{
	if (flag(&s->listening))
		return TCP_LISTEN;
	if (conn_of(s) == CS_UNCONN || (ev & EV_DEAD))
		return TCP_CLOSE;
	uint32_t st = __atomic_load_n(&s->shm->tcp_state, __ATOMIC_ACQUIRE);
	bool connecting = conn_of(s) == CS_CONNECTING;
	if (st >= TCP_ESTABLISHED && st <= TCP_CLOSING && st != TCP_CLOSE && st != TCP_LISTEN) {
		if (connecting && !flag(&s->seen_active))
			set_flag(&s->seen_active, true);
		if (st == TCP_SYN_SENT && (ev & CAV_SOCK_EV_CONNECTED))
			return TCP_ESTABLISHED; /* the event went out first */
		return st;
	}
	if (ev & CAV_SOCK_EV_CONNECTED)
		return TCP_ESTABLISHED;
	/* CLOSE, 0, or a value we do not know. While our connect() is in
	 * progress it is SYN_SENT until the daemon says otherwise: a CLOSE
	 * after it was active, or a pending error with CLOSE, is the end. */
	if (connecting && !flag(&s->seen_active) &&
	    __atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) == 0)
		return TCP_SYN_SENT;
	return TCP_CLOSE;
}

/* A listener's RX ring holds accept records. */
static bool
accept_queued(const struct csock *s)
{
	return cav_ring_peer_prod(&s->rx) != s->rx.local;
}

/*
 * Readiness exactly as Linux's tcp_poll() computes it, including its less
 * obvious answers: a socket that never connected is EPOLLOUT|EPOLLHUP
 * (state CLOSE, nothing shut down), a socket shut down for writing stays
 * EPOLLOUT (a write reports EPIPE at once), and nothing but EPOLLERR and
 * EPOLLHUP before the handshake completes.
 */
uint32_t
cs_stream_ready(struct csock *s)
{
	uint32_t gone = cs_gone() ? EPOLLHUP : 0;
	if (flag(&s->listening)) {
		/* inet_csk_listen_poll(): the accept queue only. */
		return (accept_queued(s) ? EPOLLIN | EPOLLRDNORM : 0) | gone;
	}
	uint32_t ev = cs_events(s);
	uint32_t st = cs_stream_state(s, ev);
	uint32_t mask = 0;
	bool rs = rcv_shut(s, ev), ss = snd_shut(s, ev);
	if ((rs && ss) || st == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (rs)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (st != TCP_SYN_SENT && st != TCP_SYN_RECV) {
		if (rx_avail(s) > 0)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (ss || writeable(s))
			mask |= EPOLLOUT | EPOLLWRNORM;
		else
			__atomic_add_fetch(&s->nospace, 1, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0)
		mask |= EPOLLERR;
	return mask | gone;
}

/* ---- listen / accept ---- */

int
cav_listen(int fd, int backlog)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (s->type != CAV_SOCK_STREAM)
		return cs_fail(EOPNOTSUPP);
	/* inet_listen(): only an unconnected socket in CLOSE or LISTEN. */
	if (conn_of(s) != CS_UNCONN)
		return cs_fail(EINVAL);
	uint32_t st = cs_stream_state(s, cs_events(s));
	if (st != TCP_CLOSE && st != TCP_LISTEN)
		return cs_fail(EINVAL);
	/* A negative backlog is a huge unsigned one: somaxconn. */
	uint32_t b = (uint32_t)backlog > CS_SOMAXCONN ? CS_SOMAXCONN : (uint32_t)backlog;
	struct cav_msg q = {.op = CAV_OP_LISTEN, .sock = (uint16_t)(fd - CAV_FD_BASE), .arg = b}, r;
	int rc = cs_ctl_call(&q, &r);
	if (rc < 0)
		return cs_fail(-rc);
	/* Unbound: the daemon picked an ephemeral port, as Linux does. */
	s->laddr = r.addr;
	s->lport = r.port;
	s->bound = true;
	set_flag(&s->listening, true);
	return 0;
}

static bool
accept_ready(void *arg)
{
	struct csock *s = arg;
	return accept_queued(s) || !flag(&s->listening);
}

/* Pop one accept record; 1 with *rec and the peer filled, 0 if the ring
 * is empty, -1 if it is corrupt. */
static int
pop_accept(struct csock *s, struct cav_accept_rec *rec, uint32_t *raddr, uint16_t *rport)
{
	struct cav_dg_hdr h;
	const uint8_t *d;
	int st = cav_dg_peek(&s->rx, &h, &d, sizeof(*rec));
	if (st == CAV_SHM_EMPTY)
		return 0;
	if (st != CAV_SHM_OK || h.len != sizeof(*rec))
		return -1;
	memcpy(rec, d, sizeof(*rec));
	*raddr = h.addr;
	*rport = h.port;
	cav_dg_consume(&s->rx, h.len);
	return 1;
}

int
cav_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return cs_fail(EINVAL);
	if (s->type != CAV_SOCK_STREAM)
		return cs_fail(EOPNOTSUPP);
	if (addr != NULL && len == NULL)
		return cs_fail(EFAULT);
	pthread_mutex_lock(&s->rxl);
	int ret;
	for (;;) {
		if (!flag(&s->listening)) {
			ret = cs_fail(EINVAL); /* inet_accept() on a non-listener */
			break;
		}
		struct cav_accept_rec rec;
		uint32_t raddr;
		uint16_t rport;
		int got = pop_accept(s, &rec, &raddr, &rport);
		if (got < 0) {
			ret = cs_fail(EIO);
			break;
		}
		if (got > 0) {
			/* The client trusts the daemon, but a record must not make
			 * it take a slot it does not have: a slot out of range, one
			 * already ours, or one given away since (generation) is
			 * skipped. */
			if (rec.slot >= cs.layout.n_socks ||
			    __atomic_load_n(&cs.socks[rec.slot].used, __ATOMIC_ACQUIRE))
				continue;
			struct cav_shm_sock *ns = cav_shm_sock(cs.seg.base, &cs.layout, rec.slot);
			if (__atomic_load_n(&ns->gen, __ATOMIC_ACQUIRE) != rec.gen)
				continue;
			struct csock *c = &cs.socks[rec.slot];
			/* Complete before it is published as used. What Linux's
			 * accepted sockets inherit from the listener
			 * (sk_clone_lock): buffer sizes, TCP_NODELAY, keepalive
			 * and its timers, TCP_USER_TIMEOUT, linger (the daemon
			 * copied the same to its side, TCP_CONGESTION too). */
			int rcvbuf = s->rcvbuf, sndbuf = s->sndbuf;
			cs_sock_init(c, rec.slot, CAV_SOCK_STREAM, (flags & SOCK_NONBLOCK) != 0);
			c->rcvbuf = rcvbuf;
			c->sndbuf = sndbuf;
			c->nodelay = s->nodelay;
			c->keepalive = s->keepalive;
			c->keepidle = s->keepidle;
			c->keepintvl = s->keepintvl;
			c->keepcnt = s->keepcnt;
			c->user_timeout = s->user_timeout;
			c->pmtudisc = s->pmtudisc;
			c->linger_on = s->linger_on;
			c->linger_sec = s->linger_sec;
			c->maxseg = s->maxseg;
			c->bound = true;
			c->laddr = rec.laddr;
			c->lport = rec.lport;
			c->raddr = raddr;
			c->rport = rport;
			set_conn(c, CS_CONNECTED);
			__atomic_store_n(&c->used, true, __ATOMIC_RELEASE);
			if (addr != NULL)
				cs_put_sin(addr, len, raddr, rport);
			ret = CAV_FD_BASE + (int)rec.slot;
			break;
		}
		if (cs_gone()) {
			ret = cs_fail(ECONNABORTED);
			break;
		}
		if (s->nonblock) {
			ret = cs_fail(EAGAIN);
			break;
		}
		if (cs_wait(accept_ready, s, 0, NULL, 0) < 0) {
			if (accept_queued(s))
				continue;
			ret = cs_fail(ECONNABORTED);
			break;
		}
	}
	pthread_mutex_unlock(&s->rxl);
	return ret;
}

int
cav_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return cav_accept4(fd, addr, len, 0);
}

/* ---- connect ---- */

static bool
handshake_over(void *arg)
{
	struct csock *s = arg;
	uint32_t st = cs_stream_state(s, cs_events(s));
	return st != TCP_SYN_SENT && st != TCP_SYN_RECV;
}

/*
 * A failed connection is reported once; afterwards the socket is as new
 * and may connect again (Linux's tcp_disconnect()). What the daemon still
 * publishes about the attempt is ignored from here on (cs_events) until
 * the next CAV_OP_CONNECT, which clears it on the daemon's side.
 */
static void
disconnect(struct csock *s)
{
	set_flag(&s->seen_active, false);
	set_flag(&s->shut_rd, false);
	set_flag(&s->shut_wr, false);
	s->raddr = 0;
	s->rport = 0;
	set_conn(s, CS_UNCONN);
}

/* inet_stream_connect(), step by step. */
int
cs_stream_connect(struct csock *s, int fd, const struct sockaddr *addr, socklen_t len)
{
	if (addr == NULL || len < sizeof(sa_family_t))
		return cs_fail(EINVAL);
	if (addr->sa_family == AF_UNSPEC)
		return cs_fail(EOPNOTSUPP); /* disconnect by connect(): not supported */
	const struct sockaddr_in *sin;
	int rc = cs_sin_of(addr, len, &sin);
	if (rc != 0)
		return cs_fail(rc);
	int err;
	pthread_mutex_lock(&cs.lock);
	switch (conn_of(s)) {
	case CS_CONNECTED:
		pthread_mutex_unlock(&cs.lock);
		return cs_fail(EISCONN);
	case CS_CONNECTING:
		/* A connect() in progress: EALREADY while the handshake runs;
		 * once it is over, this call reports how it ended. */
		err = EALREADY;
		break;
	default: {
		if (flag(&s->listening) || cs_stream_state(s, cs_events(s)) != TCP_CLOSE) {
			pthread_mutex_unlock(&cs.lock);
			return cs_fail(EISCONN);
		}
		struct cav_msg q = {.op = CAV_OP_CONNECT,
				    .sock = (uint16_t)(fd - CAV_FD_BASE),
				    .addr = sin->sin_addr.s_addr,
				    .port = sin->sin_port},
			       r;
		/* Linux: INADDR_ANY as a destination means this host. */
		if (q.addr == 0)
			q.addr = htonl(INADDR_LOOPBACK);
		set_flag(&s->seen_active, false);
		rc = cs_ctl_call_locked(&q, &r);
		if (rc < 0) {
			pthread_mutex_unlock(&cs.lock);
			return cs_fail(-rc);
		}
		s->laddr = r.addr;
		s->lport = r.port;
		s->bound = true;
		s->raddr = q.addr;
		s->rport = q.port;
		set_conn(s, CS_CONNECTING);
		err = EINPROGRESS;
		break;
	}
	}
	pthread_mutex_unlock(&cs.lock);

	if (!handshake_over(s)) {
		if (s->nonblock)
			return cs_fail(err);
		if (cs_wait(handshake_over, s, 0, NULL, 0) < 0 && !handshake_over(s))
			return cs_fail(ENOTCONN); /* the daemon is gone */
	}
	pthread_mutex_lock(&cs.lock);
	if (conn_of(s) != CS_CONNECTING) {
		/* Another thread's connect() reported the outcome first. */
		uint8_t c = conn_of(s);
		pthread_mutex_unlock(&cs.lock);
		return c == CS_CONNECTED ? cs_fail(EISCONN) : cs_fail(ECONNABORTED);
	}
	if (cs_stream_state(s, cs_events(s)) == TCP_CLOSE) {
		/* Refused, timed out, unreachable, reset: the pending error,
		 * ECONNABORTED if it was taken already (SO_ERROR). */
		int e = cs_take_error(s);
		disconnect(s);
		pthread_mutex_unlock(&cs.lock);
		return cs_fail(e != 0 ? e : ECONNABORTED);
	}
	set_conn(s, CS_CONNECTED);
	pthread_mutex_unlock(&cs.lock);
	return 0;
}

/* ---- shutdown / close ---- */

/* Ask the daemon for a FIN after the bytes published so far: the request
 * word first (release after tx.prod, which cav_bs_write published), then a
 * control message so that the daemon looks at it now. With s->txl held. */
static int
request_shut_wr(struct csock *s, int fd)
{
	__atomic_or_fetch(&s->shm->client_req, CAV_REQ_SHUT_WR, __ATOMIC_RELEASE);
	struct cav_msg q = {.op = CAV_OP_SHUTDOWN,
			    .sock = (uint16_t)(fd - CAV_FD_BASE),
			    .arg = SHUT_WR},
		       r;
	int rc = cs_ctl_call(&q, &r);
	return rc < 0 ? -rc : 0;
}

int
cav_shutdown(int fd, int how)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return cs_fail(EINVAL);
	bool rd = how != SHUT_WR, wr = how != SHUT_RD;
	if (s->type != CAV_SOCK_STREAM) {
		/* Datagram sockets: Linux's udp_disconnect() path is not
		 * offered; a connected one is marked, anything else ENOTCONN. */
		return s->connected ? 0 : cs_fail(ENOTCONN);
	}
	uint32_t ev = cs_events(s);
	uint32_t st = cs_stream_state(s, ev);
	if (st == TCP_LISTEN || st == TCP_SYN_SENT) {
		/* inet_shutdown(): SHUT_RD on a listener stops it, any
		 * shutdown of a connect() in progress aborts it (the daemon
		 * acts on CAV_OP_SHUTDOWN in those states). SHUT_WR alone on
		 * a listener does nothing. */
		if (st == TCP_LISTEN && !rd)
			return 0;
		struct cav_msg q = {.op = CAV_OP_SHUTDOWN,
				    .sock = (uint16_t)(fd - CAV_FD_BASE),
				    .arg = (uint32_t)how},
			       r;
		int rc = cs_ctl_call(&q, &r);
		if (rc < 0)
			return cs_fail(-rc);
		pthread_mutex_lock(&cs.lock);
		if (st == TCP_LISTEN)
			set_flag(&s->listening, false);
		else
			disconnect(s);
		pthread_mutex_unlock(&cs.lock);
		return 0;
	}
	if (st == TCP_CLOSE) {
		/* Linux records the shutdown even so (poll shows it) and
		 * answers ENOTCONN. */
		if (rd)
			set_flag(&s->shut_rd, true);
		if (wr)
			set_flag(&s->shut_wr, true);
		return cs_fail(ENOTCONN);
	}
	int e = 0;
	if (rd && !flag(&s->shut_rd)) {
		/* Local only: Linux keeps receiving and sends nothing for it;
		 * the daemon is told for its statistics. */
		set_flag(&s->shut_rd, true);
		struct cav_msg q = {.op = CAV_OP_SHUTDOWN,
				    .sock = (uint16_t)(fd - CAV_FD_BASE),
				    .arg = SHUT_RD},
			       r;
		int rc = cs_ctl_call(&q, &r);
		if (rc < 0 && rc != -ENOTCONN)
			e = -rc;
	}
	if (wr) {
		pthread_mutex_lock(&s->txl); /* no byte after the FIN */
		if (!flag(&s->shut_wr)) {
			set_flag(&s->shut_wr, true);
			int rc = request_shut_wr(s, fd);
			if (rc != 0 && rc != ENOTCONN)
				e = rc;
		}
		pthread_mutex_unlock(&s->txl);
	}
	return e != 0 ? cs_fail(e) : 0;
}

struct linger_wait {
	struct csock *s;
};

/* tcp_close()'s linger: until everything sent was acknowledged and our FIN
 * with it (no longer FIN_WAIT1, CLOSING or LAST_ACK). */
static bool
linger_done(void *arg)
{
	struct csock *s = ((struct linger_wait *)arg)->s;
	uint32_t ev = cs_events(s);
	if (ev & EV_DEAD)
		return true;
	int64_t used = cav_dg_used(&s->tx);
	uint32_t st = cs_stream_state(s, ev);
	return used <= 0 && st != TCP_FIN_WAIT1 && st != TCP_CLOSING && st != TCP_LAST_ACK &&
	       st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT;
}

uint32_t
cs_stream_close_prepare(struct csock *s, int fd)
{
	if (!s->linger_on)
		return 0;
	if (s->linger_sec == 0)
		return CAV_CLOSE_ABORT; /* RST, queues discarded */
	/* Linux closes with an RST when unread data is queued: no linger. */
	if (flag(&s->listening) || rx_avail(s) != 0 || cs_gone())
		return 0;
	uint32_t ev = cs_events(s);
	uint32_t st = cs_stream_state(s, ev);
	if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT && st != TCP_FIN_WAIT1 &&
	    st != TCP_CLOSING && st != TCP_LAST_ACK)
		return 0;
	pthread_mutex_lock(&s->txl);
	if (!flag(&s->shut_wr)) {
		set_flag(&s->shut_wr, true);
		request_shut_wr(s, fd);
	}
	pthread_mutex_unlock(&s->txl);
	struct linger_wait w = {.s = s};
	cs_wait(linger_done, &w, cs_now_ns() + (uint64_t)s->linger_sec * 1000000000u, NULL, 0);
	return 0;
}
