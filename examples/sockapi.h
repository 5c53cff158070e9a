/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_EXAMPLES_SOCKAPI_H
#define CAV_EXAMPLES_SOCKAPI_H

/*
 * The examples are written against libcavsock. Built with
 * -DCAV_EXAMPLE_KERNEL, the same source runs on kernel sockets instead:
 * scripts/bench-udp compares the two with the very same programs.
 */
#ifdef CAV_EXAMPLE_KERNEL
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h> /* TCP_NODELAY, TCP_INFO: <cavalry/sock.h> has them too */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#define cav_accept accept
#define cav_accept4 accept4
#define cav_bind bind
#define cav_close close
#define cav_connect connect
#define cav_epoll_create1 epoll_create1
#define cav_epoll_ctl epoll_ctl
#define cav_epoll_wait epoll_wait
#define cav_fcntl fcntl
#define cav_getpeername getpeername
#define cav_getsockname getsockname
#define cav_getsockopt getsockopt
#define cav_listen listen
#define cav_poll poll
#define cav_recv recv
#define cav_recvfrom recvfrom
#define cav_send send
#define cav_sendto sendto
#define cav_setsockopt setsockopt
#define cav_shutdown shutdown
#define cav_socket socket
#define CAV_UDP_MAX 65507
#define SOCKAPI_NAME "kernel"
#else
#include <cavalry/sock.h>
#define SOCKAPI_NAME "cavalry"
#endif

#endif
