/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cav_setsockopt / cav_getsockopt. Options the daemon acts on are passed
 * to it (CAV_OP_SETOPT) and kept here too, so that reading them back
 * costs no round trip; only what the connection itself knows (TCP_MAXSEG
 * once connected, TCP_INFO) is asked for (CAV_OP_GETOPT). Errors as
 * Linux's sk_setsockopt() / do_tcp_setsockopt().
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "cavalry/sock.h"
#include "sock_priv.h"

/* Linux's bounds (include/net/tcp.h). */
#define TCP_MIN_MSS_ 88
#define MAX_TCP_WINDOW_ 32767
#define MAX_TCP_KEEPIDLE_ 32767
#define MAX_TCP_KEEPINTVL_ 32767
#define MAX_TCP_KEEPCNT_ 127
#define TCP_MSS_DEFAULT_ 536
/* Linux's defaults for the keepalive timers (sysctl net.ipv4.tcp_keepalive_*). */
#define KEEPIDLE_DEFAULT 7200
#define KEEPINTVL_DEFAULT 75
#define KEEPCNT_DEFAULT 9

static int
setopt_call(int fd, uint32_t opt, uint32_t val, int *result)
{
	struct cav_msg q = {.op = CAV_OP_SETOPT,
			    .sock = (uint16_t)(fd - CAV_FD_BASE),
			    .arg = opt,
			    .val = val},
		       r;
	int rc = cs_ctl_call(&q, &r);
	/* An error is -1..-4095 (an errno); anything else is the value the
	 * daemon kept, which for SO_LINGER has bit 31 set. */
	if (rc < 0 && rc >= -4095)
		return -rc;
	if (result != NULL)
		*result = rc;
	return 0;
}

static int
set_socket_opt(struct csock *s, int fd, int name, const void *val, socklen_t len)
{
	if (name == SO_LINGER) {
		struct linger l;
		if (len < sizeof(l))
			return EINVAL;
		memcpy(&l, val, sizeof(l));
		int secs = l.l_linger < 0 ? INT32_MAX : l.l_linger;
		if (s->type == CAV_SOCK_STREAM) {
			uint32_t v =
			    (l.l_onoff ? UINT32_C(1) << 31 : 0) | ((uint32_t)secs & 0x7fffffffu);
			int e = setopt_call(fd, CAV_OPT_LINGER, v, NULL);
			if (e != 0)
				return e;
		}
		s->linger_on = l.l_onoff != 0;
		s->linger_sec = secs;
		return 0;
	}
	int v;
	memcpy(&v, val, sizeof(v));
	uint32_t uv = v < 0 ? 0 : (uint32_t)v;
	int res = 0, e;
	switch (name) {
	case SO_RCVBUF:
		if ((e = setopt_call(fd, CAV_OPT_RCVBUF, uv, &res)) != 0)
			return e;
		s->rcvbuf = res;
		return 0;
	case SO_SNDBUF:
		if ((e = setopt_call(fd, CAV_OPT_SNDBUF, uv, &res)) != 0)
			return e;
		s->sndbuf = res;
		return 0;
	case SO_REUSEADDR:
		if ((e = setopt_call(fd, CAV_OPT_REUSEADDR, uv, &res)) != 0)
			return e;
		s->reuse = res != 0;
		return 0;
	case SO_KEEPALIVE:
		/* Passed on to the connection (keepalive probes). A datagram
		 * socket keeps it here only (Linux accepts it and does
		 * nothing). */
		if (s->type == CAV_SOCK_STREAM &&
		    (e = setopt_call(fd, CAV_OPT_KEEPALIVE, v != 0, NULL)) != 0)
			return e;
		s->keepalive = v != 0;
		return 0;
	default:
		return ENOPROTOOPT;
	}
}

/* Keepalive timers and TCP_USER_TIMEOUT: validated as Linux does (here,
 * and again by the daemon), passed on to the connection, and kept here
 * so that getsockopt() costs no round trip. */
