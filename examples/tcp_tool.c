/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_tool: TCP traffic for tests and benchmarks, on libcavsock (or, built
 * with -DCAV_EXAMPLE_KERNEL, on kernel sockets: the same source is the
 * Linux reference).
 *
 *   tcp_tool send HOST PORT BYTES [-s SEED] [-q] [-d SECONDS]
 *       connect, send BYTES bytes of stream SEED (examples/pattern.h),
 *       shut down writing, wait for the peer's FIN, close. -q: close right
 *       after the last byte was queued (the stack delivers the rest).
 *       -d: stop sending after SECONDS (a throughput run).
 *   tcp_tool recv PORT [-a ADDR] [-w]
 *       accept one connection and read it to EOF. -w: write the stream to
 *       stdout (pipe it to sha256sum); the figures then go to stderr.
 *   tcp_tool gen BYTES [-s SEED]
 *       write stream SEED to stdout, as `send` sends it.
 *   tcp_tool rr-server PORT [-a ADDR]
 *       echo every byte on every connection (epoll, non-blocking) until
 *       SIGTERM/SIGINT; then prints the connection counts.
 *   tcp_tool rr-client HOST PORT SIZE SECONDS
 *       one connection: SIZE-byte request, SIZE-byte echo, repeat.
 *   tcp_tool crr-client HOST PORT SECONDS
 *       connect, 64-byte request, 64-byte response, close; repeat.
 *   tcp_tool conns HOST PORT N [-t SECONDS]
 *       open N connections at once, exchange a message on each (all open
 *       together), then close them all.
 *   tcp_tool connect HOST PORT [-n]
 *       a blocking connect: prints "connected" or the errno's name. -n:
 *       non-blocking (EINPROGRESS, poll for POLLOUT, then SO_ERROR).
 *   tcp_tool get HOST PORT PATH...
 *       HTTP/1.1 GETs on one keep-alive connection (the last one says
 *       Connection: close); the bodies go to stdout, a status line per
 *       response to stderr. Content-Length responses only.
 *
 * Results are "key: value" lines on stdout (stderr with -w / get). A failed
 * call prints "tcp_tool: CALL: ENAME (message)" on stderr and exits 1: the
 * tests match the errno's name (ECONNREFUSED, ETIMEDOUT...).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"
#include "sockapi.h"

#define CHUNK (64u << 10)

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static void __attribute__((noreturn)) die_errno(const char *what)
{
	int e = errno;
	fprintf(stderr, "tcp_tool: %s: %s (%s)\n", what, errname(e), strerror(e));
	exit(1);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: tcp_tool send HOST PORT BYTES [-s SEED] [-q] [-d SECONDS]\n"
			"       tcp_tool recv PORT [-a ADDR] [-w]\n"
			"       tcp_tool gen BYTES [-s SEED]\n"
			"       tcp_tool rr-server PORT [-a ADDR]\n"
			"       tcp_tool rr-client HOST PORT SIZE SECONDS\n"
			"       tcp_tool crr-client HOST PORT SECONDS\n"
			"       tcp_tool conns HOST PORT N [-t SECONDS]\n"
			"       tcp_tool connect HOST PORT [-n]\n"
			"       tcp_tool get HOST PORT PATH...\n");
	exit(2);
}

static uint64_t
parse_u64(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		usage();
	/* k/M/G suffixes: binary multiples. */
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		usage();
	return v;
}

static struct sockaddr_in
parse_addr(const char *host, const char *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	uint64_t p = parse_u64(port);
	if (p > 65535 || inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "tcp_tool: bad address %s:%s\n", host, port);
		exit(2);
	}
	sin.sin_port = htons((uint16_t)p);
	return sin;
}

static void
nodelay(int fd)
{
	/* Request/response figures measure the stack, not Nagle's wait. */
	int one = 1;
	static int warned;
	if (cav_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 && !warned) {
		warned = 1;
		fprintf(stderr, "tcp_tool: TCP_NODELAY: %s (continuing)\n", errname(errno));
	}
}

static int
tcp_socket(int flags)
{
	int fd = cav_socket(AF_INET, SOCK_STREAM | flags, 0);
	if (fd < 0)
		die_errno("socket");
	return fd;
}

