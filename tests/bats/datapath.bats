#!/usr/bin/env bats
# The data path end to end, through real tunnel devices ($TUNNEL: VXLAN,
# Geneve with SN_TUNNEL=geneve): a slot's tunnel and tenant endpoints
# (make_endpoint) in namespaces of the test's own, joined to the throwaway
# worker by veths.  Every address below exists only inside those namespaces.
#
#   slot P<i>: br0 10.200.0.1/24 -- tun0 (dummy VNI 16000000+i, remote R_A)
#       eth0 169.254.1.2 == root veth P<i> (the programs) == worker
#   worker: ip_forward; 100.64.0.<i+1>/32 -> P<i>; R_A's and R_B's /24 -> endpoints
#   endpoint Pa: u0 198.51.100.1 (R_A), vx0 (VNI, remote = the slot's outside address)
#   endpoint Pb: u0 203.0.113.1  (R_B), likewise
load helpers

R_A=198.51.100.1
R_B=203.0.113.1
OUTSIDE=100.64.0.0/24
O0=100.64.0.1 # slot 0's outside address
O1=100.64.0.2 # slot 1's

teardown() {
    if [[ -n ${TCP_PID:-} ]]; then
        kill "$TCP_PID" 2>/dev/null || true
        wait "$TCP_PID" 2>/dev/null || true
    fi
    teardown_worker
}

# Four slots whose tunnels point at R_A, outside addresses in OUTSIDE.
dp_prewarm() {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL" --remote "$R_A" --outside "$OUTSIDE" "$@"
}

# Slot 0 with 10.200.0.1/24 on its bridge, endpoint a (VNI 100, 10.200.0.2)
# facing it; nothing bound.
slot0_and_endpoint_a() {
    dp_prewarm "$@"
    slot_inner_addr 0 10.200.0.1/24
    make_endpoint a "$R_A" 100 "$O0" 10.200.0.2/24
}

# A field of a slot's `dump -j` object (a jq path such as .drops.tx.unbound).
slot_field() { sn -j dump "$1" | jq ".slots[0]$2"; }

@test "an unbound slot's tunnel carries nothing either way and dump counts the drops as unbound" {
    slot0_and_endpoint_a
    pings_lost "${P}0" 10.200.0.2
    expect_eq "$(link_stat "${P}a" u0 rx.packets)" 0 "packets that reached endpoint a's underlay"
    expect_eq "$(link_stat "${P}a" vx0 rx.packets)" 0 "packets endpoint a's vx0 received"
    pings_lost "${P}a" 10.200.0.1
    expect_eq "$(link_stat "${P}0" tun0 rx.packets)" 0 "packets slot 0's tun0 received"
    expect_eq "$(sn -j dump 0 | jq -c '.slots[0] | [.state, .vni, .tx_packets, .rx_packets]')" \
        '["free",null,0,0]' "slot 0: state, vni, packets passed"
    (($(slot_field 0 .drops.tx.unbound) > 0)) || fail "no tx unbound drop counted: $(slot_json 0)"
    (($(slot_field 0 .drops.rx.unbound) > 0)) || fail "no rx unbound drop counted: $(slot_json 0)"
}

@test "a bound slot and its endpoint ping each other through the tunnel" {
    slot0_and_endpoint_a
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
    pings_ok "${P}a" 10.200.0.1
}

@test "a 20 MB TCP transfer each way through a bound slot arrives intact" {
    slot0_and_endpoint_a
    sn bind 0 --vni 100
    tcp_transfer "${P}0" "${P}a" 10.200.0.2 20
    tcp_transfer "${P}a" "${P}0" 10.200.0.1 20
}

