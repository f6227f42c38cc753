#! /bin/sh
# Prints the summary of a CI run from the results file that
# tests/run-testsuite.sh (and tests/kernel-lab/check-kernel.sh) append to:
# one line per suite, passes on retry apart, then the total
# "N passed, M failed" as the last line.
#
# usage: ci-summary.sh RESULTS
# A line of RESULTS is LABEL PASSED FAILED SKIPPED [RETRIED [POLICY]]
# (tab separated): RETRIED passed only when re-run; POLICY "ok" counts them
# as passed (OVS's own suite), anything else (dpfip's suites; the default)
# as failed.  Exits 1 if anything counts as failed or no suite ran.

awk -F '\t' '
{
    retried = $5 + 0
    ok = ($6 == "ok")
    printf "%s: %d passed, %d passed on retry%s, %d failed, %d skipped\n",
           $1, $2, retried,
           retried == 0 ? "" : ok ? " (counted as passed)" \
                                  : " (counted as failed)",
           $3, $4
    p += $2 + (ok ? retried : 0)
    f += $3 + (ok ? 0 : retried)
    r += retried
    if (!ok)
        rf += retried
    n++
}
END {
    if (r)
        printf "%d passed on retry (%d of them in dpfip'"'"'s suites: counted as failed)\n", r, rf
    printf "%d passed, %d failed\n", p, f
    exit (f == 0 && n > 0) ? 0 : 1
}' "$1"
