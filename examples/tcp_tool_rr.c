/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_tool's request/response and connection commands: rr-server (the
 * epoll echo server), rr-client, crr-client, conns, connect. Usage and
 * output: tcp_tool.c's top comment.
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
#include "tcp_tool.h"

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

int
cmd_rr_server(int argc, char **argv)
{
	const char *addr = "0.0.0.0";
	int opt, backlog = 4096;
	while ((opt = getopt(argc, argv, "a:b:")) != -1) {
		if (opt == 'a')
			addr = optarg;
		else if (opt == 'b')
			backlog = (int)parse_u64(optarg);
		else
			usage();
	}
	if (optind + 1 != argc)
		usage();
	raise_nofile();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int lfd = listen_on(addr, argv[optind], backlog);
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

int
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

int
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

int
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

int
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
