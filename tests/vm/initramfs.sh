#!/usr/bin/env bash
# tests/vm/initramfs.sh KIND: makes sure build/vm/initramfs-KIND is the
# current initramfs of guest KIND and prints its path.  KIND is
#   worker  the 6.1 worker guest: mounts the host's / read-only over virtiofs
#           under a tmpfs overlay and runs a command there (init-worker.sh,
#           then worker-stage2.sh in the host's userland; run-in-guest.sh);
#   tenant  a tenant VM: virtio-net only, sets its own address and runs a
#           command from the kernel command line (init-tenant.sh; tenant.sh).
# Each holds the host's static busybox (busybox-static), its /init and the
# kernel modules it needs before anything else, with their dependencies, in
# /lib/modules, listed in load order in /lib/modules/load.  It is an
# uncompressed newc cpio: the kernel unpacks that fastest, and the guests
# append their job to it as a second archive.  Rebuilt only when one of its
# inputs (scripts, busybox, kernel) changed; fetches the kernel first.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || vm_usage_error "usage: initramfs.sh worker|tenant"
kind=$1
case $kind in
    # virtio_console: the worker's command talks to the host over serial
    # ports; fuse, virtiofs, overlay: its root.  The rest it loads later from
    # the cached tree, through modprobe.
    worker) modules=(virtio_mmio virtio_console fuse virtiofs overlay) ;;
    tenant) modules=(virtio_mmio virtio_net) ;;
    *) vm_usage_error "initramfs.sh: unknown guest kind '$kind' (worker or tenant)" ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
files=("$here/init-$kind.sh")
[[ $kind == worker ]] && files+=("$here/worker-stage2.sh")
busybox=$(command -v busybox) || vm_die "busybox not found (scripts/deps.sh installs busybox-static)"
out=$VM_DIR/initramfs-$kind

"$here/kernel.sh"

build() {
    local key m
    key=$({ cat "${files[@]}" "$busybox" "$VM_KDIR/package"; echo "${modules[*]}"; } | sha256sum)
    if [[ -s $out && $(cat "$out.key" 2>/dev/null) == "$key" ]]; then
        return 0
    fi
    # Global: the EXIT trap removes it.
    stage=$(mktemp -d "$VM_DIR/initramfs.tmp.XXXXXX")
    mkdir -p "$stage/root/bin" "$stage/root/lib/modules" "$stage/root/dev" "$stage/root/proc" "$stage/root/sys" \
        "$stage/root/tmp"
    cp "$busybox" "$stage/root/bin/busybox"
    ln -s busybox "$stage/root/bin/sh"
    cp "$here/init-$kind.sh" "$stage/root/init"
    [[ $kind == worker ]] && cp "$here/worker-stage2.sh" "$stage/root/stage2"
    chmod 755 "$stage/root/init"
    vm_modules_closure "${modules[@]}" >"$stage/order"
    while read -r m; do
        cp "$(vm_moddir)/$m" "$stage/root/lib/modules/"
        echo "${m##*/}" >>"$stage/root/lib/modules/load"
    done <"$stage/order"
    (cd "$stage/root" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$stage/cpio"
    mv "$stage/cpio" "$out"
    echo "$key" >"$out.key"
}

stage=
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM
vm_locked build
echo "$out"
