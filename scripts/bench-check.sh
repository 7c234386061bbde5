#!/usr/bin/env bash
# slotnet check over a worker of SLOTS slots (target: 4,000 in <= 5 s), in
# one run, against what an operator would script instead: `ip -j` asked for
# each slot's links, addresses, routes and neighbours (four processes a slot,
# timed over the first BASELINE slots and scaled to all).  Also the cost of
# a prewarm re-run on the whole worker, which surveys the same state to
# repair what drifted.  Everything runs in a throwaway worker namespace with
# its own pin directory and prefix.
#
#   scripts/bench-check.sh [SLOTS=4000] [BASELINE=200]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SLOTS=${1:-4000}
BASELINE=${2:-200}
W=bcw$$
P=bc$$x
PIN=/sys/fs/bpf/bench-check$$
# SN_SLOTNET: another build to measure (make BUILD=DIR), build/slotnet by default.
BIN=${SN_SLOTNET:-$PWD/build/slotnet}
tmp=$(mktemp -d)

cleanup() {
    remove_worker $W $PIN "$BIN"
    rm -rf "$tmp"
}
trap cleanup EXIT

[[ -n ${SN_SLOTNET:-} ]] || make -s
wait_kernel_settled 900
make_worker $W
sn() { nsenter --net=/run/netns/$W "$BIN" --pin-dir $PIN "$@"; }
ms_of() { # CMD...: the command's wall-clock milliseconds on stdout, its output dropped
    local t0
    t0=$(date +%s%N)
    "$@" >/dev/null
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

echo "slotnet $($BIN -V | head -1 | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs, $SLOTS slots"
sn -q prewarm --slots "$SLOTS" --prefix $P --tunnel vxlan --remote 198.51.100.1 >/dev/null

# slotnet check, 5 runs; each must find nothing (exit 0).
for _ in 1 2 3 4 5; do ms_of sn check; done >"$tmp/check"
check_med=$(pct "$tmp/check" 50)

# The scripted baseline: four `ip -j` processes a slot, the first BASELINE slots.
t0=$(date +%s%N)
for ((i = 0; i < BASELINE; i++)); do
    for what in link addr route neigh; do
        ip -n "$P$i" -j "$what" show >/dev/null
    done
done
base_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
base_all=$(( base_ms * SLOTS / BASELINE ))

# A prewarm re-run on the whole, unchanged worker, 3 runs.
for _ in 1 2 3; do ms_of sn -q prewarm --slots "$SLOTS" --prefix $P --tunnel vxlan --remote 198.51.100.1; done \
    >"$tmp/rerun"
rerun_med=$(pct "$tmp/rerun" 50)

# shellcheck disable=SC2016 # the backquotes are Markdown, not command substitution
{
    printf '\n| measure | median |\n|---|---:|\n'
    printf '| `slotnet check`, %d slots (5 runs) | %d ms |\n' "$SLOTS" "$check_med"
    printf '| `ip -j` script, 4 processes a slot (%d slots timed: %d ms), scaled to %d | %d ms |\n' \
        "$BASELINE" "$base_ms" "$SLOTS" "$base_all"
    printf '| `slotnet prewarm` re-run on the unchanged worker (3 runs) | %d ms |\n' "$rerun_med"
}
printf '\ncheck: %s against the target of 5,000 ms; %.1fx faster than the script\n' \
    "$( ((check_med <= 5000)) && echo met || echo 'NOT met')" \
    "$(awk -v a="$base_all" -v b="$check_med" 'BEGIN { print a / (b ? b : 1) }')"
