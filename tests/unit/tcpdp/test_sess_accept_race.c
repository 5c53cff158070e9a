/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket slots are taken by two kinds of thread: the main lcore
 * (socket()) and a worker completing a passive open (sess_accept_alloc).
 * Both go through lib/session's allocation lock. Two threads hammer the
 * same client's slots, each claiming every slot it gets in a side table
 * with a compare-and-swap: a slot or socket handed out twice fails the
 * CAS. Also: a client going away (dying) gets no more accepted sockets,
 * and a listener that is not listening (or closed and reused) none.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <rte_malloc.h>

#include "dp.h"
#include "eal_fixture.h"
#include "sess_fixture.h"
#include "sess_priv.h"

#define SEG_SIZE (8u << 20) /* 15 socket slots */
#define ROUNDS 20000

struct fx {
	struct dp_shared sh;
	struct dp_worker wk[2];
	struct sess_worker *sw[2];
	struct sess_table *t;
	struct sess_client *c;
	struct sess_sock *lst;
	void *seg;
	uint32_t slot_owner[CAV_SHM_MAX_SOCKS]; /* 0 free, 1 main, 2 worker */
	uint32_t sock_owner[SESS_MAX_SOCKS];
	int failures;
};

static struct fx F;

static int
setup(void **state)
{
	memset(&F, 0, sizeof(F));
	F.sh.n_workers = 2;
	for (unsigned int i = 0; i < 2; i++) {
		F.sw[i] = rte_zmalloc("sw", sizeof(*F.sw[i]), 64);
		if (F.sw[i] == NULL)
			return -1;
		F.wk[i].id = i;
		F.wk[i].sh = &F.sh;
		F.wk[i].sess = F.sw[i];
		F.sh.workers[i] = &F.wk[i];
	}
	F.t = rte_zmalloc("sess", sizeof(*F.t), 64);
	if (F.t == NULL)
		return -1;
	F.t->sh = &F.sh;
	F.t->n_workers = 2;
	rte_spinlock_init(&F.t->alloc_lock);
	F.seg = aligned_alloc(4096, SEG_SIZE);
	if (F.seg == NULL)
		return -1;
	if (sess_fixture_client(F.t, F.seg, SEG_SIZE, &F.c) != 0)
		return -1;
	/* The listener: slot 0, listening. */
	uint32_t slot;
	if (sess_sock_create(F.t, F.c, CAV_SOCK_STREAM, &slot) != 0)
		return -1;
	F.lst = &F.t->socks[F.c->slot_sock[slot] - 1];
	F.lst->phase = SESS_TCP_LISTEN;
	*state = &F;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(F.c->slot_sock);
	free(F.seg);
	rte_free(F.t);
	rte_free(F.sw[0]);
	rte_free(F.sw[1]);
	return 0;
}

/* Claim what we were given; a double hand-out fails a CAS. */
static bool
claim(struct sess_sock *s, uint32_t who)
{
	uint32_t zero = 0;
	bool ok = __atomic_compare_exchange_n(&F.slot_owner[s->slot], &zero, who, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	zero = 0;
	ok = ok && __atomic_compare_exchange_n(&F.sock_owner[s->id], &zero, who, false,
					       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	if (!ok || F.c->slot_sock[s->slot] != s->id + 1)
		__atomic_add_fetch(&F.failures, 1, __ATOMIC_RELAXED);
	return ok;
}

static void
unclaim(struct sess_sock *s)
{
	__atomic_store_n(&F.sock_owner[s->id], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&F.slot_owner[s->slot], 0, __ATOMIC_RELEASE);
}

static void *
worker_thread(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < ROUNDS; i++) {
		struct sess_sock *s =
			sess_accept_alloc(F.t, F.lst, 1, 0xc6120001, 80, 0xc6120002, (uint16_t)i);
		if (s == NULL)
			continue; /* every slot taken at this instant */
		if (s->owner != 1 || s->phase != SESS_TCP_CONN ||
		    s->shm->tcp_state != SESS_TCP_ST_ESTABLISHED)
			__atomic_add_fetch(&F.failures, 1, __ATOMIC_RELAXED);
		bool mine = claim(s, 2);
		if (mine)
			unclaim(s);
		sess_accept_undo(F.t, s);
	}
	return NULL;
}

static void
test_main_and_worker_never_share_a_slot(void **state)
{
	(void)state;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, worker_thread, NULL), 0);
	unsigned int got = 0;
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint32_t slot;
		int rc = sess_sock_create(F.t, F.c, i & 1 ? CAV_SOCK_STREAM : CAV_SOCK_DGRAM, &slot);
		if (rc != 0) {
			assert_int_equal(rc, EMFILE);
			continue;
		}
		got++;
		struct sess_sock *s = &F.t->socks[F.c->slot_sock[slot] - 1];
		bool mine = claim(s, 1);
		if (mine)
			unclaim(s);
		sess_sock_unpublish(F.t, s);
		sess_sock_free(F.t, s);
	}
	pthread_join(th, NULL);
	assert_int_equal(F.failures, 0);
	assert_true(got > 0);
	/* Everything went back: only the listener holds a slot. */
	unsigned int held = 0;
	for (uint32_t i = 0; i < F.c->n_socks; i++)
		held += F.c->slot_sock[i] != 0;
	assert_int_equal(held, 1);
}

