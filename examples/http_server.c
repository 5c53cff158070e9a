/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small HTTP/1.1 server on libcavsock: one thread, epoll (edge-triggered),
 * non-blocking sockets, any number of connections.
 *
 *   http_server [-a ADDR] [-p PORT] [-t IDLE_S] [-v]
 *     -a, -p   listen address (default 0.0.0.0) and port (default 8080)
 *     -t       close a connection idle this long (default 30 s)
 *     -v       log each request on stderr
 *
 *   GET /            a small HTML page
 *   GET /bytes/N     N bytes of examples/pattern.h's stream 1, streamed
 *                    (`tcp_tool gen N | sha256sum` is its checksum)
 *   anything else    404; methods other than GET and HEAD: 405
 *
 * Keep-alive as HTTP/1.1 says (HTTP/1.0: only with "Connection:
 * keep-alive"); "Connection: close" closes after the response. Pipelined
 * requests are answered in order. Prints "listening on ADDR:PORT" once
 * ready; SIGTERM/SIGINT stop it and print the counts.
 *
 * Built with -DCAV_EXAMPLE_KERNEL the same source runs on kernel sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"
#include "sockapi.h"

#define IN_MAX 8192  /* request headers; longer: 431 */
#define OUT_MAX 2048 /* status line, headers and a small body */
#define BYTES_MAX (1ull << 40)

struct conn {
	int fd;
	int closing;	 /* response sent, write side shut: drain to EOF */
	int close_after; /* close once the current response is out */
	double last;	 /* last activity, for the idle timeout */
	struct conn *prev, *next;
	size_t in_len;
	size_t out_len, out_off;
	uint64_t stream_len, stream_off; /* /bytes/N body after out[] */
	char in[IN_MAX];
	char out[OUT_MAX];
};

static struct conn *conns; /* every open connection, for the idle sweep */
static volatile sig_atomic_t stop;
static int verbose;
static uint64_t n_requests, n_accepted;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char page[] =
    "<!doctype html>\n"
    "<html><head><title>Cavalry</title></head>\n"
    "<body><h1>Hello from Cavalry</h1>\n"
    "<p>Served by examples/http_server over " SOCKAPI_NAME " sockets.</p>\n"
    "<p><a href=\"/bytes/1048576\">/bytes/1048576</a> streams a mebibyte.</p>\n"
    "</body></html>\n";

static const char not_found[] = "not found\n";
static const char not_allowed[] = "method not allowed\n";
static const char bad_request[] = "bad request\n";
static const char too_large[] = "request header fields too large\n";

static void
respond(struct conn *c, int status, const char *reason, const char *type, const char *body,
	uint64_t body_len, int stream, int head, const char *extra)
{
	int n = snprintf(c->out, OUT_MAX,
			 "HTTP/1.1 %d %s\r\nServer: cavalry-http_server\r\nContent-Type: %s\r\n"
			 "Content-Length: %" PRIu64 "\r\n%s%s\r\n",
			 status, reason, type, body_len, extra ? extra : "",
			 c->close_after ? "Connection: close\r\n" : "");
	c->out_len = (size_t)n;
	c->out_off = 0;
	c->stream_len = c->stream_off = 0;
	if (head)
		return;
	if (stream) {
		c->stream_len = body_len;
	} else {
		/* Small bodies are static strings that fit beside the headers. */
		memcpy(c->out + n, body, (size_t)body_len);
		c->out_len += (size_t)body_len;
	}
}

/* Does a header's comma-separated value list contain token? */
static int
has_token(const char *v, const char *end, const char *token)
{
	size_t tl = strlen(token);
	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		const char *e = v;
		while (e < end && *e != ',')
			e++;
		const char *t = e;
		while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - v) == tl && strncasecmp(v, token, tl) == 0)
			return 1;
		v = e;
	}
	return 0;
}

