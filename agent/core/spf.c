// SPDX-License-Identifier: GPL-2.0
/*
 * Shortest paths: Dijkstra on an indexed binary heap. Without a hop bound
 * a state is a node; with one it is a (node, hops) pair, since the least
 * cost path of at most H hops to a node may continue from a costlier,
 * shorter path to its predecessor. Ties go to fewer hops; equal-cost
 * paths merge their first hops (ECMP). The runs the alternates need by
 * the dozen (costs only, no bound) use a bucket queue instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

#define HEAP_OUT	UINT32_MAX		/* never queued */
#define HEAP_DONE	(UINT32_MAX - 1)	/* popped: final */
#define NO_HOPS		UINT16_MAX

int xm_spf_bound(const struct xm_graph *g, int bound)
{
	/* A least-cost path is simple: it never has more than n - 1 hops. */
	if (bound < 0 || (uint32_t)bound + 1 >= g->n_nodes)
		return XM_SPF_UNBOUNDED;
	return bound;
}

int xm_spf_ws_init(struct xm_spf_ws *w, uint32_t n, uint32_t layers)
{
	size_t states = (size_t)n * layers;

	memset(w, 0, sizeof(*w));
	if (states > UINT32_MAX - 2)
		return -E2BIG;
	w->n = n;
	w->layers = layers;
	w->scost = malloc(states * sizeof(*w->scost) + 1);
	w->spar = malloc(states * sizeof(*w->spar) + 1);
	w->sfh = malloc(states * sizeof(*w->sfh) + 1);
	w->shops = malloc(states + 1);
	w->pos = malloc(states * sizeof(*w->pos) + 1);
	w->heap = malloc(states * sizeof(*w->heap) + 1);
	w->last_cost = malloc(n * sizeof(*w->last_cost) + 1);
	w->hmin_below = malloc(n * sizeof(*w->hmin_below) + 1);
	w->hmin_at = malloc(n * sizeof(*w->hmin_at) + 1);
	if (!w->scost || !w->spar || !w->sfh || !w->shops || !w->pos ||
	    !w->heap || !w->last_cost || !w->hmin_below || !w->hmin_at) {
		xm_spf_ws_free(w);
		return -ENOMEM;
	}
	return 0;
}

void xm_spf_ws_free(struct xm_spf_ws *w)
{
	free(w->scost);
	free(w->spar);
	free(w->sfh);
	free(w->shops);
	free(w->pos);
	free(w->heap);
	free(w->last_cost);
	free(w->hmin_below);
	free(w->hmin_at);
	free(w->qnext);
	free(w->qprev);
	free(w->qhead);
	free(w->qstate);
	free(w->qbits);
	free(w->far);
	memset(w, 0, sizeof(*w));
}

/* Heap order: cost, then hops. */
static inline uint64_t key(const struct xm_spf_ws *w, uint32_t s)
{
	return (uint64_t)w->scost[s] << 8 | w->shops[s];
}

static void heap_up(struct xm_spf_ws *w, uint32_t i)
{
	struct xm_heap_slot x = w->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (w->heap[p].key <= x.key)
			break;
		w->heap[i] = w->heap[p];
		w->pos[w->heap[i].s] = i;
		i = p;
	}
	w->heap[i] = x;
	w->pos[x.s] = i;
}

static void heap_down(struct xm_spf_ws *w, uint32_t i)
{
	struct xm_heap_slot x = w->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= w->n_heap)
			break;
		if (c + 1 < w->n_heap && w->heap[c + 1].key < w->heap[c].key)
			c++;
		if (x.key <= w->heap[c].key)
			break;
		w->heap[i] = w->heap[c];
		w->pos[w->heap[i].s] = i;
		i = c;
	}
	w->heap[i] = x;
	w->pos[x.s] = i;
}

/* Queue s, or move it up after its key went down. */
static void heap_update(struct xm_spf_ws *w, uint32_t s)
{
	if (w->pos[s] == HEAP_OUT)
		w->pos[s] = w->n_heap++;
	w->heap[w->pos[s]] = (struct xm_heap_slot){ .key = key(w, s), .s = s };
	heap_up(w, w->pos[s]);
}

