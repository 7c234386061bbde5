#!/usr/bin/env bats
load helpers

@test "prewarm creates every slot with its devices, addresses and routes" {
    run sn prewarm --slots 300 --prefix "$P" --tunnel vxlan --remote 198.51.100.7
    assert_status 0
    [ "$(slot_count)" -eq 300 ]
    [ "$(root_veth_count)" -eq 300 ]
    [ "$(ip -n "$W" route | grep -c "dev ${P}")" -eq 300 ]

    for i in 0 299; do
        s=$P$i
        run ip -n "$s" -d link show tun0
        assert_output_has "vxlan id $((16000000 + i)) remote 198.51.100.7 local 169.254.1.2"
        assert_output_has "dstport 4789"
        assert_output_has "master br0"
        run ip -n "$s" -d link show tap0
        assert_output_has "tun type tap"
        assert_output_has "master br0"
        run ip -n "$s" -d link show br0
        assert_output_has "mcast_snooping 0"
        run ip -n "$s" addr show eth0
        assert_output_has "link/ether 02:73:6e:00:00:02"
        assert_output_has "inet 169.254.1.2/30"
        run ip -n "$s" route show default
        assert_output_has "default via 169.254.1.1 dev eth0"
        run ip -n "$s" neigh show 169.254.1.1
        assert_output_has "lladdr 02:73:6e:00:00:01 PERMANENT"
        [ "$(ip netns exec "$s" cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)" = 1 ]
        [ "$(ip netns exec "$s" cat /proc/sys/net/ipv6/conf/br0/disable_ipv6)" = 1 ]
    done

    # Slot 299's outside address is the 300th host of 100.64.0.0/16.
    run ip -n "$W" route show 100.64.1.44
    assert_output_has "dev ${P}299"
    run ip -n "$W" neigh show 100.64.1.44
    assert_output_has "lladdr 02:73:6e:00:00:02 PERMANENT"
    run ip -n "$W" link show "${P}299"
    assert_output_has "state UP"
    assert_output_has "link/ether 02:73:6e:00:00:01"
    [ "$(ip netns exec "$W" cat /proc/sys/net/ipv6/conf/${P}299/disable_ipv6)" = 1 ]
}

@test "prewarm re-run with the same arguments changes nothing" {
    sn -q prewarm --slots 50 --prefix "$P" --tunnel vxlan
    ino=$(stat -L -c %i "/run/netns/${P}0")
    ifx=$(ip -n "$W" -o link show "${P}49" | cut -d: -f1)
    run sn -j prewarm --slots 50 --prefix "$P" --tunnel vxlan
    assert_status 0
    [ "$(echo "$output" | jq .created)" -eq 0 ]
    [ "$(echo "$output" | jq .slots)" -eq 50 ]
    [ "$(stat -L -c %i "/run/netns/${P}0")" = "$ino" ]
    [ "$(ip -n "$W" -o link show "${P}49" | cut -d: -f1)" = "$ifx" ]
    [ "$(slot_count)" -eq 50 ]
}

@test "prewarm with a larger N adds only the missing slots" {
    sn -q prewarm --slots 40 --prefix "$P" --tunnel vxlan
    ino=$(stat -L -c %i "/run/netns/${P}39")
    run sn -j prewarm --slots 80
    assert_status 0
    [ "$(echo "$output" | jq .created)" -eq 40 ]
    [ "$(stat -L -c %i "/run/netns/${P}39")" = "$ino" ]
    [ "$(slot_count)" -eq 80 ]
    [ "$(root_veth_count)" -eq 80 ]
    run ip -n "${P}79" -d link show tun0
    assert_output_has "vxlan id 16000079"
}

@test "prewarm interrupted by kill -9 converges when run again" {
    sn_background -q prewarm --slots 800 --prefix "$P" --tunnel vxlan
    kill_prewarm_after 100
    made=$(slot_count)
    echo "killed after $made namespaces" >&3
    [ "$made" -lt 800 ]

    run sn -j prewarm --slots 800
    assert_status 0
    [ "$(echo "$output" | jq .created)" -gt 0 ]
    [ "$(slot_count)" -eq 800 ]
    [ "$(root_veth_count)" -eq 800 ]
    [ "$(sn -j dump | jq '[.slots[] | select(.state != "free")] | length')" -eq 0 ]
    # Every slot holds exactly lo, eth0, br0, tun0 and tap0.
    for ((i = 0; i < 800; i++)); do
        n=$(ip -n "$P$i" -o link show | wc -l)
        [ "$n" -eq 5 ] || { echo "slot $i has $n links" >&2; false; }
    done
}

@test "prewarm sends nothing before a slot is bound" {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel vxlan
    sleep 3
    for i in 0 1 2; do
        stats=$(ip -n "$W" -s -j link show "$P$i")
        [ "$(echo "$stats" | jq '.[0].stats64.rx.packets')" -eq 0 ]
        [ "$(echo "$stats" | jq '.[0].stats64.tx.packets')" -eq 0 ]
        [ "$(ip -n "$P$i" -s -j link show tun0 | jq '.[0].stats64.tx.packets')" -eq 0 ]
    done
}

@test "prewarm given arguments that differ from the pinned configuration exits 2 naming them" {
    sn -q prewarm --slots 5 --prefix "$P" --tunnel vxlan --remote 198.51.100.7
    run sn prewarm --slots 5 --prefix "${P}y" --remote 198.51.100.8
    assert_status 2
    assert_output_has "--prefix '${P}y' (pinned '$P')"
    assert_output_has "--remote 198.51.100.8 (pinned 198.51.100.7)"
    [ "$(slot_count)" -eq 5 ]
    [ "$(sn -j dump | jq -r .config.remote)" = 198.51.100.7 ]
}

@test "prewarm with fewer slots than pinned exits 2 and removes nothing" {
    sn -q prewarm --slots 5 --prefix "$P" --tunnel vxlan
    run sn prewarm --slots 3
    assert_status 2
    assert_output_has "--slots 3 (pinned 5; teardown to shrink)"
    [ "$(slot_count)" -eq 5 ]
}

@test "prewarm re-run without options inherits the pinned configuration" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel vxlan --remote 198.51.100.9 --outside 10.77.0.0/24
    run sn prewarm --slots 3
    assert_status 0
    run ip -n "${P}2" -d link show tun0
    assert_output_has "remote 198.51.100.9"
    run ip -n "$W" route show 10.77.0.3
    assert_output_has "dev ${P}2"
}

@test "prewarm --tunnel geneve needs Geneve in the kernel" {
    if ip -n "$W" link add gprobe type geneve id 1 remote 192.0.2.1 2>/dev/null; then
        ip -n "$W" link del gprobe
        run sn prewarm --slots 2 --prefix "$P" --tunnel geneve
        assert_status 0
        run ip -n "${P}1" -d link show tun0
        assert_output_has "geneve id 16000001 remote 192.0.2.1"
    else
        run sn prewarm --slots 2 --prefix "$P" --tunnel geneve
        assert_status 1
        assert_output_has "CONFIG_GENEVE"
        assert_output_has "--tunnel vxlan"
        [ "$(slot_count)" -eq 0 ]
    fi
}

@test "prewarm repairs a slot whose namespace was removed by hand" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel vxlan
    ip netns del "${P}2"
    run sn -j prewarm --slots 4
    assert_status 0
    [ "$(echo "$output" | jq .created)" -eq 1 ]
    [ "$(ip -n "${P}2" -o link show | wc -l)" -eq 5 ]
    [ "$(root_veth_count)" -eq 4 ]
}
