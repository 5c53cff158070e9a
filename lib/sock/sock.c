/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock: attach, control calls, datagram send and receive. The data
 * path (cav_sendto, cav_recvfrom) touches only the shared rings: no system
 * call unless it has to wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cavalry/sock.h"
#include "sock_priv.h"

struct cs_state cs = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.seg = {.conn = -1, .mem_fd = -1, .wake_fd = -1, .bell_fd = -1},
};

#define DEFAULT_PATH "/run/cavalry/app.sock"

uint64_t
cs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool
env_true(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0);
}

/* A forked child does not inherit the attachment: the segment and the
 * sockets are the parent's. It attaches afresh on its first call. */
static void
atfork_child(void)
{
	if (cs.seg.base != NULL)
		munmap(cs.seg.base, cs.seg.size);
	cs.seg.base = NULL;
	int *fds[] = {&cs.seg.conn, &cs.seg.mem_fd, &cs.seg.wake_fd, &cs.seg.bell_fd};
	for (unsigned int i = 0; i < 4; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	free(cs.socks);
	cs.socks = NULL;
	cs.hdr = NULL;
	cs.always_notify = false;
	cs.attached = 0;
	pthread_mutex_init(&cs.lock, NULL);
}

/* With cs.lock held. */
static int
attach_locked(void)
{
	if (cs.attached > 0)
		return 0;
	if (cs.attached < 0)
		return ENOTCONN;
	const char *path = getenv("CAVSOCK_PATH");
	if (path == NULL || path[0] == '\0')
		path = DEFAULT_PATH;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	bool busy = env_true("CAVSOCK_BUSY_POLL");
	int rc = cs_attach_fd(fd, CAV_SHM_VERSION, busy ? CAV_SHM_F_BUSY_POLL : 0, &cs.seg);
	if (rc != 0) {
		close(fd);
		if (rc == EPROTO) {
			static bool told;
			if (!told)
				fprintf(stderr,
					"libcavsock: cavalryd at %s speaks another shared-memory "
					"layout than this library (version %u): upgrade one of "
					"them\n",
					path, CAV_SHM_VERSION);
			told = true;
		}
		return rc;
	}
	cs.hdr = cs.seg.base;
	cav_shm_layout_compute(cs.seg.size, &cs.layout);
	cs.socks = calloc(cs.layout.n_socks, sizeof(*cs.socks));
	if (cs.socks == NULL) {
		cs_seg_close(&cs.seg);
		close(fd);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < cs.layout.n_socks; i++) {
		pthread_mutex_init(&cs.socks[i].rxl, NULL);
		pthread_mutex_init(&cs.socks[i].txl, NULL);
	}
	cav_shm_msg_ring(&cs.req, cs.seg.base, cs.layout.req_off, 0);
	cav_shm_msg_ring(&cs.resp, cs.seg.base, cs.layout.resp_off, 0);
	cs.busy_poll = busy || (cs.hdr->flags & CAV_SHM_F_BUSY_POLL) != 0;
	const char *spin = getenv("CAVSOCK_SPIN_US");
	cs.spin_ns = (spin != NULL ? (uint32_t)strtoul(spin, NULL, 10) : 20u) * 1000u;
	static bool atfork_done;
	if (!atfork_done)
		pthread_atfork(NULL, NULL, atfork_child);
	atfork_done = true;
	__atomic_store_n(&cs.attached, 1, __ATOMIC_RELEASE);
	return 0;
}

int
cs_attach(void)
{
	if (__atomic_load_n(&cs.attached, __ATOMIC_ACQUIRE) > 0)
		return 0;
	pthread_mutex_lock(&cs.lock);
	int rc = cs.attached < 0 ? ENOTCONN : attach_locked();
	if (rc != 0)
		cs.attach_err = rc;
	pthread_mutex_unlock(&cs.lock);
	return rc;
}

void
cs_set_gone(void)
{
	__atomic_store_n(&cs.attached, -1, __ATOMIC_RELEASE);
}

bool
cs_daemon_gone(void)
{
	if (cs_gone())
		return true;
	/* The daemon never writes on the connection after the welcome:
	 * readable means closed. */
	struct pollfd p = {.fd = cs.seg.conn, .events = POLLIN};
	if (poll(&p, 1, 0) > 0) {
		cs_set_gone();
		return true;
	}
	return false;
}

struct csock *
cs_sock(int fd)
{
	if (fd < CAV_FD_BASE || cs.socks == NULL ||
	    (uint32_t)(fd - CAV_FD_BASE) >= cs.layout.n_socks) {
		errno = EBADF;
		return NULL;
	}
	struct csock *s = &cs.socks[fd - CAV_FD_BASE];
	if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE)) {
		errno = EBADF;
		return NULL;
	}
	return s;
}

