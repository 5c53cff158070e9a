/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cavctl: the control CLI. It sends its arguments to cavalryd's control
 * socket and prints the reply; the daemon renders text or (with -j) JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DEFAULT_SOCKET "/run/cavalry/cavalryd.sock"

static void
usage(FILE *f)
{
	fprintf(f, "usage: cavctl [-s SOCKET] [-j] [-t TIMEOUT_MS] COMMAND [ARGS...]\n"
		   "  -s SOCKET   control socket (default $CAVCTL_SOCKET or " DEFAULT_SOCKET ")\n"
		   "  -j          JSON output\n"
		   "  -t MS       reply timeout in milliseconds (default 5000)\n"
		   "commands: 'cavctl help' asks the daemon for its list\n");
}

int
main(int argc, char **argv)
{
	const char *path = getenv("CAVCTL_SOCKET");
	if (path == NULL)
		path = DEFAULT_SOCKET;
	bool json = false;
	int timeout_ms = 5000;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-j") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
			timeout_ms = atoi(argv[++i]);
			if (timeout_ms <= 0) {
				fprintf(stderr, "cavctl: bad timeout '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	struct cbuf body;
	cbuf_init(&body);
	int status;
	if (ctl_client_call(path, json, argc - i, argv + i, &status, &body, timeout_ms) < 0) {
		fprintf(stderr, "cavctl: %s: %s\n", path, strerror(errno));
		cbuf_free(&body);
		return 1;
	}
	if (body.len > 0)
		fwrite(body.data, 1, body.len, status == 0 ? stdout : stderr);
	if (status != 0 && body.len == 0)
		fprintf(stderr, "cavctl: %s\n", strerror(status));
	cbuf_free(&body);
	return status == 0 ? 0 : 1;
}
