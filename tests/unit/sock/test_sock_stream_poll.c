/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock's stream sockets, part two: epoll readiness (level and edge
 * triggered), socket options, close and SO_LINGER — public API only,
 * against the fake daemon (fake_daemon.h). Blocking cases are released by
 * the fake acting while the call sleeps, not by a timer.
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

/* The peer acknowledges everything and our FIN: FIN_WAIT2. */
static void
linger_cb(void *arg)
{
	struct drain_arg *d = arg;
	drain_cb(d);
	if (d->n == d->want && F.slot[d->slot].n_shutdown > 0) {
		F.on_sleep = NULL;
		fake_set_state(d->slot, TCP_FIN_WAIT2);
		fake_add_events(d->slot, CAV_SOCK_EV_WRHUP);
	}
}

/* ---- epoll ---- */

static int
ep_wait1(int ep, uint32_t *events)
{
	struct epoll_event e[4];
	int n = cav_epoll_wait(ep, e, 4, 0);
	assert_true(n >= 0 && n <= 1);
	*events = n == 1 ? e[0].events : 0;
	return n;
}

static void
test_epoll_edge_triggered(void **state)
{
	(void)state;
	int ep = cav_epoll_create1(0);
	assert_true(ep >= 0);
	int fd = connected(SOCK_NONBLOCK);
	uint32_t sl = slot_of(fd);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.fd = fd};
	assert_int_equal(cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	uint32_t got;
	/* Added while ready: reported once. */
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLOUT);
	assert_int_equal(ep_wait1(ep, &got), 0);
	/* Data: a report with the whole mask; more data (unread): again. */
	fake_lock();
	fake_rx(sl, "ab", 2);
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLIN | EPOLLOUT);
	assert_int_equal(ep_wait1(ep, &got), 0);
	fake_lock();
	fake_rx(sl, "cd", 2);
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLIN | EPOLLOUT);
	assert_int_equal(ep_wait1(ep, &got), 0);
	char b[8];
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 4);
	assert_int_equal(ep_wait1(ep, &got), 0);
	/* Acknowledgements without a writer waiting: no wakeup (Linux only
	 * signals room after SOCK_NOSPACE). */
	assert_int_equal(cav_send(fd, "s", 1, 0), 1);
	fake_lock();
	fake_tx_pull(sl, NULL, 1);
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 0);
	/* Fill to EAGAIN, then room comes back: EPOLLOUT. */
	static uint8_t big[300000];
	ssize_t n = cav_send(fd, big, sizeof(big), 0);
	assert_true(n > 0 && (size_t)n < sizeof(big));
	expect_err(cav_send(fd, big, 1, 0), EAGAIN);
	assert_int_equal(ep_wait1(ep, &got), 0);
	fake_lock();
	fake_tx_pull(sl, NULL, (uint32_t)n);
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLOUT);
	assert_int_equal(ep_wait1(ep, &got), 0);
	/* The peer's FIN: a state change, reported with RDHUP. */
	fake_lock();
	fake_fin(sl);
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	assert_int_equal(ep_wait1(ep, &got), 0);
	/* A reset: ERR and HUP join. */
	fake_lock();
	fake_reset(sl, ECONNRESET);
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLERR | EPOLLHUP);
	assert_int_equal(ep_wait1(ep, &got), 0);
	cav_close(fd);

	/* connect() in progress: nothing until the handshake completes,
	 * then EPOLLOUT once. */
	fd = tcp_socket(SOCK_NONBLOCK);
	struct sockaddr_in to = sin_of(PEER_ADDR, 80);
	expect_err(cav_connect(fd, SA(to), sizeof(to)), EINPROGRESS);
	ev.data.fd = fd;
	ev.events = EPOLLOUT | EPOLLET;
	assert_int_equal(cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(ep_wait1(ep, &got), 0);
	fake_lock();
	fake_establish(slot_of(fd));
	fake_unlock();
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLOUT);
	assert_int_equal(ep_wait1(ep, &got), 0);
	cav_close(fd);

	/* A listener: each new connection is an edge. */
	int l = tcp_socket(SOCK_NONBLOCK);
	assert_int_equal(cav_listen(l, 4), 0);
	ev.data.fd = l;
	ev.events = EPOLLIN | EPOLLET;
	assert_int_equal(cav_epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev), 0);
	assert_int_equal(ep_wait1(ep, &got), 0);
	for (int k = 0; k < 2; k++) {
		fake_lock();
		fake_passive_open(slot_of(l), PEER_ADDR, htons(2000), 0);
		fake_unlock();
		assert_int_equal(ep_wait1(ep, &got), 1);
		assert_int_equal(got, EPOLLIN);
		assert_int_equal(ep_wait1(ep, &got), 0);
	}
	int a1 = cav_accept(l, NULL, NULL), a2 = cav_accept(l, NULL, NULL);
	assert_true(a1 >= CAV_FD_BASE && a2 >= CAV_FD_BASE);
	cav_close(a1);
	cav_close(a2);
	cav_close(l);
	close(ep);
}

