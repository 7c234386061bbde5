# shellcheck shell=bash
# Shared by the scripts in tests/vm/: where the rig keeps what it builds,
# the module load order, the accelerator probe and the qemu command line
# both guest kinds start from.
#
# Everything lives under $BUILD/vm (build/vm unless BUILD says otherwise),
# which is git-ignored with the rest of build/:
#   kernel/            Debian's cloud kernel, extracted (tests/vm/kernel.sh)
#   initramfs-KIND     the guest's initramfs, uncompressed (tests/vm/initramfs.sh)
#   accel              this boot's probe answer (vm_accel)
#   lock               serialises the builds of two rigs started at once

VM_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_BUILD=${BUILD:-build}
[[ $VM_BUILD == /* ]] || VM_BUILD=$VM_REPO/$VM_BUILD
VM_DIR=$VM_BUILD/vm
VM_KDIR=$VM_DIR/kernel
VM_PROG=${0##*/}

vm_die() { echo "$VM_PROG: $*" >&2; exit 1; }
vm_usage_error() { echo "$VM_PROG: $*" >&2; exit 2; }

# The checks of a tenant VM's settings (tenant.sh, scripts/vm-in-slot.sh).
vm_is_mac() { [[ $1 =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]]; }
vm_is_ipv4() {
    local IFS=. o
    # shellcheck disable=SC2206 # splitting at the dots is the point
    local -a octets=($1)
    [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    for o in "${octets[@]}"; do ((10#$o <= 255)) || return 1; done
}
vm_is_cidr() { [[ $1 == */* ]] && vm_is_ipv4 "${1%/*}" && [[ ${1#*/} =~ ^([0-9]|[12][0-9]|3[0-2])$ ]]; }

# The kernel command line of a tenant VM, in VM_TENANT_ARGS: the settings
# init-tenant.sh reads (sn.mac=, sn.mtu=, sn.addr=, sn.gw=; empty ones left
# out) and the command it runs, the words after "--", which the kernel hands
# to init, splitting at spaces except inside double quotes.  Exits 2 on a
# word the command line cannot carry, or a line too long.
vm_tenant_args() { # MAC MTU ADDR GW WORD...
    local w args=quiet
    [[ -n $1 ]] && args+=" sn.mac=$1"
    [[ -n $2 ]] && args+=" sn.mtu=$2"
    [[ -n $3 ]] && args+=" sn.addr=$3"
    [[ -n $4 ]] && args+=" sn.gw=$4"
    shift 4
    args+=" --"
    for w in "$@"; do
        [[ -n $w && $w != *[\"$'\n']* ]] ||
            vm_usage_error "command word '$w': empty, or has a double quote or line break (it travels on the kernel command line)"
        [[ $w == *" "* ]] && w="\"$w\""
        args+=" $w"
    done
    ((${#args} <= 1500)) || vm_usage_error "the command is too long for the kernel command line (${#args} bytes)"
    # shellcheck disable=SC2034 # the caller passes it to vm_qemu_cmd
    VM_TENANT_ARGS=$args
}

# Runs COMMAND holding the rig's build lock, so that two rigs started at
# once do not fetch or build the same files together.  In this shell, not a
# subshell, so that the caller's traps cover COMMAND.
vm_locked() { # COMMAND...
    mkdir -p "$VM_DIR"
    exec 9>"$VM_DIR/lock"
    flock 9
    "$@"
    flock -u 9
    exec 9>&-
}

# The kernel release the cache holds (its modules' directory name); empty
# while there is no complete cache.
vm_kernel_release() { cat "$VM_KDIR/release" 2>/dev/null || true; }
vm_moddir() { echo "$VM_KDIR/lib/modules/$(vm_kernel_release)"; }

# The modules NAME... need, with everything they depend on, one path
# (relative to the module directory) per line in an order insmod accepts:
# every module after all of its dependencies.  Reads the modules.dep that
# kernel.sh made, where each module's line lists its dependencies' closure.
vm_modules_closure() { # NAME...
    awk -v want="$*" '
        {
            path = $1
            sub(/:$/, "", path)
            name = path
            sub(/^.*\//, "", name)
            sub(/\.ko$/, "", name)
            gsub(/-/, "_", name)
            file[name] = path
            deps[path] = ""
            for (i = 2; i <= NF; i++) deps[path] = deps[path] " " $i
        }
        function visit(p,    n, d, i) {
            if (p in done) return
            done[p] = 1
            n = split(deps[p], d, " ")
            for (i = 1; i <= n; i++) visit(d[i])
            print p
        }
        END {
            n = split(want, w, " ")
            for (i = 1; i <= n; i++) {
                m = w[i]
                gsub(/-/, "_", m)
                if (!(m in file)) {
                    print "no module " w[i] " in modules.dep" > "/dev/stderr"
                    exit 1
                }
                visit(file[m])
            }
        }' "$(vm_moddir)/modules.dep"
}

# The accelerator to run guests with: kvm when a KVM guest boots, else tcg.
# VM_ACCEL (kvm or tcg) skips the probe.  The probe boots the tenant guest,
# which must print a marker within VM_KVM_PROBE_S seconds (KVM boots it in
# well under one; on machines where KVM guests hang it is killed then), and
# its answer is kept for the rest of this boot of the host.
vm_accel() {
    local boot cached
    case ${VM_ACCEL:-} in
        kvm | tcg) echo "$VM_ACCEL"; return ;;
        "") ;;
        *) vm_usage_error "VM_ACCEL: '$VM_ACCEL' is neither kvm nor tcg" ;;
    esac
    boot=$(cat /proc/sys/kernel/random/boot_id)
    cached=$(cat "$VM_DIR/accel" 2>/dev/null || true)
    if [[ ${cached% *} == "$boot" ]]; then
        echo "${cached#* }"
        return
    fi
    vm_probe_accel "$boot"
}

# Not under vm_locked: tenant.sh takes the lock to build its initramfs.  Two
# probes at once each write the same answer.
vm_probe_accel() { # BOOT-ID
    local accel=tcg out marker=slotnet-vm-kvm-probe
    if [[ -r /dev/kvm && -w /dev/kvm ]]; then
        # A tenant guest without a network runs its command (an echo) and
        # powers off; tenant.sh's own timeout kills its qemu.
        out=$(VM_ACCEL=kvm "$VM_REPO/tests/vm/tenant.sh" --timeout "${VM_KVM_PROBE_S:-3}" \
            --no-net -- echo "$marker" 2>/dev/null || true)
        [[ $out == *"$marker"* ]] && accel=kvm
    fi
    mkdir -p "$VM_DIR"
    echo "$1 $accel" >"$VM_DIR/accel.$$"
    mv "$VM_DIR/accel.$$" "$VM_DIR/accel"
    echo "$accel"
}

# The start of every guest's qemu command line, in the array VM_QEMU: a
# microvm (virtio-mmio devices, no PCI, no firmware to speak of) booting the
# cached kernel with INITRD, its memory a shareable memfd (virtiofsd maps
# it), the serial console on CONSOLE (a qemu -serial spec: stdio,
# file:PATH), and no default devices.  Its power-off, or a panic, ends qemu.
# VM_MEM (MiB, default 1024) and VM_CPUS (default 2) size it.
vm_qemu_cmd() { # INITRD CONSOLE KERNEL-ARGS
    local accel args="console=ttyS0 panic=-1"
    [[ ${VM_MEM:-1024} =~ ^[1-9][0-9]{1,5}$ ]] || vm_usage_error "VM_MEM: '$VM_MEM' is not a size in MiB"
    [[ ${VM_CPUS:-2} =~ ^[1-9][0-9]?$ ]] || vm_usage_error "VM_CPUS: '$VM_CPUS' is not a number of CPUs"
    accel=$(vm_accel) || exit
    if [[ $accel == tcg ]]; then
        # A microvm has no HPET or ACPI PM timer, only the PIT to calibrate
        # the TSC against; under TCG on a busy host that calibration fails,
        # the TSC is declared unstable and the guest hangs before /init.
        # TCG's guest TSC is the host's, so give the kernel its frequency.
        args+=" tsc_early_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)"
        args+=" tsc=reliable"
    fi
    # shellcheck disable=SC2034 # the caller adds its devices and runs it
    VM_QEMU=(qemu-system-x86_64
        -M "microvm,memory-backend=mem" -accel "$accel" -cpu max
        -object "memory-backend-memfd,id=mem,size=${VM_MEM:-1024}M,share=on"
        -m "${VM_MEM:-1024}M" -smp "${VM_CPUS:-2}"
        # virtiofsd accepts only modern (virtio 1.0) devices.
        -global virtio-mmio.force-legacy=false
        -nodefaults -no-user-config -display none -no-reboot
        -serial "$2"
        -kernel "$VM_KDIR/vmlinuz" -initrd "$1"
        -append "$args $3")
}
