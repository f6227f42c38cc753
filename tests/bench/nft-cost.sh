#!/usr/bin/env bash
# nft-cost.sh: per-packet CPU cost of Linux kernel IPv4 forwarding and of
# nftables 1:1 NAT in a network-namespace router (what Neutron DVR does),
# measured side by side in one run, to set beside the OVS figures of
# pkt-cost.sh.  See README.md, "nftables: nft-cost.sh".
#
# Usage: tests/bench/nft-cost.sh [CONFIG...]   (default: kfwd nftstateless nftnat)
#
#   kfwd          plain IPv4 forwarding through the router namespace (the floor)
#   nftstateless  nft stateless 1:1 NAT: notrack + "ip daddr set FIXED" in prerouting
#   nftnat        nft conntrack NAT: "dnat to FIXED" / "snat to FIP" in nat chains
#
# Environment (all optional):
#   BENCH_WINDOW      measurement window per configuration and round, s (8)
#   BENCH_ROUNDS      rounds; configurations are interleaved in each round (3)
#   BENCH_WARMUP      warm-up after installing a configuration, s (2)
#   BENCH_SETTLE_MAX  longest wait for a configuration to start forwarding, s (10)
#   BENCH_FLOWS       distinct 5-tuples in the traffic (1000)
#   BENCH_RTR_CPU     CPU whose time is measured: the router's receive processing (1)
#   BENCH_GEN_CPU     CPU of the generator (trafgen).  Equal to BENCH_RTR_CPU
#                     ("local"): the router's softirq runs on the generator's CPU
#                     right after each packet is sent.  Different ("rps"): RPS
#                     steers the router's receive processing to BENCH_RTR_CPU
#                     (1: local mode).  See README.md for why local is the default
#   BENCH_TSC_MHZ     cycles per microsecond used to convert time to cycles
#                     (default: the kernel's TSC frequency from dmesg)
#   BENCH_RESULTS     file the figures are appended to (tests/bench/results.txt)
#   BENCH_MAX_SECONDS hard limit for the whole run (computed from the above)
#   BENCH_KEEP_RUNDIR 1: keep the run dir (trafgen config, logs) for debugging (0)
#
# Needs root, 2 CPUs or more, and nft, trafgen (netsniff-ng), tcpdump, gcc,
# ethtool, conntrack: the missing ones are installed with apt-get.
# Figures go to stdout as "name: value" lines, progress to stderr.
# Exit status: 0 ok, 1 failure, 2 nothing could be measured.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)

WINDOW=${BENCH_WINDOW:-8}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
SETTLE_MAX=${BENCH_SETTLE_MAX:-10}
NFLOWS=${BENCH_FLOWS:-1000}
RTR_CPU=${BENCH_RTR_CPU:-1}
GEN_CPU=${BENCH_GEN_CPU:-1}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results.txt}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ $# -gt 0 ]; then CONFIGS="$*"; else CONFIGS="kfwd nftstateless nftnat"; fi

# Addresses: the same as pkt-cost.sh uses.
FIP=203.0.113.10
FIXED=10.0.0.5
ROUTER_IP=10.0.0.1
ROUTER_EXT_IP=203.0.113.2
GW_IP=203.0.113.1
GW_MAC=02:00:00:00:fe:01       # the generator (the upstream gateway)
EXT_MAC=02:00:00:00:fe:10      # the router's MAC on the uplink: frames go there
ROUTER_MAC=02:00:00:00:01:01   # the router's MAC towards the VM
VM_MAC=02:00:00:00:00:05       # what the router resolves FIXED to
SINK_MAC=02:00:00:00:00:99     # the sink's real MAC: != VM_MAC, so it drops cheaply

NS_SRC=nftc-$$-src
NS_RTR=nftc-$$-rtr
NS_SINK=nftc-$$-sink

log() { printf '%s nft-cost: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$WINDOW$ROUNDS$WARMUP$SETTLE_MAX$NFLOWS$RTR_CPU$GEN_CPU" in
    *[!0-9]*) die "BENCH_WINDOW/ROUNDS/WARMUP/SETTLE_MAX/FLOWS/RTR_CPU/GEN_CPU must be integers" ;;
