// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "state.h"
#include "config.h"
#include "migrate.h"
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
	const char *what;   /* what is lost with it */
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries;
	size_t offset; /* of the fd in struct sn_maps */
};

/* Slot-indexed maps list SLOTNET_MIN_MAX_SLOTS; their size is the configuration's max_slots. */
static bool per_slot(const struct map_spec *s)
{
	return s->max_entries == SLOTNET_MIN_MAX_SLOTS;
}

#define MAP_SPEC(NAME, name, type, k, v, max, flags, what) \
	{ #name, what, type, sizeof(k), sizeof(v), max, offsetof(struct sn_maps, name) },
static const struct map_spec map_specs[] = { SLOTNET_MAPS_LIST(MAP_SPEC) };
#undef MAP_SPEC

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

int pin_dir_normalize(const char **dir)
{
	static char buf[PATH_MAX];
	const char *in = *dir;
	size_t n = 0;

	if (!in[0])
		return sn_err(EXIT_USAGE, "pin directory '': empty (give an absolute path)");
	if (in[0] != '/')
		return sn_err(EXIT_USAGE, "pin directory '%s': not an absolute path", in);
	if (strlen(in) >= sizeof(buf) - 32)
		return sn_err(EXIT_USAGE, "pin directory '%s': path too long", in);
	/* One spelling per directory, so its lock file is one file. */
	for (const char *c = in; *c;) {
		size_t len;

		c += strspn(c, "/");
		len = strcspn(c, "/");
		if (!len)
			break;
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return sn_err(EXIT_USAGE, "pin directory '%s': '.' and '..' are not allowed", in);
		buf[n++] = '/';
		memcpy(buf + n, c, len);
		n += len;
		c += len;
	}
	if (!n)
		return sn_err(EXIT_USAGE, "pin directory '%s': the root directory", in);
	buf[n] = '\0';
	*dir = buf;
	return 0;
}

int pin_dir_check(const char *dir)
{
	char probe[PATH_MAX];

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

/*
 * The pinned map's id when its layout is the one this slotnet uses, with
 * MAX_SLOTS entries if slot-indexed; an exit code.
 */
static int check_map(const char *dir, const struct map_spec *s, int fd, unsigned max_slots,
		     __u32 *id)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return sn_err(EXIT_FAILED, "%s/%s: %s", dir, s->name, strerror(errno));
	if (info.type != s->type || info.key_size != s->key_size ||
	    info.value_size != s->value_size ||
	    info.max_entries != (per_slot(s) ? max_slots : s->max_entries))
		return sn_err(EXIT_FAILED,
			      "%s/%s: pinned map has another layout than this slotnet (%s, map ABI %d) "
			      "expects; run the slotnet that made it, or teardown first",
			      dir, s->name, SLOTNET_VERSION, SLOTNET_ABI_VERSION);
	if (id)
		*id = info.id;
	return 0;
}

/* Pins of map ABI ABI (without SLOTNET_ABI_MOVING) this slotnet cannot read: why, as an exit code. */
static int unreadable_abi(const char *dir, __u32 abi)
{
	if (abi > SLOTNET_ABI_VERSION)
		return sn_err(EXIT_USAGE, "%s: pins have map ABI %u, newer than this slotnet's (%s, "
			      "map ABI %d): run the slotnet that made them, or a newer one", dir, abi,
			      SLOTNET_VERSION, SLOTNET_ABI_VERSION);
	return sn_err(EXIT_USAGE, "%s: pins have map ABI %u, older than any this slotnet (%s, map "
		      "ABI %d) upgrades from (map ABI %d on): teardown with the slotnet that made "
		      "them", dir, abi, SLOTNET_VERSION, SLOTNET_ABI_VERSION, MIGRATE_OLDEST_ABI);
}

/* The largest configuration value of any map ABI (read before its ABI is known). */
#define CONFIG_VALUE_MAX 1024

/*
 * That map FD has a configuration's shape (an array of one value of at most
 * CONFIG_VALUE_MAX bytes): its id and value size, checked once per open;
 * an exit code.
 */
static int check_config_map(const char *dir, int fd, __u32 *id, __u32 *value_size)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return sn_err(EXIT_FAILED, "%s/config: %s", dir, strerror(errno));
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(__u32) ||
	    info.max_entries != 1 || info.value_size < sizeof(__u32) ||
	    info.value_size > CONFIG_VALUE_MAX)
		return sn_err(EXIT_FAILED, "%s/config: not a slotnet configuration (damaged pins: "
			      "remove the slots and pins by hand)", dir);
	*id = info.id;
	*value_size = info.value_size;
	return 0;
}

