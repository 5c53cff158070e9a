/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock's SOCK_STREAM calls, public API only, against a fake daemon
 * (fake_daemon.h) that plays cavalryd's part in the shared segment. Every
 * blocking case is released by the fake acting while the call sleeps, not
 * by a timer.
 *
 * The expected poll masks and errors are Linux's, measured with kernel
 * sockets on this machine (kernel 6.18) for the same situations.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <cavalry/sock.h>

#include "fake_daemon.h"

static volatile sig_atomic_t n_sigpipe;

static void
on_sigpipe(int sig)
{
	(void)sig;
	n_sigpipe++;
}

/* ---- helpers ---- */

struct passive_arg {
	uint32_t l;
	int slot;
};

static void
passive_cb(void *arg)
{
	struct passive_arg *a = arg;
	a->slot = fake_passive_open(a->l, PEER_ADDR, htons(5555), 0);
}

/* ---- tests: sockets, connect ---- */

static void
test_socket_stream_types(void **state)
{
	(void)state;
	int fd = cav_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_true(fd >= CAV_FD_BASE);
	assert_int_equal(F.last_socket_arg, CAV_SOCK_STREAM);
	int v;
	socklen_t l = sizeof(v);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l), 0);
	assert_int_equal(v, SOCK_STREAM);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l), 0);
	assert_int_equal(v, IPPROTO_TCP);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cav_close(fd), 0);
	expect_err(cav_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	expect_err(cav_socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	int u = cav_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(F.last_socket_arg, CAV_SOCK_DGRAM);
	expect_err(cav_listen(u, 1), EOPNOTSUPP);
	expect_err(cav_accept(u, NULL, NULL), EOPNOTSUPP);
	v = 1;
	expect_err(cav_setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), ENOPROTOOPT);
	cav_close(u);
}

static void
test_unconnected_errors(void **state)
{
	(void)state;
	int fd = tcp_socket(0);
	char b[4];
	/* Linux: recv ENOTCONN, send EPIPE (tcp_sendmsg: not SYN_SENT). */
	expect_err(cav_recv(fd, b, sizeof(b), 0), ENOTCONN);
	expect_err(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	expect_err(cav_getpeername(fd, SA(a), &al), ENOTCONN);
	/* Linux: a never-connected TCP socket is OUT|HUP. */
	assert_int_equal(poll_mask(fd), M_FRESH);
	/* shutdown: ENOTCONN, but recorded (poll shows it, send EPIPE). */
	expect_err(cav_shutdown(fd, SHUT_WR), ENOTCONN);
	expect_err(cav_shutdown(fd, 7), EINVAL);
	expect_err(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	cav_close(fd);
}

static void
test_connect_blocking_ok(void **state)
{
	(void)state;
	int fd = tcp_socket(0);
	fake_set_cmode(CM_ESTABLISH_ON_SLEEP, 0);
	struct sockaddr_in to = sin_of(PEER_ADDR, 8080);
	assert_int_equal(cav_connect(fd, SA(to), sizeof(to)), 0);
	fake_set_cmode(CM_PENDING, 0);
	/* It waited in the handshake: the fake completed it while it slept. */
	assert_int_equal(F.fired, 1);
	struct fslot *fs = &F.slot[slot_of(fd)];
	assert_int_equal(fs->caddr, PEER_ADDR);
	assert_int_equal(fs->cport, htons(8080));
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	assert_int_equal(cav_getpeername(fd, SA(a), &al), 0);
	assert_int_equal(a.sin_addr.s_addr, PEER_ADDR);
	assert_int_equal(a.sin_port, htons(8080));
	assert_int_equal(cav_getsockname(fd, SA(a), &al), 0);
	assert_int_equal(a.sin_addr.s_addr, LOCAL_ADDR);
	assert_int_equal(a.sin_port, fs->lport);
	assert_int_equal(poll_mask(fd), M_EST);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EISCONN);
	assert_int_equal(fs->n_connect, 1);
	cav_close(fd);
}

static void
test_connect_blocking_refused(void **state)
{
	(void)state;
	int fd = tcp_socket(0);
	fake_set_cmode(CM_REFUSE_ON_SLEEP, 0);
	struct sockaddr_in to = sin_of(PEER_ADDR, 1);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), ECONNREFUSED);
	assert_int_equal(F.fired, 1);
	fake_set_cmode(CM_PENDING, 0);
	/* The error was reported by connect(): SO_ERROR is clear, and the
	 * socket is as new (Linux's tcp_disconnect): OUT|HUP. */
	int v = -1;
	socklen_t l = sizeof(v);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	assert_int_equal(v, 0);
	assert_int_equal(poll_mask(fd), M_FRESH);
	/* What the daemon still publishes about the failed attempt changes
	 * nothing: a state word that lags, a CLOSED event that comes later. */
	uint32_t sl = slot_of(fd);
	fake_lock();
	fake_set_state(sl, TCP_SYN_SENT);
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_FRESH);
	fake_lock();
	fake_set_state(sl, TCP_CLOSE);
	fake_add_events(sl, CAV_SOCK_EV_CLOSED | CAV_SOCK_EV_WRHUP);
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_FRESH);
	char b[4];
	expect_err(cav_recv(fd, b, sizeof(b), 0), ENOTCONN);
	/* And it may try again. */
	fake_set_cmode(CM_ESTABLISH_NOW, 0);
	assert_int_equal(cav_connect(fd, SA(to), sizeof(to)), 0);
	fake_set_cmode(CM_PENDING, 0);
	assert_int_equal(F.slot[slot_of(fd)].n_connect, 2);
	cav_close(fd);
}

