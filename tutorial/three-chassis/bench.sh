#! /bin/bash
# The seed scenario on one machine: iperf3 -P 2 -R from upstream to the
# three FIPs at once, with a centralized gateway and with dpfip, in one run;
# the CPU each mode burns per GB moved; and a migration of vm2 from
# chassis2 to chassis3 under a 10 ms ping.
#
# Prints "name: value" lines and appends them to results.txt next to this
# script, with the machine and a timestamp.  Uses topology.sh (brings the
# topology up if it is not, and down again at the end in that case).
#
# Two scenarios, each mode in each: "shared" (the three chassis share the
# machine's cores: measures how much work each path costs) and "capped"
# (each chassis's ovs-vswitchd limited to BENCH_CAP % of one core: models
# three hosts that each have their own datapath budget, as in the seed).
#
#   BENCH_TIME=5      seconds per iperf3 run
#   BENCH_WINDOW=32K  iperf3 -w per stream ("" = kernel autotuning); see
#                     the tutorial for why the default window is bounded
#   BENCH_CAP=25      % of one core per chassis in the capped scenario
set -e
here=$(cd "$(dirname "$0")" && pwd)
topo=$here/topology.sh
RUN=${DPFIP_3C_RUN:-/run/dpfip-3c}
P=${DPFIP_3C_PREFIX-3c-}       # namespace names, as in topology.sh
T=${BENCH_TIME:-5}
W=${BENCH_WINDOW-32K}
CAP=${BENCH_CAP:-25}
out=$(mktemp -d /tmp/dpfip-3c-bench.XXXXXX)
results=$here/results.txt
started_topology=false
pids=
VMS="1 2 3"                    # the VMs run_iperf drives

