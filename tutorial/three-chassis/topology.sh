#! /bin/bash
# Three "chassis" on one machine: the seed scenario of dpfip (three
# hypervisors, one VM each, floating IPs to the provider network), with
# a centralized gateway (as OVN/LXD do today) or dpfip on every chassis.
#
#                upstream: 192.0.2.1 (gateway), 198.51.100.1 ("internet")
#                Linux bridge br-prov = provider network 192.0.2.0/24
#          up1 -------------------+------------------- up3
#           |                    up2                    |
#   +-------|--------+   +--------|-------+   +--------|-------+
#   | chassis1 uplink|   | chassis2 uplink|   | chassis3 uplink|
#   |  br-int: vm1p  |   |  br-int: vm2p  |   |  br-int: vm3p  |
#   |   gnv2 gnv3    |   |   gnv1         |   |   gnv1         |
#   |  br-phy: ul    |   |  br-phy: ul    |   |  br-phy: ul    |
#   |  172.16.0.1    |   |  172.16.0.2    |   |  172.16.0.3    |
#   +--|--------|----+   +--|--------|----+   +--|--------|----+
#      |        +-----------|--------+-----------|--------+
#      |        underlay: Linux bridge br-ul (Geneve, MTU 1600)
#     vm1 10.0.0.11        vm2 10.0.0.12        vm3 10.0.0.13
#
# Each chassis is a network namespace running its own ovsdb-server and
# ovs-vswitchd (userspace datapath) from a private run directory.  The
# overlay is a star of OVS Geneve ports (chassis1 is the hub; chassis2 and
# chassis3 each have one tunnel to chassis1), which carries 10.0.0.0/24.
#
# FIPs: 203.0.113.1N -> 10.0.0.1N (N = 1, 2, 3).  The VMs' router is
# 10.0.0.1 at 02:00:00:00:00:01 in both modes.
#
#   topology.sh up                  build everything (mode: distributed)
#   topology.sh mode centralized    all FIPs NATed on chassis1 (OpenFlow)
#   topology.sh mode distributed    dpfip on every chassis
#   topology.sh mode bgp            dpfip on every chassis, announcing
#                                   its FIPs over BGP (FRR in each chassis
#                                   and in upstream) instead of by ARP
#   topology.sh check               upstream pings each FIP; each VM
#                                   connects to upstream from its FIP
#   topology.sh status              mode, flows, dpfip/show per chassis
#   topology.sh migrate vm2 3       move vm2's port to chassis3
#   topology.sh where vm2           the chassis vm2's port is on
#   topology.sh cpulimit PCT|off    cap each chassis's ovs-vswitchd at
#                                   PCT % of one core (see cmd_cpulimit)
#   topology.sh ovs N CMD...        run an OVS tool against chassis N
#                                   (e.g. ovs 2 ovs-appctl dpfip/show)
#   topology.sh ns NAME CMD...      run CMD in namespace NAME (upstream,
#                                   underlay, chassisN, vmN; the real
#                                   names have the prefix "3c-")
#   topology.sh down                remove everything
#
# Uses the binaries of DPFIP_BUILD (default: _build/ovs of this checkout),
# copied at "up" into the run directory so that a rebuild does not pull
# them from under the running daemons.

set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DPFIP_BUILD:-$top/_build/ovs}
RUN=${DPFIP_3C_RUN:-/run/dpfip-3c}
BIN=$RUN/bin
# Namespace names: "3c-" + upstream, underlay, chassis1-3, vm1-3 (a prefix,
# because dpfip's own system tests create namespaces called vm1 and ext
# and delete them by name).
P=${DPFIP_3C_PREFIX-3c-}

ROUTER_IP=10.0.0.1
ROUTER_MAC=02:00:00:00:00:01
GW_IP=192.0.2.1
GW_MAC=02:00:00:00:01:01          # upstream's br-prov
vm_mac() { echo "02:00:00:00:00:1$1"; }
uplink_mac() { echo "02:00:00:00:02:0$1"; }   # also dpfip's external MAC
fixed() { echo "10.0.0.1$1"; }
fip() { echo "203.0.113.1$1"; }

log() { printf '%s\n' "$*" >&2; }
die() { log "topology.sh: $*"; exit 1; }

