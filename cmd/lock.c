// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "lock.h"
#include "slotnet.h"
#include "slotnet_abi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static int lock_fd = -1;
static bool dir_locked;

/* "/sys/fs/bpf/x" -> "/run/slotnet/%2fsys%2ffs%2fbpf%2fx.SUFFIX": files per directory. */
int run_file_path(char buf[PATH_MAX], const char *suffix)
{
	size_t n = snprintf(buf, PATH_MAX, "%s/", LOCK_RUN_DIR), start = n;

	for (const char *c = g.pin_dir; *c && n < PATH_MAX - 8; c++) {
		if (*c == '/' || *c == '%')
			n += snprintf(buf + n, 4, "%%%02x", *c);
		else
			buf[n++] = *c;
	}
	if (n - start > NAME_MAX - RUN_SUFFIX_MAX)
		return sn_err(EXIT_USAGE, "pin directory '%s': too long to name its lock file "
			      "(%zu characters escaped, at most %d)", g.pin_dir, n - start,
			      NAME_MAX - RUN_SUFFIX_MAX);
	snprintf(buf + n, PATH_MAX - n, ".%s", suffix);
	return 0;
}

static int lock_path(char buf[PATH_MAX])
{
	return run_file_path(buf, "lock");
}

static int open_lock(void)
{
	char path[PATH_MAX];
	int ret;

	if (lock_fd >= 0)
		return 0;
	if ((ret = lock_path(path)))
		return ret;
	/*
	 * bind's hot path, one system call: the directory is made only the
	 * first time, and openat because musl's open follows O_CLOEXEC with an
	 * fcntl of its own (for kernels that ignored the flag).
	 */
	lock_fd = openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 && errno == ENOENT) {
		if (mkdir(LOCK_RUN_DIR, 0755) < 0 && errno != EEXIST)
			return sn_err(EXIT_FAILED, "creating %s: %s", LOCK_RUN_DIR, strerror(errno));
		lock_fd = openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (lock_fd < 0)
		return sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
	return 0;
}

#define BINDERS_BYTE (1 + (off_t)SLOTNET_MAX_SLOTS)

static int set_range_lock(short type, off_t start, off_t len, int cmd)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int ret;

	do
		ret = fcntl(lock_fd, cmd, &fl);
	while (ret < 0 && errno == EINTR);
	return ret;
}

static int set_lock(short type, off_t start, int cmd)
{
	return set_range_lock(type, start, 1, cmd);
}

/* Teardown may have removed the file we waited on: then start over with a new one. */
static bool lock_file_current(void)
{
	char path[PATH_MAX];
	struct stat held, now;

	return !lock_path(path) && fstat(lock_fd, &held) == 0 && stat(path, &now) == 0 &&
	       held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

static void holder(char *buf, size_t len)
{
	ssize_t n = pread(lock_fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0])
		snprintf(buf, len, "another slotnet process");
}

static void say_holder(void)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "pid %d, %s\n", (int)getpid(), g.cmd ? g.cmd : "?");

	if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, text, n, 0) != n)
		sn_debug("%s: could not record the lock's holder: %s", g.pin_dir, strerror(errno));
}

int lock_pin_dir(void)
{
	char who[64];
	int ret;

	for (;;) {
		if ((ret = open_lock()))
			return ret;
		if (set_lock(F_WRLCK, 0, F_OFD_SETLK) < 0) {
			if (errno != EAGAIN && errno != EACCES)
				return sn_err(EXIT_FAILED, "locking %s: %s", g.pin_dir, strerror(errno));
			holder(who, sizeof(who));
			if (g.no_wait)
				return sn_err(EXIT_FAILED, "%s is locked by %s; not waiting (--no-wait)",
					      g.pin_dir, who);
			sn_info("waiting for the lock on %s (held by %s)", g.pin_dir, who);
			if (set_lock(F_WRLCK, 0, F_OFD_SETLKW) < 0)
				return sn_err(EXIT_FAILED, "locking %s: %s", g.pin_dir, strerror(errno));
		}
		if (lock_file_current())
			break;
		close(lock_fd);
		lock_fd = -1;
	}
	say_holder();
	dir_locked = true;
	return 0;
}

int lock_slot(unsigned slot)
{
	int ret = open_lock();

	if (!ret && set_lock(F_WRLCK, 1 + (off_t)slot, F_OFD_SETLKW) < 0)
		ret = sn_err(EXIT_FAILED, "slot %u: locking it: %s", slot, strerror(errno));
	return ret;
}

int lock_slot_try(unsigned slot)
{
	if (open_lock())
		return -1;
	if (set_lock(F_WRLCK, 1 + (off_t)slot, F_OFD_SETLK) == 0)
		return 1;
	return errno == EAGAIN || errno == EACCES ? 0 : -1;
}

void unlock_slot(unsigned slot)
{
	/* A single command's locks go with the process; a batch goes on to other slots. */
	if (lock_fd >= 0 && g.line)
		set_lock(F_UNLCK, 1 + (off_t)slot, F_OFD_SETLK);
}

void lock_forget_unused(void)
{
	char path[PATH_MAX];

	if (!dir_locked || access(g.pin_dir, F_OK) == 0 || errno != ENOENT || lock_path(path))
		return;
	unlink(path);
	close(lock_fd);
	lock_fd = -1;
	dir_locked = false;
}

int lock_binders(void)
{
	int ret = open_lock();

	if (!ret && set_lock(F_RDLCK, BINDERS_BYTE, F_OFD_SETLKW) < 0)
		ret = sn_err(EXIT_FAILED, "%s: waiting for an upgrade: %s", g.pin_dir, strerror(errno));
	return ret;
}

void unlock_binders(void)
{
	if (lock_fd >= 0 && g.line)
		set_lock(F_UNLCK, BINDERS_BYTE, F_OFD_SETLK);
}

int lock_all_slots(void)
{
	int ret = open_lock();

	if (ret)
		return ret;
	if (set_range_lock(F_WRLCK, 1, 0, F_OFD_SETLK) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES) {
		sn_info("waiting for the binds and unbinds under way in %s", g.pin_dir);
		if (set_range_lock(F_WRLCK, 1, 0, F_OFD_SETLKW) == 0)
			return 0;
	}
	return sn_err(EXIT_FAILED, "%s: locking every slot: %s", g.pin_dir, strerror(errno));
}

void unlock_all_slots(void)
{
	if (lock_fd >= 0)
		set_range_lock(F_UNLCK, 1, 0, F_OFD_SETLK);
}
