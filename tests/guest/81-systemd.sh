#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The systemd units (systemd/, Documentation/install.md), under systemd as
# PID 1 in the guest (XMESH_GUEST_INIT=systemd): `make install` puts the
# programs and the units in place (PREFIX=/usr), then xmeshd.service is
# started and must become active (Type=notify: xmeshd says when it is
# ready), with exactly the capabilities the unit grants (CAP_NET_ADMIN,
# CAP_NET_RAW, CAP_BPF) and no new privileges, having made xmesh0 (the
# module loaded by the kernel on first use, though the unit forbids
# loading modules) and answering on its control socket; reloaded, it stays;
# stopped, it is gone and xmesh0 stays. xmesh-controller.service likewise:
# active with no capability at all, answering on port 7680, its store in
# the StateDirectory, mode 0600; stopped. Run it with
#   make all && XMESH_GUEST_INIT=systemd XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/81-systemd.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

require_systemd
# When systemd reached basic.target (what the units start after): the
# boot's cost under emulation.
up=$(systemctl show -P ActiveEnterTimestampMonotonic basic.target)
read -r now _ </proc/uptime
echo "# systemd: basic.target reached $(echo "scale=1; $up / 1000000" | bc) s after boot; the test starts at ${now} s"

# unit_logs UNIT: its journal, for a failure's details.
unit_logs() {
	systemctl status --no-pager "$1" 2>&1 | tail -n 5
	journalctl --no-pager -b -u "$1" 2>&1 | tail -n 20
}

# cap_eff PID: the effective capabilities of PID, in hex.
cap_eff() {
	awk '$1 == "CapEff:" { print $2 }' "/proc/$1/status"
}

# check_caps NAME PID CAPEFF: process PID (a unit's main one; 0: none)
# has exactly the effective capabilities CAPEFF (hex, as in its status).
check_caps() {
	if [[ $2 != 0 && $(cap_eff "$2") == "$3" ]]; then
		tap_ok "$1"
	else
		tap_fail "$1" "pid $2: $(grep ^Cap "/proc/$2/status" 2>&1)"
	fi
}

# check_not_dumpable NAME PID CAPS: PID (a unit's main process) is not
# dumpable (PR_SET_DUMPABLE 0), so its memory, keys included, stays out of
# core files and of other processes: a root process with the same
# capabilities (CAPS, as setpriv's --bounding-set) but not CAP_SYS_PTRACE
# is refused its /proc/PID/environ, and is given a dumpable sleep's with
# those capabilities (the control). Its core limit is 0 (LimitCORE=0).
check_not_dumpable() {
	local ctl ctl_ok=""

	setpriv --bounding-set="$3" sleep 30 &
	ctl=$!
	if wait_for 5 grep -qx sleep "/proc/$ctl/comm" &&
		setpriv --bounding-set="$3" --inh-caps=-all \
			cat "/proc/$ctl/environ" >/dev/null 2>&1; then
		ctl_ok=1
	fi
	kill "$ctl" 2>/dev/null
	wait "$ctl" 2>/dev/null || true	# 143: the SIGTERM it was sent
	if [[ $2 != 0 && -n $ctl_ok && -e /proc/$2 ]] &&
		! setpriv --bounding-set="$3" --inh-caps=-all \
			cat "/proc/$2/environ" >/dev/null 2>&1; then
		tap_ok "$1"
	else
		tap_fail "$1" "pid $2; the control read: ${ctl_ok:-refused}"
	fi
	check_match "$1: no core files (LimitCORE=0)" 0 \
		'^Max core file size +0 +0 ' cat "/proc/$2/limits"
}

# The install, as on a real machine (into the guest's root, which is in RAM).
start=$EPOCHREALTIME
check "make -C agent install PREFIX=/usr" make -s -C "$top/agent" install PREFIX=/usr
check "make -C controller install PREFIX=/usr" make -s -C "$top/controller" install PREFIX=/usr
echo "# make install took $(echo "$EPOCHREALTIME - $start" | bc) s"
check "systemctl daemon-reload" systemctl daemon-reload
ip link set lo up

# ------------------------------------------------------------------ xmeshd
check "xmeshd --gen-site-key /etc/xmesh/site.key" \
	/usr/sbin/xmeshd --gen-site-key /etc/xmesh/site.key
