#!/bin/bash
# Runs dpfip's kernel-datapath testsuite (tests/system-dpfip-kernel-
# testsuite.at, built as OVS_BUILD/tests/system-dpfip-kernel-testsuite)
# inside the kernel lab, against the binaries of OVS_BUILD, and brings the
# results back to OVS_BUILD/tests/system-dpfip-kernel-testsuite.dir and
# OVS_BUILD/tests/system-dpfip-kernel-testsuite.log, where OVS's other
# suites keep theirs (so tests/run-testsuite.sh can count and re-run
# failures).
#
#   tests/kernel-lab/testsuite.sh OVS_BUILD [TESTSUITEFLAGS...]
#
# Called by "make check-dpfip-kernel" in the OVS build (dpfip.mk).  Exit
# status: the testsuite's; 77 when qemu cannot run here; 124 on a timeout.
# Env: DPFIP_KERNEL_TIMEOUT (guest command limit, default 3600 s).

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(realpath "$1"); shift
suite=system-dpfip-kernel-testsuite
res=$build/tests/$suite.results

[ -x "$build/tests/$suite" ] || { echo "$build/tests/$suite: not built" >&2; exit 2; }
rm -rf "$res" "$build/tests/$suite.dir" "$build/tests/$suite.log"
mkdir -p "$res"

KLAB_TIMES=1 "$HERE/run.sh" --timeout "${DPFIP_KERNEL_TIMEOUT:-3600}" \
    --results "$res" --logdir "$res/lab" -- \
    bash "$HERE/testsuite-guest.sh" "$build" "$res" "$@"
rc=$?
[ -d "$res/$suite.dir" ] && mv "$res/$suite.dir" "$build/tests/"
[ -f "$res/$suite.log" ] && mv "$res/$suite.log" "$build/tests/"
cat "$res/lab/times" 2>/dev/null
exit $rc
