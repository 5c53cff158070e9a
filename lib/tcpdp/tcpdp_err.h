/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_TCPDP_ERR_H
#define CAV_TCPDP_ERR_H

/* ICMP errors about TCP connections: the decision (tcpdp_err.c, pure,
 * Linux's tcp_v4_err); node_tcp_err.c acts on it. */

#include <stdint.h>

#include "tcp.h"

#define TCPDP_ICMP_DEST_UNREACH 3
#define TCPDP_ICMP_FRAG_NEEDED 4 /* code of type 3 */
#define TCPDP_ICMP_TIME_EXCEEDED 11
#define TCPDP_ICMP_PARAMETERPROB 12

enum tcpdp_err_verdict {
	TCPDP_ERR_IGNORE,	 /* TIME-WAIT/CLOSED, codes and types Linux ignores */
	TCPDP_ERR_PMTU,		 /* frag needed: tcp_pmtu_update (it checks the sequence) */
	TCPDP_ERR_OUT_OF_WINDOW, /* quoted sequence not ours in flight (OutOfWindowIcmps) */
	TCPDP_ERR_HARD,		 /* the connection attempt fails with *err */
	TCPDP_ERR_DROP_EMBRYO,	 /* a passive SYN-RECEIVED connection goes, silently */
	TCPDP_ERR_SOFT,		 /* synchronized: counted only (Linux sk_err_soft) */
};

/* What an ICMP error (type, code) quoting sequence `seq` (host order) of
 * pcb's connection does; *err: the errno for TCPDP_ERR_HARD/SOFT, else 0. */
enum tcpdp_err_verdict tcpdp_err_classify(const struct tcp_pcb *pcb, uint8_t type, uint8_t code,
					  uint32_t seq, int *err);

#endif
