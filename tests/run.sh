#!/usr/bin/env bash
# Runs every test suite (C unit tests, bats integration tests), shows their
# TAP output, and ends with one line "N passed, N failed" summing them all.
# A suite that dies without a complete TAP plan counts as one failure more.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0

# Counts one suite's TAP output, given on stdin, and echoes it through.
count_tap() { # SUITE-EXIT-STATUS
    local line plan=0 seen=0
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
            "ok "*) passed=$((passed + 1)); seen=$((seen + 1)) ;;
            "not ok "*) failed=$((failed + 1)); seen=$((seen + 1)) ;;
            1..*) plan=${line#1..} ;;
        esac
    done
    if (( plan != seen )) || { (( $1 != 0 )) && (( seen == 0 )); }; then
        echo "# suite ended early: $seen of $plan tests reported (exit $1)"
        failed=$((failed + 1))
    fi
}

run_suite() { # NAME COMMAND...
    local name=$1 out status
    shift
    echo "# --- $name"
    out=$("$@" 2>&1)
    status=$?
    count_tap $status < <(printf '%s\n' "$out")
}

run_suite "unit: parsing and validation" build/test_parse
run_suite "bats: integration" bats --tap tests/bats

echo "$passed passed, $failed failed"
(( failed == 0 ))
