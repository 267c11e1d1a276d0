// SPDX-License-Identifier: GPL-2.0
/* Capability queries (query.h). */
#include "query.h"

#include <stdlib.h>
#include <string.h>

uint32_t xm_caps_free_centicores(const struct xm_caps *c)
{
	uint32_t all = (uint32_t)c->cpu_cores * 100;

	return c->cpu_load >= all ? 0 : all - c->cpu_load;
}

bool xm_caps_has_role(const struct xm_caps *c, const char *role)
{
	unsigned int i;

	for (i = 0; i < c->n_roles && i < XM_ROLE_MAX; i++)
		if (!strncmp(c->roles[i], role, XM_NAME_MAX))
			return true;
	return false;
}

bool xm_query_fits(const struct xm_query *q, const struct xm_caps *c)
{
	return (!q->role || xm_caps_has_role(c, q->role)) &&
	       (!q->zone || !strncmp(c->zone, q->zone, XM_NAME_MAX)) &&
	       c->cpu_cores >= q->min_cores &&
	       xm_caps_free_centicores(c) >= q->min_free_centicores &&
	       c->mem_free_mb >= q->min_free_mem_mb &&
	       c->disk_free_gb >= q->min_free_disk_gb;
}

/* Nearest first; then the more free cores; then the lower id. */
static int rank(const void *pa, const void *pb)
{
	const struct xm_query_candidate *a = pa, *b = pb;
	uint32_t fa, fb;

	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	fa = xm_caps_free_centicores(a->caps);
	fb = xm_caps_free_centicores(b->caps);
	if (fa != fb)
		return fa > fb ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

size_t xm_query_select(const struct xm_query *q,
		       struct xm_query_candidate *cand, size_t n)
{
	size_t i, k = 0, count = q->count ? q->count : 1;
	struct xm_query_candidate t;

	for (i = 0; i < n; i++) {
		if (cand[i].cost == UINT32_MAX ||
		    !xm_query_fits(q, cand[i].caps))
			continue;
		t = cand[k];
		cand[k++] = cand[i];
		cand[i] = t;
	}
	if (k)
		qsort(cand, k, sizeof(*cand), rank);
	return k < count ? k : count;
}
