#!/usr/bin/env bash
# pkt-cost.sh: per-packet cost of the OVS userspace (DPDK) datapath for several
# flow configurations, measured side by side in one run.  See README.md.
#
# Usage: tests/bench/pkt-cost.sh [CONFIG...]
#        (default: output setfield ctnat dpfip dpfip-generic)
#
# Environment (all optional):
#   OVS_BUILD_DIR     OVS build tree (default _build/ovs of this checkout)
#   BENCH_WINDOW      measurement window per configuration and round, s (8)
#   BENCH_ROUNDS      rounds; configurations are interleaved in each round (3)
#   BENCH_WARMUP      warm-up after installing a configuration, s (2)
#   BENCH_FIRST_WARMUP extra warm-up before the very first measurement, s (5)
#   BENCH_SETTLE_MAX  longest wait for a configuration to start forwarding, s (10)
#   BENCH_PMD_MASK    pmd-cpu-mask (0x2: one PMD on CPU 1)
#   BENCH_HUGEPAGES   2 MB hugepages to make sure exist (512)
#   BENCH_FLOWS       distinct 5-tuples in the pcap (1000)
#   BENCH_FAMILY      ipv4 or ipv6: the traffic and the addresses (ipv4)
#   BENCH_PERF        1: after the rounds, profile each configuration's PMD
#                     thread for one more window (perf, cpu-clock) (0)
#   BENCH_PKT_DST_MAC destination MAC of the generated frames (EXT_MAC)
#   BENCH_NETNS       1: run ovs-vswitchd in a private network namespace (1)
#   BENCH_FLOWS_DIR   where <config>.flows/.setup/.teardown live (tests/bench/flows)
#   BENCH_RESULTS     file the figures are appended to (tests/bench/results.txt)
#   BENCH_MAX_SECONDS hard limit for the whole run (computed from the above)
#   BENCH_KEEP_RUNDIR 1: keep the run dir (logs, db, pcap) for debugging (0)
#
# Figures go to stdout as "name: value" lines, progress to stderr.
# Exit status: 0 ok, 1 failure, 2 nothing could be measured.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
FLOWS_DIR=${BENCH_FLOWS_DIR:-$BENCH_DIR/flows}

WINDOW=${BENCH_WINDOW:-8}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
FIRST_WARMUP=${BENCH_FIRST_WARMUP:-5}
SETTLE_MAX=${BENCH_SETTLE_MAX:-10}
PMD_MASK=${BENCH_PMD_MASK:-0x2}
HUGEPAGES=${BENCH_HUGEPAGES:-512}
NFLOWS=${BENCH_FLOWS:-1000}
USE_NETNS=${BENCH_NETNS:-1}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results.txt}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ $# -gt 0 ]; then CONFIGS="$*"; else CONFIGS="output setfield ctnat dpfip dpfip-generic"; fi
FAMILY=${BENCH_FAMILY:-ipv4}
PERF=${BENCH_PERF:-0}

# Addresses used by the flow files and the dpfip setup (placeholders @NAME@).
BRIDGE=pkb$$                  # unique: the bridge's internal port is a tap
SRC_NAME=pkt-src
SINK_NAME=pkt-sink
case $FAMILY in
ipv4)
    FIP=203.0.113.10 FIXED=10.0.0.5 ROUTER_IP=10.0.0.1 ROUTER_PLEN=24
    GW_IP=203.0.113.1 IP=ip DST_FIELD=nw_dst NAT_FIXED=10.0.0.5 ;;
ipv6)
    FIP=2001:db8:f::10 FIXED=fd00::5 ROUTER_IP=fd00::1 ROUTER_PLEN=64
    GW_IP=2001:db8::1 IP=ipv6 DST_FIELD=ipv6_dst NAT_FIXED="[fd00::5]" ;;
*)
    echo "BENCH_FAMILY must be ipv4 or ipv6" >&2; exit 1 ;;
