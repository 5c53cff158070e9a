/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <ctype.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "ini.h"
#include "parse.h"
#include "qdisc.h"
#include "tcp.h"

struct ctx {
	const struct ini_file *f;
	struct cav_config *cfg;
	char *err;
	size_t errlen;
};

#define FAIL(c, line, ...)                                                                         \
	do {                                                                                       \
		int n_ = snprintf((c)->err, (c)->errlen, "%s:%u: ", (c)->f->path, (line));          \
		if (n_ >= 0 && (size_t)n_ < (c)->errlen)                                            \
			snprintf((c)->err + n_, (c)->errlen - (size_t)n_, __VA_ARGS__);            \
		return -1;                                                                         \
	} while (0)

static const struct {
	const char *name;
	enum cav_log_level level;
} log_levels[] = {
	{"error", CAV_LOG_ERR},   {"warning", CAV_LOG_WARNING}, {"notice", CAV_LOG_NOTICE},
	{"info", CAV_LOG_INFO}, {"debug", CAV_LOG_DEBUG},
};

const char *
cav_log_level_name(enum cav_log_level l)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == l)
			return log_levels[i].name;
	return "?";
}

void
cav_config_defaults(struct cav_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_mb = 512;
	cfg->hugepages = false;
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "cavalry");
	cfg->log_level = CAV_LOG_INFO;
	cfg->n_workers = 1;
	cfg->idle_sleep_us = 0;
	cfg->n_mbufs = 16383;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "/run/cavalry/cavalryd.sock");
	cfg->control_mode = 0660;
	cfg->control_gid = -1;
	cfg->app_socket[0] = '\0'; /* beside control_socket (cav_config_load) */
	cfg->app_mode = 0660;
	cfg->app_gid = -1;
	/* Room for CAV_SHM_MAX_SOCKS (1,024, Linux's default RLIMIT_NOFILE)
	 * socket slots of 512 KiB of rings each; a memfd's pages are
	 * committed only when touched, so the size costs address space. */
	cfg->app_segment_mb = 514;
	cfg->app_busy_poll = false;
	cfg->filter.ct_max = 65536;
	cfg->filter.ct_mode = CAV_CT_AUTO;
	cfg->filter.tcp_loose = true;
	cfg->tcp.time_wait_ms = 60000;
	cfg->tcp.syn_retries = 6;
	cfg->tcp.synack_retries = 5;
	cfg->tcp.retries2 = 15;
	cfg->tcp.max_conns = 65536;
	snprintf(cfg->tcp.congestion, sizeof(cfg->tcp.congestion), "cubic");
	cfg->tcp.ecn = 2; /* Linux's default: ECN when the peer asks for it */
	cfg->tcp.syncookies = 1; /* Linux's default: cookies once the SYN queue overflows */
	cfg->tcp.tw_reuse = 2;	 /* Linux's default: TIME_WAIT reuse for loopback connections */
}

bool
cav_device_is_pci(const char *dev)
{
	/* [DDDD:]BB:DD.F, optionally followed by ",args" */
	const char *p = dev;
	size_t hex = 0;
	while (isxdigit((unsigned char)p[hex]))
		hex++;
	if (hex == 4 && p[4] == ':')
		p += 5;
	for (int i = 0; i < 2; i++)
		if (!isxdigit((unsigned char)*p++))
			return false;
	if (*p++ != ':')
		return false;
	for (int i = 0; i < 2; i++)
		if (!isxdigit((unsigned char)*p++))
			return false;
	if (*p++ != '.')
		return false;
	if (*p < '0' || *p > '7')
		return false;
	p++;
	return *p == '\0' || *p == ',';
}

static int
check_dup(struct ctx *c, const struct ini_section *s, unsigned int idx)
{
	const struct ini_entry *e = &s->entries[idx];
	for (unsigned int i = 0; i < idx; i++)
		if (strcmp(s->entries[i].key, e->key) == 0)
			FAIL(c, e->line, "duplicate key '%s' (first at line %u)", e->key,
			     s->entries[i].line);
	return 0;
}

static int
get_u32(struct ctx *c, const struct ini_entry *e, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(e->value, min, max, &v) < 0)
		FAIL(c, e->line, "%s: '%s' is not an integer in %llu..%llu", e->key, e->value,
		     (unsigned long long)min, (unsigned long long)max);
	*out = (uint32_t)v;
	return 0;
}

