#!/usr/bin/env bash
# A long fat path (issue 6, RFC 7323 window scaling) between the Cavalry
# side and Linux: 50 ms each way through the middle box's relay
# (py/impair.py --delay 50: a 100 ms RTT) and a token bucket (tc tbf) on
# both of its egresses, LFN_RATE (default 100 mbit). One transfer each way,
# checksummed.
#
# The assertion is a behaviour threshold, not a benchmark: a sender can
# have at most one receive window in flight per round trip, and without
# window scaling that window is at most 65,535 bytes, so no transfer over
# a 100 ms RTT can average more than 65,535 B / 100 ms = 5.2 Mbit/s,
# whatever the machine's speed. Each direction must beat that ceiling by
# LFN_MARGIN (default 1.5x, i.e. > 7.9 Mbit/s); it can only do so with a
# scaled window. (Cavalry's socket rings are 256 KiB: ~21 Mbit/s at 100 ms
# is the most it can reach here.) The capture then shows why: both SYNs
# carry the window-scale option and the windows each receiver advertised,
# once shifted, exceed 65,535.
#
# The relay must keep up for the figure to mean anything: the test fails
# if the kernel dropped more than 1% of the frames before the relay read
# them (its rx_drops counter); its lateness and the tbf's drops are printed. KERNEL_PEERS=1: the Linux
# reference (the same programs on kernel sockets in place of Cavalry).
. "$(dirname "$0")/tcp_lib.sh"

command -v tc >/dev/null || skip "tc not installed"
command -v tcpdump >/dev/null || skip "tcpdump not installed"
SIZE=${LFN_SIZE:-$((16 << 20))}
[ "$CAV_LONG" = 1 ] && SIZE=$((256 << 20))
RATE=${LFN_RATE:-100mbit}
MARGIN=${LFN_MARGIN:-1.5}
RTT_MS=100
T=$((CAV_LONG == 1 ? 600 : 40)) # bound for one transfer (s)
# shellcheck disable=SC2034 # read by tcp_setup
TCP_MIDDLE=1
tcp_setup
linux_cc cubic # as Cavalry, whatever this host's default

# The rate limit: tbf on both egresses of the middle box (what the relay
# writes goes through the interface's qdisc). Burst: a few ms at the rate
# (>= rate/HZ); latency bounds the queue.
for d in eth0 eth1; do
	in_ns peer tc qdisc replace dev "$d" root tbf rate "$RATE" burst 64kb latency 20ms
done
relay_start --delay $((RTT_MS / 2)) --seed 6
pcap_start "$T_DIR/lfn.pcap" "tcp[tcpflags] & tcp-syn != 0 or (src host $CAV_ADDR and tcp port 6101)" \
	"or (src host $FAR_ADDR and tcp port 6102)"

ceiling=$(python3 -c "print('%.1f' % (65535 * 8 / ($RTT_MS / 1000) / 1e6))")
need=$(python3 -c "print('%.1f' % ($ceiling * $MARGIN))")
log "ceiling without window scaling: 65535 B / ${RTT_MS} ms = $ceiling Mbit/s; need > $need Mbit/s"

# over NAME MBIT: MBIT is above the threshold.
over() {
	python3 -c "import sys; sys.exit(0 if float('$2') > $need else 1)" ||
		fail "$1: $2 Mbit/s, not above $need Mbit/s ($MARGIN x the $ceiling Mbit/s a 64 KiB window allows at ${RTT_MS} ms)"
}

# 1. Linux (far) -> Cavalry side: Cavalry's receive window is what counts.
(cav_run "$T" tcp_tool recv 6101 -w 2>"$T_DIR/r1.err" | sha256sum >"$T_DIR/r1.sum") &
r1=$!
T_PIDS+=("$r1")
wait_until 10 grep -q listening "$T_DIR/r1.err" || fail "receiver did not start: $(cat "$T_DIR/r1.err")"
linux_run "$T" tcp_tool "${LCC[@]}" send "$CAV_ADDR" 6101 "$SIZE" -s 1 >"$T_DIR/s1.out" 2>&1 ||
	fail "Linux -> Cavalry: sender: $(cat "$T_DIR/s1.out") (receiver: $(cat "$T_DIR/r1.err"))"
wait "$r1" || fail "Linux -> Cavalry: receiver: $(cat "$T_DIR/r1.err")"
assert_eq "$(expect_sum "$SIZE" 1)" "$(cut -d' ' -f1 "$T_DIR/r1.sum")" "Linux -> Cavalry: SHA-256"
m1=$(key "$T_DIR/s1.out" mbit_per_s)
log "Linux -> Cavalry: $SIZE bytes intact, $m1 Mbit/s"

