# Real guests in slots, for guest.bats (load helpers first; its setup_file
# makes the kernel and initramfs, GUEST_KERNEL and GUEST_INITRD): the VM rig's
# tenant VM (Debian's 6.1 kernel, busybox, virtio-net on the slot's tap)
# started as a VMM would start it, from `dump -j SLOT`, by
# scripts/vm-in-slot.sh, running the rig's agent (tests/vm/init-tenant.sh),
# which runs one command per line of its console.
#
# Guest NAME's files are in $BATS_TEST_TMPDIR: NAME.in (the fifo its console
# reads), NAME.out (its console: the agent's lines and the commands' output),
# NAME.err (vm-in-slot.sh's own lines and qemu's).  Every wait is bounded;
# stop_guests (called by teardown, pass or fail) ends every guest the test
# started, and waits until its qemu is gone.

# Seconds a guest lives at most (its timeout kills qemu then), should
# a test's teardown never run; no test here takes nearly that long.
GUEST_LIFE=240
# Seconds to boot a guest as far as its agent (a few under TCG on an idle host).
GUEST_BOOT_S=90

declare -gA GUEST_PID=() GUEST_FD=() GUEST_CMD=() GUEST_CONF=() GUEST_MAC=()

# Every guest of this test has a MAC starting with this: 02:5e and the test
# process's pid in three bytes (pid_max is 2^22), unique among the tests alive
# on this machine.  It is in the command lines of timeout, vm-in-slot.sh and qemu,
# so that `pgrep -f "$(guest_tag)"` finds whatever of this test's guests runs.
guest_tag() {
    printf '02:5e:%02x:%02x:%02x' $(($$ >> 16 & 255)) $(($$ >> 8 & 255)) $(($$ & 255))
}
guest_mac() { printf '%s:%02x\n' "$(guest_tag)" "$1"; } # N

