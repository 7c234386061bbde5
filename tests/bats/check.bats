#!/usr/bin/env bats
# slotnet check: every kind of drift from what prewarm made, broken by hand
# in a slot of the test's own worker, is named by check (exit 1, the slot
# and the object, as text and -j); prewarm then repairs it and check is
# clean again (exit 0).
load helpers

# The slot every break below is made in, of three.
S=1
OUT=100.64.0.2 # slot 1's outside address (--outside 100.64.0.0/24)

prewarm_three() { # [PREWARM-OPTIONS...]
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL" --outside 100.64.0.0/24 "$@" >/dev/null
}

# check -j's differences as "SLOT OBJECT" lines (the root's slot is "root").
check_objects() {
    sn -j check "$@" | jq -r '.differences[] | "\(.slot // "root") \(.object)"'
}

# After BREAK (a shell command, eval'ed) check exits 1 naming OBJECT of
# slot SLOT (or root), text and -j alike; prewarm repairs it; check exits 0.
assert_found_and_repaired() { # SLOT OBJECT BREAK
    local slot=$1 obj=$2 brk=$3 found
    eval "$brk" || fail "breaking it: $brk" || return
    run --separate-stderr sn check
    assert_status 1
    [[ $output == *"${slot/#root/root}: $obj: expected "* ]] ||
        fail "after '$brk' check does not name '$slot: $obj': $output" || return
    [[ $output == *" slots checked: "* ]] || fail "no summary line: $output" || return
    found=$(check_objects) || true
    grep -qxF "$slot $obj" <<<"$found" ||
        fail "after '$brk' check -j does not name '$slot $obj': $found" || return
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL" --outside 100.64.0.0/24 >/dev/null ||
        fail "prewarm after '$brk' failed" || return
    run --separate-stderr sn check
    [[ $status -eq 0 ]] || fail "after '$brk' and prewarm check still differs: $output" || return
    [[ $output == "3 slots checked: 0 differences in 0 slots ("*" ms)" ]] ||
        fail "a clean check says: $output"
}

# The ingress and egress shared blocks of slot S's veth.
ingress_block() { tc -j -n "$W" qdisc show dev "$P$S" | jq '.[] | select(.kind == "clsact") | .ingress_block'; }

@test "check on a worker just prewarmed exits 0 and says so, text and -j" {
    prewarm_three
    run --separate-stderr sn check
    assert_status 0
    [[ $output =~ ^"3 slots checked: 0 differences in 0 slots ("[0-9]+" ms)"$ ]] || fail "check: $output"
    run --separate-stderr sn -j check
    assert_status 0
    jq -e '.differences == [] and .slots == 3 and .differ == 0 and .slots_differ == 0' <<<"$output" >/dev/null ||
        fail "check -j: $output"
    run --separate-stderr sn -j check 2
    assert_status 0
    jq -e '.slots == 1' <<<"$output" >/dev/null || fail "check -j 2: $output"
}

@test "check names drift inside a slot's namespace and prewarm repairs each" {
    prewarm_three
    assert_found_and_repaired $S "eth0 mtu" "ip -n $P$S link set eth0 mtu 1400"
    assert_found_and_repaired $S "br0 state" "ip -n $P$S link set br0 down"
    assert_found_and_repaired $S "tap0 master" "ip -n $P$S link set tap0 nomaster"
    assert_found_and_repaired $S "tun0 device" "ip -n $P$S link del tun0"
    assert_found_and_repaired $S "tun0 vni" "ip -n $P$S link del tun0 &&
        ip -n $P$S link add tun0 type $TUNNEL id 5 remote $DEFAULT_REMOTE \
            $([[ $TUNNEL == vxlan ]] && echo dstport 4789 nolearning) &&
        ip -n $P$S link set tun0 master br0 mtu $SLOT_MTU up"
    assert_found_and_repaired $S "tun0 remote" "ip -n $P$S link del tun0 &&
        ip -n $P$S link add tun0 type $TUNNEL id $((DUMMY_VNI_BASE + S)) remote 203.0.113.9 \
            $([[ $TUNNEL == vxlan ]] && echo dstport 4789 nolearning) &&
        ip -n $P$S link set tun0 master br0 mtu $SLOT_MTU up"
    if [[ $TUNNEL == vxlan ]]; then
        assert_found_and_repaired $S "tun0 learning" "ip -n $P$S link set tun0 type vxlan learning"
    fi
    assert_found_and_repaired $S "eth0 ipv4 address" "ip -n $P$S addr flush dev eth0"
    assert_found_and_repaired $S "default route" "ip -n $P$S route del default"
    assert_found_and_repaired $S "gateway neighbour" "ip -n $P$S neigh del $GATEWAY_ADDR dev eth0"
    assert_found_and_repaired $S "namespace" "ip netns del $P$S"
}

