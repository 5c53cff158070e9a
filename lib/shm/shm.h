/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SHM_H
#define CAV_SHM_H

/*
 * The shared-memory contract between cavalryd and libcavsock. Plain old
 * data and pure helpers only: no DPDK, no pointers in shared memory (every
 * address is an offset from the segment's start), no libc beyond
 * <stdint.h>/<string.h>. Both sides compile this one header.
 *
 * Segment (one memfd per client process, CAV_SHM_VERSION layout):
 *
 *   0                 struct cav_shm_hdr (magic, version, size, offsets)
 *   hdr.req_off       control requests  client -> daemon (cav_msg_ring)
 *   hdr.resp_off      control responses daemon -> client (cav_msg_ring)
 *   hdr.socks_off     n_socks x struct cav_shm_sock (one per socket slot)
 *   hdr.data_off      n_socks x (rx ring bytes + tx ring bytes)
 *
 * Rings are single-producer / single-consumer. Each side owns exactly one
 * index of a ring and keeps the authoritative copy in its own memory (the
 * "local" index of struct cav_ring); the shared copy only tells the other
 * side. Indices are free-running 32-bit counters (bytes or slots); the
 * distance prod - cons is what is in use, and a ring is at most 2^31.
 *
 * Trust: the daemon reads every shared word once, bounds-checks it and
 * copies data out before using it (cav_*_check helpers below return
 * CAV_SHM_CORRUPT on anything impossible); the client trusts the daemon.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CAV_SHM_MAGIC UINT64_C(0x314d48534c564143) /* "CAVLSHM1" little-endian */
#define CAV_SHM_VERSION 2u
#define CAV_SHM_LINE 64u

/* Largest UDP payload over IPv4: 65,535 - 20 (IPv4) - 8 (UDP). */
#define CAV_UDP_MAX_PAYLOAD 65507u

/* Per-socket ring sizes (bytes, powers of two): a ring always holds one
 * largest datagram plus its header and a pad record. */
#define CAV_SHM_RX_RING (256u << 10)
#define CAV_SHM_TX_RING (256u << 10)
#define CAV_SHM_MSG_SLOTS 64u /* control queue depth each way */
#define CAV_SHM_MAX_SOCKS 1024u

/* ---------------------------------------------------------------------- */
/* Ring indices                                                            */
/* ---------------------------------------------------------------------- */

/*
 * The shared indices of one ring: producer and consumer on separate cache
 * lines, so the two sides never write the same line.
 */
struct cav_ring_idx {
	/* Written by the producer with a release store after the data it
	 * covers (cav_ring_publish); read by the consumer with an acquire
	 * load (cav_ring_peer_prod), which pairs with it: the consumer then
	 * sees every byte up to prod. */
	uint32_t prod;
	uint8_t pad0[CAV_SHM_LINE - sizeof(uint32_t)];
	/* Written by the consumer with a release store once it has copied
	 * the data out (cav_ring_release); read by the producer with an
	 * acquire load, which pairs with it: the producer never overwrites
	 * bytes the consumer is still reading. */
	uint32_t cons;
	uint8_t pad1[CAV_SHM_LINE - sizeof(uint32_t)];
};

/* Process-local view of one ring. `local` is this side's own index, the
 * only trusted copy; `shared_off` / `data_off` come from the header. */
struct cav_ring {
	struct cav_ring_idx *idx;
	uint8_t *data;
	uint32_t size; /* bytes (datagram ring) or slots (message ring); 2^n */
	uint32_t local;
};

/* ---------------------------------------------------------------------- */
/* Datagram rings                                                          */
/* ---------------------------------------------------------------------- */

/*
 * A record: this header, then `len` bytes of data, padded to
 * CAV_DG_ALIGN. A record never wraps: when it does not fit before the end
 * of the ring, the producer writes a pad record (flags CAV_DG_PAD, len =
 * the bytes to the end minus the header) and starts again at offset 0.
 * addr/port: network byte order; on RX the source, on TX the destination
 * (0/0 on TX: the connected peer).
 */
