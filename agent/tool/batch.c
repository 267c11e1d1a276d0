// SPDX-License-Identifier: GPL-2.0
/*
 * -batch FILE: one command per line, as "ip -batch". Changes are queued
 * (ctx_submit) and go in together when a command that must see them
 * comes, or at the end: as few round trips as the file allows.
 */
#include "tool.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX_WORDS	512

int split_line(char *line, char **argv, int max)
{
	char *p = line, *out, *next;
	int argc = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = out = p;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				while (*p && *p != q)
					*out++ = *p++;
				if (!*p)
					return -1;	/* unterminated */
				p++;
			} else {
				*out++ = *p++;
			}
		}
		next = *p ? p + 1 : p;
		*out = '\0';
		p = next;
	}
}

/* Read one command, joining lines that end in a backslash. */
static ssize_t read_command(FILE *f, char **buf, size_t *cap,
			    unsigned long *lineno, unsigned long *first)
{
	char *line = NULL;
	size_t lcap = 0, len = 0;
	ssize_t n;
	bool more = true;

	*first = *lineno + 1;
	if (*buf)
		(*buf)[0] = '\0';
	while (more && (n = getline(&line, &lcap, f)) >= 0) {
		(*lineno)++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		more = n > 0 && line[n - 1] == '\\';
		if (more)
			line[--n] = '\0';
		if (len + (size_t)n + 2 > *cap) {
			size_t ncap = (len + (size_t)n + 2) * 2;
			char *nb = realloc(*buf, ncap);

			if (!nb) {
				free(line);
				return -1;
			}
			*buf = nb;
			*cap = ncap;
		}
		memcpy(*buf + len, line, (size_t)n);
		len += (size_t)n;
		(*buf)[len++] = ' ';
		(*buf)[len] = '\0';
	}
	free(line);
	return *lineno >= *first ? (ssize_t)len : -1;
}

int run_batch(struct ctx *c, const char *file)
{
	unsigned long lineno = 0, first;
	char *argv[BATCH_MAX_WORDS];
	bool failed = false;
	char *buf = NULL;
	size_t cap = 0;
	FILE *f;
	int argc, ret;

	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		pr_err("cannot open \"%s\": %s.", file, strerror(errno));
		return XM_EXIT_FAIL;
	}
	c->batch_name = file;
	while (!c->stop && read_command(f, &buf, &cap, &lineno, &first) >= 0) {
		argc = split_line(buf, argv, BATCH_MAX_WORDS);
		if (argc == 0)
			continue;
		c->line = first;
		if (argc < 0) {
			pr_err("unterminated quote, or more than %d words.",
			       BATCH_MAX_WORDS);
			ret = XM_EXIT_USAGE;
		} else {
			ret = xm_run(c, argc, argv);
		}
		if (ret) {
			failed = true;
			pr_failed_line(c, first, first);
			if (!c->force)
				break;
		}
	}
	/* The lines before a failure still go in, as with ip -batch. */
	ctx_flush(c);
	free(buf);
	if (f != stdin)
		fclose(f);
	c->batch_name = NULL;
	c->line = 0;
	return failed || c->failed ? XM_EXIT_FAIL : XM_EXIT_OK;
}
