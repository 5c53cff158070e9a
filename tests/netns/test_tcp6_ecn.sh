#!/usr/bin/env bash
# ECN (RFC 3168, issue 6 item 4) between the Cavalry side and Linux, through
# the middle box (TCP_MIDDLE=1: py/impair.py bridges it), every transfer
# checksummed:
#   (a) negotiation both ways (cavalryd [tcp] ecn = 1, Linux tcp_ecn = 1):
#       the capture shows each end's SYN with ECE|CWR answered by a SYN-ACK
#       with ECE alone, data as ECT(0) both ways, and nothing but new data
#       ECT from the Cavalry side (no SYN, pure ACK, retransmission);
#   (b) CE reaction: the relay marks 5% of the ECT packets CE (--ce).
#       Cavalry receiving: it counts CE (ecn_ce_rcvd) and echoes ECE, Linux
#       answers with CWR. Cavalry sending: it reduces cwnd for the echoed
#       ECE (ecn_cwnd_reductions) and says so with CWR;
#   (c) the issue's motivation: cavalryd's own qdisc (fq_codel with ecn
#       behind a 20 Mbit/s shaper) marks instead of dropping: a bulk
#       Cavalry -> Linux transfer with ECN gets ecn_mark > 0 and no CoDel
#       drop, Linux saw CE (the capture) and echoed ECE; the same transfer
#       with ECN refused by Linux (tcp_ecn = 0) costs CoDel drops.
# KERNEL_PEERS=1: (a) and (b) with a Linux namespace (tcp_ecn = 1) in
# Cavalry's place, its counters from nstat; (c) needs cavalryd's qdisc.
. "$(dirname "$0")/tcp_lib.sh"

command -v tcpdump >/dev/null || skip "tcpdump not installed"
T=30 # bound for one transfer (s)
# shellcheck disable=SC2034 # read by tcp_setup
TCP_MIDDLE=1
# The Linux senders use NewReno: loss-based like CUBIC (which this
# machine allows only in the initial namespace); BBR would ignore CE.
# shellcheck disable=SC2034
TCP_SYSCTLS="net.ipv4.tcp_ecn=1 net.ipv4.tcp_congestion_control=reno"
# shellcheck disable=SC2034
TCP_CONF_EXTRA="[tcp]
ecn = 1"
tcp_setup
in_ns far sysctl -qw net.ipv4.tcp_ecn=1
in_ns far sysctl -qw net.ipv4.tcp_congestion_control=reno
in_ns far sysctl -qw net.ipv4.tcp_no_metrics_save=1

# ---- helpers: the relay, captures, counters ----
ECN_RELAY=
relay_on() { # impair.py options...
	rm -f "$T_DIR/ecn-relay.ready"
	bg ip netns exec "$(ns peer)" python3 "$CAV_ROOT/tests/netns/py/impair.py" eth0 eth1 \
		--ready "$T_DIR/ecn-relay.ready" "$@" >>"$T_DIR/ecn-relay.log" 2>&1
	ECN_RELAY=${T_PIDS[-1]}
	wait_until 10 test -e "$T_DIR/ecn-relay.ready" || fail "impair.py: $(cat "$T_DIR/ecn-relay.log")"
}
relay_off() {
	kill -TERM "$ECN_RELAY"
	wait "$ECN_RELAY" || true
	log "$(tail -n 1 "$T_DIR/ecn-relay.log")"
}
# Captured on the middle box's eth0: what the Cavalry side sent before the
# relay marks it, what reaches it after.
cap_on() { # FILE
	bg ip netns exec "$(ns peer)" tcpdump -i eth0 -n -s 96 -U -w "$1" tcp >"$1.log" 2>&1
	CAP_PID=${T_PIDS[-1]}
	wait_until 10 grep -q "listening on" "$1.log" || fail "tcpdump: $(cat "$1.log")"
}
cap_off() {
	kill -INT "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
}
n_pkts() { tcpdump -r "$1" -n "$2" 2>/dev/null | wc -l; } # FILE FILTER
# TCP payload length in a pcap filter.
PAYLOAD='(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2))'
SYN_ONLY='tcp[13] & 0x12 == 0x02'
SYNACK='tcp[13] & 0x12 == 0x12'
ECE_CWR='tcp[13] & 0xc0 == 0xc0'
ECE_ONLY='tcp[13] & 0xc0 == 0x40'

