// SPDX-License-Identifier: GPL-2.0
/* The top level: options, then one command or a batch of them. */
#include "tool.h"

#include <string.h>

void usage_main(FILE *fp)
{
	fputs("Usage: xmesh [ OPTIONS ] OBJECT { COMMAND | help }\n"
	      "       xmesh [ OPTIONS ] -batch FILE\n"
	      "OBJECT := { dev | neigh | route | prefix | key | qos | monitor | ping |\n"
	      "            trace | node | topology | path | agent | cert | gate |\n"
	      "            zone | filter | policy | remediation | export | mroute |\n"
	      "            group }\n"
	      "OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -d[ev] DEV |\n"
	      "             -S[ocket] SOCKET | -b[atch] FILE | -f[orce] |\n"
	      "             -V[ersion] | -h[elp] }\n"
	      "Objects and commands may be shortened to any unique prefix.\n"
	      "See xmesh(8).\n", fp);
}

static int do_help(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	usage_main(stdout);
	return XM_EXIT_OK;
}

static const struct cmd objects[] = {
	{ "dev", NULL, do_dev, CMD_GROUP },
	/* "n" and "t" stay what they were before node and topology. */
	{ "neigh", "n neighbor neighbour", do_neigh, CMD_GROUP },
	{ "route", NULL, do_route, CMD_GROUP },
	{ "prefix", NULL, do_prefix, CMD_GROUP },
	{ "key", "keys", do_key, CMD_GROUP },
	{ "qos", NULL, do_qos, CMD_GROUP },
	{ "monitor", NULL, do_monitor, CMD_RUN },
	{ "ping", NULL, do_ping, CMD_RUN },
	{ "trace", "t traceroute", do_trace, CMD_RUN },
	{ "node", "nodes", do_node, CMD_GROUP },
	{ "topology", NULL, do_topology, CMD_GROUP },
	{ "path", NULL, do_path, CMD_RUN },
	{ "agent", NULL, do_agent, CMD_GROUP },
	{ "cert", NULL, do_cert, CMD_GROUP },
	{ "gate", NULL, do_gate, CMD_GROUP },
	{ "zone", "zones", do_zone, CMD_GROUP },
	{ "filter", NULL, do_filter, CMD_GROUP },
	{ "policy", NULL, do_policy, CMD_GROUP },
	{ "remediation", NULL, do_remediation, CMD_GROUP },
	{ "export", "exports", do_export, CMD_GROUP },
	{ "mroute", NULL, do_mroute, CMD_GROUP },
	{ "group", "groups", do_group, CMD_GROUP },
	{ "help", NULL, do_help, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int xm_run(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, objects, "object", NULL, usage_main, argc,
			    argv);
}

/* "-j", "-json", "--json": one dash or two, short or long. */
static bool opt_is(const char *arg, const char *shrt, const char *lng)
{
	if (arg[0] == '-' && arg[1] == '-')
		arg++;
	return !strcmp(arg, shrt) || !strcmp(arg, lng);
}

int xm_main(struct ctx *c, int argc, char **argv)
{
	const char *batch = NULL;
	int ret;

	for (argc--, argv++; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		const char *opt = argv[0];

		if (opt_is(opt, "-j", "-json")) {
			c->json = true;
		} else if (opt_is(opt, "-p", "-pretty")) {
			c->pretty = true;
		} else if (opt_is(opt, "-s", "-statistics") ||
			   opt_is(opt, "-s", "-stats")) {
			c->stats = true;
		} else if (opt_is(opt, "-f", "-force")) {
			c->force = true;
		} else if (opt_is(opt, "-d", "-dev")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_ifname("device", argv[0]);
			if (ret)
				return ret;
			c->dev = argv[0];
		} else if (opt_is(opt, "-S", "-socket")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			c->socket = argv[0];
		} else if (opt_is(opt, "-b", "-batch")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			batch = argv[0];
		} else if (opt_is(opt, "-V", "-Version")) {
			printf("xmesh %s (family %s version %d)\n", XM_VERSION,
			       XMESH_GENL_NAME, XMESH_GENL_VERSION);
			return XM_EXIT_OK;
		} else if (opt_is(opt, "-h", "-help")) {
			usage_main(stdout);
			return XM_EXIT_OK;
		} else {
			pr_err("option \"%s\" is unknown; try \"xmesh help\".",
			       opt);
			return XM_EXIT_USAGE;
		}
	}
	out_init(&c->out, stdout, c->json, c->pretty);
	if (batch) {
		if (argc > 0) {
			pr_err("-batch takes no command (\"%s\").", argv[0]);
			return XM_EXIT_USAGE;
		}
		return run_batch(c, batch);
	}
	if (argc < 1) {
		usage_main(stderr);
		return XM_EXIT_USAGE;
	}
	ret = xm_run(c, argc, argv);
	/* A command that queued changes but did not apply them (it cannot
	 * happen outside -batch, but be safe). */
	if (!ret)
		ret = ctx_flush(c);
	return ret;
}