static void
test_connect_nonblocking(void **state)
{
	(void)state;
	int fd = tcp_socket(SOCK_NONBLOCK);
	struct sockaddr_in to = sin_of(PEER_ADDR, 80);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EINPROGRESS);
	/* SYN_SENT: nothing, above all no POLLOUT before the handshake. */
	assert_int_equal(poll_mask(fd), 0);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EALREADY);
	char b[4];
	expect_err(cav_send(fd, "x", 1, 0), EAGAIN);
	expect_err(cav_recv(fd, b, sizeof(b), 0), EAGAIN);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	expect_err(cav_getpeername(fd, SA(a), &al), ENOTCONN);
	assert_int_equal(F.slot[slot_of(fd)].n_connect, 1); /* EALREADY asked nobody */
	fake_lock();
	fake_establish(slot_of(fd));
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_EST);
	int v = -1;
	socklen_t l = sizeof(v);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	assert_int_equal(v, 0);
	/* Linux: the connect() after completion reports success, the
	 * next one EISCONN. */
	assert_int_equal(cav_connect(fd, SA(to), sizeof(to)), 0);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EISCONN);
	assert_int_equal(cav_getpeername(fd, SA(a), &al), 0);
	cav_close(fd);
}

static void
test_connect_nonblocking_refused(void **state)
{
	(void)state;
	int fd = tcp_socket(SOCK_NONBLOCK);
	struct sockaddr_in to = sin_of(PEER_ADDR, 80);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EINPROGRESS);
	fake_lock();
	fake_reset(slot_of(fd), ECONNREFUSED);
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_RESET);
	int v = -1;
	socklen_t l = sizeof(v);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	assert_int_equal(v, ECONNREFUSED);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	assert_int_equal(v, 0);
	assert_int_equal(poll_mask(fd) & POLLERR, 0);
	/* Linux: the error was taken already, so connect() says
	 * ECONNABORTED; then the socket is new again. */
	expect_err(cav_connect(fd, SA(to), sizeof(to)), ECONNABORTED);
	assert_int_equal(poll_mask(fd), M_FRESH);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EINPROGRESS);
	cav_close(fd);
}

