#! /bin/bash
# Runs one of OVS's autotest suites in the OVS build tree, re-runs what
# failed once (the machines are busy and a few OVS tests are timing
# sensitive), and leaves out the failures that stock OVS 3.1.0 shows on
# this platform too (tests/ovs-known-failures.txt, by test name).
#
# usage: run-testsuite.sh OVS_BUILD_DIR MAKE_TARGET SUITE_DIR FLAGS LABEL
# Appends "LABEL<TAB>PASSED<TAB>FAILED<TAB>SKIPPED" to $DPFIP_RESULTS if
# set.  Exits 0 if nothing failed but known failures.

set -u
build=$1 target=$2 suite_dir=$3 flags=$4 label=$5
here=$(cd "$(dirname "$0")" && pwd)
known="$here/ovs-known-failures.txt"
out=$(mktemp)
trap 'rm -f "$out" "$out.re"' EXIT

# Numbers of the tests whose directories the testsuite kept: the failures.
failed_numbers() {
    ls "$build/tests/$suite_dir" 2>/dev/null | grep -E '^[0-9]+$' \
        | sed 's/^0*//' | sort -n
}

# Directories left by an earlier run would read as failures.
rm -rf "$build/tests/$suite_dir"
make -C "$build" "$target" TESTSUITEFLAGS="$flags" 2>&1 | tee "$out" \
    | grep -E '^ *[0-9]+: .*(ok|FAILED|skipped)|tests? (were|was) |failed unexpectedly'

ran=$(grep -oE '(All )?[0-9]+ tests? (were|was) (run|successful)' "$out" \
      | grep -oE '[0-9]+' | tail -1)
skipped=$(grep -oE '[0-9]+ tests? (were|was) skipped' "$out" \
          | grep -oE '^[0-9]+' | tail -1)
ran=${ran:-0} skipped=${skipped:-0}

first=$(failed_numbers | tr '\n' ' ')
still=
if [ -n "$first" ]; then
    echo "$label: re-running failed tests once: $first"
    make -C "$build" "$target" TESTSUITEFLAGS="$first" > "$out.re" 2>&1
    grep -E '^ *[0-9]+: ' "$out.re"
    if ! grep -qE 'tests? (were|was) (run|successful)' "$out.re"; then
        tail -20 "$out.re"
        echo "$label: the re-run did not run (see above)"
        exit 1
    fi
    still=$(failed_numbers)
fi

n_failed=0
n_known=0
for n in $still; do
    name=$(grep -E "^ *$n: " "$out.re" | head -1 \
           | sed -E "s/^ *$n: (.*[^ ]) +FAILED.*/\1/")
    if [ -f "$known" ] && grep -qxF "$name" "$known"; then
        echo "$label: known stock failure: $n: $name"
        n_known=$((n_known + 1))
    else
        echo "$label: FAILED: $n: $name"
        n_failed=$((n_failed + 1))
    fi
done

passed=$((ran - n_failed - n_known))
echo "$label: $passed passed, $n_failed failed, $skipped skipped ($n_known known stock failures)"
if [ -n "${DPFIP_RESULTS:-}" ]; then
    printf '%s\t%d\t%d\t%d\n' "$label" "$passed" "$n_failed" "$skipped" \
        >> "$DPFIP_RESULTS"
fi
[ "$ran" -gt 0 ] && [ "$n_failed" -eq 0 ]
