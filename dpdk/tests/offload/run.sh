#!/bin/bash
# Standalone test of the dpfip rte_flow offload provider
# (lib/dpfip-offload-rte-flow.c) against the net_eswitch model, with real
# traffic through veths and network namespaces (needs root).
#
# usage: dpdk/tests/offload/run.sh
# env:   OVS_BUILD=DIR  configured+built OVS 3.1 tree with DPDK (default
#                       _build/ovs of this checkout): its config.h,
#                       headers and lib/.libs/libopenvswitch.a are used,
#                       nothing in it is rebuilt.
#        ESWITCH_SO=F   the model plugin (default dpdk/.build/...so)
# Last line: "N passed, M failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
dpdk=$(cd "$here/../.." && pwd)
top=$(cd "$dpdk/.." && pwd)
ovs=${OVS_BUILD:-$top/_build/ovs}
so=${ESWITCH_SO:-$dpdk/.build/librte_net_eswitch.so}
build=$here/.build
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
die() { echo "run.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (netns, veth, AF_PACKET)"
[ -f "$ovs/config.h" ] && [ -f "$ovs/lib/.libs/libopenvswitch.a" ] \
    || die "no OVS build with libopenvswitch.a at $ovs (set OVS_BUILD)"
grep -q '^#define DPDK_NETDEV 1' "$ovs/config.h" \
    || die "$ovs is built without DPDK"
if [ ! -f "$so" ]; then
    make -s -C "$dpdk" >&2 || die "cannot build the model"
fi

# Compile with OVS's own warning flags, like its build would.
mkdir -p "$build"
warn=$(sed -n 's/^WARNING_FLAGS = //p' "$ovs/Makefile")
dpdk_cflags=$(sed -n 's/^DPDK_CFLAGS = //p' "$ovs/Makefile")
libs=$(sed -n 's/^LIBS = //p' "$ovs/Makefile")
ssl=$(sed -n 's/^SSL_LIBS = //p' "$ovs/Makefile")
capng=$(sed -n 's/^CAPNG_LDADD = //p' "$ovs/Makefile")
inc="-DHAVE_CONFIG_H -I$ovs -I$ovs/include -I$ovs/lib -I$top/lib"
bin=$build/offload_test
if ! gcc -std=gnu11 -g -O2 $warn -Werror $inc $dpdk_cflags \
        -o "$bin" "$here/offload_test.c" "$top/lib/dpfip-offload-rte-flow.c" \
        "$top/lib/dpfip-offload-spec.c" "$top/lib/dpfip-offload-provider.c" \
        "$ovs/lib/.libs/libopenvswitch.a" $libs $ssl $capng -lpthread \
        >"$build/cc.log" 2>&1; then
    cat "$build/cc.log" >&2
    die "build failed"
fi
ok "provider and test build with OVS's warning flags (-Werror)"

# Without DPDK the provider must still compile and refuse with a reason.
nodpdk=$build/nodpdk
mkdir -p "$nodpdk"
grep -v 'DPDK_NETDEV' "$ovs/config.h" > "$nodpdk/config.h"
cat > "$nodpdk/t.c" <<'CEOF'
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dpfip-offload-provider.h"

int
main(void)
{
    const struct dpfip_offload_class *c = &dpfip_offload_rte_flow_class;
    struct dpfip_offload_rule_spec spec;
    struct dpfip_offload_rule *rule;
    char *reason = NULL, *error = NULL;
    int r1, r2;

    memset(&spec, 0, sizeof spec);
    r1 = c->probe(0, 1, &reason);
    r2 = c->install(&spec, &rule, &error);
    printf("%d %s|%d %s|%s\n", r1, reason, r2, error, c->name);
    free(reason);
    free(error);
    return 0;
}
CEOF
if gcc -std=gnu11 $warn -Werror -DHAVE_CONFIG_H -I"$nodpdk" -I"$ovs/include" \
        -I"$ovs/lib" -I"$top/lib" -o "$nodpdk/t" "$nodpdk/t.c" \
        "$top/lib/dpfip-offload-rte-flow.c" "$top/lib/dpfip-offload-spec.c" \
        "$top/lib/dpfip-offload-provider.c" \
        "$ovs/lib/.libs/libopenvswitch.a" $libs $ssl $capng -lpthread \
        >"$build/cc-nodpdk.log" 2>&1; then
    out=$("$nodpdk/t")
    expect="95 DPDK support not built|95 DPDK support not built|rte_flow"
    if [ "$out" = "$expect" ]; then
        ok "without DPDK_NETDEV: probe/install fail with EOPNOTSUPP and" \
           "'DPDK support not built'"
    else
        ko "without DPDK_NETDEV: got '$out'"
    fi
else
    cat "$build/cc-nodpdk.log" >&2
    ko "build without DPDK_NETDEV"
fi

work=$(mktemp -d /tmp/dpo.XXXXXX)
chmod 755 "$work"
cleanup() {
    for ns in dpo_ext dpo_vm0; do
        ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del $ns 2>/dev/null
    done
    for l in dpo_up dpo_rep0 dpo_c0 dpo_f0 dpo_n0; do
        ip link del "$l" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$work"

set -e
ip netns add dpo_ext
ip netns add dpo_vm0
ip link add dpo_up address 02:00:00:00:01:02 type veth \
    peer name ext0 address 02:00:00:00:01:01 netns dpo_ext
ip link add dpo_rep0 address 02:00:00:00:02:02 type veth \
    peer name vm0 address 02:00:00:00:02:01 netns dpo_vm0
ip link add dpo_c0 type veth peer name dpo_c1
ip link add dpo_f0 type veth peer name dpo_f1
ip link add dpo_n0 type veth peer name dpo_n1
for l in dpo_up dpo_rep0 dpo_c0 dpo_c1 dpo_f0 dpo_f1 dpo_n0 dpo_n1; do
    # No host traffic (IPv6 RS, MLD) on the switch side.
    sysctl -qw net.ipv6.conf.$l.disable_ipv6=1
    ip link set "$l" up
done
# The external host: the gateway.  FIPs are on its link, at the
# external MAC.
ip -n dpo_ext link set lo up
ip -n dpo_ext link set ext0 up
ip -n dpo_ext addr add 198.51.100.1/24 dev ext0
ip -n dpo_ext route add 192.0.2.0/24 dev ext0
ip -n dpo_ext neigh add 192.0.2.10 lladdr 02:00:00:00:01:02 dev ext0 \
    nud permanent
ip -n dpo_ext -6 addr add 2001:db8:1::1/64 dev ext0 nodad
ip -n dpo_ext -6 route add 2001:db8:f::/64 dev ext0
ip -n dpo_ext -6 neigh add 2001:db8:f::10 lladdr 02:00:00:00:01:02 \
    dev ext0 nud permanent
# The VM: everything off-link and 10.0.0.7 / fd00::7 go to the router MAC.
ip -n dpo_vm0 link set lo up
ip -n dpo_vm0 link set vm0 up
ip -n dpo_vm0 addr add 10.0.0.5/24 dev vm0
ip -n dpo_vm0 -6 addr add fd00::5/64 dev vm0 nodad
for a in 10.0.0.1 10.0.0.7; do
    ip -n dpo_vm0 neigh add $a lladdr 02:00:00:00:00:01 dev vm0 nud permanent
done
for a in fd00::1 fd00::7; do
    ip -n dpo_vm0 -6 neigh add $a lladdr 02:00:00:00:00:01 dev vm0 \
        nud permanent
done
ip -n dpo_vm0 route add default via 10.0.0.1
ip -n dpo_vm0 -6 route add default via fd00::1
set +e

log=$work/test.log
timeout 300 "$bin" "$so" "$work" "$here/udp.py" "$dpdk/tests/frames.py" \
    > "$log" 2>&1
rc=$?
grep -E '^(PASS|FAIL):' "$log"
pass=$((pass + $(grep -c '^PASS:' "$log")))
fail=$((fail + $(grep -c '^FAIL:' "$log")))
if [ $rc -eq 0 ] && grep -q '^offload_test: ' "$log"; then
    ok "offload_test exited cleanly"
else
    ko "offload_test exit status $rc"
    tail -n 30 "$log"
fi
if [ -n "${DPO_KEEP_LOG:-}" ]; then
    cp "$log" "$DPO_KEEP_LOG"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
