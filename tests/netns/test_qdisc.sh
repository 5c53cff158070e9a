#!/usr/bin/env bash
# The TX qdisc against Linux TCP, with cavalryd as the bottleneck:
#   a (198.18.1.2) -- dpa [cavalryd] dpb, shaper 10 Mbit/s -- b (198.18.2.2)
# (d) a bad `cavctl qdisc set` fails and leaves the running qdisc as it was;
# (c) ECN-capable senders (tcp_ecn=1) get CE marks, not drops;
# (b) two bulk flows share the shaped link fairly (Jain's index >= 0.9);
# (a) ping under one bulk flow: fq_codel keeps the RTT near CoDel's target,
#     a FIFO of 1000 packets (same shaper) lets it balloon.
# One worker, so one TX queue carries every flow (each worker has its own
# qdisc and shaper). The senders use CUBIC, Linux's default and a
# loss-based sender that fills whatever buffer it is given (this machine
# defaults to BBR, which keeps its own queue short and would hide the
# FIFO's bufferbloat). Every transfer is bounded by iperf3 -t and timeout.
. "$(dirname "$0")/lib.sh"

command -v iperf3 >/dev/null || skip "iperf3 not installed"

ns_create a
ns_create b
cav_conf "$T_DIR/c.conf" "workers = 1" <<CONF
[port dpa]
device = net_tap0,iface=eth0
netns = $(ns a)
address = 198.18.1.1/24
[port dpb]
device = net_tap1,iface=eth0
netns = $(ns b)
address = 198.18.2.1/24
[qdisc dpb]
kind = fq_codel
ecn = yes
shaper_rate = 10mbit
shaper_burst = 16kb
CONF
cav_start "$T_DIR/c.conf"
tap_peer a eth0 198.18.1.2/24 198.18.1.1
tap_peer b eth0 198.18.2.2/24 198.18.2.1
out=$(in_ns a ping -c 2 -i 0.2 -W 2 198.18.2.2) || fail "ping across: $out"

assert_contains "$(cavctl qdisc show dev dpb)" "qdisc shaper 1: dev dpb root refcnt 2 rate 10Mbit burst 16Kb" "qdisc show"
assert_contains "$(cavctl qdisc show dev dpb)" "qdisc fq_codel 10: dev dpb parent 1:1 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64" "qdisc show"
assert_contains "$(cavctl qdisc show dev dpa)" "qdisc fq_codel 1: dev dpa root refcnt 2 limit 10240p" "default qdisc"

# (d) Bad values: a clear error, and the running qdisc untouched.
before=$(cavctl -j qdisc show dev dpb)
for bad in "fq_codel limit 0" "fq_codel target 5" "fq_codel quantum 100" "fifo limit x" \
	"shaper rate 10mbit" "bands 9" "fq_codel flows 1024 bogus 1"; do
	# shellcheck disable=SC2086
	out=$(cavctl qdisc set dev dpb $bad 2>&1) && fail "'qdisc set dev dpb $bad' accepted"
	log "qdisc set dev dpb $bad -> $out"
done
out=$(cavctl qdisc set dev dpb fq_codel limit 0 2>&1) || true
assert_contains "$out" "fq_codel: limit '0' out of range 1..1048576" "error message"
out=$(cavctl qdisc set dev nosuch fifo 2>&1) && fail "unknown port accepted"
assert_contains "$out" "no port named 'nosuch'" "unknown port"
assert_eq "$before" "$(cavctl -j qdisc show dev dpb)" "qdisc after rejected sets"

# No per-destination TCP metrics: each run starts afresh, not from the
# ssthresh an earlier (CoDel-controlled) run left behind.
in_ns a sysctl -qw net.ipv4.tcp_no_metrics_save=1
in_ns b sysctl -qw net.ipv4.tcp_no_metrics_save=1
# `qdisc set` returns once the worker has let go of the old qdisc (an RCU
# grace period): a loop iteration, but on a loaded, shared CPU the worker
# may wait for it longer than cavctl's default 5 s.
qset() { "$CAVCTL_BIN" -s "$CAV_SOCK" -t 30000 qdisc set dev dpb "$@"; }

bg ip netns exec "$(ns b)" iperf3 -s -p 5201 >"$T_DIR/iperf-server.log" 2>&1
wait_until 5 in_ns b sh -c 'ss -ltn | grep -q :5201' || fail "iperf3 server did not start"

# qdisc_json FIELD: a field of dpb's fq_codel node (summed over bands).
qdisc_json() {
	cavctl -j qdisc show -s dev dpb | python3 -c '
import json, sys
f = sys.argv[1]
print(sum(q.get(f, 0) for q in json.load(sys.stdin) if q["kind"] == "fq_codel"))' "$1"
}

