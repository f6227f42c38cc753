#!/usr/bin/env bash
# offload-scale.sh: what N offloaded FIPs cost the eSwitch and the main
# thread.  For each N (default 10000 and 100000), a fresh ovsdb-server +
# ovs-vswitchd with DPDK and the net_eswitch model (which behaves as mlx5
# does, dpdk/README.md); N IPv4 FIPs over R representors, written in one
# transaction; once all N are offloaded and announced, it reads from the
# model's state file the rules in the switch and the distinct hardware
# masks, and from /proc the CPU time of ovs-vswitchd's main thread over
# BENCH_IDLE seconds (default 60) with no traffic.  Not a test: it prints
# what it measured, with the machine.
#
# Usage: tests/bench/offload-scale.sh [N...]      (root; creates veths: on
#        a shared machine run it through the isolation wrapper)
#
# Environment (all optional):
#   OVS_BUILD_DIR   OVS build tree (default _build/ovs of this checkout)
#   ESWITCH_PMD     the net_eswitch model (default: built from dpdk/ into
#                   _build/eswitch, copied to /run/dpfip-eswitch as EAL
#                   requires)
#   BENCH_IDLE      seconds of idle measurement (60)
#   BENCH_PER_PORT  FIPs per representor (4000; at most 31 representors,
#                   RTE_MAX_ETHPORTS is 32 in Debian's DPDK)
#   BENCH_RESULTS   file the figures are appended to (tests/bench/results.txt)
#   BENCH_TIMEOUT   limit for installing one N, s (900)
#
# Figures go to stdout as "name.N: value" lines, progress to stderr.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/../.." && pwd)
SIZES=${*:-10000 100000}
IDLE=${BENCH_IDLE:-60}
PER_PORT=${BENCH_PER_PORT:-4000}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results.txt}
TIMEOUT=${BENCH_TIMEOUT:-900}
B=${OVS_BUILD_DIR:-$TOP/_build/ovs}

log() { printf '%s offload-scale: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$SIZES$IDLE$PER_PORT$TIMEOUT" in
    *[!0-9\ ]*) die "N, BENCH_IDLE, BENCH_PER_PORT, BENCH_TIMEOUT: integers" ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"
for f in vswitchd/ovs-vswitchd ovsdb/ovsdb-server ovsdb/ovsdb-tool \
         utilities/ovs-vsctl utilities/ovs-appctl; do
    [ -x "$B/$f" ] || die "$B/$f missing (set OVS_BUILD_DIR)"
done
SCHEMA=$B/vswitchd/vswitch.ovsschema
[ -f "$SCHEMA" ] || SCHEMA=$(sed -n 's/^abs_top_srcdir = //p' "$B/Makefile")/vswitchd/vswitch.ovsschema
export PATH="$B/utilities:$B/ovsdb:$B/vswitchd:$PATH"
ovs-vswitchd --version | grep -q DPDK || die "ovs-vswitchd is not built with DPDK"
if [ -z "${ESWITCH_PMD:-}" ]; then
    make -s -C "$TOP/dpdk" BUILD="$TOP/_build/eswitch" >&2 \
        || die "building the eSwitch model failed"
    install -d -m 755 /run/dpfip-eswitch
    install -m 644 "$TOP/_build/eswitch/librte_net_eswitch.so" /run/dpfip-eswitch/
    ESWITCH_PMD=/run/dpfip-eswitch/librte_net_eswitch.so
fi
[ -f "$ESWITCH_PMD" ] || die "$ESWITCH_PMD missing"
HP_ORIG=$(cat /proc/sys/vm/nr_hugepages)
[ "$HP_ORIG" -ge 1536 ] || echo 1536 > /proc/sys/vm/nr_hugepages
mount | grep -q 'type hugetlbfs' \
    || { mkdir -p /dev/hugepages; mount -t hugetlbfs none /dev/hugepages; }
CLK_TCK=$(getconf CLK_TCK)

