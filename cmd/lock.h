/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One lock file per pin directory, /run/slotnet/<pin dir, %-escaped>.lock
 * (bpffs holds no regular files), with open-file-description byte locks:
 * byte 0 is the directory's lock, taken exclusively by the commands that
 * change the slots or the configuration (prewarm, teardown, rules --apply);
 * byte 1 + N is slot N's, taken by bind and unbind for the one slot they
 * change, so they never wait for each other on different slots, and cost
 * one open and one fcntl.  Byte 1 + SLOTNET_MAX_SLOTS is the binders' own:
 * bind and unbind hold it shared for their command, an upgrade takes it
 * with every slot's byte (one lock from byte 1 on) while it moves the state
 * to new maps, so binders of this version wait for the switch, and an older
 * one, which knows only slots' bytes, waits if it has begun.
 */
#ifndef SLOTNET_LOCK_H
#define SLOTNET_LOCK_H

#include <limits.h>
#include <stdbool.h>

#define LOCK_RUN_DIR "/run/slotnet"
/* The longest ".SUFFIX" of a file beside the lock: ".prewarm", and a writer's ".PID" after it. */
#define RUN_SUFFIX_MAX 20

/*
 * LOCK_RUN_DIR/<g.pin_dir with '/' and '%' %-escaped>.SUFFIX: the lock
 * ("lock") and the records of the last runs; an exit code (a pin
 * directory too long for a file name).
 */
int run_file_path(char buf[PATH_MAX], const char *suffix);

/*
 * Takes g.pin_dir's directory lock for the rest of the process: waits for
 * the holder (saying so on stderr) unless g.no_wait; an exit code.
 */
int lock_pin_dir(void);
/* Takes slot N's lock, waiting for its holder; an exit code. */
int lock_slot(unsigned slot);
/* Tries slot N's lock without waiting: 1 taken, 0 held by another, -1 with errno. */
int lock_slot_try(unsigned slot);
void unlock_slot(unsigned slot);
/* A binder's share of the pin directory, waiting for an upgrade that holds it; an exit code. */
int lock_binders(void);
void unlock_binders(void);
/* Every binder's and slot's lock at once, waiting for those who hold one; an exit code. */
int lock_all_slots(void);
void unlock_all_slots(void);
/*
 * At the end of a command that took the directory's lock: a lock file whose
 * pin directory is gone (after teardown, or a prewarm refused before it made
 * anything) is removed.
 */
void lock_forget_unused(void);

#endif
