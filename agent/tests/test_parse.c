// SPDX-License-Identifier: GPL-2.0
/* Numbers, addresses, prefixes and names: strict parsing and formatting. */
#include <errno.h>
#include <sys/socket.h>

#include "tap.h"
#include "xmesh_parse.h"

static void numbers(void)
{
	uint32_t v = 0;
	uint16_t p;
	uint8_t b;
	double d;

	is_int(xm_parse_u32("10", 1, 100, &v), 0, "u32: plain decimal");
	is_int(v, 10, "u32: value");
	is_int(xm_parse_u32("4294967295", 0, UINT32_MAX, &v), 0, "u32: max");
	is_int(xm_parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE,
	       "u32: one past max is out of range");
	is_int(xm_parse_u32("99999999999999999999999", 0, UINT32_MAX, &v),
	       -ERANGE, "u32: strtoul overflow is out of range");
	is_int(xm_parse_u32("0", 1, 10, &v), -ERANGE, "u32: below min");
	is_int(xm_parse_u32(" 10", 0, 100, &v), -EINVAL, "u32: leading blank");
	is_int(xm_parse_u32("10 ", 0, 100, &v), -EINVAL, "u32: trailing blank");
	is_int(xm_parse_u32("-1", 0, UINT32_MAX, &v), -EINVAL,
	       "u32: no sign (strtoul would wrap -1)");
	is_int(xm_parse_u32("+1", 0, 100, &v), -EINVAL, "u32: no plus sign");
	is_int(xm_parse_u32("0x10", 0, 100, &v), -EINVAL, "u32: no hex");
	is_int(xm_parse_u32("10k", 0, 100, &v), -EINVAL, "u32: no suffix");
	is_int(xm_parse_u32("", 0, 100, &v), -EINVAL, "u32: empty");
	is_int(xm_parse_u16("65535", 1, 65535, &p), 0, "u16: max port");
	is_int(xm_parse_u16("65536", 1, 65535, &p), -ERANGE, "u16: too big");
	is_int(xm_parse_u8("255", 0, 255, &b), 0, "u8: 255");
	is_int(xm_parse_u8("256", 0, 255, &b), -ERANGE, "u8: 256");
	is_int(xm_parse_seconds("0.2", 0.001, 10, &d), 0, "seconds: 0.2");
	ok(d > 0.19 && d < 0.21, "seconds: value 0.2");
	is_int(xm_parse_seconds(".5", 0.001, 10, &d), 0, "seconds: .5");
	is_int(xm_parse_seconds("1e3", 0.001, 10, &d), -ERANGE,
	       "seconds: 1e3 out of range");
	is_int(xm_parse_seconds("nan", 0, 10, &d), -EINVAL, "seconds: nan");
	is_int(xm_parse_seconds("-1", 0, 10, &d), -EINVAL, "seconds: negative");
	is_int(xm_parse_seconds("1s", 0, 10, &d), -EINVAL, "seconds: suffix");
}

static void addresses(void)
{
	char zone[16], buf[XM_ADDRSTRLEN];
	struct xm_addr a;

	is_int(xm_parse_addr("10.99.1.2", &a, zone), 0, "addr: IPv4");
	is_int(a.family, AF_INET, "addr: IPv4 family");
	is_str(xm_addr_str(&a, buf, sizeof(buf)), "10.99.1.2",
	       "addr: IPv4 back to text");
	is_int(xm_parse_addr("fd99:1::2", &a, zone), 0, "addr: IPv6");
	is_int(a.family, AF_INET6, "addr: IPv6 family");
	is_str(zone, "", "addr: no zone");
	ok(!xm_addr_is_linklocal(&a), "addr: fd99:1::2 is not link-local");
	is_int(xm_parse_addr("fe80::1%veth1", &a, zone), 0,
	       "addr: link-local with zone");
	is_str(zone, "veth1", "addr: zone copied");
	ok(xm_addr_is_linklocal(&a), "addr: fe80::1 is link-local");
	is_int(xm_parse_addr("fe80::1%veth1", &a, NULL), -EINVAL,
	       "addr: zone refused where none is wanted");
	is_int(xm_parse_addr("fe80::1%", &a, zone), -EINVAL,
	       "addr: empty zone");
	is_int(xm_parse_addr("fe80::1%a/b", &a, zone), -EINVAL,
	       "addr: zone that is no interface name");
	is_int(xm_parse_addr("10.0.0.1%eth0", &a, zone), -EINVAL,
	       "addr: no zone on IPv4");
	is_int(xm_parse_addr("10.0.0.256", &a, zone), -EINVAL,
	       "addr: bad IPv4 octet");
	is_int(xm_parse_addr("1.2.3", &a, zone), -EINVAL,
	       "addr: short IPv4 (inet_pton, not inet_aton)");
	is_int(xm_parse_addr("::g", &a, zone), -EINVAL, "addr: bad IPv6");
	is_int(xm_parse_addr("", &a, zone), -EINVAL, "addr: empty");
}

