// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh device: the xmesh0 net_device, its lifetime, and the netdev
 * notifier that keeps neighbors in step with their underlay interfaces.
 *
 * `ip link add xmesh0 type xmesh` creates a device with defaults (port
 * XMESH_DEFAULT_PORT, IPv4 underlay, no node id); it forwards nothing
 * until userspace gives it a node id over netlink.
 */
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/rtnetlink.h>
#include "xmesh_priv.h"

/* Bytes added to an inner packet: outer IP, UDP, xmesh header, and when
 * frames are sealed the counter and tag, as many again for an origin seal.
 */
unsigned int xmesh_overhead(u16 family, u8 security, bool origin)
{
	return (family == AF_INET6 ? XMESH_OVERHEAD_V6 : XMESH_OVERHEAD_V4) +
	       (security != XMESH_SECURITY_NONE ? XMESH_SEAL_OVERHEAD : 0) +
	       (origin ? XMESH_SEAL_OVERHEAD : 0);
}

void xmesh_stats_read(struct xmesh_dev *xdev, u64 *counters, u64 *drops)
{
	int cpu, i;

	memset(counters, 0, sizeof(u64) * (XMESH_COUNTER_A_MAX + 1));
	memset(drops, 0, sizeof(u64) * (XMESH_DROP_A_MAX + 1));
	for_each_possible_cpu(cpu) {
		const struct xmesh_pcpu_stats *s = per_cpu_ptr(xdev->stats, cpu);
		unsigned int start;
		u64 c[XMESH_COUNTER_A_MAX + 1], d[XMESH_DROP_A_MAX + 1];

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i <= XMESH_COUNTER_A_MAX; i++)
				c[i] = u64_stats_read(&s->counter[i]);
			for (i = 0; i <= XMESH_DROP_A_MAX; i++)
				d[i] = u64_stats_read(&s->drop[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i <= XMESH_COUNTER_A_MAX; i++)
			counters[i] += c[i];
		for (i = 0; i <= XMESH_DROP_A_MAX; i++)
			drops[i] += d[i];
	}
}

static int xmesh_open(struct net_device *dev)
{
	struct xmesh_dev *xdev = netdev_priv(dev);
	int err;

	mutex_lock(&xdev->lock);
	err = xmesh_socket_open(xdev, xdev->port, xdev->family);
	mutex_unlock(&xdev->lock);
	return err;
}

static int xmesh_stop(struct net_device *dev)
{
	struct xmesh_dev *xdev = netdev_priv(dev);

	mutex_lock(&xdev->lock);
	xmesh_socket_close(xdev);
	mutex_unlock(&xdev->lock);
	return 0;
}

/* Everything a device owns is set up here and torn down in uninit, so
 * register_netdevice() failing after ndo_init unwinds through ndo_uninit.
 */
static int xmesh_init(struct net_device *dev)
{
	struct xmesh_dev *xdev = netdev_priv(dev);
	int err;

	xdev->dev = dev;
	mutex_init(&xdev->lock);
	xdev->port = htons(XMESH_DEFAULT_PORT);
	xdev->family = AF_INET;
	xdev->hop_limit = XMESH_DEFAULT_HOP_LIMIT;
	xdev->security = XMESH_SECURITY_ENCRYPT;	/* off per site: auth */
	xdev->oam_rate = XMESH_DEFAULT_OAM_RATE;
	spin_lock_init(&xdev->oam_bucket_lock);
	INIT_LIST_HEAD(&xdev->key_list);
	xmesh_qos_init(xdev);

	xdev->stats = netdev_alloc_pcpu_stats(struct xmesh_pcpu_stats);
	if (!xdev->stats)
		return -ENOMEM;
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats) {
		err = -ENOMEM;
		goto err_stats;
	}
	err = gro_cells_init(&xdev->gro_cells, dev);
	if (err)
		goto err_tstats;
	err = xmesh_neighs_init(xdev);
	if (err)
		goto err_gro;
	err = xmesh_routes_init(xdev);
	if (err)
		goto err_neighs;
	err = xmesh_prefix_table_init(&xdev->prefixes);
	if (err)
		goto err_routes;
	err = xmesh_filter_init(xdev);
	if (err)
		goto err_prefixes;
	err = xmesh_mroutes_init(xdev);
	if (err)
		goto err_filter;
	err = xmesh_origins_init(xdev);
	if (err)
		goto err_mroutes;
	err = xmesh_queues_init(xdev);
	if (err)
		goto err_origins;
	return 0;

