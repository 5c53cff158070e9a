#!/usr/bin/env bash
# TCP through cavalryd to a libcavsock application: Linux in a namespace
# connects (socat, python) to an echo server on libcavsock
# (examples/tcp_tool rr-server) over a net_tap port; the echo comes back
# (a line, then 1 MiB both ways: segmentation, windows, window updates);
# `cavctl ss -t` shows the connection ESTABLISHED and `-i` its figures; a
# Linux client to a closed port gets "Connection refused" (RST); the
# connection table is empty again once TIME_WAIT (shortened by [tcp]) ends.
. "$(dirname "$0")/lib.sh"

EX=$CAV_ROOT/$CAV_BUILD/examples
command -v socat >/dev/null || skip "socat not installed"
[ -x "$EX/tcp_tool" ] || skip "examples/tcp_tool not built"

TAP_CONF_EXTRA="[tcp]
time_wait_ms = 1000
syn_retries = 2"
tap_setup

bg "$EX/tcp_tool" rr-server 7 >"$T_DIR/server.log" 2>&1
wait_until 5 grep -q listening "$T_DIR/server.log" || fail "server did not start: $(cat "$T_DIR/server.log")"
ss=$(cavctl ss -tl)
assert_contains "$ss" "LISTEN" "ss -tl lists the listener"
assert_contains "$ss" "0.0.0.0:7" "ss -tl shows its port"

# socat from Linux: the line comes back.
out=$(printf 'hello cavalry\n' | in_ns peer timeout 10 socat -t 3 - TCP:198.18.0.1:7) ||
	fail "socat: $out; $(cavctl ss -ta)"
assert_eq "hello cavalry" "$out" "socat echo"
log "socat: echoed '$out'"

# Both ends on libcavsock, through the daemon (ip4_output to one of our
# addresses loops back to tcp_input).
out=$("$EX/tcp_tool" rr-client 198.18.0.1 7 100 0.3 2>&1) || fail "local rr-client: $out"
assert_contains "$out" "transactions:" "libcavsock client to libcavsock server"
log "local: $(echo "$out" | grep -E 'transactions|mean_rtt' | tr '\n' ' ')"

# A held connection: ss -t shows it ESTABLISHED (and -i its figures)
# while a python client waits for a file to appear.
cat >"$T_DIR/hold.py" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("198.18.0.1", 7), timeout=5)
s.sendall(b"ping\n")
assert s.recv(16) == b"ping\n"
print("echoed", flush=True)
end = time.time() + 15
while not os.path.exists(sys.argv[1]) and time.time() < end:
    time.sleep(0.05)
s.close()
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/hold.py" "$T_DIR/release" >"$T_DIR/hold.log" 2>&1
wait_until 10 grep -q echoed "$T_DIR/hold.log" || fail "held connection: $(cat "$T_DIR/hold.log")"
ss=$(cavctl ss -t)
log "ss -t:"
log "$ss"
echo "$ss" | grep -E 'ESTAB .*198\.18\.0\.1:7 +198\.18\.0\.2:[0-9]+' >/dev/null ||
	fail "ss -t shows no ESTAB connection 198.18.0.1:7 <- 198.18.0.2: $ss"
ssi=$(cavctl ss -ti)
assert_contains "$ssi" "rto:" "ss -ti shows the RTO"
assert_contains "$ssi" "cwnd:" "ss -ti shows cwnd"
cavctl -j ss -ti | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["netid"] == "tcp" and r["state"] == "ESTAB"]
assert rows and rows[0]["mss"] > 0 and rows[0]["segs_in"] >= 2, rows
' || fail "ss -j -ti"
touch "$T_DIR/release"

# 1 MiB each way on one connection: many segments, the window filled and
# opened again as the application reads.
out=$(in_ns peer timeout 30 python3 - <<'PY'
import os, socket, hashlib, threading
data = os.urandom(1 << 20)
s = socket.create_connection(("198.18.0.1", 7), timeout=20)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
t.join()
print("intact" if bytes(got) == data else "corrupt %d of %d" % (len(got), len(data)))
PY
) || fail "1 MiB echo: $out; $(cavctl ss -tai)"
assert_eq "intact" "$out" "1 MiB echoed intact"
log "1 MiB each way: $out"

