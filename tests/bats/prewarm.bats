#!/usr/bin/env bats
# prewarm: creates every slot with its exact anatomy, is idempotent, grows,
# repairs what a crash or a hand left half-made, and refuses to change the
# pinned configuration.
load helpers

@test "prewarm of 300 slots creates every slot namespace, root veth, route and neighbour" {
    scale_test
    run --separate-stderr sn -j prewarm --slots 300 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.7
    assert_status 0
    expect_eq "$(jq -c '[keys_unsorted, .slots, .created, .pin_dir, (.ms | type), .upgraded, .programs_replaced]' <<<"$output")" \
        "[[\"slots\",\"created\",\"repaired\",\"pin_dir\",\"ms\",\"upgraded\",\"programs_replaced\"],300,300,\"$PIN\",\"number\",false,false]" "prewarm -j report"

    assert_all_slots_whole 300
    assert_root_routes_and_neighbours 300
    # The root veths are exactly P0..P299 (names as the namespaces).
    expect_eq "$(root_veth_names | sort | tr '\n' ' ')" "$(slot_names | sort | tr '\n' ' ')" "root veth names"
    for i in 0 1 63 64 299; do
        assert_slot_anatomy "$i" 198.51.100.7
    done
    # Slot 299's outside address is the 300th host of 100.64.0.0/16.
    expect_eq "$(nth_host 100.64.0.0/16 299)" 100.64.1.44 "nth_host"
    expect_eq "$(ip -n "$W" -j route show 100.64.1.44 | jq -r '.[0].dev')" "${P}299" "route to 100.64.1.44"
    # Pinned state.
    for f in config slots bindings counters; do
        [[ -e $PIN/$f ]] || fail "$PIN/$f is not pinned"
    done
}

@test "prewarm prints one summary line and nothing on stderr with -q" {
    run --separate-stderr sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    [[ $output =~ ^2\ slots\ ready\ \(2\ created,\ 0\ repaired\)\ in\ $PIN\ in\ [0-9]+\ ms$ ]] ||
        fail "unexpected summary: '$output'"
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "" "stderr with -q"
}

@test "prewarm re-run with the same arguments changes nothing" {
    sn -q prewarm --slots 50 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.7
    inodes=$(slot_inodes)
    ifindexes=$(worker_ifindexes)
    routes=$(ip -n "$W" route show)
    neighbours=$(ip -n "$W" neigh show | sort)
    [[ $(wc -l <<<"$inodes") -eq 50 ]]

    run --separate-stderr sn -j prewarm --slots 50 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.7
    assert_status 0
    expect_eq "$(jq -c '[.slots, .created]' <<<"$output")" "[50,0]" "slots and created"
    expect_eq "$(slot_inodes)" "$inodes" "slot namespace inodes"
    expect_eq "$(worker_ifindexes)" "$ifindexes" "worker links and ifindexes"
    expect_eq "$(ip -n "$W" route show)" "$routes" "worker routes"
    expect_eq "$(ip -n "$W" neigh show | sort)" "$neighbours" "worker neighbours"
    assert_slot_anatomy 49 198.51.100.7
}

@test "prewarm without --slots on existing state keeps the pinned count and changes nothing" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL"
    inodes=$(slot_inodes)
    run --separate-stderr sn -j prewarm
    assert_status 0
    expect_eq "$(jq -c '[.slots, .created]' <<<"$output")" "[4,0]" "slots and created"
    expect_eq "$(slot_inodes)" "$inodes" "slot namespace inodes"
}

@test "prewarm to twice the slots creates only the missing ones and leaves the old untouched" {
    sn -q prewarm --slots 40 --prefix "$P" --tunnel "$TUNNEL"
    inodes=$(slot_inodes)
    ifindexes=$(worker_ifindexes)
    [[ $(wc -l <<<"$inodes") -eq 40 ]]

    run --separate-stderr sn -j prewarm --slots 80 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    expect_eq "$(jq -c '[.slots, .created]' <<<"$output")" "[80,40]" "slots and created"
    # Old slots: same namespaces, same root veths (ifindexes).
    expect_eq "$(slot_inodes | grep -E "^${P}([0-9]|[1-3][0-9]) ")" "$inodes" "old slots' namespace inodes"
    expect_eq "$(worker_ifindexes | grep -E "^(lo|${P}([0-9]|[1-3][0-9])) ")" "$ifindexes" "old root veths' ifindexes"
    assert_all_slots_whole 80
    assert_root_routes_and_neighbours 80
    assert_slot_anatomy 0
    assert_slot_anatomy 40
    assert_slot_anatomy 79
    expect_eq "$(sn -j dump | jq -c '[.config.slots, ([.slots[].state] | unique)]')" '[80,["free"]]' "dump"
}

