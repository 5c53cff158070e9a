/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SESS_PRIV_H
#define CAV_SESS_PRIV_H

/* Socket operations of the main lcore (sess_sock.c); errno values. */

#include <string.h>

#include "session.h"

/* The protocol is part of the key: TCP and UDP have separate port spaces. */
struct sess_key {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint8_t proto; /* enum sess_proto */
	uint8_t pad[3];
};
_Static_assert(sizeof(struct sess_key) == SESS_KEY_LEN, "sess_key has no hidden padding");

static inline struct sess_key
key_proto(uint8_t proto, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct sess_key k;
	memset(&k, 0, sizeof(k));
	k.laddr = laddr;
	k.raddr = raddr;
	k.lport = lport;
	k.rport = rport;
	k.proto = proto;
	return k;
}

/* Shared by sess_sock.c and sess_stream.c (main lcore). */
int sess_key_publish(struct sess_table *t, const struct sess_key *k, struct sess_sock *s);
struct sess_key sess_current_key(const struct sess_sock *s);
/* One RCU grace period, then free hash position pos (-1: none). */
void sess_synchronize(struct sess_table *t, int32_t pos);
void sess_port_link(struct sess_table *t, struct sess_sock *s, uint16_t port);
bool sess_port_free_for(const struct sess_table *t, uint8_t proto, uint32_t addr, uint16_t port,
			bool reuse, const struct sess_sock *self, bool listen);
int sess_pick_ephemeral(struct sess_table *t, uint8_t proto, uint32_t addr, bool reuse,
			uint16_t *port);
/* A free socket and slot of client c for a new socket owned by `owner`,
 * set up (fresh rings, slot generation + 1); alloc_lock held. NULL with
 * *err = EMFILE / ENFILE. */
struct sess_sock *sess_sock_take_locked(struct sess_table *t, struct sess_client *c,
					unsigned int owner, uint8_t proto, int *err);
int sess_source_for(struct sess_table *t, const struct sess_sock *s, uint32_t dst, uint32_t *src);
/* connect() of a stream socket (sess_stream.c). */
int sess_stream_connect(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port);


int sess_sock_create(struct sess_table *t, struct sess_client *c, uint32_t type, uint32_t *slot);
int sess_sock_listen(struct sess_table *t, struct sess_sock *s, uint32_t backlog);
int sess_sock_shutdown(struct sess_table *t, struct sess_sock *s, uint32_t how);
int sess_sock_getopt(struct sess_table *t, struct sess_sock *s, uint32_t opt, uint32_t *val);
/* Post a command to the socket's owner: 0 or ENOBUFS (ring full). */
int sess_cmd_post(struct sess_table *t, const struct sess_sock *s, uint16_t op, uint32_t arg,
		  uint32_t val);
/* Stream sockets whose close() waits for the owner: post what is pending,
 * free what the owner released (sess_tick). */
void sess_sock_reap(struct sess_table *t, bool wait);
/* Free the batch sess_sock_reap left waiting for its grace period (waits
 * for it): before code that walks sockets and frees released ones. */
void sess_sock_reap_flush(struct sess_table *t);
/* A listener stops: no more accept records; the connections queued and
 * not accepted are reset (Linux's inet_csk_listen_stop). */
void sess_listener_stop(struct sess_table *t, struct sess_sock *s);
int sess_sock_bind(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port);
int sess_sock_connect(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port,
		      bool dissolve);
int sess_sock_setopt(struct sess_table *t, struct sess_sock *s, uint32_t opt, uint32_t val,
		     int32_t *result);
int sess_sock_close(struct sess_table *t, struct sess_sock *s, uint32_t flags);
/* TCP_CONGESTION: 0, ENOENT (no such algorithm, as Linux), ENOPROTOOPT
 * (datagram socket), ENOBUFS (the owner's command ring is full). */
int sess_sock_set_congestion(struct sess_table *t, struct sess_sock *s, const char *name);
/* The socket's algorithm name; NULL for a datagram socket. */
const char *sess_sock_congestion(const struct sess_sock *s);
/* For a batch (a client's every socket): unpublish all, one grace period,
 * then free each. */
void sess_sock_unpublish(struct sess_table *t, struct sess_sock *s);
void sess_sock_free(struct sess_table *t, struct sess_sock *s);

#endif