struct cav_dg_hdr {
	uint32_t len;
	uint32_t addr;
	uint16_t port;
	uint16_t flags;
	uint32_t rsvd;
};
#define CAV_DG_PAD 0x1
#define CAV_DG_ALIGN 16u
#define CAV_DG_HDR ((uint32_t)sizeof(struct cav_dg_hdr))

static inline uint32_t
cav_dg_record_size(uint32_t len)
{
	return (CAV_DG_HDR + len + CAV_DG_ALIGN - 1) & ~(CAV_DG_ALIGN - 1);
}

enum cav_shm_status {
	CAV_SHM_OK = 0,
	CAV_SHM_EMPTY = 1,   /* nothing to consume */
	CAV_SHM_FULL = 2,    /* no room */
	CAV_SHM_CORRUPT = -1 /* the other side wrote something impossible */
};

/* The other side's index. Acquire: pairs with its release store. */
static inline uint32_t
cav_ring_peer_prod(const struct cav_ring *r)
{
	return __atomic_load_n(&r->idx->prod, __ATOMIC_ACQUIRE);
}
static inline uint32_t
cav_ring_peer_cons(const struct cav_ring *r)
{
	return __atomic_load_n(&r->idx->cons, __ATOMIC_ACQUIRE);
}

/* Producer: make everything written up to `local` visible. Release: pairs
 * with the consumer's acquire load of prod. */
static inline void
cav_ring_publish(struct cav_ring *r)
{
	__atomic_store_n(&r->idx->prod, r->local, __ATOMIC_RELEASE);
}

/* Consumer: hand back everything before `local`. Release: pairs with the
 * producer's acquire load of cons (the copy-out happened before). */
static inline void
cav_ring_release(struct cav_ring *r)
{
	__atomic_store_n(&r->idx->cons, r->local, __ATOMIC_RELEASE);
}

/*
 * Producer side: bytes in use as the consumer last published them, or -1
 * if the consumer's index is impossible (ahead of ours, or more than a
 * ring behind): corrupt.
 */
static inline int64_t
cav_dg_used(const struct cav_ring *r)
{
	uint32_t cons = cav_ring_peer_cons(r);
	uint32_t used = r->local - cons;
	if (used > r->size)
		return -1;
	return used;
}

/*
 * Producer: reserve room for a datagram of `len` bytes; returns the data
 * pointer (contiguous) or NULL with *st = CAV_SHM_FULL / CAV_SHM_CORRUPT.
 * `limit` caps the bytes in use (a socket buffer size; the ring size if
 * larger). Nothing is visible to the consumer until cav_dg_commit().
 */
static inline uint8_t *
cav_dg_reserve(struct cav_ring *r, uint32_t len, uint32_t limit, int *st)
{
	int64_t used = cav_dg_used(r);
	if (used < 0) {
		*st = CAV_SHM_CORRUPT;
		return NULL;
	}
	uint32_t need = cav_dg_record_size(len);
	uint32_t off = r->local & (r->size - 1);
	uint32_t tail = r->size - off; /* bytes to the end */
	uint32_t pad = tail < need ? tail : 0;
	if (limit > r->size)
		limit = r->size;
	/* The limit applies to data queued, the room check to the ring. A
	 * socket buffer admits a datagram while it is not yet full (Linux
	 * checks sk_rmem_alloc against sk_rcvbuf before adding, so one
	 * datagram may overshoot). */
	if ((uint64_t)used + pad + need > r->size || (uint64_t)used >= limit) {
		*st = CAV_SHM_FULL;
		return NULL;
	}
	if (pad != 0) {
		struct cav_dg_hdr ph = {.len = pad - CAV_DG_HDR, .flags = CAV_DG_PAD};
		memcpy(r->data + off, &ph, sizeof(ph));
		r->local += pad;
		off = 0;
	}
	*st = CAV_SHM_OK;
	return r->data + off + CAV_DG_HDR;
}

/* Producer: write the header of the reserved record and publish it. */
static inline void
cav_dg_commit(struct cav_ring *r, uint32_t len, uint32_t addr, uint16_t port)
{
	uint32_t off = r->local & (r->size - 1);
	struct cav_dg_hdr h = {.len = len, .addr = addr, .port = port, .flags = 0};
	memcpy(r->data + off, &h, sizeof(h));
	r->local += cav_dg_record_size(len);
	cav_ring_publish(r);
}

