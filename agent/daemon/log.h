/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd's log: four levels, to stderr (foreground; with the syslog
 * level as a "<N>" prefix when stderr is the systemd journal) or to
 * syslog(3).
 */
#ifndef XMD_LOG_H
#define XMD_LOG_H

#include <stdbool.h>

enum xmd_log_level {
	XMD_LOG_ERR,
	XMD_LOG_WARN,
	XMD_LOG_INFO,
	XMD_LOG_DEBUG,
};

/* to_stderr: foreground; else syslog. */
void xmd_log_init(enum xmd_log_level level, bool to_stderr);
void xmd_log_set_level(enum xmd_log_level level);
bool xmd_log_enabled(enum xmd_log_level level);
void xmd_log(enum xmd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "error", "warn", "info", "debug"; -1 if unknown. */
int xmd_log_level_parse(const char *s);
const char *xmd_log_level_name(enum xmd_log_level level);

#define xmd_err(...)	xmd_log(XMD_LOG_ERR, __VA_ARGS__)
#define xmd_warn(...)	xmd_log(XMD_LOG_WARN, __VA_ARGS__)
#define xmd_info(...)	xmd_log(XMD_LOG_INFO, __VA_ARGS__)
#define xmd_debug(...)	xmd_log(XMD_LOG_DEBUG, __VA_ARGS__)

#endif /* XMD_LOG_H */
