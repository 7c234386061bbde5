#!/usr/bin/env bats
# Netlink batches past their 48 KiB limit: prewarm's re-run in the default
# tc mode queues one clsact qdisc per slot (64 bytes each) and then the two
# shared blocks' filters in a single batch, so at 1,000 slots the batch is
# sent in two parts, the filters in the last.  Every request must reach the
# kernel once and every answer must be checked, the last part's included.
load helpers

NSLOTS=1000

# Every root veth P0..P(N-1) has exactly one clsact qdisc, on the shared
# blocks, and no other root veth has one.
assert_every_veth_on_blocks() { # N INGRESS EGRESS
    local n=$1 ingress=$2 egress=$3 got want
    want=$(for ((i = 0; i < n; i++)); do echo "$P$i $ingress $egress"; done | sort)
    got=$(tc -n "$W" -j qdisc show | jq -r --arg p "$P" '.[] | select(.kind == "clsact") |
        select(.dev | test("^\($p)[0-9]+$")) | "\(.dev) \(.ingress_block) \(.egress_block)"' | sort)
    if [[ $got != "$want" ]]; then
        echo "clsact qdiscs differ from one per root veth on blocks $ingress/$egress (< expected, > actual):" >&2
        diff <(echo "$want") <(echo "$got") | head -20 >&2
        return 1
    fi
}

# A shared block holds exactly one filter: the named BPF program, direct action.
assert_block_filter() { # BLOCK PROGRAM
    expect_eq "$(tc -n "$W" -j filter show block "$1" | jq -c '[.[] | select(.options) |
        {kind, pref, protocol, handle: .options.handle, prog: .options.bpf_name, da: .options."direct-action"}]')" \
        "[{\"kind\":\"bpf\",\"pref\":1,\"protocol\":\"all\",\"handle\":\"0x1\",\"prog\":\"$2\",\"da\":true}]" "filters of block $1"
}

@test "prewarm re-run over $NSLOTS slots in tc mode puts back lost qdiscs and filters and checks every answer" {
    sn -q prewarm --slots "$NSLOTS" --prefix "$P" --tunnel "$TUNNEL"
    read -r ingress egress <<<"$(clsact_blocks "${P}0")"
    [[ -n $ingress && -n $egress ]] || fail "slot 0 has no clsact qdisc on shared blocks"
    assert_every_veth_on_blocks "$NSLOTS" "$ingress" "$egress"
    assert_block_filter "$ingress" from_slot
    assert_block_filter "$egress" to_slot

    # Lost by hand: qdiscs of slots in both parts of the batch (it splits at
    # 768 qdiscs), and the egress block's filter, which is in the last part.
    for i in 1 500 900 "$((NSLOTS - 1))"; do
        tc -n "$W" qdisc del dev "$P$i" clsact
    done
    tc -n "$W" filter del block "$egress"
    expect_eq "$(clsact_count "${P}900")" 0 \
        "clsact qdiscs on ${P}900 after the deletion"
    expect_eq "$(tc -n "$W" -j filter show block "$egress" | jq length)" 0 "filters of block $egress after the deletion"

    run --separate-stderr sn -j prewarm --slots "$NSLOTS"
    assert_status 0
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "" "stderr of the re-run"
    expect_eq "$(jq -c '[.slots, .created]' <<<"$output")" "[$NSLOTS,0]" "slots and created"
    assert_every_veth_on_blocks "$NSLOTS" "$ingress" "$egress"
    assert_block_filter "$ingress" from_slot
    assert_block_filter "$egress" to_slot

    # Once more with nothing to put back: every qdisc answers EEXIST (tolerated).
    run --separate-stderr sn -j prewarm --slots "$NSLOTS"
    assert_status 0
    expect_eq "$stderr" "" "stderr of the third run"
    assert_every_veth_on_blocks "$NSLOTS" "$ingress" "$egress"
    assert_block_filter "$ingress" from_slot
    assert_block_filter "$egress" to_slot
}

@test "prewarm re-run over $NSLOTS slots exits 1 naming the shared egress filter the kernel refused in the batch's last part" {
    sn -q prewarm --slots "$NSLOTS" --prefix "$P" --tunnel "$TUNNEL"
    read -r ingress egress <<<"$(clsact_blocks "${P}0")"
    [[ -n $egress ]] || fail "slot 0 has no clsact qdisc on shared blocks"
    # A foreign filter of another kind where the egress program goes: the
    # kernel refuses to replace it (EINVAL), and that answer is the batch's last.
    tc -n "$W" filter del block "$egress"
    tc -n "$W" filter add block "$egress" pref 1 protocol all u32 match u32 0 0

    run --separate-stderr sn -j prewarm --slots "$NSLOTS"
    assert_status 1
    expect_eq "$stderr" "slotnet: prewarm: setting the shared egress filter: Invalid argument" "stderr"
    expect_eq "$(jq -c '[.error.exit_code, .error.message]' <<<"$output")" \
        '[1,"setting the shared egress filter: Invalid argument"]' "stdout: -j's error object"
    assert_block_filter "$ingress" from_slot
}
