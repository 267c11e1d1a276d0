#!/bin/bash
# Build (or reuse) the xmesh debug guest kernel: Debian's linux-source-6.1
# with a trimmed config (tinyconfig + scripts/debug-kernel.config) and KASAN,
# lockdep, kmemleak, debugobjects; and build kmod/xmesh.ko against it.
#
#   scripts/debug-kernel.sh [kernel]     build if needed; print the kernel
#                                        directory, for XMESH_GUEST_KERNEL_DIR
#                                        of scripts/guest.sh
#   scripts/debug-kernel.sh module DIR   build the kernel if needed, then
#                                        kmod/ (a copy of it, in DIR) against
#                                        it; print the path of xmesh.ko
#   scripts/debug-kernel.sh kunit-module DIR
#                                        the same with the KUnit suites built
#                                        in (CONFIG_XMESH_KUNIT_TEST=y): they
#                                        run when the module loads
#   scripts/debug-kernel.sh config       only write and check the .config;
#                                        print its path
#   scripts/debug-kernel.sh key          print the cache key (no build)
#
# The kernel directory holds bzImage, config, System.map, lib/modules/<release>/
# (modules_install) and build, a link to the build tree (vmlinux). It is
# cached as $XMESH_CACHE/debug-kernel/kernel-<key>, the key a hash of the
# config fragment, the linux-source-6.1 package version and RECIPE below, so
# the kernel is rebuilt exactly when one of those changes. The source is
# unpacked into $XMESH_CACHE/debug-kernel/src-<version> (separate from the
# KUnit tree) and built with O=$XMESH_CACHE/debug-kernel/build-<key>, which
# is kept for module builds. An interrupted build resumes where it stopped.
#
# Environment:
#   XMESH_CACHE       cache directory (/var/cache/xmesh)
#   XMESH_DEBUG_JOBS  make -j (2); builds run under nice -n 19
#   XMESH_DEBUG_LOG   build log file (default: build-<key>/build.log)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
CACHE=${XMESH_CACHE:-/var/cache/xmesh}
BASE=$CACHE/debug-kernel
FRAGMENT=$HERE/debug-kernel.config
TARBALL=/usr/src/linux-source-6.1.tar.xz
SRCPKG=linux-source-6.1
# Bump when the way the kernel is made changes (not the fragment: that is
# hashed already).
RECIPE=2
JOBS=${XMESH_DEBUG_JOBS:-2}

# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
XM_DIE_STATUS=1
say() { echo "# debug-kernel.sh: $*" >&2; }

usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

pkg_version() {
	dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null ||
		die "$SRCPKG is not installed (scripts/setup.sh)"
}

cache_key() {
	{ echo "recipe $RECIPE"; echo "$SRCPKG $(pkg_version)"; cat "$FRAGMENT"; } |
		sha256sum | cut -c1-16
}

# Run make in the kernel build tree, politely.
kmake() {
	nice -n 19 make -s -C "$SRC" O="$BUILD" ARCH=x86_64 "$@"
}

# Unpack the source tarball once per package version.
unpack() {
	[[ -f $SRC/Makefile ]] && return
	[[ -f $TARBALL ]] || die "$TARBALL missing (apt-get install $SRCPKG)"
	say "unpacking $TARBALL into $SRC"
	local tmp
	tmp=$(mktemp -d "$BASE/.src.XXXXXX")
	nice -n 19 tar -C "$tmp" -xf "$TARBALL"
	[[ -f $tmp/linux-source-6.1/Makefile ]] || { rm -rf "$tmp"; die "unexpected layout of $TARBALL"; }
	rm -rf "$SRC"
	mv "$tmp/linux-source-6.1" "$SRC"
	rm -rf "$tmp"
}

