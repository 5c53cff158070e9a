/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SESSION_H
#define CAV_SESSION_H

/*
 * The daemon side of the shared-memory socket API (libcavsock clients).
 *
 * Main lcore (the only writer of everything here): the attach listener,
 * one shared segment per client process (sess_attach.c), the control
 * requests (socket, bind, connect, close, setsockopt), the port table and
 * the lookup hash, client death and violations (session.c).
 *
 * Workers: each socket is owned by one worker, chosen at creation. The
 * owner is the single producer of the socket's RX ring and the single
 * consumer of its TX ring (session_tx node). A datagram that arrives on
 * another worker is handed to the owner over the owner's handoff ring
 * (multi-producer, single consumer). Workers find sockets lock-free: an
 * rte_hash with RW_CONCURRENCY_LF whose data is a chain of sockets; a
 * closed socket is unpublished first, and its segment unmapped only after
 * an RCU grace period (dp_shared.rcu). struct sess_sock itself lives in a
 * fixed array that outlives every socket: a handed-off datagram carries
 * (id, generation) and a stale generation is dropped.
 *
 * Nothing a client writes is trusted: workers read ring indices and record
 * headers once, check them (lib/shm) and copy data out before use; an
 * impossible value marks the client as violating (sess_violation), and
 * the main lcore drops it and counts the reason.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm.h"

struct dp_shared;
struct dp_worker;
struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;

#define SESS_MAX_SOCKS 4096     /* sockets in the daemon */
#define SESS_MAX_CLIENTS 512    /* attached processes */
#define SESS_HANDOFF_RING 4096  /* datagrams in flight between workers */
#define SESS_EPHEMERAL_LO 32768 /* Linux's ip_local_port_range */
#define SESS_EPHEMERAL_HI 60999
#define SESS_DEFAULT_BUF 212992 /* Linux's rmem_default / wmem_default */

/* Why a client was dropped (counted). */
enum sess_violation {
	SESS_V_NONE = 0,
	SESS_V_REQ_RING,  /* control request ring indices impossible */
	SESS_V_REQ_BAD,   /* a request naming no socket of the client */
	SESS_V_TX_RING,   /* TX ring index or record impossible */
	SESS_V_RX_RING,   /* RX ring consumer index impossible */
	SESS_V_RESP_RING, /* response ring consumer index impossible */
	SESS_V_NB,
};
extern const char *const sess_violation_names[SESS_V_NB];

