#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages (debian/, Documentation/install.md, "Debian
# packages").
#
#   scripts/deb.sh build [OUTDIR]   build xmesh, xmesh-controller and
#                                   xmesh-dkms out of tree; the .debs (and
#                                   the .buildinfo, .changes) go to OUTDIR
#                                   (default build/deb)
#   scripts/deb.sh test [OUTDIR]    build them, then check them (TAP): their
#                                   files, versions, dependencies, maintainer
#                                   scripts, lintian if installed
#
# The build is dpkg-buildpackage -b on a copy of the tree's tracked files as
# they are in the working tree (uncommitted changes included, untracked
# files not), so that debian/rules clean never touches the tree. The
# dashboard's files are the one thing built here first (make -C controller
# web: npm ci, from npm's cache once it has them) and handed to the copy in
# debian/prebuilt-web/: the package build itself needs no network.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

VERSION=$(sed -n 's/^#define XMESH_VERSION[[:space:]]*"\(.*\)"/\1/p' agent/libxmesh/xmesh.h)
ARCH=$(dpkg --print-architecture)

# The tracked files that are in the working tree (NUL-separated).
tracked() {
	local f
	git ls-files -z | while IFS= read -r -d '' f; do
		[[ ! -e $f && ! -L $f ]] || printf '%s\0' "$f"
	done
}

# build OUTDIR: the packages into OUTDIR; the build's log in OUTDIR/build.log.
build() {
	local out=$1 tmp rc
	mkdir -p "$out" || return 2
	rm -f "$out"/xmesh*_*.deb "$out"/xmesh_*.buildinfo "$out"/xmesh_*.changes
	nice -n 19 make -s -C controller web >"$out/build.log" 2>&1 || {
		cat "$out/build.log" >&2
		echo "deb.sh: make -C controller web failed" >&2
		return 1
	}
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-deb.XXXXXX") || return 2
	# dpkg-buildpackage writes the packages next to the source directory.
	mkdir "$tmp/xmesh-$VERSION"
	tracked | tar --null -T - -cf - | tar -C "$tmp/xmesh-$VERSION" -xf -
	cp -R controller/build/web "$tmp/xmesh-$VERSION/debian/prebuilt-web"
	(
		cd "$tmp/xmesh-$VERSION" &&
			DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}" \
				nice -n 19 dpkg-buildpackage -b -us -uc
	) >>"$out/build.log" 2>&1
	rc=$?
	if ((rc == 0)); then
		mv "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes "$out/"
	else
		tail -n 40 "$out/build.log" >&2
		echo "deb.sh: dpkg-buildpackage failed (the whole log: $out/build.log)" >&2
	fi
	rm -rf "$tmp"
	return $rc
}

n=0
failed=0

