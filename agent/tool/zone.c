// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh zone: the module's zone tables (Documentation/filter.md): each
 * node's zone and roles (zone node), the action of each zone pair (zone
 * pair), and the device's settings (zone set: the default action, the
 * mark mask). xmeshd installs the nodes from the certificates; by hand
 * is for nodes without the agent, and for the tests.
 */
#include "tool.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xmesh_names.h"

void usage_zone(FILE *fp)
{
	fputs("Usage: xmesh zone [ show ] [ dev DEV ]\n"
	      "       xmesh zone set [ dev DEV ] [ default { allow | deny } ]\n"
	      "                      [ mark-mask MASK ]\n"
	      "       xmesh zone node [ show ] [ NODE ] [ zone ZONE ] [ dev DEV ]\n"
	      "       xmesh zone node { add | replace } NODE [ zone ZONE ] [ roles ROLES ]\n"
	      "                       [ dev DEV ]\n"
	      "       xmesh zone node { del NODE | flush } [ dev DEV ]\n"
	      "       xmesh zone pair [ show ] [ from ZONE ] [ to ZONE ] [ dev DEV ]\n"
	      "       xmesh zone pair { add | replace } from ZONE to ZONE { allow | deny }\n"
	      "                       [ dev DEV ]\n"
	      "       xmesh zone pair { del from ZONE to ZONE | flush } [ dev DEV ]\n"
	      "NODE := 1..4294967295    ZONE := 0..65535 (0: none)\n"
	      "ROLES := 0..0xffff, a bitmask    MASK := 0..0xffffffff\n"
	      "Delivered packets get (zone << 16) | roles of their source node in\n"
	      "the bits of MASK of their mark; frames of a denied zone pair are\n"
	      "dropped (zone_denied).\n", fp);
}

/* A number, decimal or 0x hexadecimal, up to max. */
static int arg_bits(const char *what, const char *s, uint32_t max,
		    uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)s[0]) ? strtoul(s, &end, 0) : 0;
	if (!isdigit((unsigned char)s[0]) || *end || errno || v > max) {
		pr_err("invalid %s \"%s\": expected a number from 0 to %#x.",
		       what, s, max);
		return XM_EXIT_USAGE;
	}
	*out = (uint32_t)v;
	return XM_EXIT_OK;
}

static int arg_zone_action(const char *s, uint8_t *out)
{
	int a = xm_zone_action_parse(s);

	if (a < 0) {
		pr_err("invalid action \"%s\": expected allow or deny.", s);
		return XM_EXIT_USAGE;
	}
	*out = (uint8_t)a;
	return XM_EXIT_OK;
}

static const char *action_name(uint8_t a)
{
	return xm_zone_action_name(a) ? xm_zone_action_name(a) : "?";
}

/* ---- zone node ---------------------------------------------------- */

static int parse_zone_node(struct ctx *c, uint8_t cmd, int argc, char **argv,
			   struct xm_change *ch);

static bool zone_node_match(const struct xm_entry *e,
			    const struct xm_entry *f)
{
	const struct xm_node *n = &e->node, *w = &f->node;

	return (!XM_HAS(w, XMESH_NODE_A_ID) || n->id == w->id) &&
	       (!XM_HAS(w, XMESH_NODE_A_ZONE) || n->zone == w->zone);
}

static void zone_node_print(struct ctx *c, const struct xm_entry *e,
			    json_object *view)
{
	const struct xm_node *n = &e->node;
	char roles[8];

	(void)view;
	snprintf(roles, sizeof(roles), "%#x", n->roles);
	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "node", "node", n->id);
	out_uint(&c->out, "zone", "zone", n->zone);
	out_uint(&c->out, "roles", NULL, n->roles);
	out_str(&c->out, NULL, "roles", roles);
	out_nl(&c->out);
	out_obj_end(&c->out);
}

static const struct table zone_node_table = {
	TABLE_FIELDS("zone node", NODE, usage_zone, zone_node)
};

static int parse_zone_node(struct ctx *c, uint8_t cmd, int argc, char **argv,
			   struct xm_change *ch)
{
	struct xm_node *n = &ch->e.node;
	const char *dev = NULL;
	uint32_t v;
	int ret;