static int
get_str(struct ctx *c, const struct ini_entry *e, char *out, size_t outlen)
{
	size_t n = strlen(e->value);
	if (n == 0)
		FAIL(c, e->line, "%s: empty value", e->key);
	if (n >= outlen)
		FAIL(c, e->line, "%s: value longer than %zu characters", e->key, outlen - 1);
	memcpy(out, e->value, n + 1);
	return 0;
}

static int
parse_eal(struct ctx *c, const struct ini_section *s)
{
	struct cav_config *cfg = c->cfg;
	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		if (check_dup(c, s, i) < 0)
			return -1;
		if (strcmp(e->key, "cpus") == 0) {
			if (parse_cpulist(e->value, &cfg->cpu_mask) < 0)
				FAIL(c, e->line, "cpus: '%s' is not a CPU list such as 0-1,3",
				     e->value);
		} else if (strcmp(e->key, "memory_mb") == 0) {
			if (get_u32(c, e, 64, 1u << 20, &cfg->memory_mb) < 0)
				return -1;
		} else if (strcmp(e->key, "hugepages") == 0) {
			if (parse_bool(e->value, &cfg->hugepages) < 0)
				FAIL(c, e->line, "hugepages: '%s' is not yes or no", e->value);
		} else if (strcmp(e->key, "file_prefix") == 0) {
			if (get_str(c, e, cfg->file_prefix, 40) < 0)
				return -1;
			for (const char *p = cfg->file_prefix; *p != '\0'; p++)
				if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
					FAIL(c, e->line,
					     "file_prefix: only letters, digits, '-' and '_'");
		} else if (strcmp(e->key, "log_level") == 0) {
			size_t k;
			for (k = 0; k < sizeof(log_levels) / sizeof(log_levels[0]); k++)
				if (strcmp(e->value, log_levels[k].name) == 0)
					break;
			if (k == sizeof(log_levels) / sizeof(log_levels[0]))
				FAIL(c, e->line,
				     "log_level: '%s' is not one of error, warning, notice, info, "
				     "debug",
				     e->value);
			cfg->log_level = log_levels[k].level;
		} else {
			FAIL(c, e->line, "unknown key '%s' in [eal]", e->key);
		}
	}
	return 0;
}

static int
parse_daemon(struct ctx *c, const struct ini_section *s)
{
	struct cav_config *cfg = c->cfg;
	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		if (check_dup(c, s, i) < 0)
			return -1;
		if (strcmp(e->key, "workers") == 0) {
			if (get_u32(c, e, 1, CAV_MAX_WORKERS, &cfg->n_workers) < 0)
				return -1;
		} else if (strcmp(e->key, "idle_sleep_us") == 0) {
			if (get_u32(c, e, 0, 100000, &cfg->idle_sleep_us) < 0)
				return -1;
		} else if (strcmp(e->key, "mbufs") == 0) {
			if (get_u32(c, e, 1023, 1u << 24, &cfg->n_mbufs) < 0)
				return -1;
		} else if (strcmp(e->key, "control_socket") == 0) {
			if (get_str(c, e, cfg->control_socket, sizeof(cfg->control_socket)) < 0)
				return -1;
			if (cfg->control_socket[0] != '/')
				FAIL(c, e->line, "control_socket: must be an absolute path");
		} else if (strcmp(e->key, "control_mode") == 0) {
			if (parse_mode(e->value, &cfg->control_mode) < 0)
				FAIL(c, e->line, "control_mode: '%s' is not an octal mode such as 0660",
				     e->value);
		} else if (strcmp(e->key, "control_group") == 0) {
			uint64_t gid;
			if (parse_u64(e->value, 0, UINT32_MAX - 1, &gid) == 0) {
				cfg->control_gid = (int64_t)gid;
			} else {
				struct group *g = getgrnam(e->value);
				if (g == NULL)
					FAIL(c, e->line, "control_group: no group named '%s'",
					     e->value);
				cfg->control_gid = g->gr_gid;
			}
		} else if (strcmp(e->key, "app_socket") == 0) {
			if (get_str(c, e, cfg->app_socket, sizeof(cfg->app_socket)) < 0)
				return -1;
			if (cfg->app_socket[0] != '/')
				FAIL(c, e->line, "app_socket: must be an absolute path");
		} else if (strcmp(e->key, "app_mode") == 0) {
			if (parse_mode(e->value, &cfg->app_mode) < 0)
				FAIL(c, e->line, "app_mode: '%s' is not an octal mode such as 0660",
				     e->value);
		} else if (strcmp(e->key, "app_group") == 0) {
			uint64_t gid;
			if (parse_u64(e->value, 0, UINT32_MAX - 1, &gid) == 0) {
				cfg->app_gid = (int64_t)gid;
			} else {
				struct group *g = getgrnam(e->value);
				if (g == NULL)
					FAIL(c, e->line, "app_group: no group named '%s'", e->value);
				cfg->app_gid = g->gr_gid;
			}
		} else if (strcmp(e->key, "app_segment_mb") == 0) {
			if (get_u32(c, e, 1, 1024, &cfg->app_segment_mb) < 0)
				return -1;
		} else if (strcmp(e->key, "app_busy_poll") == 0) {
			if (parse_bool(e->value, &cfg->app_busy_poll) < 0)
				FAIL(c, e->line, "app_busy_poll: '%s' is not yes or no", e->value);
		} else {
			FAIL(c, e->line, "unknown key '%s' in [daemon]", e->key);
		}
	}
	return 0;
}

