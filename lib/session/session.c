/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's side of libcavsock clients: the attach listener, the
 * client table, control requests, client death and violations.
 *
 * Everything here runs on the main lcore from sess_poll()/sess_tick(),
 * which main.c calls when sess_fd() (a nested epoll of the listener, each
 * client's connection and each client's doorbell eventfd) is readable and
 * on its periodic tick.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctl.h"
#include "dp.h"
#include "log.h"
#include "sess_attach.h"
#include "sess_priv.h"
#include "tcp.h"

const char *const sess_violation_names[SESS_V_NB] = {
	[SESS_V_NONE] = "none",
	[SESS_V_REQ_RING] = "request_ring",
	[SESS_V_REQ_BAD] = "bad_request",
	[SESS_V_TX_RING] = "tx_ring",
	[SESS_V_RX_RING] = "rx_ring",
	[SESS_V_RESP_RING] = "response_ring",
};

/* epoll tags: kind in the high half, client index in the low half */
enum { EV_LISTEN = 1, EV_CONN, EV_BELL };
#define EV_TAG(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

/* ---- workers ---- */

void
sess_violation(struct sess_client *c, enum sess_violation why)
{
	uint32_t none = SESS_V_NONE;
	__atomic_compare_exchange_n(&c->violation, &none, (uint32_t)why, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

void
sess_wake_slow(struct sess_client *c)
{
	uint64_t one = 1;
	/* EAGAIN (counter saturated) means a wakeup is pending anyway. */
	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
	}
	__atomic_store_n(&c->hdr->wakeups, __atomic_load_n(&c->hdr->wakeups, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

void
sess_set_error(struct sess_sock *s, int err)
{
	/* Release: pairs with the client's exchange (acq_rel). */
	__atomic_store_n(&s->shm->so_error, err, __ATOMIC_RELEASE);
	__atomic_or_fetch(&s->shm->events, CAV_SOCK_EV_ERR, __ATOMIC_RELEASE);
	sess_wake(s->client);
}

int
sess_worker_init(struct dp_worker *w, int socket)
{
	struct sess_worker *sw = rte_zmalloc_socket("sess_worker", sizeof(*sw), 64, socket);
	if (sw == NULL)
		return -1;
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "cav_sess%u", w->id);
	sw->handoff = rte_ring_create(name, SESS_HANDOFF_RING, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "cav_scmd%u", w->id);
	sw->cmd = rte_ring_create_elem(name, sizeof(struct sess_cmd), SESS_CMD_RING, socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (sw->handoff == NULL || sw->cmd == NULL) {
		rte_ring_free(sw->handoff);
		rte_ring_free(sw->cmd);
		rte_free(sw);
		return -1;
	}
	w->sess = sw;
	return 0;
}

void
sess_worker_fini(struct dp_worker *w)
{
	struct sess_worker *sw = w->sess;
	if (sw == NULL)
		return;
	struct rte_mbuf *m;
	while (rte_ring_dequeue(sw->handoff, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(sw->handoff);
	rte_ring_free(sw->cmd);
	rte_free(sw);
	w->sess = NULL;
}

/* ---- listener ---- */

static int
mkdir_p(const char *dir)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

bool
sess_socket_in_use(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool used = connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return used;
}

static int
listen_on(struct sess_table *t, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = t->path; /* = conf.path, copied by sess_create */
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "app_socket path too long: %s", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	char dir[sizeof(sa.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir_p(dirname(dir)) < 0) {
		snprintf(err, errlen, "cannot create directory for %s: %s", path, strerror(errno));
		return -1;
	}
	if (sess_socket_in_use(path)) {
		snprintf(err, errlen, "app socket %s is in use by another daemon", path);
		return -1;
	}
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Created closed, then widened: never more open than configured. */
	mode_t old = umask(0777);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || (t->conf.gid >= 0 && chown(path, (uid_t)-1, (gid_t)t->conf.gid) < 0) ||
	    chmod(path, t->conf.mode) < 0 || listen(fd, 256) < 0) {
		snprintf(err, errlen, "app socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	t->listen_fd = fd;
	return 0;
}

struct sess_table *
sess_create(struct dp_shared *sh, const struct sess_conf *conf, char *err, size_t errlen)
{
	struct sess_table *t = rte_zmalloc("sess_table", sizeof(*t), 64);
	if (t == NULL) {
		snprintf(err, errlen, "cannot allocate the session table");
		return NULL;
	}
	t->sh = sh;
	t->rcu = sh->rcu;
	t->conf = *conf;
	t->conf.path = t->path;
	snprintf(t->path, sizeof(t->path), "%s", conf->path);
	t->conf.congestion = NULL; /* not kept: resolved once, here */
	t->cc_default = tcp_cc_find(conf->congestion != NULL && conf->congestion[0] != '\0'
					? conf->congestion
					: "cubic");
	if (t->cc_default == NULL) {
		snprintf(err, errlen, "unknown congestion control '%s'", conf->congestion);
		rte_free(t);
		return NULL;
	}
	t->listen_fd = -1;
	t->ep = -1;
	t->n_workers = sh->n_workers;
	t->next_ephemeral = SESS_EPHEMERAL_LO;
	rte_spinlock_init(&t->alloc_lock);
	for (unsigned int i = 0; i < SESS_MAX_CLIENTS; i++)
		t->clients[i].conn_fd = -1;
	struct rte_hash_parameters hp = {
		.name = "cav_sess",
		.entries = SESS_MAX_SOCKS * 2,
		.key_len = SESS_KEY_LEN,
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		/* Lock-free readers (workers), one writer (main lcore); a
		 * deleted key's slot is freed after a grace period. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		snprintf(err, errlen, "rte_hash_create(sess): %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (listen_on(t, err, errlen) < 0)
		goto fail;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_TAG(EV_LISTEN, 0)};
	if (t->ep < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, t->listen_fd, &ev) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}
	sh->sess = t;
	return t;
fail:
	sess_destroy(t);
	return NULL;
}

int
sess_fd(const struct sess_table *t)
{
	return t->ep;
}

/* ---- clients ---- */

/* The segment, fds and slot of a client with no socket left. */
static void
client_free(struct sess_table *t, struct sess_client *c)
{
	if (c->conn_fd >= 0) {
		epoll_ctl(t->ep, EPOLL_CTL_DEL, c->conn_fd, NULL);
		epoll_ctl(t->ep, EPOLL_CTL_DEL, c->bell_fd, NULL);
		close(c->conn_fd);
	}
	struct sess_segment seg = {
		.mem_fd = c->mem_fd,
		.wake_fd = c->wake_fd,
		.bell_fd = c->bell_fd,
		.base = c->base,
		.layout = c->layout,
	};
	sess_segment_free(&seg);
	free(c->slot_sock);
	memset(c, 0, sizeof(*c));
	c->conn_fd = -1;
	t->detached++;
}

/*
 * Release a client (exit, SIGKILL, violation, daemon stop). Datagram
 * sockets and listeners go at once (a listener's queued connections are
 * reset, as Linux's inet_csk_listen_stop). With `graceful`, stream
 * connections are closed as Linux closes a dead process's sockets: the
 * data queued is still sent, then FIN (RST if data was left unread): the
 * segment, which holds their rings, stays mapped until the owners release
 * them (the client is a "zombie" meanwhile: no requests, no new sockets).
 * Without (violation, daemon stopping), they are reset: the owner drops
 * its pointers into the segment (SESS_CMD_DETACH) before the grace period
 * after which the segment is unmapped ends.
 */
static void
client_release(struct sess_table *t, struct sess_client *c, const char *why, bool graceful)
{
	unsigned int idx = (unsigned int)(c - t->clients);
	CAV_LOG(INFO, "session: client %u (pid %d) released: %s", idx, (int)c->pid, why);
	/* From here on no worker takes a socket for this client (passive
	 * opens): slot_sock[] is ours alone. */
	rte_spinlock_lock(&t->alloc_lock);
	c->dying = true;
	rte_spinlock_unlock(&t->alloc_lock);
	/* The batch waiting for its grace period holds released sockets,
	 * which the walk below would free too. */
	sess_sock_reap_flush(t);
	for (uint32_t i = 0; i < c->n_socks; i++) {
		struct sess_sock *s = c->slot_sock[i] != 0 ? &t->socks[c->slot_sock[i] - 1] : NULL;
		if (s != NULL && s->proto == SESS_P_TCP && s->phase == SESS_TCP_LISTEN)
			sess_listener_stop(t, s);
	}
	struct sess_sock *gone[CAV_SHM_MAX_SOCKS];
	uint32_t n_gone = 0;
	bool kept = false;
	for (uint32_t i = 0; i < c->n_socks; i++) {
		if (c->slot_sock[i] == 0)
			continue;
		struct sess_sock *s = &t->socks[c->slot_sock[i] - 1];
		bool conn = s->proto == SESS_P_TCP &&
			    (s->phase == SESS_TCP_CONN || s->phase == SESS_TCP_CLOSING) &&
			    !__atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
		if (conn && graceful) {
			if (s->phase == SESS_TCP_CONN) {
				s->phase = SESS_TCP_CLOSING;
				t->closing_hint++;
				s->close_flags = 0;
				s->close_posted = sess_cmd_post(t, s, SESS_CMD_CLOSE, 0, 0) == 0;
			}
			kept = true; /* sess_sock_reap frees it when released */
			continue;
		}
		/* Posted before the generation changes: the command names
		 * the old one. */
		if (conn)
			(void)sess_cmd_post(t, s, SESS_CMD_DETACH, 0, 0);
		sess_sock_unpublish(t, s);
		gone[n_gone++] = s;
	}
	/* One grace period for all of them: after it no worker holds a
	 * socket of this client or a pointer into its segment. */
	if (n_gone > 0 && t->rcu != NULL)
		rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	for (uint32_t i = 0; i < n_gone; i++)
		sess_sock_free(t, gone[i]);
	if (kept) {
		/* The process is gone: stop listening to it, keep its memory. */
		epoll_ctl(t->ep, EPOLL_CTL_DEL, c->conn_fd, NULL);
		epoll_ctl(t->ep, EPOLL_CTL_DEL, c->bell_fd, NULL);
		close(c->conn_fd);
		c->conn_fd = -1;
		c->zombie = true;
		return;
	}
	client_free(t, c);
}

static void tick(struct sess_table *t, bool wait);

/* Zombies whose last connection was released: free them (sess_tick). */
static void
zombies_reap(struct sess_table *t)
{
	for (unsigned int i = 0; i < SESS_MAX_CLIENTS; i++) {
		struct sess_client *c = &t->clients[i];
		if (!c->used || !c->zombie)
			continue;
		bool left = false;
		for (uint32_t k = 0; k < c->n_socks && !left; k++)
			left = c->slot_sock[k] != 0;
		if (!left)
			client_free(t, c);
	}
}

static void
accept_one(struct sess_table *t, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || !ctl_peer_allowed(&cr, t->conf.mode, t->conf.gid)) {
		sess_attach_refuse(fd, EACCES);
		t->attach_refused++;
		close(fd);
		return;
	}
	unsigned int idx;
	for (idx = 0; idx < SESS_MAX_CLIENTS; idx++)
		if (!t->clients[idx].used)
			break;
	if (idx == SESS_MAX_CLIENTS) {
		sess_attach_refuse(fd, EMFILE);
		t->attach_refused++;
		close(fd);
		return;
	}
	/* The client sends its hello right after connect: a short timeout
	 * keeps a silent one from stalling the main lcore. */
	struct timeval tv = {.tv_usec = 250000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sess_segment seg;
	int rc = sess_attach_serve(fd, t->conf.segment_size,
				   t->conf.busy_poll ? CAV_SHM_F_BUSY_POLL : 0, cr.pid, &seg);
	if (rc != 0) {
		CAV_LOG(NOTICE, "session: attach of pid %d refused: %s", (int)cr.pid, strerror(rc));
		t->attach_refused++;
		close(fd);
		return;
	}
	struct sess_client *c = &t->clients[idx];
	memset(c, 0, sizeof(*c));
	c->conn_fd = fd;
	c->mem_fd = seg.mem_fd;
	c->wake_fd = seg.wake_fd;
	c->bell_fd = seg.bell_fd;
	c->base = seg.base;
	c->hdr = seg.base;
	c->layout = seg.layout;
	c->pid = cr.pid;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->n_socks = seg.layout.n_socks;
	c->slot_sock = calloc(c->n_socks, sizeof(uint32_t));
	cav_shm_msg_ring(&c->req, c->base, c->layout.req_off, 0);
	cav_shm_msg_ring(&c->resp, c->base, c->layout.resp_off, 0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = EV_TAG(EV_CONN, idx)};
	struct epoll_event eb = {.events = EPOLLIN, .data.u64 = EV_TAG(EV_BELL, idx)};
	if (c->slot_sock == NULL || epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ||
	    epoll_ctl(t->ep, EPOLL_CTL_ADD, c->bell_fd, &eb) < 0) {
		c->used = true;
		client_release(t, c, "out of memory", false);
		return;
	}
	c->used = true;
	t->attached++;
	CAV_LOG(INFO, "session: client %u attached: pid %d uid %u, %u socket slots", idx,
		(int)cr.pid, (unsigned int)cr.uid, c->n_socks);
}

static void
accept_all(struct sess_table *t)
{
	for (;;) {
		int fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		accept_one(t, fd);
	}
}

static struct sess_sock *
sock_of(struct sess_table *t, struct sess_client *c, uint32_t slot)
{
	if (slot >= c->n_socks || c->slot_sock[slot] == 0)
		return NULL;
	return &t->socks[c->slot_sock[slot] - 1];
}

/* One request: fills rsp; returns false if the request itself is a
 * violation. Addresses and ports: network order in the messages. */
static bool
serve_request(struct sess_table *t, struct sess_client *c, const struct cav_msg *q,
	      struct cav_msg *rsp)
{
	memset(rsp, 0, sizeof(*rsp));
	rsp->seq = q->seq;
	rsp->op = q->op;
	rsp->sock = q->sock;
	int rc = 0;
	struct sess_sock *s = NULL;
	if (q->op != CAV_OP_SOCKET && q->op != CAV_OP_NOP) {
		s = sock_of(t, c, q->sock);
		if (s == NULL)
			return false; /* the library never names a slot it has not got */
	}
	switch (q->op) {
	case CAV_OP_NOP:
		break;
	case CAV_OP_SOCKET: {
		uint32_t slot;
		rc = sess_sock_create(t, c, q->arg, &slot);
		if (rc == 0)
			rsp->sock = (uint16_t)slot;
		break;
	}
	case CAV_OP_BIND:
		rc = sess_sock_bind(t, s, rte_be_to_cpu_32(q->addr), rte_be_to_cpu_16(q->port));
		break;
	case CAV_OP_CONNECT:
		rc = sess_sock_connect(t, s, rte_be_to_cpu_32(q->addr), rte_be_to_cpu_16(q->port),
				       q->flags != 0);
		break;
	case CAV_OP_CLOSE:
		rc = sess_sock_close(t, s, q->arg);
		s = NULL;
		break;
	case CAV_OP_SETOPT:
		if (q->arg == CAV_OPT_CONGESTION) {
			/* The client's bytes: bounded, NUL-terminated here. */
			char name[CAV_CC_NAME_MAX];
			memcpy(name, q->rsvd, sizeof(name));
			name[sizeof(name) - 1] = '\0';
			rc = sess_sock_set_congestion(t, s, name);
			break;
		}
		rc = sess_sock_setopt(t, s, q->arg, q->val, &rsp->result);
		break;
	case CAV_OP_LISTEN:
		rc = sess_sock_listen(t, s, q->arg);
		break;
	case CAV_OP_SHUTDOWN:
		rc = sess_sock_shutdown(t, s, q->arg);
		break;
	case CAV_OP_GETOPT:
		if (q->arg == CAV_OPT_TCP_INFO) {
			struct cav_tcp_info ti;
			memset(&ti, 0, sizeof(ti));
			rc = s->proto != SESS_P_TCP || t->tcp_info == NULL ? ENOPROTOOPT
									 : t->tcp_info(t->sh, s, &ti);
			memcpy(rsp->rsvd, &ti, sizeof(ti));
			break;
		}
		if (q->arg == CAV_OPT_CONGESTION) {
			const char *name = sess_sock_congestion(s);
			if (name == NULL)
				rc = ENOPROTOOPT;
			else
				snprintf((char *)rsp->rsvd, CAV_CC_NAME_MAX, "%s", name);
			break;
		}
		rc = sess_sock_getopt(t, s, q->arg, &rsp->val);
		break;
	default:
		return false;
	}
	if (rc != 0)
		rsp->result = -rc;
	if (s != NULL) {
		rsp->addr = rte_cpu_to_be_32(sess_w_addr(s->local_w));
		rsp->port = rte_cpu_to_be_16(sess_w_port(s->local_w));
	}
	return true;
}

static void
serve_requests(struct sess_table *t, struct sess_client *c)
{
	uint64_t v;
	if (read(c->bell_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: requests found by an earlier round */
	}
	/* Bounded per round: a client cannot hold the main lcore. */
	for (int n = 0; n < (int)CAV_SHM_MSG_SLOTS && c->used; n++) {
		struct cav_msg q, rsp;
		int st = cav_msg_pop(&c->req, &q);
		if (st == CAV_SHM_EMPTY)
			break;
		if (st != CAV_SHM_OK) {
			sess_violation(c, SESS_V_REQ_RING);
			break;
		}
		c->requests++;
		if (!serve_request(t, c, &q, &rsp)) {
			sess_violation(c, SESS_V_REQ_BAD);
			break;
		}
		if (cav_msg_push(&c->resp, &rsp) != CAV_SHM_OK) {
			sess_violation(c, SESS_V_RESP_RING);
			break;
		}
	}
	if (c->used)
		sess_wake(c);
}

void
sess_poll(struct sess_table *t)
{
	struct epoll_event evs[32];
	int n = epoll_wait(t->ep, evs, 32, 0);
	for (int i = 0; i < n; i++) {
		uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32);
		uint32_t idx = (uint32_t)evs[i].data.u64;
		if (kind == EV_LISTEN) {
			accept_all(t);
			continue;
		}
		if (idx >= SESS_MAX_CLIENTS || !t->clients[idx].used)
			continue; /* released earlier in this batch */
		struct sess_client *c = &t->clients[idx];
		if (kind == EV_CONN) {
			/* The client never writes after its hello: readable
			 * means it closed (exit, SIGKILL) or misbehaves. */
			client_release(t, c, "connection closed", true);
		} else if (kind == EV_BELL) {
			serve_requests(t, c);
		}
	}
	tick(t, false);
}

/* wait: the periodic tick, which may wait for a grace period; after
 * requests (sess_poll) nothing here blocks. */
static void
tick(struct sess_table *t, bool wait)
{
	sess_sock_reap(t, wait);
	zombies_reap(t);
	for (unsigned int i = 0; i < SESS_MAX_CLIENTS; i++) {
		struct sess_client *c = &t->clients[i];
		if (!c->used)
			continue;
		uint32_t v = __atomic_load_n(&c->violation, __ATOMIC_RELAXED);
		if (v == SESS_V_NONE)
			continue;
		if (v >= SESS_V_NB)
			v = SESS_V_REQ_BAD;
		t->violations[v]++;
		CAV_LOG(WARNING, "session: client %u (pid %d) broke the shared-memory contract (%s): dropped",
			i, (int)c->pid, sess_violation_names[v]);
		client_release(t, c, sess_violation_names[v], false);
	}
}

void
sess_tick(struct sess_table *t)
{
	tick(t, true);
}

void
sess_destroy(struct sess_table *t)
{
	if (t == NULL)
		return;
	sess_sock_reap_flush(t);
	for (unsigned int i = 0; i < SESS_MAX_CLIENTS; i++)
		if (t->clients[i].used)
			client_release(t, &t->clients[i], "daemon stopping", false);
	if (t->ep >= 0)
		close(t->ep);
	if (t->listen_fd >= 0) {
		close(t->listen_fd);
		unlink(t->path);
	}
	rte_hash_free(t->hash);
	if (t->sh != NULL && t->sh->sess == t)
		t->sh->sess = NULL;
	rte_free(t);
}
