/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The body of an HTTP answer as libcurl hands it over, shared by everything
 * that talks to xmesh-controller (xmesh policy, xmeshd's policy sync, the
 * tests). No libcurl here: xm_http_collect() only has the shape of its
 * CURLOPT_WRITEFUNCTION, so linking this file needs no libcurl.
 */
#ifndef XMESH_HTTP_H
#define XMESH_HTTP_H

#include <stddef.h>

struct xm_http_body {
	char *data;		/* NUL-terminated; NULL until a byte came */
	size_t len;
	size_t max;		/* 0: no limit */
};

/*
 * CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA a struct xm_http_body:
 * appends, keeping it NUL-terminated. Past max bytes, or out of memory,
 * it takes nothing, which makes libcurl abandon the transfer.
 */
size_t xm_http_collect(char *p, size_t size, size_t n, void *body);

void xm_http_body_free(struct xm_http_body *b);

#endif
