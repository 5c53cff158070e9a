/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cav_poll and cav_epoll_*: readiness of Cavalry sockets is computed from
 * the rings (no system call); kernel descriptors go through the kernel,
 * and a wait sleeps in the kernel on them together with the wakeup
 * eventfd and the daemon connection.
 *
 * Edge-triggered epoll: an event is reported when the socket is ready and
 * its ring moved since the last report (new datagrams for EPOLLIN, room
 * freed for EPOLLOUT), so an application that drains to EAGAIN sees each
 * arrival once, as with Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cavalry/sock.h"
#include "sock_priv.h"

/* ---- poll ---- */

struct poll_arg {
	struct pollfd *fds;
	nfds_t n;
	int ready;
};

static int
scan_cav(struct pollfd *fds, nfds_t n)
{
	int ready = 0;
	for (nfds_t i = 0; i < n; i++) {
		if (!cav_is_fd(fds[i].fd))
			continue;
		struct csock *s = cs_sock(fds[i].fd);
		if (s == NULL) {
			fds[i].revents = POLLNVAL;
		} else {
			uint32_t r = cs_ready(s);
			uint32_t want = (uint16_t)fds[i].events | POLLERR | POLLHUP;
			fds[i].revents = (short)(r & want);
		}
		if (fds[i].revents != 0)
			ready++;
	}
	return ready;
}

static bool
poll_check(void *arg)
{
	struct poll_arg *a = arg;
	a->ready = scan_cav(a->fds, a->n);
	return a->ready > 0;
}

int
cav_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	if (nfds > 0 && fds == NULL) {
		errno = EFAULT;
		return -1;
	}
	struct pollfd kfds[64];
	unsigned int nk = 0, ncav = 0;
	for (nfds_t i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		if (cav_is_fd(fds[i].fd)) {
			ncav++;
		} else if (fds[i].fd >= 0) {
			if (nk == 64) {
				errno = EINVAL;
				return -1;
			}
			kfds[nk++] = fds[i];
		}
	}
	if (ncav > 0 && cs_attach() != 0) {
		/* Never attached: every Cavalry descriptor is invalid. */
		return scan_cav(fds, nfds);
	}
	uint64_t deadline = timeout < 0 ? 0 : cs_now_ns() + (uint64_t)timeout * 1000000u;
	for (;;) {
		int ready = ncav > 0 ? scan_cav(fds, nfds) : 0;
		int kr = nk > 0 ? poll(kfds, nk, 0) : 0;
		if (kr < 0)
			return -1;
		if (ready > 0 || kr > 0 || timeout == 0 || (deadline != 0 && cs_now_ns() >= deadline)) {
			for (unsigned int i = 0, k = 0; i < nfds && k < nk; i++)
				if (!cav_is_fd(fds[i].fd) && fds[i].fd >= 0)
					fds[i].revents = kfds[k++].revents;
			return ready + kr;
		}
		if (ncav == 0) {
			kr = poll(kfds, nk, timeout);
			if (kr < 0)
				return -1;
			for (unsigned int i = 0, k = 0; i < nfds && k < nk; i++)
				if (fds[i].fd >= 0)
					fds[i].revents = kfds[k++].revents;
			return kr;
		}
		struct poll_arg a = {.fds = fds, .n = nfds};
		int w = cs_wait(poll_check, &a, deadline, kfds, nk);
		if (w < 0) {
			/* daemon gone: POLLHUP on every Cavalry descriptor */
			return scan_cav(fds, nfds);
		}
	}
}

/* ---- epoll ---- */

struct ep_item {
	int fd;
	uint32_t incarnation; /* of the socket added (csock.incarnation) */
	uint32_t events;
	epoll_data_t data;
	uint32_t seen_rx, seen_tx; /* ET: ring positions at the last report */
	bool reported_err;
	/* Stream sockets, ET: what the last report saw of the connection
	 * (state_sig), of writers finding no room (nospace), and whether
	 * the item was just added or modified (reports once if ready). */
	uint32_t seen_sig, seen_nospace;
	bool fresh;
};