static void prefixes(void)
{
	char buf[XM_ADDRSTRLEN];
	struct xm_addr a;
	uint8_t len;

	is_int(xm_parse_prefix("10.0.5.0/24", &a, &len), 0, "prefix: IPv4");
	is_int(len, 24, "prefix: IPv4 length");
	is_str(xm_prefix_str(&a, len, buf, sizeof(buf)), "10.0.5.0/24",
	       "prefix: back to text");
	is_int(xm_parse_prefix("10.0.5.1/24", &a, &len), -EADDRNOTAVAIL,
	       "prefix: host bits set");
	xm_addr_mask(&a, len);
	is_str(xm_prefix_str(&a, len, buf, sizeof(buf)), "10.0.5.0/24",
	       "prefix: masked suggestion");
	is_int(xm_parse_prefix("10.0.5.7", &a, &len), 0,
	       "prefix: bare address is a host prefix");
	is_int(len, 32, "prefix: bare IPv4 is /32");
	is_int(xm_parse_prefix("0.0.0.0/0", &a, &len), 0, "prefix: default");
	is_int(xm_parse_prefix("10.0.0.0/33", &a, &len), -ERANGE,
	       "prefix: IPv4 /33");
	is_int(xm_parse_prefix("10.0.0.0/", &a, &len), -EINVAL,
	       "prefix: missing length");
	is_int(xm_parse_prefix("10.0.0.0/-1", &a, &len), -EINVAL,
	       "prefix: negative length");
	is_int(xm_parse_prefix("10.0.0.0/8/8", &a, &len), -EINVAL,
	       "prefix: two slashes");
	is_int(xm_parse_prefix("fd00:5::/64", &a, &len), 0, "prefix: IPv6");
	is_int(a.family, AF_INET6, "prefix: IPv6 family");
	is_int(xm_parse_prefix("fd00:5::1/64", &a, &len), -EADDRNOTAVAIL,
	       "prefix: IPv6 host bits");
	is_int(xm_parse_prefix("fd00::/129", &a, &len), -ERANGE,
	       "prefix: IPv6 /129");
	is_int(xm_parse_prefix("fd00::5", &a, &len), 0, "prefix: bare IPv6");
	is_int(len, 128, "prefix: bare IPv6 is /128");
	is_int(xm_parse_prefix("fe80::1%eth0/64", &a, &len), -EINVAL,
	       "prefix: no zone");
	xm_parse_prefix("10.1.2.3/13", &a, &len);
	ok(xm_addr_has_host_bits(&a, 13), "prefix: /13 has host bits");
	xm_addr_mask(&a, 13);
	is_str(xm_addr_str(&a, buf, sizeof(buf)), "10.0.0.0",
	       "prefix: mask at a non-byte boundary");
}

static void names(void)
{
	ok(xm_ifname_valid("veth1"), "ifname: veth1");
	ok(xm_ifname_valid("abcdefghijklmno"), "ifname: 15 bytes");
	ok(!xm_ifname_valid("abcdefghijklmnop"), "ifname: 16 bytes");
	ok(!xm_ifname_valid(""), "ifname: empty");
	ok(!xm_ifname_valid("a/b"), "ifname: slash");
	ok(!xm_ifname_valid("a b"), "ifname: blank");
	ok(!xm_ifname_valid(".."), "ifname: ..");
	is_int(xm_family_parse("inet6"), AF_INET6, "family: inet6");
	is_int(xm_family_parse("ipv4"), 0, "family: ipv4 is not a name");
	is_str(xm_family_name(AF_INET), "inet", "family: name of AF_INET");
}

int main(void)
{
	numbers();
	addresses();
	prefixes();
	names();
	return tap_done();
}
