#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages (debian/, Documentation/install.md, "Debian
# packages") installed with dpkg under systemd as PID 1 in the guest
# (XMESH_GUEST_INIT=systemd): not in make test (no NN- prefix): dpkg -i of
# the three packages took 4.5 to 6 minutes in the emulated guest; make
# deb-test-guest runs it.
# xmesh-dkms registers the module's source with DKMS, the units are
# installed but neither enabled nor started, the packaged xmeshd.conf
# refuses to run without certificates; once the operator has made the site
# key and the node's certificate and enabled xmeshd, an upgrade restarts it
# (a new process, still enabled), a removal stops it (xmesh0 stays, the
# conffile too), a purge takes the conffile and the enablement (the site
# key stays), and xmesh-dkms's removal unregisters the module.
#
# DKMS's build of the module is not done here: the guest has no headers for
# its own kernel (the image's modules hide the host's build link), so the
# postinst skips it, as on a machine without linux-headers; the build in
# the emulated guest took over 15 minutes. 80-packaging.sh installs and
# loads a DKMS build of the same source (scripts/deb.sh test checks that
# xmesh-dkms's source is make install-dkms's). The packages are built on
# the host first: make deb (XMESH_DEB_DIR, default build/deb). Run it with
#   make deb-test-guest, or
#   make all deb && XMESH_GUEST_INIT=systemd XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/deb-systemd.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

require_systemd
D=${XMESH_DEB_DIR:-$top/build/deb}
V=$(sed -n 's/^#define XMESH_VERSION[[:space:]]*"\(.*\)"/\1/p' "$top/agent/libxmesh/xmesh.h")
A=$(dpkg --print-architecture)
AGENT=$D/xmesh_${V}_$A.deb
CTL=$D/xmesh-controller_${V}_$A.deb
DKMS=$D/xmesh-dkms_${V}_all.deb
for f in "$AGENT" "$CTL" "$DKMS"; do
	if [[ ! -f $f ]]; then
		echo "Bail out! no $f (make deb first)"
		exit 1
	fi
done

# unit_logs UNIT: its journal, for a failure's details.
unit_logs() {
	systemctl status --no-pager "$1" 2>&1 | tail -n 5
	journalctl --no-pager -b -u "$1" 2>&1 | tail -n 20
}

# dpkg with a database of its own: the host's (some 930 packages' file
# lists) took over 150 s to read over 9p under emulation. The packages'
# dependencies are the host's libraries, there all the same
# (scripts/deb.sh test resolves them with apt on the host).
export DPKG_ADMINDIR=/tmp/dpkg
mkdir -p "$DPKG_ADMINDIR/info" "$DPKG_ADMINDIR/updates" "$DPKG_ADMINDIR/triggers"
touch "$DPKG_ADMINDIR/status" "$DPKG_ADMINDIR/available"
DPKG=(dpkg --force-depends)

# The host is a container image whose policy-rc.d forbids every service
# action (exit 101), which deb-systemd-invoke obeys; a machine has none.
rm -f /usr/sbin/policy-rc.d

# DKMS's postinst builds for the running kernel and for the newest one of
# /boot: the host's 6.12, whose headers the guest sees. Only the guest's
# kernel here (the guest's root is thrown away after the run).
rm -f /boot/config-*
# What udev makes on a real system: dkms reads <(...) through /dev/fd.
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
ip link set lo up

for f in "$DKMS" "$AGENT" "$CTL"; do
	start=$EPOCHREALTIME
	check "dpkg -i $(basename "$f")" "${DPKG[@]}" -i "$f"
	echo "# it took $(echo "$EPOCHREALTIME - $start" | bc) s"
done
for p in xmesh xmesh-controller xmesh-dkms; do
	# shellcheck disable=SC2016 # dpkg-query's fields
	check_match "$p $V is installed" 0 "^install ok installed $V$" \
		dpkg-query -W -f='${Status} ${Version}\n' "$p"