static int
parse_port(struct ctx *c, const struct ini_section *s)
{
	struct cav_config *cfg = c->cfg;
	if (s->arg == NULL)
		FAIL(c, s->line, "a port section needs a name: [port NAME]");
	if (strlen(s->arg) >= CAV_PORT_NAME_MAX)
		FAIL(c, s->line, "port name '%s' longer than %d characters", s->arg,
		     CAV_PORT_NAME_MAX - 1);
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, s->arg) == 0)
			FAIL(c, s->line, "port '%s' defined twice (first at line %u)", s->arg,
			     cfg->ports[i].line);
	if (cfg->n_ports == CAV_MAX_PORTS)
		FAIL(c, s->line, "too many ports (max %d)", CAV_MAX_PORTS);

	struct cav_port_conf *p = &cfg->ports[cfg->n_ports];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", s->arg);
	p->mtu = 1500;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->line = s->line;
	qdisc_conf_default(&p->qdisc);

	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		uint32_t v;
		if (strcmp(e->key, "address") != 0 && strcmp(e->key, "neighbor") != 0 &&
		    check_dup(c, s, i) < 0)
			return -1;
		if (strcmp(e->key, "device") == 0) {
			if (get_str(c, e, p->device, sizeof(p->device)) < 0)
				return -1;
			p->is_pci = cav_device_is_pci(p->device);
			if (!p->is_pci && strncmp(p->device, "net_", 4) != 0)
				FAIL(c, e->line,
				     "device: '%s' is neither a PCI address nor a net_* vdev",
				     p->device);
		} else if (strcmp(e->key, "netns") == 0) {
			if (get_str(c, e, p->netns, sizeof(p->netns)) < 0)
				return -1;
			for (const char *q = p->netns; *q != '\0'; q++)
				if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
					FAIL(c, e->line, "netns: '%s' is not a namespace name", p->netns);
		} else if (strcmp(e->key, "address") == 0) {
			struct cav_addr_conf a;
			if (parse_ip4_cidr(e->value, &a.addr, &a.prefix_len) < 0)
				FAIL(c, e->line, "address: '%s' is not an IPv4 CIDR such as 198.18.0.1/24",
				     e->value);
			if (a.prefix_len == 0 || a.prefix_len > 32)
				FAIL(c, e->line, "address: prefix length must be 1..32");
			if (p->n_addrs == CAV_MAX_ADDRS)
				FAIL(c, e->line, "address: too many addresses (max %d)",
				     CAV_MAX_ADDRS);
			for (unsigned int k = 0; k < p->n_addrs; k++)
				if (p->addrs[k].addr == a.addr)
					FAIL(c, e->line, "address: duplicate address");
			p->addrs[p->n_addrs++] = a;
		} else if (strcmp(e->key, "neighbor") == 0) {
			/* neighbor = IP MAC : a static (PERMANENT) ARP entry */
			char ipbuf[32];
			unsigned int m[6];
			char extra;
			struct cav_neigh_conf nb = {.line = e->line};
			if (sscanf(e->value, "%31s %x:%x:%x:%x:%x:%x %c", ipbuf, &m[0], &m[1], &m[2],
				   &m[3], &m[4], &m[5], &extra) != 7 ||
			    parse_ip4(ipbuf, &nb.addr) < 0)
				FAIL(c, e->line, "neighbor: expected 'IP MAC', got '%s'", e->value);
			for (int k = 0; k < 6; k++) {
				if (m[k] > 0xff)
					FAIL(c, e->line, "neighbor: bad MAC in '%s'", e->value);
				nb.mac[k] = (uint8_t)m[k];
			}
			if (p->n_neighs == CAV_MAX_STATIC_NEIGH)
				FAIL(c, e->line, "neighbor: too many (max %d)", CAV_MAX_STATIC_NEIGH);
			p->neighs[p->n_neighs++] = nb;
		} else if (strcmp(e->key, "mtu") == 0) {
			if (get_u32(c, e, 576, 9000, &v) < 0)
				return -1;
			p->mtu = (uint16_t)v;
		} else if (strcmp(e->key, "rx_desc") == 0) {
			if (get_u32(c, e, 64, 16384, &v) < 0)
				return -1;
			p->rx_desc = (uint16_t)v;
		} else if (strcmp(e->key, "tx_desc") == 0) {
			if (get_u32(c, e, 64, 16384, &v) < 0)
				return -1;
			p->tx_desc = (uint16_t)v;
		} else {
			FAIL(c, e->line, "unknown key '%s' in [port %s]", e->key, s->arg);
		}
	}
	if (p->device[0] == '\0')
		FAIL(c, s->line, "port '%s' has no 'device'", p->name);
	if (p->is_pci && p->netns[0] != '\0')
		FAIL(c, s->line, "port '%s': netns applies to vdevs, not PCI devices", p->name);
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].device, p->device) == 0)
			FAIL(c, s->line, "port '%s' uses the device of port '%s'", p->name,
			     cfg->ports[i].name);
	cfg->n_ports++;
	return 0;
}

