#!/usr/bin/env bats
# dump: the pinned configuration and every slot (binding, state, counters),
# as a table or as JSON.
load helpers

@test "dump prints the configuration and one row per slot" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.7 --outside 10.66.0.0/24
    run --separate-stderr sn dump
    assert_status 0
    expect_eq "${lines[0]}" "pin dir $PIN: 3 slots, prefix $P, tunnel $TUNNEL, remote 198.51.100.7, outside 10.66.0.0/24, inside 169.254.1.2/30 via 169.254.1.1, attach tc, underlay MTU 1500, guest MTU 1450" "configuration line"
    local from to
    from=$(bpftool prog show pinned "$PIN/from_slot" -j | jq -r '"\(.tag) (id \(.id))"')
    to=$(bpftool prog show pinned "$PIN/to_slot" -j | jq -r '"\(.tag) (id \(.id))"')
    expect_eq "${lines[1]}" "programs: from_slot tag $from, to_slot tag $to" "programs line"
    [[ ${lines[2]} =~ ^"maps: config 1 ("[0-9]+" B), slots 1024 ("[0-9]+" B), ifslots 1024 ("[0-9]+" B), bindings 1024 ("[0-9]+" B), counters 1024 ("[0-9]+" B); "[0-9]+" B of kernel memory with "[0-9]+" possible CPUs"$ ]] ||
        fail "maps line: ${lines[2]}"
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[3]})" "SLOT NETNS OUTSIDE DUMMY_VNI VNI REMOTE STATE TX_PKTS TX_BYTES TX_DROPS RX_PKTS RX_BYTES RX_DROPS" "header"
    expect_eq "${#lines[@]}" 7 "number of lines"
    for i in 0 1 2; do
        # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
        expect_eq "$(echo ${lines[4 + i]})" "$i $P$i 10.66.0.$((i + 1)) $((16000000 + i)) - 198.51.100.7 free 0 0 0 0 0 0" "row of slot $i"
    done
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "" "stderr"
}

@test "dump -j gives the configuration and one object per slot" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL" --outside 10.66.0.0/24
    run --separate-stderr sn -j dump
    assert_status 0
    expect_eq "$(jq -c .config <<<"$output")" \
        "{\"pin_dir\":\"$PIN\",\"slots\":3,\"prefix\":\"$P\",\"tunnel\":\"$TUNNEL\",\"remote\":\"192.0.2.1\",\"outside\":\"10.66.0.0/24\",\"inside\":\"169.254.1.2/30\",\"gateway\":\"169.254.1.1\",\"attach\":\"tc\",\"underlay_mtu\":1500,\"guest_mtu\":1450,\"abi_version\":6,\"max_slots\":1024}" \
        "config"
    # The pinned programs as bpftool sees them; every map with the kernel's figure for its memory.
    expect_eq "$(jq -c .programs <<<"$output")" \
        "$(for p in from_slot to_slot; do bpftool prog show pinned "$PIN/$p" -j; done |
            jq -c -s '[.[] | {name, tag, id}]')" "programs"
    expect_eq "$(jq -c '[.maps[] | [.name, .id, .key_size, .value_size, .max_entries, .memory]]' <<<"$output")" \
        "$(for m in config slots ifslots bindings counters; do bpftool map show pinned "$PIN/$m" -j; done |
            jq -c -s '[.[] | [.name, .id, .bytes_key, .bytes_value, .max_entries, .bytes_memlock]]')" \
        "maps (name, id, key and value sizes, entries, memory) as bpftool shows them"
    expect_eq "$(jq '[.maps[].memory] | all(. > 0)' <<<"$output")" true "every map's memory is known"
    expect_eq "$(jq '.maps_memory == ([.maps[].memory] | add)' <<<"$output")" true "maps_memory is their sum"
    expect_eq "$(jq '.slots | length' <<<"$output")" 3 "number of slots"
    no_drops='{"malformed":0,"not_ipv4":0,"spoof":0,"dest":0,"unbound":0,"vni":0,"remote":0,"hairpin":0}'
    for i in 0 1 2; do
        ifx=$(ip -n "$W" -j link show "$P$i" | jq .[0].ifindex)
        expect_eq "$(jq -c ".slots[$i]" <<<"$output")" \
            "{\"slot\":$i,\"netns\":\"$P$i\",\"ifindex\":$ifx,\"outside\":\"10.66.0.$((i + 1))\",\"dummy_vni\":$((16000000 + i)),\"vni\":null,\"remote\":\"192.0.2.1\",\"state\":\"free\",\"tx_packets\":0,\"tx_bytes\":0,\"tx_drops\":0,\"rx_packets\":0,\"rx_bytes\":0,\"rx_drops\":0,\"drops\":{\"tx\":$no_drops,\"rx\":$no_drops},\"netns_path\":\"/run/netns/$P$i\",\"tap\":\"tap0\",\"guest_mtu\":1450,\"guest_mac\":null,\"guest_addr\":null}" \
            "slot $i"
    done
    expect_eq "$stderr" "" "stderr"
}

