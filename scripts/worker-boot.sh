#!/usr/bin/env bash
# The example a worker's bootstrap script would copy: make every slot with
# its firewall rules, check the result, write the metrics for
# node_exporter, and print a one-line summary.  Safe to run again (each
# step is idempotent; a run after a crash or a hand-made change repairs).
#
#   scripts/worker-boot.sh [SLOTS=64]
#
# From the environment: SLOTNET (the binary, default slotnet in PATH),
# SLOTNET_PIN_DIR (slotnet's own), PREWARM_ARGS (more prewarm options, as
# words: --tunnel, --remote, --outside, --uplink ...), TEXTFILE_DIR (default
# /var/lib/prometheus/node-exporter, Debian's textfile collector's).
set -euo pipefail

slots=${1:-64}
sn=${SLOTNET:-slotnet}
textfile_dir=${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
read -r -a prewarm_args <<<"${PREWARM_ARGS:-}"

# 1. The BPF filesystem the pins live on (slotnet mounts it at /sys/fs/bpf
#    itself when needed; a bootstrap script says so explicitly).
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# 2. Every slot, with its rules; the output's one line says how many were made.
made=$("$sn" -q prewarm --slots "$slots" --rules "${prewarm_args[@]}")

# 3. Nothing differs from what prewarm made.  A difference (check names each)
#    is reported, and the metrics still written: they carry it to monitoring.
status=0
if ! checked=$("$sn" -q check); then
    printf '%s\n' "$checked" >&2
    status=1
fi

# 4. The metrics, atomically, for the textfile collector.
mkdir -p "$textfile_dir"
"$sn" -q dump --textfile "$textfile_dir"

echo "worker-boot: $made; ${checked##*$'\n'}; metrics in $textfile_dir/slotnet.prom"
exit "$status"
