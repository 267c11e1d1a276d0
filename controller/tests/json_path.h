/* SPDX-License-Identifier: GPL-2.0 */
/* A member of an API answer's JSON, for the API tests. */
#ifndef XM_TEST_JSON_PATH_H
#define XM_TEST_JSON_PATH_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The member of o at a path of keys and array indices ("nodes.0.health"),
 * NULL if there is none. */
static inline json_object *test_json_path(json_object *o, const char *path)
{
	char buf[128], *save, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o;
	     k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	}
	return o;
}

#endif /* XM_TEST_JSON_PATH_H */
