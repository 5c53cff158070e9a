# shellcheck shell=bash
# Integration test harness: network namespaces, veth links, a cavalryd per
# test with a unique file prefix and control socket, and cleanup that runs
# even when a test fails. Source it at the top of a test script.
#
# Test addresses come from 198.18.0.0/15 and live only inside namespaces the
# test created. A test exits 0 (pass), 77 (skip) or anything else (fail).
set -euo pipefail

CAV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CAV_BUILD=${CAV_BUILD:-build}
CAVALRYD=$CAV_ROOT/$CAV_BUILD/app/cavalryd/cavalryd
CAVCTL_BIN=$CAV_ROOT/$CAV_BUILD/app/cavctl/cavctl
T_NAME=$(basename "$0" .sh)
T_ID=$$
T_DIR=$(mktemp -d "/tmp/cavt-$T_NAME-XXXXXX")
T_NS=()
T_LINKS=()
T_PIDS=()
CAV_PID=
CAV_SOCK=$T_DIR/ctl.sock
CAV_LOG=$T_DIR/cavalryd.log
CAV_EXIT=
# LeakSanitizer: DPDK's EAL keeps some allocations until exit by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$CAVALRYD" ] || { echo "FAIL: $CAVALRYD not built"; exit 1; }

log() { printf '  %s\n' "$*"; }
fail() {
	printf 'FAIL: %s: %s\n' "$T_NAME" "$*"
	exit 1
}
skip() {
	printf 'SKIP: %s: %s\n' "$T_NAME" "$*"
	exit 77
}

