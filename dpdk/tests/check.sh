#!/bin/bash
# The eSwitch model's tests (dpdk/tests/run.sh: eswitch_test.c and, with
# ovs-vswitchd, ovs.sh) and the rte_flow provider's tests against it
# (dpdk/tests/offload/run.sh), as "make check-dpdk" runs them (root).
#
# usage: dpdk/tests/check.sh [MODEL_BUILD_DIR]
# env:   OVS_BUILD   OVS build tree (default _build/ovs of this checkout)
#        DPFIP_RESULTS  if set, one "LABEL<TAB>PASSED<TAB>FAILED<TAB>0"
#                   line per suite is appended, as tests/run-testsuite.sh
#                   does for the autotest suites.
# Exits 1 if a suite failed or printed no result.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/_build/eswitch}
export OVS_BUILD=${OVS_BUILD:-$top/_build/ovs}
status=0

# suite LABEL COMMAND...: runs it, counts its last "N passed, M failed".
suite() {
    local label=$1 out last p f
    shift
    out=$(mktemp)
    "$@" 2>&1 | tee "$out" | grep -E '^(FAIL|SKIP):|passed, [0-9]+ failed$'
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    rm -f "$out"
    if [ -z "$last" ]; then
        echo "$label: no result"
        p=0 f=1
    else
        p=${last%% passed*}
        f=${last#*passed, }
        f=${f%% failed}
    fi
    echo "$label: $p passed, $f failed"
    if [ -n "${DPFIP_RESULTS:-}" ]; then
        printf '%s\t%d\t%d\t%d\n' "$label" "$p" "$f" 0 >> "$DPFIP_RESULTS"
    fi
    [ "$f" -eq 0 ] || status=1
}

suite "eSwitch model tests (dpdk/tests)" "$here/run.sh" "$build"
suite "rte_flow provider tests (dpdk/tests/offload)" \
    env ESWITCH_SO="$build/librte_net_eswitch.so" "$here/offload/run.sh"
exit $status
