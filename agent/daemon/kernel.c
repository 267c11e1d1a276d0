// SPDX-License-Identifier: GPL-2.0
#include "kernel.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mcast.h"
#include "log.h"
#include "util.h"
#include "xmesh_names.h"

int xmd_kernel_open(struct xmd_kernel *k, uint32_t ifindex, uint32_t self,
		    uint16_t ident, struct xmd_stats *stats)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->self = self;
	k->ident = ident;
	k->stats = stats;
	k->stale_at = XM_NEVER;
	err = xmnl_open(&k->nl);
	if (err)
		goto fail;
	k->nl_open = true;
	err = xmnl_open(&k->probe);
	if (err)
		goto fail;
	k->probe_open = true;
	err = xmnl_open(&k->oam);
	if (err)
		goto fail;
	k->oam_open = true;
	err = xmnl_join(&k->oam, XMESH_MCGRP_OAM);
	if (err)
		goto fail;
	err = xmrt_open(&k->rt);
	if (err)
		goto fail;
	k->rt_open = true;
	err = nlc_batch_init(&k->probes, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	if (err)
		goto fail;
	return 0;
fail:
	xmd_kernel_close(k);
	return err;
}

void xmd_kernel_close(struct xmd_kernel *k)
{
	if (k->nl_open)
		xmnl_close(&k->nl);
	if (k->probe_open)
		xmnl_close(&k->probe);
	if (k->oam_open)
		xmnl_close(&k->oam);
	if (k->rt_open)
		xmrt_close(&k->rt);
	k->nl_open = k->probe_open = k->oam_open = k->rt_open = false;
	nlc_batch_free(&k->probes);
	xm_fib_free(&k->have);
	free(k->routes);
	k->routes = NULL;
	free(k->key_ops);
	k->key_ops = NULL;
	k->n_key_ops = k->cap_key_ops = 0;
	free(k->stale);
	k->stale = NULL;
	k->n_stale = 0;
	k->n_routes = 0;
	k->have_ok = k->routes_ok = false;
}

static bool is_mroute_cmd(uint8_t cmd)
{
	return cmd == XMESH_CMD_MROUTE_GET || cmd == XMESH_CMD_MROUTE_NEW ||
	       cmd == XMESH_CMD_MROUTE_DEL;
}

/*
 * An older module, without multicast routes: a warning the first time;
 * from then on no multicast route is written (xmd_kernel_sync()).
 */
static void no_mroutes(struct xmd_kernel *k)
{
	k->stats->mroute_refusals++;
	if (k->no_mroutes)
		return;
	k->no_mroutes = true;
	xmd_warn("the xmesh module has no multicast routes (older than "
		 "multicast): multicast trees are not installed here; "
		 "upgrade the module");
}

/*
 * A module with multicast routes but older than their attributes that
 * this agent writes: its strict policy refuses them as unknown, every
 * time. Without them a tree would forward without its RPF check, or a
 * shared tree not at all: the same as no multicast routes, said once.
 */
static bool old_mroute_attrs(struct xmd_kernel *k, const struct nlc_error *e)
{
	if (e->err != -EINVAL || !strstr(e->msg, "Unknown attribute"))
		return false;
	k->stats->mroute_refusals++;
	if (!k->old_mroute_attrs)
		xmd_warn("the xmesh module refuses this agent's multicast "
			 "route attributes (%s: older than the agent): "
			 "multicast trees are not installed here; upgrade "
			 "the module", e->msg);
	k->old_mroute_attrs = true;
	return true;
}

