/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake cavalryd for libcavsock's unit tests (see fake_daemon.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include <cavalry/sock.h>

#include "fake_daemon.h"

struct fake F = {.lock = PTHREAD_MUTEX_INITIALIZER, .lfd = -1, .conn = -1};

/* ---- the fake daemon ---- */

struct cav_shm_sock *
fake_shm_sock(uint32_t i)
{
	return cav_shm_sock(F.seg.base, &F.seg.layout, i);
}

/* Publish-then-check, the daemon's half of the Dekker pattern (shm.h). */
static void
fake_wake(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&F.hdr->client_sleeping, __ATOMIC_RELAXED) != 0) {
		uint64_t one = 1;
		if (write(F.seg.wake_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: a wakeup is pending anyway */
		}
	}
}

void
fake_set_state(uint32_t i, uint32_t st)
{
	__atomic_store_n(&fake_shm_sock(i)->tcp_state, st, __ATOMIC_RELEASE);
}

void
fake_add_events(uint32_t i, uint32_t ev)
{
	__atomic_or_fetch(&fake_shm_sock(i)->events, ev, __ATOMIC_RELEASE);
}

/* A fresh slot, as the daemon sets one up for CAV_OP_SOCKET or a passive
 * open. With F.lock held. */
static int
fake_slot_take(bool stream)
{
	for (uint32_t i = 0; i < F.seg.layout.n_socks && i < MAX_SLOTS; i++) {
		if (F.slot[i].used)
			continue;
		struct cav_shm_sock *s = fake_shm_sock(i);
		memset(s, 0, sizeof(*s));
		s->gen = ++F.gen[i];
		if (stream)
			s->tcp_state = TCP_CLOSE;
		memset(&F.slot[i], 0, sizeof(F.slot[i]));
		F.slot[i].used = true;
		F.slot[i].stream = stream;
		cav_shm_sock_ring(&F.slot[i].rx, F.seg.base, &F.seg.layout, i, 0, 0);
		cav_shm_sock_ring(&F.slot[i].tx, F.seg.base, &F.seg.layout, i, 1, 0);
		return (int)i;
	}
	return -1;
}

static void establish_cb(void *arg);
static void refuse_cb(void *arg);

