#!/usr/bin/python3
"""Blind-injection checks (RFC 5961, RFC 7323 PAWS) against a TCP echo server.

    inject.py IFACE SERVER PORT CASE...

Run in the namespace of the Linux end. For each CASE it opens a connection
(a kernel socket) to the echo server at SERVER:PORT, exchanges a message,
waits until the connection is quiet, learns the live sequence numbers and
timestamps from what it captured on IFACE, and injects one forged segment
on the connection's 4-tuple (as an off-path attacker who guessed them would,
or from the real peer's side of the wire):

  rst-inwin    RST, SEG.SEQ = RCV.NXT + 1000 (in the window, not exact)
               -> a challenge ACK (RFC 5961 §3.2); the connection survives
  syn-inwin    SYN, SEG.SEQ = RCV.NXT + 1000 -> challenge ACK (§4.2); survives
  data-oow     8 bytes at RCV.NXT + 2^30 (beyond any window) -> a duplicate
               ACK (RFC 9293), not delivered; survives
  data-oldack  8 bytes at RCV.NXT exactly, SEG.ACK = SND.UNA - 2^30 (older
               than any window the peer had) -> challenge ACK and dropped
               (RFC 5961 §5.2); survives
  paws         8 bytes at RCV.NXT, a valid ACK, TSval 65,536 older than the
               last one -> dropped by PAWS (RFC 7323 §5) with a duplicate
               ACK; survives
  rst-exact    RST, SEG.SEQ = RCV.NXT (the control) -> the connection is
               reset: the next data gets an RST, recv() ECONNRESET

"Survives" means that after the injection a 64 KiB message is echoed back
byte for byte (the injected bytes would break that if they had been
delivered). RCV.NXT/SND.UNA are the server's. Prints per case:

  CASE: ack=0|1 survived=0|1 reset=0|1 detail...

where ack says whether the server sent a bare ACK acknowledging exactly
RCV.NXT within 5 s of the injection (the connection is quiet otherwise:
such an ACK is the answer to the forged segment). Exits 0 after all cases;
the test judges the lines.
"""
import os
import socket
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, Raw, conf, sendp

conf.verb = 0
EVIL = b"INJECTED"


def ts_of(p):
    for k, v in p[TCP].options:
        if k == "Timestamp":
            return v
    return None


def recv_exact(s, n, deadline):
    buf = bytearray()
    while len(buf) < n:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            b = s.recv(n - len(buf))
        except socket.timeout:
            break
        if not b:
            break
        buf += b
    return bytes(buf)


def echo_ok(s, payload, secs=10):
    s.sendall(payload)
    return recv_exact(s, len(payload), time.monotonic() + secs) == payload