# iperf3 -c from a: SECONDS STREAMS OUTFILE (JSON)
iperf() {
	timeout $(($1 + 10)) ip netns exec "$(ns a)" iperf3 -c 198.18.2.2 -p 5201 -C cubic \
		-t "$1" -P "$2" -O 1 -J >"$3" 2>&1 || fail "iperf3: $(tail -n 5 "$3")"
}

# (c) ECN: both ends negotiate ECN; CoDel marks instead of dropping.
in_ns a sysctl -qw net.ipv4.tcp_ecn=1
in_ns b sysctl -qw net.ipv4.tcp_ecn=1
qset fq_codel ecn # fresh counters
iperf 5 1 "$T_DIR/ecn.json"
marks=$(qdisc_json ecn_mark)
drops=$(qdisc_json drops)
log "ECN: ecn_mark $marks, drops $drops"
[ "$marks" -gt 0 ] || fail "no CE marks with ECN on"
[ "$drops" -eq 0 ] || fail "$drops drops with ECN on (expected marks only)"
rate=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$T_DIR/ecn.json")
log "one flow through the 10 Mbit/s shaper: $((rate / 1000)) kbit/s"
[ "$rate" -gt 7000000 ] && [ "$rate" -lt 10500000 ] || fail "throughput $rate bit/s is not about 10 Mbit/s"

# (b) Fairness: two flows, Jain's index over their throughputs.
iperf 6 2 "$T_DIR/fair.json"
jain=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["end"]["streams"]
x = [t["receiver"]["bits_per_second"] for t in s]
print("%.3f %s" % (sum(x) ** 2 / (len(x) * sum(v * v for v in x)), " ".join("%d" % (v / 1000) for v in x)))' "$T_DIR/fair.json")
log "two flows (kbit/s): ${jain#* }, Jain's index ${jain%% *}"
python3 -c "import sys; sys.exit(0 if float('${jain%% *}') >= 0.9 else 1)" || fail "Jain's index ${jain%% *} < 0.9"

# (a) Latency under load: ping during one bulk flow, fq_codel then FIFO.
# median_rtt FILE: median of the ping's time= values, in ms.
median_rtt() {
	python3 -c '
import re, statistics, sys
t = [float(x) for x in re.findall(r"time=([0-9.]+)", open(sys.argv[1]).read())]
print("%.2f %d" % (statistics.median(t) if t else 1e9, len(t)))' "$1"
}
qdisc_sent_at_least() { # N: packets sent by the port's qdiscs (all levels summed)
	local n
	n=$(cavctl -j qdisc show -s dev dpb | python3 -c '
import json, sys
print(max(q.get("packets", 0) for q in json.load(sys.stdin)))')
	[ "$n" -ge "$1" ]
}
under_load() { # NAME
	timeout 20 ip netns exec "$(ns a)" iperf3 -c 198.18.2.2 -p 5201 -C cubic -t 8 -J \
		>"$T_DIR/$1-iperf.json" 2>&1 &
	local ip=$!
	T_PIDS+=("$ip")
	# The queue builds once iperf3 is in full swing: wait for its first
	# thousand packets through the qdisc (counters are fresh after qset).
	wait_until 10 qdisc_sent_at_least 1000 || fail "$1: no traffic through the qdisc"
	in_ns a ping -i 0.1 -c 50 -W 3 198.18.2.2 >"$T_DIR/$1-ping.txt" 2>&1 || true
	wait "$ip" || fail "$1: iperf3 failed: $(tail -n 5 "$T_DIR/$1-iperf.json")"
}
qset fq_codel
under_load fq_codel
cavctl qdisc show -s dev dpb | sed 's/^/    /'
qset fifo limit 1000
assert_contains "$(cavctl qdisc show dev dpb)" "qdisc pfifo 10: dev dpb parent 1:1 limit 1000p" "fifo set"
under_load fifo
cavctl qdisc show -s dev dpb | sed 's/^/    /'
read -r fq n_fq <<<"$(median_rtt "$T_DIR/fq_codel-ping.txt")"
read -r ff n_ff <<<"$(median_rtt "$T_DIR/fifo-ping.txt")"
log "ping median under load: fq_codel $fq ms ($n_fq replies), fifo $ff ms ($n_ff replies)"
[ "$n_fq" -ge 25 ] && [ "$n_ff" -ge 10 ] || fail "too few ping replies ($n_fq, $n_ff)"
python3 -c "import sys; sys.exit(0 if $fq < 30 else 1)" || fail "fq_codel median RTT $fq ms >= 30 ms"
python3 -c "import sys; sys.exit(0 if $ff > 3 * $fq else 1)" || fail "fifo median RTT $ff ms not > 3x fq_codel's $fq ms"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
