#!/usr/bin/env bash
# The README's first command: scripts/run brings cavalryd up on the embedded
# default config, the commands it prints work from the demo namespace, and
# SIGTERM stops everything and removes the namespace.
. "$(dirname "$0")/lib.sh"

[ "$CAV_BUILD" = build ] || skip "scripts/run uses the default build only"
SOCK=/run/cavalry/cavalryd.sock
if ip netns list | grep -qw cavdemo || "$CAVCTL_BIN" -s "$SOCK" status >/dev/null 2>&1; then
	skip "a demo (scripts/run) is already running on this machine"
fi
"$CAV_ROOT/scripts/run" >"$T_DIR/run.log" 2>&1 &
run_pid=$!
T_PIDS+=($run_pid)
ready() { grep -q "Ctrl-C stops the daemon" "$T_DIR/run.log"; }
wait_until 60 ready || { cat "$T_DIR/run.log"; fail "scripts/run did not get ready"; }

st=$("$CAVCTL_BIN" -s "$SOCK" status)
assert_contains "$st" "dp0: <UP>" "cavctl status shows the port up"
out=$(ip netns exec cavdemo ping -c 3 -i 0.2 -W 2 198.18.0.1) || fail "demo ping: $out"
assert_contains "$out" "3 received" "demo ping"
out=$(ip netns exec cavdemo ping -c 2 -i 0.2 -W 2 -s 4000 198.18.0.1) || fail "demo 4000-byte ping: $out"
# Every frame Linux sent on cav0 was counted by cavalryd.
tx_linux() { ip netns exec cavdemo cat /sys/class/net/cav0/statistics/tx_packets; }
rx_cav() { "$CAVCTL_BIN" -s "$SOCK" -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["rx_packets"])'; }
counted() { [ "$(rx_cav)" -eq "$(tx_linux)" ]; }
wait_until 5 counted || fail "cavalryd counted $(rx_cav), Linux sent $(tx_linux)"
log "demo: Linux sent $(tx_linux) frames, cavctl stats counted $(rx_cav)"

daemon=$(pgrep -P "$run_pid" cavalryd || true)
kill -TERM "$run_pid"
gone() { ! kill -0 "$run_pid" 2>/dev/null; }
wait_until 10 gone || fail "scripts/run did not stop on SIGTERM"
T_PIDS=()
if ip netns list | grep -qw cavdemo; then fail "namespace cavdemo left behind"; fi
[ -z "$daemon" ] || ! kill -0 "$daemon" 2>/dev/null || fail "cavalryd $daemon still running"
[ ! -e "$SOCK" ] || fail "control socket left behind"
grep -q "exit 0" "$T_DIR/run.log" || fail "cavalryd did not exit 0: $(tail -n 5 "$T_DIR/run.log")"
echo "PASS: $T_NAME"
