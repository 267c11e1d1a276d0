// SPDX-License-Identifier: GPL-2.0
#include "links.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct xmd_link *xmd_links_find(const struct xmd_links *ls, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i]->ifindex == ifindex)
			return ls->v[i];
	return NULL;
}

int xmd_links_update(struct xmd_links *ls, const struct xmd_ifinfo *i)
{
	struct xmd_link *l = xmd_links_find(ls, i->ifindex);

	if (i->deleted) {
		if (l)
			l->gone = true;
		return 0;
	}
	if (!l) {
		if (xm_grow((void **)&ls->v, &ls->cap, ls->n + 1,
			    sizeof(*ls->v)))
			return -ENOMEM;
		l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		l->sock.fd = -1;
		l->ifindex = i->ifindex;
		ls->v[ls->n++] = l;
	}
	/* A name change makes it another link as far as config goes. */
	memcpy(l->ifname, i->ifname, sizeof(l->ifname));
	l->flags = i->flags;
	l->is_xmesh = i->is_xmesh;
	l->gone = false;
	return 0;
}

static bool addr_eq(const struct xm_addr *a, const struct xm_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->raw, b->raw, xm_addr_len(a->family));
}

void xmd_links_addr(struct xmd_links *ls, const struct xmd_ifaddr *a)
{
	struct xmd_link *l = xmd_links_find(ls, a->ifindex);
	unsigned int k;

	if (!l || a->addr.family != ls->family)
		return;
	for (k = 0; k < l->n_addrs; k++)
		if (addr_eq(&l->addrs[k].addr, &a->addr))
			break;
	if (a->deleted) {
		if (k < l->n_addrs)
			memmove(&l->addrs[k], &l->addrs[k + 1],
				(l->n_addrs - k - 1) * sizeof(l->addrs[0]));
		if (k < l->n_addrs)
			l->n_addrs--;
		return;
	}
	if (k == l->n_addrs) {
		if (l->n_addrs == XMD_LINK_ADDRS)
			return;
		l->n_addrs++;
	}
	l->addrs[k] = *a;	/* flags change as DAD completes */
}

void xmd_links_remove(struct xmd_links *ls, struct xmd_link *l)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i] == l) {
			ls->v[i] = ls->v[--ls->n];
			free(l);
			return;
		}
}

void xmd_links_free(struct xmd_links *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->v[i]);
	free(ls->v);
	ls->v = NULL;
	ls->n = ls->cap = 0;
}

const struct xmd_link_conf *xmd_link_conf(const struct xmd_config *cfg,
					  const char *ifname)
{
	unsigned int i;

	for (i = 0; i < cfg->n_links; i++)
		if (!strcmp(cfg->links[i].ifname, ifname))
			return &cfg->links[i];
	return NULL;
}

static bool usable(const struct xmd_ifaddr *a)
{
	return !(a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

bool xmd_link_local(const struct xmd_link *l, uint16_t family,
		    const struct xmd_link_conf *conf, struct xm_addr *out)
{
	unsigned int k;

	for (k = 0; k < l->n_addrs; k++) {
		const struct xmd_ifaddr *a = &l->addrs[k];

		if (a->addr.family != family || !usable(a))
			continue;
		if (conf && conf->local.family) {
			if (!addr_eq(&a->addr, &conf->local))
				continue;
		} else if (family == AF_INET) {
			if (a->flags & IFA_F_SECONDARY)
				continue;
		} else if (!xm_addr_is_linklocal(&a->addr)) {
			continue;
		}
		*out = a->addr;
		return true;
	}
	return false;
}

bool xmd_link_wanted(const struct xmd_link *l, const struct xmd_config *cfg,
		     uint32_t xmesh_ifindex)
{
	struct xm_addr local;

	if (l->gone || (l->flags & IFF_LOOPBACK) || l->is_xmesh ||
	    l->ifindex == xmesh_ifindex)
		return false;
	if (cfg->n_links && !xmd_link_conf(cfg, l->ifname))
		return false;
	return xmd_link_local(l, cfg->family,
			      xmd_link_conf(cfg, l->ifname), &local);
}

bool xmd_link_carrier(const struct xmd_link *l)
{
	return (l->flags & IFF_UP) && (l->flags & IFF_LOWER_UP);
}

uint32_t xmd_link_speed(const char *sysfs_root, const char *ifname)
{
	char path[256];
	long speed = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/class/net/%s/speed", sysfs_root,
		 ifname);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* Reading fails (EINVAL) on a link that is down: unknown. */
	if (fscanf(f, "%ld", &speed) != 1 || speed <= 0 ||
	    speed > 100000000)
		speed = 0;
	fclose(f);
	return (uint32_t)speed;
}