# Check that every line of the fragment holds in .config.
verify_config() {
	local line sym bad=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$BUILD/.config" || bad+=("want $line, have: $(grep -E "^(# )?${line%%=*}[= ]" "$BUILD/.config" || echo unset)")
			;;
		'# CONFIG_'*' is not set')
			sym=${line#\# }
			sym=${sym%% *}
			! grep -qE "^$sym=" "$BUILD/.config" || bad+=("want $line, have: $(grep -E "^$sym=" "$BUILD/.config")")
			;;
		esac
	done <"$FRAGMENT"
	if ((${#bad[@]})); then
		printf 'debug-kernel.sh: %s\n' "${bad[@]}" >&2
		die "the config fragment does not hold (missing dependencies?); see $BUILD/.config"
	fi
}

configure() {
	mkdir -p "$BUILD"
	# Kconfig warns about every override, which is the point here: keep its
	# chatter in a log.
	kmake tinyconfig >"$BUILD/config.log" 2>&1 || { cat "$BUILD/config.log" >&2; die "make tinyconfig failed"; }
	# Later assignments win; olddefconfig resolves the rest.
	cat "$FRAGMENT" >>"$BUILD/.config"
	kmake olddefconfig >>"$BUILD/config.log" 2>&1 || { cat "$BUILD/config.log" >&2; die "make olddefconfig failed"; }
	verify_config
}

build_kernel() {
	local t0 t1 release log=${XMESH_DEBUG_LOG:-$BUILD/build.log} out tmp
	t0=$(date +%s)
	unpack
	say "building the debug kernel in $BUILD (log: $log); the first build takes a while"
	configure
	# Make: the kernel, the modules, then install the modules into a staging
	# directory that becomes kernel-<key> in one rename.
	if ! kmake -j"$JOBS" bzImage vmlinux modules >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "kernel build failed; see $log"
	fi
	release=$(kmake -s kernelrelease)
	tmp=$(mktemp -d "$BASE/.kernel.XXXXXX")
	chmod 0755 "$tmp"
	if ! kmake INSTALL_MOD_PATH="$tmp" modules_install >>"$log" 2>&1; then
		rm -rf "$tmp"
		tail -n 20 "$log" >&2
		die "modules_install failed; see $log"
	fi
	# The source/build links would point into the cache; the guest needs
	# neither.
	rm -f "$tmp/lib/modules/$release/build" "$tmp/lib/modules/$release/source"
	cp "$BUILD/arch/x86/boot/bzImage" "$tmp/bzImage"
	cp "$BUILD/.config" "$tmp/config"
	cp "$BUILD/System.map" "$tmp/System.map"
	echo "$release" >"$tmp/release"
	ln -s "$BUILD" "$tmp/build"
	out=$BASE/kernel-$KEY
	rm -rf "$out"
	mv "$tmp" "$out"
	t1=$(date +%s)
	echo "$((t1 - t0))" >"$out/build-seconds"
	say "built $release in $((t1 - t0)) s: $out"
	prune
}

# Delete the trees of other keys that no run has used for two days (another
# clone with another fragment may still want its own), and the source of
# other package versions, which no new build can use.
prune() {
	local k key
	for k in "$BASE"/kernel-*; do
		[[ -d $k ]] || continue
		key=${k##*/kernel-}
		[[ $key != "$KEY" ]] || continue
		if [[ -z $(find "$k/last-used" -mmin -2880 2>/dev/null) ]]; then
			say "removing the unused $k and its build tree"
			rm -rf "$k" "$BASE/build-$key"
		fi
	done
	# Build trees whose kernel never got finished: after two days too.
	find "$BASE" -mindepth 1 -maxdepth 1 -name 'build-*' ! -name "build-$KEY" \
		-mmin +2880 -exec rm -rf {} + 2>/dev/null || true
	find "$BASE" -mindepth 1 -maxdepth 1 -name 'src-*' ! -path "$SRC" -mmin +60 \
		-exec rm -rf {} + 2>/dev/null || true
}

# Print the kernel directory, building it first if needed.
kernel() {
	local out=$BASE/kernel-$KEY
	if [[ ! -f $out/release ]]; then
		mkdir -p "$BASE"
		# One build at a time; the others wait and then find it done.
		exec 8>"$BASE/.lock"
		flock 8
		[[ -f $out/release ]] || build_kernel
		exec 8>&-
	fi
	touch "$out/last-used" 2>/dev/null || true
	printf '%s\n' "$out"
}

# Build xmesh.ko against the debug kernel in DIR (a copy of kmod/ and uapi/,
# sources only, so the clone's own build is never touched); print its path.
# Further arguments go to make.
module() {
	local dir=$1 kdir f log
	shift
	kdir=$(kernel)
	mkdir -p "$dir/src"
	dir=$(cd "$dir" && pwd)
	rm -rf "$dir/src/kmod" "$dir/src/uapi"
	(cd "$TOP" && find kmod uapi \( -name '*.c' ! -name '*.mod.c' -o -name '*.h' \
		-o -name Kbuild -o -name Makefile \) -print0 |
		cpio -0 -pdm --quiet "$dir/src") || die "cannot copy kmod/ to $dir/src"
	log=$dir/build.log
	# -g: the kernel has no debug info (it would double the build), but the
	# module's line numbers make reports readable (scripts/faddr2line).
	if ! nice -n 19 make -C "$dir/src/kmod" KDIR="$kdir/build" KCFLAGS=-g "$@" >"$log" 2>&1; then
		cat "$log" >&2
		die "xmesh.ko does not build against the debug kernel"
	fi
	f=$dir/src/kmod/xmesh.ko
	[[ -f $f ]] || die "no $f after the build"
	cp "$f" "$dir/xmesh.ko"
	printf '%s\n' "$dir/xmesh.ko"
}

main() {
	local cmd=${1:-kernel}
	KEY=$(cache_key)
	SRC=$BASE/src-$(pkg_version)
	BUILD=$BASE/build-$KEY
	case $cmd in
	kernel) kernel ;;
	module)
		[[ $# -eq 2 ]] || usage
		module "$2"
		;;
	kunit-module)
		[[ $# -eq 2 ]] || usage
		module "$2" CONFIG_XMESH_KUNIT_TEST=y
		;;
	config)
		mkdir -p "$BASE"
		exec 8>"$BASE/.lock"
		flock 8
		unpack
		configure
		printf '%s\n' "$BUILD/.config"
		;;
	key) echo "$KEY" ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
}

main "$@"
