# shellcheck shell=bash
# Shared by the TCP tests (test_tcp_*.sh): the "Cavalry side" and the Linux
# peer, with the same addresses in both modes so that a test reads the same:
#
#   Cavalry side 198.18.0.1   cavalryd (net_tap port dp0 whose interface
#                             eth0 lives in namespace "peer") and libcavsock
#                             programs: examples/tcp_tool, http_server
#   Linux peer   198.18.0.2   namespace "peer": socat, curl, nginx, and the
#                             kernel builds of the same examples
#
# KERNEL_PEERS=1 is the reference mode: no cavalryd; the Cavalry side's
# programs run as their kernel builds in a namespace "cav" joined to "peer"
# by a veth. A test that passes there and fails on Cavalry points at
# Cavalry, not at the test. TCP_WORKERS sets cavalryd's worker count
# (default 2: connections on both workers, segments handed to the owner).
#
# With TCP_MIDDLE=1 (before tcp_setup) "peer" is a layer-2 middle box with
# no address: its eth0 faces the Cavalry side, its eth1 a namespace "far"
# where the Linux end has 198.18.0.3 (FAR_ADDR) on the same subnet. The
# test bridges eth0 and eth1 itself (a Linux bridge with tc netem on both
# egresses, or py/impair.py), so that impairments hit both directions.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EX=$CAV_ROOT/$CAV_BUILD/examples
KERNEL_PEERS=${KERNEL_PEERS:-0}
CAV_LONG=${CAV_LONG:-0}
CAV_ADDR=198.18.0.1
PEER_ADDR=198.18.0.2
FAR_ADDR=198.18.0.3
TCP_MIDDLE=${TCP_MIDDLE:-0}
# The namespace where the Linux end runs: "far" behind the middle box, else "peer".
LINUX_NS=peer

tcp_mode() { [ "$KERNEL_PEERS" = 1 ] && echo "kernel reference (KERNEL_PEERS=1)" || echo "cavalry"; }

# tcp_setup ['key = value' for [daemon]...]: bring up both sides. The
# config body may be extended through TCP_CONF_EXTRA (sections such as
# [tcp]) and TCP_SYSCTLS ("name=value ..." applied to the Linux stack that
# stands in for Cavalry in kernel mode, e.g. net.ipv4.tcp_retries2=3).
tcp_setup() {
	[ -x "$EX/tcp_tool_kernel" ] || fail "$EX/tcp_tool_kernel not built"
	ns_create peer
	if [ "$TCP_MIDDLE" = 1 ]; then
		ns_create far
		LINUX_NS=far
		ip link add "$(ifname f)" netns "$(ns peer)" type veth peer name eth0 netns "$(ns far)"
		ip -n "$(ns peer)" link set "$(ifname f)" name eth1
		in_ns far ip addr add "$FAR_ADDR/24" dev eth0
		in_ns far ip link set eth0 up
		in_ns peer ip link set eth1 up
		# A bridge in software sees frames as they are on the wire: no
		# checksum offload, no TSO/GSO super-frames, no GRO merging.
		in_ns far ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
		in_ns peer ethtool -K eth1 tx off tso off gso off gro off >/dev/null 2>&1 || true
	fi
	if [ "$KERNEL_PEERS" = 1 ]; then
		ns_create cav
		ip link add "$(ifname c)" netns "$(ns cav)" type veth peer name eth0 netns "$(ns peer)"
		ip -n "$(ns cav)" link set "$(ifname c)" name eth0
		in_ns cav ip addr add "$CAV_ADDR/24" dev eth0
		in_ns cav ip link set eth0 up
		in_ns cav ip route add default via "$PEER_ADDR"
		[ "$TCP_MIDDLE" = 1 ] || in_ns peer ip addr add "$PEER_ADDR/24" dev eth0
		in_ns peer ip link set eth0 up
		if [ "$TCP_MIDDLE" = 1 ]; then
			in_ns cav ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
			in_ns peer ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
		fi
		local s
		for s in ${TCP_SYSCTLS:-}; do in_ns cav sysctl -qw "$s"; done
	else
		[ -x "$EX/tcp_tool" ] ||
			fail "$EX/tcp_tool (libcavsock build) not built: libcavsock has no SOCK_STREAM API yet"
		cav_conf "$T_DIR/c.conf" "workers = ${TCP_WORKERS:-2}" "$@" <<CONF
[port dp0]
device = net_tap0,iface=eth0
netns = $(ns peer)
address = $CAV_ADDR/24
${TCP_CONF_EXTRA:-}
CONF
		cav_start "$T_DIR/c.conf"
		if [ "$TCP_MIDDLE" = 1 ]; then
			in_ns peer ip link set eth0 up
			in_ns peer ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
		else
			tap_peer peer eth0 "$PEER_ADDR/24"
		fi
		export CAVSOCK_PATH=$T_DIR/app.sock
	fi
	log "mode: $(tcp_mode)"
}

# cav_run SECONDS PROG ARGS...: an example program on the Cavalry side
# (libcavsock build, or the kernel build in namespace "cav"), bounded by
# timeout(1).
cav_argv() {
	local secs=$1 prog=$2
	shift 2
	if [ "$KERNEL_PEERS" = 1 ]; then
		ARGV=(ip netns exec "$(ns cav)" timeout "$secs" "$EX/${prog}_kernel" "$@")
	else
		ARGV=(timeout "$secs" "$EX/$prog" "$@")
	fi
}
cav_run() {
	cav_argv "$@"
	"${ARGV[@]}"
}

# linux_run SECONDS CMD ARGS...: a command in the Linux peer's namespace;
# tcp_tool / http_server mean their kernel builds.
linux_argv() {
	local secs=$1 prog=$2
	shift 2
	case "$prog" in
	tcp_tool | http_server) prog=$EX/${prog}_kernel ;;
	esac
	ARGV=(ip netns exec "$(ns "$LINUX_NS")" timeout "$secs" "$prog" "$@")
}
linux_run() {
	linux_argv "$@"
	"${ARGV[@]}"
}

# cav_spawn / linux_spawn SECONDS PROG ARGS...: the same in the background;
# SPAWN_PID is the process itself (timeout(1), which passes SIGTERM on to
# the program), remembered for cleanup. Redirect the call's output.
cav_spawn() {
	cav_argv "$@"
	"${ARGV[@]}" &
	SPAWN_PID=$!
	T_PIDS+=("$SPAWN_PID")
}
linux_spawn() {
	linux_argv "$@"
	"${ARGV[@]}" &
	SPAWN_PID=$!
	T_PIDS+=("$SPAWN_PID")
}

# listening NS PORT: a TCP listener on PORT in namespace NS (Linux side).
listening() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q LISTEN; }

# expect_sum BYTES [SEED]: the SHA-256 of tcp_tool's stream.
expect_sum() { "$EX/tcp_tool_kernel" gen "$1" ${2:+-s "$2"} | sha256sum | cut -d' ' -f1; }

# key FILE NAME: the value of a "NAME: value" line.
key() { sed -n "s/^$2: //p" "$1" | tail -n 1; }

# tcp_finish: in Cavalry mode, stop cavalryd and check a clean exit with
# every mbuf back in the pool.
tcp_finish() {
	if [ "$KERNEL_PEERS" != 1 ]; then
		cav_stop
		assert_eq 0 "$CAV_EXIT" "cavalryd exit status"
		grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit: $(grep mempool "$CAV_LOG")"
	fi
	echo "PASS: $T_NAME ($(tcp_mode))"
}