/* route = PREFIX/LEN via GATEWAY   (PREFIX "default" = 0.0.0.0/0) */
static int
parse_routes(struct ctx *c, const struct ini_section *s)
{
	struct cav_config *cfg = c->cfg;
	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		if (strcmp(e->key, "route") != 0)
			FAIL(c, e->line, "unknown key '%s' in [routes]", e->key);
		char pfx[64], via[16], gw[64], extra[2];
		int n = sscanf(e->value, "%63s %15s %63s %1s", pfx, via, gw, extra);
		struct cav_route_conf r = {.line = e->line};
		if (n != 3 || strcmp(via, "via") != 0)
			FAIL(c, e->line, "route: expected 'PREFIX/LEN via GATEWAY', got '%s'",
			     e->value);
		if (strcmp(pfx, "default") == 0) {
			r.prefix = 0;
			r.prefix_len = 0;
		} else if (parse_ip4_cidr(pfx, &r.prefix, &r.prefix_len) < 0) {
			FAIL(c, e->line, "route: '%s' is not an IPv4 prefix such as 198.18.4.0/24",
			     pfx);
		}
		if (r.prefix_len < 32 &&
		    (r.prefix & ~(r.prefix_len ? ~UINT32_C(0) << (32 - r.prefix_len) : 0)) != 0)
			FAIL(c, e->line, "route: '%s' has host bits set", pfx);
		if (parse_ip4(gw, &r.gateway) < 0)
			FAIL(c, e->line, "route: gateway '%s' is not an IPv4 address", gw);
		for (unsigned int k = 0; k < cfg->n_routes; k++)
			if (cfg->routes[k].prefix == r.prefix &&
			    cfg->routes[k].prefix_len == r.prefix_len)
				FAIL(c, e->line, "route: '%s' repeated (first at line %u)", pfx,
				     cfg->routes[k].line);
		if (cfg->n_routes == CAV_MAX_ROUTES)
			FAIL(c, e->line, "route: too many routes (max %d)", CAV_MAX_ROUTES);
		cfg->routes[cfg->n_routes++] = r;
	}
	return 0;
}

/*
 * [filter]: the netfilter hooks (docs/rules.md). A relative rule file is
 * relative to the config file's directory.
 */