static void
serve(const struct cav_msg *q, struct cav_msg *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = q->seq;
	r->op = q->op;
	r->sock = q->sock;
	struct fslot *fs = q->sock < MAX_SLOTS ? &F.slot[q->sock] : NULL;
	if (q->op != CAV_OP_SOCKET && q->op != CAV_OP_NOP && (fs == NULL || !fs->used)) {
		r->result = -EBADF;
		return;
	}
	switch (q->op) {
	case CAV_OP_SOCKET: {
		F.last_socket_arg = q->arg;
		int i = fake_slot_take(q->arg == CAV_SOCK_STREAM);
		if (i < 0)
			r->result = -EMFILE;
		else
			r->sock = (uint16_t)i;
		return;
	}
	case CAV_OP_BIND:
		fs->laddr = q->addr;
		fs->lport = q->port != 0 ? q->port : htons(F.next_port++);
		break;
	case CAV_OP_LISTEN:
		if (!fs->stream) {
			r->result = -EOPNOTSUPP;
			return;
		}
		if (fs->lport == 0)
			fs->lport = htons(F.next_port++);
		fs->listening = true;
		fs->backlog = q->arg;
		fake_set_state(q->sock, TCP_LISTEN);
		break;
	case CAV_OP_CONNECT:
		fs->n_connect++;
		fs->caddr = q->addr;
		fs->cport = q->port;
		if (F.connect_err != 0) {
			r->result = -F.connect_err;
			return;
		}
		fs->laddr = LOCAL_ADDR;
		if (fs->lport == 0)
			fs->lport = htons(F.next_port++);
		/* As the daemon: a new attempt forgets the last one. */
		__atomic_store_n(&fake_shm_sock(q->sock)->so_error, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&fake_shm_sock(q->sock)->events, 0, __ATOMIC_RELAXED);
		fake_set_state(q->sock, TCP_SYN_SENT);
		if (F.cmode == CM_ESTABLISH_NOW) {
			fake_set_state(q->sock, TCP_ESTABLISHED);
			fake_add_events(q->sock, CAV_SOCK_EV_CONNECTED);
		} else if (F.cmode == CM_ESTABLISH_ON_SLEEP || F.cmode == CM_REFUSE_ON_SLEEP) {
			F.on_sleep = F.cmode == CM_ESTABLISH_ON_SLEEP ? establish_cb : refuse_cb;
			F.on_sleep_arg = (void *)(uintptr_t)q->sock;
		}
		break;
	case CAV_OP_CLOSE:
		F.last_close_slot = q->sock;
		F.last_close_arg = q->arg;
		fs->used = false;
		return;
	case CAV_OP_SETOPT:
		if (q->arg >= 32) {
			r->result = -ENOPROTOOPT;
			return;
		}
		if (q->arg == CAV_OPT_CONGESTION) {
			/* As lib/session: the name in rsvd, "reno" and "cubic"
			 * known, ENOENT otherwise. */
			memcpy(fs->cc_asked, q->rsvd, sizeof(fs->cc_asked));
			fs->cc_asked[sizeof(fs->cc_asked) - 1] = '\0';
			fs->n_cc_set++;
			if (strcmp(fs->cc_asked, "reno") != 0 && strcmp(fs->cc_asked, "cubic") != 0) {
				r->result = -ENOENT;
				return;
			}
			memcpy(fs->cc, fs->cc_asked, sizeof(fs->cc));
			return;
		}
		fs->opt[q->arg] = q->val;
		r->result = (int32_t)q->val;
		if (q->arg == CAV_OPT_RCVBUF || q->arg == CAV_OPT_SNDBUF)
			r->result = (int32_t)q->val * 2; /* doubled, as Linux */
		return;
	case CAV_OP_GETOPT:
		if (q->arg == CAV_OPT_CONGESTION) {
			snprintf((char *)r->rsvd, CAV_CC_NAME_MAX, "%s",
				 fs->cc[0] != '\0' ? fs->cc : "cubic");
		} else if (q->arg == CAV_OPT_MAXSEG) {
			r->val = F.getopt_maxseg;
		} else if (q->arg == CAV_OPT_TCP_INFO) {
			struct cav_tcp_info ti = {.rtt_us = 1234,
						  .rttvar_us = 55,
						  .rto_us = 201000,
						  .snd_cwnd = 10,
						  .snd_ssthresh = 0x7fffffff,
						  .snd_mss = 1448,
						  .rcv_mss = 1400,
						  .unacked = 3,
						  .total_retrans = 7};
			memcpy(r->rsvd, &ti, sizeof(ti));
		} else {
			r->result = -ENOPROTOOPT;
		}
		return;
	case CAV_OP_SHUTDOWN:
		fs->n_shutdown++;
		fs->shut_how = q->arg;
		/* What the owner worker would see now: the request word and
		 * the bytes published before it. */
		fs->req_at_shut =
		    __atomic_load_n(&fake_shm_sock(q->sock)->client_req, __ATOMIC_ACQUIRE);
		fs->txprod_at_shut = cav_ring_peer_prod(&fs->tx);
		break;
	case CAV_OP_NOP:
		return;
	default:
		r->result = -EINVAL;
		return;
	}
	if (fs != NULL) {
		r->addr = fs->laddr;
		r->port = fs->lport;
	}
}

/* The client is blocked in a wait of its own (not a control call). */
static bool
client_blocked(void)
{
	return __atomic_load_n(&F.hdr->client_sleeping, __ATOMIC_SEQ_CST) != 0 &&
	       cav_ring_peer_prod(&F.req) == F.req.local &&
	       cav_ring_peer_cons(&F.resp) == F.resp.local;
}

