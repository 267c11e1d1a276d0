/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay protection of authenticated messages: per sender node id, the
 * highest sequence number accepted and a window of the 64 below it
 * (RFC 4303's sliding window). A message is accepted once; one older than
 * the window is refused. The table is bounded: when full, the sender
 * heard from least recently is forgotten (its old messages could then be
 * replayed once, which only a key holder's traffic makes possible).
 */
#ifndef XM_REPLAY_H
#define XM_REPLAY_H

#include "core.h"

#define XM_REPLAY_WINDOW	64

struct xm_replay_entry {
	uint32_t node;
	uint64_t top;		/* highest sequence accepted */
	uint64_t seen;		/* bit i: top - i accepted (bit 0: top) */
	xm_time last;		/* last accepted, for eviction */
};

struct xm_replay {
	struct xm_replay_entry *e;	/* sorted by node */
	size_t n, max;
};

/* 0 or -ENOMEM. */
int xm_replay_init(struct xm_replay *r, size_t max);
void xm_replay_free(struct xm_replay *r);

enum xm_replay_verdict {
	XM_REPLAY_NEW,		/* accepted and recorded */
	XM_REPLAY_EVICTED,	/* accepted; another sender was forgotten */
	XM_REPLAY_SEEN,		/* refused: seen already, or too old */
};

enum xm_replay_verdict xm_replay_check(struct xm_replay *r, uint32_t node,
				       uint64_t seq, xm_time now);
/* Forget a sender (its restart is then accepted whatever its numbers). */
void xm_replay_forget(struct xm_replay *r, uint32_t node);

#endif /* XM_REPLAY_H */
