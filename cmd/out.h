/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Output for people and for scripts from the same calls: each out_* call
 * names a JSON key and a text format, and prints whichever -j selects, so
 * text and JSON always carry the same facts.  Text formats may be NULL for
 * facts that only JSON carries.
 */
#ifndef SLOTNET_OUT_H
#define SLOTNET_OUT_H

#include <stdbool.h>
#include <stdint.h>

void out_obj_open(const char *key);   /* key NULL at top level and in arrays */
void out_obj_close(void);
void out_arr_open(const char *key);
void out_arr_close(void);
void out_u64(const char *key, const char *fmt, uint64_t v);
void out_str(const char *key, const char *fmt, const char *v);
void out_bool(const char *key, const char *fmt, bool v);
/* JSON null; text prints placeholder through fmt. */
void out_null(const char *key, const char *fmt, const char *placeholder);
/* Text only: headings, separators, newlines. */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the document (a newline after the JSON value) and writes it. */
void out_end(void);

/*
 * Under -j every command writes one document, its error included: begin
 * before it runs, end with its exit code (returned), which writes the
 * error document {"error": {message, exit_code, command, line, messages}}
 * of a command that failed without writing its own; note_error collects
 * the messages (sn_err's) for it.
 */
void out_command_begin(void);
int out_command_end(int code);
void out_note_error(const char *msg);

#endif