err_origins:
	mutex_lock(&xdev->lock);
	xmesh_origins_uninit(xdev);
	mutex_unlock(&xdev->lock);
err_mroutes:
	xmesh_mroutes_uninit(xdev);
err_filter:
	xmesh_filter_uninit(xdev);
err_prefixes:
	xmesh_prefix_table_uninit(&xdev->prefixes);
err_routes:
	xmesh_routes_uninit(xdev);
err_neighs:
	xmesh_neighs_uninit(xdev);
err_gro:
	gro_cells_destroy(&xdev->gro_cells);
err_tstats:
	free_percpu(dev->tstats);
err_stats:
	free_percpu(xdev->stats);
	return err;
}

static void xmesh_uninit(struct net_device *dev)
{
	struct xmesh_dev *xdev = netdev_priv(dev);

	/* Queued frames are finished first: they look into the tables. */
	xmesh_queues_uninit(xdev);
	mutex_lock(&xdev->lock);
	xdev->dead = true;
	xmesh_qos_uninit(xdev);
	xmesh_origins_uninit(xdev);
	xmesh_mroutes_uninit(xdev);
	xmesh_filter_uninit(xdev);
	xmesh_prefix_table_uninit(&xdev->prefixes);
	xmesh_routes_uninit(xdev);
	xmesh_neighs_uninit(xdev);
	mutex_unlock(&xdev->lock);

	gro_cells_destroy(&xdev->gro_cells);
	free_percpu(dev->tstats);
	free_percpu(xdev->stats);
	mutex_destroy(&xdev->lock);
}

static const struct net_device_ops xmesh_netdev_ops = {
	.ndo_init = xmesh_init,
	.ndo_uninit = xmesh_uninit,
	.ndo_open = xmesh_open,
	.ndo_stop = xmesh_stop,
	.ndo_start_xmit = xmesh_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
};

static void xmesh_setup(struct net_device *dev)
{
	const netdev_features_t features = NETIF_F_SG | NETIF_F_HW_CSUM |
		NETIF_F_HIGHDMA | NETIF_F_GSO_SOFTWARE | NETIF_F_FRAGLIST;

	dev->netdev_ops = &xmesh_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = XMESH_OVERHEAD_MAX + LL_MAX_HEADER;
	dev->needed_tailroom = 2 * XMESH_TAG_LEN;
	dev->mtu = ETH_DATA_LEN - XMESH_OVERHEAD_V4 - XMESH_SEAL_OVERHEAD;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = IP_MAX_MTU - XMESH_OVERHEAD_V4;

	/* Lockless transmit; the underlay socket is tied to this netns. */
#ifdef XMESH_HAVE_NETDEV_LLTX
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
#ifdef XMESH_HAVE_NETNS_IMMUTABLE
	dev->netns_immutable = true;
#else
	dev->features |= NETIF_F_NETNS_LOCAL;
#endif
	dev->features |= features;
	dev->hw_features |= features;
	dev->hw_enc_features |= features;
	dev->needs_free_netdev = true;
	/* Keep the route on packets we send: PMTU updates and ICMP errors
	 * to local senders need it.
	 */
	netif_keep_dst(dev);
}

static struct xmesh_dev *xmesh_dev_from(struct net_device *dev)
{
	if (!dev || dev->rtnl_link_ops != &xmesh_link_ops)
		return NULL;
	return netdev_priv(dev);
}

/**
 * xmesh_dev_get - find an xmesh device by ifindex or name, held
 * @net: the namespace
 * @ifindex: the ifindex, or 0 to use @ifname
 * @ifname: the name
 *
 * Return: the device with a reference on its net_device (dev_put() it),
 * or NULL when there is no such xmesh device.
 */
