/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAVALRY_SOCK_H
#define CAVALRY_SOCK_H

/**
 * @file cavalry/sock.h
 * libcavsock: POSIX-shaped sockets served by cavalryd over shared memory.
 *
 * A process attaches on its first call: it connects to the daemon's unix
 * socket ($CAVSOCK_PATH, default /run/cavalry/app.sock), and maps the
 * segment the daemon created for it. No DPDK, no hugepages, no root.
 *
 * Descriptors returned by cav_socket() are numbers >= CAV_FD_BASE: they
 * never collide with the kernel's, and work only with cav_* calls.
 *
 * Errors: -1 with errno set as Linux would set it for the same call on a
 * kernel UDP socket. When the daemon stops or dies, calls blocked in the
 * library return (recv: ECONNRESET, send: EPIPE, others: ENOTCONN) and
 * every later call fails the same way; nothing ever hangs on a dead daemon.
 *
 * Environment:
 *  - CAVSOCK_PATH        the daemon's app socket (config key app_socket)
 *  - CAVSOCK_BUSY_POLL=1 never sleep: blocking calls spin (one CPU each)
 *  - CAVSOCK_SPIN_US     how long a blocking call spins before it sleeps
 *                        (default 20)
 *
 * Thread safety: every function may be called from any thread. Calls on
 * one socket are serialised per direction (one sender and one receiver at
 * a time); control calls (socket, bind, connect, setsockopt, close) are
 * serialised per process.
 */

#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Descriptors of Cavalry sockets start here. */
#define CAV_FD_BASE 0x40000000

/** Largest datagram payload: 65,535 - 20 (IPv4) - 8 (UDP). */
#define CAV_UDP_MAX 65507

/**
 * Create a socket. Only (AF_INET, SOCK_DGRAM, 0 or IPPROTO_UDP); the type
 * may carry SOCK_NONBLOCK (SOCK_CLOEXEC is accepted and ignored).
 * Attaches to the daemon on the first call.
 * @return a descriptor >= CAV_FD_BASE, or -1 with errno:
 *   EAFNOSUPPORT (domain not AF_INET), EPROTONOSUPPORT / EINVAL (type or
 *   protocol), EMFILE (the segment's socket slots are all in use), ENFILE
 *   (the daemon's table is full), ECONNREFUSED / ENOENT / EACCES (cannot
 *   reach the daemon's app socket), EPROTO (the daemon speaks another
 *   layout version; a message is printed on stderr once), ENOTCONN (the
 *   daemon went away).
 */
int cav_socket(int domain, int type, int protocol);

/**
 * Bind to a local address and port. Port 0 picks an ephemeral port
 * (32768-60999), INADDR_ANY every local address.
 * @return 0, or -1 with errno: EBADF, EINVAL (already bound, bad length),
 *   EAFNOSUPPORT (not AF_INET), EADDRINUSE, EACCES (port < 1024 and the
 *   process is not root), EADDRNOTAVAIL (not an address of the daemon),
 *   ENOTCONN (daemon gone).
 */
int cav_bind(int fd, const struct sockaddr *addr, socklen_t len);

/**
 * Set the default peer (binding to an ephemeral port first if needed);
 * datagrams from other peers are no longer received. AF_UNSPEC dissolves
 * the association.
 * @return 0, or -1 with errno: EBADF, EINVAL, EAFNOSUPPORT, ENETUNREACH (no
 *   route), EADDRINUSE (no ephemeral port), ENOTCONN (daemon gone).
 */
int cav_connect(int fd, const struct sockaddr *addr, socklen_t len);

/**
 * Send one datagram to `to` (or to the connected peer if `to` is NULL).
 * flags: MSG_DONTWAIT (others: EOPNOTSUPP). Blocks while the send buffer
 * (SO_SNDBUF) is full unless non-blocking.
 * @return len, or -1 with errno: EBADF, EMSGSIZE (len > CAV_UDP_MAX),
 *   EDESTADDRREQ (no `to` and not connected), EAFNOSUPPORT, EINVAL,
 *   EAGAIN (non-blocking, buffer full), ECONNREFUSED and other errors an
 *   ICMP message reported for a connected socket (SO_ERROR, cleared),
 *   EPIPE (daemon gone), EOPNOTSUPP (flags).
 */
ssize_t cav_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		   socklen_t tolen);

/** cav_sendto() to the connected peer. Same errors. */
ssize_t cav_send(int fd, const void *buf, size_t len, int flags);