static void *
fake_main(void *arg)
{
	(void)arg;
	struct pollfd p = {.fd = F.lfd, .events = POLLIN};
	if (poll(&p, 1, 10000) <= 0)
		return NULL;
	F.conn = accept(F.lfd, NULL, NULL);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(F.conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sess_attach_serve(F.conn, FAKE_SEG_SIZE, 0, getpid(), &F.seg) != 0)
		return NULL;
	F.hdr = F.seg.base;
	cav_shm_msg_ring(&F.req, F.seg.base, F.seg.layout.req_off, 0);
	cav_shm_msg_ring(&F.resp, F.seg.base, F.seg.layout.resp_off, 0);
	__atomic_store_n(&F.attached, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&F.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd b = {.fd = F.seg.bell_fd, .events = POLLIN};
		poll(&b, 1, 1);
		uint64_t v;
		if (read(F.seg.bell_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN */
		}
		pthread_mutex_lock(&F.lock);
		struct cav_msg q, r;
		bool any = false;
		while (cav_msg_pop(&F.req, &q) == CAV_SHM_OK) {
			serve(&q, &r);
			cav_msg_push(&F.resp, &r);
			any = true;
		}
		if (any)
			fake_wake();
		if (F.on_sleep != NULL && client_blocked()) {
			void (*fn)(void *) = F.on_sleep;
			F.on_sleep = NULL;
			F.fired++;
			fn(F.on_sleep_arg);
			fake_wake();
		}
		pthread_mutex_unlock(&F.lock);
	}
	return NULL;
}

/* ---- daemon actions (the test thread, or the fake on sleep) ---- */

void
fake_lock(void)
{
	pthread_mutex_lock(&F.lock);
}

void
fake_unlock(void)
{
	fake_wake();
	pthread_mutex_unlock(&F.lock);
}

void
fake_establish(uint32_t i)
{
	fake_set_state(i, TCP_ESTABLISHED);
	fake_add_events(i, CAV_SOCK_EV_CONNECTED);
}

static void
establish_cb(void *arg)
{
	fake_establish((uint32_t)(uintptr_t)arg);
}

/* The connection ended with `err` (RST received, timeout, ...). */
void
fake_reset(uint32_t i, int err)
{
	__atomic_store_n(&fake_shm_sock(i)->so_error, err, __ATOMIC_RELEASE);
	fake_set_state(i, TCP_CLOSE);
	fake_add_events(i, CAV_SOCK_EV_RESET | CAV_SOCK_EV_WRHUP | CAV_SOCK_EV_ERR);
}

static void
refuse_cb(void *arg)
{
	fake_reset((uint32_t)(uintptr_t)arg, ECONNREFUSED);
}

void
fake_rx(uint32_t i, const void *data, uint32_t len)
{
	cav_bs_write(&F.slot[i].rx, data, len);
}

void
fake_fin(uint32_t i)
{
	fake_set_state(i, TCP_CLOSE_WAIT);
	fake_add_events(i, CAV_SOCK_EV_RDHUP);
}

/* Read (and acknowledge) up to `max` bytes the client sent. */
uint32_t
fake_tx_pull(uint32_t i, void *buf, uint32_t max)
{
	struct cav_ring *t = &F.slot[i].tx;
	int64_t a = cav_bs_avail(t);
	assert_true(a >= 0);
	uint32_t n = (uint32_t)a < max ? (uint32_t)a : max;
	if (buf != NULL)
		cav_bs_copy_out(t, t->local, buf, n);
	cav_bs_consume(t, n);
	return n;
}

/* A handshake completed on listener `l`: a new connection slot and its
 * accept record. Returns the slot. */
int
fake_passive_open(uint32_t l, uint32_t raddr, uint16_t rport, uint32_t gen_delta)
{
	int i = fake_slot_take(true);
	assert_true(i >= 0);
	F.slot[i].laddr = LOCAL_ADDR;
	F.slot[i].lport = F.slot[l].lport;
	fake_shm_sock((uint32_t)i)->events = CAV_SOCK_EV_CONNECTED;
	fake_set_state((uint32_t)i, TCP_ESTABLISHED);
	struct cav_accept_rec rec = {.slot = (uint32_t)i,
				     .laddr = LOCAL_ADDR,
				     .lport = F.slot[l].lport,
				     .gen = fake_shm_sock((uint32_t)i)->gen + gen_delta};
	assert_int_equal(cav_dg_produce(&F.slot[l].rx, &rec, sizeof(rec), raddr, rport, UINT32_MAX),
			 CAV_SHM_OK);
	return i;
}

void
fake_arm(void (*fn)(void *), void *arg)
{
	fake_lock();
	F.fired = 0;
	F.on_sleep = fn;
	F.on_sleep_arg = arg;
	pthread_mutex_unlock(&F.lock);
}

void
fake_set_cmode(enum conn_mode m, int connect_err)
{
	pthread_mutex_lock(&F.lock);
	F.cmode = m;
	F.connect_err = connect_err;
	if (m == CM_ESTABLISH_ON_SLEEP || m == CM_REFUSE_ON_SLEEP)
		F.fired = 0;
	pthread_mutex_unlock(&F.lock);
}

/* ---- helpers for the tests ---- */

uint32_t
slot_of(int fd)
{
	return (uint32_t)(fd - CAV_FD_BASE);
}

short
poll_mask(int fd)
{
	struct pollfd p = {.fd = fd,
			   .events = POLLIN | POLLOUT | POLLRDHUP | POLLRDNORM | POLLWRNORM};
	int n = cav_poll(&p, 1, 0);
	assert_true(n == 0 || n == 1);
	return p.revents;
}

struct sockaddr_in
sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = addr;
	return a;
}

