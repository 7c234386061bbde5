// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Renewing the private proc instance this often keeps its dentry cache short. */
#define PROCFS_RENEW_EVERY 32

#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif

static void ns_path(char buf[PATH_MAX], const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", NETNS_RUN_DIR, name);
}

int netns_prepare_dir(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -1;
	/* Shared, so namespaces mounted here reach mount namespaces made later. */
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -1;
	return mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL);
}

int netns_create(const char *name)
{
	char path[PATH_MAX];
	int fd;

	ns_path(path, name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	close(fd);
	if (unshare(CLONE_NEWNET) < 0)
		goto err_unlink;
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		goto err_unlink;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err_unlink;
	return fd;
err_unlink:
	fd = errno;
	umount2(path, MNT_DETACH);
	unlink(path);
	errno = fd;
	return -1;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];

	ns_path(path, name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

bool netns_exists(const char *name)
{
	char path[PATH_MAX];

	ns_path(path, name);
	return access(path, F_OK) == 0;
}

int netns_remove(const char *name)
{
	char path[PATH_MAX];

	/* Only a name under /run/netns: never a path that leads out of it. */
	if (!name[0] || strchr(name, '/') || name[0] == '.') {
		errno = EINVAL;
		return -1;
	}
	ns_path(path, name);
	/* EINVAL: the file is there but nothing is mounted on it (a crash between the two). */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

void procfs_init(struct procfs *p)
{
	p->fd = -1;
	p->uses = 0;
}

static int procfs_mount(void)
{
	int fsfd = syscall(SYS_fsopen, "proc", 0), mfd;

	if (fsfd < 0)
		return -1;
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		close(fsfd);
		return -1;
	}
	mfd = syscall(SYS_fsmount, fsfd, 0, 0);
	close(fsfd);
	return mfd;
}

int procfs_sysctl(struct procfs *p, const char *path, const char *value)
{
	char rel[PATH_MAX];
	ssize_t n;
	int fd;

	if (p->fd >= 0 && p->uses >= PROCFS_RENEW_EVERY)
		procfs_close(p);
	if (p->fd < 0) {
		p->fd = procfs_mount();
		if (p->fd < 0)
			return -1;
	}
	p->uses++;
	snprintf(rel, sizeof(rel), "sys/%s", path);
	fd = openat(p->fd, rel, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -1 : 0;
}

void procfs_close(struct procfs *p)
{
	if (p->fd >= 0)
		close(p->fd);
	procfs_init(p);
}
