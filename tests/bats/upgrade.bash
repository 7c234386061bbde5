# Upgrades in place, for upgrade.bats (load helpers first; its setup_file
# calls old_release_build): the previous release's slotnet, built from this
# repository's history; a counted UDP stream through a slot, echoed back by
# the tenant; and a check that the pinned maps, the pinned programs and what
# is attached to the slots' veths are wholly one release's state.

# The previous release (OLD_RELEASE, OLD_ABI) and its build
# (old_release_build, which sets OLD_SLOTNET): scripts/old-release.sh,
# shared with scripts/bench-upgrade.sh.  The map ABI this tree's slotnet
# upgrades them to:
# shellcheck source=scripts/old-release.sh
. "$REPO/scripts/old-release.sh"
NEW_ABI=6

# The previous release's slotnet inside the worker, with this test's pins.
sn_old() { in_ns "$W" "$OLD_SLOTNET" --pin-dir "$PIN" "$@"; }

# Every slot's binding (slot, vni, remote, state), one compact JSON array,
# from a dump -j on stdin.
bindings_of() { jq -c '[.slots[] | {slot, vni, remote, state}]'; }

# The tags of the programs this tree's slotnet loads: "FROM TO", from the
# lines `slotnet --version` prints after its first (as root).
new_tags() {
    local v from to
    v=$("$SLOTNET" --version)
    from=$(awk '$1 == "from_slot" && $2 == "tag" { print $3 }' <<<"$v")
    to=$(awk '$1 == "to_slot" && $2 == "tag" { print $3 }' <<<"$v")
    [[ $from =~ ^[0-9a-f]{16}$ && $to =~ ^[0-9a-f]{16}$ ]] ||
        fail "slotnet --version prints no from_slot and to_slot tags: $v" || return
    echo "$from $to"
}

# The tags of the pinned programs, "FROM TO".
pinned_tags() {
    echo "$(bpftool prog show pinned "$PIN/from_slot" -j | jq -r .tag)" \
        "$(bpftool prog show pinned "$PIN/to_slot" -j | jq -r .tag)"
}