@test "dump shows bindings, states, remotes and zero drop reasons" {
    prewarm4
    sn bind 1 --vni 4242
    sn bind 2 --vni 77 --remote 198.51.100.9
    run --separate-stderr sn dump
    assert_status 0
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[4]})" "0 ${P}0 100.64.0.1 16000000 - $DEFAULT_REMOTE free 0 0 0 0 0 0" "row of slot 0"
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[5]})" "1 ${P}1 100.64.0.2 16000001 4242 $DEFAULT_REMOTE bound 0 0 0 0 0 0" "row of slot 1"
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[6]})" "2 ${P}2 100.64.0.3 16000002 77 198.51.100.9 bound 0 0 0 0 0 0" "row of slot 2"
    run --separate-stderr sn -j dump
    assert_status 0
    expect_eq "$(jq -c '[.slots[] | {vni, remote, state}]' <<<"$output")" \
        "[{\"vni\":null,\"remote\":\"$DEFAULT_REMOTE\",\"state\":\"free\"},{\"vni\":4242,\"remote\":\"$DEFAULT_REMOTE\",\"state\":\"bound\"},{\"vni\":77,\"remote\":\"198.51.100.9\",\"state\":\"bound\"},{\"vni\":null,\"remote\":\"$DEFAULT_REMOTE\",\"state\":\"free\"}]" \
        "bindings in dump -j"
    zero='{"malformed":0,"not_ipv4":0,"spoof":0,"dest":0,"unbound":0,"vni":0,"remote":0,"hairpin":0}'
    expect_eq "$(jq -c '[.slots[].drops] | unique' <<<"$output")" "[{\"tx\":$zero,\"rx\":$zero}]" "drop reasons"
}

@test "dump SLOT shows that slot alone" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL"
    run --separate-stderr sn -j dump 1
    assert_status 0
    expect_eq "$(jq -c '[.config.slots, (.slots | length), .slots[0].slot, .slots[0].netns, .slots[0].outside, .slots[0].dummy_vni]' <<<"$output")" \
        "[3,1,1,\"${P}1\",\"100.64.0.2\",16000001]" "dump -j 1"

    run --separate-stderr sn dump 2
    assert_status 0
    expect_eq "${#lines[@]}" 4 "lines of dump 2"
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[2]})" "2 ${P}2 100.64.0.3 16000002 - 192.0.2.1 free 0 0 0 0 0 0" "row of slot 2"
    expect_eq "${lines[3]}" "       vmm: netns /run/netns/${P}2, tap tap0, MTU 1450, MAC any (no rules), address any" "vmm line of slot 2"
}

@test "dump whose output cannot be written exits 1 naming the error" {
    sn -q prewarm --slots 1 --prefix "$P" --tunnel "$TUNNEL"
    dump_to_full() { sn dump >/dev/full; }
    run --separate-stderr dump_to_full
    assert_status 1
    expect_eq "$stderr" "slotnet: dump: writing the output: No space left on device" "stderr"
}

@test "dump of a slot out of range exits 2 naming it and the range" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL"
    run --separate-stderr sn dump 3
    assert_status 2
    expect_eq "$stderr" "slotnet: dump: slot '3': out of range (3 slots prewarmed: 0..2)" "message"
    expect_eq "$output" "" "stdout"
    run sn dump x
    assert_status 2
    assert_output_has "slotnet: dump: slot 'x': not a decimal number (3 slots prewarmed: 0..2)"
    run sn dump -- -1
    assert_status 2
    assert_output_has "slotnet: dump: slot '-1': not a decimal number"
    run sn dump 1 2
    assert_status 2
    assert_output_has "slotnet: dump: unexpected argument '2'"
}

@test "dump without prewarmed state exits 2 and creates nothing" {
    run sn dump
    assert_status 2
    assert_output_has "slotnet: dump: no prewarmed state in $PIN"
    assert_nothing_created
    run sn -j dump 0
    assert_status 2
    assert_output_has "no prewarmed state in $PIN"
    assert_nothing_created
}