esac
ROUTER_MAC=02:00:00:00:01:01
VM_MAC=02:00:00:00:00:05
GW_MAC=02:00:00:00:fe:01
EXT_MAC=02:00:00:00:fe:10      # the router's MAC on the uplink (answers ARP for the FIP)
PKT_DST_MAC=${BENCH_PKT_DST_MAC:-$EXT_MAC}

log() { printf '%s pkt-cost: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$WINDOW$ROUNDS$WARMUP$FIRST_WARMUP$SETTLE_MAX$HUGEPAGES$NFLOWS" in
    *[!0-9]*) die "BENCH_WINDOW/ROUNDS/WARMUP/SETTLE_MAX/HUGEPAGES/FLOWS must be integers" ;;
esac
[ "$ROUNDS" -ge 1 ] && [ "$WINDOW" -ge 1 ] || die "need BENCH_ROUNDS >= 1 and BENCH_WINDOW >= 1"
[ "$(id -u)" = 0 ] || die "must run as root (hugepages, DPDK)"
if [ "$PERF" = 1 ]; then command -v perf >/dev/null || die "BENCH_PERF=1 needs perf"; fi

# --- the OVS build ----------------------------------------------------------
B=${OVS_BUILD_DIR:-$(cd "$BENCH_DIR/../.." && pwd)/_build/ovs}
for f in vswitchd/ovs-vswitchd ovsdb/ovsdb-server ovsdb/ovsdb-tool \
         utilities/ovs-vsctl utilities/ovs-ofctl utilities/ovs-appctl; do
    [ -x "$B/$f" ] || die "$B/$f missing (set OVS_BUILD_DIR to a built OVS tree)"
done
SCHEMA=$B/vswitchd/vswitch.ovsschema
if [ ! -f "$SCHEMA" ]; then   # out-of-tree build: the schema is in the sources
    src=$(sed -n 's/^abs_top_srcdir = //p' "$B/Makefile" 2>/dev/null)
    SCHEMA=$src/vswitchd/vswitch.ovsschema
fi
[ -f "$SCHEMA" ] || die "vswitch.ovsschema not found in $B or its source tree"
# The setup/teardown fragments call ovs-vsctl & co. by name: use the build's.
export PATH="$B/utilities:$B/ovsdb:$B/vswitchd:$PATH"

"$B/vswitchd/ovs-vswitchd" --version 2>/dev/null | grep -q DPDK \
    || die "$B/vswitchd/ovs-vswitchd is not built with DPDK"

# --- bounded time -------------------------------------------------------------
n_cfg=$(echo "$CONFIGS" | wc -w)
MAX_SECONDS=${BENCH_MAX_SECONDS:-$((120 + FIRST_WARMUP + (ROUNDS + PERF) * n_cfg * (WINDOW + WARMUP + SETTLE_MAX + 15)))}
T="timeout 30"                 # every single OVS command is bounded too

