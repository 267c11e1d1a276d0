// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh policy: the site policy (Documentation/policy.md) and the
 * controller's API for it (Documentation/controller.md).
 *
 *   check FILE                     validate and run the tests, locally
 *   diff FILE                      against the controller's current version
 *   apply FILE [ expect VERSION ]  check, then make it the next version
 *   show [ version VERSION ]       the document (-j: with its metadata)
 *   history                        every version
 *   rollback VERSION               a new version with an old one's text
 *
 * The controller is $XMESH_CONTROLLER (default http://127.0.0.1:7680), the
 * API token $XMESH_TOKEN or the first line of the file $XMESH_TOKEN_FILE.
 * check uses the controller's own parser (controller/policy.c), so what
 * passes here passes there.
 */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "tool.h"
#include "xmesh_file.h"
#include "xmesh_http.h"

#define DEFAULT_CONTROLLER	"http://127.0.0.1:7680"

static void usage_policy(FILE *fp)
{
	fputs("Usage: xmesh policy check FILE\n"
	      "       xmesh policy diff FILE\n"
	      "       xmesh policy apply FILE [ expect VERSION ]\n"
	      "       xmesh policy show [ version VERSION ]\n"
	      "       xmesh policy history\n"
	      "       xmesh policy rollback VERSION\n"
	      "The controller: $XMESH_CONTROLLER (default "
	      DEFAULT_CONTROLLER "); the API token:\n"
	      "$XMESH_TOKEN or the file $XMESH_TOKEN_FILE. check needs neither.\n"
	      "See Documentation/policy.md.\n", fp);
}

/* The whole of path (free() it), NUL-terminated: NULL after an error. */
static char *read_doc(const char *path, size_t *len)
{
	char *buf = malloc(XM_POLICY_TEXT_MAX + 1);
	ssize_t n;

	if (!buf)
		return NULL;
	n = xm_file_read(path, buf, XM_POLICY_TEXT_MAX, false, NULL);
	if (n < 0) {
		pr_err("%s: %s.", path, n == -EFBIG ? "larger than 256 KiB" :
		       strerror((int)-n));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* ---- HTTP ---- */

struct reply {
	long status;
	struct xm_http_body body;
	json_object *json;
};

static void reply_free(struct reply *r)
{
	xm_http_body_free(&r->body);
	json_object_put(r->json);
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
 * A request to the controller's API: 0 and the reply (its JSON when it
 * is JSON), or an exit status after saying why.
 */
static int api(const char *method, const char *path, const char *body,
	       size_t len, struct reply *r)
{
	const char *base = getenv("XMESH_CONTROLLER");
	char url[1024], auth[160], tok[128];
	struct curl_slist *h = NULL;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	if (token(tok, sizeof(tok)))
		return XM_EXIT_USAGE;
	if (!base || !*base)
		base = DEFAULT_CONTROLLER;
	snprintf(url, sizeof(url), "%s%s", base, path);
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
		reply_free(r);
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
		reply_free(r);
		return XM_EXIT_FAIL;
	}
	return 0;
}

static const char *member(const struct reply *r, const char *key)
{
	json_object *v;

	if (!r->json || !json_object_object_get_ex(r->json, key, &v))
		return "";
	return json_object_get_string(v);
}

/* ---- commands ---- */

static int one_arg(int argc, char **argv, const char *what)
{
	if (argc < 1 || is_help(argv[0])) {
		usage_policy(argc < 1 ? stderr : stdout);
		return argc < 1 ? XM_EXIT_USAGE : XM_HELP;
	}
	if (argc > 1)
		return arg_unknown(argv[1], usage_policy);
	(void)what;
	return 0;
}

static int policy_check(struct ctx *c, int argc, char **argv)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	size_t len;
	char *doc;
	int ret = one_arg(argc, argv, "FILE");

	if (ret)
		return xm_status(ret);
	doc = read_doc(argv[0], &len);
	if (!doc)
		return XM_EXIT_FAIL;
	p = xm_policy_check(doc, len, &err);
	free(doc);
	if (!p) {
		pr_err("%s: %s: %s.", argv[0], err.location, err.reason);
		return XM_EXIT_FAIL;
	}
	out_list_begin(&c->out);
	out_obj_begin(&c->out, NULL);
	out_str(&c->out, "file", "", argv[0]);
	out_bool(&c->out, "valid", "valid:", true);
	out_uint(&c->out, "zones", "zones", p->filter.n_zones);
	out_uint(&c->out, "rules", "rules", p->filter.n_rules);
	out_uint(&c->out, "tests_passed", "tests passed", p->n_tests);
	out_obj_end(&c->out);
	out_nl(&c->out);
	out_list_end(&c->out);
	xm_policy_free(p);
	return XM_EXIT_OK;
}

static int policy_diff(struct ctx *c, int argc, char **argv)
{
	char tmp[] = "/tmp/xmesh-policy.XXXXXX", label[64];
	struct reply r;
	int ret = one_arg(argc, argv, "FILE"), fd, status;
	pid_t pid;

	(void)c;
	if (ret)
		return xm_status(ret);
	ret = api("GET", "/api/v1/policy", NULL, 0, &r);
	if (ret)
		return ret;
	fd = mkstemp(tmp);
	if (fd < 0 || write(fd, member(&r, "policy"),
			    strlen(member(&r, "policy"))) < 0) {
		pr_err("%s: %s.", tmp, strerror(errno));
		reply_free(&r);
		return XM_EXIT_FAIL;
	}
	close(fd);
	snprintf(label, sizeof(label), "version %s", member(&r, "version"));
	reply_free(&r);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		execlp("diff", "diff", "-u", "--label", label, "--label",
		       argv[0], tmp, argv[0], (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = 127 << 8;
	unlink(tmp);
	/* diff's own: 0 the same, 1 different, else trouble. */
	return WIFEXITED(status) ? WEXITSTATUS(status) : XM_EXIT_FAIL;
}

static int policy_apply(struct ctx *c, int argc, char **argv)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	uint32_t expect = 0;
	char path[64] = "/api/v1/policy";
	struct reply r;
	size_t len;
	char *doc;
	int ret;

	if (argc < 1 || is_help(argv[0])) {
		usage_policy(argc < 1 ? stderr : stdout);
		return argc < 1 ? XM_EXIT_USAGE : XM_EXIT_OK;
	}
	if (argc == 3 && !strcmp(argv[1], "expect")) {
		ret = arg_u32("expect", argv[2], 1, UINT32_MAX, &expect);
		if (ret)
			return ret;
		snprintf(path, sizeof(path), "/api/v1/policy?expect=%u", expect);
	} else if (argc > 1) {
		return xm_status(arg_unknown(argv[1], usage_policy));
	}
	doc = read_doc(argv[0], &len);
	if (!doc)
		return XM_EXIT_FAIL;
	/* The same checks as the controller's, before asking it. */
	p = xm_policy_check(doc, len, &err);
	if (!p) {
		pr_err("%s: %s: %s.", argv[0], err.location, err.reason);
		free(doc);
		return XM_EXIT_FAIL;
	}
	xm_policy_free(p);
	ret = api("PUT", path, doc, len, &r);
	free(doc);
	if (ret)
		return ret;
	out_list_begin(&c->out);
	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "version", "version",
		 strtoull(member(&r, "version"), NULL, 10));
	out_bool(&c->out, "changed", NULL, !strcmp(member(&r, "changed"), "true"));
	if (strcmp(member(&r, "changed"), "true"))
		out_text(&c->out, " (unchanged)");
	out_obj_end(&c->out);
	out_nl(&c->out);
	out_list_end(&c->out);
	reply_free(&r);
	return XM_EXIT_OK;
}

static int policy_show(struct ctx *c, int argc, char **argv)
{
	char path[64] = "/api/v1/policy";
	uint32_t version;
	struct reply r;
	int ret;

	if (argc == 2 && !strcmp(argv[0], "version")) {
		ret = arg_u32("version", argv[1], 1, UINT32_MAX, &version);
		if (ret)
			return ret;
		snprintf(path, sizeof(path), "/api/v1/policy?version=%u",
			 version);
	} else if (argc > 0) {
		return xm_status(arg_unknown(argv[0], usage_policy));
	}
	ret = api("GET", path, NULL, 0, &r);
	if (ret)
		return ret;
	if (c->json) {
		out_list_begin(&c->out);
		out_json(&c->out, NULL, r.json);
		out_list_end(&c->out);
	} else {
		fputs(member(&r, "policy"), stdout);
	}
	reply_free(&r);
	return XM_EXIT_OK;
}

static int policy_history(struct ctx *c, int argc, char **argv)
{
	json_object *versions;
	struct reply r;
	size_t i, n;
	int ret;

	if (argc > 0)
		return xm_status(arg_unknown(argv[0], usage_policy));
	ret = api("GET", "/api/v1/policy/history", NULL, 0, &r);
	if (ret)
		return ret;
	if (!r.json || !json_object_object_get_ex(r.json, "versions",
						  &versions)) {
		pr_err("the controller's answer has no versions.");
		reply_free(&r);
		return XM_EXIT_FAIL;
	}
	n = json_object_array_length(versions);
	out_list_begin(&c->out);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(versions, i), *v;
		char when[32] = "";
		time_t t;
		struct tm tm;

		out_obj_begin(&c->out, NULL);
#define FIELD(k) (json_object_object_get_ex(e, k, &v) ? v : NULL)
		out_uint(&c->out, "version", "version",
			 (uint64_t)json_object_get_int64(FIELD("version")));
		out_str(&c->out, "author", "author",
			json_object_get_string(FIELD("author")));
		t = (time_t)json_object_get_int64(FIELD("created"));
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		out_str(&c->out, NULL, "created", when);
		out_uint(&c->out, "created", NULL, (uint64_t)t);
		if (json_object_get_int64(FIELD("rollback_of")))
			out_uint(&c->out, "rollback_of", "restores",
				 (uint64_t)json_object_get_int64(FIELD("rollback_of")));
#undef FIELD
		out_obj_end(&c->out);
		out_nl(&c->out);
	}
	out_list_end(&c->out);
	reply_free(&r);
	return XM_EXIT_OK;
}

