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
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "graph.h"
#include "neigh.h"
#include "nf.h"
#include "pool.h"
#include "rules.h"
#include "route.h"
#include "session.h"
#include "tcpdp.h"
#include "txq.h"

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
setup_pools(struct daemon *d, char *err, size_t errlen)
{
	const struct cav_config *cfg = &d->cfg;
	/* Room for a full frame of the largest MTU plus VLAN tag and FCS; the
	 * private area carries struct pkt_meta. */
	uint32_t room = RTE_PKTMBUF_HEADROOM + RTE_MAX(2048u, (uint32_t)max_mtu(cfg) + 22u);
	d->sh->pool = io_pktmbuf_pool_create("cav_mbufs", cfg->n_mbufs, 256, PKT_META_PRIV_SIZE,
					     (uint16_t)room, (int)rte_socket_id());
	/* Indirect mbufs (no data room) for zero-copy IPv4 fragmentation. */
	d->sh->indirect_pool = io_pktmbuf_pool_create("cav_indirect", cfg->n_mbufs, 256,
						      PKT_META_PRIV_SIZE, 0, (int)rte_socket_id());
	if (d->sh->pool == NULL || d->sh->indirect_pool == NULL) {
		snprintf(err, errlen, "cannot create mempools of %u mbufs: %s", cfg->n_mbufs,
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
setup_l3(struct daemon *d, char *err, size_t errlen)
{
	const struct cav_config *cfg = &d->cfg;
	struct dp_shared *sh = d->sh;
	int socket = (int)rte_socket_id();

	size_t sz = rte_rcu_qsbr_get_memsize(cfg->n_workers);
	d->rcu = rte_zmalloc("cav_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (d->rcu == NULL || rte_rcu_qsbr_init(d->rcu, cfg->n_workers) != 0) {
		snprintf(err, errlen, "cannot set up RCU");
		return -1;
	}
	sh->rcu = d->rcu;
	sh->routes = route_table_create(d->n_ports, d->rcu, socket, err, errlen);
	if (sh->routes == NULL)
		return -1;
	sh->neigh = neigh_table_create(d->rcu, socket, err, errlen);
	if (sh->neigh == NULL)
		return -1;
	d->arp.sh = sh;
	d->arp.t = sh->neigh;
	d->arp.xmit = control_xmit;
	d->arp.xmit_ctx = d;

	for (unsigned int i = 0; i < d->n_ports; i++) {
		const struct cav_port_conf *pc = &cfg->ports[i];
		for (unsigned int a = 0; a < pc->n_addrs; a++) {
			int rc = route_addr_add(sh->routes, (uint16_t)i, pc->addrs[a].addr,
						pc->addrs[a].prefix_len);
			if (rc != 0) {
				snprintf(err, errlen, "%.512s:%u: port %s: address: %s", cfg->path,
					 pc->line, pc->name, strerror(rc));
				return -1;
			}
		}
	}
	for (unsigned int r = 0; r < cfg->n_routes; r++) {
		const struct cav_route_conf *rc = &cfg->routes[r];
		int e = route_add(sh->routes, rc->prefix, rc->prefix_len, rc->gateway);
		if (e != 0) {
			snprintf(err, errlen, "%.512s:%u: route: %s", cfg->path, rc->line,
				 e == ENETUNREACH ? "gateway is not on a connected subnet"
						  : strerror(e));
			return -1;
		}
	}

	sh->control_ring = rte_ring_create("cav_control", 4096, socket, RING_F_SC_DEQ);
	sh->control_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sh->control_ring == NULL || sh->control_efd < 0) {
		snprintf(err, errlen, "cannot create the control ring");
		return -1;
	}
	return 0;
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
	d->sh = rte_zmalloc("cav_shared", sizeof(*d->sh), RTE_CACHE_LINE_SIZE);
	if (d->sh == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->sh->control_efd = -1;
	d->sh->tsc_hz = rte_get_tsc_hz();
	d->sh->idle_sleep_us = cfg->idle_sleep_us;
	if (setup_pools(d, err, errlen) < 0)
		return -1;

	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		int oldns = port_netns_enter(&cfg->ports[i], err, errlen);
		if (oldns == -1)
			return -1;
		int rc = port_probe(&d->ports[i], &cfg->ports[i], cfg->n_workers, err, errlen);
		if (rc == 0) {
			d->n_ports++;
			rc = port_start(&d->ports[i], d->sh->pool, err, errlen);
		}
		port_netns_leave(oldns);
		if (rc < 0)
			return -1;
		struct dp_port *dp = &d->sh->ports[i];
		snprintf(dp->name, sizeof(dp->name), "%s", cfg->ports[i].name);
		dp->ethdev = d->ports[i].port_id;
		dp->mtu = d->ports[i].mtu;
		dp->mac = d->ports[i].mac;
		dp->rx_offloads = d->ports[i].rx_offloads;
		dp->tx_offloads = d->ports[i].tx_offloads;
	}
	d->sh->n_ports = d->n_ports;
	if (setup_l3(d, err, errlen) < 0)
		return -1;

	/* Static neighbours before any worker runs: a packet to them must
	 * never be punted for resolution (and hit the control ring). */
	for (unsigned int i = 0; i < d->n_ports; i++)
		for (unsigned int k = 0; k < cfg->ports[i].n_neighs; k++) {
			const struct cav_neigh_conf *nc = &cfg->ports[i].neighs[k];
			struct rte_ether_addr mac;
			memcpy(mac.addr_bytes, nc->mac, sizeof(nc->mac));
			int rc = arp_ctl_add_static(&d->arp, (uint16_t)i, nc->addr, &mac);
			if (rc != 0) {
				snprintf(err, errlen, "%.512s:%u: neighbor: %s", cfg->path, nc->line,
					 strerror(rc));
				return -1;
			}
		}
	if (graph_run_setup_hooks() < 0) {
		snprintf(err, errlen, "graph setup failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	/* Netfilter hooks: conntrack, NAT and the rule file of [filter]
	 * (lib/filter), before the workers that use them. */
	const char *port_names[CAV_MAX_PORTS];
	for (unsigned int i = 0; i < d->n_ports; i++)
		port_names[i] = d->sh->ports[i].name;
	if (nf_create(d->sh, cfg->n_workers, &cfg->filter, port_names, d->n_ports, err, errlen) < 0)
		return -1;
	/* TCP: the connection table, before the workers (each takes a slice). */
	if (tcpdp_create(d->sh, cfg->n_workers, &cfg->tcp, err, errlen) < 0)
		return -1;

	unsigned int lcore, w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		d->sh->workers[w] = worker_create(d, w, lcore);
		if (d->sh->workers[w] == NULL) {
			snprintf(err, errlen, "cannot create worker %u: %s", w,
				 rte_strerror(rte_errno));
			return -1;
		}
		w++;
		d->sh->n_workers = w;
	}
	/* Every port's TX qdisc ([qdisc PORT], else fq_codel with the RFC
	 * defaults); each worker takes its instance in its first iteration. */
	for (unsigned int i = 0; i < d->n_ports; i++)
		if (dp_qdisc_publish(d->sh, i, &cfg->ports[i].qdisc, err, errlen) != 0) {
			char why[256];
			snprintf(why, sizeof(why), "%.200s", err);
			snprintf(err, errlen, "%.512s:%u: qdisc of port %s: %s", cfg->path,
				 cfg->ports[i].qdisc_line ? cfg->ports[i].qdisc_line
							  : cfg->ports[i].line,
				 cfg->ports[i].name, why);
			return -1;
		}

	/* libcavsock clients: after the workers (each gets a handoff ring),
	 * before they run. */
	struct sess_conf sc = {
		.path = cfg->app_socket,
		.mode = cfg->app_mode,
		.gid = cfg->app_gid,
		.segment_size = (uint64_t)cfg->app_segment_mb << 20,
		.busy_poll = cfg->app_busy_poll,
		.congestion = cfg->tcp.congestion,
	};
	if (sess_create(d->sh, &sc, err, errlen) == NULL)
		return -1;
	d->sh->sess->tcp_info = tcpdp_sock_info;

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

	w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		int rc = rte_eal_remote_launch(worker_main, d->sh->workers[w++], lcore);
		if (rc != 0) {
			snprintf(err, errlen, "cannot launch worker on lcore %u: %s", lcore,
				 rte_strerror(-rc));
			return -1;
		}
	}
	/* Announce our addresses (RFC 5227 §3). */
	for (unsigned int i = 0; i < d->n_ports; i++)
		for (unsigned int a = 0; a < cfg->ports[i].n_addrs; a++)
			arp_ctl_gratuitous(&d->arp, (uint16_t)i, cfg->ports[i].addrs[a].addr);
	return 0;
}

/* Serve the control socket, punted packets and timers until a signal. */
static void
run(struct daemon *d, int sfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = sfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = ctl_server_fd(d->ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = d->sh->control_efd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sess_fd(d->sh->sess);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);

	CAV_LOG(NOTICE, "ready: %u port(s), %u worker(s), control socket %s", d->n_ports,
		d->sh->n_workers, d->cfg.control_socket);
	uint64_t next_timer = 0;
	const uint64_t tick = rte_get_tsc_hz() / 10; /* ARP timers every 100 ms */
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, 100);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					CAV_LOG(NOTICE, "signal %u: stopping", si.ssi_signo);
					close(ep);
					return;
				}
			} else if (fd == d->sh->control_efd) {
				control_drain(d);
			} else if (fd == sess_fd(d->sh->sess)) {
				sess_poll(d->sh->sess);
			} else {
				ctl_server_poll(d->ctl);
			}
		}
		uint64_t now = rte_get_tsc_cycles();
		if (now >= next_timer) {
			control_timer(d);
			sess_tick(d->sh->sess);
			next_timer = now + tick;
		}
	}
}

