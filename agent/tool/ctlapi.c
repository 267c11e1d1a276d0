// SPDX-License-Identifier: GPL-2.0
/* The controller's operator API, for the tool (ctlapi.h). */
#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ctlapi.h"
#include "tool.h"
#include "xmesh_file.h"

void ctl_reply_free(struct ctl_reply *r)
{
	xm_http_body_free(&r->body);
	json_object_put(r->json);
	r->json = NULL;
}

static int token(char *out, size_t size)
{
	const char *t = getenv("XMESH_TOKEN"), *f = getenv("XMESH_TOKEN_FILE");
	ssize_t n;

	if (t && *t) {
		snprintf(out, size, "%s", t);
		return 0;
	}
	if (!f || !*f) {
		pr_err("no API token: set XMESH_TOKEN or XMESH_TOKEN_FILE.");
		return -1;
	}
	n = xm_file_read(f, out, size - 1, false, NULL);
	if (n < 0) {
		pr_err("%s: %s.", f, strerror((int)-n));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/*
 * The URL of path on base, on the site $XMESH_SITE names if it does
 * (Documentation/controller.md, "Sites"): /api/v1/X as
 * /api/v1/sites/SITE/X. 0, or -1 if the site's name cannot be one.
 */
static int site_url(char *url, size_t size, const char *base,
		    const char *path)
{
	const char *site = getenv("XMESH_SITE");

	if (!site || !*site || strncmp(path, "/api/v1/", 8)) {
		snprintf(url, size, "%s%s", base, path);
		return 0;
	}
	if (strlen(site) > 31 || strspn(site, "abcdefghijklmnopqrstuvwxyz"
				       "0123456789-_") != strlen(site)) {
		pr_err("XMESH_SITE \"%s\": a site's name is 1 to 31 of"
		       " a-z 0-9 - _.", site);
		return -1;
	}
	snprintf(url, size, "%s/api/v1/sites/%s%s", base, site, path + 7);
	return 0;
}

int ctl_api(const char *method, const char *path, const char *body,
	    size_t len, struct ctl_reply *r)
{
	const char *base = getenv("XMESH_CONTROLLER");
	const char *ca = getenv("XMESH_CONTROLLER_CA");
	char url[1024], auth[160], tok[128];
	struct curl_slist *h = NULL;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	if (token(tok, sizeof(tok)))
		return XM_EXIT_USAGE;
	if (!base || !*base)
		base = XM_CTL_DEFAULT_URL;
	if (site_url(url, sizeof(url), base, path)) {
		sodium_memzero(tok, sizeof(tok));
		return XM_EXIT_USAGE;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	c = curl_easy_init();
	if (!c) {
		pr_err("cannot start an HTTP client.");
		return XM_EXIT_FAIL;
	}
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xm_http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (ca && *ca)		/* a site's own CA, for https:// */
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	sodium_memzero(tok, sizeof(tok));
	if (rc != CURLE_OK) {
		pr_err("controller %s: %s.", base, curl_easy_strerror(rc));
		ctl_reply_free(r);
		return XM_EXIT_FAIL;
	}
	if (r->body.data)
		r->json = json_tokener_parse(r->body.data);
	if (r->status >= 300) {
		json_object *e, *loc, *why;

		if (r->json && json_object_object_get_ex(r->json, "error", &e) &&
		    json_object_object_get_ex(e, "location", &loc) &&
		    json_object_object_get_ex(e, "reason", &why))
			pr_err("%s: %s (HTTP %ld).", json_object_get_string(loc),
			       json_object_get_string(why), r->status);
		else
			pr_err("the controller answered HTTP %ld.", r->status);
		ctl_reply_free(r);
		return XM_EXIT_FAIL;
	}
	return 0;
}

const char *ctl_member(const struct ctl_reply *r, const char *key)
{
	json_object *v;

	if (!r->json || !json_object_object_get_ex(r->json, key, &v))
		return "";
	return json_object_get_string(v);
}
