/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SOCK_PRIV_H
#define CAV_SOCK_PRIV_H

/* libcavsock internals: the process-wide attachment and per-socket state. */

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "shm.h"

/* The client's half of the handshake (attach.c), over a connected unix
 * socket; separate from the process state so tests can run it over a
 * socketpair. */
struct cs_seg {
	int conn, mem_fd, wake_fd, bell_fd;
	void *base;
	uint64_t size;
};

/* Send the hello (`version`, `flags`), receive the welcome and the three
 * descriptors, map and check the segment. Returns 0, or an errno value:
 * EPROTO (version mismatch or a malformed welcome), EIO, ENOMEM, or the
 * status the daemon refused with. */
int cs_attach_fd(int conn, uint32_t version, uint32_t flags, struct cs_seg *seg);
void cs_seg_close(struct cs_seg *seg);

/* A stream socket's association as the application sees it: Linux's
 * struct socket state (SS_UNCONNECTED / SS_CONNECTING / SS_CONNECTED),
 * kept apart from the TCP state the daemon publishes, because connect()'s
 * errors (EALREADY, EISCONN, the second connect() that reports the result)
 * depend on both. */
enum cs_conn {
	CS_UNCONN = 0,
	CS_CONNECTING,
	CS_CONNECTED,
};

struct csock {
	bool used;
	bool nonblock;
	bool bound, connected, reuse;
	int type; /* enum cav_sock_type */
	uint32_t laddr, raddr; /* network order */
	uint16_t lport, rport;
	int rcvbuf, sndbuf;
	struct cav_shm_sock *shm;
	struct cav_ring rx, tx; /* rx: our cons; tx: our prod */
	pthread_mutex_t rxl, txl;

	/* Stream sockets. Words read by readiness scans of other threads
	 * are accessed with relaxed atomics (they only select bits). */
	uint8_t conn;     /* enum cs_conn */
	bool listening;   /* listen() succeeded */
	bool shut_rd;     /* shutdown(SHUT_RD) (Linux's RCV_SHUTDOWN, local part) */
	bool shut_wr;     /* shutdown(SHUT_WR) (SEND_SHUTDOWN, local part) */
	bool seen_active; /* the daemon published a state other than CLOSE
			   * since connect(): a later CLOSE is the end */
	bool nodelay, keepalive, linger_on;
	int linger_sec;
	int maxseg; /* TCP_MAXSEG asked for (0: the default) */
	int keepidle, keepintvl, keepcnt, user_timeout;
	int pmtudisc; /* IP_MTU_DISCOVER (IP_PMTUDISC_WANT at creation) */
	/* Times a writer found the send buffer not writable (Linux's
	 * SOCK_NOSPACE): an edge-triggered EPOLLOUT fires only when room
	 * comes back after that. */
	uint32_t nospace;
	uint32_t gen; /* the slot's generation when we took it */
	/* This process's count of sockets made when this one was: an epoll
	 * item that names an older one is stale (the descriptor was closed
	 * and its number reused, which Linux's epoll notices by itself). */
	uint32_t incarnation;
};

struct cs_state {
	pthread_mutex_t lock; /* attach and control calls */
	int attached;         /* 0: not yet, 1: attached, -1: gone */
	int attach_err;       /* errno of a failed attach */
	bool busy_poll;
	bool always_notify; /* cav_epoll_fd() was called */
	uint32_t spin_ns;
	struct cs_seg seg;
	struct cav_shm_hdr *hdr;
	struct cav_shm_layout layout;
	struct cav_ring req, resp;
	uint32_t seq;
	struct csock *socks; /* layout.n_socks */
};

extern struct cs_state cs;

/* Attach if not yet; 0 or an errno value. */
int cs_attach(void);
/* The daemon's connection is closed (checks it, costs a poll()). */
bool cs_daemon_gone(void);
/* Mark the daemon gone. */
void cs_set_gone(void);
static inline bool
cs_gone(void)
{
	return __atomic_load_n(&cs.attached, __ATOMIC_ACQUIRE) < 0;
}

