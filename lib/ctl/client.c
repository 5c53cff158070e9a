/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static int
wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int rc;
	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

int
ctl_client_call(const char *path, bool json, int argc, char *const argv[], int *status,
		struct cbuf *body, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);

	char *req = malloc(CTL_MAX_REQUEST);
	if (req == NULL)
		return -1;
	ssize_t len = ctl_request_encode(json, argc, argv, req, CTL_MAX_REQUEST);
	if (len < 0) {
		free(req);
		errno = E2BIG;
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		free(req);
		errno = e;
		return -1;
	}
	size_t off = 0;
	while (off < (size_t)len) {
		if (wait_fd(fd, POLLOUT, timeout_ms) < 0)
			goto fail;
		ssize_t w = send(fd, req + off, (size_t)len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);

	struct cbuf all;
	cbuf_init(&all);
	char chunk[4096];
	for (;;) {
		if (wait_fd(fd, POLLIN, timeout_ms) < 0) {
			cbuf_free(&all);
			goto fail;
		}
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cbuf_free(&all);
			goto fail;
		}
		if (n == 0)
			break;
		cbuf_put(&all, chunk, (size_t)n);
	}
	close(fd);
	free(req);
	char *nl = all.data != NULL ? memchr(all.data, '\n', all.len) : NULL;
	if (all.oom || nl == NULL) {
		cbuf_free(&all);
		errno = EPROTO;
		return -1;
	}
	*status = atoi(all.data);
	cbuf_put(body, nl + 1, all.len - (size_t)(nl + 1 - all.data));
	cbuf_free(&all);
	return 0;
fail:;
	int e = errno;
	close(fd);
	free(req);
	errno = e;
	return -1;
}
