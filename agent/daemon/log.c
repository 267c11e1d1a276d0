// SPDX-License-Identifier: GPL-2.0
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum xmd_log_level log_level = XMD_LOG_INFO;
static bool log_stderr = true;
static bool log_journal;	/* stderr is the journal: "<N>" prefixes */

static const char *const level_names[] = {
	[XMD_LOG_ERR] = "error",
	[XMD_LOG_WARN] = "warn",
	[XMD_LOG_INFO] = "info",
	[XMD_LOG_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[XMD_LOG_ERR] = LOG_ERR,
	[XMD_LOG_WARN] = LOG_WARNING,
	[XMD_LOG_INFO] = LOG_INFO,
	[XMD_LOG_DEBUG] = LOG_DEBUG,
};

void xmd_log_init(enum xmd_log_level level, bool to_stderr)
{
	log_level = level;
	log_stderr = to_stderr;
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal,
	 * which stamps the time itself and reads the level prefix. */
	log_journal = to_stderr && getenv("JOURNAL_STREAM");
	if (!to_stderr)
		openlog("xmeshd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void xmd_log_set_level(enum xmd_log_level level)
{
	log_level = level;
}

bool xmd_log_enabled(enum xmd_log_level level)
{
	return level <= log_level;
}

void xmd_log(enum xmd_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!xmd_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!log_stderr) {
		syslog(syslog_prio[level], "%s", msg);
	} else if (log_journal) {
		fprintf(stderr, "<%d>%s\n", syslog_prio[level], msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp,
			ts.tv_nsec / 1000000, level_names[level], msg);
	}
}

int xmd_log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(s, level_names[i]))
			return (int)i;
	if (!strcmp(s, "warning"))
		return XMD_LOG_WARN;
	return -1;
}

const char *xmd_log_level_name(enum xmd_log_level level)
{
	return level <= XMD_LOG_DEBUG ? level_names[level] : "?";
}
