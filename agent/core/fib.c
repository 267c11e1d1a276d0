// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel tables the core wants against those the kernel has: one
 * list of changes, ordered so that no route ever names a missing
 * neighbor (fib.h).
 *
 * Neighbors whose (link, remote address) another neighbor id still holds
 * in the kernel would be refused (-EEXIST: the kernel keys received
 * frames by it), so the holder goes first, before the routes move over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fib.h"
#include "mcast.h"
#include "xmesh_parse.h"

/* ---- comparisons ---- */

static bool addr_unset(const struct xm_addr *a)
{
	size_t i, len = xm_addr_len(a->family);

	for (i = 0; i < len; i++)
		if (a->raw[i])
			return false;
	return true;	/* no family, or the any address: the kernel omits it */
}

static int addr_cmp(const struct xm_addr *a, const struct xm_addr *b)
{
	bool ua = addr_unset(a), ub = addr_unset(b);

	if (ua || ub)
		return ub - ua;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->raw, b->raw, xm_addr_len(a->family));
}

static uint16_t neigh_port(const struct xm_fib_neigh *n)
{
	return n->port ? n->port : XMESH_DEFAULT_PORT;
}

/* The kernel's key of received frames: remote address on a link. */
static int neigh_key_cmp(const struct xm_fib_neigh *a,
			 const struct xm_fib_neigh *b)
{
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return addr_cmp(&a->remote, &b->remote);
}

/* Equal apart from the state. */
static bool neigh_same(const struct xm_fib_neigh *a,
		       const struct xm_fib_neigh *b)
{
	return a->id == b->id && a->node == b->node &&
	       !neigh_key_cmp(a, b) && !addr_cmp(&a->local, &b->local) &&
	       neigh_port(a) == neigh_port(b);
}

static int nexthop_cmp(const void *a, const void *b)
{
	const struct xm_fib_nexthop *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->neigh < y->neigh ? -1 : x->neigh > y->neigh;
}

/* Next hops in a canonical order: the kernel's may differ. */
static void route_canon(const struct xm_fib_route *r, struct xm_fib_route *c)
{
	*c = *r;
	if (c->n_nexthops > XMESH_MAX_NEXTHOPS)
		c->n_nexthops = XMESH_MAX_NEXTHOPS;
	qsort(c->nexthop, c->n_nexthops, sizeof(c->nexthop[0]), nexthop_cmp);
}

static bool route_same(const struct xm_fib_route *a,
		       const struct xm_fib_route *b)
{
	struct xm_fib_route x, y;
	unsigned int i;

	route_canon(a, &x);
	route_canon(b, &y);
	if (xm_fib_route_cmp(&x, &y) || x.n_nexthops != y.n_nexthops)
		return false;
	for (i = 0; i < x.n_nexthops; i++)
		if (nexthop_cmp(&x.nexthop[i], &y.nexthop[i]))
			return false;
	return true;
}

int xm_fib_prefix_cmp(const struct xm_fib_prefix *a,
		      const struct xm_fib_prefix *b)
{
	const struct xm_addr *x = &a->prefix.addr, *y = &b->prefix.addr;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->raw, y->raw, xm_addr_len(x->family));
	if (c)
		return c;
	return (a->prefix.len > b->prefix.len) - (a->prefix.len < b->prefix.len);
}

