#!/usr/bin/env bash
# The control socket: it gets the configured mode and group; a user outside
# that group is refused by the file mode (connect fails with EACCES, cavctl
# exits non-zero and says so) while a member of the group gets in; root gets
# JSON that parses for every read-only command; an unknown command exits 1
# with the daemon's message; garbage written straight to the socket gets an
# error reply and does not hurt the daemon; a second cavalryd on the same
# socket refuses to start and the first keeps running.
. "$(dirname "$0")/lib.sh"

command -v runuser >/dev/null || skip "runuser (util-linux) not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
# The socket's group: an existing system group that 'nobody' is not in.
GROUP=daemon
GID=$(getent group "$GROUP" | cut -d: -f3) || skip "no group '$GROUP'"
id -G nobody | tr ' ' '\n' | grep -qx "$GID" && skip "'nobody' is in group '$GROUP'"

# The socket lives in the test directory: let other users traverse it (but
# not list it), so that the socket's own mode is what decides. cavctl is
# copied there so 'nobody' can run it whatever the permissions of the tree.
chmod 0711 "$T_DIR"
install -m 0755 "$CAVCTL_BIN" "$T_DIR/cavctl"

# A port that receives nothing (net_null with no-rx): no namespace needed.
cav_conf "$T_DIR/c.conf" "workers = 2" "control_mode = 0660" "control_group = $GROUP" <<CONF
[port p0]
device = net_null0,no-rx=1
address = 198.18.0.1/24
CONF
cav_start "$T_DIR/c.conf"

# Mode and group as configured.
[ -S "$CAV_SOCK" ] || fail "$CAV_SOCK is not a socket"
assert_eq "660 $GROUP" "$(stat -c '%a %G' "$CAV_SOCK")" "control socket mode and group"

# 'nobody' (not in the group) is refused by the file mode: connect() fails
# with EACCES before the daemon sees anything.
out=$(runuser -u nobody -- "$T_DIR/cavctl" -s "$CAV_SOCK" status 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 0 ] || fail "nobody ran 'cavctl status': $out"
assert_contains "$out" "cavctl: $CAV_SOCK: Permission denied" "refusal message for nobody"
log "nobody: exit $rc: $out"
# The same uid with the socket's group as its group is let in (the file
# mode allows it, and the daemon's SO_PEERCRED check agrees).
out=$(setpriv --reuid=nobody --regid="$GID" --clear-groups -- \
	"$T_DIR/cavctl" -s "$CAV_SOCK" status 2>&1) || fail "group member refused: $out"
assert_contains "$out" "p0: <" "status for a member of group $GROUP"
log "nobody with group $GROUP: allowed"

# Root: JSON that parses for every read-only command.
for cmd in "status" "link" "stats" "addr show" "route show" "neigh show"; do
	# shellcheck disable=SC2086 # the command is several words on purpose
	out=$(cavctl -j $cmd) || fail "cavctl -j $cmd: exit $?"
	python3 -m json.tool <<<"$out" >/dev/null || fail "cavctl -j $cmd: not JSON: $out"
done
cavctl -j addr show | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert {"dev": "p0", "local": "198.18.0.1", "prefixlen": 24} in a, a' ||
	fail "addr show -j does not list 198.18.0.1/24 on p0"
cavctl -j route show | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert any(x["dst"] == "198.18.0.0/24" and x["type"] == "connected" for x in r), r' ||
	fail "route show -j has no connected route for 198.18.0.0/24"
log "JSON parses for: status, link, stats, addr show, route show, neigh show"

# An unknown command: exit 1 and the daemon's message on stderr.
out=$(cavctl frobnicate 2>&1) && rc=0 || rc=$?
assert_eq 1 "$rc" "exit status of an unknown command"
assert_contains "$out" "unknown command 'frobnicate'" "unknown command message"
log "unknown command: exit $rc: $out"

# Garbage straight to the socket. Each request gets a reply whose first line
# is an errno value (or nothing, when the client went away first).
python3 - "$CAV_SOCK" <<'PY' || fail "garbage requests: unexpected replies"
import os, random, socket, sys, time