static uint32_t heap_pop(struct xm_spf_ws *w)
{
	uint32_t s = w->heap[0].s;

	w->pos[s] = HEAP_DONE;
	if (--w->n_heap) {
		w->heap[0] = w->heap[w->n_heap];
		heap_down(w, 0);
	}
	return s;
}

/*
 * Under a bound, popping (v, h) at cost c is useless when v was already
 * popped with fewer or as many hops at a lower cost: every extension of
 * it is matched, cheaper and shorter. States of equal cost stay, as their
 * first hops are equally good.
 */
static bool dominated(struct xm_spf_ws *w, uint32_t v, uint32_t c,
		      uint16_t h)
{
	if (w->hmin_at[v] != NO_HOPS && c > w->last_cost[v]) {
		if (w->hmin_at[v] < w->hmin_below[v])
			w->hmin_below[v] = w->hmin_at[v];
		w->hmin_at[v] = NO_HOPS;
	}
	w->last_cost[v] = c;
	if (w->hmin_below[v] <= h)
		return true;
	if (h < w->hmin_at[v])
		w->hmin_at[v] = h;
	return false;
}

void xm_spf_engine(const struct xm_graph *g, uint32_t root, int bound,
		   struct xm_spf_ws *w, uint32_t *cost, uint8_t *hops,
		   uint32_t *parent, uint64_t *first_hops)
{
	uint32_t n = g->n_nodes, layers = xm_spf_layers(bound), v, s, i;
	size_t states = (size_t)n * layers;
	bool bounded = bound >= 0;

	for (s = 0; s < states; s++) {
		w->scost[s] = XM_COST_INF;
		w->pos[s] = HEAP_OUT;
	}
	if (bounded) {
		for (v = 0; v < n; v++) {
			w->hmin_below[v] = NO_HOPS;
			w->hmin_at[v] = NO_HOPS;
		}
	}
	for (v = 0; v < n; v++) {
		cost[v] = XM_COST_INF;
		if (hops)
			hops[v] = 0;
		if (parent)
			parent[v] = UINT32_MAX;
		if (first_hops)
			first_hops[v] = 0;
	}
	if (root >= n)
		return;

	w->n_heap = 0;
	s = root * layers;
	w->scost[s] = 0;
	w->shops[s] = 0;
	w->spar[s] = s;
	w->sfh[s] = 0;
	heap_update(w, s);

	while (w->n_heap) {
		const struct xm_gnode *gv;
		uint32_t c;
		uint8_t h;

		s = heap_pop(w);
		v = s / layers;
		c = w->scost[s];
		h = w->shops[s];
		if (bounded && dominated(w, v, c, h))
			continue;
		if (cost[v] == XM_COST_INF) {
			/* The first pop of v: its least cost, fewest hops. */
			cost[v] = c;
			if (hops)
				hops[v] = h;
			if (parent)
				parent[v] = w->spar[s] / layers;
		}
		if (first_hops && c == cost[v])
			first_hops[v] |= w->sfh[s];

		gv = &g->node[v];
		if (v != root && gv->no_transit)
			continue;	/* a destination, never a way through */
		if (bounded && h >= bound)
			continue;
		for (i = 0; i < gv->n_edges; i++) {
			const struct xm_gedge *e = &g->edge[gv->first_edge + i];
			uint32_t nc, t;
			uint64_t fh;
			uint8_t nh;

			if (e->to >= n)
				continue;
			nc = xm_cost_add(c, e->metric ? e->metric : 1);
			nh = h < UINT8_MAX ? h + 1 : UINT8_MAX;
			t = bounded ? e->to * layers + nh : e->to;
			if (w->pos[t] == HEAP_DONE)
				continue;
			fh = v == root ? (i < 64 ? 1ull << i : 0) : w->sfh[s];
			if (nc < w->scost[t] ||
			    (nc == w->scost[t] && nh < w->shops[t])) {
				w->sfh[t] = nc < w->scost[t] ? fh :
					    w->sfh[t] | fh;
				w->scost[t] = nc;
				w->shops[t] = nh;
				w->spar[t] = s;
				heap_update(w, t);
			} else if (nc == w->scost[t]) {
				w->sfh[t] |= fh;
			}
		}
	}
}

