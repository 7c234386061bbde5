#!/bin/bash
# /run/vm/stage2 of the 6.1 worker guest: pid 1, run by init-worker.sh with
# the host's bash once the guest's / is the host's / under a tmpfs overlay
# and everything is mounted.  Runs the job: /run/vm/job/argv (NUL-separated
# words) in directory /run/vm/job/cwd, with the variables of
# /run/vm/job/env (NUL-separated NAME=VALUE) added to a plain environment.
# The command's stdout and stderr go to the serial ports named "out" and
# "err", its exit status to the port "status"; then the guest powers off.
# Its own messages go to the console.  Only bash builtins here: under TCG
# every program started from the virtiofs root costs tens of milliseconds.
set -u
job=/run/vm/job
bb=/run/vm/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
fail() {
    echo "slotnet-vm: stage2: $*" >/dev/console
    "$bb" poweroff -f
}

declare -A port
for p in /sys/class/virtio-ports/*; do
    port[$(<"$p/name")]=/dev/${p##*/}
done
[[ -n ${port[out]:-} && -n ${port[err]:-} && -n ${port[status]:-} ]] ||
    fail "missing serial ports (have: ${!port[*]})"

mapfile -d '' -t argv <"$job/argv"
mapfile -d '' -t vars <"$job/env"
for v in ${vars[@]+"${vars[@]}"}; do export "${v?}"; done
cwd=$(<"$job/cwd")
cd "$cwd" || fail "no directory $cwd in the guest"
read -r uptime _ </proc/uptime
echo "slotnet-vm: stage2: running at ${uptime}s of uptime: ${argv[*]}" >/dev/console
"${argv[@]}" >"${port[out]}" 2>"${port[err]}" </dev/null
echo $? >"${port[status]}"
"$bb" sync
"$bb" poweroff -f
