/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mesh probes for ping and trace: XMESH_CMD_OAM_SEND on the request
 * socket, answers (XMESH_CMD_OAM_EVENT) on a second socket that joined
 * the "oam" group before the first probe left.
 */
#ifndef XMESH_PROBE_H
#define XMESH_PROBE_H

#include <signal.h>

#include "tool.h"

struct prober {
	struct xmnl *req;
	struct xmnl ev;
	bool ev_open;
	const struct xm_devinfo *di;
	uint16_t ident;			/* this process's probes */
};

/* Set by SIGINT and SIGTERM once xm_catch_signals() ran. */
extern volatile sig_atomic_t xm_signalled;
void xm_catch_signals(void);

uint64_t now_ns(void);
/* Exit status; prints why on failure. */
int probe_open(struct ctx *c, const char *dev, struct prober *p);
void probe_close(struct prober *p);
/* hop_limit 0: the device's. 0 or -errno, e filled. */
int probe_send(struct prober *p, uint32_t dst, uint32_t seq,
	       uint8_t hop_limit, struct nlc_error *e);
/*
 * Wait for the answer to probe seq to dst until deadline (now_ns()
 * clock): 1 with *ans filled, 0 at the deadline, -EINTR on a signal,
 * another -errno on failure. Other answers are ignored.
 */
int probe_wait(struct prober *p, uint32_t dst, uint32_t seq,
	       uint64_t deadline, struct xm_oam *ans);
/* Sleep until deadline; -EINTR on a signal. */
int sleep_until(uint64_t deadline);

#endif /* XMESH_PROBE_H */