static int
parse_filter(struct ctx *c, const struct ini_section *s)
{
	struct cav_filter_conf *fc = &c->cfg->filter;
	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		if (check_dup(c, s, i) < 0)
			return -1;
		if (strcmp(e->key, "rules") == 0) {
			const char *slash = strrchr(c->cfg->path, '/');
			int dl = e->value[0] == '/' || slash == NULL ? 0
								     : (int)(slash - c->cfg->path) + 1;
			if (e->value[0] == '\0')
				FAIL(c, e->line, "rules: empty value");
			if ((size_t)dl + strlen(e->value) >= sizeof(fc->rules))
				FAIL(c, e->line, "rules: path too long");
			snprintf(fc->rules, sizeof(fc->rules), "%.*s%s", dl, c->cfg->path, e->value);
			fc->rules_line = e->line;
		} else if (strcmp(e->key, "conntrack") == 0) {
			if (strcmp(e->value, "auto") == 0)
				fc->ct_mode = CAV_CT_AUTO;
			else if (strcmp(e->value, "on") == 0)
				fc->ct_mode = CAV_CT_ON;
			else if (strcmp(e->value, "off") == 0)
				fc->ct_mode = CAV_CT_OFF;
			else
				FAIL(c, e->line, "conntrack: '%s' is not auto, on or off", e->value);
		} else if (strcmp(e->key, "conntrack_max") == 0) {
			if (get_u32(c, e, 64, 16777216, &fc->ct_max) < 0)
				return -1;
		} else if (strcmp(e->key, "tcp_loose") == 0) {
			if (parse_bool(e->value, &fc->tcp_loose) < 0)
				FAIL(c, e->line, "tcp_loose: '%s' is not yes or no", e->value);
		} else {
			FAIL(c, e->line, "unknown key '%s' in [filter]", e->key);
		}
	}
	return 0;
}

/*
 * [tcp]: the daemon's TCP. The limits follow Linux's sysctls of the same
 * names (net.ipv4.tcp_*); tests shorten them.
 */