esac
[ "$ROUNDS" -ge 1 ] && [ "$WINDOW" -ge 1 ] || die "need BENCH_ROUNDS >= 1 and BENCH_WINDOW >= 1"
[ "$NFLOWS" -ge 1 ] && [ "$NFLOWS" -le 64511 ] || die "BENCH_FLOWS must be 1..64511"
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, nft)"
for c in $CONFIGS; do
    case $c in kfwd|nftstateless|nftnat) ;; *) die "unknown configuration '$c' (kfwd nftstateless nftnat)" ;; esac
done
NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then log "needs 2 CPUs (generator and router), this machine has $NCPU"; exit 2; fi
[ "$RTR_CPU" -lt "$NCPU" ] && [ "$GEN_CPU" -lt "$NCPU" ] \
    || die "BENCH_RTR_CPU and BENCH_GEN_CPU must be below $NCPU"
if [ "$GEN_CPU" = "$RTR_CPU" ]; then MODE=local; else MODE=rps; fi
# The script's own commands run on a CPU that is not measured.
SCRIPT_CPU=0; [ "$RTR_CPU" = 0 ] && SCRIPT_CPU=1

# --- bounded time ---------------------------------------------------------------
n_cfg=$(echo "$CONFIGS" | wc -w)
NEED_PKGS=""
command -v nft >/dev/null || NEED_PKGS="$NEED_PKGS nftables"
command -v trafgen >/dev/null && command -v netsniff-ng >/dev/null || NEED_PKGS="$NEED_PKGS netsniff-ng"
command -v tcpdump >/dev/null || NEED_PKGS="$NEED_PKGS tcpdump"
command -v gcc >/dev/null || NEED_PKGS="$NEED_PKGS gcc libc6-dev"
command -v taskset >/dev/null || NEED_PKGS="$NEED_PKGS util-linux"
command -v ethtool >/dev/null || NEED_PKGS="$NEED_PKGS ethtool"
command -v conntrack >/dev/null || NEED_PKGS="$NEED_PKGS conntrack"
INSTALL_SECONDS=0; [ -n "$NEED_PKGS" ] && INSTALL_SECONDS=420
MAX_SECONDS=${BENCH_MAX_SECONDS:-$((60 + INSTALL_SECONDS + n_cfg * (SETTLE_MAX + 8) \
    + ROUNDS * n_cfg * (WINDOW + WARMUP + SETTLE_MAX + 5)))}

