/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TCPDP_PRIV_H
#define CAV_TCPDP_PRIV_H

/* The glue's per-worker state and the functions its nodes share. */

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "counter.h"
#include "dp.h"
#include "session.h"
#include "tcpdp.h"

/* Segments one graph walk of one node can emit before they are flushed
 * to ip4_output (a window of 256 KiB is ~180 full segments). */
#define TCPDP_STAGE 1024
/* Connections whose CLOSED event came during a walk: freed at its end. */
#define TCPDP_FREE_BATCH 1024
#define TCPDP_HANDOFF_RING 4096

/* This worker's view of a listener socket (the core's struct tcp_listen
 * is per stack: SYN-queue length counted per worker; the accept queue is
 * the listener's RX ring, shared, read before each use). */
struct tcpdp_lst {
	struct tcp_listen l;
	uint32_t sock_id, gen;
	bool live;
};

struct tcpdp_sockmap {
	uint32_t conn; /* index + 1; 0: none */
	uint32_t gen;  /* the socket's generation when attached */
};

struct tcpdp_worker {
	struct tcp_stack st;
	struct dp_worker *w;
	struct tcpdp_table *t;
	struct tcpdp_slice slice;
	struct rte_ring *handoff; /* MP/SC: segments for connections we own */
	uint64_t now_us;          /* the clock of the current walk */
	uint16_t ip_id;
	uint16_t n_stage;
	uint32_t n_free;
	struct rte_mbuf *stage[TCPDP_STAGE];
	uint32_t to_free[TCPDP_FREE_BATCH];
	uint64_t ctr[TCPDP_C__COUNT];
	struct tcpdp_sockmap sockmap[SESS_MAX_SOCKS];
	struct tcpdp_lst lst[SESS_MAX_SOCKS];
} __rte_cache_aligned;

static inline struct tcpdp_worker *
tcpdp_w(const struct dp_worker *w)
{
	return w->tcp;
}

static inline struct tcpdp_conn *
tcpdp_conn_of(struct tcp_pcb *pcb)
{
	return (struct tcpdp_conn *)pcb; /* pcb is the first member */
}

/* DF on c's segments (Linux ip_dont_fragment for TCP): IP_PMTUDISC_DO
 * always, WANT unless frag-needed locked the path below the floor
 * (node_tcp_err.c), the other modes never. */
static inline bool
tcpdp_conn_df(const struct tcpdp_conn *c)
{
	return !c->df_off && (c->df_forced || !c->pmtu_locked);
}

/* The socket whose rings are c's buffers, or NULL (none, or closed since:
 * its generation moved). Acquire: pairs with the release store of gen at
 * unpublish; a socket seen valid stays mapped until our next quiescent
 * state (the main lcore frees segments after a grace period). */
static inline struct sess_sock *
tcpdp_conn_sock(const struct tcpdp_worker *tw, const struct tcpdp_conn *c)
{
	if (c->sock_id == TCPDP_SOCK_NONE)
		return NULL;
	struct sess_sock *s = &tw->w->sh->sess->socks[c->sock_id % SESS_MAX_SOCKS];
	if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != c->sock_gen)
		return NULL;
	return s;
}

static inline void
tcpdp_ctr(struct tcpdp_worker *tw, enum tcpdp_ctr c)
{
	counter_add(&tw->ctr[c], 1);
}

/* tcpdp_glue.c */
/* The slot's words: tcp_state (release), event bits (release, then a
 * wakeup). */
void tcpdp_pub_state(struct sess_sock *s, uint8_t state);
void tcpdp_pub_events(struct sess_sock *s, uint32_t ev);
/* The app's FIN after what it queued (once). */
void tcpdp_shutdown_wr(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s);
extern const struct tcp_ops tcpdp_ops;
void tcpdp_begin(struct tcpdp_worker *tw);
/* Segments staged by the core's emits, to be enqueued on ip4_output;
 * connections closed meanwhile freed. */
void tcpdp_end(struct tcpdp_worker *tw, struct rte_graph *graph, struct rte_node *node,
	       rte_edge_t out_edge);
void tcpdp_attach(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s);
void tcpdp_detach(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s);
struct tcpdp_lst *tcpdp_lst_view(struct tcpdp_worker *tw, struct sess_sock *lst,
				 uint16_t in_port);
/* Before a segment reaches a SYN_RCVD connection: the accept queue as it
 * is now (or "full" when the listener's client has no free slot), or
 * false if its listener is gone (the caller resets the connection). */
bool tcpdp_lst_refresh(struct tcpdp_worker *tw, struct tcpdp_conn *c);
uint16_t tcpdp_adv_mss(const struct dp_shared *sh, uint32_t dst, uint16_t maxseg);
/* Take what the client published on a connection's socket (TX bytes,
 * shutdown request, RX consumed) and let the core act. */
unsigned int tcpdp_service(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s);
/* tcpdp_cmd.c */
void tcpdp_cmd_run(struct tcpdp_worker *tw, const struct sess_cmd *cmd);
/* The socket's stored options (keepalive and its timers, user timeout,
 * congestion control) to its connection: at connect and accept. */
void tcpdp_apply_opts(struct tcpdp_worker *tw, struct tcp_pcb *pcb, const struct sess_sock *s);

/* tcpdp_build.c */
bool tcpdp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih, uint32_t len);
/* df: set IPv4 DF (every segment but those of a pmtu_locked connection). */
struct rte_mbuf *tcpdp_build(struct rte_mempool *mp, const struct tcp_out *out,
			     const uint8_t *ring, uint32_t ring_size, uint32_t idx, uint16_t ip_id,
			     bool df);
void tcpdp_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len);

#endif
