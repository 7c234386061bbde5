#!/usr/bin/env bats
# Damaged pinned state: every field of the pinned configuration damaged in
# turn (each command refuses it, exit 1, naming the field, and changes
# nothing), and map pins removed or replaced by hand (prewarm pins them
# again from the programs, or switches the programs to the pinned maps; a
# map that is really gone is reported, never made again empty).
# shellcheck disable=SC2046,SC2086 # le32, $hex and $good print hex bytes, one argument each
load helpers

R_A=198.51.100.1
OUTSIDE=100.64.0.0/24

teardown() {
    rm -rf "/run/${P:-none}"
    teardown_worker
}

# Eight slots, slot 0 bound to VNI 4242.
prewarm_and_bind() {
    sn -q prewarm --slots 8 --prefix "$P" --tunnel "$TUNNEL" --remote "$R_A" --outside "$OUTSIDE"
    sn -q bind 0 --vni 4242 >/dev/null
}

# The configuration's 116 bytes, as two-digit hex words.
config_bytes() {
    bpftool -j map lookup pinned "$PIN/config" key 0 0 0 0 | jq -r '[.value[] | ltrimstr("0x")] | join(" ")'
}

# Writes BYTES (hex words) at OFFSET of the pinned configuration.
poke_config() { # OFFSET HEX-BYTE...
    local off=$1 i
    shift
    local -a b
    read -r -a b <<<"$(config_bytes)"
    for ((i = 0; i < $#; i++)); do
        b[off + i]=${*:i+1:1}
    done
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex "${b[@]}"
}

# A little-endian u32 as four hex words.
le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# Everything a command could change: the configuration, the bindings, the
# slot namespaces, the worker's links and routes.
snapshot() {
    config_bytes
    bpftool -j map dump pinned "$PIN/bindings" | jq -c '[.[] | .key]'
    slot_names
    ip -n "$W" -o link show | awk '{ print $2 }'
    ip -n "$W" -4 route show
}

# Every command refuses the damaged configuration: exit 1, one message
# naming the field, and nothing changed.
refused_by_every_command() { # MESSAGE-PART
    local before cmd
    local -a args
    before=$(snapshot)
    for cmd in "prewarm --tunnel $TUNNEL" "prewarm" "bind 1 --vni 7" "bind --any --vni 7" \
        "unbind 0" "dump" "dump 0" "rules --check" "rules --apply" "teardown"; do
        read -r -a args <<<"$cmd"
        run --separate-stderr sn "${args[@]}"
        # shellcheck disable=SC2154 # set by bats' run --separate-stderr
        [[ $status -eq 1 ]] || fail "$cmd: exit $status, expected 1; stderr: $stderr"
        [[ $stderr == *"damaged pin: $1"* ]] || fail "$cmd: stderr lacks 'damaged pin: $1': $stderr"
        expect_eq "$(snapshot)" "$before" "state after '$cmd'"
    done
}

@test "a damaged tunnel field is refused by every command, without a crash" {
    prewarm_and_bind
    for v in 0 7 2147483647; do
        poke_config 8 $(le32 "$v")
        refused_by_every_command "field tunnel is $v (1 vxlan or 2 geneve)"
    done
}

@test "a damaged attach field is refused by every command" {
    prewarm_and_bind
    for v in 0 200; do
        poke_config 38 "$(printf %02x "$v")"
        refused_by_every_command "field attach is $v (1 tcx or 2 tc)"
    done
}

@test "a damaged slot count is refused: no bind past the maps, no teardown hang" {
    prewarm_and_bind
    poke_config 4 $(le32 0)
    refused_by_every_command "field nslots is 0 (1..max_slots 1024)"
    poke_config 4 $(le32 20000)
    refused_by_every_command "field nslots is 20000 (1..max_slots 1024)"
    poke_config 4 $(le32 4294967295)
    refused_by_every_command "field nslots is 4294967295 (1..max_slots 1024)"
}

@test "a prefix that leads out of /run/netns is refused and teardown deletes nothing" {
    prewarm_and_bind
    # Slot i's namespace would be /run/netns/../P/i: the decoy files /run/P/0..7.
    local decoy=/run/$P prefix="../$P/" hex
    mkdir "$decoy"
    touch "$decoy"/{0..7}
    hex=$(printf %s "$prefix" | od -An -tx1 -v | tr -s ' \n' ' ')
    poke_config 40 $hex 00
    refused_by_every_command "field prefix is '$prefix' (must start with a letter)"
    # shellcheck disable=SC2012 # the decoys are named 0..7
    expect_eq "$(ls "$decoy" | tr '\n' ' ')" "0 1 2 3 4 5 6 7 " "files in the decoy directory"
}

@test "a prefix without its NUL is refused" {
    prewarm_and_bind
    poke_config 40 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61
    refused_by_every_command "field prefix is not NUL-terminated"
}

@test "damaged addresses and lengths are refused by every command" {
    prewarm_and_bind
    local good
    good=$(config_bytes)
    poke_config 36 28 # outside_plen 40
    refused_by_every_command "field outside_plen is 40 (at most 32)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 37 00 # inside_plen 0
    refused_by_every_command "field inside_plen is 0 (slots' underlay is /30)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 28 00 00 00 00 # gateway 0.0.0.0
    refused_by_every_command "field gateway is 0.0.0.0"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 16 7f 00 00 01 # remote 127.0.0.1
    refused_by_every_command "field remote is 127.0.0.1 (a loopback address)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 20 e0 00 00 00 # outside 224.0.0.0/24
    refused_by_every_command "field outside is 224.0.0.0/24"
}

@test "damaged flags, link group, rule and MTU fields are refused by every command" {
    prewarm_and_bind
    local good
    good=$(config_bytes)
    poke_config 39 80
    refused_by_every_command "field flags is 0x80 (unknown bits)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 32 $(le32 5)
    refused_by_every_command "field link_group is 5"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 73 09
    refused_by_every_command "field backend is 9"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 72 40
    refused_by_every_command "field rules is 0x40 (unknown bits)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 76 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61
    refused_by_every_command "field uplink is not NUL-terminated"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 108 $(le32 0) # map_ids[3], the bindings map's id
    refused_by_every_command "field map_ids[3] is 0 (no map has id 0)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 92 $(printf '%02x %02x' $((1329 & 255)) $((1329 >> 8))) # underlay_mtu 1329
    refused_by_every_command "field underlay_mtu is 1329 (1330..65535)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 94 dc 05 # guest_mtu 1500
    refused_by_every_command "field guest_mtu is 1500 (underlay_mtu 1500 less 50 of tunnel headers is 1450)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    poke_config 116 $(le32 3000) # max_slots
    refused_by_every_command "field max_slots is 3000 (not a power of two)"
    bpftool map update pinned "$PIN/config" key 0 0 0 0 value hex $good
    # Pins of a map ABI this slotnet does not read: exit 2, both versions named.
    poke_config 0 $(le32 2)
    run --separate-stderr sn dump
    assert_status 2
    [[ $stderr == *"pins have map ABI 2, older than any this slotnet (0.2.0, map ABI 6) upgrades from (map ABI 5 on)"* ]] ||
        fail "stderr: $stderr"
    poke_config 0 $(le32 7)
    for cmd in dump prewarm teardown "bind 0 --vni 5"; do
        # shellcheck disable=SC2086 # the command's words
        run --separate-stderr sn $cmd
        assert_status 2
        [[ $stderr == *"pins have map ABI 7, newer than this slotnet's (0.2.0, map ABI 6): run the slotnet that made them, or a newer one"* ]] ||
            fail "$cmd: stderr: $stderr"
    done
}

# Slot 0 bound to VNI 100 with a tenant endpoint that pings through it.
bound_slot_with_tenant() {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote "$R_A" --outside "$OUTSIDE"
    slot_inner_addr 0 10.200.0.1/24
    make_endpoint a "$R_A" 100 100.64.0.1 10.200.0.2/24
    sn -q bind 0 --vni 100 >/dev/null
    pings_ok "${P}0" 10.200.0.2
}

@test "a bindings pin removed by hand: commands refuse, prewarm pins it again, unbind cuts the tenant off" {
    bound_slot_with_tenant
    rm "$PIN/bindings"
    run --separate-stderr sn bind 1 --vni 999
    assert_status 1
    [[ $stderr == *"$PIN/bindings: pin missing"* ]] || fail "bind: $stderr"
    run --separate-stderr sn -q prewarm
    assert_status 0
    run --separate-stderr sn prewarm
    assert_status 0
    [[ $stderr != *"pinned again"* ]] || fail "second prewarm pinned again: $stderr"
    expect_eq "$(slot_json 0 | jq -r '"\(.state) \(.vni)"')" "bound 100" "slot 0 after the repair"
    sn -q unbind 0 >/dev/null
    pings_lost "${P}0" 10.200.0.2
    run sn bind 0 --vni 999
    assert_status 0
    pings_lost "${P}0" 10.200.0.2
}

@test "prewarm says it pinned a removed map again, and the counters keep counting" {
    bound_slot_with_tenant
    rm "$PIN/counters"
    run --separate-stderr sn prewarm
    assert_status 0
    [[ $stderr == *"$PIN/counters: pin was missing; pinned again from the running programs"* ]] ||
        fail "stderr: $stderr"
    local before
    before=$(slot_json 0 | jq .tx_packets)
    ((before > 0)) || fail "tx_packets $before after the pings"
    pings_ok "${P}0" 10.200.0.2
    (($(slot_json 0 | jq .tx_packets) > before)) || fail "counters did not move: $(slot_json 0)"
}

@test "a bindings pin replaced by another map: commands refuse, prewarm switches the programs to it" {
    bound_slot_with_tenant
    rm "$PIN/bindings"
    bpftool map create "$PIN/bindings" type hash key 4 value 16 entries 1024 name bindings flags 1
    run --separate-stderr sn bind 1 --vni 999
    assert_status 1
    [[ $stderr == *"$PIN/bindings: not the map the pinned programs use"* ]] || fail "bind: $stderr"
    run --separate-stderr sn -q dump
    assert_status 1
    run --separate-stderr sn prewarm
    assert_status 0
    [[ $stderr == *"the pinned programs used other maps than the pins"* ]] || fail "prewarm: $stderr"
    # The data path now reads the pinned (empty) map: the tenant is cut off
    # until bound again, and a bind through the pin is what packets see.
    pings_lost "${P}0" 10.200.0.2
    sn -q bind 0 --vni 100 >/dev/null
    pings_ok "${P}0" 10.200.0.2
    sn -q unbind 0 >/dev/null
    pings_lost "${P}0" 10.200.0.2
}

@test "a map that neither a pin nor a program holds is reported as lost, nothing remade" {
    bound_slot_with_tenant
    rm "$PIN/bindings" "$PIN/from_slot" "$PIN/to_slot"
    local before
    before=$(ls "$PIN")
    run --separate-stderr sn prewarm
    assert_status 1
    [[ $stderr == *"$PIN/bindings: pin missing and no pinned program holds the map: the tenants' bindings are gone"* ]] ||
        fail "stderr: $stderr"
    expect_eq "$(ls "$PIN")" "$before" "pins after the refused prewarm"
}
