// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh prefix: overlay prefixes and the node owning each. A prefix of
 * another node also gets a host route through the xmesh device
 * (hostroute.c), so that applications need nothing special.
 */
#include "tool.h"

#include <string.h>

void usage_prefix(FILE *fp)
{
	fputs("Usage: xmesh prefix [ show ] [ PREFIX ] [ node NODE ] [ dev DEV ]\n"
	      "       xmesh prefix { add | replace } PREFIX node NODE [ dev DEV ]\n"
	      "       xmesh prefix del PREFIX [ dev DEV ]\n"
	      "       xmesh prefix flush [ dev DEV ]\n"
	      "PREFIX := ADDRESS[/LENGTH], IPv4 or IPv6, host bits zero\n"
	      "NODE := 1..4294967295\n"
	      "A prefix of another node also gets the host route\n"
	      "\"PREFIX dev DEV proto xmesh\"; del and flush remove it.\n", fp);
}

static const char *verb(uint8_t cmd, bool replace)
{
	if (cmd == XMESH_CMD_PREFIX_NEW)
		return replace ? "prefix replace" : "prefix add";
	return cmd == XMESH_CMD_PREFIX_GET ? "prefix show" : "prefix del";
}

int parse_prefix(struct ctx *c, uint8_t cmd, int argc, char **argv,
		 struct xm_change *ch)
{
	struct xm_prefix *p = &ch->e.prefix;
	const char *dev = NULL;
	int ret;

	memset(ch, 0, sizeof(*ch));
	ch->cmd = cmd;
	ch->e.type = XMESH_A_PREFIX;
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			if (dev)
				return arg_dup(kw);
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_ifname("device", argv[0]);
			if (ret)
				return ret;
			dev = argv[0];
		} else if (!strcmp(kw, "node")) {
			if (cmd == XMESH_CMD_PREFIX_DEL) {
				pr_err("prefix del takes no \"node\": the prefix names the entry.");
				return XM_EXIT_USAGE;
			}
			if (XM_HAS(p, XMESH_PREFIX_A_NODE))
				return arg_dup(kw);
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_u32("node id", argv[0], 1, UINT32_MAX,
				      &p->node);
			if (ret)
				return ret;
			XM_SET(p, XMESH_PREFIX_A_NODE);
		} else if (is_help(kw)) {
			return arg_unknown(kw, usage_prefix);
		} else if (XM_HAS(p, XMESH_PREFIX_A_ADDR)) {
			pr_err("unknown argument \"%s\": the prefix is given already.",
			       kw);
			return XM_EXIT_USAGE;
		} else {
			ret = arg_prefix(kw, &p->addr, &p->len);
			if (ret)
				return ret;
			XM_SET(p, XMESH_PREFIX_A_FAMILY);
			XM_SET(p, XMESH_PREFIX_A_ADDR);
			XM_SET(p, XMESH_PREFIX_A_LEN);
		}
	}
	snprintf(ch->ifname, sizeof(ch->ifname), "%s", ctx_dev(c, dev));
	if (cmd == XMESH_CMD_PREFIX_GET)
		return XM_EXIT_OK;
	if (!XM_HAS(p, XMESH_PREFIX_A_ADDR)) {
		pr_err("%s needs a PREFIX.", verb(cmd, false));
		return XM_EXIT_USAGE;
	}
	if (cmd == XMESH_CMD_PREFIX_NEW && !XM_HAS(p, XMESH_PREFIX_A_NODE)) {
		pr_err("%s needs \"node NODE\".", verb(cmd, false));
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

static int submit(struct ctx *c, uint8_t cmd, bool replace, int argc,
		  char **argv)
{
	struct xm_change ch;
	int ret = parse_prefix(c, cmd, argc, argv, &ch);

	if (ret)
		return xm_status(ret);
	ch.replace = replace;
	return ctx_submit(c, &ch);
}

static int prefix_add(struct ctx *c, int argc, char **argv)
{
	return submit(c, XMESH_CMD_PREFIX_NEW, false, argc, argv);
}

static int prefix_replace(struct ctx *c, int argc, char **argv)
{
	return submit(c, XMESH_CMD_PREFIX_NEW, true, argc, argv);
}

static int prefix_del(struct ctx *c, int argc, char **argv)
{
	return submit(c, XMESH_CMD_PREFIX_DEL, false, argc, argv);
}

static int prefix_flush(struct ctx *c, int argc, char **argv)
{
	return submit_flush(c, XMESH_CMD_PREFIX_DEL, argc, argv, usage_prefix);
}

static int prefix_show(struct ctx *c, int argc, char **argv)
{
	struct xm_list l = { 0 };
	const struct xm_prefix *w;
	struct xm_change f;
	size_t i;
	int ret;

	ret = parse_prefix(c, XMESH_CMD_PREFIX_GET, argc, argv, &f);
	if (ret)
		return xm_status(ret);
	ret = ctx_dump(c, XMESH_CMD_PREFIX_GET, f.ifname, &l);
	if (ret)
		return ret;
	w = &f.e.prefix;
	out_list_begin(&c->out);
	for (i = 0; i < l.n; i++) {
		const struct xm_prefix *p = &l.v[i].prefix;

		if ((XM_HAS(w, XMESH_PREFIX_A_NODE) && p->node != w->node) ||
		    (XM_HAS(w, XMESH_PREFIX_A_ADDR) &&
		     (p->len != w->len || p->addr.family != w->addr.family ||
		      memcmp(p->addr.raw, w->addr.raw,
			     xm_addr_len(w->addr.family)))))
			continue;
		print_prefix(&c->out, p);
	}
	out_list_end(&c->out);
	xm_list_free(&l);
	return XM_EXIT_OK;
}

static const struct cmd prefix_cmds[] = {
	{ "show", "list ls lst", prefix_show, CMD_RUN },
	{ "add", NULL, prefix_add, CMD_CHANGE },
	{ "replace", NULL, prefix_replace, CMD_CHANGE },
	{ "del", "delete", prefix_del, CMD_CHANGE },
	{ "flush", NULL, prefix_flush, CMD_CHANGE },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_prefix(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, prefix_cmds, "prefix command", "show",
			    usage_prefix, argc, argv);
}
