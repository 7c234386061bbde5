#!/usr/bin/env bats
# Real guests in slots: the VM rig's tenant VM (qemu, under TCG on these
# machines) booted in a slot as a VMM would boot it, from `dump -j SLOT`
# (guest.bash), talking to tenant endpoints (make_endpoint) through the
# slot's tap, bridge and tunnel and this host's kernel.  Addresses as in
# datapath.bats, all inside the test's own namespaces; the guests are on the
# tenants' inner network:
#
#   guest (eth0 10.200.0.3/24) == tap0 in slot P<i>: br0 -- tun0 -- eth0
#       == root veth P<i> (the programs) == worker == endpoint Pa: u0 R_A,
#       vx0 10.200.0.2/24 (VNI 100, remote = the slot's outside address)
#   a second pair for two tenants: guest 10.200.0.5 and endpoint Pb, u0 R_B,
#       vx0 10.200.0.4/24 (VNI 200)
#
# Each boot takes seconds, so a test boots few guests and runs all its
# steps through one guest's agent.
load helpers
load guest

# The last test checks what the others left; and two tests' guests at once
# would share these 2 CPUs.
# shellcheck disable=SC2034 # read by bats
BATS_NO_PARALLELIZE_WITHIN_FILE=true

R_A=198.51.100.1
R_B=203.0.113.1
OUTSIDE=100.64.0.0/24
O0=100.64.0.1 # slot 0's outside address
O1=100.64.0.2 # slot 1's
TENANT_A=10.200.0.2 GUEST_A=10.200.0.3
TENANT_B=10.200.0.4 GUEST_B=10.200.0.5

# The guests' kernel and initramfs, fetched and built here, in this host's
# namespace: the tests run vm-in-slot.sh inside the worker's, which has no
# way out to fetch anything.
setup_file() {
    "$REPO/tests/vm/kernel.sh"
    GUEST_KERNEL=$(. "$REPO/tests/vm/lib.sh" && echo "$VM_KDIR/vmlinuz")
    GUEST_INITRD=$("$REPO/tests/vm/initramfs.sh" tenant)
    export GUEST_KERNEL GUEST_INITRD
}

teardown() {
    stop_guests
    if [[ -n ${TCP_PID:-} ]]; then
        kill "$TCP_PID" 2>/dev/null || true
        wait "$TCP_PID" 2>/dev/null || true
    fi
    teardown_worker
}

# Four slots whose tunnels point at R_A, outside addresses in OUTSIDE.
guest_prewarm() {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL" --remote "$R_A" --outside "$OUTSIDE" "$@"
}

# What endpoint NS has received: IP packets (any tunnel packet is one; the
# ARP of its underlay, which may rightly come and go, is not) and its
# tunnel's frames: "IP VX0".
endpoint_rx() { # NS
    echo "$(snmp "$1" Ip InReceives) $(link_stat "$1" vx0 rx.packets)"
}

@test "a guest reaches its tenant only while its slot is bound: ping, and 8 MB each way over TCP intact" {
    guest_prewarm
    make_endpoint a "$R_A" 100 "$O0" "$TENANT_A/24"
    boot_guest g 0 "$(guest_mac 1)" "$GUEST_A/24"

    guest_pings_lost g "$TENANT_A"
    expect_eq "$(endpoint_rx "${P}a")" "0 0" "packets endpoint a received (IP, vx0) before bind"
    # The guest's frames (its ARP requests) got as far as the slot's eth0.
    (($(sn -j dump 0 | jq .slots[0].drops.tx.unbound) > 0)) || fail "no tx unbound drop counted: $(slot_json 0)"

    sn bind 0 --vni 100
    guest_pings_ok g "$TENANT_A"
    guest_tcp_to_tenant g "${P}a" "$TENANT_A" 8
    tenant_tcp_to_guest "${P}a" g "$GUEST_A" 8

    sn unbind 0
    rx=$(endpoint_rx "${P}a")
    tap_tx=$(link_stat "${P}0" tap0 tx.packets)
    guest_pings_lost g "$TENANT_A"
    pings_lost "${P}a" "$GUEST_A"
    expect_eq "$(endpoint_rx "${P}a")" "$rx" "packets endpoint a received (IP, vx0) since unbind"
    expect_eq "$(link_stat "${P}0" tap0 tx.packets)" "$tap_tx" "frames slot 0's tap0 gave the guest since unbind"
}

# The MAC of vx0 in endpoint NS.
endpoint_mac() { ip -n "$1" -j link show vx0 | jq -r '.[0].address'; }

