#!/usr/bin/env bash
# tests/vm/selftest.sh: shows the rig working, as one TAP stream:
#   1. a TAP script runs in the 6.1 worker guest and its plan, results,
#      stderr and exit status come back apart from the guest's console;
#   2. slotnet there (build/slotnet: run `make` first) prewarms 2 slots with
#      Geneve tunnels in a throwaway namespace and pin directory of the
#      guest, and `--attach tcx` is refused (6.1 has no tcx; what it prints
#      is shown);
#   3. a tenant VM on a tap in a throwaway namespace of this host answers
#      ping from that namespace, at the MTU the device advertised (host_mtu).
# Root only.  Nothing touches this host's root namespace: the namespace of
# test 3 (and its tap) is removed on exit, pass or fail.
set -uo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$VM_REPO" || exit 1

n=0 failed=0
result() { # OK? NAME
    n=$((n + 1))
    if [[ $1 == 0 ]]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=1
    fi
}
comment() { sed 's/^/# /'; }
tmp=$(mktemp -d)
ns=snvm$$
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [[ -n ${tenant_pid:-} ]] && kill "$tenant_pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "1..3"
# The kernel first (a fresh clone fetches it), so its note is not taken for the guest's stderr.
tests/vm/kernel.sh 2>&1 | comment

# 1. A trivial TAP script: its stdout (TAP), stderr and status, each apart.
t0=$(date +%s%N)
# shellcheck disable=SC2016 # expanded in the guest
tests/vm/run-in-guest.sh --console "$tmp/console1" -- bash -c '
    echo 1..2
    echo "ok 1 - kernel $(uname -r)"
    echo "a line on stderr" >&2
    echo "ok 2 - geneve module $(modprobe -n -v geneve >/dev/null 2>&1; ip link add g0 type geneve id 1 remote 192.0.2.1 && echo loads)"
    exit 7' >"$tmp/out1" 2>"$tmp/err1"
status=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expected="1..2
ok 1 - kernel $(vm_kernel_release)
ok 2 - geneve module loads"
{
    echo "whole run ${ms} ms wall; $(grep -o 'running at [0-9.]*s of uptime' "$tmp/console1")"
    echo "stdout:"; cat "$tmp/out1"
    echo "stderr:"; cat "$tmp/err1"
    echo "exit status: $status"
} | comment
[[ $status == 7 && $(<"$tmp/out1") == "$expected" && $(<"$tmp/err1") == "a line on stderr" ]]
result $? "a TAP script in the 6.1 guest: stdout, stderr and exit status come back apart"

# 2. slotnet in the guest: prewarm with Geneve, and tcx refused.
[[ -x build/slotnet ]] || echo "# build/slotnet missing: run make first"
# shellcheck disable=SC2016 # expanded in the guest
tests/vm/run-in-guest.sh --console "$tmp/console2" -- bash -c '
    set -u
    ip netns add w && ip -n w link set lo up || exit 1
    sn() { nsenter --net=/run/netns/w build/slotnet --pin-dir /sys/fs/bpf/snvm "$@"; }
    sn prewarm --slots 2 --tunnel geneve; echo "prewarm: exit $?"
    for i in 0 1; do ip -n "sn$i" -d link show tun0 | grep -o "geneve id [0-9]*"; done
    sn -j dump | jq -c "[.slots[] | .slot]"
    sn teardown; echo "teardown: exit $?"
    ip netns del w
    ip netns add w2
    nsenter --net=/run/netns/w2 build/slotnet --pin-dir /sys/fs/bpf/snvm2 prewarm --slots 1 --attach tcx
    echo "tcx prewarm: exit $?"' >"$tmp/out2" 2>"$tmp/err2"
status=$?
{
    echo "stdout:"; cat "$tmp/out2"
    echo "stderr:"; cat "$tmp/err2"
    echo "exit status: $status"
} | comment
grep -qx "prewarm: exit 0" "$tmp/out2" && grep -qx "teardown: exit 0" "$tmp/out2" &&
    [[ $(grep -c '^geneve id ' "$tmp/out2") == 2 ]] &&
    grep -Eq '^tcx prewarm: exit [1-9]' "$tmp/out2" && grep -q '^slotnet: ' "$tmp/err2"
result $? "slotnet in the 6.1 guest: prewarm --tunnel geneve works, --attach tcx is refused"

# 3. A tenant VM on a tap in a throwaway namespace of this host.
{
    ip netns add "$ns" && ip -n "$ns" link set lo up &&
        ip -n "$ns" tuntap add dev tap0 mode tap &&
        ip -n "$ns" link set tap0 mtu 1450 up &&
        ip -n "$ns" addr add 10.99.0.1/24 dev tap0
} || { result 1 "a tenant VM on a tap in a namespace"; exit 1; }
# The guest keeps the MTU the device advertises (host_mtu), takes its
# address from the kernel command line, prints its MTU and MAC when its
# command starts and waits to be pinged.
tests/vm/tenant.sh --netns "$ns" --tap tap0 --mac 02:00:00:00:99:02 --host-mtu 1450 \
    --addr 10.99.0.2/24 --gw 10.99.0.1 --timeout 60 -- \
    sh -c 'cat /sys/class/net/eth0/mtu /sys/class/net/eth0/address; sleep 30' >"$tmp/out3" 2>"$tmp/err3" &
tenant_pid=$!
t0=$(date +%s%N)
for ((i = 0; i < 300; i++)); do
    [[ $(wc -l <"$tmp/out3") -ge 2 ]] && break
    kill -0 "$tenant_pid" 2>/dev/null || break
    sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
ping_out=$(nsenter --net="/run/netns/$ns" ping -n -c 3 -i 0.2 -s 1422 -M "do" 10.99.0.2 2>&1)
ping_rc=$?
kill "$tenant_pid" 2>/dev/null
wait "$tenant_pid" 2>/dev/null
tenant_pid=
{
    echo "the guest's command ran ${ms} ms after tenant.sh started"
    echo "$ping_out"
    echo "guest's eth0 mtu and MAC:"; cat "$tmp/out3"
} | comment
[[ $ping_rc == 0 && $(<"$tmp/out3") == "1450"$'\n'"02:00:00:00:99:02" ]]
result $? "a tenant VM on a tap in a namespace has its MAC and host_mtu and answers ping at 1450 (DF)"
exit "$failed"
