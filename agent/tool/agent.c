// SPDX-License-Identifier: GPL-2.0
/*
 * What xmeshd knows, through its control socket: the nodes of the mesh
 * and their resources, the topology, the path to a node, the agent
 * itself. The kernel's tables are the other objects'.
 */
#include "tool.h"
#include "core.h"	/* XM_NAME_MAX: the length of a role or zone */
#include "query.h"	/* XM_QUERY_COUNT_MAX */
#include "xmesh_qos.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define AGENT_TIMEOUT_MS	10000	/* for one reply */
#define AGENT_QUIET_MS		1000	/* when the answer is optional */

/* ---- the connection ---- */

const char *agent_socket(const struct ctx *c)
{
	return xmesh_conn_path(c->socket);
}

int agent_open(const struct ctx *c, struct xmesh_conn *a, bool quiet)
{
	const char *path = agent_socket(c);
	int err = xmesh_conn_open(a, path);

	if (!err)
		return XM_EXIT_OK;
	if (quiet)
		return err == -ENAMETOOLONG ? XM_EXIT_USAGE : XM_EXIT_FAIL;
	if (err == -ENAMETOOLONG) {
		pr_err("socket path \"%s\" is too long.", path);
		return XM_EXIT_USAGE;
	}
	if (err == -ENOENT || err == -ECONNREFUSED)
		pr_err("xmeshd is not running (nothing answers on %s).", path);
	else
		pr_err("cannot reach xmeshd on %s: %s.", path, strerror(-err));
	return XM_EXIT_FAIL;
}

int agent_send(struct xmesh_conn *a, json_object *req)
{
	const char *s = json_object_to_json_string_ext(req,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return xmesh_conn_send(a, s, strlen(s));
}

/* A line as JSON; NULL with errno EBADMSG if it is not. */
static json_object *parse_line(const char *line)
{
	json_object *o = json_tokener_parse(line);

	if (!o)
		errno = EBADMSG;
	return o;
}

json_object *agent_next(struct xmesh_conn *a)
{
	char *line = xmesh_conn_next(a);

	return line ? parse_line(line) : NULL;
}

json_object *agent_read(struct xmesh_conn *a, int timeout_ms)
{
	char *line;
	int ret = xmesh_conn_read(a, timeout_ms, &line);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	return parse_line(line);
}

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

json_object *agent_cmd(const char *cmd)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	return req;
}

json_object *agent_ask(const struct ctx *c, json_object *req, bool quiet)
{
	struct xmesh_conn a;
	json_object *reply = NULL, *err;
	int ret;

	if (agent_open(c, &a, quiet)) {
		json_object_put(req);
		return NULL;
	}
	ret = agent_send(&a, req);
	json_object_put(req);
	if (!ret) {
		reply = agent_read(&a, quiet ? AGENT_QUIET_MS :
					       AGENT_TIMEOUT_MS);
		if (!reply)
			ret = -errno;
	}
	xmesh_conn_close(&a);
	if (ret) {
		if (!quiet)
			pr_err("no answer from xmeshd: %s.",
			       ret == -ETIMEDOUT ? "timed out" :
			       ret == -EBADMSG ? "not JSON" : strerror(-ret));
		return NULL;
	}
	err = jget(reply, "error");
	if (err) {
		if (!quiet)
			pr_err("xmeshd: %s.", json_object_get_string(err));
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

/* ---- fields ---- */

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? json_object_get_string(v) : "";
}

static uint64_t jnum(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static bool jbool(json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key));
}

/* "a,b,c" from an array of strings; "" when empty. */
static const char *jjoin(json_object *arr, const char *sep, char *buf,
			 size_t len)
{
	size_t i, n = arr ? json_object_array_length(arr) : 0, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? sep : "",
					json_object_get_string(
						json_object_array_get_idx(arr,
									  i)));
	return buf;
}

/* A name in parentheses when the node has one. */
static void text_name(struct out *o, json_object *node)
{
	const char *name = jstr(node, "name");

	if (*name)
		out_text(o, " (%s)", name);
}

/* ---- node ---- */

void usage_node(FILE *fp)
{
	fputs("Usage: xmesh node [ show ] [ role ROLE ] [ zone ZONE ] [ node NODE ]\n"
	      "       xmesh node find [ role ROLE ] [ zone ZONE ] [ min-cores N ]\n"
	      "                       [ min-free-cores CORES ] [ min-free-mem MB ]\n"
	      "                       [ min-free-disk GB ] [ near NODE ] [ count N ]\n"
	      "What xmeshd knows of the nodes of the mesh (it must be running).\n"
	      "find: the nearest reachable nodes that fit, free cores being cores\n"
	      "minus the load average; count N lists up to N, nearest first.\n",
	      fp);
}

