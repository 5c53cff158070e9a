#!/usr/bin/env bash
# Bulk TCP throughput over impaired paths, for scripts/bench-tcp (issue 6
# item 10); not a test (scripts/test runs test_*.sh only). The topology is
# tcp_lib.sh's TCP_MIDDLE=1: the Cavalry side <-> a layer-2 middle box
# (py/impair.py; tc tbf) <-> Linux in namespace "far". Run it once with
# KERNEL_PEERS=1 (kernel sockets on the Cavalry side: Linux <-> Linux) and
# once without (Cavalry <-> Linux); bench-tcp puts the two side by side.
#
# Profiles (both directions of the path):
#   loss1     1% loss, 5 ms each way (10 ms RTT): loss recovery and
#             congestion control decide the rate
#   delay100  50 ms each way (100 ms RTT) and a 100 Mbit/s tbf: the window
#             decides (Cavalry's socket rings are 256 KiB: ~21 Mbit/s)
# For each, BENCH_IMPAIR_SECONDS (default 10) of tcp_tool send from the
# Cavalry side to Linux ("tx") and from Linux to the Cavalry side ("rx");
# the figure is the sender's payload Mbit/s up to the receiver's FIN (all
# delivered). Prints "PROFILE_tx_mbit_per_s: X" and "PROFILE_rx_...".
# The relay's seed is fixed, so both halves see the same loss pattern for
# the same frames. BENCH_IMPAIR_PROFILES selects (default "loss1 delay100").
. "$(dirname "$0")/tcp_lib.sh"

DUR=${BENCH_IMPAIR_SECONDS:-10}
PROFILES=${BENCH_IMPAIR_PROFILES:-loss1 delay100}
T=$((DUR + 60))
# shellcheck disable=SC2034 # read by tcp_setup
TCP_MIDDLE=1
tcp_setup
# Every Linux stack on cubic, as Cavalry: a host default such as bbr
# (which ignores random loss) would compare algorithms, not stacks.
linux_cc cubic

# one PORT DIR: DUR seconds of bulk; prints the sender's Mbit/s (0: failed).
one() {
	local port=$1 dir=$2 out=$T_DIR/$1.out
	if [ "$dir" = tx ]; then
		linux_spawn "$T" tcp_tool recv "$port" >"$T_DIR/$port.r" 2>&1
		wait_until 10 listening far "$port" || { echo 0; return; }
		cav_run "$T" tcp_tool "${CCC[@]}" send "$FAR_ADDR" "$port" 1024G -d "$DUR" >"$out" 2>&1 || true
	else
		cav_spawn "$T" tcp_tool recv "$port" >"$T_DIR/$port.r" 2>"$T_DIR/$port.e"
		wait_until 10 grep -q listening "$T_DIR/$port.e" || { echo 0; return; }
		linux_run "$T" tcp_tool "${LCC[@]}" send "$CAV_ADDR" "$port" 1024G -d "$DUR" >"$out" 2>&1 || true
	fi
	wait "$SPAWN_PID" 2>/dev/null || true
	local m
	m=$(key "$out" mbit_per_s)
	echo "${m:-0} $(key "$out" congestion)"
}

port=6500
for p in $PROFILES; do
	case "$p" in
	loss1) relay_start --loss 1 --delay 5 --seed 10 ;;
	delay100)
		for d in eth0 eth1; do
			in_ns peer tc qdisc replace dev "$d" root tbf rate 100mbit burst 64kb latency 20ms
		done
		relay_start --delay 50 --seed 10
		;;
	*) fail "unknown profile $p" ;;
	esac
	read -r tx txcc < <(one $port tx)
	read -r rx rxcc < <(one $((port + 1)) rx)
	relay_stop >"$T_DIR/$p-relay.txt"
	for d in eth0 eth1; do in_ns peer tc qdisc del dev "$d" root 2>/dev/null || true; done
	echo "${p}_tx_mbit_per_s: $tx"
	echo "${p}_rx_mbit_per_s: $rx"
	echo "${p}_senders_cc: tx ${txcc:-?}, rx ${rxcc:-?}"
	echo "${p}_relay: $(sed 's/^impair: //' "$T_DIR/$p-relay.txt")"
	port=$((port + 2))
done
tcp_finish
echo "done: $(tcp_mode)"
