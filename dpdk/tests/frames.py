#!/usr/bin/python3
"""Sends hand-made Ethernet frames out of an interface (AF_PACKET), for
the cases a socket cannot produce: VLAN tags without the 8021q module,
UDP with checksum 0, IP fragments, a chosen TTL or hop limit.

usage: frames.py IFACE DST_MAC SRC_MAC SRC_IP DST_IP DPORT COUNT
                 [--vlan VID] [--ttl N] [--csum0] [--frag first|later]
                 [--icmp6]
Payload: "frameN" (N = 1..COUNT), UDP unless --icmp6 (an echo request).
"""
import argparse
import ipaddress
import socket
import struct
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def frame(a, i):
    src = ipaddress.ip_address(a.src_ip)
    dst = ipaddress.ip_address(a.dst_ip)
    payload = ("frame%d\n" % i).encode()
    v6 = src.version == 6
    if a.icmp6:
        proto = 58
        l4 = struct.pack("!BBHHH", 128, 0, 0, 0x77, i) + payload
    else:
        proto = 17
        l4 = struct.pack("!HHHH", 40000 + i, a.dport, 8 + len(payload), 0)
        l4 += payload
    if v6:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(l4),
                                                       proto)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!xBH", proto,
                                                       len(l4))
    c = csum(pseudo + l4)
    if a.csum0:
        c = 0
    elif c == 0 and proto == 17:
        c = 0xffff
    off = 6 if not a.icmp6 else 2
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    ttl = a.ttl if a.ttl is not None else 64
    if v6:
        l3 = struct.pack("!IHBB", 0x60000000, len(l4), proto, ttl)
        l3 += src.packed + dst.packed
        etype = 0x86dd
    else:
        frag = 0
        if a.frag == "first":
            frag = 0x2000                   # MF, offset 0.
        elif a.frag == "later":
            frag = 0x0100                   # Offset 2048 bytes.
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), i, frag,
                          ttl, proto, 0, src.packed, dst.packed)
        l3 = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        etype = 0x0800
    eth = mac(a.dst_mac) + mac(a.src_mac)
    if a.vlan is not None:
        eth += struct.pack("!HH", 0x8100, a.vlan)
    return eth + struct.pack("!H", etype) + l3 + l4


def main():
    p = argparse.ArgumentParser()
    for name in ("iface", "dst_mac", "src_mac", "src_ip", "dst_ip"):
        p.add_argument(name)
    p.add_argument("dport", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--vlan", type=int)
    p.add_argument("--ttl", type=int)
    p.add_argument("--csum0", action="store_true")
    p.add_argument("--frag", choices=("first", "later"))
    p.add_argument("--icmp6", action="store_true")
    a = p.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for i in range(1, a.count + 1):
        s.send(frame(a, i))
        time.sleep(0.02)


if __name__ == "__main__":
    main()
