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
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctlapi.h"
#include "policy.h"
#include "tool.h"
#include "xmesh_file.h"

static void usage_policy(FILE *fp)
{
	fputs("Usage: xmesh policy check FILE\n"
	      "       xmesh policy diff FILE\n"
	      "       xmesh policy apply FILE [ expect VERSION ]\n"
	      "       xmesh policy show [ version VERSION ]\n"
	      "       xmesh policy history\n"
	      "       xmesh policy rollback VERSION\n"
	      "The controller: $XMESH_CONTROLLER (default "
	      XM_CTL_DEFAULT_URL "); the API token:\n"
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
	struct ctl_reply r;
	int ret = one_arg(argc, argv, "FILE"), fd, status;
	pid_t pid;

	(void)c;
	if (ret)
		return xm_status(ret);
	ret = ctl_api("GET", "/api/v1/policy", NULL, 0, &r);
	if (ret)
		return ret;
	fd = mkstemp(tmp);
	if (fd < 0 || write(fd, ctl_member(&r, "policy"),
			    strlen(ctl_member(&r, "policy"))) < 0) {
		pr_err("%s: %s.", tmp, strerror(errno));
		ctl_reply_free(&r);
		return XM_EXIT_FAIL;
	}
	close(fd);
	snprintf(label, sizeof(label), "version %s", ctl_member(&r, "version"));
	ctl_reply_free(&r);
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
	struct ctl_reply r;
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
	ret = ctl_api("PUT", path, doc, len, &r);
	free(doc);
	if (ret)
		return ret;
	out_list_begin(&c->out);
	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "version", "version",
		 strtoull(ctl_member(&r, "version"), NULL, 10));
	out_bool(&c->out, "changed", NULL, !strcmp(ctl_member(&r, "changed"), "true"));
	if (strcmp(ctl_member(&r, "changed"), "true"))
		out_text(&c->out, " (unchanged)");
	out_obj_end(&c->out);
	out_nl(&c->out);
	out_list_end(&c->out);
	ctl_reply_free(&r);
	return XM_EXIT_OK;
}

static int policy_show(struct ctx *c, int argc, char **argv)
{
	char path[64] = "/api/v1/policy";
	uint32_t version;
	struct ctl_reply r;
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
	ret = ctl_api("GET", path, NULL, 0, &r);
	if (ret)
		return ret;
	if (c->json) {
		out_list_begin(&c->out);
		out_json(&c->out, NULL, r.json);
		out_list_end(&c->out);
	} else {
		fputs(ctl_member(&r, "policy"), stdout);
	}
	ctl_reply_free(&r);
	return XM_EXIT_OK;
}

/* One page of the history, newest first, from before (0: the newest):
 * printed, *before set to the next page's (0: none left). */
static int history_page(struct ctx *c, uint64_t *before)
{
	json_object *versions, *next;
	struct ctl_reply r;
	char path[96];
	size_t i, n;
	int ret;

	snprintf(path, sizeof(path), "/api/v1/policy/history?limit=1000%s%.0llu",
		 *before ? "&before=" : "", (unsigned long long)*before);
	ret = ctl_api("GET", path, NULL, 0, &r);
	if (ret)
		return ret;
	if (!r.json || !json_object_object_get_ex(r.json, "versions",
						  &versions)) {
		pr_err("the controller's answer has no versions.");
		ctl_reply_free(&r);
		return XM_EXIT_FAIL;
	}
	n = json_object_array_length(versions);
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
	/* A cursor that does not move down would loop forever. */
	if (n && json_object_object_get_ex(r.json, "next", &next) &&
	    (uint64_t)json_object_get_int64(next) < (*before ?: UINT64_MAX))
		*before = (uint64_t)json_object_get_int64(next);
	else
		*before = 0;
	ctl_reply_free(&r);
	return XM_EXIT_OK;
}

static int policy_history(struct ctx *c, int argc, char **argv)
{
	uint64_t before = 0;
	int ret;

	if (argc > 0)
		return xm_status(arg_unknown(argv[0], usage_policy));
	out_list_begin(&c->out);
	do {
		ret = history_page(c, &before);
	} while (!ret && before);
	out_list_end(&c->out);
	return ret;
}

static int policy_rollback(struct ctx *c, int argc, char **argv)
{
	char body[64];
	uint32_t version;
	struct ctl_reply r;
	int ret = one_arg(argc, argv, "VERSION");

	if (ret)
		return xm_status(ret);
	ret = arg_u32("version", argv[0], 1, UINT32_MAX, &version);
	if (ret)
		return ret;
	snprintf(body, sizeof(body), "{\"version\": %u}", version);
	ret = ctl_api("POST", "/api/v1/policy/rollback", body, strlen(body), &r);
	if (ret)
		return ret;
	out_list_begin(&c->out);
	out_obj_begin(&c->out, NULL);
	out_uint(&c->out, "version", "version",
		 strtoull(ctl_member(&r, "version"), NULL, 10));
	out_uint(&c->out, "restores", "restores", version);
	out_obj_end(&c->out);
	out_nl(&c->out);
	out_list_end(&c->out);
	ctl_reply_free(&r);
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
