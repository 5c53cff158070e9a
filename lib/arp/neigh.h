/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NEIGH_H
#define CAV_NEIGH_H

/*
 * The neighbour (ARP) cache, RFC 826 with Linux's states and timers.
 *
 * One writer, the main lcore (which runs every ARP packet and every timer),
 * and lock-free readers, the workers (neigh_lookup on the output path). Keys
 * are (port, IPv4) in an rte_hash with lock-free read concurrency; an entry's
 * MAC and state are published together in one 64-bit word, so a reader never
 * sees a MAC from one update with the state of another.
 *
 * The state machine itself (neigh_sm.c) is pure: it takes `now` and returns
 * what to do (send a request, flush or drop held packets), so unit tests run
 * it on a fake clock.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "neigh_sm.h"


struct neigh_table;

/* ---- worker side ---- */

/*
 * The MAC for (port, ip), if the entry is usable (REACHABLE, STALE, PROBE or
 * PERMANENT). A use of a STALE entry is recorded (one relaxed store) so that
 * the control plane re-probes it, as Linux moves STALE to DELAY on use.
 */
bool neigh_lookup(struct neigh_table *t, uint16_t port, uint32_t ip, struct rte_ether_addr *mac);


/* ---- control side (main lcore) ---- */

#include <stddef.h>

struct rte_mbuf;
struct rte_rcu_qsbr;

#define NEIGH_MAX 4096
#define NEIGH_HOLD_MAX 16    /* packets held per unresolved neighbour */
#define NEIGH_HOLD_TOTAL 1024 /* packets held in all */

struct neigh_entry {
	/* Published to workers: MAC in bits 0..47, state in 48..55. */
	uint64_t pub;
	/* Set by a worker that used the entry while STALE (relaxed). */
	uint8_t used;
	bool is_static;
	uint16_t port;
	uint32_t ip;
	struct neigh_sm sm;
	struct rte_ether_addr mac;
	unsigned int n_hold;
	struct rte_mbuf *hold[NEIGH_HOLD_MAX];
};

struct neigh_table {
	struct rte_hash *hash;
	struct rte_rcu_qsbr *rcu;
	struct neigh_params params;
	unsigned int n_hold; /* all entries */
	struct neigh_entry entries[NEIGH_MAX];
};

struct neigh_table *neigh_table_create(struct rte_rcu_qsbr *rcu, int socket, char *err,
				       size_t errlen);
/* Frees held packets too. */
void neigh_table_free(struct neigh_table *t);

/* The entry for (port, ip), or NULL. */
struct neigh_entry *neigh_find(struct neigh_table *t, uint16_t port, uint32_t ip);
/* Find or create (state NONE). NULL when the table is full. */
struct neigh_entry *neigh_get(struct neigh_table *t, uint16_t port, uint32_t ip);
/* Make the entry's MAC and state visible to workers. */
void neigh_publish(struct neigh_entry *e);
/* Remove after a grace period (the caller has dealt with held packets). */
void neigh_delete(struct neigh_table *t, struct neigh_entry *e);

/* Visit every entry; fn returns non-zero to stop. */
void neigh_foreach(struct neigh_table *t, int (*fn)(struct neigh_entry *e, void *arg), void *arg);

#endif
