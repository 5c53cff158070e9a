/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The same counters through rte_telemetry, so `dpdk-telemetry.py -f PREFIX`
 * can read them: /cavalry/ports (list), /cavalry/port,NAME (counters),
 * /cavalry/workers, /cavalry/tcp (struct tcp_stats summed over workers).
 *
 * rte_telemetry callbacks carry no user context in DPDK 22.11, hence the one
 * file-level pointer, set once before the telemetry thread can call us.
 */
#include <string.h>

#include <rte_telemetry.h>

#include "counter.h"
#include "daemon.h"
#include "graph.h"
#include "tcpdp.h"

static const struct daemon *tel_daemon;

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (unsigned int i = 0; i < tel_daemon->n_ports; i++)
		rte_tel_data_add_array_string(d, tel_daemon->ports[i].conf->name);
	return 0;
}

static int
tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	if (params == NULL)
		return -1;
	for (unsigned int i = 0; i < tel_daemon->n_ports; i++) {
		if (strcmp(tel_daemon->ports[i].conf->name, params) != 0)
			continue;
		struct port_totals t;
		daemon_port_totals(tel_daemon, i, &t);
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "name", params);
		rte_tel_data_add_dict_u64(d, "ethdev", tel_daemon->ports[i].port_id);
		for (unsigned int f = 0; f < port_total_n_fields; f++)
			rte_tel_data_add_dict_u64(d, port_total_fields[f].name,
						  port_total_get(&t, f));
		return 0;
	}
	return -1;
}

static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int w = 0; w < tel_daemon->sh->n_workers; w++) {
		const struct dp_worker *wk = tel_daemon->sh->workers[w];
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return -1;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", wk->id + 1);
		rte_tel_data_add_dict_u64(c, "loops", counter_read(&wk->loops));
		rte_tel_data_add_dict_u64(c, "busy_loops", counter_read(&wk->busy_loops));
		rte_tel_data_add_dict_u64(c, "idle_sleeps", counter_read(&wk->idle_sleeps));
		char name[16];
		snprintf(name, sizeof(name), "worker%u", wk->id);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int
tel_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	if (tel_daemon->sh->tcp == NULL)
		return -1;
	struct tcp_stats st;
	tcpdp_stats_sum(tel_daemon->sh, &st);
	rte_tel_data_start_dict(d);
	for (unsigned int f = 0; f < tcp_stat_n_fields; f++)
		rte_tel_data_add_dict_u64(d, tcp_stat_fields[f].name, tcp_stat_get(&st, f));
	return 0;
}

int
daemon_telemetry_register(struct daemon *d)
{
	tel_daemon = d;
	if (rte_telemetry_register_cmd("/cavalry/ports", tel_ports,
				       "Cavalry port names. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/cavalry/port", tel_port,
				       "Cavalry port counters. Parameter: port name") != 0 ||
	    rte_telemetry_register_cmd("/cavalry/workers", tel_workers,
				       "Cavalry worker loop counters. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/cavalry/tcp", tel_tcp,
				       "Cavalry TCP counters. No parameters") != 0)
		return -1;
	return 0;
}
