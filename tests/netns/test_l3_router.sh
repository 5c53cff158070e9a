#!/usr/bin/env bash
# cavalryd as a router between two Linux namespaces:
#   a (198.18.1.2) -- dpa 198.18.1.1 [cavalryd] 198.18.2.1 dpb -- b (198.18.2.2)
# ping across; TTL 1 gets ICMP time exceeded from the router (ping -t 1 and
# traceroute); b's link has MTU 1280, a's 1500: a 1400-byte ping and a
# 4000-byte one (fragmented by Linux at 1500) are fragmented again by
# cavalryd onto b's link and reassembled by b; with DF they get frag-needed
# with MTU 1280;
# routes added and removed with cavctl under traffic take effect; a network
# with no route gets ICMP net unreachable; an unanswered next hop gets host
# unreachable.
. "$(dirname "$0")/lib.sh"

# net_tap ports created inside each namespace: IP fragments reach cavalryd
# as Linux sent them (see tap_peer in lib.sh).
ns_create a
ns_create b
cav_conf "$T_DIR/c.conf" "workers = 2" <<CONF
[port dpa]
device = net_tap0,iface=eth0
netns = $(ns a)
address = 198.18.1.1/24
mtu = 1500
[port dpb]
device = net_tap1,iface=eth0
netns = $(ns b)
address = 198.18.2.1/24
mtu = 1280
CONF
cav_start "$T_DIR/c.conf"
tap_peer a eth0 198.18.1.2/24 198.18.1.1
tap_peer b eth0 198.18.2.2/24 198.18.2.1 1280
# b also owns 198.18.50.1, reachable only through a static route.
in_ns b ip addr add 198.18.50.1/24 dev lo

out=$(in_ns a ping -c 5 -i 0.1 -W 2 198.18.2.2) || fail "ping across: $out"
assert_contains "$out" "5 received" "ping across"
log "a -> b: $(tail -n1 <<<"$out")"

# TTL 1: the router answers with time exceeded (RFC 1812 §5.3.1).
out=$(in_ns a ping -c 1 -t 1 -W 2 198.18.2.2 2>&1) && fail "ping -t 1 got an echo reply"
assert_contains "$out" "From 198.18.1.1 icmp_seq=1 Time to live exceeded" "ping -t 1"
out=$(in_ns a traceroute -n -I -w 2 -q 1 -m 3 198.18.2.2 2>&1) || fail "traceroute: $out"
assert_contains "$out" " 1  198.18.1.1 " "traceroute hop 1 is cavalryd"
assert_contains "$out" " 2  198.18.2.2 " "traceroute hop 2 is b"
log "traceroute: $(tr '\n' '|' <<<"$out")"

# Bigger than b's MTU: cavalryd fragments onto the 1280 link.
fragments() { cavctl -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"].get("ip4_fragment",0))'; }
frag0=$(fragments)
out=$(in_ns a ping -c 3 -i 0.2 -W 2 -s 1400 -M dont 198.18.2.2) || fail "1400-byte ping: $out"
assert_contains "$out" "3 received" "1400-byte ping across"
out=$(in_ns a ping -c 3 -i 0.2 -W 2 -s 4000 -M dont 198.18.2.2) || fail "4000-byte ping: $out"
assert_contains "$out" "3 received" "4000-byte ping across"
frag1=$(fragments)
[ "$frag1" -ge $((frag0 + 6)) ] || fail "ip4_fragment saw $((frag1 - frag0)) packets, expected >= 6"
log "ip4_fragment handled $((frag1 - frag0)) packets"

# With DF: frag-needed carrying the next-hop MTU (RFC 1191).
out=$(in_ns a ping -c 1 -W 2 -s 1400 -M do 198.18.2.2 2>&1) && fail "DF ping went through"
assert_contains "$out" "Frag needed and DF set (mtu = 1280)" "frag-needed"

# Static route: reachable only through it, and gone when it is deleted.
out=$(in_ns a ping -c 1 -W 2 198.18.50.1 2>&1) && fail "reached 198.18.50.1 without a route"
assert_contains "$out" "Destination Net Unreachable" "no route gives net unreachable"
cavctl route add 198.18.50.0/24 via 198.18.2.2
assert_contains "$(cavctl route show)" "198.18.50.0/24 via 198.18.2.2 dev dpb" "route show"
out=$(in_ns a ping -c 3 -i 0.1 -W 2 198.18.50.1) || fail "ping via static route: $out"

# Under traffic: a flood of pings runs while the route is removed and added
# back; replies stop while it is gone and resume after.
in_ns a ping -i 0.01 -c 300 -W 1 198.18.50.1 >"$T_DIR/flood.txt" 2>&1 &
flood=$!
T_PIDS+=($flood)
wait_until 5 grep -q "bytes from 198.18.50.1" "$T_DIR/flood.txt" || fail "no replies before route change"
cavctl route del 198.18.50.0/24
wait_until 5 grep -q "Destination Net Unreachable" "$T_DIR/flood.txt" || fail "no net unreachable after route del"
n_before=$(grep -c "bytes from 198.18.50.1" "$T_DIR/flood.txt")
cavctl route add 198.18.50.0/24 via 198.18.2.2
more() { [ "$(grep -c "bytes from 198.18.50.1" "$T_DIR/flood.txt")" -gt "$n_before" ]; }
wait_until 5 more || fail "replies did not resume after route add"
wait "$flood" || true
log "route flap under traffic: $(tail -n2 "$T_DIR/flood.txt" | head -n1)"

# Errors of the route command.
out=$(cavctl route add 198.18.60.0/24 via 198.18.99.1 2>&1) && fail "unreachable gateway accepted"
assert_contains "$out" "not on a connected subnet" "route add error"
out=$(cavctl route del 198.18.2.0/24 2>&1) && fail "deleted a connected route"

# A next hop that never answers ARP: host unreachable after the retries.
cavctl route add 198.18.70.0/24 via 198.18.2.99
out=$(in_ns a ping -c 1 -W 6 198.18.70.1 2>&1) && fail "ping to a dead next hop succeeded"
assert_contains "$out" "Destination Host Unreachable" "dead next hop gives host unreachable"

cavctl -j stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
n = s["nodes"]
assert n["ip4_forward"] > 0 and n["icmp_error"] > 0, n
' || fail "stats"
cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
grep -q "mempool cav_indirect: 0 of" "$CAV_LOG" || fail "indirect mbuf leak at exit"
echo "PASS: $T_NAME"
