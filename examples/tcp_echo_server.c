/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TCP echo server on libcavsock (or, built with -DCAV_EXAMPLE_KERNEL, on
 * kernel sockets): one connection at a time, every byte goes back, until
 * the peer's FIN; then the next connection.
 *
 *   tcp_echo_server [-a ADDR] [-p PORT] [-b BACKLOG] [-n COUNT] [-H]
 *     -a, -p   bind address (default 0.0.0.0) and port (default 7)
 *     -b       listen() backlog (default 16)
 *     -n       exit after COUNT connections (default: run until killed)
 *     -H       hold: listen but never accept (the accept queue fills: for
 *              tests of the backlog and of a listener closed with
 *              connections queued)
 *
 * Prints "listening on ADDR:PORT" once listening, "accepted ADDR:PORT" and
 * "closed BYTES" per connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockapi.h"

static int
echo(int fd)
{
	static char buf[64 << 10];
	long total = 0;
	for (;;) {
		ssize_t n = cav_recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("cav_recv");
			return -1;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = cav_send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				perror("cav_send");
				return -1;
			}
			off += w;
		}
		total += n;
	}
	printf("closed %ld\n", total);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *addr = "0.0.0.0";
	int port = 7, backlog = 16, hold = 0, opt;
	long count = -1;
	while ((opt = getopt(argc, argv, "a:p:b:n:H")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'b': backlog = atoi(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'H': hold = 1; break;
		default:
			fprintf(stderr, "usage: %s [-a ADDR] [-p PORT] [-b BACKLOG] [-n COUNT] [-H]\n",
				argv[0]);
			return 2;
		}
	}
	int lfd = cav_socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("cav_socket");
		return 1;
	}
	int one = 1;
	cav_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		return 2;
	}
	if (cav_bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || cav_listen(lfd, backlog) != 0) {
		perror("bind/listen");
		return 1;
	}
	socklen_t sl = sizeof(sin);
	cav_getsockname(lfd, (struct sockaddr *)&sin, &sl);
	printf("listening on %s:%u\n", addr, ntohs(sin.sin_port));
	fflush(stdout);
	if (hold) {
		for (;;)
			pause();
	}
	for (long n = 0; count < 0 || n < count; n++) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		int fd = cav_accept(lfd, (struct sockaddr *)&peer, &pl);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("cav_accept");
			return 1;
		}
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
		printf("accepted %s:%u\n", ip, ntohs(peer.sin_port));
		fflush(stdout);
		echo(fd);
		cav_close(fd);
	}
	cav_close(lfd);
	return 0;
}
