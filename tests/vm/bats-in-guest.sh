#!/usr/bin/env bash
# tests/vm/bats-in-guest.sh [--all]: the bats suites on Linux 6.1, with
# Geneve: runs them in the 6.1 worker guest (run-in-guest.sh) with
# SN_TUNNEL=geneve, so that every slot's tun0 and every tenant endpoint is a
# real Geneve device, and prints their TAP stream; the exit status is bats'.
#
# Without --all, the behaviours CI runs there (tests/run.sh): prewarm, bind
# and unbind, dump, check and its repairs (tun0 a Geneve device), the attach
# (clsact; tcx is refused on 6.1), the MTUs,
# the rule sets with the guest's iptables, teardown, and the data path end
# to end, but their tests of hundreds of slots (scale_test in helpers.bash:
# SN_SKIP_SCALE=1).  With --all (`make check-kernel`), every file of tests/bats but
# guest.bats, whose tenant VMs would be guests inside the guest.
#
# Everything runs TCG-emulated on these machines, several times slower than
# on the host: BATS_TEST_TIMEOUT (default 900 s here) bounds each test, and
# SN_TIMEOUT (600 s here; helpers.bash) each command in a namespace, such as
# a rules --apply waiting for the lock of a prewarm of 200 slots.
# Root only; build first (make).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1

# zz_leftovers last: it checks that the others left nothing behind.
ci_files=(prewarm bind dump check attach mtu rules teardown datapath zz_leftovers)
files=() limit=3600 env=(--env SN_SKIP_SCALE=1)
(($# <= 1)) || { echo "bats-in-guest.sh: one argument at most (usage: bats-in-guest.sh [--all])" >&2; exit 2; }
case ${1:-} in
    "") for f in "${ci_files[@]}"; do files+=("tests/bats/$f.bats"); done ;;
    --all) for f in tests/bats/*.bats; do [[ $f == */guest.bats ]] || files+=("$f"); done
        limit=7200 env=() ;;
    *) echo "bats-in-guest.sh: unknown argument '$1' (usage: bats-in-guest.sh [--all])" >&2; exit 2 ;;
esac

exec tests/vm/run-in-guest.sh --timeout "$limit" --env SN_TUNNEL=geneve ${env[@]+"${env[@]}"} \
    --env "BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-900}" --env "SN_TIMEOUT=${SN_TIMEOUT:-600}" -- \
    bats --tap --timing --print-output-on-failure "${files[@]}"