# has_files DEB PATH...: the package holds every PATH (dpkg-deb -c).
has_files() {
	local deb=$1 list f missing=()
	shift
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||')
	for f in "$@"; do
		grep -qxF "$f" <<<"$list" || missing+=("$f")
	done
	if ((${#missing[@]})); then
		fail "$(basename "$deb") holds its files" "missing: ${missing[*]}" "$list"
	else
		ok "$(basename "$deb") holds its files ($# checked)"
	fi
}

test_debs() {
	local out=$1 t0 t1 log d deb p dep missing tmp
	t0=$(date +%s)
	if log=$(build "$out" 2>&1); then
		t1=$(date +%s)
		ok "make deb: dpkg-buildpackage -b ($((t1 - t0)) s)"
	else
		fail "make deb: dpkg-buildpackage -b" "$log"
		return
	fi
	local -A debs=(
		[xmesh]=$out/xmesh_${VERSION}_$ARCH.deb
		[xmesh-controller]=$out/xmesh-controller_${VERSION}_$ARCH.deb
		[xmesh-dkms]=$out/xmesh-dkms_${VERSION}_all.deb
	)
	missing=()
	for p in "${!debs[@]}"; do
		[[ -f ${debs[$p]} ]] || missing+=("${debs[$p]}")
	done
	if ((${#missing[@]})); then
		fail "three packages, version $VERSION (XMESH_VERSION)" \
			"missing: ${missing[*]}" "$(ls "$out")"
		return
	fi
	ok "three packages, version $VERSION (XMESH_VERSION)"

	has_files "${debs[xmesh]}" /usr/sbin/xmeshd /usr/sbin/xmesh \
		"/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libxmesh.so.${VERSION%%.*}" \
		/usr/include/xmesh.h /usr/share/man/man8/xmesh.8.gz /usr/share/man/man8/xmeshd.8.gz \
		/usr/share/man/man3/libxmesh.3.gz /lib/systemd/system/xmeshd.service \
		/etc/xmesh/xmeshd.conf /etc/iproute2/rt_protos.d/xmesh.conf
	has_files "${debs[xmesh-controller]}" /usr/sbin/xmesh-controller \
		/usr/share/man/man8/xmesh-controller.8.gz \
		/lib/systemd/system/xmesh-controller.service \
		/usr/share/xmesh/web/index.html /usr/share/xmesh/web/js/app.js \
		/usr/share/xmesh/web/vendor/cytoscape.min.js \
		/usr/share/xmesh/web/vendor/uPlot.iife.min.js
	has_files "${debs[xmesh-dkms]}" "/usr/src/xmesh-$VERSION/dkms.conf" \
		"/usr/src/xmesh-$VERSION/kmod/Makefile" "/usr/src/xmesh-$VERSION/kmod/Kbuild" \
		"/usr/src/xmesh-$VERSION/kmod/main.c" "/usr/src/xmesh-$VERSION/uapi/linux/xmesh.h"

	tmp=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-debtest.XXXXXX")
	# shellcheck disable=SC2064 # $tmp now
	trap "rm -rf '$tmp'" RETURN

	# The module's source is exactly what make install-dkms installs
	# (which the DKMS tests build): the same files, the same content.
	dpkg-deb -x "${debs[xmesh-dkms]}" "$tmp/dkms"
	make -s install-dkms DESTDIR="$tmp/ref" >/dev/null 2>&1
	if log=$(diff -r "$tmp/ref/usr/src" "$tmp/dkms/usr/src" 2>&1); then
		ok "xmesh-dkms's source is make install-dkms's"
	else
		fail "xmesh-dkms's source is make install-dkms's" "$log"
	fi

	# Depends: the libraries the programs link (dpkg-shlibdeps), DKMS for
	# the module; nothing left unsubstituted.
	local -A want=(
		[xmesh]="libmnl0 libsodium23 libjson-c5 libbpf1 libnftnl11 libcurl4"
		[xmesh-controller]="libmicrohttpd12 libsqlite3-0 libpq5 libsodium23"
		[xmesh-dkms]="dkms"
	)
	for p in xmesh xmesh-controller xmesh-dkms; do
		dep=$(dpkg-deb -f "${debs[$p]}" Depends)
		missing=()
		for d in ${want[$p]}; do
			grep -qE "(^|, )$d( |,|$)" <<<"$dep" || missing+=("$d")
		done
		if ((${#missing[@]} == 0)) && [[ $dep != *"\${"* ]]; then
			ok "$p: Depends has ${want[$p]}"
		else
			fail "$p: Depends has ${want[$p]}" "Depends: $dep" "missing: ${missing[*]}"
		fi
	done
	# ... and apt can satisfy them all on this machine (a simulation).
	if log=$(apt-get install -s --no-install-recommends "${debs[@]}" 2>&1); then
		ok "apt-get -s install of the three packages resolves their Depends"
	else
		fail "apt-get -s install of the three packages resolves their Depends" "$log"
	fi
	# The programs find every library they link (from the packages'
	# files, on this machine).
	dpkg-deb -x "${debs[xmesh]}" "$tmp/root"
	dpkg-deb -x "${debs[xmesh-controller]}" "$tmp/root"
	missing=()
	for p in usr/sbin/xmeshd usr/sbin/xmesh usr/sbin/xmesh-controller; do
		log=$(ldd "$tmp/root/$p" 2>&1) && ! grep -q 'not found' <<<"$log" ||
			missing+=("$p: $log")
	done
	if ((${#missing[@]} == 0)); then
		ok "xmeshd, xmesh, xmesh-controller: every library found (ldd)"
	else
		fail "xmeshd, xmesh, xmesh-controller: every library found (ldd)" "${missing[@]}"
	fi
	# The controller serves the dashboard from the package's directory by
	# default (--help names the --web default).
	if log=$("$tmp/root/usr/sbin/xmesh-controller" --help 2>&1) &&
		grep -q '/usr/share/xmesh/web' <<<"$log"; then
		ok "xmesh-controller's default --web is /usr/share/xmesh/web"
	else
		fail "xmesh-controller's default --web is /usr/share/xmesh/web" "$log"
	fi
	if grep -q '^ExecStart=/usr/sbin/xmeshd -f$' "$tmp/root/lib/systemd/system/xmeshd.service" &&
		grep -q '^ExecStart=/usr/sbin/xmesh-controller ' \
			"$tmp/root/lib/systemd/system/xmesh-controller.service"; then
		ok "the units' ExecStart is /usr/sbin's"
	else
		fail "the units' ExecStart is /usr/sbin's" \
			"$(grep -h ExecStart= "$tmp"/root/lib/systemd/system/*.service)"
	fi

	# Maintainer scripts: the units are not enabled nor started at
	# install; an upgrade try-restarts them, a removal stops them; the
	# configuration files are conffiles; DKMS builds in xmesh-dkms's
	# postinst and removes in its prerm.
	# (debhelper's snippets: enabled only if an upgraded unit was,
	# try-restart after an upgrade; the stop is debian/*.prerm's).
	local unit name
	for p in xmesh xmesh-controller; do
		unit=$p.service
		[[ $p != xmesh ]] || unit=xmeshd.service
		name="$p: $unit not enabled or started at install, try-restart on upgrade, stop on remove"
		d=$tmp/ctl-$p
		dpkg-deb -e "${debs[$p]}" "$d"
		if grep -qF "deb-systemd-helper debian-installed '$unit'" "$d/postinst" &&
			grep -qF "deb-systemd-invoke try-restart '$unit'" "$d/postinst" &&
			! grep -qE 'deb-systemd-invoke (start|restart) ' "$d/postinst" &&
			grep -qF "deb-systemd-invoke stop $unit" "$d/prerm"; then
			ok "$name"
		else
			fail "$name" "$(cat "$d/postinst" "$d/prerm")"
		fi
	done
	if grep -qx /etc/xmesh/xmeshd.conf "$tmp/ctl-xmesh/conffiles" &&
		grep -qx /etc/iproute2/rt_protos.d/xmesh.conf "$tmp/ctl-xmesh/conffiles"; then
		ok "xmesh: its files in /etc are conffiles"
	else
		fail "xmesh: its files in /etc are conffiles" "$(cat "$tmp/ctl-xmesh/conffiles" 2>&1)"
	fi
	d=$tmp/ctl-dkms
	dpkg-deb -e "${debs[xmesh-dkms]}" "$d"
	# shellcheck disable=SC2016 # the scripts' own variables, not ours
	if grep -qF '$DKMS_POSTINST $DKMS_NAME $DKMS_VERSION' "$d/postinst" &&
		grep -qx "DKMS_VERSION=$VERSION" "$d/postinst" &&
		grep -qF 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all' "$d/prerm"; then
		ok "xmesh-dkms: postinst has DKMS build and install, prerm dkms remove"
	else
		fail "xmesh-dkms: postinst has DKMS build and install, prerm dkms remove" \
			"$(cat "$d/postinst" "$d/prerm" 2>&1)"
	fi

	if ! command -v lintian >/dev/null; then
		ok "lintian: no error # SKIP lintian not installed"
	elif log=$(lintian --fail-on error "$out"/xmesh_*.changes 2>&1); then
		ok "lintian: no error ($(grep -c '^W:' <<<"$log") warnings)"
	else
		fail "lintian: no error" "$(grep '^E:' <<<"$log")"
	fi
}

out=$(realpath -m "${2:-build/deb}")
case ${1:-} in
build) build "$out" && ls "$out"/*.deb ;;
test)
	test_debs "$out"
	((n)) || fail "no test ran"
	((failed == 0))
	;;
*) die "usage: $0 build [OUTDIR] | test [OUTDIR]" ;;
esac
