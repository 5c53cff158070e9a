/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TEST_API_CHECK_H
#define CAV_TEST_API_CHECK_H

/* The check harness of the API checkers run against a live daemon
 * (sock_api_check for datagrams, tcp_api_check for streams): one "ok" or
 * "FAIL" line per check, failures counted for the exit status. */

#include <errno.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok   ");                                                           \
		} else {                                                                           \
			printf("FAIL ");                                                           \
			failures++;                                                                \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		fflush(stdout);                                                                    \
	} while (0)

/* The call failed with exactly `e`. */
#define ERRNO_IS(call, e) ((call) == -1 && errno == (e))

#endif
