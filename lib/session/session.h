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

#include <rte_spinlock.h>

#include "config.h"
#include "shm.h"

struct dp_shared;
struct dp_worker;
struct tcp_cc_ops;
struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;

#define SESS_MAX_SOCKS 4096     /* sockets in the daemon */
#define SESS_KEY_LEN 16         /* struct sess_key (sess_sock.c) */
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

/* Port spaces: TCP and UDP ports are separate, as in Linux. */
enum sess_proto {
	SESS_P_UDP = 0,
	SESS_P_TCP = 1,
	SESS_P_NB,
};

/* A stream socket as the main lcore sees it (what the client asked for;
 * the connection's real state is the owner's tcp_state). */
enum sess_tcp_phase {
	SESS_TCP_NONE = 0, /* fresh or bound */
	SESS_TCP_LISTEN,   /* listen() */
	SESS_TCP_CONN,     /* connect() or accepted: a pcb owns the rings */
	SESS_TCP_CLOSING,  /* close() sent to the owner; freed once released */
};

/* Linux's tcp_state numbering (include/net/tcp_states.h), the value of
 * cav_shm_sock.tcp_state. */
#define SESS_TCP_ST_ESTABLISHED 1
#define SESS_TCP_ST_SYN_SENT 2
#define SESS_TCP_ST_CLOSE 7
#define SESS_TCP_ST_LISTEN 10

/* Linux's net.core.somaxconn. */
#define SESS_SOMAXCONN 4096

/*
 * Main lcore -> owner worker: requests the owner must execute on a stream
 * socket's connection (one SP/SC rte_ring per worker, drained by lib/tcpdp
 * once per loop). The socket is named by (id, gen): a command for a socket
 * closed meanwhile is recognised as stale.
 */
enum sess_cmd_op {
	SESS_CMD_CONNECT = 1, /* open to remote_w from local_w */
	SESS_CMD_SHUTDOWN,    /* arg: SHUT_RD / SHUT_WR / SHUT_RDWR */
	SESS_CMD_CLOSE,       /* arg: CAV_CLOSE_*; the socket is released when done */
	SESS_CMD_SETOPT,      /* arg: enum cav_opt, val: the value (already stored) */
	SESS_CMD_DETACH,      /* the client is gone (its segment is being unmapped): RST */
};
struct sess_cmd {
	uint16_t op;
	uint16_t rsvd;
	uint32_t sock_id;
	uint32_t gen;
	uint32_t arg;
	uint32_t val;
	uint32_t pad;
};
#define SESS_CMD_RING 1024

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
	uint8_t proto; /* enum sess_proto, set at creation */
	/* Stream sockets. Main lcore: phase, backlog and the options (the
	 * owner reads the options when told to by a SESS_CMD_SETOPT). */
	uint8_t phase; /* enum sess_tcp_phase */
	bool nodelay, keepalive;
	uint32_t backlog; /* listen(): at most SESS_SOMAXCONN */
	uint32_t linger;  /* CAV_OPT_LINGER's value: onoff << 31 | seconds */
	uint16_t maxseg;  /* TCP_MAXSEG (0: from the route MTU) */
	/* Issue 6, main lcore writes (relaxed), the owner reads them at
	 * connect, at accept (the accepted socket's copy of its listener's)
	 * and on SESS_CMD_SETOPT: TCP_KEEPIDLE / TCP_KEEPINTVL seconds and
	 * TCP_KEEPCNT (0: the stack's default), TCP_USER_TIMEOUT ms (0: off),
	 * TCP_CONGESTION (a stream socket's is never NULL: the configured
	 * default until set, as Linux's tcp_init_sock assigns one). */
	uint16_t keepidle, keepintvl;
	uint8_t keepcnt;
	uint32_t user_timeout;
	const struct tcp_cc_ops *cc;
	/* IP_MTU_DISCOVER (Linux's IP_PMTUDISC_* values; WANT at creation).
	 * Acted on for stream sockets (lib/tcpdp: DF and frag-needed); UDP
	 * datagrams never carry DF whatever it says (lib/udp). */
	uint8_t pmtudisc;
	/* Owner worker writes (relaxed), main reads: the connection's state
	 * (Linux numbering) and the pcb index + 1 (0: none). Released: the
	 * connection no longer needs the slot (TIME_WAIT or closed); the
	 * main lcore frees a SESS_TCP_CLOSING socket when it sees it (acquire,
	 * pairs with the owner's release). */
	uint32_t tcp_state;
	uint32_t conn;
	bool released;
	/* A listener's accept-record producers (workers completing a
	 * handshake) serialise on this; `acc_dead` (under the lock) refuses new
	 * records once close() began. */
	rte_spinlock_t acc_lock;
	bool acc_dead;
	uint32_t slot_gen; /* the cav_shm_sock.gen we wrote (accept records carry it) */
	/* main lcore: close() waits for the owner (stream sockets) */
	bool close_posted;
	uint32_t close_flags;
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
	/* Under sess_table.alloc_lock: set when release begins; workers then
	 * allocate no more sockets for this client. */
	bool dying;
	/* The process is gone but connections it closed (or left open) are
	 * still finishing from its segment's rings: kept until the last one
	 * is released. */
	bool zombie;
};