# The map ABI of the pinned state, on stdout, once it is known to be wholly
# the previous release's (OLD_ABI) or wholly this tree's (NEW_ABI), never a
# mix of the two:
#   - the pinned configuration's abi_version (its first field, read with
#     bpftool, not slotnet) is OLD_ABI and the old slotnet dumps the pins, or
#     NEW_ABI and this tree's does; the dump says the same version and as
#     many slots as there are root veths;
#   - the pinned from_slot and to_slot are that release's programs: the tags
#     OLD_TAGS ("FROM TO", which the test reads from the old release's pins)
#     or those `slotnet --version` prints;
#   - they are what every slot's root veth runs: ingress from_slot, egress
#     to_slot (tc: the shared filter blocks, as bpftool net lists them in
#     the worker; tcx: the pinned links);
#   - the maps both programs use are the pinned maps: by name, exactly one
#     map each, with the pinned map's id.
# The pinned configuration's abi_version (its first field, little-endian), read with bpftool.
pinned_abi_word() {
    local abi
    abi=$(bpftool map lookup pinned "$PIN/config" key 0 0 0 0 -j |
        jq -r '.value[0:4] | map(ltrimstr("0x")) | reverse | join("")')
    [[ $abi =~ ^[0-9a-f]{8}$ ]] || fail "$PIN/config: no abi_version in its first 4 bytes ('$abi')" || return
    echo $((16#$abi))
}

pinned_state_abi() {
    local abi dump want got slots attach dev dir pinned used from to
    abi=$(pinned_abi_word) || return
    # The top bit: an upgrade had begun moving the state to new maps (and was stopped).
    ((!(abi & 0x80000000))) || fail "$PIN/config: abi_version $(printf %#x "$abi"): ABI $((abi & 0x7fffffff))" \
        "with the upgrade's moving bit set, a state between the two releases" || return
    case $abi in
        "$OLD_ABI") dump=$(sn_old -j dump) || fail "ABI $abi pins: the old slotnet cannot dump them" || return
            want=$OLD_TAGS ;;
        "$NEW_ABI") dump=$(sn -j dump) || fail "ABI $abi pins: this slotnet cannot dump them" || return
            want=$(new_tags) || return ;;
        *) fail "the pinned configuration has map ABI $abi, neither $OLD_ABI nor $NEW_ABI"; return ;;
    esac
    # The dump: its ABI, and as many slots as there are root veths.
    read -r got slots attach <<<"$(jq -r '"\(.config.abi_version) \(.config.slots) \(.config.attach)"' <<<"$dump")"
    expect_eq "$got $slots" "$abi $(root_veth_count)" "dump -j: abi_version and slots (as many as root veths)" ||
        return

    # The pinned programs' ids and tags.
    from=$(bpftool prog show pinned "$PIN/from_slot" -j | jq -r .id)
    to=$(bpftool prog show pinned "$PIN/to_slot" -j | jq -r .id)
    [[ $from =~ ^[0-9]+$ && $to =~ ^[0-9]+$ ]] || fail "$PIN: from_slot '$from', to_slot '$to': not pinned programs" ||
        return
    expect_eq "$(pinned_tags)" "$want" "tags of the pinned from_slot and to_slot (ABI $abi's release)" || return

    want=$(for dev in $(root_veth_names); do
        echo "$dev ingress $from"
        echo "$dev egress $to"
    done | sort)
    case $attach in
        tc) got=$(in_ns "$W" bpftool net show -j | jq -r --arg re "^${P}[0-9]+$" \
            '.[0].tc[] | select(.devname | test($re)) | "\(.devname) \(.kind | ltrimstr("clsact/")) \(.id)"' | sort) ;;
        tcx) got=$(for dev in $(root_veth_names); do
            for dir in ingress egress; do
                # "ID: type 11  prog PROG" (bpftool 7.1 names no device: the pin does).
                echo "$dev $dir $(bpftool link show pinned "$PIN/links/$dev-$dir" 2>&1 |
                    awk '{ for (i = 1; i < NF; i++) if ($i == "prog") p = $(i + 1) } END { print p ? p : "none" }')"
            done
        done | sort) ;;
        *) fail "dump -j: attach '$attach'"; return ;;
    esac
    [[ $got == "$want" ]] || {
        echo "programs on the root veths (DEV DIRECTION PROG-ID) are not the pinned ones (< pinned, > attached):" >&2
        diff <(echo "$want") <(echo "$got") | head -20 >&2
        return 1
    }

    # The pinned maps, "NAME ID" by their kernel names; then those of these
    # names that each program uses, from every map there is.
    pinned=$(for dir in config slots ifslots bindings counters; do
        bpftool map show pinned "$PIN/$dir" -j || echo '{"name": "'"$dir"'", "id": "missing"}'
    done | jq -r '"\(.name) \(.id)"' | LC_ALL=C sort)
    used=$( (bpftool map show -j && bpftool prog show pinned "$PIN/from_slot" -j &&
        bpftool prog show pinned "$PIN/to_slot" -j) | jq -r -s --arg pinned "$pinned" '
        ($pinned | split("\n") | map(split(" ")[0])) as $names
        | (.[0] | map({key: (.id | tostring), value: .name}) | from_entries) as $name_of
        | .[1:][] | .name as $prog
        | [.map_ids[] | tostring | select($name_of[.] as $n | $names | index([$n])) | "\($name_of[.]) \(.)"]
        | sort | "\($prog): \(join(", "))"')  # jq sorts by code point, as LC_ALL=C sort
    expect_eq "$used" "from_slot: ${pinned//$'\n'/, }"$'\n'"to_slot: ${pinned//$'\n'/, }" \
        "the programs' maps (PROG: NAME ID, ...) against the pinned maps" || return
    echo "$abi"
}

# ---------------------------------------------------------------------------
# A counted UDP stream.  stream_start NAME FROM-NS TO-NS TO-ADDR starts, in
# the background, an echo in TO-NS on TO-ADDR:$STREAM_PORT, then a sender in
# FROM-NS that sends it STREAM_RATE datagrams a second (after a stall of the
# sender, on at that rate, not in a burst), 64 bytes each, the first 8 its
# sequence number, and counts the echoes; both hold 4 MB of datagrams
# unread (SO_RCVBUFFORCE: the default would be a fraction of a second's
# worth, too little should a process stall); returns once the first
# datagram has arrived.  stream_stop NAME (not in a subshell: it waits for
# them) stops the sender, which then waits up to 2 s for the last echoes,
# and then the echo; stream_counts NAME then prints what both counted, one
# JSON object: sent, echoed (distinct sequence numbers back at the sender),
# dups, bogus, errors (send and receive errors: an ICMP error from the
# path), max_gap_us (the longest time between two echoes), received and
# echo_dups (at the echo).  Both ends are scripts/udp-stream.py (shared with
# scripts/bench-upgrade.sh).  Every process runs under a timeout, and
# teardown ends any still running (streams_end, STREAM_PIDS).
STREAM_RATE=2000
STREAM_PORT=5002