# A closed port: Linux sees an RST.
out=$(in_ns peer python3 - <<'PY'
import socket
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("198.18.0.1", 9999))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PY
)
assert_eq "refused" "$out" "RST from a closed port"
out=$(in_ns peer timeout 5 socat - TCP:198.18.0.1:9999 </dev/null 2>&1) && fail "socat to a closed port succeeded"
assert_contains "$out" "Connection refused" "socat: Connection refused"

# Active opens from libcavsock to Linux: a connection refused (RST from
# Linux) is ECONNREFUSED; request/response against a Linux echo server
# (two workers: the return traffic may land on the worker that does not
# own the connection and is handed over); 2 MiB to a Linux sink, intact.
out=$("$EX/tcp_tool" connect 198.18.0.2 8001 2>/dev/null) && fail "connect to a closed Linux port: $out"
assert_eq "ECONNREFUSED" "$out" "libcavsock connect to a closed port"
cat >"$T_DIR/echo.py" <<'PY'
import socket, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", 8000))
ls.listen(16)
ls.settimeout(60)
def serve(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
cat >"$T_DIR/sink.py" <<'PY'
import socket, hashlib
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", 8002))
ls.listen(4)
ls.settimeout(30)
c, _ = ls.accept()
h, n = hashlib.sha256(), 0
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    h.update(d)
    n += len(d)
print(n, h.hexdigest(), flush=True)
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/echo.py"
bg ip netns exec "$(ns peer)" python3 "$T_DIR/sink.py" >"$T_DIR/sink.out" 2>&1
wait_until 5 sh -c "ip netns exec $(ns peer) ss -tln | grep -q ':8000 '" || fail "Linux echo server did not start"
wait_until 5 sh -c "ip netns exec $(ns peer) ss -tln | grep -q ':8002 '" || fail "Linux sink did not start"
for i in 1 2 3 4; do
	out=$("$EX/tcp_tool" rr-client 198.18.0.2 8000 1000 0.3 2>&1) || fail "rr-client $i: $out"
	assert_contains "$out" "transactions:" "rr-client $i"
done
log "rr-client against Linux: $(echo "$out" | tr '\n' ' ')"
"$EX/tcp_tool" send 198.18.0.2 8002 2097152 -s 5 >"$T_DIR/send.out" 2>&1 || fail "send: $(cat "$T_DIR/send.out")"
wait_until 10 grep -q . "$T_DIR/sink.out" || fail "sink got nothing"
want=$("$EX/tcp_tool" gen 2097152 -s 5 | sha256sum | cut -d' ' -f1)
assert_eq "2097152 $want" "$(cat "$T_DIR/sink.out")" "2 MiB from libcavsock to Linux, intact"
log "2 MiB libcavsock -> Linux: intact"

# A client that dies with connections open: as Linux closes a dead
# process's sockets, the bytes it queued are still sent, then FIN (the
# daemon keeps its segment until they are done); one that had data left
# unread is reset. The Linux peers do not read until the client is dead.
cat >"$T_DIR/peer_dead.py" <<'PY'
import hashlib, os, socket, sys, time
port, greet, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
ls.bind(("0.0.0.0", port))
ls.listen(1)
ls.settimeout(20)
c, _ = ls.accept()
if greet:
    c.sendall(b"x" * greet)
print("accepted", flush=True)
end = time.time() + 20
while not os.path.exists(flag) and time.time() < end:
    time.sleep(0.02)
c.settimeout(15)
h, n, how = hashlib.sha256(), 0, "timeout"
try:
    while True:
        d = c.recv(65536)
        if not d:
            how = "eof"
            break
        h.update(d)
        n += len(d)
except ConnectionResetError:
    how = "reset"
except socket.timeout:
    pass
print(how, n, h.hexdigest(), flush=True)
PY
dead_client() { # PORT GREET: run a sender to PORT, kill it once the peer accepted
	bg ip netns exec "$(ns peer)" python3 "$T_DIR/peer_dead.py" "$1" "$2" "$T_DIR/killed$1" >"$T_DIR/peer$1.out" 2>&1
	wait_until 5 sh -c "ip netns exec $(ns peer) ss -tln | grep -q ':$1 '" || fail "Linux listener $1"
	"$EX/tcp_tool" send 198.18.0.2 "$1" 100000000 -s 3 >/dev/null 2>&1 &
	local victim=$!
	wait_until 10 grep -q accepted "$T_DIR/peer$1.out" || fail "sender to $1 did not connect"
	# Its TX ring full: the peer reads nothing yet.
	wait_until 10 sh -c "\"$CAVCTL_BIN\" -s \"$CAV_SOCK\" ss -t | grep ':$1 ' | grep -qE 'ESTAB +[0-9]+ +[1-9]'" ||
		fail "sender to $1 never filled its send queue: $(cavctl ss -t)"
	kill -9 "$victim"
	wait "$victim" 2>/dev/null || true
	touch "$T_DIR/killed$1"
	wait_until 20 sh -c "grep -qE '^(eof|reset|timeout) ' $T_DIR/peer$1.out" ||
		fail "peer of a dead client ($1): $(cat "$T_DIR/peer$1.out")"
	tail -1 "$T_DIR/peer$1.out"
}
read -r how n sum < <(dead_client 8004 0)
assert_eq "eof" "$how" "a dead client's connection ends with FIN"
[ "$n" -gt 100000 ] || fail "only $n bytes from the dead client's queue"
assert_eq "$("$EX/tcp_tool" gen "$n" -s 3 | sha256sum | cut -d' ' -f1)" "$sum" "the dead client's queued bytes, intact"
log "dead client, nothing unread: FIN after its $n queued bytes"
read -r how n sum < <(dead_client 8005 100)
assert_eq "reset" "$how" "a dead client with unread data is reset"
log "dead client with unread data: RST"

# A listener that dies with a connection queued (not accepted): that one
# is reset (Linux's inet_csk_listen_stop); the accepted one ends with FIN.
bg "$EX/tcp_echo_server" -p 9000 -n 1 >"$T_DIR/recv.out" 2>&1
lpid=${T_PIDS[-1]}
wait_until 5 grep -q listening "$T_DIR/recv.out" || fail "tcp_echo_server did not start: $(cat "$T_DIR/recv.out")"
cat >"$T_DIR/two.py" <<'PY'
import os, socket, sys, time
a = socket.create_connection(("198.18.0.1", 9000), timeout=5)
# b only once the server has accepted a (it prints "accepted").
end = time.time() + 10
while "accepted" not in open(sys.argv[2]).read() and time.time() < end:
    time.sleep(0.02)
b = socket.create_connection(("198.18.0.1", 9000), timeout=5)
print("connected", flush=True)
end = time.time() + 15
while not os.path.exists(sys.argv[1]) and time.time() < end:
    time.sleep(0.02)
out = []
for s in (a, b):
    s.settimeout(10)
    try:
        out.append("eof" if s.recv(10) == b"" else "data")
    except ConnectionResetError:
        out.append("reset")
    except socket.timeout:
        out.append("timeout")
print(*out, flush=True)
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/two.py" "$T_DIR/lkilled" "$T_DIR/recv.out" >"$T_DIR/two.out" 2>&1
wait_until 10 grep -q connected "$T_DIR/two.out" || fail "two connections: $(cat "$T_DIR/two.out")"
wait_until 5 sh -c "\"$CAVCTL_BIN\" -s \"$CAV_SOCK\" ss -tl | grep -qE 'LISTEN +1 .*:9000 '" ||
	fail "no connection queued on the listener: $(cavctl ss -ta)"
{ kill -9 "$lpid" && wait "$lpid"; } 2>/dev/null || true
touch "$T_DIR/lkilled"
wait_until 15 sh -c "grep -qE '^(eof|reset|timeout|data) ' $T_DIR/two.out" || fail "two.py: $(cat "$T_DIR/two.out")"
assert_eq "eof reset" "$(tail -1 "$T_DIR/two.out")" "accepted: FIN; queued: RST"
log "listener died: accepted connection got FIN, queued one RST"

# The accept queue is bounded by the backlog (Linux: more than `backlog`
# waiting means full; further handshakes are not completed: their SYN or
# last ACK is dropped and counted).
bg "$EX/tcp_echo_server" -p 9001 -b 1 -H >"$T_DIR/hold.out" 2>&1
hpid=${T_PIDS[-1]}
wait_until 5 grep -q listening "$T_DIR/hold.out" || fail "tcp_echo_server -H did not start: $(cat "$T_DIR/hold.out")"
cat >"$T_DIR/five.py" <<'PY'
import os, socket, sys, time
socks = []
for i in range(5):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("198.18.0.1", 9001))
    except BlockingIOError:
        pass
    socks.append(s)
