// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "state.h"
#include "slotnet.h"
#include "parse.h"
#include "slotnet.skel.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define BPFFS_ROOT "/sys/fs/bpf"

struct map_spec {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries;
	size_t offset; /* of the fd in struct sn_maps */
};

static const struct map_spec map_specs[] = {
	{ "config", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct slotnet_config), 1,
	  offsetof(struct sn_maps, config) },
	{ "slots", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct slotnet_slot), SLOTNET_MAX_SLOTS,
	  offsetof(struct sn_maps, slots) },
	{ "bindings", BPF_MAP_TYPE_HASH, 4, sizeof(struct slotnet_binding), SLOTNET_MAX_SLOTS,
	  offsetof(struct sn_maps, bindings) },
	{ "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct slotnet_counters),
	  SLOTNET_MAX_SLOTS, offsetof(struct sn_maps, counters) },
};

#define NMAPS (sizeof(map_specs) / sizeof(map_specs[0]))

static int *map_fd(struct sn_maps *m, const struct map_spec *s)
{
	return (int *)((char *)m + s->offset);
}

int need_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	const __u32 need = (1u << CAP_NET_ADMIN) | (1u << CAP_SYS_ADMIN);

	if (syscall(SYS_capget, &hdr, data) < 0 || (data[0].effective & need) != need)
		return sn_err(EXIT_USAGE, "needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)");
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static bool below(const char *dir, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(dir, root, n) && (dir[n] == '/' || dir[n] == '\0');
}

int pin_dir_check(const char *dir)
{
	char probe[PATH_MAX];

	if (dir[0] != '/')
		return sn_err(EXIT_USAGE, "pin directory '%s': not an absolute path", dir);
	if (strlen(dir) >= sizeof(probe) - 32)
		return sn_err(EXIT_USAGE, "pin directory '%s': path too long", dir);
	if (below(dir, BPFFS_ROOT) && !is_bpffs(BPFFS_ROOT) &&
	    mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") < 0)
		return sn_err(EXIT_FAILED, "mounting bpffs on %s: %s", BPFFS_ROOT, strerror(errno));
	/* The nearest existing ancestor tells which filesystem the pins land on. */
	snprintf(probe, sizeof(probe), "%s", dir);
	while (access(probe, F_OK) < 0 && strrchr(probe, '/') != probe)
		*strrchr(probe, '/') = '\0';
	if (!is_bpffs(probe))
		return sn_err(EXIT_USAGE, "pin directory '%s': not on a BPF filesystem (bpffs)", dir);
	return 0;
}

static void pin_path(char buf[PATH_MAX], const char *dir, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

bool state_exists(const char *dir)
{
	char path[PATH_MAX];

	pin_path(path, dir, "config");
	return access(path, F_OK) == 0;
}

static int check_map(const char *dir, const struct map_spec *s, int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return sn_err(EXIT_FAILED, "%s/%s: %s", dir, s->name, strerror(errno));
	if (info.type != s->type || info.key_size != s->key_size ||
	    info.value_size != s->value_size || info.max_entries != s->max_entries)
		return sn_err(EXIT_FAILED,
			      "%s/%s: pinned map has another layout than this slotnet (%s, map ABI %d) "
			      "expects; run the slotnet that made it, or teardown first",
			      dir, s->name, SLOTNET_VERSION, SLOTNET_ABI_VERSION);
	return 0;
}

static int read_config(const char *dir, const struct sn_maps *m, struct slotnet_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->config, &key, cfg) < 0)
		return sn_err(EXIT_FAILED, "%s/config: %s", dir, strerror(errno));
	if (cfg->abi_version == 0)
		return sn_err(EXIT_USAGE, "no prewarmed state in %s (run 'slotnet prewarm')", dir);
	if (cfg->abi_version != SLOTNET_ABI_VERSION)
		return sn_err(EXIT_FAILED,
			      "%s: pins have map ABI %u, this slotnet (%s) uses %d; run the slotnet "
			      "that made them, or teardown first",
			      dir, cfg->abi_version, SLOTNET_VERSION, SLOTNET_ABI_VERSION);
	cfg->prefix[SLOTNET_PREFIX_MAX - 1] = '\0';
	return 0;
}

