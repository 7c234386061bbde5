# Shared by every .bats file (load helpers).
#
# Each test runs slotnet in a throwaway "worker" namespace of its own, which
# stands in for the host's root namespace, with its own pin directory and slot
# prefix; teardown() removes all of it, pass or fail.  Nothing here touches the
# machine's real root namespace, its routes or its iptables, and no test sends
# a packet anywhere.
#
# Names: bats runs every test in a process of its own, so $$ is unique among
# the tests alive on this machine, whoever runs them.  P = letter + pid + 'x':
# at most 9 characters (pid_max is 2^22), leaving 6 for slot numbers and
# suffixes, and never ending in a digit.  Every name a test makes starts with
# P (slots P0.., decoys Pd0, a second prefix Po0..), and no other test's name
# can start with P because P ends in 'x'.

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# SN_SLOTNET: another build of slotnet to test (make BUILD=DIR), build/slotnet by default.
SLOTNET=${SN_SLOTNET:-$REPO/build/slotnet}
# No slotnet run in this suite should get near this; it only stops a hang.
SN_TIMEOUT=${SN_TIMEOUT:-120}

# In-slot constants (the slot anatomy every prewarmed slot has).
INSIDE_ADDR=169.254.1.2
GATEWAY_ADDR=169.254.1.1
SLOT_MAC=02:73:6e:00:00:02  # eth0, inside the slot
ROOT_MAC=02:73:6e:00:00:01  # the root-side veth; also the slot's gateway
DUMMY_VNI_BASE=16000000
DEFAULT_REMOTE=192.0.2.1
DEFAULT_OUTSIDE=100.64.0.0/16

# The tunnel of the suite's slots and tenant endpoints: VXLAN by default
# (this host's kernel has no Geneve), Geneve in the Linux 6.1 worker guest
# (tests/run.sh runs the suites there with SN_TUNNEL=geneve).  OTHER_TUNNEL
# is the one a conflicting re-run asks for.
TUNNEL=${SN_TUNNEL:-vxlan}
# shellcheck disable=SC2034 # OTHER_TUNNEL is read by the .bats files
case $TUNNEL in
    vxlan) TUNNEL_PORT=4789 OTHER_TUNNEL=geneve ;;
    geneve) TUNNEL_PORT=6081 OTHER_TUNNEL=vxlan ;;
    *) echo "SN_TUNNEL='$TUNNEL': expected vxlan or geneve" >&2; exit 2 ;;
esac
SLOT_MTU=1450 # tun0, br0 and tap0 on the default 1500-byte underlay

# A test whose point is hundreds of slots takes minutes in the 6.1 worker
# guest (TCG-emulated here, and the kernel then takes as long again to
# dismantle them during the next tests): CI skips it there
# (tests/vm/bats-in-guest.sh sets SN_SKIP_SCALE=1), `make check-kernel`
# runs it.
scale_test() { [[ -z ${SN_SKIP_SCALE:-} ]] || skip "a scale test (make check-kernel runs it on 6.1)"; }

# Linux 6.6 brought tcx; before it `--attach tcx` is refused.
kernel_has_tcx() {
    local major minor
    IFS=. read -r major minor _ <<<"$(uname -r)"
    ((major > 6 || (major == 6 && minor >= 6)))
}
skip_without_tcx() { kernel_has_tcx || skip "Linux $(uname -r) has no tcx (6.6 or later)"; }

pick_names() {
    local c
    for c in b c d e f g h k m; do
        P="$c$$x"
        if [[ ! -e /run/netns/snw-$P && ! -e /sys/fs/bpf/snt-$P ]] &&
            ! compgen -G "/run/netns/$P*" >/dev/null &&
            ! compgen -G "/sys/fs/bpf/snt-$P-*" >/dev/null; then
            W="snw-$P"
            PIN="/sys/fs/bpf/snt-$P"
            return 0
        fi
    done
    echo "no unused test names for pid $$" >&2
    return 1
}

