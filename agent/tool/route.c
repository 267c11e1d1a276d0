// SPDX-License-Identifier: GPL-2.0
/* xmesh route: destination node to prioritized next hops. */
#include "tool.h"

#include <string.h>

void usage_route(FILE *fp)
{
	fputs("Usage: xmesh route [ show ] [ node NODE ] [ class CLASS ] [ neigh ID ]\n"
	      "                            [ dev DEV ]\n"
	      "       xmesh route { add | replace } node NODE [ class CLASS ]\n"
	      "                                     NEXTHOP [ NEXTHOP ]... [ dev DEV ]\n"
	      "       xmesh route del node NODE [ class CLASS ] [ dev DEV ]\n"
	      "       xmesh route flush [ dev DEV ]\n"
	      "NEXTHOP := [ nexthop ] neigh ID [ priority PRIO ]\n"
	      "NODE, ID := 1..4294967295    PRIO := 0..255, lower is preferred (default 0)\n"
	      "CLASS := bulk | interactive | realtime | network-control: the route is\n"
	      "in that traffic class's table (without: the default table); a packet\n"
	      "of the class takes it, else the default route.\n"
	      "Up to 8 next hops; the usable ones of the lowest priority share the\n"
	      "traffic, the others are backups. show marks them \"active\".\n",
	      fp);
}

static bool via(const struct xm_route *r, uint32_t neigh)
{
	unsigned int i;

	for (i = 0; i < r->n_nexthops; i++)
		if (r->nexthop[i].neigh == neigh)
			return true;
	return false;
}

static bool route_match(const struct xm_entry *e, const struct xm_entry *f)
{
	const struct xm_route *r = &e->route, *w = &f->route;

	return (!XM_HAS(w, XMESH_ROUTE_A_DST) || r->dst == w->dst) &&
	       (!XM_HAS(w, XMESH_ROUTE_A_TCLASS) || r->tclass == w->tclass) &&
	       (!w->n_nexthops || via(r, w->nexthop[0].neigh));
}

static void route_print(struct ctx *c, const struct xm_entry *e,
			json_object *view)
{
	(void)view;
	print_route(&c->out, &e->route);
}

static const struct table route_table = { TABLE_OF(route, ROUTE) };

int parse_route(struct ctx *c, uint8_t cmd, int argc, char **argv,
		struct xm_change *ch)
{
	struct xm_route *r = &ch->e.route;
	bool is_new = cmd == XMESH_CMD_ROUTE_NEW;
	struct xm_nexthop *x = NULL;	/* the next hop being read */
	const char *dev = NULL;
	int ret = XM_EXIT_OK;	/* at the end of each word */
	unsigned int i;

	change_init(ch, cmd, XMESH_A_ROUTE);
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
		} else if (!strcmp(kw, "node")) {
			ret = arg_id_once(&argc, &argv, "node id", &r->dst,
					  &r->present, XMESH_ROUTE_A_DST);
		} else if (!strcmp(kw, "class") || !strcmp(kw, "tclass")) {
			ret = arg_once(&argc, &argv, &r->present,
				       XMESH_ROUTE_A_TCLASS);
			if (!ret)
				ret = arg_tclass(argv[0], &r->tclass);
		} else if (!strcmp(kw, "nexthop") && is_new) {
			if (x && !XM_HAS(x, XMESH_NEXTHOP_A_NEIGH)) {
				pr_err("a next hop needs \"neigh ID\".");
				return XM_EXIT_USAGE;
			}
			x = NULL;	/* the next "neigh" opens one */
			if (argc == 1 || strcmp(argv[1], "neigh")) {
				pr_err("\"nexthop\" must be followed by \"neigh ID\".");
				return XM_EXIT_USAGE;
			}
		} else if (!strcmp(kw, "neigh") &&
			   (is_new || cmd == XMESH_CMD_ROUTE_GET)) {
			if (!is_new && r->n_nexthops)
				return arg_dup(kw);
			if (r->n_nexthops == XMESH_MAX_NEXTHOPS) {
				pr_err("a route has at most %d next hops.",
				       XMESH_MAX_NEXTHOPS);
				return XM_EXIT_USAGE;
			}
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			x = &r->nexthop[r->n_nexthops];
			memset(x, 0, sizeof(*x));
			ret = arg_u32("neighbor id", argv[0], 1, UINT32_MAX,
				      &x->neigh);
			if (ret)
				return ret;
			for (i = 0; i < r->n_nexthops; i++) {
				if (r->nexthop[i].neigh == x->neigh) {
					pr_err("neighbor %u is a next hop twice.",
					       x->neigh);
					return XM_EXIT_USAGE;
				}
			}
			XM_SET(x, XMESH_NEXTHOP_A_NEIGH);
			r->n_nexthops++;
			XM_SET(r, XMESH_ROUTE_A_NEXTHOP);
		} else if (!strcmp(kw, "priority") && is_new) {
			if (!x) {
				pr_err("\"priority\" belongs after \"neigh ID\".");
				return XM_EXIT_USAGE;
			}
			ret = arg_once(&argc, &argv, &x->present,
				       XMESH_NEXTHOP_A_PRIORITY);
			if (!ret)
				ret = arg_u8("priority", argv[0], 0, UINT8_MAX,
					     &x->priority);
		} else if (!strcmp(kw, "nexthop") || !strcmp(kw, "neigh") ||
			   !strcmp(kw, "priority")) {
			pr_err("%s takes no \"%s\".",
			       table_verb(&route_table, cmd), kw);
			return XM_EXIT_USAGE;
		} else {
			return arg_unknown(kw, usage_route);
		}
		if (ret)
			return ret;
	}
	change_dev(c, ch, dev);
	if (cmd == XMESH_CMD_ROUTE_GET)
		return XM_EXIT_OK;
	if (!XM_HAS(r, XMESH_ROUTE_A_DST)) {
		pr_err("%s needs \"node NODE\".",
		       table_verb(&route_table, cmd));
		return XM_EXIT_USAGE;
	}
	if (is_new && !r->n_nexthops) {
		pr_err("%s needs at least one \"nexthop neigh ID\".",
		       table_verb(&route_table, cmd));
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

int do_route(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &route_table, argc, argv);
}
