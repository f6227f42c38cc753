#! /usr/bin/env python3
"""Prints fields of "ovs-appctl dpfip/show --json" read from stdin.

Usage: dpfip-json.py [--bridge=BRIDGE] [--absent] TARGET FIELD...

TARGET is one of
  FLOATING        the FIPs with that floating address, one line each
                  (sorted by bridge, then port)
  -               the top-level object; with --bridge, the bridge's own
  gateway=FAMILY  the bridge's gateway of FAMILY (IPv4 or IPv6)
FIELD is a key of that object, or KEY.SUBKEY... into nested objects.
Values are printed space-separated, as Python prints them (None, True).

--bridge=BRIDGE  only what belongs to bridge BRIDGE
--absent         print "absent" when nothing matches TARGET (by default
                 that is an error)
A missing FIELD is always an error.
"""
import json
import sys


def field(obj, name):
    for key in name.split("."):
        if not isinstance(obj, dict) or key not in obj:
            sys.exit("dpfip-json.py: no field %s in %s" % (name, obj))
        obj = obj[key]
    return obj


def targets(show, bridge, target):
    bridges = sorted((b for b in show["bridges"]
                      if bridge is None or b["name"] == bridge),
                     key=lambda b: b["name"])
    if target == "-":
        return bridges if bridge is not None else [show]
    if target.startswith("gateway="):
        family = target[len("gateway="):]
        return [g for b in bridges for g in b["gateways"]
                if g["family"] == family]
    return [f for b in bridges
            for f in sorted(b["fips"], key=lambda f: f["port"])
            if f["floating"] == target]


def main(argv):
    bridge, absent = None, False
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt.startswith("--bridge="):
            bridge = opt[len("--bridge="):]
        elif opt == "--absent":
            absent = True
        else:
            sys.exit("dpfip-json.py: unknown option %s" % opt)
    if len(args) < 2:
        sys.exit(__doc__)
    target, fields = args[0], args[1:]

    objs = targets(json.load(sys.stdin), bridge, target)
    if not objs:
        if absent:
            print("absent")
            return
        sys.exit("dpfip-json.py: nothing matches %s%s"
                 % (target, " on bridge " + bridge if bridge else ""))
    for obj in objs:
        print(" ".join(str(field(obj, f)) for f in fields))


if __name__ == "__main__":
    main(sys.argv)