/* Producer: copy a whole datagram in. CAV_SHM_OK, _FULL or _CORRUPT. */
static inline int
cav_dg_produce(struct cav_ring *r, const void *data, uint32_t len, uint32_t addr, uint16_t port,
	       uint32_t limit)
{
	int st;
	uint8_t *p = cav_dg_reserve(r, len, limit, &st);
	if (p == NULL)
		return st;
	memcpy(p, data, len);
	cav_dg_commit(r, len, addr, port);
	return CAV_SHM_OK;
}

/*
 * Consumer: the next datagram. Reads the producer's index once, skips pad
 * records, validates the record (length within what was published, within
 * max_len, not across the end) and copies its header into *h. Returns
 * CAV_SHM_OK with *data pointing at the bytes (still in the ring: copy them
 * out, then cav_dg_consume), CAV_SHM_EMPTY, or CAV_SHM_CORRUPT.
 * `avail` (optional) receives the bytes published and not yet consumed.
 */
static inline int
cav_dg_peek(struct cav_ring *r, struct cav_dg_hdr *h, const uint8_t **data, uint32_t max_len)
{
	uint32_t prod = cav_ring_peer_prod(r);
	for (int guard = 0; guard < 2; guard++) {
		uint32_t avail = prod - r->local;
		if (avail == 0)
			return CAV_SHM_EMPTY;
		if (avail > r->size || avail < CAV_DG_HDR || (r->local & (CAV_DG_ALIGN - 1)) != 0)
			return CAV_SHM_CORRUPT;
		uint32_t off = r->local & (r->size - 1);
		uint32_t tail = r->size - off;
		memcpy(h, r->data + off, sizeof(*h)); /* read once */
		if (h->flags & CAV_DG_PAD) {
			/* A pad fills exactly the rest of the ring. */
			if (h->len != tail - CAV_DG_HDR || avail < tail)
				return CAV_SHM_CORRUPT;
			r->local += tail;
			continue;
		}
		if (h->flags != 0 || h->len > max_len)
			return CAV_SHM_CORRUPT;
		uint32_t rec = cav_dg_record_size(h->len);
		if (rec > tail || rec > avail)
			return CAV_SHM_CORRUPT;
		*data = r->data + off + CAV_DG_HDR;
		return CAV_SHM_OK;
	}
	return CAV_SHM_CORRUPT; /* two pads in a row */
}

/* Consumer: drop the record cav_dg_peek returned (len: its h->len) and
 * tell the producer. */
static inline void
cav_dg_consume(struct cav_ring *r, uint32_t len)
{
	r->local += cav_dg_record_size(len);
	cav_ring_release(r);
}

/* ---------------------------------------------------------------------- */
/* Byte-stream rings (stream sockets)                                      */
/* ---------------------------------------------------------------------- */

/* Copy `len` bytes between the ring at free-running index `idx` and a flat
 * buffer, across the wrap. */
static inline void
cav_bs_copy_out(const struct cav_ring *r, uint32_t idx, void *dst, uint32_t len)
{
	uint32_t off = idx & (r->size - 1);
	uint32_t first = r->size - off < len ? r->size - off : len;
	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}
static inline void
cav_bs_copy_in(struct cav_ring *r, uint32_t idx, const void *src, uint32_t len)
{
	uint32_t off = idx & (r->size - 1);
	uint32_t first = r->size - off < len ? r->size - off : len;
	memcpy(r->data + off, src, first);
	memcpy(r->data, (const uint8_t *)src + first, len - first);
}

/* Consumer: bytes published and not yet consumed (the producer's index read
 * once, acquire), or -1 if impossible (more than the ring): corrupt. */
static inline int64_t
cav_bs_avail(const struct cav_ring *r)
{
	uint32_t avail = cav_ring_peer_prod(r) - r->local;
	if (avail > r->size)
		return -1;
	return avail;
}

