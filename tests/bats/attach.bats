#!/usr/bin/env bats
# How prewarm attaches the programs bind and unbind steer: tcx links pinned
# per root veth, or (the default) clsact qdiscs on one shared ingress and
# one shared egress block; re-runs that put back what was removed by hand or
# refuse another --attach; and teardown, which frees the programs again.
load helpers

# The ids of the pinned programs, in FROM and TO.
pinned_prog_ids() {
    FROM=$(bpftool -j prog show pinned "$PIN/from_slot" | jq -r .id)
    TO=$(bpftool -j prog show pinned "$PIN/to_slot" | jq -r .id)
    expect_eq "$(bpftool -j prog show id "$FROM" | jq -r '"\(.type) \(.name)"')" "sched_cls from_slot" "$PIN/from_slot"
    expect_eq "$(bpftool -j prog show id "$TO" | jq -r '"\(.type) \(.name)"')" "sched_cls to_slot" "$PIN/to_slot"
}

# "TYPE PROG-ID" of a pinned link; TYPE tcx (Debian's bpftool 7.1 prints
# the number, 11 = BPF_LINK_TYPE_TCX).
pinned_link() {
    bpftool -j link show pinned "$1" | jq -r '"\(if .type == 11 then "tcx" else .type end) \(.prog_id)"'
}

@test "prewarm --attach tcx pins an ingress and an egress link per root veth, and the two programs" {
    skip_without_tcx
    prewarm4 --attach tcx
    # shellcheck disable=SC2012 # pin names are slotnet's own, no odd characters
    expect_eq "$(ls "$PIN/links" | sort | tr '\n' ' ')" \
        "$(for i in 0 1 2 3; do echo "$P$i-egress"; echo "$P$i-ingress"; done | sort | tr '\n' ' ')" \
        "pins in $PIN/links"
    pinned_prog_ids
    for i in 0 1 2 3; do
        expect_eq "$(pinned_link "$PIN/links/$P$i-ingress")" "tcx $FROM" "link $P$i-ingress"
        expect_eq "$(pinned_link "$PIN/links/$P$i-egress")" "tcx $TO" "link $P$i-egress"
        # No qdisc is needed, so none is made.
        expect_eq "$(clsact_count "$P$i")" 0 \
            "clsact qdiscs on $P$i"
    done
    expect_eq "$(sn -j dump | jq -r .config.attach)" tcx "attach mode in dump"
}

@test "prewarm attaches by default with clsact on one shared ingress and one shared egress block" {
    prewarm4
    blocks=$(for i in 0 1 2 3; do clsact_blocks "$P$i"; done | sort | uniq -c)
    [[ $(wc -l <<<"$blocks") -eq 1 && $blocks =~ ^\ *4\ ([0-9]+)\ ([0-9]+)$ ]] ||
        fail "root veths' clsact blocks (count ingress egress): $blocks"
    ingress=${BASH_REMATCH[1]} egress=${BASH_REMATCH[2]}
    [[ $ingress != "$egress" ]] || fail "ingress and egress share block $ingress"
    pinned_prog_ids
    filters() { # BLOCK DIRECTION
        tc -n "$W" -j filter show block "$1" "$2" |
            jq -r '[.[] | select(.options) | "\(.kind) \(.options.prog.id) direct-action=\(.options."direct-action")"] | join(", ")'
    }
    expect_eq "$(filters "$ingress" ingress)" "bpf $FROM direct-action=true" "filters of ingress block $ingress"
    expect_eq "$(filters "$egress" egress)" "bpf $TO direct-action=true" "filters of egress block $egress"
    expect_eq "$(compgen -G "$PIN/links/*" | wc -l)" 0 "pinned links"
    expect_eq "$(sn -j dump | jq -r .config.attach)" tc "attach mode in dump"
    # bind and unbind work the same.
    sn bind 2 --vni 4242
    expect_eq "$(binding 2)" "4242 $DEFAULT_REMOTE bound" "slot 2"
    sn unbind 2
    expect_eq "$(binding 2)" "null $DEFAULT_REMOTE free" "slot 2 after unbind"
}

@test "prewarm re-run puts back a shared filter removed by hand" {
    prewarm4
    read -r block _ <<<"$(clsact_blocks "${P}0")"
    tc -n "$W" filter del block "$block" ingress
    expect_eq "$(tc -n "$W" -j filter show block "$block" ingress | jq length)" 0 "filters after the deletion"
    run --separate-stderr sn prewarm
    assert_status 0
    pinned_prog_ids
    expect_eq "$(tc -n "$W" -j filter show block "$block" ingress |
        jq -r '[.[] | select(.options) | "\(.kind) \(.options.prog.id)"] | join(", ")')" "bpf $FROM" \
        "filters of ingress block $block after the re-run"
}

@test "prewarm re-run puts back a root veth's clsact qdisc removed by hand" {
    prewarm4
    want=$(clsact_blocks "${P}0")
    tc -n "$W" qdisc del dev "${P}1" clsact
    expect_eq "$(clsact_blocks "${P}1")" "" "clsact on ${P}1 after the deletion"
    run --separate-stderr sn prewarm
    assert_status 0
    expect_eq "$(clsact_blocks "${P}1")" "$want" "clsact blocks on ${P}1 after the re-run"
}

@test "prewarm re-run with another --attach exits 2 naming it and changes nothing" {
    skip_without_tcx
    prewarm4 --attach tcx
    links=$(ls "$PIN/links")
    run --separate-stderr sn prewarm --attach tc
    assert_status 2
    expect_eq "$output" "" "stdout"
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == *"--attach tc (pinned tcx)"* ]] || fail "stderr: $stderr"
    expect_eq "$(ls "$PIN/links")" "$links" "pinned links"
    for i in 0 1 2 3; do
        expect_eq "$(clsact_count "$P$i")" 0 \
            "clsact qdiscs on $P$i"
    done
    expect_eq "$(sn -j dump | jq -r .config.attach)" tcx "attach mode in dump"
}

@test "prewarm (tc by default) re-run with --attach tcx exits 2 naming it" {
    prewarm4
    run --separate-stderr sn prewarm --attach tcx
    assert_status 2
    [[ $stderr == *"--attach tcx (pinned tc)"* ]] || fail "stderr: $stderr"
    expect_eq "$(sn -j dump | jq -r .config.attach)" tc "attach mode in dump"
}

@test "prewarm --attach tcx on a kernel without tcx exits 2 naming Linux 6.6 and makes nothing" {
    ! kernel_has_tcx || skip "Linux $(uname -r) has tcx"
    run --separate-stderr sn prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --attach tcx
    assert_status 2
    expect_eq "$output" "" "stdout"
    [[ $stderr == "slotnet: prewarm: --attach tcx: this kernel has no tcx (Linux 6.6 or later); "* ]] ||
        fail "stderr: $stderr"
    assert_nothing_created
}

@test "teardown removes the link and program pins and frees the programs" {
    prewarm4
    sn bind 1 --vni 5
    pinned_prog_ids
    sn -q teardown
    [[ ! -e $PIN ]] || fail "$PIN is left: $(find "$PIN")"
    # The kernel frees a program once nothing holds it; the slots' namespaces
    # go asynchronously, so give it a bounded while.
    loaded() { bpftool prog show id "$1" >/dev/null 2>&1; }
    for ((i = 0; i < 300; i++)); do
        if ! loaded "$FROM" && ! loaded "$TO"; then break; fi
        sleep 0.1
    done
    ! loaded "$FROM" || fail "program from_slot (id $FROM) is still loaded"
    ! loaded "$TO" || fail "program to_slot (id $TO) is still loaded"
}
