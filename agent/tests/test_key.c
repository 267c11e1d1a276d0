// SPDX-License-Identifier: GPL-2.0
/* Keys and device security: the tool's "key" and "dev set security"
 * arguments, hex key parsing, key files, and key nests put and parsed
 * (the key bytes go out, never come back). No kernel needed. */
#include <stdlib.h>
#include <unistd.h>

#include "nlbuild.h"
#include "tap.h"
#include "tool.h"
#include "xmesh_names.h"

static struct ctx c;
static char line[1024];
static char *argv[64];

#define HEX32	"00112233445566778899aabbccddeeff" \
		"0123456789ABCDEFfedcba9876543210"

static const uint8_t bytes32[XMESH_KEY_LEN] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

/* Parse s as the arguments of "xmesh key" command cmd; stderr to *err. */
static int run(uint8_t cmd, const char *s, struct xm_change *ch,
	       const char **err)
{
	int argc, ret;

	snprintf(line, sizeof(line), "%s", s);
	argc = split_line(line, argv, 64);
	cap_begin();
	ret = parse_key(&c, cmd, argc, argv, ch);
	*err = cap_end();
	return ret;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void hex(void)
{
	uint8_t out[XMESH_KEY_LEN];

	is_int(xm_parse_hex(HEX32, out, sizeof(out)), 0, "hex: 64 digits");
	ok(!memcmp(out, bytes32, sizeof(out)), "hex: bytes, either case");
	is_int(xm_parse_hex("00ff", out, 2), 0, "hex: 2 bytes");
	ok(out[0] == 0 && out[1] == 0xff, "hex: 00ff");
	is_int(xm_parse_hex(HEX32 "00", out, sizeof(out)), -ERANGE,
	       "hex: 66 digits are too many");
	ok(all_zero(out, sizeof(out)), "hex: nothing left after an error");
	is_int(xm_parse_hex(HEX32 + 2, out, sizeof(out)), -ERANGE,
	       "hex: 62 digits are too few");
	is_int(xm_parse_hex("0g", out, 1), -EINVAL, "hex: not a digit");
	is_int(xm_parse_hex(" 0f", out, 1), -EINVAL, "hex: a blank");
	is_int(xm_parse_hex("0x0f", out, 1), -EINVAL, "hex: no 0x prefix");
	is_int(xm_parse_hex("", out, 1), -ERANGE, "hex: empty");
	is_int(xm_parse_hex(NULL, out, 1), -ERANGE, "hex: NULL");
}

static void add(void)
{
	struct xm_change ch;
	struct xm_key *k = &ch.e.key;
	const char *err;
	int ret;

	ret = run(XMESH_CMD_KEY_NEW, "neigh 3 id 7 dir tx key " HEX32, &ch,
		  &err);
	is_int(ret, 0, "key add: full form parses");
	is_int(ch.cmd, XMESH_CMD_KEY_NEW, "key add: command");
	is_int(ch.e.type, XMESH_A_KEY, "key add: a key entry");
	is_int(k->neigh, 3, "key add: neighbor");
	is_int(k->id, 7, "key add: key id");
	is_int(k->dir, XMESH_KEY_TX, "key add: dir tx");
	ok(XM_HAS(k, XMESH_KEY_A_KEY) && !memcmp(k->key, bytes32, 32),
	   "key add: the key bytes");
	is_str(ch.ifname, "xmesh0", "key add: default device xmesh0");
	xm_key_wipe(k);
	ok(all_zero(k->key, sizeof(k->key)) && !XM_HAS(k, XMESH_KEY_A_KEY),
	   "key wipe: bytes gone, attribute unset");

	ret = run(XMESH_CMD_KEY_NEW, "dir rx id 255 neigh 4294967295 key "
		  HEX32 " dev xm1", &ch, &err);
	is_int(ret, 0, "key add: any order, largest id and neighbor");
	is_int(k->dir, XMESH_KEY_RX, "key add: dir rx");
	is_str(ch.ifname, "xm1", "key add: dev picks the device");

	ret = run(XMESH_CMD_KEY_NEW, "neigh 3 id 7 dir tx", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key add: no key fails");
	is_str(err, "Error: key add needs the key: key HEX or file FILE.\n",
	       "key add: says so");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 3 dir tx key " HEX32, &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key add: no id fails");
	is_str(err, "Error: key add needs neigh or node, id and dir.\n",
	       "key add: says what it needs");
	ok(all_zero(k->key, sizeof(k->key)),
	   "key add: a failed parse leaves no key bytes");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 3 id 0 dir tx key " HEX32, &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "key add: key id 0 fails");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 3 id 256 dir tx key " HEX32, &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "key add: key id 256 fails");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 0 id 1 dir tx key " HEX32, &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "key add: neighbor 0 fails");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 1 id 1 dir both key " HEX32, &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "key add: dir both fails");
	is_str(err, "Error: invalid dir \"both\": expected tx or rx.\n",
	       "key add: says which dirs there are");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 1 id 1 dir tx key 0011", &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "key add: a short key fails");
	is_str(err, "Error: invalid key: expected 64 hex digits.\n",
	       "key add: says how long a key is");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 1 id 1 id 2 dir tx key " HEX32,
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key add: id twice fails");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 1 id 1 dir tx key " HEX32
		  " file /dev/null", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key add: key and file fails");
	ret = run(XMESH_CMD_KEY_NEW, "neigh 1 id 1 dir tx key " HEX32
		  " node 2", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key add: unknown keyword fails");
}