/* Producer: free bytes, capped so that at most `limit` bytes are in use (a
 * socket buffer size; the ring size if larger); -1 if the consumer's index
 * is impossible. */
static inline int64_t
cav_bs_room(const struct cav_ring *r, uint32_t limit)
{
	int64_t used = cav_dg_used(r);
	if (used < 0)
		return -1;
	if (limit > r->size)
		limit = r->size;
	return used >= limit ? 0 : (int64_t)limit - used;
}

/* Producer: append and publish (the caller checked the room). */
static inline void
cav_bs_write(struct cav_ring *r, const void *src, uint32_t len)
{
	cav_bs_copy_in(r, r->local, src, len);
	r->local += len;
	cav_ring_publish(r);
}

/* Consumer: hand `len` bytes back to the producer. */
static inline void
cav_bs_consume(struct cav_ring *r, uint32_t len)
{
	r->local += len;
	cav_ring_release(r);
}

/* ---------------------------------------------------------------------- */
/* Control message rings (fixed-size slots)                                */
/* ---------------------------------------------------------------------- */

enum cav_op {
	CAV_OP_SOCKET = 1, /* arg: enum cav_sock_type -> slot */
	CAV_OP_BIND,       /* addr, port (0: ephemeral) -> addr, port */
	/* Datagram: addr, port; AF_UNSPEC in arg: dissolve -> local addr, port.
	 * Stream: addr, port -> local addr, port once the SYN is on its way
	 * (result 0); completion is published in the slot (tcp_state, events,
	 * so_error). Immediate errors: ENETUNREACH, EADDRNOTAVAIL, EISCONN,
	 * EALREADY, EADDRINUSE (no ephemeral port). */
	CAV_OP_CONNECT,
	CAV_OP_CLOSE,  /* arg: CAV_CLOSE_* */
	CAV_OP_SETOPT, /* arg: option, val */
	CAV_OP_NOP,    /* liveness / tests */
	CAV_OP_LISTEN,   /* stream: arg = backlog (clamped as Linux: somaxconn 4096) */
	CAV_OP_SHUTDOWN, /* stream: arg = SHUT_RD (0) / SHUT_WR (1) / SHUT_RDWR (2) */
	CAV_OP_GETOPT,   /* arg: option -> val (e.g. CAV_OPT_TCP_INFO fields) */
};

enum cav_sock_type {
	CAV_SOCK_DGRAM = 0,
	CAV_SOCK_STREAM = 1,
};

/* CAV_OP_CLOSE arg. */
#define CAV_CLOSE_ABORT 0x1 /* SO_LINGER on with timeout 0: RST, discard queues */

/* Socket options the daemon must know (cav_msg.arg). */
enum cav_opt {
	CAV_OPT_RCVBUF = 1,
	CAV_OPT_SNDBUF,
	CAV_OPT_REUSEADDR,
	CAV_OPT_NODELAY,   /* TCP_NODELAY: val 0/1 */
	CAV_OPT_LINGER,    /* val: onoff << 31 | seconds */
	CAV_OPT_KEEPALIVE, /* SO_KEEPALIVE (issue 6) */
	CAV_OPT_KEEPIDLE,  /* seconds (issue 6) */
	CAV_OPT_KEEPINTVL, /* seconds (issue 6) */
	CAV_OPT_KEEPCNT,   /* (issue 6) */
	CAV_OPT_USER_TIMEOUT, /* ms (issue 6) */
	CAV_OPT_MAXSEG,    /* TCP_MAXSEG */
	/* TCP_CONGESTION (issue 6): the name, NUL-terminated, in the first
	 * CAV_CC_NAME_MAX bytes of rsvd (SETOPT: ENOENT if unknown; GETOPT:
	 * the socket's algorithm there in the response). */
	CAV_OPT_CONGESTION,
	/* CAV_OP_GETOPT only (added by libcavsock's stream work): the
	 * connection's TCP_INFO subset, a struct cav_tcp_info in the
	 * response's rsvd bytes (val unused). */
	CAV_OPT_TCP_INFO,
	/* IP_MTU_DISCOVER: val IP_PMTUDISC_DONT (0) .. IP_PMTUDISC_OMIT (5);
	 * a socket starts with IP_PMTUDISC_WANT, as Linux's default. */
	CAV_OPT_MTU_DISCOVER,
};