static int load_tables(struct xmd_kernel *k)
{
	static const uint8_t cmds[] = { XMESH_CMD_NEIGH_GET,
					XMESH_CMD_ROUTE_GET,
					XMESH_CMD_PREFIX_GET,
					XMESH_CMD_MROUTE_GET };
	struct xm_list l = { 0 };
	struct nlc_error e;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(cmds) && !err; i++) {
		err = xmnl_dump(&k->nl, cmds[i], k->ifindex, NULL, &l, &e);
		/* A module older than multicast has no multicast routes. */
		if (err == -EOPNOTSUPP && cmds[i] == XMESH_CMD_MROUTE_GET) {
			no_mroutes(k);
			err = 0;
		} else if (!err && cmds[i] == XMESH_CMD_MROUTE_GET) {
			k->no_mroutes = false;	/* a module upgraded since */
		}
		if (err)
			xmd_warn("reading the kernel's %s table: %s",
				 xm_cmd_name(cmds[i]),
				 e.msg[0] ? e.msg : strerror(-err));
	}
	if (!err) {
		xm_fib_free(&k->have);
		err = xm_fib_from_kernel(l.v, l.n, &k->have);
	}
	xm_list_free(&l);
	k->have_ok = !err;
	k->stats->fib_dumps++;
	return err;
}

static int load_routes(struct xmd_kernel *k)
{
	struct xmrt_op *ops = NULL;
	size_t n = 0, i;
	int err = xmrt_list(&k->rt, k->ifindex, &ops, &n);

	if (err) {
		xmd_warn("reading the host routes: %s", strerror(-err));
		k->routes_ok = false;
		return err;
	}
	/* Listed as deletes: keep them as what is there. */
	for (i = 0; i < n; i++)
		ops[i].del = false;
	free(k->routes);
	k->routes = ops;
	k->n_routes = n;
	k->routes_ok = true;
	return 0;
}

int xmd_kernel_load(struct xmd_kernel *k)
{
	int err = load_tables(k), err2 = load_routes(k);

	return err ? err : err2;
}

int xmd_fib_copy(struct xm_fib *dst, const struct xm_fib *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->neighs = malloc((src->n_neighs + 1) * sizeof(*dst->neighs));
	dst->routes = malloc((src->n_routes + 1) * sizeof(*dst->routes));
	dst->prefixes = malloc((src->n_prefixes + 1) *
			       sizeof(*dst->prefixes));
	if (!dst->neighs || !dst->routes || !dst->prefixes ||
	    xm_mroutes_copy(dst, src)) {
		xm_fib_free(dst);
		return -ENOMEM;
	}
	if (src->n_neighs)
		memcpy(dst->neighs, src->neighs,
		       src->n_neighs * sizeof(*dst->neighs));
	if (src->n_routes)
		memcpy(dst->routes, src->routes,
		       src->n_routes * sizeof(*dst->routes));
	if (src->n_prefixes)
		memcpy(dst->prefixes, src->prefixes,
		       src->n_prefixes * sizeof(*dst->prefixes));
	dst->n_neighs = src->n_neighs;
	dst->n_routes = src->n_routes;
	dst->n_prefixes = src->n_prefixes;
	return 0;
}

static bool route_is(const struct xmrt_op *r, const struct xm_fib_prefix *p)
{
	return xm_prefix_eq(&r->dst, r->len, &p->prefix.addr, p->prefix.len);
}

int xmd_hostroutes_diff(const struct xm_fib *want, uint32_t self,
			uint32_t ifindex, const struct xmrt_op *have,
			size_t n_have, struct xmrt_op **ops, size_t *n)
{
	size_t i, j, cap = n_have + want->n_prefixes + 1;
	struct xmrt_op *v = calloc(cap, sizeof(*v));

	*ops = NULL;
	*n = 0;
	if (!v)
		return -ENOMEM;
	/* Quadratic, but the prefixes of one site are few. */
	for (i = 0; i < n_have; i++) {
		bool keep = false;

		for (j = 0; j < want->n_prefixes && !keep; j++)
			keep = want->prefixes[j].node != self &&
			       route_is(&have[i], &want->prefixes[j]);
		if (keep)
			continue;
		v[*n] = have[i];
		v[*n].del = true;
		v[*n].ifindex = ifindex;
		(*n)++;
	}
	for (j = 0; j < want->n_prefixes; j++) {
		const struct xm_fib_prefix *p = &want->prefixes[j];
		bool there = false;

		if (p->node == self)
			continue;	/* on a local interface: no route */
		for (i = 0; i < n_have && !there; i++)
			there = route_is(&have[i], p);
		if (there)
			continue;
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].ifindex = ifindex;
		v[*n].dst = p->prefix.addr;
		v[*n].len = p->prefix.len;
		(*n)++;
	}
	*ops = v;
	return 0;
}

