/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock against a running cavalryd (run by tests/netns/test_udp_api.sh
 * and test_udp_lifecycle.sh; CAVSOCK_PATH names the daemon):
 *
 *   sock_api_check errno LOCAL_IP PEER_IP   every errno the API promises,
 *                                            poll/epoll (LT, ET), options
 *   sock_api_check block-recv PORT           block in cav_recv; report how
 *                                            it ends and that later calls fail
 *
 * Prints one line per check; exit status 0 if all passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cavalry/sock.h>

#include "api_check.h"

static struct sockaddr_in
sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}
#define SA(x) ((struct sockaddr *)&(x))

static int
udp(void)
{
	int fd = cav_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("cav_socket");
		exit(1);
	}
	return fd;
}

static uint16_t
port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	cav_getsockname(fd, SA(a), &l);
	return ntohs(a.sin_port);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int
check_errnos(const char *local, const char *peer)
{
	char buf[70000];
	CHECK(ERRNO_IS(cav_socket(AF_INET6, SOCK_DGRAM, 0), EAFNOSUPPORT), "AF_INET6: EAFNOSUPPORT");
	CHECK(ERRNO_IS(cav_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT),
	      "SOCK_STREAM with IPPROTO_UDP: EPROTONOSUPPORT");
	CHECK(ERRNO_IS(cav_socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT),
	      "SOCK_SEQPACKET: ESOCKTNOSUPPORT");
	CHECK(ERRNO_IS(cav_send(CAV_FD_BASE + 999, "x", 1, 0), EBADF), "send on a bad fd: EBADF");
	CHECK(ERRNO_IS(cav_close(12345), EBADF), "close of a non-Cavalry fd: EBADF");

	int a = udp();
	CHECK(a >= CAV_FD_BASE, "cav_socket gives %d", a);
	CHECK(ERRNO_IS(cav_send(a, "x", 1, 0), EDESTADDRREQ), "send unconnected: EDESTADDRREQ");
	struct sockaddr_in dst = sin_of(peer, 9);
	CHECK(ERRNO_IS(cav_sendto(a, buf, 65508, 0, SA(dst), sizeof(dst)), EMSGSIZE),
	      "65,508 bytes: EMSGSIZE");
	CHECK(ERRNO_IS(cav_recv(a, buf, 10, MSG_DONTWAIT), EAGAIN), "MSG_DONTWAIT, empty: EAGAIN");
	CHECK(cav_fcntl(a, F_SETFL, O_NONBLOCK) == 0 && (cav_fcntl(a, F_GETFL) & O_NONBLOCK),
	      "fcntl O_NONBLOCK");
	CHECK(ERRNO_IS(cav_recv(a, buf, 10, 0), EAGAIN), "O_NONBLOCK, empty: EAGAIN");
	struct sockaddr_in got;
	socklen_t gl = sizeof(got);
	CHECK(ERRNO_IS(cav_getpeername(a, SA(got), &gl), ENOTCONN), "getpeername unconnected: ENOTCONN");
	struct sockaddr_in any0 = sin_of("0.0.0.0", 0);
	CHECK(cav_bind(a, SA(any0), sizeof(any0)) == 0, "bind port 0");
	uint16_t eph = port_of(a);
	CHECK(eph >= 32768 && eph <= 60999, "ephemeral port %u in 32768..60999", eph);
	CHECK(ERRNO_IS(cav_bind(a, SA(any0), sizeof(any0)), EINVAL), "second bind: EINVAL");
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	int b = udp();
	CHECK(ERRNO_IS(cav_bind(b, (struct sockaddr *)&s6, sizeof(s6)), EAFNOSUPPORT),
	      "bind AF_INET6 address: EAFNOSUPPORT");
	struct sockaddr_in same = sin_of("0.0.0.0", eph);
	CHECK(ERRNO_IS(cav_bind(b, SA(same), sizeof(same)), EADDRINUSE), "port in use: EADDRINUSE");
	struct sockaddr_in foreign = sin_of("198.19.200.1", 5000);
	CHECK(ERRNO_IS(cav_bind(b, SA(foreign), sizeof(foreign)), EADDRNOTAVAIL),
	      "bind to an address not ours: EADDRNOTAVAIL");
	cav_close(b);

	/* SO_REUSEADDR on both: the port is shared. */
	int r1 = udp(), r2 = udp(), one = 1;
	cav_setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cav_setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in rp = sin_of("0.0.0.0", 40999);
	CHECK(cav_bind(r1, SA(rp), sizeof(rp)) == 0 && cav_bind(r2, SA(rp), sizeof(rp)) == 0,
	      "SO_REUSEADDR: two binds to one port");
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK(cav_getsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &v, &vl) == 0 && v == 1,
	      "getsockopt SO_REUSEADDR");
	cav_close(r1);
	cav_close(r2);

	/* Buffers: Linux doubles, with floors. */
	int c = udp(), val = 4096;
	cav_setsockopt(c, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val));
	vl = sizeof(v);
	CHECK(cav_getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v == 8192,
	      "SO_RCVBUF 4096 reads back 8192 (got %d)", v);
	val = 1;
	cav_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val));
	vl = sizeof(v);
	CHECK(cav_getsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, &vl) == 0 && v == 4608,
	      "SO_SNDBUF 1 reads back 4608 (got %d)", v);
	CHECK(ERRNO_IS(cav_setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &val, sizeof(val)), ENOPROTOOPT),
	      "unsupported option: ENOPROTOOPT");
	CHECK(ERRNO_IS(cav_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &val, sizeof(val)), ENOPROTOOPT),
	      "a TCP option on a UDP socket: ENOPROTOOPT");

	/* Datagrams to ourselves (through the daemon's UDP/IP path). */
	struct sockaddr_in me = sin_of(local, 0);
	CHECK(cav_bind(c, SA(me), sizeof(me)) == 0, "bind %s:0", local);
	me.sin_port = htons(port_of(c));
	int d = udp();
	struct pollfd pf = {.fd = d, .events = POLLOUT};
	CHECK(cav_poll(&pf, 1, 0) == 1 && (pf.revents & POLLOUT), "fresh socket: POLLOUT");
	CHECK(cav_sendto(d, "hello", 5, 0, SA(me), sizeof(me)) == 5, "sendto self");
	pf = (struct pollfd){.fd = c, .events = POLLIN};
	CHECK(cav_poll(&pf, 1, 2000) == 1 && (pf.revents & POLLIN), "POLLIN after a datagram");
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	CHECK(cav_recvfrom(c, buf, sizeof(buf), MSG_PEEK, SA(from), &fl) == 5 &&
		      memcmp(buf, "hello", 5) == 0,
	      "MSG_PEEK");
	CHECK(ntohs(from.sin_port) == port_of(d), "source port is the sender's (%u)", port_of(d));
	CHECK(cav_recv(c, buf, 2, MSG_TRUNC) == 5, "MSG_TRUNC returns the real length");
	CHECK(ERRNO_IS(cav_recv(c, buf, 2, MSG_DONTWAIT), EAGAIN), "the cut datagram is gone");

	/* epoll: level- and edge-triggered. */
	int ep = cav_epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
	CHECK(cav_epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0, "epoll_ctl ADD");
	CHECK(ERRNO_IS(cav_epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev), EEXIST), "epoll_ctl ADD twice: EEXIST");
	struct epoll_event out[4];
	CHECK(cav_epoll_wait(ep, out, 4, 0) == 0, "epoll: nothing yet");
	cav_sendto(d, "a", 1, 0, SA(me), sizeof(me));
	CHECK(cav_epoll_wait(ep, out, 4, 2000) == 1 && out[0].data.u32 == 1, "epoll LT: EPOLLIN");
	CHECK(cav_epoll_wait(ep, out, 4, 0) == 1, "epoll LT: again while unread");
	ev.events = EPOLLIN | EPOLLET;
	CHECK(cav_epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev) == 0, "epoll_ctl MOD to EPOLLET");
	CHECK(cav_epoll_wait(ep, out, 4, 0) == 1, "epoll ET: reported once");
	CHECK(cav_epoll_wait(ep, out, 4, 0) == 0, "epoll ET: not again without news");
	cav_sendto(d, "b", 1, 0, SA(me), sizeof(me));
	CHECK(cav_epoll_wait(ep, out, 4, 2000) == 1, "epoll ET: a new datagram is news");
	/* A kernel fd in the same epoll. */
	int pp[2];
	if (pipe(pp) != 0)
		return 1;
	cav_recv(c, buf, sizeof(buf), 0);
	cav_recv(c, buf, sizeof(buf), 0);
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 2};
	CHECK(cav_epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &ev) == 0, "epoll_ctl ADD a pipe");
	if (write(pp[1], "z", 1) != 1)
		return 1;
	int k = cav_epoll_wait(ep, out, 4, 1000);
	CHECK(k == 1 && out[0].data.u32 == 2, "epoll: the kernel fd is reported (%d)", k);
	CHECK(cav_epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL) == 0, "epoll_ctl DEL");
	close(ep);

	/* The application's own loop: cav_epoll_fd becomes readable. */
	int efd = cav_epoll_fd();
	struct pollfd kp = {.fd = efd, .events = POLLIN};
	cav_recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	while (poll(&kp, 1, 0) == 1) /* drain: cav_poll with timeout 0 re-arms */
		cav_poll(&pf, 1, 0), cav_recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	cav_sendto(d, "c", 1, 0, SA(me), sizeof(me));
	CHECK(poll(&kp, 1, 2000) == 1, "cav_epoll_fd readable after a datagram");

	/* Receive buffer limit: drops are counted, not queued. */
	int small = 1;
	cav_setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	while (cav_recv(c, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
	memset(buf, 'x', 1000);
	for (int i = 0; i < 50; i++)
		cav_sendto(d, buf, 1000, 0, SA(me), sizeof(me));
	sleep_ms(300);
	int n = 0;
	while (cav_recv(c, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	CHECK(n >= 1 && n < 50, "SO_RCVBUF 2304: %d of 50 queued, the rest dropped", n);

	/* connect, getpeername, AF_UNSPEC */
	struct sockaddr_in p9 = sin_of(peer, 9);
	CHECK(cav_connect(d, SA(p9), sizeof(p9)) == 0, "connect %s:9", peer);
	gl = sizeof(got);
	CHECK(cav_getpeername(d, SA(got), &gl) == 0 && got.sin_port == htons(9), "getpeername");
	gl = sizeof(got);
	cav_getsockname(d, SA(got), &gl);
	CHECK(got.sin_addr.s_addr == me.sin_addr.s_addr, "connect chose the source address %s",
	      inet_ntoa(got.sin_addr));
	/* Linux answers port 9 with ICMP port unreachable: ECONNREFUSED. */
	CHECK(cav_send(d, "x", 1, 0) == 1, "send to a closed port");
	sleep_ms(500);
	vl = sizeof(v);
	CHECK(cav_getsockopt(d, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == ECONNREFUSED,
	      "SO_ERROR: ECONNREFUSED (got %d)", v);
	vl = sizeof(v);
	CHECK(cav_getsockopt(d, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0, "SO_ERROR cleared");
	cav_send(d, "x", 1, 0);
	CHECK(ERRNO_IS(cav_recv(d, buf, 1, 0), ECONNREFUSED), "blocked recv wakes: ECONNREFUSED");
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	CHECK(cav_connect(d, &unspec, sizeof(unspec)) == 0, "connect AF_UNSPEC");
	gl = sizeof(got);
	CHECK(ERRNO_IS(cav_getpeername(d, SA(got), &gl), ENOTCONN), "dissolved: ENOTCONN");
	CHECK(cav_close(d) == 0 && ERRNO_IS(cav_close(d), EBADF), "close, then EBADF");
	cav_close(a);
	cav_close(c);

	/* Ports below 1024 need root (uid from SO_PEERCRED at attach). */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		int s = cav_socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0)
			_exit(4);
		struct sockaddr_in lo = sin_of("0.0.0.0", 80), hi = sin_of("0.0.0.0", 8080);
		if (!ERRNO_IS(cav_bind(s, SA(lo), sizeof(lo)), EACCES))
			_exit(5);
		_exit(cav_bind(s, SA(hi), sizeof(hi)) == 0 ? 0 : 6);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "non-root: port 80 EACCES, 8080 fine (child status %d)", WEXITSTATUS(st));
	int root80 = udp();
	struct sockaddr_in p80 = sin_of("0.0.0.0", 80);
	CHECK(cav_bind(root80, SA(p80), sizeof(p80)) == 0, "root: port 80");
	cav_close(root80);
	printf("%d failure(s)\n", failures);
	return failures == 0 ? 0 : 1;
}

static int
block_recv(uint16_t port)
{
	int fd = udp();
	struct sockaddr_in a = sin_of("0.0.0.0", port);
	if (cav_bind(fd, SA(a), sizeof(a)) != 0) {
		perror("cav_bind");
		return 1;
	}
	printf("blocked\n");
	fflush(stdout);
	char buf[64];
	ssize_t r = cav_recv(fd, buf, sizeof(buf), 0);
	int e = errno;
	printf("recv returned %zd: %s\n", r, r < 0 ? strerror(e) : "data");
	int s2 = cav_socket(AF_INET, SOCK_DGRAM, 0);
	int e2 = errno;
	printf("later cav_socket: %d (%s)\n", s2, s2 < 0 ? strerror(e2) : "ok");
	ssize_t r3 = cav_send(fd, "x", 1, 0);
	printf("later cav_send: %zd (%s)\n", r3, r3 < 0 ? strerror(errno) : "ok");
	fflush(stdout);
	return (r < 0 && e == ECONNRESET && s2 < 0) ? 0 : 1;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "errno") == 0)
		return check_errnos(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "block-recv") == 0)
		return block_recv((uint16_t)atoi(argv[2]));
	fprintf(stderr, "usage: %s errno LOCAL_IP PEER_IP | block-recv PORT\n", argv[0]);
	return 2;
}