static void
test_connect_immediate_error(void **state)
{
	(void)state;
	int fd = tcp_socket(0);
	struct sockaddr_in to = sin_of(PEER_ADDR, 80);
	fake_set_cmode(CM_PENDING, ENETUNREACH);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), ENETUNREACH);
	fake_set_cmode(CM_PENDING, 0);
	assert_int_equal(poll_mask(fd), M_FRESH);
	expect_err(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	expect_err(cav_connect(fd, (struct sockaddr *)&a6, sizeof(a6)), EAFNOSUPPORT);
	cav_close(fd);
}

/* ---- listen / accept ---- */

static void
test_listen_accept_order(void **state)
{
	(void)state;
	int l = tcp_socket(0);
	struct sockaddr_in me = sin_of(0, 8000);
	assert_int_equal(cav_bind(l, SA(me), sizeof(me)), 0);
	assert_int_equal(cav_listen(l, 5), 0);
	uint32_t ls = slot_of(l);
	assert_int_equal(F.slot[ls].backlog, 5);
	assert_int_equal(cav_listen(l, -1), 0); /* again: the backlog changes */
	assert_int_equal(F.slot[ls].backlog, 4096);
	int v;
	socklen_t vl = sizeof(v);
	assert_int_equal(cav_getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cav_fcntl(l, F_SETFL, O_NONBLOCK), 0);
	expect_err(cav_accept(l, NULL, NULL), EAGAIN);
	assert_int_equal(poll_mask(l), 0);
	/* A listener is neither readable nor writable nor connectable. */
	char b[4];
	expect_err(cav_recv(l, b, sizeof(b), 0), ENOTCONN);
	expect_err(cav_send(l, "x", 1, MSG_NOSIGNAL), EPIPE);
	struct sockaddr_in to = sin_of(PEER_ADDR, 80);
	expect_err(cav_connect(l, SA(to), sizeof(to)), EISCONN);

	fake_lock();
	int s1 = fake_passive_open(ls, PEER_ADDR, htons(1001), 0);
	int stale = fake_passive_open(ls, PEER_ADDR, htons(1002), 1); /* wrong generation */
	int s2 = fake_passive_open(ls, PEER_ADDR + 0x01000000u, htons(1003), 0);
	fake_unlock();
	assert_int_equal(poll_mask(l), POLLIN | POLLRDNORM);

	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int a1 = cav_accept(l, SA(peer), &pl);
	assert_int_equal(a1, CAV_FD_BASE + s1);
	assert_int_equal(pl, sizeof(peer));
	assert_int_equal(peer.sin_port, htons(1001));
	/* The stale record is skipped: the next one is s2. */
	pl = sizeof(peer);
	int a2 = cav_accept4(l, SA(peer), &pl, SOCK_NONBLOCK);
	assert_int_equal(a2, CAV_FD_BASE + s2);
	assert_int_equal(peer.sin_addr.s_addr, PEER_ADDR + 0x01000000u);
	assert_int_equal(peer.sin_port, htons(1003));
	expect_err(cav_accept(l, NULL, NULL), EAGAIN);
	assert_int_equal(poll_mask(l), 0);
	expect_err(cav_accept4(l, NULL, NULL, 0x1), EINVAL);

	/* The accepted sockets: connected, names right, flags right. */
	assert_int_equal(cav_fcntl(a1, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(cav_fcntl(a2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	struct sockaddr_in n;
	socklen_t nl = sizeof(n);
	assert_int_equal(cav_getpeername(a1, SA(n), &nl), 0);
	assert_int_equal(n.sin_port, htons(1001));
	assert_int_equal(cav_getsockname(a1, SA(n), &nl), 0);
	assert_int_equal(n.sin_addr.s_addr, LOCAL_ADDR);
	assert_int_equal(n.sin_port, htons(8000));
	assert_int_equal(poll_mask(a1), M_EST);
	expect_err(cav_connect(a1, SA(to), sizeof(to)), EISCONN);
	expect_err(cav_listen(a1, 1), EINVAL);
	/* A socket that is not listening cannot accept. */
	expect_err(cav_accept(a1, NULL, NULL), EINVAL);
	cav_close(a1);
	cav_close(a2);
	fake_lock();
	F.slot[stale].used = false;
	pthread_mutex_unlock(&F.lock);
	cav_close(l);
}

static void
test_accept_blocking(void **state)
{
	(void)state;
	int l = tcp_socket(0);
	assert_int_equal(cav_listen(l, 8), 0); /* unbound: an ephemeral port */
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	assert_int_equal(cav_getsockname(l, SA(me), &ml), 0);
	assert_int_not_equal(me.sin_port, 0);
	struct passive_arg pa = {.l = slot_of(l), .slot = -1};
	fake_arm(passive_cb, &pa);
	int a = cav_accept(l, NULL, NULL);
	assert_int_equal(F.fired, 1);
	assert_int_equal(a, CAV_FD_BASE + pa.slot);
	cav_close(a);
	cav_close(l);
}

/* ---- send ---- */

static void
test_send_partial_and_eagain(void **state)
{
	(void)state;
	int fd = connected(SOCK_NONBLOCK);
	uint32_t sl = slot_of(fd);
	int v = 4096;
	assert_int_equal(cav_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	socklen_t vl = sizeof(v);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &vl), 0);
	assert_int_equal(v, 8192);
	static uint8_t out[20000], in[20000];
	pattern(out, sizeof(out), 1);
	/* Non-blocking: what fits (the send buffer), then EAGAIN. */
	assert_int_equal(cav_send(fd, out, sizeof(out), 0), 8192);
	expect_err(cav_send(fd, out, 1, 0), EAGAIN);
	/* Full: not writable. */
	assert_int_equal(poll_mask(fd) & POLLOUT, 0);
	fake_lock();
	assert_int_equal(fake_tx_pull(sl, in, 1000), 1000);
	fake_unlock();
	/* 1000 free of 8192: below Linux's threshold (free >= queued / 2). */
	assert_int_equal(poll_mask(fd) & POLLOUT, 0);
	assert_int_equal(cav_send(fd, out + 8192, 5000, MSG_DONTWAIT), 1000);
	fake_lock();
	assert_int_equal(fake_tx_pull(sl, in + 1000, sizeof(in)), 8192);
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_EST);
	assert_memory_equal(in, out, 9192);

	/* Blocking: everything, waiting for acknowledgements as it goes. */
	assert_int_equal(cav_fcntl(fd, F_SETFL, 0), 0);
	struct drain_arg d = {.slot = sl, .got = in, .want = sizeof(out)};
	memset(in, 0, sizeof(in));
	fake_arm(drain_cb, &d);
	assert_int_equal(cav_send(fd, out, sizeof(out), 0), sizeof(out));
	assert_true(F.fired >= 1);
	fake_lock();
	F.on_sleep = NULL;
	d.n += fake_tx_pull(sl, in + d.n, d.want - d.n);
	pthread_mutex_unlock(&F.lock);
	assert_int_equal(d.n, sizeof(out));
	assert_memory_equal(in, out, sizeof(out));
	cav_close(fd);
}

static void
test_send_across_ring_end(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	static uint8_t out[200000], in[200000];
	/* Twice 200 KB through a 256 KiB ring: the second wraps. */
	for (uint32_t round = 0; round < 2; round++) {
		pattern(out, sizeof(out), round + 7);
		assert_int_equal(cav_send(fd, out, sizeof(out), 0), sizeof(out));
		fake_lock();
		assert_int_equal(fake_tx_pull(sl, in, sizeof(in)), sizeof(in));
		fake_unlock();
		assert_memory_equal(in, out, sizeof(out));
	}
	cav_close(fd);
}

static void
test_epipe_and_sigpipe(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	assert_int_equal(cav_send(fd, "last", 4, 0), 4);
	assert_int_equal(cav_shutdown(fd, SHUT_WR), 0);
	/* The daemon was told after the request word and the bytes. */
	struct fslot *fs = &F.slot[sl];
	assert_int_equal(fs->n_shutdown, 1);
	assert_int_equal(fs->shut_how, SHUT_WR);
	assert_int_equal(fs->req_at_shut & CAV_REQ_SHUT_WR, CAV_REQ_SHUT_WR);
	assert_int_equal(fs->txprod_at_shut, 4);
	/* Linux keeps POLLOUT once writing is shut down. */
	assert_int_equal(poll_mask(fd), M_EST);
	int before = n_sigpipe;
	expect_err(cav_send(fd, "x", 1, 0), EPIPE);
	assert_int_equal(n_sigpipe, before + 1);
	expect_err(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	assert_int_equal(n_sigpipe, before + 1);
	/* A second SHUT_WR asks nothing more. */
	assert_int_equal(cav_shutdown(fd, SHUT_WR), 0);
	assert_int_equal(fs->n_shutdown, 1);
	char b[8];
	fake_lock();
	assert_int_equal(fake_tx_pull(sl, b, sizeof(b)), 4);
	fake_unlock();
	assert_memory_equal(b, "last", 4);
	cav_close(fd);
}

/* ---- receive ---- */

static void
rx_cb(void *arg)
{
	uint32_t sl = (uint32_t)(uintptr_t)arg;
	fake_rx(sl, "DEFG", 4);
}

static void
test_recv_peek_waitall(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	char b[32];
	fake_lock();
	fake_rx(sl, "hello world", 11);
	fake_unlock();
	assert_int_equal(poll_mask(fd), POLLIN | POLLRDNORM | M_EST);
	assert_int_equal(cav_recv(fd, b, 5, MSG_PEEK), 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(cav_recv(fd, b, 5, MSG_PEEK), 5); /* still there */
	assert_memory_equal(b, "hello", 5);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	assert_int_equal(cav_recvfrom(fd, b, 6, 0, SA(from), &fl), 6);
	assert_int_equal(fl, 0); /* TCP gives no address */
	assert_memory_equal(b, "hello ", 6);
	/* WAITALL, non-blocking: what is there. */
	assert_int_equal(cav_recv(fd, b, 3, MSG_WAITALL | MSG_DONTWAIT), 3);
	assert_memory_equal(b, "wor", 3);
	/* WAITALL, blocking: 2 queued, 4 more arrive while it waits. */
	fake_arm(rx_cb, (void *)(uintptr_t)sl);
	assert_int_equal(cav_recv(fd, b, 6, MSG_WAITALL), 6);
	assert_int_equal(F.fired, 1);
	assert_memory_equal(b, "ldDEFG", 6);
	expect_err(cav_recv(fd, b, sizeof(b), MSG_DONTWAIT), EAGAIN);
	/* PEEK + WAITALL waits for the whole length without taking it. */
	fake_lock();
	fake_rx(sl, "ABC", 3);
	fake_unlock();
	fake_arm(rx_cb, (void *)(uintptr_t)sl);
	assert_int_equal(cav_recv(fd, b, 7, MSG_PEEK | MSG_WAITALL), 7);
	assert_memory_equal(b, "ABCDEFG", 7);
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 7);
	assert_memory_equal(b, "ABCDEFG", 7);
	/* MSG_OOB: no urgent data, ever. */
	expect_err(cav_recv(fd, b, 1, MSG_OOB), EINVAL);
	expect_err(cav_send(fd, b, 1, MSG_OOB), EOPNOTSUPP);
	cav_close(fd);
}

static void
test_recv_across_ring_end(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	static uint8_t out[200000], in[200000];
	for (uint32_t round = 0; round < 2; round++) {
		pattern(out, sizeof(out), round + 3);
		fake_lock();
		fake_rx(sl, out, sizeof(out));
		fake_unlock();
		assert_int_equal(cav_recv(fd, in, sizeof(in), MSG_WAITALL), sizeof(in));
		assert_memory_equal(in, out, sizeof(out));
	}
	cav_close(fd);
}

static void
test_eof(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	char b[8];
	fake_lock();
	fake_rx(sl, "abc", 3);
	fake_fin(sl);
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_PEER_FIN);
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 3); /* the bytes first */
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 0);
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 0);
	assert_int_equal(poll_mask(fd), M_PEER_FIN);
	/* CLOSE_WAIT: still writable. */
	assert_int_equal(cav_send(fd, "z", 1, 0), 1);
	cav_close(fd);

	/* A blocked recv() is ended by the FIN. */
	fd = connected(0);
	fake_arm(fin_cb, (void *)(uintptr_t)slot_of(fd));
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 0);
	assert_int_equal(F.fired, 1);
	cav_close(fd);
}