static int policy_rollback(struct ctx *c, int argc, char **argv)
{
	char body[64];
	uint32_t version;
	struct reply r;
	int ret = one_arg(argc, argv, "VERSION");

	if (ret)
		return xm_status(ret);
	ret = arg_u32("version", argv[0], 1, UINT32_MAX, &version);
	if (ret)
		return ret;
	snprintf(body, sizeof(body), "{\"version\": %u}", version);
	ret = api("POST", "/api/v1/policy/rollback", body, strlen(body), &r);
	if (ret)
		return ret;
	out_list_begin(&c->out);
	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "version", "version",
		 strtoull(member(&r, "version"), NULL, 10));
	out_uint(&c->out, "restores", "restores", version);
	out_obj_end(&c->out);
	out_nl(&c->out);
	out_list_end(&c->out);
	reply_free(&r);
	return XM_EXIT_OK;
}

static const struct cmd policy_cmds[] = {
	{ "check", NULL, policy_check, CMD_RUN },
	{ "diff", NULL, policy_diff, CMD_RUN },
	{ "apply", NULL, policy_apply, CMD_RUN },
	{ "show", NULL, policy_show, CMD_RUN },
	{ "history", NULL, policy_history, CMD_RUN },
	{ "rollback", NULL, policy_rollback, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_policy(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, policy_cmds, "policy command", NULL,
			    usage_policy, argc, argv);
}
