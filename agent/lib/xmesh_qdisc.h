/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The class-aware queueing tree xmesh keeps on an underlay link, through
 * libnl-route. Packets queue where the bottleneck is, at the underlay's
 * egress (transit frames never pass xmesh0's transmit), so that is where
 * the classes must be scheduled:
 *
 *   shaped (a link rate):  htb 7800: -- class 7800:1 at the rate
 *                                          `-- prio 7801: (below)
 *   under a tbf root:      tbf -- prio 7801: (the tbf shapes)
 *   under a netem root:    netem -- prio 7801: (after its delay, loss)
 *   a default root (pfifo_fast, fq_codel, noqueue...) or none:
 *                          prio 7801: at the root
 *   any other root qdisc:  left alone (-EBUSY): the operator's
 *
 *   prio 7801: bands 1..4 = network-control, realtime, interactive,
 *   bulk, by skb->priority (the module sets TC_PRIO_CONTROL,
 *   _INTERACTIVE, _INTERACTIVE_BULK, _BESTEFFORT), an fq_codel in each.
 *
 * Strict priority is safe because the classes above bulk are policed by
 * the module's rate caps; fq_codel keeps each band's queue short.
 */
#ifndef XMESH_QDISC_H
#define XMESH_QDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XMQ_HANDLE_SHAPER	0x78000000u	/* 7800: htb */
#define XMQ_HANDLE_PRIO		0x78010000u	/* 7801: prio */
#define XMQ_BANDS		4

/* One band (traffic class) of a link's tree. */
struct xmq_band {
	uint8_t tclass;			/* enum xmesh_tclass */
	uint64_t packets, bytes, drops, overlimits;
	uint32_t qlen, backlog;		/* packets and bytes queued now */
};

struct xmq_tree {
	bool installed;			/* the prio is there */
	bool shaped;			/* under xmesh's htb */
	bool under_tbf;			/* under someone else's tbf */
	uint64_t rate;			/* htb rate, bytes/s; 0 not shaped */
	struct xmq_band band[XMQ_BANDS];	/* by band: control first */
};

/*
 * Install or update the tree on ifindex: shaped to rate bytes/s, or not
 * (0). Idempotent: an unchanged tree is left alone (its counters too).
 * Returns 0 or a negative errno; msg (may be NULL) gets a reason.
 */
int xmq_install(uint32_t ifindex, uint64_t rate, char *msg, size_t len);
/* Remove it: the link gets its default root qdisc back (a tbf root,
 * which the tree was under, the bfifo of its limit). 0 if there was none. */
int xmq_remove(uint32_t ifindex, char *msg, size_t len);
/* Read the tree of ifindex; tree->installed false if there is none. */
int xmq_read(uint32_t ifindex, struct xmq_tree *tree);

/* The priomap: band (0-based) of each skb->priority 0..15. */
void xmq_priomap(uint8_t map[16]);

#endif /* XMESH_QDISC_H */
