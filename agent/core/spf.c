// SPDX-License-Identifier: GPL-2.0
/*
 * Shortest paths: Dijkstra on an indexed binary heap. Without a hop bound
 * a state is a node; with one it is a (node, hops) pair, since the least
 * cost path of at most H hops to a node may continue from a costlier,
 * shorter path to its predecessor. Ties go to fewer hops; equal-cost
 * paths merge their first hops (ECMP). The runs the alternates need by
 * the dozen (costs only, no bound) use a radix heap instead.
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
	free(w->radix);
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

static inline uint32_t cost_add(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	/* Saturate below "unreachable": a huge cost still reaches. */
	return s < XM_COST_INF ? (uint32_t)s : XM_COST_INF - 1;
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
			nc = cost_add(c, e->metric ? e->metric : 1);
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
 * A radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990): Dijkstra pops keys
 * that never decrease, so an entry goes to the bucket of the highest bit
 * in which its key differs from the last key popped (bucket 0: equal).
 * Popping empties the lowest non-empty bucket into lower ones around its
 * least key; each entry moves at most 32 times and compares nothing.
 * Keys are never decreased in place: a better cost is pushed again, and
 * the stale entry skipped when popped.
 */
#define RADIX_NONE	UINT32_MAX

static inline uint32_t radix_bucket(uint32_t key, uint32_t last)
{
	return key == last ? 0 : 32 - (uint32_t)__builtin_clz(key ^ last);
}

static inline void radix_link(struct xm_spf_ws *w, uint32_t e)
{
	uint32_t b = radix_bucket(w->radix[e].key, w->radix_last);

	w->radix[e].next = w->bucket[b];
	w->bucket[b] = e;
}

static void radix_push(struct xm_spf_ws *w, uint32_t key, uint32_t node)
{
	uint32_t e = w->radix_used++;

	w->radix[e].key = key;
	w->radix[e].node = node;
	radix_link(w, e);
}

/* The entry of the least key, or RADIX_NONE when empty. */
static uint32_t radix_pop(struct xm_spf_ws *w)
{
	uint32_t b, e, next, min;

	if (w->bucket[0] == RADIX_NONE) {
		for (b = 1; b < 33 && w->bucket[b] == RADIX_NONE; b++)
			;
		if (b == 33)
			return RADIX_NONE;
		min = UINT32_MAX;
		for (e = w->bucket[b]; e != RADIX_NONE; e = w->radix[e].next)
			if (w->radix[e].key < min)
				min = w->radix[e].key;
		w->radix_last = min;
		e = w->bucket[b];
		w->bucket[b] = RADIX_NONE;
		for (; e != RADIX_NONE; e = next) {
			next = w->radix[e].next;
			radix_link(w, e);
		}
	}
	e = w->bucket[0];
	w->bucket[0] = w->radix[e].next;
	return e;
}

int xm_spf_costs(const struct xm_graph *g, uint32_t root,
		 struct xm_spf_ws *w, uint32_t *cost)
{
	uint32_t n = g->n_nodes, v, i, e;
	uint8_t *done = w->shops;	/* unused here: 1 when popped */

	/* At most one push per edge relaxed, and the root's. */
	if (w->radix_cap < g->n_edges + 1) {
		struct xm_radix_entry *r;

		r = realloc(w->radix, ((size_t)g->n_edges + 1) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		w->radix = r;
		w->radix_cap = g->n_edges + 1;
	}
	for (v = 0; v < n; v++)
		cost[v] = XM_COST_INF;
	memset(done, 0, n);
	for (i = 0; i < 33; i++)
		w->bucket[i] = RADIX_NONE;
	w->radix_used = 0;
	w->radix_last = 0;
	if (root >= n)
		return 0;
	cost[root] = 0;
	radix_push(w, 0, root);

	while ((e = radix_pop(w)) != RADIX_NONE) {
		const struct xm_gnode *gv;
		uint32_t c = w->radix[e].key;

		v = w->radix[e].node;
		if (done[v] || c != cost[v])
			continue;	/* stale: a better cost came later */
		done[v] = 1;
		gv = &g->node[v];
		if (v != root && gv->no_transit)
			continue;
		for (i = 0; i < gv->n_edges; i++) {
			const struct xm_gedge *ge = &g->edge[gv->first_edge + i];
			uint32_t t = ge->to, nc;

			if (t >= n || done[t])
				continue;
			nc = cost_add(c, ge->metric ? ge->metric : 1);
			if (nc < cost[t]) {
				cost[t] = nc;
				radix_push(w, nc, t);
			}
		}
	}
	return 0;
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
