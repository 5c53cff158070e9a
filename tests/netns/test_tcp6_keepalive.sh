#!/usr/bin/env bash
# Issue 6: SO_KEEPALIVE (TCP_KEEPIDLE/KEEPINTVL/KEEPCNT) and TCP_USER_TIMEOUT
# of a libcavsock client against a Linux server.
#
# a) keepalive 1 s idle, 1 s interval, 3 probes: on an idle connection the
#    client probes (SEG.SEQ = SND.UNA - 1, no data: Linux's form, seen in a
#    capture on the peer's side) and Linux answers each one; the connection
#    stays ESTABLISHED over several idle periods with `ss -tio`'s
#    "timer:(keepalive,...)". Then the peer goes silent (a blackhole route
#    for our address in its namespace, as test_tcp_refused.sh does): exactly
#    3 more probes go unanswered, an RST follows, and the blocked recv()
#    ends in ETIMEDOUT.
# b) TCP_USER_TIMEOUT 1500 ms: data sent to a silent peer ends the
#    connection with ETIMEDOUT once unacknowledged that long -- seconds,
#    where the default tcp_retries2 (15) would take about 15 minutes.
# c) the server side: a listener with keepalive 1,1,2 passes it to the
#    connection it accepts from Linux (Linux's sk_clone_lock; lib/tcpdp at
#    accept), which probes the idle Linux client and, once the client goes
#    silent, ends the server's recv() with ETIMEDOUT after 2 probes.
# d) the other way: a Linux client's keepalive probes (1 s) to a
#    libcavsock server are answered, and the connection lives on.
# Both also pass with KERNEL_PEERS=1 (the same tcp_tool on kernel sockets).
. "$(dirname "$0")/tcp_lib.sh"

tcp_setup

# ss_tio PORT: the two lines `ss -ti` (with -o's timer) prints for our
# connection to PORT: cavctl's, or Linux's ss in namespace "cav".
ss_tio() {
	if [ "$KERNEL_PEERS" = 1 ]; then
		in_ns cav ss -Htnio "dport = :$1"
	else
		cavctl ss -ti | grep -A1 -- "$PEER_ADDR:$1 "
	fi
}

