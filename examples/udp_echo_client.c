/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A UDP echo client on libcavsock.
 *
 *   udp_echo_client [-n COUNT] [-s SIZE] [-t TIMEOUT_MS] [-r SECONDS] [-f SECONDS] HOST PORT
 *     default: send COUNT (default 10) datagrams of SIZE bytes (default 64),
 *              each with its own pattern, wait for each echo and check it;
 *              exit 0 if every one came back intact
 *     -r       round trips for SECONDS: one datagram in flight, print
 *              "rr_per_s: N"
 *     -f       flood for SECONDS: send as fast as the socket takes them,
 *              print "sent_per_s: N"
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

static void
fill(unsigned char *b, size_t n, unsigned long seq)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seq * 131 + i * 7 + (i >> 8));
}

int
main(int argc, char **argv)
{
	long count = 10;
	size_t size = 64;
	int timeout_ms = 2000, opt;
	double rr_s = 0, flood_s = 0;
	while ((opt = getopt(argc, argv, "n:s:t:r:f:")) != -1) {
		switch (opt) {
		case 'n': count = atol(optarg); break;
		case 's': size = (size_t)atol(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'r': rr_s = atof(optarg); break;
		case 'f': flood_s = atof(optarg); break;
		default: goto usage;
		}
	}
	if (optind + 2 != argc || size > CAV_UDP_MAX)
		goto usage;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[optind + 1]))};
	if (inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1)
		goto usage;

	int fd = cav_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("cav_socket");
		return 1;
	}
	int big = 1 << 20;
	cav_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	cav_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (cav_connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("cav_connect");
		return 1;
	}
	static unsigned char out[65536], in[65536];

	if (flood_s > 0) {
		fill(out, size, 1);
		unsigned long sent = 0;
		double t0 = now_s(), end = t0 + flood_s, t = t0;
		while (t < end) {
			for (int i = 0; i < 64; i++)
				if (cav_send(fd, out, size, 0) == (ssize_t)size)
					sent++;
				else if (errno != EAGAIN && errno != ECONNREFUSED && errno != ENOBUFS) {
					perror("cav_send");
					return 1;
				}
			t = now_s();
		}
		printf("sent_per_s: %.0f\n", (double)sent / (t - t0));
		cav_close(fd);
		return 0;
	}
	if (rr_s > 0) {
		fill(out, size, 1);
		unsigned long n = 0, lost = 0;
		double t0 = now_s(), end = t0 + rr_s, t = t0;
		while (t < end) {
			if (cav_send(fd, out, size, 0) != (ssize_t)size) {
				perror("cav_send");
				return 1;
			}
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (cav_poll(&p, 1, timeout_ms) != 1 || cav_recv(fd, in, sizeof(in), 0) < 0)
				lost++;
			else
				n++;
			t = now_s();
		}
		printf("rr_per_s: %.0f (lost %lu)\n", (double)n / (t - t0), lost);
		cav_close(fd);
		return 0;
	}
	long ok = 0;
	for (long i = 0; i < count; i++) {
		fill(out, size, (unsigned long)i);
		if (cav_send(fd, out, size, 0) != (ssize_t)size) {
			perror("cav_send");
			return 1;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int k = cav_poll(&p, 1, timeout_ms);
		if (k != 1) {
			fprintf(stderr, "datagram %ld: no echo within %d ms\n", i, timeout_ms);
			continue;
		}
		ssize_t r = cav_recv(fd, in, sizeof(in), 0);
		if (r < 0) {
			fprintf(stderr, "datagram %ld: ", i);
			perror("cav_recv");
			continue;
		}
		if ((size_t)r != size || memcmp(in, out, size) != 0) {
			fprintf(stderr, "datagram %ld: echo differs (%zd bytes)\n", i, r);
			continue;
		}
		ok++;
	}
	printf("ok %ld/%ld\n", ok, count);
	cav_close(fd);
	return ok == count ? 0 : 1;
usage:
	fprintf(stderr, "usage: %s [-n COUNT] [-s SIZE] [-t TIMEOUT_MS] [-r SECONDS] [-f SECONDS] HOST PORT\n",
		argv[0]);
	return 2;
}
