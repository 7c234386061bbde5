#!/usr/bin/env bash
# Runs every test suite and shows its TAP output as it comes:
#   1. build/test_parse          C unit tests (parsing and validation)
#   2. build/test_nl             C unit tests (netlink messages, attributes and
#                                answers; no kernel)
#   3. build/test_rt             C unit tests (rtnetlink request batches against
#                                a fake kernel)
#   4. build/test_opts           C unit tests (option parsing, refusals, help)
#   5. build/test_out            C unit tests (JSON escaping and shape, text mode)
#   6. build/test_fw             C unit tests (rule set diff and restore input,
#                                against fake iptables tools)
#   7. build/test_config         C unit tests (configuration defaults and checks)
#      build/test_pool          C unit tests (the worker pool of prewarm and rules)
#   8. build/asan/test_*         the unit tests above again, built with glibc's
#                                gcc under AddressSanitizer and UBSan
#   9. build/test_datapath      BPF packet fixtures (BPF_PROG_TEST_RUN), in a
#                                throwaway network namespace
#  10. bats --tap tests/bats     integration tests (root; each test in its own
#                                throwaway namespaces, see tests/bats/helpers.bash)
#  11. tests/vm/selftest.sh     the VM rig (tests/vm): Debian's 6.1 kernel
#                                under qemu as a worker guest running slotnet
#                                with Geneve, and a tenant VM on a tap
#  12. tests/vm/bats-in-guest.sh the bats suites of prewarm, bind, dump,
#                                attach, MTUs, rules, teardown and the data path
#                                again, in that 6.1 guest, with every tunnel
#                                Geneve (`make check-kernel`: all of them);
#                                it runs beside the others from the start and
#                                is shown in its turn
#  13. scripts/lint.sh           shellcheck, cppcheck, mandoc -Tlint and systemd-analyze verify, one
#                                test each (`make lint` alone)
# then prints exactly one last line, "N passed, N failed", summing every
# suite's TAP "ok" and "not ok" lines (an "ok ... # SKIP" is neither: the
# line before says how many were skipped).  A suite that is missing, crashes, or
# reports fewer tests than its plan counts as one failure more.  Exits 1 if
# anything failed.
#
# It cleans nothing up beforehand: each test removes what it made itself, and
# other users' namespaces and pins on this machine are none of its business.
# Build first (`make`, or `make check` which builds and runs this).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
skipped=0
tmp=$(mktemp -d)
bg_pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local p
    # A suite started early (start_suite) ends with the run, whatever ended it.
    for p in ${bg_pids[@]+"${bg_pids[@]}"}; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Reads one suite's output on stdin, echoes it through, counts its TAP lines.
count_tap() { # SUITE-EXIT-STATUS-FILE
    local line plan="" seen=0 status
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
            "ok "*" # "[Ss][Kk][Ii][Pp]*) skipped=$((skipped + 1)) seen=$((seen + 1)) ;;
            "ok "*) passed=$((passed + 1)) seen=$((seen + 1)) ;;
            "not ok "*) failed=$((failed + 1)) seen=$((seen + 1)) ;;
            1..*) [[ -z $plan ]] && plan=${line#1..} ;;
        esac
    done
    status=$(cat "$1" 2>/dev/null || echo "?")
    if [[ -z $plan ]]; then
        echo "# suite failed: no TAP plan (exit status $status)"
        failed=$((failed + 1))
    elif [[ $plan != "$seen" ]]; then
        echo "# suite failed: $seen of $plan tests reported (exit status $status)"
        failed=$((failed + 1))
    elif [[ $status != 0 ]] && ((seen == 0)); then
        echo "# suite failed: exit status $status"
        failed=$((failed + 1))
    fi
}

run_suite() { # NAME COMMAND...
    local name=$1
    shift
    echo "# --- $name: $*"
    rm -f "$tmp/status"
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "# $1: not found (build it first: make)"
        count_tap "$tmp/status" </dev/null
        return
    fi
    # stderr joins stdout so that the TAP stream and diagnostics stay in order.
    count_tap "$tmp/status" < <("$@" 2>&1; echo $? >"$tmp/status")
}

# start_suite TAG COMMAND...: starts a suite now, in the background, its
# output kept; finish_suite TAG NAME shows and counts it, in its turn in the
# stream, once it has ended.
start_suite() { # TAG COMMAND...
    local tag=$1
    shift
    echo "$*" >"$tmp/$tag.cmd"
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "# $1: not found (build it first: make)" >"$tmp/$tag.out"
        return
    fi
    # The command itself in the background, no subshell between: the EXIT
    # trap's kill reaches it (and its own traps end its guests).
    "$@" >"$tmp/$tag.out" 2>&1 &
    bg_pids+=($!)
    echo $! >"$tmp/$tag.pid"
}
finish_suite() { # TAG NAME
    local status
    echo "# --- $2: $(cat "$tmp/$1.cmd")"
    if [[ -e $tmp/$1.pid ]]; then
        wait "$(cat "$tmp/$1.pid")"
        status=$?
        echo "$status" >"$tmp/$1.status"
    fi
    count_tap "$tmp/$1.status" <"$tmp/$1.out"
}

# The 6.1 guest's suites take longest, on the guest's CPUs, a TCG emulation
# that leaves the host's suites (mostly one process at a time) room beside
# it: they run from the start, and are shown and counted in their turn.
start_suite kernel61 tests/vm/bats-in-guest.sh

run_suite "unit: parsing and validation" build/test_parse
run_suite "unit: netlink messages and answers" build/test_nl
run_suite "unit: netlink request batches" build/test_rt
run_suite "unit: options and help" build/test_opts
run_suite "unit: JSON and text output" build/test_out
run_suite "unit: firewall rule sets (fake iptables tools)" build/test_fw
run_suite "unit: configuration defaults and checks" build/test_config
run_suite "unit: the worker pool" build/test_pool
for t in parse nl rt opts out fw config pool; do
    run_suite "unit (ASan+UBSan): test_$t" build/asan/test_$t
done
run_suite "unit: data-path packet fixtures" unshare --net build/test_datapath
# --print-output-on-failure: a failed test shows the output of its last `run`.
# BATS_TEST_TIMEOUT: a hung test fails (and is cleaned up) instead of hanging CI.
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300} \
    run_suite "bats: integration" bats --tap --timing --print-output-on-failure tests/bats
run_suite "vm rig: Linux 6.1 worker guest and a tenant VM" tests/vm/selftest.sh
finish_suite kernel61 "bats on Linux 6.1 with Geneve (the 6.1 worker guest)"
run_suite "lint: shellcheck, cppcheck, mandoc, systemd-analyze" scripts/lint.sh

# A skipped test passed nothing: it is counted apart, in a comment.
echo "# $skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
