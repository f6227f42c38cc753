#!/usr/bin/env python3
"""One UDP datagram, for dpfip's traffic tests.

Usage: dpfip-udp.py recv PORT          (prints "LENGTH PEER intact|corrupt")
       dpfip-udp.py send ADDR PORT BYTES
       dpfip-udp.py probe ADDR PORT       (prints "refused|answered|timeout")

The payload is bytes 0..250 repeated, so the receiver can tell it arrived
intact.  A datagram bigger than the MTU is sent as fragments: the kernel
reassembles it only if every fragment arrives unchanged where it must be and
the UDP checksum of the whole still holds.

"probe" sends one datagram from a connected socket and waits 3 s: the
kernel reports "refused" only if an ICMP port unreachable came back that
quotes the datagram exactly as this socket sent it (addresses and ports).
"""
import socket
import sys


def payload(n):
    return bytes(i % 251 for i in range(n))


def main(argv):
    if len(argv) == 3 and argv[1] == "recv":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(argv[2])))
        s.settimeout(30)
        data, peer = s.recvfrom(65535)
        peer = peer[0]
        if peer.startswith("::ffff:"):
            peer = peer[7:]
        print(len(data), peer,
              "intact" if data == payload(len(data)) else "corrupt")
    elif len(argv) == 5 and argv[1] == "send":
        info = socket.getaddrinfo(argv[2], int(argv[3]), 0, socket.SOCK_DGRAM)
        family, _, _, _, addr = info[0]
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.sendto(payload(int(argv[4])), addr)
    elif len(argv) == 4 and argv[1] == "probe":
        info = socket.getaddrinfo(argv[2], int(argv[3]), 0, socket.SOCK_DGRAM)
        family, _, _, _, addr = info[0]
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.connect(addr)
        s.send(b"probe")
        try:
            s.recv(100)
            print("answered")
        except ConnectionRefusedError:
            print("refused")
        except socket.timeout:
            print("timeout")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