# The lock file of pin directory PIN (this test's by default):
# /run/slotnet/<PIN with '/' as %2f>.lock.
lock_file() { # [PIN]
    local pin=${1:-$PIN}
    echo "/run/slotnet/${pin//\//%2f}.lock"
}

setup_worker() {
    pick_names
    # For zz_leftovers.bats, which checks after the whole run.
    echo "$P" >>"$BATS_RUN_TMPDIR/slotnet-names"
    ip netns add "$W"
    ip -n "$W" link set lo up
}

teardown_worker() {
    [[ -n ${W:-} ]] || return 0
    local pin ns lf
    if [[ -n ${SN_PID:-} ]]; then
        kill -9 "$SN_PID" 2>/dev/null || true
        wait "$SN_PID" 2>/dev/null || true
    fi
    # The test's pin directory and any it added (all named "$PIN-*").
    for pin in "$PIN" "$PIN"-*; do
        [[ -e $pin ]] || continue
        if [[ -e /run/netns/$W ]]; then
            in_ns "$W" "$SLOTNET" -q --pin-dir "$pin" teardown >/dev/null 2>&1 || true
        fi
        rm -rf "$pin"
        # The lock and the records of the last prewarm and check beside it.
        lf=$(lock_file "$pin")
        rm -f "$lf" "${lf%.lock}".prewarm "${lf%.lock}".check
    done
    # Whatever slotnet left (or a test made): every such name starts with P.
    for ns in /run/netns/"$P"*; do
        [[ -e $ns ]] || continue
        ip netns del "${ns##*/}" 2>/dev/null || true
    done
    ip netns del "$W" 2>/dev/null || true
}

setup() { setup_worker; }
teardown() { teardown_worker; }

# CMD inside network namespace NS (a /run/netns name).  Unlike `ip netns
# exec` it leaves /sys (and so /sys/fs/bpf) alone.
in_ns() { # NS CMD...
    local ns=$1
    shift
    timeout "$SN_TIMEOUT" nsenter --net="/run/netns/$ns" "$@"
}

# slotnet inside the worker, without and with this test's pin directory.
snw() { in_ns "$W" "$SLOTNET" "$@"; }
sn() { snw --pin-dir "$PIN" "$@"; }

# slotnet in the background as a direct child (nice and nsenter exec it, no
# shell in between), so that kill -9 "$SN_PID" hits slotnet itself.  At the
# lowest priority: the test that watches it and decides when to kill it must
# not be starved on a busy machine (the 6.1 guest's suites run beside these,
# using both CPUs), or the run it meant to stop midway finishes first.
sn_background() {
    nice -n 19 nsenter --net="/run/netns/$W" "$SLOTNET" --pin-dir "$PIN" "$@" &
    SN_PID=$!
}

# Waits until a background prewarm of N slots has made at least MIN slot
# namespaces but has not finished, then kills it with SIGKILL.  prewarm works
# in chunks of 64 slots (all of a chunk's namespaces, then their devices, then
# the root side), so with MIN > 64 the kill lands after at least one whole
# chunk and inside a later one.
kill_prewarm_midway() { # MIN N
    local min=$1 n=$2 made=0 i comm=
    # The child becomes slotnet once bash's fork and nsenter have exec'd.
    for ((i = 0; i < 1000; i++)); do
        comm=$(cat "/proc/$SN_PID/comm" 2>/dev/null) || break
        [[ $comm == slotnet ]] && break
        sleep 0.002
    done
    [[ $comm == slotnet ]] || fail "background pid $SN_PID is '$comm', not slotnet"
    for ((i = 0; i < 6000; i++)); do
        made=$(slot_count)
        ((made >= min)) && break
        kill -0 "$SN_PID" 2>/dev/null || break
        sleep 0.005
    done
    kill -9 "$SN_PID" 2>/dev/null || true
    wait "$SN_PID" 2>/dev/null || true
    SN_PID=
    made=$(slot_count)
    # shellcheck disable=SC2034 # read by the .bats files that call this
    KILLED_AT=$made
    if ((made < min)) || [[ $(root_veth_count) -ge $n ]]; then
        echo "the kill did not land midway: $made namespaces, $(root_veth_count) root veths of $n" >&2
        return 1
    fi
}

