/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thin client of the xmesh generic-netlink family, on libmnl: resolves
 * the family and its multicast groups, reads devices, neighbors, routes
 * and prefixes into typed structs (xmesh_obj.h), sends requests and
 * receives events. Changes, batched, are in xmesh_change.h.
 *
 * Functions return 0 or a negative errno. Those taking a struct
 * nlc_error fill it, when not NULL, with what the kernel said (extack
 * message, offending attribute, described in err->attr).
 *
 * One request path serves every object: xmnl_dump(), xmnl_get() and
 * xmnl_request() put the device and at most one xm_entry (xmnl_request()
 * a flag attribute too), and hand back the reply's nests as xm_entry
 * values. A new object (as QoS did: see xmesh_qos.c) adds its struct to
 * xm_entry's union, its put and parse to xmesh_obj.c (in the shape of the
 * others, and to xm_entry_put() and entry_parse()), its GET command to
 * get_nest() in xmesh_nl.c, and wraps these calls: no request code.
 */
#ifndef XMESH_NL_H
#define XMESH_NL_H

#include <linux/genetlink.h>

#include "nl_core.h"
#include "xmesh_obj.h"

#define XMNL_MAX_GROUPS	8
#define XMNL_DUMP_TRIES	5	/* a dump racing with changes is retried */

struct xmnl_group {
	char name[GENL_NAMSIZ];
	uint32_t id;
};

struct xmnl {
	struct nlc_sock sock;
	uint16_t family;		/* resolved family id */
	uint32_t version;		/* the module's family version */
	unsigned int n_groups;
	struct xmnl_group groups[XMNL_MAX_GROUPS];
};

/*
 * -ENOENT: no "xmesh" family, i.e. the module is not loaded;
 * -EPROTONOSUPPORT: the module's family version is older than ours
 * (xmnl_version_check). xmnl_strerror() says either to an operator.
 */
int xmnl_open(struct xmnl *h);
/* 0 when the module (h->version) serves our XMESH_GENL_VERSION requests. */
int xmnl_version_check(const struct xmnl *h);
/* xmnl_open()'s error, for an operator. */
const char *xmnl_strerror(int err);
void xmnl_close(struct xmnl *h);
int xmnl_fd(const struct xmnl *h);
/* Join a multicast group by name (XMESH_MCGRP_*); -ENOENT if unknown. */
int xmnl_join(struct xmnl *h, const char *group);
/* Parse a CTRL_CMD_GETFAMILY reply into h's family, version and groups. */
int xmnl_parse_family(const struct nlmsghdr *nlh, struct xmnl *h);

/* Start a family request: netlink and genl headers, NLM_F_REQUEST. */
struct nlmsghdr *xmnl_msg_start(struct nlc_batch *b, uint16_t family,
				uint8_t cmd, uint16_t flags);

/* Fill err->attr from the request the error is about. */
void xmnl_describe(const struct nlmsghdr *req, struct nlc_error *err);

/* A growable array of parsed nests. */
struct xm_list {
	struct xm_entry *v;
	size_t n, cap;
};
int xm_list_add(struct xm_list *l, const struct xm_entry *e);
void xm_list_free(struct xm_list *l);

/*
 * Dump a table: cmd is XMESH_CMD_DEV_GET (every device: ifindex 0 and
 * ifname NULL), _NEIGH_GET, _ROUTE_GET, _PREFIX_GET, _KEY_GET, _QOS_GET
 * or _QOS_RULE_GET; cb gets each entry
 * as it arrives (a negative return is the dump's error). A dump that
 * changes interrupted (NLM_F_DUMP_INTR) is started over, after
 * restart(data) (may be NULL) forgot what cb kept, up to XMNL_DUMP_TRIES
 * times; then it fails with -EINTR.
 */
int xmnl_dump_cb(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
		 const char *ifname, xm_entry_cb cb, void (*restart)(void *),
		 void *data, struct nlc_error *err);
/* The same, appending the entries to out (left as it was on failure). */
int xmnl_dump(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
	      const char *ifname, struct xm_list *out, struct nlc_error *err);
/* Get the entries named by key (may be NULL), as a "do" request. */
int xmnl_get(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
	     const char *ifname, const struct xm_entry *key,
	     struct xm_list *out, struct nlc_error *err);
int xmnl_dev_get(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 struct xm_dev *out, struct nlc_error *err);
/*
 * One acked request with at most one nest (e may be NULL), e.g.
 * XMESH_CMD_OAM_SEND, and a flag attribute (XMESH_A_REPLACE, _FLUSH)
 * unless flag is 0.
 */
int xmnl_request(struct xmnl *h, uint8_t cmd, uint16_t flags, uint16_t flag,
		 uint32_t ifindex, const char *ifname,
		 const struct xm_entry *e, struct nlc_error *err);

/* Called for each nest of each event; a negative return stops. */
typedef int (*xmnl_event_cb)(const struct xm_msg_info *info,
			     const struct xm_entry *e, void *data);
/*
 * Wait up to timeout_ms (-1: forever) for events on a socket that joined
 * groups, and pass them to cb. Returns 1 when a datagram was handled, 0
 * on timeout, -ENOBUFS when events were lost (the socket stays usable),
 * -EINTR on a signal, or cb's error.
 */
int xmnl_events(struct xmnl *h, int timeout_ms, xmnl_event_cb cb,
		void *data);
/* Handle one received datagram of events (exposed for tests). */
int xmnl_events_datagram(const struct xmnl *h, const void *buf, size_t len,
			 xmnl_event_cb cb, void *data);

#endif /* XMESH_NL_H */
