#!/usr/bin/env bash
# run-all.sh: every dpfip benchmark, one after the other ("make bench").
# They measure CPU time, so they never overlap, and nothing else should run
# on the machine meanwhile.
#
#   1. the seed table: tutorial/three-chassis/bench.sh (centralized vs
#      distributed, per VM and in total, CPU per GB, migration), and its
#      chart tutorial/three-chassis/seed-table.png
#   2. per-packet cost: tests/bench/pkt-cost.sh (OVS userspace datapath:
#      output, set_field, ct(nat), dpfip) and tests/bench/nft-cost.sh
#      (Linux forwarding with nftables 1:1 NAT)
#   3. control plane: tests/bench/fip-scale.sh software (1k/10k/100k FIPs)
#      and offload (1k/10k FIPs into the eSwitch model)
#
# Each script appends its figures to its results file (tests/bench/
# results.txt, tutorial/three-chassis/results.txt).  At the end this
# prints the project's targets (issue "the seed scenario on one machine")
# as "target.NAME: VALUE (met|NOT met)" lines.
#
# Usage: tests/bench/run-all.sh [PART...]   PART: seed pkt nft scale
#        (default: all; OVS_BUILD_DIR as for the scripts)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export OVS_BUILD_DIR=${OVS_BUILD_DIR:-$top/_build/ovs}
parts=${*:-seed pkt nft scale}
out=$(mktemp -d /tmp/dpfip-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
status=0

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }

need=""
for p in python3-matplotlib nftables; do
    dpkg-query -W -f '${Status}' $p 2>/dev/null | grep -q 'install ok installed' \
        || need="$need $p"
done
if [ -n "$need" ]; then
    log "installing:$need"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >&2 \
        || { log "apt-get install failed"; exit 1; }
fi

run() {     # run NAME COMMAND...: output to stdout and $out/NAME
    local name=$1; shift
    log "=== $name: $*"
    "$@" 2> >(cat >&2) | tee "$out/$name"
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || { log "$name failed (exit $rc)"; status=1; }
}

for part in $parts; do
    case $part in
        seed)
            run seed "$top/tutorial/three-chassis/bench.sh"
            run chart /usr/bin/python3 "$top/tutorial/three-chassis/chart.py" ;;
        pkt) run pkt "$here/pkt-cost.sh" ;;
        nft) run nft "$here/nft-cost.sh" ;;
        scale)
            run scale-sw "$here/fip-scale.sh" software
            run scale-hw "$here/fip-scale.sh" offload ;;
        *) log "unknown part '$part'"; exit 1 ;;
    esac
done

# value FILE NAME: the value of the last "NAME: value" line in FILE.
value() {
    [ -f "$out/$1" ] || return 0
    grep -F "$2: " "$out/$1" | tail -1 | sed 's/.*: //'
}
# target NAME VALUE OP LIMIT
target() {
    local name=$1 v=$2 op=$3 lim=$4
    if [ -z "$v" ]; then
        echo "target.$name: not measured"
        return
    fi
    awk -v v="$v" -v l="$lim" -v op="$op" -v n="$name" 'BEGIN {
        ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
        printf "target.%s: %s (%s %s: %s)\n", n, v, op, l, ok ? "met" : "NOT met" }'
}

echo "=== targets"
target distributed_over_centralized \
    "$(value seed 'capped25 ratio distributed/centralized total')" ">=" 1.5
target distributed_over_3x_one_vm \
    "$(value seed 'capped25 ratio distributed total/(3 x one VM alone)')" ">=" 0.9
target dpfip_over_setfield "$(value pkt ratio.dpfip_over_setfield)" "<=" 1.05
target dpfip_over_ctnat "$(value pkt ratio.dpfip_over_ctnat)" "<=" 0.5
target fips_100k_active_seconds \
    "$(value scale-sw software.fips_active_seconds.100000)" "<=" 5
rss=$(value scale-sw software.rss_per_fip_bytes.100000)
target rss_per_fip_kib_100k "${rss:+$(awk -v b="$rss" 'BEGIN { printf "%.2f", b / 1024 }')}" "<=" 1
target show_100k_seconds "$(value scale-sw software.show_seconds.100000)" "<=" 1
gap=$(value seed 'distributed migration longest gap between replies ms')
target migration_loss_seconds "${gap:+$(awk -v g="$gap" 'BEGIN { printf "%.3f", g / 1000 }')}" "<=" 1
exit $status
