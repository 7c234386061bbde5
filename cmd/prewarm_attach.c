// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * How the data-path programs sit on the root-side veths: clsact qdiscs on
 * the two shared filter blocks, or tcx links pinned per veth; and the
 * repairs that switch every slot to the pinned programs.
 */
#include "config.h"
#include "prewarm_priv.h"
#include "lock.h"
#include "netns.h"
#include "nl.h"
#include "opts.h"
#include "parse.h"
#include "pool.h"
#include "rt.h"
#include "ruleset.h"
#include "slot.h"
#include "slotnet.h"
#include "state.h"
#include "out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* One tcx link per direction, pinned: a link lives as long as its pin or its device. */
static int attach_tcx(struct prewarm *p, unsigned i, const char *name)
{
	const int progs[2] = { p->progs.from_slot, p->progs.to_slot };
	const enum bpf_attach_type types[2] = { BPF_TCX_INGRESS, BPF_TCX_EGRESS };
	char path[PATH_MAX];

	for (int egress = 0; egress < 2; egress++) {
		int fd = bpf_link_create(progs[egress], p->root_ifindex[i], types[egress], NULL);

		if (fd < 0)
			return slot_failed(i, egress ? "attaching to_slot" : "attaching from_slot",
					   errno, NULL);
		link_pin_path(path, g.pin_dir, name, egress);
		if (bpf_obj_pin(fd, path) < 0) {
			close(fd);
			return slot_failed(i, "pinning its tcx link", errno, NULL);
		}
		close(fd);
	}
	return 0;
}

/*
 * Before the root veth comes up, so no packet ever passes it unseen: the
 * slot's map entries (the programs find the slot by ifindex), then, with
 * tcx, its links.  With tc, wire_root queues the qdisc.
 */
int attach_chunk(struct prewarm *p, const unsigned *slots, unsigned n)
{
	char name[SLOT_NAME_LEN];

	for (unsigned k = 0; k < n; k++) {
		unsigned i = slots[k];
		const struct slotnet_slot s = {
			.ifindex = p->root_ifindex[i],
			.outside_be = cidr_host(p->cfg.outside_be, p->cfg.outside_plen, i),
			.dummy_vni = p->cfg.dummy_vni_base + i,
		};
		int ret;

		if (slot_register(&p->maps, i, &s) < 0)
			return slot_failed(i, "registering its veth for the data path", errno, NULL);
		slot_name(name, &p->cfg, i);
		if (p->cfg.attach == SLOTNET_ATTACH_TCX && (ret = attach_tcx(p, i, name)))
			return ret;
	}
	return 0;
}

/*
 * The shared blocks' one filter each: PROGS, replacing whatever is there
 * (same handle and priority: the kernel swaps the filter, no packet passes
 * unseen).
 */
static void queue_block_filters(struct prewarm *p, struct rt_batch *b, const struct sn_progs *progs)
{
	rt_set_block_filter(b, config_tc_block(&p->cfg, false), progs->from_slot, "from_slot",
			    "setting the shared ingress filter", -1);
	rt_set_block_filter(b, config_tc_block(&p->cfg, true), progs->to_slot, "to_slot",
			    "setting the shared egress filter", -1);
}

int switch_tc_filters(struct prewarm *p, const struct sn_progs *progs)
{
	struct rt_batch *b = rt_batch_new(p->root_nl, NULL, NULL);
	int ret;

	if (!b)
		return sn_err(EXIT_FAILED, "%s", strerror(errno));
	queue_block_filters(p, b, progs);
	ret = commit_root(b);
	rt_batch_free(b);
	return ret;
}

/* A clsact qdisc on the shared blocks; the first one of a batch also (re)sets their filters. */
void queue_tc_attach(struct prewarm *p, struct rt_batch *b, unsigned i, int ifindex,
			    bool first)
{
	rt_add_clsact(b, ifindex, config_tc_block(&p->cfg, false), config_tc_block(&p->cfg, true),
		      "adding the clsact qdisc", i);
	if (first)
		queue_block_filters(p, b, &p->progs);
}

/*
 * With tc, a slot's traffic depends on its veth's clsact qdisc and on the
 * two shared filters: every run puts back whichever is missing (removed by
 * hand, or a run that died between the qdiscs and the filters), since a
 * veth without them would pass traffic untouched.
 */
int refresh_tc_attach(struct prewarm *p)
{
	struct rt_batch *b;
	int ret;

	if (p->cfg.attach != SLOTNET_ATTACH_TC)
		return 0;
	b = rt_batch_new(p->root_nl, NULL, NULL);
	if (!b)
		return sn_err(EXIT_FAILED, "%s", strerror(errno));
	rt_batch_tolerate(b, EEXIST); /* before queuing: a full batch is sent on the way */
	for (unsigned i = 0; i < p->cfg.nslots; i++)
		rt_add_clsact(b, p->root_ifindex[i], config_tc_block(&p->cfg, false),
			      config_tc_block(&p->cfg, true), "adding the clsact qdisc", i);
	queue_block_filters(p, b, &p->progs);
	ret = commit_root(b);
	rt_batch_free(b);
	return ret;
}

static int link_prog_id(int link_fd, __u32 *id)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_link_get_info_by_fd(link_fd, &info, &len) < 0)
		return -1;
	*id = info.prog_id;
	return 0;
}

int switch_tcx_links(struct prewarm *p, const struct sn_progs *to, unsigned nslots,
		     bool missing_ok)
{
	const int progs[2] = { to->from_slot, to->to_slot };
	char name[SLOT_NAME_LEN], path[PATH_MAX];
	__u32 want[2], have = 0;
	unsigned switched = 0;

	for (int egress = 0; egress < 2; egress++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_prog_get_info_by_fd(progs[egress], &info, &len) < 0)
			return sn_err(EXIT_FAILED, "reading the programs: %s", strerror(errno));
		want[egress] = info.id;
	}
	for (unsigned i = 0; i < nslots; i++) {
		slot_name(name, &p->cfg, i);
		for (int egress = 0; egress < 2; egress++) {
			int fd, ret = 0;

			link_pin_path(path, g.pin_dir, name, egress);
			fd = bpf_obj_get(path);
			if (fd < 0 && errno == ENOENT && missing_ok)
				continue;
			if (fd < 0)
				return slot_failed(i, "opening its tcx link", errno, NULL);
			if (link_prog_id(fd, &have) < 0 ||
			    (have != want[egress] && bpf_link_update(fd, progs[egress], NULL) < 0))
				ret = errno;
			/* A link whose veth is gone runs nothing: prewarm makes the slot again. */
			if (ret == ENOLINK && missing_ok)
				ret = 0;
			else if (ret)
				ret = slot_failed(i, "switching its tcx link to the pinned program",
						  ret, NULL);
			switched += !ret && have != want[egress];
			close(fd);
			if (ret)
				return ret;
		}
	}
	if (switched)
		sn_info("switched %u tcx links to the pinned programs", switched);
	return 0;
}

/* With tcx, every slot's links must hold the pinned programs: switch those that do not. */
int refresh_tcx_links(struct prewarm *p)
{
	if (p->cfg.attach != SLOTNET_ATTACH_TCX)
		return 0;
	return switch_tcx_links(p, &p->progs, p->cfg.nslots, false);
}
