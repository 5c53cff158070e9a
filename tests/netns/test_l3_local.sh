#!/usr/bin/env bash
# Linux talks to cavalryd's own address: ARP (arping, the neighbour table,
# static entries, flush), ICMP echo of small and reassembled 4000-byte
# requests, the packet trace through every stage, and the graph listing.
. "$(dirname "$0")/lib.sh"

# A net_tap port created inside the peer's namespace (fragments reach
# cavalryd as they are, see tap_peer in lib.sh).
tap_setup
peer_mac=$(in_ns peer cat /sys/class/net/eth0/address)

out=$(in_ns peer ping -c 5 -i 0.1 -W 2 198.18.0.1) || fail "ping: $out"
assert_contains "$out" "5 received" "ping"
log "$(tail -n1 <<<"$out")"

# The request from Linux taught cavalryd the peer (STALE from a request to
# us, REACHABLE once confirmed).
n=$(cavctl neigh show)
assert_contains "$n" "198.18.0.2 dev dp0 lladdr ${peer_mac^^}" "neigh show learned the peer"

out=$(in_ns peer arping -c 3 -w 5 -I eth0 198.18.0.1 2>&1) || fail "arping: $out"
assert_contains "$out" "Received 3 response" "arping"

# A 4000-byte echo: Linux fragments the request, cavalryd reassembles it,
# answers, and fragments the reply on its 1500-byte port.
out=$(in_ns peer ping -c 3 -i 0.2 -W 2 -s 4000 198.18.0.1) || fail "4000-byte ping: $out"
assert_contains "$out" "3 received" "4000-byte ping"
out=$(in_ns peer ping -c 2 -i 0.2 -W 2 -s 65000 198.18.0.1) || fail "65000-byte ping: $out"
assert_contains "$out" "2 received" "65000-byte ping"

# Static entries win over what ARP says; flush keeps them.
cavctl neigh add 198.18.0.77 lladdr 02:00:00:00:00:77 dev dp0
cavctl neigh flush dev dp0 >/dev/null
n=$(cavctl neigh show)
assert_contains "$n" "198.18.0.77 dev dp0 lladdr 02:00:00:00:00:77 PERMANENT" "static entry kept"
case "$n" in *"198.18.0.2 "*) fail "flush left the learned entry: $n" ;; esac
cavctl neigh del 198.18.0.77 dev dp0
out=$(cavctl neigh del 198.18.0.77 dev dp0 2>&1) && fail "deleting a missing entry succeeded"
out=$(cavctl neigh add 198.18.0.78 lladdr zz dev dp0 2>&1) && fail "bad MAC accepted"
assert_contains "$out" "not a MAC address" "bad MAC message"

# Trace the next 2 packets: a ping request's path is printed stage by stage.
cavctl trace 2 >/dev/null
in_ns peer ping -c 1 -W 2 198.18.0.1 >/dev/null || fail "ping during trace"
traced() { cavctl trace show | grep -q icmp_input; }
wait_until 5 traced || fail "trace shows no icmp_input: $(cavctl trace show)"
tr=$(cavctl trace show)
for stage in port_rx eth_input ip4_input ip4_local icmp_input ip4_output neigh_output port_tx; do
	assert_contains "$tr" "$stage" "trace shows $stage"
done
log "trace:"
log "$tr"

g=$(cavctl graph)
assert_contains "$g" "eth_input -> drop_eth_truncated" "graph lists eth_input's edges"
cavctl graph dot | grep -qi "^digraph" || fail "graph dot is not Graphviz" # keywords are case-independent in dot

# Stats: every stage counted, ARP counters moved.
cavctl -j stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
n = s["nodes"]
assert n["icmp_input"] >= 10, n
assert n["arp_input"] >= 3, n
assert s["arp"]["tx_replies"] >= 3, s["arp"]
assert s["arp"]["tx_gratuitous"] >= 1, s["arp"]
' || fail "stats"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
grep -q "mempool cav_indirect: 0 of" "$CAV_LOG" || fail "indirect mbuf leak at exit"
echo "PASS: $T_NAME"