struct ep_set {
	int epfd; /* the kernel epoll, -1: free */
	unsigned int n, cap;
	struct ep_item *items;
};

#define EP_MAX 256
static struct ep_set eps[EP_MAX];
static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ep_init_done;

/* Kernel events with these tags are ours: the wakeup eventfd and the
 * daemon connection. */
#define TAG_WAKE UINT64_C(0xcafe000000000001)
#define TAG_CONN UINT64_C(0xcafe000000000002)

static struct ep_set *
ep_find(int epfd)
{
	for (unsigned int i = 0; i < EP_MAX; i++)
		if (eps[i].epfd == epfd && epfd >= 0)
			return &eps[i];
	return NULL;
}

int
cav_epoll_create1(int flags)
{
	int rc = cs_attach();
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	int ep = epoll_create1(flags);
	if (ep < 0)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_WAKE};
	epoll_ctl(ep, EPOLL_CTL_ADD, cs.seg.wake_fd, &ev);
	ev.data.u64 = TAG_CONN;
	epoll_ctl(ep, EPOLL_CTL_ADD, cs.seg.conn, &ev);
	pthread_mutex_lock(&ep_lock);
	if (!ep_init_done) {
		for (unsigned int i = 0; i < EP_MAX; i++)
			eps[i].epfd = -1;
		ep_init_done = true;
	}
	struct ep_set *e = ep_find(ep); /* a stale entry for a reused number */
	if (e == NULL)
		e = ep_find(-1 + 0 * ep);
	for (unsigned int i = 0; e == NULL && i < EP_MAX; i++)
		if (eps[i].epfd < 0)
			e = &eps[i];
	if (e == NULL) {
		pthread_mutex_unlock(&ep_lock);
		close(ep);
		errno = EMFILE;
		return -1;
	}
	free(e->items);
	memset(e, 0, sizeof(*e));
	e->epfd = ep;
	pthread_mutex_unlock(&ep_lock);
	return ep;
}

int
cav_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (!cav_is_fd(fd))
		return epoll_ctl(epfd, op, fd, ev);
	pthread_mutex_lock(&ep_lock);
	struct ep_set *e = ep_find(epfd);
	int err = 0;
	struct ep_item *it = NULL;
	if (e == NULL) {
		err = EBADF;
		goto out;
	}
	if (cs_sock(fd) == NULL) {
		err = EBADF;
		goto out;
	}
	struct csock *cs_ = cs_sock(fd);
	for (unsigned int i = 0; i < e->n; i++)
		if (e->items[i].fd == fd) {
			if (e->items[i].incarnation != cs_->incarnation) {
				/* The socket it named was closed: gone, as in
				 * Linux, whatever now has its number. */
				e->items[i--] = e->items[--e->n];
				continue;
			}
			it = &e->items[i];
		}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it != NULL) {
			err = EEXIST;
			break;
		}
		if (ev == NULL) {
			err = EFAULT;
			break;
		}
		if (e->n == e->cap) {
			unsigned int cap = e->cap ? e->cap * 2 : 16;
			struct ep_item *ni = realloc(e->items, cap * sizeof(*ni));
			if (ni == NULL) {
				err = ENOMEM;
				break;
			}
			e->items = ni;
			e->cap = cap;
		}
		it = &e->items[e->n++];
		memset(it, 0, sizeof(*it));
		it->fd = fd;
		it->incarnation = cs_->incarnation;
		it->events = ev->events;
		it->data = ev->data;
		{
			struct csock *s = cs_sock(fd);
			it->seen_rx = s->rx.local - 1; /* so a ready socket reports at once */
			it->seen_tx = cav_ring_peer_cons(&s->tx) - 1;
			it->fresh = true; /* ep_insert(): polled once at once */
		}
		break;
	case EPOLL_CTL_MOD:
		if (it == NULL || ev == NULL) {
			err = it == NULL ? ENOENT : EFAULT;
			break;
		}
		it->events = ev->events;
		it->data = ev->data;
		it->seen_rx--;
		it->seen_tx--;
		it->fresh = true;
		break;
	case EPOLL_CTL_DEL:
		if (it == NULL) {
			err = ENOENT;
			break;
		}
		*it = e->items[--e->n];
		break;
	default:
		err = EINVAL;
	}