static int
pool_check(struct rte_mempool *mp)
{
	if (mp == NULL)
		return 0;
	unsigned int in_use = rte_mempool_in_use_count(mp);
	int rc = 0;
	if (in_use != 0) {
		CAV_LOG(ERR, "mempool %s: %u of %u mbufs still in use at exit (leak)", mp->name,
			in_use, mp->size);
		rc = 1;
	} else {
		CAV_LOG(NOTICE, "mempool %s: 0 of %u mbufs in use at exit", mp->name, mp->size);
	}
	rte_mempool_free(mp);
	return rc;
}

static int
teardown(struct daemon *d)
{
	int rc = 0;
	struct dp_shared *sh = d->sh;
	if (sh != NULL) {
		/* Pairs with the acquire load in worker_main(). */
		__atomic_store_n(&sh->quit, true, __ATOMIC_RELEASE);
	}
	rte_eal_mp_wait_lcore();
	/* Clients see their connection close; their blocked calls return. */
	if (sh != NULL)
		sess_destroy(sh->sess);
	ctl_server_destroy(d->ctl);
	d->ctl = NULL;
	if (sh == NULL)
		return 0;
	if (sh->control_ring != NULL) {
		struct rte_mbuf *m = NULL;
		while (rte_ring_dequeue(sh->control_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(sh->control_ring);
	}
	if (sh->control_efd >= 0)
		close(sh->control_efd);
	neigh_table_free(sh->neigh);
	for (unsigned int w = 0; w < sh->n_workers; w++)
		worker_destroy(sh->workers[w]);
	nf_destroy(sh); /* after the workers: frees what their handoff rings hold */
	tcpdp_destroy(sh);
	dp_qdisc_unpublish_all(sh); /* instances no worker took (hold no packets) */
	for (unsigned int i = 0; i < d->n_ports; i++)
		port_close(&d->ports[i]);
	route_table_free(sh->routes);
	rte_free(d->rcu);
	rc |= pool_check(sh->pool);
	rc |= pool_check(sh->indirect_pool);
	rte_free(sh);
	d->sh = NULL;
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
		/* The rule file too: FILE:LINE: reason, like the config. */
		if (d.cfg.filter.rules[0] != '\0') {
			const char *names[CAV_MAX_PORTS];
			for (unsigned int i = 0; i < d.cfg.n_ports; i++)
				names[i] = d.cfg.ports[i].name;
			struct nf_rules *r = nf_rules_load(d.cfg.filter.rules, names, d.cfg.n_ports,
							   err, sizeof(err));
			if (r == NULL) {
				fprintf(stderr, "%s\n", err);
				return EXIT_CONFIG;
			}
			nf_rules_free(r);
		}
		printf("%s: OK (%u port(s), %u worker(s))\n", path, d.cfg.n_ports, d.cfg.n_workers);
		return 0;
	}
	if (ctl_socket_in_use(d.cfg.control_socket)) {
		fprintf(stderr, "cavalryd: control socket %s is in use by another daemon\n",
			d.cfg.control_socket);
		return 1;
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
