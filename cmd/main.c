// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * slotnet: network slots for micro-VMs.  Global options, the command table
 * and multi-call dispatch (a link named slotnet-dump runs "slotnet dump").
 */
#include "lock.h"
#include "out.h"
#include "slotnet.h"
#include "slotnet_abi.h"
#include "state.h"
#include "slotnet.skel.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

struct globals g;

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *summary;
	bool in_batch;      /* may run in batch mode (leaves the pinned configuration alone) */
	bool many_steps;    /* changes much, over a long run: must not die half-way of a closed pipe */
};

/* Batch mode: the file (or "-") and whether to go on past a failed line. */
static const char *batch_file;
static bool keep_going;

#define BATCH_MAX_WORDS 64
/* run_command's answer when the globals asked for a batch: not an exit code. */
#define BATCH_RAN (-1)

static const struct cmd cmds[] = {
	{ "prewarm", do_prewarm, "create (or complete) every slot and pin the maps", false, true },
	{ "bind", do_bind, "bind a slot (or any free one) to a tenant's VNI", true, false },
	{ "unbind", do_unbind, "release a slot and scrub it for the next tenant", true, false },
	{ "dump", do_dump, "show slots, bindings and counters", true, false },
	{ "check", do_check, "compare the kernel's state with what prewarm made", false, false },
	{ "rules", do_rules, "print, install or check the root and slot firewall rules", false, true },
	{ "teardown", do_teardown, "remove everything prewarm made", false, true },
	{ 0 },
};

/*
 * One write per message, so that messages of concurrent slotnet processes
 * never interleave; an error's is also kept for the JSON error document.
 */
static void vreport(bool error, const char *fmt, va_list ap)
{
	char line[1024];
	int n = 0, text;

	fflush(stdout);
	n += snprintf(line, sizeof(line), "slotnet: ");
	if (g.line)
		n += snprintf(line + n, sizeof(line) - n, "batch line %u: ", g.line);
	if (g.cmd)
		n += snprintf(line + n, sizeof(line) - n, "%s: ", g.cmd);
	text = n < (int)sizeof(line) ? n : (int)sizeof(line) - 1;
	if (n < (int)sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n] = '\0';
	if (error)
		out_note_error(line + text);
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr);
}

int sn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(true, fmt, ap);
	va_end(ap);
	return code;
}

void sn_info(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet)
		return;
	va_start(ap, fmt);
	vreport(false, fmt, ap);
	va_end(ap);
}

void sn_debug(const char *fmt, ...)
{
	va_list ap;

	if (!g.verbose)
		return;
	va_start(ap, fmt);
	vreport(false, fmt, ap);
	va_end(ap);
}

