// SPDX-License-Identifier: GPL-2.0
/* libxmesh (xmesh.h): requests to xmeshd's control socket. */
#include "xmesh.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../core/query.h"
#include "../daemon/ctl_proto.h"
#include "xmesh_conn.h"

_Static_assert(XMESH_NAME_MAX == XM_NAME_MAX, "names as the agent's");
_Static_assert(XMESH_ROLE_MAX == XM_ROLE_MAX, "roles as the agent's");
_Static_assert(XMESH_COUNT_MAX == XM_QUERY_COUNT_MAX, "count as the agent's");

#define XMESH_TIMEOUT_MS	10000

struct xmesh {
	char *path;
	struct xmesh_conn conn;
	int timeout_ms;
	char error[256];
};

const char *xmesh_version(void)
{
	return XMESH_VERSION;
}

struct xmesh *xmesh_open(const char *socket_path)
{
	struct xmesh *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->path = strdup(xmesh_conn_path(socket_path));
	if (!x->path) {
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	x->conn.fd = -1;
	x->timeout_ms = XMESH_TIMEOUT_MS;
	return x;
}

void xmesh_close(struct xmesh *x)
{
	if (!x)
		return;
	xmesh_conn_close(&x->conn);
	free(x->path);
	free(x);
}

void xmesh_set_timeout(struct xmesh *x, int timeout_ms)
{
	x->timeout_ms = timeout_ms;
}

const char *xmesh_error(const struct xmesh *x)
{
	return x ? x->error : "no handle";
}

/* Say why, and return err (a -errno). */
__attribute__((format(printf, 3, 4)))
static int fail(struct xmesh *x, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
	return err;
}

static int connect_agent(struct xmesh *x)
{
	int ret = xmesh_conn_open(&x->conn, x->path);

	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return fail(x, ret, "xmeshd is not running (nothing answers on %s)",
			    x->path);
	if (ret)
		return fail(x, ret, "cannot reach xmeshd on %s: %s", x->path,
			    strerror(-ret));
	return 0;
}

/* One request and its reply line, on the connection as it is. */
static int exchange(struct xmesh *x, const char *req, char **line)
{
	int ret = xmesh_conn_send(&x->conn, req, strlen(req));

	return ret ? ret : xmesh_conn_read(&x->conn, x->timeout_ms, line);
}

int xmesh_request(struct xmesh *x, const char *request, char **reply)
{
	bool fresh = false;
	char *line;
	int ret;

	*reply = NULL;
	x->error[0] = '\0';
	if (strlen(request) >= XMD_REQUEST_MAX || strchr(request, '\n'))
		return fail(x, -EINVAL, "a request is one line below %d bytes",
			    XMD_REQUEST_MAX);
	if (x->conn.fd < 0) {
		ret = connect_agent(x);
		if (ret)
			return ret;
		fresh = true;
	}
	ret = exchange(x, request, &line);
	/* A kept connection the agent closed (it restarted): once more. */
	if (!fresh && (ret == -EPIPE || ret == -ECONNRESET)) {
		xmesh_conn_close(&x->conn);
		ret = connect_agent(x);
		if (ret)
			return ret;
		ret = exchange(x, request, &line);
	}
	if (ret) {
		xmesh_conn_close(&x->conn);
		return fail(x, ret, "no answer from xmeshd on %s: %s", x->path,
			    ret == -ETIMEDOUT ? "timed out" : strerror(-ret));
	}
	*reply = strdup(line);
	return *reply ? 0 : fail(x, -ENOMEM, "out of memory");
}

/* ---- find ---- */

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static uint32_t u32(json_object *o, const char *key)
{
	int64_t v = json_object_get_int64(member(o, key));

	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void copy_str(char *dst, size_t size, json_object *v)
{
	snprintf(dst, size, "%s", v && json_object_is_type(v, json_type_string) ?
		 json_object_get_string(v) : "");
}

static int node_from_json(json_object *o, struct xmesh_node *n)
{
	json_object *roles = member(o, "roles"), *pfx = member(o, "prefixes");
	size_t i;

	if (!member(o, "node") || !member(o, "distance"))
		return -EPROTO;
	memset(n, 0, sizeof(*n));
	n->id = u32(o, "node");
	copy_str(n->name, sizeof(n->name), member(o, "name"));
	copy_str(n->zone, sizeof(n->zone), member(o, "zone"));
	for (i = 0; json_object_is_type(roles, json_type_array) &&
		    i < json_object_array_length(roles) && i < XMESH_ROLE_MAX;
	     i++)
		copy_str(n->roles[n->n_roles++], XMESH_NAME_MAX,
			 json_object_array_get_idx(roles, i));
	n->cores = u32(o, "cores");
	n->load = json_object_get_double(member(o, "load"));
	n->free_cores = json_object_get_double(member(o, "free_cores"));
	n->mem_total_mb = u32(o, "mem_total_mb");
	n->mem_free_mb = u32(o, "mem_free_mb");
	n->disk_total_gb = u32(o, "disk_total_gb");
	n->disk_free_gb = u32(o, "disk_free_gb");
	n->distance = u32(o, "distance");
	n->hops = u32(o, "hops");
	n->self = json_object_get_boolean(member(o, "self"));
	if (json_object_is_type(pfx, json_type_array) &&
	    json_object_array_length(pfx)) {
		copy_str(n->address, sizeof(n->address),
			 json_object_array_get_idx(pfx, 0));
		n->address[strcspn(n->address, "/")] = '\0';
	}
	return 0;
}

static int check_name(struct xmesh *x, const char *what, const char *s)
{
	if (s && (!*s || strlen(s) >= XMESH_NAME_MAX))
		return fail(x, -EINVAL, "a %s is 1 to %d characters", what,
			    XMESH_NAME_MAX - 1);
	return 0;
}

/* The "find" request of q for at most count nodes. */
static json_object *find_request(const struct xmesh_query *q,
				 unsigned int count)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "cmd", json_object_new_string("find"));
	if (q->role)
		json_object_object_add(r, "role",
				       json_object_new_string(q->role));
	if (q->zone)
		json_object_object_add(r, "zone",
				       json_object_new_string(q->zone));
	json_object_object_add(r, "count", json_object_new_int64(count));
	if (q->min_cores)
		json_object_object_add(r, "min_cores",
				       json_object_new_int64(q->min_cores));
	if (q->min_free_cores > 0)
		json_object_object_add(r, "min_free_cores",
				       json_object_new_double(q->min_free_cores));
	if (q->min_free_mem_mb)
		json_object_object_add(r, "min_free_mem_mb",
				       json_object_new_int64(q->min_free_mem_mb));
	if (q->min_free_disk_gb)
		json_object_object_add(r, "min_free_disk_gb",
				       json_object_new_int64(q->min_free_disk_gb));
	if (q->near)
		json_object_object_add(r, "near",
				       json_object_new_int64(q->near));
	return r;
}

