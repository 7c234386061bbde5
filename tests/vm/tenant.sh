#!/usr/bin/env bash
# tests/vm/tenant.sh [OPTIONS] -- COMMAND...: boots a tenant VM (Debian's
# 6.1 cloud kernel, a busybox initramfs, one virtio-net device on an
# existing tap), which configures eth0, runs COMMAND (busybox's applets:
# ping, nc, sha256sum, sh -c '...') and powers off.  COMMAND's output comes
# on stdout as the guest prints it on its console; the kernel's own console
# lines go to stderr.  Exits with COMMAND's status, 124 on the timeout, 1 if
# the guest ended without reporting one.
#
#   --netns NS       run qemu in network namespace NS (/run/netns/NS), where
#                    the tap is (a slot's tap0 lives in the slot's namespace)
#   --tap NAME       the tap device qemu opens (default tap0); it must exist
#   --no-net         no network device at all
#   --mac MAC        the guest's MAC (the device's, and set again by the
#                    guest; default qemu's 52:54:00:12:34:56)
#   --host-mtu N     the MTU the device advertises (virtio-net host_mtu,
#                    what a VMM is told for the slot)
#   --mtu N          the MTU the guest sets on eth0 (default: the device's)
#   --addr A/LEN     eth0's IPv4 address
#   --gw ADDR        the guest's default route
#   --timeout S      kill the guest after S seconds (default 120)
#   --input FILE     the guest's console input (qemu's serial port) from
#                    FILE, a fifo the caller writes to: for the command
#                    "agent", which runs one command per line read there
#                    (init-tenant.sh); default none
#
# The words of COMMAND travel on the kernel command line: no double quotes,
# no line breaks, 1,500 bytes at most in all.  VM_MEM (MiB, default 256) and
# VM_CPUS (default 1) size the guest; VM_ACCEL forces kvm or tcg.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

netns='' tap=tap0 net=1 mac='' host_mtu='' mtu='' addr='' gw='' limit=120 input=/dev/null
uint() { [[ $2 =~ ^[0-9]{1,5}$ ]] || vm_usage_error "$1: '$2' is not a number"; }
ipv4() { vm_is_ipv4 "$2" || vm_usage_error "$1: '$2' is not an IPv4 address"; }
while [[ $# -gt 0 ]]; do
    [[ $1 == -- ]] && { shift; break; }
    [[ $1 == --no-net ]] && { net=0; shift; continue; }
    [[ $# -ge 2 ]] || vm_usage_error "$1: needs a value (or unknown option)"
    case $1 in
        --netns) netns=$2
            [[ -e /run/netns/$netns ]] || vm_usage_error "--netns: no namespace /run/netns/$netns" ;;
        --tap) tap=$2
            [[ $tap =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || vm_usage_error "--tap: '$tap' is not a device name" ;;
        --mac) mac=$2
            vm_is_mac "$mac" || vm_usage_error "--mac: '$mac' is not a MAC address" ;;
        --host-mtu) host_mtu=$2; uint "$1" "$2" ;;
        --mtu) mtu=$2; uint "$1" "$2" ;;
        --addr) addr=$2
            vm_is_cidr "$2" || vm_usage_error "--addr: '$2' is not an IPv4 address with a prefix length (A.B.C.D/LEN)" ;;
        --gw) gw=$2; ipv4 "$1" "$2" ;;
        --timeout) limit=$2; uint "$1" "$2" ;;
        --input) input=$2
            [[ -r $input ]] || vm_usage_error "--input: '$input' is not a readable file or fifo" ;;
        *) vm_usage_error "unknown option '$1'" ;;
    esac
    shift 2
done
[[ $# -gt 0 ]] || vm_usage_error "no command (tenant.sh [OPTIONS] -- COMMAND...)"
vm_tenant_args "$mac" "$mtu" "$addr" "$gw" "$@"

initrd=$("$(dirname "$0")/initramfs.sh" tenant)
VM_MEM=${VM_MEM:-256} VM_CPUS=${VM_CPUS:-1}
vm_qemu_cmd "$initrd" stdio "$VM_TENANT_ARGS"
if ((net)); then
    dev="virtio-net-device,netdev=n0"
    [[ -n $mac ]] && dev+=",mac=$mac"
    [[ -n $host_mtu ]] && dev+=",host_mtu=$host_mtu"
    VM_QEMU+=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "$dev")
fi
run=(timeout -k 2 "$limit")
[[ -n $netns ]] && run+=(nsenter "--net=/run/netns/$netns")

# qemu in the background, so that a signal to this script ends it (bash
# runs traps only between foreground commands) and nothing keeps the tap.
tmp=$(mktemp -d)
qpid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -n $qpid ]]; then
        kill "$qpid" 2>/dev/null || true
        # Until qemu is gone and the tap free for the next guest.
        wait "$qpid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkfifo "$tmp/console"
"${run[@]}" "${VM_QEMU[@]}" <"$input" >"$tmp/console" &
qpid=$!

# The console, line by line: the guest's "exit" line gives the status; the
# kernel's lines ("[    1.234567] ...") go to stderr, the rest to stdout.
status=''
while IFS= read -r line; do
    line=${line%$'\r'}
    case $line in
        "slotnet-vm: exit "*) status=${line#slotnet-vm: exit } ;;
        "["*"] "*) printf '%s\n' "$line" >&2 ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$tmp/console"
qemu=0
wait "$qpid" || qemu=$?
qpid=''
if [[ $qemu == 124 ]]; then
    echo "tenant.sh: the guest did not finish within ${limit}s" >&2
    exit 124
fi
[[ -n $status ]] || vm_die "the guest ended without reporting a status (qemu exit status $qemu)"
exit "$status"
