// SPDX-License-Identifier: GPL-2.0
/* Topologies for the simulator: line, ring, grid, random geometric. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"
#include "util.h"

#define RGG_DEGREE_MAX	12	/* by distance; joining components may
				 * add a few, up to XM_LINK_MAX */

static int add_nodes(struct xm_sim *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (xm_sim_add_node(s, "") < 0)
			return -ENOMEM;
	return 0;
}

static int link2(struct xm_sim *s, uint32_t a, uint32_t b,
		 const struct xm_sim_link_conf *c)
{
	uint32_t n[2] = { a, b };
	long err = xm_sim_add_link(s, n, 2, c);

	return err < 0 ? (int)err : 0;
}

static int chain(struct xm_sim *s, uint32_t n, bool ring)
{
	uint32_t base = s->n_nodes, i;
	int err = add_nodes(s, n);

	for (i = 0; !err && i + 1 < n; i++)
		err = link2(s, base + i, base + i + 1, NULL);
	if (!err && ring && n > 2)
		err = link2(s, base + n - 1, base, NULL);
	return err;
}

static int grid(struct xm_sim *s, uint32_t w, uint32_t h)
{
	uint32_t base = s->n_nodes, x, y;
	int err = add_nodes(s, w * h);

	for (y = 0; !err && y < h; y++)
		for (x = 0; !err && x < w; x++) {
			uint32_t i = base + y * w + x;

			if (x + 1 < w)
				err = link2(s, i, i + 1, NULL);
			if (!err && y + 1 < h)
				err = link2(s, i, i + w, NULL);
		}
	return err;
}

/* ---- random geometric graph ---- */

struct point {
	double x, y;
};

static uint32_t uf_find(uint32_t *up, uint32_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

/* Link a and b with a delay from their distance. */
static int geo_link(struct xm_sim *s, const struct point *p, uint32_t base,
		    uint32_t a, uint32_t b, uint32_t *up)
{
	static const uint32_t bws[] = { 1000, 10000, 10000, 25000 };
	double d = hypot(p[a].x - p[b].x, p[a].y - p[b].y);
	struct xm_sim_link_conf c = s->conf.link;

	c.delay_us = 10 + (uint32_t)(d * 1000);
	c.jitter_us = 2 + c.delay_us / 10;
	c.bandwidth_mbps = bws[sim_rand(s) % 4];
	up[uf_find(up, a)] = uf_find(up, b);
	return link2(s, base + a, base + b, &c);
}

static double dist2(const struct point *p, uint32_t a, uint32_t b)
{
	return (p[a].x - p[b].x) * (p[a].x - p[b].x) +
	       (p[a].y - p[b].y) * (p[a].y - p[b].y);
}

struct pair {
	double d;
	uint32_t a, b;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	return (a->d > b->d) - (a->d < b->d);
}

/*
 * N points in the unit square, linked when closer than r, where
 * pi r^2 N = ln N + 2 (about ln N + 2 neighbors each: connected with
 * high probability); what is left apart is joined by its nearest pair.
 */
static int rgg(struct xm_sim *s, uint32_t n)
{
	uint32_t base = s->n_nodes, a, b, *up, *deg, np = 0;
	size_t cap = 0;
	double r2 = (log((double)n) + 2) / (M_PI * n);
	struct pair *pairs = NULL;
	struct point *p;
	int err = add_nodes(s, n);

	p = calloc(n, sizeof(*p));
	up = calloc(n, sizeof(*up));
	deg = calloc(n, sizeof(*deg));
	if (err || !p || !up || !deg) {
		err = -ENOMEM;
		goto out;
	}
	for (a = 0; a < n; a++) {
		p[a].x = (double)(sim_rand(s) >> 11) / (double)(1ull << 53);
		p[a].y = (double)(sim_rand(s) >> 11) / (double)(1ull << 53);
		up[a] = a;
	}
	for (a = 0; a < n; a++)
		for (b = a + 1; b < n; b++) {
			if (dist2(p, a, b) > r2)
				continue;
			if (xm_grow((void **)&pairs, &cap, (size_t)np + 1,
				    sizeof(*pairs))) {
				err = -ENOMEM;
				goto out;
			}
			pairs[np++] = (struct pair){ dist2(p, a, b), a, b };
		}
	if (np)
		qsort(pairs, np, sizeof(*pairs), pair_cmp);
	for (a = 0; !err && a < np; a++) {
		struct pair *x = &pairs[a];

		if (deg[x->a] >= RGG_DEGREE_MAX || deg[x->b] >= RGG_DEGREE_MAX)
			continue;
		deg[x->a]++;
		deg[x->b]++;
		err = geo_link(s, p, base, x->a, x->b, up);
	}
	/* Join every other component to node 0's by its nearest pair. */
	for (a = 0; !err && a < n; a++) {
		uint32_t ba = 0, bb = 0, i, j;
		double best = INFINITY;

		if (uf_find(up, a) == uf_find(up, 0))
			continue;
		for (i = 0; i < n; i++) {
			if (uf_find(up, i) != uf_find(up, a) ||
			    deg[i] >= XM_LINK_MAX)
				continue;
			for (j = 0; j < n; j++)
				if (uf_find(up, j) == uf_find(up, 0) &&
				    deg[j] < XM_LINK_MAX &&
				    dist2(p, i, j) < best) {
					best = dist2(p, i, j);
					ba = i;
					bb = j;
				}
		}
		if (best == INFINITY) {
			err = -ENOSPC;
			break;
		}
		deg[ba]++;
		deg[bb]++;
		err = geo_link(s, p, base, ba, bb, up);
	}
out:
	free(pairs);
	free(p);
	free(up);
	free(deg);
	return err;
}

int xm_sim_topo(struct xm_sim *s, const char *spec)
{
	unsigned int a, b;
	char end;

	if (sscanf(spec, "line:%u%c", &a, &end) == 1 && a >= 2 && a <= 100000)
		return chain(s, a, false);
	if (sscanf(spec, "ring:%u%c", &a, &end) == 1 && a >= 3 && a <= 100000)
		return chain(s, a, true);
	if (sscanf(spec, "grid:%ux%u%c", &a, &b, &end) == 2 && a >= 1 &&
	    b >= 1 && a * b >= 2 && a <= 1000 && b <= 1000)
		return grid(s, a, b);
	if (sscanf(spec, "rgg:%u%c", &a, &end) == 1 && a >= 2 && a <= 20000)
		return rgg(s, a);
	return -EINVAL;
}
