// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh - configure and inspect xmesh devices (see xmesh(8)).
 *
 * The command line lives in tool/, the netlink client in lib/ (shared
 * with the xmeshd agent); this is only the entry point.
 */
#include "tool.h"

int main(int argc, char **argv)
{
	struct ctx c;
	int ret;

	ctx_init(&c);
	ret = xm_main(&c, argc, argv);
	ctx_free(&c);
	return ret;
}
