// SPDX-License-Identifier: GPL-2.0
#include "qdisc.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "links.h"
#include "log.h"
#include "xmesh_qdisc.h"

/* What each link was given; one agent per process, so one table. */
static struct {
	uint32_t ifindex;		/* 0: free slot */
	char ifname[IF_NAMESIZE];
	uint64_t rate;			/* the tree's rate, bytes/s */
	bool failed;			/* logged; retried on a new rate */
} trees[XM_LINK_MAX * 2];

static int slot(uint32_t ifindex, bool add)
{
	int i, free_slot = -1;

	for (i = 0; i < (int)(sizeof(trees) / sizeof(trees[0])); i++) {
		if (trees[i].ifindex == ifindex)
			return i;
		if (!trees[i].ifindex && free_slot < 0)
			free_slot = i;
	}
	if (add && free_slot >= 0) {
		memset(&trees[free_slot], 0, sizeof(trees[free_slot]));
		trees[free_slot].ifindex = ifindex;
	}
	return add ? free_slot : -1;
}

void xmd_qdisc_link(const struct xmd_config *cfg, uint32_t ifindex,
		    const char *ifname, bool in_use)
{
	const struct xmd_link_conf *lc = xmd_link_conf(cfg, ifname);
	uint64_t rate = lc ? lc->qos_rate : 0;
	bool want = cfg->qos && in_use;
	char msg[160] = "";
	int i = slot(ifindex, false), err;

	if (!want) {
		if (i < 0)
			return;
		trees[i].ifindex = 0;
		if (trees[i].failed)
			return;
		err = xmq_remove(ifindex, msg, sizeof(msg));
		if (err == -ENODEV)
			return;		/* the link is gone, its queues too */
		if (err)
			xmd_warn("link %s: cannot remove the QoS queues: %s",
				 ifname, msg);
		else
			xmd_info("link %s: QoS queues removed", ifname);
		return;
	}
	if (i >= 0 && trees[i].rate == rate)
		return;		/* done, or failed for this rate: logged */
	i = slot(ifindex, true);
	if (i < 0)
		return;
	trees[i].rate = rate;
	snprintf(trees[i].ifname, sizeof(trees[i].ifname), "%s", ifname);
	err = xmq_install(ifindex, rate, msg, sizeof(msg));
	trees[i].failed = err != 0;
	if (err)
		xmd_warn("link %s: cannot install the QoS queues: %s", ifname,
			 msg);
	else if (rate)
		xmd_info("link %s: QoS queues shaped to %llu bit/s", ifname,
			 (unsigned long long)rate * 8);
	else
		xmd_info("link %s: QoS queues installed", ifname);
}

void xmd_qdisc_verify(void)
{
	struct xmq_tree t;
	char msg[160] = "";
	size_t i;
	int err;

	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		if (!trees[i].ifindex || trees[i].failed ||
		    xmq_read(trees[i].ifindex, &t))
			continue;
		if (t.installed && t.shaped == (trees[i].rate != 0) &&
		    t.rate == trees[i].rate)
			continue;
		err = xmq_install(trees[i].ifindex, trees[i].rate, msg,
				  sizeof(msg));
		trees[i].failed = err != 0;
		if (err)
			xmd_warn("link %s: cannot put the QoS queues back: %s",
				 trees[i].ifname, msg);
		else
			xmd_warn("link %s: QoS queues were changed; put back",
				 trees[i].ifname);
	}
}