int
cav_is_fd(int fd)
{
	return fd >= CAV_FD_BASE && fd < CAV_FD_BASE + (int)CAV_SHM_MAX_SOCKS;
}

void
cs_drain_wake(void)
{
	uint64_t v;
	if (read(cs.seg.wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

int
cs_wait(bool (*check)(void *), void *arg, uint64_t deadline_ns, struct pollfd *kfds,
	unsigned int n_kfds)
{
	uint64_t start = cs_now_ns();
	uint64_t next_hup_check = start + 1000000;
	/* Spin: the common case on a busy path, no system call. */
	for (;;) {
		if (check(arg))
			return 1;
		uint64_t now = cs_now_ns();
		if (deadline_ns != 0 && now >= deadline_ns)
			return 0;
		if (cs.busy_poll) {
			if (now >= next_hup_check) {
				if (cs_daemon_gone())
					return -1;
				if (n_kfds > 0 && poll(kfds, n_kfds, 0) > 0)
					return 2;
				next_hup_check = now + 1000000;
			}
			continue;
		}
		if (now - start >= cs.spin_ns)
			break;
		__builtin_ia32_pause();
	}
	/* Sleep. Announce it (seq_cst: pairs with the daemon's fence between
	 * publishing and loading client_sleeping), drain old wakeups, then
	 * look once more: whatever the daemon publishes after this check it
	 * signals. */
	struct pollfd p[1 + 1 + 64];
	unsigned int np = 0;
	p[np++] = (struct pollfd){.fd = cs.seg.wake_fd, .events = POLLIN};
	p[np++] = (struct pollfd){.fd = cs.seg.conn, .events = POLLIN};
	if (n_kfds > 64)
		n_kfds = 64;
	for (unsigned int i = 0; i < n_kfds; i++)
		p[np++] = kfds[i];
	int rc;
	__atomic_add_fetch(&cs.hdr->client_sleeping, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		cs_drain_wake();
		if (check(arg)) {
			rc = 1;
			break;
		}
		int timeout = -1;
		uint64_t now = cs_now_ns();
		if (deadline_ns != 0) {
			if (now >= deadline_ns) {
				rc = 0;
				break;
			}
			timeout = (int)((deadline_ns - now + 999999) / 1000000);
		}
		/* Several threads share one eventfd: one may drain a wakeup
		 * meant for another. A bounded sleep makes that a delay, not
		 * a hang. */
		if (timeout < 0 || timeout > 20)
			timeout = 20;
		int n = poll(p, np, timeout);
		if (n < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (n > 0 && (p[1].revents != 0)) {
			cs_set_gone();
			rc = -1;
			break;
		}
		if (n > 0 && n_kfds > 0) {
			bool any = false;
			for (unsigned int i = 0; i < n_kfds; i++) {
				kfds[i].revents = p[2 + i].revents;
				any |= kfds[i].revents != 0;
			}
			if (any) {
				rc = 2;
				break;
			}
		}
	}
	__atomic_sub_fetch(&cs.hdr->client_sleeping, 1, __ATOMIC_SEQ_CST);
	return rc;
}

/* ---- control calls ---- */

static bool
resp_ready(void *arg)
{
	(void)arg;
	return cav_ring_peer_prod(&cs.resp) != cs.resp.local;
}

/* Send a request and wait for its response. Returns the result (>= 0)
 * or -errno; with cs.lock held. */
int
cs_ctl_call_locked(struct cav_msg *q, struct cav_msg *r)
{
	if (cs_gone())
		return -ENOTCONN;
	q->seq = ++cs.seq;
	if (cav_msg_push(&cs.req, q) != CAV_SHM_OK)
		return -EIO;
	uint64_t one = 1;
	if (write(cs.seg.bell_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero */
	}
	for (;;) {
		int w = cs_wait(resp_ready, NULL, 0, NULL, 0);
		if (w < 0)
			return -ENOTCONN;
		if (cav_msg_pop(&cs.resp, r) != CAV_SHM_OK)
			return -EIO;
		if (r->seq == q->seq)
			return r->result;
	}
}

int
cs_ctl_call(struct cav_msg *q, struct cav_msg *r)
{
	pthread_mutex_lock(&cs.lock);
	int rc = cs_ctl_call_locked(q, r);
	pthread_mutex_unlock(&cs.lock);
	return rc;
}

static int
fail(int e)
{
	return cs_fail(e);
}

/* ---- sockets ---- */

void
cs_sock_init(struct csock *s, uint32_t slot, int type, bool nonblock)
{
	pthread_mutex_t rxl = s->rxl, txl = s->txl;
	memset(s, 0, sizeof(*s));
	s->rxl = rxl;
	s->txl = txl;
	s->type = type;
	s->nonblock = nonblock;
	s->rcvbuf = s->sndbuf = 212992;
	s->pmtudisc = IP_PMTUDISC_WANT; /* Linux: ip_no_pmtu_disc = 0 */
	s->shm = cav_shm_sock(cs.seg.base, &cs.layout, slot);
	s->gen = __atomic_load_n(&s->shm->gen, __ATOMIC_ACQUIRE);
	static uint32_t incarnations;
	s->incarnation = __atomic_add_fetch(&incarnations, 1, __ATOMIC_RELAXED);
	/* Our own index of each ring starts where the slot's shared copy
	 * is: 0 for a fresh socket; an accepted connection's RX ring may
	 * already hold bytes. Both words were written before the daemon's
	 * response or accept record (acquire on those). */
	cav_shm_sock_ring(&s->rx, cs.seg.base, &cs.layout, slot, 0,
			  __atomic_load_n(&s->shm->rx.cons, __ATOMIC_RELAXED));
	cav_shm_sock_ring(&s->tx, cs.seg.base, &cs.layout, slot, 1,
			  __atomic_load_n(&s->shm->tx.prod, __ATOMIC_RELAXED));
}

int
cav_socket(int domain, int type, int protocol)
{
	if (domain != AF_INET)
		return fail(EAFNOSUPPORT);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int kind;
	if (base == SOCK_DGRAM) {
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return fail(EPROTONOSUPPORT);
		kind = CAV_SOCK_DGRAM;
	} else if (base == SOCK_STREAM) {
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return fail(EPROTONOSUPPORT);
		kind = CAV_SOCK_STREAM;
	} else {
		return fail(base > 0 && base <= SOCK_PACKET ? ESOCKTNOSUPPORT : EINVAL);
	}
	int rc = cs_attach();
	if (rc != 0)
		return fail(rc);
	struct cav_msg q = {.op = CAV_OP_SOCKET, .arg = (uint32_t)kind}, r;
	rc = cs_ctl_call(&q, &r);
	if (rc < 0)
		return fail(-rc);
	uint32_t slot = r.sock;
	if (slot >= cs.layout.n_socks)
		return fail(EIO);
	struct csock *s = &cs.socks[slot];
	cs_sock_init(s, slot, kind, (type & SOCK_NONBLOCK) != 0);
	/* Release: another thread that finds it used sees it complete. */
	__atomic_store_n(&s->used, true, __ATOMIC_RELEASE);
	return CAV_FD_BASE + (int)slot;
}

int
cs_sin_of(const struct sockaddr *a, socklen_t len, const struct sockaddr_in **sin)
{
	if (a == NULL || len < sizeof(sa_family_t))
		return EINVAL;
	if (a->sa_family != AF_INET)
		return EAFNOSUPPORT;
	if (len < sizeof(struct sockaddr_in))
		return EINVAL;
	*sin = (const struct sockaddr_in *)a;
	return 0;
}

int
cav_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	const struct sockaddr_in *sin;
	int rc = cs_sin_of(addr, len, &sin);
	if (rc != 0)
		return fail(rc);
	struct cav_msg q = {.op = CAV_OP_BIND,
			    .sock = (uint16_t)(fd - CAV_FD_BASE),
			    .addr = sin->sin_addr.s_addr,
			    .port = sin->sin_port},
		       r;
	rc = cs_ctl_call(&q, &r);
	if (rc < 0)
		return fail(-rc);
	s->laddr = r.addr;
	s->lport = r.port;
	s->bound = true;
	return 0;
}

static int
autobind(struct csock *s, int fd)
{
	struct cav_msg q = {.op = CAV_OP_BIND, .sock = (uint16_t)(fd - CAV_FD_BASE)}, r;
	int rc = cs_ctl_call(&q, &r);
	if (rc < 0)
		return -rc;
	s->laddr = r.addr;
	s->lport = r.port;
	s->bound = true;
	return 0;
}

int
cav_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (s->type == CAV_SOCK_STREAM)
		return cs_stream_connect(s, fd, addr, len);
	if (addr == NULL || len < sizeof(sa_family_t))
		return fail(EINVAL);
	struct cav_msg q = {.op = CAV_OP_CONNECT, .sock = (uint16_t)(fd - CAV_FD_BASE)}, r;
	if (addr->sa_family == AF_UNSPEC) {
		q.flags = 1;
	} else {
		const struct sockaddr_in *sin;
		int rc = cs_sin_of(addr, len, &sin);
		if (rc != 0)
			return fail(rc);
		q.addr = sin->sin_addr.s_addr;
		q.port = sin->sin_port;
	}
	int rc = cs_ctl_call(&q, &r);
	if (rc < 0)
		return fail(-rc);
	s->laddr = r.addr;
	s->lport = r.port;
	if (q.flags != 0) {
		s->connected = false;
		s->raddr = 0;
		s->rport = 0;
	} else {
		s->bound = true;
		s->connected = true;
		s->raddr = q.addr == 0 ? htonl(INADDR_LOOPBACK) : q.addr;
		s->rport = q.port;
	}
	return 0;
}

int
cav_close(int fd)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	/* SO_LINGER: a stream socket may wait here for its data to be
	 * acknowledged, and with a zero timeout it aborts (RST). */
	uint32_t how = s->type == CAV_SOCK_STREAM ? cs_stream_close_prepare(s, fd) : 0;
	pthread_mutex_lock(&cs.lock);
	__atomic_store_n(&s->used, false, __ATOMIC_RELEASE);
	struct cav_msg q = {.op = CAV_OP_CLOSE, .sock = (uint16_t)(fd - CAV_FD_BASE), .arg = how},
		       r;
	/* With the daemon gone the slot is simply forgotten. */
	cs_ctl_call_locked(&q, &r);
	pthread_mutex_unlock(&cs.lock);
	return 0;
}

/* Take the pending error (SO_ERROR), 0 if none. */
int
cs_take_error(struct csock *s)
{
	if (__atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) == 0)
		return 0;
	/* Acq_rel: pairs with the daemon's release store. */
	int e = __atomic_exchange_n(&s->shm->so_error, 0, __ATOMIC_ACQ_REL);
	__atomic_and_fetch(&s->shm->events, ~(uint32_t)CAV_SOCK_EV_ERR, __ATOMIC_RELEASE);
	return e;
}

uint32_t
cs_ready(struct csock *s)
{
	if (s->type == CAV_SOCK_STREAM)
		return cs_stream_ready(s);
	uint32_t r = 0;
	if (cav_ring_peer_prod(&s->rx) != s->rx.local)
		r |= POLLIN;
	int64_t used = cav_dg_used(&s->tx);
	if (used >= 0 && used < s->sndbuf &&
	    (uint64_t)used + cav_dg_record_size(CAV_UDP_MAX) + CAV_DG_ALIGN <= s->tx.size)
		r |= POLLOUT;
	if (__atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0)
		r |= POLLERR;
	if (cs_gone())
		r |= POLLHUP;
	return r;
}

struct tx_wait {
	struct csock *s;
	uint32_t len;
};

static bool
tx_room(void *arg)
{
	struct tx_wait *t = arg;
	const struct cav_ring *r = &t->s->tx;
	int64_t used = cav_dg_used(r);
	if (used < 0 || __atomic_load_n(&t->s->shm->so_error, __ATOMIC_RELAXED) != 0)
		return true; /* let the caller report it */
	uint32_t need = cav_dg_record_size(t->len);
	uint32_t tail = r->size - (r->local & (r->size - 1));
	uint32_t pad = tail < need ? tail : 0;
	return (uint64_t)used < (uint64_t)t->s->sndbuf && (uint64_t)used + pad + need <= r->size;
}

ssize_t
cav_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	   socklen_t tolen)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (s->type == CAV_SOCK_STREAM) {
		/* TCP ignores the address, as Linux's tcp_sendmsg() does. */
		(void)to;
		(void)tolen;
		return cs_stream_send(s, buf, len, flags);
	}
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
		return fail(EOPNOTSUPP);
	if (len > CAV_UDP_MAX)
		return fail(EMSGSIZE);
	uint32_t addr = 0;
	uint16_t port = 0;
	if (to != NULL) {
		const struct sockaddr_in *sin;
		int rc = cs_sin_of(to, tolen, &sin);
		if (rc != 0)
			return fail(rc);
		addr = sin->sin_addr.s_addr;
		port = sin->sin_port;
		if (addr == 0)
			addr = htonl(INADDR_LOOPBACK); /* Linux: INADDR_ANY means us */
	} else if (!s->connected) {
		return fail(EDESTADDRREQ);
	}
	if (cs_gone())
		return fail(EPIPE);
	int e = cs_take_error(s);
	if (e != 0)
		return fail(e);
	if (!s->bound) {
		/* Linux binds an ephemeral port on the first send. */
		e = autobind(s, fd);
		if (e != 0)
			return fail(e == ENOTCONN ? EPIPE : e);
	}
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	pthread_mutex_lock(&s->txl);
	ssize_t ret;
	for (;;) {
		int st;
		uint8_t *p = cav_dg_reserve(&s->tx, (uint32_t)len, (uint32_t)s->sndbuf, &st);
		if (p != NULL) {
			memcpy(p, buf, len);
			cav_dg_commit(&s->tx, (uint32_t)len, addr, port);
			ret = (ssize_t)len;
			break;
		}
		if (st == CAV_SHM_CORRUPT) {
			ret = fail(EIO);
			break;
		}
		if (nonblock) {
			ret = fail(EAGAIN);
			break;
		}
		struct tx_wait tw = {.s = s, .len = (uint32_t)len};
		if (cs_wait(tx_room, &tw, 0, NULL, 0) < 0) {
			ret = fail(EPIPE);
			break;
		}
		if ((e = cs_take_error(s)) != 0) {
			ret = fail(e);
			break;
		}
	}
	pthread_mutex_unlock(&s->txl);
	return ret;
}