# xfer NAME DIR SIZE SEED PORT: one checksummed transfer; DIR "in" is
# Linux (far) -> Cavalry side, "out" Cavalry side -> Linux.
xfer() {
	local name=$1 dir=$2 size=$3 seed=$4 port=$5 r
	if [ "$dir" = in ]; then
		(cav_run "$T" tcp_tool recv "$port" -w 2>"$T_DIR/$name.err" | sha256sum >"$T_DIR/$name.sum") &
		r=$!
		T_PIDS+=("$r")
		wait_until 10 grep -q listening "$T_DIR/$name.err" || fail "$name: receiver did not start"
		linux_run "$T" tcp_tool send "$CAV_ADDR" "$port" "$size" -s "$seed" >"$T_DIR/$name.out" 2>&1 ||
			fail "$name: Linux sender: $(cat "$T_DIR/$name.out")"
	else
		(linux_run "$T" tcp_tool recv "$port" -w 2>"$T_DIR/$name.err" | sha256sum >"$T_DIR/$name.sum") &
		r=$!
		T_PIDS+=("$r")
		wait_until 10 listening far "$port" || fail "$name: Linux receiver did not start"
		local rc=0
		cav_run "$T" tcp_tool send "$FAR_ADDR" "$port" "$size" -s "$seed" >"$T_DIR/$name.out" 2>&1 || rc=$?
		[ "$rc" -eq 0 ] || fail "$name: Cavalry-side sender: status $rc: $(cat "$T_DIR/$name.out")" \
			"$(cavctl ss -ti 2>&1 | tail -n 4)"
	fi
	wait "$r" || fail "$name: receiver: $(cat "$T_DIR/$name.err")"
	assert_eq "$(expect_sum "$size" "$seed")" "$(cut -d' ' -f1 "$T_DIR/$name.sum")" "$name: SHA-256"
	if [ "$dir" = in ]; then
		log "$name: $size bytes Linux -> Cavalry side intact ($(key "$T_DIR/$name.out" mbit_per_s) Mbit/s)"
	else
		log "$name: $size bytes Cavalry side -> Linux intact ($(key "$T_DIR/$name.out" mbit_per_s) Mbit/s)"
	fi
}
C=$CAV_ADDR
F=$FAR_ADDR

# ---- (a) negotiation ----
relay_on
cap_on "$T_DIR/a.pcap"
xfer a-in in $((1 << 20)) 1 6401
xfer a-out out $((1 << 20)) 2 6402
cap_off
P=$T_DIR/a.pcap
for f in "src $F and $SYN_ONLY and $ECE_CWR@Linux's SYN with ECE|CWR" \
	"src $C and $SYNACK and $ECE_ONLY@the Cavalry side's SYN-ACK with ECE" \
	"src $C and $SYN_ONLY and $ECE_CWR@the Cavalry side's SYN with ECE|CWR" \
	"src $F and $SYNACK and $ECE_ONLY@Linux's SYN-ACK with ECE" \
	"src $C and ip[1] & 3 == 2 and $PAYLOAD > 0@ECT(0) data from the Cavalry side" \
	"src $F and ip[1] & 3 == 2 and $PAYLOAD > 0@ECT(0) data from Linux"; do
	n=$(n_pkts "$P" "${f%%@*}")
	log "(a) ${f#*@}: $n"
	[ "$n" -gt 0 ] || fail "(a) no ${f#*@} in the capture; its SYNs:" \
		"$(tcpdump -r "$P" -n 'tcp[13] & 2 != 0' 2>/dev/null)"
done
# RFC 3168 §6.1.1 and §6.1.4-5: no ECT on SYNs, SYN-ACKs, pure ACKs.
n=$(n_pkts "$P" "src $C and ip[1] & 3 != 0 and $PAYLOAD == 0")
assert_eq 0 "$n" "(a) ECT packets without data from the Cavalry side"
relay_off

