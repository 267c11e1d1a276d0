// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh policy: the local check (the controller's parser), and what the
 * commands that need the controller say without one. The API itself is
 * tested against the real server in controller/tests/test_api.c.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "tool_run.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		exit(1);
}

int main(void)
{
	char dir[] = "/tmp/xmesh-policy-tool.XXXXXX", good[128], bad[128];
	char failing[128], cmd[512];

	if (!mkdtemp(dir))
		return 1;
	snprintf(good, sizeof(good), "%s/good.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	snprintf(failing, sizeof(failing), "%s/failing.json", dir);
	put(good, "{\"filter\": [\"zone iot 1\", \"zone billing 2\", \"policy deny\",\n"
	    "  \"allow from zone iot to zone billing proto udp dport 53\"],\n"
	    " \"tests\": [\"zone iot cannot reach zone billing on tcp/5432\",\n"
	    "           \"zone iot can reach zone billing on udp/53\"]}\n");
	put(bad, "{\"filter\": [\"zone iot 1\"],\n \"max_hops\": 300}\n");
	put(failing, "{\"filter\": [\"zone iot 1\", \"zone billing 2\"],\n"
	    " \"tests\": [\"zone iot cannot reach zone billing on tcp/5432\"]}\n");

	snprintf(cmd, sizeof(cmd), "policy check %s", good);
	expect(cmd, 0, "valid: zones 2 rules 1 tests passed 2",
	       "check: a valid policy, its tests passed");
	snprintf(cmd, sizeof(cmd), "-j policy check %s", good);
	expect(cmd, 0, "\"valid\":true,\"zones\":2,\"rules\":1,\"tests_passed\":2",
	       "check -j");
	snprintf(cmd, sizeof(cmd), "policy check %s", bad);
	expect(cmd, 1, "bad.json: /max_hops: 300 is out of range 0 to 255.",
	       "check: a bad value, with its location");
	snprintf(cmd, sizeof(cmd), "policy check %s", failing);
	expect(cmd, 1, "/tests/0: test \"zone iot cannot reach zone billing on"
	       " tcp/5432\" fails: no rule matches and the policy allows it",
	       "check: a failing test, named");
	snprintf(cmd, sizeof(cmd), "policy check %s/none.json", dir);
	expect(cmd, 1, "none.json: No such file or directory",
	       "check: a missing file");
	expect("policy check", 2, "Usage: xmesh policy check FILE",
	       "check without a file");
	snprintf(cmd, sizeof(cmd), "policy check %s extra", good);
	expect(cmd, 2, "unknown argument \"extra\"", "check: an extra word");
	expect("policy frob", 2, "unknown policy command \"frob\"",
	       "an unknown command");
	expect("policy help", 0, "xmesh policy rollback VERSION", "help");

	unsetenv("XMESH_TOKEN");
	unsetenv("XMESH_TOKEN_FILE");
	expect("policy history", 2, "no API token", "no token: said so");
	setenv("XMESH_TOKEN", "0123", 1);
	setenv("XMESH_CONTROLLER", "http://127.0.0.1:1", 1);
	expect("policy history", 1, "controller http://127.0.0.1:1:",
	       "no controller: said so");
	setenv("XMESH_SITE", "Bad/x", 1);
	expect("policy show", 2, "a site's name",
	       "XMESH_SITE that cannot be a site: refused");
	unsetenv("XMESH_SITE");
	snprintf(cmd, sizeof(cmd), "policy apply %s", bad);
	expect(cmd, 1, "/max_hops", "apply checks locally first");
	expect("policy rollback x", 2, "version", "rollback: not a number");
	expect("policy show version", 2, "unknown argument \"version\"",
	       "show version without a number");

	unlink(good);
	unlink(bad);
	unlink(failing);
	rmdir(dir);
	return tap_done();
}
