#!/usr/bin/env bash
# Rule sets replaced under steady traffic break no established flow: a
# rate-limited 24 MB download (TCP, through a stateful FORWARD chain and
# masquerade) and a ping every 20 ms run while the rule set is replaced 30
# times (`rule load` of two files in turn, `rule add`, `rule del`); the
# download arrives whole and unchanged, no ping is lost, and each rule set
# takes effect for new connections. A bad file is refused with FILE:LINE
# and the running set stays (and `cavalryd --check` refuses it at start).
# Counters of rules kept by `rule add|del` carry over; `rule load` starts
# them again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nf_lib.sh"

command -v curl >/dev/null || skip "curl not installed"

rules() { # FILE EXTRA_RULE
	cat >"$1" <<RULES
*filter
:INPUT ACCEPT
:FORWARD DROP
:OUTPUT ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i dpin -p icmp -j ACCEPT
-A FORWARD -i dpin -p tcp --dport 8080 -m conntrack --ctstate NEW -j ACCEPT
$2
COMMIT
*nat
:PREROUTING ACCEPT
:POSTROUTING ACCEPT
-A POSTROUTING -o dpout -j MASQUERADE
COMMIT
RULES
}
rules "$T_DIR/a.rules" ""
rules "$T_DIR/b.rules" "-A FORWARD -i dpin -p tcp --dport 8081 -m conntrack --ctstate NEW -j ACCEPT"

# A bad rule file in the config: --check says where, exit 2.
sed 's/--dport 8080/--dport 8o80/' "$T_DIR/a.rules" >"$T_DIR/bad0.rules"
printf '[port dpin]\ndevice = net_null0\n[port dpout]\ndevice = net_null1\n[filter]\nrules = bad0.rules\n' >"$T_DIR/check.conf"
rc=0
out=$("$CAVALRYD" --check -c "$T_DIR/check.conf" 2>&1) || rc=$?
assert_eq 2 "$rc" "cavalryd --check with a bad rule file"
assert_contains "$out" "$T_DIR/bad0.rules:7: '8o80' is not a port" "--check message"
gw_topology 2 <<CONF
[filter]
rules = $T_DIR/a.rules
CONF

# The download is paced by curl's reading (--limit-rate), so the server
# sends in bursts as large as the receive window (up to tcp_rmem's 6 MiB,
# ~4200 frames). A kernel tap queues at most txqueuelen frames (1000) for
# the PMD and drops the rest (TX dropped on the namespace's eth0): a ping
# reply among them is lost however the rule sets behave. Room for a whole
# window keeps this test about the replacements.
for n in in out; do in_ns $n ip link set eth0 txqueuelen 10000; done

mkdir -p "$T_DIR/www"
head -c $((24 << 20)) /dev/urandom >"$T_DIR/www/big"
want=$(sha1sum <"$T_DIR/www/big" | cut -d' ' -f1)
echo small >"$T_DIR/www/small"
http_server out 198.18.20.2 8080 "$T_DIR/www"
http_server out 198.18.20.2 8081 "$T_DIR/www"

# Rule set A: 8081 is closed to new connections.
rc=0
in_ns in curl -sS --max-time 2 http://198.18.20.2:8081/small >/dev/null 2>&1 || rc=$?
assert_eq 28 "$rc" "8081 under rule set A"

# Steady traffic: the download (about 6 s) and the pings.
in_ns in curl -sS --max-time 60 --limit-rate 4M -o "$T_DIR/got" http://198.18.20.2:8080/big \
	>"$T_DIR/curl.log" 2>&1 &
dl=$!
T_PIDS+=($dl)
in_ns in ping -O -i 0.02 -c 250 -W 1 198.18.20.2 >"$T_DIR/ping.txt" 2>&1 &
pinger=$!
T_PIDS+=($pinger)
wait_until 5 test -s "$T_DIR/got" || fail "the download did not start"

gen0=$(cavctl -j rule show | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
for i in $(seq 10); do
	cavctl rule load "$T_DIR/b.rules" >/dev/null
	cavctl rule add -I FORWARD 1 -p udp --dport 9 -j DROP >/dev/null
	cavctl rule del FORWARD 1 >/dev/null
	sleep 0.15
done
gen1=$(cavctl -j rule show | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
assert_eq 30 "$((gen1 - gen0))" "rule set replacements"

# Rule set B is the running one: 8081 opens (a new connection).
out=$(in_ns in curl -sS --max-time 5 http://198.18.20.2:8081/small) || fail "8081 under rule set B"
assert_eq small "$out" "8081 under rule set B"

# A bad file: refused with its line, the running set stays (8081 open).
cp "$T_DIR/a.rules" "$T_DIR/bad.rules"
sed -i 's/--dport 8080/--dport 80800/' "$T_DIR/bad.rules"
out=$(cavctl rule load "$T_DIR/bad.rules" 2>&1) && fail "a bad file was loaded"
assert_contains "$out" "$T_DIR/bad.rules:7: '80800' is not a port" "bad file error"
gen2=$(cavctl -j rule show | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
assert_eq "$gen1" "$gen2" "generation after a refused file"
out=$(in_ns in curl -sS --max-time 5 http://198.18.20.2:8081/small) || fail "8081 after the refused file"
log "bad file refused: $out"

# Counters: rule add keeps those of the rules it keeps.
est() { cavctl -j rule show | python3 -c '
import json, sys
s = json.load(sys.stdin)
fw = next(c for t in s["tables"] if t["table"] == "filter" for c in t["chains"] if c["chain"] == "FORWARD")
print(fw["rules"][0]["packets"])'; }
c1=$(est)
cavctl rule add FORWARD -p udp --dport 9 -j DROP >/dev/null
c2=$(est)
[ "$c2" -ge "$c1" ] && [ "$c1" -gt 0 ] || fail "ESTABLISHED rule counter: $c1 then $c2 after rule add"
log "ESTABLISHED,RELATED counter: $c1 before rule add, $c2 after"

wait "$dl" || fail "the download broke: $(cat "$T_DIR/curl.log")"
got=$(sha1sum <"$T_DIR/got" | cut -d' ' -f1)
assert_eq "$want" "$got" "the download's content"
wait "$pinger" || true
if ! grep -q "250 received" "$T_DIR/ping.txt"; then
	grep -E "no answer|statistics|received" "$T_DIR/ping.txt" | head -20
	cavctl stats
	cavctl conntrack stats
	for n in in out; do
		echo "namespace $n:"
		in_ns $n ip -s link show eth0
		in_ns $n nstat -az | grep -E "Icmp(In|Out)Echo|IpInReceives|IpOutRequests|InDiscards"
	done
	fail "pings lost during the replacements"
fi
txdrop() { in_ns "$1" cat /sys/class/net/eth0/statistics/tx_dropped; }
log "during 30 replacements: 24 MB downloaded intact, $(grep -o '[0-9]* received' "$T_DIR/ping.txt") of 250 pings; kernel tap TX drops: in $(txdrop in), out $(txdrop out)"

# rule load starts the counters again; A closes 8081 again.
cavctl rule load "$T_DIR/a.rules" >/dev/null
[ "$(est)" -lt "$c2" ] || fail "counters after rule load"
rc=0
in_ns in curl -sS --max-time 2 http://198.18.20.2:8081/small >/dev/null 2>&1 || rc=$?
assert_eq 28 "$rc" "8081 under rule set A again"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