# ovs N TOOL ARGS...: runs an OVS tool of chassis N in its namespace with
# its private run directory.
ovs() {
    local n=$1; shift
    local d=$RUN/chassis$n
    ip netns exec ${P}chassis$n env OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d \
        OVS_SYSCONFDIR=$d PATH=$BIN:$PATH "$@"
}
vsctl() { local n=$1; shift; ovs $n ovs-vsctl --timeout=10 "$@"; }
ofctl() { local n=$1; shift; ovs $n ovs-ofctl --timeout=10 "$@"; }
appctl() { local n=$1; shift; ovs $n ovs-appctl --timeout=10 "$@"; }
nsx() { local ns=$P$1; shift; ip netns exec "$ns" "$@"; }

# Where vm N's port currently is (a chassis number).
vm_location() {
    local c
    for c in 1 2 3; do
        if nsx chassis$c ip link show vm$1p >/dev/null 2>&1; then
            echo $c; return
        fi
    done
}

wait_for() {    # wait_for TENTHS CMD...: retries CMD every 0.1 s
    local i=0 n=$1; shift
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -ge $n ] && return 1
        sleep 0.1
    done
}

start_chassis() {
    local n=$1 d=$RUN/chassis$n
    mkdir -p $d
    ovs $n ovsdb-tool create $d/conf.db $BIN/vswitch.ovsschema
    ovs $n ovsdb-server --detach --no-chdir --pidfile --log-file \
        --remote=punix:$d/db.sock $d/conf.db
    vsctl $n --no-wait init
    vsctl $n --no-wait set Open_vSwitch . external_ids:system-id=chassis$n
    ovs $n ovs-vswitchd --detach --no-chdir --pidfile --log-file \
        -vconsole:off -vfile:dpfip:dbg
}

# The VMs' veth ends inside the VMs fill their checksums (the userspace
# datapath does not complete checksums left to the NIC).
no_offload() { nsx "$1" ethtool -K "$2" tx off >/dev/null; }

# Base flows of br-int on every chassis: an L2 switch (NORMAL) between the
# VM port and the tunnels.  The uplink is not part of that switch: nothing
# from it reaches NORMAL and NORMAL never floods to it (with the provider
# network and the overlay both joining the chassis, that would be a loop).
# dpfip's hidden rules (and, in centralized mode, chassis1's gateway flows)
# are the only way between the uplink and the VMs.
base_flows() {
    local n=$1
    ofctl $n del-flows br-int
    ofctl $n add-flow br-int "priority=100,in_port=uplink,actions=drop"
    ofctl $n add-flow br-int "priority=0,actions=NORMAL"
    ofctl $n mod-port br-int uplink no-flood
}

