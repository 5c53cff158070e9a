#!/usr/bin/env bash
# A full conntrack table behaves as documented (docs/rules.md): with room
# for 64 connections (one worker), 200 new unreplied UDP flows all pass,
# each one past the 64th evicting the oldest unreplied entry (early drop);
# 64 replied flows then fill the table with entries that are never
# evicted, after which a new connection's packet is dropped and counted
# (drop_ct_table_full), while the established flows go on; `conntrack
# flush` makes room again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nf_lib.sh"

command -v socat >/dev/null || skip "socat not installed"

cat >"$T_DIR/rules" <<'RULES'
*nat
:PREROUTING ACCEPT
:POSTROUTING ACCEPT
-A POSTROUTING -o dpout -j MASQUERADE
COMMIT
RULES
gw_topology 1 <<CONF
[filter]
rules = $T_DIR/rules
conntrack_max = 64
CONF
udp_echo out 198.18.20.2 9000
wait_until 5 ns_listening out u 9000 || fail "UDP echo server did not start"

stats() { cavctl -j conntrack stats; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# 200 unreplied flows (to a port nobody listens on: the answer is an ICMP
# error, RELATED, which is no reply).
in_ns in python3 - <<'PY'
import socket
for i in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.18.10.2", 20000 + i))
    s.sendto(b"x", ("198.18.20.2", 7777))
    s.close()
PY
created_ge() { [ "$(stats | field created)" -ge "$1" ]; }
wait_until 5 created_ge 200 || fail "200 flows not created: $(stats)"
s=$(stats)
assert_eq 64 "$(field entries <<<"$s")" "entries"
ed=$(field early_drop <<<"$s")
[ "$ed" -ge 136 ] || fail "early drops: $ed"
assert_eq 0 "$(field full <<<"$s")" "drops for a full table (none yet)"
log "200 unreplied flows: 64 entries, $ed early drops, nothing dropped"

# 64 replied flows, each on its own source port: they fill the table.
in_ns in python3 - <<'PY' || fail "replied flows"
import socket, sys
socks = []
for i in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.18.10.2", 30000 + i))
    s.settimeout(2)
    s.sendto(b"hello", ("198.18.20.2", 9000))
    if s.recv(100) != b"hello":
        sys.exit("flow %d: no echo" % i)
    socks.append(s)
PY
s=$(stats)
assert_eq 64 "$(field entries <<<"$s")" "entries after the replied flows"
full0=$(cavctl -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("ct_table_full", 0))')

# Full of replied entries: a new connection is dropped, and counted.
in_ns in ping -c 2 -i 0.2 -W 1 198.18.20.2 >/dev/null 2>&1 && fail "a new connection passed a full table"
full1=$(cavctl -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("ct_table_full", 0))')
[ "$full1" -ge $((full0 + 2)) ] || fail "drop_ct_table_full went from $full0 to $full1"
[ "$(stats | field full)" -ge 2 ] || fail "conntrack stats: full"
log "table full of replied entries: ping dropped (drop_ct_table_full $full0 -> $full1)"

# The established flows still pass.
out=$(in_ns in bash -c 'echo again | timeout 5 socat -t 2 - UDP4:198.18.20.2:9000,bind=198.18.10.2:30005') ||
	fail "an established flow in a full table: '$out'"
assert_eq again "$out" "established flow"
log "an established flow still passes"

# Flush: room again.
cavctl conntrack flush >/dev/null
assert_eq 0 "$(stats | field entries)" "entries after flush"
in_ns in ping -c 2 -i 0.2 -W 2 198.18.20.2 >/dev/null || fail "ping after flush"
log "after conntrack flush: ping passes"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
