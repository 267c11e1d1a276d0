// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh crypto queues: sealing and opening frames on every online CPU
 * while keeping them in the order they came, as WireGuard's queueing.c.
 *
 * A device has two queues, one per direction. Each is
 *
 *	- a ring (ptr_ring, bounded, multi-producer) of frames waiting for
 *	  their crypto, drained by one worker per CPU: any worker takes any
 *	  frame, so the cipher runs on every CPU the frames were spread to
 *	  (round robin over the online CPUs);
 *	- an ordered list (sk_buff_head, bounded) holding the same frames in
 *	  the order they were queued, drained by one ordered worker that
 *	  sends (tx) or delivers and forwards (rx) the frames at its head as
 *	  long as their crypto is done, so nothing leaves out of order.
 *
 * The frame's queue state lives in skb->cb (struct xmesh_queue_cb). A
 * frame is in the ring and the ordered list at once; the ordered list owns
 * it: only the ordered worker frees it, once a crypto worker marked it
 * done or dead (or the producer did, when the ring was full).
 *
 * WireGuard keeps one ordered queue per peer; here it is one per device
 * and direction. A frame holds no pointer to its neighbor or key across
 * the queue, only the neighbor's id, looked up again under RCU in each
 * stage (crypt and finish, see send.c and receive.c): a neighbor or key
 * deleted or replaced while its frames wait is simply not found (the
 * frame is dropped and counted), so neither needs a reference count nor a
 * hook in its own teardown. A transmit key's counter is taken when the
 * frame is sealed, from the key current then, never reserved before: a
 * nonce is never used twice even when the key is replaced in between. The
 * frames of one device then leave in one order: stronger than per
 * neighbor, at the price of a slow frame holding back the frames of other
 * neighbors behind it, which on a mesh node (a handful of neighbors, one
 * cipher) costs little.
 *
 * RCU and locking rules
 * ---------------------
 * - Producers (the packet path) hold the RCU read lock with BHs off; they
 *   queue only while q->running, read inside that RCU section.
 *   xmesh_queues_uninit() clears running, waits a grace period (every
 *   producer that saw it set has queued its frame and its work), then
 *   destroys the workqueue, which drains it: every frame queued is
 *   finished (sent, delivered or dropped and counted) before the tables
 *   the stages look into go away. Workers queue only chained work (the
 *   ordered worker from a crypto worker) on their own workqueue, which
 *   draining allows.
 * - The ordered list's spinlock (BH-safe) guards the list; the ring has
 *   its own locks. A frame's state is written once by the crypto stage
 *   (release) and read by the ordered worker (acquire) under the list
 *   lock, so it sees the crypto's writes to the frame.
 * - Each stage runs in process context, one frame at a time, under the
 *   RCU read lock with BHs off, the context of the inline packet path; it
 *   never takes xdev->lock or RTNL, so draining under them cannot
 *   deadlock.
 * - A queued frame keeps no route (its dst is dropped: a receive dst may be
 *   borrowed, RCU-only) and no underlay device (skb->dev is set to the
 *   xmesh device, which outlives its queues).
 */
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/ptr_ring.h>
#include <linux/workqueue.h>
#include <net/dst.h>
#include "xmesh_priv.h"

static bool parallel_crypto = true;
module_param(parallel_crypto, bool, 0644);
MODULE_PARM_DESC(parallel_crypto,
		 "Seal and open frames on every online CPU, in order (default on; off: on the CPU that handles the frame)");

enum xmesh_queue_state {
	XMESH_QSTATE_PENDING,
	XMESH_QSTATE_DONE,
	XMESH_QSTATE_DEAD,
};

/* Frames per ordered worker run between two chances to reschedule. */
#define XMESH_QUEUE_BATCH	32

/**
 * xmesh_queue_wanted - whether frames should go through @q
 * @q: the queue
 *
 * Not with one CPU (the queue would only add a hop), nor when the module
 * parameter says so, nor once the queue is stopping.
 *
 * Context: RCU read side, held until xmesh_queue_add() returned.
 */
bool xmesh_queue_wanted(const struct xmesh_queue *q)
{
	return READ_ONCE(parallel_crypto) && num_online_cpus() > 1 &&
	       READ_ONCE(q->running);
}

