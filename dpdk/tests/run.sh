#!/bin/bash
# End-to-end checks of net_eswitch with real traffic through veths and
# network namespaces (needs root).  Builds what is missing, runs
# tests/eswitch_test, checks the probe error messages in its log and,
# when an OVS build with DPDK is found, tests/ovs.sh.
#
# usage: tests/run.sh [BUILD_DIR]
# env:   ESWITCH_OVS=0 skips the OVS part; OVS_BUILD=DIR (default
#        _build/ovs of this checkout) selects the OVS build tree.
# Last line: "N passed, M failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/.build}
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

if [ "$(id -u)" != 0 ]; then
    echo "run.sh: needs root (netns, veth, AF_PACKET)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

if ! make -s -C "$top" BUILD="$build" test-bin >&2; then
    echo "0 passed, 1 failed"
    exit 1
fi
so=$build/librte_net_eswitch.so
bin=$build/eswitch_test

work=$(mktemp -d /tmp/eswt.XXXXXX)
cleanup() {
    ip netns pids eswt_ext 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns pids eswt_vm0 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del eswt_ext 2>/dev/null
    ip netns del eswt_vm0 2>/dev/null
    for l in eswt_up eswt_rep0 eswt_c0 eswt_f0; do
        ip link del "$l" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$work"

set -e
ip netns add eswt_ext
ip netns add eswt_vm0
ip link add eswt_up address 02:00:00:00:01:02 type veth \
    peer name ext0 address 02:00:00:00:01:01 netns eswt_ext
ip link add eswt_rep0 address 02:00:00:00:02:02 type veth \
    peer name vm0 address 02:00:00:00:02:01 netns eswt_vm0
ip link add eswt_c0 type veth peer name eswt_c1
ip link add eswt_f0 type veth peer name eswt_f1
for l in eswt_up eswt_rep0 eswt_c0 eswt_c1 eswt_f0 eswt_f1; do
    # No host traffic (IPv6 RS, MLD) on the switch side.
    sysctl -qw net.ipv6.conf.$l.disable_ipv6=1
    ip link set "$l" up
done
ip -n eswt_ext link set lo up
ip -n eswt_ext link set ext0 up
ip -n eswt_ext addr add 198.51.100.1/24 dev ext0
ip -n eswt_ext route add 192.0.2.0/24 dev ext0
ip -n eswt_ext neigh add 192.0.2.10 lladdr 02:00:00:00:01:02 dev ext0 \
    nud permanent
ip -n eswt_ext -6 addr add 2001:db8:1::1/64 dev ext0 nodad
ip -n eswt_ext -6 route add 2001:db8:f::/64 dev ext0
ip -n eswt_ext -6 neigh add 2001:db8:f::10 lladdr 02:00:00:00:01:02 \
    dev ext0 nud permanent
ip -n eswt_vm0 link set lo up
ip -n eswt_vm0 link set vm0 up
ip -n eswt_vm0 addr add 10.0.0.5/24 dev vm0
ip -n eswt_vm0 -6 addr add fd00::5/64 dev vm0 nodad
set +e

log=$work/test.log
timeout 300 "$bin" "$so" "$work/state" "$work" "$here/frames.py" > "$log" 2>&1
rc=$?
grep -E '^(PASS|FAIL):|^  ' "$log"
p=$(grep -c '^PASS:' "$log")
f=$(grep -c '^FAIL:' "$log")
pass=$((pass + p))
fail=$((fail + f))
if [ $rc -eq 0 ] && grep -q '^eswitch_test: ' "$log"; then
    ok "eswitch_test exited cleanly"
else
    ko "eswitch_test exit status $rc"
    tail -n 30 "$log"
fi

# Probe errors name the key and the reason.
while IFS= read -r msg; do
    if grep -qF -- "$msg" "$log"; then
        ok "log: $msg"
    else
        ko "log lacks: $msg"
    fi
done <<'EOF'
devarg role=bogus: must be 'uplink' or 'rep'
iface=nosuchif0: no such interface
unknown devarg 'colour' (valid: iface, switch, role, vf, representor
devarg capacity: switch-wide, give it on the role=uplink port
devarg capacity=0: out of range [1, 4194304]
role=uplink: switch sw0 already has uplink net_eswitch_up0
devarg vf is required with role=rep
devarg fail-every=x: not a number
devarg representor=vf1: disagrees with vf=2
EOF

if [ "${ESWITCH_OVS:-1}" != 0 ]; then
    ovs=${OVS_BUILD:-$top/../_build/ovs}
    if [ -x "$ovs/vswitchd/ovs-vswitchd" ]; then
        out=$("$here/ovs.sh" "$so" "$ovs" 2>&1)
        echo "$out" | grep -E '^(PASS|FAIL):'
        pass=$((pass + $(echo "$out" | grep -c '^PASS:')))
        fail=$((fail + $(echo "$out" | grep -c '^FAIL:')))
        if ! echo "$out" | grep -qE '^(PASS|FAIL):'; then
            ko "ovs.sh produced no result"
            echo "$out" | tail -n 20
        fi
    else
        echo "SKIP: no OVS build at $ovs"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
