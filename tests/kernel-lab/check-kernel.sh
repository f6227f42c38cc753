#!/bin/bash
# "make check-kernel": dpfip's kernel datapath + tc flower tests in the
# kernel lab (Debian's 6.1 kernel under qemu), counted like the other
# suites by tests/run-testsuite.sh (re-runs failures once; a pass on the
# re-run is counted apart, as a failure; appends to $DPFIP_RESULTS).
# When qemu cannot run here, prints "SKIP: qemu cannot run here: ..." and
# records every test as skipped, not passed.
#
#   tests/kernel-lab/check-kernel.sh OVS_BUILD [TESTSUITEFLAGS]

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$1 flags=${2:-}
label='dpfip kernel datapath tests'
suite=$build/tests/system-dpfip-kernel-testsuite
# Under qemu TCG a traffic test takes about 4 minutes here: the lab runs
# the kernel tests (tests/system-dpfip-kernel.at: IPv4 and IPv6 through tc
# flower and through the kernel datapath alone, restarts, tc-policy) and
# system-dpfip.at's IPv4 test (keyword kernel-lab); the rest of
# system-dpfip.at is datapath independent and runs on the userspace
# datapath (make check-system).
selection="-k dpfip-kernel -k kernel-lab"

make -s -C "$build" dpfip-kernel-testsuite || exit 1

# Can qemu run here at all?  prepare.sh installs what is missing and
# exits 77 when it cannot (run.sh would say the same, after the fact).
probe=$("$HERE/prepare.sh" --print-env 2>&1)
rc=$?
qemu=${KLAB_QEMU:-qemu-system-x86_64}
if [ $rc = 0 ] && ! timeout 30 "$qemu" --version >/dev/null 2>&1; then
    probe="SKIP: qemu cannot run here: '$qemu --version' failed"
    rc=77
fi
if [ $rc = 77 ]; then
    printf '%s\n' "$probe" | grep '^SKIP' || echo "SKIP: qemu cannot run here"
    n=$(bash "$suite" -C "$build/tests" -l $selection $flags 2>/dev/null \
        | grep -cE '^ *[0-9]+: ')
    echo "$label: 0 passed, 0 failed, $n skipped (qemu cannot run here)"
    if [ -n "${DPFIP_RESULTS:-}" ]; then
        printf '%s\t0\t0\t%d\t0\tfail\n' "$label" "$n" >> "$DPFIP_RESULTS"
    fi
    exit 0
elif [ $rc != 0 ]; then
    printf '%s\n' "$probe"
    echo "$label: the kernel lab does not work (status $rc)"
    if [ -n "${DPFIP_RESULTS:-}" ]; then
        printf '%s\t0\t1\t0\t0\tfail\n' "$label" >> "$DPFIP_RESULTS"
    fi
    exit 1
fi

exec "$HERE/../run-testsuite.sh" "$build" check-dpfip-kernel \
    system-dpfip-kernel-testsuite.dir "$selection $flags" "$label"
