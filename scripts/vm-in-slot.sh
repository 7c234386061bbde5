#!/usr/bin/env bash
# scripts/vm-in-slot.sh: boots a VM in a slotnet slot, as a VMM does it
# (qemu here, standing in for Firecracker), and prints the command it runs.
#
# Usage: scripts/vm-in-slot.sh [OPTIONS] SLOT [-- COMMAND...]
#
# Everything the VMM needs to know about the slot comes from
# `slotnet -j dump SLOT`:
#   .slots[0].netns_path  the namespace to start the VMM in
#                         (Firecracker's jailer: --netns PATH)
#   .slots[0].tap         the tap device the VMM opens in it (tap0)
#   .slots[0].guest_mtu   the MTU to give the guest: the underlay's MTU less
#                         the 50 bytes of encapsulation (qemu's host_mtu,
#                         Firecracker's network interface "mtu")
#   .slots[0].guest_mac   the guest's MAC and address: set only when the
#   .slots[0].guest_addr  slot's rules are on (prewarm --rules), which let
#                         nothing else leave the tap
# Every slot gives the same answers but the namespace, so a guest (or a
# snapshot of one) configured once works unchanged in any slot.
#
# Options:
#   --pin-dir DIR     slotnet's pin directory (default: slotnet's own)
#   --slotnet PATH    the slotnet binary (default: this checkout's
#                     build/slotnet if built, else slotnet on PATH)
#   --mac MAC         the guest's MAC (default: the dump's guest_mac; with
#                     rules off, qemu's own default)
#   --addr A/LEN      the guest's IPv4 address (default: the dump's
#                     guest_addr; with rules off, none)
#   --gw ADDR         the guest's default route (default: none)
#   --kernel FILE     the guest kernel (default: the VM rig's 6.1 kernel,
#                     which tests/vm/kernel.sh fetches)
#   --initrd FILE     its initramfs (default: the rig's tenant initramfs,
#                     tests/vm/initramfs.sh tenant)
#   --dry-run         print the command on stdout, run nothing
#   -h, --help        this text
#
# The rig's initramfs (tests/vm/init-tenant.sh) takes its eth0 settings from
# the kernel command line (sn.mac=, sn.addr=, sn.gw=), keeps the MTU the
# device advertises, runs COMMAND (default: sh, a shell on the console) and
# powers off; the command "agent" runs one command per console line.  The
# console is this script's stdin and stdout.  Another kernel or initramfs
# gets the same command line; it configures its network its own way.
#
# Example, on a worker whose slot 7 is bound (`slotnet bind 7 --vni 4242`):
#   scripts/vm-in-slot.sh --addr 172.16.0.2/24 7 -- ping -c 3 172.16.0.1
# Exit status: the VMM's (the rig's guest powers off: 0); 2 on bad input,
# nothing started; 1 if the slot cannot be read.  Root only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
prog=${0##*/}

usage() { sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; }
usage_error() { echo "$prog: $*" >&2; echo "usage: $prog [OPTIONS] SLOT [-- COMMAND...] (-h for help)" >&2; exit 2; }
die() { echo "$prog: $*" >&2; exit 1; }

pin_dir='' slotnet='' mac='' addr='' gw='' kernel='' initrd='' dry_run=0 slot=''
if [[ -x $repo/build/slotnet ]]; then slotnet=$repo/build/slotnet; else slotnet=slotnet; fi
# shellcheck source=tests/vm/lib.sh
. "$repo/tests/vm/lib.sh"
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --dry-run) dry_run=1; shift; continue ;;
        --) shift; break ;;
        --pin-dir | --slotnet | --mac | --addr | --gw | --kernel | --initrd)
            [[ $# -ge 2 ]] || usage_error "$1: needs a value" ;;&
        --pin-dir) pin_dir=$2 ;;
        --slotnet) slotnet=$2 ;;
        --mac) vm_is_mac "$2" || usage_error "--mac: '$2' is not a MAC address"; mac=$2 ;;
        --addr) vm_is_cidr "$2" || usage_error "--addr: '$2' is not an IPv4 address with a prefix length (A.B.C.D/LEN)"
            addr=$2 ;;
        --gw) vm_is_ipv4 "$2" || usage_error "--gw: '$2' is not an IPv4 address"; gw=$2 ;;
        --kernel) [[ -r $2 ]] || usage_error "--kernel: '$2' is not a readable file"; kernel=$2 ;;
        --initrd) [[ -r $2 ]] || usage_error "--initrd: '$2' is not a readable file"; initrd=$2 ;;
        -*) usage_error "unknown option '$1'" ;;
        *) [[ -z $slot ]] || usage_error "'$1': one slot only (a command goes after --)"
            slot=$1; shift; continue ;;
    esac
    shift 2
