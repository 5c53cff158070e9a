#!/usr/bin/env bash
# Bulk TCP both ways between a libcavsock program and Linux, checksummed:
# 64 MiB each direction (1 GiB with CAV_LONG=1), Linux's end is the kernel
# build of examples/tcp_tool one way and socat the other; then a sender
# that closes right after its last send (the stack must still deliver
# every byte and the FIN). KERNEL_PEERS=1: the Linux reference.
. "$(dirname "$0")/tcp_lib.sh"

command -v socat >/dev/null || skip "socat not installed"
SIZE=$((64 << 20))
[ "$CAV_LONG" = 1 ] && SIZE=$((1 << 30))
T=$((CAV_LONG == 1 ? 600 : 120)) # bound for one transfer (s)
tcp_setup
want=$(expect_sum "$SIZE")

# 1. Linux -> Cavalry: tcp_tool recv on the Cavalry side, kernel sender.
(cav_run "$T" tcp_tool recv 5001 -w 2>"$T_DIR/r1.err" | sha256sum >"$T_DIR/r1.sum") &
T_PIDS+=($!)
r1=$!
wait_until 10 grep -q listening "$T_DIR/r1.err" || fail "receiver did not start: $(cat "$T_DIR/r1.err")"
linux_run "$T" tcp_tool send "$CAV_ADDR" 5001 "$SIZE" >"$T_DIR/s1.out" 2>&1 ||
	fail "Linux -> Cavalry: sender failed: $(cat "$T_DIR/s1.out"; cat "$T_DIR/r1.err")"
wait "$r1" || fail "Linux -> Cavalry: receiver failed: $(cat "$T_DIR/r1.err")"
assert_eq "$SIZE" "$(key "$T_DIR/r1.err" received)" "Linux -> Cavalry: bytes received"
assert_eq "$want" "$(cut -d' ' -f1 "$T_DIR/r1.sum")" "Linux -> Cavalry: SHA-256 of the stream"
log "Linux -> Cavalry: $SIZE bytes intact, $(key "$T_DIR/s1.out" mbit_per_s) Mbit/s"

# 2. Cavalry -> Linux: socat writes what it reads to stdout.
(linux_run "$T" socat -u TCP-LISTEN:5002,reuseaddr STDOUT 2>"$T_DIR/r2.err" | sha256sum >"$T_DIR/r2.sum") &
T_PIDS+=($!)
r2=$!
wait_until 10 listening peer 5002 || fail "socat did not listen"
cav_run "$T" tcp_tool send "$PEER_ADDR" 5002 "$SIZE" >"$T_DIR/s2.out" 2>&1 ||
	fail "Cavalry -> Linux: sender failed: $(cat "$T_DIR/s2.out")"
wait "$r2" || fail "Cavalry -> Linux: socat failed: $(cat "$T_DIR/r2.err")"
assert_eq "$want" "$(cut -d' ' -f1 "$T_DIR/r2.sum")" "Cavalry -> Linux: SHA-256 of the stream"
log "Cavalry -> Linux: $SIZE bytes intact, $(key "$T_DIR/s2.out" mbit_per_s) Mbit/s"

# 3. Close right after the last send (-q): the process is gone before the
# data is; the stack delivers the rest and the FIN (no RST, no loss).
Q=$((4 << 20))
(linux_run 60 tcp_tool recv 5003 -w 2>"$T_DIR/r3.err" | sha256sum >"$T_DIR/r3.sum") &
T_PIDS+=($!)
r3=$!
wait_until 10 listening peer 5003 || fail "receiver 3 did not listen"
cav_run 60 tcp_tool send "$PEER_ADDR" 5003 "$Q" -s 3 -q >"$T_DIR/s3.out" 2>&1 ||
	fail "quick-close sender failed: $(cat "$T_DIR/s3.out")"
wait "$r3" || fail "quick close: receiver failed (the stream did not end with a FIN): $(cat "$T_DIR/r3.err")"
assert_eq "$(expect_sum "$Q" 3)" "$(cut -d' ' -f1 "$T_DIR/r3.sum")" "quick close: SHA-256"
log "close() right after send: $Q bytes and the FIN delivered"

tcp_finish
