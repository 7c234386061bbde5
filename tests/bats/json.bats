#!/usr/bin/env bats
# -j: every command writes exactly one JSON document on stdout, what it did
# or, when it failed, an error object with the message and the exit code
# (bpftool's convention), so that a script never has to read stderr.
load helpers

# Fails unless OUT is exactly one JSON document (strict: no second value,
# nothing after it but its newline); then jq's FILTER must hold on it.
assert_one_doc() { # OUT FILTER WHAT
    python3 -c 'import json, sys; json.loads(sys.argv[1])' "$1" 2>/dev/null ||
        fail "$3: stdout is not one JSON document: '$1'" || return
    jq -e "$2" <<<"$1" >/dev/null || fail "$3: $1 does not satisfy $2"
}

# slotnet ARGS... (in the worker, with this test's pins) must exit CODE and
# print one error document saying so, its message containing PART.
assert_json_error() { # CODE PART ARGS...
    local code=$1 part=$2
    shift 2
    run --separate-stderr sn -j "$@"
    assert_status "$code"
    assert_one_doc "$output" \
        ".error.exit_code == $code and (.error.message | contains(\"$part\")) and .error.messages[0] == .error.message" \
        "-j $*" || return
    # The same message as on stderr, which people still read.
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == *"$(jq -r .error.message <<<"$output")"* ]] ||
        fail "-j $*: the JSON message is not the one on stderr: $stderr"
}

@test "every command's -j output on success is one JSON document" {
    run --separate-stderr sn -j prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    assert_one_doc "$output" '.slots == 2 and .created == 2' "prewarm"
    run --separate-stderr sn -j bind 1 --vni 77
    assert_status 0
    assert_one_doc "$output" '.slot == 1 and .vni == 77' "bind"
    run --separate-stderr sn -j dump
    assert_status 0
    assert_one_doc "$output" '(.slots | length) == 2 and .config.slots == 2' "dump"
    run --separate-stderr sn -j unbind 1
    assert_status 0
    assert_one_doc "$output" '.slot == 1' "unbind"
    run --separate-stderr sn -j check
    assert_status 0
    assert_one_doc "$output" '.slots == 2 and .differences == [] and .differ == 0' "check"
    ip -n "${P}1" link set br0 down
    run --separate-stderr sn -j check
    assert_status 1
    assert_one_doc "$output" '.differ == 1 and .differences[0] == {"slot": 1, "object": "br0 state",
        "expected": "up", "found": "down"}' "check of a drifted slot"
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
    run --separate-stderr sn -j rules --print
    assert_status 0
    assert_one_doc "$output" '(.sets | length) > 0 and all(.sets[]; (.scope == "root" or .scope == "slots")
        and (.tool | type) == "string" and (.lines | length) > 0 and .lines[-1] == "COMMIT")' "rules --print"
    run --separate-stderr sn -j rules --apply
    assert_status 0
    assert_one_doc "$output" '.namespaces == 3' "rules --apply"
    run --separate-stderr sn -j rules --check
    assert_status 0
    assert_one_doc "$output" '.namespaces == 3 and .differ == 0 and .findings == []' "rules --check"
    run --separate-stderr "$SLOTNET" -j --version
    assert_status 0
    assert_one_doc "$output" '.abi_version == 6 and (.tags.from_slot | test("^[0-9a-f]{16}$"))' "--version"
    run --separate-stderr sn -j teardown
    assert_status 0
    assert_one_doc "$output" ".slots == 2 and .prefix == \"$P\" and .pin_dir == \"$PIN\"" "teardown"
    run --separate-stderr sn -j teardown
    assert_status 0
    assert_one_doc "$output" ".slots == 0 and .pin_dir == \"$PIN\"" "teardown again"
}

@test "rules --print -j holds the same restore lines as its text" {
    sn -q prewarm --slots 1 --prefix "$P" --tunnel "$TUNNEL"
    expect_eq "$(sn -j rules --print | jq -r '.sets[].lines[]')" \
        "$(sn rules --print | grep -v '^# slotnet: ')" "the lines of rules --print -j and of its text"
}

@test "every command's -j failure is one JSON error document with the message and exit code" {
    assert_json_error 2 "--slots '0'" prewarm --slots 0 --prefix "$P" --tunnel "$TUNNEL"
    assert_json_error 2 "no prewarmed state" dump
    assert_json_error 2 "no prewarmed state" bind 0 --vni 5
    assert_json_error 2 "no prewarmed state" unbind 0
    assert_json_error 2 "no prewarmed state" check
    assert_json_error 2 "give exactly one of" rules
    assert_json_error 2 "unknown command 'bogus'" bogus
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_json_error 2 "'9'" bind 9 --vni 5
    assert_json_error 2 "--vni" bind 0 --vni 99999999
    assert_json_error 2 "'x'" unbind x
    assert_json_error 2 "'7'" dump 7
    assert_json_error 2 "'7'" check 7
    sn -q bind 0 --vni 5
    assert_json_error 3 "slot 0" bind 0 --vni 6
    assert_json_error 2 "unknown option" teardown --bogus
    # Nothing above changed the state.
    expect_eq "$(binding 0) $(binding 1)" "5 $DEFAULT_REMOTE bound null $DEFAULT_REMOTE free" "the bindings"
}

@test "a batch under -j writes one document per line, a failed line's naming the line" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    run --separate-stderr sn -j -k -b - <<<$'bind 0 --vni 10\nbind 9 --vni 11\n\n# comment\ndump 0'
    assert_status 2
    mapfile -t docs <<<"$output"
    expect_eq "${#docs[@]}" 4 "documents (3 lines and the summary)"
    assert_one_doc "${docs[0]}" '.slot == 0 and .vni == 10' "line 1"
    assert_one_doc "${docs[1]}" '.error.line == 2 and .error.command == "bind" and .error.exit_code == 2
        and (.error.message | contains("9"))' "line 2"
    assert_one_doc "${docs[2]}" '.slots[0].slot == 0 and .slots[0].vni == 10' "line 5"
    assert_one_doc "${docs[3]}" '.error.command == "batch" and .error.message == "1 of 3 commands failed"' \
        "the summary"
    # Without -k the batch stops at the failed line: its error is the last document.
    run --separate-stderr sn -j -b - <<<$'bind 9 --vni 11\ndump 0'
    assert_status 2
    assert_one_doc "$output" '.error.line == 1' "the failed first line, alone"
}
