// SPDX-License-Identifier: GPL-2.0
/* Parsed objects printed as text and as JSON (read back with json-c). */
#include <net/if.h>
#include <sys/socket.h>

#include "tap.h"
#include "tool.h"

static char *mem;
static size_t memlen;
static FILE *fp;
static struct out o;

static void begin(bool json, bool pretty)
{
	free(mem);
	mem = NULL;
	fp = open_memstream(&mem, &memlen);
	out_init(&o, fp, json, pretty);
}

static const char *end(void)
{
	fclose(fp);
	return mem;
}

static struct xm_neigh sample_neigh(void)
{
	struct xm_neigh n = { 0 };

	n.id = 10;
	n.node = 2;
	n.link = if_nametoindex("lo");
	xm_parse_addr("10.99.1.2", &n.remote, NULL);
	xm_parse_addr("10.99.1.1", &n.local, NULL);
	n.port = 7600;
	n.state = XMESH_NEIGH_UP;
	n.carrier = 0;
	n.mtu = 1456;
	n.tx_packets = 3;
	n.tx_bytes = 300;
	n.rx_packets = 4;
	n.rx_bytes = 400;
	n.drops = 1;
	n.present = ~0u;
	return n;
}

static struct xm_route sample_route(void)
{
	struct xm_route r = { 0 };

	r.dst = 5;
	XM_SET(&r, XMESH_ROUTE_A_DST);
	r.n_nexthops = 2;
	r.nexthop[0].neigh = 10;
	r.nexthop[0].active = true;
	r.nexthop[0].present = ~0u;
	r.nexthop[1].neigh = 11;
	r.nexthop[1].priority = 1;
	r.nexthop[1].present = ~0u;
	return r;
}

static json_object *get(json_object *obj, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return v;
}

static void neigh(void)
{
	struct xm_neigh n = sample_neigh();
	json_object *root, *e, *st;

	begin(false, false);
	print_neigh(&o, &n, false);
	is_str(end(), "id 10 node 2 link lo remote 10.99.1.2 port 7600 local 10.99.1.1 state up carrier down mtu 1456\n",
	       "neigh: text line");
	begin(false, false);
	print_neigh(&o, &n, true);
	is_str(end(), "id 10 node 2 link lo remote 10.99.1.2 port 7600 local 10.99.1.1 state up carrier down mtu 1456\n"
	       "    tx packets 3 bytes 300 rx packets 4 bytes 400 drops 1\n",
	       "neigh: text with -s");

	begin(true, false);
	out_list_begin(&o);
	print_neigh(&o, &n, true);
	out_list_end(&o);
	is_str(end(), "[{\"id\":10,\"node\":2,\"link\":\"lo\",\"remote\":\"10.99.1.2\",\"port\":7600,"
	       "\"local\":\"10.99.1.1\",\"state\":\"up\",\"carrier\":\"down\",\"mtu\":1456,"
	       "\"stats\":{\"tx_packets\":3,\"tx_bytes\":300,\"rx_packets\":4,\"rx_bytes\":400,\"drops\":1}}]\n",
	       "neigh: JSON array with stats");
	root = json_tokener_parse(mem);
	ok(root && json_object_is_type(root, json_type_array) &&
	   json_object_array_length(root) == 1, "neigh: JSON parses back");
	e = root ? json_object_array_get_idx(root, 0) : NULL;
	st = get(e, "stats");
	ok(st && json_object_get_uint64(get(st, "rx_bytes")) == 400,
	   "neigh: JSON stats readable");
	json_object_put(root);

	n.present = XM_BIT(XMESH_NEIGH_A_ID) | XM_BIT(XMESH_NEIGH_A_STATE);
	n.state = 7;
	begin(false, false);
	print_neigh(&o, &n, false);
	is_str(end(), "id 10 state 7\n",
	       "neigh: absent fields left out, unknown state by number");
}

