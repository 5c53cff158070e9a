#!/usr/bin/env bash
# Path MTU discovery (RFC 1191, issue 6 item 8) against a Linux router:
#
#   Cavalry side 198.18.0.1 -- 198.18.0.2 [peer: a Linux router] 198.18.5.1
#       -- MTU 1280 -- 198.18.5.2 [far: Linux, advertising MSS 1460]
#
# The Cavalry side sends 1500-byte segments with DF; the router cannot
# forward them and answers ICMP fragmentation needed (mtu 1280), as Linux
# routers do:
#   (a) two Cavalry -> Linux transfers complete intact: the ICMPs were
#       taken (tcp_err_pmtu, pmtu_updates; on two workers some through the
#       owner's handoff, tcp_err_owner) and the MSS lowered to fit 1280;
#   (b) a forged frag-needed (MTU 600) quoting a sequence number that is
#       not in flight (an off-path attacker's guess) is rejected: counted
#       (drop_tcp_err_out_of_window, pmtu_rejected; Linux OutOfWindowIcmps)
#       and the connection's MSS stays as it was;
#   (c) with the router's ICMPs suppressed (a blackhole policy rule for
#       ICMP: no frag-needed leaves it) the same transfer black-holes:
#       nothing beyond the handshake arrives. That is what (a) would do
#       without PMTUD (run last: the rule stays);
#   (d) an ICMP host unreachable from the router fails a connect() at once
#       with EHOSTUNREACH (Linux: errors are hard before the connection
#       exists, soft after);
#   (e) a frag-needed announcing 400 (below Linux's min_pmtu 552): the MSS
#       goes to the floor's and the segments lose DF (Linux locks the MTU);
#   (f) IP_MTU_DISCOVER = IP_PMTUDISC_DONT on (c)'s black-holed path: no DF,
#       the router fragments, the data crosses whole.
# KERNEL_PEERS=1: Linux in Cavalry's place (its counters from nstat).
. "$(dirname "$0")/tcp_lib.sh"

command -v tcpdump >/dev/null || skip "tcpdump not installed"
T=30 # bound for one transfer (s)
R_ADDR=198.18.0.2  # the router, on the Cavalry side's link
R_FAR=198.18.5.1   # the router, on the narrow link
F=198.18.5.2       # the Linux end
C=$CAV_ADDR
NARROW=1280
# shellcheck disable=SC2034 # read by tcp_setup
TCP_MIDDLE=1
# shellcheck disable=SC2034
TCP_CONF_EXTRA="[routes]
route = 198.18.5.0/24 via $R_ADDR"
tcp_setup

# The middle box becomes a router: the Cavalry side's link and the narrow one.
in_ns peer ip addr add "$R_ADDR/24" dev eth0
in_ns peer ip addr add "$R_FAR/24" dev eth1
in_ns peer ip link set eth1 mtu "$NARROW"
in_ns peer sysctl -qw net.ipv4.ip_forward=1
in_ns far ip addr flush dev eth0
in_ns far ip link set eth0 mtu "$NARROW"
in_ns far ip addr add "$F/24" dev eth0
# advmss: the far end offers MSS 1460 whatever its own link, so only the
# path (not the handshake) can tell the sender about the narrow link.
in_ns far ip route add 198.18.0.0/24 via "$R_FAR" advmss 1460
wait_until 10 in_ns far ping -c 1 -W 1 "$C" || fail "no route between the Cavalry side and far"

