// SPDX-License-Identifier: GPL-2.0
/* The per-(sender, link) sliding replay window (replay.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

int xm_replay_init(struct xm_replay *r, size_t max)
{
	r->n = 0;
	r->max = max ? max : 1;
	r->e = calloc(r->max, sizeof(*r->e));
	return r->e ? 0 : -ENOMEM;
}

void xm_replay_free(struct xm_replay *r)
{
	free(r->e);
	r->e = NULL;
	r->n = 0;
}

/* Index of key, or where it would go. */
static size_t find(const struct xm_replay *r, uint64_t key)
{
	size_t lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void remove_at(struct xm_replay *r, size_t i)
{
	memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(*r->e));
	r->n--;
}

static size_t least_recent(const struct xm_replay *r)
{
	size_t i, best = 0;

	for (i = 1; i < r->n; i++)
		if (r->e[i].last < r->e[best].last)
			best = i;
	return best;
}

enum xm_replay_verdict xm_replay_check(struct xm_replay *r, uint32_t node,
				       uint32_t ifindex, uint64_t seq,
				       xm_time now)
{
	uint64_t key = (uint64_t)node << 32 | ifindex;
	enum xm_replay_verdict v = XM_REPLAY_NEW;
	size_t i = find(r, key);
	struct xm_replay_entry *e;
	uint64_t d;

	if (i == r->n || r->e[i].key != key) {
		if (r->n == r->max) {
			remove_at(r, least_recent(r));
			v = XM_REPLAY_EVICTED;
			i = find(r, key);
		}
		memmove(&r->e[i + 1], &r->e[i], (r->n - i) * sizeof(*r->e));
		r->n++;
		r->e[i] = (struct xm_replay_entry){
			.key = key, .top = seq, .seen = 1, .last = now,
		};
		return v;
	}
	e = &r->e[i];
	if (seq > e->top) {
		d = seq - e->top;
		e->seen = d >= XM_REPLAY_WINDOW ? 0 : e->seen << d;
		e->seen |= 1;
		e->top = seq;
	} else {
		d = e->top - seq;
		if (d >= XM_REPLAY_WINDOW || e->seen & (1ull << d))
			return XM_REPLAY_SEEN;
		e->seen |= 1ull << d;
	}
	e->last = now;
	return v;
}
