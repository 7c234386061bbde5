#!/usr/bin/env bash
# Benchmark of the firewall rules, in one run, everything inside throwaway
# namespaces (a "worker" namespace stands in for the host's root namespace):
#
#  1. root rule count (`-A` lines of the worker's iptables-save) after a fresh
#     `prewarm --rules` at each N of the list (target: the same at every N,
#     <= 144), with that prewarm's wall time and a `rules --check` after it;
#  2. TCP connect() time through the root namespace for slot 0 and the last
#     slot at N = N_LAT, interleaved in one loop, (a) with slotnet's root set
#     and (b) with a baseline that also walks 30 rules per slot (30 x N in
#     all, in a chain FORWARD jumps to first, as the seed's worker had them):
#     median per slot and last/slot-0 skew (target <= 1.05 for (a));
#  3. `rules --apply` over N_APPLY + 1 namespaces, none holding rules yet
#     (target <= 10 s), a second `rules --apply` (nothing to change) and
#     `rules --check`.
#
# The TCP path of 2: a client inside the slot connects out through its eth0
# (source 169.254.1.2; the data path on the root veth makes it the slot's
# outside address) to a server in an "uplink" namespace joined to the worker
# by a veth.  The slot's own rule set drops whatever reaches the slot on eth0
# but tunnel UDP, the SYN-ACK included, so this part installs the root set
# only (`rules --apply --root`): the root set is what differs between the
# layouts.  slotnet's raw-table NOTRACK rules stay in both runs.
#
#   scripts/bench-rules.sh [N ...]        (default N list: 1 1000 4000)
#   environment: N_LAT (default 1000), N_APPLY (default 4000), CONNECTS (default 400)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

if (($#)); then NS_COUNT=("$@"); else NS_COUNT=(1 1000 4000); fi
N_LAT=${N_LAT:-1000}
N_APPLY=${N_APPLY:-4000}
CONNECTS=${CONNECTS:-400}
PER_SLOT=30
BIN=$PWD/build/slotnet
W=rbw$$          # the worker
U=rbu$$          # the uplink namespace (TCP server)
UPL=rbl$$        # its veth in the worker (a name outside the slots' P+ wildcard)
P=rb$$x          # slot prefix: slot namespaces and root veths P0, P1, ...
PIN=/sys/fs/bpf/bench-rules$$
OUTSIDE=100.64.0.0/16
UP_W=198.19.255.1 # worker's end of the uplink veth
UP_U=198.19.255.2 # the server's address
PORT=5001
PIDS=()
tmp=$(mktemp -d)

sn() { timeout 600 nsenter --net="/run/netns/$W" "$BIN" --pin-dir "$PIN" "$@"; }

# Everything this run made: slotnet's slots and pins, the worker, the uplink.
drop_all() {
    local pid ns
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    if [[ -e /run/netns/$W && -e $PIN ]]; then
        sn -q teardown >/dev/null 2>&1 || true
    fi
    rm -rf "$PIN"
    for ns in /run/netns/"$P"*; do
        if [[ -e $ns ]]; then ip netns del "${ns##*/}" 2>/dev/null || true; fi
    done
    ip netns del "$U" 2>/dev/null || true
    ip netns del "$W" 2>/dev/null || true
}
cleanup() {
    drop_all
    rm -rf "$tmp"
}
trap cleanup EXIT

for n in "${NS_COUNT[@]}" "$N_LAT" "$N_APPLY" "$CONNECTS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "not a positive number: '$n'" >&2; exit 2; }
done
((N_LAT >= 2)) || { echo "N_LAT must be >= 2" >&2; exit 2; }
make -s
[[ -x $BIN ]] || { echo "build first: make" >&2; exit 1; }

root_rules() { nsenter --net="/run/netns/$W" iptables-save | grep -c '^-A' || true; }
in_slot_rules() { # SLOT TOOL-SAVE
    nsenter --net="/run/netns/$P$1" "$2" | grep -c '^-A' || true
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT MET"; fi; }
outside_of() { # I -> the I-th host of OUTSIDE (slotnet's rule)
    python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1])[int(sys.argv[2]) + 1])' \
        "$OUTSIDE" "$1"
}

fresh_worker() {
    drop_all
    make_worker "$W"
}

echo "slotnet $("$BIN" --version | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs," \
    "$(iptables -V), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

