// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spawn-time NETNS N COMMAND [ARGS...] [-- COMMAND [ARGS...]]...
 *
 * Enters the network namespace file NETNS, then runs each COMMAND N times
 * with posix_spawn + waitpid, the commands taking turns (A B A B ...) so
 * that a machine getting busier or quieter meanwhile weighs on all of them
 * alike.  Prints one line per command, in order: "median_us p90_us" of the
 * whole-process time.  An argument "@ALT@" is replaced by 1000 or 1001 in
 * turn, so that each run changes something.  Exits 1 if any run fails.
 * Used by scripts/bench-bind.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#define MAX_CMDS 8

extern char **environ;

struct cmd {
	char **argv;    /* NULL-terminated, inside main's argv */
	int alt;        /* index of "@ALT@" in argv, or -1 */
	double *us;
};

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Splits argv[3..] at "--" into commands; returns how many, or -1. */
static int split_cmds(int argc, char **argv, struct cmd *cmds, int n)
{
	int ncmds = 0;

	for (int i = 3; i < argc; i++) {
		struct cmd *c;

		if (ncmds == MAX_CMDS || !strcmp(argv[i], "--"))
			return -1;
		c = &cmds[ncmds++];
		c->argv = argv + i;
		c->alt = -1;
		c->us = calloc(n, sizeof(*c->us));
		if (!c->us)
			return -1;
		for (; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "@ALT@"))
				c->alt = i - (int)(c->argv - argv);
		argv[i] = NULL; /* ends this command's argv ("--" or argv[argc]) */
	}
	return ncmds;
}

int main(int argc, char **argv)
{
	struct cmd cmds[MAX_CMDS];
	int fd, n, ncmds;

	if (argc < 4 || (n = atoi(argv[2])) < 1 || (ncmds = split_cmds(argc, argv, cmds, n)) < 1)
		return fprintf(stderr, "usage: spawn-time NETNS N COMMAND [ARGS...] "
			       "[-- COMMAND [ARGS...]]...\n"), 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		return perror(argv[1]), 1;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < ncmds; k++) {
			struct cmd *c = &cmds[k];
			char value[16];
			int status;
			double t0;
			pid_t pid;

			if (c->alt >= 0) {
				snprintf(value, sizeof(value), "%d", 1000 + i % 2);
				c->argv[c->alt] = value;
			}
			t0 = now_us();
			if (posix_spawn(&pid, c->argv[0], NULL, NULL, c->argv, environ) ||
			    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
				return fprintf(stderr, "spawn-time: %s failed (run %d)\n", c->argv[0], i), 1;
			c->us[i] = now_us() - t0;
		}
	}
	for (int k = 0; k < ncmds; k++) {
		qsort(cmds[k].us, n, sizeof(double), cmp);
		printf("%.0f %.0f\n", cmds[k].us[n / 2], cmds[k].us[n * 9 / 10]);
	}
	return 0;
}
