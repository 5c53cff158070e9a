/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal_args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int
push(struct eal_args *a, const char *fmt, ...)
{
	if (a->argc >= EAL_ARGS_MAX)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(a->store + a->used, sizeof(a->store) - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(a->store) - a->used)
		return -1;
	a->argv[a->argc++] = a->store + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

static int
nth_cpu(uint64_t mask, unsigned int n)
{
	unsigned int count = (unsigned int)__builtin_popcountll(mask);
	n %= count;
	for (int c = 0; c < 64; c++)
		if ((mask >> c) & 1) {
			if (n == 0)
				return c;
			n--;
		}
	return -1;
}

int
eal_args_build(const struct cav_config *cfg, const char *prog, pid_t pid, uint64_t online,
	       struct eal_args *a)
{
	memset(a, 0, sizeof(*a));
	uint64_t cpus = cfg->cpu_mask != 0 ? cfg->cpu_mask & online : online;
	if (cpus == 0)
		return -1;

	if (push(a, "%s", prog) < 0)
		return -1;

	/* lcore 0 is the main (control) lcore; workers 1..N. */
	char map[1024];
	size_t used = 0;
	a->main_cpu = (unsigned int)nth_cpu(cpus, 0);
	used += (size_t)snprintf(map, sizeof(map), "0@%u", a->main_cpu);
	for (unsigned int w = 0; w < cfg->n_workers; w++) {
		/* Workers start on the CPU after the main one, wrapping around. */
		a->worker_cpu[w] = (unsigned int)nth_cpu(cpus, w + 1);
		used += (size_t)snprintf(map + used, sizeof(map) - used, ",%u@%u", w + 1,
					 a->worker_cpu[w]);
		if (used >= sizeof(map))
			return -1;
	}
	if (push(a, "--lcores") < 0 || push(a, "%s", map) < 0 || push(a, "--main-lcore") < 0 ||
	    push(a, "0") < 0)
		return -1;

	snprintf(a->file_prefix, sizeof(a->file_prefix), "%s-%ld", cfg->file_prefix, (long)pid);
	if (push(a, "--file-prefix") < 0 || push(a, "%s", a->file_prefix) < 0)
		return -1;

	if (cfg->hugepages) {
		if (push(a, "--huge-unlink=always") < 0 || push(a, "-m") < 0 ||
		    push(a, "%u", cfg->memory_mb) < 0)
			return -1;
	} else {
		if (push(a, "--no-huge") < 0 || push(a, "-m") < 0 ||
		    push(a, "%u", cfg->memory_mb) < 0)
			return -1;
	}

	int n_pci = 0;
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		if (!cfg->ports[i].is_pci)
			continue;
		n_pci++;
		if (push(a, "-a") < 0 || push(a, "%s", cfg->ports[i].device) < 0)
			return -1;
	}
	if (n_pci == 0 && push(a, "--no-pci") < 0)
		return -1;

	if (push(a, "--log-level=%d", (int)cfg->log_level) < 0)
		return -1;
	return 0;
}
