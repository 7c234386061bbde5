# shellcheck shell=bash
# The previous release, whose pins an upgrade starts from, built from this
# repository's history: one place for the upgrade tests
# (tests/bats/upgrade.bash sources this) and the upgrade benchmark
# (scripts/bench-upgrade.sh).  Sourced; REPO is the checkout (bats'
# helpers.bash sets it; otherwise the directory above this file).  The
# functions report a failure on stderr and return non-zero: bats' `fail`
# when it is defined, the fallback below otherwise.

# The previous release (map ABI 5, per-CPU counters sized for 16,384
# slots) and its map ABI.
OLD_RELEASE=68d45d7
OLD_ABI=5

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
declare -F fail >/dev/null || fail() { echo "$*" >&2; return 1; }

# Builds the previous release's slotnet once and sets OLD_SLOTNET (exported,
# for the tests) to it, and OLD_DIR to its build directory: in a detached
# worktree of this repository, build/old-release-<commit>/src (build/ is
# gitignored), into build/old-release-<commit>/out, linked against this
# checkout's vendored libraries (build/vendor; SN_VENDOR names another
# checkout's, for a worktree that shares them), which `make` has built.
# Every later test and run reuses the binary (.built marks it whole); two
# runs building at once take turns on a lock file.
old_release_build() {
    local id dir vendor
    id=$(git -C "$REPO" rev-parse --verify --quiet "$OLD_RELEASE^{commit}") ||
        fail "commit $OLD_RELEASE (the previous release) is not in the history of $REPO" \
            "(a shallow clone? git fetch --unshallow)" || return
    dir=$REPO/build/old-release-$id
    OLD_DIR=$dir
    OLD_SLOTNET=$dir/out/slotnet
    export OLD_SLOTNET
    [[ -e $dir/.built ]] && return 0
    vendor=${SN_VENDOR:-$REPO/build/vendor}
    [[ -e $vendor/.stamp ]] ||
        fail "$vendor: the vendored libraries are not built (make; or SN_VENDOR=DIR)" || return
    mkdir -p "$REPO/build"
    old_release_locked "$dir" old_release_make "$id" "$dir" "$vendor"
}

# Runs CMD... holding DIR's lock file (DIR.lock), waiting up to 15 minutes
# for another run to release it.
old_release_locked() { # DIR CMD...
    local dir=$1 fd rc=0
    shift
    exec {fd}>"$dir.lock"
    if flock -w 900 "$fd"; then
        "$@" || rc=1
    else
        rc=1
        echo "another run held $dir.lock for 15 minutes" >&2
    fi
    exec {fd}>&-
    return "$rc"
}

# The build itself (under the lock), from scratch unless a run that held the
# lock before finished it: whatever an earlier, interrupted one left is
# removed first, and so is its worktree's registration, stale once its
# directory is gone (git worktree prune).
old_release_make() { # COMMIT DIR VENDOR
    local id=$1 dir=$2 vendor=$3 log=$2.log
    [[ -e $dir/.built ]] && return 0
    rm -rf "$dir"
    # MAKEFLAGS and the like: a `make bats` run's settings are not the old tree's.
    if ! {
        git -C "$REPO" worktree prune &&
            git -C "$REPO" worktree add --detach "$dir/src" "$id" &&
            old_release_run_make "$dir" "$vendor" all
    } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        fail "building the previous release ($id) failed; its log: $log" || return
    fi
    [[ $("$dir/out/slotnet" --version) == *"(map ABI $OLD_ABI)"* ]] ||
        fail "$dir/out/slotnet --version: $("$dir/out/slotnet" --version 2>&1), expected map ABI $OLD_ABI" ||
        return
    touch "$dir/.built"
}

# make TARGET... in the old tree's worktree, into its out/, with VENDOR's
# libraries (never rebuilt: -o), free of the caller's make settings.
old_release_run_make() { # DIR VENDOR TARGET...
    local dir=$1 vendor=$2
    shift 2
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$dir/src" -j2 \
        BUILD="$dir/out" VENDOR="$vendor" -o "$vendor/.stamp" "$@"
}

# Builds one more file of the old tree's build, TARGET (a path under its
# BUILD directory, as its Makefile names it: bench_datapath,
# test_datapath...), after old_release_build, under the same lock; prints
# its path.  make rebuilds nothing that is up to date, so a second call is
# quick.
old_release_make_target() { # TARGET
    local target=$1 vendor=${SN_VENDOR:-$REPO/build/vendor} log
    old_release_build || return
    log=$OLD_DIR/make-${target//\//_}.log
    old_release_locked "$OLD_DIR" old_release_run_make "$OLD_DIR" "$vendor" "$OLD_DIR/out/$target" \
        >"$log" 2>&1 || {
        tail -n 20 "$log" >&2
        fail "building $target of the previous release failed; its log: $log" || return
    }
    [[ -x $OLD_DIR/out/$target || -e $OLD_DIR/out/$target ]] ||
        fail "$OLD_DIR/out/$target: not made by the old tree's make" || return
    echo "$OLD_DIR/out/$target"
}
