#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS in the guest (Documentation/install.md, "DKMS"): the module DKMS
# built on the host for the guest's kernel from the installed source
# (`scripts/test-install.sh dkms DIR`, in XMESH_DKMS_TREE) is put where
# DKMS keeps it, `dkms install` installs it for the running kernel,
# `modprobe xmesh` loads that module and not another, an
# xmesh link can be made, and `dkms remove` takes it away again. The build
# itself is the host's: in the emulated guest it took over 15 minutes;
# depmod likewise (below).
# Run it with
#   make all && scripts/test-install.sh dkms /tmp/xmesh-dkms &&
#   XMESH_DKMS_TREE=/tmp/xmesh-dkms scripts/guest.sh run tests/guest/80-packaging.sh
# (scripts/run-tests.sh guest does both).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

T=${XMESH_DKMS_TREE:-}
if [[ -z $T || ! -d $T/dkms/xmesh ]]; then
	echo "Bail out! no DKMS tree in XMESH_DKMS_TREE (scripts/test-install.sh dkms DIR first)"
	exit 1
fi
ABI=$(uname -r)
V=$(basename "$(echo "$T"/src/xmesh-*)")
V=${V#xmesh-}
MODS=/lib/modules/$ABI

# What udev makes on a real system: dkms reads <(...) through /dev/fd.
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
# Only DKMS's module may be found: not the one guest.sh installed.
rm -f "$MODS/extra/xmesh.ko"
if [[ -e /sys/module/xmesh ]]; then
	echo "Bail out! the xmesh module is already loaded"
	exit 1
fi

# The host's tree where DKMS keeps its own: the source in /usr/src, the
# built module in /var/lib/dkms, its source link made again for the new
# place; the key it was signed with is the one DKMS would have made here.
cp -a "$T/src/xmesh-$V" /usr/src/
mkdir -p /var/lib/dkms
cp -a "$T/dkms/xmesh" /var/lib/dkms/
ln -sfn "/usr/src/xmesh-$V" "/var/lib/dkms/xmesh/$V/source"
cp "$T/mok.key" "$T/mok.pub" /var/lib/dkms/
check_match "dkms status: xmesh/$V built for $ABI" 0 \
	"^xmesh/$V, $ABI, x86_64: built$" dkms status

# dkms install runs `depmod -a`, which reads every module of the kernel:
# over 9p under emulation that took more than 14 minutes (guest.sh makes the
# harness's indexes on the host for the same reason). So --no-depmod, and
# indexes of the module and what it needs only (what modprobe reads); the
# guest is thrown away after the run.
KO=$T/dkms/xmesh/$V/$ABI/x86_64/module/xmesh.ko
deps=$(modinfo -F depends "$KO" | tr , '\n' | xargs modprobe -a --show-depends |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
# shellcheck disable=SC2086,SC2317 # one path per word; run by check
quick_depmod() { depmod "$ABI" $deps "$@"; }
start=$EPOCHREALTIME
check "dkms install xmesh/$V (for the running kernel)" \
	dkms install --no-depmod "xmesh/$V" -k "$ABI"
echo "# dkms install took $(echo "$EPOCHREALTIME - $start" | bc) s"
check_match "dkms status: installed" 0 "^xmesh/$V, $ABI, x86_64: installed$" dkms status
check "depmod (xmesh and its dependencies)" quick_depmod "$MODS/updates/dkms/xmesh.ko"
check_match "modprobe finds the DKMS module" 0 "/updates/dkms/xmesh\.ko$" \
	modinfo -n xmesh
check "modprobe xmesh" modprobe xmesh
check_match "make install refuses the module DKMS installed" 2 \
	"DKMS installed xmesh for $ABI" \
	make -s -C "$here/../../kmod" install KDIR="/usr/src/linux-headers-$ABI"
# The loaded module's build id (its notes in sysfs) is the DKMS build's.
# shellcheck disable=SC2317 # run by check
same_build() {
	objcopy -O binary -j .note.gnu.build-id "$KO" /tmp/dkms-build-id &&
		cmp /tmp/dkms-build-id /sys/module/xmesh/notes/.note.gnu.build-id
}
check "the loaded module is DKMS's build" same_build
check_match "it is signed with DKMS's key" 0 "^DKMS module signing key$" \
	modinfo -F signer xmesh
check "ip link add xmesh0 type xmesh" ip link add xmesh0 type xmesh
check_json "xmesh0 is an xmesh link" '.[0].linkinfo.info_kind == "xmesh"' \
	ip -j -d link show xmesh0
check "ip link del xmesh0" ip link del xmesh0
check "modprobe -r xmesh" modprobe -r xmesh

start=$EPOCHREALTIME
check "dkms remove xmesh/$V --all" dkms remove --no-depmod "xmesh/$V" --all
echo "# dkms remove took $(echo "$EPOCHREALTIME - $start" | bc) s"
check "the module is gone" test ! -e "$MODS/updates/dkms/xmesh.ko"
check "depmod" quick_depmod
check_no_match "modprobe no longer finds it" . sh -c 'modinfo -n xmesh 2>/dev/null || true'
tap_done