static int
parse_tcp(struct ctx *c, const struct ini_section *s)
{
	struct cav_tcp_conf *tc = &c->cfg->tcp;
	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		if (check_dup(c, s, i) < 0)
			return -1;
		int rc;
		if (strcmp(e->key, "time_wait_ms") == 0)
			rc = get_u32(c, e, 1, 600000, &tc->time_wait_ms);
		else if (strcmp(e->key, "syn_retries") == 0)
			rc = get_u32(c, e, 1, 127, &tc->syn_retries); /* Linux: 1..127 */
		else if (strcmp(e->key, "synack_retries") == 0)
			rc = get_u32(c, e, 1, 255, &tc->synack_retries);
		else if (strcmp(e->key, "retries2") == 0)
			rc = get_u32(c, e, 1, 255, &tc->retries2);
		else if (strcmp(e->key, "max_connections") == 0)
			rc = get_u32(c, e, 64, 1048576, &tc->max_conns);
		else if (strcmp(e->key, "ecn") == 0)
			rc = get_u32(c, e, 0, 2, &tc->ecn); /* net.ipv4.tcp_ecn */
		else if (strcmp(e->key, "syncookies") == 0)
			rc = get_u32(c, e, 0, 2, &tc->syncookies); /* net.ipv4.tcp_syncookies */
		else if (strcmp(e->key, "tw_reuse") == 0)
			rc = get_u32(c, e, 0, 2, &tc->tw_reuse); /* net.ipv4.tcp_tw_reuse */
		else if (strcmp(e->key, "congestion") == 0) {
			/* net.ipv4.tcp_congestion_control: the algorithms lib/tcp has. */
			rc = get_str(c, e, tc->congestion, sizeof(tc->congestion));
			if (rc == 0 && tcp_cc_find(tc->congestion) == NULL)
				FAIL(c, e->line, "congestion: unknown algorithm '%s' (cubic, reno)",
				     e->value);
		} else
			FAIL(c, e->line, "unknown key '%s' in [tcp]", e->key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * [qdisc PORT]: the keys spell tc's words, and each value goes through
 * lib/sched's qdisc_args_parse() -- the grammar of `cavctl qdisc set` --
 * first alone (so an error names its line), then all together.
 */
struct qdisc_sect {
	const struct ini_entry *kind, *ecn, *rate, *burst, *bands, *map;
	char *argv[2 + 2 * 8]; /* KIND then KEY VALUE pairs */
	int argc;
};

/* fq_codel keys that take a value, as tc names them. */
static const char *const qdisc_fq_keys[] = {
	"limit", "flows", "quantum", "target", "interval", "memory_limit", "drop_batch",
};

/* Parse argv with qdisc_args_parse; on error FAIL at `line` with its message. */
static int
qdisc_try(struct ctx *c, const struct ini_section *s, unsigned int line, int argc, char **argv,
	  struct qdisc_conf *out)
{
	char msg[256];
	struct qdisc_conf tmp = {0};
	if (qdisc_args_parse(argc, argv, &tmp, msg, sizeof(msg)) != 0)
		FAIL(c, line, "[qdisc %s] %s", s->arg, msg);
	if (out != NULL)
		*out = tmp;
	return 0;
}

static int
qdisc_entry(struct ctx *c, const struct ini_section *s, const struct ini_entry *e,
	    struct qdisc_sect *q)
{
	char *argv[6];
	for (size_t k = 0; k < sizeof(qdisc_fq_keys) / sizeof(qdisc_fq_keys[0]); k++) {
		if (strcmp(e->key, qdisc_fq_keys[k]) != 0)
			continue;
		if (strcmp(q->argv[0], "fifo") == 0 && strcmp(e->key, "limit") != 0)
			FAIL(c, e->line, "[qdisc %s] '%s' does not apply to kind fifo", s->arg,
			     e->key);
		argv[0] = q->argv[0];
		argv[1] = e->key;
		argv[2] = e->value;
		if (qdisc_try(c, s, e->line, 3, argv, NULL) < 0)
			return -1;
		q->argv[q->argc++] = e->key;
		q->argv[q->argc++] = e->value;
		return 0;
	}
	const struct ini_entry **slot = NULL;
	if (strcmp(e->key, "kind") == 0)
		return 0; /* read first, in parse_qdisc */
	else if (strcmp(e->key, "ecn") == 0)
		slot = &q->ecn;
	else if (strcmp(e->key, "shaper_rate") == 0)
		slot = &q->rate;
	else if (strcmp(e->key, "shaper_burst") == 0)
		slot = &q->burst;
	else if (strcmp(e->key, "bands") == 0)
		slot = &q->bands;
	else if (strcmp(e->key, "band_map") == 0)
		slot = &q->map;
	else
		FAIL(c, e->line, "unknown key '%s' in [qdisc %s]", e->key, s->arg);
	*slot = e;
	if (slot == &q->ecn) {
		bool on;
		if (strcmp(q->argv[0], "fifo") == 0)
			FAIL(c, e->line, "[qdisc %s] 'ecn' does not apply to kind fifo", s->arg);
		if (parse_bool(e->value, &on) < 0)
			FAIL(c, e->line, "ecn: '%s' is not yes or no", e->value);
		q->argv[q->argc++] = on ? "ecn" : "noecn";
	} else if (slot == &q->rate || slot == &q->burst) {
		/* Alone, with a valid other half. */
		argv[0] = "shaper";
		argv[1] = "rate";
		argv[2] = slot == &q->rate ? e->value : "1mbit";
		argv[3] = "burst";
		argv[4] = slot == &q->burst ? e->value : "64kb";
		if (qdisc_try(c, s, e->line, 5, argv, NULL) < 0)
			return -1;
	} else if (slot == &q->bands) {
		if (strcmp(q->argv[0], "fifo") == 0)
			FAIL(c, e->line, "[qdisc %s] 'bands' does not apply to kind fifo", s->arg);
		argv[0] = "bands";
		argv[1] = e->value;
		if (qdisc_try(c, s, e->line, 2, argv, NULL) < 0)
			return -1;
	}
	return 0;
}

static int
parse_qdisc(struct ctx *c, const struct ini_section *s)
{
	struct cav_config *cfg = c->cfg;
	if (s->arg == NULL)
		FAIL(c, s->line, "a qdisc section needs a port name: [qdisc PORT]");
	int port = -1;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, s->arg) == 0)
			port = (int)i;
	if (port < 0)
		FAIL(c, s->line, "[qdisc %s]: no port named '%s'", s->arg, s->arg);
	struct cav_port_conf *pc = &cfg->ports[port];
	if (pc->qdisc_line != 0)
		FAIL(c, s->line, "[qdisc %s] repeated (first at line %u)", s->arg, pc->qdisc_line);

	struct qdisc_sect q = {.argc = 1};
	q.argv[0] = "fq_codel";
	for (unsigned int i = 0; i < s->n_entries; i++) {
		const struct ini_entry *e = &s->entries[i];
		if (check_dup(c, s, i) < 0)
			return -1;
		if (strcmp(e->key, "kind") != 0)
			continue;
		if (strcmp(e->value, "fq_codel") != 0 && strcmp(e->value, "fifo") != 0)
			FAIL(c, e->line, "kind: '%s' is not fq_codel or fifo", e->value);
		q.kind = e;
		q.argv[0] = e->value;
	}
	for (unsigned int i = 0; i < s->n_entries; i++)
		if (qdisc_entry(c, s, &s->entries[i], &q) < 0)
			return -1;

	struct qdisc_conf run, part;
	qdisc_conf_default(&run);
	if (qdisc_try(c, s, s->line, q.argc, q.argv, &part) < 0)
		return -1;
	qdisc_conf_apply(&run, &part);
	if (q.map != NULL && q.bands == NULL)
		FAIL(c, q.map->line, "[qdisc %s] band_map needs 'bands'", s->arg);
	if (q.bands != NULL) {
		char *argv[] = {"bands", q.bands->value, "map", q.map != NULL ? q.map->value : ""};
		if (qdisc_try(c, s, q.map != NULL ? q.map->line : q.bands->line, q.map ? 4 : 2, argv,
			      &part) < 0)
			return -1;
		qdisc_conf_apply(&run, &part);
	}
	if ((q.rate == NULL) != (q.burst == NULL))
		FAIL(c, q.rate != NULL ? q.rate->line : q.burst->line,
		     "[qdisc %s] shaper_rate and shaper_burst go together", s->arg);
	if (q.rate != NULL) {
		char *argv[] = {"shaper", "rate", q.rate->value, "burst", q.burst->value};
		if (qdisc_try(c, s, q.rate->line, 5, argv, &part) < 0)
			return -1;
		qdisc_conf_apply(&run, &part);
	}
	char msg[256];
	if (qdisc_conf_check(&run, msg, sizeof(msg)) != 0)
		FAIL(c, s->line, "[qdisc %s] %s", s->arg, msg);
	pc->qdisc = run;
	pc->qdisc_line = s->line;
	return 0;
}