static void print_node(struct out *o, json_object *n)
{
	char buf[512];
	json_object *v;

	if (o->json) {
		out_json(o, NULL, n);
		return;
	}
	out_text(o, "node %" PRIu64, jnum(n, "node"));
	text_name(o, n);
	if (jbool(n, "self"))
		out_text(o, " self");
	if (*jstr(n, "zone"))
		out_text(o, " zone %s", jstr(n, "zone"));
	if (json_object_array_length(jget(n, "roles")))
		out_text(o, " roles %s", jjoin(jget(n, "roles"), ",", buf,
					       sizeof(buf)));
	if (!jbool(n, "reachable"))
		out_text(o, " unreachable");
	else if (!jbool(n, "self"))
		out_text(o, " cost %" PRIu64 " hops %" PRIu64,
			 jnum(n, "cost"), jnum(n, "hops"));
	v = jget(n, "distance");
	if (v)
		out_text(o, " distance %s", json_object_get_string(v));
	out_nl(o);
	out_text(o, "    cores %" PRIu64 " (%s free) load %s memory %" PRIu64
		 " MB (%" PRIu64 " free) disk %" PRIu64 " GB (%" PRIu64
		 " free)", jnum(n, "cores"), jstr(n, "free_cores"),
		 jstr(n, "load"),
		 jnum(n, "mem_total_mb"), jnum(n, "mem_free_mb"),
		 jnum(n, "disk_total_gb"), jnum(n, "disk_free_gb"));
	out_nl(o);
	if (json_object_array_length(jget(n, "prefixes"))) {
		out_text(o, "    prefixes %s", jjoin(jget(n, "prefixes"), " ",
						     buf, sizeof(buf)));
		out_nl(o);
	}
}

/* A keyword of node show or find, and its request's JSON key. */
struct node_kw {
	const char *word, *key;
};

/* A number of cores, decimals allowed (1.5), into req's key. */
static int arg_cores(const char *s, json_object *req, const char *key)
{
	double v;

	if (xm_parse_seconds(s, 0, UINT16_MAX, &v)) {
		pr_err("invalid core count \"%s\": expected 0 to %u, decimals allowed.",
		       s, UINT16_MAX);
		return XM_EXIT_USAGE;
	}
	json_object_object_add(req, key, json_object_new_double(v));
	return XM_EXIT_OK;
}

/* Keywords with a value, for node show and find: into req. */
static int node_args(int argc, char **argv, json_object *req, bool find)
{
	static const struct node_kw shows[] = {
		{ "role", "role" }, { "zone", "zone" }, { "node", "node" },
		{ NULL, NULL } };
	static const struct node_kw finds[] = {
		{ "role", "role" }, { "zone", "zone" },
		{ "min-cores", "min_cores" },
		{ "min-free-cores", "min_free_cores" },
		{ "min-free-mem", "min_free_mem_mb" },
		{ "min-free-disk", "min_free_disk_gb" },
		{ "near", "near" }, { "count", "count" }, { NULL, NULL } };
	const struct node_kw *k = find ? finds : shows;
	const char *key;
	uint32_t v;
	int ret;

	for (; argc > 0; argc--, argv++) {
		if (is_help(argv[0])) {
			usage_node(stdout);
			return XM_HELP;
		}
		for (k = find ? finds : shows; k->word &&
		     strcmp(k->word, argv[0]); k++)
			;
		if (!k->word)
			return arg_unknown(argv[0], usage_node);
		key = k->key;
		if (jget(req, key))
			return arg_dup(k->word);
		if (!next_arg(&argc, &argv))
			return XM_EXIT_USAGE;
		if (!strcmp(key, "role") || !strcmp(key, "zone")) {
			if (!*argv[0] || strlen(argv[0]) >= XM_NAME_MAX) {
				pr_err("%s must be 1 to %d characters.", key,
				       XM_NAME_MAX - 1);
				return XM_EXIT_USAGE;
			}
			/* As the configuration takes them: else no match. */
			if (!xm_name_valid(argv[0], XM_NAME_MAX)) {
				pr_err("%s \"%s\" has a character no %s has (blanks, quotes, backslashes, control characters).",
				       key, argv[0], key);
				return XM_EXIT_USAGE;
			}
			json_object_object_add(req, key,
					       json_object_new_string(argv[0]));
			continue;
		}
		if (!strcmp(key, "min_free_cores")) {
			ret = arg_cores(argv[0], req, key);
			if (ret)
				return ret;
			continue;
		}
		ret = !strcmp(key, "min_cores") ?
		      arg_u32("core count", argv[0], 0, UINT16_MAX, &v) :
		      !strcmp(key, "count") ?
		      arg_u32("count", argv[0], 1, XM_QUERY_COUNT_MAX, &v) :
		      !strcmp(key, "min_free_mem_mb") ?
		      arg_u32("memory in MB", argv[0], 0, UINT32_MAX, &v) :
		      !strcmp(key, "min_free_disk_gb") ?
		      arg_u32("disk space in GB", argv[0], 0, UINT32_MAX, &v) :
		      arg_u32("node id", argv[0], 1, UINT32_MAX, &v);
		if (ret)
			return ret;
		json_object_object_add(req, key, json_object_new_int64(v));
	}
	return XM_EXIT_OK;
}

