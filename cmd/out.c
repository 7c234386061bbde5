// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A small JSON writer under the text/JSON print calls of out.h. */
#include "out.h"
#include "slotnet.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#define MAX_DEPTH 16

static struct {
	int depth;
	bool first[MAX_DEPTH]; /* no element written yet at this depth */
} jw = { .first = { true } };

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The separator and key before a value. */
static void json_member(const char *key)
{
	if (!jw.first[jw.depth])
		putchar(',');
	jw.first[jw.depth] = false;
	if (key) {
		json_string(key);
		putchar(':');
	}
}

static void json_open(const char *key, char bracket)
{
	json_member(key);
	putchar(bracket);
	if (jw.depth + 1 < MAX_DEPTH)
		jw.first[++jw.depth] = true;
}

static void json_close(char bracket)
{
	putchar(bracket);
	if (jw.depth > 0)
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

void out_u64(const char *key, const char *fmt, uint64_t v)
{
	if (g.json) {
		json_member(key);
		printf("%" PRIu64, v);
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
		fputs(v ? "true" : "false", stdout);
	} else if (fmt) {
		printf(fmt, v ? "yes" : "no");
	}
}

void out_null(const char *key, const char *fmt, const char *placeholder)
{
	if (g.json) {
		json_member(key);
		fputs("null", stdout);
	} else if (fmt) {
		printf(fmt, placeholder);
	}
}

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
		putchar('\n');
		/* The next document (a batch's next command) starts afresh. */
		jw.depth = 0;
		jw.first[0] = true;
	}
	fflush(stdout);
}
