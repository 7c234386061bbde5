// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus text exposition format, as node_exporter's textfile
 * collector reads it: slotnet_ prefix, base units, _total for counters, an
 * _info metric carrying the build and the configuration as labels.  Totals
 * by default; per-slot series only when asked (4,000 slots times a dozen
 * series each is too much cardinality for a default).
 */
#include "metrics.h"
#include "config.h"
#include "lock.h"
#include "slotnet.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char *const record_keys[2][2] = {
	{ "slots", "made" },                 /* prewarm */
	{ "differences", "slots_differ" },   /* check */
};

static int record_kind(const char *kind)
{
	return strcmp(kind, "prewarm") ? 1 : 0;
}

void record_run(const char *kind, double duration_ms, unsigned long long a, unsigned long long b)
{
	const char *const *keys = record_keys[record_kind(kind)];
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	struct timespec now;
	FILE *f;

	if (run_file_path(path, kind))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "duration_seconds %.3f\ncompleted_seconds %lld.%03ld\n%s %llu\n%s %llu\n",
		duration_ms / 1e3, (long long)now.tv_sec, now.tv_nsec / 1000000, keys[0], a, keys[1],
		b);
	/* A reader sees the old record or the new one, never half of one. */
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

void record_forget(void)
{
	static const char *const kinds[] = { "prewarm", "check" };
	char path[PATH_MAX];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!run_file_path(path, kinds[k]))
			unlink(path);
}

static void record_read(const char *kind, struct run_record *r)
{
	const char *const *keys = record_keys[record_kind(kind)];
	char path[PATH_MAX], key[32];
	double v;
	FILE *f;

	memset(r, 0, sizeof(*r));
	if (run_file_path(path, kind) || !(f = fopen(path, "re")))
		return;
	while (fscanf(f, "%31s %lf", key, &v) == 2) {
		if (!strcmp(key, "duration_seconds"))
			r->duration_s = v;
		else if (!strcmp(key, "completed_seconds"))
			r->completed_s = v;
		else if (!strcmp(key, keys[0]))
			r->value[0] = (unsigned long long)v;
		else if (!strcmp(key, keys[1]))
			r->value[1] = (unsigned long long)v;
		r->present = true;
	}
	fclose(f);
}

/* "# HELP" and "# TYPE" of a family, once before its samples. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, quote and newline escaped, as the format wants. */
static void label_value(FILE *f, const char *v)
{
	putc('"', f);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			putc(*v, f);
	}
	putc('"', f);
}

struct totals {
	unsigned long long by_state[4];
	struct slotnet_dir_counters dir[2];
};

static const char *const state_names[4] = { "free", "bound", "scrubbing", "not_ready" };
static const char *const dir_names[2] = { "tx", "rx" };

static int slot_state_index(const struct sn_maps *m, unsigned i, const struct slotnet_slot *s)
{
	struct slotnet_binding b;
	__u32 key = i;

	if (!(s->flags & SLOTNET_SLOT_READY))
		return 3;
	if (bpf_map_lookup_elem(m->bindings, &key, &b) < 0)
		return 0;
	return (b.flags & SLOTNET_BIND_SCRUBBING) ? 2 : 1;
}

static void add_dir(struct slotnet_dir_counters *to, const struct slotnet_dir_counters *from)
{
	to->packets += from->packets;
	to->bytes += from->bytes;
	for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
		to->drops[r] += from->drops[r];
}

static void write_info(FILE *f, const struct slotnet_config *cfg)
{
	family(f, "slotnet_info", "gauge", "The slotnet build and the pinned configuration.");
	fprintf(f, "slotnet_info{version=\"%s\",abi=\"%u\",tunnel=\"%s\",attach=\"%s\",prefix=",
		SLOTNET_VERSION, cfg->abi_version, config_tunnel_name(cfg->tunnel),
		config_attach_name(cfg->attach));
	label_value(f, cfg->prefix);
	fputs(",pin_dir=", f);
	label_value(f, g.pin_dir);
	fputs("} 1\n", f);
	family(f, "slotnet_slots_max", "gauge", "Entries of the slot-indexed maps (--max-slots).");
	fprintf(f, "slotnet_slots_max %u\n", cfg->max_slots);
}

static void write_totals(FILE *f, const struct totals *t)
{
	family(f, "slotnet_slots", "gauge", "Slots by state.");
	for (int s = 0; s < 4; s++)
		fprintf(f, "slotnet_slots{state=\"%s\"} %llu\n", state_names[s], t->by_state[s]);
	family(f, "slotnet_packets_total", "counter",
	       "Packets through the slots' data path; tx leaves a slot, rx enters it.");
	for (int d = 0; d < 2; d++)
		fprintf(f, "slotnet_packets_total{direction=\"%s\"} %llu\n", dir_names[d],
			(unsigned long long)t->dir[d].packets);
	family(f, "slotnet_bytes_total", "counter", "Bytes through the slots' data path.");
	for (int d = 0; d < 2; d++)
		fprintf(f, "slotnet_bytes_total{direction=\"%s\"} %llu\n", dir_names[d],
			(unsigned long long)t->dir[d].bytes);
	family(f, "slotnet_drops_total", "counter", "Packets the data path dropped, by reason.");
	for (int d = 0; d < 2; d++)
		for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
			fprintf(f, "slotnet_drops_total{direction=\"%s\",reason=\"%s\"} %llu\n",
				dir_names[d], config_drop_names[r],
				(unsigned long long)t->dir[d].drops[r]);
}

