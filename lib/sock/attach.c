/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sock_priv.h"

void
cs_seg_close(struct cs_seg *seg)
{
	if (seg->base != NULL)
		munmap(seg->base, seg->size);
	seg->base = NULL;
	int *fds[] = {&seg->mem_fd, &seg->wake_fd, &seg->bell_fd};
	for (unsigned int i = 0; i < 3; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

int
cs_attach_fd(int conn, uint32_t version, uint32_t flags, struct cs_seg *seg)
{
	seg->conn = conn;
	seg->mem_fd = seg->wake_fd = seg->bell_fd = -1;
	seg->base = NULL;
	struct cav_hello h = {.magic = CAV_HELLO_MAGIC, .version = version, .flags = flags};
	ssize_t n;
	do
		n = send(conn, &h, sizeof(h), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h))
		return EIO;

	struct cav_welcome w;
	struct iovec iov = {.iov_base = &w, .iov_len = sizeof(w)};
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	do
		n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	int fds[3] = {-1, -1, -1};
	int n_fds = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (n_fds < 3)
					fds[n_fds++] = fd;
				else
					close(fd);
			}
		}
	seg->mem_fd = fds[0];
	seg->wake_fd = fds[1];
	seg->bell_fd = fds[2];
	if (n != (ssize_t)sizeof(w) || w.magic != CAV_HELLO_MAGIC) {
		cs_seg_close(seg);
		return n == 0 ? ECONNRESET : EPROTO;
	}
	if (w.status != 0) {
		cs_seg_close(seg);
		return w.status > 0 ? w.status : EPROTO;
	}
	if (w.version != version || n_fds != 3) {
		cs_seg_close(seg);
		return EPROTO;
	}
	struct stat st;
	if (fstat(seg->mem_fd, &st) != 0 || (uint64_t)st.st_size != w.size) {
		cs_seg_close(seg);
		return EPROTO;
	}
	seg->size = w.size;
	seg->base = mmap(NULL, seg->size, PROT_READ | PROT_WRITE, MAP_SHARED, seg->mem_fd, 0);
	if (seg->base == MAP_FAILED) {
		seg->base = NULL;
		cs_seg_close(seg);
		return ENOMEM;
	}
	if (cav_shm_hdr_check(seg->base, seg->size) != CAV_SHM_HDR_OK) {
		cs_seg_close(seg);
		return EPROTO;
	}
	return 0;
}