# As installed, no open mesh: xmeshd wants certificates (or the lab's
# insecure-no-certificates line) and says so.
check_match "the installed xmeshd.conf starts no agent without certificates" 1 \
	'no certificate: .*insecure-no-certificates yes' /usr/sbin/xmeshd --check
check "the site authority, the node's key and certificate in xmeshd.conf" \
	certify_node 1
check "xmeshd --check takes them" /usr/sbin/xmeshd --check
start=$EPOCHREALTIME
if systemctl start xmeshd.service 2>&1; then
	tap_ok "systemctl start xmeshd (took $(echo "$EPOCHREALTIME - $start" | bc) s)"
else
	tap_fail "systemctl start xmeshd" "$(unit_logs xmeshd)"
fi
check_match "xmeshd is active (its READY=1 received)" 0 '^active$' \
	systemctl is-active xmeshd.service
pid=$(systemctl show -P MainPID xmeshd.service)
# CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_BPF (39) and nothing else.
check_caps "xmeshd's effective capabilities: NET_ADMIN NET_RAW BPF only" \
	"$pid" 0000008000003000
check_match "xmeshd runs with no new privileges" 0 '^NoNewPrivs:[[:space:]]+1$' \
	cat "/proc/$pid/status"
check_not_dumpable "xmeshd is not dumpable" "$pid" -all,+net_admin,+net_raw,+bpf
check "the module was loaded on first use" test -e /sys/module/xmesh
check_json "xmeshd made xmesh0" '.[0].linkinfo.info_kind == "xmesh"' \
	ip -j -d link show xmesh0
check "xmesh node show (the control socket answers)" xmesh node show
check_json "xmeshd runs with certificates: its frames encrypted" \
	'.security == "encrypt" and .node == 1' xmesh -j agent show
check "systemctl reload xmeshd" systemctl reload xmeshd.service
sleep 1
check_match "xmeshd is still active after the reload" 0 '^active$' \
	systemctl is-active xmeshd.service
check_match "the same process" 0 "^$pid$" systemctl show -P MainPID xmeshd.service
check "systemctl stop xmeshd" systemctl stop xmeshd.service
check_match "xmeshd is inactive" 3 '^inactive$' systemctl is-active xmeshd.service
check "its process is gone" test ! -e "/proc/$pid"
check "xmesh0 stays (a stopped agent leaves the kernel's tables)" \
	ip link show xmesh0

# -------------------------------------------------------- xmesh-controller
# The policy key the site authority (certify_node's) certifies
# (ctlnet.sh's ctl_authority), where the unit wants them.
E=/etc/xmesh
check "the policy key" sh -c "
	xmesh cert key create $E/policy.key >/dev/null &&
	xmesh cert key show $E/policy.key >$E/policy.pub &&
	xmesh cert sign authority-key $E/authority.key authority $E/authority.cert \
		pubkey $E/policy.pub kind policy out $E/policy.cert >/dev/null"
start=$EPOCHREALTIME
if systemctl start xmesh-controller.service 2>&1; then
	tap_ok "systemctl start xmesh-controller (took $(echo "$EPOCHREALTIME - $start" | bc) s)"
else
	tap_fail "systemctl start xmesh-controller" "$(unit_logs xmesh-controller)"
fi
if wait_for 60 curl -sf -o /dev/null http://127.0.0.1:7680/metrics; then
	tap_ok "the controller answers on port 7680"
else
	tap_fail "the controller answers on port 7680" "$(unit_logs xmesh-controller)"
fi
check_match "xmesh-controller is active" 0 '^active$' \
	systemctl is-active xmesh-controller.service
pid=$(systemctl show -P MainPID xmesh-controller.service)
check_caps "xmesh-controller has no capability" "$pid" 0000000000000000
check_not_dumpable "xmesh-controller is not dumpable" "$pid" -all
check_match "its store is in the StateDirectory, mode 0600" 0 '^600$' \
	stat -c %a /var/lib/xmesh/controller.db
check "systemctl stop xmesh-controller" systemctl stop xmesh-controller.service
check_match "xmesh-controller is inactive" 3 '^inactive$' \
	systemctl is-active xmesh-controller.service
check "its process is gone" test ! -e "/proc/$pid"
tap_done
