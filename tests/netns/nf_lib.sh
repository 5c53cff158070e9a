# shellcheck shell=bash
# Helpers of the netfilter tests (test_nat*.sh, test_filter*.sh), on top of
# lib.sh: the inside client - cavalryd - outside server topology, servers
# in namespaces started so that cleanup can stop them by PID.

# ns_bg NS CMD...: run CMD in namespace NS in the background. `ip netns
# exec` execs CMD, so $! (remembered in T_PIDS) is CMD itself and cleanup
# stops the real process, not a subshell.
ns_bg() {
	local n
	n=$(ns "$1")
	shift
	ip netns exec "$n" "$@" &
	T_PIDS+=($!)
	NS_BG_PID=$!
}

# stop_bg PID: SIGTERM and wait (at most 5 s).
stop_bg() {
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# gw_topology [WORKERS]: namespaces in and out, cavalryd between them:
#   in (198.18.10.2) -- dpin 198.18.10.1 [cavalryd] 198.18.20.1 dpout -- out (198.18.20.2)
# The outside host has no route to 198.18.10.0/24. Extra config (a
# [filter] section) on stdin. Starts cavalryd.
gw_topology() {
	ns_create in
	ns_create out
	cav_conf "$T_DIR/c.conf" "workers = ${1:-2}" <<CONF
[port dpin]
device = net_tap0,iface=eth0
netns = $(ns in)
address = 198.18.10.1/24
[port dpout]
device = net_tap1,iface=eth0
netns = $(ns out)
address = 198.18.20.1/24
$(cat)
CONF
	cav_start "$T_DIR/c.conf"
	tap_peer in eth0 198.18.10.2/24 198.18.10.1
	tap_peer out eth0 198.18.20.2/24
}

# http_server NS ADDR PORT DIR: python3's http.server, waited for.
http_server() {
	local n
	n=$(ns "$1")
	(cd "$4" && exec ip netns exec "$n" python3 -m http.server "$3" --bind "$2") \
		>"$T_DIR/http-$3.log" 2>&1 &
	T_PIDS+=($!)
	wait_until 10 ip netns exec "$n" bash -c "exec 3<>/dev/tcp/$2/$3" ||
		fail "http server $2:$3 did not start"
}

# udp_echo NS ADDR PORT: a UDP echo server (socat, one child per peer).
udp_echo() {
	ns_bg "$1" socat -T 10 "UDP4-RECVFROM:$3,bind=$2,fork" EXEC:/bin/cat
}
