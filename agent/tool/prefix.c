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

static bool prefix_match(const struct xm_entry *e, const struct xm_entry *f)
{
	const struct xm_prefix *p = &e->prefix, *w = &f->prefix;

	return (!XM_HAS(w, XMESH_PREFIX_A_NODE) || p->node == w->node) &&
	       (!XM_HAS(w, XMESH_PREFIX_A_ADDR) ||
		xm_prefix_eq(&p->addr, p->len, &w->addr, w->len));
}

static void prefix_print(struct ctx *c, const struct xm_entry *e,
			 json_object *view)
{
	(void)view;
	print_prefix(&c->out, &e->prefix);
}

static const struct table prefix_table = { TABLE_OF(prefix, PREFIX) };

int parse_prefix(struct ctx *c, uint8_t cmd, int argc, char **argv,
		 struct xm_change *ch)
{
	struct xm_prefix *p = &ch->e.prefix;
	const char *dev = NULL;
	int ret;

	change_init(ch, cmd, XMESH_A_PREFIX);
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
		} else if (!strcmp(kw, "node")) {
			if (cmd == XMESH_CMD_PREFIX_DEL) {
				pr_err("prefix del takes no \"node\": the prefix names the entry.");
				return XM_EXIT_USAGE;
			}
			ret = arg_id_once(&argc, &argv, "node id", &p->node,
					  &p->present, XMESH_PREFIX_A_NODE);
		} else if (is_help(kw)) {
			return arg_unknown(kw, usage_prefix);
		} else if (XM_HAS(p, XMESH_PREFIX_A_ADDR)) {
			pr_err("unknown argument \"%s\": the prefix is given already.",
			       kw);
			return XM_EXIT_USAGE;
		} else {
			ret = arg_prefix(kw, &p->addr, &p->len);
			if (!ret)
				p->present |= XM_BIT(XMESH_PREFIX_A_FAMILY) |
					      XM_BIT(XMESH_PREFIX_A_ADDR) |
					      XM_BIT(XMESH_PREFIX_A_LEN);
		}
		if (ret)
			return ret;
	}
	change_dev(c, ch, dev);
	if (cmd == XMESH_CMD_PREFIX_GET)
		return XM_EXIT_OK;
	if (!XM_HAS(p, XMESH_PREFIX_A_ADDR)) {
		pr_err("%s needs a PREFIX.", table_verb(&prefix_table, cmd));
		return XM_EXIT_USAGE;
	}
	if (cmd == XMESH_CMD_PREFIX_NEW && !XM_HAS(p, XMESH_PREFIX_A_NODE)) {
		pr_err("%s needs \"node NODE\".",
		       table_verb(&prefix_table, cmd));
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

int do_prefix(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &prefix_table, argc, argv);
}
