/* SPDX-License-Identifier: BSD-3-Clause */
/* Timeouts per protocol and state: Linux's defaults (the
 * net.netfilter.nf_conntrack_*_timeout* sysctls of a 6.x kernel). */
#include <netinet/in.h>

#include "ct.h"

const struct ct_timeouts ct_default_timeouts = {
	.tcp =
		{
			[CT_TCP_NONE] = 10, /* never set: an entry leaves sNO at once */
			[CT_TCP_SYN_SENT] = 120,
			[CT_TCP_SYN_RECV] = 60,
			[CT_TCP_ESTABLISHED] = 432000, /* 5 days */
			[CT_TCP_FIN_WAIT] = 120,
			[CT_TCP_CLOSE_WAIT] = 60,
			[CT_TCP_LAST_ACK] = 30,
			[CT_TCP_TIME_WAIT] = 120,
			[CT_TCP_CLOSE] = 10,
			[CT_TCP_SYN_SENT2] = 120,
		},
	.udp = 30,	  /* one way only so far */
	.udp_stream = 120, /* replies seen, then more */
	.icmp = 30,
	.generic = 600,
};

const char *
ct_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "unknown";
	}
}
