#! /bin/bash
# dpfip demo: an external host reaches a VM through its floating IP.
#
#   ext (192.0.2.1, the provider gateway)            vm1 (10.0.0.5)
#        |  veth                                          |  veth
#   [ uplink ]------------- br0 (OVS, dpfip) ------------[ vm1 port ]
#
# FIP 203.0.113.10 <-> 10.0.0.5 lives on br0, next to the VM.  Installs what
# is needed (Debian 12, root), builds dpfip unless DPFIP_BUILD names a built
# OVS tree, runs ping and a TCP transfer through the FIP both ways, and ends
# with dpfip/show and its counters.  Everything runs in network namespaces
# and a private OVS run directory, and is removed at the end.
set -e

top=$(cd "$(dirname "$0")/.." && pwd)
build=${DPFIP_BUILD:-$top/_build/ovs}

if [ -z "$DPFIP_BUILD" ]; then
    "$top/tests/install-deps.sh"
    (cd "$top" && ./boot.sh && mkdir -p _build && cd _build \
         && ../configure && make -j"$(nproc)")
fi

run=$(mktemp -d /tmp/dpfip-demo.XXXXXX)
export OVS_RUNDIR=$run OVS_LOGDIR=$run OVS_DBDIR=$run OVS_SYSCONFDIR=$run
export PATH=$build/utilities:$build/vswitchd:$build/ovsdb:$PATH

cleanup() {
    set +e
    ovs-appctl -t ovs-vswitchd exit >/dev/null 2>&1
    ovs-appctl -t ovsdb-server exit >/dev/null 2>&1
    ip netns del dpfip-ext 2>/dev/null
    ip netns del dpfip-vm1 2>/dev/null
    ip link del dpfip-up 2>/dev/null
    ip link del dpfip-vm1p 2>/dev/null
    rm -rf "$run"
}
trap cleanup EXIT

step() { printf '\n### %s\n' "$*"; }

step "Starting ovsdb-server and ovs-vswitchd (userspace datapath) in $run"
ovsdb-tool create "$run/conf.db" "$build/vswitchd/vswitch.ovsschema"
ovsdb-server --detach --no-chdir --pidfile --log-file \
    --remote=punix:"$run/db.sock" "$run/conf.db"
ovs-vsctl --no-wait init
ovs-vswitchd --detach --no-chdir --pidfile --log-file \
    -vconsole:off -vfile:dpfip:dbg

step "Hosts: ext on the provider network, vm1 behind the bridge"
ip netns add dpfip-ext
ip netns add dpfip-vm1
ip link add dpfip-up type veth peer name eth0 netns dpfip-ext
ip link add dpfip-vm1p type veth peer name eth0 netns dpfip-vm1
for ns in dpfip-ext dpfip-vm1; do
    ip netns exec $ns ip link set lo up
    ip netns exec $ns ip link set eth0 up
    # The userspace datapath does not complete checksums the kernel left
    # to the NIC, so ask the senders to fill them in.
    ip netns exec $ns ethtool -K eth0 tx off >/dev/null
done
ip link set dpfip-up up
ip link set dpfip-vm1p up
ip netns exec dpfip-ext ip addr add 192.0.2.1/24 dev eth0
ip netns exec dpfip-ext ip route add 203.0.113.0/24 dev eth0
ip netns exec dpfip-vm1 ip link set eth0 address 02:00:00:00:00:05
ip netns exec dpfip-vm1 ip addr add 10.0.0.5/24 dev eth0
ip netns exec dpfip-vm1 ip route add default via 10.0.0.1

step "Bridge br0 with dpfip: uplink, gateway, router, and the VM's FIP"
ovs-vsctl \
    -- set Open_vSwitch . other_config:dpfip-enable=true \
    -- add-br br0 -- set bridge br0 datapath_type=netdev \
           other_config:dpfip-uplink=dpfip-up \
           other_config:dpfip-gateway=192.0.2.1 \
           other_config:dpfip-router=10.0.0.1/24 \
           other_config:dpfip-router-mac=02:00:00:00:00:01 \
    -- add-port br0 dpfip-up \
    -- add-port br0 dpfip-vm1p -- set Interface dpfip-vm1p \
           external_ids:attached-mac=02:00:00:00:00:05 \
           other_config:dpfip-fips=203.0.113.10=10.0.0.5
ovs-ofctl add-flow br0 actions=NORMAL

for i in $(seq 1 100); do
    ovs-appctl dpfip/show | grep -q ' active ' && break
    sleep 0.1
done
ovs-appctl dpfip/show

step "dpfip's flows (hidden rules in table 0)"
ovs-appctl bridge/dump-flows br0 | grep dpfip

step "ext pings the VM at its floating IP"
ip netns exec dpfip-ext ping -c 3 -i 0.2 -W 2 203.0.113.10

step "TCP: ext sends 1 MB to the VM through the FIP"
head -c 1048576 /dev/urandom > "$run/payload"
ip netns exec dpfip-vm1 timeout 20 nc -l -p 5001 > "$run/received" &
sleep 0.5
ip netns exec dpfip-ext timeout 20 nc -N 203.0.113.10 5001 < "$run/payload"
wait
cmp "$run/payload" "$run/received" && echo "received 1 MB intact"

step "The VM reaches ext with its FIP as source address"
ip netns exec dpfip-ext timeout 10 nc -v -l -p 5002 > "$run/who" 2>&1 &
sleep 0.5
ip netns exec dpfip-vm1 sh -c 'echo hello from vm1 | timeout 10 nc -N 192.0.2.1 5002'
wait
cat "$run/who"
ip netns exec dpfip-ext ip neigh show 203.0.113.10

step "dpfip/show: state and counters"
sleep 1
ovs-appctl dpfip/show