static int
build(struct ctx *c)
{
	const struct ini_file *f = c->f;
	unsigned int seen_eal = 0, seen_daemon = 0, seen_filter = 0;

	for (unsigned int i = 0; i < f->n_sections; i++) {
		const struct ini_section *s = &f->sections[i];
		int rc;
		if (strcmp(s->name, "eal") == 0 || strcmp(s->name, "daemon") == 0) {
			unsigned int *seen = s->name[0] == 'e' ? &seen_eal : &seen_daemon;
			if (s->arg != NULL)
				FAIL(c, s->line, "[%s] takes no name", s->name);
			if (*seen)
				FAIL(c, s->line, "section [%s] repeated (first at line %u)", s->name,
				     *seen);
			*seen = s->line;
			rc = s->name[0] == 'e' ? parse_eal(c, s) : parse_daemon(c, s);
		} else if (strcmp(s->name, "port") == 0) {
			rc = parse_port(c, s);
		} else if (strcmp(s->name, "routes") == 0) {
			if (s->arg != NULL)
				FAIL(c, s->line, "[routes] takes no name");
			rc = parse_routes(c, s);
		} else if (strcmp(s->name, "qdisc") == 0) {
			rc = 0; /* below, once every port is known */
		} else if (strcmp(s->name, "filter") == 0) {
			if (s->arg != NULL)
				FAIL(c, s->line, "[filter] takes no name");
			if (seen_filter)
				FAIL(c, s->line, "section [filter] repeated (first at line %u)",
				     seen_filter);
			seen_filter = s->line;
			rc = parse_filter(c, s);
		} else if (strcmp(s->name, "tcp") == 0) {
			if (s->arg != NULL)
				FAIL(c, s->line, "[tcp] takes no name");
			if (c->cfg->tcp.line)
				FAIL(c, s->line, "section [tcp] repeated (first at line %u)",
				     c->cfg->tcp.line);
			c->cfg->tcp.line = s->line;
			rc = parse_tcp(c, s);
		} else {
			FAIL(c, s->line, "unknown section [%s]", s->name);
		}
		if (rc < 0)
			return -1;
	}
	if (c->cfg->n_ports == 0)
		FAIL(c, f->n_sections ? f->sections[f->n_sections - 1].line : 0,
		     "no [port NAME] section: at least one port is needed");
	for (unsigned int i = 0; i < f->n_sections; i++)
		if (strcmp(f->sections[i].name, "qdisc") == 0 && parse_qdisc(c, &f->sections[i]) < 0)
			return -1;

	/* Addresses must not overlap between ports (one connected route each). */
	struct cav_config *cfg = c->cfg;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		for (unsigned int a = 0; a < cfg->ports[i].n_addrs; a++)
			for (unsigned int j = 0; j < i; j++)
				for (unsigned int b = 0; b < cfg->ports[j].n_addrs; b++)
					if (cfg->ports[i].addrs[a].addr == cfg->ports[j].addrs[b].addr)
						FAIL(c, cfg->ports[i].line,
						     "port '%s' repeats an address of port '%s'",
						     cfg->ports[i].name, cfg->ports[j].name);
	/* Routes: the gateway must be on a connected subnet, and a static
	 * route may not repeat a connected one (the daemon would refuse both
	 * at start; --check says so first). */
	for (unsigned int r = 0; r < cfg->n_routes; r++) {
		const struct cav_route_conf *rc = &cfg->routes[r];
		bool on_link = false;
		for (unsigned int i = 0; i < cfg->n_ports; i++)
			for (unsigned int a = 0; a < cfg->ports[i].n_addrs; a++) {
				const struct cav_addr_conf *ad = &cfg->ports[i].addrs[a];
				uint32_t m = ~UINT32_C(0) << (32 - ad->prefix_len);
				if ((ad->addr & m) == (rc->gateway & m) && ad->prefix_len < 32)
					on_link = true;
				if (ad->prefix_len == rc->prefix_len && (ad->addr & m) == rc->prefix)
					FAIL(c, rc->line,
					     "route: the prefix is the connected subnet of port '%s'",
					     cfg->ports[i].name);
			}
		if (!on_link)
			FAIL(c, rc->line, "route: gateway is not on the subnet of any port address");
	}
	/* app_socket defaults to app.sock beside the control socket, so that
	 * daemons with their own control sockets never share one. */
	if (cfg->app_socket[0] == '\0') {
		const char *slash = strrchr(cfg->control_socket, '/');
		int dl = slash == NULL ? 0 : (int)(slash - cfg->control_socket);
		if (dl + sizeof("/app.sock") > sizeof(cfg->app_socket))
			FAIL(c, 0, "control_socket: directory too long for app.sock beside it");
		snprintf(cfg->app_socket, sizeof(cfg->app_socket), "%.*s/app.sock", dl,
			 cfg->control_socket);
	}
	return 0;
}

int
cav_config_parse(const char *name, const char *text, struct cav_config *cfg, char *err,
		 size_t errlen)
{
	struct ini_file *f;
	if (ini_parse(name, text, &f, err, errlen) < 0)
		return -1;
	struct cav_config tmp;
	cav_config_defaults(&tmp);
	snprintf(tmp.path, sizeof(tmp.path), "%s", name);
	struct ctx c = {.f = f, .cfg = &tmp, .err = err, .errlen = errlen};
	int rc = build(&c);
	ini_free(f);
	if (rc == 0)
		*cfg = tmp;
	return rc;
}

int
cav_config_load(const char *path, struct cav_config *cfg, char *err, size_t errlen)
{
	struct ini_file *f;
	if (ini_load(path, &f, err, errlen) < 0)
		return -1;
	struct cav_config tmp;
	cav_config_defaults(&tmp);
	snprintf(tmp.path, sizeof(tmp.path), "%s", path);
	struct ctx c = {.f = f, .cfg = &tmp, .err = err, .errlen = errlen};
	int rc = build(&c);
	ini_free(f);
	if (rc == 0)
		*cfg = tmp;
	return rc;
}
