#!/usr/bin/env python3
"""Send one UDP datagram on a connected socket and say what came back.

    udp_probe.py HOST PORT [--bind ADDR:PORT] [--wait S] [--time]

Prints one word: "answered" (a datagram came back), "refused" (the next
receive failed with ECONNREFUSED: an ICMP port unreachable, or an ICMP
error translated into one, reached the socket) or "timeout" (nothing
within --wait seconds, default 2). --time appends the milliseconds from
the send to the verdict. Linux reports an ICMP error on a connected UDP
socket this way, so the tests compare against the kernel's own view.
"""
import argparse
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--bind")
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--time", action="store_true")
    o = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if o.bind:
        addr, port = o.bind.rsplit(":", 1)
        s.bind((addr, int(port)))
    s.connect((o.host, o.port))
    s.settimeout(o.wait)
    t0 = time.monotonic()
    s.send(b"x")
    try:
        s.recv(100)
        verdict = "answered"
    except ConnectionRefusedError:
        verdict = "refused"
    except socket.timeout:
        verdict = "timeout"
    if o.time:
        verdict += " %.0f ms" % ((time.monotonic() - t0) * 1000)
    print(verdict)


if __name__ == "__main__":
    main()