# mss_of PORT: the sending MSS of the Cavalry side's connection to far:PORT.
mss_of() {
	local out
	if [ "$KERNEL_PEERS" = 1 ]; then
		out=$(in_ns cav ss -tni "dport = :$1")
	else
		out=$(cavctl ss -ti)
	fi
	awk -v p="$F:$1" 'found { if (match($0, / mss:[0-9]+/)) { print substr($0, RSTART + 5, RLENGTH - 5); exit } }
		index($0, p) { found = 1 }' <<<"$out"
}
mss_below() { local m; m=$(mss_of "$1"); [ -n "$m" ] && [ "$m" -le $((NARROW - 40)) ]; }
# recv_far PORT NAME [SECONDS]: a checksumming receiver on far, bounded by
# SECONDS (default T); its PID in RPID.
recv_far() {
	(linux_run "${3:-$T}" tcp_tool recv "$1" -w 2>"$T_DIR/$2.err" | sha256sum >"$T_DIR/$2.sum") &
	RPID=$!
	T_PIDS+=("$RPID")
	wait_until 10 listening far "$1" || fail "$2: receiver did not start"
}
# forge NS IFACE PORT MTU OFFSET...: in namespace NS, watch the data
# segments from the Cavalry side to far:PORT on IFACE and after SKIP (env,
# default 0) of them send the Cavalry side one ICMP frag-needed announcing
# MTU per OFFSET, quoting the last segment's sequence number + OFFSET
# (2^31: certainly not in flight; 0 behind a bottleneck: in flight).
forge() {
	local n=$1
	shift
	in_ns "$n" timeout 10 python3 - "${SKIP:-0}" "$C" "$F" "$@" <<'PY'
import socket, struct, sys
skip, cav, far, ifname = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
port, mtu, offs = int(sys.argv[5]), int(sys.argv[6]), [int(a, 0) for a in sys.argv[7:]]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((ifname, 0))
print("ready", flush=True)
while True:
    ip = s.recv(2048)[14:]
    if ip[9] != 6 or ip[12:16] != socket.inet_aton(cav):
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport, seq = struct.unpack("!HHI", ip[ihl:ihl + 8])
    tot = struct.unpack("!H", ip[2:4])[0]
    if dport == port and tot > ihl + ((ip[ihl + 12] >> 4) * 4):
        if skip == 0:
            break
        skip -= 1
def csum(b):
    if len(b) % 2:
        b += b"\0"
    x = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    x = (x & 0xffff) + (x >> 16)
    x = (x & 0xffff) + (x >> 16)
    return ~x & 0xffff
# The socket may hold a backlog: the freshest segment is the last queued.
s.setblocking(False)
while True:
    try:
        f = s.recv(2048)[14:]
    except BlockingIOError:
        break
    if f[9] == 6 and f[12:16] == socket.inet_aton(cav):
        h = (f[0] & 15) * 4
        sp, dp, sq = struct.unpack("!HHI", f[h:h + 8])
        if dp == port:
            ip, seq = f, sq
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for off in offs:
    q = (seq + off) & 0xffffffff
    icmp = bytearray(struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + ip[:ihl] + struct.pack("!HHI", sport, dport, q))
    icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
    r.sendto(bytes(icmp), (cav, 0))
print(f"forged {len(offs)} frag-needed mtu {mtu} for {cav}:{sport} -> {far}:{dport},"
      f" quoting seq {seq} + {', '.join(hex(o) for o in offs)}")
PY
}
bg ip netns exec "$(ns peer)" tcpdump -i eth0 -n -s 128 -U -w "$T_DIR/p.pcap" \
	"icmp or tcp" >"$T_DIR/p.log" 2>&1
CAP=${T_PIDS[-1]}
wait_until 10 grep -q "listening on" "$T_DIR/p.log" || fail "tcpdump: $(cat "$T_DIR/p.log")"

# ---- (a) PMTUD: two transfers at once through the narrow link ----
# Two connections, so two owners (sockets go to the workers in turn): the
# router's frag-needed messages all arrive on one queue (one address
# pair), so one connection's reach it through the owner's handoff ring.
SIZE=$((2 << 20))
need_counter up0 pmtu_updates
need_counter ok0 tcp_err_pmtu
recv_far 6501 a1
R1=$RPID
recv_far 6504 a2
R2=$RPID
cav_spawn "$T" tcp_tool send "$F" 6501 "$SIZE" -s 7 >"$T_DIR/a1.out" 2>&1
S1=$SPAWN_PID
cav_run "$T" tcp_tool send "$F" 6504 "$SIZE" -s 9 >"$T_DIR/a2.out" 2>&1 ||
	fail "(a) sender 2: $(cat "$T_DIR/a2.out")"
wait "$S1" || fail "(a) sender 1: $(cat "$T_DIR/a1.out")"
wait "$R1" || fail "(a) receiver 1: $(cat "$T_DIR/a1.err")"
wait "$R2" || fail "(a) receiver 2: $(cat "$T_DIR/a2.err")"
assert_eq "$(expect_sum "$SIZE" 7)" "$(cut -d' ' -f1 "$T_DIR/a1.sum")" "(a) SHA-256 (1)"
assert_eq "$(expect_sum "$SIZE" 9)" "$(cut -d' ' -f1 "$T_DIR/a2.sum")" "(a) SHA-256 (2)"
need_counter up1 pmtu_updates
need_counter ok1 tcp_err_pmtu
need_counter handed tcp_err_owner
log "(a) 2 x $SIZE bytes intact through MTU $NARROW ($(key "$T_DIR/a1.out" mbit_per_s)," \
	"$(key "$T_DIR/a2.out" mbit_per_s) Mbit/s); frag-needed taken $((ok1 - ok0))" \
	"($handed via the owner's handoff ring), pmtu_updates +$((up1 - up0))"