/*
 * The configuration in map FD (values of VALUE_SIZE bytes), of any map ABI
 * this slotnet reads, in the current layout, every field checked; *abi is
 * the pins' ABI as pinned (with SLOTNET_ABI_MOVING when an upgrade has begun
 * moving them).  STATE_FRESH (silent) when never written.
 */
static int read_pinned(const char *dir, int fd, __u32 value_size, struct slotnet_config *cfg,
		       __u32 *abi)
{
	const struct abi_layout *layout;
	unsigned char value[CONFIG_VALUE_MAX];
	__u32 key = 0;
	char why[160];

	if (bpf_map_lookup_elem(fd, &key, value) < 0)
		return sn_err(EXIT_FAILED, "%s/config: %s", dir, strerror(errno));
	memcpy(abi, value, sizeof(*abi));
	if (*abi == 0)
		return STATE_FRESH;
	layout = migrate_layout(*abi & ~SLOTNET_ABI_MOVING);
	if (!layout)
		return unreadable_abi(dir, *abi & ~SLOTNET_ABI_MOVING);
	if (value_size != layout->config_size)
		return sn_err(EXIT_FAILED, "%s/config: damaged pin: %u bytes, map ABI %u's are %zu",
			      dir, value_size, layout->abi, layout->config_size);
	layout->config(value, cfg);
	cfg->abi_version = SLOTNET_ABI_VERSION;
	if (config_check(cfg, why, sizeof(why)) < 0)
		return sn_err(EXIT_FAILED, "%s/config: damaged pin: %s; nothing was changed (repair "
			      "the field with bpftool, or remove the slots and pins by hand)", dir, why);
	return 0;
}

/* read_config's answer for an older configuration an upgrade has moved to new maps. */
#define STATE_MOVED (-2)

/*
 * The configuration of this slotnet's map ABI; STATE_FRESH (silent) when
 * never written, STATE_MOVED (silent) when an upgrade moved it.
 */
static int read_config(const char *dir, int fd, __u32 value_size, struct slotnet_config *cfg)
{
	__u32 abi;
	int ret = read_pinned(dir, fd, value_size, cfg, &abi);

	if (ret)
		return ret;
	if (abi & SLOTNET_ABI_MOVING)
		return STATE_MOVED;
	if (abi != SLOTNET_ABI_VERSION)
		return sn_err(EXIT_FAILED, "%s: pins have map ABI %u, older than this slotnet's (%s, "
			      "map ABI %d): 'slotnet prewarm' upgrades them in place (VMs keep "
			      "running)", dir, abi, SLOTNET_VERSION, SLOTNET_ABI_VERSION);
	return 0;
}

static int no_state(const char *dir)
{
	return sn_err(EXIT_USAGE, "no prewarmed state in %s (run 'slotnet prewarm')", dir);
}

int state_require(void)
{
	char path[PATH_MAX];

	pin_path(path, g.pin_dir, map_specs[0].name);
	if (access(path, F_OK) == 0)
		return 0;
	return errno == ENOENT ? no_state(g.pin_dir) : sn_err(EXIT_FAILED, "%s: %s", path,
							       strerror(errno));
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
	if (errno != ENOENT)
		return sn_err(EXIT_FAILED, "%s: %s", path, strerror(errno));
	if (spec == &map_specs[0])
		return no_state(dir);
	return sn_err(EXIT_FAILED, "%s: pin missing although slots are prewarmed (damaged pins; "
		      "'slotnet prewarm' pins it again from the running programs)", path);
}

