// SPDX-License-Identifier: GPL-2.0
/*
 * The zone tables in the family client: node and zone pair nests put and
 * parsed back through a merged change batch (what xmeshd and the tool
 * send), the zone settings of dev-set, their names, and the description
 * of an attribute an extack points at.
 */
#include <string.h>

#include "tap.h"
#include "xmesh_change.h"
#include "xmesh_names.h"

struct seen {
	unsigned int nodes, pairs;
	struct xm_node node[4];
	struct xm_zone_pair pair[4];
	struct xm_dev dev;
	bool has_dev;
};

static int collect(const struct xm_msg_info *info, const struct xm_entry *e,
		   void *data)
{
	struct seen *s = data;

	(void)info;
	if (e->type == XMESH_A_NODE && s->nodes < 4)
		s->node[s->nodes++] = e->node;
	else if (e->type == XMESH_A_ZONE_PAIR && s->pairs < 4)
		s->pair[s->pairs++] = e->zone_pair;
	else if (e->type == XMESH_A_DEV) {
		s->dev = e->dev;
		s->has_dev = true;
	}
	return 0;
}

static void node_change(struct xm_change *c, uint32_t id, uint16_t zone,
			uint16_t roles)
{
	memset(c, 0, sizeof(*c));
	c->cmd = XMESH_CMD_NODE_NEW;
	c->replace = true;
	snprintf(c->ifname, sizeof(c->ifname), "xmesh0");
	c->e.type = XMESH_A_NODE;
	c->e.node.id = id;
	c->e.node.zone = zone;
	c->e.node.roles = roles;
	c->e.node.present = XM_BIT(XMESH_NODE_A_ID) |
			    XM_BIT(XMESH_NODE_A_ZONE) |
			    XM_BIT(XMESH_NODE_A_ROLES);
}

static void batches(void)
{
	struct xm_change c[4];
	struct xm_msg_info info;
	struct nlc_batch b;
	struct seen s = { 0 };
	ssize_t n;

	node_change(&c[0], 1, 10, 0x1);
	node_change(&c[1], 2, 20, 0x8002);
	node_change(&c[2], 3, 0, 0);
	memset(&c[3], 0, sizeof(c[3]));
	c[3].cmd = XMESH_CMD_ZONE_PAIR_NEW;
	snprintf(c[3].ifname, sizeof(c[3].ifname), "xmesh0");
	c[3].e.type = XMESH_A_ZONE_PAIR;
	c[3].e.zone_pair.from = 10;
	c[3].e.zone_pair.to = 65535;
	c[3].e.zone_pair.action = XMESH_ZONE_DENY;
	c[3].e.zone_pair.present = XM_BIT(XMESH_ZONE_PAIR_A_FROM) |
				   XM_BIT(XMESH_ZONE_PAIR_A_TO) |
				   XM_BIT(XMESH_ZONE_PAIR_A_ACTION);

	nlc_batch_init(&b, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	n = xm_changes_build(&b, 0x20, c, 4, true, 8);
	is_int(n, 4, "every change went in");
	/* The three nodes share one message; the pair is another command. */
	is_int(b.n, 2, "two messages");
	is_int(c[2].msg, 0, "node changes merged");
	is_int(c[3].msg, 1, "the pair in its own message");

	is_int(xm_msg_parse(nlc_batch_msg(&b, 0), &info, collect, &s), 0,
	       "node message parses");
	is_int(info.cmd, XMESH_CMD_NODE_NEW, "node-new");
	is_int(s.nodes, 3, "three nodes back");
	ok(s.node[1].id == 2 && s.node[1].zone == 20 &&
	   s.node[1].roles == 0x8002, "node 2: zone and roles back");
	ok(XM_HAS(&s.node[2], XMESH_NODE_A_ZONE) && s.node[2].zone == 0,
	   "zone 0 is put, not left out");
	is_int(xm_change_at(c, 4, 0, c[1].off), 1,
	       "an extack offset maps back to its node");

	is_int(xm_msg_parse(nlc_batch_msg(&b, 1), &info, collect, &s), 0,
	       "pair message parses");
	is_int(info.cmd, XMESH_CMD_ZONE_PAIR_NEW, "zone-pair-new");
	ok(s.pairs == 1 && s.pair[0].from == 10 && s.pair[0].to == 65535 &&
	   s.pair[0].action == XMESH_ZONE_DENY, "the pair back");
	nlc_batch_free(&b);
}

static void dev_settings(void)
{
	struct xm_change c;
	struct xm_msg_info info;
	struct nlc_batch b;
	struct seen s = { 0 };

	memset(&c, 0, sizeof(c));
	c.cmd = XMESH_CMD_DEV_SET;
	snprintf(c.ifname, sizeof(c.ifname), "xmesh0");
	c.e.type = XMESH_A_DEV;
	c.e.dev.mark_mask = 0xffff0000;
	c.e.dev.zone_default = XMESH_ZONE_DENY;
	XM_SET(&c.e.dev, XMESH_DEV_A_MARK_MASK);
	XM_SET(&c.e.dev, XMESH_DEV_A_ZONE_DEFAULT);
	nlc_batch_init(&b, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	is_int(xm_changes_build(&b, 0x20, &c, 1, true, 8), 1, "dev-set built");
	is_int(xm_msg_parse(nlc_batch_msg(&b, 0), &info, collect, &s), 0,
	       "dev-set parses");
	ok(s.has_dev && s.dev.mark_mask == 0xffff0000 &&
	   s.dev.zone_default == XMESH_ZONE_DENY &&
	   XM_HAS(&s.dev, XMESH_DEV_A_MARK_MASK) &&
	   !XM_HAS(&s.dev, XMESH_DEV_A_NODE_ID), "mark mask and default back");
	nlc_batch_free(&b);
}

static void names(void)
{
	char buf[64];
	struct xm_change c;
	struct nlc_batch b;

	is_int(xm_zone_action_parse("deny"), XMESH_ZONE_DENY, "deny");
	is_int(xm_zone_action_parse("allow"), XMESH_ZONE_ALLOW, "allow");
	is_int(xm_zone_action_parse("drop"), -1, "no other action");
	is_str(xm_zone_action_name(XMESH_ZONE_DENY), "deny", "deny's name");
	ok(!xm_zone_action_name(7), "no name for 7");
	is_str(xm_drop_key(XMESH_DROP_A_ZONE_DENIED), "zone_denied",
	       "the drop reason's key");
	is_str(xm_cmd_name(XMESH_CMD_ZONE_PAIR_DEL), "zone-pair-del",
	       "command name");
	is_str(xm_counter_key(XMESH_COUNTER_A_NODE_LIMIT_HITS),
	       "node_limit_hits", "limit hits key");

	/* An extack pointing into a pair names it. */
	memset(&c, 0, sizeof(c));
	c.cmd = XMESH_CMD_ZONE_PAIR_NEW;
	snprintf(c.ifname, sizeof(c.ifname), "xmesh0");
	c.e.type = XMESH_A_ZONE_PAIR;
	c.e.zone_pair.present = XM_BIT(XMESH_ZONE_PAIR_A_FROM);
	nlc_batch_init(&b, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	xm_changes_build(&b, 0x20, &c, 1, true, 8);
	ok(xm_attr_describe(nlc_batch_msg(&b, 0), c.off,
			    XMESH_ZONE_PAIR_A_ACTION, buf, sizeof(buf)) != NULL,
	   "described");
	is_str(buf, "zone-pair.action", "a missing action, named");
	nlc_batch_free(&b);
}

int main(void)
{
	batches();
	dev_settings();
	names();
	return tap_done();
}
