// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's "path" with a "tclass" (xmesh path show NODE class
 * C), over ctl_fake.h's made-up state: a class with paths of its own gets
 * its path at its metric, one without it the default path.
 */
#include <json-c/json.h>
#include <linux/xmesh_packet.h>
#include <stdlib.h>

#include "tap.h"
#include "ctl_fake.h"
#include "classes.h"

static struct xmd_reply last;

static json_object *ask(const struct xmd_view *v, const char *req)
{
	free(last.text);
	memset(&last, 0, sizeof(last));
	if (xmd_ctl_handle(v, req, strlen(req), &last) || !last.text)
		return NULL;
	return json_tokener_parse(last.text);
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *text(json_object *o, const char *key)
{
	json_object *v = member(o, key);

	return v ? json_object_get_string(v) : "";
}

static long long hop(json_object *o, size_t i, const char *key)
{
	json_object *h = json_object_array_get_idx(member(o, "hops"), i);
	json_object *v = member(h, key);

	return v ? json_object_get_int64(v) : -1;
}

int main(void)
{
	struct xm_policy pol = { 0 };
	struct xmd_view v;
	json_object *r;
	long long h1;

	fake_setup();
	v = view();
	pol.classes[XMESH_TC_REALTIME - 1].metric = XM_CLASS_METRIC_LATENCY;
	v.policy = &pol;

	r = ask(&v, "{\"cmd\":\"path\",\"node\":3,\"tclass\":\"realtime\"}");
	ok(r && !strcmp(text(r, "table"), "class") &&
	   !strcmp(text(r, "metric"), "latency") &&
	   !strcmp(text(r, "tclass"), "realtime"),
	   "realtime: its own table, the latency metric");
	ok(json_object_array_length(member(r, "hops")) == 3 &&
	   hop(r, 1, "node") == 2 && hop(r, 2, "node") == 3,
	   "realtime's path to 3: over 2");
	h1 = hop(r, 1, "hop_cost");
	/* Each edge: 412 us RTT, 0.25 % loss: 206 x 1.0025. */
	ok(h1 == 207 && hop(r, 2, "hop_cost") == 207 &&
	   hop(r, 2, "cost") == 414,
	   "per-hop costs at the latency metric (207 a hop, not 100 and 150)");
	json_object_put(r);

	r = ask(&v, "{\"cmd\":\"path\",\"node\":3,\"tclass\":\"bulk\"}");
	ok(r && !strcmp(text(r, "table"), "default") &&
	   hop(r, 2, "cost") == 250 && hop(r, 2, "hop_cost") == 150,
	   "bulk, no settings: the default path and its costs");
	json_object_put(r);

	r = ask(&v, "{\"cmd\":\"path\",\"node\":5,\"tclass\":\"realtime\"}");
	ok(r && member(r, "reachable") &&
	   !json_object_get_boolean(member(r, "reachable")),
	   "realtime to an unreachable node: unreachable");
	json_object_put(r);

	r = ask(&v, "{\"cmd\":\"path\",\"node\":3,\"tclass\":\"gold\"}");
	ok(last.bad && strstr(last.text, "must be bulk, interactive"),
	   "an unknown class is refused");
	json_object_put(r);

	v.policy = NULL;
	r = ask(&v, "{\"cmd\":\"path\",\"node\":3,\"tclass\":\"realtime\"}");
	ok(r && !strcmp(text(r, "table"), "default"),
	   "no class settings known: the default path");
	json_object_put(r);
	free(last.text);
	return tap_done();
}
