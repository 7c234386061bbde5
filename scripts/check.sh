#!/usr/bin/env bash
# The whole test suite in one command, as root on Debian bookworm: installs
# what the build and the tests need, builds, and runs every suite (C unit
# tests, bats integration tests).  The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -s
make -s check
