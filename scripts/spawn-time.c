// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spawn-time NETNS N COMMAND [ARGS...]: enters the network namespace file
 * NETNS, then runs COMMAND N times with posix_spawn + waitpid and prints
 * "median_us p90_us" of the whole-process time.  An argument "@ALT@" is
 * replaced by 1000 or 1001 in turn, so that each run changes something.
 * Exits 1 if any run fails.  Used by scripts/bench-bind.sh.
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

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int fd, n, alt = -1;
	double *us;

	if (argc < 4 || (n = atoi(argv[2])) < 1)
		return fprintf(stderr, "usage: spawn-time NETNS N COMMAND [ARGS...]\n"), 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		return perror(argv[1]), 1;
	for (int i = 4; i < argc; i++)
		if (!strcmp(argv[i], "@ALT@"))
			alt = i;
	us = calloc(n, sizeof(*us));
	for (int i = 0; i < n; i++) {
		char value[16];
		struct timespec t0, t1;
		int status;
		pid_t pid;

		if (alt > 0) {
			snprintf(value, sizeof(value), "%d", 1000 + i % 2);
			argv[alt] = value;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (posix_spawn(&pid, argv[3], NULL, NULL, argv + 3, environ) ||
		    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			return fprintf(stderr, "spawn-time: %s failed (run %d)\n", argv[3], i), 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	qsort(us, n, sizeof(*us), cmp);
	printf("%.0f %.0f\n", us[n / 2], us[n * 9 / 10]);
	return 0;
}
