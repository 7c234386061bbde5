#!/usr/bin/env bats
# bind and unbind as commands: bindings, conflicts, --force, --any and bad
# input, on four prewarmed slots (prewarm4, helpers.bash).  Batch mode is
# batch.bats', dump's view of bindings dump.bats', how prewarm attaches the
# programs attach.bats', traffic through bound slots datapath.bats'.
load helpers

# ---------------------------------------------------------------------------
# bind, unbind

@test "bind prints nothing and dump shows the slot bound to the VNI and the default remote" {
    prewarm4
    run --separate-stderr sn bind 1 --vni 4242
    assert_status 0
    expect_eq "$output" "" "stdout"
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "" "stderr"
    expect_eq "$(binding 1)" "4242 $DEFAULT_REMOTE bound" "slot 1"
    for i in 0 2 3; do
        expect_eq "$(binding "$i")" "null $DEFAULT_REMOTE free" "slot $i"
    done
}

@test "bind -j reports the slot, the VNI, a null remote and changed true" {
    prewarm4
    run --separate-stderr sn -j bind 2 --vni 4242
    assert_status 0
    expect_eq "$output" '{"slot":2,"vni":4242,"remote":null,"changed":true}' "bind -j"
}

@test "bind --remote binds the slot to that remote as well" {
    prewarm4
    run --separate-stderr sn -j bind 3 --vni 7 --remote 198.51.100.9
    assert_status 0
    expect_eq "$output" '{"slot":3,"vni":7,"remote":"198.51.100.9","changed":true}' "bind -j"
    expect_eq "$(binding 3)" "7 198.51.100.9 bound" "slot 3"
}

@test "bind accepts the ends of the VNI range, 0 and 16777215" {
    prewarm4
    sn bind 0 --vni 0
    sn bind 1 --vni 16777215
    expect_eq "$(binding 0)" "0 $DEFAULT_REMOTE bound" "slot 0"
    expect_eq "$(binding 1)" "16777215 $DEFAULT_REMOTE bound" "slot 1"
}

@test "bind to the binding a slot already has exits 0 and reports changed false" {
    prewarm4
    sn bind 1 --vni 4242
    sn bind 2 --vni 5 --remote 198.51.100.9
    run --separate-stderr sn -j bind 1 --vni 4242
    assert_status 0
    expect_eq "$output" '{"slot":1,"vni":4242,"remote":null,"changed":false}' "same binding again"
    run --separate-stderr sn -j bind 2 --vni 5 --remote 198.51.100.9
    assert_status 0
    expect_eq "$output" '{"slot":2,"vni":5,"remote":"198.51.100.9","changed":false}' "same binding with remote again"
    run --separate-stderr sn bind 1 --vni 4242
    assert_status 0
    expect_eq "$output$stderr" "" "output of the text mode"
    expect_eq "$(binding 1)" "4242 $DEFAULT_REMOTE bound" "slot 1"
}

@test "bind of a slot bound to another VNI exits 3 naming the binding and keeps it" {
    prewarm4
    sn bind 1 --vni 4242
    run --separate-stderr sn bind 1 --vni 4243
    assert_status 3
    expect_eq "$stderr" "slotnet: bind: slot 1: already bound to VNI 4242 (use --force)" "stderr"
    expect_eq "$output" "" "stdout"
    expect_eq "$(binding 1)" "4242 $DEFAULT_REMOTE bound" "slot 1"
}

@test "bind of a slot bound with a remote exits 3 naming the VNI and the remote" {
    prewarm4
    sn bind 1 --vni 4242 --remote 10.1.2.3
    # Same VNI, another remote (or none) is another binding too.
    for other in "--vni 4242 --remote 10.1.2.4" "--vni 4242" "--vni 9"; do
        # shellcheck disable=SC2086 # the unquoted words are the arguments, one each
        run --separate-stderr sn bind 1 $other
        assert_status 3
        expect_eq "$stderr" "slotnet: bind: slot 1: already bound to VNI 4242 remote 10.1.2.3 (use --force)" \
            "stderr of bind 1 $other"
    done
    expect_eq "$(binding 1)" "4242 10.1.2.3 bound" "slot 1"
}