static int
set_tcp_timer_opt(int fd, uint32_t opt, int v, int *field)
{
	int e = setopt_call(fd, opt, (uint32_t)v, NULL);
	if (e != 0)
		return e;
	*field = v;
	return 0;
}

/*
 * TCP_CONGESTION (Linux do_tcp_setsockopt): the name is at most
 * TCP_CA_NAME_MAX - 1 bytes of optval, whatever optlen says beyond that,
 * and needs no NUL; optlen < 1 is EINVAL. Only the daemon knows which
 * algorithms exist: it answers ENOENT for the others, as Linux does for a
 * module it cannot load. The name travels in the request's spare bytes.
 */
static int
set_congestion(struct csock *s, int fd, const void *val, socklen_t len)
{
	if (s->type != CAV_SOCK_STREAM)
		return ENOPROTOOPT;
	if ((int)len < 1)
		return EINVAL;
	struct cav_msg q = {.op = CAV_OP_SETOPT,
			    .sock = (uint16_t)(fd - CAV_FD_BASE),
			    .arg = CAV_OPT_CONGESTION},
		       r;
	size_t n = len < CAV_CC_NAME_MAX - 1 ? len : CAV_CC_NAME_MAX - 1;
	memcpy(q.rsvd, val, n);
	q.rsvd[n] = 0;
	int rc = cs_ctl_call(&q, &r);
	return rc < 0 ? -rc : 0;
}

static int
set_tcp_opt(struct csock *s, int fd, int name, const void *val, socklen_t len)
{
	if (s->type != CAV_SOCK_STREAM)
		return ENOPROTOOPT; /* Linux: IPPROTO_TCP on a UDP socket */
	if (len < sizeof(int))
		return EINVAL;
	int v;
	memcpy(&v, val, sizeof(v));
	int e;
	switch (name) {
	case TCP_NODELAY:
		if ((e = setopt_call(fd, CAV_OPT_NODELAY, v != 0, NULL)) != 0)
			return e;
		s->nodelay = v != 0;
		return 0;
	case TCP_MAXSEG:
		if (v != 0 && (v < TCP_MIN_MSS_ || v > MAX_TCP_WINDOW_))
			return EINVAL;
		if ((e = setopt_call(fd, CAV_OPT_MAXSEG, (uint32_t)v, NULL)) != 0)
			return e;
		s->maxseg = v;
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > MAX_TCP_KEEPIDLE_)
			return EINVAL;
		return set_tcp_timer_opt(fd, CAV_OPT_KEEPIDLE, v, &s->keepidle);
	case TCP_KEEPINTVL:
		if (v < 1 || v > MAX_TCP_KEEPINTVL_)
			return EINVAL;
		return set_tcp_timer_opt(fd, CAV_OPT_KEEPINTVL, v, &s->keepintvl);
	case TCP_KEEPCNT:
		if (v < 1 || v > MAX_TCP_KEEPCNT_)
			return EINVAL;
		return set_tcp_timer_opt(fd, CAV_OPT_KEEPCNT, v, &s->keepcnt);
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return EINVAL;
		return set_tcp_timer_opt(fd, CAV_OPT_USER_TIMEOUT, v, &s->user_timeout);
	default:
		return ENOPROTOOPT;
	}
}

/* IPPROTO_IP: IP_MTU_DISCOVER only (Linux do_ip_setsockopt's range
 * check; the daemon acts on it for stream sockets: DF and frag-needed). */
static int
set_ip_opt(struct csock *s, int fd, int name, int v)
{
	if (name != IP_MTU_DISCOVER)
		return ENOPROTOOPT;
	if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
		return EINVAL;
	int e = setopt_call(fd, CAV_OPT_MTU_DISCOVER, (uint32_t)v, NULL);
	if (e == 0)
		s->pmtudisc = v;
	return e;
}