@test "prewarm re-run with only --slots inherits the pinned prefix, tunnel, remote and outside" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.9 --outside 10.77.0.0/24
    run --separate-stderr sn prewarm --slots 3
    assert_status 0
    [[ $output == "3 slots ready (1 created, 0 repaired) in $PIN in "* ]] || fail "summary: $output"
    assert_all_slots_whole 3
    assert_root_routes_and_neighbours 3 10.77.0.0/24
    assert_slot_anatomy 2 198.51.100.9 10.77.0.0/24
    expect_eq "$(sn -j dump | jq -c '.config | [.prefix, .tunnel, .remote, .outside]')" \
        "[\"$P\",\"$TUNNEL\",\"198.51.100.9\",\"10.77.0.0/24\"]" "pinned configuration"
}

@test "prewarm killed with SIGKILL midway leaves incomplete slots that a re-run completes" {
    scale_test
    # One worker, so chunks finish in order and the first one is done by the kill.
    sn_background -q prewarm --slots 300 --prefix "$P" --tunnel "$TUNNEL" --jobs 1
    kill_prewarm_midway 100 300
    echo "# killed with $KILLED_AT namespaces and $(root_veth_count) root veths" >&3
    # What the killed run finished (whole chunks of 64) must survive the re-run untouched.
    before=$(sn -j dump)
    free_before=$(jq '[.slots[] | select(.state == "free")] | length' <<<"$before")
    incomplete_before=$(jq '[.slots[] | select(.state == "incomplete")] | length' <<<"$before")
    ((incomplete_before > 0)) || fail "no incomplete slot after the kill: $free_before free"
    ((free_before >= 64)) || fail "the first chunk was not finished: $free_before free"
    mapfile -t done_slots < <(jq -r '.slots[] | select(.state == "free") | .netns' <<<"$before")
    done_inodes=$(netns_inodes "${done_slots[@]}")

    run --separate-stderr sn -j prewarm --slots 300
    assert_status 0
    expect_eq "$(jq -c '[.slots, .created]' <<<"$output")" "[300,$((300 - free_before))]" "slots and created"
    assert_all_slots_whole 300
    assert_root_routes_and_neighbours 300
    expect_eq "$(sn -j dump | jq -c '[.slots[].state] | unique')" '["free"]' "states after the re-run"
    expect_eq "$(netns_inodes "${done_slots[@]}")" \
        "$done_inodes" "namespaces of the slots finished before the kill"
    # The first slot the killed run did not finish, and the last slot.
    assert_slot_anatomy "$free_before"
    assert_slot_anatomy 299
}

@test "prewarm re-makes a slot whose namespace or root veth was removed by hand" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL"
    ip netns del "${P}1"
    ip -n "$W" link del "${P}2"
    ino3=$(stat -L -c %i "/run/netns/${P}3")
    run --separate-stderr sn -j prewarm --slots 4
    assert_status 0
    expect_eq "$(jq .created <<<"$output")" 2 "created"
    assert_all_slots_whole 4
    assert_root_routes_and_neighbours 4
    assert_slot_anatomy 1
    assert_slot_anatomy 2
    expect_eq "$(stat -L -c %i "/run/netns/${P}3")" "$ino3" "slot 3's namespace inode"
}

@test "prewarm repairs broken bound slots, keeps their bindings and says so; traffic flows again" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.1 --outside 100.64.0.0/24
    sn -q bind 1 --vni 100 >/dev/null
    sn -q bind 2 --vni 200 --remote 203.0.113.9 >/dev/null
    make_endpoint a 198.51.100.1 100 100.64.0.2 10.200.0.2/24
    ip netns del "${P}1"
    ip -n "$W" link set "${P}2" down
    ip -n "$W" link set "${P}2" name "${P}r"
    run --separate-stderr sn -j prewarm
    assert_status 0
    expect_eq "$(jq -c '[.created, .repaired]' <<<"$output")" "[0,2]" "[created, repaired]"
    [[ $stderr == *"slot 1: bound (VNI 100), made again; its binding is kept"* ]] || fail "stderr: $stderr"
    [[ $stderr == *"slot 2: bound (VNI 200), made again; its binding is kept"* ]] || fail "stderr: $stderr"
    assert_all_slots_whole 4
    expect_eq "$(sn -j dump | jq -c '[.slots[] | [.state, .vni, .remote]]')" \
        '[["free",null,"198.51.100.1"],["bound",100,"198.51.100.1"],["bound",200,"203.0.113.9"],["free",null,"198.51.100.1"]]' \
        "slots after the repair"
    slot_inner_addr 1 10.200.0.1/24
    pings_ok "${P}1" 10.200.0.2
}