if [ "$KERNEL_PEERS" != 1 ]; then
	[ $((ok1 - ok0)) -gt 0 ] || fail "(a) no frag-needed reached tcp_err_pmtu"
	[ $((up1 - up0)) -ge 2 ] || fail "(a) pmtu_updates +$((up1 - up0)), expected one per connection"
	[ "${TCP_WORKERS:-2}" -lt 2 ] || [ "$handed" -gt 0 ] ||
		fail "(a) no frag-needed went through the handoff to its connection's owner"
fi

# ---- (b) a forged frag-needed quoting a sequence not in flight ----
bg ip netns exec "$(ns far)" timeout "$T" "$EX/tcp_tool_kernel" rr-server 6502 >"$T_DIR/rr.log" 2>&1
wait_until 10 listening far 6502 || fail "(b) rr-server did not start"
cav_spawn 20 tcp_tool rr-client "$F" 6502 4000 6 >"$T_DIR/b.out" 2>&1
RR=$SPAWN_PID
# Its MSS has come down through the router's frag-needed (as in (a)).
wait_until 10 mss_below 6502 || fail "(b) the request/response connection's MSS is $(mss_of 6502)"
mss0=$(mss_of 6502)
need_counter rej0 pmtu_rejected
need_counter oow0 tcp_err_out_of_window
forge far eth0 6502 600 0x80000000 >"$T_DIR/forge.log" 2>&1 || fail "(b) forging: $(cat "$T_DIR/forge.log")"
log "(b) $(tail -n 1 "$T_DIR/forge.log")"
wait_until 5 test "$(tcp_counter tcp_err_out_of_window)" -gt "$oow0" ||
	fail "(b) the forged frag-needed was not rejected (drop_tcp_err_out_of_window $(tcp_counter tcp_err_out_of_window))"
need_counter rej1 pmtu_rejected
mss1=$(mss_of 6502)
log "(b) pmtu_rejected +$((rej1 - rej0)); MSS $mss0 before, $mss1 after"
assert_eq "$mss0" "$mss1" "(b) MSS after a forged frag-needed"
[ "$KERNEL_PEERS" = 1 ] || [ $((rej1 - rej0)) -gt 0 ] || fail "(b) pmtu_rejected did not grow"
wait "$RR" || fail "(b) rr-client: $(cat "$T_DIR/b.out")"

# ---- (d) other errors: host unreachable fails a connect at once ----
# Linux's tcp_v4_err: before the connection exists an ICMP error is hard
# (connect() fails with its errno); afterwards it is soft. The router
# answers a SYN for an absent host with host unreachable once ARP gives up
# (one probe, 200 ms here), long before the SYN retries would end.
in_ns peer sysctl -qw net.ipv4.neigh.eth1.mcast_solicit=1
in_ns peer sysctl -qw net.ipv4.neigh.eth1.retrans_time_ms=200
t0=$(date +%s%N)
out=$(cav_run 20 tcp_tool connect 198.18.5.99 6505 2>&1 | tr "\n" " ") || true
ms=$((($(date +%s%N) - t0) / 1000000))
log "(d) connect to an absent host behind the router: $out ($ms ms)"
assert_contains "$out" EHOSTUNREACH "(d) connect to an absent host"
[ "$ms" -lt 10000 ] || fail "(d) connect took $ms ms: the ICMP was not taken as a hard error"

# ---- (e) an MTU below the floor: 552 and no DF ----
# A router announcing 400 (sent from the router, quoting a segment queued
# in it): the MSS goes to the floor's (552 - 40 - options) and, as
# Linux locks such a route's MTU and clears DF, the segments that follow
# leave without DF for the path to fragment.
# A 20 Mbit/s bottleneck at the router (tbf): the segments the forger
# sees queue there, unacknowledged, long after its ICMP has arrived.
in_ns peer tc qdisc add dev eth1 root tbf rate 20mbit burst 16kb latency 500ms
need_counter up0 pmtu_updates
oow0=$(tcp_counter tcp_err_out_of_window)
recv_far 6506 e
SKIP=40 forge peer eth0 6506 400 0 4096 >"$T_DIR/forge-e.log" 2>&1 &
FG=$!
T_PIDS+=("$FG")
wait_until 10 grep -q ready "$T_DIR/forge-e.log" || fail "(e) forger did not start: $(cat "$T_DIR/forge-e.log")"
cav_run "$T" tcp_tool send "$F" 6506 "$SIZE" -s 10 >"$T_DIR/e.out" 2>&1 || fail "(e) sender: $(cat "$T_DIR/e.out")"
wait "$FG" || fail "(e) forging: $(cat "$T_DIR/forge-e.log")"
wait "$RPID" || fail "(e) receiver: $(cat "$T_DIR/e.err")"
assert_eq "$(expect_sum "$SIZE" 10)" "$(cut -d' ' -f1 "$T_DIR/e.sum")" "(e) SHA-256"
in_ns peer tc qdisc del dev eth1 root
need_counter up1 pmtu_updates
log "(e) $(tail -n 1 "$T_DIR/forge-e.log"); pmtu_updates +$((up1 - up0))," \
	"out of window +$(($(tcp_counter tcp_err_out_of_window) - oow0)), intact"