out:
	pthread_mutex_unlock(&ep_lock);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Everything whose change Linux signals with sk_state_change() or
 * sk_error_report() (a wakeup for every waiter, whatever it waits for):
 * the TCP state, the event bits, our own shutdown and listen, a pending
 * error. */
static uint32_t
stream_sig(struct csock *s)
{
	uint32_t ev = cs_events(s);
	uint32_t sig = cs_stream_state(s, ev) | (ev & 0xffffu) << 8;
	sig ^= (uint32_t)__atomic_load_n(&s->shut_rd, __ATOMIC_RELAXED) << 24;
	sig ^= (uint32_t)__atomic_load_n(&s->shut_wr, __ATOMIC_RELAXED) << 25;
	sig ^= (uint32_t)__atomic_load_n(&s->listening, __ATOMIC_RELAXED) << 26;
	sig ^= (uint32_t)(__atomic_load_n(&s->shm->so_error, __ATOMIC_RELAXED) != 0) << 27;
	sig ^= (uint32_t)__atomic_load_n(&s->conn, __ATOMIC_RELAXED) << 28;
	return sig;
}

/*
 * A stream socket's report. Level-triggered: the tcp_poll() mask whenever
 * it intersects the interest. Edge-triggered, as Linux's wakeups decide
 * it: new bytes or accept records (sk_data_ready, for EPOLLIN interest),
 * room that came back after a writer found none (sk_write_space, only
 * with SOCK_NOSPACE set, for EPOLLOUT interest), any change of state or
 * error (everyone); a wakeup reports the whole current mask.
 */
static uint32_t
stream_report(struct ep_item *it, struct csock *s)
{
	uint32_t want = it->events | EPOLLERR | EPOLLHUP;
	uint32_t mask = cs_ready(s) & want;
	if (!(it->events & EPOLLET))
		return mask;
	uint32_t prod = cav_ring_peer_prod(&s->rx), cons = cav_ring_peer_cons(&s->tx);
	uint32_t sig = stream_sig(s);
	uint32_t nospace = __atomic_load_n(&s->nospace, __ATOMIC_RELAXED);
	bool woke = it->fresh || sig != it->seen_sig;
	if (prod != it->seen_rx && (it->events & (EPOLLIN | EPOLLRDNORM)))
		woke = true;
	if (cons != it->seen_tx && nospace != it->seen_nospace && (mask & EPOLLOUT))
		woke = true;
	if (!woke)
		return 0;
	/* A wakeup is used up by the scan that sees it, reported or not
	 * (ep_send_events() drops an ET item whose mask is empty). */
	it->fresh = false;
	it->seen_rx = prod;
	it->seen_tx = cons;
	it->seen_sig = sig;
	if (mask & EPOLLOUT)
		it->seen_nospace = nospace;
	return mask;
}

