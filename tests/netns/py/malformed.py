#!/usr/bin/python3
"""Send a corpus of malformed frames at cavalryd (run inside the peer's
namespace). Prints one line per case: NAME COUNT, the number of frames sent.
Usage: malformed.py IFACE OUR_IP CAV_IP CAV_MAC FORWARD_DST"""
import sys

from scapy.all import ARP, ICMP, IP, UDP, Dot1Q, Ether, Raw, conf, sendp

conf.verb = 0
iface, me, cav, cav_mac, fwd = sys.argv[1:6]
my_mac = open(f"/sys/class/net/{iface}/address").read().strip()
eth = Ether(src=my_mac, dst=cav_mac)


def ip_bytes(**kw):
    """A valid IPv4/ICMP echo to cavalryd, as bytes."""
    return bytes(IP(src=me, dst=cav, **kw) / ICMP(id=7, seq=1) / Raw(b"x" * 32))


def send(name, frames):
    for f in frames:
        sendp(f, iface=iface)
    print(name, len(frames))


def with_ip(raw):
    return bytes(eth)[:12] + b"\x08\x00" + raw


good = ip_bytes()
# Ethernet
send("eth_vlan", [Ether(src=my_mac, dst=cav_mac) / Dot1Q(vlan=5) / IP(src=me, dst=cav) / ICMP()])
send("eth_unknown_type", [Ether(src=my_mac, dst=cav_mac, type=0x88B5) / Raw(b"\0" * 46)])
send("eth_other_host", [Ether(src=my_mac, dst="02:00:00:00:00:99") / IP(src=me, dst=cav) / ICMP()])
# ARP: truncated header, odd hardware / protocol lengths, odd hardware type
arp = bytes(ARP(op=1, hwsrc=my_mac, psrc=me, pdst=cav))
send("arp_malformed", [
    Ether(src=my_mac, dst=cav_mac, type=0x0806) / Raw(arp[:20]),
    Ether(src=my_mac, dst=cav_mac) / ARP(op=1, hwlen=8, hwsrc=my_mac, psrc=me, pdst=cav),
    Ether(src=my_mac, dst=cav_mac) / ARP(op=1, plen=6, hwsrc=my_mac, psrc=me, pdst=cav),
    Ether(src=my_mac, dst=cav_mac) / ARP(op=1, hwtype=6, hwsrc=my_mac, psrc=me, pdst=cav),
    Ether(src=my_mac, dst=cav_mac) / ARP(op=9, hwsrc=my_mac, psrc=me, pdst=cav),
])
# IPv4 (RFC 1812 5.2.2)
send("ip4_truncated", [with_ip(good[:12]), with_ip(good[:19])])
bad_ck = bytearray(good)
bad_ck[10] ^= 0xFF
send("ip4_bad_checksum", [with_ip(bytes(bad_ck))])
send("ip4_bad_version", [with_ip(bytes([0x65]) + good[1:])])
ihl4 = bytes(IP(src=me, dst=cav, ihl=4) / ICMP())
send("ip4_bad_ihl", [with_ip(ihl4)])
long_len = bytes(IP(src=me, dst=cav, len=1000) / ICMP() / Raw(b"y" * 32))
send("ip4_bad_length", [with_ip(long_len)])
send("ip4_martian_src", [eth / IP(src="127.0.0.1", dst=cav) / ICMP(),
                         eth / IP(src="224.0.0.5", dst=cav) / ICMP()])
# TTL 0 and 1 on a packet to be forwarded: time exceeded, not forwarded
send("ttl_expired", [eth / IP(src=me, dst=fwd, ttl=0) / ICMP(),
                     eth / IP(src=me, dst=fwd, ttl=1) / ICMP()])
# Overlapping fragments: the second overlaps the first (RFC 5722's spirit).
payload = bytes(UDP(sport=9, dport=9) / Raw(b"z" * 64))
send("frag_overlap", [
    eth / IP(src=me, dst=cav, id=4242, flags="MF", frag=0, proto=17) / Raw(payload[:40]),
    eth / IP(src=me, dst=cav, id=4242, flags=0, frag=2, proto=17) / Raw(payload[16:]),
])
# Endless fragments: first pieces of datagrams that never complete.
send("frag_endless", [eth / IP(src=me, dst=cav, id=5000 + i, flags="MF", frag=0, proto=17) /
                      Raw(b"e" * 64) for i in range(20)])