static void change_failed(const struct xm_change *c, size_t count,
			  const struct nlc_error *e, void *data)
{
	struct xmd_kernel *k = data;
	const char *cmd = xm_cmd_name(c->cmd);

	if (is_mroute_cmd(c->cmd) && e->err == -EOPNOTSUPP) {
		no_mroutes(k);
		return;
	}
	if (is_mroute_cmd(c->cmd) && old_mroute_attrs(k, e))
		return;
	k->stats->fib_errors += count;
	xmd_warn("the kernel refused %s%s (%zu change%s): %s%s%s",
		 cmd ? cmd : "a change", c->replace ? " replace" : "", count,
		 count == 1 ? "" : "s", e->msg[0] ? e->msg : strerror(-e->err),
		 e->attr[0] ? ", at " : "", e->attr);
}

static void route_failed(const struct xmrt_op *op, const struct nlc_error *e,
			 void *data)
{
	struct xmd_kernel *k = data;
	char buf[XM_ADDRSTRLEN];

	k->stats->hostroute_errors++;
	xmd_warn("host route %s %s: %s", op->del ? "delete" : "add",
		 xm_prefix_str(&op->dst, op->len, buf, sizeof(buf)),
		 e->msg[0] ? e->msg : strerror(-e->err));
}

static int sync_routes(struct xmd_kernel *k, const struct xm_fib *want)
{
	struct xmrt_op *ops, *now;
	size_t n, i, n_now = 0;
	int err;

	if (!k->routes_ok && (err = load_routes(k)))
		return err;
	err = xmd_hostroutes_diff(want, k->self, k->ifindex, k->routes,
				  k->n_routes, &ops, &n);
	if (err)
		return err;
	if (!n) {
		free(ops);
		return 0;
	}
	err = xmrt_apply(&k->rt, ops, n, route_failed, k);
	for (i = 0; i < n; i++)
		k->stats->hostroute_changes += !ops[i].err;
	free(ops);
	if (err) {
		k->routes_ok = false;	/* read them again next time */
		return err;
	}
	/* Now the routes are exactly want's of other nodes. */
	now = calloc(want->n_prefixes + 1, sizeof(*now));
	if (!now) {
		k->routes_ok = false;
		return -ENOMEM;
	}
	for (i = 0; i < want->n_prefixes; i++) {
		if (want->prefixes[i].node == k->self)
			continue;
		now[n_now].ifindex = k->ifindex;
		now[n_now].dst = want->prefixes[i].prefix.addr;
		now[n_now].len = want->prefixes[i].prefix.len;
		n_now++;
	}
	free(k->routes);
	k->routes = now;
	k->n_routes = n_now;
	return 0;
}

/* Without multicast routes in the module: the changes but theirs. */
static size_t drop_mroute_changes(struct xm_change *ch, size_t n)
{
	size_t i, kept = 0;

	for (i = 0; i < n; i++)
		if (!is_mroute_cmd(ch[i].cmd))
			ch[kept++] = ch[i];
	return kept;
}

/* Whether every refused change was a multicast route the module lacks
 * (or whose attributes it lacks). */
static bool only_mroutes_refused(const struct xm_change *ch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ch[i].err &&
		    (!is_mroute_cmd(ch[i].cmd) ||
		     (ch[i].err != -EOPNOTSUPP && ch[i].err != -EINVAL &&
		      ch[i].err != XM_NOT_SENT)))
			return false;
	return true;
}

/*
 * Children of a tree past the kernel's branches per route are not
 * installed (the routes say how many): counted, and warned about when
 * their number grows.
 */
