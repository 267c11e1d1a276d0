// SPDX-License-Identifier: GPL-2.0
/*
 * Applying changes, against an in-process stand-in for the kernel that
 * behaves as the uapi says: a message is applied whole or not at all, and
 * its extack offset points at the entry it refused. Checks what each
 * apply mode sends, in how many round trips, and what it reports.
 */
#include <errno.h>

#include "tap.h"
#include "xmesh_change.h"

struct kernel {
	uint32_t bad;		/* the neighbor id it refuses */
	bool say_where;		/* extack offset of the refused entry */
	int round_trips;
	int messages;
	uint32_t applied[64];
	int n_applied;
};

static int fake(struct nlc_sock *s, struct nlc_batch *b,
		struct nlc_result *res, void *priv)
{
	struct kernel *k = priv;
	size_t m;

	(void)s;
	k->round_trips++;
	for (m = 0; m < b->n; m++) {
		const struct nlmsghdr *nlh = nlc_batch_msg(b, m);
		const struct nlattr *a, *bad = NULL;
		uint32_t ids[64];
		int n = 0, i;

		k->messages++;
		mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
			struct xm_neigh ne;

			if (mnl_attr_get_type(a) != XMESH_A_NEIGH)
				continue;
			xm_neigh_parse(a, &ne);
			if (ne.id == k->bad && !bad)
				bad = a;
			ids[n++] = ne.id;
		}
		res[m].done = true;
		if (bad) {
			/* Checked whole: nothing of this message changes. */
			res[m].e.err = -EEXIST;
			snprintf(res[m].e.msg, sizeof(res[m].e.msg),
				 "neighbor %u exists", k->bad);
			res[m].e.has_offset = k->say_where;
			res[m].e.offset = (uint32_t)((const char *)bad -
						     (const char *)nlh);
			continue;
		}
		for (i = 0; i < n; i++)
			k->applied[k->n_applied++] = ids[i];
	}
	return 0;
}

struct reports {
	int calls;
	unsigned long first_tag, count;
	char msg[NLC_MSGLEN];
};

static void report(const struct xm_change *c, size_t count,
		   const struct nlc_error *e, void *data)
{
	struct reports *r = data;

	r->calls++;
	r->first_tag = c->tag;
	r->count = count;
	snprintf(r->msg, sizeof(r->msg), "%s", e->msg);
}

static void changes(struct xm_change *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].cmd = XMESH_CMD_NEIGH_NEW;
		snprintf(c[i].ifname, sizeof(c[i].ifname), "xmesh0");
		c[i].e.type = XMESH_A_NEIGH;
		c[i].e.neigh.id = (uint32_t)i + 1;
		XM_SET(&c[i].e.neigh, XMESH_NEIGH_A_ID);
		c[i].tag = i + 10;	/* "line numbers" */
	}
}

static bool applied_are(const struct kernel *k, const uint32_t *ids, int n)
{
	int i;

	if (k->n_applied != n)
		return false;
	for (i = 0; i < n; i++)
		if (k->applied[i] != ids[i])
			return false;
	return true;
}

static void run(struct kernel *k, struct xm_change *c, size_t n,
		enum xm_apply_mode mode, struct reports *r, int *ret)
{
	struct xmnl h;

	memset(&h, 0, sizeof(h));
	h.family = 0x1f;
	h.sock.fake = fake;
	h.sock.fake_priv = k;
	memset(r, 0, sizeof(*r));
	*ret = xmnl_apply(&h, c, n, mode, report, r);
}

int main(void)
{
	struct xm_change c[5];
	struct reports r;
	int ret;

	{
		struct kernel k = { .bad = 0 };
		static const uint32_t all[] = { 1, 2, 3, 4, 5 };

		changes(c, 5);
		run(&k, c, 5, XM_APPLY_STOP, &r, &ret);
		is_int(ret, 0, "stop: all good");
		is_int(k.round_trips, 1, "stop: one run, one round trip");
		is_int(k.messages, 1, "stop: one merged message");
		ok(applied_are(&k, all, 5), "stop: all applied in order");
		is_int(c[4].err, 0, "stop: each marked applied");
	}
	{
		struct kernel k = { .bad = 3, .say_where = true };
		static const uint32_t before[] = { 1, 2 };

		changes(c, 5);
		run(&k, c, 5, XM_APPLY_STOP, &r, &ret);
		is_int(ret, -EEXIST, "stop: the failure is returned");
		ok(applied_are(&k, before, 2),
		   "stop: the changes before the failing one applied");
		is_int(k.round_trips, 2,
		   "stop: the run, then the part before the failure");
		is_int(c[2].err, -EEXIST, "stop: the refused change marked");
		is_int(c[3].err, XM_NOT_SENT, "stop: the ones after not sent");
		ok(r.calls == 1 && r.first_tag == 12 && r.count == 1,
		   "stop: one report, for the failing line");
		is_str(r.msg, "neighbor 3 exists", "stop: with the kernel's message");
	}
	{
		struct kernel k = { .bad = 3, .say_where = false };
		static const uint32_t before[] = { 1, 2 };

		changes(c, 5);
		run(&k, c, 5, XM_APPLY_STOP, &r, &ret);
		ok(applied_are(&k, before, 2),
		   "stop, no extack offset: still exactly the ones before");
		is_int(k.round_trips, 4, "stop, no offset: then one by one");
		ok(r.calls == 1 && r.first_tag == 12,
		   "stop, no offset: the failing line found");
	}
	{
		struct kernel k = { .bad = 1, .say_where = true };

		changes(c, 5);
		run(&k, c, 5, XM_APPLY_STOP, &r, &ret);
		ok(k.n_applied == 0 && k.round_trips == 1 && r.first_tag == 10,
		   "stop: the first change failing needs no second trip");
	}
	{
		struct kernel k = { .bad = 3, .say_where = true };
		static const uint32_t others[] = { 1, 2, 4, 5 };

		changes(c, 5);
		run(&k, c, 5, XM_APPLY_EACH, &r, &ret);
		is_int(ret, -EEXIST, "each: the failure is returned");
		is_int(k.round_trips, 1, "each: one round trip");
		is_int(k.messages, 5, "each: one message per change");
		ok(applied_are(&k, others, 4), "each: the others applied");
		ok(r.calls == 1 && r.first_tag == 12, "each: the failure reported");
		is_int(c[4].err, 0, "each: later changes applied");
	}
	{
		struct kernel k = { .bad = 2, .say_where = true };
		static const uint32_t second_run[] = { 4, 5 };

		changes(c, 5);
		/* Two runs: neighbors 1-3 on xmesh0, 4-5 on xm1. */
		snprintf(c[3].ifname, sizeof(c[3].ifname), "xm1");
		snprintf(c[4].ifname, sizeof(c[4].ifname), "xm1");
		run(&k, c, 5, XM_APPLY_MERGED, &r, &ret);
		is_int(k.round_trips, 1, "merged: everything in one round trip");
		is_int(k.messages, 2, "merged: one message per run");
		ok(applied_are(&k, second_run, 2),
		   "merged: the refused run is not applied, the other is");
		ok(c[1].err == -EEXIST && c[0].err == XM_NOT_SENT &&
		   c[2].err == XM_NOT_SENT, "merged: the refused entry named");
	}
	return tap_done();
}
