/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The attach handshake over a socketpair, both halves for real (no DPDK):
 * lib/session/sess_attach.c serves, lib/sock/attach.c attaches.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sess_attach.h"
#include "sock_priv.h"

#define SEG_SIZE (4u << 20)

struct server {
	int fd;
	int rc;
	struct sess_segment seg;
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	s->rc = sess_attach_serve(s->fd, SEG_SIZE, 0, 4242, &s->seg);
	return NULL;
}

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void
test_attach_ok(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	struct server srv = {.fd = sv[0]};
	pthread_t t;
	pthread_create(&t, NULL, serve, &srv);
	struct cs_seg seg;
	int rc = cs_attach_fd(sv[1], CAV_SHM_VERSION, 0, &seg);
	pthread_join(t, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(srv.rc, 0);
	assert_int_equal(seg.size, SEG_SIZE);
	const struct cav_shm_hdr *h = seg.base;
	assert_int_equal(cav_shm_hdr_check(h, seg.size), CAV_SHM_HDR_OK);
	assert_int_equal(h->client_pid, 4242);
	/* One memory: what the client writes the daemon sees. */
	((uint8_t *)seg.base)[SEG_SIZE - 1] = 0x5a;
	assert_int_equal(((uint8_t *)srv.seg.base)[SEG_SIZE - 1], 0x5a);
	/* The eventfds are the same objects on both sides. */
	uint64_t one = 1, v = 0;
	assert_int_equal(write(srv.seg.wake_fd, &one, 8), 8);
	assert_int_equal(read(seg.wake_fd, &v, 8), 8);
	assert_int_equal(v, 1);
	assert_int_equal(write(seg.bell_fd, &one, 8), 8);
	assert_int_equal(read(srv.seg.bell_fd, &v, 8), 8);
	/* Sealed: the client cannot shrink the segment under the daemon. */
	assert_int_not_equal(ftruncate(seg.mem_fd, 4096), 0);
	assert_int_equal(errno, EPERM);
	cs_seg_close(&seg);
	sess_segment_free(&srv.seg);
	close(sv[0]);
	close(sv[1]);
}

static void
test_version_mismatch_is_eproto(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	struct server srv = {.fd = sv[0]};
	pthread_t t;
	pthread_create(&t, NULL, serve, &srv);
	struct cs_seg seg;
	int rc = cs_attach_fd(sv[1], CAV_SHM_VERSION + 1, 0, &seg);
	pthread_join(t, NULL);
	assert_int_equal(rc, EPROTO);
	assert_int_equal(srv.rc, EPROTO);
	assert_null(seg.base);
	assert_int_equal(seg.mem_fd, -1);
	close(sv[0]);
	close(sv[1]);
}

static void
test_garbage_hello_is_refused(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	struct server srv = {.fd = sv[0]};
	pthread_t t;
	pthread_create(&t, NULL, serve, &srv);
	char junk[16] = "GET / HTTP/1.0\r\n";
	assert_int_equal(write(sv[1], junk, sizeof(junk)), sizeof(junk));
	pthread_join(t, NULL);
	assert_int_equal(srv.rc, EPROTO);
	struct cav_welcome w;
	assert_int_equal(read(sv[1], &w, sizeof(w)), sizeof(w));
	assert_int_equal(w.status, EPROTO);
	close(sv[0]);
	close(sv[1]);
}

static void
test_client_gone_before_hello(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	close(sv[1]);
	struct sess_segment seg;
	assert_int_equal(sess_attach_serve(sv[0], SEG_SIZE, 0, 1, &seg), EIO);
	close(sv[0]);
}

static void
test_refusal_reaches_client(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	sess_attach_refuse(sv[0], EACCES);
	struct cs_seg seg;
	assert_int_equal(cs_attach_fd(sv[1], CAV_SHM_VERSION, 0, &seg), EACCES);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_ok),
		cmocka_unit_test(test_version_mismatch_is_eproto),
		cmocka_unit_test(test_garbage_hello_is_refused),
		cmocka_unit_test(test_client_gone_before_hello),
		cmocka_unit_test(test_refusal_reaches_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
