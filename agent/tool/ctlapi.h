/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tool's client of xmesh-controller's operator API
 * (Documentation/controller.md): the controller is $XMESH_CONTROLLER
 * (default http://127.0.0.1:7680), the API token $XMESH_TOKEN or the
 * first line of the file $XMESH_TOKEN_FILE, the site $XMESH_SITE (unset:
 * the default site).
 */
#ifndef XMESH_TOOL_CTLAPI_H
#define XMESH_TOOL_CTLAPI_H

#include <json-c/json.h>
#include <stddef.h>

#include "xmesh_http.h"

#define XM_CTL_DEFAULT_URL	"http://127.0.0.1:7680"

struct ctl_reply {
	long status;
	struct xm_http_body body;
	json_object *json;
};

/*
 * A request: 0 and the reply (its JSON when it is JSON), or an exit
 * status after saying why (an error answer says its location and
 * reason).
 */
int ctl_api(const char *method, const char *path, const char *body,
	    size_t len, struct ctl_reply *r);
void ctl_reply_free(struct ctl_reply *r);
/* A member of the reply's object as a string, "" if absent. */
const char *ctl_member(const struct ctl_reply *r, const char *key);

#endif /* XMESH_TOOL_CTLAPI_H */