static void mroutes_cut_count(struct xmd_kernel *k, const struct xm_fib *want)
{
	uint64_t cut = 0, routes = 0;
	size_t i;

	for (i = 0; i < want->n_mroutes; i++) {
		cut += want->mroutes[i].n_cut;
		routes += !!want->mroutes[i].n_cut;
	}
	if (cut > k->stats->mroute_children_cut)
		xmd_warn("%llu tree children in %llu multicast route%s past "
			 "the kernel's %d branches: not reached through here",
			 (unsigned long long)cut, (unsigned long long)routes,
			 routes == 1 ? "" : "s", XMESH_MAX_MROUTE_NEIGHS);
	k->stats->mroute_children_cut = cut;
	k->stats->mroutes_cut = routes;
}

int xmd_kernel_sync(struct xmd_kernel *k, const struct xm_fib *want)
{
	bool old_attrs = k->old_mroute_attrs;
	struct xm_change *ch = NULL;
	struct xm_fib bare;
	size_t n = 0, i;
	int err, rerr;

	mroutes_cut_count(k, want);

	if (!k->have_ok && (err = load_tables(k)))
		return err;
	/* A module older than our multicast attributes: none of our trees,
	 * and those it has (a previous agent's, without the RPF check,
	 * frozen as the mesh moves) deleted: a delete names the key only. */
	if (old_attrs) {
		bare = *want;
		bare.mroutes = NULL;
		bare.n_mroutes = 0;
		want = &bare;
	}
	err = xm_fib_diff(want, &k->have, k->ifindex, &ch, &n);
	if (err) {
		free(ch);
		return err;
	}
	if (k->no_mroutes)
		n = drop_mroute_changes(ch, n);
	if (n) {
		err = xmnl_apply(&k->nl, ch, n, XM_APPLY_MERGED, change_failed,
				 k);
		/* The rest went in (one run per command): a sync as usual. */
		if (err && (k->no_mroutes || k->old_mroute_attrs) &&
		    only_mroutes_refused(ch, n))
			err = 0;
		for (i = 0; i < n; i++)
			k->stats->fib_changes += !ch[i].err;
		k->stats->fib_syncs++;
		xmd_debug("kernel tables: %zu change%s%s", n,
			  n == 1 ? "" : "s", err ? ", some refused" : "");
	}
	free(ch);
	if (err || old_attrs != k->old_mroute_attrs) {
		/* Part may be in: what is there is known only by reading
		 * (and the trees to delete, when the module was found old). */
		k->have_ok = false;
	} else if (n) {
		struct xm_fib copy;

		err = xmd_fib_copy(&copy, want);
		if (err) {
			k->have_ok = false;
		} else {
			xm_fib_free(&k->have);
			k->have = copy;
		}
	}
	rerr = sync_routes(k, want);
	return err ? err : rerr;
}

static int neigh_id_cmp(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct xm_fib_neigh *n = elem;

	return id < n->id ? -1 : id > n->id;
}

int xmd_kernel_neigh_down(struct xmd_kernel *k, uint32_t id)
{
	struct xm_change ch = { .cmd = XMESH_CMD_NEIGH_SET,
				.ifindex = k->ifindex };
	struct xm_fib_neigh *n;
	int err;

	ch.e.type = XMESH_A_NEIGH;
	ch.e.neigh.id = id;
	ch.e.neigh.state = XMESH_NEIGH_DOWN;
	XM_SET(&ch.e.neigh, XMESH_NEIGH_A_ID);
	XM_SET(&ch.e.neigh, XMESH_NEIGH_A_STATE);
	err = xmnl_apply(&k->nl, &ch, 1, XM_APPLY_STOP, change_failed, k);
	k->stats->neigh_down_sent++;
	if (err) {
		k->stats->neigh_down_errors++;
		k->have_ok = false;
		return err;
	}
	/* The diff must know: it brings the neighbor back up if wanted. */
	n = k->have_ok ? bsearch(&id, k->have.neighs, k->have.n_neighs,
				 sizeof(*n), neigh_id_cmp) : NULL;
	if (n)
		n->up = false;
	return 0;
}

