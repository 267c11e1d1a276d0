// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh remediation: what the controller's remediation decided and did
 * (Documentation/controller.md, "Remediation").
 *
 *   log [ limit N ] [ before ID ]   newest first, N entries (default 100,
 *                                   at most 1000), those before ID
 *
 * The controller and the token as for xmesh policy (ctlapi.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlapi.h"
#include "tool.h"

static void usage_remediation(FILE *fp)
{
	fputs("Usage: xmesh remediation log [ limit N ] [ before ID ]\n"
	      "The controller: $XMESH_CONTROLLER (default "
	      XM_CTL_DEFAULT_URL "); the API token:\n"
	      "$XMESH_TOKEN or the file $XMESH_TOKEN_FILE.\n"
	      "See Documentation/controller.md.\n", fp);
}

static json_object *field(json_object *e, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(e, k, &v) ? v : NULL;
}

static void print_time(struct ctx *c, const char *label, int64_t t)
{
	char when[32] = "";
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out_str(&c->out, NULL, label, when);
}

static void print_entry(struct ctx *c, json_object *e)
{
	uint64_t peer = (uint64_t)json_object_get_int64(field(e, "peer"));
	int64_t t = json_object_get_int64(field(e, "time"));
	int64_t ot = json_object_get_int64(field(e, "outcome_time"));
	const char *outcome = json_object_get_string(field(e, "outcome"));

	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "id", "", (uint64_t)json_object_get_int64(field(e,
								    "id")));
	print_time(c, "", t);
	out_uint(&c->out, "time", NULL, (uint64_t)t);
	out_str(&c->out, "rule", "rule",
		json_object_get_string(field(e, "rule")));
	out_str(&c->out, "verdict", "",
		json_object_get_string(field(e, "verdict")));
	out_str(&c->out, "action", "",
		json_object_get_string(field(e, "action")));
	out_uint(&c->out, "node", peer ? "link" : "node",
		 (uint64_t)json_object_get_int64(field(e, "node")));
	if (peer)
		out_text(&c->out, "-%llu", (unsigned long long)peer);
	out_uint(&c->out, "peer", NULL, peer);
	out_uint(&c->out, "tries", NULL,
		 (uint64_t)json_object_get_int64(field(e, "tries")));
	out_json(&c->out, "value", field(e, "value"));
	out_str(&c->out, "detail", NULL,
		json_object_get_string(field(e, "detail")));
	out_text(&c->out, "\n    %s", json_object_get_string(field(e,
								    "detail")));
	out_str(&c->out, "outcome", NULL, outcome);
	out_text(&c->out, "\n    -> %s", outcome && *outcome ? outcome :
		 "(running)");
	out_uint(&c->out, "outcome_time", NULL, (uint64_t)ot);
	out_obj_end(&c->out);
	out_nl(&c->out);
}

static int remediation_log(struct ctx *c, int argc, char **argv)
{
	uint32_t limit = 100, before = 0;
	char path[128];
	json_object *entries;
	struct ctl_reply r;
	size_t i, n;
	int ret;

	while (argc > 0) {
		if (is_help(argv[0])) {
			usage_remediation(stdout);
			return XM_EXIT_OK;
		}
		if (argc < 2 || (strcmp(argv[0], "limit") &&
				 strcmp(argv[0], "before")))
			return xm_status(arg_unknown(argv[0],
						     usage_remediation));
		ret = !strcmp(argv[0], "limit") ?
		      arg_u32("limit", argv[1], 1, 1000, &limit) :
		      arg_u32("before", argv[1], 1, UINT32_MAX, &before);
		if (ret)
			return ret;
		argc -= 2;
		argv += 2;
	}
	snprintf(path, sizeof(path), "/api/v1/remediation/log?limit=%u",
		 limit);
	if (before)
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
			 "&before=%u", before);
	ret = ctl_api("GET", path, NULL, 0, &r);
	if (ret)
		return ret;
	if (!r.json || !json_object_object_get_ex(r.json, "entries",
						  &entries)) {
		pr_err("the controller's answer has no entries.");
		ctl_reply_free(&r);
		return XM_EXIT_FAIL;
	}
	n = json_object_array_length(entries);
	out_list_begin(&c->out);
	for (i = 0; i < n; i++)
		print_entry(c, json_object_array_get_idx(entries, i));
	out_list_end(&c->out);
	/* Text only: where the next page starts. */
	if (!c->json && *ctl_member(&r, "next"))
		printf("(more: xmesh remediation log before %s)\n",
		       ctl_member(&r, "next"));
	ctl_reply_free(&r);
	return XM_EXIT_OK;
}

static const struct cmd remediation_cmds[] = {
	{ "log", NULL, remediation_log, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_remediation(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, remediation_cmds, "remediation command", NULL,
			    usage_remediation, argc, argv);
}