# ka_pcap FILE PORT [PROBER]: what a capture on the peer's side says about
# the keepalive of our connection to PORT, from the raw pcap (tcpdump does
# not print a pure ACK's sequence number, and a probe is a pure ACK whose
# sequence is one below what its sender sent before):
#   probes ANSWERED SILENT RST
# probes: keepalive probes from PROBER (default: us); answered: those the
# other end answered before the next probe; silent: the probes after the
# other end's last segment; rst: RSTs from PROBER.
ka_pcap() {
	python3 - "$1" "${3:-$CAV_ADDR}" "$2" <<'PY'
import socket, struct, sys
path, prober, port = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
ev = []          # ("P" probe | "R" the other end's segment | "X" the prober's RST)
nxt = None       # highest SEG.SEQ + SEG.LEN (+SYN/FIN) the prober sent
off = 24
while off + 16 <= len(data):
    incl = struct.unpack_from("<I", data, off + 8)[0]
    pkt = data[off + 16 : off + 16 + incl]
    off += 16 + incl
    if len(pkt) < 14 + 20 or pkt[12:14] != b"\x08\x00":
        continue
    ip = pkt[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6:
        continue
    tot = struct.unpack_from("!H", ip, 2)[0]
    tcp = ip[ihl:]
    sport, dport, seq = struct.unpack_from("!HHI", tcp, 0)
    if port not in (sport, dport):
        continue
    flags = tcp[13]
    dlen = tot - ihl - (tcp[12] >> 4) * 4
    if ip[12:16] == prober:
        if flags & 0x04:
            ev.append("X")
            continue
        end = (seq + dlen + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        if flags == 0x10 and dlen == 0 and nxt is not None and seq == (nxt - 1) & 0xFFFFFFFF:
            ev.append("P")
            continue
        if nxt is None or ((end - nxt) & 0xFFFFFFFF) < 0x80000000:
            nxt = end
    else:
        ev.append("R")
probes = ev.count("P")
answered = sum(1 for i, e in enumerate(ev) if e == "P" and "R" in ev[i + 1 :][:1])
last_r = max((i for i, e in enumerate(ev) if e == "R"), default=-1)
silent = ev[last_r + 1 :].count("P")
print(probes, answered, silent, ev.count("X"))
PY
}

# answered FILE PORT N [PROBER]: at least N probes answered so far.
answered() {
	local probes n rest
	read -r probes n rest <<<"$(ka_pcap "$1" "$2" "${4:-}")"
	[ "${n:-0}" -ge "$3" ]
}
kp='' kt='' ut='' # set by need_counter

# ---- a) keepalive against a Linux server ----
linux_spawn 50 tcp_tool recv 6001 >"$T_DIR/r1.out" 2>"$T_DIR/r1.err"
wait_until 10 listening peer 6001 || fail "Linux receiver did not start"
pcap_start "$T_DIR/ka.pcap" "tcp port 6001"
cav_spawn 50 tcp_tool --keepalive 1,1,3 hold "$PEER_ADDR" 6001 >"$T_DIR/h1.out" 2>"$T_DIR/h1.err"
holder=$SPAWN_PID
wait_until 10 grep -q connected "$T_DIR/h1.out" || fail "keepalive client did not connect: $(cat "$T_DIR/h1.err")"

# Four probes answered take four idle periods; three unanswered would have
# ended the connection after one.
wait_until 20 answered "$T_DIR/ka.pcap" 6001 4 || fail "keepalive probes not answered (probes answered silent rst: $(ka_pcap "$T_DIR/ka.pcap" 6001)); $(ss_tio 6001)"
kill -0 "$holder" 2>/dev/null || fail "the connection ended while the peer answered: $(cat "$T_DIR/h1.out")"
ss=$(ss_tio 6001)
log "alive after $(ka_pcap "$T_DIR/ka.pcap" 6001 | cut -d' ' -f2) answered probes: $(head -n 1 <<<"$ss")"
assert_contains "$ss" "ESTAB" "ss: the probed connection"
assert_contains "$ss" "timer:(keepalive," "ss -tio: the keepalive timer"
if [ "$KERNEL_PEERS" != 1 ]; then
	need_counter kp keepalive_probes
	[ "$kp" -ge 4 ] || fail "keepalive_probes counter: $kp"
	cavctl -j ss -ti | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r.get("peer", "").endswith(":6001")]
assert rows and rows[0]["keepalive"] and rows[0]["timer"]["name"] in ("keepalive", "on"), rows
' || fail "ss -j -ti: keepalive and its timer: $(cavctl -j ss -ti)"
fi

# The peer goes silent: its answers to our address are dropped.
in_ns peer ip route add blackhole "$CAV_ADDR/32"
t0=$(date +%s%N)
stopped() { ! kill -0 "$1" 2>/dev/null; }
# idle 1 + 3 probes 1 s apart: about 4 s; 15 s for a loaded machine.
wait_until 15 stopped "$holder" || fail "keepalive client still blocked 15 s after the peer went silent: $(ss_tio 6001)"
dt=$((($(date +%s%N) - t0) / 1000000))
wait "$holder" || true
assert_eq "end: ETIMEDOUT" "$(grep '^end:' "$T_DIR/h1.out")" "recv() of a keepalive connection to a silent peer"
wait_until 5 pcap_has "$T_DIR/ka.pcap" "Flags \[R" || true
pcap_stop
read -r probes answered silent rst <<<"$(ka_pcap "$T_DIR/ka.pcap" 6001)"
log "ETIMEDOUT ${dt} ms after the peer went silent; capture: $probes probes, $answered answered, $silent unanswered, $rst RST"
assert_eq 3 "$silent" "unanswered probes before giving up (TCP_KEEPCNT)"
assert_eq 1 "$rst" "RSTs sent when keepalive gave up (Linux sends one)"
if [ "$KERNEL_PEERS" != 1 ]; then
	need_counter kt keepalive_timeouts
	[ "$kt" -ge 1 ] || fail "keepalive_timeouts counter: $kt"
	# The same counters through rte_telemetry (/cavalry/tcp), now that
	# nothing moves them.
	TEL=$(command -v dpdk-telemetry.py || true)
	if [ -n "$TEL" ]; then
		prefix=$(cavctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["file_prefix"])')
		tel=$(echo /cavalry/tcp | timeout 10 python3 "$TEL" -f "$prefix") || fail "dpdk-telemetry.py /cavalry/tcp"
		python3 -c '
import json, sys
t = json.loads(sys.argv[1])["/cavalry/tcp"]
assert t["keepalive_probes"] == int(sys.argv[2]) and t["keepalive_timeouts"] == int(sys.argv[3]), t
' "$tel" "$(tcp_counter keepalive_probes)" "$kt" || fail "telemetry /cavalry/tcp: $tel"
		log "telemetry /cavalry/tcp: keepalive_probes $(tcp_counter keepalive_probes), keepalive_timeouts $kt as in cavctl"
	fi
fi
in_ns peer ip route del blackhole "$CAV_ADDR/32"

# ---- b) TCP_USER_TIMEOUT: unacknowledged data, a silent peer ----
linux_spawn 40 tcp_tool recv 6002 >"$T_DIR/r2.out" 2>"$T_DIR/r2.err"
wait_until 10 listening peer 6002 || fail "Linux receiver 6002 did not start"
cav_spawn 40 tcp_tool --user-timeout 1500 hold "$PEER_ADDR" 6002 -w 64K -g "$T_DIR/go" \
	>"$T_DIR/h2.out" 2>"$T_DIR/h2.err"
holder=$SPAWN_PID
wait_until 10 grep -q connected "$T_DIR/h2.out" || fail "user-timeout client did not connect: $(cat "$T_DIR/h2.err")"
in_ns peer ip route add blackhole "$CAV_ADDR/32"
touch "$T_DIR/go"
# 1.5 s of retransmissions; tcp_retries2 = 15 would take ~15 min.
wait_until 15 stopped "$holder" || fail "user-timeout client still blocked after 15 s: $(ss_tio 6002)"
wait "$holder" || true
assert_eq "end: ETIMEDOUT" "$(grep '^end:' "$T_DIR/h2.out")" "recv() after TCP_USER_TIMEOUT"
secs=$(key "$T_DIR/h2.out" seconds)
log "TCP_USER_TIMEOUT 1500 ms: ETIMEDOUT after $secs s of unacknowledged data"
python3 -c "import sys; sys.exit(0 if 1.0 <= float('$secs') <= 12 else 1)" ||
	fail "ETIMEDOUT after $secs s, expected about 1.5 s"
if [ "$KERNEL_PEERS" != 1 ]; then
	need_counter ut user_timeouts
	[ "$ut" -ge 1 ] || fail "user_timeouts counter: $ut"
fi
in_ns peer ip route del blackhole "$CAV_ADDR/32"

# ---- c) keepalive inherited from a listener, the Linux client vanishes ----
cav_spawn 40 tcp_tool --keepalive 1,1,2 recv 6003 >"$T_DIR/r3.out" 2>"$T_DIR/r3.err"
server=$SPAWN_PID
wait_until 10 grep -q listening "$T_DIR/r3.err" || fail "Cavalry listener did not start: $(cat "$T_DIR/r3.err")"
pcap_start "$T_DIR/ka3.pcap" "tcp port 6003"
linux_spawn 40 tcp_tool hold "$CAV_ADDR" 6003 >"$T_DIR/l3.out" 2>&1
wait_until 10 grep -q connected "$T_DIR/l3.out" || fail "Linux client to 6003 did not connect"
# ka_pcap counts "our" probes: here the Cavalry side is the server.
wait_until 15 answered "$T_DIR/ka3.pcap" 6003 2 || fail "the accepted connection sent no answered keepalive probes ($(ka_pcap "$T_DIR/ka3.pcap" 6003))"
in_ns peer ip route add blackhole "$CAV_ADDR/32"
wait_until 15 stopped "$server" || fail "server recv() still blocked 15 s after the client went silent"
wait "$server" && fail "the server's recv() from a vanished client succeeded"
assert_contains "$(cat "$T_DIR/r3.err")" "recv: ETIMEDOUT" "server recv() of a keepalive connection to a silent client"
wait_until 5 pcap_has "$T_DIR/ka3.pcap" "Flags \[R" || true
pcap_stop
read -r probes answered silent rst <<<"$(ka_pcap "$T_DIR/ka3.pcap" 6003)"
log "accepted connection: $probes probes, $answered answered, then $silent unanswered and $rst RST: ETIMEDOUT"
assert_eq 2 "$silent" "unanswered probes of the accepted connection (TCP_KEEPCNT inherited)"
in_ns peer ip route del blackhole "$CAV_ADDR/32"

# ---- d) a Linux client's probes answered by the libcavsock server ----
cav_spawn 30 tcp_tool recv 6004 >"$T_DIR/r4.out" 2>"$T_DIR/r4.err"
server=$SPAWN_PID
wait_until 10 grep -q listening "$T_DIR/r4.err" || fail "Cavalry listener 6004 did not start: $(cat "$T_DIR/r4.err")"
pcap_start "$T_DIR/ka4.pcap" "tcp port 6004"
linux_spawn 30 tcp_tool --keepalive 1,1,2 hold "$CAV_ADDR" 6004 >"$T_DIR/l4.out" 2>&1
client=$SPAWN_PID
wait_until 10 grep -q connected "$T_DIR/l4.out" || fail "Linux keepalive client to 6004 did not connect"
wait_until 15 answered "$T_DIR/ka4.pcap" 6004 3 "$PEER_ADDR" || fail "Linux's keepalive probes not answered by the Cavalry side ($(ka_pcap "$T_DIR/ka4.pcap" 6004 "$PEER_ADDR"))"
kill -0 "$client" 2>/dev/null || fail "the Linux client's connection ended: $(cat "$T_DIR/l4.out")"
pcap_stop
log "Linux client's keepalive: $(ka_pcap "$T_DIR/ka4.pcap" 6004 "$PEER_ADDR" | cut -d' ' -f2) probes answered by the libcavsock server"
kill -TERM "$client" 2>/dev/null || true
wait "$server" || fail "the server did not see the client's FIN: $(cat "$T_DIR/r4.err")"

tcp_finish
