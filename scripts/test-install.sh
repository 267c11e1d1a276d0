#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side tests of the packaging (Documentation/install.md), TAP.
#
#   scripts/test-install.sh install    `make install DESTDIR=...` puts every
#                                      file under DESTDIR and nothing
#                                      elsewhere; the units verify; the
#                                      version is one (a few seconds, on a
#                                      built tree)
#   scripts/test-install.sh dkms DIR   DKMS builds the module from the
#                                      installed source for the guest kernel
#                                      into a DKMS tree in DIR (its own key
#                                      signs it), for tests/guest/80-packaging.sh
#                                      to install in the guest (XMESH_DKMS_TREE)
#
# Both run on a built tree (make all) and write only under temporary
# directories and DIR.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

n=0
failed=0

KABI=${KABI:-$(scripts/guest-kernel.sh --abi)}
KDIR=${KDIR:-/usr/src/linux-headers-$KABI}
hdr_version() {
	sed -n 's/^#define XMESH_VERSION[[:space:]]*"\(.*\)"/\1/p' agent/libxmesh/xmesh.h
}
VERSION=$(hdr_version)

# The directories a stray install would write to on this host (not all of
# /etc: other work on the machine may touch it meanwhile).
HOST_DIRS=(/lib/modules /usr/local /usr/src /etc/xmesh /etc/iproute2 /etc/systemd
	/lib/systemd /usr/lib/systemd /usr/sbin /usr/share/man /var/lib/dkms)

