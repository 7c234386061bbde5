# Shared by every .bats file.  Each test gets a throwaway worker namespace
# (standing in for the host's root namespace), its own pin directory and
# its own slot prefix, and removes all of them afterwards, pass or fail.

SLOTNET=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/slotnet

setup_worker() {
    local file
    file=$(basename "$BATS_TEST_FILENAME" .bats)
    # A letter, digits, a letter: unique per run and test, never ending in a digit.
    P="t$(( $$ % 1000 ))${file:0:1}${BATS_TEST_NUMBER}x"
    W="snw-$P"
    PIN="/sys/fs/bpf/snt-$P"
    ip netns add "$W"
    ip -n "$W" link set lo up
}

teardown_worker() {
    [[ -n ${W:-} ]] || return 0
    local pin ns
    # Tests may add pin directories and prefixes of their own, all starting with ours.
    for pin in "$PIN" "$PIN"-*; do
        [[ -e $pin ]] || continue
        nsenter --net="/run/netns/$W" "$SLOTNET" -q --pin-dir "$pin" teardown >/dev/null 2>&1 || true
        rm -rf "$pin"
    done
    for ns in $(ip netns list | awk '{print $1}'); do
        [[ $ns == "$P"* ]] && ip netns del "$ns"
    done
    ip netns del "$W" 2>/dev/null || true
}

setup() { setup_worker; }
teardown() { teardown_worker; }

# slotnet inside the worker, with this test's pin directory.
sn() { nsenter --net="/run/netns/$W" "$SLOTNET" --pin-dir "$PIN" "$@"; }

slot_count() { ip netns list | awk '{print $1}' | grep -cE "^${P}[0-9]+$" || true; }
root_veth_count() { ip -n "$W" -o link show | grep -cE ": ${P}[0-9]+@" || true; }

# Nothing made: no slot namespace, no pin directory, no link but lo in the worker.
assert_nothing_created() {
    [ "$(slot_count)" -eq 0 ]
    [ ! -e "$PIN" ]
    [ "$(ip -n "$W" -o link show | wc -l)" -eq 1 ]
}

assert_status() {
    if [ "$status" -ne "$1" ]; then
        echo "expected exit $1, got $status; output: $output" >&2
        return 1
    fi
}

assert_output_has() {
    if [[ $output != *"$1"* ]]; then
        echo "output lacks '$1': $output" >&2
        return 1
    fi
}
