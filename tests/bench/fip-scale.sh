#!/usr/bin/env bash
# fip-scale.sh: dpfip's control plane at scale.  For each N, a fresh
# ovsdb-server + ovs-vswitchd; N floating IPs are written into OVSDB and the
# script measures how long until all N are active (software) or all N are in
# the eSwitch model (offload), the resident memory per FIP, and how long
# dpfip/show takes at that scale (median of 5).  See README.md ("Control
# plane at scale").
#
# Usage: tests/bench/fip-scale.sh [software|offload] [N...]
#        (default: software 1 10000 100000; offload 1000 10000)
#
# In software mode the RSS growth is also measured with dpfip off (the
# same transaction: what OVS itself keeps of it) and the difference printed
# as rss_per_fip_bytes_beyond_baseline.  It also measures, for each N, the
# main thread's CPU while nothing happens and the cost of one change to
# one interface with N FIPs present (p50 / p95 of 20 rounds).  What N
# FIPs add to a change's p50 and p95 is measured against a second switch
# with the smallest N, running beside the first: each round changes one,
# then the other, so that both see the same machine.
#
# Environment (all optional):
#   OVS_BUILD_DIR     OVS build tree (default _build/ovs of this checkout)
#   ESWITCH_PMD       the net_eswitch model (offload; default: built from
#                     dpdk/ into _build/eswitch, copied to /run/dpfip-eswitch
#                     as EAL requires)
#   BENCH_PORTS       VM ports the FIPs are spread over (software: 1000;
#                     offload: ignored, one representor per 1000 FIPs, as
#                     ovs-vsctl refuses an argument over 128 kB)
#   BENCH_RESULTS     file the figures are appended to (tests/bench/results.txt)
#   BENCH_TIMEOUT     limit for one N, s (600)
#   BENCH_KEEP_RUNDIR 1: keep the run dirs (logs, db) for debugging (0)
#   IDLE_SECS         software: how long the idle main thread's CPU is
#                     measured (60)
#   CHANGE_ROUNDS     software: rounds of add / change / remove of one FIP on
#                     one interface while the N FIPs are active (20)
#   BENCH_HOLD        keep each ovs-vswitchd this many seconds after measuring,
#                     for profiling (the log says how to reach it)
#
# Figures go to stdout as "name: value" lines, progress to stderr.
# Exit status: 0 ok, 1 failure.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
MODE=software
case "${1:-}" in software|offload) MODE=$1; shift ;; esac
if [ $# -gt 0 ]; then SIZES="$*"
elif [ "$MODE" = software ]; then SIZES="1 10000 100000"
else SIZES="1000 10000"; fi
MIN_N=$(printf '%s\n' $SIZES | sort -n | head -1)
PORTS=${BENCH_PORTS:-1000}       # offload: one representor per 1000 FIPs
ANNOUNCE_COUNT=5                # dpfip-announce-count (its default)
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results.txt}
TIMEOUT=${BENCH_TIMEOUT:-600}
TOP=$(cd "$BENCH_DIR/../.." && pwd)
B=${OVS_BUILD_DIR:-$TOP/_build/ovs}

