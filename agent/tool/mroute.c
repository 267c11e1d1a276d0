// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh mroute: multicast routes, (root node, group) -> the neighbors a
 * frame of the group from that root is copied to, and local delivery
 * (Documentation/multicast.md). xmeshd installs them from its trees; by
 * hand they serve tests and debugging.
 */
#include "tool.h"

#include <string.h>

void usage_mroute(FILE *fp)
{
	fputs("Usage: xmesh mroute [ show ] [ root NODE ] [ group GROUP ] [ dev DEV ]\n"
	      "       xmesh mroute { add | replace } root NODE group GROUP\n"
	      "                    [ neigh ID ]... [ local ] [ upstream NODE ]\n"
	      "                    [ shared-root NODE ] [ dev DEV ]\n"
	      "       xmesh mroute del root NODE group GROUP [ dev DEV ]\n"
	      "       xmesh mroute flush [ dev DEV ]\n"
	      "GROUP := an IPv4 address in 239.0.0.0/8, or IPv6 multicast of scope 3\n"
	      "         or wider (ff05::1, ff0e::1...)\n"
	      "NODE, ID := 1..4294967295\n"
	      "Frames of GROUP sent by NODE are copied to each neighbor ID (at most\n"
	      "16) and, with \"local\", delivered on this node; with \"upstream\",\n"
	      "only frames from a neighbor of that node are taken (the others are\n"
	      "dropped as mcast_rpf); with \"shared-root\", a shared tree's route:\n"
	      "frames from any branch's node are copied to every other branch.\n"
	      "-s: counters.\n",
	      fp);
}

static bool mroute_match(const struct xm_entry *e, const struct xm_entry *f)
{
	const struct xm_mroute *m = &e->mroute, *w = &f->mroute;

	return (!XM_HAS(w, XMESH_MROUTE_A_ROOT) || m->root == w->root) &&
	       (!XM_HAS(w, XMESH_MROUTE_A_GROUP) ||
		xm_addr_eq(&m->group, &w->group));
}

static void mroute_print(struct ctx *c, const struct xm_entry *e,
			 json_object *view)
{
	const struct xm_mroute *m = &e->mroute;
	struct out *o = &c->out;
	char buf[XM_ADDRSTRLEN];
	unsigned int i;

	(void)view;
	out_obj_begin(o, NULL);
	out_uint(o, "root", "root", m->root);
	out_str(o, "group", "group",
		xm_addr_str(&m->group, buf, sizeof(buf)));
	out_arr_begin(o, "neighs");
	for (i = 0; i < m->n_neighs; i++)
		out_uint(o, NULL, "neigh", m->neigh[i]);
	out_arr_end(o);
	out_bool(o, "local", "local", m->local);
	if (m->upstream)
		out_uint(o, "upstream", "upstream", m->upstream);
	if (m->shared_root)
		out_uint(o, "shared_root", "shared-root", m->shared_root);
	out_nl(o);
	if (c->stats) {
		out_obj_begin(o, "stats");
		out_text(o, "    ");
		out_uint(o, "tx_packets", "tx packets", m->tx_packets);
		out_uint(o, "tx_bytes", "bytes", m->tx_bytes);
		out_uint(o, "rx_packets", "rx packets", m->rx_packets);
		out_uint(o, "rx_bytes", "bytes", m->rx_bytes);
		out_uint(o, "drops", "drops", m->drops);
		out_nl(o);
		out_obj_end(o);
	}
	out_obj_end(o);
}

static int parse_mroute(struct ctx *c, uint8_t cmd, int argc, char **argv,
			struct xm_change *ch);

static const struct table mroute_table = { TABLE_OF(mroute, MROUTE) };

static int parse_group(const char *s, struct xm_addr *a)
{
	if (xm_parse_addr(s, a, NULL)) {
		pr_err("invalid group \"%s\": an IPv4 or IPv6 address is expected.",
		       s);
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

/* KEYWORD NODE, once: a node id into *v, attr marked present in m. */
static int arg_node(int *argc, char ***argv, struct xm_mroute *m,
		    unsigned int attr, uint32_t *v)
{
	const char *kw = (*argv)[0];
	int ret;

	if (XM_HAS(m, attr))
		return arg_dup(kw);
	if (!next_arg(argc, argv))
		return XM_EXIT_USAGE;
	ret = arg_u32(kw, (*argv)[0], 1, UINT32_MAX, v);
	if (ret)
		return ret;
	XM_SET(m, attr);
	return XM_EXIT_OK;
}

static int parse_mroute(struct ctx *c, uint8_t cmd, int argc, char **argv,
			struct xm_change *ch)
{
	struct xm_mroute *m = &ch->e.mroute;
	bool is_new = cmd == XMESH_CMD_MROUTE_NEW;
	const char *dev = NULL;
	int ret;

	change_init(ch, cmd, XMESH_A_MROUTE);
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
			if (ret)
				return ret;
		} else if (!strcmp(kw, "root")) {
			ret = arg_id_once(&argc, &argv, "root node", &m->root,
					  &m->present, XMESH_MROUTE_A_ROOT);
			if (ret)
				return ret;
		} else if (!strcmp(kw, "group")) {
			ret = arg_once(&argc, &argv, &m->present,
				       XMESH_MROUTE_A_GROUP);
			if (!ret)
				ret = parse_group(argv[0], &m->group);
			if (ret)
				return ret;
			XM_SET(m, XMESH_MROUTE_A_FAMILY);
		} else if (is_new && !strcmp(kw, "neigh")) {
			if (m->n_neighs == XMESH_MAX_MROUTE_NEIGHS) {
				pr_err("at most %d neighbors.",
				       XMESH_MAX_MROUTE_NEIGHS);
				return XM_EXIT_USAGE;
			}
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_u32("neighbor id", argv[0], 1, UINT32_MAX,
				      &m->neigh[m->n_neighs]);
			if (ret)
				return ret;
			m->n_neighs++;
		} else if (is_new && !strcmp(kw, "local")) {
			m->local = true;
		} else if (is_new && !strcmp(kw, "upstream")) {
			ret = arg_node(&argc, &argv, m, XMESH_MROUTE_A_UPSTREAM,
				       &m->upstream);
			if (ret)
				return ret;
		} else if (is_new && !strcmp(kw, "shared-root")) {
			ret = arg_node(&argc, &argv, m,
				       XMESH_MROUTE_A_SHARED_ROOT,
				       &m->shared_root);
			if (ret)
				return ret;
		} else {
			return arg_unknown(kw, usage_mroute);
		}
	}
	change_dev(c, ch, dev);
	if (cmd == XMESH_CMD_MROUTE_GET)
		return XM_EXIT_OK;
	if (!XM_HAS(m, XMESH_MROUTE_A_ROOT) ||
	    !XM_HAS(m, XMESH_MROUTE_A_GROUP)) {
		pr_err("%s needs \"root NODE group GROUP\".",
		       table_verb(&mroute_table, cmd));
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

int do_mroute(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &mroute_table, argc, argv);
}