[ "$KERNEL_PEERS" = 1 ] || [ $((up1 - up0)) -ge 2 ] || fail "(e) pmtu_updates +$((up1 - up0)): the MTU 400 was not taken"

# ---- (c) the same transfer with the router's ICMPs suppressed ----
# ICMP the router generates is routed into a blackhole (a policy rule on
# the protocol; forwarded TCP is not ICMP): it still drops what does not
# fit, silently. (icmp_ratelimit would not do: Linux never rate-limits
# frag-needed.)
in_ns peer ip rule add ipproto icmp priority 100 blackhole
# Linux remembers a path MTU per destination (its route exceptions, 10
# minutes); Cavalry per connection only. Forget it, for the same start.
[ "$KERNEL_PEERS" != 1 ] || in_ns cav ip route flush cache
recv_far 6503 c 8
rc=0
cav_run 6 tcp_tool send "$F" 6503 "$SIZE" -s 8 >"$T_DIR/c.out" 2>&1 || rc=$?
got=$(in_ns far ss -Htni "sport = :6503" | grep -o 'bytes_received:[0-9]*' | cut -d: -f2 || true)
log "(c) without frag-needed: sender status $rc (124: timed out), far received ${got:-0} bytes"
[ "$rc" -ne 0 ] || fail "(c) the transfer completed without PMTUD: the test shows nothing"
[ "${got:-0}" -lt $((SIZE / 2)) ] || fail "(c) $got bytes crossed without PMTUD"
wait "$RPID" || true # its bound ends it

# ---- (f) IP_MTU_DISCOVER = IP_PMTUDISC_DONT on the same black-holed path ----
# Without DF the router fragments what does not fit: the transfer that (c)
# could not make crosses whole, with no frag-needed needed (Linux: DONT
# clears DF and ignores the path MTU, ip_dont_fragment).
recv_far 6507 f
cav_run "$T" tcp_tool --pmtudisc dont send "$F" 6507 "$SIZE" -s 11 >"$T_DIR/f.out" 2>&1 ||
	fail "(f) sender with IP_PMTUDISC_DONT: $(cat "$T_DIR/f.out")"
wait "$RPID" || fail "(f) receiver: $(cat "$T_DIR/f.err")"
assert_eq "$(expect_sum "$SIZE" 11)" "$(cut -d' ' -f1 "$T_DIR/f.sum")" "(f) SHA-256"
log "(f) IP_PMTUDISC_DONT: $SIZE bytes intact through the black hole (fragmented by the router)"
kill -INT "$CAP" 2>/dev/null || true
wait "$CAP" 2>/dev/null || true
n=$(tcpdump -r "$T_DIR/p.pcap" -n "icmp[0] == 3 and icmp[1] == 4 and dst $C" 2>/dev/null | wc -l)
big=$(tcpdump -r "$T_DIR/p.pcap" -n "src $C and ip[2:2] > $NARROW" 2>/dev/null | wc -l)
nodf=$(tcpdump -r "$T_DIR/p.pcap" -n "src $C and tcp port 6506 and ip[6] & 0x40 == 0 and ip[2:2] <= 552" 2>/dev/null | wc -l)
df=$(tcpdump -r "$T_DIR/p.pcap" -n "src $C and not tcp port 6506 and not tcp port 6507 and ip[6] & 0x40 == 0" 2>/dev/null | wc -l)
dont=$(tcpdump -r "$T_DIR/p.pcap" -n "src $C and tcp dst port 6507 and ip[6] & 0x40 != 0" 2>/dev/null | wc -l)
log "capture: $n frag-needed to the Cavalry side (3 forged), $big packets over $NARROW bytes from it;" \
	"(e) $nodf segments of at most 552 bytes without DF, $df without DF elsewhere"
[ "$n" -ge 3 ] || fail "the capture has $n frag-needed messages"
[ "$nodf" -gt 0 ] || fail "(e) no segment left without DF after an MTU below the floor"
assert_eq 0 "$df" "segments without DF on the other connections"
assert_eq 0 "$dont" "(f) segments with DF from the IP_PMTUDISC_DONT socket"

tcp_finish
