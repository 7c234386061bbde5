#!/usr/bin/env bash
# Rules benchmark, all inside throwaway namespaces:
#  1. root rule count after `prewarm --rules` at N = 1 and 1,000, and after
#     `rules --apply` at 4,000 (target: the same number, <= 144);
#  2. TCP connect time through the root namespace to slot 0 and to the last
#     slot at N = 1,000, interleaved, with this layout and with a baseline
#     that adds 30 rules per slot (30,000) ahead of it in FORWARD, as the
#     seed's worker had (target: no skew, <= 5%, with this layout);
#  3. `rules --apply` over 4,001 namespaces (target <= 10 s), a second
#     apply, and `rules --check`.
# A client in an "uplink" namespace connects to a slot's outside address
# (the data path's NAT takes it to 169.254.1.2 in the slot, where a server
# listens; one extra rule in those two slots lets port 5001 in).
# Usage: bench-rules.sh [N-LATENCY [N-APPLY]]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

N_LAT=${1:-1000}
N_APPLY=${2:-4000}
CONNECTS=${CONNECTS:-400}
BIN=$PWD/build/slotnet
W=snbr-w$$
U=snbr-u$$
PIN=/sys/fs/bpf/snbr$$
P=br$$x
OUTSIDE=100.64.0.0/16

sn() { nsenter --net=/run/netns/$W "$BIN" -q --pin-dir $PIN "$@"; }
cleanup() {
    pkill -f "bench-rules-server-$$" 2>/dev/null || true
    [[ -e /run/netns/$W ]] && sn teardown >/dev/null 2>&1 || true
    ip netns del $U 2>/dev/null || true
    ip netns del $W 2>/dev/null || true
    rm -rf $PIN
}
trap cleanup EXIT

make >/dev/null
root_rules() { nsenter --net=/run/netns/$W iptables-save | grep -c '^-A'; }
outside_of() { python3 -c "import ipaddress,sys; print(ipaddress.ip_network('$OUTSIDE')[int(sys.argv[1]) + 1])" "$1"; }

fresh_worker() {
    cleanup
    wait_kernel_settled
    make_worker $W
}

declare -A COUNT

# --- 1. counts at N = 1 ---
fresh_worker
sn prewarm --slots 1 --prefix $P --tunnel vxlan --outside $OUTSIDE --rules
COUNT[1]=$(root_rules)

# --- 1 and 2 at N = N_LAT ---
fresh_worker
sn prewarm --slots "$N_LAT" --prefix $P --tunnel vxlan --outside $OUTSIDE --rules
COUNT[$N_LAT]=$(root_rules)
ip netns add $U
ip -n $U link set lo up
ip -n $W link add upl0 type veth peer name upl1 netns $U
ip -n $W addr add 198.19.0.1/24 dev upl0
ip -n $U addr add 198.19.0.2/24 dev upl1
ip -n $W link set upl0 up
ip -n $U link set upl1 up
ip -n $U route add $OUTSIDE via 198.19.0.1
LAST=$((N_LAT - 1))
for i in 0 $LAST; do
    nsenter --net=/run/netns/$P$i iptables -I INPUT -p tcp --dport 5001 -j ACCEPT
    nsenter --net=/run/netns/$P$i python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(512)
while True:
    c, _ = s.accept(); c.close()
' "bench-rules-server-$$" &
done
sleep 0.5
O_FIRST=$(outside_of 0)
O_LAST=$(outside_of $LAST)

# Median connect() time in microseconds to each address, interleaved.
connect_medians() {
    nsenter --net=/run/netns/$U python3 - "$CONNECTS" "$O_FIRST" "$O_LAST" <<'EOF'
import socket, statistics, sys, time
n, addrs = int(sys.argv[1]), sys.argv[2:]
t = {a: [] for a in addrs}
for _ in range(20):  # warm-up: routes, neighbours, caches
    for a in addrs:
        s = socket.create_connection((a, 5001), timeout=5); s.close()
for _ in range(n):
    for a in addrs:
        s = socket.socket(); s.settimeout(5)
        t0 = time.perf_counter(); s.connect((a, 5001)); t1 = time.perf_counter()
        s.close(); t[a].append((t1 - t0) * 1e6)
print(" ".join("%.1f" % statistics.median(t[a]) for a in addrs))
EOF
}

read -r L0 LN <<<"$(connect_medians)"

# The baseline: 30 rules per slot walked before slotnet's hook, ending in the
# rules that accept that slot's traffic, so slot i's packets pass ~30*i rules.
python3 - "$OUTSIDE" "$N_LAT" <<'EOF' | nsenter --net=/run/netns/$W iptables-restore --noflush
import ipaddress, sys
net, n = ipaddress.ip_network(sys.argv[1]), int(sys.argv[2])
print("*filter\n:BASELINE - [0:0]")
for i in range(n):
    o = net[i + 1]
    for j in range(28):
        print("-A BASELINE -d %s/32 -p tcp -m tcp --dport %d -j ACCEPT" % (o, 10000 + j))
    print("-A BASELINE -d %s/32 -j ACCEPT" % o)
    print("-A BASELINE -s %s/32 -j ACCEPT" % o)
print("-I FORWARD 1 -j BASELINE\nCOMMIT")
EOF
BASE_RULES=$(root_rules)
read -r B0 BN <<<"$(connect_medians)"
pkill -f "bench-rules-server-$$" 2>/dev/null || true

# --- 1 and 3 at N = N_APPLY ---
fresh_worker
sn prewarm --slots "$N_APPLY" --prefix $P --tunnel vxlan --outside $OUTSIDE
t0=$(date +%s%N)
APPLY_OUT=$(sn rules --apply)
t1=$(date +%s%N)
AGAIN_OUT=$(sn rules --apply)
t2=$(date +%s%N)
CHECK_OUT=$(sn rules --check)
t3=$(date +%s%N)
COUNT[$N_APPLY]=$(root_rules)

ms() { echo $((($2 - $1) / 1000000)); }
ratio() { python3 -c "print('%.3f' % ($1 / $2))"; }
echo
echo "== slotnet rules benchmark ($(uname -r), $(nproc) CPUs, $(date -u +%F)) =="
echo "root rules (iptables-save -A lines): N=1: ${COUNT[1]}, N=$N_LAT: ${COUNT[$N_LAT]}, N=$N_APPLY: ${COUNT[$N_APPLY]} (target: equal, <= 144)"
echo "TCP connect through the root namespace, N=$N_LAT, median of $CONNECTS each, interleaved:"
echo "  slotnet layout (${COUNT[$N_LAT]} root rules): slot 0 ${L0} us, slot $LAST ${LN} us, last/first $(ratio "$LN" "$L0") (target <= 1.05)"
echo "  baseline (+30 rules/slot, $BASE_RULES root rules): slot 0 ${B0} us, slot $LAST ${BN} us, last/first $(ratio "$BN" "$B0")"
echo "rules --apply, $((N_APPLY + 1)) namespaces: $(ms "$t0" "$t1") ms (target <= 10000): $APPLY_OUT"
echo "rules --apply again: $(ms "$t1" "$t2") ms: $AGAIN_OUT"
echo "rules --check: $(ms "$t2" "$t3") ms: $CHECK_OUT"
