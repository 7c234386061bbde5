#!/bin/sh
# shellcheck shell=sh
# /init of the tenant VM (busybox sh, pid 1; tests/vm/initramfs.sh puts it
# there, tests/vm/tenant.sh boots it).  The cloud kernel has no ip= boot
# argument, so this configures eth0 itself from the kernel command line:
#   sn.mac=MAC        eth0's address (otherwise the one the VMM gave it)
#   sn.mtu=N          eth0's MTU (otherwise the device's: qemu's host_mtu)
#   sn.addr=A/LEN     eth0's IPv4 address
#   sn.gw=G           default route via G
# waits for its carrier, then runs the command after "--" on the command
# line (the kernel passes those words to init as arguments), its output on
# the console, prints "slotnet-vm: exit STATUS" and powers off.  Without eth0 (no network
# device) it only runs the command.  The command "agent" runs commands read
# from the console instead (see agent below).

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r m; do
    insmod "/lib/modules/$m" || echo "slotnet-vm: insmod $m failed"
done </lib/modules/load

mac='' mtu='' addr='' gw=''
read -r cmdline </proc/cmdline
for arg in $cmdline; do
    case $arg in
        sn.mac=*) mac=${arg#*=} ;;
        sn.mtu=*) mtu=${arg#*=} ;;
        sn.addr=*) addr=${arg#*=} ;;
        sn.gw=*) gw=${arg#*=} ;;
        --) break ;;
    esac
done

ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
    [ -n "$mac" ] && ip link set eth0 address "$mac"
    [ -n "$mtu" ] && ip link set eth0 mtu "$mtu"
    ip link set eth0 up
    [ -n "$addr" ] && ip addr add "$addr" dev eth0
    # On link: with a /32 address (the one a slot's rules allow) the gateway
    # is in no connected prefix, and the default route needs a route to it.
    [ -n "$gw" ] && ip route add "$gw" dev eth0 scope link 2>/dev/null
    [ -n "$gw" ] && ip route add default via "$gw" dev eth0
    # The link comes up a moment after `ip link set up` (the kernel's link
    # watch); COMMAND starts once it has, or after 2 s without carrier.
    i=0
    while [ "$(cat /sys/class/net/eth0/operstate)" != up ] && [ $i -lt 200 ]; do
        usleep 10000
        i=$((i + 1))
    done
fi

# agent: one command per line read from the console, "N COMMAND" (N a
# number the sender chose), each run as `sh -c COMMAND` with no input (so
# that nothing it starts eats the next line); before it "slotnet-vm: run N",
# after it "slotnet-vm: done N STATUS".  It ends at the end of the input:
# a ^D at the start of a line (the console's end of file; a writer closing
# qemu's input is not seen by the guest).  The console does not echo: a
# sender reading the console sees only what the commands print.
# tenant.sh --input feeds the console.
agent() {
    stty -echo
    echo "slotnet-vm: agent ready"
    while read -r n cmd; do
        echo "slotnet-vm: run $n"
        sh -c "$cmd" </dev/null
        echo "slotnet-vm: done $n $?"
    done
}

if [ $# -gt 0 ]; then
    "$@"
    status=$?
else
    status=0
fi
echo "slotnet-vm: exit $status"
poweroff -f
