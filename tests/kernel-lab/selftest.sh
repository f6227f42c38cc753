#!/bin/bash
# Kernel lab self-test: boot the guest and run a real kernel-datapath check
# with the stock Open vSwitch 3.1 build in $OVS_BUILD_DIR (default
# _build/ovs-stock of this checkout, built by "make ovs-stock" from the
# same OVS source as _build/ovs when it is not there yet): ovsdb-server +
# ovs-vswitchd in a private run dir, bridge on the kernel datapath, two
# netns + veth, ping through OVS, then hw-offload=true +
# tc-policy=skip_hw and a flower rule with packet counts.
#
#   tests/kernel-lab/selftest.sh [--results DIR] [--timeout SECS] [-v]
#
# Last line: "N passed, M failed".  Exit 0 if all passed, 77 if qemu cannot
# run here, 1 otherwise.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OVS_BUILD_DIR=${OVS_BUILD_DIR:-}
RES=
TIMEOUT=300
VERBOSE=()
while [ $# -gt 0 ]; do
    case $1 in
        --results) RES=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        -v|--verbose) VERBOSE=(-v); shift ;;
        *) echo "selftest.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

t_start=$(date +%s.%N)
pass=0
fail=0
res() {
    echo "$1: $2"
    if [ "$1" = PASS ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}
summary() {
    local el
    el=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    echo "selftest time: ${el} s${boot:+, guest boot ${boot} s}"
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ] && exit 0 || exit 1
}

# The stock OVS: given, or built in _build/ovs-stock (configuring _build
# first, as tests/ci.sh does, if that has not happened yet).
if [ -z "$OVS_BUILD_DIR" ]; then
    OVS_BUILD_DIR=$TOP/_build/ovs-stock
    if [ ! -x "$OVS_BUILD_DIR/vswitchd/ovs-vswitchd" ]; then
        echo "building stock OVS in $OVS_BUILD_DIR" >&2
        if [ ! -f "$TOP/_build/Makefile" ]; then
            (cd "$TOP" && ./boot.sh && mkdir -p _build && cd _build \
                 && ../configure) >&2 || { res FAIL "configure $TOP/_build"; summary; }
        fi
        make -C "$TOP/_build" -j"$(nproc)" ovs-stock >&2 \
            || { res FAIL "make ovs-stock in $TOP/_build"; summary; }
    fi
fi
for f in vswitchd/ovs-vswitchd utilities/ovs-vsctl; do
    if [ ! -x "$OVS_BUILD_DIR/$f" ]; then
        res FAIL "OVS build present in $OVS_BUILD_DIR ($f missing)"
        summary
    fi
done
OVS_BUILD_DIR=$(realpath "$OVS_BUILD_DIR")

"$HERE/prepare.sh" || { rc=$?; [ $rc = 77 ] && exit 77; res FAIL "prepare.sh"; summary; }

own_res=0
if [ -z "$RES" ]; then
    RES=$(mktemp -d "${TMPDIR:-/tmp}/kernel-lab-selftest.XXXXXX"); own_res=1
fi
mkdir -p "$RES"; RES=$(realpath "$RES")
rm -f "$RES/results.txt"

# A build tree under /tmp is hidden by the guest's tmpfs: bind it back.
EXTRA=()
case $OVS_BUILD_DIR/ in /tmp/*|/run/*) EXTRA=(--ro "$OVS_BUILD_DIR") ;; esac
KLAB_TIMES=1 "$HERE/run.sh" "${VERBOSE[@]}" "${EXTRA[@]}" --timeout "$TIMEOUT" --results "$RES" \
    --logdir "$RES/lab" -- bash "$HERE/selftest-guest.sh" "$OVS_BUILD_DIR" "$RES"
rc=$?
[ $rc = 77 ] && exit 77
boot=$(sed -n 's/.*boot_s=\([^ ]*\).*/\1/p' "$RES/lab/times" 2>/dev/null)

if [ $rc = 0 ]; then res PASS "guest run exited 0"; else res FAIL "guest run exited 0 (status $rc)"; fi
if [ -s "$RES/results.txt" ]; then
    res PASS "guest results copied back to the host ($RES/results.txt)"
    while IFS= read -r line; do
        case $line in
            PASS:*) pass=$((pass + 1)) ;;
            FAIL:*) fail=$((fail + 1)); echo "  guest $line" ;;
        esac
    done < "$RES/results.txt"
else
    res FAIL "guest results copied back to the host"
fi
[ "$fail" = 0 ] && [ $own_res = 1 ] && rm -rf "$RES"
[ "$fail" = 0 ] || echo "results and logs: $RES" >&2
summary