@test "bind --force replaces another binding and reports changed" {
    prewarm4
    sn bind 1 --vni 4242 --remote 10.1.2.3
    run --separate-stderr sn -j bind 1 --vni 77 --force
    assert_status 0
    expect_eq "$output" '{"slot":1,"vni":77,"remote":null,"changed":true}' "bind --force -j"
    expect_eq "$(binding 1)" "77 $DEFAULT_REMOTE bound" "slot 1"
    run --separate-stderr sn -j bind 1 --vni 77 --force
    assert_status 0
    expect_eq "$output" '{"slot":1,"vni":77,"remote":null,"changed":false}' "the same binding with --force"
    # --force on a free slot simply binds it.
    run --separate-stderr sn -j bind 2 --vni 78 --force
    assert_status 0
    expect_eq "$output" '{"slot":2,"vni":78,"remote":null,"changed":true}' "bind --force of a free slot"
}

@test "unbind frees a bound slot and -j says it was bound" {
    prewarm4
    sn bind 1 --vni 4242 --remote 10.1.2.3
    sn bind 2 --vni 4243
    run --separate-stderr sn -j unbind 1
    assert_status 0
    expect_eq "$output" '{"slot":1,"was_bound":true}' "unbind -j"
    expect_eq "$(binding 1)" "null $DEFAULT_REMOTE free" "slot 1"
    expect_eq "$(binding 2)" "4243 $DEFAULT_REMOTE bound" "slot 2 (untouched)"
    # Free again: any VNI binds without --force.
    sn bind 1 --vni 9
    expect_eq "$(binding 1)" "9 $DEFAULT_REMOTE bound" "slot 1 bound again"
}

@test "a slot an interrupted unbind left mid-scrub is nobody's until unbind runs again" {
    prewarm4
    # What unbind writes before it scrubs (flags SLOTNET_BIND_SCRUBBING), as a kill -9 leaves it.
    bpftool map update pinned "$PIN/bindings" key 2 0 0 0 value 0 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0
    expect_eq "$(slot_json 2 | jq -r .state)" scrubbing "state in dump"
    run --separate-stderr sn bind 2 --vni 5
    assert_status 3
    expect_eq "$stderr" "slotnet: bind: slot 2: being scrubbed by unbind (retry; if an unbind was interrupted, run 'slotnet unbind 2' again)" "message"
    run --separate-stderr sn bind 2 --vni 5 --force
    assert_status 3
    for i in 1 2 3; do sn bind --any --vni 7 >/dev/null; done
    run --separate-stderr sn bind --any --vni 7
    assert_status 3
    run --separate-stderr sn -j unbind 2
    assert_status 0
    expect_eq "$output" '{"slot":2,"was_bound":false}' "unbind -j"
    expect_eq "$(binding 2)" "null $DEFAULT_REMOTE free" "slot 2 after unbind"
    sn bind 2 --vni 5
    expect_eq "$(binding 2)" "5 $DEFAULT_REMOTE bound" "slot 2 bound again"
}

@test "unbind prints nothing in text mode" {
    prewarm4
    sn bind 0 --vni 1
    run --separate-stderr sn unbind 0
    assert_status 0
    expect_eq "$output$stderr" "" "output"
}

@test "unbind of a free slot exits 0 and -j says it was not bound" {
    prewarm4
    run --separate-stderr sn -j unbind 3
    assert_status 0
    expect_eq "$output" '{"slot":3,"was_bound":false}' "unbind -j"
    run --separate-stderr sn unbind 3
    assert_status 0
    expect_eq "$output$stderr" "" "output of the text mode"
    expect_eq "$(binding 3)" "null $DEFAULT_REMOTE free" "slot 3"
}

@test "bind --any claims a free slot and prints its number alone" {
    prewarm4
    sn bind 0 --vni 10
    sn bind 2 --vni 12
    run --separate-stderr sn bind --any --vni 4242
    assert_status 0
    [[ $output == 1 || $output == 3 ]] || fail "bind --any printed '$output', expected 1 or 3 (the free slots)"
    expect_eq "$stderr" "" "stderr"
    expect_eq "$(binding "$output")" "4242 $DEFAULT_REMOTE bound" "slot $output"
    expect_eq "$(sn -j dump | jq -c '[.slots[] | .vni]')" \
        "$(if [[ $output == 1 ]]; then echo '[10,4242,12,null]'; else echo '[10,null,12,4242]'; fi)" "VNIs of all slots"
}