static void
test_epoll_level_triggered(void **state)
{
	(void)state;
	int ep = cav_epoll_create1(0);
	int fd = connected(SOCK_NONBLOCK);
	uint32_t sl = slot_of(fd);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
	assert_int_equal(cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	uint32_t got;
	assert_int_equal(ep_wait1(ep, &got), 0); /* no EPOLLOUT interest */
	fake_lock();
	fake_rx(sl, "ab", 2);
	fake_unlock();
	for (int k = 0; k < 3; k++) {
		assert_int_equal(ep_wait1(ep, &got), 1);
		assert_int_equal(got, EPOLLIN);
	}
	char b[4];
	assert_int_equal(cav_recv(fd, b, sizeof(b), 0), 2);
	assert_int_equal(ep_wait1(ep, &got), 0);
	/* A blocking wait ended by the FIN. */
	fake_arm(fin_cb, (void *)(uintptr_t)sl);
	struct epoll_event e;
	assert_int_equal(cav_epoll_wait(ep, &e, 1, 5000), 1);
	assert_int_equal(e.events, EPOLLIN | EPOLLRDHUP);
	assert_int_equal(ep_wait1(ep, &got), 1); /* level: still there */
	/* Shut down both ways: HUP even without interest. */
	assert_int_equal(cav_shutdown(fd, SHUT_WR), 0);
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	cav_close(fd);
	close(ep);
}

/* A closed socket leaves every epoll set (Linux: the last close removes
 * it), also when its number is reused at once. */
static void
test_epoll_forgets_closed_socket(void **state)
{
	(void)state;
	int ep = cav_epoll_create1(0);
	int fd = connected(0);
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 42};
	assert_int_equal(cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	uint32_t got;
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(cav_close(fd), 0);
	int again = connected(0);
	assert_int_equal(again, fd); /* the same number, another socket */
	assert_int_equal(ep_wait1(ep, &got), 0);
	expect_err(cav_epoll_ctl(ep, EPOLL_CTL_MOD, again, &ev), ENOENT);
	assert_int_equal(cav_epoll_ctl(ep, EPOLL_CTL_ADD, again, &ev), 0);
	assert_int_equal(ep_wait1(ep, &got), 1);
	assert_int_equal(got, EPOLLOUT);
	cav_close(again);
	close(ep);
}

/* ---- options, close ---- */

static void
test_sockopts(void **state)
{
	(void)state;
	int fd = tcp_socket(0);
	uint32_t sl = slot_of(fd);
	int v = 1;
	socklen_t vl = sizeof(v);
	assert_int_equal(cav_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	assert_int_equal(F.slot[sl].opt[CAV_OPT_NODELAY], 1);
	v = 0;
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
	assert_int_equal(v, 1);
	v = 10;
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), EINVAL);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &vl), 0);
	assert_int_equal(v, 536); /* Linux's default before a connection */
	v = 1200;
	assert_int_equal(cav_setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), 0);
	assert_int_equal(F.slot[sl].opt[CAV_OPT_MAXSEG], 1200);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &vl), 0);
	assert_int_equal(v, 1200);
	v = 1;
	assert_int_equal(cav_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
	assert_int_equal(F.slot[sl].opt[CAV_OPT_KEEPALIVE], 1);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
	assert_int_equal(v, 1);
	/* Keepalive timers: Linux's ranges (test_sockopts_keepalive has the
	 * rest). */
	v = 0;
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), EINVAL);
	v = 60;
	assert_int_equal(cav_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), 0);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), 0);
	assert_int_equal(v, 60);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &vl), 0);
	assert_int_equal(v, 9);
	v = 128;
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)), EINVAL);
	expect_err(cav_setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)), ENOPROTOOPT);
	expect_err(cav_getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, &vl), ENOPROTOOPT);
	/* TCP_INFO before a connection: the state only. */
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(tl, sizeof(ti));
	assert_int_equal(ti.tcpi_state, TCP_CLOSE);
	assert_int_equal(ti.tcpi_rtt, 0);
	cav_close(fd);

	/* Connected: TCP_MAXSEG and TCP_INFO from the daemon; inherited
	 * options on accepted sockets. */
	fd = connected(0);
	F.getopt_maxseg = 1448;
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &vl), 0);
	assert_int_equal(v, 1448);
	tl = sizeof(ti);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_state, TCP_ESTABLISHED);
	assert_int_equal(ti.tcpi_rtt, 1234);
	assert_int_equal(ti.tcpi_rto, 201000);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_snd_mss, 1448);
	assert_int_equal(ti.tcpi_unacked, 3);
	assert_int_equal(ti.tcpi_total_retrans, 7);
	/* A short buffer is filled as far as it goes, as Linux does. */
	tl = 4;
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(tl, 4);
	cav_close(fd);
}

