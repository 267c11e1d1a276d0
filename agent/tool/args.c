// SPDX-License-Identifier: GPL-2.0
/* Reading the command line: words by unique prefix, values strictly. */
#include "tool.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

/* Does word name c: exactly, or (prefix) as the start of a name? */
static bool names(const struct cmd *c, const char *word, bool prefix)
{
	size_t wlen = strlen(word);
	const char *a;

	if (prefix ? !strncmp(c->name, word, wlen) : !strcmp(c->name, word))
		return true;
	for (a = c->aliases; a && *a;) {
		size_t alen = strcspn(a, " ");

		if (prefix ? alen >= wlen && !strncmp(a, word, wlen) :
			     alen == wlen && !strncmp(a, word, wlen))
			return true;
		a += alen;
		a += strspn(a, " ");
	}
	return false;
}

const struct cmd *cmd_match(const char *word, const struct cmd *cmds,
			    const char *what)
{
	const struct cmd *p, *found = NULL;
	bool ambiguous = false;

	if (!*word) {
		pr_err("empty %s.", what);
		return NULL;
	}
	for (p = cmds; p->name; p++)
		if (names(p, word, false))
			return p;
	for (p = cmds; p->name; p++) {
		if (!names(p, word, true))
			continue;
		ambiguous |= found != NULL;
		if (!found)
			found = p;
	}
	if (ambiguous) {
		int n = 0, i = 0;

		for (p = cmds; p->name; p++)
			n += names(p, word, true);
		fflush(stdout);
		fprintf(stderr, "Error: \"%s\" is ambiguous: it may be", word);
		for (p = cmds; p->name; p++) {
			if (!names(p, word, true))
				continue;
			i++;
			fprintf(stderr, "%s%s", i == 1 ? " " :
				i == n ? " or " : ", ", p->name);
		}
		fputs(".\n", stderr);
		return NULL;
	}
	if (!found)
		pr_err("unknown %s \"%s\"; try \"help\".", what, word);
	return found;
}

bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "-h") || !strcmp(s, "--help");
}

int cmd_dispatch(struct ctx *c, const struct cmd *cmds, const char *what,
		 const char *dflt, void (*usage)(FILE *fp), int argc,
		 char **argv)
{
	const struct cmd *cmd;

	if (argc > 0 && is_help(argv[0])) {
		usage(stdout);
		return XM_EXIT_OK;
	}
	if (argc < 1 && !dflt) {
		usage(stderr);
		return XM_EXIT_USAGE;
	}
	cmd = cmd_match(argc > 0 ? argv[0] : dflt, cmds, what);
	if (!cmd)
		return XM_EXIT_USAGE;
	if (argc > 0) {
		argc--;
		argv++;
	}
	if (cmd->kind == CMD_RUN) {
		/* It must see the changes of the lines before it. */
		ctx_flush(c);
		if (c->stop)
			return XM_EXIT_OK;
	}
	return cmd->run(c, argc, argv);
}

bool next_arg(int *argc, char ***argv)
{
	if (*argc < 2) {
		pr_err("\"%s\" needs a value.", (*argv)[0]);
		return false;
	}
	(*argc)--;
	(*argv)++;
	return true;
}

int arg_u32(const char *what, const char *s, uint32_t min, uint32_t max,
	    uint32_t *out)
{
	if (!xm_parse_u32(s, min, max, out))
		return XM_EXIT_OK;
	pr_err("invalid %s \"%s\": expected a number from %u to %u.", what, s,
	       min, max);
	return XM_EXIT_USAGE;
}

/* arg_u32() into a narrower integer. */
#define ARG_UINT(name, type)						\
int name(const char *what, const char *s, type min, type max, type *out) \
{									\
	uint32_t v;							\
	int ret = arg_u32(what, s, min, max, &v);			\
									\
	if (!ret)							\
		*out = (type)v;						\
	return ret;							\
}

ARG_UINT(arg_u16, uint16_t)
ARG_UINT(arg_u8, uint8_t)

int arg_seconds(const char *what, const char *s, double min, double max,
		double *out)
{
	if (!xm_parse_seconds(s, min, max, out))
		return XM_EXIT_OK;
	pr_err("invalid %s \"%s\": expected seconds from %g to %g.", what, s,
	       min, max);
	return XM_EXIT_USAGE;
}

int arg_ifname(const char *what, const char *s)
{
	if (xm_ifname_valid(s))
		return XM_EXIT_OK;
	pr_err("invalid %s name \"%s\".", what, s);
	return XM_EXIT_USAGE;
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

int arg_link(const char *s, uint32_t *out)
{
	int ret = arg_ifname("interface", s);

	if (ret)
		return ret;
	*out = if_nametoindex(s);
	if (*out)
		return XM_EXIT_OK;
	pr_err("cannot find underlay interface \"%s\".", s);
	return XM_EXIT_FAIL;
}

int arg_state(const char *s, uint8_t *out)
{
	if (!strcmp(s, "up"))
		*out = XMESH_NEIGH_UP;
	else if (!strcmp(s, "down"))
		*out = XMESH_NEIGH_DOWN;
	else {
		pr_err("invalid state \"%s\": expected up or down.", s);
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

int arg_prefix(const char *s, struct xm_addr *a, uint8_t *len)
{
	char buf[XM_ADDRSTRLEN];

	switch (xm_parse_prefix(s, a, len)) {
	case 0:
		return XM_EXIT_OK;
	case -EADDRNOTAVAIL:
		xm_addr_mask(a, *len);
		pr_err("%s has host bits set; did you mean %s?", s,
		       xm_prefix_str(a, *len, buf, sizeof(buf)));
		break;
	case -ERANGE:
		pr_err("invalid prefix length in \"%s\": at most %u.", s,
		       xm_addr_bits(a->family));
		break;
	default:
		pr_err("invalid prefix \"%s\": expected ADDRESS/LENGTH.", s);
		break;
	}
	return XM_EXIT_USAGE;
}

int arg_dup(const char *kw)
{
	pr_err("\"%s\" is given twice.", kw);
	return XM_EXIT_USAGE;
}

int arg_once(int *argc, char ***argv, uint32_t *present, unsigned int attr)
{
	if (*present & XM_BIT(attr))
		return arg_dup((*argv)[0]);
	if (!next_arg(argc, argv))
		return XM_EXIT_USAGE;
	*present |= XM_BIT(attr);
	return XM_EXIT_OK;
}

int arg_id_once(int *argc, char ***argv, const char *what, uint32_t *out,
		uint32_t *present, unsigned int attr)
{
	int ret = arg_once(argc, argv, present, attr);

	return ret ? ret : arg_u32(what, (*argv)[0], 1, UINT32_MAX, out);
}

void change_init(struct xm_change *ch, uint8_t cmd, uint16_t type)
{
	memset(ch, 0, sizeof(*ch));
	ch->cmd = cmd;
	ch->e.type = type;
}

void change_dev(struct ctx *c, struct xm_change *ch, const char *dev)
{
	snprintf(ch->ifname, sizeof(ch->ifname), "%s", ctx_dev(c, dev));
}

int arg_unknown(const char *kw, void (*usage)(FILE *fp))
{
	if (is_help(kw)) {
		usage(stdout);
		return XM_HELP;
	}
	if (kw[0] == '-' && kw[1])
		pr_err("\"%s\" is an option: options go before the object, as in \"xmesh %s OBJECT ...\".",
		       kw, kw);
	else
		pr_err("unknown argument \"%s\"; try \"help\".", kw);
	return XM_EXIT_USAGE;
}
