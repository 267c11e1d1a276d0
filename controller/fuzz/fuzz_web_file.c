// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the dashboard's file names (web.h): a request's
 * URI, as sent, must map to a name under the web directory or to none.
 * Whatever it is, a name taken never climbs out (no "." or ".."
 * segment, no empty one, no leading "/"), holds nothing but the alphabet
 * (no escape, no NUL, no query), and is not hidden.
 */
#include <stdlib.h>
#include <string.h>

#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *rel)
{
	const char *s = rel, *seg = rel;

	if (!*rel || strlen(rel) > XM_WEB_NAME_MAX)
		abort();
	for (;; s++) {
		if (*s == '/' || !*s) {
			if (s == seg || *seg == '.')
				abort();	/* empty, ".", "..", hidden */
			if (!*s)
				return;
			seg = s + 1;
			continue;
		}
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *s))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *uri = malloc(size + 1), rel[XM_WEB_NAME_MAX + 1];

	if (!uri)
		return 0;
	memcpy(uri, data, size);
	uri[size] = '\0';
	if (xm_web_file(uri, rel))
		check(rel);
	free(uri);
	return 0;
}