int
cav_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP)
		return cs_fail(ENOPROTOOPT);
	if (val == NULL)
		return cs_fail(EFAULT);
	/* Linux handles TCP_CONGESTION before its optlen >= sizeof(int)
	 * check: a name may be shorter than an int ("bbr"). */
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		int e = set_congestion(s, fd, val, len);
		return e != 0 ? cs_fail(e) : 0;
	}
	int e;
	if (level == IPPROTO_IP) {
		/* Linux do_ip_setsockopt: an int, or one byte when optlen is
		 * shorter; 0 when it is 0. */
		int v = 0;
		if (len >= sizeof(int))
			memcpy(&v, val, sizeof(v));
		else if (len >= 1)
			v = *(const unsigned char *)val;
		e = set_ip_opt(s, fd, name, v);
		return e != 0 ? cs_fail(e) : 0;
	}
	if (len < sizeof(int))
		return cs_fail(EINVAL);
	e = level == SOL_SOCKET ? set_socket_opt(s, fd, name, val, len)
				: set_tcp_opt(s, fd, name, val, len);
	return e != 0 ? cs_fail(e) : 0;
}

/* TCP_MAXSEG / TCP_INFO from the daemon: 0 with the response, or an errno. */
static int
getopt_call(int fd, uint32_t opt, struct cav_msg *r)
{
	struct cav_msg q = {.op = CAV_OP_GETOPT, .sock = (uint16_t)(fd - CAV_FD_BASE), .arg = opt};
	int rc = cs_ctl_call(&q, r);
	return rc < 0 ? -rc : 0;
}

static void
fill_tcp_info(struct csock *s, int fd, struct tcp_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	uint32_t ev = cs_events(s);
	uint32_t st = cs_stream_state(s, ev);
	ti->tcpi_state = (uint8_t)st;
	ti->tcpi_snd_mss = TCP_MSS_DEFAULT_;
	ti->tcpi_rcv_mss = TCP_MSS_DEFAULT_;
	if (st == TCP_CLOSE || st == TCP_LISTEN)
		return;
	/* Without the daemon's answer the state alone is still right. */
	struct cav_msg r;
	if (getopt_call(fd, CAV_OPT_TCP_INFO, &r) != 0)
		return;
	struct cav_tcp_info ci;
	memcpy(&ci, r.rsvd, sizeof(ci));
	ti->tcpi_rtt = ci.rtt_us;
	ti->tcpi_rttvar = ci.rttvar_us;
	ti->tcpi_rto = ci.rto_us;
	ti->tcpi_snd_cwnd = ci.snd_cwnd;
	ti->tcpi_snd_ssthresh = ci.snd_ssthresh;
	ti->tcpi_snd_mss = ci.snd_mss;
	ti->tcpi_rcv_mss = ci.rcv_mss;
	ti->tcpi_unacked = ci.unacked;
	ti->tcpi_total_retrans = ci.total_retrans;
}

