// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An upgrade that needs new maps (pins of an older map ABI, or maps too
 * small for --slots), with every slot's traffic flowing:
 *
 *   1. every binder's and slot's lock: binds and unbinds wait from here on;
 *   2. the old configuration marked SLOTNET_ABI_MOVING: no slotnet writes
 *      the old maps any more, so what is copied stays exact;
 *   3. new maps and programs made and pinned in DIR/next, the old contents
 *      converted into them (migrate.c), the new configuration written last
 *      (a complete DIR/next/config means the new state is whole), then the
 *      old bindings frozen: a binder of an older slotnet that read the old
 *      configuration before step 2 gets an error, never a lost binding;
 *   4. the attach switched to the new programs (two filter replaces, or a
 *      link update per tcx link), then a wait for running programs, after
 *      which no old program runs; the old counters are then final and moved
 *      to the new ones (added atomically: the new programs count meanwhile);
 *   5. the new pins renamed over the old, the configuration last.
 *
 * A run killed before step 3 completes is rolled back (DIR/next removed,
 * done again); after, rolled forward from step 4, the bindings copied again
 * first (an older binder may have written them before the freeze).
 */
#include "prewarm_priv.h"
#include "config.h"
#include "lock.h"
#include "migrate.h"
#include "slotnet.h"
#include "state.h"
#include "slotnet.skel.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Every pin of a whole state but the configuration, which goes last. */
#define MAP_NAME(NAME, name, type, k, v, max, flags, what) #name,
static const char *const map_names[] = { SLOTNET_MAPS_LIST(MAP_NAME) };
#undef MAP_NAME
static const char *const prog_names[] = { "from_slot", "to_slot" };
#define NMAPS (sizeof(map_names) / sizeof(map_names[0]))

/* An upgrade's old and new maps and programs, by the names of SLOTNET_MAPS_LIST. */
struct upgrade {
	struct prewarm *p;
	const struct abi_layout *old_layout;
	int old[NMAPS];
	int new[NMAPS];
	struct sn_progs progs; /* the new ones */
	bool moved;            /* the state went to new maps (not just a leftover removed) */
	char next[PATH_MAX];
};

static void path_in(char buf[PATH_MAX], const char *dir, const char *name)
{
	/* Pin directories are far shorter (pin_dir_normalize); never a truncated path. */
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		buf[0] = '\0';
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	path_in(path, dir, name);
	return access(path, F_OK) == 0;
}

bool upgrade_needed(const struct prewarm *p)
{
	return p->prewarmed && (p->pinned_abi != SLOTNET_ABI_VERSION ||
				p->cfg.max_slots != p->pinned.max_slots ||
				exists(g.pin_dir, UPGRADE_DIR));
}

static int open_pins(const char *dir, int fds[NMAPS])
{
	char path[PATH_MAX];

	for (size_t i = 0; i < NMAPS; i++) {
		path_in(path, dir, map_names[i]);
		if ((fds[i] = bpf_obj_get(path)) < 0)
			return sn_err(EXIT_FAILED, "upgrade: opening %s: %s", path, strerror(errno));
	}
	return 0;
}

static void close_all(int fds[NMAPS])
{
	for (size_t i = 0; i < NMAPS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * Whether DIR/next holds a whole new state of this slotnet's ABI: its
 * configuration, in CFG, is written last, and must pass every check (a
 * DIR/next another slotnet left is not ours to finish).
 */
static bool next_complete(const struct upgrade *u, struct slotnet_config *cfg)
{
	struct bpf_map_info info = { 0 };
	__u32 key = 0, len = sizeof(info);
	char path[PATH_MAX], why[160];
	int fd;
	bool whole;

	path_in(path, u->next, map_names[SLOTNET_MAP_CONFIG]);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	whole = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_MAP_TYPE_ARRAY &&
		info.key_size == sizeof(key) && info.value_size == sizeof(*cfg) &&
		info.max_entries == 1 && bpf_map_lookup_elem(fd, &key, cfg) == 0 &&
		cfg->abi_version == SLOTNET_ABI_VERSION && config_check(cfg, why, sizeof(why)) == 0;
	close(fd);
	return whole;
}

static int remove_next(const struct upgrade *u)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < NMAPS + 2; i++) {
		path_in(path, u->next, i < NMAPS ? map_names[i] : prog_names[i - NMAPS]);
		if (unlink(path) < 0 && errno != ENOENT)
			return sn_err(EXIT_FAILED, "upgrade: removing %s: %s", path, strerror(errno));
	}
	if (rmdir(u->next) < 0 && errno != ENOENT)
		return sn_err(EXIT_FAILED, "upgrade: removing %s: %s", u->next, strerror(errno));
	return 0;
}

