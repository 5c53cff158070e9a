/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SOCK_PRIV_H
#define CAV_SOCK_PRIV_H

/* libcavsock internals: the process-wide attachment and per-socket state. */

#include <poll.h>
#include <pthread.h>
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

struct csock {
	bool used;
	bool nonblock;
	bool bound, connected, reuse;
	uint32_t laddr, raddr; /* network order */
	uint16_t lport, rport;
	int rcvbuf, sndbuf;
	struct cav_shm_sock *shm;
	struct cav_ring rx, tx; /* rx: our cons; tx: our prod */
	pthread_mutex_t rxl, txl;
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

/* Readiness of one socket: POLLIN/POLLOUT/POLLERR/POLLHUP bits. */
short cs_ready(struct csock *s);

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
