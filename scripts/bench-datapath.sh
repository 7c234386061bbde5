#!/usr/bin/env bash
# Per-packet cost of the data-path programs (BPF_PROG_TEST_RUN on the real
# rewrite path) against an empty TC program, for slot 0 and slot 3,999 of a
# full worker's maps; see scripts/bench-datapath.c for how every repetition
# is kept on the rewrite path.  Root.  Runs in a throwaway network namespace
# and loads its own, unpinned copy of the maps, so it touches nothing else.
#
#   scripts/bench-datapath.sh
set -euo pipefail
cd "$(dirname "$0")/.."

make -s build/bench_datapath
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "kernel $(uname -r), $(nproc) CPUs (${cpu:-unknown CPU}), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
unshare --net build/bench_datapath