/*
 * Step 2: the old configuration's abi_version gets SLOTNET_ABI_MOVING, or
 * loses it again (MOVING false); its layout is the old one.
 */
static int mark_moving(struct upgrade *u, bool moving)
{
	unsigned char value[1024];
	__u32 key = 0, abi;

	if (bpf_map_lookup_elem(u->old[SLOTNET_MAP_CONFIG], &key, value) < 0)
		return sn_err(EXIT_FAILED, "upgrade: reading the configuration: %s", strerror(errno));
	memcpy(&abi, value, sizeof(abi));
	if (!!(abi & SLOTNET_ABI_MOVING) == moving)
		return 0;
	abi ^= SLOTNET_ABI_MOVING;
	memcpy(value, &abi, sizeof(abi));
	if (bpf_map_update_elem(u->old[SLOTNET_MAP_CONFIG], &key, value, BPF_EXIST) < 0)
		return sn_err(EXIT_FAILED, "upgrade: marking the configuration: %s", strerror(errno));
	return 0;
}

/* Every element of the old hash map I into the new one (same layouts in every ABI so far). */
static int copy_hash(struct upgrade *u, enum slotnet_map i, size_t value_size)
{
	unsigned char value[64];
	__u32 key, next;
	void *prev = NULL;

	if (value_size > sizeof(value))
		return sn_err(EXIT_FAILED, "upgrade: %s: values too large", map_names[i]);
	while (bpf_map_get_next_key(u->old[i], prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(u->old[i], &key, value) < 0) {
			if (errno == ENOENT)
				continue;
			break;
		}
		if (bpf_map_update_elem(u->new[i], &key, value, BPF_ANY) < 0)
			return sn_err(EXIT_FAILED, "upgrade: copying %s (key %u): %s", map_names[i],
				      key, strerror(errno));
	}
	if (errno != ENOENT)
		return sn_err(EXIT_FAILED, "upgrade: reading %s: %s", map_names[i], strerror(errno));
	return 0;
}

static int copy_slots(struct upgrade *u, unsigned nslots)
{
	struct slotnet_slot s;

	for (__u32 i = 0; i < nslots; i++)
		if (bpf_map_lookup_elem(u->old[SLOTNET_MAP_SLOTS], &i, &s) < 0 ||
		    bpf_map_update_elem(u->new[SLOTNET_MAP_SLOTS], &i, &s, BPF_ANY) < 0)
			return sn_err(EXIT_FAILED, "upgrade: copying slot %u: %s", i, strerror(errno));
	return 0;
}

static int pin_progs(struct upgrade *u, struct slotnet_bpf *skel)
{
	const struct bpf_program *progs[2] = { skel->progs.from_slot, skel->progs.to_slot };
	char path[PATH_MAX];

	for (int k = 0; k < 2; k++) {
		path_in(path, u->next, prog_names[k]);
		if (bpf_obj_pin(bpf_program__fd(progs[k]), path) < 0)
			return sn_err(EXIT_FAILED, "upgrade: pinning %s: %s", path, strerror(errno));
	}
	return 0;
}

static int write_next_config(struct upgrade *u)
{
	struct slotnet_config cfg = u->p->pinned;
	__u32 key = 0;

	cfg.abi_version = SLOTNET_ABI_VERSION;
	cfg.max_slots = u->p->cfg.max_slots;
	for (size_t i = 0; i < NMAPS; i++) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(u->new[i], &info, &len) < 0)
			return sn_err(EXIT_FAILED, "upgrade: %s: %s", map_names[i], strerror(errno));
		cfg.map_ids[i] = info.id;
	}
	if (bpf_map_update_elem(u->new[SLOTNET_MAP_CONFIG], &key, &cfg, BPF_ANY) < 0)
		return sn_err(EXIT_FAILED, "upgrade: writing the new configuration: %s",
			      strerror(errno));
	return 0;
}

