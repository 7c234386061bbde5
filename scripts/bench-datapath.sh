#!/usr/bin/env bash
# Per-packet cost of the data-path programs (BPF_PROG_TEST_RUN on the real
# rewrite path) against an empty TC program, for slot 0 and slot 3,999 of a
# full worker's maps; see scripts/bench-datapath.c.  Root; runs in a
# throwaway network namespace and loads its own, unpinned copy of the maps.
#
#   scripts/bench-datapath.sh
set -euo pipefail
cd "$(dirname "$0")/.."

make -s build/bench_datapath
echo "slotnet $(build/slotnet -V | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs"
unshare --net build/bench_datapath