/*
 * The costs-only runs: Dijkstra on a bucket queue (Dial; Dinitz's width).
 * A bucket holds the costs [b << q_shift, (b + 1) << q_shift), with
 * 1 << q_shift at most the least metric: an edge out of bucket b lands in
 * a later one, so every node of the least non-empty bucket is final and
 * they are expanded in any order, with no comparison. The buckets form a
 * circular window of q_window from the current one, enough for the
 * largest metric up to Q_WINDOW_MAX; a cost beyond it (a rare huge
 * metric) waits in a binary heap and enters the window when the window
 * reaches it. A node in a bucket is in its doubly linked list: a better
 * cost moves it. Invariants: every bucket in the window lies in
 * [cur, cur + q_window), every cost in the heap lies beyond (stale
 * entries included, which are dropped as they come out), and a bit of
 * qbits is set for each non-empty bucket, to find the next one in a few
 * words however sparse the window.
 *
 * The warm start (xm_spf_costs_below()): U >= d, the least costs, and U
 * is closed along the edges, U(t) <= U(v) + metric(v, t) out of a transit
 * v. If a node Y has d(Y) = U(Y), every X with a least-cost path through
 * Y has d(X) = d(Y) + d(Y, X) >= U(X) (closed along that path), so
 * d(X) = U(X) too. Hence every node of a least-cost path to a node with
 * d < U has d < U as well: the nodes beating their bound are settled
 * among themselves, as from a cold start, each queued when its best
 * predecessor is expanded; the others are never queued, never expanded,
 * and their bound is their least cost. Labels only fall on a strict
 * gain, so a node with d = U is never queued (test_spf_alternates checks
 * both ways). For the alternates, U(D) = metric(N, X) + d(X, D) over the
 * first hops X whose costs are known (S, and neighbors done before N):
 * the nodes never queued are those with a least-cost path from N through
 * such an X; through S, those inequality 1 refuses N for.
 */
#define Q_NONE		UINT32_MAX
#define Q_WINDOW_MIN	64		/* one word of qbits */
#define Q_WINDOW_MAX	4096

int xm_spf_costs_init(struct xm_spf_ws *w, const struct xm_graph *g)
{
	uint32_t n = g->n_nodes, lo = UINT32_MAX, hi = 1, window, e;
	size_t far = (size_t)g->n_edges + 1;

	for (e = 0; e < g->n_edges; e++) {
		uint32_t m = g->edge[e].metric ? g->edge[e].metric : 1;

		lo = m < lo ? m : lo;
		hi = m > hi ? m : hi;
	}
	w->q_shift = 0;
	while (lo != UINT32_MAX && (2u << w->q_shift) <= lo)
		w->q_shift++;
	/* From bucket b, a metric m reaches b + (m >> shift) + 1 at most. */
	for (window = Q_WINDOW_MIN;
	     window - 2 < (hi >> w->q_shift) && window < Q_WINDOW_MAX;
	     window <<= 1)
		;
	if (w->q_nodes < n || w->q_window != window || w->far_cap < far) {
		free(w->qnext);
		free(w->qprev);
		free(w->qstate);
		free(w->qhead);
		free(w->qbits);
		free(w->far);
		w->qnext = malloc(n * sizeof(*w->qnext) + 1);
		w->qprev = malloc(n * sizeof(*w->qprev) + 1);
		w->qstate = malloc(n + 1);
		w->qhead = malloc(window * sizeof(*w->qhead));
		w->qbits = calloc(window / 64, sizeof(*w->qbits));
		w->far = malloc(far * sizeof(*w->far));
		if (!w->qnext || !w->qprev || !w->qstate || !w->qhead ||
		    !w->qbits || !w->far) {
			w->q_nodes = w->q_window = w->far_cap = 0;
			return -ENOMEM;
		}
		/* A run leaves every bucket empty again. */
		memset(w->qhead, 0xff, window * sizeof(*w->qhead));
		w->q_nodes = n;
		w->q_window = window;
		w->far_cap = (uint32_t)far;
	}
	return 0;
}

static inline void q_link(struct xm_spf_ws *w, uint32_t v, uint32_t slot)
{
	uint32_t h = w->qhead[slot];

	w->qnext[v] = h;
	w->qprev[v] = Q_NONE;
	if (h != Q_NONE)
		w->qprev[h] = v;
	else
		w->qbits[slot / 64] |= 1ull << (slot % 64);
	w->qhead[slot] = v;
}

