// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of cmd/out.c: JSON string escaping (every control character,
 * quote, backslash, valid UTF-8 passed through, every other byte as
 * \u00XX), separators, nesting, null/bool/u64, a document after another,
 * text mode, and the stops on a broken shape.  stdout is caught in a
 * temporary file.  Output is TAP for tests/run.sh.
 */
#include "out.h"
#include "slotnet.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "capture.h"
#include "tap.h"

/* ---- link-time stubs for what cmd/main.c defines ---- */

struct globals g;

/* The message goes to stderr as main.c's would, for the abort tests to read. */
int sn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("slotnet: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

void sn_info(const char *fmt, ...)
{
	(void)fmt;
}

void sn_debug(const char *fmt, ...)
{
	(void)fmt;
}

/* One JSON string value as out_str prints it at top level. */
static const char *json_of(const char *s)
{
	g.json = true;
	capture_start();
	out_str(NULL, NULL, s);
	out_end();
	return capture_end();
}

static void test_controls(void)
{
	char in[2] = { 0 }, want[16], desc[64];
	const char *got;
	int bad = 0;

	for (int c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		if (c == '\n')
			snprintf(want, sizeof(want), "\"\\n\"\n");
		else if (c == '\t')
			snprintf(want, sizeof(want), "\"\\t\"\n");
		else if (c == '\r')
			snprintf(want, sizeof(want), "\"\\r\"\n");
		else
			snprintf(want, sizeof(want), "\"\\u%04x\"\n", c);
		got = json_of(in);
		snprintf(desc, sizeof(desc), "control character 0x%02x escaped", c);
		check(!strcmp(got, want), desc, "got '%s' want '%s'", got, want);
		bad += !!strcmp(got, want);
	}
	got = json_of("\x7f");
	check(!strcmp(got, "\"\\u007f\"\n"), "DEL 0x7f escaped as \\u007f", "got '%s'", got);
	got = json_of("a\0b");
	check(!strcmp(got, "\"a\"\n"), "0x00 ends the string (C strings hold none)", "got '%s'", got);
	got = json_of("");
	check(!strcmp(got, "\"\"\n"), "the empty string", "got '%s'", got);
	got = json_of("say \"hi\" \\ C:\\dir\\");
	check(!strcmp(got, "\"say \\\"hi\\\" \\\\ C:\\\\dir\\\\\"\n"), "quote and backslash escaped",
	      "got '%s'", got);
	got = json_of(" ~/slotnet-0_9");
	check(!strcmp(got, "\" ~/slotnet-0_9\"\n"), "printable ASCII passed through, '/' too",
	      "got '%s'", got);
}

static const struct {
	const char *desc, *in, *json;
} utf8[] = {
	{ "2-byte U+00E9 passed through", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "lowest 2-byte U+0080", "\xc2\x80", "\xc2\x80" },
	{ "3-byte U+20AC passed through", "\xe2\x82\xac", "\xe2\x82\xac" },
	{ "lowest 3-byte U+0800", "\xe0\xa0\x80", "\xe0\xa0\x80" },
	{ "U+D7FF, last before the surrogates", "\xed\x9f\xbf", "\xed\x9f\xbf" },
	{ "U+E000, first after the surrogates", "\xee\x80\x80", "\xee\x80\x80" },
	{ "4-byte U+1F600 passed through", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	{ "U+10FFFF, the last code point", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
	{ "overlong C0 80 as two bytes", "\xc0\x80", "\\u00c0\\u0080" },
	{ "overlong C1 BF as two bytes", "\xc1\xbf", "\\u00c1\\u00bf" },
	{ "overlong E0 9F BF as three bytes", "\xe0\x9f\xbf", "\\u00e0\\u009f\\u00bf" },
	{ "overlong F0 8F BF BF as four bytes", "\xf0\x8f\xbf\xbf",
	  "\\u00f0\\u008f\\u00bf\\u00bf" },
	{ "surrogate ED A0 80 as three bytes", "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080" },
	{ "past U+10FFFF: F4 90 80 80", "\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080" },
	{ "F5 and FF never start a sequence", "\xf5\xff", "\\u00f5\\u00ff" },
	{ "a lone continuation byte", "a\x80z", "a\\u0080z" },
	{ "a sequence cut short by the end", "x\xe2\x82", "x\\u00e2\\u0082" },
	{ "a 2-byte lead at the very end", "\xc3", "\\u00c3" },
	{ "a sequence cut short by ASCII", "\xf0\x9f\x98!", "\\u00f0\\u009f\\u0098!" },
	{ "a sequence cut short by a quote", "\xc3\"", "\\u00c3\\\"" },
	{ "valid after invalid", "\xff\xc3\xa9", "\\u00ff\xc3\xa9" },
};

static void test_utf8(void)
{
	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
		char want[128];
		const char *got = json_of(utf8[i].in);

		snprintf(want, sizeof(want), "\"%s\"\n", utf8[i].json);
		check(!strcmp(got, want), utf8[i].desc, "got '%s' want '%s'", got, want);
	}
}

/* A document with every kind of value, printed in JSON or text mode. */
static const char *document(bool json)
{
	g.json = json;
	capture_start();
	out_obj_open(NULL);
	out_text("Slots\n");
	out_u64("nslots", "slots: %" PRIu64 "\n", 3);
	out_u64("max", "max: %" PRIu64 "\n", UINT64_MAX);
	out_u64("zero", NULL, 0);
	out_str("prefix", "prefix: %s\n", "sn\t\"x\"");
	out_bool("ready", "ready: %s\n", true);
	out_bool("bound", "bound: %s\n", false);
	out_null("remote", "remote: %s\n", "-");
	out_null("quiet", NULL, "never");
	out_arr_open("slots");
	for (int i = 0; i < 2; i++) {
		out_obj_open(NULL);
		out_u64("slot", "  slot %" PRIu64, (uint64_t)i);
		out_arr_open("vnis");
		out_u64(NULL, " vni %" PRIu64, 10 + (uint64_t)i);
		out_u64(NULL, " %" PRIu64, 20 + (uint64_t)i);
		out_arr_close();
		out_text("\n");
		out_obj_close();
	}
	out_arr_close();
	out_arr_open("empty");
	out_arr_close();
	out_obj_open("none");
	out_obj_close();
	out_arr_open("mixed");
	out_str(NULL, NULL, "a");
	out_null(NULL, NULL, NULL);
	out_bool(NULL, NULL, true);
	out_arr_open(NULL);
	out_arr_close();
	out_obj_open(NULL);
	out_obj_close();
	out_arr_close();
	out_obj_close();
	out_end();
	return capture_end();
}

static void test_document(void)
{
	const char *got = document(true);
	char first[CAPTURE_MAX];

	snprintf(first, sizeof(first), "%s", got);
	check(!strcmp(got, "{\"nslots\":3,\"max\":18446744073709551615,\"zero\":0,"
			   "\"prefix\":\"sn\\t\\\"x\\\"\",\"ready\":true,\"bound\":false,"
			   "\"remote\":null,\"quiet\":null,"
			   "\"slots\":[{\"slot\":0,\"vnis\":[10,20]},{\"slot\":1,\"vnis\":[11,21]}],"
			   "\"empty\":[],\"none\":{},\"mixed\":[\"a\",null,true,[],{}]}\n"),
	      "JSON: separators, nesting, empty containers, null/bool/u64, text left out",
	      "got '%s'", got);
	got = document(true);
	check(!strcmp(got, first),
	      "a second document after out_end starts afresh (no leading comma)", "got '%s'", got);
	got = document(false);
	check(!strcmp(got, "Slots\nslots: 3\nmax: 18446744073709551615\nprefix: sn\t\"x\"\n"
			   "ready: yes\nbound: no\nremote: -\n"
			   "  slot 0 vni 10 20\n  slot 1 vni 11 21\n"),
	      "text: the formats alone, yes/no, the placeholder, NULL formats print nothing",
	      "got '%s'", got);

	g.json = true;
	capture_start();
	out_u64(NULL, NULL, 1);
	out_end();
	out_arr_open(NULL);
	out_arr_close();
	out_end();
	got = capture_end();
	check(!strcmp(got, "1\n[]\n"), "top-level scalar, then a top-level array", "got '%s'", got);
}

/* Everything until end of file, NUL-terminated (unbuffered stderr comes in pieces). */
static void read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* Runs FN in a child; true when it aborted, having printed WANT_OUT and WANT_ERR. */
static bool aborts(void (*fn)(void), const char *want_out, const char *want_err, char *why,
		   size_t len)
{
	int out[2], err[2], status;
	char o[512] = "", e[512] = "";
	pid_t pid;

	fflush(stdout);
	if (pipe(out) < 0 || pipe(err) < 0 || (pid = fork()) < 0) {
		snprintf(why, len, "pipe/fork failed");
		return false;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		signal(SIGABRT, SIG_DFL);
		g.json = true;
		fn();
		fflush(stdout);
		_exit(0);
	}
	close(out[1]);
	close(err[1]);
	read_all(out[0], o, sizeof(o));
	read_all(err[0], e, sizeof(e));
	close(out[0]);
	close(err[0]);
	waitpid(pid, &status, 0);
	snprintf(why, len, "status 0x%x stdout '%s' stderr '%s'", status, o, e);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && !strcmp(o, want_out) &&
	       !strcmp(e, want_err);
}

static void close_unopened(void)
{
	out_arr_open(NULL);
	out_arr_close();
	out_obj_close();
}

static void nest_17(void)
{
	for (int i = 0; i < 17; i++)
		out_arr_open(NULL);
}

static void nest_16(void)
{
	for (int i = 0; i < 16; i++)
		out_arr_open(NULL);
	for (int i = 0; i < 16; i++)
		out_arr_close();
	out_end();
}

static void test_broken(void)
{
	char why[1200];

	check(aborts(close_unopened, "",
		     "slotnet: internal error: JSON output closes more than it opened\n", why,
		     sizeof(why)),
	      "closing what was never opened: the message, then abort, nothing written", "%s",
	      why);
	check(aborts(nest_17, "",
		     "slotnet: internal error: JSON output nests deeper than MAX_DEPTH (out.c)\n",
		     why, sizeof(why)),
	      "a 17th level: the message, then abort, nothing of the document written", "%s", why);
	check(!aborts(nest_16, "", "", why, sizeof(why)) &&
		      strstr(why, "status 0x0 stdout '[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]\n' stderr ''"),
	      "16 levels are allowed", "%s", why);
}

/* What one command writes under -j: its document opened with A=1, ended or not, and CODE. */
static const char *command_output(bool json, bool ended, int code)
{
	g.json = json;
	g.cmd = "bind";
	capture_start();
	out_command_begin();
	out_obj_open(NULL);
	out_u64("a", "a %lu\n", 1);
	if (ended) {
		out_obj_close();
		out_end();
	}
	out_note_error("slot '9': no such slot");
	out_note_error("second");
	out_command_end(code);
	return capture_end();
}

static void test_errors(void)
{
	const char *got = command_output(true, false, 2);

	check(!strcmp(got, "{\"error\":{\"message\":\"slot '9': no such slot\",\"exit_code\":2,"
			   "\"command\":\"bind\",\"messages\":[\"slot '9': no such slot\","
			   "\"second\"]}}\n"),
	      "a command failing half-way writes its error document, not the half", "got '%s'", got);
	got = command_output(true, true, 1);
	check(!strcmp(got, "{\"a\":1}\n"),
	      "a command failing after its whole document writes no error document", "got '%s'",
	      got);
	got = command_output(true, true, 0);
	check(!strcmp(got, "{\"a\":1}\n"), "a command that succeeds: its document alone",
	      "got '%s'", got);
	got = command_output(false, true, 2);
	check(!strcmp(got, "a 1\n"), "without -j no error document (messages go to stderr)",
	      "got '%s'", got);
	g.line = 4;
	got = command_output(true, false, 3);
	g.line = 0;
	check(strstr(got, "\"exit_code\":3,\"command\":\"bind\",\"line\":4,") != NULL,
	      "a batch line's error document names the line", "got '%s'", got);
	g.cmd = NULL;
}

int main(void)
{
	test_controls();
	test_utf8();
	test_document();
	test_errors();
	test_broken();
	return tap_done();
}
