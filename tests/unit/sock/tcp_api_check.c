/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcavsock's stream sockets against a running cavalryd and a Linux peer
 * (run by tests/netns/test_tcp_api.sh; CAVSOCK_PATH names the daemon):
 *
 *   tcp_api_check LOCAL_IP PEER_IP
 *
 * The peer runs tests/netns/py/tcp_api_peer.py: 5001 echoes until EOF and
 * then closes, 5002 sends "bye" and resets, 5003 accepts and never reads,
 * 5009 takes "connect PORT N" and opens N connections to LOCAL_IP:PORT one
 * after the other, each sending its index ('0', '1', ...); port 5999 is
 * closed. Every wait is bounded (poll timeouts); prints one line per check,
 * exit status 0 if all passed.
 *
 *   tcp_api_check --options PEER_IP PORT
 *
 * only the socket-option checks (issue 6: keepalive, TCP_USER_TIMEOUT,
 * TCP_CONGESTION), with an echo server at PEER_IP:PORT for the connected
 * half. Built twice: on libcavsock, and with -DCAV_EXAMPLE_KERNEL on
 * kernel sockets (tcp_api_check_kernel), so that the same expectations
 * are checked against Linux (tests/netns/test_tcp6_congestion.sh runs
 * both).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_check.h"
#include "sockapi.h"
#ifdef CAV_EXAMPLE_KERNEL
#define CAV_FD_BASE 0
#endif
#define SA(x) ((struct sockaddr *)&(x))

/* Linux's tcp_poll() answers (kernel sockets, same situations). */
#define M_FRESH (POLLOUT | POLLWRNORM | POLLHUP)
#define M_EST (POLLOUT | POLLWRNORM)
#define M_REFUSED (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP | POLLERR | POLLHUP)

static volatile sig_atomic_t n_sigpipe;

static void
on_sigpipe(int sig)
{
	(void)sig;
	n_sigpipe++;
}

static struct sockaddr_in
sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static int
tcp(int flags)
{
	int fd = cav_socket(AF_INET, SOCK_STREAM | flags, 0);
	if (fd < 0) {
		perror("cav_socket");
		exit(1);
	}
	return fd;
}

/* poll() bits of one descriptor after waiting up to `ms` for `want`. */
static short
mask_after(int fd, short want, int ms)
{
	struct pollfd p = {.fd = fd, .events = want};
	cav_poll(&p, 1, ms);
	p.events = POLLIN | POLLOUT | POLLRDHUP | POLLRDNORM | POLLWRNORM;
	cav_poll(&p, 1, 0);
	return p.revents;
}

