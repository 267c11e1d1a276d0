// SPDX-License-Identifier: GPL-2.0
#include "filter.h"

#include <errno.h>
#include <linux/xmesh.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmesh_file.h"

#define XMD_FILTER_FILE_MAX	(4 << 20)	/* bytes of a rules file */

struct xmd_filter *xmd_filter_parse_text(const char *text, char *err,
					 size_t len)
{
	struct xmd_filter *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (xm_filter_parse(text, &f->rules, err, len)) {
		xm_filter_free(&f->rules);
		free(f);
		return NULL;
	}
	return f;
}

struct xmd_filter *xmd_filter_new(const char *path, char *err, size_t len)
{
	struct xmd_filter *f = NULL;
	char *text = malloc(XMD_FILTER_FILE_MAX + 1);
	ssize_t n;

	if (!text) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	n = xm_file_read(path, text, XMD_FILTER_FILE_MAX, false, NULL);
	if (n < 0) {
		snprintf(err, len, "%s: %s", path, strerror((int)-n));
	} else {
		text[n] = '\0';
		f = xmd_filter_parse_text(text, err, len);
	}
	free(text);
	return f;
}

void xmd_filter_free(struct xmd_filter *f)
{
	if (!f)
		return;
	xm_filter_free(&f->rules);
	free(f->installed);
	free(f->nft_nodes);
	free(f->nft_prefixes);
	free(f);
}

static int node_cmp(const void *a, const void *b)
{
	const struct xm_node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int xmd_filter_nodes(const struct xmd_filter *f, const struct xm_core *core,
		     struct xm_node **out, size_t *n)
{
	struct xm_node_status st;
	struct xm_node *v = NULL, *nv;
	size_t i, cap = 0;

	*n = 0;
	for (i = 0; xm_core_node(core, i, &st); i++) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].id = st.node;
		v[*n].zone = xm_filter_zone_id(&f->rules, st.caps.zone);
		v[*n].roles = xm_filter_role_bits(&f->rules, st.caps.roles,
						  st.caps.n_roles);
		v[*n].present = XM_BIT(XMESH_NODE_A_ID) |
				XM_BIT(XMESH_NODE_A_ZONE) |
				XM_BIT(XMESH_NODE_A_ROLES);
		(*n)++;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), node_cmp);
	*out = v;
	return 0;
}

