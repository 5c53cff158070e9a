#!/usr/bin/env bash
# The README's first command: scripts/run brings cavalryd up on the embedded
# default config, the commands it prints work from the demo namespace (ping,
# and curl against examples/http_server over Cavalry's TCP once libcavsock
# has SOCK_STREAM), and SIGTERM stops everything and removes the namespace.
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

# The HTTP demo, with the very curl commands scripts/run printed.
if [ -x "$CAV_ROOT/$CAV_BUILD/examples/http_server" ]; then
	grep -q "serves HTTP on 198.18.0.1:8080" "$T_DIR/run.log" || fail "http_server not started: $(grep -A2 http_server "$T_DIR/run.log")"
	cmd=$(grep -m1 "curl http://198.18.0.1:8080/$" "$T_DIR/run.log" | sed 's/^ *//')
	[ -n "$cmd" ] || fail "scripts/run printed no curl command"
	# shellcheck disable=SC2086 # the printed command line, word by word
	out=$(timeout 20 $cmd --max-time 15 -sS 2>&1) || fail "$cmd: $out"
	assert_contains "$out" "Hello from Cavalry" "the demo page"
	want=$("$CAV_ROOT/$CAV_BUILD/examples/tcp_tool_kernel" gen 1048576 | sha256sum)
	got=$(timeout 20 ip netns exec cavdemo curl -sS --max-time 15 http://198.18.0.1:8080/bytes/1048576 | sha256sum)
	assert_eq "$want" "$got" "SHA-256 of /bytes/1048576 from the demo"
	log "demo: $cmd works; /bytes/1048576 intact"
else
	log "demo: no http_server in this build (libcavsock without SOCK_STREAM): HTTP not checked"
fi

daemon=$(pgrep -P "$run_pid" cavalryd || true)
httpd=$(pgrep -P "$run_pid" http_server || true)
kill -TERM "$run_pid"
gone() { ! kill -0 "$run_pid" 2>/dev/null; }
wait_until 10 gone || fail "scripts/run did not stop on SIGTERM"
T_PIDS=()
if ip netns list | grep -qw cavdemo; then fail "namespace cavdemo left behind"; fi
[ -z "$daemon" ] || ! kill -0 "$daemon" 2>/dev/null || fail "cavalryd $daemon still running"
[ -z "$httpd" ] || ! kill -0 "$httpd" 2>/dev/null || fail "http_server $httpd still running"
[ ! -e "$SOCK" ] || fail "control socket left behind"
grep -q "exit 0" "$T_DIR/run.log" || fail "cavalryd did not exit 0: $(tail -n 5 "$T_DIR/run.log")"
echo "PASS: $T_NAME"
