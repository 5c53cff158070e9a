#!/usr/bin/env bash
# Masquerade: cavalryd as the NAT gateway between an inside client and an
# outside server that has no route back to the inside network.
#   in (198.18.10.2) -- dpin 198.18.10.1 [cavalryd] 198.18.20.1 dpout -- out (198.18.20.2)
# From inside: ping, curl (python3 http.server outside) and socat UDP (an
# echo server outside) work through -j MASQUERADE; a capture in the
# outside namespace sees only the gateway's address, and the replies get
# back inside; conntrack shows the translated flows; the NAT keeps the
# client's source port (port preservation) and gives one internal endpoint
# one external port for every destination (endpoint-independent mapping);
# -j TCPMSS lowers the MSS the client's SYN carries.
# Two workers: the two directions of a flow land on either, and the one
# that does not own the entry hands the packet over.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nf_lib.sh"

command -v tcpdump >/dev/null || skip "tcpdump not installed"
command -v socat >/dev/null || skip "socat not installed"
command -v curl >/dev/null || skip "curl not installed"

cat >"$T_DIR/rules" <<'RULES'
# clamp the MSS of forwarded SYNs; masquerade everything that leaves by dpout
*filter
:FORWARD ACCEPT [0:0]
-A FORWARD -p tcp --syn -j TCPMSS --set-mss 1200
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o dpout -j MASQUERADE
COMMIT
RULES
gw_topology 2 <<CONF
[filter]
rules = $T_DIR/rules
CONF

# The capture outside, for the whole test (bounded by the test's end).
ns_bg out tcpdump --immediate-mode -i eth0 -n -U -w "$T_DIR/out.pcap" 'ip and not arp' 2>"$T_DIR/tcpdump.log"
capture=$NS_BG_PID
wait_until 5 grep -q "listening on" "$T_DIR/tcpdump.log" || fail "tcpdump did not start"

# ICMP echo: the identifier is the port.
out=$(in_ns in ping -c 3 -i 0.2 -W 2 198.18.20.2) || fail "ping through masquerade: $out"
assert_contains "$out" "3 received" "ping through masquerade"
log "ping: $(tail -n1 <<<"$out")"