/*
 * From the moment DIR/next is whole, the old bindings take no write: a
 * binder of an older slotnet that read the old configuration before it was
 * marked, and got its slot's lock when a killed upgrade dropped it, fails
 * rather than writing a map no program will read.
 */
static int freeze_old_bindings(struct upgrade *u)
{
	/* Frozen already (a killed run's): the kernel says EPERM, or EBUSY. */
	if (bpf_map_freeze(u->old[SLOTNET_MAP_BINDINGS]) < 0 && errno != EBUSY && errno != EPERM)
		return sn_err(EXIT_FAILED, "upgrade: freezing the old bindings: %s", strerror(errno));
	return 0;
}

/* A killed run's bindings again: what an older binder changed before the freeze. */
static int resync_bindings(struct upgrade *u)
{
	struct slotnet_binding b;
	__u32 key, next;
	void *prev = NULL;
	int ret;

	if ((ret = copy_hash(u, SLOTNET_MAP_BINDINGS, sizeof(b))))
		return ret;
	while (bpf_map_get_next_key(u->new[SLOTNET_MAP_BINDINGS], prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(u->old[SLOTNET_MAP_BINDINGS], &key, &b) < 0 && errno == ENOENT &&
		    bpf_map_delete_elem(u->new[SLOTNET_MAP_BINDINGS], &key) < 0 && errno != ENOENT)
			return sn_err(EXIT_FAILED, "upgrade: slot %u's binding: %s", key, strerror(errno));
	}
	return 0;
}

/* Step 3: DIR/next made whole from the old maps. */
static int stage(struct upgrade *u)
{
	struct slotnet_bpf *skel;
	int ret;

	if (mkdir(u->next, 0700) < 0)
		return sn_err(EXIT_FAILED, "upgrade: creating %s: %s", u->next, strerror(errno));
	skel = state_load(u->next, u->p->cfg.max_slots);
	if (!skel)
		return EXIT_FAILED;
#define NEW_FD(NAME, name, type, k, v, max, flags, what) \
	u->new[SLOTNET_MAP_##NAME] = dup(bpf_map__fd(skel->maps.name));
	SLOTNET_MAPS_LIST(NEW_FD)
#undef NEW_FD
	if (!(ret = copy_slots(u, u->p->pinned.nslots)) &&
	    !(ret = copy_hash(u, SLOTNET_MAP_IFSLOTS, sizeof(__u32))) &&
	    !(ret = copy_hash(u, SLOTNET_MAP_BINDINGS, sizeof(struct slotnet_binding))) &&
	    !(ret = pin_progs(u, skel)))
		ret = write_next_config(u);
	if (!ret)
		ret = freeze_old_bindings(u);
	slotnet_bpf__destroy(skel);
	return ret;
}

/* A pin of DIR/next, or of DIR where a killed run had renamed it already. */
static int open_next_pin(const struct upgrade *u, const char *name)
{
	char path[PATH_MAX];
	int fd;

	path_in(path, u->next, name);
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT) {
		path_in(path, g.pin_dir, name);
		fd = bpf_obj_get(path);
	}
	if (fd < 0)
		sn_err(EXIT_FAILED, "upgrade: opening %s: %s", path, strerror(errno));
	return fd;
}

static int open_next(struct upgrade *u)
{
	for (size_t i = 0; i < NMAPS; i++)
		if ((u->new[i] = open_next_pin(u, map_names[i])) < 0)
			return EXIT_FAILED;
	if ((u->progs.from_slot = open_next_pin(u, prog_names[0])) < 0 ||
	    (u->progs.to_slot = open_next_pin(u, prog_names[1])) < 0)
		return EXIT_FAILED;
	return 0;
}

/*
 * After it, no program that started before it is still running: an update
 * of a map-in-map waits for every running (non-sleepable) BPF program to
 * finish (the kernel's maybe_wait_bpf_programs), on every kernel.
 */
