// SPDX-License-Identifier: GPL-2.0
#include "fibcmp.h"

bool xm_fib_same(const struct xm_fib *a, const struct xm_fib *b)
{
	size_t i, j;

	if (a->n_routes != b->n_routes)
		return false;
	for (i = 0; i < a->n_routes; i++) {
		const struct xm_fib_route *x = &a->routes[i], *y = &b->routes[i];

		if (x->dst != y->dst || x->n_nexthops != y->n_nexthops)
			return false;
		for (j = 0; j < x->n_nexthops; j++)
			if (x->nexthop[j].neigh != y->nexthop[j].neigh ||
			    x->nexthop[j].priority != y->nexthop[j].priority)
				return false;
	}
	return true;
}