cmd_up() {
    local ns
    [ -e $RUN ] && die "$RUN exists: run '$0 down' first"
    for ns in upstream underlay chassis1 chassis2 chassis3 vm1 vm2 vm3; do
        [ -e /run/netns/$P$ns ] && die "namespace $P$ns exists already"
    done
    local c
    for c in ip ethtool arping nc ping iperf3 tcpdump python3; do
        command -v $c >/dev/null || die "$c missing (../../tests/install-deps.sh installs it)"
    done
    for f in vswitchd/ovs-vswitchd ovsdb/ovsdb-server ovsdb/ovsdb-tool \
             utilities/ovs-vsctl utilities/ovs-ofctl utilities/ovs-appctl \
             vswitchd/vswitch.ovsschema; do
        [ -e $build/$f ] || die "$build/$f missing (build first)"
    done
    mkdir -p $BIN
    cp $build/vswitchd/ovs-vswitchd $build/ovsdb/ovsdb-server \
       $build/ovsdb/ovsdb-tool $build/utilities/ovs-vsctl \
       $build/utilities/ovs-ofctl $build/utilities/ovs-appctl \
       $build/vswitchd/vswitch.ovsschema $BIN/

    log "### namespaces ${P}{upstream,underlay,chassis1-3,vm1-3}"
    trap 'log "up failed: removing what was built"; cmd_down' ERR
    for ns in upstream underlay chassis1 chassis2 chassis3 vm1 vm2 vm3; do
        ip netns add $P$ns
        nsx $ns ip link set lo up
    done

    # Provider network: upstream's Linux bridge, one uplink per chassis.
    nsx upstream ip link add br-prov address $GW_MAC type bridge
    nsx upstream ip link set br-prov up
    nsx upstream ip addr add $GW_IP/24 dev br-prov
    nsx upstream ip addr add 198.51.100.1/24 dev lo
    nsx upstream ip route add 203.0.113.0/24 dev br-prov
    no_offload upstream br-prov
    # Underlay: a Linux bridge in its own namespace, MTU 1600 so that a
    # 1500-byte VM frame fits in Geneve.
    nsx underlay ip link add br-ul mtu 1600 type bridge
    nsx underlay ip link set br-ul up

    local n
    for n in 1 2 3; do
        ip link add uplink netns ${P}chassis$n address $(uplink_mac $n) \
            type veth peer name up$n netns ${P}upstream
        nsx upstream ip link set up$n master br-prov up
        no_offload upstream up$n
        nsx chassis$n ip link set uplink up

        ip link add ul mtu 1600 netns ${P}chassis$n \
            type veth peer name ul$n mtu 1600 netns ${P}underlay
        nsx underlay ip link set ul$n master br-ul up
        nsx chassis$n ip link set ul up

        ip link add eth0 netns ${P}vm$n address $(vm_mac $n) \
            type veth peer name vm${n}p netns ${P}chassis$n
        nsx vm$n ip link set eth0 up
        nsx vm$n ip addr add $(fixed $n)/24 dev eth0
        nsx vm$n ip route add default via $ROUTER_IP
        no_offload vm$n eth0
        nsx chassis$n ip link set vm${n}p up
    done

    log "### ovsdb-server + ovs-vswitchd per chassis (userspace datapath)"
    for n in 1 2 3; do
        start_chassis $n
    done

    for n in 1 2 3; do
        # Underlay bridge: the tunnel endpoint address lives on it.
        vsctl $n add-br br-phy -- set bridge br-phy datapath_type=netdev \
            -- set Interface br-phy mtu_request=1600 \
            -- add-port br-phy ul
        nsx chassis$n ip addr add 172.16.0.$n/24 dev br-phy
        nsx chassis$n ip link set br-phy up

        # Integration bridge: VM port, uplink, tunnels, dpfip's keys
        # (dpfip itself is switched on by "mode distributed").
        vsctl $n add-br br-int -- set bridge br-int datapath_type=netdev \
            fail_mode=secure \
            other_config:dpfip-uplink=uplink \
            other_config:dpfip-gateway=$GW_IP \
            other_config:dpfip-router=$ROUTER_IP/24 \
            other_config:dpfip-router-mac=$ROUTER_MAC \
            -- add-port br-int uplink -- set Interface uplink ofport_request=1 \
            -- add-port br-int vm${n}p -- set Interface vm${n}p \
                   ofport_request=10 \
                   external_ids:attached-mac=$(vm_mac $n) \
                   other_config:dpfip-fips=$(fip $n)=$(fixed $n)
        if [ $n = 1 ]; then
            vsctl 1 add-port br-int gnv2 -- set Interface gnv2 type=geneve \
                    ofport_request=2 options:remote_ip=172.16.0.2 \
                -- add-port br-int gnv3 -- set Interface gnv3 type=geneve \
                    ofport_request=3 options:remote_ip=172.16.0.3
        else
            vsctl $n add-port br-int gnv1 -- set Interface gnv1 type=geneve \
                ofport_request=2 options:remote_ip=172.16.0.1
        fi
        base_flows $n
    done
    cmd_mode distributed
    trap - ERR
}

