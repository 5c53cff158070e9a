/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/shm: datagram and message rings, the layout and the header check.
 * The stress tests run a producer and a consumer thread over one ring and
 * check every item (length, address, port and every byte); the seed is
 * printed so a failure can be replayed (CAV_TEST_SEED).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "shm.h"

struct ring_mem {
	struct cav_ring_idx idx __attribute__((aligned(64)));
	uint8_t data[1 << 16] __attribute__((aligned(64)));
};

static void
mk(struct ring_mem *m, struct cav_ring *p, struct cav_ring *c, uint32_t size)
{
	memset(m, 0, sizeof(*m));
	cav_shm_ring_init(p, &m->idx, m->data, size, 0);
	cav_shm_ring_init(c, &m->idx, m->data, size, 0);
}

static void
test_dg_roundtrip(void **state)
{
	(void)state;
	static struct ring_mem m;
	struct cav_ring p, c;
	mk(&m, &p, &c, 4096);
	struct cav_dg_hdr h = {0};
	const uint8_t *d;
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_EMPTY);
	assert_int_equal(cav_dg_produce(&p, "hello", 5, 0x01020304, 0x1234, 4096), CAV_SHM_OK);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	assert_int_equal(h.len, 5);
	assert_int_equal(h.addr, 0x01020304);
	assert_int_equal(h.port, 0x1234);
	assert_memory_equal(d, "hello", 5);
	/* peek again: same record */
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	cav_dg_consume(&c, h.len);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_EMPTY);
	assert_int_equal(m.idx.cons, m.idx.prod);
}

static void
test_dg_zero_length(void **state)
{
	(void)state;
	static struct ring_mem m;
	struct cav_ring p, c;
	mk(&m, &p, &c, 256);
	struct cav_dg_hdr h = {0};
	const uint8_t *d;
	assert_int_equal(cav_dg_produce(&p, "", 0, 1, 2, 256), CAV_SHM_OK);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 0), CAV_SHM_OK);
	assert_int_equal(h.len, 0);
	cav_dg_consume(&c, 0);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 0), CAV_SHM_EMPTY);
}

static void
test_dg_full_and_wrap_with_pad(void **state)
{
	(void)state;
	static struct ring_mem m;
	struct cav_ring p, c;
	mk(&m, &p, &c, 256);
	uint8_t buf[200];
	memset(buf, 0xab, sizeof(buf));
	struct cav_dg_hdr h = {0};
	const uint8_t *d;
	/* 100 bytes -> 128-byte records: two fill the ring */
	assert_int_equal(cav_dg_produce(&p, buf, 100, 0, 0, 256), CAV_SHM_OK);
	assert_int_equal(cav_dg_produce(&p, buf, 100, 0, 0, 256), CAV_SHM_OK);
	assert_int_equal(cav_dg_produce(&p, buf, 1, 0, 0, 256), CAV_SHM_FULL);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	cav_dg_consume(&c, h.len);
	/* 48 bytes -> 64: fits at offset 0..; then 100 (128) does not fit in
	 * the last 64 bytes before the end: needs a pad, and the room */
	assert_int_equal(cav_dg_produce(&p, buf, 48, 7, 7, 256), CAV_SHM_OK);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	cav_dg_consume(&c, h.len);
	/* ring: used = 64 (the 48-byte one at 0..63); local at 64+...: */
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	assert_int_equal(h.len, 48);
	cav_dg_consume(&c, h.len);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_EMPTY);
	/* producer at 320 (offset 64): a 150-byte record (176) fits before the
	 * end (192 left); then a 100 (128) needs a pad of 16 + wrap */
	assert_int_equal(cav_dg_produce(&p, buf, 150, 0, 0, 256), CAV_SHM_OK);
	/* 16 bytes left before the end, 176 in use: pad + 80 do not fit */
	assert_int_equal(cav_dg_produce(&p, buf, 60, 0, 0, 256), CAV_SHM_FULL);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	assert_int_equal(h.len, 150);
	cav_dg_consume(&c, h.len);
	assert_int_equal(cav_dg_produce(&p, buf, 60, 0, 0, 256), CAV_SHM_OK); /* pad, wrap */
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_OK);
	assert_int_equal(h.len, 60);
	assert_ptr_equal(d, m.data + CAV_DG_HDR); /* wrapped to offset 0 */
	cav_dg_consume(&c, h.len);
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_EMPTY);
}

static void
test_dg_limit_admits_while_below(void **state)
{
	(void)state;
	static struct ring_mem m;
	struct cav_ring p, c;
	mk(&m, &p, &c, 4096);
	uint8_t buf[1000] = {0};
	/* limit 100: the first datagram always goes in (Linux's rmem check
	 * happens before adding), the second not */
	assert_int_equal(cav_dg_produce(&p, buf, 1000, 0, 0, 100), CAV_SHM_OK);
	assert_int_equal(cav_dg_produce(&p, buf, 10, 0, 0, 100), CAV_SHM_FULL);
}

