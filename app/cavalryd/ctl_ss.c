/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cavctl ss: the sockets of libcavsock clients, like `ss -uanp`
 * (protocol, state, queue depths, local and peer address, owning pid and
 * worker); `ss -s`: the session summary (clients attached, dropped and
 * why). Runs on the main lcore, the writer of the socket table; queue
 * depths are read from the shared indices and clamped (a client may write
 * anything there).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "parse.h"
#include "session.h"

static uint32_t
depth(const struct cav_ring_idx *idx, uint32_t size)
{
	uint32_t used = __atomic_load_n(&idx->prod, __ATOMIC_RELAXED) -
			__atomic_load_n(&idx->cons, __ATOMIC_RELAXED);
	return used > size ? size : used;
}

static void
fmt_ep(char *out, size_t n, uint64_t w, bool any_port)
{
	char ip[16];
	if (any_port && sess_w_port(w) == 0)
		snprintf(out, n, "%s:*", fmt_ip4(sess_w_addr(w), ip));
	else
		snprintf(out, n, "%s:%u", fmt_ip4(sess_w_addr(w), ip), sess_w_port(w));
}

static int
ss_summary(const struct sess_table *t, struct ctl_reply *r)
{
	unsigned int clients = 0, socks = 0;
	for (unsigned int i = 0; i < SESS_MAX_CLIENTS; i++)
		clients += t->clients[i].used;
	for (unsigned int i = 0; i < SESS_MAX_SOCKS; i++)
		socks += t->socks[i].used;
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, NULL);
		jw_u64(jw, "clients", clients);
		jw_u64(jw, "sockets", socks);
		jw_u64(jw, "attached", t->attached);
		jw_u64(jw, "detached", t->detached);
		jw_u64(jw, "attach_refused", t->attach_refused);
		jw_obj_begin(jw, "violations");
		for (unsigned int v = 1; v < SESS_V_NB; v++)
			jw_u64(jw, sess_violation_names[v], t->violations[v]);
		jw_obj_end(jw);
		jw_obj_end(jw);
		cbuf_put(&r->body, "\n", 1);
		return 0;
	}
	cbuf_printf(&r->body, "clients: %u attached now, %lu since start, %lu released, %lu refused\n",
		    clients, t->attached, t->detached, t->attach_refused);
	cbuf_printf(&r->body, "sockets: %u (UDP)\nclients dropped for violations:", socks);
	for (unsigned int v = 1; v < SESS_V_NB; v++)
		cbuf_printf(&r->body, " %s %lu", sess_violation_names[v], t->violations[v]);
	cbuf_printf(&r->body, "\n");
	return 0;
}

int
cmd_ss(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	const struct daemon *d = ctx;
	const struct sess_table *t = d->sh->sess;
	/* ss's own flags (-u -a -n -p) are accepted: this is what they show. */
	bool summary = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0)
			summary = true;
		else if (argv[i][0] != '-')
			return ctl_error(r, EINVAL, "usage: ss [-s]");
	}
	if (summary)
		return ss_summary(t, r);
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	else
		cbuf_printf(&r->body, "%-6s %-7s %7s %7s %-21s %-21s %s\n", "Netid", "State",
			    "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port",
			    "Process");
	for (unsigned int i = 0; i < SESS_MAX_SOCKS; i++) {
		const struct sess_sock *s = &t->socks[i];
		if (!s->used || s->client == NULL)
			continue;
		char local[32], peer[32];
		fmt_ep(local, sizeof(local), s->local_w, false);
		fmt_ep(peer, sizeof(peer), s->connected ? s->remote_w : 0, true);
		if (!s->connected)
			snprintf(peer, sizeof(peer), "0.0.0.0:*");
		const char *state = s->connected ? "ESTAB" : "UNCONN";
		uint32_t rq = depth(&s->shm->rx, CAV_SHM_RX_RING);
		uint32_t sq = depth(&s->shm->tx, CAV_SHM_TX_RING);
		if (r->json) {
			struct jw *jw = &r->jw;
			jw_obj_begin(jw, NULL);
			jw_str(jw, "netid", "udp");
			jw_str(jw, "state", state);
			jw_u64(jw, "recv_q", rq);
			jw_u64(jw, "send_q", sq);
			jw_str(jw, "local", local);
			jw_str(jw, "peer", peer);
			jw_u64(jw, "pid", (uint64_t)s->client->pid);
			jw_u64(jw, "worker", s->owner);
			jw_u64(jw, "rx_dgrams", s->rx_dgrams);
			jw_u64(jw, "rx_drops", s->rx_drops);
			jw_u64(jw, "tx_dgrams", s->tx_dgrams);
			jw_u64(jw, "tx_drops", s->tx_drops);
			jw_obj_end(jw);
		} else {
			cbuf_printf(&r->body, "%-6s %-7s %7u %7u %-21s %-21s pid=%d,worker=%u,drops=%lu\n",
				    "udp", state, rq, sq, local, peer, (int)s->client->pid, s->owner,
				    s->rx_drops);
		}
	}
	if (r->json) {
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	}
	return 0;
}