struct xmesh_dev *xmesh_dev_get(struct net *net, int ifindex,
				const char *ifname)
{
	struct net_device *dev;
	struct xmesh_dev *xdev;

	dev = ifindex ? dev_get_by_index(net, ifindex) :
			dev_get_by_name(net, ifname);
	xdev = xmesh_dev_from(dev);
	if (!xdev && dev)
		dev_put(dev);
	return xdev;
}

/**
 * xmesh_dev_set_underlay - change the UDP port and underlay family
 * @xdev: the device, its lock held (and RTNL, for the MTU)
 * @port: the new port, network order
 * @family: AF_INET or AF_INET6
 *
 * A running device moves to a new socket; on failure nothing changes.
 */
int xmesh_dev_set_underlay(struct xmesh_dev *xdev, __be16 port, u16 family)
{
	int err;

	lockdep_assert_held(&xdev->lock);
	ASSERT_RTNL();

	if (port == xdev->port && family == xdev->family)
		return 0;
	if (netif_running(xdev->dev)) {
		err = xmesh_socket_open(xdev, port, family);
		if (err)
			return err;
	}
	xdev->port = port;
	if (family != xdev->family) {
		xdev->family = family;
		dev_set_mtu(xdev->dev, ETH_DATA_LEN -
			    xmesh_overhead(family, xdev->security,
					   xdev->origin));
	}
	return 0;
}

/**
 * xmesh_dev_set_security - change what the device does to its frames
 * @xdev: the device, its lock held (and RTNL, for the MTU)
 * @security: enum xmesh_security
 * @origin: origin seals on DATA frames sent and delivered here
 *
 * Sealing adds XMESH_SEAL_OVERHEAD bytes to each frame, an origin seal as
 * many again: an MTU that was the default for the old settings becomes
 * the default for the new ones, one set by hand is left alone.
 */
void xmesh_dev_set_security(struct xmesh_dev *xdev, u8 security, bool origin)
{
	unsigned int old_mtu = ETH_DATA_LEN -
			       xmesh_overhead(xdev->family, xdev->security,
					      xdev->origin);

	lockdep_assert_held(&xdev->lock);
	ASSERT_RTNL();

	if (security == xdev->security && origin == xdev->origin)
		return;
	WRITE_ONCE(xdev->security, security);
	WRITE_ONCE(xdev->origin, origin);
	if (xdev->dev->mtu == old_mtu)
		dev_set_mtu(xdev->dev, ETH_DATA_LEN -
			    xmesh_overhead(xdev->family, security, origin));
}

static int xmesh_netdev_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *lower = netdev_notifier_info_to_dev(ptr);
	struct net_device *dev;

	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
	case NETDEV_CHANGEMTU:
	case NETDEV_UNREGISTER:
		break;
	default:
		return NOTIFY_DONE;
	}
	if (xmesh_dev_from(lower))
		return NOTIFY_DONE;

	for_each_netdev(dev_net(lower), dev) {
		struct xmesh_dev *xdev = xmesh_dev_from(dev);

		if (!xdev)
			continue;
		mutex_lock(&xdev->lock);
		if (!xdev->dead)
			xmesh_neighs_link_event(xdev, lower,
						event == NETDEV_UNREGISTER);
		mutex_unlock(&xdev->lock);
	}
	return NOTIFY_DONE;
}

static struct notifier_block xmesh_notifier = {
	.notifier_call = xmesh_netdev_event,
};

struct rtnl_link_ops xmesh_link_ops __read_mostly = {
	.kind = XMESH_DRV_NAME,
	.priv_size = sizeof(struct xmesh_dev),
	.setup = xmesh_setup,
};

int xmesh_device_init(void)
{
	int err;

	err = register_netdevice_notifier(&xmesh_notifier);
	if (err)
		return err;
	err = rtnl_link_register(&xmesh_link_ops);
	if (err)
		unregister_netdevice_notifier(&xmesh_notifier);
	return err;
}

void xmesh_device_uninit(void)
{
	rtnl_link_unregister(&xmesh_link_ops);
	unregister_netdevice_notifier(&xmesh_notifier);
}