done
[[ -n $slot ]] || usage_error "no slot given"
[[ $slot =~ ^[0-9]{1,9}$ ]] || usage_error "slot '$slot' is not a slot number"
[[ $# -gt 0 ]] || set -- sh
# The command's words travel on the kernel command line: checked before the slot is read.
vm_tenant_args "$mac" "" "$addr" "$gw" "$@"
command -v "$slotnet" >/dev/null || usage_error "--slotnet: '$slotnet' is not a program"

# The slot, as slotnet sees it (slotnet itself refuses a slot number out of
# range, exit 2).
sn=("$slotnet")
[[ -n $pin_dir ]] && sn+=(--pin-dir "$pin_dir")
rc=0
slot_json=$("${sn[@]}" -j dump "$slot" | jq -ce '.slots[0]') || rc=$?
((rc == 0)) || exit "$rc"
field() { jq -r "$1 // empty" <<<"$slot_json"; }
netns_path=$(field .netns_path)
tap=$(field .tap)
guest_mtu=$(field .guest_mtu)
[[ -n $netns_path && -n $tap && -n $guest_mtu ]] ||
    die "slot $slot: the dump gives no netns_path, tap or guest_mtu (a slotnet older than this script?): $slot_json"
[[ -e $netns_path ]] || die "slot $slot: its namespace $netns_path does not exist"
# With rules on, the slot lets only this MAC and address out of the tap.
[[ -n $mac ]] || mac=$(field .guest_mac)
[[ -n $addr ]] || addr=$(field .guest_addr)
if [[ $(field .state) != bound ]]; then
    echo "$prog: note: slot $slot is not bound: its guest reaches nothing until \`slotnet bind $slot --vni VNI\`" >&2
fi

# The machine: the VM rig's microvm (virtio-mmio, serial console on stdio),
# booting its kernel and initramfs unless told otherwise.
# The command line again, with the dump's MAC and address: before anything is fetched.
vm_tenant_args "$mac" "" "$addr" "$gw" "$@"
[[ -n $kernel ]] || { "$repo/tests/vm/kernel.sh"; kernel=$VM_KDIR/vmlinuz; }
[[ -n $initrd ]] || initrd=$("$repo/tests/vm/initramfs.sh" tenant)
VM_MEM=${VM_MEM:-256} VM_CPUS=${VM_CPUS:-1}
vm_qemu_cmd "$initrd" stdio "$VM_TENANT_ARGS"
for i in "${!VM_QEMU[@]}"; do
    [[ ${VM_QEMU[i]} == -kernel ]] && VM_QEMU[i + 1]=$kernel
done

# The slot's part, all a VMM needs: start in the slot's namespace, open its
# tap (made by prewarm, persistent: no script, no up or down by qemu), and
# give the guest a virtio-net device advertising the slot's MTU.
netdev="tap,id=net0,ifname=$tap,script=no,downscript=no"
device="virtio-net-device,netdev=net0,host_mtu=$guest_mtu"
[[ -n $mac ]] && device+=",mac=$mac"
cmd=(nsenter "--net=$netns_path" "${VM_QEMU[@]}" -netdev "$netdev" -device "$device")

# The command as one line a shell accepts: words quoted only where needed.
shell_line() {
    local w line=''
    for w in "$@"; do
        if [[ ! $w =~ ^[A-Za-z0-9_./=:,@%+-]+$ ]]; then
            w="'${w//\'/\'\\\'\'}'"
        fi
        line+="${line:+ }$w"
    done
    printf '%s\n' "$line"
}
if ((dry_run)); then
    shell_line "${cmd[@]}"
    exit 0
fi
echo "$prog: slot $slot: $(shell_line "${cmd[@]}")" >&2
exec "${cmd[@]}"
