#!/usr/bin/env bats
# MTUs: `prewarm --underlay-mtu N` gives eth0 and the root veth N and
# everything a guest's frame crosses (tap0, br0, tun0) N less the 50 bytes
# of encapsulation; the tunnels set DF, so a full-size frame crosses the
# underlay whole, never as IP fragments.  Addresses as in datapath.bats,
# all inside the test's own namespaces.
load helpers

R_A=198.51.100.1
OUTSIDE=100.64.0.0/24
O0=100.64.0.1

teardown() { teardown_worker; }

# "DEV=MTU ..." of slot I's devices, and of its root veth.
slot_mtus() { # I
    ip -n "$P$1" -j link show | jq -r '[.[] | select(.ifname != "lo") | "\(.ifname)=\(.mtu)"] | sort | join(" ")'
}
root_mtu() { ip -n "$W" -j link show "$P$1" | jq -r '.[0].mtu'; }

@test "prewarm gives eth0 and the root veth 1500 and tun0, br0 and tap0 1450 by default, DF on the tunnel" {
    prewarm4
    for i in 0 3; do
        expect_eq "$(slot_mtus "$i")" "br0=1450 eth0=1500 tap0=1450 tun0=1450" "slot $i's MTUs"
        expect_eq "$(root_mtu "$i")" 1500 "slot $i's root veth MTU"
        expect_eq "$(ip -n "$P$i" -d -j link show tun0 | jq -r '.[0].linkinfo.info_data.df')" set \
            "slot $i's tun0 df"
    done
    expect_eq "$(sn -j dump | jq -c '.config | [.underlay_mtu, .guest_mtu]')" "[1500,1450]" "dump -j config MTUs"
}

@test "prewarm --underlay-mtu 9001 gives the guest 8951, pinned for later runs" {
    prewarm4 --underlay-mtu 9001
    expect_eq "$(slot_mtus 2)" "br0=8951 eth0=9001 tap0=8951 tun0=8951" "slot 2's MTUs"
    expect_eq "$(root_mtu 2)" 9001 "slot 2's root veth MTU"
    # A re-run without the option keeps it, and so do slots it adds.
    sn -q prewarm --slots 6
    expect_eq "$(slot_mtus 5)" "br0=8951 eth0=9001 tap0=8951 tun0=8951" "slot 5's MTUs"
    expect_eq "$(root_mtu 5)" 9001 "slot 5's root veth MTU"
    expect_eq "$(sn -j dump | jq -c '.config | [.underlay_mtu, .guest_mtu]')" "[9001,8951]" "dump -j config MTUs"
    run sn dump
    [[ ${lines[0]} == *", underlay MTU 9001, guest MTU 8951" ]] || fail "dump's first line: ${lines[0]}"
}

@test "prewarm re-run with another --underlay-mtu exits 2 naming both values and changes nothing" {
    prewarm4 --underlay-mtu 9001
    before=$(sn -j dump)
    run --separate-stderr sn prewarm --underlay-mtu 1500
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == "slotnet: prewarm: differs from the configuration pinned in $PIN: --underlay-mtu 1500 (pinned 9001)" ]] ||
        fail "stderr: $stderr"
    expect_eq "$(sn -j dump)" "$before" "dump -j after the refusal"
    expect_eq "$(slot_mtus 0)" "br0=8951 eth0=9001 tap0=8951 tun0=8951" "slot 0's MTUs"
    # The pinned value itself is no conflict.
    sn -q prewarm --underlay-mtu 9001
}

@test "prewarm --underlay-mtu out of range or not a number exits 2 naming the value and makes nothing" {
    for v in 1329 65536 0 abc 1500.5 -1; do
        run --separate-stderr sn prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --underlay-mtu "$v"
        assert_status 2
        [[ $stderr == "slotnet: prewarm: --underlay-mtu '$v': "* ]] || fail "$v: stderr: $stderr"
        assert_nothing_created
    done
    run --separate-stderr sn prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --underlay-mtu 1329
    expect_eq "$stderr" "slotnet: prewarm: --underlay-mtu '1329': out of range 1330..65535" "stderr for 1329"
}