static void
check_connect(const char *peer)
{
	struct sockaddr_in echo = sin_of(peer, 5001), closed = sin_of(peer, 5999);
	char buf[64];

	int fd = tcp(0);
	CHECK(mask_after(fd, 0, 0) == M_FRESH, "fresh socket: POLLOUT|POLLHUP as Linux (0x%x)",
	      mask_after(fd, 0, 0));
	CHECK(ERRNO_IS(cav_recv(fd, buf, 1, MSG_DONTWAIT), ENOTCONN), "recv unconnected: ENOTCONN");
	CHECK(ERRNO_IS(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE), "send unconnected: EPIPE");
	CHECK(cav_connect(fd, SA(echo), sizeof(echo)) == 0, "blocking connect to the echo port");
	CHECK(mask_after(fd, 0, 0) == M_EST, "connected: POLLOUT|POLLWRNORM (0x%x)",
	      mask_after(fd, 0, 0));
	CHECK(ERRNO_IS(cav_connect(fd, SA(echo), sizeof(echo)), EISCONN), "again: EISCONN");
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	CHECK(cav_getpeername(fd, SA(a), &al) == 0 && a.sin_port == htons(5001),
	      "getpeername: the peer");
	al = sizeof(a);
	CHECK(cav_getsockname(fd, SA(a), &al) == 0 && a.sin_port != 0 && a.sin_addr.s_addr != 0,
	      "getsockname: %s:%u", inet_ntoa(a.sin_addr), ntohs(a.sin_port));
	CHECK(cav_send(fd, "hello", 5, 0) == 5, "send 5 bytes");
	CHECK(cav_recv(fd, buf, 5, MSG_PEEK | MSG_WAITALL) == 5 && memcmp(buf, "hello", 5) == 0,
	      "MSG_PEEK|MSG_WAITALL: the echo, still queued");
	CHECK(cav_recv(fd, buf, sizeof(buf), 0) == 5 && memcmp(buf, "hello", 5) == 0, "recv it");
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	CHECK(cav_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
		  ti.tcpi_state == TCP_ESTABLISHED,
	      "TCP_INFO: ESTABLISHED (rtt %u us, snd_mss %u)", ti.tcpi_rtt, ti.tcpi_snd_mss);
	CHECK(cav_shutdown(fd, SHUT_WR) == 0, "shutdown(SHUT_WR)");
	/* The echo closes when it sees our FIN: EOF. */
	short m = mask_after(fd, POLLRDHUP, 5000);
	CHECK((m & (POLLIN | POLLRDHUP)) == (POLLIN | POLLRDHUP),
	      "peer's FIN: POLLIN|POLLRDHUP (0x%x)", m);
	CHECK(cav_recv(fd, buf, sizeof(buf), 0) == 0, "recv: 0 at EOF");
	int before = n_sigpipe;
	CHECK(ERRNO_IS(cav_send(fd, "x", 1, 0), EPIPE) && n_sigpipe == before + 1,
	      "send after SHUT_WR: EPIPE and SIGPIPE");
	CHECK(ERRNO_IS(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE) && n_sigpipe == before + 1,
	      "with MSG_NOSIGNAL: EPIPE, no signal");
	CHECK(cav_close(fd) == 0, "close");

	/* Non-blocking: EINPROGRESS, POLLOUT, SO_ERROR 0, then 0 and EISCONN. */
	fd = tcp(SOCK_NONBLOCK);
	CHECK(ERRNO_IS(cav_connect(fd, SA(echo), sizeof(echo)), EINPROGRESS),
	      "non-blocking connect: EINPROGRESS");
	m = mask_after(fd, POLLOUT, 5000);
	CHECK(m == M_EST, "then POLLOUT (0x%x)", m);
	int v = -1;
	socklen_t vl = sizeof(v);
	CHECK(cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0, "SO_ERROR 0");
	CHECK(cav_connect(fd, SA(echo), sizeof(echo)) == 0, "connect again: 0 (Linux)");
	CHECK(ERRNO_IS(cav_connect(fd, SA(echo), sizeof(echo)), EISCONN), "and again: EISCONN");
	cav_close(fd);

	/* A closed port: RST. */
	fd = tcp(0);
	CHECK(ERRNO_IS(cav_connect(fd, SA(closed), sizeof(closed)), ECONNREFUSED),
	      "blocking connect to a closed port: ECONNREFUSED");
	CHECK(mask_after(fd, 0, 0) == M_FRESH, "then as new: POLLOUT|POLLHUP (0x%x)",
	      mask_after(fd, 0, 0));
	cav_close(fd);
	fd = tcp(SOCK_NONBLOCK);
	CHECK(ERRNO_IS(cav_connect(fd, SA(closed), sizeof(closed)), EINPROGRESS),
	      "non-blocking to a closed port: EINPROGRESS");
	m = mask_after(fd, POLLOUT, 5000);
	CHECK(m == M_REFUSED, "then POLLERR|POLLHUP|... as Linux (0x%x)", m);
	vl = sizeof(v);
	CHECK(cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == ECONNREFUSED,
	      "SO_ERROR: ECONNREFUSED (%d)", v);
	cav_close(fd);
}

static void
check_reset(const char *peer)
{
	struct sockaddr_in rst = sin_of(peer, 5002);
	char buf[16];
	int fd = tcp(0);
	CHECK(cav_connect(fd, SA(rst), sizeof(rst)) == 0, "connect to the resetting peer");
	CHECK(cav_recv(fd, buf, 3, MSG_WAITALL) == 3 && memcmp(buf, "bye", 3) == 0,
	      "its bytes first");
	CHECK(ERRNO_IS(cav_recv(fd, buf, sizeof(buf), 0), ECONNRESET), "then ECONNRESET");
	CHECK(cav_recv(fd, buf, sizeof(buf), 0) == 0, "then 0");
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	CHECK(ERRNO_IS(cav_getpeername(fd, SA(a), &al), ENOTCONN), "getpeername: ENOTCONN");
	CHECK(ERRNO_IS(cav_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE), "send: EPIPE");
	cav_close(fd);
}

