#!/usr/bin/env bash
# tests/vm/kernel.sh [--refresh]: makes sure build/vm/kernel holds Debian's
# cloud kernel (linux-image-cloud-amd64, 6.1 on bookworm): vmlinuz, its
# whole module tree with a modules.dep, modules.alias and modules.devname
# (which the Debian package makes in its postinst; busybox's depmod and an
# awk script make them here, so that the worker guest's modprobe and the
# kernel's own module autoloading work)
# and `release`, the kernel release, written last.
#
# With a complete cache it does nothing, without asking the registry, so a
# second run is instant.  --refresh fetches the current version again.  It
# fetches by package name (apt-get download; no install) into a temporary
# directory beside the cache and swaps the result in with one rename, so an
# interrupted run leaves the old cache or none, never half of one.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

refresh=0
case ${1:-} in
    "") ;;
    --refresh) refresh=1 ;;
    *) vm_usage_error "unknown argument '$1' (usage: kernel.sh [--refresh])" ;;
esac

# The meta package; it depends on exactly one versioned image package.
META=linux-image-cloud-amd64

fetch() {
    local deb dep pkg ver release
    [[ $refresh == 0 && -s $VM_KDIR/release ]] && return 0
    # Left by a run that was killed outright (the trap below covers the rest).
    rm -rf "$VM_DIR"/kernel.tmp.*
    # Global: the EXIT trap removes it.
    tmp=$(mktemp -d "$VM_DIR/kernel.tmp.XXXXXX")
    # apt-get download writes to the current directory; as root it would
    # first try (and warn about) dropping to the _apt user, which cannot
    # write there.
    (cd "$tmp" && apt-get -q=2 -o APT::Sandbox::User=root download "$META") ||
        vm_die "apt-get download $META failed"
    deb=$(echo "$tmp/${META}"_*.deb)
    # "linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)"
    dep=$(dpkg-deb -f "$deb" Depends)
    [[ $dep =~ ^([a-z0-9.+-]+)\ \(=\ ([^\)]+)\)$ ]] ||
        vm_die "$META depends on '$dep', not on one versioned image package"
    pkg=${BASH_REMATCH[1]} ver=${BASH_REMATCH[2]}
    (cd "$tmp" && apt-get -q=2 -o APT::Sandbox::User=root download "$pkg=$ver") ||
        vm_die "apt-get download $pkg=$ver failed"
    dpkg-deb -x "$tmp/${pkg}_${ver//:/%3a}_amd64.deb" "$tmp/x"
    release=${pkg#linux-image-}
    [[ -d $tmp/x/lib/modules/$release ]] || vm_die "$pkg has no lib/modules/$release"
    mkdir -p "$tmp/kernel"
    mv "$tmp/x/boot/vmlinuz-$release" "$tmp/kernel/vmlinuz"
    mv "$tmp/x/boot/config-$release" "$tmp/kernel/config"
    mv "$tmp/x/lib" "$tmp/kernel/lib"
    busybox depmod -b "$tmp/kernel" "$release"
    # kmod's modules.devname, which busybox's depmod does not make: the
    # device nodes whose first open loads their module ("tun net/tun
    # c10:200"), made at boot before any module is loaded (systemd does it
    # with `kmod static-nodes`; init-worker.sh here).
    awk '$1 == "alias" && $2 ~ /^devname:/ { name[$3] = substr($2, 9) }
        $1 == "alias" && $2 ~ /^(char|block)-major-[0-9]+-[0-9]+$/ {
            split($2, a, "-"); num[$3] = substr(a[1], 1, 1) a[3] ":" a[4]
        }
        END { for (m in name) if (m in num) print m, name[m], num[m] }' \
        "$tmp/kernel/lib/modules/$release/modules.alias" | sort >"$tmp/kernel/lib/modules/$release/modules.devname"
    echo "$pkg $ver" >"$tmp/kernel/package"
    echo "$release" >"$tmp/kernel/release"
    if [[ -e $VM_KDIR ]]; then
        mv "$VM_KDIR" "$tmp/old"
    fi
    mv "$tmp/kernel" "$VM_KDIR"
    echo "kernel.sh: cached $pkg $ver in $VM_KDIR" >&2
}

tmp=
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
vm_locked fetch