/**
 * Receive one datagram. flags: MSG_DONTWAIT, MSG_PEEK (leave it queued),
 * MSG_TRUNC (return the datagram's real length even if it was cut).
 * A datagram longer than len is cut (the rest is lost, as on Linux).
 * @return the bytes copied (or the real length with MSG_TRUNC), or -1 with
 *   errno: EBADF, EAGAIN (non-blocking, nothing queued), ECONNREFUSED and
 *   other errors an ICMP message reported (SO_ERROR, cleared),
 *   ECONNRESET (daemon gone), EOPNOTSUPP (other flags).
 */
ssize_t cav_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		     socklen_t *fromlen);

/** cav_recvfrom() without the source address. Same errors. */
ssize_t cav_recv(int fd, void *buf, size_t len, int flags);

/**
 * The local address (0.0.0.0:0 before bind).
 * @return 0, or -1 with errno EBADF, EINVAL (len NULL).
 */
int cav_getsockname(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * The connected peer.
 * @return 0, or -1 with errno EBADF, EINVAL, ENOTCONN (not connected).
 */
int cav_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * SOL_SOCKET options SO_RCVBUF, SO_SNDBUF (doubled and clamped as Linux
 * does; the ceiling is the shared ring, 256 KiB), SO_REUSEADDR.
 * @return 0, or -1 with errno: EBADF, EINVAL (value length), ENOPROTOOPT
 *   (other level or option), ENOTCONN (daemon gone).
 */
int cav_setsockopt(int fd, int level, int name, const void *val, socklen_t len);

/**
 * SO_RCVBUF, SO_SNDBUF, SO_REUSEADDR, SO_ERROR (returns and clears the
 * pending error), SO_TYPE, SO_DOMAIN, SO_PROTOCOL.
 * @return 0, or -1 with errno: EBADF, EINVAL, ENOPROTOOPT.
 */
int cav_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/**
 * F_GETFL / F_SETFL (O_NONBLOCK only); F_GETFD / F_SETFD accepted (no
 * effect: the descriptors are not the kernel's).
 * @return the flags, 0, or -1 with errno EBADF, EINVAL.
 */
int cav_fcntl(int fd, int cmd, ... /* int arg */);

/**
 * Close the socket: its port is free again at once.
 * @return 0, or -1 with errno EBADF. After the daemon went away it
 *   still releases the descriptor and returns 0.
 */
int cav_close(int fd);

/**
 * poll(2) over Cavalry sockets and kernel descriptors mixed: POLLIN,
 * POLLOUT, POLLERR (a pending SO_ERROR), POLLHUP (daemon gone); POLLNVAL
 * for a closed Cavalry descriptor. timeout in ms, -1 forever.
 * @return the number of entries with revents, 0 on timeout, -1 with errno
 *   EINVAL, EINTR (from the kernel's poll).
 */
int cav_poll(struct pollfd *fds, nfds_t nfds, int timeout);

/**
 * An epoll instance for Cavalry sockets and kernel descriptors mixed: a
 * kernel epoll descriptor (close it with close(2) or cav_close). flags:
 * EPOLL_CLOEXEC.
 * @return the descriptor, or -1 with errno EINVAL, EMFILE, ENOMEM, and
 *   the attach errors of cav_socket().
 */
int cav_epoll_create1(int flags);

/**
 * Add, modify or remove `fd` (Cavalry or kernel) in `epfd`. Cavalry
 * sockets support EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLET
 * (level-triggered without it); kernel descriptors anything epoll does.
 * @return 0, or -1 with errno: EBADF, EEXIST, ENOENT, EINVAL, ENOMEM.
 */
int cav_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);

/**
 * Wait for events on `epfd` (timeout in ms, -1 forever).
 * @return the number of events, 0 on timeout, -1 with errno EBADF,
 *   EINVAL, EINTR.
 */
int cav_epoll_wait(int epfd, struct epoll_event *evs, int maxevents, int timeout);

/**
 * A kernel descriptor for the application's own event loop: it becomes
 * readable whenever a Cavalry socket of this process may have become
 * ready (data, room, an error, the daemon gone). Put it in your epoll or
 * poll set (EPOLLIN); when it fires, service the Cavalry sockets with
 * non-blocking calls or cav_epoll_wait(..., 0): those calls re-arm it.
 * From the first call on, the daemon signals it on every change (a system
 * call per event on the daemon's side, the price of sleeping in someone
 * else's loop). Do not read or close it.
 * @return the descriptor, or -1 with the attach errors of cav_socket().
 */
int cav_epoll_fd(void);

/** Is `fd` a (possibly closed) Cavalry descriptor number? */
int cav_is_fd(int fd);

#ifdef __cplusplus
}
#endif

#endif