	change_init(ch, cmd, XMESH_A_NODE);
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];
		int type;

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
			if (ret)
				return ret;
			continue;
		}
		if (is_help(kw))
			return arg_unknown(kw, usage_zone);
		if (!strcmp(kw, "zone"))
			type = XMESH_NODE_A_ZONE;
		else if (!strcmp(kw, "roles") && cmd != XMESH_CMD_NODE_GET)
			type = XMESH_NODE_A_ROLES;
		else if (!XM_HAS(n, XMESH_NODE_A_ID))
			type = XMESH_NODE_A_ID;
		else
			return arg_unknown(kw, usage_zone);
		if (cmd == XMESH_CMD_NODE_DEL && type != XMESH_NODE_A_ID) {
			pr_err("zone node del takes only the node id.");
			return XM_EXIT_USAGE;
		}
		if (type != XMESH_NODE_A_ID) {
			ret = arg_once(&argc, &argv, &n->present, type);
			if (ret)
				return ret;
		}
		if (type == XMESH_NODE_A_ID) {
			ret = arg_u32("node id", argv[0], 1, UINT32_MAX,
				      &n->id);
		} else if (type == XMESH_NODE_A_ZONE) {
			ret = arg_u16("zone", argv[0], 0, UINT16_MAX,
				      &n->zone);
		} else {
			ret = arg_bits("roles", argv[0], UINT16_MAX, &v);
			n->roles = (uint16_t)v;
		}
		if (ret)
			return ret;
		XM_SET(n, type);
	}
	change_dev(c, ch, dev);
	if (cmd != XMESH_CMD_NODE_GET && !XM_HAS(n, XMESH_NODE_A_ID)) {
		pr_err("%s needs a NODE.", table_verb(&zone_node_table, cmd));
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

/* ---- zone pair ---------------------------------------------------- */

static int parse_zone_pair(struct ctx *c, uint8_t cmd, int argc, char **argv,
			   struct xm_change *ch);

static bool zone_pair_match(const struct xm_entry *e,
			    const struct xm_entry *f)
{
	const struct xm_zone_pair *z = &e->zone_pair, *w = &f->zone_pair;

	return (!XM_HAS(w, XMESH_ZONE_PAIR_A_FROM) || z->from == w->from) &&
	       (!XM_HAS(w, XMESH_ZONE_PAIR_A_TO) || z->to == w->to);
}

static void zone_pair_print(struct ctx *c, const struct xm_entry *e,
			    json_object *view)
{
	const struct xm_zone_pair *z = &e->zone_pair;

	(void)view;
	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "from", "from", z->from);
	out_uint(&c->out, "to", "to", z->to);
	out_str(&c->out, "action", "", action_name(z->action));
	out_nl(&c->out);
	out_obj_end(&c->out);
}

static const struct table zone_pair_table = {
	TABLE_FIELDS("zone pair", ZONE_PAIR, usage_zone, zone_pair)
};

static int parse_zone_pair(struct ctx *c, uint8_t cmd, int argc, char **argv,
			   struct xm_change *ch)
{
	struct xm_zone_pair *z = &ch->e.zone_pair;
	const char *dev = NULL;
	int ret;

