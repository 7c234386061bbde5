/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the code under test prints on stdout, caught in a temporary file:
 * stdout's descriptor points at the file between capture_start() and
 * capture_end(), so the TAP lines around it are untouched.
 */
#ifndef SLOTNET_CAPTURE_H
#define SLOTNET_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CAPTURE_MAX 8192

static int capture_saved = -1;
static FILE *capture_file;
static char captured[CAPTURE_MAX];
static size_t captured_len;

static void capture_start(void)
{
	fflush(stdout);
	capture_file = tmpfile();
	capture_saved = dup(STDOUT_FILENO);
	if (!capture_file || capture_saved < 0 || dup2(fileno(capture_file), STDOUT_FILENO) < 0) {
		perror("capture_start");
		exit(99);
	}
}

/* Ends the capture: what was printed is in captured (NUL-terminated), captured_len bytes. */
static const char *capture_end(void)
{
	fflush(stdout);
	dup2(capture_saved, STDOUT_FILENO);
	close(capture_saved);
	rewind(capture_file);
	captured_len = fread(captured, 1, sizeof(captured) - 1, capture_file);
	captured[captured_len] = '\0';
	fclose(capture_file);
	return captured;
}

#endif
