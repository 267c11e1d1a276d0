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
 * Capture what the code under test writes to a descriptor (stdout, or
 * stderr: its error messages), to check it instead of letting it clutter
 * the output.
 */
struct tap_cap {
	int fd;			/* captured */
	int file, saved;	/* where it goes meanwhile; the original */
};

__attribute__((unused)) static void tap_cap_begin(struct tap_cap *c, int fd)
{
	FILE *f = tmpfile();

	fflush(stdout);
	fflush(stderr);
	c->fd = fd;
	c->file = dup(fileno(f));
	fclose(f);
	c->saved = dup(fd);
	dup2(c->file, fd);
}

/* What was written, in buf (NUL-terminated, cut at size - 1). */
__attribute__((unused)) static const char *tap_cap_end(struct tap_cap *c,
							char *buf, size_t size)
{
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	lseek(c->file, 0, SEEK_SET);
	n = read(c->file, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(c->file);
	return buf;
}

/* The common case: stderr. */
static struct tap_cap cap_stderr;
static char cap_buf[4096];

__attribute__((unused)) static void cap_begin(void)
{
	tap_cap_begin(&cap_stderr, STDERR_FILENO);
}

__attribute__((unused)) static const char *cap_end(void)
{
	return tap_cap_end(&cap_stderr, cap_buf, sizeof(cap_buf));
}

#endif /* XMESH_TAP_H */
