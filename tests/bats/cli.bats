#!/usr/bin/env bats
# The command line as a whole: version, help, unknown commands and options,
# SLOTNET_PIN_DIR, -q/-v, `make install` and the multi-call links, and a
# helper tool dying early reported rather than taking slotnet with it.
load helpers

@test "--version and -V print the version, the map ABI and the programs' tags" {
    local tag='[0-9a-f]{16}'
    for opt in --version -V; do
        run --separate-stderr "$SLOTNET" "$opt"
        assert_status 0
        [[ $output =~ ^"slotnet 0.2.0 (map ABI 6)"$'\n'"from_slot tag "$tag$'\n'"to_slot tag "$tag$ ]] ||
            fail "$opt: $output"
        # shellcheck disable=SC2154 # set by bats' run --separate-stderr
        expect_eq "$stderr" "" "stderr of $opt"
    done
    # Tags are the kernel's hash of the instructions loaded: not without root.
    run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$SLOTNET" -V
    assert_status 0
    expect_eq "$output" "slotnet 0.2.0 (map ABI 6)"$'\n'"programs' tags: known once loaded (run as root)" "-V as nobody"
}

@test "-h and --help on every subcommand print its usage and exit 0" {
    for cmd in prewarm dump check rules teardown; do
        for opt in -h --help; do
            run --separate-stderr "$SLOTNET" "$cmd" "$opt"
            assert_status 0
            [[ ${lines[0]} == "Usage: slotnet [-j] [--pin-dir DIR] [-q] [-v] $cmd "* ]] ||
                fail "$cmd $opt: first line '${lines[0]}'"
            assert_output_has "-h, --help"
            expect_eq "$stderr" "" "stderr of $cmd $opt"
        done
    done
    run "$SLOTNET" prewarm -h
    for o in "--slots N" "--prefix P" "--tunnel vxlan|geneve" "--remote ADDR" "--outside CIDR"; do
        assert_output_has "$o"
    done
    run "$SLOTNET" dump -h
    assert_output_has "dump [OPTIONS] [SLOT]"
}

@test "-h on a subcommand touches nothing, whatever else is given" {
    run sn prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" -h
    assert_status 0
    assert_output_has "Usage: slotnet"
    run sn teardown -h
    assert_status 0
    assert_nothing_created
}

@test "slotnet -h lists every command and exits 0" {
    for opt in -h --help; do
        run --separate-stderr "$SLOTNET" "$opt"
        assert_status 0
        expect_eq "${lines[0]}" "Usage: slotnet [GLOBAL OPTIONS] COMMAND [ARGS]" "first line"
        for cmd in prewarm bind unbind dump check rules teardown; do
            [[ $output =~ $'\n'"  $cmd " ]] || fail "$opt does not list $cmd: $output"
        done
    done
}

@test "no command prints the usage on stderr and exits 2" {
    run --separate-stderr "$SLOTNET"
    assert_status 2
    expect_eq "$output" "" "stdout"
    [[ $stderr == "Usage: slotnet [GLOBAL OPTIONS] COMMAND [ARGS]"* ]] || fail "stderr: $stderr"
}

@test "an unknown command exits 2 naming it" {
    run --separate-stderr "$SLOTNET" frobnicate
    assert_status 2
    expect_eq "$stderr" "slotnet: unknown command 'frobnicate' (see 'slotnet -h')" "stderr"
}

@test "an unknown global option exits 2 naming it" {
    run --separate-stderr "$SLOTNET" --frob dump
    assert_status 2
    expect_eq "$stderr" "slotnet: unknown global option '--frob' (see 'slotnet -h')" "stderr"
}

@test "a global option after the subcommand is refused naming it" {
    run --separate-stderr sn dump -j
    assert_status 2
    expect_eq "$stderr" "slotnet: dump: unknown option '-j' (see 'slotnet dump -h')" "stderr"
    run --separate-stderr sn teardown --json
    assert_status 2
    expect_eq "$stderr" "slotnet: teardown: unknown option '--json' (see 'slotnet teardown -h')" "stderr"
    assert_nothing_created
}

@test "more positional arguments than a subcommand takes exit 2 naming the first extra one" {
    # ARGS -> the one refused; after "--" every word is positional, even past eight.
    while IFS='|' read -r args extra; do
        read -r -a words <<<"$args"
        run --separate-stderr sn "${words[@]}"
        assert_status 2
        expect_eq "$stderr" "slotnet: ${words[0]}: unexpected argument '$extra' (see 'slotnet ${words[0]} -h')" \
            "stderr of '$args'"
        expect_eq "$output" "" "stdout of '$args'"
    done <<'EOF'
dump 1 2 3 4 5 6 7 8 9 10|2
dump -- 1 2 3 4 5 6 7 8 9 10|2
dump -- -5 -6|-6
bind 1 2 --vni 5|2
unbind -- 1 2|2
prewarm --slots 1 x|x
teardown - |-
rules --check x|x
EOF
    assert_nothing_created
}

