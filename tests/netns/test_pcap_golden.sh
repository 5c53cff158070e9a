#!/usr/bin/env bash
# Pcap golden tests: for each case in tests/pcap/cases/NAME/, cavalryd runs
# with one port `net_pcap0,rx_pcap=in.pcap,tx_pcap=OUT` (no namespaces and no
# links: root is needed only for the EAL), reads every frame of in.pcap,
# answers, and what it sent (OUT) must equal expected.pcap. A case's `drops`
# file (lines "REASON COUNT") lists the drop counters it must leave; every
# other drop counter must stay 0. tests/pcap/gen.py writes the inputs and
# describes the layout.
#
#   test_pcap_golden.sh [CASE...]                   check (all cases by default)
#   test_pcap_golden.sh --regen-expected [CASE...]  keep OUT as expected.pcap
#
# How OUT is compared with expected.pcap, and why:
# - As a multiset of frame bytes: order and timestamps are ignored. The
#   gratuitous ARP cavalryd sends for its address at start is in every
#   expected.pcap, but when it leaves relative to the replies depends on
#   when the main lcore gets to it; answers made on the control plane (ARP)
#   and on the worker (ICMP) may also interleave either way.
# - ICMP errors (types 3, 4, 5, 11, 12) that cavalryd originates carry a
#   random IPv4 ID (node_icmp_error.c: rte_rand(), as Linux does), so for
#   those frames the IPv4 ID and header checksum are zeroed on both sides
#   before comparing, after checking that the checksum of the frame cavalryd
#   sent is right. Echo replies copy the request's ID and are compared as
#   they are.
. "$(dirname "$0")/lib.sh"

CASES_DIR=${CAV_PCAP_CASES:-$CAV_ROOT/tests/pcap/cases} # override: tests of this runner
PCAP_MAC=02:70:63:61:70:00 # net_pcap0's MAC (DPDK 22.11), in gen.py too

regen=0
only=()
for a in "$@"; do
	case "$a" in
	--regen-expected) regen=1 ;;
	-*) fail "unknown option $a" ;;
	*) only+=("$a") ;;
	esac
done
# The system Python: scapy (python3-scapy) describes differing frames.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# stat_of PY_EXPR: evaluate an expression over `cavctl -j stats` (as s).
stat_of() {
	cavctl -j stats | $PY -c "import json,sys; s=json.load(sys.stdin); port=lambda n: next(p for p in s['ports'] if p['name']==n); print($1)"
}

