/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_CONFIG_H
#define CAV_CONFIG_H

/*
 * The daemon configuration: built once from the config file, validated in
 * full, and read-only after start. docs/config.md documents every key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qdisc_args.h"

#define CAV_MAX_PORTS 16
#define CAV_MAX_WORKERS 32
#define CAV_MAX_ADDRS 8
#define CAV_PORT_NAME_MAX 16
#define CAV_DEVARGS_MAX 256
#define CAV_PATH_MAX 108 /* sun_path */

enum cav_log_level {
	CAV_LOG_ERR = 4, /* RTE_LOG_ERR */
	CAV_LOG_WARNING = 5,
	CAV_LOG_NOTICE = 6,
	CAV_LOG_INFO = 7,
	CAV_LOG_DEBUG = 8,
};

struct cav_addr_conf {
	uint32_t addr; /* host byte order */
	uint8_t prefix_len;
};

struct cav_neigh_conf {
	uint32_t addr; /* host byte order */
	uint8_t mac[6];
	unsigned int line;
};

#define CAV_MAX_STATIC_NEIGH 16

struct cav_port_conf {
	char name[CAV_PORT_NAME_MAX];
	char device[CAV_DEVARGS_MAX]; /* vdev devargs or PCI address */
	bool is_pci;
	char netns[64]; /* create the vdev inside this network namespace ("" = ours) */
	struct cav_addr_conf addrs[CAV_MAX_ADDRS];
	unsigned int n_addrs;
	struct cav_neigh_conf neighs[CAV_MAX_STATIC_NEIGH];
	unsigned int n_neighs;
	uint16_t mtu;
	uint16_t rx_desc;
	uint16_t tx_desc;
	unsigned int line; /* where the section starts, for later errors */
	/* [qdisc NAME]: the TX queues' qdisc (lib/sched qdisc.h; kind FQ_CODEL,
	 * BANDS or FIFO, shaper.rate_bps 0 = no shaper). Default: fq_codel. */
	struct qdisc_conf qdisc;
	unsigned int qdisc_line; /* 0: no [qdisc] section, the default */
};

#define CAV_MAX_ROUTES 256

struct cav_route_conf {
	uint32_t prefix; /* host byte order */
	uint8_t prefix_len;
	uint32_t gateway;
	unsigned int line;
};

/* [filter]: the netfilter hooks (lib/filter nf.h, docs/rules.md). */
enum cav_ct_mode {
	CAV_CT_AUTO, /* on once a rule set needs it, then stays on */
	CAV_CT_ON,
	CAV_CT_OFF,
};

struct cav_filter_conf {
	char rules[4096];	 /* rule file loaded at start; "" = none */
	unsigned int rules_line; /* its line in the config, for errors */
	uint32_t ct_max;	 /* conntrack entries, over all workers */
	enum cav_ct_mode ct_mode;
	bool tcp_loose; /* conntrack picks up TCP connections mid-stream */
};

/* [tcp]: the daemon's TCP (lib/tcpdp, lib/tcp). Times in ms. */
struct cav_tcp_conf {
	uint32_t time_wait_ms;   /* TIME_WAIT, 2*MSL (Linux: 60 s) */
	uint32_t syn_retries;    /* tcp_syn_retries (Linux: 6) */
	uint32_t synack_retries; /* tcp_synack_retries (Linux: 5) */
	uint32_t retries2;       /* tcp_retries2 (Linux: 15) */
	uint32_t max_conns;      /* connection table: pcbs, TIME_WAIT included */
	char congestion[16];     /* tcp_congestion_control: "cubic" (Linux's default) or "reno" */
	uint32_t ecn;            /* tcp_ecn: 0 off, 1 request and accept, 2 accept (Linux: 2) */
	uint32_t syncookies;     /* tcp_syncookies: 0 never, 1 on SYN queue overflow, 2 always (Linux: 1) */
	uint32_t tw_reuse;       /* tcp_tw_reuse: 0 never, 1 always, 2 "loopback" (Linux: 2; lib/tcpdp) */
	unsigned int line;       /* the section's line (0: absent) */
};

struct cav_config {
	char path[4096];

	/* [eal] */
	uint64_t cpu_mask; /* CPUs lcores may run on; 0 = all online */
	uint32_t memory_mb;
	bool hugepages;
	char file_prefix[64];
	enum cav_log_level log_level;

	/* [daemon] */
	unsigned int n_workers;
	uint32_t idle_sleep_us; /* 0 = never sleep (pure busy polling) */
	uint32_t n_mbufs;
	char control_socket[CAV_PATH_MAX];
	uint32_t control_mode;
	int64_t control_gid; /* -1 = unchanged */
	/* the shared-memory socket API (libcavsock) */
	char app_socket[CAV_PATH_MAX];
	uint32_t app_mode;
	int64_t app_gid;         /* -1 = unchanged */
	uint32_t app_segment_mb; /* shared segment per client process */
	bool app_busy_poll;      /* clients never sleep */

	/* [port NAME] */
	struct cav_port_conf ports[CAV_MAX_PORTS];
	unsigned int n_ports;

	/* [routes] */
	struct cav_route_conf routes[CAV_MAX_ROUTES];
	unsigned int n_routes;

	/* [filter] */
	struct cav_filter_conf filter;

	/* [tcp] */
	struct cav_tcp_conf tcp;
};

/* Fill `cfg` with the built-in defaults (no ports). */
void cav_config_defaults(struct cav_config *cfg);

/*
 * Load and validate `path` into `cfg`. Returns 0, or -1 with "PATH:LINE:
 * reason" in `err`. Unknown sections and keys, duplicates and out-of-range
 * values are errors. Group names are resolved with getgrnam().
 */
int cav_config_load(const char *path, struct cav_config *cfg, char *err, size_t errlen);

/* Same, from text (tests). */
int cav_config_parse(const char *name, const char *text, struct cav_config *cfg, char *err,
		     size_t errlen);

/* True when `dev` looks like a PCI address (DDDD:BB:DD.F or BB:DD.F). */
bool cav_device_is_pci(const char *dev);

const char *cav_log_level_name(enum cav_log_level l);

#endif
