// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of cmd/opts.c: every option type in its three spellings,
 * bounds, unknown options, missing values, "--", positional arguments and
 * max_args, -h, and the help printed from the same table.  The messages
 * are the ones sn_err would print (caught by the stub below).  Output is
 * TAP for tests/run.sh.
 */
#include "opts.h"
#include "slotnet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "capture.h"
#include "tap.h"

/* ---- link-time stubs for what cmd/main.c defines ---- */

struct globals g;
static char last_err[512];
static int nerrs;

int sn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	nerrs++;
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

/* ---- a subcommand with one option of every type ---- */

struct test_opts {
	struct opt_flag force;
	struct opt_u32 slots;
	struct opt_str name;
	struct opt_ipv4 remote;
	struct opt_cidr outside;
	struct opt_enum tunnel;
	struct opt_mac mac;
};

static const char *const tunnels[] = { "vxlan", "geneve", NULL };

static const struct opt_def defs[] = {
	OPT("force", 'f', OPT_FLAG, struct test_opts, force, NULL, "do it anyway"),
	OPT("slots", 's', OPT_U32, struct test_opts, slots, "N", "how many slots",
	    .min = 1, .max = 16384),
	OPT("name", 'n', OPT_STR, struct test_opts, name, "NAME", "a name"),
	OPT("remote", 'r', OPT_IPV4, struct test_opts, remote, "ADDR", "the tunnel remote"),
	OPT("outside", 0, OPT_CIDR, struct test_opts, outside, "CIDR", "the outside range"),
	OPT("tunnel", 't', OPT_ENUM, struct test_opts, tunnel, "vxlan|geneve", "tunnel kind",
	    .choices = tunnels),
	OPT("vm-mac", 0, OPT_MAC, struct test_opts, mac, "MAC", "the VM's MAC"),
	{ 0 },
};

static const struct cmd_spec spec = {
	.name = "demo",
	.args = "[SLOT...]",
	.summary = "a subcommand for the tests",
	.opts = defs,
	.max_args = 2,
};

#define MAX_ARGV 16

/* One parse of the words of LINE (after the subcommand's name), in a fresh struct. */
struct run {
	int ret;
	struct test_opts o;
	char **args;
	int nargs;
	char *argv[MAX_ARGV];
	char words[256];
	char err[512];
	int nerrs;
	char out[CAPTURE_MAX]; /* what was printed on stdout */
};

static struct run *parse(const char *line)
{
	static struct run r;
	int argc = 0;

	memset(&r, 0, sizeof(r));
	snprintf(r.words, sizeof(r.words), "%s", line);
	r.argv[argc++] = "demo";
	for (char *w = strtok(r.words, " "); w; w = strtok(NULL, " "))
		r.argv[argc++] = strcmp(w, "''") ? w : (w[0] = '\0', w);
	last_err[0] = '\0';
	nerrs = 0;
	capture_start();
	r.ret = opts_parse(&spec, argc, r.argv, &r.o, &r.args, &r.nargs);
	snprintf(r.out, sizeof(r.out), "%s", capture_end());
	snprintf(r.err, sizeof(r.err), "%s", last_err);
	r.nerrs = nerrs;
	return &r;
}

static bool ok_quietly(const struct run *r)
{
	return r->ret == 0 && r->nerrs == 0 && !r->out[0];
}

static void test_types(void)
{
	struct run *r;
	char x[INET_ADDRSTRLEN];

	r = parse("--force --slots 8 --name sn --remote 192.0.2.1 --outside 100.64.0.0/16 "
		  "--tunnel geneve --vm-mac 06:00:ac:10:00:02");
	check(ok_quietly(r) && r->o.force.set && r->o.slots.set && r->o.slots.v == 8 &&
		      r->o.name.set && !strcmp(r->o.name.v, "sn") && r->o.remote.set &&
		      r->o.remote.be == inet_addr("192.0.2.1") && r->o.outside.set &&
		      r->o.outside.net_be == inet_addr("100.64.0.0") && r->o.outside.plen == 16 &&
		      r->o.tunnel.set && r->o.tunnel.v == 1 && r->o.mac.set &&
		      !memcmp(r->o.mac.mac, "\x06\x00\xac\x10\x00\x02", 6) && r->nargs == 0,
	      "--name value: every type stored, each marked set", "ret %d err '%s' out '%s'",
	      r->ret, r->err, r->out);

	r = parse("--slots=16384 --name=a=b --remote=10.0.0.1 --outside=10.1.0.0/24 --tunnel=vxlan "
		  "--vm-mac=02:00:00:00:00:01");
	check(ok_quietly(r) && r->o.slots.v == 16384 && !strcmp(r->o.name.v, "a=b") &&
		      r->o.remote.be == inet_addr("10.0.0.1") &&
		      r->o.outside.net_be == inet_addr("10.1.0.0") && r->o.outside.plen == 24 &&
		      r->o.tunnel.v == 0 && !memcmp(r->o.mac.mac, "\x02\0\0\0\0\x01", 6) &&
		      !r->o.force.set,
	      "--name=value: every type, the value split at the first '=' only",
	      "ret %d err '%s' name '%s'", r->ret, r->err, r->o.name.v ? r->o.name.v : "(null)");

	r = parse("-f -s 1 -n x -r 198.51.100.7 -t vxlan");
	check(ok_quietly(r) && r->o.force.set && r->o.slots.v == 1 && !strcmp(r->o.name.v, "x") &&
		      r->o.remote.be == inet_addr("198.51.100.7") && r->o.tunnel.set &&
		      r->o.tunnel.v == 0 && !r->o.outside.set && !r->o.mac.set,
	      "-x value: short names, options not given stay unset",
	      "ret %d err '%s' remote %s", r->ret, r->err,
	      inet_ntop(AF_INET, &r->o.remote.be, x, sizeof(x)));

	r = parse("");
	check(ok_quietly(r) && !r->o.force.set && !r->o.slots.set && !r->o.name.set &&
		      !r->o.remote.set && !r->o.outside.set && !r->o.tunnel.set && !r->o.mac.set &&
		      r->nargs == 0 && r->args == r->argv + 1,
	      "no arguments: nothing set, no positional arguments", "ret %d nargs %d", r->ret,
	      r->nargs);

	r = parse("--slots 3 --slots 5");
	check(ok_quietly(r) && r->o.slots.v == 5, "an option given twice: the last one counts",
	      "ret %d v %u", r->ret, r->o.slots.v);
}