/* Linux TCP_CA_NAME_MAX: a congestion-control name with its NUL. */
#define CAV_CC_NAME_MAX 16

/* The CAV_OPT_TCP_INFO answer (in cav_msg.rsvd), the fields of Linux's
 * struct tcp_info the daemon can fill. Times in microseconds, windows in
 * segments, as tcp_info has them. */
struct cav_tcp_info {
	uint32_t rtt_us;
	uint32_t rttvar_us;
	uint32_t rto_us;
	uint32_t snd_cwnd;
	uint32_t snd_ssthresh;
	uint32_t snd_mss;
	uint32_t rcv_mss;
	uint32_t unacked;       /* segments in flight */
	uint32_t total_retrans; /* segments retransmitted over the connection's life */
};

/* One request or response: 64 bytes, one cache line. */
struct cav_msg {
	uint32_t seq;   /* request: chosen by the client; response: echoed */
	uint16_t op;    /* enum cav_op */
	uint16_t sock;  /* socket slot */
	int32_t result; /* response: >= 0, or -errno */
	uint32_t addr;  /* network order */
	uint16_t port;  /* network order */
	uint16_t flags;
	uint32_t arg;
	uint32_t val;
	uint8_t rsvd[36];
};

/* Producer: CAV_SHM_OK or CAV_SHM_FULL (CORRUPT if the consumer's index is
 * impossible). */
static inline int
cav_msg_push(struct cav_ring *r, const struct cav_msg *m)
{
	uint32_t used = r->local - cav_ring_peer_cons(r);
	if (used > r->size)
		return CAV_SHM_CORRUPT;
	if (used == r->size)
		return CAV_SHM_FULL;
	memcpy(r->data + (size_t)(r->local & (r->size - 1)) * sizeof(*m), m, sizeof(*m));
	r->local++;
	cav_ring_publish(r);
	return CAV_SHM_OK;
}

/* Consumer: copy the next message out. CAV_SHM_OK, _EMPTY or _CORRUPT. */
static inline int
cav_msg_pop(struct cav_ring *r, struct cav_msg *m)
{
	uint32_t avail = cav_ring_peer_prod(r) - r->local;
	if (avail == 0)
		return CAV_SHM_EMPTY;
	if (avail > r->size)
		return CAV_SHM_CORRUPT;
	memcpy(m, r->data + (size_t)(r->local & (r->size - 1)) * sizeof(*m), sizeof(*m));
	r->local++;
	cav_ring_release(r);
	return CAV_SHM_OK;
}

/* ---------------------------------------------------------------------- */
/* Segment                                                                 */
/* ---------------------------------------------------------------------- */

/* Readiness bits the daemon publishes in cav_shm_sock.events. */
#define CAV_SOCK_EV_ERR 0x1 /* so_error is set */
/* Stream sockets (set with a release store after the ring index they
 * describe was published; never cleared by the daemon except as noted): */
#define CAV_SOCK_EV_CONNECTED 0x2 /* the handshake completed (connect() done) */
#define CAV_SOCK_EV_RDHUP 0x4     /* the peer's FIN: no bytes after rx.prod */
#define CAV_SOCK_EV_WRHUP 0x8     /* nothing more can be sent (FIN sent, reset, closed) */
#define CAV_SOCK_EV_RESET 0x10    /* reset / aborted / timed out: so_error says why */
#define CAV_SOCK_EV_CLOSED 0x20   /* the connection no longer exists (CLOSED state) */
/* Once a failed connect() has reported its error the client treats the
 * socket as new (Linux's tcp_disconnect()) and ignores these stream bits
 * and tcp_state until its next CAV_OP_CONNECT, at which the daemon clears
 * them: events about the failed attempt may still come in between. */

