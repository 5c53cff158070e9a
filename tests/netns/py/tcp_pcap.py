#!/usr/bin/env python3
"""What a TCP capture says about the options a stack used.

    tcp_pcap.py FILE SRC_ADDR [--port PORT]

Reads a pcap (Ethernet, IPv4; tcpdump -w, any snap length >= the headers)
with the standard library only, so that tens of thousands of frames take a
second rather than scapy's minute, and prints "key: value" lines about the
segments SRC_ADDR sent (on TCP port PORT at either end, if given):

  syn_wscale         the window-scale shift on its SYN or SYN-ACK (-1: none)
  peer_syn_wscale    the same on the other end's SYN or SYN-ACK
  syn_sackok         1 if its SYN carried SACK-permitted
  syn_ts             1 if its SYN carried a timestamp
  max_win_raw        the largest window field it sent after the handshake
  max_win_scaled     the same shifted by syn_wscale (RFC 7323 §2.3: never
                     on a SYN)
  sack_segs          segments carrying a SACK option (as a data receiver)
  sack_blocks        SACK blocks in them
  data_segs          data segments sent
  rexmit_segs        data segments whose first byte was sent before
  rexmit_sacked      retransmitted segments entirely inside data the other
                     end had SACKed before the retransmission left (a SACK
                     sender never needs these: only holes go again)
  rexmit_sacked_bytes
  rexmit_bytes
"""
import argparse
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            end = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            end = ">"
        else:
            sys.exit(f"{path}: not a pcap file")
        linktype = struct.unpack(end + "I", hdr[20:24])[0]
        if linktype != 1:
            sys.exit(f"{path}: link type {linktype}, not Ethernet")
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            incl = struct.unpack(end + "I", rh[8:12])[0]
            data = f.read(incl)
            if len(data) < incl:
                return
            yield data


def ip4(b):
    return ".".join(str(x) for x in b)


def parse(frame):
    """(src, dst, sport, dport, seq, ack, flags, win, payload_len, opts) or None."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0xF) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:]
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
    doff = (off >> 4) * 4
    opts = tcp[20:doff]
    plen = tot - ihl - doff
    return ip4(ip[12:16]), ip4(ip[16:20]), sport, dport, seq, ack, flags, win, plen, opts


def options(opts):
    """dict: mss, wscale, sackok, ts, sack (list of (left, right))."""
    o = {}
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts):
            break
        ln = opts[i + 1]
        if ln < 2 or i + ln > len(opts):
            break
        val = opts[i + 2:i + ln]
        if kind == 2 and ln == 4:
            o["mss"] = struct.unpack("!H", val)[0]
        elif kind == 3 and ln == 3:
            o["wscale"] = val[0]
        elif kind == 4:
            o["sackok"] = 1
        elif kind == 5:
            o["sack"] = [struct.unpack("!II", val[j:j + 8]) for j in range(0, len(val) - 7, 8)]
        elif kind == 8 and ln == 10:
            o["ts"] = struct.unpack("!II", val)
        i += ln
    return o


def before(a, b):
    return ((a - b) & 0xFFFFFFFF) > 0x7FFFFFFF


class Ranges:
    """Disjoint [left, right) sequence ranges relative to a base (no wrap
    within one capture of a short test: offsets from the ISN)."""

    def __init__(self):
        self.r = []

    def add(self, a, b):
        out = []
        for x, y in self.r:
            if y < a or x > b:
                out.append((x, y))
            else:
                a, b = min(a, x), max(b, y)
        out.append((a, b))
        self.r = sorted(out)

    def trim_below(self, a):
        self.r = [(max(x, a), y) for x, y in self.r if y > a]

    def covers(self, a, b):
        return any(x <= a and b <= y for x, y in self.r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("src")
    ap.add_argument("--port", type=int)
    o = ap.parse_args()
    r = dict(syn_wscale=-1, peer_syn_wscale=-1, syn_sackok=0, syn_ts=0, max_win_raw=0,
             max_win_scaled=0, sack_segs=0, sack_blocks=0, data_segs=0, rexmit_segs=0,
             rexmit_bytes=0, rexmit_sacked=0, rexmit_sacked_bytes=0)
    isn = None        # our ISN (data offsets are relative to it)
    sent_max = 0      # highest offset sent + 1
    sacked = Ranges()  # what the other end SACKed, above its cumulative ACK
    for fr in frames(o.file):
        p = parse(fr)
        if p is None:
            continue
        src, dst, sport, dport, seq, ack, flags, win, plen, opts = p
        if o.port is not None and o.port not in (sport, dport):
            continue
        syn = flags & 0x02
        mine = src == o.src
        if not mine and dst != o.src:
            continue
        op = options(opts)
        if syn:
            if mine:
                r["syn_wscale"] = op.get("wscale", -1)
                r["syn_sackok"] = op.get("sackok", 0)
                r["syn_ts"] = 1 if "ts" in op else 0
                isn = seq
            else:
                r["peer_syn_wscale"] = op.get("wscale", -1)
            continue
        if not mine:
            # The other end's ACK and SACK blocks about our data.
            if isn is not None and flags & 0x10:
                una = (ack - isn - 1) & 0xFFFFFFFF
                sacked.trim_below(una)
                for left, right in op.get("sack", []):
                    a = (left - isn - 1) & 0xFFFFFFFF
                    b = (right - isn - 1) & 0xFFFFFFFF
                    if a >= una and b > a:  # not a D-SACK below the ACK
                        sacked.add(a, b)
            continue
        if r["syn_wscale"] >= 0 and r["peer_syn_wscale"] >= 0:
            shift = r["syn_wscale"]
        else:
            shift = 0
        r["max_win_raw"] = max(r["max_win_raw"], win)
        r["max_win_scaled"] = max(r["max_win_scaled"], win << shift)
        if "sack" in op:
            r["sack_segs"] += 1
            r["sack_blocks"] += len(op["sack"])
        if plen > 0 and isn is not None:
            r["data_segs"] += 1
            a = (seq - isn - 1) & 0xFFFFFFFF
            b = a + plen
            if a < sent_max:
                r["rexmit_segs"] += 1
                r["rexmit_bytes"] += plen
                if sacked.covers(a, b):
                    r["rexmit_sacked"] += 1
                    r["rexmit_sacked_bytes"] += plen
            sent_max = max(sent_max, b)
    for k, v in r.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
