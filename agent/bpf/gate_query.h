/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the XDP first gate (gate.h) from user space, shared by xmeshd
 * (daemon/gate.c: it adopts the gate a previous agent left attached) and
 * the tool (tool/gate.c: show, off). The gate is found through the
 * interfaces it is attached to, by the program's name, and its maps
 * through the program, as bpftool does: no bpffs pin is needed, so it
 * works the same inside `ip netns exec`, which hides /sys/fs/bpf.
 * Needs CAP_SYS_ADMIN (or CAP_BPF and CAP_NET_ADMIN).
 */
#ifndef XMESH_GATE_QUERY_H
#define XMESH_GATE_QUERY_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdint.h>
#include <string.h>
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

#endif /* XMESH_GATE_QUERY_H */