static void
check_send_full(const char *peer)
{
	struct sockaddr_in hold = sin_of(peer, 5003);
	static char big[1 << 16];
	int fd = tcp(SOCK_NONBLOCK);
	cav_connect(fd, SA(hold), sizeof(hold));
	CHECK(mask_after(fd, POLLOUT, 5000) & POLLOUT, "connected to the peer that never reads");
	/* The peer's window and our send buffer fill: then EAGAIN (what
	 * comes back afterwards depends on the peer's window, so no poll
	 * check here). Bounded by the count: a few MB fill everything. */
	size_t total = 0;
	ssize_t n = 0;
	for (int i = 0; i < 10000; i++) {
		n = cav_send(fd, big, sizeof(big), 0);
		if (n < 0)
			break;
		total += (size_t)n;
	}
	CHECK(n < 0 && errno == EAGAIN && total > 0, "non-blocking send: %zu bytes, then EAGAIN",
	      total);
	cav_close(fd);
}

static void
check_accept(const char *local, const char *peer)
{
	int l = tcp(SOCK_NONBLOCK);
	struct sockaddr_in me = sin_of(local, 0);
	CHECK(cav_bind(l, SA(me), sizeof(me)) == 0 && cav_listen(l, 8) == 0, "bind, listen");
	socklen_t ml = sizeof(me);
	cav_getsockname(l, SA(me), &ml);
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK(cav_getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1,
	      "SO_ACCEPTCONN");
	CHECK(ERRNO_IS(cav_accept(l, NULL, NULL), EAGAIN), "empty queue: EAGAIN");
	CHECK(mask_after(l, 0, 0) == 0, "listener without connections: no bits");

	/* Ask the peer for three connections, one after the other. */
	int ctl = tcp(0);
	struct sockaddr_in c = sin_of(peer, 5009);
	char line[64], buf[8];
	int k = snprintf(line, sizeof(line), "connect %u 3\n", ntohs(me.sin_port));
	CHECK(cav_connect(ctl, SA(c), sizeof(c)) == 0 && cav_send(ctl, line, (size_t)k, 0) == k,
	      "ask the peer for 3 connections");
	CHECK(cav_recv(ctl, buf, 5, MSG_WAITALL) == 5 && memcmp(buf, "done\n", 5) == 0,
	      "the peer connected 3 times");
	CHECK(mask_after(l, POLLIN, 5000) == (POLLIN | POLLRDNORM), "listener: POLLIN|POLLRDNORM");
	for (int i = 0; i < 3; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		/* The peer's connect() returns at the SYN-ACK: its last ACK may
		 * still be on its way (or on the other worker) when "done"
		 * arrives, as with a Linux listener. Wait for the queue. */
		mask_after(l, POLLIN, 5000);
		int a = cav_accept4(l, SA(from), &fl, i == 2 ? SOCK_NONBLOCK : 0);
		char want = (char)('0' + i);
		char got = 0;
		mask_after(a, POLLIN, 5000); /* the byte may still be on its way */
		CHECK(a >= CAV_FD_BASE && from.sin_addr.s_addr == sin_of(peer, 0).sin_addr.s_addr &&
			  cav_recv(a, &got, 1, MSG_WAITALL) == 1 && got == want,
		      "accept %d: in order (got '%c'), from the peer", i, got);
		CHECK((cav_fcntl(a, F_GETFL) & O_NONBLOCK) == (i == 2 ? O_NONBLOCK : 0),
		      "accept4 flags");
		cav_close(a);
	}
	CHECK(ERRNO_IS(cav_accept(l, NULL, NULL), EAGAIN), "queue empty again: EAGAIN");
	cav_close(ctl);
	cav_close(l);
}

