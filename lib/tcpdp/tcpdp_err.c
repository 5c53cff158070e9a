/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an ICMP error quoting one of our TCP segments does to its
 * connection: Linux's tcp_v4_err (net/ipv4/tcp_ipv4.c) decision by
 * decision, kept apart from the graph node (node_tcp_err.c) so that it is
 * unit-tested on plain pcbs.
 *
 *   - TIME-WAIT / CLOSED: ignored (Linux returns at once for a timewait
 *     socket).
 *   - fragmentation needed (type 3 code 4): RFC 1191 path MTU discovery;
 *     the core validates the quoted sequence (tcp_pmtu_update counts
 *     pmtu_rejected) and applies the floor.
 *   - otherwise the quoted sequence must lie in SND.UNA..SND.NXT (Linux's
 *     between(), both ends included; RFC 5927 §4.1): an attacker off the
 *     path cannot guess it. Else OutOfWindowIcmps.
 *   - passive SYN-RECEIVED (Linux's request socket, tcp_req_err): the
 *     quoted sequence must be our ISN; network/host unreachable drops the
 *     embryonic connection silently (nobody has accepted it), the rest is
 *     ignored.
 *   - SYN-SENT, and SYN-RECEIVED of an active (simultaneous) open: the
 *     connect fails with the error (icmp_err_convert: ECONNREFUSED for
 *     port unreachable, EHOSTUNREACH, ENETUNREACH ...). RFC 1122 4.2.3.9
 *     would allow only protocol/port unreachable as hard errors; Linux
 *     makes every one hard before the connection exists.
 *   - synchronized states: a soft error (RFC 1122 4.2.3.9: "SHOULD NOT
 *     abort"). Linux keeps it in sk_err_soft and reports it instead of
 *     ETIMEDOUT if the connection later times out; we count it only.
 */
#include <errno.h>

#include "tcpdp_err.h"

/* Linux's icmp_err_convert[] for destination unreachable codes 0..15. */
static int
unreach_to_errno(uint8_t code)
{
	static const int tab[16] = {
	    [0] = ENETUNREACH,	 [1] = EHOSTUNREACH,  [2] = ENOPROTOOPT,   [3] = ECONNREFUSED,
	    [4] = EMSGSIZE,	 [5] = EOPNOTSUPP,    [6] = ENETUNREACH,   [7] = EHOSTDOWN,
	    [8] = ENONET,	 [9] = ENETUNREACH,   [10] = EHOSTUNREACH, [11] = ENETUNREACH,
	    [12] = EHOSTUNREACH, [13] = EHOSTUNREACH, [14] = EHOSTUNREACH, [15] = EHOSTUNREACH,
	};
	return tab[code & 15];
}

enum tcpdp_err_verdict
tcpdp_err_classify(const struct tcp_pcb *pcb, uint8_t type, uint8_t code, uint32_t seq, int *err)
{
	*err = 0;
	if (pcb->state == TCPS_TIME_WAIT || pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN)
		return TCPDP_ERR_IGNORE;
	switch (type) {
	case TCPDP_ICMP_DEST_UNREACH:
		if (code > 15)
			return TCPDP_ERR_IGNORE; /* Linux: code > NR_ICMP_UNREACH */
		if (code == TCPDP_ICMP_FRAG_NEEDED)
			return TCPDP_ERR_PMTU; /* the core checks the sequence */
		*err = unreach_to_errno(code);
		break;
	case TCPDP_ICMP_TIME_EXCEEDED:
		*err = EHOSTUNREACH;
		break;
	case TCPDP_ICMP_PARAMETERPROB:
		*err = EPROTO;
		break;
	default:
		return TCPDP_ERR_IGNORE; /* source quench, redirect: Linux ignores them */
	}
	bool passive_embryo = pcb->state == TCPS_SYN_RCVD && (pcb->flags & TCP_PF_PASSIVE);
	if (passive_embryo) {
		/* tcp_req_err: only the SYN-ACK's own sequence. */
		if (seq != pcb->iss)
			return TCPDP_ERR_OUT_OF_WINDOW;
		bool fatal = type != TCPDP_ICMP_DEST_UNREACH || code <= 1;
		return fatal ? TCPDP_ERR_DROP_EMBRYO : TCPDP_ERR_IGNORE;
	}
	/* SND.MAX: Linux's snd_nxt never moves back; ours does on an RTO. */
	if (tcp_seq_lt(seq, pcb->snd_una) || tcp_seq_gt(seq, pcb->snd_max))
		return TCPDP_ERR_OUT_OF_WINDOW;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RCVD)
		return TCPDP_ERR_HARD;
	return TCPDP_ERR_SOFT;
}
