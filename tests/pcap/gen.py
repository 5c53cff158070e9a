#!/usr/bin/python3
"""Inputs of the pcap golden tests (tests/pcap/cases/NAME/in.pcap).

    tests/pcap/gen.py                  write every case's in.pcap
    tests/pcap/gen.py --show [CASE..]  print in.pcap and expected.pcap frame by frame
    tests/pcap/gen.py --regen-expected [CASE..]
                                       write in.pcap, then run cavalryd on it
                                       (tests/netns/test_pcap_golden.sh
                                       --regen-expected, needs root) and keep
                                       its output as expected.pcap: check the
                                       new frames by eye (--show) before
                                       committing them

Each case directory holds in.pcap (from here), `config` (the rest of the
[port p0] section, and any further sections, after the runner's `device =
net_pcap0,rx_pcap=in.pcap,tx_pcap=OUT`), `expected.pcap` (what cavalryd must
send: a multiset of frames, see the runner) and optionally `drops` (lines
"REASON COUNT": the drop counters the case must leave, all others zero).

The output is deterministic: fixed timestamps, fixed payloads, frames written
byte for byte. Frames are
addressed to the MAC the net_pcap PMD gives its first port (DPDK 22.11:
02:70:63:61:70:00); the runner checks it.
"""
import os
import struct
import subprocess
import sys

from scapy.all import ARP, ICMP, IP, Ether, Raw, raw, rdpcap

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
PCAP_MAC = "02:70:63:61:70:00"  # net_pcap0's MAC in DPDK 22.11
BCAST = "ff:ff:ff:ff:ff:ff"
T0 = 1700000000  # timestamps: T0 + n ms


def payload(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


def arp_request():
    # 198.18.30.0/24: cavalryd is .1, the peer .2
    peer = "02:00:00:00:30:02"
    return [
        # who-has 198.18.30.1 (ours): answered
        Ether(src=peer, dst=BCAST) / ARP(op=1, hwsrc=peer, psrc="198.18.30.2",
                                         hwdst="00:00:00:00:00:00", pdst="198.18.30.1"),
        # who-has 198.18.30.99 (not ours): no answer
        Ether(src=peer, dst=BCAST) / ARP(op=1, hwsrc=peer, psrc="198.18.30.2",
                                         hwdst="00:00:00:00:00:00", pdst="198.18.30.99"),
    ]


def icmp_echo():
    # 198.18.31.0/24: cavalryd .1, peer .2 (a static neighbour in `config`)
    peer = "02:00:00:00:31:02"
    return [
        Ether(src=peer, dst=PCAP_MAC) / IP(src="198.18.31.2", dst="198.18.31.1", id=0x3101, ttl=64)
        / ICMP(type=8, id=0x1234, seq=1) / Raw(payload(56)),
        Ether(src=peer, dst=PCAP_MAC) / IP(src="198.18.31.2", dst="198.18.31.1", id=0x3102, ttl=64,
                                           tos=0x10)
        / ICMP(type=8, id=0x1234, seq=2) / Raw(payload(1400)),
    ]


def ttl_exceeded():
    # 198.18.32.0/24: cavalryd .1, the sender .2 (static neighbour);
    # 198.19.32.0/24 is routed via .3. TTL 1 expires at cavalryd.
    peer = "02:00:00:00:32:02"
    return [
        Ether(src=peer, dst=PCAP_MAC) / IP(src="198.18.32.2", dst="198.19.32.9", id=0x3201, ttl=1)
        / ICMP(type=8, id=0x4321, seq=1) / Raw(payload(32)),
    ]


def malformed():
    # 198.18.33.0/24: cavalryd .1, the sender .2 (static neighbour). Every
    # frame is an echo request to cavalryd that would be answered if it
    # were accepted; each is damaged in one way and must be dropped and
    # counted under its reason (see `drops`).
    peer = "02:00:00:00:33:02"

    def echo(**ip):
        return (Ether(src=peer, dst=PCAP_MAC)
                / IP(src="198.18.33.2", dst="198.18.33.1", ttl=64, **ip)
                / ICMP(type=8, id=0x3333, seq=ip.get("id", 0) & 0xFF) / Raw(payload(24)))

    good = echo(id=0x3300)
    frames = []
    # eth_truncated: 10 bytes, no room for an Ethernet header
    frames.append(raw(good)[:10])
    # ip4_truncated: an Ethernet header and 19 bytes of IPv4 header
    frames.append(raw(good)[:14 + 19])
    # ip4_bad_version: version 6 under EtherType IPv4
    frames.append(echo(id=0x3302, version=6))
    # ip4_bad_ihl: IHL 4 (16 bytes), less than the fixed header
    frames.append(echo(id=0x3303, ihl=4))
    # ip4_bad_checksum: the right header with its checksum off by one bit
    p = echo(id=0x3304)
    b = bytearray(raw(p))
    b[14 + 10] ^= 0x01
    frames.append(bytes(b))
    # ip4_bad_length: total length beyond the frame (checksum right)
    frames.append(echo(id=0x3305, len=200))
    # ip4_bad_length: total length shorter than the header (checksum right)
    frames.append(echo(id=0x3306, len=19))
    return frames


GENERATORS = {
    "arp_request": arp_request,
    "icmp_echo": icmp_echo,
    "ttl_exceeded": ttl_exceeded,
    "malformed": malformed,
}


def write_pcap(path, frames):
    # Written by hand (classic libpcap format, microseconds, Ethernet) so
    # that the bytes are exactly the frames built above, never re-encoded.
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            b = raw(fr)
            f.write(struct.pack("<IIII", T0, i * 1000, len(b), len(b)))
            f.write(b)


def write_inputs(names):
    for name in names:
        frames = GENERATORS[name]()
        d = os.path.join(CASES, name)
        os.makedirs(d, exist_ok=True)
        write_pcap(os.path.join(d, "in.pcap"), frames)
        print(f"{name}: {len(frames)} frames -> {os.path.relpath(d)}/in.pcap")


def show(names):
    for name in names:
        for f in ("in.pcap", "expected.pcap"):
            path = os.path.join(CASES, name, f)
            if not os.path.exists(path):
                print(f"== {name}/{f}: missing")
                continue
            pk = rdpcap(path)
            print(f"== {name}/{f}: {len(pk)} frames")
            for i, p in enumerate(pk):
                print(f"  [{i}] {len(p)} bytes  {p.summary()}")
                if IP in p:
                    ip = p[IP]
                    print(f"      ip v{ip.version} ihl {ip.ihl} id {ip.id:#06x} ttl {ip.ttl} tos {ip.tos:#04x} len {ip.len}"
                          f" chksum {ip.chksum:#06x}"
                          + (f"  icmp type {p[ICMP].type} code {p[ICMP].code}" if ICMP in p else ""))
                if ARP in p:
                    a = p[ARP]
                    print(f"      arp op {a.op} {a.hwsrc} {a.psrc} -> {a.hwdst} {a.pdst}")


def main(argv):
    opts = [a for a in argv if a.startswith("-")]
    names = [a for a in argv if not a.startswith("-")] or sorted(GENERATORS)
    for n in names:
        if n not in GENERATORS:
            sys.exit(f"unknown case {n}; cases: {' '.join(sorted(GENERATORS))}")
    if opts == ["--show"]:
        show(names)
        return 0
    if opts not in ([], ["--regen-expected"]):
        print(__doc__)
        return 2
    write_inputs(names)
    if opts == ["--regen-expected"]:
        runner = os.path.join(HERE, "..", "netns", "test_pcap_golden.sh")
        return subprocess.call(["bash", runner, "--regen-expected", *names])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