void sn_progress(unsigned done, unsigned total)
{
	if (g.quiet || !total || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\rslotnet: %s: %u/%u slots%s", g.cmd ? g.cmd : "", done, total,
		done >= total ? "\n" : "");
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
		"  --no-wait           fail (exit 1) instead of waiting for a locked pin directory\n"
		"  -v, --verbose       timings and detail on stderr\n"
		"  -b, --batch FILE    run the commands in FILE ('-': stdin), one per line\n"
		"  -k, --keep-going    in a batch, go on after a failed line\n"
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
/*
 * The version, the map ABI and the programs' tags.  A tag is the kernel's
 * hash of the instructions as loaded (after libbpf's relocations), so it is
 * known only by loading the object, which takes root.
 */
static int show_version(void)
{
	struct slotnet_bpf *skel = NULL;
	char tag[PROG_TAG_LEN];

	out_obj_open(NULL);
	out_str("version", "slotnet %s", SLOTNET_VERSION);
	out_u64("abi_version", " (map ABI %lu)\n", SLOTNET_ABI_VERSION);
	if (geteuid() == 0)
		skel = state_load(NULL, SLOTNET_MIN_MAX_SLOTS);
	out_obj_open("tags");
	if (!skel) {
		out_text("programs' tags: known once loaded (run as root)\n");
	} else {
		if (!prog_tag(bpf_program__fd(skel->progs.from_slot), tag))
			out_str("from_slot", "from_slot tag %s\n", tag);
		if (!prog_tag(bpf_program__fd(skel->progs.to_slot), tag))
			out_str("to_slot", "to_slot tag %s\n", tag);
		slotnet_bpf__destroy(skel);
	}
	out_obj_close();
	out_obj_close();
	out_end();
	return EXIT_DONE;
}

static int parse_globals(int argc, char **argv, bool multicall, int *exit_code)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			g.json = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g.quiet = true;
		} else if (!strcmp(a, "--no-wait")) {
			g.no_wait = true;
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
		} else if (!multicall && (!strcmp(a, "-b") || !strcmp(a, "--batch"))) {
			if (i + 1 >= argc) {
				*exit_code = sn_err(EXIT_USAGE, "%s needs a value (FILE, or - for stdin)", a);
				return -1;
			}
			batch_file = argv[++i];
		} else if (!multicall && !strncmp(a, "--batch=", 8)) {
			batch_file = a + 8;
		} else if (!multicall && (!strcmp(a, "-k") || !strcmp(a, "--keep-going"))) {
			keep_going = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			*exit_code = show_version();
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

/* Splits LINE in place into words separated by blanks; the count, or -1 when too many. */
static int split_words(char *line, char **words)
{
	int n = 0;

	for (char *w = strtok(line, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		if (n == BATCH_MAX_WORDS)
			return -1;
		words[n++] = w;
	}
	return n;
}

static int run_line(char *line)
{
	char *words[BATCH_MAX_WORDS + 1];
	const struct cmd *c;
	int n = split_words(line, words);

	if (n < 0)
		return sn_err(EXIT_USAGE, "more than %d words", BATCH_MAX_WORDS);
	words[n] = NULL;
	c = find_cmd(words[0]);
	if (!c)
		return sn_err(EXIT_USAGE, "unknown command '%s'", words[0]);
	if (!c->in_batch)
		return sn_err(EXIT_USAGE, "'%s' cannot run in a batch (bind, unbind and dump can)",
			      c->name);
	g.cmd = c->name;
	return c->func(n, words);
}

/* One batch line, under -j one document: its output or its error. */
static int run_line_once(char *line, size_t len)
{
	int code;

	out_command_begin();
	/* A NUL would silently cut the line short (dropping a --force, say). */
	code = strlen(line) != len ? sn_err(EXIT_USAGE, "holds a NUL byte") : run_line(line);
	code = out_command_end(code);
	g.cmd = NULL;
	return code;
}

static bool is_blank_or_comment(const char *line)
{
	line += strspn(line, " \t\r\n");
	return !*line || *line == '#';
}

/*
 * Like ip -batch: one command per line, the pinned state opened once for
 * all of them.  Stops at the first failed line unless told to keep going;
 * the exit code is the first failed line's.
 */
static int run_batch(void)
{
	FILE *f = strcmp(batch_file, "-") ? fopen(batch_file, "r") : stdin;
	unsigned ran = 0, failed = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int first = EXIT_DONE;

	if (!f)
		return out_command_end(sn_err(EXIT_USAGE, "batch file '%s': %s", batch_file,
					      strerror(errno)));
	while ((len = getline(&line, &cap, f)) > 0) {
		int code;

		g.line++;
		if (is_blank_or_comment(line) && strlen(line) == (size_t)len)
			continue;
		ran++;
		code = run_line_once(line, (size_t)len);
		if (code == EXIT_DONE)
			continue;
		failed++;
		if (first == EXIT_DONE)
			first = code;
		if (!keep_going)
			break;
	}
	g.line = 0;
	g.cmd = "batch";
	out_command_begin();
	if (ferror(f) && first == EXIT_DONE)
		first = out_command_end(sn_err(EXIT_FAILED, "reading '%s': %s", batch_file,
					       strerror(errno)));
	if (failed && keep_going)
		out_command_end(sn_err(first, "%u of %u commands failed", failed, ran));
	free(line);
	if (f != stdin)
		fclose(f);
	return first;
}

double sn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* -v: how long the command took inside this process, start-up excluded. */
/*
 * A reader of stdout or stderr that goes away (or a child that exits early)
 * gets EPIPE reported instead of stopping prewarm, rules or teardown
 * half-way; bind, unbind and dump print last, after their one change, and
 * spare bind the system call.
 */
static void run_to_the_end(const struct cmd *c)
{
	if (c->many_steps)
		signal(SIGPIPE, SIG_IGN);
}

/*
 * Output that never reached its reader (a full disk, a closed pipe) fails
 * the command, as coreutils' do: a script must not take a lost table or
 * JSON document for an empty one.
 */
static int finish(int code, double start)
{
	if ((fflush(stdout) == EOF || ferror(stdout)) && !code)
		code = sn_err(EXIT_FAILED, "writing the output: %s", strerror(errno));
	lock_forget_unused();
	sn_debug("took %.0f us", (sn_now_ms() - start) * 1e3);
	return code;
}

/* The command line's command (not a batch's); its exit code. */
static int run_command(int argc, char **argv)
{
	const char *self = basename(argv[0]);
	const struct cmd *c = NULL;
	int first, code = EXIT_DONE;

	/* Multi-call: slotnet-CMD runs CMD, its arguments all the command's own. */
	if (!strncmp(self, "slotnet-", 8)) {
		c = find_cmd(self + 8);
		if (!c)
			return sn_err(EXIT_USAGE, "unknown command '%s'", self + 8);
		g.cmd = c->name;
		first = parse_globals(argc, argv, true, &code);
		if (first < 0)
			return code;
		if ((code = pin_dir_normalize(&g.pin_dir)))
			return code;
		run_to_the_end(c);
		/* The command sees its name where the globals were. */
		argv[first - 1] = (char *)c->name;
		return c->func(argc - first + 1, argv + first - 1);
	}

	first = parse_globals(argc, argv, false, &code);
	if (first < 0)
		return code;
	if (batch_file) {
		if (first < argc)
			return sn_err(EXIT_USAGE, "a batch takes its commands from '%s', not from "
				      "arguments ('%s')", batch_file, argv[first]);
		if ((code = pin_dir_normalize(&g.pin_dir)))
			return code;
		return BATCH_RAN;
	}
	if (first >= argc) {
		usage(stderr);
		return sn_err(EXIT_USAGE, "no command given (see 'slotnet -h')");
	}
	c = find_cmd(argv[first]);
	if (!c)
		return sn_err(EXIT_USAGE, "unknown command '%s' (see 'slotnet -h')", argv[first]);
	g.cmd = c->name;
	if ((code = pin_dir_normalize(&g.pin_dir)))
		return code;
	run_to_the_end(c);
	return c->func(argc - first, argv + first);
}

int main(int argc, char **argv)
{
	double start = sn_now_ms();
	int code;

	g.pin_dir = getenv("SLOTNET_PIN_DIR");
	if (!g.pin_dir || !*g.pin_dir)
		g.pin_dir = SLOTNET_DEFAULT_PIN_DIR;
	out_command_begin();
	code = run_command(argc, argv);
	/* A batch writes each line's document, and its own errors', itself. */
	code = code == BATCH_RAN ? run_batch() : out_command_end(code);
	return finish(code, start);
}