ssize_t
cav_send(int fd, const void *buf, size_t len, int flags)
{
	return cav_sendto(fd, buf, len, flags, NULL, 0);
}

static bool
rx_ready(void *arg)
{
	struct csock *s = arg;
	return cav_ring_peer_prod(&s->rx) != s->rx.local ||
	       __atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0;
}

ssize_t
cav_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (s->type == CAV_SOCK_STREAM)
		return cs_stream_recv(s, buf, len, flags, from, fromlen);
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC))
		return fail(EOPNOTSUPP);
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	pthread_mutex_lock(&s->rxl);
	ssize_t ret;
	for (;;) {
		int e = cs_take_error(s);
		if (e != 0) {
			ret = fail(e);
			break;
		}
		struct cav_dg_hdr h;
		const uint8_t *d;
		int st = cav_dg_peek(&s->rx, &h, &d, CAV_UDP_MAX);
		if (st == CAV_SHM_OK) {
			size_t n = h.len < len ? h.len : len;
			memcpy(buf, d, n);
			if (from != NULL && fromlen != NULL) {
				struct sockaddr_in sin = {.sin_family = AF_INET,
							  .sin_port = h.port,
							  .sin_addr.s_addr = h.addr};
				socklen_t k = *fromlen < sizeof(sin) ? *fromlen : sizeof(sin);
				memcpy(from, &sin, k);
				*fromlen = sizeof(sin);
			}
			if (!(flags & MSG_PEEK))
				cav_dg_consume(&s->rx, h.len);
			ret = (flags & MSG_TRUNC) ? (ssize_t)h.len : (ssize_t)n;
			break;
		}
		if (st == CAV_SHM_CORRUPT) {
			ret = fail(EIO);
			break;
		}
		if (cs_gone()) {
			ret = fail(ECONNRESET);
			break;
		}
		if (nonblock) {
			ret = fail(EAGAIN);
			break;
		}
		if (cs_wait(rx_ready, s, 0, NULL, 0) < 0) {
			/* Data published before the daemon went is still read. */
			if (cav_ring_peer_prod(&s->rx) != s->rx.local)
				continue;
			ret = fail(ECONNRESET);
			break;
		}
	}
	pthread_mutex_unlock(&s->rxl);
	return ret;
}

