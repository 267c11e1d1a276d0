// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh group: the mesh's multicast groups as xmeshd knows them (who
 * sends, who receives, from every node's advert) with this node's part of
 * each tree from the kernel (its multicast routes: branches, local
 * delivery, counters). Documentation/multicast.md.
 */
#include "tool.h"

#include <string.h>

void usage_group(FILE *fp)
{
	fputs("Usage: xmesh group [ show ] [ GROUP ] [ dev DEV ]\n"
	      "       xmesh group join GROUP [ send ] [ receive ]\n"
	      "       xmesh group leave GROUP\n"
	      "Every group some node advertises (its senders and receivers, from\n"
	      "xmeshd) and this node's multicast routes of it (neighbors copied\n"
	      "to, local delivery; -s: counters). Nodes join groups with \"group\"\n"
	      "lines in xmeshd.conf (xmeshd(8)); join and leave change this node's\n"
	      "at once, until xmeshd reloads or restarts (receive when neither\n"
	      "role is given).\n", fp);
}

/* The groups of every node the agent knows, as {group: {send, receive}}. */
static json_object *groups_by_name(json_object *nodes)
{
	json_object *out = json_object_new_object();
	size_t i, j;

	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);
		json_object *node = jget(n, "node"), *gs = jget(n, "groups");

		for (j = 0; gs && j < json_object_array_length(gs); j++) {
			json_object *g = json_object_array_get_idx(gs, j);
			const char *name = json_object_get_string(jget(g, "group"));
			json_object *e;

			if (!name || !node)
				continue;
			if (!json_object_object_get_ex(out, name, &e)) {
				e = json_object_new_object();
				json_object_object_add(e, "senders",
						       json_object_new_array());
				json_object_object_add(e, "receivers",
						       json_object_new_array());
				json_object_object_add(out, name, e);
			}
			if (json_object_get_boolean(jget(g, "send")))
				json_object_array_add(jget(e, "senders"),
						      json_object_get(node));
			if (json_object_get_boolean(jget(g, "receive")))
				json_object_array_add(jget(e, "receivers"),
						      json_object_get(node));
		}
	}
	return out;
}

static void print_ids(struct out *o, const char *key, const char *label,
		      json_object *ids)
{
	size_t i;

	out_arr_begin(o, key);
	if (!o->json)
		out_text(o, " %s", label);
	for (i = 0; i < json_object_array_length(ids); i++)
		out_uint(o, NULL, "",
			 (uint64_t)json_object_get_int64(
				 json_object_array_get_idx(ids, i)));
	if (!o->json && !json_object_array_length(ids))
		out_text(o, " none");
	out_arr_end(o);
}

static void print_group_route(struct ctx *c, const struct xm_mroute *m)
{
	struct out *o = &c->out;
	unsigned int i;

	out_obj_begin(o, NULL);
	out_text(o, "    ");
	out_uint(o, "root", "root", m->root);
	out_arr_begin(o, "neighs");
	for (i = 0; i < m->n_neighs; i++)
		out_uint(o, NULL, "neigh", m->neigh[i]);
	out_arr_end(o);
	out_bool(o, "local", "local", m->local);
	if (c->stats) {
		out_obj_begin(o, "stats");
		out_uint(o, "tx_packets", "tx packets", m->tx_packets);
		out_uint(o, "tx_bytes", "bytes", m->tx_bytes);
		out_uint(o, "rx_packets", "rx packets", m->rx_packets);
		out_uint(o, "rx_bytes", "bytes", m->rx_bytes);
		out_uint(o, "drops", "drops", m->drops);
		out_obj_end(o);
	}
	out_nl(o);
	out_obj_end(o);
}

