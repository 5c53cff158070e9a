/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_CTL_H
#define CAV_CTL_H

/*
 * The control protocol between cavctl and cavalryd, over a unix stream
 * socket, one request per connection:
 *
 *   request:  "CAV1 <json:0|1> <argc>\n" then argc NUL-terminated strings
 *   reply:    "<status>\n" then the body until EOF; status 0 is success,
 *             otherwise an errno value and the body is the error message.
 *
 * Requests are at most CTL_MAX_REQUEST bytes and CTL_MAX_ARGS arguments.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cbuf.h"
#include "json.h"

#define CTL_MAX_REQUEST 65536
#define CTL_MAX_ARGS 128

struct ctl_request {
	bool json;
	int argc;
	char *argv[CTL_MAX_ARGS + 1];
	char buf[CTL_MAX_REQUEST];
};

/* Encode argv into `out`. Returns the length, or -1 if it does not fit. */
ssize_t ctl_request_encode(bool json, int argc, char *const argv[], char *out, size_t outlen);

/* Decode `len` bytes into `req` (which owns a copy). Returns 0 or -1. */
int ctl_request_decode(const char *in, size_t len, struct ctl_request *req);

/* A reply under construction: text or JSON as the client asked. */
struct ctl_reply {
	bool json;
	struct cbuf body;
	struct jw jw;
};

typedef int (*ctl_handler_t)(void *ctx, int argc, char **argv, struct ctl_reply *r);

struct ctl_cmd {
	const char *name;
	const char *usage;
	ctl_handler_t fn;
};

/* Set an error message on `r`; returns `err` (an errno value) for chaining:
 * `return ctl_error(r, EINVAL, "bad port %s", name);` */
int ctl_error(struct ctl_reply *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct ctl_server;

struct ctl_server_conf {
	const char *path;
	uint32_t mode;
	int64_t gid; /* -1: leave the group as created */
	const struct ctl_cmd *cmds;
	unsigned int n_cmds;
	void *ctx;
};

/* Create the listening socket (refusing if another daemon answers on it).
 * Returns NULL with a message in err. */
struct ctl_server *ctl_server_create(const struct ctl_server_conf *conf, char *err,
				     size_t errlen);
int ctl_server_fd(const struct ctl_server *s);
struct ucred;

/*
 * Defence in depth behind a unix socket's file mode (control socket and
 * libcavsock's attach socket): may a peer with credentials `cr` use a
 * socket of `mode` and group `gid` (-1: none configured)? Root, our own
 * user, a member of the group when the mode has group bits, or anyone
 * when it has "other" bits.
 */
bool ctl_peer_allowed(const struct ucred *cr, uint32_t mode, int64_t gid);

/* Does a live daemon answer on `path`? (Checked before EAL starts, so a
 * second daemon never touches the first one's devices.) */
bool ctl_socket_in_use(const char *path);

/* Accept and serve every pending connection. Never blocks for more than the
 * per-connection timeout (1 s). */
void ctl_server_poll(struct ctl_server *s);
/* Close and unlink the socket. */
void ctl_server_destroy(struct ctl_server *s);

/* Dispatch one decoded request to the table (also used by unit tests).
 * Returns the status (0 or an errno value); the reply body is in r. */
int ctl_dispatch(const struct ctl_cmd *cmds, unsigned int n_cmds, void *ctx,
		 struct ctl_request *req, struct ctl_reply *r);

/* Client: send argv, receive status and body. Returns 0 and fills *status
 * and `body`, or -1 with errno set (connection failure). */
int ctl_client_call(const char *path, bool json, int argc, char *const argv[], int *status,
		    struct cbuf *body, int timeout_ms);

#endif
