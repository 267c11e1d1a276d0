/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the agent's wire formats share (the messages of msg.c, the
 * certificates of cert.c): big-endian integers at a byte pointer, and the
 * rule for names (sites, zones, roles, node names).
 */
#ifndef XM_WIRE_H
#define XM_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core.h"	/* XM_NAME_MAX */

static inline uint16_t xm_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t xm_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t xm_get64(const uint8_t *p)
{
	return (uint64_t)xm_get32(p) << 32 | xm_get32(p + 4);
}

static inline void xm_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void xm_put32(uint8_t *p, uint32_t v)
{
	xm_put16(p, (uint16_t)(v >> 16));
	xm_put16(p + 2, (uint16_t)v);
}

static inline void xm_put64(uint8_t *p, uint64_t v)
{
	xm_put32(p, (uint32_t)(v >> 32));
	xm_put32(p + 4, (uint32_t)v);
}

/* Printable ASCII without blanks. */
static inline bool xm_wire_name_char_ok(uint8_t ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/*
 * Is s a valid name on the wire: xm_wire_name_char_ok() bytes, at most
 * XM_NAME_MAX - 1 of them; empty only when may_be_empty. (What the
 * configuration accepts, xm_name_valid(), also leaves quotes out.)
 */
static inline bool xm_wire_name_valid(const char *s, bool may_be_empty)
{
	size_t n = strnlen(s, XM_NAME_MAX);

	if (n == XM_NAME_MAX || (!n && !may_be_empty))
		return false;
	while (n--)
		if (!xm_wire_name_char_ok((uint8_t)s[n]))
			return false;
	return true;
}

#endif /* XM_WIRE_H */
