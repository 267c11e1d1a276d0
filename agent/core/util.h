/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the core, the daemon and the simulator. */
#ifndef XM_UTIL_H
#define XM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Where key is, or would go, in base[0..n): n elements of size bytes,
 * sorted by the uint32_t at key_off in each (offsetof(type, field)).
 */
size_t xm_lower_bound_u32(const void *base, size_t n, size_t size,
			  size_t key_off, uint32_t key);

/*
 * Make room for need elements of size bytes in the array *v of *cap,
 * doubling (from 16): 0, or -ENOMEM with *v and *cap unchanged.
 */
int xm_grow(void **v, size_t *cap, size_t need, size_t size);

/*
 * The same for an array that keeps no capacity: room for n + 1 elements
 * in *v, which holds n and is only ever grown by this function. Its
 * capacity is implied by n: 16, then the next power of two, so that
 * inserts one at a time cost amortized O(1). 0 or -ENOMEM (*v unchanged).
 */
int xm_grow_by_count(void **v, size_t n, size_t size);

/* qsort() and bsearch() order of uint32_t values. */
int xm_cmp_u32(const void *a, const void *b);

#endif
