#!/usr/bin/env bash
# libcavsock's API against a running cavalryd: every errno the header
# promises, options, MSG_PEEK/MSG_TRUNC, poll, epoll (level and edge),
# cav_epoll_fd, receive-buffer drops, ECONNREFUSED from a Linux peer's
# ICMP port unreachable, ports below 1024 for root only
# (tests/unit/sock/sock_api_check.c).
. "$(dirname "$0")/lib.sh"

tap_setup "app_mode = 0666"
chmod 0755 "$T_DIR"

rc=0
out=$("$CAV_ROOT/$CAV_BUILD/tests/unit/sock/sock_api_check" errno 198.18.0.1 198.18.0.2 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/  /'
[ $rc -eq 0 ] || fail "sock_api_check: $(grep FAIL <<<"$out" | head -5)"

# Everything the checks opened is gone again.
wait_until 2 sh -c "[ \$($CAVCTL_BIN -s $CAV_SOCK ss | wc -l) -eq 1 ]" || fail "sockets left: $(cavctl ss)"
s=$(cavctl -j stats)
python3 -c '
import json, sys
n = json.loads(sys.argv[1])["nodes"]
assert n["drop_udp_rcvbuf_full"] > 0, n
' "$s" || fail "rcvbuf drops not counted"
cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
grep -q "mempool cav_mbufs: 0 of" "$CAV_LOG" || fail "mbuf leak at exit"
echo "PASS: $T_NAME"