@test "two guests in slots bound to two tenants each reach only their own tenant" {
    guest_prewarm
    make_endpoint a "$R_A" 100 "$O0" "$TENANT_A/24"
    make_endpoint b "$R_B" 200 "$O1" "$TENANT_B/24"
    start_guest ga 0 "$(guest_mac 1)" "$GUEST_A/24"
    start_guest gb 1 "$(guest_mac 2)" "$GUEST_B/24"
    guest_ready ga
    guest_ready gb
    # Bound once the guests are quiet (IPv6 off): from here on only the pings
    # below cross.
    sn bind 0 --vni 100
    sn bind 1 --vni 200 --remote "$R_B"

    # Each guest tries the other tenant first, knowing its MAC (a static ARP
    # entry: it sends its echo requests, and no ARP request lingers past
    # the ping); they reach their own tenant's tunnel only.  Then the other
    # guest, likewise.
    in_guest ga "arp -s $TENANT_B $(endpoint_mac "${P}b") && arp -s $GUEST_B $(guest_mac 2)"
    in_guest gb "arp -s $TENANT_A $(endpoint_mac "${P}a") && arp -s $GUEST_A $(guest_mac 1)"
    a_rx=$(endpoint_rx "${P}a") b_rx=$(endpoint_rx "${P}b")
    tap1_tx=$(link_stat "${P}1" tap0 tx.packets)
    guest_pings_lost ga "$TENANT_B"
    guest_pings_lost ga "$GUEST_B"
    expect_eq "$(endpoint_rx "${P}b")" "$b_rx" "packets endpoint b received (IP, vx0) from guest a"
    expect_eq "$(link_stat "${P}1" tap0 tx.packets)" "$tap1_tx" "frames slot 1's tap0 gave guest b from guest a"
    expect_eq "$(link_stat "${P}a" vx0 rx.packets)" $((${a_rx#* } + 4)) \
        "frames endpoint a's vx0 received from guest a (its 4 echo requests)"
    a_rx=$(endpoint_rx "${P}a")
    tap0_tx=$(link_stat "${P}0" tap0 tx.packets)
    guest_pings_lost gb "$TENANT_A"
    guest_pings_lost gb "$GUEST_A"
    expect_eq "$(endpoint_rx "${P}a")" "$a_rx" "packets endpoint a received (IP, vx0) from guest b"
    expect_eq "$(link_stat "${P}0" tap0 tx.packets)" "$tap0_tx" "frames slot 0's tap0 gave guest a from guest b"

    guest_pings_ok ga "$TENANT_A"
    guest_pings_ok gb "$TENANT_B"
    # Each tenant's stack got exactly its own guest's 3 echo requests.
    expect_eq "$(snmp "${P}a" Icmp InEchos)" 3 "echo requests endpoint a received"
    expect_eq "$(snmp "${P}b" Icmp InEchos)" 3 "echo requests endpoint b received"
}

@test "the same guest, MAC, address and MTU unchanged, works in another slot bound to its tenant" {
    guest_prewarm
    make_endpoint a "$R_A" 100 "$O0" "$TENANT_A/24"
    sn bind 0 --vni 100
    boot_guest g0 0 "$(guest_mac 1)" "$GUEST_A/24"
    guest_pings_ok g0 "$TENANT_A"
    # Stopped (as teardown stops guests): nothing of it runs, the tap is free.
    [[ -n $(guest_processes) ]] || fail "no process matches the guests' tag $(guest_tag)"
    expect_eq "$(ip -n "${P}0" -j link show tap0 | jq -r '.[0].flags | index("NO-CARRIER") != null')" false \
        "slot 0's tap0 has no carrier while the guest runs"
    stop_guest g0
    expect_eq "$(guest_processes)" "" "processes of the stopped guest"
    expect_eq "$(ip -n "${P}0" -j link show tap0 | jq -r '.[0].flags | index("NO-CARRIER") != null')" true \
        "slot 0's tap0 has no carrier once the guest is stopped (no qemu holds it)"
    sn unbind 0

    # What a VMM is told for slot 1 is slot 0's but for the namespace.
    expect_eq "$(slot_json 1 | jq -c '[.tap, .guest_mtu, .guest_mac, .guest_addr]')" \
        "$(slot_json 0 | jq -c '[.tap, .guest_mtu, .guest_mac, .guest_addr]')" "slot 1's VMM settings against slot 0's"
    # The tenant follows its guest: its tunnel now points at slot 1.
    ip -n "${P}a" route add "$O1/32" via "${R_A%.*}.254" dev u0
    tunnel_sends_to "${P}a" vx0 100 "$O0" "$O1"
    sn bind 1 --vni 100
    boot_guest g1 1 "$(guest_mac 1)" "$GUEST_A/24"
    expect_eq "${GUEST_CONF[g1]}" "${GUEST_CONF[g0]}" "the qemu command for slot 1 but its namespace (tap, MAC, MTU, address, kernel)"
    guest_pings_ok g1 "$TENANT_A"
    pings_ok "${P}a" "$GUEST_A"
}

# The counters a fragment or an ICMP error would move, in the slot, the
# endpoint and guest NAME: "SLOT-FRAGS SLOT-UNREACHS A-FRAGS A-REASM G-FRAGS G-REASM".
fragment_counters() { # NAME
    echo "$(snmp "${P}0" Ip FragCreates) $(snmp "${P}0" Icmp OutDestUnreachs)" \
        "$(snmp "${P}a" Ip FragCreates) $(snmp "${P}a" Ip ReasmReqds)" \
        "$(guest_snmp "$1" Ip FragCreates) $(guest_snmp "$1" Ip ReasmReqds)"
}

# A guest at the MTU its slot advertises (guest_mtu, the device's host_mtu)
# sends a packet of that full size to its tenant and gets the full-size
# reply, and the tenant the same to the guest: each crosses the underlay
# whole, with no IP fragment anywhere and no ICMP error from the slot.
guest_full_size_crosses_whole() { # UNDERLAY-MTU
    local mtu=$1 guest=$(($1 - 50)) before
    guest_prewarm --underlay-mtu "$mtu"
    make_endpoint a "$R_A" 100 "$O0" "$TENANT_A/24"
    ip -n "$W" link set "${P}ua" mtu "$mtu"
    ip -n "${P}a" link set u0 mtu "$mtu"
    ip -n "${P}a" link set vx0 mtu "$guest"
    sn bind 0 --vni 100
    expect_eq "$(slot_json 0 | jq .guest_mtu)" "$guest" "slot 0's guest_mtu"
    boot_guest g 0 "$(guest_mac 1)" "$GUEST_A/24"
    in_guest g "cat /sys/class/net/eth0/mtu"
    expect_eq "$GUEST_OUT" "$guest" "the guest's eth0 MTU"

    before=$(fragment_counters g)
    # Busybox ping sets DF on what fits the route's MTU (the kernel's default).
    guest_pings_ok g "$TENANT_A" -s $((guest - 28))
    pings_ok "${P}a" "$GUEST_A" -M "do" -s $((guest - 28))
    expect_eq "$(fragment_counters g)" "$before" \
        "fragments and ICMP errors (slot: frags, unreachables; endpoint: frags, reassemblies; guest: frags, reassemblies)"
    # They were the largest that fit: one byte more, and the guest fragments it.
    before=$(guest_snmp g Ip FragCreates)
    in_guest g "ping -q -c 1 -W 2 -s $((guest - 27)) $TENANT_A" 10 || true
    (($(guest_snmp g Ip FragCreates) > before)) ||
        fail "a ping of $((guest + 1)) bytes left the guest unfragmented: $GUEST_OUT"
}

@test "a guest at its slot's MTU sends full-size packets across a 1500-byte underlay: no fragment, no ICMP error" {
    guest_full_size_crosses_whole 1500
}

@test "a guest at its slot's MTU sends full-size packets across a 9001-byte underlay: no fragment, no ICMP error" {
    guest_full_size_crosses_whole 9001
}

# scripts/vm-in-slot.sh ARG... must exit 2 with a message starting MESSAGE.
vm_in_slot_refuses() { # MESSAGE ARG...
    local msg=$1
    shift
    run --separate-stderr in_ns "$W" "$REPO/scripts/vm-in-slot.sh" --pin-dir "$PIN" "$@"
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == "vm-in-slot.sh: $msg"* ]] || fail "$*: stderr: $stderr"
}

@test "vm-in-slot.sh refuses a bad MAC, address, gateway, slot or command word: exit 2 naming it" {
    guest_prewarm
    vm_in_slot_refuses "--mac: '02:00:00:00:00' is not a MAC address" --mac 02:00:00:00:00 0
    vm_in_slot_refuses "--addr: '10.200.0.300/24' is not an IPv4 address with a prefix length" \
        --addr 10.200.0.300/24 0
    vm_in_slot_refuses "--addr: '10.200.0.3' is not an IPv4 address with a prefix length" --addr 10.200.0.3 0
    vm_in_slot_refuses "--gw: '10.200.0' is not an IPv4 address" --gw 10.200.0 0
    vm_in_slot_refuses "slot 'x1' is not a slot number" x1
    vm_in_slot_refuses "'1': one slot only" 0 1
    vm_in_slot_refuses "command word 'a\"b': empty, or has a double quote or line break" 0 -- echo 'a"b'
}

# Runs last in this file: every guest an earlier test booted (start_guest
# records each test's guest_tag) was stopped by that test's teardown, pass
# or fail.
@test "teardown stops every guest its test booted: no qemu of an earlier test runs" {
    tags=$BATS_RUN_TMPDIR/slotnet-guest-tags
    [[ -s $tags ]] || skip "no earlier test of this run booted a guest"
    left=""
    while read -r tag; do
        left+=$(pgrep -af "$tag" || true)
    done < <(sort -u "$tags")
    expect_eq "$left" "" "processes of earlier tests' guests"
    echo "# the guests of $(sort -u "$tags" | wc -l) tests checked" >&3
}