# --- cleanup ------------------------------------------------------------------
RUN=""; WATCHDOG=""; HP_ORIG=""; HP_MOUNTED=0; DPDK_PREFIX=pkt_cost_$$
DPDK_DIR_EXISTED=0; [ -d /var/run/dpdk ] && DPDK_DIR_EXISTED=1
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    set +e
    if [ -n "$RUN" ] && [ -d "$RUN" ]; then
        [ -f "$RUN/ovs-vswitchd.pid" ] && $T ovs-appctl --timeout=10 -t ovs-vswitchd exit --cleanup >/dev/null 2>&1
        [ -f "$RUN/ovsdb-server.pid" ] && $T ovs-appctl --timeout=10 -t ovsdb-server exit >/dev/null 2>&1
        for p in ovs-vswitchd ovsdb-server; do
            pid=$(cat "$RUN/$p.pid" 2>/dev/null) || continue
            for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            if kill -0 "$pid" 2>/dev/null; then
                log "killing $p ($pid)"; kill -KILL "$pid" 2>/dev/null
            fi
        done
        if [ "${BENCH_KEEP_RUNDIR:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
    fi
    rm -rf "/var/run/dpdk/$DPDK_PREFIX"
    [ "$DPDK_DIR_EXISTED" = 1 ] || rmdir /var/run/dpdk 2>/dev/null
    # Undo the hugepage setup only if nobody else (another DPDK user) holds
    # hugepages now: they may rely on the pages or the mount.
    if [ -n "$HP_ORIG" ] || [ "$HP_MOUNTED" = 1 ]; then
        if awk '/^HugePages_Total:/ { t = $2 } /^HugePages_Free:/ { f = $2 }
                END { exit !(t == f) }' /proc/meminfo; then
            [ "$HP_MOUNTED" = 1 ] && umount /dev/hugepages 2>/dev/null
            [ -n "$HP_ORIG" ] && echo "$HP_ORIG" > /proc/sys/vm/nr_hugepages
        else
            log "hugepages in use by another process: leaving nr_hugepages" \
                "($(cat /proc/sys/vm/nr_hugepages)) and the /dev/hugepages mount as they are"
        fi
    fi
    [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
    exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 1' INT TERM
(
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$MAX_SECONDS" & sp=$!; wait "$sp"
    log "time limit ${MAX_SECONDS}s reached"; kill -TERM $$
) &
WATCHDOG=$!

# --- hugepages ----------------------------------------------------------------
cur=$(cat /proc/sys/vm/nr_hugepages)
if [ "$cur" -lt "$HUGEPAGES" ]; then
    HP_ORIG=$cur
    echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages
    got=$(cat /proc/sys/vm/nr_hugepages)
    [ "$got" -ge 256 ] || die "only $got hugepages could be reserved"
fi
if ! mount -t hugetlbfs | grep -q ' /dev/hugepages '; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages || die "cannot mount hugetlbfs on /dev/hugepages"
    HP_MOUNTED=1
fi

# --- private OVS run dir --------------------------------------------------------
# Not under a world-writable dir's direct control: DPDK refuses such paths.
RUN=$(mktemp -d /var/tmp/pkt-cost.XXXXXX) || die "mktemp failed"
chmod 0755 "$RUN"
export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN OVS_DBDIR=$RUN OVS_SYSCONFDIR=$RUN OVS_PKGDATADIR=$RUN
PCAP=$RUN/traffic.pcap

python3 "$BENCH_DIR/gen-pcap.py" "$PCAP" --flows "$NFLOWS" --src-mac "$GW_MAC" \
    --dst-mac "$PKT_DST_MAC" --dst-ip "$FIP" || die "pcap generation failed"

log "OVS build $B, run dir $RUN, configs: $CONFIGS, ${ROUNDS}x${WINDOW}s, limit ${MAX_SECONDS}s"
$T ovsdb-tool create "$RUN/conf.db" "$SCHEMA" || die "ovsdb-tool create failed"
$T ovsdb-server "$RUN/conf.db" --remote="punix:$RUN/db.sock" --detach --no-chdir \
    --pidfile --log-file -vconsole:off || die "ovsdb-server failed to start"
vsctl() { $T ovs-vsctl --timeout=20 "$@"; }
vsctl --no-wait init || die "ovs-vsctl init failed"
vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
    other_config:pmd-cpu-mask="$PMD_MASK" \
    other_config:dpdk-extra="--no-pci --file-prefix=$DPDK_PREFIX --huge-unlink" \
    || die "ovs-vsctl set failed"

NETNS=""
[ "$USE_NETNS" = 1 ] && NETNS="unshare --net --"
$T $NETNS ovs-vswitchd --detach --no-chdir --pidfile --log-file -vconsole:off \
    || die "ovs-vswitchd failed to start (see $RUN/ovs-vswitchd.log)"
ok=0
for _ in $(seq 1 60); do
    if [ "$(vsctl get Open_vSwitch . dpdk_initialized 2>/dev/null)" = true ]; then ok=1; break; fi
    sleep 0.5
done
[ "$ok" = 1 ] || { tail -20 "$RUN/ovs-vswitchd.log" >&2; die "DPDK did not initialize"; }

vsctl add-br "$BRIDGE" -- set Bridge "$BRIDGE" datapath_type=netdev fail-mode=secure \
    -- add-port "$BRIDGE" "$SRC_NAME" -- set Interface "$SRC_NAME" type=dpdk ofport_request=1 \
       options:dpdk-devargs="net_pcap0,rx_pcap=$PCAP,infinite_rx=1" \
    -- add-port "$BRIDGE" "$SINK_NAME" -- set Interface "$SINK_NAME" type=dpdk ofport_request=2 \
       options:dpdk-devargs="net_null0,no-rx=1" \
    || { tail -20 "$RUN/ovs-vswitchd.log" >&2; die "bridge setup failed"; }
SRC=$(vsctl get Interface "$SRC_NAME" ofport)
SINK=$(vsctl get Interface "$SINK_NAME" ofport)
if ! [ "$SRC" -gt 0 ] 2>/dev/null || ! [ "$SINK" -gt 0 ] 2>/dev/null; then
    vsctl list Interface >&2; tail -20 "$RUN/ovs-vswitchd.log" >&2
    die "DPDK ports did not come up (ofports '$SRC' '$SINK')"
fi
VSW_PID=$(cat "$RUN/ovs-vswitchd.pid")
export BRIDGE SRC_NAME SINK_NAME SRC SINK FIP FIXED ROUTER_IP ROUTER_PLEN ROUTER_MAC VM_MAC GW_IP GW_MAC EXT_MAC FAMILY

# --- helpers ----------------------------------------------------------------------
subst() {   # replace @NAME@ placeholders, drop comments and blank lines
    sed -e "s/@SRC@/$SRC/g; s/@SINK@/$SINK/g; s/@SRC_NAME@/$SRC_NAME/g" \
        -e "s/@SINK_NAME@/$SINK_NAME/g; s/@BRIDGE@/$BRIDGE/g; s/@FIP@/$FIP/g" \
        -e "s/@FIXED@/$FIXED/g; s/@ROUTER_IP@/$ROUTER_IP/g; s/@ROUTER_MAC@/$ROUTER_MAC/g" \
        -e "s/@VM_MAC@/$VM_MAC/g; s/@GW_IP@/$GW_IP/g; s/@GW_MAC@/$GW_MAC/g" \
        -e "s/@EXT_MAC@/$EXT_MAC/g; s/@IP@/$IP/g; s/@DST_FIELD@/$DST_FIELD/g" \
        -e "s/@NAT_FIXED@/$NAT_FIXED/g" "$@"
}
sink_tx() {
    $T ovs-ofctl dump-ports "$BRIDGE" "$SINK" 2>/dev/null \
        | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p' | head -1
}
pmd_field() {   # pmd_field TEXT LABEL: first number after "LABEL:" in the PMD section
    printf '%s\n' "$1" | awk -v l="$2:" '
        /^pmd thread/ { pmd = 1; next }
        /^main thread/ { pmd = 0 }
        pmd && index($0, l) { sub(".*" l "[ \t]*", ""); split($0, a, " "); print a[1]; exit }'
}
run_hook() {    # run_hook CONFIG setup|teardown
    local f=$FLOWS_DIR/$1.$2
    [ -f "$f" ] || return 0
    # A separate shell, so that -e holds (it is ignored in a "|| list").
    bash -e "$f" >&2 || { log "$1: $2 hook failed"; return 1; }
}
CURRENT=""
leave_config() {
    [ -n "$CURRENT" ] || return 0
    run_hook "$CURRENT" teardown
    $T ovs-ofctl del-flows "$BRIDGE" || die "del-flows failed"
    $T ovs-appctl --timeout=10 dpctl/flush-conntrack >/dev/null 2>&1
    CURRENT=""
}
enter_config() {    # installs configuration $1 and waits until it forwards
    local c=$1 flows before after i
    leave_config
    CURRENT=$c
    run_hook "$c" setup || return 1
    flows=$(subst "$FLOWS_DIR/$c.flows" | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$')
    if [ -n "$flows" ]; then
        printf '%s\n' "$flows" | $T ovs-ofctl add-flows "$BRIDGE" - \
            || { log "$c: add-flows failed"; return 1; }
    fi
    $T ovs-appctl --timeout=10 dpctl/del-flows >/dev/null 2>&1  # no stale megaflows
    for i in $(seq 1 $((SETTLE_MAX * 2))); do
        before=$(sink_tx); sleep 0.5; after=$(sink_tx)
        [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] && break
    done
    sleep "$WARMUP"
    if [ -n "$FIRST_WARMUP" ]; then   # vswitchd just started: settle once
        sleep "$FIRST_WARMUP"; FIRST_WARMUP=""
    fi
}
pmd_runq_ns() { # time the PMD thread(s) spent runnable but not running, ns
    local t sum=0 comm st
    for t in /proc/"$VSW_PID"/task/*; do
        read -r comm <"$t/comm" 2>/dev/null || continue
        case $comm in pmd*) ;; *) continue ;; esac
        read -r st <"$t/schedstat" 2>/dev/null || continue
        set -- $st; sum=$((sum + $2))
    done
    echo "$sum"
}
other_cpus_stat() {  # "busy total" jiffies summed over the CPUs without a PMD
    awk -v mask="$((PMD_MASK))" '
        /^cpu[0-9]/ { n = substr($1, 4) + 0
                      if (int(mask / 2 ^ n) % 2) next
                      t = 0; for (i = 2; i <= NF; i++) t += $i
                      busy += t - $5 - $6; tot += t }
        END { print busy + 0, tot + 0 }' /proc/stat
}
measure() {     # prints "cycles_per_packet delivered_fraction pmd_wait_% other_busy_%"
    local before after stats cyc pk q0 q1 t0 t1 o0 o1
    $T ovs-appctl --timeout=10 dpif-netdev/pmd-stats-clear >/dev/null || return 1
    q0=$(pmd_runq_ns); t0=$(date +%s%N); o0=$(other_cpus_stat)
    before=$(sink_tx)
    sleep "$WINDOW"
    stats=$($T ovs-appctl --timeout=10 dpif-netdev/pmd-stats-show) || return 1
    q1=$(pmd_runq_ns); t1=$(date +%s%N); o1=$(other_cpus_stat)
    after=$(sink_tx)
    cyc=$(pmd_field "$stats" "avg processing cycles per packet")
    pk=$(pmd_field "$stats" "packets received")
    [ -n "$cyc" ] && [ -n "$pk" ] && [ "$pk" -gt 0 ] || { printf '%s\n' "$stats" >&2; return 1; }
    awk -v c="$cyc" -v p="$pk" -v b="${before:-0}" -v a="${after:-0}" \
        -v q="$((q1 - q0))" -v t="$((t1 - t0))" -v o0="$o0" -v o1="$o1" \
        'BEGIN { split(o0, x, " "); split(o1, y, " "); ot = y[2] - x[2]
                 printf "%.1f %.2f %.1f %.0f\n", c, (a - b) / p, 100 * q / t,
                        (ot > 0 ? 100 * (y[1] - x[1]) / ot : 0) }'
}

# --- which configurations can run ---------------------------------------------------
RUNNABLE=""; SKIPPED=""
for c in $CONFIGS; do
    if [ ! -f "$FLOWS_DIR/$c.flows" ]; then
        die "no flow file $FLOWS_DIR/$c.flows"
    fi
    ok=1
    while read -r act; do
        [ -n "$act" ] || continue
        if ! ovs-ofctl parse-flow "in_port=1,actions=$act" >/dev/null 2>&1; then
            name=${act%%(*}
            SKIPPED="$SKIPPED$c: skipped (this OVS has no $name action)"$'\n'
            ok=0
        fi
    done < <(subst "$FLOWS_DIR/$c.flows" | sed -n 's/^#[[:space:]]*requires-action:[[:space:]]*//p')
    [ "$ok" = 1 ] && RUNNABLE="$RUNNABLE $c"
done
[ -n "$SKIPPED" ] && printf '%s' "$SKIPPED" >&2
set -- $RUNNABLE
[ $# -gt 0 ] || { log "no configuration can run"; exit 2; }

# --- measurement rounds, configurations interleaved (rotated each round) -----------
declare -A VALS DELIV STOLEN OBUSY
for r in $(seq 1 "$ROUNDS"); do
    n=$#
    for k in $(seq 0 $((n - 1))); do
        idx=$(( (k + r - 1) % n + 1 ))
        c=${!idx}
        if ! enter_config "$c"; then
            log "round $r $c: could not install"; leave_config; continue
        fi
        if res=$(measure); then
            read -r cyc del stolen obusy <<<"$res"
            VALS[$c]="${VALS[$c]:-} $cyc"
            DELIV[$c]="${DELIV[$c]:-} $del"
            STOLEN[$c]="${STOLEN[$c]:-} $stolen"
            OBUSY[$c]="${OBUSY[$c]:-} $obusy"
            log "round $r $c: $cyc cycles/packet, delivered $del, PMD waited for its CPU ${stolen}%, other CPUs busy ${obusy}%"
        else
            log "round $r $c: measurement failed"
        fi
    done
done
leave_config

# --- profiles (BENCH_PERF=1): where each configuration's cycles go --------------
# The rewrite: the fused action, or the masked sets and their checksum
# updates, and the action loop around them.  Classification: packet parsing
# and the EMC/SMC/megaflow (or simple-match) lookups.  Inlined helpers count
# with their caller, so both are estimates.
REWRITE_RE='^(odp_dpfip_|update_l4_csum|rewrite_ipv|rewrite_eth|csum_|recalc_csum|packet_set_ipv|packet_update_csum|packet_rh_present|action_set_masked|odp_execute_masked|odp_set_|odp_eth_set|odp_execute_actions|pkt_metadata_init_conn)'
CLASSIFY_RE='^(miniflow_extract|parse_ipv6_ext_hdrs|dp_netdev_input__|__memcmp|dfc_|emc_|smc_|dpcls_|cmap_find|dp_netdev_simple_match|miniflow_hash|parse_tcp_flags|lookup_)'
PROFILED=""
pmd_tids() {
    local t comm
    for t in /proc/"$VSW_PID"/task/*; do
        read -r comm <"$t/comm" 2>/dev/null || continue
        case $comm in pmd*) printf '%s,' "${t##*/}" ;; esac
    done
}
if [ "$PERF" = 1 ]; then
    tids=$(pmd_tids); tids=${tids%,}
    for c in $RUNNABLE; do
        enter_config "$c" || { log "profile $c: could not install"; leave_config; continue; }
        # cpu-clock: a timer, so it works where no hardware counter is exposed.
        if perf record -q -e cpu-clock -F 2999 -t "$tids" -o "$RUN/perf.$c" \
                -- sleep "$WINDOW" >/dev/null 2>&1; then
            # "PCT SYMBOL" lines, all of them.
            perf report -q -i "$RUN/perf.$c" --stdio --no-children \
                --sort symbol 2>/dev/null \
                | awk 'NF && $1 ~ /%$/ { sub(/%$/, "", $1); print $1, $3 }' \
                > "$RUN/profile.$c"
            PROFILED="${PROFILED:-} $c"
        else
            log "profile $c: perf record failed"
        fi
    done
    leave_config
fi

# --- report ----------------------------------------------------------------------------
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit; m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f%%\n", 100 * (v[NR] - v[1]) / m }'; }

model=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
ovsver=$("$B/vswitchd/ovs-vswitchd" --version | tr '\n' ' ' | sed 's/ovs-vswitchd (Open vSwitch) /OVS /; s/ *$//')
OUT=$(
    echo "machine: ${model:-unknown}; nproc $(nproc); kernel $(uname -r); $ovsver; build $B"
    echo "load: start $LOAD_START, end $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min loadavg)"
    if [ "$FAMILY" = ipv6 ]; then fl="78B UDP/IPv6"; else fl="64B UDP/IPv4"; fi
    echo "method: $fl, $NFLOWS 5-tuples, 1 PMD (mask $PMD_MASK), window ${WINDOW}s, $ROUNDS rounds, median"
    printf '%s' "$SKIPPED"
    MED=""
    for c in $RUNNABLE; do
        m=$(echo "${VALS[$c]:-}" | median)
        if [ -z "$m" ]; then echo "$c: no measurement"; continue; fi
        printf 'cycles_per_packet.%s: %.1f\n' "$c" "$m"
        echo "raw.$c:${VALS[$c]}"
        echo "spread.$c: $(echo "${VALS[$c]}" | spread)"
        printf 'min.%s: %.1f\n' "$c" "$(echo "${VALS[$c]}" | tr ' ' '\n' | grep . | sort -g | head -1)"
        printf 'delivered.%s: %.2f\n' "$c" "$(echo "${DELIV[$c]}" | median)"
        echo "pmd_cpu_wait.$c: $(echo "${STOLEN[$c]}" | median)%"
        echo "other_cpus_busy.$c: $(echo "${OBUSY[$c]}" | median)%"
        awk -v w="$(echo "${STOLEN[$c]}" | median)" 'BEGIN { exit !(w > 2) }' \
            && echo "warning.$c: the PMD waited for its CPU (other load on it): cycles inflated"
        awk -v w="$(echo "${OBUSY[$c]}" | median)" 'BEGIN { exit !(w > 25) }' \
            && echo "warning.$c: other CPUs were busy (shared core/cache/SMT): cycles likely inflated"
        if awk -v d="$(echo "${DELIV[$c]}" | median)" 'BEGIN { exit !(d < 0.9) }'; then
            echo "warning.$c: under 90% of packets reached the sink (flows not matching?): left out of the ratios"
            continue
        fi
        MED="$MED $c=$m"
    done
    for c in $PROFILED; do
        m=$(echo "${VALS[$c]:-}" | median)
        awk -v c="$c" 'n < 12 { n++; printf "profile.%s: %.2f%% %s\n", c, $1, $2 }' "$RUN/profile.$c"
        [ -n "$m" ] || continue
        awk -v c="$c" -v m="$m" -v rw="$REWRITE_RE" -v cl="$CLASSIFY_RE" '
            $2 ~ rw { r += $1 } $2 ~ cl { k += $1 }
            END { printf "profile_cycles.%s.rewrite: %.1f\n", c, m * r / 100
                  printf "profile_cycles.%s.classify: %.1f\n", c, m * k / 100 }' \
            "$RUN/profile.$c"
    done
    set -- $MED
    for ((i = 2; i <= $#; i++)); do
        for ((j = 1; j < i; j++)); do
            a=${!i}; b=${!j}
            awk -v an="${a%%=*}" -v av="${a#*=}" -v bn="${b%%=*}" -v bv="${b#*=}" \
                'BEGIN { printf "ratio.%s_over_%s: %.2f\n", an, bn, av / bv }'
        done
    done
)
printf '%s\n' "$OUT"
grep -q '^cycles_per_packet\.' <<<"$OUT" || { log "no configuration was measured"; RC=1; }
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '%s\n' "$OUT" | sed "s/^/$stamp /" >> "$RESULTS" || log "cannot append to $RESULTS"
exit "${RC:-0}"
