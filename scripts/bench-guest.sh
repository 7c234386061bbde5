#!/usr/bin/env bash
# A real guest in a slot, in one run, against the same guest in a slot made
# by hand with ip (what a user would do without slotnet):
#   1. bind to first packet: each guest pings its tenant every millisecond
#      from boot; the tenant end timestamps (SO_TIMESTAMPNS, the host's
#      clock) the first echo request that arrives after "bind" returned.
#      slotnet: `slotnet bind 0 --vni V` (a map write; unbind between
#      binds).  By hand: create the slot's VXLAN device with the tenant's VNI
#      and remote and put it in the bridge (two ip commands; deleted between
#      binds).  BINDS binds each, the distribution reported;
#   2. TCP throughput, guest -> tenant and tenant -> guest, MBYTES over one
#      connection, the two slots taking turns (median of 3 each way).
#
#   scripts/bench-guest.sh [BINDS=20] [MBYTES=32]
#
# The guests are the VM rig's tenant VMs (tests/vm/tenant.sh: Debian's 6.1
# cloud kernel, busybox, virtio-net on the slot's tap0 with the MTU the
# slot advertises), under KVM where it works, else TCG (these machines):
# under TCG the guest's own CPU bounds its throughput and the cadence of its
# pings, so both slots are measured with the same guest, one after the other.
# Everything runs in throwaway namespaces (every name starts with P below);
# no packet leaves them.  Root only.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

BINDS=${1:-20}
MBYTES=${2:-32}
[[ $BINDS =~ ^[1-9][0-9]{0,3}$ ]] || { echo "bench-guest.sh: BINDS '$BINDS' is not a number 1..9999" >&2; exit 2; }
[[ $MBYTES =~ ^[1-9][0-9]{0,3}$ ]] || { echo "bench-guest.sh: MBYTES '$MBYTES' is not a number 1..9999" >&2; exit 2; }

P=bg$$x
W=${P}w            # the worker
S=${P}0            # slotnet's slot 0
H=${P}h            # the slot made by hand
T1=${P}ta T2=${P}tb # the two tenants' ends
PIN=/sys/fs/bpf/bench-guest$$
BIN=$PWD/build/slotnet
VNI_S=4242 VNI_H=4343
GUEST_MAC=06:00:ac:10:00:02 GUEST_ADDR=172.16.0.2 TENANT_ADDR=172.16.0.1
TENANT_MAC=02:00:00:00:42:01
tmp=$(mktemp -d)
guest_pids=()