/* Refusals: exit code EXIT_USAGE, the one message, nothing on stdout. */
static const struct {
	const char *line;
	const char *err;
} refusals[] = {
	{ "--slots 0", "--slots '0': out of range 1..16384" },
	{ "--slots 16385", "--slots '16385': out of range 1..16384" },
	{ "--slots=4294967296", "--slots '4294967296': out of range 1..16384" },
	{ "-s -1", "--slots '-1': not a decimal number" },
	{ "--slots 8x", "--slots '8x': not a decimal number" },
	{ "--slots ''", "--slots '': not a decimal number" },
	{ "--name ''", "--name '': must not be empty" },
	{ "--name=", "--name '': must not be empty" },
	{ "--remote 10.1", "--remote '10.1': not an IPv4 address" },
	{ "--remote 256.0.0.1", "--remote '256.0.0.1': not an IPv4 address" },
	{ "--outside 10.0.0.0", "--outside '10.0.0.0': not a CIDR (ADDRESS/LENGTH)" },
	{ "--outside 10.0.0.0/33", "--outside '10.0.0.0/33': prefix length must be 0..32" },
	{ "--outside 10.0.0.1/24", "--outside '10.0.0.1/24': host bits set after the prefix length" },
	{ "--tunnel gre", "--tunnel 'gre': unknown; expected vxlan|geneve" },
	{ "--tunnel VXLAN", "--tunnel 'VXLAN': unknown; expected vxlan|geneve" },
	{ "--vm-mac 06:00:ac:10:00", "--vm-mac '06:00:ac:10:00': not a MAC address (xx:xx:xx:xx:xx:xx)" },
	{ "--vm-mac 01:00:5e:00:00:01",
	  "--vm-mac '01:00:5e:00:00:01': a multicast MAC address; a VM sends from a unicast one" },
	{ "--vm-mac 00:00:00:00:00:00", "--vm-mac '00:00:00:00:00:00': the all-zeros MAC address" },
	{ "--bogus", "unknown option '--bogus' (see 'slotnet demo -h')" },
	{ "--bogus=1", "unknown option '--bogus=1' (see 'slotnet demo -h')" },
	{ "--slot 3", "unknown option '--slot' (see 'slotnet demo -h')" },
	{ "--slotsx 3", "unknown option '--slotsx' (see 'slotnet demo -h')" },
	{ "-x", "unknown option '-x' (see 'slotnet demo -h')" },
	{ "-fs 3", "unknown option '-fs' (see 'slotnet demo -h')" },
	{ "-s3", "unknown option '-s3' (see 'slotnet demo -h')" },
	{ "---slots 3", "unknown option '---slots' (see 'slotnet demo -h')" },
	{ "--force=yes", "--force takes no value" },
	{ "--force=", "--force takes no value" },
	{ "--help=yes", "--help takes no value" },
	{ "--slots", "--slots needs a value (N)" },
	{ "--force -t", "--tunnel needs a value (vxlan|geneve)" },
	{ "-r", "--remote needs a value (ADDR)" },
	{ "1 2 3", "unexpected argument '3' (see 'slotnet demo -h')" },
	{ "1 -- 2 3", "unexpected argument '3' (see 'slotnet demo -h')" },
	{ "--slots 0 --bogus", "--slots '0': out of range 1..16384" },
};