static int group_show(struct ctx *c, int argc, char **argv)
{
	const char *dev = NULL, *only = NULL;
	json_object *reply, *groups;
	struct xm_list l = { 0 };
	struct xm_addr want;
	int ret;
	size_t i;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
			if (ret)
				return ret;
		} else if (!only && !xm_parse_addr(argv[0], &want, NULL)) {
			only = argv[0];
		} else {
			return arg_unknown(argv[0], usage_group);
		}
	}
	reply = agent_ask(c, agent_cmd("nodes"), false);
	if (!reply)
		return XM_EXIT_FAIL;
	ret = ctx_dump(c, XMESH_CMD_MROUTE_GET, ctx_dev(c, dev), &l);
	if (ret) {
		json_object_put(reply);
		return ret;
	}
	groups = groups_by_name(jget(reply, "nodes"));
	out_list_begin(&c->out);
	json_object_object_foreach(groups, name, e) {
		struct xm_addr g;

		if (xm_parse_addr(name, &g, NULL) ||
		    (only && !xm_addr_eq(&g, &want)))
			continue;
		out_obj_begin(&c->out, NULL);
		out_str(&c->out, "group", "group", name);
		print_ids(&c->out, "senders", "senders", jget(e, "senders"));
		print_ids(&c->out, "receivers", "receivers",
			  jget(e, "receivers"));
		out_nl(&c->out);
		out_arr_begin(&c->out, "routes");
		for (i = 0; i < l.n; i++)
			if (l.v[i].type == XMESH_A_MROUTE &&
			    xm_addr_eq(&l.v[i].mroute.group, &g))
				print_group_route(c, &l.v[i].mroute);
		out_arr_end(&c->out);
		out_obj_end(&c->out);
	}
	out_list_end(&c->out);
	json_object_put(groups);
	json_object_put(reply);
	xm_list_free(&l);
	return XM_EXIT_OK;
}

/* This node's groups after a join or leave, as the agent answered. */
static void print_own_groups(struct out *o, json_object *groups)
{
	size_t i;

	out_list_begin(o);
	for (i = 0; groups && i < json_object_array_length(groups); i++) {
		json_object *g = json_object_array_get_idx(groups, i);

		out_obj_begin(o, NULL);
		out_str(o, "group", "group",
			json_object_get_string(jget(g, "group")));
		out_bool(o, "send", "send",
			 json_object_get_boolean(jget(g, "send")));
		out_bool(o, "receive", "receive",
			 json_object_get_boolean(jget(g, "receive")));
		out_nl(o);
		out_obj_end(o);
	}
	out_list_end(o);
}

/* join GROUP [ send ] [ receive ] | leave GROUP, through xmeshd. */
static int group_change(struct ctx *c, int argc, char **argv, bool join)
{
	const char *cmd = join ? "group-join" : "group-leave";
	json_object *req, *reply;
	bool send = false, recv = false;
	struct xm_addr g;

	if (argc < 1) {
		pr_err("group %s: which group?", join ? "join" : "leave");
		usage_group(stderr);
		return XM_EXIT_USAGE;
	}
	if (xm_parse_addr(argv[0], &g, NULL)) {
		pr_err("\"%s\" is not a group address.", argv[0]);
		return XM_EXIT_USAGE;
	}
	req = agent_cmd(cmd);
	json_object_object_add(req, "group", json_object_new_string(argv[0]));
	for (argc--, argv++; argc > 0; argc--, argv++) {
		if (join && !strcmp(argv[0], "send") && !send) {
			send = true;
		} else if (join && !strcmp(argv[0], "receive") && !recv) {
			recv = true;
		} else {
			json_object_put(req);
			return arg_unknown(argv[0], usage_group);
		}
	}
	if (send)
		json_object_object_add(req, "send",
				       json_object_new_boolean(true));
	if (recv)
		json_object_object_add(req, "receive",
				       json_object_new_boolean(true));
	reply = agent_ask(c, req, false);
	if (!reply)
		return XM_EXIT_FAIL;
	print_own_groups(&c->out, jget(reply, "groups"));
	json_object_put(reply);
	return XM_EXIT_OK;
}

static int group_join(struct ctx *c, int argc, char **argv)
{
	return group_change(c, argc, argv, true);
}

static int group_leave(struct ctx *c, int argc, char **argv)
{
	return group_change(c, argc, argv, false);
}

static const struct cmd group_cmds[] = {
	{ "show", "list ls lst", group_show, CMD_RUN },
	{ "join", NULL, group_join, CMD_RUN },
	{ "leave", NULL, group_leave, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_group(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, group_cmds, "group command", "show",
			    usage_group, argc, argv);
}