@test "after unbind the slot's tunnel carries nothing either way" {
    slot0_and_endpoint_a
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
    sn unbind 0
    vx_rx=$(link_stat "${P}a" vx0 rx.packets)
    tun_rx=$(link_stat "${P}0" tun0 rx.packets)
    pings_lost "${P}0" 10.200.0.2
    pings_lost "${P}a" 10.200.0.1
    expect_eq "$(link_stat "${P}a" vx0 rx.packets)" "$vx_rx" "endpoint a's vx0 rx packets since unbind"
    expect_eq "$(link_stat "${P}0" tun0 rx.packets)" "$tun_rx" "slot 0's tun0 rx packets since unbind"
    (($(slot_field 0 .drops.tx.unbound) > 0)) || fail "no tx unbound drop counted: $(slot_json 0)"
    (($(slot_field 0 .drops.rx.unbound) > 0)) || fail "no rx unbound drop counted: $(slot_json 0)"
}

@test "unbind flushes the slot's neighbours and learned bridge entries and zeroes its counters" {
    slot0_and_endpoint_a
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
    # What the tenant left: an ARP entry on br0, br0's learned MAC of vx0, counters.
    vx_mac=$(ip -n "${P}a" -j link show vx0 | jq -r '.[0].address')
    [[ $(ip -n "${P}0" -j neigh show dev br0 | jq -r '.[].dst') == *10.200.0.2* ]] ||
        fail "no neighbour 10.200.0.2 on br0 after the ping: $(ip -n "${P}0" neigh show)"
    [[ $(bridge -n "${P}0" fdb show br br0 dev tun0) == *"$vx_mac"* ]] ||
        fail "br0 did not learn $vx_mac on tun0: $(bridge -n "${P}0" fdb show br br0)"
    fdb_before=$(bridge -n "${P}0" fdb show | grep -v "^$vx_mac " | sort)
    # The tenant quiet from here (no ARP probe of its stale entry for the
    # slot), so that what the counters show after unbind is unbind's doing.
    ip -n "${P}a" neigh replace 10.200.0.1 dev vx0 nud permanent \
        lladdr "$(ip -n "${P}0" -j link show br0 | jq -r '.[0].address')"

    run --separate-stderr sn -j unbind 0
    assert_status 0
    expect_eq "$output" '{"slot":0,"was_bound":true}' "unbind -j"
    expect_eq "$(ip -n "${P}0" -j neigh show | jq -r '[.[] | select((.state // []) | index("PERMANENT") | not) | "\(.dst) \(.dev)"] | join(", ")')" \
        "" "non-permanent neighbours left in slot 0"
    [[ $(bridge -n "${P}0" fdb show) != *"$vx_mac"* ]] ||
        fail "br0 still knows the tenant's $vx_mac: $(bridge -n "${P}0" fdb show | grep "$vx_mac")"
    # Everything else of the FDB (the bridge's own entries, tun0's default remote) stays.
    expect_eq "$(bridge -n "${P}0" fdb show | sort)" "$fdb_before" "slot 0's other FDB entries"
    expect_eq "$(sn -j dump 0 | jq -c '.slots[0] | [.tx_packets, .tx_bytes, .tx_drops, .rx_packets, .rx_bytes, .rx_drops, ([.drops[][]] | add)]')" \
        "[0,0,0,0,0,0,0]" "slot 0's counters after unbind"
    # The scrubbed slot works for the next tenant.
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
}

@test "two slots bound to two VNIs and remotes each reach only their own endpoint" {
    dp_prewarm
    slot_inner_addr 0 10.200.0.1/24
    slot_inner_addr 1 10.200.0.1/24
    make_endpoint a "$R_A" 100 "$O0" 10.200.0.2/24
    make_endpoint b "$R_B" 200 "$O1" 10.200.0.3/24
    sn bind 0 --vni 100
    sn bind 1 --vni 200 --remote "$R_B"

    pings_ok "${P}0" 10.200.0.2
    pings_lost "${P}0" 10.200.0.3
    expect_eq "$(link_stat "${P}b" vx0 rx.packets)" 0 "packets endpoint b's vx0 received from slot 0"
    pings_ok "${P}1" 10.200.0.3
    # Counted as echo requests: slot 0's own ARP probes to a (its neighbour
    # entry going stale) may cross a's tunnel meanwhile, and rightly so.
    a_echos=$(snmp "${P}a" Icmp InEchos)
    pings_lost "${P}1" 10.200.0.2
    expect_eq "$(snmp "${P}a" Icmp InEchos)" "$a_echos" "echo requests endpoint a received from slot 1"
    pings_ok "${P}a" 10.200.0.1
    pings_ok "${P}b" 10.200.0.1
}