# 2. Cavalry side -> Linux (far): Cavalry's sender must use Linux's scaled window.
(linux_run "$T" tcp_tool recv 6102 -w 2>"$T_DIR/r2.err" | sha256sum >"$T_DIR/r2.sum") &
r2=$!
T_PIDS+=("$r2")
wait_until 10 listening far 6102 || fail "Linux receiver did not start"
cav_run "$T" tcp_tool "${CCC[@]}" send "$FAR_ADDR" 6102 "$SIZE" -s 2 >"$T_DIR/s2.out" 2>&1 ||
	fail "Cavalry -> Linux: sender: $(cat "$T_DIR/s2.out")"
wait "$r2" || fail "Cavalry -> Linux: receiver: $(cat "$T_DIR/r2.err")"
assert_eq "$(expect_sum "$SIZE" 2)" "$(cut -d' ' -f1 "$T_DIR/r2.sum")" "Cavalry -> Linux: SHA-256"
m2=$(key "$T_DIR/s2.out" mbit_per_s)
log "Cavalry -> Linux: $SIZE bytes intact, $m2 Mbit/s"

pcap_stop
relay_stop >"$T_DIR/relay.txt"
relay=$(cat "$T_DIR/relay.txt")
log "relay: ${relay#impair: }"
for d in eth0 eth1; do
	log "tbf $d: $(in_ns peer tc -s qdisc show dev "$d" | sed -n 's/^ *\(Sent.*\)/\1/p' | head -n 1)"
done
# The relay kept up: the kernel did not have to drop frames it was too slow
# to read (nobufs are the tbf queue's congestion drops: the bottleneck's
# own, expected once a sender fills it).
frames=$(sed -n 's/.*frames \([0-9]*\).*/\1/p' <<<"$relay")
rxd=$(sed -n 's/.*rx_drops \([0-9]*\).*/\1/p' <<<"$relay")
[ -n "$rxd" ] || fail "no rx_drops in the relay's counters: $relay"
[ "$rxd" -le $((frames / 100)) ] ||
	fail "the relay did not keep up: the kernel dropped $rxd of $frames frames before it read them"

# The threshold: only a scaled window gets there.
over "Linux -> Cavalry" "$m1"
over "Cavalry -> Linux" "$m2"

# The capture (Cavalry's side of the middle box): both SYNs carry the
# window-scale option, and Cavalry's receive window went above 65,535.
python3 "$CAV_ROOT/tests/netns/py/tcp_pcap.py" "$T_DIR/lfn.pcap" "$CAV_ADDR" --port 6101 >"$T_DIR/p1.txt"
ws=$(key "$T_DIR/p1.txt" syn_wscale)
pws=$(key "$T_DIR/p1.txt" peer_syn_wscale)
win=$(key "$T_DIR/p1.txt" max_win_scaled)
[ "$ws" -ge 1 ] || fail "Cavalry's SYN-ACK: window scale $ws (-1: no option)"
[ "$pws" -ge 1 ] || fail "Linux's SYN: window scale $pws (-1: no option)"
[ "$win" -gt 65535 ] || fail "Cavalry's largest advertised window $win <= 65535 after scaling"
python3 "$CAV_ROOT/tests/netns/py/tcp_pcap.py" "$T_DIR/lfn.pcap" "$FAR_ADDR" --port 6102 >"$T_DIR/p2.txt"
python3 "$CAV_ROOT/tests/netns/py/tcp_pcap.py" "$T_DIR/lfn.pcap" "$CAV_ADDR" --port 6102 >"$T_DIR/p3.txt"
[ "$(key "$T_DIR/p3.txt" syn_wscale)" -ge 0 ] || fail "Cavalry's SYN carries no window scale"
[ "$(key "$T_DIR/p2.txt" syn_wscale)" -ge 1 ] || fail "Linux's SYN-ACK carries no window scale"
lwin=$(key "$T_DIR/p2.txt" max_win_scaled)
[ "$lwin" -gt 65535 ] || fail "Linux's largest advertised window $lwin <= 65535 after scaling"
log "SYNs: Linux wscale $pws / $(key "$T_DIR/p2.txt" syn_wscale), Cavalry side wscale $ws /" \
	"$(key "$T_DIR/p3.txt" syn_wscale); largest window the Cavalry side advertised: $win bytes" \
	"(raw $(key "$T_DIR/p1.txt" max_win_raw)); Linux's: $lwin bytes"
log "both directions above $need Mbit/s: $m1 and $m2 Mbit/s"
tcp_finish