bool xmd_kernel_has_neigh(const struct xmd_kernel *k, uint32_t id)
{
	return !k->have_ok ||
	       (k->have.n_neighs &&
		bsearch(&id, k->have.neighs, k->have.n_neighs,
			sizeof(*k->have.neighs), neigh_id_cmp));
}

int xmd_kernel_probe(struct xmd_kernel *k, uint32_t neigh, uint32_t seq)
{
	struct xm_entry e = { .type = XMESH_A_OAM };
	struct nlmsghdr *nlh;
	size_t room;

	/*
	 * Not installed yet (the core's tables are held after a start, or
	 * the sync is to come): the kernel would refuse it. The caller
	 * tells the core, which does not count it as lost.
	 */
	if (!xmd_kernel_has_neigh(k, neigh)) {
		k->stats->probes_deferred++;
		return -ENOENT;
	}

	e.oam.neigh = neigh;
	e.oam.seq = seq;
	e.oam.ident = k->ident;
	XM_SET(&e.oam, XMESH_OAM_A_NEIGH);
	XM_SET(&e.oam, XMESH_OAM_A_SEQ);
	XM_SET(&e.oam, XMESH_OAM_A_IDENT);
	for (;;) {
		/* No NLM_F_ACK: only a failure comes back. */
		nlh = xmnl_msg_start(&k->probes, k->probe.family,
				     XMESH_CMD_OAM_SEND, 0);
		if (nlh) {
			room = nlc_batch_room(&k->probes, nlh);
			if (!xm_devsel_put(nlh, room, k->ifindex, NULL) &&
			    !xm_entry_put(nlh, room, &e)) {
				nlc_batch_commit(&k->probes, nlh);
				return 0;
			}
			nlc_batch_cancel(&k->probes, nlh);
			if (!k->probes.n)
				return -EMSGSIZE;
		}
		/* Full: send what is queued, then this one. */
		xmd_kernel_probe_flush(k);
	}
}

void xmd_kernel_probe_flush(struct xmd_kernel *k)
{
	struct nlc_sock *s = &k->probe.sock;
	size_t i;
	ssize_t n;

	if (!k->probes.n)
		return;
	for (i = 0; i < k->probes.n; i++)
		nlc_batch_msg(&k->probes, i)->nlmsg_seq = s->seq++;
	n = send(nlc_fd(s), k->probes.buf, k->probes.len,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		k->stats->probe_errors += k->probes.n;
		xmd_debug("sending %zu link probes: %s", k->probes.n,
			  strerror(errno));
	} else {
		k->stats->probes_sent += k->probes.n;
	}
	nlc_batch_reset(&k->probes);
	/* The kernel handled them in send(): errors are waiting now. */
	xmd_kernel_probe_drain(k);
}

/*
 * The first refusal of each errno is a warning: an old module refuses every
 * probe (it has no link probes: -EINVAL on the neighbor attribute), and the
 * neighbors would sit in two-way for ever with nothing but debug lines to
 * say why. Later ones stay at debug level; all count in probe_errors.
 */
static void probe_refused(struct xmd_kernel *k, const struct nlc_error *e)
{
	unsigned int n = (unsigned int)-e->err;
	uint64_t bit = 1ULL << (n < 64 ? n : 0);
	const char *why = e->msg[0] ? e->msg : strerror(-e->err);

	k->stats->probe_errors++;
	if (k->probes_warned & bit) {
		xmd_debug("link probe refused: %s", why);
		return;
	}
	k->probes_warned |= bit;
	xmd_warn("the kernel refuses link probes: %s%s", why,
		 e->err == -EINVAL ?
		 " (is xmesh.ko older than xmeshd? Load the module built with it)" :
		 "");
}

