/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the family's commands, attributes, counters, drop reasons and
 * OAM operations, for output and for describing the attribute an error
 * points at.
 */
#ifndef XMESH_NAMES_H
#define XMESH_NAMES_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

/* Text names use dashes ("no-route"), JSON keys underscores ("no_route"). */
const char *xm_counter_name(int type);		/* enum xmesh_counter_a */
const char *xm_counter_key(int type);
const char *xm_drop_name(int type);		/* enum xmesh_drop_a */
const char *xm_drop_key(int type);
const char *xm_oam_op_name(uint8_t op);		/* "echo-reply", NULL */
const char *xm_neigh_state_name(uint8_t state);	/* "up", "down", NULL */
const char *xm_cmd_name(uint8_t cmd);		/* "neigh-new", NULL */
const char *xm_security_name(uint8_t s);	/* "none", "encrypt", NULL */
const char *xm_key_dir_name(uint8_t dir);	/* "tx", "rx", NULL */
const char *xm_zone_action_name(uint8_t a);	/* "allow", "deny", NULL */
/* The enum xmesh_security or xmesh_key_dir value named s, or -1. */
int xm_security_parse(const char *s);
int xm_key_dir_parse(const char *s);
int xm_zone_action_parse(const char *s);

/*
 * Describe the attribute at offset off of request nlh, e.g.
 * "route.nexthop[1].neigh". With miss_type >= 0, off is the nest that
 * lacks attribute miss_type (0 for the message's top level) and the
 * result names the missing one, e.g. "neigh.remote". Returns buf, or
 * NULL if off does not land on an attribute.
 */
const char *xm_attr_describe(const struct nlmsghdr *nlh, uint32_t off,
			     int miss_type, char *buf, size_t len);

#endif /* XMESH_NAMES_H */
