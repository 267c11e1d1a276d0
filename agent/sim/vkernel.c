// SPDX-License-Identifier: GPL-2.0
/* A node's kernel tables, changed as the module changes them (vkernel.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vkernel.h"
#include "mcast.h"
#include "xmesh_parse.h"

void xm_vkernel_init(struct xm_vkernel *k, uint32_t node_id)
{
	memset(k, 0, sizeof(*k));
	k->node_id = node_id;
}

void xm_vkernel_free(struct xm_vkernel *k)
{
	xm_fib_free(&k->t);
	k->cap_neighs = k->cap_routes = k->cap_prefixes = k->cap_mroutes = 0;
}

/* Where id is, or would go, in the sorted neighbors. */
static size_t neigh_lb(const struct xm_fib *t, uint32_t id)
{
	return xm_lower_bound_u32(t->neighs, t->n_neighs, sizeof(*t->neighs),
				  offsetof(struct xm_fib_neigh, id), id);
}

/* Routes are keyed by (dst, class), as the module's (0: the default). */
static size_t route_lb(const struct xm_fib *t, uint32_t dst, uint8_t tclass)
{
	struct xm_fib_route key = { .dst = dst, .tclass = tclass };
	size_t lo = 0, hi = t->n_routes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (xm_fib_route_cmp(&t->routes[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint8_t route_tclass(const struct xm_route *r)
{
	return XM_HAS(r, XMESH_ROUTE_A_TCLASS) ? r->tclass : 0;
}

static long neigh_index(const struct xm_vkernel *k, uint32_t id)
{
	size_t i = neigh_lb(&k->t, id);

	return i < k->t.n_neighs && k->t.neighs[i].id == id ? (long)i : -1;
}

static long route_index(const struct xm_vkernel *k, uint32_t dst,
			uint8_t tclass)
{
	size_t i = route_lb(&k->t, dst, tclass);

	return i < k->t.n_routes && k->t.routes[i].dst == dst &&
	       k->t.routes[i].tclass == tclass ? (long)i : -1;
}

/* Where the prefix of p is, or would go, in the sorted prefixes. */
static size_t prefix_lb(const struct xm_fib *t, const struct xm_prefix *p)
{
	struct xm_fib_prefix key = {
		.prefix = { .addr = p->addr, .len = p->len },
	};
	size_t lo = 0, hi = t->n_prefixes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (xm_fib_prefix_cmp(&t->prefixes[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static long prefix_index(const struct xm_vkernel *k, const struct xm_prefix *p)
{
	struct xm_fib_prefix key = {
		.prefix = { .addr = p->addr, .len = p->len },
	};
	size_t i = prefix_lb(&k->t, p);

	return i < k->t.n_prefixes &&
	       !xm_fib_prefix_cmp(&k->t.prefixes[i], &key) ? (long)i : -1;
}

const struct xm_fib_neigh *xm_vkernel_neigh(const struct xm_vkernel *k,
					    uint32_t id)
{
	long i = neigh_index(k, id);

	return i < 0 ? NULL : &k->t.neighs[i];
}

const struct xm_fib_route *xm_vkernel_route(const struct xm_vkernel *k,
					    uint32_t dst)
{
	return xm_vkernel_class_route(k, dst, 0);
}

const struct xm_fib_route *xm_vkernel_class_route(const struct xm_vkernel *k,
						  uint32_t dst, uint8_t tclass)
{
	long i = route_index(k, dst, tclass);

	return i < 0 ? NULL : &k->t.routes[i];
}

bool xm_vkernel_neigh_state(struct xm_vkernel *k, uint32_t id, bool up)
{
	long i = neigh_index(k, id);

	if (i < 0)
		return false;
	k->t.neighs[i].up = up;
	return true;
}

static bool same_key(const struct xm_fib_neigh *a, const struct xm_neigh *b)
{
	return a->ifindex == b->link && xm_addr_eq(&a->remote, &b->remote);
}

static int refuse(struct xm_vkernel *k, struct xm_change *c, int err,
		  const char *what)
{
	k->last_err = err;
	snprintf(k->last_error, sizeof(k->last_error),
		 "cmd %u: %s", c->cmd, what);
	c->err = err;
	return err;
}

/* The multicast route of (root, group) of e, or -1. */
static long mroute_index(const struct xm_vkernel *k,
			 const struct xm_mroute *e)
{
	size_t i;

	for (i = 0; i < k->t.n_mroutes; i++)
		if (k->t.mroutes[i].root == e->root &&
		    xm_addr_eq(&k->t.mroutes[i].group, &e->group))
			return (long)i;
	return -1;
}

/* Check c[0..n), one message, against the tables before it. */
static int check_run(struct xm_vkernel *k, struct xm_change *c, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct xm_entry *e = &c[i].e;

		switch (c[i].cmd) {
		case XMESH_CMD_NEIGH_NEW: {
			const struct xm_neigh *x = &e->neigh;
			size_t h;

			if (!XM_HAS(x, XMESH_NEIGH_A_ID) || !x->id ||
			    !XM_HAS(x, XMESH_NEIGH_A_NODE) ||
			    !XM_HAS(x, XMESH_NEIGH_A_LINK) ||
			    !XM_HAS(x, XMESH_NEIGH_A_REMOTE))
				return refuse(k, &c[i], -EINVAL,
					      "neighbor incomplete");
			if (neigh_index(k, x->id) >= 0 && !c[i].replace)
				return refuse(k, &c[i], -EEXIST,
					      "neighbor exists");
			for (h = 0; h < k->t.n_neighs; h++)
				if (k->t.neighs[h].id != x->id &&
				    same_key(&k->t.neighs[h], x))
					return refuse(k, &c[i], -EEXIST,
						      "neighbor has that address on that link");
			for (j = 0; j < i; j++)
				if (c[j].e.neigh.id == x->id ||
				    (c[j].e.neigh.link == x->link &&
				     xm_addr_eq(&c[j].e.neigh.remote,
						&x->remote)))
					return refuse(k, &c[i], -EINVAL,
						      "the same neighbor twice");
			break;
		}
		case XMESH_CMD_NEIGH_SET:
			if (e->neigh.present != (XM_BIT(XMESH_NEIGH_A_ID) |
						 XM_BIT(XMESH_NEIGH_A_STATE)))
				return refuse(k, &c[i], -EOPNOTSUPP,
					      "only the state can be set");
			/* fall through */
		case XMESH_CMD_NEIGH_DEL:
			if (neigh_index(k, e->neigh.id) < 0)
				return refuse(k, &c[i], -ENOENT,
					      "no such neighbor");
			break;
		case XMESH_CMD_ROUTE_NEW: {
			const struct xm_route *r = &e->route;
			unsigned int h, g;

			if (!r->n_nexthops || r->n_nexthops > XMESH_MAX_NEXTHOPS)
				return refuse(k, &c[i], -EINVAL,
					      "next hops: none or too many");
			if (r->dst == k->node_id)
				return refuse(k, &c[i], -EINVAL,
					      "a route to this node itself");
			if (route_index(k, r->dst, route_tclass(r)) >= 0 &&
			    !c[i].replace)
				return refuse(k, &c[i], -EEXIST, "route exists");
			for (h = 0; h < r->n_nexthops; h++) {
				if (neigh_index(k, r->nexthop[h].neigh) < 0)
					return refuse(k, &c[i], -ENOENT,
						      "route: no such neighbor");
				for (g = 0; g < h; g++)
					if (r->nexthop[g].neigh ==
					    r->nexthop[h].neigh)
						return refuse(k, &c[i], -EINVAL,
							      "the same neighbor twice in one route");
			}
			for (j = 0; j < i; j++)
				if (c[j].e.route.dst == r->dst &&
				    route_tclass(&c[j].e.route) ==
				    route_tclass(r))
					return refuse(k, &c[i], -EINVAL,
						      "the same route twice");
			break;
		}
		case XMESH_CMD_ROUTE_DEL:
			if (route_index(k, e->route.dst,
					route_tclass(&e->route)) < 0)
				return refuse(k, &c[i], -ENOENT, "no such route");
			break;
		case XMESH_CMD_PREFIX_NEW:
			if (prefix_index(k, &e->prefix) >= 0 && !c[i].replace)
				return refuse(k, &c[i], -EEXIST,
					      "prefix exists");
			for (j = 0; j < i; j++)
				if (xm_prefix_eq(&c[j].e.prefix.addr,
						 c[j].e.prefix.len,
						 &e->prefix.addr,
						 e->prefix.len))
					return refuse(k, &c[i], -EINVAL,
						      "the same prefix twice");
			break;
		case XMESH_CMD_PREFIX_DEL:
			if (prefix_index(k, &e->prefix) < 0)
				return refuse(k, &c[i], -ENOENT,
					      "no such prefix");
			break;
		case XMESH_CMD_MROUTE_NEW: {
			unsigned int h;

			if (mroute_index(k, &e->mroute) >= 0 && !c[i].replace)
				return refuse(k, &c[i], -EEXIST,
					      "multicast route exists");
			for (h = 0; h < e->mroute.n_neighs; h++)
				if (neigh_index(k, e->mroute.neigh[h]) < 0)
					return refuse(k, &c[i], -ENOENT,
						      "multicast route: no such neighbor");
			break;
		}
		case XMESH_CMD_MROUTE_DEL:
			if (mroute_index(k, &e->mroute) < 0)
				return refuse(k, &c[i], -ENOENT,
					      "no such multicast route");
			break;
		default:
			return refuse(k, &c[i], -EOPNOTSUPP, "unexpected");
		}
	}
	return 0;
}

/* Does k forward to neighbor id? */
static bool neigh_up(const struct xm_vkernel *k, uint32_t id)
{
	long i = neigh_index(k, id);

	return i >= 0 && k->t.neighs[i].up;
}

static int apply_one(struct xm_vkernel *k, const struct xm_change *c)
{
	struct xm_fib *t = &k->t;
	const struct xm_entry *e = &c->e;
	bool neigh = c->cmd == XMESH_CMD_NEIGH_NEW ||
		     c->cmd == XMESH_CMD_NEIGH_SET ||
		     c->cmd == XMESH_CMD_NEIGH_DEL;
	bool was_up = neigh && neigh_up(k, e->neigh.id);
	long i;

	k->fwd_changes += !neigh;

	switch (c->cmd) {
	case XMESH_CMD_NEIGH_NEW:
		i = neigh_index(k, e->neigh.id);
		if (i < 0) {
			if (xm_grow((void **)&t->neighs, &k->cap_neighs,
				    t->n_neighs + 1, sizeof(*t->neighs)))
				return -ENOMEM;
			i = (long)neigh_lb(t, e->neigh.id);
			memmove(&t->neighs[i + 1], &t->neighs[i],
				(t->n_neighs++ - i) * sizeof(*t->neighs));
		}
		xm_fib_neigh_from_kernel(&e->neigh, &t->neighs[i]);
		break;
	case XMESH_CMD_NEIGH_SET:
		t->neighs[neigh_index(k, e->neigh.id)].up =
			e->neigh.state == XMESH_NEIGH_UP;
		break;
	case XMESH_CMD_NEIGH_DEL:
		i = neigh_index(k, e->neigh.id);
		memmove(&t->neighs[i], &t->neighs[i + 1],
			(t->n_neighs - i - 1) * sizeof(*t->neighs));
		t->n_neighs--;
		break;
	case XMESH_CMD_ROUTE_NEW:
		i = route_index(k, e->route.dst, route_tclass(&e->route));
		if (i < 0) {
			if (xm_grow((void **)&t->routes, &k->cap_routes,
				    t->n_routes + 1, sizeof(*t->routes)))
				return -ENOMEM;
			i = (long)route_lb(t, e->route.dst,
					   route_tclass(&e->route));
			memmove(&t->routes[i + 1], &t->routes[i],
				(t->n_routes++ - i) * sizeof(*t->routes));
		}
		xm_fib_route_from_kernel(&e->route, &t->routes[i]);
		break;
	case XMESH_CMD_ROUTE_DEL:
		i = route_index(k, e->route.dst, route_tclass(&e->route));
		memmove(&t->routes[i], &t->routes[i + 1],
			(t->n_routes - i - 1) * sizeof(*t->routes));
		t->n_routes--;
		break;
	case XMESH_CMD_PREFIX_NEW:
		i = prefix_index(k, &e->prefix);
		if (i < 0) {
			if (xm_grow((void **)&t->prefixes, &k->cap_prefixes,
				    t->n_prefixes + 1, sizeof(*t->prefixes)))
				return -ENOMEM;
			i = (long)prefix_lb(t, &e->prefix);
			memmove(&t->prefixes[i + 1], &t->prefixes[i],
				(t->n_prefixes++ - i) * sizeof(*t->prefixes));
		}
		t->prefixes[i].prefix.addr = e->prefix.addr;
		t->prefixes[i].prefix.len = e->prefix.len;
		t->prefixes[i].node = e->prefix.node;
		break;
	case XMESH_CMD_PREFIX_DEL:
		i = prefix_index(k, &e->prefix);
		memmove(&t->prefixes[i], &t->prefixes[i + 1],
			(t->n_prefixes - i - 1) * sizeof(*t->prefixes));
		t->n_prefixes--;
		break;
	case XMESH_CMD_MROUTE_NEW: {
		struct xm_fib_mroute *m;

		i = mroute_index(k, &e->mroute);
		if (i < 0) {
			if (xm_grow((void **)&t->mroutes, &k->cap_mroutes,
				    t->n_mroutes + 1, sizeof(*t->mroutes)))
				return -ENOMEM;
			i = (long)t->n_mroutes++;
		}
		m = &t->mroutes[i];
		memset(m, 0, sizeof(*m));
		m->root = e->mroute.root;
		m->group = e->mroute.group;
		m->local = e->mroute.local;
		m->upstream = e->mroute.upstream;
		m->shared_root = e->mroute.shared_root;
		m->n_neighs = e->mroute.n_neighs;
		memcpy(m->neigh, e->mroute.neigh,
		       m->n_neighs * sizeof(m->neigh[0]));
		xm_mroutes_sort(t);
		break;
	}
	case XMESH_CMD_MROUTE_DEL:
		i = mroute_index(k, &e->mroute);
		memmove(&t->mroutes[i], &t->mroutes[i + 1],
			(t->n_mroutes - i - 1) * sizeof(*t->mroutes));
		t->n_mroutes--;
		break;
	}
	if (neigh)
		k->fwd_changes += was_up != neigh_up(k, e->neigh.id);
	return 0;
}

static bool any_dangling(const struct xm_vkernel *k)
{
	size_t i;
	unsigned int h;

	for (i = 0; i < k->t.n_routes; i++)
		for (h = 0; h < k->t.routes[i].n_nexthops; h++)
			if (neigh_index(k, k->t.routes[i].nexthop[h].neigh) < 0)
				return true;
	return false;
}

int xm_vkernel_apply(struct xm_vkernel *k, struct xm_change *c, size_t n)
{
	size_t i = 0, j, run;
	int first = 0, err;

	while (i < n) {
		for (run = 1; i + run < n && c[i + run].cmd == c[i].cmd &&
			      c[i + run].replace == c[i].replace; run++)
			;
		err = check_run(k, c + i, run);
		for (j = 0; !err && j < run; j++)
			err = apply_one(k, &c[i + j]);
		for (j = 0; j < run; j++)
			c[i + j].err = err ? (c[i + j].err ? c[i + j].err :
					      XM_NOT_SENT) : 0;
		if (err) {
			k->refused++;
			if (!first)
				first = err;
		} else {
			k->messages++;
			k->changes += run;
			if (any_dangling(k))
				k->dangling++;
		}
		i += run;
	}
	return first;
}

int xm_vkernel_sync(struct xm_vkernel *k, const struct xm_fib *want)
{
	struct xm_change *c = NULL;
	size_t n = 0;
	int err;

	err = xm_fib_diff(want, &k->t, 0, &c, &n);
	if (!err)
		err = xm_vkernel_apply(k, c, n);
	free(c);
	return err;
}

int xm_vkernel_dump(const struct xm_vkernel *k, struct xm_entry **out,
		    size_t *n)
{
	const struct xm_fib *t = &k->t;
	struct xm_entry *e;
	size_t i, m = 0;
	unsigned int h;

	e = calloc(t->n_neighs + t->n_routes + t->n_prefixes + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < t->n_neighs; i++, m++) {
		struct xm_neigh *x = &e[m].neigh;
		const struct xm_fib_neigh *f = &t->neighs[i];

		e[m].type = XMESH_A_NEIGH;
		x->present = XM_BIT(XMESH_NEIGH_A_ID) |
			     XM_BIT(XMESH_NEIGH_A_NODE) |
			     XM_BIT(XMESH_NEIGH_A_LINK) |
			     XM_BIT(XMESH_NEIGH_A_REMOTE) |
			     XM_BIT(XMESH_NEIGH_A_PORT) |
			     XM_BIT(XMESH_NEIGH_A_STATE) |
			     XM_BIT(XMESH_NEIGH_A_CARRIER) |
			     XM_BIT(XMESH_NEIGH_A_MTU);
		x->id = f->id;
		x->node = f->node;
		x->link = f->ifindex;
		x->remote = f->remote;
		if (f->local.family) {
			x->local = f->local;
			XM_SET(x, XMESH_NEIGH_A_LOCAL);
		}
		x->port = f->port;
		x->state = f->up ? XMESH_NEIGH_UP : XMESH_NEIGH_DOWN;
		x->carrier = 1;		/* read-only, as the module reports */
		x->mtu = 1450;
		x->tx_packets = 12345;
	}
	for (i = 0; i < t->n_routes; i++, m++) {
		struct xm_route *x = &e[m].route;
		const struct xm_fib_route *f = &t->routes[i];

		e[m].type = XMESH_A_ROUTE;
		x->present = XM_BIT(XMESH_ROUTE_A_DST) |
			     XM_BIT(XMESH_ROUTE_A_NEXTHOP);
		x->dst = f->dst;
		if (f->tclass) {
			x->tclass = f->tclass;
			x->present |= XM_BIT(XMESH_ROUTE_A_TCLASS);
		}
		x->n_nexthops = f->n_nexthops;
		for (h = 0; h < f->n_nexthops; h++) {
			x->nexthop[h].present = XM_BIT(XMESH_NEXTHOP_A_NEIGH) |
						XM_BIT(XMESH_NEXTHOP_A_PRIORITY) |
						XM_BIT(XMESH_NEXTHOP_A_ACTIVE);
			x->nexthop[h].neigh = f->nexthop[h].neigh;
			x->nexthop[h].priority = f->nexthop[h].priority;
			x->nexthop[h].active = h == 0;
		}
	}
	for (i = 0; i < t->n_prefixes; i++, m++) {
		struct xm_prefix *x = &e[m].prefix;

		e[m].type = XMESH_A_PREFIX;
		x->present = XM_BIT(XMESH_PREFIX_A_FAMILY) |
			     XM_BIT(XMESH_PREFIX_A_ADDR) |
			     XM_BIT(XMESH_PREFIX_A_LEN) |
			     XM_BIT(XMESH_PREFIX_A_NODE);
		x->addr = t->prefixes[i].prefix.addr;
		x->len = t->prefixes[i].prefix.len;
		x->node = t->prefixes[i].node;
	}
	*out = e;
	*n = m;
	return 0;
}
