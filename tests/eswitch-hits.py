#! /usr/bin/env python3
"""Prints the sum of the hits of the eSwitch model's rules whose line in the
model's state file (dpdk/README.md) contains TEXT.

Usage: eswitch-hits.py STATE-FILE TEXT
"""
import re
import sys


def main(argv):
    path, text = argv[1], argv[2]
    total = 0
    with open(path) as f:
        for line in f:
            if line.startswith("rule ") and text in line:
                total += sum(int(h) for h in re.findall(r" hits=(\d+) ", line))
    print(total)


if __name__ == "__main__":
    main(sys.argv)
