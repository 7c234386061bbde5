#!/usr/bin/env bash
# vendor/build.sh OUTDIR
#
# Builds static musl archives of zlib, libelf (elfutils) and libbpf from the
# Debian source packages pinned in vendor/MANIFEST, into:
#   OUTDIR/lib/{libbpf,libelf,libz}.a
#   OUTDIR/include   bpf/*.h, libelf.h, gelf.h, nlist.h, zlib.h, zconf.h, and
#                    libbpf's linux/{bpf,btf,bpf_common}.h (newer than the
#                    system's 6.1 uapi: BPF_TCX_* etc.)
#   OUTDIR/kinc      symlinks to the kernel uapi headers: linux, asm, asm-generic
# Use:  musl-gcc -isystem OUTDIR/include -isystem OUTDIR/kinc ... -lbpf -lelf -lz
# (include before kinc, so that libbpf's linux/bpf.h wins).
#
# Reuses OUTDIR when OUTDIR/.stamp matches the recipe; downloaded sources in
# OUTDIR/src are kept across rebuilds. Logs go to OUTDIR/logs/.
#
# Environment (all optional):
#   VENDOR_DEBIAN_URI, VENDOR_DEBIAN_KEYRING  Debian archive and keyring to use
#       instead of the ones read from the machine's apt sources.
#   VENDOR_KEEP_BUILD=1  keep OUTDIR/build (the unpacked trees) after success.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/MANIFEST

