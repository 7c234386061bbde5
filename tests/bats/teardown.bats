#!/usr/bin/env bats
# teardown: removes everything prewarm made for one pin directory, and
# nothing else; safe to repeat, and after a crashed prewarm.
load helpers

@test "teardown removes the slot namespaces, root veths, routes, neighbours and pins" {
    sn -q prewarm --slots 20 --prefix "$P" --tunnel "$TUNNEL"
    assert_all_slots_whole 20
    run --separate-stderr sn teardown
    assert_status 0
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "slotnet: teardown: removed 20 slots (prefix $P) and the pins in $PIN" "message"
    expect_eq "$(compgen -G "/run/netns/$P*" | wc -l)" 0 "namespaces of the prefix"
    expect_eq "$(ip -n "$W" -j link show | jq -r '[.[].ifname] | join(" ")')" lo "links in the worker"
    expect_eq "$(ip -n "$W" -j -4 route show | jq length)" 0 "routes in the worker"
    expect_eq "$(ip -n "$W" -j neigh show | jq length)" 0 "neighbours in the worker"
    [[ ! -e $PIN ]] || fail "$PIN still exists"
}

@test "teardown removes only its own prefix and pin directory" {
    # Two slotnet instances in one worker need prefixes whose names cannot
    # match each other (nor each other's PREFIX+ rules): ${P}a and ${P}o.
    local A=${P}a
    sn -q prewarm --slots 5 --prefix "$A" --tunnel "$TUNNEL"
    # Another slotnet instance in the same worker: its own pin directory and prefix.
    other_pin="$PIN-other"
    snw -q --pin-dir "$other_pin" prewarm --slots 3 --prefix "${P}o" --tunnel "$TUNNEL" --outside 10.88.0.0/24
    # A hand-made decoy of another prefix: a namespace with a veth to the worker, a route and a neighbour.
    ip netns add "${P}d0"
    ip -n "$W" link add "${P}d0" type veth peer name eth0 netns "${P}d0"
    ip -n "$W" link set "${P}d0" up
    ip -n "$W" route add 10.99.0.1/32 dev "${P}d0"
    ip -n "$W" neigh add 10.99.0.1 lladdr 02:00:00:00:00:99 dev "${P}d0" nud permanent
    # Named like one of ours, but slot 9 does not exist (5 slots) and it was not made by prewarm.
    ip -n "$W" link add "${A}9" type veth peer name "${A}9p"
    other_inodes=$(for s in "${P}o0" "${P}o1" "${P}o2" "${P}d0"; do stat -L -c %i "/run/netns/$s"; done)

    run sn teardown
    assert_status 0
    expect_eq "$(compgen -G "/run/netns/$A*" | wc -l)" 0 "namespaces of prefix $A"
    expect_eq "$(ip -n "$W" -j link show | jq -r '[.[].ifname] | sort | join(" ")')" \
        "$(printf '%s\n' lo "${A}9" "${A}9p" "${P}d0" "${P}o0" "${P}o1" "${P}o2" | sort | tr '\n' ' ' | sed 's/ $//')" \
        "links left in the worker"
    expect_eq "$(for s in "${P}o0" "${P}o1" "${P}o2" "${P}d0"; do stat -L -c %i "/run/netns/$s"; done)" \
        "$other_inodes" "the other namespaces (inodes)"
    expect_eq "$(ip -n "$W" -j -4 route show | jq -r '[.[] | "\(.dst) \(.dev)"] | sort | join(",")')" \
        "10.88.0.1 ${P}o0,10.88.0.2 ${P}o1,10.88.0.3 ${P}o2,10.99.0.1 ${P}d0" "routes left in the worker"
    expect_eq "$(ip -n "$W" -j neigh show 10.99.0.1 | jq -r '.[0] | "\(.dev) \(.lladdr) \(.state | join(","))"')" \
        "${P}d0 02:00:00:00:00:99 PERMANENT" "the decoy's neighbour"
    run --separate-stderr snw -j --pin-dir "$other_pin" dump
    assert_status 0
    expect_eq "$(jq -c '[.config.prefix, ([.slots[].state] | join(","))]' <<<"$output")" \
        "[\"${P}o\",\"free,free,free\"]" "the other instance's dump"
    [[ ! -e $PIN ]] || fail "$PIN still exists"
    [[ -e $other_pin/config ]] || fail "$other_pin was removed"

    # And the other instance's own teardown removes just its 3 slots.
    run snw --pin-dir "$other_pin" teardown
    assert_status 0
    assert_output_has "removed 3 slots (prefix ${P}o)"
    expect_eq "$(compgen -G "/run/netns/${P}o*" | wc -l)" 0 "namespaces of prefix ${P}o"
    [[ -e /run/netns/${P}d0 ]] || fail "the decoy namespace was removed"
    [[ ! -e $other_pin ]] || fail "$other_pin still exists"
}

