// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh key: the session keys of neighbors (per hop) and the origin keys
 * of nodes. The bytes go into the kernel and never come back out: show
 * lists ids, directions and counters only.
 */
#include "tool.h"

#include <errno.h>
#include <string.h>

#include "xmesh_file.h"
#include "xmesh_names.h"

void usage_key(FILE *fp)
{
	fputs("Usage: xmesh key [ show ] [ OWNER ] [ dir { tx | rx } ] [ dev DEV ]\n"
	      "       xmesh key { add | replace } OWNER id KEYID dir { tx | rx }\n"
	      "                               { key HEX | file FILE } [ dev DEV ]\n"
	      "       xmesh key del OWNER id KEYID dir { tx | rx } [ dev DEV ]\n"
	      "       xmesh key flush [ dev DEV ]\n"
	      "OWNER := { neigh ID | node NODE }: a neighbor's per-hop key, or a\n"
	      "node's origin key    ID := neighbor id    NODE := node id\n"
	      "KEYID := 1..255, the key id on the wire\n"
	      "HEX := 64 hex digits (32 bytes)    FILE := a file holding HEX\n"
	      "A new tx key replaces the tx key of its neighbor or node at once;\n"
	      "each has up to 4 rx keys. Never install the same key bytes twice.\n", fp);
}

static const struct table key_table;

/* A key of HEX in the file at path (trailing blanks allowed). */
static int read_key_file(const char *path, uint8_t key[XMESH_KEY_LEN])
{
	char buf[2 * XMESH_KEY_LEN + 64];
	ssize_t n = xm_file_read(path, buf, sizeof(buf) - 1, false, NULL);
	int err;

	if (n < 0 && n != -EFBIG) {
		pr_err("cannot open key file \"%s\": %s.", path,
		       strerror((int)-n));
		return XM_EXIT_FAIL;
	}
	if (n < 0)	/* too long for a key: said below */
		n = 0;
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	err = xm_parse_hex(buf, key, XMESH_KEY_LEN);
	explicit_bzero(buf, sizeof(buf));
	if (err) {
		pr_err("key file \"%s\" does not hold %d hex digits.", path,
		       2 * XMESH_KEY_LEN);
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

static int keyword(const char *kw)
{
	static const struct { const char *kw; int type; } kws[] = {
		{ "neigh", XMESH_KEY_A_NEIGH }, { "node", XMESH_KEY_A_NODE },
		{ "id", XMESH_KEY_A_ID },
		{ "dir", XMESH_KEY_A_DIR }, { "key", XMESH_KEY_A_KEY },
		{ "file", XMESH_KEY_A_KEY },
	};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (!strcmp(kw, kws[i].kw))
			return kws[i].type;
	return 0;
}

static int parse_value(struct xm_key *k, int type, const char *kw,
		       const char *s)
{
	int v;

	switch (type) {
	case XMESH_KEY_A_NEIGH:
		return arg_u32("neighbor id", s, 1, UINT32_MAX, &k->neigh);
	case XMESH_KEY_A_NODE:
		return arg_u32("node id", s, 1, UINT32_MAX, &k->node);
	case XMESH_KEY_A_ID:
		return arg_u8("key id", s, 1, UINT8_MAX, &k->id);
	case XMESH_KEY_A_DIR:
		v = xm_key_dir_parse(s);
		if (v < 0) {
			pr_err("invalid dir \"%s\": expected tx or rx.", s);
			return XM_EXIT_USAGE;
		}
		k->dir = (uint8_t)v;
		return XM_EXIT_OK;
	default:
		if (!strcmp(kw, "file"))
			return read_key_file(s, k->key);
		if (xm_parse_hex(s, k->key, XMESH_KEY_LEN)) {
			pr_err("invalid key: expected %d hex digits.",
			       2 * XMESH_KEY_LEN);
			return XM_EXIT_USAGE;
		}
		return XM_EXIT_OK;
	}
}

int parse_key(struct ctx *c, uint8_t cmd, int argc, char **argv,
	      struct xm_change *ch)
{
	struct xm_key *k = &ch->e.key;
	const char *dev = NULL;
	uint32_t allowed;
	int type, ret;

	memset(ch, 0, sizeof(*ch));
	ch->cmd = cmd;
	ch->e.type = XMESH_A_KEY;
	switch (cmd) {
	case XMESH_CMD_KEY_NEW:
		allowed = ~0u;
		break;
	default:	/* del; get: a filter for show */
		allowed = XM_BIT(XMESH_KEY_A_NEIGH) | XM_BIT(XMESH_KEY_A_NODE) |
			  XM_BIT(XMESH_KEY_A_ID) | XM_BIT(XMESH_KEY_A_DIR);
		break;
	}
	for (ret = 0; argc > 0 && !ret; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &dev);
			continue;
		}
		type = keyword(kw);
		if (!type) {
			ret = arg_unknown(kw, usage_key);
		} else if (!(allowed & XM_BIT(type))) {
			pr_err("%s takes no \"%s\".",
			       table_verb(&key_table, cmd), kw);
			ret = XM_EXIT_USAGE;
		} else if (XM_HAS(k, type)) {
			ret = arg_dup(kw);
		} else if (!next_arg(&argc, &argv)) {
			ret = XM_EXIT_USAGE;
		} else if (!(ret = parse_value(k, type, kw, argv[0]))) {
			XM_SET(k, type);
		}
	}
	if (!ret && XM_HAS(k, XMESH_KEY_A_NEIGH) && XM_HAS(k, XMESH_KEY_A_NODE)) {
		pr_err("a key belongs to a neigh or to a node, not both.");
		ret = XM_EXIT_USAGE;
	}
	if (!ret && cmd != XMESH_CMD_KEY_GET &&
	    ((!XM_HAS(k, XMESH_KEY_A_NEIGH) && !XM_HAS(k, XMESH_KEY_A_NODE)) ||
	     !XM_HAS(k, XMESH_KEY_A_ID) || !XM_HAS(k, XMESH_KEY_A_DIR))) {
		pr_err("%s needs neigh or node, id and dir.",
		       table_verb(&key_table, cmd));
		ret = XM_EXIT_USAGE;
	}
	if (!ret && cmd == XMESH_CMD_KEY_NEW && !XM_HAS(k, XMESH_KEY_A_KEY)) {
		pr_err("key add needs the key: key HEX or file FILE.");
		ret = XM_EXIT_USAGE;
	}
	if (ret) {
		xm_key_wipe(k);
		return ret;
	}
	snprintf(ch->ifname, sizeof(ch->ifname), "%s", ctx_dev(c, dev));
	return XM_EXIT_OK;
}

