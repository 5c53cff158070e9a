/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SESS_ATTACH_H
#define CAV_SESS_ATTACH_H

/*
 * The daemon's half of the attach handshake (plain POSIX, no DPDK, so the
 * unit tests run it over a socketpair): read the client's hello, create
 * the memfd segment and the two eventfds, write the header, send the
 * welcome with the three descriptors (SCM_RIGHTS).
 */

#include <stdint.h>
#include <sys/types.h>

#include "shm.h"

struct sess_segment {
	int mem_fd;  /* the segment (memfd, sealed against shrinking) */
	int wake_fd; /* daemon -> client */
	int bell_fd; /* client -> daemon: control requests are waiting */
	void *base;
	struct cav_shm_layout layout;
	uint32_t client_flags; /* from the hello */
};

/*
 * Serve one attach on the connected socket `conn` (blocking, bounded by
 * the socket's receive timeout). `flags` go into the header
 * (CAV_SHM_F_BUSY_POLL), `pid` is the client's (SO_PEERCRED). Returns 0
 * with *seg filled, or an errno value: EPROTO (bad hello or version
 * mismatch: the welcome says so), ENOMEM, EIO (the client went away).
 * The descriptors passed to the client are ours too; sess_segment_free
 * closes ours.
 */
int sess_attach_serve(int conn, uint64_t size, uint32_t flags, pid_t pid,
		      struct sess_segment *seg);

/* Send a refusal (status = errno value) without a segment. */
void sess_attach_refuse(int conn, int status);

void sess_segment_free(struct sess_segment *seg);

#endif