static int
get_tcp_opt(struct csock *s, int fd, int name, void *val, socklen_t *len)
{
	if (s->type != CAV_SOCK_STREAM)
		return ENOPROTOOPT;
	if (name == TCP_CONGESTION) {
		/* Linux: min(*len, TCP_CA_NAME_MAX) bytes of the name,
		 * NUL-padded (the algorithm's name array), *len updated. */
		struct cav_msg r;
		int e = getopt_call(fd, CAV_OPT_CONGESTION, &r);
		if (e != 0)
			return e;
		char cc[CAV_CC_NAME_MAX];
		memcpy(cc, r.rsvd, sizeof(cc));
		cc[sizeof(cc) - 1] = 0;
		socklen_t k = *len < sizeof(cc) ? *len : (socklen_t)sizeof(cc);
		memcpy(val, cc, k);
		*len = k;
		return 0;
	}
	if (name == TCP_INFO) {
		struct tcp_info ti;
		fill_tcp_info(s, fd, &ti);
		socklen_t k = *len < sizeof(ti) ? *len : (socklen_t)sizeof(ti);
		memcpy(val, &ti, k);
		*len = k;
		return 0;
	}
	if (*len < sizeof(int))
		return EINVAL;
	int v;
	switch (name) {
	case TCP_NODELAY:
		v = s->nodelay;
		break;
	case TCP_MAXSEG: {
		/* Linux: the connection's MSS once it has one, else what was
		 * asked for, else 536. */
		v = s->maxseg != 0 ? s->maxseg : TCP_MSS_DEFAULT_;
		struct cav_msg r;
		uint32_t st = cs_stream_state(s, cs_events(s));
		if (st != TCP_CLOSE && st != TCP_LISTEN &&
		    getopt_call(fd, CAV_OPT_MAXSEG, &r) == 0 && r.val != 0 &&
		    r.val <= MAX_TCP_WINDOW_)
			v = (int)r.val;
		break;
	}
	case TCP_KEEPIDLE:
		v = s->keepidle != 0 ? s->keepidle : KEEPIDLE_DEFAULT;
		break;
	case TCP_KEEPINTVL:
		v = s->keepintvl != 0 ? s->keepintvl : KEEPINTVL_DEFAULT;
		break;
	case TCP_KEEPCNT:
		v = s->keepcnt != 0 ? s->keepcnt : KEEPCNT_DEFAULT;
		break;
	case TCP_USER_TIMEOUT:
		v = s->user_timeout;
		break;
	default:
		return ENOPROTOOPT;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static int
get_socket_opt(struct csock *s, int name, void *val, socklen_t *len)
{
	if (name == SO_LINGER) {
		struct linger l = {.l_onoff = s->linger_on, .l_linger = s->linger_sec};
		socklen_t k = *len < sizeof(l) ? *len : (socklen_t)sizeof(l);
		memcpy(val, &l, k);
		*len = k;
		return 0;
	}
	if (*len < sizeof(int))
		return EINVAL;
	bool stream = s->type == CAV_SOCK_STREAM;
	int v;
	switch (name) {
	case SO_RCVBUF:
		v = s->rcvbuf;
		break;
	case SO_SNDBUF:
		v = s->sndbuf;
		break;
	case SO_REUSEADDR:
		v = s->reuse;
		break;
	case SO_KEEPALIVE:
		v = s->keepalive;
		break;
	case SO_ERROR:
		v = cs_take_error(s);
		break;
	case SO_TYPE:
		v = stream ? SOCK_STREAM : SOCK_DGRAM;
		break;
	case SO_DOMAIN:
		v = AF_INET;
		break;
	case SO_PROTOCOL:
		v = stream ? IPPROTO_TCP : IPPROTO_UDP;
		break;
	case SO_ACCEPTCONN:
		v = stream && __atomic_load_n(&s->listening, __ATOMIC_RELAXED);
		break;
	default:
		return ENOPROTOOPT;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static int
get_ip_opt(struct csock *s, int name, void *val, socklen_t *len)
{
	if (name != IP_MTU_DISCOVER)
		return ENOPROTOOPT;
	/* Linux do_ip_getsockopt: one byte into a shorter buffer. */
	if (*len > 0 && *len < sizeof(int)) {
		*(unsigned char *)val = (unsigned char)s->pmtudisc;
		*len = 1;
		return 0;
	}
	memcpy(val, &s->pmtudisc, sizeof(int));
	*len = sizeof(int);
	return 0;
}

int
cav_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct csock *s = cs_sock(fd);
	if (s == NULL)
		return -1;
	if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP)
		return cs_fail(ENOPROTOOPT);
	if (val == NULL || len == NULL)
		return cs_fail(EFAULT);
	if ((int)*len < 0)
		return cs_fail(EINVAL);
	int e = level == SOL_SOCKET   ? get_socket_opt(s, name, val, len)
		: level == IPPROTO_IP ? get_ip_opt(s, name, val, len)
				      : get_tcp_opt(s, fd, name, val, len);
	return e != 0 ? cs_fail(e) : 0;
}
