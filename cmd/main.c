// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * slotnet: network slots for micro-VMs.  Global options, the command table
 * and multi-call dispatch (a link named slotnet-dump runs "slotnet dump").
 */
#include "slotnet.h"
#include "slotnet_abi.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct globals g;

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "prewarm", do_prewarm, "create (or complete) every slot and pin the maps" },
	{ "dump", do_dump, "show slots, bindings and counters" },
	{ "teardown", do_teardown, "remove everything prewarm made" },
	{ 0 },
};

static void vreport(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "slotnet: %s%s", g.cmd ? g.cmd : "", g.cmd ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int sn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return code;
}

void sn_info(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet)
		return;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

void sn_debug(const char *fmt, ...)
{
	va_list ap;

	if (!g.verbose)
		return;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: slotnet [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Global options:\n"
		"  -j, --json          machine-readable output\n"
		"  --pin-dir DIR       where the state is pinned (default $SLOTNET_PIN_DIR or %s)\n"
		"  -q, --quiet         no progress or information on stderr\n"
		"  -v, --verbose       timings and detail on stderr\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this help\n"
		"\nCommands:\n", SLOTNET_DEFAULT_PIN_DIR);
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'slotnet COMMAND -h' explains a command; see also slotnet(8).\n");
}

static const struct cmd *find_cmd(const char *name)
{
	for (const struct cmd *c = cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/*
 * Returns the index of the first argument that is not a global option, or -1
 * to exit.  Called as slotnet-CMD (multicall), the first option that is not a
 * global one, -h included, starts the command's own.
 */
static int parse_globals(int argc, char **argv, bool multicall, int *exit_code)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			g.json = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g.quiet = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			g.verbose++;
		} else if (!strcmp(a, "--pin-dir")) {
			if (i + 1 >= argc) {
				*exit_code = sn_err(EXIT_USAGE, "--pin-dir needs a value (DIR)");
				return -1;
			}
			g.pin_dir = argv[++i];
		} else if (!strncmp(a, "--pin-dir=", 10)) {
			g.pin_dir = a + 10;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("slotnet %s (map ABI %d)\n", SLOTNET_VERSION, SLOTNET_ABI_VERSION);
			*exit_code = EXIT_DONE;
			return -1;
		} else if (multicall) {
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			*exit_code = EXIT_DONE;
			return -1;
		} else {
			*exit_code = sn_err(EXIT_USAGE, "unknown global option '%s' (see 'slotnet -h')", a);
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	const char *self = basename(argv[0]);
	const struct cmd *c = NULL;
	int first, code = EXIT_DONE;

	g.pin_dir = getenv("SLOTNET_PIN_DIR");
	if (!g.pin_dir || !*g.pin_dir)
		g.pin_dir = SLOTNET_DEFAULT_PIN_DIR;

	/* Multi-call: slotnet-CMD runs CMD, its arguments all the command's own. */
	if (!strncmp(self, "slotnet-", 8)) {
		c = find_cmd(self + 8);
		if (!c)
			return sn_err(EXIT_USAGE, "unknown command '%s'", self + 8);
		g.cmd = c->name;
		first = parse_globals(argc, argv, true, &code);
		if (first < 0)
			return code;
		/* The command sees its name where the globals were. */
		argv[first - 1] = (char *)c->name;
		return c->func(argc - first + 1, argv + first - 1);
	}

	first = parse_globals(argc, argv, false, &code);
	if (first < 0)
		return code;
	if (first >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[first]);
	if (!c)
		return sn_err(EXIT_USAGE, "unknown command '%s' (see 'slotnet -h')", argv[first]);
	g.cmd = c->name;
	return c->func(argc - first, argv + first);
}