/*
 * Stream sockets use the slot's two rings as byte FIFOs: free-running byte
 * indices, no records. TX: the client produces; the daemon's consumer index
 * is SND.UNA (bytes are handed back only when the peer acknowledged them,
 * retransmissions read from the ring). RX: the daemon produces in-order
 * bytes (out-of-order data is written ahead of prod but not published);
 * the client consumes. The receive window is what the client left free
 * (capped by SO_RCVBUF).
 *
 * A listener's RX ring carries accept records instead, in the datagram
 * format: cav_dg_hdr {len = sizeof(struct cav_accept_rec), addr/port = the
 * peer} followed by the record. The daemon produces them when a handshake
 * completes (the new socket's slot is already set up); accept() consumes.
 */
struct cav_accept_rec {
	uint32_t slot;  /* the new connection's socket slot in this segment */
	uint32_t laddr; /* its local address (network order) */
	uint16_t lport; /* its local port (network order) */
	uint16_t rsvd;
	uint32_t gen; /* the slot's generation (cav_shm_sock.gen) */
};

/* Client-written words of a stream slot (cav_shm_sock.client_req), read
 * once per look by the owner worker, which acts on each bit once. */
#define CAV_REQ_SHUT_WR 0x1 /* FIN after the last byte published in tx.prod */

/* One socket slot. The daemon writes state/rings at CAV_OP_SOCKET; after
 * that each word has the writer named beside it. */
struct cav_shm_sock {
	/* Daemon: a pending error (errno value, SO_ERROR); set with a
	 * release store; the client takes it with an atomic exchange to 0
	 * (acq_rel). */
	int32_t so_error;
	/* Daemon: CAV_SOCK_EV_* (release; client acquire). */
	uint32_t events;
	/* Daemon: datagrams dropped because the receive buffer was full
	 * (relaxed; statistics). */
	uint64_t rx_drops;
	/* Daemon: stream sockets' TCP state, Linux's numbering (TCP_ESTABLISHED
	 * = 1 ... TCP_LISTEN = 10, TCP_CLOSING = 11; 7 = TCP_CLOSE) (release;
	 * client acquire). 0 for datagram sockets. */
	uint32_t tcp_state;
	/* Daemon: incremented each time the slot is given to a new socket
	 * (accepted connections carry it in their accept record). */
	uint32_t gen;
	/* Client: CAV_REQ_* bits (release store after the data it refers to
	 * was published; the daemon reads it with an acquire load). */
	uint32_t client_req;
	uint8_t pad[CAV_SHM_LINE - 28];
	struct cav_ring_idx rx; /* daemon produces, client consumes */
	struct cav_ring_idx tx; /* client produces, daemon consumes */
};

struct cav_shm_hdr {
	uint64_t magic;   /* CAV_SHM_MAGIC */
	uint32_t version; /* CAV_SHM_VERSION */
	uint32_t hdr_size;
	uint64_t size; /* the whole segment, bytes */
	uint32_t n_socks;
	uint32_t msg_slots;
	uint32_t rx_ring; /* bytes per socket */
	uint32_t tx_ring;
	uint64_t req_off; /* struct cav_ring_idx + msg_slots x struct cav_msg */
	uint64_t resp_off;
	uint64_t socks_off; /* n_socks x struct cav_shm_sock */
	uint64_t data_off;  /* per socket: rx ring, then tx ring */
	uint32_t flags;     /* CAV_SHM_F_* */
	uint32_t client_pid;
	uint8_t pad0[CAV_SHM_LINE * 2 - 80];
	/*
	 * Client: non-zero while a thread of the client may sleep on the
	 * wakeup eventfd (a count of such threads; CAV_SLEEP_ALWAYS added
	 * while the application waits in its own epoll on cav_epoll_fd()).
	 * The client increments it (seq_cst), then re-checks its rings, then
	 * sleeps; the daemon publishes a ring index (release), then issues a
	 * seq_cst fence, then loads this word: one of the two always sees
	 * the other's write (the Dekker pattern), so no wakeup is lost and
	 * the busy path makes no system call.
	 */
	uint32_t client_sleeping;
	uint8_t pad1[CAV_SHM_LINE - 4];
	/* Daemon: wakeups it sent (relaxed; statistics). */
	uint64_t wakeups;
	uint8_t pad2[CAV_SHM_LINE - 8];
};
#define CAV_SHM_F_BUSY_POLL 0x1 /* the daemon asks clients never to sleep */
#define CAV_SLEEP_ALWAYS 0x10000u