static void file(void)
{
	char path[] = "/tmp/xmesh-test-key-XXXXXX";
	struct xm_change ch;
	char cmd[128];
	const char *err;
	FILE *fp;
	int fd, ret;

	fd = mkstemp(path);
	if (!ok(fd >= 0, "key file: a temporary file"))
		return;
	fp = fdopen(fd, "w");
	fprintf(fp, "%s\n", HEX32);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "neigh 1 id 2 dir rx file %s", path);
	ret = run(XMESH_CMD_KEY_NEW, cmd, &ch, &err);
	is_int(ret, 0, "key file: HEX and a newline");
	ok(!memcmp(ch.e.key.key, bytes32, 32), "key file: the bytes");

	fp = fopen(path, "w");
	fprintf(fp, "%s\n", HEX32 + 2);
	fclose(fp);
	ret = run(XMESH_CMD_KEY_NEW, cmd, &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key file: too short");
	ok(strstr(err, "does not hold 64 hex digits") != NULL,
	   "key file: says why");
	ok(all_zero(ch.e.key.key, 32), "key file: no bytes after an error");
	unlink(path);

	ret = run(XMESH_CMD_KEY_NEW, cmd, &ch, &err);
	is_int(ret, XM_EXIT_FAIL, "key file: a missing file");
	ok(strstr(err, "cannot open key file") != NULL,
	   "key file: says it cannot open it");
}

