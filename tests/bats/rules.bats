#!/usr/bin/env bats
# slotnet rules: the root set in the throwaway worker namespace, the slot set
# in every slot, and traffic from a stand-in VM.  The VM is a namespace
# (P vm) whose veth end replaces a slot's tap0 on br0; the tenant endpoint is
# make_endpoint's tunnel peer.  Every address exists only inside namespaces
# the test makes.
load helpers

R_A=198.51.100.1
OUTSIDE=100.64.0.0/16
O0=100.64.0.1
O1=100.64.0.2
VM_ADDR=10.200.0.5
VM_MAC=02:00:00:00:aa:05

# Slots are S0, S1, ...: the endpoints' links in the worker (P ua) must not
# match the slots' pattern S+ in the root set.
setup() {
    setup_worker
    S=${P}s
}
teardown() { teardown_worker; }

rules_prewarm() { # N [OPTIONS...]
    local n=$1
    shift
    sn -q prewarm --slots "$n" --prefix "$S" --tunnel "$TUNNEL" --remote "$R_A" --outside "$OUTSIDE" "$@"
}

# slotnet's own lines (chains, their rules, the hooks) as TOOL-save prints them in NS, sorted.
own_lines() { # NS [iptables|ebtables|iptables-legacy]
    in_ns "$1" "${2:-iptables}-save" | grep -E '^(:SLOTNET-|-A SLOTNET-|-A [A-Z]+ -j SLOTNET-)' |
        sed -E 's/ \[[0-9]+:[0-9]+\]$//' | sort
}

# The same lines from `rules --print`, hooks in save form, sorted.
printed_lines() { # PRINT-OPTIONS...
    sn rules --print "$@" | grep -vE '^(#|\*|COMMIT)' |
        sed -E 's/^-I ([A-Z]+) 1 -j /-A \1 -j /; s/ \[[0-9]+:[0-9]+\]$//' | sort
}

root_rule_count() { in_ns "$W" iptables-save | grep -c '^-A'; }

# Everything iptables and ebtables hold in NS, counters and comments left out.
all_rules() { # NS
    { in_ns "$1" iptables-save; in_ns "$1" ebtables-save; } | grep -v '^#' |
        sed -E 's/\[[0-9]+:[0-9]+\]//'
}

# Slot I's tap0 becomes a veth whose other end, vm0 in namespace P vm, holds ADDR and MAC.
make_vm() { # I ADDR/LEN MAC
    local s=$S$1 vm=${P}vm
    ip netns add "$vm"
    netns_ipv6_off "$vm"
    ip -n "$vm" link set lo up
    ip -n "$s" link del tap0
    ip -n "$s" link add tap0 type veth peer name vm0 netns "$vm"
    ip -n "$s" link set tap0 master br0
    ip -n "$s" link set tap0 up
    ip -n "$vm" link set vm0 address "$3"
    ip -n "$vm" addr add "$2" dev vm0
    ip -n "$vm" link set vm0 up
}

# An ARP request from the VM's vm0: "who has TARGET? tell SENDER-IP at vm0's MAC".
vm_arp_request() { # SENDER-IP TARGET
    in_ns "${P}vm" python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vm0", 0))
mac = s.getsockname()[4]
frame = (b"\xff" * 6 + mac + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01" + mac +
         socket.inet_aton(sys.argv[1]) + b"\x00" * 6 + socket.inet_aton(sys.argv[2]))
s.send(frame)
EOF
}

# Slot 0 bound to endpoint a (VNI 100, 10.200.0.2 on its tunnel), the VM behind tap0.
vm_and_endpoint() {
    rules_prewarm 2 --rules --vm-addr "$VM_ADDR" --vm-mac "$VM_MAC"
    make_endpoint a "$R_A" 100 "$O0" 10.200.0.2/24
    sn -q bind 0 --vni 100
    make_vm 0 "$VM_ADDR/24" "$VM_MAC"
}