static int wait_for_old_programs(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer = -1, ret = -1;
	__u32 key = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sn_grace", 4, 4, 1, NULL);
	if (inner >= 0) {
		opts.inner_map_fd = inner;
		outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "sn_grace", 4, 4, 1, &opts);
	}
	if (outer >= 0)
		ret = bpf_map_update_elem(outer, &key, &inner, BPF_ANY);
	if (ret < 0)
		ret = sn_err(EXIT_FAILED, "upgrade: waiting for the old programs: %s", strerror(errno));
	if (outer >= 0)
		close(outer);
	if (inner >= 0)
		close(inner);
	return ret;
}

/* Step 4's end: the old counts, final now, added to what the new programs have counted. */
static int move_counters(struct upgrade *u)
{
	const struct abi_layout *l = u->old_layout;
	int ncpus = l->percpu_counters ? libbpf_num_possible_cpus() : 1;
	size_t len = (size_t)u->p->cfg.max_slots * sizeof(struct slotnet_counters);
	struct slotnet_counters *live, *old, sum;
	int ret = 0;

	if (ncpus <= 0)
		return sn_err(EXIT_FAILED, "upgrade: counting CPUs: %s", strerror(-ncpus));
	old = calloc(ncpus, sizeof(*old));
	live = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, u->new[SLOTNET_MAP_COUNTERS], 0);
	if (!old || live == MAP_FAILED) {
		free(old);
		return sn_err(EXIT_FAILED, "upgrade: mapping the new counters: %s", strerror(errno));
	}
	for (__u32 i = 0; i < u->p->pinned.nslots && !ret; i++) {
		__u64 *to = (__u64 *)&live[i], *add = (__u64 *)&sum;

		if (bpf_map_lookup_elem(u->old[SLOTNET_MAP_COUNTERS], &i, old) < 0) {
			ret = sn_err(EXIT_FAILED, "upgrade: reading slot %u's counters: %s", i,
				     strerror(errno));
			break;
		}
		migrate_sum_counters(old, ncpus, &sum);
		for (size_t w = 0; w < sizeof(sum) / sizeof(__u64); w++)
			if (add[w])
				__atomic_fetch_add(&to[w], add[w], __ATOMIC_RELAXED);
		/* Moved, not copied: a re-run after a kill adds nothing twice (but this slot's). */
		memset(old, 0, ncpus * sizeof(*old));
		if (bpf_map_update_elem(u->old[SLOTNET_MAP_COUNTERS], &i, old, BPF_ANY) < 0)
			ret = sn_err(EXIT_FAILED, "upgrade: clearing slot %u's old counters: %s", i,
				     strerror(errno));
	}
	munmap(live, len);
	free(old);
	return ret;
}

static bool moved_already(const struct upgrade *u, enum slotnet_map i)
{
	struct bpf_map_info a = { 0 }, b = { 0 };
	__u32 la = sizeof(a), lb = sizeof(b);

	return bpf_obj_get_info_by_fd(u->old[i], &a, &la) == 0 &&
	       bpf_obj_get_info_by_fd(u->new[i], &b, &lb) == 0 && a.id == b.id;
}

/* Step 5: DIR/next's pins renamed over the old ones, the configuration last. */
static int rename_pins(struct upgrade *u)
{
	char from[PATH_MAX], to[PATH_MAX];

	for (size_t i = NMAPS + 2; i-- > 0;) {
		const char *name = i < NMAPS ? map_names[i] : prog_names[i - NMAPS];

		if (i == SLOTNET_MAP_CONFIG)
			continue;
		path_in(from, u->next, name);
		path_in(to, g.pin_dir, name);
		if (rename(from, to) < 0 && errno != ENOENT)
			return sn_err(EXIT_FAILED, "upgrade: renaming %s: %s", from, strerror(errno));
	}
	path_in(from, u->next, map_names[SLOTNET_MAP_CONFIG]);
	path_in(to, g.pin_dir, map_names[SLOTNET_MAP_CONFIG]);
	if (rename(from, to) < 0)
		return sn_err(EXIT_FAILED, "upgrade: renaming %s: %s", from, strerror(errno));
	return 0;
}