@test "a slot rebound with --force to another VNI and remote reaches only the new endpoint" {
    slot0_and_endpoint_a
    make_endpoint b "$R_B" 200 "$O0" 10.200.0.3/24
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
    pings_lost "${P}0" 10.200.0.3

    sn bind 0 --vni 200 --remote "$R_B" --force
    a_rx=$(link_stat "${P}a" vx0 rx.packets)
    pings_ok "${P}0" 10.200.0.3
    pings_ok "${P}b" 10.200.0.1
    pings_lost "${P}0" 10.200.0.2
    pings_lost "${P}a" 10.200.0.1
    expect_eq "$(link_stat "${P}a" vx0 rx.packets)" "$a_rx" \
        "packets the old endpoint a's vx0 received after the rebind"
}

@test "dump counts a bound slot's packets and bytes each way as its eth0 sees them, and other slots stay at 0" {
    slot0_and_endpoint_a
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
    pings_ok "${P}a" 10.200.0.1
    s=$(slot_json 0)
    jq -e '.tx_packets > 0 and .rx_packets > 0' <<<"$s" >/dev/null || fail "no packets counted: $s"
    # Nothing else enters or leaves slot 0 (IPv6 off, permanent gateway neighbour):
    # every frame eth0 sent passed from_slot or was dropped by it, every one it got passed to_slot.
    expect_eq "$(jq -c '[.tx_packets + .tx_drops, .tx_bytes, .rx_packets, .rx_bytes]' <<<"$s")" \
        "$(ip -n "${P}0" -s -j link show eth0 | jq -c '.[0].stats64 | [.tx.packets, .tx.bytes, .rx.packets, .rx.bytes]')" \
        "slot 0's [tx packets + drops, tx bytes, rx packets, rx bytes] against its eth0's counters"
    for i in 1 2 3; do
        expect_eq "$(slot_json "$i" | jq -c '[.tx_packets, .tx_bytes, .tx_drops, .rx_packets, .rx_bytes, .rx_drops]')" \
            "[0,0,0,0,0,0]" "slot $i's counters"
    done
}

@test "a packet leaving a slot with another source address is dropped and counted as spoof" {
    slot0_and_endpoint_a
    sn bind 0 --vni 100
    # From the inside address: forwarded with the outside address as source.
    echos=$(snmp "${P}a" Icmp InEchos)
    pings_ok "${P}0" "$R_A" -I 169.254.1.2
    (($(snmp "${P}a" Icmp InEchos) > echos)) || fail "endpoint a got none of the echo requests"
    ip -n "${P}0" addr add 10.99.0.9/32 dev eth0
    echos=$(snmp "${P}a" Icmp InEchos)
    eth0_tx=$(link_stat "${P}0" eth0 tx.packets)
    spoof=$(slot_field 0 .drops.tx.spoof)
    expect_eq "$spoof" 0 "spoof drops before the spoofed pings"
    pings_lost "${P}0" "$R_A" -I 10.99.0.9
    sent=$(($(link_stat "${P}0" eth0 tx.packets) - eth0_tx))
    ((sent > 0)) || fail "slot 0's eth0 sent nothing"
    expect_eq "$(slot_field 0 .drops.tx.spoof)" "$sent" "spoof drops (= packets eth0 sent)"
    expect_eq "$(snmp "${P}a" Icmp InEchos)" "$echos" "echo requests that reached endpoint a"
}

@test "a tunnel packet entering with another VNI is dropped and counted as vni" {
    slot0_and_endpoint_a
    make_endpoint b "$R_B" 999 "$O0" 10.200.0.3/24
    sn bind 0 --vni 100 --remote "$R_B"
    # Endpoint b is the bound remote but sends VNI 999.
    tun_rx=$(link_stat "${P}0" tun0 rx.packets)
    pings_lost "${P}b" 10.200.0.1
    expect_eq "$(link_stat "${P}0" tun0 rx.packets)" "$tun_rx" "packets slot 0's tun0 received"
    (($(slot_field 0 .drops.rx.vni) > 0)) || fail "no rx vni drop counted: $(slot_json 0)"
}

