#! /usr/bin/env python3
"""Prints fields of "ovs-appctl dpfip/show --json" read from stdin.

Usage: dpfip-json.py FLOATING FIELD...   fields of the FIP FLOATING
       dpfip-json.py - FIELD...          top-level fields
Values are printed space-separated, one line per FIP with that floating
address (sorted by port); a missing FIP is an error.
"""
import json
import sys


def main(argv):
    show = json.load(sys.stdin)
    target, fields = argv[1], argv[2:]
    if target == "-":
        objs = [show]
    else:
        objs = sorted((f for b in show["bridges"] for f in b["fips"]
                       if f["floating"] == target),
                      key=lambda f: f["port"])
        if not objs:
            sys.exit("dpfip-json.py: no FIP %s" % target)
    for obj in objs:
        print(" ".join(str(obj[f]) for f in fields))


if __name__ == "__main__":
    main(sys.argv)
