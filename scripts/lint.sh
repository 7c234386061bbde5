#!/usr/bin/env bash
# scripts/lint.sh: the static checks, one TAP test per tool:
#   1. shellcheck on every shell script (scripts/, vendor/, tests/run.sh,
#      tests/bats/helpers.bash and the .bats files, which shellcheck parses
#      natively from their bats shebang);
#   2. cppcheck on cmd/ (suppressions with reasons: .cppcheck-suppressions);
#   3. mandoc -Tlint on every man page, failing on any warning;
#   4. systemd-analyze verify on the systemd units, as make install writes them.
# A tool's findings follow its "not ok" line.  Exits 1 if any check failed.
# Run it from `make lint` (which builds the skeleton header cppcheck reads)
# or tests/run.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
failed=0
n=0

check() { # NAME COMMAND...
    local name=$1 out line
    shift
    n=$((n + 1))
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "not ok $n - $name # $1 not found (scripts/deps.sh installs it)"
        failed=1
        return
    fi
    if out=$("$@" 2>&1) && [[ -z $out ]]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        while IFS= read -r line; do echo "# $line"; done <<<"$out"
        failed=1
    fi
}

# -x follows the scripts' `. scripts/lib.sh`, so its functions are known.
shell_scripts=(scripts/*.sh scripts/*.bash vendor/*.sh tests/run.sh tests/vm/*.sh tests/bats/*.bash tests/bats/*.bats)

# The vendored libbpf's headers, so that its macros (LIBBPF_OPTS) are known.
cppcheck_args=(-q --std=c11 --error-exitcode=1 --inline-suppr
    "--enable=warning,style,performance,portability"
    --suppressions-list=.cppcheck-suppressions
    -D__x86_64__ -D_GNU_SOURCE
    -I cmd -I bpf -I "$BUILD" -I "$BUILD/vendor/include")

# mandoc prints nothing for a page without warnings; -W warning,stop would
# stop at the first page, so each page is checked and all are reported.
# shellcheck disable=SC2317 # called by check, which shellcheck cannot see
man_lint() {
    local f rc=0
    for f in man/*.8; do
        mandoc -Tlint -W warning "$f" || rc=1
    done
    return "$rc"
}

# The units with @SBINDIR@ where the binary is ($BUILD, made absolute):
# verify wants every ExecStart to exist.
# shellcheck disable=SC2317 # called by check, which shellcheck cannot see
units_verify() {
    local t u rc=0 sbin
    sbin=$(cd "$BUILD" && pwd) || return 1
    t=$(mktemp -d) || return 1
    for u in scripts/systemd/*.in; do
        sed "s|@SBINDIR@|$sbin|g" "$u" >"$t/$(basename "$u" .in)"
    done
    cp scripts/systemd/*.target scripts/systemd/*.timer "$t/"
    SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$t"/*.service "$t"/*.timer "$t"/*.target || rc=1
    rm -rf "$t"
    return "$rc"
}

echo "1..4"
check "shellcheck: shell scripts and bats files" shellcheck -x -f gcc "${shell_scripts[@]}"
check "cppcheck: cmd/" cppcheck "${cppcheck_args[@]}" cmd/
check "mandoc -Tlint: man pages" man_lint
check "systemd-analyze verify: the units" units_verify
exit $failed
