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

#endif