@test "a slot bound with --remote drops its VNI's tunnel packets from any other address as remote" {
    slot0_and_endpoint_a
    make_endpoint b "$R_B" 100 "$O0" 10.200.0.3/24
    sn bind 0 --vni 100 --remote "$R_B"
    # Endpoint a sends the bound VNI 100, but from R_A.
    tun_rx=$(link_stat "${P}0" tun0 rx.packets)
    pings_lost "${P}a" 10.200.0.1
    expect_eq "$(link_stat "${P}0" tun0 rx.packets)" "$tun_rx" "packets slot 0's tun0 received from endpoint a"
    (($(slot_field 0 .drops.rx.remote) > 0)) || fail "no rx remote drop counted: $(slot_json 0)"
    pings_ok "${P}b" 10.200.0.1
}

@test "with --attach tcx a bound slot carries ping and a 5 MB TCP transfer each way" {
    skip_without_tcx
    slot0_and_endpoint_a --attach tcx
    sn bind 0 --vni 100
    pings_ok "${P}0" 10.200.0.2
    pings_ok "${P}a" 10.200.0.1
    tcp_transfer "${P}0" "${P}a" 10.200.0.2 5
    tcp_transfer "${P}a" "${P}0" 10.200.0.1 5
}

# Slots 0 and 1, tenant addresses 10.200.0.1 and .2 on their bridges, both bound
# to VNI 4242, each tunnel sending to the other's outside address (bind refuses
# such a remote, so the tunnels' default destination is changed by hand): were
# the worker to route their tunnel packets, each tunnel would meet the other's.
@test "slots whose tunnels send to each other's outside address do not meet: dropped as hairpin" {
    dp_prewarm
    slot_inner_addr 0 10.200.0.1/24
    slot_inner_addr 1 10.200.0.2/24
    run sn bind 0 --vni 4242 --remote "$O1"
    assert_status 2
    sn bind 0 --vni 4242
    sn bind 1 --vni 4242
    tunnel_sends_to "${P}0" tun0 $((DUMMY_VNI_BASE + 0)) "$R_A" "$O1"
    tunnel_sends_to "${P}1" tun0 $((DUMMY_VNI_BASE + 1)) "$R_A" "$O0"
    pings_lost "${P}0" 10.200.0.2
    pings_lost "${P}1" 10.200.0.1
    for i in 0 1; do
        expect_eq "$(link_stat "$P$i" tun0 rx.packets)" 0 "packets slot $i's tun0 received"
        expect_eq "$(slot_json "$i" | jq -c '[.tx_packets, .rx_packets, .rx_drops]')" "[0,0,0]" \
            "slot $i's [tx packets, rx packets, rx drops]"
        (($(slot_field "$i" .drops.tx.hairpin) > 0)) ||
            fail "no tx hairpin drop counted for slot $i: $(slot_json "$i")"
        expect_eq "$(slot_field "$i" .tx_drops)" "$(slot_field "$i" .drops.tx.hairpin)" \
            "slot $i's tx drops (all hairpin)"
    done
}

@test "a plain packet leaving a slot for another slot's outside address is dropped as hairpin" {
    dp_prewarm
    eth0_tx=$(link_stat "${P}0" eth0 tx.packets)
    pings_lost "${P}0" "$O1"
    sent=$(($(link_stat "${P}0" eth0 tx.packets) - eth0_tx))
    ((sent > 0)) || fail "slot 0's eth0 sent nothing"
    expect_eq "$(slot_field 0 .drops.tx.hairpin)" "$sent" "hairpin drops (= packets eth0 sent)"
    expect_eq "$(slot_json 1 | jq -c '[.rx_packets, .rx_drops]')" "[0,0]" "slot 1's rx packets and drops"
}
