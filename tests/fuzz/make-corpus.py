#! /usr/bin/env python3
# Writes the seed corpus of dpfip_action_target (tests/fuzz/corpus/): valid
# dpfip actions of both directions, IPv4 and IPv6, among other actions, in
# several OpenFlow versions, as instructions and as strings, and near
# misses of each.  The corpus is committed; run this after changing it:
#     tests/fuzz/make-corpus.py tests/fuzz/corpus
# Input layout (see dpfip_action_target.c): byte 0 selects the kind
# (0 actions, 1 instructions, 2 actions string, 3 dpfip arguments); for
# actions byte 1 selects OpenFlow 1.0..1.5, for instructions 1.1..1.5.

import ipaddress
import os
import struct
import sys

ACTIONS, INSTRUCTIONS, ACTIONS_STRING, DPFIP_STRING = range(4)
NX_VENDOR_ID = 0x2320
NXAST_DPFIP = 53489
DNAT, SNAT = 0, 1


def fip_bytes(addr):
    ip = ipaddress.ip_address(addr)
    if ip.version == 4:
        return b'\0' * 10 + b'\xff\xff' + ip.packed
    return ip.packed


def dpfip(direction, addr, length=32, pad=b'\0' * 5,
          subtype=NXAST_DPFIP, vendor=NX_VENDOR_ID):
    body = (struct.pack('!HHIHB', 0xffff, length, vendor, subtype, direction)
            + pad + fip_bytes(addr))
    return body + b'\0' * (length - len(body)) if length > 32 else body


def output10(port):
    return struct.pack('!HHHH', 0, 8, port, 0xffff)


def output11(port):
    return struct.pack('!HHIH6x', 0, 16, port, 0xffff)


def dec_ttl():
    return struct.pack('!HHIH6x', 0xffff, 16, NX_VENDOR_ID, 18)


def set_eth_dst(mac):
    oxm = struct.pack('!I', 0x80000606) + bytes(mac)
    return struct.pack('!HH', 25, 16) + oxm + b'\0' * 2


def clone(*nested):
    inner = b''.join(nested)
    return struct.pack('!HHIH6x', 0xffff, 16 + len(inner), NX_VENDOR_ID,
                       42) + inner


def apply_actions(*actions):
    inner = b''.join(actions)
    return struct.pack('!HH4x', 4, 8 + len(inner)) + inner


def write_actions(*actions):
    inner = b''.join(actions)
    return struct.pack('!HH4x', 3, 8 + len(inner)) + inner


def of_actions(version, *actions):
    return bytes([ACTIONS, version - 1]) + b''.join(actions)


def of_instructions(version, *instructions):
    return bytes([INSTRUCTIONS, version - 2]) + b''.join(instructions)


def text(kind, s):
    return bytes([kind]) + s.encode()


VM_MAC = [0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x05]