/* Per-worker state. */
struct sess_worker {
	struct rte_ring *handoff; /* MP/SC: datagrams for sockets we own */
	uint16_t ip_id;
	uint32_t n_own;           /* high-water mark of own[] */
	struct sess_sock *own[SESS_MAX_SOCKS]; /* main writes (release), we read (acquire) */
	uint64_t handoff_full;
	/* Main lcore -> this worker: struct sess_cmd (SP/SC). */
	struct rte_ring *cmd;
};

struct sess_conf {
	const char *path;
	uint32_t mode;
	int64_t gid;
	uint64_t segment_size;
	bool busy_poll;
	/* [tcp] congestion: new stream sockets' TCP_CONGESTION (NULL or "":
	 * cubic, Linux's default). */
	const char *congestion;
};

/* A port's RSS as the main lcore learnt it (once, at the first active
 * open through it): the Toeplitz key and the redirection table. */
#define SESS_RSS_KEY 40
#define SESS_RSS_RETA_MAX 512
struct sess_rss {
	bool probed, on;
	uint16_t reta_size;
	uint8_t key[SESS_RSS_KEY];
	uint16_t reta[SESS_RSS_RETA_MAX];
};

/* Would the peer's segments of (laddr:lport <- raddr:rport) come in on
 * `queue`? Toeplitz over the IPv4 4-tuple as the NIC computes it, then
 * the redirection table. Host order. */
bool sess_rss_queue_is(const struct sess_rss *r, uint32_t laddr, uint16_t lport, uint32_t raddr,
		       uint16_t rport, uint16_t queue);

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
	/*
	 * Socket allocation: a worker that completes a passive open takes a
	 * socket (socks[], a client's slot_sock[], its own own[]) without the
	 * main lcore, so those three, next_sock and client.dying change only
	 * under this lock. Short: never held across an RCU grace period.
	 */
	rte_spinlock_t alloc_lock;
	/* Reaping (sess_sock_reap): stream sockets in SESS_TCP_CLOSING as of
	 * the last scan plus those closed since (a hint: the tick scans
	 * anyway), and the released batch unpublished and waiting for the
	 * grace period `reap_token` before it is freed. */
	uint32_t closing_hint;
	uint32_t reap_n;
	uint64_t reap_token;
	struct sess_sock *reap_wait[64];
	struct sess_sock socks[SESS_MAX_SOCKS];
	struct sess_client clients[SESS_MAX_CLIENTS];
	/* main lcore: sockets per local port, one port space per protocol */
	struct sess_sock *ports[SESS_P_NB][65536];
	/* counters (main lcore writes) */
	uint64_t attached, detached, attach_refused;
	uint64_t violations[SESS_V_NB];
	uint64_t cmd_full; /* a command ring was full: the request failed with ENOBUFS */
	uint64_t rss_ports; /* active opens given a port whose return traffic hashes to the owner */
	struct sess_rss rss[CAV_MAX_PORTS];
	/* CAV_OPT_TCP_INFO: filled by lib/tcpdp (set by the daemon at start;
	 * NULL: ENOPROTOOPT). Main lcore; 0 or an errno value. */
	int (*tcp_info)(const struct dp_shared *sh, const struct sess_sock *s,
			struct cav_tcp_info *out);
	/* New stream sockets' congestion control (conf.congestion resolved). */
	const struct tcp_cc_ops *cc_default;
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
/* The TCP listener for (laddr, lport): bound to laddr, then INADDR_ANY. */
struct sess_sock *sess_lookup_listener(const struct sess_table *t, uint32_t laddr,
				       uint16_t lport);

/*
 * Passive open (the worker `owner` completed a handshake for listener
 * `lst`): take a socket slot of the listener's client for the new
 * connection, owned by `owner`, with fresh rings (indices 0), the slot's
 * generation incremented and tcp_state ESTABLISHED. Addresses host order.
 * Returns the socket, or NULL (no free slot, socket or own[] entry, or
 * the client is going away): the caller behaves as with a full accept
 * queue. Takes alloc_lock briefly; any worker.
 */
struct sess_sock *sess_accept_alloc(struct sess_table *t, struct sess_sock *lst,
				    unsigned int owner, uint32_t laddr, uint16_t lport,
				    uint32_t raddr, uint16_t rport);
/*
 * Queue the accept record of `s` (from sess_accept_alloc) on its
 * listener's RX ring and wake the client. 0, or -1 if the listener is
 * closing or its ring is full/corrupt (the caller then resets the
 * connection and releases `s` with sess_accept_undo).
 */
int sess_accept_queue(struct sess_table *t, struct sess_sock *lst, struct sess_sock *s);
/* Give back a socket sess_accept_alloc took that was never queued. */
void sess_accept_undo(struct sess_table *t, struct sess_sock *s);
/* Has the client a free socket slot? (Unlocked read: a hint, the
 * allocation itself decides.) */
bool sess_client_has_room(const struct sess_client *c);
/* Accept records queued on a listener and not yet taken by accept(). */
uint32_t sess_accept_queued(const struct sess_sock *lst);

/* Owner worker: the connection no longer needs the socket's slot; a
 * SESS_TCP_CLOSING socket is then freed by the main lcore (sess_tick). */
static inline void
sess_sock_release(struct sess_sock *s)
{
	__atomic_store_n(&s->released, true, __ATOMIC_RELEASE);
}

/* Owner worker: the next command for it, or false. */
bool sess_cmd_next(struct dp_worker *w, struct sess_cmd *cmd);

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
