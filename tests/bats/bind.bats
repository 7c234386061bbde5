#!/usr/bin/env bats
# bind and unbind as commands: bindings, conflicts, --force, --any, bad
# input, batch mode, dump's view of them, and how prewarm attaches the
# programs they steer (tcx links or clsact on shared blocks).  Traffic
# through bound slots is datapath.bats' business.
load helpers

# Four small VXLAN slots; the default remote is 192.0.2.1 ($DEFAULT_REMOTE).
prewarm4() { sn -q prewarm --slots 4 --prefix "$P" --tunnel vxlan "$@" >/dev/null; }

# "VNI REMOTE STATE" of slot I in `dump -j` (vni null while free).
binding() { slot_json "$1" | jq -r '"\(.vni) \(.remote) \(.state)"'; }

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
    sn -q prewarm --slots 20 --prefix "$P" --tunnel vxlan >/dev/null
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
        "placeholder (dummy) VNI range 16000000..16016383"
    refused_unchanged "bind 0 --vni 16016383" "bind: " "--vni 16016383" "16000000..16016383"
    run sn bind 0 --vni 15999999
    assert_status 0
    run sn bind 2 --vni 16016384
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

# ---------------------------------------------------------------------------
# Batch mode

@test "a batch runs every line in order, skipping blank lines and comments" {
    prewarm4
    cat >"$BATS_TEST_TMPDIR/cmds" <<'EOF'
# bind two tenants
bind 0 --vni 100

   # an indented comment
bind 1 --vni 200 --remote 198.51.100.9
bind 2 --vni 300
unbind 2
bind --any --vni 400
EOF
    run --separate-stderr sn -b "$BATS_TEST_TMPDIR/cmds"
    assert_status 0
    expect_eq "$stderr" "" "stderr"
    expect_eq "$output" 2 "stdout (bind --any's slot)"
    expect_eq "$(sn -j dump | jq -c '[.slots[] | [.vni, .remote, .state]]')" \
        "[[100,\"$DEFAULT_REMOTE\",\"bound\"],[200,\"198.51.100.9\",\"bound\"],[400,\"$DEFAULT_REMOTE\",\"bound\"],[null,\"$DEFAULT_REMOTE\",\"free\"]]" \
        "slots after the batch"
}

@test "a batch stops at the first failing line, names its line number and exits with its code" {
    prewarm4
    printf '%s\n' "bind 0 --vni 100" "# a comment counts as a line" "bind 0 --vni 101" "bind 1 --vni 200" \
        >"$BATS_TEST_TMPDIR/cmds"
    run --separate-stderr sn -b "$BATS_TEST_TMPDIR/cmds"
    assert_status 3
    expect_eq "$stderr" "slotnet: batch line 3: bind: slot 0: already bound to VNI 100 (use --force)" "stderr"
    expect_eq "$(binding 0)" "100 $DEFAULT_REMOTE bound" "slot 0"
    expect_eq "$(binding 1)" "null $DEFAULT_REMOTE free" "slot 1 (its line comes after the failure)"
}

@test "a batch with -k runs every line, exits with the first failure's code and counts the failures" {
    prewarm4
    printf '%s\n' "bind 0 --vni 100" "bind 1 --vni 99999999" "bind 0 --vni 101" "bind 2 --vni 300" "unbind 0" \
        >"$BATS_TEST_TMPDIR/cmds"
    run --separate-stderr sn -k -b "$BATS_TEST_TMPDIR/cmds"
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "${#stderr_lines[@]}" 3 "lines on stderr ($stderr)"
    [[ ${stderr_lines[0]} == "slotnet: batch line 2: bind: "*"--vni '99999999'"*"out of range"* ]] ||
        fail "first message: ${stderr_lines[0]}"
    expect_eq "${stderr_lines[1]}" "slotnet: batch line 3: bind: slot 0: already bound to VNI 100 (use --force)" \
        "second message"
    expect_eq "${stderr_lines[2]}" "slotnet: batch: 2 of 5 commands failed" "summary"
    expect_eq "$(sn -j dump | jq -c '[.slots[] | .vni]')" "[null,null,300,null]" "VNIs after the batch"
}

@test "a batch with -k whose lines all succeed exits 0 and prints no summary" {
    prewarm4
    run --separate-stderr sn -k -b - <<<$'bind 0 --vni 1\nbind 1 --vni 2'
    assert_status 0
    expect_eq "$stderr" "" "stderr"
    expect_eq "$(sn -j dump | jq -c '[.slots[] | .vni]')" "[1,2,null,null]" "VNIs after the batch"
}

@test "a batch read from stdin with -b - runs its lines, with valid -j output per command" {
    prewarm4
    run --separate-stderr sn -j -b - <<<$'bind 3 --vni 33\nunbind 3\nbind 3 --vni 34'
    assert_status 0
    # One JSON value per command, or one array of them (as bpftool -j batch does).
    jq -e . <<<"$output" >/dev/null || fail "batch -j output is not JSON: $output"
    expect_eq "$(jq -c 'if type == "array" then .[] else . end' <<<"$output" | tr '\n' ' ')" \
        '{"slot":3,"vni":33,"remote":null,"changed":true} {"slot":3,"was_bound":true} {"slot":3,"vni":34,"remote":null,"changed":true} ' \
        "-j output of the three commands"
    expect_eq "$(binding 3)" "34 $DEFAULT_REMOTE bound" "slot 3"
}

