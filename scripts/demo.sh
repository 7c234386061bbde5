#!/usr/bin/env bash
# Set-up and demo in one command, as root on Debian bookworm: installs what
# the build needs, builds build/slotnet, then prewarms a handful of slots
# inside a throwaway worker namespace, binds slot 0 to a tenant whose VXLAN
# endpoint lives in a second throwaway namespace, pings through it, unbinds
# and tears everything down.  Nothing outside those namespaces (and the
# slots' own) is touched.
#
#   scripts/demo.sh [SLOTS=8]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SLOTS=${1:-8}
W=demo-worker$$
T=demo-tenant$$
PIN=/sys/fs/bpf/slotnet-demo$$
BIN=$PWD/build/slotnet

bash scripts/deps.sh
make -s

cleanup() {
    nsenter --net=/run/netns/$W "$BIN" -q --pin-dir $PIN teardown 2>/dev/null || true
    ip netns del $W 2>/dev/null || true
    ip netns del $T 2>/dev/null || true
}
trap cleanup EXIT

sn() { nsenter --net=/run/netns/$W "$BIN" --pin-dir $PIN "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

make_worker $W
say "slotnet prewarm --slots $SLOTS --prefix demo --tunnel vxlan --remote 198.51.100.7 --outside 10.99.0.0/24"
sn prewarm --slots "$SLOTS" --prefix demo --tunnel vxlan --remote 198.51.100.7 --outside 10.99.0.0/24
say "slotnet prewarm --slots $SLOTS    # again: nothing to do"
sn prewarm --slots "$SLOTS"
say "slotnet dump"
sn dump
say "slotnet -j dump 0"
sn -j dump 0
say "ip -n demo0 -br link; ip -n demo0 route    # inside slot 0"
ip -n demo0 -br link
ip -n demo0 route
say "ip -br link; ip route    # the worker's root namespace"
ip -n $W -br link | awk 'NR <= 5'
ip -n $W route | awk 'NR <= 5'
# The tenant's side: its tunnel endpoint 198.51.100.7 (VNI 4242, remote =
# slot 0's outside address), reached from the worker over a veth.
ip netns add $T
ip -n $W link add tenant type veth peer name uplink netns $T
ip -n $W addr add 198.51.100.254/24 dev tenant
ip -n $W link set tenant up
ip -n $T addr add 198.51.100.7/24 dev uplink
ip -n $T link set uplink up
ip -n $T route add 10.99.0.0/24 via 198.51.100.254
ip -n $T link add vx4242 type vxlan id 4242 remote 10.99.0.1 local 198.51.100.7 dstport 4789
ip -n $T addr add 10.200.0.2/24 dev vx4242
ip -n $T link set vx4242 up
ip -n demo0 addr add 10.200.0.1/24 dev br0   # stands in for the VM behind tap0
say "ping 10.200.0.2 from slot 0 before bind: the dummy VNI never leaves"
nsenter --net=/run/netns/demo0 ping -c1 -W1 10.200.0.2 || true
say "slotnet bind 0 --vni 4242"
sn bind 0 --vni 4242
say "ping 10.200.0.2 from slot 0"
nsenter --net=/run/netns/demo0 ping -c3 -i0.2 -W1 10.200.0.2
say "slotnet dump 0"
sn dump 0
say "slotnet bind --any --vni 7    # claims a free slot, prints its number"
sn bind --any --vni 7
say "slotnet unbind 0"
sn unbind 0
say "slotnet rules --apply: a constant set in the root namespace, one set in every slot"
sn rules --apply
sn rules --check
echo "root namespace: $(nsenter --net=/run/netns/$W iptables-save | grep -c '^-A') rules for $SLOTS slots"
say "slotnet teardown"
sn teardown