static int neigh_qcmp(const void *a, const void *b)
{
	const struct xm_fib_neigh *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int xm_fib_route_cmp(const struct xm_fib_route *x,
		     const struct xm_fib_route *y)
{
	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	return (x->tclass > y->tclass) - (x->tclass < y->tclass);
}

static int route_qcmp(const void *a, const void *b)
{
	return xm_fib_route_cmp(a, b);
}

static int prefix_qcmp(const void *a, const void *b)
{
	return xm_fib_prefix_cmp(a, b);
}

void xm_fib_sort(struct xm_fib *f)
{
	if (f->n_neighs)
		qsort(f->neighs, f->n_neighs, sizeof(*f->neighs), neigh_qcmp);
	if (f->n_routes)
		qsort(f->routes, f->n_routes, sizeof(*f->routes), route_qcmp);
	if (f->n_prefixes)
		qsort(f->prefixes, f->n_prefixes, sizeof(*f->prefixes),
		      prefix_qcmp);
	xm_mroutes_sort(f);
}

static const struct xm_fib_neigh *neigh_find(const struct xm_fib *f,
					     uint32_t id)
{
	struct xm_fib_neigh k = { .id = id };

	if (!f->n_neighs)
		return NULL;
	return bsearch(&k, f->neighs, f->n_neighs, sizeof(k), neigh_qcmp);
}

/* ---- changes ---- */

struct changes {
	struct xm_change *c;
	size_t n, cap;
	uint32_t ifindex;
};

static struct xm_change *change_add(struct changes *v, uint8_t cmd,
				    uint16_t type)
{
	struct xm_change *c;

	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;

		c = realloc(v->c, cap * sizeof(*c));
		if (!c)
			return NULL;
		v->c = c;
		v->cap = cap;
	}
	c = &v->c[v->n++];
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->replace = cmd == XMESH_CMD_NEIGH_NEW ||
		     cmd == XMESH_CMD_ROUTE_NEW ||
		     cmd == XMESH_CMD_PREFIX_NEW;
	c->ifindex = v->ifindex;
	c->e.type = type;
	return c;
}

static int neigh_change(struct changes *v, uint8_t cmd,
			const struct xm_fib_neigh *n)
{
	struct xm_change *c = change_add(v, cmd, XMESH_A_NEIGH);
	struct xm_neigh *k;

	if (!c)
		return -ENOMEM;
	k = &c->e.neigh;
	k->id = n->id;
	XM_SET(k, XMESH_NEIGH_A_ID);
	if (cmd == XMESH_CMD_NEIGH_DEL)
		return 0;
	k->state = n->up ? XMESH_NEIGH_UP : XMESH_NEIGH_DOWN;
	XM_SET(k, XMESH_NEIGH_A_STATE);
	if (cmd == XMESH_CMD_NEIGH_SET)
		return 0;
	k->node = n->node;
	k->link = n->ifindex;
	k->remote = n->remote;
	k->port = neigh_port(n);
	XM_SET(k, XMESH_NEIGH_A_NODE);
	XM_SET(k, XMESH_NEIGH_A_LINK);
	XM_SET(k, XMESH_NEIGH_A_REMOTE);
	XM_SET(k, XMESH_NEIGH_A_PORT);
	if (!addr_unset(&n->local)) {
		k->local = n->local;
		XM_SET(k, XMESH_NEIGH_A_LOCAL);
	}
	return 0;
}

static int route_change(struct changes *v, uint8_t cmd,
			const struct xm_fib_route *r)
{
	struct xm_change *c = change_add(v, cmd, XMESH_A_ROUTE);
	struct xm_route *k;
	unsigned int i;

	if (!c)
		return -ENOMEM;
	k = &c->e.route;
	k->dst = r->dst;
	XM_SET(k, XMESH_ROUTE_A_DST);
	if (r->tclass) {
		k->tclass = r->tclass;
		XM_SET(k, XMESH_ROUTE_A_TCLASS);
	}
	if (cmd == XMESH_CMD_ROUTE_DEL)
		return 0;
	XM_SET(k, XMESH_ROUTE_A_NEXTHOP);
	for (i = 0; i < r->n_nexthops; i++) {
		struct xm_nexthop *h = &k->nexthop[i];

		h->neigh = r->nexthop[i].neigh;
		h->priority = r->nexthop[i].priority;
		XM_SET(h, XMESH_NEXTHOP_A_NEIGH);
		XM_SET(h, XMESH_NEXTHOP_A_PRIORITY);
	}
	k->n_nexthops = r->n_nexthops;
	return 0;
}

