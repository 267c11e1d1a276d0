// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh export show: this node's probed route exports and, for every
 * prefix advertised with a priority, its advertisers and the one used
 * (xmeshd's "exports" command; Documentation/exports.md).
 */
#include "tool.h"

#include <inttypes.h>
#include <string.h>

void usage_export(FILE *fp)
{
	fputs("Usage: xmesh export [ show ]\n"
	      "This node's exports (prefix, target, check state, priority,\n"
	      "advertised or not) and every prefix advertised with a\n"
	      "priority: its advertisers, the one chosen marked \"*\".\n",
	      fp);
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? json_object_get_string(v) : "";
}

static uint64_t num_of(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static void print_export(struct out *o, json_object *e)
{
	out_text(o, "%s via %s check %s", str_of(e, "prefix"),
		 str_of(e, "target"), str_of(e, "check"));
	if (jget(e, "port"))
		out_text(o, ":%" PRIu64, num_of(e, "port"));
	if (jget(e, "dev"))
		out_text(o, " dev %s", str_of(e, "dev"));
	out_text(o, " priority %" PRIu64 " %s%s since %.1fs",
		 num_of(e, "priority"), str_of(e, "state"),
		 json_object_get_boolean(jget(e, "advertised")) ?
		 " advertised" : " withdrawn",
		 (double)num_of(e, "since_ms") / 1000);
	out_nl(o);
	out_text(o, "    last %s", str_of(e, "last"));
	if (jget(e, "last_error"))
		out_text(o, " (%s)", str_of(e, "last_error"));
	if (jget(e, "hold_left_ms"))
		out_text(o, " hold %.1fs left",
			 (double)num_of(e, "hold_left_ms") / 1000);
	out_text(o, " checks %" PRIu64 " failed %" PRIu64
		 " interval %" PRIu64 "ms fall %" PRIu64 " rise %" PRIu64
		 " hold %" PRIu64 "s", num_of(e, "checks"),
		 num_of(e, "failures"), num_of(e, "interval_ms"),
		 num_of(e, "fall"), num_of(e, "rise"), num_of(e, "hold_s"));
	out_nl(o);
}

static void print_prefix_advertisers(struct out *o, json_object *p)
{
	json_object *a = jget(p, "advertisers");
	size_t i;

	out_text(o, "prefix %s", str_of(p, "prefix"));
	if (jget(p, "chosen"))
		out_text(o, " via node %" PRIu64, num_of(p, "chosen"));
	else
		out_text(o, " unreachable");
	out_nl(o);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);

		out_text(o, "  %s node %" PRIu64 " priority %" PRIu64,
			 json_object_get_boolean(jget(v, "chosen")) ? "*" : " ",
			 num_of(v, "node"), num_of(v, "priority"));
		if (json_object_get_boolean(jget(v, "reachable")))
			out_text(o, " cost %" PRIu64, num_of(v, "cost"));
		else
			out_text(o, " unreachable");
		out_nl(o);
	}
}

static int export_show(struct ctx *c, int argc, char **argv)
{
	json_object *r, *a;
	size_t i;

	if (argc > 0 && is_help(argv[0])) {
		usage_export(stdout);
		return XM_EXIT_OK;
	}
	if (argc > 0)
		return arg_unknown(argv[0], usage_export);
	r = agent_ask(c, agent_cmd("exports"), false);
	if (!r)
		return XM_EXIT_FAIL;
	if (c->json) {
		out_json(&c->out, NULL, r);
		json_object_put(r);
		return XM_EXIT_OK;
	}
	a = jget(r, "exports");
	for (i = 0; a && i < json_object_array_length(a); i++)
		print_export(&c->out, json_object_array_get_idx(a, i));
	a = jget(r, "prefixes");
	for (i = 0; a && i < json_object_array_length(a); i++)
		print_prefix_advertisers(&c->out,
					 json_object_array_get_idx(a, i));
	json_object_put(r);
	return XM_EXIT_OK;
}

static const struct cmd export_cmds[] = {
	{ "show", "list ls lst", export_show, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_export(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, export_cmds, "export command", "show",
			    usage_export, argc, argv);
}