static void route(void)
{
	struct xm_route r = sample_route();
	json_object *root, *hops;

	begin(false, false);
	print_route(&o, &r);
	is_str(end(), "node 5 nexthop neigh 10 priority 0 active nexthop neigh 11 priority 1\n",
	       "route: text marks the active next hop");
	begin(true, false);
	print_route(&o, &r);
	is_str(end(), "{\"node\":5,\"nexthops\":[{\"neigh\":10,\"priority\":0,\"active\":true},"
	       "{\"neigh\":11,\"priority\":1,\"active\":false}]}\n",
	       "route: JSON record");
	root = json_tokener_parse(mem);
	hops = get(root, "nexthops");
	ok(hops && json_object_array_length(hops) == 2 &&
	   json_object_get_boolean(get(json_object_array_get_idx(hops, 0),
				       "active")),
	   "route: JSON parses back");
	json_object_put(root);
}

static void prefix(void)
{
	struct xm_prefix p = { 0 };

	xm_parse_prefix("fd00:5::/64", &p.addr, &p.len);
	p.node = 5;
	p.present = ~0u;
	begin(false, false);
	print_prefix(&o, &p);
	is_str(end(), "fd00:5::/64 node 5\n", "prefix: text");
	begin(true, false);
	print_prefix(&o, &p);
	is_str(end(), "{\"prefix\":\"fd00:5::/64\",\"family\":\"inet6\",\"node\":5}\n",
	       "prefix: JSON with family");
}

static void dev(void)
{
	struct xm_dev d = { 0 };
	json_object *arr, *root, *st, *drops;
	int i;

	snprintf(d.ifname, sizeof(d.ifname), "xmesh0");
	d.ifindex = 9;
	d.port = 7600;
	d.family = AF_INET;
	d.hop_limit = 16;
	d.neigh_count = 2;
	d.route_count = 3;
	d.prefix_count = 4;
	d.security = XMESH_SECURITY_ENCRYPT;
	d.key_count = 5;
	d.present = (uint32_t)~XM_BIT(XMESH_DEV_A_NODE_ID);
	for (i = XMESH_COUNTER_A_TX_PACKETS; i <= XMESH_COUNTER_A_MAX; i++) {
		d.counters[i] = (uint64_t)i;
		d.counters_present |= XM_BIT(i);
	}
	d.counters[XMESH_COUNTER_A_RX_BYTES] = 9223372036854775813ull;
	for (i = XMESH_DROP_A_NO_PREFIX; i <= XMESH_DROP_A_MAX; i++) {
		d.drops[i] = (uint64_t)i * 10;
		d.drops_present |= XM_BIT(i);
	}
	begin(false, false);
	print_dev(&o, &d, false);
	is_str(end(), "xmesh0: node none port 7600 family inet hop-limit 16 security encrypt origin off\n"
	       "    neighs 2 routes 3 prefixes 4 keys 5\n",
	       "dev: text, no node id yet");
	begin(false, false);
	print_dev(&o, &d, true);
	is_str(end(), "xmesh0: node none port 7600 family inet hop-limit 16 security encrypt origin off\n"
	       "    neighs 2 routes 3 prefixes 4 keys 5\n"
	       "    tx packets 2 bytes 3 rx packets 4 bytes 9223372036854775813\n"
	       "    fwd packets 6 bytes 7 oam rx 8 tx 9 reroutes 10\n"
	       "    limit hits: neighs 11 routes 12 prefixes 13 keys 14\n"
	       "    drops: no-prefix 20 no-route 30 no-nexthop 40 hop-limit 50 too-big 60\n"
	       "        truncated 70 bad-version 80 bad-header 90 bad-inner 100 unknown-neigh 110\n"
	       "        neigh-down 120 not-running 130 nomem 140 tx-error 150 loop 160\n"
	       "        node-mismatch 170 no-key 180 unauthenticated 190 auth-failed 200 replayed 210\n"
	       "        unencrypted 220 key-exhausted 230 spoofed-source 240 rate-limited 250 oam-rate-limited 260\n"
	       "        zone-denied 270 queue-full 280 no-mroute 290 mcast-rpf 300 oam-event-rate-limited 310\n"
	       "        no-origin-key 320 origin-missing 330 origin-no-key 340 origin-auth-failed 350 origin-replayed 360\n",
	       "dev: text with every counter and drop reason");
	begin(true, true);
	out_list_begin(&o);
	print_dev(&o, &d, true);
	out_list_end(&o);
	end();
	ok(strchr(mem, '\n') != strrchr(mem, '\n'), "dev: -p spreads lines");
	arr = json_tokener_parse(mem);
	root = arr ? json_object_array_get_idx(arr, 0) : NULL;
	ok(root && json_object_is_type(get(root, "node"), json_type_null),
	   "dev: JSON node null when unset");
	is_str(json_object_get_string(get(root, "security")), "encrypt",
	       "dev: JSON security by name");
	is_int(json_object_get_int(get(root, "keys")), 5, "dev: JSON keys");
	st = get(root, "stats");
	ok(st && json_object_get_uint64(get(st, "rx_bytes")) ==
		 9223372036854775813ull, "dev: u64 counter beyond INT64_MAX");
	drops = get(st, "drops");
	ok(drops && json_object_get_uint64(get(drops, "bad_header")) == 90 &&
	   json_object_object_length(drops) == XMESH_DROP_A_MAX - 1,
	   "dev: every drop reason keyed");
	json_object_put(arr);
}