@test "a restore tool that exits without reading its input is reported, not a death by SIGPIPE" {
    sn -q prewarm --slots 1 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
    # Stand-ins for the tools slotnet finds first, in /usr/sbin: save shows
    # nothing of slotnet's, so apply runs restore, which reads nothing.
    local fake=$BATS_TEST_TMPDIR/sbin t strace nsenter
    mkdir "$fake"
    for t in iptables ebtables; do
        printf '#!/bin/sh\nexit 0\n' >"$fake/$t-nft-save"
        printf '#!/bin/sh\nexit 4\n' >"$fake/$t-nft-restore"
    done
    chmod +x "$fake"/*
    strace=$(command -v strace) && nsenter=$(command -v nsenter) || fail "needs strace and nsenter"
    # In a mount namespace of the test's own, so only this slotnet sees the
    # stand-ins.  The tool exiting before slotnet hands it its input is a
    # race slotnet nearly always wins; strace holds every write() for 0.3 s,
    # so the tool is gone first every time.
    # shellcheck disable=SC2016 # the $s are sh -c's own
    run --separate-stderr unshare -m --propagation private sh -c \
        'mount --bind "$1" /usr/sbin && shift && exec "$@"' sh "$fake" \
        "$strace" -f -o /dev/null -e trace=write -e inject=write:delay_enter=300000 \
        "$nsenter" --net="/run/netns/$W" "$SLOTNET" --pin-dir "$PIN" rules --apply
    assert_status 1
    expect_eq "$stderr" "slotnet: rules: root: installing the nft rules: iptables-nft-restore exited with 4" \
        "stderr"
}

@test "SLOTNET_PIN_DIR sets the pin directory and --pin-dir overrides it" {
    envsn() { in_ns "$W" env SLOTNET_PIN_DIR="$1" "$SLOTNET" "${@:2}"; }
    run envsn "$PIN" -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    [[ -e $PIN/config ]] || fail "nothing pinned in $PIN"
    assert_all_slots_whole 2
    run --separate-stderr envsn "$PIN" -j dump
    assert_status 0
    expect_eq "$(jq -c '[.config.pin_dir, .config.prefix, (.slots | length)]' <<<"$output")" \
        "[\"$PIN\",\"$P\",2]" "dump through SLOTNET_PIN_DIR"
    run --separate-stderr envsn "$PIN-none" --pin-dir "$PIN" -j dump
    assert_status 0
    expect_eq "$(jq -r .config.pin_dir <<<"$output")" "$PIN" "pin dir with --pin-dir over SLOTNET_PIN_DIR"
    run --separate-stderr envsn "$PIN-none" dump
    assert_status 2
    expect_eq "$stderr" "slotnet: dump: no prewarmed state in $PIN-none (run 'slotnet prewarm')" "stderr"
    run envsn "$PIN" teardown
    assert_status 0
    assert_output_has "removed 2 slots (prefix $P) and the pins in $PIN"
    assert_nothing_created
}

@test "-q silences information on stderr and -v adds per-phase timings" {
    run --separate-stderr sn -v prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    [[ $stderr == *"slotnet: prewarm: tenth "*" ms/slot: netns "* ]] || fail "-v stderr: $stderr"
    run --separate-stderr sn -q teardown
    assert_status 0
    expect_eq "$stderr" "" "stderr of -q teardown"
    expect_eq "$output" "" "stdout of -q teardown"
    assert_nothing_created
}

@test "make install puts the binary, the multi-call links and the man pages under DESTDIR" {
    dest=$BATS_TEST_TMPDIR/dest
    run make -s -C "$REPO" install BUILD="${SLOTNET%/slotnet}" DESTDIR="$dest" PREFIX=/usr
    assert_status 0
    [[ -x $dest/usr/sbin/slotnet && -f $dest/usr/sbin/slotnet && ! -L $dest/usr/sbin/slotnet ]] ||
        fail "no executable $dest/usr/sbin/slotnet"
    cmp "$dest/usr/sbin/slotnet" "$SLOTNET" || fail "the installed binary is not build/slotnet"
    for cmd in prewarm dump teardown; do
        expect_eq "$(readlink "$dest/usr/sbin/slotnet-$cmd")" slotnet "link slotnet-$cmd"
    done
    for page in slotnet slotnet-prewarm slotnet-bind slotnet-unbind slotnet-dump slotnet-check slotnet-rules slotnet-teardown; do
        f=$dest/usr/share/man/man8/$page.8
        [[ -s $f ]] || fail "no man page $f"
        grep -q '^\.TH ' "$f" || fail "$f has no .TH header"
    done
    expect_eq "$(find "$dest" -type f -o -type l | sed "s|^$dest||" | sort | tr '\n' ' ')" \
        "/usr/lib/systemd/system/slotnet-metrics.service /usr/lib/systemd/system/slotnet-metrics.timer /usr/lib/systemd/system/slotnet-prewarm.service /usr/lib/systemd/system/slotnet.target /usr/sbin/slotnet /usr/sbin/slotnet-bind /usr/sbin/slotnet-check /usr/sbin/slotnet-dump /usr/sbin/slotnet-prewarm /usr/sbin/slotnet-rules /usr/sbin/slotnet-teardown /usr/sbin/slotnet-unbind /usr/share/bash-completion/completions/slotnet /usr/share/doc/slotnet/slotnet.default /usr/share/man/man8/slotnet-bind.8 /usr/share/man/man8/slotnet-check.8 /usr/share/man/man8/slotnet-dump.8 /usr/share/man/man8/slotnet-prewarm.8 /usr/share/man/man8/slotnet-rules.8 /usr/share/man/man8/slotnet-teardown.8 /usr/share/man/man8/slotnet-unbind.8 /usr/share/man/man8/slotnet.8 " \
        "installed files"
}

@test "the installed slotnet-CMD links run CMD with its arguments" {
    dest=$BATS_TEST_TMPDIR/dest
    make -s -C "$REPO" install BUILD="${SLOTNET%/slotnet}" DESTDIR="$dest" PREFIX=/usr >/dev/null
    sbin=$dest/usr/sbin

    run in_ns "$W" "$sbin/slotnet-prewarm" --pin-dir "$PIN" -q --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    assert_all_slots_whole 2
    # slotnet-dump --pin-dir X is slotnet --pin-dir X dump, also with -j and a slot.
    expect_eq "$(in_ns "$W" "$sbin/slotnet-dump" --pin-dir "$PIN")" "$(sn dump)" "slotnet-dump"
    expect_eq "$(in_ns "$W" "$sbin/slotnet-dump" -j --pin-dir "$PIN" 1)" "$(sn -j dump 1)" "slotnet-dump -j 1"
    run "$sbin/slotnet-dump" -h
    assert_status 0
    [[ ${lines[0]} == "Usage: slotnet [-j] [--pin-dir DIR] [-q] [-v] dump "* ]] || fail "slotnet-dump -h: ${lines[0]}"
    run "$sbin/slotnet-prewarm" --frob
    assert_status 2
    assert_output_has "slotnet: prewarm: unknown option '--frob'"
    run in_ns "$W" "$sbin/slotnet-teardown" --pin-dir "$PIN"
    assert_status 0
    assert_output_has "slotnet: teardown: removed 2 slots (prefix $P)"
    assert_nothing_created

    ln -s slotnet "$sbin/slotnet-bogus"
    run "$sbin/slotnet-bogus"
    assert_status 2
    assert_output_has "slotnet: unknown command 'bogus'"
}

@test "the binary is static and runs from anywhere without files beside it" {
    run file -L "$SLOTNET"
    assert_output_has "statically linked"
    cp "$SLOTNET" "$BATS_TEST_TMPDIR/slotnet"
    run nsenter --net="/run/netns/$W" "$BATS_TEST_TMPDIR/slotnet" --pin-dir "$PIN" -q prewarm --slots 1 \
        --prefix "$P" --tunnel "$TUNNEL"
    assert_status 0
    assert_all_slots_whole 1
}

@test "a batch line holding a NUL byte is refused whole, exit 2, naming the line" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL"
    sn -q bind 3 --vni 5 >/dev/null
    run --separate-stderr sn -b - < <(printf 'dump 3\nbind 3 --vni 7\0 --force\n')
    assert_status 2
    [[ $stderr == "slotnet: batch line 2: holds a NUL byte" ]] || fail "stderr: $stderr"
    expect_eq "$(sn -j dump 3 | jq .slots[0].vni)" 5 "slot 3's VNI"
}

@test "make CFLAGS=... keeps the include paths, _GNU_SOURCE and the warnings" {
    run make -C "$REPO" -n -B CFLAGS=-O0 build/parse.o
    assert_status 0
    assert_output_has "-O0"
    assert_output_has "-D_GNU_SOURCE"
    assert_output_has "-Werror"
    assert_output_has "-isystem build/vendor/include"
}