_Static_assert(sizeof(struct cav_msg) == 64, "cav_msg is one cache line");
_Static_assert(sizeof(struct cav_tcp_info) <= sizeof(((struct cav_msg *)0)->rsvd),
	       "cav_tcp_info fits in a response");
_Static_assert(sizeof(struct cav_shm_hdr) == 4 * CAV_SHM_LINE, "header layout");
_Static_assert(offsetof(struct cav_shm_hdr, client_sleeping) % CAV_SHM_LINE == 0,
	       "client_sleeping on its own line");
_Static_assert(sizeof(struct cav_ring_idx) == 2 * CAV_SHM_LINE, "ring index layout");
_Static_assert(sizeof(struct cav_shm_sock) % CAV_SHM_LINE == 0, "socket slot layout");

/* The layout for a segment of `size` bytes. */
struct cav_shm_layout {
	uint64_t size;
	uint32_t n_socks;
	uint64_t req_off, resp_off, socks_off, data_off;
};

static inline uint64_t
cav_shm_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline uint64_t
cav_shm_msg_ring_bytes(uint32_t slots)
{
	return sizeof(struct cav_ring_idx) + (uint64_t)slots * sizeof(struct cav_msg);
}

/* Compute the layout: as many socket slots as fit (at most
 * CAV_SHM_MAX_SOCKS). Returns 0, or -1 if not even one socket fits. */
static inline int
cav_shm_layout_compute(uint64_t size, struct cav_shm_layout *l)
{
	l->size = size;
	l->req_off = cav_shm_align(sizeof(struct cav_shm_hdr), 4096);
	l->resp_off = l->req_off + cav_shm_msg_ring_bytes(CAV_SHM_MSG_SLOTS);
	l->socks_off = cav_shm_align(l->resp_off + cav_shm_msg_ring_bytes(CAV_SHM_MSG_SLOTS), 4096);
	uint64_t per = sizeof(struct cav_shm_sock) + CAV_SHM_RX_RING + CAV_SHM_TX_RING;
	if (size < l->socks_off + per + 4096)
		return -1;
	uint64_t n = (size - l->socks_off - 4096) / per;
	if (n > CAV_SHM_MAX_SOCKS)
		n = CAV_SHM_MAX_SOCKS;
	l->n_socks = (uint32_t)n;
	l->data_off = cav_shm_align(l->socks_off + n * sizeof(struct cav_shm_sock), 4096);
	if (l->data_off + n * (CAV_SHM_RX_RING + CAV_SHM_TX_RING) > size)
		return -1;
	return 0;
}

/* Daemon: write a fresh header (the segment is zero-filled). */
static inline void
cav_shm_hdr_init(struct cav_shm_hdr *h, const struct cav_shm_layout *l, uint32_t flags,
		 uint32_t pid)
{
	h->version = CAV_SHM_VERSION;
	h->hdr_size = sizeof(*h);
	h->size = l->size;
	h->n_socks = l->n_socks;
	h->msg_slots = CAV_SHM_MSG_SLOTS;
	h->rx_ring = CAV_SHM_RX_RING;
	h->tx_ring = CAV_SHM_TX_RING;
	h->req_off = l->req_off;
	h->resp_off = l->resp_off;
	h->socks_off = l->socks_off;
	h->data_off = l->data_off;
	h->flags = flags;
	h->client_pid = pid;
	/* The magic last: a header with the magic is complete. */
	__atomic_store_n(&h->magic, CAV_SHM_MAGIC, __ATOMIC_RELEASE);
}

enum cav_shm_hdr_error {
	CAV_SHM_HDR_OK = 0,
	CAV_SHM_HDR_BAD_MAGIC,
	CAV_SHM_HDR_BAD_VERSION,
	CAV_SHM_HDR_BAD_LAYOUT,
};