@test "print, apply and check round trip: each namespace holds exactly the printed lines" {
    rules_prewarm 3
    run sn rules --check
    assert_status 1
    assert_output_has "root iptables:"
    assert_output_has "${S}2 ebtables:"
    assert_output_has "missing:    -A FORWARD -j SLOTNET-FORWARD"
    assert_output_has "4 namespaces checked, 4 differ"
    run sn rules --apply
    assert_status 0
    assert_output_has "rules in place in 4 namespaces (4 changed)"
    run sn rules --check
    assert_status 0
    assert_output_has "4 namespaces checked, 0 differ"
    expect_eq "$(own_lines "$W")" "$(printed_lines --root --tool iptables)" "root iptables lines"
    expect_eq "$(own_lines "$W" ebtables)" "" "root ebtables lines"
    for i in 0 1 2; do
        expect_eq "$(own_lines "$S$i")" "$(printed_lines --slot --tool iptables)" "slot $i iptables"
        expect_eq "$(own_lines "$S$i" ebtables)" "$(printed_lines --slot --tool ebtables)" \
            "slot $i ebtables"
    done
    # --print's output is restore input: it installs the same lines in a fresh namespace.
    ip netns add "${P}fresh"
    sn rules --print --slot --tool iptables | in_ns "${P}fresh" iptables-restore --noflush
    expect_eq "$(own_lines "${P}fresh")" "$(own_lines "${S}0")" "lines restored from --print"
}

@test "apply twice changes nothing, and JSON says so" {
    rules_prewarm 3 --rules
    local root slot
    root=$(all_rules "$W")
    slot=$(all_rules "${S}1")
    run sn -j rules --apply
    assert_status 0
    expect_eq "$(jq -c '[.namespaces, .changed, .backend.iptables]' <<<"$output")" '[4,0,"nft"]' \
        "namespaces, changed, backend"
    expect_eq "$(all_rules "$W")" "$root" "the worker's rules after a second apply"
    expect_eq "$(all_rules "${S}1")" "$slot" "slot 1's rules after a second apply"
}

@test "check finds a rule deleted by hand, a doubled hook and a stray chain; apply repairs all three" {
    rules_prewarm 4 --rules
    in_ns "${S}2" iptables -D SLOTNET-INPUT -j DROP
    in_ns "${S}3" ebtables -I FORWARD -j SLOTNET-VM
    in_ns "$W" iptables -N SLOTNET-STALE
    run sn rules --check
    assert_status 1
    assert_output_has "${S}2 iptables:"
    assert_output_has "  missing:    -A SLOTNET-INPUT -j DROP"
    assert_output_has "${S}3 ebtables:"
    assert_output_has "  unexpected: -A FORWARD -j SLOTNET-VM"
    assert_output_has "  unexpected: :SLOTNET-STALE - [0:0]"
    assert_output_has "3 differ"
    assert_output_lacks "${S}1 "
    run sn -j rules --check
    assert_status 1
    expect_eq "$(jq -c '[.findings[] | .namespace] | sort' <<<"$output")" \
        "[\"${S}2\",\"${S}3\",\"root\"]" "namespaces found differing"
    run sn rules --apply
    assert_status 0
    assert_output_has "(3 changed)"
    run sn rules --check
    assert_status 0
    expect_eq "$(in_ns "$W" iptables-save | grep -c SLOTNET-STALE)" 0 "stale chain lines"
}

@test "a foreign rule and chain in the root namespace survive apply and teardown" {
    in_ns "$W" iptables -A FORWARD -s 10.9.9.9/32 -j ACCEPT
    in_ns "$W" iptables -t nat -N FOREIGN
    in_ns "$W" iptables -t nat -A FOREIGN -d 10.9.9.9/32 -j RETURN
    rules_prewarm 3 --rules
    sn -q rules --apply
    in_ns "$W" iptables-save | grep -qx -- '-A FORWARD -s 10.9.9.9/32 -j ACCEPT' ||
        fail "the foreign FORWARD rule is gone after apply"
    # The hook goes first, ahead of the rule that was there.
    expect_eq "$(in_ns "$W" iptables -S FORWARD | sed -n 2p)" "-A FORWARD -j SLOTNET-FORWARD" \
        "first rule of FORWARD"
    sn -q teardown
    expect_eq "$(in_ns "$W" iptables-save | grep -c SLOTNET)" 0 "SLOTNET lines after teardown"
    in_ns "$W" iptables-save | grep -qx -- '-A FORWARD -s 10.9.9.9/32 -j ACCEPT' ||
        fail "the foreign FORWARD rule is gone after teardown"
    in_ns "$W" iptables-save -t nat | grep -qx -- '-A FOREIGN -d 10.9.9.9/32 -j RETURN' ||
        fail "the foreign chain is gone after teardown"
}

