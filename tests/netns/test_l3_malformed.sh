#!/usr/bin/env bash
# A corpus of malformed frames crafted with scapy (truncated Ethernet/ARP/IP
# headers, bad checksum, IHL < 5, total length beyond the frame, TTL 0 and 1,
# martian sources, VLAN tags, odd ARP lengths, overlapping and endless
# fragments): each is dropped and counted under its own reason, and the
# daemon keeps answering pings afterwards.
. "$(dirname "$0")/lib.sh"

TAP_CONF_EXTRA="[routes]
route = 198.18.9.0/24 via 198.18.0.2"
tap_setup
in_ns peer ping -c 1 -W 2 198.18.0.1 >/dev/null || fail "no ping before the corpus"
cav_mac=$(cavctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["mac"])')

stats() { cavctl -j stats; }
stats >"$T_DIR/before.json"
in_ns peer /usr/bin/python3 "$(dirname "$0")/py/malformed.py" eth0 198.18.0.2 198.18.0.1 "$cav_mac" 198.18.9.5 \
	>"$T_DIR/sent.txt" || fail "scapy corpus failed"
cat "$T_DIR/sent.txt" | sed 's/^/  sent /'
total=$(awk '{s += $2} END {print s}' "$T_DIR/sent.txt")
rx0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ports"][0]["rx_packets"])' "$T_DIR/before.json")
all_in() { [ "$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["rx_packets"])')" -ge $((rx0 + total)) ]; }
wait_until 5 all_in || fail "cavalryd did not receive the $total frames"
# Let the workers finish the last burst; then compare counters.
settled() { stats >"$T_DIR/after.json"; cmp -s <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["drops"])' "$T_DIR/after.json") <(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"])'); }
wait_until 5 settled || true

python3 - "$T_DIR/before.json" "$T_DIR/after.json" "$T_DIR/sent.txt" <<'PY' || fail "drop counters"
import json, sys
b = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
sent = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[3]))
d = {k: a["drops"].get(k, 0) - b["drops"].get(k, 0) for k in a["drops"]}
n = {k: a["nodes"].get(k, 0) - b["nodes"].get(k, 0) for k in a["nodes"]}
bad = []
def expect(reason, count):
    if d.get(reason, 0) != count:
        bad.append(f"{reason}: expected {count}, counted {d.get(reason, 0)}")
for reason in ("eth_vlan", "eth_unknown_type", "eth_other_host", "arp_malformed",
               "ip4_truncated", "ip4_bad_checksum", "ip4_bad_version", "ip4_bad_ihl",
               "ip4_bad_length", "ip4_martian_src"):
    expect(reason, sent[reason])
# TTL 0/1 to a forwarded destination: each goes to icmp_error (time exceeded)
if n.get("icmp_error", 0) < sent["ttl_expired"]:
    bad.append(f"icmp_error saw {n.get('icmp_error', 0)} packets, expected >= {sent['ttl_expired']}")
# Overlapping fragments: the datagram is dropped as a bad fragment set
reasm = d.get("ip4_reasm_bad_fragment", 0) + d.get("ip4_reasm_failed", 0)
if reasm < 1:
    bad.append("overlapping fragments not counted under ip4_reasm_bad_fragment/failed")
if n.get("ip4_forward", 0) != sent["ttl_expired"]:
    bad.append(f"ip4_forward saw {n.get('ip4_forward', 0)}, expected {sent['ttl_expired']}")
for k, v in sorted(d.items()):
    if v:
        print(f"  dropped {k}: {v}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY

# The endless fragments sit in the reassembly table until they time out;
# they must not stop anything else.
out=$(in_ns peer ping -c 3 -i 0.2 -W 2 198.18.0.1) || fail "ping after the corpus: $out"
assert_contains "$out" "3 received" "ping after the corpus"
out=$(in_ns peer ping -c 2 -i 0.2 -W 2 -s 3000 198.18.0.1) || fail "fragmented ping after the corpus: $out"
cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit (fragments held in reassembly must be freed)"
echo "PASS: $T_NAME"