end = time.time() + 15
while not os.path.exists(sys.argv[1]) and time.time() < end:
    time.sleep(0.05)
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/five.py" "$T_DIR/five.done"
# Linux retransmits the SYNs the daemon dropped (SYN queue bounded by the
# backlog): the queue fills to 2 (more than 1 waiting = full) and stays.
wait_until 10 sh -c "\"$CAVCTL_BIN\" -s \"$CAV_SOCK\" ss -tl | grep -qE 'LISTEN +2 +1 .*:9001 '" ||
	fail "accept queue of a backlog-1 listener: $(cavctl ss -tl)"
cavctl -j stats | python3 -c '
import json, sys
n = json.load(sys.stdin)["nodes"]
assert n.get("drop_tcp_acceptq_full", 0) + n.get("drop_tcp_synq_full", 0) > 0, n
' || fail "full accept queue not counted"
log "backlog 1: 2 connections queued, the rest held off"
touch "$T_DIR/five.done"
kill "$hpid" # its queued connections are reset

# close() right after queueing, then exit (tcp_tool send -q): all of it
# arrives.
bg ip netns exec "$(ns peer)" python3 "$T_DIR/sink.py" >"$T_DIR/sink2.out" 2>&1
wait_until 5 sh -c "ip netns exec $(ns peer) ss -tln | grep -q ':8002 '" || fail "Linux sink again"
"$EX/tcp_tool" send 198.18.0.2 8002 1048576 -s 6 -q >"$T_DIR/send2.out" 2>&1 || fail "send -q: $(cat "$T_DIR/send2.out")"
wait_until 10 grep -q . "$T_DIR/sink2.out" || fail "sink got nothing after send -q"
assert_eq "1048576 $("$EX/tcp_tool" gen 1048576 -s 6 | sha256sum | cut -d' ' -f1)" "$(cat "$T_DIR/sink2.out")" "send -q then exit: everything delivered"
log "close + exit with 1 MiB queued: delivered intact"

