/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

static void
test_request_round_trip(void **state)
{
	(void)state;
	char *argv[] = {"route", "add", "198.18.0.0/16", "via", "198.18.1.2", ""};
	char buf[256];
	ssize_t n = ctl_request_encode(true, 6, argv, buf, sizeof(buf));
	assert_true(n > 0);
	struct ctl_request *req = malloc(sizeof(*req));
	assert_int_equal(ctl_request_decode(buf, (size_t)n, req), 0);
	assert_true(req->json);
	assert_int_equal(req->argc, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(req->argv[i], argv[i]);
	assert_null(req->argv[6]);
	free(req);
}

static void
test_malformed_requests_are_rejected(void **state)
{
	(void)state;
	struct ctl_request *req = malloc(sizeof(*req));
	static const struct {
		const char *data;
		size_t len;
	} bad[] = {
		{"", 0},
		{"CAV1 0 1\n", 9},               /* argument missing */
		{"CAV1 0 1\nabc", 12},           /* not NUL-terminated */
		{"CAV1 0 1\nabc\0extra", 18},    /* trailing bytes */
		{"CAV2 0 1\nabc\0", 13},         /* wrong magic */
		{"CAV1 2 1\nabc\0", 13},         /* bad json flag */
		{"CAV1 0 0\n", 9},               /* no command */
		{"CAV1 0 999\nabc\0", 15},       /* too many args */
		{"CAV1 0 -1\nabc\0", 14},
		{"CAV1 0 1x\nabc\0", 14},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ctl_request_decode(bad[i].data, bad[i].len, req) != -1)
			fail_msg("case %zu accepted", i);
	free(req);
}

static void
test_json_writer_escapes_and_nests(void **state)
{
	(void)state;
	struct cbuf b;
	cbuf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "name", "a\"b\\c\n\x01");
	jw_arr_begin(&w, "list");
	jw_u64(&w, NULL, 1);
	jw_i64(&w, NULL, -2);
	jw_bool(&w, NULL, true);
	jw_obj_begin(&w, NULL);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_double(&w, "x", 1.5);
	jw_obj_end(&w);
	assert_false(b.oom);
	assert_string_equal(b.data,
			    "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"list\":[1,-2,true,{}],\"x\":1.5}");
	cbuf_free(&b);
}

static int
echo_cmd(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	int *calls = ctx;
	(*calls)++;
	if (argc == 1 && strcmp(argv[0], "fail") == 0)
		return ctl_error(r, EINVAL, "asked to fail");
	if (r->json) {
		jw_arr_begin(&r->jw, NULL);
		for (int i = 0; i < argc; i++)
			jw_str(&r->jw, NULL, argv[i]);
		jw_arr_end(&r->jw);
	} else {
		for (int i = 0; i < argc; i++)
			cbuf_printf(&r->body, "%s%s", i ? " " : "", argv[i]);
		cbuf_printf(&r->body, "\n");
	}
	return 0;
}

static const struct ctl_cmd cmds[] = {{"echo", "echo ARGS", echo_cmd}};

struct call {
	const char *path;
	bool json;
	int argc;
	char **argv;
	int rc;
	int err;
	int status;
	struct cbuf body;
};

static void *
client_thread(void *arg)
{
	struct call *c = arg;
	cbuf_init(&c->body);
	c->rc = ctl_client_call(c->path, c->json, c->argc, c->argv, &c->status, &c->body, 5000);
	c->err = errno;
	return NULL;
}

static void
serve_one(struct ctl_server *s, struct call *c)
{
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, client_thread, c), 0);
	struct pollfd p = {.fd = ctl_server_fd(s), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	ctl_server_poll(s);
	pthread_join(t, NULL);
}

static void
test_server_client_round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/cav_ctl_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/sub/ctl.sock", dir);
	int calls = 0;
	struct ctl_server_conf conf = {
		.path = path, .mode = 0600, .gid = -1, .cmds = cmds, .n_cmds = 1, .ctx = &calls};
	char err[256];
	struct ctl_server *s = ctl_server_create(&conf, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	char *a1[] = {"echo", "hello", "world"};
	struct call c = {.path = path, .argc = 3, .argv = a1};
	serve_one(s, &c);
	if (c.rc != 0)
		fail_msg("client call failed: %s", strerror(c.err));
	assert_int_equal(c.status, 0);
	assert_string_equal(c.body.data, "hello world\n");
	cbuf_free(&c.body);

	struct call j = {.path = path, .json = true, .argc = 3, .argv = a1};
	serve_one(s, &j);
	assert_string_equal(j.body.data, "[\"hello\",\"world\"]");
	cbuf_free(&j.body);

	char *a2[] = {"echo", "fail"};
	struct call f = {.path = path, .argc = 2, .argv = a2};
	serve_one(s, &f);
	assert_int_equal(f.status, EINVAL);
	assert_string_equal(f.body.data, "asked to fail\n");
	cbuf_free(&f.body);

	char *a3[] = {"nope"};
	struct call u = {.path = path, .argc = 1, .argv = a3};
	serve_one(s, &u);
	assert_int_equal(u.status, EOPNOTSUPP);
	assert_non_null(strstr(u.body.data, "unknown command 'nope'"));
	cbuf_free(&u.body);
	assert_int_equal(calls, 3);

	/* A second server on the same live socket is refused (its probe
	 * connection is then served and dropped as malformed). */
	assert_null(ctl_server_create(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	struct pollfd p = {.fd = ctl_server_fd(s), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	ctl_server_poll(s);
	assert_int_equal(calls, 3);

	ctl_server_destroy(s);
	assert_int_equal(stat(path, &st), -1); /* unlinked */

	struct call gone = {.path = path, .argc = 1, .argv = a3};
	client_thread(&gone);
	assert_int_equal(gone.rc, -1);
	assert_int_equal(gone.err, ENOENT);
	cbuf_free(&gone.body);

	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_malformed_requests_are_rejected),
		cmocka_unit_test(test_json_writer_escapes_and_nests),
		cmocka_unit_test(test_server_client_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