def run(iface, server, port, case):
    pkts = []
    up = threading.Event()
    sn = AsyncSniffer(iface=iface, filter=f"tcp and host {server} and port {port}",
                      prn=lambda p: pkts.append((time.monotonic(), p)), store=False,
                      started_callback=up.set)
    sn.start()
    if not up.wait(10):
        return f"{case}: ack=0 survived=0 reset=0 detail=sniffer-did-not-start"
    s = socket.create_connection((server, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    me, lport = s.getsockname()
    if not echo_ok(s, b"hello, before"):
        sn.stop()
        return f"{case}: ack=0 survived=0 reset=0 detail=no-echo-before"
    # Quiet: nothing captured on the connection for 300 ms (at most 5 s).
    t_end = time.monotonic() + 5
    while time.monotonic() < t_end:
        if pkts and time.monotonic() - pkts[-1][0] > 0.3:
            break
        time.sleep(0.05)
    mine = [p for _, p in pkts if p[IP].src == me and p[TCP].sport == lport]
    theirs = [p for _, p in pkts if p[IP].src == server and p[TCP].dport == lport]
    if not mine or not theirs:
        sn.stop()
        return f"{case}: ack=0 survived=0 reset=0 detail=nothing-captured"

    def end_seq(p):
        t = p[TCP]
        return (t.seq + len(t.payload) + (1 if t.flags & 0x03 else 0)) & 0xFFFFFFFF

    def highest(ps):
        # The furthest end in sequence space (a retransmission may come last).
        base = ps[0][TCP].seq
        return max((end_seq(p) for p in ps), key=lambda e: (e - base) & 0xFFFFFFFF)

    rcv_nxt = highest(mine)            # the server's RCV.NXT: our SND.NXT
    snd_nxt = highest(theirs)          # the server's SND.NXT (all acked: quiet)
    my_ts = ts_of(mine[-1])
    their_ts = ts_of(theirs[-1])
    eth = Ether(src=theirs[-1][Ether].dst, dst=theirs[-1][Ether].src)
    ip = IP(src=me, dst=server)

    def tcp(**kw):
        return TCP(sport=lport, dport=port, window=502, **kw)

    def ts_opt(val):
        if my_ts is None:
            return []
        return [("NOP", None), ("NOP", None), ("Timestamp", (val & 0xFFFFFFFF, their_ts[0]))]

    if case == "rst-inwin":
        f = eth / ip / tcp(seq=(rcv_nxt + 1000) & 0xFFFFFFFF, flags="R")
    elif case == "rst-exact":
        f = eth / ip / tcp(seq=rcv_nxt, flags="R")
    elif case == "syn-inwin":
        f = eth / ip / tcp(seq=(rcv_nxt + 1000) & 0xFFFFFFFF, flags="S", options=[("MSS", 1460)])
    elif case == "data-oow":
        f = eth / ip / tcp(seq=(rcv_nxt + (1 << 30)) & 0xFFFFFFFF, ack=snd_nxt, flags="PA",
                           options=ts_opt(my_ts[0] if my_ts else 0)) / Raw(EVIL)
    elif case == "data-oldack":
        f = eth / ip / tcp(seq=rcv_nxt, ack=(snd_nxt - (1 << 30)) & 0xFFFFFFFF, flags="PA",
                           options=ts_opt(my_ts[0] if my_ts else 0)) / Raw(EVIL)
    elif case == "paws":
        if my_ts is None:
            sn.stop()
            return f"{case}: ack=0 survived=0 reset=0 detail=no-timestamps"
        f = eth / ip / tcp(seq=rcv_nxt, ack=snd_nxt, flags="PA",
                           options=ts_opt(my_ts[0] - 65536)) / Raw(EVIL)
    else:
        sys.exit(f"unknown case {case}")
    n0 = len(pkts)
    t_inj = time.monotonic()
    sendp(f, iface=iface)

    def answered():
        for t, p in pkts[n0:]:
            if t < t_inj or p[IP].src != server or p[TCP].dport != lport:
                continue
            tp = p[TCP]
            if tp.flags == "A" and len(tp.payload) == 0 and tp.ack == rcv_nxt:
                return True
        return False

    # 5 s: on a loaded machine the answer (or the sniffer thread) can be
    # late; a wait that ends as soon as the ACK is seen.
    t_end = t_inj + 5
    while time.monotonic() < t_end and not answered():
        time.sleep(0.02)
    ack = 1 if answered() else 0
    survived = reset = 0
    seen = [f"{p[TCP].flags}:{p[TCP].seq}:{p[TCP].ack}:{len(p[TCP].payload)}"
            for t, p in pkts[n0:] if p[IP].src == server]
    detail = f"rcv_nxt={rcv_nxt} snd_nxt={snd_nxt} ts={my_ts} server_sent_after={seen[:6]}"
    try:
        if case == "rst-exact":
            # The server forgot the connection: our data gets an RST.
            s.sendall(b"are you there")
            got = recv_exact(s, 13, time.monotonic() + 5)
            survived = 1 if got == b"are you there" else 0
        else:
            survived = 1 if echo_ok(s, os.urandom(64 << 10)) else 0
    except (ConnectionResetError, BrokenPipeError):
        reset = 1
    s.close()
    sn.stop()
    return f"{case}: ack={ack} survived={survived} reset={reset} {detail}"


def main():
    iface, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for case in sys.argv[4:]:
        print(run(iface, server, port, case), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
