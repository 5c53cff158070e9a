/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_runner [-v] SCRIPT...: run TCP scenario scripts; exit 1 on the first failure. */
#include <stdio.h>
#include <string.h>

#include "runner.h"

int
main(int argc, char **argv)
{
	bool verbose = false;
	int i = 1, failed = 0;
	char err[512];

	if (i < argc && strcmp(argv[i], "-v") == 0) {
		verbose = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-v] SCRIPT...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		if (tcp_run_script(argv[i], verbose, err, sizeof(err)) != 0) {
			fprintf(stderr, "FAIL %s\n", err);
			failed = 1;
		} else {
			printf("ok %s\n", argv[i]);
		}
	}
	return failed;
}