/* The socket for a descriptor, or NULL (errno EBADF set). */
struct csock *cs_sock(int fd);

/* Readiness of one socket as epoll bits (numerically the poll bits):
 * datagram sockets EPOLLIN/OUT/ERR/HUP; stream sockets what Linux's
 * tcp_poll() computes (with EPOLLRDNORM, EPOLLWRNORM, EPOLLRDHUP). */
uint32_t cs_ready(struct csock *s);

/* -1 with errno = e. */
static inline int
cs_fail(int e)
{
	errno = e;
	return -1;
}

/* Send a control request and wait for its response: the result (>= 0) or
 * -errno (ENOTCONN: the daemon is gone). ctl_call takes cs.lock. */
int cs_ctl_call_locked(struct cav_msg *q, struct cav_msg *r);
int cs_ctl_call(struct cav_msg *q, struct cav_msg *r);

/* Take the pending error (SO_ERROR), 0 if none. */
int cs_take_error(struct csock *s);

/* Fill a struct sockaddr_in (truncated to *len as Linux does). */
int cs_put_sin(struct sockaddr *addr, socklen_t *len, uint32_t a, uint16_t p);

/* Validate an AF_INET address: 0 with *sin set, or an errno value. */
int cs_sin_of(const struct sockaddr *a, socklen_t len, const struct sockaddr_in **sin);

/* Set up the process-local view of socket slot `slot` (rings at the
 * indices the slot holds); the caller then publishes s->used (release). */
void cs_sock_init(struct csock *s, uint32_t slot, int type, bool nonblock);

/* ---- stream sockets (stream.c) ---- */

/* The TCP state as seen by this side (Linux's numbering, TCP_CLOSE for a
 * socket the daemon has not touched yet). */
uint32_t cs_stream_state(struct csock *s, uint32_t ev);
/* The daemon's event word (acquire: pairs with its release store). A
 * stream socket the application has not connected — never, or not since a
 * failed attempt was reported — is as new whatever the daemon still
 * publishes about that attempt (its CLOSED event may come later): only a
 * pending error counts. */
static inline uint32_t
cs_events(const struct csock *s)
{
	uint32_t ev = __atomic_load_n(&s->shm->events, __ATOMIC_ACQUIRE);
	if (s->type == CAV_SOCK_STREAM && __atomic_load_n(&s->conn, __ATOMIC_RELAXED) == CS_UNCONN)
		ev &= CAV_SOCK_EV_ERR;
	return ev;
}
uint32_t cs_stream_ready(struct csock *s);
int cs_stream_connect(struct csock *s, int fd, const struct sockaddr *addr, socklen_t len);
ssize_t cs_stream_send(struct csock *s, const void *buf, size_t len, int flags);
ssize_t cs_stream_recv(struct csock *s, void *buf, size_t len, int flags, struct sockaddr *from,
		       socklen_t *fromlen);
/* Before close: SO_LINGER with a timeout waits for the data to be
 * acknowledged; returns the CAV_OP_CLOSE argument. */
uint32_t cs_stream_close_prepare(struct csock *s, int fd);

uint64_t cs_now_ns(void);

/*
 * Wait until check(arg) is true, `deadline_ns` passes (0: forever) or the
 * daemon goes away: spin for spin_ns, then announce sleep
 * (client_sleeping, seq_cst), re-check, and sleep in poll() on the wakeup
 * eventfd and the daemon connection (and `kfds`, kernel descriptors of
 * cav_poll, if any). Returns 1 (check true), 0 (deadline), -1 (daemon
 * gone), 2 (a kernel descriptor in kfds is ready).
 */
int cs_wait(bool (*check)(void *), void *arg, uint64_t deadline_ns, struct pollfd *kfds,
	    unsigned int n_kfds);

/* Drain the wakeup eventfd (re-arms cav_epoll_fd). */
void cs_drain_wake(void);

#endif