static int
connect_to(const struct sockaddr_in *to)
{
	int fd = tcp_socket(0);
	if (cav_connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0)
		die_errno("connect");
	return fd;
}

static int
listen_on(const char *addr, const char *port, int backlog)
{
	struct sockaddr_in sin = parse_addr(addr, port);
	int fd = tcp_socket(0);
	int one = 1;
	cav_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cav_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die_errno("bind");
	if (cav_listen(fd, backlog) != 0)
		die_errno("listen");
	socklen_t sl = sizeof(sin);
	cav_getsockname(fd, (struct sockaddr *)&sin, &sl);
	/* On stderr: stdout may be the stream (recv -w). */
	fprintf(stderr, "listening on %s:%u (%s sockets)\n", addr, ntohs(sin.sin_port),
		SOCKAPI_NAME);
	return fd;
}

/* Send all of buf (blocking socket). Returns 0, or -1 with errno. */
static int
send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = cav_send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receive exactly len bytes (blocking socket). Returns len, 0 at EOF
 * before len, -1 with errno. */
static ssize_t
recv_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = cav_recv(fd, p + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void
write_out(const void *buf, size_t len)
{
	if (fwrite(buf, 1, len, stdout) != len) {
		fprintf(stderr, "tcp_tool: stdout: %s\n", strerror(errno));
		exit(1);
	}
}

static void
raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ------------------------------------------------------------ bulk */

static int
cmd_send(int argc, char **argv)
{
	uint64_t seed = 1;
	int quick = 0, opt;
	double secs = 0;
	while ((opt = getopt(argc, argv, "s:qd:")) != -1) {
		switch (opt) {
		case 's':
			seed = parse_u64(optarg);
			break;
		case 'q':
			quick = 1;
			break;
		case 'd':
			secs = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind + 3 != argc)
		usage();
	struct sockaddr_in to = parse_addr(argv[optind], argv[optind + 1]);
	uint64_t total = parse_u64(argv[optind + 2]);
	static uint8_t buf[CHUNK];
	int fd = connect_to(&to);
	double t0 = now_s(), end = secs > 0 ? t0 + secs : 0;
	uint64_t off = 0;
	while (off < total) {
		if (end > 0 && now_s() >= end)
			break;
		size_t len = total - off < CHUNK ? (size_t)(total - off) : CHUNK;
		pattern_fill(seed, off, buf, len);
		ssize_t n = cav_send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tcp_tool: after %" PRIu64 " bytes:\n", off);
			die_errno("send");
		}
		off += (uint64_t)n; /* a partial write resumes at off */
	}
	if (!quick) {
		/* Orderly close: our FIN after the data, then the peer's FIN
		 * proves the receiver read it all. */
		if (cav_shutdown(fd, SHUT_WR) != 0)
			die_errno("shutdown");
		for (;;) {
			ssize_t n = cav_recv(fd, buf, sizeof(buf), 0);
			if (n == 0)
				break;
			if (n < 0 && errno != EINTR)
				die_errno("recv (waiting for the peer's FIN)");
		}
	}
	double dt = now_s() - t0;
	if (cav_close(fd) != 0)
		die_errno("close");
	printf("sent: %" PRIu64 "\nseconds: %.3f\nmbit_per_s: %.1f\n", off, dt,
	       dt > 0 ? (double)off * 8 / dt / 1e6 : 0.0);
	return 0;
}

static int
cmd_recv(int argc, char **argv)
{
	const char *addr = "0.0.0.0";
	int to_stdout = 0, opt;
	while ((opt = getopt(argc, argv, "a:w")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'w':
			to_stdout = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	int lfd = listen_on(addr, argv[optind], 16);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int fd = cav_accept(lfd, (struct sockaddr *)&peer, &pl);
	if (fd < 0)
		die_errno("accept");
	cav_close(lfd);
	static uint8_t buf[CHUNK];
	uint64_t total = 0;
	double t0 = now_s();
	for (;;) {
		ssize_t n = cav_recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tcp_tool: after %" PRIu64 " bytes:\n", total);
			die_errno("recv");
		}
		total += (uint64_t)n;
		if (to_stdout)
			write_out(buf, (size_t)n);
	}
	double dt = now_s() - t0;
	if (cav_close(fd) != 0)
		die_errno("close");
	if (to_stdout && fflush(stdout) != 0)
		die_errno("stdout");
	FILE *o = to_stdout ? stderr : stdout;
	char pa[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &peer.sin_addr, pa, sizeof(pa));
	fprintf(o, "peer: %s:%u\nreceived: %" PRIu64 "\nseconds: %.3f\nmbit_per_s: %.1f\n", pa,
		ntohs(peer.sin_port), total, dt, dt > 0 ? (double)total * 8 / dt / 1e6 : 0.0);
	return 0;
}

static int
cmd_gen(int argc, char **argv)
{
	uint64_t seed = 1;
	int opt;
	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			usage();
		seed = parse_u64(optarg);
	}
	if (optind + 1 != argc)
		usage();
	uint64_t total = parse_u64(argv[optind]);
	static uint8_t buf[CHUNK];
	for (uint64_t off = 0; off < total;) {
		size_t len = total - off < CHUNK ? (size_t)(total - off) : CHUNK;
		pattern_fill(seed, off, buf, len);
		write_out(buf, len);
		off += len;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ echo server */

#define ECHO_BUF 16384

struct echo_conn {
	int fd;
	uint32_t len, off; /* bytes read but not yet echoed: buf[off, len) */
	uint8_t buf[ECHO_BUF];
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Echo what is readable until EAGAIN (edge-triggered). Returns 0 to keep
 * the connection, 1 at EOF, -1 on an error (errno set). */
static int
echo_service(struct echo_conn *c)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = cav_send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN)
					return 0; /* EPOLLOUT resumes here */
				if (errno == EINTR)
					continue;
				return -1;
			}
			c->off += (uint32_t)n;
		}
		c->off = c->len = 0;
		ssize_t n = cav_recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 1;
		c->len = (uint32_t)n;
	}
}

