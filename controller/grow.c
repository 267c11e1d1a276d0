// SPDX-License-Identifier: GPL-2.0
/* The controller's growing arrays (grow.h). */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

int xm_ctl_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n;
	void *a;

	if (need <= *cap)
		return 0;
	n = !*cap ? 16 : *cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * *cap;
	if (n < need)
		n = need;
	if (size && n > SIZE_MAX / size) {
		n = SIZE_MAX / size;	/* as much as can be asked for */
		if (n < need)
			return -1;
	}
	a = realloc(*p, n * size);
	if (!a)
		return -1;
	*p = a;
	*cap = n;
	return 0;
}