@test "dump SLOT shows the namespace path, tap, guest MTU, and with rules the guest's only MAC and address" {
    prewarm4 --underlay-mtu 9001
    run --separate-stderr sn dump 2
    assert_status 0
    expect_eq "${lines[3]}" "       vmm: netns /run/netns/${P}2, tap tap0, MTU 8951, MAC any (no rules), address any" \
        "dump 2's vmm line"
    expect_eq "${#lines[@]}" 4 "lines of dump 2"
    expect_eq "$(sn -j dump 2 | jq -c '.slots[0] | [.netns_path, .tap, .guest_mtu, .guest_mac, .guest_addr]')" \
        "[\"/run/netns/${P}2\",\"tap0\",8951,null,null]" "dump -j 2"
    # A whole dump in text has no vmm lines: one row per slot.
    run sn dump
    expect_eq "${#lines[@]}" 8 "lines of the whole dump (config, programs, maps, header, 4 slots)"
}

@test "dump SLOT with rules on shows the MAC and address the rule sets allow" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --rules --vm-mac 02:aa:bb:cc:dd:0e --vm-addr 10.9.8.7
    expect_eq "$(sn -j dump 1 | jq -c '.slots[0] | [.netns_path, .tap, .guest_mtu, .guest_mac, .guest_addr]')" \
        "[\"/run/netns/${P}1\",\"tap0\",1450,\"02:aa:bb:cc:dd:0e\",\"10.9.8.7/32\"]" "dump -j 1"
    run sn dump 1
    expect_eq "${lines[3]}" "       vmm: netns /run/netns/${P}1, tap tap0, MTU 1450, MAC 02:aa:bb:cc:dd:0e, address 10.9.8.7/32" \
        "dump 1's vmm line"
}

# A full-size frame from the tenant network in slot 0 (br0's address stands in
# for the guest here; guest.bats has real ones) to endpoint a and back, at the
# guest MTU with DF: it crosses whole, and one byte more is refused at the
# source, not fragmented on the underlay.
full_size_crosses_whole() { # UNDERLAY-MTU
    local mtu=$1 guest=$(($1 - 50))
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote "$R_A" --outside "$OUTSIDE" \
        --underlay-mtu "$mtu"
    slot_inner_addr 0 10.200.0.1/24
    make_endpoint a "$R_A" 100 "$O0" 10.200.0.2/24
    ip -n "$W" link set "${P}ua" mtu "$mtu"
    ip -n "${P}a" link set u0 mtu "$mtu"
    ip -n "${P}a" link set vx0 mtu "$guest"
    sn bind 0 --vni 100
    local frag_slot frag_a reasm_a unreach_slot
    frag_slot=$(snmp "${P}0" Ip FragCreates) frag_a=$(snmp "${P}a" Ip FragCreates)
    reasm_a=$(snmp "${P}a" Ip ReasmReqds)
    unreach_slot=$(snmp "${P}0" Icmp OutDestUnreachs)
    pings_ok "${P}0" 10.200.0.2 -M "do" -s $((guest - 28))
    pings_ok "${P}a" 10.200.0.1 -M "do" -s $((guest - 28))
    expect_eq "$(snmp "${P}0" Ip FragCreates)" "$frag_slot" "fragments slot 0 made"
    expect_eq "$(snmp "${P}a" Ip FragCreates)" "$frag_a" "fragments endpoint a made"
    expect_eq "$(snmp "${P}a" Ip ReasmReqds)" "$reasm_a" "fragments endpoint a reassembled"
    expect_eq "$(snmp "${P}0" Icmp OutDestUnreachs)" "$unreach_slot" "ICMP errors slot 0 sent"
    # One byte past the guest MTU does not leave with DF.
    local out
    if out=$(in_ns "${P}0" ping -n -c 1 -w 2 -M "do" -s $((guest - 27)) 10.200.0.2 2>&1); then
        fail "a ping of $((guest + 1)) bytes got its reply: $out"
    fi
    [[ $out == *"message too long"* ]] || fail "a ping of $((guest + 1)) bytes: $out"
}

@test "a full guest-MTU packet crosses a 1500-byte underlay with no IP fragment and no ICMP error" {
    full_size_crosses_whole 1500
}

@test "a full guest-MTU packet crosses a 9001-byte underlay with no IP fragment and no ICMP error" {
    full_size_crosses_whole 9001
}