test_install() {
	local d stamp out f stray unit
	d=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-destdir.XXXXXX")
	stamp=$d.stamp
	trap 'rm -rf "$d" "$stamp"' RETURN
	touch "$stamp"
	sleep 1
	if out=$(nice -n 19 make -s install install-dkms DESTDIR="$d" PREFIX=/usr KDIR="$KDIR" 2>&1); then
		ok "make install install-dkms DESTDIR=... PREFIX=/usr"
	else
		fail "make install install-dkms DESTDIR=... PREFIX=/usr" "$out"
		return
	fi
	local -a want=(
		"lib/modules/$KABI/updates/xmesh.ko"
		usr/sbin/xmesh usr/sbin/xmeshd usr/sbin/xmesh-controller
		usr/share/man/man8/xmesh.8 usr/share/man/man8/xmeshd.8
		usr/share/man/man8/xmesh-controller.8 usr/share/man/man3/libxmesh.3
		lib/systemd/system/xmeshd.service lib/systemd/system/xmesh-controller.service
		etc/xmesh/xmeshd.conf etc/iproute2/rt_protos.d/xmesh.conf
		usr/include/xmesh.h usr/lib/libxmesh.so usr/lib/pkgconfig/xmesh.pc
		"usr/src/xmesh-$VERSION/dkms.conf" "usr/src/xmesh-$VERSION/kmod/Makefile"
		"usr/src/xmesh-$VERSION/kmod/Kbuild" "usr/src/xmesh-$VERSION/uapi/linux/xmesh.h"
	)
	local missing=()
	for f in "${want[@]}"; do
		[[ -e $d/$f ]] || missing+=("$f")
	done
	if ((${#missing[@]})); then
		fail "every file is installed under DESTDIR" "missing: ${missing[*]}" \
			"$(cd "$d" && find . -type f | sort)"
	else
		ok "every file is installed under DESTDIR (${#want[@]} checked)"
	fi
	# The DKMS source holds no build output.
	stray=$(find "$d/usr/src" -name '*.o' -o -name '*.ko' -o -name '*.mod.c' -o -name '.*.cmd')
	if [[ -z $stray ]]; then
		ok "the DKMS source holds no build output"
	else
		fail "the DKMS source holds no build output" "$stray"
	fi
	# The module's indexes are the target system's: a staged install
	# leaves them alone.
	if compgen -G "$d/lib/modules/$KABI/modules.*" >/dev/null; then
		fail "no depmod indexes under DESTDIR" "$(ls "$d/lib/modules/$KABI")"
	else
		ok "no depmod indexes under DESTDIR"
	fi
	stray=$(find "${HOST_DIRS[@]}" -xdev -newer "$stamp" 2>/dev/null | head -n 20)
	if [[ -z $stray ]]; then
		ok "make install DESTDIR wrote nothing outside DESTDIR"
	else
		fail "make install DESTDIR wrote nothing outside DESTDIR" "$stray"
	fi
	if grep -q '^ExecStart=/usr/sbin/xmeshd -f$' "$d/lib/systemd/system/xmeshd.service" &&
		grep -q '^ExecStart=/usr/sbin/xmesh-controller ' \
			"$d/lib/systemd/system/xmesh-controller.service"; then
		ok "the units' ExecStart is SBINDIR's"
	else
		fail "the units' ExecStart is SBINDIR's" \
			"$(grep -h ExecStart= "$d"/lib/systemd/system/xmesh*.service)"
	fi
	# systemd-analyze verify wants the ExecStart programs to exist: point
	# copies of the installed units at the tree's. No man pages: they are
	# installed under DESTDIR, not on this host.
	mkdir "$d/verify"
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$top/agent/|" \
		"$d/lib/systemd/system/xmeshd.service" >"$d/verify/xmeshd.service"
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$top/controller/|" \
		"$d/lib/systemd/system/xmesh-controller.service" \
		>"$d/verify/xmesh-controller.service"
	for unit in xmeshd xmesh-controller; do
		if ! command -v systemd-analyze >/dev/null; then
			ok "systemd-analyze verify $unit.service # SKIP no systemd-analyze"
		elif out=$(systemd-analyze verify --man=no "$d/verify/$unit.service" 2>&1) &&
			[[ -z $out ]]; then
			ok "systemd-analyze verify $unit.service"
		else
			fail "systemd-analyze verify $unit.service" "$out"
		fi
	done
	# One version: dkms.conf's and the agent's are the header's.
	local conf daemon
	conf=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	daemon=$(sed -n 's/^#define XMD_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' agent/daemon/ctl_proto.h)
	if [[ -n $VERSION && $conf == "$VERSION" && $daemon == "$VERSION" ]] &&
		grep -qx "PACKAGE_VERSION=\"$VERSION\"" "$d/usr/src/xmesh-$VERSION/dkms.conf"; then
		ok "one version: XMESH_VERSION $VERSION, dkms.conf's, xmeshd's"
	else
		fail "one version: XMESH_VERSION, dkms.conf's, xmeshd's" \
			"xmesh.h $VERSION, dkms.conf $conf, ctl_proto.h $daemon"
	fi
}

# DKMS, for the guest kernel (whose headers the host has), in a tree of
# its own in $1: dkms/ (its --dkmstree), src/ (--sourcetree), the signing
# key. dkms's own key would be /var/lib/dkms/mok.key on the host: give it
# ours (dkms takes mok_signing_key and mok_certificate from its
# environment when framework.conf sets none).
test_dkms() {
	local out=$1 d src t0 t1 log ko
	command -v dkms >/dev/null || {
		ok "dkms build for $KABI # SKIP dkms not installed (scripts/setup.sh)"
		return
	}
	rm -rf "$out"
	mkdir -p "$out/dkms" "$out/src"
	d=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-dkms.XXXXXX")
	trap 'rm -rf "$d"' RETURN
	if ! log=$(make -s install-dkms DESTDIR="$d" 2>&1); then
		fail "make install-dkms" "$log"
		return
	fi
	src=$out/src/xmesh-$VERSION
	mv "$d/usr/src/xmesh-$VERSION" "$src"
	local -a dk=(env mok_signing_key="$out/mok.key" mok_certificate="$out/mok.pub"
		nice -n 19 dkms --dkmstree "$out/dkms" --sourcetree "$out/src"
		--installtree "$out/modules" -k "$KABI" --kernelsourcedir "$KDIR")
	if log=$("${dk[@]}" add -m xmesh -v "$VERSION" 2>&1); then
		ok "dkms add xmesh/$VERSION"
	else
		fail "dkms add xmesh/$VERSION" "$log"
		return
	fi
	t0=$(date +%s)
	if log=$("${dk[@]}" build -m xmesh -v "$VERSION" 2>&1); then
		t1=$(date +%s)
		ok "dkms build xmesh/$VERSION for $KABI ($((t1 - t0)) s)"
	else
		fail "dkms build xmesh/$VERSION for $KABI" "$log" \
			"$(cat "$out/dkms/xmesh/$VERSION/build/make.log" 2>/dev/null)"
		return
	fi
	ko=$out/dkms/xmesh/$VERSION/$KABI/x86_64/module/xmesh.ko
	if [[ $(modinfo -F vermagic "$ko" 2>/dev/null) == "$KABI "* ]]; then
		ok "the DKMS module is built for $KABI"
	else
		fail "the DKMS module is built for $KABI" "$(modinfo "$ko" 2>&1)"
	fi
	if [[ $(modinfo -F signer "$ko" 2>/dev/null) == "DKMS module signing key" ]]; then
		ok "DKMS signs the module with its key"
	else
		fail "DKMS signs the module with its key" "$log"
	fi
}

case ${1:-} in
install) test_install ;;
dkms)
	[[ -n ${2:-} ]] || die "usage: $0 dkms DIR"
	test_dkms "$(realpath -m "$2")"
	;;
*) die "usage: $0 install | dkms DIR" ;;
esac
((n)) || fail "no test ran"
((failed == 0))