path = sys.argv[1]
seed = int(time.time())
print(f"  garbage seed {seed}")
rnd = random.Random(seed)

def call(payload, shut=True, close_early=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    try:
        if payload:
            s.sendall(payload)
        if close_early:
            s.close()
            return None
        if shut:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the daemon stopped reading (request too large)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except ConnectionResetError:
        pass
    s.close()
    return data

def status(data):
    head, _, body = data.partition(b"\n")
    return int(head), body.decode(errors="replace").strip()

ok = True
cases = [
    ("empty request", b""),
    ("no header", b"hello\n"),
    ("header without newline", b"CAV1 0 1"),
    ("bad version", b"CAV9 0 1\nstatus\0"),
    ("bad json flag", b"CAV1 7 1\nstatus\0"),
    ("zero arguments", b"CAV1 0 0\n"),
    ("negative argc", b"CAV1 0 -1\nstatus\0"),
    ("too many arguments", b"CAV1 0 99999\n" + b"x\0" * 10),
    ("missing argument", b"CAV1 0 2\nstatus\0"),
    ("unterminated argument", b"CAV1 0 1\nstatus"),
    ("trailing bytes", b"CAV1 0 1\nstatus\0junk"),
    ("binary", bytes(rnd.randrange(256) for _ in range(4096))),
    ("random header", b"CAV1 " + bytes(rnd.randrange(256) for _ in range(64))),
    ("too large", b"CAV1 0 1\n" + b"A" * 70000 + b"\0"),
]
for name, payload in cases:
    data = call(payload)
    if not data:
        print(f"  {name}: no reply")
        ok = False
        continue
    st, body = status(data)
    print(f"  {name}: status {st}: {body}")
    ok &= st != 0
# A client that sends half a request and then waits: the daemon gives up
# after its 1 s receive timeout and says so.
data = call(b"CAV1 0 1\nsta", shut=False)
st, body = status(data)
print(f"  stalled client: status {st}: {body}")
ok &= st != 0
# A client that goes away before the reply.
call(b"CAV1 0 1\nstatus\0", close_early=True)
# A well-formed request still works on the same framing.
st, body = status(call(b"CAV1 1 1\nstatus\0"))
ok &= st == 0 and body.startswith("{")
print(f"  valid request: status {st}")
sys.exit(0 if ok else 1)
PY
kill -0 "$CAV_PID" 2>/dev/null || fail "cavalryd died after garbage requests"
cavctl status >/dev/null || fail "cavalryd does not answer 'status' after garbage requests"
log "after garbage: daemon alive and answering"

# A second daemon on the same control socket refuses to start, leaves the
# socket alone, and the first keeps serving.
out=$(timeout 30 "$CAVALRYD" -c "$T_DIR/c.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 124 ] || fail "second cavalryd hung"
[ "$rc" -ne 0 ] || fail "second cavalryd on the same socket exited 0"
assert_contains "$out" "control socket $CAV_SOCK is in use by another daemon" \
	"second daemon's message"
log "second daemon: exit $rc: $(grep 'in use' <<<"$out")"
kill -0 "$CAV_PID" 2>/dev/null || fail "the first cavalryd died"
[ -S "$CAV_SOCK" ] || fail "the second daemon removed the first one's socket"
st=$(cavctl -j status) || fail "the first cavalryd stopped answering"
first_pid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' <<<"$st")
assert_eq "$CAV_PID" "$first_pid" "pid answering on the socket"
# Only the first daemon's EAL runtime directory remains.
prefix=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["file_prefix"])' <<<"$st")
dirs=$(for d in /var/run/dpdk/cavt-"$T_NAME"-*; do [ ! -e "$d" ] || printf '%s ' "${d##*/}"; done)
assert_eq "$prefix " "$dirs" "EAL runtime directories"

cav_stop
assert_eq 0 "$CAV_EXIT" "exit status after SIGTERM"
[ ! -e "$CAV_SOCK" ] || fail "control socket left behind"
echo "PASS: $T_NAME"