/* Issue 6: the keepalive timers and TCP_USER_TIMEOUT reach the daemon
 * with Linux's ranges checked first (EINVAL, the daemon not asked), read
 * back without a round trip, before and after connect(); accepted sockets
 * inherit them. */
static void
test_sockopts_keepalive(void **state)
{
	(void)state;
	static const struct {
		int name, opt, lo, hi, dflt;
	} t[] = {
	    {TCP_KEEPIDLE, CAV_OPT_KEEPIDLE, 1, 32767, 7200},
	    {TCP_KEEPINTVL, CAV_OPT_KEEPINTVL, 1, 32767, 75},
	    {TCP_KEEPCNT, CAV_OPT_KEEPCNT, 1, 127, 9},
	    {TCP_USER_TIMEOUT, CAV_OPT_USER_TIMEOUT, 0, INT32_MAX, 0},
	};
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: a fresh socket; pass 1: a connected one. */
		int fd = pass == 0 ? tcp_socket(0) : connected(0);
		uint32_t sl = slot_of(fd);
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			int v;
			socklen_t vl = sizeof(v);
			assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, t[i].name, &v, &vl), 0);
			assert_int_equal(v, t[i].dflt); /* Linux's default until set */
			v = t[i].lo - 1;
			expect_err(cav_setsockopt(fd, IPPROTO_TCP, t[i].name, &v, sizeof(v)),
				   EINVAL);
			if (t[i].hi < INT32_MAX) {
				v = t[i].hi + 1;
				expect_err(
				    cav_setsockopt(fd, IPPROTO_TCP, t[i].name, &v, sizeof(v)),
				    EINVAL);
			}
			assert_int_equal(F.slot[sl].opt[t[i].opt], 0); /* never asked */
			v = t[i].hi < 1000 ? t[i].hi : t[i].lo + 2;
			assert_int_equal(cav_setsockopt(fd, IPPROTO_TCP, t[i].name, &v, sizeof(v)),
					 0);
			assert_int_equal(F.slot[sl].opt[t[i].opt], (uint32_t)v);
			int back = -1;
			assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, t[i].name, &back, &vl), 0);
			assert_int_equal(back, v);
			/* A short optlen: EINVAL, as Linux. */
			expect_err(cav_setsockopt(fd, IPPROTO_TCP, t[i].name, &v, 2), EINVAL);
		}
		cav_close(fd);
	}
	/* Datagram sockets: the TCP level is not theirs. */
	int u = cav_socket(AF_INET, SOCK_DGRAM, 0);
	int v = 10;
	expect_err(cav_setsockopt(u, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), ENOPROTOOPT);
	expect_err(cav_setsockopt(u, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)), ENOPROTOOPT);
	cav_close(u);

	/* Inherited by an accepted socket (Linux sk_clone_lock). */
	int l = tcp_socket(0);
	v = 1;
	assert_int_equal(cav_setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
	v = 11;
	assert_int_equal(cav_setsockopt(l, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), 0);
	v = 3;
	assert_int_equal(cav_setsockopt(l, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v)), 0);
	v = 4;
	assert_int_equal(cav_setsockopt(l, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)), 0);
	v = 5000;
	assert_int_equal(cav_setsockopt(l, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)), 0);
	assert_int_equal(cav_listen(l, 4), 0);
	fake_lock();
	int s = fake_passive_open(slot_of(l), 0x0200a8c0u, htons(2001), 0);
	fake_unlock();
	int a = cav_accept(l, NULL, NULL);
	assert_int_equal(a, CAV_FD_BASE + s);
	static const int want[][2] = {
	    {TCP_KEEPIDLE, 11}, {TCP_KEEPINTVL, 3}, {TCP_KEEPCNT, 4}, {TCP_USER_TIMEOUT, 5000}};
	for (size_t i = 0; i < 4; i++) {
		socklen_t vl = sizeof(v);
		assert_int_equal(cav_getsockopt(a, IPPROTO_TCP, want[i][0], &v, &vl), 0);
		assert_int_equal(v, want[i][1]);
	}
	socklen_t vl = sizeof(v);
	assert_int_equal(cav_getsockopt(a, SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
	assert_int_equal(v, 1);
	cav_close(a);
	cav_close(l);
}

/* Issue 6: TCP_CONGESTION as Linux's do_tcp_setsockopt/getsockopt: the
 * name from at most 15 bytes of optval (no NUL needed, shorter than an
 * int allowed), ENOENT from the daemon for an unknown one, EINVAL for
 * optlen 0; getsockopt copies min(optlen, 16) bytes of the NUL-padded
 * name. */
static void
test_sockopt_congestion(void **state)
{
	(void)state;
	int fd = tcp_socket(0);
	uint32_t sl = slot_of(fd);
	char name[32];
	socklen_t nl = sizeof(name);
	memset(name, 'x', sizeof(name));
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &nl), 0);
	assert_int_equal(nl, 16);
	assert_string_equal(name, "cubic");
	assert_int_equal(name[15], '\0'); /* padded: Linux copies the name array */
	assert_int_equal(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	assert_string_equal(F.slot[sl].cc_asked, "reno");
	nl = sizeof(name);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &nl), 0);
	assert_string_equal(name, "reno");
	nl = 3; /* short: truncated, no NUL, as Linux */
	memset(name, 0, sizeof(name));
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &nl), 0);
	assert_int_equal(nl, 3);
	assert_string_equal(name, "ren");
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "bogus", 5), ENOENT);
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3), ENOENT);
	assert_string_equal(F.slot[sl].cc_asked, "bbr"); /* shorter than an int: asked */
	int n_set = F.slot[sl].n_cc_set;
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 0), EINVAL);
	assert_int_equal(F.slot[sl].n_cc_set, n_set); /* never asked */
	/* optlen beyond TCP_CA_NAME_MAX - 1: the first 15 bytes only. */
	expect_err(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "renoooooooooooooooooo", 21),
		   ENOENT);
	assert_int_equal(strlen(F.slot[sl].cc_asked), 15);
	/* "cubic" with its NUL and more bytes after it: the name stops at the NUL. */
	assert_int_equal(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic\0zz", 8), 0);
	nl = sizeof(name);
	assert_int_equal(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &nl), 0);
	assert_string_equal(name, "cubic");
	cav_close(fd);
	int u = cav_socket(AF_INET, SOCK_DGRAM, 0);
	expect_err(cav_setsockopt(u, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), ENOPROTOOPT);
	nl = sizeof(name);
	expect_err(cav_getsockopt(u, IPPROTO_TCP, TCP_CONGESTION, name, &nl), ENOPROTOOPT);
	cav_close(u);
}