static void del_show(void)
{
	struct xm_change ch;
	const char *err;
	int ret;

	ret = run(XMESH_CMD_KEY_DEL, "neigh 1 id 2 dir rx", &ch, &err);
	is_int(ret, 0, "key del: neigh, id, dir");
	ok(!XM_HAS(&ch.e.key, XMESH_KEY_A_KEY), "key del: no key bytes");
	ret = run(XMESH_CMD_KEY_DEL, "neigh 1 id 2 dir rx key " HEX32, &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "key del: takes no key");
	is_str(err, "Error: key del takes no \"key\".\n", "key del: says so");
	ret = run(XMESH_CMD_KEY_DEL, "neigh 1 dir rx", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key del: needs an id");

	ret = run(XMESH_CMD_KEY_GET, "", &ch, &err);
	is_int(ret, 0, "key show: no filter");
	ret = run(XMESH_CMD_KEY_GET, "neigh 4 dir tx", &ch, &err);
	is_int(ret, 0, "key show: a filter");
	ok(XM_HAS(&ch.e.key, XMESH_KEY_A_NEIGH) &&
	   !XM_HAS(&ch.e.key, XMESH_KEY_A_ID), "key show: what it filters");
	ret = run(XMESH_CMD_KEY_GET, "file /dev/null", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "key show: takes no file");
}

static void security(void)
{
	struct xm_change ch;
	const char *err;
	int argc, ret;

	is_int(xm_security_parse("none"), XMESH_SECURITY_NONE, "security none");
	is_int(xm_security_parse("auth"), XMESH_SECURITY_AUTH, "security auth");
	is_int(xm_security_parse("encrypt"), XMESH_SECURITY_ENCRYPT,
	       "security encrypt");
	is_int(xm_security_parse("enc"), -1, "security: no abbreviation");
	is_str(xm_security_name(XMESH_SECURITY_ENCRYPT), "encrypt",
	       "security name");
	ok(!xm_security_name(3), "security 3 has no name");
	is_int(xm_key_dir_parse("tx"), XMESH_KEY_TX, "dir tx");
	is_int(xm_key_dir_parse("rx"), XMESH_KEY_RX, "dir rx");
	ok(!xm_key_dir_name(0), "dir 0 has no name");

	snprintf(line, sizeof(line), "security encrypt");
	argc = split_line(line, argv, 64);
	cap_begin();
	ret = parse_dev_set(&c, argc, argv, &ch);
	err = cap_end();
	is_int(ret, 0, "dev set security encrypt");
	ok(XM_HAS(&ch.e.dev, XMESH_DEV_A_SECURITY) &&
	   ch.e.dev.security == XMESH_SECURITY_ENCRYPT,
	   "dev set: security set");
	snprintf(line, sizeof(line), "security paranoid");
	argc = split_line(line, argv, 64);
	cap_begin();
	ret = parse_dev_set(&c, argc, argv, &ch);
	err = cap_end();
	is_int(ret, XM_EXIT_USAGE, "dev set: unknown security");
	is_str(err, "Error: invalid security \"paranoid\": expected none, auth or encrypt.\n",
	       "dev set: says which there are");
}

static int got_keys;
static struct xm_key got;

static int collect(const struct xm_msg_info *info, const struct xm_entry *e,
		   void *data)
{
	(void)info, (void)data;
	if (e->type == XMESH_A_KEY) {
		got = e->key;
		got_keys++;
	}
	return 0;
}

static void nests(void)
{
	static uint8_t buf[8192];
	struct xm_key k = { .neigh = 9, .id = 3, .dir = XMESH_KEY_RX };
	struct xm_msg_info info;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	char path[128];

	XM_SET(&k, XMESH_KEY_A_NEIGH);
	XM_SET(&k, XMESH_KEY_A_ID);
	XM_SET(&k, XMESH_KEY_A_DIR);
	XM_SET(&k, XMESH_KEY_A_KEY);
	memcpy(k.key, bytes32, sizeof(k.key));

	/* What a request carries. */
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_KEY_NEW, 0, 1, 0);
	is_int(xm_key_put(nlh, sizeof(buf), &k), 0, "key put");
	nest = (struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN + GENL_HDRLEN);
	is_int(mnl_attr_get_type(nest), XMESH_A_KEY, "key put: a key nest");
	ok(memmem(nlh, nlh->nlmsg_len, bytes32, sizeof(bytes32)) != NULL,
	   "key put: the bytes go into the request");
	is_str(xm_attr_describe(nlh, MNL_NLMSG_HDRLEN + GENL_HDRLEN + 4 + 8,
				-1, path, sizeof(path)), "key.id",
	       "key put: attributes are named in errors");
	is_int(xm_key_put(nlh, nlh->nlmsg_len + 8, &k), -EMSGSIZE,
	       "key put: no room, no nest");

	/* What a reply carries: counters; bytes are never parsed. */
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_KEY_GET, 0, 1, 0);
	nest = mnl_attr_nest_start(nlh, XMESH_A_KEY);
	mnl_attr_put_u32(nlh, XMESH_KEY_A_NEIGH, 9);
	mnl_attr_put_u8(nlh, XMESH_KEY_A_ID, 3);
	mnl_attr_put_u8(nlh, XMESH_KEY_A_DIR, XMESH_KEY_RX);
	mnl_attr_put(nlh, XMESH_KEY_A_KEY, sizeof(bytes32), bytes32);
	mnl_attr_put_u64(nlh, XMESH_KEY_A_COUNTER, 1000);
	mnl_attr_put_u64(nlh, XMESH_KEY_A_PACKETS, 999);
	mnl_attr_put_u64(nlh, XMESH_KEY_A_BYTES, 12345);
	mnl_attr_put_u64(nlh, XMESH_KEY_A_REPLAYED, 2);
	mnl_attr_put_u64(nlh, XMESH_KEY_A_AUTH_FAILED, 5);
	mnl_attr_nest_end(nlh, nest);
	is_int(xm_msg_parse(nlh, &info, collect, NULL), 0, "key parse");
	is_int(got_keys, 1, "key parse: one key");
	ok(got.neigh == 9 && got.id == 3 && got.dir == XMESH_KEY_RX,
	   "key parse: neighbor, id, dir");
	ok(got.counter == 1000 && got.packets == 999 && got.bytes == 12345 &&
	   got.replayed == 2 && got.auth_failed == 5, "key parse: counters");
	ok(!XM_HAS(&got, XMESH_KEY_A_KEY) && all_zero(got.key, 32),
	   "key parse: bytes in a reply are ignored");

	/* A malformed counter makes the message malformed. */
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_KEY_GET, 0, 1, 0);
	nest = mnl_attr_nest_start(nlh, XMESH_A_KEY);
	mnl_attr_put_u32(nlh, XMESH_KEY_A_COUNTER, 1);
	mnl_attr_nest_end(nlh, nest);
	is_int(xm_msg_parse(nlh, &info, collect, NULL), -EINVAL,
	       "key parse: a 4-byte counter is malformed");
}

static void names(void)
{
	is_str(xm_drop_key(XMESH_DROP_A_SPOOFED_SOURCE), "spoofed_source",
	       "drop key spoofed_source");
	is_str(xm_drop_name(XMESH_DROP_A_AUTH_FAILED), "auth-failed",
	       "drop name auth-failed");
	is_str(xm_drop_key(XMESH_DROP_A_NO_KEY), "no_key", "drop key no_key");
	is_str(xm_counter_key(XMESH_COUNTER_A_KEY_LIMIT_HITS),
	       "key_limit_hits", "counter key_limit_hits");
	is_str(xm_cmd_name(XMESH_CMD_KEY_DEL), "key-del", "command key-del");
}

int main(void)
{
	ctx_init(&c);
	hex();
	add();
	file();
	del_show();
	security();
	nests();
	names();
	ctx_free(&c);
	return tap_done();
}
