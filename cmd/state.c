// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "state.h"
#include "slotnet.h"
#include "parse.h"
#include "slotnet.skel.h"

#include <dirent.h>
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
	{ "ifslots", BPF_MAP_TYPE_HASH, 4, 4, SLOTNET_MAX_SLOTS, offsetof(struct sn_maps, ifslots) },
	{ "bindings", BPF_MAP_TYPE_HASH, 4, sizeof(struct slotnet_binding), SLOTNET_MAX_SLOTS,
	  offsetof(struct sn_maps, bindings) },
	{ "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct slotnet_counters),
	  SLOTNET_MAX_SLOTS, offsetof(struct sn_maps, counters) },
};

#define NMAPS (sizeof(map_specs) / sizeof(map_specs[0]))

static const char *const prog_pins[] = { "from_slot", "to_slot" };
#define LINKS_DIR "links"

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

/* Opens the pinned map SPEC into *fd unless it is open already; an exit code. */
static int open_pin(const char *dir, const struct map_spec *spec, int *fd)
{
	char path[PATH_MAX];

	if (*fd >= 0)
		return 0;
	pin_path(path, dir, spec->name);
	*fd = bpf_obj_get(path);
	if (*fd >= 0)
		return 0;
	return errno == ENOENT
		? sn_err(EXIT_USAGE, "no prewarmed state in %s (run 'slotnet prewarm')", dir)
		: sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
}

int state_open(const char *dir, struct sn_maps *m, struct slotnet_config *cfg)
{
	int ret = 0;

	for (size_t i = 0; i < NMAPS; i++)
		*map_fd(m, &map_specs[i]) = -1;
	for (size_t i = 0; i < NMAPS && !ret; i++) {
		const struct map_spec *s = &map_specs[i];

		ret = open_pin(dir, s, map_fd(m, s));
		if (!ret)
			ret = check_map(dir, s, *map_fd(m, s));
	}
	if (!ret)
		ret = read_config(dir, m, cfg);
	if (ret)
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

/*
 * The hot path (bind) opens only what it uses and checks the layout of the
 * configuration alone: its ABI version then vouches for every other map.
 * The configuration itself is read on every call.
 */
int state_get(unsigned need, const struct sn_maps **m, const struct slotnet_config **cfg)
{
	static struct sn_maps maps = SN_MAPS_CLOSED;
	static struct slotnet_config config;
	int ret;

	if (maps.config < 0 && ((ret = open_pin(g.pin_dir, &map_specs[0], &maps.config)) ||
				(ret = check_map(g.pin_dir, &map_specs[0], maps.config)))) {
		state_close(&maps);
		return ret;
	}
	/* Read afresh each time: a long batch must see a prewarm that runs meanwhile. */
	if ((ret = read_config(g.pin_dir, &maps, &config))) {
		state_close(&maps);
		return ret;
	}
	for (size_t i = 1; i < NMAPS; i++)
		if ((need & (1u << i)) &&
		    (ret = open_pin(g.pin_dir, &map_specs[i], map_fd(&maps, &map_specs[i]))))
			return ret;
	*m = &maps;
	*cfg = &config;
	return 0;
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

/* The pinned program NAME, or PROG pinned there when there is none yet; a new fd. */
static int pinned_prog(const char *dir, const char *name, struct bpf_program *prog)
{
	char path[PATH_MAX];
	int fd;

	pin_path(path, dir, name);
	fd = bpf_obj_get(path);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (bpf_program__pin(prog, path) < 0)
		return -1;
	return dup(bpf_program__fd(prog));
}

int state_create(const char *dir, struct sn_maps *m, struct sn_progs *p)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	struct slotnet_bpf *skel;
	char links[PATH_MAX];
	int ret = 0;

	libbpf_set_print(libbpf_print);
	pin_path(links, dir, LINKS_DIR);
	if (mkdir_p(links) < 0)
		return sn_err(EXIT_FAILED, "creating %s: %s", links, strerror(errno));
	skel = slotnet_bpf__open_opts(&opts);
	if (!skel)
		return sn_err(EXIT_FAILED, "opening the BPF object: %s", strerror(errno));
	if (slotnet_bpf__load(skel) < 0) {
		ret = sn_err(EXIT_FAILED, "loading the BPF programs, or creating or reusing the maps "
			     "pinned in %s: %s (-v shows libbpf's detail)", dir, strerror(errno));
		goto out;
	}
	m->config = dup(bpf_map__fd(skel->maps.config));
	m->slots = dup(bpf_map__fd(skel->maps.slots));
	m->ifslots = dup(bpf_map__fd(skel->maps.ifslots));
	m->bindings = dup(bpf_map__fd(skel->maps.bindings));
	m->counters = dup(bpf_map__fd(skel->maps.counters));
	p->from_slot = pinned_prog(dir, prog_pins[0], skel->progs.from_slot);
	p->to_slot = pinned_prog(dir, prog_pins[1], skel->progs.to_slot);
	if (p->from_slot < 0 || p->to_slot < 0)
		ret = sn_err(EXIT_FAILED, "pinning the programs in %s: %s", dir, strerror(errno));
out:
	slotnet_bpf__destroy(skel);
	return ret;
}

void progs_close(struct sn_progs *p)
{
	if (p->from_slot >= 0)
		close(p->from_slot);
	if (p->to_slot >= 0)
		close(p->to_slot);
	p->from_slot = p->to_slot = -1;
}

int state_write_config(const struct sn_maps *m, const struct slotnet_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_update_elem(m->config, &key, cfg, BPF_ANY) < 0)
		return sn_err(EXIT_FAILED, "writing the configuration: %s", strerror(errno));
	return 0;
}