/*
 * xmeshd's reply to req (taken) if status, the parse of the command's
 * arguments, is 0; else, or if it fails, NULL with *ret the exit status.
 */
static json_object *ask_parsed(struct ctx *c, json_object *req, int status,
			       int *ret)
{
	json_object *r;

	*ret = xm_status(status);
	if (status) {
		json_object_put(req);
		return NULL;
	}
	r = agent_ask(c, req, false);
	if (!r)
		*ret = XM_EXIT_FAIL;
	return r;
}

static int node_show(struct ctx *c, int argc, char **argv)
{
	json_object *req = agent_cmd("nodes"), *r, *nodes;
	size_t i;
	int ret;

	r = ask_parsed(c, req, node_args(argc, argv, req, false), &ret);
	if (!r)
		return ret;
	nodes = jget(r, "nodes");
	out_list_begin(&c->out);
	for (i = 0; nodes && i < json_object_array_length(nodes); i++)
		print_node(&c->out, json_object_array_get_idx(nodes, i));
	out_list_end(&c->out);
	json_object_put(r);
	return XM_EXIT_OK;
}

/*
 * The nearest node that fits (JSON: it, or null); with count, a list of
 * them (JSON: an array). None: exit 1.
 */
static int node_find(struct ctx *c, int argc, char **argv)
{
	json_object *req = agent_cmd("find"), *r, *nodes;
	bool list;
	size_t i, n;
	int ret;

	ret = node_args(argc, argv, req, true);
	list = jget(req, "count") != NULL;
	r = ask_parsed(c, req, ret, &ret);
	if (!r)
		return ret;
	nodes = jget(r, "nodes");
	n = json_object_is_type(nodes, json_type_array) ?
	    json_object_array_length(nodes) : 0;
	if (list)
		out_list_begin(&c->out);
	for (i = 0; i < n && (list || !i); i++)
		print_node(&c->out, json_object_array_get_idx(nodes, i));
	if (list)
		out_list_end(&c->out);
	else if (!n && c->json)
		out_json(&c->out, NULL, NULL);
	if (!n && !c->json)
		pr_err("no reachable node fits.");
	json_object_put(r);
	return n ? XM_EXIT_OK : XM_EXIT_FAIL;
}

