/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

ssize_t
ctl_request_encode(bool json, int argc, char *const argv[], char *out, size_t outlen)
{
	if (argc < 0 || argc > CTL_MAX_ARGS)
		return -1;
	int n = snprintf(out, outlen, "CAV1 %d %d\n", json ? 1 : 0, argc);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	size_t used = (size_t)n;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (used + l > outlen)
			return -1;
		memcpy(out + used, argv[i], l);
		used += l;
	}
	return (ssize_t)used;
}

int
ctl_request_decode(const char *in, size_t len, struct ctl_request *req)
{
	if (len > sizeof(req->buf))
		return -1;
	memcpy(req->buf, in, len);
	char *nl = memchr(req->buf, '\n', len < 32 ? len : 32);
	if (nl == NULL)
		return -1;
	*nl = '\0';
	int json, argc;
	char tail;
	if (sscanf(req->buf, "CAV1 %d %d%c", &json, &argc, &tail) != 2)
		return -1;
	if ((json != 0 && json != 1) || argc < 1 || argc > CTL_MAX_ARGS)
		return -1;
	req->json = json;
	req->argc = argc;
	char *p = nl + 1;
	char *end = req->buf + len;
	for (int i = 0; i < argc; i++) {
		char *z = memchr(p, '\0', (size_t)(end - p));
		if (z == NULL)
			return -1;
		req->argv[i] = p;
		p = z + 1;
	}
	if (p != end)
		return -1;
	req->argv[argc] = NULL;
	return 0;
}

int
ctl_error(struct ctl_reply *r, int err, const char *fmt, ...)
{
	cbuf_reset(&r->body);
	va_list ap;
	va_start(ap, fmt);
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cbuf_printf(&r->body, "%s\n", msg);
	return err;
}

int
ctl_dispatch(const struct ctl_cmd *cmds, unsigned int n_cmds, void *ctx, struct ctl_request *req,
	     struct ctl_reply *r)
{
	r->json = req->json;
	jw_init(&r->jw, &r->body);
	if (strcmp(req->argv[0], "help") == 0) {
		for (unsigned int i = 0; i < n_cmds; i++)
			cbuf_printf(&r->body, "%s\n", cmds[i].usage);
		return 0;
	}
	for (unsigned int i = 0; i < n_cmds; i++) {
		if (strcmp(cmds[i].name, req->argv[0]) != 0)
			continue;
		int rc = cmds[i].fn(ctx, req->argc - 1, req->argv + 1, r);
		if (rc == 0 && r->body.oom)
			rc = ctl_error(r, ENOMEM, "reply too large");
		return rc;
	}
	return ctl_error(r, EOPNOTSUPP, "unknown command '%s' (try 'help')", req->argv[0]);
}