static void
test_dg_consumer_rejects_corruption(void **state)
{
	(void)state;
	static struct ring_mem m;
	struct cav_ring p, c;
	struct cav_dg_hdr h = {0};
	const uint8_t *d;
	mk(&m, &p, &c, 1024);
	/* prod more than a ring ahead */
	m.idx.prod = 2048;
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_CORRUPT);
	/* prod behind cons (negative distance) */
	mk(&m, &p, &c, 1024);
	c.local = 64;
	m.idx.prod = 32;
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_CORRUPT);
	/* a length past what was published */
	mk(&m, &p, &c, 1024);
	assert_int_equal(cav_dg_produce(&p, "abcd", 4, 0, 0, 1024), CAV_SHM_OK);
	struct cav_dg_hdr bad = {.len = 500};
	memcpy(m.data, &bad, sizeof(bad));
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_CORRUPT);
	/* a length above the maximum */
	bad.len = 4;
	memcpy(m.data, &bad, sizeof(bad));
	assert_int_equal(cav_dg_peek(&c, &h, &d, 3), CAV_SHM_CORRUPT);
	/* unknown flags */
	bad.flags = 0x80;
	memcpy(m.data, &bad, sizeof(bad));
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_CORRUPT);
	/* a pad that does not end at the ring's end */
	bad.flags = CAV_DG_PAD;
	bad.len = 0;
	memcpy(m.data, &bad, sizeof(bad));
	assert_int_equal(cav_dg_peek(&c, &h, &d, 65507), CAV_SHM_CORRUPT);
	/* producer side: a consumer index ahead of the producer */
	mk(&m, &p, &c, 1024);
	m.idx.cons = 512;
	int st;
	assert_null(cav_dg_reserve(&p, 4, 1024, &st));
	assert_int_equal(st, CAV_SHM_CORRUPT);
}

static void
test_msg_ring(void **state)
{
	(void)state;
	static struct {
		struct cav_ring_idx idx;
		struct cav_msg slots[4];
	} m;
	memset(&m, 0, sizeof(m));
	struct cav_ring p, c;
	cav_shm_ring_init(&p, &m.idx, (uint8_t *)m.slots, 4, 0);
	cav_shm_ring_init(&c, &m.idx, (uint8_t *)m.slots, 4, 0);
	struct cav_msg in = {0}, out;
	for (uint32_t i = 0; i < 4; i++) {
		in.seq = i;
		assert_int_equal(cav_msg_push(&p, &in), CAV_SHM_OK);
	}
	assert_int_equal(cav_msg_push(&p, &in), CAV_SHM_FULL);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(cav_msg_pop(&c, &out), CAV_SHM_OK);
		assert_int_equal(out.seq, i);
	}
	assert_int_equal(cav_msg_pop(&c, &out), CAV_SHM_EMPTY);
	m.idx.prod = 100;
	assert_int_equal(cav_msg_pop(&c, &out), CAV_SHM_CORRUPT);
}

static void
test_layout_and_header(void **state)
{
	(void)state;
	struct cav_shm_layout l;
	assert_int_equal(cav_shm_layout_compute(1 << 20, &l), 0); /* 1 MiB: 1 socket */
	assert_int_equal(l.n_socks, 1);
	assert_int_equal(cav_shm_layout_compute(64 << 10, &l), -1);
	assert_int_equal(cav_shm_layout_compute(16u << 20, &l), 0);
	assert_true(l.n_socks >= 30);
	assert_true(l.data_off + (uint64_t)l.n_socks * (CAV_SHM_RX_RING + CAV_SHM_TX_RING) <=
		    l.size);
	assert_true(l.req_off >= sizeof(struct cav_shm_hdr));
	assert_true(l.socks_off >= l.resp_off + cav_shm_msg_ring_bytes(CAV_SHM_MSG_SLOTS));

	size_t sz = 4u << 20;
	uint8_t *seg = calloc(1, sz);
	assert_non_null(seg);
	struct cav_shm_hdr *h = (struct cav_shm_hdr *)seg;
	assert_int_equal(cav_shm_hdr_check(h, sz), CAV_SHM_HDR_BAD_MAGIC);
	assert_int_equal(cav_shm_layout_compute(sz, &l), 0);
	cav_shm_hdr_init(h, &l, 0, 42);
	assert_int_equal(cav_shm_hdr_check(h, sz), CAV_SHM_HDR_OK);
	assert_int_equal(cav_shm_hdr_check(h, sz - 4096), CAV_SHM_HDR_BAD_LAYOUT);
	h->version = CAV_SHM_VERSION + 1;
	assert_int_equal(cav_shm_hdr_check(h, sz), CAV_SHM_HDR_BAD_VERSION);
	h->version = CAV_SHM_VERSION;
	h->data_off += 4096;
	assert_int_equal(cav_shm_hdr_check(h, sz), CAV_SHM_HDR_BAD_LAYOUT);
	free(seg);
}