static int xmesh_queue_next_cpu(struct xmesh_queue *q)
{
	int cpu = cpumask_next(READ_ONCE(q->last_cpu), cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	WRITE_ONCE(q->last_cpu, cpu);
	return cpu;
}

/**
 * xmesh_queue_add - queue a frame for its crypto, then its finish
 * @q: the queue, xmesh_queue_wanted() true in this RCU section
 * @skb: the frame, its xmesh_queue_cb filled but for the state
 *
 * Context: RCU read side, BHs disabled.
 * Return: 0 when queued (the frame belongs to the queue), else the
 * XMESH_DROP_A_* reason, the frame left to the caller to count and free.
 */
int xmesh_queue_add(struct xmesh_queue *q, struct sk_buff *skb)
{
	struct xmesh_queue_cb *cb = xmesh_queue_cb(skb);
	int cpu;

	skb_dst_drop(skb);
	atomic_set(&cb->state, XMESH_QSTATE_PENDING);
	spin_lock_bh(&q->ordered.lock);
	if (unlikely(skb_queue_len(&q->ordered) >= XMESH_QUEUE_LEN)) {
		spin_unlock_bh(&q->ordered.lock);
		return XMESH_DROP_A_QUEUE_FULL;
	}
	__skb_queue_tail(&q->ordered, skb);
	spin_unlock_bh(&q->ordered.lock);

	/* The ring holds no more than the list: this is only defence. */
	if (unlikely(ptr_ring_produce_bh(&q->ring, skb))) {
		cb->reason = XMESH_DROP_A_QUEUE_FULL;
		atomic_set_release(&cb->state, XMESH_QSTATE_DEAD);
		queue_work(q->wq, &q->ordered_work);
		return 0;
	}
	cpu = xmesh_queue_next_cpu(q);
	queue_work_on(cpu, q->wq, &per_cpu_ptr(q->worker, cpu)->work);
	return 0;
}

static void xmesh_crypt_work(struct work_struct *work)
{
	struct xmesh_queue *q =
		container_of(work, struct xmesh_crypt_worker, work)->queue;
	struct xmesh_queue_cb *cb;
	struct sk_buff *skb;
	int reason;

	while ((skb = ptr_ring_consume_bh(&q->ring))) {
		cb = xmesh_queue_cb(skb);
		rcu_read_lock();
		local_bh_disable();
		reason = q->crypt(q->xdev, skb, cb);
		local_bh_enable();
		rcu_read_unlock();

		/* The frame is the ordered worker's from here on. */
		cb->reason = reason;
		atomic_set_release(&cb->state, reason ? XMESH_QSTATE_DEAD :
							XMESH_QSTATE_DONE);
		queue_work(q->wq, &q->ordered_work);
		cond_resched();
	}
}

/* The frame at the head of @q's ordered list, unlinked, if its crypto is
 * over; its state in @state.
 */
static struct sk_buff *xmesh_queue_pop_done(struct xmesh_queue *q,
					    int *state)
{
	struct sk_buff *skb;

	spin_lock_bh(&q->ordered.lock);
	skb = skb_peek(&q->ordered);
	if (skb) {
		*state = atomic_read_acquire(&xmesh_queue_cb(skb)->state);
		if (*state == XMESH_QSTATE_PENDING)
			skb = NULL;
		else
			__skb_unlink(skb, &q->ordered);
	}
	spin_unlock_bh(&q->ordered.lock);
	return skb;
}

static void xmesh_ordered_work(struct work_struct *work)
{
	struct xmesh_queue *q = container_of(work, struct xmesh_queue,
					     ordered_work);
	struct xmesh_queue_cb cb;
	struct sk_buff *skb;
	unsigned int n = 0;
	int state;

	while ((skb = xmesh_queue_pop_done(q, &state))) {
		/* The stages after this one (IP, UDP) own the control buffer. */
		cb = *xmesh_queue_cb(skb);
		memset(skb->cb, 0, sizeof(cb));
		if (state == XMESH_QSTATE_DONE)
			cb.reason = 0;
		rcu_read_lock();
		local_bh_disable();
		q->finish(q->xdev, skb, &cb);
		local_bh_enable();
		rcu_read_unlock();
		if (++n % XMESH_QUEUE_BATCH == 0)
			cond_resched();
	}
}

/**
 * xmesh_queue_init - set up a queue
 * @q: the queue
 * @xdev: the device, handed to @crypt and @finish
 * @wq: the workqueue its workers run on
 * @crypt: the crypto of one frame: returns 0 or an XMESH_DROP_A_* reason
 * @finish: what happens next to one frame, in order: consumes it (its
 *	    reason nonzero: counts the drop and frees it)
 *
 * Return: 0 or -ENOMEM.
 */
int xmesh_queue_init(struct xmesh_queue *q, struct xmesh_dev *xdev,
		     struct workqueue_struct *wq, xmesh_queue_crypt_fn crypt,
		     xmesh_queue_finish_fn finish)
{
	int cpu, err;

	BUILD_BUG_ON(sizeof(struct xmesh_queue_cb) >
		     sizeof_field(struct sk_buff, cb));
	memset(q, 0, sizeof(*q));
	q->xdev = xdev;
	q->wq = wq;
	q->crypt = crypt;
	q->finish = finish;
	q->last_cpu = -1;
	skb_queue_head_init(&q->ordered);
	INIT_WORK(&q->ordered_work, xmesh_ordered_work);
	err = ptr_ring_init(&q->ring, XMESH_QUEUE_LEN, GFP_KERNEL);
	if (err)
		return err;
	q->worker = alloc_percpu(struct xmesh_crypt_worker);
	if (!q->worker) {
		ptr_ring_cleanup(&q->ring, NULL);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		per_cpu_ptr(q->worker, cpu)->queue = q;
		INIT_WORK(&per_cpu_ptr(q->worker, cpu)->work, xmesh_crypt_work);
	}
	WRITE_ONCE(q->running, true);
	return 0;
}

/**
 * xmesh_queue_uninit - free a drained queue
 * @q: the queue; its workqueue destroyed, or flushed with no producer left
 *
 * Every frame in the ring is in the ordered list too: the list frees them.
 * After a drain both are empty; what is left, if anything, is freed.
 */
void xmesh_queue_uninit(struct xmesh_queue *q)
{
	ptr_ring_cleanup(&q->ring, NULL);
	skb_queue_purge(&q->ordered);
	free_percpu(q->worker);
	q->worker = NULL;
}

/* Stop taking frames; producers that saw the queue running are done. */
void xmesh_queue_stop(struct xmesh_queue *q)
{
	WRITE_ONCE(q->running, false);
}

/**
 * xmesh_queues_init - the device's transmit and receive queues
 * @xdev: the device being initialized
 *
 * Return: 0 or a negative errno, nothing left allocated.
 */
int xmesh_queues_init(struct xmesh_dev *xdev)
{
	int err;

	xdev->crypt_wq = alloc_workqueue("xmesh-crypt-%s",
					 WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0,
					 xdev->dev->name);
	if (!xdev->crypt_wq)
		return -ENOMEM;
	err = xmesh_queue_init(&xdev->tx_queue, xdev, xdev->crypt_wq,
			       xmesh_send_crypt, xmesh_send_finish);
	if (err)
		goto err_wq;
	err = xmesh_queue_init(&xdev->rx_queue, xdev, xdev->crypt_wq,
			       xmesh_recv_crypt, xmesh_recv_finish);
	if (err)
		goto err_tx;
	return 0;

err_tx:
	xmesh_queue_uninit(&xdev->tx_queue);
err_wq:
	destroy_workqueue(xdev->crypt_wq);
	return err;
}

/**
 * xmesh_queues_uninit - finish every queued frame and free the queues
 * @xdev: the device; its tables still there (the stages look into them)
 *
 * Context: process; may sleep until the queues are drained.
 */
void xmesh_queues_uninit(struct xmesh_dev *xdev)
{
	xmesh_queue_stop(&xdev->tx_queue);
	xmesh_queue_stop(&xdev->rx_queue);
	synchronize_net();
	destroy_workqueue(xdev->crypt_wq);
	xmesh_queue_uninit(&xdev->rx_queue);
	xmesh_queue_uninit(&xdev->tx_queue);
}