void link_pin_path(char buf[PATH_MAX], const char *dir, const char *veth, bool egress)
{
	snprintf(buf, PATH_MAX, "%s/" LINKS_DIR "/%s-%s", dir, veth, egress ? "egress" : "ingress");
}

int link_unpin(const char *dir, const char *veth)
{
	char path[PATH_MAX];

	for (int egress = 0; egress < 2; egress++) {
		link_pin_path(path, dir, veth, egress);
		if (unlink(path) < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

static int remove_links_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	pin_path(path, dir, LINKS_DIR);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			break;
	closedir(d);
	return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
}

int state_remove(const char *dir)
{
	char path[PATH_MAX];

	if (remove_links_dir(dir) < 0)
		return sn_err(EXIT_FAILED, "removing %s/" LINKS_DIR ": %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(prog_pins) / sizeof(prog_pins[0]); i++) {
		pin_path(path, dir, prog_pins[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return sn_err(EXIT_FAILED, "removing %s: %s", path, strerror(errno));
	}
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

int slot_register(const struct sn_maps *m, unsigned slot, const struct slotnet_slot *s)
{
	__u32 key = slot, ifindex = s->ifindex;

	if (slot_write(m, slot, s) < 0)
		return -1;
	return bpf_map_update_elem(m->ifslots, &ifindex, &key, BPF_ANY);
}

int slot_zero_counters(const struct sn_maps *m, unsigned slot)
{
	struct slotnet_counters *zero;
	int ncpus = libbpf_num_possible_cpus(), ret;
	__u32 key = slot;

	if (ncpus <= 0)
		return -1;
	zero = calloc(ncpus, sizeof(*zero));
	if (!zero)
		return -1;
	ret = bpf_map_update_elem(m->counters, &key, zero, BPF_ANY);
	free(zero);
	return ret;
}

int slot_scrub(const struct sn_maps *m, unsigned slot)
{
	static const struct slotnet_slot empty_slot;
	struct slotnet_slot old;
	__u32 key = slot;

	if (slot_read(m, slot, &old) < 0 || slot_write(m, slot, &empty_slot) < 0)
		return -1;
	if (old.ifindex && bpf_map_delete_elem(m->ifslots, &old.ifindex) < 0 && errno != ENOENT)
		return -1;
	if (bpf_map_delete_elem(m->bindings, &key) < 0 && errno != ENOENT)
		return -1;
	return slot_zero_counters(m, slot);
}

int parse_slot(const char *arg, const struct slotnet_config *cfg, unsigned *slot)
{
	const char *why;
	uint32_t v;

	if (parse_u32(arg, 0, cfg->nslots - 1, &v, &why) < 0)
		return sn_err(EXIT_USAGE, "slot '%s': %s (%u slots prewarmed: 0..%u)", arg, why,
			      cfg->nslots, cfg->nslots - 1);
	*slot = v;
	return 0;
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
