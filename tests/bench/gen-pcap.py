#!/usr/bin/env python3
"""Write a pcap of UDP frames (IPv4 or IPv6) with N distinct 5-tuples.

Usage: gen-pcap.py FILE [--flows N] [--src-mac M] [--dst-mac M] [--dst-ip A]
                        [--dst-port P] [--frame-len L]

--dst-ip decides the family.  Frames are frame-len bytes on the wire including
the 4-byte FCS, so each pcap record holds frame-len - 4 bytes (a NIC would add
the FCS); the default is 64 for IPv4 and 78 for IPv6 (whose headers alone take
62 bytes).  Flow i uses source address 198.51.100.(1 + i % 250) or
2001:db8:99::(1 + i % 250) and source port 1024 + i, so every 5-tuple is
distinct.  IPv4 and UDP checksums are valid.  Only the standard library is used.
"""
import argparse
import ipaddress
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC %r" % s)
    return b


def frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, length):
    v6 = len(dst_ip) == 16
    payload_len = length - 14 - (40 if v6 else 20) - 8
    payload = bytes(range(payload_len))
    udp_len = 8 + payload_len
    if v6:
        pseudo = src_ip + dst_ip + struct.pack("!IxxxB", udp_len, 17)
    else:
        pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    ucs = csum(pseudo + udp) or 0xFFFF
    udp = struct.pack("!HHHH", sport, dport, udp_len, ucs) + payload
    if v6:
        ip = struct.pack("!IHBB16s16s", 6 << 28, udp_len, 17, 64, src_ip,
                         dst_ip)
        return dst_mac + src_mac + struct.pack("!H", 0x86DD) + ip + udp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64,
                     17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + struct.pack("!H", 0x0800) + ip + udp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--flows", type=int, default=1000)
    p.add_argument("--src-mac", default="02:00:00:00:fe:01")
    p.add_argument("--dst-mac", default="02:00:00:00:fe:10")
    p.add_argument("--dst-ip", default="203.0.113.10")
    p.add_argument("--dst-port", type=int, default=5000)
    p.add_argument("--frame-len", type=int, default=0,
                   help="on-wire length including FCS (default 64 for IPv4, "
                   "78 for IPv6)")
    a = p.parse_args()
    if not 1 <= a.flows <= 64511:
        p.error("--flows must be 1..64511")
    dst = ipaddress.ip_address(a.dst_ip)
    v6 = dst.version == 6
    length = (a.frame_len or (78 if v6 else 64)) - 4
    if length < 14 + (40 if v6 else 20) + 8:
        p.error("--frame-len too small")
    smac, dmac = mac(a.src_mac), mac(a.dst_mac)
    dip = dst.packed
    with open(a.file, "wb") as f:
        # pcap global header: magic, v2.4, tz 0, sigfigs 0, snaplen, Ethernet
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(a.flows):
            sip = ipaddress.ip_address(("2001:db8:99::%x" if v6
                                        else "198.51.100.%d")
                                       % (1 + i % 250)).packed
            pkt = frame(smac, dmac, sip, dip, 1024 + i, a.dst_port, length)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000,
                                len(pkt), len(pkt)))
            f.write(pkt)


if __name__ == "__main__":
    main()
