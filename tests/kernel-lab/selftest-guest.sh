#!/bin/bash
# Kernel lab self-test, guest part: run by selftest.sh through run.sh, i.e.
# inside the qemu guest (chroot into the host root, kernel 6.1).
#
#   selftest-guest.sh OVS_BUILD_DIR RESULTS_DIR
#
# Writes one "PASS: name" / "FAIL: name" line per check to stdout and to
# RESULTS_DIR/results.txt, and the OVS logs to RESULTS_DIR/.

set -u
B=$1
RES=$2
RUN=/tmp/klab-ovs          # tmpfs in the guest: unix sockets work there
mkdir -p "$RUN" "$RES"
: > "$RES/results.txt"

export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN OVS_DBDIR=$RUN OVS_SYSCONFDIR=$RUN
export OVS_PKGDATADIR=$B/vswitchd OVS_BINDIR=$B/utilities
export PATH=$B/utilities:$B/vswitchd:$B/ovsdb:$PATH
VSCTL="ovs-vsctl --timeout=30 --db=unix:$RUN/db.sock"

result() {  # result PASS|FAIL name [detail]
    echo "$1: $2${3:+ ($3)}" | tee -a "$RES/results.txt"
}
check() {   # check name command...
    local name=$1 t0=$SECONDS; shift
    echo "== $name: $*" >>"$RES/checks.log"
    if "$@" >>"$RES/checks.log" 2>&1; then
        result PASS "$name" "$((SECONDS - t0)) s"
    else
        result FAIL "$name" "$((SECONDS - t0)) s"
    fi
}
T() { timeout 60 "$@"; }

finish() {
    echo "== finish at ${SECONDS} s" >>"$RES/checks.log"
    T ovs-appctl -t "$RUN/ovs-vswitchd.$(cat "$RUN/ovs-vswitchd.pid" 2>/dev/null).ctl" exit >/dev/null 2>&1
    T ovs-appctl -t "$RUN/ovsdb-server.$(cat "$RUN/ovsdb-server.pid" 2>/dev/null).ctl" exit >/dev/null 2>&1
    cp "$RUN"/*.log "$RES"/ 2>/dev/null
    dmesg > "$RES/guest-dmesg.log" 2>/dev/null
    echo "== done at ${SECONDS} s" >>"$RES/checks.log"
}
trap finish EXIT

echo "guest kernel: $(uname -r)"

# --- ovsdb-server + ovs-vswitchd in a private run dir
check "ovsdb-tool create" T ovsdb-tool create "$RUN/conf.db" "$B/vswitchd/vswitch.ovsschema"
check "ovsdb-server starts" T ovsdb-server "$RUN/conf.db" --remote="punix:$RUN/db.sock" \
    --pidfile="$RUN/ovsdb-server.pid" --log-file="$RUN/ovsdb-server.log" --detach --no-chdir
T $VSCTL --no-wait init
check "ovs-vswitchd starts" T ovs-vswitchd "unix:$RUN/db.sock" \
    --pidfile="$RUN/ovs-vswitchd.pid" --log-file="$RUN/ovs-vswitchd.log" --detach --no-chdir
APPCTL="ovs-appctl --timeout=30 -t $RUN/ovs-vswitchd.$(cat "$RUN/ovs-vswitchd.pid" 2>/dev/null).ctl"

# --- bridge on the kernel datapath, two netns joined by veth
check "add bridge br0 (datapath_type=system)" \
    T $VSCTL add-br br0 -- set bridge br0 datapath_type=system
check "kernel datapath ovs-system exists" \
    bash -c "timeout 60 ovs-dpctl show | grep -q 'system@ovs-system'"

setup_ns() {  # setup_ns NS PORT IP
    ip netns add "$1" &&
    ip link add "$2" type veth peer name "v$2" &&
    ip link set "v$2" netns "$1" &&
    ip -n "$1" addr add "$3/24" dev "v$2" &&
    ip -n "$1" link set "v$2" up &&
    ip -n "$1" link set lo up &&
    ip link set "$2" up &&
    $VSCTL add-port br0 "$2"
}
check "netns ns1 + veth p1 on br0" setup_ns ns1 p1 10.1.1.1
check "netns ns2 + veth p2 on br0" setup_ns ns2 p2 10.1.1.2

check "ping ns1 -> ns2 through OVS (kernel datapath)" \
    T ip netns exec ns1 ping -c 3 -i 0.3 -W 2 10.1.1.2
check "kernel datapath has flows (ovs-dpctl dump-flows)" \
    bash -c "timeout 30 ovs-dpctl dump-flows | tee /dev/stderr | grep -q 'actions:'"

# --- tc flower offload (skip_hw)
check "enable hw-offload=true tc-policy=skip_hw" \
    T $VSCTL set Open_vSwitch . other_config:hw-offload=true other_config:tc-policy=skip_hw
for _ in $(seq 20); do grep -q 'Flow API Enabled' "$RUN/ovs-vswitchd.log" && break; sleep 0.5; done
check "vswitchd logs 'Flow API Enabled'" grep -q 'Flow API Enabled' "$RUN/ovs-vswitchd.log"
T $APPCTL dpctl/del-flows >/dev/null 2>&1 || T ovs-dpctl del-flows
T $APPCTL revalidator/purge >/dev/null 2>&1
sleep 1
check "ping ns1 -> ns2 with tc offload" \
    T ip netns exec ns1 ping -c 5 -i 0.3 -W 2 10.1.1.2

tc -s filter show dev p1 ingress > "$RES/tc-p1.txt" 2>&1
tc -s filter show dev p2 ingress > "$RES/tc-p2.txt" 2>&1
cat "$RES/tc-p1.txt"
pkts=$(awk '/Sent [0-9]+ bytes [0-9]+ pkt/ { for (i = 1; i <= NF; i++) if ($i == "pkt") s += $(i-1) } END { print s + 0 }' "$RES/tc-p1.txt")
check "tc filter on p1 ingress is flower skip_hw" \
    bash -c "grep -q flower '$RES/tc-p1.txt' && grep -q skip_hw '$RES/tc-p1.txt'"
if [ "$pkts" -gt 0 ] 2>/dev/null; then
    result PASS "tc flower rule on p1 counts packets" "$pkts pkt"
else
    result FAIL "tc flower rule on p1 counts packets" "$pkts pkt"
fi
T $APPCTL dpctl/dump-flows type=tc > "$RES/dpctl-tc.txt" 2>&1
check "ovs-appctl dpctl/dump-flows type=tc lists flows" grep -q 'actions:' "$RES/dpctl-tc.txt"
check "no 'Illegal instruction' / crash in vswitchd log" \
    bash -c "! grep -Eq 'Illegal instruction|SIGSEGV|SIGILL|\\|EMER\\|' '$RUN/ovs-vswitchd.log'"
