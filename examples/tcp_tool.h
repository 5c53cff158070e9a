/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_tool's parts shared by its files (tcp_tool.c: helpers and the bulk
 * commands; tcp_tool_rr.c: request/response and connection commands).
 * Usage and output: tcp_tool.c's top comment.
 */
#ifndef CAV_EXAMPLES_TCP_TOOL_H
#define CAV_EXAMPLES_TCP_TOOL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CHUNK (64u << 10)

/* tcp_tool.c: helpers. A failure ends the program (die_errno: exit 1
 * with "tcp_tool: WHAT: ENAME (message)"; usage: exit 2). */
double now_s(void);
const char *errname(int e);
void __attribute__((noreturn)) die_errno(const char *what);
void __attribute__((noreturn)) usage(void);
uint64_t parse_u64(const char *s);
struct sockaddr_in parse_addr(const char *host, const char *port);
void nodelay(int fd);
int tcp_socket(int flags);
int connect_to(const struct sockaddr_in *to);
int listen_on(const char *addr, const char *port, int backlog);
int send_all(int fd, const void *buf, size_t len);
ssize_t recv_all(int fd, void *buf, size_t len);
void raise_nofile(void);

/* tcp_tool_rr.c: commands (argv[0] is the command's name). */
int cmd_rr_server(int argc, char **argv);
int cmd_rr_client(int argc, char **argv);
int cmd_crr_client(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_connect(int argc, char **argv);

#endif
