#!/usr/bin/env bats
load helpers

@test "teardown removes the slots, root veths, routes and pins" {
    sn -q prewarm --slots 20 --prefix "$P" --tunnel vxlan
    run sn teardown
    assert_status 0
    assert_output_has "removed 20 slots"
    [ "$(slot_count)" -eq 0 ]
    [ "$(root_veth_count)" -eq 0 ]
    [ -z "$(ip -n "$W" route)" ]
    [ -z "$(ip -n "$W" neigh)" ]
    [ ! -e "$PIN" ]
}

@test "teardown leaves another pin directory's slots and foreign links alone" {
    sn -q prewarm --slots 5 --prefix "$P" --tunnel vxlan
    other_pin="${PIN}-other"
    nsenter --net="/run/netns/$W" "$SLOTNET" -q --pin-dir "$other_pin" \
        prewarm --slots 3 --prefix "${P}o" --tunnel vxlan --outside 10.88.0.0/24
    # Looks like ours, but slot 9 does not exist; its peer is foreign too.
    ip -n "$W" link add "${P}9" type veth peer name decoy

    run sn teardown
    assert_status 0
    [ "$(slot_count)" -eq 0 ]
    ip -n "$W" link show decoy
    ip -n "$W" link show "${P}9"
    [ "$(ip netns list | grep -cE "^${P}o[0-9]+")" -eq 3 ]
    run nsenter --net="/run/netns/$W" "$SLOTNET" -j --pin-dir "$other_pin" dump
    assert_status 0
    [ "$(echo "$output" | jq '.slots | length')" -eq 3 ]

    nsenter --net="/run/netns/$W" "$SLOTNET" -q --pin-dir "$other_pin" teardown
    [ "$(ip netns list | grep -cE "^${P}o[0-9]+")" -eq 0 ]
    [ ! -e "$other_pin" ]
}

@test "teardown twice exits 0 and says there is nothing to remove" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel vxlan
    sn -q teardown
    run sn teardown
    assert_status 0
    assert_output_has "nothing to remove"
}

@test "teardown with nothing ever pinned exits 0 and changes nothing" {
    run sn teardown
    assert_status 0
    assert_output_has "nothing to remove"
    assert_nothing_created
}

@test "teardown after a prewarm killed midway removes everything" {
    sn_background -q prewarm --slots 600 --prefix "$P" --tunnel vxlan
    kill_prewarm_after 50
    run sn teardown
    assert_status 0
    [ "$(slot_count)" -eq 0 ]
    [ "$(root_veth_count)" -eq 0 ]
    [ ! -e "$PIN" ]
}