@test "a batch line with a bad slot names the line and changes nothing after it" {
    prewarm4
    run --separate-stderr sn -b - <<<$'bind 7 --vni 1\nbind 0 --vni 1'
    assert_status 2
    [[ $stderr == "slotnet: batch line 1: bind: slot '7': out of range"* ]] || fail "stderr: $stderr"
    expect_eq "$(sn -j dump | jq -c '[.slots[] | .state] | unique')" '["free"]' "states"
}

@test "a batch line with a command other than bind, unbind or dump is refused naming the line" {
    prewarm4
    run --separate-stderr sn -k -b - <<<$'prewarm --slots 8\nfrobnicate 1\nbind 0 --vni 1'
    assert_status 2
    expect_eq "${#stderr_lines[@]}" 3 "lines on stderr ($stderr)"
    [[ ${stderr_lines[0]} == "slotnet: batch line 1: "*prewarm* ]] || fail "first message: ${stderr_lines[0]}"
    [[ ${stderr_lines[1]} == "slotnet: batch line 2: "*frobnicate* ]] || fail "second message: ${stderr_lines[1]}"
    expect_eq "${stderr_lines[2]}" "slotnet: batch: 2 of 3 commands failed" "summary"
    expect_eq "$(sn -j dump | jq -c '[.config.slots, [.slots[] | .vni]]')" "[4,[1,null,null,null]]" "slots after the batch"
}

# ---------------------------------------------------------------------------
# dump's view

@test "dump shows bindings, states, remotes and zero drop reasons" {
    prewarm4
    sn bind 1 --vni 4242
    sn bind 2 --vni 77 --remote 198.51.100.9
    run --separate-stderr sn dump
    assert_status 0
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[2]})" "0 ${P}0 100.64.0.1 16000000 - $DEFAULT_REMOTE free 0 0 0 0 0 0" "row of slot 0"
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[3]})" "1 ${P}1 100.64.0.2 16000001 4242 $DEFAULT_REMOTE bound 0 0 0 0 0 0" "row of slot 1"
    # shellcheck disable=SC2086,SC2116 # echo of the unquoted row squeezes its padding to single spaces
    expect_eq "$(echo ${lines[4]})" "2 ${P}2 100.64.0.3 16000002 77 198.51.100.9 bound 0 0 0 0 0 0" "row of slot 2"
    run --separate-stderr sn -j dump
    assert_status 0
    expect_eq "$(jq -c '[.slots[] | {vni, remote, state}]' <<<"$output")" \
        "[{\"vni\":null,\"remote\":\"$DEFAULT_REMOTE\",\"state\":\"free\"},{\"vni\":4242,\"remote\":\"$DEFAULT_REMOTE\",\"state\":\"bound\"},{\"vni\":77,\"remote\":\"198.51.100.9\",\"state\":\"bound\"},{\"vni\":null,\"remote\":\"$DEFAULT_REMOTE\",\"state\":\"free\"}]" \
        "bindings in dump -j"
    zero='{"malformed":0,"not_ipv4":0,"spoof":0,"dest":0,"unbound":0,"vni":0,"remote":0,"hairpin":0}'
    expect_eq "$(jq -c '[.slots[].drops] | unique' <<<"$output")" "[{\"tx\":$zero,\"rx\":$zero}]" "drop reasons"
}

# ---------------------------------------------------------------------------
# How prewarm attaches the programs

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
        expect_eq "$(tc -n "$W" -j qdisc show dev "$P$i" | jq '[.[] | select(.kind == "clsact")] | length')" 0 \
            "clsact qdiscs on $P$i"
    done
    expect_eq "$(sn -j dump | jq -r .config.attach)" tcx "attach mode in dump"
}

@test "prewarm attaches by default with clsact on one shared ingress and one shared egress block" {
    prewarm4
    blocks=$(for i in 0 1 2 3; do
        tc -n "$W" -j qdisc show dev "$P$i" | jq -r '.[] | select(.kind == "clsact") | "\(.ingress_block) \(.egress_block)"'
    done | sort | uniq -c)
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
    block=$(tc -n "$W" -j qdisc show dev "${P}0" | jq -r '.[] | select(.kind == "clsact") | .ingress_block')
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
    blocks() { tc -n "$W" -j qdisc show dev "$1" | jq -r '.[] | select(.kind == "clsact") | "\(.ingress_block) \(.egress_block)"'; }
    want=$(blocks "${P}0")
    tc -n "$W" qdisc del dev "${P}1" clsact
    expect_eq "$(blocks "${P}1")" "" "clsact on ${P}1 after the deletion"
    run --separate-stderr sn prewarm
    assert_status 0
    expect_eq "$(blocks "${P}1")" "$want" "clsact blocks on ${P}1 after the re-run"
}

@test "prewarm re-run with another --attach exits 2 naming it and changes nothing" {
    prewarm4 --attach tcx
    links=$(ls "$PIN/links")
    run --separate-stderr sn prewarm --attach tc
    assert_status 2
    expect_eq "$output" "" "stdout"
    [[ $stderr == *"--attach tc (pinned tcx)"* ]] || fail "stderr: $stderr"
    expect_eq "$(ls "$PIN/links")" "$links" "pinned links"
    for i in 0 1 2 3; do
        expect_eq "$(tc -n "$W" -j qdisc show dev "$P$i" | jq -r '[.[] | select(.kind == "clsact")] | length')" 0 \
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
