// SPDX-License-Identifier: GPL-2.0
/* xmesh dev: the settings, table sizes and counters of xmesh devices. */
#include "tool.h"

#include <string.h>

#include "xmesh_names.h"

void usage_dev(FILE *fp)
{
	fputs("Usage: xmesh dev [ show ] [ [ dev ] DEV ]\n"
	      "       xmesh dev set [ [ dev ] DEV ] [ node NODE ] [ port PORT ]\n"
	      "                     [ family { inet | inet6 } ] [ hop-limit LIMIT ]\n"
	      "                     [ security { none | auth | encrypt } ]\n"
	      "                     [ origin { on | off } ]\n"
	      "NODE := 1..4294967295, this node's id    PORT := 1..65535 (UDP)\n"
	      "LIMIT := 1..255    DEV := xmesh device (default: all for show,\n"
	      "xmesh0 for set; -d DEV sets the default)\n"
	      "origin on: origin-seal the data sent to, and require it on the\n"
	      "data from, each node (origin keys: xmesh key ... node NODE).\n"
	      "With -s, show adds the traffic counters and every drop reason.\n",
	      fp);
}

/* "[dev] DEV": a word that is no keyword names the device. */
static int arg_devname(int *argc, char ***argv, const char **dev)
{
	int ret;

	if ((*argv)[0][0] == '-')
		return arg_unknown((*argv)[0], usage_dev);
	if (!strcmp((*argv)[0], "dev"))
		return arg_dev(argc, argv, dev);
	if (*dev)
		return arg_dup("dev");
	ret = arg_ifname("device", (*argv)[0]);
	if (!ret)
		*dev = (*argv)[0];
	return ret;
}

int parse_dev_set(struct ctx *c, int argc, char **argv,
		  struct xm_change *ch)
{
	struct xm_dev *d = &ch->e.dev;
	const char *dev = NULL;
	int ret = 0, type;

	memset(ch, 0, sizeof(*ch));
	ch->cmd = XMESH_CMD_DEV_SET;
	ch->e.type = XMESH_A_DEV;
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "node"))
			type = XMESH_DEV_A_NODE_ID;
		else if (!strcmp(kw, "port"))
			type = XMESH_DEV_A_PORT;
		else if (!strcmp(kw, "family"))
			type = XMESH_DEV_A_FAMILY;
		else if (!strcmp(kw, "hop-limit"))
			type = XMESH_DEV_A_HOP_LIMIT;
		else if (!strcmp(kw, "security"))
			type = XMESH_DEV_A_SECURITY;
		else if (!strcmp(kw, "origin"))
			type = XMESH_DEV_A_ORIGIN;
		else if (is_help(kw))
			return arg_unknown(kw, usage_dev);
		else {
			ret = arg_devname(&argc, &argv, &dev);
			if (ret)
				return ret;
			continue;
		}
		if (XM_HAS(d, type))
			return arg_dup(kw);
		if (!next_arg(&argc, &argv))
			return XM_EXIT_USAGE;
		switch (type) {
		case XMESH_DEV_A_NODE_ID:
			ret = arg_u32("node id", argv[0], 1, UINT32_MAX,
				      &d->node_id);
			break;
		case XMESH_DEV_A_PORT:
			ret = arg_u16("port", argv[0], 1, UINT16_MAX, &d->port);
			break;
		case XMESH_DEV_A_FAMILY:
			d->family = xm_family_parse(argv[0]);
			if (!d->family) {
				pr_err("invalid family \"%s\": expected inet or inet6.",
				       argv[0]);
				ret = XM_EXIT_USAGE;
			}
			break;
		case XMESH_DEV_A_SECURITY:
			ret = xm_security_parse(argv[0]);
			if (ret < 0) {
				pr_err("invalid security \"%s\": expected none, auth or encrypt.",
				       argv[0]);
				return XM_EXIT_USAGE;
			}
			d->security = (uint8_t)ret;
			ret = XM_EXIT_OK;
			break;
		case XMESH_DEV_A_ORIGIN:
			if (strcmp(argv[0], "on") && strcmp(argv[0], "off")) {
				pr_err("invalid origin \"%s\": expected on or off.",
				       argv[0]);
				return XM_EXIT_USAGE;
			}
			d->origin = !strcmp(argv[0], "on");
			break;
		default:
			ret = arg_u8("hop limit", argv[0], 1, UINT8_MAX,
				     &d->hop_limit);
			break;
		}
		if (ret)
			return ret;
		XM_SET(d, type);
	}
	if (!d->present) {
		pr_err("dev set needs node, port, family, hop-limit, security or origin.");
		return XM_EXIT_USAGE;
	}
	snprintf(ch->ifname, sizeof(ch->ifname), "%s", ctx_dev(c, dev));
	return XM_EXIT_OK;
}

static int dev_set(struct ctx *c, int argc, char **argv)
{
	struct xm_change ch;
	int ret = parse_dev_set(c, argc, argv, &ch);

	return ret ? xm_status(ret) : ctx_submit(c, &ch);
}

static int dev_show(struct ctx *c, int argc, char **argv)
{
	struct xm_list l = { 0 };
	const char *dev = NULL;
	struct nlc_error e;
	struct xmnl *h;
	size_t i;
	int ret;

	for (; argc > 0; argc--, argv++) {
		if (is_help(argv[0]))
			return xm_status(arg_unknown(argv[0], usage_dev));
		ret = arg_devname(&argc, &argv, &dev);
		if (ret)
			return ret;
	}
	h = ctx_nl(c);
	if (!h)
		return XM_EXIT_FAIL;
	/* No device named: all of them, as "ip link show" does. */
	dev = dev ? dev : c->dev;
	ret = dev ? xmnl_get(h, XMESH_CMD_DEV_GET, 0, dev, NULL, &l, &e) :
		    xmnl_dump(h, XMESH_CMD_DEV_GET, 0, NULL, &l, &e);
	if (ret) {
		pr_nl_err(&e);
		return XM_EXIT_FAIL;
	}
	out_list_begin(&c->out);
	for (i = 0; i < l.n; i++)
		print_dev(&c->out, &l.v[i].dev, c->stats);
	out_list_end(&c->out);
	xm_list_free(&l);
	return XM_EXIT_OK;
}

static const struct cmd dev_cmds[] = {
	{ "show", "list ls lst", dev_show, CMD_RUN },
	{ "set", "change", dev_set, CMD_CHANGE },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_dev(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, dev_cmds, "dev command", "show", usage_dev,
			    argc, argv);
}
