/* SPDX-License-Identifier: GPL-2.0 */
/* Comparing routing tables, for the checks of the fast SPF (bench, tests). */
#ifndef XM_FIBCMP_H
#define XM_FIBCMP_H

#include <stdbool.h>

#include "core.h"

/* The same routes, next hops and priorities, in the same order? */
bool xm_fib_same(const struct xm_fib *a, const struct xm_fib *b);

#endif /* XM_FIBCMP_H */
