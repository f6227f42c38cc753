#!/bin/bash
# Loads librte_net_eswitch.so into a real ovs-vswitchd (DPDK build),
# attaches an uplink and a representor as type=dpdk ports by their vdev
# devargs, pings between two namespaces through an OVS NORMAL bridge and
# checks that OVS offloaded flows into the model (hw-offload=true).
#
# usage: tests/ovs.sh PLUGIN.so [OVS_BUILD_DIR]
#   OVS_BUILD_DIR defaults to _build/ovs of this checkout.
# Prints PASS:/FAIL: lines; cleans up everything it created.

set -u
so=$1
ovs=${2:-$(cd "$(dirname "$0")/../.." && pwd)/_build/ovs}
PATH=$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$PATH

ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; }

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_until() {
    local n=$(( $1 * 10 ))
    shift
    while [ $n -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    "$@"
}

dir=$(mktemp -d /tmp/eswt-ovs.XXXXXX)
export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir
old_hp=$(cat /proc/sys/vm/nr_hugepages)
mounted=
state=$dir/state

cleanup() {
    if [ -f "$dir/ovs-vswitchd.pid" ]; then
        vpid=$(cat "$dir/ovs-vswitchd.pid")
        # --cleanup: the userspace datapath's taps (br0, ovs-netdev) are
        # persistent, and left behind they stop the next traffic test.
        timeout 20 ovs-appctl -t ovs-vswitchd exit --cleanup >/dev/null 2>&1 \
            || kill "$vpid" 2>/dev/null
        wait_until 10 sh -c "! kill -0 $vpid 2>/dev/null"
        ip link del br0 2>/dev/null
        ip link del ovs-netdev 2>/dev/null
    fi
    if [ -f "$dir/ovsdb-server.pid" ]; then
        pid=$(cat "$dir/ovsdb-server.pid")
        kill "$pid" 2>/dev/null
        wait_until 5 sh -c "! kill -0 $pid 2>/dev/null"
    fi
    for ns in eswo_ext eswo_vm; do
        ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del $ns 2>/dev/null
    done
    ip link del eswo_up 2>/dev/null
    ip link del eswo_rep0 2>/dev/null
    if [ -n "$mounted" ]; then
        umount /dev/hugepages 2>/dev/null
    fi
    echo "$old_hp" > /proc/sys/vm/nr_hugepages
    if [ -n "${ESWITCH_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# Hugepages for OVS's EAL.
if [ "$old_hp" -lt 512 ]; then
    echo 512 > /proc/sys/vm/nr_hugepages
fi
if ! mount | grep -q ' /dev/hugepages type hugetlbfs'; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs none /dev/hugepages && mounted=1
fi

ip netns add eswo_ext
ip netns add eswo_vm
ip link add eswo_up type veth peer name ext0 netns eswo_ext
ip link add eswo_rep0 type veth peer name vm0 netns eswo_vm
for l in eswo_up eswo_rep0; do
    sysctl -qw net.ipv6.conf.$l.disable_ipv6=1
    ip link set $l up
done
ip -n eswo_ext link set ext0 up
ip -n eswo_ext addr add 10.77.0.1/24 dev ext0
ip -n eswo_vm link set vm0 up
ip -n eswo_vm addr add 10.77.0.2/24 dev vm0

ovsdb-tool create "$dir/conf.db" "$ovs/vswitchd/vswitch.ovsschema"
ovsdb-server --remote=punix:"$dir/db.sock" --pidfile --detach \
    --log-file="$dir/ovsdb-server.log" "$dir/conf.db"
ovs-vsctl --no-wait init
ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
    other_config:dpdk-extra="--no-pci -d $so" \
    other_config:hw-offload=true
ovs-vswitchd --pidfile --detach --log-file="$dir/ovs-vswitchd.log" \
    unix:"$dir/db.sock"
vlog=$dir/ovs-vswitchd.log

up_args="net_eswitch_ovsup,iface=eswo_up,switch=ovsw,role=uplink,state-file=$state"
rep_args="net_eswitch_ovsrep0,iface=eswo_rep0,switch=ovsw,representor=vf0"
ovs-vsctl --timeout=30 add-br br0 -- set bridge br0 datapath_type=netdev \
    -- add-port br0 up0 -- set Interface up0 type=dpdk \
       "options:dpdk-devargs=\"$up_args\"" \
    -- add-port br0 rep0 -- set Interface rep0 type=dpdk \
       "options:dpdk-devargs=\"$rep_args\""
wait_until 10 sh -c "test \"\$(grep -c \"Assigned flow API 'dpdk_flow_api'\" '$vlog')\" -ge 2"

if grep -q 'EAL.*librte_net_eswitch\|eswitch' "$vlog" \
   && ! grep -q 'Failed to load\|cannot load' "$vlog"; then
    ok "ovs-vswitchd loaded the plugin"
else
    ko "ovs-vswitchd did not load the plugin"
fi
for p in up0 rep0; do
    err=$(ovs-vsctl get Interface $p error 2>/dev/null)
    ofp=$(ovs-vsctl get Interface $p ofport 2>/dev/null)
    if [ "$err" = '[]' ] && [ "${ofp:--1}" -gt 0 ] 2>/dev/null; then
        ok "port $p attached (ofport $ofp)"
    else
        ko "port $p not attached: $err"
    fi
done
if grep -q "Device 'net_eswitch_ovsup,iface=eswo_up" "$vlog"; then
    ok "log: Device 'net_eswitch_ovsup,...' attached to DPDK"
else
    ko "log: no attach message for the uplink"
fi
n=$(grep -c "Assigned flow API 'dpdk_flow_api'" "$vlog")
if [ "$n" -ge 2 ]; then
    ok "log: Assigned flow API 'dpdk_flow_api' ($n ports)"
else
    ko "log: flow API assigned $n times"
fi
status=$(ovs-vsctl get Interface rep0 status 2>&1)
if echo "$status" | grep -qE 'driver_name="?net_eswitch'; then
    ok "rep0 status readable"
else
    ko "rep0 status lacks driver_name=net_eswitch: $status"
fi

if ip netns exec eswo_ext ping -c 20 -i 0.2 -W 2 10.77.0.2 \
   > "$dir/ping.txt" 2>&1; then
    ok "ping ext -> vm through OVS NORMAL: $(grep -o '[0-9]* received' \
        "$dir/ping.txt")"
else
    ko "ping through OVS failed: $(tail -n 2 "$dir/ping.txt" | head -1)"
fi
# OVS offloads flows from its offload thread: poll for one.
wait_until 10 sh -c "ovs-appctl dpctl/dump-flows -m > '$dir/flows.txt' 2>&1; grep -q 'offloaded:yes' '$dir/flows.txt'"
nofl=$(grep -c 'offloaded:yes' "$dir/flows.txt")
if [ "$nofl" -ge 1 ]; then
    ok "OVS offloaded $nofl datapath flows to the eswitch model"
else
    ko "no flow offloaded ($(grep -c . "$dir/flows.txt") flows)"
    head -n 5 "$dir/flows.txt"
fi
wait_until 5 sh -c "grep '^rule ' '$state' 2>/dev/null | grep -qv ' hits=0 '"
if [ -f "$state" ] && grep -q '^rule ' "$state" \
   && grep '^rule ' "$state" | grep -qv ' hits=0 '; then
    ok "state file: $(grep -c '^rule ' "$state") rules, hits on" \
       "$(grep '^rule ' "$state" | grep -cv ' hits=0 ') of them"
else
    ko "state file shows no rule with hits"
    cat "$state" 2>/dev/null | head -n 5
fi
hw=$(awk '/^port /{for(i=1;i<=NF;i++)if($i~/^hw_rx=/){split($i,a,"=");s+=a[2]}}
          END{print s+0}' "$state" 2>/dev/null)
if [ "${hw:-0}" -gt 0 ]; then
    ok "state file: $hw packets forwarded by the model, not by OVS"
else
    ko "state file: no packet forwarded by the model"
fi
grep '^rule ' "$state" 2>/dev/null | head -n 4 | sed 's/^/  /'
