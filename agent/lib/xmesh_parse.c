// SPDX-License-Identifier: GPL-2.0
#include "xmesh_parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int xm_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	/* strtoul alone would accept blanks, signs and wrap "-1" around. */
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int xm_parse_u16(const char *s, uint16_t min, uint16_t max, uint16_t *out)
{
	uint32_t v;
	int err = xm_parse_u32(s, min, max, &v);

	if (!err)
		*out = (uint16_t)v;
	return err;
}

int xm_parse_u8(const char *s, uint8_t min, uint8_t max, uint8_t *out)
{
	uint32_t v;
	int err = xm_parse_u32(s, min, max, &v);

	if (!err)
		*out = (uint8_t)v;
	return err;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xm_parse_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i, n = s ? strlen(s) : 0;
	int hi, lo, err = 0;

	for (i = 0; i < n && !err; i++)
		if (hex_digit(s[i]) < 0)
			err = -EINVAL;
	if (!err && n != 2 * len)
		err = -ERANGE;
	for (i = 0; i < len && !err; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (err)
		explicit_bzero(out, len);
	return err;
}

int xm_parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

size_t xm_addr_len(uint16_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

unsigned int xm_addr_bits(uint16_t family)
{
	return (unsigned int)xm_addr_len(family) * 8;
}

int xm_parse_addr(const char *s, struct xm_addr *a, char *zone)
{
	char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char *pct;

	memset(a, 0, sizeof(*a));
	if (zone)
		zone[0] = '\0';
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	strcpy(tmp, s);
	pct = strchr(tmp, '%');
	if (pct) {
		if (!zone || !xm_ifname_valid(pct + 1))
			return -EINVAL;
		*pct = '\0';
	}
	if (inet_pton(AF_INET6, tmp, &a->v6) != 1)
		return -EINVAL;
	a->family = AF_INET6;
	if (pct)
		strcpy(zone, pct + 1);
	return 0;
}

bool xm_addr_has_host_bits(const struct xm_addr *a, uint8_t len)
{
	unsigned int bits = xm_addr_bits(a->family), i;

	for (i = len; i < bits; i++)
		if (a->raw[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

void xm_addr_mask(struct xm_addr *a, uint8_t len)
{
	unsigned int bits = xm_addr_bits(a->family), i;

	for (i = len; i < bits; i++)
		a->raw[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

bool xm_addr_is_linklocal(const struct xm_addr *a)
{
	return a->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->v6);
}

int xm_parse_prefix(const char *s, struct xm_addr *a, uint8_t *len)
{
	char tmp[INET6_ADDRSTRLEN + 5];
	const char *slash;
	int err;

	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash) {
		/* A bare address is a host prefix, as for ip route. */
		err = xm_parse_addr(s, a, NULL);
		if (err)
			return err;
		*len = (uint8_t)xm_addr_bits(a->family);
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	err = xm_parse_addr(tmp, a, NULL);
	if (err)
		return err;
	err = xm_parse_u8(slash + 1, 0, (uint8_t)xm_addr_bits(a->family), len);
	if (err)
		return err;
	if (xm_addr_has_host_bits(a, *len))
		return -EADDRNOTAVAIL;
	return 0;
}

bool xm_ifname_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

bool xm_name_valid(const char *s, size_t size)
{
	size_t n = strlen(s), i;

	if (!n || n >= size)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

const char *xm_addr_str(const struct xm_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->raw, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *xm_prefix_str(const struct xm_addr *a, uint8_t plen, char *buf,
			  size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", xm_addr_str(a, addr, sizeof(addr)), plen);
	return buf;
}

uint16_t xm_family_parse(const char *s)
{
	if (!strcmp(s, "inet"))
		return AF_INET;
	if (!strcmp(s, "inet6"))
		return AF_INET6;
	return 0;
}

const char *xm_family_name(uint16_t family)
{
	return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" : NULL;
}