done
check_match "dkms status: xmesh/$V added by the postinst" 0 "^xmesh/$V: added$" dkms status
check "the module's source is in /usr/src/xmesh-$V" test -f "/usr/src/xmesh-$V/dkms.conf"
check_match "xmesh -V (the package's tool)" 0 "$V" /usr/sbin/xmesh -V
for u in xmeshd xmesh-controller; do
	check_match "$u.service is known to systemd" 0 "^LoadState=loaded$" \
		systemctl show -p LoadState "$u.service"
	check_match "$u.service is not enabled" 1 '^disabled$' systemctl is-enabled "$u.service"
	check_match "$u.service is not started" 3 '^inactive$' systemctl is-active "$u.service"
done

# The operator's part (install.md): the site key, the certificates (the
# packaged xmeshd.conf starts no agent without them), then enable and start.
check "xmeshd --gen-site-key /etc/xmesh/site.key" \
	/usr/sbin/xmeshd --gen-site-key /etc/xmesh/site.key
check_match "the packaged xmeshd.conf starts no agent without certificates" 1 \
	'no certificate: .*insecure-no-certificates yes' /usr/sbin/xmeshd --check
check "the site authority, the node's key and certificate in xmeshd.conf" \
	certify_node 1
check "systemctl enable --now xmeshd" systemctl enable --now xmeshd.service
if wait_for 30 systemctl is-active xmeshd.service; then
	tap_ok "xmeshd is active"
else
	tap_fail "xmeshd is active" "$(unit_logs xmeshd.service)"
fi
check_json "xmeshd made xmesh0" '.[0].linkinfo.info_kind == "xmesh"' \
	ip -j -d link show xmesh0
pid=$(systemctl show -P MainPID xmeshd.service)

# An upgrade (the same package again: dpkg runs the postinst with the
# version it replaces) restarts the running agent.
start=$EPOCHREALTIME
check "dpkg -i xmesh (an upgrade)" "${DPKG[@]}" -i "$AGENT"
echo "# the upgrade took $(echo "$EPOCHREALTIME - $start" | bc) s"
wait_for 30 systemctl is-active xmeshd.service || true
new=$(systemctl show -P MainPID xmeshd.service)
if [[ $new != 0 && $new != "$pid" ]] && systemctl -q is-active xmeshd.service; then
	tap_ok "the upgrade restarted xmeshd (pid $pid, then $new)"
else
	tap_fail "the upgrade restarted xmeshd" "pid $pid, then $new" "$(unit_logs xmeshd.service)"
fi
check_match "xmeshd.service is still enabled" 0 '^enabled$' systemctl is-enabled xmeshd.service

check "dpkg -r xmesh" "${DPKG[@]}" -r xmesh
check_match "the removal stopped xmeshd" 3 '^inactive$' systemctl is-active xmeshd.service
check "its process is gone" test ! -e "/proc/$new"
check "xmesh0 stays (a stopped agent leaves the kernel's tables)" ip link show xmesh0
check "the removal keeps /etc/xmesh/xmeshd.conf (a conffile)" test -f /etc/xmesh/xmeshd.conf
check "dpkg -P xmesh" "${DPKG[@]}" -P xmesh
check "the purge takes /etc/xmesh/xmeshd.conf" test ! -e /etc/xmesh/xmeshd.conf
check "the purge keeps the site key" test -f /etc/xmesh/site.key
check "the purge takes the enablement" \
	test ! -e /etc/systemd/system/multi-user.target.wants/xmeshd.service
check "dpkg -P xmesh-controller" "${DPKG[@]}" -P xmesh-controller
check_match "xmesh-controller.service is gone" 0 '^LoadState=not-found$' \
	systemctl show -p LoadState xmesh-controller.service

start=$EPOCHREALTIME
check "dpkg -P xmesh-dkms" "${DPKG[@]}" -P xmesh-dkms
echo "# dpkg -P xmesh-dkms took $(echo "$EPOCHREALTIME - $start" | bc) s"
check_no_match "dkms status: no xmesh" '^xmesh/' dkms status
check "its source is gone" test ! -e "/usr/src/xmesh-$V"
tap_done
