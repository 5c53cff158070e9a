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
 * Sockets: UDP (SOCK_DGRAM) and TCP (SOCK_STREAM) over IPv4.
 *
 * Errors: -1 with errno set as Linux would set it for the same call on a
 * kernel socket of the same type. When the daemon stops or dies, calls
 * blocked in the library return (recv: ECONNRESET, send: EPIPE, accept:
 * ECONNABORTED, others: ENOTCONN) and every later call fails the same
 * way; nothing ever hangs on a dead daemon.
 *
 * Environment:
 *  - CAVSOCK_PATH        the daemon's app socket (config key app_socket)
 *  - CAVSOCK_BUSY_POLL=1 never sleep: blocking calls spin (one CPU each)
 *  - CAVSOCK_SPIN_US     how long a blocking call spins before it sleeps
 *                        (default 20)
 *
 * Thread safety: every function may be called from any thread. Calls on
 * one socket are serialised per direction (one sender and one receiver at
 * a time; accept() counts as a receiver); control calls (socket, bind,
 * connect, listen, shutdown, setsockopt, close) are serialised per process.
 *
 * Not supported on stream sockets: urgent data (MSG_OOB: EOPNOTSUPP on
 * send, EINVAL on recv), SO_RCVLOWAT / SO_SNDLOWAT, SO_RCVTIMEO /
 * SO_SNDTIMEO, TCP_CORK (MSG_MORE is accepted and ignored),
 * connect(AF_UNSPEC) to dissolve a connection, TCP Fast Open, signals
 * interrupting a blocked call (no EINTR: a blocked call waits on).
 */

#include <netinet/in.h>
#include <netinet/tcp.h>
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
 * Create a socket: (AF_INET, SOCK_DGRAM, 0 or IPPROTO_UDP) or (AF_INET,
 * SOCK_STREAM, 0 or IPPROTO_TCP); the type may carry SOCK_NONBLOCK
 * (SOCK_CLOEXEC is accepted and ignored). Attaches to the daemon on the
 * first call.
 * @return a descriptor >= CAV_FD_BASE, or -1 with errno:
 *   EAFNOSUPPORT (domain not AF_INET), EPROTONOSUPPORT (protocol),
 *   ESOCKTNOSUPPORT (another socket type), EINVAL (no such type), EMFILE
 *   (the segment's socket slots are all in use), ENFILE (the daemon's
 *   table is full), ECONNREFUSED / ENOENT / EACCES (cannot reach the
 *   daemon's app socket), EPROTO (the daemon speaks another layout
 *   version; a message is printed on stderr once), ENOTCONN (the daemon
 *   went away).
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
 * Datagram socket: set the default peer (binding to an ephemeral port
 * first if needed); datagrams from other peers are no longer received.
 * AF_UNSPEC dissolves the association.
 *
 * Stream socket: open a TCP connection (an ephemeral port and the source
 * address of the route if unbound). Blocking: waits until the handshake
 * completes or fails. Non-blocking: EINPROGRESS; the socket becomes
 * writable (POLLOUT / EPOLLOUT) when connected, or reports POLLERR with
 * the reason in SO_ERROR; a second connect() meanwhile is EALREADY, and
 * once the handshake is over reports its outcome (0, or the error) as
 * Linux does. After a failure the socket may connect again.
 * @return 0, or -1 with errno: EBADF, EINVAL, EAFNOSUPPORT, ENETUNREACH (no
 *   route, or an ICMP network unreachable), EADDRNOTAVAIL, EADDRINUSE (no
 *   ephemeral port), ENOTCONN (daemon gone); stream sockets also
 *   EINPROGRESS, EALREADY, EISCONN (connected, or a listener),
 *   ECONNREFUSED (the peer answered RST), ETIMEDOUT (no answer),
 *   EHOSTUNREACH, ECONNRESET, ECONNABORTED (the error was already taken
 *   with SO_ERROR), EOPNOTSUPP (AF_UNSPEC).
 */
int cav_connect(int fd, const struct sockaddr *addr, socklen_t len);

/**
 * Stream socket: accept connections, at most `backlog` of them waiting
 * (clamped to 4096 as Linux's somaxconn; a negative value means the
 * maximum). Unbound: an ephemeral port. Calling it again on a listener
 * changes the backlog. Completed connections queue in shared memory:
 * accept() needs no round trip to the daemon.
 * @return 0, or -1 with errno: EBADF, EOPNOTSUPP (a datagram socket),
 *   EINVAL (connected or connecting), EADDRINUSE, ENOTCONN (daemon gone).
 */
int cav_listen(int fd, int backlog);

/**
 * Take a connection from a listener's queue; `addr`/`len` (both may be
 * NULL) receive the peer. The new socket is blocking, connected, and
 * inherits SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE, SO_LINGER, TCP_NODELAY,
 * TCP_MAXSEG, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, TCP_USER_TIMEOUT and
 * TCP_CONGESTION from the listener. Blocks while the queue is empty unless
 * the listener is non-blocking.
 * @return the new descriptor, or -1 with errno: EBADF, EOPNOTSUPP (a
 *   datagram socket), EINVAL (not listening), EAGAIN (non-blocking, queue
 *   empty), EFAULT (addr without len), ECONNABORTED (daemon gone), EIO
 *   (the queue is corrupt).
 */
