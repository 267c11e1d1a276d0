/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP for the unit tests: "ok N - name" / "not ok N - name". */
#ifndef XMESH_TAP_H
#define XMESH_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static bool ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	fflush(stderr);
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!pass)
		tap_failed++;
	return pass;
}

__attribute__((unused)) static bool is_str(const char *got, const char *want, const char *name)
{
	bool pass = got && want && !strcmp(got, want);

	ok(pass, "%s", name);
	if (!pass)
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n",
		       got ? got : "(null)", want ? want : "(null)");
	return pass;
}

__attribute__((unused)) static bool is_int(long long got, long long want, const char *name)
{
	bool pass = got == want;

	ok(pass, "%s", name);
	if (!pass)
		printf("#   got %lld, want %lld\n", got, want);
	return pass;
}

static int tap_done(void)
{
	return tap_failed ? 1 : 0;
}

/*
 * Capture what the code under test writes to stderr (its error
 * messages), to check them instead of letting them clutter the output.
 */
static int cap_fd = -1, cap_saved = -1;
static char cap_buf[4096];

__attribute__((unused)) static void cap_begin(void)
{
	FILE *f = tmpfile();

	fflush(stderr);
	cap_fd = dup(fileno(f));
	fclose(f);
	cap_saved = dup(STDERR_FILENO);
	dup2(cap_fd, STDERR_FILENO);
}

__attribute__((unused)) static const char *cap_end(void)
{
	ssize_t n;

	fflush(stderr);
	dup2(cap_saved, STDERR_FILENO);
	close(cap_saved);
	lseek(cap_fd, 0, SEEK_SET);
	n = read(cap_fd, cap_buf, sizeof(cap_buf) - 1);
	cap_buf[n > 0 ? n : 0] = '\0';
	close(cap_fd);
	return cap_buf;
}

#endif /* XMESH_TAP_H */