int
tcp_socket(int flags)
{
	int fd = cav_socket(AF_INET, SOCK_STREAM | flags, 0);
	assert_true(fd >= CAV_FD_BASE);
	return fd;
}

/* A connected socket (the fake establishes before answering connect). */
int
connected(int flags)
{
	int fd = tcp_socket(flags);
	fake_set_cmode(CM_ESTABLISH_NOW, 0);
	struct sockaddr_in to = sin_of(PEER_ADDR, 80);
	assert_int_equal(cav_connect(fd, SA(to), sizeof(to)), 0);
	fake_set_cmode(CM_PENDING, 0);
	return fd;
}

void
pattern(uint8_t *b, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)((i + seed) * 2654435761u >> 24);
}

/* Acknowledge what the client queued; again on its next sleep until all
 * of it came. */
void
drain_cb(void *arg)
{
	struct drain_arg *d = arg;
	d->n += fake_tx_pull(d->slot, d->got + d->n, d->want - d->n);
	if (d->n < d->want) {
		F.on_sleep = drain_cb;
		F.on_sleep_arg = d;
	}
}

void
fin_cb(void *arg)
{
	fake_fin((uint32_t)(uintptr_t)arg);
}

/* ---- start, stop ---- */

int
fake_start(void)
{
	snprintf(F.path, sizeof(F.path), "/tmp/cav-test-fake-%d.sock", (int)getpid());
	unlink(F.path);
	F.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", F.path);
	if (bind(F.lfd, (struct sockaddr *)&un, sizeof(un)) != 0 || listen(F.lfd, 1) != 0)
		return -1;
	setenv("CAVSOCK_PATH", F.path, 1);
	setenv("CAVSOCK_SPIN_US", "0", 1);
	unsetenv("CAVSOCK_BUSY_POLL");
	F.next_port = 40000;
	if (pthread_create(&F.thr, NULL, fake_main, NULL) != 0)
		return -1;
	/* Attach now (the first call does): every test starts attached. */
	int fd = cav_socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || !__atomic_load_n(&F.attached, __ATOMIC_ACQUIRE))
		return -1;
	cav_close(fd);
	return 0;
}

void
fake_stop(void)
{
	__atomic_store_n(&F.stop, true, __ATOMIC_RELEASE);
	pthread_join(F.thr, NULL);
	unlink(F.path);
	close(F.lfd);
}

/* Every test leaves the fake with no socket in use. */
int
fake_check_no_leak(void)
{
	pthread_mutex_lock(&F.lock);
	F.on_sleep = NULL;
	F.cmode = CM_PENDING;
	F.connect_err = 0;
	pthread_mutex_unlock(&F.lock);
	int rc = 0;
	for (uint32_t i = 0; i < MAX_SLOTS; i++)
		if (F.slot[i].used) {
			/* A failed test: close it so that the next one starts
			 * clean, and say so. */
			fprintf(stderr, "slot %u still in use\n", i);
			if (cav_close(CAV_FD_BASE + (int)i) != 0) {
				pthread_mutex_lock(&F.lock);
				F.slot[i].used = false;
				pthread_mutex_unlock(&F.lock);
			}
			rc = -1;
		}
	return rc;
}
