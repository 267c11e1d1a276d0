// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's node table upkeep: the diff between the node table the link-
 * state database and the rules file call for and the kernel's (new and
 * changed entries replaced, gone ones deleted, equal ones left alone).
 */
#include <linux/xmesh.h>
#include <stdlib.h>

#include "../daemon/filter.h"
#include "tap.h"

static struct xm_node node(uint32_t id, uint16_t zone, uint16_t roles)
{
	struct xm_node n = { .id = id, .zone = zone, .roles = roles };

	n.present = XM_BIT(XMESH_NODE_A_ID) | XM_BIT(XMESH_NODE_A_ZONE) |
		    XM_BIT(XMESH_NODE_A_ROLES);
	return n;
}

int main(void)
{
	struct xm_node want[] = { node(1, 10, 1), node(2, 20, 2),
				  node(4, 20, 0), node(7, 0, 0) };
	struct xm_node have[] = { node(1, 10, 1), node(2, 20, 3),
				  node(3, 30, 0), node(7, 0, 0),
				  node(9, 5, 5) };
	struct xm_change *c;
	size_t n;

	is_int(xmd_filter_node_diff(want, 4, have, 5, 12, &c, &n), 0, "diff");
	is_int(n, 4, "four changes: 2 changed, 3 and 9 gone, 4 new");
	ok(c[0].cmd == XMESH_CMD_NODE_NEW && c[0].replace &&
	   c[0].e.node.id == 2 && c[0].e.node.roles == 2 &&
	   c[0].ifindex == 12, "node 2's roles replaced");
	ok(c[1].cmd == XMESH_CMD_NODE_DEL && c[1].e.node.id == 3 &&
	   c[1].e.node.present == XM_BIT(XMESH_NODE_A_ID),
	   "node 3 deleted, by id alone");
	ok(c[2].cmd == XMESH_CMD_NODE_NEW && c[2].e.node.id == 4 &&
	   c[2].e.node.zone == 20, "node 4 added");
	ok(c[3].cmd == XMESH_CMD_NODE_DEL && c[3].e.node.id == 9,
	   "node 9 deleted");
	free(c);

	is_int(xmd_filter_node_diff(want, 4, want, 4, 12, &c, &n), 0,
	       "diff of equal tables");
	ok(n == 0 && !c, "nothing to change");
	is_int(xmd_filter_node_diff(NULL, 0, have, 5, 12, &c, &n), 0,
	       "diff to an empty table");
	is_int(n, 5, "every entry deleted");
	free(c);
	return tap_done();
}
