#!/usr/bin/env bash
# TIME_WAIT reuse on connect ([tcp] tw_reuse, Linux net.ipv4.tcp_tw_reuse):
# a libcavsock client opens, uses and closes connections to one Linux echo
# server as fast as it can (tcp_tool crr-client: it closes first, so every
# connection leaves a TIME_WAIT on the Cavalry side, 2 MSL = 120 s here).
# With tw_reuse = 0 the 28,232 ephemeral ports run out and connect() fails
# with EADDRNOTAVAIL, as on Linux; with tw_reuse = 1 the connections go on
# past the range, taking over TIME_WAIT tuples older than 1 s (the new SYN
# starts at the old SND.NXT + 65537 and the Linux server, which has no
# state left for the tuple, accepts it). Every exchange is checked by the
# client (64-byte request, echoed). KERNEL_PEERS=1 has no [tcp] keys: skip.
. "$(dirname "$0")/tcp_lib.sh"

[ "$KERNEL_PEERS" = 1 ] && skip "tw_reuse is cavalryd's [tcp] key"
RANGE=28232 # 32768..60999, Linux's ip_local_port_range (lib/session)
TCP_CONF_EXTRA="[tcp]
time_wait_ms = 120000
tw_reuse = 0"
tcp_setup

linux_spawn 150 tcp_tool rr-server 7100 >"$T_DIR/srv.out" 2>"$T_DIR/srv.err"
srv=$SPAWN_PID
wait_until 10 listening "$LINUX_NS" 7100 || fail "Linux echo server did not start"

# 1. tw_reuse = 0: the range runs out. Bounded: 60 s (the test needs
# about 470 connections/s to see it; a slower machine fails with the
# rate in the message).
cav_run 90 tcp_tool crr-client "$PEER_ADDR" 7100 60 >"$T_DIR/c0.out" 2>&1 ||
	fail "tw_reuse=0 client: $(cat "$T_DIR/c0.out")"
n0=$(key "$T_DIR/c0.out" connections)
assert_contains "$(key "$T_DIR/c0.out" stopped_by)" EADDRNOTAVAIL \
	"tw_reuse=0: $n0 connections at $(key "$T_DIR/c0.out" cps)/s, then"
[ "$n0" -ge $((RANGE - 16)) ] && [ "$n0" -le "$RANGE" ] ||
	fail "tw_reuse=0: $n0 connections before EADDRNOTAVAIL, expected the range ($RANGE)"
assert_eq 0 "$(cavctl -j stats | grep -o '"tw_reused": *[0-9]*' | grep -o '[0-9]*$')" \
	"tw_reuse=0: TIME_WAIT tuples taken over"
log "tw_reuse=0: $n0 connections, then EADDRNOTAVAIL (every port in TIME_WAIT)"

# 2. tw_reuse = 1, a fresh daemon: past the range.
cav_stop
assert_eq 0 "$CAV_EXIT" "cavalryd (tw_reuse=0) exit status"
cav_conf "$T_DIR/c1.conf" "workers = ${TCP_WORKERS:-2}" <<CONF
[port dp0]
device = net_tap0,iface=eth0
netns = $(ns peer)
address = $CAV_ADDR/24
[tcp]
time_wait_ms = 120000
tw_reuse = 1
CONF
cav_start "$T_DIR/c1.conf"
tap_peer peer eth0 "$PEER_ADDR/24"
want=$((RANGE + 3000))
secs=$((want * 100 / ($(key "$T_DIR/c0.out" cps) + 1) / 100 + 5))
[ "$secs" -le 70 ] || secs=70
cav_run $((secs + 30)) tcp_tool crr-client "$PEER_ADDR" 7100 "$secs" >"$T_DIR/c1.out" 2>&1 ||
	fail "tw_reuse=1 client: $(cat "$T_DIR/c1.out")"
n1=$(key "$T_DIR/c1.out" connections)
assert_eq time "$(key "$T_DIR/c1.out" stopped_by)" "tw_reuse=1: the client stopped by"
[ "$n1" -gt "$RANGE" ] || fail "tw_reuse=1: only $n1 connections in $secs s (range $RANGE)"
reused=$(cavctl -j stats | grep -o '"tw_reused": *[0-9]*' | grep -o '[0-9]*$')
[ "${reused:-0}" -ge $((n1 - RANGE - 16)) ] ||
	fail "tw_reuse=1: $n1 connections but only ${reused:-0} TIME_WAIT tuples taken over"
log "tw_reuse=1: $n1 connections in $secs s, $reused of them on TIME_WAIT tuples taken over"

kill -TERM "$srv"
wait "$srv" || true
tcp_finish
