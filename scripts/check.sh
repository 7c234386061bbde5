#!/usr/bin/env bash
# The whole test suite in one command, as root on Debian bookworm: installs
# what the build and the tests need, builds, and runs every suite (C unit
# tests, bats integration tests).  The last line of the output is
# "N passed, N failed" (tests/run.sh); the exit status is non-zero when
# anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# A failed install or build runs no test: report it in the same one-line form.
if ! bash scripts/deps.sh || ! make; then
    echo "0 passed, 1 failed"
    exit 1
fi
# make would add its own "*** [check] Error" line after the summary; keep the
# summary last (stderr joins stdout for that, in order).
make --no-print-directory check 2>&1 | grep -v '^make: \*\*\* '