int state_read_config(const char *dir, struct slotnet_config *cfg, __u32 *abi)
{
	char path[PATH_MAX];
	__u32 id, value_size;
	int fd, ret;

	pin_path(path, dir, map_specs[0].name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? STATE_FRESH : sn_err(EXIT_FAILED, "%s: %s", path,
							     strerror(errno));
	ret = check_config_map(dir, fd, &id, &value_size);
	if (!ret)
		ret = read_pinned(dir, fd, value_size, cfg, abi);
	close(fd);
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

/* The ids of the maps a program uses: up to cap of them, the count in *n; -1 with errno. */
static int prog_map_ids(int prog_fd, __u32 *ids, __u32 cap, __u32 *n)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	info.nr_map_ids = cap;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_prog_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -1;
	*n = info.nr_map_ids < cap ? info.nr_map_ids : cap;
	return 0;
}

/*
 * The pinned data path must use exactly the pinned maps, or a binding
 * written here would not be the one packets see (an unbind that does not
 * cut the tenant off): prewarm checked the programs' maps and recorded their
 * ids, so a pin replaced by hand since shows as another id.
 */
static int check_recorded_ids(const char *dir, const struct slotnet_config *cfg,
			      const __u32 *ids, unsigned opened)
{
	for (size_t i = 0; i < NMAPS; i++)
		if ((opened & (1u << i)) && ids[i] != cfg->map_ids[i])
			return sn_err(EXIT_FAILED, "%s/%s: not the map the pinned programs use (map "
				      "id %u, the programs' is %u; damaged pins: 'slotnet prewarm' "
				      "switches the data path to the pinned maps)", dir,
				      map_specs[i].name, ids[i], cfg->map_ids[i]);
	return 0;
}

/*
 * The configuration, read afresh (a long batch must see a prewarm that runs
 * meanwhile), and the maps in NEED not open yet, checked against it.
 */
static int open_maps(unsigned need, struct sn_maps *maps, struct slotnet_config *config,
		     __u32 ids[NMAPS], unsigned *opened)
{
	static __u32 config_size;
	int ret;

	if (maps->config < 0 &&
	    ((ret = open_pin(g.pin_dir, &map_specs[0], &maps->config)) ||
	     (ret = check_config_map(g.pin_dir, maps->config, &ids[0], &config_size))))
		return ret;
	*opened |= 1u << 0;
	if ((ret = read_config(g.pin_dir, maps->config, config_size, config)))
		return ret;
	for (size_t i = 1; i < NMAPS; i++) {
		int *fd = map_fd(maps, &map_specs[i]);

		if (!(need & (1u << i)) || *fd >= 0)
			continue;
		if ((ret = open_pin(g.pin_dir, &map_specs[i], fd)) ||
		    (ret = check_map(g.pin_dir, &map_specs[i], *fd, config->max_slots, &ids[i])))
			return ret;
		*opened |= 1u << i;
	}
	return check_recorded_ids(g.pin_dir, config, ids, *opened);
}

/* The hot path (bind) opens only what it uses, once per process. */
int state_get(unsigned need, const struct sn_maps **m, const struct slotnet_config **cfg)
{
	static struct sn_maps maps = SN_MAPS_CLOSED;
	static struct slotnet_config config;
	static __u32 ids[NMAPS];
	static unsigned opened;
	int ret = open_maps(need, &maps, &config, ids, &opened);

	if (ret == STATE_MOVED) { /* by an upgrade since we opened them: the pins are the new */
		state_close(&maps);
		opened = 0;
		ret = open_maps(need, &maps, &config, ids, &opened);
	}
	if (!ret) {
		*m = &maps;
		*cfg = &config;
		return 0;
	}
	if (ret == STATE_FRESH)
		ret = no_state(g.pin_dir);
	else if (ret == STATE_MOVED)
		ret = sn_err(EXIT_FAILED, "%s: an upgrade is moving the pins to new maps, or was "
			     "interrupted doing so: 'slotnet prewarm' finishes it", g.pin_dir);
	state_close(&maps);
	opened = 0;
	return ret;
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

/* The maps the pinned programs use, by name, as new fds in held (-1 where none). */
static void maps_held_by_progs(const char *dir, int held[NMAPS])
{
	char path[PATH_MAX];
	__u32 ids[16], n = 0;

	for (size_t i = 0; i < NMAPS; i++)
		held[i] = -1;
	for (size_t k = 0; k < sizeof(prog_pins) / sizeof(prog_pins[0]); k++) {
		int fd;

		pin_path(path, dir, prog_pins[k]);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (prog_map_ids(fd, ids, 16, &n) < 0)
			n = 0;
		close(fd);
		for (__u32 j = 0; j < n; j++) {
			struct bpf_map_info info = { 0 };
			__u32 len = sizeof(info);
			int mfd = bpf_map_get_fd_by_id(ids[j]);

			if (mfd < 0)
				continue;
			if (bpf_obj_get_info_by_fd(mfd, &info, &len) < 0)
				info.name[0] = '\0';
			for (size_t i = 0; i < NMAPS; i++) {
				if (held[i] < 0 && !strcmp(info.name, map_specs[i].name)) {
					held[i] = mfd;
					mfd = -1;
					break;
				}
			}
			if (mfd >= 0)
				close(mfd);
		}
	}
}

static bool pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];

	pin_path(path, dir, name);
	return access(path, F_OK) == 0;
}

