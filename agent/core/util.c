// SPDX-License-Identifier: GPL-2.0
/* Small helpers shared by the core, the daemon and the simulator (util.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t xm_lower_bound_u32(const void *base, size_t n, size_t size,
			  size_t key_off, uint32_t key)
{
	const unsigned char *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t k;

		memcpy(&k, b + mid * size + key_off, sizeof(k));
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int xm_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t cap2;
	void *q;

	if (need <= *cap)
		return 0;
	cap2 = !*cap ? 16 : *cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * *cap;
	if (cap2 < need)
		cap2 = need;
	if (size && cap2 > SIZE_MAX / size)
		cap2 = SIZE_MAX / size;
	if (cap2 < need)
		return -ENOMEM;
	q = realloc(*v, cap2 * size);
	if (!q)
		return -ENOMEM;
	*v = q;
	*cap = cap2;
	return 0;
}

int xm_grow_by_count(void **v, size_t n, size_t size)
{
	size_t cap = 16;
	void *q;

	while (cap < n && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (n && n < cap)
		return 0;	/* room in the implied capacity */
	cap = n ? (n <= SIZE_MAX / 2 ? 2 * n : SIZE_MAX) : 16;
	if (size && cap > SIZE_MAX / size)
		return -ENOMEM;
	q = realloc(*v, cap * size);
	if (!q)
		return -ENOMEM;
	*v = q;
	return 0;
}

int xm_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}