# Boots guest NAME in slot SLOT as a VMM does, with scripts/vm-in-slot.sh
# (the worked example of the man pages): in the namespace, on the tap and
# with the MTU (virtio-net host_mtu) that `dump -j SLOT` gives, with MAC
# and address ADDR/LEN, running the agent; returns once it is started (see
# guest_ready).  The command line goes to GUEST_CMD[NAME]; the qemu command
# vm-in-slot.sh runs, but for the namespace, to GUEST_CONF[NAME]: all the
# guest's own settings.
start_guest() { # NAME SLOT MAC ADDR/LEN
    local name=$1 slot=$2 mac=$3 addr=$4 fd fifo=$BATS_TEST_TMPDIR/$1.in qemu
    local -a cmd=(nsenter "--net=/run/netns/$W" "$REPO/scripts/vm-in-slot.sh" --slotnet "$SLOTNET"
        --pin-dir "$PIN" --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD"
        --mac "$mac" --addr "$addr" "$slot" -- agent)
    qemu=$(timeout 60 "${cmd[@]:0:${#cmd[@]}-3}" --dry-run "$slot" -- agent) ||
        fail "vm-in-slot.sh --dry-run $slot failed: $qemu" || return
    [[ $qemu == "nsenter --net=/run/netns/$P$slot qemu-system-x86_64 "* ]] ||
        fail "vm-in-slot.sh $slot: not qemu in the slot's namespace: $qemu" || return
    # (tsc_early_khz is this host's CPU clock, read at each boot: not a setting.)
    qemu=${qemu#"nsenter --net=/run/netns/$P$slot "}
    [[ $qemu =~ tsc_early_khz=[0-9]+\  ]] && qemu=${qemu/"${BASH_REMATCH[0]}"/}
    # shellcheck disable=SC2034 # read by guest.bats
    GUEST_CONF[$name]=$qemu
    # For the last test of guest.bats, which checks after the others.
    printf '%s\n' "$(guest_tag)" >>"$BATS_RUN_TMPDIR/slotnet-guest-tags"
    mkfifo "$fifo"
    # Read-write, so that neither this open nor qemu's blocks; held for the
    # guest's life (the console ends at a ^D, not when a writer closes).
    exec {fd}<>"$fifo"
    GUEST_FD[$name]=$fd
    GUEST_MAC[$name]=$mac
    GUEST_CMD[$name]="${cmd[*]}"
    # Not holding bats' fd 3, so that bats never waits for a guest.
    timeout -k 2 "$GUEST_LIFE" "${cmd[@]}" <"$fifo" >"$BATS_TEST_TMPDIR/$name.out" \
        2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
    GUEST_PID[$name]=$!
}

# Waits (at most GUEST_BOOT_S) for guest NAME's agent, then turns the
# guest's IPv6 off, so that it sends nothing but what a test tells it to
# (the slot and the endpoints have none either).
guest_ready() { # NAME
    wait_console "$1" "slotnet-vm: agent ready" "$GUEST_BOOT_S"
    in_guest "$1" "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
}

# start_guest and guest_ready.
boot_guest() { # NAME SLOT MAC ADDR/LEN
    start_guest "$@"
    guest_ready "$1"
}

# Waits (at most SECONDS) for a line starting with LINE on guest NAME's
# console; fails, showing the console's end, if none comes or the guest ends.
wait_console() { # NAME LINE SECONDS
    local name=$1 line=$2 i out=$BATS_TEST_TMPDIR/$1.out
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "^$line" "$out" 2>/dev/null && return 0
        kill -0 "${GUEST_PID[$name]}" 2>/dev/null || break
        sleep 0.05
    done
    grep -q -- "^$line" "$out" 2>/dev/null && return 0
    {
        echo "guest $name: no '$line' on its console within $3 s (${GUEST_CMD[$name]})"
        echo "--- its console:"; tail -15 "$out"
        echo "--- its stderr:"; tail -15 "$BATS_TEST_TMPDIR/$name.err"
    } >&2
    return 1
}

# Runs COMMAND (busybox sh) in guest NAME and waits at most SECONDS (default
# 30) for it; its output in GUEST_OUT, its exit status the return value.
# The commands' numbers are counted in NAME.seq, so that a call in a
# subshell ($(...)) does not reuse its number.
in_guest() { # NAME COMMAND [SECONDS]
    local name=$1 n=0 seq=$BATS_TEST_TMPDIR/$1.seq
    [[ -s $seq ]] && n=$(<"$seq")
    n=$((n + 1))
    echo "$n" >"$seq"
    GUEST_OUT=
    printf '%d %s\n' "$n" "$2" >&"${GUEST_FD[$name]}"
    wait_console "$name" "slotnet-vm: done $n " "${3:-30}" || return 1
    # The console ends its lines in CR LF, and has the kernel's lines too
    # ("[    1.234567] ..."), which are not the command's.
    GUEST_OUT=$(awk -v run="slotnet-vm: run $n" -v done="slotnet-vm: done $n " '
        { sub(/\r$/, "") }
        $0 == run { on = 1; next }
        index($0, done) == 1 { exit }
        on && !/^\[ *[0-9]+\.[0-9]+\] /' "$BATS_TEST_TMPDIR/$name.out")
    n=$(grep "^slotnet-vm: done $n " "$BATS_TEST_TMPDIR/$name.out")
    n=${n%$'\r'}
    return "${n##* }"
}

# Ends guest NAME: its console's input closed, its timeout told to stop
# (it passes that on to qemu), killed if it has not ended within 10 s; then
# whatever still runs of it (matched by the test's guest_tag) killed.
stop_guest() { # NAME
    local name=$1 pid=${GUEST_PID[$1]:-} fd=${GUEST_FD[$1]:-} i p
    if [[ -n $fd ]]; then
        exec {fd}>&-
        unset "GUEST_FD[$name]"
    fi
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "GUEST_PID[$name]"
    # Only after its timeout was killed outright: qemu, until it is gone
    # and the tap free (bounded: a process killed with -9 ends at once).
    for ((i = 0; i < 100; i++)); do
        p=$(pgrep -f "sn.mac=${GUEST_MAC[$name]}" || true)
        [[ -n $p ]] || break
        # shellcheck disable=SC2086 # one pid per word
        kill -9 $p 2>/dev/null || true
        sleep 0.05
    done
}

# Every guest this test started (teardown calls it before teardown_worker).
stop_guests() {
    local name
    for name in "${!GUEST_PID[@]}"; do stop_guest "$name"; done
}

# Processes of this test's guests (timeout, qemu), "PID CMD" each.
guest_processes() { pgrep -af "$(guest_tag)" || true; }

# ping from guest NAME: guest_pings_ok needs all 3 replies (within 6 s: the
# first may wait for an ARP retry of up to a second), guest_pings_lost none
# of 2 (within 2 s).  Busybox ping.
guest_pings_ok() { # NAME ADDR [PING-OPTIONS...]
    local name=$1 addr=$2
    shift 2
    in_guest "$name" "ping -q -c 3 -i 0.2 -W 4 -w 6 $* $addr" 15 || true
    [[ $GUEST_OUT == *" 3 packets received"* ]] ||
        fail "ping $* $addr from guest $name: fewer than 3 replies: $GUEST_OUT"
}
guest_pings_lost() { # NAME ADDR [PING-OPTIONS...]
    local name=$1 addr=$2
    shift 2
    in_guest "$name" "ping -q -c 2 -i 0.2 -W 1 -w 2 $* $addr" 15 || true
    [[ $GUEST_OUT == *" 0 packets received"* ]] ||
        fail "ping $* $addr from guest $name got replies: $GUEST_OUT"
}

# The IPv4 counter NAME of guest NAME, as snmp (helpers.bash) reads a namespace's.
guest_snmp() { # NAME Ip|Icmp NAME
    in_guest "$1" "awk -v t=$2: -v name=$3 '$SNMP_AWK' /proc/net/snmp" && [[ $GUEST_OUT =~ ^[0-9]+$ ]] ||
        fail "guest $1: no counter $2 $3: $GUEST_OUT" || return
    echo "$GUEST_OUT"
}

# TCP between guest NAME and endpoint namespace NS, MBYTES of random data in
# one connection to port 5001, either way; fails unless the SHA-256 of what
# arrived (busybox sha256sum in the guest, sha256sum here) is that of what
# was sent.  Every socket wait is bounded (30 s), the guest's nc by timeout.
guest_tcp_to_tenant() { # NAME NS TENANT-ADDR MBYTES
    local name=$1 ns=$2 addr=$3 mb=$4 dir sent rc=0
    dir=$(mktemp -d "$BATS_TEST_TMPDIR/tcp.XXXXXX")
    in_guest "$name" "dd if=/dev/urandom of=/tmp/up bs=65536 count=$((mb * 16)) 2>/dev/null && sha256sum /tmp/up" 60 ||
        fail "guest $name: could not make $mb MB to send: $GUEST_OUT" || return
    sent=${GUEST_OUT%% *}
    tcp_receiver_start "$ns" "$addr" "$dir/received" || rc=1
    if ((rc == 0)); then
        in_guest "$name" "timeout 60 nc $addr 5001 </tmp/up; rm /tmp/up" 90 ||
            fail "guest $name: nc to $addr:5001 failed: $GUEST_OUT" || rc=1
    fi
    tcp_peer_finish "$rc" "the receiver in $ns" || return 1
    expect_eq "$(sha256sum <"$dir/received" | cut -d' ' -f1)" "$sent" \
        "SHA-256 of the $mb MB from guest $name that arrived in $ns ($(stat -c %s "$dir/received") bytes)"
    rm -rf "$dir"
}
tenant_tcp_to_guest() { # NS NAME GUEST-ADDR MBYTES
    local ns=$1 name=$2 addr=$3 mb=$4 dir rc=0
    dir=$(mktemp -d "$BATS_TEST_TMPDIR/tcp.XXXXXX")
    head -c "$((mb << 20))" /dev/urandom >"$dir/sent"
    # Connects as soon as the guest listens (retrying for 30 s), sends, and
    # waits for the guest to close.
    # timeout itself in the background, so that killing TCP_PID ends the sender.
    timeout "$SN_TIMEOUT" nsenter --net="/run/netns/$ns" python3 -c '
import socket, sys, time
addr, path = sys.argv[1], sys.argv[2]
for _ in range(300):
    try:
        s = socket.create_connection((addr, 5001), timeout=30)
        break
    except ConnectionRefusedError:
        time.sleep(0.1)
else:
    sys.exit("the guest never listened on %s:5001" % addr)
with open(path, "rb") as f:
    s.sendall(f.read())
s.shutdown(socket.SHUT_WR)
s.recv(1)
' "$addr" "$dir/sent" 3>&- &
    # shellcheck disable=SC2034 # read by tcp_peer_finish (helpers.bash)
    TCP_PID=$!
    in_guest "$name" "timeout 60 nc -l -p 5001 >/tmp/down && sha256sum /tmp/down; rm /tmp/down" 90 ||
        fail "guest $name: nc -l -p 5001 failed: $GUEST_OUT" || rc=1
    tcp_peer_finish "$rc" "the sender in $ns" || return 1
    expect_eq "${GUEST_OUT%% *}" "$(sha256sum <"$dir/sent" | cut -d' ' -f1)" \
        "SHA-256 of the $mb MB from $ns that arrived in guest $name"
    rm -rf "$dir"
}
