#!/usr/bin/env bash
# TCP errors as Linux reports them: a Linux client to a closed port on the
# Cavalry side gets ECONNREFUSED (Cavalry answers the SYN with a RST); a
# libcavsock client to a closed Linux port gets ECONNREFUSED (blocking, and
# non-blocking through SO_ERROR); a sender whose peer vanishes mid-transfer
# gets ETIMEDOUT once the retransmissions run out. [tcp] retries2 = 3
# (Linux's tcp_retries2 in the reference mode) bounds that to seconds: with
# the RTO doubling from 200 ms, Linux gives up after about 3 s.
. "$(dirname "$0")/tcp_lib.sh"

# shellcheck disable=SC2034 # read by tcp_setup
TCP_CONF_EXTRA=$'[tcp]\nretries2 = 3'
# shellcheck disable=SC2034
TCP_SYSCTLS="net.ipv4.tcp_retries2=3"
tcp_setup

# 1. Linux -> closed Cavalry port.
out=$(linux_run 10 tcp_tool connect "$CAV_ADDR" 5999 2>/dev/null) && fail "connect to a closed Cavalry port succeeded"
assert_eq ECONNREFUSED "$out" "Linux client to a closed Cavalry port"
log "Linux -> closed Cavalry port: $out"

# 2. Cavalry -> closed Linux port.
out=$(cav_run 10 tcp_tool connect "$PEER_ADDR" 5999 2>/dev/null) && fail "connect to a closed Linux port succeeded"
assert_eq ECONNREFUSED "$out" "Cavalry client to a closed Linux port"
log "Cavalry -> closed Linux port: $out"

# The same with non-blocking connects: EINPROGRESS, then POLLOUT and
# SO_ERROR = ECONNREFUSED.
out=$(linux_run 10 tcp_tool connect "$CAV_ADDR" 5999 -n 2>/dev/null) && fail "non-blocking connect to a closed Cavalry port succeeded"
assert_eq ECONNREFUSED "$out" "Linux non-blocking client to a closed Cavalry port"
out=$(cav_run 10 tcp_tool connect "$PEER_ADDR" 5999 -n 2>/dev/null) && fail "non-blocking connect to a closed Linux port succeeded"
assert_eq ECONNREFUSED "$out" "Cavalry non-blocking client to a closed Linux port (SO_ERROR)"

# A port that is open answers (the two above are not a dead path).
linux_spawn 20 tcp_tool rr-server 5998 >/dev/null 2>"$T_DIR/lsrv.err"
wait_until 10 listening peer 5998 || fail "Linux echo server did not start"
out=$(cav_run 10 tcp_tool connect "$PEER_ADDR" 5998 2>&1) || fail "connect to an open Linux port: $out"
assert_eq connected "$out" "Cavalry client to an open Linux port"
out=$(cav_run 10 tcp_tool connect "$PEER_ADDR" 5998 -n 2>&1) || fail "non-blocking connect to an open Linux port: $out"
assert_eq connected "$out" "Cavalry non-blocking client to an open Linux port"

# 3. The peer vanishes mid-transfer: a 1 GiB send that cannot finish in
# the time bound, the peer's link set down once data flows.
linux_spawn 60 tcp_tool recv 5997 >"$T_DIR/r.out" 2>"$T_DIR/r.err"
wait_until 10 listening peer 5997 || fail "Linux receiver did not start"
cav_spawn 60 tcp_tool send "$PEER_ADDR" 5997 1G >"$T_DIR/s.out" 2>"$T_DIR/s.err"
sender=$SPAWN_PID
# Bytes the Linux receiver has taken: ss's bytes_received for the connection.
received() { in_ns peer ss -Htni "sport = :5997" | sed -n 's/.*bytes_received:\([0-9]*\).*/\1/p' | head -n 1; }
flowing() { [ "$(received)" -gt 1048576 ] 2>/dev/null; }
wait_until 20 flowing || fail "no data flowed before the peer vanished (received: $(received))"
# The peer goes silent: a blackhole route drops everything it sends to us
# (the iptables DROP of an OUTPUT chain, without iptables). Not `ip link
# set down`: on Linux the sender's neighbour entry then fails and Linux
# reports that soft error (EHOSTUNREACH) instead of ETIMEDOUT, depending
# on the ARP timers: not a stable reference.
log "peer received $(received) bytes; it goes silent"
in_ns peer ip route add blackhole "$CAV_ADDR/32"
t0=$(date +%s)
# The sender must give up by itself: ETIMEDOUT within the bound (retries2
# = 3: a few seconds; 40 s leaves room for a slow machine).
stopped() { ! kill -0 "$sender" 2>/dev/null; }
wait_until 40 stopped || fail "sender still running 40 s after the peer vanished: $(cat "$T_DIR/s.err")"
wait "$sender" && fail "the send to a vanished peer succeeded"
err=$(cat "$T_DIR/s.err")
assert_contains "$err" "ETIMEDOUT" "error of a send to a vanished peer"
log "sender gave up after $(($(date +%s) - t0)) s: $(grep -o 'send: .*' "$T_DIR/s.err")"

tcp_finish
