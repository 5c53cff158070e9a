#!/usr/bin/env bash
# Blind injection against the Cavalry side (issue 6: RFC 5961 challenge
# ACKs and ACK acceptability, RFC 7323 PAWS). An echo server (tcp_tool
# rr-server) on the Cavalry side; in the Linux peer, py/inject.py opens a
# kernel-socket connection per case, learns the live sequence numbers and
# timestamps from its own capture, forges one segment on the 4-tuple with
# scapy, watches the answer, then checks that a 64 KiB message still echoes
# back byte for byte:
#   in-window RST (not at RCV.NXT)  challenge ACK, the connection survives
#   in-window SYN                   challenge ACK, survives
#   data beyond the window          duplicate ACK, not delivered, survives
#   data at RCV.NXT with an ACK older than any window (RFC 5961 §5.2)
#                                   challenge ACK, not delivered, survives
#   data at RCV.NXT with an old TSval (PAWS)
#                                   dropped (dup ACK), not delivered, survives
#   RST at RCV.NXT exactly          the connection is reset (the control:
#                                   it shows the forged segments reach it)
# Without the mechanisms the first two would reset the connection and the
# data cases would put the injected bytes into the echoed stream. The
# counters (cavctl stats; nstat in KERNEL_PEERS=1 mode, the Linux
# reference) must have moved: challenge_acks, syn_challenges, paws_rejects
# (and on Cavalry rst_challenges, old_ack_drops).
. "$(dirname "$0")/tcp_lib.sh"

/usr/bin/python3 -c "import scapy" 2>/dev/null || skip "python3-scapy not installed"
command -v tcpdump >/dev/null || skip "tcpdump not installed (scapy compiles its filter with it)"
tcp_setup
PORT=7100
cav_spawn 90 tcp_tool rr-server "$PORT" >"$T_DIR/srv.out" 2>"$T_DIR/srv.err"
srv=$SPAWN_PID
wait_until 10 grep -q listening "$T_DIR/srv.err" || fail "echo server did not start: $(cat "$T_DIR/srv.err")"

CTRS="challenge_acks syn_challenges paws_rejects"
[ "$KERNEL_PEERS" = 1 ] || CTRS="$CTRS rst_challenges old_ack_drops"
declare -A c0
for c in $CTRS; do need_counter "c0[$c]" "$c"; done

in_ns "$LINUX_NS" timeout 60 /usr/bin/python3 "$CAV_ROOT/tests/netns/py/inject.py" eth0 "$CAV_ADDR" "$PORT" \
	rst-inwin syn-inwin data-oow data-oldack paws rst-exact >"$T_DIR/inject.out" 2>"$T_DIR/inject.err" ||
	fail "inject.py: $(cat "$T_DIR/inject.err")"

# result CASE EXPECTED WHAT: the case's line has EXPECTED (e.g. "ack=1 survived=1").
result() {
	local line
	line=$(grep "^$1: " "$T_DIR/inject.out") || fail "$1: no result ($(cat "$T_DIR/inject.err"))"
	local want
	for want in $2; do
		case " $line " in
		*" $want "*) ;;
		*) fail "$1: $3: expected $want in: $line" ;;
		esac
	done
	log "$3: ${line%% rcv_nxt=*}"
}
result rst-inwin "ack=1 survived=1" "in-window RST -> challenge ACK, connection survives"
result syn-inwin "ack=1 survived=1" "in-window SYN -> challenge ACK, connection survives"
result data-oow "ack=1 survived=1" "data beyond the window -> dup ACK, not delivered"
result data-oldack "ack=1 survived=1" "data with an ACK older than the window -> challenge ACK, dropped"
result paws "ack=1 survived=1" "data with an old timestamp -> PAWS drop (dup ACK), not delivered"
result rst-exact "ack=0 reset=1" "RST at RCV.NXT -> the connection is reset"

now=0
declare -A want=([challenge_acks]=3 [syn_challenges]=1 [paws_rejects]=1 [rst_challenges]=1 [old_ack_drops]=1)
for c in $CTRS; do
	need_counter now "$c"
	d=$((now - c0[$c]))
	[ "$d" -ge "${want[$c]}" ] || fail "counter $c grew by $d, expected at least ${want[$c]}"
	log "$c +$d"
done

kill -TERM "$srv"
wait "$srv" || fail "echo server: $(cat "$T_DIR/srv.err")"
tcp_finish