pcap_count() { # FILE
	$PY - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
end = "<" if struct.unpack("<I", b[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
n, off = 0, 24
while off + 16 <= len(b):
    off += 16 + struct.unpack(end + "IIII", b[off:off + 16])[2]
    n += 1
print(n)
PY
}

rx_done() { [ "$(stat_of 'port("p0")["rx_packets"]')" -eq "$1" ]; }

# The output has settled when tx_packets has not moved for 5 polls in a row
# (0.5 s); at most 10 s.
wait_tx_settled() {
	local last=-1 same=0 now
	for _ in $(seq 100); do
		now=$(stat_of 'port("p0")["tx_packets"]')
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 5 ] && return 0
		else
			same=0
			last=$now
		fi
		sleep 0.1
	done
	return 1
}

check_drops() { # CASE_DIR
	cavctl -j stats | $PY -c '
import json, sys
want = {}
path = sys.argv[1]
try:
    for line in open(path):
        line = line.split("#")[0].split()
        if line:
            want[line[0]] = int(line[1])
except FileNotFoundError:
    pass
drops = json.load(sys.stdin)["drops"]
bad = []
for k in sorted(set(drops) | set(want)):
    if k not in drops:
        bad.append(f"{k}: expected {want[k]}, but cavalryd has no such drop reason")
    elif drops[k] != want.get(k, 0):
        bad.append(f"{k}: expected {want.get(k, 0)}, got {drops[k]}")
if bad:
    sys.exit("drop counters: " + "; ".join(bad))
print("drops as expected:", ", ".join(f"{k} {v}" for k, v in sorted(want.items())) or "none")
' "$1/drops"
}

compare() { # OUT EXPECTED
	$PY - "$1" "$2" <<'PY'
import collections, struct, sys

def frames(path):
    b = open(path, "rb").read()
    magic = struct.unpack("<I", b[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, off = [], 24
    while off + 16 <= len(b):
        incl = struct.unpack(end + "IIII", b[off:off + 16])[2]
        out.append(b[off + 16:off + 16 + incl])
        off += 16 + incl
    return out

def csum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

ICMP_ERRORS = {3, 4, 5, 11, 12}

def normalize(f, ours):
    # IPv4 ICMP error: zero the (random) ID and the header checksum.
    if len(f) < 34 or f[12:14] != b"\x08\x00" or f[14] >> 4 != 4:
        return f
    hl = (f[14] & 0xF) * 4
    if hl < 20 or len(f) < 14 + hl + 1 or f[14 + 9] != 1 or f[14 + hl] not in ICMP_ERRORS:
        return f
    if ours and csum(f[14:14 + hl]) != 0xFFFF:
        return f  # a bad checksum stays visible as a difference
    g = bytearray(f)
    g[18:20] = b"\0\0"
    g[24:26] = b"\0\0"
    return bytes(g)

def describe(f):
    try:
        from scapy.all import Ether
        return Ether(f).summary()
    except Exception:
        return ""

out = [normalize(f, True) for f in frames(sys.argv[1])]
exp = [normalize(f, False) for f in frames(sys.argv[2])]
co, ce = collections.Counter(out), collections.Counter(exp)
missing, extra = ce - co, co - ce
if not missing and not extra:
    print(f"{len(out)} frame(s) as expected")
    sys.exit(0)
print(f"output has {len(out)} frame(s), expected {len(exp)}")
for title, c in (("missing (expected, not sent)", missing), ("unexpected (sent, not expected)", extra)):
    for f, n in c.items():
        print(f"  {title} x{n}: {len(f)} bytes {describe(f)}")
        print("    " + f[:64].hex() + ("..." if len(f) > 64 else ""))
if len(missing) == 1 and len(extra) == 1:
    a, b = next(iter(missing)), next(iter(extra))
    diff = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
    print(f"  the two differ at byte offset(s) {diff[:16]}" + (f" (lengths {len(a)}, {len(b)})" if len(a) != len(b) else ""))
sys.exit(1)
PY
}

ran=0
for d in "$CASES_DIR"/*/; do
	name=$(basename "$d")
	d=${d%/}
	if [ ${#only[@]} -gt 0 ]; then
		case " ${only[*]} " in *" $name "*) ;; *) continue ;; esac
	fi
	if [ ! -f "$d/in.pcap" ] || [ ! -f "$d/config" ]; then fail "$name: needs in.pcap and config"; fi
	[ "$regen" -eq 1 ] || [ -f "$d/expected.pcap" ] || fail "$name: no expected.pcap (tests/pcap/gen.py --regen-expected $name)"
	n_in=$(pcap_count "$d/in.pcap")
	out=$T_DIR/$name.out.pcap
	CAV_LOG=$T_DIR/$name.log # lib.sh: cav_start writes it, cleanup shows it
	{
		printf '[port p0]\ndevice = net_pcap0,rx_pcap=%s,tx_pcap=%s\n' "$d/in.pcap" "$out"
		cat "$d/config"
	} | cav_conf "$T_DIR/$name.conf" "workers = 1"
	cav_start "$T_DIR/$name.conf"
	mac=$(stat_of 'port("p0")["mac"].lower()')
	[ "$mac" = "$PCAP_MAC" ] ||
		fail "$name: net_pcap0's MAC is $mac, the inputs are addressed to $PCAP_MAC (update PCAP_MAC here and in tests/pcap/gen.py, regenerate)"
	wait_until 10 rx_done "$n_in" ||
		fail "$name: cavalryd received $(stat_of 'port("p0")["rx_packets"]') of $n_in frames in 10 s"
	wait_tx_settled || fail "$name: output still growing after 10 s"
	if [ "$regen" -eq 0 ]; then
		res=$(check_drops "$d" 2>&1) || fail "$name: $res"
		log "$name: $res"
	fi
	cav_stop
	assert_eq 0 "$CAV_EXIT" "$name: cavalryd exit status"
	[ -f "$out" ] || fail "$name: cavalryd wrote no $out"
	if [ "$regen" -eq 1 ]; then
		cp "$out" "$d/expected.pcap"
		log "$name: wrote expected.pcap ($(pcap_count "$out") frames): check it by eye (tests/pcap/gen.py --show $name)"
	else
		res=$(compare "$out" "$d/expected.pcap") || fail "$name: output differs from expected.pcap:
$res"
		log "$name: $n_in frame(s) in, $res"
	fi
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || fail "no case ran (${only[*]:-none found in $CASES_DIR})"
echo "PASS: $T_NAME"