# cpulimit PCT|off: caps each chassis's ovs-vswitchd (all its threads) at
# PCT % of one core with a CPU cgroup (period 10 ms, so that a throttled
# datapath stalls for a few ms only).  Three chassis sharing two cores
# otherwise borrow each other's CPU, which no real cluster can do: with a
# cap, each chassis has its own datapath budget, as each host of the seed
# has its own CPUs and NIC.
CG1=/sys/fs/cgroup/cpu
CG2=/sys/fs/cgroup
cmd_cpulimit() {
    local pct=$1 n pid d t
    for n in 1 2 3; do
        pid=$(cat $RUN/chassis$n/ovs-vswitchd.pid 2>/dev/null) || continue
        if [ -e $CG1/cpu.cfs_quota_us ]; then
            d=$CG1/dpfip-3c-chassis$n
            if [ "$pct" = off ]; then
                [ -d $d ] || continue
                for t in $(cat $d/tasks); do echo $t > $CG1/tasks; done
                rmdir $d
            else
                mkdir -p $d
                echo 10000 > $d/cpu.cfs_period_us
                echo $((pct * 100)) > $d/cpu.cfs_quota_us
                for t in /proc/$pid/task/*; do echo ${t##*/} > $d/tasks; done
            fi
        elif [ -e $CG2/cgroup.controllers ]; then
            d=$CG2/dpfip-3c-chassis$n
            if [ "$pct" = off ]; then
                [ -d $d ] || continue
                echo $pid > $CG2/cgroup.procs
                rmdir $d
            else
                grep -qw cpu $CG2/cgroup.subtree_control \
                    || echo +cpu > $CG2/cgroup.subtree_control
                mkdir -p $d
                echo "$((pct * 100)) 10000" > $d/cpu.max
                echo $pid > $d/cgroup.procs
            fi
        else
            die "no CPU cgroup controller found"
        fi
    done
    if [ "$pct" = off ]; then
        rm -f $RUN/cpulimit
    else
        echo $pct > $RUN/cpulimit
    fi
    log "ovs-vswitchd CPU limit per chassis: $pct"
}

cmd_down() {
    local n ns
    cmd_cpulimit off 2>/dev/null || true
    for ns in chassis1 chassis2 chassis3 upstream; do
        stop_frr $ns 2>/dev/null || true
    done
    for n in 1 2 3; do
        if [ -e $RUN/chassis$n/ovs-vswitchd.pid ]; then
            appctl $n -t ovs-vswitchd exit >/dev/null 2>&1 || true
        fi
        if [ -e $RUN/chassis$n/ovsdb-server.pid ]; then
            appctl $n -t ovsdb-server exit >/dev/null 2>&1 || true
        fi
    done
    for ns in vm1 vm2 vm3 chassis1 chassis2 chassis3 underlay upstream; do
        ip netns del $P$ns 2>/dev/null || true
    done
    rm -rf $RUN
}

# A gratuitous ARP for FIP $1 from MAC $2, as hex.
garp_hex() {
    local mac=${2//:/} ip hex=
    for ip in ${1//./ }; do hex=$hex$(printf %02x $ip); done
    echo ffffffffffff${mac}0806000108000604""0001${mac}${hex}000000000000${hex}
}

# Chassis1's centralized gateway: plain OpenFlow flows on br-int (cookie
# 0xc1).  Stateless 1:1 NAT with set_field (the same rewrite dpfip does, so
# that the comparison isolates where the NAT happens, not how; OVN's
# default dnat_and_snat uses ct(nat), which costs about 3x more per
# packet, see tests/bench/results.txt).  chassis1 answers ARP for 10.0.0.1
# (from the VMs, also across the tunnels) and for every FIP on its uplink.
centralized_flows() {
    local ext=$(uplink_mac 1) n port f
    local arp="move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],load:2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]"
    {
        echo "cookie=0xc1,priority=300,arp,arp_op=1,arp_tpa=$ROUTER_IP,actions=$arp,mod_dl_src:$ROUTER_MAC,set_field:$ROUTER_MAC->arp_sha,set_field:$ROUTER_IP->arp_spa,in_port"
        # Routed traffic between internal addresses is not part of this
        # tutorial: drop it instead of NATing it.
        echo "cookie=0xc1,priority=310,ip,dl_dst=$ROUTER_MAC,nw_dst=10.0.0.0/24,actions=drop"
        for n in 1 2 3; do
            f=$(fip $n)
            case $(vm_location $n) in
                1) port=vm${n}p ;;
                *) port=gnv$(vm_location $n) ;;
            esac
            echo "cookie=0xc1,priority=300,in_port=uplink,arp,arp_op=1,arp_tpa=$f,actions=$arp,mod_dl_src:$ext,set_field:$ext->arp_sha,set_field:$f->arp_spa,in_port"
            echo "cookie=0xc1,priority=300,in_port=uplink,ip,dl_dst=$ext,nw_dst=$f,actions=mod_dl_src:$ROUTER_MAC,mod_dl_dst:$(vm_mac $n),mod_nw_dst:$(fixed $n),dec_ttl,output:$port"
            echo "cookie=0xc1,priority=300,in_port=$port,ip,dl_src=$(vm_mac $n),dl_dst=$ROUTER_MAC,nw_src=$(fixed $n),actions=mod_dl_src:$ext,mod_dl_dst:$GW_MAC,mod_nw_src:$f,dec_ttl,output:uplink"
        done
    } > $RUN/centralized.flows
    ofctl 1 add-flows br-int $RUN/centralized.flows
}

