// SPDX-License-Identifier: GPL-2.0
/* xmesh neigh: adjacencies to peer nodes over underlay interfaces. */
#include "tool.h"

#include <net/if.h>
#include <string.h>

void usage_neigh(FILE *fp)
{
	fputs("Usage: xmesh neigh [ show ] [ id ID ] [ node NODE ] [ link IFNAME ]\n"
	      "                           [ state { up | down } ] [ dev DEV ]\n"
	      "       xmesh neigh { add | replace } id ID node NODE link IFNAME remote ADDR\n"
	      "                           [ local ADDR ] [ port PORT ] [ state { up | down } ]\n"
	      "                           [ dev DEV ]\n"
	      "       xmesh neigh set id ID state { up | down } [ dev DEV ]\n"
	      "       xmesh neigh del id ID [ dev DEV ]\n"
	      "       xmesh neigh flush [ dev DEV ]\n"
	      "ID, NODE := 1..4294967295    PORT := 1..65535 (default 7600)\n"
	      "IFNAME := underlay interface  DEV := xmesh device (default xmesh0)\n"
	      "ADDR := IPv4 or IPv6 address; a link-local one may be ADDR%IFNAME\n",
	      fp);
}

static bool neigh_match(const struct xm_entry *e, const struct xm_entry *f)
{
	const struct xm_neigh *n = &e->neigh, *w = &f->neigh;

	return (!XM_HAS(w, XMESH_NEIGH_A_ID) || n->id == w->id) &&
	       (!XM_HAS(w, XMESH_NEIGH_A_NODE) || n->node == w->node) &&
	       (!XM_HAS(w, XMESH_NEIGH_A_LINK) || n->link == w->link) &&
	       (!XM_HAS(w, XMESH_NEIGH_A_STATE) || n->state == w->state);
}

/* The agent's entry for kernel neighbor n, or NULL. */
static json_object *agent_neigh(json_object *view, const struct xm_neigh *n)
{
	json_object *list = jget(view, "neighbors"), *e;
	size_t i;

	for (i = 0; list && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (XM_HAS(n, XMESH_NEIGH_A_ID) &&
		    (uint64_t)json_object_get_int64(jget(e, "id")) == n->id)
			return e;
	}
	return NULL;
}

static void neigh_print(struct ctx *c, const struct xm_entry *e,
			json_object *view)
{
	print_neigh_agent(&c->out, &e->neigh, c->stats,
			  agent_neigh(view, &e->neigh));
}

static int neigh_set(struct ctx *c, int argc, char **argv)
{
	return table_submit(c, XMESH_CMD_NEIGH_SET, false, argc, argv);
}

/* The shared ones, and set (in this order: it names ambiguous words). */
static const struct cmd neigh_cmds[] = {
	{ "show", "list ls lst", table_show, CMD_RUN },
	{ "add", NULL, table_add, CMD_CHANGE },
	{ "replace", NULL, table_replace, CMD_CHANGE },
	{ "set", "change", neigh_set, CMD_CHANGE },
	{ "del", "delete", table_del, CMD_CHANGE },
	{ "flush", NULL, table_flush, CMD_CHANGE },
	{ NULL, NULL, NULL, CMD_RUN },
};

static const struct table neigh_table = {
	.name = "neigh",
	.cmd_get = XMESH_CMD_NEIGH_GET,
	.cmd_new = XMESH_CMD_NEIGH_NEW,
	.cmd_del = XMESH_CMD_NEIGH_DEL,
	.cmds = neigh_cmds,
	.usage = usage_neigh,
	.parse = parse_neigh,
	.match = neigh_match,
	.print = neigh_print,
	.view_cmd = "neighbors",
};

static int keyword(const char *kw)
{
	static const struct { const char *kw; int type; } kws[] = {
		{ "id", XMESH_NEIGH_A_ID }, { "node", XMESH_NEIGH_A_NODE },
		{ "link", XMESH_NEIGH_A_LINK }, { "local", XMESH_NEIGH_A_LOCAL },
		{ "remote", XMESH_NEIGH_A_REMOTE },
		{ "port", XMESH_NEIGH_A_PORT }, { "state", XMESH_NEIGH_A_STATE },
	};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (!strcmp(kw, kws[i].kw))
			return kws[i].type;
	return 0;
}

/* An address, and the interface its zone names ("fe80::1%eth0"). */
static int arg_addr(const char *kw, const char *s, struct xm_addr *a,
		    uint32_t *zone_link)
{
	char zone[IF_NAMESIZE];

	if (xm_parse_addr(s, a, zone)) {
		pr_err("invalid %s address \"%s\".", kw, s);
		return XM_EXIT_USAGE;
	}
	if (!zone[0])
		return XM_EXIT_OK;
	return arg_link(zone, zone_link);
}