log() { printf '%s fip-scale: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$SIZES$PORTS$TIMEOUT" in *[!0-9\ ]*) die "N, BENCH_PORTS and BENCH_TIMEOUT must be integers" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root"
for f in vswitchd/ovs-vswitchd ovsdb/ovsdb-server ovsdb/ovsdb-tool \
         utilities/ovs-vsctl utilities/ovs-appctl; do
    [ -x "$B/$f" ] || die "$B/$f missing (set OVS_BUILD_DIR to a built OVS tree)"
done
SCHEMA=$B/vswitchd/vswitch.ovsschema
[ -f "$SCHEMA" ] || SCHEMA=$(sed -n 's/^abs_top_srcdir = //p' "$B/Makefile")/vswitchd/vswitch.ovsschema
export PATH="$B/utilities:$B/ovsdb:$B/vswitchd:$PATH"
T="timeout $TIMEOUT"

if [ "$MODE" = offload ]; then
    ovs-vswitchd --version | grep -q DPDK || die "ovs-vswitchd is not built with DPDK"
    if [ -z "${ESWITCH_PMD:-}" ]; then
        make -s -C "$TOP/dpdk" BUILD="$TOP/_build/eswitch" >&2 \
            || die "building the eSwitch model failed"
        install -d -m 755 /run/dpfip-eswitch
        install -m 644 "$TOP/_build/eswitch/librte_net_eswitch.so" /run/dpfip-eswitch/
        ESWITCH_PMD=/run/dpfip-eswitch/librte_net_eswitch.so
    fi
    [ -f "$ESWITCH_PMD" ] || die "$ESWITCH_PMD missing"
    # The model keeps its rules in hugepage memory: 10k FIPs are 250k
    # rules, about 1 GB of it.
    HP_ORIG=$(cat /proc/sys/vm/nr_hugepages)
    [ "$HP_ORIG" -ge 2048 ] || echo 2048 > /proc/sys/vm/nr_hugepages
    mount | grep -q 'type hugetlbfs' || { mkdir -p /dev/hugepages; mount -t hugetlbfs none /dev/hugepages; }
fi

RUN=""
REF_RUN=""      # software: the reference switch beside the one measured
# Stops the daemons of the switch in run directory $1 and removes it.
stop_switch() {
    local dir=$1 p pid
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    for p in ovs-vswitchd ovsdb-server; do
        pid=$(cat "$dir/$p.pid" 2>/dev/null) || continue
        timeout 20 ovs-appctl -t "$dir/$p.$pid.ctl" exit $([ $p = ovs-vswitchd ] && echo --cleanup) >/dev/null 2>&1
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$pid" 2>/dev/null
    done
    if [ "${BENCH_KEEP_RUNDIR:-0}" = 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
stop_ovs() {
    stop_switch "$RUN"
    stop_switch "$REF_RUN"
    RUN="" REF_RUN=""
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_ovs
    [ -n "${HP_ORIG:-}" ] && [ "$HP_ORIG" -lt 2048 ] && echo "$HP_ORIG" > /proc/sys/vm/nr_hugepages
    ip link del fsb-up0 2>/dev/null
    for l in $(ip -o link show 2>/dev/null | grep -o 'fsb-rep[0-9]*@' | tr -d @); do
        ip link del "$l" 2>/dev/null
    done
    exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 1' INT TERM

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$RUN/ovs-vswitchd.pid")/status"; }
now_ms() { date +%s%3N; }

# Main-thread CPU of ovs-vswitchd over SECS seconds, in % of one core.
main_thread_cpu() {
    local secs=$1 pid t0 t1 hz
    pid=$(cat "$RUN/ovs-vswitchd.pid")
    hz=$(getconf CLK_TCK)
    t0=$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat")
    sleep "$secs"
    t1=$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat")
    awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" \
        'BEGIN { printf "%.2f", 100 * d / hz / s }'
}

# Waits until each of the N FIPs has sent all its announcements.
wait_announced() {
    local n=$1 deadline=$(( $(date +%s) + 120 )) done_n
    while :; do
        done_n=$(ovs-appctl -t "$CTL" --timeout=120 dpfip/show --json | python3 -c '
import json, sys
show = json.load(sys.stdin)
print(sum(1 for b in show["bridges"] for f in b["fips"]
          if f["announcements"] >= int(sys.argv[1])))' "$ANNOUNCE_COUNT")
        [ "$done_n" = "$n" ] && return 0
        [ "$(date +%s)" -lt "$deadline" ] || { log "announcements not done after 120 s ($done_n of $n)"; return 1; }
        sleep 1
    done
}

# Polls "$@" until it succeeds; prints the time it took, in ms since T0.
until_ok() {
    local t0=$1 deadline=$(( $(date +%s) + 60 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo -1; return 1; }
    done
    echo $(( $(now_ms) - t0 ))
}

# p50 and p95 of the numbers on stdin.
percentiles() {
    sort -n | awk '{ v[NR] = $1 }
        END { if (!NR) { print "- -"; exit }
              i = int(NR * 0.95 + 0.999); if (i > NR) i = NR
              print v[int((NR + 1) / 2)], v[i] }'
}

# One change to one interface (vmb) while N FIPs are active: add a FIP,
# change its fixed address, remove it, CHANGE_ROUNDS times.  For each, the
# time until ovs-vsctl returns (it waits for ovs-vswitchd to apply the
# change), until dpfip/show has it (active / the new fixed address / gone)
# and until dpfip/dump-flows has its rules (both directions / gone); and
# "read": an ovs-vsctl that only reads the column the others edit.
# With a reference switch, each round is also done there, right after, and
# what N adds is the difference between the two.
measure_changes() {
    local n=$1 i op m main=$RUN f="$RUN/changes" p50 p95 r50 r95
    : > "$f"
    for ((i = 0; i < ${CHANGE_ROUNDS:-20}; i++)); do
        change_round "$n" "$f" || return 1
        if [ -n "$REF_RUN" ]; then
            use_switch "$REF_RUN"
            change_round ref "$f" || return 1
            use_switch "$main"
        fi
    done
    grep -q ' -1$' "$f" && { log "a change did not show within 60 s"; return 1; }
    for op in add change remove read; do
        for m in vsctl show rules; do
            [ "$op" = read ] && [ "$m" != vsctl ] && continue
            read -r p50 p95 < <(changes_of "$n" "$f" | percentiles)
            echo "change_${op}_${m}_ms_p50.$n: $p50"
            echo "change_${op}_${m}_ms_p95.$n: $p95"
            [ -n "$REF_RUN" ] || continue
            read -r r50 r95 < <(changes_of ref "$f" | percentiles)
            echo "change_${op}_${m}_ms_p50.${MIN_N}_beside_$n: $r50"
            echo "change_${op}_${m}_ms_p95.${MIN_N}_beside_$n: $r95"
            echo "change_${op}_${m}_ms_p50_added_by_${n}_over_$MIN_N: $((p50 - r50))"
            echo "change_${op}_${m}_ms_p95_added_by_${n}_over_$MIN_N: $((p95 - r95))"
        done
    done
}

# The times of $op/$m changes on switch $1 in file $2.
changes_of() {
    awk -v s="$1" -v o="$op" -v m="$m" '$1 == s && $2 == o && $3 == m { print $4 }' "$2"
}

# One round of measure_changes on the switch in use; lines "LABEL op what
# ms" into file $2.
change_round() {
    local label=$1 f=$2 t0 fip=198.18.0.1
    local show="ovs-appctl -t $CTL dpfip/show br0 $fip"
    local flows="ovs-appctl -t $CTL dpfip/dump-flows br0 $fip"

    t0=$(now_ms)
    ovs-vsctl set Interface vmb other_config:dpfip-fips=$fip=10.255.0.1 || return 1
    echo "$label add vsctl $(( $(now_ms) - t0 ))" >> "$f"
    echo "$label add show $(until_ok $t0 sh -c "$show | grep -q ' active '")" >> "$f"
    echo "$label add rules $(until_ok $t0 sh -c "test \$($flows | grep -c 'fip=$fip') = 2")" >> "$f"

    t0=$(now_ms)
    ovs-vsctl set Interface vmb other_config:dpfip-fips=$fip=10.255.0.2 || return 1
    echo "$label change vsctl $(( $(now_ms) - t0 ))" >> "$f"
    echo "$label change show $(until_ok $t0 sh -c "$show | grep -q ' 10.255.0.2 .* active '")" >> "$f"
    echo "$label change rules $(until_ok $t0 sh -c "$flows | grep -q 'nw_src=10.255.0.2'")" >> "$f"

    t0=$(now_ms)
    ovs-vsctl remove Interface vmb other_config dpfip-fips || return 1
    echo "$label remove vsctl $(( $(now_ms) - t0 ))" >> "$f"
    echo "$label remove show $(until_ok $t0 sh -c "! $show | grep -q '^  $fip '")" >> "$f"
    echo "$label remove rules $(until_ok $t0 sh -c "! $flows | grep -q 'fip=$fip'")" >> "$f"

    # What ovs-vsctl alone pays before it can write: it fetches the
    # column it edits (other_config) of every Interface, where the N FIPs
    # are.  No transaction, no wait for ovs-vswitchd.
    t0=$(now_ms)
    ovs-vsctl --no-wait get Interface vmb other_config > /dev/null || return 1
    echo "$label read vsctl $(( $(now_ms) - t0 ))" >> "$f"
}

# Prints the rules the model holds (fields of the "switch" line of its
# state file, dpdk/README.md).  The model rewrites the file when its
# table or a counter changes, and a rewrite of 250k rules takes a while:
# one packet to the first FIP, sent once every FIP is in, makes the model
# count a hit, and the first file that shows the hit was written after
# the install.
count_rules() {
    local n=$1 sw rules peak deadline=$(( $(date +%s) + 300 ))
    python3 - fsb-up0p <<'PKT' || { log "sending a packet to the model failed"; return 1; }
import socket, struct, sys
def mac(s): return bytes.fromhex(s.replace(":", ""))
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                 socket.inet_aton("198.51.100.1"), socket.inet_aton("100.64.0.0"))
c = sum(struct.unpack("!10H", ip))
c = (c & 0xffff) + (c >> 16)
ip = ip[:10] + struct.pack("!H", ~(c + (c >> 16)) & 0xffff) + ip[12:]
frame = (mac("02:00:00:00:fe:10") + mac("02:00:00:00:fe:01") + b"\x08\x00"
         + ip + struct.pack("!HHHH", 1234, 5000, 8, 0))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(frame)
PKT
    until [ "$(python3 "$TOP/tests/eswitch-hits.py" "$RUN/eswitch.state" \
                   'ipv4_dst=100.64.0.0/32' 2>/dev/null)" -ge 1 ] 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || { log "the model's state file never showed the probe packet"; return 1; }
        sleep 0.5
    done
    sw=$(grep -m1 '^switch ' "$RUN/eswitch.state")
    rules=$(sed -n 's/.* rules=\([0-9]*\) .*/\1/p' <<<"$sw")
    peak=$(sed -n 's/.* peak_rules=\([0-9]*\) .*/\1/p' <<<"$sw")
    [ -n "$rules" ] && [ "$rules" -gt 0 ] || { log "no rules in the model: $sw"; return 1; }
    log "N=$n: the model holds $rules rules (peak $peak)"
    echo "rules.$n: $rules"
    echo "peak_rules.$n: $peak"
    echo "rules_per_fip.$n: $(awk -v r="$rules" -v n="$n" 'BEGIN { printf "%.2f", r / n }')"
}

# FIP number I (0-based), into $pair: 100.64.0.0/10 -> 10.0.0.0/8.
fip_pair() {
    local i=$1
    printf -v pair '100.%d.%d.%d=10.%d.%d.%d' $((64 + i / 65536)) \
        $((i / 256 % 256)) $((i % 256)) $((1 + i / 65536)) \
        $((i / 256 % 256)) $((i % 256))
}

# Fills WRITE_ARGS with one ovs-vsctl transaction that gives port p the
# FIPs p, p + PORTS, p + 2 * PORTS...
build_write_args() {
    local n=$1 p i fips pair
    WRITE_ARGS=()
    WRITE_ARGS_N=$n
    for ((p = 0; p < PORTS; p++)); do
        fips=""
        for ((i = p; i < n; i += PORTS)); do fip_pair $i; fips="$fips,$pair"; done
        [ -n "$fips" ] && WRITE_ARGS+=(-- set Interface "vm$p" "other_config:dpfip-fips=${fips#,}")
    done
}

# Writes N FIPs in one ovs-vsctl, which waits until ovs-vswitchd has
# applied it.  A larger stack limit raises ARG_MAX for the 100k-FIP
# command line.
write_fips() {
    [ "${WRITE_ARGS_N:-}" = "$1" ] || build_write_args "$1"
    (ulimit -s 262144 && exec ovs-vsctl --timeout=$TIMEOUT "${WRITE_ARGS[@]}") \
        || { log "writing the FIPs failed"; return 1; }
}

# Makes ovs-vsctl and ovs-appctl (and $RUN, $CTL) reach the switch whose
# run directory is $1.
use_switch() {
    RUN=$1
    export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN OVS_DBDIR=$RUN OVS_SYSCONFDIR=$RUN
    export DB_SOCK=$RUN/db.sock
    CTL=$RUN/ovs-vswitchd.$(cat "$RUN/ovs-vswitchd.pid").ctl
}

# start_switch N [count]: fresh daemons in a new $RUN with br0 and its
# ports, no FIPs yet (N sizes the offload model).
start_switch() {
    local n=$1 count=${2:-} p state=
    [ "$MODE" = offload ] && PORTS=$(( (n + 999) / 1000 ))
    RUN=$(mktemp -d /tmp/fip-scale.XXXXXX)
    export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN OVS_DBDIR=$RUN OVS_SYSCONFDIR=$RUN
    export DB_SOCK=$RUN/db.sock
    ovsdb-tool create "$RUN/conf.db" "$SCHEMA" || return 1
    ovsdb-server "$RUN/conf.db" --remote="punix:$RUN/db.sock" --detach --no-chdir \
        --pidfile --log-file -vconsole:off 2>>"$RUN/daemons.stderr" || return 1
    ovs-vsctl --no-wait init
    if [ "$MODE" = offload ]; then
        ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
            other_config:dpdk-extra="--no-pci -d $ESWITCH_PMD --file-prefix=fsb$$" \
            other_config:dpdk-socket-mem=3072 other_config:dpfip-enable=true
        ovs-vswitchd --detach --no-chdir --pidfile --log-file -vconsole:off 2>>"$RUN/daemons.stderr" || return 1
    else
        # BASELINE=1: the same switch and transaction with dpfip off, for
        # what OVS itself keeps of the N FIPs' configuration.
        ovs-vsctl --no-wait set Open_vSwitch . \
            other_config:dpfip-enable=$([ -n "${BASELINE:-}" ] && echo false || echo true)
        ovs-vswitchd --enable-dummy=override --disable-system --detach --no-chdir \
            --pidfile --log-file -vconsole:off 2>>"$RUN/daemons.stderr" || return 1
    fi
    use_switch "$RUN"

    local br_args=(-- add-br br0 -- set Bridge br0
                   other_config:dpfip-uplink=up0
                   other_config:dpfip-gateway=100.127.255.254
                   other_config:dpfip-gateway-mac=02:00:00:00:fe:01
                   other_config:dpfip-external-mac=02:00:00:00:fe:10
                   other_config:dpfip-router=10.0.0.1/24
                   other_config:dpfip-router-mac=02:00:00:00:01:01
                   other_config:dpfip-announce-count=$ANNOUNCE_COUNT)
    if [ "$MODE" = offload ]; then
        ip link del fsb-up0 2>/dev/null
        ip link add fsb-up0 type veth peer name fsb-up0p || return 1
        ip link set fsb-up0 up; ip link set fsb-up0p up
        # Room for every rule (25 per FIP with the /24 as the provider
        # builds them today; the counting run counts them).
        [ -n "$count" ] && state=",state-file=$RUN/eswitch.state"
        local ports=(-- add-port br0 up0 -- set Interface up0 type=dpdk
                     "options:dpdk-devargs=net_eswitch_up0,iface=fsb-up0,switch=fsb,role=uplink,capacity=$((n * 50 + 1000))$state")
        for ((p = 0; p < PORTS; p++)); do
            ip link del fsb-rep$p 2>/dev/null
            ip link add fsb-rep$p type veth peer name fsb-rep${p}p || return 1
            ip link set fsb-rep$p up; ip link set fsb-rep${p}p up
            ports+=(-- add-port br0 "vm$p" -- set Interface "vm$p" type=dpdk
                    "options:dpdk-devargs=net_eswitch_rep$p,iface=fsb-rep$p,switch=fsb,representor=vf$p"
                    "external_ids:attached-mac=02:00:00:00:$(printf '%02x' $p):05")
        done
        ovs-vsctl --timeout=120 "${br_args[@]}" datapath_type=netdev "${ports[@]}" || return 1
    else
        # vmb: the interface whose FIPs the change benchmark edits.
        local ports=(-- add-port br0 up0 -- set Interface up0 type=dummy
                     -- add-port br0 vmb -- set Interface vmb type=dummy
                     "external_ids:attached-mac=02:00:00:ff:ff:05")
        for ((p = 0; p < PORTS; p++)); do
            ports+=(-- add-port br0 "vm$p" -- set Interface "vm$p" type=dummy
                    "external_ids:attached-mac=02:00:00:$(printf '%02x:%02x' $((p / 256)) $((p % 256))):05")
        done
        ovs-vsctl --timeout=120 "${br_args[@]}" datapath_type=dummy "${ports[@]}" || return 1
    fi
}

# run_one N [count]: the figures of N FIPs; with "count" (offload), only
# the number of rules in the model instead, read from its state file.
# The model rewrites that file (every 100 ms while its table changes)
# holding the table's lock, which slowed a 10k-FIP install 7-fold here:
# it is on only in the counting run, never in the timed one.
run_one() {
    local n=$1 count=${2:-} t0 t1 rss0 rss1 active show_ms showj_ms
    start_switch "$n" "$count" || return 1
    rss0=$(rss_kb)

    # The arguments (bash, several seconds for 100k) before the clock.
    build_write_args "$n"
    log "N=$n ($MODE): writing $n FIPs over $PORTS port(s), one transaction"
    t0=$(now_ms)
    write_fips "$n" || return 1
    t1=$(now_ms)
    if [ "$MODE" = offload ]; then
        # Hardware installs are queued (at most 256 FIPs per main loop
        # pass): wait for the queue to drain, which ovs-vswitchd logs.
        local deadline=$(( $(date +%s) + TIMEOUT ))
        until grep -q 'offload queue drained' "$RUN/ovs-vswitchd.log"; do
            [ "$(date +%s)" -lt "$deadline" ] || { log "offload queue did not drain"; return 1; }
            sleep 0.2
        done
        t1=$(date -d "$(sed -n 's/^\([0-9-]*T[0-9:.]*Z\)|.*offload queue drained.*/\1/p' \
                        "$RUN/ovs-vswitchd.log" | tail -1)" +%s%3N)
    fi
    rss1=$(rss_kb)
    if [ -n "${BASELINE:-}" ]; then
        echo "rss_per_fip_bytes_baseline.$n: $(( (rss1 - rss0) * 1024 / n ))"
        return
    fi

    local where=active field=state
    [ "$MODE" = offload ] && { where=offloaded; field=where; }
    # dpfip/show right away, while ovs-vswitchd still sends the FIPs'
    # announcements (3 per FIP over 3 s) ...
    local s0 busy_ms; s0=$(now_ms)
    ovs-appctl -t "$CTL" --timeout=120 dpfip/show > "$RUN/show.txt" || return 1
    busy_ms=$(( $(now_ms) - s0 ))
    # ... and once they are all out: the steady state an operator meets.
    local deadline=$(( $(date +%s) + 120 )) counts
    while :; do
        ovs-appctl -t "$CTL" --timeout=120 dpfip/show --json > "$RUN/show.json" || return 1
        counts=$(python3 -c '
import json, sys
show = json.load(open(sys.argv[1]))
fips = [f for b in show["bridges"] for f in b["fips"]]
print(sum(1 for f in fips if f[sys.argv[2]] == sys.argv[3]),
      sum(1 for f in fips if f["announcements"] < 3))' "$RUN/show.json" "$field" "$where")
        active=${counts% *}
        [ "${counts#* }" = 0 ] && break
        [ "$(date +%s)" -lt "$deadline" ] || { log "announcements still running after 120 s"; return 1; }
        sleep 1
    done
    [ "$active" = "$n" ] || { log "only $active of $n FIPs are $where"; return 1; }
    if [ -n "$count" ]; then
        count_rules "$n"
        return
    fi
    # One dpfip/show is one sample of a noisy machine: the median of 5.
    local i raw_show= raw_showj=
    for i in 1 2 3 4 5; do
        s0=$(now_ms)
        ovs-appctl -t "$CTL" --timeout=120 dpfip/show > "$RUN/show.txt" || return 1
        raw_show="$raw_show $(( $(now_ms) - s0 ))"
        s0=$(now_ms)
        ovs-appctl -t "$CTL" --timeout=120 dpfip/show --json > "$RUN/show.json" || return 1
        raw_showj="$raw_showj $(( $(now_ms) - s0 ))"
    done
    show_ms=$(echo $raw_show | tr ' ' '\n' | sort -n | sed -n 3p)
    showj_ms=$(echo $raw_showj | tr ' ' '\n' | sort -n | sed -n 3p)

    local secs=$(( t1 - t0 ))
    echo "fips_${where}_seconds.$n: $(awk -v ms=$secs 'BEGIN { printf "%.2f", ms / 1000 }')"
    echo "rss_per_fip_bytes.$n: $(( (rss1 - rss0) * 1024 / n ))"
    echo "show_seconds.$n: $(awk -v ms=$show_ms 'BEGIN { printf "%.2f", ms / 1000 }')"
    echo "show_json_seconds.$n: $(awk -v ms=$showj_ms 'BEGIN { printf "%.2f", ms / 1000 }')"
    echo "show_while_announcing_seconds.$n: $(awk -v ms=$busy_ms 'BEGIN { printf "%.2f", ms / 1000 }')"
    echo "show_raw_ms.$n:$raw_show"
    echo "show_json_raw_ms.$n:$raw_showj"
    if [ "$MODE" = offload ]; then
        echo "fips_per_second.$n: $(( n * 1000 / (secs > 0 ? secs : 1) ))"
        echo "install_ms.$n: $secs"
    fi
    log "N=$n: $active $where after $secs ms; RSS $rss0 -> $rss1 kB; dpfip/show $show_ms ms, --json $showj_ms ms"
    if [ "$MODE" = software ]; then
        # Idle means after the last announcement (with backoff, the 5th
        # goes out about 15 s after the FIP became active).
        # The reference switch, with the smallest N, runs beside this one
        # so that the changes are measured on both, alternately, on the
        # same machine state: the smallest N's own run is minutes away.
        # Started only now, so that it disturbs none of the figures above.
        if [ "$n" -gt "$MIN_N" ]; then
            local main=$RUN
            log "N=$n: a reference switch with $MIN_N FIP(s) beside it"
            start_switch "$MIN_N" && write_fips "$MIN_N" || return 1
            REF_RUN=$RUN
            wait_announced "$MIN_N" || return 1
            use_switch "$main"
        fi
        wait_announced "$n" || return 1
        log "N=$n: main thread CPU over ${IDLE_SECS:-60} s with nothing to do"
        echo "idle_main_thread_cpu_percent.$n: $(main_thread_cpu ${IDLE_SECS:-60})"
        log "N=$n: one change to one interface, ${CHANGE_ROUNDS:-20} times"
        measure_changes "$n" || return 1
    fi
    if [ -n "${BENCH_HOLD:-}" ]; then
        log "holding for $BENCH_HOLD s: ovs-appctl -t $CTL ..."
        sleep "$BENCH_HOLD"
    fi
}

if [ "$MODE" = offload ]; then
    METHOD="offload; DPDK + net_eswitch model (rte_flow transfer rules); N FIPs over one representor per 1000; time from the first ovs-vsctl to the 'offload queue drained' log line of ovs-vswitchd; RSS of ovs-vswitchd (the model's rules live in hugepages, not counted); rules counted from the model's state file in a second run of the same N (the state file slows the install down, so it is off in the timed run); rules_per_second = counted rules / install time"
else
    METHOD="software; netdev-dummy datapath; N FIPs over $PORTS VM ports, written in one ovs-vsctl transaction; time until ovs-vswitchd applied it (all N active, checked with dpfip/show --json); RSS growth of ovs-vswitchd"
fi
OUT=$(
    echo "machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); nproc $(nproc); kernel $(uname -r); $(ovs-vswitchd --version | head -1)"
    echo "method: $METHOD"
    for n in $SIZES; do
        out=/tmp/fip-scale.$$.out
        run_one "$n" > "$out" || echo "error.$MODE.$n: failed"
        stop_ovs
        if [ "$MODE" = offload ]; then
            run_one "$n" count >> "$out" || echo "error.$MODE.$n: counting the rules failed"
            stop_ovs
            ms=$(sed -n "s/^install_ms.$n: //p" "$out")
            rules=$(sed -n "s/^rules.$n: //p" "$out")
            if [ -n "$ms" ] && [ -n "$rules" ]; then
                echo "rules_per_second.$n: $(( rules * 1000 / (ms > 0 ? ms : 1) ))" >> "$out"
            fi
        fi
        if [ "$MODE" = software ] && [ "$n" -gt 1 ]; then
            BASELINE=1 run_one "$n" >> "$out" \
                || echo "error.$MODE.$n: the baseline run failed"
            stop_ovs
            all=$(sed -n "s/^rss_per_fip_bytes.$n: //p" "$out")
            base=$(sed -n "s/^rss_per_fip_bytes_baseline.$n: //p" "$out")
            if [ -n "$all" ] && [ -n "$base" ]; then
                echo "rss_per_fip_bytes_beyond_baseline.$n: $(( all - base ))" >> "$out"
            fi
        fi
        grep -v '^install_ms\.' "$out" | sed "s/^/$MODE./"
        rm -f "$out"
    done
)
echo "$OUT"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "$OUT" | sed "s/^/$stamp fip-scale /" >> "$RESULTS"
grep -q '^error\.' <<<"$OUT" && exit 1
exit 0