void xmd_kernel_probe_drain(struct xmd_kernel *k)
{
	struct nlc_sock *s = &k->probe.sock;
	const struct nlmsghdr *nlh;
	struct nlc_error e;
	size_t left;
	ssize_t n;

	while ((n = recv(nlc_fd(s), s->rxbuf, s->rxlen, MSG_DONTWAIT)) > 0) {
		nlc_msg_for_each(nlh, s->rxbuf, (size_t)n, left) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlc_parse_error(nlh, &e) || !e.err)
				continue;
			probe_refused(k, &e);
		}
	}
}

bool xmd_kernel_probe_match(const struct xmd_kernel *k,
			    const struct xm_msg_info *info,
			    const struct xm_entry *e,
			    struct xmd_probe_reply *r)
{
	const struct xm_oam *o = &e->oam;
	uint64_t us;

	if (info->cmd != XMESH_CMD_OAM_EVENT || e->type != XMESH_A_OAM ||
	    (info->ifindex && info->ifindex != k->ifindex) ||
	    !XM_HAS(o, XMESH_OAM_A_OP) || o->op != XMESH_OAM_LINK_REPLY ||
	    !XM_HAS(o, XMESH_OAM_A_IDENT) || o->ident != k->ident ||
	    !XM_HAS(o, XMESH_OAM_A_NEIGH) || !XM_HAS(o, XMESH_OAM_A_SEQ) ||
	    !XM_HAS(o, XMESH_OAM_A_RTT_NS))
		return false;
	us = o->rtt_ns / 1000;
	r->neigh = o->neigh;
	r->seq = o->seq;
	r->rtt_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return true;
}

/* ---- keys ---- */

int xmd_kernel_key_queue(struct xmd_kernel *k, const struct xm_action *a)
{
	if (xm_grow((void **)&k->key_ops, &k->cap_key_ops, k->n_key_ops + 1,
		    sizeof(*k->key_ops)))
		return -ENOMEM;
	k->key_ops[k->n_key_ops++] = (struct xmd_key_op){
		.neigh = a->neigh, .origin = a->key_origin, .id = a->key_id,
		.dir = a->key_dir, .del = a->key_del,
	};
	return 0;
}

/* The attributes that name a key: (neigh or origin node, id, dir). */
static void key_name(struct xm_key *key, uint32_t owner, bool origin,
		     uint8_t id, uint8_t dir)
{
	if (origin) {
		key->node = owner;
		XM_SET(key, XMESH_KEY_A_NODE);
	} else {
		key->neigh = owner;
		XM_SET(key, XMESH_KEY_A_NEIGH);
	}
	key->id = id;
	key->dir = dir;
	XM_SET(key, XMESH_KEY_A_ID);
	XM_SET(key, XMESH_KEY_A_DIR);
}

/* One key op; the change (its bytes) lives in locked memory. */
static int key_apply(struct xmd_kernel *k, struct xm_core *core,
		     const struct xmd_key_op *op, struct xm_change *ch)
{
	struct xm_key *key = &ch->e.key;
	int err;

	memset(ch, 0, sizeof(*ch));
	ch->cmd = op->del ? XMESH_CMD_KEY_DEL : XMESH_CMD_KEY_NEW;
	ch->ifindex = k->ifindex;
	/* A restarted agent may find its old ids still there: replaced. */
	ch->replace = !op->del;
	ch->e.type = XMESH_A_KEY;
	key_name(key, op->neigh, op->origin, op->id, op->dir);
	XM_SET(key, XMESH_KEY_A_DIR);
	if (!op->del) {
		if (!xm_core_key_get(core, op->neigh, op->origin, op->id, op->dir,
				     key->key))
			return 0;	/* gone meanwhile: nothing to do */
		XM_SET(key, XMESH_KEY_A_KEY);
	}
	err = xmnl_apply(&k->nl, ch, 1, XM_APPLY_STOP, NULL, NULL);
	xm_key_wipe(key);
	if (op->del && err == -ENOENT)
		err = 0;	/* not there (its neighbor went): as wanted */
	return err;
}