/* Ready Cavalry items into evs (ep_lock held). */
static int
ep_scan(struct ep_set *e, struct epoll_event *evs, int max)
{
	int n = 0;
	for (unsigned int i = 0; i < e->n && n < max; i++) {
		struct ep_item *it = &e->items[i];
		struct csock *s = cs_sock(it->fd);
		if (s == NULL || s->incarnation != it->incarnation) {
			/* closed without EPOLL_CTL_DEL: Linux drops it too */
			*it = e->items[--e->n];
			i--;
			continue;
		}
		if (s->type == CAV_SOCK_STREAM) {
			uint32_t m = stream_report(it, s);
			if (m != 0) {
				evs[n].events = m;
				evs[n].data = it->data;
				n++;
			}
			continue;
		}
		uint32_t r = cs_ready(s);
		uint32_t out = 0;
		uint32_t prod = cav_ring_peer_prod(&s->rx), cons = cav_ring_peer_cons(&s->tx);
		if ((r & POLLIN) && (it->events & EPOLLIN)) {
			if (!(it->events & EPOLLET) || prod != it->seen_rx)
				out |= EPOLLIN;
		}
		if ((r & POLLOUT) && (it->events & EPOLLOUT)) {
			if (!(it->events & EPOLLET) || cons != it->seen_tx)
				out |= EPOLLOUT;
		}
		if (r & POLLERR) {
			if (!(it->events & EPOLLET) || !it->reported_err)
				out |= EPOLLERR;
			it->reported_err = true;
		} else {
			it->reported_err = false;
		}
		if (r & POLLHUP)
			out |= EPOLLHUP;
		if (out == 0)
			continue;
		if (out & EPOLLIN)
			it->seen_rx = prod;
		if (out & EPOLLOUT)
			it->seen_tx = cons;
		evs[n].events = out;
		evs[n].data = it->data;
		n++;
	}
	return n;
}

/* Kernel events, without ours. */
static int
ep_kernel(int epfd, struct epoll_event *evs, int max, int timeout)
{
	int k = epoll_wait(epfd, evs, max, timeout);
	if (k <= 0)
		return k;
	int out = 0;
	for (int i = 0; i < k; i++) {
		if (evs[i].data.u64 == TAG_WAKE) {
			cs_drain_wake();
			continue;
		}
		if (evs[i].data.u64 == TAG_CONN) {
			cs_set_gone();
			continue;
		}
		evs[out++] = evs[i];
	}
	return out;
}

struct ep_arg {
	struct ep_set *e;
	struct epoll_event *evs;
	int max, n;
};

static bool
ep_check(void *arg)
{
	struct ep_arg *a = arg;
	pthread_mutex_lock(&ep_lock);
	a->n = ep_scan(a->e, a->evs, a->max);
	pthread_mutex_unlock(&ep_lock);
	return a->n > 0;
}

int
cav_epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	if (max <= 0 || evs == NULL) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&ep_lock);
	struct ep_set *e = ep_find(epfd);
	pthread_mutex_unlock(&ep_lock);
	if (e == NULL) /* not ours: a plain kernel epoll */
		return epoll_wait(epfd, evs, max, timeout);
	uint64_t deadline = timeout < 0 ? 0 : cs_now_ns() + (uint64_t)timeout * 1000000u;
	for (;;) {
		struct ep_arg a = {.e = e, .evs = evs, .max = max};
		ep_check(&a);
		int n = a.n;
		if (n < max) {
			int k = ep_kernel(epfd, evs + n, max - n, 0);
			if (k < 0)
				return n > 0 ? n : -1;
			n += k;
		}
		if (n > 0 || timeout == 0 || (deadline != 0 && cs_now_ns() >= deadline))
			return n;
		/* Wait: the kernel epoll holds the wakeup eventfd, the daemon
		 * connection and the application's descriptors. */
		struct pollfd kp = {.fd = epfd, .events = POLLIN};
		int w = cs_wait(ep_check, &a, deadline, &kp, 1);
		if (w == 1)
			return a.n;
		if (w < 0) {
			/* Daemon gone: report EPOLLHUP on the Cavalry sockets. */
			pthread_mutex_lock(&ep_lock);
			n = ep_scan(e, evs, max);
			pthread_mutex_unlock(&ep_lock);
			return n;
		}
	}
}

int
cav_epoll_fd(void)
{
	int rc = cs_attach();
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	pthread_mutex_lock(&cs.lock);
	if (!cs.always_notify) {
		/* From now on the daemon signals every change (shm.h). */
		__atomic_add_fetch(&cs.hdr->client_sleeping, CAV_SLEEP_ALWAYS, __ATOMIC_SEQ_CST);
		cs.always_notify = true;
	}
	pthread_mutex_unlock(&cs.lock);
	return cs.seg.wake_fd;
}
