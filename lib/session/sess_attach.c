/* SPDX-License-Identifier: BSD-3-Clause */
#include "sess_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int
send_welcome(int conn, int status, uint64_t size, const int *fds, int n_fds)
{
	struct cav_welcome w = {
		.magic = CAV_HELLO_MAGIC,
		.version = CAV_SHM_VERSION,
		.status = status,
		.size = size,
	};
	struct iovec iov = {.iov_base = &w, .iov_len = sizeof(w)};
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)n_fds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)n_fds * sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(conn, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(w) ? 0 : EIO;
}

void
sess_attach_refuse(int conn, int status)
{
	send_welcome(conn, status, 0, NULL, 0);
}

void
sess_segment_free(struct sess_segment *seg)
{
	if (seg->base != NULL && seg->base != MAP_FAILED)
		munmap(seg->base, seg->layout.size);
	seg->base = NULL;
	if (seg->mem_fd >= 0)
		close(seg->mem_fd);
	if (seg->wake_fd >= 0)
		close(seg->wake_fd);
	if (seg->bell_fd >= 0)
		close(seg->bell_fd);
	seg->mem_fd = seg->wake_fd = seg->bell_fd = -1;
}

int
sess_attach_serve(int conn, uint64_t size, uint32_t flags, pid_t pid, struct sess_segment *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->mem_fd = seg->wake_fd = seg->bell_fd = -1;

	struct cav_hello h;
	ssize_t n;
	do
		n = recv(conn, &h, sizeof(h), MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h))
		return EIO;
	if (h.magic != CAV_HELLO_MAGIC) {
		sess_attach_refuse(conn, EPROTO);
		return EPROTO;
	}
	if (h.version != CAV_SHM_VERSION) {
		/* A library built for another layout: refuse before it maps
		 * anything (it reports EPROTO and prints why). */
		sess_attach_refuse(conn, EPROTO);
		return EPROTO;
	}
	seg->client_flags = h.flags;
	if (cav_shm_layout_compute(size, &seg->layout) != 0) {
		sess_attach_refuse(conn, ENOMEM);
		return ENOMEM;
	}
	/* The memfd is sealed against shrinking: a client that truncated it
	 * would make our next access to it a SIGBUS. */
	seg->mem_fd = memfd_create("cavalry-client", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	seg->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	seg->bell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (seg->mem_fd < 0 || seg->wake_fd < 0 || seg->bell_fd < 0 ||
	    ftruncate(seg->mem_fd, (off_t)size) != 0 ||
	    fcntl(seg->mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		goto nomem;
	seg->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, seg->mem_fd, 0);
	if (seg->base == MAP_FAILED) {
		seg->base = NULL;
		goto nomem;
	}
	uint32_t hflags = flags | (h.flags & CAV_SHM_F_BUSY_POLL);
	cav_shm_hdr_init(seg->base, &seg->layout, hflags, (uint32_t)pid);
	int fds[3] = {seg->mem_fd, seg->wake_fd, seg->bell_fd};
	if (send_welcome(conn, 0, size, fds, 3) != 0) {
		sess_segment_free(seg);
		return EIO;
	}
	return 0;
nomem:
	sess_attach_refuse(conn, ENOMEM);
	sess_segment_free(seg);
	return ENOMEM;
}
