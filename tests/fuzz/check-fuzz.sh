#! /bin/sh
# Builds the dpfip action's fuzz target (tests/fuzz/dpfip_action_target.c)
# in an OVS tree of its own, configured with clang, libFuzzer and
# AddressSanitizer like OVS's tests/oss-fuzz/ targets, replays the seed
# corpus (tests/fuzz/corpus/), then fuzzes for a bounded time starting from
# it.  Any crash, ASan or LeakSanitizer report, timeout or broken dpfip
# invariant fails.
#
# usage: check-fuzz.sh FUZZ_DIR SECONDS
#   FUZZ_DIR/ovs is the patched OVS tree (unpacked by the top-level
#   Makefile); new inputs go to FUZZ_DIR/corpus, crashes to
#   FUZZ_DIR/artifacts.  DPFIP_FUZZ_SEED fixes libFuzzer's seed.
# Appends "dpfip fuzz<TAB>PASSED<TAB>FAILED<TAB>SKIPPED" to $DPFIP_RESULTS
# if set: each seed replayed counts as a test, the fuzzing run as one more.

set -u
dir=$1 seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
tree=$dir/ovs
target=$tree/dpfip/tests/fuzz/dpfip_action_target
label='dpfip fuzz'
passed=0 failed=0

result() {
    echo "$label: $passed passed, $failed failed, 0 skipped"
    if [ -n "${DPFIP_RESULTS:-}" ]; then
        printf '%s\t%d\t%d\t%d\n' "$label" "$passed" "$failed" 0 \
            >> "$DPFIP_RESULTS"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

now() {
    date +%s
}

# OSS-Fuzz's flags for an ASan build; the fuzzing engine is linked into the
# target only (LIB_FUZZING_ENGINE).
sanitize='-O1 -fno-omit-frame-pointer -gline-tables-only'
sanitize="$sanitize -fsanitize=address -fsanitize-address-use-after-scope"
sanitize="$sanitize -fsanitize=fuzzer-no-link"
start=$(now)
if [ ! -f "$tree/Makefile" ]; then
    echo "$label: configuring $tree with ${FUZZ_CC:-clang-14}"
    if ! (cd "$tree" && ./boot.sh > boot.log 2>&1 &&
          ./configure CC="${FUZZ_CC:-clang-14}" CFLAGS="$sanitize" \
              --with-dpdk=no \
              > configure.log 2>&1); then
        tail -20 "$tree/boot.log" "$tree/configure.log"
        echo "$label: FAILED: configuring the fuzz build"
        failed=1
        result
    fi
    echo "$label: boot.sh and configure took $(($(now) - start)) s"
fi
if ! make -C "$tree" -s -j2 LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
        dpfip-fuzz-target; then
    echo "$label: FAILED: building the fuzz target"
    failed=1
    result
fi
built=$(now)
echo "$label: configure and build took $((built - start)) s"

# Every seed on its own, so that each is a regression test.
for seed in "$here"/corpus/*; do
    name=$(basename "$seed")
    if "$target" "$seed" > "$dir/replay.log" 2>&1; then
        passed=$((passed + 1))
    else
        cat "$dir/replay.log"
        echo "$label: FAILED: seed $name"
        failed=$((failed + 1))
    fi
done
replayed=$(now)
echo "$label: replayed $((passed + failed)) seeds in $((replayed - built)) s"

# Fuzzing, from a fresh copy of the seeds each time, so that runs compare.
rm -rf "$dir/corpus" "$dir/artifacts"
mkdir -p "$dir/corpus" "$dir/artifacts"
log=$dir/fuzz.log
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="$here/dpfip.dict" -print_final_stats=1 -print_coverage=1 \
    ${DPFIP_FUZZ_SEED:+-seed=$DPFIP_FUZZ_SEED} \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$here/corpus" \
    > "$log" 2>&1
status=$?
fuzzed=$(now)

grep -E '^INFO: Seed:|^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log"
# Edges of dpfip's codec that the run reached, from -print_coverage.
awk '/(COVERED|UNCOVERED)_FUNC:.*ofp-dpfip\.c/ {
         split($0, f, "edges: "); split(f[2], e, "[/ ]");
         hit += e[1]; all += e[2]
     }
     END { if (all) printf "ofp-dpfip.c: %d of %d edges covered\n", hit, all }' "$log"
if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
else
    grep -B2 -A40 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|dpfip invariant failed|==ERROR' "$log" | head -80
    ls "$dir/artifacts"
    echo "$label: FAILED: fuzzing (exit $status, see $log)"
    failed=$((failed + 1))
fi
echo "$label: fuzzed $((fuzzed - replayed)) s; total $((fuzzed - start)) s"
result
