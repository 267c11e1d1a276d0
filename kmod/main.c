// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh: a self-healing layer-3 mesh device. Module init and exit only.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>
#include "xmesh_priv.h"

static int __init xmesh_mod_init(void)
{
	int err;

	err = xmesh_device_init();
	if (err)
		return err;
	err = xmesh_genl_init();
	if (err)
		goto err_device;
	pr_info("xmesh: mesh device, wire version %d\n", XMESH_WIRE_VERSION);
	return 0;

err_device:
	xmesh_device_uninit();
	return err;
}

static void __exit xmesh_mod_exit(void)
{
	xmesh_genl_uninit();
	xmesh_device_uninit();
	/* Neighbors are freed by RCU callbacks that live in this module. */
	rcu_barrier();
}

module_init(xmesh_mod_init);
module_exit(xmesh_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xmesh: self-healing layer-3 mesh over UDP");
MODULE_AUTHOR("The xmesh developers");
MODULE_ALIAS_RTNL_LINK(XMESH_DRV_NAME);
MODULE_ALIAS_GENL_FAMILY(XMESH_GENL_NAME);