static int prefix_change(struct changes *v, uint8_t cmd,
			 const struct xm_fib_prefix *p)
{
	struct xm_change *c = change_add(v, cmd, XMESH_A_PREFIX);
	struct xm_prefix *k;

	if (!c)
		return -ENOMEM;
	k = &c->e.prefix;
	k->addr = p->prefix.addr;
	k->len = p->prefix.len;
	XM_SET(k, XMESH_PREFIX_A_FAMILY);
	XM_SET(k, XMESH_PREFIX_A_ADDR);
	XM_SET(k, XMESH_PREFIX_A_LEN);
	if (cmd == XMESH_CMD_PREFIX_DEL)
		return 0;
	k->node = p->node;
	XM_SET(k, XMESH_PREFIX_A_NODE);
	return 0;
}

/* ---- the neighbor plan ---- */

enum neigh_op { N_KEEP, N_SET, N_NEW };

struct neigh_plan {
	uint8_t *want_op;		/* enum neigh_op, per want entry */
	bool *have_gone;		/* per have entry: deleted first */
};

static int key_qcmp(const void *a, const void *b)
{
	const struct xm_fib_neigh *const *x = a, *const *y = b;

	return neigh_key_cmp(*x, *y);
}

/*
 * want[i] takes a key some other id holds in the kernel: that one is
 * deleted first and, if still wanted, created again; which may free or
 * claim another key in turn, hence the work list.
 */
static int plan_clashes(const struct xm_fib *want, const struct xm_fib *have,
			struct neigh_plan *p)
{
	const struct xm_fib_neigh **by_key;
	size_t *work, n_work = 0, i;

	for (i = 0; i < want->n_neighs; i++)
		if (p->want_op[i] == N_NEW)
			break;
	if (i == want->n_neighs || !have->n_neighs)
		return 0;
	by_key = malloc(have->n_neighs * sizeof(*by_key));
	work = malloc(want->n_neighs * sizeof(*work));
	if (!by_key || !work) {
		free(by_key);
		free(work);
		return -ENOMEM;
	}
	for (i = 0; i < have->n_neighs; i++)
		by_key[i] = &have->neighs[i];
	qsort(by_key, have->n_neighs, sizeof(*by_key), key_qcmp);
	for (i = 0; i < want->n_neighs; i++)
		if (p->want_op[i] == N_NEW)
			work[n_work++] = i;
	while (n_work) {
		const struct xm_fib_neigh *w = &want->neighs[work[--n_work]];
		const struct xm_fib_neigh **h, *again;

		h = bsearch(&w, by_key, have->n_neighs, sizeof(*by_key),
			    key_qcmp);
		if (!h || (*h)->id == w->id)
			continue;
		i = (size_t)(*h - have->neighs);
		if (p->have_gone[i])
			continue;
		p->have_gone[i] = true;
		again = neigh_find(want, (*h)->id);
		if (again && p->want_op[again - want->neighs] != N_NEW) {
			p->want_op[again - want->neighs] = N_NEW;
			work[n_work++] = (size_t)(again - want->neighs);
		}
	}
	free(by_key);
	free(work);
	return 0;
}

static int plan_neighs(const struct xm_fib *want, const struct xm_fib *have,
		       struct neigh_plan *p)
{
	size_t i;

	p->want_op = calloc(want->n_neighs + 1, sizeof(*p->want_op));
	p->have_gone = calloc(have->n_neighs + 1, sizeof(*p->have_gone));
	if (!p->want_op || !p->have_gone)
		return -ENOMEM;
	for (i = 0; i < want->n_neighs; i++) {
		const struct xm_fib_neigh *w = &want->neighs[i];
		const struct xm_fib_neigh *h = neigh_find(have, w->id);

		if (!h || !neigh_same(w, h))
			p->want_op[i] = N_NEW;
		else if (w->up != h->up)
			p->want_op[i] = N_SET;
	}
	return plan_clashes(want, have, p);
}

/* ---- the diff ---- */

