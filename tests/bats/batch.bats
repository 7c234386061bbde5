#!/usr/bin/env bats
# Batch mode (-b FILE or -b -): one command per line, blank lines and
# comments skipped, stop at the first failing line (or run on with -k),
# errors naming the line.  The batch's commands are bind, unbind and dump
# on four prewarmed slots (prewarm4, helpers.bash).
load helpers

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
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
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

