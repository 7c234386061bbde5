#!/usr/bin/env bash
# bind latency, in one run, against what it competes with:
#   1. whole-process `slotnet bind` vs the start-up of a trivial static binary,
#      both spawned and waited for the same way, taking turns (scripts/spawn-time.c);
#   2. bind's in-process time (`slotnet -v` prints it);
#   3. batch mode: 100,000 binds from one file (`slotnet -b`);
#   4. the baseline without slotnet: delete the slot's tunnel device and make
#      it again with the new VNI (three `ip` commands, as a user would script it).
# Everything runs in a throwaway worker namespace with its own pin directory.
#
#   scripts/bench-bind.sh [SLOTS=100]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SLOTS=${1:-100}
W=bbw$$
P=bb$$x
PIN=/sys/fs/bpf/bench-bind$$
BIN=$PWD/build/slotnet
tmp=$(mktemp -d)

cleanup() {
    remove_worker $W $PIN "$BIN"
    rm -rf "$tmp"
}
trap cleanup EXIT

make -s
musl-gcc -O2 -static -o build/spawn-time scripts/spawn-time.c
printf 'int main(void) { return 0; }\n' >"$tmp/true.c"
musl-gcc -O2 -static -o build/true-static "$tmp/true.c"

wait_kernel_settled 900
make_worker $W
sn() { nsenter --net=/run/netns/$W "$BIN" --pin-dir $PIN "$@"; }
sn -q prewarm --slots "$SLOTS" --prefix $P --tunnel vxlan --remote 198.51.100.1 >/dev/null
echo "slotnet $($BIN -V | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs, $SLOTS slots"


# 1. Whole process: spawn + wait, 2,000 times each, the two taking turns,
#    the VNI alternating.  (Not through <(...): a failed run must stop the script.)
out=$(build/spawn-time /run/netns/$W 2000 build/true-static -- \
    "$BIN" --pin-dir $PIN bind 7 --vni @ALT@ --force)
{ read -r true_med true_p90; read -r bind_med bind_p90; } <<<"$out"

# 2. In-process time, as slotnet -v reports it.
for i in $(seq 500); do
    sn -v bind 7 --vni $((2000 + i % 2)) --force 2>&1 | sed -n 's/.*took \([0-9]*\) us/\1/p'
done | sort -n >"$tmp/inproc"
inproc_med=$(pct "$tmp/inproc" 50) inproc_p90=$(pct "$tmp/inproc" 90)

# 3. Batch: 100,000 binds cycling over the slots with changing VNIs.
awk -v n="$SLOTS" 'BEGIN { for (i = 0; i < 100000; i++) printf "bind %d --vni %d --force\n", i % n, 100 + i % 7 }' \
    >"$tmp/batch"
t0=$(date +%s%N)
sn -b "$tmp/batch"
batch_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
batch_rate=$(( 100000 * 1000 / (batch_ms > 0 ? batch_ms : 1) ))

# 4. Baseline: re-create slot 9's tun0 with the new VNI, 50 times.
S=${P}9
for i in $(seq 50); do
    t0=$(date +%s%N)
    ip -n $S link del tun0
    ip -n $S link add tun0 type vxlan id $((3000 + i)) local 169.254.1.2 remote 198.51.100.1 \
        dstport 4789 dev eth0 nolearning
    ip -n $S link set tun0 master br0 up
    echo $(( ($(date +%s%N) - t0) / 1000 ))
done | sort -n >"$tmp/recreate"
recreate_med=$(pct "$tmp/recreate" 50) recreate_p90=$(pct "$tmp/recreate" 90)

echo
printf '%-52s %10s %10s\n' "measure" "median" "p90"
printf '%-52s %8s us %8s us\n' "trivial static binary, spawn + wait" "$true_med" "$true_p90"
printf '%-52s %8s us %8s us\n' "slotnet bind SLOT --vni V --force, spawn + wait" "$bind_med" "$bind_p90"
printf '%-52s %8s us %8s us\n' "slotnet bind, in-process (-v)" "$inproc_med" "$inproc_p90"
printf '%-52s %8s ms   (%s binds/s)\n' "slotnet -b, 100,000 binds" "$batch_ms" "$batch_rate"
printf '%-52s %8s us %8s us\n' "baseline: delete + re-create tun0 with ip (3 cmds)" \
    "$recreate_med" "$recreate_p90"
echo
ratio=$(awk -v a="$bind_med" -v b="$true_med" 'BEGIN { printf "%.2f", a / b }')
vs_base=$(awk -v a="$recreate_med" -v b="$bind_med" 'BEGIN { printf "%.0f", a / b }')
verdict() { if awk "BEGIN { exit !($1) }"; then echo MET; else echo "NOT MET"; fi; }
echo "bind <= 2x a trivial static binary: $(verdict "$ratio <= 2") (${ratio}x)"
echo "bind in-process <= 20 us: $(verdict "$inproc_med <= 20") (${inproc_med} us)"
echo "batch >= 100,000 binds/s: $(verdict "$batch_rate >= 100000") ($batch_rate/s)"
echo "slotnet bind is ${vs_base}x faster than re-creating the tunnel device"