static void
test_reset(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	char b[8];
	fake_lock();
	fake_rx(sl, "xyz", 3);
	fake_reset(sl, ECONNRESET);
	fake_unlock();
	assert_int_equal(poll_mask(fd), M_RESET);
	/* Linux: the queued bytes, then ECONNRESET once, then 0. */
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 3);
	expect_err(cav_recv(fd, b, sizeof(b), 0), ECONNRESET);
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 0);
	assert_int_equal(poll_mask(fd), M_DEAD);
	int before = n_sigpipe;
	expect_err(cav_send(fd, "x", 1, 0), EPIPE);
	assert_int_equal(n_sigpipe, before + 1);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	expect_err(cav_getpeername(fd, SA(a), &al), ENOTCONN);
	expect_err(cav_shutdown(fd, SHUT_RDWR), ENOTCONN);
	cav_close(fd);

	/* A pending error is what send() reports (taken, no SIGPIPE). */
	fd = connected(0);
	fake_lock();
	fake_reset(slot_of(fd), ETIMEDOUT);
	fake_unlock();
	before = n_sigpipe;
	expect_err(cav_send(fd, "x", 1, 0), ETIMEDOUT);
	assert_int_equal(n_sigpipe, before);
	expect_err(cav_send(fd, "x", 1, 0), EPIPE);
	assert_int_equal(n_sigpipe, before + 1);
	cav_close(fd);
}

