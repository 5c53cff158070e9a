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
 *   tcp_tool rr-server PORT [-a ADDR] [-b BACKLOG]
 *       echo every byte on every connection (epoll, non-blocking) until
 *       SIGTERM/SIGINT; then prints the connection counts. -b: listen()'s
 *       backlog (default 4096; a small one for SYN-flood tests).
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
 *   tcp_tool hold HOST PORT [-w BYTES] [-g FILE]
 *       connect (prints "connected"), send BYTES (default 0) without
 *       waiting for them to be acknowledged -- once FILE exists with -g
 *       (at most 60 s) --, then block in recv() until EOF or an error:
 *       prints "end: EOF" or "end: ENAME" and "seconds:" from the send
 *       (keepalive and TCP_USER_TIMEOUT tests).
 *
 * Socket options, before the command, for every socket it makes (a
 * listener's are inherited by the connections it accepts):
 *   --keepalive IDLE,INTVL,CNT  SO_KEEPALIVE with TCP_KEEPIDLE/KEEPINTVL (s)
 *                               and TCP_KEEPCNT
 *   --user-timeout MS           TCP_USER_TIMEOUT
 *   --pmtudisc dont|want|do|probe  IP_MTU_DISCOVER
 *   --cc NAME                   TCP_CONGESTION ("reno", "cubic")
 *   --late                      set them on connected sockets, after
 *                               connect() (a connection changing options)
 * A refused option ends the program with its errno's name.
 *
 * Results are "key: value" lines on stdout (stderr with -w / get). A failed
 * call prints "tcp_tool: CALL: ENAME (message)" on stderr and exits 1: the
 * tests match the errno's name (ECONNREFUSED, ETIMEDOUT...).
 *
 * Files: this one (options, helpers, bulk/get/hold commands, main),
 * tcp_tool_rr.c (echo server, request/response and connection-rate
 * clients, connect), tcp_tool.h.
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

double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

void __attribute__((noreturn)) die_errno(const char *what)
{
	int e = errno;
	fprintf(stderr, "tcp_tool: %s: %s (%s)\n", what, errname(e), strerror(e));
	exit(1);
}

void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: tcp_tool send HOST PORT BYTES [-s SEED] [-q] [-d SECONDS]\n"
			"       tcp_tool recv PORT [-a ADDR] [-w]\n"
			"       tcp_tool gen BYTES [-s SEED]\n"
			"       tcp_tool rr-server PORT [-a ADDR] [-b BACKLOG]\n"
			"       tcp_tool rr-client HOST PORT SIZE SECONDS\n"
			"       tcp_tool crr-client HOST PORT SECONDS\n"
			"       tcp_tool conns HOST PORT N [-t SECONDS]\n"
			"       tcp_tool connect HOST PORT [-n]\n"
			"       tcp_tool get HOST PORT PATH...\n"
			"       tcp_tool hold HOST PORT [-w BYTES] [-g FILE]\n"
			"options before the command: --keepalive IDLE,INTVL,CNT --user-timeout MS\n"
			"       --cc NAME --pmtudisc dont|want|do|probe --late\n");
	exit(2);
}

uint64_t
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

struct sockaddr_in
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

void
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

/* The options given before the command (0 / NULL: not set). */
static struct {
	int keepidle, keepintvl, keepcnt; /* keepidle > 0: SO_KEEPALIVE on */
	int user_timeout;		  /* -1: not set */
	int pmtudisc;			  /* -1: not set */
	const char *cc;
	int late; /* after connect() instead of at socket() */
} sockopts = {.user_timeout = -1, .pmtudisc = -1};

static void
set_int(int fd, int level, int name, int v, const char *what)
{
	if (cav_setsockopt(fd, level, name, &v, sizeof(v)) != 0)
		die_errno(what);
}

static void
apply_sockopts(int fd)
{
	if (sockopts.keepidle > 0) {
		set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, sockopts.keepidle,
			"setsockopt TCP_KEEPIDLE");
		set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, sockopts.keepintvl,
			"setsockopt TCP_KEEPINTVL");
		set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, sockopts.keepcnt, "setsockopt TCP_KEEPCNT");
		set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "setsockopt SO_KEEPALIVE");
	}
	if (sockopts.user_timeout >= 0)
		set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, sockopts.user_timeout,
			"setsockopt TCP_USER_TIMEOUT");
	if (sockopts.pmtudisc >= 0)
		set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, sockopts.pmtudisc,
			"setsockopt IP_MTU_DISCOVER");
	if (sockopts.cc != NULL && cav_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, sockopts.cc,
						  (socklen_t)strlen(sockopts.cc)) != 0)
		die_errno("setsockopt TCP_CONGESTION");
}

