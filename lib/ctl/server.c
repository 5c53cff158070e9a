/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

struct ctl_server {
	int fd;
	struct ctl_server_conf conf;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int
mkdir_p(const char *dir)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Another live daemon answering on `path`? */
static bool
socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return used;
}

bool
ctl_socket_in_use(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return socket_in_use(&sa);
}

struct ctl_server *
ctl_server_create(const struct ctl_server_conf *conf, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(conf->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", conf->path);
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", conf->path);

	char dir[sizeof(sa.sun_path)];
	snprintf(dir, sizeof(dir), "%s", conf->path);
	if (mkdir_p(dirname(dir)) < 0) {
		snprintf(err, errlen, "cannot create directory for %s: %s", conf->path,
			 strerror(errno));
		return NULL;
	}
	if (socket_in_use(&sa)) {
		snprintf(err, errlen, "control socket %s is in use by another daemon",
			 conf->path);
		return NULL;
	}
	unlink(conf->path); /* stale, from a daemon that died */

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	/* Create the file with no access for anyone, then widen it to the
	 * configured mode: no window where it is more open than asked. */
	mode_t old = umask(0777);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || (conf->gid >= 0 && chown(conf->path, (uid_t)-1, (gid_t)conf->gid) < 0) ||
	    chmod(conf->path, conf->mode) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "control socket %s: %s", conf->path, strerror(errno));
		close(fd);
		unlink(conf->path);
		return NULL;
	}
	struct ctl_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		unlink(conf->path);
		return NULL;
	}
	s->fd = fd;
	s->conf = *conf;
	snprintf(s->path, sizeof(s->path), "%s", conf->path);
	s->conf.path = s->path;
	return s;
}

int
ctl_server_fd(const struct ctl_server *s)
{
	return s->fd;
}

static bool
uid_in_group(uid_t uid, gid_t gid)
{
	struct passwd *pw = getpwuid(uid);
	if (pw == NULL)
		return false;
	gid_t groups[64];
	int n = 64;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool
ctl_peer_allowed(const struct ucred *cr, uint32_t mode, int64_t gid)
{
	if (cr->uid == 0 || cr->uid == geteuid() || (mode & 0006) != 0)
		return true;
	if ((mode & 0060) != 0 && gid >= 0)
		return cr->gid == (gid_t)gid || uid_in_group(cr->uid, (gid_t)gid);
	return false;
}

static bool
peer_allowed(const struct ctl_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return ctl_peer_allowed(&cred, s->conf.mode, s->conf.gid);
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* client gone or timed out: drop the reply */
		p += w;
		n -= (size_t)w;
	}
}

static void
serve(struct ctl_server *s, int fd)
{
	/* cavctl sends its request at once: a short timeout keeps a stuck
	 * client from stalling the main lcore (ARP timers, punted packets). */
	struct timeval tv = {.tv_usec = 250000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	struct ctl_reply r = {0};
	cbuf_init(&r.body);
	int status;
	struct ctl_request *req = malloc(sizeof(*req));
	char *in = malloc(CTL_MAX_REQUEST);
	size_t len = 0;

	if (req == NULL || in == NULL) {
		status = ctl_error(&r, ENOMEM, "out of memory");
		goto reply;
	}
	if (!peer_allowed(s, fd)) {
		status = ctl_error(&r, EACCES, "permission denied");
		goto reply;
	}
	/* The client half-closes after its request: read to EOF. */
	for (;;) {
		ssize_t n = recv(fd, in + len, CTL_MAX_REQUEST - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = ctl_error(&r, EIO, "request not received: %s", strerror(errno));
			goto reply;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == CTL_MAX_REQUEST) {
			status = ctl_error(&r, E2BIG, "request too large");
			goto reply;
		}
	}
	if (ctl_request_decode(in, len, req) < 0) {
		status = ctl_error(&r, EPROTO, "malformed request");
		goto reply;
	}
	status = ctl_dispatch(s->conf.cmds, s->conf.n_cmds, s->conf.ctx, req, &r);
reply:;
	char head[16];
	int hn = snprintf(head, sizeof(head), "%d\n", status);
	send_all(fd, head, (size_t)hn);
	if (r.body.len > 0)
		send_all(fd, r.body.data, r.body.len);
	cbuf_free(&r.body);
	free(req);
	free(in);
}

void
ctl_server_poll(struct ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: nothing more pending */
		serve(s, fd);
		close(fd);
	}
}

void
ctl_server_destroy(struct ctl_server *s)
{
	if (s == NULL)
		return;
	close(s->fd);
	unlink(s->path);
	free(s);
}
