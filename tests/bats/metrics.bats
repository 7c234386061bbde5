#!/usr/bin/env bats
# dump --prometheus and --textfile: the Prometheus text format, read back
# with the client library's own parser (Debian's python3-prometheus-client),
# its figures the same as dump -j's.
load helpers

# Debian's python3, which has the parser (another python3 may come first in PATH).
PY=/usr/bin/python3

# The exposition on stdin as one JSON object, {"NAME{LABEL=V,...}": value},
# NAME the sample's (with _total); fails if the parser refuses it or a
# family has no HELP or TYPE.
parse_metrics() {
    "$PY" -c '
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = sys.stdin.read()
out = {}
for fam in text_string_to_metric_families(text):
    if not fam.documentation or fam.type == "unknown":
        sys.exit(f"family {fam.name}: no HELP or TYPE")
    for s in fam.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(out))
'
}

prewarm_three() {
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
}

# Slot 0 sends: ARP for an address behind its tunnel, which it encapsulates
# towards the default remote; unbound, the data path drops it in the worker.
slot0_sends() {
    ip -n "${P}0" addr add 10.200.0.1/24 dev br0
    in_ns "${P}0" ping -c 2 -i 0.2 -W 1 10.200.0.9 >/dev/null 2>&1 || true
}

@test "dump --prometheus parses, and its totals are dump -j's" {
    prewarm_three
    sn -q bind 2 --vni 7 >/dev/null
    slot0_sends
    run --separate-stderr sn dump --prometheus
    assert_status 0
    m=$(parse_metrics <<<"$output") || fail "the parser refused: $output"
    dump=$(sn -j dump)
    expect_eq "$(jq -c '[.["slotnet_slots{state=free}"], .["slotnet_slots{state=bound}"],
        .["slotnet_slots{state=scrubbing}"], .["slotnet_slots{state=not_ready}"]]' <<<"$m")" \
        "[2,1,0,0]" "slots by state (free, bound, scrubbing, not ready)"
    want=$(jq -c '[([.slots[].tx_packets] | add), ([.slots[].rx_packets] | add),
        ([.slots[].tx_bytes] | add), ([.slots[].drops.tx.unbound] | add)]' <<<"$dump")
    [[ $(jq '.[3]' <<<"$want") -gt 0 ]] || fail "slot 0's packets were not dropped as unbound: $dump"
    expect_eq "$(jq -c '[.["slotnet_packets_total{direction=tx}"], .["slotnet_packets_total{direction=rx}"],
        .["slotnet_bytes_total{direction=tx}"], .["slotnet_drops_total{direction=tx,reason=unbound}"]]
        | map(floor)' <<<"$m")" "$want" "packets tx, rx, bytes tx, unbound drops tx against dump -j"
    jq -e --arg p "$P" --arg pin "$PIN" --arg t "$TUNNEL" \
        '.["slotnet_info{abi=6,attach=tc,pin_dir=\($pin),prefix=\($p),tunnel=\($t),version=0.2.0}"] == 1' \
        <<<"$m" >/dev/null || fail "no slotnet_info with the configuration: $m"
    jq -e '.["slotnet_prewarm_duration_seconds{}"] > 0 and
        .["slotnet_prewarm_completion_timestamp_seconds{}"] > 1.7e9' <<<"$m" >/dev/null ||
        fail "no prewarm duration and completion time: $m"
    # No per-slot series by default.
    [[ $output != *'slot="'* ]] || fail "per-slot series without --per-slot"
}

@test "dump --prometheus --per-slot adds every slot's series" {
    prewarm_three
    sn -q bind 1 --vni 7 >/dev/null
    m=$(sn dump --prometheus --per-slot | parse_metrics) || fail "the parser refused it"
    expect_eq "$(jq -c '[to_entries[] | select(.key | startswith("slotnet_slot_state{")) | .key] | sort' <<<"$m")" \
        '["slotnet_slot_state{slot=0,state=free}","slotnet_slot_state{slot=1,state=bound}","slotnet_slot_state{slot=2,state=free}"]' \
        "every slot's state"
    expect_eq "$(jq '[keys[] | select(startswith("slotnet_slot_packets_total{"))] | length' <<<"$m")" 6 \
        "packet series (3 slots, 2 directions)"
}

@test "the last check's drift is a metric" {
    prewarm_three
    ip -n "${P}1" link set br0 down
    run sn check
    assert_status 1
    m=$(sn dump --prometheus | parse_metrics)
    expect_eq "$(jq -c '[.["slotnet_check_differences{}"], .["slotnet_check_slots_differ{}"]]' <<<"$m")" \
        "[1,1]" "differences and slots that differ"
    # A check of one (clean) slot is not the worker's: the record stays.
    sn check 0 >/dev/null
    m=$(sn dump --prometheus | parse_metrics)
    expect_eq "$(jq '.["slotnet_check_differences{}"]' <<<"$m")" 1 "differences after check 0"
    sn -q prewarm --slots 3 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
    sn check >/dev/null
    m=$(sn dump --prometheus | parse_metrics)
    expect_eq "$(jq '.["slotnet_check_differences{}"]' <<<"$m")" "0" "differences after the repair"
}

@test "dump --textfile writes DIR/slotnet.prom whole, readable by all, and nothing else" {
    prewarm_three
    dir=$BATS_TEST_TMPDIR/textfile
    mkdir "$dir"
    run --separate-stderr sn -j dump --textfile "$dir"
    assert_status 0
    expect_eq "$(jq -r .textfile <<<"$output")" "$dir/slotnet.prom" "-j names the file"
    expect_eq "$(ls -A "$dir")" "slotnet.prom" "the directory's files"
    expect_eq "$(stat -c %a "$dir/slotnet.prom")" 644 "its mode"
    parse_metrics <"$dir/slotnet.prom" >/dev/null || fail "the parser refused $dir/slotnet.prom"
    # Run again: replaced, not appended to.
    sn dump --textfile "$dir" >/dev/null
    expect_eq "$(grep -c '^slotnet_info' "$dir/slotnet.prom")" 1 "slotnet_info samples after a second run"
}

@test "dump's metric options refuse what they cannot do, exit 2, writing nothing" {
    prewarm_three
    run --separate-stderr sn dump --per-slot
    assert_status 2
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == *"--per-slot goes with --prometheus"* ]] || fail "$stderr"
    run --separate-stderr sn -j dump --prometheus
    assert_status 2
    jq -e '.error.message | contains("not JSON")' <<<"$output" >/dev/null || fail "$output"
    run --separate-stderr sn dump --prometheus 1
    assert_status 2
    [[ $stderr == *"'1'"* ]] || fail "$stderr"
    run --separate-stderr sn dump --textfile "$BATS_TEST_TMPDIR/none"
    assert_status 2
    [[ $stderr == *"$BATS_TEST_TMPDIR/none"* ]] || fail "$stderr"
    [[ ! -e $BATS_TEST_TMPDIR/none ]] || fail "--textfile made the missing directory"
}
