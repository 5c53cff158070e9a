#!/usr/bin/env bash
# A SYN flood at a listener on the Cavalry side (issue 6: SYN cookies).
# `hping3 --flood -S` from the Linux peer, spoofing a source in the test's
# subnet that never answers (198.18.0.99: the SYN-ACKs go nowhere, as in
# a real flood), at an echo server (tcp_tool rr-server) listening with a
# backlog of 8, so its SYN queue is full at once. During the flood:
#   - a bulk transfer on a connection established before it goes on
#     (Linux -> Cavalry, FLOOD_BULK_S seconds, checksummed);
#   - new connections keep succeeding: ROUNDS x N connections from Linux,
#     each echoing a message (tcp_tool conns), within a bound;
#   - they did so by SYN cookies: syncookies_sent and syncookies_recv grew
#     (cavctl stats; nstat in KERNEL_PEERS=1 mode, the Linux reference).
# Then the same flood with cookies off ([tcp] syncookies = 0; the
# reference: net.ipv4.tcp_syncookies=0): new connections now fail (their
# SYNs find the queue full and are dropped) -- the difference cookies make.
. "$(dirname "$0")/tcp_lib.sh"

command -v hping3 >/dev/null || skip "hping3 not installed (scripts/lib/common.sh CAV_TEST_PKGS)"
PORT=7200
BULK_PORT=7201
SPOOF=198.18.0.99
N=8
ROUNDS=3
BULK_S=${FLOOD_BULK_S:-8}
tcp_setup

# flood_start / flood_stop: hping3 at full speed (bounded by timeout(1)).
flood_start() {
	bg ip netns exec "$(ns "$LINUX_NS")" timeout 60 hping3 --flood -S -p "$PORT" -a "$SPOOF" "$CAV_ADDR" \
		>"$T_DIR/hping$1.out" 2>&1
	FLOOD=${T_PIDS[-1]}
}
flood_stop() {
	kill -INT "$FLOOD" 2>/dev/null || true
	wait "$FLOOD" 2>/dev/null || true
	grep -m1 "packets transmitted" "$T_DIR/hping$1.out" || true
}
server_start() {
	cav_spawn 90 tcp_tool rr-server "$PORT" -b 8 >"$T_DIR/srv$1.out" 2>"$T_DIR/srv$1.err"
	SRV=$SPAWN_PID
	wait_until 10 grep -q listening "$T_DIR/srv$1.err" || fail "echo server did not start: $(cat "$T_DIR/srv$1.err")"
}
# over NAME THRESHOLD: wait (bounded) until counter NAME exceeds THRESHOLD.
counter_over() { local v; v=$(tcp_counter "$1"); [ -n "$v" ] && [ "$v" -gt "$2" ]; }

sent0=0 recv0=0 drops0=0 # set by need_counter
# ---- 1. cookies on (the default)
server_start 1
need_counter sent0 syncookies_sent
need_counter recv0 syncookies_recv

# The established connection, then the flood.
(cav_run 60 tcp_tool recv "$BULK_PORT" -w 2>"$T_DIR/bulk-r.err" | sha256sum >"$T_DIR/bulk-r.sum") &
bulk_r=$!
T_PIDS+=("$bulk_r")
wait_until 10 grep -q listening "$T_DIR/bulk-r.err" || fail "bulk receiver did not start"
linux_spawn 60 tcp_tool send "$CAV_ADDR" "$BULK_PORT" 64G -d "$BULK_S" >"$T_DIR/bulk-s.out" 2>&1
bulk_s=$SPAWN_PID
estab() { in_ns "$LINUX_NS" ss -Htn state established "dport = :$BULK_PORT" | grep -q .; }
wait_until 10 estab || fail "the bulk connection was not established"
flood_start 1
wait_until 15 counter_over syncookies_sent "$sent0" ||
	fail "no SYN cookie sent under the flood: $(head -n 3 "$T_DIR/hping1.out")"
log "flood on: SYN cookies sent"

# New connections during the flood.
for r in $(seq "$ROUNDS"); do
	linux_run 30 tcp_tool conns "$CAV_ADDR" "$PORT" "$N" -t 15 >"$T_DIR/c1-$r.out" 2>&1 ||
		fail "round $r: new connections under the flood failed: $(cat "$T_DIR/c1-$r.out")"
	assert_eq "$N" "$(key "$T_DIR/c1-$r.out" echoed)" "round $r: connections echoed under the flood"
done
log "under the flood: $ROUNDS x $N new connections established and echoed"

wait "$bulk_s" || fail "bulk sender failed under the flood: $(cat "$T_DIR/bulk-s.out")"
wait "$bulk_r" || fail "bulk receiver failed under the flood: $(cat "$T_DIR/bulk-r.err")"
flood_stop 1 >"$T_DIR/flood1.txt"
got=$(key "$T_DIR/bulk-r.err" received)
assert_eq "$(key "$T_DIR/bulk-s.out" sent)" "$got" "bulk: bytes received"
assert_eq "$("$EX/tcp_tool_kernel" gen "$got" | sha256sum | cut -d' ' -f1)" "$(cut -d' ' -f1 "$T_DIR/bulk-r.sum")" "bulk: SHA-256"
log "bulk transfer through the flood: $got bytes intact, $(key "$T_DIR/bulk-s.out" mbit_per_s) Mbit/s"

need_counter sent syncookies_sent
need_counter recv syncookies_recv
sent=$((sent - sent0))
recv=$((recv - recv0))
[ "$recv" -gt 0 ] || fail "no connection completed by a SYN cookie (syncookies_recv did not grow)"
log "flood: $(cat "$T_DIR/flood1.txt"); syncookies_sent +$sent, syncookies_recv +$recv"
kill -TERM "$SRV"
wait "$SRV" || fail "echo server: $(cat "$T_DIR/srv1.err")"

# ---- 2. cookies off: the same flood shuts new connections out.
if [ "$KERNEL_PEERS" = 1 ]; then
	in_ns cav sysctl -qw net.ipv4.tcp_syncookies=0
else
	cav_stop
	assert_eq 0 "$CAV_EXIT" "cavalryd exit status (cookies on)"
	printf '[tcp]\nsyncookies = 0\n' >>"$T_DIR/c.conf"
	cav_start "$T_DIR/c.conf"
	tap_peer peer eth0 "$PEER_ADDR/24"
fi
server_start 2
need_counter drops0 listen_drops
need_counter sent0 syncookies_sent
flood_start 2
wait_until 15 counter_over listen_drops "$drops0" ||
	fail "cookies off: the flood did not fill the SYN queue (listen_drops did not grow)"
ok=0
linux_run 30 tcp_tool conns "$CAV_ADDR" "$PORT" "$N" -t 6 >"$T_DIR/c2.out" 2>&1 || true
ok=$(key "$T_DIR/c2.out" echoed)
flood_stop 2 >"$T_DIR/flood2.txt"
need_counter sent syncookies_sent
assert_eq "$sent0" "$sent" "cookies off: syncookies_sent"
[ "${ok:-0}" -lt "$N" ] ||
	fail "cookies off: all $N new connections succeeded under the flood; the test cannot tell cookies from none"
log "cookies off, same flood ($(cat "$T_DIR/flood2.txt")): ${ok:-0} of $N new connections in 6 s"
kill -TERM "$SRV"
wait "$SRV" || true
tcp_finish
