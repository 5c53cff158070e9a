/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A UDP echo server on libcavsock: every datagram goes back to its sender.
 *
 *   udp_echo_server [-a ADDR] [-p PORT] [-n COUNT] [-e] [-k] [-i IDLE_S]
 *     -a, -p   bind address (default 0.0.0.0) and port (default 7)
 *     -n       exit after COUNT datagrams (default: run until killed)
 *     -e       wait with cav_epoll_wait (edge-triggered) instead of blocking
 *              in cav_recvfrom
 *     -k       sink: count, do not echo; print the totals at exit
 *     -i       exit after IDLE_S seconds without a datagram (with -k)
 *
 * Prints "listening on ADDR:PORT" once bound (port 0: the one it got).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockapi.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *addr = "0.0.0.0";
	int port = 7, opt, use_epoll = 0, sink = 0, idle_s = 0;
	long count = -1;
	while ((opt = getopt(argc, argv, "a:p:n:eki:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'e': use_epoll = 1; break;
		case 'k': sink = 1; break;
		case 'i': idle_s = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-a ADDR] [-p PORT] [-n COUNT] [-e] [-k] [-i IDLE_S]\n",
				argv[0]);
			return 2;
		}
	}
	int fd = cav_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("cav_socket");
		return 1;
	}
	int big = 1 << 20;
	cav_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		return 2;
	}
	if (cav_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("cav_bind");
		return 1;
	}
	socklen_t sl = sizeof(sin);
	cav_getsockname(fd, (struct sockaddr *)&sin, &sl);
	printf("listening on %s:%u (%s sockets)\n", addr, ntohs(sin.sin_port), SOCKAPI_NAME);
	fflush(stdout);

	int ep = -1;
	if (use_epoll) {
		ep = cav_epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
		if (ep < 0 || cav_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			perror("cav_epoll");
			return 1;
		}
	}
	static char buf[65536];
	long n = 0;
	unsigned long long bytes = 0;
	double first = 0, last = 0;
	while (count < 0 || n < count) {
		if (use_epoll || idle_s > 0) {
			/* Wait, then drain to EAGAIN (edge-triggered). */
			if (use_epoll) {
				struct epoll_event ev;
				int k = cav_epoll_wait(ep, &ev, 1, idle_s > 0 ? idle_s * 1000 : -1);
				if (k < 0) {
					perror("cav_epoll_wait");
					return 1;
				}
				if (k == 0)
					break;
			} else {
				struct pollfd p = {.fd = fd, .events = POLLIN};
				int k = cav_poll(&p, 1, idle_s * 1000);
				if (k < 0) {
					perror("cav_poll");
					return 1;
				}
				if (k == 0)
					break;
			}
		}
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = cav_recvfrom(fd, buf, sizeof(buf),
						 (use_epoll || idle_s > 0) ? MSG_DONTWAIT : 0,
						 (struct sockaddr *)&from, &fl);
			if (r < 0) {
				if (errno == EAGAIN)
					break;
				perror("cav_recvfrom");
				return 1;
			}
			last = now_s();
			if (n == 0)
				first = last;
			n++;
			bytes += (unsigned long long)r;
			if (!sink && cav_sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl) < 0 &&
			    errno != EAGAIN) {
				perror("cav_sendto");
				return 1;
			}
			if (!use_epoll && idle_s == 0)
				break;
			if (count >= 0 && n >= count)
				break;
		}
	}
	if (sink) {
		double dt = last > first ? last - first : 0;
		printf("received %ld datagrams, %llu bytes in %.3f s: %.0f datagrams/s\n", n, bytes,
		       dt, dt > 0 ? (double)(n - 1) / dt : 0.0);
	}
	cav_close(fd);
	return 0;
}
