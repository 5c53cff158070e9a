/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcpdp's ICMP error decision (tcpdp_err.c, Linux's tcp_v4_err) and
 * the PMTU update it leads to (the core's tcp_pmtu_update): connections
 * built directly in a given state, ICMP (type, code, quoted sequence)
 * applied, the verdict and the pcb checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcpdp_err.h"

#define ISS 1000000u

static struct tcp_pcb pcb;

/* A connection in `state` with 10,000 bytes in flight from ISS + 1. */
static void
conn(enum tcp_state state, uint16_t flags)
{
	struct tcp_tuple t = {
	    .laddr = 0xc6120001, .raddr = 0xc6120002, .lport = 40000, .rport = 80};
	tcp_pcb_init(&pcb, &t, 1460);
	pcb.state = (uint8_t)state;
	pcb.flags = flags;
	pcb.iss = ISS;
	pcb.snd_una = ISS;
	pcb.snd_nxt = pcb.snd_max = ISS + 1;
	if (state != TCPS_SYN_SENT && state != TCPS_SYN_RCVD) {
		pcb.snd_una = ISS + 1;
		pcb.snd_nxt = pcb.snd_max = ISS + 1 + 10000;
	}
}

static enum tcpdp_err_verdict
icmp(uint8_t type, uint8_t code, uint32_t seq, int *err)
{
	return tcpdp_err_classify(&pcb, type, code, seq, err);
}

static void
test_syn_sent_port_unreachable_is_a_hard_econnrefused(void **state)
{
	(void)state;
	int err;
	conn(TCPS_SYN_SENT, TCP_PF_ACTIVE);
	assert_int_equal(icmp(3, 3, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(icmp(3, 1, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, EHOSTUNREACH);
	assert_int_equal(icmp(3, 0, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, ENETUNREACH);
	assert_int_equal(icmp(3, 2, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, ENOPROTOOPT);
	assert_int_equal(icmp(11, 0, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, EHOSTUNREACH);
	assert_int_equal(icmp(12, 0, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, EPROTO);
}

static void
test_syn_sent_error_quoting_another_sequence_is_out_of_window(void **state)
{
	(void)state;
	int err;
	conn(TCPS_SYN_SENT, TCP_PF_ACTIVE);
	assert_int_equal(icmp(3, 3, ISS - 1, &err), TCPDP_ERR_OUT_OF_WINDOW);
	assert_int_equal(icmp(3, 3, ISS + 2, &err), TCPDP_ERR_OUT_OF_WINDOW);
	assert_int_equal(icmp(3, 3, ISS + 0x80000000u, &err), TCPDP_ERR_OUT_OF_WINDOW);
	/* SND.NXT itself is accepted (Linux between(), both ends). */
	assert_int_equal(icmp(3, 3, ISS + 1, &err), TCPDP_ERR_HARD);
}

static void
test_established_errors_are_soft(void **state)
{
	(void)state;
	int err;
	conn(TCPS_ESTABLISHED, 0);
	assert_int_equal(icmp(3, 3, ISS + 1, &err), TCPDP_ERR_SOFT);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(icmp(3, 1, ISS + 5000, &err), TCPDP_ERR_SOFT);
	assert_int_equal(icmp(3, 1, ISS + 20000, &err), TCPDP_ERR_OUT_OF_WINDOW);
	assert_int_equal(icmp(3, 1, ISS, &err), TCPDP_ERR_OUT_OF_WINDOW);
	conn(TCPS_CLOSE_WAIT, 0);
	assert_int_equal(icmp(3, 13, ISS + 1, &err), TCPDP_ERR_SOFT);
}

static void
test_passive_syn_rcvd_only_net_and_host_unreachable_drop_it(void **state)
{
	(void)state;
	int err;
	conn(TCPS_SYN_RCVD, TCP_PF_PASSIVE);
	assert_int_equal(icmp(3, 1, ISS, &err), TCPDP_ERR_DROP_EMBRYO);
	assert_int_equal(icmp(3, 0, ISS, &err), TCPDP_ERR_DROP_EMBRYO);
	assert_int_equal(icmp(11, 0, ISS, &err), TCPDP_ERR_DROP_EMBRYO);
	assert_int_equal(icmp(3, 3, ISS, &err), TCPDP_ERR_IGNORE);
	/* tcp_req_err: only the SYN-ACK's own sequence number. */
	assert_int_equal(icmp(3, 1, ISS + 1, &err), TCPDP_ERR_OUT_OF_WINDOW);
	/* A simultaneous open's SYN-RECEIVED fails as SYN-SENT does. */
	conn(TCPS_SYN_RCVD, TCP_PF_ACTIVE);
	assert_int_equal(icmp(3, 3, ISS, &err), TCPDP_ERR_HARD);
	assert_int_equal(err, ECONNREFUSED);
}

static void
test_ignored(void **state)
{
	(void)state;
	int err;
	conn(TCPS_TIME_WAIT, 0);
	assert_int_equal(icmp(3, 3, ISS + 1, &err), TCPDP_ERR_IGNORE);
	assert_int_equal(icmp(3, 4, ISS + 1, &err), TCPDP_ERR_IGNORE);
	conn(TCPS_ESTABLISHED, 0);
	assert_int_equal(icmp(3, 16, ISS + 1, &err), TCPDP_ERR_IGNORE); /* beyond NR_ICMP_UNREACH */
	assert_int_equal(icmp(4, 0, ISS + 1, &err), TCPDP_ERR_IGNORE);	/* source quench */
	assert_int_equal(icmp(5, 1, ISS + 1, &err), TCPDP_ERR_IGNORE);	/* redirect */
	assert_int_equal(err, 0);
}

/* Frag needed goes to the core whatever the sequence; the core accepts it
 * only for data in flight, floors the MTU and lowers the MSS. */
static struct tcp_out last;
static unsigned int n_emit;
static void
emit(struct tcp_stack *st, struct tcp_pcb *p, const struct tcp_out *out)
{
	(void)st;
	(void)p;
	last = *out;
	n_emit++;
}
static const struct tcp_ops ops = {.emit = emit};

static void
test_frag_needed_lowers_the_mss_only_for_a_sequence_in_flight(void **state)
{
	(void)state;
	static struct tcp_stack st;
	static const uint8_t secret[16];
	tcp_stack_init(&st, &ops, NULL, secret, 1000);
	int err;
	conn(TCPS_ESTABLISHED, 0);
	pcb.mss = 1460;
	static uint8_t sbuf[1 << 16];
	pcb.snd = (struct tcp_sndbuf){.data = sbuf, .size = sizeof(sbuf), .head = 0, .len = 10000};
	pcb.snd_wnd = 65535;
	pcb.cwnd = 14600;
	/* Off-path: a sequence outside SND.UNA..SND.MAX. */
	assert_int_equal(icmp(3, 4, ISS + 0x80000000u, &err), TCPDP_ERR_PMTU);
	assert_int_equal(tcp_pmtu_update(&st, &pcb, ISS + 0x80000000u, 600, 2000), -1);
	assert_int_equal(st.stats.pmtu_rejected, 1);
	assert_int_equal(pcb.mss, 1460);
	/* In flight: MTU 1280 -> MSS 1240, what was in flight goes again. */
	n_emit = 0;
	assert_int_equal(tcp_pmtu_update(&st, &pcb, ISS + 1 + 2920, 1280, 3000), 1);
	assert_int_equal(pcb.mss, 1240);
	assert_int_equal(st.stats.pmtu_updates, 1);
	assert_true(n_emit > 0);
	assert_true(last.len <= 1240);
	/* A tiny MTU is floored at 552 (Linux min_pmtu). */
	assert_int_equal(tcp_pmtu_update(&st, &pcb, ISS + 1, 300, 4000), 1);
	assert_int_equal(pcb.mss, TCP_MIN_PMTU - 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syn_sent_port_unreachable_is_a_hard_econnrefused),
	    cmocka_unit_test(test_syn_sent_error_quoting_another_sequence_is_out_of_window),
	    cmocka_unit_test(test_established_errors_are_soft),
	    cmocka_unit_test(test_passive_syn_rcvd_only_net_and_host_unreachable_drop_it),
	    cmocka_unit_test(test_ignored),
	    cmocka_unit_test(test_frag_needed_lowers_the_mss_only_for_a_sequence_in_flight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