static int add_change(struct xm_change **v, size_t *n, size_t *cap,
		      uint8_t cmd, const struct xm_node *node,
		      uint32_t ifindex)
{
	struct xm_change *nv, *c;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nv = realloc(*v, *cap * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->replace = cmd == XMESH_CMD_NODE_NEW;
	c->ifindex = ifindex;
	c->e.type = XMESH_A_NODE;
	c->e.node = *node;
	if (cmd == XMESH_CMD_NODE_DEL)
		c->e.node.present = XM_BIT(XMESH_NODE_A_ID);
	return 0;
}

int xmd_filter_node_diff(const struct xm_node *want, size_t n_want,
			 const struct xm_node *have, size_t n_have,
			 uint32_t ifindex, struct xm_change **out, size_t *n)
{
	size_t i = 0, j = 0, cap = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	while (!err && (i < n_want || j < n_have)) {
		if (j == n_have || (i < n_want && want[i].id < have[j].id)) {
			err = add_change(out, n, &cap, XMESH_CMD_NODE_NEW,
					 &want[i++], ifindex);
		} else if (i == n_want || have[j].id < want[i].id) {
			err = add_change(out, n, &cap, XMESH_CMD_NODE_DEL,
					 &have[j++], ifindex);
		} else {
			if (want[i].zone != have[j].zone ||
			    want[i].roles != have[j].roles)
				err = add_change(out, n, &cap,
						 XMESH_CMD_NODE_NEW, &want[i],
						 ifindex);
			i++, j++;
		}
	}
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

static void change_failed(const struct xm_change *c, size_t count,
			  const struct nlc_error *e, void *data)
{
	(void)data;
	xmd_warn("zones: %s of %zu change%s refused: %s",
		 c->e.type == XMESH_A_NODE ? "node table" : "zone settings",
		 count, count == 1 ? "" : "s", e->msg[0] ? e->msg :
		 strerror(-e->err));
}

/* The zone pairs (replacing whatever was there), default and mask. */
static int settings_sync(struct xmd_filter *f, struct xmnl *nl,
			 uint32_t ifindex)
{
	const struct xm_filter *r = &f->rules;
	size_t n = r->n_pairs + 2, i;
	struct xm_change *c = calloc(n, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c[0].cmd = XMESH_CMD_ZONE_PAIR_DEL;
	c[0].flush = true;
	c[0].ifindex = ifindex;
	for (i = 0; i < r->n_pairs; i++) {
		struct xm_zone_pair *z = &c[i + 1].e.zone_pair;

		c[i + 1].cmd = XMESH_CMD_ZONE_PAIR_NEW;
		c[i + 1].ifindex = ifindex;
		c[i + 1].e.type = XMESH_A_ZONE_PAIR;
		z->from = r->pairs[i].from;
		z->to = r->pairs[i].to;
		z->action = r->pairs[i].action;
		z->present = XM_BIT(XMESH_ZONE_PAIR_A_FROM) |
			     XM_BIT(XMESH_ZONE_PAIR_A_TO) |
			     XM_BIT(XMESH_ZONE_PAIR_A_ACTION);
	}
	c[n - 1].cmd = XMESH_CMD_DEV_SET;
	c[n - 1].ifindex = ifindex;
	c[n - 1].e.type = XMESH_A_DEV;
	c[n - 1].e.dev.mark_mask = r->mark_mask;
	c[n - 1].e.dev.zone_default = r->zone_default;
	c[n - 1].e.dev.present = XM_BIT(XMESH_DEV_A_MARK_MASK) |
				 XM_BIT(XMESH_DEV_A_ZONE_DEFAULT);
	err = xmnl_apply(nl, c, n, XM_APPLY_STOP, change_failed, f);
	free(c);
	return err;
}

static int installed_load(struct xmd_filter *f, struct xmnl *nl,
			  uint32_t ifindex)
{
	struct xm_list l = { 0 };
	struct nlc_error e;
	size_t i;
	int err;

	err = xmnl_dump(nl, XMESH_CMD_NODE_GET, ifindex, NULL, &l, &e);
	if (err)
		return err;
	free(f->installed);
	f->installed = calloc(l.n + 1, sizeof(*f->installed));
	if (!f->installed) {
		xm_list_free(&l);
		f->n_installed = 0;
		return -ENOMEM;
	}
	for (i = 0; i < l.n; i++)
		f->installed[i] = l.v[i].node;
	f->n_installed = l.n;
	qsort(f->installed, l.n, sizeof(*f->installed), node_cmp);
	xm_list_free(&l);
	f->installed_ok = true;
	return 0;
}

/* Whether the table was built of these nodes and prefixes. */
static bool same_view(const struct xmd_filter *f,
		      const struct xm_nft_node *nodes, size_t n_nodes,
		      const struct xm_nft_prefix *prefixes, size_t n_prefixes)
{
	size_t i;

	if (n_nodes != f->n_nft_nodes || n_prefixes != f->n_nft_prefixes)
		return false;
	for (i = 0; i < n_nodes; i++)
		if (nodes[i].id != f->nft_nodes[i].id ||
		    nodes[i].zone != f->nft_nodes[i].zone ||
		    nodes[i].roles != f->nft_nodes[i].roles)
			return false;
	for (i = 0; i < n_prefixes; i++)
		if (prefixes[i].node != f->nft_prefixes[i].node ||
		    !xm_prefix_eq(&prefixes[i].addr, prefixes[i].len,
				  &f->nft_prefixes[i].addr,
				  f->nft_prefixes[i].len))
			return false;
	return true;
}

/* Table inet xmesh, when what it is built of changed. */
static int nft_sync(struct xmd_filter *f, const struct xmd_filter_dev *dev)
{
	size_t n_nodes = f->n_installed, n_prefixes = dev->fib->n_prefixes, i;
	struct xm_nft_node *nodes = calloc(n_nodes + 1, sizeof(*nodes));
	struct xm_nft_prefix *prefixes = calloc(n_prefixes + 1,
						sizeof(*prefixes));
	struct xm_nft_view v;
	struct xm_nft_batch b;
	char why[256];
	int err = -ENOMEM;

	if (!nodes || !prefixes)
		goto out;
	for (i = 0; i < n_nodes; i++)
		nodes[i] = (struct xm_nft_node){ f->installed[i].id,
						 f->installed[i].zone,
						 f->installed[i].roles };
	for (i = 0; i < n_prefixes; i++)
		prefixes[i] = (struct xm_nft_prefix){
			dev->fib->prefixes[i].prefix.addr,
			dev->fib->prefixes[i].prefix.len,
			dev->fib->prefixes[i].node };
	if (f->nft_ok && same_view(f, nodes, n_nodes, prefixes, n_prefixes)) {
		err = 0;
		goto out;
	}
	v = (struct xm_nft_view){ .ifname = dev->ifname, .self = dev->self,
				  .nodes = nodes, .n_nodes = n_nodes,
				  .prefixes = prefixes,
				  .n_prefixes = n_prefixes };
	err = xm_nft_build(&f->rules, &v, 1, &b);
	if (err)
		goto out;
	err = xm_nft_commit(&b, why, sizeof(why));
	xm_nft_batch_free(&b);
	f->nft_ok = !err;
	if (err) {
		xmd_warn("filter: %s", why);
		snprintf(f->why, sizeof(f->why), "table inet xmesh: %s", why);
		goto out;
	}
	xmd_debug("filter: table inet xmesh installed, %u rules, %zu nodes",
		  f->rules.n_rules, n_nodes);
	free(f->nft_nodes);
	free(f->nft_prefixes);
	f->nft_nodes = nodes;
	f->nft_prefixes = prefixes;
	f->n_nft_nodes = n_nodes;
	f->n_nft_prefixes = n_prefixes;
	return 0;
out:
	free(nodes);
	free(prefixes);
	return err;
}

int xmd_filter_sync(struct xmd_filter *f, const struct xm_core *core,
		    struct xmnl *nl, const struct xmd_filter_dev *dev)
{
	uint32_t ifindex = dev->ifindex;
	struct xm_change *ch = NULL;
	struct xm_node *want;
	size_t n_want, n;
	int err;

	f->why[0] = '\0';
	if (!f->settings_done) {
		err = settings_sync(f, nl, ifindex);
		if (err) {
			snprintf(f->why, sizeof(f->why), "zone settings: %s",
				 strerror(-err));
			return err;
		}
		f->settings_done = true;
	}
	if (!f->installed_ok && (err = installed_load(f, nl, ifindex)))
		return err;
	err = xmd_filter_nodes(f, core, &want, &n_want);
	if (err)
		return err;
	err = xmd_filter_node_diff(want, n_want, f->installed, f->n_installed,
				   ifindex, &ch, &n);
	if (!err && n) {
		err = xmnl_apply(nl, ch, n, XM_APPLY_MERGED, change_failed, f);
		xmd_debug("zones: %zu node table change%s%s", n,
			  n == 1 ? "" : "s", err ? ", some refused" : "");
	}
	free(ch);
	if (err) {
		snprintf(f->why, sizeof(f->why), "node table: %s",
			 strerror(-err));
		f->installed_ok = false;	/* read it again next time */
		free(want);
		return err;
	}
	free(f->installed);
	f->installed = want;
	f->n_installed = n_want;
	/* Rules in nftables only when the file has any (or denies). */
	if (!f->rules.n_rules && f->rules.policy == XMESH_ZONE_ALLOW)
		return 0;
	return nft_sync(f, dev);
}

/* Whether f puts rules in nftables (else the table is left out). */
static bool has_table(const struct xmd_filter *f)
{
	return f && (f->rules.n_rules || f->rules.policy != XMESH_ZONE_ALLOW);
}

/* f whole into the kernel (NULL: none), why in f's or err. */
static int put(struct xmd_filter *f, const struct xm_core *core,
	       struct xmnl *nl, const struct xmd_filter_dev *dev, char *err,
	       size_t len)
{
	struct xmd_filter *none = NULL;
	struct xm_nft_batch b;
	char why[256];
	int ret;

	if (!f) {
		/* No pairs, default allow, no mark: a site without zones. */
		none = xmd_filter_parse_text("mark-mask 0\n", err, len);
		if (!none)
			return -ENOMEM;
		f = none;
	}
	f->settings_done = false;
	f->installed_ok = false;
	f->nft_ok = false;
	ret = xmd_filter_sync(f, core, nl, dev);
	if (ret)
		snprintf(err, len, "%s", f->why[0] ? f->why : strerror(-ret));
	if (!ret && !has_table(f)) {
		snprintf(why, sizeof(why), "out of memory");
		ret = xm_nft_build_delete(1, &b);
		if (!ret) {
			ret = xm_nft_commit(&b, why, sizeof(why));
			xm_nft_batch_free(&b);
		}
		if (ret)
			snprintf(err, len, "table inet xmesh: %s", why);
	}
	xmd_filter_free(none);
	return ret;
}

int xmd_filter_install(struct xmd_filter *cur, struct xmd_filter *next,
		       const struct xm_core *core, struct xmnl *nl,
		       const struct xmd_filter_dev *dev, char *err,
		       size_t len)
{
	char again[256];
	int ret;

	err[0] = '\0';
	if (!dev) {
		if (next) {
			next->settings_done = false;
			next->installed_ok = false;
		}
		return 0;
	}
	ret = put(next, core, nl, dev, err, len);
	if (!ret)
		return 0;
	if (put(cur, core, nl, dev, again, sizeof(again)))
		xmd_warn("filter: the one in use could not be put back either: %s",
			 again);
	return ret;
}
