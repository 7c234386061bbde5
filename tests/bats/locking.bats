#!/usr/bin/env bats
# One lock per pin directory: commands that change the slots or the
# configuration (prewarm, teardown, rules --apply) run one at a time, a
# second one waits (or fails with --no-wait); bind and unbind of one slot
# exclude each other, so no binding is ever lost to an overlapping unbind.
load helpers

teardown() {
    local pid
    for pid in ${BG_PIDS:-}; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    teardown_worker
}

# Starts `sn ARGS` in the background with its stdout and stderr in files
# $BATS_TEST_TMPDIR/NAME.{out,err} and its exit status in NAME.rc.
sn_bg() { # NAME ARGS...
    local name=$1
    shift
    { sn "$@" >"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err"
        echo $? >"$BATS_TEST_TMPDIR/$name.rc"; } &
    BG_PIDS+=" $!"
}
bg_rc() { cat "$BATS_TEST_TMPDIR/$1.rc"; }
bg_err() { cat "$BATS_TEST_TMPDIR/$1.err"; }

# Waits until background job NAME has finished.
bg_wait() { # NAME
    local i
    for ((i = 0; i < 6000; i++)); do
        [[ -e $BATS_TEST_TMPDIR/$1.rc ]] && return 0
        sleep 0.01
    done
    fail "$1 did not finish"
}

# Waits until a background prewarm has made its first slot namespace (so it
# holds the lock) and is still running.
wait_first_slot() { # JOB
    local i
    for ((i = 0; i < 3000; i++)); do
        (($(slot_count) > 0)) && [[ ! -e $BATS_TEST_TMPDIR/$1.rc ]] && return 0
        sleep 0.005
    done
    fail "the background prewarm did not start making slots"
}

@test "a second prewarm waits for the first, says so, and teardown then leaves nothing" {
    sn_bg first prewarm --slots 300 --prefix "$P" --tunnel "$TUNNEL"
    wait_first_slot first
    run --separate-stderr sn prewarm --slots 308
    assert_status 0
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    [[ $stderr == *"slotnet: prewarm: waiting for the lock on $PIN (held by pid "*", prewarm)"* ]] ||
        fail "stderr: $stderr"
    bg_wait first
    expect_eq "$(bg_rc first)" 0 "the first prewarm's exit status ($(bg_err first))"
    expect_eq "$(sn -j dump | jq .config.slots)" 308 "pinned slot count"
    assert_all_slots_whole 308
    run sn teardown
    assert_status 0
    expect_eq "$(slot_count)" 0 "slot namespaces after teardown"
    expect_eq "$(ip -n "$W" -j link show | jq -r '[.[].ifname] | join(" ")')" lo "links in the worker"
    [[ ! -e $(lock_file) ]] || fail "teardown left the lock file $(lock_file)"
}

@test "with --no-wait a locked pin directory fails at once, exit 1, naming the holder" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL"
    sn_bg grow prewarm --slots 300
    until [[ $(slot_count) -gt 2 || -e $BATS_TEST_TMPDIR/grow.rc ]]; do sleep 0.005; done
    [[ ! -e $BATS_TEST_TMPDIR/grow.rc ]] || fail "the prewarm ended before the test: $(bg_err grow)"
    for cmd in prewarm teardown "rules --apply"; do
        # shellcheck disable=SC2086 # the unquoted words are the arguments, one each
        run --separate-stderr sn --no-wait $cmd
        [[ $status -eq 1 ]] || fail "$cmd: exit $status; stderr: $stderr"
        [[ $stderr == "slotnet: ${cmd%% *}: $PIN is locked by pid "*", prewarm; not waiting (--no-wait)" ]] ||
            fail "$cmd: stderr: $stderr"
    done
    bg_wait grow
    expect_eq "$(bg_rc grow)" 0 "the growing prewarm's exit status ($(bg_err grow))"
    assert_all_slots_whole 300
}