/* op replaced a key found at start: that one is not stale any more. */
static void stale_replaced(struct xmd_kernel *k, const struct xmd_key_op *op)
{
	size_t i = k->n_stale;

	if (op->del)
		return;
	while (i--) {
		const struct xmd_stale_key *s = &k->stale[i];

		/* A transmit key replaces the neighbor's, whatever its id. */
		if (s->neigh == op->neigh && s->origin == op->origin &&
		    s->dir == op->dir &&
		    (op->dir == XMESH_KEY_TX || s->id == op->id))
			k->stale[i] = k->stale[--k->n_stale];
	}
}

static void stale_next(struct xmd_kernel *k)
{
	size_t i;

	k->stale_at = XM_NEVER;
	for (i = 0; i < k->n_stale; i++)
		if (k->stale[i].del_at < k->stale_at)
			k->stale_at = k->stale[i].del_at;
}

/* neigh's stale keys deleted at `at` at the latest. */
static void stale_due(struct xmd_kernel *k, uint32_t neigh, xm_time at)
{
	size_t i;

	for (i = 0; i < k->n_stale; i++)
		if (!k->stale[i].origin && k->stale[i].neigh == neigh &&
		    at < k->stale[i].del_at)
			k->stale[i].del_at = at;
	stale_next(k);
}