# FRR (zebra + bgpd) in namespace $1 with the configuration on stdin; files
# in $RUN/frr-$1.  Stops a running one first.
start_frr() {
    local ns=$1 d=$RUN/frr-$1 f
    stop_frr $ns
    mkdir -p $d
    cat > $d/frr.conf
    chown -R frr:frr $d
    for f in zebra bgpd; do
        nsx $ns /usr/lib/frr/$f -d -N 3c$ns -f $d/frr.conf -i $d/$f.pid \
            -z $d/zserv.api --vty_socket $d --log file:$d/$f.log 2>/dev/null
    done
}
stop_frr() {
    local d=$RUN/frr-$1 f
    for f in bgpd zebra; do
        [ -e $d/$f.pid ] && kill $(cat $d/$f.pid) 2>/dev/null
        rm -f $d/$f.pid
    done
    return 0
}

# BGP: each chassis speaks from 192.0.2.1N on its uplink veth (the uplink's
# MAC is dpfip's external MAC, so traffic routed to that address is
# translated by dpfip), exports its active FIPs into table 42 (dpfip-
# announce=bgp) and redistributes that table; upstream peers with all
# three and installs each FIP's /32 via the chassis that announces it.
bgp_up() {
    local n
    [ -x /usr/lib/frr/bgpd ] \
        || die "FRR missing (../../tests/install-deps.sh installs it)"
    for n in 1 2 3; do
        nsx chassis$n ip addr replace 192.0.2.1$n/24 dev uplink
        start_frr chassis$n <<FRR_EOF
frr defaults traditional
hostname chassis$n
ip import-table 42
router bgp 6500$n
 bgp router-id 192.0.2.1$n
 no bgp ebgp-requires-policy
 neighbor $GW_IP remote-as 65000
 neighbor $GW_IP timers 3 9
 neighbor $GW_IP timers connect 2
 neighbor $GW_IP advertisement-interval 0
 address-family ipv4 unicast
  redistribute table 42
 exit-address-family
FRR_EOF
    done
    start_frr upstream <<FRR_EOF
frr defaults traditional
hostname upstream
router bgp 65000
 bgp router-id $GW_IP
 no bgp ebgp-requires-policy
$(for n in 1 2 3; do
    printf ' neighbor 192.0.2.1%d remote-as 6500%d\n' $n $n
    printf ' neighbor 192.0.2.1%d timers 3 9\n' $n
    printf ' neighbor 192.0.2.1%d timers connect 2\n' $n
    printf ' neighbor 192.0.2.1%d advertisement-interval 0\n' $n
done)
FRR_EOF
}
bgp_down() {
    local n
    for n in 1 2 3; do
        stop_frr chassis$n
        nsx chassis$n ip addr del 192.0.2.1$n/24 dev uplink 2>/dev/null || true
    done
    stop_frr upstream
}

cmd_mode() {
    local mode=$1 n
    case $mode in
        centralized|distributed) bgp_down ;;
    esac
    case $mode in
        centralized)
            for n in 1 2 3; do
                vsctl $n set Open_vSwitch . other_config:dpfip-enable=false
            done
            ofctl 1 del-flows br-int cookie=0xc1/-1
            centralized_flows
            # Announce the FIPs from chassis1, as a gateway does when it
            # takes over.
            for n in 1 2 3; do
                ofctl 1 packet-out br-int LOCAL output:uplink \
                    $(garp_hex $(fip $n) $(uplink_mac 1))
            done
            ;;
        distributed|bgp)
            ofctl 1 del-flows br-int cookie=0xc1/-1
            local announce=arp
            if [ $mode = bgp ]; then
                announce=bgp
                bgp_up
            fi
            for n in 1 2 3; do
                vsctl $n set bridge br-int other_config:dpfip-announce=$announce \
                    other_config:dpfip-route-table=42 \
                    -- set Open_vSwitch . other_config:dpfip-enable=true
            done
            # Every FIP active (it is then announced from its chassis).
            for n in 1 2 3; do
                wait_for 100 sh -c "'$0' ovs $(vm_location $n) ovs-appctl dpfip/show | grep -q '$(fip $n) .* active '" \
                    || log "warning: $(fip $n) not active yet"
            done
            if [ $mode = bgp ]; then
                # Upstream has each FIP's /32 via its chassis.
                for n in 1 2 3; do
                    wait_for 300 sh -c "ip -n ${P}upstream route show $(fip $n) | grep -q 'via 192.0.2.1$(vm_location $n) .*proto bgp'" \
                        || log "warning: upstream has no BGP route for $(fip $n) yet"
                done
            fi
            ;;
        *) die "mode centralized|distributed|bgp" ;;
    esac
    echo $mode > $RUN/mode
    log "mode: $mode"
}