int xmesh_find(struct xmesh *x, const struct xmesh_query *q,
	       struct xmesh_node *nodes, size_t max)
{
	json_object *req, *reply, *err, *list;
	unsigned int count = q->count;
	size_t i, n;
	char *line;
	int ret;

	x->error[0] = '\0';
	if (!max)
		return fail(x, -EINVAL, "room for no node");
	if (!count || count > max)
		count = max > XMESH_COUNT_MAX ? XMESH_COUNT_MAX :
						(unsigned int)max;
	if (count > XMESH_COUNT_MAX)
		return fail(x, -EINVAL, "a query returns at most %d nodes",
			    XMESH_COUNT_MAX);
	if (!(q->min_free_cores >= 0) || !isfinite(q->min_free_cores))
		return fail(x, -EINVAL, "min_free_cores must be 0 or more");
	ret = check_name(x, "role", q->role);
	if (!ret)
		ret = check_name(x, "zone", q->zone);
	if (ret)
		return ret;
	req = find_request(q, count);
	ret = xmesh_request(x, json_object_to_json_string_ext(req,
				JSON_C_TO_STRING_PLAIN), &line);
	json_object_put(req);
	if (ret)
		return ret;
	reply = json_tokener_parse(line);
	free(line);
	err = member(reply, "error");
	list = member(reply, "nodes");
	if (err) {
		ret = fail(x, -EINVAL, "xmeshd: %s",
			   json_object_get_string(err));
	} else if (!json_object_is_type(list, json_type_array)) {
		ret = fail(x, -EPROTO, "xmeshd's reply has no nodes (an older agent?)");
	} else {
		n = json_object_array_length(list);
		for (i = 0; i < n && i < count && !ret; i++)
			ret = node_from_json(json_object_array_get_idx(list, i),
					     &nodes[i]);
		if (ret)
			ret = fail(x, ret, "xmeshd's reply has a node without id or distance");
		else
			ret = (int)i;
	}
	json_object_put(reply);
	return ret;
}
