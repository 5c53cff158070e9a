/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TEST_SESS_FIXTURE_H
#define CAV_TEST_SESS_FIXTURE_H

/*
 * The session tests' client: slot 0 of table `t`, attached to a zeroed
 * shared-memory segment of `size` bytes at `seg` laid out as a daemon
 * lays it out, without a wake-up fd. Returns 0, or -1 (bad size, no
 * memory).
 */

#include <stdlib.h>
#include <string.h>

#include "sess_priv.h"

static inline int
sess_fixture_client(struct sess_table *t, void *seg, size_t size, struct sess_client **out)
{
	struct sess_client *c = &t->clients[0];
	memset(seg, 0, size);
	c->used = true;
	c->base = seg;
	c->hdr = seg;
	if (cav_shm_layout_compute(size, &c->layout) != 0)
		return -1;
	c->n_socks = c->layout.n_socks;
	c->slot_sock = calloc(c->n_socks, sizeof(uint32_t));
	c->wake_fd = -1;
	*out = c;
	return c->slot_sock == NULL ? -1 : 0;
}

#endif