int state_repin(const char *dir)
{
	char path[PATH_MAX];
	int held[NMAPS], ret = 0;

	maps_held_by_progs(dir, held);
	for (size_t i = 0; i < NMAPS; i++) {
		if (held[i] < 0)
			continue;
		pin_path(path, dir, map_specs[i].name);
		if (!ret && access(path, F_OK) < 0 && errno == ENOENT) {
			if (bpf_obj_pin(held[i], path) < 0)
				ret = sn_err(EXIT_FAILED, "pinning %s again: %s", path, strerror(errno));
			else
				sn_info("%s: pin was missing; pinned again from the running programs "
					"(nothing lost)", path);
		}
		close(held[i]);
	}
	return ret;
}

/* After a prewarm, a map that is neither pinned nor held by the programs is lost. */
static int check_nothing_lost(const char *dir)
{
	for (size_t i = 0; i < NMAPS; i++)
		if (!pinned(dir, map_specs[i].name))
			return sn_err(EXIT_FAILED, "%s/%s: pin missing and no pinned program holds the "
				      "map: %s are gone; nothing was changed (run 'slotnet teardown' "
				      "and prewarm again)", dir, map_specs[i].name, map_specs[i].what);
	return 0;
}

static int sorted_map_ids(int prog_fd, __u32 ids[16], __u32 *n)
{
	if (prog_map_ids(prog_fd, ids, 16, n) < 0)
		return -1;
	for (__u32 i = 1; i < *n; i++)
		for (__u32 j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			__u32 t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return 0;
}

/* Whether two programs use the same maps. */
static bool same_maps(int a, int b)
{
	__u32 x[16], y[16], nx, ny;

	return !sorted_map_ids(a, x, &nx) && !sorted_map_ids(b, y, &ny) && nx == ny &&
	       !memcmp(x, y, nx * sizeof(x[0]));
}

int prog_tag(int fd, char hex[PROG_TAG_LEN])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(fd, &info, &len) < 0)
		return -1;
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", info.tag[i]);
	return 0;
}

/* Whether two programs are the same code (their tags: a hash of the instructions loaded). */
static bool same_code(int a, int b)
{
	char x[PROG_TAG_LEN], y[PROG_TAG_LEN];

	return !prog_tag(a, x) && !prog_tag(b, y) && !strcmp(x, y);
}

/*
 * The pinned program NAME when it is PROG's code on the same maps;
 * otherwise PROG, pinned in its place (pinned under a temporary name, then
 * renamed over the old pin).  A new fd; *replaced says why PROG was pinned.
 */
static int pinned_prog(const char *dir, const char *name, struct bpf_program *prog,
		       enum prog_change *replaced)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd;

	pin_path(path, dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		return -1;
	if (fd >= 0 && !same_maps(fd, bpf_program__fd(prog)))
		*replaced |= PROGS_OTHER_MAPS;
	else if (fd >= 0 && !same_code(fd, bpf_program__fd(prog)))
		*replaced |= PROGS_NEW_CODE;
	else if (fd >= 0)
		return fd;
	if (fd >= 0)
		close(fd);
	snprintf(tmp, sizeof(tmp), "%s/%s-new", dir, name);
	unlink(tmp);
	if (bpf_obj_pin(bpf_program__fd(prog), tmp) < 0 || rename(tmp, path) < 0) {
		fd = errno;
		unlink(tmp);
		errno = fd;
		return -1;
	}
	*replaced |= PROGS_PINNED;
	return dup(bpf_program__fd(prog));
}

