/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this node advertises about its resources: CPU cores and load,
 * memory, and the storage of the state directory's filesystem, read from
 * /proc and statvfs(3). The paths are injectable for the tests.
 */
#ifndef XMD_CAPS_H
#define XMD_CAPS_H

#include "core.h"

struct xmd_caps_paths {
	const char *proc;		/* "/proc" */
	const char *storage;		/* a path on the filesystem to report */
};

/*
 * A test hook, for tests that need nodes of one host (network namespaces)
 * to differ in load: when this variable names a file ("%n" in the name
 * is replaced by the node's name), its "KEY VALUE" lines override what
 * was read, KEY one of cores, load (the load average, 1.5), mem_total_mb,
 * mem_free_mb, disk_total_gb, disk_free_gb. Read at every reading;
 * missing file: nothing overridden. Not for production.
 */
#define XMD_CAPS_OVERRIDE_ENV	"XMESHD_CAPS_OVERRIDE"

/*
 * Fill the resource fields of caps (cores, load, memory, disk); name,
 * zone and roles are left alone (the name is read: the test hook above).
 * A source that cannot be read leaves its fields 0. Returns 0, or -1 when
 * nothing at all could be read.
 */
int xmd_caps_read(const struct xmd_caps_paths *paths, struct xm_caps *caps);

#endif /* XMD_CAPS_H */