/* Client: is the header one we can use in a segment of `mapped` bytes?
 * Checks the version first (a clear error for a mismatched library), then
 * that every region lies inside the segment exactly as the layout rules
 * compute it. */
static inline enum cav_shm_hdr_error
cav_shm_hdr_check(const struct cav_shm_hdr *h, uint64_t mapped)
{
	if (mapped < sizeof(*h) || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != CAV_SHM_MAGIC)
		return CAV_SHM_HDR_BAD_MAGIC;
	if (h->version != CAV_SHM_VERSION || h->hdr_size != sizeof(*h))
		return CAV_SHM_HDR_BAD_VERSION;
	struct cav_shm_layout l;
	if (h->size != mapped || cav_shm_layout_compute(mapped, &l) != 0 || h->n_socks != l.n_socks ||
	    h->msg_slots != CAV_SHM_MSG_SLOTS || h->rx_ring != CAV_SHM_RX_RING ||
	    h->tx_ring != CAV_SHM_TX_RING || h->req_off != l.req_off || h->resp_off != l.resp_off ||
	    h->socks_off != l.socks_off || h->data_off != l.data_off)
		return CAV_SHM_HDR_BAD_LAYOUT;
	return CAV_SHM_HDR_OK;
}

/* Views of the regions (offsets already validated by the caller: the
 * daemon computed them, the client ran cav_shm_hdr_check). */
static inline struct cav_shm_sock *
cav_shm_sock(void *base, const struct cav_shm_layout *l, uint32_t i)
{
	return (struct cav_shm_sock *)((uint8_t *)base + l->socks_off) + i;
}

static inline void
cav_shm_ring_init(struct cav_ring *r, struct cav_ring_idx *idx, uint8_t *data, uint32_t size,
		  uint32_t local)
{
	r->idx = idx;
	r->data = data;
	r->size = size;
	r->local = local;
}

/* The rx (dir 0) or tx (dir 1) ring of socket i; `local` starts at the
 * index this side owns (0 for a fresh socket). */
static inline void
cav_shm_sock_ring(struct cav_ring *r, void *base, const struct cav_shm_layout *l, uint32_t i,
		  int dir, uint32_t local)
{
	struct cav_shm_sock *s = cav_shm_sock(base, l, i);
	uint8_t *d = (uint8_t *)base + l->data_off + (uint64_t)i * (CAV_SHM_RX_RING + CAV_SHM_TX_RING);
	if (dir == 0)
		cav_shm_ring_init(r, &s->rx, d, CAV_SHM_RX_RING, local);
	else
		cav_shm_ring_init(r, &s->tx, d + CAV_SHM_RX_RING, CAV_SHM_TX_RING, local);
}

static inline void
cav_shm_msg_ring(struct cav_ring *r, void *base, uint64_t off, uint32_t local)
{
	cav_shm_ring_init(r, (struct cav_ring_idx *)((uint8_t *)base + off),
			  (uint8_t *)base + off + sizeof(struct cav_ring_idx), CAV_SHM_MSG_SLOTS, local);
}

/* ---------------------------------------------------------------------- */
/* Attach handshake over the unix socket                                   */
/* ---------------------------------------------------------------------- */

#define CAV_HELLO_MAGIC 0x4f4c4548u /* "HELO" */

/* Client -> daemon, right after connect. */
struct cav_hello {
	uint32_t magic;   /* CAV_HELLO_MAGIC */
	uint32_t version; /* the client's CAV_SHM_VERSION */
	uint32_t flags;   /* CAV_SHM_F_BUSY_POLL: this process polls */
	uint32_t rsvd;
};

/* Daemon -> client. With status 0 it carries three descriptors
 * (SCM_RIGHTS): the segment memfd, the wakeup eventfd (daemon -> client),
 * the doorbell eventfd (client -> daemon), in that order. */
struct cav_welcome {
	uint32_t magic;   /* CAV_HELLO_MAGIC */
	uint32_t version; /* the daemon's CAV_SHM_VERSION */
	int32_t status;   /* 0, or an errno value (EPROTO: version mismatch) */
	uint32_t rsvd;
	uint64_t size; /* segment bytes */
};

#endif
