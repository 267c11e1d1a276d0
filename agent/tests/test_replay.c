// SPDX-License-Identifier: GPL-2.0
/*
 * The replay window (core/replay.h): per (sender, link), the sliding
 * window's edges, reordering, jumps, and the bounded table's eviction.
 */
#include "replay.h"
#include "tap.h"

/* One message and the verdict it must get. */
struct step {
	uint32_t node, link;
	uint64_t seq, now;
	enum xm_replay_verdict want;
	const char *name;
};

static void steps(struct xm_replay *r, const struct step *s, size_t n)
{
	for (; n; n--, s++)
		is_int(xm_replay_check(r, s->node, s->link, s->seq, s->now),
		       s->want, s->name);
}

#define STEPS(r, table) steps(r, table, sizeof(table) / sizeof(table[0]))

static void window(void)
{
	static const struct step first[] = {
		{ 7, 1, 100, 1, XM_REPLAY_NEW, "replay: first" },
		{ 7, 1, 100, 2, XM_REPLAY_SEEN,
		  "replay: same sequence refused" },
		{ 7, 1, 105, 3, XM_REPLAY_NEW, "replay: higher accepted" },
		{ 7, 1, 103, 4, XM_REPLAY_NEW,
		  "replay: reordered within the window accepted" },
		{ 7, 1, 103, 5, XM_REPLAY_SEEN, "replay: ... once" },
		{ 7, 1, 105 + 63, 6, XM_REPLAY_NEW, "replay: jump by 63" },
		{ 7, 1, 105, 7, XM_REPLAY_SEEN,
		  "replay: bottom of the window, seen" },
		{ 7, 1, 104, 7, XM_REPLAY_SEEN,
		  "replay: below the window refused" },
		{ 7, 1, 106, 7, XM_REPLAY_NEW,
		  "replay: unseen in the window accepted" },
	}, jump[] = {
		{ 7, 1, 1000, 9, XM_REPLAY_NEW, "replay: far ahead accepted" },
		{ 7, 1, 999, 9, XM_REPLAY_NEW,
		  "replay: window reset by the jump, one below accepted" },
	};
	struct xm_replay r;
	int seen = 0, i;

	xm_replay_init(&r, 3);
	STEPS(&r, first);
	for (i = 0; i < 64; i++)
		xm_replay_check(&r, 7, 1, 168 - (uint64_t)i, 8);
	for (i = 0; i < 64; i++)
		seen += xm_replay_check(&r, 7, 1, 168 - (uint64_t)i, 8) ==
			XM_REPLAY_SEEN;
	is_int(seen, 64, "replay: the whole window seen, each once");
	STEPS(&r, jump);
	xm_replay_free(&r);
}

static void per_link(void)
{
	static const struct step late[] = {
		{ 7, 2, 990, 2, XM_REPLAY_NEW,
		  "per link: link 2 has its own window" },
		{ 7, 2, 989, 2, XM_REPLAY_NEW,
		  "per link: a late message on link 2 accepted" },
		{ 7, 1, 989, 2, XM_REPLAY_SEEN,
		  "per link: ... which on link 1 is below the window" },
		{ 7, 2, 990, 3, XM_REPLAY_SEEN,
		  "per link: link 2's own replays refused" },
		{ 8, 1, 990, 3, XM_REPLAY_NEW,
		  "per link: another sender on link 1 has its own" },
	};
	struct xm_replay r;
	int i;

	xm_replay_init(&r, 8);
	/* One sender, one counter, two links: a burst of 100 on link 1... */
	for (i = 0; i < 100; i++)
		xm_replay_check(&r, 7, 1, 1000 + (uint64_t)i, 1);
	/* ... does not push link 2's late message out of its window. */
	STEPS(&r, late);
	xm_replay_free(&r);
}

static void eviction(void)
{
	static const struct step evict[] = {
		{ 7, 1, 1, 1, XM_REPLAY_NEW, "evict: 7/1" },
		{ 8, 1, 1, 2, XM_REPLAY_NEW, "evict: 8/1" },
		{ 7, 2, 1, 3, XM_REPLAY_NEW, "evict: 7/2" },
		{ 9, 1, 1, 4, XM_REPLAY_EVICTED,
		  "evict: table full, least recent evicted" },
		{ 8, 1, 1, 5, XM_REPLAY_SEEN, "evict: 8/1 still known" },
		{ 7, 2, 1, 6, XM_REPLAY_SEEN, "evict: 7/2 still known" },
		{ 7, 1, 1, 7, XM_REPLAY_EVICTED,
		  "evict: 7/1 was the one forgotten (accepted once more)" },
	};
	struct xm_replay r;

	xm_replay_init(&r, 3);
	STEPS(&r, evict);
	xm_replay_free(&r);
}

int main(void)
{
	window();
	per_link();
	eviction();
	return tap_done();
}