static void write_records(FILE *f)
{
	struct run_record pw, ck;

	record_read("prewarm", &pw);
	record_read("check", &ck);
	if (pw.present) {
		family(f, "slotnet_prewarm_duration_seconds", "gauge", "How long the last prewarm took.");
		fprintf(f, "slotnet_prewarm_duration_seconds %.3f\n", pw.duration_s);
		family(f, "slotnet_prewarm_completion_timestamp_seconds", "gauge",
		       "When the last prewarm finished (Unix time).");
		fprintf(f, "slotnet_prewarm_completion_timestamp_seconds %.3f\n", pw.completed_s);
	}
	if (ck.present) {
		family(f, "slotnet_check_differences", "gauge",
		       "Differences from what prewarm made, found by the last check.");
		fprintf(f, "slotnet_check_differences %llu\n", ck.value[0]);
		family(f, "slotnet_check_slots_differ", "gauge",
		       "Slots with a difference, found by the last check.");
		fprintf(f, "slotnet_check_slots_differ %llu\n", ck.value[1]);
		family(f, "slotnet_check_completion_timestamp_seconds", "gauge",
		       "When the last check finished (Unix time).");
		fprintf(f, "slotnet_check_completion_timestamp_seconds %.3f\n", ck.completed_s);
	}
}

/* Per slot: its state as a 1 of its series, its counters, drops summed by direction. */
static void write_slot_families(FILE *f, const struct slotnet_counters *c, const int *state,
				unsigned n)
{
	family(f, "slotnet_slot_state", "gauge", "1 for the slot's state.");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "slotnet_slot_state{slot=\"%u\",state=\"%s\"} 1\n", i,
			state_names[state[i]]);
	family(f, "slotnet_slot_packets_total", "counter", "Packets through the slot.");
	for (unsigned i = 0; i < n; i++)
		for (int d = 0; d < 2; d++)
			fprintf(f, "slotnet_slot_packets_total{slot=\"%u\",direction=\"%s\"} %llu\n", i,
				dir_names[d],
				(unsigned long long)(d ? c[i].rx.packets : c[i].tx.packets));
	family(f, "slotnet_slot_bytes_total", "counter", "Bytes through the slot.");
	for (unsigned i = 0; i < n; i++)
		for (int d = 0; d < 2; d++)
			fprintf(f, "slotnet_slot_bytes_total{slot=\"%u\",direction=\"%s\"} %llu\n", i,
				dir_names[d], (unsigned long long)(d ? c[i].rx.bytes : c[i].tx.bytes));
	family(f, "slotnet_slot_drops_total", "counter", "Packets of the slot dropped.");
	for (unsigned i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			const struct slotnet_dir_counters *dc = d ? &c[i].rx : &c[i].tx;
			unsigned long long sum = 0;

			for (int r = 0; r < SLOTNET_DROP_REASONS; r++)
				sum += dc->drops[r];
			fprintf(f, "slotnet_slot_drops_total{slot=\"%u\",direction=\"%s\"} %llu\n", i,
				dir_names[d], sum);
		}
}

int metrics_write(FILE *f, const struct sn_maps *m, const struct slotnet_config *cfg,
		  bool per_slot)
{
	struct slotnet_counters *c = calloc(cfg->nslots, sizeof(*c));
	int *state = calloc(cfg->nslots, sizeof(*state));
	struct totals t = { 0 };
	int ret = 0;

	if (!c || !state) {
		ret = sn_err(EXIT_FAILED, "%s", strerror(ENOMEM));
		goto out;
	}
	for (unsigned i = 0; i < cfg->nslots; i++) {
		struct slotnet_slot s;
		__u32 key = i;

		if (slot_read(m, i, &s) < 0 || bpf_map_lookup_elem(m->counters, &key, &c[i]) < 0) {
			ret = sn_err(EXIT_FAILED, "slot %u: reading the maps: %s", i, strerror(errno));
			goto out;
		}
		state[i] = slot_state_index(m, i, &s);
		t.by_state[state[i]]++;
		add_dir(&t.dir[0], &c[i].tx);
		add_dir(&t.dir[1], &c[i].rx);
	}
	write_info(f, cfg);
	write_totals(f, &t);
	write_records(f);
	if (per_slot)
		write_slot_families(f, c, state, cfg->nslots);
out:
	free(c);
	free(state);
	return ret;
}
