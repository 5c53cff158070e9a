/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_EAL_ARGS_H
#define CAV_EAL_ARGS_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define EAL_ARGS_MAX 64

struct eal_args {
	int argc;
	char *argv[EAL_ARGS_MAX + 1];
	char store[8192];
	size_t used;
	char file_prefix[96]; /* the unique prefix actually passed */
	unsigned int main_cpu;
	unsigned int worker_cpu[CAV_MAX_WORKERS];
};

/*
 * Build EAL arguments for `cfg`:
 *  - `--no-pci` unless a port names a PCI device (then `-a ADDR` per device);
 *  - `--file-prefix PREFIX-PID`, unique per process, so a run never clears
 *    another DPDK process's hugepage files;
 *  - `--no-huge -m N` (hugepages = no) or `--huge-unlink=always` (hugepages =
 *    yes: nothing is left in hugetlbfs even after a crash);
 *  - `--lcores` mapping main lcore 0 and workers 1..N round-robin over the
 *    allowed CPUs (lcores may share a CPU);
 *  - the log level.
 * `online` is the mask of CPUs this process may use. Returns 0 or -1 (no
 * usable CPU, or the arguments do not fit).
 */
int eal_args_build(const struct cav_config *cfg, const char *prog, pid_t pid, uint64_t online,
		   struct eal_args *out);

#endif
