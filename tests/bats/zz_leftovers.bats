#!/usr/bin/env bats
# Runs last (files run in name order): every test before it in this bats run
# removed what it made, pass or fail.  helpers.bash records each test's name
# prefix P in $BATS_RUN_TMPDIR/slotnet-names; every namespace, pin directory
# and worker a test makes is named from P.

@test "the suite leaves no namespace, pin directory, lock file or slotnet process behind" {
    names=$BATS_RUN_TMPDIR/slotnet-names
    [[ -s $names ]] || skip "no other test ran in this bats run"
    left=()
    while read -r p; do
        for f in /run/netns/"$p"* /run/netns/snw-"$p" /sys/fs/bpf/snt-"$p" /sys/fs/bpf/snt-"$p"-* \
            /run/slotnet/%2fsys%2ffs%2fbpf%2fsnt-"$p".* /run/slotnet/%2fsys%2ffs%2fbpf%2fsnt-"$p"-*.*; do
            if [[ -e $f ]]; then left+=("$f"); fi
        done
    done <"$names"
    # No slotnet started by this run's tests still runs (their pin directories name P).
    for pid in $(pgrep -x slotnet || true); do
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        while read -r p; do
            if [[ $cmd == *"/snt-$p "* || $cmd == *"/snt-$p-"* ]]; then
                left+=("slotnet process $pid: $cmd")
            fi
        done <"$names"
    done
    if ((${#left[@]})); then
        printf 'left behind: %s\n' "${left[@]}" >&2
        return 1
    fi
    echo "# $(wc -l <"$names") tests checked" >&3
}
