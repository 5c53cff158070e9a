#!/usr/bin/env bash
# DROP versus REJECT, as Linux clients see them, through cavalryd routing
# between an inside and an outside namespace (no NAT, no conntrack: the
# rules are stateless):
#   TCP to a DROPped port: curl times out; to a port REJECTed with
#   tcp-reset: "Connection refused" at once; UDP to a REJECTed port:
#   ECONNREFUSED at once (ICMP port unreachable); ping REJECTed with
#   icmp-host-prohibited: "Destination Host Prohibited"; LOG writes a rate-limited
#   line to the daemon log; every rule counts its packets.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nf_lib.sh"

command -v curl >/dev/null || skip "curl not installed"

cat >"$T_DIR/rules" <<'RULES'
*filter
:PREROUTING ACCEPT
:INPUT ACCEPT
:FORWARD ACCEPT
:OUTPUT ACCEPT
:POSTROUTING ACCEPT
-A FORWARD -p tcp --dport 8081 -j DROP
-A FORWARD -p tcp --dport 8082 -j LOG --log-prefix "reject-tcp"
-A FORWARD -p tcp --dport 8082 -j REJECT --reject-with tcp-reset
-A FORWARD -p udp --dport 9002 -j REJECT
-A FORWARD -p icmp --icmp-type echo-request -d 198.18.20.3 -j REJECT --reject-with icmp-host-prohibited
COMMIT
RULES
gw_topology 2 <<CONF
[filter]
rules = $T_DIR/rules
CONF
# Plain routing both ways (no NAT here): the outside host routes back.
in_ns out ip route add 198.18.10.0/24 via 198.18.20.1
in_ns out ip addr add 198.18.20.3/24 dev eth0
mkdir -p "$T_DIR/www"
echo ok >"$T_DIR/www/ok"
for p in 8080 8081 8082; do http_server out 198.18.20.2 "$p" "$T_DIR/www"; done

# Allowed: through.
out=$(in_ns in curl -sS --max-time 5 http://198.18.20.2:8080/ok) || fail "curl 8080: $out"
assert_eq ok "$out" "curl to an allowed port"

ms() { echo $(($(date +%s%N) / 1000000)); }
# DROP: the SYNs vanish, curl gives up after its timeout (exit 28).
t0=$(ms)
rc=0
in_ns in curl -sS --max-time 2 http://198.18.20.2:8081/ok >/dev/null 2>"$T_DIR/drop.err" || rc=$?
t1=$(ms)
assert_eq 28 "$rc" "curl to a DROPped port: exit status (timeout)"
[ $((t1 - t0)) -ge 1900 ] || fail "DROP: curl gave up after $((t1 - t0)) ms, not at its timeout"
log "DROP: curl timed out after $((t1 - t0)) ms ($(cat "$T_DIR/drop.err"))"

# REJECT with tcp-reset: refused at once (exit 7).
t0=$(ms)
rc=0
in_ns in curl -sS --max-time 5 http://198.18.20.2:8082/ok >/dev/null 2>"$T_DIR/rej.err" || rc=$?
t1=$(ms)
assert_eq 7 "$rc" "curl to a REJECTed port: exit status (refused)"
# (curl says "Connection refused" or "Couldn't connect to server".)
[ $((t1 - t0)) -lt 1000 ] || fail "REJECT took $((t1 - t0)) ms"
log "REJECT tcp-reset: '$(cat "$T_DIR/rej.err")' after $((t1 - t0)) ms"

# REJECT (ICMP port unreachable) of UDP: a connected UDP socket gets
# ECONNREFUSED on its next receive.
out=$(in_ns in python3 "$CAV_ROOT/tests/netns/py/udp_probe.py" 198.18.20.2 9002 --time)
assert_contains "$out" "refused" "UDP REJECT"
log "REJECT udp: $out"

# REJECT with icmp-host-prohibited: ping says which (code 10, RFC 1812 §5.2.7.1).
out=$(in_ns in ping -c 1 -W 2 198.18.20.3 2>&1) && fail "ping to a REJECTed host answered"
assert_contains "$out" "Destination Host Prohibited" "ping REJECT icmp-host-prohibited"
log "REJECT icmp: $(grep -m1 "From" <<<"$out")"

# Counters, and the drop counters by reason.
show=$(cavctl rule show)
log "rule show:"
while read -r l; do log "  $l"; done <<<"$show"
cavctl -j rule show | python3 -c '
import json, sys
s = json.load(sys.stdin)
f = next(t for t in s["tables"] if t["table"] == "filter")
fw = next(c for c in f["chains"] if c["chain"] == "FORWARD")
r = {x["rule"]: x["packets"] for x in fw["rules"]}
assert r["-p tcp --dport 8081 -j DROP"] >= 2, r
assert r["-p tcp --dport 8082 -j REJECT --reject-with tcp-reset"] == 1, r
assert r["-p udp --dport 9002 -j REJECT --reject-with icmp-port-unreachable"] == 1, r
assert fw["policy_packets"] > 0, fw
assert s["conntrack"] is False, s
' || fail "rule counters"
drops=$(cavctl -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)["drops"]
print(d.get("nf_forward_rule", 0), d.get("nf_reject_tcp_sent", 0))')
read -r fwd_rule rst_sent <<<"$drops"
[ "$fwd_rule" -ge 2 ] || fail "drop_nf_forward_rule is $fwd_rule"
[ "$rst_sent" -eq 1 ] || fail "drop_nf_reject_tcp_sent is $rst_sent"
grep -q "nf reject-tcp IN=dpin OUT=dpout SRC=198.18.10.2 DST=198.18.20.2 .*PROTO=tcp .*DPT=8082" "$CAV_LOG" ||
	fail "no LOG line: $(grep 'nf ' "$CAV_LOG" | head -3)"
log "LOG: $(grep -m1 'nf reject-tcp' "$CAV_LOG")"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
