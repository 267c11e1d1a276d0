// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the FIB diff lands: links, changes nothing. */
#include <errno.h>

#include "fib.h"

int xm_fib_diff(const struct xm_fib *want, const struct xm_fib *have, uint32_t ifindex,
		struct xm_change **out, size_t *n)
{ (void)want; (void)have; (void)ifindex; (void)out; (void)n; return -ENOSYS; }
int xm_fib_from_kernel(const struct xm_entry *e, size_t n, struct xm_fib *out)
{ (void)e; (void)n; (void)out; return -ENOSYS; }
void xm_fib_free(struct xm_fib *f) { (void)f; }
void xm_fib_sort(struct xm_fib *f) { (void)f; }