/* An int option: set, then 0 with the value read back, or the errno. */
static int
set_int(int fd, int level, int name, int v)
{
	return cav_setsockopt(fd, level, name, &v, sizeof(v)) == 0 ? 0 : errno;
}
static int
get_int(int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	return cav_getsockopt(fd, level, name, &v, &l) == 0 && l == sizeof(v) ? v : -12345;
}

/* The keepalive options' ranges and defaults, before and after connect. */
static void
check_keepalive_opts(int fd, const char *when)
{
	static const struct {
		int name;
		const char *what;
		int lo, hi, dflt;
	} t[] = {
	    {TCP_KEEPIDLE, "TCP_KEEPIDLE", 1, 32767, 7200},
	    {TCP_KEEPINTVL, "TCP_KEEPINTVL", 1, 32767, 75},
	    {TCP_KEEPCNT, "TCP_KEEPCNT", 1, 127, 9},
	    {TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", 0, -1, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(get_int(fd, IPPROTO_TCP, t[i].name) == t[i].dflt, "%s %s: default %d (%d)",
		      when, t[i].what, t[i].dflt, get_int(fd, IPPROTO_TCP, t[i].name));
		CHECK(set_int(fd, IPPROTO_TCP, t[i].name, t[i].lo - 1) == EINVAL,
		      "%s %s %d: EINVAL", when, t[i].what, t[i].lo - 1);
		if (t[i].hi > 0)
			CHECK(set_int(fd, IPPROTO_TCP, t[i].name, t[i].hi + 1) == EINVAL,
			      "%s %s %d: EINVAL", when, t[i].what, t[i].hi + 1);
		int v = t[i].hi > 0 ? t[i].hi : 30000;
		CHECK(set_int(fd, IPPROTO_TCP, t[i].name, v) == 0 &&
			  get_int(fd, IPPROTO_TCP, t[i].name) == v,
		      "%s %s %d: set and read back", when, t[i].what, v);
		short two = 1;
		CHECK(
		    ERRNO_IS(cav_setsockopt(fd, IPPROTO_TCP, t[i].name, &two, sizeof(two)), EINVAL),
		    "%s %s with a 2-byte value: EINVAL", when, t[i].what);
	}
	CHECK(set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) == 0 &&
		  get_int(fd, SOL_SOCKET, SO_KEEPALIVE) == 1,
	      "%s SO_KEEPALIVE on", when);
	CHECK(set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 0) == 0 &&
		  get_int(fd, SOL_SOCKET, SO_KEEPALIVE) == 0,
	      "%s SO_KEEPALIVE off", when);
}

/* TCP_CONGESTION as Linux: names, ENOENT, optlen rules. */
static void
check_congestion(int fd, const char *when)
{
	char name[32];
	socklen_t l = sizeof(name);
	memset(name, 'x', sizeof(name));
	CHECK(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l) == 0 && l == 16 &&
		  (strcmp(name, "cubic") == 0 || strcmp(name, "reno") == 0) && name[15] == 0,
	      "%s TCP_CONGESTION: 16 bytes, the default's name (%.16s)", when, name);
	CHECK(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) == 0, "%s set reno", when);
	l = sizeof(name);
	CHECK(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l) == 0 &&
		  strcmp(name, "reno") == 0,
	      "%s then reads reno", when);
	l = 3;
	memset(name, 0, sizeof(name));
	CHECK(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l) == 0 && l == 3 &&
		  strcmp(name, "ren") == 0,
	      "%s optlen 3: \"ren\", optlen 3", when);
	CHECK(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic\0junk", 10) == 0,
	      "%s \"cubic\" with bytes after its NUL", when);
	l = sizeof(name);
	CHECK(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l) == 0 &&
		  strcmp(name, "cubic") == 0,
	      "%s then reads cubic", when);
	CHECK(ERRNO_IS(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "bogus", 5), ENOENT),
	      "%s \"bogus\": ENOENT", when);
	CHECK(ERRNO_IS(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "nop", 3), ENOENT),
	      "%s \"nop\" (shorter than an int): ENOENT", when);
	CHECK(ERRNO_IS(cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 0), EINVAL),
	      "%s optlen 0: EINVAL", when);
	l = sizeof(name);
	CHECK(cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l) == 0 &&
		  strcmp(name, "cubic") == 0,
	      "%s a refused name leaves cubic", when);
}