@test "the root rule count is the same for 10 slots and for 500" {
    scale_test
    rules_prewarm 10 --rules
    local ten
    ten=$(root_rule_count)
    sn -q teardown
    rules_prewarm 500 --rules
    expect_eq "$(root_rule_count)" "$ten" "root rules with 500 slots (10 slots: $ten)"
    ((ten <= 144)) || fail "$ten root rules"
    run sn rules --check
    assert_status 0
    assert_output_has "501 namespaces checked, 0 differ"
}

@test "the VM's own address and MAC reach the tenant; a spoofed source address does not" {
    vm_and_endpoint
    pings_ok "${P}vm" 10.200.0.2
    ip -n "${P}vm" addr add 10.200.0.6/24 dev vm0
    pings_lost "${P}vm" 10.200.0.2 -I 10.200.0.6
    local dropped
    dropped=$(in_ns "${S}0" iptables -L SLOTNET-FORWARD -v -x -n | awk '$3 == "DROP" && /!10.200.0.5/ { print $1 }')
    ((dropped >= 2)) || fail "the anti-spoofing rule counted $dropped packets"
    pings_ok "${P}vm" 10.200.0.2
}

@test "ARP from the VM with another sender address never reaches the tenant; its own does" {
    vm_and_endpoint
    vm_arp_request 10.200.0.7 10.200.0.2
    vm_arp_request "$VM_ADDR" 10.200.0.2
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -n $(ip -n "${P}a" neigh show "$VM_ADDR" dev vx0) ]] && break
        sleep 0.1
    done
    [[ -n $(ip -n "${P}a" neigh show "$VM_ADDR" dev vx0) ]] ||
        fail "endpoint a never learned the VM's own address from its ARP request"
    expect_eq "$(ip -n "${P}a" neigh show 10.200.0.7 dev vx0)" "" "endpoint a's entry for the spoofed sender"
}

@test "a VM that changes its MAC is cut off until it changes it back" {
    vm_and_endpoint
    ip -n "${P}a" neigh flush dev vx0
    ip -n "${P}vm" link set vm0 address 02:00:00:00:bb:06
    pings_lost "${P}vm" 10.200.0.2
    ip -n "${P}vm" link set vm0 address "$VM_MAC"
    pings_ok "${P}vm" 10.200.0.2
}

@test "the metadata range is blocked from the VM unless --metadata-access allow" {
    vm_and_endpoint
    ip -n "${P}a" addr add 169.254.169.254/32 dev vx0
    ip -n "${P}vm" route add 169.254.169.254/32 dev vm0
    pings_lost "${P}vm" 169.254.169.254
    sn -q rules --apply --metadata-access allow
    pings_ok "${P}vm" 169.254.169.254
    sn -q rules --apply --metadata-access block
    ip -n "${P}vm" neigh flush dev vm0
    pings_lost "${P}vm" 169.254.169.254
}

@test "the root set keeps slots off the host's addresses and off each other" {
    rules_prewarm 2
    ip -n "$W" addr add 198.18.0.1/32 dev lo
    pings_ok "${S}0" 198.18.0.1
    # The data path itself drops slot-to-slot traffic (hairpin), rules or not.
    pings_lost "${S}0" "$O1"
    sn -q rules --apply --root
    pings_lost "${S}0" 198.18.0.1
    pings_lost "${S}0" "$O1"
}

@test "--uplink and --masquerade on: forwarding limited to the uplink, the outside range masqueraded" {
    ip -n "$W" link add wan0 type veth peer name wan1
    rules_prewarm 2 --rules --uplink wan0 --masquerade on
    local save
    save=$(in_ns "$W" iptables-save)
    grep -qx -- "-A SLOTNET-POSTROUTING -s $OUTSIDE -o wan0 -j MASQUERADE" <<<"$save" ||
        fail "no masquerade rule: $save"
    grep -qx -- "-A SLOTNET-FORWARD -s $OUTSIDE -i $S+ -o wan0 -j ACCEPT" <<<"$save" ||
        fail "no uplink forward rule: $save"
    expect_eq "$(grep -c NOTRACK <<<"$save")" 0 "NOTRACK rules beside masquerading"
    run sn rules --check
    assert_status 0
    # Later runs keep the pinned options.
    sn -q prewarm
    run sn rules --print --root
    assert_output_has "-o wan0 -j MASQUERADE"
    sn -q rules --apply --masquerade off --uplink none
    expect_eq "$(in_ns "$W" iptables-save -t nat | grep -c SLOTNET)" 0 "nat lines after --masquerade off"
}

