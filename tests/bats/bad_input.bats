#!/usr/bin/env bats
# Bad input exits 2 with a message naming the value and the reason, and
# creates nothing at all.
load helpers

prewarm_fails() { # EXPECTED-MESSAGE ARGS...
    local msg=$1
    shift
    run sn prewarm "$@"
    assert_status 2
    assert_output_has "slotnet: prewarm: "
    assert_output_has "$msg"
    assert_nothing_created
}

@test "prewarm --slots 0 is refused" {
    prewarm_fails "--slots '0': out of range 1..16384" --slots 0 --prefix "$P" --tunnel vxlan
}

@test "prewarm --slots above the outside range is refused" {
    prewarm_fails "--slots 300: --outside 10.0.0.0/24 has only 254 host addresses" \
        --slots 300 --prefix "$P" --tunnel vxlan --outside 10.0.0.0/24
}

@test "prewarm --slots that is not a number is refused" {
    prewarm_fails "--slots '12x': not a decimal number" --slots 12x --prefix "$P"
}

@test "prewarm without --slots on a fresh pin directory is refused" {
    prewarm_fails "--slots N is required" --prefix "$P" --tunnel vxlan
}

@test "prewarm --outside with host bits set is refused" {
    prewarm_fails "--outside '10.0.0.1/24': host bits set after the prefix length" \
        --slots 2 --prefix "$P" --tunnel vxlan --outside 10.0.0.1/24
}

@test "prewarm --outside with a prefix length above 32 is refused" {
    prewarm_fails "--outside '10.0.0.0/33': prefix length must be 0..32" \
        --slots 2 --prefix "$P" --tunnel vxlan --outside 10.0.0.0/33
}

@test "prewarm --outside that is not a CIDR is refused" {
    prewarm_fails "--outside 'foo': not a CIDR (ADDRESS/LENGTH)" \
        --slots 2 --prefix "$P" --tunnel vxlan --outside foo
}

@test "prewarm --outside overlapping the slots' underlay is refused" {
    prewarm_fails "overlaps the slots' own underlay" \
        --slots 2 --prefix "$P" --tunnel vxlan --outside 169.254.0.0/16
}

@test "prewarm --remote that is not an address is refused" {
    prewarm_fails "--remote '1.2.3': not an IPv4 address" \
        --slots 2 --prefix "$P" --tunnel vxlan --remote 1.2.3
}

@test "prewarm --remote multicast is refused" {
    prewarm_fails "--remote 224.0.0.1: a multicast or reserved address" \
        --slots 2 --prefix "$P" --tunnel vxlan --remote 224.0.0.1
}

@test "prewarm --remote inside the outside range is refused" {
    prewarm_fails "--remote 100.64.0.9: inside the outside range" \
        --slots 2 --prefix "$P" --tunnel vxlan --remote 100.64.0.9
}

@test "prewarm --prefix too long for interface names is refused" {
    # 13 characters and a 3-digit slot number make 16: one too many.
    prewarm_fails "--prefix 'abcdefghijklm': too long" \
        --slots 101 --prefix abcdefghijklm --tunnel vxlan
}

@test "prewarm --prefix not starting with a letter is refused" {
    prewarm_fails "--prefix '9x': must start with a letter" --slots 2 --prefix 9x --tunnel vxlan
}

@test "prewarm --prefix ending in a digit is refused" {
    prewarm_fails "--prefix 'ab1': must not end in a digit" --slots 2 --prefix ab1 --tunnel vxlan
}

@test "prewarm --tunnel of an unknown type is refused" {
    prewarm_fails "--tunnel 'gre': unknown; expected vxlan|geneve" \
        --slots 2 --prefix "$P" --tunnel gre
}

@test "prewarm with an unknown option is refused" {
    prewarm_fails "unknown option '--bogus'" --slots 2 --prefix "$P" --bogus
}

@test "prewarm without root privileges is refused" {
    run nsenter --net="/run/netns/$W" setpriv --reuid=65534 --regid=65534 --clear-groups \
        --inh-caps=-all --bounding-set=-all "$SLOTNET" --pin-dir "$PIN" \
        prewarm --slots 2 --prefix "$P" --tunnel vxlan
    assert_status 2
    assert_output_has "needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)"
    assert_nothing_created
}

@test "prewarm with a pin directory outside bpffs is refused" {
    dir=$(mktemp -d)
    run sn --pin-dir "$dir/pins" prewarm --slots 2 --prefix "$P" --tunnel vxlan
    assert_status 2
    assert_output_has "pin directory '$dir/pins': not on a BPF filesystem (bpffs)"
    [ ! -e "$dir/pins" ]
    rmdir "$dir"
    assert_nothing_created
}

@test "prewarm with a relative pin directory is refused" {
    run nsenter --net="/run/netns/$W" "$SLOTNET" --pin-dir pins prewarm --slots 2 --prefix "$P"
    assert_status 2
    assert_output_has "pin directory 'pins': not an absolute path"
    assert_nothing_created
}
