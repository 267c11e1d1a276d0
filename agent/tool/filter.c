// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh filter: the fine-grained rules (Documentation/filter.md) in
 * nftables. The tool programs nftables itself rather than through xmeshd:
 * everything the rules need of the mesh (each node's zone and roles, each
 * node's prefixes) is in the module's tables, so it works the same with
 * or without the agent. The rules file stays the one source: add and del
 * edit it, then every command installs it whole, atomically. When the
 * file is the one xmeshd reads, xmeshd installs it instead (its zone
 * lines too), so that its rebuilds keep the edit.
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xmesh_file.h"
#include "xmesh_filter_nft.h"

#define FILTER_FILE	"/etc/xmesh/filter.rules"
#define FILTER_MAX	(4 << 20)

void usage_filter(FILE *fp)
{
	fputs("Usage: xmesh filter [ show ] [ file FILE ]\n"
	      "       xmesh filter replace [ file ] FILE [ dev DEV ]\n"
	      "       xmesh filter add RULE [ file FILE ] [ dev DEV ]\n"
	      "       xmesh filter del LINE [ file FILE ] [ dev DEV ]\n"
	      "       xmesh filter flush\n"
	      "RULE := { allow | deny } [ dir { in | out | forward } ] [ from SEL ]\n"
	      "        [ to SEL ] [ class CLASS ] [ proto PROTO ] [ sport PORTS ]\n"
	      "        [ dport PORTS ] [ log ]\n"
	      "SEL := zone NAME | role NAME | PREFIX    FILE: default " FILTER_FILE "\n"
	      "CLASS := bulk | interactive | realtime | network-control (not dir out)\n"
	      "The rules go into nftables table inet xmesh, replaced whole at once;\n"
	      "show prints each rule of the file with what it counted.\n", fp);
}

/* "file FILE", "dev DEV", and for replace a bare FILE; the rest to words. */
struct filter_args {
	const char *file, *dev;
	int argc;
	char **argv;
};

static int filter_parse_args(int argc, char **argv, bool bare_file,
			     struct filter_args *a)
{
	int ret;

	memset(a, 0, sizeof(*a));
	a->argv = calloc((size_t)argc + 1, sizeof(*a->argv));
	if (!a->argv)
		return XM_EXIT_FAIL;
	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "dev")) {
			ret = arg_dev(&argc, &argv, &a->dev);
			if (ret)
				return ret;
		} else if (!strcmp(argv[0], "file") ||
			   (bare_file && !a->file)) {
			if (a->file)
				return arg_dup("file");
			if (!strcmp(argv[0], "file") && !next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			a->file = argv[0];
		} else if (is_help(argv[0])) {
			return arg_unknown(argv[0], usage_filter);
		} else {
			a->argv[a->argc++] = argv[0];
		}
	}
	if (!a->file)
		a->file = FILTER_FILE;
	return XM_EXIT_OK;
}

