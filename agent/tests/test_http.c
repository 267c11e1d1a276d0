// SPDX-License-Identifier: GPL-2.0
/* The answer bodies libcurl hands over (xmesh_http.h). */
#include <string.h>

#include "tap.h"
#include "xmesh_http.h"

int main(void)
{
	struct xm_http_body b = { 0 };
	char chunk[] = "0123456789";

	ok(xm_http_collect(chunk, 1, 10, &b) == 10 &&
	   xm_http_collect(chunk, 2, 5, &b) == 10 && b.len == 20 &&
	   !strcmp(b.data, "01234567890123456789"),
	   "chunks appended, NUL-terminated");
	xm_http_body_free(&b);
	ok(!b.data && !b.len, "freed, empty again");

	b.max = 15;
	ok(xm_http_collect(chunk, 1, 10, &b) == 10,
	   "under its limit: taken");
	ok(xm_http_collect(chunk, 1, 10, &b) == 0 && b.len == 10 &&
	   !strcmp(b.data, "0123456789"),
	   "past its limit: nothing taken (libcurl abandons the transfer)");
	ok(xm_http_collect(chunk, (size_t)1 << 62, 8, &b) == 0 && b.len == 10,
	   "a size that overflows: nothing taken");
	xm_http_body_free(&b);
	return tap_done();
}
