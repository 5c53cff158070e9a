#!/usr/bin/env bash
# The daemon's counters through rte_telemetry: dpdk-telemetry.py, pointed at
# the daemon's file prefix (from `cavctl -j status`), reads /cavalry/ports,
# /cavalry/port,dp0 and /cavalry/workers, and once traffic has stopped the
# values match `cavctl -j stats` (packet and byte counters equal, worker loop
# counters between two cavctl readings taken around the telemetry one).
. "$(dirname "$0")/lib.sh"

TEL=$(command -v dpdk-telemetry.py || true)
[ -n "$TEL" ] || skip "dpdk-telemetry.py not installed (Debian package dpdk-dev)"

HOSTIF=$(ifname h)
ns_create peer
veth_create "$HOSTIF" peer eth0 198.18.0.2/24
cav_conf "$T_DIR/c.conf" "workers = 2" <<CONF
[port dp0]
device = net_af_packet0,iface=$HOSTIF
address = 198.18.0.1/24
CONF
cav_start "$T_DIR/c.conf"

prefix=$(cavctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["file_prefix"])')
[ -S "/var/run/dpdk/$prefix/dpdk_telemetry.v2" ] || fail "no telemetry socket for prefix $prefix"

# tel CMD...: run dpdk-telemetry.py non-interactively. It reads commands
# from stdin and prints one JSON reply per line, in order.
tel() {
	printf '%s\n' "$@" | timeout 10 python3 "$TEL" -f "$prefix"
}

out=$(tel /cavalry/ports)
assert_eq '{"/cavalry/ports": ["dp0"]}' "$out" "/cavalry/ports"

# Traffic from Linux (ping: ARP requests, and ICMP once the stack answers),
# then wait until cavalryd has counted every frame the peer sent.
in_ns peer ping -c 20 -i 0.05 -W 1 198.18.0.1 >/dev/null 2>&1 || true
tx_linux() { in_ns peer cat /sys/class/net/eth0/statistics/tx_packets; }
rx_cav() { cavctl -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["rx_packets"])'; }
counted() { [ "$(rx_cav)" -eq "$(tx_linux)" ]; }
wait_until 5 counted || fail "cavalryd counted $(rx_cav) frames, Linux sent $(tx_linux)"
[ "$(tx_linux)" -ge 3 ] || fail "Linux sent only $(tx_linux) frames"

# One comparison: cavctl, telemetry, cavctl again. Counters must be equal in
# all three (nothing moves once traffic stopped); loop counters in order.
compare() {
	local before tel_out after sent
	before=$(cavctl -j stats) || return 1
	tel_out=$(tel /cavalry/ports /cavalry/port,dp0 /cavalry/workers /cavalry/port,nosuch) ||
		return 1
	after=$(cavctl -j stats) || return 1
	sent=$(tx_linux)
	python3 - "$before" "$tel_out" "$after" "$sent" <<'PY'
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[3])
sent = int(sys.argv[4])
lines = [json.loads(l) for l in sys.argv[2].splitlines() if l.strip()]
assert len(lines) == 4, f"expected 4 replies, got {sys.argv[2]!r}"
ports, port, workers, nosuch = lines
assert ports == {"/cavalry/ports": [p["name"] for p in before["ports"]]}, ports
port = port["/cavalry/port"]
assert port["name"] == "dp0", port
b, a = before["ports"][0], after["ports"][0]
for k in ("rx_packets", "rx_bytes", "rx_missed", "rx_errors", "rx_nombuf",
          "tx_packets", "tx_bytes", "tx_errors", "tx_dropped"):
    assert b[k] == port[k] == a[k], f"{k}: cavctl {b[k]}, telemetry {port[k]}, cavctl {a[k]}"
assert port["ethdev"] == b["ethdev"], (port["ethdev"], b["ethdev"])
assert port["rx_packets"] == sent, f"telemetry rx_packets {port['rx_packets']}, Linux sent {sent}"
workers = workers["/cavalry/workers"]
assert len(workers) == len(before["workers"]) == 2, workers
for wb, wa in zip(before["workers"], after["workers"]):
    t = workers[f"worker{wb['id']}"]
    assert t["lcore"] == wb["id"] + 1, t
    for k in ("loops", "busy_loops", "idle_sleeps"):
        assert wb[k] <= t[k] <= wa[k], f"worker{wb['id']} {k}: {wb[k]} <= {t[k]} <= {wa[k]}"
assert nosuch == {"/cavalry/port": None}, nosuch
print(f"rx_packets {port['rx_packets']} rx_bytes {port['rx_bytes']} "
      f"tx_packets {port['tx_packets']} in cavctl and telemetry")
PY
}
# Late frames (an ARP retry) may still move the counters: retry, bounded.
if ! wait_until 10 compare; then
	compare || true
	fail "telemetry does not match cavctl -j stats"
fi
log "$(compare)"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status after SIGTERM"
[ ! -e "/var/run/dpdk/$prefix" ] || fail "runtime dir /var/run/dpdk/$prefix left behind"
echo "PASS: $T_NAME"
