#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# libxmesh as an application gets it: installed (make install-libxmesh
# into a scratch prefix), found by pkg-config, and a tiny program built
# against the shared library and against the static one, then run (with
# no agent to answer: the error is the expected one). TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
n=0
failed=0

# t NAME CMD...: one test, passing when CMD does.
t() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/#   /' "$tmp/out"
		failed=$((failed + 1))
	fi
}

t "make install-libxmesh into a prefix" \
	make -s -C "$top" install-libxmesh PREFIX="$tmp/usr"
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
version=$(sed -n 's/^#define XMESH_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	"$top/libxmesh/xmesh.h")
t "pkg-config knows xmesh $version" \
	test "$(pkg-config --modversion xmesh 2>&1)" = "$version"
t "the header, the man page, the libraries are installed" \
	test -f "$tmp/usr/include/xmesh.h" -a \
	-f "$tmp/usr/share/man/man3/libxmesh.3" -a \
	-f "$tmp/usr/lib/libxmesh.a" -a -L "$tmp/usr/lib/libxmesh.so"
t "the shared library's soname is libxmesh.so.0" \
	sh -c "readelf -d '$tmp/usr/lib/libxmesh.so' | grep -F 'Library soname: [libxmesh.so.0]'"
# Only the API is exported: the tool's connection code stays inside.
nm -D --defined-only "$tmp/usr/lib/libxmesh.so" | awk '{ print $3 }' |
	grep -v '^xmesh_' >"$tmp/extra" || true
t "it exports xmesh_* only" test ! -s "$tmp/extra"

cat >"$tmp/tiny.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xmesh.h>

int main(void)
{
	struct xmesh *x = xmesh_open("/nonexistent/tiny.sock");
	struct xmesh_query q = { .role = "gpu", .min_free_cores = 1 };
	struct xmesh_node n[2];
	int k = xmesh_find(x, &q, n, 2);

	printf("%s %s %d %s\n", XMESH_VERSION, xmesh_version(), k,
	       xmesh_error(x));
	xmesh_close(x);
	return strcmp(XMESH_VERSION, xmesh_version()) || k != -ENOENT;
}
C
# shellcheck disable=SC2046 # pkg-config's words
t "a program builds with pkg-config --cflags --libs xmesh" \
	"$CC" -Wall -Werror -o "$tmp/tiny" "$tmp/tiny.c" \
	$(pkg-config --cflags --libs xmesh)
t "it needs libxmesh.so.0" \
	sh -c "readelf -d '$tmp/tiny' | grep -F 'Shared library: [libxmesh.so.0]'"
t "it runs: no agent is -ENOENT, said in words" \
	sh -c "LD_LIBRARY_PATH='$tmp/usr/lib' '$tmp/tiny' | grep -F 'xmeshd is not running'"
# shellcheck disable=SC2046
t "a program builds against the static library" \
	"$CC" -Wall -Werror -o "$tmp/tiny-static" "$tmp/tiny.c" \
	$(pkg-config --cflags xmesh) "$tmp/usr/lib/libxmesh.a" \
	$(pkg-config --static --libs-only-l xmesh | sed 's/-lxmesh//')
t "it runs without the shared library" \
	sh -c "'$tmp/tiny-static' | grep -F 'xmeshd is not running'"
echo "1..$n"
[ "$failed" -eq 0 ]