static int
cmd_rr_server(int argc, char **argv)
{
	const char *addr = "0.0.0.0";
	int opt;
	while ((opt = getopt(argc, argv, "a:")) != -1) {
		if (opt != 'a')
			usage();
		addr = optarg;
	}
	if (optind + 1 != argc)
		usage();
	raise_nofile();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int lfd = listen_on(addr, argv[optind], 4096);
	int fl = cav_fcntl(lfd, F_GETFL, 0);
	if (fl < 0 || cav_fcntl(lfd, F_SETFL, fl | O_NONBLOCK) != 0)
		die_errno("fcntl");
	int ep = cav_epoll_create1(0);
	if (ep < 0)
		die_errno("epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
	if (cav_epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
		die_errno("epoll_ctl");
	uint64_t accepted = 0, open = 0, max_open = 0, errors = 0;
	struct epoll_event evs[256];
	while (!stop) {
		int k = cav_epoll_wait(ep, evs, 256, 200);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (int i = 0; i < k; i++) {
			struct echo_conn *c = evs[i].data.ptr;
			if (c == NULL) { /* the listener: accept until EAGAIN */
				for (;;) {
					int fd = cav_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
					if (fd < 0) {
						if (errno == EAGAIN)
							break;
						if (errno == EINTR || errno == ECONNABORTED)
							continue;
						die_errno("accept4");
					}
					c = malloc(sizeof(*c));
					if (c == NULL) {
						cav_close(fd);
						continue;
					}
					c->fd = fd;
					c->len = c->off = 0;
					nodelay(fd);
					struct epoll_event cev = {
					    .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
					if (cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) != 0)
						die_errno("epoll_ctl");
					accepted++;
					if (++open > max_open)
						max_open = open;
					/* Data may have come with the handshake's
					 * last ACK: serve it now (edge-triggered). */
					int r = echo_service(c);
					if (r != 0) {
						errors += r < 0;
						cav_epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
						cav_close(fd);
						free(c);
						open--;
					}
				}
				continue;
			}
			int r = echo_service(c);
			if (r != 0) {
				errors += r < 0;
				cav_epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				cav_close(c->fd);
				free(c);
				open--;
			}
		}
	}
	printf("accepted: %" PRIu64 "\nmax_open: %" PRIu64 "\nstill_open: %" PRIu64
	       "\nerrors: %" PRIu64 "\n",
	       accepted, max_open, open, errors);
	return 0;
}

/* ------------------------------------------------------------ clients */

static int
cmd_rr_client(int argc, char **argv)
{
	if (argc != 5)
		usage();
	struct sockaddr_in to = parse_addr(argv[1], argv[2]);
	size_t size = (size_t)parse_u64(argv[3]);
	double secs = atof(argv[4]);
	if (size == 0 || size > CHUNK || secs <= 0)
		usage();
	static uint8_t req[CHUNK], rsp[CHUNK];
	pattern_fill(7, 0, req, size);
	int fd = connect_to(&to);
	nodelay(fd);
	uint64_t n = 0;
	double t0 = now_s(), end = t0 + secs, t = t0;
	while (t < end) {
		if (send_all(fd, req, size) != 0)
			die_errno("send");
		ssize_t r = recv_all(fd, rsp, size);
		if (r < 0)
			die_errno("recv");
		if (r == 0) {
			fprintf(stderr, "tcp_tool: the server closed the connection\n");
			return 1;
		}
		if (memcmp(req, rsp, size) != 0) {
			fprintf(stderr, "tcp_tool: response %" PRIu64 " differs from the request\n",
				n);
			return 1;
		}
		n++;
		t = now_s();
	}
	cav_close(fd);
	double dt = t - t0;
	printf("size: %zu\ntransactions: %" PRIu64
	       "\nseconds: %.3f\ntps: %.0f\nmean_rtt_us: %.1f\n",
	       size, n, dt, (double)n / dt, n ? dt * 1e6 / (double)n : 0.0);
	return 0;
}

static int
cmd_crr_client(int argc, char **argv)
{
	if (argc != 4)
		usage();
	struct sockaddr_in to = parse_addr(argv[1], argv[2]);
	double secs = atof(argv[3]);
	if (secs <= 0)
		usage();
	uint8_t req[64], rsp[64];
	pattern_fill(9, 0, req, sizeof(req));
	uint64_t n = 0;
	double t0 = now_s(), end = t0 + secs, t = t0;
	const char *stopped = "time";
	while (t < end) {
		int fd = tcp_socket(0);
		nodelay(fd);
		if (cav_connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
			/* Every ephemeral port in TIME_WAIT: the rate so far
			 * is still a rate; say why it stopped. */
			if (errno == EADDRNOTAVAIL) {
				cav_close(fd);
				stopped = "EADDRNOTAVAIL (ephemeral ports exhausted)";
				break;
			}
			die_errno("connect");
		}
		if (send_all(fd, req, sizeof(req)) != 0)
			die_errno("send");
		ssize_t r = recv_all(fd, rsp, sizeof(rsp));
		if (r < 0)
			die_errno("recv");
		if (r == 0 || memcmp(req, rsp, sizeof(req)) != 0) {
			fprintf(stderr, "tcp_tool: connection %" PRIu64 ": bad response\n", n);
			return 1;
		}
		if (cav_close(fd) != 0)
			die_errno("close");
		n++;
		t = now_s();
	}
	double dt = t - t0;
	printf("connections: %" PRIu64 "\nseconds: %.3f\ncps: %.0f\nstopped_by: %s\n", n, dt,
	       dt > 0 ? (double)n / dt : 0.0, stopped);
	return 0;
}

/* N connections open at once: non-blocking connects, one message each,
 * nothing closed until every one has been echoed. */
struct cconn {
	int fd;
	int state; /* 0 connecting, 1 sent (waiting for the echo), 2 echoed */
	uint32_t got;
	char msg[32];
	char rsp[32];
};

static int
cmd_conns(int argc, char **argv)
{
	double limit = 60;
	int opt;
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			usage();
		limit = atof(optarg);
	}
	if (optind + 3 != argc)
		usage();
	struct sockaddr_in to = parse_addr(argv[optind], argv[optind + 1]);
	uint64_t n = parse_u64(argv[optind + 2]);
	if (n == 0 || n > 100000)
		usage();
	raise_nofile();
	struct cconn *cs = calloc(n, sizeof(*cs));
	int ep = cav_epoll_create1(0);
	if (cs == NULL || ep < 0)
		die_errno("setup");
	uint64_t connected = 0, echoed = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct cconn *c = &cs[i];
		c->fd = tcp_socket(SOCK_NONBLOCK);
		snprintf(c->msg, sizeof(c->msg), "conn %08" PRIu64 " hello\n", i);
		int r = cav_connect(c->fd, (struct sockaddr *)&to, sizeof(to));
		if (r != 0 && errno != EINPROGRESS) {
			fprintf(stderr, "tcp_tool: connection %" PRIu64 ":\n", i);
			die_errno("connect");
		}
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
		if (cav_epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
			die_errno("epoll_ctl");
	}
	double deadline = now_s() + limit;
	struct epoll_event evs[256];
	while (echoed < n) {
		int ms = (int)((deadline - now_s()) * 1000);
		if (ms <= 0) {
			fprintf(stderr,
				"tcp_tool: timed out: %" PRIu64 " of %" PRIu64
				" connected, %" PRIu64 " echoed\n",
				connected, n, echoed);
			printf("connected: %" PRIu64 "\nechoed: %" PRIu64 "\n", connected, echoed);
			return 1;
		}
		int k = cav_epoll_wait(ep, evs, 256, ms > 1000 ? 1000 : ms);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (int j = 0; j < k; j++) {
			struct cconn *c = evs[j].data.ptr;
			if (c->state == 0) {
				int err = 0;
				socklen_t el = sizeof(err);
				if (cav_getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
					die_errno("getsockopt");
				if (err != 0) {
					errno = err;
					fprintf(stderr, "tcp_tool: connection %td:\n", c - cs);
					die_errno("connect");
				}
				if (!(evs[j].events & EPOLLOUT))
					continue;
				/* 24 bytes fit in any empty send buffer. */
				ssize_t w = cav_send(c->fd, c->msg, strlen(c->msg), MSG_NOSIGNAL);
				if (w != (ssize_t)strlen(c->msg))
					die_errno("send");
				c->state = 1;
				connected++;
			}
			if (c->state == 1) {
				size_t want = strlen(c->msg);
				for (;;) {
					ssize_t r =
					    cav_recv(c->fd, c->rsp + c->got, want - c->got, 0);
					if (r < 0 && errno == EAGAIN)
						break;
					if (r < 0)
						die_errno("recv");
					if (r == 0) {
						fprintf(stderr,
							"tcp_tool: connection %td: EOF before the "
							"echo\n",
							c - cs);
						return 1;
					}
					c->got += (uint32_t)r;
					if (c->got == want)
						break;
				}
				if (c->got == want) {
					if (memcmp(c->msg, c->rsp, want) != 0) {
						fprintf(stderr,
							"tcp_tool: connection %td: wrong echo\n",
							c - cs);
						return 1;
					}
					c->state = 2;
					echoed++;
				}
			}
		}
	}
	for (uint64_t i = 0; i < n; i++)
		if (cav_close(cs[i].fd) != 0)
			die_errno("close");
	printf("connected: %" PRIu64 "\nechoed: %" PRIu64 "\n", connected, echoed);
	free(cs);
	return 0;
}

static int
cmd_connect(int argc, char **argv)
{
	int nonblock = 0, opt;
	while ((opt = getopt(argc, argv, "n")) != -1) {
		if (opt != 'n')
			usage();
		nonblock = 1;
	}
	if (optind + 2 != argc)
		usage();
	struct sockaddr_in to = parse_addr(argv[optind], argv[optind + 1]);
	int fd = tcp_socket(nonblock ? SOCK_NONBLOCK : 0);
	int e = 0;
	if (cav_connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		e = errno;
		if (nonblock && e == EINPROGRESS) {
			/* The outcome arrives as POLLOUT (and POLLERR on
			 * failure); SO_ERROR says which. */
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int k = cav_poll(&p, 1, 300000);
			if (k < 0)
				die_errno("poll");
			if (k == 0) {
				fprintf(stderr, "tcp_tool: connect: no outcome after 300 s\n");
				return 1;
			}
			socklen_t el = sizeof(e);
			if (cav_getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
				die_errno("getsockopt");
		}
	}
	if (e != 0) {
		printf("%s\n", errname(e));
		fprintf(stderr, "tcp_tool: connect: %s\n", strerror(e));
		return 1;
	}
	printf("connected\n");
	cav_close(fd);
	return 0;
}

/* ------------------------------------------------------------ HTTP client */

/* Read one response: headers into hdr (NUL-terminated), the body to stdout.
 * buf/have carry bytes read past the previous response. */
static int
http_response(int fd, char *buf, size_t cap, size_t *have, const char *path)
{
	char *eoh;
	for (;;) {
		buf[*have] = '\0';
		if ((eoh = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (*have >= cap - 1) {
			fprintf(stderr, "tcp_tool: %s: headers too long\n", path);
			return -1;
		}
		ssize_t n = cav_recv(fd, buf + *have, cap - 1 - *have, 0);
		if (n < 0)
			die_errno("recv");
		if (n == 0) {
			fprintf(stderr, "tcp_tool: %s: EOF before the headers\n", path);
			return -1;
		}
		*have += (size_t)n;
	}
	size_t hlen = (size_t)(eoh - buf) + 4;
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "tcp_tool: %s: not an HTTP response\n", path);
		return -1;
	}
	long long clen = -1;
	for (char *h = strstr(buf, "\r\n"); h && h < eoh; h = strstr(h + 2, "\r\n"))
		if (strncasecmp(h + 2, "content-length:", 15) == 0)
			clen = atoll(h + 17);
	if (clen < 0) {
		fprintf(stderr, "tcp_tool: %s: no Content-Length\n", path);
		return -1;
	}
	fprintf(stderr, "status: %d %s %lld\n", status, path, clen);
	/* The body: what came with the headers, then the rest. */
	uint64_t left = (uint64_t)clen;
	size_t extra = *have - hlen, take = extra < left ? extra : (size_t)left;
	write_out(buf + hlen, take);
	left -= take;
	memmove(buf, buf + hlen + take, extra - take); /* pipelined leftovers */
	*have = extra - take;
	static uint8_t body[CHUNK];
	while (left > 0) {
		ssize_t n = cav_recv(fd, body, left < CHUNK ? (size_t)left : CHUNK, 0);
		if (n < 0)
			die_errno("recv");
		if (n == 0) {
			fprintf(stderr, "tcp_tool: %s: EOF with %" PRIu64 " body bytes missing\n",
				path, left);
			return -1;
		}
		write_out(body, (size_t)n);
		left -= (uint64_t)n;
	}
	return status;
}

static int
cmd_get(int argc, char **argv)
{
	if (argc < 4)
		usage();
	struct sockaddr_in to = parse_addr(argv[1], argv[2]);
	int fd = connect_to(&to);
	static char buf[16384];
	size_t have = 0;
	int rc = 0;
	for (int i = 3; i < argc; i++) {
		char req[1024];
		int len = snprintf(
		    req, sizeof(req),
		    "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: tcp_tool\r\n%s\r\n", argv[i],
		    argv[1], argv[2], i == argc - 1 ? "Connection: close\r\n" : "");
		if (len <= 0 || (size_t)len >= sizeof(req))
			usage();
		if (send_all(fd, req, (size_t)len) != 0)
			die_errno("send");
		int st = http_response(fd, buf, sizeof(buf), &have, argv[i]);
		if (st < 0)
			return 1;
		if (st != 200)
			rc = 1;
	}
	/* Connection: close: the server's FIN follows. */
	ssize_t n = cav_recv(fd, buf, sizeof(buf), 0);
	if (n != 0) {
		fprintf(stderr, "tcp_tool: expected the server to close (%zd)\n", n);
		rc = 1;
	}
	cav_close(fd);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
	    {"send", cmd_send},
	    {"recv", cmd_recv},
	    {"gen", cmd_gen},
	    {"rr-server", cmd_rr_server},
	    {"rr-client", cmd_rr_client},
	    {"crr-client", cmd_crr_client},
	    {"conns", cmd_conns},
	    {"connect", cmd_connect},
	    {"get", cmd_get},
	};
	if (argc < 2)
		usage();
	/* Each command sees argv[0] = its name, argv[1..] its arguments
	 * (getopt from optind 1). */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	usage();
}
