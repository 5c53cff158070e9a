#!/usr/bin/env bash
# UDP through cavalryd to a libcavsock application: Linux in a namespace
# (socat, nc -u) talks to examples/udp_echo_server over a net_tap port;
# checksums, ICMP port unreachable, ECONNREFUSED on a connected socket,
# 65,507-byte datagrams both ways, cavctl ss.
. "$(dirname "$0")/lib.sh"

EX=$CAV_ROOT/$CAV_BUILD/examples
command -v socat >/dev/null || skip "socat not installed"

tap_setup

bg "$EX/udp_echo_server" -p 7 >"$T_DIR/server.log" 2>&1
wait_until 5 grep -q listening "$T_DIR/server.log" || fail "server did not start: $(cat "$T_DIR/server.log")"

# socat from Linux: lines come back.
out=$(printf 'hello cavalry\n' | in_ns peer timeout 5 socat -t 2 - UDP:198.18.0.1:7) || fail "socat: $out"
assert_eq "hello cavalry" "$out" "socat echo"
log "socat: echoed '$out'"

# nc -u: several lines, one datagram each.
out=$( (printf 'one\n'; sleep 0.3; printf 'two\n'; sleep 0.5) | in_ns peer timeout 5 nc -u -w 1 198.18.0.1 7) || true
assert_contains "$out" "one" "nc -u echo of line 1"
assert_contains "$out" "two" "nc -u echo of line 2"
log "nc -u: echoed $(echo "$out" | wc -l) lines"

# cavctl ss shows the bound socket and the server's pid.
ss=$(cavctl ss)
assert_contains "$ss" "0.0.0.0:7" "ss lists the server"
log "ss:"
log "$ss"

# Large datagrams both ways: Linux fragments, cavalryd reassembles, the
# echo is fragmented by cavalryd and reassembled by Linux.
for size in 1472 1473 8000 30000 65507; do
	out=$(in_ns peer python3 - "$size" <<'PY'
import socket, sys, os
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.settimeout(3)
data = os.urandom(n)
ok = 0
for i in range(3):
    s.sendto(data, ("198.18.0.1", 7))
    try:
        r, _ = s.recvfrom(70000)
        ok += r == data
    except socket.timeout:
        pass
print(ok)
PY
) || fail "python peer for $size bytes"
	[ "$out" -ge 2 ] || fail "$size-byte datagrams: $out of 3 echoed intact"
	log "$size-byte datagram: $out/3 echoed intact"
done

# A port nobody listens on: Linux sees ICMP port unreachable.
out=$(in_ns peer python3 "$CAV_ROOT/tests/netns/py/udp_probe.py" 198.18.0.1 9999)
assert_eq "refused" "$out" "ICMP port unreachable from cavalryd"

# The other way: a libcavsock client connected to a closed Linux port
# gets ECONNREFUSED on its next call.
out=$("$EX/udp_echo_client" -n 2 -t 500 198.18.0.2 9 2>&1) && fail "echo client to a closed port succeeded"
assert_contains "$out" "Connection refused" "ECONNREFUSED after ICMP port unreachable"

# And a libcavsock client against a Linux echo server.
cat >"$T_DIR/echo.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
s.bind(("0.0.0.0", 7777))
s.settimeout(60)
while True:
    d, a = s.recvfrom(70000)
    s.sendto(d, a)
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/echo.py"
wait_until 5 ns_listening peer u 7777 || fail "Linux echo server did not start"
out=$("$EX/udp_echo_client" -n 20 -s 1000 198.18.0.2 7777 2>&1) || fail "client to Linux echo: $out"
assert_contains "$out" "ok 20/20" "libcavsock client to Linux"
out=$("$EX/udp_echo_client" -n 3 -s 65507 -t 3000 198.18.0.2 7777 2>&1) || fail "65507-byte client to Linux echo: $out"
assert_contains "$out" "ok 3/3" "65507-byte datagrams from libcavsock"
log "libcavsock client -> Linux echo, 65507 bytes: $out"

cavctl -j stats | python3 -c '
import json, sys
n = json.load(sys.stdin)["nodes"]
assert n["udp_input"] > 0 and n["session_tx"] > 0, n
assert n.get("udp_err_delivered", 0) >= 1, n
' || fail "stats"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
