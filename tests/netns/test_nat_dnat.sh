#!/usr/bin/env bash
# Port forwarding (DNAT) to an inside server, with masquerade outbound:
#   outside -> 198.18.20.1:8080 reaches the inside http server on :80 (the
#   server sees the real client), UDP 198.18.20.1:5353 reaches the inside
#   echo server on :53; a forwarded port the server does not listen on
#   answers with a RST that comes back translated; the inside server's
#   ICMP port unreachable (UDP to a closed inside port) goes back
#   translated (RELATED, quoted header rewritten), so the outside client
#   gets ECONNREFUSED; hairpinning: the inside host reaches its own
#   service through the gateway's public address, and the server sees the
#   gateway's address (RFC 4787 REQ-9).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nf_lib.sh"

command -v curl >/dev/null || skip "curl not installed"
command -v socat >/dev/null || skip "socat not installed"
command -v tcpdump >/dev/null || skip "tcpdump not installed"

cat >"$T_DIR/rules" <<'RULES'
*nat
:PREROUTING ACCEPT
:POSTROUTING ACCEPT
-A PREROUTING -d 198.18.20.1/32 -p tcp --dport 8080 -j DNAT --to-destination 198.18.10.2:80
-A PREROUTING -d 198.18.20.1/32 -p tcp --dport 8081 -j DNAT --to-destination 198.18.10.2:81
-A PREROUTING -d 198.18.20.1/32 -p udp --dport 5353 -j DNAT --to-destination 198.18.10.2:53
-A PREROUTING -d 198.18.20.1/32 -p udp --dport 5354 -j DNAT --to-destination 198.18.10.2:54
-A POSTROUTING -o dpout -j MASQUERADE
COMMIT
RULES
gw_topology 2 <<CONF
[filter]
rules = $T_DIR/rules
CONF

mkdir -p "$T_DIR/www"
echo "inside page" >"$T_DIR/www/p"
http_server in 198.18.10.2 80 "$T_DIR/www"
udp_echo in 198.18.10.2 53

ns_bg in tcpdump --immediate-mode -i eth0 -n -U -w "$T_DIR/in.pcap" 'ip and not arp' 2>"$T_DIR/tcpdump.log"
capture=$NS_BG_PID
wait_until 5 grep -q "listening on" "$T_DIR/tcpdump.log" || fail "tcpdump did not start"

# TCP port forward.
out=$(in_ns out curl -sS --max-time 5 http://198.18.20.1:8080/p) || fail "curl to the forwarded port: $out"
assert_eq "inside page" "$out" "port forward"
grep -q "^198.18.20.2 .*GET /p" "$T_DIR/http-80.log" || fail "the server saw: $(cat "$T_DIR/http-80.log")"
log "TCP: outside curl -> 198.18.20.1:8080 -> 198.18.10.2:80; the server saw 198.18.20.2"

# UDP port forward.
out=$(echo dns-ish | in_ns out timeout 5 socat -t 2 - UDP4:198.18.20.1:5353) || fail "UDP forward: '$out'"
assert_eq dns-ish "$out" "UDP port forward"
log "UDP: 198.18.20.1:5353 -> 198.18.10.2:53 echoes"

# Nothing listens on the inside port: the inside host's RST and ICMP
# errors come back as if from the public address and port.
rc=0
in_ns out curl -sS --max-time 3 http://198.18.20.1:8081/p >/dev/null 2>"$T_DIR/rst.err" || rc=$?
assert_eq 7 "$rc" "a forwarded port with no server: refused (RST through the NAT)"
out=$(in_ns out python3 "$CAV_ROOT/tests/netns/py/udp_probe.py" 198.18.20.1 5354)
assert_eq refused "$out" "ICMP port unreachable translated back (RELATED)"
log "no server inside: TCP refused, UDP refused (the ICMP error's quoted header rewritten)"

# Hairpinning: the inside host uses the public address of its own service.
out=$(in_ns in curl -sS --max-time 5 http://198.18.20.1:8080/p) || fail "hairpin curl: $out"
assert_eq "inside page" "$out" "hairpin"
grep -q "^198.18.20.1 .*GET /p" "$T_DIR/http-80.log" || fail "hairpin: the server saw: $(cat "$T_DIR/http-80.log")"
log "hairpin: inside -> 198.18.20.1:8080 -> itself, seen from 198.18.20.1"

ct=$(cavctl conntrack show)
assert_contains "$ct" "src=198.18.20.2 dst=198.18.20.1 sport=" "DNAT entry (orig)"
assert_contains "$ct" "src=198.18.10.2 dst=198.18.20.2 sport=80" "DNAT entry (reply from the inside server)"
assert_contains "$ct" "nat=snat,dnat" "hairpin entry (both)"

wait_until 5 pcap_has "$T_DIR/in.pcap" "198.18.20.2.[0-9]* > 198.18.10.2.80: Flags \[S\]" \
	"198.18.20.1.[0-9]* > 198.18.10.2.80: Flags \[S\]" || fail "the capture never showed both SYNs"
kill -0 "$capture" 2>/dev/null || fail "tcpdump died: $(cat "$T_DIR/tcpdump.log")"
stop_bg "$capture"
tcpdump -r "$T_DIR/in.pcap" -n >"$T_DIR/in.txt" 2>"$T_DIR/in.err" || fail "tcpdump -r: $(cat "$T_DIR/in.err")"
grep -q "198.18.20.2.[0-9]* > 198.18.10.2.80: Flags \[S\]" "$T_DIR/in.txt" || fail "no DNATed SYN inside"
grep -q "198.18.20.1.[0-9]* > 198.18.10.2.80: Flags \[S\]" "$T_DIR/in.txt" || fail "no hairpinned SYN inside"
log "capture inside: $(wc -l <"$T_DIR/in.txt") packets"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
