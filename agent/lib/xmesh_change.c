// SPDX-License-Identifier: GPL-2.0
#include "xmesh_change.h"

#include <stdlib.h>
#include <string.h>

static bool mergeable(const struct xm_change *a, const struct xm_change *b)
{
	return a->cmd == b->cmd && a->replace == b->replace &&
	       !a->flush && !b->flush && a->cmd != XMESH_CMD_DEV_SET &&
	       a->e.type == b->e.type && a->e.type &&
	       a->ifindex == b->ifindex && !strcmp(a->ifname, b->ifname);
}

/* Put c's nest at the end of nlh; on failure nlh is as it was. */
static int put_entry(struct nlmsghdr *nlh, size_t room, struct xm_change *c,
		     size_t msg, size_t limit)
{
	uint32_t off = nlh->nlmsg_len;
	int err;

	if (!c->e.type) {
		c->msg = msg;
		c->off = c->end = off;
		return 0;
	}
	err = xm_entry_put(nlh, room, &c->e);
	if (err)
		return err;
	if (nlh->nlmsg_len > limit) {
		nlh->nlmsg_len = off;	/* the nest was last: drop it */
		return -EMSGSIZE;
	}
	c->msg = msg;
	c->off = off;
	c->end = nlh->nlmsg_len;
	return 0;
}

static struct nlmsghdr *start_msg(struct nlc_batch *b, uint16_t family,
				  struct xm_change *c)
{
	struct nlmsghdr *nlh;
	size_t room;

	nlh = xmnl_msg_start(b, family, c->cmd, NLM_F_ACK);
	if (!nlh)
		return NULL;
	room = nlc_batch_room(b, nlh);
	if (xm_devsel_put(nlh, room, c->ifindex, c->ifname) ||
	    (c->flush &&
	     !mnl_attr_put_check(nlh, room, XMESH_A_FLUSH, 0, NULL)) ||
	    (c->replace &&
	     !mnl_attr_put_check(nlh, room, XMESH_A_REPLACE, 0, NULL)) ||
	    put_entry(nlh, room, c, b->n, XM_MSG_MAX)) {
		nlc_batch_cancel(b, nlh);
		return NULL;
	}
	return nlh;
}

ssize_t xm_changes_build(struct nlc_batch *b, uint16_t family,
			 struct xm_change *c, size_t n, bool merge,
			 size_t max_msgs)
{
	struct nlmsghdr *cur = NULL;
	size_t i;

	nlc_batch_reset(b);
	for (i = 0; i < n; i++) {
		if (cur && merge && mergeable(&c[i - 1], &c[i]) &&
		    !put_entry(cur, nlc_batch_room(b, cur), &c[i], b->n,
			       XM_MSG_MAX))
			continue;
		if (cur) {
			nlc_batch_commit(b, cur);
			cur = NULL;
		}
		if (b->n >= max_msgs)
			break;
		cur = start_msg(b, family, &c[i]);
		if (!cur)
			break;
	}
	if (cur)
		nlc_batch_commit(b, cur);
	return i ? (ssize_t)i : -EMSGSIZE;
}

size_t xm_change_at(const struct xm_change *c, size_t n, size_t msg,
		    uint32_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].msg == msg && c[i].off < c[i].end &&
		    off >= c[i].off && off < c[i].end)
			return i;
	return n;
}

struct applier {
	struct xmnl *h;
	struct nlc_batch b;
	struct nlc_result *res;
	xm_apply_cb cb;
	void *data;
	int first_err;
};

static void fail(struct applier *ap, struct xm_change *c, size_t count,
		 struct nlc_error *e)
{
	size_t i;

	for (i = 0; i < count; i++)
		c[i].err = e->err;
	if (!ap->first_err)
		ap->first_err = e->err;
	if (ap->cb)
		ap->cb(c, count, e, ap->data);
}

/* A failure of the exchange itself: nothing is known of c[0..n). */
static int fail_all(struct applier *ap, struct xm_change *c, size_t n,
		    int err)
{
	struct nlc_error e = { .err = err };

	fail(ap, c, n, &e);
	return err;
}

/*
 * Send c[0..n) as built (k changes went in); returns the exchange's
 * error. Each message's changes get their outcome; a refused message
 * reports the change the extack points at, or all of its changes.
 */