static void
test_shutdown_read_and_both(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	char b[8];
	fake_lock();
	fake_rx(sl, "q", 1);
	fake_unlock();
	assert_int_equal(cav_shutdown(fd, SHUT_RD), 0);
	assert_int_equal(F.slot[sl].shut_how, SHUT_RD);
	assert_int_equal(F.slot[sl].req_at_shut & CAV_REQ_SHUT_WR, 0);
	assert_int_equal(poll_mask(fd), M_PEER_FIN);
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 1); /* queued bytes first */
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 0);
	assert_int_equal(cav_send(fd, "w", 1, 0), 1);
	assert_int_equal(cav_shutdown(fd, SHUT_RDWR), 0);
	assert_int_equal(F.slot[sl].shut_how, SHUT_WR);
	assert_int_equal(F.slot[sl].req_at_shut & CAV_REQ_SHUT_WR, CAV_REQ_SHUT_WR);
	assert_int_equal(poll_mask(fd), M_DEAD);
	cav_close(fd);
}

static void
test_corrupt_index_is_eio(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	char b[8];
	/* The daemon's producer index a whole ring ahead: impossible. */
	fake_lock();
	__atomic_store_n(&fake_shm_sock(sl)->rx.prod, CAV_SHM_RX_RING + 100, __ATOMIC_RELEASE);
	fake_unlock();
	expect_err(cav_recv(fd, b, sizeof(b), 0), EIO);
	fake_lock();
	__atomic_store_n(&fake_shm_sock(sl)->rx.prod, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&fake_shm_sock(sl)->tx.cons, 0x80000000u, __ATOMIC_RELEASE);
	fake_unlock();
	expect_err(cav_send(fd, "x", 1, 0), EIO);
	assert_int_equal(poll_mask(fd) & POLLOUT, 0);
	__atomic_store_n(&fake_shm_sock(sl)->tx.cons, 0, __ATOMIC_RELEASE);
	cav_close(fd);

	/* An accept record naming a slot we do not have is skipped. */
	int l = tcp_socket(SOCK_NONBLOCK);
	assert_int_equal(cav_listen(l, 1), 0);
	fake_lock();
	struct cav_accept_rec rec = {.slot = 100000, .gen = 1};
	assert_int_equal(
	    cav_dg_produce(&F.slot[slot_of(l)].rx, &rec, sizeof(rec), PEER_ADDR, 1, UINT32_MAX),
	    CAV_SHM_OK);
	fake_unlock();
	expect_err(cav_accept(l, NULL, NULL), EAGAIN);
	cav_close(l);
}

