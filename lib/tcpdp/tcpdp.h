/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TCPDP_H
#define CAV_TCPDP_H

/*
 * TCP in the daemon: the glue between the pure protocol core (lib/tcp),
 * the graph and the shared-memory sockets (lib/session).
 *
 *   ip4_local → tcp_input ─┬→ [core: tcp_input / tcp_listen_input / tcp_closed_input]
 *                          ├→ tcp_handoff ⇒ [owner's ring] ⇒ tcp_handoff_rx → tcp_input
 *                          └→ drop_tcp_* (one node per reason)
 *   icmp_input → tcp_err (dest. unreachable quoting our TCP: PMTUD, connect
 *       errors; tcpdp_err.c decides as Linux's tcp_v4_err) ─→ tcp_handoff
 *       ⇒ [owner's ring] ⇒ tcp_handoff_rx → tcp_err_owner
 *   tcp_tx (source, once per walk): main-lcore commands, the timer wheel,
 *       the client's TX/RX ring indices of every connection it owns → core
 *   every segment the core emits → ip4_output (built here: IPv4 + TCP + payload
 *       copied from the client's TX ring, software checksum, DF)
 *
 * Connection table: a fixed array of connections (struct tcpdp_conn, the
 * core's pcb inside), split in one slice per worker (the slice's worker
 * owns those connections and alone allocates and frees them), and one
 * shared rte_hash 4-tuple → index: lock-free reads (RW_CONCURRENCY_LF,
 * deleted key slots reclaimed after an RCU grace period), writes under
 * one spinlock. TIME_WAIT keeps only the connection: the socket slot goes
 * back to the client at once.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "config.h"
#include "shm.h"
#include "tcp.h"

struct dp_shared;
struct dp_worker;
struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;
struct sess_sock;

#define TCPDP_IDX_NONE UINT32_MAX
#define TCPDP_SOCK_NONE UINT32_MAX

/* One connection. Written by the owner worker only (the slice it lives
 * in); the main lcore reads the public fields for `cavctl ss` (relaxed,
 * diagnostics). */
struct tcpdp_conn {
	struct tcp_pcb pcb;
	uint32_t idx;
	uint16_t owner;
	bool used;   /* allocated (owner writes, release; readers acquire) */
	bool hashed; /* its 4-tuple is in the hash */
	/* The socket (lib/session) whose rings are the buffers: (id, gen);
	 * TCPDP_SOCK_NONE for a SYN_RCVD connection not yet accepted, or one
	 * that outlived its socket (TIME_WAIT, orphan after a client death). */
	uint32_t sock_id;
	uint32_t sock_gen;
	/* A listener's connection (passive open): the listener socket. */
	uint32_t lst_id;
	uint32_t lst_gen;
	/* The client's indices as last seen (validated): TX producer, RX
	 * consumer. */
	uint32_t tx_prod_seen;
	uint32_t rx_cons_seen;
	bool shut_wr;       /* the app's FIN is queued: tx prod frozen */
	bool abort_pending; /* reset it once the core has returned */
	/* An ICMP frag-needed announced less than TCP_MIN_PMTU: the core
	 * uses 552, and segments leave without DF so that the path may
	 * fragment them (Linux locks the route's MTU and clears DF). */
	bool pmtu_locked;
	/* The socket's IP_MTU_DISCOVER as Linux's TCP acts on it (zero:
	 * IP_PMTUDISC_WANT, the default, also before accept() applies the
	 * options): DF on every segment unless df_off (DONT, PROBE,
	 * INTERFACE, OMIT: ip_dont_fragment is true only for DO and WANT),
	 * kept below the floor if df_forced (DO); frag-needed ignored if
	 * pmtu_ignore (DONT, INTERFACE, OMIT: tcp_v4_mtu_reduced and
	 * ip_sk_accept_pmtu). */
	bool df_off, df_forced, pmtu_ignore;
	uint32_t next_free; /* owner's free list */
} __attribute__((aligned(64)));

/* The shared table. */
struct tcpdp_table {
	struct rte_hash *hash;
	rte_spinlock_t wlock; /* hash writers */
	struct tcpdp_conn *conns;
	uint32_t max;
	uint32_t per_worker;
	unsigned int n_workers;
	uint64_t insert_fail; /* hash full (counted under wlock) */
};