@test "rules --apply during a growing prewarm keeps its options and every slot gets the rules" {
    sn -q prewarm --slots 2 --prefix "$P" --tunnel "$TUNNEL" --rules
    sn_bg grow prewarm --slots 200
    until [[ $(slot_count) -gt 2 || -e $BATS_TEST_TMPDIR/grow.rc ]]; do sleep 0.005; done
    run --separate-stderr sn -q rules --apply --metadata-access allow
    assert_status 0
    bg_wait grow
    expect_eq "$(bg_rc grow)" 0 "the prewarm's exit status ($(bg_err grow))"
    run sn -q rules --check
    assert_status 0
    run sn rules --print --slot --tool iptables
    assert_output_lacks "169.254.169.254/32"
    run sn teardown
    assert_status 0
    expect_eq "$(in_ns "$W" iptables-save | grep -c SLOTNET)" 0 "SLOTNET lines left in the root"
}

# Holds slot N's byte of the lock file (an OFD lock, as slotnet takes it)
# from a python process until the file $BATS_TEST_TMPDIR/release appears.
hold_slot_lock() { # N
    python3 -c '
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 1 + int(sys.argv[2]), 1, 0))
open(sys.argv[3], "w").close()
while not os.path.exists(sys.argv[4]):
    time.sleep(0.01)
' "$(lock_file)" "$1" "$BATS_TEST_TMPDIR/held" "$BATS_TEST_TMPDIR/release" &
    BG_PIDS+=" $!"
    until [[ -e $BATS_TEST_TMPDIR/held ]]; do sleep 0.01; done
}

@test "bind and unbind of a slot wait while its lock is held; other slots do not" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL"
    sn -q bind 1 --vni 11 >/dev/null
    mkdir -p /run/slotnet
    hold_slot_lock 1
    sn_bg bind1 bind 1 --vni 12 --force
    sn_bg unbind1 unbind 1
    run sn bind 2 --vni 22
    assert_status 0
    run sn bind --any --vni 33
    assert_status 0
    [[ $output != 1 ]] || fail "bind --any took slot 1, whose lock is held"
    sleep 0.3
    [[ ! -e $BATS_TEST_TMPDIR/bind1.rc && ! -e $BATS_TEST_TMPDIR/unbind1.rc ]] ||
        fail "bind or unbind of slot 1 did not wait for its lock"
    expect_eq "$(slot_json 1 | jq -c '[.state, .vni]')" '["bound",11]' "slot 1 while its lock is held"
    touch "$BATS_TEST_TMPDIR/release"
    bg_wait bind1
    bg_wait unbind1
    expect_eq "$(bg_rc bind1) $(bg_rc unbind1)" "0 0" "exit statuses of the waiting bind and unbind"
}

# The race of two unbinds and a bind, made certain: the first unbind (under
# strace) pauses for a second after its scrub, just before it frees the
# slot (its second setns, back to the root); a second unbind and then a bind
# come meanwhile.  Without the slot lock the paused unbind's final delete
# then removed the new binding, which nobody had scrubbed or reported.
@test "an overlapping unbind never deletes the next tenant's binding" {
    sn -q prewarm --slots 4 --prefix "$P" --tunnel "$TUNNEL"
    sn -q bind 2 --vni 42 >/dev/null
    { in_ns "$W" strace -o /dev/null -e trace=setns -e inject=setns:delay_enter=1000000:when=2 \
        "$SLOTNET" --pin-dir "$PIN" -j unbind 2 >"$BATS_TEST_TMPDIR/u1.out" 2>"$BATS_TEST_TMPDIR/u1.err"
        echo $? >"$BATS_TEST_TMPDIR/u1.rc"; } &
    BG_PIDS+=" $!"
    until [[ $(slot_json 2 | jq -r .state) == scrubbing || -e $BATS_TEST_TMPDIR/u1.rc ]]; do
        sleep 0.01
    done
    sn_bg u2 -j unbind 2
    until sn -q bind 2 --vni 7 >/dev/null 2>&1; do sleep 0.01; done
    bg_wait u1
    bg_wait u2
    expect_eq "$(bg_rc u1) $(bg_rc u2)" "0 0" "the unbinds' exit statuses ($(bg_err u1) $(bg_err u2))"
    expect_eq "$(jq .was_bound "$BATS_TEST_TMPDIR/u1.out")" true "the first unbind saw VNI 42"
    # Binding 7 may only go with an unbind that saw it (and scrubbed after it).
    if [[ $(slot_json 2 | jq -c '[.state, .vni]') != '["bound",7]' ]]; then
        expect_eq "$(jq .was_bound "$BATS_TEST_TMPDIR/u2.out")" true \
            "binding 7 is gone: the second unbind saw it"
    fi
}
