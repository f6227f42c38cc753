#!/bin/bash
# The checks of ../shared/hardware.md's last section, on a real ConnectX
# (CX-6 Dx, DPDK 22.11, kernel 6.1), in one run.  What each result means:
# dpdk/HARDWARE.md.  Nothing here runs without the NIC: without one it
# says so and exits 77 (skipped), never "passed".
#
# Topology (see dpdk/HARDWARE.md): PF0 in switchdev mode with VF 0; VF 0's
# netdev is moved into netns "hwc_vm" (the VM); PF1, cabled to PF0's wire
# (or any interface on the same L2 as PF0's uplink), is moved into netns
# "hwc_ext" (the external host and gateway).
#
# usage: dpdk/tests/hardware-check.sh [PART...]
#   PARTS: rte_flow (default: all) tc flowperf mlx5
# env:   HWC_PCI       PF0's PCI address (default: the first ConnectX PF
#                      in switchdev mode)
#        HWC_VF_DEV    VF 0's netdev (default: found under PF0)
#        HWC_EXT_DEV   the external host's netdev (default: PF1's)
#        HWC_REP_DEV   VF 0's representor netdev (tc part; default: found)
#        OVS_BUILD     OVS build tree with DPDK (default _build/ovs of this
#                      checkout)
# Output: "RESULT name: PASS|FAIL|INFO text" lines, then "N passed, M
# failed, K info".  Everything created is removed on exit.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ovs=${OVS_BUILD:-$top/_build/ovs}
frames=$here/frames.py
parts=${*:-rte_flow tc flowperf mlx5}
npass=0 nfail=0 ninfo=0

result() {
    local status=$1 name=$2
    shift 2
    echo "RESULT $name: $status $*"
    case $status in
        PASS) npass=$((npass + 1)) ;;
        FAIL) nfail=$((nfail + 1)) ;;
        *) ninfo=$((ninfo + 1)) ;;
    esac
}
check() {                       # check NAME TEXT COMMAND...
    local name=$1 text=$2
    shift 2
    if "$@"; then result PASS "$name" "$text"; else result FAIL "$name" "$text"; fi
}
wait_until() {                  # wait_until SECONDS COMMAND...
    local n=$(( $1 * 10 ))
    shift
    while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    "$@"
}

[ "$(id -u)" = 0 ] || { echo "hardware-check: needs root" >&2; exit 1; }

# Find the NIC.
pci=${HWC_PCI:-}
if [ -z "$pci" ]; then
    for d in $(lspci -D -d 15b3: 2>/dev/null | awk '/Ethernet/ && !/Virtual/ { print $1 }'); do
        if devlink dev eswitch show "pci/$d" 2>/dev/null | grep -q 'mode switchdev'; then
            pci=$d
            break
        fi
    done
fi
if [ -z "$pci" ]; then
    echo "hardware-check: no ConnectX PF in switchdev mode (lspci -d 15b3:, devlink dev eswitch show): nothing checked"
    echo "0 passed, 0 failed, 0 info (skipped: no hardware)"
    exit 77
fi
pf_dev=$(ls "/sys/bus/pci/devices/$pci/net" 2>/dev/null | head -1)
vf_dev=${HWC_VF_DEV:-$(ls "/sys/bus/pci/devices/$pci/virtfn0/net" 2>/dev/null | head -1)}
ext_dev=${HWC_EXT_DEV:-}
if [ -z "$ext_dev" ]; then
    pf1=$(echo "$pci" | sed 's/\.0$/.1/')
    ext_dev=$(ls "/sys/bus/pci/devices/$pf1/net" 2>/dev/null | head -1)
fi
echo "hardware-check: PF0 $pci ($pf_dev), VF 0 $vf_dev, external $ext_dev"
echo "hardware-check: $(lspci -s "$pci" | cut -d' ' -f2-); firmware $(ethtool -i "$pf_dev" 2>/dev/null | sed -n 's/^firmware-version: //p'); kernel $(uname -r)"
[ -n "$vf_dev" ] && [ -n "$ext_dev" ] \
    || { echo "hardware-check: need VF 0 and an external interface (HWC_VF_DEV, HWC_EXT_DEV)" >&2; exit 1; }