struct slotnet_bpf *state_load(const char *root, unsigned max_slots)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = root);
	struct slotnet_bpf *skel;
	int err = 0;

	libbpf_set_print(libbpf_print);
	skel = slotnet_bpf__open_opts(&opts);
	if (!skel) {
		sn_err(EXIT_FAILED, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
#define SIZE_MAP(NAME, name, type, k, v, max, flags, what)                                   \
	if (!err && max == SLOTNET_MIN_MAX_SLOTS)                                            \
		err = bpf_map__set_max_entries(skel->maps.name, max_slots);                   \
	if (!err && !root)                                                                   \
		err = bpf_map__set_pin_path(skel->maps.name, NULL);
	SLOTNET_MAPS_LIST(SIZE_MAP)
#undef SIZE_MAP
	if (err || slotnet_bpf__load(skel) < 0) {
		sn_err(EXIT_FAILED, "loading the BPF programs, or creating or reusing the maps "
		       "pinned in %s: %s (-v shows libbpf's detail)", root ? root : "(none)",
		       strerror(errno));
		slotnet_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int state_create(const char *dir, bool prewarmed, unsigned max_slots, struct sn_maps *m,
		 struct sn_progs *p, enum prog_change *progs_replaced, __u32 map_ids[SLOTNET_MAPS])
{
	struct slotnet_bpf *skel;
	char links[PATH_MAX];
	int ret = 0;

	if (prewarmed && (ret = check_nothing_lost(dir)))
		return ret;
	pin_path(links, dir, LINKS_DIR);
	if (mkdir_p(links) < 0)
		return sn_err(EXIT_FAILED, "creating %s: %s", links, strerror(errno));
	skel = state_load(dir, max_slots);
	if (!skel)
		return EXIT_FAILED;
#define DUP_MAP_FD(NAME, name, type, k, v, max, flags, what) \
	m->name = dup(bpf_map__fd(skel->maps.name));
	SLOTNET_MAPS_LIST(DUP_MAP_FD)
#undef DUP_MAP_FD
	for (size_t i = 0; i < NMAPS && !ret; i++)
		ret = check_map(dir, &map_specs[i], *map_fd(m, &map_specs[i]), max_slots,
				&map_ids[i]);
	if (ret)
		goto out;
	*progs_replaced = 0;
	p->from_slot = pinned_prog(dir, prog_pins[0], skel->progs.from_slot, progs_replaced);
	p->to_slot = pinned_prog(dir, prog_pins[1], skel->progs.to_slot, progs_replaced);
	if (p->from_slot < 0 || p->to_slot < 0)
		ret = sn_err(EXIT_FAILED, "pinning the programs in %s: %s", dir, strerror(errno));
	else if ((*progs_replaced & PROGS_OTHER_MAPS) && prewarmed)
		sn_info("%s: the pinned programs used other maps than the pins; the data path now "
			"uses the pinned maps", dir);
	else if (*progs_replaced & PROGS_NEW_CODE)
		sn_info("%s: the pinned programs are another build's; switching every slot to "
			"this slotnet's", dir);
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

/* Removes DIR/SUB and every pin in it. */
static int remove_pin_subdir(const char *dir, const char *sub)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	pin_path(path, dir, sub);
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

	if (remove_pin_subdir(dir, LINKS_DIR) < 0 || remove_pin_subdir(dir, UPGRADE_DIR) < 0)
		return sn_err(EXIT_FAILED, "removing %s/" LINKS_DIR " or " UPGRADE_DIR ": %s", dir,
			      strerror(errno));
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

int slot_unregister(const struct sn_maps *m, unsigned slot)
{
	static const struct slotnet_slot empty_slot;
	struct slotnet_slot old;

	if (slot_read(m, slot, &old) < 0 || slot_write(m, slot, &empty_slot) < 0)
		return -1;
	if (old.ifindex && bpf_map_delete_elem(m->ifslots, &old.ifindex) < 0 && errno != ENOENT)
		return -1;
	return 0;
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
