#!/usr/bin/env bash
# libcavsock's stream API against a running cavalryd and a Linux peer:
# errno values and poll bits as Linux gives them for the same situations —
# connect (blocking, non-blocking, refused), EISCONN, EPIPE and SIGPIPE,
# MSG_PEEK|MSG_WAITALL, EOF, a reset after data, EAGAIN on a full send
# buffer, accept order and accept4 flags (tests/unit/sock/tcp_api_check.c).
. "$(dirname "$0")/lib.sh"

tap_setup

# The Linux peer: 5001 echoes until EOF then closes; 5002 sends "bye" and
# resets (SO_LINGER 0); 5003 accepts and never reads; 5009 takes
# "connect PORT N" and opens N connections to 198.18.0.1:PORT one after the
# other, each sending its index, then answers "done".
cat >"$T_DIR/peer.py" <<'PY'
import array, fcntl, socket, struct, termios, threading, time

def serve(port, handler):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port))
    l.listen(16)
    def loop():
        while True:
            c, _ = l.accept()
            threading.Thread(target=handler, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()

held = []

def echo(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()

def reset(c):
    c.sendall(b"bye")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()

def hold(c):
    held.append(c)

def unacked(s):
    n = array.array("i", [0])
    fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, n, True)  # SIOCOUTQ
    return n[0]

def control(c):
    f = c.makefile("r")
    _, port, n = f.readline().split()
    for i in range(int(n)):
        s = socket.create_connection(("198.18.0.1", int(port)), timeout=10)
        s.sendall(str(i).encode())
        # An accept queue is in the order handshakes complete. connect()
        # returns at the SYN-ACK, and with two workers the last ACK of
        # one connection and the next connection's handshake may be
        # handled on different CPUs in either order. The index byte
        # acknowledged means this handshake completed at Cavalry: only
        # then the next connect (bounded wait).
        deadline = time.monotonic() + 5
        while unacked(s) and time.monotonic() < deadline:
            time.sleep(0.001)
        held.append(s)
    c.sendall(b"done\n")
    held.append(c)

serve(5001, echo)
serve(5002, reset)
serve(5003, hold)
serve(5009, control)
threading.Event().wait(300)
PY
bg ip netns exec "$(ns peer)" python3 "$T_DIR/peer.py"
listening() { in_ns peer ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening 5009 || fail "the Linux peer did not start"

rc=0
out=$("$CAV_ROOT/$CAV_BUILD/tests/unit/sock/tcp_api_check" 198.18.0.1 198.18.0.2 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/  /'
[ $rc -eq 0 ] || fail "tcp_api_check: $(grep FAIL <<<"$out" | head -5)"
cav_stop
assert_eq 0 "$CAV_EXIT" "exit status"
echo "PASS: $T_NAME"