int cav_accept(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * cav_accept() with flags for the new socket: SOCK_NONBLOCK (SOCK_CLOEXEC
 * is accepted and ignored). Same errors, and EINVAL for other flags.
 */
int cav_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/**
 * Stream socket: shut down reading (SHUT_RD: recv returns 0 once the
 * queued bytes are read; the peer is not told, as on Linux), writing
 * (SHUT_WR: a FIN follows the bytes already sent; later sends fail with
 * EPIPE) or both. On a connect() in progress it aborts the attempt; on a
 * listener SHUT_RD stops it (where the daemon supports it).
 * Datagram socket: accepted on a connected socket, no effect.
 * @return 0, or -1 with errno: EBADF, EINVAL (how), ENOTCONN (not
 *   connected; Linux still records the shutdown, and so do we).
 */
int cav_shutdown(int fd, int how);

/**
 * Datagram socket: send one datagram to `to` (or to the connected peer if
 * `to` is NULL).
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

/**
 * Datagram socket: cav_sendto() to the connected peer, same errors.
 *
 * Stream socket (cav_sendto ignores `to`, as Linux's TCP does): queue
 * bytes in the send buffer (SO_SNDBUF, at most the 256 KiB shared ring).
 * Blocking: waits for room until all `len` bytes are queued, unless an
 * error ends it (then the count so far, and the error on the next call).
 * Non-blocking (O_NONBLOCK or MSG_DONTWAIT): what fits. During the
 * handshake a blocking send waits for it. EPIPE raises SIGPIPE in the
 * calling thread unless MSG_NOSIGNAL. flags: MSG_DONTWAIT, MSG_NOSIGNAL,
 * MSG_MORE and MSG_EOR (accepted, no effect).
 * @return the bytes queued, or -1 with errno: EBADF, EAGAIN (non-blocking,
 *   no room, or the handshake is not done), EPIPE (never connected, a
 *   listener, shut down for writing, the connection is over, daemon gone),
 *   ECONNRESET / ETIMEDOUT / ... (the connection's pending error, taken as
 *   SO_ERROR would), EOPNOTSUPP (MSG_OOB or other flags), EIO (the daemon
 *   published an impossible ring index).
 */
ssize_t cav_send(int fd, const void *buf, size_t len, int flags);

/**
 * Datagram socket: receive one datagram. flags: MSG_DONTWAIT, MSG_PEEK (leave it queued),
 * MSG_TRUNC (return the datagram's real length even if it was cut).
 * A datagram longer than len is cut (the rest is lost, as on Linux).
 * @return the bytes copied (or the real length with MSG_TRUNC), or -1 with
 *   errno: EBADF, EAGAIN (non-blocking, nothing queued), ECONNREFUSED and
 *   other errors an ICMP message reported (SO_ERROR, cleared),
 *   ECONNRESET (daemon gone), EOPNOTSUPP (other flags).
 */
ssize_t cav_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		     socklen_t *fromlen);

/**
 * Datagram socket: cav_recvfrom() without the source address, same errors.
 *
 * Stream socket (cav_recvfrom sets *fromlen to 0, as Linux's TCP does):
 * copy up to `len` queued bytes. Blocks while nothing is queued unless
 * non-blocking. flags: MSG_DONTWAIT, MSG_PEEK (the bytes stay queued),
 * MSG_WAITALL (wait for `len` bytes unless EOF, an error or a shutdown
 * ends it first; with MSG_DONTWAIT what is there), MSG_TRUNC (discard
 * instead of copying).
 * @return the bytes copied, 0 at end of stream (the peer's FIN once the
 *   queued bytes are read, or after shutdown(SHUT_RD), or after a reset
 *   was reported), or -1 with errno: EBADF, EAGAIN (non-blocking, nothing
 *   queued), ENOTCONN (never connected, or a listener), ECONNRESET (the
 *   peer reset the connection, reported once after the queued bytes; or
 *   daemon gone), ETIMEDOUT and other pending errors (SO_ERROR), EINVAL
 *   (MSG_OOB: no urgent data), EOPNOTSUPP (other flags), EIO (impossible
 *   ring index).
 */
ssize_t cav_recv(int fd, void *buf, size_t len, int flags);

/**
 * The local address (0.0.0.0:0 before bind; for a connected or accepted
 * stream socket the connection's address).
 * @return 0, or -1 with errno EBADF, EINVAL (len NULL).
 */
