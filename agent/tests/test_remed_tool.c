// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh remediation: its arguments, and what it says without a token or
 * a controller. The log itself is tested against the real server in
 * controller/tests/test_api_remed.c and tests/guest/74-remediation.sh.
 */
#include <stdlib.h>

#include "tool_run.h"

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