@test "bind --any -j reports the claimed slot like bind does" {
    prewarm4
    sn bind 0 --vni 10
    sn bind 1 --vni 11
    sn bind 3 --vni 13
    run --separate-stderr sn -j bind --any --vni 4242 --remote 198.51.100.9
    assert_status 0
    expect_eq "$output" '{"slot":2,"vni":4242,"remote":"198.51.100.9","changed":true}' "bind --any -j"
    expect_eq "$(binding 2)" "4242 198.51.100.9 bound" "slot 2"
}

@test "bind --any with every slot bound exits 3 saying there is no free slot of N" {
    prewarm4
    for i in 0 1 2 3; do sn bind "$i" --vni "$((100 + i))"; done
    before=$(sn -j dump)
    run --separate-stderr sn bind --any --vni 4242
    assert_status 3
    [[ $stderr == "slotnet: bind: no free slot (all 4 slots are bound"* ]] ||
        fail "stderr: '$stderr', expected 'slotnet: bind: no free slot (all 4 slots are bound...'"
    expect_eq "$output" "" "stdout"
    expect_eq "$(sn -j dump)" "$before" "dump -j"
}

@test "16 concurrent bind --any on 20 slots each get a distinct slot" {
    sn -q prewarm --slots 20 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
    pids=()
    for i in $(seq 1 16); do
        sn bind --any --vni "$((1000 + i))" >"$BATS_TEST_TMPDIR/any.$i" 2>&1 &
        pids+=($!)
    done
    failed=0
    for i in $(seq 1 16); do
        wait "${pids[i - 1]}" || { echo "bind --any #$i: exit $?: $(cat "$BATS_TEST_TMPDIR/any.$i")" >&2; failed=1; }
    done
    ((failed == 0)) || fail "some bind --any failed"
    expect_eq "$(cat "$BATS_TEST_TMPDIR"/any.* | sort -n | uniq | wc -l)" 16 "distinct slots handed out"
    dump=$(sn -j dump)
    expect_eq "$(jq '[.slots[] | select(.state == "bound")] | length' <<<"$dump")" 16 "bound slots in dump"
    # Each process's VNI is on the slot it printed.
    for i in $(seq 1 16); do
        slot=$(cat "$BATS_TEST_TMPDIR/any.$i")
        [[ $slot =~ ^[0-9]+$ ]] || fail "bind --any #$i printed '$slot'"
        expect_eq "$(jq ".slots[$slot].vni" <<<"$dump")" "$((1000 + i))" "VNI of slot $slot (printed by bind --any #$i)"
    done
}

# ---------------------------------------------------------------------------
# Bad input: exit 2, one message naming the value and the reason, nothing on
# stdout, and no slot's binding, state or counters changed.  Slot 1 is bound
# beforehand and most refused commands aim at it with --force, so a
# half-done change would show.

bad_input_setup() {
    prewarm4
    sn bind 1 --vni 4242 --remote 10.1.2.3
}

@test "bind --vni above 16777215 is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 16777216 --force" "bind: " "--vni '16777216'" "out of range 0..16777215"
}

@test "bind --vni that is not a decimal number is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 42x --force" "bind: " "--vni '42x'" "not a decimal number"
}

@test "bind --vni that is negative is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni -1 --force" "bind: " "--vni '-1'" "not a decimal number"
}

@test "bind --vni without a value is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --force --vni" "bind: " "--vni needs a value"
}

@test "bind without --vni is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --force" "bind: " "--vni" "required"
}

@test "bind of a slot out of range is refused naming the range" {
    bad_input_setup
    refused_unchanged "bind 4 --vni 5" "bind: " "slot '4'" "out of range" "0..3"
}

@test "bind of a slot that is not a number is refused" {
    bad_input_setup
    refused_unchanged "bind one --vni 5" "bind: " "slot 'one'" "not a decimal number"
}

