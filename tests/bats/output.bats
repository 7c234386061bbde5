#!/usr/bin/env bats
# The JSON writer under every -j document: valid JSON (and so valid UTF-8)
# whatever bytes the strings it is given hold, and a loud stop, never a
# malformed document, when the code that prints misuses it.
load helpers

# A pin directory name that holds well-formed UTF-8, each kind of malformed
# sequence and every kind of character JSON must escape.
ODD_NAME=$'u\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf'   # é € 😀 U+10FFFF
ODD_NAME+=$'-\xff-\x80'                  # a byte never in UTF-8, a lone continuation byte
ODD_NAME+=$'-\xc0\xaf-\xe0\x80\xaf'      # '/' in overlong 2- and 3-byte forms
ODD_NAME+=$'-\xed\xa0\x80'               # the surrogate U+D800
ODD_NAME+=$'-\xf4\x90\x80\x80'           # U+110000, past the last code point
ODD_NAME+=$'-\xe2\x82x'                  # a sequence cut short by an ASCII byte
ODD_NAME+=$'-\x01\x1f\x7f\t\n"\\'        # control characters, quote, backslash
ODD_NAME+=$'-\xf0\x9f\x98'               # a sequence cut short by the end
# ODD_NAME inside a JSON string: well-formed sequences as they are, each
# byte of a malformed one as \u00XX.
ODD_JSON=$'u\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf'
ODD_JSON+='-\u00ff-\u0080'
ODD_JSON+='-\u00c0\u00af-\u00e0\u0080\u00af'
ODD_JSON+='-\u00ed\u00a0\u0080'
ODD_JSON+='-\u00f4\u0090\u0080\u0080'
ODD_JSON+='-\u00e2\u0082x'
# shellcheck disable=SC1003 # the backslashes are JSON escapes, meant literally
ODD_JSON+='-\u0001\u001f\u007f\t\n\"\\'
ODD_JSON+='-\u00f0\u009f\u0098'

# Fails unless FILE is one JSON document in strict UTF-8 (json.loads of
# bytes would let surrogates through) whose member at KEY... is the string
# BYTES decodes to: well-formed UTF-8 as such, each other byte as the code
# point of its value.
assert_json_string() { # FILE BYTES KEY...
    python3 - "$@" <<'EOF'
import codecs, json, os, sys
codecs.register_error("byte_values", lambda e: ("".join(map(chr, e.object[e.start:e.end])), e.end))
doc = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
for k in sys.argv[3:]:
    doc = doc[k]
want = os.fsencode(sys.argv[2]).decode("utf-8", "byte_values")
if doc != want:
    sys.exit(f"{'.'.join(sys.argv[3:])}: got {doc!r}, expected {want!r}")
EOF
}

@test "-j output is valid JSON in UTF-8 whatever bytes the pin directory's name holds" {
    local dir="$PIN-$ODD_NAME" out=$BATS_TEST_TMPDIR/out
    snw -j --pin-dir "$dir" prewarm --slots 1 --prefix "$P" --tunnel "$TUNNEL" >"$out"
    grep -qF "\"pin_dir\":\"$PIN-$ODD_JSON\"" "$out" ||
        fail "prewarm -j: pin_dir not written as expected: $(od -c "$out" | head -20)"
    assert_json_string "$out" "$dir" pin_dir
    snw -j --pin-dir "$dir" dump >"$out"
    grep -qF "\"pin_dir\":\"$PIN-$ODD_JSON\"" "$out" ||
        fail "dump -j: pin_dir not written as expected: $(od -c "$out" | head -20)"
    assert_json_string "$out" "$dir" config pin_dir
    assert_json_string "$out" "$P" config prefix
}

# A program of its own around out.c: no command nests deep enough to show
# what the writer does past its limit.  slotnet's sn_err is stood in for.
build_writer() {
    cat >"$BATS_TEST_TMPDIR/writer.c" <<'EOF'
#include "out.h"
#include "slotnet.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct globals g = { .json = true, .cmd = "test" };

int sn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "slotnet: %s: ", g.cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

/* "nest N": N arrays inside each other, the innermost holding 1; "close": one close too many. */
int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;

	if (!strcmp(argv[1], "close")) {
		out_obj_open(NULL);
		out_obj_close();
		out_obj_close();
	}
	for (int i = 0; i < n; i++)
		out_arr_open(NULL);
	out_u64(NULL, NULL, 1);
	for (int i = 0; i < n; i++)
		out_arr_close();
	out_end();
	return 0;
}
EOF
    musl-gcc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$REPO/cmd" \
        "$BATS_TEST_TMPDIR/writer.c" "$REPO/cmd/out.c" -o "$BATS_TEST_TMPDIR/writer"
}

@test "the JSON writer nests 16 levels, and stops with a message at the 17th" {
    build_writer
    run --separate-stderr "$BATS_TEST_TMPDIR/writer" nest 16
    assert_status 0
    expect_eq "$output" "$(printf '[%.0s' {1..16})1$(printf ']%.0s' {1..16})" "16 levels"
    # shellcheck disable=SC2154 # set by bats' run --separate-stderr
    expect_eq "$stderr" "" "stderr at 16 levels"
    run --separate-stderr "$BATS_TEST_TMPDIR/writer" nest 17
    assert_status 134 # SIGABRT
    expect_eq "$stderr" "slotnet: test: internal error: JSON output nests deeper than MAX_DEPTH (out.c)" \
        "stderr at 17 levels"
    # A document is written whole or not at all: none of it reached stdout.
    expect_eq "$output" "" "stdout at 17 levels"
}

@test "the JSON writer stops with a message when closing more than was opened" {
    build_writer
    run --separate-stderr "$BATS_TEST_TMPDIR/writer" close
    assert_status 134 # SIGABRT
    expect_eq "$stderr" "slotnet: test: internal error: JSON output closes more than it opened" "stderr"
    expect_eq "$output" "" "stdout: none of the broken document"
}
