#!/usr/bin/env bats
# Bad input: exit 2, one message on stderr naming the value and the reason,
# nothing on stdout, and nothing created at all (no namespace, no pin
# directory, no link but lo and no route in the worker).  One test per input.
load helpers

# refused MESSAGE ARGS...: `slotnet --pin-dir PIN ARGS...` in the worker must
# exit 2 with exactly "slotnet: MESSAGE" on stderr and create nothing.
refused() {
    local msg=$1
    shift
    run --separate-stderr sn "$@"
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "slotnet: $msg" "stderr"
    expect_eq "$output" "" "stdout"
    assert_nothing_created
}

@test "prewarm --slots 0 is refused" {
    refused "prewarm: --slots '0': out of range 1..65536" prewarm --slots 0 --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --slots above 65536 is refused" {
    refused "prewarm: --slots '65537': out of range 1..65536" prewarm --slots 65537 --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --max-slots that is not a power of two is refused" {
    refused "prewarm: --max-slots 3000: not a power of two" prewarm --slots 4 --max-slots 3000 --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --max-slots below 1024 is refused" {
    refused "prewarm: --max-slots '512': out of range 1024..65536" prewarm --slots 4 --max-slots 512 --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --slots more than --max-slots is refused" {
    refused "prewarm: --slots 2000: more than --max-slots 1024" prewarm --slots 2000 --max-slots 1024 --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --slots that is not a decimal number is refused" {
    refused "prewarm: --slots '12x': not a decimal number" prewarm --slots 12x --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --slots that is negative is refused" {
    refused "prewarm: --slots '-1': not a decimal number" prewarm --slots -1 --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --slots without a value is refused" {
    refused "prewarm: --slots needs a value (N)" prewarm --prefix "$P" --tunnel "$TUNNEL" --slots
}

@test "prewarm without --slots on a fresh pin directory is refused" {
    refused "prewarm: --slots N is required (nothing is pinned in $PIN yet)" prewarm --prefix "$P" --tunnel "$TUNNEL"
}

@test "prewarm --slots more than the --outside range has hosts is refused" {
    refused "prewarm: --slots 300: --outside 10.0.0.0/24 has only 254 host addresses" \
        prewarm --slots 300 --prefix "$P" --tunnel "$TUNNEL" --outside 10.0.0.0/24
}

@test "prewarm --outside with host bits set is refused" {
    refused "prewarm: --outside '10.0.0.1/24': host bits set after the prefix length" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 10.0.0.1/24
}

@test "prewarm --outside with a prefix length above 32 is refused" {
    refused "prewarm: --outside '10.0.0.0/33': prefix length must be 0..32" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 10.0.0.0/33
}

@test "prewarm --outside that is not a CIDR is refused" {
    refused "prewarm: --outside 'foo': not a CIDR (ADDRESS/LENGTH)" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside foo
}

@test "prewarm --outside overlapping the slots' underlay is refused" {
    refused "prewarm: --outside 169.254.0.0/16: overlaps the slots' own underlay 169.254.1.2/30" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 169.254.0.0/16
}

@test "prewarm --remote that is not an IPv4 address is refused" {
    refused "prewarm: --remote '1.2.3': not an IPv4 address" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 1.2.3
}

@test "prewarm --remote multicast is refused" {
    refused "prewarm: --remote 224.0.0.1: a multicast or reserved address" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 224.0.0.1
}

@test "prewarm --remote loopback is refused" {
    refused "prewarm: --remote 127.0.0.1: a loopback address" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 127.0.0.1
}

@test "prewarm --remote 0.0.0.0 is refused" {
    refused "prewarm: --remote 0.0.0.0: not a unicast address" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 0.0.0.0
}

@test "prewarm --remote inside the outside range is refused" {
    refused "prewarm: --remote 100.64.0.9: inside the outside range (another slot's address); a remote is reached through the underlay" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 100.64.0.9
}

@test "prewarm --outside that holds loopback, multicast or 0.0.0.0/8 addresses is refused" {
    refused "prewarm: --outside 127.0.0.0/8: a loopback address: slots' outside addresses must be unicast" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 127.0.0.0/8
    refused "prewarm: --outside 224.0.0.0/4: a multicast or reserved address: slots' outside addresses must be unicast" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 224.0.0.0/4
    refused "prewarm: --outside 96.0.0.0/3: a loopback address: slots' outside addresses must be unicast" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 96.0.0.0/3
    refused "prewarm: --outside 0.0.0.0/24: not a unicast address: slots' outside addresses must be unicast" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --outside 0.0.0.0/24
}

@test "prewarm --remote of the slots' underlay, 0.0.0.0/8 or the worker's own address is refused" {
    refused "prewarm: --remote 169.254.1.1: inside the slots' own underlay 169.254.1.2/30 (the slot itself or its gateway)" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 169.254.1.1
    refused "prewarm: --remote 0.9.9.9: in 0.0.0.0/8 (this network, never a destination)" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 0.9.9.9
    ip -n "$W" addr add 198.18.7.7/32 dev lo
    refused "prewarm: --remote 198.18.7.7: an address of this host's own (the worker itself)" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --remote 198.18.7.7
}