/*
 * Create a table of `max` connections (divided evenly among n_workers;
 * the hash reclaims deleted keys after a grace period of `rcu`, which may
 * be NULL for single-threaded tests). NULL with a message in err.
 */
struct tcpdp_table *tcpdp_table_create(uint32_t max, unsigned int n_workers,
				       struct rte_rcu_qsbr *rcu, int socket, char *err,
				       size_t errlen);
void tcpdp_table_free(struct tcpdp_table *t);

/* Per-worker free list of the worker's slice (owner only). */
struct tcpdp_slice {
	uint32_t base, n;
	uint32_t free_head;
	uint32_t in_use;
};
void tcpdp_slice_init(struct tcpdp_table *t, unsigned int worker, struct tcpdp_slice *sl);
/* A free connection of the slice (zeroed but for idx/owner), or NULL. */
struct tcpdp_conn *tcpdp_conn_alloc(struct tcpdp_table *t, struct tcpdp_slice *sl);
/* Back to the slice (unhashes it first if needed). */
void tcpdp_conn_free(struct tcpdp_table *t, struct tcpdp_slice *sl, struct tcpdp_conn *c);

/* Insert c under its pcb's tuple: 0, -EEXIST (tuple taken), -ENOSPC. */
int tcpdp_conn_hash(struct tcpdp_table *t, struct tcpdp_conn *c);
/* Remove c's tuple from the hash (no-op if not hashed). */
void tcpdp_conn_unhash(struct tcpdp_table *t, struct tcpdp_conn *c);
/* The connection of a 4-tuple (host order, local = ours), or NULL.
 * Lock-free; any thread. */
struct tcpdp_conn *tcpdp_lookup(const struct tcpdp_table *t, const struct tcp_tuple *tu);

/* ---- the daemon (main lcore, workers) ---- */

/* What dp_shared.tcp points to (read-only after tcpdp_create). */
struct tcpdp {
	struct tcpdp_table *t;
	struct tcp_conf conf;
	uint8_t tw_reuse; /* [tcp] tw_reuse: 0, 1, 2 (loopback only) */
};

/* Build the table and the TCP configuration (before the workers). */
int tcpdp_create(struct dp_shared *sh, unsigned int n_workers, const struct cav_tcp_conf *conf,
		 char *err, size_t errlen);
/* After the workers are destroyed. */
void tcpdp_destroy(struct dp_shared *sh);
/* Per-worker state: stack, slice, handoff ring, listener views. */
int tcpdp_worker_init(struct dp_worker *w, int socket);
void tcpdp_worker_fini(struct dp_worker *w);

/* TCP_INFO of a stream socket's connection (main lcore; the owner updates
 * the figures meanwhile: relaxed reads). 0, or ENOTCONN without one. */
int tcpdp_sock_info(const struct dp_shared *sh, const struct sess_sock *s,
		    struct cav_tcp_info *out);

/* Counters of the glue (per worker, single writer), summed by cavctl. */
enum tcpdp_ctr {
	TCPDP_C_HANDOFF,        /* segments sent to the owner worker */
	TCPDP_C_CMD,            /* commands from the main lcore executed */
	TCPDP_C_CMD_STALE,      /* commands for a socket closed meanwhile */
	TCPDP_C_ACCEPTED,       /* connections queued on a listener */
	TCPDP_C_ACCEPT_NOSLOT,  /* handshake completed but no socket slot: reset */
	TCPDP_C_CONN_NOMEM,     /* connection table slice full */
	TCPDP_C_TX_NOMBUF,      /* a segment could not be built (pool empty) */
	TCPDP_C_TX_STAGE_FULL,  /* more segments than a walk can carry */
	TCPDP_C_TX_STALE,       /* data segment for a socket gone: not sent */
	TCPDP_C_WAKEUPS,        /* data published to a client */
	TCPDP_C_DETACHED,       /* connections reset because their client died */
	TCPDP_C_TW_REUSED,      /* connect() took over a TIME_WAIT tuple ([tcp] tw_reuse) */
	TCPDP_C__COUNT,
};
extern const char *const tcpdp_ctr_names[TCPDP_C__COUNT];

/* Sum of a glue counter / a core statistic over the workers (main lcore,
 * relaxed reads). */
uint64_t tcpdp_counter(const struct dp_shared *sh, enum tcpdp_ctr c);
void tcpdp_stats_sum(const struct dp_shared *sh, struct tcp_stats *out);

#endif
