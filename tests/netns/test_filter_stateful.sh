#!/usr/bin/env bash
# The classic stateful firewall, as on Linux: INPUT and FORWARD policy
# DROP, ESTABLISHED,RELATED accepted, new connections only from inside
# (and to one service of the gateway itself):
#   inside -> outside (curl, ping) works; outside -> inside times out;
#   the outside reaches the gateway's UDP echo service (a libcavsock app)
#   but not its ping; the gateway's own UDP client gets its answers back
#   only while the ESTABLISHED,RELATED rule is there (rule del / add at run
#   time); ICMP errors about an allowed connection are RELATED (a UDP
#   client inside gets ECONNREFUSED, traceroute sees both hops).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nf_lib.sh"

command -v curl >/dev/null || skip "curl not installed"
command -v socat >/dev/null || skip "socat not installed"
EX=$CAV_ROOT/$CAV_BUILD/examples
[ -x "$EX/udp_echo_server" ] || skip "examples not built"

cat >"$T_DIR/rules" <<'RULES'
# a stateful firewall
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p udp --dport 7 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i dpin -o dpout -m conntrack --ctstate NEW -j ACCEPT
COMMIT
RULES
gw_topology 2 <<CONF
[filter]
rules = $T_DIR/rules
CONF
in_ns out ip route add 198.18.10.0/24 via 198.18.20.1 # routed, not NATed
export CAVSOCK_PATH=$T_DIR/app.sock

mkdir -p "$T_DIR/www"
echo "served" >"$T_DIR/www/f"
http_server out 198.18.20.2 8080 "$T_DIR/www"
http_server in 198.18.10.2 8080 "$T_DIR/www"
udp_echo out 198.18.20.2 9000

# Inside -> outside: new from inside, answers ESTABLISHED.
out=$(in_ns in curl -sS --max-time 5 http://198.18.20.2:8080/f) || fail "curl out: $out"
assert_eq served "$out" "inside -> outside"
in_ns in ping -c 2 -i 0.2 -W 2 198.18.20.2 >/dev/null || fail "ping inside -> outside"
log "inside -> outside: curl and ping pass"

# Outside -> inside: nothing new gets in.
rc=0
in_ns out curl -sS --max-time 2 http://198.18.10.2:8080/f >/dev/null 2>&1 || rc=$?
assert_eq 28 "$rc" "outside -> inside curl times out"
in_ns out ping -c 1 -W 1 198.18.10.2 >/dev/null 2>&1 && fail "ping outside -> inside passed"
log "outside -> inside: curl times out, ping unanswered"

# The gateway itself: its UDP service is open, its ping is not.
bg "$EX/udp_echo_server" -p 7 >"$T_DIR/server.log" 2>&1
wait_until 5 grep -q listening "$T_DIR/server.log" || fail "udp_echo_server: $(cat "$T_DIR/server.log")"
out=$(echo svc | in_ns out timeout 5 socat -t 2 - UDP4:198.18.20.1:7) || fail "UDP to the gateway's service: '$out'"
assert_eq svc "$out" "the gateway's UDP service"
in_ns out ping -c 1 -W 1 198.18.20.1 >/dev/null 2>&1 && fail "ping to the gateway passed INPUT DROP"
log "gateway: UDP service answers, ping does not"

# The gateway's own client: answers come back while ESTABLISHED is accepted.
"$EX/udp_echo_client" -n 3 -t 1000 198.18.20.2 9000 >"$T_DIR/client1.log" 2>&1 ||
	fail "gateway client with ESTABLISHED accepted: $(cat "$T_DIR/client1.log")"
cavctl rule del INPUT 1 >/dev/null
rc=0
"$EX/udp_echo_client" -n 1 -t 500 198.18.20.2 9000 >"$T_DIR/client2.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gateway client got answers without the ESTABLISHED rule"
cavctl rule add -I INPUT 1 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT >/dev/null
"$EX/udp_echo_client" -n 3 -t 1000 198.18.20.2 9000 >"$T_DIR/client3.log" 2>&1 ||
	fail "gateway client after the rule came back: $(cat "$T_DIR/client3.log")"
log "gateway client: answered, then not (rule deleted), then again (rule added)"

# RELATED: an ICMP error about an allowed flow gets in.
out=$(in_ns in python3 "$CAV_ROOT/tests/netns/py/udp_probe.py" 198.18.20.2 9999)
assert_eq refused "$out" "ICMP port unreachable (RELATED) reaches the inside client"
if command -v traceroute >/dev/null; then
	out=$(in_ns in traceroute -n -U -w 2 -q 1 -m 3 198.18.20.2 2>&1) || fail "traceroute: $out"
	assert_contains "$out" " 1  198.18.10.1 " "traceroute hop 1 (the gateway)"
	assert_contains "$out" " 2  198.18.20.2 " "traceroute hop 2 (port unreachable, RELATED)"
	log "traceroute: $(tr '\n' '|' <<<"$out")"
fi

cavctl -j conntrack stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["related"] >= 2, s
assert s["entries"] > 0, s
print("  conntrack:", {k: s[k] for k in ("entries", "created", "found", "related", "invalid", "handoff")})
' || fail "conntrack stats"
drops=$(cavctl -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)["drops"]
print(d.get("nf_forward_policy", 0), d.get("nf_input_policy", 0))')
read -r fwd in <<<"$drops"
[ "$fwd" -gt 0 ] && [ "$in" -gt 0 ] || fail "policy drops: forward $fwd, input $in"
log "dropped by policy: FORWARD $fwd, INPUT $in"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