run=$(mktemp -d /var/tmp/hwc.XXXXXX)
chmod 755 "$run"
cleanup() {
    if [ -f "$run/ovs-vswitchd.pid" ]; then
        timeout 30 "$ovs/utilities/ovs-appctl" -t "$run/ovs-vswitchd.$(cat "$run/ovs-vswitchd.pid").ctl" exit >/dev/null 2>&1
    fi
    [ -f "$run/ovsdb-server.pid" ] && kill "$(cat "$run/ovsdb-server.pid")" 2>/dev/null
    for ns in hwc_vm hwc_ext; do
        for l in $(ip -n $ns -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
            [ "$l" = lo ] || ip -n $ns link set "$l" netns 1 2>/dev/null
        done
        ip netns del $ns 2>/dev/null
    done
    rm -rf "$run"
}
trap cleanup EXIT

ip netns add hwc_vm
ip netns add hwc_ext
ip link set "$vf_dev" netns hwc_vm
ip link set "$ext_dev" netns hwc_ext
ip -n hwc_vm link set "$vf_dev" address 02:00:00:00:00:05 up
ip -n hwc_vm addr add 10.0.0.5/24 dev "$vf_dev"
ip -n hwc_vm -6 addr add fd00::5/64 dev "$vf_dev" nodad
ip -n hwc_vm route add default via 10.0.0.1
ip -n hwc_vm -6 route add default via fd00::1
ip -n hwc_vm neigh add 10.0.0.1 lladdr 02:00:00:00:00:01 dev "$vf_dev" nud permanent
ip -n hwc_vm -6 neigh add fd00::1 lladdr 02:00:00:00:00:01 dev "$vf_dev" nud permanent
ip -n hwc_ext link set "$ext_dev" up
ip -n hwc_ext addr add 192.0.2.1/24 dev "$ext_dev"
ip -n hwc_ext -6 addr add 2001:db8::1/64 dev "$ext_dev" nodad
ip -n hwc_ext route add 203.0.113.0/24 dev "$ext_dev"
ip -n hwc_ext -6 route add 2001:db8:f::/64 dev "$ext_dev"

start_ovs() {                   # start_ovs DATAPATH_TYPE
    PATH=$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$PATH
    export OVS_RUNDIR=$run OVS_LOGDIR=$run OVS_DBDIR=$run OVS_SYSCONFDIR=$run
    ovsdb-tool create "$run/conf.db" "$ovs/vswitchd/vswitch.ovsschema"
    ovsdb-server --remote=punix:"$run/db.sock" --pidfile --detach \
        --log-file="$run/ovsdb-server.log" "$run/conf.db"
    ovs-vsctl --no-wait init
    ovs-vsctl --no-wait set Open_vSwitch . other_config:dpfip-enable=true \
        other_config:hw-offload=false
    if [ "$1" = netdev ]; then
        ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true
    fi
    ovs-vswitchd --pidfile --detach --log-file="$run/ovs-vswitchd.log" \
        unix:"$run/db.sock"
}

stop_ovs() {
    ovs-appctl -t "$run/ovs-vswitchd.$(cat "$run/ovs-vswitchd.pid").ctl" exit >/dev/null 2>&1
    kill "$(cat "$run/ovsdb-server.pid")" 2>/dev/null
    rm -f "$run"/*.pid "$run/conf.db"
}

json() {                        # json FLOATING FIELD...
    ovs-appctl dpfip/show --json | python3 "$top/tests/dpfip-json.py" "$@"
}

# udp_round_trips N: N UDP round trips from the external host to the IPv4
# FIP, answered by the VM (UDP: IPv4 ICMP stays in software, because an
# ICMP error's quote must be translated too).
udp_round_trips() {
    udp="$top/tests/dpfip-udp.py"
    ip netns exec hwc_vm python3 "$udp" echo 5001 "$1" 10.0.0.5 &
    wait_until 5 sh -c "ip netns exec hwc_vm ss -lunH | grep -q ':5001 '"
    ip netns exec hwc_ext python3 "$udp" ping 203.0.113.10 5001 "$1"
    wait
}

part_rte_flow() {
    start_ovs netdev
    ovs-vsctl --timeout=60 add-br br0 -- set bridge br0 datapath_type=netdev \
        other_config:dpfip-uplink=up0 other_config:dpfip-gateway=192.0.2.1,2001:db8::1 \
        other_config:dpfip-router=10.0.0.1/24,fd00::1/64 \
        other_config:dpfip-router-mac=02:00:00:00:00:01 \
        -- add-port br0 up0 -- set Interface up0 type=dpdk \
           "options:dpdk-devargs=$pci,dv_flow_en=1" \
        -- add-port br0 rep0 -- set Interface rep0 type=dpdk \
           "options:dpdk-devargs=$pci,representor=vf0" \
           external_ids:attached-mac=02:00:00:00:00:05 \
           other_config:dpfip-fips=203.0.113.10=10.0.0.5,2001:db8:f::10=fd00::5
    ovs-ofctl add-flow br0 actions=NORMAL
    ext_mac=$(ovs-vsctl get Interface up0 mac_in_use | tr -d '"')
    ip -n hwc_ext neigh replace 203.0.113.10 lladdr "$ext_mac" dev "$ext_dev"
    ip -n hwc_ext -6 neigh replace 2001:db8:f::10 lladdr "$ext_mac" dev "$ext_dev"

    check offloaded "both FIPs offloaded (the rules went into the NIC)" \
        wait_until 30 sh -c "test \"\$(ovs-appctl dpfip/show | grep -c 'where: offloaded (rte_flow')\" = 2"
    ovs-appctl dpif-netdev/pmd-stats-clear >/dev/null
    udp_round_trips 5 > "$run/ping" 2>&1
    check ping4 "IPv4 UDP round trips through the FIP: 5/5" grep -q '^5 sent, 5 answered' "$run/ping"
    rx=$(ovs-appctl dpif-netdev/pmd-stats-show | awk '/packets received:/ { s += $3 } END { print s + 0 }')
    check in_hw "... and none of it reached OVS's PMDs ($rx packets): the NIC rewrote and forwarded" test "$rx" -le 2

    # ICMP errors go to software, which translates their quote: the
    # sender's socket is told of the port unreachable only then.
    check icmp4_error "port unreachable from the VM reaches the external host through the offloaded FIP" \
        sh -c "ip netns exec hwc_ext python3 '$top/tests/dpfip-udp.py' probe 203.0.113.10 9 | grep -q refused"

    # TTL 1 and 0 (hardware.md: DEC_TTL is "add 0xff"; dpfip's exception
    # must send them to software, which drops them).
    d0=$(json 203.0.113.10 dropped)
    ip netns exec hwc_vm timeout 6 tcpdump -n -i "$vf_dev" -c 1 'udp and ip[8] <= 1' > "$run/ttl.cap" 2>/dev/null &
    sleep 1
    ip netns exec hwc_ext python3 "$frames" "$ext_dev" "$ext_mac" \
        "$(ip -n hwc_ext -o link show "$ext_dev" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)" \
        192.0.2.1 203.0.113.10 33434 2 --ttl 1
    ip netns exec hwc_ext python3 "$frames" "$ext_dev" "$ext_mac" \
        "$(ip -n hwc_ext -o link show "$ext_dev" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)" \
        192.0.2.1 203.0.113.10 33434 2 --ttl 0
    wait
    check ttl_exception "TTL 1 and 0 to the FIP: none reached the VM (the exception rule sent them to software)" \
        sh -c "! grep -q 'IP' '$run/ttl.cap'"
    check ttl_dropped "... and software dropped and counted them (dpfip/show dropped grew by 4)" \
        wait_until 5 sh -c "test \$(( \$(ovs-appctl dpfip/show --json | python3 '$top/tests/dpfip-json.py' 203.0.113.10 dropped) - $d0 )) -ge 4"
    check jump_miss_port "the JUMP to the empty group reached software on the uplink's rxq (a datapath flow with in_port(up0))" \
        sh -c "ovs-appctl dpctl/dump-flows | grep -q 'in_port(up0).*ttl=[01]'"

    # Checksums of what dpfip keeps in software today (ICMPv6, UDP
    # checksum 0, first fragments): must arrive correct.
    ip netns exec hwc_vm timeout 8 tcpdump -n -vv -i "$vf_dev" -c 6 'icmp6 or udp port 5000 or (ip[6:2] & 0x3fff != 0)' > "$run/sum.cap" 2>/dev/null &
    sleep 1
    ip netns exec hwc_ext ping -6 -q -c 2 -W 2 2001:db8:f::10 > /dev/null 2>&1
    src_mac=$(ip -n hwc_ext -o link show "$ext_dev" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
    ip netns exec hwc_ext python3 "$frames" "$ext_dev" "$ext_mac" "$src_mac" 192.0.2.1 203.0.113.10 5000 2 --csum0
    ip netns exec hwc_ext python3 "$frames" "$ext_dev" "$ext_mac" "$src_mac" 192.0.2.1 203.0.113.10 5000 2 --frag first
    wait
    check icmp6 "ICMPv6 echo to the IPv6 FIP arrives, checksum ok" \
        sh -c "grep -q 'echo request' '$run/sum.cap' && ! grep -qi 'bad' '$run/sum.cap'"
    check udp_csum0 "IPv4 UDP with checksum 0 arrives with checksum 0 (no checksum), not a bad one" \
        sh -c "grep -q 'no cksum\\|\\[no cksum\\]' '$run/sum.cap' || grep -q 'udp sum ok' '$run/sum.cap'"

    # An MTU change restarts the DPDK port: rules vanish (hardware.md); the
    # manager must notice and reinstall.
    flushed0=$(grep -c 'rules lost (port changed), reinstalling' "$run/ovs-vswitchd.log")
    ovs-vsctl set Interface up0 mtu_request=1400
    check mtu_noticed "MTU change on the uplink: dpfip noticed lost rules and reinstalled" \
        wait_until 20 sh -c "test \$(grep -c 'rules lost (port changed), reinstalling' '$run/ovs-vswitchd.log') -gt $flushed0"
    ovs-appctl dpif-netdev/pmd-stats-clear >/dev/null
    udp_round_trips 5 > "$run/ping" 2>&1
    rx=$(ovs-appctl dpif-netdev/pmd-stats-show | awk '/packets received:/ { s += $3 } END { print s + 0 }')
    check mtu_in_hw "... and traffic is in hardware again ($rx packets to OVS)" \
        sh -c "grep -q '^5 sent, 5 answered' '$run/ping' && test $rx -le 2"
    grep -q 'rules lost (port changed)' "$run/ovs-vswitchd.log" \
        || result INFO mtu_rules "no loss reported: either the PMD keeps rules across a restart (then dpfip need not reinstall) or the loss went unnoticed (then mtu_in_hw fails)"
    stop_ovs
}

part_tc() {
    rep=${HWC_REP_DEV:-$(ls /sys/class/net/*/phys_port_name 2>/dev/null | while read -r f; do
        [ "$(cat "$f" 2>/dev/null)" = pf0vf0 ] && basename "$(dirname "$f")"; done | head -1)}
    if [ -z "$rep" ]; then
        result INFO tc "no kernel representor of VF 0 (pf0vf0): tc checks skipped"
        return
    fi
    if tc qdisc add dev "$rep" ingress 2>/dev/null || true; then :; fi
    if tc filter add dev "$rep" ingress prio 49152 protocol ip flower skip_sw \
            dst_ip 198.18.0.1 action pass 2>"$run/tc.err"; then
        result PASS tc_prio "a skip_sw flower rule at priority 49152 (0xc000) is in hardware: priorities above 16 work (ignore_flow_level)"
        tc filter del dev "$rep" ingress prio 49152 2>/dev/null
    else
        result FAIL tc_prio "priority 49152 refused ($(tr '\n' ' ' < "$run/tc.err")): dpfip's tc provider must pick 9..16 on this port (its probe logs it)"
    fi
    for proto in tcp udp; do
        # dpfip's csum flags: mlx5e takes the IPv4 header, TCP and UDP.
        csum="ip and $proto"
        if tc filter add dev "$rep" ingress prio 16 protocol ip flower skip_sw \
                ip_proto $proto dst_ip 198.18.0.2 action pedit ex munge ip dst set 198.18.0.3 \
                munge ip ttl add 0xff pipe csum $csum pipe action mirred egress redirect dev "$rep" 2>"$run/tc.err"; then
            result PASS "tc_pedit_$proto" "IPv4 $proto address pedit + TTL add + csum in hardware"
        else
            result FAIL "tc_pedit_$proto" "refused: $(tr '\n' ' ' < "$run/tc.err")"
        fi
        tc filter del dev "$rep" ingress prio 16 2>/dev/null
    done
    tc qdisc del dev "$rep" ingress 2>/dev/null
}