cleanup() {
    set +e
    for p in $pids; do kill $p 2>/dev/null; done
    wait 2>/dev/null
    [ -e $RUN/cpulimit ] && "$topo" cpulimit off 2>/dev/null
    if [ -n "$ACCT" ] && [ -d $ACCT ]; then
        for p in $(cat $ACCT/cgroup.procs); do
            echo $p > ${ACCT%/*}/cgroup.procs
        done
        rmdir $ACCT
    fi
    if $started_topology; then
        "$topo" down
    elif [ -e $RUN/mode ] && [ "$("$topo" where 2)" != 2 ]; then
        "$topo" migrate vm2 2 >/dev/null 2>&1
    fi
    rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -e $RUN/mode ]; then
    "$topo" up
    started_topology=true
fi

lines=()
say() {                 # say NAME VALUE
    printf '%s: %s\n' "$1" "$2"
    lines+=("$1: $2")
}

# The test's own CPU: ovs-vswitchd x3 and the iperf3 processes in one
# cpuacct cgroup (v1), with the kernel time they spend, which includes
# most of the veth, bridge and TCP work their packets cause.  Other load
# on the machine does not count there, unlike in /proc/stat.
ACCT=/sys/fs/cgroup/cpuacct/dpfip-3c-bench
if [ -e ${ACCT%/*}/cpuacct.usage ]; then
    mkdir -p $ACCT
    for c in 1 2 3; do
        cat $RUN/chassis$c/ovs-vswitchd.pid > $ACCT/cgroup.procs
    done
else
    ACCT=
fi
acct_usage() { if [ -n "$ACCT" ]; then cat $ACCT/cpuacct.usage; else echo 0; fi; }
# acct CMD...: runs CMD inside the cgroup.
acct() {
    if [ -n "$ACCT" ]; then
        sh -c 'echo $$ > "$0"/cgroup.procs; exec "$@"' $ACCT "$@"
    else
        "$@"
    fi
}

hz=$(getconf CLK_TCK)
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }   # calc EXPR [DIGITS]
# Busy jiffies of the whole host (all CPUs): user nice system irq softirq
# steal from /proc/stat.
host_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
# utime+stime (all threads) of chassis N's ovs-vswitchd, /proc/PID/stat.
ovs_cpu() {
    local pid=$(cat $RUN/chassis$1/ovs-vswitchd.pid)
    awk '{print $14+$15}' /proc/$pid/stat
}

# run_iperf MODE: the three clients at once from upstream.
run_iperf() {
    local sc=$1 mode=$2 n c0 c1 h0 h1 a0 a1 bytes total=0
    local -a o0 o1
    "$topo" mode $mode 2>/dev/null
    sleep 1
    if [ $sc = shared ]; then
        # Both directions through each FIP before measuring.
        "$topo" check || { echo "check failed in $mode mode" >&2; exit 1; }
    fi
    for n in $VMS; do
        acct ip netns exec ${P}vm$n timeout $((T + 20)) iperf3 -s -1 -p 5201 \
            >/dev/null 2>&1 &
        pids="$pids $!"
    done
    sleep 0.5
    h0=$(host_busy)
    a0=$(acct_usage)
    for c in 1 2 3; do o0[$c]=$(ovs_cpu $c); done
    for n in $VMS; do
        acct ip netns exec ${P}upstream timeout $((T + 15)) iperf3 -c 203.0.113.1$n \
            -P 2 -R -t $T ${W:+-w $W} -J > $out/$sc-$mode-vm$n.json &
    done
    wait
    pids=
    h1=$(host_busy)
    a1=$(acct_usage)
    for c in 1 2 3; do o1[$c]=$(ovs_cpu $c); done
    bytes=0
    for n in $VMS; do
        read -r gbps b retr < <(python3 - $out/$sc-$mode-vm$n.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["end"]["sum_received"]
print("%.3f %d %d" % (r["bits_per_second"] / 1e9, r["bytes"],
                      d["end"]["sum_sent"].get("retransmits", 0)))
EOF
)
        say "$sc $mode vm$n (chassis$("$topo" where $n)) Gbps" $gbps
        say "$sc $mode vm$n TCP retransmits" $retr
        bytes=$((bytes + b))
        total=$(calc "$total + $gbps" 3)
    done
    say "$sc $mode total Gbps" $total
    eval "total_${sc}_$mode=$total"
    local ovs=0 c
    for c in 1 2 3; do
        say "$sc $mode chassis$c ovs-vswitchd CPU s" \
            $(calc "(${o1[$c]} - ${o0[$c]}) / $hz")
        ovs=$((ovs + ${o1[$c]} - ${o0[$c]}))
    done
    say "$sc $mode GB moved" $(calc "$bytes / 1e9" 3)
    [ -n "$ACCT" ] && say "$sc $mode test CPU s per GB (cpuacct, ovs-vswitchd + iperf3)" \
        $(calc "($a1 - $a0) / $bytes")
    say "$sc $mode host CPU s per GB (/proc/stat, all CPUs)" \
        $(calc "($h1 - $h0) / $hz / ($bytes / 1e9)")
    say "$sc $mode ovs-vswitchd CPU s per GB (/proc/PID/stat, 3 chassis)" \
        $(calc "$ovs / $hz / ($bytes / 1e9)")
}

echo "### throughput: iperf3 -P 2 -R -t $T ${W:+-w $W} to the 3 FIPs at once"
say "load average before" "$(cut -d' ' -f1-3 /proc/loadavg)"
"$topo" cpulimit off 2>/dev/null
run_iperf shared centralized
run_iperf shared distributed
"$topo" cpulimit $CAP 2>/dev/null
run_iperf capped$CAP centralized
run_iperf capped$CAP distributed
# One VM alone on its chassis (the others idle): what one chassis moves,
# the "one local VM" of the seed (47 Gbps there).
VMS=1 run_iperf capped${CAP}alone distributed
"$topo" cpulimit off 2>/dev/null
say "shared ratio distributed/centralized total" \
    $(calc "$total_shared_distributed / $total_shared_centralized")
eval "cd=\$total_capped${CAP}_distributed cc=\$total_capped${CAP}_centralized"
say "capped$CAP ratio distributed/centralized total" \
    $(calc "$cd / $cc")
eval "alone=\$total_capped${CAP}alone_distributed"
say "capped$CAP ratio distributed total/(3 x one VM alone)" \
    $(calc "$cd / (3 * $alone)")
say "target distributed/centralized >= 1.5" \
    $(awk -v r=$(calc "$cd / $cc") 'BEGIN { print (r >= 1.5 ? "met" : "NOT met") }')
say "target distributed >= 0.9 x 3 x one VM alone" \
    $(awk -v r=$(calc "$cd / (3 * $alone)") 'BEGIN { print (r >= 0.9 ? "met" : "NOT met") }')

# run_migration MODE: vm2 chassis2 -> chassis3 under a 10 ms ping from
# upstream, tcpdump of ARP for its FIP on the provider network.
run_migration() {
    local mode=$1 p=$1 sent recvd gap last first t_migrate t_plugged l
    echo "### migration ($mode): vm2 chassis2 -> chassis3 under a 10 ms ping"
    "$topo" mode $mode 2>/dev/null
    sleep 1
    ip netns exec ${P}upstream timeout 20 tcpdump -i br-prov -n -e -l -tt \
        'arp and host 203.0.113.12' > $out/tcpdump.txt 2>/dev/null &
    tcpdump_pid=$!
    pids="$pids $tcpdump_pid"
    sleep 1
    ip netns exec ${P}upstream timeout 15 ping -D -O -i 0.01 -W 1 -w 8 \
        203.0.113.12 > $out/ping.txt 2>&1 &
    ping_pid=$!
    sleep 2
    t_migrate=$(date +%s.%N)
    "$topo" migrate vm2 3
    t_plugged=$(date +%s.%N)
    if [ $mode = bgp ]; then
        # BGP convergence: until upstream's route points at chassis3.
        local i t_route
        for i in $(seq 200); do
            ip -n ${P}upstream route show 203.0.113.12 | grep -q 'via 192.0.2.13 ' && break
            sleep 0.02
        done
        t_route=$(date +%s.%N)
        say "$p migration upstream route via chassis3 after ms" \
            $(calc "($t_route - $t_migrate) * 1000" 0)
    fi
    [ $mode = bgp ] && say "$p migration upstream route after" \
        "$(ip -n ${P}upstream route show 203.0.113.12 | tr -s ' ')"
    wait $ping_pid || true
    sleep 1
    kill $tcpdump_pid 2>/dev/null || true
    wait $tcpdump_pid 2>/dev/null || true
    pids=
    read -r sent recvd < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' $out/ping.txt)
    say "$p migration pings sent" $sent
    say "$p migration pings lost" $((sent - recvd))
    # Outage: the longest gap between two consecutive replies.
    read -r gap last first < <(awk -F'[][]' '/bytes from/ {
            if (prev && $2 - prev > max) { max = $2 - prev; a = prev; b = $2 }
            prev = $2 }
        END { printf "%.0f %.6f %.6f\n", max * 1000, a, b }' $out/ping.txt)
    say "$p migration longest gap between replies ms" $gap
    say "$p migration port re-plugged after ms" \
        $(calc "($t_plugged - $t_migrate) * 1000" 0)
    say "$p migration first reply after the gap, ms after unplug" \
        $(calc "($first - $t_migrate) * 1000" 0)
    echo "--- upstream's view (tcpdump -e on br-prov, seconds after the unplug):"
    awk -v t0=$t_migrate '{ $1 = sprintf("%+.3f", $1 - t0); print }' \
        $out/tcpdump.txt | awk 'NF > 1' | tee $out/garp.txt
    say "$p migration GARPs from chassis3 (02:00:00:00:02:03)" \
        $(grep -c '02:00:00:00:02:03 > ff:ff:ff:ff:ff:ff.*Request who-has 203.0.113.12 tell 203.0.113.12' $out/garp.txt || true)
    while read -r l; do lines+=("$p migration tcpdump: $l"); done < $out/garp.txt
    say "$p migration upstream neighbor entry after" \
        "$(ip -n ${P}upstream neigh show 203.0.113.12 | tr -s ' ')"
    "$topo" migrate vm2 2 2>/dev/null
}

run_migration centralized
run_migration distributed
if [ -x /usr/lib/frr/bgpd ]; then
    run_migration bgp
    "$topo" mode distributed 2>/dev/null
fi

{
    echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $(lscpu | sed -n 's/^Model name: *//p'), nproc $(nproc), kernel $(uname -r)"
    printf '%s\n' "${lines[@]}"
} >> $results
echo "appended to $results"