static void
test_close_linger(void **state)
{
	(void)state;
	int fd = connected(0);
	uint32_t sl = slot_of(fd);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	assert_int_equal(cav_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(F.slot[sl].opt[CAV_OPT_LINGER], 1u << 31);
	struct linger got;
	socklen_t gl = sizeof(got);
	assert_int_equal(cav_getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &gl), 0);
	assert_int_equal(got.l_onoff, 1);
	assert_int_equal(got.l_linger, 0);
	expect_err(cav_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(int)), EINVAL);
	assert_int_equal(cav_close(fd), 0);
	assert_int_equal(F.last_close_slot, sl);
	assert_int_equal(F.last_close_arg, CAV_CLOSE_ABORT);
	expect_err(cav_close(fd), EBADF);

	/* Without SO_LINGER: an orderly close. */
	fd = connected(0);
	assert_int_equal(cav_close(fd), 0);
	assert_int_equal(F.last_close_arg, 0);

	/* SO_LINGER with a timeout: close() sends the FIN, then waits until
	 * the data and the FIN are acknowledged (the fake does both while
	 * close() sleeps), then closes. */
	fd = connected(0);
	sl = slot_of(fd);
	lg.l_linger = 5;
	assert_int_equal(cav_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(cav_send(fd, "bye", 3, 0), 3);
	static uint8_t got3[3];
	struct drain_arg d = {.slot = sl, .got = got3, .want = 3};
	fake_arm(linger_cb, &d);
	assert_int_equal(cav_close(fd), 0);
	assert_true(F.fired >= 1);
	assert_int_equal(d.n, 3);
	assert_memory_equal(got3, "bye", 3);
	assert_int_equal(F.slot[sl].shut_how, SHUT_WR);
	assert_int_equal(F.last_close_slot, sl);
	assert_int_equal(F.last_close_arg, 0);
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	(void)state;
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
	    cmocka_unit_test_teardown(test_epoll_edge_triggered, check_no_leak),
	    cmocka_unit_test_teardown(test_epoll_level_triggered, check_no_leak),
	    cmocka_unit_test_teardown(test_epoll_forgets_closed_socket, check_no_leak),
	    cmocka_unit_test_teardown(test_sockopts, check_no_leak),
	    cmocka_unit_test_teardown(test_sockopts_keepalive, check_no_leak),
	    cmocka_unit_test_teardown(test_sockopt_congestion, check_no_leak),
	    cmocka_unit_test_teardown(test_close_linger, check_no_leak),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
