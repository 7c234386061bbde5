// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A small JSON writer under the text/JSON print calls of out.h. */
#include "out.h"
#include "slotnet.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Objects and arrays open at once: more than any document has. */
#define MAX_DEPTH 16
/* Error messages one command keeps for its JSON error document. */
#define MAX_ERRORS 16

/*
 * A JSON document is built in memory and written whole by out_end: a
 * command that fails half-way through one prints its error document
 * instead, never a truncated value.
 */
static struct {
	int depth;
	bool first[MAX_DEPTH + 1]; /* no element written yet at this depth (0: top) */
	FILE *f;                   /* the document so far (open_memstream) */
	char *buf;
	size_t len;
	unsigned docs;             /* documents written */
	unsigned docs_before;      /* ... when the running command began */
	char *errors[MAX_ERRORS];  /* the running command's error messages */
	unsigned nerrors;
} jw = { .first = { true } };

/* Where the document goes: memory, or stdout straight if memory ran out. */
static FILE *json_file(void)
{
	if (!jw.f)
		jw.f = open_memstream(&jw.buf, &jw.len);
	return jw.f ? jw.f : stdout;
}

static void json_reset(void)
{
	if (jw.f)
		fclose(jw.f);
	free(jw.buf);
	jw.f = NULL;
	jw.buf = NULL;
	jw.len = 0;
	jw.depth = 0;
	jw.first[0] = true;
}

/*
 * The length of the well-formed UTF-8 sequence at s (RFC 3629: shortest
 * form, no surrogates, nothing past U+10FFFF), or 0 when there is none.
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte is what rules out overlong forms, surrogates and > U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Strings come from the system (paths, names) and need not be UTF-8, but
 * JSON must be: each byte that is not part of a well-formed sequence is
 * written as the code point of the same value, \u0080..\u00ff.
 */
static void json_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	FILE *f = json_file();

	putc('"', f);
	while (*s) {
		int n = utf8_len(s);

		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\r')
			fputs("\\r", f);
		else if (*s < 0x20 || *s == 0x7f || !n)
			fprintf(f, "\\u%04x", *s);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
	}
	putc('"', f);
}

/* The separator and key before a value. */
static void json_member(const char *key)
{
	if (!jw.first[jw.depth])
		putc(',', json_file());
	jw.first[jw.depth] = false;
	if (key) {
		json_string(key);
		putc(':', json_file());
	}
}

/*
 * Every document's shape is fixed by the code that prints it, so nesting
 * too deep, or closing what was never opened, is a bug in slotnet: stop
 * before printing JSON whose brackets do not match.  Returning an error
 * instead would make every out_* call one to check, for no input that
 * could ever cause it.
 */
static void json_broken(const char *what)
{
	fflush(stdout);
	sn_err(EXIT_FAILED, "internal error: JSON output %s", what);
	abort();
}

static void json_open(const char *key, char bracket)
{
	if (jw.depth == MAX_DEPTH)
		json_broken("nests deeper than MAX_DEPTH (out.c)");
	json_member(key);
	putc(bracket, json_file());
	jw.first[++jw.depth] = true;
}

static void json_close(char bracket)
{
	if (jw.depth == 0)
		json_broken("closes more than it opened");
	putc(bracket, json_file());
	jw.depth--;
}

void out_obj_open(const char *key)
{
	if (g.json)
		json_open(key, '{');
}

void out_obj_close(void)
{
	if (g.json)
		json_close('}');
}

void out_arr_open(const char *key)
{
	if (g.json)
		json_open(key, '[');
}

void out_arr_close(void)
{
	if (g.json)
		json_close(']');
}

/*
 * The text formats are the callers' string literals, one conversion for the one
 * value (as iproute2's print_uint does); -Wformat-nonliteral cannot see them.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void out_u64(const char *key, const char *fmt, uint64_t v)
{
	if (g.json) {
		json_member(key);
		fprintf(json_file(), "%" PRIu64, v);
	} else if (fmt) {
		printf(fmt, v);
	}
}

void out_str(const char *key, const char *fmt, const char *v)
{
	if (g.json) {
		json_member(key);
		json_string(v);
	} else if (fmt) {
		printf(fmt, v);
	}
}

void out_bool(const char *key, const char *fmt, bool v)
{
	if (g.json) {
		json_member(key);
		fputs(v ? "true" : "false", json_file());
	} else if (fmt) {
		printf(fmt, v ? "yes" : "no");
	}
}

void out_null(const char *key, const char *fmt, const char *placeholder)
{
	if (g.json) {
		json_member(key);
		fputs("null", json_file());
	} else if (fmt) {
		printf(fmt, placeholder);
	}
}
#pragma GCC diagnostic pop

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (g.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_end(void)
{
	if (g.json) {
		if (jw.f && fflush(jw.f) == 0)
			fwrite(jw.buf, 1, jw.len, stdout);
		putchar('\n');
		/* The next document (a batch's next command) starts afresh. */
		json_reset();
		jw.docs++;
	}
	fflush(stdout);
}

/* Workers (prewarm's lanes, check's) report errors from their threads. */
static pthread_mutex_t errors_lock = PTHREAD_MUTEX_INITIALIZER;

void out_note_error(const char *msg)
{
	if (!g.json)
		return;
	pthread_mutex_lock(&errors_lock);
	if (jw.nerrors < MAX_ERRORS)
		jw.errors[jw.nerrors++] = strdup(msg);
	pthread_mutex_unlock(&errors_lock);
}

static void forget_errors(void)
{
	while (jw.nerrors)
		free(jw.errors[--jw.nerrors]);
}

void out_command_begin(void)
{
	jw.docs_before = jw.docs;
	forget_errors();
}

/*
 * bpftool's convention under -j: a failure is a JSON document too, so that
 * a script reads one document on stdout whatever happened.  A command that
 * failed after writing its whole document (check, rules --check: the
 * differences are the document) adds none.
 */
int out_command_end(int code)
{
	if (g.json && code && jw.docs == jw.docs_before) {
		json_reset();
		out_obj_open(NULL);
		out_obj_open("error");
		out_str("message", NULL, jw.nerrors ? jw.errors[0] : "failed");
		out_u64("exit_code", NULL, (uint64_t)code);
		if (g.cmd)
			out_str("command", NULL, g.cmd);
		if (g.line)
			out_u64("line", NULL, g.line);
		out_arr_open("messages");
		for (unsigned i = 0; i < jw.nerrors; i++)
			out_str(NULL, NULL, jw.errors[i]);
		out_arr_close();
		out_obj_close();
		out_obj_close();
		out_end();
	}
	out_command_begin();
	return code;
}
