#!/usr/bin/env bash
# libcavsock client lifecycle: a client killed with SIGKILL leaves nothing
# behind within a second (cavctl ss empty, the port bindable again); 100
# client processes at once, each with its own segment, echo through a
# Linux peer; when the daemon stops, a client blocked in cav_recv returns
# an error promptly and its later calls fail cleanly.
. "$(dirname "$0")/lib.sh"

EX=$CAV_ROOT/$CAV_BUILD/examples
CHECK=$CAV_ROOT/$CAV_BUILD/tests/unit/sock/sock_api_check
tap_setup

ms() { echo $(($(date +%s%N) / 1000000)); }
ss_lines() { cavctl ss | tail -n +2 | wc -l; }

# ---- SIGKILL ----
"$EX/udp_echo_server" -p 7000 >"$T_DIR/s1.log" 2>&1 &
spid=$!
T_PIDS+=("$spid")
wait_until 5 grep -q listening "$T_DIR/s1.log" || fail "server did not start"
out=$(printf 'ping\n' | in_ns peer timeout 5 socat -t 2 - UDP:198.18.0.1:7000)
assert_eq "ping" "$out" "echo before the kill"
assert_contains "$(cavctl ss)" "pid=$spid" "ss shows the server's pid"
kill -KILL "$spid"
t0=$(ms)
wait "$spid" 2>/dev/null || true
empty() { [ "$(ss_lines)" -eq 0 ]; }
wait_until 2 empty || fail "sockets left after SIGKILL: $(cavctl ss)"
t1=$(ms)
log "SIGKILL: cavctl ss empty after $((t1 - t0)) ms"
[ $((t1 - t0)) -le 1000 ] || fail "cleanup took $((t1 - t0)) ms (> 1 s)"
"$EX/udp_echo_server" -p 7000 >"$T_DIR/s2.log" 2>&1 &
T_PIDS+=($!)
wait_until 2 grep -q listening "$T_DIR/s2.log" || fail "port 7000 not bindable again: $(cat "$T_DIR/s2.log")"
log "port 7000 bound again after $(($(ms) - t0)) ms"
out=$(printf 'again\n' | in_ns peer timeout 5 socat -t 2 - UDP:198.18.0.1:7000)
assert_eq "again" "$out" "echo from the new server"
s=$(cavctl -j ss -s)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["detached"] >= 1, s' "$s" || fail "ss -s: $s"

# ---- 100 concurrent clients ----
cat >"$T_DIR/echo.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", 7777))
s.settimeout(60)
while True:
    d, a = s.recvfrom(70000)
    s.sendto(d, a)
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/echo.py"
wait_until 5 ns_listening peer u 7777 || fail "Linux echo server did not start"
pids=()
for i in $(seq 100); do
	"$EX/udp_echo_client" -n 20 -s 200 -t 3000 198.18.0.2 7777 >"$T_DIR/c$i.log" 2>&1 &
	pids+=($!)
done
okc=0
for p in "${pids[@]}"; do wait "$p" && okc=$((okc + 1)); done
log "100 concurrent clients: $okc exited 0 ($(cat "$T_DIR"/c*.log | grep -c 'ok 20/20') printed ok 20/20)"
[ "$okc" -ge 98 ] || fail "only $okc of 100 clients got all 20 echoes: $(grep -h -v 'ok 20/20' "$T_DIR"/c*.log | head -5)"
wait_until 2 sh -c "[ \$($CAVCTL_BIN -s $CAV_SOCK ss | tail -n +2 | wc -l) -eq 1 ]" || fail "sockets left: $(cavctl ss)"

# ---- daemon stop while a client is blocked in cav_recv ----
"$CHECK" block-recv 7100 >"$T_DIR/b.log" 2>&1 &
bpid=$!
T_PIDS+=("$bpid")
wait_until 5 grep -q blocked "$T_DIR/b.log" || fail "blocking client did not start"
# In cav_recv: past its spin, asleep in poll() on the eventfd.
wait_until 5 grep -q "^State:[[:space:]]*S" "/proc/$bpid/status" || fail "blocking client never slept"
t0=$(ms)
cav_stop
for _ in $(seq 100); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.02; done
kill -0 "$bpid" 2>/dev/null && fail "client still blocked 2 s after the daemon stopped"
wait "$bpid" && brc=0 || brc=$?
log "blocked client returned $(($(ms) - t0)) ms after SIGTERM to the daemon:"
sed 's/^/    /' "$T_DIR/b.log"
assert_eq 0 "$brc" "blocked recv returned ECONNRESET and later calls failed"
assert_eq 0 "$CAV_EXIT" "daemon exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
