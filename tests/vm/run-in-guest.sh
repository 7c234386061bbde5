#!/usr/bin/env bash
# tests/vm/run-in-guest.sh [OPTIONS] [--] COMMAND...: runs COMMAND as root
# in a 6.1 worker guest (Debian's cloud kernel under qemu, TCG where KVM
# does not work) whose / is this host's / (virtiofs, read-only, under a
# tmpfs overlay: the guest may write anywhere and the host sees none of it),
# in the directory this was started in.  COMMAND's stdout and stderr come
# back on this script's stdout and stderr, each through a serial port of
# its own, so a TAP stream stays clean of the guest's console; the exit
# status is COMMAND's, 124 if the guest did not finish in time, 1 if it
# ended without reporting one (its console's last lines then go to stderr).
# Example, as tests/run.sh would count it:
#   tests/vm/run-in-guest.sh bats --tap tests/bats/prewarm.bats
#
#   --env NAME=VALUE  set NAME in COMMAND's environment (repeatable; the
#                     guest starts from a plain one: PATH, HOME, LANG)
#   --console FILE    keep the guest's console (kernel, init) in FILE
#   --timeout S       kill the guest after S seconds (default 3600)
#
# The directory must be one the guest shares with the host: not under /tmp,
# /run, /dev, /proc or /sys, which the guest has of its own.  VM_MEM (MiB,
# default 1024) and VM_CPUS (default 2) size the guest; VM_ACCEL forces kvm
# or tcg; VM_KERNEL_ARGS replaces the kernel argument "quiet" (an empty one
# with --console keeps the whole boot log).  Root only (virtiofsd shares /
# as root).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

VIRTIOFSD=/usr/lib/qemu/virtiofsd
env_vars=() console='' limit=3600
while [[ $# -gt 0 ]]; do
    case $1 in
        --) shift; break ;;
        --env | --console | --timeout) [[ $# -ge 2 ]] || vm_usage_error "$1: needs a value" ;;&
        --env) [[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || vm_usage_error "--env: '$2' is not NAME=VALUE"
            env_vars+=("$2"); shift 2 ;;
        --console) console=$2; shift 2 ;;
        --timeout) [[ $2 =~ ^[0-9]{1,6}$ ]] || vm_usage_error "--timeout: '$2' is not a number of seconds"
            limit=$2; shift 2 ;;
        -*) vm_usage_error "unknown option '$1'" ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || vm_usage_error "no command (run-in-guest.sh [OPTIONS] [--] COMMAND...)"
[[ $EUID -eq 0 ]] || vm_die "needs root (virtiofsd shares the host's / as root)"
[[ -x $VIRTIOFSD ]] || vm_die "$VIRTIOFSD not found (scripts/deps.sh installs qemu-system-x86)"

cwd=$(pwd -P)
case $cwd/ in
    /dev/* | /proc/* | /sys/*)
        vm_usage_error "$cwd: the guest has its own (not the host's); start this from a directory outside /dev, /proc and /sys" ;;
esac

base=$("$(dirname "$0")/initramfs.sh" worker)
tmp=$(mktemp -d /tmp/slotnet-vm.XXXXXX)
# qemu (its timeout), virtiofsd and the readers of the output ports.
qemu_pid='' vfsd_pid='' out_pid='' err_pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local p
    for p in $qemu_pid $vfsd_pid $out_pid $err_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
vm_qemu_cmd "$tmp/initrd" "file:$tmp/console" "${VM_KERNEL_ARGS-quiet}"

# The job, appended to the initramfs as a second archive: init-worker.sh
# finds it in /job.
mkdir "$tmp/job" "$tmp/job/job"
printf '%s\0' "$@" >"$tmp/job/job/argv"
: >"$tmp/job/job/env"
for v in ${env_vars[@]+"${env_vars[@]}"}; do printf '%s\0' "$v" >>"$tmp/job/job/env"; done
echo "$cwd" >"$tmp/job/job/cwd"
vm_moddir >"$tmp/job/job/moddir"
(cd "$tmp/job" && find job | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$tmp/job.cpio"
cat "$base" "$tmp/job.cpio" >"$tmp/initrd"

# The host's / for the guest.  sandbox=chroot: the namespace sandbox
# would hide the host's other mounts (/work among them).
"$VIRTIOFSD" --socket-path="$tmp/vfs.sock" -o source=/ -o cache=always -o sandbox=chroot \
    -o log_level=warn 2>"$tmp/virtiofsd.log" &
vfsd_pid=$!
for ((i = 0; i < 500; i++)); do
    [[ -S $tmp/vfs.sock ]] && break
    kill -0 "$vfsd_pid" 2>/dev/null || break
    sleep 0.01
done
[[ -S $tmp/vfs.sock ]] || { cat "$tmp/virtiofsd.log" >&2; vm_die "virtiofsd did not start"; }

# COMMAND's output ports: fifos read as the guest writes (qemu opens them
# for writing when it starts).  Its status: a plain file.
mkfifo "$tmp/out" "$tmp/err"
cat "$tmp/out" &
out_pid=$!
cat "$tmp/err" >&2 &
err_pid=$!

VM_QEMU+=(-chardev "socket,id=vfs,path=$tmp/vfs.sock"
    -device "vhost-user-fs-device,chardev=vfs,tag=host"
    -device virtio-serial-device)
for p in out err status; do
    VM_QEMU+=(-chardev "file,id=$p,path=$tmp/$p" -device "virtserialport,chardev=$p,name=$p")
done
# In the background, so that a signal to this script ends the guest (bash
# runs traps only between foreground commands).
timeout -k 5 "$limit" "${VM_QEMU[@]}" </dev/null 2>"$tmp/qemu.log" &
qemu_pid=$!
qemu=0
wait "$qemu_pid" || qemu=$?
qemu_pid=''
# The readers end when the last writer closes a fifo; a qemu that failed to
# start never opened them, so open (read-write: it never blocks) and close
# each once more.
: 3<>"$tmp/out" 4<>"$tmp/err"
wait "$out_pid" "$err_pid" 2>/dev/null || true
[[ -z $console ]] || cp "$tmp/console" "$console"
status=$(cat "$tmp/status" 2>/dev/null || true)
if [[ $status =~ ^[0-9]+$ ]]; then
    exit "$status"
fi
{
    [[ $qemu == 124 ]] && echo "run-in-guest.sh: the guest did not finish within ${limit}s"
    echo "run-in-guest.sh: the guest ended without an exit status (qemu: $qemu); its console ends:"
    tail -n 30 "$tmp/console" 2>/dev/null
    cat "$tmp/qemu.log" "$tmp/virtiofsd.log"
} >&2
[[ $qemu == 124 ]] && exit 124
exit 1