/* want's route with only the next hops whose neighbor want has. */
static bool route_wanted(const struct xm_fib *want,
			 const struct xm_fib_route *r, struct xm_fib_route *out)
{
	unsigned int i;

	out->dst = r->dst;
	out->tclass = r->tclass;
	out->n_nexthops = 0;
	for (i = 0; i < r->n_nexthops && i < XMESH_MAX_NEXTHOPS; i++)
		if (neigh_find(want, r->nexthop[i].neigh))
			out->nexthop[out->n_nexthops++] = r->nexthop[i];
	return out->n_nexthops > 0;
}

static int diff_routes(const struct xm_fib *want, const struct xm_fib *have,
		       struct changes *v, bool deletes)
{
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < want->n_routes || j < have->n_routes)) {
		const struct xm_fib_route *w = i < want->n_routes ?
					       &want->routes[i] : NULL;
		const struct xm_fib_route *h = j < have->n_routes ?
					       &have->routes[j] : NULL;
		int cmp = !w ? 1 : !h ? -1 : xm_fib_route_cmp(w, h);
		struct xm_fib_route r;
		bool wanted;

		if (cmp <= 0) {
			wanted = route_wanted(want, w, &r);
			i++;
			if (!cmp) {
				j++;
				if (!wanted && deletes)
					err = route_change(v,
							   XMESH_CMD_ROUTE_DEL,
							   h);
				else if (wanted && !deletes &&
					 !route_same(&r, h))
					err = route_change(v,
							   XMESH_CMD_ROUTE_NEW,
							   &r);
			} else if (wanted && !deletes) {
				err = route_change(v, XMESH_CMD_ROUTE_NEW, &r);
			}
		} else {
			j++;
			if (deletes)
				err = route_change(v, XMESH_CMD_ROUTE_DEL, h);
		}
	}
	return err;
}

static int diff_prefixes(const struct xm_fib *want,
			 const struct xm_fib *have, struct changes *v,
			 bool deletes)
{
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < want->n_prefixes || j < have->n_prefixes)) {
		const struct xm_fib_prefix *w = i < want->n_prefixes ?
						&want->prefixes[i] : NULL;
		const struct xm_fib_prefix *h = j < have->n_prefixes ?
						&have->prefixes[j] : NULL;
		int c = !w ? 1 : !h ? -1 : xm_fib_prefix_cmp(w, h);

		if (c < 0) {
			i++;
			if (!deletes)
				err = prefix_change(v, XMESH_CMD_PREFIX_NEW, w);
		} else if (c > 0) {
			j++;
			if (deletes)
				err = prefix_change(v, XMESH_CMD_PREFIX_DEL, h);
		} else {
			i++;
			j++;
			if (!deletes && w->node != h->node)
				err = prefix_change(v, XMESH_CMD_PREFIX_NEW, w);
		}
	}
	return err;
}

static int emit_neighs(const struct xm_fib *want, const struct xm_fib *have,
		       const struct neigh_plan *p, struct changes *v)
{
	size_t i;
	int err = 0;

	/* Key holders first; then urgent state changes; then the rest. */
	for (i = 0; !err && i < have->n_neighs; i++)
		if (p->have_gone[i])
			err = neigh_change(v, XMESH_CMD_NEIGH_DEL,
					   &have->neighs[i]);
	for (i = 0; !err && i < want->n_neighs; i++)
		if (p->want_op[i] == N_SET)
			err = neigh_change(v, XMESH_CMD_NEIGH_SET,
					   &want->neighs[i]);
	for (i = 0; !err && i < want->n_neighs; i++)
		if (p->want_op[i] == N_NEW)
			err = neigh_change(v, XMESH_CMD_NEIGH_NEW,
					   &want->neighs[i]);
	return err;
}

static int delete_neighs(const struct xm_fib *want, const struct xm_fib *have,
			 const struct neigh_plan *p, struct changes *v)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < have->n_neighs; i++)
		if (!p->have_gone[i] && !neigh_find(want, have->neighs[i].id))
			err = neigh_change(v, XMESH_CMD_NEIGH_DEL,
					   &have->neighs[i]);
	return err;
}