/* The connection's congestion control, for the results ("?" if unknown). */
static void
print_congestion(FILE *o, int fd)
{
	char name[16] = "?";
	socklen_t l = sizeof(name) - 1;
	if (cav_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l) != 0)
		snprintf(name, sizeof(name), "?");
	name[sizeof(name) - 1] = '\0';
	fprintf(o, "congestion: %s\n", name);
}

int
tcp_socket(int flags)
{
	int fd = cav_socket(AF_INET, SOCK_STREAM | flags, 0);
	if (fd < 0)
		die_errno("socket");
	if (!sockopts.late)
		apply_sockopts(fd);
	return fd;
}

int
connect_to(const struct sockaddr_in *to)
{
	int fd = tcp_socket(0);
	if (cav_connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0)
		die_errno("connect");
	if (sockopts.late)
		apply_sockopts(fd);
	return fd;
}

int
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
int
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
ssize_t
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

void
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
	print_congestion(stdout, fd);
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
	FILE *o = to_stdout ? stderr : stdout;
	print_congestion(o, fd);
	if (cav_close(fd) != 0)
		die_errno("close");
	if (to_stdout && fflush(stdout) != 0)
		die_errno("stdout");
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

/* ------------------------------------------------------------ hold */

static int
cmd_hold(int argc, char **argv)
{
	uint64_t bytes = 0;
	const char *go = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "w:g:")) != -1) {
		if (opt == 'w')
			bytes = parse_u64(optarg);
		else if (opt == 'g')
			go = optarg;
		else
			usage();
	}
	if (optind + 2 != argc)
		usage();
	struct sockaddr_in to = parse_addr(argv[optind], argv[optind + 1]);
	int fd = connect_to(&to);
	printf("connected\n");
	fflush(stdout);
	for (int i = 0; go != NULL && access(go, F_OK) != 0; i++) {
		if (i == 6000) {
			fprintf(stderr, "tcp_tool: %s did not appear in 60 s\n", go);
			return 1;
		}
		usleep(10000);
	}
	double t0 = now_s();
	static uint8_t buf[CHUNK];
	/* Non-blocking: the bytes are queued, not waited for (a peer that
	 * vanished must leave them unacknowledged). */
	for (uint64_t off = 0; off < bytes;) {
		size_t len = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;
		pattern_fill(1, off, buf, len);
		ssize_t n = cav_send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			die_errno("send");
		}
		off += (uint64_t)n;
	}
	const char *end = "EOF";
	for (;;) {
		ssize_t n = cav_recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR) {
			end = errname(errno);
			break;
		}
	}
	printf("end: %s\nseconds: %.3f\n", end, now_s() - t0);
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
	    {"hold", cmd_hold},
	};
	/* Socket options before the command. */
	while (argc >= 3 && strncmp(argv[1], "--", 2) == 0) {
		const char *o = argv[1], *v = argv[2];
		if (strcmp(o, "--late") == 0) {
			sockopts.late = 1;
			argc--;
			argv++;
			continue;
		}
		if (strcmp(o, "--keepalive") == 0) {
			if (sscanf(v, "%d,%d,%d", &sockopts.keepidle, &sockopts.keepintvl,
				   &sockopts.keepcnt) != 3 ||
			    sockopts.keepidle <= 0)
				usage();
		} else if (strcmp(o, "--user-timeout") == 0) {
			sockopts.user_timeout = atoi(v);
		} else if (strcmp(o, "--cc") == 0) {
			sockopts.cc = v;
		} else if (strcmp(o, "--pmtudisc") == 0) {
			static const char *const modes[] = {"dont", "want", "do", "probe"};
			for (int i = 0; i < 4; i++)
				if (strcmp(v, modes[i]) == 0)
					sockopts.pmtudisc = i; /* IP_PMTUDISC_DONT + i */
			if (sockopts.pmtudisc < 0)
				usage();
		} else {
			usage();
		}
		argc -= 2;
		argv += 2;
	}
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
