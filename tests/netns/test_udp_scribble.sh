#!/usr/bin/env bash
# Isolation: scribbling clients overwrite their whole shared segment with
# seeded random bytes, round after round (tests/unit/sock/sock_scribbler.c).
# The daemon must neither crash nor disturb another client's echo traffic,
# and must drop each scribbler and count why (cavctl ss -s).
. "$(dirname "$0")/lib.sh"

EX=$CAV_ROOT/$CAV_BUILD/examples
SCRIB=$CAV_ROOT/$CAV_BUILD/tests/unit/sock/sock_scribbler
tap_setup

# The well-behaved client: the echo server, fed by Linux all along.
"$EX/udp_echo_server" -p 7 >"$T_DIR/server.log" 2>&1 &
T_PIDS+=($!)
wait_until 5 grep -q listening "$T_DIR/server.log" || fail "server did not start"
cat >"$T_DIR/peer.py" <<'PY'
import socket, sys, os, time
n, ok = int(sys.argv[1]), 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(n):
    d = os.urandom(1 + i % 1400)
    s.sendto(d, ("198.18.0.1", 7))
    try:
        r, _ = s.recvfrom(2000)
        ok += r == d
    except socket.timeout:
        pass
    time.sleep(0.01)
print(ok)
PY
in_ns peer python3 "$T_DIR/peer.py" 400 >"$T_DIR/peer.out" 2>&1 &
peer_pid=$!
T_PIDS+=("$peer_pid")

base=${CAV_SEED:-$(date +%s)}
log "scribbler seeds $base..$((base + 19))"
dropped=0
for i in $(seq 0 19); do
	out=$("$SCRIB" $((base + i)) 50 198.18.0.2 2>&1) || fail "scribbler (seed $((base + i))) failed: $out"
	case "$out" in *"dropped by the daemon"*) dropped=$((dropped + 1)) ;; esac
	kill -0 "$CAV_PID" 2>/dev/null || fail "cavalryd died (seed $((base + i))): $out"
done
wait "$peer_pid" || true
ok=$(cat "$T_DIR/peer.out")
log "scribblers dropped: $dropped of 20; echo traffic meanwhile: $ok/400 intact"
[ "$dropped" -eq 20 ] || fail "only $dropped of 20 scribblers were dropped"
[ "$ok" -eq 400 ] || fail "the other client's echo traffic was disturbed: $ok/400"
s=$(cavctl ss -s)
log "$s"
python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert sum(s["violations"].values()) >= 1, s
' "$(cavctl -j ss -s)" || fail "violations not counted: $s"
# Only the echo server is left.
wait_until 2 sh -c "[ \$($CAVCTL_BIN -s $CAV_SOCK ss | tail -n +2 | wc -l) -eq 1 ]" || fail "left: $(cavctl ss)"
cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
