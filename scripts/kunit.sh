#!/bin/bash
# Run the xmesh KUnit suites (kmod/tests/) in a User Mode Linux kernel.
#
#   scripts/kunit.sh [GLOB]     GLOB: suites/cases to run (default xmesh_*),
#                               as kunit.py's filter_glob, e.g.
#                               'xmesh_prefix.*random*'
#
# Debian's linux-source-6.1 tarball is unpacked once into a private tree
# outside the clone; kmod/ is copied into it as drivers/net/xmesh/ (the
# module and its tests are built into the UML kernel) and uapi/linux/xmesh*.h
# into include/uapi/linux/. Only files whose content changed are copied, so
# after the first build (a few minutes) a run rebuilds what changed and takes
# seconds. The build directory lives in the tree too.
#
# Output is TAP: one `ok N - suite.case` or `not ok N - suite.case` line per
# KUnit test case, failure details as `#` lines under a failed case, then
# `ok N - kunit.kernel_log_clean` (no warning, lockdep or RCU report or oops
# in the UML kernel's log) and the plan `1..N` last. A kernel that does not
# configure or build gives `not ok 1 - kunit.build` with the compiler's
# errors; cases a crash cut short are `not ok N - suite.(no result)`; a
# timeout or other failure of kunit.py with no failed case adds
# `not ok N - kunit.run`.
# Exit status 0 when every case passed, 1 otherwise, 2 on a setup failure.
#
# Missing Debian packages are installed with apt-get (root, or sudo).
#
# Environment:
#   XMESH_KUNIT_DIR      kernel tree (default
#                        $XMESH_CACHE/kunit/linux-source-6.1, XMESH_CACHE
#                        defaulting to /var/cache/xmesh); the build directory
#                        is its .kunit/ subdirectory
#   XMESH_KUNIT_KASAN    non-empty: build with KASAN (use-after-free and
#                        out-of-bounds checks), in its own build directory
#                        .kunit-kasan/ so both builds stay incremental; its
#                        first build takes about twice as long
#   XMESH_KUNIT_JOBS     make jobs (default: number of CPUs)
#   XMESH_KUNIT_SEED     seed for the randomized tests (default: each test's
#                        fixed seed, printed in the kernel log)
#   XMESH_KUNIT_TIMEOUT  seconds the UML kernel may run (default 300)
#   XMESH_KUNIT_VERBOSE  non-empty: show kunit.py's own output as it runs
set -euo pipefail

KVER=6.1
PKGS=("linux-source-$KVER" bc bison flex gcc libc6-dev make python3 xz-utils)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
TREE=${XMESH_KUNIT_DIR:-${XMESH_CACHE:-/var/cache/xmesh}/kunit/linux-source-$KVER}
BUILD=$TREE/.kunit
TARBALL=/usr/src/linux-source-$KVER.tar.xz
KUNITCONFIG=$ROOT/kmod/tests/.kunitconfig
GLOB=${1:-xmesh_*}
JOBS=${XMESH_KUNIT_JOBS:-$(nproc)}
PY=/usr/bin/python3


