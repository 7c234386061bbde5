/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TAP output for the C unit tests: one check per line, the plan at the end. */
#ifndef SLOTNET_TAP_H
#define SLOTNET_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int planned, failed;

/* One TAP line; detail (a printf format after desc) is printed only on failure. */
__attribute__((format(printf, 3, 4)))
static void check(int ok, const char *desc, const char *fmt, ...)
{
	va_list ap;

	planned++;
	printf("%sok %d - %s\n", ok ? "" : "not ", planned, desc);
	if (ok)
		return;
	failed++;
	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The plan, and the exit status: 0 when every check passed. */
static int tap_done(void)
{
	printf("1..%d\n", planned);
	return failed ? 1 : 0;
}

#endif
