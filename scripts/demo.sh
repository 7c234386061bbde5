#!/usr/bin/env bash
# Set-up and demo in one command, as root on Debian bookworm: installs what
# the build needs, builds build/slotnet, then prewarms a handful of slots
# inside a throwaway worker namespace, dumps them and tears them down.
# Nothing outside that namespace (and the slots' own) is touched.
#
#   scripts/demo.sh [SLOTS=8]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SLOTS=${1:-8}
W=demo-worker$$
PIN=/sys/fs/bpf/slotnet-demo$$
BIN=$PWD/build/slotnet

bash scripts/deps.sh
make -s

cleanup() {
    nsenter --net=/run/netns/$W "$BIN" -q --pin-dir $PIN teardown 2>/dev/null || true
    ip netns del $W 2>/dev/null || true
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
ip -n $W -br link | head -5
ip -n $W route | head -5
say "slotnet teardown"
sn teardown
