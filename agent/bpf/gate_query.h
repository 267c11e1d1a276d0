/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the XDP first gate (gate.h) from user space, shared by xmeshd
 * (daemon/gate.c: it adopts the gate a previous agent left attached) and
 * the tool (tool/gate.c: show, off). Two ways:
 * - its pins: the program and maps, pinned in a bpffs directory per
 *   network namespace, ROOT/net-INODE/ (xmg_pin_dir()); opening them needs
 *   CAP_BPF at most, as the agent's unit has it. `ip netns exec` hides
 *   /sys/fs/bpf (it mounts a sysfs of its own), hence ROOT is configurable;
 * - through the interfaces it is attached to, by the program's name, and
 *   its maps through the program, as bpftool does: no bpffs needed, but
 *   CAP_SYS_ADMIN (bpf_prog_get_fd_by_id()).
 */
#ifndef XMESH_GATE_QUERY_H
#define XMESH_GATE_QUERY_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate.h"

/*
 * The gate attached to ifindex: 1 with its program id and XDP_ATTACHED_*
 * mode, 0 if there is no XDP program, -EBUSY if there is one that is no
 * gate, or -errno.
 */
static inline int xmg_gate_find(uint32_t ifindex, uint32_t *prog_id,
				uint8_t *attach_mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd, err = 0;

	if (bpf_xdp_query((int)ifindex, 0, &q))
		return -errno;
	if (!q.prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (strcmp(info.name, XMG_PROG_NAME))
		return -EBUSY;
	*prog_id = q.prog_id;
	*attach_mode = q.attach_mode;
	return 1;
}

/* The XDP_FLAGS_*_MODE to detach or replace a program attached in mode. */
static inline uint32_t xmg_mode_flags(uint8_t attach_mode)
{
	return attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
	       attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE :
						XDP_FLAGS_DRV_MODE;
}

/* The map named name of program prog_id: its fd, or -errno. */
static inline int xmg_prog_map(uint32_t prog_id, const char *name)
{
	struct bpf_prog_info info;
	uint32_t ids[16], len = sizeof(info), i;
	int fd, found = -ENOENT;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		found = -errno;
	close(fd);
	for (i = 0; found == -ENOENT && i < info.nr_map_ids &&
		    i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info m;

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&m, 0, sizeof(m));
		len = sizeof(m);
		if (!bpf_obj_get_info_by_fd(fd, &m, &len) &&
		    !strcmp(m.name, name))
			found = fd;
		else
			close(fd);
	}
	return found;
}

/*
 * The version of gate prog_id (XMG_VERSION for the current one, 0 for the
 * first), or -errno.
 */
static inline int xmg_prog_version(uint32_t prog_id)
{
	struct xmg_conf c;
	uint32_t zero = 0;
	int fd = xmg_prog_map(prog_id, XMG_CONF_NAME), err = 0;

	if (fd < 0)
		return fd;
	memset(&c, 0, sizeof(c));
	if (bpf_map_lookup_elem(fd, &zero, &c))
		err = -errno;
	close(fd);
	return err ? err : (int)c.version;
}

/*
 * Detach the gate from ifindex (only a gate, and only the one found
 * there: a program attached meanwhile stays): 1 if one went, 0 if there
 * was none, -errno.
 */
static inline int xmg_gate_detach(uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	uint32_t id = 0;
	uint8_t mode = 0;
	int fd, err;

	err = xmg_gate_find(ifindex, &id, &mode);
	if (err <= 0)
		return err == -EBUSY ? 0 : err;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	o.old_prog_fd = fd;
	err = bpf_xdp_detach((int)ifindex, xmg_mode_flags(mode) |
			     XDP_FLAGS_REPLACE, &o) ? -errno : 1;
	close(fd);
	return err;
}

/* ---- pins ---- */

#define XMG_PIN_ROOT	"/sys/fs/bpf/xmesh"	/* gate-pin-dir's default */

/* The objects pinned, one file each in the directory. */
enum xmg_pin { XMG_PIN_PROG, XMG_PIN_NEIGHS, XMG_PIN_CONF, XMG_PIN_STATS,
	       XMG_N_PINS };

static inline const char *xmg_pin_name(enum xmg_pin p)
{
	switch (p) {
	case XMG_PIN_PROG:
		return XMG_PROG_NAME;
	case XMG_PIN_NEIGHS:
		return XMG_NEIGHS_NAME;
	case XMG_PIN_CONF:
		return XMG_CONF_NAME;
	default:
		return XMG_STATS_NAME;
	}
}

/* The pin directory of this network namespace under root: 0 or -errno. */
static inline int xmg_pin_dir(const char *root, char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	n = snprintf(buf, len, "%s/net-%lu", root, (unsigned long)st.st_ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The file of pin p in dir: 0 or -ENAMETOOLONG. */
static inline int xmg_pin_path(const char *dir, enum xmg_pin p, char *buf,
			       size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, xmg_pin_name(p));

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Unpin everything in dir, and dir itself: 1 if there was something, 0 if
 * not, -errno. Pinned objects that nothing else holds are freed; an
 * attached program is held by its interfaces.
 */
static inline int xmg_unpin(const char *dir)
{
	char path[512];
	int p, found = 0;

	for (p = 0; p < XMG_N_PINS; p++) {
		if (xmg_pin_path(dir, (enum xmg_pin)p, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (!unlink(path))
			found = 1;
		else if (errno != ENOENT)
			return -errno;
	}
	if (!rmdir(dir))
		return 1;
	return errno == ENOENT ? found : -errno;
}

#endif /* XMESH_GATE_QUERY_H */
