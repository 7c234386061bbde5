#!/usr/bin/env bash
# scripts/deps.sh: install the Debian packages needed to build and test
# slotnet. Does nothing (not even `apt-get update`) when all are installed.
set -euo pipefail

pkgs=(
    # toolchain: static musl userspace, BPF objects and skeletons
    make gcc musl-tools clang llvm bpftool linux-libc-dev
    # vendor/build.sh: apt-get source, the keyring that verifies it, the orig
    # tarballs' compressions (gz is essential), multiarch lookup, flock
    apt debian-archive-keyring bzip2 xz-utils dpkg-dev util-linux
    # tests and scripts
    gawk file bats jq iproute2 procps time iputils-ping python3 iptables strace
    # the metrics tests parse dump --prometheus with the client library's parser
    python3-prometheus-client
    # make lint (scripts/lint.sh)
    shellcheck cppcheck mandoc systemd
    # the VM rig (tests/vm/): qemu's microvm and virtiofsd (its dependency
    # qemu-system-common ships /usr/lib/qemu/virtiofsd); the guests' static
    # busybox, which also makes their initramfs and modules.dep
    qemu-system-x86 busybox-static
)

# db:Status-Abbrev is "ii " for installed packages; unknown names print
# nothing (and an error we do not need), so count what is there.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${pkgs[@]}" 2>/dev/null \
    | awk '$1 == "ii" { print $2 }' || true)
missing=()
for p in "${pkgs[@]}"; do
    grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo DEBIAN_FRONTEND=noninteractive)
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# apt/dpkg progress goes to a log that is shown only on failure; errors on
# stderr pass through as they happen.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${sudo[@]}" apt-get -q update &&
       "${sudo[@]}" apt-get -q install -y --no-install-recommends "${missing[@]}"; } >"$log"; then
    tail -n 30 "$log" >&2
    echo "deps.sh: failed to install: ${missing[*]}" >&2
    exit 1
fi