static const struct cmd node_cmds[] = {
	{ "show", "list ls lst", node_show, CMD_RUN },
	{ "find", NULL, node_find, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_node(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, node_cmds, "node command", "show", usage_node,
			    argc, argv);
}

/* ---- topology ---- */

void usage_topology(FILE *fp)
{
	fputs("Usage: xmesh topology [ show ]\n"
	      "Every node and the adjacencies it advertises, as xmeshd sees them.\n",
	      fp);
}

static int only_help(int argc, char **argv, void (*usage)(FILE *fp))
{
	if (argc > 0 && is_help(argv[0])) {
		usage(stdout);
		return XM_HELP;
	}
	if (argc > 0)
		return arg_unknown(argv[0], usage);
	return XM_EXIT_OK;
}

/* xmeshd's reply to cmd, for a show of no arguments. */
static json_object *show_ask(struct ctx *c, const char *cmd,
			     void (*usage)(FILE *fp), int argc, char **argv,
			     int *ret)
{
	int status = only_help(argc, argv, usage);

	return ask_parsed(c, agent_cmd(cmd), status, ret);
}

/* An object whose only command is show, also its default. */
static int dispatch_show(struct ctx *c,
			 int (*show)(struct ctx *c, int argc, char **argv),
			 const char *what, void (*usage)(FILE *fp), int argc,
			 char **argv)
{
	const struct cmd cmds[] = {
		{ "show", "list ls lst", show, CMD_RUN },
		{ NULL, NULL, NULL, CMD_RUN },
	};

	return cmd_dispatch(c, cmds, what, "show", usage, argc, argv);
}

static int topology_show(struct ctx *c, int argc, char **argv)
{
	json_object *r, *nodes, *edges;
	size_t i, j;
	int ret;

	r = show_ask(c, "topology", usage_topology, argc, argv, &ret);
	if (!r)
		return ret;
	if (c->json) {
		out_json(&c->out, NULL, r);
		json_object_put(r);
		return XM_EXIT_OK;
	}
	nodes = jget(r, "nodes");
	edges = jget(r, "edges");
	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);
		uint64_t id = jnum(n, "node");

		out_text(&c->out, "node %" PRIu64, id);
		text_name(&c->out, n);
		if (!jbool(n, "reachable"))
			out_text(&c->out, " unreachable");
		out_nl(&c->out);
		for (j = 0; edges && j < json_object_array_length(edges); j++) {
			json_object *e = json_object_array_get_idx(edges, j);

			if (jnum(e, "from") != id)
				continue;
			out_text(&c->out, "    to %" PRIu64 " metric %" PRIu64
				 " rtt %s ms loss %s%% bandwidth %" PRIu64
				 " Mbit/s", jnum(e, "to"), jnum(e, "metric"),
				 jstr(e, "rtt_ms"), jstr(e, "loss_pct"),
				 jnum(e, "bandwidth_mbps"));
			out_nl(&c->out);
		}
	}
	json_object_put(r);
	return XM_EXIT_OK;
}

int do_topology(struct ctx *c, int argc, char **argv)
{
	return dispatch_show(c, topology_show, "topology command",
			     usage_topology, argc, argv);
}

/* ---- path ---- */

void usage_path(FILE *fp)
{
	fputs("Usage: xmesh path [ show ] NODE [ class CLASS ]\n"
	      "The path xmeshd computed to NODE: every hop, with the cost so far\n"
	      "and the hop's own. With a class (bulk, interactive, realtime,\n"
	      "network-control), the path that class's packets take: its own, at\n"
	      "its metric, when its paths differ from the default ones.\n",
	      fp);
}

static int path_show(struct ctx *c, int argc, char **argv)
{
	json_object *req, *r, *hops;
	uint8_t tclass = 0;
	uint32_t node;
	size_t i, n;
	int ret;

	if (argc > 0 && is_help(argv[0])) {
		usage_path(stdout);
		return XM_EXIT_OK;
	}
	if (argc == 3 && (!strcmp(argv[1], "class") ||
			  !strcmp(argv[1], "tclass"))) {
		ret = arg_tclass(argv[2], &tclass);
		if (ret)
			return ret;
		argc = 1;
	}
	if (argc != 1) {
		pr_err("path show takes one node, and a class.");
		return XM_EXIT_USAGE;
	}
	ret = arg_u32("node id", argv[0], 1, UINT32_MAX, &node);
	if (ret)
		return ret;
	req = agent_cmd("path");
	json_object_object_add(req, "node", json_object_new_int64(node));
	if (tclass)
		json_object_object_add(req, "tclass", json_object_new_string(
						xm_tclass_name(tclass)));
	r = agent_ask(c, req, false);
	if (!r)
		return XM_EXIT_FAIL;
	hops = jget(r, "hops");
	n = hops ? json_object_array_length(hops) : 0;
	if (c->json) {
		out_json(&c->out, NULL, r);
	} else if (!jbool(r, "reachable")) {
		pr_err("node %u is unreachable.", node);
	} else {
		out_text(&c->out, "node %u cost %" PRIu64 " hops %zu", node,
			 jnum(r, "cost"), n ? n - 1 : 0);
		if (tclass)
			out_text(&c->out, " class %s table %s%s%s",
				 jstr(r, "tclass"), jstr(r, "table"),
				 *jstr(r, "metric") ? " metric " : "",
				 jstr(r, "metric"));
		out_nl(&c->out);
		for (i = 0; i < n; i++) {
			json_object *h = json_object_array_get_idx(hops, i);

			out_text(&c->out, "    %zu: node %" PRIu64, i,
				 jnum(h, "node"));
			text_name(&c->out, h);
			out_text(&c->out, " cost %" PRIu64, jnum(h, "cost"));
			/* A class's costs are in its own metric: each hop's
			 * too. */
			if (tclass)
				out_text(&c->out, " (+%" PRIu64 ")",
					 jnum(h, "hop_cost"));
			out_nl(&c->out);
		}
	}
	ret = jbool(r, "reachable") ? XM_EXIT_OK : XM_EXIT_FAIL;
	json_object_put(r);
	return ret;
}