	change_init(ch, cmd, XMESH_A_ZONE_PAIR);
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];
		uint16_t *zone;
		int type;

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
			if (ret)
				return ret;
			continue;
		}
		if (is_help(kw))
			return arg_unknown(kw, usage_zone);
		if (xm_zone_action_parse(kw) >= 0 &&
		    cmd == XMESH_CMD_ZONE_PAIR_NEW) {
			if (XM_HAS(z, XMESH_ZONE_PAIR_A_ACTION))
				return arg_dup("action");
			ret = arg_zone_action(kw, &z->action);
			if (ret)
				return ret;
			XM_SET(z, XMESH_ZONE_PAIR_A_ACTION);
			continue;
		}
		if (!strcmp(kw, "from")) {
			type = XMESH_ZONE_PAIR_A_FROM;
			zone = &z->from;
		} else if (!strcmp(kw, "to")) {
			type = XMESH_ZONE_PAIR_A_TO;
			zone = &z->to;
		} else {
			return arg_unknown(kw, usage_zone);
		}
		ret = arg_once(&argc, &argv, &z->present, type);
		if (!ret)
			ret = arg_u16("zone", argv[0], 0, UINT16_MAX, zone);
		if (ret)
			return ret;
	}
	change_dev(c, ch, dev);
	if (cmd == XMESH_CMD_ZONE_PAIR_GET)
		return XM_EXIT_OK;
	if (!XM_HAS(z, XMESH_ZONE_PAIR_A_FROM) ||
	    !XM_HAS(z, XMESH_ZONE_PAIR_A_TO)) {
		pr_err("%s needs \"from ZONE to ZONE\".",
		       table_verb(&zone_pair_table, cmd));
		return XM_EXIT_USAGE;
	}
	if (cmd == XMESH_CMD_ZONE_PAIR_NEW &&
	    !XM_HAS(z, XMESH_ZONE_PAIR_A_ACTION)) {
		pr_err("%s needs allow or deny.",
		       table_verb(&zone_pair_table, cmd));
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

/* ---- zone show, zone set ------------------------------------------ */

int parse_zone_set(struct ctx *c, int argc, char **argv, struct xm_change *ch)
{
	struct xm_dev *d = &ch->e.dev;
	const char *dev = NULL;
	int ret;

	change_init(ch, XMESH_CMD_DEV_SET, XMESH_A_DEV);
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
		} else if (!strcmp(kw, "default")) {
			ret = arg_once(&argc, &argv, &d->present,
				       XMESH_DEV_A_ZONE_DEFAULT);
			if (!ret)
				ret = arg_zone_action(argv[0], &d->zone_default);
		} else if (!strcmp(kw, "mark-mask")) {
			ret = arg_once(&argc, &argv, &d->present,
				       XMESH_DEV_A_MARK_MASK);
			if (!ret)
				ret = arg_bits("mark mask", argv[0], UINT32_MAX,
					       &d->mark_mask);
		} else {
			return arg_unknown(kw, usage_zone);
		}
		if (ret)
			return ret;
	}
	if (!d->present) {
		pr_err("zone set needs default or mark-mask.");
		return XM_EXIT_USAGE;
	}
	change_dev(c, ch, dev);
	return XM_EXIT_OK;
}

static int zone_set(struct ctx *c, int argc, char **argv)
{
	struct xm_change ch;
	int ret = parse_zone_set(c, argc, argv, &ch);

	return ret ? xm_status(ret) : ctx_submit(c, &ch);
}

static int zone_show(struct ctx *c, int argc, char **argv)
{
	struct xm_list l = { 0 };
	const struct xm_dev *d;
	struct nlc_error e;
	const char *dev;
	struct xmnl *h;
	char mask[12];
	int ret;

	ret = parse_dev_only(argc, argv, &dev, usage_zone);
	if (ret)
		return xm_status(ret);
	h = ctx_nl(c);
	if (!h)
		return XM_EXIT_FAIL;
	if (xmnl_get(h, XMESH_CMD_DEV_GET, 0, ctx_dev(c, dev), NULL, &l, &e)) {
		pr_nl_err(&e);
		return XM_EXIT_FAIL;
	}
	out_list_begin(&c->out);
	if (l.n) {
		d = &l.v[0].dev;
		snprintf(mask, sizeof(mask), "%#010x", d->mark_mask);
		out_obj_begin(&c->out, NULL);
		out_str(&c->out, "ifname", NULL, d->ifname);
		out_text(&c->out, "%s:", d->ifname);
		out_str(&c->out, "default", "default",
			action_name(d->zone_default));
		out_uint(&c->out, "mark_mask", NULL, d->mark_mask);
		out_str(&c->out, NULL, "mark-mask", mask);
		out_uint(&c->out, "nodes", "nodes", d->node_count);
		out_uint(&c->out, "zone_pairs", "zone-pairs",
			 d->zone_pair_count);
		out_uint(&c->out, "zone_denied", "zone-denied",
			 d->drops[XMESH_DROP_A_ZONE_DENIED]);
		out_nl(&c->out);
		out_obj_end(&c->out);
	}
	out_list_end(&c->out);
	xm_list_free(&l);
	return XM_EXIT_OK;
}

static int zone_node(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &zone_node_table, argc, argv);
}

static int zone_pair(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &zone_pair_table, argc, argv);
}

static const struct cmd zone_cmds[] = {
	{ "show", "list ls lst", zone_show, CMD_RUN },
	{ "set", "change", zone_set, CMD_CHANGE },
	{ "node", "nodes", zone_node, CMD_GROUP },
	{ "pair", "pairs", zone_pair, CMD_GROUP },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_zone(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, zone_cmds, "zone command", "show", usage_zone,
			    argc, argv);
}