@test "check names drift of a slot's root side and the maps, and prewarm repairs each" {
    prewarm_three
    assert_found_and_repaired $S "root veth" "ip -n $W link del $P$S"
    assert_found_and_repaired $S "root veth mtu" "ip -n $W link set $P$S mtu 1400"
    assert_found_and_repaired $S "root veth state" "ip -n $W link set $P$S down"
    assert_found_and_repaired $S "root veth ipv6" \
        "in_ns $W sh -c 'echo 0 >/proc/sys/net/ipv6/conf/$P$S/disable_ipv6'"
    assert_found_and_repaired $S "outside route" "ip -n $W route del $OUT/32"
    assert_found_and_repaired $S "outside neighbour" "ip -n $W neigh del $OUT dev $P$S"
    assert_found_and_repaired $S "slots map entry" \
        "bpftool map update pinned $PIN/slots key $S 0 0 0 value \
            $(bpftool map lookup pinned "$PIN/slots" key $S 0 0 0 -j | jq -r '.value[0:12] | join(" ")') 0 0 0 0"
    # A stale key (ifindex 12345) for slot S, as a veth deleted behind prewarm's back leaves:
    # the slot itself is whole, and prewarm removes the key without making it again.
    assert_found_and_repaired root "ifslots entry" \
        "bpftool map update pinned $PIN/ifslots key 0x39 0x30 0 0 value $S 0 0 0"
    bpftool map update pinned "$PIN/ifslots" key 0x39 0x30 0 0 value $S 0 0 0
    expect_eq "$(sn -j prewarm --slots 3 | jq .created)" 0 "slots made again for a stale ifslots key"
    # A binding past the last slot (7 of 3), which no bind makes.
    assert_found_and_repaired root "binding" \
        "bpftool map update pinned $PIN/bindings key 7 0 0 0 value 5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
}

@test "with --attach tc check names a missing qdisc and shared filter, and prewarm repairs them" {
    prewarm_three --attach tc
    assert_found_and_repaired $S "clsact qdisc" "tc -n $W qdisc del dev $P$S clsact"
    assert_found_and_repaired root "ingress filter" "tc -n $W filter del block $(ingress_block)"
}

@test "with --attach tcx check names a missing link, and prewarm repairs it" {
    skip_without_tcx
    prewarm_three --attach tcx
    assert_found_and_repaired $S "tcx egress link" "rm $PIN/links/$P$S-egress"
}

@test "check names a slot's rule set that drifted, and prewarm repairs it" {
    prewarm_three --rules
    run --separate-stderr sn check
    assert_status 0
    assert_found_and_repaired $S "iptables rules" "in_ns $P$S iptables -F FORWARD"
}

@test "check SLOT looks at that slot alone, and refuses a slot that does not exist" {
    prewarm_three
    ip -n "${P}0" link set br0 down
    ip -n "$P$S" link set br0 down
    expect_eq "$(check_objects $S)" "$S br0 state" "check $S's differences"
    run --separate-stderr sn check 3
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == *"'3'"* ]] || fail "check 3: $stderr"
    run --separate-stderr sn -j check 3
    assert_status 2
    jq -e '.error.exit_code == 2' <<<"$output" >/dev/null || fail "check -j 3: $output"
}

@test "check without prewarmed state exits 2 saying so" {
    run --separate-stderr sn check
    assert_status 2
    [[ $stderr == *"no prewarmed state"* ]] || fail "check: $stderr"
}