/* Steps 4 and 5, from a whole DIR/next. */
static int switch_and_commit(struct upgrade *u)
{
	struct prewarm *p = u->p;
	int ret;

	if (p->pinned.attach == SLOTNET_ATTACH_TC)
		ret = switch_tc_filters(p, &u->progs);
	else
		ret = switch_tcx_links(p, &u->progs, p->pinned.nslots, true);
	if (ret || (ret = wait_for_old_programs()))
		return ret;
	/* A run killed after renaming the counters had moved them. */
	if (!moved_already(u, SLOTNET_MAP_COUNTERS) && (ret = move_counters(u)))
		return ret;
	return rename_pins(u) ?: remove_next(u);
}

/* Whether the pins open_next found are the maps DIR/next's configuration was written for. */
static bool next_is_one_state(const struct upgrade *u, const struct slotnet_config *next)
{
	for (size_t i = 0; i < NMAPS; i++) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(u->new[i], &info, &len) < 0 || info.id != next->map_ids[i])
			return false;
	}
	return true;
}

/*
 * A killed run's whole DIR/next is finished as it was made (its size is the
 * maps' now), its bindings made again exact first while the old ones are
 * still the pinned ones.
 */
static int adopt_next(struct upgrade *u, const struct slotnet_config *next)
{
	int ret;

	if (u->p->cfg.nslots > next->max_slots)
		return sn_err(EXIT_FAILED, "upgrade: finishing an interrupted upgrade to maps of %u "
			      "slots, fewer than --slots %u: run prewarm without --slots first",
			      next->max_slots, u->p->cfg.nslots);
	u->p->cfg.max_slots = next->max_slots;
	if (moved_already(u, SLOTNET_MAP_BINDINGS))
		return 0;
	if ((ret = freeze_old_bindings(u)))
		return ret;
	return resync_bindings(u);
}

static int run(struct upgrade *u)
{
	struct prewarm *p = u->p;
	struct slotnet_config next;
	int ret;

	snprintf(u->next, sizeof(u->next), "%s/" UPGRADE_DIR, g.pin_dir);
	u->old_layout = migrate_layout(p->pinned_abi & ~SLOTNET_ABI_MOVING);
	if ((ret = open_pins(g.pin_dir, u->old)))
		return ret;
	if (next_complete(u, &next) && !open_next(u) && next_is_one_state(u, &next)) {
		if ((ret = adopt_next(u, &next)))
			return ret;
	} else {
		close_all(u->new);
		progs_close(&u->progs);
		if ((ret = remove_next(u)))
			return ret;
		/* Only a leftover DIR/next: the state is whole and current already. */
		if (p->pinned_abi == SLOTNET_ABI_VERSION && p->cfg.max_slots == p->pinned.max_slots)
			return 0;
		if ((ret = mark_moving(u, true)))
			return ret;
		/* Nothing uses the new maps yet: a failed copy leaves the old state as it was. */
		if ((ret = stage(u))) {
			close_all(u->new);
			if (!remove_next(u))
				mark_moving(u, false);
			return ret;
		}
		close_all(u->new);
		if ((ret = open_next(u)))
			return ret;
	}
	u->moved = true;
	return switch_and_commit(u);
}

int upgrade_maps(struct prewarm *p)
{
	struct upgrade u = { .p = p, .progs = SN_PROGS_CLOSED };
	double start = sn_now_ms();
	int ret;

	for (size_t i = 0; i < NMAPS; i++)
		u.old[i] = u.new[i] = -1;
	if ((ret = lock_all_slots()))
		return ret;
	ret = run(&u);
	unlock_all_slots();
	close_all(u.old);
	close_all(u.new);
	progs_close(&u.progs);
	if (ret || !u.moved)
		return ret;
	p->upgraded = true;
	if ((p->pinned_abi & ~SLOTNET_ABI_MOVING) == SLOTNET_ABI_VERSION)
		sn_info("upgraded %s: maps of %u -> %u slots, in %.0f ms", g.pin_dir,
			p->pinned.max_slots, p->cfg.max_slots, sn_now_ms() - start);
	else
		sn_info("upgraded %s: map ABI %u -> %d, maps of %u -> %u slots, in %.0f ms",
			g.pin_dir, p->pinned_abi & ~SLOTNET_ABI_MOVING, SLOTNET_ABI_VERSION,
			p->pinned.max_slots, p->cfg.max_slots, sn_now_ms() - start);
	return 0;
}