cleanup() {
    local status=$? p
    if ((status != 0)); then
        for p in s h; do
            [[ -e $tmp/$p.out ]] && { echo "guest $p's console ends:"; tail -5 "$tmp/$p.out"; } >&2
        done
    fi
    for p in ${guest_pids[@]+"${guest_pids[@]}"}; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    nsenter --net="/run/netns/$W" "$BIN" -q --pin-dir "$PIN" teardown >/dev/null 2>&1 || true
    for ns in "$H" "$T1" "$T2" "$W"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -s
tests/vm/kernel.sh >/dev/null
tests/vm/initramfs.sh tenant >/dev/null
wait_kernel_settled 900

sn() { nsenter --net="/run/netns/$W" "$BIN" --pin-dir "$PIN" "$@"; }
# A namespace with lo up and no IPv6, so that only the bench's packets move.
make_ns() { # NAME
    ip netns add "$1"
    ip -n "$1" link set lo up
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
# A veth from the worker (WORKER-DEV holding WORKER-ADDR/LEN) to NS's u0.
link_to_worker() { # NS WORKER-DEV WORKER-ADDR/LEN NS-ADDR/LEN
    ip -n "$W" link add "$2" type veth peer name u0 netns "$1"
    ip -n "$W" addr add "$3" dev "$2"
    ip -n "$1" addr add "$4" dev u0
    ip -n "$W" link set "$2" up
    ip -n "$1" link set u0 up
}
# A tenant's end: VXLAN VNI towards REMOTE holding the tenant's address.
make_tenant() { # NS UNDERLAY VNI REMOTE
    make_ns "$1"
    link_to_worker "$1" "${1}u" "${2%.*}.1/24" "$2/24"
    ip -n "$1" route add "$4/32" via "${2%.*}.1"
    ip -n "$1" link add vx0 address "$TENANT_MAC" type vxlan id "$3" remote "$4" local "$2" \
        dstport 4789 nolearning
    ip -n "$1" addr add "$TENANT_ADDR/24" dev vx0
    ip -n "$1" link set vx0 up
}

# The worker and slotnet's slot 0, its tunnel's remote the first tenant.
make_worker "$W"
ip netns exec "$W" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.ip_forward=1
sn -q prewarm --slots 1 --prefix "$P" --tunnel vxlan --remote 10.201.0.2 --outside 100.64.0.0/24
make_tenant "$T1" 10.201.0.2 "$VNI_S" 100.64.0.1
guest_mtu=$(sn -j dump 0 | jq -r '.slots[0].guest_mtu')

# The slot by hand: eth0 on the underlay, br0, tap0 at the same MTUs; its
# tunnel device is made at "bind".
make_ns "$H"
link_to_worker "$H" "${P}hu" 10.202.0.1/30 10.202.0.2/30
ip -n "$H" route add default via 10.202.0.1
ip -n "$H" link add br0 type bridge mcast_snooping 0
ip -n "$H" tuntap add dev tap0 mode tap
ip -n "$H" link set tap0 mtu "$guest_mtu" master br0 up
ip -n "$H" link set br0 mtu "$guest_mtu" up
make_tenant "$T2" 10.203.0.2 "$VNI_H" 10.202.0.2

# A guest on NS's tap0 running the rig's agent: commands go to fifo
# $tmp/NAME.in, its console to $tmp/NAME.out.
start_guest() { # NAME NS
    mkfifo "$tmp/$1.in"
    exec {fd}<>"$tmp/$1.in"
    tests/vm/tenant.sh --netns "$2" --tap tap0 --mac "$GUEST_MAC" --host-mtu "$guest_mtu" \
        --addr "$GUEST_ADDR/24" --timeout 3600 --input "$tmp/$1.in" -- agent \
        >"$tmp/$1.out" 2>"$tmp/$1.err" &
    guest_pids+=($!)
    eval "fd_$1=$fd"
    wait_console "$1" "slotnet-vm: agent ready" 300
}
wait_console() { # NAME LINE SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -q "^$2" "$tmp/$1.out" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench-guest.sh: guest $1: no '$2' within $3 s; its console:" >&2
    tail -20 "$tmp/$1.out" "$tmp/$1.err" >&2
    exit 1
}
seq_no=0
# Runs COMMAND in guest NAME, waits (at most 600 s) for it to finish and
# returns its exit status.
in_guest() { # NAME COMMAND
    local fd_var=fd_$1 line
    seq_no=$((seq_no + 1))
    printf '%d %s\n' "$seq_no" "$2" >&"${!fd_var}"
    wait_console "$1" "slotnet-vm: done $seq_no " 600
    line=$(grep "^slotnet-vm: done $seq_no " "$tmp/$1.out")
    return "${line##* }"
}

start_guest s "$S"
start_guest h "$H"
echo "slotnet $($BIN -V | cut -d' ' -f2), kernel $(uname -r), $(nproc) CPUs, guests: Linux $(vm_kernel_release) under $(vm_accel), guest MTU $guest_mtu"

# 1. Bind to first packet.  The tenant end's program: first echo request
# after each "bind" returns, BINDS times, then the guest's cadence.
cat >"$tmp/first.py" <<'EOF'
import json, select, socket, struct, subprocess, sys, time
iface, src, n, bind, unbind = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3]), \
    json.loads(sys.argv[4]), json.loads(sys.argv[5])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((iface, 0))
s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
PACKET_OUTGOING = 4

