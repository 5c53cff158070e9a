/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TEST_FAKE_DAEMON_H
#define CAV_TEST_FAKE_DAEMON_H

/*
 * A fake cavalryd for libcavsock's unit tests. One thread serves the
 * attach for real (lib/session/sess_attach.c, on a unix socket it names in
 * $CAVSOCK_PATH), answers the control requests the way the daemon does
 * (slots, ports, options, and for CONNECT what F.cmode says), and acts as
 * the owner worker in the segment when the test asks: it publishes
 * tcp_state / events / so_error, writes RX bytes and accept records, and
 * reads (acknowledges) TX bytes.
 *
 * Blocking calls: fake_arm() makes the fake thread run an action once the
 * client is blocked in a wait of its own — it announced sleep
 * (client_sleeping), has no request pending and has read every response,
 * so it is not in a control round trip. With CAVSOCK_SPIN_US=0 every wait
 * sleeps at once. The fake's wakeup, not a timer, releases the call.
 *
 * All state is in F; the test thread takes F.lock (fake_lock) around its
 * actions, fake_unlock wakes the client as the daemon would.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "sess_attach.h"
#include "shm.h"

#define FAKE_SEG_SIZE (16u << 20)
#define MAX_SLOTS 64
#define LOCAL_ADDR 0x010012c6u /* 198.18.0.1, network order (little-endian host) */
#define PEER_ADDR 0x020012c6u  /* 198.18.0.2 */

enum conn_mode {
	CM_PENDING,	       /* leave it in SYN_SENT */
	CM_ESTABLISH_NOW,      /* ESTABLISHED before the response */
	CM_ESTABLISH_ON_SLEEP, /* once the client sleeps in connect() */
	CM_REFUSE_ON_SLEEP,    /* RST: ECONNREFUSED once the client sleeps */
};

/* What the fake knows and saw of one socket slot. */
struct fslot {
	bool used, stream, listening;
	struct cav_ring rx, tx; /* the daemon's side: rx producer, tx consumer */
	uint32_t laddr;
	uint16_t lport;
	uint32_t backlog;
	uint32_t n_connect, caddr;
	uint16_t cport;
	int n_shutdown;
	uint32_t shut_how;
	uint32_t req_at_shut;	 /* client_req when CAV_OP_SHUTDOWN arrived */
	uint32_t txprod_at_shut; /* tx.prod then */
	uint32_t opt[32];	 /* last CAV_OP_SETOPT value per option */
	/* TCP_CONGESTION as the daemon keeps it ("" = the default, cubic),
	 * and the name of the last request (accepted or not). */
	char cc[CAV_CC_NAME_MAX], cc_asked[CAV_CC_NAME_MAX];
	int n_cc_set;
};

struct fake {
	pthread_mutex_t lock;
	pthread_t thr;
	int lfd, conn;
	char path[108];
	bool stop, attached;
	struct sess_segment seg;
	struct cav_shm_hdr *hdr;
	struct cav_ring req, resp;
	struct fslot slot[MAX_SLOTS];
	uint32_t gen[MAX_SLOTS];
	uint16_t next_port;
	enum conn_mode cmode;
	int connect_err; /* CONNECT answers -connect_err if set */
	void (*on_sleep)(void *);
	void *on_sleep_arg;
	int fired; /* on-sleep actions run since fake_arm / fake_set_cmode */
	uint32_t last_socket_arg, last_close_slot, last_close_arg;
	uint32_t getopt_maxseg;
};

extern struct fake F;

/* Listen on a fresh app socket, set $CAVSOCK_PATH (and CAVSOCK_SPIN_US=0),
 * start the thread and attach this process (a socket made and closed).
 * 0 or -1. */
int fake_start(void);
void fake_stop(void);
/* 0 if no slot is in use; else closes them (for the next test) and -1. */
int fake_check_no_leak(void);

void fake_lock(void);
void fake_unlock(void); /* and wake the client */
void fake_arm(void (*fn)(void *), void *arg);
void fake_set_cmode(enum conn_mode m, int connect_err);

/* Owner-worker actions, with F.lock held (or from an on-sleep action). */
struct cav_shm_sock *fake_shm_sock(uint32_t i);
void fake_set_state(uint32_t i, uint32_t st);
void fake_add_events(uint32_t i, uint32_t ev);
void fake_establish(uint32_t i);
void fake_reset(uint32_t i, int err); /* RST/timeout: so_error, CLOSE */
void fake_rx(uint32_t i, const void *data, uint32_t len);
void fake_fin(uint32_t i); /* the peer's FIN: CLOSE_WAIT, RDHUP */
uint32_t fake_tx_pull(uint32_t i, void *buf, uint32_t max);
/* A completed handshake on listener l: a new slot and its accept record
 * (gen_delta != 0 writes a stale generation). Returns the slot. */
int fake_passive_open(uint32_t l, uint32_t raddr, uint16_t rport, uint32_t gen_delta);

/* ---- helpers for the tests ---- */

/* Linux's answers for the states below (kernel sockets, this machine). */
#define M_FRESH (POLLOUT | POLLWRNORM | POLLHUP)			    /* 0x114 */
#define M_EST (POLLOUT | POLLWRNORM)					    /* 0x104 */
#define M_PEER_FIN (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP) /* 0x2145 */
#define M_RESET (M_PEER_FIN | POLLERR | POLLHUP)			    /* 0x215d */
#define M_DEAD (M_PEER_FIN | POLLHUP)					    /* 0x2155 */

#define SA(x) ((struct sockaddr *)&(x))

/* A macro, so that a failure names the caller's line. */
#define expect_err(call, e)                                                                        \
	do {                                                                                       \
		long rc_ = (long)(call);                                                           \
		int errno_ = errno;                                                                \
		assert_int_equal(rc_, -1);                                                         \
		assert_int_equal(errno_, (e));                                                     \
	} while (0)

uint32_t slot_of(int fd);
/* The poll bits of one Cavalry descriptor (cav_poll, timeout 0). */
short poll_mask(int fd);
struct sockaddr_in sin_of(uint32_t addr, uint16_t port);
int tcp_socket(int flags);
/* A connected socket (the fake establishes before answering connect). */
int connected(int flags);
void pattern(uint8_t *b, size_t n, uint32_t seed);

struct drain_arg {
	uint32_t slot;
	uint8_t *got;
	uint32_t n, want;
};
/* On sleep: acknowledge what the client queued, re-armed until all came. */
void drain_cb(void *arg);
/* On sleep: the peer's FIN on slot (uintptr_t)arg. */
void fin_cb(void *arg);

#endif
