# shellcheck shell=bash
# Shared by the scripts in scripts/: throwaway namespaces and the wait for
# the kernel to finish dismantling what an earlier run tore down.

# Milliseconds an RTNL-taking request needs right now, in a probe namespace.
# Through nsenter, which enters the network namespace alone: `ip -n` also
# makes a mount namespace, a copy of every /run/netns bind mount (~190 ms
# with 4,000 slots present), and the kernel would never look settled.
rtnl_probe_ms() {
    local t0
    t0=$(date +%s%N)
    nsenter --net="/run/netns/$1" ip link set lo up
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

# After a teardown the kernel dismantles namespaces for minutes (a worker
# of the "netns" workqueue, holding RTNL): a run timed meanwhile is slow.
# Waits until no such worker runs and RTNL answers quickly, 3 times in a row,
# or LIMIT seconds.
wait_kernel_settled() { # LIMIT
    local limit=$1 waited=0 calm=0 probe=settle$$
    ip netns add $probe
    while (( calm < 3 )); do
        if grep -qs '+netns' /proc/[0-9]*/comm || (( $(rtnl_probe_ms $probe) > 20 )); then
            calm=0
        else
            calm=$((calm + 1))
        fi
        (( waited >= limit )) && { echo "warning: kernel still busy after ${limit}s" >&2; break; }
        sleep 1; waited=$((waited + 1))
    done
    ip netns del $probe
    (( waited > 5 )) && echo "(waited ${waited}s for the kernel to dismantle earlier namespaces)" >&2
    return 0
}

# A worker namespace standing in for the host's root namespace, with an
# address of its own as a real worker has (routes are then added flat).
make_worker() {
    ip netns add "$1"
    ip -n "$1" link set lo up
    ip -n "$1" addr add 198.18.0.1/32 dev lo
}

# Removes worker namespace W and what slotnet BIN prewarmed in it for pin
# directory PIN: a benchmark's exit trap, whatever state it stopped in.
remove_worker() { # W PIN BIN
    nsenter --net="/run/netns/$1" "$3" -q --pin-dir "$2" teardown >/dev/null 2>&1 || true
    ip netns del "$1" 2>/dev/null || true
}

# Percentile PERCENT (50, 90; 0 the least, 100 the most) of the numbers in
# FILE (- for stdin), one a line, in any order.
pct() { # FILE PERCENT
    sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100) + 1; print v[(i > NR) ? NR : i] }'
}
