#!/usr/bin/env python3
"""UDP datagrams for dpfip's traffic tests.

Usage: dpfip-udp.py recv PORT          (prints "LENGTH PEER intact|corrupt")
       dpfip-udp.py send ADDR PORT BYTES
       dpfip-udp.py probe ADDR PORT       (prints "refused|answered|timeout")
       dpfip-udp.py echo PORT COUNT [ADDR]
                                          (answers COUNT datagrams from ADDR,
                                           then exits)
       dpfip-udp.py ping ADDR PORT COUNT [SOURCE]
                                          (prints "COUNT sent, N answered")

The payload is bytes 0..250 repeated, so the receiver can tell it arrived
intact.  A datagram bigger than the MTU is sent as fragments: the kernel
reassembles it only if every fragment arrives unchanged where it must be and
the UDP checksum of the whole still holds.

"probe" sends one datagram from a connected socket and waits 3 s: the
kernel reports "refused" only if an ICMP port unreachable came back that
quotes the datagram exactly as this socket sent it (addresses and ports).

"echo" and "ping" are a round trip like ICMP echo's, for tests that must
count packets carried by a rule that ICMP does not take.
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
    elif len(argv) in (4, 5) and argv[1] == "echo":
        # Bound to ADDR, so that the answers come from the address asked.
        if len(argv) == 5:
            info = socket.getaddrinfo(argv[4], int(argv[2]), 0,
                                      socket.SOCK_DGRAM)
            family, _, _, _, addr = info[0]
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.bind(addr)
        else:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", int(argv[2])))
        s.settimeout(30)
        for _ in range(int(argv[3])):
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
    elif len(argv) in (5, 6) and argv[1] == "ping":
        info = socket.getaddrinfo(argv[2], int(argv[3]), 0, socket.SOCK_DGRAM)
        family, _, _, _, addr = info[0]
        s = socket.socket(family, socket.SOCK_DGRAM)
        if len(argv) == 6:
            s.bind((argv[5], 0))
        s.settimeout(2)
        s.connect(addr)
        count, answered = int(argv[4]), 0
        for i in range(count):
            s.send(payload(64 + i))
            try:
                answered += s.recv(65535) == payload(64 + i)
            except (socket.timeout, ConnectionRefusedError):
                pass
        print("%d sent, %d answered" % (count, answered))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
