// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh remediation: its arguments, and what it says without a token or
 * a controller. The log itself is tested against the real server in
 * controller/tests/test_api_remed.c and tests/guest/74-remediation.sh.
 */
#include <stdlib.h>

#include "tap.h"
#include "tool.h"

static char out_buf[8192], err_buf[4096];

/* Run "xmesh ARGS" (split at blanks): its status, stdout and stderr. */
static int run(const char *args)
{
	char line[512], *argv[16], *p;
	struct tap_cap out, err;
	int argc = 0, ret;
	struct ctx c;

	snprintf(line, sizeof(line), "xmesh %s", args);
	for (p = strtok(line, " "); p && argc < 15; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	tap_cap_begin(&out, STDOUT_FILENO);
	tap_cap_begin(&err, STDERR_FILENO);
	ctx_init(&c);
	ret = xm_main(&c, argc, argv);
	ctx_free(&c);
	tap_cap_end(&err, err_buf, sizeof(err_buf));
	tap_cap_end(&out, out_buf, sizeof(out_buf));
	return ret;
}

static void expect(const char *args, int status, const char *want,
		   const char *name)
{
	int ret = run(args);
	bool pass = ret == status &&
		    (strstr(out_buf, want) || strstr(err_buf, want));

	ok(pass, "%s", name);
	if (!pass)
		printf("#   xmesh %s: %d\n#   out: %s\n#   err: %s\n", args, ret,
		       out_buf, err_buf);
}

int main(void)
{
	expect("remediation help", 0, "xmesh remediation log [ limit N ]",
	       "help");
	expect("remediation frob", 2, "unknown remediation command \"frob\"",
	       "an unknown command");
	expect("remediation log limit 0", 2, "limit", "limit 0");
	expect("remediation log limit 1001", 2, "limit", "limit above 1000");
	expect("remediation log limit", 2, "unknown argument \"limit\"",
	       "limit without a number");
	expect("remediation log before x", 2, "before", "before not a number");
	expect("remediation log since 3", 2, "unknown argument \"since\"",
	       "an unknown argument");
	unsetenv("XMESH_TOKEN");
	unsetenv("XMESH_TOKEN_FILE");
	expect("remediation log", 2, "no API token", "no token: said so");
	setenv("XMESH_TOKEN", "0123", 1);
	setenv("XMESH_CONTROLLER", "http://127.0.0.1:1", 1);
	expect("remediation log limit 5 before 9", 1,
	       "controller http://127.0.0.1:1:", "no controller: said so");
	expect("-j remediation log", 1, "controller http://127.0.0.1:1:",
	       "-j: the same");
	return tap_done();
}