static void test_refusals(void)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct run *r = parse(refusals[i].line);
		char desc[256];

		snprintf(desc, sizeof(desc), "'%s' refused: %s", refusals[i].line, refusals[i].err);
		check(r->ret == EXIT_USAGE && r->nerrs == 1 && !strcmp(r->err, refusals[i].err) &&
			      !r->out[0],
		      desc, "ret %d, %d messages, last '%s', stdout '%s'", r->ret, r->nerrs, r->err,
		      r->out);
	}
}

static void test_positional(void)
{
	struct run *r;

	r = parse("7 --force 9");
	check(ok_quietly(r) && r->nargs == 2 && !strcmp(r->args[0], "7") &&
		      !strcmp(r->args[1], "9") && r->o.force.set,
	      "positional arguments around options, kept in order",
	      "ret %d nargs %d", r->ret, r->nargs);

	r = parse("-- --force -s");
	check(ok_quietly(r) && r->nargs == 2 && !strcmp(r->args[0], "--force") &&
		      !strcmp(r->args[1], "-s") && !r->o.force.set,
	      "after --, options are positional arguments", "ret %d nargs %d err '%s'", r->ret,
	      r->nargs, r->err);

	r = parse("- --slots 2");
	check(ok_quietly(r) && r->nargs == 1 && !strcmp(r->args[0], "-") && r->o.slots.v == 2,
	      "a lone '-' is a positional argument", "ret %d nargs %d", r->ret, r->nargs);

	r = parse("--name -- x");
	check(ok_quietly(r) && !strcmp(r->o.name.v, "--") && r->nargs == 1 &&
		      !strcmp(r->args[0], "x"),
	      "-- as an option's value is the value, not the end of options",
	      "ret %d name '%s' nargs %d", r->ret, r->o.name.v ? r->o.name.v : "(null)", r->nargs);

	r = parse("--name -s");
	check(ok_quietly(r) && !strcmp(r->o.name.v, "-s") && !r->o.slots.set,
	      "a value that looks like an option is taken as the value", "ret %d err '%s'",
	      r->ret, r->err);

	r = parse("--");
	check(ok_quietly(r) && r->nargs == 0, "a lone --: no positional arguments",
	      "ret %d nargs %d", r->ret, r->nargs);
}

static void test_zero_args(void)
{
	static const struct cmd_spec none = { .name = "plain", .summary = "s", .opts = defs };
	struct test_opts o = { 0 };
	char *argv[] = { "plain", "--force", "0", NULL };
	char **args;
	int nargs;
	int ret;

	last_err[0] = '\0';
	ret = opts_parse(&none, 3, argv, &o, &args, &nargs);
	check(ret == EXIT_USAGE && !strcmp(last_err, "unexpected argument '0' (see 'slotnet plain -h')"),
	      "max_args 0: any positional argument is refused", "ret %d err '%s'", ret, last_err);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void test_help(void)
{
	static const char *const lines[] = {
		"Usage: slotnet [-j] [--pin-dir DIR] [-q] [-v] demo [OPTIONS] [SLOT...]",
		"a subcommand for the tests",
		"Options:",
		"  -f, --force                  do it anyway",
		"  -s, --slots N                how many slots",
		"  -n, --name NAME              a name",
		"  -r, --remote ADDR            the tunnel remote",
		"      --outside CIDR           the outside range",
		"  -t, --tunnel vxlan|geneve    tunnel kind",
		"      --vm-mac MAC             the VM's MAC",
		"  -h, --help                   show this help",
	};
	static const struct cmd_spec bare = { .name = "bare", .summary = "nothing to set" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct run *r;

	opts_help(&spec, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char desc[160];

		snprintf(desc, sizeof(desc), "help has the line '%s'", lines[i]);
		check(has_line(buf, lines[i]), desc, "help:\n%s", buf);
	}
	check(!strstr(buf, "(null)"), "help: a flag shows no metavar", "help:\n%s", buf);

	r = parse("-h");
	check(r->ret == -1 && r->nerrs == 0 && !strcmp(r->out, buf), "-h: returns -1, the help on stdout",
	      "ret %d out '%s'", r->ret, r->out);
	r = parse("--slots 2 --help 1 2 3");
	check(r->ret == -1 && r->nerrs == 0 && !strcmp(r->out, buf),
	      "--help: the help, whatever follows", "ret %d err '%s'", r->ret, r->err);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	opts_help(&bare, f);
	fclose(f);
	check(!strcmp(buf, "Usage: slotnet [-j] [--pin-dir DIR] [-q] [-v] bare [OPTIONS]\n\n"
			   "nothing to set\n\nOptions:\n"
			   "  -h, --help                   show this help\n"),
	      "help of a command without options or arguments, exactly", "help:\n%s", buf);
	free(buf);
}

int main(void)
{
	test_types();
	test_refusals();
	test_positional();
	test_zero_args();
	test_help();
	return tap_done();
}