def echo(deadline):
    """The next echo request from the guest: its arrival (ns, host clock), or None."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return None
        data, anc, _, addr = s.recvmsg(2048, 64)
        if addr[2] == PACKET_OUTGOING or len(data) < 35:
            continue
        if data[23] == 1 and data[26:30] == src and data[34] == 8:
            for level, kind, val in anc:
                if level == socket.SOL_SOCKET and kind == 35:
                    sec, nsec = struct.unpack("qq", val[:16])
                    return sec * 10**9 + nsec

def quiet(ms):
    """Waits until nothing has arrived for ms (at most 10 s)."""
    end = time.monotonic() + 10
    while echo(time.monotonic() + ms / 1000) is not None:
        if time.monotonic() > end:
            sys.exit("packets still arrive after unbind")

def run(cmds):
    for c in cmds:
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL)

gaps = []
for i in range(n):
    quiet(200)
    t0 = time.time_ns()
    run(bind)
    t1 = time.time_ns()
    first = echo(time.monotonic() + 10)
    if first is None:
        sys.exit("no packet within 10 s of bind %d" % i)
    print("bind %d %d" % (t1 - t0, first - t1))
    if i == 0:
        prev = first
        for _ in range(200):
            t = echo(time.monotonic() + 1)
            if t is None:
                break
            gaps.append(t - prev)
            prev = t
    run(unbind)
for g in gaps:
    print("gap %d" % g)
EOF
# The guest pings its tenant every millisecond from now on, through binds
# and unbinds; the tenant's MAC is static, so no ARP waits for the tunnel.
ping_on="arp -s $TENANT_ADDR $TENANT_MAC; ping -q -i 0.001 $TENANT_ADDR >/dev/null 2>&1 &"
json() { jq -cn '$ARGS.positional | map(split(" "))' --args "$@"; }
in_guest s "$ping_on"
nsenter --net="/run/netns/$T1" python3 "$tmp/first.py" vx0 "$GUEST_ADDR" "$BINDS" \
    "$(json "nsenter --net=/run/netns/$W $BIN --pin-dir $PIN bind 0 --vni $VNI_S")" \
    "$(json "nsenter --net=/run/netns/$W $BIN --pin-dir $PIN unbind 0")" >"$tmp/first.s"
in_guest s "killall ping"
in_guest h "$ping_on"
nsenter --net="/run/netns/$T2" python3 "$tmp/first.py" vx0 "$GUEST_ADDR" "$BINDS" \
    "$(json "ip -n $H link add tun0 type vxlan id $VNI_H local 10.202.0.2 remote 10.203.0.2 dstport 4789 dev u0 nolearning" \
        "ip -n $H link set tun0 master br0 up")" \
    "$(json "ip -n $H link del tun0")" >"$tmp/first.h"
in_guest h "killall ping"

# 2. TCP throughput.  The tenant end receives MBYTES and closes, or sends
# MBYTES and waits for the guest to close: seconds from accept/connect.
cat >"$tmp/tcp.py" <<'EOF'
import socket, sys, time
mode, addr, total = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
if mode == "recv":
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, 5001)); l.listen(1); l.settimeout(300)
    print("ready", flush=True)
    c, _ = l.accept(); c.settimeout(60)
    t0, got = time.monotonic(), 0
    while got < total:
        b = c.recv(1 << 16)
        if not b:
            sys.exit("the guest closed after %d bytes" % got)
        got += len(b)
    t = time.monotonic() - t0
    c.close()
else:
    for _ in range(300):
        try:
            c = socket.create_connection((addr, 5001), timeout=60)
            break
        except OSError:
            time.sleep(0.1)
    t0, chunk, sent = time.monotonic(), b"\0" * (1 << 16), 0
    while sent < total:
        c.sendall(chunk); sent += len(chunk)
    c.shutdown(socket.SHUT_WR)
    while c.recv(1 << 16):
        pass
    t = time.monotonic() - t0
print("mbit %.0f" % (total * 8 / t / 1e6))
EOF
tcp_run() { # GUEST TENANT-NS DIRECTION
    local out=$tmp/tcp.$1.$3
    if [[ $3 == up ]]; then
        nsenter --net="/run/netns/$2" python3 "$tmp/tcp.py" recv "$TENANT_ADDR" "$MBYTES" >"$out.now" &
        for ((i = 0; i < 600; i++)); do grep -q ready "$out.now" 2>/dev/null && break; sleep 0.1; done
        grep -q ready "$out.now" || { echo "bench-guest.sh: the tenant's receiver did not start" >&2; exit 1; }
        # nc's status is no matter: the tenant end closes once it has all.
        in_guest "$1" "dd if=/dev/zero bs=65536 count=$((MBYTES * 16)) 2>/dev/null | nc $TENANT_ADDR 5001" || true
        wait $!
    else
        nsenter --net="/run/netns/$2" python3 "$tmp/tcp.py" send "$GUEST_ADDR" "$MBYTES" >"$out.now" &
        in_guest "$1" "nc -l -p 5001 >/dev/null"
        wait $!
    fi
    sed -n 's/^mbit //p' "$out.now" >>"$out"
}
sn -q bind 0 --vni "$VNI_S"
ip -n "$H" link add tun0 type vxlan id "$VNI_H" local 10.202.0.2 remote 10.203.0.2 dstport 4789 dev u0 nolearning
ip -n "$H" link set tun0 master br0 up
for _ in 1 2 3; do
    for dir in up down; do
        tcp_run s "$T1" "$dir"
        tcp_run h "$T2" "$dir"
    done
done

# The report.
us() { awk '{ printf "%.0f\n", $1 / 1000 }'; }
field() { awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$3"; }
row() { # LABEL FILE KEY FIELD
    local v
    v=$(field "$3" "$4" "$2" | us)
    printf '%-50s %8s %8s %8s %8s\n' "$1" "$(pct - 50 <<<"$v")" "$(pct - 90 <<<"$v")" \
        "$(pct - 0 <<<"$v")" "$(pct - 100 <<<"$v")"
}
echo
printf '%-50s %8s %8s %8s %8s\n' "microseconds, $BINDS binds each" median p90 min max
row "slotnet bind, the command (spawn + wait)" "$tmp/first.s" bind 2
row "slotnet: bind returned -> first packet at tenant" "$tmp/first.s" bind 3
row "by hand: 2 ip commands (make tun0, into br0)" "$tmp/first.h" bind 2
row "by hand: commands returned -> first packet" "$tmp/first.h" bind 3
row "guest's ping cadence (gaps between arrivals)" "$tmp/first.s" gap 2
echo "slotnet, bind returned -> first packet, every bind (us): $(field bind 3 "$tmp/first.s" | us | sort -n | tr '\n' ' ')"
echo
med() { pct "$1" 50; }
printf '%-50s %10s %10s %8s\n' "TCP, $MBYTES MB, median of 3 (Mbit/s)" slotnet "by hand" ratio
for dir in up down; do
    label="guest -> tenant"
    [[ $dir == down ]] && label="tenant -> guest"
    a=$(med "$tmp/tcp.s.$dir") b=$(med "$tmp/tcp.h.$dir")
    printf '%-50s %10s %10s %8s\n' "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
first_med=$(field bind 3 "$tmp/first.s" | us | pct - 50)
echo
if ((first_med <= 2000)); then verdict=MET; else verdict="NOT MET"; fi
echo "bind -> first packet <= 2 ms (median): $verdict (${first_med} us)"
