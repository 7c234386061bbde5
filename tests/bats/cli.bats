#!/usr/bin/env bats
load helpers

@test "--version prints the version and the map ABI" {
    run "$SLOTNET" --version
    assert_status 0
    [[ $output =~ ^slotnet\ [0-9]+\.[0-9]+\.[0-9]+\ \(map\ ABI\ [0-9]+\)$ ]]
}

@test "-h on every subcommand prints its usage and exits 0" {
    for cmd in prewarm dump teardown; do
        run "$SLOTNET" "$cmd" -h
        assert_status 0
        assert_output_has "Usage: slotnet"
        assert_output_has " $cmd "
    done
    run "$SLOTNET" prewarm --help
    assert_status 0
    assert_output_has "--outside CIDR"
}

@test "an unknown command exits 2 naming it" {
    run "$SLOTNET" frobnicate
    assert_status 2
    assert_output_has "slotnet: unknown command 'frobnicate'"
}

@test "an unknown global option exits 2 naming it" {
    run "$SLOTNET" --frob dump
    assert_status 2
    assert_output_has "unknown global option '--frob'"
}

@test "no command prints the usage and exits 2" {
    run "$SLOTNET"
    assert_status 2
    assert_output_has "Usage: slotnet"
}

@test "SLOTNET_PIN_DIR sets the pin directory" {
    SLOTNET_PIN_DIR="$PIN" run nsenter --net="/run/netns/$W" "$SLOTNET" dump
    assert_status 2
    assert_output_has "no prewarmed state in $PIN"
}

@test "make install puts the binary, the multi-call links and the man pages in place" {
    dest=$(mktemp -d)
    make -s -C "$BATS_TEST_DIRNAME/../.." install DESTDIR="$dest" PREFIX=/usr
    [ -x "$dest/usr/sbin/slotnet" ]
    for cmd in prewarm dump teardown; do
        [ "$(readlink "$dest/usr/sbin/slotnet-$cmd")" = slotnet ]
        [ -f "$dest/usr/share/man/man8/slotnet-$cmd.8" ]
    done
    [ -f "$dest/usr/share/man/man8/slotnet.8" ]

    # argv[0] dispatch: slotnet-prewarm and slotnet-dump are those commands.
    run nsenter --net="/run/netns/$W" "$dest/usr/sbin/slotnet-prewarm" --pin-dir "$PIN" \
        -q --slots 2 --prefix "$P" --tunnel vxlan
    assert_status 0
    run nsenter --net="/run/netns/$W" "$dest/usr/sbin/slotnet-dump" --pin-dir "$PIN" -j 1
    assert_status 0
    [ "$(echo "$output" | jq -r '.slots[0].netns')" = "${P}1" ]
    rm -rf "$dest"
}

@test "the binary is static and needs no file beside it" {
    run file -L "$SLOTNET"
    assert_output_has "statically linked"
    dir=$(mktemp -d)
    cp "$SLOTNET" "$dir/"
    run nsenter --net="/run/netns/$W" "$dir/slotnet" --pin-dir "$PIN" prewarm --slots 1 \
        --prefix "$P" --tunnel vxlan
    assert_status 0
    rm -rf "$dir"
}