# --- cleanup -----------------------------------------------------------------------
RUN=""; WATCHDOG=""; TG_PID=""
cleanup() {
    local rc=$? ns kids
    trap - EXIT INT TERM
    set +e
    if [ -n "$TG_PID" ] && kill -0 "$TG_PID" 2>/dev/null; then
        kids=$(pgrep -P "$TG_PID")          # trafgen's worker processes
        kill -INT "$TG_PID" $kids 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$TG_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$TG_PID" $kids 2>/dev/null
        wait "$TG_PID" 2>/dev/null
    fi
    for ns in "$NS_SRC" "$NS_RTR" "$NS_SINK"; do
        [ -e "/var/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
    done
    if [ -n "$RUN" ] && [ -d "$RUN" ]; then
        if [ "${BENCH_KEEP_RUNDIR:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
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

# --- tools ---------------------------------------------------------------------------
if [ -n "$NEED_PKGS" ]; then
    log "installing$NEED_PKGS"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! timeout 300 apt-get install -y -q $NEED_PKGS >&2; then
        timeout 120 apt-get update -q >&2
        timeout 300 apt-get install -y -q $NEED_PKGS >&2 || die "apt-get install$NEED_PKGS failed"
    fi
fi
for t in nft trafgen netsniff-ng tcpdump gcc taskset ethtool conntrack python3; do
    command -v "$t" >/dev/null || die "$t not found"
done

taskset -pc "$SCRIPT_CPU" $$ >/dev/null 2>&1 || log "cannot pin the script to CPU $SCRIPT_CPU"

RUN=$(mktemp -d /tmp/nft-cost.XXXXXX) || die "mktemp failed"

# --- TSC frequency: converts CPU time to cycles --------------------------------------
TSC_SRC=""
if [ -n "${BENCH_TSC_MHZ:-}" ]; then
    TSC_MHZ=$BENCH_TSC_MHZ; TSC_SRC="BENCH_TSC_MHZ"
else
    TSC_MHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -1)
    [ -n "$TSC_MHZ" ] && TSC_SRC="dmesg 'Refined TSC clocksource calibration'"
    if [ -z "$TSC_MHZ" ]; then
        TSC_MHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -1)
        [ -n "$TSC_MHZ" ] && TSC_SRC="dmesg 'tsc: Detected'"
    fi
    if [ -z "$TSC_MHZ" ]; then
        TSC_MHZ=$(awk -v c="$RTR_CPU" '/^processor/ { p = $3 } /^cpu MHz/ && p == c { print $4; exit }' /proc/cpuinfo)
        [ -n "$TSC_MHZ" ] && TSC_SRC="/proc/cpuinfo 'cpu MHz' of CPU $RTR_CPU"
    fi
fi
awk -v m="${TSC_MHZ:-x}" 'BEGIN { exit !(m + 0 > 0) }' || die "cannot find the TSC frequency (set BENCH_TSC_MHZ)"
log "TSC $TSC_MHZ MHz (from $TSC_SRC)"

# --- traffic: the frames of pkt-cost.sh, as a trafgen configuration -------------------
python3 "$BENCH_DIR/gen-pcap.py" "$RUN/traffic.pcap" --flows "$NFLOWS" --src-mac "$GW_MAC" \
    --dst-mac "$EXT_MAC" --dst-ip "$FIP" || die "pcap generation failed"
timeout 60 netsniff-ng --in "$RUN/traffic.pcap" --out "$RUN/traffic.cfg" --silent >/dev/null 2>&1
n=$(grep -c '^{' "$RUN/traffic.cfg" 2>/dev/null)
[ "${n:-0}" = "$NFLOWS" ] || die "pcap to trafgen conversion gave ${n:-0} packets, not $NFLOWS"

# trafgen sends with MSG_DONTWAIT from a TX ring and gives up on EAGAIN.  A veth
# keeps the sending socket charged for a packet until the packet is freed, so
# the default socket send buffer (about 300 small packets) runs out as soon as
# the router's backlog queue holds more than that, long before the queue
# itself drops anything.  This preloaded shim raises the send buffer of
# trafgen's own packet socket (SO_SNDBUFFORCE) instead of the system-wide
# defaults that trafgen would otherwise change.
cat >"$RUN/sndbuf.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>
int socket(int domain, int type, int protocol)
{
    static int (*real)(int, int, int);
    int fd, size = 64 << 20;

    if (!real)
        real = (int (*)(int, int, int)) dlsym(RTLD_NEXT, "socket");
    fd = real(domain, type, protocol);
    if (fd >= 0 && domain == AF_PACKET)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    return fd;
}
EOF
gcc -O2 -shared -fPIC -o "$RUN/sndbuf.so" "$RUN/sndbuf.c" -ldl || die "cannot build the sndbuf shim"

# --- topology: src --veth-- rtr --veth-- sink -------------------------------------------
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
for ns in "$NS_SRC" "$NS_RTR" "$NS_SINK"; do
    ip netns add "$ns" || die "ip netns add $ns failed"
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
    ip -n "$ns" link set lo up
done
ip link add ext0 netns "$NS_SRC" numtxqueues 1 numrxqueues 1 type veth \
    peer name ext0 netns "$NS_RTR" numtxqueues 1 numrxqueues 1 || die "veth src-rtr failed"
ip link add int0 netns "$NS_RTR" numtxqueues 1 numrxqueues 1 type veth \
    peer name vm0 netns "$NS_SINK" numtxqueues 1 numrxqueues 1 || die "veth rtr-sink failed"
{
    ip -n "$NS_SRC" link set ext0 address "$GW_MAC" up &&
    ip -n "$NS_SRC" addr add "$GW_IP/24" dev ext0 &&
    # trafgen's TX ring hands the kernel a packet whose bytes after the
    # Ethernet header are page fragments of the ring.  A NIC driver gives
    # the stack a linear packet instead; without scatter-gather on the
    # sending veth, the send path (the generator's time, not the router's)
    # linearizes it.  With fragments, every configuration cost ~800 cycles
    # more here (ip_rcv has to pull the headers into a new head).
    nsx "$NS_SRC" ethtool -K ext0 sg off >/dev/null &&
    ip -n "$NS_RTR" link set ext0 address "$EXT_MAC" up &&
    ip -n "$NS_RTR" addr add "$ROUTER_EXT_IP/24" dev ext0 &&
    ip -n "$NS_RTR" link set int0 address "$ROUTER_MAC" up &&
    ip -n "$NS_RTR" addr add "$ROUTER_IP/24" dev int0 &&
    ip -n "$NS_SINK" link set vm0 address "$SINK_MAC" up &&
    nsx "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
        net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.ext0.rp_filter=0 \
        net.ipv4.conf.int0.rp_filter=0 >/dev/null &&
    ip -n "$NS_RTR" neigh replace "$FIXED" lladdr "$VM_MAC" dev int0 nud permanent &&
    ip -n "$NS_RTR" neigh replace "$GW_IP" lladdr "$GW_MAC" dev ext0 nud permanent &&
    # kfwd: the FIP is routed to the VM unchanged; the NAT configurations
    # rewrite the destination before the route lookup and use 10.0.0.0/24.
    ip -n "$NS_RTR" route add "$FIP/32" via "$FIXED" dev int0 &&
    ip -n "$NS_RTR" route add default via "$GW_IP" dev ext0
} || die "topology setup failed"
if [ "$MODE" = rps ]; then
    RPS_MASK=$(printf '%x' $((1 << RTR_CPU)))
    for q in $(nsx "$NS_RTR" sh -c 'ls -d /sys/class/net/ext0/queues/rx-*'); do
        nsx "$NS_RTR" sh -c "echo $RPS_MASK > $q/rps_cpus" || die "cannot set RPS on the router's ext0"
    done
fi

# --- configurations ----------------------------------------------------------------------
ruleset() {     # ruleset CONFIG: the nft ruleset of the router (empty for kfwd)
    case $1 in
    kfwd) ;;
    nftstateless) cat <<EOF
