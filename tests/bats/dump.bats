#!/usr/bin/env bats
load helpers

@test "dump shows the configuration and a row per slot" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel vxlan --remote 198.51.100.7 --outside 10.66.0.0/24
    run sn dump
    assert_status 0
    assert_output_has "3 slots, prefix $P, tunnel vxlan, remote 198.51.100.7, outside 10.66.0.0/24"
    [ "$(echo "$output" | grep -cE "^[0-2] +${P}[0-2] +10\.66\.0\.[1-3] +1600000[0-2] +- +198\.51\.100\.7 +free ")" -eq 3 ]
}

@test "dump -j gives the configuration and one object per slot" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel vxlan --outside 10.66.0.0/24
    run sn -j dump
    assert_status 0
    echo "$output" | jq -e '.config | .slots == 3 and .prefix == "'"$P"'" and .tunnel == "vxlan"
        and .remote == "192.0.2.1" and .outside == "10.66.0.0/24" and .inside == "169.254.1.2/30"
        and .gateway == "169.254.1.1" and .abi_version == 1'
    echo "$output" | jq -e '.slots[2] | .slot == 2 and .netns == "'"${P}2"'"
        and .outside == "10.66.0.3" and .dummy_vni == 16000002 and .vni == null
        and .remote == "192.0.2.1" and .state == "free" and .tx_packets == 0 and .rx_drops == 0'
    ifx=$(ip -n "$W" -o link show "${P}2" | cut -d: -f1)
    [ "$(echo "$output" | jq '.slots[2].ifindex')" -eq "$ifx" ]
}

@test "dump SLOT shows that slot alone" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel vxlan
    run sn -j dump 1
    assert_status 0
    [ "$(echo "$output" | jq '.slots | length')" -eq 1 ]
    [ "$(echo "$output" | jq -r '.slots[0].outside')" = 100.64.0.2 ]
}

@test "dump of a slot out of range exits 2" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel vxlan
    run sn dump 3
    assert_status 2
    assert_output_has "slot '3': out of range (slots are 0..2)"
    run sn dump x
    assert_status 2
    assert_output_has "slot 'x': not a decimal number"
}

@test "dump without prewarmed state exits 2" {
    run sn dump
    assert_status 2
    assert_output_has "no prewarmed state in $PIN"
    assert_nothing_created
}

@test "dump reports a half-made slot as incomplete" {
    sn_background -q prewarm --slots 600 --prefix "$P" --tunnel vxlan
    kill_prewarm_after 100
    run sn -j dump
    assert_status 0
    [ "$(echo "$output" | jq '[.slots[] | select(.state == "incomplete")] | length')" -gt 0 ]
}