# ---- (b) CE marks from the middle box ----
need_counter ce0 ecn_ce_rcvd
need_counter red0 ecn_cwnd_reductions
relay_on --ce 5 --seed 65
cap_on "$T_DIR/b.pcap"
xfer b-in in $((4 << 20)) 3 6403
need_counter ce1 ecn_ce_rcvd
rx0=$(tcp_counter retrans_segs)
xfer b-out out $((4 << 20)) 4 6404
need_counter red1 ecn_cwnd_reductions
rx1=$(tcp_counter retrans_segs)
cap_off
relay_off
P=$T_DIR/b.pcap
ce_in=$(n_pkts "$P" "src $F and ip[1] & 3 == 3")
ece_c=$(n_pkts "$P" "src $C and tcp port 6403 and tcp[13] & 0x42 == 0x40")
cwr_f=$(n_pkts "$P" "src $F and tcp port 6403 and tcp[13] & 0x82 == 0x80")
ece_f=$(n_pkts "$P" "src $F and tcp port 6404 and tcp[13] & 0x42 == 0x40")
cwr_c=$(n_pkts "$P" "src $C and tcp port 6404 and tcp[13] & 0x82 == 0x80")
log "(b) Cavalry receiving: CE arriving $ce_in, ecn_ce_rcvd +$((ce1 - ce0)), its ECE ACKs $ece_c, Linux's CWR $cwr_f"
log "(b) Cavalry sending: Linux's ECE ACKs $ece_f, ecn_cwnd_reductions +$((red1 - red0)), its CWR $cwr_c," \
	"retransmitted segments +$((rx1 - rx0)) (the relay drops nothing: a reduction needs none)"
[ "$ce_in" -gt 0 ] || fail "(b) the relay marked nothing CE toward the Cavalry side"
[ "$ece_c" -gt 0 ] || fail "(b) the Cavalry side never echoed CE with ECE"
[ "$cwr_f" -gt 0 ] || fail "(b) Linux never answered the echo with CWR"
[ "$ece_f" -gt 0 ] || fail "(b) Linux never echoed ECE"
[ "$cwr_c" -gt 0 ] || fail "(b) the Cavalry side never sent CWR"
if [ "$KERNEL_PEERS" != 1 ]; then
	[ $((ce1 - ce0)) -gt 0 ] || fail "(b) ecn_ce_rcvd did not grow"
	[ $((red1 - red0)) -gt 0 ] || fail "(b) ecn_cwnd_reductions did not grow"
fi

# ---- (c) cavalryd's fq_codel marks instead of dropping ----
if [ "$KERNEL_PEERS" != 1 ]; then
	qset() { "$CAVCTL_BIN" -s "$CAV_SOCK" -t 30000 qdisc set dev dp0 "$@"; }
	# fq_codel's counters (summed over the port's workers' qdiscs).
	qstat() {
		cavctl -j qdisc show -s dev dp0 | python3 -c '
import json, sys
f = sys.argv[1]
print(sum(q.get(f, 0) for q in json.load(sys.stdin) if q["kind"] == "fq_codel"))' "$1"
	}
	relay_on
	qset shaper rate 20mbit burst 16kb
	qset fq_codel ecn # fresh counters
	cap_on "$T_DIR/c.pcap"
	xfer c-ecn out $((6 << 20)) 5 6405
	cap_off
	marks=$(qstat ecn_mark)
	drops=$(qstat drops)
	ce_out=$(n_pkts "$T_DIR/c.pcap" "src $C and ip[1] & 3 == 3")
	ece=$(n_pkts "$T_DIR/c.pcap" "src $F and tcp[13] & 0x42 == 0x40")
	log "(c) ECN on: fq_codel ecn_mark $marks drops $drops; CE reaching Linux $ce_out, its ECE ACKs $ece"
	# Linux refuses ECN now: the same transfer is Not-ECT, CoDel drops.
	in_ns far sysctl -qw net.ipv4.tcp_ecn=0
	qset fq_codel ecn
	xfer c-noecn out $((6 << 20)) 6 6406
	marks0=$(qstat ecn_mark)
	drops0=$(qstat drops)
	log "(c) ECN refused: fq_codel ecn_mark $marks0 drops $drops0"
	relay_off
	[ "$marks" -gt 0 ] || fail "(c) fq_codel marked nothing with ECN"
	[ "$ce_out" -gt 0 ] || fail "(c) no CE-marked packet reached Linux"
	[ "$ece" -gt 0 ] || fail "(c) Linux did not echo the marks"
	[ "$drops" -eq 0 ] || fail "(c) $drops CoDel drops with ECN (marks expected instead)"
	[ "$marks0" -eq 0 ] || fail "(c) $marks0 marks without ECN"
	[ "$drops0" -gt 0 ] || fail "(c) no CoDel drop without ECN: the test does not load the queue"
fi

tcp_finish