# In the target a floating IP is "configured" iff its last byte is odd.
SEEDS = {
    # Valid OpenFlow actions.
    'of10-dnat4-output': of_actions(1, dpfip(DNAT, '203.0.113.11'),
                                    output10(2)),
    'of11-dnat4-snat6': of_actions(2, dpfip(DNAT, '203.0.113.10'),
                                   dpfip(SNAT, '2001:db8:f::11'),
                                   output11(1)),
    'of13-snat6-output': of_actions(4, dpfip(SNAT, '2001:db8:f::10'),
                                    output11(1)),
    'of14-clone-dpfip': of_actions(5, clone(dpfip(SNAT, '198.51.100.7'),
                                            output11(2)), output11(3)),
    'of15-setfield-dpfip-decttl': of_actions(6, set_eth_dst(VM_MAC),
                                             dpfip(DNAT, '2001:db8:f::13'),
                                             dec_ttl(), output11(2)),
    # Near misses.
    'of10-bad-direction': of_actions(1, dpfip(2, '203.0.113.11')),
    'of13-nonzero-pad': of_actions(4, dpfip(DNAT, '203.0.113.11',
                                            pad=b'\0\0\0\0\1')),
    'of10-short-len': of_actions(1, dpfip(DNAT, '203.0.113.11')[:24]
                                 .replace(b'\0\x20', b'\0\x18', 1)),
    'of13-long-len': of_actions(4, dpfip(DNAT, '203.0.113.11', length=40)),
    'of13-truncated': of_actions(4, dpfip(DNAT, '203.0.113.11')[:24]),
    'of13-odd-length': of_actions(4, dpfip(DNAT, '203.0.113.11')[:31]),
    'of10-fip-zero': of_actions(1, dpfip(DNAT, '0.0.0.0')),
    'of10-fip-broadcast': of_actions(1, dpfip(SNAT, '255.255.255.255')),
    'of12-fip-multicast4': of_actions(3, dpfip(DNAT, '224.0.0.1')),
    'of15-fip-multicast6': of_actions(6, dpfip(SNAT, 'ff02::1')),
    'of15-fip-unspecified6': of_actions(6, dpfip(SNAT, '::')),
    'of13-subtype-minus1': of_actions(4, dpfip(DNAT, '203.0.113.11',
                                               subtype=NXAST_DPFIP - 1)),
    'of13-subtype-plus1': of_actions(4, dpfip(DNAT, '203.0.113.11',
                                              subtype=NXAST_DPFIP + 1)),
    'of13-wrong-vendor': of_actions(4, dpfip(DNAT, '203.0.113.11',
                                             vendor=NX_VENDOR_ID + 1)),
    # Instructions.
    'of13-apply-actions': of_instructions(4, apply_actions(
        dpfip(SNAT, '2001:db8:f::11'), output11(1))),
    'of15-write-actions-dpfip': of_instructions(6, write_actions(
        dpfip(DNAT, '203.0.113.11'))),
    # Actions strings.
    'str-dnat4-output': text(ACTIONS_STRING,
                             'dpfip(dnat,fip=203.0.113.11),output:2'),
    'str-snat6-decttl': text(ACTIONS_STRING,
                             'dpfip(snat,fip=2001:db8:f::11),dec_ttl,'
                             'output:1'),
    'str-clone': text(ACTIONS_STRING,
                      'clone(dpfip(dnat,fip=198.51.100.8)),output:3'),
    'str-mapped': text(ACTIONS_STRING,
                       'mod_dl_src:aa:aa:aa:aa:aa:01,'
                       'dpfip(snat,fip=::ffff:203.0.113.10)'),
    'str-no-fip': text(ACTIONS_STRING, 'dpfip(dnat)'),
    'str-both-directions': text(ACTIONS_STRING,
                                'dpfip(dnat,snat,fip=203.0.113.11)'),
    'str-multicast': text(ACTIONS_STRING, 'dpfip(dnat,fip=224.0.0.1)'),
    'str-bad-address': text(ACTIONS_STRING,
                            'dpfip(dnat,fip=203.0.113.300)'),
    'str-fip-twice': text(ACTIONS_STRING,
                          'dpfip(dnat,fip=1.2.3.4,fip=1.2.3.5)'),
    'str-unclosed': text(ACTIONS_STRING, 'dpfip(snat,fip=2001:db8::1'),
    # ofp_dpfip_parse() arguments.
    'args-dnat4': text(DPFIP_STRING, 'dnat,fip=203.0.113.11'),
    'args-snat6': text(DPFIP_STRING, 'fip=2001:db8::1,snat'),
    'args-direction-value': text(DPFIP_STRING, 'dnat=1,fip=1.2.3.5'),
    'args-empty-fip': text(DPFIP_STRING, 'snat,fip='),
    'args-unknown-key': text(DPFIP_STRING, 'dnat,fip=1.2.3.5,port=1'),
    'args-zero': text(DPFIP_STRING, 'dnat,fip=0.0.0.0'),
    'args-broadcast': text(DPFIP_STRING, 'snat,fip=255.255.255.255'),
    'args-unspecified6': text(DPFIP_STRING, 'snat,fip=::'),
    'args-mapped-multicast': text(DPFIP_STRING, 'dnat,fip=::ffff:224.1.2.3'),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'corpus'
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        os.unlink(os.path.join(out, name))
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