@test "the legacy backend holds the same rules, and switching back takes them out of it" {
    rules_prewarm 2 --rules
    local nft
    nft=$(own_lines "${S}1")
    run sn rules --apply --backend legacy
    assert_status 0
    assert_output_has "(iptables legacy, ebtables nft)"
    expect_eq "$(own_lines "${S}1" iptables-legacy)" "$nft" "slot 1's legacy lines"
    expect_eq "$(own_lines "${S}1" iptables-nft)" "" "slot 1's nft lines after the switch"
    run sn rules --check
    assert_status 0
    sn -q rules --apply --backend nft
    expect_eq "$(own_lines "$W" iptables-legacy)" "" "the worker's legacy lines after switching back"
    expect_eq "$(own_lines "${S}1" iptables-nft)" "$nft" "slot 1's nft lines"
}

@test "prewarm with rules installed gives slots added later their rules too" {
    rules_prewarm 2 --rules
    rules_prewarm 4
    run sn rules --check
    assert_status 0
    assert_output_has "5 namespaces checked, 0 differ"
}

@test "apply killed midway converges when run again" {
    scale_test
    rules_prewarm 120
    sn_background rules --apply
    local i
    for ((i = 0; i < 2000; i++)); do
        [[ $(in_ns "${S}5" iptables-save 2>/dev/null | grep -c SLOTNET) -gt 0 ]] && break
        sleep 0.005
    done
    kill -9 "$SN_PID"
    wait "$SN_PID" 2>/dev/null || true
    SN_PID=
    run sn rules --check
    assert_status 1
    run sn rules --apply
    assert_status 0
    run sn rules --check
    assert_status 0
    assert_output_has "121 namespaces checked, 0 differ"
}

@test "bad rule options exit 2, name the value and change nothing" {
    ip -n "$W" link add wan0 type veth peer name wan1
    rules_prewarm 2 --rules
    local before printed
    before=$(all_rules "$W")
    printed=$(sn rules --print)
    for args in "--uplink nosuch0|--uplink 'nosuch0': no such device" \
        "--uplink ${S}9|matches the slots' links" \
        "--masquerade on|--masquerade on: needs --uplink DEV" \
        "--vm-addr 169.254.1.1|overlaps the slots' own underlay" \
        "--vm-addr 16.0.0.0/4|wider than a /8" \
        "--vm-mac 01:00:5e:00:00:01|a multicast MAC address" \
        "--vm-mac 02:00:00:00:00|not a MAC address" \
        "--metadata 169.254.169.254/24|host bits set" \
        "--backend iptables|--backend 'iptables': unknown" \
        "--masquerade maybe|--masquerade 'maybe': unknown"; do
        read -r -a words <<<"${args%%|*}"
        run --separate-stderr sn rules --apply "${words[@]}"
        assert_status 2
        # shellcheck disable=SC2154 # set by bats' run --separate-stderr
        [[ $stderr == "slotnet: rules: "*"${args#*|}"* ]] || fail "for ${args%%|*}: $stderr"
    done
    run --separate-stderr sn rules
    assert_status 2
    [[ $stderr == *"give exactly one of --print, --apply and --check"* ]] || fail "$stderr"
    run --separate-stderr sn rules --apply --check
    assert_status 2
    run --separate-stderr sn rules --check --uplink wan0
    assert_status 2
    [[ $stderr == *"--check compares with the pinned rule options"* ]] || fail "$stderr"
    run --separate-stderr sn rules --apply --tool iptables
    assert_status 2
    run --separate-stderr sn prewarm --uplink wan0
    assert_status 2
    [[ $stderr == *"go with --rules"* ]] || fail "$stderr"
    expect_eq "$(all_rules "$W")" "$before" "the worker's rules"
    expect_eq "$(sn rules --print)" "$printed" "the printed (pinned) rule sets"
}

@test "without the iptables tools, apply and prewarm --rules fail clearly and make nothing" {
    rules_prewarm 2
    local empty
    empty=$(mktemp -d "$BATS_TEST_TMPDIR/empty.XXXXXX")
    # A private mount namespace where the tools' directories are empty.
    run --separate-stderr unshare --mount sh -c "mount --bind '$empty' /usr/sbin &&
        PATH=/usr/bin:/bin nsenter --net=/run/netns/$W '$SLOTNET' --pin-dir '$PIN' rules --apply"
    assert_status 1
    [[ $stderr == *"neither iptables-nft-restore nor iptables-legacy-restore"*"apt-get install iptables"* ]] ||
        fail "$stderr"
    expect_eq "$(own_lines "$W")" "" "rules in the worker"
}