table ip nftc {
    chain pre {
        type filter hook prerouting priority raw; policy accept;
        iif "ext0" ip daddr $FIP notrack ip daddr set $FIXED counter
        iif "int0" ip saddr $FIXED notrack ip saddr set $FIP counter
    }
}
EOF
    ;;
    nftnat) cat <<EOF
table ip nftc {
    chain pre {
        type nat hook prerouting priority dstnat; policy accept;
        iif "ext0" ip daddr $FIP counter dnat to $FIXED
    }
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        oif "ext0" ip saddr $FIXED counter snat to $FIP
    }
}
EOF
    ;;
    esac
}
install_config() {
    nsx "$NS_RTR" nft flush ruleset || return 1
    [ "$1" = kfwd ] && return 0
    ruleset "$1" | nsx "$NS_RTR" nft -f - || { log "$1: nft -f failed"; return 1; }
    # The nat chains turn conntrack on a moment before their rules are live,
    # so under running traffic a flow can get a conntrack entry without NAT
    # (and keep it).  Start from an empty table once the rules are in place.
    if [ "$1" = nftnat ]; then
        nsx "$NS_RTR" conntrack -F >/dev/null 2>&1 || { log "$1: conntrack -F failed"; return 1; }
    fi
}

# --- counters ------------------------------------------------------------------------------
# "offered accepted forwarded delivered": the generator's tx, the router's rx
# (what its backlog queue took), the router's tx towards the VM, the sink's rx.
counters() {
    local a b c
    a=$(nsx "$NS_SRC" cat /sys/class/net/ext0/statistics/tx_packets) || return 1
    b=$(nsx "$NS_RTR" cat /sys/class/net/ext0/statistics/rx_packets \
                          /sys/class/net/int0/statistics/tx_packets | tr '\n' ' ') || return 1
    c=$(nsx "$NS_SINK" cat /sys/class/net/vm0/statistics/rx_packets) || return 1
    echo "$a $b$c"
}
sink_rx() { nsx "$NS_SINK" cat /sys/class/net/vm0/statistics/rx_packets 2>/dev/null; }
cpu_stat() {    # "ns_now user nice system idle iowait irq softirq steal task_ns net_rx" of the router's CPU
    local now tns=0 p st nrx
    now=$(date +%s%N)
    nrx=$(awk -v c="$RTR_CPU" '$1 == "NET_RX:" { print $(c + 2); exit }' /proc/softirqs)
    # task_ns (local mode): run time of the generator and of ksoftirqd, which
    # includes the softirq work done in their context; the rest of the busy
    # time is other people's.
    if [ "$MODE" = local ]; then
        for p in $TG_WORKERS $KSOFTIRQD; do
            read -r st _ 2>/dev/null <"/proc/$p/schedstat" && tns=$((tns + st))
        done
    fi
    awk -v c="cpu$RTR_CPU" -v t="$now" -v n="$tns" -v r="${nrx:-0}" \
        '$1 == c { print t, $2, $3, $4, $5, $6, $7, $8, $9, n, r; exit }' /proc/stat
}
KSOFTIRQD=$(pgrep -x "ksoftirqd/$RTR_CPU" | head -1)
USER_HZ=$(getconf CLK_TCK)