@test "prewarm refuses a link named like a slot that is not slotnet's, exit 1, and creates nothing" {
    ip -n "$W" link add "${P}5" type bridge
    run --separate-stderr sn prewarm --slots 8 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 1
    expect_eq "$stderr" "slotnet: prewarm: --prefix '$P': link ${P}5 has a slot's name but is not slotnet's (netdev group 0): rename or remove it" "stderr"
    expect_eq "$(compgen -G "/run/netns/$P*" | wc -l)" 0 "namespaces created"
    [[ ! -e $PIN ]] || fail "$PIN was created"
    expect_eq "$(ip -n "$W" -j -d link show "${P}5" | jq -r '.[0].linkinfo.info_kind')" bridge "${P}5"
}

@test "prewarm leaves a foreign link that took a deleted slot's name alone and says so" {
    sn -q prewarm --slots 8 --prefix "$P" --tunnel "$TUNNEL"
    ip -n "$W" link del "${P}7"
    ip -n "$W" link add "${P}7" type bridge
    run --separate-stderr sn prewarm
    assert_status 1
    [[ $stderr == *"link ${P}7 has a slot's name but is not slotnet's"* ]] || fail "stderr: $stderr"
    expect_eq "$(ip -n "$W" -j -d link show "${P}7" | jq -r '.[0].linkinfo.info_kind')" bridge "${P}7"
}

@test "prewarm refuses a prefix whose slot names overlap another slotnet's, exit 2" {
    snw -q --pin-dir "$PIN-other" prewarm --slots 2 --prefix "${P}ab" --tunnel "$TUNNEL" --outside 10.88.0.0/24
    for prefix in "${P}a" "${P}abc"; do
        run --separate-stderr sn prewarm --slots 2 --prefix "$prefix" --tunnel "$TUNNEL"
        assert_status 2
        [[ $stderr == "slotnet: prewarm: --prefix '$prefix': link ${P}ab0 is another slotnet's, whose slot names overlap this prefix (netdev group "*"); choose another --prefix" ]] ||
            fail "$prefix: stderr: $stderr"
        [[ ! -e $PIN ]] || fail "$PIN was created"
    done
    run sn -q prewarm --slots 2 --prefix "${P}o" --tunnel "$TUNNEL"
    assert_status 0
}

@test "teardown and prewarm of pins without a configuration say nothing of missing state" {
    mkdir -p "$PIN"
    bpftool map create "$PIN/config" type array key 4 value 120 entries 1 name config
    run --separate-stderr sn prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    expect_eq "$stderr" "" "prewarm's stderr"
    assert_all_slots_whole 2
    sn -q teardown
    mkdir -p "$PIN"
    bpftool map create "$PIN/config" type array key 4 value 120 entries 1 name config
    run --separate-stderr sn teardown
    assert_status 0
    expect_eq "$stderr" "slotnet: teardown: nothing to remove in $PIN" "stderr"
    [[ ! -e $PIN ]] || fail "$PIN is still there"
}

@test "prewarm sends nothing before a slot is bound" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL"
    # Long enough for IPv6 DAD/RS, IGMP/MLD reports or bridge queries to go out if any were on.
    sleep 3
    for i in 0 1 2; do
        expect_eq "$(ip -n "$W" -s -j link show "$P$i" | jq -c '.[0].stats64 | [.rx.packets, .tx.packets]')" \
            "[0,0]" "root veth $P$i rx/tx packets"
        for dev in eth0 tun0 br0 tap0; do
            expect_eq "$(ip -n "$P$i" -s -j link show "$dev" | jq '.[0].stats64.tx.packets')" 0 \
                "slot $i: $dev tx packets"
        done
    done
}

@test "prewarm makes root veths that stay silent even if IPv6 is turned back on (addrgenmode none)" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    # Hosts' network set-up often writes net.ipv6.conf.all.disable_ipv6; a change of
    # "all" reaches every device of the namespace, root veths included.
    nsenter --net="/run/netns/$W" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 &&
        echo 0 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
    sleep 3
    for i in 0 1; do
        expect_eq "$(ip -n "$W" -j -d -s link show "$P$i" | jq -c '.[0] |
            {addrgenmode: .inet6_addr_gen_mode, tx_packets: .stats64.tx.packets}'),$(
            ip -n "$W" -j addr show "$P$i" | jq -c '[.[0].addr_info[].local]')" \
            '{"addrgenmode":"none","tx_packets":0},[]' "root veth $P$i after IPv6 was re-enabled"
    done
}