/* ---- two-thread stress ---- */

struct stress {
	struct cav_ring prod, cons;
	uint64_t n;
	uint32_t max_len;
	uint32_t seed;
	uint64_t errors;
	uint64_t full;
};

static uint32_t
xorshift(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Item i: length and contents derived from (seed, i), so the consumer can
 * check every byte without sharing anything else with the producer. */
static uint32_t
item_len(uint32_t seed, uint64_t i, uint32_t max_len)
{
	uint32_t s = seed ^ (uint32_t)(i * 2654435761u) ^ 0x9e3779b9u;
	if (s == 0)
		s = 1;
	return xorshift(&s) % (max_len + 1);
}

static uint8_t
item_byte(uint64_t i, uint32_t k)
{
	return (uint8_t)(i * 31 + k * 7 + (k >> 8));
}

static void *
producer(void *arg)
{
	struct stress *s = arg;
	static uint8_t buf[CAV_UDP_MAX_PAYLOAD];
	for (uint64_t i = 0; i < s->n; i++) {
		uint32_t len = item_len(s->seed, i, s->max_len);
		for (uint32_t k = 0; k < len; k++)
			buf[k] = item_byte(i, k);
		int st;
		while ((st = cav_dg_produce(&s->prod, buf, len, (uint32_t)i, (uint16_t)i,
					    s->prod.size)) == CAV_SHM_FULL)
			s->full++;
		if (st != CAV_SHM_OK) {
			s->errors++;
			return NULL;
		}
	}
	return NULL;
}

static void *
consumer(void *arg)
{
	struct stress *s = arg;
	for (uint64_t i = 0; i < s->n;) {
		struct cav_dg_hdr h;
		const uint8_t *d;
		int st = cav_dg_peek(&s->cons, &h, &d, s->max_len);
		if (st == CAV_SHM_EMPTY)
			continue;
		if (st != CAV_SHM_OK) {
			s->errors++;
			return NULL;
		}
		uint32_t len = item_len(s->seed, i, s->max_len);
		if (h.len != len || h.addr != (uint32_t)i || h.port != (uint16_t)i) {
			s->errors++;
			return NULL;
		}
		for (uint32_t k = 0; k < len; k++)
			if (d[k] != item_byte(i, k)) {
				s->errors++;
				return NULL;
			}
		cav_dg_consume(&s->cons, h.len);
		i++;
	}
	return NULL;
}

static uint32_t
test_seed(void)
{
	const char *e = getenv("CAV_TEST_SEED");
	uint32_t seed = e != NULL ? (uint32_t)strtoul(e, NULL, 0) : (uint32_t)time(NULL);
	return seed == 0 ? 1 : seed;
}

static void
stress_run(uint32_t ring_size, uint32_t max_len, uint64_t n)
{
	struct cav_ring_idx *idx = aligned_alloc(64, sizeof(*idx));
	uint8_t *data = aligned_alloc(64, ring_size);
	assert_non_null(idx);
	assert_non_null(data);
	memset(idx, 0, sizeof(*idx));
	/* Start near the 32-bit wrap of the free-running indices. */
	uint32_t start = UINT32_MAX - 3 * ring_size + 16 * 5;
	start &= ~(CAV_DG_ALIGN - 1);
	idx->prod = idx->cons = start;
	struct stress s = {.n = n, .max_len = max_len, .seed = test_seed()};
	print_message("stress: ring %u, max %u bytes, %lu items, seed %u\n", ring_size, max_len,
		      (unsigned long)n, s.seed);
	cav_shm_ring_init(&s.prod, idx, data, ring_size, start);
	cav_shm_ring_init(&s.cons, idx, data, ring_size, start);
	pthread_t a, b;
	assert_int_equal(pthread_create(&a, NULL, producer, &s), 0);
	assert_int_equal(pthread_create(&b, NULL, consumer, &s), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(s.errors, 0);
	assert_int_equal(idx->prod, idx->cons);
	free(idx);
	free(data);
}

static void
test_stress_small(void **state)
{
	(void)state;
	stress_run(4096, 300, 1000000);
}

static void
test_stress_large(void **state)
{
	(void)state;
	stress_run(CAV_SHM_RX_RING, CAV_UDP_MAX_PAYLOAD, 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dg_roundtrip),
		cmocka_unit_test(test_dg_zero_length),
		cmocka_unit_test(test_dg_full_and_wrap_with_pad),
		cmocka_unit_test(test_dg_limit_admits_while_below),
		cmocka_unit_test(test_dg_consumer_rejects_corruption),
		cmocka_unit_test(test_msg_ring),
		cmocka_unit_test(test_layout_and_header),
		cmocka_unit_test(test_stress_small),
		cmocka_unit_test(test_stress_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
