#!/usr/bin/env bash
# Benchmark: slotnet prewarm against a shell script doing the same slot
# anatomy with one ip/tc process per step, in one run, each inside its own
# throwaway worker namespace.  Reports seconds, the ratio at the same N, the
# per-slot cost of the first and last 10% of slots, and slotnet's peak RSS.
#
#   scripts/bench-prewarm.sh [N_COMPARE=500] [N_LARGE=4000]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

N_COMPARE=${1:-500}
N_LARGE=${2:-4000}
BIN=$PWD/build/slotnet
W=bpw$$
PIN=/sys/fs/bpf/bench$$
[[ -x $BIN ]] || { echo "build first: make" >&2; exit 1; }

cleanup() {
    nsenter --net=/run/netns/$W "$BIN" -q --pin-dir $PIN teardown 2>/dev/null || true
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^b[si]x[0-9]+$" || true); do
        ip netns del "$ns" 2>/dev/null || true
    done
    ip netns del $W 2>/dev/null || true
}
trap cleanup EXIT

# "first last ratio" of per-slot ms from a file of per-slot ms values.
tenths() {
    awk '{ v[NR] = $1 } END {
        t = int(NR / 10); if (t < 1) t = 1
        for (i = 1; i <= t; i++) { f += v[i]; l += v[NR - t + i] }
        printf "%.2f %.2f %.2f\n", f / t, l / t, l / f }' "$1"
}

# slotnet -v prints "tenth K: N slots, ms/slot: netns A devices B root C".
slotnet_tenths() {
    awk '/tenth [0-9]+:/ { k = $4 + 0; ms[k] = $9 + $11 + $13 }
         END { printf "%.2f %.2f %.2f\n", ms[1], ms[10], ms[10] / ms[1] }' "$1"
}

run_slotnet() { # N LOG -> prints "seconds rss_kb"
    local n=$1 log=$2 t0 t1
    wait_kernel_settled 900
    make_worker $W
    t0=$(date +%s%N)
    /usr/bin/time -f "rss_kb %M" nsenter --net=/run/netns/$W "$BIN" -v --pin-dir $PIN \
        prewarm --slots "$n" --prefix bsx --tunnel vxlan >"$log" 2>&1
    t1=$(date +%s%N)
    nsenter --net=/run/netns/$W "$BIN" -q --pin-dir $PIN teardown
    ip netns del $W
    echo "$(( (t1 - t0) / 1000000 )) $(awk '/rss_kb/ { print $2 }' "$log")"
}

# The same anatomy, the way a user would script it with ip and tc.
ip_slot() {
    local i=$1 s=bix$1 vni=$((16000000 + $1))
    local outside="100.64.$(( (i + 1) / 256 )).$(( (i + 1) % 256 ))"
    ip netns add "$s"
    ip netns exec "$s" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip -n "$s" link add eth0 type veth peer name "$s" netns $W
    ip -n "$s" tuntap add dev tap0 mode tap
    ip -n "$s" link add br0 type bridge mcast_snooping 0
    ip -n "$s" link add tun0 type vxlan id $vni local 169.254.1.2 remote 192.0.2.1 dstport 4789
    ip -n "$s" link set tap0 master br0 up
    ip -n "$s" link set tun0 master br0 up
    ip -n "$s" addr add 169.254.1.2/30 dev eth0
    ip -n "$s" link set eth0 up
    ip -n "$s" link set br0 up
    ip -n "$s" route add default via 169.254.1.1
    ip -n $W link set "$s" up
    ip -n $W route add $outside/32 dev "$s"
    tc -n $W qdisc add dev "$s" clsact
}

run_ip() { # N PERSLOT_FILE -> prints seconds
    local n=$1 out=$2 t0 a b
    wait_kernel_settled 900
    make_worker $W
    : >"$out"
    t0=$(date +%s%N)
    for ((i = 0; i < n; i++)); do
        a=$(date +%s%N); ip_slot $i; b=$(date +%s%N)
        echo "$(( (b - a) / 1000 ))" | awk '{ printf "%.3f\n", $1 / 1000 }' >>"$out"
    done
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
    for ((i = 0; i < n; i++)); do ip netns del bix$i; done
    ip netns del $W
}

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

tmp=$(mktemp -d)
echo "slotnet $("$BIN" --version | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs" >&2

read -r ip_ms < <(run_ip "$N_COMPARE" "$tmp/ip.txt")
read -r ip_first ip_last ip_growth < <(tenths "$tmp/ip.txt")
read -r sn_ms sn_rss < <(run_slotnet "$N_COMPARE" "$tmp/sn_small.log")
read -r sn_first sn_last sn_growth < <(slotnet_tenths "$tmp/sn_small.log")
read -r big_ms big_rss < <(run_slotnet "$N_LARGE" "$tmp/sn_large.log")
read -r big_first big_last big_growth < <(slotnet_tenths "$tmp/sn_large.log")
wait_kernel_settled 900

printf '\n%-28s %8s %10s %10s %8s %9s\n' "run" "seconds" "first10%" "last10%" "growth" "peak RSS"
printf '%-28s %8.2f %8.2fms %8.2fms %7.2fx %9s\n' "ip/tc script, N=$N_COMPARE" \
    "$(div "$ip_ms" 1000)" "$ip_first" "$ip_last" "$ip_growth" "-"
printf '%-28s %8.2f %8.2fms %8.2fms %7.2fx %7.1fMB\n' "slotnet prewarm, N=$N_COMPARE" \
    "$(div "$sn_ms" 1000)" "$sn_first" "$sn_last" "$sn_growth" "$(div "$sn_rss" 1024)"
printf '%-28s %8.2f %8.2fms %8.2fms %7.2fx %7.1fMB\n' "slotnet prewarm, N=$N_LARGE" \
    "$(div "$big_ms" 1000)" "$big_first" "$big_last" "$big_growth" "$(div "$big_rss" 1024)"
printf '\nslotnet is %sx faster than the ip/tc script at N=%s\n' \
    "$(div "$ip_ms" "$sn_ms")" "$N_COMPARE"
printf 'targets: N=%s in <= 20 s; >= 20x at N=%s; last/first 10%% <= 1.2x; peak RSS <= 32 MiB\n' \
    "$N_LARGE" "$N_COMPARE"
rm -rf "$tmp"