static inline void q_unlink(struct xm_spf_ws *w, uint32_t v, uint32_t slot)
{
	uint32_t p = w->qprev[v], x = w->qnext[v];

	if (p != Q_NONE)
		w->qnext[p] = x;
	else if ((w->qhead[slot] = x) == Q_NONE)
		w->qbits[slot / 64] &= ~(1ull << (slot % 64));
	if (x != Q_NONE)
		w->qprev[x] = p;
}

static void far_push(struct xm_spf_ws *w, uint32_t cost, uint32_t v)
{
	uint32_t i = w->n_far++;

	while (i > 0 && w->far[(i - 1) / 2].cost > cost) {
		w->far[i] = w->far[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->far[i] = (struct xm_spf_far){ .cost = cost, .node = v };
}

static struct xm_spf_far far_pop(struct xm_spf_ws *w)
{
	struct xm_spf_far top = w->far[0], x = w->far[--w->n_far];
	uint32_t i = 0, c;

	while ((c = 2 * i + 1) < w->n_far) {
		if (c + 1 < w->n_far && w->far[c + 1].cost < w->far[c].cost)
			c++;
		if (x.cost <= w->far[c].cost)
			break;
		w->far[i] = w->far[c];
		i = c;
	}
	w->far[i] = x;
	return top;
}

/* Does the heap's top still stand for its node (not moved since)? */
static bool far_live(const struct xm_spf_ws *w, const uint32_t *cost)
{
	uint32_t v = w->far[0].node;

	return w->qstate[v] == XM_SPF_Q_FAR && cost[v] == w->far[0].cost;
}

/* Into the window, the heap's costs that it now reaches from cur. */
static uint32_t far_enter(struct xm_spf_ws *w, const uint32_t *cost,
			  uint32_t cur)
{
	uint32_t added = 0;

	while (w->n_far &&
	       (w->far[0].cost >> w->q_shift) - cur < w->q_window) {
		bool live = far_live(w, cost);
		struct xm_spf_far x = far_pop(w);

		if (!live)
			continue;
		w->qstate[x.node] = XM_SPF_Q_WINDOW;
		q_link(w, x.node, (x.cost >> w->q_shift) & (w->q_window - 1));
		added++;
	}
	return added;
}

/* The slot of the next non-empty bucket from slot s on, circularly. */
static inline uint32_t q_next_slot(const struct xm_spf_ws *w, uint32_t s)
{
	uint32_t words = w->q_window / 64, i = s / 64;
	uint64_t bits = w->qbits[i] & (~0ull << (s % 64));

	while (!bits) {
		i = (i + 1) & (words - 1);
		bits = w->qbits[i];
	}
	return i * 64 + (uint32_t)__builtin_ctzll(bits);
}

void xm_spf_costs_below(const struct xm_graph *g, uint32_t root,
			struct xm_spf_ws *w, uint32_t *cost)
{
	/* Locals: the stores through cost[] and state[] would reload w's. */
	const struct xm_gnode *node = g->node;
	const struct xm_gedge *edge = g->edge;
	uint32_t n = g->n_nodes, window = w->q_window, mask = window - 1;
	uint32_t shift = w->q_shift, cur = 0, queued = 1, v, slot;
	uint32_t *head = w->qhead, *next = w->qnext, *prev = w->qprev;
	uint8_t *state = w->qstate;
	uint64_t pushes = 1, pops = 0;

	memset(state, XM_SPF_Q_OUT, n);
	w->n_far = 0;
	if (root >= n)
		return;
	cost[root] = 0;
	state[root] = XM_SPF_Q_WINDOW;
	q_link(w, root, 0);

	for (;;) {
		if (!queued) {
			/* The window is empty: on to the heap's least cost. */
			while (w->n_far && !far_live(w, cost))
				far_pop(w);
			if (!w->n_far)
				break;
			cur = w->far[0].cost >> shift;
			queued += far_enter(w, cost, cur);
		}
		slot = q_next_slot(w, cur & mask);
		if (slot != (cur & mask)) {
			cur += (slot - cur) & mask;
			queued += far_enter(w, cost, cur);
		}
		/* Every node of this bucket is final (Dinitz). */
		while ((v = head[slot]) != Q_NONE) {
			const struct xm_gnode *gv = &node[v];
			const struct xm_gedge *e, *end;
			uint32_t c = cost[v];

			head[slot] = next[v];
			if (next[v] != Q_NONE)
				prev[next[v]] = Q_NONE;
			state[v] = XM_SPF_Q_DONE;
			queued--;
			pops++;
			if (v != root && gv->no_transit)
				continue;	/* a destination, never a way */
			e = &edge[gv->first_edge];
			for (end = e + gv->n_edges; e < end; e++) {
				uint32_t t = e->to, nc, b;

				if (t >= n)
					continue;
				nc = xm_cost_add(c, e->metric ? e->metric : 1);
				if (nc >= cost[t])
					continue;	/* also every final t */
				if (state[t] == XM_SPF_Q_WINDOW) {
					q_unlink(w, t, (cost[t] >> shift) & mask);
					queued--;
				}
				cost[t] = nc;
				b = nc >> shift;
				pushes++;
				if (b - cur < window) {
					state[t] = XM_SPF_Q_WINDOW;
					q_link(w, t, b & mask);
					queued++;
				} else {
					state[t] = XM_SPF_Q_FAR;
					far_push(w, nc, t);
				}
			}
		}
		w->qbits[slot / 64] &= ~(1ull << (slot % 64));
	}
	w->q_pushes += pushes;
	w->q_pops += pops;
}

void xm_spf_costs(const struct xm_graph *g, uint32_t root,
		  struct xm_spf_ws *w, uint32_t *cost)
{
	uint32_t v;

	for (v = 0; v < g->n_nodes; v++)
		cost[v] = XM_COST_INF;
	xm_spf_costs_below(g, root, w, cost);
}

void xm_spf_free(struct xm_spf *r)
{
	free(r->cost);
	free(r->hops);
	free(r->parent);
	free(r->first_hops);
	free(r->state_parent);
	memset(r, 0, sizeof(*r));
}

int xm_spf_run(const struct xm_graph *g, uint32_t root, uint8_t max_hops,
	       struct xm_spf *r)
{
	int bound = xm_spf_bound(g, max_hops ? max_hops : XM_SPF_UNBOUNDED);
	uint32_t n = g->n_nodes;
	struct xm_spf_ws w;
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->cost = malloc(n * sizeof(*r->cost) + 1);
	r->hops = malloc(n + 1);
	r->parent = malloc(n * sizeof(*r->parent) + 1);
	r->first_hops = malloc(n * sizeof(*r->first_hops) + 1);
	if (!r->cost || !r->hops || !r->parent || !r->first_hops) {
		xm_spf_free(r);
		return -ENOMEM;
	}
	err = xm_spf_ws_init(&w, n, xm_spf_layers(bound));
	if (err) {
		xm_spf_free(r);
		return err;
	}
	xm_spf_engine(g, root, bound, &w, r->cost, r->hops, r->parent,
		      r->first_hops);
	if (bound >= 0) {
		/* Hand over the per-state predecessors for xm_spf_path(). */
		r->layers = w.layers;
		r->state_parent = w.spar;
		w.spar = NULL;
	}
	xm_spf_ws_free(&w);
	return 0;
}

int xm_spf_path(const struct xm_spf *r, uint32_t v, uint32_t *path,
		unsigned int max)
{
	unsigned int n, i;
	uint32_t x;

	if (v >= r->n || r->cost[v] == XM_COST_INF)
		return -ENOENT;
	if (r->state_parent) {
		uint32_t s = v * r->layers + r->hops[v];

		n = r->hops[v];
		if (n + 1 > max)
			return -E2BIG;
		for (i = n + 1; i-- > 0; s = r->state_parent[s])
			path[i] = s / r->layers;
		return (int)n;
	}
	/* hops[] saturates at 255: count along the tree. */
	for (n = 0, x = v; r->parent[x] != x; x = r->parent[x])
		n++;
	if (n + 1 > max)
		return -E2BIG;
	for (i = n + 1; i-- > 0; v = r->parent[v])
		path[i] = v;
	return (int)n;
}
