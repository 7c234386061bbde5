#!/bin/sh
# shellcheck shell=sh
# /init of the 6.1 worker guest (busybox sh, pid 1; tests/vm/initramfs.sh
# puts it there, tests/vm/run-in-guest.sh boots it).  It loads the modules
# the root needs, mounts the host's / (virtiofs tag "host") read-only as the
# lower layer of an overlay whose upper layer is a tmpfs, so that the guest
# can write anywhere and the host sees none of it, moves /proc, /sys and
# /dev there, mounts the rest of what a worker has, gives it a fresh /run
# holding the job run-in-guest.sh appended to this initramfs (/job), this
# busybox and /stage2, and switches to it: /stage2 (worker-stage2.sh) runs
# the job in the host's userland.  Any failure
# powers the guest off at once, with the reason on the console.

/bin/busybox --install -s /bin
export PATH=/bin
fail() {
    echo "slotnet-vm: init: $*"
    poweroff -f
}
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r m; do
    insmod "/lib/modules/$m" || fail "insmod $m failed"
done </lib/modules/load

mkdir -p /lower /rw /newroot
mount -t virtiofs -o ro host /lower || fail "cannot mount the host's / (virtiofs tag host)"
{ mount -t tmpfs -o mode=755 rw /rw && mkdir /rw/upper /rw/work; } || fail "cannot make the overlay's tmpfs"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work root /newroot ||
    fail "cannot mount the overlay"
for d in proc sys dev; do
    mount --move "/$d" "/newroot/$d" || fail "cannot move /$d"
done
# What slotnet and its bats suites use: bpffs, cgroup2, /run (ip netns),
# /tmp, /dev/pts, /dev/shm.  Done here, by the busybox in this initramfs:
# every program started from the virtiofs root costs tens of milliseconds
# under TCG.
cd /newroot || fail "no /newroot"
# A checkout under /tmp or /run (a CI clone) stays visible, and writable
# through the overlay, over the guest's own fresh /tmp and /run.
repo=$(cat /job/cwd)
case $repo/ in
    /tmp/* | /run/*)
        { mkdir /keep && mount --bind ".$repo" /keep; } || fail "cannot keep $repo" ;;
    *) repo= ;;
esac
{
    mount -t bpf -o mode=700 bpf sys/fs/bpf &&
        mount -t cgroup2 cgroup2 sys/fs/cgroup &&
        mount -t tmpfs -o mode=755,nosuid,nodev run run &&
        mount -t tmpfs -o mode=1777,nosuid,nodev tmp tmp &&
        mkdir -p dev/pts dev/shm &&
        mount -t devpts -o newinstance,ptmxmode=666 devpts dev/pts &&
        mount -t tmpfs -o mode=1777,nosuid,nodev shm dev/shm
} || fail "cannot mount the guest's file systems"
if [ -n "$repo" ]; then
    { mkdir -p ".$repo" && mount --move /keep ".$repo"; } || fail "cannot put $repo back"
fi
mkdir run/vm
{ cp -a /job run/vm/job && cp /stage2 /bin/busybox run/vm/; } || fail "cannot copy the job"
# The cached 6.1 modules where modprobe looks, and busybox's modprobe as
# the kernel's (the host may have no kmod; the modules.dep is busybox's).
release=$(uname -r)
{
    mkdir -p "lib/modules/$release" &&
        mount --bind ".$(cat /job/moddir)" "lib/modules/$release" &&
        ln -s busybox run/vm/modprobe &&
        echo /run/vm/modprobe >proc/sys/kernel/modprobe
} || fail "cannot set up the kernel's modules"
# The nodes whose first open loads their module (/dev/net/tun for slotnet's
# taps, /dev/fuse ...), as systemd makes them from modules.devname.
while read -r _ name num; do
    type=${num%%[0-9]*} num=${num#?}
    case $name in */*) mkdir -p "dev/${name%/*}" ;; esac
    [ -e "dev/$name" ] || mknod "dev/$name" "$type" "${num%:*}" "${num#*:}" ||
        fail "cannot make /dev/$name"
done <"lib/modules/$release/modules.devname"
# What udev would add to devtmpfs (bash's process substitution uses /dev/fd).
{
    ln -s /proc/self/fd dev/fd && ln -s fd/0 dev/stdin && ln -s fd/1 dev/stdout &&
        ln -s fd/2 dev/stderr
} || fail "cannot link /dev/fd"
hostname slotnet-vm
ip link set lo up
exec switch_root /newroot /bin/bash /run/vm/stage2