@test "prewarm given options that differ from the pinned configuration exits 2 naming each and changes nothing" {
    sn -q prewarm --slots 5 --prefix "$P" --tunnel "$TUNNEL" --remote 198.51.100.7 --outside 10.55.0.0/24
    inodes=$(slot_inodes)
    config=$(sn -j dump | jq -c .config)

    run sn prewarm --slots 5 --prefix "${P}y" --remote 198.51.100.8
    assert_status 2
    assert_output_has "slotnet: prewarm: differs from the configuration pinned in $PIN: "
    assert_output_has "--prefix '${P}y' (pinned '$P')"
    assert_output_has "--remote 198.51.100.8 (pinned 198.51.100.7)"
    assert_output_lacks "--slots"

    run sn prewarm --tunnel "$OTHER_TUNNEL" --outside 10.56.0.0/24
    assert_status 2
    assert_output_has "--tunnel $OTHER_TUNNEL (pinned $TUNNEL)"
    assert_output_has "--outside 10.56.0.0/24 (pinned 10.55.0.0/24)"

    expect_eq "$(slot_inodes)" "$inodes" "slot namespace inodes"
    expect_eq "$(compgen -G "/run/netns/${P}y*" | wc -l)" 0 "namespaces of the refused prefix"
    expect_eq "$(sn -j dump | jq -c .config)" "$config" "pinned configuration"
}

@test "prewarm --slots smaller than pinned exits 2 and removes nothing" {
    sn -q prewarm --slots 5 --prefix "$P" --tunnel "$TUNNEL"
    inodes=$(slot_inodes)
    run sn prewarm --slots 3
    assert_status 2
    assert_output_has "slotnet: prewarm: differs from the configuration pinned in $PIN: --slots 3 (pinned 5; teardown to shrink)"
    expect_eq "$(slot_inodes)" "$inodes" "slot namespace inodes"
    expect_eq "$(sn -j dump | jq .config.slots)" 5 "pinned slot count"
    assert_all_slots_whole 5
}

# Whether the kernel can make a Geneve device (the worker's namespace tries).
kernel_has_geneve() {
    ip -n "$W" link add gprobe type geneve id 1 remote 192.0.2.1 2>/dev/null || return 1
    ip -n "$W" link del gprobe
}

@test "prewarm without --tunnel makes Geneve tunnels on port 6081 where the kernel has Geneve" {
    kernel_has_geneve || skip "this kernel has no Geneve"
    sn -q prewarm --slots 2 --prefix "$P"
    expect_eq "$(sn -j dump | jq -r .config.tunnel)" geneve "pinned tunnel"
    for i in 0 1; do
        expect_eq "$(ip -n "$P$i" -j -d link show tun0 | jq -r '.[0].linkinfo | "\(.info_kind) \(.info_data.id) \(.info_data.port)"')" \
            "geneve $((DUMMY_VNI_BASE + i)) 6081" "slot $i: tun0"
    done
}

@test "prewarm --tunnel geneve on a kernel without Geneve exits 1 naming CONFIG_GENEVE and --tunnel vxlan" {
    ! kernel_has_geneve || skip "this kernel has Geneve"
    for opt in "--tunnel geneve" ""; do # geneve is the default
        # shellcheck disable=SC2086 # the unquoted words are the arguments, one each
        run sn prewarm --slots 2 --prefix "$P" $opt
        assert_status 1
        assert_output_has "slotnet: prewarm: --tunnel geneve: this kernel has no Geneve"
        assert_output_has "CONFIG_GENEVE"
        assert_output_has "use --tunnel vxlan"
        assert_nothing_created
    done
}

@test "prewarm accepts a prefix whose longest slot name is exactly 15 characters" {
    # P padded to 14 characters; slots 0..9 make names of 15.
    long=$P$(printf 'z%.0s' $(seq $((14 - ${#P}))))
    run sn prewarm --slots 10 --prefix "$long" --tunnel "$TUNNEL"
    assert_status 0
    [[ -e /run/netns/${long}9 ]] || fail "no namespace ${long}9"
    expect_eq "$(ip -n "$W" -j link show "${long}9" | jq -r '.[0].ifname')" "${long}9" "15-character root veth"
}
