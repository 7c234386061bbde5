/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every subcommand shares: global options, exit codes, messages. */
#ifndef SLOTNET_H
#define SLOTNET_H

#include <stdbool.h>

#define SLOTNET_VERSION "0.2.0"
#define SLOTNET_DEFAULT_PIN_DIR "/sys/fs/bpf/slotnet"

enum {
	EXIT_DONE = 0,      /* done, including "already so" */
	EXIT_FAILED = 1,    /* the system refused or broke */
	EXIT_USAGE = 2,     /* bad input; nothing was changed */
	EXIT_CONFLICT = 3,  /* the request contradicts existing state */
};

struct globals {
	bool json;
	bool quiet;
	bool no_wait;       /* a locked pin directory is a failure, not a wait */
	int verbose;
	const char *pin_dir;
	const char *cmd;    /* the running subcommand, for messages */
	unsigned line;      /* batch mode: the line being run, for messages; 0 otherwise */
};

extern struct globals g;

/* "slotnet: CMD: message" on stderr; returns code so callers can return it. */
int sn_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational lines on stderr, silenced by -q. */
void sn_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Detail for -v. */
void sn_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Progress of a long run on a terminal (not with -q): "slotnet: CMD: DONE/TOTAL
 * slots" rewritten in place, a newline once DONE reaches TOTAL.  Callers
 * serialise their calls.
 */
void sn_progress(unsigned done, unsigned total);

/* CLOCK_MONOTONIC in milliseconds, for timings. */
double sn_now_ms(void);

/* Subcommands: each returns an exit code. */
int do_prewarm(int argc, char **argv);
int do_bind(int argc, char **argv);
int do_unbind(int argc, char **argv);
int do_teardown(int argc, char **argv);
int do_dump(int argc, char **argv);
int do_rules(int argc, char **argv);
int do_check(int argc, char **argv);

#endif