static int send_built(struct applier *ap, struct xm_change *c, size_t k)
{
	size_t m, i, j, first, count;
	int err;

	err = nlc_exchange(&ap->h->sock, &ap->b, ap->res, NULL, NULL);
	if (err)
		return fail_all(ap, c, k, err);
	for (m = 0; m < ap->b.n; m++) {
		struct nlc_result *r = &ap->res[m];

		for (first = 0; first < k && c[first].msg != m; first++)
			;
		for (count = 0; first + count < k &&
		     c[first + count].msg == m; count++)
			;
		if (!r->e.err) {
			for (i = 0; i < count; i++)
				c[first + i].err = 0;
			continue;
		}
		xmnl_describe(nlc_batch_msg(&ap->b, m), &r->e);
		j = r->e.has_offset ?
		    xm_change_at(c + first, count, m, r->e.offset) : count;
		if (j < count) {
			fail(ap, c + first + j, 1, &r->e);
			/* The rest of an atomic message was not applied. */
		} else {
			fail(ap, c + first, count, &r->e);
		}
	}
	return 0;
}

static int apply_all(struct applier *ap, struct xm_change *c, size_t n,
		     bool merge)
{
	ssize_t k;
	size_t i;
	int err;

	for (i = 0; i < n; i += (size_t)k) {
		k = xm_changes_build(&ap->b, ap->h->family, c + i, n - i, merge,
				     NLC_BATCH_MSGS);
		if (k < 0)
			return fail_all(ap, c + i, n - i, (int)k);
		err = send_built(ap, c + i, (size_t)k);
		if (err)
			return err;
	}
	return 0;
}

static int apply_stop(struct applier *ap, struct xm_change *c, size_t n)
{
	struct nlc_error pend_err;
	size_t i = 0, pend = n, j;
	bool single = false;
	struct nlc_result *r;
	ssize_t k;
	int err;

	while (i < n) {
		/* The kernel already refused c[pend]: the ones before it went
		 * in on their own, so it is the first failure. */
		if (i == pend) {
			fail(ap, c + i, 1, &pend_err);
			return pend_err.err;
		}
		k = xm_changes_build(&ap->b, ap->h->family, c + i, pend - i,
				     !single, 1);
		if (k < 0)
			return fail_all(ap, c + i, 1, (int)k);
		err = nlc_exchange(&ap->h->sock, &ap->b, ap->res, NULL, NULL);
		if (err)
			return fail_all(ap, c + i, (size_t)k, err);
		r = &ap->res[0];
		if (!r->e.err) {
			for (j = 0; j < (size_t)k; j++)
				c[i + j].err = 0;
			i += (size_t)k;
			continue;
		}
		xmnl_describe(nlc_batch_msg(&ap->b, 0), &r->e);
		j = r->e.has_offset ?
		    xm_change_at(c + i, (size_t)k, 0, r->e.offset) : (size_t)k;
		if (k == 1 || j == 0) {
			fail(ap, c + i, 1, &r->e);
			return r->e.err;
		}
		if (j < (size_t)k) {
			/* Apply the ones before it, then report it. */
			pend = i + j;
			pend_err = r->e;
		} else {
			/* It did not say which: go one by one. */
			single = true;
			pend = n;
		}
	}
	return 0;
}

int xmnl_apply(struct xmnl *h, struct xm_change *c, size_t n,
	       enum xm_apply_mode mode, xm_apply_cb cb, void *data)
{
	struct applier ap = { .h = h, .cb = cb, .data = data };
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		c[i].err = XM_NOT_SENT;
	if (!n)
		return 0;
	err = nlc_batch_init(&ap.b, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	ap.res = calloc(NLC_BATCH_MSGS, sizeof(*ap.res));
	if (err || !ap.res) {
		nlc_batch_free(&ap.b);
		free(ap.res);
		return fail_all(&ap, c, n, -ENOMEM);
	}
	if (mode == XM_APPLY_STOP)
		err = apply_stop(&ap, c, n);
	else
		err = apply_all(&ap, c, n, mode == XM_APPLY_MERGED);
	nlc_batch_free(&ap.b);
	free(ap.res);
	return err ? err : ap.first_err;
}
