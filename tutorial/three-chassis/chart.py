#! /usr/bin/python3
"""Draws the seed table as a PNG bar chart from the last run in results.txt.

Usage: chart.py [RESULTS [PNG]]
  RESULTS  bench.sh's results file (default: results.txt next to this script)
  PNG      output (default: seed-table.png next to this script)

Three panels: the seed cluster as measured (iperf3 -P 4 -R through one
gateway chassis: 7.86 / 47.0 / 8.08 Gbps, with the 3 x 47 Gbps that a
distributed gateway should give), then this machine's "capped" and
"shared" scenarios (bench.sh), centralized vs distributed, per VM and in
total.  Needs Debian's python3-matplotlib (hence /usr/bin/python3).
"""
import os
import re
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = {"centralized": [7.86, 47.0, 8.08], "distributed": [47.0, 47.0, 47.0]}


def last_run(path):
    """Returns (header, {key: value}) of the last '=== ' block."""
    header, values = None, {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("=== "):
                header, values = line[4:], {}
            elif ": " in line:
                key, value = line.rsplit(": ", 1)
                values[key] = value
    if header is None:
        sys.exit("chart.py: no '=== ' run in %s" % path)
    return header, values


def scenario(values, name):
    """Per-VM Gbps of 'name' for both modes, or None if not in the run."""
    out = {}
    for mode in ("centralized", "distributed"):
        vms = []
        for i in (1, 2, 3):
            key = "%s %s vm%d (chassis%d) Gbps" % (name, mode, i, i)
            if key not in values:
                return None
            vms.append(float(values[key]))
        out[mode] = vms
    return out


def panel(ax, data, title, unit, names=None, ideal=None):
    labels = ["vm1\n(chassis1)", "vm2\n(chassis2)", "vm3\n(chassis3)",
              "total"]
    width = 0.38
    colors = {"centralized": "#c44e52", "distributed": "#4c72b0"}
    for k, mode in enumerate(("centralized", "distributed")):
        vals = data[mode] + [sum(data[mode])]
        xs = [i + (k - 0.5) * width for i in range(len(labels))]
        bars = ax.bar(xs, vals, width, label=(names or {}).get(mode, mode),
                      color=colors[mode])
        for b, v in zip(bars, vals):
            ax.annotate("%.3g" % v, (b.get_x() + b.get_width() / 2,
                                     b.get_height()),
                        ha="center", va="bottom", fontsize=7)
    if ideal:
        ax.axhline(ideal, color="gray", linestyle="--", linewidth=1,
                   label="3 x one VM alone")
    ratio = sum(data["distributed"]) / sum(data["centralized"])
    ax.set_title("%s\ndistributed / centralized total = %.2fx"
                 % (title, ratio), fontsize=9)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(unit)
    ax.legend(fontsize=8)


def main(argv):
    results = argv[1] if len(argv) > 1 else os.path.join(HERE, "results.txt")
    png = argv[2] if len(argv) > 2 else os.path.join(HERE, "seed-table.png")
    header, values = last_run(results)
    panels = [(SEED, "seed cluster (3 hosts, real NICs)",
               "Gbps", {"centralized": "centralized (measured)",
                        "distributed": "distributed (expected: 3 x 47)"},
               None)]
    for name, title in (("capped25", "this machine: each chassis capped "
                         "at 25% of a core"),
                        ("shared", "this machine: chassis share 2 cores")):
        data = scenario(values, name)
        alone = values.get("%salone distributed vm1 (chassis1) Gbps" % name)
        if data:
            panels.append((data, title, "Gbps", None,
                           3 * float(alone) if alone else None))
    if len(panels) == 1:
        sys.exit("chart.py: the last run in %s has no scenario" % results)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2))
    for ax, (data, title, unit, names, ideal) in zip(axes, panels):
        panel(ax, data, title, unit, names, ideal)
    fig.suptitle("iperf3 -R from upstream to each VM's floating IP: "
                 "centralized gateway vs dpfip\n(run %s)" % header,
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print("chart: %s" % png)


if __name__ == "__main__":
    main(sys.argv)