# Once every connection is closed and TIME_WAIT (1 s here) is over, the
# table is empty: no connection leaks.
wait_until 10 sh -c "! \"$CAVCTL_BIN\" -s \"$CAV_SOCK\" ss -t | grep -q 198.18.0.2" ||
	fail "connections left: $(cavctl ss -t)"

cavctl -j stats | python3 -c '
import json, sys
j = json.load(sys.stdin)
n, t = j["nodes"], j["tcp"]
assert n["tcp_input"] > 0 and n["tcp_answered_rst"] >= 2, n
assert t["passive_opens"] >= 3 and t["out_rsts"] >= 2, t
' || fail "stats: $(cavctl stats | grep -i tcp)"
log "$(cavctl ss -s | grep tcp)"
log "active opens given an RSS-matched port: $(cavctl -j ss -s | python3 -c "import json,sys; print(json.load(sys.stdin)[\"rss_matched_ports\"])")"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"

# A client with no free socket slot (a 1 MiB segment holds one: the
# listener's) cannot take a connection: the handshake is held off as with
# a full accept queue (its last ACK dropped, counted), nothing accepted.
cav_conf "$T_DIR/c2.conf" "workers = 2" "app_segment_mb = 1" <<CONF
[port dp0]
device = net_tap0,iface=eth0
netns = $(ns peer)
address = 198.18.0.1/24
CONF
cav_start "$T_DIR/c2.conf"
tap_peer peer eth0 198.18.0.2/24 2>/dev/null || true
bg "$EX/tcp_echo_server" -p 7 >"$T_DIR/full.out" 2>&1
wait_until 5 grep -q listening "$T_DIR/full.out" || fail "server (1 slot): $(cat "$T_DIR/full.out")"
in_ns peer python3 - <<'PY' || true
import socket
s = socket.socket()
s.settimeout(3)
s.connect(("198.18.0.1", 7))  # our side answers the SYN
s.sendall(b"x")
try:
    s.recv(1)
except Exception:
    pass
PY
cavctl -j stats | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["nodes"].get("drop_tcp_acceptq_full", 0) >= 1, j["nodes"]
assert j["tcp"]["accepted"] == 0, j["tcp"]
' || fail "no-slot handshake: $(cavctl stats | grep -i 'tcp\|accept')"
grep -q accepted "$T_DIR/full.out" && fail "a connection was accepted without a slot"
log "no free slot: handshake held off (drop_tcp_acceptq_full), nothing accepted"
cav_stop
assert_eq 0 "$CAV_EXIT" "exit status (second daemon)"
echo "PASS: $T_NAME"