/* IP_MTU_DISCOVER as Linux's do_ip_{set,get}sockopt: WANT by default,
 * DONT..OMIT accepted, one-byte values both ways. */
static void
check_mtu_discover(int fd, const char *when)
{
	CHECK(get_int(fd, IPPROTO_IP, IP_MTU_DISCOVER) == IP_PMTUDISC_WANT,
	      "%s IP_MTU_DISCOVER: default IP_PMTUDISC_WANT (%d)", when,
	      get_int(fd, IPPROTO_IP, IP_MTU_DISCOVER));
	for (int v = IP_PMTUDISC_DONT; v <= IP_PMTUDISC_OMIT; v++)
		CHECK(set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, v) == 0 &&
			  get_int(fd, IPPROTO_IP, IP_MTU_DISCOVER) == v,
		      "%s IP_MTU_DISCOVER %d: set and read back", when, v);
	CHECK(set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT + 1) == EINVAL,
	      "%s IP_MTU_DISCOVER %d: EINVAL", when, IP_PMTUDISC_OMIT + 1);
	CHECK(set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, -1) == EINVAL,
	      "%s IP_MTU_DISCOVER -1: EINVAL", when);
	unsigned char b = IP_PMTUDISC_DO;
	CHECK(cav_setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &b, 1) == 0 &&
		  get_int(fd, IPPROTO_IP, IP_MTU_DISCOVER) == IP_PMTUDISC_DO,
	      "%s IP_MTU_DISCOVER as one byte", when);
	b = 0xff;
	socklen_t l = 1;
	CHECK(cav_getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &b, &l) == 0 && l == 1 &&
		  b == IP_PMTUDISC_DO,
	      "%s IP_MTU_DISCOVER into one byte", when);
	CHECK(set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_WANT) == 0,
	      "%s IP_MTU_DISCOVER back to WANT", when);
}

static void
check_options(const char *peer, uint16_t port)
{
	int fd = tcp(0);
	check_keepalive_opts(fd, "fresh:");
	check_congestion(fd, "fresh:");
	check_mtu_discover(fd, "fresh:");
	cav_close(fd);
	struct sockaddr_in echo = sin_of(peer, port);
	fd = tcp(0);
	CHECK(cav_connect(fd, SA(echo), sizeof(echo)) == 0, "connect to the echo port");
	check_keepalive_opts(fd, "connected:");
	check_congestion(fd, "connected:");
	check_mtu_discover(fd, "connected:");
	/* The connection still works after switching algorithms. */
	char buf[8];
	CHECK(cav_send(fd, "ping", 4, 0) == 4 && cav_recv(fd, buf, 4, MSG_WAITALL) == 4 &&
		  memcmp(buf, "ping", 4) == 0,
	      "connected: echo after the option changes");
	cav_close(fd);
	int u = cav_socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(ERRNO_IS(cav_setsockopt(u, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), ENOPROTOOPT),
	      "UDP socket, TCP_CONGESTION: ENOPROTOOPT");
	CHECK(set_int(u, IPPROTO_TCP, TCP_KEEPIDLE, 10) == ENOPROTOOPT,
	      "UDP socket, TCP_KEEPIDLE: ENOPROTOOPT");
	CHECK(set_int(u, SOL_SOCKET, SO_KEEPALIVE, 1) == 0, "UDP socket, SO_KEEPALIVE: accepted");
	check_mtu_discover(u, "UDP:");
	cav_close(u);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_sigpipe};
	sigaction(SIGPIPE, &sa, NULL);
	if (argc == 4 && strcmp(argv[1], "--options") == 0) {
		check_options(argv[2], (uint16_t)atoi(argv[3]));
		printf("%d failure(s) (%s sockets)\n", failures, SOCKAPI_NAME);
		return failures == 0 ? 0 : 1;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s LOCAL_IP PEER_IP | --options PEER_IP PORT\n", argv[0]);
		return 2;
	}
	check_connect(argv[2]);
	check_reset(argv[2]);
	check_send_full(argv[2]);
	check_accept(argv[1], argv[2]);
	check_options(argv[2], 5001);
	printf("%d failure(s)\n", failures);
	return failures == 0 ? 0 : 1;
}
