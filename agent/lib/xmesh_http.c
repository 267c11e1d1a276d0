// SPDX-License-Identifier: GPL-2.0
#include "xmesh_http.h"

#include <stdlib.h>
#include <string.h>

size_t xm_http_collect(char *p, size_t size, size_t n, void *body)
{
	struct xm_http_body *b = body;
	size_t add = size * n;
	char *np;

	if (n && add / n != size)
		return 0;
	if (b->max && (add > b->max || b->len > b->max - add))
		return 0;
	np = realloc(b->data, b->len + add + 1);
	if (!np)
		return 0;
	memcpy(np + b->len, p, add);
	b->data = np;
	b->len += add;
	np[b->len] = '\0';
	return add;
}

void xm_http_body_free(struct xm_http_body *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