RUN=""
stop_ovs() {
    [ -n "$RUN" ] && [ -d "$RUN" ] || return 0
    local p pid
    for p in ovs-vswitchd ovsdb-server; do
        pid=$(cat "$RUN/$p.pid" 2>/dev/null) || continue
        timeout 60 ovs-appctl -t "$RUN/$p.$pid.ctl" exit >/dev/null 2>&1
        for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$RUN"
    RUN=""
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_ovs
    [ "$HP_ORIG" -lt 1536 ] && echo "$HP_ORIG" > /proc/sys/vm/nr_hugepages
    for l in $(ip -o link show 2>/dev/null | grep -o 'osb-[a-z0-9]*@' | tr -d @); do
        ip link del "$l" 2>/dev/null
    done
    exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 1' INT TERM

# Main-thread CPU ticks (utime + stime) of ovs-vswitchd: its main thread's
# tid is its pid.
main_ticks() {
    local pid
    pid=$(cat "$RUN/ovs-vswitchd.pid")
    awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat"
}

# Voluntary context switches of the main thread: its wakeups, about.
main_wakeups() {
    local pid
    pid=$(cat "$RUN/ovs-vswitchd.pid")
    sed -n 's/^voluntary_ctxt_switches:\s*//p' "/proc/$pid/task/$pid/status"
}

# KEY's value on the switch line of the model's state file.
model() { sed -n "s/^switch .* $1=\([0-9]*\) .*/\1/p" "$RUN/eswitch.state"; }

# FIP I (0-based): 100.64.0.0/10 -> 10.0.0.0/8, as fip-scale.sh.
fip_pair() {
    local i=$1
    printf -v pair '100.%d.%d.%d=10.%d.%d.%d' $((64 + i / 65536)) \
        $((i / 256 % 256)) $((i % 256)) $((1 + i / 65536)) \
        $((i / 256 % 256)) $((i % 256))
}

run_one() {
    local n=$1 ports p i fips pair t0 t1
    ports=$(( (n + PER_PORT - 1) / PER_PORT ))
    [ "$ports" -le 31 ] || { log "N=$n needs $ports representors (max 31)"; return 1; }
    RUN=$(mktemp -d /tmp/offload-scale.XXXXXX)
    chmod 755 "$RUN"
    export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN OVS_DBDIR=$RUN OVS_SYSCONFDIR=$RUN
    ovsdb-tool create "$RUN/conf.db" "$SCHEMA" || return 1
    ovsdb-server "$RUN/conf.db" --remote="punix:$RUN/db.sock" --detach \
        --no-chdir --pidfile --log-file -vconsole:off || return 1
    export DB_SOCK=$RUN/db.sock
    ovs-vsctl --no-wait init
    ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        other_config:dpdk-extra="--no-pci -d $ESWITCH_PMD --file-prefix=osb$$" \
        other_config:dpdk-socket-mem=1536 other_config:dpfip-enable=true
    ovs-vswitchd --detach --no-chdir --pidfile --log-file -vconsole:off \
        2>>"$RUN/daemons.stderr" || return 1

    local args=(-- add-br br0 -- set Bridge br0 datapath_type=netdev
                other_config:dpfip-uplink=up0
                other_config:dpfip-gateway=100.127.255.254
                other_config:dpfip-gateway-mac=02:00:00:00:fe:01
                other_config:dpfip-external-mac=02:00:00:00:fe:10
                other_config:dpfip-router=10.0.0.1/24
                other_config:dpfip-router-mac=02:00:00:00:01:01
                other_config:dpfip-announce-count=1)
    ip link add osb-up0 type veth peer name osb-up0p || return 1
    ip link set osb-up0 up; ip link set osb-up0p up
    args+=(-- add-port br0 up0 -- set Interface up0 type=dpdk
           "options:dpdk-devargs=net_eswitch_up0,iface=osb-up0,switch=osb,role=uplink,capacity=$((n * 2 + 10000)),state-rules=0,state-file=$RUN/eswitch.state")
    for ((p = 0; p < ports; p++)); do
        ip link add osb-rep$p type veth peer name osb-rep${p}p || return 1
        ip link set osb-rep$p up; ip link set osb-rep${p}p up
        args+=(-- add-port br0 "vm$p" -- set Interface "vm$p" type=dpdk
               "options:dpdk-devargs=net_eswitch_rep$p,iface=osb-rep$p,switch=osb,representor=vf$p"
               "external_ids:attached-mac=02:00:00:00:$(printf '%02x' $p):05")
    done
    ovs-vsctl --timeout=120 "${args[@]}" || return 1

    args=()
    for ((p = 0; p < ports; p++)); do
        fips=""
        for ((i = p; i < n; i += ports)); do fip_pair $i; fips="$fips,$pair"; done
        args+=(-- set Interface "vm$p" "other_config:dpfip-fips=${fips#,}")
    done
    log "N=$n: $n FIPs over $ports representors, one transaction"
    t0=$(date +%s%3N)
    (ulimit -s 262144 && exec ovs-vsctl --timeout=$TIMEOUT "${args[@]}") \
        || { log "writing the FIPs failed"; return 1; }
    local deadline=$(( $(date +%s) + TIMEOUT )) counts off
    while :; do
        counts=$(ovs-appctl --timeout=120 dpfip/show --json | python3 -c '
import json, sys
fips = [f for b in json.load(sys.stdin)["bridges"] for f in b["fips"]]
print(sum(1 for f in fips if f["where"] == "offloaded"),
      sum(1 for f in fips if f["announcements"] < 1))')
        off=${counts% *}
        [ "$off" = "$n" ] && [ "${counts#* }" = 0 ] && break
        [ "$(date +%s)" -lt "$deadline" ] || { log "only $off of $n offloaded"; return 1; }
        sleep 1
    done
    t1=$(date +%s%3N)
    # The state file is rewritten within 100 ms of a change.
    local rules=-1
    for _ in $(seq 50); do
        rules=$(model rules)
        [ "$(( rules >= 2 * n ))" = 1 ] && break
        sleep 0.1
    done
    local masks peak_masks overlaps
    masks=$(model masks) peak_masks=$(model peak_masks) overlaps=$(model overlaps)

    log "N=$n: all offloaded after $(( t1 - t0 )) ms; idle for $IDLE s"
    local c0 c1 w0 w1
    c0=$(main_ticks) w0=$(main_wakeups)
    sleep "$IDLE"
    c1=$(main_ticks) w1=$(main_wakeups)

    echo "fips.$n: $n"
    echo "representors.$n: $ports"
    echo "seconds_to_offloaded.$n: $(awk -v ms=$(( t1 - t0 )) 'BEGIN { printf "%.1f", ms / 1000 }')"
    echo "rules.$n: $rules"
    echo "rules_per_fip.$n: $(awk -v r="$rules" -v n="$n" 'BEGIN { printf "%.4f", r / n }')"
    echo "masks.$n: $masks"
    echo "peak_masks.$n: $peak_masks"
    echo "overlaps.$n: $overlaps"
    echo "main_thread_cpu_idle_percent.$n: $(awk -v d=$(( c1 - c0 )) -v t="$CLK_TCK" -v s="$IDLE" 'BEGIN { printf "%.2f", 100 * d / t / s }')"
    echo "main_thread_cpu_ticks.$n: $(( c1 - c0 )) in $IDLE s (CLK_TCK $CLK_TCK)"
    echo "main_thread_wakeups_per_second.$n: $(( (w1 - w0) / IDLE ))"
}

# run_one runs in this shell (not in a command substitution), so that the
# traps see $RUN and stop its daemons.
OUT=$(mktemp)
tmp=$(mktemp)
{
    echo "machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); nproc $(nproc); kernel $(uname -r); $(ovs-vswitchd --version | head -1)"
    echo "load: start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "method: DPDK + net_eswitch (mlx5 behaviour); N IPv4 FIPs over ceil(N/$PER_PORT) representors, router 10.0.0.1/24; rules and masks from the model's state file once all N are offloaded and announced; main thread utime+stime from /proc over $IDLE s idle (no traffic)"
} > "$OUT"
prev_n="" prev_r=""
for n in $SIZES; do
    run_one "$n" > "$tmp" || echo "error.$n: failed" >> "$tmp"
    stop_ovs
    for l in $(ip -o link show 2>/dev/null | grep -o 'osb-[a-z0-9]*@' | tr -d @); do
        ip link del "$l" 2>/dev/null
    done
    cat "$tmp" >> "$OUT"
    r=$(sed -n "s/^rules\.$n: //p" "$tmp")
    if [ -n "$prev_n" ] && [ -n "$r" ] && [ -n "$prev_r" ]; then
        echo "marginal_rules_per_fip.$prev_n-$n: $(awk -v a="$prev_r" -v b="$r" -v x="$prev_n" -v y="$n" 'BEGIN { printf "%.4f", (b - a) / (y - x) }')" >> "$OUT"
    fi
    prev_n=$n prev_r=$r
done
echo "load: end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
rm -f "$tmp"
cat "$OUT"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sed "s/^/$stamp offload-scale /" "$OUT" >> "$RESULTS"
if grep -q '^error\.' "$OUT"; then rm -f "$OUT"; exit 1; fi
rm -f "$OUT"
exit 0