int xm_fib_diff(const struct xm_fib *want, const struct xm_fib *have,
		uint32_t ifindex, struct xm_change **out, size_t *n)
{
	struct changes v = { .ifindex = ifindex };
	struct neigh_plan p = { 0 };
	struct xm_change *all;
	int err;

	err = plan_neighs(want, have, &p);
	if (!err)
		err = emit_neighs(want, have, &p, &v);
	if (!err)
		err = diff_routes(want, have, &v, false);
	if (!err)
		err = diff_prefixes(want, have, &v, false);
	if (!err)
		err = diff_prefixes(want, have, &v, true);
	if (!err)
		err = diff_routes(want, have, &v, true);
	if (!err)
		err = delete_neighs(want, have, &p, &v);
	free(p.want_op);
	free(p.have_gone);
	if (!err && v.n) {
		all = realloc(*out, (*n + v.n) * sizeof(**out));
		if (!all) {
			err = -ENOMEM;
		} else {
			memcpy(all + *n, v.c, v.n * sizeof(*v.c));
			*out = all;
			*n += v.n;
		}
	}
	free(v.c);
	return err ? err : xm_mroutes_diff(want, have, ifindex, out, n);
}

/* ---- from the kernel ---- */

void xm_fib_neigh_from_kernel(const struct xm_neigh *k,
			      struct xm_fib_neigh *n)
{
	memset(n, 0, sizeof(*n));
	n->id = k->id;
	n->node = k->node;
	n->ifindex = k->link;
	if (XM_HAS(k, XMESH_NEIGH_A_LOCAL))
		n->local = k->local;
	n->remote = k->remote;
	n->port = XM_HAS(k, XMESH_NEIGH_A_PORT) ? k->port : XMESH_DEFAULT_PORT;
	n->up = XM_HAS(k, XMESH_NEIGH_A_STATE) && k->state == XMESH_NEIGH_UP;
}

void xm_fib_route_from_kernel(const struct xm_route *k,
			      struct xm_fib_route *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->dst = k->dst;
	r->tclass = XM_HAS(k, XMESH_ROUTE_A_TCLASS) ? k->tclass : 0;
	for (i = 0; i < k->n_nexthops && i < XMESH_MAX_NEXTHOPS; i++) {
		r->nexthop[i].neigh = k->nexthop[i].neigh;
		r->nexthop[i].priority = k->nexthop[i].priority;
	}
	r->n_nexthops = i;
}

int xm_fib_from_kernel(const struct xm_entry *e, size_t n, struct xm_fib *out)
{
	size_t i, nn = 0, nr = 0, np = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		nn += e[i].type == XMESH_A_NEIGH;
		nr += e[i].type == XMESH_A_ROUTE;
		np += e[i].type == XMESH_A_PREFIX;
	}
	out->neighs = calloc(nn + 1, sizeof(*out->neighs));
	out->routes = calloc(nr + 1, sizeof(*out->routes));
	out->prefixes = calloc(np + 1, sizeof(*out->prefixes));
	if (!out->neighs || !out->routes || !out->prefixes ||
	    xm_mroutes_from_kernel(e, n, out)) {
		xm_fib_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		switch (e[i].type) {
		case XMESH_A_NEIGH:
			xm_fib_neigh_from_kernel(&e[i].neigh,
					  &out->neighs[out->n_neighs++]);
			break;
		case XMESH_A_ROUTE:
			xm_fib_route_from_kernel(&e[i].route,
					  &out->routes[out->n_routes++]);
			break;
		case XMESH_A_PREFIX: {
			struct xm_fib_prefix *p =
				&out->prefixes[out->n_prefixes++];

			p->prefix.addr = e[i].prefix.addr;
			p->prefix.len = e[i].prefix.len;
			p->node = e[i].prefix.node;
			break;
		}
		}
	}
	xm_fib_sort(out);
	return 0;
}

void xm_fib_free(struct xm_fib *f)
{
	free(f->neighs);
	free(f->routes);
	free(f->prefixes);
	free(f->mroutes);
	memset(f, 0, sizeof(*f));
}
