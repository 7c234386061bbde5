#!/usr/bin/env bats
# The habits of the platform: the worker bootstrap example, bash completion
# driven through compgen, the systemd units make install puts in place, and
# progress on a terminal for the long commands.
load helpers

@test "scripts/worker-boot.sh prewarms with rules, checks, writes the metrics and says so in one line" {
    tf=$BATS_TEST_TMPDIR/textfile
    boot() {
        in_ns "$W" env SLOTNET="$SLOTNET" SLOTNET_PIN_DIR="$PIN" TEXTFILE_DIR="$tf" \
            PREWARM_ARGS="--prefix $P --tunnel $TUNNEL" bash "$REPO/scripts/worker-boot.sh" 3
    }
    run --separate-stderr boot
    assert_status 0
    [[ $output =~ ^"worker-boot: 3 slots ready (3 created, 0 repaired) in $PIN in "[0-9]+" ms; 3 slots checked: 0 differences in 0 slots ("[0-9]+" ms); metrics in $tf/slotnet.prom"$ ]] ||
        fail "the summary: $output"
    assert_all_slots_whole 3
    expect_eq "$(sn -j dump | jq .config.slots)" 3 "slots pinned"
    sn rules --check >/dev/null || fail "the rules are not in place"
    grep -q '^slotnet_slots{state="free"} 3$' "$tf/slotnet.prom" || fail "metrics: $(cat "$tf/slotnet.prom")"
    # Again, after a slot was broken by hand: repaired, still one line.
    ip -n "${P}2" link del tun0
    run --separate-stderr boot
    assert_status 0
    [[ $output == "worker-boot: 3 slots ready (1 created, 0 repaired) in $PIN in "*"; 3 slots checked: 0 differences"* ]] ||
        fail "the second summary: $output"
}

# Completes the command line WORDS... (the last one the word being typed) as
# bash would with the installed completion; COMPREPLY, sorted, on stdout.
# RUN_IN: a command to run the shell under (in_ns NS), none by default.
RUN_IN=()
complete_words() {
    # shellcheck disable=SC2016 # the inner bash expands them
    "${RUN_IN[@]}" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _slotnet
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$REPO/scripts/slotnet-completion.bash" "$@"
}

@test "bash completion offers commands, options, their values and slot numbers" {
    expect_eq "$(complete_words "$SLOTNET" "")" "$(printf '%s\n' bind check dump prewarm rules teardown unbind)" \
        "commands"
    expect_eq "$(complete_words "$SLOTNET" un)" unbind "un<TAB>"
    expect_eq "$(complete_words "$SLOTNET" --no)" --no-wait "global --no<TAB>"
    expect_eq "$(complete_words "$SLOTNET" prewarm --tun)" --tunnel "prewarm --tun<TAB>"
    expect_eq "$(complete_words "$SLOTNET" prewarm --tunnel "")" "$(printf '%s\n' geneve vxlan)" "--tunnel values"
    expect_eq "$(complete_words "$SLOTNET" prewarm --attach t)" "$(printf '%s\n' tc tcx)" "--attach values"
    expect_eq "$(complete_words "$SLOTNET" prewarm --slots "")" "" "--slots N: nothing to offer"
    # --opt=value, which bash splits at '=': "--tunnel" "=" "v".
    expect_eq "$(complete_words "$SLOTNET" prewarm --tunnel = v)" vxlan "--tunnel=v<TAB>"
    expect_eq "$(complete_words "$SLOTNET" prewarm --tunnel =)" "$(printf '%s\n' geneve vxlan)" "--tunnel=<TAB>"
    # Whatever else was typed before the cursor: no pattern breaks, nothing on stderr.
    expect_eq "$(complete_words "$SLOTNET" dump '--a/b(' "" 2>&1)" "" "after an odd word"
    expect_eq "$(complete_words "$SLOTNET" dump --p)" "$(printf '%s\n' --per-slot --prometheus)" \
        "dump --p<TAB>"
    # Slot numbers from the pins (as root, in the worker).
    sn -q prewarm --slots 12 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
    RUN_IN=(in_ns "$W")
    expect_eq "$(complete_words "$SLOTNET" --pin-dir "$PIN" bind 1)" "$(printf '%s\n' 1 10 11)" "bind 1<TAB>"
    expect_eq "$(complete_words "$SLOTNET" --pin-dir = "$PIN" check 1)" "$(printf '%s\n' 1 10 11)" \
        "--pin-dir=DIR check 1<TAB>"
}

@test "make install puts the systemd units, the completion and the default file in place" {
    dest=$BATS_TEST_TMPDIR/dest
    make -s -C "$REPO" install BUILD="${SLOTNET%/slotnet}" DESTDIR="$dest" PREFIX=/usr >/dev/null
    units=$dest/usr/lib/systemd/system
    expect_eq "$(cd "$units" && printf '%s ' *)" \
        "slotnet-metrics.service slotnet-metrics.timer slotnet-prewarm.service slotnet.target " "units"
    # shellcheck disable=SC2016 # systemd expands it, not the shell
    grep -qx 'ExecStart=/usr/sbin/slotnet prewarm $SLOTNET_PREWARM_ARGS' "$units/slotnet-prewarm.service" ||
        fail "prewarm's ExecStart: $(grep ExecStart "$units/slotnet-prewarm.service")"
    grep -qx 'EnvironmentFile=-/etc/default/slotnet' "$units/slotnet-prewarm.service" ||
        fail "prewarm reads no /etc/default/slotnet"
    ! grep -q @SBINDIR@ "$units"/* || fail "a unit keeps @SBINDIR@"
    [[ -s $dest/usr/share/bash-completion/completions/slotnet ]] || fail "no completion installed"
    [[ -s $dest/usr/share/doc/slotnet/slotnet.default ]] || fail "no example /etc/default/slotnet"
    # Another unit directory, as distributions ask.
    make -s -C "$REPO" install BUILD="${SLOTNET%/slotnet}" DESTDIR="$dest" PREFIX=/usr \
        SYSTEMDUNITDIR=/lib/systemd/system >/dev/null
    [[ -s $dest/lib/systemd/system/slotnet-prewarm.service ]] || fail "SYSTEMDUNITDIR is not honoured"
}

@test "teardown, rules --apply and check show progress on a terminal, and not with -q" {
    sn -q prewarm --slots 70 --prefix "$P" --tunnel "$TUNNEL" >/dev/null
    # script(1) gives slotnet a terminal for its stderr.
    on_tty() { in_ns "$W" script -qec "$(printf '%q ' "$@")" /dev/null; }
    run on_tty "$SLOTNET" --pin-dir "$PIN" check
    assert_output_has "slotnet: check: 70/70 slots"
    run on_tty "$SLOTNET" --pin-dir "$PIN" rules --apply
    assert_output_has "slotnet: rules: 71/71 slots"
    run on_tty "$SLOTNET" --pin-dir "$PIN" -q check
    assert_output_lacks "70/70"
    run on_tty "$SLOTNET" --pin-dir "$PIN" teardown
    assert_output_has "slotnet: teardown: 70/70 slots"
}
