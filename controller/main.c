// SPDX-License-Identifier: GPL-2.0
/* xmesh-controller: the server is not written yet (issue 8). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "xmesh-controller: not implemented yet\n");
	return 1;
}