int cav_getsockname(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * The connected peer.
 * @return 0, or -1 with errno EBADF, EINVAL, ENOTCONN (not connected; for
 *   a stream socket also while connecting and once the connection is
 *   closed or reset, as Linux).
 */
int cav_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * SOL_SOCKET: SO_RCVBUF, SO_SNDBUF (doubled and clamped as Linux does; the
 * ceiling is the shared ring, 256 KiB), SO_REUSEADDR, SO_KEEPALIVE (stream
 * sockets: keepalive probes; a datagram socket accepts it, as Linux),
 * SO_LINGER (struct linger; stream sockets: on with 0 seconds, close()
 * resets the connection; on with a timeout, close() waits up to that long
 * for the data and the FIN to be acknowledged).
 * IPPROTO_TCP (stream sockets): TCP_NODELAY, TCP_MAXSEG (88..32767, 0: the
 * default), TCP_KEEPIDLE, TCP_KEEPINTVL (1..32767 s), TCP_KEEPCNT (1..127),
 * TCP_USER_TIMEOUT (ms, >= 0; 0 off), TCP_CONGESTION ("cubic", "reno":
 * the name from at most 15 bytes of val, len >= 1) — before or after
 * connect(), as Linux.
 * @return 0, or -1 with errno: EBADF, EINVAL (value length or range),
 *   EFAULT (val NULL), ENOPROTOOPT (other level or option, a TCP option
 *   on a datagram socket), ENOENT (TCP_CONGESTION: no such algorithm),
 *   ENOBUFS (the daemon's command ring to the connection is full),
 *   ENOTCONN (daemon gone).
 */
int cav_setsockopt(int fd, int level, int name, const void *val, socklen_t len);

/**
 * SOL_SOCKET: SO_RCVBUF, SO_SNDBUF, SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER,
 * SO_ERROR (returns and clears the pending error), SO_TYPE, SO_DOMAIN,
 * SO_PROTOCOL, SO_ACCEPTCONN (1 on a listener).
 * IPPROTO_TCP: TCP_NODELAY, TCP_MAXSEG (the connection's MSS once it has
 * one, else the value set, else 536), TCP_KEEPIDLE / TCP_KEEPINTVL /
 * TCP_KEEPCNT (Linux's defaults 7200, 75, 9 until set), TCP_USER_TIMEOUT,
 * TCP_CONGESTION (min(*len, 16) bytes of the NUL-padded name, as Linux),
 * TCP_INFO (struct tcp_info, truncated to *len: tcpi_state always; RTT,
 * RTO, cwnd, ssthresh, MSS, unacked and total_retrans from the daemon for
 * a connection; the other fields 0).
 * @return 0, or -1 with errno: EBADF, EINVAL (*len too small for an int,
 *   or negative), EFAULT, ENOPROTOOPT.
 */
int cav_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/**
 * F_GETFL / F_SETFL (O_NONBLOCK only); F_GETFD / F_SETFD accepted (no
 * effect: the descriptors are not the kernel's).
 * @return the flags, 0, or -1 with errno EBADF, EINVAL.
 */
int cav_fcntl(int fd, int cmd, ... /* int arg */);

/**
 * Close the socket. Datagram: its port is free again at once. Stream:
 * the daemon sends what is queued, then a FIN (a reset instead if
 * received bytes were left unread, or with SO_LINGER on and 0 seconds);
 * the connection finishes in the daemon (TIME_WAIT keeps no socket slot).
 * A listener's unaccepted connections are reset.
 * @return 0, or -1 with errno EBADF. After the daemon went away it
 *   still releases the descriptor and returns 0.
 */
int cav_close(int fd);

/**
 * poll(2) over Cavalry sockets and kernel descriptors mixed: POLLIN,
 * POLLOUT, POLLERR (a pending SO_ERROR), POLLHUP (daemon gone); POLLNVAL
 * for a closed Cavalry descriptor. timeout in ms, -1 forever.
 * Stream sockets report what Linux's tcp_poll() does:
 *  - POLLIN | POLLRDNORM: bytes queued, or the peer's FIN arrived, or
 *    (listener) a connection waits in the accept queue;
 *  - POLLRDHUP (with _GNU_SOURCE): the peer's FIN, or shutdown(SHUT_RD);
 *  - POLLOUT | POLLWRNORM: connected (or the peer closed its side) and the
 *    send buffer's free space is at least half of what is queued; also
 *    once writing is shut down (the next send fails at once). Never while
 *    the handshake is in progress. A socket that was never connected is
 *    POLLOUT | POLLHUP, as on Linux;
 *  - POLLHUP: shut down both ways, reset, or closed;
 *  - POLLERR: a pending error (SO_ERROR), e.g. a refused connect().
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
 * (level-triggered without it), and stream sockets also EPOLLRDHUP,
 * EPOLLRDNORM, EPOLLWRNORM with the meanings of cav_poll(). With EPOLLET a
 * stream socket is reported again on every change Linux would wake it
 * for: new bytes or accept records (EPOLLIN interest), room after a
 * writer found none (EPOLLOUT interest), any change of the connection's
 * state or a new error; each report carries the whole current mask.
 * EPOLLONESHOT and EPOLLEXCLUSIVE are not supported on Cavalry sockets.
 * Kernel descriptors: anything epoll does.
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
