/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay protection of authenticated messages: per (sender node id, link
 * the message came in on), the highest sequence number accepted and a
 * window of the 64 below it (RFC 4303's sliding window). A message is
 * accepted once; one older than the window is refused.
 *
 * Per link and not per sender: a sender numbers its messages with one
 * counter for all its links, and a burst on one link (an LSU flood) must
 * not push the other link's late messages out of a shared window. A
 * message captured on one link and replayed on another is still refused
 * there by the message's own freshness: it is below what that link saw
 * (or, on a link that never heard the sender, its first message, which
 * hellos make harmless).
 *
 * The table is bounded: when full, the entry heard from least recently is
 * forgotten (its old messages could then be replayed once, which only a
 * key holder's traffic makes possible). Entries are never forgotten
 * otherwise: forgetting one would reopen its window to replays.
 */
#ifndef XM_REPLAY_H
#define XM_REPLAY_H

#include "core.h"

#define XM_REPLAY_WINDOW	64

struct xm_replay_entry {
	uint64_t key;		/* node << 32 | ifindex */
	uint64_t top;		/* highest sequence accepted */
	uint64_t seen;		/* bit i: top - i accepted (bit 0: top) */
	xm_time last;		/* last accepted, for eviction */
};

struct xm_replay {
	struct xm_replay_entry *e;	/* sorted by key */
	size_t n, max;
};

/* 0 or -ENOMEM. */
int xm_replay_init(struct xm_replay *r, size_t max);
void xm_replay_free(struct xm_replay *r);

enum xm_replay_verdict {
	XM_REPLAY_NEW,		/* accepted and recorded */
	XM_REPLAY_EVICTED,	/* accepted; another entry was forgotten */
	XM_REPLAY_SEEN,		/* refused: seen already, or too old */
};

/* Check and record seq from node, received on link ifindex. */
enum xm_replay_verdict xm_replay_check(struct xm_replay *r, uint32_t node,
				       uint32_t ifindex, uint64_t seq,
				       xm_time now);

#endif /* XM_REPLAY_H */
