/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Named network namespaces, kept as bind mounts under /run/netns like ip-netns(8). */
#ifndef SLOTNET_NETNS_H
#define SLOTNET_NETNS_H

#include <stdbool.h>

#define NETNS_RUN_DIR "/run/netns"

/* Makes /run/netns exist and propagate mounts, as ip-netns does. */
int netns_prepare_dir(void);
/*
 * Creates namespace NAME and leaves the calling thread inside it.  Returns
 * an fd of the namespace, or -1 with errno (the thread is then back where it
 * was only if the failure came before the switch; callers re-enter their own).
 */
int netns_create(const char *name);
int netns_open(const char *name);
bool netns_exists(const char *name);
/* Unmounts and unlinks NAME; 0 when it did not exist. */
int netns_remove(const char *name);

/*
 * A private proc instance, never attached to the mount tree, for sysctl
 * writes into freshly made namespaces: through the shared /proc every write
 * walks the dentries of every live namespace, and that grows with the slots.
 */
struct procfs {
	int fd;
	int uses;
};

void procfs_init(struct procfs *p);
/* Writes value to /proc/sys/PATH as seen from the calling thread's namespace. */
int procfs_sysctl(struct procfs *p, const char *path, const char *value);
void procfs_close(struct procfs *p);

#endif