# Upstream pings each FIP; each VM opens a TCP connection to upstream and
# upstream prints the source address it sees (the FIP).
cmd_check() {
    local n ok=0 src
    log "### check ($(cat $RUN/mode) mode)"
    for n in 1 2 3; do
        if nsx upstream ping -c 3 -i 0.2 -W 2 -q $(fip $n) >/dev/null; then
            log "upstream -> $(fip $n) (vm$n on chassis$(vm_location $n)): ping ok"
        else
            log "upstream -> $(fip $n): ping FAILED"; ok=1
        fi
        nsx upstream timeout 5 nc -n -l -v -p 7000 >/dev/null 2>$RUN/nc.log &
        sleep 0.3
        echo hi | nsx vm$n timeout 4 nc -n -N 198.51.100.1 7000 || true
        wait
        src=$(sed -n 's/^Connection received on \([^ ]*\) .*/\1/p' $RUN/nc.log)
        if [ "$src" = "$(fip $n)" ]; then
            log "vm$n -> upstream 198.51.100.1: seen from $src ok"
        else
            log "vm$n -> upstream: seen from '${src:-nothing}' FAILED"; ok=1
        fi
    done
    return $ok
}

cmd_status() {
    local n
    echo "mode: $(cat $RUN/mode)"
    echo "ovs-vswitchd CPU limit per chassis: $(cat $RUN/cpulimit 2>/dev/null || echo none)"
    for n in 1 2 3; do
        echo "=== chassis$n"
        echo "--- ovs-appctl bridge/dump-flows br-int"
        appctl $n bridge/dump-flows br-int
        echo "--- ovs-appctl dpfip/show"
        appctl $n dpfip/show
    done
}

# migrate vmN C: unplug vmN's port from its chassis and plug it into
# chassis C with the same FIP and MAC (what a live migration does to the
# port: the VM keeps its addresses).
cmd_migrate() {
    local vm=${1#vm} to=$2 from
    from=$(vm_location $vm)
    [ "$from" = "$to" ] && die "vm$vm is already on chassis$to"
    vsctl $from del-port br-int vm${vm}p
    nsx chassis$from ip link set vm${vm}p netns ${P}chassis$to
    nsx chassis$to ip link set vm${vm}p up
    vsctl $to add-port br-int vm${vm}p -- set Interface vm${vm}p \
        ofport_request=1$vm external_ids:attached-mac=$(vm_mac $vm) \
        other_config:dpfip-fips=$(fip $vm)=$(fixed $vm)
    # Centralized: the gateway's flows follow the port, as OVN's do when the
    # port binding moves.
    if [ "$(cat $RUN/mode)" = centralized ]; then
        ofctl 1 del-flows br-int cookie=0xc1/-1
        centralized_flows
    fi
    # The VM announces itself once it runs on the new chassis, as QEMU does
    # after a live migration (a RARP there, a gratuitous ARP here): that is
    # what moves its MAC in the overlay's MAC tables.  It is not what moves
    # the FIP upstream: in distributed mode, dpfip's announcement does that.
    nsx vm$vm timeout 3 arping -q -U -c 1 -I eth0 $(fixed $vm) &
    log "vm$vm: chassis$from -> chassis$to"
}

case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    mode) cmd_mode $2 ;;
    check) cmd_check ;;
    status) cmd_status ;;
    migrate) cmd_migrate $2 $3 ;;
    ovs) shift; ovs "$@" ;;
    ns) shift; nsx "$@" ;;
    where) vm_location ${2#vm} ;;
    cpulimit) cmd_cpulimit $2 ;;
    *) die "usage: $0 up|down|mode centralized|mode distributed|check|status|migrate vmN C|where vmN|cpulimit PCT|off|ovs N CMD...|ns NAME CMD..." ;;
esac