# --- generator -------------------------------------------------------------------------------
log "namespaces $NS_SRC $NS_RTR $NS_SINK; configs: $CONFIGS, ${ROUNDS}x${WINDOW}s, limit ${MAX_SECONDS}s"
# Started directly (not through a function), so that $! is trafgen itself.
ip netns exec "$NS_SRC" env LD_PRELOAD="$RUN/sndbuf.so" taskset -c "$GEN_CPU" \
    trafgen --in "$RUN/traffic.cfg" --out ext0 --cpus 1 --no-sock-mem --notouch-irq \
    >"$RUN/trafgen.log" 2>&1 &
TG_PID=$!
sleep 1
kill -0 "$TG_PID" 2>/dev/null || { cat "$RUN/trafgen.log" >&2; die "trafgen did not start"; }
# trafgen pins its worker process to CPU 0 itself: move it where it belongs.
TG_WORKERS=$(pgrep -P "$TG_PID")
[ -n "$TG_WORKERS" ] || { cat "$RUN/trafgen.log" >&2; die "trafgen has no worker process"; }
for p in $TG_PID $TG_WORKERS; do
    taskset -pc "$GEN_CPU" "$p" >/dev/null || die "cannot pin trafgen ($p) to CPU $GEN_CPU"
done
tg_alive() {
    kill -0 "$TG_PID" 2>/dev/null && return 0
    cat "$RUN/trafgen.log" >&2; log "trafgen died"; return 1
}

wait_forwarding() {     # until the sink's rx counter moves (at most SETTLE_MAX s)
    local before after i
    for i in $(seq 1 $((SETTLE_MAX * 2))); do
        before=$(sink_rx); sleep 0.5; after=$(sink_rx)
        [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] && return 0
    done
    return 1
}

# --- verification: does each configuration forward, and translate? -------------------------
verify() {
    local c=$1 want dump n bad ct cnt
    install_config "$c" || return 1
    wait_forwarding || { log "$c: nothing reaches the sink"; return 1; }
    if [ "$c" = kfwd ]; then want=$FIP; else want=$FIXED; fi
    dump=$(timeout 5 ip netns exec "$NS_SINK" tcpdump -n -vv -c 20 -i vm0 -l udp 2>/dev/null)
    n=$(printf '%s\n' "$dump" | grep -c "198\.51\.100\.[0-9]*\.[0-9]* > ${want//./\\.}\.5000: \[udp sum ok\]")
    bad=$(printf '%s\n' "$dump" | grep -c 'bad udp cksum\|bad cksum')
    if [ "$n" -lt 10 ] || [ "$bad" -gt 0 ]; then
        printf '%s\n' "$dump" | head -6 >&2
        log "$c: the sink does not see UDP to $want:5000 with good checksums ($n of 20, $bad bad)"
        return 1
    fi
    case $c in
    nftstateless|nftnat)
        cnt=$(nsx "$NS_RTR" nft list ruleset | sed -n 's/.*ip daddr .* counter packets \([0-9]*\) .*/\1/p' | head -1)
        [ "${cnt:-0}" -gt 0 ] || { log "$c: the FIP rule's counter did not move"; return 1; }
        ;;
    esac
    if [ "$c" = nftstateless ]; then
        ct=$(nsx "$NS_RTR" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null)
        log "$c: $ct conntrack entries in the router"
    fi
    if [ "$c" = nftnat ]; then
        local all
        all=$(nsx "$NS_RTR" grep -c "dst=$FIP sport=[0-9]* dport=5000 " /proc/net/nf_conntrack)
        ct=$(nsx "$NS_RTR" grep -c "dst=$FIP sport=[0-9]* dport=5000 .*src=$FIXED dst=198\.51\.100\." /proc/net/nf_conntrack)
        [ "${ct:-0}" -ge $((NFLOWS * 9 / 10)) ] && [ "${ct:-0}" = "${all:-x}" ] \
            || { log "$c: ${ct:-0} of ${all:-0} conntrack entries to $FIP have DNAT to $FIXED (expected all, ~$NFLOWS)"; return 1; }
        log "$c: $ct conntrack entries, all with the reply direction from $FIXED"
    fi
    log "$c: verified: the sink sees UDP to $want:5000, checksums ok${cnt:+, FIP rule counter $cnt}"
}