@test "bind --remote that is not an IPv4 address is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --remote 10.1.2" "bind: " "--remote '10.1.2'" "not an IPv4 address"
}

@test "bind --remote multicast is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --remote 224.0.0.1" "bind: " "--remote '224.0.0.1'" "multicast"
}

@test "bind --remote loopback is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --remote 127.0.0.1" "bind: " "--remote '127.0.0.1'" "loopback"
}

@test "bind --vni in the slots' placeholder range is refused, naming the range" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 16000000 --force" "bind: " "--vni 16000000" \
        "placeholder (dummy) VNI range 16000000..16065535"
    refused_unchanged "bind 0 --vni 16065535" "bind: " "--vni 16065535" "16000000..16065535"
    run sn bind 0 --vni 15999999
    assert_status 0
    run sn bind 2 --vni 16065536
    assert_status 0
}

@test "bind --remote inside the outside range (another slot) is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --remote 100.64.0.1" "bind: " "--remote '100.64.0.1'" \
        "inside the outside range (another slot's address)"
    refused_unchanged "bind 0 --vni 5 --remote 100.64.255.254" "bind: " "--remote '100.64.255.254'" \
        "inside the outside range"
}

@test "bind --remote of the slot's own underlay, its gateway, 0.0.0.0/8 or the worker is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --remote 169.254.1.2" "bind: " "--remote '169.254.1.2'" \
        "inside the slots' own underlay 169.254.1.2/30"
    refused_unchanged "bind 1 --vni 5 --force --remote 169.254.1.1" "bind: " "--remote '169.254.1.1'" \
        "(the slot itself or its gateway)"
    refused_unchanged "bind 1 --vni 5 --force --remote 0.1.2.3" "bind: " "--remote '0.1.2.3'" \
        "in 0.0.0.0/8"
    ip -n "$W" addr add 198.18.7.7/32 dev lo
    refused_unchanged "bind 1 --vni 5 --force --remote 198.18.7.7" "bind: " "--remote '198.18.7.7'" \
        "an address of this host's own (the worker itself)"
}

@test "bind --remote 0.0.0.0 is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --remote 0.0.0.0" "bind: " "--remote '0.0.0.0'" "not a unicast address"
}

@test "bind without a SLOT or --any is refused" {
    bad_input_setup
    refused_unchanged "bind --vni 5" "bind: " "SLOT" "--any"
}

@test "bind with both a SLOT and --any is refused" {
    bad_input_setup
    refused_unchanged "bind 2 --any --vni 5" "bind: " "SLOT" "--any"
}

@test "bind --any with --force is refused" {
    bad_input_setup
    refused_unchanged "bind --any --force --vni 5" "bind: " "--any" "--force"
}

@test "bind with two slots is refused" {
    bad_input_setup
    refused_unchanged "bind 2 3 --vni 5" "bind: " "unexpected argument '3'"
}

@test "bind with an unknown option is refused" {
    bad_input_setup
    refused_unchanged "bind 1 --vni 5 --force --bogus" "bind: " "unknown option '--bogus'"
}

@test "unbind of a slot out of range is refused naming the range" {
    bad_input_setup
    refused_unchanged "unbind 4" "unbind: " "slot '4'" "out of range" "0..3"
}

@test "unbind of a slot that is not a number is refused" {
    bad_input_setup
    refused_unchanged "unbind 1x" "unbind: " "slot '1x'" "not a decimal number"
}

@test "unbind without a slot is refused" {
    bad_input_setup
    refused_unchanged "unbind" "unbind: " "SLOT"
}

@test "bind and unbind without prewarmed state exit 2 naming the pin directory and create nothing" {
    for cmd in "bind 0 --vni 5" "bind --any --vni 5" "unbind 0"; do
        # shellcheck disable=SC2086 # the unquoted words are the arguments, one each
        run --separate-stderr sn $cmd
        assert_status 2
        [[ $stderr == "slotnet: ${cmd%% *}: "*"$PIN"* ]] ||
            fail "$cmd: stderr '$stderr' does not start with 'slotnet: ${cmd%% *}: ' and name $PIN"
        expect_eq "$output" "" "stdout of $cmd"
        assert_nothing_created
    done
}
