#!/usr/bin/env bash
# 1,000 concurrent TCP connections each way: Linux opens 1,000 to an echo
# server on the Cavalry side (which must hold them all at once), then a
# libcavsock client opens 1,000 to a Linux echo server; a message is echoed
# on every connection before any is closed. KERNEL_PEERS=1: the Linux
# reference.
. "$(dirname "$0")/tcp_lib.sh"

N=1000
# 1,001 sockets in one libcavsock process (listener + accepted): each slot
# reserves 512 KiB of rings in the segment (committed only when touched).
TCP_SYSCTLS="net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096"
tcp_setup "app_segment_mb = 1024"
for s in $TCP_SYSCTLS; do in_ns peer sysctl -qw "$s"; done

# 1. Linux -> Cavalry.
cav_spawn 120 tcp_tool rr-server 7001 >"$T_DIR/srv.out" 2>"$T_DIR/srv.err"
srv=$SPAWN_PID
wait_until 10 grep -q listening "$T_DIR/srv.err" || fail "echo server did not start: $(cat "$T_DIR/srv.err")"
linux_run 90 tcp_tool conns "$CAV_ADDR" 7001 "$N" -t 60 >"$T_DIR/c1.out" 2>&1 ||
	fail "Linux -> Cavalry: $(cat "$T_DIR/c1.out")"
assert_eq "$N" "$(key "$T_DIR/c1.out" echoed)" "Linux -> Cavalry: connections echoed"
kill -TERM "$srv"
wait "$srv" || fail "echo server exited with an error: $(cat "$T_DIR/srv.err")"
assert_eq "$N" "$(key "$T_DIR/srv.out" accepted)" "connections accepted"
assert_eq "$N" "$(key "$T_DIR/srv.out" max_open)" "connections open at once on the Cavalry side"
assert_eq 0 "$(key "$T_DIR/srv.out" errors)" "connection errors on the Cavalry side"
log "Linux -> Cavalry: $N connections open at once, $N echoed, all closed"

# 2. Cavalry -> Linux.
linux_spawn 120 tcp_tool rr-server 7002 >"$T_DIR/lsrv.out" 2>"$T_DIR/lsrv.err"
lsrv=$SPAWN_PID
wait_until 10 listening "$LINUX_NS" 7002 || fail "Linux echo server did not start"
cav_run 90 tcp_tool conns "$PEER_ADDR" 7002 "$N" -t 60 >"$T_DIR/c2.out" 2>&1 ||
	fail "Cavalry -> Linux: $(cat "$T_DIR/c2.out")"
assert_eq "$N" "$(key "$T_DIR/c2.out" echoed)" "Cavalry -> Linux: connections echoed"
kill -TERM "$lsrv"
wait "$lsrv" || true
assert_eq "$N" "$(key "$T_DIR/lsrv.out" max_open)" "connections open at once on Linux"
log "Cavalry -> Linux: $N connections open at once, $N echoed, all closed"

# Every connection Cavalry had is closed or in TIME_WAIT: none left in
# another state (ESTABLISHED, FIN_WAIT*, CLOSE_WAIT, LAST_ACK).
if [ "$KERNEL_PEERS" != 1 ]; then
	gone() { ! cavctl ss 2>/dev/null | grep -E -q "ESTAB|FIN|CLOSE_WAIT|LAST_ACK|SYN"; }
	wait_until 20 gone || fail "connections left behind: $(cavctl ss | grep -E -v TIME | head)"
fi
tcp_finish