RUNNABLE=""; FAILED=""
for c in $CONFIGS; do
    if verify "$c"; then RUNNABLE="$RUNNABLE $c"; else FAILED="$FAILED$c: failed verification"$'\n'; fi
    tg_alive || die "the generator stopped"
done
nsx "$NS_RTR" nft flush ruleset
[ -n "$FAILED" ] && printf '%s' "$FAILED" >&2
set -- $RUNNABLE
[ $# -gt 0 ] || { log "no configuration could be verified"; exit 1; }

measure() {
    # prints "cycles/pkt delivered accepted mpps offered_mpps work% other% idle% steal% pkts/NET_RX"
    local s0 s1 k0 k1
    s0=$(cpu_stat); k0=$(counters) || return 1
    sleep "$WINDOW"
    s1=$(cpu_stat); k1=$(counters) || return 1
    tg_alive || return 1
    awk -v s0="$s0" -v s1="$s1" -v k0="$k0" -v k1="$k1" -v hz="$USER_HZ" -v mhz="$TSC_MHZ" -v mode="$MODE" '
        BEGIN {
            split(s0, a, " "); split(s1, b, " "); split(k0, x, " "); split(k1, y, " ")
            el = (b[1] - a[1]) / 1e9                        # wall clock, s
            for (i = 2; i <= 9; i++) d[i] = (b[i] - a[i]) / hz
            # user nice system idle iowait irq softirq steal = d[2..9]
            tasks = d[2] + d[3] + d[4]; idle = d[5] + d[6]; steal = d[9]
            # The routers work is softirq (and irqs such as the RPS IPIs):
            # whatever of the window was neither idle (exact, nohz) nor
            # stolen nor charged by the tick to a task outside irq/softirq
            # context (the generator in local mode, other peoples tasks).
            work = el - idle - tasks - steal
            if (work < 0) work = 0
            # Busy time of other peoples tasks: in rps mode all task time;
            # in local mode what neither the generator nor ksoftirqd ran
            # (their run time, exact, includes the softirq work done in
            # their context).
            other = tasks
            if (mode == "local") other = el - idle - steal - (b[10] - a[10]) / 1e9
            if (other < 0) other = 0
            offered = y[1] - x[1]; acc = y[2] - x[2]; deliv = y[4] - x[4]
            if (deliv <= 0 || acc <= 0) { print "x"; exit }
            nrx = b[11] - a[11]
            printf "%.1f %.2f %.2f %.3f %.3f %.0f %.0f %.0f %.0f %.1f\n", work * mhz * 1e6 / deliv,
                   deliv / acc, (offered > 0 ? acc / offered : 0), deliv / el / 1e6, offered / el / 1e6,
                   100 * work / el, 100 * other / el, 100 * idle / el, 100 * steal / el,
                   (nrx > 0 ? deliv / nrx : 0)
        }'
}

# --- measurement rounds, configurations interleaved (rotated each round) ------------------------
declare -A VALS DELIV ACC MPPS WORK OTHER IDLE STEAL BATCH
for r in $(seq 1 "$ROUNDS"); do
    n=$#
    for k in $(seq 0 $((n - 1))); do
        idx=$(( (k + r - 1) % n + 1 ))
        c=${!idx}
        if ! install_config "$c" || ! wait_forwarding; then
            log "round $r $c: does not forward"; tg_alive || die "the generator stopped"; continue
        fi
        sleep "$WARMUP"
        res=$(measure)
        if [ -n "$res" ] && [ "$res" != x ]; then
            read -r cyc del acc mpps offered work other idle steal batch <<<"$res"
            VALS[$c]="${VALS[$c]:-} $cyc"; DELIV[$c]="${DELIV[$c]:-} $del"
            ACC[$c]="${ACC[$c]:-} $acc"; MPPS[$c]="${MPPS[$c]:-} $mpps"
            WORK[$c]="${WORK[$c]:-} $work"; OTHER[$c]="${OTHER[$c]:-} $other"
            IDLE[$c]="${IDLE[$c]:-} $idle"; STEAL[$c]="${STEAL[$c]:-} $steal"
            BATCH[$c]="${BATCH[$c]:-} $batch"
            log "round $r $c: $cyc cycles/packet, $mpps Mpps (offered $offered), delivered $del, accepted $acc," \
                "CPU $RTR_CPU: router ${work}%, other tasks ${other}%, idle ${idle}%, steal ${steal}%," \
                "$batch packets per NET_RX softirq"
        else
            log "round $r $c: measurement failed"; tg_alive || die "the generator stopped"
        fi
    done
done
nsx "$NS_RTR" nft flush ruleset

# --- report -------------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit; m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f%%\n", 100 * (v[NR] - v[1]) / m }'; }

model=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
nftver=$(nft --version 2>/dev/null | head -1)
tgver=$(trafgen --version 2>/dev/null | head -1 | awk '{ print $1, $2 }')
OUT=$(
    echo "machine: ${model:-unknown}; nproc $NCPU; kernel $(uname -r); ${nftver:-nft ?}; ${tgver:-trafgen ?}; TSC $TSC_MHZ MHz ($TSC_SRC)"
    echo "load: start $LOAD_START, end $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min loadavg)"
    echo "method: 64B UDP/IPv4, $NFLOWS 5-tuples to $FIP, mode $MODE: trafgen on CPU $GEN_CPU -> veth -> router netns ($( [ "$MODE" = rps ] && echo "RPS to CPU $RTR_CPU" || echo "softirq on CPU $RTR_CPU after each send")) -> veth -> sink netns (drop); cycles = CPU $RTR_CPU time in irq/softirq (not idle, not a task's) x TSC / delivered packets; window ${WINDOW}s, $ROUNDS rounds, median"
    printf '%s' "$FAILED"
    MED=""
    for c in $RUNNABLE; do
        m=$(echo "${VALS[$c]:-}" | median)
        if [ -z "$m" ]; then echo "$c: no measurement"; continue; fi
        printf 'cycles_per_packet.%s: %.1f\n' "$c" "$m"
        echo "raw.$c:${VALS[$c]}"
        echo "spread.$c: $(echo "${VALS[$c]}" | spread)"
        printf 'min.%s: %.1f\n' "$c" "$(echo "${VALS[$c]}" | tr ' ' '\n' | grep . | sort -g | head -1)"
        printf 'mpps.%s: %.3f\n' "$c" "$(echo "${MPPS[$c]}" | median)"
        printf 'delivered.%s: %.2f\n' "$c" "$(echo "${DELIV[$c]}" | median)"
        printf 'accepted.%s: %.2f\n' "$c" "$(echo "${ACC[$c]}" | median)"
        echo "router_cpu_busy.$c: $(echo "${WORK[$c]}" | median)%"
        echo "router_cpu_other_tasks.$c: $(echo "${OTHER[$c]}" | median)%"
        echo "router_cpu_idle.$c: $(echo "${IDLE[$c]}" | median)%"
        echo "router_cpu_steal.$c: $(echo "${STEAL[$c]}" | median)%"
        echo "packets_per_net_rx.$c: $(echo "${BATCH[$c]}" | median)"
        awk -v w="$(echo "${IDLE[$c]}" | median)" 'BEGIN { exit !(w > 5) }' \
            && echo "warning.$c: CPU $RTR_CPU was not saturated (idle > 5%): the figure includes wake-up and IPI costs that a saturated CPU amortizes"
        awk -v w="$(echo "${OTHER[$c]}" | median)" 'BEGIN { exit !(w > 10) }' \
            && echo "warning.$c: other tasks ran on CPU $RTR_CPU (> 10%): their time is not counted, but they evict caches: cycles likely inflated"
        awk -v w="$(echo "${STEAL[$c]}" | median)" 'BEGIN { exit !(w > 2) }' \
            && echo "warning.$c: the hypervisor stole CPU $RTR_CPU time (> 2%)"
        if awk -v d="$(echo "${DELIV[$c]}" | median)" 'BEGIN { exit !(d < 0.9) }'; then
            echo "warning.$c: under 90% of the packets the router took reached the sink: left out of the ratios"
            continue
        fi
        MED="$MED $c=$m"
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
[ -n "$FAILED" ] && RC=1        # a configuration did not translate: that is an error
if ! grep -q '^cycles_per_packet\.' <<<"$OUT"; then log "no configuration was measured"; RC=2; fi
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '%s\n' "$OUT" | sed "s/^/$stamp /" >> "$RESULTS" || log "cannot append to $RESULTS"
exit "${RC:-0}"