part_flowperf() {
    fp=$(command -v dpdk-test-flow-perf)
    if [ -z "$fp" ]; then
        result INFO flowperf "dpdk-test-flow-perf not installed (dpdk package): insertion rate not measured"
        return
    fi
    # dpfip's rewrite rule shape: transfer, ETH / IPV4(dst), set MACs,
    # set IPv4 dst, DEC_TTL, COUNT, to the VF's port.
    timeout 300 "$fp" -a "$pci,representor=vf0,dv_flow_en=1" --in-memory -- \
        --transfer --ether --ipv4 --set-src-mac --set-dst-mac --set-dst-ipv4 \
        --dec-ttl --count --port-id=1 --rules-count=100000 --rules-batch=10000 \
        > "$run/flowperf.txt" 2>&1
    rate=$(grep -i 'insertion rate' "$run/flowperf.txt" | tail -1)
    if [ -n "$rate" ]; then
        result INFO flowperf "dpfip's rule shape, 100k rules: $rate"
    else
        result FAIL flowperf "no insertion rate: $(tail -3 "$run/flowperf.txt" | tr '\n' ' ')"
    fi
}

part_mlx5() {
    # hardware.md's claims the provider relies on, straight on the PMD
    # with testpmd: DEC_TTL wraps, a miss after JUMP to an empty group
    # arrives at the source port, a query of a destroyed flow says ENOENT
    # with type UNSPECIFIED.
    tp=$(command -v dpdk-testpmd)
    if [ -z "$tp" ]; then
        result INFO mlx5 "dpdk-testpmd not installed: PMD-level checks skipped"
        return
    fi
    printf '%s\n' \
        "flow create 0 transfer priority 1 pattern eth / ipv4 dst is 203.0.113.99 / end actions jump group 57119 / end" \
        "flow create 0 transfer priority 2 pattern eth / ipv4 dst is 203.0.113.98 / end actions dec_ttl / count / port_id id 1 / end" \
        "flow destroy 0 rule 1" \
        "flow query 0 1 count" \
        "quit" \
        | timeout 60 "$tp" -a "$pci,representor=vf0,dv_flow_en=1" --in-memory -- -i --forward-mode=rxonly \
        > "$run/testpmd.txt" 2>&1
    check mlx5_jump "JUMP to an empty group accepted by the PMD" grep -q 'Flow rule #0 created' "$run/testpmd.txt"
    check mlx5_dec_ttl "DEC_TTL + COUNT + PORT_ID accepted" grep -q 'Flow rule #1 created' "$run/testpmd.txt"
    if grep -qi 'error.*type: 1\b\|unspecified' "$run/testpmd.txt"; then
        result PASS mlx5_enoent "query of a destroyed flow: error of type UNSPECIFIED (as the model)"
    else
        result INFO mlx5_enoent "query of a destroyed flow said: $(grep -i 'caught\|error' "$run/testpmd.txt" | tail -1)"
    fi
}

for p in $parts; do
    case $p in
        rte_flow|tc|flowperf|mlx5) "part_$p" ;;
        *) echo "hardware-check: unknown part $p" >&2; exit 1 ;;
    esac
done
echo "$npass passed, $nfail failed, $ninfo info"
[ "$nfail" -eq 0 ]
