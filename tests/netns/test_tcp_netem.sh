#!/usr/bin/env bash
# TCP through a lossy, reordering, duplicating, delaying Linux middle box:
# the Cavalry side <-> namespace "peer" (a layer-2 middle box that impairs
# both directions) <-> namespace "far" (the Linux end). 16 MiB each way at
# once (1 GiB with CAV_LONG=1), checksummed, under
#   (a) 1% loss, 5% reordering, 1% duplication, 20 ms delay
#   (b) 10% loss
# Data intact, both ends close cleanly, nothing hangs (generous bounds).
#
# The middle box is a Linux bridge with `tc qdisc netem` on both of its
# egress ports. Where the kernel has no sch_netem (it is an optional
# module), py/impair.py does the same in user space: an AF_PACKET relay
# with netem's loss / duplicate / delay / reorder semantics, seeded.
# IMPAIR=relay forces the relay. KERNEL_PEERS=1: the Linux reference.
. "$(dirname "$0")/tcp_lib.sh"

command -v tc >/dev/null || skip "tc not installed"
SIZE=$((16 << 20))
[ "$CAV_LONG" = 1 ] && SIZE=$((1 << 30))
# Bound for one transfer (s). Long mode: profile (a) at ~3 Mbit/s (CUBIC
# in a 20 ms, 1%-loss window; Linux's sender here defaults to BBR) needs
# ~50 min for 1 GiB.
T=$((CAV_LONG == 1 ? 5400 : 150))
# shellcheck disable=SC2034 # read by tcp_setup
TCP_MIDDLE=1
tcp_setup

IMPAIR=${IMPAIR:-}
if [ -z "$IMPAIR" ]; then
	# Probe on a throw-away veth inside the middle box.
	in_ns peer ip link add probe0 type veth peer name probe1
	if in_ns peer tc qdisc add dev probe0 root netem delay 1ms >/dev/null 2>&1; then IMPAIR=netem; else IMPAIR=relay; fi
	in_ns peer ip link del probe0
fi
if [ "$IMPAIR" = netem ]; then
	# DPDK's net_tap gives the kernel's tap interface the port's own MAC:
	# a bridge would take frames for that MAC as its own and never
	# forward them to cavalryd. The middle box's port gets another one.
	in_ns peer ip link set eth0 address 02:00:00:00:c0:01
	in_ns peer ip link add br0 type bridge
	in_ns peer ip link set eth0 master br0
	in_ns peer ip link set eth1 master br0
	in_ns peer ip link set br0 up
fi
log "impairment: $IMPAIR"
RELAY=

# impair LOSS DELAY_MS REORDER DUPLICATE (percentages): both directions.
impair() {
	if [ "$IMPAIR" = netem ]; then
		local p="limit 100000 loss $1%"
		[ "$2" = 0 ] || p="$p delay ${2}ms reorder $3%"
		[ "$4" = 0 ] || p="$p duplicate $4%"
		local d
		for d in eth0 eth1; do
			# shellcheck disable=SC2086 # p is a word list
			in_ns peer tc qdisc replace dev "$d" root netem $p
		done
	else
		rm -f "$T_DIR/relay.ready"
		bg ip netns exec "$(ns peer)" python3 "$CAV_ROOT/tests/netns/py/impair.py" eth0 eth1 \
			--loss "$1" --delay "$2" --reorder "$3" --duplicate "$4" --ready "$T_DIR/relay.ready" \
			>>"$T_DIR/relay.log" 2>&1
		RELAY=${T_PIDS[-1]}
		wait_until 10 test -e "$T_DIR/relay.ready" || fail "impair.py did not start: $(cat "$T_DIR/relay.log")"
	fi
}
impair_off() {
	if [ "$IMPAIR" = netem ]; then
		in_ns peer tc -s qdisc show dev eth0 | sed -n 's/^ *Sent/  toward Cavalry: Sent/p'
		in_ns peer tc qdisc del dev eth0 root
		in_ns peer tc qdisc del dev eth1 root
	else
		kill -TERM "$RELAY"
		wait "$RELAY" || true
		tail -n 1 "$T_DIR/relay.log" | sed 's/^/  /'
	fi
}

# transfer NAME SEED: 16 MiB (or 1 GiB) both directions at once.
transfer() {
	local name=$1 seed=$2 port=$((6000 + $2 * 2)) t0
	t0=$(date +%s)
	# Linux (far) -> Cavalry side.
	(cav_run "$T" tcp_tool recv "$port" -w 2>"$T_DIR/$name-r1.err" | sha256sum >"$T_DIR/$name-r1.sum") &
	local r1=$!
	T_PIDS+=("$r1")
	wait_until 10 grep -q listening "$T_DIR/$name-r1.err" || fail "$name: receiver did not start"
	linux_spawn "$T" tcp_tool send "$CAV_ADDR" "$port" "$SIZE" -s "$seed" >"$T_DIR/$name-s1.out" 2>&1
	local s1=$SPAWN_PID
	# Cavalry side -> Linux (far).
	(linux_run "$T" tcp_tool recv $((port + 1)) -w 2>"$T_DIR/$name-r2.err" | sha256sum >"$T_DIR/$name-r2.sum") &
	local r2=$!
	T_PIDS+=("$r2")
	wait_until 10 listening far $((port + 1)) || fail "$name: Linux receiver did not start"
	local rc=0
	cav_run "$T" tcp_tool send "$FAR_ADDR" $((port + 1)) "$SIZE" -s "$seed" >"$T_DIR/$name-s2.out" 2>&1 || rc=$?
	if [ "$rc" -eq 124 ]; then
		fail "$name: Cavalry -> Linux: not done in $T s; the Linux receiver had" \
			"$(in_ns far ss -Htni "sport = :$((port + 1))" | grep -o 'bytes_received:[0-9]*' || echo '?')" \
			"of $SIZE bytes"
	fi
	[ "$rc" -eq 0 ] || fail "$name: Cavalry -> Linux sender: $(cat "$T_DIR/$name-s2.out")"
	wait "$r2" || fail "$name: Linux receiver: $(cat "$T_DIR/$name-r2.err")"
	wait "$s1" || fail "$name: Linux -> Cavalry sender: $(cat "$T_DIR/$name-s1.out")"
	wait "$r1" || fail "$name: Cavalry-side receiver: $(cat "$T_DIR/$name-r1.err")"
	local want
	want=$(expect_sum "$SIZE" "$seed")
	assert_eq "$want" "$(cut -d' ' -f1 "$T_DIR/$name-r1.sum")" "$name: Linux -> Cavalry SHA-256"
	assert_eq "$want" "$(cut -d' ' -f1 "$T_DIR/$name-r2.sum")" "$name: Cavalry -> Linux SHA-256"
	log "$name: $SIZE bytes each way intact in $(($(date +%s) - t0)) s" \
		"(to Cavalry $(key "$T_DIR/$name-s1.out" mbit_per_s) Mbit/s," \
		"from Cavalry $(key "$T_DIR/$name-s2.out" mbit_per_s) Mbit/s)"
}

# NETEM_PROFILES picks profiles (a long run of both takes over an hour).
for p in ${NETEM_PROFILES:-lossy loss10}; do
	case "$p" in
	lossy) impair 1 20 5 1 && transfer lossy 1 ;;
	loss10) impair 10 0 0 0 && transfer loss10 2 ;;
	*) fail "NETEM_PROFILES: unknown profile '$p' (lossy, loss10)" ;;
	esac
	impair_off
done

tcp_finish