int do_path(struct ctx *c, int argc, char **argv)
{
	/* "path show NODE" or "path NODE". */
	if (argc > 0 && (!strcmp(argv[0], "show") || !strcmp(argv[0], "list")))
		argc--, argv++;
	return path_show(c, argc, argv);
}

/* ---- agent ---- */

void usage_agent(FILE *fp)
{
	fputs("Usage: xmesh agent [ show ]\n"
	      "xmeshd's state; with -s its counters and the protocol's.\n", fp);
}

static void print_counters(struct out *o, const char *title,
			   json_object *counters)
{
	char label[48], *p;
	int on_line = 0;

	if (!counters)
		return;
	out_text(o, "    %s:", title);
	json_object_object_foreach(counters, k, v) {
		(void)v;
		if (on_line == 4) {
			out_nl(o);
			out_text(o, "       ");
			on_line = 0;
		}
		snprintf(label, sizeof(label), "%s", k);
		for (p = label; *p; p++)
			if (*p == '_')
				*p = '-';
		out_text(o, " %s %s", label, json_object_get_string(v));
		on_line++;
	}
	out_nl(o);
}

static int agent_show(struct ctx *c, int argc, char **argv)
{
	json_object *r;
	uint64_t up;
	int ret;

	r = show_ask(c, "status", usage_agent, argc, argv, &ret);
	if (!r)
		return ret;
	if (!c->stats) {
		json_object_object_del(r, "stats");
		json_object_object_del(r, "agent");
		json_object_object_del(r, "kx");
	}
	if (c->json) {
		out_json(&c->out, NULL, r);
		json_object_put(r);
		return XM_EXIT_OK;
	}
	up = jnum(r, "uptime_ms") / 1000;
	out_text(&c->out, "xmeshd %s: node %" PRIu64, jstr(r, "version"),
		 jnum(r, "node"));
	text_name(&c->out, r);
	out_text(&c->out, " dev %s up %" PRIu64 "d %02" PRIu64 ":%02" PRIu64
		 ":%02" PRIu64 " tables %s", jstr(r, "device"), up / 86400,
		 up / 3600 % 24, up / 60 % 60, up % 60,
		 jbool(r, "fib_ready") ? "programmed" : "on hold");
	out_nl(&c->out);
	out_text(&c->out, "    neighbors %" PRIu64 " up %" PRIu64 " nodes %"
		 PRIu64 " reachable %" PRIu64, jnum(r, "neighbors"),
		 jnum(r, "neighbors_up"), jnum(r, "nodes"),
		 jnum(r, "nodes_reachable"));
	if (*jstr(r, "security"))
		out_text(&c->out, " security %s", jstr(r, "security"));
	out_nl(&c->out);
	if (jget(r, "origin")) {
		json_object *og = jget(r, "origin");

		out_text(&c->out, "    origin on generation %#" PRIx64
			 " sealing %#" PRIx64 " key-id %" PRIu64
			 " rotations %" PRIu64 " nodes %" PRIu64,
			 jnum(og, "generation"), jnum(og, "sealing"),
			 jnum(og, "key_id"), jnum(og, "rotations"),
			 jnum(og, "nodes"));
		out_nl(&c->out);
	}
	if (c->stats) {
		print_counters(&c->out, "protocol", jget(r, "stats"));
		print_counters(&c->out, "agent", jget(r, "agent"));
		print_counters(&c->out, "kx", jget(r, "kx"));
	}
	json_object_put(r);
	return XM_EXIT_OK;
}

int do_agent(struct ctx *c, int argc, char **argv)
{
	return dispatch_show(c, agent_show, "agent command", usage_agent,
			     argc, argv);
}