stream_start() { # NAME FROM-NS TO-NS TO-ADDR
    local d=$BATS_TEST_TMPDIR/stream-$1 from=$2 to=$3 addr=$4 i
    mkdir -p "$d"
    # timeout itself in the background (no subshell between), so that its
    # pid is the one to stop; it passes a TERM on to python.
    timeout "$SN_TIMEOUT" nsenter --net="/run/netns/$to" python3 "$REPO/scripts/udp-stream.py" echo \
        "$addr" "$STREAM_PORT" "$d/ready" "$d/flowing" "$d/stop-echo" "$d/echo.json" 2>"$d/echo.err" 3>&- &
    echo $! >"$d/echo.pid"
    STREAM_PIDS+=" $!"
    for ((i = 0; i < 500; i++)); do
        [[ ! -e $d/ready ]] || break
        sleep 0.01
    done
    [[ -e $d/ready ]] || fail "stream $1: the echo in $to did not start: $(cat "$d/echo.err")" || return
    timeout "$SN_TIMEOUT" nsenter --net="/run/netns/$from" python3 "$REPO/scripts/udp-stream.py" send \
        "$addr" "$STREAM_PORT" "$STREAM_RATE" "$d/stop-send" "$d/send.json" 2>"$d/send.err" 3>&- &
    echo $! >"$d/send.pid"
    STREAM_PIDS+=" $!"
    for ((i = 0; i < 500; i++)); do
        [[ ! -e $d/flowing ]] || break
        sleep 0.01
    done
    [[ -e $d/flowing ]] || fail "stream $1: nothing from $from arrived at $addr in $to within 5 s"
}

stream_stop() { # NAME
    local d=$BATS_TEST_TMPDIR/stream-$1
    touch "$d/stop-send"
    wait "$(cat "$d/send.pid")" || fail "stream $1: the sender failed: $(cat "$d/send.err")" || return
    touch "$d/stop-echo"
    wait "$(cat "$d/echo.pid")" || fail "stream $1: the echo failed: $(cat "$d/echo.err")"
}
stream_counts() { # NAME
    local d=$BATS_TEST_TMPDIR/stream-$1
    jq -s -c 'add | del(.gaps)' "$d/send.json" "$d/echo.json"
}

# Fails unless the stream's counts (stream_counts' JSON) say: at least
# STREAM_RATE datagrams sent (a second's worth), every one of them arrived
# once and came back once, and nothing else or wrong arrived.
assert_stream_lossless() { # NAME JSON
    jq -e '.sent >= '"$STREAM_RATE"' and .received == .sent and .echoed == .sent
        and .dups == 0 and .echo_dups == 0 and .bogus == 0 and .errors == 0' <<<"$2" >/dev/null ||
        fail "stream $1 lost or garbled datagrams: $2"
}

# Ends every stream still running: teardown, pass or fail.
streams_end() {
    local pid
    for pid in ${STREAM_PIDS:-}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    STREAM_PIDS=
}

# Slot I's tenant and the slot stop asking for each other's MACs: permanent
# neighbours, slot I's br0 for the tenant's address at the MAC of endpoint
# NS's vx0, and the endpoint's vx0 for the slot's ADDR at br0's MAC; from
# then on nothing but the test's own packets crosses slot I's eth0.
quiet_neighbours() { # I NS SLOT-ADDR TENANT-ADDR
    local i=$1 ns=$2 slot_addr=$3 tenant_addr=$4
    ip -n "$P$i" neigh replace "$tenant_addr" dev br0 nud permanent \
        lladdr "$(ip -n "$ns" -j link show vx0 | jq -r '.[0].address')"
    ip -n "$ns" neigh replace "$slot_addr" dev vx0 nud permanent \
        lladdr "$(ip -n "$P$i" -j link show br0 | jq -r '.[0].address')"
}

# Slot I's object in dump -j output (on stdin), compact.
slot_of() { jq -c --argjson i "$1" '.slots[] | select(.slot == $i)'; }

# Slot I's counters in dump's slot object SLOT-JSON are exactly what its eth0
# sent and received: [tx packets + drops, tx bytes, rx packets, rx bytes].
assert_counts_as_eth0() { # I SLOT-JSON WHEN
    expect_eq "$(jq -c '[.tx_packets + .tx_drops, .tx_bytes, .rx_packets, .rx_bytes]' <<<"$2")" \
        "$(ip -n "$P$1" -s -j link show eth0 | jq -c '.[0].stats64 | [.tx.packets, .tx.bytes, .rx.packets, .rx.bytes]')" \
        "slot $1 $3: [tx packets + drops, tx bytes, rx packets, rx bytes] against its eth0's counters"
}
