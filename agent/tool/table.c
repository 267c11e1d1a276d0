// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that the kernel's tables (neigh, route, prefix) share:
 * show (dump, filter, print), add, replace, del and flush, each run for
 * the table that table_run was given.
 */
#include "tool.h"

#include <string.h>

const char *table_verb(const struct table *t, uint8_t cmd)
{
	static char buf[32];
	const char *word = "set";

	if (cmd == t->cmd_new)
		word = "add";
	else if (cmd == t->cmd_get)
		word = "show";
	else if (cmd == t->cmd_del)
		word = "del";
	snprintf(buf, sizeof(buf), "%s %s", t->name, word);
	return buf;
}

int table_submit(struct ctx *c, uint8_t cmd, bool replace, int argc,
		 char **argv)
{
	struct xm_change ch;
	int ret = c->table->parse(c, cmd, argc, argv, &ch);

	if (ret)
		return xm_status(ret);
	ch.replace = replace;
	return ctx_submit(c, &ch);
}

int table_add(struct ctx *c, int argc, char **argv)
{
	return table_submit(c, c->table->cmd_new, false, argc, argv);
}

int table_replace(struct ctx *c, int argc, char **argv)
{
	return table_submit(c, c->table->cmd_new, true, argc, argv);
}

int table_del(struct ctx *c, int argc, char **argv)
{
	return table_submit(c, c->table->cmd_del, false, argc, argv);
}

int arg_dev(int *argc, char ***argv, const char **dev)
{
	int ret;

	if (*dev)
		return arg_dup((*argv)[0]);
	if (!next_arg(argc, argv))
		return XM_EXIT_USAGE;
	ret = arg_ifname("device", (*argv)[0]);
	if (!ret)
		*dev = (*argv)[0];
	return ret;
}

int parse_dev_only(int argc, char **argv, const char **dev,
		   void (*usage)(FILE *fp))
{
	int ret;

	for (*dev = NULL; argc > 0; argc--, argv++) {
		if (strcmp(argv[0], "dev"))
			return arg_unknown(argv[0], usage);
		ret = arg_dev(&argc, &argv, dev);
		if (ret)
			return ret;
	}
	return XM_EXIT_OK;
}

int table_flush(struct ctx *c, int argc, char **argv)
{
	struct xm_change ch;
	const char *dev;
	int ret = parse_dev_only(argc, argv, &dev, c->table->usage);

	if (ret)
		return xm_status(ret);
	memset(&ch, 0, sizeof(ch));
	ch.cmd = c->table->cmd_del;
	ch.flush = true;
	snprintf(ch.ifname, sizeof(ch.ifname), "%s", ctx_dev(c, dev));
	return ctx_submit(c, &ch);
}

int table_show(struct ctx *c, int argc, char **argv)
{
	const struct table *t = c->table;
	json_object *view = NULL;
	struct xm_list l = { 0 };
	struct xm_change f;
	size_t i;
	int ret;

	/* The filter reads like an entry, every field optional. */
	ret = t->parse(c, t->cmd_get, argc, argv, &f);
	if (ret)
		return xm_status(ret);
	ret = ctx_dump(c, t->cmd_get, f.ifname, &l);
	if (ret)
		return ret;
	/* The agent's view too, when it runs (quietly: it need not). */
	if (t->view_cmd)
		view = agent_ask(c, agent_cmd(t->view_cmd), true);
	out_list_begin(&c->out);
	for (i = 0; i < l.n; i++)
		if (t->match(&l.v[i], &f.e))
			t->print(c, &l.v[i], view);
	out_list_end(&c->out);
	json_object_put(view);
	xm_list_free(&l);
	return XM_EXIT_OK;
}

const struct cmd table_cmds[] = {
	{ "show", "list ls lst", table_show, CMD_RUN },
	{ "add", NULL, table_add, CMD_CHANGE },
	{ "replace", NULL, table_replace, CMD_CHANGE },
	{ "del", "delete", table_del, CMD_CHANGE },
	{ "flush", NULL, table_flush, CMD_CHANGE },
	{ NULL, NULL, NULL, CMD_RUN },
};

int table_run(struct ctx *c, const struct table *t, int argc, char **argv)
{
	char what[32];

	snprintf(what, sizeof(what), "%s command", t->name);
	c->table = t;
	return cmd_dispatch(c, t->cmds, what, "show", t->usage, argc, argv);
}
