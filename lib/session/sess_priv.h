/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SESS_PRIV_H
#define CAV_SESS_PRIV_H

/* Socket operations of the main lcore (sess_sock.c); errno values. */

#include "session.h"

int sess_sock_create(struct sess_table *t, struct sess_client *c, uint32_t *slot);
int sess_sock_bind(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port);
int sess_sock_connect(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port,
		      bool dissolve);
int sess_sock_setopt(struct sess_table *t, struct sess_sock *s, uint32_t opt, uint32_t val,
		     int32_t *result);
int sess_sock_close(struct sess_table *t, struct sess_sock *s);
/* For a batch (a client's every socket): unpublish all, one grace period,
 * then free each. */
void sess_sock_unpublish(struct sess_table *t, struct sess_sock *s);
void sess_sock_free(struct sess_table *t, struct sess_sock *s);

#endif
