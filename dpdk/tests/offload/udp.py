#!/usr/bin/python3
# UDP helper for run.sh/offload_test, run inside a netns.
#   udp.py recv 4|6 ADDR PORT FILE SECS   one line "SRC PAYLOAD" per datagram
#   udp.py send 4|6 DST PORT TAG N [HLIM] N datagrams "TAG1".."TAGN"
import socket
import sys
import time

fam = socket.AF_INET if sys.argv[2] == "4" else socket.AF_INET6
s = socket.socket(fam, socket.SOCK_DGRAM)
if sys.argv[1] == "recv":
    s.bind((sys.argv[3], int(sys.argv[4])))
    s.settimeout(float(sys.argv[6]))
    with open(sys.argv[5], "w", buffering=1) as f:
        try:
            while True:
                data, src = s.recvfrom(2048)
                f.write("%s %s\n" % (src[0], data.decode().strip()))
        except socket.timeout:
            pass
else:
    if len(sys.argv) > 7:
        hlim = int(sys.argv[7])
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, hlim)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hlim)
    for i in range(1, int(sys.argv[6]) + 1):
        s.sendto(("%s%d\n" % (sys.argv[5], i)).encode(),
                 (sys.argv[3], int(sys.argv[4])))
        time.sleep(0.05)