# ---- 2. TCP connect through the root namespace at N_LAT ----
LAST=$((N_LAT - 1))
echo "== connect latency, N=$N_LAT (slot 0 and slot $LAST, $CONNECTS connects each, interleaved)" >&2
wait_kernel_settled 900
fresh_worker
sn -q prewarm --slots "$N_LAT" --prefix "$P" --tunnel vxlan --outside "$OUTSIDE" >&2
sn -q rules --apply --root >&2
LAT_ROOT_RULES=$(root_rules)
ip netns add "$U"
ip -n "$U" link set lo up
ip -n "$W" link add "$UPL" type veth peer name up0 netns "$U"
ip -n "$W" addr add "$UP_W/30" dev "$UPL"
ip -n "$U" addr add "$UP_U/30" dev up0
ip -n "$W" link set "$UPL" up
ip -n "$U" link set up0 up
ip -n "$U" route add "$OUTSIDE" via "$UP_W"

nsenter --net="/run/netns/$U" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4096)
open(sys.argv[3], "w").close()
while True:
    c, _ = s.accept()
    c.close()
' "$UP_U" "$PORT" "$tmp/ready" &
PIDS+=($!)
for ((i = 0; i < 500; i++)); do
    [[ -e $tmp/ready ]] && break
    sleep 0.01
done
[[ -e $tmp/ready ]] || { echo "the server in $U did not start" >&2; exit 1; }

