/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TEST_EAL_FIXTURE_H
#define CAV_TEST_EAL_FIXTURE_H

/* EAL for unit tests that need DPDK memory: no hugepages, no PCI, a file
 * prefix unique to this process. */

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

static inline int
test_eal_init(const char *name)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=cavt-unit-%s-%d", name, (int)getpid());
	char *argv[] = {"test", "--no-huge", "--no-pci", "-m", "128", prefix, "--log-level=1",
			"-l", "0", NULL};
	return rte_eal_init(9, argv);
}

/* rte_eal_cleanup, then remove the runtime directory EAL leaves behind
 * (the prefix is this process's alone). */
static inline void
test_eal_cleanup(void)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(dp), de->d_name, 0);
	closedir(dp);
	rmdir(dir);
}

#endif