@test "an empty pin directory, or one with '..', is refused by every command" {
    local cmd
    for cmd in prewarm bind unbind dump rules teardown; do
        run --separate-stderr snw --pin-dir "" "$cmd"
        assert_status 2
        expect_eq "$stderr" "slotnet: $cmd: pin directory '': empty (give an absolute path)" "stderr"
    done
    run --separate-stderr snw --pin-dir "$PIN/../x" prewarm --slots 1 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 2
    expect_eq "$stderr" "slotnet: prewarm: pin directory '$PIN/../x': '.' and '..' are not allowed" "stderr"
    assert_nothing_created
}

@test "prewarm --prefix too long for the largest slot's interface name is refused" {
    # 14 characters and a 2-digit slot number (10) make 16: one too many.
    long=$P$(printf 'z%.0s' $(seq $((14 - ${#P}))))
    refused "prewarm: --prefix '$long': too long: prefix and slot number must fit an interface name (15 characters)" \
        prewarm --slots 11 --prefix "$long" --tunnel "$TUNNEL"
}

@test "prewarm --prefix of 16 characters is refused" {
    long=$P$(printf 'z%.0s' $(seq $((16 - ${#P}))))
    refused "prewarm: --prefix '$long': too long: prefix and slot number must fit an interface name (15 characters)" \
        prewarm --slots 1 --prefix "$long" --tunnel "$TUNNEL"
}

@test "prewarm --prefix not starting with a letter is refused" {
    refused "prewarm: --prefix '9$P': must start with a letter" prewarm --slots 2 --prefix "9$P" --tunnel "$TUNNEL"
    [[ $(compgen -G "/run/netns/9$P*" | wc -l) -eq 0 ]]
}

@test "prewarm --prefix ending in a digit is refused" {
    refused "prewarm: --prefix '${P}1': must not end in a digit" prewarm --slots 2 --prefix "${P}1" --tunnel "$TUNNEL"
}

@test "prewarm --prefix with a character not allowed in names is refused" {
    refused "prewarm: --prefix '$P.z': may hold only letters, digits, '-' and '_'" \
        prewarm --slots 2 --prefix "$P.z" --tunnel "$TUNNEL"
}

@test "prewarm --prefix empty is refused" {
    refused "prewarm: --prefix '': must not be empty" prewarm --slots 2 --prefix "" --tunnel "$TUNNEL"
}

@test "prewarm --tunnel of an unknown type is refused" {
    refused "prewarm: --tunnel 'gre': unknown; expected vxlan|geneve" prewarm --slots 2 --prefix "$P" --tunnel gre
}

@test "prewarm --attach of an unknown mode is refused" {
    refused "prewarm: --attach 'xdp': unknown; expected tc|tcx" prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --attach xdp
}

@test "prewarm with an unknown option is refused" {
    refused "prewarm: unknown option '--bogus' (see 'slotnet prewarm -h')" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --bogus
}

@test "prewarm with an unexpected argument is refused" {
    refused "prewarm: unexpected argument 'extra' (see 'slotnet prewarm -h')" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" extra
}

@test "prewarm without root privileges is refused" {
    run --separate-stderr nsenter --net="/run/netns/$W" setpriv --reuid=65534 --regid=65534 --clear-groups \
        --inh-caps=-all --bounding-set=-all "$SLOTNET" --pin-dir "$PIN" \
        prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 2
    expect_eq "$stderr" "slotnet: prewarm: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)" "stderr"
    assert_nothing_created
}

@test "teardown without root privileges is refused and removes nothing" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    run --separate-stderr nsenter --net="/run/netns/$W" setpriv --reuid=65534 --regid=65534 --clear-groups \
        --inh-caps=-all --bounding-set=-all "$SLOTNET" --pin-dir "$PIN" teardown
    assert_status 2
    expect_eq "$stderr" "slotnet: teardown: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)" "stderr"
    assert_all_slots_whole 2
    [[ -e $PIN/config ]] || fail "the pins were removed"
}

@test "prewarm with a pin directory outside bpffs is refused" {
    dir=$BATS_TEST_TMPDIR/pins
    run --separate-stderr snw --pin-dir "$dir" prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 2
    expect_eq "$stderr" "slotnet: prewarm: pin directory '$dir': not on a BPF filesystem (bpffs)" "stderr"
    [[ ! -e $dir ]] || fail "$dir was created"
    assert_nothing_created
}

@test "teardown with a pin directory outside bpffs is refused" {
    dir=$BATS_TEST_TMPDIR/pins
    run --separate-stderr snw --pin-dir "$dir" teardown
    assert_status 2
    expect_eq "$stderr" "slotnet: teardown: pin directory '$dir': not on a BPF filesystem (bpffs)" "stderr"
    [[ ! -e $dir ]] || fail "$dir was created"
}

@test "prewarm with a relative pin directory is refused" {
    run --separate-stderr snw --pin-dir pins prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    assert_status 2
    expect_eq "$stderr" "slotnet: prewarm: pin directory 'pins': not an absolute path" "stderr"
    assert_nothing_created
}

@test "--pin-dir without a value is refused" {
    run --separate-stderr snw --pin-dir
    assert_status 2
    expect_eq "$stderr" "slotnet: --pin-dir needs a value (DIR)" "stderr"
    assert_nothing_created
}