int parse_neigh(struct ctx *c, uint8_t cmd, int argc, char **argv,
		struct xm_change *ch)
{
	struct xm_neigh *n = &ch->e.neigh;
	uint32_t zone_link = 0, z;
	const char *dev = NULL;
	uint32_t allowed;
	int type, ret;

	memset(ch, 0, sizeof(*ch));
	ch->cmd = cmd;
	ch->e.type = XMESH_A_NEIGH;
	switch (cmd) {
	case XMESH_CMD_NEIGH_NEW:
		allowed = ~0u;
		break;
	case XMESH_CMD_NEIGH_SET:
		allowed = XM_BIT(XMESH_NEIGH_A_ID) | XM_BIT(XMESH_NEIGH_A_STATE);
		break;
	case XMESH_CMD_NEIGH_GET:	/* a filter for show */
		allowed = XM_BIT(XMESH_NEIGH_A_ID) | XM_BIT(XMESH_NEIGH_A_NODE) |
			  XM_BIT(XMESH_NEIGH_A_LINK) | XM_BIT(XMESH_NEIGH_A_STATE);
		break;
	default:
		allowed = XM_BIT(XMESH_NEIGH_A_ID);
		break;
	}
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
			if (ret)
				return ret;
			continue;
		}
		type = keyword(kw);
		if (!type)
			return arg_unknown(kw, usage_neigh);
		if (!(allowed & XM_BIT(type))) {
			if (cmd == XMESH_CMD_NEIGH_SET)
				pr_err("only the state of a neighbor can be set; use \"neigh replace\" to change its %s.",
				       kw);
			else
				pr_err("%s takes no \"%s\".",
				       table_verb(&neigh_table, cmd), kw);
			return XM_EXIT_USAGE;
		}
		if (XM_HAS(n, type))
			return arg_dup(kw);
		if (!next_arg(&argc, &argv))
			return XM_EXIT_USAGE;
		switch (type) {
		case XMESH_NEIGH_A_ID:
			ret = arg_u32("neighbor id", argv[0], 1, UINT32_MAX,
				      &n->id);
			break;
		case XMESH_NEIGH_A_NODE:
			ret = arg_u32("node id", argv[0], 1, UINT32_MAX,
				      &n->node);
			break;
		case XMESH_NEIGH_A_LINK:
			ret = arg_link(argv[0], &n->link);
			break;
		case XMESH_NEIGH_A_LOCAL:
		case XMESH_NEIGH_A_REMOTE:
			z = 0;
			ret = arg_addr(kw, argv[0],
				       type == XMESH_NEIGH_A_LOCAL ?
				       &n->local : &n->remote, &z);
			if (!ret && z && zone_link && z != zone_link) {
				pr_err("the local and remote zones name different interfaces.");
				ret = XM_EXIT_USAGE;
			}
			if (z)
				zone_link = z;
			break;
		case XMESH_NEIGH_A_PORT:
			ret = arg_u16("port", argv[0], 1, UINT16_MAX, &n->port);
			break;
		default:
			ret = arg_state(argv[0], &n->state);
			break;
		}
		if (ret)
			return ret;
		XM_SET(n, type);
	}

	snprintf(ch->ifname, sizeof(ch->ifname), "%s", ctx_dev(c, dev));
	if (cmd == XMESH_CMD_NEIGH_GET)
		return XM_EXIT_OK;
	if (!XM_HAS(n, XMESH_NEIGH_A_ID)) {
		pr_err("%s needs an id.", table_verb(&neigh_table, cmd));
		return XM_EXIT_USAGE;
	}
	if (cmd == XMESH_CMD_NEIGH_SET && !XM_HAS(n, XMESH_NEIGH_A_STATE)) {
		pr_err("neigh set needs a state.");
		return XM_EXIT_USAGE;
	}
	if (cmd == XMESH_CMD_NEIGH_NEW) {
		/* An address's zone can stand for "link". */
		if (zone_link && !XM_HAS(n, XMESH_NEIGH_A_LINK)) {
			n->link = zone_link;
			XM_SET(n, XMESH_NEIGH_A_LINK);
		}
		if (zone_link && n->link != zone_link) {
			pr_err("the address zone and \"link\" name different interfaces.");
			return XM_EXIT_USAGE;
		}
		if (!XM_HAS(n, XMESH_NEIGH_A_NODE) ||
		    !XM_HAS(n, XMESH_NEIGH_A_LINK) ||
		    !XM_HAS(n, XMESH_NEIGH_A_REMOTE)) {
			pr_err("neigh add needs id, node, link and remote.");
			return XM_EXIT_USAGE;
		}
		if (XM_HAS(n, XMESH_NEIGH_A_LOCAL) &&
		    n->local.family != n->remote.family) {
			pr_err("the local and remote addresses must be of one family.");
			return XM_EXIT_USAGE;
		}
	}
	return XM_EXIT_OK;
}

int do_neigh(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &neigh_table, argc, argv);
}