ssize_t
cav_recv(int fd, void *buf, size_t len, int flags)
{
	return cav_recvfrom(fd, buf, len, flags, NULL, NULL);
}

int
cs_put_sin(struct sockaddr *addr, socklen_t *len, uint32_t a, uint16_t p)
{
	if (addr == NULL || len == NULL)
		return fail(EINVAL);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = p, .sin_addr.s_addr = a};
	socklen_t k = *len < sizeof(sin) ? *len : sizeof(sin);
	memcpy(addr, &sin, k);
	*len = sizeof(sin);
	return 0;
}

int
cav_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	return cs_put_sin(addr, len, s->laddr, s->lport);
}

int
cav_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (s->type == CAV_SOCK_STREAM) {
		/* Linux's inet_getname(): no peer before the handshake
		 * completed nor once the connection is closed. */
		uint32_t st = cs_stream_state(s, cs_events(s));
		if (s->rport == 0 || st == TCP_CLOSE || st == TCP_SYN_SENT || s->listening)
			return fail(ENOTCONN);
	} else if (!s->connected) {
		return fail(ENOTCONN);
	}
	return cs_put_sin(addr, len, s->raddr, s->rport);
}

int
cav_fcntl(int fd, int cmd, ...)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	va_list ap;
	va_start(ap, cmd);
	int arg = (cmd == F_SETFL || cmd == F_SETFD) ? va_arg(ap, int) : 0;
	va_end(ap);
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		s->nonblock = (arg & O_NONBLOCK) != 0;
		return 0;
	case F_GETFD:
	case F_SETFD:
		return 0;
	default:
		return fail(EINVAL);
	}
}