/* ---- last: the daemon goes away ---- */

static void
gone_cb(void *arg)
{
	(void)arg;
	shutdown(F.conn, SHUT_RDWR); /* what the client sees when cavalryd dies */
}

/* Blocked calls return, later ones fail; nothing hangs (runs last: the
 * process stays detached). */
static void
test_daemon_gone(void **state)
{
	(void)state;
	int fd = connected(0);
	int l = tcp_socket(0);
	assert_int_equal(cav_listen(l, 1), 0);
	fake_lock();
	fake_rx(slot_of(fd), "tail", 4);
	fake_unlock();
	char b[8];
	assert_int_equal(cav_recv(fd, b, 2, 0), 2);
	fake_arm(gone_cb, NULL);
	/* The two bytes published before the daemon went are still read. */
	assert_int_equal(cav_recv(fd, b, sizeof(b), MSG_WAITALL), 2);
	assert_int_equal(F.fired, 1);
	expect_err(cav_recv(fd, b, sizeof(b), 0), ECONNRESET);
	expect_err(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	expect_err(cav_accept(l, NULL, NULL), ECONNABORTED);
	assert_int_equal(poll_mask(fd) & POLLHUP, POLLHUP);
	expect_err(cav_socket(AF_INET, SOCK_STREAM, 0), ENOTCONN);
	assert_int_equal(cav_close(fd), 0);
	assert_int_equal(cav_close(l), 0);
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	(void)state;
	struct sigaction sa = {.sa_handler = on_sigpipe};
	sigaction(SIGPIPE, &sa, NULL);
	return fake_start();
}

static int
group_teardown(void **state)
{
	(void)state;
	fake_stop();
	return 0;
}

static int
check_no_leak(void **state)
{
	(void)state;
	return fake_check_no_leak();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_socket_stream_types, check_no_leak),
	    cmocka_unit_test_teardown(test_unconnected_errors, check_no_leak),
	    cmocka_unit_test_teardown(test_connect_blocking_ok, check_no_leak),
	    cmocka_unit_test_teardown(test_connect_blocking_refused, check_no_leak),
	    cmocka_unit_test_teardown(test_connect_nonblocking, check_no_leak),
	    cmocka_unit_test_teardown(test_connect_nonblocking_refused, check_no_leak),
	    cmocka_unit_test_teardown(test_connect_immediate_error, check_no_leak),
	    cmocka_unit_test_teardown(test_listen_accept_order, check_no_leak),
	    cmocka_unit_test_teardown(test_accept_blocking, check_no_leak),
	    cmocka_unit_test_teardown(test_send_partial_and_eagain, check_no_leak),
	    cmocka_unit_test_teardown(test_send_across_ring_end, check_no_leak),
	    cmocka_unit_test_teardown(test_epipe_and_sigpipe, check_no_leak),
	    cmocka_unit_test_teardown(test_recv_peek_waitall, check_no_leak),
	    cmocka_unit_test_teardown(test_recv_across_ring_end, check_no_leak),
	    cmocka_unit_test_teardown(test_eof, check_no_leak),
	    cmocka_unit_test_teardown(test_reset, check_no_leak),
	    cmocka_unit_test_teardown(test_shutdown_read_and_both, check_no_leak),
	    cmocka_unit_test_teardown(test_corrupt_index_is_eio, check_no_leak),
	    cmocka_unit_test(test_daemon_gone),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