@test "teardown twice exits 0 and the second says there is nothing to remove" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL"
    run sn teardown
    assert_status 0
    assert_output_has "removed 3 slots"
    run --separate-stderr sn teardown
    assert_status 0
    expect_eq "$stderr" "slotnet: teardown: nothing to remove in $PIN" "message"
    assert_nothing_created
}

@test "teardown with nothing ever pinned exits 0 and changes nothing" {
    run sn teardown
    assert_status 0
    assert_output_has "slotnet: teardown: nothing to remove in $PIN"
    assert_nothing_created
}

@test "teardown after a prewarm killed midway removes everything" {
    scale_test
    sn_background -q prewarm --slots 300 --prefix "$P" --tunnel "$TUNNEL"
    kill_prewarm_midway 100 300
    echo "# killed with $KILLED_AT namespaces and $(root_veth_count) root veths" >&3
    [[ $(sn -j dump | jq '[.slots[] | select(.state == "incomplete")] | length') -gt 0 ]] ||
        fail "no incomplete slot after the kill"
    run sn teardown
    assert_status 0
    assert_output_has "removed 300 slots (prefix $P)"
    assert_nothing_created
}

@test "teardown deletes a renamed root veth with the rest of slotnet's group, in one request" {
    scale_test
    sn -q prewarm --slots 600 --prefix "$P" --tunnel "$TUNNEL"
    ip -n "$W" link set "${P}3" down
    ip -n "$W" link set "${P}3" name "${P}r3"
    # Slot 3's namespace held open: its veth pair cannot go with the namespace,
    # only the root veth's own deletion removes it.
    exec {hold}<"/run/netns/${P}3"
    run --separate-stderr sn -v teardown
    assert_status 0
    expect_eq "$(ip -n "$W" -j link show | jq -r '[.[].ifname] | join(" ")')" lo "links in the worker"
    [[ $stderr =~ "slotnet: teardown: removed the root veths: 600 links of group 0x"[0-9a-f]{8}" in one request" ]] ||
        fail "no one-request line for the 600 root veths: $stderr"
    exec {hold}<&-
    expect_eq "$(slot_count)" 0 "namespaces of prefix $P"
    [[ ! -e $PIN ]] || fail "$PIN still exists"
}

@test "teardown leaves a bridge named like a slot alone and says so" {
    sn -q prewarm --slots 10 --prefix "$P" --tunnel "$TUNNEL"
    ip -n "$W" link del "${P}7"
    ip -n "$W" link add "${P}7" type bridge
    run --separate-stderr sn teardown
    assert_status 0
    expect_eq "$(ip -n "$W" -j -d link show | jq -r '[.[] | "\(.ifname)=\(.linkinfo.info_kind // "-")"] | sort | join(" ")')" \
        "${P}7=bridge lo=-" "links left in the worker"
    expect_eq "$stderr" "slotnet: teardown: left ${P}7 alone: not in slotnet's group
slotnet: teardown: removed 10 slots (prefix $P) and the pins in $PIN" "messages"
    expect_eq "$(slot_count)" 0 "namespaces of prefix $P"
    [[ ! -e $PIN ]] || fail "$PIN still exists"
}