static int submit(struct ctx *c, uint8_t cmd, bool replace, int argc,
		  char **argv)
{
	struct xm_change ch;
	int ret = parse_key(c, cmd, argc, argv, &ch);

	if (ret)
		return xm_status(ret);
	ch.replace = replace;
	ret = ctx_submit(c, &ch);
	xm_key_wipe(&ch.e.key);
	return ret;
}

static int key_add(struct ctx *c, int argc, char **argv)
{
	return submit(c, XMESH_CMD_KEY_NEW, false, argc, argv);
}

static int key_replace(struct ctx *c, int argc, char **argv)
{
	return submit(c, XMESH_CMD_KEY_NEW, true, argc, argv);
}

static int key_del(struct ctx *c, int argc, char **argv)
{
	return submit(c, XMESH_CMD_KEY_DEL, false, argc, argv);
}

static void key_print(struct ctx *c, const struct xm_entry *e,
		      json_object *view)
{
	(void)view;
	print_key(&c->out, &e->key);
}

void print_key(struct out *o, const struct xm_key *k)
{
	const char *dir = xm_key_dir_name(k->dir);
	char buf[16];

	if (!dir) {
		snprintf(buf, sizeof(buf), "%u", k->dir);
		dir = buf;
	}
	out_obj_begin(o, NULL);
	if (XM_HAS(k, XMESH_KEY_A_NEIGH))
		out_uint(o, "neigh", "neigh", k->neigh);
	if (XM_HAS(k, XMESH_KEY_A_NODE))
		out_uint(o, "node", "node", k->node);
	if (XM_HAS(k, XMESH_KEY_A_ID))
		out_uint(o, "id", "id", k->id);
	out_str(o, "dir", "dir", dir);
	if (XM_HAS(k, XMESH_KEY_A_COUNTER))
		out_uint(o, "counter", "counter", k->counter);
	if (XM_HAS(k, XMESH_KEY_A_PACKETS))
		out_uint(o, "packets", "packets", k->packets);
	if (XM_HAS(k, XMESH_KEY_A_BYTES))
		out_uint(o, "bytes", "bytes", k->bytes);
	if (XM_HAS(k, XMESH_KEY_A_REPLAYED))
		out_uint(o, "replayed", "replayed", k->replayed);
	if (XM_HAS(k, XMESH_KEY_A_AUTH_FAILED))
		out_uint(o, "auth_failed", "auth-failed", k->auth_failed);
	out_nl(o);
	out_obj_end(o);
}

static bool key_match(const struct xm_entry *e, const struct xm_entry *f)
{
	const struct xm_key *k = &e->key, *w = &f->key;

	return (!XM_HAS(w, XMESH_KEY_A_NEIGH) ||
		(XM_HAS(k, XMESH_KEY_A_NEIGH) && k->neigh == w->neigh)) &&
	       (!XM_HAS(w, XMESH_KEY_A_NODE) ||
		(XM_HAS(k, XMESH_KEY_A_NODE) && k->node == w->node)) &&
	       (!XM_HAS(w, XMESH_KEY_A_ID) || k->id == w->id) &&
	       (!XM_HAS(w, XMESH_KEY_A_DIR) || k->dir == w->dir);
}

static const struct cmd key_cmds[] = {
	{ "show", "list ls lst", table_show, CMD_RUN },
	{ "add", NULL, key_add, CMD_CHANGE },
	{ "replace", NULL, key_replace, CMD_CHANGE },
	{ "del", "delete", key_del, CMD_CHANGE },
	{ "flush", NULL, table_flush, CMD_CHANGE },
	{ NULL, NULL, NULL, CMD_RUN },
};

/* The table runner, but add, replace and del wipe the key bytes after. */
static const struct table key_table = {
	.name = "key",
	.cmd_get = XMESH_CMD_KEY_GET,
	.cmd_new = XMESH_CMD_KEY_NEW,
	.cmd_del = XMESH_CMD_KEY_DEL,
	.cmds = key_cmds,
	.usage = usage_key,
	.parse = parse_key,
	.match = key_match,
	.print = key_print,
};

int do_key(struct ctx *c, int argc, char **argv)
{
	return table_run(c, &key_table, argc, argv);
}
