// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the xmesh crypto queues (queue.c): frames come out of
 * the finish stage in the order they were queued, whichever of them the
 * crypto stage failed, each exactly once; a full queue refuses frames
 * (the caller keeps them) instead of growing; stopping and freeing a
 * drained queue finishes everything that was accepted.
 */
#include <kunit/test.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include "../xmesh_priv.h"

#define QT_FRAMES	300
#define QT_OVERFILL	(XMESH_QUEUE_LEN + 100)

/* What the stages saw; one test runs at a time. */
static struct {
	atomic_t n_crypt;		/* crypto workers run on any CPU */
	unsigned int n_finish;
	bool in_order;
	unsigned int next;		/* index the next finish should have */
	unsigned int bad_reason;	/* finishes with the wrong reason */
	bool hold;			/* crypt spins while set */
} qt;

static u32 qt_index(struct sk_buff *skb)
{
	return *(u32 *)skb->data;
}

/* Every 7th frame fails its crypto; the others succeed. */
static int qt_reason(u32 i)
{
	return i % 7 == 3 ? XMESH_DROP_A_AUTH_FAILED : 0;
}

static int qt_crypt(struct xmesh_dev *xdev, struct sk_buff *skb,
		    const struct xmesh_queue_cb *cb)
{
	while (READ_ONCE(qt.hold))
		cpu_relax();
	atomic_inc(&qt.n_crypt);
	return qt_reason(qt_index(skb));
}

static void qt_finish(struct xmesh_dev *xdev, struct sk_buff *skb,
		      const struct xmesh_queue_cb *cb)
{
	u32 i = qt_index(skb);

	if (i != qt.next)
		qt.in_order = false;
	qt.next = i + 1;
	if (cb->reason != qt_reason(i) || cb->neigh_id != i)
		qt.bad_reason++;
	qt.n_finish++;
	kfree_skb(skb);
}

static struct sk_buff *qt_frame(struct kunit *test, u32 i)
{
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	*(u32 *)skb_put(skb, sizeof(i)) = i;
	memset(skb->cb, 0, sizeof(skb->cb));
	xmesh_queue_cb(skb)->neigh_id = i;
	return skb;
}

/*
 * Queue @n frames as the packet path does; return how many were taken.
 * A held crypto stage is let go before BHs come back on: on one CPU a
 * worker spinning with BHs off would never let this thread run again.
 */
static unsigned int qt_add(struct kunit *test, struct xmesh_queue *q,
			   struct sk_buff **skbs, unsigned int n)
{
	unsigned int i, taken = 0;

	rcu_read_lock();
	local_bh_disable();
	for (i = 0; i < n; i++) {
		if (!xmesh_queue_add(q, skbs[i])) {
			skbs[i] = NULL;
			taken++;
		}
	}
	WRITE_ONCE(qt.hold, false);
	local_bh_enable();
	rcu_read_unlock();
	return taken;
}

static void qt_run(struct kunit *test, unsigned int n, bool hold)
{
	struct workqueue_struct *wq;
	struct xmesh_queue *q;
	struct sk_buff **skbs;
	unsigned int i, taken;

	memset(&qt, 0, sizeof(qt));
	qt.in_order = true;
	qt.hold = hold;
	q = kunit_kzalloc(test, sizeof(*q), GFP_KERNEL);
	skbs = kunit_kcalloc(test, n, sizeof(*skbs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, skbs);
	wq = alloc_workqueue("xmesh-kunit", WQ_CPU_INTENSIVE, 0);
	KUNIT_ASSERT_NOT_NULL(test, wq);
	KUNIT_ASSERT_EQ(test, xmesh_queue_init(q, NULL, wq, qt_crypt,
					       qt_finish), 0);
	for (i = 0; i < n; i++)
		skbs[i] = qt_frame(test, i);

	taken = qt_add(test, q, skbs, n);
	xmesh_queue_stop(q);
	synchronize_net();
	destroy_workqueue(wq);
	xmesh_queue_uninit(q);

	/* While the head's crypto is held nothing leaves: the bound. */
	KUNIT_EXPECT_EQ(test, taken, min_t(unsigned int, n,
					   hold ? XMESH_QUEUE_LEN : n));
	KUNIT_EXPECT_EQ(test, (unsigned int)atomic_read(&qt.n_crypt), taken);
	KUNIT_EXPECT_EQ(test, qt.n_finish, taken);
	KUNIT_EXPECT_TRUE(test, qt.in_order);
	KUNIT_EXPECT_EQ(test, qt.next, taken);
	KUNIT_EXPECT_EQ(test, qt.bad_reason, 0U);
	/* Refused frames stay the caller's, untouched. */
	for (i = taken; i < n; i++) {
		KUNIT_EXPECT_NOT_NULL(test, skbs[i]);
		if (skbs[i])
			KUNIT_EXPECT_EQ(test, qt_index(skbs[i]), i);
		kfree_skb(skbs[i]);
	}
}

static void xmesh_queue_order(struct kunit *test)
{
	qt_run(test, QT_FRAMES, false);
}

static void xmesh_queue_bounded(struct kunit *test)
{
	qt_run(test, QT_OVERFILL, true);
}

static struct kunit_case xmesh_queue_cases[] = {
	KUNIT_CASE(xmesh_queue_order),
	KUNIT_CASE(xmesh_queue_bounded),
	{}
};

static struct kunit_suite xmesh_queue_suite = {
	.name = "xmesh_queue",
	.test_cases = xmesh_queue_cases,
};

kunit_test_suite(xmesh_queue_suite);