static char *read_text(const char *path)
{
	char *text = malloc(FILTER_MAX + 1);
	ssize_t n;

	if (!text)
		return NULL;
	n = xm_file_read(path, text, FILTER_MAX, false, NULL);
	if (n < 0) {
		pr_err("%s: %s.", path, strerror((int)-n));
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

/* What the rules need of the mesh, from the module's tables. */
struct view_buf {
	struct xm_nft_view v;
	struct xm_nft_node *nodes;
	struct xm_nft_prefix *prefixes;
};

static int view_load(struct ctx *c, const char *dev, struct view_buf *vb)
{
	const char *ifname = ctx_dev(c, dev);
	const struct xm_devinfo *di = ctx_devinfo(c, ifname);
	struct xm_list nodes = { 0 }, prefixes = { 0 };
	size_t i;
	int ret;

	memset(vb, 0, sizeof(*vb));
	if (!di)
		return XM_EXIT_FAIL;
	ret = ctx_dump(c, XMESH_CMD_NODE_GET, ifname, &nodes);
	if (!ret)
		ret = ctx_dump(c, XMESH_CMD_PREFIX_GET, ifname, &prefixes);
	if (ret)
		goto out;
	vb->nodes = calloc(nodes.n + 1, sizeof(*vb->nodes));
	vb->prefixes = calloc(prefixes.n + 1, sizeof(*vb->prefixes));
	if (!vb->nodes || !vb->prefixes) {
		ret = XM_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < nodes.n; i++)
		vb->nodes[i] = (struct xm_nft_node){ nodes.v[i].node.id,
						     nodes.v[i].node.zone,
						     nodes.v[i].node.roles };
	for (i = 0; i < prefixes.n; i++)
		vb->prefixes[i] = (struct xm_nft_prefix){
			prefixes.v[i].prefix.addr, prefixes.v[i].prefix.len,
			prefixes.v[i].prefix.node };
	vb->v = (struct xm_nft_view){
		.ifname = di->ifname, .self = di->node_id,
		.nodes = vb->nodes, .n_nodes = nodes.n,
		.prefixes = vb->prefixes, .n_prefixes = prefixes.n,
	};
out:
	xm_list_free(&nodes);
	xm_list_free(&prefixes);
	return ret;
}

static void view_free(struct view_buf *vb)
{
	free(vb->nodes);
	free(vb->prefixes);
}

/* Parse text (file's) into f: exit status, after saying what is wrong. */
static int parse(const char *file, const char *text, struct xm_filter *f)
{
	char err[256];

	if (!xm_filter_parse(text, f, err, sizeof(err)))
		return XM_EXIT_OK;
	pr_err("%s: %s.", file, err);
	return XM_EXIT_USAGE;
}

static int parse_check(const char *file, const char *text)
{
	struct xm_filter f;
	int ret = parse(file, text, &f);

	xm_filter_free(&f);
	return ret;
}

/* Parse text and install it. Exit status. */
static int install(struct ctx *c, const char *file, const char *text,
		   const char *dev)
{
	struct xm_filter *f = malloc(sizeof(*f));
	struct xm_nft_batch b;
	struct view_buf vb;
	char err[256];
	int ret = XM_EXIT_FAIL;

	if (!f)
		return XM_EXIT_FAIL;
	ret = parse(file, text, f);
	if (ret)
		goto out;
	ret = view_load(c, dev, &vb);
	if (ret)
		goto out;
	if (xm_nft_build(f, &vb.v, 1, &b)) {
		pr_err("out of memory building the rules.");
		ret = XM_EXIT_FAIL;
	} else {
		if (xm_nft_commit(&b, err, sizeof(err))) {
			pr_err("%s.", err);
			ret = XM_EXIT_FAIL;
		}
		xm_nft_batch_free(&b);
	}
	view_free(&vb);
out:
	xm_filter_free(f);
	free(f);
	return ret;
}

/* Where a running xmeshd takes its rules from (its status's "filter"). */
struct agent_filter {
	bool running;			/* it answered, with a "filter" */
	char file[PATH_MAX];		/* "": none */
	uint64_t policy_version;	/* not 0: the policy's rules, no file */
};

static void agent_filter_get(struct ctx *c, struct agent_filter *af)
{
	json_object *reply = agent_ask(c, agent_cmd("status"), true);
	json_object *f = reply ? jget(reply, "filter") : NULL;
	const char *file = f ? json_object_get_string(jget(f, "file")) : NULL;

	memset(af, 0, sizeof(*af));
	if (f) {
		af->running = true;
		snprintf(af->file, sizeof(af->file), "%s", file ? file : "");
		af->policy_version =
			json_object_get_uint64(jget(f, "policy_version"));
	}
	json_object_put(reply);
}

/* Are a and b one file (device and inode)? */
static bool same_file(const char *a, const char *b)
{
	struct stat x, y;

	return *a && *b && !stat(a, &x) && !stat(b, &y) &&
	       x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/*
 * xmeshd installs its file, a->file, rewritten with new_text first unless
 * old_text is NULL; if xmeshd refuses it, old_text is put back.
 */
static int install_by_agent(struct ctx *c, const struct filter_args *a,
			    const char *old_text, const char *new_text)
{
	json_object *reply;
	int err;

	if (old_text) {
		err = xm_file_write(a->file, new_text, strlen(new_text), 0644,
				    true);
		if (err) {
			pr_err("%s: %s.", a->file, strerror(-err));
			return XM_EXIT_FAIL;
		}
	}
	reply = agent_ask(c, agent_cmd("filter-reload"), false);
	if (reply) {
		json_object_put(reply);
		return XM_EXIT_OK;
	}
	if (old_text) {
		err = xm_file_write(a->file, old_text, strlen(old_text), 0644,
				    true);
		pr_err("%s %s.", a->file, err ?
		       "keeps the rules xmeshd refused" :
		       "is put back as it was");
	}
	return XM_EXIT_FAIL;
}

/*
 * new_text, the rules of a->file, in force: installed by xmeshd when the
 * file is the one it reads, else here; a->file rewritten with it unless
 * old_text is NULL (replace). Refused while xmeshd enforces a policy's
 * filter: its next rebuild would undo the edit. Exit status.
 */
static int filter_apply(struct ctx *c, const struct filter_args *a,
			const char *old_text, const char *new_text)
{
	struct agent_filter af;
	int ret, err;

	agent_filter_get(c, &af);
	if (af.policy_version) {
		pr_err("xmeshd enforces the filter of policy version %" PRIu64
		       ", not a file's: change the site policy (xmesh policy apply); nothing is changed.",
		       af.policy_version);
		return XM_EXIT_FAIL;
	}
	if (af.running && same_file(a->file, af.file)) {
		ret = parse_check(a->file, new_text);
		return ret ? ret : install_by_agent(c, a, old_text, new_text);
	}
	ret = install(c, a->file, new_text, a->dev);
	if (ret)
		return ret;
	if (old_text) {
		err = xm_file_write(a->file, new_text, strlen(new_text), 0644,
				    true);
		if (err) {
			pr_err("%s: %s (the rules are installed, the file is not changed).",
			       a->file, strerror(-err));
			return XM_EXIT_FAIL;
		}
	}
	if (af.file[0])
		fprintf(stderr, "Warning: xmeshd reads its rules from %s and installs them again at its next rebuild.\n",
			af.file);
	return XM_EXIT_OK;
}

static int filter_replace(struct ctx *c, int argc, char **argv)
{
	struct filter_args a;
	char *text;
	int ret = filter_parse_args(argc, argv, true, &a);

	if (!ret && a.argc)
		ret = arg_unknown(a.argv[0], usage_filter);
	if (!ret) {
		text = read_text(a.file);
		ret = text ? filter_apply(c, &a, NULL, text) : XM_EXIT_FAIL;
		free(text);
	}
	free(a.argv);
	return xm_status(ret);
}

static int filter_add(struct ctx *c, int argc, char **argv)
{
	struct filter_args a;
	char *text = NULL, *new_text = NULL;
	size_t len, i;
	int ret = filter_parse_args(argc, argv, false, &a);

	if (ret)
		goto out;
	if (!a.argc) {
		pr_err("filter add needs a RULE.");
		ret = XM_EXIT_USAGE;
		goto out;
	}
	text = read_text(a.file);
	if (!text) {
		ret = XM_EXIT_FAIL;
		goto out;
	}
	len = strlen(text) + 2;
	for (i = 0; i < (size_t)a.argc; i++)
		len += strlen(a.argv[i]) + 1;
	new_text = malloc(len);
	if (!new_text) {
		ret = XM_EXIT_FAIL;
		goto out;
	}
	strcpy(new_text, text);
	if (*text && text[strlen(text) - 1] != '\n')
		strcat(new_text, "\n");
	for (i = 0; i < (size_t)a.argc; i++) {
		strcat(new_text, a.argv[i]);
		strcat(new_text, i + 1 < (size_t)a.argc ? " " : "\n");
	}
	ret = filter_apply(c, &a, text, new_text);
out:
	free(new_text);
	free(text);
	free(a.argv);
	return xm_status(ret);
}

static int filter_del(struct ctx *c, int argc, char **argv)
{
	struct filter_args a;
	char *text = NULL, *old = NULL, *s, *start = NULL, *end;
	uint32_t line, l = 1;
	int ret = filter_parse_args(argc, argv, false, &a);

	if (ret)
		goto out;
	if (a.argc != 1) {
		pr_err("filter del needs the LINE of the rule (filter show).");
		ret = XM_EXIT_USAGE;
		goto out;
	}
	ret = arg_u32("line", a.argv[0], 1, UINT32_MAX, &line);
	if (ret)
		goto out;
	text = read_text(a.file);
	old = text ? strdup(text) : NULL;
	if (!old) {
		ret = XM_EXIT_FAIL;
		goto out;
	}
	for (s = text; *s && l < line; s++)
		if (*s == '\n')
			l++;
	start = s;
	s += strspn(s, " \t");
	if (l != line || (strncmp(s, "allow", 5) && strncmp(s, "deny", 4))) {
		pr_err("%s: line %u is no rule.", a.file, line);
		ret = XM_EXIT_USAGE;
		goto out;
	}
	end = strchr(start, '\n');
	memmove(start, end ? end + 1 : start + strlen(start),
		strlen(end ? end + 1 : start + strlen(start)) + 1);
	ret = filter_apply(c, &a, old, text);
out:
	free(old);
	free(text);
	free(a.argv);
	return xm_status(ret);
}

static int filter_flush(struct ctx *c, int argc, char **argv)
{
	struct xm_nft_batch b;
	char err[256];
	int ret = XM_EXIT_OK;

	(void)c;
	if (argc)
		return xm_status(arg_unknown(argv[0], usage_filter));
	if (xm_nft_build_delete(1, &b))
		return XM_EXIT_FAIL;
	if (xm_nft_commit(&b, err, sizeof(err))) {
		pr_err("%s.", err);
		ret = XM_EXIT_FAIL;
	}
	xm_nft_batch_free(&b);
	return ret;
}

static const struct xm_nft_count *count_of(const struct xm_nft_count *v,
					   size_t n, unsigned int line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].line == line)
			return &v[i];
	return NULL;
}

static void print_count(struct ctx *c, unsigned int line, const char *rule,
			const struct xm_nft_count *k)
{
	out_obj_begin(&c->out, NULL);
	if (line)
		out_uint(&c->out, "line", "", line);
	else
		out_null(&c->out, "line", NULL, "");
	out_str(&c->out, "rule", line ? ":" : "", rule);
	out_uint(&c->out, "packets", "packets", k ? k->packets : 0);
	out_uint(&c->out, "bytes", "bytes", k ? k->bytes : 0);
	out_bool(&c->out, "installed", NULL, k != NULL);
	out_nl(&c->out);
	out_obj_end(&c->out);
}

static int filter_show(struct ctx *c, int argc, char **argv)
{
	struct xm_nft_count *v = NULL;
	struct filter_args a;
	char *text = NULL, *line, *next;
	unsigned int no = 0;
	size_t n = 0;
	int ret = filter_parse_args(argc, argv, false, &a), err;

	(void)c;
	if (!ret && a.argc)
		ret = arg_unknown(a.argv[0], usage_filter);
	if (ret)
		goto out;
	err = xm_nft_counters(&v, &n);
	if (err && err != -ENOENT) {
		pr_err("nftables: %s.", strerror(-err));
		ret = XM_EXIT_FAIL;
		goto out;
	}
	text = read_text(a.file);
	if (!text) {
		ret = XM_EXIT_FAIL;
		goto out;
	}
	out_list_begin(&c->out);
	for (line = text; line && *line; line = next) {
		char *s;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		no++;
		s = line + strspn(line, " \t");
		if (strncmp(s, "allow", 5) && strncmp(s, "deny", 4))
			continue;
		s[strcspn(s, "#")] = '\0';
		while (*s && strchr(" \t\r", s[strlen(s) - 1]))
			s[strlen(s) - 1] = '\0';
		print_count(c, no, s, count_of(v, n, no));
	}
	print_count(c, 0, "policy", count_of(v, n, 0));
	out_list_end(&c->out);
out:
	free(v);
	free(text);
	free(a.argv);
	return xm_status(ret);
}

static const struct cmd filter_cmds[] = {
	{ "show", "list ls lst", filter_show, CMD_RUN },
	{ "replace", NULL, filter_replace, CMD_RUN },
	{ "add", NULL, filter_add, CMD_RUN },
	{ "del", "delete", filter_del, CMD_RUN },
	{ "flush", NULL, filter_flush, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_filter(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, filter_cmds, "filter command", "show",
			    usage_filter, argc, argv);
}