/* Parse the request in c->in[0, hlen) and set up its response. */
static void
handle_request(struct conn *c, size_t hlen)
{
	char *line_end = memchr(c->in, '\r', hlen);
	char method[16], target[1024], version[16];
	n_requests++;
	if (line_end == NULL || line_end - c->in >= 1100) {
		c->close_after = 1;
		respond(c, 400, "Bad Request", "text/plain", bad_request, sizeof(bad_request) - 1,
			0, 0, NULL);
		return;
	}
	*line_end = '\0';
	if (sscanf(c->in, "%15s %1023s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		c->close_after = 1;
		respond(c, 400, "Bad Request", "text/plain", bad_request, sizeof(bad_request) - 1,
			0, 0, NULL);
		return;
	}
	*line_end = '\r';
	int keep = strcmp(version, "HTTP/1.0") != 0; /* HTTP/1.1+: persistent by default */
	int has_body = 0;
	for (char *h = memchr(c->in, '\n', hlen); h && h + 1 < c->in + hlen;
	     h = memchr(h + 1, '\n', (size_t)(c->in + hlen - h - 1))) {
		char *name = h + 1, *eol = memchr(name, '\r', (size_t)(c->in + hlen - name));
		if (eol == NULL)
			break;
		char *colon = memchr(name, ':', (size_t)(eol - name));
		if (colon == NULL)
			continue;
		size_t nl = (size_t)(colon - name);
		if (nl == 10 && strncasecmp(name, "connection", 10) == 0) {
			if (has_token(colon + 1, eol, "close"))
				keep = 0;
			else if (has_token(colon + 1, eol, "keep-alive"))
				keep = 1;
		} else if ((nl == 14 && strncasecmp(name, "content-length", 14) == 0 &&
			    strtoull(colon + 1, NULL, 10) != 0) ||
			   (nl == 17 && strncasecmp(name, "transfer-encoding", 17) == 0)) {
			has_body = 1;
		}
	}
	/* A request body we do not read would be parsed as the next request:
	 * answer, then close (RFC 9112 §9.6 allows closing at any time). */
	c->close_after = !keep || has_body;
	int head = strcmp(method, "HEAD") == 0;
	if (verbose)
		fprintf(stderr, "http_server: fd %d: %s %s %s%s\n", c->fd, method, target, version,
			c->close_after ? " (close)" : "");
	if (!head && strcmp(method, "GET") != 0) {
		c->close_after = 1;
		respond(c, 405, "Method Not Allowed", "text/plain", not_allowed,
			sizeof(not_allowed) - 1, 0, 0, "Allow: GET, HEAD\r\n");
		return;
	}
	if (strcmp(target, "/") == 0 || strcmp(target, "/index.html") == 0) {
		respond(c, 200, "OK", "text/html; charset=utf-8", page, sizeof(page) - 1, 0, head,
			NULL);
		return;
	}
	if (strncmp(target, "/bytes/", 7) == 0 && target[7] >= '0' && target[7] <= '9') {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(target + 7, &end, 10);
		if (*end == '\0' && errno == 0 && n <= BYTES_MAX) {
			respond(c, 200, "OK", "application/octet-stream", NULL, n, 1, head, NULL);
			return;
		}
	}
	respond(c, 404, "Not Found", "text/plain", not_found, sizeof(not_found) - 1, 0, head, NULL);
}

static void
conn_close(int ep, struct conn *c)
{
	cav_epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	cav_close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* Make progress on a connection until the socket says EAGAIN
 * (edge-triggered). Returns 0 to keep it, -1 to close it. */
static int
conn_service(struct conn *c)
{
	static uint8_t chunk[64 << 10];
	c->last = now_s();
	for (;;) {
		/* 1. Finish the response in progress. */
		while (c->out_off < c->out_len) {
			ssize_t n = cav_send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
					     MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : errno == EINTR ? 0 : -1;
			c->out_off += (size_t)n;
		}
		while (c->stream_off < c->stream_len) {
			uint64_t left = c->stream_len - c->stream_off;
			size_t len = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
			pattern_fill(1, c->stream_off, chunk, len);
			ssize_t n = cav_send(c->fd, chunk, len, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : errno == EINTR ? 0 : -1;
			c->stream_off += (uint64_t)n;
		}
		c->out_len = c->out_off = 0;
		c->stream_len = c->stream_off = 0;
		/* 2. Connection: close: our FIN after the response, then read
		 * until the client's FIN so that unread request bytes do not
		 * turn our close into a RST that could destroy the response in
		 * flight (the "lingering close" of RFC 9112 §9.6). */
		if (c->close_after && !c->closing) {
			if (cav_shutdown(c->fd, SHUT_WR) != 0)
				return -1;
			c->closing = 1;
		}
		if (!c->closing) {
			/* 3. The next request, if complete (pipelining). */
			char *eoh = NULL;
			if (c->in_len >= 4) {
				c->in[c->in_len] = '\0';
				eoh = strstr(c->in, "\r\n\r\n");
			}
			if (eoh != NULL) {
				size_t hlen = (size_t)(eoh - c->in) + 4;
				handle_request(c, hlen);
				memmove(c->in, c->in + hlen, c->in_len - hlen);
				c->in_len -= hlen;
				continue;
			}
			if (c->in_len >= IN_MAX - 1) {
				c->close_after = 1;
				c->in_len = 0;
				respond(c, 431, "Request Header Fields Too Large", "text/plain",
					too_large, sizeof(too_large) - 1, 0, 0, NULL);
				continue;
			}
		}
		/* 4. Read more (discarded while closing). */
		char *dst = c->closing ? (char *)chunk : c->in + c->in_len;
		size_t room = c->closing ? sizeof(chunk) : IN_MAX - 1 - c->in_len;
		ssize_t n = cav_recv(c->fd, dst, room, 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1; /* the client's FIN: nothing more to answer */
		if (!c->closing)
			c->in_len += (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	const char *addr = "0.0.0.0";
	int port = 8080, opt;
	double idle_s = 30;
	while ((opt = getopt(argc, argv, "a:p:t:v")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 't':
			idle_s = atof(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-a ADDR] [-p PORT] [-t IDLE_S] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		return 2;
	}
	int lfd = cav_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0) {
		perror("socket");
		return 1;
	}
	int one = 1;
	cav_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cav_bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("bind");
		return 1;
	}
	if (cav_listen(lfd, 1024) != 0) {
		perror("listen");
		return 1;
	}
	int ep = cav_epoll_create1(0);
	struct epoll_event lev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
	if (ep < 0 || cav_epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) != 0) {
		perror("epoll");
		return 1;
	}
	printf("listening on %s:%d (%s sockets)\n", addr, port, SOCKAPI_NAME);
	fflush(stdout);

	struct epoll_event evs[128];
	double next_sweep = now_s() + 1;
	while (!stop) {
		int k = cav_epoll_wait(ep, evs, 128, 1000);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c != NULL) {
				if (conn_service(c) != 0)
					conn_close(ep, c);
				continue;
			}
			for (;;) { /* the listener: accept until EAGAIN */
				int fd = cav_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0) {
					if (errno == EAGAIN)
						break;
					if (errno == EINTR || errno == ECONNABORTED)
						continue;
					/* EMFILE and friends: try again on the next
					 * event rather than spin. */
					perror("accept4");
					break;
				}
				c = calloc(1, sizeof(*c));
				struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
							 .data.ptr = c};
				if (c == NULL || cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
					cav_close(fd);
					free(c);
					continue;
				}
				n_accepted++;
				c->fd = fd;
				cav_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				c->next = conns;
				if (conns)
					conns->prev = c;
				conns = c;
				if (conn_service(c) != 0)
					conn_close(ep, c);
			}
		}
		double t = now_s();
		if (t >= next_sweep) {
			next_sweep = t + 1;
			for (struct conn *c = conns, *nx; c; c = nx) {
				nx = c->next;
				if (t - c->last > idle_s)
					conn_close(ep, c);
			}
		}
	}
	int open = 0;
	while (conns) {
		conn_close(ep, conns);
		open++;
	}
	cav_close(lfd);
	printf("connections: %" PRIu64 "\nrequests: %" PRIu64 "\nopen_at_exit: %d\n", n_accepted,
	       n_requests, open);
	return 0;
}
