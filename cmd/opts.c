// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "opts.h"
#include "parse.h"
#include "slotnet.h"

#include <string.h>

static const struct opt_def *find_long(const struct cmd_spec *spec, const char *name, size_t len)
{
	for (const struct opt_def *o = spec->opts; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct opt_def *find_short(const struct cmd_spec *spec, char c)
{
	for (const struct opt_def *o = spec->opts; o && o->name; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

static int bad_value(const struct opt_def *o, const char *value, const char *why)
{
	return sn_err(EXIT_USAGE, "--%s '%s': %s", o->name, value, why);
}

static int store_enum(const struct opt_def *o, const char *value, struct opt_enum *dst)
{
	for (int i = 0; o->choices[i]; i++) {
		if (!strcmp(o->choices[i], value)) {
			dst->v = i;
			dst->set = true;
			return 0;
		}
	}
	return sn_err(EXIT_USAGE, "--%s '%s': unknown; expected %s", o->name, value, o->metavar);
}

static int store(const struct opt_def *o, const char *value, void *out)
{
	void *dst = (char *)out + o->offset;
	const char *why = NULL;

	switch (o->type) {
	case OPT_FLAG:
		((struct opt_flag *)dst)->set = true;
		return 0;
	case OPT_STR:
		if (!*value)
			return bad_value(o, value, "must not be empty");
		*(struct opt_str *)dst = (struct opt_str){ true, value };
		return 0;
	case OPT_U32: {
		struct opt_u32 *u = dst;

		if (parse_u32(value, o->min, o->max, &u->v, &why) < 0) {
			if (!strcmp(why, "out of range"))
				return sn_err(EXIT_USAGE, "--%s '%s': out of range %u..%u",
					      o->name, value, o->min, o->max);
			return bad_value(o, value, why);
		}
		u->set = true;
		return 0;
	}
	case OPT_IPV4: {
		struct opt_ipv4 *a = dst;

		if (parse_ipv4(value, &a->be, &why) < 0)
			return bad_value(o, value, why);
		a->set = true;
		return 0;
	}
	case OPT_CIDR: {
		struct opt_cidr *c = dst;

		if (parse_cidr(value, &c->net_be, &c->plen, &why) < 0)
			return bad_value(o, value, why);
		c->set = true;
		return 0;
	}
	case OPT_ENUM:
		return store_enum(o, value, dst);
	case OPT_MAC: {
		struct opt_mac *m = dst;

		if (parse_mac(value, m->mac, &why) < 0)
			return bad_value(o, value, why);
		m->set = true;
		return 0;
	}
	}
	return EXIT_USAGE;
}

/* One option at argv[*i]: "--name value", "--name=value", "-x value" or "-h". */
static int parse_one(const struct cmd_spec *spec, int argc, char **argv, int *i, void *out)
{
	const char *arg = argv[*i], *value = NULL;
	const struct opt_def *o;

	if (arg[1] == '-') {
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

		o = find_long(spec, arg + 2, len);
		if (!o && len == 4 && !strncmp(arg + 2, "help", 4)) {
			if (eq)
				return sn_err(EXIT_USAGE, "--help takes no value");
			return -1;
		}
		if (eq)
			value = eq + 1;
	} else {
		if (arg[1] == 'h' && !arg[2])
			return -1;
		o = arg[2] ? NULL : find_short(spec, arg[1]);
	}
	if (!o)
		return sn_err(EXIT_USAGE, "unknown option '%s' (see 'slotnet %s -h')", arg, spec->name);
	if (o->type == OPT_FLAG) {
		if (value)
			return sn_err(EXIT_USAGE, "--%s takes no value", o->name);
	} else if (!value) {
		if (*i + 1 >= argc)
			return sn_err(EXIT_USAGE, "--%s needs a value (%s)", o->name, o->metavar);
		value = argv[++*i];
	}
	return store(o, value, out);
}

/*
 * Keeps positional argument ARG in argv[1 + n], over an entry already read
 * (the n-th positional is at least the (1 + n)-th argument), so the count
 * is bounded by the spec alone and there is no array to overrun.
 */
static int take_arg(const struct cmd_spec *spec, char **argv, int *n, char *arg)
{
	if (*n >= spec->max_args)
		return sn_err(EXIT_USAGE, "unexpected argument '%s' (see 'slotnet %s -h')",
			      arg, spec->name);
	argv[1 + (*n)++] = arg;
	return 0;
}

int opts_parse(const struct cmd_spec *spec, int argc, char **argv, void *out,
	       char ***args, int *nargs)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		int ret;

		if (!strcmp(argv[i], "--")) {
			while (++i < argc)
				if ((ret = take_arg(spec, argv, &n, argv[i])))
					return ret;
			break;
		}
		if (argv[i][0] != '-' || !argv[i][1]) {
			if ((ret = take_arg(spec, argv, &n, argv[i])))
				return ret;
			continue;
		}
		ret = parse_one(spec, argc, argv, &i, out);
		if (ret < 0) {
			opts_help(spec, stdout);
			return -1;
		}
		if (ret)
			return ret;
	}
	*args = argv + 1;
	*nargs = n;
	return 0;
}

void opts_help(const struct cmd_spec *spec, FILE *f)
{
	fprintf(f, "Usage: slotnet [-j] [--pin-dir DIR] [-q] [-v] %s [OPTIONS]%s%s\n\n%s\n\nOptions:\n",
		spec->name, spec->args ? " " : "", spec->args ? spec->args : "", spec->summary);
	for (const struct opt_def *o = spec->opts; o && o->name; o++) {
		char left[48];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "   ",
			 o->name, o->type == OPT_FLAG ? "" : " ",
			 o->type == OPT_FLAG ? "" : o->metavar);
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
}