# One process, started in slot 0, makes each socket inside the slot it
# measures (setns between the two) and times connect() alone; the two slots
# take turns, the order alternating.  Prints per slot: median p10 p90 (us).
connect_times() {
    nsenter --net="/run/netns/${P}0" python3 - "$CONNECTS" "$UP_U" "$PORT" \
        "/run/netns/${P}0" "/run/netns/$P$LAST" <<'EOF'
import ctypes, os, socket, statistics, sys, time
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
n, addr, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
fds = [os.open(p, os.O_RDONLY) for p in sys.argv[4:]]

def connect_in(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    t0 = time.perf_counter()
    s.connect((addr, port))
    t1 = time.perf_counter()
    s.close()
    # Let this connection's last packets (ACK, FINs: each costs what the SYN
    # did) cross the path before the next connect is timed.
    time.sleep(max(0.001, 4 * (t1 - t0)))
    return (t1 - t0) * 1e6

for _ in range(20):  # warm-up
    for fd in fds:
        connect_in(fd)
t = [[] for _ in fds]
for i in range(n):
    order = range(len(fds)) if i % 2 == 0 else reversed(range(len(fds)))
    for k in order:
        t[k].append(connect_in(fds[k]))
for v in t:
    v.sort()
    print("%.1f %.1f %.1f" % (statistics.median(v), v[len(v) // 10], v[len(v) * 9 // 10]))
EOF
}

# (Not read through <(...): a failed run must stop the script.)
out=$(connect_times)
{ read -r A0 A0_10 A0_90; read -r AL AL_10 AL_90; } <<<"$out"

# The baseline: PER_SLOT rules per slot, matching only that slot's root veth
# (-i P<i>) or its outside address (-d), each ending in a RETURN, in a chain
# FORWARD jumps to before slotnet's SLOTNET-FORWARD; slot i's packets walk
# about PER_SLOT * i of them.  One iptables-restore --noflush.
python3 - "$P" "$OUTSIDE" "$N_LAT" "$PER_SLOT" >"$tmp/baseline" <<'EOF'
import ipaddress, sys
prefix, net, n, per = sys.argv[1], ipaddress.ip_network(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
half = per // 2
out = ["*filter", ":BASELINE - [0:0]"]
for i in range(n):
    o = net[i + 1]
    for j in range(half - 1):
        out.append("-A BASELINE -i %s%d -p tcp -m tcp --dport %d -j ACCEPT" % (prefix, i, 10000 + j))
    out.append("-A BASELINE -i %s%d -j RETURN" % (prefix, i))
    for j in range(per - half - 1):
        out.append("-A BASELINE -d %s/32 -p tcp -m tcp --dport %d -j ACCEPT" % (o, 10000 + j))
    out.append("-A BASELINE -d %s/32 -j RETURN" % o)
out += ["-I FORWARD 1 -j BASELINE", "COMMIT"]
print("\n".join(out))
EOF
t0=$(date +%s%N)
nsenter --net="/run/netns/$W" iptables-restore --noflush <"$tmp/baseline"
BASE_RESTORE_MS=$(ms_since "$t0")
BASE_ROOT_RULES=$(root_rules)
nsenter --net="/run/netns/$W" iptables -S FORWARD | sed -n 2,3p | tr '\n' ' ' >"$tmp/forward"
[[ $(cat "$tmp/forward") == "-A FORWARD -j BASELINE -A FORWARD -j SLOTNET-FORWARD " ]] ||
    { echo "unexpected FORWARD chain: $(cat "$tmp/forward")" >&2; exit 1; }
out=$(connect_times)
{ read -r B0 B0_10 B0_90; read -r BL BL_10 BL_90; } <<<"$out"
A_SKEW=$(div "$AL" "$A0")
B_SKEW=$(div "$BL" "$B0")

# ---- 3. rules --apply at N_APPLY ----
echo "== rules --apply, N=$N_APPLY" >&2
drop_all
wait_kernel_settled 900
make_worker "$W"
t0=$(date +%s%N)
sn -q prewarm --slots "$N_APPLY" --prefix "$P" --tunnel vxlan --outside "$OUTSIDE" >&2
APPLY_PREWARM_MS=$(ms_since "$t0")
[[ $(root_rules) == 0 ]] || { echo "prewarm without --rules left root rules" >&2; exit 1; }
wait_kernel_settled 900
t0=$(date +%s%N)
APPLY1=$(sn -j rules --apply)
APPLY1_MS=$(ms_since "$t0")
t0=$(date +%s%N)
APPLY2=$(sn -j rules --apply)
APPLY2_MS=$(ms_since "$t0")
t0=$(date +%s%N)
CHECK_RC=0
CHECK=$(sn -j rules --check) || CHECK_RC=$?
CHECK_MS=$(ms_since "$t0")
APPLY_ROOT_RULES=$(root_rules)
read -r APPLY1_NS APPLY1_CHANGED APPLY1_IN <<<"$(jq -r '"\(.namespaces) \(.changed) \(.ms)"' <<<"$APPLY1")"
read -r _ APPLY2_CHANGED APPLY2_IN <<<"$(jq -r '"\(.namespaces) \(.changed) \(.ms)"' <<<"$APPLY2")"
read -r CHECK_NS CHECK_DIFFER CHECK_IN <<<"$(jq -r '"\(.namespaces) \(.differ) \(.ms)"' <<<"$CHECK")"
BACKENDS=$(jq -r '"iptables \(.backend.iptables), ebtables \(.backend.ebtables)"' <<<"$APPLY1")
PROBLEMS=()
((APPLY1_NS == N_APPLY + 1 && APPLY1_CHANGED == N_APPLY + 1)) ||
    PROBLEMS+=("first rules --apply: $APPLY1_CHANGED of $APPLY1_NS namespaces changed, expected $((N_APPLY + 1))")
((APPLY2_CHANGED == 0)) || PROBLEMS+=("second rules --apply changed $APPLY2_CHANGED namespaces")
((CHECK_RC == 0 && CHECK_DIFFER == 0)) ||
    PROBLEMS+=("rules --check: exit $CHECK_RC, $CHECK_DIFFER namespaces differ")

# ---- 1. root rule count after a fresh prewarm --rules at each N (untimed) ----
declare -A COUNT SLOT_IPT SLOT_EBT PREWARM_MS RULES_OK
for n in "${NS_COUNT[@]}"; do
    echo "== prewarm --rules, N=$n" >&2
    drop_all
    wait_kernel_settled 900
    make_worker "$W"
    t0=$(date +%s%N)
    sn -q prewarm --slots "$n" --prefix "$P" --tunnel vxlan --outside "$OUTSIDE" --rules >&2
    PREWARM_MS[$n]=$(ms_since "$t0")
    COUNT[$n]=$(root_rules)
    RULES_OK[$n]=$(sn -j rules --check | jq -r '"\(.namespaces - .differ)/\(.namespaces)"') || true
    SLOT_IPT[$n]=$(in_slot_rules $((n - 1)) iptables-save)
    SLOT_EBT[$n]=$(in_slot_rules $((n - 1)) ebtables-save)
done
counts=""
same=1
for n in "${NS_COUNT[@]}"; do
    counts+="${counts:+ / }${COUNT[$n]}"
    [[ ${COUNT[$n]} == "${COUNT[${NS_COUNT[0]}]}" ]] || same=0
    ((COUNT[$n] <= 144)) || same=0
done
nlist=$(printf '%s / ' "${NS_COUNT[@]}")
nlist=${nlist% / }
slot_counts="" prewarm_times="" checks=""
for n in "${NS_COUNT[@]}"; do
    slot_counts+="${slot_counts:+ / }${SLOT_IPT[$n]}+${SLOT_EBT[$n]}"
    prewarm_times+="${prewarm_times:+ / }$(div "${PREWARM_MS[$n]}" 1000)"
    checks+="${checks:+ / }${RULES_OK[$n]}"
done

echo
echo "== summary (slotnet $("$BIN" --version | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs, $BACKENDS, $(date -u +%F))"
echo "Command: scripts/bench-rules.sh ${NS_COUNT[*]}   (N_LAT=$N_LAT N_APPLY=$N_APPLY CONNECTS=$CONNECTS)"
echo
echo "| figure | measured | target |"
echo "|---|---:|---|"
echo "| root rules (\`-A\` lines of iptables-save) after \`prewarm --rules\`, N = $nlist | $counts | equal, <= 144: $( ((same)) && echo met || echo "NOT MET") |"
echo "| same, root set only (\`rules --apply --root\`, N = $N_LAT) / after \`rules --apply\` (N = $N_APPLY) | $LAT_ROOT_RULES / $APPLY_ROOT_RULES | |"
echo "| rules in the last slot (iptables + ebtables), N = $nlist | $slot_counts | |"
echo "| \`rules --check\` after \`prewarm --rules\`: namespaces in order, N = $nlist | $checks | |"
echo "| \`prewarm --rules\` wall time, N = $nlist (without --rules, N = $N_APPLY: $(div "$APPLY_PREWARM_MS" 1000) s) | $prewarm_times s | |"
echo "| TCP connect, slotnet root set, slot 0 -> slot $LAST (median) | $A0 us -> $AL us (${A_SKEW}x) | <= 1.05x: $(verdict "$A_SKEW <= 1.05") |"
echo "| TCP connect, baseline +$PER_SLOT rules/slot ($BASE_ROOT_RULES root rules), slot 0 -> slot $LAST (median) | $B0 us -> $BL us (${B_SKEW}x) | reported |"
echo "| \`rules --apply\`, $((N_APPLY + 1)) namespaces ($APPLY1_CHANGED changed), wall | $(div "$APPLY1_MS" 1000) s | <= 10 s: $(verdict "$APPLY1_MS <= 10000") |"
echo "| \`rules --apply\` again ($APPLY2_CHANGED changed) / \`rules --check\` ($CHECK_DIFFER differ), wall | $(div "$APPLY2_MS" 1000) s / $(div "$CHECK_MS" 1000) s | |"
echo
echo "TCP connects: client in the slot (169.254.1.2, NATed to the slot's outside address by the"
echo "data path) to a server in an uplink namespace behind the worker; root set only (rules --apply"
echo "--root: the slot set would drop the SYN-ACK on the slot's eth0); $CONNECTS connects per slot"
echo "after 20 warm-up, slot 0 and slot $LAST alternating; us, median [p10, p90]:"
printf '  %-34s slot 0 %7s [%s, %s]   slot %s %7s [%s, %s]   %sx\n' "slotnet root set:" \
    "$A0" "$A0_10" "$A0_90" "$LAST" "$AL" "$AL_10" "$AL_90" "$A_SKEW"
printf '  %-34s slot 0 %7s [%s, %s]   slot %s %7s [%s, %s]   %sx\n' "baseline (+$((PER_SLOT * N_LAT)) rules first):" \
    "$B0" "$B0_10" "$B0_90" "$LAST" "$BL" "$BL_10" "$BL_90" "$B_SKEW"
echo "  (baseline rules loaded by one iptables-restore --noflush in $BASE_RESTORE_MS ms)"
echo "rules --apply at N=$N_APPLY: prewarm without --rules took $(div "$APPLY_PREWARM_MS" 1000) s; slotnet's own"
echo "  times: apply $APPLY1_IN ms ($APPLY1_NS namespaces), again $APPLY2_IN ms, check $CHECK_IN ms ($CHECK_NS namespaces)"
if ((${#PROBLEMS[@]})); then
    printf 'PROBLEM: %s\n' "${PROBLEMS[@]}"
fi
