/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cavalryd: the dataplane daemon. The main lcore parses the config, brings up
 * EAL, the mempool and the ports, launches one worker per worker lcore, and
 * then serves the control socket and signals until SIGINT/SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "worker.h"

#define EXIT_CONFIG 2

static void
usage(FILE *f)
{
	fprintf(f, "usage: cavalryd -c FILE [--check]\n"
		   "  -c, --config FILE   configuration file (docs/config.md)\n"
		   "      --check         validate the configuration and exit: 0 valid, 2 invalid\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          this help\n");
}

static uint64_t
online_cpus(void)
{
	cpu_set_t set;
	uint64_t mask = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, &set))
			mask |= UINT64_C(1) << c;
	return mask;
}

/* EAL leaves its runtime directory (config, telemetry socket) behind; the
 * prefix is ours alone, so remove it. */
static void
remove_runtime_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		unlinkat(dirfd(dp), de->d_name, 0);
	}
	closedir(dp);
	rmdir(dir);
}

static uint16_t
max_mtu(const struct cav_config *cfg)
{
	uint16_t m = 1500;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].mtu > m)
			m = cfg->ports[i].mtu;
	return m;
}

static int
setup(struct daemon *d, char *err, size_t errlen)
{
	const struct cav_config *cfg = &d->cfg;
	if (rte_lcore_count() != cfg->n_workers + 1) {
		snprintf(err, errlen, "EAL gave %u lcores, need %u", rte_lcore_count(),
			 cfg->n_workers + 1);
		return -1;
	}

	/* Room for a full frame of the largest MTU plus VLAN tag and FCS. */
	uint32_t room = RTE_PKTMBUF_HEADROOM + RTE_MAX(2048u, (uint32_t)max_mtu(cfg) + 22u);
	d->pool = rte_pktmbuf_pool_create("cav_mbufs", cfg->n_mbufs, 256, 0, (uint16_t)room,
					  (int)rte_socket_id());
	if (d->pool == NULL) {
		snprintf(err, errlen, "cannot create mempool of %u mbufs: %s", cfg->n_mbufs,
			 rte_strerror(rte_errno));
		return -1;
	}

	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		if (port_probe(&d->ports[i], &cfg->ports[i], cfg->n_workers, err, errlen) < 0)
			return -1;
		d->n_ports++;
		if (port_start(&d->ports[i], d->pool, err, errlen) < 0)
			return -1;
	}

	struct ctl_server_conf cc = {
		.path = cfg->control_socket,
		.mode = cfg->control_mode,
		.gid = cfg->control_gid,
		.cmds = daemon_cmds,
		.n_cmds = daemon_n_cmds,
		.ctx = d,
	};
	d->ctl = ctl_server_create(&cc, err, errlen);
	if (d->ctl == NULL)
		return -1;
	if (daemon_telemetry_register(d) < 0)
		CAV_LOG(WARNING, "telemetry endpoints not registered");

	unsigned int lcore, w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		d->workers[w] = worker_create(d, w, lcore, d->eal.worker_cpu[w]);
		if (d->workers[w] == NULL) {
			snprintf(err, errlen, "cannot allocate worker %u", w);
			return -1;
		}
		w++;
	}
	d->n_workers = w;
	w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		int rc = rte_eal_remote_launch(worker_main, d->workers[w++], lcore);
		if (rc != 0) {
			snprintf(err, errlen, "cannot launch worker on lcore %u: %s", lcore,
				 rte_strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* Serve the control socket until a signal. */
static void
run(struct daemon *d, int sfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = sfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = ctl_server_fd(d->ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);

	CAV_LOG(NOTICE, "ready: %u port(s), %u worker(s), control socket %s", d->n_ports,
		d->n_workers, d->cfg.control_socket);
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, 1000);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					CAV_LOG(NOTICE, "signal %u: stopping", si.ssi_signo);
					close(ep);
					return;
				}
			} else {
				ctl_server_poll(d->ctl);
			}
		}
	}
}

static int
teardown(struct daemon *d)
{
	int rc = 0;
	/* Pairs with the acquire load in worker_main(). */
	__atomic_store_n(&d->quit, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	ctl_server_destroy(d->ctl);
	d->ctl = NULL;
	for (unsigned int i = 0; i < d->n_ports; i++)
		port_close(&d->ports[i]);
	if (d->pool != NULL) {
		unsigned int in_use = rte_mempool_in_use_count(d->pool);
		if (in_use != 0) {
			CAV_LOG(ERR, "mempool: %u of %u mbufs still in use at exit (leak)", in_use,
				d->pool->size);
			rc = 1;
		} else {
			CAV_LOG(NOTICE, "mempool: 0 of %u mbufs in use at exit", d->pool->size);
		}
		rte_mempool_free(d->pool);
	}
	for (unsigned int w = 0; w < d->n_workers; w++)
		worker_destroy(d->workers[w]);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	bool check = false;
	int o;
	while ((o = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'V':
			printf("cavalryd %s\n", CAVALRY_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}

	static struct daemon d;
	char err[1024];
	if (cav_config_load(path, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("%s: OK (%u port(s), %u worker(s))\n", path, d.cfg.n_ports, d.cfg.n_workers);
		return 0;
	}
	if (eal_args_build(&d.cfg, argv[0], getpid(), online_cpus(), &d.eal) < 0) {
		fprintf(stderr, "%s: no usable CPU in 'cpus', or EAL arguments too long\n", path);
		return EXIT_CONFIG;
	}

	/* Block the stop signals before EAL creates threads, so every thread
	 * inherits the mask and only the signalfd sees them. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);

	struct eal_args eal_copy = d.eal; /* rte_eal_init may permute argv */
	if (rte_eal_init(eal_copy.argc, eal_copy.argv) < 0) {
		fprintf(stderr, "cavalryd: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	rte_log_set_level(cav_logtype, (uint32_t)d.cfg.log_level);
	d.start_tsc = rte_get_tsc_cycles();
	d.start_time = (uint64_t)time(NULL);
	char runtime_dir[PATH_MAX];
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());

	int rc = 0;
	if (setup(&d, err, sizeof(err)) < 0) {
		fprintf(stderr, "cavalryd: %s\n", err);
		rc = 1;
	} else {
		run(&d, sfd);
	}
	if (teardown(&d) != 0 && rc == 0)
		rc = 1;
	rte_eal_cleanup();
	remove_runtime_dir(runtime_dir);
	close(sfd);
	CAV_LOG(NOTICE, "exit %d", rc);
	return rc;
}
