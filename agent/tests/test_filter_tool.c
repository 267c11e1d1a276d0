// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh filter add, del and replace on the rules file xmeshd reads: the
 * tool edits the file and has xmeshd (a stand-in serving a control
 * socket, ctl_fake.h) install it, puts the file back when xmeshd refuses
 * it, and changes nothing while a policy's filter is in force.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "ctl_fake.h"
#include "tool_run.h"

static char dir[] = "/tmp/xmd-filter-XXXXXX";
static char sock_path[108], rules_path[128], flag_path[128], log_path[128];

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* The whole of a small file, "" if there is none. */
static const char *file_text(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

	if (fp)
		fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* "xmesh -S SOCK filter ARGS" exits with status, prints want, and leaves
 * the rules file with rules and the stand-in's reloads with reloads. */
static void edit(const char *args, int status, const char *want,
		 const char *rules, const char *reloads, const char *name)
{
	char full[400];
	const char *got;

	snprintf(full, sizeof(full), "-S %s filter %s", sock_path, args);
	expect(full, status, want, name);
	got = file_text(rules_path);
	if (!ok(!strcmp(got, rules), "%s: the file", name))
		printf("#   file: %s#   want: %s", got, rules);
	got = file_text(log_path);
	if (!ok(!strcmp(got, reloads), "%s: xmeshd's reloads", name))
		printf("#   reloads: %s#   want: %s", got, reloads);
}

/* One edit: "filter ARGS", with %s the rules file, while a policy's filter
 * is in force or not, and what it must leave. */
static const struct edit_case {
	const char *args;
	bool policy;
	int status;
	const char *want, *rules, *reloads, *name;
	const char *also;	/* printed too; NULL: nothing more */
} cases[] = {
	{ "add deny proto udp dport 53 file %s", false, 0, "",
	  "allow proto icmp\ndeny proto udp dport 53\n", "reload 2\n",
	  "add: the file edited, xmeshd installs it", NULL },
	{ "del 1 file %s", false, 0, "", "deny proto udp dport 53\n",
	  "reload 2\nreload 1\n", "del: the file edited, xmeshd installs it", NULL },
	{ "add deny proto udp dport 666 file %s", false, 1,
	  "filter.rules is put back as it was", "deny proto udp dport 53\n",
	  "reload 2\nreload 1\n",
	  "add refused by xmeshd: the file put back, and why",
	  "xmeshd: nftables: the stand-in refuses port 666." },
	{ "add alow proto tcp file %s", false, 2, "unknown",
	  "deny proto udp dport 53\n", "reload 2\nreload 1\n",
	  "add of a rule that does not parse: refused before xmeshd", NULL },
	{ "replace %s", false, 0, "", "deny proto udp dport 53\n",
	  "reload 2\nreload 1\nreload 1\n",
	  "replace with xmeshd's file: xmeshd installs it", NULL },
	{ "add deny proto tcp file %s", true, 1, "policy version 7",
	  "deny proto udp dport 53\n", "reload 2\nreload 1\nreload 1\n",
	  "add while a policy's filter is in force: nothing changed", NULL },
	{ "del 1 file %s", true, 1, "change the site policy",
	  "deny proto udp dport 53\n", "reload 2\nreload 1\nreload 1\n",
	  "del while a policy's filter is in force: nothing changed", NULL },
};

static void tests(void)
{
	char args[256];
	size_t i;

	put_file(rules_path, "allow proto icmp\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct edit_case *e = &cases[i];

		if (e->policy)
			put_file(flag_path, "");
		else
			unlink(flag_path);
		snprintf(args, sizeof(args), e->args, rules_path);
		edit(args, e->status, e->want, e->rules, e->reloads, e->name);
		if (e->also && !ok(strstr(err_buf, e->also) != NULL, "%s: says %s",
				   e->name, e->also))
			printf("#   stderr: %s", err_buf);
	}
	unlink(flag_path);
}

int main(void)
{
	pid_t server;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/x.sock", dir);
	snprintf(rules_path, sizeof(rules_path), "%s/filter.rules", dir);
	snprintf(flag_path, sizeof(flag_path), "%s/policy", dir);
	snprintf(log_path, sizeof(log_path), "%s/reloads", dir);
	fake_filter_file = rules_path;
	fake_policy_flag = flag_path;
	fake_reload_log = log_path;
	server = fake_server_start(sock_path);
	if (!ok(server > 0, "the stand-in agent listens"))
		return tap_done();
	tests();
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	unlink(sock_path);
	unlink(rules_path);
	unlink(log_path);
	rmdir(dir);
	return tap_done();
}