# TCP: an HTTP server outside.
mkdir -p "$T_DIR/www"
echo "hello from outside" >"$T_DIR/www/index.txt"
http_server out 198.18.20.2 8080 "$T_DIR/www"
out=$(in_ns in curl -sS --max-time 5 --local-port 40123 http://198.18.20.2:8080/index.txt) ||
	fail "curl through masquerade: $out"
assert_eq "hello from outside" "$out" "curl body"
grep -q '"GET /index.txt HTTP/1.1" 200' "$T_DIR/http-8080.log" || fail "server log: $(cat "$T_DIR/http-8080.log")"
grep -q "198.18.20.1 " "$T_DIR/http-8080.log" || fail "server saw another client: $(cat "$T_DIR/http-8080.log")"
log "curl: '$out', the server saw $(grep -o '^[0-9.]* ' "$T_DIR/http-8080.log" | sort -u | tr -d '\n')"

# UDP: an echo server outside; two destinations from one source port.
udp_echo out 198.18.20.2 9000
udp_echo out 198.18.20.2 9001
wait_until 5 ns_listening out u 9000 || fail "UDP echo server 9000 did not start"
wait_until 5 ns_listening out u 9001 || fail "UDP echo server 9001 did not start"
out=$(in_ns in bash -c 'echo udp-hello | timeout 5 socat -t 2 - UDP4:198.18.20.2:9000,sourceport=40500') ||
	fail "socat UDP through masquerade: '$out'"
assert_eq "udp-hello" "$out" "UDP echo"
out=$(in_ns in bash -c 'echo udp-again | timeout 5 socat -t 2 - UDP4:198.18.20.2:9001,sourceport=40500') ||
	fail "socat UDP (second destination): '$out'"
assert_eq "udp-again" "$out" "UDP echo to a second destination"
log "UDP echo: ok (two destinations from port 40500)"

# An ICMP error about a translated flow: the outside host's port
# unreachable, sent to the gateway's address and quoting the translated
# datagram, reaches the inside client translated back (RELATED).
out=$(in_ns in python3 "$CAV_ROOT/tests/netns/py/udp_probe.py" 198.18.20.2 9999 --bind 198.18.10.2:40600)
assert_eq refused "$out" "ICMP port unreachable through the NAT"
log "UDP to a closed outside port: ECONNREFUSED inside (ICMP error translated back)"

# conntrack: the translated flows, in both directions.
ct=$(cavctl conntrack show)
log "conntrack:"
while read -r l; do log "  $l"; done <<<"$ct"
assert_contains "$ct" "src=198.18.10.2 dst=198.18.20.2 sport=40123 dport=8080" "TCP entry"
assert_contains "$ct" "src=198.18.20.2 dst=198.18.20.1 sport=8080 dport=40123" "TCP reply tuple (port kept)"
assert_contains "$ct" "nat=snat" "SNAT flag"
# Endpoint-independent mapping: the same external port for both servers.
assert_contains "$ct" "src=198.18.20.2 dst=198.18.20.1 sport=9000 dport=40500" "UDP mapping (9000)"
assert_contains "$ct" "src=198.18.20.2 dst=198.18.20.1 sport=9001 dport=40500" "UDP mapping (9001)"
cavctl -j conntrack stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["nat"]["reused"] >= 1, s["nat"]   # the second UDP destination reused the mapping
assert s["nat"]["preserved"] >= 2, s["nat"]
print("  nat:", s["nat"], "handoffs:", s["handoff"])
' || fail "conntrack stats"

# The capture: only the gateway's address outside, replies back to it.
# Wait until it holds the last packets the checks below look for.
wait_until 5 pcap_has "$T_DIR/out.pcap" "198.18.20.2 > 198.18.20.1: ICMP echo reply" \
	"198.18.20.1.40500 > 198.18.20.2.9000: UDP" "udp port 9999 unreachable" ||
	fail "the capture never showed the expected packets"
stop_bg "$capture"
tcpdump -r "$T_DIR/out.pcap" -n 2>/dev/null >"$T_DIR/out.txt"
if grep -q "198.18.10." "$T_DIR/out.txt"; then
	fail "an inside address leaked outside: $(grep '198.18.10.' "$T_DIR/out.txt" | head -3)"
fi
grep -q "198.18.20.1 > 198.18.20.2: ICMP echo request" "$T_DIR/out.txt" || fail "no translated ping in the capture"
grep -q "198.18.20.2 > 198.18.20.1: ICMP echo reply" "$T_DIR/out.txt" || fail "no ping reply in the capture"
grep -q "198.18.20.1.40123 > 198.18.20.2.8080: Flags \[S\]" "$T_DIR/out.txt" || fail "no translated SYN in the capture"
grep -q "198.18.20.1.40123 > 198.18.20.2.8080: Flags \[S\], .*mss 1200" "$T_DIR/out.txt" ||
	fail "the SYN's MSS was not clamped: $(grep '8080: Flags \[S\]' "$T_DIR/out.txt")"
grep -q "198.18.20.1.40500 > 198.18.20.2.9000: UDP" "$T_DIR/out.txt" || fail "no translated UDP in the capture"
grep -q "198.18.20.2 > 198.18.20.1: ICMP 198.18.20.2 udp port 9999 unreachable" "$T_DIR/out.txt" ||
	fail "no port unreachable to the gateway in the capture"
log "capture outside: $(wc -l <"$T_DIR/out.txt") packets, sources: $(awk '{print $3}' "$T_DIR/out.txt" | cut -d. -f1-4 | sort -u | tr '\n' ' ')"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
