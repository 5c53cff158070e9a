/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scribbling client (tests/netns/test_udp_scribble.sh): attaches like
 * any libcavsock client, opens sockets and sends a little so that every
 * ring is in use, then overwrites its whole shared segment (header,
 * control rings, socket slots, ring contents) with seeded random bytes,
 * rings the doorbell, and repeats, round after round, until the daemon
 * drops it (its connection closes) or the rounds run out.
 *
 *   sock_scribbler SEED ROUNDS PEER_IP
 *
 * Prints the seed first (to replay a failure), then how it ended.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cavalry/sock.h>

#include "sock_priv.h"

static uint64_t
next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s SEED ROUNDS PEER_IP\n", argv[0]);
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	int rounds = atoi(argv[2]);
	printf("scribbler pid %d seed %llu rounds %d\n", (int)getpid(), (unsigned long long)seed,
	       rounds);
	fflush(stdout);
	uint64_t st = seed ? seed : 1;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, argv[3], &peer.sin_addr);
	int fds[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = cav_socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0) {
			perror("cav_socket");
			return 1;
		}
		cav_sendto(fds[i], "warm", 4, MSG_DONTWAIT, (struct sockaddr *)&peer, sizeof(peer));
	}
	uint64_t *seg = cs.seg.base;
	size_t words = cs.seg.size / sizeof(uint64_t);
	for (int r = 1; r <= rounds; r++) {
		/* Mostly the whole segment; some rounds only the parts the
		 * daemon reads most (a header word, a ring index, a record). */
		if (next(&st) % 4 != 0) {
			for (size_t i = 0; i < words; i++)
				seg[i] = next(&st);
		} else {
			for (int k = 0; k < 64; k++)
				seg[next(&st) % words] = next(&st);
		}
		uint64_t one = 1;
		if (write(cs.seg.bell_fd, &one, sizeof(one)) < 0) {
		}
		struct timespec ts = {.tv_nsec = 20 * 1000000};
		nanosleep(&ts, NULL);
		struct pollfd p = {.fd = cs.seg.conn, .events = POLLIN};
		if (poll(&p, 1, 0) > 0) {
			printf("dropped by the daemon after round %d\n", r);
			return 0;
		}
	}
	printf("not dropped after %d rounds\n", rounds);
	return 0;
}
