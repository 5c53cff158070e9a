/* SPDX-License-Identifier: BSD-3-Clause */
/* The TCP scenario runner (format: runner.c's top comment, README.md). */
#ifndef CAV_TCP_RUNNER_H
#define CAV_TCP_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

/* Run the script at `path`. Returns 0 when it passes; otherwise -1 with
 * "path:LINE: what" in err. verbose: trace every segment to stderr. */
int tcp_run_script(const char *path, bool verbose, char *err, size_t errlen);

/* Same, from a string (name used in messages). */
int tcp_run_text(const char *name, const char *text, bool verbose, char *err, size_t errlen);

#endif