static int stale_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		    void *data)
{
	struct xmd_kernel *k = data;
	struct xmd_stale_key *s;

	(void)info;
	if (e->type != XMESH_A_KEY)
		return 0;
	s = realloc(k->stale, (k->n_stale + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	k->stale = s;
	k->stale[k->n_stale++] = (struct xmd_stale_key){
		.origin = XM_HAS(&e->key, XMESH_KEY_A_NODE),
		.neigh = XM_HAS(&e->key, XMESH_KEY_A_NODE) ? e->key.node :
			 e->key.neigh,
		.id = e->key.id, .dir = e->key.dir, .del_at = k->stale_at,
	};
	return 0;
}

int xmd_kernel_keys_load(struct xmd_kernel *k, xm_time now,
			 uint32_t delay_ms)
{
	struct nlc_error e;
	int err;

	k->n_stale = 0;
	k->stale_at = now + delay_ms;	/* each one's, as stale_cb reads it */
	err = xmnl_dump_cb(&k->nl, XMESH_CMD_KEY_GET, k->ifindex, NULL,
			   stale_cb, NULL, k, &e);
	stale_next(k);
	if (k->n_stale)
		xmd_info("%zu keys of a previous run: deleted in %u s unless replaced",
			 k->n_stale, delay_ms / 1000);
	return err;
}

/* Delete the stale keys due by now (all: neigh's receive keys); how many. */
static unsigned int stale_delete(struct xmd_kernel *k, xm_time now,
				 uint32_t neigh, bool origin, bool all)
{
	struct xm_change ch;
	unsigned int n = 0;
	size_t i = 0;
	int err;

	while (i < k->n_stale) {
		const struct xmd_stale_key *s = &k->stale[i];

		if (all ? s->origin != origin || s->neigh != neigh ||
			  s->dir != XMESH_KEY_RX :
			  s->del_at > now) {
			i++;
			continue;
		}
		memset(&ch, 0, sizeof(ch));
		ch.cmd = XMESH_CMD_KEY_DEL;
		ch.ifindex = k->ifindex;
		ch.e.type = XMESH_A_KEY;
		key_name(&ch.e.key, s->neigh, s->origin, s->id, s->dir);
		err = xmnl_apply(&k->nl, &ch, 1, XM_APPLY_STOP, NULL, NULL);
		if (err && err != -ENOENT) {
			k->stats->key_errors++;
		} else if (!err) {
			k->stats->key_changes++;
			n++;
		}
		k->stale[i] = k->stale[--k->n_stale];
	}
	stale_next(k);
	return n;
}

void xmd_kernel_keys_stale(struct xmd_kernel *k, xm_time now)
{
	if (k->n_stale && now >= k->stale_at)
		stale_delete(k, now, 0, false, false);
}

/*
 * A receive key the kernel has no room for, where a previous run left
 * keys of the same neighbor: they go now (restarts in quick succession
 * each leave theirs), and it is tried again. Without it, the neighbor
 * would seal with a session we cannot open.
 */
static int key_apply_room(struct xmd_kernel *k, struct xm_core *core,
			  const struct xmd_key_op *op, struct xm_change *ch,
			  xm_time now)
{
	int err = key_apply(k, core, op, ch);
	unsigned int n;

	if (err != -ENOSPC || op->del || op->dir != XMESH_KEY_RX)
		return err;
	n = stale_delete(k, now, op->neigh, op->origin, true);
	if (!n)
		return err;
	k->stats->keys_stale_evicted += n;
	xmd_info("no room in the kernel for neigh %u's new receive key: %u key%s of a previous run deleted now",
		 op->neigh, n, n == 1 ? "" : "s");
	return key_apply(k, core, op, ch);
}

void xmd_kernel_keys_apply(struct xmd_kernel *k, struct xm_core *core,
			   xm_time now)
{
	struct xm_change *ch;
	size_t i;
	int err;

	if (!k->n_key_ops)
		return;
	ch = sodium_malloc(sizeof(*ch));
	if (!ch)
		return;
	for (i = 0; i < k->n_key_ops; i++) {
		const struct xmd_key_op *op = &k->key_ops[i];

		err = key_apply_room(k, core, op, ch, now);
		if (err == -ENOENT && !op->del)
			break;	/* its neighbor is not in the kernel yet */
		if (!op->del && err && !op->origin)
			xm_core_key_refused(core, now, op->neigh, op->id,
					    op->dir);
		else if (!op->del && err)	/* warned: the next advert retries */
			xm_core_key_done(core, op->neigh, true, op->id,
					 op->dir);
		else if (!op->del)
			xm_core_key_done(core, op->neigh, op->origin, op->id,
					 op->dir);
		if (err) {
			k->stats->key_errors++;
			xmd_warn("the kernel refused key %s %s %u id %u dir %s: %s",
				 op->del ? "del" : "add",
				 op->origin ? "node" : "neigh", op->neigh, op->id,
				 op->dir == XMESH_KEY_TX ? "tx" : "rx",
				 strerror(-err));
			continue;
		}
		k->stats->key_changes++;
		stale_replaced(k, op);
		/* A new session's transmit key: the neighbor has it too. */
		if (!op->del && op->dir == XMESH_KEY_TX && !op->origin)
			stale_due(k, op->neigh, now + XMD_STALE_KEYS_GRACE_MS);
	}
	memmove(k->key_ops, k->key_ops + i,
		(k->n_key_ops - i) * sizeof(*k->key_ops));
	k->n_key_ops -= i;
	sodium_free(ch);
}

struct counters_ctx {
	struct xm_core *core;
	xm_time now;
};

static int key_counter_cb(const struct xm_msg_info *info,
			  const struct xm_entry *e, void *data)
{
	struct counters_ctx *cc = data;
	const struct xm_key *key = &e->key;

	(void)info;
	/* Origin keys rotate by time (origin.h): 2^60 frames is far. */
	if (e->type == XMESH_A_KEY && key->dir == XMESH_KEY_TX &&
	    XM_HAS(key, XMESH_KEY_A_NEIGH) &&
	    XM_HAS(key, XMESH_KEY_A_COUNTER))
		xm_core_key_counter(cc->core, cc->now, key->neigh, key->id,
				    key->counter);
	return 0;
}

int xmd_kernel_key_counters(struct xmd_kernel *k, struct xm_core *core,
			    xm_time now)
{
	struct counters_ctx cc = { .core = core, .now = now };
	struct nlc_error e;

	return xmnl_dump_cb(&k->nl, XMESH_CMD_KEY_GET, k->ifindex, NULL,
			    key_counter_cb, NULL, &cc, &e);
}