# Slot namespaces of this test's prefix (P0, P1, ...), and their count.
slot_names() {
    local f
    for f in /run/netns/*; do
        [[ ${f##*/} =~ ^${P}[0-9]+$ ]] && echo "${f##*/}"
    done
    return 0
}
slot_count() { slot_names | wc -l; }
# Root-side veths in the worker named P<number>.
root_veth_names() { ip -n "$W" -o link show type veth | grep -oE "^[0-9]+: ${P}[0-9]+@" | sed 's/^[0-9]*: //; s/@$//' || true; }
root_veth_count() { root_veth_names | wc -l; }

# The I-th host address of CIDR (I from 0: the first host is network + 1),
# in REPLY (no subshell: it is called once per slot) and on stdout with nth_host.
nth_host_reply() { # CIDR I
    local a b c d n
    IFS=. read -r a b c d <<<"${1%/*}"
    n=$(((a << 24 | b << 16 | c << 8 | d) + $2 + 1))
    REPLY="$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}
nth_host() { nth_host_reply "$@" && echo "$REPLY"; }

# A sysctl as seen from inside network namespace NS (a /run/netns name).
netns_sysctl() { # NS KEY
    in_ns "$1" cat "/proc/sys/${2//.//}"
}

# IPv6 off in namespace NS for every device it will have (its "default") and
# every one it has ("all"), so that nothing but a test's own traffic leaves it.
netns_ipv6_off() { # NS
    in_ns "$1" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 &&
        echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
}

# name -> ifindex of every link in the worker, "NAME IFINDEX" per line, sorted.
worker_ifindexes() { ip -n "$W" -j link show | jq -r '.[] | "\(.ifname) \(.ifindex)"' | sort; }
# name -> inode of namespaces NAME... (/run/netns names), "NAME INODE" per
# line, sorted; slot_inodes of every slot namespace of this prefix.
netns_inodes() { # NAME...
    local s
    for s in "$@"; do echo "$s $(stat -L -c %i "/run/netns/$s")"; done | sort
}
slot_inodes() {
    local -a names
    mapfile -t names < <(slot_names)
    netns_inodes "${names[@]}"
}

# The clsact qdisc on root veth DEV in the worker: "INGRESS-BLOCK
# EGRESS-BLOCK", nothing without one; and the number of them (0 or 1).
clsact_blocks() { # DEV
    tc -n "$W" -j qdisc show dev "$1" |
        jq -r '.[] | select(.kind == "clsact") | "\(.ingress_block) \(.egress_block)"'
}
clsact_count() { clsact_blocks "$1" | wc -l; }

# Exactly the root side N slots need: one /32 route and one permanent
# neighbour per slot, to the slot's outside address through its veth, and
# nothing else through a link of this prefix.
assert_root_routes_and_neighbours() { # N [OUTSIDE-CIDR]
    local n=$1 cidr=${2:-$DEFAULT_OUTSIDE} i expected_routes="" expected_neigh="" actual
    for ((i = 0; i < n; i++)); do
        nth_host_reply "$cidr" "$i"
        expected_routes+="$REPLY dev $P$i scope link"$'\n'
        expected_neigh+="$REPLY dev $P$i lladdr $SLOT_MAC PERMANENT"$'\n'
    done
    expected_routes=$(sort <<<"${expected_routes%$'\n'}")
    expected_neigh=$(sort <<<"${expected_neigh%$'\n'}")
    actual=$(ip -n "$W" -j -4 route show | jq -r '.[] | "\(.dst) dev \(.dev) scope \(.scope)"' |
        grep -E " dev ${P}[0-9]+ " | sort)
    if [[ $actual != "$expected_routes" ]]; then
        echo "root routes differ from the expected $n (< expected, > actual):" >&2
        diff <(echo "$expected_routes") <(echo "$actual") | head -20 >&2
        return 1
    fi
    actual=$(ip -n "$W" -j -4 neigh show | jq -r '.[] | "\(.dst) dev \(.dev) lladdr \(.lladdr) \(.state | join(","))"' |
        grep -E " dev ${P}[0-9]+ " | sort)
    if [[ $actual != "$expected_neigh" ]]; then
        echo "root neighbours differ from the expected $n (< expected, > actual):" >&2
        diff <(echo "$expected_neigh") <(echo "$actual") | head -20 >&2
        return 1
    fi
}

# Every slot 0..N-1 exists and holds exactly lo, tap0, eth0, br0 and tun0,
# its tunnel carrying its own dummy VNI, and there is one root veth per slot.
# One `ip` call per slot and a single jq over all of them.
assert_all_slots_whole() { # N
    local n=$1 i bad
    [[ $(slot_count) -eq $n ]] || fail "$(slot_count) slot namespaces, expected $n"
    [[ $(root_veth_count) -eq $n ]] || fail "$(root_veth_count) root veths, expected $n"
    bad=$(for ((i = 0; i < n; i++)); do
        printf '{"slot":%d,"links":' "$i"
        ip -n "$P$i" -j -d link show || printf '[]'
        printf '}\n'
    done | jq -r --argjson base "$DUMMY_VNI_BASE" --arg tunnel "$TUNNEL" '
        ([.links[] | "\(.ifname)=\(.linkinfo.info_kind // "-")\(if .ifname == "tun0" then ":\(.linkinfo.info_data.id)" else "" end)"]
         | sort | join(" ")) as $got
        | "br0=bridge eth0=veth lo=- tap0=tun tun0=\($tunnel):\($base + .slot)" as $want
        | select($got != $want) | "slot \(.slot) holds \($got), expected \($want)"')
    [[ -z $bad ]] || fail "$(head -5 <<<"$bad")"
}

# fail MESSAGE: print it and fail the calling assertion.
fail() { echo "$*" >&2; return 1; }

expect_eq() { # ACTUAL EXPECTED WHAT
    [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

# The whole anatomy of slot I, inside it and on the root side, exactly.
assert_slot_anatomy() { # I [REMOTE] [OUTSIDE-CIDR]
    local i=$1 remote=${2:-$DEFAULT_REMOTE} cidr=${3:-$DEFAULT_OUTSIDE}
    local s=$P$i outside links root_ifx dev
    outside=$(nth_host "$cidr" "$i")
    links=$(ip -n "$s" -j -d link show)
    j() { jq -r "$@" <<<"$links"; }

    # Exactly these links, with the fixed ifindexes snapshots rely on.
    expect_eq "$(j '[.[].ifname] | sort | join(" ")')" "br0 eth0 lo tap0 tun0" "slot $i: links"
    expect_eq "$(j '.[] | select(.ifname == "eth0") | .ifindex')" 100 "slot $i: eth0 ifindex"
    expect_eq "$(j '.[] | select(.ifname == "br0") | .ifindex')" 101 "slot $i: br0 ifindex"
    expect_eq "$(j '.[] | select(.ifname == "tun0") | .ifindex')" 102 "slot $i: tun0 ifindex"

    # eth0: a veth, its fixed MAC, up with carrier (its peer is up).
    expect_eq "$(j '.[] | select(.ifname == "eth0") |
        "\(.linkinfo.info_kind) \(.address) \(.operstate) \(.flags | index("UP") != null)"')" \
        "veth $SLOT_MAC UP true" "slot $i: eth0"
    # br0: a bridge without multicast snooping (it sends no IGMP/MLD queries), up.
    expect_eq "$(j '.[] | select(.ifname == "br0") |
        "\(.linkinfo.info_kind) mcast_snooping=\(.linkinfo.info_data.mcast_snooping) \(.flags | index("UP") != null)"')" \
        "bridge mcast_snooping=0 true" "slot $i: br0"
    # tun0: the suite's tunnel with the slot's dummy VNI, the configured remote, its port, in br0, up;
    # a VXLAN device also sends from eth0's address (Geneve has no local address).
    local tun_local=-
    [[ $TUNNEL == vxlan ]] && tun_local=$INSIDE_ADDR
    # shellcheck disable=SC2016 # $d is jq's own
    expect_eq "$(j '.[] | select(.ifname == "tun0") | .linkinfo.info_data as $d |
        "\(.linkinfo.info_kind) id=\($d.id) remote=\($d.remote) local=\($d.local // "-") port=\($d.port) master=\(.master) \(.flags | index("UP") != null)"')" \
        "$TUNNEL id=$((DUMMY_VNI_BASE + i)) remote=$remote local=$tun_local port=$TUNNEL_PORT master=br0 true" "slot $i: tun0"
    # MTUs on the default underlay: eth0 the underlay's, the rest 50 bytes less for the tunnel headers.
    expect_eq "$(j '[.[] | select(.ifname != "lo") | "\(.ifname)=\(.mtu)"] | sort | join(" ")')" \
        "br0=$SLOT_MTU eth0=1500 tap0=$SLOT_MTU tun0=$SLOT_MTU" "slot $i: MTUs"
    # tap0: a persistent tap (no owner process) in br0, administratively up.
    # shellcheck disable=SC2016 # $d is jq's own
    expect_eq "$(j '.[] | select(.ifname == "tap0") | .linkinfo.info_data as $d |
        "\(.linkinfo.info_kind) type=\($d.type) persist=\($d.persist) master=\(.master) \(.flags | index("UP") != null)"')" \
        "tun type=tap persist=true master=br0 true" "slot $i: tap0"

    # Addresses: 169.254.1.2/30 on eth0 and nothing else at all (no IPv6 anywhere).
    expect_eq "$(ip -n "$s" -j addr show | jq -r '[.[] | .ifname as $n | .addr_info[] | "\($n) \(.family) \(.local)/\(.prefixlen)"] | join(",")')" \
        "eth0 inet $INSIDE_ADDR/30" "slot $i: addresses"
    # Routes: the default via the gateway, and eth0's connected /30.
    expect_eq "$(ip -n "$s" -j -4 route show | jq -r '[.[] | "\(.dst) via=\(.gateway // "-") dev=\(.dev)"] | sort | join(",")')" \
        "169.254.1.0/30 via=- dev=eth0,default via=$GATEWAY_ADDR dev=eth0" "slot $i: routes"
    expect_eq "$(ip -n "$s" -j -6 route show | jq length)" 0 "slot $i: IPv6 routes"
    # The gateway's neighbour entry is permanent: no ARP before the slot is bound.
    expect_eq "$(ip -n "$s" -j neigh show | jq -r '[.[] | "\(.dst) dev=\(.dev) lladdr=\(.lladdr) \(.state | join(","))"] | join(";")')" \
        "$GATEWAY_ADDR dev=eth0 lladdr=$ROOT_MAC PERMANENT" "slot $i: neighbours"
    # IPv6 off in the slot: the namespace's default and every device in it.
    for dev in default eth0 br0 tun0 tap0; do
        expect_eq "$(netns_sysctl "$s" "net.ipv6.conf.$dev.disable_ipv6")" 1 "slot $i: $dev disable_ipv6"
    done

    # Root side: the veth P<i>, its fixed MAC, up, peer = eth0 (ifindex 100) in the slot.
    root_ifx=$(ip -n "$W" -j link show "$s" | jq -r '.[0].ifindex')
    expect_eq "$(ip -n "$W" -j -d link show "$s" | jq -r '.[0] |
        "\(.linkinfo.info_kind) \(.address) \(.operstate) peer=\(.link_index)"')" \
        "veth $ROOT_MAC UP peer=100" "slot $i: root veth $s"
    [[ $(ip -n "$W" -o link show "$s") =~ " link-netns $s"( |$) ]] ||
        fail "slot $i: root veth $s: its peer is not in namespace $s: $(ip -n "$W" -o link show "$s")"
    expect_eq "$(ip -n "$s" -j link show eth0 | jq -r '.[0].link_index')" "$root_ifx" \
        "slot $i: eth0's peer ifindex (the root veth's)"
    # No IPv6 on the root veth either: nothing is sent from it before bind.
    expect_eq "$(netns_sysctl "$W" "net.ipv6.conf.$s.disable_ipv6")" 1 "slot $i: root veth disable_ipv6"
    expect_eq "$(ip -n "$W" -j addr show "$s" | jq -r '.[0].addr_info | length')" 0 "slot $i: root veth addresses"
    # The slot's outside address: a /32 route and a permanent neighbour through its veth.
    expect_eq "$(ip -n "$W" -j -4 route show dev "$s" | jq -r '[.[] | "\(.dst) scope=\(.scope)"] | join(",")')" \
        "$outside scope=link" "slot $i: root routes through $s"
    expect_eq "$(ip -n "$W" -j -4 neigh show dev "$s" | jq -r '[.[] | "\(.dst) lladdr=\(.lladdr) \(.state | join(","))"] | join(";")')" \
        "$outside lladdr=$SLOT_MAC PERMANENT" "slot $i: root neighbours on $s"
}

# Nothing made: no slot namespace, no pin directory, only lo in the worker
# and no route there.
assert_nothing_created() {
    local links
    [[ $(compgen -G "/run/netns/$P*" | wc -l) -eq 0 ]] ||
        fail "namespaces were created: $(compgen -G "/run/netns/$P*" | head -5)"
    [[ ! -e $PIN ]] || fail "pin directory $PIN was created"
    [[ ! -e $(lock_file) ]] || fail "a lock file was left for $PIN"
    links=$(ip -n "$W" -j link show | jq -r '[.[].ifname] | join(" ")')
    expect_eq "$links" lo "links in the worker"
    expect_eq "$(ip -n "$W" -j -4 route show | jq length)" 0 "routes in the worker"
}

assert_status() {
    # shellcheck disable=SC2154 # set by bats' run
    [[ $status -eq $1 ]] || fail "expected exit $1, got $status; output: $output"
}

assert_output_has() {
    [[ $output == *"$1"* ]] || fail "output lacks '$1': $output"
}

assert_output_lacks() {
    [[ $output != *"$1"* ]] || fail "output has '$1': $output"
}

# One slot's object of `dump -j`, compact.
slot_json() { sn -j dump "$1" | jq -c '.slots[0]'; }

# ---------------------------------------------------------------------------
# Four prewarmed slots: bind.bats, batch.bats, dump.bats and attach.bats.

# Four small slots of the suite's tunnel; the default remote is 192.0.2.1 ($DEFAULT_REMOTE).
prewarm4() { sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL" "$@" >/dev/null; }

# "VNI REMOTE STATE" of slot I in `dump -j` (vni null while free).
binding() { slot_json "$1" | jq -r '"\(.vni) \(.remote) \(.state)"'; }

# ---------------------------------------------------------------------------
# Refusals that change nothing (bind.bats), and traffic through slots:
# counters, tenant endpoints, pings and TCP (datapath.bats, and the tests of
# prewarm.bats, rules.bats and damaged_pins.bats that send traffic).

# refused_unchanged CMD MESSAGE-PARTS...: `sn CMD` (a word list in CMD's
# array form: pass it as "bind 1 --vni x") must exit 2 with one line on
# stderr that starts with "slotnet: " and holds every MESSAGE-PART, print
# nothing on stdout, and leave `dump -j` (bindings, states and counters of
# every slot) exactly as it was.
refused_unchanged() { # "ARGS" PART...
    local -a args
    local before part
    read -r -a args <<<"$1"
    shift
    before=$(sn -j dump)
    run --separate-stderr sn "${args[@]}"
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == "slotnet: "* ]] || fail "stderr does not start with 'slotnet: ': $stderr"
    expect_eq "$(wc -l <<<"$stderr")" 1 "lines on stderr ($stderr)"
    for part in "$@"; do
        [[ $stderr == *"$part"* ]] || fail "stderr lacks '$part': $stderr"
    done
    expect_eq "$output" "" "stdout"
    expect_eq "$(sn -j dump)" "$before" "dump -j after the refused command"
}

# The IPv4 counter NAME (a column of the Ip: or Icmp: lines of
# /proc/net/snmp) of namespace NS; SNMP_AWK reads it, for guests too (one
# line: the guest's agent takes a command a line), and fails on a name the
# kernel does not count.
# shellcheck disable=SC2016 # the $s are awk's own
SNMP_AWK='$1 == t { if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 } else if (name in col) { print $col[name]; found = 1 } } END { exit !found }'
snmp() { # NS Ip|Icmp NAME
    in_ns "$1" awk -v t="$2:" -v name="$3" "$SNMP_AWK" /proc/net/snmp
}

# A counter of a link: link_stat NS DEV rx.packets (stats64 field path).
link_stat() { # NS DEV FIELD
    ip -n "$1" -s -j link show "$2" | jq ".[0].stats64.$3"
}

# The tenant side of a data-path test.  make_endpoint NAME UNDERLAY VNI
# SLOT-OUTSIDE INNER makes namespace "$P$NAME" (NAME: letters only, so it is
# never taken for a slot) joined to the worker by a veth: the worker's end
# "${P}u$NAME" holds UNDERLAY's /24 with host .254, the endpoint's end u0
# holds UNDERLAY/24.  In the endpoint: a route to SLOT-OUTSIDE through the
# worker, and vx0, a tunnel device of the suite's kind ($TUNNEL; VNI,
# remote SLOT-OUTSIDE; a VXLAN one also local UNDERLAY, port 4789, no
# learning; a Geneve one port 6081) holding INNER (ADDR/LEN).  IPv6 is off
# on every device made here, so nothing but the test's own traffic crosses
# the tunnel.  The worker's teardown removes it all (every
# name starts with P).
make_endpoint() { # NAME UNDERLAY VNI SLOT-OUTSIDE INNER
    local t=$P$1 under=$2 vni=$3 outside=$4 inner=$5 wdev=${P}u$1
    local gw=${under%.*}.254
    ip netns add "$t"
    ip -n "$t" link set lo up
    netns_ipv6_off "$t"
    ip -n "$W" link add "$wdev" type veth peer name u0 netns "$t"
    in_ns "$W" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$wdev/disable_ipv6"
    ip -n "$W" addr add "$gw/24" dev "$wdev"
    ip -n "$t" addr add "$under/24" dev u0
    ip -n "$W" link set "$wdev" up
    ip -n "$t" link set u0 up
    ip -n "$t" route add "$outside/32" via "$gw" dev u0
    if [[ $TUNNEL == vxlan ]]; then
        ip -n "$t" link add vx0 type vxlan id "$vni" remote "$outside" local "$under" \
            dstport 4789 nolearning
    else
        ip -n "$t" link add vx0 type geneve id "$vni" remote "$outside" dstport 6081
    fi
    ip -n "$t" addr add "$inner" dev vx0
    ip -n "$t" link set vx0 up
}

# Points tunnel DEV (VNI) of namespace NS at NEW instead of OLD, behind
# slotnet's back: a VXLAN device's default destination is its all-zeros FDB
# entry; a Geneve device has one remote, changed in place.
tunnel_sends_to() { # NS DEV VNI OLD NEW
    if [[ $TUNNEL == vxlan ]]; then
        bridge -n "$1" fdb del 00:00:00:00:00:00 dev "$2" dst "$4"
        bridge -n "$1" fdb append 00:00:00:00:00:00 dev "$2" dst "$5"
    else
        ip -n "$1" link set "$2" type geneve id "$3" remote "$5"
    fi
}

# Gives slot I's bridge an inner address (the tenant network as the VM sees it).
slot_inner_addr() { # I ADDR/LEN
    ip -n "$P$1" addr add "$2" dev br0
}

# ping from NS to ADDR: pings_ok needs 3 replies (within 5 s, sending more if
# some are lost); pings_lost needs none of 2 to come back (within 2 s).
pings_ok() { # NS ADDR [PING-OPTIONS...]
    local ns=$1 addr=$2
    shift 2
    in_ns "$ns" ping -n -q -c 3 -i 0.2 -w 5 "$@" "$addr" >/dev/null ||
        fail "ping $* $addr from $ns: fewer than 3 replies"
}
pings_lost() { # NS ADDR [PING-OPTIONS...]
    local ns=$1 addr=$2 out
    shift 2
    if out=$(in_ns "$ns" ping -n -c 2 -i 0.2 -w 2 "$@" "$addr" 2>&1); then
        fail "ping $* $addr from $ns got replies: $out"
    fi
    return 0
}

# Starts, in the background (TCP_PID), a receiver in namespace NS that
# accepts one TCP connection on ADDR:5001 and writes what arrives to OUT;
# returns once it listens.  Every socket wait is bounded (30 s), so a broken
# path fails rather than hangs.
tcp_receiver_start() { # NS ADDR OUT
    local ns=$1 addr=$2 out=$3 ready=$3.ready i
    # timeout itself in the background (not in_ns, a function: its subshell
    # would be TCP_PID), so that killing TCP_PID ends the receiver.
    timeout "$SN_TIMEOUT" nsenter --net="/run/netns/$ns" python3 -c '
import socket, sys
addr, out, ready = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 5001))
s.listen(1)
s.settimeout(30)
open(ready, "w").close()
c, _ = s.accept()
c.settimeout(30)
with open(out, "wb") as f:
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        f.write(b)
c.close()
' "$addr" "$out" "$ready" 3>&- &
    TCP_PID=$!
    for ((i = 0; i < 1000; i++)); do
        [[ -e $ready ]] && return 0
        kill -0 "$TCP_PID" 2>/dev/null || break
        sleep 0.01
    done
    [[ -e $ready ]] || fail "the receiver in $ns did not start listening on $addr:5001"
}

# Ends the background end of a TCP test (TCP_PID): killed first if the
# other end failed (RC non-zero), then reaped; returns non-zero if either
# end failed.
tcp_peer_finish() { # RC WHAT
    local rc=$1
    ((rc == 0)) || kill "$TCP_PID" 2>/dev/null || true
    wait "$TCP_PID" || fail "$2 failed" || rc=1
    TCP_PID=
    return "$rc"
}

# tcp_transfer FROM-NS TO-NS ADDR MBYTES: MBYTES of random data sent over one
# TCP connection from FROM-NS to ADDR:5001, listened on in TO-NS; fails
# unless what arrived has the same SHA-256 as what was sent.
tcp_transfer() { # FROM-NS TO-NS ADDR MBYTES
    local from=$1 to=$2 addr=$3 mb=$4 dir rc=0
    dir=$(mktemp -d "$BATS_TEST_TMPDIR/tcp.XXXXXX")
    head -c "$((mb << 20))" /dev/urandom >"$dir/sent"
    tcp_receiver_start "$to" "$addr" "$dir/received" || rc=1
    if ((rc == 0)); then
        in_ns "$from" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 5001), timeout=30)
with open(sys.argv[2], "rb") as f:
    s.sendall(f.read())
s.shutdown(socket.SHUT_WR)
s.recv(1)  # the receiver closes once it has read everything
' "$addr" "$dir/sent" || { echo "the sender in $from failed" >&2; rc=1; }
    fi
    tcp_peer_finish "$rc" "the receiver in $to" || return 1
    expect_eq "$(sha256sum <"$dir/received")" "$(sha256sum <"$dir/sent")" \
        "SHA-256 of the $mb MB that arrived in $to"
    rm -rf "$dir"
}
