/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to a device's tables, sent in as few round trips as possible.
 *
 * Consecutive changes of the same kind (same command, flags and device)
 * can share one message: the kernel validates a message whole and applies
 * all of it or none, and its extack offset names the entry it refused,
 * which xm_change_at() maps back to a change.
 */
#ifndef XMESH_CHANGE_H
#define XMESH_CHANGE_H

#include <errno.h>
#include <sys/types.h>

#include "xmesh_nl.h"

#define XM_NOT_SENT	(-ECANCELED)	/* change not applied: never tried */
#define XM_MSG_MAX	(32 * 1024)	/* bytes per merged message */

struct xm_change {
	uint8_t cmd;		/* XMESH_CMD_{NEIGH,ROUTE,PREFIX,KEY}_{NEW,DEL},
				   XMESH_CMD_NEIGH_SET, XMESH_CMD_DEV_SET */
	bool replace;		/* *_NEW: replace existing entries
				   (XMESH_A_REPLACE) */
	bool flush;		/* *_DEL: every entry (XMESH_A_FLUSH) */
	uint32_t ifindex;	/* the xmesh device: ifindex if not 0, */
	char ifname[IF_NAMESIZE];	/* else its name */
	struct xm_entry e;	/* the entry; e.type 0 for a flush */
	unsigned long tag;	/* the caller's, e.g. a batch line number */
	int err;		/* out: 0 applied, -errno, or XM_NOT_SENT */
	/* Where xm_changes_build() put it: */
	size_t msg;		/* message index in the batch */
	uint32_t off, end;	/* its nest, as offsets in that message */
};

/*
 * Reset b and build requests for c[0..n) into it, each with NLM_F_ACK.
 * With merge, compatible consecutive changes share a message of at most
 * XM_MSG_MAX bytes; without, each gets its own. At most max_msgs
 * messages. Returns how many changes went in (> 0), or -EMSGSIZE when
 * not even the first fits.
 */
ssize_t xm_changes_build(struct nlc_batch *b, uint16_t family,
			 struct xm_change *c, size_t n, bool merge,
			 size_t max_msgs);

/* The change of c[0..n) whose nest in message msg holds offset off (an
 * extack offset); n if the offset is outside every nest. */
size_t xm_change_at(const struct xm_change *c, size_t n, size_t msg,
		    uint32_t off);

enum xm_apply_mode {
	/*
	 * Like "ip -batch": stop at the first change that fails; the changes
	 * before it are applied, those after it are not (XM_NOT_SENT). One
	 * round trip per run of compatible changes, more only on failure.
	 */
	XM_APPLY_STOP,
	/* Try every change on its own and report each failure ("-force"):
	 * NLC_BATCH_MSGS changes per round trip. */
	XM_APPLY_EACH,
	/* Merge runs and send them all at once (an agent's table diff): a
	 * failed run is not applied, the others are. */
	XM_APPLY_MERGED,
};

/* A failure: c is the change the kernel refused, or the first of count
 * changes sent in one message when it did not say which. */
typedef void (*xm_apply_cb)(const struct xm_change *c, size_t count,
			    const struct nlc_error *e, void *data);

/* Apply c[0..n); sets each c[i].err. Returns 0 or the first error. */
int xmnl_apply(struct xmnl *h, struct xm_change *c, size_t n,
	       enum xm_apply_mode mode, xm_apply_cb cb, void *data);

#endif /* XMESH_CHANGE_H */
