// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's growing arrays (grow.h): doubling from 16, room for
 * what is needed at once, and sizes that would overflow refused with the
 * array left as it was.
 */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"
#include "tap.h"

int main(void)
{
	uint32_t *a = NULL;
	size_t cap = 0, i;
	void *before;
	bool kept = true;

	ok(!xm_ctl_grow((void **)&a, &cap, 1, sizeof(*a)) && a && cap == 16,
	   "grow: the first room is 16");
	ok(!xm_ctl_grow((void **)&a, &cap, 16, sizeof(*a)) && cap == 16,
	   "grow: nothing while there is room");
	ok(!xm_ctl_grow((void **)&a, &cap, 17, sizeof(*a)) && cap == 32,
	   "grow: doubled when full");
	ok(!xm_ctl_grow((void **)&a, &cap, 100, sizeof(*a)) && cap == 100,
	   "grow: what is needed when that is more than double");
	for (i = 0; i < 1000; i++) {
		if (xm_ctl_grow((void **)&a, &cap, i + 1, sizeof(*a))) {
			kept = false;
			break;
		}
		a[i] = (uint32_t)i;
	}
	for (i = 0; kept && i < 1000; i++)
		kept = a[i] == i;
	ok(kept && cap >= 1000, "grow: 1000 appended one at a time, kept");
	before = a;
	ok(xm_ctl_grow((void **)&a, &cap, SIZE_MAX / 2, sizeof(*a)) == -1 &&
	   a == before && cap >= 1000,
	   "grow: a size that would overflow refused, the array unchanged");
	free(a);
	printf("1..%d\n", tap_n);
	return tap_done();
}