int state_open(const char *dir, struct sn_maps *m, struct slotnet_config *cfg)
{
	char path[PATH_MAX];
	int ret;

	for (size_t i = 0; i < NMAPS; i++)
		*map_fd(m, &map_specs[i]) = -1;
	for (size_t i = 0; i < NMAPS; i++) {
		const struct map_spec *s = &map_specs[i];
		int fd;

		pin_path(path, dir, s->name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			ret = errno == ENOENT
				? sn_err(EXIT_USAGE, "no prewarmed state in %s (run 'slotnet prewarm')", dir)
				: sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
			goto err;
		}
		*map_fd(m, s) = fd;
		ret = check_map(dir, s, fd);
		if (ret)
			goto err;
	}
	ret = read_config(dir, m, cfg);
	if (ret)
		goto err;
	return 0;
err:
	state_close(m);
	return ret;
}

void state_close(struct sn_maps *m)
{
	for (size_t i = 0; i < NMAPS; i++) {
		int *fd = map_fd(m, &map_specs[i]);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && g.verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !g.verbose)
		return 0;
	if (level == LIBBPF_WARN && !g.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int state_create(const char *dir, struct sn_maps *m)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	struct slotnet_bpf *skel;
	int ret = 0;

	libbpf_set_print(libbpf_print);
	if (mkdir_p(dir) < 0)
		return sn_err(EXIT_FAILED, "creating %s: %s", dir, strerror(errno));
	skel = slotnet_bpf__open_opts(&opts);
	if (!skel)
		return sn_err(EXIT_FAILED, "opening the BPF object: %s", strerror(errno));
	if (slotnet_bpf__load(skel) < 0) {
		ret = sn_err(EXIT_FAILED, "creating or reusing the maps pinned in %s: %s "
			     "(-v shows libbpf's detail)", dir, strerror(errno));
		goto out;
	}
	m->config = dup(bpf_map__fd(skel->maps.config));
	m->slots = dup(bpf_map__fd(skel->maps.slots));
	m->bindings = dup(bpf_map__fd(skel->maps.bindings));
	m->counters = dup(bpf_map__fd(skel->maps.counters));
out:
	slotnet_bpf__destroy(skel);
	return ret;
}

int state_write_config(const struct sn_maps *m, const struct slotnet_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_update_elem(m->config, &key, cfg, BPF_ANY) < 0)
		return sn_err(EXIT_FAILED, "writing the configuration: %s", strerror(errno));
	return 0;
}

int state_remove(const char *dir)
{
	char path[PATH_MAX];

	/* The configuration goes last: while it stays, a re-run finds what is left. */
	for (size_t i = NMAPS; i-- > 0;) {
		pin_path(path, dir, map_specs[i].name);
		if (unlink(path) < 0 && errno != ENOENT)
			return sn_err(EXIT_FAILED, "removing %s: %s", path, strerror(errno));
	}
	if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
		return sn_err(EXIT_FAILED, "removing %s: %s", dir, strerror(errno));
	return 0;
}

int slot_read(const struct sn_maps *m, unsigned slot, struct slotnet_slot *s)
{
	__u32 key = slot;

	return bpf_map_lookup_elem(m->slots, &key, s);
}

int slot_write(const struct sn_maps *m, unsigned slot, const struct slotnet_slot *s)
{
	__u32 key = slot;

	return bpf_map_update_elem(m->slots, &key, s, BPF_ANY);
}

int slot_scrub(const struct sn_maps *m, unsigned slot)
{
	static const struct slotnet_slot empty_slot;
	struct slotnet_counters *zero;
	int ncpus = libbpf_num_possible_cpus(), ret;
	__u32 key = slot;

	if (ncpus <= 0)
		return -1;
	zero = calloc(ncpus, sizeof(*zero));
	if (!zero)
		return -1;
	ret = bpf_map_update_elem(m->slots, &key, &empty_slot, BPF_ANY);
	if (!ret && bpf_map_delete_elem(m->bindings, &key) < 0 && errno != ENOENT)
		ret = -1;
	if (!ret)
		ret = bpf_map_update_elem(m->counters, &key, zero, BPF_ANY);
	free(zero);
	return ret;
}

void slot_name(char buf[SLOT_NAME_LEN], const struct slotnet_config *cfg, unsigned i)
{
	snprintf(buf, SLOT_NAME_LEN, "%s%u", cfg->prefix, i);
}

long slot_of_name(const struct slotnet_config *cfg, const char *name)
{
	size_t plen = strlen(cfg->prefix);
	const char *why;
	uint32_t n;

	/* "sn01" is nobody's: slot names have no leading zeros. */
	if (strncmp(name, cfg->prefix, plen) || (name[plen] == '0' && name[plen + 1]))
		return -1;
	if (!cfg->nslots || parse_u32(name + plen, 0, cfg->nslots - 1, &n, &why) < 0)
		return -1;
	return n;
}