/* Socket binding, host byte order. */
struct sess_addr {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

struct sess_client;

/* One socket. Fields say who writes them. */
struct sess_sock {
	/* main lcore, before the socket is published */
	uint32_t id;
	uint32_t slot; /* in the client's segment */
	uint16_t owner; /* worker id */
	struct sess_client *client;
	struct cav_shm_sock *shm;
	/* main lcore; workers read. gen changes when the slot is reused:
	 * release store at close, acquire load by the handoff receiver. */
	uint32_t gen;
	bool used;
	bool bound, connected, reuseaddr;
	/* main lcore: local addr/port and peer (atomic 64-bit words so that a
	 * worker never sees a torn value): (addr << 16) | port. */
	uint64_t local_w, remote_w;
	uint32_t rcvbuf, sndbuf; /* main writes (relaxed), owner reads */
	uint32_t bind_addr; /* main lcore: the address bind() set (0: any) */
	uint32_t own_idx;   /* main lcore: index in the owner's own[] */
	int32_t key_pos;    /* main lcore: hash position to free after a grace period */
	/* lookup-chain: sockets sharing a hash key (SO_REUSEADDR), RCU */
	struct sess_sock *next_same;
	/* main lcore only: sockets on the same local port */
	struct sess_sock *port_next;
	/* owner worker only */
	struct cav_ring rx; /* producer: rx.local is the daemon's prod */
	struct cav_ring tx; /* consumer: tx.local is the daemon's cons */
	/* statistics: owner writes, anyone reads (relaxed) */
	uint64_t rx_dgrams, rx_bytes, rx_drops, tx_dgrams, tx_bytes, tx_drops;
} __attribute__((aligned(64)));

/* One attached process. Main lcore, except `violation` (workers set it). */
struct sess_client {
	bool used;
	int conn_fd, mem_fd, wake_fd, bell_fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	void *base;
	struct cav_shm_hdr *hdr;
	struct cav_shm_layout layout;
	struct cav_ring req, resp; /* req: our cons; resp: our prod */
	uint32_t *slot_sock;       /* slot -> socket id + 1 (0: free) */
	uint32_t n_socks;
	uint32_t violation; /* enum sess_violation; first one wins (CAS) */
	uint64_t requests;
};

/* Per-worker state. */
struct sess_worker {
	struct rte_ring *handoff; /* MP/SC: datagrams for sockets we own */
	uint16_t ip_id;
	uint32_t n_own;           /* high-water mark of own[] */
	struct sess_sock *own[SESS_MAX_SOCKS]; /* main writes (release), we read (acquire) */
	uint64_t handoff_full;
};

struct sess_conf {
	const char *path;
	uint32_t mode;
	int64_t gid;
	uint64_t segment_size;
	bool busy_poll;
};

struct sess_table {
	struct dp_shared *sh;
	struct rte_hash *hash;
	struct rte_rcu_qsbr *rcu;
	struct sess_conf conf;
	char path[108];
	int listen_fd;
	int ep; /* the session's own epoll: listener, client connections, doorbells */
	unsigned int n_workers;
	unsigned int next_owner;
	uint32_t next_sock;
	uint16_t next_ephemeral;
	struct sess_sock socks[SESS_MAX_SOCKS];
	struct sess_client clients[SESS_MAX_CLIENTS];
	struct sess_sock *ports[65536]; /* main lcore: sockets per local port */
	/* counters (main lcore writes) */
	uint64_t attached, detached, attach_refused;
	uint64_t violations[SESS_V_NB];
};

/* ---- main lcore ---- */

/* Create the table and the listener (after the workers exist: one handoff
 * ring each). NULL with a message in err. */
struct sess_table *sess_create(struct dp_shared *sh, const struct sess_conf *conf, char *err,
			       size_t errlen);
/* The fd to put in the main loop's epoll: readable when sess_poll has
 * work (a nested epoll of the listener, clients and doorbells). */
int sess_fd(const struct sess_table *t);
/* Serve attaches, control requests and client deaths; never blocks. */
void sess_poll(struct sess_table *t);
/* Periodic (main loop tick): drop clients that violated the contract. */
void sess_tick(struct sess_table *t);
/* Drop every client (they see the connection close) and free. Workers
 * must have stopped. */
void sess_destroy(struct sess_table *t);
/* Is a live daemon answering on `path`? */
bool sess_socket_in_use(const char *path);

/* ---- workers ---- */

int sess_worker_init(struct dp_worker *w, int socket);
void sess_worker_fini(struct dp_worker *w);

/* Lookup for a datagram to (laddr, lport) from (raddr, rport), host order:
 * the connected 4-tuple, then the bound address, then INADDR_ANY. */
struct sess_sock *sess_lookup(const struct sess_table *t, uint32_t laddr, uint16_t lport,
			      uint32_t raddr, uint16_t rport);
/* The connected socket for exactly this 4-tuple, or NULL. */
struct sess_sock *sess_lookup_connected(const struct sess_table *t, uint32_t laddr,
					uint16_t lport, uint32_t raddr, uint16_t rport);

/* Record a contract violation by the socket's client (any worker). */
void sess_violation(struct sess_client *c, enum sess_violation why);

static inline bool
sess_client_ok(const struct sess_client *c)
{
	return __atomic_load_n(&c->violation, __ATOMIC_RELAXED) == SESS_V_NONE;
}

/* Wake the client if it said it may sleep: called after publishing (the
 * seq_cst fence pairs with the client's seq_cst increment of
 * client_sleeping, see shm.h). */
void sess_wake_slow(struct sess_client *c);
static inline void
sess_wake(struct sess_client *c)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->hdr->client_sleeping, __ATOMIC_RELAXED) != 0)
		sess_wake_slow(c);
}

/* Set a pending error on the socket (any worker), and wake the client. */
void sess_set_error(struct sess_sock *s, int err);

static inline uint32_t
sess_w_addr(uint64_t w)
{
	return (uint32_t)(w >> 16);
}
static inline uint16_t
sess_w_port(uint64_t w)
{
	return (uint16_t)w;
}

#endif
