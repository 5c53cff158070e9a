#!/usr/bin/env python3
"""A tc-netem stand-in for kernels built without sch_netem.

    impair.py IF_A IF_B [--loss PCT] [--delay MS] [--reorder PCT]
              [--duplicate PCT] [--ce PCT] [--seed N] [--ready FILE]

Bridges two interfaces at layer 2 (AF_PACKET) and impairs every frame in
both directions the way `tc qdisc ... netem` does on each egress:

  loss PCT       drop the frame
  duplicate PCT  send it twice
  delay MS       hold it MS milliseconds
  reorder PCT    with a delay: PCT of the frames go at once, the others
                 wait (netem's reordering; needs --delay)
  ce PCT         an ECN-capable IPv4 packet (ECT(0)/ECT(1)) is marked CE
                 instead of passing unchanged (RFC 3168 §5: what an AQM
                 does instead of dropping; netem's `ecn` flag), the IPv4
                 header checksum updated (RFC 1624); others are untouched

Random draws come from a seeded generator (the seed is printed) so a run
can be repeated. Writes FILE once both sockets are bound; prints its
counters on SIGTERM/SIGINT and exits 0. Besides what it did to frames, the
counters say whether the relay kept up: rx_drops (frames the kernel had
to drop because the relay did not read them in time, PACKET_STATISTICS),
late_max_ms (the most a delayed frame left after its due time) and nobufs
(send errors that were ENOBUFS: the egress qdisc, e.g. a tbf rate limit,
was full -- congestion drops of the emulated bottleneck, not the relay's;
also counted in send_errors).
"""
import argparse
import errno
import heapq
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # our own transmissions, seen again by the tap
SOL_PACKET = 263
PACKET_STATISTICS = 6  # struct tpacket_stats {tp_packets, tp_drops}; reset on read


def ect(f):
    """An IPv4 frame whose ECN field is ECT(0) or ECT(1)."""
    return len(f) >= 34 and f[12:14] == b"\x08\x00" and f[15] & 3 in (1, 2)


def mark_ce(f):
    """Set CE (ECN 11) and patch the header checksum: RFC 1624 eqn. 3,
    HC' = ~(~HC + ~m + m') over the 16-bit word holding version/IHL/TOS."""
    b = bytearray(f)
    old = (b[14] << 8) | b[15]
    b[15] |= 3
    new = (b[14] << 8) | b[15]
    hc = (b[24] << 8) | b[25]
    x = (~hc & 0xFFFF) + (~old & 0xFFFF) + new
    x = (x & 0xFFFF) + (x >> 16)
    x = (x & 0xFFFF) + (x >> 16)
    hc = ~x & 0xFFFF
    b[24], b[25] = hc >> 8, hc & 0xFF
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--loss", type=float, default=0)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--reorder", type=float, default=0)
    ap.add_argument("--duplicate", type=float, default=0)
    ap.add_argument("--ce", type=float, default=0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ready")
    o = ap.parse_args()
    seed = o.seed if o.seed is not None else random.randrange(1 << 31)
    rng = random.Random(seed)
    print(f"impair: {o.a} <-> {o.b}: loss {o.loss}% duplicate {o.duplicate}% delay {o.delay} ms "
          f"reorder {o.reorder}% ce {o.ce}% seed {seed}", flush=True)

    socks = {}
    for name in (o.a, o.b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        s.bind((name, ETH_P_ALL))
        s.setblocking(False)
        socks[name] = s
    other = {socks[o.a]: socks[o.b], socks[o.b]: socks[o.a]}
    if o.ready:
        open(o.ready, "w").close()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    c = dict(frames=0, dropped=0, duplicated=0, delayed=0, reordered=0, ce_marked=0, send_errors=0,
             nobufs=0, rx_drops=0, late_max_ms=0.0)
    for s in socks.values():
        s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)  # zero: count from here on
    heap = []  # (due, seq, socket, frame)
    seq = 0
    delay = o.delay / 1000.0

    def send(s, f):
        try:
            s.send(f)
        except OSError as e:
            c["send_errors"] += 1
            if e.errno == errno.ENOBUFS:
                c["nobufs"] += 1

    while not stop:
        now = time.monotonic()
        while heap and heap[0][0] <= now:
            due, _, s, f = heapq.heappop(heap)
            c["late_max_ms"] = max(c["late_max_ms"], round((now - due) * 1000, 1))
            send(s, f)
        timeout = max(0.0, heap[0][0] - now) if heap else 0.5
        try:
            ready, _, _ = select.select(list(other), [], [], timeout)
        except InterruptedError:
            continue
        for s in ready:
            for _ in range(256):  # drain a batch, then let the heap run
                try:
                    f, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                c["frames"] += 1
                if rng.random() * 100 < o.loss:
                    c["dropped"] += 1
                    continue
                if o.ce > 0 and ect(f) and rng.random() * 100 < o.ce:
                    f = mark_ce(f)
                    c["ce_marked"] += 1
                copies = 1
                if rng.random() * 100 < o.duplicate:
                    c["duplicated"] += 1
                    copies = 2
                for _ in range(copies):
                    if delay > 0 and not (rng.random() * 100 < o.reorder):
                        c["delayed"] += 1
                        seq += 1
                        heapq.heappush(heap, (time.monotonic() + delay, seq, other[s], f))
                    else:
                        if delay > 0:
                            c["reordered"] += 1
                        send(other[s], f)
    for s in socks.values():
        c["rx_drops"] += struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]
    print("impair: " + ", ".join(f"{k} {v}" for k, v in c.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
