/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd keeps xmesh's class-aware queueing tree (lib/xmesh_qdisc.h) on
 * every underlay link it uses while "qos on", shaped to the link's "rate"
 * when one is configured, and takes it off a link it stops using or when
 * QoS is turned off. Stopping the agent leaves the trees, as it leaves the
 * kernel's tables: traffic keeps its classes through a restart.
 */
#ifndef XMD_QDISC_H
#define XMD_QDISC_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/*
 * Bring ifindex's tree in line with cfg: in_use says whether the agent
 * runs on the link. Cheap when nothing changed: called on every link
 * reconciliation. Failures are logged, and retried when cfg changes.
 */
void xmd_qdisc_link(const struct xmd_config *cfg, uint32_t ifindex,
		    const char *ifname, bool in_use);
/*
 * Put back what someone else took off or changed on the links (a tc
 * command, a link re-created under the same index). Reads every link's
 * qdiscs: call it on a slow beat.
 */
void xmd_qdisc_verify(void);

#endif /* XMD_QDISC_H */
