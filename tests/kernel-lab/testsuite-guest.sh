#!/bin/bash
# Guest side of testsuite.sh: runs the testsuite in a tmpfs directory (unix
# sockets do not work on 9p) and copies its results to RESULTS.
#
#   testsuite-guest.sh OVS_BUILD RESULTS [TESTSUITEFLAGS...]

set -u
build=$1 res=$2; shift 2
suite=system-dpfip-kernel-testsuite
run=/tmp/dpfip-kernel-tests

mkdir -p "$run" && cp "$build/tests/atconfig" "$build/tests/atlocal" "$run/" \
    || exit 125
# Every 20 s, the logs so far, for watching a slow run from the host.
(
    while sleep 20; do
        [ -d "$run/$suite.dir" ] || continue
        (cd "$run" && find "$suite.dir" -type f -name '*.log' -print0 \
             | cpio -0 -pdmu --quiet "$res/progress/") 2>/dev/null
    done
) &
copier=$!
mkdir -p "$res/progress"

b=$build
bash "$build/tests/$suite" -C "$run" \
    AUTOTEST_PATH="$b/utilities:$b/vswitchd:$b/ovsdb:$b/vtep:$b/tests:$b/ipsec" \
    "$@" -j1
rc=$?
kill $copier 2>/dev/null
wait $copier 2>/dev/null
rm -rf "$res/progress"
cp "$run/$suite.log" "$res/" 2>/dev/null
if [ -d "$run/$suite.dir" ]; then
    # Only what the host needs to read a failure: no sockets, no pipes.
    (cd "$run" && find "$suite.dir" \( -type f -o -type d \) -print0 \
         | cpio -0 -pdm --quiet "$res/") 2>/dev/null
fi
exit $rc
