// SPDX-License-Identifier: GPL-2.0
/* A signed request to xmesh-controller (controller_client.h). */
#include "controller_client.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent_auth.h"
#include "config.h"		/* XMD_PATH_MAX */

static char controller_ca[XMD_PATH_MAX];

void xmd_controller_ca_set(const char *path)
{
	snprintf(controller_ca, sizeof(controller_ca), "%s", path ? path : "");
}

void xmd_controller_cert_b64(const struct xm_cert *cert,
			     char out[XMD_CERT_B64_MAX])
{
	sodium_bin2base64(out, XMD_CERT_B64_MAX, cert->raw, cert->len,
			  sodium_base64_VARIANT_ORIGINAL);
}

/*
 * A controller URL that ends in a site's API root, .../api/v1/sites/NAME
 * (Documentation/controller.md, "Sites"): the agent's requests go under
 * it, /api/v1/agent/X as /api/v1/sites/NAME/agent/X, and that is the path
 * signed. The path to sign in out and the length of url before it in
 * *origin; any other URL: path as it is, and all of url.
 */
static void site_path(const char *url, const char *path, char *out,
		      size_t len, size_t *origin)
{
	static const char root[] = "/api/v1/sites/";
	const char *host = strstr(url, "://");
	const char *base = host ? strchr(host + 3, '/') : NULL;

	*origin = strlen(url);
	if (!base || strncmp(base, root, sizeof(root) - 1) ||
	    !base[sizeof(root) - 1] || strchr(base + sizeof(root) - 1, '/') ||
	    strncmp(path, "/api/v1/", 8)) {
		snprintf(out, len, "%s", path);
		return;
	}
	*origin = (size_t)(base - url);
	snprintf(out, len, "%s%s", base, path + 7);
}

CURL *xmd_controller_easy(const char *url, const uint8_t *sk,
			  const char *cert_b64, const char *method,
			  const char *path, const char *body,
			  long timeout_s, struct xm_http_body *out,
			  struct curl_slist **hdrs)
{
	char full[1024], h[4][256], t[21], nonce_hex[33], sig[129];
	char signed_path[768];
	size_t origin;
	char cert_hdr[XMD_CERT_B64_MAX + 32];
	uint8_t nonce[XM_AGENT_NONCE_LEN];
	size_t blen = body ? strlen(body) : 0;
	CURL *e = curl_easy_init();
	int i;

	*hdrs = NULL;
	if (!e)
		return NULL;
	randombytes_buf(nonce, sizeof(nonce));
	site_path(url, path, signed_path, sizeof(signed_path), &origin);
	xm_agent_auth_sign(sk, method, signed_path, body, blen,
			   (int64_t)time(NULL), nonce, t, nonce_hex, sig);
	snprintf(full, sizeof(full), "%.*s%s", (int)origin, url, signed_path);
	snprintf(cert_hdr, sizeof(cert_hdr), "%s: %s", XM_AGENT_HDR_CERT,
		 cert_b64);
	snprintf(h[0], sizeof(h[0]), "%s: %s", XM_AGENT_HDR_TIME, t);
	snprintf(h[1], sizeof(h[1]), "%s: %s", XM_AGENT_HDR_NONCE, nonce_hex);
	snprintf(h[2], sizeof(h[2]), "%s: %s", XM_AGENT_HDR_SIG, sig);
	snprintf(h[3], sizeof(h[3]), "Content-Type: application/json");
	*hdrs = curl_slist_append(*hdrs, cert_hdr);
	for (i = 0; i < 4; i++)
		*hdrs = curl_slist_append(*hdrs, h[i]);
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	curl_easy_setopt(e, CURLOPT_URL, full);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xm_http_collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (controller_ca[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, controller_ca);
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)blen);
	}
	return e;
}

/* ---- several controllers ---- */

int xmd_controllers_parse(struct xmd_controllers *c, const char *list)
{
	const char *p = list;

	memset(c, 0, sizeof(*c));
	for (;;) {
		size_t n;

		p += strspn(p, " \t");
		if (!*p)
			break;
		n = strcspn(p, " \t");
		if (c->n == XMD_CONTROLLERS_MAX || n >= XMD_CONTROLLER_URL_MAX)
			return -1;
		memcpy(c->url[c->n], p, n);
		if (n > 1 && p[n - 1] == '/')
			n--;	/* the paths start with one */
		c->url[c->n][n] = '\0';
		c->n++;
		p += strcspn(p, " \t");
	}
	return c->n ? 0 : -1;
}

const char *xmd_controllers_url(struct xmd_controllers *c, int64_t now)
{
	if (!c->since)
		c->since = now;
	if (c->cur && now - c->since >= XMD_CONTROLLER_RETURN_S) {
		c->cur = 0;
		c->since = now;
		c->returns++;
	}
	return c->url[c->cur];
}

bool xmd_controllers_failed(struct xmd_controllers *c, int64_t now)
{
	c->failed++;
	if (c->n > 1) {
		c->cur = (c->cur + 1) % c->n;
		c->since = now;
		c->failovers++;
	}
	return c->failed >= c->n;
}

void xmd_controllers_ok(struct xmd_controllers *c)
{
	c->failed = 0;
}

bool xmd_controller_unavailable(long status)
{
	return status == -1 || status >= 500;
}