assert_eq() { # EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}
assert_contains() { # HAYSTACK NEEDLE WHAT
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

# wait_until SECONDS CMD... : poll CMD every 50 ms until it succeeds or the
# deadline passes (a condition with a deadline, not a fixed sleep).
wait_until() {
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# ns NAME -> the real namespace name (unique per test run)
ns() { printf 'cavt%s-%s' "$T_ID" "$1"; }

ns_create() { # NAME
	local n
	n=$(ns "$1")
	ip netns add "$n"
	T_NS+=("$n")
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

# veth_create HOSTIF NS NSIF [CIDR [GATEWAY]]: a veth whose host end stays in
# the root namespace (for the af_packet port) and whose peer is a Linux host.
veth_create() {
	local hostif=$1 n nsif=$3 cidr=${4:-} gw=${5:-}
	n=$(ns "$2")
	ip link add "$hostif" type veth peer name "$nsif" netns "$n"
	T_LINKS+=("$hostif")
	sysctl -qw "net.ipv6.conf.$hostif.disable_ipv6=1"
	# The af_packet port reads frames as they leave the veth: make Linux
	# fill in checksums instead of leaving them to an offload.
	ip netns exec "$n" ethtool -K "$nsif" tx off >/dev/null 2>&1 || true
	ip link set "$hostif" up
	ip -n "$n" link set "$nsif" up
	[ -z "$cidr" ] || ip -n "$n" addr add "$cidr" dev "$nsif"
	[ -z "$gw" ] || ip -n "$n" route add default via "$gw"
}

# tap_peer NS IFNAME CIDR [GATEWAY] [MTU]: configure the Linux side of a
# net_tap port that cavalryd created inside namespace NS (config: `device =
# net_tapN,iface=IFNAME` and `netns = $(ns NS)`). Call after cav_start.
# Unlike an af_packet port on a veth, a tap hands cavalryd IP fragments as
# they are (the af_packet PMD's fanout makes the kernel reassemble them).
tap_peer() {
	local n ifn=$2 cidr=$3 gw=${4:-} mtu=${5:-}
	n=$(ns "$1")
	ip -n "$n" link show "$ifn" >/dev/null 2>&1 || fail "tap $ifn not in namespace $n"
	[ -z "$mtu" ] || ip -n "$n" link set "$ifn" mtu "$mtu"
	ip -n "$n" link set "$ifn" up
	ip -n "$n" addr add "$cidr" dev "$ifn"
	[ -z "$gw" ] || ip -n "$n" route add default via "$gw"
}

# tap_setup ['key = value' for [daemon]...]: the layout most tests share —
# namespace "peer" holding the interface eth0 of cavalryd's net_tap port dp0
# (198.18.0.1/24), Linux at 198.18.0.2/24 on it; TAP_WORKERS workers
# (default 2); TAP_CONF_EXTRA adds config sections ([routes], [tcp], ...).
# Starts cavalryd (config $T_DIR/c.conf) and exports CAVSOCK_PATH for
# libcavsock programs.
tap_setup() {
	ns_create peer
	cav_conf "$T_DIR/c.conf" "workers = ${TAP_WORKERS:-2}" "$@" <<CONF
[port dp0]
device = net_tap0,iface=eth0
netns = $(ns peer)
address = 198.18.0.1/24
${TAP_CONF_EXTRA:-}
CONF
	cav_start "$T_DIR/c.conf"
	tap_peer peer eth0 198.18.0.2/24
	export CAVSOCK_PATH=$T_DIR/app.sock
}

in_ns() { # NAME CMD...
	local n
	n=$(ns "$1")
	shift
	ip netns exec "$n" "$@"
}

cavctl() { "$CAVCTL_BIN" -s "$CAV_SOCK" "$@"; }

# ns_listening NAME u|t PORT: a socket in namespace NAME listens on PORT
# (UDP or TCP); for wait_until, instead of sleeping while a server starts.
ns_listening() {
	in_ns "$1" ss -Hln"$2" "sport = :$3" | grep -q .
}

# pcap_has FILE PATTERN...: the capture written so far has a line matching
# every PATTERN (tcpdump -U writes each packet as it is captured): for
# wait_until, instead of sleeping before a capture is stopped.
pcap_has() {
	local f=$1 txt p
	shift
	txt=$(tcpdump -r "$f" -n 2>/dev/null) || return 1
	for p in "$@"; do grep -q -- "$p" <<<"$txt" || return 1; done
}

# A unique interface name for this run (IFNAMSIZ is 16).
ifname() { printf 'c%s%s' "$((T_ID % 100000))" "$1"; }

# cav_conf FILE ['key = value'...]: write a config with the test's socket
# and prefix; extra arguments are added to [daemon]; the body (ports etc.)
# comes on stdin.
cav_conf() {
	local f=$1
	shift
	{
		cat <<CONF
[eal]
memory_mb = 256
file_prefix = cavt-$T_NAME
log_level = info
[daemon]
control_socket = $CAV_SOCK
idle_sleep_us = 20
CONF
		local kv
		for kv in "$@"; do printf '%s\n' "$kv"; done
		cat
	} >"$f"
}

cav_start() { # CONFIG
	"$CAVALRYD" -c "$1" >"$CAV_LOG" 2>&1 &
	CAV_PID=$!
	local i
	for i in $(seq 200); do
		cavctl status >/dev/null 2>&1 && return 0
		if ! kill -0 "$CAV_PID" 2>/dev/null; then
			wait "$CAV_PID" && CAV_EXIT=0 || CAV_EXIT=$?
			CAV_PID=
			fail "cavalryd exited ($CAV_EXIT) during start"
		fi
		sleep 0.05
	done
	fail "cavalryd did not answer on $CAV_SOCK within 10 s"
}

# cav_stop: SIGTERM and wait (at most 5 s, then SIGKILL); sets CAV_EXIT and
# CAV_STOP_MS.
cav_stop() {
	[ -n "$CAV_PID" ] || return 0
	local t0 i
	t0=$(date +%s%N)
	kill -TERM "$CAV_PID"
	for i in $(seq 500); do
		kill -0 "$CAV_PID" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$CAV_PID" 2>/dev/null; then
		kill -KILL "$CAV_PID"
		log "cavalryd did not stop in 5 s: killed"
	fi
	wait "$CAV_PID" && CAV_EXIT=0 || CAV_EXIT=$?
	CAV_STOP_MS=$((($(date +%s%N) - t0) / 1000000))
	CAV_PID=
}

# Start a helper process in the background, remembered for cleanup.
bg() {
	"$@" &
	T_PIDS+=($!)
}

cav_cleanup() {
	local rc=$?
	set +e
	for p in "${T_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "$CAV_PID" ]; then
		kill -TERM "$CAV_PID" 2>/dev/null
		for _ in $(seq 200); do kill -0 "$CAV_PID" 2>/dev/null || break; sleep 0.01; done
		kill -KILL "$CAV_PID" 2>/dev/null
		wait "$CAV_PID" 2>/dev/null
	fi
	for l in "${T_LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$CAV_LOG" ]; then
		echo "---- cavalryd log ($CAV_LOG) ----"
		tail -n 40 "$CAV_LOG"
	fi
	rm -rf "$T_DIR"
	exit "$rc"
}
trap cav_cleanup EXIT
trap 'exit 130' INT TERM