if [[ $# -ne 1 || -z $1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)

# The recipe is the manifest plus this script: a change to either rebuilds.
want=$(cat "$manifest" "$here/build.sh" | sha256sum | cut -d' ' -f1)
stamp_ok() { [[ -f $out/.stamp && $(<"$out/.stamp") == "$want" ]]; }
stamp_ok && exit 0

# Two builds into one OUTDIR (parallel make, two shells) must not interleave;
# the second one waits and then finds the stamp.
exec 9>"$out/.lock"
flock 9
stamp_ok && exit 0

start=$SECONDS
say() { printf 'vendor: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# run LOG DIR CMD...: run CMD in DIR with all output to OUTDIR/logs/LOG.log;
# on failure show the end of that log.
run() {
    local log=$out/logs/$1.log dir=$2
    shift 2
    printf '+ (cd %s && %s)\n' "$dir" "$*" >>"$log"
    if ! (cd "$dir" && "$@") >>"$log" 2>&1; then
        say "failed: $*"
        say "last lines of $log:"
        tail -n 40 "$log" >&2
        exit 1
    fi
}

for tool in musl-gcc make ar nm tar bzip2 gzip sha256sum flock awk; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/deps.sh)"
done

# --- manifest -----------------------------------------------------------------
declare -A ver suite orig sha
names=()
while read -r n v s o h extra; do
    [[ -z $n || $n == \#* ]] && continue
    [[ -n $h && -z $extra && $h =~ ^[0-9a-f]{64}$ ]] \
        || die "bad MANIFEST line: $n $v $s $o $h $extra"
    names+=("$n")
    ver[$n]=$v suite[$n]=$s orig[$n]=$o sha[$n]=$h
done <"$manifest"
for n in zlib elfutils libbpf; do
    [[ -n ${ver[$n]:-} ]] || die "MANIFEST lacks $n"
done

mkdir -p "$out/src"
rm -rf "$out/logs"
mkdir -p "$out/logs"

have_orig() {
    local f=$out/src/${orig[$1]}
    [[ -f $f && $(sha256sum "$f" | cut -d' ' -f1) == "${sha[$1]}" ]]
}

# --- fetch ----------------------------------------------------------------------
# Print "URI KEYRING" for the machine's Debian archive: the first enabled
# deb/deb-src entry with component main and a plain codename suite (so
# neither -security/-updates nor third-party repositories such as
# "nodistro" ones). KEYRING is its Signed-By path(s), or empty when the entry
# relies on apt's global trust (or embeds its key, which we cannot pass on).
debian_archive() {
    if [[ -n ${VENDOR_DEBIAN_URI:-} ]]; then
        printf '%s %s\n' "$VENDOR_DEBIAN_URI" "${VENDOR_DEBIAN_KEYRING:-}"
        return
    fi
    local f found
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        found=$(awk '
            function flush() {
                if (done) return
                if (types ~ /(^| )deb(-src)?( |$)/ && comps ~ /(^| )main( |$)/ &&
                    suites ~ /(^| )[a-z]+( |$)/ && tolower(enabled) != "no" && uri != "") {
                    if (signed !~ /^(\/[^ ,]+[ ,]*)+$/) signed = ""
                    print uri, signed
                    done = 1
                    exit
                }
                types = comps = suites = enabled = uri = signed = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            /^[ \t]/ { next }              # continuation (embedded key)
            {
                key = tolower($0); sub(/:.*/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
                if (key == "types") types = val
                else if (key == "components") comps = val
                else if (key == "suites") suites = val
                else if (key == "enabled") enabled = val
                else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
                else if (key == "signed-by") signed = val
            }
            END { flush() }' "$f")
        if [[ -n $found ]]; then echo "$found"; return; fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        found=$(awk '
            /^[ \t]*#/ { next }
            $1 == "deb" || $1 == "deb-src" {
                line = $0; opts = ""
                if (match(line, /\[[^]]*\]/)) {
                    opts = substr(line, RSTART + 1, RLENGTH - 2)
                    line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
                }
                n = split(line, w, /[ \t]+/)
                if (n < 4 || w[3] !~ /^[a-z]+$/) next
                main = 0
                for (i = 4; i <= n; i++) if (w[i] == "main") main = 1
                if (!main) next
                signed = ""
                if (match(opts, /signed-by=[^ \t]+/))
                    signed = substr(opts, RSTART + 10, RLENGTH - 10)
                print w[2], signed
                exit
            }' "$f")
        if [[ -n $found ]]; then echo "$found"; return; fi
    done
    return 1
}

# Keep apt's own settings (proxy, validity checks) but use private sources,
# lists and cache, so the system's apt state is neither read nor changed.
apt_dir=$out/apt
apt_opts=(
    -c "$apt_dir/apt.conf"
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
)
if [[ $EUID -eq 0 ]]; then
    # The _apt sandbox user cannot write into OUTDIR/src; apt would fall back
    # to root anyway, with a warning.
    apt_opts+=(-o APT::Sandbox::User=root)
fi

apt_update() { # apt_update URI KEYRING TRUSTED
    local opts=() s suites
    [[ -n $2 ]] && opts+=("signed-by=${2// /,}")
    [[ $3 == yes ]] && opts+=(trusted=yes)
    suites=$(printf '%s\n' "${suite[@]}" | sort -u | tr '\n' ' ')
    : >"$apt_dir/sources.list"
    for s in $suites; do
        printf 'deb-src %s%s %s main\n' "${opts:+[${opts[*]}] }" "$1" "$s" >>"$apt_dir/sources.list"
    done
    rm -rf "$apt_dir/lists"
    mkdir -p "$apt_dir/lists/partial"
    apt-get "${apt_opts[@]}" -q update >>"$out/logs/apt.log" 2>&1
}

# Version of source package $1 whose Sources entry lists the pinned orig
# tarball with the pinned sha256: the manifest version if it is still served,
# else another Debian revision of the same upstream tarball.
resolve_version() {
    apt-cache "${apt_opts[@]}" showsrc "$1" 2>>"$out/logs/apt.log" | awk \
        -v pkg="$1" -v want="${ver[$1]}" -v file="${orig[$1]}" -v sum="${sha[$1]}" '
        /^Package:/ { p = $2 }
        /^Version:/ { v = $2 }
        /^[A-Za-z0-9-]+:/ { sect = $1 }
        sect == "Checksums-Sha256:" && /^ / && p == pkg && $3 == file {
            if ($1 != sum) bad = $1
            else if (v == want) exact = v
            else if (other == "") other = v
        }
        END {
            if (exact != "") print exact
            else if (other != "") print other
            else if (bad != "") print "!" bad
        }'
}

fetch=()
for n in "${names[@]}"; do
    have_orig "$n" || fetch+=("$n")
done

if [[ ${#fetch[@]} -gt 0 ]]; then
    command -v apt-get >/dev/null || die "apt-get not found"
    read -r uri keyring < <(debian_archive) \
        || die "no Debian archive found in /etc/apt sources (set VENDOR_DEBIAN_URI)"
    say "fetching ${fetch[*]} (Debian source packages)"
    mkdir -p "$apt_dir/sources.list.d" "$apt_dir/cache/archives/partial"
    # The system's update hooks (packagekit, appstream) are about the
    # system's lists, not our private ones.
    printf '#clear APT::Update::Pre-Invoke;\n#clear APT::Update::Post-Invoke;\n#clear APT::Update::Post-Invoke-Success;\n' \
        >"$apt_dir/apt.conf"
    if ! apt_update "$uri" "$keyring" no; then
        # Typically an older keyring without the key of a newer suite. The
        # orig tarballs are checked against MANIFEST's sha256 below, which is
        # the integrity check that matters, so an unverified index is
        # acceptable; anything else (network, bad URI) fails again here.
        if grep -qE 'NO_PUBKEY|EXPKEYSIG|KEYEXPIRED|not signed|signature' "$out/logs/apt.log"; then
            say "warning: cannot verify the Debian index signatures with '${keyring:-apt trust store}';"
            say "warning: going on unverified, relying on MANIFEST sha256 of each orig tarball"
            apt_update "$uri" "$keyring" yes \
                || { tail -n 40 "$out/logs/apt.log" >&2; die "apt-get update failed"; }
        else
            tail -n 40 "$out/logs/apt.log" >&2
            die "apt-get update failed"
        fi
    fi
    specs=()
    for n in "${fetch[@]}"; do
        v=$(resolve_version "$n")
        [[ $v != !* ]] \
            || die "SHA256 MISMATCH for ${orig[$n]}: the Debian index says ${v#!}, MANIFEST says ${sha[$n]}"
        [[ -n $v ]] || die "no $n source package with ${orig[$n]} in ${suite[$n]}"
        [[ $v == "${ver[$n]}" ]] || say "warning: $n ${ver[$n]} is no longer served; using $v (same orig tarball)"
        specs+=("$n=$v")
        rm -f "$out/src/${orig[$n]}"
    done
    run apt "$out/src" apt-get "${apt_opts[@]}" -q source --download-only "${specs[@]}"
    for n in "${fetch[@]}"; do
        f=$out/src/${orig[$n]}
        [[ -f $f ]] || die "apt-get source did not produce $f"
        got=$(sha256sum "$f" | cut -d' ' -f1)
        if [[ $got != "${sha[$n]}" ]]; then
            mv "$f" "$f.bad"
            die "SHA256 MISMATCH for ${orig[$n]}: got $got, MANIFEST says ${sha[$n]} (kept as $f.bad)"
        fi
    done
    rm -rf "$apt_dir/lists" "$apt_dir/cache" # ~20 MB of indexes, refetched if ever needed
fi

# --- build ----------------------------------------------------------------------
b=$out/build
rm -rf "${b:?}" "${out:?}/lib" "$out/include" "$out/kinc" "$out/.stamp"
mkdir -p "$b" "$out/lib" "$out/include" "$out/kinc"

unpack() {
    mkdir -p "$b/$1"
    tar -xf "$out/src/${orig[$1]}" -C "$b/$1" --strip-components=1
}

# musl's include dir has no kernel headers, and glibc's /usr/include must not
# be searched as a whole, so expose just the uapi directories.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for d in /usr/include/linux /usr/include/asm-generic "/usr/include/$multiarch/asm"; do
    [[ -d $d ]] || die "$d missing (install linux-libc-dev)"
done
ln -s /usr/include/linux "$out/kinc/linux"
ln -s /usr/include/asm-generic "$out/kinc/asm-generic"
ln -s "/usr/include/$multiarch/asm" "$out/kinc/asm"

cflags="-O2 -fPIC"

say "building zlib (${orig[zlib]})"
unpack zlib
run zlib "$b/zlib" env CC=musl-gcc CFLAGS="$cflags" ./configure --static --prefix="$out"
run zlib "$b/zlib" make -j2 libz.a
install -m 644 "$b/zlib/libz.a" "$out/lib/"
install -m 644 "$b/zlib/zlib.h" "$b/zlib/zconf.h" "$out/include/"

say "building libelf from elfutils (${orig[elfutils]})"
unpack elfutils
mkdir -p "$b/elfutils-obj"
# musl has no argp, fts or obstack. Only the eu-* tools and libdw use them,
# and we build neither, so tell configure they need no extra library.
run elfutils "$b/elfutils-obj" "$b/elfutils/configure" \
    CC=musl-gcc CFLAGS="$cflags" \
    CPPFLAGS="-isystem $out/include" LDFLAGS="-L$out/lib" \
    ac_cv_search_argp_parse='none required' \
    ac_cv_search_fts_close='none required' \
    ac_cv_search__obstack_free='none required' \
    --disable-dependency-tracking --disable-nls \
    --disable-debuginfod --disable-libdebuginfod --disable-demangler \
    --with-zlib --without-bzlib --without-lzma --without-zstd
# libelf calls eu_tsearch & co. from lib/libeu.a; the rest of libeu needs
# argp, so take just that object and put it into libelf.a.
run elfutils "$b/elfutils-obj" make -C lib eu-search.o
run elfutils "$b/elfutils-obj" make -j2 -C libelf libelf.a
install -m 644 "$b/elfutils-obj/libelf/libelf.a" "$out/lib/"
run elfutils "$b/elfutils-obj" ar rcs "$out/lib/libelf.a" lib/eu-search.o
install -m 644 "$b/elfutils/libelf/"{libelf.h,gelf.h,nlist.h} "$out/include/"

say "building libbpf (${orig[libbpf]})"
unpack libbpf
# Upstream's default CFLAGS plus -Werror would turn any new compiler or musl
# warning into a failure; keep the warnings, drop -Werror. NO_PKG_CONFIG:
# the system's .pc files describe glibc builds.
bpf_make=(make BUILD_STATIC_ONLY=1 NO_PKG_CONFIG=1 V=1 CC=musl-gcc
    OBJDIR="$b/libbpf-obj" CFLAGS="$cflags -g -Wall -std=gnu89"
    EXTRA_CFLAGS="-isystem $out/include -isystem $out/kinc"
    PREFIX="$out" INCLUDEDIR="$out/include" UAPIDIR="$out/include")
run libbpf "$b/libbpf/src" "${bpf_make[@]}" -j2 "$b/libbpf-obj/libbpf.a"
run libbpf "$b/libbpf/src" "${bpf_make[@]}" install_headers install_uapi_headers
install -m 644 "$b/libbpf-obj/libbpf.a" "$out/lib/"

# --- check ----------------------------------------------------------------------
# Link every member of the three archives (catches symbols no library
# defines, e.g. more libeu), and run a program through the public headers.
say "checking"
mkdir -p "$b/check"
cat >"$b/check/check.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gelf.h>
#include <zlib.h>

int main(void)
{
	enum bpf_attach_type tcx = BPF_TCX_INGRESS; /* needs libbpf's uapi */
	int fd = bpf_obj_get("/nonexistent/slotnet-vendor-check");
	int err = errno;

	printf("libbpf %s libelf %u zlib %s tcx %d\n", libbpf_version_string(),
	       elf_version(EV_CURRENT), zlibVersion(), (int)tcx);
	return fd < 0 && err == ENOENT ? 0 : 1;
}
EOF
run check "$b/check" musl-gcc -static -Wall -Werror -isystem "$out/include" -isystem "$out/kinc" \
    check.c -o check -L"$out/lib" -lbpf -lelf -lz
run check "$b/check" ./check
versions=$("$b/check/check")
run check "$b/check" musl-gcc -static -o whole check.c -isystem "$out/include" -isystem "$out/kinc" \
    -Wl,--whole-archive "$out/lib/libbpf.a" "$out/lib/libelf.a" "$out/lib/libz.a" -Wl,--no-whole-archive

[[ ${VENDOR_KEEP_BUILD:-} == 1 ]] || rm -rf "$b"
echo "$want" >"$out/.stamp"
say "done in $((SECONDS - start))s: $out ($versions)"
