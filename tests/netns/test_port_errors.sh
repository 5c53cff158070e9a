#!/usr/bin/env bash
# A port that cannot be created (af_packet on a missing interface) gives a
# clear message naming the port and a non-zero exit, and leaves nothing behind.
. "$(dirname "$0")/lib.sh"

cav_conf "$T_DIR/c.conf" <<CONF
[port uplink]
device = net_af_packet0,iface=cavnosuch$T_ID
address = 198.18.0.1/24
CONF
out=$(timeout 20 "$CAVALRYD" -c "$T_DIR/c.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 0 ] || fail "exit status 0 for a port that cannot be created"
[ "$rc" -ne 124 ] || fail "cavalryd hung"
assert_contains "$out" "port uplink: cannot create device 'net_af_packet0,iface=cavnosuch$T_ID" "message"
log "exit $rc: $(grep 'port uplink' <<<"$out")"
[ ! -e "$CAV_SOCK" ] || fail "control socket left behind"
ls -d /var/run/dpdk/cavt-"$T_NAME"-* 2>/dev/null && fail "EAL runtime directory left behind"
echo "PASS: $T_NAME"
