/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict parsing and formatting of the values xmesh deals in: numbers,
 * underlay addresses and overlay prefixes. Shared by the tool (command
 * line) and the agent (configuration).
 */
#ifndef XMESH_PARSE_H
#define XMESH_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* An IPv4 or IPv6 address; family 0 means "not set". */
struct xm_addr {
	uint16_t family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t raw[16];
	};
};

/* Room for any address or prefix text, with "/128" and a scope. */
#define XM_ADDRSTRLEN	(INET6_ADDRSTRLEN + 4 + 16)

/*
 * Decimal only, the whole string, no sign, no blanks: "10" yes, " 10",
 * "+10", "0x10" and "10k" no. -EINVAL for bad syntax, -ERANGE outside
 * [min, max].
 */
int xm_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int xm_parse_u16(const char *s, uint16_t min, uint16_t max, uint16_t *out);
int xm_parse_u8(const char *s, uint8_t min, uint8_t max, uint8_t *out);

/*
 * Exactly 2 * len hex digits, either case, into out[len]: -EINVAL for
 * another character, -ERANGE for another count. On error out is zeroed
 * (it may be meant for a key).
 */
int xm_parse_hex(const char *s, uint8_t *out, size_t len);

/* Seconds as a decimal fraction ("0.2", "1"): -EINVAL or -ERANGE. */
int xm_parse_seconds(const char *s, double min, double max, double *out);

/*
 * An IPv4 or IPv6 address. An IPv6 address may carry a zone, as in
 * "fe80::1%eth0": it is copied to zone (which must hold IF_NAMESIZE
 * bytes), else zone is set to "". zone may be NULL, then a zone is an
 * error. -EINVAL if s is no address.
 */
int xm_parse_addr(const char *s, struct xm_addr *a, char *zone);

/*
 * "ADDR/LEN", or a bare address meaning a host prefix. -EINVAL for bad
 * syntax, -ERANGE for a bad length, -EADDRNOTAVAIL when host bits are set
 * (a and len are filled all the same, so the caller can suggest the
 * masked prefix).
 */
int xm_parse_prefix(const char *s, struct xm_addr *a, uint8_t *len);

/* Family's address length in bytes (4 or 16), 0 if unknown. */
size_t xm_addr_len(uint16_t family);
unsigned int xm_addr_bits(uint16_t family);
bool xm_addr_has_host_bits(const struct xm_addr *a, uint8_t len);
void xm_addr_mask(struct xm_addr *a, uint8_t len);
bool xm_addr_is_linklocal(const struct xm_addr *a);

/*
 * The same address: family and its bytes (the rest of raw[] is not
 * looked at). core_priv.h still has its own copy, hence the guard, until
 * it drops it.
 */
#ifndef XM_CORE_PRIV_H
static inline bool xm_addr_eq(const struct xm_addr *a, const struct xm_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->raw, b->raw, xm_addr_len(a->family));
}
#endif

/* The same prefix: a/alen is b/blen. (Not through xm_addr_eq: the guard.) */
static inline bool xm_prefix_eq(const struct xm_addr *a, uint8_t alen,
				const struct xm_addr *b, uint8_t blen)
{
	return alen == blen && a->family == b->family &&
	       !memcmp(a->raw, b->raw, xm_addr_len(a->family));
}

/* Valid interface name: 1..IF_NAMESIZE-1 bytes, no '/', ':' or blanks. */
bool xm_ifname_valid(const char *s);

/*
 * A node name, zone or role as the configuration and the tool take it:
 * 1 to size - 1 printable ASCII characters, no blank, quote or backslash.
 */
bool xm_name_valid(const char *s, size_t size);

/* inet_ntop into buf (XM_ADDRSTRLEN); "?" for an unset address. */
const char *xm_addr_str(const struct xm_addr *a, char *buf, size_t len);
const char *xm_prefix_str(const struct xm_addr *a, uint8_t plen, char *buf,
			  size_t len);

/* "inet", "inet6" <-> AF_INET, AF_INET6; 0 or NULL when unknown. */
uint16_t xm_family_parse(const char *s);
const char *xm_family_name(uint16_t family);

#endif /* XMESH_PARSE_H */