[[ $TREE == /* ]] || TREE=$PWD/$TREE
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- dependencies -----------------------------------------------------------


# --- the kernel tree --------------------------------------------------------

# Unpack the tarball into $TREE unless it holds the installed version. The
# caller holds the lock.
unpack_tree() {
	local ver stamp=$TREE/.xmesh-source-version new
	ver=$(dpkg-query -W -f='${Version}' "linux-source-$KVER")
	[[ -f $stamp && $(<"$stamp") == "$ver" ]] && return 0
	[[ -f $TARBALL ]] || die "$TARBALL missing (reinstall linux-source-$KVER)"
	# Replace only a tree this script made (an older version): never a
	# directory someone pointed XMESH_KUNIT_DIR at by mistake.
	if [[ -e $TREE && ! -f $stamp ]]; then
		die "$TREE exists but was not unpacked by kunit.sh; remove it or set XMESH_KUNIT_DIR"
	fi
	# Leftovers of an interrupted unpack (we hold the lock).
	rm -rf "$TREE".new.*

	echo "# unpacking linux-source-$KVER $ver into $TREE"
	new=$(mktemp -d "$TREE.new.XXXXXX")
	tar -xJf "$TARBALL" -C "$new" --strip-components=1 ||
		{ rm -rf "$new"; die "cannot unpack $TARBALL"; }
	echo "$ver" >"$new/.xmesh-source-version"
	rm -rf "$TREE"
	mv "$new" "$TREE"
}

# sync_file SRC DST: copy SRC over DST unless they are already equal, so
# that unchanged files keep their timestamps and make stays incremental.
sync_file() {
	cmp -s "$1" "$2" && return 0
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2.xmesh-tmp"
	mv "$2.xmesh-tmp" "$2"
}

# The module's sources, relative to kmod/: what a kernel build reads. Build
# products of an out-of-tree build (*.mod.c) are not sources.
module_files() {
	(cd "$1" && find . -type f \( -name '*.[ch]' -o -name Kbuild \) \
		! -name '*.mod.c' -printf '%P\n' | LC_ALL=C sort)
}

sync_module() {
	local dst=$TREE/drivers/net/xmesh f h

	while read -r f; do
		sync_file "$ROOT/kmod/$f" "$dst/$f"
	done < <(module_files "$ROOT/kmod")
	# Files deleted from kmod/ go from the copy too.
	if [[ -d $dst ]]; then
		while read -r f; do
			[[ -e $ROOT/kmod/$f ]] || rm -f "$dst/$f"
		done < <(module_files "$dst")
	fi
	for h in "$ROOT"/uapi/linux/xmesh*.h; do
		sync_file "$h" "$TREE/include/uapi/linux/${h##*/}"
	done
	for h in "$TREE"/include/uapi/linux/xmesh*.h; do
		[[ ! -e $h || -e $ROOT/uapi/linux/${h##*/} ]] || rm -f "$h"
	done

	cat >"$TMP/Kconfig" <<'EOF'
# SPDX-License-Identifier: GPL-2.0
# Written by xmesh's scripts/kunit.sh.

config XMESH
	tristate "xmesh self-healing local network mesh"
	depends on NET && INET && CRYPTO
	depends on IPV6 || !IPV6
	select CRYPTO_LIB_CHACHA20POLY1305
	select NET_UDP_TUNNEL
	select DST_CACHE
	select GRO_CELLS
	help
	  A virtual layer-3 device that carries IPv4 and IPv6 over a mesh
	  of UDP tunnels, forwarding in the kernel over several hops and
	  rerouting around failed links.

config XMESH_KUNIT_TEST
	bool "KUnit tests for xmesh" if !KUNIT_ALL_TESTS
	depends on XMESH && KUNIT
	default KUNIT_ALL_TESTS
	help
	  Builds the xmesh KUnit suites into the xmesh module: the prefix
	  table, route selection, wire header validation, frame sealing and
	  the replay window.
EOF
	sync_file "$TMP/Kconfig" "$dst/Kconfig"

	# Hook the directory into drivers/net (idempotent).
	f=$TREE/drivers/net/Kconfig
	if ! grep -q '^source "drivers/net/xmesh/Kconfig"$' "$f"; then
		sed -i 's|^endif # NETDEVICES$|source "drivers/net/xmesh/Kconfig"\n\n&|' "$f"
		grep -q '^source "drivers/net/xmesh/Kconfig"$' "$f" ||
			die "cannot hook xmesh into $f (no 'endif # NETDEVICES')"
	fi
	f=$TREE/drivers/net/Makefile
	# shellcheck disable=SC2016 # make's $(...), not the shell's
	grep -qxF 'obj-$(CONFIG_XMESH) += xmesh/' "$f" ||
		echo 'obj-$(CONFIG_XMESH) += xmesh/' >>"$f"
}

# --- results ----------------------------------------------------------------

# tap JSON LOG: print kunit.py's JSON results as TAP, each failed case
# followed by the kernel log's lines about it (LOG: the raw kernel output).
# Writes "CASES FAILED" to fd 3.
tap() {
	"$PY" - "$@" <<'EOF'
import json, re, sys

result, log = sys.argv[1], sys.argv[2]
with open(result) as f:
    top = json.load(f)
try:
    with open(log, errors='replace') as f:
        lines = f.read().splitlines()
except OSError:
    lines = []
# The kernel log, without printk timestamps.
lines = [re.sub(r'^\[[^]]*\] ?', '', l) for l in lines]
def kmod(line):
    """Paths in the copy of the module as paths in the clone."""
    return line.replace('drivers/net/xmesh/', 'kmod/')

result_re = re.compile(r'^\s*(not )?ok \d+ (- )?(.*?)(\s+#.*)?$')

def details(suite, case):
    """Kernel log lines between case's result line and the one before."""
    start = None
    for i, l in enumerate(lines):
        if l.strip() == '# Subtest: ' + suite:
            start = i
        elif start is not None:
            m = result_re.match(l)
            if m and m.group(3) == case:
                j = i - 1
                while j > start and not result_re.match(lines[j]) and \
                        not re.match(r'^\s*(1\.\.\d+|KTAP version)', lines[j]):
                    j -= 1
                return [kmod(x.strip()) for x in lines[j + 1:i] if x.strip()]
    return []

n = failed = 0
def walk(group, path):
    global n, failed
    for case in group.get('test_cases', []):
        n += 1
        # A case the kernel never reported (it crashed) has no name.
        name = '.'.join(path + [case['name'] or '(no result)'])
        status = case['status']
        if status == 'PASS':
            print(f'ok {n} - {name}')
        elif status == 'SKIP':
            print(f'ok {n} - {name} # SKIP')
        else:
            failed += 1
            print(f'not ok {n} - {name}')
            print(f'#   status: {status}')
            for d in details(path[-1] if path else '', case['name']):
                print(f'#   {d}')
    for sub in group.get('sub_groups', []):
        walk(sub, path + [sub['name']])

walk(top, [])

# The kernel log: warnings, lockdep and RCU reports, oopses. UML's own
# boot-time warnings (arch/um/, e.g. virt-pci without a device) are not
# the module's.
splat_re = re.compile(r'^(WARNING:|BUG:|Oops|Kernel panic|kernel BUG|'
                      r'UBSAN:|general protection|Unable to handle)')
splats = []
for i, l in enumerate(lines):
    if splat_re.match(l) and not re.search(r' at arch/um/', l):
        splats.append(lines[i:i + 12])
n += 1
if splats:
    failed += 1
    print(f'not ok {n} - kunit.kernel_log_clean')
    for s in splats[:5]:
        for l in s:
            print(f'#   {l}')
        print('#   ...')
else:
    print(f'ok {n} - kunit.kernel_log_clean')
sys.stdout.flush()
with open(3, 'w') as f:
    print(n, failed, file=f)
EOF
}

# --- main -------------------------------------------------------------------

xm_install_missing "$(basename "$0")" "${PKGS[@]}" || exit 2
command -v flock >/dev/null || die "flock (util-linux) missing"

mkdir -p "$(dirname "$TREE")"
# One run at a time per tree: runs share the sources and the build.
exec 9>"$TREE.lock"
flock 9

unpack_tree
sync_module
[[ -f $KUNITCONFIG ]] || die "$KUNITCONFIG missing"

args=(run --arch=um --kunitconfig="$KUNITCONFIG")
if [[ -n ${XMESH_KUNIT_KASAN:-} ]]; then
	BUILD=$TREE/.kunit-kasan
	args+=(--kconfig_add=CONFIG_KASAN=y)
fi
args+=(--build_dir="$BUILD" --jobs="$JOBS"
	--timeout="${XMESH_KUNIT_TIMEOUT:-300}" --json="$TMP/result.json")
if [[ -n ${XMESH_KUNIT_SEED:-} ]]; then
	[[ $XMESH_KUNIT_SEED =~ ^[0-9]+$ ]] || die "XMESH_KUNIT_SEED must be a number"
	for p in prefix route wire crypto; do
		args+=(--kernel_args="xmesh.${p}_seed=$XMESH_KUNIT_SEED")
	done
fi
args+=("$GLOB")

echo "# kunit.py ${args[*]} (in $TREE)"
start=$SECONDS
rc=0
if [[ -n ${XMESH_KUNIT_VERBOSE:-} ]]; then
	{
		(cd "$TREE" && "$PY" tools/testing/kunit/kunit.py "${args[@]}") \
			</dev/null 2>&1 || echo $? >"$TMP/rc"
	} | tee "$TMP/kunit.log" | sed 's/^/# /'
	[[ ! -f $TMP/rc ]] || rc=$(<"$TMP/rc")
else
	(cd "$TREE" && "$PY" tools/testing/kunit/kunit.py "${args[@]}") \
		</dev/null >"$TMP/kunit.log" 2>&1 || rc=$?
fi
echo "# kunit.py finished in $((SECONDS - start)) s with status $rc"

n=0
failed=0
if [[ -s $TMP/result.json ]]; then
	tap "$TMP/result.json" "$BUILD/test.log" 3>"$TMP/counts"
	read -r n failed <"$TMP/counts"
fi

if ((n == 0)); then
	# Nothing ran: the configuration or the build failed, or the kernel
	# died before a suite reported (kunit.py got as far as starting it).
	n=1
	failed=1
	if ! grep -q 'Starting KUnit Kernel' "$TMP/kunit.log"; then
		echo "not ok 1 - kunit.build"
		# Compiler and linker diagnostics first, then the end of the log.
		{
			grep -E '(error|Error|undefined reference)' "$TMP/kunit.log" | head -n 60
			echo "--- last lines of kunit.py's output:"
			tail -n 30 "$TMP/kunit.log"
		} | sed -e 's|\(\.\./\)\{0,1\}drivers/net/xmesh/|kmod/|g' -e 's/^/#   /'
	else
		echo "not ok 1 - kunit.run (no xmesh test case reported)"
		tail -n 40 "$TMP/kunit.log" | sed 's/^/#   /'
	fi
elif ((rc != 0 && failed == 0)); then
	# Every case that reported passed, but kunit.py saw something wrong
	# (a crash, a timeout, a case missing from its suite's plan).
	n=$((n + 1))
	failed=1
	echo "not ok $n - kunit.run (kunit.py exit status $rc)"
	tail -n 40 "$TMP/kunit.log" | sed 's/^/#   /'
fi
echo "1..$n"
((failed == 0))
