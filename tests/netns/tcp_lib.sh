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

# ---- issue 6 (test_tcp6_*.sh): the middle box's relay, captures, counters.

# relay_start [impair.py options...]: (TCP_MIDDLE=1) bridge the middle
# box's eth0 and eth1 through py/impair.py with those impairments (both
# directions); RELAY is its PID. relay_stop prints its counters (call it
# in the test's shell, not in $(...): only the shell that started the relay
# can wait for it).
RELAY=
REF_RELAY=
# _relay VAR IF_A IF_B LOG [options...]: an impair.py between two of the
# middle box's interfaces; its PID in VAR.
_relay() {
	local var=$1 a=$2 b=$3 lg=$4
	shift 4
	rm -f "$lg.ready"
	bg ip netns exec "$(ns peer)" python3 "$CAV_ROOT/tests/netns/py/impair.py" "$a" "$b" \
		--ready "$lg.ready" "$@" >>"$lg" 2>&1
	printf -v "$var" '%s' "${T_PIDS[-1]}"
	wait_until 10 test -e "$lg.ready" || fail "impair.py did not start: $(cat "$lg")"
}
relay_start() {
	_relay RELAY eth0 eth1 "$T_DIR/relay.log" "$@"
	[ -z "$REF_NS" ] || _relay REF_RELAY eth2 eth3 "$T_DIR/ref-relay.log" "$@"
}
relay_stop() {
	[ -n "$RELAY" ] || return 0
	kill -TERM "$RELAY" ${REF_RELAY:+"$REF_RELAY"}
	wait "$RELAY" || true
	[ -z "$REF_RELAY" ] || wait "$REF_RELAY" || true
	RELAY=
	REF_RELAY=
	tail -n 1 "$T_DIR/relay.log"
}

# ref_setup: (TCP_MIDDLE=1, after tcp_setup) a Linux reference for the
# Cavalry side behind the same impairments: namespace "ref" with REF_ADDR,
# joined to "far" (second address FAR_ADDR2) through the middle box's eth2
# and eth3, which relay_start then bridges with a second impair.py of the
# same options. "far -> REF_ADDR" is then the Linux -> Linux twin of
# "far -> CAV_ADDR".
REF_ADDR=198.18.1.4
FAR_ADDR2=198.18.1.3
REF_NS=
ref_setup() {
	ns_create ref
	REF_NS=ref
	ip link add "$(ifname r)" netns "$(ns peer)" type veth peer name eth0 netns "$(ns ref)"
	ip -n "$(ns peer)" link set "$(ifname r)" name eth2
	ip link add "$(ifname g)" netns "$(ns peer)" type veth peer name eth1 netns "$(ns far)"
	ip -n "$(ns peer)" link set "$(ifname g)" name eth3
	in_ns ref ip addr add "$REF_ADDR/24" dev eth0
	in_ns far ip addr add "$FAR_ADDR2/24" dev eth1
	local n d
	for n in ref far; do
		d=eth0
		[ "$n" = ref ] || d=eth1
		in_ns "$n" ip link set "$d" up
		in_ns "$n" ethtool -K "$d" tx off tso off gso off gro off >/dev/null 2>&1 || true
	done
	for d in eth2 eth3; do
		in_ns peer ip link set "$d" up
		in_ns peer ethtool -K "$d" tx off tso off gso off gro off >/dev/null 2>&1 || true
	done
}

# pcap_start FILE [FILTER]: tcpdump (headers only) on the Cavalry side of
# the path: the middle box's eth0 with TCP_MIDDLE=1, else the peer's end of
# the link. PCAP_PID is its PID; pcap_stop ends it (the file is complete).
pcap_start() {
	local f=$1
	shift
	bg ip netns exec "$(ns peer)" tcpdump -i eth0 -n -s 128 -U -w "$f" "${@:-tcp}" \
		>"$f.log" 2>&1
	PCAP_PID=${T_PIDS[-1]}
	wait_until 10 grep -q "listening on" "$f.log" || fail "tcpdump did not start: $(cat "$f.log")"
}
pcap_stop() {
	kill -INT "$PCAP_PID" 2>/dev/null || true
	wait "$PCAP_PID" 2>/dev/null || true
}

# tcp_counter NAME: a TCP counter of the Cavalry side, named as struct
# tcp_stats names it (`cavctl -j stats`); in KERNEL_PEERS=1 mode the
# kernel's equivalent from nstat in namespace "cav", so that a test's
# counter checks hold in both modes; 0 for one the kernel has no
# equivalent of. Prints nothing if Cavalry has no such counter.
tcp_counter() {
	if [ "$KERNEL_PEERS" = 1 ]; then
		local k
		case "$1" in
		ecn_cwnd_reductions) k=TcpExtTCPDeliveredCE ;; # ACKs with ECE that delivered data
		pmtu_rejected | tcp_err_out_of_window) k=TcpExtOutOfWindowIcmps ;;
		paws_rejects) k=TcpExtPAWSEstab ;;
		challenge_acks) k=TcpExtTCPChallengeACK ;;
		syn_challenges) k=TcpExtTCPSYNChallenge ;;
		sack_recoveries) k=TcpExtTCPSackRecovery ;;
		sack_retrans) k=TcpExtTCPFastRetrans ;;
		syncookies_sent) k=TcpExtSyncookiesSent ;;
		syncookies_recv) k=TcpExtSyncookiesRecv ;;
		syncookies_failed) k=TcpExtSyncookiesFailed ;;
		in_rsts | estab_resets) k=TcpEstabResets ;;
		listen_drops) k=TcpExtListenDrops ;;
		listen_overflows) k=TcpExtListenOverflows ;;
		*) echo 0; return 0 ;;
		esac
		in_ns cav nstat -asz "$k" 2>/dev/null | awk -v k="$k" '$1 == k { v = $2 } END { print v + 0 }'
	else
		cavctl -j stats 2>/dev/null | python3 -c '
import json, sys
def find(o, k):
    if isinstance(o, dict):
        if k in o and not isinstance(o[k], (dict, list)):
            return o[k]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v, k)
            if r is not None:
                return r
    return None
v = find(json.load(sys.stdin), sys.argv[1])
if v is not None:
    print(v)' "$1"
	fi
}

# need_counter VAR NAME: VAR=tcp_counter NAME, failing if there is none
# (in the test's shell: a fail in $(...) would only end the subshell).
need_counter() {
	local v
	v=$(tcp_counter "$2")
	[ -n "$v" ] || fail "no TCP counter '$2' in $([ "$KERNEL_PEERS" = 1 ] && echo nstat || echo 'cavctl -j stats')"
	printf -v "$1" '%s' "$v"
}

# linux_cc NAME: tcp_tool's options for congestion control NAME on kernel
# sockets: LCC for the Linux end (linux_run tcp_tool "${LCC[@]}" ...), CCC
# for the Cavalry side (cav_run tcp_tool "${CCC[@]}" ...: empty on Cavalry, whose
# default is CUBIC). Comparisons with Cavalry use cubic: a host's default
# may be another (this one's is bbr, which ignores random loss: a loss
# comparison would then be one of algorithms, not of implementations). Per
# socket (TCP_CONGESTION, root may pick any loaded one) because a network
# namespace may only default to the host's "allowed" list.
LCC=()
CCC=()
# shellcheck disable=SC2034 # LCC, CCC: read by the tests
linux_cc() {
	LCC=(--cc "$1")
	[ "$KERNEL_PEERS" != 1 ] || CCC=(--cc "$1")
}
