/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the xmesh tool in a test (test_*_tool.c): xm_main() on a command
 * line, its stdout in out_buf and its stderr in err_buf.
 */
#ifndef XMD_TEST_TOOL_RUN_H
#define XMD_TEST_TOOL_RUN_H

#include <string.h>

#include "tap.h"
#include "tool.h"

static char out_buf[16384], err_buf[4096];

/* Run "xmesh ARGS" (words split at blanks): its exit status. */
__attribute__((unused)) static int run(const char *args)
{
	char line[512], *argv[32], *p;
	struct tap_cap out, err;
	int argc = 0, ret;
	struct ctx c;

	snprintf(line, sizeof(line), "xmesh %s", args);
	for (p = strtok(line, " "); p && argc < 31; p = strtok(NULL, " "))
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

/* "xmesh ARGS" exits with @status and prints @want (stdout or stderr). */
__attribute__((unused)) static void expect(const char *args, int status,
					   const char *want, const char *name)
{
	int ret = run(args);

	if (!ok(ret == status && (strstr(out_buf, want) ||
				  strstr(err_buf, want)), "%s", name))
		printf("#   xmesh %s: status %d (want %d)\n#   stdout: %s\n"
		       "#   stderr: %s\n#   want: %s\n", args, ret, status,
		       out_buf, err_buf, want);
}

/* One run of the tool and what it must exit with and print. */
struct tool_case {
	const char *args;
	int status;
	const char *want, *name;
};

/* expect() each case, after "-S @sock" if @sock is not NULL. */
__attribute__((unused)) static void expect_cases(const char *sock,
						 const struct tool_case *c,
						 size_t n)
{
	char full[512];

	for (; n; n--, c++) {
		if (sock)
			snprintf(full, sizeof(full), "-S %s %s", sock, c->args);
		else
			snprintf(full, sizeof(full), "%s", c->args);
		expect(full, c->status, c->want, c->name);
	}
}

#endif