static void
test_accept_refused_for_dying_client_or_dead_listener(void **state)
{
	(void)state;
	struct sess_sock *s = sess_accept_alloc(F.t, F.lst, 0, 1, 2, 3, 4);
	assert_non_null(s);
	assert_int_equal(s->slot_gen, s->shm->gen);
	uint32_t g1 = s->slot_gen;
	sess_accept_undo(F.t, s);
	/* The same slot again: a new generation, so a stale accept record
	 * naming it is recognised. */
	s = sess_accept_alloc(F.t, F.lst, 0, 1, 2, 3, 4);
	assert_non_null(s);
	assert_int_not_equal(s->slot_gen, g1);
	sess_accept_undo(F.t, s);

	F.lst->phase = SESS_TCP_NONE;
	assert_null(sess_accept_alloc(F.t, F.lst, 0, 1, 2, 3, 4));
	F.lst->phase = SESS_TCP_LISTEN;
	F.c->dying = true;
	assert_null(sess_accept_alloc(F.t, F.lst, 0, 1, 2, 3, 4));
	F.c->dying = false;
	F.c->violation = SESS_V_TX_RING;
	assert_null(sess_accept_alloc(F.t, F.lst, 0, 1, 2, 3, 4));
	F.c->violation = SESS_V_NONE;
}

/* The accept queue: records on the listener's RX ring, counted, and none
 * once the listener is closing. */
static void
test_accept_queue_counts_and_stops(void **state)
{
	(void)state;
	cav_shm_sock_ring(&F.lst->rx, F.seg, &F.c->layout, F.lst->slot, 0, 0);
	assert_int_equal(sess_accept_queued(F.lst), 0);
	struct sess_sock *a = sess_accept_alloc(F.t, F.lst, 0, 0xc6120001, 80, 0xc6120002, 5000);
	struct sess_sock *b = sess_accept_alloc(F.t, F.lst, 1, 0xc6120001, 80, 0xc6120002, 5001);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(sess_accept_queue(F.t, F.lst, a), 0);
	assert_int_equal(sess_accept_queue(F.t, F.lst, b), 0);
	assert_int_equal(sess_accept_queued(F.lst), 2);
	/* The client's accept(): the first record names a's slot. */
	struct cav_ring r;
	cav_shm_sock_ring(&r, F.seg, &F.c->layout, F.lst->slot, 0, 0);
	struct cav_dg_hdr h = {0};
	const uint8_t *data = NULL;
	assert_int_equal(cav_dg_peek(&r, &h, &data, 64), CAV_SHM_OK);
	assert_non_null(data);
	struct cav_accept_rec rec;
	memcpy(&rec, data, sizeof(rec));
	assert_int_equal(h.len, sizeof(rec));
	assert_int_equal(rec.slot, a->slot);
	assert_int_equal(rec.gen, a->slot_gen);
	assert_int_equal(h.port, rte_cpu_to_be_16(5000));
	cav_dg_consume(&r, h.len);
	assert_int_equal(sess_accept_queued(F.lst), 1);
	F.lst->acc_dead = true;
	assert_int_equal(sess_accept_queue(F.t, F.lst, a), -1);
	F.lst->acc_dead = false;
	sess_accept_undo(F.t, a);
	sess_accept_undo(F.t, b);
}

/*
 * The RSS check of an active open's port hashes the segment as it will
 * arrive (from the peer to us). Microsoft's RSS verification suite
 * ("Verifying the RSS Hash Calculation"), IPv4 with TCP: destination
 * 161.142.100.80:1766, source 66.9.149.187:2794 hash to 0x51ccc178 with
 * their key; RETA index 0x51ccc178 % 128 = 120.
 */
static void
test_rss_queue_of_the_returning_segment(void **state)
{
	(void)state;
	static const uint8_t key[SESS_RSS_KEY] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
		0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
		0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	static struct sess_rss r;
	memcpy(r.key, key, sizeof(key));
	r.reta_size = 128;
	r.on = true;
	r.reta[120] = 5;
	const uint32_t us = 0xa18e6450, peer = 0x420995bb; /* 161.142.100.80, 66.9.149.187 */
	assert_true(sess_rss_queue_is(&r, us, 1766, peer, 2794, 5));
	assert_false(sess_rss_queue_is(&r, us, 1766, peer, 2794, 0));
	/* The other direction is another hash (this key is not symmetric). */
	assert_false(sess_rss_queue_is(&r, peer, 2794, us, 1766, 5));
}

int
main(void)
{
	if (test_eal_init("sessrace") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_main_and_worker_never_share_a_slot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_accept_refused_for_dying_client_or_dead_listener,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_queue_counts_and_stops, setup, teardown),
		cmocka_unit_test(test_rss_queue_of_the_returning_segment),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_eal_cleanup();
	return rc;
}