static void oam(void)
{
	struct xm_oam m = { 0 };

	m.op = XMESH_OAM_TIME_EXCEEDED;
	m.dst = 5;
	m.seq = 2;
	m.reporter = 3;
	m.hop_limit = 15;
	m.rtt_ns = 412345;
	m.present = (uint32_t)~(XM_BIT(XMESH_OAM_A_IDENT) |
			       XM_BIT(XMESH_OAM_A_NEIGH));
	begin(false, false);
	out_obj_begin(&o, NULL);
	print_oam_fields(&o, &m);
	out_nl(&o);
	out_obj_end(&o);
	is_str(end(), "time-exceeded dst 5 seq 2 reporter 3 hop-limit 15 rtt 0.412 ms\n",
	       "oam: text");
	begin(true, false);
	out_obj_begin(&o, NULL);
	out_str(&o, "event", NULL, "oam");
	print_oam_fields(&o, &m);
	out_obj_end(&o);
	is_str(end(), "{\"event\":\"oam\",\"op\":\"time-exceeded\",\"dst\":5,\"seq\":2,"
	       "\"reporter\":3,\"hop_limit\":15,\"rtt_ms\":0.412}\n",
	       "oam: JSON event line, rtt with 3 decimals");

	m.op = XMESH_OAM_LINK_REPLY;
	m.neigh = 4;
	m.reporter = 5;
	m.hop_limit = 1;
	m.present |= XM_BIT(XMESH_OAM_A_NEIGH);
	begin(true, false);
	out_obj_begin(&o, NULL);
	print_oam_fields(&o, &m);
	out_obj_end(&o);
	is_str(end(), "{\"op\":\"link-reply\",\"neigh\":4,\"dst\":5,\"seq\":2,"
	       "\"reporter\":5,\"hop_limit\":1,\"rtt_ms\":0.412}\n",
	       "oam: a link reply names its neighbor");
}

static void layer(void)
{
	begin(true, false);
	out_obj_begin(&o, NULL);
	out_uint(&o, "a", "a", 1);
	out_str(&o, NULL, "text-only", "x");
	out_text(&o, "ignored in JSON");
	out_obj_end(&o);
	out_obj_begin(&o, NULL);
	out_null(&o, "b", "b", "-");
	out_obj_end(&o);
	is_str(end(), "{\"a\":1}\n{\"b\":null}\n",
	       "out: top-level records stream one per line");
	begin(false, false);
	out_text(&o, "x:");
	out_uint(&o, "k", "", 1);
	out_text(&o, "  ");
	out_uint(&o, "k", "", 2);
	out_bool(&o, "f", "flag", false);
	out_bool(&o, "t", "on", true);
	out_nl(&o);
	is_str(end(), "x: 1  2 on\n", "out: text spacing rules");
	begin(true, false);
	out_list_begin(&o);
	out_list_end(&o);
	is_str(end(), "[]\n", "out: an empty list is []");
}

int main(void)
{
	neigh();
	route();
	prefix();
	dev();
	oam();
	layer();
	free(mem);
	return tap_done();
}
